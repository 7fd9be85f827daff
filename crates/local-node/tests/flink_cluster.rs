//! A plain Flink cluster (1 JobManager + 2 TaskManagers, hand-written manifests, no operator)
//! on the local node: readiness, REST at the pod address, Service-name discovery, a killed
//! TaskManager coming back, scaling, `kubectl logs`, and deletion stopping every process.
//! One Flink cluster serves all assertions, to keep the suite lean on 2-core machines.

mod common;

use std::time::{Duration, Instant};

use common::*;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use local_cluster::TestNamespace;
use local_flink::FlinkVersion;

const IMAGE: &str = "flink-operator-rs/counter-job:1.20";
/// The first run on a fresh machine builds the image (fetching Flink from PyPI).
const FIRST_START: Duration = Duration::from_secs(900);
const START: Duration = Duration::from_secs(180);
const GRACE_SECONDS: u64 = 10;

fn manifests(version: FlinkVersion) -> String {
    let java_opts = version.java_opts();
    format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata: {{name: flink-config}}
data:
  flink-conf.yaml: |
    jobmanager.rpc.address: flink-jm
    jobmanager.rpc.port: 6123
    blob.server.port: 6124
    rest.port: 8081
    taskmanager.rpc.port: 6122
    jobmanager.bind-host: 0.0.0.0
    taskmanager.bind-host: 0.0.0.0
    rest.bind-address: 0.0.0.0
    jobmanager.memory.process.size: 768m
    taskmanager.memory.process.size: 1024m
    taskmanager.memory.managed.size: 32m
    taskmanager.numberOfTaskSlots: 1
    cluster.registration.error-delay: 1000
    heartbeat.interval: 2000
    heartbeat.timeout: 10000
    env.java.opts.all: "{java_opts}"
  log4j-console.properties: |
    rootLogger.level = INFO
    rootLogger.appenderRef.console.ref = ConsoleAppender
    appender.console.name = ConsoleAppender
    appender.console.type = CONSOLE
    appender.console.layout.type = PatternLayout
    appender.console.layout.pattern = %d{{yyyy-MM-dd HH:mm:ss,SSS}} %-5p %-60c %x - %m%n
---
apiVersion: v1
kind: Service
metadata: {{name: flink-jm}}
spec:
  selector: {{app: flink, component: jobmanager}}
  ports:
  - {{name: rpc, port: 6123}}
  - {{name: blob, port: 6124}}
  - {{name: rest, port: 8081}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: flink-jm}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: flink, component: jobmanager}}}}
  template:
    metadata: {{labels: {{app: flink, component: jobmanager}}}}
    spec:
      terminationGracePeriodSeconds: {GRACE_SECONDS}
      containers:
      - name: jobmanager
        image: {IMAGE}
        args: ["jobmanager"]
        ports: [{{containerPort: 6123, name: rpc}}, {{containerPort: 6124, name: blob}}, {{containerPort: 8081, name: rest}}]
        readinessProbe: {{tcpSocket: {{port: 8081}}, periodSeconds: 2}}
        volumeMounts: [{{name: conf, mountPath: /opt/flink/conf}}]
      volumes:
      - {{name: conf, configMap: {{name: flink-config}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: flink-tm}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: flink, component: taskmanager}}}}
  template:
    metadata: {{labels: {{app: flink, component: taskmanager}}}}
    spec:
      terminationGracePeriodSeconds: {GRACE_SECONDS}
      containers:
      - name: taskmanager
        image: {IMAGE}
        args: ["taskmanager", "-Dtaskmanager.host=$(POD_IP)"]
        env:
        - name: POD_IP
          valueFrom: {{fieldRef: {{fieldPath: status.podIP}}}}
        ports: [{{containerPort: 6122, name: rpc}}]
        readinessProbe: {{tcpSocket: {{port: 6122}}, periodSeconds: 2}}
        volumeMounts: [{{name: conf, mountPath: /opt/flink/conf}}]
      volumes:
      - {{name: conf, configMap: {{name: flink-config}}}}
"#
    )
}

/// The TaskManager ids Flink's REST API lists (`<host>:<port>-<suffix>`).
async fn taskmanager_ids(jm_ip: &str) -> Result<Vec<String>, String> {
    let tms = get_json(&format!("http://{jm_ip}:8081/taskmanagers")).await?;
    Ok(tms["taskmanagers"]
        .as_array()
        .ok_or_else(|| format!("no taskmanagers array: {tms}"))?
        .iter()
        .filter_map(|t| t["id"].as_str().map(str::to_string))
        .collect())
}

fn pids(node: &local_node::NodeHandle, pods: &[Pod], container: &str) -> Vec<u32> {
    pods.iter()
        .map(|p| {
            node.container_pid(&uid(p), container)
                .unwrap_or_else(|| panic!("no process for {:?}", p.metadata.name))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_flink_deployment_runs_restarts_scales_and_stops() {
    let node = local_node::shared().await.expect("local node");
    let cluster = local_cluster::shared().await.expect("control plane");
    let ns = TestNamespace::new(cluster, "node-flink")
        .await
        .expect("namespace");
    let pods: Api<Pod> = Api::namespaced(cluster.client().expect("client"), ns.name());
    apply(cluster, ns.name(), &manifests(FlinkVersion::V1_20));
    let applied_at = Instant::now();

    // Ready pods, REST at the JobManager pod's own address, two TaskManagers registered. The
    // TaskManagers only know the JobManager as `flink-jm` (the Service), so registering
    // proves they resolved the Service name to its endpoint.
    let jm = wait_ready(&pods, "component=jobmanager", 1, FIRST_START).await;
    let tms = wait_ready(&pods, "component=taskmanager", 2, START).await;
    let jm_ip = pod_ip(&jm[0]);
    let ids = wait_for("Flink to report 2 TaskManagers", START, || async {
        let ids = taskmanager_ids(&jm_ip).await?;
        if ids.len() == 2 {
            Ok(ids)
        } else {
            Err(format!("{ids:?}"))
        }
    })
    .await;
    println!(
        "start: 3 pods ready and 2 TaskManagers registered {:.1}s after `kubectl apply`",
        applied_at.elapsed().as_secs_f64()
    );
    for tm in &tms {
        let ip = pod_ip(tm);
        assert!(
            ids.iter().any(|id| id.starts_with(&format!("{ip}:"))),
            "TaskManager pod {ip} not among {ids:?}"
        );
        assert_ne!(ip, jm_ip);
        assert!(ip.starts_with("10.244."), "{ip}");
    }
    let jm_pid = pids(node, &jm, "jobmanager")[0];
    let comm = std::fs::read_to_string(format!("/proc/{jm_pid}/comm")).expect("comm");
    assert_eq!(comm.trim(), "java", "the container's PID is the JVM");

    // `kubectl logs` reaches the node's log endpoint.
    let jm_name = jm[0].metadata.name.clone().expect("name");
    let logs = kubectl(cluster, &["logs", "-n", ns.name(), &jm_name, "--tail=2000"]);
    assert!(
        logs.contains("StandaloneSessionClusterEntrypoint"),
        "JobManager log through kubectl logs:\n{}",
        &logs[..logs.len().min(2000)]
    );
    let tail = kubectl(cluster, &["logs", "-n", ns.name(), &jm_name, "--tail=3"]);
    assert_eq!(tail.lines().count(), 3, "{tail}");

    // Killing a TaskManager's JVM: the container restarts in the same pod and Flink sees a
    // new TaskManager at that pod's address.
    let victim = tms[0].clone();
    let victim_ip = pod_ip(&victim);
    let victim_pid = pids(node, std::slice::from_ref(&victim), "taskmanager")[0];
    let old_id = ids
        .iter()
        .find(|id| id.starts_with(&format!("{victim_ip}:")))
        .cloned()
        .expect("victim's id");
    assert!(
        std::process::Command::new("kill")
            .args(["-KILL", &victim_pid.to_string()])
            .status()
            .expect("kill runs")
            .success()
    );
    let killed_at = Instant::now();
    let victim_name = victim.metadata.name.clone().expect("name");
    wait_for(
        "the killed TaskManager to restart and be ready",
        START,
        || async {
            let p = pods.get(&victim_name).await.map_err(|e| e.to_string())?;
            let s = first_status(&p).ok_or("no status")?;
            let exit = s
                .last_state
                .as_ref()
                .and_then(|l| l.terminated.as_ref())
                .map(|t| t.exit_code);
            if s.restart_count >= 1 && exit == Some(137) && s.ready {
                Ok(())
            } else {
                Err(format!(
                    "restarts {} last exit {exit:?} ready {}",
                    s.restart_count, s.ready
                ))
            }
        },
    )
    .await;
    let new_pid = node
        .container_pid(&uid(&victim), "taskmanager")
        .expect("restarted process");
    assert_ne!(new_pid, victim_pid);
    assert!(!alive(victim_pid));
    wait_for("Flink to see the restarted TaskManager", START, || async {
        let ids = taskmanager_ids(&jm_ip).await?;
        let back = ids
            .iter()
            .any(|id| id.starts_with(&format!("{victim_ip}:")) && *id != old_id);
        if back && ids.len() == 2 {
            Ok(())
        } else {
            Err(format!("{ids:?} (old {old_id})"))
        }
    })
    .await;

    println!(
        "restart: the killed TaskManager was back in Flink {:.1}s after kill -9",
        killed_at.elapsed().as_secs_f64()
    );

    // Scaling the TaskManagers to 3 and back to 1 starts and stops processes.
    kubectl(
        cluster,
        &[
            "scale",
            "-n",
            ns.name(),
            "deployment/flink-tm",
            "--replicas=3",
        ],
    );
    let three = wait_ready(&pods, "component=taskmanager", 3, START).await;
    let three_pids = pids(node, &three, "taskmanager");
    assert!(three_pids.iter().all(|p| alive(*p)));
    wait_for("Flink to report 3 TaskManagers", START, || async {
        let ids = taskmanager_ids(&jm_ip).await?;
        if ids.len() == 3 {
            Ok(())
        } else {
            Err(format!("{ids:?}"))
        }
    })
    .await;
    kubectl(
        cluster,
        &[
            "scale",
            "-n",
            ns.name(),
            "deployment/flink-tm",
            "--replicas=1",
        ],
    );
    let one = wait_ready(&pods, "component=taskmanager", 1, START).await;
    let kept = node
        .container_pid(&uid(&one[0]), "taskmanager")
        .expect("kept TaskManager");
    let stopped: Vec<u32> = three_pids.iter().copied().filter(|p| *p != kept).collect();
    assert_eq!(stopped.len(), 2);
    wait_for(
        "the scaled-down TaskManager processes to end",
        START,
        || async {
            let left: Vec<u32> = stopped.iter().copied().filter(|p| alive(*p)).collect();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("still alive: {left:?}"))
            }
        },
    )
    .await;
    wait_for("scaled-down pods to be removed", START, || async {
        let all = pods
            .list(&kube::api::ListParams::default().labels("component=taskmanager"))
            .await
            .map_err(|e| e.to_string())?;
        if all.items.len() == 1 {
            Ok(())
        } else {
            Err(format!("{} pods", all.items.len()))
        }
    })
    .await;

    // Deleting the Deployments: every process is gone within the grace period.
    let all_pids = [jm_pid, kept];
    assert!(all_pids.iter().all(|p| alive(*p)));
    let uids: Vec<String> = live_pods(&pods, "app=flink")
        .await
        .iter()
        .map(uid)
        .collect();
    kubectl(
        cluster,
        &[
            "delete",
            "-n",
            ns.name(),
            "deployment",
            "flink-jm",
            "flink-tm",
            "--wait=false",
        ],
    );
    let deleted_at = Instant::now();
    wait_for(
        "every Flink process to end",
        Duration::from_secs(GRACE_SECONDS + 20),
        || async {
            let left: Vec<u32> = all_pids.iter().copied().filter(|p| alive(*p)).collect();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("still alive: {left:?}"))
            }
        },
    )
    .await;
    let took = deleted_at.elapsed();
    wait_for("the pods to be removed", START, || async {
        let n = live_pods(&pods, "app=flink").await.len();
        let all = pods
            .list(&Default::default())
            .await
            .map_err(|e| e.to_string())?
            .items
            .len();
        if n == 0 && all == 0 {
            Ok(())
        } else {
            Err(format!("{all} pods left"))
        }
    })
    .await;
    let status = node.status();
    for u in &uids {
        let short: String = u.chars().filter(|c| *c != '-').take(10).collect();
        assert!(
            !status.namespaces.iter().any(|n| n.ends_with(&short)),
            "network namespace of pod {u} left: {:?}",
            status.namespaces
        );
    }
    println!(
        "deletion: every process ended {:.1}s after `kubectl delete`",
        took.as_secs_f64()
    );
}
