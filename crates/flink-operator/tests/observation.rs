//! Snapshot tests of the observation mapping: cached Kubernetes objects and Flink REST answers
//! in, the lifecycle machine's observation out (pure, no cluster).

use std::sync::Arc;

use flink_operator::caches::ClusterObjects;
use flink_operator::observe::{cluster, flink};
use flink_rest::{CheckpointingStatistics, JobDetails, OperationStatus};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

fn deployment(
    name: &str,
    component: &str,
    hash: &str,
    wanted: i32,
    ready: i32,
    generation: i64,
    observed: i64,
) -> Arc<Deployment> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns", "generation": generation, "labels": {
                "app": "basic", "component": component, "type": "flink-standalone-kubernetes",
                "app.kubernetes.io/managed-by": "flink-operator-rs",
                "flink-operator-rs.dev/spec-hash": hash}},
            "spec": {"replicas": wanted, "selector": {"matchLabels": {"app": "basic"}},
                     "template": {"spec": {"containers": []}}},
            "status": {"observedGeneration": observed, "replicas": wanted, "updatedReplicas": ready, "readyReplicas": ready}
        }))
        .expect("a Deployment"),
    )
}

fn pod(name: &str, component: &str, container_status: serde_json::Value) -> Arc<Pod> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns", "labels": {
                "app": "basic", "component": component, "type": "flink-standalone-kubernetes"}},
            "status": {"podIP": "10.244.0.7", "containerStatuses": [container_status]}
        }))
        .expect("a Pod"),
    )
}

fn running(restarts: i32) -> serde_json::Value {
    json!({"name": "flink-main-container", "image": "i", "imageID": "", "ready": true,
           "restartCount": restarts, "state": {"running": {}}})
}

#[test]
fn nothing_deployed() {
    insta::assert_yaml_snapshot!(cluster::observe("basic", &ClusterObjects::default()));
}

#[test]
fn cluster_ready_with_a_restarted_job_manager() {
    let objects = ClusterObjects {
        deployments: vec![
            deployment("basic", "jobmanager", "abc", 1, 1, 2, 2),
            deployment("basic-taskmanager", "taskmanager", "abc", 2, 2, 1, 1),
        ],
        pods: vec![
            pod("basic-jm", "jobmanager", running(2)),
            pod("basic-tm-1", "taskmanager", running(0)),
        ],
        ..ClusterObjects::default()
    };
    insta::assert_yaml_snapshot!(cluster::observe("basic", &objects));
}

#[test]
fn rollout_not_yet_seen_by_the_deployment_controller_is_starting() {
    let objects = ClusterObjects {
        deployments: vec![
            deployment("basic", "jobmanager", "new", 1, 1, 3, 2),
            deployment("basic-taskmanager", "taskmanager", "new", 2, 1, 1, 1),
        ],
        ..ClusterObjects::default()
    };
    insta::assert_yaml_snapshot!(cluster::observe("basic", &objects));
}

#[test]
fn image_pull_and_crash_loop_are_reported_job_manager_first() {
    let objects = ClusterObjects {
        deployments: vec![
            deployment("basic", "jobmanager", "abc", 1, 0, 1, 1),
            deployment("basic-taskmanager", "taskmanager", "abc", 1, 0, 1, 1),
        ],
        pods: vec![
            pod(
                "basic-tm-1",
                "taskmanager",
                json!({"name": "flink-main-container", "image": "i", "imageID": "", "ready": false,
                       "restartCount": 0, "state": {"waiting": {"reason": "ErrImagePull",
                       "message": "image nope:1 is not in the local image store"}}}),
            ),
            pod(
                "basic-jm",
                "jobmanager",
                json!({"name": "flink-main-container", "image": "i", "imageID": "", "ready": false,
                       "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff",
                       "message": "back-off 40s restarting failed container"}},
                       "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}),
            ),
        ],
        ..ClusterObjects::default()
    };
    insta::assert_yaml_snapshot!(cluster::observe("basic", &objects));
}

#[test]
fn a_container_still_being_created_is_no_failure() {
    let objects = ClusterObjects {
        deployments: vec![deployment("basic", "jobmanager", "abc", 1, 0, 1, 1)],
        pods: vec![pod(
            "basic-jm",
            "jobmanager",
            json!({"name": "flink-main-container", "image": "i", "imageID": "", "ready": false,
                   "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}),
        )],
        ..ClusterObjects::default()
    };
    let obs = cluster::observe("basic", &objects);
    assert_eq!(obs.pod_failure, None);
    assert!(obs.exists);
}

fn details(state: &str, vertex_states: &[&str]) -> JobDetails {
    let vertices: Vec<_> = vertex_states
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"id": format!("{i:032x}"), "name": format!("v{i}"), "parallelism": 2, "status": s}))
        .collect();
    serde_json::from_value(json!({
        "jid": "0ce48541207f5a9d59cd1d88e531a884", "name": "counter", "state": state,
        "start-time": 1795444207000i64, "end-time": -1, "vertices": vertices
    }))
    .expect("job details")
}

fn checkpoints() -> CheckpointingStatistics {
    serde_json::from_value(json!({
        "counts": {"restored": 0, "total": 3, "in_progress": 0, "completed": 3, "failed": 0},
        "latest": {"completed": {"id": 3, "external_path": "file:/flink-data/checkpoints/0ce4/chk-3",
                                 "trigger_timestamp": 1795444237000i64, "is_savepoint": false},
                   "savepoint": null, "failed": null, "restored": null}
    }))
    .expect("checkpoint statistics")
}

#[test]
fn running_job_with_a_checkpoint() {
    let d = details("RUNNING", &["RUNNING", "RUNNING"]);
    insta::assert_yaml_snapshot!(flink::job_observation(
        Ok(&d),
        Some(1),
        Some(&checkpoints()),
        None
    ));
}

#[test]
fn job_running_before_its_tasks() {
    let d = details("RUNNING", &["RUNNING", "DEPLOYING"]);
    insta::assert_yaml_snapshot!(flink::job_observation(Ok(&d), None, None, None));
}

#[test]
fn failed_job_reports_the_first_line_of_its_exception() {
    let d = details("FAILED", &["FAILED"]);
    let trace = "java.lang.RuntimeException: boom\n\tat x.Y.z(Y.java:1)\n";
    insta::assert_yaml_snapshot!(flink::job_observation(Ok(&d), Some(3), None, Some(trace)));
}

#[test]
fn rest_errors_map_to_not_found_or_unreachable() {
    let not_found = flink_rest::Error::Api {
        call: "job details",
        endpoint: "GET /jobs/:jid",
        status: 404,
        errors: vec!["Job not found".into()],
    };
    let down = flink_rest::Error::Timeout {
        call: "job details",
        endpoint: "GET /jobs/:jid",
        after: std::time::Duration::from_secs(10),
    };
    insta::assert_yaml_snapshot!((
        flink::job_observation(Err(&not_found), None, None, None),
        flink::job_observation(Err(&down), None, None, None),
    ));
}

#[test]
fn trigger_answers() {
    let id = "5f3a0000000000000000000000000001";
    let gone = flink_rest::Error::Api {
        call: "savepoint status",
        endpoint: "GET /jobs/:jid/savepoints/:triggerid",
        status: 404,
        errors: vec![],
    };
    let failed = serde_json::from_value(json!({"class": "java.io.IOException", "stack-trace": "java.io.IOException: disk full\n\tat a.b"}))
        .expect("failure cause");
    insta::assert_yaml_snapshot!(vec![
        flink::savepoint_trigger(id, &Ok(OperationStatus::InProgress)),
        flink::savepoint_trigger(
            id,
            &Ok(OperationStatus::Completed("file:/sp/savepoint-1".into()))
        ),
        flink::savepoint_trigger(id, &Ok(OperationStatus::Failed(failed))),
        flink::savepoint_trigger(id, &Err(gone)),
        flink::checkpoint_trigger(id, &Ok(OperationStatus::Completed(3)), Some(&checkpoints())),
        flink::checkpoint_trigger(id, &Ok(OperationStatus::Completed(4)), Some(&checkpoints())),
    ]);
}
