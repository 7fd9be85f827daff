//! The health and metrics server: `/healthz`, `/readyz`, `/metrics` (does IO: serves HTTP).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// What `/readyz` reports.
#[derive(Debug, Default)]
pub struct Health {
    standing_by: AtomicBool,
    leading: AtomicBool,
    synced: AtomicBool,
}

impl Health {
    /// This replica runs the controllers (leads, or election is off).
    pub fn set_leading(&self, v: bool) {
        self.leading.store(v, Ordering::SeqCst);
    }

    /// This replica waits for the leader Lease (leader election on, another replica holds it).
    pub fn set_standing_by(&self, v: bool) {
        self.standing_by.store(v, Ordering::SeqCst);
    }

    /// The controllers' caches hold the cluster's current objects.
    pub fn set_synced(&self, v: bool) {
        self.synced.store(v, Ordering::SeqCst);
    }

    /// Ready: leading with synced caches, or standing by (a standby serves the webhook and
    /// must count as ready, or a RollingUpdate of a replicated operator would stall). `Ok`
    /// says which; `Err` says why not.
    pub fn ready(&self) -> std::result::Result<&'static str, &'static str> {
        if self.standing_by.load(Ordering::SeqCst) {
            return Ok("ok: standby, another replica holds the leader Lease");
        }
        if !self.leading.load(Ordering::SeqCst) {
            return Err("starting: not running the controllers yet");
        }
        if !self.synced.load(Ordering::SeqCst) {
            return Err("starting: caches are not synced yet");
        }
        Ok("ok")
    }
}

#[derive(Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
}

/// The router (for tests without a socket).
pub fn router(metrics: Arc<Metrics>, health: Arc<Health>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(AppState { metrics, health })
}

async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    match s.health.ready() {
        Ok(what) => (StatusCode::OK, what.to_string()),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why.to_string()),
    }
}

async fn metrics_text(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

/// Binds `addr` (so a port in use fails start-up) and returns the server's future.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: Shutdown,
) -> Result<impl std::future::Future<Output = ()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Io {
            what: format!("binding the metrics address {addr}"),
            source,
        })?;
    tracing::info!(%addr, "serving /healthz, /readyz and /metrics");
    let app = router(metrics, health);
    Ok(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
    })
}
