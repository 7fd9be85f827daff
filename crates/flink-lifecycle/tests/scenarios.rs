//! Runs every scenario in `tests/scenarios/` and snapshots its transcript: a story a reviewer
//! reads step by step (observation in → machine state, key status fields, actions out).

mod common;

#[test]
fn scenarios() {
    insta::glob!("scenarios/*.yaml", |path| {
        let scenario = common::load(path);
        let records = common::run(&scenario);
        assert_eq!(records.len(), scenario.steps.len());
        insta::assert_snapshot!(common::transcript(&scenario, &records));
    });
}
