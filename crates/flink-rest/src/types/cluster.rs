//! Cluster-level answers: `/overview`, `/config`, `/jobmanager/config`, `/taskmanagers` (no IO).

use serde::{Deserialize, Serialize};

/// `GET /overview`: the cluster at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ClusterOverview {
    /// Registered TaskManagers.
    pub taskmanagers: u32,
    /// All task slots.
    pub slots_total: u32,
    /// Free task slots.
    pub slots_available: u32,
    /// Jobs running now.
    pub jobs_running: u32,
    /// Jobs finished.
    pub jobs_finished: u32,
    /// Jobs cancelled.
    pub jobs_cancelled: u32,
    /// Jobs failed.
    pub jobs_failed: u32,
    /// The Flink version, e.g. `2.3.0`.
    pub flink_version: String,
    /// The Flink commit.
    #[serde(default)]
    pub flink_commit: Option<String>,
}

/// `GET /config`: the web UI's configuration, which carries the Flink version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DashboardConfig {
    /// The Flink version, e.g. `1.20.5`.
    pub flink_version: String,
    /// The Flink revision (commit and date).
    #[serde(default)]
    pub flink_revision: Option<String>,
    /// The UI's refresh interval in milliseconds.
    #[serde(default)]
    pub refresh_interval: Option<u64>,
    /// The UI features switched on (`web-submit`, `web-cancel`, ...).
    #[serde(default)]
    pub features: Option<serde_json::Value>,
}

impl DashboardConfig {
    /// The major version (1 or 2), if the version string starts with a number.
    pub fn major_version(&self) -> Option<u32> {
        self.flink_version.split('.').next()?.parse().ok()
    }
}

/// One entry of `GET /jobmanager/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigEntry {
    /// The key, e.g. `rest.port`.
    pub key: String,
    /// The value.
    pub value: String,
}

/// `GET /taskmanagers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskManagers {
    /// The registered TaskManagers.
    pub taskmanagers: Vec<TaskManagerInfo>,
}

/// One TaskManager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskManagerInfo {
    /// Its resource id.
    pub id: String,
    /// Its RPC address.
    #[serde(default)]
    pub path: Option<String>,
    /// Its data port.
    #[serde(default)]
    pub data_port: Option<u16>,
    /// Milliseconds since its last heartbeat.
    #[serde(default)]
    pub time_since_last_heartbeat: Option<i64>,
    /// Its task slots.
    pub slots_number: u32,
    /// Its free task slots.
    pub free_slots: u32,
}
