//! CI check: the machine's normal dependency tree holds no IO, clock or randomness crates.
//! Runs the real `cargo tree` of this workspace.

#[test]
fn no_io_clock_or_randomness_in_the_dependency_tree() {
    let forbidden = [
        "tokio",
        "reqwest",
        "hyper",
        "kube-client",
        "rand",
        "getrandom",
    ];
    if let Err(e) = testground::check_dependency_tree("flink-lifecycle", "statig", &forbidden) {
        panic!("{e}");
    }
}
