//! `cargo xtask`: the project's own tasks. Each subcommand lives in a module of its own.

mod bench;
mod cluster;
mod demo;
mod flink;
mod generate;
mod helm;
mod image;
mod local;
mod node;
mod test;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "flink-operator-rs project tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The operator's footprint and reaction time beside the peers' figures (printed, not asserted).
    Bench(bench::Args),
    /// The operator's main job on the local test ground, narrated: deploy, upgrade, suspend, resume, delete.
    Demo(demo::Args),
    /// Write generated artefacts (CRD YAML, reference docs, state diagram); `--check` fails when stale.
    Generate(generate::Args),
    /// The local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager).
    Cluster(cluster::Args),
    /// Real Flink on this machine: fetch a distribution, start and stop a local cluster.
    Flink(flink::Args),
    /// Real helm (built from xtask/helm/) on the chart: build, lint --strict, template.
    Helm(helm::Args),
    /// The local node's images (folders in the cache named like container images).
    Image(image::Args),
    /// The local node: a kubelet stand-in running pods as local processes.
    Node(node::Args),
    /// Everything at once: control plane, local node and operator (`up`, `down`, `status`).
    Local(local::Args),
    /// The whole test suite, as CI runs it.
    Test(test::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Bench(args) => bench::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Cluster(args) => cluster::run(args),
        Command::Flink(args) => flink::run(args),
        Command::Helm(args) => helm::run(args),
        Command::Image(args) => image::run(args),
        Command::Node(args) => node::run(args),
        Command::Local(args) => local::run(args),
        Command::Test(args) => test::run(args),
    }
}
