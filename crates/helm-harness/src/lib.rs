//! Real `helm`, built from its Go module (`xtask/helm/`) and cached, plus the paths and
//! environment of the project's chart (does IO: runs `go build`, writes the cache).
//!
//! ```no_run
//! # fn example() -> Result<(), helm_harness::Error> {
//! let helm = helm_harness::ensure_helm()?;
//! let out = helm_harness::command(&helm)
//!     .args(["lint", "--strict"])
//!     .arg(helm_harness::chart_dir())
//!     .output()?;
//! assert!(out.status.success());
//! # Ok(()) }
//! ```
//!
//! The first build downloads Helm's Go modules and compiles for a few minutes on 2 cores;
//! later calls return the cached binary at once (the key is go.mod + go.sum + the flags).

mod build;
mod error;

use std::path::PathBuf;
use std::process::Command;

pub use build::{HELM_VERSION, ensure_helm, expected_helm_path};
pub use error::{Error, Result};

/// The chart: `charts/flink-operator/` of the workspace.
pub fn chart_dir() -> PathBuf {
    testground::workspace_root()
        .join("charts")
        .join("flink-operator")
}

/// Helm's own folders (repository cache, plugins, registry config) for this checkout:
/// `target/testground/helm/`. Helm writes to `~/.cache/helm` and `~/.config/helm` otherwise.
pub fn helm_home() -> PathBuf {
    testground::state_dir().join("helm")
}

/// A `helm` command with its cache, config and data folders under [`helm_home`], so runs
/// leave nothing in the user's home. Set `KUBECONFIG` (or pass `--kubeconfig`) for commands
/// that talk to a cluster.
pub fn command(helm: &std::path::Path) -> Command {
    let home = helm_home();
    let mut cmd = Command::new(helm);
    cmd.env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"));
    cmd
}
