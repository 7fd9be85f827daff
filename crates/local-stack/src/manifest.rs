//! The project's example manifests, loaded as typed FlinkDeployments.

use std::path::PathBuf;

use flink_crd::FlinkDeployment;

use crate::{Error, Result};

/// The path of `examples/<file>` in this checkout.
pub fn example_path(file: &str) -> PathBuf {
    testground::workspace_root().join("examples").join(file)
}

/// The first FlinkDeployment in `examples/<file>`.
pub fn example(file: &str) -> Result<FlinkDeployment> {
    let path = example_path(file);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&text).map_err(|e| Error::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
    let doc = docs
        .into_iter()
        .find(|d| d.get("kind").and_then(|k| k.as_str()) == Some("FlinkDeployment"))
        .ok_or_else(|| Error::Manifest {
            path: path.clone(),
            message: "no FlinkDeployment in the file".into(),
        })?;
    serde_json::from_value(doc).map_err(|e| Error::Manifest {
        path,
        message: e.to_string(),
    })
}
