//! The effective settings the machine decides with, resolved from the resource's
//! `flinkConfiguration` over the operator's defaults (no IO).
//!
//! The operator owns its defaults (a flat `key: value` map from its own configuration); the
//! merge and the parsing happen here, so the operator holds no rule about them.

use std::collections::BTreeMap;
use std::time::Duration;

use flink_crd::{FlinkConfiguration, FlinkDeploymentSpec, FlinkSessionJobSpec};
use serde::{Deserialize, Serialize};

/// Flink keys of the savepoint directory, newest first (2.x, then the deprecated 1.x names).
pub const SAVEPOINT_DIR_KEYS: &[&str] = &[
    "execution.checkpointing.savepoint-dir",
    "state.savepoints.dir",
];
/// Flink keys of the checkpoint directory, newest first.
pub const CHECKPOINT_DIR_KEYS: &[&str] = &["execution.checkpointing.dir", "state.checkpoints.dir"];
/// Periodic savepoint interval (Apache's key); absent or `0` disables periodic savepoints.
pub const PERIODIC_SAVEPOINT_INTERVAL: &str = "kubernetes.operator.periodic.savepoint.interval";
/// Bounded savepoint history length (Apache's key).
pub const SAVEPOINT_HISTORY_MAX: &str = "kubernetes.operator.savepoint.history.max.count";
/// Roll back upgrades that do not become healthy (Apache's key; our default is `true`).
pub const ROLLBACK_ENABLED: &str = "kubernetes.operator.deployment.rollback.enabled";
/// How long a deployment may take to become ready with its job running (Apache's key).
pub const READINESS_TIMEOUT: &str = "kubernetes.operator.deployment.readiness.timeout";
/// How long a savepoint/checkpoint may take before the machine gives up on it.
pub const SAVEPOINT_TIMEOUT: &str = "kubernetes.operator.savepoint.timeout";
/// How many times a harmlessly failed upgrade savepoint is retried before Failed.
pub const SAVEPOINT_MAX_RETRIES: &str = "kubernetes.operator.savepoint.max-retries";
/// How long the cluster's resources may take to disappear after a delete.
pub const TEARDOWN_TIMEOUT: &str = "kubernetes.operator.cluster.teardown.timeout";
/// How long an upgraded job must run without new restarts to count as stable.
pub const STABILITY_WINDOW: &str = "kubernetes.operator.deployment.stability.window";
/// Flink restarts of an upgraded job within the stability window that trigger a rollback.
pub const UPGRADE_MAX_RESTARTS: &str = "kubernetes.operator.deployment.rollback.max-restarts";
/// Job failures within the failure window before Failed.
pub const FAILURE_MAX_COUNT: &str = "kubernetes.operator.job.failure.max-count";
/// The failure-counting window.
pub const FAILURE_WINDOW: &str = "kubernetes.operator.job.failure.window";
/// How often Flink's REST API refreshes the job state it serves.
pub const JOB_STATE_CACHE: &str = "web.refresh-interval";
/// Requeue interval of a steady, healthy deployment.
pub const STEADY_INTERVAL: &str = "kubernetes.operator.reconcile.interval";

/// Effective values of everything the machine's decisions depend on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Target directory of savepoints.
    pub savepoint_dir: Option<String>,
    /// Checkpoint directory (last-state needs retained checkpoints there).
    pub checkpoint_dir: Option<String>,
    /// Periodic savepoint interval in seconds; `None` disables.
    pub periodic_savepoint_secs: Option<u64>,
    /// Savepoints kept in `savepointHistory`.
    pub savepoint_history_max: usize,
    /// Roll back upgrades that do not become healthy.
    pub rollback_enabled: bool,
    /// Deadline of Deploying, seconds.
    pub readiness_timeout_secs: u64,
    /// Deadline of a savepoint/checkpoint, seconds.
    pub savepoint_timeout_secs: u64,
    /// Retries of a failed upgrade savepoint before Failed.
    pub savepoint_max_retries: u32,
    /// Deadline of TearingDown, seconds.
    pub teardown_timeout_secs: u64,
    /// Stability window after an upgrade, seconds.
    pub stability_window_secs: u64,
    /// Restarts within the stability window that trigger a rollback.
    pub upgrade_max_restarts: u32,
    /// Failures within the window before Failed.
    pub failure_max_count: u32,
    /// Failure window, seconds.
    pub failure_window_secs: u64,
    /// Requeue interval when nothing happens, seconds.
    pub steady_interval_secs: u64,
    /// How long Flink's REST API may keep answering with a job's state from before a change
    /// (`web.refresh-interval`, Flink's 3 s by default), seconds, rounded up.
    pub job_state_cache_secs: u64,
    /// Completed checkpoints Flink keeps (`state.checkpoints.num-retained`, the operator's
    /// default when unset): bounds how stale the recorded checkpoint may get.
    pub checkpoints_retained: u32,
    /// Keys whose values could not be parsed, with the reason (reported by `validate`).
    pub invalid: Vec<(String, String)>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            savepoint_dir: None,
            checkpoint_dir: None,
            periodic_savepoint_secs: None,
            savepoint_history_max: 10,
            rollback_enabled: true,
            readiness_timeout_secs: 300,
            savepoint_timeout_secs: 600,
            savepoint_max_retries: 3,
            teardown_timeout_secs: 300,
            stability_window_secs: 60,
            upgrade_max_restarts: 3,
            failure_max_count: 3,
            failure_window_secs: 600,
            steady_interval_secs: 60,
            checkpoints_retained: flink_crd::DEFAULT_RETAINED_CHECKPOINTS,
            job_state_cache_secs: 3,
            invalid: Vec::new(),
        }
    }
}

impl Settings {
    /// Resolves the settings of one resource: its `flinkConfiguration` (flattened) over the
    /// operator's `defaults` (flat keys), over the built-in defaults above.
    pub fn resolve(spec: &FlinkDeploymentSpec, defaults: &BTreeMap<String, String>) -> Self {
        let mut merged = defaults.clone();
        merged.extend(spec.flink_configuration.flatten());
        Self::from_flat(&merged)
    }

    /// Resolves the settings of a session job: its own `flinkConfiguration` over its session
    /// cluster's (`cluster`, the FlinkDeployment named by `deploymentName`, when it exists),
    /// over the operator's `defaults`, over the built-in defaults. The savepoint directory is
    /// usually the session cluster's.
    pub fn resolve_session_job(
        spec: &FlinkSessionJobSpec,
        cluster: Option<&FlinkDeploymentSpec>,
        defaults: &BTreeMap<String, String>,
    ) -> Self {
        let mut merged = defaults.clone();
        if let Some(c) = cluster {
            merged.extend(c.flink_configuration.flatten());
        }
        merged.extend(spec.flink_configuration.flatten());
        Self::from_flat(&merged)
    }

    /// Resolves settings from one flat `key: value` map.
    pub fn from_flat(conf: &BTreeMap<String, String>) -> Self {
        let mut s = Self::default();
        let first = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| conf.get(*k))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        s.savepoint_dir = first(SAVEPOINT_DIR_KEYS);
        s.checkpoint_dir = first(CHECKPOINT_DIR_KEYS);
        let mut invalid = Vec::new();
        let mut secs = |key: &str, target: &mut u64| {
            if let Some(v) = conf.get(key) {
                match parse_duration(v) {
                    Ok(d) => *target = d.as_secs(),
                    Err(e) => invalid.push((key.to_string(), e)),
                }
            }
        };
        let mut periodic = 0;
        secs(PERIODIC_SAVEPOINT_INTERVAL, &mut periodic);
        s.periodic_savepoint_secs = (periodic > 0).then_some(periodic);
        secs(READINESS_TIMEOUT, &mut s.readiness_timeout_secs);
        secs(SAVEPOINT_TIMEOUT, &mut s.savepoint_timeout_secs);
        secs(TEARDOWN_TIMEOUT, &mut s.teardown_timeout_secs);
        secs(STABILITY_WINDOW, &mut s.stability_window_secs);
        secs(FAILURE_WINDOW, &mut s.failure_window_secs);
        secs(STEADY_INTERVAL, &mut s.steady_interval_secs);
        if let Some(v) = conf.get(JOB_STATE_CACHE) {
            match parse_duration(v) {
                Ok(d) => s.job_state_cache_secs = d.as_millis().div_ceil(1000) as u64,
                Err(e) => invalid.push((JOB_STATE_CACHE.to_string(), e)),
            }
        }
        let mut count = |key: &str, target: &mut u32| {
            if let Some(v) = conf.get(key) {
                match v.trim().parse::<u32>() {
                    Ok(n) => *target = n,
                    Err(_) => invalid.push((
                        key.to_string(),
                        format!("expected a whole number, got {v:?}"),
                    )),
                }
            }
        };
        count(SAVEPOINT_MAX_RETRIES, &mut s.savepoint_max_retries);
        count(UPGRADE_MAX_RESTARTS, &mut s.upgrade_max_restarts);
        count(FAILURE_MAX_COUNT, &mut s.failure_max_count);
        count(
            flink_crd::RETAINED_CHECKPOINTS_KEY,
            &mut s.checkpoints_retained,
        );
        let mut history = 10u32;
        count(SAVEPOINT_HISTORY_MAX, &mut history);
        s.savepoint_history_max = history as usize;
        if let Some(v) = conf.get(ROLLBACK_ENABLED) {
            match v.trim() {
                "true" => s.rollback_enabled = true,
                "false" => s.rollback_enabled = false,
                other => invalid.push((
                    ROLLBACK_ENABLED.to_string(),
                    format!("expected true or false, got {other:?}"),
                )),
            }
        }
        s.invalid = invalid;
        s
    }
}

/// A job's own Flink configuration as submitted: flat keys without the operator's
/// `kubernetes.operator.*` settings.
pub(crate) fn job_configuration(conf: &FlinkConfiguration) -> BTreeMap<String, String> {
    let mut flat = conf.flatten();
    flat.retain(|k, _| !k.starts_with("kubernetes.operator."));
    flat
}

/// Parses a Flink duration: `30 s`, `5min`, `1h`, `500ms`, `2 d`; a bare number is
/// milliseconds, as in Flink.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("expected a duration such as \"30 s\" or \"5 min\", got {text:?}"))?;
    let ms = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => n,
        "s" | "sec" | "secs" | "second" | "seconds" => n.saturating_mul(1_000),
        "m" | "min" | "mins" | "minute" | "minutes" => n.saturating_mul(60_000),
        "h" | "hour" | "hours" => n.saturating_mul(3_600_000),
        "d" | "day" | "days" => n.saturating_mul(86_400_000),
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {text:?} (use ms, s, min, h or d)"
            ));
        }
    };
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_flink() {
        assert_eq!(parse_duration("30 s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5min"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1500"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }

    #[test]
    fn retained_checkpoints_default_to_what_the_cluster_is_given() {
        let none = BTreeMap::new();
        assert_eq!(
            Settings::from_flat(&none).checkpoints_retained,
            flink_crd::DEFAULT_RETAINED_CHECKPOINTS
        );
        let seven = [(
            flink_crd::RETAINED_CHECKPOINTS_KEY.to_string(),
            "7".to_string(),
        )]
        .into();
        assert_eq!(Settings::from_flat(&seven).checkpoints_retained, 7);
        let bad = [(
            flink_crd::RETAINED_CHECKPOINTS_KEY.to_string(),
            "many".to_string(),
        )]
        .into();
        assert_eq!(Settings::from_flat(&bad).invalid.len(), 1);
    }

    #[test]
    fn the_job_state_cache_is_flinks_refresh_interval_rounded_up() {
        let none = BTreeMap::new();
        assert_eq!(Settings::from_flat(&none).job_state_cache_secs, 3);
        let ms = [(JOB_STATE_CACHE.to_string(), "1500".to_string())].into();
        assert_eq!(Settings::from_flat(&ms).job_state_cache_secs, 2);
        let secs = [(JOB_STATE_CACHE.to_string(), "10 s".to_string())].into();
        assert_eq!(Settings::from_flat(&secs).job_state_cache_secs, 10);
    }

    #[test]
    fn session_job_config_wins_over_its_cluster_and_the_defaults() {
        let defaults: BTreeMap<String, String> =
            [(PERIODIC_SAVEPOINT_INTERVAL.to_string(), "1h".to_string())].into();
        let cluster = FlinkDeploymentSpec {
            flink_configuration: FlinkConfiguration::from_pairs([
                ("state.savepoints.dir", "s3://cluster/sp"),
                (PERIODIC_SAVEPOINT_INTERVAL, "2h"),
            ]),
            ..Default::default()
        };
        let job = FlinkSessionJobSpec {
            flink_configuration: FlinkConfiguration::from_pairs([(
                PERIODIC_SAVEPOINT_INTERVAL,
                "30 min",
            )]),
            ..Default::default()
        };
        let s = Settings::resolve_session_job(&job, Some(&cluster), &defaults);
        assert_eq!(s.savepoint_dir.as_deref(), Some("s3://cluster/sp"));
        assert_eq!(s.periodic_savepoint_secs, Some(1800));
        let s = Settings::resolve_session_job(&job, None, &defaults);
        assert_eq!(s.savepoint_dir, None);
        let flat = job_configuration(&job.flink_configuration);
        assert!(flat.is_empty(), "operator keys are not submitted: {flat:?}");
    }

    #[test]
    fn resource_config_wins_over_operator_defaults() {
        let defaults: BTreeMap<String, String> = [
            (
                "state.savepoints.dir".to_string(),
                "file:///default-sp".to_string(),
            ),
            (PERIODIC_SAVEPOINT_INTERVAL.to_string(), "1h".to_string()),
        ]
        .into();
        let spec = FlinkDeploymentSpec {
            flink_configuration: flink_crd::FlinkConfiguration::from_pairs([
                ("execution.checkpointing.savepoint-dir", "file:///mine"),
                (ROLLBACK_ENABLED, "maybe"),
            ]),
            ..Default::default()
        };
        let s = Settings::resolve(&spec, &defaults);
        assert_eq!(s.savepoint_dir.as_deref(), Some("file:///mine"));
        assert_eq!(s.periodic_savepoint_secs, Some(3600));
        assert_eq!(s.invalid.len(), 1, "{:?}", s.invalid);
    }
}
