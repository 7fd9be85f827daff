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
    /// The Go toolchain could not be run.
    #[error(
        "the Go toolchain (`go`, 1.26 or newer) is needed to build helm and could not be run: {0}"
    )]
    GoMissing(#[source] std::io::Error),
    /// `go build` failed.
    #[error("building helm failed ({status}); last lines of {log}:\n{tail}")]
    Build {
        /// The exit status of `go build`.
        status: String,
        /// The full build log.
        log: PathBuf,
        /// Its last lines.
        tail: String,
    },
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
