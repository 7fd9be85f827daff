//! Where downloads and builds are cached (outside the checkout, per user) and where a
//! checkout keeps the state of what it started.

use std::path::PathBuf;

/// The per-user cache of the project: `$FLINK_OPERATOR_RS_CACHE`, else
/// `$XDG_CACHE_HOME/flink-operator-rs`, else `~/.cache/flink-operator-rs`.
///
/// CI runs in a fresh clone, so everything expensive (Go builds, Flink downloads) is keyed
/// by version under this folder and survives between runs on the same machine.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FLINK_OPERATOR_RS_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("flink-operator-rs")
}

/// The root of the cargo workspace this crate was built in.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map(PathBuf::from)
        .unwrap_or(manifest)
}

/// Run state of the test ground for this checkout (`target/testground`): pid files, logs,
/// kubeconfigs. Lives in `target/` so `cargo clean` removes it and git ignores it.
pub fn state_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("testground")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let text = std::fs::read_to_string(workspace_root().join("Cargo.toml"))
            .expect("workspace Cargo.toml");
        assert!(text.contains("[workspace]"));
    }

    #[test]
    fn state_dir_is_under_target() {
        assert!(state_dir().ends_with("testground"));
    }
}
