//! The shared stack's controller-manager runs the built-in controllers: a Deployment
//! becomes a ReplicaSet and Pods (which stay Pending: there is no node or scheduler).

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, PostParams};
use local_cluster::{TestNamespace, shared};
use serde_json::json;

#[tokio::test]
async fn a_deployment_becomes_a_replicaset_and_pending_pods() {
    let cluster = shared().await.expect("local cluster");
    let ns = TestNamespace::new(cluster, "deploy")
        .await
        .expect("namespace");
    let client = cluster.client().expect("client");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns.name());
    let replicasets: Api<ReplicaSet> = Api::namespaced(client.clone(), ns.name());
    let pods: Api<Pod> = Api::namespaced(client, ns.name());

    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                // A scheduler nobody runs: the local node (if up) leaves these pods Pending.
                "spec": {"schedulerName": "no-scheduler", "containers": [{"name": "web", "image": "example.invalid/web:1"}]},
            },
        },
    }))
    .expect("deployment");
    let created = deployments
        .create(&PostParams::default(), &deployment)
        .await
        .expect("create deployment");
    let uid = created.metadata.uid.expect("uid");

    let start = Instant::now();
    let (rs, pod_list) = loop {
        let rs = replicasets
            .list(&ListParams::default())
            .await
            .expect("list rs");
        let pod_list = pods.list(&ListParams::default()).await.expect("list pods");
        if rs.items.len() == 1 && pod_list.items.len() == 2 {
            break (rs.items, pod_list.items);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "after 60 s: {} ReplicaSets and {} Pods (want 1 and 2)",
            rs.items.len(),
            pod_list.items.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let owner = rs[0].metadata.owner_references.as_ref().expect("rs owner")[0].clone();
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str()),
        ("Deployment", uid.as_str())
    );
    let rs_uid = rs[0].metadata.uid.clone().expect("rs uid");
    for pod in &pod_list {
        let owner = &pod.metadata.owner_references.as_ref().expect("pod owner")[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str()),
            ("ReplicaSet", rs_uid.as_str())
        );
        let status = pod.status.as_ref().expect("status");
        assert_eq!(status.phase.as_deref(), Some("Pending"));
        let spec = pod.spec.as_ref().expect("spec");
        assert_eq!(
            spec.node_name, None,
            "no scheduler for these pods: none is bound to a node"
        );
    }
}
