//! The job part of a FlinkDeployment or FlinkSessionJob (no IO).

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// URI schemes a job jar may be fetched from.
pub const JAR_URI_SCHEMES: &[&str] = &[
    "local", "file", "http", "https", "s3", "s3a", "s3p", "gs", "abfs", "abfss", "wasb", "wasbs",
    "hdfs", "oss",
];

/// What the operator does with the job's state when it must stop the job for an upgrade,
/// a restart or a suspend.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradeMode {
    /// Stop without state: the new job starts from empty state (or `initialSavepointPath`).
    #[default]
    Stateless,
    /// Stop with a savepoint and start the new job from it. The savepoint's location is
    /// recorded in status before the old job stops. Needs a savepoint directory.
    Savepoint,
    /// Start the new job from the latest completed checkpoint (or a newer savepoint), without
    /// taking a savepoint first. Needs a checkpoint directory.
    LastState,
}

/// Whether the job should run.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    /// The job runs.
    #[default]
    Running,
    /// The job is stopped (with a savepoint unless `upgradeMode` is stateless) and, for an
    /// application cluster, the cluster is deleted. Setting `running` again resumes it from
    /// the recorded savepoint.
    Suspended,
}

/// What happens to a running job when its resource is deleted (our extension; Lyft's
/// operator had it, Apache's does not).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeleteMode {
    /// Take a final savepoint (recorded in an Event and the log) before deleting the
    /// cluster. If it fails within the savepoint timeout the delete goes on and says so.
    Savepoint,
    /// Cancel the job without a savepoint, then delete the cluster.
    Cancel,
    /// Delete the cluster without touching the job first.
    None,
}

/// A Flink job: which jar and class to run, with what arguments, and how its state is kept
/// across upgrades.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.initialSavepointPath) || self.initialSavepointPath != ''").message("job.initialSavepointPath must not be empty when set"))]
pub struct JobSpec {
    /// URI of the job jar. `local://` is a path inside the image (e.g.
    /// `local:///opt/flink/usrlib/job.jar`); `http(s)://`, `s3://` and other Flink file
    /// systems are fetched for session jobs.
    #[serde(default, rename = "jarURI", skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^(local|file|https?|s3|s3a|s3p|gs|abfss?|wasbs?|hdfs|oss)://.+')").message("job.jarURI must be a URI with one of the schemes local, file, http, https, s3, s3a, s3p, gs, abfs, abfss, wasb, wasbs, hdfs, oss (e.g. local:///opt/flink/usrlib/job.jar)"))]
    pub jar_uri: Option<String>,
    /// Parallelism of the job. Default: `parallelism.default` from the configuration, else 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1").message("job.parallelism must be at least 1"))]
    pub parallelism: Option<i32>,
    /// Fully qualified main class; default: the jar manifest's `Main-Class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    /// Arguments passed to the main class.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Desired state: `running` or `suspended`. Default `running`.
    #[serde(default)]
    pub state: JobState,
    /// Change this number to take a savepoint now (a manual savepoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_trigger_nonce: Option<i64>,
    /// Savepoint to start from on first deploy (or after `savepointRedeployNonce` changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_savepoint_path: Option<String>,
    /// Change this number to take a checkpoint now (a manual checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_trigger_nonce: Option<i64>,
    /// How state is carried across upgrades: `stateless`, `savepoint` or `last-state`.
    /// Default `stateless`.
    #[serde(default)]
    pub upgrade_mode: UpgradeMode,
    /// Allow starting from a savepoint that has state for operators the new job lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_non_restored_state: Option<bool>,
    /// Change this number together with `initialSavepointPath` to redeploy the job from
    /// that savepoint, dropping the current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_redeploy_nonce: Option<i64>,
    /// What happens to the job when the resource is deleted: `savepoint`, `cancel` or
    /// `none` (our extension). Default: `savepoint` for upgradeMode savepoint and
    /// last-state, `cancel` for stateless.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_mode: Option<DeleteMode>,
}

impl JobSpec {
    /// The delete mode in force, with the documented default.
    pub fn effective_delete_mode(&self) -> DeleteMode {
        self.delete_mode.unwrap_or(match self.upgrade_mode {
            UpgradeMode::Stateless => DeleteMode::Cancel,
            UpgradeMode::Savepoint | UpgradeMode::LastState => DeleteMode::Savepoint,
        })
    }
}
