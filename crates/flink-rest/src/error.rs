//! Errors of the Flink REST client (no IO).

use std::path::PathBuf;
use std::time::Duration;

/// How long one error text from Flink may be in [`Error`]'s message (stack traces are long;
/// the full text stays in [`Error::Api::errors`]).
const SHOWN_CHARS: usize = 600;

/// What went wrong with a Flink REST call. Every variant names the call (`call`, e.g.
/// "run jar") and the endpoint template (`endpoint`, e.g. `POST /jars/:jarid/run`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flink answered with an error status. `errors` is Flink's own `{"errors":[...]}` text.
    #[error(
        "{call} ({endpoint}): Flink answered HTTP {status}: {}",
        summary(errors)
    )]
    Api {
        /// What was called.
        call: &'static str,
        /// The endpoint template.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// Flink's error messages (the first is usually the message, the second a stack trace).
        errors: Vec<String>,
    },
    /// No answer within the call's timeout.
    #[error("{call} ({endpoint}): no answer within {}s", after.as_secs_f64())]
    Timeout {
        /// What was called.
        call: &'static str,
        /// The endpoint template.
        endpoint: &'static str,
        /// The timeout that expired.
        after: Duration,
    },
    /// The request could not be sent or the answer not read (refused, reset, closed).
    #[error("{call} ({endpoint}): {source}")]
    Transport {
        /// What was called.
        call: &'static str,
        /// The endpoint template.
        endpoint: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// Flink answered successfully, but not with the shape this crate relies on.
    #[error("{call} ({endpoint}): unexpected answer (HTTP {status}): {source}")]
    Decode {
        /// What was called.
        call: &'static str,
        /// The endpoint template.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// Why the body did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// An asynchronous operation (savepoint, checkpoint, disposal) ended in failure.
    #[error("{call} {trigger_id} failed: {cause}")]
    OperationFailed {
        /// What was awaited.
        call: &'static str,
        /// Its trigger id.
        trigger_id: String,
        /// Flink's failure cause (class and first lines).
        cause: String,
    },
    /// An asynchronous operation was still in progress when the caller's deadline passed.
    #[error("{call} {trigger_id} still in progress after {}s", after.as_secs_f64())]
    OperationTimeout {
        /// What was awaited.
        call: &'static str,
        /// Its trigger id.
        trigger_id: String,
        /// How long we waited.
        after: Duration,
    },
    /// A jar to upload could not be read.
    #[error("reading jar {path}: {source}")]
    ReadJar {
        /// The jar.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid Flink REST URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A string that is not a valid Flink id.
    #[error("invalid {kind} {value:?}: expected 32 hexadecimal digits")]
    InvalidId {
        /// Which id.
        kind: &'static str,
        /// The value given (shortened).
        value: String,
    },
}

impl Error {
    /// The HTTP status Flink answered with, for [`Error::Api`] and [`Error::Decode`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Flink's own error texts (empty unless [`Error::Api`]).
    pub fn flink_errors(&self) -> &[String] {
        match self {
            Error::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// Whether Flink answered 404 (unknown job, jar or trigger id).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn summary(errors: &[String]) -> String {
    if errors.is_empty() {
        return "(no error text)".into();
    }
    errors
        .iter()
        .map(|e| shorten(&essence(e)))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A Java stack trace's message and root cause, without the `at ...` frames.
fn essence(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && *l != "<Exception on server side:"
                && *l != "End of exception on server side>"
        })
        .collect();
    let Some(first) = lines.first() else {
        return String::new();
    };
    let root = lines.iter().rev().find(|l| l.starts_with("Caused by:"));
    match root {
        Some(root) if root != first => format!("{first} … {root}"),
        _ => (*first).to_string(),
    }
}

fn shorten(e: &str) -> String {
    if e.chars().count() > SHOWN_CHARS {
        format!("{}…", e.chars().take(SHOWN_CHARS).collect::<String>())
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_names_call_status_and_flink_text() {
        let e = Error::Api {
            call: "run jar",
            endpoint: "POST /jars/:jarid/run",
            status: 400,
            errors: vec!["Could not find class x.Y".into(), "x".repeat(5000)],
        };
        let text = e.to_string();
        assert!(text.starts_with("run jar (POST /jars/:jarid/run): Flink answered HTTP 400: Could not find class x.Y | "), "{text}");
        assert!(
            text.len() < 1000,
            "long texts are shortened: {}",
            text.len()
        );
        assert_eq!(e.flink_errors().len(), 2);
    }

    #[test]
    fn server_side_stack_traces_shrink_to_message_and_root_cause() {
        let trace = "<Exception on server side:\njava.util.concurrent.CompletionException: x.ProgramInvocationException: The program's entry point class 'a.B' was not found in the jar file.\n\tat x.Y.z(Y.java:1)\nCaused by: java.lang.ClassNotFoundException: a.B\n\tat q.R.s(R.java:2)\n\nEnd of exception on server side>";
        let e = Error::Api {
            call: "run jar",
            endpoint: "POST /jars/:jarid/run",
            status: 500,
            errors: vec!["Internal server error.".into(), trace.into()],
        };
        assert_eq!(
            e.to_string(),
            "run jar (POST /jars/:jarid/run): Flink answered HTTP 500: Internal server error. | java.util.concurrent.CompletionException: x.ProgramInvocationException: The program's entry point class 'a.B' was not found in the jar file. … Caused by: java.lang.ClassNotFoundException: a.B"
        );
    }
}
