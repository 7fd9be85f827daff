//! Object metadata shared by every object of a cluster: name, namespace, labels, owner (no IO).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::ClusterInput;

/// The owner reference to the FlinkDeployment: Kubernetes' garbage collector deletes the
/// cluster's objects with it, and the controller finds the owner of a changed object.
pub fn owner_reference(input: &ClusterInput<'_>) -> OwnerReference {
    OwnerReference {
        api_version: "flink.apache.org/v1beta1".into(),
        kind: "FlinkDeployment".into(),
        name: input.name.to_string(),
        uid: input.uid.to_string(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Metadata of a cluster object named `name` with `labels` (the spec hash is added).
pub(crate) fn object_meta(
    input: &ClusterInput<'_>,
    name: &str,
    labels: BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(input.namespace.to_string()),
        labels: Some(crate::labels::with_hash(labels, input.spec_hash)),
        owner_references: Some(vec![owner_reference(input)]),
        ..Default::default()
    }
}
