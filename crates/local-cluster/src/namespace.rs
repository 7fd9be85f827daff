//! A fresh namespace per test, deleted afterwards (does IO: calls the apiserver).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};

use crate::cluster::LocalCluster;
use crate::error::{Error, Result};

/// A namespace of its own for one test, named `<prefix>-<unique suffix>`. It is deleted when
/// the value is dropped (also when the test panics), or earlier with [`TestNamespace::delete`].
#[derive(Debug)]
pub struct TestNamespace {
    name: String,
    config: kube::Config,
    deleted: bool,
}

impl TestNamespace {
    /// Creates the namespace and waits until its `default` service account exists (Pods
    /// cannot be created before). `prefix` should be a short DNS label, e.g. the test's name.
    pub async fn new(cluster: &LocalCluster, prefix: &str) -> Result<Self> {
        let name = unique_name(prefix);
        let client = cluster.client()?;
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([("local-cluster/test".to_string(), "true".to_string())].into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await?;
        let accounts: Api<ServiceAccount> = Api::namespaced(client, &name);
        let start = std::time::Instant::now();
        while accounts.get_opt("default").await?.is_none() {
            if start.elapsed() > Duration::from_secs(30) {
                return Err(Error::Timeout {
                    what: format!("the default service account of namespace {name}"),
                    secs: start.elapsed().as_secs_f64(),
                    logs: cluster.dir().to_path_buf(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self {
            name,
            config: cluster.config().clone(),
            deleted: false,
        })
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Deletes the namespace now (without waiting for its contents to go).
    pub async fn delete(mut self) -> Result<()> {
        self.deleted = true;
        delete(self.config.clone(), self.name.clone()).await
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        let (config, name) = (self.config.clone(), self.name.clone());
        // Drop cannot await, and may run inside or outside a runtime: delete from a thread
        // with a runtime of its own. Best effort: a leftover namespace harms no other test.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                let _ = rt.block_on(delete(config, name));
            }
        })
        .join();
    }
}

async fn delete(config: kube::Config, name: String) -> Result<()> {
    let client = kube::Client::try_from(config)?;
    match Api::<Namespace>::all(client)
        .delete(&name, &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `<prefix>-<suffix>`, unique across processes and calls, at most 63 characters.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let suffix = format!("{:x}{:x}{n}", std::process::id() % 0xffff, nanos % 0xfffff);
    let mut prefix: String = prefix
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    prefix.truncate(62 - suffix.len());
    format!("{}-{suffix}", prefix.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_dns_labels() {
        let a = unique_name("My_Test::case");
        let b = unique_name("My_Test::case");
        assert_ne!(a, b);
        assert!(a.starts_with("my-test--case-"), "{a}");
        let long = unique_name(&"x".repeat(100));
        assert!(long.len() <= 63, "{long}");
        assert!(
            long.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }
}
