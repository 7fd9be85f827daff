//! The spec as the spec hash sees it: borrowed views that serialize to exactly the JSON of
//! the spec with its steering fields cleared, without cloning the spec (no IO).
//!
//! The hash used to be taken over `serde_json::to_vec` of a clone with those fields reset;
//! running clusters carry that value, so these views must write the very same bytes (the
//! tests in `ids` compare them with that reference, and pin values). Each view destructures
//! its spec without `..`: a field added to the CRD fails to compile here until someone
//! decides whether it is part of the hash (adding it changes the hash only of specs that set
//! it, as long as it is skipped when unset).

use std::collections::BTreeMap;

use flink_crd::{
    DeploymentStrategy, FlinkConfiguration, FlinkDeploymentSpec, FlinkSessionJobSpec, FlinkVersion,
    ImagePullPolicy, IngressSpec, JobManagerSpec, JobSpec, JobState, KubernetesDeploymentMode,
    PodTemplate, TaskManagerSpec, UpgradeMode,
};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// A FlinkDeployment spec without `restartNonce`, the job's steering fields and the
/// operator's configuration keys. Field order and names are the spec's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_pull_policy: Option<&'a ImagePullPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flink_version: Option<&'a FlinkVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account: Option<&'a String>,
    #[serde(skip_serializing_if = "ConfigView::is_empty")]
    flink_configuration: ConfigView<'a>,
    #[serde(skip_serializing_if = "map_is_empty")]
    log_configuration: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pod_template: Option<&'a PodTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_manager: Option<&'a JobManagerSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_manager: Option<&'a TaskManagerSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<JobView<'a>>,
    // restartNonce: always unset, so never written.
    #[serde(skip_serializing_if = "Option::is_none")]
    ingress: Option<&'a IngressSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'a KubernetesDeploymentMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deployment_strategy: Option<&'a DeploymentStrategy>,
}

impl<'a> DeploymentView<'a> {
    pub(crate) fn new(spec: &'a FlinkDeploymentSpec) -> Self {
        let FlinkDeploymentSpec {
            image,
            image_pull_policy,
            flink_version,
            service_account,
            flink_configuration,
            log_configuration,
            pod_template,
            job_manager,
            task_manager,
            job,
            restart_nonce: _,
            ingress,
            mode,
            deployment_strategy,
        } = spec;
        Self {
            image: image.as_ref(),
            image_pull_policy: image_pull_policy.as_ref(),
            flink_version: flink_version.as_ref(),
            service_account: service_account.as_ref(),
            flink_configuration: ConfigView(flink_configuration),
            log_configuration,
            pod_template: pod_template.as_ref(),
            job_manager: job_manager.as_ref(),
            task_manager: task_manager.as_ref(),
            job: job.as_ref().map(JobView::new),
            ingress: ingress.as_ref(),
            mode: mode.as_ref(),
            deployment_strategy: deployment_strategy.as_ref(),
        }
    }
}

/// A FlinkSessionJob spec without `restartNonce`, the job's steering fields and the
/// operator's configuration keys.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionJobView<'a> {
    deployment_name: &'a str,
    job: JobView<'a>,
    // restartNonce: always unset, so never written.
    #[serde(skip_serializing_if = "ConfigView::is_empty")]
    flink_configuration: ConfigView<'a>,
}

impl<'a> SessionJobView<'a> {
    pub(crate) fn new(spec: &'a FlinkSessionJobSpec) -> Self {
        let FlinkSessionJobSpec {
            deployment_name,
            job,
            restart_nonce: _,
            flink_configuration,
        } = spec;
        Self {
            deployment_name,
            job: JobView::new(job),
            flink_configuration: ConfigView(flink_configuration),
        }
    }
}

/// A job spec with the fields that steer the machine reset: `state: running`,
/// `upgradeMode: stateless`, the rest unset (and so not written).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobView<'a> {
    #[serde(rename = "jarURI", skip_serializing_if = "Option::is_none")]
    jar_uri: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallelism: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry_class: Option<&'a String>,
    #[serde(skip_serializing_if = "slice_is_empty")]
    args: &'a [String],
    state: JobState,
    // savepointTriggerNonce, initialSavepointPath, checkpointTriggerNonce: unset.
    upgrade_mode: UpgradeMode,
    // allowNonRestoredState, savepointRedeployNonce, deleteMode: unset.
}

impl<'a> JobView<'a> {
    fn new(job: &'a JobSpec) -> Self {
        let JobSpec {
            jar_uri,
            parallelism,
            entry_class,
            args,
            state: _,
            savepoint_trigger_nonce: _,
            initial_savepoint_path: _,
            checkpoint_trigger_nonce: _,
            upgrade_mode: _,
            allow_non_restored_state: _,
            savepoint_redeploy_nonce: _,
            delete_mode: _,
        } = job;
        Self {
            jar_uri: jar_uri.as_ref(),
            parallelism: *parallelism,
            entry_class: entry_class.as_ref(),
            args,
            state: JobState::Running,
            upgrade_mode: UpgradeMode::Stateless,
        }
    }
}

fn map_is_empty(m: &&BTreeMap<String, String>) -> bool {
    m.is_empty()
}

fn slice_is_empty(s: &&[String]) -> bool {
    s.is_empty()
}

/// Whether a flat configuration key is an operator setting rather than Flink's.
fn is_operator_key(key: &str) -> bool {
    key.starts_with("kubernetes.operator.")
}

/// `flinkConfiguration` without flat `kubernetes.operator.*` keys, and with a nested
/// `kubernetes: {operator: {...}}` object written empty (`{}`), as the cleared clone had it.
struct ConfigView<'a>(&'a FlinkConfiguration);

impl ConfigView<'_> {
    fn kept(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.0.iter().filter(|(k, _)| !is_operator_key(k))
    }

    fn is_empty(&self) -> bool {
        self.kept().next().is_none()
    }
}

impl Serialize for ConfigView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.kept().count()))?;
        for (k, v) in self.kept() {
            match v {
                Value::Object(nested)
                    if k == "kubernetes"
                        && matches!(nested.get("operator"), Some(Value::Object(_))) =>
                {
                    map.serialize_entry(k, &WithoutOperator(nested))?
                }
                _ => map.serialize_entry(k, v)?,
            }
        }
        map.end()
    }
}

/// The nested `kubernetes` object with its `operator` object written as `{}`.
struct WithoutOperator<'a>(&'a serde_json::Map<String, Value>);

impl Serialize for WithoutOperator<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            if k == "operator" {
                map.serialize_entry(k, &EmptyObject)?;
            } else {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// `{}`, as serde_json writes an empty object.
struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}
