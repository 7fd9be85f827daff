//! Flink facts: Flink's REST answers mapped to the machine's observation types (no IO; the
//! calls themselves are in [`crate::flink`]).

use flink_crd::status::{Operation, OperationKind};
use flink_lifecycle::{
    CompletedSnapshot, FlinkJobState, JobFacts, JobObservation, TriggerObservation, TriggerStatus,
};
use flink_rest::{CheckpointingStatistics, JobDetails, JobState, OperationStatus};
use k8s_openapi::jiff::Timestamp;

/// Flink's job state in the machine's terms; a state this client does not know (a newer
/// Flink) counts as in transition.
pub fn job_state(s: JobState) -> FlinkJobState {
    match s {
        JobState::Initializing => FlinkJobState::Initializing,
        JobState::Created => FlinkJobState::Created,
        JobState::Running => FlinkJobState::Running,
        JobState::Failing => FlinkJobState::Failing,
        JobState::Failed => FlinkJobState::Failed,
        JobState::Cancelling => FlinkJobState::Cancelling,
        JobState::Canceled => FlinkJobState::Canceled,
        JobState::Finished => FlinkJobState::Finished,
        JobState::Restarting => FlinkJobState::Restarting,
        JobState::Suspended => FlinkJobState::Suspended,
        JobState::Reconciling | JobState::Unknown => FlinkJobState::Reconciling,
    }
}

/// The job's facts from its details, its `numRestarts` metric, its checkpoint statistics and
/// (for a failing job) its newest exception.
pub fn job_facts(
    details: &JobDetails,
    restarts: Option<u32>,
    checkpoints: Option<&CheckpointingStatistics>,
    failure: Option<&str>,
) -> JobFacts {
    let last_checkpoint = checkpoints
        .and_then(|c| c.latest.completed.as_ref())
        .and_then(|c| {
            let path = c.external_path.clone().filter(|p| !p.is_empty())?;
            let completed_at = c
                .trigger_timestamp
                .and_then(|ms| Timestamp::from_millisecond(ms).ok())?;
            Some(CompletedSnapshot {
                id: c.id,
                path,
                completed_at,
            })
        });
    JobFacts {
        id: details.jid.to_string(),
        state: job_state(details.state),
        tasks_running: details.all_vertices_running(),
        restarts: restarts.unwrap_or(0),
        last_checkpoint,
        failure: failure.map(first_line).filter(|l| !l.is_empty()),
    }
}

/// The first line of a stack trace (the exception and its message).
pub fn first_line(trace: &str) -> String {
    trace.lines().next().unwrap_or_default().trim().to_string()
}

/// Which Flink status call answers for `op`'s trigger.
pub fn trigger_is_checkpoint(op: &Operation) -> bool {
    op.kind == OperationKind::Checkpoint
}

/// A savepoint (or stop-with-savepoint) trigger's status; `Err` with HTTP 404 means Flink
/// does not know the trigger id.
pub fn savepoint_trigger(
    trigger_id: &str,
    answer: &Result<OperationStatus<String>, flink_rest::Error>,
) -> Option<TriggerObservation> {
    let status = match answer {
        Ok(OperationStatus::InProgress) => TriggerStatus::InProgress,
        Ok(OperationStatus::Completed(location)) => TriggerStatus::Completed {
            location: location.clone(),
        },
        Ok(OperationStatus::Failed(cause)) => TriggerStatus::Failed {
            reason: cause.summary(),
        },
        Err(e) if e.is_not_found() => TriggerStatus::Unknown,
        Err(_) => return None,
    };
    Some(TriggerObservation {
        trigger_id: trigger_id.to_string(),
        status,
    })
}

/// A checkpoint trigger's status; a completed checkpoint's location is looked up in the
/// checkpoint statistics by its id (empty when Flink did not externalize it).
pub fn checkpoint_trigger(
    trigger_id: &str,
    answer: &Result<OperationStatus<u64>, flink_rest::Error>,
    checkpoints: Option<&CheckpointingStatistics>,
) -> Option<TriggerObservation> {
    let status = match answer {
        Ok(OperationStatus::InProgress) => TriggerStatus::InProgress,
        Ok(OperationStatus::Completed(id)) => TriggerStatus::Completed {
            location: checkpoints
                .and_then(|c| c.latest.completed.as_ref())
                .filter(|c| c.id == *id)
                .and_then(|c| c.external_path.clone())
                .unwrap_or_default(),
        },
        Ok(OperationStatus::Failed(cause)) => TriggerStatus::Failed {
            reason: cause.summary(),
        },
        Err(e) if e.is_not_found() => TriggerStatus::Unknown,
        Err(_) => return None,
    };
    Some(TriggerObservation {
        trigger_id: trigger_id.to_string(),
        status,
    })
}

/// The job observation for a `job_details` answer: 404 is "no such job", other failures
/// mean the REST API did not answer usefully.
pub fn job_observation(
    details: Result<&JobDetails, &flink_rest::Error>,
    restarts: Option<u32>,
    checkpoints: Option<&CheckpointingStatistics>,
    failure: Option<&str>,
) -> JobObservation {
    match details {
        Ok(d) => JobObservation::Found(job_facts(d, restarts, checkpoints, failure)),
        Err(e) if e.is_not_found() => JobObservation::NotFound,
        Err(e) => JobObservation::Unreachable {
            error: e.to_string(),
        },
    }
}
