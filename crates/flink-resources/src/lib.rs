//! The Kubernetes objects of a standalone Flink cluster, built from a FlinkDeployment (no IO).
//!
//! [`build`] turns a FlinkDeployment's spec, plus what the lifecycle machine's `ApplyCluster`
//! action says (spec hash, job id, restore path), into the objects the operator applies with
//! server-side apply: a ConfigMap with the Flink and log configuration, the JobManager and
//! TaskManager Deployments, the JobManager Services and an optional Ingress. Names, labels
//! and container layout follow the Apache Flink Kubernetes Operator's standalone mode, so
//! selectors and scripts written for it find the same objects.
//!
//! Output is deterministic: the same input gives byte-identical objects (maps are ordered),
//! so re-applying an unchanged spec is a no-op.
//!
//! ```
//! use std::collections::BTreeMap;
//! use flink_resources::{ClusterInput, build, names};
//!
//! let fdep: flink_crd::FlinkDeployment = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "flink.apache.org/v1beta1",
//!     "kind": "FlinkDeployment",
//!     "metadata": {"name": "basic", "namespace": "flink"},
//!     "spec": {
//!         "image": "flink:2.3",
//!         "flinkVersion": "v2_3",
//!         "jobManager": {"resource": {"memory": "1024m", "cpu": 0.5}},
//!         "taskManager": {"resource": {"memory": "2g", "cpu": 1}},
//!         "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "entryClass": "com.example.Job",
//!                 "parallelism": 2}
//!     }
//! }))
//! .expect("a valid manifest");
//! let defaults = BTreeMap::new();
//! let objects = build(&ClusterInput {
//!     name: "basic",
//!     namespace: "flink",
//!     uid: "6f1c…",
//!     spec: &fdep.spec,
//!     spec_hash: "abc123",
//!     job_id: Some("00000000000000000000000000000001"),
//!     restore_path: None,
//!     allow_non_restored_state: false,
//!     operator_defaults: &defaults,
//! })
//! .expect("builds");
//! assert_eq!(objects.task_manager.metadata.name.as_deref(), Some("basic-taskmanager"));
//! assert_eq!(names("basic").rest_service, "basic-rest");
//! assert!(objects.config_map.data.expect("data").contains_key("config.yaml"));
//! ```

mod config;
mod config_map;
pub mod defaults;
mod deployments;
mod error;
mod ingress;
pub mod labels;
pub mod memory;
mod meta;
mod names;
pub mod pod_template;
mod resources;
mod services;

use std::collections::BTreeMap;

use flink_crd::{FlinkDeploymentSpec, FlinkVersion};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::Ingress;

pub use config::{
    DEFAULT_PARALLELISM, JM_PROCESS_MEMORY, TASK_SLOTS, TM_PROCESS_MEMORY, flink_config,
    render_config_file,
};
pub use deployments::job_manager_args;
pub use error::BuildError;
pub use flink_crd::MAIN_CONTAINER_NAME as MAIN_CONTAINER;
pub use ingress::host_and_path as ingress_host_and_path;
pub use meta::owner_reference;
pub use names::{Names, names, rest_url};
pub use resources::{Component, job_manager_replicas, task_manager_replicas};

/// JobManager REST port (web UI and REST API), Service `<name>-rest`.
pub const REST_PORT: u16 = 8081;
/// JobManager RPC port, Service `<name>`.
pub const JOB_MANAGER_RPC_PORT: u16 = 6123;
/// JobManager blob server port, Service `<name>`.
pub const BLOB_PORT: u16 = 6124;
/// TaskManager RPC port (readiness probe of TaskManager pods).
pub const TASK_MANAGER_RPC_PORT: u16 = 6122;
/// Where the ConfigMap is mounted in the Flink container.
pub const CONF_DIR: &str = "/opt/flink/conf";
/// Name of the ConfigMap volume in the pods.
pub const CONFIG_VOLUME: &str = "flink-config-volume";
/// Env var holding the pod's address (from `status.podIP`).
pub const POD_IP_ENV: &str = "POD_IP";

/// What a cluster is built from: the resource, its spec, and the lifecycle machine's
/// `ApplyCluster` parameters.
#[derive(Clone, Copy, Debug)]
pub struct ClusterInput<'a> {
    /// The FlinkDeployment's name (`metadata.name`).
    pub name: &'a str,
    /// Its namespace.
    pub namespace: &'a str,
    /// Its uid, for the owner references.
    pub uid: &'a str,
    /// The spec to build from (the desired spec or the last stable one).
    pub spec: &'a FlinkDeploymentSpec,
    /// The spec hash label value (`ApplyCluster.spec_hash`).
    pub spec_hash: &'a str,
    /// Fixed Flink job id (32 hex) of an application cluster (`ApplyCluster.job_id`).
    pub job_id: Option<&'a str>,
    /// Savepoint or checkpoint to start the job from (`--fromSavepoint`).
    pub restore_path: Option<&'a str>,
    /// Pass `--allowNonRestoredState` (with a restore path).
    pub allow_non_restored_state: bool,
    /// The operator's default Flink configuration (flat keys), under the spec's.
    pub operator_defaults: &'a BTreeMap<String, String>,
}

/// The objects of one cluster, ready for server-side apply (each carries `apiVersion`,
/// `kind`, name, namespace, labels and the owner reference).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClusterResources {
    /// `flink-config-<name>`: the Flink configuration file and log configuration.
    pub config_map: ConfigMap,
    /// `<name>`: the JobManager.
    pub job_manager: Deployment,
    /// `<name>-taskmanager`: the TaskManagers.
    pub task_manager: Deployment,
    /// `<name>`: JobManager rpc and blob (headless).
    pub service: Service,
    /// `<name>-rest`: JobManager REST API and web UI.
    pub rest_service: Service,
    /// `<name>`: Ingress to the REST service, when `spec.ingress` is set.
    pub ingress: Option<Ingress>,
}

/// Builds all objects of the cluster.
pub fn build(input: &ClusterInput<'_>) -> Result<ClusterResources, BuildError> {
    let version = flink_version(input.spec)?;
    let conf = flink_config(input)?;
    Ok(ClusterResources {
        config_map: config_map::config_map(input, version, &conf)?,
        job_manager: deployments::job_manager(input, &conf)?,
        task_manager: deployments::task_manager(input, &conf)?,
        service: services::service(input),
        rest_service: services::rest_service(input),
        ingress: ingress::ingress(input)?,
    })
}

/// The spec's Flink version, refused when missing or older than 1.20.
pub fn flink_version(spec: &FlinkDeploymentSpec) -> Result<FlinkVersion, BuildError> {
    let version = spec.flink_version.ok_or_else(|| BuildError::Missing {
        field: "spec.flinkVersion".into(),
        why: "the Flink version of the image (v1_20, v2_0, v2_1, v2_2 or v2_3) decides the \
              configuration file and its defaults"
            .into(),
    })?;
    if !version.is_supported() {
        return Err(BuildError::Invalid {
            field: "spec.flinkVersion".into(),
            message: format!("{version} is not supported; use v1_20 or a 2.x version"),
        });
    }
    Ok(version)
}
