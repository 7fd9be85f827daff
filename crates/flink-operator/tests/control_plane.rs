//! End-to-end tests of the operator binary against the real local control plane (no node
//! needed): status on first sight, finalizer and delete, SIGTERM, leader election.
//!
//! Each test runs in its own namespace with its own operator process scoped to it.

mod common;

use std::time::{Duration, Instant};

use common::{Operator, condition, create, events, manifest, release_all, wait_for, wait_gone};
use flink_crd::FlinkDeployment;
use flink_crd::status::Phase;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use local_cluster::{LocalCluster, TestNamespace};

const SUSPENDED: &str = r#"
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: parked}
spec:
  image: flink-operator-rs/counter-job:1.20
  flinkVersion: v1_20
  flinkConfiguration:
    execution.checkpointing.savepoint-dir: file:///tmp/sp
  job:
    jarURI: local:///opt/flink/usrlib/counter-job.jar
    entryClass: dev.flinkoperator.examples.CounterJob
    upgradeMode: savepoint
    state: suspended
"#;

/// Passes the CRD's schema and CEL rules, but savepoint upgrades need a savepoint directory
/// (a rule that depends on the operator's defaults, so only the operator can judge it).
const INVALID: &str = r#"
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: broken}
spec:
  image: flink-operator-rs/counter-job:1.20
  flinkVersion: v1_20
  job:
    jarURI: local:///opt/flink/usrlib/counter-job.jar
    upgradeMode: savepoint
"#;

#[tokio::test]
async fn status_is_written_on_first_sight_for_suspended_and_invalid_resources() {
    let (ns, client, op) = with_operator("first-sight").await;

    create(&client, ns.name(), &manifest(SUSPENDED)).await;
    create(&client, ns.name(), &manifest(INVALID)).await;

    let parked = wait_for(
        &client,
        ns.name(),
        "parked",
        Duration::from_secs(20),
        "suspended status and finalizer",
        &op,
        // The status is written before the finalizer action runs, so wait for both.
        |f| {
            has_phase(f)
                && f.metadata
                    .finalizers
                    .as_ref()
                    .is_some_and(|l| !l.is_empty())
        },
    )
    .await;
    let st = parked.status.as_ref().expect("status");
    assert_eq!(st.phase, Some(Phase::Suspended));
    assert_eq!(st.observed_generation, Some(1));
    assert_eq!(condition(&parked, "Ready").as_deref(), Some("False"));
    assert!(condition(&parked, "Progressing").is_some(), "{st:?}");
    assert!(
        parked
            .metadata
            .finalizers
            .iter()
            .flatten()
            .any(|f| f == "flink.apache.org/finalizer"),
        "finalizer added: {:?}",
        parked.metadata.finalizers
    );

    let broken = wait_for(
        &client,
        ns.name(),
        "broken",
        Duration::from_secs(20),
        "invalid status",
        &op,
        has_phase,
    )
    .await;
    let st = broken.status.as_ref().expect("status");
    assert_eq!(st.phase, Some(Phase::Failed), "{st:?}");
    assert_eq!(st.observed_generation, Some(1));
    let error = st.error.clone().unwrap_or_default();
    assert!(
        error.contains("execution.checkpointing.savepoint-dir"),
        "the error says which key to set: {error}"
    );
    // Nothing was deployed for either.
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), ns.name());
    assert!(
        deployments
            .list(&Default::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    let warnings: Vec<_> = events(&client, ns.name(), "broken")
        .await
        .into_iter()
        .filter(|e| e.0 == "Warning")
        .collect();
    assert!(!warnings.is_empty(), "a Warning event for the invalid spec");

    // A new generation on a resource that stays suspended: observedGeneration follows.
    second_generation_is_observed(&client, ns.name(), "2", "observedGeneration 2", &op).await;
    release_after([op], &client, ns.name()).await;
}

#[tokio::test]
async fn deleting_releases_the_finalizer() {
    let (ns, client, op) = with_operator("delete").await;
    create(&client, ns.name(), &manifest(SUSPENDED)).await;
    wait_for(
        &client,
        ns.name(),
        "parked",
        Duration::from_secs(20),
        "finalizer added",
        &op,
        |f| {
            f.metadata
                .finalizers
                .iter()
                .flatten()
                .any(|x| x == "flink.apache.org/finalizer")
        },
    )
    .await;
    Api::<FlinkDeployment>::namespaced(client.clone(), ns.name())
        .delete("parked", &DeleteParams::default())
        .await
        .expect("delete accepted");
    wait_gone(&client, ns.name(), "parked", Duration::from_secs(30), &op).await;
    let (_, metrics) = op.get("/metrics").await.expect("metrics answer");
    // A reconcile already queued from the status write may still see the cached object with
    // its finalizer and remove it again: harmless (the conditional PATCH finds it gone), so
    // at least one, and never an error.
    let removed: u32 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                r#"flink_operator_actions_total{action="RemoveFinalizer",outcome="ok"} "#,
            )
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(removed >= 1, "{metrics}");
    assert!(
        !metrics.contains(r#"action="RemoveFinalizer",outcome="error""#),
        "{metrics}"
    );
}

#[tokio::test]
async fn sigterm_stops_the_operator_cleanly() {
    let (ns, client, mut op) = with_operator("sigterm").await;
    // Something to reconcile while the signal arrives.
    create(&client, ns.name(), &manifest(SUSPENDED)).await;
    create(&client, ns.name(), &manifest(INVALID)).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (took, code) = op.terminate();
    println!("SIGTERM to exit: {} ms", took.as_millis());
    assert_eq!(code, Some(0), "clean exit; log:\n{}", op.log_text());
    assert!(op.log_text().contains("shutting down"), "{}", op.log_text());
    // Text logs written to a file carry no terminal colour codes.
    assert!(!op.log_text().contains('\u{1b}'), "{}", op.log_text());
    release_after([op], &client, ns.name()).await;
}

#[tokio::test]
async fn only_the_leader_acts_and_a_standby_takes_over() {
    let (cluster, ns, client) = namespace("leader").await;
    let lease = format!("flink-operator-{}", ns.name());
    let args = [
        "--leader-election",
        "--lease-name",
        lease.as_str(),
        "--lease-namespace",
        ns.name(),
    ];
    let mut a = Operator::start(cluster, ns.name(), "leader-a", &args);
    a.wait_ready(Duration::from_secs(30)).await;
    let mut b = Operator::start(cluster, ns.name(), "leader-b", &args);
    // b stands by: alive, not ready, not leading.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (code, body) = b.get("/readyz").await.expect("b answers");
    // Ready as a standby: a RollingUpdate of two replicas must not stall on it.
    assert_eq!(code, 200, "the standby is ready: {body}");
    assert!(body.contains("standby"), "{body}");

    create(&client, ns.name(), &manifest(SUSPENDED)).await;
    wait_for(
        &client,
        ns.name(),
        "parked",
        Duration::from_secs(20),
        "the leader writes status",
        &a,
        has_phase,
    )
    .await;
    let reconciles = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("flink_operator_reconciles_total"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    let (_, a_metrics) = a.get("/metrics").await.expect("a metrics");
    let (_, b_metrics) = b.get("/metrics").await.expect("b metrics");
    assert!(reconciles(&a_metrics) >= 1.0, "{a_metrics}");
    assert_eq!(
        reconciles(&b_metrics),
        0.0,
        "the standby reconciled: {b_metrics}"
    );

    // Kill the leader without a chance to release: b takes over after the lease expires.
    a.kill();
    let started = Instant::now();
    b.wait_ready(Duration::from_secs(40)).await;
    println!(
        "takeover after SIGKILL of the leader: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    second_generation_is_observed(&client, ns.name(), "3", "the new leader acts", &b).await;
    // A clean stop releases the Lease.
    let (_, code) = b.terminate();
    assert_eq!(code, Some(0), "{}", b.log_text());
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), ns.name());
    let l = leases.get(&lease).await.expect("lease");
    assert_eq!(
        l.spec.and_then(|s| s.holder_identity),
        None,
        "released on shutdown"
    );
    release_after([a, b], &client, ns.name()).await;
}

/// The shared control plane, a fresh namespace `op-<tag>` in it and a client.
async fn namespace(tag: &str) -> (&'static LocalCluster, TestNamespace, kube::Client) {
    let cluster = local_cluster::shared().await.expect("control plane");
    let ns = TestNamespace::new(cluster, &format!("op-{tag}"))
        .await
        .expect("namespace");
    let client = cluster.client().expect("client");
    (cluster, ns, client)
}

/// [`namespace`] with a ready operator scoped to it.
async fn with_operator(tag: &str) -> (TestNamespace, kube::Client, Operator) {
    let (cluster, ns, client) = namespace(tag).await;
    let op = Operator::start(cluster, ns.name(), tag, &[]);
    op.wait_ready(Duration::from_secs(30)).await;
    (ns, client, op)
}

/// Whether the operator has written a phase.
fn has_phase(f: &FlinkDeployment) -> bool {
    f.status.as_ref().and_then(|s| s.phase).is_some()
}

/// Gives `parked` a second generation (other job arguments, `--keys <keys>`) and waits until
/// `op` reports it observed.
async fn second_generation_is_observed(
    client: &kube::Client,
    namespace: &str,
    keys: &str,
    what: &str,
    op: &Operator,
) {
    let api = Api::<FlinkDeployment>::namespaced(client.clone(), namespace);
    let patch = serde_json::json!({"spec": {"job": {"args": ["--keys", keys]}}});
    api.patch("parked", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patched");
    wait_for(
        client,
        namespace,
        "parked",
        Duration::from_secs(20),
        what,
        op,
        |f| f.status.as_ref().and_then(|s| s.observed_generation) == Some(2),
    )
    .await;
}

/// Test cleanup: the operators go first, or one would add its finalizer back before the
/// namespace is deleted and leave the namespace stuck terminating.
async fn release_after<const N: usize>(
    operators: [Operator; N],
    client: &kube::Client,
    namespace: &str,
) {
    drop(operators);
    release_all(client, namespace).await;
}
