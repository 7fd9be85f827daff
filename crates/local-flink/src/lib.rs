//! Real Apache Flink on this machine, for tests, the local node and the demo (does IO:
//! downloads, files, processes, local HTTP).
//!
//! - [`ensure_distribution`] assembles a FLINK_HOME per [`FlinkVersion`] in the per-user cache
//!   from the PyPI packages `apache-flink-libraries` (jars) and `apache-flink` (`bin/`, `conf/`),
//!   once.
//! - [`build_job_jar`] compiles the example job (`examples/jobs/counter-job`) against that
//!   distribution's `lib/`, cached by source hash and Flink version.
//! - [`LocalFlinkCluster`] starts a standalone JobManager and TaskManager on 127.0.0.1 with
//!   free ports and folders of their own, waits until the slots are registered, and stops
//!   both by PID (also on drop).
//!
//! ```no_run
//! use local_flink::{ClusterOptions, FlinkVersion, LocalFlinkCluster};
//! # fn main() -> Result<(), local_flink::Error> {
//! let cluster = LocalFlinkCluster::start(ClusterOptions::new(FlinkVersion::V2, "my-test"))?;
//! let jar = local_flink::build_job_jar(FlinkVersion::V2)?;
//! println!("{} runs at {}; job jar {}", cluster.version(), cluster.rest_url(), jar.display());
//! # Ok(()) }
//! ```

mod cluster;
mod config;
mod distribution;
mod error;
mod http;
mod job_jar;
mod tool;
mod version;

pub use cluster::{ClusterInfo, ClusterOptions, LocalFlinkCluster};
pub use distribution::{distribution_dir, ensure_distribution};
pub use error::{Error, Result};
pub use job_jar::{COUNTER_JOB_CLASS, build_job_jar, job_source_dir};
pub use version::FlinkVersion;
