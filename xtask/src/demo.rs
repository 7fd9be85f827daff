//! `cargo xtask demo`: the operator's main job on the local test ground, narrated.
//!
//! Builds or reuses the control plane, the local node, Flink and the counter job; starts the
//! operator; applies `examples/basic.yaml`; shows it reach Running with the job's counts; changes
//! parallelism and shows the savepoint upgrade with the counts continuing; suspends, resumes
//! and deletes; then cleans up (unless `--keep`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use local_stack::{Ground, example};

/// Arguments of `cargo xtask demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Leave the control plane, the node, the operator and the Flink cluster running at the
    /// end, for exploring with kubectl.
    #[arg(long)]
    keep: bool,
}

const NAME: &str = "basic";
const WAIT: Duration = Duration::from_secs(240);

/// Runs `cargo xtask demo`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting an async runtime")?;
    runtime.block_on(demo(args))
}

async fn demo(args: Args) -> anyhow::Result<()> {
    let total = Instant::now();
    println!("flink-operator-rs demo: a stateful Flink job through its whole life\n");
    let ground = step("control plane, local node and operator up", async {
        Ok(Ground::new("demo").await?)
    })
    .await?;
    println!(
        "    namespace {}, kubeconfig {}",
        ground.ns(),
        ground.cluster.kubeconfig_path().display()
    );

    let fdep = example("basic.yaml")?;
    step("apply examples/basic.yaml", async {
        Ok(ground.apply(&fdep).await?)
    })
    .await?;
    let (_, lag) = step("Running: JobManager, 1 TaskManager, job RUNNING", async {
        running_after_flink(&ground, None).await
    })
    .await?;
    print_lag(lag);
    let before = step("the job counts events per key", async {
        Ok(ground.wait_counts(NAME, 4, &BTreeMap::new(), WAIT).await?)
    })
    .await?;
    print_counts(&before);

    let first_job = ground.job_id(NAME).await?.to_string();
    step(
        "change parallelism 2 -> 4 (upgradeMode: savepoint)",
        async {
            Ok(ground
                .patch_spec(NAME, serde_json::json!({"job": {"parallelism": 4}}))
                .await?)
        },
    )
    .await?;
    let (upgraded, lag) = step(
        "savepoint taken, new cluster started from it, Running",
        async { running_after_flink(&ground, Some(first_job)).await },
    )
    .await?;
    print_lag(lag);
    if let Some(path) = savepoint_of(&upgraded) {
        println!("    restored from {path}");
    }
    let after = step("counts continue from where they were", async {
        kept(
            &before,
            ground.wait_counts(NAME, 4, &BTreeMap::new(), WAIT).await?,
        )
    })
    .await?;
    print_counts(&after);

    step("suspend (job.state: suspended)", async {
        Ok(ground
            .patch_spec(NAME, serde_json::json!({"job": {"state": "suspended"}}))
            .await?)
    })
    .await?;
    let suspended = step("savepoint recorded, cluster deleted", async {
        Ok(ground.wait_phase(NAME, "Suspended", WAIT).await?)
    })
    .await?;
    if let Some(path) = savepoint_of(&suspended) {
        println!("    savepoint {path}");
    }
    step("resume (job.state: running)", async {
        Ok(ground
            .patch_spec(NAME, serde_json::json!({"job": {"state": "running"}}))
            .await?)
    })
    .await?;
    let suspended_job = suspended
        .status
        .as_ref()
        .and_then(|s| s.job_status.job_id.clone());
    let (_, lag) = step("Running again from the savepoint", async {
        running_after_flink(&ground, suspended_job).await
    })
    .await?;
    print_lag(lag);
    let resumed = step("counts kept across the suspension", async {
        kept(
            &after,
            ground.wait_counts(NAME, 4, &BTreeMap::new(), WAIT).await?,
        )
    })
    .await?;
    print_counts(&resumed);

    if args.keep {
        let ns = ground.keep();
        println!(
            "\nleft running (--keep): try `kubectl --kubeconfig target/testground/cluster/kubeconfig -n {ns} get fdep,deploy,pods`\n\
             stop everything with `cargo xtask local down`"
        );
    } else {
        step(
            "delete: final savepoint, cluster removed, finalizer released",
            async {
                ground.delete(NAME).await?;
                Ok(ground.wait_gone(NAME, WAIT).await?)
            },
        )
        .await?;
        for (kind, reason, message) in ground.events(NAME).await.unwrap_or_default() {
            if reason.contains("Savepoint") {
                println!("    {kind} {reason}: {message}");
            }
        }
    }
    println!("\ndone in {:.1}s", total.elapsed().as_secs_f64());
    Ok(())
}

/// Prints `✓ <what> (<seconds>)` once `work` is done, or `✗` with the error.
async fn step<T>(
    what: &str,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let started = Instant::now();
    println!("  … {what}");
    let result = work.await;
    let secs = started.elapsed().as_secs_f64();
    match &result {
        Ok(_) => println!("  ✓ {what} ({secs:.1}s)"),
        Err(e) => println!("  ✗ {what} ({secs:.1}s): {e:#}"),
    }
    result
}

/// Waits until the status says Running, settled, for a job other than `previous`, while
/// asking Flink every 100 ms about that job: returns the resource and how long after Flink
/// first reported the job RUNNING the status said so (the operator's share of the step).
async fn running_after_flink(
    ground: &Ground,
    previous: Option<String>,
) -> anyhow::Result<(flink_crd::FlinkDeployment, Option<Duration>)> {
    let started = Instant::now();
    let mut flink_running: Option<Instant> = None;
    loop {
        let f = ground.get(NAME).await?;
        let status = f.status.as_ref();
        let job = status
            .and_then(|s| s.job_status.job_id.clone())
            .filter(|id| Some(id) != previous.as_ref());
        if flink_running.is_none()
            && let Some(id) = job
                .as_deref()
                .and_then(|id| flink_rest::JobId::parse(id).ok())
            && let Ok(rest) = ground.rest(NAME).await
            && rest
                .job_details(&id)
                .await
                .is_ok_and(|d| d.state == flink_rest::JobState::Running)
        {
            flink_running = Some(Instant::now());
        }
        if job.is_some() && local_stack::settled_in(&f, "Running") {
            return Ok((f, flink_running.map(|t| t.elapsed())));
        }
        if started.elapsed() > WAIT {
            anyhow::bail!("{NAME} not Running after {}s", WAIT.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn print_lag(lag: Option<Duration>) {
    match lag {
        Some(lag) => println!(
            "    Flink said RUNNING {:.1}s before the status did (the operator's share of this step)",
            lag.as_secs_f64()
        ),
        None => println!("    the status said Running before Flink was seen RUNNING"),
    }
}

/// The first counts a restarted job reports, if none went back: a job that lost its state
/// counts from zero, and waiting for it to catch up would hide that.
fn kept(
    before: &BTreeMap<String, u64>,
    now: BTreeMap<String, u64>,
) -> anyhow::Result<BTreeMap<String, u64>> {
    for (key, was) in before {
        let is = now.get(key).copied().unwrap_or(0);
        if is < *was {
            anyhow::bail!("state lost: {key} went back from {was} to {is}");
        }
    }
    Ok(now)
}

fn print_counts(counts: &BTreeMap<String, u64>) {
    let line: Vec<String> = counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("    counts: {}", line.join(" "));
}

fn savepoint_of(f: &flink_crd::FlinkDeployment) -> Option<String> {
    let info = &f.status.as_ref()?.job_status.savepoint_info;
    info.last_savepoint.as_ref().map(|s| s.location.clone())
}
