//! Prometheus metrics of the operator (no IO; `/metrics` renders [`Metrics::render`]).
//!
//! Every series has a bounded label set: kinds, outcomes, error categories, phases and the
//! endpoint mode, never resource names.

use std::collections::HashMap;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of a reconcile.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileLabels {
    /// `FlinkDeployment` or `FlinkSessionJob`.
    pub kind: &'static str,
    /// `ok`, `conflict` or `error`.
    pub outcome: &'static str,
}

/// Labels of an error.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// `FlinkDeployment` or `FlinkSessionJob`.
    pub kind: &'static str,
    /// The error's category ([`crate::Error::category`]).
    pub error: &'static str,
}

/// Labels of the phase gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PhaseLabels {
    /// `FlinkDeployment` or `FlinkSessionJob`.
    pub kind: &'static str,
    /// The phase (`Deploying`, `Running`, ... or `Unknown` before the first status).
    pub phase: String,
}

/// Labels of an executed action.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    /// The action (`ApplyCluster`, `TriggerSavepoint`, ...).
    pub action: &'static str,
    /// `ok` or `error`.
    pub outcome: &'static str,
}

/// Labels of a Flink REST call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FlinkCallLabels {
    /// The endpoint mode (`service` or `pod-ip`).
    pub endpoint: &'static str,
    /// What was called (`job`, `checkpoints`, `trigger`, `savepoint`, `stop`, `cancel`, ...).
    pub call: &'static str,
    /// `ok` or `error`.
    pub outcome: &'static str,
}

/// Labels of a watch.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WatchLabels {
    /// The watched kind.
    pub resource: &'static str,
}

/// Labels of an apiserver write or status write skipped.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// `FlinkDeployment` or `FlinkSessionJob`.
    pub kind: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

/// The operator's metrics.
pub struct Metrics {
    registry: Registry,
    /// Reconciles by kind and outcome.
    pub reconciles: Family<ReconcileLabels, Counter>,
    /// Reconcile errors by kind and category.
    pub errors: Family<ErrorLabels, Counter>,
    /// Reconcile duration by kind.
    pub reconcile_seconds: Family<KindLabels, Histogram, fn() -> Histogram>,
    /// Resources by kind and phase.
    pub phases: Family<PhaseLabels, Gauge>,
    /// Executed actions by kind and outcome.
    pub actions: Family<ActionLabels, Counter>,
    /// Flink REST call latency by endpoint mode, call and outcome.
    pub flink_seconds: Family<FlinkCallLabels, Histogram, fn() -> Histogram>,
    /// Watch (re)starts and errors by watched kind.
    pub watch_restarts: Family<WatchLabels, Counter>,
    /// Status writes by kind.
    pub status_writes: Family<KindLabels, Counter>,
    /// Status writes skipped because nothing changed, by kind.
    pub status_unchanged: Family<KindLabels, Counter>,
    /// 1 while this replica leads (or election is off), else 0.
    pub leader: Gauge,
    phase_of: Mutex<HashMap<String, (&'static str, String)>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric of the operator, prefixed `flink_operator_`.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("flink_operator");
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        registry.register(
            "reconciles",
            "Reconciles by resource kind and outcome (ok, conflict, error)",
            reconciles.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "reconcile_errors",
            "Reconcile errors by resource kind and error category",
            errors.clone(),
        );
        let reconcile_seconds: Family<KindLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "reconcile_duration_seconds",
            "Duration of one reconcile (observe, decide, persist, execute)",
            reconcile_seconds.clone(),
        );
        let phases = Family::<PhaseLabels, Gauge>::default();
        registry.register(
            "resources",
            "Resources seen by this replica, by kind and phase",
            phases.clone(),
        );
        let actions = Family::<ActionLabels, Counter>::default();
        registry.register(
            "actions",
            "Actions of the lifecycle machine carried out, by action and outcome",
            actions.clone(),
        );
        let flink_seconds: Family<FlinkCallLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "flink_request_duration_seconds",
            "Latency of Flink REST calls by endpoint mode, call and outcome",
            flink_seconds.clone(),
        );
        let watch_restarts = Family::<WatchLabels, Counter>::default();
        registry.register(
            "watch_restarts",
            "Watch errors after which a watch restarts (with backoff), by watched kind",
            watch_restarts.clone(),
        );
        let status_writes = Family::<KindLabels, Counter>::default();
        registry.register(
            "status_writes",
            "Status subresource writes by kind",
            status_writes.clone(),
        );
        let status_unchanged = Family::<KindLabels, Counter>::default();
        registry.register(
            "status_unchanged",
            "Reconciles whose status did not change (no write), by kind",
            status_unchanged.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "leader",
            "1 while this replica runs the controllers (holds the Lease or election is off)",
            leader.clone(),
        );
        Self {
            registry,
            reconciles,
            errors,
            reconcile_seconds,
            phases,
            actions,
            flink_seconds,
            watch_restarts,
            status_writes,
            status_unchanged,
            leader,
            phase_of: Mutex::new(HashMap::new()),
        }
    }

    /// Records the phase of resource `key` (a kind/namespace/name), moving it between the
    /// phase gauges; `None` forgets the resource (deleted).
    pub fn set_phase(&self, kind: &'static str, key: &str, phase: Option<String>) {
        let Ok(mut map) = self.phase_of.lock() else {
            return;
        };
        let old = match phase {
            Some(p) => {
                let new = (kind, p);
                if map.get(key) == Some(&new) {
                    return;
                }
                self.phases
                    .get_or_create(&PhaseLabels {
                        kind,
                        phase: new.1.clone(),
                    })
                    .inc();
                map.insert(key.to_string(), new)
            }
            None => map.remove(key),
        };
        if let Some((k, p)) = old {
            self.phases
                .get_or_create(&PhaseLabels { kind: k, phase: p })
                .dec();
        }
    }

    /// Times one Flink REST call.
    pub fn observe_flink(
        &self,
        endpoint: &'static str,
        call: &'static str,
        ok: bool,
        seconds: f64,
    ) {
        self.flink_seconds
            .get_or_create(&FlinkCallLabels {
                endpoint,
                call,
                outcome: if ok { "ok" } else { "error" },
            })
            .observe(seconds);
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_move_between_gauges() {
        let m = Metrics::new();
        m.set_phase("FlinkDeployment", "ns/a", Some("Deploying".into()));
        m.set_phase("FlinkDeployment", "ns/a", Some("Running".into()));
        m.set_phase("FlinkDeployment", "ns/b", Some("Running".into()));
        let text = m.render();
        assert!(
            text.contains(r#"flink_operator_resources{kind="FlinkDeployment",phase="Running"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"flink_operator_resources{kind="FlinkDeployment",phase="Deploying"} 0"#
            ),
            "{text}"
        );
        m.set_phase("FlinkDeployment", "ns/a", None);
        assert!(
            m.render()
                .contains(r#"flink_operator_resources{kind="FlinkDeployment",phase="Running"} 1"#)
        );
    }
}
