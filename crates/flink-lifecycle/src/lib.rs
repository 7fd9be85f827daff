//! The pure lifecycle state machine of flink-operator-rs: it decides everything and does
//! nothing (no IO, no clock, no randomness; `now` is an argument).
//!
//! ```text
//! step(&spec, &status, &observation, now) -> Decision { status, actions }
//! ```
//!
//! The operator observes the world into an [`Observation`], calls [`step`], persists
//! [`Decision::status`] (the whole status subresource), and only then executes
//! [`Decision::actions`] in order. Every action is idempotent and every id is derived from the
//! resource's uid and counters in status, so a crash between any two of these leads to the
//! same outcome when the next step replays from the persisted status.
//!
//! FlinkSessionJobs run the same machine through [`session_job::step`]: their job is submitted
//! to a session cluster ([`Action::SubmitJob`]) instead of a cluster being applied; see that
//! module for what differs.
//!
//! The machine works directly on the CRD crate's `FlinkDeploymentSpec` and
//! `FlinkDeploymentStatus` (no mirror types): the status *is* the machine's memory, with its
//! own bookkeeping under `status.machine` ([`flink_crd::status::MachineStatus`]) beside the
//! Apache-compatible fields it keeps up to date. See `README.md` for driving it from your own
//! executor and replaying a recorded status, and `docs/state-machine.md` for the diagram.
//!
//! ```
//! use flink_lifecycle::{step, Action, Observation, Settings};
//! use flink_crd::{FlinkDeploymentSpec, FlinkVersion, JobSpec};
//! use flink_crd::status::FlinkDeploymentStatus;
//!
//! let spec = FlinkDeploymentSpec {
//!     flink_version: Some(FlinkVersion::V1_20),
//!     job: Some(JobSpec::default()),
//!     ..Default::default()
//! };
//! let obs = Observation::new("uid-1", 1);
//! let now = "2026-01-01T00:00:00Z".parse().expect("a timestamp");
//! let decision = step(&spec, &FlinkDeploymentStatus::default(), &obs, now);
//! assert!(matches!(decision.actions[1], Action::ApplyCluster { .. }));
//! assert!(matches!(decision.actions.last(), Some(Action::Requeue { .. })));
//! ```

mod action;
pub mod diagram;
mod hash_view;
mod ids;
mod machine;
mod observation;
mod project;
mod resource;
mod rules;
pub mod session_job;
mod settings;
mod validate;

use flink_crd::FlinkDeploymentSpec;
use flink_crd::status::{FlinkDeploymentStatus, MachineState};
use k8s_openapi::jiff::Timestamp;

pub use action::{Action, Decision, EventKind, RestoreKind, RestorePoint, SpecSource};
pub use ids::{job_id, session_job_hash, spec_hash, trigger_id};
pub use observation::{
    ClusterObservation, CompletedSnapshot, Component, FlinkJobState, JobFacts, JobObservation,
    Observation, PodFailure, TriggerObservation, TriggerStatus,
};
pub use settings::{Settings, parse_duration};
pub use validate::{ValidationError, validate, validate_session_job};

/// The flat configuration keys [`Settings`] reads.
pub mod keys {
    pub use crate::settings::{
        CHECKPOINT_DIR_KEYS, FAILURE_MAX_COUNT, FAILURE_WINDOW, PERIODIC_SAVEPOINT_INTERVAL,
        READINESS_TIMEOUT, ROLLBACK_ENABLED, SAVEPOINT_DIR_KEYS, SAVEPOINT_HISTORY_MAX,
        SAVEPOINT_MAX_RETRIES, SAVEPOINT_TIMEOUT, STABILITY_WINDOW, STEADY_INTERVAL,
        TEARDOWN_TIMEOUT, UPGRADE_MAX_RESTARTS,
    };
}

impl Observation {
    /// An observation of a resource with nothing deployed yet (the finalizer present):
    /// a starting point for tests and replays.
    pub fn new(uid: &str, generation: i64) -> Self {
        Self {
            uid: uid.to_string(),
            generation,
            deleting: false,
            has_finalizer: true,
            settings: Settings::default(),
            cluster: ClusterObservation::default(),
            job: JobObservation::NotAsked,
            trigger: None,
        }
    }
}

/// Decides one step: given the resource's spec, its persisted status, what the operator
/// observed and the current time, returns the new status and the actions to carry out.
///
/// Pure and deterministic: the same arguments always give the same [`Decision`].
pub fn step(
    spec: &FlinkDeploymentSpec,
    status: &FlinkDeploymentStatus,
    obs: &Observation,
    now: Timestamp,
) -> Decision {
    step_traced(spec, status, obs, now).0
}

/// [`step`], also returning the transitions taken (for the transition-table test).
pub(crate) fn step_traced(
    spec: &FlinkDeploymentSpec,
    status: &FlinkDeploymentStatus,
    obs: &Observation,
    now: Timestamp,
) -> (Decision, Vec<(MachineState, MachineState)>) {
    let errors = validate(spec, &obs.settings);
    decide(
        resource::Resource::Deployment(spec),
        status.clone(),
        obs,
        now,
        errors,
    )
}

/// One step of the machine for either kind of resource, on a working copy of its status.
pub(crate) fn decide(
    res: resource::Resource<'_>,
    status: FlinkDeploymentStatus,
    obs: &Observation,
    now: Timestamp,
    errors: Vec<ValidationError>,
) -> (Decision, Vec<(MachineState, MachineState)>) {
    let mut ctx = rules::Ctx::new(res, status, obs, now);
    ctx.prelude(errors);
    let state = match ctx.st.machine.state {
        Some(s) => s,
        None => ctx.first_sight(),
    };
    machine::run(state, &mut ctx, obs);
    if ctx.st.machine.waiting_for != ctx.waiting_before {
        ctx.st.machine.waiting_since = ctx
            .st
            .machine
            .waiting_for
            .as_ref()
            .map(|_| k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now));
    }
    ctx.project();
    let after = if ctx.requeue == u64::MAX {
        obs.settings.steady_interval_secs
    } else {
        ctx.requeue
    };
    ctx.actions.push(Action::Requeue { after_secs: after });
    (
        Decision {
            status: ctx.st,
            actions: ctx.actions,
        },
        ctx.taken,
    )
}

/// [`step`] that also reports the transitions it took, in order (for tools and tests that
/// check the transition table).
pub fn step_with_transitions(
    spec: &FlinkDeploymentSpec,
    status: &FlinkDeploymentStatus,
    obs: &Observation,
    now: Timestamp,
) -> (Decision, Vec<(MachineState, MachineState)>) {
    step_traced(spec, status, obs, now)
}
