//! The controllers of one scope (a namespace, or all): FlinkDeployments owning their
//! clusters' Deployments, Services, ConfigMaps and Ingresses, woken by their pods too (does IO:
//! watches and reconciles).

use std::sync::Arc;

use flink_crd::FlinkDeployment;
use futures::StreamExt;
use kube::runtime::controller::{Config as ControllerConfig, Controller};
use kube::runtime::watcher;

use crate::caches::{self, Scope};
use crate::context::{Context, Shared};
use crate::reconcile::{self, KIND_DEPLOYMENT};
use crate::shutdown::Shutdown;

/// Runs the controllers of `scope` until `shutdown` is set. `synced` is told once the caches
/// are ready.
pub async fn run(
    shared: Shared,
    scope: Scope,
    concurrency: u16,
    shutdown: Shutdown,
    synced: impl FnOnce() + Send + 'static,
) {
    let (caches, streams) = caches::watch(&shared.client, &scope, &shared.metrics);
    let ctx = Arc::new(Context::new(shared.clone(), caches.clone()));
    tracing::info!(scope = %scope.describe(), "starting controllers");

    let ready = caches.clone();
    tokio::spawn(async move {
        if ready.ready().await {
            synced();
        }
    });

    let fdeps = scope.api::<FlinkDeployment>(&shared.client);
    let pods = streams.pods;
    let controller = Controller::new(fdeps, watcher::Config::default())
        .with_config(ControllerConfig::default().concurrency(concurrency))
        .owns_stream(streams.deployments)
        .owns_stream(streams.services)
        .owns_stream(streams.config_maps)
        .owns_stream(streams.ingresses)
        .watches_stream(pods, |pod| caches::owner_ref::<FlinkDeployment, _>(&pod))
        .graceful_shutdown_on({
            let s = shutdown.clone();
            async move { s.wait().await }
        });
    controller
        .run(
            |fdep, ctx| {
                reconcile::run(fdep, ctx, KIND_DEPLOYMENT, |fdep, ctx| async move {
                    reconcile::deployment::reconcile(&fdep, &ctx).await
                })
            },
            reconcile::error_policy,
            ctx,
        )
        .for_each(|r| {
            if let Err(e) = r {
                log_controller_error(&e, &shared.metrics);
            }
            futures::future::ready(())
        })
        .await;
    tracing::info!(scope = %scope.describe(), "controllers stopped");
}

fn log_controller_error<E: std::fmt::Display, Q: std::fmt::Display>(
    e: &kube::runtime::controller::Error<E, Q>,
    metrics: &crate::metrics::Metrics,
) {
    use kube::runtime::controller::Error as CE;
    match e {
        // Reconcile errors are counted and logged once in `reconcile::run`.
        CE::ReconcilerFailed(..) | CE::ObjectNotFound(_) => {}
        CE::QueueError(q) => {
            metrics
                .watch_restarts
                .get_or_create(&crate::metrics::WatchLabels {
                    resource: "controller",
                })
                .inc();
            tracing::warn!(error = %q, "a watch of the controller failed; restarting it with backoff");
        }
        other => tracing::debug!(error = %other, "controller"),
    }
}
