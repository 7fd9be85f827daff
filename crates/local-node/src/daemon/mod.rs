//! The node daemon (bin `local-node`): registers the Node, binds pending pods, runs the
//! bound pods as local processes and serves their logs (does IO: everything).
//!
//! Stopping the daemon (SIGTERM) leaves the pods' processes running; the next daemon adopts
//! them from their records. [`cleanup::stop_everything`] (`cargo xtask node down`) stops them.

mod binder;
pub mod cleanup;
mod cmd;
mod hosts;
mod kept_logs;
mod launch;
mod logs;
mod net;
mod node;
mod pods;
mod probe;
mod pull;
pub(crate) mod record;
pub(crate) mod spec;
mod worker;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::{Result, io};
use crate::layout::Layout;

pub use cleanup::Cleaned;

/// How the daemon runs.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// The kubeconfig of the control plane to serve.
    pub kubeconfig: PathBuf,
    /// The node's state folder (pod folders, ready file).
    pub dir: PathBuf,
    /// The Node's name.
    pub node_name: String,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub async fn run(cfg: DaemonConfig) -> Result<()> {
    net::enable_forwarding()?;
    // Paths end up in start scripts and mounts that run elsewhere: make them absolute.
    let dir = std::path::absolute(&cfg.dir).map_err(io("resolving the node folder", &cfg.dir))?;
    let layout = Layout::new(&dir);
    let _ = std::fs::remove_file(layout.ready_file());
    std::fs::create_dir_all(layout.pods())
        .map_err(io("creating the pods folder", layout.pods()))?;
    let kubeconfig = Kubeconfig::read_from(&cfg.kubeconfig)?;
    let config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    let client = kube::Client::try_from(config)?;

    let records = record::read_all(&layout.pods());
    let mut ipam = net::Ipam::default();
    if let Some(last) = std::fs::read_to_string(layout.last_ip())
        .ok()
        .and_then(|s| s.trim().parse().ok())
    {
        ipam.resume_after(last);
    }
    for r in records.values() {
        if let Some(n) = &r.net {
            ipam.reserve(n.ip);
        }
    }
    // Namespaces no record names are leftovers of a crash: nothing can adopt them.
    let known: Vec<String> = records
        .values()
        .filter_map(|r| r.net.as_ref().map(|n| n.netns.clone()))
        .collect();
    for ns in net::our_namespaces()
        .into_iter()
        .filter(|n| !known.contains(n))
    {
        tracing::info!(netns = %ns, "removing a namespace no pod record names");
        for pid in net::pids_in(&ns) {
            cmd::signal_group(pid, "KILL");
        }
        net::delete_netns_blocking(&ns);
    }

    let index = logs::PodIndex::default();
    let port = logs::serve(index.clone()).await?;
    node::register(&client, &cfg.node_name, port).await?;
    tracing::info!(node = %cfg.node_name, port, "node registered");
    tokio::spawn(node::keep_alive(
        client.clone(),
        cfg.node_name.clone(),
        port,
    ));
    tokio::spawn(binder::run(client.clone(), cfg.node_name.clone()));
    let services = hosts::spawn(client.clone());
    let client_for_events = client.clone();
    let shared = Arc::new(worker::Shared {
        client,
        node: cfg.node_name.clone(),
        layout: layout.clone(),
        ipam: Mutex::new(ipam),
        services,
        images: pull::Images::default(),
        index,
        recorder: kube::runtime::events::Recorder::new(
            client_for_events,
            kube::runtime::events::Reporter {
                controller: "kubelet".into(),
                instance: Some(cfg.node_name.clone()),
            },
        ),
    });
    let ready = layout.ready_file();
    let on_ready = move || {
        if let Err(e) = std::fs::write(&ready, std::process::id().to_string()) {
            tracing::error!(error = %e, "writing the ready file");
        }
        tracing::info!("ready");
    };
    // When the control plane goes (`cluster down` removes its folder and kubeconfig), nothing
    // can manage or delete these pods any more: stop them rather than leak JVMs.
    let watched = cfg.kubeconfig.clone();
    let pods_dir = layout.pods();
    let orphaned = async move {
        while watched.exists() {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        tracing::warn!("the control plane's kubeconfig is gone: stopping every pod and exiting");
        let _ = tokio::task::spawn_blocking(move || {
            cleanup::stop_everything(&pods_dir, std::time::Duration::from_secs(10))
        })
        .await;
    };
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(io("listening for SIGTERM", "signal"))?;
    tokio::select! {
        _ = pods::run(shared, records, on_ready) => {}
        _ = term.recv() => tracing::info!("SIGTERM: exiting, pods keep running"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: exiting, pods keep running"),
        _ = orphaned => {}
    }
    let _ = std::fs::remove_file(layout.ready_file());
    Ok(())
}

/// Whether `pid` is the process that started at `ticks` (for the handle's helpers).
pub(crate) fn cmd_same_process(pid: u32, ticks: u64) -> bool {
    cmd::same_process(pid, ticks)
}

/// The network namespaces this node created that exist now.
pub(crate) fn our_namespaces() -> Vec<String> {
    net::our_namespaces()
}
