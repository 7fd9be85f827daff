//! Jobs: overview, details with vertices, exceptions, config (no IO).

use serde::{Deserialize, Serialize};

use crate::{JobId, VertexId};

/// The state of a job as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Submitted, not yet scheduled.
    Initializing,
    /// Created, waiting for resources.
    Created,
    /// Running (its tasks may still be deploying: see [`JobDetails::all_vertices_running`]).
    Running,
    /// Failing, about to restart or fail.
    Failing,
    /// Failed for good.
    Failed,
    /// Being cancelled.
    Cancelling,
    /// Cancelled.
    Canceled,
    /// Finished (also after stop-with-savepoint).
    Finished,
    /// Restarting after a failure.
    Restarting,
    /// Suspended (its JobManager lost leadership).
    Suspended,
    /// Being reconciled after a JobManager fail-over.
    Reconciling,
    /// A state this crate does not know (a newer Flink).
    #[serde(other)]
    Unknown,
}

impl JobState {
    /// Whether the job can no longer change state (FINISHED, CANCELED, FAILED).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Finished | JobState::Canceled | JobState::Failed
        )
    }
}

/// The state of a vertex's (or task's) execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionState {
    /// Created.
    Created,
    /// Scheduled.
    Scheduled,
    /// Being deployed to a TaskManager.
    Deploying,
    /// Initializing (restoring state).
    Initializing,
    /// Running.
    Running,
    /// Finished.
    Finished,
    /// Being cancelled.
    Canceling,
    /// Cancelled.
    Canceled,
    /// Failed.
    Failed,
    /// Being reconciled.
    Reconciling,
    /// A state this crate does not know (a newer Flink).
    #[serde(other)]
    Unknown,
}

/// `GET /jobs/overview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobsOverview {
    /// Every job the cluster knows.
    pub jobs: Vec<JobOverview>,
}

/// One job in [`JobsOverview`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct JobOverview {
    /// Its id.
    pub jid: JobId,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: JobState,
    /// Start (epoch milliseconds).
    #[serde(default)]
    pub start_time: Option<i64>,
    /// End (epoch milliseconds; -1 while running).
    #[serde(default)]
    pub end_time: Option<i64>,
    /// The application it belongs to (Flink 2.3 and later; `application-id`).
    #[serde(default, alias = "applicationId")]
    pub application_id: Option<String>,
}

/// `GET /jobs/:jid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct JobDetails {
    /// Its id.
    pub jid: JobId,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: JobState,
    /// Start (epoch milliseconds).
    #[serde(default)]
    pub start_time: Option<i64>,
    /// End (epoch milliseconds; -1 while running).
    #[serde(default)]
    pub end_time: Option<i64>,
    /// The vertices of its job graph.
    pub vertices: Vec<JobVertex>,
    /// The application it belongs to (Flink 2.3 and later; `application-id`).
    #[serde(default, alias = "applicationId")]
    pub application_id: Option<String>,
}

impl JobDetails {
    /// Whether the job is RUNNING and so is every vertex. A job is RUNNING before its tasks
    /// are; savepoints need the tasks.
    pub fn all_vertices_running(&self) -> bool {
        self.state == JobState::Running
            && !self.vertices.is_empty()
            && self
                .vertices
                .iter()
                .all(|v| v.status == ExecutionState::Running)
    }

    /// The vertex whose name contains `name` (operator chains join names with ` -> `).
    pub fn vertex_named(&self, name: &str) -> Option<&JobVertex> {
        self.vertices.iter().find(|v| v.name.contains(name))
    }
}

/// A vertex (a chain of operators) of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct JobVertex {
    /// Its id.
    pub id: VertexId,
    /// Its name (the chained operators' names).
    pub name: String,
    /// Its parallelism.
    pub parallelism: u32,
    /// Its maximum parallelism (the number of key groups).
    #[serde(default, rename = "maxParallelism")]
    pub max_parallelism: Option<u32>,
    /// Its state.
    pub status: ExecutionState,
}

/// `GET /jobs/:jid/exceptions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobExceptions {
    /// The failures of the job, newest first.
    #[serde(default)]
    pub exception_history: ExceptionHistory,
    /// The latest root exception (1.x only; gone in 2.x, where the history has it).
    #[serde(default, rename = "root-exception")]
    pub root_exception: Option<String>,
}

impl JobExceptions {
    /// The newest failure's stack trace, from either shape.
    pub fn latest(&self) -> Option<&str> {
        self.exception_history
            .entries
            .first()
            .map(|e| e.stacktrace.as_str())
            .or(self.root_exception.as_deref())
    }
}

/// The exception history of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExceptionHistory {
    /// Failures, newest first.
    #[serde(default)]
    pub entries: Vec<ExceptionHistoryEntry>,
    /// Whether older entries were left out.
    #[serde(default)]
    pub truncated: bool,
}

/// One failure of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionHistoryEntry {
    /// The exception's class.
    pub exception_name: String,
    /// Its stack trace.
    pub stacktrace: String,
    /// When it happened (epoch milliseconds).
    pub timestamp: i64,
    /// The failed task, if a task failed.
    #[serde(default)]
    pub task_name: Option<String>,
}

/// `GET /jobs/:jid/config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobConfig {
    /// The job's id.
    pub jid: JobId,
    /// The job's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The execution config as Flink reports it (its fields vary by version).
    #[serde(default, rename = "execution-config")]
    pub execution_config: Option<serde_json::Value>,
}
