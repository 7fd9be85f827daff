//! `cargo xtask flink`: real Flink on this machine (does IO: downloads, processes). Fetch a
//! distribution from PyPI into the per-user cache, start a local standalone cluster, stop it.

use std::time::Instant;

use anyhow::Context;
use local_flink::{ClusterInfo, ClusterOptions, FlinkVersion, LocalFlinkCluster};

/// Arguments of `cargo xtask flink`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Download Flink from PyPI and assemble a FLINK_HOME in the cache (once per version).
    Fetch {
        /// The Flink line: 1.20 or 2.x (default: both).
        #[arg(long)]
        flink: Option<FlinkVersion>,
    },
    /// Start a JobManager and a TaskManager on 127.0.0.1 and print the REST URL; they keep
    /// running until `cargo xtask flink down`.
    Up {
        /// The Flink line: 1.20 or 2.x.
        #[arg(long, default_value = "2.x")]
        flink: FlinkVersion,
        /// Task slots of the TaskManager.
        #[arg(long, default_value_t = 2)]
        slots: u32,
    },
    /// Stop the cluster(s) started by `up`, by PID.
    Down,
}

/// Runs `cargo xtask flink`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Fetch { flink } => {
            let versions = flink
                .map(|v| vec![v])
                .unwrap_or_else(|| FlinkVersion::ALL.to_vec());
            for v in versions {
                let started = Instant::now();
                let home = local_flink::ensure_distribution(v)
                    .with_context(|| format!("fetching Flink {v}"))?;
                let jar = local_flink::build_job_jar(v)
                    .with_context(|| format!("building the job jar for Flink {v}"))?;
                println!(
                    "Flink {v}: FLINK_HOME={} ({:.1}s)",
                    home.display(),
                    started.elapsed().as_secs_f64()
                );
                println!("Flink {v}: job jar {}", jar.display());
            }
            Ok(())
        }
        Command::Up { flink, slots } => {
            let dir = state_dir();
            for v in FlinkVersion::ALL {
                // One cluster per version at a time: `up` again replaces the old one.
                LocalFlinkCluster::stop_recorded(&dir.join(name(v)))?;
            }
            let started = Instant::now();
            let opts = ClusterOptions::new(flink, name(flink))
                .slots(slots)
                .base_dir(&dir);
            let info = LocalFlinkCluster::start(opts)
                .context("starting Flink")?
                .detach();
            eprintln!(
                "Flink {flink} ready in {:.1}s; logs in {}",
                started.elapsed().as_secs_f64(),
                info.dir.join("log").display()
            );
            println!("{}", info.rest_url());
            Ok(())
        }
        Command::Down => {
            let dir = state_dir();
            for v in FlinkVersion::ALL {
                let cluster = dir.join(name(v));
                let rest = ClusterInfo::read(&cluster).map(|i| i.rest_url()).ok();
                if LocalFlinkCluster::stop_recorded(&cluster)? {
                    eprintln!(
                        "stopped Flink {v}{}",
                        rest.map(|r| format!(" at {r}")).unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
    }
}

fn state_dir() -> std::path::PathBuf {
    testground::state_dir().join("flink")
}

fn name(v: FlinkVersion) -> String {
    format!("xtask-{}", v.line())
}
