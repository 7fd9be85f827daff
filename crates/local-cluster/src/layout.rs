//! Where a stack keeps its files inside its state folder (no IO).

use std::path::{Path, PathBuf};

use crate::components::Component;

/// The files of one stack, all inside one folder.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The state folder.
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The admin kubeconfig.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// The record of the running stack (ports, binary).
    pub fn record(&self) -> PathBuf {
        self.dir.join("cluster.json")
    }

    /// Certificates and keys.
    pub fn pki(&self) -> PathBuf {
        self.dir.join("pki")
    }

    /// A file in the pki folder.
    pub fn pki_file(&self, name: &str) -> PathBuf {
        self.pki().join(name)
    }

    /// etcd's data folder.
    pub fn etcd_data(&self) -> PathBuf {
        self.dir.join("etcd-data")
    }

    /// The controller-manager's flex-volume plugin folder (it creates one under /usr/libexec
    /// unless told otherwise).
    pub fn flex_volume_dir(&self) -> PathBuf {
        self.dir.join("flexvolume")
    }

    /// Where kubectl may keep its discovery cache (`KUBECACHEDIR`).
    pub fn kubectl_cache(&self) -> PathBuf {
        self.dir.join("kubectl-cache")
    }

    /// A component's log file.
    pub fn log(&self, c: Component) -> PathBuf {
        self.dir.join(format!("{}.log", c.name()))
    }

    /// A component's pid file.
    pub fn pid_file(&self, c: Component) -> PathBuf {
        self.dir.join(format!("{}.pid", c.name()))
    }

    /// The lock that serializes starting and stopping this stack. It lives beside the
    /// folder because `down` removes the folder.
    pub fn lock_file(&self) -> PathBuf {
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "cluster".into());
        self.dir
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!(".{name}.lock"))
    }
}
