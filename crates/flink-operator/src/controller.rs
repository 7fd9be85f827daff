//! The controllers of one scope (a namespace, or all): FlinkDeployments owning their
//! clusters' Deployments, Services, ConfigMaps and Ingresses, woken by their pods too, and
//! FlinkSessionJobs woken by their session cluster (does IO: watches and reconciles).

use std::sync::Arc;

use flink_crd::{FlinkDeployment, FlinkSessionJob};
use futures::StreamExt;
use kube::ResourceExt;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Config as ControllerConfig, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{WatchStreamExt, watcher};

use crate::caches::{self, Scope};
use crate::context::{Context, Shared};
use crate::reconcile::{self, KIND_DEPLOYMENT, KIND_SESSION_JOB};
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
    tracing::info!(scope = %scope.describe(), "starting controllers");

    let deployments =
        Controller::for_stream(streams.flink_deployments, caches.flink_deployments.clone())
            .with_config(ControllerConfig::default().concurrency(concurrency))
            .owns_stream(streams.deployments)
            .owns_stream(streams.services)
            .owns_stream(streams.config_maps)
            .owns_stream(streams.ingresses)
            .watches_stream(streams.pods, |pod| {
                caches::owner_ref::<FlinkDeployment, _>(&pod)
            })
            .graceful_shutdown_on({
                let s = shutdown.clone();
                async move { s.wait().await }
            });
    let ctx = Arc::new(Context::new(shared.clone(), caches.clone()));

    // Session jobs: woken by their session cluster's FlinkDeployment (metadata only; the
    // FlinkDeployment controller's cache has the full objects).
    let sessions = Controller::new(
        scope.api::<FlinkSessionJob>(&shared.client),
        watcher::Config::default(),
    )
    .with_config(ControllerConfig::default().concurrency(concurrency));
    let session_store = sessions.store();
    let fdep_meta = watcher::watcher(
        scope.api::<PartialObjectMeta<FlinkDeployment>>(&shared.client),
        watcher::Config::default(),
    )
    .default_backoff()
    .touched_objects();
    let sessions = sessions
        .watches_stream(fdep_meta, move |fdep| {
            let ns = fdep.namespace();
            let name = fdep.name_any();
            session_store
                .state()
                .into_iter()
                .filter(|j| j.namespace() == ns && j.spec.deployment_name == name)
                .map(|j| ObjectRef::from_obj(&*j))
                .collect::<Vec<_>>()
        })
        .graceful_shutdown_on({
            let s = shutdown.clone();
            async move { s.wait().await }
        });

    let ready = caches.clone();
    tokio::spawn(async move {
        ready.ready().await;
        synced();
    });

    let metrics = shared.metrics.clone();
    let deployments = deployments
        .run(
            |fdep, ctx| {
                reconcile::run(fdep, ctx, KIND_DEPLOYMENT, |fdep, ctx| async move {
                    reconcile::deployment::reconcile(&fdep, &ctx).await
                })
            },
            reconcile::error_policy,
            ctx.clone(),
        )
        .for_each(|r| {
            if let Err(e) = r {
                log_controller_error(&e, &metrics);
            }
            futures::future::ready(())
        });
    let metrics = shared.metrics.clone();
    let sessions = sessions
        .run(
            |job, ctx| {
                reconcile::run(job, ctx, KIND_SESSION_JOB, |job, ctx| async move {
                    reconcile::session_job::reconcile(&job, &ctx).await
                })
            },
            reconcile::error_policy,
            ctx,
        )
        .for_each(|r| {
            if let Err(e) = r {
                log_controller_error(&e, &metrics);
            }
            futures::future::ready(())
        });
    futures::future::join(deployments, sessions).await;
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
