//! The pod status the worker reports, kubelet style: phase, conditions with stable
//! transition times, container states, written with the status subresource only when it
//! changed (does IO: the API).

use std::time::Instant;

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};

use super::{Ctr, HOST_IP, Term, Worker};

impl Worker {
    fn condition(
        &mut self,
        kind: &str,
        ok: bool,
        reason: Option<&str>,
        message: Option<String>,
    ) -> PodCondition {
        let status = if ok { "True" } else { "False" }.to_string();
        let entry = self
            .transitions
            .entry(kind.to_string())
            .or_insert_with(|| (status.clone(), Timestamp::now()));
        if entry.0 != status {
            *entry = (status.clone(), Timestamp::now());
        }
        PodCondition {
            type_: kind.to_string(),
            status,
            last_transition_time: Some(Time(entry.1)),
            reason: reason.map(str::to_string),
            message,
            ..PodCondition::default()
        }
    }

    fn build_status(&mut self) -> PodStatus {
        let inits_done = self
            .inits
            .iter()
            .all(|c| c.done && c.last.as_ref().is_none_or(|t| t.code == 0));
        let init_failed = self
            .inits
            .iter()
            .any(|c| c.done && c.last.as_ref().is_some_and(|t| t.code != 0));
        let mains_done = !self.mains.is_empty() && self.mains.iter().all(|c| c.done);
        let phase = if init_failed {
            "Failed"
        } else if mains_done {
            if self
                .mains
                .iter()
                .all(|c| c.last.as_ref().is_some_and(|t| t.code == 0))
            {
                "Succeeded"
            } else {
                "Failed"
            }
        } else if inits_done
            && self
                .mains
                .iter()
                .any(|c| c.proc.is_some() || c.ever_started)
        {
            "Running"
        } else {
            "Pending"
        };
        let unready: Vec<String> = self
            .mains
            .iter()
            .filter(|c| !c.ready)
            .map(|c| c.name().to_string())
            .collect();
        let all_ready = unready.is_empty();
        let not_ready_msg = (!all_ready)
            .then(|| format!("containers with unready status: [{}]", unready.join(" ")));
        let uninit: Vec<String> = self
            .inits
            .iter()
            .filter(|c| !c.done)
            .map(|c| c.name().to_string())
            .collect();
        let mut conditions = vec![
            self.condition(
                "PodReadyToStartContainers",
                self.record.net.is_some(),
                None,
                None,
            ),
            self.condition(
                "Initialized",
                uninit.is_empty(),
                (!uninit.is_empty()).then_some("ContainersNotInitialized"),
                (!uninit.is_empty())
                    .then(|| format!("containers with incomplete status: [{}]", uninit.join(" "))),
            ),
            self.condition(
                "Ready",
                all_ready && phase == "Running",
                (!all_ready).then_some("ContainersNotReady"),
                not_ready_msg.clone(),
            ),
            self.condition(
                "ContainersReady",
                all_ready && phase == "Running",
                (!all_ready).then_some("ContainersNotReady"),
                not_ready_msg,
            ),
        ];
        conditions.push(self.condition("PodScheduled", true, None, None));
        let ip = self.pod_ip();
        let initializing = !inits_done;
        let image_of = |c: &Ctr| c.spec.image.clone().unwrap_or_default();
        let status_for = |c: &Ctr, is_init: bool| -> ContainerStatus {
            let term = |t: &Term| ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: t.code,
                    reason: Some(t.reason.clone()),
                    started_at: Some(Time(t.started)),
                    finished_at: Some(Time(t.finished)),
                    ..ContainerStateTerminated::default()
                }),
                ..ContainerState::default()
            };
            let waiting = |reason: &str, message: Option<String>| ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(reason.to_string()),
                    message,
                }),
                ..ContainerState::default()
            };
            let (state, last) = if let Some(p) = &c.proc {
                (
                    ContainerState {
                        running: Some(ContainerStateRunning {
                            started_at: Some(Time(p.started_at)),
                        }),
                        ..ContainerState::default()
                    },
                    c.last.as_ref().map(term),
                )
            } else if c.done {
                (c.last.as_ref().map(term).unwrap_or_default(), None)
            } else if c.restart_at.is_some_and(|at| at > Instant::now()) {
                (
                    waiting(
                        "CrashLoopBackOff",
                        Some(format!(
                            "back-off {}s restarting failed container={} pod={}_{}({})",
                            c.delay.as_secs(),
                            c.spec.name,
                            self.name,
                            self.ns,
                            self.uid
                        )),
                    ),
                    c.last.as_ref().map(term),
                )
            } else if let Some((reason, message)) = &c.waiting {
                (
                    waiting(reason, Some(message.clone())),
                    c.last.as_ref().map(term),
                )
            } else if !is_init && initializing {
                (waiting("PodInitializing", None), c.last.as_ref().map(term))
            } else {
                (
                    waiting("ContainerCreating", None),
                    c.last.as_ref().map(term),
                )
            };
            ContainerStatus {
                name: c.spec.name.clone(),
                image: image_of(c),
                image_id: format!("local-node://{}", image_of(c)),
                container_id: c.proc.as_ref().map(|p| format!("local-node://{}", p.pid)),
                ready: if is_init {
                    c.done
                } else {
                    c.ready && c.proc.is_some()
                },
                restart_count: c.restarts,
                started: Some(c.proc.is_some() && c.started_ok),
                state: Some(state),
                last_state: Some(last.unwrap_or_default()),
                ..ContainerStatus::default()
            }
        };
        let inits: Vec<ContainerStatus> = self.inits.iter().map(|c| status_for(c, true)).collect();
        let mains: Vec<ContainerStatus> = self.mains.iter().map(|c| status_for(c, false)).collect();
        PodStatus {
            phase: Some(phase.to_string()),
            conditions: Some(conditions),
            host_ip: Some(HOST_IP.into()),
            host_ips: Some(vec![HostIP { ip: HOST_IP.into() }]),
            pod_ip: ip.clone(),
            pod_ips: ip.map(|ip| vec![PodIP { ip }]),
            start_time: Some(Time(self.start_time)),
            init_container_statuses: (!inits.is_empty()).then_some(inits),
            container_statuses: Some(mains),
            ..PodStatus::default()
        }
    }

    pub(super) async fn publish(&mut self) {
        self.flush_events();
        let mut status = self.build_status();
        if let Some((reason, message)) = &self.problem {
            // Surface pod-level setup problems on every container that waits for them.
            for s in status.container_statuses.iter_mut().flatten() {
                if s.state.as_ref().is_some_and(|st| st.waiting.is_some()) {
                    s.state = Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some(reason.clone()),
                            message: Some(message.clone()),
                        }),
                        ..ContainerState::default()
                    });
                }
            }
        }
        let Ok(body) = serde_json::to_value(serde_json::json!({ "status": status })) else {
            return;
        };
        if self.last_sent.as_ref() == Some(&body) {
            return;
        }
        let api: Api<Pod> = Api::namespaced(self.sh.client.clone(), &self.ns);
        match api
            .patch_status(&self.name, &PatchParams::default(), &Patch::Merge(&body))
            .await
        {
            Ok(_) => self.last_sent = Some(body),
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => tracing::warn!(pod = %self.key(), error = %e, "patching pod status"),
        }
    }
}
