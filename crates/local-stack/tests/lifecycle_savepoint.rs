//! End to end on the local test ground (real apiserver, local node, real Flink JVMs, the
//! operator binary): savepoint upgrades, a manual savepoint, suspend/resume and delete of the
//! stateful counter job, with its per-key counts proving that state is kept at every step.

mod common;

use std::time::Duration;

use common::{Recorder, basic, counts_at_least, savepoint_location};
use local_stack::Ground;

const WAIT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread")]
async fn savepoint_upgrades_suspend_resume_and_delete_keep_state() {
    let ground = Ground::new("sp-upgrade").await.expect("test ground");
    let name = "basic";
    ground.apply(&basic(name)).await.expect("apply");
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
        .wait_counts(name, 4, &c0, WAIT)
        .await
        .expect("counts continue after upgrade 1");
    counts_at_least(&c1, &c0);
    assert_eq!(
        ground.job_id(name).await.expect("job id"),
        first_job,
        "the fixed job id is kept"
    );

    // Upgrade 2: a job argument (the rate).
    let recorder = Recorder::start(&ground, name);
    ground
        .patch_spec(
            name,
            serde_json::json!({"job": {"args": ["--keys", "4", "--rate", "30"]}}),
        )
        .await
        .expect("patch args");
    ground
        .wait_phase(name, "Running", WAIT)
        .await
        .expect("upgrade to rate 30");
    common::assert_savepoint_before_teardown(&recorder.stop().await);
    let c2 = ground
        .wait_counts(name, 4, &c1, WAIT)
        .await
        .expect("counts continue after upgrade 2");

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
        .wait_counts(name, 4, &c2, WAIT)
        .await
        .expect("counts kept across suspension");
    counts_at_least(&c3, &c2);

    // Delete: a final savepoint, recorded in an Event, then the cluster and the resource go.
    ground.delete(name).await.expect("delete");
    ground.wait_gone(name, WAIT).await.expect("deleted");
    common::wait_no_cluster(&ground, name).await;
    let events = ground.events(name).await.expect("events");
    assert!(
        events
            .iter()
            .any(|(_, reason, message)| reason.contains("Savepoint")
                && message.contains("file:/flink-data/savepoints")),
        "an Event records the final savepoint: {events:#?}"
    );
}
