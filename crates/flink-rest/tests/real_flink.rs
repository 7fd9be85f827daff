//! The client against real Flink, one cluster per version (started by `local-flink`): the
//! whole life of a stateful job over REST, and the errors of bad submissions.
//!
//! With `FLINK_REST_RECORD_FIXTURES=1` the run also writes the raw answers it saw to
//! `tests/fixtures/<version>/`, which the crate's deserialization tests read.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use flink_rest::{
    CheckpointType, ClaimMode, Error, FlinkRestClient, JarRunRequest, JobId, JobState,
    SavepointFormat, TriggerId, VertexId,
};
use local_flink::{COUNTER_JOB_CLASS, ClusterOptions, FlinkVersion, LocalFlinkCluster};

const WAIT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flink_1_20_job_lifecycle_over_rest() {
    lifecycle(FlinkVersion::V1_20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flink_2_job_lifecycle_over_rest() {
    lifecycle(FlinkVersion::V2).await;
}

async fn lifecycle(version: FlinkVersion) {
    let started = Instant::now();
    let (cluster, jar) = tokio::task::spawn_blocking(move || {
        let jar = local_flink::build_job_jar(version).expect("job jar");
        let opts =
            ClusterOptions::new(version, format!("flink-rest-test-{}", version.line())).slots(2);
        (LocalFlinkCluster::start(opts).expect("Flink starts"), jar)
    })
    .await
    .expect("start task");
    eprintln!(
        "[{version}] cluster up in {:.1}s at {}",
        started.elapsed().as_secs_f64(),
        cluster.rest_url()
    );
    let rec = Recorder::new(version, cluster.rest_url());
    let flink = FlinkRestClient::new(&cluster.rest_url()).expect("client");

    // The cluster.
    let overview = flink.overview().await.expect("overview");
    assert_eq!((overview.taskmanagers, overview.slots_total), (1, 2));
    assert_eq!(overview.flink_version, version.exact());
    let config = flink.dashboard_config().await.expect("config");
    assert_eq!(config.major_version(), Some(version.major()));
    let tms = flink.taskmanagers().await.expect("taskmanagers");
    assert_eq!(tms.taskmanagers.len(), 1);
    assert_eq!(tms.taskmanagers[0].slots_number, 2);
    let jm_config = flink.jobmanager_config().await.expect("jobmanager config");
    let port = cluster.info().rest_port.to_string();
    assert!(
        jm_config
            .iter()
            .any(|e| e.key == "rest.port" && e.value == port),
        "rest.port in {jm_config:?}"
    );
    rec.record("overview", "/overview").await;
    rec.record("config", "/config").await;
    rec.record("taskmanagers", "/taskmanagers").await;

    // Upload and run.
    let uploaded = flink.upload_jar(&jar).await.expect("upload");
    let jar_id = uploaded.jar_id();
    let jars = flink.list_jars().await.expect("list jars");
    let listed = jars
        .files
        .iter()
        .find(|f| f.id == jar_id)
        .expect("uploaded jar is listed");
    assert!(
        listed.entry.iter().any(|e| e.name == COUNTER_JOB_CLASS),
        "entry classes {:?}",
        listed.entry
    );
    rec.record("jars", "/jars").await;

    let job_id = JobId::from_seed(format!("counter-{version}").as_bytes());
    let args = [
        "--keys",
        "3",
        "--rate",
        "60",
        "--checkpoint-interval-ms",
        "2000",
    ];
    let run = flink
        .run_jar(
            &jar_id,
            &JarRunRequest::new()
                .entry_class(COUNTER_JOB_CLASS)
                .args(args)
                .parallelism(1)
                .job_id(job_id.clone())
                .flink_configuration([("pipeline.max-parallelism", "64")]),
        )
        .await
        .expect("run");
    assert_eq!(run.jobid, job_id, "the job runs under the id we chose");
    assert_eq!(
        run.application_id.is_some(),
        version == FlinkVersion::V2,
        "only 2.x names an application"
    );
    let again = flink
        .run_jar(&jar_id, &JarRunRequest::new().job_id(job_id.clone()))
        .await;
    assert!(
        matches!(again, Err(Error::Api { .. })),
        "a second run with the same job id is refused: {again:?}"
    );

    let details = wait_all_running(&flink, &job_id).await;
    let counter = details
        .vertex_named("count-per-key")
        .expect("counting vertex")
        .id
        .clone();
    assert!(
        details
            .vertices
            .iter()
            .all(|v| v.max_parallelism == Some(64)),
        "the run request's flinkConfiguration reached the job (Flink's default is 128): {:?}",
        details.vertices
    );
    rec.record("job-details", &format!("/jobs/{job_id}")).await;
    let jobs = flink.jobs_overview().await.expect("jobs overview");
    assert!(
        jobs.jobs
            .iter()
            .any(|j| j.jid == job_id && j.state == JobState::Running),
        "{jobs:?}"
    );
    rec.record("jobs-overview", "/jobs/overview").await;
    let cp_config = flink
        .checkpoint_config(&job_id)
        .await
        .expect("checkpoint config");
    assert!(
        cp_config.periodic() && cp_config.interval == 2000,
        "{cp_config:?}"
    );
    rec.record(
        "checkpoints-config",
        &format!("/jobs/{job_id}/checkpoints/config"),
    )
    .await;
    let job_config = flink.job_config(&job_id).await.expect("job config");
    assert_eq!(job_config.jid, job_id);
    rec.record("job-config", &format!("/jobs/{job_id}/config"))
        .await;
    let exceptions = flink.job_exceptions(&job_id).await.expect("exceptions");
    assert_eq!(exceptions.latest(), None, "a healthy job has no exceptions");
    rec.record("job-exceptions", &format!("/jobs/{job_id}/exceptions"))
        .await;
    let restarts = flink
        .job_metrics(&job_id, &["numRestarts"])
        .await
        .expect("job metrics");
    assert_eq!(
        restarts.first().and_then(|m| m.as_f64()),
        Some(0.0),
        "{restarts:?}"
    );
    rec.record(
        "job-metrics",
        &format!("/jobs/{job_id}/metrics?get=numRestarts"),
    )
    .await;

    // A checkpoint on demand, then a savepoint with a caller-chosen trigger id.
    let cp_trigger = TriggerId::from_seed(format!("checkpoint-{version}").as_bytes());
    let got = flink
        .trigger_checkpoint(&job_id, CheckpointType::Full, Some(cp_trigger.clone()))
        .await
        .expect("trigger checkpoint");
    assert_eq!(got, cp_trigger);
    let checkpoint = flink
        .wait_checkpoint(&job_id, &cp_trigger, WAIT)
        .await
        .expect("checkpoint completes");
    assert!(checkpoint >= 1);
    rec.record(
        "checkpoint-status",
        &format!("/jobs/{job_id}/checkpoints/{cp_trigger}"),
    )
    .await;
    let latest_cp = flink
        .latest_checkpoint_path(&job_id)
        .await
        .expect("checkpoint path");
    assert!(
        latest_cp.is_some_and(|p| p.contains("chk-")),
        "retained checkpoints have a path"
    );

    let sp_trigger = TriggerId::from_seed(format!("savepoint-{version}").as_bytes());
    let sp_started = Instant::now();
    let got = flink
        .trigger_savepoint(
            &job_id,
            None,
            SavepointFormat::Canonical,
            Some(sp_trigger.clone()),
        )
        .await
        .expect("trigger savepoint");
    assert_eq!(got, sp_trigger);
    let savepoint = flink
        .wait_savepoint(&job_id, &sp_trigger, WAIT)
        .await
        .expect("savepoint completes");
    eprintln!(
        "[{version}] savepoint in {:.2}s: {savepoint}",
        sp_started.elapsed().as_secs_f64()
    );
    rec.record(
        "savepoint-status",
        &format!("/jobs/{job_id}/savepoints/{sp_trigger}"),
    )
    .await;
    assert!(savepoint.contains("savepoint-"), "{savepoint}");
    let stats_savepoint = poll(|| async {
        flink
            .latest_savepoint_path(&job_id)
            .await
            .expect("stats")
            .filter(|p| *p == savepoint)
    })
    .await;
    assert_eq!(stats_savepoint, savepoint);
    rec.record("checkpoints", &format!("/jobs/{job_id}/checkpoints"))
        .await;

    // Counts grow; remember them, then stop with a savepoint.
    let before = poll(|| async {
        let c = counts(&flink, &job_id, &counter).await;
        (c.len() == 3 && c.values().all(|n| *n >= 150)).then_some(c)
    })
    .await;
    rec.record(
        "vertex-metrics",
        &format!("/jobs/{job_id}/vertices/{counter}/metrics"),
    )
    .await;
    let stop_trigger = TriggerId::from_seed(format!("stop-{version}").as_bytes());
    let stop_started = Instant::now();
    flink
        .stop_with_savepoint(
            &job_id,
            None,
            false,
            SavepointFormat::Canonical,
            Some(stop_trigger.clone()),
        )
        .await
        .expect("stop");
    let final_savepoint = flink
        .wait_savepoint(&job_id, &stop_trigger, WAIT)
        .await
        .expect("stop savepoint completes");
    eprintln!(
        "[{version}] stop-with-savepoint in {:.2}s",
        stop_started.elapsed().as_secs_f64()
    );
    wait_state(&flink, &job_id, JobState::Finished).await;

    // Resume from it: the counts continue instead of starting from zero.
    let resumed = flink
        .run_jar(
            &jar_id,
            &JarRunRequest::new()
                .entry_class(COUNTER_JOB_CLASS)
                .args(args)
                .restore_from(final_savepoint.clone(), ClaimMode::NoClaim)
                .allow_non_restored_state(false),
        )
        .await
        .expect("resume")
        .jobid;
    assert_ne!(resumed, job_id);
    wait_all_running(&flink, &resumed).await;
    let after = poll(|| async {
        let c = counts(&flink, &resumed, &counter).await;
        (c.len() == 3).then_some(c)
    })
    .await;
    for (key, n) in &before {
        assert!(
            after[key] > *n,
            "[{version}] {key}: {} after resume, {n} before stop: the state was not restored",
            after[key]
        );
    }
    let restored = flink
        .checkpoint_statistics(&resumed)
        .await
        .expect("stats")
        .latest
        .restored
        .expect("restored from");
    assert_eq!(
        restored.external_path.as_deref(),
        Some(final_savepoint.as_str())
    );
    assert!(restored.is_savepoint);

    // Cancel; dispose the first savepoint.
    flink.cancel_job(&resumed).await.expect("cancel");
    wait_state(&flink, &resumed, JobState::Canceled).await;
    let disposal = flink.dispose_savepoint(&savepoint).await.expect("dispose");
    flink
        .wait_disposal(&disposal, WAIT)
        .await
        .expect("disposal completes");
    let local = savepoint.trim_start_matches("file:");
    assert!(
        !std::path::Path::new(local).exists(),
        "{local} still exists after disposal"
    );

    // Bad submissions give typed errors with Flink's reason.
    let err = flink
        .run_jar(
            &jar_id,
            &JarRunRequest::new().entry_class("dev.flinkoperator.examples.Nope"),
        )
        .await
        .expect_err("bad class");
    rec.record_error("error-bad-entry-class", &err);
    assert!(
        matches!(
            err,
            Error::Api {
                call: "run jar",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("dev.flinkoperator.examples.Nope"),
        "{err}"
    );
    let err = flink
        .run_jar(&jar_id, &JarRunRequest::new().args(["--fail-on-start"]))
        .await
        .expect_err("failing main");
    assert!(err.to_string().contains("asked to fail on start"), "{err}");
    let bad = flink
        .upload_jar_bytes("broken.jar", b"not a zip file".to_vec())
        .await
        .expect("Flink stores any .jar");
    let err = flink
        .run_jar(&bad.jar_id(), &JarRunRequest::new())
        .await
        .expect_err("bad jar");
    assert!(
        matches!(
            err,
            Error::Api {
                status: 400..=599,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("jar file"), "{err}");
    let err = flink
        .upload_jar_bytes("job.txt", b"x".to_vec())
        .await
        .expect_err("not a .jar");
    assert!(
        matches!(
            err,
            Error::Api {
                call: "upload jar",
                status: 400,
                ..
            }
        ),
        "{err:?}"
    );
    let unknown = JobId::from_seed(b"no such job");
    assert!(
        flink
            .job_details(&unknown)
            .await
            .expect_err("unknown job")
            .is_not_found()
    );

    for jar in [&jar_id, &bad.jar_id()] {
        flink.delete_jar(jar).await.expect("delete jar");
    }
    assert!(flink.list_jars().await.expect("list").files.is_empty());
    let stopping = Instant::now();
    drop(cluster);
    eprintln!(
        "[{version}] whole scenario {:.1}s (stop {:.1}s)",
        started.elapsed().as_secs_f64(),
        stopping.elapsed().as_secs_f64()
    );
}

async fn wait_all_running(flink: &FlinkRestClient, job: &JobId) -> flink_rest::JobDetails {
    poll(|| async {
        let d = flink.job_details(job).await.expect("details");
        assert!(
            !d.state.is_terminal(),
            "job {job} ended: {:?} {:?}",
            d.state,
            flink
                .job_exceptions(job)
                .await
                .ok()
                .and_then(|e| e.latest().map(str::to_string))
        );
        d.all_vertices_running().then_some(d)
    })
    .await
}

async fn wait_state(flink: &FlinkRestClient, job: &JobId, state: JobState) {
    poll(|| async {
        (flink.job_details(job).await.expect("details").state == state).then_some(())
    })
    .await;
}

/// The per-key counts of the counter job's gauges (`<subtask>.count-per-key.count_<key>`).
async fn counts(flink: &FlinkRestClient, job: &JobId, vertex: &VertexId) -> BTreeMap<String, u64> {
    let ids: Vec<String> = flink
        .vertex_metrics(job, vertex, &[])
        .await
        .expect("metric ids")
        .into_iter()
        .map(|m| m.id)
        .filter(|id| id.contains(".count_k"))
        .collect();
    if ids.is_empty() {
        return BTreeMap::new();
    }
    let names: Vec<&str> = ids.iter().map(String::as_str).collect();
    flink
        .vertex_metrics(job, vertex, &names)
        .await
        .expect("metric values")
        .into_iter()
        .filter_map(|m| {
            let key = m.id.rsplit_once("count_")?.1.to_string();
            Some((key, m.as_f64()? as u64))
        })
        .collect()
}

async fn poll<T, F, Fut>(mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(started.elapsed() < WAIT, "not reached within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Writes raw answers as fixtures when `FLINK_REST_RECORD_FIXTURES` is set.
struct Recorder {
    dir: Option<PathBuf>,
    base: String,
}

impl Recorder {
    fn new(version: FlinkVersion, base: String) -> Self {
        let dir = std::env::var_os("FLINK_REST_RECORD_FIXTURES").map(|_| {
            let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(version.exact());
            std::fs::create_dir_all(&d).expect("fixture folder");
            d
        });
        Self { dir, base }
    }

    async fn record(&self, name: &str, path: &str) {
        let Some(dir) = &self.dir else { return };
        let body = reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        let value: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        std::fs::write(dir.join(format!("{name}.json")), format!("{value:#}\n"))
            .expect("write fixture");
    }

    fn record_error(&self, name: &str, err: &Error) {
        let Some(dir) = &self.dir else { return };
        let value = serde_json::json!({ "status": err.status(), "errors": err.flink_errors() });
        std::fs::write(dir.join(format!("{name}.json")), format!("{value:#}\n"))
            .expect("write fixture");
    }
}
