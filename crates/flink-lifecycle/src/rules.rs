//! The decisions of each state, on the step's working context (no IO).
//!
//! One `impl Ctx` method per state of [`crate::machine`]; each reads the observation and the
//! working status, writes the status and pushes actions, and returns where to go next.

use flink_crd::status::{
    Degradation, FailureWindow, FlinkDeploymentStatus, MachineState, Operation, OperationKind,
    ReconciliationState, RestoreKind, RestorePlan, RestorePoint, RetryState, Savepoint,
    SnapshotFormatType, SnapshotTriggerType, SpecSource, StopMethod,
};
use flink_crd::{DeleteMode, JobSpec, JobState, UpgradeMode};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use statig::prelude::*;

use crate::action::{Action, EventKind};
use crate::ids;
use crate::machine::{State, go, job_in, secs_between};
use crate::observation::{
    Component, FlinkJobState, JobFacts, JobObservation, Observation, TriggerStatus,
};
use crate::resource::Resource;
use crate::session_job::SessionCluster;

mod checkpoints;
mod session;

/// Poll interval while something is in progress.
const POLL_SECS: u64 = 5;
/// Poll interval while waiting for Kubernetes (its watches wake the operator sooner).
const START_POLL_SECS: u64 = 10;
/// Poll interval of a wait on Flink alone (no watch reports a job turning RUNNING or a
/// trigger completing), for the first [`FLINK_FAST_SECS`] of it: Flink usually needs well under
/// that, and the operator should add at most about a second to each lifecycle step.
const FLINK_POLL_SECS: u64 = 1;
/// How long a wait on Flink is polled every [`FLINK_POLL_SECS`] before [`POLL_SECS`].
const FLINK_FAST_SECS: i64 = 20;
/// Requeue of resting states that only a spec change moves (Suspended, Failed, Deleted).
const IDLE_SECS: u64 = 300;
/// Longest backoff while Flink is unreachable.
const MAX_BACKOFF_SECS: u64 = 300;
/// First retry delay of a harmlessly failed operation (doubles per attempt).
const RETRY_BASE_SECS: u64 = 30;
/// Event and `Degraded` reason: our job runs again after its stop captured its state.
const RESUMED_AFTER_STOP: &str = "JobResumedAfterStop";

/// The working context of one step.
pub(crate) struct Ctx<'a> {
    pub res: Resource<'a>,
    pub obs: &'a Observation,
    pub now: Timestamp,
    pub st: FlinkDeploymentStatus,
    pub actions: Vec<Action>,
    pub requeue: u64,
    /// What the previous step waited for (moved out of the status: each step says it anew).
    pub waiting_before: Option<String>,
    pub transitioned: bool,
    pub invalid: Option<String>,
    /// The transitions taken, in order (for the transition-table test).
    pub taken: Vec<(MachineState, MachineState)>,
    /// The job id of deployment `st.machine.deployCount` (hashing it is not free and many
    /// rules ask), kept in step by `begin_deploy`.
    current_job_id: Option<String>,
    /// `begin_deploy` counted a new deployment in this step: Flink cannot know its job id yet
    /// (the status naming it was never persisted, so nothing was submitted with it).
    pub(crate) minted_job_id: bool,
}

fn time(ts: Timestamp) -> Time {
    Time(ts)
}

fn millis(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn describe(restore: Option<&RestorePoint>) -> String {
    match restore {
        Some(r) => format!("{} {}", kind_word(r.kind), r.path),
        None => "empty state".to_string(),
    }
}

fn pod_text(p: &crate::observation::PodFailure) -> String {
    if p.message.is_empty() {
        p.reason.clone()
    } else {
        format!("{} ({})", p.reason, p.message)
    }
}

/// The pieces joined into one string with a single allocation: `format!` costs several
/// times more, and a few messages are built on every upgrade step.
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// An upgrade mode as events name it (its `Debug` form).
fn mode_word(mode: UpgradeMode) -> &'static str {
    match mode {
        UpgradeMode::Stateless => "Stateless",
        UpgradeMode::Savepoint => "Savepoint",
        UpgradeMode::LastState => "LastState",
    }
}

fn kind_word(kind: RestoreKind) -> &'static str {
    match kind {
        RestoreKind::Savepoint => "savepoint",
        RestoreKind::Checkpoint => "checkpoint",
        RestoreKind::Initial => "initialSavepointPath",
    }
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        res: Resource<'a>,
        mut status: FlinkDeploymentStatus,
        obs: &'a Observation,
        now: Timestamp,
    ) -> Self {
        let waiting_before = status.machine.waiting_for.take();
        let current_job_id = (res.job().is_some() && status.machine.deploy_count > 0)
            .then(|| ids::job_id(&obs.uid, status.machine.deploy_count));
        Self {
            current_job_id,
            minted_job_id: false,
            res,
            obs,
            now,
            st: status,
            actions: Vec::new(),
            requeue: u64::MAX,
            waiting_before,
            transitioned: false,
            invalid: None,
            taken: Vec::new(),
        }
    }

    // ----- small helpers -----

    pub(crate) fn job(&self) -> Option<&'a JobSpec> {
        self.res.job()
    }

    /// The resource has a job (an application cluster or a session job).
    pub(crate) fn is_app(&self) -> bool {
        self.res.job().is_some()
    }

    /// The upgrade mode in force. A session job's `last-state` acts as `savepoint`: without
    /// a cluster of its own there are no HA metadata to resume from, as in Apache's operator.
    pub(crate) fn upgrade_mode(&self) -> UpgradeMode {
        match self.job().map(|j| j.upgrade_mode).unwrap_or_default() {
            UpgradeMode::LastState if self.res.session().is_some() => UpgradeMode::Savepoint,
            mode => mode,
        }
    }

    fn stateful(&self) -> bool {
        self.upgrade_mode() != UpgradeMode::Stateless
    }

    fn desired_hash(&self) -> String {
        self.desired().to_string()
    }

    /// The desired spec hash, borrowed (for comparisons: no copy).
    fn desired(&self) -> &str {
        self.st.machine.spec_hash.as_deref().unwrap_or_default()
    }

    fn job_id(&self) -> Option<String> {
        self.current_job_id.clone()
    }

    /// The current job id, borrowed (for comparisons: no copy).
    fn current_job(&self) -> Option<&str> {
        self.current_job_id.as_deref()
    }

    fn facts(&self) -> Option<&'a JobFacts> {
        match &self.obs.job {
            JobObservation::Found(f) if Some(f.id.as_str()) == self.current_job_id.as_deref() => {
                Some(f)
            }
            _ => None,
        }
    }

    fn job_is(&self, state: FlinkJobState) -> bool {
        job_in(self.obs, self.current_job_id.as_deref(), state)
    }

    pub(crate) fn event(&mut self, kind: EventKind, reason: &str, message: String) {
        self.actions.push(Action::RecordEvent {
            kind,
            reason: reason.to_string(),
            message,
        });
    }

    fn requeue(&mut self, secs: u64) {
        self.requeue = self.requeue.min(secs.max(1));
    }

    fn wait(&mut self, what: String, poll: u64) {
        self.st.machine.waiting_for = Some(what);
        self.requeue(poll);
    }

    /// Waits on a change inside Flink: polled every second at first, then every [`POLL_SECS`].
    fn wait_on_flink(&mut self, what: String) {
        let waited = match (&self.waiting_before, &self.st.machine.waiting_since) {
            (Some(before), Some(since)) if *before == what => secs_between(since.0, self.now),
            _ => 0,
        };
        let poll = if waited < FLINK_FAST_SECS {
            FLINK_POLL_SECS
        } else {
            POLL_SECS
        };
        self.wait(what, poll);
    }

    fn degrade(&mut self, reason: &str, message: String) {
        let since = match &self.st.machine.degraded {
            Some(d) if d.reason == reason => d.since.clone(),
            _ => time(self.now),
        };
        self.st.machine.degraded = Some(Degradation {
            reason: reason.to_string(),
            message,
            since,
        });
    }

    fn past_deadline(&self) -> bool {
        matches!(&self.st.machine.deadline, Some(d) if self.now >= d.0)
    }

    fn waited_secs(&self) -> i64 {
        self.st
            .machine
            .since
            .as_ref()
            .map(|s| secs_between(s.0, self.now))
            .unwrap_or(0)
    }

    fn last_savepoint(&self) -> Option<RestorePoint> {
        let sp = self.st.job_status.savepoint_info.last_savepoint.as_ref()?;
        Some(RestorePoint {
            path: sp.location.clone(),
            kind: RestoreKind::Savepoint,
            taken_at: Timestamp::from_millisecond(sp.time_stamp).ok().map(time),
        })
    }

    fn last_checkpoint(&self) -> Option<RestorePoint> {
        let cp = self
            .st
            .job_status
            .checkpoint_info
            .last_checkpoint
            .as_ref()?;
        Some(RestorePoint {
            path: cp.location.clone()?,
            kind: RestoreKind::Checkpoint,
            taken_at: Timestamp::from_millisecond(cp.time_stamp).ok().map(time),
        })
    }

    /// Known restore points, newest first.
    fn restore_points(&self) -> Vec<RestorePoint> {
        let mut points: Vec<RestorePoint> = [self.last_savepoint(), self.last_checkpoint()]
            .into_iter()
            .flatten()
            .collect();
        points.sort_by(|a, b| {
            let ta = a.taken_at.as_ref().map(|t| t.0);
            let tb = b.taken_at.as_ref().map(|t| t.0);
            tb.cmp(&ta)
        });
        points
    }

    /// The restore point the restore plan in status names (`None`: empty state).
    fn planned_restore(&self) -> Option<RestorePoint> {
        self.st
            .machine
            .restore_plan
            .as_ref()
            .and_then(|p| p.restore.clone())
    }

    fn newest_plan(&self, reason: &str) -> RestorePlan {
        let mut points = self.restore_points();
        let restore = (!points.is_empty()).then(|| points.remove(0));
        RestorePlan {
            restore,
            fallback: points,
            reason: Some(reason.to_string()),
            drops_state_as_asked: false,
        }
    }

    // ----- step prelude and bookkeeping -----

    /// Records facts that are not decisions of one state: spec hash per generation,
    /// validation, the newest checkpoint, reachability, the finalizer.
    pub(crate) fn prelude(&mut self, errors: Vec<crate::ValidationError>) {
        let generation = self.obs.generation;
        if self.st.machine.generation != Some(generation) || self.st.machine.spec_hash.is_none() {
            self.st.machine.generation = Some(generation);
            self.st.machine.spec_hash = Some(self.res.spec_hash());
        }
        self.st.observed_generation = Some(generation);
        if !errors.is_empty() {
            let msg: Vec<String> = errors.iter().map(ToString::to_string).collect();
            self.invalid = Some(format!("invalid spec: {}", msg.join("; ")));
        }
        self.record_checkpoint();
        match &self.obs.job {
            JobObservation::Unreachable { .. } => {
                if self.st.machine.unreachable_since.is_none() {
                    self.st.machine.unreachable_since = Some(time(self.now));
                }
            }
            JobObservation::Found(_) | JobObservation::NotFound => {
                self.st.machine.unreachable_since = None
            }
            JobObservation::NotAsked => {}
        }
        if !self.obs.deleting && !self.obs.has_finalizer {
            self.actions.push(Action::AddFinalizer);
        }
        self.st.machine.waiting_for = None;
    }

    /// A brand-new resource: the first deployment (or straight to Suspended).
    pub(crate) fn first_sight(&mut self) -> MachineState {
        let handled = flink_crd::status::HandledNonces {
            savepoint: self.job().and_then(|j| j.savepoint_trigger_nonce),
            checkpoint: self.job().and_then(|j| j.checkpoint_trigger_nonce),
            restart: self.res.restart_nonce(),
            savepoint_redeploy: self.job().and_then(|j| j.savepoint_redeploy_nonce),
        };
        self.st.machine.handled_nonces = handled;
        let initial = self.job().and_then(|j| j.initial_savepoint_path.clone());
        self.st.machine.restore_plan = Some(RestorePlan {
            restore: initial.map(|path| RestorePoint {
                path,
                kind: RestoreKind::Initial,
                taken_at: None,
            }),
            fallback: Vec::new(),
            reason: Some("first deployment: initialSavepointPath if set, else empty state".into()),
            drops_state_as_asked: false,
        });
        self.st.machine.since = Some(time(self.now));
        if self.obs.deleting {
            self.st.machine.state = Some(MachineState::TearingDown);
            self.st.machine.operation =
                Some(self.op(OperationKind::Delete, Some(StopMethod::None)));
            return MachineState::TearingDown;
        }
        if self.job().map(|j| j.state) == Some(JobState::Suspended) {
            self.event(
                EventKind::Normal,
                "Suspended",
                "created suspended: nothing deployed until job.state is running".into(),
            );
            self.st.machine.state = Some(MachineState::Suspended);
            return MachineState::Suspended;
        }
        if self.invalid.is_some() {
            self.st.machine.state = Some(MachineState::Deploying);
            return MachineState::Deploying;
        }
        self.begin_deploy();
        self.st.machine.state = Some(MachineState::Deploying);
        self.st.machine.deadline = Some(time(
            self.now + SignedDuration::from_secs(self.obs.settings.readiness_timeout_secs as i64),
        ));
        MachineState::Deploying
    }

    /// Called by the machine after every transition.
    pub(crate) fn entered(&mut self, from: MachineState, to: MachineState) {
        self.transitioned = true;
        self.taken.push((from, to));
        let s = &self.obs.settings;
        let timeout = match to {
            MachineState::Deploying => Some(s.readiness_timeout_secs),
            MachineState::Savepointing | MachineState::Stopping => Some(s.savepoint_timeout_secs),
            MachineState::TearingDown => Some(s.teardown_timeout_secs),
            _ => None,
        };
        let ms = &mut self.st.machine;
        ms.state = Some(to);
        ms.since = Some(time(self.now));
        ms.waiting_for = None;
        ms.deadline = timeout.map(|t| time(self.now + SignedDuration::from_secs(t as i64)));
    }

    fn op(&self, kind: OperationKind, stop: Option<StopMethod>) -> Operation {
        Operation {
            kind,
            stop,
            trigger_id: None,
            target_spec_hash: Some(self.desired_hash()),
            source: SpecSource::Desired,
            started_at: time(self.now),
            nonce: None,
            periodic: false,
        }
    }

    fn next_trigger_id(&mut self) -> String {
        self.st.machine.trigger_count += 1;
        ids::trigger_id(&self.obs.uid, self.st.machine.trigger_count)
    }

    // ----- the superstate -----

    pub(crate) fn needs_preempt(&self) -> bool {
        let deleting_op =
            self.st.machine.operation.as_ref().map(|o| o.kind) == Some(OperationKind::Delete);
        (self.obs.deleting && !deleting_op)
            || (self.invalid.is_some()
                && !self.obs.deleting
                && self.st.machine.state != Some(MachineState::Failed))
    }

    /// A resource deleted while its job is being stopped or its cluster torn down keeps the
    /// stop in flight (a stop-with-savepoint is what a delete wants too): the operation becomes
    /// the delete and the state goes on with this very step, so a replayed step does the same.
    pub(crate) fn adopt_deletion(&mut self) {
        if !self.obs.deleting {
            return;
        }
        let Some(op) = self.st.machine.operation.as_mut() else {
            return;
        };
        if op.kind == OperationKind::Delete {
            return;
        }
        op.kind = OperationKind::Delete;
        let msg = format!(
            "resource deleted during an operation: finishing its stop, then {}",
            self.teardown_words()
        );
        self.event(EventKind::Normal, "Deleting", msg);
    }

    /// Deletion, then an invalid spec, pre-empt any state.
    pub(crate) fn preempt(&mut self) -> Outcome<State> {
        if self.obs.deleting {
            self.event(
                EventKind::Normal,
                "Deleting",
                format!(
                    "resource deleted: stopping the job per deleteMode, then {}",
                    self.teardown_words()
                ),
            );
            return self.start_operation(OperationKind::Delete);
        }
        if let Some(msg) = self.invalid.clone() {
            return self.fail(msg);
        }
        Super
    }

    /// What TearingDown does, in words.
    fn teardown_words(&self) -> &'static str {
        if self.res.session().is_some() {
            "releasing the finalizer"
        } else {
            "deleting the cluster"
        }
    }

    fn fail(&mut self, message: String) -> Outcome<State> {
        self.event(EventKind::Warning, "Failed", message.clone());
        self.st.error = Some(message);
        self.st.machine.failed_generation = Some(self.obs.generation);
        self.st.machine.operation = None;
        go(MachineState::Failed)
    }

    // ----- operations -----

    fn stop_method(&self, kind: OperationKind) -> StopMethod {
        let running = self.is_app() && self.job_is(FlinkJobState::Running);
        if !running {
            return StopMethod::None;
        }
        match kind {
            OperationKind::Delete => match self.job().map(|j| j.effective_delete_mode()) {
                Some(DeleteMode::Savepoint) if self.obs.settings.savepoint_dir.is_some() => {
                    StopMethod::Savepoint
                }
                // A session job has no cluster of its own whose deletion would end it: it is
                // cancelled rather than left running without an owner.
                Some(DeleteMode::None) if self.res.session().is_none() => StopMethod::None,
                _ => StopMethod::Cancel,
            },
            OperationKind::Rollback => StopMethod::Cancel,
            OperationKind::Recover | OperationKind::Savepoint | OperationKind::Checkpoint => {
                StopMethod::None
            }
            OperationKind::Upgrade | OperationKind::Suspend | OperationKind::Restart => {
                match self.upgrade_mode() {
                    UpgradeMode::Savepoint => StopMethod::Savepoint,
                    UpgradeMode::LastState
                        if self.last_checkpoint().is_some() || self.last_savepoint().is_some() =>
                    {
                        StopMethod::LastState
                    }
                    UpgradeMode::LastState => StopMethod::Savepoint,
                    UpgradeMode::Stateless => StopMethod::Cancel,
                }
            }
        }
    }

    /// Writes the operation and its restore plan (before any stop), then goes to Stopping or
    /// TearingDown.
    fn start_operation(&mut self, kind: OperationKind) -> Outcome<State> {
        let stop = self.stop_method(kind);
        let mut op = self.op(kind, Some(stop));
        let plan = match (kind, stop) {
            (OperationKind::Rollback, _) => {
                op.source = SpecSource::LastStable;
                op.target_spec_hash = self.st.machine.stable_spec_hash.clone();
                let restore = self.st.machine.pre_upgrade_restore.clone();
                // Without a pre-upgrade point a rollback is only allowed when stateless; say so,
                // so the plan reads as the user's choice if the spec turns stateful meanwhile.
                let as_asked = restore.is_none() && !self.stateful();
                let reason = if as_asked {
                    "rollback: the last stable spec from empty state (upgradeMode stateless), as asked"
                } else {
                    "rollback: the last stable spec from the restore point taken before the upgrade"
                };
                RestorePlan {
                    restore,
                    fallback: self.restore_points(),
                    reason: Some(reason.into()),
                    drops_state_as_asked: as_asked,
                }
            }
            (_, StopMethod::Savepoint) => {
                let trigger = self.next_trigger_id();
                let reason = concat(&[
                    "the savepoint stop-with-savepoint ",
                    short(&trigger),
                    " is taking; if it fails the job keeps running",
                ]);
                op.trigger_id = Some(trigger);
                RestorePlan {
                    restore: None,
                    fallback: self.restore_points(),
                    reason: Some(reason),
                    drops_state_as_asked: false,
                }
            }
            (OperationKind::Upgrade, _) if self.redeploy_nonce_changed() => RestorePlan {
                restore: self.job().and_then(|j| j.initial_savepoint_path.clone()).map(|path| RestorePoint {
                    path,
                    kind: RestoreKind::Initial,
                    taken_at: None,
                }),
                fallback: self.restore_points(),
                reason: Some("savepointRedeployNonce changed: redeploy from initialSavepointPath, dropping the current state as asked".into()),
                drops_state_as_asked: true,
            },
            _ if self.stateful() && self.is_app() => self.newest_plan("newest recorded savepoint or checkpoint"),
            _ => RestorePlan {
                restore: None,
                fallback: self.restore_points(),
                reason: Some(if self.is_app() {
                    "upgradeMode stateless: the job starts from empty state, as asked".into()
                } else {
                    "session cluster: no job state".into()
                }),
                drops_state_as_asked: self.is_app(),
            },
        };
        let mut plan = plan;
        plan.fallback.retain(|p| Some(p) != plan.restore.as_ref());
        if kind == OperationKind::Upgrade {
            self.st.machine.handled_nonces.savepoint_redeploy =
                self.job().and_then(|j| j.savepoint_redeploy_nonce);
        }
        if kind == OperationKind::Restart {
            self.st.machine.handled_nonces.restart = self.res.restart_nonce();
        }
        if matches!(kind, OperationKind::Upgrade | OperationKind::Restart)
            && stop != StopMethod::Savepoint
        {
            self.st.machine.pre_upgrade_restore = plan.restore.clone();
        }
        self.st.machine.restore_plan = Some(plan);
        self.st.machine.operation = Some(op);
        match stop {
            StopMethod::Savepoint | StopMethod::Cancel | StopMethod::LastState => {
                go(MachineState::Stopping)
            }
            StopMethod::None => go(MachineState::TearingDown),
        }
    }

    fn redeploy_nonce_changed(&self) -> bool {
        let n = self.job().and_then(|j| j.savepoint_redeploy_nonce);
        n.is_some() && n != self.st.machine.handled_nonces.savepoint_redeploy
    }

    /// Counts up the deployment, fixes the job id and records what is deployed.
    fn begin_deploy(&mut self) {
        let op = self.st.machine.operation.clone();
        let source = op.as_ref().map(|o| o.source).unwrap_or_default();
        let target = match source {
            SpecSource::Desired => self.desired_hash(),
            SpecSource::LastStable => self.st.machine.stable_spec_hash.clone().unwrap_or_default(),
        };
        self.refresh_restore_plan();
        self.st.machine.deploy_count += 1;
        self.minted_job_id = true;
        self.current_job_id = self
            .is_app()
            .then(|| ids::job_id(&self.obs.uid, self.st.machine.deploy_count));
        self.st.machine.deployed_spec_hash = Some(target.clone());
        self.st.machine.running_since = None;
        self.st.machine.restarts_at_start = None;
        self.st.machine.job_manager_restarts = None;
        let rs = &mut self.st.reconciliation_status;
        rs.reconciliation_timestamp = millis(self.now);
        match source {
            SpecSource::Desired => {
                rs.last_reconciled_spec = self.res.spec_json();
                rs.state = if op.as_ref().map(|o| o.kind) == Some(OperationKind::Upgrade) {
                    ReconciliationState::Upgrading
                } else {
                    ReconciliationState::Deployed
                };
            }
            SpecSource::LastStable => {
                rs.last_reconciled_spec = rs.last_stable_spec.clone();
                rs.state = ReconciliationState::RollingBack;
            }
        }
        let restore = self.planned_restore();
        self.st.job_status.job_id = self.job_id();
        self.st.job_status.upgrade_savepoint_path = restore.as_ref().map(|r| r.path.clone());
        let what = match self.job_id() {
            Some(id) => format!("job {} from {}", short(&id), describe(restore.as_ref())),
            None => "session cluster".into(),
        };
        let message = match self.res.session() {
            Some((spec, _)) => format!(
                "submitting spec {target} to session cluster {}: {what}",
                spec.deployment_name
            ),
            None => format!("deploying spec {target}: {what}"),
        };
        self.event(EventKind::Normal, "Deploying", message);
    }

    /// Deploying's bookkeeping, before anything is applied or submitted: a spec change before
    /// the job ever ran retargets the deployment (the restore plan is unchanged); a resource
    /// never deployed (Failed by validation, fixed on a new generation) deploys now. Returns
    /// the spec source of the deployment.
    fn retarget(&mut self) -> SpecSource {
        let source = self
            .st
            .machine
            .operation
            .as_ref()
            .map(|o| o.source)
            .unwrap_or_default();
        let desired = self.desired_hash();
        if source == SpecSource::Desired
            && self.st.machine.deployed_spec_hash.as_deref() != Some(desired.as_str())
            && self.st.machine.rejected_spec_hash.as_deref() != Some(desired.as_str())
            && self.st.machine.deploy_count > 0
        {
            self.st.machine.deployed_spec_hash = Some(desired);
            self.st.reconciliation_status.last_reconciled_spec = self.res.spec_json();
        }
        if self.st.machine.deploy_count == 0 {
            self.begin_deploy();
        }
        source
    }

    // ----- states -----

    pub(crate) fn deploying(&mut self) -> Outcome<State> {
        if self.res.session().is_some() {
            return self.submitting();
        }
        let source = self.retarget();
        let target = self
            .st
            .machine
            .deployed_spec_hash
            .clone()
            .unwrap_or_default();
        let cluster = &self.obs.cluster;
        // A Deployment missing from a cluster of the right spec is an apply cut short (the
        // operator died between its writes): applying again completes it.
        let incomplete =
            cluster.job_manager == Component::Missing || cluster.task_manager == Component::Missing;
        if !cluster.exists || incomplete || cluster.spec_hash.as_deref() != Some(target.as_str()) {
            self.refresh_restore_plan();
            let restore = self.planned_restore();
            self.actions.push(Action::ApplyCluster {
                source,
                spec_hash: target.clone(),
                job_id: self.job_id(),
                restore,
                allow_non_restored_state: self
                    .job()
                    .and_then(|j| j.allow_non_restored_state)
                    .unwrap_or(false),
            });
        }
        if let Some(pf) = cluster.pod_failure.clone() {
            if pf.is_fatal() {
                return self.deploy_failed(format!("a pod cannot start: {}", pod_text(&pf)));
            }
            self.degrade("PodFailing", format!("a pod is failing: {}", pod_text(&pf)));
        }
        if !self.is_app() {
            if cluster.ready() && cluster.spec_hash.as_deref() == Some(target.as_str()) {
                return self.deployed();
            }
        } else if let Some(verdict) = self.start_verdict(&[FlinkJobState::Running]) {
            return verdict;
        }
        if self.past_deadline() {
            let waited = self.waited_secs();
            return self.deploy_failed(format!("not ready after {waited}s (deadline kubernetes.operator.deployment.readiness.timeout)"));
        }
        match self.job_id() {
            Some(id) if cluster.ready() => {
                self.wait_on_flink(format!("job {} to be RUNNING", short(&id)));
            }
            _ => self.wait("cluster to be ready".into(), START_POLL_SECS),
        }
        Handled
    }

    /// A starting job's verdict: Running once Flink reports one of the `started` states,
    /// a failed deployment if it FAILED or restarted too often; `None` while it still starts.
    fn start_verdict(&mut self, started: &[FlinkJobState]) -> Option<Outcome<State>> {
        let f = self.facts()?;
        if started.contains(&f.state) {
            return Some(self.deployed());
        }
        let why = match f.state {
            FlinkJobState::Failed => format!(
                "job failed while starting: {}",
                f.failure.as_deref().unwrap_or("no cause reported")
            ),
            _ if f.restarts > self.obs.settings.upgrade_max_restarts => {
                format!("job restarted {} times while starting", f.restarts)
            }
            _ => return None,
        };
        Some(self.deploy_failed(why))
    }

    /// Before a JobManager is (re)created for a stateful job: if a savepoint or checkpoint
    /// newer than the restore plan's point was recorded after the plan was made (the job kept
    /// checkpointing during a teardown that did not stop it, or this deployment's job
    /// checkpointed before its cluster had to be re-applied), start from that instead of the
    /// stale plan. Plans that drop state as asked and rollbacks are left alone.
    fn refresh_restore_plan(&mut self) {
        let source = self.st.machine.operation.as_ref().map(|o| o.source);
        if !self.stateful() || !self.is_app() || source == Some(SpecSource::LastStable) {
            return;
        }
        let Some(newest) = self.restore_points().into_iter().next() else {
            return;
        };
        let Some(plan) = self.st.machine.restore_plan.as_ref() else {
            return;
        };
        if plan.drops_state_as_asked {
            return;
        }
        let planned_at = plan
            .restore
            .as_ref()
            .and_then(|r| r.taken_at.as_ref().map(|t| t.0));
        let newest_at = newest.taken_at.as_ref().map(|t| t.0);
        // By path: the plan keeps its point's time in whole seconds (a Kubernetes `Time`),
        // status keeps a checkpoint's in milliseconds.
        if plan.restore.as_ref().is_some_and(|r| r.path == newest.path) || newest_at <= planned_at {
            return;
        }
        let mut fresh = self.newest_plan(
            "a savepoint or checkpoint newer than the planned one was recorded before the JobManager was (re)created",
        );
        if let Some(old) = plan.restore.clone()
            && !fresh.fallback.contains(&old)
        {
            fresh.fallback.push(old);
        }
        self.st.job_status.upgrade_savepoint_path = Some(newest.path.clone());
        self.st.machine.restore_plan = Some(fresh);
    }

    fn deployed(&mut self) -> Outcome<State> {
        let op = self.st.machine.operation.take();
        self.st.machine.running_since = Some(time(self.now));
        self.st.machine.restarts_at_start = Some(self.facts().map(|f| f.restarts).unwrap_or(0));
        self.st.machine.job_manager_restarts = Some(self.obs.cluster.job_manager_restarts);
        self.st.machine.degraded = None;
        self.st.error = None;
        let kind = op.as_ref().map(|o| o.kind);
        if kind == Some(OperationKind::Rollback) {
            self.st.reconciliation_status.state = ReconciliationState::RolledBack;
            self.degrade(
                "RolledBack",
                format!(
                    "the upgrade to spec {} did not become healthy and was rolled back to the last stable spec; change the spec to try again",
                    self.st.machine.rejected_spec_hash.clone().unwrap_or_default()
                ),
            );
            self.event(
                EventKind::Warning,
                "RolledBack",
                "running the last stable spec again".into(),
            );
        } else {
            self.st.reconciliation_status.state = ReconciliationState::Deployed;
            let what = match self.job_id() {
                Some(id) => format!("job {} is RUNNING", short(&id)),
                None => "session cluster is ready".into(),
            };
            self.event(EventKind::Normal, "Running", what);
        }
        if self.st.machine.stable_spec_hash.is_none() && kind != Some(OperationKind::Rollback) {
            // Nothing to roll back to before the first stable run; the first deploy counts
            // as stable once it runs through the stability window.
        }
        go(MachineState::Running)
    }

    fn can_roll_back(&self) -> bool {
        let ms = &self.st.machine;
        // Session jobs are not rolled back (yet): they are resubmitted or fail.
        self.res.session().is_none()
            && self.obs.settings.rollback_enabled
            && ms.stable_spec_hash.is_some()
            && ms.stable_spec_hash != ms.deployed_spec_hash
            && self.st.reconciliation_status.last_stable_spec.is_some()
            && (!self.stateful() || ms.pre_upgrade_restore.is_some())
    }

    /// The deployment did not become healthy: roll back, recover or fail.
    fn deploy_failed(&mut self, reason: String) -> Outcome<State> {
        let kind = self.st.machine.operation.as_ref().map(|o| o.kind);
        if kind == Some(OperationKind::Rollback) {
            return self.fail(format!(
                "the rollback to the last stable spec failed too: {reason}"
            ));
        }
        if self.can_roll_back() {
            return self.roll_back(reason);
        }
        if self.job_is(FlinkJobState::Failed) {
            return self.job_failed(reason);
        }
        self.fail(format!(
            "deployment of spec {} failed: {reason}. Fix the spec; the next change retries",
            self.st
                .machine
                .deployed_spec_hash
                .clone()
                .unwrap_or_default()
        ))
    }

    fn roll_back(&mut self, reason: String) -> Outcome<State> {
        self.st.machine.rejected_spec_hash = self.st.machine.deployed_spec_hash.clone();
        self.event(
            EventKind::Warning,
            "RollingBack",
            format!(
                "spec {} is not healthy ({reason}); rolling back to the last stable spec from {}",
                self.st
                    .machine
                    .deployed_spec_hash
                    .clone()
                    .unwrap_or_default(),
                describe(self.st.machine.pre_upgrade_restore.as_ref())
            ),
        );
        self.st.machine.operation = None;
        self.start_operation(OperationKind::Rollback)
    }

    /// The job failed (or its JobManager was lost): recover, or Failed after too many.
    fn job_failed(&mut self, reason: String) -> Outcome<State> {
        if self.can_roll_back()
            && self.st.machine.stable_spec_hash != self.st.machine.deployed_spec_hash
        {
            return self.roll_back(reason);
        }
        let s = &self.obs.settings;
        let (max, window) = (s.failure_max_count, s.failure_window_secs);
        let now = self.now;
        let f = match self.st.machine.failures.take() {
            Some(f) if secs_between(f.window_start.0, now) < window as i64 => f,
            _ => FailureWindow {
                count: 0,
                window_start: time(now),
                last_reason: None,
            },
        };
        let f = FailureWindow {
            count: f.count + 1,
            last_reason: Some(reason.clone()),
            ..f
        };
        let count = f.count;
        self.st.machine.failures = Some(f);
        if count > max {
            return self.fail(format!(
                "the job failed {count} times within {window}s (last: {reason}); not recovering again. Fix the cause, then change the spec (e.g. restartNonce) to retry"
            ));
        }
        self.event(
            EventKind::Warning,
            "JobFailed",
            format!("{reason}; recovering (failure {count} of at most {max} in {window}s)"),
        );
        self.start_operation(OperationKind::Recover)
    }

    pub(crate) fn running(&mut self) -> Outcome<State> {
        if let Some((_, cluster)) = self.res.session()
            && cluster != SessionCluster::Ready
        {
            return self.session_cluster_unavailable(cluster);
        }
        if self.res.session().is_none() && !self.obs.cluster.exists {
            return self.job_failed("the cluster's resources are gone".into());
        }
        if self.res.session().is_none() && self.obs.cluster.job_manager == Component::Missing {
            return self.job_failed("the JobManager Deployment is gone".into());
        }
        if let Some(baseline) = self.st.machine.job_manager_restarts
            && self.obs.cluster.job_manager_restarts > baseline
            && self.is_app()
        {
            return self.job_failed(format!(
                "the JobManager restarted ({} restarts): its job would resume from the deploy-time restore point",
                self.obs.cluster.job_manager_restarts
            ));
        }
        if !self.is_app() {
            if !self.obs.cluster.ready() {
                self.degrade("ClusterNotReady", "the session cluster is not ready".into());
                self.wait("session cluster to be ready again".into(), START_POLL_SECS);
                return Handled;
            }
            return self.healthy(None);
        }
        match &self.obs.job {
            JobObservation::Unreachable { error } => {
                let since = self
                    .st
                    .machine
                    .unreachable_since
                    .as_ref()
                    .map(|t| t.0)
                    .unwrap_or(self.now);
                let for_secs = secs_between(since, self.now).max(0) as u64;
                self.degrade(
                    "FlinkUnreachable",
                    format!("Flink's REST API does not answer ({error}); no action until it does"),
                );
                self.wait(
                    "Flink's REST API to answer".into(),
                    for_secs.clamp(POLL_SECS, MAX_BACKOFF_SECS),
                );
                Handled
            }
            JobObservation::NotAsked => {
                self.wait("the job's status".into(), POLL_SECS);
                Handled
            }
            JobObservation::NotFound => {
                self.job_failed("Flink does not know the job: the JobManager lost it".into())
            }
            JobObservation::Found(f) => {
                if Some(f.id.as_str()) != self.current_job() {
                    return self
                        .job_failed(format!("Flink runs job {} instead of ours", short(&f.id)));
                }
                let restarts = f
                    .restarts
                    .saturating_sub(self.st.machine.restarts_at_start.unwrap_or(0));
                let unstable_upgrade = self.st.machine.stable_spec_hash.is_some()
                    && self.st.machine.stable_spec_hash != self.st.machine.deployed_spec_hash;
                let restarting = matches!(
                    f.state,
                    FlinkJobState::Running | FlinkJobState::Restarting | FlinkJobState::Failing
                );
                if restarting
                    && unstable_upgrade
                    && restarts > self.obs.settings.upgrade_max_restarts
                    && self.can_roll_back()
                {
                    return self.roll_back(format!(
                        "the job restarted {restarts} times since the upgrade"
                    ));
                }
                match f.state {
                    FlinkJobState::Running => self.healthy(Some(f)),
                    FlinkJobState::Failed => {
                        let why = f
                            .failure
                            .clone()
                            .unwrap_or_else(|| "no cause reported".into());
                        self.job_failed(format!("the job FAILED: {why}"))
                    }
                    FlinkJobState::Finished | FlinkJobState::Canceled => {
                        self.wait(
                            format!(
                                "nothing: the job is {} (change the spec to redeploy)",
                                f.state.as_str()
                            ),
                            IDLE_SECS,
                        );
                        self.pending_desired_without_job()
                    }
                    FlinkJobState::Restarting | FlinkJobState::Failing => {
                        self.degrade(
                            "JobRestarting",
                            format!("Flink is restarting the job ({} restarts)", f.restarts),
                        );
                        self.wait_on_flink("the job to run again".into());
                        Handled
                    }
                    _ => {
                        self.wait(
                            format!("the job to run (it is {})", f.state.as_str()),
                            POLL_SECS,
                        );
                        Handled
                    }
                }
            }
        }
    }

    /// A finished/cancelled job still follows spec changes, suspend and restart.
    fn pending_desired_without_job(&mut self) -> Outcome<State> {
        if self.job().map(|j| j.state) == Some(JobState::Suspended) {
            return self.start_operation(OperationKind::Suspend);
        }
        if self.spec_changed() {
            return self.start_operation(OperationKind::Upgrade);
        }
        Handled
    }

    fn spec_changed(&self) -> bool {
        let d = Some(self.desired());
        let ms = &self.st.machine;
        ms.deployed_spec_hash.as_deref() != d && ms.rejected_spec_hash.as_deref() != d
    }

    /// Retry gate: a harmlessly failed operation waits for its backoff.
    fn retry_wait(&mut self) -> bool {
        let Some(r) = &self.st.machine.retry else {
            return false;
        };
        let same_spec = r.spec_hash.as_deref() == Some(self.desired());
        match r {
            r if same_spec && self.now < r.not_before.0 => {
                let secs = secs_between(self.now, r.not_before.0).max(1) as u64;
                self.wait(format!("retry {} after backoff", r.attempts + 1), secs);
                true
            }
            _ if !same_spec => {
                self.st.machine.retry = None;
                false
            }
            _ => false,
        }
    }

    /// The job runs (or the session cluster is ready): stability, then what the spec asks.
    fn healthy(&mut self, facts: Option<&JobFacts>) -> Outcome<State> {
        let keep = matches!(&self.st.machine.degraded, Some(d) if d.reason == "RolledBack" || d.reason == "SavepointFailed");
        if !keep {
            self.st.machine.degraded = None;
        }
        let obs: &'a Observation = self.obs;
        let s = &obs.settings;
        // Stability.
        let ms = &self.st.machine;
        if ms.stable_spec_hash != ms.deployed_spec_hash
            && self.st.reconciliation_status.state != ReconciliationState::RolledBack
            && let Some(since) = ms.running_since.as_ref()
        {
            let ran = secs_between(since.0, self.now);
            if ran >= s.stability_window_secs as i64 {
                self.st.machine.stable_spec_hash = self.st.machine.deployed_spec_hash.clone();
                self.st.machine.retry = None;
                self.st.machine.rejected_spec_hash = None;
                self.st.reconciliation_status.last_stable_spec =
                    self.st.reconciliation_status.last_reconciled_spec.clone();
                self.st.reconciliation_status.state = ReconciliationState::Deployed;
                let role = if self.res.session().is_some() {
                    "the last stable spec"
                } else {
                    "the rollback target"
                };
                self.event(
                    EventKind::Normal,
                    "Stable",
                    format!(
                        "spec {} ran {ran}s without trouble: now {role}",
                        self.st
                            .machine
                            .deployed_spec_hash
                            .clone()
                            .unwrap_or_default()
                    ),
                );
            } else {
                self.requeue((s.stability_window_secs as i64 - ran).max(1) as u64);
            }
        }
        // What the spec asks, most important first.
        if self.job().map(|j| j.state) == Some(JobState::Suspended) {
            if self.retry_wait() {
                return Handled;
            }
            self.event(
                EventKind::Normal,
                "Suspending",
                if self.res.session().is_some() {
                    "job.state is suspended: stopping the job".into()
                } else {
                    "job.state is suspended: stopping the job and deleting the cluster".into()
                },
            );
            return self.start_operation(OperationKind::Suspend);
        }
        if self.redeploy_nonce_changed() || self.spec_changed() {
            if self.retry_wait() {
                return Handled;
            }
            if self.upgrade_mode() == UpgradeMode::LastState
                && self.is_app()
                && self.last_checkpoint().is_none()
                && self.last_savepoint().is_none()
                && s.savepoint_dir.is_none()
            {
                self.degrade("NoCheckpointYet", "upgradeMode last-state needs a completed checkpoint (or a savepoint directory) before the job can be stopped; waiting for the first checkpoint".into());
                self.wait("the first completed checkpoint".into(), 30);
                return Handled;
            }
            if self.is_app()
                && self.stop_method(OperationKind::Upgrade) == StopMethod::Savepoint
                && !facts.is_some_and(|f| f.tasks_running)
            {
                self.wait_on_flink("all tasks to run before stop-with-savepoint".into());
                return Handled;
            }
            self.event(
                EventKind::Normal,
                "Upgrading",
                concat(&[
                    "spec changed to ",
                    self.desired(),
                    ": upgrading with upgradeMode ",
                    mode_word(self.upgrade_mode()),
                ]),
            );
            return self.start_operation(OperationKind::Upgrade);
        }
        if let Some(n) = self.res.restart_nonce()
            && Some(n) != self.st.machine.handled_nonces.restart
        {
            self.event(
                EventKind::Normal,
                "Restarting",
                format!(
                    "restartNonce changed to {n}: restarting with upgradeMode {:?}",
                    self.upgrade_mode()
                ),
            );
            return self.start_operation(OperationKind::Restart);
        }
        let Some(f) = facts else {
            self.requeue(s.steady_interval_secs);
            return Handled;
        };
        let job = self.job();
        if let Some(n) = job.and_then(|j| j.savepoint_trigger_nonce)
            && Some(n) != self.st.machine.handled_nonces.savepoint
        {
            return self.start_snapshot(OperationKind::Savepoint, Some(n), false, f);
        }
        if let Some(n) = job.and_then(|j| j.checkpoint_trigger_nonce)
            && Some(n) != self.st.machine.handled_nonces.checkpoint
        {
            return self.start_snapshot(OperationKind::Checkpoint, Some(n), false, f);
        }
        if let Some(interval) = s.periodic_savepoint_secs {
            let last = self
                .st
                .job_status
                .savepoint_info
                .last_periodic_savepoint_timestamp;
            let base = if last > 0 {
                Timestamp::from_millisecond(last).unwrap_or(self.now)
            } else {
                self.st
                    .machine
                    .running_since
                    .as_ref()
                    .map(|t| t.0)
                    .unwrap_or(self.now)
            };
            let due_in = interval as i64 - secs_between(base, self.now);
            if due_in <= 0 {
                return self.start_snapshot(OperationKind::Savepoint, None, true, f);
            }
            self.requeue(due_in as u64);
        }
        self.requeue_for_restore_point();
        self.requeue(s.steady_interval_secs);
        Handled
    }

    fn start_snapshot(
        &mut self,
        kind: OperationKind,
        nonce: Option<i64>,
        periodic: bool,
        f: &JobFacts,
    ) -> Outcome<State> {
        if !f.tasks_running {
            self.wait_on_flink("all tasks to run before triggering".into());
            return Handled;
        }
        match kind {
            OperationKind::Checkpoint => self.st.machine.handled_nonces.checkpoint = nonce,
            _ if nonce.is_some() => self.st.machine.handled_nonces.savepoint = nonce,
            _ => {}
        }
        if periodic {
            self.st
                .job_status
                .savepoint_info
                .last_periodic_savepoint_timestamp = millis(self.now);
        }
        let mut op = self.op(kind, None);
        op.trigger_id = Some(self.next_trigger_id());
        op.nonce = nonce;
        op.periodic = periodic;
        self.st.machine.operation = Some(op);
        go(MachineState::Savepointing)
    }

    pub(crate) fn savepointing(&mut self) -> Outcome<State> {
        let Some(op) = self.st.machine.operation.clone() else {
            return go(MachineState::Running);
        };
        let trigger_id = op.trigger_id.clone().unwrap_or_default();
        let noun = if op.kind == OperationKind::Checkpoint {
            "checkpoint"
        } else {
            "savepoint"
        };
        let status = self.trigger_status(&trigger_id);
        match status {
            Some(TriggerStatus::Completed { location }) => {
                // Its state is the job's when it was triggered, as a periodic checkpoint's
                // time is its trigger time: a checkpoint completed between the trigger and
                // this look is newer, and must stay so, or a restore would go back in time.
                let taken_at = millis(op.started_at.0);
                if op.kind == OperationKind::Checkpoint {
                    if !location.is_empty() {
                        self.st.job_status.checkpoint_info.last_checkpoint =
                            Some(flink_crd::status::Checkpoint {
                                time_stamp: taken_at,
                                location: Some(location.clone()),
                                trigger_type: Some(SnapshotTriggerType::Manual),
                                format_type: None,
                                trigger_nonce: op.nonce,
                            });
                    }
                } else {
                    let tt = if op.periodic {
                        SnapshotTriggerType::Periodic
                    } else {
                        SnapshotTriggerType::Manual
                    };
                    self.record_savepoint(location.clone(), tt, op.nonce, taken_at);
                }
                self.event(
                    EventKind::Normal,
                    if noun == "savepoint" {
                        "SavepointCompleted"
                    } else {
                        "CheckpointCompleted"
                    },
                    format!("{noun} {} completed: {location}", short(&trigger_id)),
                );
                self.st.machine.operation = None;
                if matches!(&self.st.machine.degraded, Some(d) if d.reason == "SavepointFailed") {
                    self.st.machine.degraded = None;
                }
                return go(MachineState::Running);
            }
            Some(TriggerStatus::Failed { reason }) => return self.snapshot_failed(noun, reason),
            _ => {}
        }
        if self.past_deadline() {
            return self.snapshot_failed(noun, format!("no result after {}s", self.waited_secs()));
        }
        match (&self.obs.job, status) {
            (JobObservation::Found(f), None | Some(TriggerStatus::Unknown))
                if Some(f.id.as_str()) == self.current_job() =>
            {
                if f.state == FlinkJobState::Running {
                    let job_id = f.id.clone();
                    self.actions.push(if op.kind == OperationKind::Checkpoint {
                        Action::TriggerCheckpoint {
                            job_id,
                            trigger_id: trigger_id.clone(),
                        }
                    } else {
                        Action::TriggerSavepoint {
                            job_id,
                            trigger_id: trigger_id.clone(),
                            directory: self.obs.settings.savepoint_dir.clone().unwrap_or_default(),
                        }
                    });
                } else if f.state.is_terminal() {
                    self.event(
                        EventKind::Warning,
                        "SnapshotAbandoned",
                        format!(
                            "the job is {}: {noun} {} abandoned",
                            f.state.as_str(),
                            short(&trigger_id)
                        ),
                    );
                    self.st.machine.operation = None;
                    return go(MachineState::Running);
                }
            }
            (JobObservation::NotFound, _) => {
                self.st.machine.operation = None;
                return go(MachineState::Running);
            }
            _ => {}
        }
        self.await_trigger(noun, &trigger_id)
    }

    fn snapshot_failed(&mut self, noun: &str, reason: String) -> Outcome<State> {
        let msg = format!("the {noun} failed ({reason}); the job keeps running unchanged");
        self.event(EventKind::Warning, "SavepointFailed", msg.clone());
        self.degrade("SavepointFailed", msg);
        self.st.machine.operation = None;
        go(MachineState::Running)
    }

    /// Records a completed savepoint taken at `taken_at_ms` (its state's time, which orders it
    /// among checkpoints).
    fn record_savepoint(
        &mut self,
        location: String,
        trigger_type: SnapshotTriggerType,
        nonce: Option<i64>,
        taken_at_ms: i64,
    ) {
        let sp = Savepoint {
            time_stamp: taken_at_ms,
            time: Timestamp::from_millisecond(taken_at_ms)
                .ok()
                .map(|t| t.to_string()),
            location,
            trigger_type: Some(trigger_type),
            format_type: Some(SnapshotFormatType::Canonical),
            trigger_nonce: nonce,
        };
        let info = &mut self.st.job_status.savepoint_info;
        info.savepoint_history.push(sp.clone());
        let max = self.obs.settings.savepoint_history_max.max(1);
        let len = info.savepoint_history.len();
        if len > max {
            info.savepoint_history.drain(..len - max);
        }
        info.last_savepoint = Some(sp);
    }

    /// The job stopped with the savepoint just recorded, so every checkpoint recorded for it
    /// is older, even one Flink stamped later within the same second (status times are whole
    /// seconds, Flink's have milliseconds). Flink also discards those checkpoints once the job
    /// FINISHED: a restore plan that took one for newer would start from nothing that exists.
    fn order_savepoint_after_checkpoints(&mut self) {
        let Some(newest_checkpoint) = self
            .st
            .job_status
            .checkpoint_info
            .last_checkpoint
            .as_ref()
            .map(|c| c.time_stamp)
        else {
            return;
        };
        let info = &mut self.st.job_status.savepoint_info;
        for sp in info
            .last_savepoint
            .iter_mut()
            .chain(info.savepoint_history.last_mut())
        {
            // A whole second: restore plans keep their point's time as a Kubernetes `Time`,
            // which has no fraction, and must compare the same after a status round trip.
            sp.time_stamp = sp
                .time_stamp
                .max((newest_checkpoint.div_euclid(1000) + 1) * 1000);
        }
    }

    pub(crate) fn stopping(&mut self) -> Outcome<State> {
        let Some(op) = self.st.machine.operation.as_ref() else {
            return go(MachineState::Running);
        };
        let kind = op.kind;
        match op.stop.unwrap_or(StopMethod::None) {
            StopMethod::Savepoint => {
                let trigger_id = op.trigger_id.clone().unwrap_or_default();
                self.stopping_with_savepoint(kind, trigger_id)
            }
            StopMethod::Cancel => {
                if let Some(waiting) = self.cancelling("") {
                    return waiting;
                }
                if self.facts().is_some_and(|f| !f.state.is_terminal()) {
                    return self.stop_failed(
                        kind,
                        format!("the job did not cancel within {}s", self.waited_secs()),
                    );
                }
                go(MachineState::TearingDown)
            }
            StopMethod::LastState => {
                // Cancel (checkpoints are retained on cancellation) so no newer checkpoint can
                // appear after the one recorded, then restore from the newest recorded one.
                if let Some(waiting) = self.cancelling(" (last-state)") {
                    return waiting;
                }
                if self.facts().is_some_and(|f| !f.state.is_terminal())
                    && let Some(op) = self.st.machine.operation.as_mut()
                {
                    // The cancel did not land by the deadline: the job ends with its cluster,
                    // still checkpointing until then (its newer checkpoints remain candidates).
                    op.stop = Some(StopMethod::None);
                }
                let plan = self.newest_plan(
                    "last-state: the newest checkpoint (or savepoint) recorded once the job stopped",
                );
                if matches!(kind, OperationKind::Upgrade | OperationKind::Restart) {
                    self.st.machine.pre_upgrade_restore = plan.restore.clone();
                }
                self.st.machine.restore_plan = Some(plan);
                go(MachineState::TearingDown)
            }
            StopMethod::None => go(MachineState::TearingDown),
        }
    }

    fn stopping_with_savepoint(
        &mut self,
        kind: OperationKind,
        trigger_id: String,
    ) -> Outcome<State> {
        let status = self.trigger_status(&trigger_id);
        match status {
            Some(TriggerStatus::Completed { location }) => {
                self.record_savepoint(
                    location.clone(),
                    SnapshotTriggerType::Upgrade,
                    None,
                    millis(self.now),
                );
                self.order_savepoint_after_checkpoints();
                let point = self.last_savepoint();
                let fallback: Vec<RestorePoint> = self
                    .restore_points()
                    .into_iter()
                    .filter(|p| Some(p) != point.as_ref())
                    .collect();
                if matches!(kind, OperationKind::Upgrade | OperationKind::Restart) {
                    self.st.machine.pre_upgrade_restore = point.clone();
                }
                self.st.machine.restore_plan = Some(RestorePlan {
                    restore: point,
                    fallback,
                    reason: Some(format!(
                        "the savepoint taken by stop-with-savepoint {}",
                        short(&trigger_id)
                    )),
                    drops_state_as_asked: false,
                });
                self.event(
                    EventKind::Normal,
                    "SavepointCompleted",
                    format!(
                        "stop-with-savepoint {} completed: {location}",
                        short(&trigger_id)
                    ),
                );
                return go(MachineState::TearingDown);
            }
            Some(TriggerStatus::Failed { reason }) => {
                return self.stop_failed(kind, format!("stop-with-savepoint failed: {reason}"));
            }
            _ => {}
        }
        if self.past_deadline() {
            return self.stop_failed(
                kind,
                format!(
                    "stop-with-savepoint gave no result within {}s",
                    self.waited_secs()
                ),
            );
        }
        let job_id = self.current_job().unwrap_or_default();
        match (&self.obs.job, &status) {
            (JobObservation::Found(f), None | Some(TriggerStatus::Unknown)) if f.id == job_id => {
                if f.state == FlinkJobState::Running && f.tasks_running {
                    let what =
                        concat(&["stop-with-savepoint ", short(&trigger_id), " to complete"]);
                    self.actions.push(Action::StopWithSavepoint {
                        job_id: f.id.clone(),
                        trigger_id,
                        directory: self.obs.settings.savepoint_dir.clone().unwrap_or_default(),
                    });
                    // What `await_trigger` says, with the trigger id moved into the action.
                    self.wait_on_flink(what);
                    return Handled;
                } else if f.state.is_terminal() && status.is_some() {
                    // Stopped, but Flink no longer knows the trigger (JobManager restarted):
                    // the savepoint's location is lost; start from the newest recorded one.
                    let plan = self.newest_plan("stop-with-savepoint's result was lost; newest recorded savepoint or checkpoint");
                    self.event(
                        EventKind::Warning,
                        "SavepointLost",
                        format!(
                            "the job is {} but Flink lost trigger {}; using {}",
                            f.state.as_str(),
                            short(&trigger_id),
                            describe(plan.restore.as_ref())
                        ),
                    );
                    self.st.machine.restore_plan = Some(plan);
                    return go(MachineState::TearingDown);
                }
            }
            (JobObservation::NotFound, _) if kind == OperationKind::Delete => {
                return go(MachineState::TearingDown);
            }
            _ => {}
        }
        self.await_trigger("stop-with-savepoint", &trigger_id)
    }

    /// What Flink said about `trigger_id`, if the observation is about it.
    fn trigger_status(&self, trigger_id: &str) -> Option<TriggerStatus> {
        self.obs
            .trigger
            .as_ref()
            .filter(|t| t.trigger_id == trigger_id)
            .map(|t| t.status.clone())
    }

    /// The tail of every trigger poll: the trigger (a `what`) is still running.
    fn await_trigger(&mut self, what: &str, trigger_id: &str) -> Outcome<State> {
        self.wait_on_flink(concat(&[what, " ", short(trigger_id), " to complete"]));
        Handled
    }

    /// The cancel part of a stop: while our job is alive, cancel it and wait; while Flink does
    /// not answer, wait. `None` once the job stopped (or is unknown), and at the deadline.
    fn cancelling(&mut self, note: &str) -> Option<Outcome<State>> {
        if self.past_deadline() {
            return None;
        }
        let job_id = self.job_id().unwrap_or_default();
        match &self.obs.job {
            JobObservation::Found(f) if f.id == job_id && !f.state.is_terminal() => {
                self.actions.push(Action::CancelJob {
                    job_id: job_id.clone(),
                });
                self.wait_on_flink(format!("job {} to be cancelled{note}", short(&job_id)));
                Some(Handled)
            }
            JobObservation::Unreachable { .. } => {
                self.wait(
                    "Flink's REST API to answer before cancelling".into(),
                    POLL_SECS,
                );
                Some(Handled)
            }
            _ => None,
        }
    }

    /// The stop failed: a delete goes on (documented exit); anything else leaves the job
    /// running on the old spec and retries with backoff, then Failed.
    fn stop_failed(&mut self, kind: OperationKind, reason: String) -> Outcome<State> {
        if kind == OperationKind::Delete {
            // The job was not stopped: the teardown goes on as one without a stop (the job
            // ends with its cluster), and a job still running there is not one resumed after
            // a stop.
            if let Some(op) = self.st.machine.operation.as_mut() {
                op.stop = Some(StopMethod::None);
            }
            let plan =
                self.newest_plan("final savepoint failed; newest recorded savepoint or checkpoint");
            self.event(
                EventKind::Warning,
                "FinalSavepointFailed",
                format!("{reason}; deleting anyway (the delete must not hang). Newest recorded state: {}", describe(plan.restore.as_ref())),
            );
            self.st.machine.restore_plan = Some(plan);
            return go(MachineState::TearingDown);
        }
        let d = self.desired_hash();
        let attempts = match &self.st.machine.retry {
            Some(r) if r.spec_hash.as_deref() == Some(d.as_str()) => r.attempts + 1,
            _ => 1,
        };
        let backoff = RETRY_BASE_SECS.saturating_mul(1 << (attempts - 1).min(5));
        self.st.machine.retry = Some(RetryState {
            attempts,
            not_before: time(self.now + SignedDuration::from_secs(backoff as i64)),
            spec_hash: Some(d.clone()),
            last_reason: Some(reason.clone()),
        });
        self.st.machine.operation = None;
        self.st.machine.restore_plan =
            Some(self.newest_plan("the stop failed: the job keeps running; newest recorded state"));
        let max = self.obs.settings.savepoint_max_retries;
        if attempts > max {
            self.st.machine.rejected_spec_hash = Some(d);
            return self.fail(format!(
                "{:?} blocked: {reason} ({attempts} attempts). The job keeps running on the previous spec. Fix the cause, then change the spec to retry (or use upgradeMode last-state/stateless)",
                kind
            ));
        }
        let msg = format!(
            "{reason}; the job keeps running on the previous spec, retry {attempts} of {max} in {backoff}s"
        );
        self.event(EventKind::Warning, "SavepointFailed", msg.clone());
        self.degrade("SavepointFailed", msg);
        go(MachineState::Running)
    }

    pub(crate) fn tearing_down(&mut self) -> Outcome<State> {
        let kind = self
            .st
            .machine
            .operation
            .as_ref()
            .map(|o| o.kind)
            .unwrap_or(OperationKind::Recover);
        if kind != OperationKind::Delete {
            // The plan the next start (or resume) uses is in status before the cluster goes.
            self.refresh_restore_plan();
        }
        let resumed = self.resumed_after_stop();
        if resumed {
            self.report_resumed_job();
        }
        if self.res.session().is_some() {
            // A live job is cancelled there, a resumed one included.
            return self.session_teardown(kind);
        }
        if self.obs.cluster.exists {
            if self.past_deadline() {
                let waited = self.waited_secs();
                if kind == OperationKind::Delete {
                    self.event(EventKind::Warning, "TeardownTimeout", format!("cluster resources still present after {waited}s; releasing the finalizer (Kubernetes garbage-collects owned resources)"));
                    return self.finish_delete();
                }
                return self.fail(format!("the cluster's resources were not deleted within {waited}s; check for stuck finalizers on its pods"));
            }
            if resumed && let Some(job_id) = self.job_id() {
                // Cancelled at once rather than left to the cluster's deletion: while it runs
                // it re-emits output its stopped predecessor already wrote.
                self.actions.push(Action::CancelJob { job_id });
            }
            self.actions.push(Action::DeleteCluster);
            self.wait("the cluster's resources to be deleted".into(), POLL_SECS);
            return Handled;
        }
        self.torn_down(kind)
    }

    /// The operation being torn down stopped our job with its state captured: its
    /// stop-with-savepoint completed, or last-state's cancel landed after the newest checkpoint
    /// was recorded. (A stop that failed or timed out is marked `stop: None` when the teardown
    /// goes on without it, so it does not count.)
    fn stopped_with_state(&self) -> bool {
        self.st.machine.state == Some(MachineState::TearingDown)
            && matches!(
                self.st.machine.operation.as_ref().and_then(|o| o.stop),
                Some(StopMethod::Savepoint | StopMethod::LastState)
            )
    }

    /// Our job runs again (any state but a terminal one) after the operation stopped it with
    /// its state captured, seen in a step after the one that began the teardown and once
    /// Flink's cached job state has been refreshed (until then the job may still be reported
    /// as it was a moment before it stopped).
    ///
    /// What that job is: its JobManager restarted (a crash, an evicted pod) before the
    /// teardown removed it, and started the job again — with HA metadata from the newest
    /// *checkpoint* (Flink never recovers from a savepoint, FLINK-25191), without them from
    /// the restore path the cluster was deployed with. Either way it resumed from a point
    /// older than the state the stop captured, and re-processes input the stopped job had
    /// already processed. So the stop's savepoint (or last-state's checkpoint) stays the
    /// state the next start uses:
    /// - the job is not stopped again with a savepoint: that savepoint would be newer by the
    ///   clock but older by content (input re-processed since an older point), and starting
    ///   from it would re-process and re-emit what the stop's savepoint already covers (Flink
    ///   itself, when a job fails while committing a completed stop-with-savepoint, does not
    ///   fail over to an older checkpoint but asks for a restart from that savepoint,
    ///   FLINK-26783). It would also race the cluster's deletion already under way.
    /// - the checkpoints it completes are not recorded (the prelude skips them), so no
    ///   refresh of the restore plan picks them for being newer.
    /// - it is cancelled at once (and its cluster deleted as planned): every moment it runs
    ///   it may emit output again.
    /// - a Warning event and a `Degraded: JobResumedAfterStop` condition say so, since the
    ///   resumed job may have written duplicate output the user may want to check.
    fn resumed_after_stop(&self) -> bool {
        // Flink's REST API serves a job's state from a cache (`web.refresh-interval`): for
        // that long after the stop it may still say RUNNING about a job that FINISHED.
        let cache = SignedDuration::from_secs(self.obs.settings.job_state_cache_secs as i64);
        let past_stale_reads = self
            .st
            .machine
            .since
            .as_ref()
            .is_some_and(|s| s.0 < self.now && s.0 + cache <= self.now);
        past_stale_reads
            && self.stopped_with_state()
            && self.facts().is_some_and(|f| !f.state.is_terminal())
    }

    /// The Warning event (once) and the `Degraded` condition for [`Self::resumed_after_stop`].
    fn report_resumed_job(&mut self) {
        let Some(f) = self.facts() else {
            return;
        };
        let state = self.planned_restore();
        let message = format!(
            "job {} is {} again after it was stopped: its JobManager restarted it from an older checkpoint or from the restore path it was deployed with, so it may emit output again; cancelling it{}. Its state stays {}; checkpoints it completes are not used",
            short(&f.id),
            f.state.as_str(),
            if self.res.session().is_some() {
                ""
            } else {
                " and deleting its cluster"
            },
            describe(state.as_ref())
        );
        let new = self
            .st
            .machine
            .degraded
            .as_ref()
            .is_none_or(|d| d.reason != RESUMED_AFTER_STOP);
        if new {
            self.event(EventKind::Warning, RESUMED_AFTER_STOP, message.clone());
        }
        self.degrade(RESUMED_AFTER_STOP, message);
    }

    /// An upgrade, suspend or restart that began without stopping the job (it was not
    /// running then) sees our stateful job RUNNING again during the teardown: start the
    /// operation over, so the job is stopped the way its upgradeMode says (stop-with-savepoint,
    /// or last-state's cancel after its newest checkpoint) instead of being killed with it.
    /// Recoveries and deletes keep their course. Session jobs only: a FlinkDeployment's
    /// teardown deleted the cluster in the step it began, so its job is going anyway.
    fn replan_if_running(&self, kind: OperationKind) -> bool {
        let stop = self.st.machine.operation.as_ref().and_then(|o| o.stop);
        matches!(
            kind,
            OperationKind::Upgrade | OperationKind::Suspend | OperationKind::Restart
        ) && stop == Some(StopMethod::None)
            && self.stateful()
            && self
                .facts()
                .is_some_and(|f| f.state == FlinkJobState::Running && f.tasks_running)
            && self.stop_method(kind) != StopMethod::None
    }

    /// The job and (for a FlinkDeployment) its cluster are gone: finish the operation.
    pub(crate) fn torn_down(&mut self, kind: OperationKind) -> Outcome<State> {
        if self
            .st
            .machine
            .degraded
            .as_ref()
            .is_some_and(|d| d.reason == RESUMED_AFTER_STOP)
        {
            // The resumed job went with the teardown.
            self.st.machine.degraded = None;
        }
        match kind {
            OperationKind::Delete => self.finish_delete(),
            OperationKind::Suspend => {
                self.st.machine.operation = None;
                self.event(
                    EventKind::Normal,
                    "Suspended",
                    format!(
                        "job suspended; it resumes from {}",
                        describe(self.planned_restore().as_ref())
                    ),
                );
                go(MachineState::Suspended)
            }
            _ => {
                self.begin_deploy();
                go(MachineState::Deploying)
            }
        }
    }

    fn finish_delete(&mut self) -> Outcome<State> {
        self.st.machine.operation = None;
        // The Deleted state's handler (run in this same step) releases the finalizer.
        let what = if self.res.session().is_some() {
            "job stopped; releasing the finalizer"
        } else {
            "cluster deleted; releasing the finalizer"
        };
        self.event(EventKind::Normal, "Deleted", what.into());
        go(MachineState::Deleted)
    }

    pub(crate) fn suspended(&mut self) -> Outcome<State> {
        if self.job().map(|j| j.state) != Some(JobState::Suspended) {
            if self.redeploy_nonce_changed() {
                return self.start_operation(OperationKind::Upgrade);
            }
            self.event(
                EventKind::Normal,
                "Resuming",
                format!(
                    "job.state is running: resuming from {}",
                    describe(self.planned_restore().as_ref())
                ),
            );
            self.st.machine.operation = None;
            self.begin_deploy();
            return go(MachineState::Deploying);
        }
        if self.res.session().is_some() {
            self.cancel_leftover_job();
        } else if self.obs.cluster.exists {
            // Left over from before the suspend (or re-created by hand): remove it. Only while
            // staying suspended: an operation started above stops a leftover job first.
            self.refresh_restore_plan();
            self.actions.push(Action::DeleteCluster);
        }
        self.wait("job.state to be running".into(), IDLE_SECS);
        Handled
    }

    pub(crate) fn failed(&mut self) -> Outcome<State> {
        let newer = self
            .st
            .machine
            .failed_generation
            .is_none_or(|g| self.obs.generation > g);
        if self.invalid.is_some() || !newer {
            self.wait("a spec change (see status.error)".into(), IDLE_SECS);
            return Handled;
        }
        self.st.error = None;
        self.st.machine.failed_generation = None;
        self.st.machine.failures = None;
        self.st.machine.retry = None;
        self.st.machine.rejected_spec_hash = None;
        self.st.machine.degraded = None;
        self.event(
            EventKind::Normal,
            "SpecChanged",
            "the spec changed after a failure: trying again".into(),
        );
        if self.is_app() && self.job_is(FlinkJobState::Running) {
            return go(MachineState::Running);
        }
        // Suspended first: a resource created suspended that was fixed while still suspended
        // must not be deployed (it goes back to Suspended through an empty teardown).
        if self.job().map(|j| j.state) == Some(JobState::Suspended) {
            return self.start_operation(OperationKind::Suspend);
        }
        if self.st.machine.deploy_count == 0 {
            return go(MachineState::Deploying);
        }
        self.start_operation(OperationKind::Upgrade)
    }

    pub(crate) fn deleted(&mut self) -> Outcome<State> {
        if self.obs.has_finalizer {
            self.actions.push(Action::RemoveFinalizer);
        }
        self.requeue(IDLE_SECS);
        Handled
    }
}
