//! Carrying out the lifecycle machine's actions: one action, one call (does IO).
//!
//! Nothing here decides: an action is applied as asked, and "already done" (an object already
//! up to date, a job already cancelled, a trigger id Flink already knows) counts as success.

pub mod cluster;
pub mod flink;
