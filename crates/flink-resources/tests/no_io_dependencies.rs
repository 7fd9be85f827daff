//! The builders stay pure: their normal dependency tree holds no async runtime, HTTP or
//! Kubernetes client crate. Runs the real `cargo tree` of this workspace.

#[test]
fn no_io_crates_in_the_dependency_tree() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "-p",
            "flink-resources",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.contains("k8s-openapi"),
        "unexpected cargo tree output:\n{tree}"
    );
    let forbidden = [
        "tokio",
        "reqwest",
        "hyper",
        "kube-client",
        "kube-runtime",
        "mio",
    ];
    let found: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| forbidden.contains(name))
        .collect();
    assert!(
        found.is_empty(),
        "flink-resources must not depend on {found:?}:\n{tree}"
    );
}
