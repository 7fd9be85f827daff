//! Installing the project's CustomResourceDefinitions from a folder of YAML files and
//! waiting until they are Established (does IO: reads files, calls the apiserver).

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::wait::{await_condition, conditions};

use crate::error::{Error, Result, io};

/// The field manager of everything this crate applies.
pub(crate) const FIELD_MANAGER: &str = "local-cluster";

/// Every CRD in the `*.yaml`/`*.yml` files of `dir` (sorted by file name). A missing folder
/// holds none.
pub(crate) fn read_dir(dir: &Path) -> Result<Vec<CustomResourceDefinition>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("listing the CRD folder", dir)(e)),
    };
    files.sort();
    let mut crds = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(io("reading a CRD file", &f))?;
        crds.extend(parse(&text).map_err(|message| Error::CrdFile {
            path: f.clone(),
            message,
        })?);
    }
    Ok(crds)
}

/// The CRDs of one (possibly multi-document) YAML text; other kinds are an error.
fn parse(text: &str) -> Result<Vec<CustomResourceDefinition>, String> {
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
    docs.into_iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            let kind = d.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
            if kind != "CustomResourceDefinition" {
                return Err(format!(
                    "expected only CustomResourceDefinitions, found kind {kind:?}"
                ));
            }
            serde_json::from_value(d).map_err(|e| e.to_string())
        })
        .collect()
}

/// Server-side applies `crds` and waits until each is Established. Returns how many did
/// not exist before (new kinds the garbage collector learns only on its next resync).
pub(crate) async fn install(
    client: &kube::Client,
    crds: &[CustomResourceDefinition],
) -> Result<usize> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut created = 0;
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        if api.get_opt(&name).await?.is_none() {
            created += 1;
        }
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(crd),
        )
        .await?;
    }
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        let established = await_condition(api.clone(), &name, conditions::is_crd_established());
        match tokio::time::timeout(Duration::from_secs(30), established).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return Err(Error::CrdFile {
                    path: PathBuf::from(&name),
                    message: format!("waiting for it to be Established: {e}"),
                });
            }
            Err(_) => {
                return Err(Error::CrdFile {
                    path: PathBuf::from(&name),
                    message: "not Established after 30 s".into(),
                });
            }
        }
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_multi_document_crd_files_and_refuses_other_kinds() {
        let two = "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: as.example.com\nspec:\n  group: example.com\n  names: {kind: A, plural: as}\n  scope: Namespaced\n  versions: []\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: bs.example.com\nspec:\n  group: example.com\n  names: {kind: B, plural: bs}\n  scope: Namespaced\n  versions: []\n";
        let crds = parse(two).expect("two CRDs");
        assert_eq!(crds.len(), 2);
        assert_eq!(crds[1].metadata.name.as_deref(), Some("bs.example.com"));
        let err =
            parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").expect_err("not a CRD");
        assert!(err.contains("ConfigMap"), "{err}");
    }

    #[test]
    fn a_missing_folder_holds_no_crds() {
        let crds = read_dir(Path::new("/nonexistent/crds")).expect("no error");
        assert!(crds.is_empty());
    }
}
