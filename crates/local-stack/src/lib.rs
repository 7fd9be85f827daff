//! The whole local test ground as one piece (does IO: processes, HTTP, the apiserver): the
//! control plane, the local node and the operator binary, plus the helpers the end-to-end
//! lifecycle tests, `cargo xtask demo` and `cargo xtask bench` share.
//!
//! ```no_run
//! # async fn example() -> Result<(), local_stack::Error> {
//! let ground = local_stack::Ground::new("upgrade").await?;          // namespace + operator
//! let fdep = local_stack::example("basic.yaml")?;                     // examples/basic.yaml
//! ground.apply(&fdep).await?;
//! ground.wait_phase("basic", "Running", std::time::Duration::from_secs(120)).await?;
//! let none = std::collections::BTreeMap::new();                      // any count will do
//! let counts = ground.wait_counts("basic", 4, &none, std::time::Duration::from_secs(60)).await?;
//! # Ok(()) }
//! ```

mod error;
mod flink;
mod ground;
mod manifest;
mod operator;
mod post_mortem;

pub use error::{Error, Result};
pub use flink::{counts_of, jobmanager_rest};
pub use ground::{Ground, phase_of, settled_in};
pub use manifest::{example, example_path};
pub use operator::{OperatorOptions, OperatorProcess};
