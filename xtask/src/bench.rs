//! `cargo xtask bench`: the operator's footprint and reaction time on a private control plane,
//! printed beside the figures the Apache and Lyft operators measured on the same kind of
//! machine (`../shared/notes/targets.md`). Figures are printed, never asserted.
//!
//! The private stack has no node, so deploying resources stay Deploying with Pending pods, as
//! in the peers' measurements; the lifecycle figures with real Flink come from the demo.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use flink_crd::FlinkDeployment;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use local_cluster::{LocalCluster, Settings, TestNamespace};
use local_stack::{OperatorOptions, OperatorProcess};

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// FlinkDeployments to create (suspended: they take no cluster).
    #[arg(long, default_value_t = 1000)]
    resources: usize,
    /// Of those, how many to resume at once for the "being deployed" figure.
    #[arg(long, default_value_t = 100)]
    deploying: usize,
    /// Length of each steady-state window, seconds.
    #[arg(long, default_value_t = 60)]
    steady_secs: u64,
}

/// Runs `cargo xtask bench`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.deploying > args.resources {
        bail!("--deploying must not exceed --resources");
    }
    println!("building the operator (release)…");
    let status =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(testground::workspace_root())
            .args([
                "build",
                "--release",
                "--quiet",
                "-p",
                "flink-operator",
                "--bin",
                "flink-operator",
            ])
            .status()
            .context("running cargo build --release")?;
    if !status.success() {
        bail!("cargo build --release -p flink-operator failed");
    }
    let binary = target_dir().join("release").join("flink-operator");
    let runtime = tokio::runtime::Runtime::new().context("starting an async runtime")?;
    let dir = testground::state_dir().join("bench-cluster");
    let result = runtime.block_on(bench(&args, binary, dir.clone()));
    LocalCluster::down(&dir).context("stopping the bench control plane")?;
    result
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| testground::workspace_root().join("target"))
}

async fn bench(args: &Args, binary: PathBuf, dir: PathBuf) -> anyhow::Result<()> {
    let _ = LocalCluster::down(&dir);
    println!(
        "starting a private control plane (no node) in {}…",
        dir.display()
    );
    let cluster = LocalCluster::start(&Settings::in_dir(&dir)).await?;
    let client = cluster.client()?;
    let ns = TestNamespace::new(&cluster, "bench").await?;
    let window = Duration::from_secs(args.steady_secs);

    // The controller-manager's own request rate, to subtract from the steady figure.
    let base_requests = apiserver_requests(&client).await?;
    tokio::time::sleep(window).await;
    let baseline = apiserver_requests(&client).await? - base_requests;

    let operator = OperatorProcess::spawn(
        OperatorOptions {
            kubeconfig: cluster.kubeconfig_path(),
            namespaces: vec![],
            instance: "bench".into(),
            extra_args: vec!["--log-format".into(), "json".into()],
        },
        binary,
    )?;
    let pid = operator.pid();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut figures = Figures {
        idle_rss_mib: rss_mib(pid)?,
        ..Figures::default()
    };

    // Take in N new resources, created in batches of 100 as the peers were.
    let api: Api<FlinkDeployment> = Api::namespaced(client.clone(), ns.name());
    let cpu0 = cpu_secs(pid)?;
    let started = Instant::now();
    for chunk in (0..args.resources).collect::<Vec<_>>().chunks(100) {
        futures::stream::iter(chunk.iter().map(|i| {
            let api = api.clone();
            async move {
                api.create(&PostParams::default(), &resource(*i)?)
                    .await
                    .context("create")
            }
        }))
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    }
    wait_all_observed(&api, args.resources, Duration::from_secs(600)).await?;
    figures.take_in_cpu_secs = cpu_secs(pid)? - cpu0;
    figures.take_in_wall_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(5)).await;
    figures.rss_with_all_mib = rss_mib(pid)?;

    // Steady state: nothing changes for a window.
    let (cpu1, requests1, lines1) = (
        cpu_secs(pid)?,
        apiserver_requests(&client).await?,
        log_lines(&operator),
    );
    tokio::time::sleep(window).await;
    let minutes = window.as_secs_f64() / 60.0;
    figures.steady_cpu_secs_per_min = (cpu_secs(pid)? - cpu1) / minutes;
    figures.steady_requests_per_min =
        ((apiserver_requests(&client).await? - requests1) - baseline) / minutes;
    figures.steady_log_lines_per_min = (log_lines(&operator) - lines1) as f64 / minutes;

    // Reaction time: from a spec change (resume) to the first cluster object the operator creates.
    let mut latencies = Vec::new();
    for i in 0..5 {
        latencies.push(reaction_ms(&client, ns.name(), &api, i).await?);
    }
    latencies.sort_by(f64::total_cmp);
    figures.reaction_ms_median = latencies[latencies.len() / 2];

    // Many deploying at once: resume `deploying` resources; their pods stay Pending.
    for i in 5..args.deploying {
        resume(&api, i).await?;
    }
    let mut peak_rss: f64 = 0.0;
    let mut peak_threads = 0;
    let sample_until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < sample_until {
        peak_rss = peak_rss.max(rss_mib(pid)?);
        peak_threads = peak_threads.max(threads(pid)?);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    figures.deploying_rss_mib = peak_rss;
    figures.deploying_threads = peak_threads;

    operator.stop(Duration::from_secs(5));
    figures.print(args);
    Ok(())
}

fn resource(i: usize) -> anyhow::Result<FlinkDeployment> {
    let mut f = local_stack::example("basic.yaml")?;
    f.metadata.name = Some(format!("bench-{i:04}"));
    if let Some(job) = f.spec.job.as_mut() {
        job.state = flink_crd::JobState::Suspended;
    }
    Ok(f)
}

async fn resume(api: &Api<FlinkDeployment>, i: usize) -> anyhow::Result<()> {
    let patch = serde_json::json!({"spec": {"job": {"state": "running"}}});
    api.patch(
        &format!("bench-{i:04}"),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .context("resume")?;
    Ok(())
}

async fn reaction_ms(
    client: &kube::Client,
    ns: &str,
    api: &Api<FlinkDeployment>,
    i: usize,
) -> anyhow::Result<f64> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let name = format!("bench-{i:04}");
    let config = watcher::Config::default().labels(&format!("app={name}"));
    let mut stream = watcher::watcher(deployments, config).boxed();
    // The watch's initial (empty) list marks that it is live before the change is made.
    while let Some(event) = stream.try_next().await? {
        if matches!(event, watcher::Event::InitDone) {
            break;
        }
    }
    let started = Instant::now();
    resume(api, i).await?;
    let deadline = Duration::from_secs(30);
    loop {
        let next = tokio::time::timeout(
            deadline.saturating_sub(started.elapsed()),
            stream.try_next(),
        )
        .await
        .context("no Deployment within 30 s of the spec change")??;
        if matches!(
            next,
            Some(watcher::Event::Apply(_)) | Some(watcher::Event::InitApply(_))
        ) {
            return Ok(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
}

async fn wait_all_observed(
    api: &Api<FlinkDeployment>,
    n: usize,
    timeout: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let list = api.list(&ListParams::default()).await?;
        let observed = list
            .items
            .iter()
            .filter(|f| {
                f.status
                    .as_ref()
                    .and_then(|s| s.observed_generation)
                    .is_some()
            })
            .count();
        if observed >= n {
            return Ok(());
        }
        if started.elapsed() > timeout {
            bail!("only {observed} of {n} resources have a status after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Sum of `apiserver_request_total` over all label sets.
async fn apiserver_requests(client: &kube::Client) -> anyhow::Result<f64> {
    let req = http::Request::get("/metrics").body(Vec::new())?;
    let text = client
        .request_text(req)
        .await
        .context("GET /metrics of the apiserver")?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("apiserver_request_total{"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum())
}

fn proc_status(pid: u32, key: &str) -> anyhow::Result<f64> {
    let text =
        std::fs::read_to_string(format!("/proc/{pid}/status")).context("the operator is gone")?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("{key} missing from /proc/{pid}/status"))
}

fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    Ok(proc_status(pid, "VmRSS:")? / 1024.0)
}

fn threads(pid: u32) -> anyhow::Result<u32> {
    Ok(proc_status(pid, "Threads:")? as u32)
}

/// User + system CPU seconds of the process (clock ticks of 1/100 s, as on every Linux here).
fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    let stat =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).context("the operator is gone")?;
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("malformed /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command name: state is field 3 of stat(5); utime is 14 and stime 15.
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    Ok(ticks / 100.0)
}

fn log_lines(operator: &OperatorProcess) -> usize {
    operator.log().lines().count()
}

#[derive(Default)]
struct Figures {
    idle_rss_mib: f64,
    take_in_cpu_secs: f64,
    take_in_wall_secs: f64,
    rss_with_all_mib: f64,
    steady_cpu_secs_per_min: f64,
    steady_requests_per_min: f64,
    steady_log_lines_per_min: f64,
    reaction_ms_median: f64,
    deploying_rss_mib: f64,
    deploying_threads: u32,
}

impl Figures {
    fn print(&self, args: &Args) {
        let n = args.resources;
        let rows: BTreeMap<usize, (String, String, &str, &str, &str)> = [
            (
                1,
                (
                    "idle RSS".into(),
                    format!("{:.1} MiB", self.idle_rss_mib),
                    "252 MiB",
                    "36 MiB",
                    "≤ 15 MiB",
                ),
            ),
            (
                2,
                (
                    format!("RSS with {n} FlinkDeployments"),
                    format!("{:.1} MiB", self.rss_with_all_mib),
                    "374 MiB",
                    "157 MiB",
                    "≤ 30 MiB",
                ),
            ),
            (
                3,
                (
                    format!("RSS / threads with {} being deployed", args.deploying),
                    format!(
                        "{:.1} MiB / {}",
                        self.deploying_rss_mib, self.deploying_threads
                    ),
                    "~1,130 MiB / ~650",
                    "–",
                    "≤ 40 MiB / ≤ 20",
                ),
            ),
            (
                4,
                (
                    format!("CPU to take in {n} new resources"),
                    format!(
                        "{:.2} s ({:.1} s wall)",
                        self.take_in_cpu_secs, self.take_in_wall_secs
                    ),
                    "20.6 s",
                    "10.3 s",
                    "≤ 2 s",
                ),
            ),
            (
                5,
                (
                    format!("steady CPU with {n} unchanged"),
                    format!("{:.3} s/min", self.steady_cpu_secs_per_min),
                    "3.8 s/min",
                    "6.0 s/min",
                    "≤ 0.3 s/min",
                ),
            ),
            (
                6,
                (
                    "steady apiserver requests (minus controller-manager)".into(),
                    format!("{:.1} /min", self.steady_requests_per_min),
                    "1,230 LIST/min per 100",
                    "0",
                    "0",
                ),
            ),
            (
                7,
                (
                    "log lines per minute, nothing changing".into(),
                    format!("{:.1}", self.steady_log_lines_per_min),
                    "0 … 3,700",
                    "5,700",
                    "≤ 10",
                ),
            ),
            (
                8,
                (
                    "spec change → first cluster object (median of 5)".into(),
                    format!("{:.0} ms", self.reaction_ms_median),
                    "5–10 s polls",
                    "–",
                    "≤ 1 s",
                ),
            ),
        ]
        .into_iter()
        .collect();
        println!(
            "\n| figure | flink-operator-rs | Apache 1.15.0 | Lyft | target |\n|---|---|---|---|---|"
        );
        for (what, ours, apache, lyft, target) in rows.values() {
            println!("| {what} | {ours} | {apache} | {lyft} | {target} |");
        }
        println!(
            "\n(`cargo xtask bench --resources {n} --deploying {} --steady-secs {}`; peers from ../shared/notes/targets.md)",
            args.deploying, args.steady_secs
        );
    }
}
