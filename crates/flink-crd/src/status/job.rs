//! Status of the Flink job (no IO).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{CheckpointInfo, SavepointInfo};

/// The Flink job as last observed, with its savepoints and checkpoints.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    /// The job's name in Flink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// The Flink job id (32 hex characters; fixed per deployment by the operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Flink's job state (`CREATED`, `RUNNING`, `FAILING`, `FAILED`, `CANCELED`,
    /// `FINISHED`, `RESTARTING`, `SUSPENDED`, `RECONCILING`, ...), or `UNKNOWN` when Flink
    /// cannot be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// When the job started, in epoch milliseconds (as a string, like Apache's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// When this job status was last updated, in epoch milliseconds (as a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    /// The savepoint the last upgrade started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_savepoint_path: Option<String>,
    /// Savepoints: the last one, the one in flight, the history.
    #[serde(default)]
    pub savepoint_info: SavepointInfo,
    /// Checkpoints: the last one and the one in flight.
    #[serde(default)]
    pub checkpoint_info: CheckpointInfo,
}
