//! What a failed end-to-end wait prints about the namespace, so a failure in CI (where the
//! run's files are gone afterwards) can be read from the test output alone: Deployments,
//! EndpointSlices, pods with their container states, and the tails of the pods' logs and of
//! the operator's log (does IO: the apiserver, the operator's log file).

use std::fmt::Write;
use std::path::Path;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ContainerState, Pod};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Client;
use kube::api::{Api, ListParams, LogParams};

/// Log lines of each container and of the operator shown.
const TAIL_LINES: i64 = 25;
/// Log lines of a container read to find those shown: Java stack traces are long.
const LOG_LINES_READ: i64 = 2000;

/// Deployments, pods and log tails of `namespace`, then the operator log's tail.
pub(crate) async fn cluster_state(client: &Client, namespace: &str, operator_log: &Path) -> String {
    let mut out = String::new();
    out.push_str(&listing::<Deployment>(client, namespace, "deployments", deployment_line).await);
    // The node resolves Service names from EndpointSlices: a stale one leaves a name
    // pointing nowhere.
    out.push_str(&listing::<EndpointSlice>(client, namespace, "endpoint slices", slice_line).await);
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    match pods.list(&ListParams::default()).await {
        Ok(list) => {
            out.push_str("pods:\n");
            for p in &list.items {
                out.push_str(&pod_lines(p));
            }
            for p in &list.items {
                out.push_str(&log_tails(&pods, p).await);
            }
        }
        Err(e) => {
            let _ = writeln!(out, "pods: cannot list them: {e}");
        }
    }
    let _ = writeln!(out, "operator log, last {TAIL_LINES} lines:");
    match std::fs::read_to_string(operator_log) {
        Ok(text) => out.push_str(&indent(&tail(&text))),
        Err(e) => {
            let _ = writeln!(out, "  cannot read {}: {e}", operator_log.display());
        }
    }
    out
}

/// `title:` then one line per object of kind `K` in `namespace`, or why they could not be listed.
async fn listing<K>(client: &Client, namespace: &str, title: &str, line: fn(&K) -> String) -> String
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + k8s_openapi::serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    match api.list(&ListParams::default()).await {
        Ok(list) => {
            let mut out = format!("{title}:\n");
            for o in &list.items {
                let _ = writeln!(out, "  {}", line(o));
            }
            out
        }
        Err(e) => format!("{title}: cannot list them: {e}\n"),
    }
}

fn deployment_line(d: &Deployment) -> String {
    let st = d.status.clone().unwrap_or_default();
    format!(
        "{} generation {}/{} observed, replicas {} ready {} updated {}{}",
        d.metadata.name.as_deref().unwrap_or("?"),
        d.metadata.generation.unwrap_or(0),
        st.observed_generation.unwrap_or(0),
        st.replicas.unwrap_or(0),
        st.ready_replicas.unwrap_or(0),
        st.updated_replicas.unwrap_or(0),
        if d.metadata.deletion_timestamp.is_some() {
            ", being deleted"
        } else {
            ""
        }
    )
}

fn slice_line(s: &EndpointSlice) -> String {
    let service = s
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("kubernetes.io/service-name"))
        .map(String::as_str)
        .unwrap_or("?");
    let endpoints: Vec<String> = s
        .endpoints
        .iter()
        .map(|e| {
            let ready = e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(false);
            format!(
                "{}{}",
                e.addresses.join(","),
                if ready { "" } else { " (not ready)" }
            )
        })
        .collect();
    format!(
        "{} of Service {service}: [{}]",
        s.metadata.name.as_deref().unwrap_or("?"),
        endpoints.join(", ")
    )
}

fn pod_lines(p: &Pod) -> String {
    let mut out = String::new();
    let status = p.status.clone().unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} phase {}{}",
        p.metadata.name.as_deref().unwrap_or("?"),
        status.phase.as_deref().unwrap_or("?"),
        if p.metadata.deletion_timestamp.is_some() {
            ", being deleted"
        } else {
            ""
        }
    );
    for c in status.container_statuses.iter().flatten() {
        let _ = writeln!(
            out,
            "    {} ready {} restarts {} now {} last {}",
            c.name,
            c.ready,
            c.restart_count,
            state_words(c.state.as_ref()),
            state_words(c.last_state.as_ref())
        );
    }
    out
}

fn state_words(s: Option<&ContainerState>) -> String {
    let Some(s) = s else {
        return "-".into();
    };
    if let Some(w) = &s.waiting {
        return format!("waiting {}", w.reason.as_deref().unwrap_or("?"));
    }
    if let Some(t) = &s.terminated {
        return format!(
            "terminated exit {} {}",
            t.exit_code,
            t.reason.as_deref().unwrap_or("")
        );
    }
    if s.running.is_some() {
        return "running".into();
    }
    "-".into()
}

/// The last lines of each container's current log and, after a restart, its previous one.
async fn log_tails(pods: &Api<Pod>, p: &Pod) -> String {
    let mut out = String::new();
    let name = p.metadata.name.clone().unwrap_or_default();
    for c in p
        .status
        .iter()
        .flat_map(|s| s.container_statuses.iter().flatten())
    {
        let runs: &[bool] = if c.restart_count > 0 {
            &[true, false]
        } else {
            &[false]
        };
        for &previous in runs {
            let params = LogParams {
                container: Some(c.name.clone()),
                tail_lines: Some(LOG_LINES_READ),
                previous,
                ..LogParams::default()
            };
            let which = if previous { "previous" } else { "current" };
            let _ = writeln!(out, "log of {name}/{} ({which} run):", c.name);
            match pods.logs(&name, &params).await {
                Ok(text) => out.push_str(&indent(&tail(&without_stack_frames(&text)))),
                Err(e) => {
                    let _ = writeln!(out, "  cannot read it: {e}");
                }
            }
        }
    }
    out
}

/// A JVM's log without its stack frames, so the tail shows the exception and its causes.
fn without_stack_frames(text: &str) -> String {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("at ") || (t.starts_with("... ") && t.ends_with(" more")))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(TAIL_LINES as usize);
    lines[from..].join("\n")
}

/// Indents every line, cut to 300 characters (stack traces have very long ones).
fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            let cut: String = l.chars().take(300).collect();
            format!("  {cut}\n")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_keep_the_last_lines_and_cut_long_ones() {
        let text: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let t = tail(&text);
        assert!(t.starts_with("line 15") && t.ends_with("line 39"), "{t}");
        let trace =
            "java.io.FileNotFoundException: chk-2\n\tat a.B(B.java:1)\n\t... 5 more\nCaused by: x";
        assert_eq!(
            without_stack_frames(trace),
            "java.io.FileNotFoundException: chk-2\nCaused by: x"
        );
        let long = "x".repeat(1000);
        assert_eq!(indent(&long).len(), 2 + 300 + 1);
    }
}
