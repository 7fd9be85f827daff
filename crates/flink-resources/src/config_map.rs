//! The ConfigMap `flink-config-<name>` mounted at `/opt/flink/conf` (no IO).

use std::collections::BTreeMap;

use flink_crd::FlinkVersion;
use k8s_openapi::api::core::v1::ConfigMap;

use crate::config::render_config_file;
use crate::defaults::{DEFAULT_LOG4J_CONSOLE, LOG4J_CONSOLE};
use crate::error::BuildError;
use crate::{ClusterInput, labels, meta, names};

/// The ConfigMap: the Flink configuration file of the version, `log4j-console.properties`
/// (ours unless the spec's `logConfiguration` has one) and any other log files the spec gives.
pub(crate) fn config_map(
    input: &ClusterInput<'_>,
    version: FlinkVersion,
    conf: &BTreeMap<String, String>,
) -> Result<ConfigMap, BuildError> {
    let (file, contents) = render_config_file(version, conf)?;
    let mut data = BTreeMap::from([(LOG4J_CONSOLE.to_string(), DEFAULT_LOG4J_CONSOLE.to_string())]);
    for (name, text) in &input.spec.log_configuration {
        if name == "flink-conf.yaml" || name == "config.yaml" {
            return Err(BuildError::Invalid {
                field: format!("spec.logConfiguration.{name}"),
                message: "the Flink configuration comes from spec.flinkConfiguration; \
                          logConfiguration holds log files only"
                    .into(),
            });
        }
        data.insert(name.clone(), text.clone());
    }
    data.insert(file.to_string(), contents);
    Ok(ConfigMap {
        metadata: meta::object_meta(
            input,
            &names(input.name).config_map,
            labels::common_labels(input.name),
        ),
        data: Some(data),
        ..Default::default()
    })
}
