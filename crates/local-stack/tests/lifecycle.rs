//! End to end on the local test ground (real apiserver, local node, real Flink JVMs, the
//! operator binary): the stateful counter job through upgrades, savepoints, suspension,
//! failures, rollback and deletion, with its per-key counts proving at every step whether
//! state was kept (or, for a stateless upgrade, dropped as asked).

mod common;

use std::time::Duration;

use common::{Recorder, basic, counts_at_least, job_args, savepoint_location};
use local_stack::Ground;

const WAIT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread")]
async fn savepoint_upgrades_suspend_resume_and_delete_keep_state() {
    let ground = Ground::new("sp-upgrade").await.expect("test ground");
    let name = "basic";
    ground.apply(&basic(name, &[])).await.expect("apply");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("first deploy");
    let first_job = ground.job_id(name).await.expect("job id");
    let c0 = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts");

    // Upgrade 1: parallelism. Record status and cluster objects while it happens.
    let recorder = Recorder::start(&ground, name);
    ground
        .patch_spec(name, serde_json::json!({"job": {"parallelism": 4}}))
        .await
        .expect("patch parallelism");
    let upgraded = ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("upgrade to parallelism 4");
    let samples = recorder.stop().await;
    common::assert_savepoint_before_teardown(&samples);
    let restored_from = upgraded
        .status
        .as_ref()
        .and_then(|s| s.job_status.upgrade_savepoint_path.clone())
        .or_else(|| savepoint_location(&upgraded))
        .expect("the upgrade savepoint is recorded in status");
    assert!(
        restored_from.starts_with("file:/flink-data/savepoints"),
        "{restored_from}"
    );
    let c1 = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts continue after upgrade 1");
    counts_at_least(&c1, &c0);
    // Each deployment runs its own fixed job id (derived from the resource and its deploy
    // count), so a resubmitted job is recognised and an old one never mistaken for it.
    assert_ne!(ground.job_id(name).await.expect("job id"), first_job);

    // Upgrade 2: a job argument (the rate).
    let recorder = Recorder::start(&ground, name);
    ground
        .patch_spec(
            name,
            serde_json::json!({"job": {"args": job_args(30, &[])}}),
        )
        .await
        .expect("patch args");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("upgrade to rate 30");
    common::assert_savepoint_before_teardown(&recorder.stop().await);
    let c2 = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts continue after upgrade 2");
    counts_at_least(&c2, &c1);

    // A manual savepoint: the nonce changes, a new savepoint is recorded, the job keeps running.
    let before = savepoint_location(&ground.get(name).await.expect("get"));
    ground
        .patch_spec(
            name,
            serde_json::json!({"job": {"savepointTriggerNonce": 1}}),
        )
        .await
        .expect("patch nonce");
    let manual = ground
        .wait_for(name, "a new manual savepoint", WAIT, |f| {
            savepoint_location(f).is_some() && savepoint_location(f) != before
        })
        .await
        .expect("manual savepoint");
    let history = manual
        .status
        .as_ref()
        .map(|s| s.job_status.savepoint_info.savepoint_history.len());
    assert!(
        history.unwrap_or(0) >= 1,
        "savepoint history records it: {history:?}"
    );

    // Suspend: a savepoint, then no cluster; resume: counts kept.
    ground
        .patch_spec(name, serde_json::json!({"job": {"state": "suspended"}}))
        .await
        .expect("suspend");
    let suspended = ground
        .wait_phase(name, "Suspended", WAIT)
        .await
        .expect("suspended");
    let suspend_savepoint = savepoint_location(&suspended).expect("suspend savepoint in status");
    common::wait_no_cluster(&ground, name).await;
    ground
        .patch_spec(name, serde_json::json!({"job": {"state": "running"}}))
        .await
        .expect("resume");
    let resumed = ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("resumed");
    assert_eq!(
        resumed
            .status
            .as_ref()
            .and_then(|s| s.job_status.upgrade_savepoint_path.clone())
            .as_deref(),
        Some(suspend_savepoint.as_str()),
        "resumed from the suspend savepoint"
    );
    let c3 = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts kept across suspension");
    counts_at_least(&c3, &c2);

    // Delete: a final savepoint, recorded in an Event, then the cluster and the resource go.
    let before = common::savepoint_events(&ground, name).await;
    ground.delete(name).await.expect("delete");
    ground.wait_gone(name, WAIT).await.expect("deleted");
    common::wait_no_cluster(&ground, name).await;
    let new: Vec<String> = common::savepoint_events(&ground, name)
        .await
        .difference(&before)
        .cloned()
        .collect();
    assert!(
        new.iter().any(|m| m.contains("stop-with-savepoint") && m.contains("file:/flink-data/savepoints")),
        "an Event records the final savepoint's location: {new:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn periodic_savepoints_last_state_and_stateless_upgrades_then_delete_by_cancel() {
    let ground = Ground::new("last-state").await.expect("test ground");
    let name = "counter";
    let mut fdep = basic(
        name,
        &[
            ("kubernetes.operator.periodic.savepoint.interval", "4s"),
            ("kubernetes.operator.savepoint.history.max.count", "2"),
        ],
    );
    let job = fdep.spec.job.as_mut().expect("job");
    job.upgrade_mode = flink_crd::UpgradeMode::LastState;
    job.delete_mode = Some(flink_crd::DeleteMode::Cancel);
    ground.apply(&fdep).await.expect("apply");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("first deploy");

    // Periodic savepoints: several are taken, the history keeps at most 2, newest last.
    let mut seen = std::collections::BTreeSet::new();
    let with_history = ground
        .wait_for(name, "three periodic savepoints", WAIT, |f| {
            if let Some(l) = savepoint_location(f) {
                seen.insert(l);
            }
            seen.len() >= 3
        })
        .await
        .expect("periodic savepoints");
    let history = &with_history
        .status
        .as_ref()
        .expect("status")
        .job_status
        .savepoint_info
        .savepoint_history;
    assert!(
        !history.is_empty() && history.len() <= 2,
        "history is bounded to 2: {history:?}"
    );
    assert_eq!(
        history.last().map(|s| &s.location),
        savepoint_location(&with_history).as_ref()
    );

    // Last-state upgrade: resumes from the newest checkpoint (or a newer savepoint).
    let c0 = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts");
    // Wait for a checkpoint taken after c0 was read, so the restored state includes c0.
    let flink = ground.rest(name).await.expect("rest");
    let job_id = ground.job_id(name).await.expect("job id");
    let checkpoint_before = flink
        .latest_checkpoint_path(&job_id)
        .await
        .expect("checkpoints");
    common::wait_new_checkpoint(&flink, &job_id, checkpoint_before).await;
    ground
        .patch_spec(name, serde_json::json!({"job": {"parallelism": 3}}))
        .await
        .expect("patch parallelism");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("last-state upgrade");
    let c1 = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts continue from the checkpoint");
    counts_at_least(&c1, &c0);
    let restored = ground
        .rest(name)
        .await
        .expect("rest")
        .checkpoint_statistics(&ground.job_id(name).await.expect("job id"))
        .await
        .expect("checkpoint statistics")
        .latest
        .restored;
    assert!(
        restored.is_some(),
        "a last-state upgrade restores the job from a snapshot"
    );

    // Stateless upgrade: the job starts from empty state, as asked.
    ground
        .patch_spec(
            name,
            serde_json::json!({"job": {"upgradeMode": "stateless", "args": job_args(21, &[])}}),
        )
        .await
        .expect("patch to stateless");
    let fresh = ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("stateless upgrade");
    let plan =
        serde_json::to_string(&fresh.status.as_ref().expect("status").machine).expect("json");
    // The JobManager's own record says whether the job was restored from anything; the
    // counts cannot, since periodic savepoints keep the phase busy long enough for a job
    // counting from zero to pass the old counts.
    let flink = ground.rest(name).await.expect("rest");
    let job = ground.job_id(name).await.expect("job id");
    let stats = flink
        .checkpoint_statistics(&job)
        .await
        .expect("checkpoint statistics");
    assert!(
        stats.latest.restored.is_none(),
        "a stateless upgrade starts from empty state, yet the job was restored from {:?} ({plan})",
        stats.latest.restored
    );
    ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts after stateless");

    // Delete with deleteMode cancel: no final savepoint.
    let before = common::savepoint_events(&ground, name).await;
    ground.delete(name).await.expect("delete");
    ground.wait_gone(name, WAIT).await.expect("deleted");
    common::wait_no_cluster(&ground, name).await;
    let new: Vec<String> = common::savepoint_events(&ground, name)
        .await
        .difference(&before)
        .cloned()
        .collect();
    assert!(
        !new.iter().any(|m| m.contains("stop-with-savepoint")),
        "deleteMode cancel takes no final savepoint: {new:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_that_keeps_failing_is_rolled_back_with_state_kept() {
    let ground = Ground::new("rollback").await.expect("test ground");
    let name = "counter";
    let fdep = basic(
        name,
        &[
            ("kubernetes.operator.deployment.rollback.max-restarts", "2"),
            ("kubernetes.operator.deployment.stability.window", "30s"),
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "1000"),
            ("restart-strategy.fixed-delay.delay", "1s"),
        ],
    );
    ground.apply(&fdep).await.expect("apply");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("first deploy");
    let c0 = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts");
    // Only a spec that ran through its stability window is one to roll back to.
    ground
        .wait_for(name, "the first spec to be STABLE", WAIT, |f| {
            f.status.as_ref().and_then(|s| s.lifecycle_state)
                == Some(flink_crd::status::ResourceLifecycleState::Stable)
        })
        .await
        .expect("stable");

    ground
        .patch_spec(
            name,
            serde_json::json!({"job": {"args": job_args(20, &["--fail-in-task"])}}),
        )
        .await
        .expect("patch a failing argument");
    ground
        .wait_for(name, "the rollback to start", WAIT, |f| {
            local_stack::phase_of(f) == "RollingBack"
        })
        .await
        .expect("rolling back");
    let back = ground
        .wait_for(name, "Running on the last stable spec", WAIT, |f| {
            local_stack::phase_of(f) == "Running"
        })
        .await
        .expect("rolled back");
    let lifecycle = serde_json::to_string(&back.status.as_ref().expect("status")).expect("json");
    assert!(
        lifecycle.contains("RolledBack") || lifecycle.contains("ROLLED_BACK"),
        "status says it rolled back: {lifecycle}"
    );
    let c1 = ground
        .wait_counts(name, 4, &Default::default(), WAIT)
        .await
        .expect("counts kept across the rollback");
    counts_at_least(&c1, &c0);
    let events = ground.events(name).await.expect("events");
    assert!(
        events
            .iter()
            .any(|(kind, reason, _)| kind == "Warning" && reason == "RollingBack"),
        "a Warning Event says the upgrade is rolled back: {events:#?}"
    );
    assert!(
        events.iter().any(|(_, reason, _)| reason == "RolledBack"),
        "an Event says the rollback finished: {events:#?}"
    );
}
