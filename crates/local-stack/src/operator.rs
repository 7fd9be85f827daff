//! The operator binary run as a separate process against the local control plane, the way
//! it runs in production (outside the cluster here, so it reaches JobManagers by pod address).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use testground::{BackgroundProcess, free_port, kill_pid};

use crate::Result;

/// How to start an operator process.
#[derive(Clone, Debug)]
pub struct OperatorOptions {
    /// Kubeconfig of the control plane.
    pub kubeconfig: PathBuf,
    /// Namespaces to watch (empty: all).
    pub namespaces: Vec<String>,
    /// Name of the log and pid files under `target/testground/operator/`.
    pub instance: String,
    /// More flags, e.g. `--steady-interval 5s`.
    pub extra_args: Vec<String>,
}

/// A running operator process.
#[derive(Debug)]
pub struct OperatorProcess {
    options: OperatorOptions,
    process: BackgroundProcess,
    metrics_addr: String,
    binary: PathBuf,
}

impl OperatorProcess {
    /// Builds (if needed) and starts the `flink-operator` binary.
    pub fn start(options: OperatorOptions) -> Result<Self> {
        let binary = testground::cargo_bin("flink-operator", "flink-operator")?;
        Self::spawn(options, binary)
    }

    /// Starts an already built operator binary (e.g. a release build for benchmarks).
    pub fn spawn(options: OperatorOptions, binary: PathBuf) -> Result<Self> {
        let dir = testground::state_dir().join("operator");
        let metrics_addr = format!("127.0.0.1:{}", free_port()?);
        let mut cmd = Command::new(&binary);
        cmd.arg("--kubeconfig").arg(&options.kubeconfig).args([
            "--flink-endpoint",
            "pod-ip",
            "--metrics-addr",
            &metrics_addr,
        ]);
        if !options.namespaces.is_empty() {
            cmd.args(["--namespaces", &options.namespaces.join(",")]);
        }
        cmd.args(&options.extra_args).env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        );
        let process = BackgroundProcess::spawn(
            cmd,
            &dir.join(format!("{}.log", options.instance)),
            &dir.join(format!("{}.pid", options.instance)),
        )?;
        Ok(Self {
            options,
            process,
            metrics_addr,
            binary,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.pid
    }

    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    pub fn metrics_addr(&self) -> &str {
        &self.metrics_addr
    }

    /// The log file (appended to across restarts).
    pub fn log_path(&self) -> &std::path::Path {
        &self.process.log
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.process.log).unwrap_or_default()
    }

    /// Whether the process still runs.
    pub fn alive(&self) -> bool {
        self.process.alive()
    }

    /// `kill -9`: the operator dies wherever it is, without any chance to clean up.
    pub fn kill9(&self) {
        kill_pid(self.process.pid);
        let started = std::time::Instant::now();
        while self.process.alive() && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the same binary again with the same options (after [`Self::kill9`] or
    /// [`Self::stop`]).
    pub fn restart(&mut self) -> Result<()> {
        let next = Self::spawn(self.options.clone(), self.binary.clone())?;
        *self = next;
        Ok(())
    }

    /// Starts the same binary again with other extra flags (e.g. without a fail point).
    pub fn restart_with(&mut self, extra_args: Vec<String>) -> Result<()> {
        self.options.extra_args = extra_args;
        self.restart()
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&self, grace: Duration) {
        self.process.stop(grace);
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        if self.process.alive() {
            self.process.stop(Duration::from_secs(5));
        }
    }
}
