//! What every reconcile shares: the client, the caches of its scope, Flink clients, metrics,
//! the event recorder, the operator's default Flink configuration, and per-resource error
//! memory for backoff and log-once (no IO of its own).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;

use crate::caches::Caches;
use crate::events::EventRecorder;
use crate::flink::FlinkClients;
use crate::metrics::Metrics;

/// Parts shared by every scope.
#[derive(Clone)]
pub struct Shared {
    /// The Kubernetes client.
    pub client: Client,
    /// Flink REST clients.
    pub flink: Arc<FlinkClients>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Event recorder.
    pub events: Arc<EventRecorder>,
    /// The operator's default Flink configuration (flat keys).
    pub defaults: Arc<BTreeMap<String, String>>,
    /// HTTP client for downloading session jobs' `http(s)://` jars.
    pub http: reqwest::Client,
    /// The phase before whose status write the process aborts (`--fail-point`, tests only).
    pub abort_before_phase: Option<String>,
}

/// The context of one scope's controllers.
pub struct Context {
    /// Shared parts.
    pub shared: Shared,
    /// The scope's caches.
    pub caches: Caches,
    /// Consecutive failures and the last error logged, per resource key.
    failures: Mutex<HashMap<String, (u32, String)>>,
    /// The last failed job submission per session job uid: (job id, why).
    submit_errors: Mutex<HashMap<String, (String, String)>>,
}

/// First retry delay after an error; doubles per consecutive failure.
const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Longest retry delay after errors.
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// Retry delay after an optimistic-concurrency conflict.
pub const CONFLICT_RETRY: Duration = Duration::from_millis(200);

impl Context {
    /// A context for a scope.
    pub fn new(shared: Shared, caches: Caches) -> Self {
        Self {
            shared,
            caches,
            failures: Mutex::new(HashMap::new()),
            submit_errors: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers (`Some`) or forgets (`None`) why submitting job `job_id` of session job `uid`
    /// failed.
    pub fn set_submit_error(&self, uid: &str, job_id: &str, error: Option<String>) {
        let mut map = self
            .submit_errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match error {
            Some(e) => {
                map.insert(uid.to_string(), (job_id.to_string(), e));
            }
            None => {
                map.remove(uid);
            }
        }
    }

    /// Why the last submission of `job_id` of session job `uid` failed, if it did.
    pub fn submit_error(&self, uid: &str, job_id: Option<&str>) -> Option<String> {
        let map = self
            .submit_errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(uid)
            .filter(|(id, _)| Some(id.as_str()) == job_id)
            .map(|(_, e)| e.clone())
    }

    /// Records a failure of `key`; returns whether this error text is new for it (to be
    /// logged) and the backoff before the next attempt.
    pub fn failed(&self, key: &str, error: &str) -> (bool, Duration) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = map.entry(key.to_string()).or_insert((0, String::new()));
        entry.0 = entry.0.saturating_add(1);
        let new = entry.1 != error;
        if new {
            entry.1 = error.to_string();
        }
        (new, backoff(entry.0))
    }

    /// The backoff of `key` after its recorded failures.
    pub fn backoff_of(&self, key: &str) -> Duration {
        let map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        backoff(map.get(key).map(|e| e.0).unwrap_or(1))
    }

    /// Forgets the failures of `key` after a successful reconcile; returns whether it had any.
    pub fn succeeded(&self, key: &str) -> bool {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key)
            .is_some()
    }
}

/// `BACKOFF_BASE * 2^(n-1)`, capped at `BACKOFF_MAX`.
pub fn backoff(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    BACKOFF_BASE.saturating_mul(1u32 << exp).min(BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(40), Duration::from_secs(300));
    }
}
