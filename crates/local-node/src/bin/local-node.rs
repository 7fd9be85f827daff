//! The local node daemon: `local-node --kubeconfig K --dir D [--node-name N]`. Started in
//! the background by `local_node::NodeHandle::start` (or `cargo xtask node up`).

use std::path::PathBuf;

use clap::Parser;

/// Arguments of the daemon.
#[derive(Parser)]
#[command(
    name = "local-node",
    about = "A kubelet stand-in that runs pods as local processes"
)]
struct Args {
    /// The control plane's kubeconfig.
    #[arg(long)]
    kubeconfig: PathBuf,
    /// The node's state folder.
    #[arg(long)]
    dir: PathBuf,
    /// The Node's name.
    #[arg(long, default_value = local_node::NODE_NAME)]
    node_name: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(false)
        .init();
    let args = Args::parse();
    local_node::daemon::run(local_node::DaemonConfig {
        kubeconfig: args.kubeconfig,
        dir: args.dir,
        node_name: args.node_name,
    })
    .await?;
    Ok(())
}
