//! The operator's own identity on the bench's control plane, so the apiserver counts its
//! requests apart from everyone else's (does IO: calls the apiserver, writes a kubeconfig).
//!
//! The apiserver's request counters carry no client, and the controller-manager reacts to the
//! operator's objects (Pods it cannot place, Events), so subtracting a baseline cannot tell
//! the operator's requests from the control plane's. API Priority and Fairness can: every
//! request is classified by a FlowSchema and counted per FlowSchema
//! (`apiserver_flowcontrol_dispatched_requests_total`). The operator runs as a ServiceAccount
//! of its own, matched by two FlowSchemas (writes, and everything else) that send it to the
//! `exempt` priority level, so it is never queued and the counts are the operator's alone.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::flowcontrol::v1::{
    FlowSchema, FlowSchemaSpec, NonResourcePolicyRule, PolicyRulesWithSubjects,
    PriorityLevelConfigurationReference, ResourcePolicyRule, ServiceAccountSubject, Subject,
};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleRef, Subject as RbacSubject};
use kube::api::{Api, ObjectMeta, PostParams};

/// The operator's ServiceAccount name (in the bench namespace).
const ACCOUNT: &str = "flink-operator";
/// The FlowSchema counting the operator's writes.
const WRITES: &str = "flink-operator-bench-writes";
/// The FlowSchema counting the operator's other requests (reads and watches).
const READS: &str = "flink-operator-bench-reads";
const WRITE_VERBS: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];

/// The operator's requests so far, as the apiserver counted them.
#[derive(Clone, Copy, Debug, Default)]
pub struct OperatorRequests {
    /// GET and LIST (and non-resource) requests.
    pub reads: f64,
    /// Watches started.
    pub watches: f64,
    /// CREATE, UPDATE, PATCH, DELETE.
    pub writes: f64,
}

impl OperatorRequests {
    /// Reads the counters from the apiserver's `/metrics`.
    pub async fn scrape(client: &kube::Client) -> anyhow::Result<Self> {
        Ok(Self::parse(
            &super::probe::apiserver_metrics_text(client).await?,
        ))
    }

    fn parse(text: &str) -> Self {
        let sum = |metric: &str, schema: &str, extra: &str| -> f64 {
            text.lines()
                .filter_map(|l| l.strip_prefix(metric)?.strip_prefix('{'))
                .filter(|l| l.contains(&format!("flow_schema=\"{schema}\"")) && l.contains(extra))
                .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
                .sum()
        };
        let dispatched = "apiserver_flowcontrol_dispatched_requests_total";
        let executed = "apiserver_flowcontrol_request_execution_seconds_count";
        let watches = sum(executed, READS, "type=\"watch\"");
        Self {
            reads: sum(dispatched, READS, "") - watches,
            watches,
            writes: sum(dispatched, WRITES, ""),
        }
    }

    /// The requests since `earlier`, per minute of `window`.
    pub fn rate_since(&self, earlier: &Self, window: Duration) -> Self {
        let minutes = window.as_secs_f64() / 60.0;
        Self {
            reads: (self.reads - earlier.reads) / minutes,
            watches: (self.watches - earlier.watches) / minutes,
            writes: (self.writes - earlier.writes) / minutes,
        }
    }

    /// Every request.
    pub fn total(&self) -> f64 {
        self.reads + self.watches + self.writes
    }
}

/// Creates the operator's ServiceAccount (bound to `cluster-admin`) in `ns` and the
/// FlowSchemas that count its requests, and writes a kubeconfig with its token next to
/// `admin_kubeconfig`. Returns that kubeconfig once the apiserver counts the account's
/// requests.
pub async fn create(
    client: &kube::Client,
    admin_kubeconfig: &Path,
    server: &str,
    ns: &str,
) -> anyhow::Result<PathBuf> {
    let pp = PostParams::default();
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    accounts
        .create(
            &pp,
            &ServiceAccount {
                metadata: meta(ACCOUNT),
                ..ServiceAccount::default()
            },
        )
        .await
        .context("creating the operator's ServiceAccount")?;
    Api::<ClusterRoleBinding>::all(client.clone())
        .create(
            &pp,
            &ClusterRoleBinding {
                metadata: meta("flink-operator-bench"),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "ClusterRole".into(),
                    name: "cluster-admin".into(),
                },
                subjects: Some(vec![RbacSubject {
                    kind: "ServiceAccount".into(),
                    name: ACCOUNT.into(),
                    namespace: Some(ns.into()),
                    ..RbacSubject::default()
                }]),
            },
        )
        .await
        .context("binding the operator's ServiceAccount")?;
    let schemas: Api<FlowSchema> = Api::all(client.clone());
    schemas
        .create(&pp, &flow_schema(WRITES, 500, ns, &WRITE_VERBS))
        .await
        .context("creating a FlowSchema")?;
    schemas
        .create(&pp, &flow_schema(READS, 501, ns, &["*"]))
        .await
        .context("creating a FlowSchema")?;

    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: vec![],
            expiration_seconds: Some(4 * 3600),
            ..TokenRequestSpec::default()
        },
        ..TokenRequest::default()
    };
    let token = accounts
        .create_subresource::<TokenRequest, TokenRequest>("token", ACCOUNT, &pp, &request)
        .await
        .context("requesting a token for the operator's ServiceAccount")?
        .status
        .context("the TokenRequest has no status")?
        .token;

    let admin = kube::config::Kubeconfig::read_from(admin_kubeconfig)?;
    let ca = admin
        .clusters
        .first()
        .and_then(|c| c.cluster.as_ref()?.certificate_authority.clone())
        .context("the admin kubeconfig names no CA file")?;
    let path = admin_kubeconfig.with_file_name("operator.kubeconfig");
    // JSON strings are YAML strings: quoting this way survives any character.
    let q = |s: &str| serde_json::Value::String(s.into()).to_string();
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: bench\n  cluster:\n    server: {}\n    \
             certificate-authority: {}\nusers:\n- name: {ACCOUNT}\n  user:\n    token: {}\n\
             contexts:\n- name: bench\n  context:\n    cluster: bench\n    user: {ACCOUNT}\n\
             current-context: bench\n",
            q(server),
            q(&ca),
            q(&token)
        ),
    )
    .with_context(|| format!("writing {}", path.display()))?;
    wait_counted(client, &path).await?;
    Ok(path)
}

/// Makes requests as the operator's account until the apiserver counts them under its
/// FlowSchemas (the APF configuration is picked up asynchronously).
async fn wait_counted(admin: &kube::Client, kubeconfig: &Path) -> anyhow::Result<()> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
    let config =
        kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
            .await?;
    let operator = kube::Client::try_from(config)?;
    let started = Instant::now();
    loop {
        let before = OperatorRequests::scrape(admin).await?;
        Api::<ServiceAccount>::all(operator.clone())
            .list_metadata(&Default::default())
            .await
            .context("a request as the operator's ServiceAccount")?;
        if OperatorRequests::scrape(admin).await?.reads > before.reads {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the apiserver did not count the operator's requests by FlowSchema within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..ObjectMeta::default()
    }
}

fn flow_schema(name: &str, precedence: i32, ns: &str, verbs: &[&str]) -> FlowSchema {
    let all = || vec!["*".to_string()];
    let verbs: Vec<String> = verbs.iter().map(|v| v.to_string()).collect();
    FlowSchema {
        metadata: meta(name),
        spec: Some(FlowSchemaSpec {
            matching_precedence: Some(precedence),
            priority_level_configuration: PriorityLevelConfigurationReference {
                name: "exempt".into(),
            },
            distinguisher_method: None,
            rules: Some(vec![PolicyRulesWithSubjects {
                subjects: vec![Subject {
                    kind: "ServiceAccount".into(),
                    service_account: Some(ServiceAccountSubject {
                        name: ACCOUNT.into(),
                        namespace: ns.into(),
                    }),
                    ..Subject::default()
                }],
                resource_rules: Some(vec![ResourcePolicyRule {
                    api_groups: all(),
                    resources: all(),
                    verbs: verbs.clone(),
                    cluster_scope: Some(true),
                    namespaces: Some(all()),
                }]),
                non_resource_rules: Some(vec![NonResourcePolicyRule {
                    non_resource_urls: all(),
                    verbs,
                }]),
            }]),
        }),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_per_flow_schema() {
        let text = format!(
            "apiserver_flowcontrol_dispatched_requests_total{{flow_schema=\"{READS}\",priority_level=\"exempt\"}} 12\n\
             apiserver_flowcontrol_dispatched_requests_total{{flow_schema=\"{WRITES}\",priority_level=\"exempt\"}} 5\n\
             apiserver_flowcontrol_dispatched_requests_total{{flow_schema=\"exempt\",priority_level=\"exempt\"}} 99\n\
             apiserver_flowcontrol_request_execution_seconds_count{{flow_schema=\"{READS}\",priority_level=\"exempt\",type=\"watch\"}} 4\n\
             apiserver_flowcontrol_request_execution_seconds_count{{flow_schema=\"{READS}\",priority_level=\"exempt\",type=\"regular\"}} 8\n"
        );
        let r = OperatorRequests::parse(&text);
        assert_eq!((r.reads, r.watches, r.writes), (8.0, 4.0, 5.0));
        let later = OperatorRequests {
            reads: 8.0,
            watches: 5.0,
            writes: 7.0,
        };
        let rate = later.rate_since(&r, Duration::from_secs(30));
        assert_eq!((rate.reads, rate.watches, rate.writes), (0.0, 2.0, 4.0));
        assert_eq!(rate.total(), 6.0);
    }
}
