//! The admin kubeconfig of a stack (rendering is pure; it names the pki files by absolute
//! path rather than embedding them, so it stays readable).

use crate::layout::Layout;

/// The name of the cluster, user and context in the kubeconfig.
pub(crate) const CONTEXT: &str = "local-cluster";

/// A kubeconfig for the admin user (O=system:masters) of the stack at `apiserver_port`.
pub(crate) fn render(layout: &Layout, apiserver_port: u16) -> String {
    // JSON strings are YAML strings: quoting paths this way survives any character.
    let q = |p: std::path::PathBuf| serde_json::Value::String(p.display().to_string()).to_string();
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: https://127.0.0.1:{apiserver_port}
    certificate-authority: {ca}
users:
- name: {CONTEXT}
  user:
    client-certificate: {cert}
    client-key: {key}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}
    namespace: default
current-context: {CONTEXT}
",
        ca = q(layout.pki_file("ca.crt")),
        cert = q(layout.pki_file("admin.crt")),
        key = q(layout.pki_file("admin.key")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_reads_what_we_write() {
        let text = render(&Layout::new("/state dir/cluster"), 6443);
        let kc = kube::config::Kubeconfig::from_yaml(&text).expect("kubeconfig parses");
        assert_eq!(kc.current_context.as_deref(), Some(CONTEXT));
        let cluster = kc.clusters[0].cluster.as_ref().expect("cluster");
        assert_eq!(cluster.server.as_deref(), Some("https://127.0.0.1:6443"));
        assert_eq!(
            cluster.certificate_authority.as_deref(),
            Some("/state dir/cluster/pki/ca.crt")
        );
    }
}
