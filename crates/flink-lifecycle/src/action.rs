//! The intents the machine asks the operator to carry out, as data (no IO).
//!
//! Every action is idempotent: executing it twice has the same effect as once. Ids are
//! deterministic (derived from the resource's uid and counters in status), so a retried
//! trigger or deployment is recognised by Flink or Kubernetes as the same one.

use std::collections::BTreeMap;

use flink_crd::status::MachineStatus;
use serde::{Deserialize, Serialize};

pub use flink_crd::status::{RestoreKind, RestorePoint, SpecSource};

/// One intent. `execute` in the operator maps each variant to one call.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase", tag = "action")]
pub enum Action {
    /// Add the operator's finalizer to the resource (a metadata patch; no-op if present).
    AddFinalizer,
    /// Server-side apply the cluster's resources (ConfigMap, Services, JobManager and
    /// TaskManager Deployments, Ingress) built from `source`, labelled with `specHash`.
    /// For an application cluster the JobManager runs job `jobId`, restored from `restore`
    /// (`--fromSavepoint`) when given. Re-applying the same content is a no-op.
    ApplyCluster {
        /// Which spec to build from (the resource's spec or the last stable one in status).
        source: SpecSource,
        /// Label value identifying this spec; the next observation reports it back.
        spec_hash: String,
        /// Fixed Flink job id (32 hex) of an application cluster; `None` for a session cluster.
        job_id: Option<String>,
        /// Savepoint/checkpoint to start from; `None` means empty state.
        restore: Option<RestorePoint>,
        /// Pass `--allowNonRestoredState`.
        allow_non_restored_state: bool,
    },
    /// Delete the cluster's resources (all that carry the resource's labels). Deleting what is
    /// already gone is success.
    DeleteCluster,
    /// Submit a FlinkSessionJob's job to its session cluster (the FlinkDeployment named by
    /// `spec.deploymentName`) through Flink's REST API: upload the jar at `jarUri` (or reuse an
    /// upload of it), then `POST /jars/{jarid}/run` with `jobId`, `entryClass`, `programArgsList`,
    /// `parallelism`, `savepointPath` (= `restore.path`), `allowNonRestoredState` and
    /// `flinkConfiguration`.
    ///
    /// Idempotent through the fixed job id: if Flink already knows `jobId` (a re-submit after a
    /// crash; Flink answers that the job already exists, or lists it), the submission is
    /// success, and the next observation reports that job. Only emitted while the session
    /// cluster is ready and Flink does not know the id (reported `NotFound`, or the id is new
    /// in this step); a failure is reported back as `SessionJobObservation::submit_error`.
    SubmitJob {
        /// Fixed Flink job id (32 hex), derived from the resource's uid and submission count.
        job_id: String,
        /// URI of the job jar (`spec.job.jarURI`; never `local://` for a session job).
        jar_uri: String,
        /// Main class; `None` means the jar manifest's `Main-Class`.
        entry_class: Option<String>,
        /// Program arguments, in order.
        args: Vec<String>,
        /// Job parallelism; `None` means the session cluster's `parallelism.default`.
        parallelism: Option<i32>,
        /// Savepoint/checkpoint to start from; `None` means empty state.
        restore: Option<RestorePoint>,
        /// Pass `allowNonRestoredState`.
        allow_non_restored_state: bool,
        /// The session job's own `flinkConfiguration` (flat keys, `kubernetes.operator.*`
        /// removed), passed as the run request's `flinkConfiguration`; empty means none.
        flink_configuration: BTreeMap<String, String>,
    },
    /// Trigger a savepoint with this trigger id (Flink's `triggerId`; a repeat with the same id
    /// is recognised by Flink). The job keeps running.
    TriggerSavepoint {
        /// Job to savepoint.
        job_id: String,
        /// Caller-chosen trigger id (32 hex).
        trigger_id: String,
        /// Target directory.
        directory: String,
    },
    /// Stop the job with a savepoint (`POST /jobs/{id}/stop`, `drain: false`) with this trigger id.
    StopWithSavepoint {
        /// Job to stop.
        job_id: String,
        /// Caller-chosen trigger id (32 hex).
        trigger_id: String,
        /// Target directory.
        directory: String,
    },
    /// Trigger a checkpoint with this trigger id (`POST /jobs/{id}/checkpoints`).
    TriggerCheckpoint {
        /// Job to checkpoint.
        job_id: String,
        /// Caller-chosen trigger id (32 hex).
        trigger_id: String,
    },
    /// Cancel the job (`PATCH /jobs/{id}?mode=cancel`); a job already terminal or unknown is success.
    CancelJob {
        /// Job to cancel.
        job_id: String,
    },
    /// Record a Kubernetes Event on the resource.
    RecordEvent {
        /// `Normal` or `Warning`.
        #[serde(rename = "type")]
        kind: EventKind,
        /// CamelCase reason.
        reason: String,
        /// What happened, for a user.
        message: String,
    },
    /// Remove the operator's finalizer: the resource may now disappear. Emitted once the
    /// cluster is gone (or after the documented teardown deadline).
    RemoveFinalizer,
    /// Call `step` again after this many seconds at the latest (a watch event may come sooner).
    /// Exactly one per decision, always last.
    Requeue {
        /// Seconds.
        after_secs: u64,
    },
}

/// Kubernetes Event type.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Something expected happened.
    Normal,
    /// Something the user may have to act on.
    Warning,
}

impl Action {
    /// Whether the action stops a job or removes a cluster.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Action::DeleteCluster | Action::StopWithSavepoint { .. } | Action::CancelJob { .. }
        )
    }
}

/// What the machine decided: the status to persist FIRST, then the actions to execute in order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Decision {
    /// The complete new status (phase, Apache-compatible fields, conditions, `machine`).
    pub status: flink_crd::status::FlinkDeploymentStatus,
    /// The intents, in order; the last one is always [`Action::Requeue`].
    pub actions: Vec<Action>,
}

impl Decision {
    /// The machine's bookkeeping in the new status.
    pub fn machine(&self) -> &MachineStatus {
        &self.status.machine
    }

    /// The requeue delay of this decision.
    pub fn requeue_after_secs(&self) -> Option<u64> {
        self.actions.iter().rev().find_map(|a| match a {
            Action::Requeue { after_secs } => Some(*after_secs),
            _ => None,
        })
    }
}
