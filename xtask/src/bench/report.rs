//! The bench's figures and the table that prints them beside the peers' (no IO but stdout).
//! The peers' figures are copied from `../shared/notes/targets.md` (measured 2026-11-23 on a
//! 2-core machine of this kind against a real kube-apiserver 1.35.4).

use super::identity::OperatorRequests;

/// Everything one bench run measured.
#[derive(Debug, Default)]
pub struct Figures {
    /// FlinkDeployments created.
    pub resources: usize,
    /// Of those, resumed at once.
    pub deploying: usize,
    /// Length of each steady window, seconds.
    pub steady_secs: u64,
    /// Process start to `/readyz` 200, seconds.
    pub ready_secs: f64,
    /// The operator's apiserver requests from start to ready (counts, not rates).
    pub start_requests: OperatorRequests,
    /// RSS and threads once ready, no resources.
    pub idle_rss_mib: f64,
    /// Of the idle RSS, file-backed pages (the mapped binary).
    pub idle_rss_file_mib: f64,
    /// Threads once ready.
    pub idle_threads: u32,
    /// CPU seconds from the first create to every resource having a status.
    pub take_in_cpu_secs: f64,
    /// Wall seconds of the same.
    pub take_in_wall_secs: f64,
    /// The operator's apiserver requests while taking them in (counts, not rates).
    pub take_in_requests: OperatorRequests,
    /// RSS with every resource taken in.
    pub all_rss_mib: f64,
    /// Of it, file-backed pages.
    pub all_rss_file_mib: f64,
    /// Steady window 1: every resource suspended and unchanged.
    pub idle_window: Window,
    /// Spec change (resume) to the status showing the new generation, ms, one per sample.
    pub status_ms: Vec<f64>,
    /// Spec change (resume) to the cluster's Deployment created, ms, one per sample.
    pub object_ms: Vec<f64>,
    /// CPU seconds from resuming the deploying resources to all their Deployments existing.
    pub deploy_cpu_secs: f64,
    /// Wall seconds of the same.
    pub deploy_wall_secs: f64,
    /// Peak RSS while the resources were being deployed.
    pub deploying_rss_mib: f64,
    /// Peak threads while the resources were being deployed.
    pub deploying_threads: u32,
    /// Steady window 2: `deploying` resources Deploying (their pods stay Pending: no node).
    pub deploying_window: Window,
    /// SIGTERM to exit, ms (`None`: killed after the grace period).
    pub sigterm_ms: Option<f64>,
}

/// What one steady window measured, per minute.
#[derive(Debug, Default)]
pub struct Window {
    /// Operator CPU seconds per minute.
    pub cpu_secs_per_min: f64,
    /// The operator's apiserver requests per minute, as the apiserver counted them.
    pub requests: OperatorRequests,
    /// The largest request series of all clients less the control plane's idle rate
    /// (the controller-manager reacting to the operator's objects shows here).
    pub all_clients_top: String,
    /// Log lines per minute.
    pub log_lines_per_min: f64,
    /// Reconciles per minute (the operator's own counter).
    pub reconciles_per_min: f64,
}

/// The median and maximum of `samples` (`(NaN, NaN)` when empty).
pub fn median_max(samples: &[f64]) -> (f64, f64) {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => (f64::NAN, f64::NAN),
        n if n % 2 == 1 => (s[n / 2], s[n - 1]),
        n => ((s[n / 2 - 1] + s[n / 2]) / 2.0, s[n - 1]),
    }
}

struct Row {
    what: String,
    ours: String,
    apache: &'static str,
    lyft: &'static str,
    target: &'static str,
}

fn row(
    what: impl Into<String>,
    ours: impl Into<String>,
    apache: &'static str,
    lyft: &'static str,
    target: &'static str,
) -> Row {
    Row {
        what: what.into(),
        ours: ours.into(),
        apache,
        lyft,
        target,
    }
}

impl Figures {
    fn rows(&self) -> Vec<Row> {
        let (n, d) = (self.resources, self.deploying);
        let (idle, dep) = (&self.idle_window, &self.deploying_window);
        let (status_med, status_max) = median_max(&self.status_ms);
        let (object_med, object_max) = median_max(&self.object_ms);
        vec![
            row(
                "idle RSS (no resources)",
                format!(
                    "{:.1} MiB ({:.1} of it the mapped binary), {} threads",
                    self.idle_rss_mib, self.idle_rss_file_mib, self.idle_threads
                ),
                "252 MiB (208 with -Xmx512m)",
                "36 MiB",
                "≤ 15 MiB",
            ),
            row(
                format!("RSS with {n} FlinkDeployments"),
                format!(
                    "{:.1} MiB ({:.1} the mapped binary)",
                    self.all_rss_mib, self.all_rss_file_mib
                ),
                "374 MiB",
                "157 MiB",
                "≤ 30 MiB",
            ),
            row(
                format!("peak RSS / threads with {d} being deployed"),
                format!(
                    "{:.1} MiB / {}",
                    self.deploying_rss_mib, self.deploying_threads
                ),
                "~1,130 MiB / ~650",
                "–",
                "≤ 40 MiB / ≤ 20",
            ),
            row(
                format!("CPU to take in {n} new resources"),
                format!(
                    "{:.2} s ({:.1} s wall, creates included)",
                    self.take_in_cpu_secs, self.take_in_wall_secs
                ),
                "20.6 s",
                "10.3 s",
                "≤ 2 s",
            ),
            row(
                format!("steady CPU, {n} unchanged"),
                format!("{:.2} s/min", idle.cpu_secs_per_min),
                "3.8 s/min",
                "6.0 s/min",
                "≤ 0.3 s/min",
            ),
            row(
                format!("steady apiserver requests, {n} unchanged"),
                requests(idle),
                "–",
                "0",
                "0",
            ),
            row(
                format!("operator's apiserver requests to take in {n}"),
                {
                    let r = &self.take_in_requests;
                    format!(
                        "{:.0} reads, {:.0} watch starts, {:.0} writes ({:.2} writes per resource)",
                        r.reads,
                        r.watches,
                        r.writes,
                        r.writes / n.max(1) as f64
                    )
                },
                "–",
                "–",
                "–",
            ),
            row(
                format!("steady apiserver requests, {d} deploying"),
                requests(dep),
                "1,230 LIST pods/min per 100 (polls every 5 s)",
                "0",
                "0",
            ),
            row(
                format!("log lines per minute, {n} unchanged"),
                format!("{:.1}", idle.log_lines_per_min),
                "0 … 3,700",
                "5,700",
                "≤ 10",
            ),
            row(
                format!("log lines per minute, {d} deploying"),
                format!("{:.1}", dep.log_lines_per_min),
                "–",
                "–",
                "–",
            ),
            row(
                format!("steady CPU, {d} deploying"),
                format!("{:.2} s/min", dep.cpu_secs_per_min),
                "–",
                "–",
                "–",
            ),
            row(
                "reconciles per minute (unchanged / deploying)",
                format!(
                    "{:.1} / {:.1}",
                    idle.reconciles_per_min, dep.reconciles_per_min
                ),
                "–",
                "–",
                "–",
            ),
            row(
                format!(
                    "spec change → status observed (median / max of {})",
                    self.status_ms.len()
                ),
                format!("{status_med:.0} ms / {status_max:.0} ms"),
                "5–10 s (polls)",
                "–",
                "≤ 1 s",
            ),
            row(
                format!(
                    "spec change → cluster Deployment created (median / max of {})",
                    self.object_ms.len()
                ),
                format!("{object_med:.0} ms / {object_max:.0} ms"),
                "5–10 s (polls)",
                "–",
                "≤ 1 s",
            ),
            row(
                format!("CPU to start deploying {d} (resume → all Deployments exist)"),
                format!(
                    "{:.2} s ({:.1} s wall)",
                    self.deploy_cpu_secs, self.deploy_wall_secs
                ),
                "–",
                "–",
                "–",
            ),
            row(
                "start → ready (caches synced)",
                format!(
                    "{:.2} s ({:.0} reads, {:.0} watch starts, {:.0} writes)",
                    self.ready_secs,
                    self.start_requests.reads,
                    self.start_requests.watches,
                    self.start_requests.writes
                ),
                "–",
                "–",
                "–",
            ),
            row(
                format!("SIGTERM → exit ({n} resources, {d} deploying)"),
                match self.sigterm_ms {
                    Some(ms) => format!("{ms:.0} ms"),
                    None => "did not stop within 20 s (killed)".into(),
                },
                "stops",
                "ignored (killed after 20 s)",
                "< 1 s",
            ),
            row(
                "each lifecycle step vs Flink's own time",
                "not measured here: needs the local node and real Flink \
                 (`cargo xtask demo` prints each step's time)",
                "polls Flink every 5–10 s per waiting step",
                "–",
                "≤ 1 s added per upgrade",
            ),
        ]
    }

    /// Prints the table (Markdown) and how the figures were made.
    pub fn print(&self) {
        println!(
            "\n| figure | flink-operator-rs | Apache 1.15.0 | Lyft | target |\n|---|---|---|---|---|"
        );
        for r in self.rows() {
            println!(
                "| {} | {} | {} | {} | {} |",
                r.what, r.ours, r.apache, r.lyft, r.target
            );
        }
        println!(
            "\nall clients' requests per minute, less the control plane's rate before the operator \
             started (the controller-manager reacting to the operator's objects shows here):\n  \
             {} unchanged: {}\n  {} deploying: {}",
            self.resources,
            self.idle_window.all_clients_top,
            self.deploying,
            self.deploying_window.all_clients_top
        );
        println!(
            "\n`cargo xtask bench --resources {} --deploying {} --steady-secs {} --samples {}`. \
             The operator's requests are the apiserver's own count of its ServiceAccount's \
             requests (API Priority and Fairness FlowSchemas); peers from \
             ../shared/notes/targets.md. Figures are printed, never asserted.",
            self.resources,
            self.deploying,
            self.steady_secs,
            self.status_ms.len()
        );
    }
}

fn requests(w: &Window) -> String {
    let r = &w.requests;
    format!(
        "{:.1} /min: {:.1} reads, {:.1} watch starts, {:.1} writes",
        r.total(),
        r.reads,
        r.watches,
        r.writes
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_samples() {
        assert_eq!(median_max(&[3.0, 1.0, 2.0]), (2.0, 3.0));
        assert_eq!(median_max(&[4.0, 1.0, 2.0, 3.0]), (2.5, 4.0));
        assert!(median_max(&[]).0.is_nan());
    }

    #[test]
    fn every_row_has_five_cells() {
        let rows = Figures::default().rows();
        assert!(rows.len() >= 15);
        for r in rows {
            assert!(!r.what.is_empty() && !r.ours.is_empty() && !r.target.is_empty());
            assert!(!r.ours.contains('|'), "{}", r.ours);
        }
    }
}
