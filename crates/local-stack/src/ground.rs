//! One end-to-end test's world: its own namespace on the shared control plane and node, and
//! its own operator process watching only that namespace.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flink_crd::FlinkDeployment;
use flink_rest::{FlinkRestClient, JobId};
use k8s_openapi::api::core::v1::{Event, Pod, ServiceAccount};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use local_cluster::{LocalCluster, TestNamespace};

use crate::operator::{OperatorOptions, OperatorProcess};
use crate::{Error, Result, counts_of, jobmanager_rest};

/// Field manager of what tests apply (users' edits, as opposed to the operator's).
const MANAGER: &str = "local-stack-test";

/// A namespace with an operator watching it. Dropping it stops the operator and deletes
/// the namespace (the node then stops its pods).
pub struct Ground {
    /// The shared control plane.
    pub cluster: &'static LocalCluster,
    /// The local node running the pods.
    pub node: &'static local_node::NodeHandle,
    /// A client of the control plane (admin).
    pub client: kube::Client,
    /// The operator watching [`Ground::ns`].
    pub operator: OperatorProcess,
    ns: TestNamespace,
}

impl Ground {
    /// Brings up (or reuses) the control plane and the local node, creates a namespace
    /// `<prefix>-…` with the `flink` ServiceAccount the examples name, and starts an operator
    /// scoped to it with `extra_args`.
    pub async fn with_args(prefix: &str, extra_args: &[&str]) -> Result<Self> {
        let cluster = local_cluster::shared().await?;
        let node = local_node::shared()
            .await
            .map_err(|e| Error::Unexpected(format!("local node: {e}")))?;
        let ns = TestNamespace::new(cluster, prefix).await?;
        let client = cluster.client()?;
        let sa: ServiceAccount = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "flink"}
        }))
        .map_err(|e| Error::Unexpected(e.to_string()))?;
        Api::<ServiceAccount>::namespaced(client.clone(), ns.name())
            .patch(
                "flink",
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(&sa),
            )
            .await?;
        let operator = OperatorProcess::start(OperatorOptions {
            kubeconfig: cluster.kubeconfig_path(),
            namespaces: vec![ns.name().to_string()],
            instance: ns.name().to_string(),
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
        })?;
        Ok(Self {
            cluster,
            node,
            client,
            operator,
            ns,
        })
    }

    /// [`Ground::with_args`] with the operator's defaults.
    pub async fn new(prefix: &str) -> Result<Self> {
        Self::with_args(prefix, &[]).await
    }

    /// Leaves the namespace, its Flink cluster and the operator running after this value
    /// is gone (`cargo xtask demo --keep`); returns the namespace's name.
    pub fn keep(self) -> String {
        let name = self.ns.name().to_string();
        let Self { ns, operator, .. } = self;
        std::mem::forget(ns);
        std::mem::forget(operator);
        name
    }

    /// The test's namespace.
    pub fn ns(&self) -> &str {
        self.ns.name()
    }

    fn api(&self) -> Api<FlinkDeployment> {
        Api::namespaced(self.client.clone(), self.ns.name())
    }

    /// Server-side applies `fdep` into the test's namespace (as a user would).
    pub async fn apply(&self, fdep: &FlinkDeployment) -> Result<FlinkDeployment> {
        let mut fdep = fdep.clone();
        fdep.metadata.namespace = Some(self.ns().to_string());
        fdep.metadata.resource_version = None;
        fdep.metadata.managed_fields = None;
        fdep.status = None;
        let name = fdep.metadata.name.clone().unwrap_or_default();
        Ok(self
            .api()
            .patch(
                &name,
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(&fdep),
            )
            .await?)
    }

    /// Merge-patches the spec (`{"job": {"parallelism": 3}}`), as `kubectl patch` would.
    pub async fn patch_spec(&self, name: &str, spec: serde_json::Value) -> Result<FlinkDeployment> {
        let patch = serde_json::json!({ "spec": spec });
        Ok(self
            .api()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?)
    }

    /// The resource as stored now.
    pub async fn get(&self, name: &str) -> Result<FlinkDeployment> {
        Ok(self.api().get(name).await?)
    }

    /// Deletes the resource (the operator's finalizer then decides when it goes).
    pub async fn delete(&self, name: &str) -> Result<()> {
        match self.api().delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Polls the resource until `done` holds, failing after `timeout` with the last status.
    pub async fn wait_for(
        &self,
        name: &str,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&FlinkDeployment) -> bool,
    ) -> Result<FlinkDeployment> {
        let started = Instant::now();
        loop {
            let last = match self.api().get_opt(name).await? {
                Some(f) if done(&f) => return Ok(f),
                Some(f) => summary(&f),
                None => "the resource is gone".into(),
            };
            if started.elapsed() > timeout {
                return Err(Error::Timeout {
                    what: format!("{}/{name}: {what}", self.ns()),
                    secs: timeout.as_secs(),
                    last: format!("{last}\n{}", self.post_mortem(name).await),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until `status.phase` is `phase` for the current generation.
    pub async fn wait_phase(
        &self,
        name: &str,
        phase: &str,
        timeout: Duration,
    ) -> Result<FlinkDeployment> {
        self.wait_for(name, &format!("phase {phase}, settled"), timeout, |f| {
            settled_in(f, phase)
        })
        .await
    }

    /// Waits until the resource no longer exists.
    pub async fn wait_gone(&self, name: &str, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        while self.api().get_opt(name).await?.is_some() {
            if started.elapsed() > timeout {
                return Err(Error::Timeout {
                    what: format!("{}/{name} to be deleted", self.ns()),
                    secs: timeout.as_secs(),
                    last: "still there".into(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// What explains a failed wait: the resource's Events, the namespace's Deployments and
    /// pods with the tails of their logs and of the operator's, and where the full operator
    /// log and the pods' logs (kept by the node after the pods are gone) are.
    pub async fn post_mortem(&self, name: &str) -> String {
        let events = match self.events(name).await {
            Ok(events) => events
                .iter()
                .map(|(kind, reason, message)| format!("  {kind} {reason}: {message}\n"))
                .collect::<String>(),
            Err(e) => format!("  (cannot list them: {e})\n"),
        };
        let state =
            crate::post_mortem::cluster_state(&self.client, self.ns(), self.operator.log_path())
                .await;
        format!(
            "events of {name}:\n{events}{state}operator log: {}\npod logs: {}",
            self.operator.log_path().display(),
            self.node.kept_logs(self.ns()).display()
        )
    }

    /// The Events recorded on the resource, oldest first: (type, reason, message).
    pub async fn events(&self, name: &str) -> Result<Vec<(String, String, String)>> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), self.ns());
        let mut list = events
            .list(&ListParams::default().fields(&format!("involvedObject.name={name}")))
            .await?
            .items;
        list.sort_by_key(|e| e.last_timestamp.clone().map(|t| t.0));
        Ok(list
            .into_iter()
            .map(|e| {
                (
                    e.type_.unwrap_or_default(),
                    e.reason.unwrap_or_default(),
                    e.message.unwrap_or_default(),
                )
            })
            .collect())
    }

    /// A REST client for the resource's JobManager pod.
    pub async fn rest(&self, name: &str) -> Result<FlinkRestClient> {
        jobmanager_rest(&self.client, self.ns(), name).await
    }

    /// The PIDs of the main container of every running pod of `name`'s `component`
    /// (`jobmanager` or `taskmanager`), as the local node started them.
    pub async fn main_container_pids(&self, name: &str, component: &str) -> Result<Vec<u32>> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), self.ns());
        let list = pods
            .list(&ListParams::default().labels(&format!("app={name},component={component}")))
            .await?;
        Ok(list
            .items
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter_map(|p| p.metadata.uid.as_deref())
            .filter_map(|uid| self.node.container_pid(uid, "flink-main-container"))
            .collect())
    }

    /// The job id in status.
    pub async fn job_id(&self, name: &str) -> Result<JobId> {
        let f = self.get(name).await?;
        let id = f
            .status
            .as_ref()
            .and_then(|s| s.job_status.job_id.clone())
            .ok_or_else(|| Error::Unexpected(format!("{name} has no job id in status")))?;
        JobId::parse(&id).map_err(Error::Flink)
    }

    /// Waits until the running job reports counts for every one of `keys` keys, each at least
    /// `at_least` (0 for "reported at all"), and returns them.
    pub async fn wait_counts(
        &self,
        name: &str,
        keys: usize,
        at_least: &BTreeMap<String, u64>,
        timeout: Duration,
    ) -> Result<BTreeMap<String, u64>> {
        let started = Instant::now();
        loop {
            let attempt = async {
                let flink = self.rest(name).await?;
                let job = self.job_id(name).await?;
                counts_of(&flink, &job).await
            };
            let last = match attempt.await {
                Ok(c)
                    if c.len() >= keys
                        && at_least
                            .iter()
                            .all(|(k, min)| c.get(k).is_some_and(|v| v >= min)) =>
                {
                    return Ok(c);
                }
                Ok(c) => format!("{c:?}"),
                Err(e) => e.to_string(),
            };
            if started.elapsed() > timeout {
                return Err(Error::Timeout {
                    what: format!(
                        "{}/{name}: counts of {keys} keys at least {at_least:?}",
                        self.ns()
                    ),
                    secs: timeout.as_secs(),
                    last,
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Whether `f` is settled in `phase`: the machine has seen this generation, runs no
/// operation, and (when Running) the deployed spec is the desired one — a spec change can
/// leave the phase at Running for a moment before its upgrade starts.
pub fn settled_in(f: &FlinkDeployment, phase: &str) -> bool {
    let Some(s) = f.status.as_ref() else {
        return false;
    };
    phase_of(f) == phase
        && s.observed_generation == f.metadata.generation
        && s.machine.operation.is_none()
        && (phase != "Running" || s.machine.deployed_spec_hash == s.machine.spec_hash)
}

/// `status.phase` as text ("" when none yet).
pub fn phase_of(f: &FlinkDeployment) -> String {
    f.status
        .as_ref()
        .and_then(|s| s.phase)
        .map(|p| format!("{p:?}"))
        .unwrap_or_default()
}

/// A one-line status summary for timeout messages.
fn summary(f: &FlinkDeployment) -> String {
    match &f.status {
        None => "no status".into(),
        Some(s) => format!(
            "phase={:?} job={:?} observedGeneration={:?}/{:?} error={:?} waitingFor={:?}",
            s.phase,
            s.job_status.state,
            s.observed_generation,
            f.metadata.generation,
            s.error,
            s.machine.waiting_for,
        ),
    }
}
