//! A real Kubernetes control plane on this machine, for tests and demos (does IO: builds,
//! files, processes, HTTP).
//!
//! It runs three processes from one Go binary built from the published Kubernetes modules
//! (`xtask/controlplane/`): etcd, kube-apiserver and kube-controller-manager, all bound to
//! 127.0.0.1 on free ports. There is no kubelet and no scheduler: Deployments become
//! ReplicaSets and Pods, but Pods stay `Pending` unless something else (the local node) plays
//! the node's part.
//!
//! The well-known stack lives in [`default_dir`] (`target/testground/cluster/`), its
//! kubeconfig at `target/testground/cluster/kubeconfig`. `cargo xtask cluster up|down|status`
//! drives it from the command line; integration tests use [`shared`] and [`TestNamespace`]:
//!
//! ```no_run
//! # async fn example() -> Result<(), local_cluster::Error> {
//! let cluster = local_cluster::shared().await?;
//! let ns = local_cluster::TestNamespace::new(cluster, "my-test").await?;
//! let client = cluster.client()?;
//! // ... use `client` in `ns.name()`; the namespace is deleted when `ns` is dropped.
//! # Ok(()) }
//! ```
//!
//! The first use builds the binary (850 s of CPU, 5–9 minutes on 2 cores, 2.1 GB of RAM at
//! the link, 0.6 GB of Go modules and 2.7 GB of Go build cache under
//! [`testground::cache_dir`]); later
//! starts take a few seconds, and attaching to a running stack well under one.

mod binary;
mod cluster;
mod components;
mod crds;
mod error;
mod kubeconfig;
mod layout;
mod namespace;
mod pki;
mod shared;
mod state;
mod status;
mod wait;

pub use binary::{KUBERNETES_VERSION, ensure_binary, expected_binary_path};
pub use cluster::{LocalCluster, Settings, default_crd_dir, default_dir};
pub use components::Component;
pub use error::{Error, Result};
pub use namespace::TestNamespace;
pub use shared::shared;
pub use state::Ports;
pub use status::{ClusterStatus, ComponentStatus};
