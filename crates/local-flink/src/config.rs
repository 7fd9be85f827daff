//! The `config.yaml` of a local cluster: flat dotted keys, which Flink 1.20 and 2.x both read
//! (no IO).

use std::fmt::Write;
use std::path::Path;

use crate::FlinkVersion;

/// The ports one local cluster listens on (all on 127.0.0.1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ports {
    pub rest: u16,
    pub jobmanager_rpc: u16,
    pub blob: u16,
    pub taskmanager_rpc: u16,
    pub taskmanager_data: u16,
}

/// The folders of one local cluster.
pub(crate) struct Folders<'a> {
    pub checkpoints: &'a Path,
    pub savepoints: &'a Path,
    pub tmp: &'a Path,
}

/// Renders the cluster's configuration; an `extra` entry replaces ours of the same key.
pub(crate) fn render(
    version: FlinkVersion,
    ports: Ports,
    folders: &Folders<'_>,
    slots: u32,
    extra: &[(String, String)],
) -> String {
    let tmp = folders.tmp.display();
    let mut entries: Vec<(String, String)> = vec![
        ("jobmanager.rpc.address", "127.0.0.1".to_string()),
        ("jobmanager.rpc.port", ports.jobmanager_rpc.to_string()),
        ("jobmanager.bind-host", "127.0.0.1".into()),
        ("jobmanager.memory.process.size", "1024m".into()),
        ("jobmanager.execution.failover-strategy", "region".into()),
        ("taskmanager.bind-host", "127.0.0.1".into()),
        ("taskmanager.host", "127.0.0.1".into()),
        ("taskmanager.rpc.port", ports.taskmanager_rpc.to_string()),
        ("taskmanager.data.port", ports.taskmanager_data.to_string()),
        ("taskmanager.numberOfTaskSlots", slots.to_string()),
        ("taskmanager.memory.process.size", "1024m".into()),
        // With a 1 GiB process the default managed fraction leaves the task heap tiny.
        ("taskmanager.memory.managed.size", "64m".into()),
        ("rest.address", "127.0.0.1".into()),
        ("rest.bind-address", "127.0.0.1".into()),
        ("rest.port", ports.rest.to_string()),
        ("blob.server.port", ports.blob.to_string()),
        // JobManager and TaskManager read the same file, so a fixed port would collide: 0
        // lets each pick a free one.
        ("metrics.internal.query-service.port", "0".into()),
        // Metrics read through REST lag by this much; the default 10 s slows tests down.
        ("metrics.fetcher.update-interval", "1000".into()),
        ("parallelism.default", "1".into()),
        // Without it the TaskManager waits 10 s before retrying a refused registration.
        ("cluster.registration.error-delay", "1000".into()),
        (
            "execution.checkpointing.dir",
            format!("file://{}", folders.checkpoints.display()),
        ),
        (
            "execution.checkpointing.savepoint-dir",
            format!("file://{}", folders.savepoints.display()),
        ),
        // Keep checkpoints of cancelled jobs, so a job can be restored from its latest one.
        (
            "execution.checkpointing.externalized-checkpoint-retention",
            "RETAIN_ON_CANCELLATION".into(),
        ),
        ("io.tmp.dirs", format!("{tmp}/io")),
        ("web.tmpdir", format!("{tmp}/web")),
        ("web.upload.dir", format!("{tmp}/upload")),
        ("blob.storage.directory", format!("{tmp}/blob")),
        ("env.java.opts.all", version.java_opts()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        entries.retain(|(key, _)| key != k);
        entries.push((k.clone(), v.clone()));
    }
    let mut out = String::from("# Written by local-flink for one local test cluster.\n");
    for (k, v) in entries {
        let _ = writeln!(out, "{k}: {}", quote(&v));
    }
    out
}

/// Quotes a value as a YAML string when it could be read as something else.
fn quote(v: &str) -> String {
    let plain = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-/:".contains(c))
        && !v.is_empty();
    if plain && !v.contains(": ") {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_entries_override_and_values_with_spaces_are_quoted() {
        let ports = Ports {
            rest: 1,
            jobmanager_rpc: 2,
            blob: 3,
            taskmanager_rpc: 4,
            taskmanager_data: 5,
        };
        let folders = Folders {
            checkpoints: Path::new("/c"),
            savepoints: Path::new("/s"),
            tmp: Path::new("/t"),
        };
        let text = render(
            FlinkVersion::V2,
            ports,
            &folders,
            2,
            &[("parallelism.default".into(), "3".into())],
        );
        assert!(text.contains("parallelism.default: 3\n"), "{text}");
        assert!(!text.contains("parallelism.default: 1"), "{text}");
        assert!(text.contains("rest.port: 1\n"));
        assert!(
            text.contains("env.java.opts.all: \"--add-exports"),
            "{text}"
        );
        assert!(
            text.contains("execution.checkpointing.savepoint-dir: file:///s\n"),
            "{text}"
        );
    }
}
