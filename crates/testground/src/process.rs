//! Background processes that outlive the command that started them, tracked by pid files.

use std::fs::{self, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// A process started in the background, its output appended to a log file and its PID
/// written to a pid file, so a later command (`... down`) can stop it.
#[derive(Debug, Clone)]
pub struct BackgroundProcess {
    /// The process id.
    pub pid: u32,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    /// Where its PID is recorded.
    pub pid_file: PathBuf,
}

impl BackgroundProcess {
    /// Spawns `cmd` detached in its own process group, stdout/stderr appended to `log`,
    /// and records the PID in `pid_file`.
    pub fn spawn(mut cmd: Command, log: &Path, pid_file: &Path) -> Result<Self> {
        for p in [log, pid_file] {
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).map_err(|source| Error::Io {
                    what: "creating a folder",
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
        }
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|source| Error::Io {
                what: "opening a log file",
                path: log.to_path_buf(),
                source,
            })?;
        let err = out.try_clone().map_err(|source| Error::Io {
            what: "opening a log file",
            path: log.to_path_buf(),
            source,
        })?;
        use std::os::unix::process::CommandExt;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd.spawn().map_err(|source| Error::Io {
            what: "starting a process",
            path: PathBuf::from(cmd.get_program()),
            source,
        })?;
        let pid = child.id();
        fs::write(pid_file, pid.to_string()).map_err(|source| Error::Io {
            what: "writing a pid file",
            path: pid_file.to_path_buf(),
            source,
        })?;
        // The child is deliberately not waited for: it outlives us. Reaping is left to init
        // once we exit; while we live it is at worst a zombie after it ends.
        std::mem::forget(child);
        Ok(Self {
            pid,
            log: log.to_path_buf(),
            pid_file: pid_file.to_path_buf(),
        })
    }

    /// Reads the PID recorded in `pid_file`, if the file exists and the process is alive.
    pub fn from_pid_file(pid_file: &Path, log: &Path) -> Option<Self> {
        let pid: u32 = fs::read_to_string(pid_file).ok()?.trim().parse().ok()?;
        pid_alive(pid).then(|| Self {
            pid,
            log: log.to_path_buf(),
            pid_file: pid_file.to_path_buf(),
        })
    }

    /// Whether the process still runs.
    pub fn alive(&self) -> bool {
        pid_alive(self.pid)
    }

    /// Stops the process (SIGTERM, SIGKILL after `grace`) and removes its pid file.
    pub fn stop(&self, grace: Duration) {
        stop_pid(self.pid, grace);
        let _ = fs::remove_file(&self.pid_file);
    }
}

/// Whether a process with this PID exists (and is not a zombie).
pub fn pid_alive(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state letter follows the parenthesised command name.
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    !matches!(
        state.and_then(|s| s.chars().next()),
        Some('Z') | Some('X') | None
    )
}

/// Sends SIGTERM to `pid` (and its process group), waits up to `grace`, then SIGKILLs.
pub fn stop_pid(pid: u32, grace: Duration) {
    let Ok(raw) = i32::try_from(pid) else { return };
    signal(raw, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !pid_alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(raw, libc::SIGKILL);
}

/// Sends SIGKILL to `pid` and its process group at once: a crash, as `kill -9` makes one.
pub fn kill_pid(pid: u32) {
    if let Ok(raw) = i32::try_from(pid) {
        signal(raw, libc::SIGKILL);
    }
}

fn signal(pid: i32, sig: i32) {
    // Sending a signal to a PID we recorded ourselves: there is no safe std API for it,
    // so we call `kill` through the `kill` binary to keep `unsafe_code` forbidden.
    let name = if sig == libc::SIGKILL {
        "-KILL"
    } else {
        "-TERM"
    };
    let _ = Command::new("kill")
        .args([name, "--", &format!("-{pid}"), &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|source| Error::Io {
        what: "binding a free port",
        path: PathBuf::from("127.0.0.1:0"),
        source,
    })?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|source| Error::Io {
            what: "reading a bound port",
            path: PathBuf::from("127.0.0.1:0"),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawned_process_is_tracked_and_stopped() {
        let dir = std::env::temp_dir().join(format!("testground-proc-{}", std::process::id()));
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let p = BackgroundProcess::spawn(cmd, &dir.join("log"), &dir.join("pid")).expect("spawn");
        assert!(p.alive());
        let again = BackgroundProcess::from_pid_file(&dir.join("pid"), &dir.join("log"))
            .expect("pid file names a live process");
        assert_eq!(again.pid, p.pid);
        p.stop(Duration::from_secs(2));
        assert!(!p.alive(), "process {} still alive after stop", p.pid);
        assert!(!dir.join("pid").exists());
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port().expect("port");
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).expect("still free");
    }
}
