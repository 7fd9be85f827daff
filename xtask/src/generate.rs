//! `cargo xtask generate` (being built under issue 3).

/// Arguments of `cargo xtask generate`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `cargo xtask generate`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`cargo xtask generate` is not available yet (issue 3)")
}
