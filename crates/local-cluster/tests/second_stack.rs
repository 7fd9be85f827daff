//! A second, private stack beside the shared one: its own folder and ports, CRDs installed
//! before the controller-manager (so garbage collection of custom-resource owners works at
//! once), and `down` stops every process and removes the folder.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use local_cluster::{LocalCluster, Settings, TestNamespace};
use serde_json::json;

#[tokio::test]
async fn a_private_stack_collects_garbage_owned_by_a_custom_resource_and_stops_cleanly() {
    let dir = testground::state_dir().join(format!("cluster-test-{}", std::process::id()));
    let settings = Settings {
        dir: dir.clone(),
        crd_dir: Some(
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crds"),
        ),
    };
    let cluster = LocalCluster::start(&settings)
        .await
        .expect("a second stack starts");
    assert!(cluster.was_started());
    assert!(
        LocalCluster::status(&dir).all_running(),
        "{}",
        LocalCluster::status(&dir)
    );
    assert!(
        matches!(
            LocalCluster::start(&settings).await,
            Err(local_cluster::Error::AlreadyRunning(_))
        ),
        "a second start in the same folder must be refused"
    );

    let result = garbage_collection(&cluster).await;
    let pids: Vec<u32> = LocalCluster::status(&dir)
        .components
        .iter()
        .filter_map(|c| c.pid)
        .collect();

    assert!(
        LocalCluster::down(&dir).expect("down"),
        "down saw the stack running"
    );
    for pid in pids {
        assert!(
            !testground::pid_alive(pid),
            "pid {pid} still runs after down"
        );
    }
    assert!(!dir.exists(), "down removes {}", dir.display());
    assert!(!LocalCluster::status(&dir).any_running());
    result.expect("garbage collection");
}

async fn garbage_collection(cluster: &LocalCluster) -> Result<(), String> {
    let ns = TestNamespace::new(cluster, "gc")
        .await
        .map_err(|e| e.to_string())?;
    let client = cluster.client().map_err(|e| e.to_string())?;
    let gvk = GroupVersionKind::gvk("local-cluster.test", "v1", "Probe");
    let probes: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns.name(), &ApiResource::from_gvk(&gvk));
    let configmaps: Api<ConfigMap> = Api::namespaced(client, ns.name());

    let probe: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "local-cluster.test/v1",
        "kind": "Probe",
        "metadata": {"name": "owner"},
        "spec": {"anything": 1},
    }))
    .map_err(|e| e.to_string())?;
    let owner = probes
        .create(&PostParams::default(), &probe)
        .await
        .map_err(|e| format!("create the owner: {e}"))?;
    let owned: ConfigMap = serde_json::from_value(json!({
        "metadata": {
            "name": "owned",
            "ownerReferences": [{
                "apiVersion": "local-cluster.test/v1",
                "kind": "Probe",
                "name": "owner",
                "uid": owner.metadata.uid,
            }],
        },
    }))
    .map_err(|e| e.to_string())?;
    configmaps
        .create(&PostParams::default(), &owned)
        .await
        .map_err(|e| format!("create the owned object: {e}"))?;

    probes
        .delete("owner", &DeleteParams::background())
        .await
        .map_err(|e| format!("delete the owner: {e}"))?;
    let start = Instant::now();
    // The CRD existed before the controller-manager started, so no 30 s discovery resync
    // is needed; 20 s leaves room for a slow machine.
    while configmaps
        .get_opt("owned")
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        if start.elapsed() > Duration::from_secs(20) {
            return Err("the owned ConfigMap survived its owner for 20 s".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "garbage collected after {:.1}s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
