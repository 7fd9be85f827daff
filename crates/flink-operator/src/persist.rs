//! Writing to our own resources: the status subresource and the finalizer (does IO: PATCH to
//! the apiserver).
//!
//! Both writes carry the `resourceVersion` the decision was made from, so a write based on a
//! stale read (another replica, or a spec edit in between) fails with 409 Conflict and the
//! resource is reconciled again from the fresh object, instead of overwriting newer state.

use kube::api::{Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::{Error, Result};
use crate::labels::{FIELD_MANAGER, FINALIZER};

/// Server-side applies `status` to the status subresource of `obj` (owned by our field
/// manager, so fields the new status leaves out are removed), conditional on `resource_version`.
/// Returns the updated object.
pub async fn status<K, S>(api: &Api<K>, obj: &K, resource_version: &str, status: &S) -> Result<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
    S: Serialize,
{
    let name = obj.name_any();
    let patch = json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "metadata": { "name": name, "resourceVersion": resource_version },
        "status": status,
    });
    api.patch_status(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(Error::kube(format!("writing the status of {name}")))
}

/// Adds (`add`) or removes our finalizer, conditional on `resource_version`. Returns the
/// updated object, or `None` when the object is gone (removing the last finalizer of an
/// object being deleted lets it go at once).
pub async fn finalizer<K>(
    api: &Api<K>,
    obj: &K,
    resource_version: &str,
    add: bool,
) -> Result<Option<K>>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
{
    let name = obj.name_any();
    let mut finalizers: Vec<String> = obj
        .finalizers()
        .iter()
        .filter(|f| f.as_str() != FINALIZER)
        .cloned()
        .collect();
    if add {
        finalizers.push(FINALIZER.to_string());
    }
    let patch = json!({
        "metadata": { "resourceVersion": resource_version, "finalizers": finalizers }
    });
    match api
        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(o) => Ok(Some(o)),
        Err(e) if !add && crate::error::is_not_found(&e) => Ok(None),
        Err(e) => Err(Error::Kube {
            what: format!(
                "{} the finalizer of {name}",
                if add { "adding" } else { "removing" }
            ),
            source: e,
        }),
    }
}
