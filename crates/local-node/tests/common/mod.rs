//! Helpers the local node's integration tests share: applying manifests with kubectl,
//! waiting for pod states, reading Flink's REST API.

#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::api::{Api, ListParams};
use local_cluster::LocalCluster;

/// Applies `yaml` in namespace `ns` with `kubectl apply -f -`.
pub fn apply(cluster: &LocalCluster, ns: &str, yaml: &str) {
    kubectl_stdin(cluster, &["apply", "-n", ns, "-f", "-"], yaml);
}

/// Runs kubectl with `args`, feeding `stdin`, and returns stdout; panics on failure.
pub fn kubectl_stdin(cluster: &LocalCluster, args: &[&str], stdin: &str) -> String {
    let mut child = cluster
        .kubectl()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("writing to kubectl");
    let out = child.wait_with_output().expect("kubectl finishes");
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs kubectl with `args` and returns stdout; panics on failure.
pub fn kubectl(cluster: &LocalCluster, args: &[&str]) -> String {
    kubectl_stdin(cluster, args, "")
}

/// Polls `probe` every 500 ms until it returns `Some`, panicking after `timeout` with `what`
/// and the last observation.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        let last = match probe().await {
            Ok(v) => return v,
            Err(e) => e,
        };
        if start.elapsed() > timeout {
            panic!(
                "timed out after {:.0}s waiting for {what}; last seen: {last}",
                start.elapsed().as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The pods matching `selector`, without those being deleted.
pub async fn live_pods(pods: &Api<Pod>, selector: &str) -> Vec<Pod> {
    pods.list(&ListParams::default().labels(selector))
        .await
        .map(|l| l.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

/// Whether the pod's Ready condition is True.
pub fn is_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Waits until exactly `n` live pods match `selector` and all are Ready; returns them.
pub async fn wait_ready(pods: &Api<Pod>, selector: &str, n: usize, timeout: Duration) -> Vec<Pod> {
    wait_for(
        &format!("{n} ready pods with {selector}"),
        timeout,
        || async {
            let live = live_pods(pods, selector).await;
            let ready = live.iter().filter(|p| is_ready(p)).count();
            if live.len() == n && ready == n {
                Ok(live)
            } else {
                let phases: Vec<String> = live
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: {:?}",
                            p.metadata.name.clone().unwrap_or_default(),
                            first_status(p).map(|s| s.state)
                        )
                    })
                    .collect();
                Err(format!("{} live, {ready} ready: {phases:?}", live.len()))
            }
        },
    )
    .await
}

/// The first container's status.
pub fn first_status(p: &Pod) -> Option<ContainerStatus> {
    p.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .first()
        .cloned()
}

/// The pod's IP.
pub fn pod_ip(p: &Pod) -> String {
    p.status
        .as_ref()
        .and_then(|s| s.pod_ip.clone())
        .expect("pod has an IP")
}

/// The pod's UID.
pub fn uid(p: &Pod) -> String {
    p.metadata.uid.clone().expect("pod has a UID")
}

/// GETs `url` and parses JSON.
pub async fn get_json(url: &str) -> Result<serde_json::Value, String> {
    let resp = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    resp.json().await.map_err(|e| e.to_string())
}

/// Whether a process with this PID exists (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    testground::pid_alive(pid)
}
