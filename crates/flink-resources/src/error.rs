//! Why a FlinkDeployment could not be turned into cluster objects (no IO).
//!
//! Every variant names the manifest field to fix, so the operator can put the message in
//! status and an Event as it is.

/// A FlinkDeployment that cannot be built into a cluster.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A memory or storage size is not in Flink's (`1024m`, `2g`) or Kubernetes' (`2Gi`) format.
    #[error("{field}: {value:?} is not a size such as 1024m, 2g or 2Gi ({reason})")]
    Memory {
        /// The field or configuration key, e.g. `spec.jobManager.resource.memory`.
        field: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A CPU amount is not a positive number.
    #[error("{field}: {value} is not a positive number of CPU cores")]
    Cpu {
        /// The field, e.g. `spec.taskManager.resource.cpu`.
        field: String,
        /// The value as written.
        value: f64,
    },
    /// A pod template is not a valid Kubernetes `PodTemplateSpec`.
    #[error("{field} is not a valid Kubernetes pod template: {source}")]
    PodTemplate {
        /// The field, e.g. `spec.jobManager.podTemplate`.
        field: String,
        /// Why it did not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A field the cluster cannot be built without is missing.
    #[error("{field} must be set: {why}")]
    Missing {
        /// The missing field, e.g. `spec.image`.
        field: String,
        /// Why it is needed.
        why: String,
    },
    /// A field has a value this operator cannot run.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, e.g. `spec.flinkVersion`.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A Flink configuration value cannot be written to the version's configuration file.
    #[error("spec.flinkConfiguration.{key}: {message}")]
    ConfigValue {
        /// The flat configuration key.
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
}

impl BuildError {
    /// The manifest field (or `spec.flinkConfiguration.<key>`) the error is about.
    pub fn field(&self) -> String {
        match self {
            BuildError::Memory { field, .. }
            | BuildError::Cpu { field, .. }
            | BuildError::PodTemplate { field, .. }
            | BuildError::Missing { field, .. }
            | BuildError::Invalid { field, .. } => field.clone(),
            BuildError::ConfigValue { key, .. } => format!("spec.flinkConfiguration.{key}"),
        }
    }
}
