//! The three components and their command lines (no IO).

use std::ffi::OsString;
use std::path::Path;

use crate::layout::Layout;
use crate::state::Ports;

/// The service IP range; the apiserver's serving cert also names its first address.
pub(crate) const SERVICE_CIDR: &str = "10.96.0.0/16";
/// The `kubernetes` Service's address (the first of [`SERVICE_CIDR`]).
pub(crate) const KUBERNETES_SERVICE_IP: &str = "10.96.0.1";
/// The issuer of service-account tokens.
const SA_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// One process of the control plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// The key-value store.
    Etcd,
    /// The API server.
    KubeApiserver,
    /// The controllers (Deployments, ReplicaSets, garbage collection, namespaces, ...).
    KubeControllerManager,
}

impl Component {
    /// All components, in start order.
    pub const ALL: [Component; 3] = [
        Component::Etcd,
        Component::KubeApiserver,
        Component::KubeControllerManager,
    ];

    /// The component's name, also the first argument of the multi-call binary.
    pub fn name(self) -> &'static str {
        match self {
            Component::Etcd => "etcd",
            Component::KubeApiserver => "kube-apiserver",
            Component::KubeControllerManager => "kube-controller-manager",
        }
    }
}

impl std::fmt::Display for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn flag(name: &str, value: impl AsRef<Path>) -> OsString {
    let mut s = OsString::from(format!("--{name}="));
    s.push(value.as_ref().as_os_str());
    s
}

/// The arguments (after the component name) a component runs with.
pub(crate) fn args(c: Component, layout: &Layout, ports: &Ports) -> Vec<OsString> {
    let pki = |f: &str| layout.pki_file(f);
    match c {
        Component::Etcd => {
            let client = format!("http://127.0.0.1:{}", ports.etcd_client);
            let peer = format!("http://127.0.0.1:{}", ports.etcd_peer);
            vec![
                flag("name", "local"),
                flag("data-dir", layout.etcd_data()),
                flag("listen-client-urls", &client),
                flag("advertise-client-urls", &client),
                flag("listen-peer-urls", &peer),
                flag("initial-advertise-peer-urls", &peer),
                flag("initial-cluster", format!("local={peer}")),
                // A throw-away store: fsync only costs time here.
                "--unsafe-no-fsync".into(),
                flag("log-level", "warn"),
            ]
        }
        Component::KubeApiserver => vec![
            flag(
                "etcd-servers",
                format!("http://127.0.0.1:{}", ports.etcd_client),
            ),
            flag("bind-address", "127.0.0.1"),
            flag("advertise-address", "127.0.0.1"),
            flag("secure-port", ports.apiserver.to_string()),
            flag("tls-cert-file", pki("apiserver.crt")),
            flag("tls-private-key-file", pki("apiserver.key")),
            flag("client-ca-file", pki("ca.crt")),
            flag("service-account-issuer", SA_ISSUER),
            flag("service-account-key-file", pki("sa.pub")),
            flag("service-account-signing-key-file", pki("sa.key")),
            flag("service-cluster-ip-range", SERVICE_CIDR),
            flag("authorization-mode", "RBAC"),
            // Otherwise it complains every 10 s that the `kubernetes` Endpoints may not
            // point at a loopback address.
            flag("endpoint-reconciler-type", "none"),
            flag("allow-privileged", "true"),
            flag("profiling", "false"),
        ],
        Component::KubeControllerManager => vec![
            flag("kubeconfig", layout.kubeconfig()),
            flag("bind-address", "127.0.0.1"),
            flag("secure-port", ports.controller_manager.to_string()),
            flag("tls-cert-file", pki("apiserver.crt")),
            flag("tls-private-key-file", pki("apiserver.key")),
            flag("root-ca-file", pki("ca.crt")),
            flag("service-account-private-key-file", pki("sa.key")),
            flag("cluster-signing-cert-file", pki("ca.crt")),
            flag("cluster-signing-key-file", pki("ca.key")),
            flag("use-service-account-credentials", "true"),
            flag("controllers", "*"),
            flag("flex-volume-plugin-dir", layout.flex_volume_dir()),
            // One controller-manager per stack: no need to wait for a lease.
            flag("leader-elect", "false"),
            flag("profiling", "false"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports() -> Ports {
        Ports {
            etcd_client: 1001,
            etcd_peer: 1002,
            apiserver: 1003,
            controller_manager: 1004,
        }
    }

    fn joined(c: Component) -> String {
        args(c, &Layout::new("/s"), &ports())
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn everything_binds_to_loopback_on_the_given_ports() {
        let etcd = joined(Component::Etcd);
        assert!(
            etcd.contains("--listen-client-urls=http://127.0.0.1:1001"),
            "{etcd}"
        );
        assert!(
            etcd.contains("--listen-peer-urls=http://127.0.0.1:1002"),
            "{etcd}"
        );
        assert!(etcd.contains("--unsafe-no-fsync"), "{etcd}");
        let api = joined(Component::KubeApiserver);
        assert!(
            api.contains("--etcd-servers=http://127.0.0.1:1001"),
            "{api}"
        );
        assert!(api.contains("--bind-address=127.0.0.1 "), "{api}");
        assert!(api.contains("--secure-port=1003"), "{api}");
        let kcm = joined(Component::KubeControllerManager);
        assert!(kcm.contains("--secure-port=1004"), "{kcm}");
        assert!(kcm.contains("--kubeconfig=/s/kubeconfig"), "{kcm}");
        assert!(
            kcm.contains("--flex-volume-plugin-dir=/s/flexvolume"),
            "{kcm}"
        );
    }
}
