//! A standalone Flink cluster (one JobManager, one TaskManager) on 127.0.0.1 (does IO:
//! processes, files, local HTTP).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use testground::BackgroundProcess;

use crate::config::{self, Folders, Ports};
use crate::error::io;
use crate::tool::tail;
use crate::{Error, FlinkVersion, Result, ensure_distribution};

/// How long a stopped process gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Test-ground only: a JIT and GC that start fast cut a JVM's start-up from about 20 s to
/// 6–8 s on 2 cores.
const FAST_JVM: &str = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

/// How to start a [`LocalFlinkCluster`].
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The Flink line to run.
    pub version: FlinkVersion,
    /// The cluster's folder name under `base_dir`; a cluster of the same name that is still
    /// running (a leftover of an aborted run) is stopped first.
    pub name: String,
    /// Parent of the cluster's folder (default `testground::state_dir()/flink`).
    pub base_dir: PathBuf,
    /// Task slots of the TaskManager (default 2).
    pub slots: u32,
    /// Extra `config.yaml` entries (flat keys); they replace the harness's values.
    pub config: Vec<(String, String)>,
    /// How long to wait for the slots to register (default 180 s).
    pub start_timeout: Duration,
    /// Start the JVMs with a fast-start JIT and the serial GC (default true; test ground only).
    pub fast_jvm: bool,
}

impl ClusterOptions {
    /// Defaults for a cluster of `version` in `state_dir()/flink/<name>`.
    pub fn new(version: FlinkVersion, name: impl Into<String>) -> Self {
        Self {
            version,
            name: name.into(),
            base_dir: testground::state_dir().join("flink"),
            slots: 2,
            config: Vec::new(),
            start_timeout: Duration::from_secs(180),
            fast_jvm: true,
        }
    }

    /// Sets the number of task slots.
    pub fn slots(mut self, slots: u32) -> Self {
        self.slots = slots;
        self
    }

    /// Adds (or replaces) one `config.yaml` entry.
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.push((key.into(), value.into()));
        self
    }

    /// Sets the parent folder of the cluster's folder.
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = dir.into();
        self
    }
}

/// What a started cluster is: recorded in `<dir>/cluster.json` so another command can find
/// and stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// The Flink line it runs.
    pub version: FlinkVersion,
    /// Its folder: `conf/`, `log/`, `pid/`, `tmp/`, `checkpoints/`, `savepoints/`.
    pub dir: PathBuf,
    /// The FLINK_HOME it runs from.
    pub flink_home: PathBuf,
    /// The REST port on 127.0.0.1.
    pub rest_port: u16,
    /// The JobManager's PID.
    pub jobmanager_pid: u32,
    /// The TaskManager's PID.
    pub taskmanager_pid: u32,
}

impl ClusterInfo {
    /// `http://127.0.0.1:<rest port>`.
    pub fn rest_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rest_port)
    }

    /// The default savepoint folder (`execution.checkpointing.savepoint-dir`).
    pub fn savepoint_dir(&self) -> PathBuf {
        self.dir.join("savepoints")
    }

    /// The checkpoint folder (`execution.checkpointing.dir`).
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }

    /// The JobManager's console output (its log).
    pub fn jobmanager_log(&self) -> PathBuf {
        self.dir.join("log/jobmanager.out")
    }

    /// The TaskManager's console output (its log, and what jobs print).
    pub fn taskmanager_log(&self) -> PathBuf {
        self.dir.join("log/taskmanager.out")
    }

    /// Reads the record of the cluster started in `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join("cluster.json");
        let text =
            std::fs::read_to_string(&path).map_err(|_| Error::NoCluster(dir.to_path_buf()))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| Error::NoCluster(dir.to_path_buf()))?;
        let field = |k: &str| v.get(k).ok_or_else(|| Error::NoCluster(dir.to_path_buf()));
        let num = |k: &str| -> Result<u64> {
            field(k)?
                .as_u64()
                .ok_or_else(|| Error::NoCluster(dir.to_path_buf()))
        };
        let text_field = |k: &str| -> Result<String> {
            Ok(field(k)?
                .as_str()
                .ok_or_else(|| Error::NoCluster(dir.to_path_buf()))?
                .to_string())
        };
        let bad = || Error::NoCluster(dir.to_path_buf());
        Ok(Self {
            version: text_field("version")?.parse()?,
            dir: dir.to_path_buf(),
            flink_home: text_field("flink_home")?.into(),
            rest_port: u16::try_from(num("rest_port")?).map_err(|_| bad())?,
            jobmanager_pid: u32::try_from(num("jobmanager_pid")?).map_err(|_| bad())?,
            taskmanager_pid: u32::try_from(num("taskmanager_pid")?).map_err(|_| bad())?,
        })
    }

    fn write(&self) -> Result<()> {
        let v = serde_json::json!({
            "version": self.version.exact(),
            "flink_home": self.flink_home.display().to_string(),
            "rest_port": self.rest_port,
            "rest_url": self.rest_url(),
            "jobmanager_pid": self.jobmanager_pid,
            "taskmanager_pid": self.taskmanager_pid,
        });
        let path = self.dir.join("cluster.json");
        std::fs::write(&path, format!("{v:#}\n")).map_err(io("writing cluster.json", &path))
    }
}

/// A running local cluster. Dropping it stops both processes, unless it was
/// [`detach`](Self::detach)ed.
#[derive(Debug)]
pub struct LocalFlinkCluster {
    info: ClusterInfo,
    jobmanager: BackgroundProcess,
    taskmanager: BackgroundProcess,
    detached: bool,
}

impl LocalFlinkCluster {
    /// Fetches the distribution if needed, starts a JobManager and a TaskManager with a fresh
    /// folder of their own, and waits until `/overview` reports all slots.
    pub fn start(opts: ClusterOptions) -> Result<Self> {
        let home = ensure_distribution(opts.version)?;
        let dir = opts.base_dir.join(&opts.name);
        Self::stop_recorded(&dir)?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io("clearing the cluster folder", &dir))?;
        }
        let conf = dir.join("conf");
        let log = dir.join("log");
        let pid = dir.join("pid");
        let tmp = dir.join("tmp");
        let checkpoints = dir.join("checkpoints");
        let savepoints = dir.join("savepoints");
        for d in [&conf, &log, &pid, &tmp, &checkpoints, &savepoints] {
            std::fs::create_dir_all(d).map_err(io("creating a cluster folder", d))?;
        }
        copy_log_config(&home.join("conf"), &conf)?;
        let ports = free_ports()?;
        let yaml = config::render(
            opts.version,
            ports,
            &Folders {
                checkpoints: &checkpoints,
                savepoints: &savepoints,
                tmp: &tmp,
            },
            opts.slots,
            &opts.config,
        );
        let config_path = conf.join("config.yaml");
        std::fs::write(&config_path, yaml).map_err(io("writing config.yaml", &config_path))?;

        let started = Instant::now();
        let spawn = |script: &str, name: &str| -> Result<BackgroundProcess> {
            let mut cmd = Command::new(home.join("bin").join(script));
            cmd.arg("start-foreground")
                .env("FLINK_HOME", &home)
                .env("FLINK_CONF_DIR", &conf)
                .env("FLINK_LOG_DIR", &log)
                .env("FLINK_PID_DIR", &pid)
                .current_dir(&dir);
            if opts.fast_jvm {
                cmd.env("JAVA_TOOL_OPTIONS", FAST_JVM);
            }
            Ok(BackgroundProcess::spawn(
                cmd,
                &log.join(format!("{name}.out")),
                &pid.join(format!("{name}.pid")),
            )?)
        };
        let jobmanager = spawn("jobmanager.sh", "jobmanager")?;
        let taskmanager = match spawn("taskmanager.sh", "taskmanager") {
            Ok(tm) => tm,
            Err(e) => {
                jobmanager.stop(STOP_GRACE);
                return Err(e);
            }
        };
        let info = ClusterInfo {
            version: opts.version,
            dir: dir.clone(),
            flink_home: home,
            rest_port: ports.rest,
            jobmanager_pid: jobmanager.pid,
            taskmanager_pid: taskmanager.pid,
        };
        let cluster = Self {
            info,
            jobmanager,
            taskmanager,
            detached: false,
        };
        cluster.info.write()?;
        cluster.wait_ready(opts.slots, opts.start_timeout, started)?;
        Ok(cluster)
    }

    fn wait_ready(&self, slots: u32, timeout: Duration, started: Instant) -> Result<()> {
        let mut last: String;
        loop {
            for (process, p) in [
                ("jobmanager", &self.jobmanager),
                ("taskmanager", &self.taskmanager),
            ] {
                if !p.alive() {
                    return Err(Error::ProcessExited {
                        process,
                        pid: p.pid,
                        log: p.log.clone(),
                        tail: tail(&p.log, 40),
                    });
                }
            }
            match crate::http::get(self.info.rest_port, "/overview", Duration::from_secs(2)) {
                Ok((200, body)) => {
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                    let total = v.get("slots-total").and_then(|s| s.as_u64()).unwrap_or(0);
                    if total >= u64::from(slots) {
                        return Ok(());
                    }
                    last = body;
                }
                Ok((status, body)) => last = format!("HTTP {status}: {body}"),
                Err(e) => last = e.to_string(),
            }
            if started.elapsed() > timeout {
                return Err(Error::NotReady {
                    rest_url: self.rest_url(),
                    secs: started.elapsed().as_secs_f64(),
                    last,
                    log_dir: self.info.dir.join("log"),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `http://127.0.0.1:<rest port>`.
    pub fn rest_url(&self) -> String {
        self.info.rest_url()
    }

    /// The Flink line this cluster runs.
    pub fn version(&self) -> FlinkVersion {
        self.info.version
    }

    /// Where it runs, its PIDs and folders.
    pub fn info(&self) -> &ClusterInfo {
        &self.info
    }

    /// Stops both processes (TaskManager and JobManager at once; SIGKILL after 10 s).
    pub fn stop(mut self) {
        self.stop_processes();
    }

    /// Leaves the cluster running after this value is dropped; stop it later with
    /// [`LocalFlinkCluster::stop_recorded`] on [`ClusterInfo::dir`].
    pub fn detach(mut self) -> ClusterInfo {
        self.detached = true;
        self.info.clone()
    }

    /// Stops the processes of the cluster recorded in `dir` (if any still run) by PID.
    /// Returns whether a recorded cluster was found.
    pub fn stop_recorded(dir: &Path) -> Result<bool> {
        let pid = dir.join("pid");
        let log = dir.join("log");
        let procs: Vec<BackgroundProcess> = ["taskmanager", "jobmanager"]
            .iter()
            .filter_map(|n| {
                BackgroundProcess::from_pid_file(
                    &pid.join(format!("{n}.pid")),
                    &log.join(format!("{n}.out")),
                )
            })
            .collect();
        let found = !procs.is_empty();
        stop_all(&procs);
        Ok(found)
    }

    fn stop_processes(&mut self) {
        if !self.detached {
            stop_all(&[self.taskmanager.clone(), self.jobmanager.clone()]);
            self.detached = true;
        }
    }
}

impl Drop for LocalFlinkCluster {
    fn drop(&mut self) {
        self.stop_processes();
    }
}

fn stop_all(procs: &[BackgroundProcess]) {
    std::thread::scope(|s| {
        for p in procs {
            s.spawn(|| p.stop(STOP_GRACE));
        }
    });
}

/// Copies the shipped log configuration (everything in `conf/` but the Flink config itself).
fn copy_log_config(from: &Path, to: &Path) -> Result<()> {
    let entries = std::fs::read_dir(from).map_err(io("reading FLINK_HOME/conf", from))?;
    for entry in entries {
        let entry = entry.map_err(io("reading FLINK_HOME/conf", from))?;
        let name = entry.file_name();
        if name == "config.yaml" || name == "flink-conf.yaml" {
            continue;
        }
        let target = to.join(&name);
        std::fs::copy(entry.path(), &target).map_err(io("copying a conf file", &target))?;
    }
    Ok(())
}

fn free_ports() -> Result<Ports> {
    let mut seen: Vec<u16> = Vec::new();
    while seen.len() < 5 {
        let p = testground::free_port()?;
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    Ok(Ports {
        rest: seen[0],
        jobmanager_rpc: seen[1],
        blob: seen[2],
        taskmanager_rpc: seen[3],
        taskmanager_data: seen[4],
    })
}
