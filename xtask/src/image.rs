//! `cargo xtask image build [--all | <name>...]`: the local node's images, folders in the
//! per-user cache named like container images (Flink distribution + job jars).

use anyhow::bail;

/// Arguments of `cargo xtask image`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Build images (fetching Flink and building the job jar first if needed).
    Build {
        /// Build every known image.
        #[arg(long)]
        all: bool,
        /// Image names, e.g. `flink-operator-rs/counter-job:1.20`.
        names: Vec<String>,
    },
    /// List the images the node knows.
    List,
}

/// Runs `cargo xtask image`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::List => {
            for name in local_node::images::KNOWN {
                println!("{name}");
            }
            Ok(())
        }
        Command::Build { all, names } => {
            let names: Vec<String> = if all {
                local_node::images::KNOWN
                    .iter()
                    .filter(|n| !n.contains('<'))
                    .map(|n| (*n).to_string())
                    .collect()
            } else {
                names
            };
            if names.is_empty() {
                bail!("name an image or pass --all (see `cargo xtask image list`)");
            }
            for name in names {
                let started = std::time::Instant::now();
                let dir = local_node::images::ensure_image(&name)?;
                println!(
                    "{name}: {} ({:.1}s)",
                    dir.display(),
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
    }
}
