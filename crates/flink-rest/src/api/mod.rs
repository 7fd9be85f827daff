//! The REST calls, grouped by area; each is one method of [`crate::FlinkRestClient`]
//! (does IO: HTTP).

mod cluster;
mod jars;
mod jobs;
mod metrics;
mod savepoints;

use std::time::{Duration, Instant};

use crate::types::async_op::{AsyncOperation, QueueStatusId};
use crate::{Error, FailureCause, FlinkRestClient, OperationStatus, Result, TriggerId};

/// `{}` or anything else a call answers that we do not need.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Ignored {}

pub(crate) fn status_of<O, T>(
    op: AsyncOperation<O>,
    done: impl FnOnce(O) -> std::result::Result<T, FailureCause>,
    missing: impl FnOnce() -> FailureCause,
) -> OperationStatus<T> {
    match op.status.id {
        QueueStatusId::InProgress => OperationStatus::InProgress,
        QueueStatusId::Completed => match op.operation {
            Some(o) => match done(o) {
                Ok(t) => OperationStatus::Completed(t),
                Err(cause) => OperationStatus::Failed(cause),
            },
            None => OperationStatus::Failed(missing()),
        },
    }
}

impl FlinkRestClient {
    /// Polls `poll` every [`ClientConfig::poll_interval`](crate::ClientConfig) until the
    /// operation completes or fails, or `timeout` passes.
    pub(crate) async fn wait_for<T, F, Fut>(
        &self,
        call: &'static str,
        trigger: &TriggerId,
        timeout: Duration,
        mut poll: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<OperationStatus<T>>>,
    {
        let started = Instant::now();
        loop {
            match poll().await? {
                OperationStatus::Completed(t) => return Ok(t),
                OperationStatus::Failed(cause) => {
                    return Err(Error::OperationFailed {
                        call,
                        trigger_id: trigger.to_string(),
                        cause: cause.summary(),
                    });
                }
                OperationStatus::InProgress => {}
            }
            if started.elapsed() >= timeout {
                return Err(Error::OperationTimeout {
                    call,
                    trigger_id: trigger.to_string(),
                    after: started.elapsed(),
                });
            }
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }
}
