//! Property tests of the lifecycle machine over random specs, reachable statuses and random
//! observations (pure: no IO).
//!
//! Statuses are reachable ones: each case starts from a fresh status and feeds the machine a
//! random sequence of observations (and spec changes, deletes, clock jumps), carrying each
//! decision's status into the next step, like the operator does. A small "world" plays the
//! executor's part: it remembers the spec hash of the last `ApplyCluster` (the cluster's label)
//! and the finalizer; the job id and trigger id of an observation are mostly the ones in status
//! (what a real executor asks Flink about), sometimes foreign ones.
//!
//! FlinkSessionJobs run the same walks through `session_job::step` (`session_walk`): the
//! random cluster becomes the session cluster (missing, not a session cluster, not ready,
//! ready), `SubmitJob` counts as a start, and the same properties hold.
//!
//! The properties are checked on every step of every sequence, so one case checks many
//! decisions. Case counts are moderate (CI has 2 cores); see `config()`.

use std::collections::BTreeMap;

use flink_crd::status::{
    FlinkDeploymentStatus, FlinkSessionJobStatus, MachineState, OperationKind, StopMethod,
};
use flink_crd::{
    DeleteMode, FlinkConfiguration, FlinkDeploymentSpec, FlinkSessionJobSpec, FlinkVersion,
    JobSpec, JobState, UpgradeMode,
};
use flink_lifecycle::diagram::{TABLE, session_job_table};
use flink_lifecycle::session_job::{self, SessionCluster, SessionJobObservation};
use flink_lifecycle::{
    Action, ClusterObservation, CompletedSnapshot, Component, Decision, FlinkJobState, JobFacts,
    JobObservation, Observation, PodFailure, Settings, TriggerObservation, TriggerStatus, step,
    step_with_transitions,
};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

const UID: &str = "prop-uid";
const SAVEPOINT_DIR: &str = "execution.checkpointing.savepoint-dir";
const CHECKPOINT_DIR: &str = "execution.checkpointing.dir";
const PERIODIC: &str = "kubernetes.operator.periodic.savepoint.interval";

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().expect("a timestamp")
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // PROPTEST_CASES overrides, for a longer run.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        // Shrinking a sequence is cheap, but bound it so a failure reports quickly.
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    }
}

// ----- random specs -----

/// The knobs of a random spec.
#[derive(Clone, Debug)]
struct SpecGen {
    has_job: bool,
    mode: UpgradeMode,
    suspended: bool,
    parallelism: i32,
    savepoint_nonce: Option<i64>,
    checkpoint_nonce: Option<i64>,
    restart_nonce: Option<i64>,
    redeploy_nonce: Option<i64>,
    initial_savepoint: bool,
    delete_mode: Option<DeleteMode>,
    savepoint_dir: bool,
    checkpoint_dir: bool,
    periodic: bool,
}

fn upgrade_mode() -> impl Strategy<Value = UpgradeMode> {
    prop_oneof![
        Just(UpgradeMode::Stateless),
        Just(UpgradeMode::Savepoint),
        Just(UpgradeMode::LastState),
    ]
}

fn nonce() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![3 => Just(None), 2 => (1i64..4).prop_map(Some)]
}

fn spec_gen() -> impl Strategy<Value = SpecGen> {
    (
        (
            prop::bool::weighted(0.85),
            upgrade_mode(),
            prop::bool::weighted(0.2),
            // 0 is invalid (validation puts the resource in Failed).
            prop_oneof![1 => Just(0), 12 => 1i32..5],
        ),
        (nonce(), nonce(), nonce(), nonce()),
        (
            prop::bool::weighted(0.2),
            prop_oneof![
                3 => Just(None),
                1 => Just(Some(DeleteMode::Savepoint)),
                1 => Just(Some(DeleteMode::Cancel)),
                1 => Just(Some(DeleteMode::None)),
            ],
            prop::bool::weighted(0.9),
            prop::bool::weighted(0.9),
            prop::bool::weighted(0.15),
        ),
    )
        .prop_map(
            |(
                (has_job, mode, suspended, parallelism),
                (savepoint_nonce, checkpoint_nonce, restart_nonce, redeploy_nonce),
                (initial_savepoint, delete_mode, savepoint_dir, checkpoint_dir, periodic),
            )| SpecGen {
                has_job,
                mode,
                suspended,
                parallelism,
                savepoint_nonce,
                checkpoint_nonce,
                restart_nonce,
                redeploy_nonce,
                initial_savepoint,
                delete_mode,
                savepoint_dir,
                checkpoint_dir,
                periodic,
            },
        )
}

fn build_spec(g: &SpecGen) -> FlinkDeploymentSpec {
    let mut conf = Vec::new();
    if g.savepoint_dir {
        conf.push((SAVEPOINT_DIR, "s3://b/savepoints"));
    }
    if g.checkpoint_dir {
        conf.push((CHECKPOINT_DIR, "s3://b/checkpoints"));
    }
    if g.periodic {
        conf.push((PERIODIC, "10m"));
    }
    FlinkDeploymentSpec {
        image: Some("flink:2.2".into()),
        flink_version: Some(FlinkVersion::V2_2),
        flink_configuration: FlinkConfiguration::from_pairs(conf),
        restart_nonce: g.restart_nonce,
        job: g.has_job.then(|| JobSpec {
            jar_uri: Some("local:///opt/flink/usrlib/job.jar".into()),
            parallelism: Some(g.parallelism),
            state: if g.suspended {
                JobState::Suspended
            } else {
                JobState::Running
            },
            savepoint_trigger_nonce: g.savepoint_nonce,
            checkpoint_trigger_nonce: g.checkpoint_nonce,
            savepoint_redeploy_nonce: g.redeploy_nonce,
            initial_savepoint_path: g.initial_savepoint.then(|| "s3://b/initial/sp-0".into()),
            upgrade_mode: g.mode,
            delete_mode: g.delete_mode,
            ..JobSpec::default()
        }),
        ..FlinkDeploymentSpec::default()
    }
}

// ----- random observations -----

#[derive(Clone, Debug)]
enum JobGen {
    NotAsked,
    Unreachable,
    NotFound,
    Found {
        ours: bool,
        state: FlinkJobState,
        tasks_running: bool,
        restarts: u32,
        /// A completed checkpoint `chk-N`, `age` seconds before now.
        checkpoint: Option<(u8, u16)>,
    },
}

#[derive(Clone, Debug)]
enum TriggerGen {
    None,
    Unknown,
    InProgress,
    Completed(u8),
    Failed,
    /// An answer about a trigger id that is not the one in status.
    Stale,
}

/// One step of the world: what changes, then what the operator observes.
#[derive(Clone, Debug)]
struct StepGen {
    /// Seconds since the previous step.
    dt: u32,
    /// The user edits the spec (a new generation).
    new_spec: Option<SpecGen>,
    /// The resource's deletion timestamp gets set (sticky).
    delete: bool,
    /// 0 gone, 1 starting, 2 ready.
    cluster: u8,
    /// The cluster carries the last applied spec hash (else an unknown one).
    current_hash: bool,
    pod_failure: Option<&'static str>,
    jm_restarts: u32,
    job: JobGen,
    trigger: TriggerGen,
}

fn flink_state() -> impl Strategy<Value = FlinkJobState> {
    use FlinkJobState::*;
    prop_oneof![
        10 => Just(Running),
        1 => Just(Initializing),
        1 => Just(Created),
        1 => Just(Failing),
        2 => Just(Failed),
        1 => Just(Cancelling),
        2 => Just(Canceled),
        2 => Just(Finished),
        2 => Just(Restarting),
        1 => Just(Suspended),
        1 => Just(Reconciling),
    ]
}

fn job_gen() -> impl Strategy<Value = JobGen> {
    prop_oneof![
        1 => Just(JobGen::NotAsked),
        1 => Just(JobGen::Unreachable),
        1 => Just(JobGen::NotFound),
        8 => (
            prop::bool::weighted(0.93),
            flink_state(),
            prop::bool::weighted(0.85),
            prop_oneof![3 => Just(0u32), 1 => 1u32..8],
            prop::option::weighted(0.5, (0u8..6, 0u16..400)),
        )
            .prop_map(|(ours, state, tasks_running, restarts, checkpoint)| JobGen::Found {
                ours,
                state,
                tasks_running,
                restarts,
                checkpoint,
            }),
    ]
}

fn trigger_gen() -> impl Strategy<Value = TriggerGen> {
    prop_oneof![
        4 => Just(TriggerGen::None),
        1 => Just(TriggerGen::Unknown),
        2 => Just(TriggerGen::InProgress),
        3 => (0u8..6).prop_map(TriggerGen::Completed),
        1 => Just(TriggerGen::Failed),
        1 => Just(TriggerGen::Stale),
    ]
}

fn step_gen() -> impl Strategy<Value = StepGen> {
    (
        prop_oneof![6 => 0u32..60, 3 => 60u32..400, 1 => 400u32..1200],
        prop::option::weighted(0.12, spec_gen()),
        prop::bool::weighted(0.04),
        prop_oneof![1 => Just(0u8), 1 => Just(1u8), 5 => Just(2u8)],
        prop::bool::weighted(0.9),
        prop_oneof![
            12 => Just(None),
            1 => Just(Some("CrashLoopBackOff")),
            1 => Just(Some("ErrImagePull")),
        ],
        prop_oneof![6 => Just(0u32), 1 => 1u32..3],
        job_gen(),
        trigger_gen(),
    )
        .prop_map(
            |(
                dt,
                new_spec,
                delete,
                cluster,
                current_hash,
                pod_failure,
                jm_restarts,
                job,
                trigger,
            )| {
                StepGen {
                    dt,
                    new_spec,
                    delete,
                    cluster,
                    current_hash,
                    pod_failure,
                    jm_restarts,
                    job,
                    trigger,
                }
            },
        )
}

// ----- the world and the walk -----

/// What the executor knows between steps.
#[derive(Clone, Debug)]
struct World {
    spec: FlinkDeploymentSpec,
    generation: i64,
    deleting: bool,
    has_finalizer: bool,
    applied_hash: Option<String>,
    /// The job id of the last ApplyCluster and when it was first applied: Flink reports
    /// checkpoints of a job only after it started.
    applied_job: Option<(String, Timestamp)>,
    now: Timestamp,
}

/// One decided step. A session job's step is kept in the FlinkDeployment form the checks read
/// (`spec` with the session job's job, statuses widened) beside what replays it (`session`).
#[derive(Clone, Debug)]
struct Rec {
    spec: FlinkDeploymentSpec,
    session: Option<(FlinkSessionJobSpec, SessionJobObservation)>,
    before: FlinkDeploymentStatus,
    obs: Observation,
    now: Timestamp,
    decision: Decision,
    transitions: Vec<(MachineState, MachineState)>,
}

fn observe(w: &World, status: &FlinkDeploymentStatus, g: &StepGen) -> Observation {
    let mut obs = Observation::new(UID, w.generation);
    obs.deleting = w.deleting;
    obs.has_finalizer = w.has_finalizer;
    obs.settings = Settings::resolve(&w.spec, &BTreeMap::new());
    let component = match g.cluster {
        0 => Component::Missing,
        1 => Component::Starting,
        _ => Component::Ready,
    };
    let exists = component != Component::Missing;
    obs.cluster = ClusterObservation {
        exists,
        spec_hash: if !exists {
            None
        } else if g.current_hash {
            w.applied_hash.clone()
        } else {
            Some("0123456789abcdef".into())
        },
        job_manager: component,
        task_manager: component,
        pod_failure: g.pod_failure.filter(|_| exists).map(|r| PodFailure {
            reason: r.into(),
            message: String::new(),
        }),
        job_manager_restarts: g.jm_restarts,
    };
    let our_id = status.job_status.job_id.clone().unwrap_or_default();
    obs.job = match &g.job {
        _ if !exists => JobObservation::NotAsked,
        JobGen::NotAsked => JobObservation::NotAsked,
        JobGen::Unreachable => JobObservation::Unreachable {
            error: "connection refused".into(),
        },
        JobGen::NotFound => JobObservation::NotFound,
        JobGen::Found {
            ours,
            state,
            tasks_running,
            restarts,
            checkpoint,
        } => JobObservation::Found(JobFacts {
            id: if *ours {
                our_id
            } else {
                "ffffffffffffffffffffffffffffffff".into()
            },
            state: *state,
            tasks_running: *tasks_running && *state == FlinkJobState::Running,
            restarts: *restarts,
            last_checkpoint: checkpoint.map(|(n, age)| CompletedSnapshot {
                id: u64::from(n),
                path: format!("s3://b/checkpoints/chk-{n}"),
                completed_at: (w.now - SignedDuration::from_secs(i64::from(age)))
                    .max(w.applied_job.as_ref().map_or(w.now, |(_, at)| *at)),
            }),
            failure: (*state == FlinkJobState::Failed).then(|| "boom".into()),
        }),
    };
    let trigger_id = status
        .machine
        .operation
        .as_ref()
        .and_then(|o| o.trigger_id.clone());
    obs.trigger = trigger_id.and_then(|id| {
        let status = match &g.trigger {
            TriggerGen::None => return None,
            TriggerGen::Unknown => TriggerStatus::Unknown,
            TriggerGen::InProgress => TriggerStatus::InProgress,
            TriggerGen::Completed(n) => TriggerStatus::Completed {
                location: format!("s3://b/savepoints/sp-{n}"),
            },
            TriggerGen::Failed => TriggerStatus::Failed {
                reason: "declined".into(),
            },
            TriggerGen::Stale => {
                return Some(TriggerObservation {
                    trigger_id: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee".into(),
                    status: TriggerStatus::InProgress,
                });
            }
        };
        Some(TriggerObservation {
            trigger_id: id,
            status,
        })
    });
    obs
}

/// Runs a walk from a fresh status; returns every step's record.
fn walk(first: &SpecGen, steps: &[StepGen]) -> Vec<Rec> {
    let mut w = World {
        spec: build_spec(first),
        generation: 1,
        deleting: false,
        has_finalizer: false,
        applied_hash: None,
        applied_job: None,
        now: t0(),
    };
    let mut status = FlinkDeploymentStatus::default();
    let mut recs = Vec::with_capacity(steps.len());
    for g in steps {
        w.now += SignedDuration::from_secs(i64::from(g.dt));
        if let Some(s) = &g.new_spec {
            w.spec = build_spec(s);
            w.generation += 1;
        }
        w.deleting |= g.delete;
        let obs = observe(&w, &status, g);
        let (decision, transitions) = step_with_transitions(&w.spec, &status, &obs, w.now);
        execute(&mut w, &decision);
        let before = std::mem::replace(&mut status, decision.status.clone());
        recs.push(Rec {
            spec: w.spec.clone(),
            session: None,
            before,
            obs,
            now: w.now,
            decision,
            transitions,
        });
    }
    recs
}

/// A session job's status in the FlinkDeployment form (same field names).
fn widen(s: &FlinkSessionJobStatus) -> FlinkDeploymentStatus {
    s.clone().into()
}

/// The session job's fields of a status in the FlinkDeployment form.
fn narrow(s: &FlinkDeploymentStatus) -> FlinkSessionJobStatus {
    s.clone().into()
}

fn build_session_spec(g: &SpecGen) -> FlinkSessionJobSpec {
    let d = build_spec(&SpecGen {
        has_job: true,
        ..g.clone()
    });
    FlinkSessionJobSpec {
        deployment_name: "session-a".into(),
        job: JobSpec {
            jar_uri: Some(if g.has_job {
                "https://repo.example/job.jar".into()
            } else {
                // Invalid for a session job: validation puts it in Failed.
                "local:///opt/flink/usrlib/job.jar".into()
            }),
            ..d.job.unwrap_or_default()
        },
        restart_nonce: d.restart_nonce,
        flink_configuration: d.flink_configuration,
    }
}

/// The FlinkDeployment view of a session job's spec the checks read (its job and settings).
fn session_view(spec: &FlinkSessionJobSpec) -> FlinkDeploymentSpec {
    FlinkDeploymentSpec {
        job: Some(spec.job.clone()),
        restart_nonce: spec.restart_nonce,
        flink_configuration: spec.flink_configuration.clone(),
        ..FlinkDeploymentSpec::default()
    }
}

/// Decides a recorded step again from `status` (either kind).
fn redo(r: &Rec, status: &FlinkDeploymentStatus) -> Decision {
    match &r.session {
        None => step(&r.spec, status, &r.obs, r.now),
        Some((spec, obs)) => {
            let d = session_job::step(spec, &narrow(status), obs, r.now);
            Decision {
                status: widen(&d.status),
                actions: d.actions,
            }
        }
    }
}

/// Runs a session job's walk from a fresh status. The session cluster is `g.cluster` (0
/// missing, or not a session cluster when the hash is foreign; 1 not ready; 2 ready).
fn session_walk(first: &SpecGen, steps: &[StepGen]) -> Vec<Rec> {
    let mut spec = build_session_spec(first);
    let mut w = World {
        spec: session_view(&spec),
        generation: 1,
        deleting: false,
        has_finalizer: false,
        applied_hash: None,
        applied_job: None,
        now: t0(),
    };
    let mut status = FlinkSessionJobStatus::default();
    let mut recs = Vec::with_capacity(steps.len());
    for g in steps {
        w.now += SignedDuration::from_secs(i64::from(g.dt));
        if let Some(s) = &g.new_spec {
            spec = build_session_spec(s);
            w.spec = session_view(&spec);
            w.generation += 1;
        }
        w.deleting |= g.delete;
        let before = widen(&status);
        let mut obs = observe(&w, &before, g);
        let cluster = match (g.cluster, g.current_hash) {
            (2, _) => SessionCluster::Ready,
            (1, _) => SessionCluster::NotReady,
            (_, true) => SessionCluster::Missing,
            (_, false) => SessionCluster::NotASessionCluster,
        };
        if cluster != SessionCluster::Ready
            && !matches!(obs.job, JobObservation::Unreachable { .. })
        {
            obs.job = JobObservation::NotAsked;
        }
        obs.settings = Settings::resolve_session_job(&spec, None, &BTreeMap::new());
        obs.cluster = ClusterObservation::default();
        let sobs = SessionJobObservation {
            uid: obs.uid.clone(),
            generation: obs.generation,
            deleting: obs.deleting,
            has_finalizer: obs.has_finalizer,
            settings: obs.settings.clone(),
            cluster,
            job: obs.job.clone(),
            trigger: obs.trigger.clone(),
            // The random pod failure stands for a failed submission here.
            submit_error: g
                .pod_failure
                .map(|r| format!("{r}: the jar could not be fetched")),
        };
        let (d, transitions) = session_job::step_with_transitions(&spec, &status, &sobs, w.now);
        let decision = Decision {
            status: widen(&d.status),
            actions: d.actions,
        };
        execute(&mut w, &decision);
        status = d.status;
        recs.push(Rec {
            spec: w.spec.clone(),
            session: Some((spec.clone(), sobs)),
            before,
            obs,
            now: w.now,
            decision,
            transitions,
        });
    }
    recs
}

/// The executor's effects on the world that later observations depend on.
fn execute(w: &mut World, d: &Decision) {
    for a in &d.actions {
        match a {
            Action::ApplyCluster {
                spec_hash, job_id, ..
            } => {
                w.applied_hash = Some(spec_hash.clone());
                if let Some(id) = job_id
                    && w.applied_job.as_ref().is_none_or(|(old, _)| old != id)
                {
                    w.applied_job = Some((id.clone(), w.now));
                }
            }
            Action::SubmitJob { job_id, .. }
                if w.applied_job.as_ref().is_none_or(|(old, _)| old != job_id) =>
            {
                w.applied_job = Some((job_id.clone(), w.now));
            }
            Action::AddFinalizer => w.has_finalizer = true,
            Action::RemoveFinalizer => w.has_finalizer = false,
            _ => {}
        }
    }
}

// ----- the properties, as predicates on one record -----

fn usable_restore_point(st: &FlinkDeploymentStatus) -> bool {
    st.job_status.savepoint_info.last_savepoint.is_some()
        || st
            .job_status
            .checkpoint_info
            .last_checkpoint
            .as_ref()
            .is_some_and(|c| c.location.is_some())
}

/// The persisted restore plan drops state because the user asked (its typed
/// `dropsStateAsAsked`, set by the machine's `start_operation` for a stateless upgrade or
/// rollback, or savepointRedeployNonce).
fn opted_out(st: &FlinkDeploymentStatus) -> bool {
    st.machine
        .restore_plan
        .as_ref()
        .is_some_and(|p| p.drops_state_as_asked)
}

fn is_stateful_app(spec: &FlinkDeploymentSpec) -> bool {
    spec.job
        .as_ref()
        .is_some_and(|j| j.upgrade_mode != UpgradeMode::Stateless)
}

/// (a) An application cluster is never (re)started from empty state when the spec's
/// upgradeMode is savepoint or last-state and the status before the step already records a
/// usable savepoint (`lastSavepoint`) or checkpoint (`lastCheckpoint` with a location).
/// The one exception is the user's opt-out recorded in the restore plan (before or after the
/// step) when the
/// operation started (`dropsStateAsAsked`: upgradeMode was stateless then, or
/// savepointRedeployNonce; a spec turned stateful since does not bring dropped state back).
/// `savepointRedeployNonce` restores from `initialSavepointPath` (validation refuses the nonce
/// without the path), so it never starts from `None` either.
fn check_no_stateless_start(r: &Rec) -> Result<(), String> {
    if !is_stateful_app(&r.spec)
        || !usable_restore_point(&r.before)
        || opted_out(&r.before)
        || opted_out(&r.decision.status)
    {
        return Ok(());
    }
    for a in &r.decision.actions {
        if let Action::ApplyCluster {
            restore: None,
            job_id: Some(_),
            ..
        }
        | Action::SubmitJob { restore: None, .. } = a
        {
            return Err(format!(
                "a start from empty state although status records {:?} / {:?} (plan {:?})",
                r.before.job_status.savepoint_info.last_savepoint,
                r.before.job_status.checkpoint_info.last_checkpoint,
                r.decision.status.machine.restore_plan
            ));
        }
    }
    Ok(())
}

/// (b) While our job runs (Flink reports our job id RUNNING) and the spec's upgradeMode is
/// savepoint or last-state, a step emits `DeleteCluster` or `CancelJob` only if
/// - the status it persists first names a restore point (`machine.restorePlan.restore`: the
///   savepoint stop-with-savepoint recorded, or for last-state the newest checkpoint), or
/// - the persisted plan records the user's opt-out, decided when the operation started
///   (upgradeMode stateless at that time, or savepointRedeployNonce: `dropsStateAsAsked`;
///   the spec may have turned stateful since), or
/// - the operation chose not to stop the job (`stop: None`: when it started the job was not
///   running, e.g. FAILED, lost by Flink, its cluster gone) and the status records no
///   savepoint or checkpoint at all: there is no recorded state to lose (a job seen RUNNING
///   again during the teardown is not stopped first; with a recorded point the plan names
///   it and the first rule applies), or
/// - the resource is being deleted and its stop phase is over (the state before the step is
///   TearingDown: the final savepoint was recorded, failed or timed out, or the job was gone;
///   a job that reappears during the teardown is not savepointed again), or
/// - the resource is Suspended, a leftover cluster runs the job again and the status
///   records no savepoint or checkpoint at all (nothing recorded to lose; the leftover is
///   deleted without a savepoint), or
/// - the resource is being deleted and the mode says so: `deleteMode` cancel or none, or
///   deleteMode savepoint without a savepoint directory (cancel), or the documented exit of a
///   final savepoint that failed or timed out (the plan's reason says so).
fn check_no_stateful_kill(r: &Rec) -> Result<(), String> {
    let our_id = r.before.job_status.job_id.as_deref();
    let running = matches!(&r.obs.job, JobObservation::Found(f) if Some(f.id.as_str()) == our_id && f.state == FlinkJobState::Running);
    if !running || !is_stateful_app(&r.spec) {
        return Ok(());
    }
    let Some(kill) = r
        .decision
        .actions
        .iter()
        .find(|a| matches!(a, Action::DeleteCluster | Action::CancelJob { .. }))
    else {
        return Ok(());
    };
    let plan = r.decision.status.machine.restore_plan.as_ref();
    if plan.is_some_and(|p| p.restore.is_some()) || opted_out(&r.decision.status) {
        return Ok(());
    }
    let stop = r
        .decision
        .status
        .machine
        .operation
        .as_ref()
        .and_then(|o| o.stop);
    let deleting_after_stop =
        r.obs.deleting && r.before.machine.state == Some(MachineState::TearingDown);
    if deleting_after_stop
        || (stop == Some(StopMethod::None) && !usable_restore_point(&r.decision.status))
    {
        return Ok(());
    }
    if r.before.machine.state == Some(MachineState::Suspended)
        && !usable_restore_point(&r.decision.status)
    {
        return Ok(());
    }
    if r.obs.deleting {
        let mode = r
            .spec
            .job
            .as_ref()
            .map(JobSpec::effective_delete_mode)
            .unwrap_or(DeleteMode::Cancel);
        let final_failed = plan
            .and_then(|p| p.reason.as_deref())
            .is_some_and(|why| why.contains("final savepoint failed"));
        if mode != DeleteMode::Savepoint || r.obs.settings.savepoint_dir.is_none() || final_failed {
            return Ok(());
        }
    }
    Err(format!(
        "{kill:?} of our RUNNING stateful job with no restore point in status (plan {plan:?})"
    ))
}

fn destructive_or_snapshot(a: &Action) -> bool {
    a.is_destructive()
        || matches!(
            a,
            Action::TriggerSavepoint { .. } | Action::TriggerCheckpoint { .. }
        )
}

/// (e) Replay after a crash: the operator persisted `decision.status` and crashed before (or
/// while) executing the actions; the next step sees the same observation at the same time.
/// The replay must not start anything new: every destructive action or snapshot trigger it
/// emits was either emitted by the first call (same ids), or is the very thing the persisted
/// state had already committed to (DeleteCluster in TearingDown/Suspended, or in Stopping
/// when the first call only noted a delete arriving during the stop; the operation's own
/// stop, cancel or trigger id in Stopping/Savepointing). No new trigger id and no new
/// deployment is counted, and repeated replays reach a fixed point within a few steps.
fn check_replay(r: &Rec) -> Result<(), String> {
    let first = &r.decision;
    let ms = &first.status.machine;
    let again = redo(r, &first.status);
    let op_trigger = ms.operation.as_ref().and_then(|o| o.trigger_id.as_deref());
    // The first call only noted a delete arriving during a stop (it turns the operation into
    // a delete and requeues); finishing that stop and deleting the cluster is now committed.
    let kind = |st: &FlinkDeploymentStatus| st.machine.operation.as_ref().map(|o| o.kind);
    let noted_delete = kind(&r.before) != Some(OperationKind::Delete)
        && kind(&first.status) == Some(OperationKind::Delete);
    for a in again
        .actions
        .iter()
        .filter(|a| destructive_or_snapshot(a) || matches!(a, Action::SubmitJob { .. }))
    {
        if first.actions.contains(a) {
            continue;
        }
        let committed = match a {
            Action::DeleteCluster => {
                matches!(
                    ms.state,
                    Some(MachineState::TearingDown | MachineState::Suspended)
                ) || (ms.state == Some(MachineState::Stopping) && noted_delete)
            }
            Action::CancelJob { .. } => {
                ms.state == Some(MachineState::Stopping)
                    || (r.session.is_some()
                        && matches!(
                            ms.state,
                            Some(MachineState::TearingDown | MachineState::Suspended)
                        ))
            }
            // The same job id as the persisted status: a re-submit Flink recognises.
            Action::SubmitJob { job_id, .. } => {
                ms.state == Some(MachineState::Deploying)
                    && first.status.job_status.job_id.as_deref() == Some(job_id.as_str())
            }
            Action::StopWithSavepoint { trigger_id, .. } => {
                ms.state == Some(MachineState::Stopping) && op_trigger == Some(trigger_id.as_str())
            }
            Action::TriggerSavepoint { trigger_id, .. }
            | Action::TriggerCheckpoint { trigger_id, .. } => {
                ms.state == Some(MachineState::Savepointing)
                    && op_trigger == Some(trigger_id.as_str())
            }
            _ => false,
        };
        if !committed {
            return Err(format!(
                "replay emitted {a:?}, which the first call did not ({:?}) and the persisted state {:?} had not committed to",
                first.actions, ms.state
            ));
        }
    }
    let m2 = &again.status.machine;
    if m2.trigger_count != ms.trigger_count || m2.deploy_count != ms.deploy_count {
        return Err(format!(
            "replay counted a new trigger or deployment ({}/{} → {}/{})",
            ms.trigger_count, ms.deploy_count, m2.trigger_count, m2.deploy_count
        ));
    }
    let mut status = again.status;
    for _ in 0..6 {
        let next = redo(r, &status).status;
        if next == status {
            return Ok(());
        }
        status = next;
    }
    Err(format!(
        "status does not converge under replays of the same observation (state {:?})",
        status.machine.state
    ))
}

/// (c) Determinism: the same inputs give the same decision, also when the status went through
/// its JSON form (as it does when persisted in Kubernetes).
fn check_deterministic(r: &Rec) -> Result<(), String> {
    let same = redo(r, &r.before);
    if same != r.decision {
        return Err("a second call with the same inputs decided differently".into());
    }
    let json = serde_json::to_value(&r.before).map_err(|e| e.to_string())?;
    let parsed: FlinkDeploymentStatus = serde_json::from_value(json).map_err(|e| e.to_string())?;
    if redo(r, &parsed) != r.decision {
        return Err("the status's JSON round trip changed the decision".into());
    }
    Ok(())
}

/// Shape of every decision: exactly one Requeue, last, and every transition is a TABLE row.
fn check_shape(r: &Rec) -> Result<(), String> {
    let requeues = r
        .decision
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Requeue { .. }))
        .count();
    if requeues != 1 || !matches!(r.decision.actions.last(), Some(Action::Requeue { .. })) {
        return Err(format!(
            "not exactly one Requeue, last: {:?}",
            r.decision.actions
        ));
    }
    let session_table = session_job_table();
    let table = if r.session.is_some() {
        &session_table[..]
    } else {
        TABLE
    };
    for &(from, to) in &r.transitions {
        if !table.iter().any(|row| row.from == from && row.to == to) {
            return Err(format!(
                "transition {from:?} → {to:?} is not in its diagram table"
            ));
        }
    }
    Ok(())
}

fn explain(i: usize, r: &Rec, e: String) -> TestCaseError {
    TestCaseError::fail(format!(
        "step {i}: {e}\n  op before {:?}\n  state before {:?}, after {:?}, transitions {:?}\n  obs {:?}\n  actions {:?}",
        r.before.machine.operation,
        r.before.machine.state,
        r.decision.status.machine.state,
        r.transitions,
        r.obs,
        r.decision.actions
    ))
}

fn walk_gen() -> impl Strategy<Value = (SpecGen, Vec<StepGen>)> {
    (spec_gen(), prop::collection::vec(step_gen(), 1..24))
}

type Walker = fn(&SpecGen, &[StepGen]) -> Vec<Rec>;
type Check = fn(&Rec) -> Result<(), String>;

/// Every check holds on every step of the walk.
fn holds(
    walker: Walker,
    first: &SpecGen,
    steps: &[StepGen],
    checks: &[Check],
) -> Result<(), TestCaseError> {
    for (i, r) in walker(first, steps).iter().enumerate() {
        for check in checks {
            check(r).map_err(|e| explain(i, r, e))?;
        }
    }
    Ok(())
}

/// (a) and (b), and (f): no panic anywhere in a walk.
const STATE_KEPT: &[Check] = &[check_no_stateless_start, check_no_stateful_kill];
/// (c) determinism, and the shape of every decision.
const DETERMINISTIC: &[Check] = &[check_shape, check_deterministic];
/// (e) replaying any step of a walk is harmless.
const REPLAY: &[Check] = &[check_replay];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn state_is_never_dropped((first, steps) in walk_gen()) {
        holds(walk, &first, &steps, STATE_KEPT)?;
    }

    #[test]
    fn decisions_are_deterministic((first, steps) in walk_gen()) {
        holds(walk, &first, &steps, DETERMINISTIC)?;
    }

    #[test]
    fn replaying_a_step_is_harmless((first, steps) in walk_gen()) {
        holds(walk, &first, &steps, REPLAY)?;
    }

    #[test]
    fn session_job_state_is_never_dropped((first, steps) in walk_gen()) {
        holds(session_walk, &first, &steps, STATE_KEPT)?;
    }

    #[test]
    fn session_job_decisions_are_deterministic((first, steps) in walk_gen()) {
        holds(session_walk, &first, &steps, DETERMINISTIC)?;
    }

    #[test]
    fn session_job_replaying_a_step_is_harmless((first, steps) in walk_gen()) {
        holds(session_walk, &first, &steps, REPLAY)?;
    }
}

/// A valid spec whose job (if any) should run, without periodic savepoints.
fn healthy_spec_gen() -> impl Strategy<Value = SpecGen> {
    spec_gen().prop_map(|mut g| {
        g.suspended = false;
        g.parallelism = g.parallelism.max(1);
        g.savepoint_dir = true;
        g.checkpoint_dir = true;
        g.periodic = false;
        if g.redeploy_nonce.is_some() {
            g.initial_savepoint = true;
        }
        g
    })
}

proptest! {
    #![proptest_config(config())]

    /// (d) A steady, healthy Running deployment (deployed, past the stability window, cluster
    /// ready with the deployed spec, our job RUNNING with all tasks, no pending nonce or spec
    /// change) yields only a Requeue, whatever the time between steps and however its
    /// checkpoints progress.
    #[test]
    fn steady_running_only_requeues(
        g in healthy_spec_gen(),
        gaps in prop::collection::vec(1u32..900, 1..12),
        checkpoints in prop::collection::vec(prop::option::of(0u16..600), 12),
    ) {
        let mut w = World {
            spec: build_spec(&g),
            generation: 1,
            deleting: false,
            has_finalizer: true,
            applied_hash: None,
            applied_job: None,
            now: t0(),
        };
        let ready = |checkpoint: Option<(u8, u16)>| StepGen {
            dt: 0,
            new_spec: None,
            delete: false,
            cluster: 2,
            current_hash: true,
            pod_failure: None,
            jm_restarts: 0,
            job: JobGen::Found {
                ours: true,
                state: FlinkJobState::Running,
                tasks_running: true,
                restarts: 0,
                checkpoint,
            },
            trigger: TriggerGen::None,
        };
        let mut status = FlinkDeploymentStatus::default();
        // Create, become ready and RUNNING, then run past the stability window.
        for (dt, cluster) in [(0, 0u8), (30, 2), (120, 2)] {
            w.now += SignedDuration::from_secs(dt);
            let obs = observe(&w, &status, &StepGen { cluster, ..ready(None) });
            let d = step(&w.spec, &status, &obs, w.now);
            execute(&mut w, &d);
            status = d.status;
        }
        prop_assert_eq!(status.machine.state, Some(MachineState::Running));
        prop_assert_eq!(&status.machine.stable_spec_hash, &status.machine.deployed_spec_hash);
        for (i, gap) in gaps.iter().enumerate() {
            w.now += SignedDuration::from_secs(i64::from(*gap));
            let cp = checkpoints[i].map(|age| ((i % 6) as u8, age.min(*gap as u16)));
            let obs = observe(&w, &status, &ready(cp));
            let d = step(&w.spec, &status, &obs, w.now);
            prop_assert!(
                matches!(d.actions.as_slice(), [Action::Requeue { .. }]),
                "steady step {} decided {:?}", i, d.actions
            );
            prop_assert_eq!(d.status.machine.state, Some(MachineState::Running));
            status = d.status;
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// (d) for session jobs: submitted, past the stability window, session cluster ready, our
    /// job RUNNING with all tasks, nothing pending: only a Requeue, whatever the gaps between
    /// steps and however checkpoints progress.
    #[test]
    fn session_job_steady_running_only_requeues(
        g in healthy_spec_gen(),
        gaps in prop::collection::vec(1u32..900, 1..12),
        checkpoints in prop::collection::vec(prop::option::of(0u16..600), 12),
    ) {
        let g = SpecGen { has_job: true, ..g };
        let ready = |checkpoint: Option<(u8, u16)>, job: bool| StepGen {
            dt: 0,
            new_spec: None,
            delete: false,
            cluster: 2,
            current_hash: true,
            pod_failure: None,
            jm_restarts: 0,
            job: if job {
                JobGen::Found {
                    ours: true,
                    state: FlinkJobState::Running,
                    tasks_running: true,
                    restarts: 0,
                    checkpoint,
                }
            } else {
                JobGen::NotFound
            },
            trigger: TriggerGen::None,
        };
        // Submit, see it RUNNING, run past the stability window.
        let mut steps = vec![ready(None, false)];
        steps.push(StepGen { dt: 5, ..ready(None, true) });
        steps.push(StepGen { dt: 120, ..ready(None, true) });
        for (i, gap) in gaps.iter().enumerate() {
            let cp = checkpoints[i].map(|age| ((i % 6) as u8, age.min(*gap as u16)));
            steps.push(StepGen { dt: *gap, ..ready(cp, true) });
        }
        let recs = session_walk(&g, &steps);
        prop_assert_eq!(recs[2].decision.status.machine.state, Some(MachineState::Running));
        for (i, r) in recs.iter().enumerate().skip(3) {
            prop_assert!(
                matches!(r.decision.actions.as_slice(), [Action::Requeue { .. }]),
                "steady step {} decided {:?}", i, r.decision.actions
            );
            prop_assert_eq!(r.decision.status.machine.state, Some(MachineState::Running));
        }
    }
}
