//! The apiserver of the shared stack behaves like Kubernetes: its version, watches and
//! server-side apply with field managers.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use local_cluster::{KUBERNETES_VERSION, TestNamespace, shared};
use serde_json::json;

#[tokio::test]
async fn version_is_the_release_the_binary_was_built_from() {
    let cluster = shared().await.expect("local cluster");
    let info = cluster
        .client()
        .expect("client")
        .apiserver_version()
        .await
        .expect("/version");
    assert_eq!(info.git_version, KUBERNETES_VERSION);
    assert_eq!(info.git_version, "v1.35.4");
    assert_eq!((info.major.as_str(), info.minor.as_str()), ("1", "35"));
}

#[tokio::test]
async fn a_watcher_sees_create_update_and_delete() {
    let cluster = shared().await.expect("local cluster");
    let ns = TestNamespace::new(cluster, "watch")
        .await
        .expect("namespace");
    let api: Api<ConfigMap> = Api::namespaced(cluster.client().expect("client"), ns.name());

    let mut events = watcher(api.clone(), watcher::Config::default()).boxed();
    // Only change things once the initial list is done, so every change is a watch event.
    loop {
        match next(&mut events).await {
            watcher::Event::InitDone => break,
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
            other => panic!("unexpected event before InitDone: {other:?}"),
        }
    }

    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("watched".into());
    cm.data = Some(BTreeMap::from([("step".into(), "created".into())]));
    api.create(&PostParams::default(), &cm)
        .await
        .expect("create");
    let created = expect_apply(&mut events).await;
    assert_eq!(data(&created), Some("created"));

    let patch = json!({"data": {"step": "updated"}});
    api.patch("watched", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("update");
    let updated = expect_apply(&mut events).await;
    assert_eq!(data(&updated), Some("updated"));
    assert_ne!(
        created.metadata.resource_version,
        updated.metadata.resource_version
    );

    api.delete("watched", &DeleteParams::default())
        .await
        .expect("delete");
    match next(&mut events).await {
        watcher::Event::Delete(cm) => assert_eq!(cm.metadata.name.as_deref(), Some("watched")),
        other => panic!("expected a delete event, got {other:?}"),
    }
}

#[tokio::test]
async fn server_side_apply_tracks_managers_and_refuses_conflicts() {
    let cluster = shared().await.expect("local cluster");
    let ns = TestNamespace::new(cluster, "apply")
        .await
        .expect("namespace");
    let api: Api<ConfigMap> = Api::namespaced(cluster.client().expect("client"), ns.name());
    let desired = |value: &str| {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "applied"},
            "data": {"owner-field": value},
        })
    };

    let ours = PatchParams::apply("flink-operator");
    let applied = api
        .patch("applied", &ours, &Patch::Apply(desired("ours")))
        .await
        .expect("first apply");
    let managers: Vec<_> = applied
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.as_deref())
        .collect();
    assert_eq!(managers, ["flink-operator"]);

    // Applying the same object again with the same manager is a no-op, not a conflict.
    let again = api
        .patch("applied", &ours, &Patch::Apply(desired("ours")))
        .await
        .expect("idempotent apply");
    assert_eq!(
        again.metadata.resource_version,
        applied.metadata.resource_version
    );

    let theirs = PatchParams::apply("someone-else");
    let err = api
        .patch("applied", &theirs, &Patch::Apply(desired("theirs")))
        .await
        .expect_err("a second manager changing our field must conflict");
    match &err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 409, "{status:?}");
            assert!(status.message.contains("flink-operator"), "{status:?}");
        }
        other => panic!("expected an API conflict, got {other:?}"),
    }

    let forced = api
        .patch("applied", &theirs.force(), &Patch::Apply(desired("theirs")))
        .await
        .expect("forced apply takes the field over");
    assert_eq!(data_of(&forced, "owner-field"), Some("theirs"));
}

async fn next(
    events: &mut futures::stream::BoxStream<'static, watcher::Result<watcher::Event<ConfigMap>>>,
) -> watcher::Event<ConfigMap> {
    tokio::time::timeout(Duration::from_secs(20), events.next())
        .await
        .expect("a watch event within 20 s")
        .expect("the watch stream continues")
        .expect("no watch error")
}

async fn expect_apply(
    events: &mut futures::stream::BoxStream<'static, watcher::Result<watcher::Event<ConfigMap>>>,
) -> ConfigMap {
    match next(events).await {
        watcher::Event::Apply(cm) => cm,
        other => panic!("expected an apply event, got {other:?}"),
    }
}

fn data(cm: &ConfigMap) -> Option<&str> {
    data_of(cm, "step")
}

fn data_of<'a>(cm: &'a ConfigMap, key: &str) -> Option<&'a str> {
    cm.data.as_ref()?.get(key).map(String::as_str)
}
