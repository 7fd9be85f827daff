//! Kubernetes facts about one cluster, from cached objects (no IO): which objects exist,
//! their spec-hash label, Deployment readiness, failing pods, JobManager restarts.
//!
//! Facts only. Whether a reason is fatal, or a restart count means the job was lost, is the
//! lifecycle machine's judgement.

use flink_lifecycle::{ClusterObservation, Component, PodFailure};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use crate::caches::ClusterObjects;
use crate::labels::{self, COMPONENT, JOB_MANAGER, SPEC_HASH, TASK_MANAGER};

/// Waiting reasons of a container that is merely on its way.
const STARTING_REASONS: &[&str] = &["ContainerCreating", "PodInitializing"];

/// Maps the cached objects of cluster `name` to the machine's [`ClusterObservation`].
pub fn observe(name: &str, objects: &ClusterObjects) -> ClusterObservation {
    let names = labels::names(name);
    let deployment = |n: &str| {
        objects
            .deployments
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(n))
    };
    let jm = deployment(&names.job_manager);
    let tm = deployment(&names.task_manager);
    let exists = !objects.deployments.is_empty()
        || !objects.services.is_empty()
        || !objects.config_maps.is_empty()
        || !objects.ingresses.is_empty();
    let hash_of = |l: Option<&std::collections::BTreeMap<String, String>>| {
        l.and_then(|l| l.get(SPEC_HASH)).cloned()
    };
    let spec_hash = jm
        .and_then(|d| hash_of(d.metadata.labels.as_ref()))
        .or_else(|| tm.and_then(|d| hash_of(d.metadata.labels.as_ref())))
        .or_else(|| {
            objects
                .config_maps
                .iter()
                .find_map(|c| hash_of(c.metadata.labels.as_ref()))
        });
    let live: Vec<&Pod> = objects
        .pods
        .iter()
        .map(AsRef::as_ref)
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect();
    let job_manager_restarts = live
        .iter()
        .filter(|p| component_of(p) == Some(JOB_MANAGER))
        .filter_map(|p| main_container(p).map(|c| c.restart_count.max(0) as u32))
        .max()
        .unwrap_or(0);
    ClusterObservation {
        exists,
        spec_hash,
        job_manager: readiness(jm.map(AsRef::as_ref)),
        task_manager: readiness(tm.map(AsRef::as_ref)),
        pod_failure: pod_failure(&live),
        job_manager_restarts,
    }
}

fn component_of(p: &Pod) -> Option<&str> {
    p.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(COMPONENT))
        .map(String::as_str)
}

fn main_container(p: &Pod) -> Option<&ContainerStatus> {
    let statuses = p.status.as_ref()?.container_statuses.as_ref()?;
    statuses
        .iter()
        .find(|c| c.name == flink_crd::MAIN_CONTAINER_NAME)
        .or_else(|| statuses.first())
}

/// A Deployment is ready when its controller has seen its newest spec and every wanted
/// replica is updated and ready, with no old replicas left.
fn readiness(d: Option<&Deployment>) -> Component {
    let Some(d) = d else {
        return Component::Missing;
    };
    let wanted = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let Some(st) = d.status.as_ref() else {
        return Component::Starting;
    };
    let seen = st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
    let ready = st.ready_replicas.unwrap_or(0);
    let updated = st.updated_replicas.unwrap_or(0);
    let total = st.replicas.unwrap_or(0);
    if d.metadata.deletion_timestamp.is_none()
        && seen
        && ready >= wanted
        && updated >= wanted
        && total <= wanted
    {
        Component::Ready
    } else {
        Component::Starting
    }
}

/// The first container (JobManager pods first, main container first) that waits for a
/// reason other than starting up, or whose last run ended in an error.
fn pod_failure(pods: &[&Pod]) -> Option<PodFailure> {
    let mut ordered: Vec<&&Pod> = pods.iter().collect();
    ordered.sort_by_key(|p| {
        (
            match component_of(p) {
                Some(JOB_MANAGER) => 0,
                Some(TASK_MANAGER) => 1,
                _ => 2,
            },
            p.metadata.name.clone(),
        )
    });
    for pod in ordered {
        let Some(status) = pod.status.as_ref() else {
            continue;
        };
        let containers = status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten());
        for c in containers {
            let Some(state) = c.state.as_ref() else {
                continue;
            };
            if let Some(w) = &state.waiting
                && let Some(reason) = w.reason.as_deref()
                && !STARTING_REASONS.contains(&reason)
            {
                let last = c
                    .last_state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .map(|t| {
                        let why = t.reason.clone().unwrap_or_default();
                        let msg = t.message.clone().unwrap_or_default();
                        format!("last exit code {} {why} {msg}", t.exit_code)
                            .trim()
                            .to_string()
                    });
                let message = [w.message.clone(), last]
                    .into_iter()
                    .flatten()
                    .filter(|m| !m.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Some(PodFailure {
                    reason: reason.to_string(),
                    message: format!(
                        "pod {} container {}: {message}",
                        pod.metadata.name.as_deref().unwrap_or("?"),
                        c.name
                    )
                    .trim_end_matches([' ', ':'])
                    .to_string(),
                });
            }
            if let Some(t) = &state.terminated
                && t.exit_code != 0
            {
                return Some(PodFailure {
                    reason: t.reason.clone().unwrap_or_else(|| "Error".to_string()),
                    message: format!(
                        "pod {} container {} exited with code {}{}",
                        pod.metadata.name.as_deref().unwrap_or("?"),
                        c.name,
                        t.exit_code,
                        t.message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                });
            }
        }
    }
    None
}
