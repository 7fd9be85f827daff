//! The transition table of the machine and its Markdown/mermaid rendering (no IO).
//!
//! `cargo xtask generate` writes [`markdown()`] to `docs/state-machine.md`. A test replays every
//! scenario and a random exploration and checks that each transition taken is in [`TABLE`]
//! and that each row of [`TABLE`] is taken, so the table cannot drift from the code.

use flink_crd::status::MachineState;

/// One row of the transition table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// From.
    pub from: MachineState,
    /// To.
    pub to: MachineState,
    /// When, in words.
    pub when: &'static str,
}

const fn t(from: MachineState, to: MachineState, when: &'static str) -> Transition {
    Transition { from, to, when }
}

use MachineState::{
    Deleted, Deploying, Failed, Running, Savepointing, Stopping, Suspended, TearingDown,
};

/// Every transition the machine can take.
pub const TABLE: &[Transition] = &[
    t(Deploying, Running, "job RUNNING (session: cluster ready)"),
    t(
        Deploying,
        Stopping,
        "upgrade unhealthy → rollback (cancel); or deleted",
    ),
    t(
        Deploying,
        TearingDown,
        "job failed → recover; rollback; or deleted",
    ),
    t(
        Deploying,
        Failed,
        "deadline / fatal pod error / invalid spec, no rollback possible",
    ),
    t(
        Running,
        Savepointing,
        "savepointTriggerNonce / checkpointTriggerNonce / periodic interval",
    ),
    t(
        Running,
        Stopping,
        "spec change, suspend, restartNonce, rollback, delete: stop-with-savepoint or cancel",
    ),
    t(
        Running,
        TearingDown,
        "last-state or no running job: nothing to stop; job failed → recover",
    ),
    t(
        Running,
        Failed,
        "too many failures in the window / invalid spec",
    ),
    t(
        Savepointing,
        Running,
        "savepoint/checkpoint completed, failed or timed out (job keeps running)",
    ),
    t(Savepointing, Stopping, "deleted while the job runs"),
    t(
        Savepointing,
        TearingDown,
        "deleted with deleteMode none, or no running job to stop",
    ),
    t(Savepointing, Failed, "invalid spec"),
    t(
        Stopping,
        TearingDown,
        "savepoint recorded / job cancelled (delete: also after the final savepoint failed)",
    ),
    t(
        Stopping,
        Running,
        "stop failed or timed out: job keeps running on the old spec, retry with backoff",
    ),
    t(
        Stopping,
        Failed,
        "stop failed more than the retry budget / invalid spec",
    ),
    t(
        TearingDown,
        Deploying,
        "cluster gone: deploy from the restore plan",
    ),
    t(TearingDown, Suspended, "cluster gone (suspend)"),
    t(
        TearingDown,
        Deleted,
        "cluster gone (delete) or teardown deadline: finalizer released",
    ),
    t(TearingDown, Failed, "teardown deadline / invalid spec"),
    t(
        Suspended,
        Deploying,
        "job.state running: resume from the restore plan",
    ),
    t(Suspended, TearingDown, "deleted / savepointRedeployNonce"),
    t(
        Suspended,
        Stopping,
        "deleted / savepointRedeployNonce while a leftover job still runs",
    ),
    t(Suspended, Failed, "invalid spec"),
    t(Failed, Running, "new generation and the job still runs"),
    t(Failed, Deploying, "new generation, nothing deployed yet"),
    t(Failed, Stopping, "deleted while the job runs"),
    t(
        Failed,
        TearingDown,
        "new generation: redeploy from the newest restore point; or deleted",
    ),
];

/// How a FlinkSessionJob's transitions read where they differ from [`TABLE`]'s ("deploying"
/// submits the job to the session cluster, "tearing down" makes sure the old job stopped), and
/// the one transition only a session job takes (TearingDown → Stopping). See
/// [`session_job_table`].
pub const SESSION_JOB_WORDS: &[Transition] = &[
    t(
        Deploying,
        Running,
        "session cluster ready, job submitted with its fixed id, Flink says RUNNING",
    ),
    t(Deploying, Stopping, "deleted while the job runs"),
    t(
        Deploying,
        TearingDown,
        "job failed while starting → recover; deleted; suspended while the session cluster is missing",
    ),
    t(
        Deploying,
        Failed,
        "not RUNNING by the deadline (counted from the session cluster being ready) / invalid spec",
    ),
    t(
        Running,
        Stopping,
        "spec change, suspend, restartNonce, delete: stop-with-savepoint (savepoint, last-state) or cancel",
    ),
    t(
        Running,
        TearingDown,
        "job FAILED or unknown to Flink (session cluster lost it) → recover; no running job to stop",
    ),
    t(Savepointing, TearingDown, "deleted, no running job to stop"),
    t(
        TearingDown,
        Deploying,
        "old job terminal or gone: submit anew from the restore plan",
    ),
    t(TearingDown, Suspended, "old job terminal or gone (suspend)"),
    t(
        TearingDown,
        Deleted,
        "old job terminal or gone (delete), or teardown deadline: finalizer released",
    ),
    t(
        TearingDown,
        Stopping,
        "the stateful job is RUNNING again before the cancel landed: stop it per upgradeMode",
    ),
    t(
        Suspended,
        Deploying,
        "job.state running: resubmit from the restore plan",
    ),
    t(Failed, Deploying, "new generation, nothing submitted yet"),
    t(
        Failed,
        TearingDown,
        "new generation: resubmit from the newest restore point; or deleted",
    ),
];

/// Every transition the machine can take for a FlinkSessionJob: the rows of [`TABLE`] (a
/// session job takes them all) in [`SESSION_JOB_WORDS`]'s words where those differ, and
/// the session job's own rows after the others from the same state.
pub fn session_job_table() -> Vec<Transition> {
    let same = |a: &Transition, b: &Transition| (a.from, a.to) == (b.from, b.to);
    let mut rows: Vec<Transition> = TABLE
        .iter()
        .map(|r| *SESSION_JOB_WORDS.iter().find(|w| same(w, r)).unwrap_or(r))
        .collect();
    for own in SESSION_JOB_WORDS {
        if !rows.iter().any(|r| same(r, own)) {
            let at = rows
                .iter()
                .rposition(|r| r.from == own.from)
                .map_or(rows.len(), |i| i + 1);
            rows.insert(at, *own);
        }
    }
    rows
}

fn name(s: MachineState) -> &'static str {
    match s {
        Deploying => "Deploying",
        Running => "Running",
        Savepointing => "Savepointing",
        Stopping => "Stopping",
        TearingDown => "TearingDown",
        Suspended => "Suspended",
        Failed => "Failed",
        Deleted => "Deleted",
    }
}

/// A mermaid `stateDiagram-v2` of [`TABLE`].
pub fn mermaid() -> String {
    mermaid_of(TABLE)
}

/// A mermaid `stateDiagram-v2` of [`session_job_table`].
pub fn session_job_mermaid() -> String {
    mermaid_of(&session_job_table())
}

fn mermaid_of(table: &[Transition]) -> String {
    let mut out = String::from(
        "stateDiagram-v2\n    [*] --> Deploying\n    [*] --> Suspended: created suspended\n",
    );
    for row in table {
        out.push_str(&format!(
            "    {} --> {}: {}\n",
            name(row.from),
            name(row.to),
            short(row.when)
        ));
    }
    out.push_str("    Deleted --> [*]\n");
    out
}

fn short(when: &str) -> String {
    // mermaid labels: keep them on one line, without characters mermaid parses.
    when.replace([':', ';'], ",").replace('→', "->")
}

/// The whole `docs/state-machine.md` page: the diagrams, the tables and the documented exits
/// of both machines.
pub fn markdown() -> String {
    let mut out = String::from(
        "<!-- Generated by `cargo xtask generate` from flink_lifecycle::diagram; do not edit. -->\n\
         # The lifecycle state machine\n\n\
         `flink-lifecycle` decides, the operator executes: `step(spec, status, observation, now)` returns the new\n\
         status and a list of idempotent actions. The machine's state is `status.machine.state`; `status.phase` is\n\
         the coarser phase shown by `kubectl get`.\n\n```mermaid\n",
    );
    out.push_str(&mermaid());
    out.push_str("```\n\n");
    table_markdown(TABLE, &mut out);
    out.push_str(
        "\n## Every wait has a deadline and a documented exit\n\n\
         | State | Waits for | Deadline (setting) | Exit |\n|---|---|---|---|\n\
         | Deploying | cluster ready, job RUNNING | `kubernetes.operator.deployment.readiness.timeout` (5 min) | rollback if an upgrade with a stable spec, else Failed |\n\
         | Savepointing | savepoint/checkpoint result | `kubernetes.operator.savepoint.timeout` (10 min) | back to Running, `Degraded: SavepointFailed`; job untouched |\n\
         | Stopping | stop-with-savepoint / cancel | `kubernetes.operator.savepoint.timeout` (10 min) | upgrade/suspend/restart: Running on the old spec, retried with backoff, Failed after `kubernetes.operator.savepoint.max-retries`; delete: goes on deleting (Warning `FinalSavepointFailed`) |\n\
         | TearingDown | cluster resources gone | `kubernetes.operator.cluster.teardown.timeout` (5 min) | delete: finalizer released (owned resources are garbage-collected); else Failed |\n\
         | Running (Flink unreachable) | REST API answers | none: never destructive | requeue with backoff up to 5 min, `Degraded: FlinkUnreachable` |\n\
         | Suspended, Failed | a spec change | none | the change |\n",
    );
    out.push_str(
        "\n## A job that runs again after its stop\n\n\
         When TearingDown sees the job running again after its stop captured its state (stop-with-savepoint\n\
         completed, or last-state's cancel landed), its JobManager restarted it from an older point: the newest\n\
         checkpoint with HA metadata (Flink never resumes from a savepoint) or the restore path it was deployed\n\
         with. The stop's savepoint (or checkpoint) stays the restore point: the job is cancelled at once, not\n\
         savepointed again (that savepoint would be newer by the clock but older by content), the checkpoints it\n\
         completes are not recorded, and a Warning event and `Degraded: JobResumedAfterStop` say that it may\n\
         have emitted output again.\n",
    );
    out.push_str(
        "\n## FlinkSessionJob\n\n\
         A session job runs the same machine (`flink_lifecycle::session_job::step`), submitted with\n\
         `SubmitJob` (a fixed job id per submission) to the session cluster named by `spec.deploymentName`.\n\
         Deploying waits for that cluster and submits; TearingDown makes sure the old job stopped (cancelling it\n\
         if needed) instead of deleting a cluster. `upgradeMode: last-state` acts as `savepoint` and\n\
         `deleteMode: none` cancels (as in Apache's operator: a session job has no cluster or HA metadata of its\n\
         own); there is no automatic rollback.\n\n```mermaid\n",
    );
    out.push_str(&session_job_mermaid());
    out.push_str("```\n\n");
    table_markdown(&session_job_table(), &mut out);
    out.push_str(
        "\n| State | Waits for | Deadline (setting) | Exit |\n|---|---|---|---|\n\
         | Deploying, Running, TearingDown (not a delete) | the session cluster to exist and be ready | none: it is the user's | waits with a Warning event and `Degraded: SessionClusterMissing / NotASessionCluster / SessionClusterNotReady`; a job to suspend is suspended |\n\
         | Deploying | job RUNNING once the cluster is ready | `kubernetes.operator.deployment.readiness.timeout` (5 min), counted from the cluster being ready | job FAILED: recover; else Failed |\n\
         | TearingDown | the old job terminal or gone | `kubernetes.operator.cluster.teardown.timeout` (5 min) | delete: finalizer released (Warning `TeardownTimeout`); else Failed |\n",
    );
    out
}

fn table_markdown(table: &[Transition], out: &mut String) {
    out.push_str("| From | To | When |\n|---|---|---|\n");
    for row in table {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            name(row.from),
            name(row.to),
            row.when
        ));
    }
}
