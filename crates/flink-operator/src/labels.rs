//! Labels and names the operator finds its clusters' objects by (no IO). They are the resource
//! builders' (`flink_resources`), which follow the Apache operator's standalone conventions.

pub use flink_resources::labels::{
    APP, COMPONENT, JOB_MANAGER, MANAGED_BY, MANAGER, SPEC_HASH, TASK_MANAGER, TYPE,
    TYPE_STANDALONE, managed_selector,
};
pub use flink_resources::{REST_PORT, names};

/// The operator's field manager (server-side apply) and Event reporter.
pub const FIELD_MANAGER: &str = "flink-operator-rs";

/// The operator's finalizer on FlinkDeployments and FlinkSessionJobs.
pub const FINALIZER: &str = "flink.apache.org/finalizer";

/// Label selector of the pods of every cluster (they carry the Deployment selector labels
/// `app`, `component`, `type`).
pub fn pod_selector() -> String {
    format!("{TYPE}={TYPE_STANDALONE}")
}
