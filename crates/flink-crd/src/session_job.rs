//! The FlinkSessionJob resource: a job submitted to a session cluster (no IO).

// Several `printcolumn(...)` share `type_ = ...`; clippy reads that as a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::{FlinkConfiguration, FlinkSessionJobStatus, JobSpec};

/// A job run on the session cluster of the FlinkDeployment named `deploymentName`, submitted
/// through Flink's REST API.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[kube(
    group = "flink.apache.org",
    version = "v1beta1",
    kind = "FlinkSessionJob",
    plural = "flinksessionjobs",
    singular = "flinksessionjob",
    shortname = "fsj",
    shortname = "sessionjob",
    category = "flink",
    namespaced,
    status = "FlinkSessionJobStatus",
    doc = "A Flink job on a session cluster, managed by flink-operator-rs.",
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
        name = "Deployment",
        type_ = "string",
        json_path = ".spec.deploymentName",
        description = "Session cluster"
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
pub struct FlinkSessionJobSpec {
    /// Name of the FlinkDeployment (a session cluster, without `job`) in the same namespace.
    #[x_kube(validation = Rule::new("self != ''").message("deploymentName must name a session FlinkDeployment"))]
    pub deployment_name: String,
    /// The job to run.
    pub job: JobSpec,
    /// Change this number to restart the job without a spec change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_nonce: Option<i64>,
    /// Job-level Flink configuration passed with the submission.
    #[serde(default, skip_serializing_if = "FlinkConfiguration::is_empty")]
    pub flink_configuration: FlinkConfiguration,
}
