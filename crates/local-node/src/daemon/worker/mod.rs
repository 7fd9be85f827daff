//! One pod's life on the node: network, init containers, containers, probes, restarts
//! with back-off, events and deletion (does IO: processes, files, the API). Volumes and the
//! status it reports live in submodules.

mod status;
mod volumes;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, ContainerState, ContainerStatus, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use kube::api::{Api, DeleteParams, Preconditions};
use kube::runtime::events::{Event, EventType, Recorder};
use tokio::sync::{Notify, watch};

use crate::daemon::hosts::{self, ServiceTable};
use crate::daemon::launch::{self, Proc, RunDirs, UNKNOWN_EXIT};
use crate::daemon::logs::PodIndex;
use crate::daemon::net::{Ipam, PodNet};
use crate::daemon::probe::{self, ProbeState};
use crate::daemon::pull::{Images, PullState};
use crate::daemon::record::{PodRecord, ProcessRecord};
use crate::daemon::spec::{self, Entry, FlinkRoot, Mount, PodFacts, Refs, StartScript};
use crate::layout::{Layout, PodLayout};

/// The node's address as pods see it in `status.hostIP`.
pub(crate) const HOST_IP: &str = "127.0.0.1";
/// JVM flags for every container (test ground only): the pod's hosts file, and a quicker
/// start-up on small machines.
const JVM_FLAGS: &str = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";
const MAX_BACKOFF: Duration = Duration::from_secs(300);
const FIRST_BACKOFF: Duration = Duration::from_secs(10);

/// What every pod worker shares.
pub(crate) struct Shared {
    pub client: kube::Client,
    pub node: String,
    pub layout: Layout,
    pub ipam: Mutex<Ipam>,
    pub services: watch::Receiver<ServiceTable>,
    pub images: Images,
    pub index: PodIndex,
    pub recorder: Recorder,
}

/// A pod event waiting to be published: (warning, reason, note).
type PendingEvent = (bool, &'static str, String);

#[derive(Debug, Clone)]
struct Term {
    code: i32,
    reason: String,
    started: Timestamp,
    finished: Timestamp,
}

struct Ctr {
    spec: Container,
    proc: Option<Proc>,
    last: Option<Term>,
    restarts: i32,
    ever_started: bool,
    backoff: Duration,
    delay: Duration,
    restart_at: Option<Instant>,
    done: bool,
    waiting: Option<(String, String)>,
    ready: bool,
    started_ok: bool,
    readiness: Option<ProbeState>,
    liveness: Option<ProbeState>,
    startup: Option<ProbeState>,
    pull_attempt: Option<Instant>,
    pull_failures: u32,
    killing: bool,
}

impl Ctr {
    fn new(spec: Container, previous: Option<&ContainerStatus>) -> Self {
        let restarts = previous.map(|s| s.restart_count).unwrap_or(0);
        let ran = previous.is_some_and(|s| {
            let st = |c: &Option<ContainerState>| {
                c.as_ref()
                    .is_some_and(|c| c.running.is_some() || c.terminated.is_some())
            };
            st(&s.state) || st(&s.last_state)
        });
        Self {
            spec,
            proc: None,
            last: None,
            restarts,
            ever_started: ran,
            backoff: Duration::ZERO,
            delay: Duration::ZERO,
            restart_at: None,
            done: false,
            waiting: None,
            ready: false,
            started_ok: false,
            readiness: None,
            liveness: None,
            startup: None,
            pull_attempt: None,
            pull_failures: 0,
            killing: false,
        }
    }

    fn name(&self) -> &str {
        &self.spec.name
    }
}

/// The worker of one pod.
pub(crate) struct Worker {
    sh: Arc<Shared>,
    rx: watch::Receiver<Option<Pod>>,
    pod: Pod,
    ns: String,
    name: String,
    uid: String,
    dir: PodLayout,
    record: PodRecord,
    notify: Arc<Notify>,
    start_time: Timestamp,
    problem: Option<(String, String)>,
    volumes: Option<BTreeMap<String, PathBuf>>,
    inits: Vec<Ctr>,
    mains: Vec<Ctr>,
    transitions: BTreeMap<String, (String, Timestamp)>,
    last_sent: Option<serde_json::Value>,
    hosts_text: String,
    services: watch::Receiver<ServiceTable>,
    services_live: bool,
    events: Vec<PendingEvent>,
}

fn status_of<'a>(
    list: &'a Option<Vec<ContainerStatus>>,
    name: &str,
) -> Option<&'a ContainerStatus> {
    list.as_ref()?.iter().find(|s| s.name == name)
}

impl Worker {
    /// A worker for `pod`, adopting the processes of `record` when an earlier daemon ran it.
    pub fn new(
        sh: Arc<Shared>,
        rx: watch::Receiver<Option<Pod>>,
        pod: Pod,
        record: Option<PodRecord>,
    ) -> Self {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let dir = PodLayout::new(sh.layout.pod(&uid));
        let status = pod.status.clone().unwrap_or_default();
        let spec = pod.spec.clone().unwrap_or_default();
        let mut inits = Vec::new();
        let mut mains = Vec::new();
        for c in spec.init_containers.iter().flatten() {
            let prev = status_of(&status.init_container_statuses, &c.name);
            let mut ctr = Ctr::new(c.clone(), prev);
            // Init containers that completed before a daemon restart are not run again.
            ctr.done = prev
                .and_then(|s| s.state.as_ref())
                .and_then(|s| s.terminated.as_ref())
                .is_some_and(|t| t.exit_code == 0);
            // Sidecars (restartPolicy Always) run beside the main containers here.
            if c.restart_policy.as_deref() == Some("Always") {
                mains.push(ctr);
            } else {
                inits.push(ctr);
            }
        }
        for c in &spec.containers {
            mains.push(Ctr::new(
                c.clone(),
                status_of(&status.container_statuses, &c.name),
            ));
        }
        let notify = Arc::new(Notify::new());
        let record = match record {
            Some(r) => {
                for c in inits.iter_mut().chain(mains.iter_mut()) {
                    if let Some(p) = r.processes.get(&c.spec.name) {
                        let started = p.started_at.parse().unwrap_or_else(|_| Timestamp::now());
                        c.proc = Some(launch::adopt(p.pid, p.start_ticks, started, notify.clone()));
                        c.ever_started = true;
                        c.waiting = None;
                        c.started_ok = c.spec.startup_probe.is_none();
                        setup_probes(c);
                    }
                }
                r
            }
            None => PodRecord {
                namespace: ns.clone(),
                name: name.clone(),
                uid: uid.clone(),
                net: None,
                processes: BTreeMap::new(),
            },
        };
        let start_time = status
            .start_time
            .map(|t| t.0)
            .unwrap_or_else(Timestamp::now);
        let services = sh.services.clone();
        Self {
            sh,
            rx,
            pod,
            ns,
            name,
            uid,
            dir,
            record,
            notify,
            start_time,
            problem: None,
            volumes: None,
            inits,
            mains,
            transitions: BTreeMap::new(),
            last_sent: None,
            hosts_text: String::new(),
            services,
            services_live: true,
            events: Vec::new(),
        }
    }

    /// Runs the pod until it is deleted.
    pub async fn run(mut self) {
        if let Err(e) = std::fs::create_dir_all(&self.dir.dir) {
            tracing::error!(pod = %self.key(), error = %e, "creating the pod folder");
        }
        if let Ok(mut idx) = self.sh.index.write() {
            idx.insert((self.ns.clone(), self.name.clone()), self.dir.dir.clone());
        }
        loop {
            // `changed()` below marks the value seen, so always read the latest here.
            let latest = self.rx.borrow_and_update().clone();
            match latest {
                Some(p) => self.pod = p,
                None => {
                    self.stop_all(Duration::from_secs(5)).await;
                    self.teardown(false).await;
                    return;
                }
            }
            if self.pod.metadata.deletion_timestamp.is_some() {
                let grace = self
                    .pod
                    .metadata
                    .deletion_grace_period_seconds
                    .or(self
                        .pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.termination_grace_period_seconds))
                    .unwrap_or(30)
                    .max(0) as u64;
                self.stop_all(Duration::from_secs(grace)).await;
                self.teardown(true).await;
                return;
            }
            self.sync().await;
            self.publish().await;
            tokio::select! {
                r = self.rx.changed() => if r.is_err() { return },
                _ = self.notify.notified() => {},
                r = self.services.changed(), if self.services_live => {
                    // The table's task ended (it should not): stop waiting on it rather than
                    // spin on an error.
                    self.services_live = r.is_ok();
                },
                _ = tokio::time::sleep(Duration::from_millis(1000)) => {},
            }
        }
    }

    fn key(&self) -> String {
        format!("{}/{}", self.ns, self.name)
    }

    fn hostname(&self) -> String {
        let h = self
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.hostname.clone())
            .unwrap_or_else(|| self.name.clone());
        h.chars().take(63).collect()
    }

    fn restart_policy(&self) -> String {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.clone())
            .unwrap_or_else(|| "Always".into())
    }

    fn pod_ip(&self) -> Option<String> {
        self.record.net.as_ref().map(|n| n.ip.to_string())
    }

    fn save_record(&self) {
        if let Err(e) = self.record.write(&self.dir.record()) {
            tracing::warn!(pod = %self.key(), error = %e, "writing the pod record");
        }
    }

    async fn sync(&mut self) {
        if self.record.net.is_none() {
            let ip = self
                .sh
                .ipam
                .lock()
                .map_err(|_| ())
                .and_then(|mut i| i.allocate().map_err(|_| ()));
            let Ok(ip) = ip else {
                self.problem = Some(("NetworkNotReady".into(), "no free pod address".into()));
                return;
            };
            // Remembered so a restarted daemon keeps cycling instead of reusing fresh
            // addresses that stale hosts entries may still name.
            let _ = std::fs::write(self.sh.layout.last_ip(), ip.to_string());
            let net = PodNet::for_pod(&self.uid, ip);
            if let Err(e) = net.create().await {
                if let Ok(mut i) = self.sh.ipam.lock() {
                    i.release(ip);
                }
                self.problem = Some(("NetworkNotReady".into(), e.to_string()));
                return;
            }
            self.record.net = Some(net);
            self.save_record();
        }
        self.write_hosts();
        if self.volumes.is_none() {
            match self.prepare_volumes().await {
                Ok(v) => self.volumes = Some(v),
                Err(msg) => {
                    self.problem = Some(("CreateContainerConfigError".into(), msg));
                    return;
                }
            }
        }
        self.problem = None;
        let policy = self.restart_policy();
        for i in 0..self.inits.len() {
            let keep_going = policy != "Never";
            let backoff = reap(
                &mut self.inits[i],
                &mut self.record,
                true,
                keep_going,
                &policy,
            );
            self.back_off_event(backoff, &self.inits[i].spec.name.clone());
        }
        for i in 0..self.mains.len() {
            let backoff = reap(&mut self.mains[i], &mut self.record, false, true, &policy);
            self.back_off_event(backoff, &self.mains[i].spec.name.clone());
        }
        self.save_record();
        for i in 0..self.inits.len() {
            if self.inits[i].done {
                if self.inits[i].last.as_ref().is_some_and(|t| t.code != 0) {
                    // Failed for good (restartPolicy Never): the pod fails.
                    return;
                }
                continue;
            }
            if self.inits[i].proc.is_none() {
                self.try_start(true, i).await;
            }
            return;
        }
        for i in 0..self.mains.len() {
            if self.mains[i].proc.is_none() && !self.mains[i].done {
                self.try_start(false, i).await;
            }
        }
        self.run_probes().await;
    }

    fn write_hosts(&mut self) {
        let Some(ip) = self.pod_ip() else { return };
        let table = self.services.borrow_and_update().clone();
        let text = hosts::render(&self.ns, &self.hostname(), &ip, &table);
        if text == self.hosts_text {
            return;
        }
        let path = self.dir.hosts();
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, &text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .is_ok()
        {
            self.hosts_text = text;
        }
    }

    async fn try_start(&mut self, init: bool, i: usize) {
        let now = Instant::now();
        let image = {
            let c = if init { &self.inits[i] } else { &self.mains[i] };
            if let Some(at) = c.restart_at
                && now < at
            {
                return;
            }
            c.spec.image.clone().unwrap_or_default()
        };
        let (image_dir, entry) = match self.sh.images.poll(&image) {
            PullState::Pulling => {
                let c = self.ctr(init, i);
                let first = c
                    .waiting
                    .as_ref()
                    .is_none_or(|(r, _)| r != "ContainerCreating");
                c.waiting = Some((
                    "ContainerCreating".into(),
                    format!("building local image {image}"),
                ));
                if first {
                    self.events.push((
                        false,
                        "Pulling",
                        format!("Building local image \"{image}\""),
                    ));
                }
                return;
            }
            PullState::Failed(msg) => {
                let c = self.ctr(init, i);
                let retry_after =
                    Duration::from_secs(10u64.saturating_mul(1 << c.pull_failures.min(5)).min(300));
                match c.pull_attempt {
                    Some(at) if now.duration_since(at) < Duration::from_secs(2) => {}
                    Some(at) if now.duration_since(at) < retry_after => {
                        c.waiting = Some((
                            "ImagePullBackOff".into(),
                            format!("Back-off pulling image \"{image}\": {msg}"),
                        ));
                    }
                    _ => {
                        c.pull_failures += 1;
                        c.pull_attempt = Some(now);
                        c.waiting = Some(("ErrImagePull".into(), msg.clone()));
                        self.events.push((true, "Failed", msg));
                    }
                }
                return;
            }
            PullState::Ready(dir, entry) => (dir, entry),
        };
        let spec_c = if init {
            self.inits[i].spec.clone()
        } else {
            self.mains[i].spec.clone()
        };
        let refs = match self.refs(&spec_c).await {
            Ok(r) => r,
            Err(msg) => {
                self.ctr(init, i).waiting = Some(("CreateContainerConfigError".into(), msg));
                return;
            }
        };
        match self.launch(&spec_c, &image_dir, entry, &refs) {
            Ok(proc) => {
                let record = ProcessRecord {
                    pid: proc.pid,
                    start_ticks: proc.start_ticks,
                    started_at: proc.started_at.to_string(),
                };
                self.record.processes.insert(spec_c.name.clone(), record);
                self.save_record();
                let c = self.ctr(init, i);
                tracing::info!(container = %c.spec.name, pid = proc.pid, "started");
                if c.ever_started {
                    c.restarts += 1;
                }
                c.ever_started = true;
                c.proc = Some(proc);
                c.waiting = None;
                c.restart_at = None;
                c.ready = false;
                c.started_ok = c.spec.startup_probe.is_none();
                setup_probes(c);
                let note = format!("Started container {}", spec_c.name);
                self.events.push((false, "Started", note));
            }
            Err(msg) => {
                let c = self.ctr(init, i);
                c.waiting = Some(("CreateContainerError".into(), msg));
            }
        }
    }

    fn ctr(&mut self, init: bool, i: usize) -> &mut Ctr {
        if init {
            &mut self.inits[i]
        } else {
            &mut self.mains[i]
        }
    }

    fn launch(
        &self,
        c: &Container,
        image_dir: &std::path::Path,
        entry: Entry,
        refs: &Refs,
    ) -> Result<Proc, String> {
        let net = self.record.net.clone().ok_or("no network yet")?;
        let facts = PodFacts {
            pod: &self.pod,
            pod_ip: net.ip.to_string(),
            host_ip: HOST_IP.into(),
            node_name: &self.sh.node,
        };
        let user_env = spec::container_env(c, &facts, refs)?;
        let cdir = self.dir.container(&c.name);
        std::fs::create_dir_all(&cdir).map_err(|e| e.to_string())?;
        let run = RunDirs::fresh(&cdir).map_err(|e| e.to_string())?;
        let hostname = self.hostname();
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), launch::PATH.into()),
            ("HOME".into(), "/root".into()),
            ("HOSTNAME".into(), hostname.clone()),
            ("LANG".into(), "C.UTF-8".into()),
        ];
        if entry == Entry::Flink {
            env.push(("FLINK_HOME".into(), spec::FLINK_HOME.into()));
            env.push((
                "FLINK_CONF_DIR".into(),
                run.conf.to_string_lossy().into_owned(),
            ));
        }
        for (k, v) in &user_env {
            env.retain(|(key, _)| key != k);
            env.push((k.clone(), v.clone()));
        }
        let java = format!(
            "-Djdk.net.hosts.file={} {JVM_FLAGS}",
            self.dir.hosts().display()
        );
        match env.iter_mut().find(|(k, _)| k == "JAVA_TOOL_OPTIONS") {
            Some((_, v)) => *v = format!("{v} {java}"),
            None => env.push(("JAVA_TOOL_OPTIONS".into(), java)),
        }
        let volumes = self.volumes.clone().unwrap_or_default();
        let mut mounts = Vec::new();
        for m in c.volume_mounts.iter().flatten() {
            let Some(src) = volumes.get(&m.name) else {
                if self
                    .pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.volumes.as_ref())
                    .is_some_and(|vs| vs.iter().any(|v| v.name == m.name))
                {
                    // A service-account token volume, left out on purpose.
                    continue;
                }
                return Err(format!("volume {} not found", m.name));
            };
            let mut source = src.clone();
            if let Some(sub) = m.sub_path.as_ref().filter(|s| !s.is_empty()) {
                source = source.join(spec::expand(sub, &user_env));
                if !source.exists() {
                    std::fs::create_dir_all(&source).map_err(|e| e.to_string())?;
                }
            }
            mounts.push(Mount {
                is_file: source.is_file(),
                source,
                target: m.mount_path.clone(),
                read_only: m.read_only.unwrap_or(false),
            });
        }
        let flink = (entry == Entry::Flink).then(|| FlinkRoot {
            lower: image_dir.join("opt").join("flink"),
            upper: run.upper.clone(),
            work: run.work.clone(),
            conf_dir: run.conf.clone(),
        });
        let default_wd = if entry == Entry::Flink {
            spec::FLINK_HOME
        } else {
            "/"
        };
        let script = StartScript {
            hostname,
            flink,
            tmp: run.tmp.clone(),
            mounts,
            working_dir: c.working_dir.clone().unwrap_or_else(|| default_wd.into()),
            host_view: run.host_view.clone(),
            pod_dir: std::path::absolute(&self.dir.dir).unwrap_or_else(|_| self.dir.dir.clone()),
        };
        let argv = spec::argv(c, entry, &user_env);
        launch::spawn(&net.netns, &cdir, &script, &argv, &env, self.notify.clone())
            .map_err(|e| e.to_string())
    }

    async fn run_probes(&mut self) {
        let Some(ip) = self.pod_ip() else { return };
        let grace = self.grace();
        let now = Instant::now();
        let mut events: Vec<PendingEvent> = Vec::new();
        for c in self.mains.iter_mut() {
            let Some(proc) = c.proc.clone() else { continue };
            if c.killing {
                continue;
            }
            let mut kill = false;
            if !c.started_ok {
                if let Some(p) = c.startup.as_mut()
                    && p.due(now)
                {
                    let r = probe::check(&p.probe, &c.spec, &ip, proc.pid).await;
                    unhealthy(&mut events, "Startup", &r);
                    p.record(r, Instant::now());
                    if p.ok {
                        c.started_ok = true;
                    } else if p.failed() {
                        kill = true;
                    }
                }
            } else {
                if let Some(p) = c.liveness.as_mut()
                    && p.due(now)
                {
                    let r = probe::check(&p.probe, &c.spec, &ip, proc.pid).await;
                    unhealthy(&mut events, "Liveness", &r);
                    p.record(r, Instant::now());
                    if p.failed() {
                        kill = true;
                    }
                }
                match c.readiness.as_mut() {
                    Some(p) => {
                        if p.due(now) {
                            let r = probe::check(&p.probe, &c.spec, &ip, proc.pid).await;
                            unhealthy(&mut events, "Readiness", &r);
                            p.record(r, Instant::now());
                        }
                        c.ready = p.ok;
                    }
                    None => c.ready = true,
                }
            }
            if kill {
                tracing::info!(container = %c.spec.name, "probe failed: restarting");
                events.push((
                    false,
                    "Killing",
                    format!(
                        "Container {} failed a probe, will be restarted",
                        c.spec.name
                    ),
                ));
                c.killing = true;
                c.ready = false;
                tokio::spawn(async move { launch::terminate(&proc, grace).await });
            }
        }
        self.events.extend(events);
    }

    fn grace(&self) -> Duration {
        let secs = self
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.termination_grace_period_seconds)
            .unwrap_or(30)
            .max(0) as u64;
        Duration::from_secs(secs)
    }

    fn back_off_event(&mut self, backoff: bool, container: &str) {
        if backoff {
            let note = format!(
                "Back-off restarting failed container {container} in pod {}_{}({})",
                self.name, self.ns, self.uid
            );
            self.events.push((true, "BackOff", note));
        }
    }

    /// Publishes the pending events (best effort, in the background).
    fn flush_events(&mut self) {
        if self.events.is_empty() {
            return;
        }
        let reference = self.pod.object_ref(&());
        let recorder = self.sh.recorder.clone();
        let events: Vec<PendingEvent> = std::mem::take(&mut self.events);
        tokio::spawn(async move {
            for (warning, reason, note) in events {
                let ev = Event {
                    type_: if warning {
                        EventType::Warning
                    } else {
                        EventType::Normal
                    },
                    reason: reason.to_string(),
                    note: Some(note.chars().take(1000).collect()),
                    action: reason.to_string(),
                    secondary: None,
                };
                let _ = recorder.publish(&ev, &reference).await;
            }
        });
    }

    async fn stop_all(&mut self, grace: Duration) {
        let procs: Vec<Proc> = self
            .inits
            .iter()
            .chain(self.mains.iter())
            .filter_map(|c| c.proc.clone())
            .collect();
        for c in self.inits.iter().chain(self.mains.iter()) {
            if c.proc.is_some() {
                let note = format!("Stopping container {}", c.spec.name);
                self.events.push((false, "Killing", note));
            }
        }
        self.flush_events();
        futures::future::join_all(procs.iter().map(|p| launch::terminate(p, grace))).await;
        // Anything else left in the pod's network namespace (probes, forks) goes too.
        if let Some(net) = &self.record.net {
            for pid in crate::daemon::net::pids_in(&net.netns) {
                crate::daemon::cmd::signal_group(pid, "KILL");
            }
        }
    }

    async fn teardown(&mut self, delete_object: bool) {
        if let Some(net) = self.record.net.take() {
            if let Err(e) = net.delete().await {
                tracing::warn!(pod = %self.key(), error = %e, "removing the pod network");
            }
            if let Ok(mut i) = self.sh.ipam.lock() {
                i.release(net.ip);
            }
        }
        if let Ok(mut idx) = self.sh.index.write() {
            idx.remove(&(self.ns.clone(), self.name.clone()));
        }
        crate::daemon::kept_logs::keep(
            &self.dir.dir,
            &self.sh.layout.kept_logs(&self.ns, &self.name),
        );
        let _ = std::fs::remove_dir_all(&self.dir.dir);
        if delete_object {
            let api: Api<Pod> = Api::namespaced(self.sh.client.clone(), &self.ns);
            let dp = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(self.uid.clone()),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match api.delete(&self.name, &dp).await {
                Ok(_) => tracing::info!(pod = %self.key(), "deleted"),
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
                Err(e) => tracing::warn!(pod = %self.key(), error = %e, "deleting the pod"),
            }
        }
    }
}

fn setup_probes(c: &mut Ctr) {
    let started = c
        .proc
        .as_ref()
        .map(|p| p.started)
        .unwrap_or_else(Instant::now);
    c.readiness = c
        .spec
        .readiness_probe
        .as_ref()
        .map(|p| ProbeState::new(p, started));
    c.liveness = c
        .spec
        .liveness_probe
        .as_ref()
        .map(|p| ProbeState::new(p, started));
    c.startup = c
        .spec
        .startup_probe
        .as_ref()
        .map(|p| ProbeState::new(p, started));
    c.killing = false;
}

/// Notes an ended process: its termination, and whether and when it starts again.
/// Returns whether the container now waits in back-off.
fn reap(
    c: &mut Ctr,
    record: &mut PodRecord,
    is_init: bool,
    may_restart: bool,
    policy: &str,
) -> bool {
    let Some(proc) = &c.proc else { return false };
    let Some(code) = proc.exited() else {
        return false;
    };
    let now = Timestamp::now();
    let (code, reason) = match code {
        UNKNOWN_EXIT => (137, "ContainerStatusUnknown".to_string()),
        0 => (0, "Completed".to_string()),
        n => (n, "Error".to_string()),
    };
    tracing::info!(container = %c.spec.name, code, "exited");
    let ran_for = proc.started.elapsed();
    c.last = Some(Term {
        code,
        reason,
        started: proc.started_at,
        finished: now,
    });
    c.proc = None;
    c.ready = false;
    c.killing = false;
    c.readiness = None;
    c.liveness = None;
    c.startup = None;
    record.processes.remove(&c.spec.name);
    let restart = if is_init {
        code != 0 && may_restart
    } else {
        match policy {
            "Never" => false,
            "OnFailure" => code != 0,
            _ => true,
        }
    };
    if is_init && code == 0 {
        c.done = true;
        return false;
    }
    if !restart {
        c.done = true;
        return false;
    }
    // Back-off as the kubelet's: the first restart is immediate, then 10 s doubling to
    // 5 min, reset once a run lasted 10 minutes.
    if ran_for > Duration::from_secs(600) {
        c.backoff = Duration::ZERO;
    }
    c.delay = c.backoff;
    c.restart_at = Some(Instant::now() + c.backoff);
    c.backoff = if c.backoff.is_zero() {
        FIRST_BACKOFF
    } else {
        (c.backoff * 2).min(MAX_BACKOFF)
    };
    !c.delay.is_zero()
}

fn unhealthy(events: &mut Vec<PendingEvent>, kind: &str, r: &Result<(), String>) {
    if let Err(e) = r {
        events.push((true, "Unhealthy", format!("{kind} probe failed: {e}")));
    }
}
