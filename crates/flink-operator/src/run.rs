//! The operator's main loop: connect, serve health/metrics (and the webhook), take the
//! leader Lease if asked, run the controllers of every watched scope, and stop within a
//! second of the shutdown signal (does IO).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::caches::Scope;
use crate::config::Config;
use crate::context::Shared;
use crate::error::{Error, Result};
use crate::events::EventRecorder;
use crate::flink::FlinkClients;
use crate::http::Health;
use crate::leader::Elector;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// How long in-flight reconciles may take to finish after the shutdown signal; the rest are
/// dropped (every action is idempotent and status is written first, so the next start
/// carries on).
pub const STOP_GRACE: Duration = Duration::from_millis(500);

/// Connects to the apiserver named by `--kubeconfig`, else in-cluster or `$KUBECONFIG`.
pub async fn client(config: &Config) -> Result<Client> {
    let kube_config = match &config.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path).map_err(|e| Error::Config {
                what: format!("reading kubeconfig {}", path.display()),
                reason: e.to_string(),
            })?;
            kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .map_err(|e| Error::Config {
                    what: format!("using kubeconfig {}", path.display()),
                    reason: e.to_string(),
                })?
        }
        None => kube::Config::infer().await.map_err(|e| Error::Config {
            what: "finding the cluster (in-cluster config or KUBECONFIG)".into(),
            reason: e.to_string(),
        })?,
    };
    Client::try_from(kube_config).map_err(Error::kube("creating the Kubernetes client"))
}

/// This replica's name: `$POD_NAME`, else the host name, with the process id.
pub fn identity() -> String {
    let host = std::env::var("POD_NAME")
        .ok()
        .filter(|n| !n.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "flink-operator".into());
    format!("{host}-{}", std::process::id())
}

/// Runs the operator until `shutdown` is set. Returns an error if start-up fails or the
/// Lease is lost (the process should exit non-zero and be restarted).
pub async fn run(config: Config, shutdown: Shutdown) -> Result<()> {
    let metrics = Arc::new(Metrics::new());
    let health = Arc::new(Health::default());
    let defaults = Arc::new(config.operator_defaults()?);
    let client = client(&config).await?;
    let server = crate::http::serve(
        config.metrics_addr,
        metrics.clone(),
        health.clone(),
        shutdown.clone(),
    )
    .await?;
    tokio::spawn(server);
    if let (Some(addr), Some(dir)) = (config.webhook_addr, config.webhook_cert_dir.as_ref()) {
        let webhook = crate::webhook::serve(addr, dir, defaults.clone(), shutdown.clone()).await?;
        tokio::spawn(webhook);
    }
    let identity = identity();
    let shared = Shared {
        client: client.clone(),
        flink: Arc::new(FlinkClients::new(
            config.flink_endpoint,
            config.flink_timeout,
            metrics.clone(),
        )),
        metrics: metrics.clone(),
        events: Arc::new(EventRecorder::new(client.clone(), identity.clone())),
        defaults,
        abort_before_phase: config
            .fail_point
            .as_deref()
            .and_then(|p| p.strip_prefix("before-status-write:"))
            .map(str::to_string),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| Error::Config {
                what: "creating the HTTP client for jar downloads".into(),
                reason: e.to_string(),
            })?,
    };
    tracing::info!(
        identity = %identity,
        namespaces = ?config.watched_namespaces(),
        flink_endpoint = config.flink_endpoint.as_str(),
        leader_election = config.leader_election,
        "flink-operator starting"
    );
    if !config.leader_election {
        health.set_leading(true);
        metrics.leader.set(1);
        controllers(&config, shared, health, shutdown.clone()).await;
        return Ok(());
    }
    let elector = Elector::new(
        client,
        &config.lease_namespace(),
        &config.lease_name,
        &identity,
    );
    health.set_standing_by(true);
    if !elector.acquire(&shutdown).await {
        return Ok(());
    }
    tracing::info!(lease = %config.lease_name, identity = %identity, "leading");
    health.set_standing_by(false);
    health.set_leading(true);
    metrics.leader.set(1);
    let stop_controllers = Shutdown::new();
    let running = {
        let (config, shared, health, stop) = (
            config.clone(),
            shared.clone(),
            health.clone(),
            stop_controllers.clone(),
        );
        tokio::spawn(async move { controllers(&config, shared, health, stop).await })
    };
    let kept = elector.hold(&shutdown).await;
    stop_controllers.trigger();
    health.set_leading(false);
    metrics.leader.set(0);
    let _ = tokio::time::timeout(STOP_GRACE + Duration::from_millis(100), running).await;
    let _ = tokio::time::timeout(Duration::from_millis(300), elector.release()).await;
    if kept {
        Ok(())
    } else {
        shutdown.trigger();
        Err(Error::Config {
            what: "leader election".into(),
            reason: "lost the Lease; exiting so that only one replica acts".into(),
        })
    }
}

/// Runs the controllers of every watched scope until `stop`, then gives in-flight reconciles
/// [`STOP_GRACE`] to finish.
async fn controllers(config: &Config, shared: Shared, health: Arc<Health>, stop: Shutdown) {
    let scopes: Vec<Scope> = match config.watched_namespaces() {
        Some(ns) => ns.into_iter().map(Scope::Namespace).collect(),
        None => vec![Scope::All],
    };
    let total = scopes.len();
    let synced = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for scope in scopes {
        let (shared, stop, health, synced) =
            (shared.clone(), stop.clone(), health.clone(), synced.clone());
        let concurrency = config.concurrency;
        tasks.push(tokio::spawn(async move {
            crate::controller::run(shared, scope, concurrency, stop, move || {
                if synced.fetch_add(1, Ordering::SeqCst) + 1 == total {
                    health.set_synced(true);
                    tracing::info!("caches synced; reconciling");
                }
            })
            .await
        }));
    }
    stop.wait().await;
    let all = futures::future::join_all(tasks.iter_mut());
    if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
        tracing::info!("stopping with reconciles in flight (they resume on the next start)");
    }
    for t in &tasks {
        t.abort();
    }
}
