//! Job calls: overview, details, exceptions, checkpoints, config, cancel.

use reqwest::Method;

use super::Ignored;
use crate::client::{Body, call};
use crate::{
    CheckpointConfig, CheckpointingStatistics, FlinkRestClient, JobConfig, JobDetails,
    JobExceptions, JobId, JobsOverview, Result,
};

impl FlinkRestClient {
    /// `GET /jobs/overview`: every job the cluster knows.
    pub async fn jobs_overview(&self) -> Result<JobsOverview> {
        self.get(
            call("jobs overview", "GET /jobs/overview"),
            "jobs/overview",
            &[],
        )
        .await
    }

    /// `GET /jobs/:jid`: state and vertices of one job.
    pub async fn job_details(&self, job: &JobId) -> Result<JobDetails> {
        self.get(
            call("job details", "GET /jobs/:jid"),
            &format!("jobs/{job}"),
            &[],
        )
        .await
    }

    /// `GET /jobs/:jid/exceptions`.
    pub async fn job_exceptions(&self, job: &JobId) -> Result<JobExceptions> {
        self.get(
            call("job exceptions", "GET /jobs/:jid/exceptions"),
            &format!("jobs/{job}/exceptions"),
            &[],
        )
        .await
    }

    /// `GET /jobs/:jid/config`.
    pub async fn job_config(&self, job: &JobId) -> Result<JobConfig> {
        self.get(
            call("job config", "GET /jobs/:jid/config"),
            &format!("jobs/{job}/config"),
            &[],
        )
        .await
    }

    /// `GET /jobs/:jid/checkpoints`: counts and the latest completed, savepoint, failed and
    /// restored snapshots.
    pub async fn checkpoint_statistics(&self, job: &JobId) -> Result<CheckpointingStatistics> {
        self.get(
            call("checkpoint statistics", "GET /jobs/:jid/checkpoints"),
            &format!("jobs/{job}/checkpoints"),
            &[],
        )
        .await
    }

    /// `GET /jobs/:jid/checkpoints/config`.
    pub async fn checkpoint_config(&self, job: &JobId) -> Result<CheckpointConfig> {
        self.get(
            call("checkpoint config", "GET /jobs/:jid/checkpoints/config"),
            &format!("jobs/{job}/checkpoints/config"),
            &[],
        )
        .await
    }

    /// The location of the latest completed checkpoint or savepoint, if any was externalized.
    pub async fn latest_checkpoint_path(&self, job: &JobId) -> Result<Option<String>> {
        let stats = self.checkpoint_statistics(job).await?;
        Ok(stats.latest.completed.and_then(|c| c.external_path))
    }

    /// The location of the latest completed savepoint, if any.
    pub async fn latest_savepoint_path(&self, job: &JobId) -> Result<Option<String>> {
        let stats = self.checkpoint_statistics(job).await?;
        Ok(stats.latest.savepoint.and_then(|c| c.external_path))
    }

    /// `PATCH /jobs/:jid?mode=cancel`: cancels the job (without a savepoint).
    pub async fn cancel_job(&self, job: &JobId) -> Result<()> {
        let _: Ignored = self
            .write(
                call("cancel job", "PATCH /jobs/:jid?mode=cancel"),
                Method::PATCH,
                &format!("jobs/{job}"),
                &[("mode", "cancel")],
                Body::Empty,
            )
            .await?;
        Ok(())
    }
}
