//! The newest checkpoint in status, and how often a running job is looked at so that it
//! stays usable (no IO).
//!
//! Without Flink HA, the checkpoint recorded in status is the restore point after a lost
//! JobManager. Flink discards a checkpoint once `state.checkpoints.num-retained` newer ones
//! completed, so the recorded one is only usable if the operator looks again before that
//! many complete: a running job is polled at the pace its checkpoints complete, measured
//! between the last two recorded ones, never slower than the steady interval.

use flink_crd::status::CheckpointPace;

use super::*;

impl Ctx<'_> {
    /// Records the job's newest completed checkpoint in status when it is newer than the
    /// recorded one, and the pace at which the job completes checkpoints.
    pub(super) fn record_checkpoint(&mut self) {
        let JobObservation::Found(f) = &self.obs.job else {
            return;
        };
        if Some(f.id.as_str()) != self.current_job() || self.stopped_with_state() {
            return;
        }
        let Some(cp) = &f.last_checkpoint else {
            return;
        };
        let completed_at_ms = millis(cp.completed_at);
        let newer = match &self.st.job_status.checkpoint_info.last_checkpoint {
            Some(old) => {
                old.location.as_deref() != Some(cp.path.as_str())
                    && completed_at_ms >= old.time_stamp
            }
            None => true,
        };
        if !newer {
            return;
        }
        self.st.job_status.checkpoint_info.last_checkpoint = Some(flink_crd::status::Checkpoint {
            time_stamp: completed_at_ms,
            location: Some(cp.path.clone()),
            trigger_type: Some(SnapshotTriggerType::Periodic),
            format_type: None,
            trigger_nonce: None,
        });
        let previous = self
            .st
            .machine
            .checkpoint_pace
            .as_ref()
            .filter(|p| p.job_id == f.id);
        let millis_per_checkpoint = match previous {
            Some(p) if cp.id > p.checkpoint_id && completed_at_ms > p.completed_at_ms => {
                let per = (completed_at_ms - p.completed_at_ms) as u64 / (cp.id - p.checkpoint_id);
                Some(per.max(1))
            }
            // The same job and no newer id: keep the pace measured before.
            Some(p) => p.millis_per_checkpoint,
            None => None,
        };
        self.st.machine.checkpoint_pace = (cp.id > 0).then(|| CheckpointPace {
            job_id: f.id.clone(),
            checkpoint_id: cp.id,
            completed_at_ms,
            millis_per_checkpoint,
        });
    }

    /// Looks at a running job again before `num-retained - 1` checkpoints newer than the
    /// recorded one can complete (half a checkpoint early), so the recorded one is still
    /// retained by Flink if the JobManager is lost. Counted from the recorded checkpoint's
    /// completion, not from now: Flink's checkpoint statistics are cached for a few seconds
    /// (`web.refresh-interval`), so what a reconcile sees may already be older than now.
    pub(super) fn requeue_for_restore_point(&mut self) {
        let current = self.current_job();
        let Some((per, recorded_at)) = self
            .st
            .machine
            .checkpoint_pace
            .as_ref()
            .filter(|p| Some(p.job_id.as_str()) == current)
            .and_then(|p| Some((p.millis_per_checkpoint?, p.completed_at_ms)))
        else {
            return;
        };
        let newer_allowed = u64::from(self.obs.settings.checkpoints_retained.saturating_sub(1));
        if newer_allowed == 0 {
            // Flink keeps only the newest: no poll pace keeps the recorded one.
            return;
        }
        let next_look = recorded_at.saturating_add(
            i64::try_from(per.saturating_mul(newer_allowed) - per / 2).unwrap_or(i64::MAX),
        );
        let wait_ms = next_look.saturating_sub(millis(self.now)).max(0) as u64;
        self.requeue(wait_ms / 1000);
    }
}
