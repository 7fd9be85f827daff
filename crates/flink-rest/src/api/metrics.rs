//! Metric calls: job-level and vertex-level.

use crate::client::call;
use crate::{FlinkRestClient, JobId, Metric, Result, VertexId};

impl FlinkRestClient {
    /// `GET /jobs/:jid/metrics`: with `names` empty, the available metric ids; otherwise the
    /// values of those metrics.
    pub async fn job_metrics(&self, job: &JobId, names: &[&str]) -> Result<Vec<Metric>> {
        let get = names.join(",");
        let query: Vec<(&str, &str)> = if names.is_empty() {
            vec![]
        } else {
            vec![("get", get.as_str())]
        };
        self.get(
            call("job metrics", "GET /jobs/:jid/metrics"),
            &format!("jobs/{job}/metrics"),
            &query,
        )
        .await
    }

    /// `GET /jobs/:jid/vertices/:vid/metrics`: with `names` empty, the available metric ids
    /// (`<subtask>.<operator>.<metric>`); otherwise the values of those metrics.
    pub async fn vertex_metrics(
        &self,
        job: &JobId,
        vertex: &VertexId,
        names: &[&str],
    ) -> Result<Vec<Metric>> {
        let get = names.join(",");
        let query: Vec<(&str, &str)> = if names.is_empty() {
            vec![]
        } else {
            vec![("get", get.as_str())]
        };
        self.get(
            call("vertex metrics", "GET /jobs/:jid/vertices/:vid/metrics"),
            &format!("jobs/{job}/vertices/{vertex}/metrics"),
            &query,
        )
        .await
    }
}
