//! Keeps `diagram::TABLE` and `diagram::session_job_table()` (the hand-written transition tables
//! behind `docs/state-machine.md`) in sync with the machine: every transition any scenario of
//! the kind takes must be a row of its table, and every row must be taken by some scenario.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;

use flink_crd::status::MachineState;
use flink_lifecycle::diagram::{TABLE, Transition, session_job_table};

fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the scenario folder is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

fn check(dir: &str, table: &[Transition], name_of_table: &str) {
    let rows: HashSet<(MachineState, MachineState)> =
        table.iter().map(|r| (r.from, r.to)).collect();
    assert_eq!(
        rows.len(),
        table.len(),
        "{name_of_table} has a duplicate row"
    );
    let files = scenario_files(dir);
    assert!(!files.is_empty(), "no scenarios found in {dir}");

    let mut taken: HashSet<(MachineState, MachineState)> = HashSet::new();
    let mut missing_from_table: Vec<String> = Vec::new();
    for path in &files {
        let scenario = common::load(path);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        for (i, record) in common::run(&scenario).iter().enumerate() {
            for &(from, to) in &record.transitions {
                taken.insert((from, to));
                if !rows.contains(&(from, to)) {
                    missing_from_table.push(format!("{from:?} → {to:?} ({name}, step {})", i + 1));
                }
            }
        }
    }
    assert!(
        missing_from_table.is_empty(),
        "transitions taken by the machine but absent from diagram::{name_of_table}:\n  {}",
        missing_from_table.join("\n  ")
    );
    let unexercised: Vec<String> = table
        .iter()
        .filter(|r| !taken.contains(&(r.from, r.to)))
        .map(|r| format!("{:?} → {:?} ({})", r.from, r.to, r.when))
        .collect();
    assert!(
        unexercised.is_empty(),
        "diagram::{name_of_table} rows no scenario in tests/{dir} takes (add a scenario, or drop \
         the row if the machine cannot take it):\n  {}",
        unexercised.join("\n  ")
    );
}

#[test]
fn every_transition_taken_is_in_the_table_and_every_row_is_taken() {
    check("scenarios", TABLE, "TABLE");
}

#[test]
fn session_job_transitions_match_their_table() {
    check(
        "session_scenarios",
        &session_job_table(),
        "session_job_table()",
    );
}
