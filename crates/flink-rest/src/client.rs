//! The HTTP plumbing: base URL, timeouts, retries, tracing spans, error mapping (does IO:
//! HTTP).

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::{Error, Result, RetryPolicy};

/// Settings of a [`FlinkRestClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Deadline of each call, from connecting to the last byte of the answer (default 10 s).
    pub timeout: Duration,
    /// Deadline of a jar upload (default 120 s).
    pub upload_timeout: Duration,
    /// How reads are retried (default: 3 attempts).
    pub retry: RetryPolicy,
    /// How often [`FlinkRestClient::wait_savepoint`] and friends poll (default 200 ms).
    pub poll_interval: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            upload_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_millis(200),
        }
    }
}

/// A client of one Flink cluster's REST API. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct FlinkRestClient {
    http: reqwest::Client,
    base: Url,
    pub(crate) config: ClientConfig,
}

/// One REST call: a human name for errors and the endpoint template for spans.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    pub name: &'static str,
    pub endpoint: &'static str,
}

pub(crate) const fn call(name: &'static str, endpoint: &'static str) -> Call {
    Call { name, endpoint }
}

/// A request body.
pub(crate) enum Body {
    Empty,
    Json(Vec<u8>),
    Multipart(reqwest::multipart::Form),
}

impl Body {
    pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Body {
        // Serializing our own request types cannot fail (no maps with non-string keys).
        Body::Json(serde_json::to_vec(value).unwrap_or_default())
    }
}

impl FlinkRestClient {
    /// A client for the REST API at `base_url` (e.g. `http://127.0.0.1:8081`) with default
    /// settings.
    pub fn new(base_url: &str) -> Result<Self> {
        Self::with_config(base_url, ClientConfig::default())
    }

    /// A client for the REST API at `base_url` with `config`.
    pub fn with_config(base_url: &str, config: ClientConfig) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidUrl {
            url: base_url.to_string(),
            reason: reason.to_string(),
        };
        let mut base = Url::parse(base_url).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(invalid("expected an http:// or https:// URL"));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(Self { http, base, config })
    }

    /// The base URL calls are made against.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The settings of this client.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{}", self.base.path(), path.trim_start_matches('/'));
        url.set_path(&joined);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// An idempotent read: retried per the [`RetryPolicy`].
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        c: Call,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T> {
        let policy = &self.config.retry;
        let mut attempt = 1;
        loop {
            let result = self
                .send(
                    c,
                    Method::GET,
                    self.url(path, query),
                    Body::Empty,
                    self.config.timeout,
                    attempt,
                )
                .await;
            match result {
                Err(e) if attempt < policy.max_attempts.max(1) && retryable(&e, policy) => {
                    tracing::debug!(endpoint = c.endpoint, attempt, error = %e, "retrying a read");
                    tokio::time::sleep(policy.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other.and_then(|(status, bytes)| decode(c, status, &bytes)),
            }
        }
    }

    /// A call that changes something: sent once.
    pub(crate) async fn write<T: DeserializeOwned>(
        &self,
        c: Call,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Body,
    ) -> Result<T> {
        let timeout = match body {
            Body::Multipart(_) => self.config.upload_timeout,
            _ => self.config.timeout,
        };
        let (status, bytes) = self
            .send(c, method, self.url(path, query), body, timeout, 1)
            .await?;
        decode(c, status, &bytes)
    }

    async fn send(
        &self,
        c: Call,
        method: Method,
        url: Url,
        body: Body,
        timeout: Duration,
        attempt: u32,
    ) -> Result<(StatusCode, Vec<u8>)> {
        let span = tracing::debug_span!(
            "flink_rest",
            call = c.name,
            endpoint = c.endpoint,
            attempt,
            status = tracing::field::Empty,
            ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let mut req = self
            .http
            .request(method, url)
            .header("accept", "application/json");
        req = match body {
            Body::Empty => req,
            Body::Json(bytes) => req.header("content-type", "application/json").body(bytes),
            Body::Multipart(form) => req.multipart(form),
        };
        let exchange = async {
            let resp = req.send().await?;
            let status = resp.status();
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes.to_vec()))
        };
        async move {
            let outcome = tokio::time::timeout(timeout, exchange).await;
            let span = tracing::Span::current();
            span.record("ms", started.elapsed().as_millis() as u64);
            match outcome {
                Err(_) => {
                    tracing::debug!("timed out");
                    Err(Error::Timeout {
                        call: c.name,
                        endpoint: c.endpoint,
                        after: timeout,
                    })
                }
                Ok(Err(e)) if e.is_timeout() => Err(Error::Timeout {
                    call: c.name,
                    endpoint: c.endpoint,
                    after: timeout,
                }),
                Ok(Err(source)) => {
                    tracing::debug!(error = %source, "transport error");
                    Err(Error::Transport {
                        call: c.name,
                        endpoint: c.endpoint,
                        source,
                    })
                }
                Ok(Ok((status, bytes))) => {
                    span.record("status", status.as_u16());
                    if status.is_success() {
                        tracing::debug!("answered");
                        Ok((status, bytes))
                    } else {
                        tracing::debug!("error status");
                        Err(api_error(c, status, &bytes))
                    }
                }
            }
        }
        .instrument(span)
        .await
    }
}

fn retryable(e: &Error, policy: &RetryPolicy) -> bool {
    match e {
        Error::Timeout { .. } | Error::Transport { .. } => true,
        Error::Api { status, .. } => policy.retry_statuses.contains(status),
        _ => false,
    }
}

fn decode<T: DeserializeOwned>(c: Call, status: StatusCode, bytes: &[u8]) -> Result<T> {
    // Some calls answer with an empty body; let `()`-like types accept it as `{}`.
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}" as &[u8]
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|source| Error::Decode {
        call: c.name,
        endpoint: c.endpoint,
        status: status.as_u16(),
        source,
    })
}

fn api_error(c: Call, status: StatusCode, bytes: &[u8]) -> Error {
    #[derive(serde::Deserialize)]
    struct FlinkErrors {
        errors: Vec<String>,
    }
    let errors = match serde_json::from_slice::<FlinkErrors>(bytes) {
        Ok(e) => e.errors,
        // Not Flink's error shape (a proxy in between, say): keep a short prefix of the text.
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let short: String = text.chars().take(300).collect();
            if short.trim().is_empty() {
                Vec::new()
            } else {
                vec![short]
            }
        }
    };
    Error::Api {
        call: c.name,
        endpoint: c.endpoint,
        status: status.as_u16(),
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_onto_the_base_path_and_queries_are_encoded() {
        let c = FlinkRestClient::new("http://127.0.0.1:8081/proxy/flink").expect("client");
        let u = c.url(
            "/jobs/abc/metrics",
            &[("get", "0.count-per-key.count_k1,x y")],
        );
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:8081/proxy/flink/jobs/abc/metrics?get=0.count-per-key.count_k1%2Cx+y"
        );
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!(matches!(
            FlinkRestClient::new("ftp://x"),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            FlinkRestClient::new("not a url"),
            Err(Error::InvalidUrl { .. })
        ));
    }
}
