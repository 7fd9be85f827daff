//! The validating webhook: AdmissionReview JSON in, the decision out; and the same over HTTPS
//! with a certificate made for the test (rcgen).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use flink_operator::shutdown::Shutdown;
use flink_operator::webhook;
use kube::core::DynamicObject;
use kube::core::admission::AdmissionReview;
use serde_json::{Value, json};

fn review_of(kind: &str, object: Value) -> AdmissionReview<DynamicObject> {
    let resource = if kind == "FlinkDeployment" {
        "flinkdeployments"
    } else {
        "flinksessionjobs"
    };
    serde_json::from_value(json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "flink.apache.org", "version": "v1beta1", "kind": kind},
            "resource": {"group": "flink.apache.org", "version": "v1beta1", "resource": resource},
            "name": object["metadata"]["name"],
            "namespace": "team-a",
            "operation": "CREATE",
            "userInfo": {"username": "alice"},
            "object": object,
            "oldObject": null,
            "dryRun": false
        }
    }))
    .expect("an AdmissionReview")
}

fn deployment(spec: Value) -> Value {
    json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
           "metadata": {"name": "basic", "namespace": "team-a"}, "spec": spec})
}

fn answer(review: AdmissionReview<DynamicObject>, defaults: &BTreeMap<String, String>) -> Value {
    let out = serde_json::to_value(webhook::review(review, defaults)).expect("serializes");
    out["response"].clone()
}

fn good_spec() -> Value {
    json!({
        "image": "flink-operator-rs/counter-job:1.20",
        "flinkVersion": "v1_20",
        "flinkConfiguration": {"execution.checkpointing.savepoint-dir": "file:///sp"},
        "jobManager": {"resource": {"memory": "1024m", "cpu": 0.5}},
        "taskManager": {"resource": {"memory": "1024m", "cpu": 0.5}},
        "job": {"jarURI": "local:///opt/flink/usrlib/counter-job.jar", "upgradeMode": "savepoint"}
    })
}

#[test]
fn a_valid_deployment_is_allowed_with_the_request_uid() {
    let r = answer(
        review_of("FlinkDeployment", deployment(good_spec())),
        &BTreeMap::new(),
    );
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(r["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
}

#[test]
fn savepoint_upgrades_without_a_directory_are_refused_unless_the_operator_defaults_have_one() {
    let mut spec = good_spec();
    spec["flinkConfiguration"] = json!({});
    let r = answer(
        review_of("FlinkDeployment", deployment(spec.clone())),
        &BTreeMap::new(),
    );
    assert_eq!(r["allowed"], false, "{r}");
    let msg = r["status"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("execution.checkpointing.savepoint-dir"),
        "{msg}"
    );
    let defaults = BTreeMap::from([(
        "execution.checkpointing.savepoint-dir".to_string(),
        "s3://bucket/sp".to_string(),
    )]);
    let r = answer(review_of("FlinkDeployment", deployment(spec)), &defaults);
    assert_eq!(r["allowed"], true, "{r}");
}

#[test]
fn what_the_resource_builders_refuse_is_refused_at_admission() {
    let mut spec = good_spec();
    spec.as_object_mut().expect("object").remove("flinkVersion");
    let r = answer(
        review_of("FlinkDeployment", deployment(spec)),
        &BTreeMap::new(),
    );
    assert_eq!(r["allowed"], false, "{r}");
    let msg = r["status"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("flinkVersion"), "{msg}");
}

#[test]
fn session_jobs_need_a_jar_the_operator_can_fetch() {
    let job = |uri: &str| {
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
               "metadata": {"name": "job", "namespace": "team-a"},
               "spec": {"deploymentName": "session", "job": {"jarURI": uri}}})
    };
    let r = answer(
        review_of("FlinkSessionJob", job("local:///opt/flink/usrlib/a.jar")),
        &BTreeMap::new(),
    );
    assert_eq!(r["allowed"], false, "{r}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("jarURI"),
        "{r}"
    );
    let r = answer(
        review_of("FlinkSessionJob", job("https://repo.example/a.jar")),
        &BTreeMap::new(),
    );
    assert_eq!(r["allowed"], true, "{r}");
}

#[tokio::test]
async fn served_over_https_with_the_certificate_in_the_cert_dir() {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("a certificate");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tls.crt"), cert.cert.pem()).expect("tls.crt");
    std::fs::write(dir.path().join("tls.key"), cert.signing_key.serialize_pem()).expect("tls.key");
    let port = testground::free_port().expect("port");
    let shutdown = Shutdown::new();
    let server = webhook::serve(
        format!("127.0.0.1:{port}").parse().expect("addr"),
        dir.path(),
        Arc::new(BTreeMap::new()),
        shutdown.clone(),
    )
    .await
    .expect("serves");
    let task = tokio::spawn(server);
    let mut spec = good_spec();
    spec["job"]["parallelism"] = json!(0);
    let body = serde_json::to_value(review_of("FlinkDeployment", deployment(spec))).expect("json");
    // curl, not reqwest: a TLS feature on reqwest would, through feature unification, leave the
    // workspace's other reqwest clients without a crypto provider.
    let ca = dir.path().join("ca-for-curl.pem");
    std::fs::write(&ca, cert.cert.pem()).expect("write the CA");
    let out = tokio::process::Command::new("curl")
        .args(["-sS", "--fail", "--cacert"])
        .arg(&ca)
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .args(["-H", "content-type: application/json", "--data-binary"])
        .arg(body.to_string())
        .arg(format!("https://localhost:{port}{}", webhook::PATH))
        .output()
        .await
        .expect("run curl");
    assert!(
        out.status.success(),
        "the webhook answers over TLS: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resp: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(resp["kind"], "AdmissionReview", "{resp}");
    assert_eq!(resp["response"]["allowed"], false, "{resp}");
    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("the server stops on shutdown")
        .expect("server task");
}
