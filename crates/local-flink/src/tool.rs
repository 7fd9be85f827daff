//! Running the external tools the harness needs (pip, python, tar, javac, jar) with their
//! output kept for the error message (does IO: processes).

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::error::io;
use crate::{Error, Result};

/// Starts `cmd` with stdout and stderr written to `log`.
pub(crate) fn spawn_logged(mut cmd: Command, log: &Path) -> Result<Child> {
    let out = std::fs::File::create(log).map_err(io("creating a log file", log))?;
    let err = out.try_clone().map_err(io("creating a log file", log))?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    cmd.spawn().map_err(|e| Error::Tool {
        command: describe(&cmd),
        status: format!("could not start: {e}"),
        output: String::new(),
    })
}

/// Runs `cmd` to completion with its output in `log`; fails with the log's tail.
pub(crate) fn run_logged(cmd: Command, log: &Path) -> Result<()> {
    let command = describe(&cmd);
    let mut child = spawn_logged(cmd, log)?;
    let status = child.wait().map_err(io("waiting for a tool", log))?;
    check(status, command, log)
}

/// Turns a finished tool's exit status into a result carrying the log's tail.
pub(crate) fn check(status: std::process::ExitStatus, command: String, log: &Path) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    Err(Error::Tool {
        command,
        status: status.to_string(),
        output: tail(log, 30),
    })
}

/// The last `lines` lines of a text file (empty when unreadable).
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The command line, shortened for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
        if s.len() > 300 {
            s.push_str(" ...");
            break;
        }
    }
    s
}
