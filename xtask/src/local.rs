//! `cargo xtask local up|down|status`: the whole local test ground at once — the control
//! plane, the local node and the operator (watching every namespace, reaching JobManagers by
//! pod address) — for exploring with kubectl.

use std::time::Duration;

use anyhow::Context;
use local_cluster::{LocalCluster, Settings};
use local_stack::{OperatorOptions, OperatorProcess};

/// Arguments of `cargo xtask local`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Start (or reuse) the control plane and the node, and (re)start the operator.
    Up,
    /// Stop the operator, the node (and every pod process) and the control plane, by PID.
    Down,
    /// Say what runs.
    Status,
}

/// The operator's instance name: its pid and log files are `target/testground/operator/local.*`.
const INSTANCE: &str = "local";

/// Runs `cargo xtask local`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Up => up(),
        Command::Down => down(),
        Command::Status => {
            let settings = Settings::default();
            print!("{}", LocalCluster::status(&settings.dir));
            print!("{}", local_node::status(&local_node::default_dir()));
            match operator_pid() {
                Some(pid) => println!("operator: running (pid {pid})"),
                None => println!("operator: not running"),
            }
            Ok(())
        }
    }
}

fn pid_file() -> std::path::PathBuf {
    testground::state_dir()
        .join("operator")
        .join(format!("{INSTANCE}.pid"))
}

fn operator_pid() -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file())
        .ok()?
        .trim()
        .parse()
        .ok()?;
    testground::pid_alive(pid).then_some(pid)
}

fn up() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting an async runtime")?;
    let cluster = runtime.block_on(LocalCluster::up(&Settings::default()))?;
    println!("control plane: {}", cluster.apiserver_url());
    let node = runtime.block_on(local_node::NodeHandle::start(&cluster))?;
    println!("local node: {} (pid {})", node.name(), node.pid());
    if let Some(pid) = operator_pid() {
        testground::stop_pid(pid, Duration::from_secs(5));
    }
    let operator = OperatorProcess::start(OperatorOptions {
        kubeconfig: cluster.kubeconfig_path(),
        namespaces: vec![],
        instance: INSTANCE.into(),
        extra_args: vec![],
    })?;
    println!(
        "operator: pid {}, log {}, metrics http://{}/metrics",
        operator.pid(),
        operator.log_path().display(),
        operator.metrics_addr()
    );
    // Leave it running: this command only starts things.
    std::mem::forget(operator);
    println!(
        "\nexport KUBECONFIG={}\nkubectl apply -f examples/basic.yaml && kubectl get fdep -w",
        cluster.kubeconfig_path().display()
    );
    Ok(())
}

fn down() -> anyhow::Result<()> {
    if let Some(pid) = operator_pid() {
        testground::stop_pid(pid, Duration::from_secs(5));
        println!("operator stopped");
    }
    let cleaned = local_node::down(&local_node::default_dir())?;
    println!(
        "local node stopped ({} processes, {} network namespaces cleaned up)",
        cleaned.processes, cleaned.namespaces
    );
    let settings = Settings::default();
    let was_running = LocalCluster::down(&settings.dir)?;
    println!(
        "control plane {}",
        if was_running {
            "stopped"
        } else {
            "was not running"
        }
    );
    Ok(())
}
