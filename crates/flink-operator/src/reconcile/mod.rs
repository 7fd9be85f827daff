//! The reconcilers the controllers call, with what all of them share: timing, metrics,
//! log-once errors and backoff (does IO through the per-kind modules).

pub mod decision;
pub mod deployment;
pub mod session_job;

use std::sync::Arc;
use std::time::{Duration, Instant};

use flink_lifecycle::Action;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::runtime::controller::Action as Requeue;

use crate::context::{CONFLICT_RETRY, Context};
use crate::error::Error;
use crate::metrics::{ErrorLabels, KindLabels, ReconcileLabels};

/// Retry delay of a reconcile that came before the caches were filled.
const CACHE_WAIT: Duration = Duration::from_millis(200);

/// Metric label of FlinkDeployments.
pub const KIND_DEPLOYMENT: &str = "FlinkDeployment";
/// Metric label of FlinkSessionJobs.
pub const KIND_SESSION_JOB: &str = "FlinkSessionJob";

/// The current time, whole seconds: statuses store times to the second, so a decision
/// replayed from a stored status sees the same instants it wrote.
pub fn now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).unwrap_or_else(|_| Timestamp::now())
}

/// The metric label of an action.
pub fn action_name(a: &Action) -> &'static str {
    match a {
        Action::AddFinalizer => "AddFinalizer",
        Action::ApplyCluster { .. } => "ApplyCluster",
        Action::DeleteCluster => "DeleteCluster",
        Action::SubmitJob { .. } => "SubmitJob",
        Action::TriggerSavepoint { .. } => "TriggerSavepoint",
        Action::StopWithSavepoint { .. } => "StopWithSavepoint",
        Action::TriggerCheckpoint { .. } => "TriggerCheckpoint",
        Action::CancelJob { .. } => "CancelJob",
        Action::RecordEvent { .. } => "RecordEvent",
        Action::RemoveFinalizer => "RemoveFinalizer",
        Action::Requeue { .. } => "Requeue",
    }
}

/// Wraps a reconcile: waits for the caches, times it, counts the outcome, logs an error once
/// per distinct message and turns the result into the controller's requeue.
pub async fn run<K, F, Fut>(
    obj: Arc<K>,
    ctx: Arc<Context>,
    kind: &'static str,
    f: F,
) -> Result<Requeue, Error>
where
    K: kube::Resource,
    F: FnOnce(Arc<K>, Arc<Context>) -> Fut,
    Fut: std::future::Future<Output = Result<Duration, Error>>,
{
    // A reconcile before the caches hold the cluster's objects would see them missing; come
    // back once they do (waiting here would stall the controller that fills them).
    if !ctx.caches.is_ready() {
        return Ok(Requeue::requeue(CACHE_WAIT));
    }
    let key = format!(
        "{kind}/{}/{}",
        obj.namespace().unwrap_or_default(),
        obj.name_any()
    );
    let started = Instant::now();
    let result = f(obj, ctx.clone()).await;
    let metrics = &ctx.shared.metrics;
    metrics
        .reconcile_seconds
        .get_or_create(&KindLabels { kind })
        .observe(started.elapsed().as_secs_f64());
    match result {
        Ok(after) => {
            metrics
                .reconciles
                .get_or_create(&ReconcileLabels {
                    kind,
                    outcome: "ok",
                })
                .inc();
            if ctx.succeeded(&key) {
                tracing::info!(resource = %key, "reconciled again after errors");
            }
            Ok(Requeue::requeue(after))
        }
        Err(e) if e.is_conflict() => {
            metrics
                .reconciles
                .get_or_create(&ReconcileLabels {
                    kind,
                    outcome: "conflict",
                })
                .inc();
            tracing::debug!(resource = %key, error = %e, "the resource changed meanwhile; reconciling again");
            Ok(Requeue::requeue(CONFLICT_RETRY))
        }
        Err(e) => {
            metrics
                .reconciles
                .get_or_create(&ReconcileLabels {
                    kind,
                    outcome: "error",
                })
                .inc();
            metrics
                .errors
                .get_or_create(&ErrorLabels {
                    kind,
                    error: e.category(),
                })
                .inc();
            let text = e.to_string();
            let (new, backoff) = ctx.failed(&key, &text);
            if new {
                tracing::warn!(resource = %key, error = %text, category = e.category(), retry_in_s = backoff.as_secs(), "reconcile failed");
            } else {
                tracing::debug!(resource = %key, error = %text, "reconcile failed again");
            }
            Err(e)
        }
    }
}

/// The controller's error policy: retry after the resource's backoff.
pub fn error_policy<K: kube::Resource<DynamicType = ()>>(
    obj: Arc<K>,
    _e: &Error,
    ctx: Arc<Context>,
) -> Requeue {
    let key_kind = if K::kind(&()) == KIND_SESSION_JOB {
        KIND_SESSION_JOB
    } else {
        KIND_DEPLOYMENT
    };
    let key = format!(
        "{key_kind}/{}/{}",
        obj.namespace().unwrap_or_default(),
        obj.name_any()
    );
    Requeue::requeue(ctx.backoff_of(&key))
}
