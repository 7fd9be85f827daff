//! Building the example job jar (`examples/jobs/counter-job`) with javac against a fetched
//! distribution's `lib/` (does IO: files, javac and jar processes).

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::io;
use crate::tool::run_logged;
use crate::{FlinkVersion, Result, ensure_distribution};

/// The entry class of the counter job.
pub const COUNTER_JOB_CLASS: &str = "dev.flinkoperator.examples.CounterJob";

/// The counter job's Java sources: `<workspace>/examples/jobs/counter-job/src`.
pub fn job_source_dir() -> PathBuf {
    testground::workspace_root().join("examples/jobs/counter-job/src")
}

/// Returns the counter job's jar for `version`, compiling it (`javac --release 11` against the
/// distribution's `lib/*`) when the cache holds no jar for these sources and this version.
/// The jar's manifest names [`COUNTER_JOB_CLASS`] as its main class.
pub fn build_job_jar(version: FlinkVersion) -> Result<PathBuf> {
    let home = ensure_distribution(version)?;
    let src = job_source_dir();
    let sources = java_files(&src)?;
    let mut hash = Sha256::new();
    for f in &sources {
        let rel = f.strip_prefix(&src).unwrap_or(f);
        hash.update(rel.to_string_lossy().as_bytes());
        hash.update(std::fs::read(f).map_err(io("reading a job source", f))?);
    }
    let digest = hex::encode(hash.finalize());
    let jobs = testground::cache_dir().join("flink/jobs");
    let jar = jobs.join(format!(
        "counter-job-{}-{}.jar",
        &digest[..16],
        version.exact()
    ));
    if jar.is_file() {
        return Ok(jar);
    }
    let work = jobs.join(format!(".build-{}-{}", version.exact(), std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let classes = work.join("classes");
    std::fs::create_dir_all(&classes).map_err(io("creating a build folder", &classes))?;

    let mut javac = Command::new("javac");
    javac
        .args(["--release", "11", "-nowarn", "-encoding", "UTF-8", "-cp"])
        .arg(format!("{}/lib/*", home.display()))
        .arg("-d")
        .arg(&classes)
        .args(&sources);
    run_logged(javac, &work.join("javac.log"))?;

    let unfinished = work.join("job.jar");
    let mut jar_cmd = Command::new("jar");
    jar_cmd
        .arg("--create")
        .arg("--file")
        .arg(&unfinished)
        .arg("--main-class")
        .arg(COUNTER_JOB_CLASS)
        .arg("-C")
        .arg(&classes)
        .arg(".");
    run_logged(jar_cmd, &work.join("jar.log"))?;
    std::fs::rename(&unfinished, &jar).map_err(io("moving the job jar into place", &jar))?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(jar)
}

fn java_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(io("reading the job sources", dir))?;
    for entry in entries {
        let path = entry.map_err(io("reading the job sources", dir))?.path();
        if path.is_dir() {
            out.extend(java_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "java") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
