//! Observing one resource: Kubernetes facts from the caches, Flink facts from its REST API,
//! assembled into the machine's `Observation` (does IO: HTTP to Flink; Kubernetes reads are
//! from memory).

pub mod cluster;
pub mod flink;

use flink_crd::status::{FlinkDeploymentStatus, Operation};
use flink_lifecycle::{Component, JobObservation, Observation, Settings, TriggerObservation};
use flink_rest::{CheckpointType, JobId, TriggerId};
use kube::ResourceExt;

use crate::caches::ClusterObjects;
use crate::flink::{Call, FlinkClients};
use crate::labels::FINALIZER;

/// Metadata facts of a resource.
pub fn meta_facts<K: kube::Resource>(obj: &K) -> (String, i64, bool, bool) {
    let meta = obj.meta();
    (
        meta.uid.clone().unwrap_or_default(),
        meta.generation.unwrap_or(0),
        meta.deletion_timestamp.is_some(),
        obj.finalizers().iter().any(|f| f == FINALIZER),
    )
}

/// What the operator sees of one FlinkDeployment's cluster and job.
pub async fn deployment(
    fdep: &flink_crd::FlinkDeployment,
    objects: &ClusterObjects,
    settings: Settings,
    flink: &FlinkClients,
) -> Observation {
    let (uid, generation, deleting, has_finalizer) = meta_facts(fdep);
    let name = fdep.name_any();
    let namespace = fdep.namespace().unwrap_or_default();
    let cluster = cluster::observe(&name, objects);
    let status = fdep.status.clone().unwrap_or_default();
    // A client is made only for a question Flink can answer (a ready JobManager, a job id):
    // in service mode every resource has a URL, suspended and still-starting ones too.
    let (job, trigger) =
        if fdep.spec.is_session_cluster() || cluster.job_manager != Component::Ready {
            (JobObservation::NotAsked, None)
        } else {
            match flink.base_url(&namespace, &name, objects) {
                Some(url) => match status.job_status.job_id.as_deref() {
                    None => (JobObservation::NotAsked, None),
                    Some(job_id) => match flink.client(&url) {
                        Ok(call) => application_job(&call, job_id, &status).await,
                        Err(e) => (
                            JobObservation::Unreachable {
                                error: e.to_string(),
                            },
                            None,
                        ),
                    },
                },
                None => (
                    JobObservation::Unreachable {
                        error: "no JobManager pod has an address yet".into(),
                    },
                    None,
                ),
            }
        };
    Observation {
        uid,
        generation,
        deleting,
        has_finalizer,
        settings,
        cluster,
        job,
        trigger,
    }
}

/// Asks Flink about the application cluster's job `job_id` and the trigger in flight (the
/// caller checked that the JobManager is ready).
async fn application_job(
    call: &Call,
    job_id: &str,
    status: &FlinkDeploymentStatus,
) -> (JobObservation, Option<TriggerObservation>) {
    let job = job(call, job_id).await;
    let trigger = match status.machine.operation.as_ref() {
        Some(op) => trigger(call, job_id, op).await,
        None => None,
    };
    (job, trigger)
}

/// The job with id `job_id`: its details, restarts, newest checkpoint and failure cause.
pub async fn job(call: &Call, job_id: &str) -> JobObservation {
    let id = match JobId::parse(job_id) {
        Ok(id) => id,
        Err(e) => {
            return JobObservation::Unreachable {
                error: e.to_string(),
            };
        }
    };
    let details = call.run("job", |c| c.job_details(&id)).await;
    let Ok(d) = &details else {
        return flink::job_observation(details.as_ref(), None, None, None);
    };
    let failing = matches!(
        d.state,
        flink_rest::JobState::Failed | flink_rest::JobState::Failing
    );
    let (restarts, checkpoints, exceptions) = tokio::join!(
        call.run("restarts", |c| c.job_metrics(&id, &["numRestarts"])),
        call.run("checkpoints", |c| c.checkpoint_statistics(&id)),
        async {
            if failing {
                Some(call.run("exceptions", |c| c.job_exceptions(&id)).await)
            } else {
                None
            }
        }
    );
    let restarts = restarts
        .ok()
        .and_then(|ms| ms.into_iter().find(|m| m.id == "numRestarts"))
        .and_then(|m| m.as_f64())
        .map(|v| v.max(0.0) as u32);
    let checkpoints = checkpoints.ok();
    let failure = exceptions
        .and_then(Result::ok)
        .and_then(|e| e.latest().map(str::to_string));
    flink::job_observation(Ok(d), restarts, checkpoints.as_ref(), failure.as_deref())
}

/// Flink's answer about the trigger of the operation in flight, if it has one.
pub async fn trigger(call: &Call, job_id: &str, op: &Operation) -> Option<TriggerObservation> {
    let trigger_id = op.trigger_id.as_deref()?;
    let job = JobId::parse(job_id).ok()?;
    let trigger = TriggerId::parse(trigger_id).ok()?;
    if flink::trigger_is_checkpoint(op) {
        let answer = call
            .run("checkpoint_status", |c| c.checkpoint_status(&job, &trigger))
            .await;
        let stats = match &answer {
            Ok(flink_rest::OperationStatus::Completed(_)) => call
                .run("checkpoints", |c| c.checkpoint_statistics(&job))
                .await
                .ok(),
            _ => None,
        };
        flink::checkpoint_trigger(trigger_id, &answer, stats.as_ref())
    } else {
        let answer = call
            .run("savepoint_status", |c| c.savepoint_status(&job, &trigger))
            .await;
        flink::savepoint_trigger(trigger_id, &answer)
    }
}

/// The checkpoint type manual checkpoints are taken with.
pub const MANUAL_CHECKPOINT: CheckpointType = CheckpointType::Full;

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::config::FlinkEndpoint;
    use crate::metrics::Metrics;

    fn fdep() -> flink_crd::FlinkDeployment {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "flink.apache.org/v1beta1",
            "kind": "FlinkDeployment",
            "metadata": {"name": "basic", "namespace": "ns", "uid": "u1"},
            "spec": {
                "image": "flink:1.20", "flinkVersion": "v1_20",
                "jobManager": {"resource": {"memory": "1g", "cpu": 1}},
                "taskManager": {"resource": {"memory": "1g", "cpu": 1}},
                "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "state": "running"}
            },
            "status": {"jobStatus": {"jobId": "00000000000000000000000000000001"}}
        }))
        .expect("a FlinkDeployment")
    }

    #[tokio::test]
    async fn no_client_is_made_before_flink_can_answer() {
        let flink = FlinkClients::new(
            FlinkEndpoint::Service,
            Duration::from_millis(200),
            Arc::new(Metrics::new()),
        );
        // No JobManager yet (service mode has a URL for it all the same).
        let obs = deployment(
            &fdep(),
            &ClusterObjects::default(),
            Settings::default(),
            &flink,
        )
        .await;
        assert_eq!(obs.job, JobObservation::NotAsked);
        assert_eq!(
            flink.kept(),
            0,
            "no client for a cluster without a JobManager"
        );
    }
}
