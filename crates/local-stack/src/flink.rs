//! Reaching a FlinkDeployment's JobManager from the host, and reading the counter job's state.

use std::collections::BTreeMap;

use flink_rest::{FlinkRestClient, JobId};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use crate::{Error, Result};

/// The counter job's keyed-state operator (see `examples/jobs/counter-job`).
const COUNT_VERTEX: &str = "count-per-key";

/// A REST client for the running JobManager pod of FlinkDeployment `name` (its pod address:
/// the host routes to every pod of the local node).
pub async fn jobmanager_rest(
    client: &kube::Client,
    ns: &str,
    name: &str,
) -> Result<FlinkRestClient> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let list = pods
        .list(&ListParams::default().labels(&format!("app={name},component=jobmanager")))
        .await?;
    let ip = list
        .items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .find_map(|p| p.status.as_ref()?.pod_ip.clone())
        .ok_or_else(|| {
            Error::Unexpected(format!("no JobManager pod with an address for {ns}/{name}"))
        })?;
    Ok(FlinkRestClient::new(&format!("http://{ip}:8081"))?)
}

/// The counter job's per-key counts (`k0` → 1234), read from its per-key gauges; empty while
/// the metrics have not been reported yet.
pub async fn counts_of(flink: &FlinkRestClient, job: &JobId) -> Result<BTreeMap<String, u64>> {
    let details = flink.job_details(job).await?;
    let Some(vertex) = details
        .vertices
        .iter()
        .find(|v| v.name.contains(COUNT_VERTEX))
    else {
        return Err(Error::Unexpected(format!(
            "job {job} has no vertex named {COUNT_VERTEX}"
        )));
    };
    let ids: Vec<String> = flink
        .vertex_metrics(job, &vertex.id, &[])
        .await?
        .into_iter()
        .map(|m| m.id)
        .filter(|id| id.contains(".count_"))
        .collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let names: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut counts = BTreeMap::new();
    for m in flink.vertex_metrics(job, &vertex.id, &names).await? {
        let (Some((_, key)), Some(value)) = (m.id.rsplit_once("count_"), m.as_f64()) else {
            continue;
        };
        // A key lives in exactly one subtask; take the largest in case an idle subtask still
        // reports a stale gauge.
        let entry = counts.entry(key.to_string()).or_insert(0);
        *entry = (*entry).max(value as u64);
    }
    Ok(counts)
}
