//! Schema helpers shared by the resource types (no IO).

use schemars::{Schema, SchemaGenerator, json_schema};

/// An object whose fields are not described by the schema and are kept as written
/// (`x-kubernetes-preserve-unknown-fields`).
///
/// Used for `flinkConfiguration` (flat or nested keys, any scalar values) and pod templates: inlining the whole Pod schema for every template is what makes the
/// Apache operator's CRD 587 KB, past the 256 KiB limit of a client-side `kubectl apply`. The
/// operator validates templates when it applies the Deployments built from them and reports
/// errors in status.
pub fn preserved_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true
    })
}
