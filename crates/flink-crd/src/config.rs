//! Flink configuration as written in a manifest, and its flat `key: value` form (no IO).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `state.checkpoints.num-retained`: how many completed checkpoints Flink keeps.
pub const RETAINED_CHECKPOINTS_KEY: &str = "state.checkpoints.num-retained";

/// Completed checkpoints kept when the configuration does not say (Flink keeps 1).
///
/// Without Flink HA, the restore point after a lost JobManager is the checkpoint recorded in
/// status, which lags Flink by up to one reconcile. Flink discards a checkpoint once it is
/// subsumed by `num-retained` newer ones, so with Flink's 1 the recorded checkpoint is usually
/// gone by the time it is needed; with 3 the operator only has to look again before two newer
/// ones complete (it paces its polls so, see `flink-lifecycle`).
pub const DEFAULT_RETAINED_CHECKPOINTS: u32 = 3;

/// Flink configuration entries, written like Flink's own `config.yaml`.
///
/// Keys may be flat and dotted (`state.savepoints.dir: ...`) or nested maps
/// (`state: {savepoints.dir: ...}`); values may be strings, numbers or booleans, as in the
/// Apache operator's `flinkConfiguration`. [`FlinkConfiguration::flatten`] turns either form
/// into the flat string map Flink reads.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(transparent)]
#[schemars(schema_with = "crate::schema::preserved_object")]
pub struct FlinkConfiguration(pub BTreeMap<String, Value>);

impl FlinkConfiguration {
    /// Builds a configuration from flat string pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), Value::String(v.into())))
                .collect(),
        )
    }

    /// The flat form: nested maps joined with `.`, scalars as strings, lists as Flink's
    /// `;`-separated form. Later keys win over earlier ones in key order, so a flat key and
    /// the same key written nested resolve to one deterministic value.
    pub fn flatten(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in &self.0 {
            flatten_into(k, v, &mut out);
        }
        out
    }

    /// The value of one flat key (looking through nested maps too).
    pub fn get(&self, key: &str) -> Option<String> {
        self.flatten().remove(key)
    }

    /// Whether no entries are set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn flatten_into(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten_into(&format!("{prefix}.{k}"), v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        Value::Array(items) => {
            let joined: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            out.insert(prefix.to_string(), joined.join(";"));
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_and_flat_keys_flatten_alike() {
        let cfg: FlinkConfiguration = serde_json::from_value(json!({
            "taskmanager.numberOfTaskSlots": 2,
            "state": {"savepoints.dir": "file:///sp", "checkpoints.dir": "file:///cp"},
            "high-availability": {"type": "kubernetes"},
            "pipeline.jars": ["a.jar", "b.jar"],
            "web.submit.enable": false
        }))
        .expect("parses");
        let flat = cfg.flatten();
        assert_eq!(flat["taskmanager.numberOfTaskSlots"], "2");
        assert_eq!(flat["state.savepoints.dir"], "file:///sp");
        assert_eq!(flat["state.checkpoints.dir"], "file:///cp");
        assert_eq!(flat["high-availability.type"], "kubernetes");
        assert_eq!(flat["pipeline.jars"], "a.jar;b.jar");
        assert_eq!(flat["web.submit.enable"], "false");
        assert_eq!(
            cfg.get("state.savepoints.dir").as_deref(),
            Some("file:///sp")
        );
    }

    #[test]
    fn round_trips_as_written() {
        let written = json!({"state": {"savepoints.dir": "x"}, "a.b": 1});
        let cfg: FlinkConfiguration = serde_json::from_value(written.clone()).expect("parses");
        assert_eq!(serde_json::to_value(&cfg).expect("serializes"), written);
    }
}
