//! Keeps `diagram::TABLE` (the hand-written transition table behind `docs/state-machine.md`)
//! in sync with the machine: every transition any scenario takes must be a row of the table,
//! and every row must be taken by some scenario.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;

use flink_crd::status::MachineState;
use flink_lifecycle::diagram::TABLE;

fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scenarios is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_transition_taken_is_in_the_table_and_every_row_is_taken() {
    let rows: HashSet<(MachineState, MachineState)> =
        TABLE.iter().map(|r| (r.from, r.to)).collect();
    assert_eq!(rows.len(), TABLE.len(), "TABLE has a duplicate row");
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenarios found");

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
        "transitions taken by the machine but absent from diagram::TABLE:\n  {}",
        missing_from_table.join("\n  ")
    );
    let unexercised: Vec<String> = TABLE
        .iter()
        .filter(|r| !taken.contains(&(r.from, r.to)))
        .map(|r| format!("{:?} → {:?} ({})", r.from, r.to, r.when))
        .collect();
    assert!(
        unexercised.is_empty(),
        "diagram::TABLE rows no scenario takes (add a scenario, or drop the row if the machine \
         cannot take it):\n  {}",
        unexercised.join("\n  ")
    );
}
