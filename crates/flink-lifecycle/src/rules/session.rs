//! The decisions that differ for a FlinkSessionJob (no IO).
//!
//! A session job owns no cluster: it is submitted to the session cluster named by
//! `spec.deploymentName` with a fixed job id, and "tearing down" means making sure that job
//! has stopped. Everything else (stops, savepoints, restore plans, retries, failures) is the
//! shared rules of the parent module.

use super::*;

impl Ctx<'_> {
    /// Deploying, for a session job: wait for the session cluster, submit the job with its
    /// fixed id (once Flink reports it unknown), then wait for RUNNING.
    ///
    /// The readiness deadline runs only while the session cluster is ready: a cluster that is
    /// missing or starting is the user's (or its own FlinkDeployment's) to fix, and the job
    /// waits for it with a Warning event and a `Degraded` condition instead of failing.
    pub(super) fn submitting(&mut self) -> Outcome<State> {
        let Some((spec, cluster)) = self.res.session() else {
            return Handled;
        };
        let ours = self.job_id();
        // A spec change before the job was submitted retargets the submission; once Flink may
        // know the job (a cluster that is only not ready may still run it), Running upgrades it.
        let unsubmitted = match &self.obs.job {
            JobObservation::NotFound => true,
            JobObservation::Found(f) => Some(f.id.as_str()) != ours.as_deref(),
            _ => matches!(
                cluster,
                SessionCluster::Missing | SessionCluster::NotASessionCluster
            ),
        };
        if unsubmitted || self.st.machine.deploy_count == 0 {
            self.retarget();
        }
        // The first submission's id exists only once `retarget` counted it.
        let ours = self.job_id();
        if cluster != SessionCluster::Ready {
            self.st.machine.deadline = None;
            return self.session_cluster_unavailable(cluster);
        }
        self.start_deadline(self.obs.settings.readiness_timeout_secs);
        self.clear_session_cluster_degradation();
        // A bounded job may finish (or be cancelled by hand) before a step sees it RUNNING:
        // Running then reports it and follows spec changes.
        const STARTED: &[FlinkJobState] = &[
            FlinkJobState::Running,
            FlinkJobState::Finished,
            FlinkJobState::Canceled,
        ];
        if self.facts().is_some()
            && let Some(verdict) = self.start_verdict(STARTED)
        {
            return verdict;
        }
        let short_id = short(ours.as_deref().unwrap_or_default()).to_string();
        let submit_error = self.res.submit_error().filter(|_| self.facts().is_none());
        if self.past_deadline() {
            let waited = self.waited_secs();
            let why = submit_error
                .map(|e| format!(": the last submission failed: {e}"))
                .unwrap_or_default();
            return self.deploy_failed(format!(
                "not RUNNING {waited}s after the session cluster was ready (deadline kubernetes.operator.deployment.readiness.timeout){why}"
            ));
        }
        // Flink does not know the job: it said so, it reports another job, or the id is new
        // in this step (the executor could not ask about it yet).
        let unknown = self.minted_job_id
            || matches!(
                self.obs.job,
                JobObservation::NotFound | JobObservation::Found(_)
            );
        if self.facts().is_none() && unknown {
            self.refresh_restore_plan();
            let job = &spec.job;
            self.actions.push(Action::SubmitJob {
                job_id: ours.clone().unwrap_or_default(),
                jar_uri: job.jar_uri.clone().unwrap_or_default(),
                entry_class: job.entry_class.clone(),
                args: job.args.clone(),
                parallelism: job.parallelism,
                restore: self.planned_restore(),
                allow_non_restored_state: job.allow_non_restored_state.unwrap_or(false),
                flink_configuration: crate::settings::job_configuration(&spec.flink_configuration),
            });
        }
        if let Some(e) = submit_error {
            let message = format!(
                "submitting job {short_id} failed: {e}; retrying until the readiness deadline"
            );
            if self
                .st
                .machine
                .degraded
                .as_ref()
                .is_none_or(|d| d.reason != "SubmitFailed")
            {
                self.event(EventKind::Warning, "SubmitFailed", message.clone());
            }
            self.degrade("SubmitFailed", message);
            // Retried more slowly: fetching a jar that is not there again and again helps no one.
            self.wait(
                format!("job {short_id} to be submitted"),
                START_POLL_SECS * 3,
            );
            return Handled;
        }
        match &self.obs.job {
            JobObservation::Unreachable { .. } => {
                self.wait("Flink's REST API to answer".into(), POLL_SECS);
            }
            JobObservation::NotAsked if !self.minted_job_id => {
                self.wait("the job's status".into(), POLL_SECS);
            }
            _ => self.wait_on_flink(format!("job {short_id} to be RUNNING")),
        }
        Handled
    }

    /// The session cluster is ready: a `Degraded` condition about it no longer holds, nor
    /// one about a failed submission once Flink knows the job.
    fn clear_session_cluster_degradation(&mut self) {
        let known = self.facts().is_some();
        if self.st.machine.degraded.as_ref().is_some_and(|d| {
            matches!(
                d.reason.as_str(),
                "SessionClusterMissing" | "NotASessionCluster" | "SessionClusterNotReady"
            ) || (known && d.reason == "SubmitFailed")
        }) {
            self.st.machine.degraded = None;
        }
    }

    /// Sets the current wait's deadline `secs` from now, unless one is running.
    fn start_deadline(&mut self, secs: u64) {
        if self.st.machine.deadline.is_none() {
            self.st.machine.deadline =
                Some(time(self.now + SignedDuration::from_secs(secs as i64)));
        }
    }

    /// The session cluster is missing, not a session cluster, or not ready: wait for it (a
    /// Warning event when it is first seen missing), or, when the job is to be suspended and
    /// there is no cluster that could run it, suspend.
    pub(super) fn session_cluster_unavailable(
        &mut self,
        cluster: SessionCluster,
    ) -> Outcome<State> {
        let name = self
            .res
            .session()
            .map(|(s, _)| s.deployment_name.clone())
            .unwrap_or_default();
        let gone = cluster != SessionCluster::NotReady;
        if gone && self.job().map(|j| j.state) == Some(JobState::Suspended) {
            self.event(
                EventKind::Normal,
                "Suspending",
                format!("job.state is suspended and session cluster {name} is not there: nothing runs, suspending"),
            );
            return self.start_operation(OperationKind::Suspend);
        }
        let (reason, message) = match cluster {
            SessionCluster::Missing => (
                "SessionClusterMissing",
                format!(
                    "FlinkDeployment {name} (spec.deploymentName) does not exist; the job waits for it: create it, or point deploymentName at a session cluster"
                ),
            ),
            SessionCluster::NotASessionCluster => (
                "NotASessionCluster",
                format!(
                    "FlinkDeployment {name} runs an application (it has spec.job); a session job needs a session cluster (a FlinkDeployment without job)"
                ),
            ),
            SessionCluster::NotReady | SessionCluster::Ready => (
                "SessionClusterNotReady",
                format!("session cluster {name} is not ready; the job waits for it"),
            ),
        };
        let new = self
            .st
            .machine
            .degraded
            .as_ref()
            .is_none_or(|d| d.reason != reason);
        if new && gone {
            self.event(EventKind::Warning, reason, message.clone());
        }
        self.degrade(reason, message);
        let poll = if gone {
            IDLE_SECS / 10
        } else {
            START_POLL_SECS
        };
        self.wait(format!("session cluster {name} to be ready"), poll);
        Handled
    }

    /// TearingDown, for a session job: the job must have stopped before the next submission,
    /// the suspend or the finalizer's release. A job still alive is cancelled (its state was
    /// dealt with by the Stopping phase, or it was not running when the operation started);
    /// deadline `kubernetes.operator.cluster.teardown.timeout`, exit as for a cluster.
    pub(super) fn session_teardown(&mut self, kind: OperationKind) -> Outcome<State> {
        let Some((_, cluster)) = self.res.session() else {
            return self.torn_down(kind);
        };
        let ours = self.job_id();
        let alive = match (&self.obs.job, cluster) {
            // Never submitted, or no session cluster: there is no job.
            _ if ours.is_none() => Some(false),
            (_, SessionCluster::Missing | SessionCluster::NotASessionCluster) => Some(false),
            (JobObservation::Found(f), _) if Some(f.id.as_str()) == ours.as_deref() => {
                Some(!f.state.is_terminal())
            }
            (JobObservation::Found(_) | JobObservation::NotFound, _) => Some(false),
            (JobObservation::Unreachable { .. } | JobObservation::NotAsked, _) => None,
        };
        if alive == Some(false) {
            return self.torn_down(kind);
        }
        if alive == Some(true) && self.replan_if_running(kind) {
            return self.start_operation(kind);
        }
        if cluster == SessionCluster::NotReady && kind != OperationKind::Delete {
            // Not the job's doing: wait for the cluster without a deadline (a delete keeps
            // its deadline and releases the finalizer at the latest then).
            self.st.machine.deadline = None;
            return self.session_cluster_unavailable(cluster);
        }
        self.start_deadline(self.obs.settings.teardown_timeout_secs);
        let job_id = ours.unwrap_or_default();
        if self.past_deadline() {
            let waited = self.waited_secs();
            if kind == OperationKind::Delete {
                self.event(EventKind::Warning, "TeardownTimeout", format!("could not confirm within {waited}s that job {} stopped; releasing the finalizer (cancel it in the session cluster if it still runs)", short(&job_id)));
                return self.finish_delete();
            }
            return self.fail(format!(
                "job {} did not stop within {waited}s; cancel it in the session cluster, then change the spec to retry",
                short(&job_id)
            ));
        }
        if let Some(waiting) = self.cancelling("") {
            return waiting;
        }
        self.wait("the job's status".into(), POLL_SECS);
        Handled
    }

    /// Suspended, for a session job: a job left running (or started again by hand) is
    /// cancelled; its newest checkpoint, if newer, is in the restore plan first.
    pub(super) fn cancel_leftover_job(&mut self) {
        if let Some(f) = self.facts()
            && !f.state.is_terminal()
        {
            self.refresh_restore_plan();
            self.actions.push(Action::CancelJob {
                job_id: f.id.clone(),
            });
        }
    }
}
