//! Errors of the Flink harness (no IO).

use std::path::PathBuf;

/// What went wrong while fetching, building or running Flink.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file system operation failed.
    #[error("{what} ({path}): {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A tool we run (pip, tar, javac, jar, ...) could not be started or failed.
    #[error("`{command}` failed ({status}); last output:\n{output}")]
    Tool {
        /// The command line, shortened.
        command: String,
        /// Its exit status, or why it did not run.
        status: String,
        /// The tail of its output.
        output: String,
    },
    /// A downloaded package did not hold what a FLINK_HOME needs.
    #[error("Flink {version} distribution is incomplete: {missing} not found in the PyPI packages")]
    Incomplete {
        /// The Flink version.
        version: &'static str,
        /// What was missing.
        missing: String,
    },
    /// A version string that names no supported Flink line.
    #[error("unknown Flink version {0:?} (supported: 1.20, 2.x)")]
    UnknownVersion(String),
    /// A Flink process ended while we waited for the cluster.
    #[error("Flink {process} (pid {pid}) exited during start-up; log {log}:\n{tail}")]
    ProcessExited {
        /// `jobmanager` or `taskmanager`.
        process: &'static str,
        /// Its PID.
        pid: u32,
        /// Its log file.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },
    /// The cluster did not become ready in time.
    #[error(
        "Flink cluster at {rest_url} not ready after {secs:.0}s (last /overview: {last}); logs in {log_dir}"
    )]
    NotReady {
        /// The REST URL polled.
        rest_url: String,
        /// How long we waited.
        secs: f64,
        /// The last answer (or error) of `/overview`.
        last: String,
        /// Where the logs are.
        log_dir: PathBuf,
    },
    /// A cluster folder holds no (readable) cluster description.
    #[error("no Flink cluster recorded in {0}")]
    NoCluster(PathBuf),
    /// Shared test-ground plumbing failed.
    #[error(transparent)]
    Testground(#[from] testground::Error),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io(
    what: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { what, path, source }
}
