//! Building the control-plane binary from `xtask/controlplane/` once, cached outside the
//! checkout keyed on its inputs (does IO: runs `go build`, writes the cache).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result, io};

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

/// Where all Go builds of the project keep their module and build caches.
fn go_cache() -> PathBuf {
    testground::cache_dir().join("go")
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

/// The arguments of `go build`, part of the cache key.
fn build_args(out: &Path) -> Vec<String> {
    vec![
        "build".into(),
        "-trimpath".into(),
        "-buildvcs=false".into(),
        // Lets `rm -rf` clean the module cache (Go makes it read-only by default).
        "-modcacherw".into(),
        "-ldflags".into(),
        ldflags(),
        "-o".into(),
        out.display().to_string(),
        ".".into(),
    ]
}

/// The environment of `go build`: caches under the project's cache, no cgo (so the build
/// does not depend on a C compiler being installed), no toolchain download.
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

/// The key of a build: go.mod, go.sum, every `.go` file of the main package and the flags.
fn input_hash(dir: &Path) -> Result<String> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io("listing the control-plane sources", dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name == "go.mod" || name == "go.sum" || name.ends_with(".go")
        })
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for f in &files {
        let bytes = fs::read(f).map_err(io("reading a control-plane source", f))?;
        h.update(
            f.file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    h.update(build_args(Path::new("out")).join(" "));
    for (k, v) in build_env() {
        if k == "CGO_ENABLED" || k == "GOFLAGS" {
            h.update(format!("{k}={v}"));
        }
    }
    Ok(hex::encode(&h.finalize()[..8]))
}

/// Where the binary for the current sources lives (built or not):
/// `<cache>/controlplane/<hash of the inputs>/controlplane`.
pub fn expected_binary_path() -> Result<PathBuf> {
    let hash = input_hash(&source_dir())?;
    Ok(testground::cache_dir()
        .join("controlplane")
        .join(hash)
        .join("controlplane"))
}

/// Returns the binary for the current sources, building it first if it is not cached.
///
/// The first build downloads about 0.6 GB of Go modules and compiles for 850 s of CPU
/// (5–9 minutes on 2 cores, peak 2.1 GB RAM at the link); a second call returns at once. Concurrent callers (two test
/// binaries) wait for one build through a lock file. Blocking: call it from
/// `tokio::task::spawn_blocking` in async code.
pub fn ensure_binary() -> Result<PathBuf> {
    let bin = expected_binary_path()?;
    if bin.is_file() {
        return Ok(bin);
    }
    let dir = bin.parent().map(Path::to_path_buf).unwrap_or_default();
    fs::create_dir_all(&dir).map_err(io("creating the binary cache", &dir))?;
    let lock_path = dir.join("build.lock");
    let lock = File::create(&lock_path).map_err(io("creating a lock file", &lock_path))?;
    lock.lock().map_err(io("locking", &lock_path))?;
    if bin.is_file() {
        return Ok(bin);
    }
    let log = dir.join("build.log");
    let log_file = File::create(&log).map_err(io("creating the build log", &log))?;
    let log_err = log_file
        .try_clone()
        .map_err(io("creating the build log", &log))?;
    let tmp = dir.join("controlplane.partial");
    eprintln!(
        "local-cluster: building the control plane (Kubernetes {KUBERNETES_VERSION}) into {}; \
         the first build takes 5–9 minutes on 2 cores and 2.1 GB of RAM, log: {}",
        bin.display(),
        log.display()
    );
    let mut cmd = Command::new("go");
    cmd.args(build_args(&tmp))
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
            tail: crate::wait::tail(&log, 30),
            log,
        });
    }
    fs::rename(&tmp, &bin).map_err(io("moving the built binary into place", &bin))?;
    Ok(bin)
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

    #[test]
    fn the_key_follows_the_sources() {
        let dir = std::env::temp_dir().join(format!("local-cluster-hash-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(dir.join("go.mod"), "module x\n").expect("write");
        fs::write(dir.join("README"), "not an input").expect("write");
        let a = input_hash(&dir).expect("hash");
        fs::write(dir.join("README"), "still not an input").expect("write");
        assert_eq!(a, input_hash(&dir).expect("hash"));
        fs::write(dir.join("main.go"), "package main\n").expect("write");
        assert_ne!(a, input_hash(&dir).expect("hash"));
        let _ = fs::remove_dir_all(dir);
    }
}
