//! Pods that cannot run: an image the node does not know waits in ErrImagePull /
//! ImagePullBackOff with a message; a crashing command goes into CrashLoopBackOff with the
//! exit code in `lastState.terminated`.

mod common;

use std::time::Duration;

use common::*;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use local_cluster::TestNamespace;

const TIMEOUT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_image_waits_in_image_pull_back_off_with_a_message() {
    local_node::shared().await.expect("local node");
    let cluster = local_cluster::shared().await.expect("control plane");
    let ns = TestNamespace::new(cluster, "node-bad-image")
        .await
        .expect("namespace");
    let pods: Api<Pod> = Api::namespaced(cluster.client().expect("client"), ns.name());
    let image = "flink-operator-rs/no-such-image:1.0";
    apply(
        cluster,
        ns.name(),
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: bad}}\nspec:\n  containers:\n  - {{name: main, image: \"{image}\"}}\n"
        ),
    );
    let mut seen = Vec::new();
    for wanted in ["ErrImagePull", "ImagePullBackOff"] {
        let (reason, message, phase) =
            wait_for(&format!("waiting reason {wanted}"), TIMEOUT, || async {
                let p = pods.get("bad").await.map_err(|e| e.to_string())?;
                let s = first_status(&p).ok_or("no container status yet")?;
                let w = s.state.and_then(|s| s.waiting).ok_or("not waiting")?;
                let reason = w.reason.unwrap_or_default();
                let phase = p.status.and_then(|s| s.phase).unwrap_or_default();
                if reason == wanted {
                    Ok((reason, w.message.unwrap_or_default(), phase))
                } else {
                    Err(reason)
                }
            })
            .await;
        assert!(message.contains(image), "{reason}: {message}");
        assert!(message.contains("not a local image"), "{reason}: {message}");
        assert_eq!(phase, "Pending");
        seen.push(reason);
    }
    assert_eq!(seen, ["ErrImagePull", "ImagePullBackOff"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_command_goes_into_crash_loop_back_off() {
    local_node::shared().await.expect("local node");
    let cluster = local_cluster::shared().await.expect("control plane");
    let ns = TestNamespace::new(cluster, "node-crash")
        .await
        .expect("namespace");
    let pods: Api<Pod> = Api::namespaced(cluster.client().expect("client"), ns.name());
    apply(
        cluster,
        ns.name(),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: crash}\nspec:\n  containers:\n  - name: main\n    image: busybox:1.36\n    command: [\"sh\", \"-c\", \"echo about to fail; exit 3\"]\n",
    );
    let status = wait_for(
        "CrashLoopBackOff with the last exit code",
        TIMEOUT,
        || async {
            let p = pods.get("crash").await.map_err(|e| e.to_string())?;
            let s = first_status(&p).ok_or("no container status yet")?;
            let reason = s
                .state
                .as_ref()
                .and_then(|st| st.waiting.as_ref())
                .and_then(|w| w.reason.clone())
                .unwrap_or_default();
            let last = s.last_state.as_ref().and_then(|l| l.terminated.clone());
            if reason == "CrashLoopBackOff" && last.is_some() {
                Ok(s)
            } else {
                Err(format!("{reason} last {last:?}"))
            }
        },
    )
    .await;
    let last = status
        .last_state
        .and_then(|l| l.terminated)
        .expect("lastState.terminated");
    assert_eq!(last.exit_code, 3);
    assert_eq!(last.reason.as_deref(), Some("Error"));
    assert!(
        status.restart_count >= 1,
        "restarts {}",
        status.restart_count
    );
    assert!(!status.ready);
    let message = status
        .state
        .and_then(|s| s.waiting)
        .and_then(|w| w.message)
        .unwrap_or_default();
    assert!(message.contains("back-off"), "{message}");
    let logs = kubectl(cluster, &["logs", "-n", ns.name(), "crash", "--previous"]);
    assert_eq!(logs.trim(), "about to fail");
}
