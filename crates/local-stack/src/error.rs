//! Errors of the local stack.

/// What can go wrong while driving the local test ground.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The control plane failed.
    #[error(transparent)]
    Cluster(#[from] local_cluster::Error),
    /// Plumbing (build, process, files) failed.
    #[error(transparent)]
    Testground(#[from] testground::Error),
    /// A Kubernetes call failed.
    #[error("kubernetes: {0}")]
    Kube(#[from] kube::Error),
    /// A Flink REST call failed.
    #[error("flink: {0}")]
    Flink(#[from] flink_rest::Error),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A manifest did not parse.
    #[error("{path}: {message}")]
    Manifest {
        /// The file.
        path: std::path::PathBuf,
        /// The parser's message.
        message: String,
    },
    /// Something was not reached in time; `last` is what was seen last.
    #[error("timed out after {secs}s waiting for {what}; last seen: {last}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        secs: u64,
        /// The last observed value, for the reader of a failed test.
        last: String,
    },
    /// The world is not as expected.
    #[error("{0}")]
    Unexpected(String),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
