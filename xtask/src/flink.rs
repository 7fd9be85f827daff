//! `cargo xtask flink` (being built under issue 5).

/// Arguments of `cargo xtask flink`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `cargo xtask flink`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`cargo xtask flink` is not available yet (issue 5)")
}
