//! A typed async client for the Apache Flink REST API, for Flink 1.20 and 2.x.
//!
//! [`FlinkRestClient`] covers what an operator needs: the cluster overview and config, task
//! managers, jars (upload, list, run, delete), jobs (overview, details, exceptions,
//! checkpoint statistics and config, cancel), savepoints (trigger, stop-with-savepoint, poll,
//! dispose), checkpoints (trigger, poll) and metrics. It knows nothing about Kubernetes.
//!
//! - Every call has a timeout ([`ClientConfig::timeout`]); reads (GET) are retried by a
//!   [`RetryPolicy`], writes never are (use caller-chosen [`TriggerId`]s to make savepoint
//!   and checkpoint triggers safe to repeat).
//! - Errors ([`Error`]) name the call, the HTTP status and Flink's own error text.
//! - Responses are tolerant of fields newer Flink versions add and strict about the fields
//!   this crate relies on.
//! - Each call runs in a `flink_rest` tracing span with the endpoint template and the HTTP
//!   status; no request or response bodies are logged.
//!
//! ```no_run
//! use flink_rest::{FlinkRestClient, JarRunRequest, SavepointFormat, TriggerId};
//! # async fn demo() -> Result<(), flink_rest::Error> {
//! let flink = FlinkRestClient::new("http://127.0.0.1:8081")?;
//! let jar = flink.upload_jar(std::path::Path::new("job.jar")).await?;
//! let job = flink
//!     .run_jar(&jar.jar_id(), &JarRunRequest::new().entry_class("com.example.Job").args(["--keys", "4"]))
//!     .await?;
//! let trigger = flink
//!     .trigger_savepoint(&job.jobid, None, SavepointFormat::Canonical, Some(TriggerId::from_seed(b"upgrade-7")))
//!     .await?;
//! let location = flink.wait_savepoint(&job.jobid, &trigger, std::time::Duration::from_secs(60)).await?;
//! println!("savepoint at {location}");
//! # Ok(()) }
//! ```

mod api;
mod client;
mod error;
mod ids;
mod retry;
pub mod types;

pub use client::{ClientConfig, FlinkRestClient};
pub use error::{Error, Result};
pub use ids::{JarId, JobId, TriggerId, VertexId};
pub use retry::RetryPolicy;
pub use types::*;
