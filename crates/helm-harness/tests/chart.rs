//! The chart with real helm: `helm lint --strict` is clean, rendered templates hold what the
//! chart promises (least-privilege RBAC, hardened pod, every operator flag), the real
//! apiserver accepts them (server-side dry run), `helm install` creates the objects, and
//! `kubectl auth can-i --as` the operator's ServiceAccount answers yes for exactly what the
//! operator needs and no for the rest. Bad values fail with the schema's message.
//!
//! The examples are applied by `crates/local-cluster/tests/manifests.rs`, not here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use local_cluster::{LocalCluster, TestNamespace, shared};
use serde_json::Value;

/// What the operator needs in a namespace it watches (CONTRACT.md), as
/// `(resource for kubectl, subresource, verbs)`.
const NEEDED: &[(&str, &str, &[&str])] = &[
    (
        "flinkdeployments.flink.apache.org",
        "",
        &["get", "list", "watch", "patch", "update"],
    ),
    (
        "flinksessionjobs.flink.apache.org",
        "",
        &["get", "list", "watch", "patch", "update"],
    ),
    (
        "flinkdeployments.flink.apache.org",
        "status",
        &["get", "patch", "update"],
    ),
    (
        "flinksessionjobs.flink.apache.org",
        "status",
        &["get", "patch", "update"],
    ),
    (
        "flinkdeployments.flink.apache.org",
        "finalizers",
        &["update"],
    ),
    (
        "flinksessionjobs.flink.apache.org",
        "finalizers",
        &["update"],
    ),
    ("deployments.apps", "", FULL),
    ("services", "", FULL),
    ("configmaps", "", FULL),
    ("ingresses.networking.k8s.io", "", FULL),
    ("pods", "", &["get", "list", "watch"]),
    ("events", "", &["create", "patch"]),
    ("events.events.k8s.io", "", &["create", "patch"]),
];

const FULL: &[&str] = &[
    "get", "list", "watch", "create", "patch", "update", "delete",
];

/// What the operator must not be able to do anywhere: `(verb, resource, subresource)`.
const REFUSED: &[(&str, &str, &str)] = &[
    ("get", "secrets", ""),
    ("list", "secrets", ""),
    ("create", "flinkdeployments.flink.apache.org", ""),
    ("delete", "flinkdeployments.flink.apache.org", ""),
    ("delete", "pods", ""),
    ("create", "pods", ""),
    ("create", "pods", "exec"),
    ("create", "serviceaccounts", ""),
    ("create", "roles.rbac.authorization.k8s.io", ""),
    ("*", "*", ""),
    ("get", "*", ""),
    ("*", "configmaps", ""),
];

const LEASE_VERBS: &[&str] = &["get", "create", "update"];

// ---- helm and kubectl plumbing -------------------------------------------------------

fn helm() -> PathBuf {
    helm_harness::ensure_helm().expect("helm builds")
}

/// Runs a command and returns its output, panicking only if it cannot start.
fn output(mut cmd: Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// Runs a command that must succeed; returns its stdout.
fn ok(cmd: Command) -> String {
    let desc = format!("{cmd:?}");
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{desc} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `helm <args>` (with the chart's folders set), optionally against a cluster.
fn helm_cmd(cluster: Option<&LocalCluster>, args: &[&str]) -> Command {
    let mut cmd = helm_harness::command(&helm());
    if let Some(c) = cluster {
        cmd.arg("--kubeconfig").arg(c.kubeconfig_path());
    }
    cmd.args(args);
    cmd
}

/// `helm template <release> <chart> -n <ns> <args>`: the rendered objects.
fn template(ns: &str, args: &[&str]) -> Vec<Value> {
    let chart = helm_harness::chart_dir();
    let mut cmd = helm_cmd(None, &["template", "fo"]);
    cmd.arg(&chart).args(["--namespace", ns]).args(args);
    docs(&ok(cmd))
}

fn docs(text: &str) -> Vec<Value> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text)
        .unwrap_or_else(|e| panic!("helm's output is not YAML: {e}\n{text}"));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn ns_of(o: &Value) -> &str {
    o["metadata"]["namespace"].as_str().unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The operator's container in the rendered Deployment.
fn operator_container(objects: &[Value]) -> Value {
    let deployments = of_kind(objects, "Deployment");
    assert_eq!(deployments.len(), 1, "one operator Deployment");
    deployments[0]["spec"]["template"]["spec"]["containers"][0].clone()
}

/// A folder for rendered files of one test.
fn scratch(name: &str) -> PathBuf {
    let dir = testground::state_dir()
        .join("helm-harness-tests")
        .join(name);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// `kubectl auth can-i <verb> <resource> [--subresource] -n <ns> --as <sa>`: yes or no.
fn can_i(
    cluster: &LocalCluster,
    sa: &str,
    verb: &str,
    resource: &str,
    sub: &str,
    ns: &str,
) -> bool {
    let mut cmd = cluster.kubectl();
    cmd.args(["auth", "can-i", verb, resource, "--as", sa]);
    if ns == "*" {
        cmd.arg("--all-namespaces");
    } else {
        cmd.args(["-n", ns]);
    }
    if !sub.is_empty() {
        cmd.args(["--subresource", sub]);
    }
    let out = output(cmd);
    let answer = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match answer.as_str() {
        "yes" => true,
        // `no` may carry a reason after it; exit code 1 with no answer at all is an error.
        a if a.starts_with("no") => false,
        _ => panic!(
            "kubectl auth can-i {verb} {resource} gave no answer: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// One `kubectl auth can-i` question: `(verb, resource, subresource, namespace)`.
type Question = (String, String, String, String);

/// Asks every question as `sa`, a few at a time (each is a kubectl process and an apiserver
/// round trip), and returns the questions whose answer is `want`, described.
fn answered(cluster: &LocalCluster, sa: &str, questions: Vec<Question>, want: bool) -> Vec<String> {
    let answers: Vec<bool> = questions
        .chunks(6)
        .flat_map(|chunk| {
            std::thread::scope(|s| {
                let handles: Vec<_> = chunk
                    .iter()
                    .map(|(verb, resource, sub, ns)| {
                        s.spawn(move || can_i(cluster, sa, verb, resource, sub, ns))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("can-i thread"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    questions
        .iter()
        .zip(answers)
        .filter(|(_, a)| *a == want)
        .map(|((verb, resource, sub, ns), _)| format!("{verb} {resource}{} in {ns}", slash(sub)))
        .collect()
}

/// Every verb the operator needs, in `ns`.
fn needed_in(ns: &str) -> Vec<Question> {
    NEEDED
        .iter()
        .flat_map(|(resource, sub, verbs)| {
            verbs.iter().map(move |verb| {
                (
                    verb.to_string(),
                    resource.to_string(),
                    sub.to_string(),
                    ns.to_string(),
                )
            })
        })
        .collect()
}

/// Everything REFUSED lists, in `ns`.
fn refused_in(ns: &str) -> Vec<Question> {
    REFUSED
        .iter()
        .map(|(verb, resource, sub)| {
            (
                verb.to_string(),
                resource.to_string(),
                sub.to_string(),
                ns.to_string(),
            )
        })
        .collect()
}

/// What the operator needs in `ns` but is not granted.
fn missing_grants(cluster: &LocalCluster, sa: &str, ns: &str) -> Vec<String> {
    answered(cluster, sa, needed_in(ns), false)
}

/// What the operator needs in a watched namespace but is granted in `ns`, which it does not
/// watch. One verb per resource is enough here: a Role grants a resource's verbs in its
/// namespace only, so a leak shows on any of them; `list` is the one a namespace-wide read
/// would need, else the resource's first verb.
fn grants_in_unwatched(cluster: &LocalCluster, sa: &str, ns: &str) -> Vec<String> {
    let questions = NEEDED
        .iter()
        .map(|(resource, sub, verbs)| {
            let verb = if verbs.contains(&"list") {
                "list"
            } else {
                verbs[0]
            };
            (
                verb.to_string(),
                resource.to_string(),
                sub.to_string(),
                ns.to_string(),
            )
        })
        .collect();
    answered(cluster, sa, questions, true)
}

/// What REFUSED lists that is granted in `ns`.
fn excess_grants(cluster: &LocalCluster, sa: &str, ns: &str) -> Vec<String> {
    answered(cluster, sa, refused_in(ns), true)
}

fn slash(sub: &str) -> String {
    if sub.is_empty() {
        String::new()
    } else {
        format!("/{sub}")
    }
}

fn service_account(ns: &str, name: &str) -> String {
    format!("system:serviceaccount:{ns}:{name}")
}

/// A helm release that is uninstalled when dropped (also when the test panics), so
/// cluster-scoped objects do not outlive the test.
struct Release<'a> {
    cluster: &'a LocalCluster,
    name: String,
    ns: String,
}

impl<'a> Release<'a> {
    fn install(cluster: &'a LocalCluster, name: &str, ns: &str, args: &[&str]) -> Self {
        let chart = helm_harness::chart_dir();
        let mut cmd = helm_cmd(Some(cluster), &["install", name]);
        cmd.arg(&chart).args(["--namespace", ns]).args(args);
        let out = ok(cmd);
        assert!(out.contains("STATUS: deployed"), "helm install:\n{out}");
        Self {
            cluster,
            name: name.to_string(),
            ns: ns.to_string(),
        }
    }
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let cmd = helm_cmd(
            Some(self.cluster),
            &["uninstall", &self.name, "--namespace", &self.ns],
        );
        let out = output(cmd);
        if !out.status.success() && !std::thread::panicking() {
            panic!(
                "helm uninstall {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// `kubectl get <kind> <name> -n <ns>` succeeds.
fn exists(cluster: &LocalCluster, kind: &str, name: &str, ns: Option<&str>) -> bool {
    let mut cmd = cluster.kubectl();
    cmd.args(["get", kind, name]);
    if let Some(ns) = ns {
        cmd.args(["-n", ns]);
    }
    output(cmd).status.success()
}

// ---- tests without a cluster -----------------------------------------------------------

#[test]
fn lint_strict_is_clean_for_every_mode() {
    let chart = helm_harness::chart_dir();
    for args in [
        vec![],
        vec![
            "--set",
            "watchNamespaces={team-a,team-b}",
            "--set",
            "replicaCount=2",
        ],
        vec![
            "--set",
            "webhook.enabled=true",
            "--set",
            "webhook.certSecret=webhook-tls",
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "flink.highAvailability=true",
        ],
        vec!["--set-json", "defaultConfig={}"],
    ] {
        let mut cmd = helm_cmd(None, &["lint", "--strict"]);
        cmd.arg(&chart).args(&args);
        let out = ok(cmd);
        assert!(out.contains("0 chart(s) failed"), "{args:?}:\n{out}");
        assert!(!out.contains("[WARNING]"), "{args:?}:\n{out}");
    }
}

#[test]
fn rbac_is_namespaced_when_a_namespace_list_is_given_and_never_uses_wildcards() {
    let all = template("ops", &[]);
    let listed = template("ops", &["--set", "watchNamespaces={team-a,team-b}"]);

    // Watching all namespaces: one ClusterRole and its binding, no Role for the operator.
    assert_eq!(
        of_kind(&all, "ClusterRole").len(),
        1,
        "ClusterRole when watching all"
    );
    assert_eq!(of_kind(&all, "ClusterRoleBinding").len(), 1);
    // Listed namespaces: a Role + RoleBinding in each, nothing cluster-scoped at all.
    for kind in [
        "ClusterRole",
        "ClusterRoleBinding",
        "ValidatingWebhookConfiguration",
    ] {
        assert!(
            of_kind(&listed, kind).is_empty(),
            "{kind} rendered for a namespace list"
        );
    }
    for ns in ["team-a", "team-b"] {
        let roles: Vec<_> = of_kind(&listed, "Role")
            .into_iter()
            .filter(|r| ns_of(r) == ns && r["metadata"]["name"] == "fo-flink-operator")
            .collect();
        assert_eq!(roles.len(), 1, "operator Role in {ns}");
        let bound = of_kind(&listed, "RoleBinding").into_iter().any(|b| {
            ns_of(b) == ns
                && b["roleRef"]["name"] == "fo-flink-operator"
                && b["subjects"][0]["name"] == "fo-flink-operator"
                && b["subjects"][0]["namespace"] == "ops"
        });
        assert!(bound, "operator RoleBinding in {ns}");
    }
    assert!(
        of_kind(&listed, "Role").iter().all(|r| ns_of(r) != "ops"),
        "no Role in the operator's namespace without leader election"
    );

    // No wildcard verb, resource or group anywhere, in any mode; never Secrets.
    let ha = template(
        "ops",
        &[
            "--set",
            "flink.highAvailability=true",
            "--set",
            "replicaCount=3",
        ],
    );
    for objects in [&all, &listed, &ha] {
        for role in objects
            .iter()
            .filter(|o| o["kind"] == "Role" || o["kind"] == "ClusterRole")
        {
            let rules = role["rules"].as_array().expect("rules");
            assert!(!rules.is_empty(), "{role}");
            for rule in rules {
                for field in ["verbs", "resources", "apiGroups"] {
                    let values = strings(&rule[field]);
                    assert!(
                        !values.is_empty() || field == "apiGroups",
                        "{field} in {rule}"
                    );
                    assert!(
                        !values.iter().any(|v| v.contains('*')),
                        "wildcard in {rule}"
                    );
                    assert!(!values.iter().any(|v| v == "secrets"), "secrets in {rule}");
                }
            }
        }
    }
}

#[test]
fn leader_election_follows_the_replica_count() {
    let one = template("ops", &[]);
    let two = template("ops", &["--set", "replicaCount=2"]);
    let args = |objects: &[Value]| strings(&operator_container(objects)["args"]);
    assert!(!args(&one).contains(&"--leader-election".to_string()));
    assert!(
        of_kind(&one, "Role")
            .iter()
            .all(|r| !r.to_string().contains("leases"))
    );
    assert!(
        args(&two).contains(&"--leader-election".to_string()),
        "{:?}",
        args(&two)
    );
    // With leader election a new replica turns ready as a standby, so a RollingUpdate that
    // never drops below the replica count cannot stall; without it, Recreate.
    let strategy =
        |objects: &[Value]| of_kind(objects, "Deployment")[0]["spec"]["strategy"].clone();
    assert_eq!(strategy(&one)["type"], "Recreate");
    assert_eq!(strategy(&two)["type"], "RollingUpdate");
    assert_eq!(strategy(&two)["rollingUpdate"]["maxUnavailable"], 0);
    let chosen = template(
        "ops",
        &["--set", "replicaCount=2", "--set", "strategy.type=Recreate"],
    );
    assert_eq!(strategy(&chosen)["type"], "Recreate", "the value wins");
    let lease_roles: Vec<_> = of_kind(&two, "Role")
        .into_iter()
        .filter(|r| r.to_string().contains("leases"))
        .collect();
    assert_eq!(lease_roles.len(), 1);
    assert_eq!(
        ns_of(lease_roles[0]),
        "ops",
        "the Lease Role is in the operator's namespace"
    );
    assert_eq!(
        strings(&lease_roles[0]["rules"][0]["verbs"]),
        LEASE_VERBS
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_operator_pod_is_hardened_and_gets_every_flag_from_values() {
    let objects = template(
        "ops",
        &[
            "--set",
            "watchNamespaces={a,b}",
            "--set",
            "operator.flinkEndpoint=pod-ip",
            "--set",
            "operator.logFormat=text",
            "--set",
            "operator.steadyInterval=30s",
            "--set",
            "operator.concurrency=4",
            "--set",
            "operator.flinkTimeout=5s",
            "--set",
            "operator.otlpEndpoint=http://otel:4317",
            "--set",
            "operator.leaseName=my-lease",
            "--set",
            "operator.leaderElection=true",
            "--set",
            "webhook.enabled=true",
            "--set",
            "webhook.certSecret=tls",
            "--set",
            "metrics.port=9090",
            "--set",
            "imagePullSecrets[0].name=regcred",
            "--set",
            "image.tag=1.2.3",
        ],
    );
    let c = operator_container(&objects);
    let args = strings(&c["args"]);
    for flag in [
        "--namespaces=a,b",
        "--steady-interval=30s",
        "--concurrency=4",
        "--flink-timeout=5s",
        "--flink-endpoint=pod-ip",
        "--log-format=text",
        "--metrics-addr=0.0.0.0:9090",
        "--default-config=/etc/flink-operator/default-config.yaml",
        "--leader-election",
        "--lease-name=my-lease",
        "--webhook-addr=0.0.0.0:9443",
        "--webhook-cert-dir=/certs",
        "--otlp-endpoint=http://otel:4317",
    ] {
        assert!(
            args.contains(&flag.to_string()),
            "{flag} missing from {args:?}"
        );
    }
    let env = c["env"].to_string();
    assert!(
        env.contains("POD_NAMESPACE") && env.contains("metadata.namespace"),
        "{env}"
    );
    assert_eq!(c["image"], "ghcr.io/flink-operator-rs/flink-operator:1.2.3");

    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(
        strings(&sc["capabilities"]["drop"]),
        vec!["ALL".to_string()]
    );
    let deployment = of_kind(&objects, "Deployment")[0];
    // Leader election is on here: a RollingUpdate whose new pod waits as a ready standby.
    assert_eq!(deployment["spec"]["strategy"]["type"], "RollingUpdate");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(pod["imagePullSecrets"][0]["name"], "regcred");
    assert!(c["resources"]["requests"]["memory"].is_string(), "{c}");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], "metrics");
    let ports = c["ports"].to_string();
    assert!(ports.contains("9090") && ports.contains("9443"), "{ports}");

    // The default config file holds the values' keys, every value a string.
    let cm = of_kind(&objects, "ConfigMap")[0]["data"]["default-config.yaml"]
        .as_str()
        .expect("default-config.yaml")
        .to_string();
    assert!(
        cm.contains("kubernetes.operator.savepoint.history.max.count: \"10\""),
        "{cm}"
    );
    // The metrics Service selects the operator on the metrics port; the webhook has its own.
    let services = of_kind(&objects, "Service");
    assert!(
        services
            .iter()
            .any(|s| s["spec"]["ports"][0]["port"] == 9090)
    );
    assert!(
        services
            .iter()
            .any(|s| s["spec"]["ports"][0]["targetPort"] == "webhook")
    );
    let vwc = of_kind(&objects, "ValidatingWebhookConfiguration");
    assert_eq!(vwc.len(), 1);
    assert_eq!(
        strings(&vwc[0]["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"]),
        vec!["a".to_string(), "b".to_string()]
    );
}

#[test]
fn optional_parts_are_off_by_default() {
    let objects = template("ops", &[]);
    for kind in ["ServiceMonitor", "ValidatingWebhookConfiguration"] {
        assert!(
            of_kind(&objects, kind).is_empty(),
            "{kind} rendered by default"
        );
    }
    let args = strings(&operator_container(&objects)["args"]);
    assert!(
        !args
            .iter()
            .any(|a| a.starts_with("--webhook") || a.starts_with("--otlp")),
        "{args:?}"
    );
    assert!(
        !args.iter().any(|a| a.starts_with("--namespaces")),
        "{args:?}"
    );
    let on = template("ops", &["--set", "metrics.serviceMonitor.enabled=true"]);
    assert_eq!(of_kind(&on, "ServiceMonitor").len(), 1);
    // The Flink ServiceAccount is in the release namespace when watching all namespaces.
    let flink_sa: Vec<_> = of_kind(&objects, "ServiceAccount")
        .into_iter()
        .filter(|s| s["metadata"]["name"] == "flink")
        .collect();
    assert_eq!(flink_sa.len(), 1);
    assert_eq!(ns_of(flink_sa[0]), "ops");
}

#[test]
fn bad_values_fail_with_the_schema_message() {
    let dir = scratch("bad-values");
    let cases: &[(&str, &[&str])] = &[
        ("replicaCount: two\n", &["/replicaCount", "want integer"]),
        (
            "operator:\n  logFormat: xml\n",
            &["/operator/logFormat", "'text', 'json'"],
        ),
        (
            "operator:\n  flinkEndpoint: proxy\n",
            &["/operator/flinkEndpoint", "'service', 'pod-ip'"],
        ),
        (
            "replicas: 3\n",
            &["additional properties 'replicas' not allowed"],
        ),
        ("watchNamespaces: [Team_A]\n", &["/watchNamespaces/0"]),
        ("webhook:\n  enabled: true\n", &["/webhook/certSecret"]),
        (
            "operator:\n  steadyInterval: soon\n",
            &["/operator/steadyInterval"],
        ),
    ];
    for (i, (values, expected)) in cases.iter().enumerate() {
        let file = dir.join(format!("{i}.yaml"));
        std::fs::write(&file, values).expect("write values");
        let chart = helm_harness::chart_dir();
        let mut cmd = helm_cmd(None, &["template", "fo"]);
        cmd.arg(&chart).arg("-f").arg(&file);
        let out = output(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{values:?} was accepted");
        assert!(
            stderr.contains("values don't meet the specifications of the schema"),
            "{stderr}"
        );
        for e in *expected {
            assert!(stderr.contains(e), "{values:?}: {e:?} not in:\n{stderr}");
        }
    }
}

// ---- tests against the local apiserver -------------------------------------------------

/// Server-side dry-run apply of a rendered file, as the apiserver would take it. Every
/// namespaced object of the chart names its namespace, so none is given here.
fn dry_run_apply(cluster: &LocalCluster, file: &Path) {
    let mut cmd = cluster.kubectl();
    cmd.args([
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager",
        "helm-harness-tests",
        "-f",
    ])
    .arg(file);
    let out = ok(cmd);
    assert!(out.contains("deployment.apps/fo-flink-operator"), "{out}");
}

#[tokio::test]
async fn rendered_templates_are_accepted_by_the_apiserver() {
    let cluster = shared().await.expect("local cluster");
    let ops = TestNamespace::new(cluster, "helm-tpl-ops")
        .await
        .expect("namespace");
    let watched = TestNamespace::new(cluster, "helm-tpl-watched")
        .await
        .expect("namespace");
    let dir = scratch(ops.name());
    let list = format!("watchNamespaces={{{}}}", watched.name());
    let chart = helm_harness::chart_dir();
    let variants: Vec<(&str, Vec<&str>)> = vec![
        ("default", vec![]),
        (
            "namespaced",
            vec![
                "--set",
                &list,
                "--set",
                "replicaCount=2",
                "--set",
                "webhook.enabled=true",
                "--set",
                "webhook.certSecret=webhook-tls",
                "--set",
                "flink.highAvailability=true",
            ],
        ),
    ];
    for (name, args) in variants {
        let mut cmd = helm_cmd(None, &["template", "fo"]);
        // --include-crds: the CRDs go through the same dry run as the rest.
        cmd.arg(&chart)
            .args(["--namespace", ops.name(), "--include-crds"])
            .args(&args);
        let rendered = ok(cmd);
        assert!(!docs(&rendered).is_empty(), "{name}: nothing rendered");
        let file = dir.join(format!("{name}.yaml"));
        std::fs::write(&file, &rendered).expect("write rendered");
        dry_run_apply(cluster, &file);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn namespaced_install_grants_exactly_what_the_operator_needs() {
    let cluster = shared().await.expect("local cluster");
    let ops = TestNamespace::new(cluster, "helm-ops")
        .await
        .expect("namespace");
    let watched = TestNamespace::new(cluster, "helm-watched")
        .await
        .expect("namespace");
    let other = TestNamespace::new(cluster, "helm-other")
        .await
        .expect("namespace");
    let list = format!("watchNamespaces={{{}}}", watched.name());
    let (o, w, x) = (ops.name(), watched.name(), other.name());
    let release = Release::install(
        cluster,
        "fo",
        o,
        &["--set", &list, "--set", "replicaCount=2"],
    );

    // The objects exist where they belong.
    for (kind, name, ns) in [
        ("deployment", "fo-flink-operator", o),
        ("serviceaccount", "fo-flink-operator", o),
        ("service", "fo-flink-operator-metrics", o),
        ("configmap", "fo-flink-operator-default-config", o),
        ("role", "fo-flink-operator-leader-election", o),
        ("rolebinding", "fo-flink-operator-leader-election", o),
        ("role", "fo-flink-operator", w),
        ("rolebinding", "fo-flink-operator", w),
        ("serviceaccount", "flink", w),
        ("role", "flink", w),
        ("rolebinding", "flink", w),
    ] {
        assert!(
            exists(cluster, kind, name, Some(ns)),
            "{kind}/{name} missing in {ns}"
        );
    }
    assert!(!exists(
        cluster,
        "clusterrole",
        &format!("fo-flink-operator-{o}"),
        None
    ));
    assert!(!exists(cluster, "role", "fo-flink-operator", Some(x)));

    let sa = service_account(o, "fo-flink-operator");
    let missing = missing_grants(cluster, &sa, w);
    assert!(
        missing.is_empty(),
        "not granted in the watched namespace: {missing:#?}"
    );
    let mut excess = excess_grants(cluster, &sa, w);
    excess.extend(excess_grants(cluster, &sa, o));
    excess.extend(grants_in_unwatched(cluster, &sa, x));
    excess.extend(grants_in_unwatched(cluster, &sa, "*"));
    // Leases only in the operator's own namespace, only the verbs leader election uses.
    for verb in LEASE_VERBS {
        assert!(
            can_i(cluster, &sa, verb, "leases.coordination.k8s.io", "", o),
            "{verb} leases in {o}"
        );
        if can_i(cluster, &sa, verb, "leases.coordination.k8s.io", "", w) {
            excess.push(format!("{verb} leases in {w}"));
        }
    }
    if can_i(cluster, &sa, "delete", "leases.coordination.k8s.io", "", o) {
        excess.push(format!("delete leases in {o}"));
    }
    assert!(
        excess.is_empty(),
        "granted beyond what the operator needs: {excess:#?}"
    );

    // The Flink pods' account reads ConfigMaps in its namespace and nothing more.
    let flink = service_account(w, "flink");
    assert!(can_i(cluster, &flink, "get", "configmaps", "", w));
    for (verb, resource) in [
        ("create", "configmaps"),
        ("get", "secrets"),
        ("list", "pods"),
        ("create", "pods"),
    ] {
        assert!(
            !can_i(cluster, &flink, verb, resource, "", w),
            "flink may {verb} {resource}"
        );
    }
    drop(release);
    assert!(
        !exists(cluster, "deployment", "fo-flink-operator", Some(o)),
        "uninstalled"
    );
}

#[tokio::test]
async fn cluster_wide_install_uses_a_cluster_role_without_secrets() {
    let cluster = shared().await.expect("local cluster");
    let ops = TestNamespace::new(cluster, "helm-all")
        .await
        .expect("namespace");
    let some = TestNamespace::new(cluster, "helm-any")
        .await
        .expect("namespace");
    let o = ops.name();
    let release = Release::install(cluster, "fo", o, &[]);
    assert!(exists(
        cluster,
        "clusterrole",
        &format!("fo-flink-operator-{o}"),
        None
    ));
    assert!(exists(
        cluster,
        "clusterrolebinding",
        &format!("fo-flink-operator-{o}"),
        None
    ));
    assert!(exists(cluster, "serviceaccount", "flink", Some(o)));

    let sa = service_account(o, "fo-flink-operator");
    let mut missing = missing_grants(cluster, &sa, some.name());
    missing.extend(missing_grants(cluster, &sa, "*"));
    assert!(missing.is_empty(), "not granted cluster-wide: {missing:#?}");
    let mut excess = excess_grants(cluster, &sa, some.name());
    excess.extend(excess_grants(cluster, &sa, "*"));
    // One replica: no leader election, so no Lease rights.
    if can_i(cluster, &sa, "create", "leases.coordination.k8s.io", "", o) {
        excess.push("create leases without leader election".into());
    }
    for (verb, resource) in [
        ("list", "nodes"),
        ("list", "namespaces"),
        ("create", "customresourcedefinitions.apiextensions.k8s.io"),
    ] {
        if can_i(cluster, &sa, verb, resource, "", "*") {
            excess.push(format!("{verb} {resource}"));
        }
    }
    assert!(
        excess.is_empty(),
        "granted beyond what the operator needs: {excess:#?}"
    );
    drop(release);
    assert!(
        !exists(
            cluster,
            "clusterrole",
            &format!("fo-flink-operator-{o}"),
            None
        ),
        "the ClusterRole goes with the release"
    );
}

#[tokio::test]
async fn install_with_bad_values_fails_before_creating_anything() {
    let cluster = shared().await.expect("local cluster");
    let ns = TestNamespace::new(cluster, "helm-bad")
        .await
        .expect("namespace");
    let dir = scratch(ns.name());
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "operator:\n  concurrency: many\n").expect("write values");
    let chart = helm_harness::chart_dir();
    let mut cmd = helm_cmd(Some(cluster), &["install", "fo"]);
    cmd.arg(&chart)
        .args(["--namespace", ns.name(), "-f"])
        .arg(&file);
    let out = output(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "installed with bad values");
    assert!(
        stderr.contains("/operator/concurrency") && stderr.contains("want integer"),
        "{stderr}"
    );
    assert!(!exists(
        cluster,
        "deployment",
        "fo-flink-operator",
        Some(ns.name())
    ));
    let _ = std::fs::remove_dir_all(dir);
}
