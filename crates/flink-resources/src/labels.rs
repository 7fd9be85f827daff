//! Labels on every object of a cluster, and selectors to find them (no IO).
//!
//! `app`, `component` and `type` are the Apache operator's standalone labels, so selectors
//! written for it (`app=<name>,component=jobmanager`) find our pods too.

use std::collections::BTreeMap;

/// `app: <name>` (Apache's).
pub const APP: &str = "app";
/// `component: jobmanager | taskmanager | ingress` (Apache's).
pub const COMPONENT: &str = "component";
/// `type: flink-standalone-kubernetes` (Apache's).
pub const TYPE: &str = "type";
/// The value of [`TYPE`].
pub const TYPE_STANDALONE: &str = "flink-standalone-kubernetes";
/// The spec hash the objects were built from (on every object and pod template).
pub const SPEC_HASH: &str = "flink-operator-rs.dev/spec-hash";
/// `app.kubernetes.io/managed-by: flink-operator-rs`.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY`].
pub const MANAGER: &str = "flink-operator-rs";

/// [`COMPONENT`] of the JobManager Deployment and pods.
pub const JOB_MANAGER: &str = "jobmanager";
/// [`COMPONENT`] of the TaskManager Deployment and pods.
pub const TASK_MANAGER: &str = "taskmanager";
/// [`COMPONENT`] of the Ingress.
pub const INGRESS: &str = "ingress";

/// Label selector (for list/watch/delete) of every object this operator built for `name`:
/// `app=<name>,app.kubernetes.io/managed-by=flink-operator-rs`.
pub fn selector(name: &str) -> String {
    format!("{APP}={name},{MANAGED_BY}={MANAGER}")
}

/// Label selector of every object this operator manages, in any cluster.
pub fn managed_selector() -> String {
    format!("{MANAGED_BY}={MANAGER}")
}

/// Label selector of one component's pods of `name` (e.g. the JobManager pods).
pub fn component_selector(name: &str, component: &str) -> String {
    format!("{APP}={name},{COMPONENT}={component},{TYPE}={TYPE_STANDALONE}")
}

/// The labels shared by all objects of `name` (without the spec hash and component).
pub fn common_labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (APP.to_string(), name.to_string()),
        (TYPE.to_string(), TYPE_STANDALONE.to_string()),
        (MANAGED_BY.to_string(), MANAGER.to_string()),
    ])
}

/// The immutable Deployment selector of a component: `app`, `component`, `type` (Apache's).
pub fn selector_labels(name: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (APP.to_string(), name.to_string()),
        (COMPONENT.to_string(), component.to_string()),
        (TYPE.to_string(), TYPE_STANDALONE.to_string()),
    ])
}

/// The labels of a component's objects and pods: the common labels and `component`.
pub fn component_labels(name: &str, component: &str) -> BTreeMap<String, String> {
    let mut labels = common_labels(name);
    labels.insert(COMPONENT.to_string(), component.to_string());
    labels
}

/// `labels` plus the spec hash.
pub(crate) fn with_hash(
    mut labels: BTreeMap<String, String>,
    spec_hash: &str,
) -> BTreeMap<String, String> {
    labels.insert(SPEC_HASH.to_string(), spec_hash.to_string());
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_the_labels() {
        assert_eq!(
            selector("basic"),
            "app=basic,app.kubernetes.io/managed-by=flink-operator-rs"
        );
        let labels = component_labels("basic", JOB_MANAGER);
        for pair in component_selector("basic", JOB_MANAGER).split(',') {
            let (k, v) = pair.split_once('=').expect("k=v");
            assert_eq!(labels.get(k).map(String::as_str), Some(v), "{k}");
        }
        for (k, v) in selector_labels("basic", TASK_MANAGER) {
            assert_eq!(component_labels("basic", TASK_MANAGER)[&k], v);
        }
    }
}
