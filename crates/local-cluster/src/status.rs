//! What runs in a stack's folder, read from its pid files and record (does IO: reads files,
//! checks processes).

use std::path::PathBuf;

use crate::components::Component;
use crate::layout::Layout;
use crate::state::{Ports, Record};

/// What runs in a stack's folder.
#[derive(Debug, Clone)]
pub struct ClusterStatus {
    /// The state folder.
    pub dir: PathBuf,
    /// The kubeconfig, if one was written.
    pub kubeconfig: Option<PathBuf>,
    /// The ports, if the stack recorded them.
    pub ports: Option<Ports>,
    /// Each component, in start order.
    pub components: Vec<ComponentStatus>,
}

/// One component's state.
#[derive(Debug, Clone)]
pub struct ComponentStatus {
    /// Which component.
    pub component: Component,
    /// Its recorded PID.
    pub pid: Option<u32>,
    /// Whether that PID is alive.
    pub running: bool,
    /// Its log file.
    pub log: PathBuf,
}

impl ClusterStatus {
    /// Whether every component runs.
    pub fn all_running(&self) -> bool {
        self.components.iter().all(|c| c.running)
    }

    /// Whether any component runs.
    pub fn any_running(&self) -> bool {
        self.components.iter().any(|c| c.running)
    }
}

impl std::fmt::Display for ClusterStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let summary = if self.all_running() {
            "running"
        } else if self.any_running() {
            "partly running"
        } else {
            "not running"
        };
        writeln!(f, "control plane in {}: {summary}", self.dir.display())?;
        for c in &self.components {
            let port = self.ports.map(|p| match c.component {
                Component::Etcd => p.etcd_client,
                Component::KubeApiserver => p.apiserver,
                Component::KubeControllerManager => p.controller_manager,
            });
            let state = match (c.pid, c.running) {
                (Some(pid), true) => format!("running, pid {pid}"),
                (Some(pid), false) => format!("stopped (pid {pid} gone)"),
                (None, _) => "not started".to_string(),
            };
            let port = port.map(|p| format!(", 127.0.0.1:{p}")).unwrap_or_default();
            writeln!(
                f,
                "  {:<24} {state}{port}, log {}",
                c.component.name(),
                c.log.display()
            )?;
        }
        if let Some(k) = &self.kubeconfig {
            writeln!(f, "  kubeconfig               {}", k.display())?;
        }
        Ok(())
    }
}

impl ClusterStatus {
    pub(crate) fn read(layout: &Layout) -> Self {
        let record = Record::read(&layout.record()).ok().flatten();
        Self {
            dir: layout.dir.clone(),
            kubeconfig: layout.kubeconfig().is_file().then(|| layout.kubeconfig()),
            ports: record.map(|r| r.ports),
            components: Component::ALL
                .iter()
                .map(|c| {
                    let pid = recorded_pid(layout, *c);
                    ComponentStatus {
                        component: *c,
                        pid,
                        running: pid.is_some_and(testground::pid_alive),
                        log: layout.log(*c),
                    }
                })
                .collect(),
        }
    }
}

/// The PID in a component's pid file, alive or not.
pub(crate) fn recorded_pid(layout: &Layout, c: Component) -> Option<u32> {
    std::fs::read_to_string(layout.pid_file(c))
        .ok()?
        .trim()
        .parse()
        .ok()
}
