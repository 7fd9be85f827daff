//! `cargo xtask test`: the whole suite, as `.ci/run` runs it. Formatting, lints, generated
//! files and every crate's tests; the test ground starts itself from the tests that need it.

use std::process::Command;

use anyhow::{Context, bail};

/// Arguments of `cargo xtask test`.
#[derive(clap::Args)]
pub struct Args {
    /// Skip `cargo fmt --check` and clippy (for a quick local loop).
    #[arg(long)]
    pub no_lint: bool,
    /// Extra arguments passed to `cargo test` (after `--`).
    #[arg(last = true)]
    pub cargo_test_args: Vec<String>,
}

/// Runs the suite step by step and stops at the first failing step.
pub fn run(args: Args) -> anyhow::Result<()> {
    let root = testground::workspace_root();
    let mut steps: Vec<(&str, Vec<String>)> = Vec::new();
    if !args.no_lint {
        steps.push(("format", strings(&["fmt", "--all", "--", "--check"])));
        steps.push((
            "clippy",
            strings(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        ));
    }
    let mut test = strings(&["test", "--workspace", "--no-fail-fast"]);
    if !args.cargo_test_args.is_empty() {
        test.push("--".into());
        test.extend(args.cargo_test_args.iter().cloned());
    }
    steps.push((
        "generated files",
        strings(&["xtask", "generate", "--check"]),
    ));
    // Brought up as its own step so the first build of the control plane (minutes on a fresh
    // machine) shows its progress instead of hiding behind a silent test.
    steps.push(("local control plane", strings(&["xtask", "cluster", "up"])));
    steps.push(("tests", test));
    let result = run_steps(&root, steps);
    if std::env::var_os("CI").is_some() {
        // CI leaves no processes behind; locally the stack stays up so reruns are fast.
        // The node first: it stops every pod process and namespace it made.
        let _ = Command::new(env_cargo())
            .args(["xtask", "node", "down"])
            .current_dir(&root)
            .status();
        let _ = Command::new(env_cargo())
            .args(["xtask", "cluster", "down"])
            .current_dir(&root)
            .status();
    }
    result
}

fn run_steps(root: &std::path::Path, steps: Vec<(&str, Vec<String>)>) -> anyhow::Result<()> {
    for (name, cargo_args) in steps {
        eprintln!("==> {name}: cargo {}", cargo_args.join(" "));
        let status = Command::new(env_cargo())
            .args(&cargo_args)
            .current_dir(root)
            .status()
            .with_context(|| format!("running step {name}"))?;
        if !status.success() {
            bail!("step {name} failed ({status})");
        }
    }
    Ok(())
}

fn env_cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| (*s).to_string()).collect()
}
