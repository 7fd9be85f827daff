//! A pod's volumes (ConfigMap, Secret, projected, emptyDir, hostPath) as host folders, and
//! the ConfigMaps and Secrets env entries refer to (does IO: the API, files).

use std::collections::BTreeMap;
use std::path::PathBuf;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Container, Secret};
use kube::api::Api;

use super::Worker;
use crate::daemon::spec::Refs;

impl Worker {
    pub(super) async fn prepare_volumes(&self) -> Result<BTreeMap<String, PathBuf>, String> {
        let mut out = BTreeMap::new();
        let volumes = self
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.volumes.clone())
            .unwrap_or_default();
        for v in volumes {
            let dir = self.dir.volume(&v.name);
            let token = v.projected.as_ref().is_some_and(|p| {
                p.sources
                    .iter()
                    .flatten()
                    .any(|s| s.service_account_token.is_some())
            });
            if token {
                // No service-account tokens on this node (pods do not call the API); the
                // volume is left out rather than mounted empty.
                continue;
            }
            let path = if let Some(hp) = &v.host_path {
                let p = PathBuf::from(&hp.path);
                let kind = hp.type_.as_deref().unwrap_or("");
                if !p.exists() && matches!(kind, "" | "DirectoryOrCreate") {
                    std::fs::create_dir_all(&p)
                        .map_err(|e| format!("hostPath {}: {e}", hp.path))?;
                }
                p
            } else {
                std::fs::create_dir_all(&dir).map_err(|e| format!("volume {}: {e}", v.name))?;
                let mut files: Vec<(String, Vec<u8>)> = Vec::new();
                if let Some(cm) = &v.config_map {
                    let data = self.config_map(&cm.name).await?;
                    match data {
                        Some(d) => files.extend(select(
                            d,
                            cm.items.as_ref().map(|i| {
                                i.iter().map(|k| (k.key.clone(), k.path.clone())).collect()
                            }),
                        )),
                        None if cm.optional.unwrap_or(false) => {}
                        None => return Err(format!("configmap \"{}\" not found", cm.name)),
                    }
                }
                if let Some(s) = &v.secret {
                    let name = s.secret_name.clone().unwrap_or_default();
                    match self.secret(&name).await? {
                        Some(d) => files.extend(select(
                            d,
                            s.items.as_ref().map(|i| {
                                i.iter().map(|k| (k.key.clone(), k.path.clone())).collect()
                            }),
                        )),
                        None if s.optional.unwrap_or(false) => {}
                        None => return Err(format!("secret \"{name}\" not found")),
                    }
                }
                if let Some(p) = &v.projected {
                    for src in p.sources.iter().flatten() {
                        if let Some(cm) = &src.config_map
                            && let Some(d) = self.config_map(&cm.name).await?
                        {
                            files.extend(select(
                                d,
                                cm.items.as_ref().map(|i| {
                                    i.iter().map(|k| (k.key.clone(), k.path.clone())).collect()
                                }),
                            ));
                        }
                        if let Some(s) = &src.secret
                            && let Some(d) = self.secret(&s.name).await?
                        {
                            files.extend(select(
                                d,
                                s.items.as_ref().map(|i| {
                                    i.iter().map(|k| (k.key.clone(), k.path.clone())).collect()
                                }),
                            ));
                        }
                    }
                }
                for (rel, bytes) in files {
                    let target = dir.join(&rel);
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| format!("volume {}: {e}", v.name))?;
                    }
                    std::fs::write(&target, bytes)
                        .map_err(|e| format!("volume {}: {e}", v.name))?;
                }
                dir
            };
            out.insert(v.name.clone(), path);
        }
        Ok(out)
    }

    async fn config_map(&self, name: &str) -> Result<Option<BTreeMap<String, Vec<u8>>>, String> {
        let api: Api<ConfigMap> = Api::namespaced(self.sh.client.clone(), &self.ns);
        let cm = api
            .get_opt(name)
            .await
            .map_err(|e| format!("configmap \"{name}\": {e}"))?;
        Ok(cm.map(|cm| {
            let mut out: BTreeMap<String, Vec<u8>> = cm
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect();
            for (k, ByteString(v)) in cm.binary_data.unwrap_or_default() {
                out.insert(k, v);
            }
            out
        }))
    }

    async fn secret(&self, name: &str) -> Result<Option<BTreeMap<String, Vec<u8>>>, String> {
        let api: Api<Secret> = Api::namespaced(self.sh.client.clone(), &self.ns);
        let s = api
            .get_opt(name)
            .await
            .map_err(|e| format!("secret \"{name}\": {e}"))?;
        Ok(s.map(|s| {
            let mut out: BTreeMap<String, Vec<u8>> = s
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, ByteString(v))| (k, v))
                .collect();
            for (k, v) in s.string_data.unwrap_or_default() {
                out.insert(k, v.into_bytes());
            }
            out
        }))
    }

    pub(super) async fn refs(&self, c: &Container) -> Result<Refs, String> {
        let mut refs = Refs::default();
        let text = |m: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, String> {
            m.into_iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                .collect()
        };
        let mut cms = Vec::new();
        let mut secrets = Vec::new();
        for f in c.env_from.iter().flatten() {
            if let Some(r) = &f.config_map_ref {
                cms.push(r.name.clone());
            }
            if let Some(r) = &f.secret_ref {
                secrets.push(r.name.clone());
            }
        }
        for e in c.env.iter().flatten() {
            if let Some(from) = &e.value_from {
                if let Some(r) = &from.config_map_key_ref {
                    cms.push(r.name.clone());
                }
                if let Some(r) = &from.secret_key_ref {
                    secrets.push(r.name.clone());
                }
            }
        }
        for name in cms {
            if let Some(d) = self.config_map(&name).await? {
                refs.config_maps.insert(name, text(d));
            }
        }
        for name in secrets {
            if let Some(d) = self.secret(&name).await? {
                refs.secrets.insert(name, text(d));
            }
        }
        Ok(refs)
    }
}

/// Picks the files of a ConfigMap/Secret volume: all keys, or the listed `items` at their
/// paths.
fn select(
    data: BTreeMap<String, Vec<u8>>,
    items: Option<Vec<(String, String)>>,
) -> Vec<(String, Vec<u8>)> {
    match items {
        None => data.into_iter().collect(),
        Some(items) => items
            .into_iter()
            .filter_map(|(key, path)| data.get(&key).map(|v| (path, v.clone())))
            .collect(),
    }
}
