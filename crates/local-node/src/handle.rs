//! Starting, attaching to, inspecting and stopping the node daemon of a control plane (does
//! IO: processes, files, `cargo build`).

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use local_cluster::LocalCluster;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use testground::BackgroundProcess;
use tokio::sync::OnceCell;

use crate::daemon::cleanup::{self, Cleaned};
use crate::daemon::record;
use crate::error::{Error, Result, io};
use crate::layout::Layout;

/// The Node's name.
pub const NODE_NAME: &str = "local-node";
/// How long the daemon gets to stop after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long pod processes get to stop on `down` after SIGTERM.
const POD_GRACE: Duration = Duration::from_secs(10);
/// How long a new daemon gets to register and adopt old pods.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The node's state folder: `target/testground/node/`.
pub fn default_dir() -> PathBuf {
    testground::state_dir().join("node")
}

/// What the running daemon was started with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StartRecord {
    kubeconfig: PathBuf,
    apiserver: String,
    /// A hash of the local-node crate's sources the daemon was built from.
    source: String,
}

/// A running node daemon serving one control plane.
#[derive(Debug, Clone)]
pub struct NodeHandle {
    dir: PathBuf,
    pid: u32,
    started: bool,
}

/// The node shared by every test of a test binary: the shared control plane
/// ([`local_cluster::shared`]) and a node daemon for it, attached to if one runs with the
/// current binary, else (re)started. The daemon is built with
/// `testground::cargo_bin("local-node", "local-node")` and left running for the next test
/// binary (`cargo xtask node down` stops it and every pod process).
pub async fn shared() -> Result<&'static NodeHandle> {
    // One value per test binary is the point of this function; it holds no connections.
    static SHARED: OnceCell<NodeHandle> = OnceCell::const_new();
    SHARED
        .get_or_try_init(|| async {
            let cluster = local_cluster::shared().await?;
            NodeHandle::start(cluster).await
        })
        .await
}

/// A hash of this crate's sources (`Cargo.toml`, `src/**`). A running daemon built from the
/// same sources is reused: the binary's bytes and mtime change with every workspace-wide
/// build (features unify differently), its behaviour does not.
pub(crate) fn source_fingerprint() -> String {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("Cargo.toml")];
    walk(&root.join("src"), &mut files);
    files.sort();
    let mut hash = Sha256::new();
    for f in files {
        hash.update(
            f.strip_prefix(&root)
                .unwrap_or(&f)
                .to_string_lossy()
                .as_bytes(),
        );
        hash.update(std::fs::read(&f).unwrap_or_default());
    }
    hex::encode(hash.finalize())
}

fn wanted(cluster: &LocalCluster) -> StartRecord {
    StartRecord {
        kubeconfig: cluster.kubeconfig_path(),
        apiserver: cluster.apiserver_url(),
        source: source_fingerprint(),
    }
}

/// The daemon running in `layout` if it is ready and was started as `wanted`.
fn running_as(layout: &Layout, wanted: &StartRecord) -> Option<u32> {
    let p = BackgroundProcess::from_pid_file(&layout.pid_file(), &layout.log())?;
    let ready = std::fs::read_to_string(layout.ready_file()).ok()?;
    let recorded: StartRecord =
        serde_json::from_slice(&std::fs::read(layout.record()).ok()?).ok()?;
    (ready.trim() == p.pid.to_string() && recorded == *wanted).then_some(p.pid)
}

impl NodeHandle {
    /// Attaches to the daemon serving `cluster` if it was built from the current sources of
    /// this crate (no build then), else builds the binary (`cargo build -p local-node --bin
    /// local-node`), stops any old daemon (its pods are adopted) and starts one. Waits until
    /// the Node is registered and old pods are adopted.
    pub async fn start(cluster: &LocalCluster) -> Result<Self> {
        // Fast path without a `cargo build`: the right daemon already runs.
        let dir = default_dir();
        if let Some(pid) = running_as(&Layout::new(&dir), &wanted(cluster)) {
            return Ok(Self {
                dir,
                pid,
                started: false,
            });
        }
        let binary =
            tokio::task::spawn_blocking(|| testground::cargo_bin("local-node", "local-node"))
                .await
                .map_err(|e| Error::Io {
                    what: "building the local-node binary",
                    path: PathBuf::new(),
                    source: std::io::Error::other(e),
                })??;
        Self::start_with(cluster, &binary, &default_dir()).await
    }

    /// Like [`NodeHandle::start`] with an explicit daemon binary and state folder.
    pub async fn start_with(cluster: &LocalCluster, binary: &Path, dir: &Path) -> Result<Self> {
        let layout = Layout::new(dir);
        std::fs::create_dir_all(dir).map_err(io("creating the node folder", dir))?;
        let lock_path = layout.lock_file();
        let lock = tokio::task::spawn_blocking(move || -> Result<File> {
            let f = File::create(&lock_path).map_err(io("creating a lock file", &lock_path))?;
            f.lock().map_err(io("locking", &lock_path))?;
            Ok(f)
        })
        .await
        .map_err(|e| Error::Io {
            what: "waiting for the node lock",
            path: dir.to_path_buf(),
            source: std::io::Error::other(e),
        })??;
        let wanted = wanted(cluster);
        if let Some(pid) = running_as(&layout, &wanted) {
            drop(lock);
            return Ok(Self {
                dir: dir.to_path_buf(),
                pid,
                started: false,
            });
        }
        if let Some(p) = BackgroundProcess::from_pid_file(&layout.pid_file(), &layout.log()) {
            // Other sources or another control plane: replace the daemon, keep the pods (the
            // new daemon adopts or cleans them up).
            p.stop(STOP_GRACE);
        }
        let _ = std::fs::remove_file(layout.ready_file());
        let mut cmd = std::process::Command::new(binary);
        cmd.arg("--kubeconfig")
            .arg(&wanted.kubeconfig)
            .arg("--dir")
            .arg(dir)
            .arg("--node-name")
            .arg(NODE_NAME)
            .env(
                "RUST_LOG",
                std::env::var("LOCAL_NODE_LOG").unwrap_or_else(|_| "info".into()),
            );
        let p = BackgroundProcess::spawn(cmd, &layout.log(), &layout.pid_file())?;
        let text = serde_json::to_vec_pretty(&wanted).map_err(|e| Error::State {
            path: layout.record(),
            message: e.to_string(),
        })?;
        std::fs::write(layout.record(), text)
            .map_err(io("writing the node record", layout.record()))?;
        let started = Instant::now();
        loop {
            if std::fs::read_to_string(layout.ready_file())
                .is_ok_and(|s| s.trim() == p.pid.to_string())
            {
                break;
            }
            if !p.alive() {
                return Err(daemon_error("exited during startup", &layout));
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(daemon_error("did not become ready within 60 s", &layout));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(lock);
        Ok(Self {
            dir: dir.to_path_buf(),
            pid: p.pid,
            started: true,
        })
    }

    /// The Node's name.
    pub fn name(&self) -> &str {
        NODE_NAME
    }

    /// The node's state folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The daemon's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The daemon's log file.
    pub fn log_path(&self) -> PathBuf {
        Layout::new(&self.dir).log()
    }

    /// Where the container logs of the namespace's removed pods are kept
    /// (`<namespace>/<pod>/<container>/{current,previous}.log`).
    pub fn kept_logs(&self, namespace: &str) -> PathBuf {
        Layout::new(&self.dir).kept_logs(namespace, "")
    }

    /// Whether this value started the daemon (`false`: it attached to a running one).
    pub fn was_started(&self) -> bool {
        self.started
    }

    /// The PID of container `container` of the pod with UID `pod_uid`, while it runs (from
    /// the node's pod record).
    pub fn container_pid(&self, pod_uid: &str, container: &str) -> Option<u32> {
        let layout = Layout::new(&self.dir);
        let r = record::PodRecord::read(&layout.pod(pod_uid).join("pod.json")).ok()??;
        let p = r.processes.get(container)?;
        crate::daemon::cmd_same_process(p.pid, p.start_ticks).then_some(p.pid)
    }

    /// Stops the daemon and every pod process and namespace it created ([`down`]).
    pub fn stop(&self) -> Result<Cleaned> {
        down(&self.dir)
    }

    /// What runs ([`status`]).
    pub fn status(&self) -> NodeStatus {
        status(&self.dir)
    }
}

fn daemon_error(what: &str, layout: &Layout) -> Error {
    let log = layout.log();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    Error::Daemon {
        what: what.to_string(),
        log,
        tail,
    }
}

/// Stops the daemon in `dir` by PID, then every pod process it started (SIGTERM, SIGKILL
/// after 10 s) and every network namespace it created, and removes the pod folders.
pub fn down(dir: &Path) -> Result<Cleaned> {
    let layout = Layout::new(dir);
    if let Some(p) = BackgroundProcess::from_pid_file(&layout.pid_file(), &layout.log()) {
        p.stop(STOP_GRACE);
    }
    let _ = std::fs::remove_file(layout.ready_file());
    let _ = std::fs::remove_file(layout.record());
    Ok(cleanup::stop_everything(&layout.pods(), POD_GRACE))
}

/// What runs in a node folder (reads pid files and records; no API calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The node folder.
    pub dir: PathBuf,
    /// The daemon's PID, if it runs.
    pub daemon_pid: Option<u32>,
    /// Pods with a record: (namespace/name, running container processes).
    pub pods: Vec<(String, usize)>,
    /// Network namespaces the node created that exist now.
    pub namespaces: Vec<String>,
}

/// Reads what runs in node folder `dir`.
pub fn status(dir: &Path) -> NodeStatus {
    let layout = Layout::new(dir);
    let daemon_pid =
        BackgroundProcess::from_pid_file(&layout.pid_file(), &layout.log()).map(|p| p.pid);
    let pods = record::read_all(&layout.pods())
        .values()
        .map(|r| {
            let running = r
                .processes
                .values()
                .filter(|p| crate::daemon::cmd_same_process(p.pid, p.start_ticks))
                .count();
            (format!("{}/{}", r.namespace, r.name), running)
        })
        .collect();
    NodeStatus {
        dir: dir.to_path_buf(),
        daemon_pid,
        pods,
        namespaces: crate::daemon::our_namespaces(),
    }
}

impl fmt::Display for NodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.daemon_pid {
            Some(pid) => writeln!(f, "local-node daemon: running (pid {pid})")?,
            None => writeln!(f, "local-node daemon: not running")?,
        }
        writeln!(f, "state folder: {}", self.dir.display())?;
        writeln!(f, "pods with processes on this node: {}", self.pods.len())?;
        for (pod, n) in &self.pods {
            writeln!(f, "  {pod}: {n} running container process(es)")?;
        }
        writeln!(f, "pod network namespaces: {}", self.namespaces.len())
    }
}
