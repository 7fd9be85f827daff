//! Pod networking: one network namespace, veth pair and 10.244.0.0/16 address per pod
//! (does IO: runs `ip`, writes `/proc/sys`).
//!
//! Every host end of a veth pair carries the same address, 10.244.0.1/32, and a host route
//! `<podIP>/32 dev <host end>`; inside the pod: `lo` up, `<podIP>/32` on `eth0`, a route to
//! 10.244.0.1 on it and `10.244.0.0/16 via 10.244.0.1`. The host reaches every pod and pods
//! reach each other through the host (IP forwarding on). Deleting the namespace removes
//! the pair and the route.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::daemon::cmd;
use crate::error::{Error, Result};

/// The host side's address on every veth pair.
pub(crate) const HOST_ADDR: Ipv4Addr = Ipv4Addr::new(10, 244, 0, 1);
/// Network namespaces the node creates are named `lnode-<first 8 hex of the pod UID>`.
pub(crate) const NETNS_PREFIX: &str = "lnode-";

/// The network of one pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PodNet {
    /// The network namespace (`ip netns` name).
    pub netns: String,
    /// The host end of the veth pair.
    pub host_veth: String,
    /// The pod's address.
    pub ip: Ipv4Addr,
}

impl PodNet {
    /// Names derived from the pod UID (interface names have at most 15 characters).
    pub fn for_pod(uid: &str, ip: Ipv4Addr) -> Self {
        let short: String = uid.chars().filter(|c| *c != '-').take(10).collect();
        Self {
            netns: format!("{NETNS_PREFIX}{short}"),
            host_veth: format!("lnv{short}"),
            ip,
        }
    }

    fn peer(&self) -> String {
        format!("lnp{}", &self.host_veth[3..])
    }

    /// Creates the namespace, the pair, the addresses and routes (removing a half-made
    /// leftover of the same name first).
    pub async fn create(&self) -> Result<()> {
        let _ = delete_netns(&self.netns).await;
        let _ = cmd::run("ip", &["link", "del", &self.host_veth]).await;
        let ip32 = format!("{}/32", self.ip);
        let host32 = format!("{HOST_ADDR}/32");
        let peer = self.peer();
        let ns = self.netns.as_str();
        let steps: Vec<Vec<&str>> = vec![
            vec!["netns", "add", ns],
            vec![
                "link",
                "add",
                &self.host_veth,
                "type",
                "veth",
                "peer",
                "name",
                &peer,
            ],
            vec!["link", "set", &peer, "netns", ns],
            vec!["-n", ns, "link", "set", &peer, "name", "eth0"],
            vec!["-n", ns, "addr", "add", &ip32, "dev", "eth0"],
            vec!["-n", ns, "link", "set", "eth0", "up"],
            vec!["-n", ns, "link", "set", "lo", "up"],
            vec!["addr", "add", &host32, "dev", &self.host_veth],
            vec!["link", "set", &self.host_veth, "up"],
            vec!["route", "replace", &ip32, "dev", &self.host_veth],
            vec!["-n", ns, "route", "add", &host32, "dev", "eth0"],
            vec![
                "-n",
                ns,
                "route",
                "add",
                "10.244.0.0/16",
                "via",
                "10.244.0.1",
            ],
        ];
        for args in steps {
            if let Err(e) = cmd::run("ip", &args).await {
                let _ = self.delete().await;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Removes the namespace (and with it the pair and the host route).
    pub async fn delete(&self) -> Result<()> {
        delete_netns(&self.netns).await?;
        let _ = cmd::run("ip", &["link", "del", &self.host_veth]).await;
        Ok(())
    }
}

async fn delete_netns(name: &str) -> Result<()> {
    if !std::path::Path::new("/var/run/netns").join(name).exists() {
        return Ok(());
    }
    cmd::run("ip", &["netns", "del", name]).await.map(|_| ())
}

/// The network namespaces this node (or an earlier run of it) created.
pub(crate) fn our_namespaces() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/var/run/netns") else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(NETNS_PREFIX))
        .collect();
    out.sort();
    out
}

/// The PIDs of every process inside network namespace `name`.
pub(crate) fn pids_in(name: &str) -> Vec<u32> {
    cmd::run_blocking("ip", &["netns", "pids", name])
        .map(|out| {
            out.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Removes a namespace without a runtime (cleanup paths).
pub(crate) fn delete_netns_blocking(name: &str) {
    let _ = cmd::run_blocking("ip", &["netns", "del", name]);
}

/// Turns on IPv4 forwarding, so pods reach each other through the host.
pub(crate) fn enable_forwarding() -> Result<()> {
    let path = "/proc/sys/net/ipv4/ip_forward";
    if std::fs::read_to_string(path).is_ok_and(|s| s.trim() == "1") {
        return Ok(());
    }
    std::fs::write(path, "1").map_err(crate::error::io("enabling IPv4 forwarding", path))
}

/// Hands out pod addresses from 10.244.0.2 to 10.244.255.254, cycling forward so a freed
/// address is not reused at once (stale hosts entries then point nowhere rather than at
/// another pod).
#[derive(Debug, Default)]
pub(crate) struct Ipam {
    used: BTreeSet<u32>,
    last: u32,
}

const FIRST: u32 = u32::from_be_bytes([10, 244, 0, 2]);
const LAST: u32 = u32::from_be_bytes([10, 244, 255, 254]);

impl Ipam {
    /// Continues handing out addresses after `last` (the last one an earlier daemon gave).
    pub fn resume_after(&mut self, last: Ipv4Addr) {
        self.last = u32::from(last);
    }

    /// Marks an address (of an adopted pod) as taken.
    pub fn reserve(&mut self, ip: Ipv4Addr) {
        self.used.insert(u32::from(ip));
    }

    /// The next free address.
    pub fn allocate(&mut self) -> Result<Ipv4Addr> {
        let span = LAST - FIRST + 1;
        let start = if self.last < FIRST {
            FIRST
        } else {
            self.last + 1
        };
        for i in 0..span {
            let candidate = FIRST + (start - FIRST + i) % span;
            if !self.used.contains(&candidate) {
                self.used.insert(candidate);
                self.last = candidate;
                return Ok(Ipv4Addr::from(candidate));
            }
        }
        Err(Error::AddressesExhausted)
    }

    /// Returns an address to the pool.
    pub fn release(&mut self, ip: Ipv4Addr) {
        self.used.remove(&u32::from(ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_cycle_and_skip_reserved_ones() {
        let mut ipam = Ipam::default();
        ipam.reserve(Ipv4Addr::new(10, 244, 0, 3));
        let a = ipam.allocate().expect("a");
        let b = ipam.allocate().expect("b");
        assert_eq!(a, Ipv4Addr::new(10, 244, 0, 2));
        assert_eq!(b, Ipv4Addr::new(10, 244, 0, 4));
        ipam.release(a);
        assert_eq!(ipam.allocate().expect("c"), Ipv4Addr::new(10, 244, 0, 5));
    }

    #[test]
    fn names_fit_interface_limits() {
        let net = PodNet::for_pod(
            "0f3c2a1b-9d8e-4f00-aaaa-bbbbccccdddd",
            Ipv4Addr::new(10, 244, 0, 9),
        );
        assert_eq!(net.netns, "lnode-0f3c2a1b9d");
        assert!(net.host_veth.len() <= 15 && net.peer().len() <= 15);
    }
}
