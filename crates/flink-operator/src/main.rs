//! `flink-operator`: runs the operator until SIGTERM/SIGINT, then stops within a second.

use std::time::{Duration, Instant};

use clap::Parser;
use flink_operator::Config;
use flink_operator::shutdown::Shutdown;

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    // One TLS crypto provider for every client (kube, jar downloads) and the webhook.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(async move {
        let telemetry =
            flink_operator::telemetry::init(config.log_format, config.otlp_endpoint.as_deref())?;
        let shutdown = Shutdown::new();
        let signals = {
            let s = shutdown.clone();
            tokio::spawn(async move { s.on_signals().await })
        };
        let mut operator = tokio::spawn(flink_operator::run::run(config, shutdown.clone()));
        // Shutdown first: after a signal the operator task may finish before this task runs
        // again, and the shutdown is still to be logged and timed.
        let outcome = tokio::select! {
            biased;
            _ = shutdown.wait() => {
                let asked = Instant::now();
                let signal = signals.await.unwrap_or("shutdown");
                tracing::info!(signal, "shutting down");
                // The operator stops its controllers within `STOP_GRACE` and releases the
                // Lease; anything still running after that is dropped with the runtime.
                let r = tokio::time::timeout(Duration::from_millis(900), &mut operator).await;
                tracing::info!(ms = asked.elapsed().as_millis() as u64, "stopped");
                match r {
                    Ok(r) => r,
                    Err(_) => Ok(Ok(())),
                }
            }
            r = &mut operator => r,
        };
        telemetry.shutdown();
        match outcome {
            Ok(r) => r.map_err(anyhow::Error::from),
            Err(e) => Err(anyhow::anyhow!("the operator task failed: {e}")),
        }
    });
    // Do not wait for tasks still in flight (a reconcile blocked on a Flink call).
    runtime.shutdown_timeout(Duration::from_millis(50));
    if let Err(e) = &result {
        eprintln!("flink-operator: {e:#}");
    }
    result
}
