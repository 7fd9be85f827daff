//! Checking that a workspace package's normal dependency tree holds no crate it must not use
//! (does IO: runs the real `cargo tree`).
//!
//! The pure crates (the lifecycle machine, the resource builders) promise no IO, clock or
//! randomness; a test of each calls [`check_dependency_tree`] so that a new dependency that
//! brings, say, tokio in breaks CI instead of the promise.

use crate::{Error, Result, workspace_root};

/// Checks that the normal dependency tree of workspace package `package` (dev and build
/// dependencies left out) holds none of the crates named in `forbidden`.
///
/// `must_hold` names a crate the tree is known to hold, so a tree that came out empty or
/// in another format fails instead of passing by accident. Runs `cargo tree --offline`
/// (about a second); `$CARGO` is used when set, as it is under `cargo test`.
pub fn check_dependency_tree(package: &str, must_hold: &str, forbidden: &[&str]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = workspace_root();
    let out = std::process::Command::new(cargo)
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
        .arg("--offline")
        .current_dir(&root)
        .output()
        .map_err(|source| Error::Io {
            what: "running cargo tree",
            path: root,
            source,
        })?;
    let tree = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(Error::DependencyTree {
            package: package.into(),
            message: format!(
                "cargo tree failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    check_tree(package, &tree, must_hold, forbidden)
}

/// The check of a `cargo tree --prefix none` listing: one `name version [(*)]` a line.
fn check_tree(package: &str, tree: &str, must_hold: &str, forbidden: &[&str]) -> Result<()> {
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    if !names.contains(&must_hold) {
        return Err(Error::DependencyTree {
            package: package.into(),
            message: format!("the tree does not hold {must_hold}, so it cannot be read:\n{tree}"),
        });
    }
    let mut found: Vec<String> = names
        .into_iter()
        .filter(|name| forbidden.contains(name))
        .map(String::from)
        .collect();
    found.sort();
    found.dedup();
    if found.is_empty() {
        Ok(())
    } else {
        Err(Error::ForbiddenDependencies {
            package: package.into(),
            found,
            tree: tree.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// local-cluster talks to a real kube-apiserver, so its real tree holds tokio.
    #[test]
    fn flags_an_io_crate_in_a_real_tree() {
        match check_dependency_tree("local-cluster", "kube", &["tokio", "rand"]) {
            Err(Error::ForbiddenDependencies { found, .. }) => {
                assert_eq!(found, ["tokio"]);
            }
            other => panic!("local-cluster depends on tokio, got {other:?}"),
        }
    }

    #[test]
    fn passes_a_real_tree_without_them() {
        let checked = check_dependency_tree("testground", "libc", &["tokio", "hyper"]);
        assert!(checked.is_ok(), "{checked:?}");
    }

    #[test]
    fn an_unknown_package_is_an_error() {
        let checked = check_dependency_tree("no-such-package", "libc", &["tokio"]);
        assert!(
            matches!(checked, Err(Error::DependencyTree { .. })),
            "{checked:?}"
        );
    }

    #[test]
    fn a_tree_without_the_known_crate_is_not_read_as_clean() {
        let checked = check_tree("p", "p v0.1.0\nserde v1.0.0\n", "statig", &["tokio"]);
        assert!(
            matches!(checked, Err(Error::DependencyTree { .. })),
            "{checked:?}"
        );
    }

    #[test]
    fn names_each_forbidden_crate_once() {
        let tree = "p v0.1.0\nstatig v0.3.0\ntokio v1.0.0\nmio v1.0.0\ntokio v1.0.0 (*)\n";
        match check_tree("p", tree, "statig", &["tokio", "mio", "rand"]) {
            Err(Error::ForbiddenDependencies { found, .. }) => {
                assert_eq!(found, ["mio", "tokio"]);
            }
            other => panic!("tokio and mio are in the tree, got {other:?}"),
        }
    }
}
