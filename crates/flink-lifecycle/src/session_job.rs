//! The FlinkSessionJob machine: a job submitted through REST to the session cluster named by
//! `spec.deploymentName` (no IO, no clock, no randomness).
//!
//! ```text
//! session_job::step(&spec, &status, &observation, now) -> SessionJobDecision { status, actions }
//! ```
//!
//! It is the FlinkDeployment machine (the same statig states, rules, ids and settings) driven
//! for a resource that owns no cluster; only three decisions differ:
//! - **Deploying submits**: once the session cluster is ready and Flink reports the job's fixed
//!   id unknown, [`Action::SubmitJob`]; then Running when Flink says RUNNING. A re-submit after
//!   a crash carries the same id, so Flink recognises it (the executor treats "already exists"
//!   as success) and the next observation reports the job.
//! - **TearingDown cancels**: after the Stopping phase (stop-with-savepoint or cancel per
//!   upgradeMode/deleteMode) the job must be terminal (or unknown to Flink) before the next
//!   submission, the suspend or the finalizer's release; a job still alive is cancelled.
//! - **The session cluster may be missing or not ready**: the machine waits for it, with a
//!   Warning event (once) and a `Degraded` condition (`SessionClusterMissing`,
//!   `NotASessionCluster`, `SessionClusterNotReady`); no deadline runs meanwhile, nothing
//!   fails. A job lost with its cluster is resubmitted from the newest recorded savepoint or
//!   checkpoint when the cluster is back.
//!
//! Differences from a FlinkDeployment, as in Apache's operator: `upgradeMode: last-state` acts
//! as `savepoint` (a session job has no HA metadata of its own to resume from); `deleteMode:
//! none` cancels the job (there is no cluster of its own whose deletion would end it). Not
//! (yet) for session jobs: automatic rollback (a failing upgrade is recovered or goes to
//! Failed). `spec.deploymentName` cannot change once the job was submitted.
//!
//! The status is [`FlinkSessionJobStatus`]: the same fields as a FlinkDeployment's minus the
//! cluster's, with the machine's bookkeeping in `status.machine`.
//!
//! ```
//! use flink_lifecycle::session_job::{self, SessionJobObservation};
//! use flink_lifecycle::{Action, JobObservation};
//!
//! let spec: flink_crd::FlinkSessionJobSpec = serde_json::from_value(serde_json::json!({
//!     "deploymentName": "session-a",
//!     "job": {"jarURI": "https://repo.example/job.jar", "parallelism": 2}
//! }))
//! .expect("a session job spec");
//! let mut obs = SessionJobObservation::new("uid-1", 1); // session cluster ready
//! obs.job = JobObservation::NotFound;
//! let now = "2026-01-01T00:00:00Z".parse().expect("a timestamp");
//! let decision = session_job::step(&spec, &Default::default(), &obs, now);
//! let id = decision.status.job_status.job_id.clone().expect("the job id is in status first");
//! assert!(decision.actions.iter().any(|a| matches!(a, Action::SubmitJob { job_id, .. } if *job_id == id)));
//! ```

use flink_crd::FlinkSessionJobSpec;
use flink_crd::status::{FlinkSessionJobStatus, MachineState};
use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::observation::{
    ClusterObservation, Component, JobObservation, Observation, TriggerObservation,
};
use crate::resource::Resource;
use crate::{Settings, ValidationError};

pub use crate::ids::session_job_hash as spec_hash;
pub use crate::validate::validate_session_job as validate;

/// The session cluster a session job runs on: the FlinkDeployment named by
/// `spec.deploymentName`, in the session job's namespace.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionCluster {
    /// No such FlinkDeployment (or it is being deleted).
    #[default]
    Missing,
    /// The FlinkDeployment has `spec.job`: an application cluster, not a session cluster.
    NotASessionCluster,
    /// The session cluster exists but is not ready (its `status.phase` is not Running, or its
    /// JobManager's REST API is not ready).
    NotReady,
    /// The session cluster is Running and its REST API answers.
    Ready,
}

/// Everything the session-job machine knows about the world for one step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionJobObservation {
    /// The session job's `metadata.uid` (part of every deterministic id).
    pub uid: String,
    /// The session job's `metadata.generation`.
    pub generation: i64,
    /// `metadata.deletionTimestamp` is set.
    #[serde(default)]
    pub deleting: bool,
    /// The operator's finalizer is in `metadata.finalizers`.
    #[serde(default)]
    pub has_finalizer: bool,
    /// The effective settings ([`Settings::resolve_session_job`]: the job's configuration
    /// over its session cluster's over the operator's defaults).
    #[serde(default)]
    pub settings: Settings,
    /// The session cluster named by `spec.deploymentName`.
    #[serde(default)]
    pub cluster: SessionCluster,
    /// The job `status.jobStatus.jobId` as the session cluster's REST API reports it
    /// (`NotAsked` when the cluster is not ready or no job id is in status yet).
    #[serde(default)]
    pub job: JobObservation,
    /// The savepoint/checkpoint trigger named in `status.machine.operation.triggerId`, if the
    /// operator asked Flink about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerObservation>,
    /// Why the last [`Action::SubmitJob`] of the job id in status failed, if it did (the jar
    /// could not be fetched or uploaded, Flink refused the program: its message). The
    /// machine shows it (`Degraded: SubmitFailed`, a Warning event), retries more slowly, and
    /// names it if the job is still not RUNNING at the readiness deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_error: Option<String>,
}

impl SessionJobObservation {
    /// An observation of a session job with nothing submitted yet (the finalizer present)
    /// and its session cluster ready: a starting point for tests and replays.
    pub fn new(uid: &str, generation: i64) -> Self {
        Self {
            uid: uid.to_string(),
            generation,
            deleting: false,
            has_finalizer: true,
            settings: Settings::default(),
            cluster: SessionCluster::Ready,
            job: JobObservation::NotAsked,
            trigger: None,
            submit_error: None,
        }
    }

    /// The machine's observation: the session cluster in the cluster's place.
    fn to_machine(&self) -> Observation {
        let component = match self.cluster {
            SessionCluster::Ready => Component::Ready,
            SessionCluster::NotReady => Component::Starting,
            SessionCluster::Missing | SessionCluster::NotASessionCluster => Component::Missing,
        };
        Observation {
            uid: self.uid.clone(),
            generation: self.generation,
            deleting: self.deleting,
            has_finalizer: self.has_finalizer,
            settings: self.settings.clone(),
            cluster: ClusterObservation {
                exists: component != Component::Missing,
                job_manager: component,
                task_manager: component,
                ..ClusterObservation::default()
            },
            job: self.job.clone(),
            trigger: self.trigger.clone(),
        }
    }
}

/// What the session-job machine decided: the status to persist FIRST, then the actions to
/// execute in order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SessionJobDecision {
    /// The complete new status (phase, Apache-compatible fields, conditions, `machine`).
    pub status: FlinkSessionJobStatus,
    /// The intents, in order; the last one is always [`Action::Requeue`].
    pub actions: Vec<Action>,
}

/// Decides one step of a FlinkSessionJob: given its spec, its persisted status, what the
/// operator observed and the current time, returns the new status and the actions.
///
/// Pure and deterministic: the same arguments always give the same decision.
pub fn step(
    spec: &FlinkSessionJobSpec,
    status: &FlinkSessionJobStatus,
    obs: &SessionJobObservation,
    now: Timestamp,
) -> SessionJobDecision {
    step_with_transitions(spec, status, obs, now).0
}

/// [`step`] that also reports the transitions it took, in order.
pub fn step_with_transitions(
    spec: &FlinkSessionJobSpec,
    status: &FlinkSessionJobStatus,
    obs: &SessionJobObservation,
    now: Timestamp,
) -> (SessionJobDecision, Vec<(MachineState, MachineState)>) {
    let mut errors = validate(spec, &obs.settings);
    errors.extend(moved(spec, status));
    let res = Resource::SessionJob {
        spec,
        cluster: obs.cluster,
        submit_error: obs.submit_error.as_deref(),
    };
    let machine_obs = obs.to_machine();
    let (decision, taken) = crate::decide(res, status.clone().into(), &machine_obs, now, errors);
    (
        SessionJobDecision {
            status: decision.status.into(),
            actions: decision.actions,
        },
        taken,
    )
}

/// `spec.deploymentName` changed after the job was submitted: the job would be left on the
/// old cluster without an owner.
fn moved(spec: &FlinkSessionJobSpec, status: &FlinkSessionJobStatus) -> Option<ValidationError> {
    if status.machine.deploy_count == 0 {
        return None;
    }
    let last: serde_json::Value = serde_json::from_str(
        status
            .reconciliation_status
            .last_reconciled_spec
            .as_deref()?,
    )
    .ok()?;
    let before = last.get("deploymentName")?.as_str()?;
    (before != spec.deployment_name).then(|| ValidationError {
        field: "spec.deploymentName".into(),
        message: format!(
            "cannot change from {before} to {} once the job was submitted; set it back, or delete this FlinkSessionJob and create it anew",
            spec.deployment_name
        ),
    })
}
