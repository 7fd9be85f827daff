//! Scenario files and their transcripts, shared by the scenario and transition-table tests.
//!
//! A scenario is a spec, an optional starting status and a list of steps. Each step says what
//! the operator observes at a time offset; the world carries over from step to step unless a
//! step changes it. Like a real executor, the harness fills in what the operator would take
//! from status: the job id (`status.jobStatus.jobId`), the trigger id it polls
//! (`status.machine.operation.triggerId`) and the cluster's spec-hash label (the hash of the
//! last `ApplyCluster` it executed).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use flink_crd::status::{FlinkDeploymentStatus, FlinkSessionJobStatus, MachineState};
use flink_crd::{FlinkDeploymentSpec, FlinkSessionJobSpec};
use flink_lifecycle::session_job::{self, SessionCluster, SessionJobObservation};
use flink_lifecycle::{
    Action, ClusterObservation, CompletedSnapshot, Component, Decision, FlinkJobState, JobFacts,
    JobObservation, Observation, PodFailure, Settings, TriggerObservation, TriggerStatus,
    step_with_transitions,
};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::Value;

/// Start of every scenario's clock; transcripts show offsets from it.
pub const T0: &str = "2026-01-01T00:00:00Z";

/// Which machine a scenario drives.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A FlinkDeployment (`flink_lifecycle::step`).
    #[default]
    Deployment,
    /// A FlinkSessionJob (`flink_lifecycle::session_job::step`); cluster words are
    /// `missing`, `notSession`, `notReady`, `ready`.
    SessionJob,
}

/// A scenario file.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows.
    pub description: String,
    /// Which machine (default: a FlinkDeployment).
    #[serde(default)]
    pub kind: Kind,
    /// The resource's spec at generation 1.
    pub spec: Value,
    /// Starting status (default: a resource never seen).
    #[serde(default)]
    pub status: Option<Value>,
    /// The operator's default configuration (flat keys).
    #[serde(default)]
    pub operator_defaults: BTreeMap<String, String>,
    /// The steps.
    pub steps: Vec<StepSpec>,
}

/// One observation.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepSpec {
    /// Offset from T0, e.g. `90s`.
    pub at: String,
    /// What happens, in words.
    #[serde(default)]
    pub note: Option<String>,
    /// A JSON merge patch applied to the spec (bumps the generation).
    #[serde(default)]
    pub patch: Option<Value>,
    /// The resource's deletion timestamp gets set.
    #[serde(default)]
    pub delete: bool,
    /// Cluster: `gone`, `starting`, `ready`, or a map (session jobs: `missing`, `notSession`,
    /// `notReady`, `ready`).
    #[serde(default)]
    pub cluster: Option<ClusterSpec>,
    /// Job: `notAsked`, `unreachable`, `notFound`, or a map.
    #[serde(default)]
    pub job: Option<JobSpecObs>,
    /// Trigger status: `unknown`, `inProgress`, `completed: <location>`, `failed: <reason>`.
    #[serde(default)]
    pub trigger: Option<TriggerSpec>,
    /// Session jobs: the executor reports that the last submission failed with this message
    /// (this step only).
    #[serde(default)]
    pub submit_error: Option<String>,
}

/// Cluster shorthand.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum ClusterSpec {
    /// `gone` | `partial` | `starting` | `ready`.
    Word(String),
    /// Detailed.
    Detail {
        /// `gone` | `partial` | `starting` | `ready`.
        state: String,
        /// A failing pod: reason.
        #[serde(default, rename = "podFailure")]
        pod_failure: Option<String>,
        /// JobManager restarts.
        #[serde(default, rename = "jmRestarts")]
        jm_restarts: u32,
    },
}

/// Job shorthand.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum JobSpecObs {
    /// `notAsked` | `unreachable` | `notFound` | a Flink state like `RUNNING`.
    Word(String),
    /// Detailed.
    Detail {
        /// Flink state.
        state: FlinkJobState,
        /// All tasks run (default true for RUNNING).
        #[serde(default, rename = "tasksRunning")]
        tasks_running: Option<bool>,
        /// Restart count.
        #[serde(default)]
        restarts: u32,
        /// Newest checkpoint: `path@offset`.
        #[serde(default)]
        checkpoint: Option<String>,
        /// Failure cause.
        #[serde(default)]
        failure: Option<String>,
    },
}

/// Trigger shorthand.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub enum TriggerSpec {
    /// Flink does not know it.
    Unknown,
    /// In progress.
    InProgress,
    /// Completed at this location.
    Completed(String),
    /// Failed with this reason.
    Failed(String),
}

/// `1h2m3s`, `5m`, `90s`, `5m20.5s` (Flink's timestamps have milliseconds, status times
/// whole seconds).
fn offset(text: &str) -> SignedDuration {
    let mut total_ms = 0i64;
    let mut num = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num
            .parse()
            .unwrap_or_else(|_| panic!("bad offset {text:?}"));
        let unit_ms = match c {
            'h' => 3_600_000.0,
            'm' => 60_000.0,
            's' => 1_000.0,
            _ => panic!("bad offset unit in {text:?}"),
        };
        total_ms += (n * unit_ms).round() as i64;
        num.clear();
    }
    assert!(num.is_empty(), "offset {text:?} lacks a unit");
    SignedDuration::from_millis(total_ms)
}

fn t0() -> Timestamp {
    T0.parse().expect("T0 parses")
}

/// Renders a timestamp as an offset from T0 (`+1m30s`).
pub fn rel(ts: Timestamp) -> String {
    let secs = ts.as_second() - t0().as_second();
    let (sign, secs) = if secs < 0 { ("-", -secs) } else { ("+", secs) };
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut out = sign.to_string();
    if h > 0 {
        out += &format!("{h}h");
    }
    if m > 0 {
        out += &format!("{m}m");
    }
    if s > 0 || (h == 0 && m == 0) {
        out += &format!("{s}s");
    }
    out
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The world as the harness keeps it between steps.
struct World {
    spec: Value,
    generation: i64,
    deleting: bool,
    has_finalizer: bool,
    cluster: Option<ClusterSpec>,
    applied_hash: Option<String>,
    job: Option<JobSpecObs>,
    trigger: Option<TriggerSpec>,
}

/// One step's record.
pub struct Record {
    pub at: Timestamp,
    pub note: Option<String>,
    /// What was observed, in words.
    pub observed: String,
    /// The status before the step (a session job's in its FlinkDeployment form).
    pub before: FlinkDeploymentStatus,
    /// The decision (a session job's status in its FlinkDeployment form).
    pub decision: Decision,
    pub transitions: Vec<(MachineState, MachineState)>,
}

/// A session job's status in the FlinkDeployment form the transcript reads (same field
/// names; the cluster's fields stay empty).
fn widen(s: &FlinkSessionJobStatus) -> FlinkDeploymentStatus {
    s.clone().into()
}

/// The session cluster a cluster word names.
fn session_cluster(w: &World) -> SessionCluster {
    match &w.cluster {
        None => SessionCluster::Missing,
        Some(ClusterSpec::Word(s) | ClusterSpec::Detail { state: s, .. }) => match s.as_str() {
            "ready" => SessionCluster::Ready,
            "notReady" | "starting" => SessionCluster::NotReady,
            "notSession" => SessionCluster::NotASessionCluster,
            "missing" | "gone" => SessionCluster::Missing,
            other => panic!("unknown session cluster state {other}"),
        },
    }
}

/// Loads a scenario file.
pub fn load(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).expect("scenario file is readable");
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs a scenario, feeding each decision's status into the next step.
pub fn run(sc: &Scenario) -> Vec<Record> {
    let mut status: FlinkDeploymentStatus = match &sc.status {
        Some(v) => serde_json::from_value(v.clone()).expect("starting status parses"),
        None => FlinkDeploymentStatus::default(),
    };
    let mut session_status: FlinkSessionJobStatus = match &sc.status {
        Some(v) => serde_json::from_value(v.clone()).expect("starting status parses"),
        None => FlinkSessionJobStatus::default(),
    };
    let mut world = World {
        spec: sc.spec.clone(),
        generation: 1,
        deleting: false,
        has_finalizer: false,
        cluster: None,
        applied_hash: status.machine.deployed_spec_hash.clone(),
        job: None,
        trigger: None,
    };
    if sc.status.is_some() {
        world.has_finalizer = true;
        world.generation = status.machine.generation.unwrap_or(1);
    }
    let mut records = Vec::new();
    for s in &sc.steps {
        let at = t0() + offset(&s.at);
        if let Some(p) = &s.patch {
            merge(&mut world.spec, p);
            world.generation += 1;
        }
        world.deleting |= s.delete;
        if s.cluster.is_some() {
            world.cluster = s.cluster.clone();
            // A cluster that is gone takes its job with it.
            if matches!(&s.cluster, Some(ClusterSpec::Word(w)) if w == "gone") && s.job.is_none() {
                world.job = None;
            }
        }
        if s.job.is_some() {
            world.job = s.job.clone();
        }
        if s.trigger.is_some() {
            world.trigger = s.trigger.clone();
        }
        let (observed, before, decision, transitions) = if sc.kind == Kind::SessionJob {
            let spec: FlinkSessionJobSpec =
                serde_json::from_value(world.spec.clone()).expect("session job spec parses");
            let before = widen(&session_status);
            let mut obs = observe(&world, None, &before, &BTreeMap::new());
            let cluster = session_cluster(&world);
            if cluster != SessionCluster::Ready
                && !matches!(obs.job, JobObservation::Unreachable { .. })
            {
                obs.job = JobObservation::NotAsked;
            }
            let sobs = SessionJobObservation {
                uid: obs.uid.clone(),
                generation: obs.generation,
                deleting: obs.deleting,
                has_finalizer: obs.has_finalizer,
                settings: Settings::resolve_session_job(&spec, None, &sc.operator_defaults),
                cluster,
                job: obs.job.clone(),
                trigger: obs.trigger.clone(),
                submit_error: s.submit_error.clone(),
            };
            let (d, transitions) =
                session_job::step_with_transitions(&spec, &session_status, &sobs, at);
            session_status = d.status.clone();
            let decision = Decision {
                status: widen(&d.status),
                actions: d.actions,
            };
            let mut observed = describe_obs(&obs, Some(cluster));
            if let Some(e) = &s.submit_error {
                observed += &format!("; last submit failed: {e}");
            }
            (observed, before, decision, transitions)
        } else {
            let spec: FlinkDeploymentSpec =
                serde_json::from_value(world.spec.clone()).expect("spec parses");
            let obs = observe(&world, Some(&spec), &status, &sc.operator_defaults);
            let before = status.clone();
            let (decision, transitions) = step_with_transitions(&spec, &status, &obs, at);
            (describe_obs(&obs, None), before, decision, transitions)
        };
        // Execute what changes the harness's world.
        for a in &decision.actions {
            match a {
                Action::ApplyCluster { spec_hash, .. } => {
                    world.applied_hash = Some(spec_hash.clone())
                }
                Action::AddFinalizer => world.has_finalizer = true,
                Action::RemoveFinalizer => world.has_finalizer = false,
                _ => {}
            }
        }
        status = decision.status.clone();
        records.push(Record {
            at,
            note: s.note.clone(),
            observed,
            before,
            decision,
            transitions,
        });
    }
    records
}

/// The operator's observation of the world (`spec` is `None` for a session job, whose
/// settings the caller resolves).
fn observe(
    w: &World,
    spec: Option<&FlinkDeploymentSpec>,
    status: &FlinkDeploymentStatus,
    defaults: &BTreeMap<String, String>,
) -> Observation {
    let mut obs = Observation::new("scenario-uid", w.generation);
    obs.deleting = w.deleting;
    obs.has_finalizer = w.has_finalizer;
    if let Some(spec) = spec {
        obs.settings = Settings::resolve(spec, defaults);
    }
    let (state, pod_failure, jm_restarts) = match &w.cluster {
        None => ("gone".to_string(), None, 0),
        Some(ClusterSpec::Word(s)) => (s.clone(), None, 0),
        Some(ClusterSpec::Detail {
            state,
            pod_failure,
            jm_restarts,
        }) => (state.clone(), pod_failure.clone(), *jm_restarts),
    };
    let (component, exists) = match state.as_str() {
        "ready" => (Component::Ready, true),
        "starting" | "notReady" => (Component::Starting, true),
        // An apply cut short: the ConfigMap and Services exist, no Deployment does.
        "partial" => (Component::Missing, true),
        "gone" | "missing" | "notSession" => (Component::Missing, false),
        other => panic!("unknown cluster state {other}"),
    };
    obs.cluster = ClusterObservation {
        exists,
        spec_hash: if exists { w.applied_hash.clone() } else { None },
        job_manager: component,
        task_manager: component,
        pod_failure: pod_failure.map(|reason| PodFailure {
            reason,
            message: String::new(),
        }),
        job_manager_restarts: jm_restarts,
    };
    let job_id = status.job_status.job_id.clone().unwrap_or_default();
    obs.job = match &w.job {
        None => JobObservation::NotAsked,
        Some(JobSpecObs::Word(word)) => match word.as_str() {
            "notAsked" => JobObservation::NotAsked,
            "unreachable" => JobObservation::Unreachable {
                error: "connection refused".into(),
            },
            "notFound" => JobObservation::NotFound,
            other => {
                let state: FlinkJobState = serde_json::from_value(Value::String(other.into()))
                    .unwrap_or_else(|_| panic!("job state {other}"));
                JobObservation::Found(JobFacts {
                    id: job_id,
                    state,
                    tasks_running: state == FlinkJobState::Running,
                    restarts: 0,
                    last_checkpoint: None,
                    failure: None,
                })
            }
        },
        Some(JobSpecObs::Detail {
            state,
            tasks_running,
            restarts,
            checkpoint,
            failure,
        }) => JobObservation::Found(JobFacts {
            id: job_id,
            state: *state,
            tasks_running: tasks_running.unwrap_or(*state == FlinkJobState::Running),
            restarts: *restarts,
            last_checkpoint: checkpoint.as_ref().map(|c| {
                let (path, when) = c.rsplit_once('@').expect("checkpoint is path@offset");
                CompletedSnapshot {
                    // Flink names a checkpoint's directory `chk-<id>`.
                    id: path
                        .rsplit_once("chk-")
                        .and_then(|(_, id)| id.parse().ok())
                        .unwrap_or(0),
                    path: path.to_string(),
                    completed_at: t0() + offset(when),
                }
            }),
            failure: failure.clone(),
        }),
    };
    // Outside a cluster there is no job to ask about.
    if !obs.cluster.exists && !matches!(obs.job, JobObservation::Unreachable { .. }) {
        obs.job = JobObservation::NotAsked;
    }
    let trigger_id = status
        .machine
        .operation
        .as_ref()
        .and_then(|o| o.trigger_id.clone());
    obs.trigger = match (trigger_id, &w.trigger) {
        (Some(id), Some(t)) => Some(TriggerObservation {
            trigger_id: id,
            status: match t {
                TriggerSpec::Unknown => TriggerStatus::Unknown,
                TriggerSpec::InProgress => TriggerStatus::InProgress,
                TriggerSpec::Completed(l) => TriggerStatus::Completed {
                    location: l.clone(),
                },
                TriggerSpec::Failed(r) => TriggerStatus::Failed { reason: r.clone() },
            },
        }),
        _ => None,
    };
    obs
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

fn describe_obs(o: &Observation, session: Option<SessionCluster>) -> String {
    let c = &o.cluster;
    let cluster = if let Some(sc) = session {
        format!("session cluster {sc:?}")
    } else if !c.exists {
        "cluster gone".to_string()
    } else {
        let state = match c.job_manager {
            Component::Ready => "ready",
            Component::Starting => "starting",
            Component::Missing => "partial",
        };
        let mut s = format!(
            "cluster {state} (spec {})",
            c.spec_hash.as_deref().map(short).unwrap_or_default()
        );
        if let Some(p) = &c.pod_failure {
            s += &format!(", pod failing: {}", p.reason);
        }
        if c.job_manager_restarts > 0 {
            s += &format!(", JM restarts {}", c.job_manager_restarts);
        }
        s
    };
    let job = match &o.job {
        JobObservation::NotAsked => "job not asked".to_string(),
        JobObservation::Unreachable { error } => format!("Flink unreachable ({error})"),
        JobObservation::NotFound => "job not found".to_string(),
        JobObservation::Found(f) => {
            let mut s = format!("job {} {}", short(&f.id), f.state.as_str());
            if f.state == FlinkJobState::Running && !f.tasks_running {
                s += " (tasks starting)";
            }
            if f.restarts > 0 {
                s += &format!(", {} restarts", f.restarts);
            }
            if let Some(cp) = &f.last_checkpoint {
                s += &format!(", checkpoint {} @{}", cp.path, rel(cp.completed_at));
            }
            if let Some(why) = &f.failure {
                s += &format!(", cause: {why}");
            }
            s
        }
    };
    let mut out = format!("{cluster}; {job}");
    if let Some(t) = &o.trigger {
        let st = match &t.status {
            TriggerStatus::Unknown => "unknown to Flink".to_string(),
            TriggerStatus::InProgress => "in progress".to_string(),
            TriggerStatus::Completed { location } => format!("completed at {location}"),
            TriggerStatus::Failed { reason } => format!("failed: {reason}"),
        };
        out += &format!("; trigger {} {st}", short(&t.trigger_id));
    }
    if o.deleting {
        out += "; DELETED by user";
    }
    out
}

fn describe_action(a: &Action) -> String {
    match a {
        Action::AddFinalizer => "AddFinalizer".into(),
        Action::RemoveFinalizer => "RemoveFinalizer".into(),
        Action::DeleteCluster => "DeleteCluster".into(),
        Action::ApplyCluster {
            source,
            spec_hash,
            job_id,
            restore,
            allow_non_restored_state,
        } => {
            let mut s = format!("ApplyCluster spec {} ({source:?})", short(spec_hash));
            if let Some(j) = job_id {
                s += &format!(", job {}", short(j));
            }
            s += &match restore {
                Some(r) => format!(", restore {:?} {}", r.kind, r.path),
                None => ", empty state".into(),
            };
            if *allow_non_restored_state {
                s += ", allowNonRestoredState";
            }
            s
        }
        Action::TriggerSavepoint {
            job_id,
            trigger_id,
            directory,
        } => {
            format!(
                "TriggerSavepoint job {} trigger {} -> {directory}",
                short(job_id),
                short(trigger_id)
            )
        }
        Action::StopWithSavepoint {
            job_id,
            trigger_id,
            directory,
        } => {
            format!(
                "StopWithSavepoint job {} trigger {} -> {directory}",
                short(job_id),
                short(trigger_id)
            )
        }
        Action::TriggerCheckpoint { job_id, trigger_id } => {
            format!(
                "TriggerCheckpoint job {} trigger {}",
                short(job_id),
                short(trigger_id)
            )
        }
        Action::SubmitJob {
            job_id,
            jar_uri,
            entry_class,
            args,
            parallelism,
            restore,
            allow_non_restored_state,
            flink_configuration,
        } => {
            let mut s = format!("SubmitJob job {} {jar_uri}", short(job_id));
            if let Some(c) = entry_class {
                s += &format!(" class {c}");
            }
            if !args.is_empty() {
                s += &format!(" args {args:?}");
            }
            if let Some(p) = parallelism {
                s += &format!(", parallelism {p}");
            }
            s += &match restore {
                Some(r) => format!(", restore {:?} {}", r.kind, r.path),
                None => ", empty state".into(),
            };
            if *allow_non_restored_state {
                s += ", allowNonRestoredState";
            }
            if !flink_configuration.is_empty() {
                s += &format!(", conf {flink_configuration:?}");
            }
            s
        }
        Action::CancelJob { job_id } => format!("CancelJob job {}", short(job_id)),
        Action::RecordEvent {
            kind,
            reason,
            message,
        } => format!("Event {kind:?} {reason}: {message}"),
        Action::Requeue { after_secs } => format!("Requeue after {after_secs}s"),
    }
}

fn rel_time(t: &Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> String {
    t.as_ref().map(|t| rel(t.0)).unwrap_or_else(|| "-".into())
}

/// A readable transcript: one block per step.
pub fn transcript(sc: &Scenario, records: &[Record]) -> String {
    let mut out = format!("{}\n", sc.description.trim());
    for (i, r) in records.iter().enumerate() {
        let st = &r.decision.status;
        let ms = &st.machine;
        let _ = writeln!(
            out,
            "\n── step {} @ {}{}",
            i + 1,
            rel(r.at),
            r.note
                .as_ref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "  observed: {}", r.observed);
        let mut path: Vec<String> = Vec::new();
        if r.before.machine.state.is_none() {
            path.push("(new)".into());
            let first = r
                .transitions
                .first()
                .map(|(from, _)| *from)
                .or(ms.state)
                .expect("state is set");
            path.push(format!("{first:?}"));
        } else {
            path.extend(r.before.machine.state.map(|s| format!("{s:?}")));
        }
        path.extend(r.transitions.iter().map(|(_, to)| format!("{to:?}")));
        let _ = writeln!(
            out,
            "  machine:  {}   [phase {:?}, lifecycle {:?}]",
            path.join(" → "),
            st.phase.expect("phase is always set"),
            st.lifecycle_state.expect("lifecycleState is always set")
        );
        if let Some(w) = &ms.waiting_for {
            let _ = writeln!(
                out,
                "  waiting:  {w} (since {}, deadline {})",
                rel_time(&ms.waiting_since),
                rel_time(&ms.deadline)
            );
        }
        if let Some(op) = &ms.operation {
            let _ = writeln!(
                out,
                "  op:       {:?}{}{}{}",
                op.kind,
                op.stop.map(|s| format!(", stop {s:?}")).unwrap_or_default(),
                op.trigger_id
                    .as_deref()
                    .map(|t| format!(", trigger {}", short(t)))
                    .unwrap_or_default(),
                if op.source == flink_lifecycle::SpecSource::LastStable {
                    ", from lastStableSpec"
                } else {
                    ""
                }
            );
        }
        if let Some(p) = &ms.restore_plan {
            let restore = p
                .restore
                .as_ref()
                .map(|r| format!("{:?} {}", r.kind, r.path))
                .unwrap_or_else(|| "empty state".into());
            let fb: Vec<String> = p
                .fallback
                .iter()
                .map(|r| format!("{:?} {}", r.kind, r.path))
                .collect();
            let _ = writeln!(
                out,
                "  restore:  {restore}{} ({}){}",
                if fb.is_empty() {
                    String::new()
                } else {
                    format!("; fallback {}", fb.join(", "))
                },
                p.reason.as_deref().unwrap_or_default(),
                if p.drops_state_as_asked {
                    " [dropsStateAsAsked]"
                } else {
                    ""
                }
            );
        }
        if let Some(r) = &ms.pre_upgrade_restore {
            let _ = writeln!(out, "  rollback restore: {:?} {}", r.kind, r.path);
        }
        let sp = &st.job_status.savepoint_info;
        if let Some(last) = &sp.last_savepoint {
            let _ = writeln!(
                out,
                "  savepoints: last {} ({:?}), history {}",
                last.location,
                last.trigger_type.expect("set by the machine"),
                sp.savepoint_history.len()
            );
        }
        if let Some(cp) = &st.job_status.checkpoint_info.last_checkpoint {
            let _ = writeln!(
                out,
                "  checkpoint: {}",
                cp.location.as_deref().unwrap_or("-")
            );
        }
        let mut specs = Vec::new();
        if let Some(h) = &ms.deployed_spec_hash {
            specs.push(format!("deployed {}", short(h)));
        }
        if let Some(h) = &ms.stable_spec_hash {
            specs.push(format!("stable {}", short(h)));
        }
        if let Some(h) = &ms.rejected_spec_hash {
            specs.push(format!("rejected {}", short(h)));
        }
        if !specs.is_empty() {
            let _ = writeln!(
                out,
                "  specs:    {} (desired {})",
                specs.join(", "),
                short(ms.spec_hash.as_deref().unwrap_or_default())
            );
        }
        if let Some(f) = &ms.failures {
            let _ = writeln!(
                out,
                "  failures: {} since {}",
                f.count,
                rel(f.window_start.0)
            );
        }
        if let Some(rt) = &ms.retry {
            let _ = writeln!(
                out,
                "  retry:    attempt {} not before {}",
                rt.attempts,
                rel(rt.not_before.0)
            );
        }
        let conds: Vec<String> = st
            .conditions
            .iter()
            .filter(|c| c.status == "True")
            .map(|c| {
                if c.type_ == "Degraded" {
                    format!("Degraded({}: {})", c.reason, c.message)
                } else {
                    c.type_.clone()
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "  conditions: {}",
            if conds.is_empty() {
                "-".into()
            } else {
                conds.join(", ")
            }
        );
        if let Some(e) = &st.error {
            let _ = writeln!(out, "  error:    {e}");
        }
        let _ = writeln!(out, "  actions:");
        for a in &r.decision.actions {
            let _ = writeln!(out, "    - {}", describe_action(a));
        }
    }
    out
}
