//! `cargo xtask node up|down|status`: the local node (a kubelet stand-in running pods as local
//! processes) for the local control plane, state in `target/testground/node/`.

use anyhow::Context;
use local_cluster::{LocalCluster, Settings};

/// Arguments of `cargo xtask node`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Bring the control plane up if needed, build the `local-node` daemon and start it (or
    /// attach to the running one). Needs root (network namespaces, mounts).
    Up,
    /// Stop the daemon, every pod process it started and every network namespace it made.
    Down,
    /// Say what runs.
    Status,
}

/// Runs `cargo xtask node`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let dir = local_node::default_dir();
    match args.command {
        Command::Up => {
            let runtime = tokio::runtime::Runtime::new().context("starting an async runtime")?;
            let started = std::time::Instant::now();
            let node = runtime.block_on(async {
                let cluster = LocalCluster::up(&Settings::default())
                    .await
                    .context("bringing the control plane up")?;
                local_node::NodeHandle::start(&cluster)
                    .await
                    .context("starting the local node")
            })?;
            let verb = if node.was_started() {
                "started"
            } else {
                "already running"
            };
            println!(
                "local node {} {verb} in {:.1}s (pid {}); log: {}",
                node.name(),
                started.elapsed().as_secs_f64(),
                node.pid(),
                node.log_path().display()
            );
            println!("pods bound to it run as processes; `cargo xtask node down` stops them all");
            Ok(())
        }
        Command::Down => {
            let cleaned = local_node::down(&dir)?;
            println!(
                "local node stopped: {} pod process(es) stopped, {} network namespace(s) removed",
                cleaned.processes, cleaned.namespaces
            );
            Ok(())
        }
        Command::Status => {
            print!("{}", local_node::status(&dir));
            Ok(())
        }
    }
}
