//! Helpers shared by the end-to-end lifecycle tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use flink_crd::FlinkDeployment;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams};
use local_stack::{Ground, example};

/// The counter job's arguments in these tests: 4 keys, checkpoints every 2 s.
pub fn job_args(rate: u32, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "--keys".to_string(),
        "4".into(),
        "--rate".into(),
        rate.to_string(),
    ];
    args.extend(["--checkpoint-interval-ms".to_string(), "2000".into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    serde_json::json!(args)
}

/// `examples/basic.yaml` named `name`, with metrics reported every second (Flink's default
/// of 10 s would make every count check wait that long), checkpoints every 2 s and `conf`
/// added to its `flinkConfiguration`.
pub fn basic(name: &str, conf: &[(&str, &str)]) -> FlinkDeployment {
    let mut fdep = example("basic.yaml").expect("examples/basic.yaml");
    fdep.metadata.name = Some(name.to_string());
    let flink_conf = &mut fdep.spec.flink_configuration.0;
    for (k, v) in [("metrics.fetcher.update-interval", "1000")]
        .iter()
        .chain(conf)
    {
        flink_conf.insert(k.to_string(), serde_json::Value::String(v.to_string()));
    }
    if let Some(job) = fdep.spec.job.as_mut() {
        job.args = serde_json::from_value(job_args(20, &[])).expect("args");
    }
    fdep
}

/// Makes the counter job checkpoint every `ms` milliseconds instead of every 2 s.
pub fn set_checkpoint_interval(fdep: &mut FlinkDeployment, ms: u32) {
    let job = fdep.spec.job.as_mut().expect("a job");
    let at = job
        .args
        .iter()
        .position(|a| a == "--checkpoint-interval-ms")
        .expect("the job is given a checkpoint interval");
    job.args[at + 1] = ms.to_string();
}

/// `status.jobStatus.savepointInfo.lastSavepoint.location`.
pub fn savepoint_location(f: &FlinkDeployment) -> Option<String> {
    let info = &f.status.as_ref()?.job_status.savepoint_info;
    info.last_savepoint.as_ref().map(|s| s.location.clone())
}

/// Every key of `before` has at least its count in `after`: state was kept.
pub fn counts_at_least(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) {
    for (k, v) in before {
        let now = after.get(k).copied().unwrap_or(0);
        assert!(
            now >= *v,
            "count of {k} went back from {v} to {now}: state lost ({before:?} -> {after:?})"
        );
    }
}

/// Waits until no Deployment of `name`'s cluster is left.
pub async fn wait_no_cluster(ground: &Ground, name: &str) {
    let deployments: Api<Deployment> = Api::namespaced(ground.client.clone(), ground.ns());
    let started = std::time::Instant::now();
    loop {
        let left = deployments
            .list(&ListParams::default().labels(&format!("app={name}")))
            .await
            .expect("list deployments")
            .items
            .len();
        if left == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{left} cluster Deployments of {name} remain"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// One observation of an upgrade in progress.
#[derive(Debug, Clone)]
pub struct Sample {
    /// `status.phase`.
    pub phase: String,
    /// The newest savepoint location in status.
    pub savepoint: Option<String>,
    /// Whether the JobManager Deployment exists (and is not being deleted).
    pub job_manager: bool,
}

/// Samples the resource and its JobManager Deployment every 100 ms until stopped.
pub struct Recorder {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Sample>>,
}

impl Recorder {
    pub fn start(ground: &Ground, name: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let fdeps: Api<FlinkDeployment> = Api::namespaced(ground.client.clone(), ground.ns());
        let deployments: Api<Deployment> = Api::namespaced(ground.client.clone(), ground.ns());
        let (name, flag) = (name.to_string(), stop.clone());
        let task = tokio::spawn(async move {
            let mut samples = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                // Deployment first: a sample claims "no JobManager" only if the status read
                // after it still has no savepoint, so ordering cannot fake a violation.
                let jm = deployments.get_opt(&name).await.ok().flatten();
                let job_manager = jm.is_some_and(|d| d.metadata.deletion_timestamp.is_none());
                if let Ok(f) = fdeps.get(&name).await {
                    samples.push(Sample {
                        phase: local_stack::phase_of(&f),
                        savepoint: savepoint_location(&f),
                        job_manager,
                    });
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            samples
        });
        Self { stop, task }
    }

    pub async fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.expect("recorder task")
    }
}

/// The invariant of a stateful upgrade: the JobManager is never gone while status still
/// lacks the new savepoint (the one taken for this upgrade), and the upgrade did tear the
/// old cluster down at some point.
pub fn assert_savepoint_before_teardown(samples: &[Sample]) {
    let first = samples.first().expect("samples were recorded");
    let torn_down: Vec<&Sample> = samples.iter().filter(|s| !s.job_manager).collect();
    assert!(
        !torn_down.is_empty(),
        "the old JobManager was never seen gone: {samples:?}"
    );
    for s in torn_down {
        assert!(
            s.savepoint.is_some() && s.savepoint != first.savepoint,
            "the JobManager was gone while status had no new savepoint: {s:?} (first: {first:?})"
        );
    }
}

/// Waits until Flink reports a completed checkpoint other than `before`.
pub async fn wait_new_checkpoint(
    flink: &flink_rest::FlinkRestClient,
    job: &flink_rest::JobId,
    before: Option<String>,
) {
    let started = std::time::Instant::now();
    loop {
        let now = flink
            .latest_checkpoint_path(job)
            .await
            .expect("checkpoint statistics");
        if now.is_some() && now != before {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no new checkpoint after {before:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The messages of the `SavepointCompleted` Events recorded on `name`.
pub async fn savepoint_events(ground: &Ground, name: &str) -> std::collections::BTreeSet<String> {
    ground
        .events(name)
        .await
        .expect("events")
        .into_iter()
        .filter(|(_, reason, _)| reason == "SavepointCompleted")
        .map(|(_, _, message)| message)
        .collect()
}
