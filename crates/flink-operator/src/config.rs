//! The operator's configuration: command-line flags, each also an environment variable
//! `FLINK_OPERATOR_<UPPER_SNAKE>` (no IO, except [`Config::operator_defaults`] reading the
//! default-config file).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::error::{Error, Result};

/// How the operator reaches each JobManager's REST API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlinkEndpoint {
    /// `http://<name>-rest.<namespace>.svc:8081`: the Service's DNS name (in-cluster).
    Service,
    /// The ready JobManager pod's `status.podIP`, port 8081 (an operator outside the cluster
    /// that can route to pod addresses, as on the local test ground).
    PodIp,
}

impl FlinkEndpoint {
    /// The flag value (also the `endpoint` label of the Flink latency metric).
    pub fn as_str(self) -> &'static str {
        match self {
            FlinkEndpoint::Service => "service",
            FlinkEndpoint::PodIp => "pod-ip",
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The flink-operator-rs operator: runs Apache Flink clusters and jobs described by
/// FlinkDeployment and FlinkSessionJob resources.
#[derive(Clone, Debug, Parser)]
#[command(name = "flink-operator", version, about, long_about = None)]
pub struct Config {
    /// Namespaces to watch, comma-separated; empty watches all namespaces.
    #[arg(
        long,
        env = "FLINK_OPERATOR_NAMESPACES",
        value_delimiter = ',',
        default_value = ""
    )]
    pub namespaces: Vec<String>,

    /// Kubeconfig file; without it, the in-cluster config or $KUBECONFIG.
    #[arg(long, env = "FLINK_OPERATOR_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// Requeue interval of a steady, healthy resource (a resource's
    /// `kubernetes.operator.reconcile.interval` wins).
    #[arg(long, env = "FLINK_OPERATOR_STEADY_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub steady_interval: Duration,

    /// Resources reconciled at the same time.
    #[arg(long, env = "FLINK_OPERATOR_CONCURRENCY", default_value_t = 8)]
    pub concurrency: u16,

    /// Deadline of each call to a Flink REST API.
    #[arg(long, env = "FLINK_OPERATOR_FLINK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub flink_timeout: Duration,

    /// How JobManager REST APIs are reached: `service` (in-cluster DNS) or `pod-ip`.
    #[arg(
        long,
        env = "FLINK_OPERATOR_FLINK_ENDPOINT",
        value_enum,
        default_value = "service"
    )]
    pub flink_endpoint: FlinkEndpoint,

    /// Log format: `text` or `json`. The level comes from RUST_LOG (default `info`).
    #[arg(
        long,
        env = "FLINK_OPERATOR_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Address of the health and metrics server (`/healthz`, `/readyz`, `/metrics`).
    #[arg(
        long,
        env = "FLINK_OPERATOR_METRICS_ADDR",
        default_value = "0.0.0.0:8080"
    )]
    pub metrics_addr: SocketAddr,

    /// YAML file of default Flink configuration (flat or nested keys), merged under every
    /// resource's `flinkConfiguration`.
    #[arg(long, env = "FLINK_OPERATOR_DEFAULT_CONFIG")]
    pub default_config: Option<PathBuf>,

    /// Run controllers only while holding the Lease (for more than one replica).
    #[arg(long, env = "FLINK_OPERATOR_LEADER_ELECTION", default_value_t = false)]
    pub leader_election: bool,

    /// Name of the leader-election Lease.
    #[arg(
        long,
        env = "FLINK_OPERATOR_LEASE_NAME",
        default_value = "flink-operator"
    )]
    pub lease_name: String,

    /// Namespace of the leader-election Lease (default: $POD_NAMESPACE, else `default`).
    #[arg(long, env = "FLINK_OPERATOR_LEASE_NAMESPACE")]
    pub lease_namespace: Option<String>,

    /// Address of the validating admission webhook (HTTPS); off unless set.
    #[arg(
        long,
        env = "FLINK_OPERATOR_WEBHOOK_ADDR",
        requires = "webhook_cert_dir"
    )]
    pub webhook_addr: Option<SocketAddr>,

    /// Folder with the webhook's `tls.crt` and `tls.key`.
    #[arg(long, env = "FLINK_OPERATOR_WEBHOOK_CERT_DIR")]
    pub webhook_cert_dir: Option<PathBuf>,

    /// OTLP/HTTP endpoint to export traces to (e.g. `http://otel-collector:4318`); off unless set.
    #[arg(long, env = "FLINK_OPERATOR_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// Crash-safety testing only: `before-status-write:<Phase>` aborts the process right
    /// before the first status write that moves a FlinkDeployment into `<Phase>`, the one
    /// crash point a test cannot reach by timing a kill from outside.
    #[arg(long, hide = true, env = "FLINK_OPERATOR_FAIL_POINT")]
    pub fail_point: Option<String>,
}

impl Config {
    /// The namespaces to watch; `None` means all.
    pub fn watched_namespaces(&self) -> Option<Vec<String>> {
        let ns: Vec<String> = self
            .namespaces
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        (!ns.is_empty()).then_some(ns)
    }

    /// The Lease's namespace: the flag, else `POD_NAMESPACE`, else `default`.
    pub fn lease_namespace(&self) -> String {
        self.lease_namespace
            .clone()
            .or_else(|| std::env::var("POD_NAMESPACE").ok())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string())
    }

    /// The operator's default Flink configuration, flat: the default-config file's keys, with
    /// `kubernetes.operator.reconcile.interval` from `--steady-interval` unless the file sets it.
    pub fn operator_defaults(&self) -> Result<BTreeMap<String, String>> {
        let mut flat = match &self.default_config {
            Some(path) => load_default_config(path)?,
            None => BTreeMap::new(),
        };
        flat.entry(flink_lifecycle::keys::STEADY_INTERVAL.to_string())
            .or_insert_with(|| format!("{} ms", self.steady_interval.as_millis()));
        Ok(flat)
    }
}

/// Reads a YAML map of Flink configuration into flat dotted keys.
pub fn load_default_config(path: &std::path::Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Config {
        what: format!("reading the default config {}", path.display()),
        reason: source.to_string(),
    })?;
    parse_default_config(&text).map_err(|reason| Error::Config {
        what: format!("parsing the default config {}", path.display()),
        reason,
    })
}

/// Parses a YAML map of Flink configuration (flat or nested keys) into flat dotted keys.
pub fn parse_default_config(text: &str) -> std::result::Result<BTreeMap<String, String>, String> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let value: serde_json::Value = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    let conf: flink_crd::FlinkConfiguration = serde_json::from_value(value)
        .map_err(|e| format!("expected a map of Flink configuration keys: {e}"))?;
    Ok(conf.flatten())
}

/// Parses `500ms`, `10s`, `5m`/`5min`, `1h` (and Flink's other spellings).
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let t = text.trim();
    // Flink's parser reads a bare number as milliseconds; on the command line seconds
    // would surprise less, so a unit is required.
    if t.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "{text:?} needs a unit, e.g. {text}s (ms, s, m/min, h)"
        ));
    }
    let t = match t.strip_suffix('m') {
        Some(n) if n.chars().all(|c| c.is_ascii_digit()) => format!("{n}min"),
        _ => t.to_string(),
    };
    flink_lifecycle::parse_duration(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::try_parse_from(["flink-operator"]).expect("defaults parse");
        assert_eq!(c.watched_namespaces(), None);
        assert_eq!(c.steady_interval, Duration::from_secs(60));
        assert_eq!(c.concurrency, 8);
        assert_eq!(c.flink_timeout, Duration::from_secs(10));
        assert_eq!(c.flink_endpoint, FlinkEndpoint::Service);
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.metrics_addr.to_string(), "0.0.0.0:8080");
        assert!(!c.leader_election);
        assert_eq!(c.lease_name, "flink-operator");
        assert!(c.webhook_addr.is_none() && c.otlp_endpoint.is_none());
    }

    #[test]
    fn flags_parse() {
        let c = Config::try_parse_from([
            "flink-operator",
            "--namespaces",
            "a, b",
            "--steady-interval",
            "5m",
            "--flink-endpoint",
            "pod-ip",
            "--log-format",
            "json",
            "--flink-timeout",
            "500ms",
            "--leader-election",
        ])
        .expect("flags parse");
        assert_eq!(
            c.watched_namespaces(),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(c.steady_interval, Duration::from_secs(300));
        assert_eq!(c.flink_timeout, Duration::from_millis(500));
        assert_eq!(c.flink_endpoint, FlinkEndpoint::PodIp);
        assert!(c.leader_election);
        assert!(Config::try_parse_from(["flink-operator", "--steady-interval", "60"]).is_err());
        assert!(
            Config::try_parse_from(["flink-operator", "--webhook-addr", "0.0.0.0:9443"]).is_err(),
            "the webhook needs its certificates"
        );
    }

    #[test]
    fn default_config_is_flattened_and_steady_interval_fills_in() {
        let flat = parse_default_config(
            "kubernetes.operator:\n  reconcile.interval: 30 s\nstate:\n  savepoints.dir: file:///sp\n",
        )
        .expect("yaml parses");
        assert_eq!(
            flat.get("state.savepoints.dir").map(String::as_str),
            Some("file:///sp")
        );
        assert_eq!(
            flat.get("kubernetes.operator.reconcile.interval")
                .map(String::as_str),
            Some("30 s")
        );
        let c = Config::try_parse_from(["flink-operator", "--steady-interval", "2m"])
            .expect("flags parse");
        let d = c.operator_defaults().expect("no file");
        let s = flink_lifecycle::Settings::from_flat(&d);
        assert_eq!(s.steady_interval_secs, 120);
        assert!(parse_default_config("- a list").is_err());
    }
}
