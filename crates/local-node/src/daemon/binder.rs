//! The scheduler's part: every pending pod without a node is bound to this node through the
//! Binding subresource (does IO: the API).

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Resource;
use kube::api::{Api, PostParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

/// Watches unscheduled pods and binds each to `node`, forever.
pub(crate) async fn run(client: kube::Client, node: String) {
    let pods: Api<Pod> = Api::all(client.clone());
    let recorder = Recorder::new(
        client.clone(),
        Reporter {
            controller: "default-scheduler".into(),
            instance: Some(node.clone()),
        },
    );
    let cfg = watcher::Config::default().fields("spec.nodeName=");
    let mut stream = watcher(pods, cfg)
        .default_backoff()
        .applied_objects()
        .boxed();
    while let Some(item) = stream.next().await {
        let pod = match item {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "watching unscheduled pods");
                continue;
            }
        };
        // Like kube-scheduler, bind only pods that ask for the default scheduler.
        let other_scheduler = pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .is_some_and(|n| !n.is_empty() && n != "default-scheduler");
        if pod.metadata.deletion_timestamp.is_some()
            || other_scheduler
            || pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .is_some_and(|n| !n.is_empty())
        {
            continue;
        }
        let (Some(ns), Some(name)) = (pod.metadata.namespace.clone(), pod.metadata.name.clone())
        else {
            continue;
        };
        let binding = json!({
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": { "name": name, "namespace": ns, "uid": pod.metadata.uid },
            "target": { "apiVersion": "v1", "kind": "Node", "name": node },
        });
        let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
        match api
            .create_subresource::<_, serde_json::Value>(
                "binding",
                &name,
                &PostParams::default(),
                &binding,
            )
            .await
        {
            Ok(_) => {
                tracing::info!(pod = %format!("{ns}/{name}"), "bound");
                let ev = Event {
                    type_: EventType::Normal,
                    reason: "Scheduled".into(),
                    note: Some(format!("Successfully assigned {ns}/{name} to {node}")),
                    action: "Binding".into(),
                    secondary: None,
                };
                let _ = recorder.publish(&ev, &pod.object_ref(&())).await;
            }
            Err(kube::Error::Api(s)) if s.code == 409 || s.code == 404 => {}
            Err(e) => tracing::warn!(pod = %format!("{ns}/{name}"), error = %e, "binding"),
        }
    }
}
