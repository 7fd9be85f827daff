//! The optional Ingress to the Flink web UI and REST API (no IO).

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::IngressTLS;
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// An Ingress to the JobManager's web UI, as in the Apache operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    /// Host and/or path pattern; `{{name}}` and `{{namespace}}` are replaced by the resource's
    /// name and namespace. A pattern starting with `/` is a path on any host
    /// (`/{{namespace}}/{{name}}(/|$)(.*)`), otherwise it is `host[/path]`
    /// (`{{name}}.{{namespace}}.flink.example.com`).
    #[x_kube(validation = Rule::new("self != ''").message("ingress.template must not be empty"))]
    pub template: String,
    /// The IngressClass to use (e.g. `nginx`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// Annotations on the Ingress (e.g. rewrite rules of the ingress controller).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Labels on the Ingress.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// TLS settings of the Ingress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Vec<IngressTLS>>,
}
