//! The record a pod leaves in its folder (`pod.json`): its network and the processes it
//! runs, so a restarted daemon can adopt them and `node down` can stop them (does IO).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::daemon::net::PodNet;
use crate::error::{Error, Result, io};

/// What the node knows about one pod outside the API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PodRecord {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// The pod's UID.
    pub uid: String,
    /// Its network, once made.
    pub net: Option<PodNet>,
    /// Running processes by container name.
    #[serde(default)]
    pub processes: BTreeMap<String, ProcessRecord>,
}

/// One running container process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ProcessRecord {
    /// Its PID (also its process group).
    pub pid: u32,
    /// Its start time in clock ticks since boot (guards against PID reuse).
    pub start_ticks: u64,
    /// When it started (RFC 3339).
    pub started_at: String,
}

impl PodRecord {
    /// Reads a record; `None` when the file is missing.
    pub fn read(path: &Path) -> Result<Option<Self>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::State {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("reading a pod record", path)(e)),
        }
    }

    /// Writes the record (atomically: a temporary file renamed into place).
    pub fn write(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::State {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        std::fs::write(&tmp, text).map_err(io("writing a pod record", &tmp))?;
        std::fs::rename(&tmp, path).map_err(io("writing a pod record", path))
    }
}

/// Every record under `pods_dir`, keyed by UID; unreadable ones are skipped.
pub(crate) fn read_all(pods_dir: &Path) -> BTreeMap<String, PodRecord> {
    let Ok(entries) = std::fs::read_dir(pods_dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| PodRecord::read(&e.path().join("pod.json")).ok().flatten())
        .map(|r| (r.uid.clone(), r))
        .collect()
}
