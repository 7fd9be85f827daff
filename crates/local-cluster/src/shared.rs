//! The stack shared by every integration test of a `cargo test` run (does IO: starts or
//! attaches to the well-known stack).

use tokio::sync::OnceCell;

use crate::cluster::{LocalCluster, Settings};
use crate::error::Result;

/// The well-known stack ([`crate::default_dir`], with the project's CRDs), attached to if it
/// already runs, else started (building the binary first if needed).
///
/// Test-support entry point: the first call in a test binary does the work, later calls in
/// the same binary return the same value. The stack is left running for the next test
/// binary (`cargo xtask cluster down` stops it); a lock file keeps two test binaries from
/// starting it at once. Make clients with [`LocalCluster::client`] inside each test: a
/// client belongs to the runtime it was first used on, and each `#[tokio::test]` has its own.
pub async fn shared() -> Result<&'static LocalCluster> {
    // One value per test binary is the point of this function; it holds no connections,
    // only where the stack is and how to reach it.
    static SHARED: OnceCell<LocalCluster> = OnceCell::const_new();
    SHARED
        .get_or_try_init(|| async { LocalCluster::up(&Settings::default()).await })
        .await
}
