//! Asynchronous operations (savepoint, stop, checkpoint, disposal): triggers and status
//! (no IO).

use serde::{Deserialize, Serialize};

/// The format a savepoint is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SavepointFormat {
    /// Portable across state backends (Flink's default).
    #[default]
    Canonical,
    /// The state backend's own format: faster, not portable.
    Native,
}

/// The kind of checkpoint to trigger by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckpointType {
    /// As the job is configured.
    #[default]
    Configured,
    /// A full checkpoint.
    Full,
    /// An incremental checkpoint.
    Incremental,
}

/// Where an asynchronous operation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationStatus<T> {
    /// Still running.
    InProgress,
    /// Done; `T` is its result (a savepoint location, a checkpoint id, nothing).
    Completed(T),
    /// Failed.
    Failed(FailureCause),
}

/// Why an operation failed, as Flink serializes the exception.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FailureCause {
    /// The exception's class.
    #[serde(default)]
    pub class: Option<String>,
    /// Its stack trace.
    #[serde(default, rename = "stack-trace")]
    pub stack_trace: Option<String>,
}

impl FailureCause {
    /// The class and the first lines of the stack trace.
    pub fn summary(&self) -> String {
        let trace: Vec<&str> = self
            .stack_trace
            .as_deref()
            .unwrap_or("")
            .lines()
            .take(3)
            .collect();
        match (&self.class, trace.is_empty()) {
            (Some(c), true) => c.clone(),
            (_, false) => trace.join(" / "),
            (None, true) => "(no cause given)".into(),
        }
    }
}

/// `{"request-id": ...}`: the answer to every trigger.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TriggerResponse {
    #[serde(rename = "request-id")]
    pub request_id: crate::TriggerId,
}

/// `{"status":{"id":...},"operation":{...}}`: the answer to every poll.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AsyncOperation<O> {
    pub status: QueueStatus,
    #[serde(default = "none")]
    pub operation: Option<O>,
}

fn none<O>() -> Option<O> {
    None
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct QueueStatus {
    pub id: QueueStatusId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum QueueStatusId {
    InProgress,
    Completed,
}

/// The `operation` of a savepoint poll.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SavepointOperation {
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default, rename = "failure-cause")]
    pub failure_cause: Option<FailureCause>,
}

/// The `operation` of a checkpoint poll.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CheckpointOperation {
    #[serde(default, rename = "checkpointId")]
    pub checkpoint_id: Option<u64>,
    #[serde(default, rename = "failure-cause")]
    pub failure_cause: Option<FailureCause>,
}

/// The `operation` of a disposal poll.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DisposalOperation {
    #[serde(default, rename = "failure-cause")]
    pub failure_cause: Option<FailureCause>,
}
