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
use crate::reconcile::{KIND_DEPLOYMENT, action_name, now};
use crate::{observe, persist};

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
    let mut current = fdep.clone();
    if fdep.status.as_ref() != Some(&decision.status) {
        if let Some(phase) = &shared.abort_before_phase
            && decision.status.phase != status.phase
            && decision.status.phase.map(|p| format!("{p:?}")).as_deref() == Some(phase.as_str())
        {
            tracing::error!(resource = %key, phase = %phase, "fail point: aborting before the status write");
            std::process::abort();
        }
        let rv = fdep
            .resource_version()
            .ok_or(Error::Incomplete("resourceVersion"))?;
        current = persist::status(&api, fdep, &rv, &decision.status).await?;
        shared
            .metrics
            .status_writes
            .get_or_create(&crate::metrics::KindLabels {
                kind: KIND_DEPLOYMENT,
            })
            .inc();
        if decision.status.phase != status.phase {
            tracing::info!(
                resource = %key,
                from = ?status.phase,
                to = ?decision.status.phase,
                waiting_for = decision.status.machine.waiting_for.as_deref().unwrap_or(""),
                "phase"
            );
        }
    } else {
        shared
            .metrics
            .status_unchanged
            .get_or_create(&crate::metrics::KindLabels {
                kind: KIND_DEPLOYMENT,
            })
            .inc();
    }
    shared.metrics.set_phase(
        KIND_DEPLOYMENT,
        &key,
        Some(
            decision
                .status
                .phase
                .map(|p| format!("{p:?}"))
                .unwrap_or_else(|| "Unknown".into()),
        ),
    );

    let mut requeue = Duration::from_secs(obs.settings.steady_interval_secs);
    for action in &decision.actions {
        let kind = action_name(action);
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
        let outcome = if result.is_ok() { "ok" } else { "error" };
        if !matches!(action, Action::Requeue { .. }) {
            shared
                .metrics
                .actions
                .get_or_create(&crate::metrics::ActionLabels {
                    action: kind,
                    outcome,
                })
                .inc();
        }
        match result {
            Ok(Some(after)) => requeue = after,
            Ok(None) => {}
            Err(e) => return Err(e),
        }
    }
    if deleting
        && decision
            .actions
            .iter()
            .any(|a| matches!(a, Action::RemoveFinalizer))
    {
        shared.metrics.set_phase(KIND_DEPLOYMENT, &key, None);
    }
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
            .ok_or_else(|| Error::Flink {
                what: format!("reaching the JobManager of {name}"),
                source: flink_rest::Error::InvalidUrl {
                    url: String::new(),
                    reason: "no JobManager pod has an address".into(),
                },
            })?;
        shared
            .flink
            .client(&url)
            .map_err(Error::flink("creating a Flink client"))
    };
    match action {
        Action::AddFinalizer | Action::RemoveFinalizer => {
            let add = matches!(action, Action::AddFinalizer);
            let rv = current
                .resource_version()
                .ok_or(Error::Incomplete("resourceVersion"))?;
            if let Some(updated) = persist::finalizer(api, current, &rv, add).await? {
                *current = updated;
            }
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
