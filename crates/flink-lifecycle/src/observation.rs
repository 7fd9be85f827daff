//! What the operator saw of the world, as plain data (no IO).
//!
//! The operator fills an [`Observation`] from the Kubernetes API (the resource's metadata, the
//! cluster's Deployments and Pods) and from Flink's REST API (the job, the savepoint trigger the
//! machine asked about). It reports facts only; every judgement ("is this a failure?", "is this
//! an image error the cluster cannot recover from?") is made by the machine.

use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Settings;

/// Everything the machine knows about the world for one step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// The resource's `metadata.uid` (part of every deterministic id).
    pub uid: String,
    /// The resource's `metadata.generation`.
    pub generation: i64,
    /// `metadata.deletionTimestamp` is set.
    #[serde(default)]
    pub deleting: bool,
    /// The operator's finalizer is in `metadata.finalizers`.
    #[serde(default)]
    pub has_finalizer: bool,
    /// The effective settings: the resource's `flinkConfiguration` merged over the operator's
    /// defaults by [`Settings::resolve`].
    #[serde(default)]
    pub settings: Settings,
    /// The cluster's Kubernetes resources.
    #[serde(default)]
    pub cluster: ClusterObservation,
    /// The Flink job, as Flink's REST API reports it.
    #[serde(default)]
    pub job: JobObservation,
    /// The savepoint/checkpoint trigger named in `status.machine.operation.triggerId`, if the
    /// operator asked Flink about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerObservation>,
}

/// The cluster's Kubernetes resources (ConfigMap, Services, JobManager and TaskManager
/// Deployments).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterObservation {
    /// Any of the cluster's resources exists (a cluster is gone when this is false).
    #[serde(default)]
    pub exists: bool,
    /// The spec hash label the cluster's resources carry (from [`Action::ApplyCluster`]).
    ///
    /// [`Action::ApplyCluster`]: crate::Action::ApplyCluster
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_hash: Option<String>,
    /// The JobManager Deployment.
    #[serde(default)]
    pub job_manager: Component,
    /// The TaskManager Deployment.
    #[serde(default)]
    pub task_manager: Component,
    /// A pod of the cluster that cannot run, with the container's waiting/terminated reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_failure: Option<PodFailure>,
    /// Restart count of the JobManager pod's main container.
    #[serde(default)]
    pub job_manager_restarts: u32,
}

impl ClusterObservation {
    /// JobManager and TaskManagers are all ready.
    pub fn ready(&self) -> bool {
        self.exists && self.job_manager == Component::Ready && self.task_manager == Component::Ready
    }
}

/// Readiness of one Deployment.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Component {
    /// No such Deployment.
    #[default]
    Missing,
    /// The Deployment exists, not all replicas are ready.
    Starting,
    /// All replicas are ready.
    Ready,
}

/// A pod that cannot run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PodFailure {
    /// The container's reason as Kubernetes reports it (`CrashLoopBackOff`, `ErrImagePull`,
    /// `ImagePullBackOff`, `InvalidImageName`, `CreateContainerConfigError`, `OOMKilled`...).
    pub reason: String,
    /// The container's message (or the last log line the operator chose to include).
    #[serde(default)]
    pub message: String,
}

impl PodFailure {
    /// Reasons that do not heal by waiting: the spec must change.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self.reason.as_str(),
            "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName" | "CreateContainerConfigError"
        )
    }
}

/// The Flink job as seen through the REST API.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum JobObservation {
    /// Flink was not asked (no cluster, or a session cluster).
    #[default]
    NotAsked,
    /// The REST API did not answer (connection refused, timeout, 5xx).
    Unreachable {
        /// What went wrong, for the condition message.
        #[serde(default)]
        error: String,
    },
    /// The REST API answered, but there is no job with the expected id.
    NotFound,
    /// The job exists.
    Found(JobFacts),
}

/// Facts about a job Flink knows.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JobFacts {
    /// The job id.
    pub id: String,
    /// Flink's job state.
    pub state: FlinkJobState,
    /// All of the job's tasks are RUNNING (Flink reports RUNNING before they are; a savepoint
    /// can only be triggered once they are).
    #[serde(default)]
    pub tasks_running: bool,
    /// Flink's restart count of the job (`numRestarts` / `fullRestarts`).
    #[serde(default)]
    pub restarts: u32,
    /// The newest completed checkpoint with an external path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checkpoint: Option<CompletedSnapshot>,
    /// The failure cause Flink reports for a FAILED/FAILING job (root exception's first line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// Flink's job states (`JobStatus` in Flink).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)] // Flink's own names; see Flink's JobStatus.
pub enum FlinkJobState {
    Initializing,
    Created,
    Running,
    Failing,
    Failed,
    Cancelling,
    Canceled,
    Finished,
    Restarting,
    Suspended,
    Reconciling,
}

impl FlinkJobState {
    /// Flink's upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initializing => "INITIALIZING",
            Self::Created => "CREATED",
            Self::Running => "RUNNING",
            Self::Failing => "FAILING",
            Self::Failed => "FAILED",
            Self::Cancelling => "CANCELLING",
            Self::Canceled => "CANCELED",
            Self::Finished => "FINISHED",
            Self::Restarting => "RESTARTING",
            Self::Suspended => "SUSPENDED",
            Self::Reconciling => "RECONCILING",
        }
    }

    /// The job will not run again by itself.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Canceled | Self::Finished | Self::Suspended
        )
    }
}

/// A completed savepoint or checkpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CompletedSnapshot {
    /// Flink's checkpoint id (0 when unknown).
    #[serde(default)]
    pub id: u64,
    /// Its external path.
    pub path: String,
    /// When it completed.
    pub completed_at: Timestamp,
}

/// Flink's answer about one savepoint/checkpoint trigger.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TriggerObservation {
    /// The trigger id asked about (from `status.machine.operation.triggerId`).
    pub trigger_id: String,
    /// What Flink said.
    pub status: TriggerStatus,
}

/// Status of a trigger.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum TriggerStatus {
    /// Flink does not know this trigger id (never triggered, or the JobManager restarted).
    Unknown,
    /// In progress.
    InProgress,
    /// Completed; `location` is the savepoint/checkpoint path.
    Completed {
        /// Its external path.
        location: String,
    },
    /// Failed.
    Failed {
        /// Flink's failure cause.
        reason: String,
    },
}
