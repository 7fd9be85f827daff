//! `cargo xtask cluster up|down|status`: the local Kubernetes control plane (etcd,
//! kube-apiserver, kube-controller-manager) in `target/testground/cluster/`.

use anyhow::Context;
use local_cluster::{LocalCluster, Settings};

/// Arguments of `cargo xtask cluster`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Build the control plane if needed, start it (or attach to the running one), install
    /// the CRDs of charts/flink-operator/crds/ and print the kubeconfig path.
    Up,
    /// Stop the control plane by PID and remove its state folder.
    Down,
    /// Say what runs.
    Status,
}

/// Runs `cargo xtask cluster`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings::default();
    match args.command {
        Command::Up => up(&settings),
        Command::Down => {
            let was_running = LocalCluster::down(&settings.dir)?;
            if was_running {
                println!("control plane stopped; {} removed", settings.dir.display());
            } else {
                println!(
                    "no control plane was running; {} removed",
                    settings.dir.display()
                );
            }
            Ok(())
        }
        Command::Status => {
            print!("{}", LocalCluster::status(&settings.dir));
            Ok(())
        }
    }
}

fn up(settings: &Settings) -> anyhow::Result<()> {
    if !local_cluster::expected_binary_path()?.is_file() {
        eprintln!(
            "building the control plane first (once per go.mod/go.sum/main.go: 5-9 minutes on 2 cores, \
             2.1 GB RAM, 0.6 GB of Go modules and 2.7 GB of Go build cache under {})",
            testground::cache_dir().display()
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("starting an async runtime")?;
    let started = std::time::Instant::now();
    let cluster = runtime
        .block_on(LocalCluster::up(settings))
        .context("bringing the control plane up")?;
    let verb = if cluster.was_started() {
        "started"
    } else {
        "already running"
    };
    let kubeconfig = cluster.kubeconfig_path();
    println!(
        "control plane {verb} in {:.1}s: kube-apiserver {} at {}",
        started.elapsed().as_secs_f64(),
        local_cluster::KUBERNETES_VERSION,
        cluster.apiserver_url()
    );
    println!("kubeconfig: {}", kubeconfig.display());
    println!();
    println!(
        "use it with kubectl (KUBECACHEDIR keeps kubectl's discovery cache out of ~/.kube/cache):"
    );
    println!("  export KUBECONFIG={}", kubeconfig.display());
    println!(
        "  export KUBECACHEDIR={}",
        cluster.kubectl_cache_dir().display()
    );
    println!("  kubectl get namespaces");
    println!();
    println!(
        "logs: {}/*.log; stop it with `cargo xtask cluster down`",
        cluster.dir().display()
    );
    println!("no kubelet or scheduler: Pods stay Pending unless a local node runs");
    Ok(())
}
