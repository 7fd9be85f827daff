//! Savepoints and checkpoints in status (no IO).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a savepoint or checkpoint was taken.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SnapshotTriggerType {
    /// Asked for by the user (a trigger nonce).
    Manual,
    /// Taken on the configured interval.
    Periodic,
    /// Taken before an upgrade, suspend, restart or delete.
    Upgrade,
    /// Not known (e.g. found in Flink, not triggered by us).
    Unknown,
}

/// Savepoint format.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SnapshotFormatType {
    /// Flink's canonical, portable format.
    Canonical,
    /// The state backend's native format (faster, less portable).
    Native,
    /// Not known.
    Unknown,
}

/// A completed savepoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Savepoint {
    /// When it completed, in epoch milliseconds.
    #[serde(default)]
    pub time_stamp: i64,
    /// When it completed, RFC 3339 (for `kubectl get` columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Where it is stored (Flink's external pointer).
    pub location: String,
    /// Why it was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_type: Option<SnapshotTriggerType>,
    /// Its format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_type: Option<SnapshotFormatType>,
    /// The `savepointTriggerNonce` that asked for it, for manual savepoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_nonce: Option<i64>,
}

/// Savepoints of the job: the last, the one in flight, and a bounded history (newest last).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavepointInfo {
    /// The last completed savepoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_savepoint: Option<Savepoint>,
    /// Trigger id of the savepoint in flight (deterministic, so retries are idempotent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_id: Option<String>,
    /// When the savepoint in flight was triggered, in epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_timestamp: Option<i64>,
    /// Why the savepoint in flight was triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_type: Option<SnapshotTriggerType>,
    /// Format of the savepoint in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_type: Option<SnapshotFormatType>,
    /// Completed savepoints, oldest first, bounded by
    /// `kubernetes.operator.savepoint.history.max.count`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub savepoint_history: Vec<Savepoint>,
    /// When the last periodic savepoint was triggered, in epoch milliseconds.
    #[serde(default)]
    pub last_periodic_savepoint_timestamp: i64,
}

/// A completed checkpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// When it completed, in epoch milliseconds.
    #[serde(default)]
    pub time_stamp: i64,
    /// Where it is stored (our extension: last-state upgrades restore from it without
    /// relying on Flink's HA metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Why it was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_type: Option<SnapshotTriggerType>,
    /// Its format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_type: Option<SnapshotFormatType>,
    /// The `checkpointTriggerNonce` that asked for it, for manual checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_nonce: Option<i64>,
}

/// Checkpoints of the job: the last one and the one in flight.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointInfo {
    /// The last completed checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checkpoint: Option<Checkpoint>,
    /// Trigger id of the manual checkpoint in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_id: Option<String>,
    /// When the checkpoint in flight was triggered, in epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_timestamp: Option<i64>,
    /// Why the checkpoint in flight was triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_type: Option<SnapshotTriggerType>,
    /// Format of the checkpoint in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_type: Option<SnapshotFormatType>,
    /// When the last periodic checkpoint was triggered, in epoch milliseconds.
    #[serde(default)]
    pub last_periodic_checkpoint_timestamp: i64,
}
