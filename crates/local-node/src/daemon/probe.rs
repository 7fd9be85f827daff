//! Readiness, liveness and startup probes, run from the host against the pod's address
//! (does IO: TCP, HTTP, `nsenter`).

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The bookkeeping of one probe of one container run.
#[derive(Debug, Clone)]
pub(crate) struct ProbeState {
    pub probe: Probe,
    /// When the next check is due.
    pub next: Instant,
    pub successes: i32,
    pub failures: i32,
    /// The probe's current verdict (thresholds applied).
    pub ok: bool,
    /// The last failure's message.
    pub last_error: Option<String>,
}

impl ProbeState {
    /// A probe for a container that started at `started`.
    pub fn new(probe: &Probe, started: Instant) -> Self {
        let delay = probe.initial_delay_seconds.unwrap_or(0).max(0) as u64;
        Self {
            probe: probe.clone(),
            next: started + Duration::from_secs(delay),
            successes: 0,
            failures: 0,
            ok: false,
            last_error: None,
        }
    }

    /// Whether a check is due now.
    pub fn due(&self, now: Instant) -> bool {
        now >= self.next
    }

    /// Records a result; returns whether the verdict changed.
    pub fn record(&mut self, result: Result<(), String>, now: Instant) -> bool {
        let period = self.probe.period_seconds.unwrap_or(10).max(1) as u64;
        self.next = now + Duration::from_secs(period);
        let before = self.ok;
        match result {
            Ok(()) => {
                self.failures = 0;
                self.successes += 1;
                if self.successes >= self.probe.success_threshold.unwrap_or(1).max(1) {
                    self.ok = true;
                }
                self.last_error = None;
            }
            Err(e) => {
                self.successes = 0;
                self.failures += 1;
                if self.failures >= self.probe.failure_threshold.unwrap_or(3).max(1) {
                    self.ok = false;
                }
                self.last_error = Some(e);
            }
        }
        before != self.ok
    }

    /// Whether the failure threshold was reached (for liveness: restart).
    pub fn failed(&self) -> bool {
        self.failures >= self.probe.failure_threshold.unwrap_or(3).max(1)
    }
}

/// Runs one check of `probe` against `pod_ip` for container `c` whose process is `pid`.
pub(crate) async fn check(
    probe: &Probe,
    c: &Container,
    pod_ip: &str,
    pid: u32,
) -> Result<(), String> {
    let timeout = Duration::from_secs(probe.timeout_seconds.unwrap_or(1).max(1) as u64);
    if let Some(tcp) = &probe.tcp_socket {
        let port = port(&tcp.port, c)?;
        let host = tcp.host.clone().unwrap_or_else(|| pod_ip.to_string());
        return match tokio::time::timeout(
            timeout,
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("dial tcp {host}:{port}: {e}")),
            Err(_) => Err(format!("dial tcp {host}:{port}: i/o timeout")),
        };
    }
    if let Some(get) = &probe.http_get {
        let port = port(&get.port, c)?;
        let host = get.host.clone().unwrap_or_else(|| pod_ip.to_string());
        let scheme = get.scheme.as_deref().unwrap_or("HTTP").to_ascii_lowercase();
        let path = get.path.clone().unwrap_or_else(|| "/".into());
        let url = format!("{scheme}://{host}:{port}{path}");
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let mut req = client.get(&url);
        for h in get.http_headers.iter().flatten() {
            req = req.header(&h.name, &h.value);
        }
        return match req.send().await {
            Ok(r) if r.status().as_u16() >= 200 && r.status().as_u16() < 400 => Ok(()),
            Ok(r) => Err(format!(
                "HTTP probe failed with statuscode: {}",
                r.status().as_u16()
            )),
            Err(e) => Err(format!("Get \"{url}\": {e}")),
        };
    }
    if let Some(exec) = &probe.exec {
        let command = exec.command.clone().unwrap_or_default();
        if command.is_empty() {
            return Err("exec probe without a command".into());
        }
        let mut cmd = tokio::process::Command::new("nsenter");
        cmd.args([
            "--target",
            &pid.to_string(),
            "--net",
            "--mount",
            "--uts",
            "--",
        ])
        .args(&command)
        .env_clear()
        .env("PATH", super::launch::PATH)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
        return match tokio::time::timeout(timeout, cmd.output()).await {
            Ok(Ok(out)) if out.status.success() => Ok(()),
            Ok(Ok(out)) => Err(format!(
                "command {command:?} exited with {}: {}",
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).trim()
            )),
            Ok(Err(e)) => Err(format!("running {command:?}: {e}")),
            Err(_) => Err(format!("command {command:?} timed out")),
        };
    }
    Err("probe kind not supported by the local node (grpc)".into())
}

fn port(p: &IntOrString, c: &Container) -> Result<u16, String> {
    match p {
        IntOrString::Int(n) => u16::try_from(*n).map_err(|_| format!("invalid port {n}")),
        IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|cp| cp.name.as_deref() == Some(name.as_str()))
            .and_then(|cp| u16::try_from(cp.container_port).ok())
            .or_else(|| name.parse().ok())
            .ok_or_else(|| format!("no port named {name}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_decide_the_verdict() {
        let probe = Probe {
            failure_threshold: Some(2),
            period_seconds: Some(1),
            ..Probe::default()
        };
        let now = Instant::now();
        let mut s = ProbeState::new(&probe, now);
        assert!(s.due(now));
        assert!(s.record(Ok(()), now));
        assert!(s.ok);
        assert!(!s.record(Err("x".into()), now));
        assert!(s.ok && !s.failed());
        assert!(s.record(Err("x".into()), now));
        assert!(!s.ok && s.failed());
    }
}
