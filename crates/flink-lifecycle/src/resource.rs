//! The resource a step decides for: a FlinkDeployment or a FlinkSessionJob (no IO).
//!
//! Both run the same machine ([`crate::machine`]) on the same rules; this is the one place
//! that knows where their specs differ (where the job is, the restart nonce, the spec hash and
//! its JSON form). The few decisions that differ (submitting instead of applying a cluster,
//! cancelling instead of deleting one, waiting for a session cluster) ask
//! [`Resource::session`].

use flink_crd::{FlinkDeploymentSpec, FlinkSessionJobSpec, JobSpec};

use crate::ids;
use crate::session_job::SessionCluster;

/// The spec of the resource a step decides for.
#[derive(Clone, Copy)]
pub(crate) enum Resource<'a> {
    /// A FlinkDeployment (an application or a session cluster).
    Deployment(&'a FlinkDeploymentSpec),
    /// A FlinkSessionJob, with the state of the session cluster it runs on.
    SessionJob {
        /// Its spec.
        spec: &'a FlinkSessionJobSpec,
        /// The session cluster named by `spec.deploymentName`.
        cluster: SessionCluster,
        /// Why the last submission failed, as the executor reported it.
        submit_error: Option<&'a str>,
    },
}

impl<'a> Resource<'a> {
    /// The job, if the resource has one (a session cluster has none).
    pub(crate) fn job(self) -> Option<&'a JobSpec> {
        match self {
            Resource::Deployment(s) => s.job.as_ref(),
            Resource::SessionJob { spec, .. } => Some(&spec.job),
        }
    }

    /// `spec.restartNonce`.
    pub(crate) fn restart_nonce(self) -> Option<i64> {
        match self {
            Resource::Deployment(s) => s.restart_nonce,
            Resource::SessionJob { spec, .. } => spec.restart_nonce,
        }
    }

    /// The spec as JSON (Apache's `lastReconciledSpec`).
    pub(crate) fn spec_json(self) -> Option<String> {
        match self {
            Resource::Deployment(s) => serde_json::to_string(s).ok(),
            Resource::SessionJob { spec, .. } => serde_json::to_string(spec).ok(),
        }
    }

    /// The hash of the parts of the spec whose change needs a new deployment/submission.
    pub(crate) fn spec_hash(self) -> String {
        match self {
            Resource::Deployment(s) => ids::spec_hash(s),
            Resource::SessionJob { spec, .. } => ids::session_job_hash(spec),
        }
    }

    /// The session job's spec and its cluster's state; `None` for a FlinkDeployment.
    pub(crate) fn session(self) -> Option<(&'a FlinkSessionJobSpec, SessionCluster)> {
        match self {
            Resource::Deployment(_) => None,
            Resource::SessionJob { spec, cluster, .. } => Some((spec, cluster)),
        }
    }

    /// Why the session job's last submission failed, if the executor said so.
    pub(crate) fn submit_error(self) -> Option<&'a str> {
        match self {
            Resource::Deployment(_) => None,
            Resource::SessionJob { submit_error, .. } => submit_error,
        }
    }
}
