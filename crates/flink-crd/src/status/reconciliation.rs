//! Which spec was deployed and which was stable (no IO).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The state of the last reconciliation, as the Apache operator reports it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReconciliationState {
    /// The last reconciled spec is deployed.
    #[default]
    Deployed,
    /// An upgrade to the last reconciled spec is in progress.
    Upgrading,
    /// Rolling back to the last stable spec.
    RollingBack,
    /// Rolled back to the last stable spec.
    RolledBack,
}

/// The specs the operator deployed, kept as JSON strings like Apache's, so a rollback needs
/// nothing but status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReconciliationStatus {
    /// When the operator last deployed a spec, in epoch milliseconds.
    #[serde(default)]
    pub reconciliation_timestamp: i64,
    /// The spec last deployed (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reconciled_spec: Option<String>,
    /// The last spec that ran healthily (JSON); the rollback target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_stable_spec: Option<String>,
    /// State of the last reconciliation.
    #[serde(default)]
    pub state: ReconciliationState,
}
