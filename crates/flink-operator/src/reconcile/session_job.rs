//! One reconcile of a FlinkSessionJob: observe its session cluster (the FlinkDeployment named by
//! `spec.deploymentName`) and its job → `flink_lifecycle::session_job::step` → persist status →
//! execute the actions (does IO: Flink REST, apiserver writes). No lifecycle decision here.

use std::time::Duration;

use flink_crd::status::Phase;
use flink_crd::{FlinkDeployment, FlinkSessionJob};
use flink_lifecycle::session_job::{SessionCluster, SessionJobObservation};
use flink_lifecycle::{Action, Component, JobObservation, Settings};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, Resource, ResourceExt};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::flink::Call;
use crate::reconcile::decision::{
    count_action, execute_finalizer, forget_if_released, write_status,
};
use crate::reconcile::{KIND_SESSION_JOB, action_name, now};
use crate::{execute, observe};

/// The session cluster's state as the session-job machine needs it, and a client of its REST
/// API when it has one.
fn session_cluster(
    ctx: &Context,
    namespace: &str,
    fdep: Option<&FlinkDeployment>,
) -> (SessionCluster, Option<Call>) {
    let Some(fdep) = fdep.filter(|d| d.meta().deletion_timestamp.is_none()) else {
        return (SessionCluster::Missing, None);
    };
    if !fdep.spec.is_session_cluster() {
        return (SessionCluster::NotASessionCluster, None);
    }
    let name = fdep.name_any();
    let objects = ctx.caches.cluster(namespace, &name);
    let cluster = observe::cluster::observe(&name, &objects);
    let running = fdep.status.as_ref().and_then(|s| s.phase) == Some(Phase::Running);
    let call = ctx
        .shared
        .flink
        .base_url(namespace, &name, &objects)
        .and_then(|url| ctx.shared.flink.client(&url).ok());
    if running && cluster.job_manager == Component::Ready && call.is_some() {
        (SessionCluster::Ready, call)
    } else {
        (SessionCluster::NotReady, call)
    }
}

/// Reconciles one FlinkSessionJob; returns when to look at it again.
pub async fn reconcile(job: &FlinkSessionJob, ctx: &Context) -> Result<Duration> {
    let name = job.name_any();
    let namespace = job.namespace().ok_or(Error::Incomplete("namespace"))?;
    let key = format!("{namespace}/{name}");
    let shared = &ctx.shared;
    let (uid, generation, deleting, has_finalizer) = observe::meta_facts(job);
    if deleting && !has_finalizer {
        shared.metrics.set_phase(KIND_SESSION_JOB, &key, None);
        return Ok(Duration::from_secs(300));
    }
    let fdep = ctx
        .caches
        .flink_deployments
        .get(&ObjectRef::new(&job.spec.deployment_name).within(&namespace));
    let (cluster, call) = session_cluster(ctx, &namespace, fdep.as_deref());
    let settings = Settings::resolve_session_job(
        &job.spec,
        fdep.as_deref().map(|d| &d.spec),
        &shared.defaults,
    );
    let status = job.status.clone().unwrap_or_default();
    let (job_obs, trigger) = match (&call, cluster, status.job_status.job_id.as_deref()) {
        (Some(call), SessionCluster::Ready, Some(job_id)) => {
            let observed = observe::job(call, job_id).await;
            let trigger = match status.machine.operation.as_ref() {
                Some(op) => observe::trigger(call, job_id, op).await,
                None => None,
            };
            (observed, trigger)
        }
        _ => (JobObservation::NotAsked, None),
    };
    let submit_error = ctx.submit_error(&uid, status.job_status.job_id.as_deref());
    let obs = SessionJobObservation {
        submit_error,
        uid,
        generation,
        deleting,
        has_finalizer,
        settings,
        cluster,
        job: job_obs,
        trigger,
    };
    let decision = flink_lifecycle::session_job::step(&job.spec, &status, &obs, now());
    tracing::trace!(resource = %key, observation = ?obs, actions = ?decision.actions, "decided");

    let api: Api<FlinkSessionJob> = Api::namespaced(shared.client.clone(), &namespace);
    // `--fail-point` is for FlinkDeployments only (the crash-safety tests drive those).
    let mut current = write_status(ctx, &api, job, &key, &decision.status, None).await?;
    let mut requeue = Duration::from_secs(obs.settings.steady_interval_secs);
    for action in &decision.actions {
        let result = execute_one(ctx, job, &api, &mut current, call.as_ref(), action).await;
        count_action(ctx, action, &result);
        if let Some(after) = result? {
            requeue = after;
        }
    }
    forget_if_released(ctx, KIND_SESSION_JOB, &key, deleting, &decision.actions);
    Ok(requeue)
}

async fn execute_one(
    ctx: &Context,
    job: &FlinkSessionJob,
    api: &Api<FlinkSessionJob>,
    current: &mut FlinkSessionJob,
    call: Option<&Call>,
    action: &Action,
) -> Result<Option<Duration>> {
    let shared = &ctx.shared;
    let flink = || {
        call.ok_or_else(|| {
            Error::no_job_manager(format!(
                "reaching the session cluster {} of {}",
                job.spec.deployment_name,
                job.name_any()
            ))
        })
    };
    match action {
        Action::AddFinalizer | Action::RemoveFinalizer => {
            execute_finalizer(api, current, matches!(action, Action::AddFinalizer)).await?
        }
        Action::SubmitJob {
            job_id,
            jar_uri,
            entry_class,
            args,
            parallelism,
            restore,
            allow_non_restored_state,
            flink_configuration,
        } => {
            let uid = job.uid().unwrap_or_default();
            let submitted = execute::flink::submit(
                flink()?,
                &shared.http,
                &execute::flink::Submit {
                    job_id,
                    jar_uri,
                    entry_class: entry_class.as_deref(),
                    args,
                    parallelism: *parallelism,
                    restore: restore.as_ref(),
                    allow_non_restored_state: *allow_non_restored_state,
                    flink_configuration,
                },
            )
            .await;
            if let Err(e) = submitted {
                // The machine judges a failed submission (Degraded, Warning, slower retries):
                // it learns of it through the next observation.
                ctx.set_submit_error(&uid, job_id, Some(e.to_string()));
                return Err(e);
            }
            ctx.set_submit_error(&uid, job_id, None);
            tracing::info!(resource = %format!("{}/{}", job.namespace().unwrap_or_default(), job.name_any()), job_id = job_id.as_str(), "submitted the job");
        }
        Action::TriggerSavepoint {
            job_id,
            trigger_id,
            directory,
        } => execute::flink::trigger_savepoint(flink()?, job_id, trigger_id, directory).await?,
        Action::StopWithSavepoint {
            job_id,
            trigger_id,
            directory,
        } => execute::flink::stop_with_savepoint(flink()?, job_id, trigger_id, directory).await?,
        Action::TriggerCheckpoint { job_id, trigger_id } => {
            execute::flink::trigger_checkpoint(flink()?, job_id, trigger_id).await?
        }
        Action::CancelJob { job_id } => execute::flink::cancel(flink()?, job_id).await?,
        Action::RecordEvent {
            kind,
            reason,
            message,
        } => {
            shared
                .events
                .publish(&job.object_ref(&()), *kind, reason, message)
                .await?;
        }
        Action::ApplyCluster { .. } | Action::DeleteCluster => {
            // The session-job machine never emits these: a session job owns no cluster.
            tracing::warn!(
                action = action_name(action),
                "ignoring a cluster action for a FlinkSessionJob"
            );
        }
        Action::Requeue { after_secs } => return Ok(Some(Duration::from_secs(*after_secs))),
    }
    Ok(None)
}
