//! The local node: a kubelet stand-in that runs pods as real local processes, for tests and
//! demos (does IO: processes, network namespaces, mounts, the API).
//!
//! One daemon (bin `local-node`) per local control plane registers a Node, keeps its Lease
//! fresh, binds pending pods to itself and runs each bound pod's containers as processes:
//! each pod in its own network namespace with an address from 10.244.0.0/16, each container
//! in its own mount and UTS namespace with its image's `opt/flink` at `/opt/flink` and its
//! volumes at their mount paths. Status, probes, restarts with back-off, logs through
//! `kubectl logs` and graceful deletion behave like a kubelet's. It needs root.
//!
//! Tests use [`shared`]; `cargo xtask node up|down|status` drives it from the command line;
//! [`images::ensure_image`] builds the local images (`cargo xtask image build`).
//!
//! ```no_run
//! # async fn example() -> Result<(), local_node::Error> {
//! let node = local_node::shared().await?; // also starts the shared control plane
//! let cluster = local_cluster::shared().await?;
//! let ns = local_cluster::TestNamespace::new(cluster, "my-test").await?;
//! // create a Deployment in `ns.name()`: its pods run on `node.name()`.
//! # let _ = node; Ok(()) }
//! ```

pub mod daemon;
mod error;
mod handle;
pub mod images;
mod layout;

pub use daemon::{Cleaned, DaemonConfig};
pub use error::{Error, Result};
pub use handle::{NODE_NAME, NodeHandle, NodeStatus, default_dir, down, shared, status};
