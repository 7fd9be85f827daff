//! The harness against real Flink: a distribution per version, the job jar built against it,
//! and a cluster that starts, reports its slots and stops by PID.

use std::time::Instant;

use local_flink::{ClusterInfo, ClusterOptions, FlinkVersion, LocalFlinkCluster, build_job_jar};

fn start_and_stop(version: FlinkVersion) {
    let home = local_flink::ensure_distribution(version).expect("distribution");
    assert!(
        home.join(format!("lib/flink-dist-{}.jar", version.exact()))
            .is_file()
    );

    let jar = build_job_jar(version).expect("job jar");
    assert!(std::fs::metadata(&jar).expect("jar exists").len() > 1000);
    assert_eq!(
        build_job_jar(version).expect("cached jar"),
        jar,
        "a second build reuses the cache"
    );

    let started = Instant::now();
    let cluster = LocalFlinkCluster::start(
        ClusterOptions::new(version, format!("harness-test-{}", version.line())).slots(1),
    )
    .expect("cluster starts");
    eprintln!(
        "Flink {version} ready in {:.1}s at {}",
        started.elapsed().as_secs_f64(),
        cluster.rest_url()
    );
    let info = cluster.info().clone();
    assert!(
        testground::pid_alive(info.jobmanager_pid) && testground::pid_alive(info.taskmanager_pid)
    );
    assert_eq!(ClusterInfo::read(&info.dir).expect("recorded"), info);

    let stopping = Instant::now();
    cluster.stop();
    eprintln!(
        "Flink {version} stopped in {:.1}s",
        stopping.elapsed().as_secs_f64()
    );
    assert!(
        !testground::pid_alive(info.jobmanager_pid),
        "JobManager still alive"
    );
    assert!(
        !testground::pid_alive(info.taskmanager_pid),
        "TaskManager still alive"
    );
    assert!(
        !LocalFlinkCluster::stop_recorded(&info.dir).expect("stop again"),
        "nothing left to stop"
    );
}

#[test]
fn flink_1_20_starts_and_stops() {
    start_and_stop(FlinkVersion::V1_20);
}

#[test]
fn flink_2_starts_and_stops() {
    start_and_stop(FlinkVersion::V2);
}
