//! Focused behaviour of the builders: replicas, restore args, pod template merging,
//! configuration layering, memory, errors and determinism.

use std::collections::BTreeMap;

use flink_crd::FlinkDeploymentSpec;
use flink_resources::{BuildError, ClusterInput, ClusterResources, MAIN_CONTAINER, build};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use serde_json::{Value, json};

const JOB_ID: &str = "0000000000000000000000000000abcd";

fn spec(extra: Value) -> FlinkDeploymentSpec {
    let mut base = json!({
        "image": "flink:2.3",
        "flinkVersion": "v2_3",
        "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "entryClass": "com.example.Job"}
    });
    flink_resources::pod_template::merge_json(&mut base, &extra, "");
    serde_json::from_value(base).expect("a valid spec")
}

struct Opts<'a> {
    restore: Option<&'a str>,
    allow_non_restored: bool,
    defaults: BTreeMap<String, String>,
    hash: &'a str,
}

impl Default for Opts<'_> {
    fn default() -> Self {
        Opts {
            restore: None,
            allow_non_restored: false,
            defaults: BTreeMap::new(),
            hash: "h1",
        }
    }
}

fn try_build(spec: &FlinkDeploymentSpec, o: &Opts<'_>) -> Result<ClusterResources, BuildError> {
    build(&ClusterInput {
        name: "demo",
        namespace: "ns",
        uid: "uid-1",
        spec,
        spec_hash: o.hash,
        job_id: spec.job.as_ref().map(|_| JOB_ID),
        restore_path: o.restore,
        allow_non_restored_state: o.allow_non_restored,
        operator_defaults: &o.defaults,
    })
}

fn objects(spec: &FlinkDeploymentSpec) -> ClusterResources {
    try_build(spec, &Opts::default()).expect("builds")
}

fn pod(d: &Deployment) -> &PodSpec {
    d.spec
        .as_ref()
        .expect("spec")
        .template
        .spec
        .as_ref()
        .expect("pod spec")
}

fn main_container(d: &Deployment) -> &Container {
    let c = &pod(d).containers[0];
    assert_eq!(c.name, MAIN_CONTAINER, "the Flink container comes first");
    c
}

fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).expect("replicas")
}

fn config(o: &ClusterResources) -> String {
    let data = o.config_map.data.as_ref().expect("data");
    data.get("config.yaml")
        .or_else(|| data.get("flink-conf.yaml"))
        .expect("config file")
        .clone()
}

fn conf_line<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
}

#[test]
fn taskmanager_replicas_default_to_enough_slots_for_the_parallelism() {
    let s = spec(
        json!({"job": {"parallelism": 5}, "flinkConfiguration": {"taskmanager.numberOfTaskSlots": 2}}),
    );
    assert_eq!(replicas(&objects(&s).task_manager), 3, "ceil(5 / 2)");
    let s = spec(
        json!({"job": {"parallelism": 4}, "flinkConfiguration": {"taskmanager.numberOfTaskSlots": 2}}),
    );
    assert_eq!(replicas(&objects(&s).task_manager), 2);
    let s = spec(json!({"job": {"parallelism": 3}}));
    assert_eq!(
        replicas(&objects(&s).task_manager),
        3,
        "one slot per TaskManager by default"
    );
    let s = spec(
        json!({"flinkConfiguration": {"parallelism.default": 6, "taskmanager.numberOfTaskSlots": 4}}),
    );
    assert_eq!(
        replicas(&objects(&s).task_manager),
        2,
        "parallelism.default when job.parallelism is unset"
    );
    let s = spec(json!({"job": {"parallelism": 8}, "taskManager": {"replicas": 1}}));
    assert_eq!(
        replicas(&objects(&s).task_manager),
        1,
        "taskManager.replicas wins"
    );
    let mut s = spec(json!({"flinkConfiguration": {"parallelism.default": 6}}));
    s.job = None;
    assert_eq!(
        replicas(&objects(&s).task_manager),
        1,
        "a session cluster starts one"
    );
    let s = spec(json!({"jobManager": {"replicas": 2}}));
    assert_eq!(replicas(&objects(&s).job_manager), 2);
}

#[test]
fn restore_args_and_session_args() {
    let s = spec(json!({"job": {"args": ["--keys", "4"]}}));
    let o = try_build(
        &s,
        &Opts {
            restore: Some("s3://b/sp-1"),
            allow_non_restored: true,
            ..Default::default()
        },
    )
    .expect("builds");
    assert_eq!(
        main_container(&o.job_manager)
            .args
            .as_deref()
            .expect("args"),
        [
            "standalone-job",
            "--job-classname",
            "com.example.Job",
            "--job-id",
            JOB_ID,
            "--fromSavepoint",
            "s3://b/sp-1",
            "--allowNonRestoredState",
            "--keys",
            "4"
        ]
    );
    let o = try_build(
        &s,
        &Opts {
            allow_non_restored: true,
            ..Default::default()
        },
    )
    .expect("builds");
    let args = main_container(&o.job_manager).args.clone().expect("args");
    assert!(
        !args
            .iter()
            .any(|a| a == "--allowNonRestoredState" || a == "--fromSavepoint"),
        "{args:?}"
    );

    let mut session = spec(json!({}));
    session.job = None;
    let o = objects(&session);
    assert_eq!(
        main_container(&o.job_manager).args.as_deref(),
        Some(&["jobmanager".to_string()][..])
    );
    assert_eq!(
        main_container(&o.task_manager)
            .args
            .as_deref()
            .expect("args"),
        ["taskmanager", "-Dtaskmanager.host=$(POD_IP)"]
    );
    let text = config(&o);
    assert_eq!(
        conf_line(&text, "execution.shutdown-on-application-finish"),
        None
    );
    assert_eq!(conf_line(&text, "pipeline.classpaths"), None);
}

#[test]
fn remote_jars_are_fetched_by_the_entry_point_and_ha_advertises_the_pod_address() {
    let s = spec(json!({
        "job": {"jarURI": "https://repo.example.com/job.jar"},
        "flinkConfiguration": {"high-availability.type": "kubernetes", "high-availability.storageDir": "s3://b/ha"}
    }));
    let o = objects(&s);
    let args = main_container(&o.job_manager).args.clone().expect("args");
    let at = args.iter().position(|a| a == "--jars").expect("--jars");
    assert_eq!(args[at + 1], "https://repo.example.com/job.jar");
    assert!(
        args.contains(&"-Djobmanager.rpc.address=$(POD_IP)".to_string()),
        "{args:?}"
    );
    assert_eq!(conf_line(&config(&o), "pipeline.classpaths"), None);
}

#[test]
fn pod_templates_keep_user_sidecars_env_and_mounts_beside_ours() {
    let s = spec(json!({
        "podTemplate": {
            "metadata": {"labels": {"team": "data", "app": "theirs"}, "annotations": {"a": "1"}},
            "spec": {
                "initContainers": [{"name": "init", "image": "busybox"}],
                "containers": [
                    {"name": "flink-main-container",
                     "env": [{"name": "USER_ENV", "value": "x"}, {"name": "POD_IP", "value": "1.2.3.4"}],
                     "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "mine", "mountPath": "/opt/flink/conf"}],
                     "resources": {"requests": {"ephemeral-storage": "1Gi"}}},
                    {"name": "sidecar", "image": "busybox"}
                ],
                "volumes": [{"name": "data", "emptyDir": {}}, {"name": "flink-config-volume", "emptyDir": {}}],
                "nodeSelector": {"disk": "ssd"}
            }
        },
        "taskManager": {"podTemplate": {"spec": {
            "containers": [{"name": "flink-main-container", "env": [{"name": "TM_ONLY", "value": "y"}]}]
        }}},
        "jobManager": {"resource": {"memory": "2g", "cpu": 1}}
    }));
    let o = objects(&s);
    for (d, component) in [
        (&o.job_manager, "jobmanager"),
        (&o.task_manager, "taskmanager"),
    ] {
        let tpl = &d.spec.as_ref().expect("spec").template;
        let labels = tpl
            .metadata
            .as_ref()
            .and_then(|m| m.labels.as_ref())
            .expect("labels");
        assert_eq!(labels["team"], "data", "user label kept");
        assert_eq!(labels["app"], "demo", "our selector label wins");
        assert_eq!(labels["component"], component);
        assert_eq!(labels["flink-operator-rs.dev/spec-hash"], "h1");
        let annotations = tpl
            .metadata
            .as_ref()
            .and_then(|m| m.annotations.as_ref())
            .expect("annotations");
        assert_eq!(annotations["a"], "1");

        let p = pod(d);
        let names: Vec<_> = p.containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [MAIN_CONTAINER, "sidecar"],
            "user sidecar kept after ours"
        );
        assert_eq!(p.init_containers.as_ref().expect("init")[0].name, "init");
        assert_eq!(
            p.node_selector.as_ref().expect("nodeSelector")["disk"],
            "ssd"
        );
        let volumes: Vec<_> = p
            .volumes
            .as_ref()
            .expect("volumes")
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(volumes, ["flink-config-volume", "data"]);
        assert!(
            p.volumes.as_ref().expect("volumes")[0].config_map.is_some(),
            "our ConfigMap volume wins its name"
        );

        let main = main_container(d);
        let env = main.env.as_ref().expect("env");
        let value = |n: &str| env.iter().find(|e| e.name == n).map(|e| e.value.clone());
        assert_eq!(
            value("USER_ENV"),
            Some(Some("x".into())),
            "user env on the main container kept"
        );
        assert_eq!(
            env.iter().filter(|e| e.name == "POD_IP").count(),
            1,
            "no duplicate names (server-side apply refuses them)"
        );
        assert!(
            env[0].value_from.is_some(),
            "our POD_IP from status.podIP wins"
        );
        let mounts: Vec<_> = main
            .volume_mounts
            .as_ref()
            .expect("mounts")
            .iter()
            .map(|m| (m.name.as_str(), m.mount_path.as_str()))
            .collect();
        assert_eq!(
            mounts,
            [
                ("flink-config-volume", "/opt/flink/conf"),
                ("data", "/data")
            ],
            "our conf mount kept"
        );
        let res = main.resources.as_ref().expect("resources");
        assert_eq!(
            res.requests.as_ref().expect("requests")["ephemeral-storage"].0,
            "1Gi",
            "template resources kept"
        );
    }
    let tm_env = main_container(&o.task_manager).env.clone().expect("env");
    assert!(
        tm_env.iter().any(|e| e.name == "TM_ONLY"),
        "component template merged over the top one"
    );
    assert!(
        tm_env.iter().any(|e| e.name == "USER_ENV"),
        "top template's env kept in the component merge"
    );
    let jm_env = main_container(&o.job_manager).env.clone().expect("env");
    assert!(!jm_env.iter().any(|e| e.name == "TM_ONLY"));
    let jm_res = main_container(&o.job_manager)
        .resources
        .clone()
        .expect("resources");
    assert_eq!(jm_res.limits.expect("limits")["memory"].0, "2Gi");
}

#[test]
fn the_image_may_come_from_the_template_but_must_come_from_somewhere() {
    let mut s = spec(
        json!({"podTemplate": {"spec": {"containers": [{"name": "flink-main-container", "image": "mine:1"}]}}}),
    );
    s.image = None;
    assert_eq!(
        main_container(&objects(&s).job_manager).image.as_deref(),
        Some("mine:1")
    );
    let mut s = spec(json!({"imagePullPolicy": "Always"}));
    assert_eq!(
        main_container(&objects(&s).task_manager)
            .image_pull_policy
            .as_deref(),
        Some("Always")
    );
    s.image = None;
    let err = try_build(&s, &Opts::default()).expect_err("no image");
    assert_eq!(err.field(), "spec.image", "{err}");
}

#[test]
fn config_file_per_version() {
    let o = objects(&spec(json!({"flinkVersion": "v1_20"})));
    let data = o.config_map.data.as_ref().expect("data");
    assert!(data.contains_key("flink-conf.yaml") && !data.contains_key("config.yaml"));
    assert!(data["flink-conf.yaml"].contains("sun.net.util"));
    let o = objects(&spec(json!({"flinkVersion": "v2_2"})));
    let data = o.config_map.data.as_ref().expect("data");
    assert!(data.contains_key("config.yaml") && !data.contains_key("flink-conf.yaml"));
    assert!(!data["config.yaml"].contains("sun.net.util"));
    assert!(data.contains_key("log4j-console.properties"));
}

#[test]
fn user_config_wins_over_operator_defaults_which_win_over_ours() {
    let s = spec(json!({"flinkConfiguration": {
        "env.java.default-opts.all": "-Dmine=1",
        "state.backend.type": "rocksdb",
        "rest.port": 9999,
        "execution.checkpointing.externalized-checkpoint-retention": "DELETE_ON_CANCELLATION"
    }}));
    let defaults = BTreeMap::from([
        ("state.backend.type".to_string(), "hashmap".to_string()),
        ("web.cancel.enable".to_string(), "true".to_string()),
        ("metrics.reporters".to_string(), "prom".to_string()),
    ]);
    let o = try_build(
        &s,
        &Opts {
            defaults,
            ..Default::default()
        },
    )
    .expect("builds");
    let text = config(&o);
    assert_eq!(
        conf_line(&text, "env.java.default-opts.all"),
        Some("-Dmine=1"),
        "user replaces our Java flags"
    );
    assert_eq!(
        conf_line(&text, "state.backend.type"),
        Some("rocksdb"),
        "user over operator default"
    );
    assert_eq!(
        conf_line(&text, "web.cancel.enable"),
        Some("true"),
        "operator default over ours"
    );
    assert_eq!(conf_line(&text, "metrics.reporters"), Some("prom"));
    assert_eq!(
        conf_line(
            &text,
            "execution.checkpointing.externalized-checkpoint-retention"
        ),
        Some("DELETE_ON_CANCELLATION")
    );
    assert_eq!(
        conf_line(&text, "rest.port"),
        Some("8081"),
        "the ports the Services use are fixed"
    );
}

#[test]
fn memory_sizes_flink_and_the_container_alike() {
    let s = spec(json!({
        "jobManager": {"resource": {"memory": "1536m", "cpu": 0.25}},
        "taskManager": {"resource": {"memory": "2g"}, "resources": {"limits": {"memory": "3Gi"}, "requests": {"memory": "3Gi", "cpu": "2"}}},
        "flinkConfiguration": {"kubernetes.jobmanager.memory.limit-factor": "1.5"}
    }));
    let o = objects(&s);
    let text = config(&o);
    assert_eq!(
        conf_line(&text, "jobmanager.memory.process.size"),
        Some("1536m")
    );
    assert_eq!(
        conf_line(&text, "taskmanager.memory.process.size"),
        Some("3072m"),
        "resources wins over resource"
    );
    let jm = main_container(&o.job_manager)
        .resources
        .clone()
        .expect("resources");
    assert_eq!(
        jm.requests.as_ref().expect("requests")["memory"].0,
        "1536Mi"
    );
    assert_eq!(
        jm.limits.as_ref().expect("limits")["memory"].0,
        "2304Mi",
        "memory limit factor 1.5"
    );
    assert_eq!(jm.requests.as_ref().expect("requests")["cpu"].0, "250m");
    let tm = main_container(&o.task_manager)
        .resources
        .clone()
        .expect("resources");
    assert_eq!(tm.requests.as_ref().expect("requests")["memory"].0, "3Gi");
    assert_eq!(tm.requests.as_ref().expect("requests")["cpu"].0, "2");

    // Nothing sizes the processes: the distribution's defaults, on Flink and the container.
    let o = objects(&spec(json!({})));
    let text = config(&o);
    assert_eq!(
        conf_line(&text, "jobmanager.memory.process.size"),
        Some("1600m")
    );
    assert_eq!(
        conf_line(&text, "taskmanager.memory.process.size"),
        Some("1728m")
    );
    let tm = main_container(&o.task_manager)
        .resources
        .clone()
        .expect("resources");
    assert_eq!(tm.requests.expect("requests")["memory"].0, "1728Mi");
    // A user's own sizing is left alone.
    let o = objects(&spec(
        json!({"flinkConfiguration": {"taskmanager.memory.flink.size": "1g"}}),
    ));
    assert_eq!(
        conf_line(&config(&o), "taskmanager.memory.process.size"),
        None
    );
}

#[test]
fn errors_name_the_field_to_fix() {
    let cases: Vec<(FlinkDeploymentSpec, &str)> = vec![
        (
            spec(json!({"jobManager": {"resource": {"memory": "lots"}}})),
            "spec.jobManager.resource.memory",
        ),
        (
            spec(json!({"taskManager": {"podTemplate": {"spec": {"containers": "nope"}}}})),
            "spec.taskManager.podTemplate",
        ),
        (
            spec(json!({"podTemplate": {"spec": {"volumes": 3}}})),
            "spec.podTemplate",
        ),
        (
            spec(json!({"job": {"jarURI": null, "entryClass": null}})),
            "spec.job.jarURI",
        ),
        (spec(json!({"flinkVersion": "v1_18"})), "spec.flinkVersion"),
        (
            spec(json!({"ingress": {"template": "{{nam}}.x.com"}})),
            "spec.ingress.template",
        ),
        (
            spec(json!({"flinkVersion": "v1_20", "flinkConfiguration": {"a.b": "x#y"}})),
            "spec.flinkConfiguration.a.b",
        ),
        (
            spec(json!({"taskManager": {"resource": {"cpu": -1.0}}})),
            "spec.taskManager.resource.cpu",
        ),
    ];
    for (s, field) in cases {
        let err = try_build(&s, &Opts::default()).expect_err(field);
        assert_eq!(err.field(), field, "{err}");
        assert!(
            err.to_string().starts_with(field),
            "the message names the field: {err}"
        );
    }
    let mut s = spec(json!({}));
    s.flink_version = None;
    let err = try_build(&s, &Opts::default()).expect_err("no version");
    assert_eq!(err.field(), "spec.flinkVersion");
}

#[test]
fn output_is_deterministic_and_the_hash_only_moves_labels() {
    let s = spec(json!({
        "flinkConfiguration": {"z.last": 1, "a.first": 2, "nested": {"b": 1, "a": 2}},
        "podTemplate": {"metadata": {"labels": {"z": "1", "a": "2"}}},
        "ingress": {"template": "/{{namespace}}/{{name}}", "annotations": {"y": "1", "x": "2"}}
    }));
    let a = serde_json::to_string(&objects(&s)).expect("serializes");
    let b = serde_json::to_string(&objects(&s)).expect("serializes");
    assert_eq!(a, b);
    let c = serde_json::to_string(
        &try_build(
            &s,
            &Opts {
                hash: "h2",
                ..Default::default()
            },
        )
        .expect("builds"),
    )
    .expect("serializes");
    assert_ne!(a, c);
    assert_eq!(
        a.replace("\"h1\"", "\"h2\""),
        c,
        "only the spec-hash label values differ"
    );
    assert_eq!(
        a.matches("flink-operator-rs.dev/spec-hash").count(),
        8,
        "6 objects + 2 pod templates"
    );
}

#[test]
fn log_configuration_replaces_ours_and_adds_files() {
    let s = spec(json!({"logConfiguration": {
        "log4j-console.properties": "rootLogger.level = DEBUG\n",
        "logback-console.xml": "<configuration/>"
    }}));
    let o = objects(&s);
    let data = o.config_map.data.as_ref().expect("data");
    assert_eq!(
        data["log4j-console.properties"],
        "rootLogger.level = DEBUG\n"
    );
    assert_eq!(data["logback-console.xml"], "<configuration/>");
    assert!(data.contains_key("config.yaml"));
    let s = spec(json!({"logConfiguration": {"config.yaml": "a: b"}}));
    let err = try_build(&s, &Opts::default()).expect_err("config file in logConfiguration");
    assert_eq!(err.field(), "spec.logConfiguration.config.yaml", "{err}");
}

#[test]
fn ingress_carries_the_users_annotations_labels_and_tls() {
    let s = spec(json!({"ingress": {
        "template": "/{{namespace}}/{{name}}(/|$)(.*)",
        "className": "nginx",
        "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"},
        "labels": {"team": "data", "app": "theirs"},
        "tls": [{"hosts": ["ui.example.com"], "secretName": "ui-tls"}]
    }}));
    let ing = objects(&s).ingress.expect("ingress");
    let meta = &ing.metadata;
    assert_eq!(meta.name.as_deref(), Some("demo"));
    assert_eq!(
        meta.annotations.as_ref().expect("annotations")["nginx.ingress.kubernetes.io/rewrite-target"],
        "/$2"
    );
    let labels = meta.labels.as_ref().expect("labels");
    assert_eq!(labels["team"], "data");
    assert_eq!(labels["app"], "demo", "our labels win");
    assert_eq!(labels["component"], "ingress");
    let spec = ing.spec.expect("spec");
    assert_eq!(
        spec.tls.expect("tls")[0].secret_name.as_deref(),
        Some("ui-tls")
    );
    let rule = &spec.rules.expect("rules")[0];
    assert_eq!(rule.host, None);
    let path = &rule.http.as_ref().expect("http").paths[0];
    assert_eq!(path.path.as_deref(), Some("/ns/demo(/|$)(.*)"));
    let backend = path.backend.service.as_ref().expect("service backend");
    assert_eq!(backend.name, "demo-rest");
    assert_eq!(backend.port.as_ref().and_then(|p| p.number), Some(8081));
}
