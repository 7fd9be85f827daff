//! The optional Ingress to the web UI and REST API, from `spec.ingress` (no IO).
//!
//! The template is read as the Apache operator reads it: `{{name}}` and `{{namespace}}`
//! replaced (any case), an optional `http(s)://` dropped, then `host[/path]` or `/path`.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec as K8sIngressSpec, ServiceBackendPort,
};

use crate::error::BuildError;
use crate::{ClusterInput, REST_PORT, labels, meta, names};

/// The Ingress `<name>` to `<name>-rest`, or `None` without `spec.ingress`.
pub(crate) fn ingress(input: &ClusterInput<'_>) -> Result<Option<Ingress>, BuildError> {
    let Some(spec) = &input.spec.ingress else {
        return Ok(None);
    };
    let (host, path) = host_and_path(&spec.template, input.name, input.namespace)?;
    let n = names(input.name);
    let mut object_labels = spec.labels.clone();
    object_labels.extend(labels::component_labels(input.name, labels::INGRESS));
    let mut metadata = meta::object_meta(input, &n.ingress, object_labels);
    metadata.annotations = (!spec.annotations.is_empty()).then(|| spec.annotations.clone());
    Ok(Some(Ingress {
        metadata,
        spec: Some(K8sIngressSpec {
            ingress_class_name: spec.class_name.clone(),
            tls: spec.tls.clone(),
            rules: Some(vec![rule(host, path, &n.rest_service)]),
            ..Default::default()
        }),
        ..Default::default()
    }))
}

fn rule(host: Option<String>, path: Option<String>, service: &str) -> IngressRule {
    IngressRule {
        host,
        http: Some(HTTPIngressRuleValue {
            paths: vec![HTTPIngressPath {
                path,
                path_type: "ImplementationSpecific".into(),
                backend: IngressBackend {
                    service: Some(IngressServiceBackend {
                        name: service.to_string(),
                        port: Some(ServiceBackendPort {
                            number: Some(i32::from(REST_PORT)),
                            ..Default::default()
                        }),
                    }),
                    ..Default::default()
                },
            }],
        }),
    }
}

/// Host and path of an ingress template for `name` in `namespace`.
pub fn host_and_path(
    template: &str,
    name: &str,
    namespace: &str,
) -> Result<(Option<String>, Option<String>), BuildError> {
    let filled = replace_ignore_case(
        &replace_ignore_case(template.trim(), "{{name}}", name),
        "{{namespace}}",
        namespace,
    );
    let lower = filled.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &filled[8..]
    } else if lower.starts_with("http://") {
        &filled[7..]
    } else {
        &filled[..]
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    // Like a URL's host, the rule's host carries no port.
    let host = authority.split(':').next().unwrap_or_default();
    if host.is_empty() && path.is_empty() {
        return Err(BuildError::Invalid {
            field: "spec.ingress.template".into(),
            message: format!(
                "{template:?} gives neither a host nor a path (e.g. {{{{name}}}}.{{{{namespace}}}}.flink.example.com or /{{{{namespace}}}}/{{{{name}}}}(/|$)(.*))"
            ),
        });
    }
    if host.contains(char::is_whitespace) || host.contains(['{', '}']) {
        return Err(BuildError::Invalid {
            field: "spec.ingress.template".into(),
            message: format!(
                "{host:?} is not a host name (only {{{{name}}}} and {{{{namespace}}}} are replaced)"
            ),
        });
    }
    let host = (!host.is_empty()).then(|| host.to_string());
    let path = (!path.is_empty()).then(|| path.to_string());
    Ok((host, path))
}

fn replace_ignore_case(text: &str, pattern: &str, with: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(pattern) {
        out.push_str(&text[last..i]);
        out.push_str(with);
        last = i + pattern.len();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(t: &str) -> (Option<String>, Option<String>) {
        host_and_path(t, "basic", "flink").expect("valid template")
    }

    #[test]
    fn templates_give_host_and_path_as_in_the_apache_operator() {
        assert_eq!(
            hp("{{name}}.{{namespace}}.flink.example.com"),
            (Some("basic.flink.flink.example.com".into()), None)
        );
        assert_eq!(
            hp("/{{namespace}}/{{name}}(/|$)(.*)"),
            (None, Some("/flink/basic(/|$)(.*)".into()))
        );
        assert_eq!(
            hp("https://ui.example.com:8443/{{NAME}}"),
            (Some("ui.example.com".into()), Some("/basic".into()))
        );
        assert!(host_and_path("{{job}}.example.com", "a", "b").is_err());
        assert!(host_and_path("http://", "a", "b").is_err());
    }
}
