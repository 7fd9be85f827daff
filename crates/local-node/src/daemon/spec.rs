//! What a container runs: its environment (`value`, `fieldRef`, ConfigMap/Secret refs,
//! `$(VAR)` expansion), its argv (the official Flink image's entry), and the start script
//! that prepares its mount namespace (pure: no IO).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::{Container, Pod};

/// The Flink distribution's home inside a container.
pub(crate) const FLINK_HOME: &str = "/opt/flink";

/// What kind of image a container runs, as far as its entry is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// The official Flink image's `docker-entrypoint.sh` conventions.
    Flink,
    /// A busybox-like image: no entrypoint, `sh` by default.
    Host,
}

/// Facts about the pod that `fieldRef` can name.
#[derive(Debug, Clone)]
pub(crate) struct PodFacts<'a> {
    pub pod: &'a Pod,
    pub pod_ip: String,
    pub host_ip: String,
    pub node_name: &'a str,
}

/// ConfigMaps and Secrets (already decoded) that env entries may reference, by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Refs {
    pub config_maps: BTreeMap<String, BTreeMap<String, String>>,
    pub secrets: BTreeMap<String, BTreeMap<String, String>>,
}

/// The container's environment in order (later entries win), or why it cannot be made
/// (the kubelet's `CreateContainerConfigError`).
pub(crate) fn container_env(
    c: &Container,
    facts: &PodFacts<'_>,
    refs: &Refs,
) -> Result<Vec<(String, String)>, String> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let set = |vars: &mut Vec<(String, String)>, k: String, v: String| {
        vars.retain(|(key, _)| *key != k);
        vars.push((k, v));
    };
    for from in c.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        let (source, optional, kind) = if let Some(cm) = &from.config_map_ref {
            (
                refs.config_maps.get(&cm.name),
                cm.optional.unwrap_or(false),
                ("configmap", &cm.name),
            )
        } else if let Some(s) = &from.secret_ref {
            (
                refs.secrets.get(&s.name),
                s.optional.unwrap_or(false),
                ("secret", &s.name),
            )
        } else {
            continue;
        };
        match source {
            Some(map) => {
                for (k, v) in map {
                    set(&mut vars, format!("{prefix}{k}"), v.clone());
                }
            }
            None if optional => {}
            None => return Err(format!("{} \"{}\" not found", kind.0, kind.1)),
        }
    }
    for e in c.env.iter().flatten() {
        let value = if let Some(v) = &e.value {
            expand(v, &vars)
        } else if let Some(from) = &e.value_from {
            if let Some(f) = &from.field_ref {
                field(&f.field_path, facts)
                    .ok_or_else(|| format!("unsupported fieldRef {}", f.field_path))?
            } else if let Some(k) = &from.config_map_key_ref {
                match refs.config_maps.get(&k.name).and_then(|m| m.get(&k.key)) {
                    Some(v) => v.clone(),
                    None if k.optional.unwrap_or(false) => continue,
                    None => {
                        return Err(format!(
                            "couldn't find key {} in ConfigMap {}",
                            k.key, k.name
                        ));
                    }
                }
            } else if let Some(k) = &from.secret_key_ref {
                match refs.secrets.get(&k.name).and_then(|m| m.get(&k.key)) {
                    Some(v) => v.clone(),
                    None if k.optional.unwrap_or(false) => continue,
                    None => {
                        return Err(format!("couldn't find key {} in Secret {}", k.key, k.name));
                    }
                }
            } else {
                // resourceFieldRef: no resource limits on this node.
                String::new()
            }
        } else {
            String::new()
        };
        set(&mut vars, e.name.clone(), value);
    }
    Ok(vars)
}

fn field(path: &str, facts: &PodFacts<'_>) -> Option<String> {
    let meta = &facts.pod.metadata;
    let spec = facts.pod.spec.as_ref();
    let lookup = |map: &Option<BTreeMap<String, String>>, key: &str| {
        map.as_ref()
            .and_then(|m| m.get(key))
            .cloned()
            .unwrap_or_default()
    };
    if let Some(key) = bracketed(path, "metadata.labels") {
        return Some(lookup(&meta.labels, key));
    }
    if let Some(key) = bracketed(path, "metadata.annotations") {
        return Some(lookup(&meta.annotations, key));
    }
    Some(match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => facts.node_name.to_string(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_else(|| "default".into()),
        "status.podIP" | "status.podIPs" => facts.pod_ip.clone(),
        "status.hostIP" | "status.hostIPs" => facts.host_ip.clone(),
        _ => return None,
    })
}

fn bracketed<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let inner = path.strip_prefix(prefix)?.strip_prefix("['")?;
    inner.strip_suffix("']")
}

/// Kubernetes' `$(VAR)` expansion: defined variables are replaced, `$$` escapes a `$`,
/// anything else is left as written.
pub(crate) fn expand(input: &str, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('(') {
            match body.find(')') {
                Some(end) => {
                    let name = &body[..end];
                    match vars.iter().rev().find(|(k, _)| k == name) {
                        Some((_, v)) => out.push_str(v),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &body[end + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The process's argv: `command` + `args` as Kubernetes combines them with the image's
/// entrypoint, the Flink entry words mapped onto the distribution's scripts in foreground
/// mode (they `exec java`, so the process is the JVM).
pub(crate) fn argv(c: &Container, entry: Entry, vars: &[(String, String)]) -> Vec<String> {
    let args: Vec<String> = c.args.iter().flatten().map(|a| expand(a, vars)).collect();
    if let Some(command) = c.command.as_ref().filter(|c| !c.is_empty()) {
        let mut out: Vec<String> = command.iter().map(|a| expand(a, vars)).collect();
        out.extend(args);
        return out;
    }
    match entry {
        Entry::Host if args.is_empty() => vec!["sh".into()],
        Entry::Host => args,
        Entry::Flink => flink_entry(args),
    }
}

fn flink_entry(mut args: Vec<String>) -> Vec<String> {
    let first = args.first().cloned().unwrap_or_else(|| "help".into());
    let script = match first.as_str() {
        "jobmanager" => "jobmanager.sh",
        "taskmanager" => "taskmanager.sh",
        "standalone-job" => "standalone-job.sh",
        "history-server" => "historyserver.sh",
        "help" => {
            return vec![
                "sh".into(),
                "-c".into(),
                "echo 'Usage: (jobmanager|standalone-job|taskmanager|history-server)|help'".into(),
            ];
        }
        _ => return args,
    };
    args.remove(0);
    let mut out = vec![
        format!("{FLINK_HOME}/bin/{script}"),
        "start-foreground".to_string(),
    ];
    out.extend(args);
    out
}

/// A bind mount into the container's mount namespace.
#[derive(Debug, Clone)]
pub(crate) struct Mount {
    /// The host path.
    pub source: PathBuf,
    /// The path inside the container.
    pub target: String,
    /// Whether the source is a file (else a folder).
    pub is_file: bool,
    /// Remount read-only.
    pub read_only: bool,
}

/// The Flink image's root: an overlay of the image's `opt/flink` (read-only lower layer)
/// and a fresh writable layer per container start.
#[derive(Debug, Clone)]
pub(crate) struct FlinkRoot {
    pub lower: PathBuf,
    pub upper: PathBuf,
    pub work: PathBuf,
    /// The writable copy of `/opt/flink/conf` (`FLINK_CONF_DIR`).
    pub conf_dir: PathBuf,
}

/// The shell script that runs inside the container's fresh mount and UTS namespaces, sets
/// them up, and `exec`s the argv it is given.
#[derive(Debug, Clone)]
pub(crate) struct StartScript {
    pub hostname: String,
    pub flink: Option<FlinkRoot>,
    pub tmp: PathBuf,
    pub mounts: Vec<Mount>,
    pub working_dir: String,
    /// Where the host's `/tmp` and `/opt` stay reachable once the container's own cover
    /// them; must lie outside both (see [`HOST_VIEW`]).
    pub host_view: PathBuf,
    /// The pod's folder on the host (hosts file, volumes, conf): the container reads it at
    /// its host path, so it stays visible even when it lies under `/tmp` or `/opt`.
    pub pod_dir: PathBuf,
}

/// The mount point of the host views. Mounts happen in each container's private mount
/// namespace, so one empty folder serves every container; it lies outside `/tmp` and
/// `/opt` because the container's own mounts cover those.
pub(crate) const HOST_VIEW: &str = "/run/local-node/host";

/// Host folders the container's own mounts cover.
const SHADOWED: [&str; 2] = ["/tmp", "/opt"];

/// Quotes a string for `sh`.
pub(crate) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn q(p: &std::path::Path) -> String {
    sh_quote(&p.to_string_lossy())
}

impl StartScript {
    /// The script's text.
    pub fn render(&self) -> String {
        let mut s = String::from(
            "#!/bin/sh\n# Written by local-node: prepares one container's namespaces.\nset -e\n",
        );
        let _ = writeln!(s, "hostname {}", sh_quote(&self.hostname));
        // The container's own /tmp and /opt cover the host's. Volume sources there (a
        // hostPath such as /tmp/flink-data) are reached through a view of the host folder
        // bound before it is covered.
        let mut mounts = self.mounts.clone();
        let mut reexpose = Vec::new();
        for root in SHADOWED {
            let under = |p: &std::path::Path| p.starts_with(root);
            let pod_dir_under = under(&self.pod_dir);
            if !pod_dir_under && !mounts.iter().any(|m| under(&m.source)) {
                continue;
            }
            let view = self.host_view.join(&root[1..]);
            let _ = writeln!(s, "mkdir -p {v}\nmount --bind {root} {v}", v = q(&view));
            for m in mounts.iter_mut().filter(|m| under(&m.source)) {
                if let Ok(rest) = m.source.strip_prefix(root) {
                    m.source = view.join(rest);
                }
            }
            if let (true, Ok(rest)) = (pod_dir_under, self.pod_dir.strip_prefix(root)) {
                reexpose.push(view.join(rest));
            }
        }
        if let Some(f) = &self.flink {
            // A tmpfs hides the host's /opt inside this container, so /opt/flink can exist
            // without touching the host.
            s.push_str("mount -t tmpfs -o mode=755 local-node-opt /opt\nmkdir -p /opt/flink\n");
            let _ = writeln!(
                s,
                "mount -t overlay overlay -o lowerdir={},upperdir={},workdir={} /opt/flink",
                q(&f.lower),
                q(&f.upper),
                q(&f.work)
            );
        }
        let _ = writeln!(s, "mount --bind {} /tmp", q(&self.tmp));
        // A checkout under /tmp (or /opt) keeps the pod folder at its host path.
        for view in &reexpose {
            let _ = writeln!(
                s,
                "mkdir -p {d}\nmount --bind {v} {d}",
                d = q(&self.pod_dir),
                v = q(view)
            );
        }
        // Parents before children.
        mounts.sort_by_key(|m| m.target.matches('/').count());
        for m in &mounts {
            let t = sh_quote(&m.target);
            if m.is_file {
                let _ = writeln!(s, "mkdir -p \"$(dirname {t})\"; [ -e {t} ] || touch {t}");
            } else {
                let _ = writeln!(s, "mkdir -p {t}");
            }
            let _ = writeln!(s, "mount --bind {} {t}", q(&m.source));
            if m.read_only {
                let _ = writeln!(s, "mount -o remount,bind,ro {t} || true");
            }
        }
        if let Some(f) = &self.flink {
            let conf = q(&f.conf_dir);
            let _ = writeln!(
                s,
                "mkdir -p {conf}\ncp -rL /opt/flink/conf/. {conf}/ 2>/dev/null || true"
            );
            // FLINK_PROPERTIES replaces same-named keys of the config file, as the official
            // entrypoint does; the file holds flat `key: value` lines.
            let _ = writeln!(
                s,
                r#"f={conf}/config.yaml; [ -f "$f" ] || [ ! -f {conf}/flink-conf.yaml ] || f={conf}/flink-conf.yaml
if [ -n "${{FLINK_PROPERTIES:-}}" ]; then
  printf '%s\n' "$FLINK_PROPERTIES" > {conf}/.flink-properties
  touch "$f"
  awk 'NR==FNR {{ k=$0; sub(/:.*/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", k); if (k != "" && k !~ /^#/) keys[k]=1; next }}
       {{ k=$0; sub(/:.*/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", k); if (!(k in keys)) print }}' {conf}/.flink-properties "$f" > "$f.tmp"
  cat {conf}/.flink-properties >> "$f.tmp"
  mv "$f.tmp" "$f"
fi"#
            );
        }
        let _ = writeln!(
            s,
            "cd {} 2>/dev/null || cd /\nexec \"$@\"",
            sh_quote(&self.working_dir)
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector};
    use kube::api::ObjectMeta;

    fn pod() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("tm-1".into()),
                namespace: Some("ns".into()),
                ..ObjectMeta::default()
            },
            ..Pod::default()
        }
    }

    #[test]
    fn expansion_follows_kubernetes_rules() {
        let vars = vec![("POD_IP".to_string(), "10.244.0.7".to_string())];
        assert_eq!(
            expand("-Dtaskmanager.host=$(POD_IP)", &vars),
            "-Dtaskmanager.host=10.244.0.7"
        );
        assert_eq!(
            expand("$(MISSING) $$(POD_IP) $x", &vars),
            "$(MISSING) $(POD_IP) $x"
        );
    }

    #[test]
    fn env_resolves_field_refs_and_earlier_vars() {
        let p = pod();
        let facts = PodFacts {
            pod: &p,
            pod_ip: "10.244.0.7".into(),
            host_ip: "127.0.0.1".into(),
            node_name: "local-node",
        };
        let c = Container {
            env: Some(vec![
                EnvVar {
                    name: "POD_IP".into(),
                    value_from: Some(EnvVarSource {
                        field_ref: Some(ObjectFieldSelector {
                            field_path: "status.podIP".into(),
                            ..ObjectFieldSelector::default()
                        }),
                        ..EnvVarSource::default()
                    }),
                    ..EnvVar::default()
                },
                EnvVar {
                    name: "ADDR".into(),
                    value: Some("$(POD_IP):6122".into()),
                    ..EnvVar::default()
                },
            ]),
            ..Container::default()
        };
        let env = container_env(&c, &facts, &Refs::default()).expect("env");
        assert_eq!(env[1], ("ADDR".to_string(), "10.244.0.7:6122".to_string()));
    }

    #[test]
    fn flink_entry_words_map_to_foreground_scripts() {
        let c = Container {
            args: Some(vec![
                "taskmanager".into(),
                "-Dtaskmanager.host=$(POD_IP)".into(),
            ]),
            ..Container::default()
        };
        let vars = vec![("POD_IP".to_string(), "10.244.0.7".to_string())];
        assert_eq!(
            argv(&c, Entry::Flink, &vars),
            vec![
                "/opt/flink/bin/taskmanager.sh",
                "start-foreground",
                "-Dtaskmanager.host=10.244.0.7"
            ]
        );
        let cmd = Container {
            command: Some(vec!["sh".into(), "-c".into()]),
            args: Some(vec!["exit 3".into()]),
            ..Container::default()
        };
        assert_eq!(argv(&cmd, Entry::Flink, &[]), vec!["sh", "-c", "exit 3"]);
    }

    #[test]
    fn script_mounts_parents_before_children() {
        let script = StartScript {
            hostname: "jm-0".into(),
            flink: None,
            tmp: "/p/tmp".into(),
            mounts: vec![
                Mount {
                    source: "/v/b".into(),
                    target: "/data/x/y".into(),
                    is_file: false,
                    read_only: false,
                },
                Mount {
                    source: "/tmp/a".into(),
                    target: "/data".into(),
                    is_file: false,
                    read_only: true,
                },
            ],
            working_dir: "/".into(),
            host_view: "/p/host".into(),
            pod_dir: "/v/pod".into(),
        }
        .render();
        // A source under /tmp is reached through the host view, bound before /tmp is covered.
        let view = script
            .find("mount --bind /tmp '/p/host/tmp'")
            .expect("host view");
        let tmp = script.find("mount --bind '/p/tmp' /tmp").expect("tmp");
        assert!(view < tmp, "{script}");
        let a = script.find("mount --bind '/p/host/tmp/a'").expect("a");
        let b = script.find("mount --bind '/v/b'").expect("b");
        assert!(a < b, "{script}");
        assert!(script.contains("hostname 'jm-0'"));
        assert!(script.ends_with("exec \"$@\"\n"));
        assert!(!script.contains("'/p/host/tmp/v"), "{script}");
    }

    #[test]
    fn a_pod_folder_under_tmp_stays_visible_at_its_host_path() {
        let script = StartScript {
            hostname: "tm-0".into(),
            flink: None,
            tmp: "/tmp/co/pod/run/tmp".into(),
            mounts: vec![],
            working_dir: "/".into(),
            host_view: "/run/view".into(),
            pod_dir: "/tmp/co/pod".into(),
        }
        .render();
        let view = script
            .find("mount --bind /tmp '/run/view/tmp'")
            .expect("host view");
        let cover = script
            .find("mount --bind '/tmp/co/pod/run/tmp' /tmp")
            .expect("tmp");
        let back = script
            .find("mount --bind '/run/view/tmp/co/pod' '/tmp/co/pod'")
            .expect("pod folder re-exposed");
        assert!(view < cover && cover < back, "{script}");
    }
}
