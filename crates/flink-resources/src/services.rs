//! The JobManager Services `<name>` (rpc, blob) and `<name>-rest` (REST, web UI) (no IO).

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::{BLOB_PORT, ClusterInput, JOB_MANAGER_RPC_PORT, REST_PORT, labels, meta, names};

/// `<name>`: headless, so `jobmanager.rpc.address: <name>` resolves straight to the
/// JobManager pod (Flink's internal service is built the same way).
pub(crate) fn service(input: &ClusterInput<'_>) -> Service {
    let n = names(input.name);
    Service {
        metadata: meta::object_meta(input, &n.service, labels::common_labels(input.name)),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(labels::selector_labels(input.name, labels::JOB_MANAGER)),
            ports: Some(vec![
                port("jobmanager-rpc", JOB_MANAGER_RPC_PORT),
                port("blobserver", BLOB_PORT),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `<name>-rest`: a ClusterIP Service on the REST port, what the operator, the Ingress and
/// `kubectl port-forward` use.
pub(crate) fn rest_service(input: &ClusterInput<'_>) -> Service {
    let n = names(input.name);
    Service {
        metadata: meta::object_meta(input, &n.rest_service, labels::common_labels(input.name)),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(labels::selector_labels(input.name, labels::JOB_MANAGER)),
            ports: Some(vec![port("rest", REST_PORT)]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn port(name: &str, number: u16) -> ServicePort {
    ServicePort {
        name: Some(name.to_string()),
        port: i32::from(number),
        target_port: Some(IntOrString::Int(i32::from(number))),
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}
