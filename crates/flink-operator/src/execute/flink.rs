//! The Flink actions: savepoint, stop-with-savepoint, checkpoint, cancel and job submission,
//! each one REST call with the machine's ids (does IO: HTTP to Flink, and for `http(s)://`
//! jars an HTTP download).

use std::collections::BTreeMap;

use flink_lifecycle::RestorePoint;
use flink_rest::{ClaimMode, JarRunRequest, JobId, SavepointFormat, TriggerId};

use crate::error::{Error, Result};
use crate::flink::Call;

fn ids(job_id: &str, trigger_id: Option<&str>) -> Result<(JobId, Option<TriggerId>)> {
    let job = JobId::parse(job_id).map_err(Error::flink("reading the job id"))?;
    let trigger = trigger_id
        .map(TriggerId::parse)
        .transpose()
        .map_err(Error::flink("reading the trigger id"))?;
    Ok((job, trigger))
}

fn dir(directory: &str) -> Option<&str> {
    (!directory.is_empty()).then_some(directory)
}

/// Whether Flink's refusal means "already done" for an idempotent trigger: it knows the
/// trigger id (409) or the job is gone/terminal (the next observation tells the machine).
fn already(e: &flink_rest::Error) -> bool {
    matches!(e.status(), Some(409))
}

/// `POST /jobs/:jid/savepoints` with the trigger id.
pub async fn trigger_savepoint(
    call: &Call,
    job_id: &str,
    trigger_id: &str,
    directory: &str,
) -> Result<()> {
    let (job, trigger) = ids(job_id, Some(trigger_id))?;
    match call
        .run("savepoint", |c| {
            c.trigger_savepoint(&job, dir(directory), SavepointFormat::Canonical, trigger)
        })
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if already(&e) => Ok(()),
        Err(e) => Err(Error::Flink {
            what: format!("triggering savepoint {trigger_id}"),
            source: e,
        }),
    }
}

/// `POST /jobs/:jid/stop` (no drain) with the trigger id.
pub async fn stop_with_savepoint(
    call: &Call,
    job_id: &str,
    trigger_id: &str,
    directory: &str,
) -> Result<()> {
    let (job, trigger) = ids(job_id, Some(trigger_id))?;
    match call
        .run("stop", |c| {
            c.stop_with_savepoint(
                &job,
                dir(directory),
                false,
                SavepointFormat::Canonical,
                trigger,
            )
        })
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if already(&e) => Ok(()),
        Err(e) => Err(Error::Flink {
            what: format!("stopping job {job_id} with savepoint {trigger_id}"),
            source: e,
        }),
    }
}

/// `POST /jobs/:jid/checkpoints` with the trigger id.
pub async fn trigger_checkpoint(call: &Call, job_id: &str, trigger_id: &str) -> Result<()> {
    let (job, trigger) = ids(job_id, Some(trigger_id))?;
    match call
        .run("checkpoint", |c| {
            c.trigger_checkpoint(&job, crate::observe::MANUAL_CHECKPOINT, trigger)
        })
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if already(&e) => Ok(()),
        Err(e) => Err(Error::Flink {
            what: format!("triggering checkpoint {trigger_id}"),
            source: e,
        }),
    }
}

/// `PATCH /jobs/:jid?mode=cancel`; an unknown or already finished job is success.
pub async fn cancel(call: &Call, job_id: &str) -> Result<()> {
    let (job, _) = ids(job_id, None)?;
    match call.run("cancel", |c| c.cancel_job(&job)).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_not_found() || already(&e) => Ok(()),
        Err(e) => Err(Error::Flink {
            what: format!("cancelling job {job_id}"),
            source: e,
        }),
    }
}

/// A session job submission.
pub struct Submit<'a> {
    /// Fixed job id.
    pub job_id: &'a str,
    /// The jar's URI (`file://`, `http://`, `https://`).
    pub jar_uri: &'a str,
    /// Main class.
    pub entry_class: Option<&'a str>,
    /// Program arguments.
    pub args: &'a [String],
    /// Parallelism.
    pub parallelism: Option<i32>,
    /// Where the job starts from.
    pub restore: Option<&'a RestorePoint>,
    /// `allowNonRestoredState`.
    pub allow_non_restored_state: bool,
    /// Job-level Flink configuration.
    pub flink_configuration: &'a BTreeMap<String, String>,
}

/// Uploads the jar and runs it under the fixed job id. If Flink already knows the job id
/// (a re-submission after a crash), that is success.
pub async fn submit(call: &Call, http: &reqwest::Client, s: &Submit<'_>) -> Result<()> {
    let job = JobId::parse(s.job_id).map_err(Error::flink("reading the job id"))?;
    // Already submitted (the operator crashed after the run call): nothing to do.
    if call.run("job", |c| c.job_details(&job)).await.is_ok() {
        return Ok(());
    }
    let (file_name, bytes) = fetch_jar(http, s.jar_uri).await?;
    let jar = call
        .run("upload_jar", |c| c.upload_jar_bytes(&file_name, bytes))
        .await
        .map_err(Error::flink(format!("uploading {}", s.jar_uri)))?
        .jar_id();
    let mut req = JarRunRequest::new().job_id(job.clone());
    if let Some(class) = s.entry_class {
        req = req.entry_class(class);
    }
    if !s.args.is_empty() {
        req = req.args(s.args.iter().cloned());
    }
    if let Some(p) = s.parallelism {
        req = req.parallelism(p.max(1) as u32);
    }
    if let Some(r) = s.restore {
        req = req.restore_from(r.path.clone(), ClaimMode::NoClaim);
        if s.allow_non_restored_state {
            req = req.allow_non_restored_state(true);
        }
    }
    if !s.flink_configuration.is_empty() {
        req = req.flink_configuration(s.flink_configuration.clone());
    }
    let run = call.run("run_jar", |c| c.run_jar(&jar, &req)).await;
    // The uploaded jar is not needed once the job runs (or failed to start).
    let _ = call.run("delete_jar", |c| c.delete_jar(&jar)).await;
    match run {
        Ok(_) => Ok(()),
        Err(e) => {
            if call.run("job", |c| c.job_details(&job)).await.is_ok() {
                return Ok(());
            }
            Err(Error::Flink {
                what: format!("running job {} from {}", s.job_id, s.jar_uri),
                source: e,
            })
        }
    }
}

/// The jar's file name and bytes: `file://` read from the operator's filesystem,
/// `http(s)://` downloaded.
pub async fn fetch_jar(http: &reqwest::Client, uri: &str) -> Result<(String, Vec<u8>)> {
    let err = |reason: String| Error::Jar {
        uri: uri.to_string(),
        reason,
    };
    let file_name = uri
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("job.jar")
        .to_string();
    if let Some(path) = uri.strip_prefix("file://") {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| err(format!("reading {path} on the operator's filesystem: {e}")))?;
        return Ok((file_name, bytes));
    }
    if uri.starts_with("http://") || uri.starts_with("https://") {
        let resp = http.get(uri).send().await.map_err(|e| err(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(err(format!("HTTP {}", resp.status())));
        }
        let bytes = resp.bytes().await.map_err(|e| err(e.to_string()))?;
        return Ok((file_name, bytes.to_vec()));
    }
    Err(err(
        "session jobs take file:// (a path on the operator's filesystem) or http(s):// jars".into(),
    ))
}
