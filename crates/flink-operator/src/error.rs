//! Errors of the operator's internals, each with a stable category for metrics and logs (no IO).

/// What went wrong in a reconcile or at start-up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call to the Kubernetes API failed.
    #[error("{what}: {source}")]
    Kube {
        /// What was being done.
        what: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// A call to a Flink REST API failed (for an action; observations report Flink's
    /// answers to the machine instead of failing).
    #[error("{what}: {source}")]
    Flink {
        /// What was being done.
        what: String,
        /// The REST client's error.
        #[source]
        source: flink_rest::Error,
    },
    /// The resource builders refused the spec (the machine validated it, so this is rare).
    #[error("building the cluster's resources of {name}: {reason}")]
    Build {
        /// The resource.
        name: String,
        /// Why.
        reason: String,
    },
    /// A session job's jar could not be fetched.
    #[error("fetching the jar {uri}: {reason}")]
    Jar {
        /// The jar URI.
        uri: String,
        /// Why.
        reason: String,
    },
    /// The configuration is unusable.
    #[error("{what}: {reason}")]
    Config {
        /// What was being read.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// The resource lacks something every stored object has (name, namespace, uid).
    #[error("the resource has no {0}")]
    Incomplete(&'static str),
    /// A server (health/metrics, webhook) could not start.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A short, stable category (the `error` label of metrics).
    pub fn category(&self) -> &'static str {
        match self {
            Error::Kube { source, .. } => match source {
                kube::Error::Api(s) if s.code == 409 => "kube_conflict",
                kube::Error::Api(_) => "kube_api",
                _ => "kube_transport",
            },
            Error::Flink { source, .. } => match source {
                flink_rest::Error::Timeout { .. } => "flink_timeout",
                flink_rest::Error::Transport { .. } => "flink_transport",
                _ => "flink_api",
            },
            Error::Build { .. } => "build",
            Error::Jar { .. } => "jar",
            Error::Config { .. } => "config",
            Error::Incomplete(_) => "incomplete",
            Error::Io { .. } => "io",
        }
    }

    /// Whether the error is an optimistic-concurrency conflict (the object changed under
    /// us): retried at once from fresh caches, not logged as a failure.
    pub fn is_conflict(&self) -> bool {
        self.category() == "kube_conflict"
    }

    pub(crate) fn kube(what: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
        let what = what.into();
        move |source| Error::Kube { what, source }
    }

    pub(crate) fn flink(what: impl Into<String>) -> impl FnOnce(flink_rest::Error) -> Error {
        let what = what.into();
        move |source| Error::Flink { what, source }
    }

    /// The error of a Flink call that cannot be made yet: no JobManager pod has an address.
    pub(crate) fn no_job_manager(what: impl Into<String>) -> Error {
        Error::Flink {
            what: what.into(),
            source: flink_rest::Error::InvalidUrl {
                url: String::new(),
                reason: "no JobManager pod has an address".into(),
            },
        }
    }
}

/// Result alias of the operator's internals.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether a Kubernetes error is "not found" (404).
pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
