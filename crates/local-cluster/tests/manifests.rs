//! The project's CRDs on a real apiserver: they are Established, every example is accepted,
//! every bad manifest is refused with the message it expects, and `kubectl get fdep` shows
//! the printer columns.
//!
//! Inputs (written by the CRD work, read here): `charts/flink-operator/crds/*.yaml`,
//! `examples/*.yaml` and `crates/flink-crd/tests/bad-manifests/*.yaml`, each bad manifest
//! starting with a line `# expect: <substring of the apiserver's refusal>`. Empty folders
//! fail these tests rather than pass them vacuously.
//!
//! Objects go in by server-side apply (dry run for the checks, field validation Strict), as
//! the operator writes them. The refusal texts are the apiserver's, e.g. `Unsupported value`
//! for an enum, the rule's message for CEL, and `field not declared in schema` for an
//! unknown field (server-side apply words it so; a plain create says `unknown field`).

use std::path::{Path, PathBuf};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::{self, Scope};
use local_cluster::{LocalCluster, TestNamespace, default_crd_dir, shared};
use serde_json::Value;

const FIELD_MANAGER: &str = "local-cluster-tests";

#[tokio::test]
async fn every_crd_of_the_chart_is_established() {
    let cluster = shared().await.expect("local cluster");
    let files = yaml_files(&default_crd_dir());
    let crds: Vec<CustomResourceDefinition> = files
        .iter()
        .flat_map(|f| docs(f))
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .map(|d| serde_json::from_value(d).expect("a CRD"))
        .collect();
    assert!(
        !crds.is_empty(),
        "no CRDs in {}",
        default_crd_dir().display()
    );
    let api: Api<CustomResourceDefinition> = Api::all(cluster.client().expect("client"));
    for crd in crds {
        let name = crd.metadata.name.expect("CRD name");
        let live = api
            .get(&name)
            .await
            .unwrap_or_else(|e| panic!("CRD {name}: {e}"));
        let established = live
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .into_iter()
            .any(|c| c.type_ == "Established" && c.status == "True");
        assert!(established, "CRD {name} is not Established");
    }
}

#[tokio::test]
async fn every_example_is_accepted() {
    let cluster = shared().await.expect("local cluster");
    let ns = TestNamespace::new(cluster, "examples")
        .await
        .expect("namespace");
    let client = cluster.client().expect("client");
    let manifests = example_manifests();
    let mut failures = Vec::new();
    for (file, doc) in &manifests {
        if let Err(e) = apply(&client, ns.name(), doc.clone(), true).await {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "examples refused:\n{}",
        failures.join("\n")
    );
    eprintln!("{} example manifests accepted", manifests.len());
}

#[tokio::test]
async fn every_bad_manifest_is_refused_with_its_expected_message() {
    let cluster = shared().await.expect("local cluster");
    let ns = TestNamespace::new(cluster, "bad").await.expect("namespace");
    let client = cluster.client().expect("client");
    let dir = workspace().join("crates/flink-crd/tests/bad-manifests");
    let files = yaml_files(&dir);
    assert!(!files.is_empty(), "no bad manifests in {}", dir.display());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let Some(expect) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect:"))
            .map(str::trim)
        else {
            failures.push(format!(
                "{}: first line is not `# expect: <message>`",
                file.display()
            ));
            continue;
        };
        let mut refusal = None;
        for doc in docs(file) {
            if let Err(e) = apply(&client, ns.name(), doc, true).await {
                refusal = Some(e);
                break;
            }
        }
        match refusal {
            None => failures.push(format!(
                "{}: accepted, expected a refusal with {expect:?}",
                file.display()
            )),
            Some(e) if !e.contains(expect) => failures.push(format!(
                "{}: refused, but the message does not contain {expect:?}:\n    {e}",
                file.display()
            )),
            Some(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "bad manifests:\n{}",
        failures.join("\n")
    );
    eprintln!("{} bad manifests refused as expected", files.len());
}

#[tokio::test]
async fn kubectl_applies_the_examples_and_shows_the_printer_columns() {
    let cluster = shared().await.expect("local cluster");
    if !kubectl_usable(cluster) {
        eprintln!("SKIPPED: kubectl is not installed or does not run; printer columns not checked");
        return;
    }
    let ns = TestNamespace::new(cluster, "kubectl")
        .await
        .expect("namespace");
    let client = cluster.client().expect("client");
    let dir = tempfile_dir(ns.name());
    let mut deployments = Vec::new();
    for (i, (file, mut doc)) in example_manifests().into_iter().enumerate() {
        if namespaced(&client, &doc).await {
            doc["metadata"]["namespace"] = Value::String(ns.name().to_string());
        }
        if doc["kind"] == "FlinkDeployment" {
            deployments.push(
                doc["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        // JSON is YAML: kubectl reads the object with its namespace set to the test's.
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, doc.to_string()).expect("write manifest");
        let out = cluster
            .kubectl()
            .args([
                "apply",
                "--server-side",
                "--field-manager",
                FIELD_MANAGER,
                "-f",
            ])
            .arg(&path)
            .output()
            .expect("run kubectl");
        assert!(
            out.status.success(),
            "kubectl apply of {} failed: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        !deployments.is_empty(),
        "no FlinkDeployment among the examples"
    );

    let out = cluster
        .kubectl()
        .args(["get", "fdep", "-o", "wide", "-n", ns.name()])
        .output()
        .expect("run kubectl");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kubectl get fdep: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = table.lines().next().unwrap_or_default();
    for column in printer_columns("FlinkDeployment") {
        assert!(
            header.contains(&column.to_uppercase()),
            "column {column:?} missing from the header:\n{table}"
        );
    }
    for name in deployments {
        assert!(
            table
                .lines()
                .skip(1)
                .any(|l| l.starts_with(&format!("{name} "))),
            "{name} missing:\n{table}"
        );
    }
    eprintln!("{table}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Applies one object into `ns` (if namespaced) with server-side apply; the error is the
/// apiserver's message.
async fn apply(
    client: &kube::Client,
    ns: &str,
    mut doc: Value,
    dry_run: bool,
) -> Result<(), String> {
    let gvk = gvk(&doc)?;
    let (resource, caps) = discovery::pinned_kind(client, &gvk)
        .await
        .map_err(|e| format!("discovering {gvk:?}: {e}"))?;
    let api: Api<DynamicObject> = if caps.scope == Scope::Namespaced {
        doc["metadata"]["namespace"] = Value::String(ns.to_string());
        Api::namespaced_with(client.clone(), ns, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    };
    let name = doc["metadata"]["name"]
        .as_str()
        .ok_or("the manifest has no metadata.name")?
        .to_string();
    // Strict, as kubectl does: an unknown field is an error, not a warning.
    let mut params = PatchParams::apply(FIELD_MANAGER).validation_strict();
    if dry_run {
        params = params.dry_run();
    }
    match api.patch(&name, &params, &Patch::Apply(&doc)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) => Err(format!("{} ({})", status.message, status.reason)),
        Err(e) => Err(e.to_string()),
    }
}

async fn namespaced(client: &kube::Client, doc: &Value) -> bool {
    let Ok(gvk) = gvk(doc) else { return false };
    matches!(discovery::pinned_kind(client, &gvk).await, Ok((_, caps)) if caps.scope == Scope::Namespaced)
}

fn gvk(doc: &Value) -> Result<GroupVersionKind, String> {
    let api_version = doc["apiVersion"].as_str().ok_or("no apiVersion")?;
    let kind = doc["kind"].as_str().ok_or("no kind")?;
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    Ok(GroupVersionKind::gvk(group, version, kind))
}

/// Every Kubernetes object in `examples/*.yaml`; YAML files that hold no object (no
/// `apiVersion` and `kind`) are skipped. Fails if there is none.
fn example_manifests() -> Vec<(PathBuf, Value)> {
    let dir = workspace().join("examples");
    let all: Vec<(PathBuf, Value)> = yaml_files(&dir)
        .into_iter()
        .flat_map(|f| docs(&f).into_iter().map(move |d| (f.clone(), d)))
        .filter(|(_, d)| d["apiVersion"].is_string() && d["kind"].is_string())
        .collect();
    assert!(
        !all.is_empty(),
        "no Kubernetes manifests in {}/*.yaml",
        dir.display()
    );
    all
}

/// The printer column names of the served versions of the CRD of `kind`.
fn printer_columns(kind: &str) -> Vec<String> {
    let crd = yaml_files(&default_crd_dir())
        .iter()
        .flat_map(|f| docs(f))
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .map(|d| serde_json::from_value::<CustomResourceDefinition>(d).expect("a CRD"))
        .find(|c| c.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("no CRD of kind {kind} in {}", default_crd_dir().display()));
    let version = crd
        .spec
        .versions
        .iter()
        .find(|v| v.storage)
        .expect("a storage version");
    let columns: Vec<String> = version
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| c.name.clone())
        .collect();
    assert!(!columns.is_empty(), "the {kind} CRD has no printer columns");
    columns
}

fn kubectl_usable(cluster: &LocalCluster) -> bool {
    cluster
        .kubectl()
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn docs(file: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

fn workspace() -> PathBuf {
    testground::workspace_root()
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = testground::state_dir()
        .join("local-cluster-tests")
        .join(name);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
