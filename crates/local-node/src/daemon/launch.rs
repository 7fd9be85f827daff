//! Starting a container as a local process inside its pod's network namespace and a fresh
//! mount + UTS namespace, and watching it exit (does IO: processes, files).
//!
//! The chain `ip netns exec <ns> unshare --mount --uts -- /bin/sh start.sh <argv>` only
//! `exec`s, so the PID we get is the container's process (the JVM for Flink's foreground
//! scripts), and it leads its own process group.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;
use tokio::sync::Notify;

use crate::daemon::cmd;
use crate::daemon::spec::StartScript;
use crate::error::{Error, Result, io};
use crate::layout::{current_log, previous_log};

/// The PATH every container gets.
pub(crate) const PATH: &str =
    "/opt/flink/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The exit code reported when a process's status could not be observed (it was adopted
/// from an earlier daemon, which was its parent).
pub(crate) const UNKNOWN_EXIT: i32 = -1;

/// The per-start folders of a container: a fresh writable layer, `/tmp` and conf each time,
/// as a restarted container starts from its image again.
#[derive(Debug, Clone)]
pub(crate) struct RunDirs {
    pub upper: PathBuf,
    pub work: PathBuf,
    pub tmp: PathBuf,
    pub conf: PathBuf,
    pub host_view: PathBuf,
}

impl RunDirs {
    /// Empties and recreates the run folders of the container in `container_dir`.
    pub fn fresh(container_dir: &Path) -> Result<Self> {
        let run = container_dir.join("run");
        if run.exists() {
            std::fs::remove_dir_all(&run).map_err(io("clearing a container's run folder", &run))?;
        }
        let dirs = Self {
            upper: run.join("upper"),
            work: run.join("work"),
            tmp: run.join("tmp"),
            conf: run.join("conf"),
            host_view: PathBuf::from(super::spec::HOST_VIEW),
        };
        for d in [
            &dirs.upper,
            &dirs.work,
            &dirs.tmp,
            &dirs.conf,
            &dirs.host_view,
        ] {
            std::fs::create_dir_all(d).map_err(io("creating a container folder", d))?;
        }
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dirs.tmp, std::fs::Permissions::from_mode(0o1777));
        Ok(dirs)
    }
}

/// A container process and how it ended.
#[derive(Debug, Clone)]
pub(crate) struct Proc {
    pub pid: u32,
    pub start_ticks: u64,
    pub started_at: Timestamp,
    pub started: Instant,
    /// Set once the process ended: its exit code (128 + signal when killed), or
    /// [`UNKNOWN_EXIT`].
    pub exit: Arc<Mutex<Option<i32>>>,
}

impl Proc {
    /// The exit code, once ended.
    pub fn exited(&self) -> Option<i32> {
        self.exit.lock().ok().and_then(|e| *e)
    }
}

/// Starts a container: writes its script, rotates its log and spawns the chain.
pub(crate) fn spawn(
    netns: &str,
    container_dir: &Path,
    script: &StartScript,
    argv: &[String],
    env: &[(String, String)],
    notify: Arc<Notify>,
) -> Result<Proc> {
    let log = current_log(container_dir);
    if log.exists() {
        let _ = std::fs::rename(&log, previous_log(container_dir));
    }
    let script_path = container_dir.join("start.sh");
    std::fs::write(&script_path, script.render())
        .map_err(io("writing a start script", &script_path))?;
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(io("opening a container log", &log))?;
    let err = out
        .try_clone()
        .map_err(io("opening a container log", &log))?;
    let mut command = tokio::process::Command::new("ip");
    command
        .args([
            "netns",
            "exec",
            netns,
            "unshare",
            "--mount",
            "--uts",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
        ])
        .arg(&script_path)
        .args(argv)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .kill_on_drop(false);
    let mut child = command
        .spawn()
        .map_err(io("starting a container", &script_path))?;
    let pid = child.id().ok_or_else(|| Error::Command {
        command: format!("{argv:?}"),
        message: "exited before its PID was read".into(),
    })?;
    let start_ticks = cmd::start_ticks(pid).unwrap_or(0);
    let proc = Proc {
        pid,
        start_ticks,
        started_at: Timestamp::now(),
        started: Instant::now(),
        exit: Arc::new(Mutex::new(None)),
    };
    let exit = proc.exit.clone();
    tokio::spawn(async move {
        let code = match child.wait().await {
            Ok(status) => {
                use std::os::unix::process::ExitStatusExt;
                status
                    .code()
                    .or_else(|| status.signal().map(|s| 128 + s))
                    .unwrap_or(UNKNOWN_EXIT)
            }
            Err(_) => UNKNOWN_EXIT,
        };
        if let Ok(mut e) = exit.lock() {
            *e = Some(code);
        }
        notify.notify_one();
    });
    Ok(proc)
}

/// Watches a process an earlier daemon started (we are not its parent, so only its end is
/// seen, not its exit code).
pub(crate) fn adopt(
    pid: u32,
    start_ticks: u64,
    started_at: Timestamp,
    notify: Arc<Notify>,
) -> Proc {
    let proc = Proc {
        pid,
        start_ticks,
        started_at,
        started: Instant::now(),
        exit: Arc::new(Mutex::new(None)),
    };
    let exit = proc.exit.clone();
    tokio::spawn(async move {
        while cmd::same_process(pid, start_ticks) {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if let Ok(mut e) = exit.lock() {
            *e = Some(UNKNOWN_EXIT);
        }
        notify.notify_one();
    });
    proc
}

/// SIGTERM to the process group, SIGKILL after `grace` if it still runs; returns once it
/// ended (or 5 s after the SIGKILL).
pub(crate) async fn terminate(proc: &Proc, grace: Duration) {
    let gone = |p: &Proc| p.exited().is_some() || !cmd::same_process(p.pid, p.start_ticks);
    if gone(proc) {
        return;
    }
    cmd::signal_group(proc.pid, "TERM");
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if gone(proc) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cmd::signal_group(proc.pid, "KILL");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && !gone(proc) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
