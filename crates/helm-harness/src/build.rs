//! Building helm from `xtask/helm/` once, cached outside the checkout keyed on its inputs
//! (does IO: reads go.mod; `testground::go` runs `go build` and writes the cache).
//!
//! The module requires `helm.sh/helm/v3` and names its `cmd/helm` as a Go `tool`, so
//! `go build helm.sh/helm/v3/cmd/helm` builds Helm's own main package with the versions
//! pinned in the committed go.sum.

use std::fs;
use std::path::PathBuf;

use testground::GoBinary;

use crate::error::{Result, io};

/// The Helm release the binary is built from (`helm.sh/helm/v3` in `xtask/helm/go.mod`).
pub const HELM_VERSION: &str = "v3.22.0";

/// The main package that is built.
const MAIN_PACKAGE: &str = "helm.sh/helm/v3/cmd/helm";

/// The Go module of the binary, inside the workspace.
fn source_dir() -> PathBuf {
    testground::workspace_root().join("xtask").join("helm")
}

/// `(major, minor)` of the Kubernetes API Helm reports as its default `--kube-version`, as
/// Helm's Makefile derives it from the `k8s.io/client-go` requirement (`v0.37.0` → `1`, `37`).
fn kube_version(go_mod: &str) -> (String, String) {
    let version = go_mod
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("k8s.io/client-go "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("v0.0.0");
    let mut parts = version.trim_start_matches('v').split('.');
    let major = parts
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    let minor = parts.next().unwrap_or("0").to_string();
    (major.to_string(), minor)
}

/// The `-ldflags` value: stripped, with the version variables Helm's Makefile sets (without
/// them `helm version` says `v3.x-dev` and lint assumes an old Kubernetes).
fn ldflags(go_mod: &str) -> String {
    let (major, minor) = kube_version(go_mod);
    let mut flags = format!(
        "-s -w -X helm.sh/helm/v3/internal/version.version={HELM_VERSION} \
         -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    );
    for pkg in [
        "helm.sh/helm/v3/pkg/lint/rules",
        "helm.sh/helm/v3/pkg/chartutil",
    ] {
        flags.push_str(&format!(
            " -X {pkg}.k8sVersionMajor={major} -X {pkg}.k8sVersionMinor={minor}"
        ));
    }
    flags
}

/// The build of the current sources: the key hashes go.mod, go.sum and the flags (the
/// module has no `.go` files of its own).
fn binary() -> Result<GoBinary<'static>> {
    let dir = source_dir();
    let go_mod_path = dir.join("go.mod");
    let go_mod =
        fs::read_to_string(&go_mod_path).map_err(io("reading helm's Go module", &go_mod_path))?;
    Ok(GoBinary {
        name: "helm",
        what: format!("helm {HELM_VERSION}"),
        module_dir: dir,
        package: MAIN_PACKAGE,
        ldflags: ldflags(&go_mod),
        first_build: "a few minutes on 2 cores",
    })
}

/// Where the binary for the current sources lives (built or not):
/// `<cache>/helm/<hash of go.mod, go.sum and flags>/helm`.
pub fn expected_helm_path() -> Result<PathBuf> {
    Ok(binary()?.expected_path()?)
}

/// Returns the helm binary for the current sources, building it first if it is not cached.
///
/// The first build downloads Helm's Go modules and compiles for a few minutes on 2 cores;
/// a second call returns at once. Concurrent callers (two test binaries) wait for one build
/// through a lock file. Blocking: call it from `tokio::task::spawn_blocking` in async code.
pub fn ensure_helm() -> Result<PathBuf> {
    Ok(binary()?.ensure()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_go_module_pins_the_version_we_name() {
        let go_mod = fs::read_to_string(source_dir().join("go.mod")).expect("go.mod");
        assert!(
            go_mod.contains(&format!("helm.sh/helm/v3 {HELM_VERSION}")),
            "xtask/helm/go.mod does not require helm {HELM_VERSION}:\n{go_mod}"
        );
        assert!(go_mod.contains(&format!("tool {MAIN_PACKAGE}")), "{go_mod}");
    }

    #[test]
    fn kube_version_follows_client_go() {
        let go_mod = "require (\n\tk8s.io/client-go v0.37.0 // indirect\n)\n";
        assert_eq!(kube_version(go_mod), ("1".into(), "37".into()));
        let flags = ldflags(go_mod);
        assert!(
            flags.contains("helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37"),
            "{flags}"
        );
        assert!(flags.contains(&format!("version.version={HELM_VERSION}")));
    }
}
