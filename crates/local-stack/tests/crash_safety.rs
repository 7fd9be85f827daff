//! Crash safety of a savepoint upgrade, end to end: the operator is killed with SIGKILL at each
//! distinct step of the upgrade, restarted, and every time the job must come back from the
//! newest savepoint with its state kept and exactly one job.

mod common;

use std::time::{Duration, Instant};

use common::{basic, counts_at_least, savepoint_location};
use flink_rest::{JobState, OperationStatus};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use local_stack::Ground;

const WAIT: Duration = Duration::from_secs(240);

/// Where in the upgrade the operator dies.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// Flink knows the stop-with-savepoint trigger (it may have completed already).
    SavepointTriggered,
    /// Flink reports the stop's savepoint completed or the old job FINISHED (the job stops
    /// with its savepoint). Both are asked: the job's state comes from a cache refreshed every
    /// few seconds (`web.refresh-interval`), and an operator polling every second may already
    /// have deleted the cluster before that cache says FINISHED.
    JobStopped,
    /// The old JobManager Deployment is gone.
    ClusterDeleted,
    /// The new JobManager Deployment exists but its pod is not ready yet.
    NewClusterStarting,
    /// The savepoint completed and the machine decided to tear the old cluster down, but the
    /// status recording that (phase Updating, the savepoint's location) was never written:
    /// the operator's `--fail-point` aborts it there, since no outside kill can be timed to
    /// land between a decision and its write.
    BeforeStatusWrite,
}

const POINTS: [KillPoint; 5] = [
    KillPoint::SavepointTriggered,
    KillPoint::JobStopped,
    KillPoint::ClusterDeleted,
    KillPoint::NewClusterStarting,
    KillPoint::BeforeStatusWrite,
];

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_operator_at_each_step_of_a_savepoint_upgrade_loses_nothing() {
    let mut ground = Ground::new("crash").await.expect("test ground");
    let name = "counter";
    ground.apply(&basic(name, &[])).await.expect("apply");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("first deploy");
    let mut counts = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts");
    let mut tested = 0;

    for (i, point) in POINTS.iter().enumerate() {
        let flink = ground.rest(name).await.expect("rest");
        let job = ground.job_id(name).await.expect("job id");
        let parallelism = if i % 2 == 0 { 3 } else { 2 };
        let fail_point = matches!(point, KillPoint::BeforeStatusWrite);
        if fail_point {
            ground.operator.stop(Duration::from_secs(10));
            ground
                .operator
                .restart_with(vec![
                    "--fail-point".into(),
                    "before-status-write:Updating".into(),
                ])
                .expect("restart the operator with a fail point");
        }
        ground
            .patch_spec(
                name,
                serde_json::json!({"job": {"parallelism": parallelism}}),
            )
            .await
            .expect("patch");
        if fail_point {
            let started = Instant::now();
            while ground.operator.alive() {
                assert!(started.elapsed() < WAIT, "the fail point was never hit");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let status = ground.get(name).await.expect("get").status;
            assert_eq!(
                status
                    .and_then(|s| s.phase)
                    .map(|p| format!("{p:?}"))
                    .as_deref(),
                Some("Savepointing"),
                "the abort came before the status write that leaves Savepointing"
            );
            ground
                .operator
                .restart_with(Vec::new())
                .expect("restart the operator");
        } else {
            wait_for_point(&ground, name, &flink, &job, *point).await;
            ground.operator.kill9();
            assert!(!ground.operator.alive(), "{point:?}: the operator is dead");
            ground.operator.restart().expect("restart the operator");
        }
        tested += 1;

        let done = ground
            .wait_for(
                name,
                &format!("Running at parallelism {parallelism} after a kill at {point:?}"),
                WAIT,
                |f| {
                    local_stack::phase_of(f) == "Running"
                        && f.status.as_ref().and_then(|s| s.observed_generation)
                            == f.metadata.generation
                        && f.status
                            .as_ref()
                            .and_then(|s| s.job_status.state.as_deref())
                            == Some("RUNNING")
                },
            )
            .await
            .expect("the upgrade completes after the restart");
        let newest = savepoint_location(&done).expect("a savepoint in status");
        let restored = done
            .status
            .as_ref()
            .and_then(|s| s.job_status.upgrade_savepoint_path.clone());
        assert_eq!(
            restored.as_deref(),
            Some(newest.as_str()),
            "{point:?}: restored from the newest savepoint"
        );

        let flink = ground.rest(name).await.expect("rest of the new cluster");
        let jobs = flink.jobs_overview().await.expect("jobs");
        let running: Vec<_> = jobs
            .jobs
            .iter()
            .filter(|j| j.state == JobState::Running)
            .collect();
        assert_eq!(
            running.len(),
            1,
            "{point:?}: exactly one running job: {jobs:?}"
        );
        let deployments: Api<Deployment> = Api::namespaced(ground.client.clone(), ground.ns());
        let jm = deployments.get(name).await.expect("JobManager Deployment");
        assert_eq!(
            jm.spec.and_then(|s| s.replicas),
            Some(1),
            "{point:?}: one JobManager"
        );

        let next = ground
            .wait_counts(name, 4, &Default::default(), WAIT)
            .await
            .expect("state kept");
        counts_at_least(&next, &counts);
        counts = next;
    }
    println!("kill points tested: {tested}");
    assert_eq!(tested, POINTS.len());
}

async fn wait_for_point(
    ground: &Ground,
    name: &str,
    flink: &flink_rest::FlinkRestClient,
    job: &flink_rest::JobId,
    point: KillPoint,
) {
    let deployments: Api<Deployment> = Api::namespaced(ground.client.clone(), ground.ns());
    let started = Instant::now();
    let old_uid = deployments
        .get(name)
        .await
        .expect("old JobManager")
        .metadata
        .uid;
    loop {
        let reached = match point {
            KillPoint::SavepointTriggered => {
                matches!(
                    stop_trigger_status(ground, name, flink, job).await,
                    Some(Ok(_))
                )
            }
            KillPoint::JobStopped => {
                matches!(
                    stop_trigger_status(ground, name, flink, job).await,
                    Some(Ok(OperationStatus::Completed(_)))
                ) || matches!(
                    flink.job_details(job).await.map(|d| d.state),
                    Ok(JobState::Finished)
                )
            }
            KillPoint::ClusterDeleted => deployments.get_opt(name).await.expect("get").is_none(),
            KillPoint::BeforeStatusWrite => true,
            KillPoint::NewClusterStarting => match deployments.get_opt(name).await.expect("get") {
                Some(d) if d.metadata.uid != old_uid => {
                    d.status.and_then(|s| s.ready_replicas).unwrap_or(0) == 0
                }
                _ => false,
            },
        };
        if reached {
            return;
        }
        assert!(started.elapsed() < WAIT, "{point:?} was never reached");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What Flink says about the stop-with-savepoint trigger recorded in status, once there is one.
async fn stop_trigger_status(
    ground: &Ground,
    name: &str,
    flink: &flink_rest::FlinkRestClient,
    job: &flink_rest::JobId,
) -> Option<flink_rest::Result<OperationStatus<String>>> {
    let status = ground.get(name).await.expect("get").status?;
    let trigger = status.job_status.savepoint_info.trigger_id?;
    let trigger = flink_rest::TriggerId::parse(&trigger).ok()?;
    Some(flink.savepoint_status(job, &trigger).await)
}
