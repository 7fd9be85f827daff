//! Savepoints (trigger, stop-with-savepoint, poll, dispose) and checkpoints (trigger, poll).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::status_of;
use crate::client::{Body, call};
use crate::types::async_op::{
    AsyncOperation, CheckpointOperation, DisposalOperation, QueueStatusId, SavepointOperation,
    TriggerResponse,
};
use crate::{
    CheckpointType, FailureCause, FlinkRestClient, JobId, OperationStatus, Result, SavepointFormat,
    TriggerId,
};

fn missing(what: &str) -> impl FnOnce() -> FailureCause + '_ {
    move || FailureCause {
        class: None,
        stack_trace: Some(format!("Flink reported COMPLETED without {what}")),
    }
}

impl FlinkRestClient {
    /// `POST /jobs/:jid/savepoints`: triggers a savepoint into `target_dir` (default: the
    /// cluster's savepoint folder). A caller-chosen `trigger` makes a repeated call name the
    /// same savepoint instead of taking another.
    pub async fn trigger_savepoint(
        &self,
        job: &JobId,
        target_dir: Option<&str>,
        format: SavepointFormat,
        trigger: Option<TriggerId>,
    ) -> Result<TriggerId> {
        let body = json!({
            "target-directory": target_dir,
            "cancel-job": false,
            "formatType": format,
            "triggerId": trigger,
        });
        let r: TriggerResponse = self
            .write(
                call("trigger savepoint", "POST /jobs/:jid/savepoints"),
                Method::POST,
                &format!("jobs/{job}/savepoints"),
                &[],
                Body::json(&without_nulls(body)),
            )
            .await?;
        Ok(r.request_id)
    }

    /// `POST /jobs/:jid/stop`: stops the job with a savepoint; `drain` first emits
    /// MAX_WATERMARK (end of event time). Poll it with [`Self::savepoint_status`].
    pub async fn stop_with_savepoint(
        &self,
        job: &JobId,
        target_dir: Option<&str>,
        drain: bool,
        format: SavepointFormat,
        trigger: Option<TriggerId>,
    ) -> Result<TriggerId> {
        let body = json!({
            "targetDirectory": target_dir,
            "drain": drain,
            "formatType": format,
            "triggerId": trigger,
        });
        let r: TriggerResponse = self
            .write(
                call("stop with savepoint", "POST /jobs/:jid/stop"),
                Method::POST,
                &format!("jobs/{job}/stop"),
                &[],
                Body::json(&without_nulls(body)),
            )
            .await?;
        Ok(r.request_id)
    }

    /// `GET /jobs/:jid/savepoints/:triggerid`: where a savepoint (or stop) stands; completed
    /// with the savepoint's location.
    pub async fn savepoint_status(
        &self,
        job: &JobId,
        trigger: &TriggerId,
    ) -> Result<OperationStatus<String>> {
        let op: AsyncOperation<SavepointOperation> = self
            .get(
                call("savepoint status", "GET /jobs/:jid/savepoints/:triggerid"),
                &format!("jobs/{job}/savepoints/{trigger}"),
                &[],
            )
            .await?;
        Ok(status_of(
            op,
            |o| match (o.location, o.failure_cause) {
                (_, Some(cause)) => Err(cause),
                (Some(location), None) => Ok(location),
                (None, None) => Err(missing("a location")()),
            },
            missing("an operation"),
        ))
    }

    /// Polls [`Self::savepoint_status`] until the savepoint completes (its location) or fails.
    pub async fn wait_savepoint(
        &self,
        job: &JobId,
        trigger: &TriggerId,
        timeout: Duration,
    ) -> Result<String> {
        self.wait_for("savepoint", trigger, timeout, || {
            self.savepoint_status(job, trigger)
        })
        .await
    }

    /// `POST /savepoint-disposal`: deletes a savepoint. Poll with [`Self::disposal_status`].
    pub async fn dispose_savepoint(&self, savepoint_path: &str) -> Result<TriggerId> {
        let r: TriggerResponse = self
            .write(
                call("dispose savepoint", "POST /savepoint-disposal"),
                Method::POST,
                "savepoint-disposal",
                &[],
                Body::json(&json!({ "savepoint-path": savepoint_path })),
            )
            .await?;
        Ok(r.request_id)
    }

    /// `GET /savepoint-disposal/:triggerid`.
    pub async fn disposal_status(&self, trigger: &TriggerId) -> Result<OperationStatus<()>> {
        let op: AsyncOperation<DisposalOperation> = self
            .get(
                call(
                    "savepoint disposal status",
                    "GET /savepoint-disposal/:triggerid",
                ),
                &format!("savepoint-disposal/{trigger}"),
                &[],
            )
            .await?;
        // A completed disposal may come without an operation body: that is success.
        Ok(
            match (op.status.id, op.operation.and_then(|o| o.failure_cause)) {
                (QueueStatusId::InProgress, _) => OperationStatus::InProgress,
                (QueueStatusId::Completed, Some(cause)) => OperationStatus::Failed(cause),
                (QueueStatusId::Completed, None) => OperationStatus::Completed(()),
            },
        )
    }

    /// Polls [`Self::disposal_status`] until the disposal completes or fails.
    pub async fn wait_disposal(&self, trigger: &TriggerId, timeout: Duration) -> Result<()> {
        self.wait_for("savepoint disposal", trigger, timeout, || {
            self.disposal_status(trigger)
        })
        .await
    }

    /// `POST /jobs/:jid/checkpoints`: triggers a checkpoint now (what a
    /// `checkpointTriggerNonce` change asks for).
    pub async fn trigger_checkpoint(
        &self,
        job: &JobId,
        kind: CheckpointType,
        trigger: Option<TriggerId>,
    ) -> Result<TriggerId> {
        let body = json!({ "checkpointType": kind, "triggerId": trigger });
        let r: TriggerResponse = self
            .write(
                call("trigger checkpoint", "POST /jobs/:jid/checkpoints"),
                Method::POST,
                &format!("jobs/{job}/checkpoints"),
                &[],
                Body::json(&without_nulls(body)),
            )
            .await?;
        Ok(r.request_id)
    }

    /// `GET /jobs/:jid/checkpoints/:triggerid`: completed with the checkpoint's id.
    pub async fn checkpoint_status(
        &self,
        job: &JobId,
        trigger: &TriggerId,
    ) -> Result<OperationStatus<u64>> {
        let op: AsyncOperation<CheckpointOperation> = self
            .get(
                call("checkpoint status", "GET /jobs/:jid/checkpoints/:triggerid"),
                &format!("jobs/{job}/checkpoints/{trigger}"),
                &[],
            )
            .await?;
        Ok(status_of(
            op,
            |o| match (o.checkpoint_id, o.failure_cause) {
                (_, Some(cause)) => Err(cause),
                (Some(id), None) => Ok(id),
                (None, None) => Err(missing("a checkpoint id")()),
            },
            missing("an operation"),
        ))
    }

    /// Polls [`Self::checkpoint_status`] until the checkpoint completes (its id) or fails.
    pub async fn wait_checkpoint(
        &self,
        job: &JobId,
        trigger: &TriggerId,
        timeout: Duration,
    ) -> Result<u64> {
        self.wait_for("checkpoint", trigger, timeout, || {
            self.checkpoint_status(job, trigger)
        })
        .await
    }
}

/// Leaves out unset optional fields: Flink treats an absent field and `null` alike on most
/// endpoints, but not all versions on all of them.
fn without_nulls(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(map) = v.as_object_mut() {
        map.retain(|_, value| !value.is_null());
    }
    v
}
