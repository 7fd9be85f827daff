//! Flink versions the operator knows how to run (no IO).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The Flink version of the image, spelled as in the Apache operator (`v1_20`, `v2_0`, ...).
///
/// It selects the configuration file name (`flink-conf.yaml` for 1.x, `config.yaml` for 2.x)
/// and the REST dialect. Versions before 1.20 are accepted by the schema for compatibility
/// with existing manifests but refused by the operator with a status message.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema,
)]
pub enum FlinkVersion {
    /// Flink 1.13 (not supported; refused with a status message).
    #[serde(rename = "v1_13")]
    V1_13,
    /// Flink 1.14 (not supported; refused with a status message).
    #[serde(rename = "v1_14")]
    V1_14,
    /// Flink 1.15 (not supported; refused with a status message).
    #[serde(rename = "v1_15")]
    V1_15,
    /// Flink 1.16 (not supported; refused with a status message).
    #[serde(rename = "v1_16")]
    V1_16,
    /// Flink 1.17 (not supported; refused with a status message).
    #[serde(rename = "v1_17")]
    V1_17,
    /// Flink 1.18 (not supported; refused with a status message).
    #[serde(rename = "v1_18")]
    V1_18,
    /// Flink 1.19 (not supported; refused with a status message).
    #[serde(rename = "v1_19")]
    V1_19,
    /// Flink 1.20.
    #[serde(rename = "v1_20")]
    V1_20,
    /// Flink 2.0.
    #[serde(rename = "v2_0")]
    V2_0,
    /// Flink 2.1.
    #[serde(rename = "v2_1")]
    V2_1,
    /// Flink 2.2.
    #[serde(rename = "v2_2")]
    V2_2,
    /// Flink 2.3.
    #[serde(rename = "v2_3")]
    V2_3,
}

impl FlinkVersion {
    /// Whether this operator runs clusters of this version (the 1.20 line and 2.x).
    pub fn is_supported(self) -> bool {
        self >= FlinkVersion::V1_20
    }

    /// Whether this is a 2.x version (config file `config.yaml`, `programArgsList` only).
    pub fn is_v2(self) -> bool {
        self >= FlinkVersion::V2_0
    }

    /// The name of Flink's configuration file for this version.
    pub fn config_file_name(self) -> &'static str {
        if self.is_v2() {
            "config.yaml"
        } else {
            "flink-conf.yaml"
        }
    }

    /// The spelling used in manifests, e.g. `v1_20`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlinkVersion::V1_13 => "v1_13",
            FlinkVersion::V1_14 => "v1_14",
            FlinkVersion::V1_15 => "v1_15",
            FlinkVersion::V1_16 => "v1_16",
            FlinkVersion::V1_17 => "v1_17",
            FlinkVersion::V1_18 => "v1_18",
            FlinkVersion::V1_19 => "v1_19",
            FlinkVersion::V1_20 => "v1_20",
            FlinkVersion::V2_0 => "v2_0",
            FlinkVersion::V2_1 => "v2_1",
            FlinkVersion::V2_2 => "v2_2",
            FlinkVersion::V2_3 => "v2_3",
        }
    }
}

impl std::fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
