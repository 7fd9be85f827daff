//! Building a Go main package from published modules into the per-user cache, once per set
//! of inputs (does IO: reads the Go module, runs `go build`, writes the cache).
//!
//! The project builds its Go tools (the control plane, helm) from small Go modules under
//! `xtask/` whose go.sum pins every version. A binary lives at
//! `<cache>/<name>/<key>/<name>`, where the key hashes go.mod, go.sum, the `.go` files at the
//! top of the module and the build flags, so a changed pin builds anew and an unchanged one
//! costs nothing. All builds share one module and build cache (`<cache>/go`), so modules
//! common to several tools are fetched once.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::{Error, Result, cache_dir};

/// A Go main package to build into the cache.
#[derive(Debug, Clone)]
pub struct GoBinary<'a> {
    /// The cache folder and the binary's file name: `<cache>/<name>/<key>/<name>`.
    pub name: &'a str,
    /// What is built, for messages (`"helm v3.22.0"`).
    pub what: String,
    /// The Go module that requires the package: go.mod, go.sum and any `.go` files of the
    /// main package when it is the module itself.
    pub module_dir: PathBuf,
    /// The main package: `"."` for the module itself, or the import path of a package of a
    /// required module (named as a `tool` in go.mod).
    pub package: &'a str,
    /// The `-ldflags` value (part of the key).
    pub ldflags: String,
    /// How long a first build takes, for the line printed when one starts.
    pub first_build: &'a str,
}

impl GoBinary<'_> {
    /// Where the binary for the current inputs lives, built or not.
    pub fn expected_path(&self) -> Result<PathBuf> {
        let key = self.input_key()?;
        Ok(cache_dir().join(self.name).join(key).join(self.name))
    }

    /// Returns the binary for the current inputs, building it first if it is not cached.
    ///
    /// Concurrent callers (two test binaries) wait for one build through a lock file; the
    /// build writes beside the binary and renames into place, so a killed build leaves no
    /// half binary. Blocking: call it from `tokio::task::spawn_blocking` in async code.
    pub fn ensure(&self) -> Result<PathBuf> {
        let bin = self.expected_path()?;
        if bin.is_file() {
            return Ok(bin);
        }
        let dir = bin.parent().map(Path::to_path_buf).unwrap_or_default();
        fs::create_dir_all(&dir).map_err(io("creating the build cache", &dir))?;
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
        let tmp = dir.join(format!("{}.partial", self.name));
        eprintln!(
            "building {} into {}; the first build takes {}, log: {}",
            self.what,
            bin.display(),
            self.first_build,
            log.display()
        );
        let mut cmd = Command::new("go");
        cmd.args(self.build_args(&tmp))
            .current_dir(&self.module_dir)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err);
        for (k, v) in build_env() {
            cmd.env(k, v);
        }
        let status = cmd.status().map_err(|source| Error::GoMissing {
            what: self.what.clone(),
            needs: self.needed_go(),
            source,
        })?;
        if !status.success() {
            return Err(Error::GoBuild {
                what: self.what.clone(),
                status: status.to_string(),
                tail: tail(&log, 30),
                log,
            });
        }
        fs::rename(&tmp, &bin).map_err(io("moving the built binary into place", &bin))?;
        Ok(bin)
    }

    /// The arguments of `go build`, part of the key.
    fn build_args(&self, out: &Path) -> Vec<String> {
        vec![
            "build".into(),
            "-trimpath".into(),
            "-buildvcs=false".into(),
            // Lets `rm -rf` clean the module cache (Go makes it read-only by default).
            "-modcacherw".into(),
            "-ldflags".into(),
            self.ldflags.clone(),
            "-o".into(),
            out.display().to_string(),
            self.package.into(),
        ]
    }

    /// The key of a build: go.mod, go.sum, every `.go` file at the top of the module, the
    /// arguments and the environment that changes the output.
    fn input_key(&self) -> Result<String> {
        let dir = &self.module_dir;
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(io("listing the Go module", dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name == "go.mod" || name == "go.sum" || name.ends_with(".go")
            })
            .collect();
        files.sort();
        let mut h = Sha256::new();
        for f in &files {
            let bytes = fs::read(f).map_err(io("reading a file of the Go module", f))?;
            h.update(
                f.file_name()
                    .map(|n| n.as_encoded_bytes())
                    .unwrap_or_default(),
            );
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        h.update(self.build_args(Path::new("out")).join(" "));
        for (k, v) in build_env() {
            if k == "CGO_ENABLED" || k == "GOFLAGS" {
                h.update(format!("{k}={v}"));
            }
        }
        Ok(hex::encode(&h.finalize()[..8]))
    }

    /// The toolchain go.mod asks for, for the message when `go` cannot be run.
    fn needed_go(&self) -> String {
        let go_mod = fs::read_to_string(self.module_dir.join("go.mod")).unwrap_or_default();
        go_mod
            .lines()
            .find_map(|l| l.trim().strip_prefix("go "))
            .map(|v| format!("{} or newer", v.trim()))
            .unwrap_or_else(|| "any version".into())
    }
}

/// The environment of `go build`: caches under the project's cache, no cgo (a static binary,
/// no C compiler needed), no toolchain download, go.sum as committed.
fn build_env() -> Vec<(&'static str, String)> {
    let cache = cache_dir().join("go");
    vec![
        ("GOMODCACHE", cache.join("mod").display().to_string()),
        ("GOCACHE", cache.join("build").display().to_string()),
        ("CGO_ENABLED", "0".into()),
        ("GOTOOLCHAIN", "local".into()),
        ("GOFLAGS", "-mod=readonly".into()),
    ]
}

/// Wraps an IO error with what was done and where.
fn io(what: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { what, path, source }
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

    /// A module folder of its own under the temp dir, removed by the caller.
    fn module(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("testground-go-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(dir.join("go.mod"), "module x\n\ngo 1.25.0\n").expect("write");
        fs::write(dir.join("go.sum"), "").expect("write");
        dir
    }

    fn binary(dir: &Path) -> GoBinary<'static> {
        GoBinary {
            name: "x",
            what: "x".into(),
            module_dir: dir.to_path_buf(),
            package: ".",
            ldflags: "-s -w".into(),
            first_build: "a moment",
        }
    }

    #[test]
    fn the_key_follows_the_module_and_the_flags() {
        let dir = module("key");
        let key = |b: &GoBinary<'_>| b.input_key().expect("key");
        let a = key(&binary(&dir));
        fs::write(dir.join("README"), "not an input").expect("write");
        assert_eq!(a, key(&binary(&dir)));
        fs::write(dir.join("go.sum"), "x v1 h1:abc\n").expect("write");
        let b = key(&binary(&dir));
        assert_ne!(a, b);
        fs::write(dir.join("main.go"), "package main\n").expect("write");
        let c = key(&binary(&dir));
        assert_ne!(b, c);
        let flagged = GoBinary {
            ldflags: "-s -w -X main.v=1".into(),
            ..binary(&dir)
        };
        assert_ne!(c, key(&flagged));
        let _ = fs::remove_dir_all(dir);
    }

    /// The key names the cache folders of binaries that take minutes to build: a change of
    /// how it is computed throws every cached build away, so it is pinned here.
    #[test]
    fn the_key_is_stable() {
        let dir = module("stable");
        fs::write(dir.join("main.go"), "package main\n").expect("write");
        let bin = binary(&dir);
        assert_eq!(bin.input_key().expect("key"), "90aff508d1caef26");
        let path = bin.expected_path().expect("path");
        assert!(path.ends_with("x/90aff508d1caef26/x"), "{}", path.display());
        let _ = fs::remove_dir_all(dir);
    }

    /// Builds a real (tiny) Go program with the real toolchain into the real cache: the
    /// tools' own tests find their binaries cached and never reach this path. The process id
    /// in the sources gives each run keys of its own, removed at the end.
    #[test]
    fn builds_a_go_program_once_and_reports_a_failed_build() {
        let dir = module("build");
        let id = std::process::id();
        let main = format!("package main\n\n// run {id}\nfunc main() {{ println(\"built\") }}\n");
        fs::write(dir.join("main.go"), main).expect("write");
        let bin = GoBinary {
            name: "testground-selftest",
            ..binary(&dir)
        };
        let path = bin.ensure().expect("a tiny Go program builds");
        let out = Command::new(&path).output().expect("the binary runs");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("built"),
            "{out:?}"
        );
        let modified = fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(bin.ensure().expect("cached"), path);
        let again = fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(modified, again, "a cached binary is not built again");

        let broken = format!("package main\n\n// run {id}\nfunc main() {{ undefinedCall() }}\n");
        fs::write(dir.join("main.go"), broken).expect("write");
        let failed = bin.expected_path().expect("path");
        match bin.ensure() {
            Err(Error::GoBuild { tail, log, .. }) => {
                assert!(tail.contains("undefinedCall"), "{tail}");
                assert!(log.is_file(), "{}", log.display());
            }
            other => panic!("a broken program must fail to build, got {other:?}"),
        }
        assert!(!failed.exists(), "no binary is left by a failed build");
        for built in [path, failed] {
            if let Some(key_dir) = built.parent() {
                let _ = fs::remove_dir_all(key_dir);
            }
        }
        // Only when empty: another checkout's run may be using it.
        let _ = fs::remove_dir(cache_dir().join("testground-selftest"));
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn the_missing_toolchain_message_names_the_version_go_mod_asks_for() {
        let dir = module("needs");
        assert_eq!(binary(&dir).needed_go(), "1.25.0 or newer");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = module("tail");
        let f = dir.join("log");
        fs::write(&f, "a\nb\nc\n").expect("write");
        assert_eq!(tail(&f, 2), "b\nc");
        assert_eq!(tail(&f, 10), "a\nb\nc");
        let _ = fs::remove_dir_all(dir);
    }
}
