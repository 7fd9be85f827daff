//! Stopping what pods left behind without the API: their processes (by pid file and by
//! network namespace) and their namespaces (does IO: signals, `ip`).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::daemon::cmd;
use crate::daemon::net;
use crate::daemon::record::{self, PodRecord};

/// What a cleanup stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Processes signalled.
    pub processes: usize,
    /// Network namespaces removed.
    pub namespaces: usize,
}

/// Stops one pod's processes (SIGTERM, SIGKILL after `grace`) and removes its namespace.
pub(crate) fn stop_pod(r: &PodRecord, grace: Duration) -> Cleaned {
    let mut pids: Vec<u32> = r
        .processes
        .values()
        .filter(|p| cmd::same_process(p.pid, p.start_ticks))
        .map(|p| p.pid)
        .collect();
    if let Some(n) = &r.net {
        pids.extend(net::pids_in(&n.netns));
    }
    pids.sort_unstable();
    pids.dedup();
    stop_pids(&pids, grace);
    let mut namespaces = 0;
    if let Some(n) = &r.net
        && Path::new("/var/run/netns").join(&n.netns).exists()
    {
        net::delete_netns_blocking(&n.netns);
        namespaces = 1;
    }
    Cleaned {
        processes: pids.len(),
        namespaces,
    }
}

fn stop_pids(pids: &[u32], grace: Duration) {
    for pid in pids {
        cmd::signal_group(*pid, "TERM");
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && pids.iter().any(|p| testground::pid_alive(*p)) {
        std::thread::sleep(Duration::from_millis(100));
    }
    for pid in pids.iter().filter(|p| testground::pid_alive(**p)) {
        cmd::signal_group(*pid, "KILL");
    }
}

/// Stops every pod process and removes every network namespace this node created (also
/// ones without a record), then removes the pod folders under `pods_dir`.
pub fn stop_everything(pods_dir: &Path, grace: Duration) -> Cleaned {
    let mut total = Cleaned::default();
    let records = record::read_all(pods_dir);
    let mut pids: Vec<u32> = Vec::new();
    for r in records.values() {
        pids.extend(
            r.processes
                .values()
                .filter(|p| cmd::same_process(p.pid, p.start_ticks))
                .map(|p| p.pid),
        );
    }
    let namespaces = net::our_namespaces();
    for ns in &namespaces {
        pids.extend(net::pids_in(ns));
    }
    pids.sort_unstable();
    pids.dedup();
    stop_pids(&pids, grace);
    total.processes = pids.len();
    for ns in &namespaces {
        net::delete_netns_blocking(ns);
    }
    total.namespaces = namespaces.len();
    let _ = std::fs::remove_dir_all(pods_dir);
    total
}
