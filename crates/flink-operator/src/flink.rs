//! Reaching each JobManager's REST API: the base URL per endpoint mode, a client per URL, and
//! every call timed into the latency metric (does IO: HTTP to Flink).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use flink_rest::{ClientConfig, FlinkRestClient};
use k8s_openapi::api::core::v1::Pod;

use crate::caches::ClusterObjects;
use crate::config::FlinkEndpoint;
use crate::labels::{self, COMPONENT, JOB_MANAGER, REST_PORT};
use crate::metrics::Metrics;

/// Clients of the clusters' REST APIs, by base URL.
pub struct FlinkClients {
    mode: FlinkEndpoint,
    config: ClientConfig,
    clients: Mutex<HashMap<String, FlinkRestClient>>,
    metrics: Arc<Metrics>,
}

/// Most clients kept; pod addresses change, so old ones are dropped past this.
const MAX_CLIENTS: usize = 512;

impl FlinkClients {
    /// Clients for `mode` with each call's deadline `timeout`.
    pub fn new(mode: FlinkEndpoint, timeout: std::time::Duration, metrics: Arc<Metrics>) -> Self {
        let config = ClientConfig {
            timeout,
            ..ClientConfig::default()
        };
        Self {
            mode,
            config,
            clients: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// The endpoint mode.
    pub fn mode(&self) -> FlinkEndpoint {
        self.mode
    }

    /// The REST base URL of cluster `name` in `namespace`: its `-rest` Service's DNS name, or
    /// (pod-ip) the address of its JobManager pod, a ready one first. `None` when no
    /// JobManager pod has an address yet.
    pub fn base_url(
        &self,
        namespace: &str,
        name: &str,
        objects: &ClusterObjects,
    ) -> Option<String> {
        match self.mode {
            FlinkEndpoint::Service => Some(format!(
                "http://{}.{namespace}.svc:{REST_PORT}",
                labels::names(name).rest_service
            )),
            FlinkEndpoint::PodIp => job_manager_ip(&objects.pods)
                .map(|ip| format!("http://{}:{REST_PORT}", bracket(&ip))),
        }
    }

    /// How many clients are kept.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// A client for `base_url` (cached).
    pub fn client(&self, base_url: &str) -> Result<Call, flink_rest::Error> {
        let client = {
            let mut map = self
                .clients
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match map.get(base_url) {
                Some(c) => c.clone(),
                None => {
                    let c = FlinkRestClient::with_config(base_url, self.config.clone())?;
                    if map.len() >= MAX_CLIENTS {
                        map.clear();
                    }
                    map.insert(base_url.to_string(), c.clone());
                    c
                }
            }
        };
        Ok(Call {
            client,
            endpoint: self.mode.as_str(),
            metrics: self.metrics.clone(),
        })
    }
}

/// A client of one cluster whose calls are timed into the latency metric.
#[derive(Clone)]
pub struct Call {
    client: FlinkRestClient,
    endpoint: &'static str,
    metrics: Arc<Metrics>,
}

impl Call {
    /// Runs `f` on the client, recording its latency as `call`.
    pub async fn run<'a, T, F, Fut>(&'a self, call: &'static str, f: F) -> flink_rest::Result<T>
    where
        F: FnOnce(&'a FlinkRestClient) -> Fut,
        Fut: Future<Output = flink_rest::Result<T>> + 'a,
    {
        let started = Instant::now();
        let out = f(&self.client).await;
        // A 404 is an answer (unknown job or trigger), not a failed call.
        let ok = match &out {
            Ok(_) => true,
            Err(e) => e.is_not_found(),
        };
        self.metrics
            .observe_flink(self.endpoint, call, ok, started.elapsed().as_secs_f64());
        out
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }
}

fn bracket(ip: &str) -> String {
    if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    }
}

/// The address of a JobManager pod: a ready one if any, else any running one with an address.
pub fn job_manager_ip(pods: &[Arc<Pod>]) -> Option<String> {
    let jm: Vec<&Pod> = pods
        .iter()
        .map(AsRef::as_ref)
        .filter(|p| {
            p.metadata.deletion_timestamp.is_none()
                && p.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(COMPONENT))
                    .map(String::as_str)
                    == Some(JOB_MANAGER)
        })
        .collect();
    let ip = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .filter(|ip| !ip.is_empty())
    };
    let ready = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
    };
    jm.iter()
        .filter(|p| ready(p))
        .find_map(|p| ip(p))
        .or_else(|| jm.iter().find_map(|p| ip(p)))
}
