//! The Node object and its Lease: registered at start, the Lease renewed every 10 s and
//! the Ready condition's heartbeat every minute (does IO: the API).

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::error::Result;

const MANAGER: &str = "local-node";
/// How long the Lease is valid; renewed every quarter of it, as the kubelet does.
const LEASE_SECONDS: i32 = 40;

/// Creates or updates the Node and marks it Ready, with its kubelet endpoint at `port`.
pub(crate) async fn register(client: &kube::Client, name: &str, port: u16) -> Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let node = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "local-node/test-ground": "true",
            },
        },
        "spec": { "podCIDR": "10.244.0.0/16", "podCIDRs": ["10.244.0.0/16"] },
    });
    nodes
        .patch(
            name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&node),
        )
        .await?;
    patch_status(&nodes, name, port).await
}

async fn patch_status(nodes: &Api<Node>, name: &str, port: u16) -> Result<()> {
    let now = Timestamp::now().to_string();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let memory = mem_total_kib();
    let capacity = json!({
        "cpu": cpus.to_string(),
        "memory": format!("{memory}Ki"),
        "pods": "110",
        "ephemeral-storage": "100Gi",
    });
    let cond = |t: &str, status: &str, reason: &str, message: &str| {
        json!({"type": t, "status": status, "reason": reason, "message": message,
               "lastHeartbeatTime": now, "lastTransitionTime": now})
    };
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let machine = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
    let status = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": name },
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "local node: no memory limits"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "local node: no disk limits"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "local node: no PID limits"),
                cond("Ready", "True", "KubeletReady", "local-node is posting ready status"),
            ],
            // Only an address the apiserver can dial: with a Hostname entry it would try to
            // resolve the node's name for `kubectl logs`.
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
            ],
            "daemonEndpoints": { "kubeletEndpoint": { "Port": port } },
            "nodeInfo": {
                "machineID": machine.trim(),
                "systemUUID": machine.trim(),
                "bootID": boot.trim(),
                "kernelVersion": kernel.trim(),
                "osImage": "local-node (processes on the host)",
                "containerRuntimeVersion": "local-node://0.1.0",
                "kubeletVersion": local_cluster::KUBERNETES_VERSION,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    });
    nodes
        .patch_status(
            name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&status),
        )
        .await?;
    Ok(())
}

fn mem_total_kib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(1024 * 1024)
}

async fn renew_lease(client: &kube::Client, name: &str, node_uid: Option<String>) -> Result<()> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
    let mut meta = json!({ "name": name, "namespace": "kube-node-lease" });
    if let Some(uid) = node_uid {
        meta["ownerReferences"] = json!([{
            "apiVersion": "v1", "kind": "Node", "name": name, "uid": uid,
        }]);
    }
    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": meta,
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": LEASE_SECONDS,
            "renewTime": Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        },
    });
    leases
        .patch(
            name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&lease),
        )
        .await?;
    Ok(())
}

/// Renews the Lease every 10 s and the Node's status every minute, forever.
pub(crate) async fn keep_alive(client: kube::Client, name: String, port: u16) {
    let nodes: Api<Node> = Api::all(client.clone());
    let mut tick = 0u32;
    loop {
        let uid = nodes
            .get_opt(&name)
            .await
            .ok()
            .flatten()
            .and_then(|n| n.metadata.uid);
        if uid.is_none() {
            // Someone deleted the Node: register it again.
            if let Err(e) = register(&client, &name, port).await {
                tracing::warn!(error = %e, "re-registering the node");
            }
        }
        if let Err(e) = renew_lease(&client, &name, uid).await {
            tracing::warn!(error = %e, "renewing the node lease");
        }
        if tick % 6 == 5
            && let Err(e) = patch_status(&nodes, &name, port).await
        {
            tracing::warn!(error = %e, "posting node status");
        }
        tick = tick.wrapping_add(1);
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}
