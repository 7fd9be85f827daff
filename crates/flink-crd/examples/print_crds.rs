//! Prints both CRDs as JSON (a quick look; `cargo xtask generate` writes the real files).
use kube::CustomResourceExt;

fn main() {
    for crd in [
        flink_crd::FlinkDeployment::crd(),
        flink_crd::FlinkSessionJob::crd(),
    ] {
        println!(
            "{}",
            serde_json::to_string_pretty(&crd).expect("serializable")
        );
    }
}
