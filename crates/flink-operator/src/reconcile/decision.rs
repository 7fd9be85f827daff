//! What every reconciler does with the lifecycle machine's decision: write the status first,
//! then execute the actions in order, counting both (does IO: the status and finalizer
//! writes; the other actions' calls are each reconciler's).

use std::fmt::Debug;

use flink_crd::status::Phase;
use flink_crd::{FlinkDeployment, FlinkDeploymentStatus, FlinkSessionJob, FlinkSessionJobStatus};
use flink_lifecycle::Action;
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::metrics::{ActionLabels, KindLabels};
use crate::persist;
use crate::reconcile::{KIND_DEPLOYMENT, KIND_SESSION_JOB, action_name};

/// A kind the lifecycle machine decides for, as the shared steps see it: its metric label and
/// the two status fields they log.
pub trait Decided: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug {
    /// The type of its status subresource.
    type Status: PartialEq + Serialize;
    /// Its `kind` label in metrics.
    const KIND: &'static str;
    /// The status stored on the object, if any.
    fn stored_status(&self) -> Option<&Self::Status>;
    /// The lifecycle phase a status names.
    fn phase(status: &Self::Status) -> Option<Phase>;
    /// What the machine waits for in a status, if anything.
    fn waiting_for(status: &Self::Status) -> Option<&str>;
}

/// Both kinds keep the phase and the machine's bookkeeping in the same status fields.
macro_rules! decided {
    ($kind:ty, $status:ty, $label:expr) => {
        impl Decided for $kind {
            type Status = $status;
            const KIND: &'static str = $label;
            fn stored_status(&self) -> Option<&Self::Status> {
                self.status.as_ref()
            }
            fn phase(status: &Self::Status) -> Option<Phase> {
                status.phase
            }
            fn waiting_for(status: &Self::Status) -> Option<&str> {
                status.machine.waiting_for.as_deref()
            }
        }
    };
}
decided!(FlinkDeployment, FlinkDeploymentStatus, KIND_DEPLOYMENT);
decided!(FlinkSessionJob, FlinkSessionJobStatus, KIND_SESSION_JOB);

/// Writes the decided status when it differs from the stored one and publishes its phase;
/// returns the object as it now stands. Callers run it before any action, so a crash between
/// the two leaves a status the next reconcile can redo the actions from.
///
/// `fail_point` is the `--fail-point before-status-write:<Phase>` phase: the process aborts
/// right before the write that moves the object into it.
pub async fn write_status<K: Decided>(
    ctx: &Context,
    api: &Api<K>,
    obj: &K,
    key: &str,
    decided: &K::Status,
    fail_point: Option<&str>,
) -> Result<K> {
    let metrics = &ctx.shared.metrics;
    let labels = KindLabels { kind: K::KIND };
    let stored = obj.stored_status();
    let from = stored.and_then(K::phase);
    let to = K::phase(decided);
    let current = if stored != Some(decided) {
        if let Some(phase) = fail_point
            && to != from
            && to.map(|p| format!("{p:?}")).as_deref() == Some(phase)
        {
            tracing::error!(resource = %key, phase = %phase, "fail point: aborting before the status write");
            std::process::abort();
        }
        let rv = obj
            .resource_version()
            .ok_or(Error::Incomplete("resourceVersion"))?;
        let written = persist::status(api, obj, &rv, decided).await?;
        metrics.status_writes.get_or_create(&labels).inc();
        if to != from {
            tracing::info!(
                resource = %key,
                from = ?from,
                to = ?to,
                waiting_for = K::waiting_for(decided).unwrap_or(""),
                "phase"
            );
        }
        written
    } else {
        metrics.status_unchanged.get_or_create(&labels).inc();
        obj.clone()
    };
    let phase = to
        .map(|p| format!("{p:?}"))
        .unwrap_or_else(|| "Unknown".into());
    metrics.set_phase(K::KIND, key, Some(phase));
    Ok(current)
}

/// Counts one executed action by its outcome. The closing `Requeue` is no call to the world
/// and is not counted.
///
/// The loop over the actions stays with each reconciler: a shared one taking an async closure
/// over the reconcile's borrows makes the controller's future not provably `Send`, and one
/// taking a per-kind executor trait costs more lines than the seven-line loop it saves.
pub fn count_action<T>(ctx: &Context, action: &Action, result: &Result<T>) {
    if matches!(action, Action::Requeue { .. }) {
        return;
    }
    ctx.shared
        .metrics
        .actions
        .get_or_create(&ActionLabels {
            action: action_name(action),
            outcome: if result.is_ok() { "ok" } else { "error" },
        })
        .inc();
}

/// Executes `AddFinalizer` (`add`) or `RemoveFinalizer` on the object as it now stands, and
/// keeps the written object for the actions after it (an object already gone stays as it was).
pub async fn execute_finalizer<K: Decided>(api: &Api<K>, current: &mut K, add: bool) -> Result<()> {
    let rv = current
        .resource_version()
        .ok_or(Error::Incomplete("resourceVersion"))?;
    if let Some(updated) = persist::finalizer(api, current, &rv, add).await? {
        *current = updated;
    }
    Ok(())
}

/// Drops the phase gauge of a resource whose finalizer these actions removed: Kubernetes
/// deletes it now, so no later reconcile would.
pub fn forget_if_released(
    ctx: &Context,
    kind: &'static str,
    key: &str,
    deleting: bool,
    actions: &[Action],
) {
    if deleting && actions.iter().any(|a| matches!(a, Action::RemoveFinalizer)) {
        ctx.shared.metrics.set_phase(kind, key, None);
    }
}
