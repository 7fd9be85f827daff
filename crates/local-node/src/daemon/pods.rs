//! Dispatching the pods bound to this node to one worker each, adopting the pods an earlier
//! daemon ran and cleaning up those that are gone (does IO: the API, processes).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::{mpsc, watch};

use crate::daemon::cleanup;
use crate::daemon::record::PodRecord;
use crate::daemon::worker::{Shared, Worker};

/// Runs the pods of this node until the watch ends; calls `on_ready` once the first full
/// list was handled (old pods adopted or cleaned up).
pub(crate) async fn run(
    sh: Arc<Shared>,
    mut records: BTreeMap<String, PodRecord>,
    on_ready: impl FnOnce(),
) {
    let api: Api<Pod> = Api::all(sh.client.clone());
    let cfg = watcher::Config::default().fields(&format!("spec.nodeName={}", sh.node));
    let mut stream = watcher(api, cfg).default_backoff().boxed();
    let mut workers: HashMap<String, watch::Sender<Option<Pod>>> = HashMap::new();
    let mut finished: HashSet<String> = HashSet::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<String>();
    let mut listing: Option<HashSet<String>> = None;
    let mut on_ready = Some(on_ready);
    loop {
        let event = tokio::select! {
            e = stream.next() => match e {
                Some(e) => e,
                None => return,
            },
            Some(uid) = done_rx.recv() => {
                workers.remove(&uid);
                finished.insert(uid);
                continue;
            }
        };
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "watching the node's pods");
                continue;
            }
        };
        match event {
            watcher::Event::Init => listing = Some(HashSet::new()),
            watcher::Event::InitApply(pod) | watcher::Event::Apply(pod) => {
                let Some(uid) = pod.metadata.uid.clone() else {
                    continue;
                };
                if let Some(seen) = listing.as_mut() {
                    seen.insert(uid.clone());
                }
                if finished.contains(&uid) {
                    continue;
                }
                if let Some(tx) = workers.get(&uid) {
                    let _ = tx.send(Some(pod));
                    continue;
                }
                let (tx, rx) = watch::channel(Some(pod.clone()));
                let worker = Worker::new(sh.clone(), rx, pod, records.remove(&uid));
                workers.insert(uid.clone(), tx);
                let done = done_tx.clone();
                tokio::spawn(async move {
                    worker.run().await;
                    let _ = done.send(uid);
                });
            }
            watcher::Event::Delete(pod) => {
                if let Some(uid) = &pod.metadata.uid
                    && let Some(tx) = workers.get(uid)
                {
                    let _ = tx.send(None);
                }
            }
            watcher::Event::InitDone => {
                let seen = listing.take().unwrap_or_default();
                for (uid, tx) in &workers {
                    if !seen.contains(uid) {
                        let _ = tx.send(None);
                    }
                }
                // Records of pods that no longer exist: stop what they left behind.
                let stale: Vec<PodRecord> = std::mem::take(&mut records).into_values().collect();
                for r in stale {
                    tracing::info!(pod = %format!("{}/{}", r.namespace, r.name), "cleaning up a pod that is gone");
                    if let Some(net) = &r.net
                        && let Ok(mut ipam) = sh.ipam.lock()
                    {
                        ipam.release(net.ip);
                    }
                    let dir = sh.layout.pod(&r.uid);
                    let _ = tokio::task::spawn_blocking(move || {
                        cleanup::stop_pod(&r, std::time::Duration::from_secs(10));
                        let _ = std::fs::remove_dir_all(dir);
                    })
                    .await;
                }
                if let Some(f) = on_ready.take() {
                    f();
                }
            }
        }
    }
}
