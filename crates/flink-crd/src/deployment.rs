//! The FlinkDeployment resource: a Flink cluster and, optionally, its job (no IO).

// Several `printcolumn(...)` share `type_ = ...`; clippy reads that as a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    FlinkConfiguration, FlinkDeploymentStatus, FlinkVersion, IngressSpec, JobManagerSpec, JobSpec,
    PodTemplate, TaskManagerSpec,
};

/// How the cluster is deployed. Only `standalone` is run by this operator: it creates the
/// JobManager and TaskManager Deployments itself.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KubernetesDeploymentMode {
    /// Flink's native Kubernetes integration (Flink creates TaskManager pods). Refused.
    Native,
    /// The operator creates JobManager and TaskManager Deployments.
    #[default]
    Standalone,
}

/// How a spec change is rolled out (our extension).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeploymentStrategy {
    /// Stop the old job (per `job.upgradeMode`), then start the new one.
    #[default]
    Recreate,
    /// Start the new job beside the old one and switch over when it is healthy. Reserved:
    /// not implemented yet, refused with a status message.
    BlueGreen,
}

/// Image pull policy of the Flink containers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ImagePullPolicy {
    /// Always pull.
    Always,
    /// Pull only when the image is not present.
    IfNotPresent,
    /// Never pull.
    Never,
}

/// A Flink cluster managed by the operator. With `job` it is an application cluster running
/// that job; without `job` it is a session cluster that FlinkSessionJobs submit jobs to.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[kube(
    group = "flink.apache.org",
    version = "v1beta1",
    kind = "FlinkDeployment",
    plural = "flinkdeployments",
    singular = "flinkdeployment",
    shortname = "fdep",
    shortname = "flinkdep",
    category = "flink",
    namespaced,
    status = "FlinkDeploymentStatus",
    doc = "A Flink cluster (and optionally its job) managed by flink-operator-rs.",
    scale(
        spec_replicas_path = ".spec.taskManager.replicas",
        status_replicas_path = ".status.taskManager.replicas",
        label_selector_path = ".status.taskManager.labelSelector"
    ),
    printcolumn(
        name = "Phase",
        type_ = "string",
        json_path = ".status.phase",
        description = "Lifecycle phase"
    ),
    printcolumn(
        name = "Job Status",
        type_ = "string",
        json_path = ".status.jobStatus.state",
        description = "Flink job state"
    ),
    printcolumn(
        name = "Lifecycle",
        type_ = "string",
        json_path = ".status.lifecycleState",
        description = "Apache-compatible lifecycle state",
        priority = 1
    ),
    printcolumn(
        name = "Last Savepoint",
        type_ = "date",
        json_path = ".status.jobStatus.savepointInfo.lastSavepoint.time",
        description = "When the last savepoint completed"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct FlinkDeploymentSpec {
    /// Container image with Flink (and, for `local://` jars, the job), e.g. `flink:2.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self != ''").message("image must not be empty"))]
    pub image: Option<String>,
    /// Image pull policy: `Always`, `IfNotPresent` or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// Flink version of the image (`v1_20`, `v2_0`, `v2_1`, `v2_2`, `v2_3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<FlinkVersion>,
    /// Kubernetes service account of the Flink pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Flink configuration (flat dotted keys or nested maps), merged over the operator's
    /// defaults and written to the cluster's configuration file.
    #[serde(default, skip_serializing_if = "FlinkConfiguration::is_empty")]
    pub flink_configuration: FlinkConfiguration,
    /// Log configuration files by name (`log4j-console.properties`, `logback-console.xml`),
    /// replacing the defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub log_configuration: BTreeMap<String, String>,
    /// Pod template for all Flink pods; a container named `flink-main-container` customises
    /// the Flink container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<PodTemplate>,
    /// JobManager settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_manager: Option<JobManagerSpec>,
    /// TaskManager settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_manager: Option<TaskManagerSpec>,
    /// The job of an application cluster; leave out for a session cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSpec>,
    /// Change this number to restart the cluster and job without a spec change (state is
    /// kept as `job.upgradeMode` says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_nonce: Option<i64>,
    /// Ingress to the web UI and REST API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
    /// Deployment mode; only `standalone` is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self == 'standalone'").message("mode native is not supported by flink-operator-rs: it runs standalone clusters (remove mode or set it to standalone)"))]
    pub mode: Option<KubernetesDeploymentMode>,
    /// How spec changes are rolled out: `recreate` (default) or `blue-green` (reserved, not
    /// implemented yet; refused with a status message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_strategy: Option<DeploymentStrategy>,
}

impl FlinkDeploymentSpec {
    /// Whether this is a session cluster (no `job`).
    pub fn is_session_cluster(&self) -> bool {
        self.job.is_none()
    }
}
