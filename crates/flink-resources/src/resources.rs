//! CPU and memory of the JobManager and TaskManager containers, and replica counts (no IO).
//!
//! `resource` (the Apache short form) sets requests and limits alike; `resources` (Kubernetes
//! form) wins for every key it sets. The memory that sizes the container also sizes Flink
//! (`*.memory.process.size`), so the JVM fits its container.

use std::collections::BTreeMap;

use flink_crd::{FlinkDeploymentSpec, Resource};
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::config::{DEFAULT_PARALLELISM, JM_PROCESS_MEMORY, TASK_SLOTS, TM_PROCESS_MEMORY};
use crate::error::BuildError;
use crate::memory;

/// A Flink process kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// The JobManager.
    JobManager,
    /// A TaskManager.
    TaskManager,
}

impl Component {
    /// The spec field of this component (`jobManager` / `taskManager`).
    pub fn field(self) -> &'static str {
        match self {
            Component::JobManager => "spec.jobManager",
            Component::TaskManager => "spec.taskManager",
        }
    }

    /// The `component` label value.
    pub fn label(self) -> &'static str {
        match self {
            Component::JobManager => crate::labels::JOB_MANAGER,
            Component::TaskManager => crate::labels::TASK_MANAGER,
        }
    }

    /// Flink's total process memory key of this component.
    pub fn process_memory_key(self) -> &'static str {
        match self {
            Component::JobManager => JM_PROCESS_MEMORY,
            Component::TaskManager => TM_PROCESS_MEMORY,
        }
    }

    fn limit_factor_key(self, resource: &str) -> String {
        format!("kubernetes.{}.{resource}.limit-factor", self.label())
    }

    fn parts(
        self,
        spec: &FlinkDeploymentSpec,
    ) -> (Option<&Resource>, Option<&ResourceRequirements>) {
        match self {
            Component::JobManager => spec.job_manager.as_ref().map_or((None, None), |c| {
                (c.resource.as_ref(), c.resources.as_ref())
            }),
            Component::TaskManager => spec.task_manager.as_ref().map_or((None, None), |c| {
                (c.resource.as_ref(), c.resources.as_ref())
            }),
        }
    }
}

/// The memory the spec fields give a component (`resources` request, then limit, then
/// `resource.memory`), in bytes.
pub(crate) fn spec_memory_bytes(
    spec: &FlinkDeploymentSpec,
    component: Component,
) -> Result<Option<u64>, BuildError> {
    let (resource, resources) = component.parts(spec);
    if let Some(reqs) = resources {
        for (part, map) in [("requests", &reqs.requests), ("limits", &reqs.limits)] {
            if let Some(q) = map.as_ref().and_then(|m| m.get("memory")) {
                let field = format!("{}.resources.{part}.memory", component.field());
                return memory::quantity_bytes(q)
                    .map(Some)
                    .map_err(|reason| BuildError::Memory {
                        field,
                        value: q.0.clone(),
                        reason,
                    });
            }
        }
    }
    match resource.and_then(|r| r.memory.as_deref()) {
        Some(text) => memory::parse_bytes(text)
            .map(Some)
            .map_err(|reason| BuildError::Memory {
                field: format!("{}.resource.memory", component.field()),
                value: text.to_string(),
                reason,
            }),
        None => Ok(None),
    }
}

/// The container's resource requirements: the pod template's (`base`) under `resource` under
/// `resources`; memory falls back to Flink's process size in `conf`.
pub(crate) fn requirements(
    spec: &FlinkDeploymentSpec,
    component: Component,
    conf: &BTreeMap<String, String>,
    base: Option<ResourceRequirements>,
) -> Result<ResourceRequirements, BuildError> {
    let (resource, resources) = component.parts(spec);
    let mut requests = base
        .as_ref()
        .and_then(|b| b.requests.clone())
        .unwrap_or_default();
    let mut limits = base
        .as_ref()
        .and_then(|b| b.limits.clone())
        .unwrap_or_default();
    let factor = |kind: &str| -> Result<f64, BuildError> {
        let key = component.limit_factor_key(kind);
        match conf.get(&key) {
            None => Ok(1.0),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f >= 1.0)
                .ok_or_else(|| BuildError::ConfigValue {
                    key,
                    message: format!("{v:?} is not a limit factor (a number ≥ 1.0)"),
                }),
        }
    };

    // Memory: the spec's, else the configured process size (default or user's).
    let key = component.process_memory_key();
    if let Some(text) = conf.get(key) {
        let bytes = memory::parse_bytes(text).map_err(|reason| BuildError::Memory {
            field: format!("spec.flinkConfiguration.{key}"),
            value: text.clone(),
            reason,
        })?;
        let mem_factor = factor("memory")?;
        requests.insert("memory".into(), memory::quantity(bytes));
        limits.insert("memory".into(), memory::quantity(scale(bytes, mem_factor)));
    }
    if let Some(r) = resource {
        if let Some(cores) = r.cpu {
            let field = format!("{}.resource.cpu", component.field());
            let request = memory::cpu_quantity(cores).ok_or_else(|| BuildError::Cpu {
                field: field.clone(),
                value: cores,
            })?;
            let limit = memory::cpu_quantity(cores * factor("cpu")?).ok_or(BuildError::Cpu {
                field,
                value: cores,
            })?;
            requests.insert("cpu".into(), request);
            limits.insert("cpu".into(), limit);
        }
        if let Some(text) = r.ephemeral_storage.as_deref() {
            let bytes = memory::parse_bytes(text).map_err(|reason| BuildError::Memory {
                field: format!("{}.resource.ephemeralStorage", component.field()),
                value: text.to_string(),
                reason,
            })?;
            requests.insert("ephemeral-storage".into(), memory::quantity(bytes));
            limits.insert("ephemeral-storage".into(), memory::quantity(bytes));
        }
    }
    if let Some(reqs) = resources {
        requests.extend(reqs.requests.clone().unwrap_or_default());
        limits.extend(reqs.limits.clone().unwrap_or_default());
        // A limit below an inherited request would be refused by the apiserver; a request
        // the user did not set follows the user's limit, as Kubernetes defaults it.
        if let Some(user_limits) = &reqs.limits {
            for (k, v) in user_limits {
                let user_set_request = reqs.requests.as_ref().is_some_and(|r| r.contains_key(k));
                if !user_set_request && below(v, requests.get(k)) {
                    requests.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Ok(ResourceRequirements {
        requests: (!requests.is_empty()).then_some(requests),
        limits: (!limits.is_empty()).then_some(limits),
        ..base.unwrap_or_default()
    })
}

/// Whether quantity `limit` is below `request` (memory or CPU; unknown forms compare as not).
fn below(limit: &Quantity, request: Option<&Quantity>) -> bool {
    let Some(request) = request else { return false };
    match (
        memory::quantity_bytes(limit),
        memory::quantity_bytes(request),
    ) {
        (Ok(l), Ok(r)) => l < r,
        _ => match (
            memory::quantity_cores(limit),
            memory::quantity_cores(request),
        ) {
            (Some(l), Some(r)) => l < r,
            _ => false,
        },
    }
}

fn scale(bytes: u64, factor: f64) -> u64 {
    if factor <= 1.0 {
        return bytes;
    }
    // Sizes are far below 2^53, so the float round trip is exact enough; round up to a MiB.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let scaled = (bytes as f64 * factor).ceil() as u64;
    scaled.div_ceil(1 << 20) * (1 << 20)
}

/// Number of JobManager replicas: `jobManager.replicas`, default 1.
pub fn job_manager_replicas(spec: &FlinkDeploymentSpec) -> i32 {
    spec.job_manager
        .as_ref()
        .and_then(|j| j.replicas)
        .unwrap_or(1)
        .max(1)
}

/// Number of TaskManager replicas: `taskManager.replicas`, else enough slots for the job's
/// parallelism (`ceil(parallelism / taskmanager.numberOfTaskSlots)`, as the Apache operator
/// computes it), else 1 (a session cluster).
pub fn task_manager_replicas(spec: &FlinkDeploymentSpec, conf: &BTreeMap<String, String>) -> i32 {
    if let Some(r) = spec.task_manager.as_ref().and_then(|t| t.replicas) {
        return r.max(1);
    }
    if spec.job.is_none() {
        return 1;
    }
    let read = |key: &str| {
        conf.get(key)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|n| *n >= 1)
    };
    let parallelism = read(DEFAULT_PARALLELISM).unwrap_or(1).unsigned_abs();
    let slots = read(TASK_SLOTS).unwrap_or(1).unsigned_abs();
    i32::try_from(parallelism.div_ceil(slots))
        .unwrap_or(i32::MAX)
        .max(1)
}
