//! The builders stay pure: their normal dependency tree holds no async runtime, HTTP or
//! Kubernetes client crate. Runs the real `cargo tree` of this workspace.

#[test]
fn no_io_crates_in_the_dependency_tree() {
    let forbidden = [
        "tokio",
        "reqwest",
        "hyper",
        "kube-client",
        "kube-runtime",
        "mio",
    ];
    if let Err(e) = testground::check_dependency_tree("flink-resources", "k8s-openapi", &forbidden)
    {
        panic!("{e}");
    }
}
