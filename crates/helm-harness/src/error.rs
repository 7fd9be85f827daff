//! The errors of this crate (no IO).

use std::path::PathBuf;

/// Errors of building or running helm.
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
    /// Building helm failed (the Go toolchain is missing, `go build` failed, or the cache
    /// could not be written).
    #[error(transparent)]
    Testground(#[from] testground::Error),
    /// Running a command failed to start.
    #[error("running a command: {0}")]
    Spawn(#[from] std::io::Error),
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
