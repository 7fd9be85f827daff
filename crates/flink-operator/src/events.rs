//! Kubernetes Events on our resources (does IO: creates `events.k8s.io/v1` Events).
//!
//! The lifecycle machine emits an event with the step that decides a transition. A step can
//! be replayed (a conflict on the status write, an action that failed and is retried), so
//! the same event is published at most once per resource within [`DEDUPE_WINDOW`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use flink_lifecycle::EventKind;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client};

use crate::error::{Error, Result};
use crate::labels::FIELD_MANAGER;

/// How long an identical event (same resource, type, reason and message) is not repeated.
pub const DEDUPE_WINDOW: Duration = Duration::from_secs(600);

/// Most remembered events before old ones are dropped.
const MAX_REMEMBERED: usize = 10_000;

/// Publishes Events, skipping repeats.
pub struct EventRecorder {
    client: Client,
    instance: String,
    seen: Mutex<HashMap<(String, String), Instant>>,
}

impl EventRecorder {
    /// A recorder reporting as `flink-operator-rs`, instance `instance` (the pod name).
    pub fn new(client: Client, instance: String) -> Self {
        Self {
            client,
            instance,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Publishes an event about `regarding` unless the same one was published recently.
    /// Returns whether it was published.
    pub async fn publish(
        &self,
        regarding: &ObjectReference,
        kind: EventKind,
        reason: &str,
        message: &str,
    ) -> Result<bool> {
        let uid = regarding.uid.clone().unwrap_or_default();
        let key = (uid, format!("{kind:?}/{reason}/{message}"));
        {
            let mut seen = self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            if seen.len() > MAX_REMEMBERED {
                seen.retain(|_, at| now.duration_since(*at) < DEDUPE_WINDOW);
            }
            if let Some(at) = seen.get(&key)
                && now.duration_since(*at) < DEDUPE_WINDOW
            {
                return Ok(false);
            }
        }
        let namespace = regarding
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into());
        let now = Timestamp::now();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!(
                    "{}.{:x}",
                    regarding.name.as_deref().unwrap_or("flink-operator"),
                    now.as_nanosecond()
                )),
                namespace: Some(namespace.clone()),
                ..ObjectMeta::default()
            },
            event_time: Some(MicroTime(now)),
            type_: Some(
                match kind {
                    EventKind::Normal => "Normal",
                    EventKind::Warning => "Warning",
                }
                .to_string(),
            ),
            reason: Some(truncate(reason, 128)),
            action: Some(truncate(reason, 128)),
            note: Some(truncate(message, 1024)),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(FIELD_MANAGER.to_string()),
            reporting_instance: Some(truncate(&self.instance, 128)),
            ..Event::default()
        };
        Api::<Event>::namespaced(self.client.clone(), &namespace)
            .create(&PostParams::default(), &event)
            .await
            .map_err(Error::kube(format!("recording event {reason}")))?;
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, Instant::now());
        Ok(true)
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn long_texts_are_cut_on_char_boundaries() {
        assert_eq!(truncate("short", 10), "short");
        let cut = truncate(&"é".repeat(100), 11);
        assert!(cut.len() <= 11 && cut.ends_with("..."), "{cut}");
    }
}
