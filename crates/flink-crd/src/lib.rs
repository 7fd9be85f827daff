//! Custom resource types of flink-operator-rs: `FlinkDeployment` and `FlinkSessionJob` in
//! `flink.apache.org/v1beta1`, compatible with manifests written for the Apache Flink
//! Kubernetes Operator for every field we support. No IO.
//!
//! The schema comes from these types (doc comments become `kubectl explain` text; CEL rules
//! come from `#[x_kube(validation = ...)]`). Pod templates are kept as preserved unknown
//! fields so the CRD stays far below the 256 KiB limit of a client-side `kubectl apply`.
//!
//! ```
//! use flink_crd::{FlinkDeployment, JobState, UpgradeMode};
//!
//! let fdep: FlinkDeployment = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "flink.apache.org/v1beta1",
//!     "kind": "FlinkDeployment",
//!     "metadata": {"name": "basic"},
//!     "spec": {
//!         "image": "flink:2.2",
//!         "flinkVersion": "v2_2",
//!         "flinkConfiguration": {"taskmanager.numberOfTaskSlots": 2},
//!         "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "upgradeMode": "savepoint"}
//!     }
//! }))
//! .expect("a valid manifest");
//! let job = fdep.spec.job.as_ref().expect("application cluster");
//! assert_eq!(job.upgrade_mode, UpgradeMode::Savepoint);
//! assert_eq!(job.state, JobState::Running);
//! assert_eq!(fdep.spec.flink_configuration.get("taskmanager.numberOfTaskSlots").as_deref(), Some("2"));
//! ```

mod components;
mod config;
mod deployment;
mod ingress;
mod job;
mod pod_template;
pub mod schema;
mod session_job;
pub mod status;
mod version;

pub use components::{JobManagerSpec, Resource, TaskManagerSpec};
pub use config::{DEFAULT_RETAINED_CHECKPOINTS, FlinkConfiguration, RETAINED_CHECKPOINTS_KEY};
pub use deployment::{
    DeploymentStrategy, FlinkDeployment, FlinkDeploymentSpec, ImagePullPolicy,
    KubernetesDeploymentMode,
};
pub use ingress::IngressSpec;
pub use job::{DeleteMode, JAR_URI_SCHEMES, JobSpec, JobState, UpgradeMode};
pub use pod_template::{MAIN_CONTAINER_NAME, PodTemplate};
pub use session_job::{FlinkSessionJob, FlinkSessionJobSpec};
pub use status::{FlinkDeploymentStatus, FlinkSessionJobStatus, MachineStatus, Phase};
pub use version::FlinkVersion;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pod template is not a valid Kubernetes `PodTemplateSpec`.
    #[error("podTemplate is not a valid Kubernetes pod template: {source}")]
    PodTemplate {
        /// Why it did not parse.
        #[source]
        source: serde_json::Error,
    },
}
