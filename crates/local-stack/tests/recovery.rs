//! Job failure recovery end to end: the TaskManager and JobManager processes are killed with
//! SIGKILL on the local node; the job comes back with its state, and failures beyond the
//! configured count end in Failed with a message that says so.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{basic, counts_at_least, set_checkpoint_interval};
use local_stack::Ground;

const WAIT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread")]
async fn killed_taskmanager_and_jobmanager_come_back_with_state_then_fail_when_it_repeats() {
    let ground = Ground::new("recovery").await.expect("test ground");
    let name = "counter";
    let mut fdep = basic(
        name,
        &[
            // One recovery per window; the second failure ends in Failed.
            ("kubernetes.operator.job.failure.max-count", "1"),
            ("kubernetes.operator.job.failure.window", "30m"),
            // Newer checkpoints reach status once per reconcile: keep that short here.
            ("kubernetes.operator.reconcile.interval", "3s"),
            // A TaskManager restarted in place keeps its address; the JobManager then notices
            // the lost one by its heartbeat timeout (50 s by default).
            ("heartbeat.interval", "2000"),
            ("heartbeat.timeout", "15000"),
        ],
    );
    // The restore point after the JobManager kill is the checkpoint in status, which must still
    // exist: Flink keeps 3 (the operator's default) and the operator looks again before two
    // newer ones complete. Flink's checkpoint statistics are cached for 3 s
    // (`web.refresh-interval`), so checkpoints every 2 s (the other tests' pace) could complete
    // faster than any look can see them; a user would checkpoint less often or keep more.
    set_checkpoint_interval(&mut fdep, 5000);
    ground.apply(&fdep).await.expect("apply");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("first deploy");
    let c0 = counts(&ground, name).await;

    // TaskManager lost: Flink itself restarts the job from its newest checkpoint once the
    // node has restarted the container; the operator has nothing to do.
    let flink = ground.rest(name).await.expect("rest");
    let job = ground.job_id(name).await.expect("job id");
    let before = flink
        .latest_checkpoint_path(&job)
        .await
        .expect("checkpoints");
    common::wait_new_checkpoint(&flink, &job, before).await;
    let tms = ground
        .main_container_pids(name, "taskmanager")
        .await
        .expect("TaskManager pids");
    assert!(!tms.is_empty(), "a TaskManager process runs");
    for pid in &tms {
        testground::kill_pid(*pid);
    }
    wait_restarted(&flink, &job).await;
    let c1 = counts(&ground, name).await;
    counts_at_least(&c1, &c0);
    assert_eq!(
        ground.job_id(name).await.expect("job id"),
        job,
        "a TaskManager loss is Flink's to handle: same job"
    );

    // JobManager lost: without HA the restarted JobManager would run the job from its
    // deploy-time restore point (here: empty state); the operator redeploys from the newest
    // checkpoint recorded in status instead. Wait until status holds one taken after c1.
    let c1_read = now_ms();
    ground
        .wait_for(name, "a checkpoint newer than c1 in status", WAIT, |f| {
            f.status
                .as_ref()
                .and_then(|s| s.job_status.checkpoint_info.last_checkpoint.as_ref())
                .is_some_and(|c| c.time_stamp > c1_read)
        })
        .await
        .expect("checkpoint recorded");
    kill_jobmanager(&ground, name).await;
    ground
        .wait_for(name, "recovery with a new job", WAIT, |f| {
            f.status
                .as_ref()
                .and_then(|s| s.job_status.job_id.as_deref())
                .is_some_and(|id| id != job.to_string())
        })
        .await
        .expect("recovering");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("recovered");
    let c2 = counts(&ground, name).await;
    counts_at_least(&c2, &c1);
    let events = ground.events(name).await.expect("events");
    assert!(
        events
            .iter()
            .any(|(kind, reason, message)| kind == "Warning"
                && reason == "JobFailed"
                && message.contains("JobManager restarted")),
        "a Warning Event says the JobManager restarted: {events:#?}"
    );

    // A second failure within the window: no more recovery, Failed with the reason.
    kill_jobmanager(&ground, name).await;
    let failed = ground
        .wait_for(name, "Failed after a repeated failure", WAIT, |f| {
            local_stack::phase_of(f) == "Failed"
        })
        .await
        .expect("failed");
    let error = failed
        .status
        .as_ref()
        .and_then(|s| s.error.clone())
        .unwrap_or_default();
    assert!(
        error.contains("failed 2 times") && error.contains("not recovering again"),
        "the status says why it stopped recovering: {error}"
    );
}

/// The job's first complete counts: read at once, so a job that lost its state (counting
/// from zero) cannot catch up before the comparison.
async fn counts(ground: &Ground, name: &str) -> BTreeMap<String, u64> {
    ground
        .wait_counts(name, 4, &BTreeMap::new(), WAIT)
        .await
        .expect("counts")
}

async fn kill_jobmanager(ground: &Ground, name: &str) {
    let jms = ground
        .main_container_pids(name, "jobmanager")
        .await
        .expect("JobManager pids");
    assert_eq!(jms.len(), 1, "one JobManager process: {jms:?}");
    testground::kill_pid(jms[0]);
}

/// Waits until the JobManager lists a failure of the job (the lost TaskManager) and all its
/// vertices run again. The exception history is the JobManager's own state; `numRestarts`
/// comes through the metric fetcher, which can stall on the dead TaskManager's metric service.
async fn wait_restarted(flink: &flink_rest::FlinkRestClient, job: &flink_rest::JobId) {
    let started = Instant::now();
    loop {
        let failures = flink
            .job_exceptions(job)
            .await
            .map(|e| e.exception_history.entries.len())
            .unwrap_or(0);
        let details = flink.job_details(job).await;
        let running = details.as_ref().is_ok_and(|d| d.all_vertices_running());
        if failures >= 1 && running {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "the job did not restart after the TaskManager was killed: {failures} failures, {:?}",
            details.map(|d| (d.state, d.vertices))
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
