//! The effective Flink configuration of a cluster and its configuration file (no IO).
//!
//! Layers, later wins: our defaults (Java 17 flags, retained checkpoints, ...), the operator's
//! default configuration, the user's `flinkConfiguration`, then what the cluster's shape
//! requires (addresses and ports the Services and probes use) and what spec fields say
//! (`job.parallelism`, `*.resource.memory`), as the Apache operator applies spec fields last.

use std::collections::BTreeMap;

use flink_crd::{FlinkVersion, JobSpec};

use crate::defaults::{JAVA_DEFAULT_OPTS_KEY, java17_opts};
use crate::error::BuildError;
use crate::resources::Component;
use crate::{BLOB_PORT, ClusterInput, JOB_MANAGER_RPC_PORT, REST_PORT, TASK_MANAGER_RPC_PORT};

/// `jobmanager.memory.process.size`.
pub const JM_PROCESS_MEMORY: &str = "jobmanager.memory.process.size";
/// `taskmanager.memory.process.size`.
pub const TM_PROCESS_MEMORY: &str = "taskmanager.memory.process.size";
/// `taskmanager.numberOfTaskSlots`.
pub const TASK_SLOTS: &str = "taskmanager.numberOfTaskSlots";
/// `parallelism.default`.
pub const DEFAULT_PARALLELISM: &str = "parallelism.default";

/// The distribution's default process sizes, used when nothing sizes a component (the
/// image's own `config.yaml`, which had them, is replaced by ours).
const DEFAULT_JM_MEMORY: &str = "1600m";
const DEFAULT_TM_MEMORY: &str = "1728m";

/// The effective Flink configuration of the cluster (flat keys), as written to its
/// configuration file. The operator also reads it (savepoint directory, slots, ...).
pub fn flink_config(input: &ClusterInput<'_>) -> Result<BTreeMap<String, String>, BuildError> {
    let version = crate::flink_version(input.spec)?;
    let spec = input.spec;
    let mut conf = BTreeMap::new();
    let mut set = |k: &str, v: &str| conf.insert(k.to_string(), v.to_string());

    // Our defaults.
    set(JAVA_DEFAULT_OPTS_KEY, java17_opts(version));
    set(
        "execution.checkpointing.externalized-checkpoint-retention",
        "RETAIN_ON_CANCELLATION",
    );
    // The recorded restore point must outlive a few newer checkpoints (see the constant).
    set(
        flink_crd::RETAINED_CHECKPOINTS_KEY,
        &flink_crd::DEFAULT_RETAINED_CHECKPOINTS.to_string(),
    );
    // A stray click in the web UI must not cancel a job behind the operator's back.
    set("web.cancel.enable", "false");
    set("rest.address", &crate::names(input.name).rest_service);
    if spec.job.is_some() {
        set("pipeline.name", input.name);
        if input.job_id.is_some() {
            // A failing main() becomes a FAILED job the operator can see, not a crash loop.
            set("execution.submit-failed-job-on-application-error", "true");
        }
    }

    conf.extend(
        input
            .operator_defaults
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    conf.extend(spec.flink_configuration.flatten());

    // The cluster's shape: the Services, probes and TaskManager args rely on these.
    let mut force = |k: &str, v: String| conf.insert(k.to_string(), v);
    force("jobmanager.rpc.address", input.name.to_string());
    force("jobmanager.rpc.port", JOB_MANAGER_RPC_PORT.to_string());
    force("jobmanager.bind-host", "0.0.0.0".into());
    force("blob.server.port", BLOB_PORT.to_string());
    force("rest.port", REST_PORT.to_string());
    force("rest.bind-address", "0.0.0.0".into());
    force("taskmanager.rpc.port", TASK_MANAGER_RPC_PORT.to_string());
    force("taskmanager.bind-host", "0.0.0.0".into());
    force("kubernetes.cluster-id", input.name.to_string());
    force("kubernetes.namespace", input.namespace.to_string());
    if let Some(job) = &spec.job {
        // The operator decides when a finished job's cluster goes away.
        force("execution.shutdown-on-application-finish", "false".into());
        if let Some(p) = job.parallelism {
            force(DEFAULT_PARALLELISM, p.to_string());
        }
        if let Some(classpath) = job_classpath(job) {
            force("pipeline.classpaths", classpath);
        }
    }

    for component in [Component::JobManager, Component::TaskManager] {
        let key = component.process_memory_key();
        if let Some(bytes) = crate::resources::spec_memory_bytes(spec, component)? {
            conf.insert(key.to_string(), crate::memory::flink_size(bytes));
        } else if !memory_configured(&conf, component) {
            let default = match component {
                Component::JobManager => DEFAULT_JM_MEMORY,
                Component::TaskManager => DEFAULT_TM_MEMORY,
            };
            conf.insert(key.to_string(), default.to_string());
        }
    }
    Ok(conf)
}

/// Whether the configuration sizes the component's memory some way Flink accepts.
fn memory_configured(conf: &BTreeMap<String, String>, component: Component) -> bool {
    let keys: &[&str] = match component {
        Component::JobManager => &[
            JM_PROCESS_MEMORY,
            "jobmanager.memory.flink.size",
            "jobmanager.memory.heap.size",
        ],
        Component::TaskManager => &[
            TM_PROCESS_MEMORY,
            "taskmanager.memory.flink.size",
            "taskmanager.memory.task.heap.size",
        ],
    };
    keys.iter().any(|k| conf.contains_key(*k))
}

/// The `pipeline.classpaths` entry for a jar inside the image (`local://` or `file://`), as
/// the Apache operator sets it: the standalone entry point puts `usrlib/` and these on the
/// user classpath and finds `--job-classname` there (or the one jar's `Main-Class`).
fn job_classpath(job: &JobSpec) -> Option<String> {
    let uri = job.jar_uri.as_deref()?;
    if let Some(path) = uri.strip_prefix("local://") {
        Some(format!("file://{path}"))
    } else if uri.starts_with("file://") {
        Some(uri.to_string())
    } else {
        None
    }
}

/// Renders the configuration file of `version`: `flink-conf.yaml` (1.x) or `config.yaml`
/// (2.x). Returns the file name and its contents.
///
/// Flink 1.x reads `flink-conf.yaml` line by line (`key: value`, no YAML quoting, `#` starts a
/// comment), so values are written bare and a value Flink 1.x would misread is an error.
/// Flink 2.x reads standard YAML; values are plain scalars where that is safe, else quoted.
pub fn render_config_file(
    version: FlinkVersion,
    conf: &BTreeMap<String, String>,
) -> Result<(&'static str, String), BuildError> {
    let mut out =
        String::from("# Generated by flink-operator-rs; edit the FlinkDeployment instead.\n");
    for (key, value) in conf {
        if key.contains(['\n', '\r']) || value.contains(['\n', '\r']) {
            return Err(BuildError::ConfigValue {
                key: key.clone(),
                message: "keys and values must be on one line".into(),
            });
        }
        if version.is_v2() {
            out.push_str(&yaml_scalar(key));
            out.push_str(": ");
            out.push_str(&yaml_scalar(value));
        } else {
            if key.contains('#') || value.contains('#') {
                return Err(BuildError::ConfigValue {
                    key: key.clone(),
                    message: "Flink 1.x reads '#' in flink-conf.yaml as the start of a comment; \
                              remove it (or use Flink 2.x, whose config.yaml is standard YAML)"
                        .into(),
                });
            }
            out.push_str(key);
            out.push_str(": ");
            out.push_str(value);
        }
        out.push('\n');
    }
    Ok((version.config_file_name(), out))
}

/// A YAML scalar for a `config.yaml` value: plain when YAML reads it back as this text (or as
/// a number or boolean Flink parses from the same text), single-quoted otherwise.
fn yaml_scalar(text: &str) -> String {
    let needs_quotes = text.is_empty()
        || matches!(text, "~" | "null" | "Null" | "NULL")
        || text.starts_with(' ')
        || text.ends_with(' ')
        || text.ends_with(':')
        || text.contains(": ")
        || text.contains(" #")
        || text.contains('\t')
        || starts_with_indicator(text);
    if needs_quotes {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        text.to_string()
    }
}

/// Whether `text` starts with a YAML indicator that would change its meaning as a plain
/// scalar (`-` is fine when a non-space follows, as in `--add-opens=...`).
fn starts_with_indicator(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some('-' | '?' | ':') => matches!(chars.next(), None | Some(' ')),
        Some(
            ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
            | '@' | '`',
        ) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalars_quote_only_what_needs_it() {
        assert_eq!(
            yaml_scalar("file:///flink-data/savepoints"),
            "file:///flink-data/savepoints"
        );
        assert_eq!(yaml_scalar("--add-opens=a b"), "--add-opens=a b");
        assert_eq!(yaml_scalar("10s"), "10s");
        assert_eq!(yaml_scalar(""), "''");
        assert_eq!(yaml_scalar("a: b"), "'a: b'");
        assert_eq!(yaml_scalar("it's # not"), "'it''s # not'");
        assert_eq!(yaml_scalar("*ref"), "'*ref'");
        assert_eq!(yaml_scalar("null"), "'null'");
        assert_eq!(yaml_scalar("-"), "'-'");
    }

    #[test]
    fn version_1_refuses_what_its_line_parser_would_truncate() {
        let conf = BTreeMap::from([("metrics.reporter.x.filter".to_string(), "a#b".to_string())]);
        let err = render_config_file(FlinkVersion::V1_20, &conf).expect_err("# refused");
        assert!(
            err.to_string()
                .contains("spec.flinkConfiguration.metrics.reporter.x.filter"),
            "{err}"
        );
        let (name, text) = render_config_file(FlinkVersion::V2_3, &conf).expect("2.x quotes it");
        assert_eq!(name, "config.yaml");
        assert!(text.contains("metrics.reporter.x.filter: a#b\n"), "{text}");
    }
}
