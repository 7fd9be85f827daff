//! The validating admission webhook: refuses FlinkDeployments and FlinkSessionJobs that break
//! rules the CRD's CEL cannot express (does IO: serves HTTPS; the checks themselves are pure,
//! see [`review`]).
//!
//! For a FlinkDeployment: `flink_lifecycle::validate` with the operator's default
//! configuration merged in (savepoint/checkpoint directories for the upgrade mode, durations
//! that parse, ...), and a dry run of the resource builders (Flink version, pod templates,
//! memory sizes). For a FlinkSessionJob: a jar the operator can fetch (`file://`, `http(s)://`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use flink_crd::{FlinkDeployment, FlinkSessionJob};
use flink_lifecycle::Settings;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};
use crate::shutdown::Shutdown;

/// The path the webhook answers on.
pub const PATH: &str = "/validate";

/// Decides one AdmissionReview (pure): what the webhook answers.
pub fn review(
    review: AdmissionReview<DynamicObject>,
    defaults: &BTreeMap<String, String>,
) -> AdmissionReview<DynamicObject> {
    let req: AdmissionRequest<DynamicObject> = match review.try_into() {
        Ok(r) => r,
        Err(e) => return AdmissionResponse::invalid(e.to_string()).into_review(),
    };
    let resp = AdmissionResponse::from(&req);
    if !matches!(req.operation, Operation::Create | Operation::Update) {
        return resp.into_review();
    }
    let Some(obj) = req.object.as_ref() else {
        return resp.into_review();
    };
    let problems = match req.kind.kind.as_str() {
        "FlinkDeployment" => check_deployment(obj, req.namespace.as_deref(), defaults),
        "FlinkSessionJob" => check_session_job(obj),
        _ => Vec::new(),
    };
    if problems.is_empty() {
        resp.into_review()
    } else {
        resp.deny(problems.join("; ")).into_review()
    }
}

fn parse<K: serde::de::DeserializeOwned>(obj: &DynamicObject) -> std::result::Result<K, String> {
    let value = serde_json::to_value(obj).map_err(|e| e.to_string())?;
    serde_json::from_value(value).map_err(|e| format!("the resource does not parse: {e}"))
}

/// The problems of a FlinkDeployment, as messages a user can act on.
pub fn check_deployment(
    obj: &DynamicObject,
    namespace: Option<&str>,
    defaults: &BTreeMap<String, String>,
) -> Vec<String> {
    let fdep: FlinkDeployment = match parse(obj) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let settings = Settings::resolve(&fdep.spec, defaults);
    let mut problems: Vec<String> = flink_lifecycle::validate(&fdep.spec, &settings)
        .iter()
        .map(ToString::to_string)
        .collect();
    if problems.is_empty() {
        let name = fdep
            .metadata
            .name
            .clone()
            .unwrap_or_else(|| "unnamed".into());
        let ns = namespace
            .map(str::to_string)
            .or_else(|| fdep.metadata.namespace.clone())
            .unwrap_or_else(|| "default".into());
        let built = flink_resources::build(&flink_resources::ClusterInput {
            name: &name,
            namespace: &ns,
            uid: fdep.metadata.uid.as_deref().unwrap_or("admission-dry-run"),
            spec: &fdep.spec,
            spec_hash: "admission-dry-run",
            job_id: fdep
                .spec
                .job
                .as_ref()
                .map(|_| "00000000000000000000000000000000"),
            restore_path: None,
            allow_non_restored_state: false,
            operator_defaults: defaults,
        });
        if let Err(e) = built {
            problems.push(e.to_string());
        }
    }
    problems
}

/// The problems of a FlinkSessionJob.
pub fn check_session_job(obj: &DynamicObject) -> Vec<String> {
    let job: FlinkSessionJob = match parse(obj) {
        Ok(j) => j,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    match job.spec.job.jar_uri.as_deref() {
        None => problems.push(
            "spec.job.jarURI: a session job needs a jar (file:// on the operator's filesystem, or http(s)://)"
                .to_string(),
        ),
        Some(uri)
            if !(uri.starts_with("file://")
                || uri.starts_with("http://")
                || uri.starts_with("https://")) =>
        {
            problems.push(format!(
                "spec.job.jarURI: the operator submits session jobs from file:// or http(s):// jars (got {uri})"
            ))
        }
        Some(_) => {}
    }
    if let Some(p) = job.spec.job.parallelism
        && p < 1
    {
        problems.push(format!(
            "spec.job.parallelism: must be at least 1 (got {p})"
        ));
    }
    problems
}

/// Loads `tls.crt` and `tls.key` from `dir`.
pub fn tls_config(dir: &Path) -> Result<ServerConfig> {
    let cfg_err = |what: String, reason: String| Error::Config { what, reason };
    let crt = dir.join("tls.crt");
    let key = dir.join("tls.key");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&crt)
        .map_err(|e| cfg_err(format!("reading {}", crt.display()), e.to_string()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| cfg_err(format!("parsing {}", crt.display()), e.to_string()))?;
    let key = PrivateKeyDer::from_pem_file(&key)
        .map_err(|e| cfg_err(format!("reading {}", key.display()), e.to_string()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| cfg_err("setting up TLS".into(), e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| cfg_err("loading the webhook certificate".into(), e.to_string()))
}

/// The router (for tests without TLS).
pub fn router(defaults: Arc<BTreeMap<String, String>>) -> Router {
    Router::new()
        .route(
            PATH,
            post(
                |State(d): State<Arc<BTreeMap<String, String>>>,
                 Json(r): Json<AdmissionReview<DynamicObject>>| async move {
                    Json(review(r, &d))
                },
            ),
        )
        .with_state(defaults)
}

/// A TCP listener whose connections are TLS (handshakes run in their own tasks, so a slow
/// client does not hold up the others).
struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(
        tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
        SocketAddr,
    )>,
    local: SocketAddr,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The accept loop ended (shutdown): never yield again.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Binds `addr` with the certificate in `cert_dir` and returns the server's future.
pub async fn serve(
    addr: SocketAddr,
    cert_dir: &Path,
    defaults: Arc<BTreeMap<String, String>>,
    shutdown: Shutdown,
) -> Result<impl std::future::Future<Output = ()> + use<>> {
    let acceptor = TlsAcceptor::from(Arc::new(tls_config(cert_dir)?));
    let tcp = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Io {
            what: format!("binding the webhook address {addr}"),
            source,
        })?;
    let local = tcp.local_addr().map_err(|source| Error::Io {
        what: "reading the webhook address".into(),
        source,
    })?;
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                r = tcp.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::debug!(error = %e, "webhook accept");
                        continue;
                    }
                },
                _ = stop.wait() => return,
            };
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                match tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    acceptor.accept(stream),
                )
                .await
                {
                    Ok(Ok(tls)) => {
                        let _ = tx.send((tls, peer)).await;
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "webhook TLS handshake"),
                    Err(_) => tracing::debug!(%peer, "webhook TLS handshake timed out"),
                }
            });
        }
    });
    tracing::info!(addr = %local, path = PATH, "serving the validating webhook");
    let app = router(defaults);
    Ok(async move {
        let _ = axum::serve(TlsListener { rx, local }, app)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
    })
}
