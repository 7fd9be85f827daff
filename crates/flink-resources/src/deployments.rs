//! The JobManager and TaskManager Deployments (no IO).

use std::collections::BTreeMap;

use flink_crd::{FlinkDeploymentSpec, ImagePullPolicy, MAIN_CONTAINER_NAME};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, ContainerPort, EnvVar, EnvVarSource, ObjectFieldSelector,
    Probe, TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::error::BuildError;
use crate::pod_template::{OurPod, overlay, user_template};
use crate::resources::{Component, job_manager_replicas, requirements, task_manager_replicas};
use crate::{
    BLOB_PORT, CONF_DIR, CONFIG_VOLUME, ClusterInput, JOB_MANAGER_RPC_PORT, POD_IP_ENV, REST_PORT,
    TASK_MANAGER_RPC_PORT, labels, meta, names,
};

/// The JobManager Deployment `<name>`.
pub(crate) fn job_manager(
    input: &ClusterInput<'_>,
    conf: &BTreeMap<String, String>,
) -> Result<Deployment, BuildError> {
    let args = job_manager_args(input, conf)?;
    let ports = vec![
        port("rest", REST_PORT),
        port("jobmanager-rpc", JOB_MANAGER_RPC_PORT),
        port("blobserver", BLOB_PORT),
    ];
    let replicas = job_manager_replicas(input.spec);
    deployment(
        input,
        conf,
        Component::JobManager,
        args,
        ports,
        REST_PORT,
        replicas,
    )
}

/// The TaskManager Deployment `<name>-taskmanager`.
pub(crate) fn task_manager(
    input: &ClusterInput<'_>,
    conf: &BTreeMap<String, String>,
) -> Result<Deployment, BuildError> {
    // Each TaskManager advertises its own pod address, so the JobManager and other
    // TaskManagers reach it without a per-pod DNS name.
    let args = vec![
        "taskmanager".to_string(),
        format!("-Dtaskmanager.host=$({POD_IP_ENV})"),
    ];
    let ports = vec![port("rpc", TASK_MANAGER_RPC_PORT)];
    let replicas = task_manager_replicas(input.spec, conf);
    deployment(
        input,
        conf,
        Component::TaskManager,
        args,
        ports,
        TASK_MANAGER_RPC_PORT,
        replicas,
    )
}

/// The JobManager container's args (the image entry point's first argument picks the mode).
///
/// Application cluster: `standalone-job --job-classname C --job-id J [--fromSavepoint P
/// [--allowNonRestoredState]] [--jars URI] [job args]`; session cluster: `jobmanager`. With
/// high availability the JobManager advertises its pod address
/// (`-Djobmanager.rpc.address=$(POD_IP)`), as in the Apache operator.
pub fn job_manager_args(
    input: &ClusterInput<'_>,
    conf: &BTreeMap<String, String>,
) -> Result<Vec<String>, BuildError> {
    let mut args = Vec::new();
    let ha = ha_enabled(conf);
    let Some(job) = &input.spec.job else {
        args.push("jobmanager".to_string());
        if ha {
            args.push(format!("-Djobmanager.rpc.address=$({POD_IP_ENV})"));
        }
        return Ok(args);
    };
    if job.jar_uri.is_none() && job.entry_class.is_none() {
        return Err(BuildError::Missing {
            field: "spec.job.jarURI".into(),
            why: "the job jar (e.g. local:///opt/flink/usrlib/job.jar), or job.entryClass naming \
                  a class in the image's /opt/flink/usrlib"
                .into(),
        });
    }
    args.push("standalone-job".to_string());
    if let Some(class) = &job.entry_class {
        args.extend(["--job-classname".to_string(), class.clone()]);
    }
    if let Some(id) = input.job_id {
        args.extend(["--job-id".to_string(), id.to_string()]);
    }
    if let Some(path) = input.restore_path {
        args.extend(["--fromSavepoint".to_string(), path.to_string()]);
        // Without a restore path Flink ignores the flag, so it is only written with one.
        if input.allow_non_restored_state {
            args.push("--allowNonRestoredState".to_string());
        }
    }
    if let Some(uri) = job.jar_uri.as_deref()
        && !uri.starts_with("local://")
        && !uri.starts_with("file://")
    {
        // A remote jar: the standalone entry point fetches `--jars` itself (Flink 1.19+).
        args.extend(["--jars".to_string(), uri.to_string()]);
    }
    if ha {
        args.push(format!("-Djobmanager.rpc.address=$({POD_IP_ENV})"));
    }
    args.extend(job.args.iter().cloned());
    Ok(args)
}

/// Whether the configuration turns on JobManager high availability.
fn ha_enabled(conf: &BTreeMap<String, String>) -> bool {
    ["high-availability.type", "high-availability"]
        .iter()
        .filter_map(|k| conf.get(*k))
        .any(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("none"))
}

fn deployment(
    input: &ClusterInput<'_>,
    conf: &BTreeMap<String, String>,
    component: Component,
    args: Vec<String>,
    ports: Vec<ContainerPort>,
    probe_port: u16,
    replicas: i32,
) -> Result<Deployment, BuildError> {
    let spec: &FlinkDeploymentSpec = input.spec;
    let n = names(input.name);
    let name = match component {
        Component::JobManager => n.job_manager,
        Component::TaskManager => n.task_manager,
    };
    let component_labels = labels::component_labels(input.name, component.label());
    let main = Container {
        name: MAIN_CONTAINER_NAME.to_string(),
        image: spec.image.clone(),
        image_pull_policy: spec.image_pull_policy.map(|p| pull_policy(p).to_string()),
        args: Some(args),
        env: Some(vec![EnvVar {
            name: POD_IP_ENV.to_string(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "status.podIP".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ports: Some(ports),
        volume_mounts: Some(vec![VolumeMount {
            name: CONFIG_VOLUME.to_string(),
            mount_path: CONF_DIR.to_string(),
            ..Default::default()
        }]),
        readiness_probe: Some(Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::Int(i32::from(probe_port)),
                ..Default::default()
            }),
            period_seconds: Some(2),
            ..Default::default()
        }),
        ..Default::default()
    };
    let ours = OurPod {
        labels: labels::with_hash(component_labels.clone(), input.spec_hash),
        service_account: spec.service_account.clone(),
        volumes: vec![Volume {
            name: CONFIG_VOLUME.to_string(),
            config_map: Some(ConfigMapVolumeSource {
                name: n.config_map.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        main,
    };
    let template = overlay(user_template(spec, component)?, ours, |base| {
        requirements(spec, component, conf, base)
    })?;
    Ok(Deployment {
        metadata: meta::object_meta(input, &name, component_labels),
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(labels::selector_labels(input.name, component.label())),
                ..Default::default()
            },
            // A new pod never runs beside the old one: two JobManagers would run the same
            // fixed job id, and a surge doubles the cluster's memory.
            strategy: Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                ..Default::default()
            }),
            template,
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn port(name: &str, number: u16) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_string()),
        container_port: i32::from(number),
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

fn pull_policy(p: ImagePullPolicy) -> &'static str {
    match p {
        ImagePullPolicy::Always => "Always",
        ImagePullPolicy::IfNotPresent => "IfNotPresent",
        ImagePullPolicy::Never => "Never",
    }
}
