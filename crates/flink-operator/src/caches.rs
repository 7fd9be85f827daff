//! Watch caches of the clusters' Kubernetes objects, one set per watched scope (does IO: the
//! watches run against the apiserver; reads are from memory).
//!
//! Every reconcile reads Deployments, Pods, Services, ConfigMaps and Ingresses from these
//! stores, never from the apiserver: after the initial LIST, a steady operator only keeps its
//! WATCH connections open. Services, ConfigMaps and Ingresses are watched as metadata only
//! (existence and labels are all the operator needs of them).
//!
//! The stores keep only what the operator reads ([`trim_meta`], [`trim_pod`],
//! [`trim_deployment`]): no object keeps its `managedFields` or kubectl's last-applied copy,
//! Pods keep no spec (their status is what is observed) and Deployments no pod template or
//! selector (their replicas, generation and status are). A reader of a new field must keep it
//! here.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use flink_crd::FlinkDeployment;

use futures::{Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, watcher};
use kube::runtime::{WatchStreamExt, reflector::ObjectRef};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

use crate::labels;
use crate::metrics::{Metrics, WatchLabels};

/// Which namespaces a set of caches covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every namespace.
    All,
    /// One namespace.
    Namespace(String),
}

impl Scope {
    /// An `Api` for `K` in this scope.
    pub fn api<K>(&self, client: &Client) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        match self {
            Scope::All => Api::all(client.clone()),
            Scope::Namespace(ns) => Api::namespaced(client.clone(), ns),
        }
    }

    /// For logs.
    pub fn describe(&self) -> String {
        match self {
            Scope::All => "all namespaces".into(),
            Scope::Namespace(ns) => format!("namespace {ns}"),
        }
    }
}

/// Whether each watch of a scope has delivered its initial list, set by the watch streams
/// themselves (the stores' own `wait_until_ready` is not safe to poll and drop repeatedly).
#[derive(Clone, Default)]
pub struct Readiness {
    flags: Arc<std::sync::Mutex<Vec<Arc<AtomicBool>>>>,
}

impl Readiness {
    fn flag(&self) -> Arc<AtomicBool> {
        let f = Arc::new(AtomicBool::new(false));
        self.flags
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(f.clone());
        f
    }

    /// Every watch has listed.
    pub fn is_ready(&self) -> bool {
        self.flags
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .all(|f| f.load(Ordering::SeqCst))
    }

    /// Waits until every watch has listed.
    pub async fn ready(&self) {
        while !self.is_ready() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// Marks `flag` once the stream's first initial list is complete.
fn mark_ready<K, S>(
    stream: S,
    flag: Arc<AtomicBool>,
) -> impl Stream<Item = S::Item> + Send + 'static
where
    K: Send + 'static,
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
{
    stream.inspect(move |ev| {
        if let Ok(watcher::Event::InitDone) = ev {
            flag.store(true, Ordering::SeqCst);
        }
    })
}

/// The stores of one scope.
#[derive(Clone)]
pub struct Caches {
    /// The FlinkDeployments of the scope (session jobs look up their session cluster here).
    pub flink_deployments: Store<FlinkDeployment>,
    /// JobManager and TaskManager Deployments of our clusters.
    pub deployments: Store<Deployment>,
    /// Pods of our clusters (`type=flink-standalone-kubernetes`).
    pub pods: Store<Pod>,
    /// Services of our clusters (metadata only).
    pub services: Store<PartialObjectMeta<Service>>,
    /// ConfigMaps of our clusters (metadata only).
    pub config_maps: Store<PartialObjectMeta<ConfigMap>>,
    /// Ingresses of our clusters (metadata only).
    pub ingresses: Store<PartialObjectMeta<Ingress>>,
    /// Whether the watches have listed.
    pub readiness: Readiness,
}

/// A watch's trigger stream: every object applied or deleted.
pub type Touched<K> = futures::stream::BoxStream<'static, Result<K, watcher::Error>>;

/// The trigger streams a controller consumes; consuming them keeps the stores current.
pub struct Streams {
    /// FlinkDeployments applied (the FlinkDeployment controller's main stream).
    pub flink_deployments: Touched<FlinkDeployment>,
    /// Deployments touched (applied or deleted).
    pub deployments: Touched<Deployment>,
    /// Pods touched.
    pub pods: Touched<Pod>,
    /// Services touched.
    pub services: Touched<PartialObjectMeta<Service>>,
    /// ConfigMaps touched.
    pub config_maps: Touched<PartialObjectMeta<ConfigMap>>,
    /// Ingresses touched.
    pub ingresses: Touched<PartialObjectMeta<Ingress>>,
}

fn counted<T: Send + 'static>(
    stream: impl Stream<Item = Result<T, watcher::Error>> + Send + 'static,
    metrics: Arc<Metrics>,
    resource: &'static str,
) -> impl Stream<Item = Result<T, watcher::Error>> + Send + 'static {
    stream.inspect_err(move |e| {
        metrics
            .watch_restarts
            .get_or_create(&WatchLabels { resource })
            .inc();
        tracing::warn!(resource, error = %e, "watch failed; restarting it with backoff");
    })
}

/// What every watch of one scope shares: where it watches, where it counts its failures and
/// where it reports its initial list.
struct Watches<'a> {
    client: &'a Client,
    scope: &'a Scope,
    metrics: &'a Arc<Metrics>,
    readiness: &'a Readiness,
}

impl Watches<'_> {
    /// A store of `K` and the watch events that fill it: failures counted and retried with
    /// backoff, objects trimmed before they are stored.
    fn reflected<K>(
        &self,
        config: watcher::Config,
        resource: &'static str,
        trim: fn(&mut K),
    ) -> (
        Store<K>,
        impl Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
    )
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug
            + Send
            + Sync
            + 'static,
    {
        let (store, writer) = reflector::store();
        let stream = counted(
            watcher(self.scope.api(self.client), config),
            self.metrics.clone(),
            resource,
        )
        .default_backoff()
        .modify(trim);
        let events = mark_ready(reflector::reflector(writer, stream), self.readiness.flag());
        (store, events)
    }
}

/// kubectl's copy of the last applied manifest, which the operator never reads.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops the metadata the operator never reads: the apiserver's field ownership records
/// (`managedFields`, often the larger part of an object) and kubectl's last-applied copy.
pub fn trim_meta(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            meta.annotations = None;
        }
    }
}

/// An object watched as metadata only, as the store keeps it: [`trim_meta`]'s metadata.
pub fn trim_partial<K>(object: &mut PartialObjectMeta<K>) {
    trim_meta(&mut object.metadata);
}

/// A FlinkDeployment as the store keeps it: spec, status and metadata but [`trim_meta`]'s.
pub fn trim_flink_deployment(fdep: &mut FlinkDeployment) {
    trim_meta(&mut fdep.metadata);
}

/// A Pod as the store keeps it: metadata and status (addresses, conditions, container
/// states); the spec is never read.
pub fn trim_pod(pod: &mut Pod) {
    trim_meta(&mut pod.metadata);
    pod.spec = None;
}

/// A Deployment as the store keeps it: metadata, `spec.replicas` and status; the pod
/// template and selector are never read (the objects are built from the FlinkDeployment).
pub fn trim_deployment(deployment: &mut Deployment) {
    trim_meta(&mut deployment.metadata);
    if let Some(spec) = deployment.spec.as_mut() {
        spec.template = Default::default();
        spec.selector = Default::default();
    }
}

/// Sets up the watches of one scope: the stores, and the streams that drive them.
pub fn watch(client: &Client, scope: &Scope, metrics: &Arc<Metrics>) -> (Caches, Streams) {
    let managed = watcher::Config::default().labels(&labels::managed_selector());
    let flink_pods = watcher::Config::default().labels(&labels::pod_selector());
    let readiness = Readiness::default();
    let w = Watches {
        client,
        scope,
        metrics,
        readiness: &readiness,
    };
    let all = watcher::Config::default();
    let (flink_deployments, fdeps) = w.reflected(all, "flinkdeployments", trim_flink_deployment);
    let (deployments, deps) = w.reflected(managed.clone(), "deployments", trim_deployment);
    let (pods, pod_events) = w.reflected(flink_pods, "pods", trim_pod);
    let (services, svcs) = w.reflected(managed.clone(), "services", trim_partial::<Service>);
    let (config_maps, cms) = w.reflected(managed.clone(), "configmaps", trim_partial::<ConfigMap>);
    let (ingresses, ings) = w.reflected(managed, "ingresses", trim_partial::<Ingress>);
    (
        Caches {
            flink_deployments,
            deployments,
            pods,
            services,
            config_maps,
            ingresses,
            readiness,
        },
        // The cluster objects' streams carry deletions too: one deleted must trigger its
        // FlinkDeployment's reconcile.
        Streams {
            flink_deployments: fdeps.applied_objects().boxed(),
            deployments: deps.touched_objects().boxed(),
            pods: pod_events.touched_objects().boxed(),
            services: svcs.touched_objects().boxed(),
            config_maps: cms.touched_objects().boxed(),
            ingresses: ings.touched_objects().boxed(),
        },
    )
}

impl Caches {
    /// Waits until every watch has its initial list (a reconcile before that would see
    /// clusters as missing).
    pub async fn ready(&self) {
        self.readiness.ready().await
    }

    /// Whether every watch has its initial list, without waiting.
    pub fn is_ready(&self) -> bool {
        self.readiness.is_ready()
    }

    /// The cluster objects of FlinkDeployment `name` in `namespace`.
    pub fn cluster(&self, namespace: &str, name: &str) -> ClusterObjects {
        let mine = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
            m.namespace.as_deref() == Some(namespace)
                && m.labels
                    .as_ref()
                    .and_then(|l| l.get(labels::APP))
                    .map(String::as_str)
                    == Some(name)
        };
        ClusterObjects {
            deployments: self.deployments.state_filter(|d| mine(&d.metadata)),
            pods: self.pods.state_filter(|p| mine(&p.metadata)),
            services: self.services.state_filter(|s| mine(&s.metadata)),
            config_maps: self.config_maps.state_filter(|c| mine(&c.metadata)),
            ingresses: self.ingresses.state_filter(|i| mine(&i.metadata)),
        }
    }
}

/// The objects of one cluster, as the caches hold them.
#[derive(Clone, Debug, Default)]
pub struct ClusterObjects {
    /// Its Deployments.
    pub deployments: Vec<Arc<Deployment>>,
    /// Its pods.
    pub pods: Vec<Arc<Pod>>,
    /// Its Services.
    pub services: Vec<Arc<PartialObjectMeta<Service>>>,
    /// Its ConfigMaps.
    pub config_maps: Vec<Arc<PartialObjectMeta<ConfigMap>>>,
    /// Its Ingresses.
    pub ingresses: Vec<Arc<PartialObjectMeta<Ingress>>>,
}

/// The FlinkDeployment a cluster object belongs to (by its `app` label), for watch triggers.
pub fn owner_ref<K, T>(obj: &T) -> Option<ObjectRef<K>>
where
    K: Resource<DynamicType = ()>,
    T: Resource,
{
    let meta = obj.meta();
    let app = meta.labels.as_ref()?.get(labels::APP)?;
    Some(ObjectRef::new(app).within(meta.namespace.as_deref()?))
}

#[cfg(test)]
mod tests {
    use super::{trim_deployment, trim_meta, trim_pod};
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Pod;
    use serde_json::json;

    fn meta() -> serde_json::Value {
        json!({
            "name": "x-jobmanager",
            "namespace": "ns",
            "labels": {"app": "x", "component": "jobmanager"},
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "kept": "yes"
            },
            "ownerReferences": [{"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "name": "x", "uid": "u"}],
            "managedFields": [{"manager": "kubectl", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]
        })
    }

    #[test]
    fn pods_keep_metadata_and_status_only() {
        let mut pod: Pod = serde_json::from_value(json!({
            "metadata": meta(),
            "spec": {"containers": [{"name": "flink-main-container", "image": "flink"}]},
            "status": {"podIP": "10.0.0.1", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "flink-main-container", "image": "flink", "imageID": "", "ready": true, "restartCount": 2}]}
        }))
        .expect("a pod");
        let status = pod.status.clone();
        trim_pod(&mut pod);
        assert!(pod.spec.is_none());
        assert_eq!(pod.status, status);
        assert!(pod.metadata.managed_fields.is_none());
        let annotations = pod.metadata.annotations.as_ref().expect("annotations");
        assert_eq!(annotations.keys().collect::<Vec<_>>(), ["kept"]);
        assert_eq!(pod.metadata.labels.as_ref().map(|l| l.len()), Some(2));
        assert_eq!(
            pod.metadata.owner_references.as_ref().map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn deployments_keep_replicas_generation_and_status() {
        let mut d: Deployment = serde_json::from_value(json!({
            "metadata": meta(),
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}},
                     "template": {"spec": {"containers": [{"name": "flink-main-container"}]}}},
            "status": {"observedGeneration": 1, "readyReplicas": 2, "replicas": 2, "updatedReplicas": 2}
        }))
        .expect("a deployment");
        let status = d.status.clone();
        trim_deployment(&mut d);
        let spec = d.spec.as_ref().expect("spec");
        assert_eq!(spec.replicas, Some(2));
        assert!(spec.template.spec.is_none());
        assert_eq!(d.status, status);
        assert!(d.metadata.managed_fields.is_none());
    }

    #[test]
    fn metadata_without_other_annotations_has_none() {
        let mut m: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta =
            serde_json::from_value(json!({"name": "x", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{}"}}))
            .expect("metadata");
        trim_meta(&mut m);
        assert!(m.annotations.is_none());
        assert_eq!(m.name.as_deref(), Some("x"));
    }
}
