//! The kubelet's log endpoint, so `kubectl logs` works: HTTPS on 127.0.0.1 (a self-signed
//! certificate; the apiserver does not verify kubelets without `--kubelet-certificate-authority`),
//! `GET /containerLogs/{namespace}/{pod}/{container}` with `tailLines`, `limitBytes`,
//! `previous` and `follow` (does IO: a socket, files).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::error::{Error, Result};
use crate::layout::{container_dir, current_log, previous_log};

/// Pod folders by (namespace, name), kept by the pod workers.
pub(crate) type PodIndex = Arc<RwLock<HashMap<(String, String), PathBuf>>>;

/// Binds the endpoint on a free port of 127.0.0.1 and serves it in the background.
pub(crate) async fn serve(index: PodIndex) -> Result<u16> {
    let acceptor = acceptor()?;
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(crate::error::io(
            "binding the kubelet endpoint",
            "127.0.0.1:0",
        ))?;
    let port = listener
        .local_addr()
        .map_err(crate::error::io(
            "binding the kubelet endpoint",
            "127.0.0.1:0",
        ))?
        .port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let index = index.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let _ = handle(tls, index).await;
                }
            });
        }
    });
    Ok(port)
}

fn acceptor() -> Result<TlsAcceptor> {
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .map_err(|e| Error::Tls(e.to_string()))?;
    let cert = key.cert.der().clone();
    let private = rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], private)
        .map_err(|e| Error::Tls(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A parsed log request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LogRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub follow: bool,
    pub previous: bool,
    pub tail_lines: Option<usize>,
    pub limit_bytes: Option<usize>,
}

/// Reads `GET /containerLogs/ns/pod/container?query` (pure).
pub(crate) fn parse_request_line(line: &str) -> Option<LogRequest> {
    let mut parts = line.split_whitespace();
    if parts.next()? != "GET" {
        return None;
    }
    let target = parts.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ["containerLogs", ns, pod, container] = segs.as_slice() else {
        return None;
    };
    let mut req = LogRequest {
        namespace: (*ns).to_string(),
        pod: (*pod).to_string(),
        container: (*container).to_string(),
        follow: false,
        previous: false,
        tail_lines: None,
        limit_bytes: None,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "follow" => req.follow = v == "true" || v == "1",
            "previous" => req.previous = v == "true" || v == "1",
            "tailLines" => req.tail_lines = v.parse().ok(),
            "limitBytes" => req.limit_bytes = v.parse().ok(),
            _ => {}
        }
    }
    Some(req)
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &[u8], n: usize) -> &[u8] {
    if n == 0 {
        return &[];
    }
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let mut seen = 0;
    for (i, b) in body.iter().enumerate().rev() {
        if *b == b'\n' {
            seen += 1;
            if seen == n {
                return &text[i + 1..];
            }
        }
    }
    text
}

async fn handle<S>(mut stream: S, index: PodIndex) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or_default();
    if line.starts_with("GET /healthz") {
        return respond(&mut stream, "200 OK", b"ok").await;
    }
    let Some(req) = parse_request_line(line) else {
        return respond(&mut stream, "404 Not Found", b"not found\n").await;
    };
    let dir = index
        .read()
        .ok()
        .and_then(|m| m.get(&(req.namespace.clone(), req.pod.clone())).cloned());
    let Some(dir) = dir else {
        let msg = format!("pod {}/{} is not on this node\n", req.namespace, req.pod);
        return respond(&mut stream, "404 Not Found", msg.as_bytes()).await;
    };
    let cdir = container_dir(&dir, &req.container);
    let path = if req.previous {
        previous_log(&cdir)
    } else {
        current_log(&cdir)
    };
    let Ok(content) = tokio::fs::read(&path).await else {
        // 400 with the kubelet's wording: the apiserver passes it on as a BadRequest.
        let msg = if req.previous {
            format!(
                "previous terminated container \"{}\" in pod \"{}\" not found",
                req.container, req.pod
            )
        } else {
            format!(
                "container \"{}\" in pod \"{}\" is waiting to start: no log yet",
                req.container, req.pod
            )
        };
        return respond(&mut stream, "400 Bad Request", msg.as_bytes()).await;
    };
    let mut body = match req.tail_lines {
        Some(n) => tail(&content, n),
        None => &content[..],
    };
    if let Some(limit) = req.limit_bytes {
        body = &body[..body.len().min(limit)];
    }
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
        .await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    if req.follow && !req.previous {
        let mut offset = content.len() as u64;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let Ok(meta) = tokio::fs::metadata(&path).await else {
                break;
            };
            if meta.len() < offset {
                // A new run of the container started a new log.
                break;
            }
            if meta.len() > offset {
                let mut f = tokio::fs::File::open(&path).await?;
                use tokio::io::AsyncSeekExt;
                f.seek(std::io::SeekFrom::Start(offset)).await?;
                let mut chunk = Vec::new();
                f.read_to_end(&mut chunk).await?;
                offset += chunk.len() as u64;
                stream.write_all(&chunk).await?;
                stream.flush().await?;
            }
        }
    }
    let _ = stream.shutdown().await;
    Ok(())
}

async fn respond<S>(stream: &mut S, status: &str, body: &[u8]) -> std::io::Result<()>
where
    S: tokio::io::AsyncWrite + Unpin,
{
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    let _ = stream.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_parse() {
        let r = parse_request_line(
            "GET /containerLogs/ns/jm-0/flink-main-container?follow=true&tailLines=5 HTTP/1.1",
        )
        .expect("parses");
        assert_eq!(r.pod, "jm-0");
        assert_eq!(r.container, "flink-main-container");
        assert!(r.follow && !r.previous);
        assert_eq!(r.tail_lines, Some(5));
        assert!(parse_request_line("GET /pods HTTP/1.1").is_none());
    }

    #[test]
    fn tail_takes_the_last_lines() {
        assert_eq!(tail(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(tail(b"a\nb\nc", 2), b"b\nc");
        assert_eq!(tail(b"a\n", 5), b"a\n");
        assert_eq!(tail(b"a\n", 0), b"");
    }
}
