//! Keeping a removed pod's container logs (does IO: renames files). A kubelet drops them with
//! the pod; on a test ground they are what explains a failure seen after the cluster is gone.

use std::path::Path;

use crate::layout::{current_log, previous_log};

/// Moves every container's `current.log` and `previous.log` from `pod_dir` to
/// `dest/<container>/`, replacing what an earlier pod of the same name left there. Best effort:
/// a log that cannot be moved is dropped with the pod folder, as a kubelet would.
pub(crate) fn keep(pod_dir: &Path, dest: &Path) {
    let Ok(containers) = std::fs::read_dir(pod_dir.join("containers")) else {
        return;
    };
    for container in containers.flatten() {
        let from = container.path();
        let to = dest.join(container.file_name());
        if std::fs::create_dir_all(&to).is_err() {
            continue;
        }
        for log in [current_log(&from), previous_log(&from)] {
            if let Some(name) = log.file_name()
                && log.exists()
            {
                let _ = std::fs::rename(&log, to.join(name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_of_every_container_move_and_other_files_stay() {
        let tmp = std::env::temp_dir().join(format!("kept-logs-{}", std::process::id()));
        let pod = tmp.join("pod");
        let main = pod.join("containers").join("main");
        let side = pod.join("containers").join("side");
        std::fs::create_dir_all(&main).expect("dirs");
        std::fs::create_dir_all(&side).expect("dirs");
        std::fs::write(current_log(&main), "now").expect("write");
        std::fs::write(previous_log(&main), "before").expect("write");
        std::fs::write(current_log(&side), "side").expect("write");
        std::fs::write(main.join("start.sh"), "#!/bin/sh").expect("write");
        let dest = tmp.join("kept").join("ns").join("p");

        keep(&pod, &dest);

        let read = |p: &Path| std::fs::read_to_string(p).expect("kept log");
        assert_eq!(read(&dest.join("main").join("current.log")), "now");
        assert_eq!(read(&dest.join("main").join("previous.log")), "before");
        assert_eq!(read(&dest.join("side").join("current.log")), "side");
        assert!(!dest.join("side").join("previous.log").exists());
        assert!(!dest.join("main").join("start.sh").exists());
        assert!(!current_log(&main).exists(), "moved, not copied");
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
