//! Shared plumbing of the local test ground (does IO: files, processes, sockets).
//!
//! The control plane, the Flink harness and the local node each live in their own module
//! or crate; this crate only holds what all of them need: where the per-user cache is,
//! where a checkout keeps its run state, how a Go tool is built into that cache, how a
//! background process is started and stopped by PID, how to wait for something to become
//! ready, and how a pure crate's dependency tree is checked.

pub mod cache;
pub mod cargo_bin;
pub mod dependency_tree;
pub mod go;
pub mod process;
pub mod wait;

pub use cache::{cache_dir, state_dir, workspace_root};
pub use cargo_bin::cargo_bin;
pub use dependency_tree::check_dependency_tree;
pub use go::GoBinary;
pub use process::{BackgroundProcess, free_port, kill_pid, pid_alive, stop_pid};
pub use wait::wait_until;

/// Errors of the test ground's shared plumbing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file system operation failed.
    #[error("{what} ({path}): {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A build step failed.
    #[error("{what} failed: {status}")]
    Build {
        /// The command that failed.
        what: String,
        /// Its exit status.
        status: String,
    },
    /// The Go toolchain could not be run.
    #[error(
        "the Go toolchain (`go`, {needs}) is needed to build {what} and could not be run: {source}"
    )]
    GoMissing {
        /// What was to be built.
        what: String,
        /// The version go.mod asks for.
        needs: String,
        /// The error of starting `go`.
        #[source]
        source: std::io::Error,
    },
    /// `go build` failed.
    #[error("building {what} failed ({status}); last lines of {log}:\n{tail}")]
    GoBuild {
        /// What was built.
        what: String,
        /// The exit status of `go build`.
        status: String,
        /// The full build log.
        log: std::path::PathBuf,
        /// Its last lines.
        tail: String,
    },
    /// `cargo tree` failed or printed what cannot be read as a dependency tree.
    #[error("the dependency tree of {package}: {message}")]
    DependencyTree {
        /// The package whose tree was asked for.
        package: String,
        /// What went wrong.
        message: String,
    },
    /// A package depends on crates it must not.
    #[error("{package} must not depend on {found:?}:\n{tree}")]
    ForbiddenDependencies {
        /// The package checked.
        package: String,
        /// The forbidden crates in its tree.
        found: Vec<String>,
        /// The whole tree, to see what brings them in.
        tree: String,
    },
    /// Something did not become ready in time.
    #[error("timed out after {secs:.1}s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long we waited.
        secs: f64,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
