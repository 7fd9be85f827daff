//! One reconcile of a FlinkDeployment: observe → `flink_lifecycle::step` → persist status →
//! execute the actions in order (does IO: Flink REST, apiserver writes). No lifecycle
//! decision is made here.

use std::sync::Arc;
use std::time::Duration;

use flink_crd::FlinkDeployment;
use flink_lifecycle::{Action, Settings};
use kube::{Api, Resource, ResourceExt};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::execute::{self, cluster::ApplyCluster};
use crate::observe;
use crate::reconcile::decision::{
    count_action, execute_finalizer, forget_if_released, write_status,
};
use crate::reconcile::{KIND_DEPLOYMENT, now};

/// Reconciles one FlinkDeployment; returns when to look at it again.
pub async fn reconcile(fdep: &FlinkDeployment, ctx: &Context) -> Result<Duration> {
    let name = fdep.name_any();
    let namespace = fdep.namespace().ok_or(Error::Incomplete("namespace"))?;
    let key = format!("{namespace}/{name}");
    let shared = &ctx.shared;
    let (_, _, deleting, has_finalizer) = observe::meta_facts(fdep);
    if deleting && !has_finalizer {
        // Released: Kubernetes removes it; nothing is left to decide.
        shared.metrics.set_phase(KIND_DEPLOYMENT, &key, None);
        return Ok(Duration::from_secs(300));
    }
    let objects = ctx.caches.cluster(&namespace, &name);
    let settings = Settings::resolve(&fdep.spec, &shared.defaults);
    let obs = observe::deployment(fdep, &objects, settings, &shared.flink).await;
    let status = fdep.status.clone().unwrap_or_default();
    let decision = flink_lifecycle::step(&fdep.spec, &status, &obs, now());
    tracing::trace!(resource = %key, observation = ?obs, actions = ?decision.actions, "decided");

    let api: Api<FlinkDeployment> = Api::namespaced(shared.client.clone(), &namespace);
    let fail_point = shared.abort_before_phase.as_deref();
    let mut current = write_status(ctx, &api, fdep, &key, &decision.status, fail_point).await?;
    let mut requeue = Duration::from_secs(obs.settings.steady_interval_secs);
    for action in &decision.actions {
        let result = execute_one(
            ctx,
            fdep,
            &api,
            &mut current,
            &decision.status,
            &objects,
            action,
        )
        .await;
        count_action(ctx, action, &result);
        if let Some(after) = result? {
            requeue = after;
        }
    }
    forget_if_released(ctx, KIND_DEPLOYMENT, &key, deleting, &decision.actions);
    Ok(requeue)
}

/// Carries out one action; `Some` is the requeue delay of the final `Requeue`.
async fn execute_one(
    ctx: &Context,
    fdep: &FlinkDeployment,
    api: &Api<FlinkDeployment>,
    current: &mut FlinkDeployment,
    status: &flink_crd::FlinkDeploymentStatus,
    objects: &crate::caches::ClusterObjects,
    action: &Action,
) -> Result<Option<Duration>> {
    let shared = &ctx.shared;
    let name = fdep.name_any();
    let namespace = fdep.namespace().unwrap_or_default();
    let flink_call = || -> Result<crate::flink::Call> {
        let url = shared
            .flink
            .base_url(&namespace, &name, objects)
            .ok_or_else(|| Error::no_job_manager(format!("reaching the JobManager of {name}")))?;
        shared
            .flink
            .client(&url)
            .map_err(Error::flink("creating a Flink client"))
    };
    match action {
        Action::AddFinalizer | Action::RemoveFinalizer => {
            execute_finalizer(api, current, matches!(action, Action::AddFinalizer)).await?
        }
        Action::ApplyCluster {
            source,
            spec_hash,
            job_id,
            restore,
            allow_non_restored_state,
        } => {
            let spec = execute::cluster::source_spec(fdep, *source, status)?;
            let applied = execute::cluster::apply(
                &shared.client,
                fdep,
                &spec,
                &ApplyCluster {
                    source: *source,
                    spec_hash,
                    job_id: job_id.as_deref(),
                    restore: restore.as_ref(),
                    allow_non_restored_state: *allow_non_restored_state,
                },
                objects,
                &shared.defaults,
            )
            .await?;
            if applied.written + applied.deleted > 0 {
                tracing::info!(
                    resource = %format!("{namespace}/{name}"),
                    spec_hash = spec_hash.as_str(),
                    written = applied.written,
                    unchanged = applied.unchanged,
                    "applied the cluster"
                );
            }
        }
        Action::DeleteCluster => {
            let sent = execute::cluster::delete_all(&shared.client, &namespace, objects).await?;
            if sent > 0 {
                tracing::info!(resource = %format!("{namespace}/{name}"), deletes = sent, "deleting the cluster");
            }
        }
        Action::TriggerSavepoint {
            job_id,
            trigger_id,
            directory,
        } => {
            execute::flink::trigger_savepoint(&flink_call()?, job_id, trigger_id, directory).await?
        }
        Action::StopWithSavepoint {
            job_id,
            trigger_id,
            directory,
        } => {
            execute::flink::stop_with_savepoint(&flink_call()?, job_id, trigger_id, directory)
                .await?
        }
        Action::TriggerCheckpoint { job_id, trigger_id } => {
            execute::flink::trigger_checkpoint(&flink_call()?, job_id, trigger_id).await?
        }
        Action::CancelJob { job_id } => execute::flink::cancel(&flink_call()?, job_id).await?,
        Action::RecordEvent {
            kind,
            reason,
            message,
        } => {
            shared
                .events
                .publish(&fdep.object_ref(&()), *kind, reason, message)
                .await?;
        }
        Action::SubmitJob { job_id, .. } => {
            // Only the session-job machine emits it; a FlinkDeployment never should.
            tracing::warn!(
                job_id = job_id.as_str(),
                "ignoring SubmitJob for a FlinkDeployment"
            );
        }
        Action::Requeue { after_secs } => return Ok(Some(Duration::from_secs(*after_secs))),
    }
    Ok(None)
}

/// Shared handle for the controller.
pub type Ctx = Arc<Context>;
