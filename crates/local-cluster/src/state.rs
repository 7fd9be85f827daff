//! The record a running stack leaves in its folder: ports and binary (does IO: reads and
//! writes `cluster.json`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io};

/// The ports of one stack, all on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    /// etcd's client port (plain HTTP).
    pub etcd_client: u16,
    /// etcd's peer port.
    pub etcd_peer: u16,
    /// kube-apiserver's HTTPS port.
    pub apiserver: u16,
    /// kube-controller-manager's HTTPS port (health and metrics).
    pub controller_manager: u16,
}

impl Ports {
    /// Four distinct ports that were free a moment ago.
    pub(crate) fn free() -> Result<Self> {
        let mut got: Vec<u16> = Vec::with_capacity(4);
        while got.len() < 4 {
            let p = testground::free_port()?;
            if !got.contains(&p) {
                got.push(p);
            }
        }
        Ok(Self {
            etcd_client: got[0],
            etcd_peer: got[1],
            apiserver: got[2],
            controller_manager: got[3],
        })
    }
}

/// What `cluster.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    /// The ports the stack listens on.
    pub ports: Ports,
    /// The binary the stack runs (a changed binary means the stack is stale).
    pub binary: PathBuf,
}

impl Record {
    pub fn read(path: &Path) -> Result<Option<Self>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("reading the cluster record", path)(e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::State {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::State {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(io("writing the cluster record", path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct() {
        let p = Ports::free().expect("ports");
        let mut all = vec![
            p.etcd_client,
            p.etcd_peer,
            p.apiserver,
            p.controller_manager,
        ];
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 4, "{p:?}");
    }

    #[test]
    fn the_record_round_trips() {
        let f = std::env::temp_dir().join(format!("local-cluster-record-{}", std::process::id()));
        let r = Record {
            ports: Ports::free().expect("ports"),
            binary: PathBuf::from("/x/controlplane"),
        };
        r.write(&f).expect("write");
        assert_eq!(Record::read(&f).expect("read"), Some(r));
        let _ = std::fs::remove_file(&f);
        assert_eq!(Record::read(&f).expect("read"), None);
    }
}
