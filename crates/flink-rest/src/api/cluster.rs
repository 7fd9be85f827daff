//! Cluster calls: overview, config, task managers.

use crate::client::call;
use crate::{ClusterOverview, ConfigEntry, DashboardConfig, FlinkRestClient, Result, TaskManagers};

impl FlinkRestClient {
    /// `GET /overview`: TaskManagers, slots and job counts.
    pub async fn overview(&self) -> Result<ClusterOverview> {
        self.get(call("cluster overview", "GET /overview"), "overview", &[])
            .await
    }

    /// `GET /config`: the web UI config, which names the Flink version.
    pub async fn dashboard_config(&self) -> Result<DashboardConfig> {
        self.get(call("dashboard config", "GET /config"), "config", &[])
            .await
    }

    /// `GET /jobmanager/config`: the cluster's effective configuration.
    pub async fn jobmanager_config(&self) -> Result<Vec<ConfigEntry>> {
        self.get(
            call("jobmanager config", "GET /jobmanager/config"),
            "jobmanager/config",
            &[],
        )
        .await
    }

    /// `GET /taskmanagers`.
    pub async fn taskmanagers(&self) -> Result<TaskManagers> {
        self.get(
            call("list taskmanagers", "GET /taskmanagers"),
            "taskmanagers",
            &[],
        )
        .await
    }
}
