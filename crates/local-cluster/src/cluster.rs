//! Starting, attaching to, inspecting and stopping one stack in its state folder (does IO:
//! processes, files, the apiserver).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use testground::BackgroundProcess;

use crate::binary::{ensure_binary, expected_binary_path};
use crate::components::{self, Component};
use crate::crds;
use crate::error::{Error, Result, io};
use crate::kubeconfig;
use crate::layout::Layout;
use crate::pki::Pki;
use crate::state::{Ports, Record};
use crate::status::{ClusterStatus, recorded_pid};
use crate::wait::until_ready;

/// How long a component gets to stop after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long each component gets to become ready (the apiserver needs 2–3 s here).
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// The well-known folder of the stack that `cargo xtask cluster` and [`crate::shared`] use:
/// `target/testground/cluster/` (its kubeconfig is `kubeconfig` inside).
pub fn default_dir() -> PathBuf {
    testground::state_dir().join("cluster")
}

/// The folder of the project's CRDs: `charts/flink-operator/crds/` of the workspace.
pub fn default_crd_dir() -> PathBuf {
    testground::workspace_root()
        .join("charts")
        .join("flink-operator")
        .join("crds")
}

/// Where a stack lives and what it installs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The state folder: kubeconfig, certificates, etcd data, logs and pid files. Removed by
    /// [`LocalCluster::down`].
    pub dir: PathBuf,
    /// A folder of CRD YAML files to install before the controller-manager starts (so the
    /// garbage collector knows their kinds at once). `None` or a missing folder installs none.
    pub crd_dir: Option<PathBuf>,
}

impl Default for Settings {
    /// The well-known stack ([`default_dir`]) with the project's CRDs ([`default_crd_dir`]).
    fn default() -> Self {
        Self::in_dir(default_dir())
    }
}

impl Settings {
    /// A stack in `dir` with the project's CRDs, e.g. a second stack for a parallel test.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            crd_dir: Some(default_crd_dir()),
        }
    }
}

/// A running control plane. Dropping it leaves the processes running (they outlive the
/// process that started them); [`LocalCluster::down`] stops them.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    layout: Layout,
    ports: Ports,
    config: kube::Config,
    started: bool,
}

impl LocalCluster {
    /// Attaches to the healthy stack in `settings.dir` if it runs the current binary, else
    /// stops whatever is left there and starts a fresh stack. Either way the CRDs of
    /// `settings.crd_dir` are applied (on attach, new kinds restart the controller-manager
    /// so its garbage collector knows them). Serialized with other callers by a lock file.
    pub async fn up(settings: &Settings) -> Result<Self> {
        let layout = Layout::new(&settings.dir);
        let _lock = lock(&layout).await?;
        if let Some(c) = Self::attach_unlocked(&layout).await? {
            if let Some(dir) = &settings.crd_dir {
                let created = c.install_crds(dir).await?;
                if created > 0 {
                    c.restart_controller_manager().await?;
                }
            }
            return Ok(c);
        }
        stop_all(&layout);
        Self::start_unlocked(settings).await
    }

    /// Starts a fresh stack in `settings.dir`; fails with [`Error::AlreadyRunning`] if a
    /// component of a stack still runs there. Builds the binary first if needed.
    pub async fn start(settings: &Settings) -> Result<Self> {
        let layout = Layout::new(&settings.dir);
        let _lock = lock(&layout).await?;
        if Component::ALL
            .iter()
            .any(|c| running_pid(&layout, *c).is_some())
        {
            return Err(Error::AlreadyRunning(layout.dir.clone()));
        }
        Self::start_unlocked(settings).await
    }

    /// The stack running in `dir`, if all its components run, it runs the current binary
    /// and its apiserver is ready; `None` otherwise.
    pub async fn attach(dir: &Path) -> Result<Option<Self>> {
        let layout = Layout::new(dir);
        let _lock = lock(&layout).await?;
        Self::attach_unlocked(&layout).await
    }

    /// Stops the stack in `dir` by PID (SIGTERM, then SIGKILL after 10 s) and removes its
    /// folder. Returns whether any component was running.
    pub fn down(dir: &Path) -> Result<bool> {
        let layout = Layout::new(dir);
        let _lock = lock_blocking(&layout)?;
        let was_running = stop_all(&layout);
        match std::fs::remove_dir_all(dir) {
            Ok(()) => Ok(was_running),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(was_running),
            Err(e) => Err(io("removing the state folder", dir)(e)),
        }
    }

    /// What runs in `dir` (reads pid files; does not call the apiserver).
    pub fn status(dir: &Path) -> ClusterStatus {
        ClusterStatus::read(&Layout::new(dir))
    }

    /// A new client of the apiserver as the admin user (O=system:masters). Make one per
    /// async runtime: a client's connections belong to the runtime it was first used on.
    pub fn client(&self) -> Result<kube::Client> {
        Ok(kube::Client::try_from(self.config.clone())?)
    }

    /// The client configuration the kubeconfig describes.
    pub fn config(&self) -> &kube::Config {
        &self.config
    }

    /// The admin kubeconfig (`<dir>/kubeconfig`).
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.layout.kubeconfig()
    }

    /// The state folder.
    pub fn dir(&self) -> &Path {
        &self.layout.dir
    }

    /// The ports the components listen on (all on 127.0.0.1).
    pub fn ports(&self) -> Ports {
        self.ports
    }

    /// The apiserver's URL, `https://127.0.0.1:<port>`.
    pub fn apiserver_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.ports.apiserver)
    }

    /// A component's log file.
    pub fn log_path(&self, c: Component) -> PathBuf {
        self.layout.log(c)
    }

    /// A folder for kubectl's discovery cache (`KUBECACHEDIR`); kubectl writes to
    /// `~/.kube/cache` otherwise, even with `--kubeconfig`.
    pub fn kubectl_cache_dir(&self) -> PathBuf {
        self.layout.kubectl_cache()
    }

    /// A `kubectl` command with `KUBECONFIG` and `KUBECACHEDIR` set for this stack.
    pub fn kubectl(&self) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.env("KUBECONFIG", self.kubeconfig_path())
            .env("KUBECACHEDIR", self.kubectl_cache_dir());
        cmd
    }

    /// Whether this value started the stack (`false`: it attached to a running one).
    pub fn was_started(&self) -> bool {
        self.started
    }

    /// Server-side applies every CRD in the YAML files of `dir` and waits until each is
    /// Established. Returns how many were new. CRDs added after the controller-manager
    /// started are known to its garbage collector only after its 30 s discovery resync
    /// (or [`LocalCluster::restart_controller_manager`]).
    pub async fn install_crds(&self, dir: &Path) -> Result<usize> {
        let found = crds::read_dir(dir)?;
        if found.is_empty() {
            return Ok(0);
        }
        crds::install(&self.client()?, &found).await
    }

    /// Restarts kube-controller-manager (e.g. so its garbage collector learns new kinds now).
    pub async fn restart_controller_manager(&self) -> Result<()> {
        let c = Component::KubeControllerManager;
        if let Some(p) =
            BackgroundProcess::from_pid_file(&self.layout.pid_file(c), &self.layout.log(c))
        {
            p.stop(STOP_GRACE);
        }
        let bin = read_record(&self.layout)?.binary;
        let p = spawn(&bin, c, &self.layout, &self.ports)?;
        wait_for_port(c, &p, &self.layout, self.ports.controller_manager).await
    }

    async fn attach_unlocked(layout: &Layout) -> Result<Option<Self>> {
        let Some(record) = Record::read(&layout.record())? else {
            return Ok(None);
        };
        if Component::ALL
            .iter()
            .any(|c| running_pid(layout, *c).is_none())
        {
            return Ok(None);
        }
        if record.binary != expected_binary_path()? {
            return Ok(None);
        }
        let config = load_config(layout).await?;
        let client = kube::Client::try_from(config.clone())?;
        let ready = tokio::time::timeout(Duration::from_secs(5), readyz(&client)).await;
        if !matches!(ready, Ok(true)) {
            return Ok(None);
        }
        Ok(Some(Self {
            layout: layout.clone(),
            ports: record.ports,
            config,
            started: false,
        }))
    }

    async fn start_unlocked(settings: &Settings) -> Result<Self> {
        let layout = Layout::new(&settings.dir);
        let bin = tokio::task::spawn_blocking(ensure_binary)
            .await
            .map_err(|e| Error::Io {
                what: "building the control plane",
                path: layout.dir.clone(),
                source: std::io::Error::other(e),
            })??;
        match std::fs::remove_dir_all(&layout.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("removing an old state folder", &layout.dir)(e)),
        }
        std::fs::create_dir_all(&layout.dir)
            .map_err(io("creating the state folder", &layout.dir))?;
        Pki::generate()?.write(&layout.pki())?;
        let ports = Ports::free()?;
        std::fs::write(
            layout.kubeconfig(),
            kubeconfig::render(&layout, ports.apiserver),
        )
        .map_err(io("writing the kubeconfig", layout.kubeconfig()))?;
        let record = Record {
            ports,
            binary: bin.clone(),
        };
        record.write(&layout.record())?;
        let result = Self::launch(settings, &layout, &bin, ports).await;
        if result.is_err() {
            // Keep the folder (its logs explain the failure) but no half-started processes.
            stop_all(&layout);
        }
        result
    }

    async fn launch(
        settings: &Settings,
        layout: &Layout,
        bin: &Path,
        ports: Ports,
    ) -> Result<Self> {
        let etcd = spawn(bin, Component::Etcd, layout, &ports)?;
        wait_for_port(Component::Etcd, &etcd, layout, ports.etcd_client).await?;

        let api = spawn(bin, Component::KubeApiserver, layout, &ports)?;
        let config = load_config(layout).await?;
        let client = kube::Client::try_from(config.clone())?;
        until_ready(
            "kube-apiserver /readyz",
            Component::KubeApiserver,
            &api,
            &layout.dir,
            READY_TIMEOUT,
            || async { readyz(&client).await.then_some(()) },
        )
        .await?;
        let cluster = Self {
            layout: layout.clone(),
            ports,
            config,
            started: true,
        };
        // Before the controller-manager: its garbage collector then knows the kinds at once.
        if let Some(dir) = &settings.crd_dir {
            cluster.install_crds(dir).await?;
        }

        let kcm = spawn(bin, Component::KubeControllerManager, layout, &ports)?;
        wait_for_port(
            Component::KubeControllerManager,
            &kcm,
            layout,
            ports.controller_manager,
        )
        .await?;
        // The service-account controller creating `default/default` shows the controllers
        // run; Pods cannot be created in a namespace before its `default` account exists.
        let accounts: Api<ServiceAccount> = Api::namespaced(client, "default");
        until_ready(
            "the controller-manager to create the default service account",
            Component::KubeControllerManager,
            &kcm,
            &layout.dir,
            READY_TIMEOUT,
            || async { accounts.get_opt("default").await.ok().flatten().map(|_| ()) },
        )
        .await?;
        Ok(cluster)
    }
}

fn spawn(bin: &Path, c: Component, layout: &Layout, ports: &Ports) -> Result<BackgroundProcess> {
    let mut cmd = Command::new(bin);
    cmd.arg(c.name())
        .args(components::args(c, layout, ports))
        .current_dir(&layout.dir);
    Ok(BackgroundProcess::spawn(
        cmd,
        &layout.log(c),
        &layout.pid_file(c),
    )?)
}

async fn wait_for_port(
    c: Component,
    p: &BackgroundProcess,
    layout: &Layout,
    port: u16,
) -> Result<()> {
    until_ready(
        &format!("{c} to listen on 127.0.0.1:{port}"),
        c,
        p,
        &layout.dir,
        READY_TIMEOUT,
        || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(|_| ())
        },
    )
    .await
}

async fn readyz(client: &kube::Client) -> bool {
    let Ok(req) = http::Request::get("/readyz").body(Vec::new()) else {
        return false;
    };
    client
        .request_text(req)
        .await
        .is_ok_and(|body| body.trim() == "ok")
}

async fn load_config(layout: &Layout) -> Result<kube::Config> {
    let kc = Kubeconfig::read_from(layout.kubeconfig())?;
    Ok(kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?)
}

fn read_record(layout: &Layout) -> Result<Record> {
    Record::read(&layout.record())?.ok_or_else(|| Error::NotRunning(layout.dir.clone()))
}

fn running_pid(layout: &Layout, c: Component) -> Option<u32> {
    recorded_pid(layout, c).filter(|p| testground::pid_alive(*p))
}

/// Stops every component in reverse start order; returns whether any was running.
fn stop_all(layout: &Layout) -> bool {
    let mut any = false;
    for c in Component::ALL.iter().rev() {
        if let Some(p) = BackgroundProcess::from_pid_file(&layout.pid_file(*c), &layout.log(*c)) {
            p.stop(STOP_GRACE);
            any = true;
        }
    }
    any
}

/// Takes the stack's lock file (blocking while another process holds it).
fn lock_blocking(layout: &Layout) -> Result<File> {
    let path = layout.lock_file();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("creating a folder", parent))?;
    }
    let f = File::create(&path).map_err(io("creating a lock file", &path))?;
    f.lock().map_err(io("locking", &path))?;
    Ok(f)
}

async fn lock(layout: &Layout) -> Result<File> {
    let layout = layout.clone();
    tokio::task::spawn_blocking(move || lock_blocking(&layout))
        .await
        .map_err(|e| Error::Io {
            what: "waiting for the cluster lock",
            path: PathBuf::new(),
            source: std::io::Error::other(e),
        })?
}
