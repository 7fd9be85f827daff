//! Manifests parse with our types: the Apache operator's own examples (read from
//! ../shared/peer-manifests, not copied), our examples round-trip without losing fields, and
//! the generated schema is pinned by a snapshot.

use std::path::{Path, PathBuf};

use flink_crd::{FlinkDeployment, FlinkSessionJob};
use kube::CustomResourceExt;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("readable manifest");
    serde_saphyr::from_multiple::<Value>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

/// Parses with our type and serializes again; returns the re-serialized document.
fn round_trip(doc: &Value) -> Value {
    match doc["kind"].as_str() {
        Some("FlinkDeployment") => {
            let r: FlinkDeployment = serde_json::from_value(doc.clone()).expect("FlinkDeployment");
            serde_json::to_value(r).expect("serializes")
        }
        Some("FlinkSessionJob") => {
            let r: FlinkSessionJob = serde_json::from_value(doc.clone()).expect("FlinkSessionJob");
            serde_json::to_value(r).expect("serializes")
        }
        other => panic!("unexpected kind {other:?}"),
    }
}

/// Every field written in `a` is in `b` with the same value (defaults may be added to `b`).
fn assert_kept(path: &str, a: &Value, b: &Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let w = b.get(k).unwrap_or_else(|| panic!("{path}.{k} was lost"));
                assert_kept(&format!("{path}.{k}"), v, w);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: list length changed");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_kept(&format!("{path}[{i}]"), x, y);
            }
        }
        // Numbers may come back as floats (cpu: 1 -> 1.0); compare numerically.
        (Value::Number(x), Value::Number(y)) => assert_eq!(x.as_f64(), y.as_f64(), "{path}"),
        _ => assert_eq!(a, b, "{path} changed"),
    }
}

#[test]
fn apache_operator_examples_parse_and_keep_their_fields() {
    let dir = root().join("../shared/peer-manifests/apache-operator");
    if !dir.exists() {
        // shared/ sits beside the checkout in development and CI; elsewhere there is nothing to read.
        eprintln!("SKIPPED: {} not found", dir.display());
        return;
    }
    let files = yaml_files(&dir);
    assert!(
        files.len() >= 5,
        "expected the Apache examples in {}",
        dir.display()
    );
    for f in files {
        for doc in documents(&f) {
            let back = round_trip(&doc);
            assert_kept(&f.display().to_string(), &doc, &back);
        }
    }
}

#[test]
fn our_examples_round_trip_without_losing_fields() {
    let files = yaml_files(&root().join("examples"));
    assert!(files.len() >= 8, "examples missing");
    let mut kinds = Vec::new();
    for f in files {
        for doc in documents(&f) {
            kinds.push(doc["kind"].as_str().unwrap_or_default().to_string());
            let back = round_trip(&doc);
            assert_kept(&f.display().to_string(), &doc, &back);
        }
    }
    assert!(
        kinds.iter().any(|k| k == "FlinkSessionJob"),
        "no session job example"
    );
}

#[test]
fn bad_manifests_each_say_what_they_expect() {
    let files = yaml_files(&root().join("crates/flink-crd/tests/bad-manifests"));
    assert!(!files.is_empty());
    for f in files {
        let first = std::fs::read_to_string(&f).expect("readable");
        let line = first.lines().next().unwrap_or_default();
        assert!(
            line.starts_with("# expect: ") && line.len() > 12,
            "{}: first line must be `# expect: <message>`",
            f.display()
        );
    }
}

#[test]
fn crd_is_far_below_the_client_side_apply_limit() {
    let json = serde_json::to_string(&FlinkDeployment::crd()).expect("serializes");
    assert!(
        json.len() < 128 * 1024,
        "FlinkDeployment CRD is {} bytes",
        json.len()
    );
}

#[test]
fn generated_schemas_are_pinned() {
    insta::assert_json_snapshot!("flinkdeployment_crd", FlinkDeployment::crd());
    insta::assert_json_snapshot!("flinksessionjob_crd", FlinkSessionJob::crd());
}
