//! Snapshots of every object built for each FlinkDeployment in `examples/`.
//!
//! Each snapshot is the complete set of objects the operator applies for that manifest, with
//! fixed `ApplyCluster` parameters (spec hash `h1`, job id `…01`). Review a changed snapshot
//! as you would review the manifests a platform team deploys.

use std::collections::BTreeMap;
use std::path::PathBuf;

use flink_crd::FlinkDeployment;
use flink_resources::{ClusterInput, ClusterResources, build};

const JOB_ID: &str = "00000000000000000000000000000001";
const LOG4J: &str = "log4j-console.properties";

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The FlinkDeployments of one example file (other kinds, e.g. FlinkSessionJob, skipped).
fn deployments(file: &str) -> Vec<FlinkDeployment> {
    let path = workspace_root().join("examples").join(file);
    let text = std::fs::read_to_string(&path).expect("example readable");
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).expect("example is YAML");
    docs.into_iter()
        .filter(|d| d["kind"] == "FlinkDeployment")
        .map(|d| serde_json::from_value(d).expect("a valid FlinkDeployment"))
        .collect()
}

fn build_for(fdep: &FlinkDeployment, restore: Option<&str>) -> ClusterResources {
    let defaults = BTreeMap::new();
    let input = ClusterInput {
        name: fdep.metadata.name.as_deref().expect("named"),
        namespace: "flink",
        uid: "7d3c1e2a-0000-4000-8000-000000000001",
        spec: &fdep.spec,
        spec_hash: "h1",
        job_id: fdep.spec.job.as_ref().map(|_| JOB_ID),
        restore_path: restore,
        allow_non_restored_state: false,
        operator_defaults: &defaults,
    };
    build(&input).expect("example builds")
}

#[test]
fn every_example_builds_and_matches_its_snapshot() {
    let mut files: Vec<String> = std::fs::read_dir(workspace_root().join("examples"))
        .expect("examples folder")
        .filter_map(|e| {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            name.ends_with(".yaml").then_some(name)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 8, "examples found: {files:?}");
    for file in files {
        for fdep in deployments(&file) {
            let mut objects = build_for(&fdep, None);
            let name = fdep.metadata.name.clone().expect("named");
            // Files in the ConfigMap are snapshotted as text of their own (readable diffs).
            let data = objects.config_map.data.as_mut().expect("config map data");
            for (file_name, contents) in data.iter_mut() {
                if file_name != LOG4J {
                    insta::assert_snapshot!(format!("example-{name}-{file_name}"), contents);
                }
                *contents = format!("<{} lines>", contents.lines().count());
            }
            insta::assert_yaml_snapshot!(format!("example-{name}"), objects);
        }
    }
}

#[test]
fn default_log_configuration() {
    let fdep = deployments("basic.yaml").remove(0);
    let objects = build_for(&fdep, None);
    let data = objects.config_map.data.expect("config map data");
    insta::assert_snapshot!("default-log4j-console", data[LOG4J]);
}

#[test]
fn basic_restored_from_a_savepoint() {
    let fdep = deployments("basic.yaml").remove(0);
    let objects = build_for(
        &fdep,
        Some("file:///flink-data/savepoints/savepoint-000001-abc"),
    );
    let jm = objects
        .job_manager
        .spec
        .expect("spec")
        .template
        .spec
        .expect("pod");
    insta::assert_yaml_snapshot!("basic-restored-jobmanager-args", jm.containers[0].args);
}

#[test]
fn basic_on_flink_2_3_writes_config_yaml() {
    let mut fdep = deployments("basic.yaml").remove(0);
    fdep.spec.flink_version = Some(flink_crd::FlinkVersion::V2_3);
    fdep.spec.image = Some("flink-operator-rs/counter-job:2.3".into());
    let objects = build_for(&fdep, None);
    let data = objects.config_map.data.expect("config map data");
    assert!(
        !data.contains_key("flink-conf.yaml"),
        "2.x reads config.yaml only"
    );
    insta::assert_snapshot!("basic-2.3-config.yaml", data["config.yaml"]);
}
