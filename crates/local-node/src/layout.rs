//! Where one node keeps its files inside its state folder (no IO).

use std::path::{Path, PathBuf};

/// The files of one node, all inside one folder.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The state folder.
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The daemon's pid file.
    pub fn pid_file(&self) -> PathBuf {
        self.dir.join("local-node.pid")
    }

    /// The daemon's log.
    pub fn log(&self) -> PathBuf {
        self.dir.join("local-node.log")
    }

    /// What the running daemon was started with (`node.json`).
    pub fn record(&self) -> PathBuf {
        self.dir.join("node.json")
    }

    /// Written by the daemon (its PID) once the Node is registered and old pods are adopted.
    pub fn ready_file(&self) -> PathBuf {
        self.dir.join("ready")
    }

    /// Serializes starting and stopping the daemon.
    pub fn lock_file(&self) -> PathBuf {
        self.dir.join(".lock")
    }

    /// The last pod address handed out.
    pub fn last_ip(&self) -> PathBuf {
        self.dir.join("last-ip")
    }

    /// One folder per pod, named by the pod's UID.
    pub fn pods(&self) -> PathBuf {
        self.dir.join("pods")
    }

    /// The folder of the pod with this UID.
    pub fn pod(&self, uid: &str) -> PathBuf {
        self.pods().join(uid)
    }

    /// Where a removed pod's container logs are kept (`logs/<namespace>/<pod>/<container>/`):
    /// a test that failed after its cluster was deleted can still be read.
    pub fn kept_logs(&self, namespace: &str, pod: &str) -> PathBuf {
        self.dir.join("logs").join(namespace).join(pod)
    }
}

/// The files of one pod inside its folder.
#[derive(Debug, Clone)]
pub(crate) struct PodLayout {
    pub dir: PathBuf,
}

impl PodLayout {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The record of the pod's network and processes (`pod.json`).
    pub fn record(&self) -> PathBuf {
        self.dir.join("pod.json")
    }

    /// The pod's hosts file (`-Djdk.net.hosts.file`).
    pub fn hosts(&self) -> PathBuf {
        self.dir.join("hosts")
    }

    /// A volume's folder (ConfigMap, Secret, emptyDir).
    pub fn volume(&self, name: &str) -> PathBuf {
        self.dir.join("volumes").join(name)
    }

    /// A container's folder.
    pub fn container(&self, name: &str) -> PathBuf {
        container_dir(&self.dir, name)
    }
}

/// A container's folder inside a pod folder.
pub(crate) fn container_dir(pod_dir: &Path, name: &str) -> PathBuf {
    pod_dir.join("containers").join(name)
}

/// The log of a container's current run.
pub(crate) fn current_log(container_dir: &Path) -> PathBuf {
    container_dir.join("current.log")
}

/// The log of a container's previous run.
pub(crate) fn previous_log(container_dir: &Path) -> PathBuf {
    container_dir.join("previous.log")
}
