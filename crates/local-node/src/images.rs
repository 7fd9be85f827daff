//! Local images: folders in the cache named like container images (does IO: builds them).
//!
//! The node has no registry. An image is a folder `<cache>/images/<repository>/<tag>/`
//! whose `opt/flink` becomes the container's `/opt/flink`. The Flink images are a Flink
//! distribution (hard-linked from the harness's cache), the counter-job images add
//! `usrlib/counter-job.jar` built from `examples/jobs/counter-job`. `busybox` images are
//! "host" images: their commands run with the host's `/bin/sh` and tools inside the pod's
//! namespaces, for the init containers and sidecars pod templates often carry.

use std::path::{Path, PathBuf};
use std::process::Command;

use local_flink::FlinkVersion;

use crate::error::{Error, Result, io};

/// Every image name the node can build.
pub const KNOWN: &[&str] = &[
    "flink-operator-rs/counter-job:1.20",
    "flink-operator-rs/counter-job:2.3",
    "flink-operator-rs/flink:1.20",
    "flink-operator-rs/flink:2.3",
    "busybox:<any tag>",
];

/// What an image name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalImage {
    /// A Flink distribution, with the counter job in `usrlib/` when `with_job`.
    Flink {
        /// The Flink line.
        version: FlinkVersion,
        /// Whether `usrlib/counter-job.jar` is included.
        with_job: bool,
    },
    /// A busybox-like image: commands run with the host's tools.
    Host,
}

impl LocalImage {
    /// Reads an image reference (`[docker.io/]repository:tag`); `None` when the node does
    /// not know it.
    pub fn parse(image: &str) -> Option<Self> {
        let name = image.trim();
        let name = name.strip_prefix("docker.io/").unwrap_or(name);
        let name = name.strip_prefix("library/").unwrap_or(name);
        let (repo, tag) = name.split_once(':').unwrap_or((name, "latest"));
        if repo == "busybox" {
            return Some(LocalImage::Host);
        }
        let version = match tag {
            "1.20" => FlinkVersion::V1_20,
            "2.3" => FlinkVersion::V2,
            _ => return None,
        };
        match repo {
            "flink-operator-rs/counter-job" => Some(LocalImage::Flink {
                version,
                with_job: true,
            }),
            "flink-operator-rs/flink" => Some(LocalImage::Flink {
                version,
                with_job: false,
            }),
            _ => None,
        }
    }

    fn folder(&self) -> PathBuf {
        let root = testground::cache_dir().join("images");
        match self {
            LocalImage::Host => root.join("busybox").join("host"),
            LocalImage::Flink { version, with_job } => {
                let repo = if *with_job { "counter-job" } else { "flink" };
                let tag = match version {
                    FlinkVersion::V1_20 => "1.20",
                    FlinkVersion::V2 => "2.3",
                };
                root.join("flink-operator-rs").join(repo).join(tag)
            }
        }
    }
}

/// The folder image `name` lives in (or will), whether built or not.
pub fn image_dir(name: &str) -> Result<PathBuf> {
    LocalImage::parse(name)
        .map(|i| i.folder())
        .ok_or_else(|| Error::UnknownImage(name.to_string()))
}

/// Returns image `name`'s folder, building it first when the cache does not hold it (or holds
/// one made from older job sources). Fails with [`Error::UnknownImage`] for names the node
/// does not know. The first build of a Flink image fetches the distribution (minutes).
pub fn ensure_image(name: &str) -> Result<PathBuf> {
    let image = LocalImage::parse(name).ok_or_else(|| Error::UnknownImage(name.to_string()))?;
    let dir = image.folder();
    let (version, with_job) = match image {
        LocalImage::Host => {
            std::fs::create_dir_all(&dir).map_err(io("creating an image folder", &dir))?;
            return Ok(dir);
        }
        LocalImage::Flink { version, with_job } => (version, with_job),
    };
    let wrap = |source| Error::ImageBuild {
        image: name.to_string(),
        source,
    };
    let home = local_flink::ensure_distribution(version).map_err(wrap)?;
    let jar = if with_job {
        Some(local_flink::build_job_jar(version).map_err(wrap)?)
    } else {
        None
    };
    let stamp = format!(
        "flink {}\njar {}\n",
        version.exact(),
        jar.as_deref()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let stamp_file = dir.join("image.txt");
    if std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) {
        return Ok(dir);
    }
    let parent = dir.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(io("creating the image cache", parent))?;
    let work = parent.join(format!(".build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let opt = work.join("opt");
    std::fs::create_dir_all(&opt).map_err(io("creating an image folder", &opt))?;
    let flink = opt.join("flink");
    // Hard links cost no space; the node mounts the image read-only below an overlay, so the
    // distribution's files are never written through them.
    let linked = Command::new("cp")
        .arg("-al")
        .arg(&home)
        .arg(&flink)
        .status()
        .is_ok_and(|s| s.success());
    if !linked {
        let _ = std::fs::remove_dir_all(&flink);
        run(Command::new("cp").arg("-a").arg(&home).arg(&flink))?;
    }
    for sub in ["log", "usrlib"] {
        let d = flink.join(sub);
        std::fs::create_dir_all(&d).map_err(io("creating an image folder", &d))?;
    }
    if let Some(jar) = &jar {
        let target = flink.join("usrlib").join("counter-job.jar");
        std::fs::copy(jar, &target).map_err(io("copying the job jar", &target))?;
    }
    std::fs::write(work.join("image.txt"), &stamp).map_err(io("writing the image stamp", &work))?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io("removing a stale image", &dir))?;
    }
    if let Err(e) = std::fs::rename(&work, &dir) {
        // Another builder may have won the race: theirs is as good as ours.
        let _ = std::fs::remove_dir_all(&work);
        if !stamp_file.is_file() {
            return Err(io("moving an image into place", &dir)(e));
        }
    }
    Ok(dir)
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .map_err(io("running a command", cmd.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Command {
            command: format!("{cmd:?}"),
            message: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_images() {
        assert_eq!(
            LocalImage::parse("flink-operator-rs/counter-job:1.20"),
            Some(LocalImage::Flink {
                version: FlinkVersion::V1_20,
                with_job: true
            })
        );
        assert_eq!(
            LocalImage::parse("docker.io/flink-operator-rs/flink:2.3"),
            Some(LocalImage::Flink {
                version: FlinkVersion::V2,
                with_job: false
            })
        );
        assert_eq!(LocalImage::parse("busybox:1.36"), Some(LocalImage::Host));
        assert_eq!(LocalImage::parse("flink:1.20"), None);
        assert_eq!(LocalImage::parse("flink-operator-rs/flink:latest"), None);
        let err = image_dir("nginx").expect_err("unknown");
        assert!(err.to_string().contains("not a local image"), "{err}");
    }
}
