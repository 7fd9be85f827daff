//! Metric calls: job-level and vertex-level.

use crate::client::call;
use crate::{FlinkRestClient, JobId, Metric, Result, VertexId};

impl FlinkRestClient {
    /// `GET /jobs/:jid/metrics`: with `names` empty, the available metric ids; otherwise the
    /// values of those metrics.
    pub async fn job_metrics(&self, job: &JobId, names: &[&str]) -> Result<Vec<Metric>> {
        let get = names.join(",");
        self.get(
            call("job metrics", "GET /jobs/:jid/metrics"),
            &format!("jobs/{job}/metrics"),
            &metric_query(&get),
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
        self.get(
            call("vertex metrics", "GET /jobs/:jid/vertices/:vid/metrics"),
            &format!("jobs/{job}/vertices/{vertex}/metrics"),
            &metric_query(&get),
        )
        .await
    }
}

/// `?get=a,b` when metric names are asked for; no query (the list of ids) otherwise.
fn metric_query(joined_names: &str) -> Vec<(&'static str, &str)> {
    if joined_names.is_empty() {
        vec![]
    } else {
        vec![("get", joined_names)]
    }
}
