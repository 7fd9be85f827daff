//! Metrics of a job or vertex (no IO).

use serde::{Deserialize, Serialize};

/// One metric: its id and, when asked for with `get`, its value (Flink sends values as
/// strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metric {
    /// The metric's id, e.g. `0.count-per-key.count_k1` for a vertex metric.
    pub id: String,
    /// Its value, when requested.
    #[serde(default)]
    pub value: Option<String>,
}

impl Metric {
    /// The value as a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        self.value.as_deref()?.parse().ok()
    }
}
