//! Pod template merging (no IO).
//!
//! Two steps, as in the Apache operator:
//! 1. The deployment-wide `podTemplate` and the component's (`jobManager.podTemplate` /
//!    `taskManager.podTemplate`) are merged as JSON: objects key by key, the component's
//!    value winning; lists of named items (containers, init containers, volumes, env) item by
//!    item by name (`volumeMounts` by `mountPath`, `ports` by `containerPort`), new items
//!    appended; other lists (`args`, `tolerations`, ...) replaced by the component's. This is
//!    Apache's merge with `kubernetes.operator.pod-template.merge-arrays-by-name: true`; we use
//!    it always, because merging lists by position pairs up unrelated containers.
//! 2. The operator's pod is laid over the merged template: the template is the base, the
//!    container named `flink-main-container` is merged into ours, all other containers, init
//!    containers and volumes are kept. See [`overlay`] for who wins where.

use std::collections::BTreeMap;

use flink_crd::{FlinkDeploymentSpec, MAIN_CONTAINER_NAME, PodTemplate};
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec, ResourceRequirements, Volume};
use serde_json::Value;

use crate::error::BuildError;
use crate::resources::Component;

/// The user's pod template for `component`: the deployment-wide template merged with the
/// component's. `None` when neither is set.
pub fn user_template(
    spec: &FlinkDeploymentSpec,
    component: Component,
) -> Result<Option<PodTemplateSpec>, BuildError> {
    let own = match component {
        Component::JobManager => spec
            .job_manager
            .as_ref()
            .and_then(|c| c.pod_template.as_ref()),
        Component::TaskManager => spec
            .task_manager
            .as_ref()
            .and_then(|c| c.pod_template.as_ref()),
    };
    let own_field = format!("{}.podTemplate", component.field());
    let top = spec.pod_template.as_ref();
    // Parse each on its own first, so an error names the template that is wrong.
    check(top, "spec.podTemplate")?;
    check(own, &own_field)?;
    let merged = match (top, own) {
        (None, None) => return Ok(None),
        (Some(t), None) => t.0.clone(),
        (None, Some(o)) => o.0.clone(),
        (Some(t), Some(o)) => {
            let mut base = t.0.clone();
            merge_json(&mut base, &o.0, "");
            base
        }
    };
    serde_json::from_value(merged)
        .map(Some)
        .map_err(|source| BuildError::PodTemplate {
            field: own_field,
            source,
        })
}

fn check(template: Option<&PodTemplate>, field: &str) -> Result<(), BuildError> {
    match template {
        None => Ok(()),
        Some(t) => serde_json::from_value::<PodTemplateSpec>(t.0.clone())
            .map(drop)
            .map_err(|source| BuildError::PodTemplate {
                field: field.to_string(),
                source,
            }),
    }
}

/// Deep-merges `from` into `to`; `key` is the field name `to` sits under (it picks the
/// identity of list items).
pub fn merge_json(to: &mut Value, from: &Value, key: &str) {
    match (to, from) {
        (Value::Object(to_map), Value::Object(from_map)) => {
            for (k, v) in from_map {
                match to_map.get_mut(k) {
                    Some(existing) => merge_json(existing, v, k),
                    None => {
                        to_map.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(to_items), Value::Array(from_items)) => {
            let id = identity_field(key);
            let keyed = |items: &[Value]| items.iter().all(|i| i.get(id).is_some());
            if keyed(to_items) && keyed(from_items) {
                for item in from_items {
                    match to_items.iter_mut().find(|t| t.get(id) == item.get(id)) {
                        Some(existing) => merge_json(existing, item, key),
                        None => to_items.push(item.clone()),
                    }
                }
            } else {
                *to_items = from_items.clone();
            }
        }
        (to, from) => *to = from.clone(),
    }
}

/// The field that identifies an item of list `key` (the list-map key Kubernetes uses).
fn identity_field(key: &str) -> &'static str {
    match key {
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" => "containerPort",
        _ => "name",
    }
}

/// What the operator requires of a pod; laid over the user's template by [`overlay`].
pub(crate) struct OurPod {
    /// Labels; ours win over the template's for the same key.
    pub labels: BTreeMap<String, String>,
    /// `serviceAccountName`; the template's is kept when this is `None`.
    pub service_account: Option<String>,
    /// Volumes; ours win over the template's of the same name.
    pub volumes: Vec<Volume>,
    /// Our Flink container (name, image, pull policy, args, env, ports, mounts, probe).
    pub main: Container,
}

/// Lays our pod over the user's template.
///
/// Who wins:
/// - labels: ours for our keys (they select the pods); the template's others are kept, as
///   are its annotations;
/// - pod spec: the template's fields, with our `serviceAccountName` when the spec sets one;
///   volumes: ours plus the template's (ours win on a name clash);
/// - main container: the template's `flink-main-container` is the base; we set name, image
///   (the template's when `spec.image` is unset), pull policy (when the spec sets one) and
///   args; env: ours plus the template's other names; ports: ours plus the template's other
///   port numbers; volumeMounts: ours plus the template's other mount paths; the template's
///   readiness probe, command and everything else are kept;
/// - other containers and init containers: the template's, in its order, after ours.
///
/// `resources` computes the main container's requirements from the template's.
pub(crate) fn overlay(
    user: Option<PodTemplateSpec>,
    ours: OurPod,
    resources: impl FnOnce(Option<ResourceRequirements>) -> Result<ResourceRequirements, BuildError>,
) -> Result<PodTemplateSpec, BuildError> {
    let mut pod = user.unwrap_or_default();
    let meta = pod.metadata.get_or_insert_with(Default::default);
    let mut labels = meta.labels.take().unwrap_or_default();
    labels.extend(ours.labels);
    meta.labels = Some(labels);

    let spec = pod.spec.get_or_insert_with(Default::default);
    if ours.service_account.is_some() {
        spec.service_account_name = ours.service_account;
    }
    let mut volumes = ours.volumes;
    for v in spec.volumes.take().unwrap_or_default() {
        if !volumes.iter().any(|o| o.name == v.name) {
            volumes.push(v);
        }
    }
    spec.volumes = Some(volumes);

    let mut containers = std::mem::take(&mut spec.containers);
    let user_main = containers
        .iter()
        .position(|c| c.name == MAIN_CONTAINER_NAME)
        .map(|i| containers.remove(i));
    let mut main = merge_main(user_main, ours.main)?;
    main.resources = Some(resources(main.resources.take())?);
    containers.insert(0, main);
    spec.containers = containers;
    Ok(pod)
}

fn merge_main(user: Option<Container>, ours: Container) -> Result<Container, BuildError> {
    let mut c = user.unwrap_or_default();
    c.name = MAIN_CONTAINER_NAME.to_string();
    c.image = match (ours.image, c.image.take()) {
        (Some(image), _) | (None, Some(image)) => Some(image),
        (None, None) => {
            return Err(BuildError::Missing {
                field: "spec.image".into(),
                why: "the Flink image to run (or set the image of flink-main-container in podTemplate)"
                    .into(),
            });
        }
    };
    if ours.image_pull_policy.is_some() {
        c.image_pull_policy = ours.image_pull_policy;
    }
    c.args = ours.args;

    let mut env = ours.env.unwrap_or_default();
    for e in c.env.take().unwrap_or_default() {
        if !env.iter().any(|o| o.name == e.name) {
            env.push(e);
        }
    }
    c.env = (!env.is_empty()).then_some(env);

    let mut ports = ours.ports.unwrap_or_default();
    for p in c.ports.take().unwrap_or_default() {
        if !ports.iter().any(|o| o.container_port == p.container_port) {
            ports.push(p);
        }
    }
    c.ports = (!ports.is_empty()).then_some(ports);

    let mut mounts = ours.volume_mounts.unwrap_or_default();
    for m in c.volume_mounts.take().unwrap_or_default() {
        if !mounts.iter().any(|o| o.mount_path == m.mount_path) {
            mounts.push(m);
        }
    }
    c.volume_mounts = (!mounts.is_empty()).then_some(mounts);

    if c.readiness_probe.is_none() {
        c.readiness_probe = ours.readiness_probe;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn component_template_merges_into_the_top_one_by_name() {
        let mut top = json!({
            "metadata": {"labels": {"team": "a", "tier": "x"}},
            "spec": {
                "containers": [
                    {"name": "flink-main-container", "env": [{"name": "A", "value": "1"}],
                     "volumeMounts": [{"name": "data", "mountPath": "/a"}, {"name": "data", "mountPath": "/b", "subPath": "b"}]},
                    {"name": "sidecar", "image": "busybox"}
                ],
                "tolerations": [{"key": "k1"}]
            }
        });
        let jm = json!({
            "metadata": {"labels": {"tier": "jm"}},
            "spec": {
                "containers": [
                    {"name": "flink-main-container", "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "9"}],
                     "volumeMounts": [{"name": "data", "mountPath": "/b", "readOnly": true}]},
                    {"name": "jm-only", "image": "alpine"}
                ],
                "tolerations": [{"key": "k2"}]
            }
        });
        merge_json(&mut top, &jm, "");
        assert_eq!(
            top["metadata"]["labels"],
            json!({"team": "a", "tier": "jm"})
        );
        let containers = top["spec"]["containers"].as_array().expect("list");
        let names: Vec<_> = containers.iter().map(|c| c["name"].as_str()).collect();
        assert_eq!(
            names,
            [
                Some("flink-main-container"),
                Some("sidecar"),
                Some("jm-only")
            ]
        );
        assert_eq!(
            containers[0]["env"],
            json!([{"name": "A", "value": "9"}, {"name": "B", "value": "2"}])
        );
        assert_eq!(
            containers[0]["volumeMounts"],
            json!([{"name": "data", "mountPath": "/a"}, {"name": "data", "mountPath": "/b", "subPath": "b", "readOnly": true}]),
            "mounts are matched by path, not by volume name"
        );
        assert_eq!(
            top["spec"]["tolerations"],
            json!([{"key": "k2"}]),
            "unnamed lists are replaced"
        );
    }
}
