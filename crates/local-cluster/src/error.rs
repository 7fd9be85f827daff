//! The errors of this crate (no IO).

use std::path::PathBuf;

/// Errors of the local control plane.
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
    /// Generating certificates or keys failed.
    #[error("generating certificates: {0}")]
    Certificates(#[from] rcgen::Error),
    /// A component exited while we waited for it.
    #[error("{component} exited during startup; last lines of {log}:\n{tail}")]
    Exited {
        /// The component's name.
        component: &'static str,
        /// Its log file.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// Something did not become ready in time.
    #[error("timed out after {secs:.1}s waiting for {what}; logs are in {logs}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long we waited.
        secs: f64,
        /// Where the component logs are.
        logs: PathBuf,
    },
    /// Another control plane already runs in this folder.
    #[error("a control plane already runs in {0}; stop it first (`cargo xtask cluster down`)")]
    AlreadyRunning(PathBuf),
    /// No control plane runs in this folder.
    #[error("no control plane runs in {0}")]
    NotRunning(PathBuf),
    /// The shared test-ground plumbing failed (also: building the control plane with Go).
    #[error(transparent)]
    Testground(#[from] testground::Error),
    /// A Kubernetes API call failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// The kubeconfig could not be loaded.
    #[error("kubeconfig: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    /// A CRD file could not be read as CustomResourceDefinitions.
    #[error("CRD file {path}: {message}")]
    CrdFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The record of a running stack could not be read.
    #[error("cluster record {path}: {message}")]
    State {
        /// The record file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
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
