//! Internals of the `flink-operator` binary: the operator of flink-operator-rs.
//!
//! Per resource it observes the world (Kubernetes objects from watch caches, the Flink job
//! through its REST API) into a `flink_lifecycle::Observation`, asks the pure lifecycle
//! machine (`flink_lifecycle::step`) what to do, persists the returned status through the
//! status subresource, and only then carries out the returned actions in order. Every
//! lifecycle decision is the machine's; this crate only observes and executes.
//!
//! Modules: [`config`] (flags), [`telemetry`] (logs, traces), [`http`] (health and metrics
//! server), [`metrics`], [`shutdown`], [`leader`] (Lease election), [`caches`] (watches),
//! [`observe`] (observation), [`reconcile`] (one reconcile per kind), [`execute`] (actions),
//! [`persist`] (status and finalizer writes), [`events`], [`webhook`] (admission), [`run`]
//! (the main loop).

pub mod caches;
pub mod config;
pub mod context;
pub mod controller;
pub mod error;
pub mod events;
pub mod execute;
pub mod flink;
pub mod http;
pub mod labels;
pub mod leader;
pub mod metrics;
pub mod observe;
pub mod persist;
pub mod reconcile;
pub mod run;
pub mod shutdown;
pub mod telemetry;
pub mod webhook;

pub use config::Config;
pub use error::{Error, Result};
