//! `cargo xtask bench`: the operator's footprint and reaction time on a private control plane,
//! printed beside the figures the Apache and Lyft operators measured on the same kind of
//! machine (`../shared/notes/targets.md`). Figures are printed, never asserted (does IO: builds
//! and runs the operator and a private control plane under `target/testground/bench-cluster`).
//!
//! The private stack has no node, so deploying resources stay Deploying with Pending pods, as
//! in the peers' measurements; the lifecycle figures with real Flink come from the demo.

mod identity;
mod probe;
mod report;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use flink_crd::FlinkDeployment;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use local_cluster::{LocalCluster, Settings, TestNamespace};
use local_stack::{OperatorOptions, OperatorProcess};
use testground::BackgroundProcess;

use identity::OperatorRequests;
use probe::{ApiRequests, ProcStats};
use report::{Figures, Window};

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// FlinkDeployments to create (suspended: they take no cluster).
    #[arg(long, default_value_t = 1000)]
    resources: usize,
    /// Of those, how many to resume for the "being deployed" figures.
    #[arg(long, default_value_t = 100)]
    deploying: usize,
    /// Length of each steady-state window (and of the control plane's baseline), seconds.
    #[arg(long, default_value_t = 60)]
    steady_secs: u64,
    /// Spec-change latency samples (each resumes one resource, counted in --deploying).
    #[arg(long, default_value_t = 9)]
    samples: usize,
    /// Measure this operator binary instead of building `flink-operator` in release (to
    /// compare builds, or one build under different settings).
    #[arg(long)]
    operator: Option<PathBuf>,
}

/// The operator's instance name: its log and pid files are `target/testground/operator/bench.*`.
const INSTANCE: &str = "bench";
/// Concurrent requests when creating or resuming resources.
const PARALLEL: usize = 16;

/// Runs `cargo xtask bench`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.deploying > args.resources {
        bail!("--deploying must not exceed --resources");
    }
    if args.samples > args.deploying {
        bail!("--samples must not exceed --deploying (each sample resumes one resource)");
    }
    if args.steady_secs == 0 {
        bail!("--steady-secs must be at least 1");
    }
    let binary = match &args.operator {
        Some(path) => std::path::absolute(path).context("resolving --operator")?,
        None => build_operator()?,
    };
    let dir = testground::state_dir().join("bench-cluster");
    stop_leftovers(&dir)?;
    let runtime = tokio::runtime::Runtime::new().context("starting an async runtime")?;
    // Ctrl-C or SIGTERM drops the bench future, whose OperatorProcess stops the operator on
    // drop; the control plane is stopped below either way (its processes are in groups of
    // their own, so they do not see the terminal's SIGINT).
    let result = runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        tokio::select! {
            r = bench(&args, binary, &dir) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted (Ctrl-C)")),
            _ = term.recv() => Err(anyhow::anyhow!("interrupted (SIGTERM)")),
        }
    });
    drop(runtime);
    println!("stopping the private control plane…");
    let down = LocalCluster::down(&dir).context("stopping the bench control plane");
    let figures = result?;
    down?;
    figures.print();
    Ok(())
}

fn build_operator() -> anyhow::Result<PathBuf> {
    println!("building the operator (release)…");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(testground::workspace_root())
        .args(["build", "--release", "--quiet", "-p", "flink-operator"])
        .args(["--bin", "flink-operator"])
        .status()
        .context("running cargo build --release")?;
    if !status.success() {
        bail!("cargo build --release -p flink-operator failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| testground::workspace_root().join("target"));
    Ok(target.join("release").join("flink-operator"))
}

/// Stops what an interrupted earlier bench left: its operator (by its own pid file) and its
/// private control plane. Nothing else is touched.
fn stop_leftovers(dir: &std::path::Path) -> anyhow::Result<()> {
    let ops = testground::state_dir().join("operator");
    let (pid_file, log) = (
        ops.join(format!("{INSTANCE}.pid")),
        ops.join(format!("{INSTANCE}.log")),
    );
    if let Some(p) = BackgroundProcess::from_pid_file(&pid_file, &log) {
        println!("stopping the operator of an earlier bench (pid {})…", p.pid);
        p.stop(Duration::from_secs(5));
    }
    // A fresh log per run: its line count is a figure.
    let _ = std::fs::remove_file(&log);
    if LocalCluster::down(dir).context("stopping an earlier bench control plane")? {
        println!("stopped the control plane of an earlier bench");
    }
    Ok(())
}

async fn bench(args: &Args, binary: PathBuf, dir: &std::path::Path) -> anyhow::Result<Figures> {
    let mut f = Figures {
        resources: args.resources,
        deploying: args.deploying,
        steady_secs: args.steady_secs,
        ..Figures::default()
    };
    let window = Duration::from_secs(args.steady_secs);
    step(&format!(
        "starting a private control plane (no node) in {}",
        dir.display()
    ));
    let cluster = LocalCluster::start(&Settings::in_dir(dir)).await?;
    let client = cluster.client()?;
    let ns = TestNamespace::new(&cluster, "bench").await?;
    let api: Api<FlinkDeployment> = Api::namespaced(client.clone(), ns.name());
    // The pods' ServiceAccount (`serviceAccount: flink` in the example), as the chart's users
    // create it: without it the controller-manager retries creating every pod, hundreds of
    // times a minute, and the operator sees that churn on its Deployments.
    Api::<ServiceAccount>::namespaced(client.clone(), ns.name())
        .create(
            &PostParams::default(),
            &ServiceAccount {
                metadata: kube::api::ObjectMeta {
                    name: Some("flink".into()),
                    ..Default::default()
                },
                ..ServiceAccount::default()
            },
        )
        .await
        .context("creating the pods' ServiceAccount")?;
    let kubeconfig = identity::create(
        &client,
        &cluster.kubeconfig_path(),
        &cluster.apiserver_url(),
        ns.name(),
    )
    .await?;

    // The control plane's own request rate, subtracted from the operator's windows.
    tokio::time::sleep(Duration::from_secs(5)).await;
    step(&format!(
        "measuring the control plane's own request rate ({}s, no operator)",
        args.steady_secs
    ));
    let before = ApiRequests::scrape(&client).await?;
    tokio::time::sleep(window).await;
    let baseline = ApiRequests::scrape(&client)
        .await?
        .rate_since(&before, window);

    step("starting the operator (release build)");
    let req0 = OperatorRequests::scrape(&client).await?;
    let started = Instant::now();
    let operator = OperatorProcess::spawn(
        OperatorOptions {
            kubeconfig,
            namespaces: vec![],
            instance: INSTANCE.into(),
            extra_args: vec!["--log-format".into(), "json".into()],
        },
        binary,
    )?;
    let (pid, addr) = (operator.pid(), operator.metrics_addr().to_string());
    probe::wait_ready(&addr, Duration::from_secs(60)).await?;
    f.ready_secs = started.elapsed().as_secs_f64();
    f.start_requests = OperatorRequests::scrape(&client)
        .await?
        .rate_since(&req0, Duration::from_secs(60));
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle = ProcStats::read(pid)?;
    (f.idle_rss_mib, f.idle_rss_file_mib, f.idle_threads) =
        (idle.rss_mib, idle.rss_file_mib, idle.threads);

    step(&format!(
        "creating {} suspended FlinkDeployments in batches of 100",
        args.resources
    ));
    let cpu0 = ProcStats::read(pid)?.cpu_secs;
    let req0 = OperatorRequests::scrape(&client).await?;
    let started = Instant::now();
    for chunk in (0..args.resources).collect::<Vec<_>>().chunks(100) {
        futures::stream::iter(chunk.iter().map(|i| {
            let api = api.clone();
            async move {
                api.create(&PostParams::default(), &resource(*i)?)
                    .await
                    .with_context(|| format!("creating bench-{i:04}"))
            }
        }))
        .buffer_unordered(PARALLEL)
        .try_collect::<Vec<_>>()
        .await?;
    }
    wait_all_observed(&api, args.resources, Duration::from_secs(600)).await?;
    f.take_in_cpu_secs = ProcStats::read(pid)?.cpu_secs - cpu0;
    f.take_in_wall_secs = started.elapsed().as_secs_f64();
    // Per minute of one minute: the counts themselves.
    f.take_in_requests = OperatorRequests::scrape(&client)
        .await?
        .rate_since(&req0, Duration::from_secs(60));
    tokio::time::sleep(Duration::from_secs(5)).await;
    let all = ProcStats::read(pid)?;
    (f.all_rss_mib, f.all_rss_file_mib) = (all.rss_mib, all.rss_file_mib);

    step(&format!(
        "steady window: {} unchanged ({}s)",
        args.resources, args.steady_secs
    ));
    f.idle_window = steady_window(&client, &operator, window, &baseline, |_| {}).await?;

    step(&format!(
        "spec-change latency: resuming {} resources one at a time",
        args.samples
    ));
    for i in 0..args.samples {
        let (status_ms, object_ms) = reaction_ms(&client, ns.name(), &api, i).await?;
        f.status_ms.push(status_ms);
        f.object_ms.push(object_ms);
    }

    step(&format!(
        "resuming {} more (deploying; pods stay Pending without a node)",
        args.deploying - args.samples
    ));
    let mut peak = ProcStats::read(pid)?;
    let cpu0 = peak.cpu_secs;
    let started = Instant::now();
    futures::stream::iter((args.samples..args.deploying).map(|i| resume(&api, i)))
        .buffer_unordered(PARALLEL)
        .try_collect::<Vec<_>>()
        .await?;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns.name());
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let s = ProcStats::read(pid)?;
        peak.rss_mib = peak.rss_mib.max(s.rss_mib);
        peak.threads = peak.threads.max(s.threads);
        // Clusters with at least one Deployment (labelled `app=<resource name>`).
        let made: std::collections::BTreeSet<String> = deployments
            .list_metadata(&ListParams::default())
            .await?
            .items
            .into_iter()
            .filter_map(|d| d.metadata.labels?.remove("app"))
            .collect();
        if made.len() >= args.deploying {
            f.deploy_cpu_secs = s.cpu_secs - cpu0;
            f.deploy_wall_secs = started.elapsed().as_secs_f64();
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "only {} of {} deploying resources have a Deployment after 300 s",
                made.len(),
                args.deploying
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The controller-manager creates ReplicaSets and Pods for those Deployments at its own
    // pace; the window starts once they all exist and a few quiet seconds have passed, so it
    // measures the operator waiting, not the control plane's churn.
    let settle = Instant::now() + Duration::from_secs(300);
    while !all_pods_created(&deployments).await? {
        let s = ProcStats::read(pid)?;
        peak.rss_mib = peak.rss_mib.max(s.rss_mib);
        peak.threads = peak.threads.max(s.threads);
        if Instant::now() > settle {
            println!(
                "    (the controller-manager had not created every pod after 300 s; measuring anyway)"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(10)).await;

    step(&format!(
        "steady window: {} deploying ({}s)",
        args.deploying, args.steady_secs
    ));
    f.deploying_window = steady_window(&client, &operator, window, &baseline, |s| {
        peak.rss_mib = peak.rss_mib.max(s.rss_mib);
        peak.threads = peak.threads.max(s.threads);
    })
    .await?;
    (f.deploying_rss_mib, f.deploying_threads) = (peak.rss_mib, peak.threads);

    step("SIGTERM");
    f.sigterm_ms = sigterm_ms(pid);
    operator.stop(Duration::from_secs(5));
    println!("    operator log: {}", operator.log_path().display());
    Ok(f)
}

fn step(what: &str) {
    println!("  … {what}");
}

/// One window in which nothing is changed by the bench: CPU, apiserver requests (less the
/// control plane's `baseline`), log lines and reconciles, per minute. `sample` sees the
/// operator's process figures every 500 ms.
async fn steady_window(
    client: &kube::Client,
    operator: &OperatorProcess,
    window: Duration,
    baseline: &ApiRequests,
    mut sample: impl FnMut(&ProcStats),
) -> anyhow::Result<Window> {
    let (pid, addr) = (operator.pid(), operator.metrics_addr());
    let cpu0 = ProcStats::read(pid)?.cpu_secs;
    let req0 = ApiRequests::scrape(client).await?;
    let ops0 = OperatorRequests::scrape(client).await?;
    let lines0 = probe::log_lines(operator.log_path());
    let rec0 = probe::operator_metric(addr, "flink_operator_reconciles_total").await?;
    let started = Instant::now();
    while started.elapsed() < window {
        sample(&ProcStats::read(pid)?);
        tokio::time::sleep(
            Duration::from_millis(500).min(window.saturating_sub(started.elapsed())),
        )
        .await;
    }
    let end = ProcStats::read(pid)?;
    sample(&end);
    let all = ApiRequests::scrape(client)
        .await?
        .rate_since(&req0, window)
        .minus(baseline);
    let ours = OperatorRequests::scrape(client)
        .await?
        .rate_since(&ops0, window);
    let minutes = window.as_secs_f64() / 60.0;
    Ok(Window {
        cpu_secs_per_min: (end.cpu_secs - cpu0) / minutes,
        requests: ours,
        all_clients_top: all.top(5),
        log_lines_per_min: (probe::log_lines(operator.log_path()) - lines0) as f64 / minutes,
        reconciles_per_min: (probe::operator_metric(addr, "flink_operator_reconciles_total")
            .await?
            - rec0)
            / minutes,
    })
}

/// SIGTERM to exit, ms; `None` when it still ran after 20 s.
fn sigterm_ms(pid: u32) -> Option<f64> {
    let started = Instant::now();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !sent {
        return None;
    }
    while started.elapsed() < Duration::from_secs(20) {
        if !testground::pid_alive(pid) {
            return Some(started.elapsed().as_secs_f64() * 1000.0);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

fn resource(i: usize) -> anyhow::Result<FlinkDeployment> {
    let mut f = local_stack::example("basic.yaml")?;
    f.metadata.name = Some(format!("bench-{i:04}"));
    if let Some(job) = f.spec.job.as_mut() {
        job.state = flink_crd::JobState::Suspended;
    }
    Ok(f)
}

/// Resumes `bench-<i>`; returns its new generation.
async fn resume(api: &Api<FlinkDeployment>, i: usize) -> anyhow::Result<i64> {
    let patch = serde_json::json!({"spec": {"job": {"state": "running"}}});
    let f = api
        .patch(
            &format!("bench-{i:04}"),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .with_context(|| format!("resuming bench-{i:04}"))?;
    f.metadata
        .generation
        .context("the apiserver returned no generation")
}

/// From a spec change (resume) to (the status showing the new generation, the cluster's
/// first Deployment created), ms. Both watches are live before the change is made.
async fn reaction_ms(
    client: &kube::Client,
    ns: &str,
    api: &Api<FlinkDeployment>,
    i: usize,
) -> anyhow::Result<(f64, f64)> {
    let name = format!("bench-{i:04}");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let mut objects = watcher::watcher(
        deployments,
        watcher::Config::default().labels(&format!("app={name}")),
    )
    .boxed();
    let mut statuses = watcher::watcher(
        api.clone(),
        watcher::Config::default().fields(&format!("metadata.name={name}")),
    )
    .boxed();
    // A watch's initial list ends with InitDone: from then on it sees every change.
    wait_init_done(&mut objects).await?;
    wait_init_done(&mut statuses).await?;
    let started = Instant::now();
    let generation = resume(api, i).await?;
    let status = async {
        while let Some(event) = statuses.try_next().await? {
            if let watcher::Event::Apply(f) = event
                && f.status
                    .as_ref()
                    .and_then(|s| s.observed_generation)
                    .is_some_and(|g| g >= generation)
            {
                return Ok(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        bail!("the FlinkDeployment watch of {name} ended")
    };
    let object = async {
        while let Some(event) = objects.try_next().await? {
            if matches!(event, watcher::Event::Apply(_)) {
                return Ok(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        bail!("the Deployment watch of {name} ended")
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        futures::try_join!(status, object)
    })
    .await
    .with_context(|| format!("{name}: no status or Deployment within 30 s of the spec change"))?
}

async fn wait_init_done<K>(
    stream: &mut (impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Unpin),
) -> anyhow::Result<()> {
    while let Some(event) = stream.try_next().await? {
        if matches!(event, watcher::Event::InitDone) {
            return Ok(());
        }
    }
    bail!("a watch ended before its initial list")
}

/// Whether every Deployment has seen its latest spec and has all its Pods (Pending or not).
async fn all_pods_created(deployments: &Api<Deployment>) -> anyhow::Result<bool> {
    let list = deployments.list(&ListParams::default()).await?;
    Ok(list.items.iter().all(|d| {
        let wanted = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        d.status.as_ref().is_some_and(|s| {
            s.observed_generation >= d.metadata.generation && s.replicas.unwrap_or(0) >= wanted
        })
    }))
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
