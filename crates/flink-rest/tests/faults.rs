//! Faults real Flink cannot be made to produce on demand: 500s, hangs, dropped connections,
//! malformed JSON. These tests use a tiny fake HTTP server (a tokio `TcpListener` on
//! 127.0.0.1 answering canned bytes); everything else is tested against real Flink in
//! `real_flink.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flink_rest::{ClientConfig, Error, FlinkRestClient, JarId, JarRunRequest, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the fake server does with the n-th request (0-based).
#[derive(Clone, Copy)]
enum Reply {
    /// Answer with this status and body.
    Answer(u16, &'static str),
    /// Read the request and never answer.
    Hang,
    /// Close the connection without answering.
    Drop,
}

/// Starts the fake server; returns its URL and the count of requests it saw.
async fn fake(replies: Vec<Reply>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let reply = replies
                .get(n)
                .or(replies.last())
                .copied()
                .unwrap_or(Reply::Drop);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = sock.read(&mut buf).await;
                match reply {
                    Reply::Answer(status, body) => {
                        let head = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(body.as_bytes()).await;
                    }
                    Reply::Hang => tokio::time::sleep(Duration::from_secs(60)).await,
                    Reply::Drop => drop(sock),
                }
            });
        }
    });
    (url, seen)
}

fn client(url: &str, attempts: u32) -> FlinkRestClient {
    let config = ClientConfig {
        timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            max_attempts: attempts,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    FlinkRestClient::with_config(url, config).expect("client")
}

const OVERVIEW: &str = r#"{"taskmanagers":1,"slots-total":2,"slots-available":2,"jobs-running":0,"jobs-finished":0,"jobs-cancelled":0,"jobs-failed":0,"flink-version":"2.3.0","flink-commit":"x","some-future-field":[1,2]}"#;

#[tokio::test]
async fn a_500_carries_call_status_and_flink_text() {
    let (url, _) = fake(vec![Reply::Answer(500, r#"{"errors":["Internal server error.","<Exception on server side:\nboom\n\tat x\n\nEnd of exception on server side>"]}"#)]).await;
    let err = client(&url, 1).overview().await.expect_err("500");
    assert!(
        matches!(&err, Error::Api { call: "cluster overview", status: 500, errors, .. } if errors.len() == 2),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "cluster overview (GET /overview): Flink answered HTTP 500: Internal server error. | boom"
    );
}

#[tokio::test]
async fn reads_are_retried_after_a_503_and_unknown_fields_are_ignored() {
    let (url, seen) = fake(vec![
        Reply::Answer(503, r#"{"errors":["busy"]}"#),
        Reply::Drop,
        Reply::Answer(200, OVERVIEW),
    ])
    .await;
    let overview = client(&url, 3)
        .overview()
        .await
        .expect("third attempt succeeds");
    assert_eq!(overview.slots_total, 2);
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn writes_are_never_retried() {
    let (url, seen) = fake(vec![
        Reply::Answer(503, r#"{"errors":["busy"]}"#),
        Reply::Answer(200, r#"{"jobid":"00000000000000000000000000000001"}"#),
    ])
    .await;
    let err = client(&url, 5)
        .run_jar(&JarId("a.jar".into()), &JarRunRequest::new())
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(seen.load(Ordering::SeqCst), 1, "a run was sent once");
}

#[tokio::test]
async fn a_hanging_server_gives_a_timeout_naming_the_call() {
    let (url, seen) = fake(vec![Reply::Hang]).await;
    let err = client(&url, 2).jobs_overview().await.expect_err("hang");
    assert!(
        matches!(
            err,
            Error::Timeout {
                call: "jobs overview",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("no answer within 0.3s"), "{err}");
    assert_eq!(seen.load(Ordering::SeqCst), 2, "the read was retried once");
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error() {
    let (url, _) = fake(vec![Reply::Drop]).await;
    let err = client(&url, 1).taskmanagers().await.expect_err("dropped");
    assert!(
        matches!(
            err,
            Error::Transport {
                call: "list taskmanagers",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_or_incomplete_json_is_a_decode_error() {
    let (url, _) = fake(vec![
        Reply::Answer(200, "{not json"),
        Reply::Answer(200, r#"{"taskmanagers":1}"#),
    ])
    .await;
    let c = client(&url, 1);
    let err = c.overview().await.expect_err("malformed");
    assert!(
        matches!(
            err,
            Error::Decode {
                call: "cluster overview",
                status: 200,
                ..
            }
        ),
        "{err:?}"
    );
    let err = c.overview().await.expect_err("missing fields we rely on");
    assert!(err.to_string().contains("slots-total"), "{err}");
}

#[tokio::test]
async fn an_error_body_that_is_not_flinks_is_kept_short() {
    let long: &'static str = Box::leak("<html>".repeat(500).into_boxed_str());
    let (url, _) = fake(vec![Reply::Answer(502, long)]).await;
    let err = client(&url, 1).overview().await.expect_err("502");
    assert!(
        matches!(&err, Error::Api { status: 502, errors, .. } if errors[0].len() <= 300),
        "{err:?}"
    );
}
