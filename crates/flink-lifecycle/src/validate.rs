//! Spec rules the CRD's CEL cannot express, because they depend on the effective settings
//! (the operator's defaults merged in) (no IO).
//!
//! A spec that breaks one of them puts the resource in Failed with the message, and the
//! machine waits for the next spec change: never a crash loop.

use flink_crd::{
    DeleteMode, DeploymentStrategy, FlinkDeploymentSpec, FlinkSessionJobSpec, JobSpec,
    KubernetesDeploymentMode, UpgradeMode,
};

use crate::Settings;
use crate::settings::{CHECKPOINT_DIR_KEYS, SAVEPOINT_DIR_KEYS};

/// A rule the spec breaks, with a message the user can act on.
#[derive(thiserror::Error, Clone, Debug, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The spec field at fault (e.g. `spec.job.upgradeMode`).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

fn err(field: &str, message: String) -> ValidationError {
    ValidationError {
        field: field.to_string(),
        message,
    }
}

/// Checks `spec` against the rules that need the effective `settings`. Empty means valid.
pub fn validate(spec: &FlinkDeploymentSpec, settings: &Settings) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    if spec.flink_version.is_none() {
        // The version picks the configuration file (flink-conf.yaml or config.yaml) and the
        // Java flags; guessing it from the image tag would misconfigure custom images.
        errors.push(err(
            "spec.flinkVersion",
            "is required: the Flink version of the image, e.g. v1_20 or v2_0".into(),
        ));
    }
    if spec.mode == Some(KubernetesDeploymentMode::Native) {
        errors.push(err(
            "spec.mode",
            "mode native is not supported: flink-operator-rs runs standalone clusters (remove mode or set it to standalone)".into(),
        ));
    }
    if spec.deployment_strategy == Some(DeploymentStrategy::BlueGreen) {
        errors.push(err(
            "spec.deploymentStrategy",
            "blue-green is reserved and not implemented yet; use recreate (or remove the field)"
                .into(),
        ));
    }
    invalid_settings(settings, &mut errors);
    if let Some(job) = &spec.job {
        validate_job(job, settings, false, &mut errors);
    }
    errors
}

/// Checks a FlinkSessionJob's `spec` against the rules that need the effective `settings`
/// (see [`crate::Settings::resolve_session_job`]). Empty means valid.
pub fn validate_session_job(
    spec: &FlinkSessionJobSpec,
    settings: &Settings,
) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    invalid_settings(settings, &mut errors);
    match spec.job.jar_uri.as_deref() {
        None => errors.push(err(
            "spec.job.jarURI",
            "a session job needs the URI of its jar (http(s)://, s3://, file:// or another Flink file system)".into(),
        )),
        Some(uri) if uri.starts_with("local://") => errors.push(err(
            "spec.job.jarURI",
            format!("{uri}: local:// is a path inside an application cluster's image; a session job's jar is uploaded to the session cluster, so use http(s)://, s3://, file:// or another Flink file system"),
        )),
        Some(_) => {}
    }
    validate_job(&spec.job, settings, true, &mut errors);
    errors
}

fn invalid_settings(settings: &Settings, errors: &mut Vec<ValidationError>) {
    for (key, problem) in &settings.invalid {
        errors.push(err(
            &format!("spec.flinkConfiguration.{key}"),
            problem.clone(),
        ));
    }
}

/// The rules of the job part, shared by FlinkDeployment and FlinkSessionJob.
fn validate_job(
    job: &JobSpec,
    settings: &Settings,
    session: bool,
    errors: &mut Vec<ValidationError>,
) {
    let need_savepoint_dir = |why: &str, errors: &mut Vec<ValidationError>, field: &str| {
        if settings.savepoint_dir.is_none() {
            errors.push(err(
                field,
                format!(
                    "{why} needs a savepoint directory: set {} in flinkConfiguration (or in the operator's defaults)",
                    SAVEPOINT_DIR_KEYS[0]
                ),
            ));
        }
    };
    if let Some(p) = job.parallelism
        && p < 1
    {
        errors.push(err(
            "spec.job.parallelism",
            format!("must be at least 1 (got {p})"),
        ));
    }
    match job.upgrade_mode {
        UpgradeMode::Savepoint => {
            need_savepoint_dir("upgradeMode savepoint", errors, "spec.job.upgradeMode")
        }
        UpgradeMode::LastState if session => need_savepoint_dir(
            "upgradeMode last-state of a session job (it acts as savepoint: a session job has no HA metadata of its own)",
            errors,
            "spec.job.upgradeMode",
        ),
        UpgradeMode::LastState => {
            if settings.checkpoint_dir.is_none() {
                errors.push(err(
                    "spec.job.upgradeMode",
                    format!(
                        "upgradeMode last-state needs a checkpoint directory: set {} in flinkConfiguration (or in the operator's defaults)",
                        CHECKPOINT_DIR_KEYS[0]
                    ),
                ));
            }
        }
        UpgradeMode::Stateless => {}
    }
    if job.effective_delete_mode() == DeleteMode::Savepoint
        && job.upgrade_mode == UpgradeMode::Stateless
    {
        need_savepoint_dir("deleteMode savepoint", errors, "spec.job.deleteMode");
    }
    if settings.periodic_savepoint_secs.is_some() && job.upgrade_mode == UpgradeMode::Stateless {
        need_savepoint_dir("periodic savepoints", errors, "spec.flinkConfiguration");
    }
    if job.savepoint_trigger_nonce.is_some() && job.upgrade_mode == UpgradeMode::Stateless {
        need_savepoint_dir(
            "savepointTriggerNonce",
            errors,
            "spec.job.savepointTriggerNonce",
        );
    }
    if job.savepoint_redeploy_nonce.is_some() && job.initial_savepoint_path.is_none() {
        errors.push(err(
            "spec.job.savepointRedeployNonce",
            "needs job.initialSavepointPath: the savepoint to redeploy from".into(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_job_needs_a_fetchable_jar_and_a_savepoint_dir_for_last_state() {
        let mut spec = FlinkSessionJobSpec {
            deployment_name: "session-a".into(),
            job: flink_crd::JobSpec {
                jar_uri: Some("local:///opt/flink/usrlib/job.jar".into()),
                upgrade_mode: UpgradeMode::LastState,
                ..Default::default()
            },
            ..Default::default()
        };
        let errors = validate_session_job(&spec, &Settings::default());
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["spec.job.jarURI", "spec.job.upgradeMode"],
            "{errors:?}"
        );
        assert!(
            errors[1].message.contains("acts as savepoint"),
            "{errors:?}"
        );
        spec.job.jar_uri = Some("https://repo.example/job.jar".into());
        let settings = Settings {
            savepoint_dir: Some("s3://b/sp".into()),
            ..Settings::default()
        };
        assert!(validate_session_job(&spec, &settings).is_empty());
    }

    #[test]
    fn savepoint_mode_without_directory_is_refused_with_the_key_to_set() {
        let spec = FlinkDeploymentSpec {
            flink_version: Some(flink_crd::FlinkVersion::V1_20),
            job: Some(flink_crd::JobSpec {
                upgrade_mode: UpgradeMode::Savepoint,
                ..Default::default()
            }),
            ..Default::default()
        };
        let errors = validate(&spec, &Settings::default());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .to_string()
                .contains("execution.checkpointing.savepoint-dir")
        );
        let settings = Settings {
            savepoint_dir: Some("file:///sp".into()),
            ..Settings::default()
        };
        assert!(validate(&spec, &settings).is_empty());
    }

    #[test]
    fn a_missing_flink_version_is_refused_by_name() {
        let errors = validate(&FlinkDeploymentSpec::default(), &Settings::default());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "spec.flinkVersion");
        let spec = FlinkDeploymentSpec {
            flink_version: Some(flink_crd::FlinkVersion::V2_0),
            ..Default::default()
        };
        assert!(validate(&spec, &Settings::default()).is_empty());
    }
}
