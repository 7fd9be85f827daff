//! `ApplyCluster` and `DeleteCluster`: server-side apply of a cluster's objects built by the
//! resource builders, and their deletion by label (does IO: apiserver writes).

use std::collections::BTreeMap;

use flink_crd::{FlinkDeployment, FlinkDeploymentSpec};
use flink_lifecycle::{RestorePoint, SpecSource};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::caches::ClusterObjects;
use crate::error::{Error, Result};
use crate::labels::{FIELD_MANAGER, SPEC_HASH};

/// The parameters of one `ApplyCluster`.
pub struct ApplyCluster<'a> {
    /// Which spec to build from.
    pub source: SpecSource,
    /// The spec hash label value.
    pub spec_hash: &'a str,
    /// The fixed job id of an application cluster.
    pub job_id: Option<&'a str>,
    /// Where the job starts from.
    pub restore: Option<&'a RestorePoint>,
    /// Pass `--allowNonRestoredState`.
    pub allow_non_restored_state: bool,
}

/// The spec `source` names: the resource's own, or the last stable one kept in status.
pub fn source_spec(
    fdep: &FlinkDeployment,
    source: SpecSource,
    status: &flink_crd::FlinkDeploymentStatus,
) -> Result<FlinkDeploymentSpec> {
    match source {
        SpecSource::Desired => Ok(fdep.spec.clone()),
        SpecSource::LastStable => {
            let text = status
                .reconciliation_status
                .last_stable_spec
                .as_deref()
                .ok_or_else(|| Error::Build {
                    name: fdep.name_any(),
                    reason: "a rollback needs status.reconciliationStatus.lastStableSpec, which is empty".into(),
                })?;
            serde_json::from_str(text).map_err(|e| Error::Build {
                name: fdep.name_any(),
                reason: format!("status.reconciliationStatus.lastStableSpec does not parse: {e}"),
            })
        }
    }
}

/// How many objects were written and how many were already up to date.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Objects applied.
    pub written: usize,
    /// Objects skipped: they already carry the spec hash.
    pub unchanged: usize,
    /// Objects deleted (an Ingress no longer in the spec).
    pub deleted: usize,
}

/// Builds the cluster's objects and applies those whose spec-hash label differs.
pub async fn apply(
    client: &Client,
    fdep: &FlinkDeployment,
    spec: &FlinkDeploymentSpec,
    action: &ApplyCluster<'_>,
    existing: &ClusterObjects,
    defaults: &BTreeMap<String, String>,
) -> Result<Applied> {
    let name = fdep.name_any();
    let namespace = fdep.namespace().ok_or(Error::Incomplete("namespace"))?;
    let uid = fdep.uid().ok_or(Error::Incomplete("uid"))?;
    let objects = flink_resources::build(&flink_resources::ClusterInput {
        name: &name,
        namespace: &namespace,
        uid: &uid,
        spec,
        spec_hash: action.spec_hash,
        job_id: action.job_id,
        restore_path: action.restore.map(|r| r.path.as_str()),
        allow_non_restored_state: action.allow_non_restored_state,
        operator_defaults: defaults,
    })
    .map_err(|e| Error::Build {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    let hash = action.spec_hash;
    let mut done = Applied::default();
    let current = |metas: Vec<&kube::api::ObjectMeta>, n: Option<&String>| {
        metas.into_iter().any(|m| {
            m.name.as_ref() == n
                && m.deletion_timestamp.is_none()
                && m.labels
                    .as_ref()
                    .and_then(|l| l.get(SPEC_HASH))
                    .map(String::as_str)
                    == Some(hash)
        })
    };
    // Order: configuration and Services first, so pods find them when they start.
    let cm = &objects.config_map;
    if current(
        existing.config_maps.iter().map(|c| &c.metadata).collect(),
        cm.metadata.name.as_ref(),
    ) {
        done.unchanged += 1;
    } else {
        ssa::<ConfigMap>(client, &namespace, cm).await?;
        done.written += 1;
    }
    for svc in [&objects.service, &objects.rest_service] {
        if current(
            existing.services.iter().map(|s| &s.metadata).collect(),
            svc.metadata.name.as_ref(),
        ) {
            done.unchanged += 1;
        } else {
            ssa::<Service>(client, &namespace, svc).await?;
            done.written += 1;
        }
    }
    for d in [&objects.job_manager, &objects.task_manager] {
        if current(
            existing.deployments.iter().map(|d| &d.metadata).collect(),
            d.metadata.name.as_ref(),
        ) {
            done.unchanged += 1;
        } else {
            ssa::<Deployment>(client, &namespace, d).await?;
            done.written += 1;
        }
    }
    match &objects.ingress {
        Some(ing) => {
            if current(
                existing.ingresses.iter().map(|i| &i.metadata).collect(),
                ing.metadata.name.as_ref(),
            ) {
                done.unchanged += 1;
            } else {
                ssa::<Ingress>(client, &namespace, ing).await?;
                done.written += 1;
            }
        }
        None => {
            for ing in &existing.ingresses {
                if ing.metadata.deletion_timestamp.is_none() {
                    delete::<Ingress>(client, &namespace, &ing.name_any()).await?;
                    done.deleted += 1;
                }
            }
        }
    }
    Ok(done)
}

async fn ssa<K>(client: &Client, namespace: &str, obj: &K) -> Result<()>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug,
{
    let name = obj.name_any();
    Api::<K>::namespaced(client.clone(), namespace)
        .patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(obj),
        )
        .await
        .map_err(Error::kube(format!("applying {} {name}", K::kind(&()))))?;
    Ok(())
}

async fn delete<K>(client: &Client, namespace: &str, name: &str) -> Result<bool>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    // Foreground: a Deployment stays (with a deletion timestamp) until its pods are gone, so
    // "the cluster exists" holds until nothing of it runs any more.
    match Api::<K>::namespaced(client.clone(), namespace)
        .delete(name, &DeleteParams::foreground())
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if crate::error::is_not_found(&e) => Ok(false),
        Err(e) => Err(Error::Kube {
            what: format!("deleting {} {name}", K::kind(&())),
            source: e,
        }),
    }
}

/// Deletes every object of the cluster the caches hold (already gone is success; objects
/// already being deleted are left alone). Returns how many deletes were sent.
pub async fn delete_all(
    client: &Client,
    namespace: &str,
    existing: &ClusterObjects,
) -> Result<usize> {
    let mut sent = 0;
    let pending = |m: &kube::api::ObjectMeta| m.deletion_timestamp.is_none();
    for d in existing.deployments.iter().filter(|d| pending(&d.metadata)) {
        sent += usize::from(delete::<Deployment>(client, namespace, &d.name_any()).await?);
    }
    for s in existing.services.iter().filter(|s| pending(&s.metadata)) {
        sent += usize::from(delete::<Service>(client, namespace, &s.name_any()).await?);
    }
    for c in existing.config_maps.iter().filter(|c| pending(&c.metadata)) {
        sent += usize::from(delete::<ConfigMap>(client, namespace, &c.name_any()).await?);
    }
    for i in existing.ingresses.iter().filter(|i| pending(&i.metadata)) {
        sent += usize::from(delete::<Ingress>(client, namespace, &i.name_any()).await?);
    }
    Ok(sent)
}
