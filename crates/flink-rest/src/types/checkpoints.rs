//! Checkpoint statistics and configuration of a job (no IO).

use serde::{Deserialize, Serialize};

/// `GET /jobs/:jid/checkpoints`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointingStatistics {
    /// How many checkpoints were taken, failed, restored.
    pub counts: CheckpointCounts,
    /// The latest ones of each kind.
    pub latest: LatestCheckpoints,
}

/// Checkpoint counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct CheckpointCounts {
    /// Restores.
    pub restored: u64,
    /// All checkpoints.
    pub total: u64,
    /// Running now.
    pub in_progress: u64,
    /// Completed.
    pub completed: u64,
    /// Failed.
    pub failed: u64,
}

/// The latest checkpoints of each kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestCheckpoints {
    /// The latest completed checkpoint (or savepoint).
    #[serde(default)]
    pub completed: Option<CompletedCheckpoint>,
    /// The latest completed savepoint.
    #[serde(default)]
    pub savepoint: Option<CompletedCheckpoint>,
    /// The latest failed one.
    #[serde(default)]
    pub failed: Option<FailedCheckpoint>,
    /// What the job was restored from.
    #[serde(default)]
    pub restored: Option<RestoredCheckpoint>,
}

/// A completed checkpoint or savepoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletedCheckpoint {
    /// Its id.
    pub id: u64,
    /// Its location (`file:/...`), if it was externalized.
    #[serde(default)]
    pub external_path: Option<String>,
    /// When it was triggered (epoch milliseconds).
    #[serde(default)]
    pub trigger_timestamp: Option<i64>,
    /// Whether it is a savepoint.
    #[serde(default)]
    pub is_savepoint: bool,
}

/// A failed checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedCheckpoint {
    /// Its id.
    pub id: u64,
    /// Why it failed.
    #[serde(default)]
    pub failure_message: Option<String>,
    /// When it failed (epoch milliseconds).
    #[serde(default)]
    pub failure_timestamp: Option<i64>,
}

/// The snapshot a job was restored from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoredCheckpoint {
    /// Its id.
    pub id: u64,
    /// When the job was restored (epoch milliseconds).
    #[serde(default)]
    pub restore_timestamp: Option<i64>,
    /// Whether it was a savepoint.
    #[serde(default)]
    pub is_savepoint: bool,
    /// Its location.
    #[serde(default)]
    pub external_path: Option<String>,
}

/// `GET /jobs/:jid/checkpoints/config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointConfig {
    /// `exactly_once` or `at_least_once`.
    pub mode: String,
    /// Interval in milliseconds (a very large number when periodic checkpoints are off).
    pub interval: i64,
    /// Timeout in milliseconds.
    pub timeout: i64,
    /// The state backend's name.
    #[serde(default)]
    pub state_backend: Option<String>,
    /// The checkpoint storage's name.
    #[serde(default)]
    pub checkpoint_storage: Option<String>,
}

impl CheckpointConfig {
    /// Whether periodic checkpoints are on (Flink reports `Long.MAX_VALUE` when off).
    pub fn periodic(&self) -> bool {
        self.interval > 0 && self.interval < i64::MAX
    }
}
