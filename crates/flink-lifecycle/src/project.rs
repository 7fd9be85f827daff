//! Projects the machine's state onto the user-facing status fields: `phase`, the
//! Apache-compatible `lifecycleState`, `jobStatus`, `jobManagerDeploymentStatus`, and the
//! `Ready`/`Progressing`/`Degraded` conditions (no IO).
//!
//! Every value written here depends only on the machine's state and the observation, and
//! `lastTransitionTime` moves only when a condition's status changes, so a steady deployment
//! produces an identical status (no write) on every step.

use flink_crd::status::{
    JobManagerDeploymentStatus, MachineState, OperationKind, Phase, ReconciliationState,
    ResourceLifecycleState, SnapshotTriggerType, StopMethod,
};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::observation::{Component, JobObservation};
use crate::rules::Ctx;

impl Ctx<'_> {
    /// Writes the projected fields into the working status.
    pub(crate) fn project(&mut self) {
        let ms = &self.st.machine;
        let state = ms.state.unwrap_or_default();
        let op = ms.operation.as_ref().map(|o| o.kind);
        let stop = ms.operation.as_ref().and_then(|o| o.stop);
        let phase = match state {
            MachineState::Deploying if op == Some(OperationKind::Rollback) => Phase::RollingBack,
            MachineState::Deploying
                if matches!(op, Some(OperationKind::Upgrade | OperationKind::Restart)) =>
            {
                Phase::Updating
            }
            MachineState::Deploying => Phase::Deploying,
            MachineState::Running => Phase::Running,
            MachineState::Savepointing => Phase::Savepointing,
            MachineState::Stopping | MachineState::TearingDown => match op {
                Some(OperationKind::Delete) => Phase::Deleting,
                Some(OperationKind::Rollback) => Phase::RollingBack,
                _ if state == MachineState::Stopping && stop == Some(StopMethod::Savepoint) => {
                    Phase::Savepointing
                }
                _ => Phase::Updating,
            },
            MachineState::Suspended => Phase::Suspended,
            MachineState::Failed => Phase::Failed,
            MachineState::Deleted => Phase::Deleting,
        };
        let stable = ms.stable_spec_hash.is_some() && ms.stable_spec_hash == ms.deployed_spec_hash;
        let rolled_back = self.st.reconciliation_status.state == ReconciliationState::RolledBack;
        let lifecycle = match state {
            _ if phase == Phase::RollingBack => ResourceLifecycleState::RollingBack,
            _ if phase == Phase::Deleting && state != MachineState::Deleted => {
                ResourceLifecycleState::Deleting
            }
            MachineState::Deploying if ms.deploy_count <= 1 && ms.stable_spec_hash.is_none() => {
                ResourceLifecycleState::Created
            }
            MachineState::Deploying if phase == Phase::Updating => {
                ResourceLifecycleState::Upgrading
            }
            MachineState::Deploying => ResourceLifecycleState::Deployed,
            MachineState::Running | MachineState::Savepointing if rolled_back => {
                ResourceLifecycleState::RolledBack
            }
            MachineState::Running | MachineState::Savepointing if stable => {
                ResourceLifecycleState::Stable
            }
            MachineState::Running | MachineState::Savepointing => ResourceLifecycleState::Deployed,
            MachineState::Stopping | MachineState::TearingDown => ResourceLifecycleState::Upgrading,
            MachineState::Suspended => ResourceLifecycleState::Suspended,
            MachineState::Failed => ResourceLifecycleState::Failed,
            MachineState::Deleted => ResourceLifecycleState::Deleted,
        };
        self.st.phase = Some(phase);
        self.st.lifecycle_state = Some(lifecycle);

        // In-flight trigger, Apache style.
        let now_ms = self.now.as_millisecond();
        let sp_trigger = ms.operation.as_ref().filter(|o| {
            o.kind != OperationKind::Checkpoint
                && o.trigger_id.is_some()
                && (o.stop == Some(StopMethod::Savepoint) || o.kind == OperationKind::Savepoint)
        });
        let sp_info = &mut self.st.job_status.savepoint_info;
        match sp_trigger {
            Some(o) => {
                if sp_info.trigger_id != o.trigger_id {
                    sp_info.trigger_timestamp = Some(now_ms);
                }
                sp_info.trigger_id = o.trigger_id.clone();
                sp_info.trigger_type = Some(match (o.kind, o.periodic) {
                    (OperationKind::Savepoint, true) => SnapshotTriggerType::Periodic,
                    (OperationKind::Savepoint, false) => SnapshotTriggerType::Manual,
                    _ => SnapshotTriggerType::Upgrade,
                });
            }
            None => {
                sp_info.trigger_id = None;
                sp_info.trigger_timestamp = None;
                sp_info.trigger_type = None;
            }
        }
        let cp_trigger = ms
            .operation
            .as_ref()
            .filter(|o| o.kind == OperationKind::Checkpoint);
        let cp_info = &mut self.st.job_status.checkpoint_info;
        match cp_trigger {
            Some(o) => {
                if cp_info.trigger_id != o.trigger_id {
                    cp_info.trigger_timestamp = Some(now_ms);
                }
                cp_info.trigger_id = o.trigger_id.clone();
                cp_info.trigger_type = Some(SnapshotTriggerType::Manual);
            }
            None => {
                cp_info.trigger_id = None;
                cp_info.trigger_timestamp = None;
                cp_info.trigger_type = None;
            }
        }

        // Job state.
        let job_state = match &self.obs.job {
            JobObservation::Found(f) => Some(f.state.as_str()),
            JobObservation::Unreachable { .. } => Some("UNKNOWN"),
            JobObservation::NotFound | JobObservation::NotAsked => match state {
                MachineState::Suspended => Some("SUSPENDED"),
                _ => None,
            },
        };
        if self.st.job_status.state.as_deref() != job_state {
            self.st.job_status.state = job_state.map(str::to_string);
            self.st.job_status.update_time = Some(now_ms.to_string());
            if self.st.job_status.state.as_deref() == Some("RUNNING") {
                self.st.job_status.start_time = Some(now_ms.to_string());
            }
        }
        let c = &self.obs.cluster;
        self.st.job_manager_deployment_status = Some(match c.job_manager {
            _ if c.pod_failure.as_ref().is_some_and(|p| p.is_fatal()) => {
                JobManagerDeploymentStatus::Error
            }
            Component::Ready => JobManagerDeploymentStatus::Ready,
            Component::Starting => JobManagerDeploymentStatus::DeployedNotReady,
            Component::Missing if state == MachineState::Deploying => {
                JobManagerDeploymentStatus::Deploying
            }
            Component::Missing => JobManagerDeploymentStatus::Missing,
        });

        // Conditions.
        let ms = &self.st.machine;
        let ready = phase == Phase::Running && ms.waiting_for.is_none();
        let ready_reason = if ready {
            "Running"
        } else {
            phase_reason(phase)
        };
        // "waiting for …" as parts: compared with and written into the conditions without
        // building the text first (most steps leave the message as it is).
        let waiting_msg: [&str; 2] = match &ms.waiting_for {
            Some(w) => ["waiting for ", w.as_str()],
            None => ["", ""],
        };
        let ready_msg: [&str; 2] = if ready {
            ["the cluster is ready and the job runs", ""]
        } else {
            waiting_msg
        };
        let progressing = matches!(
            state,
            MachineState::Deploying
                | MachineState::Savepointing
                | MachineState::Stopping
                | MachineState::TearingDown
        );
        let generation = Some(self.obs.generation);
        let now = Time(self.now);
        let (degraded, d_reason, d_msg) = match (&ms.degraded, state) {
            (_, MachineState::Failed) => {
                (true, "Failed", self.st.error.as_deref().unwrap_or_default())
            }
            (Some(d), _) => (true, d.reason.as_str(), d.message.as_str()),
            (None, _) => (false, "AsExpected", ""),
        };
        // Disjoint from the fields the messages borrow.
        let conds = &mut self.st.conditions;
        set_condition(
            conds,
            "Ready",
            ready,
            ready_reason,
            &ready_msg,
            generation,
            &now,
        );
        set_condition(
            conds,
            "Progressing",
            progressing,
            phase_reason(phase),
            &waiting_msg,
            generation,
            &now,
        );
        set_condition(
            conds,
            "Degraded",
            degraded,
            d_reason,
            &[d_msg],
            generation,
            &now,
        );
    }
}

fn phase_reason(phase: Phase) -> &'static str {
    match phase {
        Phase::Deploying => "Deploying",
        Phase::Running => "Running",
        Phase::Savepointing => "Savepointing",
        Phase::Updating => "Updating",
        Phase::Suspended => "Suspended",
        Phase::RollingBack => "RollingBack",
        Phase::Failed => "Failed",
        Phase::Deleting => "Deleting",
    }
}

/// Sets a condition, writing (allocating) only what changed: a steady resource's step leaves
/// its conditions untouched. The message is the concatenation of `message`'s parts.
fn set_condition(
    conds: &mut Vec<Condition>,
    type_: &str,
    status: bool,
    reason: &str,
    message: &[&str],
    generation: Option<i64>,
    now: &Time,
) {
    let status = if status { "True" } else { "False" };
    match conds.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            if c.status != status {
                c.last_transition_time = now.clone();
                assign(&mut c.status, status);
            }
            if c.reason != reason {
                assign(&mut c.reason, reason);
            }
            if !equals_parts(&c.message, message) {
                c.message.clear();
                message.iter().for_each(|p| c.message.push_str(p));
            }
            c.observed_generation = generation;
        }
        None => conds.push(Condition {
            type_: type_.to_string(),
            status: status.to_string(),
            reason: reason.to_string(),
            message: message.concat(),
            observed_generation: generation,
            last_transition_time: now.clone(),
        }),
    }
}

/// Whether `s` is the concatenation of `parts`.
fn equals_parts(s: &str, parts: &[&str]) -> bool {
    let mut rest = s;
    for p in parts {
        match rest.strip_prefix(p) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Overwrites `s` with `value`, reusing its buffer when it is large enough.
fn assign(s: &mut String, value: &str) {
    s.clear();
    s.push_str(value);
}
