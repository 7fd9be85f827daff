//! Running the host tools the node drives (`ip`, `kill`, `nsenter`) and reading `/proc`
//! (does IO).

use std::process::Stdio;

use crate::error::{Error, Result};

/// Runs `program args...`, failing with its stderr when it exits non-zero.
pub(crate) async fn run(program: &str, args: &[&str]) -> Result<String> {
    let out = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| Error::Command {
            command: format!("{program} {}", args.join(" ")),
            message: e.to_string(),
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::Command {
            command: format!("{program} {}", args.join(" ")),
            message: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        })
    }
}

/// Like [`run`], blocking (for cleanup paths without a runtime).
pub(crate) fn run_blocking(program: &str, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Command {
            command: format!("{program} {}", args.join(" ")),
            message: e.to_string(),
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::Command {
            command: format!("{program} {}", args.join(" ")),
            message: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        })
    }
}

/// Sends `signal` (`TERM`, `KILL`) to the process group `pid` leads and to `pid` itself.
/// Every container process leads its own group, so this reaches anything it forked.
pub(crate) fn signal_group(pid: u32, signal: &str) {
    // No safe std API sends signals and `unsafe_code` is forbidden: use the `kill` tool.
    let _ = std::process::Command::new("kill")
        .args([
            &format!("-{signal}"),
            "--",
            &format!("-{pid}"),
            &pid.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The start time of `pid` in clock ticks since boot (field 22 of `/proc/<pid>/stat`), to
/// tell a recorded process from a later one that reuses its PID. `None` when it is gone or
/// a zombie.
pub(crate) fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    // `rest` starts at field 3 (state); field 22 is 19 further on.
    fields.nth(18)?.parse().ok()
}

/// Whether `pid` is alive and is the process that started at `ticks`.
pub(crate) fn same_process(pid: u32, ticks: u64) -> bool {
    start_ticks(pid) == Some(ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_start_ticks_are_stable() {
        let me = std::process::id();
        let t = start_ticks(me).expect("own stat");
        assert!(same_process(me, t));
        assert!(!same_process(me, t + 1));
    }
}
