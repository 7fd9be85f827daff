//! Waiting for components to become ready while watching that they still run (does IO:
//! reads logs, checks processes).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testground::BackgroundProcess;

use crate::components::Component;
use crate::error::{Error, Result};

/// The last `lines` lines of a log file (empty if it cannot be read).
pub(crate) fn tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Polls `probe` until it returns `Some`, failing early with the component's log tail if
/// the process exits, or with a timeout naming `what`.
pub(crate) async fn until_ready<T, F, Fut>(
    what: &str,
    component: Component,
    process: &BackgroundProcess,
    logs: &Path,
    timeout: Duration,
    mut probe: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return Ok(v);
        }
        if !process.alive() {
            return Err(Error::Exited {
                component: component.name(),
                tail: tail(&process.log, 30),
                log: process.log.clone(),
            });
        }
        if start.elapsed() >= timeout {
            return Err(Error::Timeout {
                what: what.to_string(),
                secs: start.elapsed().as_secs_f64(),
                logs: PathBuf::from(logs),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let f = std::env::temp_dir().join(format!("local-cluster-tail-{}", std::process::id()));
        std::fs::write(&f, "a\nb\nc\n").expect("write");
        assert_eq!(tail(&f, 2), "b\nc");
        assert_eq!(tail(&f, 10), "a\nb\nc");
        let _ = std::fs::remove_file(f);
    }
}
