//! What the bench reads while it runs (does IO): the operator's `/proc` entries, its log file
//! and its `/metrics`, and the apiserver's own request counters.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// CPU, memory and threads of one process, read from `/proc/<pid>/{stat,status}`.
#[derive(Clone, Copy, Debug)]
pub struct ProcStats {
    /// Resident set size, MiB.
    pub rss_mib: f64,
    /// Of it, file-backed pages (`RssFile`: mostly the operator's own binary, mapped), MiB.
    pub rss_file_mib: f64,
    /// Threads.
    pub threads: u32,
    /// User + system CPU seconds since it started.
    pub cpu_secs: f64,
}

impl ProcStats {
    /// Reads the figures of `pid`; fails when the process is gone.
    pub fn read(pid: u32) -> anyhow::Result<Self> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .context("the operator is gone")?;
        let field = |key: &str| -> anyhow::Result<f64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
                .with_context(|| format!("{key} missing from /proc/{pid}/status"))
        };
        let stat =
            std::fs::read_to_string(format!("/proc/{pid}/stat")).context("the operator is gone")?;
        // The command name is in parentheses and may hold spaces: split after its `)`.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .context("malformed /proc stat")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After the name, index 0 is field 3 (state) of proc(5); utime is field 14, stime 15.
        let ticks = |i: usize| -> anyhow::Result<f64> {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .context("malformed /proc stat")
        };
        // Clock ticks are 1/100 s on every Linux build this runs on (USER_HZ).
        let cpu_secs = (ticks(11)? + ticks(12)?) / 100.0;
        Ok(Self {
            rss_mib: field("VmRSS:")? / 1024.0,
            rss_file_mib: field("RssFile:")? / 1024.0,
            threads: field("Threads:")? as u32,
            cpu_secs,
        })
    }
}

/// Lines in a log file so far (0 when it does not exist yet).
pub fn log_lines(path: &std::path::Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|c| **c == b'\n').count())
        .unwrap_or(0)
}

/// The apiserver's `/metrics` text (Prometheus exposition).
pub async fn apiserver_metrics_text(client: &kube::Client) -> anyhow::Result<String> {
    let req = http::Request::get("/metrics").body(Vec::new())?;
    client
        .request_text(req)
        .await
        .context("GET /metrics of the apiserver")
}

/// The apiserver's `apiserver_request_total`, summed per `VERB resource[/sub] group`.
/// Non-resource requests (`/metrics`, `/readyz`, discovery) are left out: the bench's own
/// scrapes are among them, and they are not reads of cluster state.
#[derive(Clone, Debug, Default)]
pub struct ApiRequests(pub BTreeMap<String, f64>);

impl ApiRequests {
    /// Scrapes the apiserver's `/metrics` once.
    pub async fn scrape(client: &kube::Client) -> anyhow::Result<Self> {
        Ok(Self::parse(&apiserver_metrics_text(client).await?))
    }

    fn parse(text: &str) -> Self {
        let mut sums = BTreeMap::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("apiserver_request_total{") else {
                continue;
            };
            let Some((labels, value)) = rest.rsplit_once("} ") else {
                continue;
            };
            let Ok(value) = value.trim().parse::<f64>() else {
                continue;
            };
            let label = |name: &str| -> &str {
                labels
                    .split(',')
                    .find_map(|kv| kv.strip_prefix(name)?.strip_prefix("=\""))
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or("")
            };
            let resource = label("resource");
            if resource.is_empty() {
                continue;
            }
            let sub = label("subresource");
            let group = label("group");
            let key = format!(
                "{} {}{}{}",
                label("verb"),
                resource,
                if sub.is_empty() { "" } else { "/" },
                sub
            ) + &if group.is_empty() {
                String::new()
            } else {
                format!(" ({group})")
            };
            *sums.entry(key).or_insert(0.0) += value;
        }
        Self(sums)
    }

    /// The requests made since `earlier`, per minute of `window`.
    pub fn rate_since(&self, earlier: &Self, window: Duration) -> Self {
        let minutes = window.as_secs_f64() / 60.0;
        Self(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), (v - earlier.0.get(k).unwrap_or(&0.0)) / minutes))
                .filter(|(_, v)| *v > 0.0)
                .collect(),
        )
    }

    /// This rate less a `baseline` rate (the control plane's own), series by series, never
    /// below zero.
    pub fn minus(&self, baseline: &Self) -> Self {
        Self(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v - baseline.0.get(k).unwrap_or(&0.0)))
                .filter(|(_, v)| *v >= 0.5)
                .collect(),
        )
    }

    /// The largest series, `"12 LIST pods, 3 PATCH ..."`, or `"none"`.
    pub fn top(&self, n: usize) -> String {
        let mut series: Vec<(&String, &f64)> = self.0.iter().collect();
        series.sort_by(|a, b| b.1.total_cmp(a.1));
        let parts: Vec<String> = series
            .into_iter()
            .take(n)
            .map(|(k, v)| format!("{v:.1} {k}"))
            .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }
}

/// `GET http://<addr><path>` over HTTP/1.0 (so the body is neither chunked nor kept alive):
/// the status code and body.
pub async fn http_get(addr: &str, path: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("malformed HTTP response")?;
    Ok((code, body.to_string()))
}

/// Waits until the operator's `/readyz` answers 200 (controllers running, caches synced).
pub async fn wait_ready(addr: &str, timeout: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Ok((200, _)) = http_get(addr, "/readyz").await {
            return Ok(());
        }
        if started.elapsed() > timeout {
            bail!("the operator was not ready within {timeout:?} (see its log)");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sum over all label sets of the operator's metric `name` (e.g.
/// `flink_operator_reconciles_total`).
pub async fn operator_metric(addr: &str, name: &str) -> anyhow::Result<f64> {
    let (code, body) = http_get(addr, "/metrics").await?;
    if code != 200 {
        bail!("the operator's /metrics answered {code}");
    }
    Ok(body
        .lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with('{') || r.starts_with(' '))
        })
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_counters_are_summed_per_verb_resource_and_group() {
        let text = r#"# HELP apiserver_request_total x
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 3
apiserver_request_total{code="404",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="flink.apache.org",resource="flinkdeployments",scope="namespace",subresource="status",verb="PATCH",version="v1beta1"} 7
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 40
"#;
        let r = ApiRequests::parse(text);
        assert_eq!(r.0.get("LIST pods"), Some(&5.0));
        assert_eq!(
            r.0.get("PATCH flinkdeployments/status (flink.apache.org)"),
            Some(&7.0)
        );
        assert_eq!(r.0.len(), 2, "{:?}", r.0);
        let later = ApiRequests(
            [
                ("LIST pods".to_string(), 11.0),
                ("GET leases".to_string(), 1.0),
            ]
            .into(),
        );
        let rate = later.rate_since(&r, Duration::from_secs(30));
        assert_eq!(rate.0.get("LIST pods"), Some(&12.0));
        let baseline = ApiRequests([("GET leases".to_string(), 2.0)].into());
        let ours = rate.minus(&baseline);
        assert_eq!(ours.top(3), "12.0 LIST pods");
    }
}
