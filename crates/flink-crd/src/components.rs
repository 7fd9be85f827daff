//! JobManager and TaskManager settings: resources, replicas, per-component pod templates (no IO).

use k8s_openapi::api::core::v1::ResourceRequirements;
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::PodTemplate;

/// Memory sizes: Flink's format (`2048m`, `2g`, `1024 mb`) or Kubernetes' (`2Gi`, `512Mi`).
pub(crate) const MEMORY_RULE: &str =
    r"self.matches('^[0-9]+(\\.[0-9]+)?\\s*([kKmMgGtT]([iI]|[bB])?|[kKmMgGtT]?[bB]ytes?|[bB])?$')";

/// CPU, memory and disk of one component, in the Apache operator's short form. When
/// `resources` is also given, `resources` wins for what it sets.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// CPU cores per pod (e.g. `1`, `0.5`); becomes the container's CPU request and limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self > 0.0").message("resource.cpu must be greater than 0"))]
    pub cpu: Option<f64>,
    /// Memory per pod, in Flink's format (`2048m`, `2g`) or Kubernetes' (`2Gi`); becomes
    /// Flink's total process memory and the container's memory request and limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new(MEMORY_RULE).message("resource.memory must be a size such as 2048m, 2g or 2Gi"))]
    pub memory: Option<String>,
    /// Ephemeral storage per pod (e.g. `1Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new(MEMORY_RULE).message("resource.ephemeralStorage must be a size such as 1g or 1Gi"))]
    pub ephemeral_storage: Option<String>,
}

/// The JobManager: one pod (a Deployment) per cluster unless high availability is configured.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobManagerSpec {
    /// CPU, memory and disk in the short form (`cpu`, `memory`, `ephemeralStorage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Kubernetes resource requests and limits of the Flink container; wins over `resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Number of JobManager replicas (more than 1 needs high availability). Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1").message("jobManager.replicas must be at least 1"))]
    pub replicas: Option<i32>,
    /// Pod template for JobManager pods, merged over the deployment-wide `podTemplate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<PodTemplate>,
}

/// The TaskManagers: a Deployment whose pods run the job's tasks.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskManagerSpec {
    /// CPU, memory and disk in the short form (`cpu`, `memory`, `ephemeralStorage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Kubernetes resource requests and limits of the Flink container; wins over `resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Number of TaskManager pods. Default: enough slots for the job's parallelism
    /// (`ceil(parallelism / taskmanager.numberOfTaskSlots)`), or 1 for a session cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1").message("taskManager.replicas must be at least 1"))]
    pub replicas: Option<i32>,
    /// Pod template for TaskManager pods, merged over the deployment-wide `podTemplate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<PodTemplate>,
}
