//! Runs every scenario in `tests/scenarios/` (FlinkDeployment) and
//! `tests/session_scenarios/` (FlinkSessionJob) and snapshots its transcript: a story a
//! reviewer reads step by step (observation in → machine state, key status fields, actions
//! out).

mod common;

fn check(path: &std::path::Path, kind: common::Kind, name: &str) {
    let scenario = common::load(path);
    assert!(scenario.kind == kind, "{}: wrong kind", path.display());
    let records = common::run(&scenario);
    assert_eq!(records.len(), scenario.steps.len());
    insta::assert_snapshot!(name, common::transcript(&scenario, &records));
}

// One test for both folders: insta's glob! keeps process-wide state, so two of them must not
// run in parallel.
#[test]
fn scenarios() {
    insta::glob!("scenarios/*.yaml", |path| check(
        path,
        common::Kind::Deployment,
        "scenarios"
    ));
    insta::glob!("session_scenarios/*.yaml", |path| {
        check(path, common::Kind::SessionJob, "session_job_scenarios")
    });
}
