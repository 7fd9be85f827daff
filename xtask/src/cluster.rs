//! `cargo xtask cluster` (being built under issue 6).

/// Arguments of `cargo xtask cluster`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `cargo xtask cluster`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`cargo xtask cluster` is not available yet (issue 6)")
}
