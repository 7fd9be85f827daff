//! "Pulling" images: building known local images once per daemon, in the background, and
//! remembering which names are unknown (does IO through [`crate::images::ensure_image`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::daemon::spec::Entry;
use crate::images::{LocalImage, ensure_image};

/// Where a pull stands.
#[derive(Debug, Clone)]
pub(crate) enum PullState {
    /// Being built.
    Pulling,
    /// Ready at this folder.
    Ready(PathBuf, Entry),
    /// Unknown name or failed build, with the kubelet-like message.
    Failed(String),
}

#[derive(Debug, Clone)]
enum Slot {
    Pulling,
    Ready(PathBuf),
    Failed(String, Instant),
}

/// The images of this daemon run.
#[derive(Debug, Default)]
pub(crate) struct Images {
    slots: Arc<Mutex<HashMap<String, Slot>>>,
}

/// A failed build (not an unknown name) is tried again after this long.
const RETRY_BUILD: Duration = Duration::from_secs(30);

impl Images {
    /// The state of `image`, starting its build when nothing is known yet.
    pub fn poll(&self, image: &str) -> PullState {
        let Some(kind) = LocalImage::parse(image) else {
            return PullState::Failed(format!(
                "failed to pull and unpack image \"{image}\": {}",
                crate::Error::UnknownImage(image.to_string())
            ));
        };
        let entry = match kind {
            LocalImage::Host => Entry::Host,
            LocalImage::Flink { .. } => Entry::Flink,
        };
        let Ok(mut slots) = self.slots.lock() else {
            return PullState::Pulling;
        };
        match slots.get(image) {
            Some(Slot::Ready(dir)) => return PullState::Ready(dir.clone(), entry),
            Some(Slot::Pulling) => return PullState::Pulling,
            Some(Slot::Failed(msg, at)) if at.elapsed() < RETRY_BUILD => {
                return PullState::Failed(msg.clone());
            }
            _ => {}
        }
        slots.insert(image.to_string(), Slot::Pulling);
        let name = image.to_string();
        let shared = self.slots.clone();
        tokio::task::spawn_blocking(move || {
            let slot = match ensure_image(&name) {
                Ok(dir) => Slot::Ready(dir),
                Err(e) => Slot::Failed(
                    format!("building local image \"{name}\": {e}"),
                    Instant::now(),
                ),
            };
            tracing::info!(image = %name, ok = matches!(slot, Slot::Ready(_)), "image build done");
            if let Ok(mut s) = shared.lock() {
                s.insert(name, slot);
            }
        });
        PullState::Pulling
    }
}
