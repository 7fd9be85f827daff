//! One `step` of a steady Running deployment, one upgrade step (spec changed → stop with
//! savepoint) and the spec hash alone (computed once per generation, so part of the upgrade
//! step). Run: `cargo bench -p flink-lifecycle --bench step`.

use criterion::{Criterion, criterion_group, criterion_main};
use flink_crd::FlinkDeploymentSpec;
use flink_lifecycle::{
    ClusterObservation, Component, FlinkJobState, JobFacts, JobObservation, Observation, step,
};
use k8s_openapi::jiff::Timestamp;
use std::hint::black_box;

fn spec(parallelism: i32) -> FlinkDeploymentSpec {
    serde_json::from_value(serde_json::json!({
        "image": "flink:2.2",
        "flinkVersion": "v2_2",
        "flinkConfiguration": {"execution.checkpointing.savepoint-dir": "s3://b/sp"},
        "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "parallelism": parallelism, "upgradeMode": "savepoint"}
    }))
    .expect("bench spec parses")
}

fn bench(c: &mut Criterion) {
    let t0: Timestamp = "2026-01-01T00:00:00Z".parse().expect("timestamp");
    let s = spec(2);
    let mut obs = Observation::new("bench-uid", 1);
    obs.settings.savepoint_dir = Some("s3://b/sp".into());
    let first = step(&s, &Default::default(), &obs, t0);
    obs.cluster = ClusterObservation {
        exists: true,
        spec_hash: Some(flink_lifecycle::spec_hash(&s)),
        job_manager: Component::Ready,
        task_manager: Component::Ready,
        pod_failure: None,
        job_manager_restarts: 0,
    };
    obs.job = JobObservation::Found(JobFacts {
        id: first.status.job_status.job_id.clone().expect("job id"),
        state: FlinkJobState::Running,
        tasks_running: true,
        restarts: 0,
        last_checkpoint: None,
        failure: None,
    });
    let running = step(
        &s,
        &first.status,
        &obs,
        t0 + k8s_openapi::jiff::SignedDuration::from_secs(30),
    );
    let steady = step(
        &s,
        &running.status,
        &obs,
        t0 + k8s_openapi::jiff::SignedDuration::from_secs(600),
    )
    .status;
    let later = t0 + k8s_openapi::jiff::SignedDuration::from_secs(660);
    c.bench_function("step/steady_running", |b| {
        b.iter(|| step(black_box(&s), black_box(&steady), black_box(&obs), later))
    });
    c.bench_function("spec_hash", |b| {
        b.iter(|| flink_lifecycle::spec_hash(black_box(&s)))
    });
    let changed = spec(4);
    let mut obs2 = obs.clone();
    obs2.generation = 2;
    c.bench_function("step/upgrade_start", |b| {
        b.iter(|| {
            step(
                black_box(&changed),
                black_box(&steady),
                black_box(&obs2),
                later,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
