//! Pod templates: kept as written in the resource, parsed when the operator builds pods (no IO).

use k8s_openapi::api::core::v1::PodTemplateSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The name of the Flink container in every pod, as in the Apache operator: a container of
/// this name in a pod template is merged into the one the operator builds.
pub const MAIN_CONTAINER_NAME: &str = "flink-main-container";

/// A Kubernetes pod template (`metadata` and `spec` of a Pod), merged into the pods the
/// operator builds. A container named `flink-main-container` customises the Flink container;
/// other containers are added as sidecars, init containers as init containers.
///
/// The schema keeps the template as written (see [`crate::schema::preserved_object`]); the
/// operator parses it with [`PodTemplate::parse`] and reports a bad template in status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(transparent)]
#[schemars(schema_with = "crate::schema::preserved_object")]
pub struct PodTemplate(pub serde_json::Value);

impl PodTemplate {
    /// Parses the template as a Kubernetes `PodTemplateSpec`.
    pub fn parse(&self) -> Result<PodTemplateSpec, crate::Error> {
        serde_json::from_value(self.0.clone())
            .map_err(|source| crate::Error::PodTemplate { source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_a_template_with_a_sidecar() {
        let t = PodTemplate(json!({
            "spec": {"containers": [
                {"name": MAIN_CONTAINER_NAME, "env": [{"name": "A", "value": "1"}]},
                {"name": "sidecar", "image": "busybox"}
            ]}
        }));
        let spec = t.parse().expect("valid").spec.expect("spec");
        assert_eq!(spec.containers.len(), 2);
        assert_eq!(spec.containers[1].name, "sidecar");
    }

    #[test]
    fn a_bad_template_is_a_typed_error() {
        let t = PodTemplate(json!({"spec": {"containers": "not-a-list"}}));
        let err = t.parse().expect_err("invalid");
        assert!(err.to_string().contains("podTemplate"), "{err}");
    }
}
