//! The lifecycle machine's own bookkeeping in status (no IO). Shaped by `flink-lifecycle`.
//!
//! Everything here is written by the pure lifecycle machine (`flink_lifecycle::step`) and
//! read back on the next call: the machine keeps no memory of its own, so an operator that
//! restarts (or a platform team replaying an incident) resumes exactly where it stopped.
//! Every field is optional or defaulted so that statuses written by older versions parse.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The machine's leaf state (finer than `status.phase`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum MachineState {
    /// Cluster resources are applied; waiting for the cluster to be ready and the job to run.
    #[default]
    Deploying,
    /// Healthy (or waiting out a transient problem); nothing in flight.
    Running,
    /// A manual or periodic savepoint, or a manual checkpoint, is in flight; the job keeps
    /// running.
    Savepointing,
    /// An operation (upgrade, suspend, restart, rollback, recovery, delete) is stopping the
    /// job: stop-with-savepoint, cancel, or nothing (last-state).
    Stopping,
    /// The operation deletes the cluster's resources and waits until they are gone.
    TearingDown,
    /// The job is suspended and the cluster is deleted; the restore plan says where it resumes.
    Suspended,
    /// Stopped deciding until the spec changes; `status.error` says why and what to do.
    Failed,
    /// The resource was deleted and the finalizer released.
    Deleted,
}

/// Why an operation was started.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum OperationKind {
    /// Roll out a spec change.
    Upgrade,
    /// Stop the job (`job.state: suspended`).
    Suspend,
    /// Restart without a spec change (`restartNonce`).
    Restart,
    /// Go back to the last stable spec after an upgrade that did not become healthy.
    Rollback,
    /// Bring a failed or lost job back from its newest savepoint/checkpoint.
    Recover,
    /// The resource is being deleted.
    Delete,
    /// A manual or periodic savepoint while the job keeps running.
    Savepoint,
    /// A manual checkpoint while the job keeps running.
    Checkpoint,
}

/// How the job is stopped before the cluster is torn down.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum StopMethod {
    /// Stop-with-savepoint; the savepoint becomes the restore point.
    Savepoint,
    /// Cancel without a savepoint (stateless, delete mode cancel, rollback).
    Cancel,
    /// last-state: cancel the job (checkpoints are retained on cancellation, so none newer can
    /// appear), then restore from the newest checkpoint (or savepoint) recorded in status.
    LastState,
    /// Nothing to stop (no running job, or delete mode none).
    None,
}

/// Which spec the cluster is (re)built from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum SpecSource {
    /// The resource's current `spec`.
    #[default]
    Desired,
    /// `status.reconciliationStatus.lastStableSpec` (a rollback).
    LastStable,
}

/// Kind of a restore point.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum RestoreKind {
    /// A savepoint.
    Savepoint,
    /// A retained checkpoint.
    Checkpoint,
    /// `job.initialSavepointPath` from the spec.
    Initial,
}

/// A savepoint or checkpoint the job can start from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestorePoint {
    /// Its location (Flink's external pointer).
    pub path: String,
    /// Savepoint, checkpoint, or the spec's initial savepoint.
    pub kind: RestoreKind,
    /// When it completed (absent for `initialSavepointPath`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<Time>,
}

/// Where the next start of the job takes its state from, written before any stop.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestorePlan {
    /// The restore point the next start uses; absent means empty state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestorePoint>,
    /// Older restore points, newest first, to fall back on by hand if `restore` is unusable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback: Vec<RestorePoint>,
    /// Why this plan, in words (e.g. "savepoint taken by the upgrade", "stateless: starts
    /// empty as upgradeMode says").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The plan drops the job's current state because the spec asks for it (upgradeMode
    /// stateless, or savepointRedeployNonce redeploying from initialSavepointPath). The machine
    /// never replaces such a plan with a newer recorded savepoint or checkpoint. Absent
    /// (false) for every plan that keeps state.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drops_state_as_asked: bool,
}

/// The operation in flight.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Why it was started.
    pub kind: OperationKind,
    /// How the job is stopped (for operations that stop it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopMethod>,
    /// Deterministic trigger id of the savepoint/checkpoint this operation asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_id: Option<String>,
    /// The spec hash the operation deploys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_spec_hash: Option<String>,
    /// Which spec the new cluster is built from.
    #[serde(default)]
    pub source: SpecSource,
    /// When the operation started.
    pub started_at: Time,
    /// The nonce this operation answers (savepoint/checkpoint/restart nonce), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<i64>,
    /// True for periodic savepoints.
    #[serde(default)]
    pub periodic: bool,
}

/// Job failures counted within a sliding window (for "N failures in a window → Failed").
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailureWindow {
    /// Failures since `windowStart`.
    pub count: u32,
    /// When the window began.
    pub window_start: Time,
    /// The last failure, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reason: Option<String>,
}

/// The newest checkpoint recorded in status, by id, and how fast the job completes them:
/// the operator polls a running job often enough that the recorded checkpoint is still
/// retained by Flink when a lost JobManager makes it the restore point.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointPace {
    /// The job the checkpoint belongs to.
    pub job_id: String,
    /// Flink's id of the recorded checkpoint.
    pub checkpoint_id: u64,
    /// When it completed, epoch milliseconds.
    pub completed_at_ms: i64,
    /// Milliseconds per completed checkpoint, measured between the last two recorded ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub millis_per_checkpoint: Option<u64>,
}

/// Retries of an operation that failed without harm (e.g. the savepoint before an upgrade).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryState {
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not before this time will the next attempt start.
    pub not_before: Time,
    /// The spec hash the attempts were for (a new spec starts over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_hash: Option<String>,
    /// The last failure, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reason: Option<String>,
}

/// A problem that does not stop the deployment (shown as the `Degraded` condition).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Degradation {
    /// CamelCase reason (e.g. `FlinkUnreachable`, `SavepointFailed`, `RolledBack`).
    pub reason: String,
    /// What happened and what the user can do.
    pub message: String,
    /// Since when.
    pub since: Time,
}

/// Nonces from the spec that were already acted on.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HandledNonces {
    /// Last `job.savepointTriggerNonce` answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint: Option<i64>,
    /// Last `job.checkpointTriggerNonce` answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<i64>,
    /// Last `restartNonce` answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<i64>,
    /// Last `job.savepointRedeployNonce` answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_redeploy: Option<i64>,
}

/// What the lifecycle state machine needs to resume after an operator restart: what it
/// waits for and since when, the operation in flight, the restore plan.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineStatus {
    /// The machine's leaf state; absent on a resource it has never seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<MachineState>,
    /// What the machine waits for, in words (e.g. "savepoint 3f2a… to complete").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<String>,
    /// Since when it waits for `waitingFor` (unchanged while the wait is the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<Time>,
    /// Since when it is in its current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Time>,
    /// When the current wait gives up and takes its documented exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Time>,
    /// The operation in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
    /// Where the next start takes its state from (written before any stop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_plan: Option<RestorePlan>,
    /// The savepoint (or checkpoint) taken before the current upgrade: the rollback's restore
    /// point, kept here so a rollback needs no Flink HA metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_upgrade_restore: Option<RestorePoint>,
    /// Hash of the spec at `generation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_hash: Option<String>,
    /// The `metadata.generation` `specHash` was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Hash of the spec the cluster was last deployed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_spec_hash: Option<String>,
    /// Hash of the last spec that ran stably (the rollback target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_spec_hash: Option<String>,
    /// Hash of a spec that was rolled back or blocked; it is not retried until the spec
    /// changes again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_spec_hash: Option<String>,
    /// Deployments so far; part of the deterministic job id.
    #[serde(default)]
    pub deploy_count: u64,
    /// Savepoint/checkpoint triggers so far; part of the deterministic trigger ids.
    #[serde(default)]
    pub trigger_count: u64,
    /// When the job was last seen entering RUNNING (for the stability window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_since: Option<Time>,
    /// Flink's restart count when the job was seen entering RUNNING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarts_at_start: Option<u32>,
    /// Job failures within the failure window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<FailureWindow>,
    /// Retries of a harmlessly failed operation and when the next may start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryState>,
    /// Since when Flink's REST API does not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_since: Option<Time>,
    /// The problem shown as the `Degraded` condition, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded: Option<Degradation>,
    /// Nonces already acted on.
    #[serde(default)]
    pub handled_nonces: HandledNonces,
    /// The JobManager pod's restart count when the job was last seen starting; a higher
    /// count means the JobManager was lost and its job restarted from a stale restore point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_manager_restarts: Option<u32>,
    /// The recorded checkpoint's id and the job's checkpoint pace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_pace: Option<CheckpointPace>,
    /// The generation that was current when the machine entered Failed; a newer one exits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_generation: Option<i64>,
}
