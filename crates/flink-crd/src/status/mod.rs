//! Status of FlinkDeployment and FlinkSessionJob (no IO).
//!
//! Field names follow the Apache operator wherever the meaning is the same
//! (`lifecycleState`, `jobStatus`, `reconciliationStatus`, `jobManagerDeploymentStatus`,
//! `clusterInfo`, `error`), so scripts and dashboards written for it keep working. Our own
//! fields sit beside them: `phase`, `conditions` and `machine` (the lifecycle machine's
//! bookkeeping, everything it needs to resume after an operator restart).

mod job;
mod machine;
mod reconciliation;
mod snapshot;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use job::JobStatus;
pub use machine::{
    CheckpointPace, Degradation, FailureWindow, HandledNonces, MachineState, MachineStatus,
    Operation, OperationKind, RestoreKind, RestorePlan, RestorePoint, RetryState, SpecSource,
    StopMethod,
};
pub use reconciliation::{ReconciliationState, ReconciliationStatus};
pub use snapshot::{
    Checkpoint, CheckpointInfo, Savepoint, SavepointInfo, SnapshotFormatType, SnapshotTriggerType,
};

/// The lifecycle phase decided by the operator's state machine.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum Phase {
    /// Cluster resources are being created or the job is starting.
    Deploying,
    /// The cluster is ready and the job (if any) is running.
    Running,
    /// A savepoint is being taken (manual, periodic, or before a stop).
    Savepointing,
    /// A spec change is being rolled out.
    Updating,
    /// The job is suspended; an application cluster is deleted.
    Suspended,
    /// An upgrade did not become healthy; the last stable spec is being restored.
    RollingBack,
    /// The deployment failed; `error` and the conditions say why and what to do.
    Failed,
    /// The resource is being deleted (final savepoint or cancel, then cluster removal).
    Deleting,
}

/// JobManager Deployment state, as the Apache operator reports it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobManagerDeploymentStatus {
    /// The JobManager is up and its REST API answers.
    Ready,
    /// The Deployment exists but the JobManager is not ready yet.
    DeployedNotReady,
    /// The Deployment is being created.
    Deploying,
    /// There is no JobManager Deployment.
    Missing,
    /// The JobManager cannot start (e.g. crash loop, image error).
    Error,
}

/// Resource lifecycle state, as the Apache operator reports it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResourceLifecycleState {
    /// Seen, nothing deployed yet.
    Created,
    /// Suspended by the user.
    Suspended,
    /// An upgrade is in progress.
    Upgrading,
    /// Deployed, not yet stable.
    Deployed,
    /// Deployed and healthy.
    Stable,
    /// Rolling back to the last stable spec.
    RollingBack,
    /// Rolled back to the last stable spec.
    RolledBack,
    /// Failed.
    Failed,
    /// Being deleted.
    Deleting,
    /// Deleted.
    Deleted,
}

/// TaskManager replicas and selector, for the scale subresource.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskManagerInfo {
    /// Label selector of the TaskManager pods.
    #[serde(default)]
    pub label_selector: String,
    /// Number of TaskManager pods.
    #[serde(default)]
    pub replicas: i32,
}

/// Observed state of a FlinkDeployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlinkDeploymentStatus {
    /// The lifecycle phase (our state machine's top-level state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// The job's status (application clusters).
    #[serde(default)]
    pub job_status: JobStatus,
    /// The last error, as a message a user can act on; cleared when resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The `metadata.generation` the operator last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Apache-compatible lifecycle state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_state: Option<ResourceLifecycleState>,
    /// Facts about the running cluster (e.g. `flink-version`, `flink-revision`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cluster_info: BTreeMap<String, String>,
    /// State of the JobManager Deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_manager_deployment_status: Option<JobManagerDeploymentStatus>,
    /// Which spec was last deployed and which last ran stably.
    #[serde(default)]
    pub reconciliation_status: ReconciliationStatus,
    /// TaskManager replicas and selector (scale subresource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_manager: Option<TaskManagerInfo>,
    /// Kubernetes conditions: `Ready`, `Progressing`, `Degraded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The lifecycle machine's bookkeeping (what it waits for, the operation in flight,
    /// the restore plan).
    #[serde(default)]
    pub machine: MachineStatus,
}

/// Observed state of a FlinkSessionJob (the job part of a FlinkDeployment's status).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlinkSessionJobStatus {
    /// The lifecycle phase (our state machine's top-level state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// The job's status.
    #[serde(default)]
    pub job_status: JobStatus,
    /// The last error, as a message a user can act on; cleared when resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The `metadata.generation` the operator last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Apache-compatible lifecycle state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_state: Option<ResourceLifecycleState>,
    /// Which spec was last deployed and which last ran stably.
    #[serde(default)]
    pub reconciliation_status: ReconciliationStatus,
    /// Kubernetes conditions: `Ready`, `Progressing`, `Degraded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The lifecycle machine's bookkeeping.
    #[serde(default)]
    pub machine: MachineStatus,
}

/// A session job's status is a FlinkDeployment's without the cluster's fields (the lifecycle
/// machine works on the wider one for both).
impl From<FlinkSessionJobStatus> for FlinkDeploymentStatus {
    fn from(s: FlinkSessionJobStatus) -> Self {
        let FlinkSessionJobStatus {
            phase,
            job_status,
            error,
            observed_generation,
            lifecycle_state,
            reconciliation_status,
            conditions,
            machine,
        } = s;
        Self {
            phase,
            job_status,
            error,
            observed_generation,
            lifecycle_state,
            reconciliation_status,
            conditions,
            machine,
            ..Self::default()
        }
    }
}

/// The session job's fields of a FlinkDeployment status (`clusterInfo`,
/// `jobManagerDeploymentStatus` and `taskManager` are dropped).
impl From<FlinkDeploymentStatus> for FlinkSessionJobStatus {
    fn from(s: FlinkDeploymentStatus) -> Self {
        Self {
            phase: s.phase,
            job_status: s.job_status,
            error: s.error,
            observed_generation: s.observed_generation,
            lifecycle_state: s.lifecycle_state,
            reconciliation_status: s.reconciliation_status,
            conditions: s.conditions,
            machine: s.machine,
        }
    }
}
