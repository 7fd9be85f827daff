//! Service name resolution without DNS: a table of every Service's ready endpoint address,
//! kept current from watches of Services and EndpointSlices, rendered into each pod's hosts
//! file (watching does IO; rendering is pure).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::watch;

/// One Service name and the endpoint address it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ServiceAddr {
    pub namespace: String,
    pub name: String,
    pub ip: String,
}

/// All resolvable Services, sorted.
pub(crate) type ServiceTable = Arc<Vec<ServiceAddr>>;

/// Watches Services and EndpointSlices and publishes the table whenever it changes.
pub(crate) fn spawn(client: kube::Client) -> watch::Receiver<ServiceTable> {
    let (tx, rx) = watch::channel(ServiceTable::default());
    let (svc_reader, svc_writer) = reflector::store::<Service>();
    let (eps_reader, eps_writer) = reflector::store::<EndpointSlice>();
    let svc = reflector::reflector(
        svc_writer,
        watcher(
            Api::<Service>::all(client.clone()),
            watcher::Config::default(),
        ),
    )
    .default_backoff()
    .map(|_| ())
    .boxed();
    let eps = reflector::reflector(
        eps_writer,
        watcher(
            Api::<EndpointSlice>::all(client),
            watcher::Config::default(),
        ),
    )
    .default_backoff()
    .map(|_| ())
    .boxed();
    tokio::spawn(async move {
        let mut events = futures::stream::select(svc, eps);
        while events.next().await.is_some() {
            // Let a burst of events settle before recomputing.
            tokio::time::sleep(Duration::from_millis(100)).await;
            while let Some(Some(_)) = futures::FutureExt::now_or_never(events.next()) {}
            let table = Arc::new(table(&svc_reader, &eps_reader));
            tx.send_if_modified(|cur| {
                if **cur == *table {
                    false
                } else {
                    *cur = table;
                    true
                }
            });
        }
    });
    rx
}

fn table(services: &Store<Service>, slices: &Store<EndpointSlice>) -> Vec<ServiceAddr> {
    let slices = slices.state();
    let mut out = Vec::new();
    for svc in services.state() {
        let (Some(ns), Some(name)) = (&svc.metadata.namespace, &svc.metadata.name) else {
            continue;
        };
        let mut ready: Vec<String> = Vec::new();
        let mut any: Vec<String> = Vec::new();
        for slice in slices.iter() {
            let owned = slice.metadata.namespace.as_ref() == Some(ns)
                && slice
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("kubernetes.io/service-name"))
                    == Some(name);
            if !owned || slice.address_type != "IPv4" {
                continue;
            }
            for ep in &slice.endpoints {
                let is_ready = ep.conditions.as_ref().and_then(|c| c.ready) != Some(false);
                for a in &ep.addresses {
                    any.push(a.clone());
                    if is_ready {
                        ready.push(a.clone());
                    }
                }
            }
        }
        ready.sort();
        any.sort();
        // No ready endpoint yet: name a starting one rather than nothing, so a TaskManager
        // that starts with its JobManager resolves the name at once (documented deviation
        // from cluster DNS).
        if let Some(ip) = ready.first().or(any.first()) {
            out.push(ServiceAddr {
                namespace: ns.clone(),
                name: name.clone(),
                ip: ip.clone(),
            });
        }
    }
    out.sort();
    out
}

/// A pod's hosts file: `localhost`, its own hostname, the Services of its own namespace by
/// short name and every Service by `<svc>.<ns>`, `<svc>.<ns>.svc` and
/// `<svc>.<ns>.svc.cluster.local`. One name per line (the JDK's hosts-file resolver reads
/// that form for sure).
pub(crate) fn render(
    namespace: &str,
    hostname: &str,
    pod_ip: &str,
    table: &[ServiceAddr],
) -> String {
    let mut s = format!("# Written by local-node.\n127.0.0.1 localhost\n{pod_ip} {hostname}\n");
    for e in table {
        if e.namespace == namespace {
            s.push_str(&format!("{} {}\n", e.ip, e.name));
        }
        for suffix in ["", ".svc", ".svc.cluster.local"] {
            s.push_str(&format!("{} {}.{}{suffix}\n", e.ip, e.name, e.namespace));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_only_for_the_own_namespace() {
        let table = vec![
            ServiceAddr {
                namespace: "a".into(),
                name: "jm".into(),
                ip: "10.244.0.2".into(),
            },
            ServiceAddr {
                namespace: "b".into(),
                name: "other".into(),
                ip: "10.244.0.3".into(),
            },
        ];
        let text = render("a", "tm-1", "10.244.0.4", &table);
        assert!(text.contains("10.244.0.4 tm-1\n"));
        assert!(text.contains("10.244.0.2 jm\n"));
        assert!(text.contains("10.244.0.2 jm.a.svc.cluster.local\n"));
        assert!(!text.contains("10.244.0.3 other\n"));
        assert!(text.contains("10.244.0.3 other.b.svc\n"));
    }
}
