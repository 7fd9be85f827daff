//! Assembling a FLINK_HOME from PyPI packages in the per-user cache (does IO: network through
//! pip, files, processes).
//!
//! Maven Central does not serve `flink-dist`, but PyPI does: `apache-flink-libraries` holds
//! `lib/`, `opt/`, `plugins/` and `bin/bash-java-utils.jar` (an sdist for 1.20, a wheel for
//! 2.x), and the `apache-flink` wheel holds the scripts (`pyflink/bin`) and `pyflink/conf`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::io;
use crate::tool::{check, describe, run_logged, spawn_logged};
use crate::{Error, FlinkVersion, Result};

/// Where the FLINK_HOME of `version` lives (or will): `<cache>/flink/<exact version>`.
pub fn distribution_dir(version: FlinkVersion) -> PathBuf {
    flink_cache().join(version.exact())
}

fn flink_cache() -> PathBuf {
    testground::cache_dir().join("flink")
}

/// Returns the FLINK_HOME of `version`, downloading and assembling it first if the cache does
/// not hold it yet. Assembly happens in a temporary folder renamed into place at the end, so
/// an interrupted run leaves nothing half-made; concurrent callers wait for each other.
pub fn ensure_distribution(version: FlinkVersion) -> Result<PathBuf> {
    let home = distribution_dir(version);
    if is_complete(&home, version) {
        return Ok(home);
    }
    let root = flink_cache();
    std::fs::create_dir_all(&root).map_err(io("creating the Flink cache", &root))?;
    let _lock = Lock::acquire(&root.join(format!(".lock-{}", version.exact())))?;
    if is_complete(&home, version) {
        return Ok(home);
    }
    let downloads = root.join("downloads").join(version.exact());
    download(version, &downloads)?;
    let work = root.join(format!(
        ".assemble-{}-{}",
        version.exact(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&work);
    let assembled = match assemble(version, &downloads, &work) {
        Ok(home) => home,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&work);
            return Err(e);
        }
    };
    if home.exists() {
        // An incomplete leftover of an older layout: replace it.
        std::fs::remove_dir_all(&home).map_err(io("removing an incomplete FLINK_HOME", &home))?;
    }
    std::fs::rename(&assembled, &home).map_err(io("moving the FLINK_HOME into place", &home))?;
    let _ = std::fs::remove_dir_all(&work);
    // The packages are only needed to assemble; the FLINK_HOME is what is kept.
    let _ = std::fs::remove_dir_all(&downloads);
    Ok(home)
}

fn is_complete(home: &Path, version: FlinkVersion) -> bool {
    home.join("lib")
        .join(format!("flink-dist-{}.jar", version.exact()))
        .is_file()
        && home.join("bin/jobmanager.sh").is_file()
        && home.join("bin/bash-java-utils.jar").is_file()
        && home.join("conf/log4j-console.properties").is_file()
}

/// Downloads both packages into `dest` with `pip download --no-deps`, showing one progress
/// line (bytes so far) on stderr. Files pip finds already in `dest` are not fetched again.
fn download(version: FlinkVersion, dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest).map_err(io("creating the download folder", dest))?;
    let pip_tmp = dest.join(".pip-tmp");
    std::fs::create_dir_all(&pip_tmp).map_err(io("creating pip's temp folder", &pip_tmp))?;
    let v = version.exact();
    let libraries = pip(dest, &pip_tmp, &[&format!("apache-flink-libraries=={v}")]);
    // The scripts and conf are the same on every platform; pin one wheel so the download does
    // not depend on the local Python's version or CPU.
    let scripts = pip(
        dest,
        &pip_tmp,
        &[
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_x86_64",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--abi",
            "cp311",
            &format!("apache-flink=={v}"),
        ],
    );
    let started = Instant::now();
    let mut stderr = std::io::stderr();
    // On a terminal one line is redrawn; in a log (CI) a line every 10 s.
    let tty = std::io::IsTerminal::is_terminal(&stderr);
    let mut last_line = Instant::now();
    for (what, cmd) in [
        ("apache-flink-libraries", libraries),
        ("apache-flink", scripts),
    ] {
        let log = dest.join(format!("pip-{what}.log"));
        let command = describe(&cmd);
        let mut child = spawn_logged(cmd, &log)?;
        let status = loop {
            if let Some(status) = child.try_wait().map_err(io("waiting for pip", &log))? {
                break status;
            }
            if tty || last_line.elapsed() >= Duration::from_secs(10) {
                let mb = dir_size(dest) as f64 / 1e6;
                let secs = started.elapsed().as_secs_f64();
                let line =
                    format!("fetching Flink {v} from PyPI: {what} … {mb:.0} MB, {secs:.0} s");
                let _ = if tty {
                    write!(stderr, "\r{line}   ")
                } else {
                    writeln!(stderr, "{line}")
                };
                let _ = stderr.flush();
                last_line = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        check(status, command, &log)?;
    }
    let _ = writeln!(
        stderr,
        "{}fetched Flink {v} from PyPI: {:.0} MB in {:.0} s                         ",
        if tty { "\r" } else { "" },
        dir_size(dest) as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&pip_tmp);
    Ok(())
}

fn pip(dest: &Path, tmp: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(python());
    cmd.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--progress-bar",
        "off",
        "--disable-pip-version-check",
        "-d",
    ])
    .arg(dest)
    .args(args)
    // pip downloads into TMPDIR first: keeping it under `dest` lets the progress line count it.
    .env("TMPDIR", tmp);
    cmd
}

fn python() -> String {
    std::env::var("FLINK_OPERATOR_RS_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Unpacks the packages under `work` and arranges a FLINK_HOME at `work/home`.
fn assemble(version: FlinkVersion, downloads: &Path, work: &Path) -> Result<PathBuf> {
    let v = version.exact();
    let libs_dir = work.join("libraries");
    let scripts_dir = work.join("scripts");
    let home = work.join("home");
    for d in [&libs_dir, &scripts_dir, &home] {
        std::fs::create_dir_all(d).map_err(io("creating an assembly folder", d))?;
    }
    let libraries = find_package(downloads, "apache_flink_libraries-", version)?;
    let scripts = find_package(downloads, "apache_flink-", version)?;

    let jar_root = if libraries.to_string_lossy().ends_with(".tar.gz") {
        let mut tar = Command::new("tar");
        tar.arg("-xzf").arg(&libraries).arg("-C").arg(&libs_dir);
        run_logged(tar, &work.join("tar.log"))?;
        // The sdist's top folder is spelled `apache-flink-libraries-V` or
        // `apache_flink_libraries-V` depending on the setuptools that built it.
        let entries =
            std::fs::read_dir(&libs_dir).map_err(io("reading the unpacked sdist", &libs_dir))?;
        entries
            .flatten()
            .map(|e| e.path().join("deps"))
            .find(|p| p.is_dir())
            .ok_or_else(|| Error::Incomplete {
                version: v,
                missing: "deps/ in the apache-flink-libraries sdist".into(),
            })?
    } else {
        unzip(&libraries, &libs_dir, &work.join("unzip-libraries.log"))?;
        libs_dir.join("pyflink")
    };
    unzip(&scripts, &scripts_dir, &work.join("unzip-scripts.log"))?;
    let script_root = scripts_dir.join("pyflink");

    for (from, to) in [
        (jar_root.join("lib"), home.join("lib")),
        (jar_root.join("opt"), home.join("opt")),
        (jar_root.join("plugins"), home.join("plugins")),
        (jar_root.join("bin"), home.join("bin")),
        (script_root.join("conf"), home.join("conf")),
    ] {
        if !from.is_dir() {
            return Err(Error::Incomplete {
                version: v,
                missing: from.display().to_string(),
            });
        }
        std::fs::rename(&from, &to).map_err(io("moving a distribution folder", &from))?;
    }
    if let Some(lic) = Some(jar_root.join("licenses")).filter(|p| p.is_dir()) {
        let _ = std::fs::rename(lic, home.join("licenses"));
    }
    let bin_src = script_root.join("bin");
    let entries = std::fs::read_dir(&bin_src).map_err(io("reading the scripts", &bin_src))?;
    for entry in entries {
        let entry = entry.map_err(io("reading the scripts", &bin_src))?;
        let target = home.join("bin").join(entry.file_name());
        if !target.exists() {
            std::fs::rename(entry.path(), &target).map_err(io("moving a script", &target))?;
        }
        set_executable(&target)?;
    }
    if !is_complete(&home, version) {
        return Err(Error::Incomplete {
            version: v,
            missing: "lib/flink-dist, bin/jobmanager.sh or conf/".into(),
        });
    }
    Ok(home)
}

fn unzip(archive: &Path, dest: &Path, log: &Path) -> Result<()> {
    // Python is already required for pip; its zipfile module saves depending on `unzip`.
    let mut cmd = Command::new(python());
    cmd.args(["-m", "zipfile", "-e"]).arg(archive).arg(dest);
    run_logged(cmd, log)
}

fn find_package(dir: &Path, prefix: &str, version: FlinkVersion) -> Result<PathBuf> {
    let wanted = format!("{prefix}{}", version.exact());
    let entries = std::fs::read_dir(dir).map_err(io("reading the download folder", dir))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rest = name.strip_prefix(&wanted);
        if rest.is_some_and(|r| r.starts_with('-') || r.starts_with('.')) {
            return Ok(entry.path());
        }
    }
    Err(Error::Incomplete {
        version: version.exact(),
        missing: format!("{wanted}* in {}", dir.display()),
    })
}

fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(io("making a script executable", path))
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// A lock file holding our PID; a lock whose holder died is taken over.
struct Lock(PathBuf);

impl Lock {
    fn acquire(path: &Path) -> Result<Self> {
        let mut announced = false;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut f) => {
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(Lock(path.to_path_buf()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(path)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    if holder.is_some_and(|pid| !testground::pid_alive(pid)) {
                        let _ = std::fs::remove_file(path);
                        continue;
                    }
                    if !announced {
                        eprintln!(
                            "waiting for another process assembling Flink ({})",
                            path.display()
                        );
                        announced = true;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => return Err(io("taking the assembly lock", path)(e)),
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
