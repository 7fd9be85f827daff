//! Leader election with a `coordination.k8s.io/v1` Lease, so two replicas never act at once
//! (does IO: reads and writes the Lease).
//!
//! The holder renews the Lease every [`RENEW_EVERY`]; a candidate takes it over once
//! `renewTime + leaseDurationSeconds` has passed. Every write carries the `resourceVersion`
//! it read, so two candidates cannot both win. A holder that cannot renew within the lease
//! duration stops acting ([`Elector::hold`] returns) before anyone else may take over; on
//! shutdown it releases the Lease so a standby takes over at once.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::PostParams;
use kube::{Api, Client};

use crate::error::{Error, Result};
use crate::shutdown::Shutdown;

/// How long a Lease is valid without renewal.
pub const LEASE_DURATION: Duration = Duration::from_secs(15);
/// How often the holder renews.
pub const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How often a standby checks whether it can take over.
pub const RETRY_EVERY: Duration = Duration::from_secs(2);

/// One replica's part in the election.
pub struct Elector {
    api: Api<Lease>,
    name: String,
    identity: String,
}

/// What a candidate found when it tried to take the Lease.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    /// We hold it now.
    Acquired,
    /// Another holder's Lease is still valid.
    HeldBy(String),
}

impl Elector {
    /// An elector for Lease `name` in `namespace`, as `identity` (unique per replica).
    pub fn new(client: Client, namespace: &str, name: &str, identity: &str) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_string(),
            identity: identity.to_string(),
        }
    }

    /// This replica's identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Waits until this replica holds the Lease (or shutdown). Returns false on shutdown.
    pub async fn acquire(&self, shutdown: &Shutdown) -> bool {
        let mut last_holder = String::new();
        loop {
            match self.try_acquire().await {
                Ok(Attempt::Acquired) => return true,
                Ok(Attempt::HeldBy(holder)) => {
                    if holder != last_holder {
                        tracing::info!(lease = %self.name, %holder, "standing by: another replica leads");
                        last_holder = holder;
                    }
                }
                Err(e) if e.is_conflict() => {}
                Err(e) => tracing::warn!(lease = %self.name, error = %e, "leader election"),
            }
            tokio::select! {
                _ = tokio::time::sleep(RETRY_EVERY) => {}
                _ = shutdown.wait() => return false,
            }
        }
    }

    /// One attempt to take or renew the Lease.
    pub async fn try_acquire(&self) -> Result<Attempt> {
        let now = Timestamp::now();
        let existing = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(Error::kube(format!("reading Lease {}", self.name)))?;
        let Some(mut lease) = existing else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(now, 0, None)),
            };
            self.api
                .create(&PostParams::default(), &lease)
                .await
                .map_err(|e| match e {
                    kube::Error::Api(s) if s.code == 409 => Error::Kube {
                        what: "creating the Lease (another replica was first)".into(),
                        source: kube::Error::Api(s),
                    },
                    e => Error::Kube {
                        what: format!("creating Lease {}", self.name),
                        source: e,
                    },
                })
                .map(|_| ())?;
            return Ok(Attempt::Acquired);
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let ours = holder == self.identity;
        if !ours && !holder.is_empty() && !expired(&spec, now) {
            return Ok(Attempt::HeldBy(holder));
        }
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(!ours);
        let acquired = if ours {
            spec.acquire_time.clone()
        } else {
            None
        };
        lease.spec = Some(self.spec(now, transitions, acquired));
        // `replace` sends the resourceVersion we read: a concurrent taker gets 409.
        self.api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
            .map_err(Error::kube(format!("taking Lease {}", self.name)))?;
        Ok(Attempt::Acquired)
    }

    fn spec(&self, now: Timestamp, transitions: i32, acquired: Option<MicroTime>) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(LEASE_DURATION.as_secs() as i32),
            acquire_time: Some(acquired.unwrap_or(MicroTime(now))),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    /// Renews the Lease until shutdown (returns `true`) or until it could not be renewed
    /// within the lease duration or another replica took it (returns `false`).
    pub async fn hold(&self, shutdown: &Shutdown) -> bool {
        let mut last_renewed = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(RENEW_EVERY) => {}
                _ = shutdown.wait() => return true,
            }
            match self.try_acquire().await {
                Ok(Attempt::Acquired) => last_renewed = tokio::time::Instant::now(),
                Ok(Attempt::HeldBy(holder)) => {
                    tracing::error!(lease = %self.name, %holder, "lost the Lease to another replica");
                    return false;
                }
                Err(e) => {
                    tracing::warn!(lease = %self.name, error = %e, "renewing the Lease failed");
                    // Stop acting before a standby may take over (it waits the full duration).
                    if last_renewed.elapsed() + RENEW_EVERY >= LEASE_DURATION {
                        tracing::error!(lease = %self.name, "could not renew the Lease in time");
                        return false;
                    }
                }
            }
        }
    }

    /// Gives the Lease up (if we still hold it), so a standby takes over at once.
    pub async fn release(&self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.name).await else {
            return;
        };
        let Some(spec) = lease.spec.as_mut() else {
            return;
        };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => tracing::info!(lease = %self.name, "released the Lease"),
            Err(e) => tracing::warn!(lease = %self.name, error = %e, "releasing the Lease"),
        }
    }
}

/// Whether the Lease's holder missed its renewal.
fn expired(spec: &LeaseSpec, now: Timestamp) -> bool {
    let Some(renewed) = spec.renew_time.as_ref().or(spec.acquire_time.as_ref()) else {
        return true;
    };
    let duration = SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(15)));
    renewed.0 + duration < now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_expires_after_its_duration() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().expect("time");
        let spec = LeaseSpec {
            holder_identity: Some("a".into()),
            lease_duration_seconds: Some(15),
            renew_time: Some(MicroTime(t0)),
            ..LeaseSpec::default()
        };
        assert!(!expired(&spec, t0 + SignedDuration::from_secs(14)));
        assert!(expired(&spec, t0 + SignedDuration::from_secs(16)));
        assert!(expired(&LeaseSpec::default(), t0));
    }
}
