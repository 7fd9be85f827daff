//! The errors of this crate (no IO).

use std::path::PathBuf;

/// Errors of the local node.
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
    /// A command (`ip`, `mount`, ...) failed.
    #[error("`{command}` failed: {message}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and stderr.
        message: String,
    },
    /// The image name is not one the node can build.
    #[error(
        "image \"{0}\" is not a local image: the local node has no registry and only knows {known}",
        known = crate::images::KNOWN.join(", ")
    )]
    UnknownImage(String),
    /// Building an image failed (fetching Flink, building the job jar).
    #[error("building image {image}: {source}")]
    ImageBuild {
        /// The image name.
        image: String,
        /// What failed.
        #[source]
        source: local_flink::Error,
    },
    /// The node daemon exited or did not become ready.
    #[error("the local node {what}; last lines of {log}:\n{tail}")]
    Daemon {
        /// What went wrong.
        what: String,
        /// The daemon's log.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// The pod address range is used up.
    #[error("no free pod address left in 10.244.0.0/16")]
    AddressesExhausted,
    /// The node's state files could not be read.
    #[error("node state {path}: {message}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A TLS setup step failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The control plane failed.
    #[error(transparent)]
    Cluster(#[from] local_cluster::Error),
    /// The shared test-ground plumbing failed.
    #[error(transparent)]
    Testground(#[from] testground::Error),
    /// A Kubernetes API call failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// The kubeconfig could not be loaded.
    #[error("kubeconfig: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps an IO error with what was done and where.
pub(crate) fn io(
    what: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { what, path, source }
}
