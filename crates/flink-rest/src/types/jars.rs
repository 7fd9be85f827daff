//! Jar upload, listing and run (no IO).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{JarId, JobId};

/// `POST /jars/upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JarUploadResponse {
    /// Where Flink stored the jar; its file name is the jar id.
    pub filename: String,
    /// `success`.
    pub status: String,
}

impl JarUploadResponse {
    /// The id to run or delete the jar with (the stored file's name).
    pub fn jar_id(&self) -> JarId {
        JarId(
            self.filename
                .rsplit('/')
                .next()
                .unwrap_or(&self.filename)
                .to_string(),
        )
    }
}

/// `GET /jars`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JarList {
    /// The uploaded jars.
    pub files: Vec<JarFile>,
}

/// One uploaded jar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JarFile {
    /// Its id.
    pub id: JarId,
    /// Its original file name.
    pub name: String,
    /// When it was uploaded (epoch milliseconds).
    #[serde(default)]
    pub uploaded: Option<i64>,
    /// The entry classes Flink found in its manifest.
    #[serde(default)]
    pub entry: Vec<JarEntryPoint>,
}

/// An entry class of a jar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JarEntryPoint {
    /// The class name.
    pub name: String,
    /// Its description, if any.
    #[serde(default)]
    pub description: Option<String>,
}

/// What Flink may do with the savepoint a job is restored from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimMode {
    /// Flink owns the snapshot and may delete it later.
    Claim,
    /// Flink does not own the snapshot; the first checkpoint is a full one.
    NoClaim,
}

/// `POST /jars/:jarid/run` body. Only `programArgsList` is sent for arguments (Flink 2.x
/// ignores the plain `programArgs` string), and the claim mode is sent both as `claimMode`
/// and under its deprecated name `restoreMode`, which 1.20 and 2.x both read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JarRunRequest {
    /// The main class (default: the jar manifest's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    /// Program arguments, one string each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub program_args_list: Vec<String>,
    /// Parallelism (default: the cluster's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// A fixed job id; submitting the same id twice is refused, which makes runs idempotent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// A savepoint or retained checkpoint to restore from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoint_path: Option<String>,
    /// Whether state of operators the job no longer has may be dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_non_restored_state: Option<bool>,
    /// What Flink may do with the restored snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_mode: Option<ClaimMode>,
    /// The same as `claim_mode`, under the name Flink before 1.20 used; filled in by
    /// [`JarRunRequest::claim_mode`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_mode: Option<ClaimMode>,
    /// Job-level Flink configuration (`flinkConfiguration`, read by 1.20 and 2.x); it
    /// overrides the cluster's configuration for this job only.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub flink_configuration: BTreeMap<String, String>,
}

impl JarRunRequest {
    /// An empty request (the jar's main class, no arguments).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the entry class.
    pub fn entry_class(mut self, class: impl Into<String>) -> Self {
        self.entry_class = Some(class.into());
        self
    }

    /// Sets the program arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.program_args_list = args.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the parallelism.
    pub fn parallelism(mut self, parallelism: u32) -> Self {
        self.parallelism = Some(parallelism);
        self
    }

    /// Sets job-level Flink configuration entries.
    pub fn flink_configuration<I, K, V>(mut self, entries: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.flink_configuration = entries
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Sets a fixed job id.
    pub fn job_id(mut self, id: JobId) -> Self {
        self.job_id = Some(id);
        self
    }

    /// Restores from `path` with `mode`.
    pub fn restore_from(mut self, path: impl Into<String>, mode: ClaimMode) -> Self {
        self.savepoint_path = Some(path.into());
        self.claim_mode(mode)
    }

    /// Sets the claim mode (sent under both names).
    pub fn claim_mode(mut self, mode: ClaimMode) -> Self {
        self.claim_mode = Some(mode);
        self.restore_mode = Some(mode);
        self
    }

    /// Allows dropping state of operators the job no longer has.
    pub fn allow_non_restored_state(mut self, allow: bool) -> Self {
        self.allow_non_restored_state = Some(allow);
        self
    }
}

/// `POST /jars/:jarid/run` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JarRunResponse {
    /// The submitted job's id.
    pub jobid: JobId,
    /// The application the job belongs to (Flink 2.3 and later).
    #[serde(default)]
    pub application_id: Option<String>,
}
