//! Building and locating another workspace crate's binary (does IO: runs `cargo build`).
//!
//! Cargo only hands a test the binaries of its own package (`CARGO_BIN_EXE_*`). Tests and
//! xtask commands that need another package's daemon (the local node, the operator) build it
//! here with the same target dir and profile, so a binary already built costs one no-op
//! `cargo build` (about a second).

use std::path::PathBuf;
use std::process::Command;

use crate::{Error, Result, workspace_root};

/// Builds `--bin bin` of package `package` (debug profile) and returns its path.
///
/// `cargo test` releases the build lock before running tests, so calling this from a test
/// does not deadlock.
pub fn cargo_bin(package: &str, bin: &str) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = workspace_root();
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--quiet", "--package", package, "--bin", bin])
        .status()
        .map_err(|source| Error::Io {
            what: "running cargo build",
            path: root.clone(),
            source,
        })?;
    if !status.success() {
        return Err(Error::Build {
            what: format!("cargo build --package {package} --bin {bin}"),
            status: status.to_string(),
        });
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("debug").join(bin))
}
