//! Jar calls: upload, list, run, delete.

use std::path::Path;

use reqwest::Method;

use super::Ignored;
use crate::client::{Body, call};
use crate::{
    Error, FlinkRestClient, JarId, JarList, JarRunRequest, JarRunResponse, JarUploadResponse,
    Result,
};

impl FlinkRestClient {
    /// `POST /jars/upload`: uploads the jar at `path` (multipart field `jarfile`).
    pub async fn upload_jar(&self, path: &Path) -> Result<JarUploadResponse> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| Error::ReadJar {
                path: path.to_path_buf(),
                source,
            })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "job.jar".into());
        self.upload_jar_bytes(&name, bytes).await
    }

    /// `POST /jars/upload` with the jar's content in memory; `file_name` must end in `.jar`.
    pub async fn upload_jar_bytes(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<JarUploadResponse> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str("application/x-java-archive")
            .map_err(|source| Error::Transport {
                call: "upload jar",
                endpoint: "POST /jars/upload",
                source,
            })?;
        let form = reqwest::multipart::Form::new().part("jarfile", part);
        self.write(
            call("upload jar", "POST /jars/upload"),
            Method::POST,
            "jars/upload",
            &[],
            Body::Multipart(form),
        )
        .await
    }

    /// `GET /jars`.
    pub async fn list_jars(&self) -> Result<JarList> {
        self.get(call("list jars", "GET /jars"), "jars", &[]).await
    }

    /// `POST /jars/:jarid/run`: submits a job from an uploaded jar.
    pub async fn run_jar(&self, jar: &JarId, request: &JarRunRequest) -> Result<JarRunResponse> {
        let path = format!("jars/{}/run", seg(jar.as_str()));
        self.write(
            call("run jar", "POST /jars/:jarid/run"),
            Method::POST,
            &path,
            &[],
            Body::json(request),
        )
        .await
    }

    /// `DELETE /jars/:jarid`.
    pub async fn delete_jar(&self, jar: &JarId) -> Result<()> {
        let path = format!("jars/{}", seg(jar.as_str()));
        let _: Ignored = self
            .write(
                call("delete jar", "DELETE /jars/:jarid"),
                Method::DELETE,
                &path,
                &[],
                Body::Empty,
            )
            .await?;
        Ok(())
    }
}

/// Escapes a path segment we did not make (a jar id is a file name).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
