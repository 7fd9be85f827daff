//! Building the control-plane binary from `xtask/controlplane/` once, cached outside the
//! checkout keyed on its inputs (does IO: `testground::go` runs `go build` and writes the
//! cache).

use std::path::PathBuf;

use testground::GoBinary;

use crate::error::Result;

/// The Kubernetes release the binary is built from (`k8s.io/kubernetes` in its go.mod).
pub const KUBERNETES_VERSION: &str = "v1.35.4";

/// A fixed build date keeps the binary byte-identical between builds.
const BUILD_DATE: &str = "1970-01-01T00:00:00Z";

/// Packages whose version variables `kube-apiserver --version` and `/version` report.
const VERSION_PACKAGES: [&str; 2] = [
    "k8s.io/component-base/version",
    "k8s.io/client-go/pkg/version",
];

/// The Go module of the binary, inside the workspace.
fn source_dir() -> PathBuf {
    testground::workspace_root()
        .join("xtask")
        .join("controlplane")
}

/// The `-ldflags` value: stripped, with the version variables set.
fn ldflags() -> String {
    let (major, minor) = major_minor(KUBERNETES_VERSION);
    let mut flags = String::from("-s -w");
    for pkg in VERSION_PACKAGES {
        for (var, value) in [
            ("gitVersion", KUBERNETES_VERSION),
            ("gitMajor", major),
            ("gitMinor", minor),
            ("gitTreeState", "clean"),
            ("buildDate", BUILD_DATE),
        ] {
            flags.push_str(&format!(" -X {pkg}.{var}={value}"));
        }
    }
    flags
}

/// `("1", "35")` from `"v1.35.4"`.
fn major_minor(version: &str) -> (&str, &str) {
    let mut parts = version.trim_start_matches('v').split('.');
    (parts.next().unwrap_or("0"), parts.next().unwrap_or("0"))
}

/// The build of the current sources: the key hashes go.mod, go.sum, every `.go` file of
/// the main package and the flags.
fn binary() -> GoBinary<'static> {
    GoBinary {
        name: "controlplane",
        what: format!("the control plane (Kubernetes {KUBERNETES_VERSION})"),
        module_dir: source_dir(),
        package: ".",
        ldflags: ldflags(),
        first_build: "5–9 minutes on 2 cores and 2.1 GB of RAM",
    }
}

/// Where the binary for the current sources lives (built or not):
/// `<cache>/controlplane/<hash of the inputs>/controlplane`.
pub fn expected_binary_path() -> Result<PathBuf> {
    Ok(binary().expected_path()?)
}

/// Returns the binary for the current sources, building it first if it is not cached.
///
/// The first build downloads about 0.6 GB of Go modules and compiles for 850 s of CPU
/// (5–9 minutes on 2 cores, peak 2.1 GB RAM at the link); a second call returns at once.
/// Concurrent callers (two test binaries) wait for one build through a lock file. Blocking:
/// call it from `tokio::task::spawn_blocking` in async code.
pub fn ensure_binary() -> Result<PathBuf> {
    Ok(binary().ensure()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_flags_name_both_packages() {
        let flags = ldflags();
        for pkg in VERSION_PACKAGES {
            assert!(
                flags.contains(&format!("-X {pkg}.gitVersion=v1.35.4")),
                "{flags}"
            );
            assert!(flags.contains(&format!("-X {pkg}.gitMinor=35")), "{flags}");
        }
    }
}
