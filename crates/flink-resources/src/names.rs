//! Object names of a standalone cluster, as the Apache operator names them (no IO).

/// The names of the objects built for FlinkDeployment `<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// JobManager Deployment: `<name>`.
    pub job_manager: String,
    /// TaskManager Deployment: `<name>-taskmanager`.
    pub task_manager: String,
    /// ConfigMap with the Flink and log configuration: `flink-config-<name>`.
    pub config_map: String,
    /// JobManager Service for rpc and blob (and the address TaskManagers use): `<name>`.
    pub service: String,
    /// JobManager REST Service: `<name>-rest`.
    pub rest_service: String,
    /// Ingress to the web UI: `<name>`.
    pub ingress: String,
}

/// The names of the objects built for FlinkDeployment `name`.
pub fn names(name: &str) -> Names {
    Names {
        job_manager: name.to_string(),
        task_manager: format!("{name}-taskmanager"),
        config_map: format!("flink-config-{name}"),
        service: name.to_string(),
        rest_service: format!("{name}-rest"),
        ingress: name.to_string(),
    }
}

/// The in-cluster REST base URL of FlinkDeployment `name` in `namespace`
/// (`http://<name>-rest.<namespace>.svc:8081`).
pub fn rest_url(name: &str, namespace: &str) -> String {
    format!(
        "http://{}.{namespace}.svc:{}",
        names(name).rest_service,
        crate::REST_PORT
    )
}
