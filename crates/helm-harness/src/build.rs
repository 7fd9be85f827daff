//! Building helm from `xtask/helm/` once, cached outside the checkout keyed on its inputs
//! (does IO: runs `go build`, writes the cache).
//!
//! The module requires `helm.sh/helm/v3` and names its `cmd/helm` as a Go `tool`, so
//! `go build helm.sh/helm/v3/cmd/helm` builds Helm's own main package with the versions
//! pinned in the committed go.sum.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result, io};

/// The Helm release the binary is built from (`helm.sh/helm/v3` in `xtask/helm/go.mod`).
pub const HELM_VERSION: &str = "v3.22.0";

/// The main package that is built.
const MAIN_PACKAGE: &str = "helm.sh/helm/v3/cmd/helm";

/// The Go module of the binary, inside the workspace.
fn source_dir() -> PathBuf {
    testground::workspace_root().join("xtask").join("helm")
}

/// Where all Go builds of the project keep their module and build caches (shared with the
/// control plane's build, so common modules are fetched once).
fn go_cache() -> PathBuf {
    testground::cache_dir().join("go")
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

/// The arguments of `go build`, part of the cache key.
fn build_args(out: &Path, go_mod: &str) -> Vec<String> {
    vec![
        "build".into(),
        "-trimpath".into(),
        "-buildvcs=false".into(),
        // Lets `rm -rf` clean the module cache (Go makes it read-only by default).
        "-modcacherw".into(),
        "-ldflags".into(),
        ldflags(go_mod),
        "-o".into(),
        out.display().to_string(),
        MAIN_PACKAGE.into(),
    ]
}

/// The environment of `go build`: caches under the project's cache, no cgo (a static
/// binary, no C compiler needed), no toolchain download, go.sum as committed.
fn build_env() -> Vec<(&'static str, String)> {
    let cache = go_cache();
    vec![
        ("GOMODCACHE", cache.join("mod").display().to_string()),
        ("GOCACHE", cache.join("build").display().to_string()),
        ("CGO_ENABLED", "0".into()),
        ("GOTOOLCHAIN", "local".into()),
        ("GOFLAGS", "-mod=readonly".into()),
    ]
}

/// The key of a build: go.mod, go.sum and the flags.
fn input_hash(dir: &Path) -> Result<String> {
    let mut h = Sha256::new();
    let mut go_mod = String::new();
    for name in ["go.mod", "go.sum"] {
        let path = dir.join(name);
        let bytes = fs::read(&path).map_err(io("reading helm's Go module", &path))?;
        if name == "go.mod" {
            go_mod = String::from_utf8_lossy(&bytes).into_owned();
        }
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    h.update(build_args(Path::new("out"), &go_mod).join(" "));
    for (k, v) in build_env() {
        if k == "CGO_ENABLED" || k == "GOFLAGS" {
            h.update(format!("{k}={v}"));
        }
    }
    Ok(hex::encode(&h.finalize()[..8]))
}

/// Where the binary for the current sources lives (built or not):
/// `<cache>/helm/<hash of go.mod, go.sum and flags>/helm`.
pub fn expected_helm_path() -> Result<PathBuf> {
    let hash = input_hash(&source_dir())?;
    Ok(testground::cache_dir().join("helm").join(hash).join("helm"))
}

/// Returns the helm binary for the current sources, building it first if it is not cached.
///
/// The first build downloads Helm's Go modules and compiles for a few minutes on 2 cores;
/// a second call returns at once. Concurrent callers (two test binaries) wait for one build
/// through a lock file. Blocking: call it from `tokio::task::spawn_blocking` in async code.
pub fn ensure_helm() -> Result<PathBuf> {
    let bin = expected_helm_path()?;
    if bin.is_file() {
        return Ok(bin);
    }
    let dir = bin.parent().map(Path::to_path_buf).unwrap_or_default();
    fs::create_dir_all(&dir).map_err(io("creating the helm cache", &dir))?;
    let lock_path = dir.join("build.lock");
    let lock = File::create(&lock_path).map_err(io("creating a lock file", &lock_path))?;
    lock.lock().map_err(io("locking", &lock_path))?;
    if bin.is_file() {
        return Ok(bin);
    }
    let go_mod_path = source_dir().join("go.mod");
    let go_mod =
        fs::read_to_string(&go_mod_path).map_err(io("reading helm's Go module", &go_mod_path))?;
    let log = dir.join("build.log");
    let log_file = File::create(&log).map_err(io("creating the build log", &log))?;
    let log_err = log_file
        .try_clone()
        .map_err(io("creating the build log", &log))?;
    let tmp = dir.join("helm.partial");
    eprintln!(
        "helm-harness: building helm {HELM_VERSION} into {}; the first build takes a few \
         minutes on 2 cores, log: {}",
        bin.display(),
        log.display()
    );
    let mut cmd = Command::new("go");
    cmd.args(build_args(&tmp, &go_mod))
        .current_dir(source_dir())
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err);
    for (k, v) in build_env() {
        cmd.env(k, v);
    }
    let status = cmd.status().map_err(Error::GoMissing)?;
    if !status.success() {
        return Err(Error::Build {
            status: status.to_string(),
            tail: tail(&log, 30),
            log,
        });
    }
    fs::rename(&tmp, &bin).map_err(io("moving the built binary into place", &bin))?;
    Ok(bin)
}

/// The last `n` lines of a file (empty if it cannot be read).
fn tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
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

    #[test]
    fn the_key_follows_go_mod_and_go_sum() {
        let dir = std::env::temp_dir().join(format!("helm-harness-hash-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(dir.join("go.mod"), "module x\n").expect("write");
        fs::write(dir.join("go.sum"), "").expect("write");
        fs::write(dir.join("README"), "not an input").expect("write");
        let a = input_hash(&dir).expect("hash");
        fs::write(dir.join("README"), "still not an input").expect("write");
        assert_eq!(a, input_hash(&dir).expect("hash"));
        fs::write(dir.join("go.sum"), "x v1 h1:abc\n").expect("write");
        assert_ne!(a, input_hash(&dir).expect("hash"));
        let _ = fs::remove_dir_all(dir);
    }
}
