//! `cargo xtask helm build|lint|template`: real helm (built from `xtask/helm/` and cached)
//! on the chart in `charts/flink-operator/`.

use std::process::Command;

use anyhow::{Context, bail};

/// Arguments of `cargo xtask helm`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Build helm if needed (a few minutes the first time) and print its path and version.
    Build,
    /// `helm lint --strict` the chart; extra arguments (e.g. `--set replicaCount=2`) are passed on.
    Lint {
        /// Arguments passed to helm after the chart.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        helm_args: Vec<String>,
    },
    /// `helm template` the chart (release `flink-operator`); extra arguments are passed on,
    /// e.g. `--set watchNamespaces={team-a} --namespace ops`.
    Template {
        /// Arguments passed to helm after the chart.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        helm_args: Vec<String>,
    },
}

/// Runs `cargo xtask helm`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let cached = helm_harness::expected_helm_path()?.is_file();
    if !cached {
        eprintln!(
            "building helm {} first (once per go.mod/go.sum: about 3 minutes on 2 cores, \
             Go modules and build cache under {})",
            helm_harness::HELM_VERSION,
            testground::cache_dir().display()
        );
    }
    let started = std::time::Instant::now();
    let helm = helm_harness::ensure_helm().context("building helm")?;
    if !cached {
        eprintln!("helm built in {:.0?}", started.elapsed());
    }
    let chart = helm_harness::chart_dir();
    match args.command {
        Sub::Build => {
            println!("{}", helm.display());
            status(helm_harness::command(&helm).args(["version", "--short"]))
        }
        Sub::Lint { helm_args } => status(
            helm_harness::command(&helm)
                .args(["lint", "--strict"])
                .arg(&chart)
                .args(helm_args),
        ),
        Sub::Template { helm_args } => status(
            helm_harness::command(&helm)
                .args(["template", "flink-operator"])
                .arg(&chart)
                .args(helm_args),
        ),
    }
}

fn status(cmd: &mut Command) -> anyhow::Result<()> {
    let st = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !st.success() {
        bail!("{cmd:?} failed: {st}");
    }
    Ok(())
}
