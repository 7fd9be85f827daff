//! Real answers of Flink 1.20.5 and 2.3.0 (recorded by `tests/real_flink.rs` with
//! `FLINK_REST_RECORD_FIXTURES=1`) decode into this crate's types.

use std::path::PathBuf;

use serde::de::DeserializeOwned;

use super::async_op::{AsyncOperation, CheckpointOperation, QueueStatusId, SavepointOperation};
use super::*;

const VERSIONS: [&str; 2] = ["1.20.5", "2.3.0"];

fn fixture<T: DeserializeOwned>(version: &str, name: &str) -> T {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/{version}/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn cluster_answers_decode() {
    for v in VERSIONS {
        let o: ClusterOverview = fixture(v, "overview");
        assert_eq!(o.flink_version, v);
        let c: DashboardConfig = fixture(v, "config");
        assert_eq!(c.flink_version, v);
        let t: TaskManagers = fixture(v, "taskmanagers");
        assert_eq!(t.taskmanagers[0].slots_number, 2);
        let j: JarList = fixture(v, "jars");
        assert_eq!(j.files.len(), 1);
    }
}

#[test]
fn job_answers_decode() {
    for v in VERSIONS {
        let d: JobDetails = fixture(v, "job-details");
        assert!(d.all_vertices_running(), "{v}");
        assert_eq!(
            d.application_id.is_some(),
            v.starts_with('2'),
            "{v}: applicationId only in 2.x"
        );
        let o: JobsOverview = fixture(v, "jobs-overview");
        assert_eq!(o.jobs[0].state, JobState::Running);
        let e: JobExceptions = fixture(v, "job-exceptions");
        assert_eq!(e.latest(), None);
        let c: JobConfig = fixture(v, "job-config");
        assert_eq!(c.jid, d.jid);
        let cc: CheckpointConfig = fixture(v, "checkpoints-config");
        assert!(cc.periodic());
        let s: CheckpointingStatistics = fixture(v, "checkpoints");
        assert!(
            s.latest.savepoint.and_then(|p| p.external_path).is_some(),
            "{v}"
        );
        let m: Vec<Metric> = fixture(v, "job-metrics");
        assert_eq!(m[0].as_f64(), Some(0.0));
        let vm: Vec<Metric> = fixture(v, "vertex-metrics");
        assert!(
            vm.iter().any(|m| m.id.ends_with("count-per-key.count_k0")),
            "{v}"
        );
    }
}

#[test]
fn operation_answers_decode() {
    for v in VERSIONS {
        let sp: AsyncOperation<SavepointOperation> = fixture(v, "savepoint-status");
        assert_eq!(sp.status.id, QueueStatusId::Completed);
        assert!(
            sp.operation
                .and_then(|o| o.location)
                .is_some_and(|l| l.contains("savepoint-"))
        );
        let cp: AsyncOperation<CheckpointOperation> = fixture(v, "checkpoint-status");
        assert!(cp.operation.and_then(|o| o.checkpoint_id).is_some());
    }
}
