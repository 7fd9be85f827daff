//! Test helpers: an operator process scoped to one test namespace, manifests, waiting.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flink_crd::{FlinkDeployment, FlinkDeploymentStatus};
use kube::api::{Api, PostParams};
use local_cluster::LocalCluster;

/// The operator binary under test, started against the shared control plane and scoped to
/// one namespace. Killed (SIGKILL) when dropped if still running.
pub struct Operator {
    pub child: Child,
    pub metrics_port: u16,
    pub log: PathBuf,
}

impl Operator {
    /// Starts `flink-operator --kubeconfig <shared> --flink-endpoint pod-ip --namespaces <ns>
    /// --metrics-addr 127.0.0.1:<free port>` plus `extra` args; logs to
    /// `target/testground/operator-tests/<ns>-<tag>.log`.
    pub fn start(cluster: &LocalCluster, namespace: &str, tag: &str, extra: &[&str]) -> Self {
        let port = testground::free_port().expect("a free port");
        let dir = testground::state_dir().join("operator-tests");
        std::fs::create_dir_all(&dir).expect("log folder");
        let log = dir.join(format!("{namespace}-{tag}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_flink-operator"))
            .arg("--kubeconfig")
            .arg(cluster.kubeconfig_path())
            .args(["--flink-endpoint", "pod-ip", "--namespaces", namespace])
            .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env("RUST_LOG", "info,flink_operator=debug")
            .env("POD_NAME", format!("test-{tag}"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("the operator starts");
        Self {
            child,
            metrics_port: port,
            log,
        }
    }

    /// The operator's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET `path` on the metrics server; `None` if it does not answer.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        let url = format!("http://127.0.0.1:{}{path}", self.metrics_port);
        let resp = reqwest::get(&url).await.ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.text().await.ok()?))
    }

    /// Waits until `/readyz` answers 200 `ok`: running the controllers with synced caches (a
    /// standby answers 200 too, with a body that says so).
    pub async fn wait_ready(&self, timeout: Duration) {
        let start = Instant::now();
        loop {
            if let Some((200, body)) = self.get("/readyz").await
                && body == "ok"
            {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "operator not ready after {timeout:?}; log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits for the exit; returns how long it took and the exit code.
    pub fn terminate(&mut self) -> (Duration, Option<i32>) {
        let pid = self.child.id();
        let start = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let status = self.child.wait().expect("waiting for the operator");
        (start.elapsed(), status.code())
    }

    /// SIGKILL, as a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A FlinkDeployment from a YAML manifest (a file under the workspace's `examples/` or text).
pub fn manifest(yaml: &str) -> FlinkDeployment {
    let value: serde_json::Value = serde_saphyr::from_str(yaml).expect("manifest YAML");
    serde_json::from_value(value).expect("a FlinkDeployment")
}

/// `examples/<file>` as a FlinkDeployment.
pub fn example(file: &str) -> FlinkDeployment {
    let path = testground::workspace_root().join("examples").join(file);
    manifest(&std::fs::read_to_string(&path).expect("example manifest"))
}

/// Creates `fdep` in `namespace`.
pub async fn create(
    client: &kube::Client,
    namespace: &str,
    fdep: &FlinkDeployment,
) -> FlinkDeployment {
    Api::<FlinkDeployment>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), fdep)
        .await
        .expect("created")
}

/// Polls the FlinkDeployment until `pred` holds on it, or panics after `timeout` with the
/// last status and the operator's log.
pub async fn wait_for(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    timeout: Duration,
    what: &str,
    op: &Operator,
    pred: impl Fn(&FlinkDeployment) -> bool,
) -> FlinkDeployment {
    let api = Api::<FlinkDeployment>::namespaced(client.clone(), namespace);
    let start = Instant::now();
    let mut last = None;
    loop {
        if let Ok(Some(f)) = api.get_opt(name).await {
            if pred(&f) {
                return f;
            }
            last = Some(f);
        }
        if start.elapsed() > timeout {
            let status: Option<&FlinkDeploymentStatus> =
                last.as_ref().and_then(|f| f.status.as_ref());
            panic!(
                "{what}: not within {timeout:?}. Last status: {}\n--- operator log ---\n{}",
                serde_json::to_string_pretty(&status).unwrap_or_default(),
                op.log_text()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until the FlinkDeployment is gone.
pub async fn wait_gone(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    timeout: Duration,
    op: &Operator,
) {
    let api = Api::<FlinkDeployment>::namespaced(client.clone(), namespace);
    let start = Instant::now();
    while api.get_opt(name).await.expect("get").is_some() {
        assert!(
            start.elapsed() < timeout,
            "{name} still exists after {timeout:?}; operator log:\n{}",
            op.log_text()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Events about object `name` in `namespace` (events.k8s.io), as (type, reason, note).
pub async fn events(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Vec<(String, String, String)> {
    let api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client.clone(), namespace);
    api.list(&Default::default())
        .await
        .expect("list events")
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .map(|e| {
            (
                e.type_.unwrap_or_default(),
                e.reason.unwrap_or_default(),
                e.note.unwrap_or_default(),
            )
        })
        .collect()
}

/// A condition's status ("True"/"False") by type.
pub fn condition(f: &FlinkDeployment, type_: &str) -> Option<String> {
    f.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| c.status.clone())
}

/// Test cleanup: drops the operator's finalizer from every FlinkDeployment and FlinkSessionJob
/// in `namespace`, so the namespace can be deleted after the test's operator is gone (owner
/// references then remove the clusters).
pub async fn release_all(client: &kube::Client, namespace: &str) {
    release::<FlinkDeployment>(client, namespace).await;
    release::<flink_crd::FlinkSessionJob>(client, namespace).await;
}

async fn release<K>(client: &kube::Client, namespace: &str)
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api = Api::<K>::namespaced(client.clone(), namespace);
    let Ok(list) = api.list(&Default::default()).await else {
        return;
    };
    let patch = serde_json::json!({"metadata": {"finalizers": null}});
    for f in list.items {
        if let Some(name) = f.meta().name.as_deref() {
            let _ = api
                .patch(
                    name,
                    &kube::api::PatchParams::default(),
                    &kube::api::Patch::Merge(&patch),
                )
                .await;
        }
    }
}
