//! The request and response bodies of the Flink REST API (no IO).
//!
//! Responses ignore fields they do not know (newer Flink versions add some) and require the
//! fields this crate relies on; fields that differ between 1.20 and 2.x are `Option`s.

pub(crate) mod async_op;
mod checkpoints;
mod cluster;
mod jars;
mod jobs;
mod metrics;

pub use async_op::{CheckpointType, FailureCause, OperationStatus, SavepointFormat};
pub use checkpoints::{
    CheckpointConfig, CheckpointCounts, CheckpointingStatistics, CompletedCheckpoint,
    FailedCheckpoint, LatestCheckpoints, RestoredCheckpoint,
};
pub use cluster::{ClusterOverview, ConfigEntry, DashboardConfig, TaskManagerInfo, TaskManagers};
pub use jars::{
    ClaimMode, JarEntryPoint, JarFile, JarList, JarRunRequest, JarRunResponse, JarUploadResponse,
};
pub use jobs::{
    ExceptionHistory, ExceptionHistoryEntry, ExecutionState, JobConfig, JobDetails, JobExceptions,
    JobOverview, JobState, JobVertex, JobsOverview,
};
pub use metrics::Metric;

#[cfg(test)]
mod fixture_tests;
