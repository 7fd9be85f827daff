//! Deterministic ids and the spec hash (no IO, no randomness).
//!
//! Ids are FNV-1a hashes of the resource's uid and a counter kept in status, so the same
//! status always yields the same job id or trigger id: a retried action is the same action.
//! FNV-1a is used because it is tiny, stable across Rust versions and platforms, and these
//! ids need uniqueness per resource, not cryptographic strength.

use flink_crd::{FlinkDeploymentSpec, FlinkSessionJobSpec};

use crate::hash_view::{DeploymentView, SessionJobView};

const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over the parts, each followed by a separator (the definition [`fnv1a_pair`]
/// computes twice at once; the tests check that it does).
#[cfg(test)]
fn fnv1a(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h = FNV_OFFSET ^ seed;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(FNV_PRIME);
        }
        // Separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// splitmix64's finalizer: spreads FNV's weakly mixed low-entropy inputs (counters) over all bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Writes `v` as 16 lowercase hex digits into `out` (what `{:016x}` writes, without the
/// formatting machinery: ids are made on every step).
fn put_hex(out: &mut [u8], v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, slot) in out.iter_mut().take(16).enumerate() {
        *slot = DIGITS[((v >> ((15 - i) * 4)) & 0xf) as usize];
    }
}

/// The hex digits as a `String` (they are ASCII, so the conversion cannot fail).
fn hex_string(digits: &[u8]) -> String {
    String::from_utf8(digits.to_vec()).unwrap_or_default()
}

/// [`fnv1a`] with seeds 0 and [`SECOND_SEED`] in one pass over the parts (the same two values).
fn fnv1a_pair(parts: &[&[u8]]) -> (u64, u64) {
    let (mut a, mut b) = (FNV_OFFSET, FNV_OFFSET ^ SECOND_SEED);
    for part in parts {
        for byte in *part {
            a = (a ^ u64::from(*byte)).wrapping_mul(FNV_PRIME);
            b = (b ^ u64::from(*byte)).wrapping_mul(FNV_PRIME);
        }
        a = (a ^ 0xff).wrapping_mul(FNV_PRIME);
        b = (b ^ 0xff).wrapping_mul(FNV_PRIME);
    }
    (a, b)
}

/// The seed of an id's second half.
const SECOND_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// 32 lowercase hex characters (a Flink JobID / TriggerId) from the given parts.
pub(crate) fn hex128(parts: &[&[u8]]) -> String {
    let (a, b) = fnv1a_pair(parts);
    let mut out = [0u8; 32];
    put_hex(&mut out[..16], mix(a));
    put_hex(&mut out[16..], mix(b));
    hex_string(&out)
}

/// The fixed job id of the `n`-th deployment of resource `uid`.
pub fn job_id(uid: &str, n: u64) -> String {
    hex128(&[uid.as_bytes(), b"job", &n.to_be_bytes()])
}

/// The trigger id of the `n`-th savepoint/checkpoint trigger of resource `uid`.
pub fn trigger_id(uid: &str, n: u64) -> String {
    hex128(&[uid.as_bytes(), b"trigger", &n.to_be_bytes()])
}

/// FNV-1a over everything written to it, fed by `serde_json::to_writer`: the spec hash is
/// computed while serializing, without building the JSON text.
struct FnvWriter(u64);

impl std::io::Write for FnvWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for b in buf {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// 16 hex of the FNV-1a hash of `value`'s JSON form (the same bytes `serde_json::to_vec`
/// writes, so hashes of running deployments do not change).
fn hash_json<T: serde::Serialize>(value: &T) -> String {
    let mut w = FnvWriter(FNV_OFFSET);
    // Serializing our own plain data types into a writer that never fails cannot fail; a
    // partial hash would still be deterministic.
    let _ = serde_json::to_writer(&mut w, value);
    // The separator `fnv1a` appends after each part.
    w.0 ^= 0xff;
    w.0 = w.0.wrapping_mul(FNV_PRIME);
    let mut out = [0u8; 16];
    put_hex(&mut out, mix(w.0));
    hex_string(&out)
}

/// Hash of the parts of a spec that need a new cluster when they change (16 hex).
///
/// Left out: `job.state`, the nonces, `job.upgradeMode`, `job.initialSavepointPath`,
/// `job.allowNonRestoredState`, `job.deleteMode` (they steer the machine, not the cluster)
/// and `kubernetes.operator.*` configuration keys (operator settings, not Flink's).
/// The operator labels the cluster's resources with this value (from
/// [`Action::ApplyCluster`](crate::Action::ApplyCluster)) and reports it back.
pub fn spec_hash(spec: &FlinkDeploymentSpec) -> String {
    hash_json(&DeploymentView::new(spec))
}

/// Hash of the parts of a session job's spec that need a new submission when they change
/// (16 hex): the jar, entry class, arguments, parallelism, the session cluster's name and the
/// job's Flink configuration. Left out as in [`spec_hash`].
pub fn session_job_hash(spec: &FlinkSessionJobSpec) -> String {
    hash_json(&SessionJobView::new(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(job_id("u", 1), job_id("u", 1));
        assert_ne!(job_id("u", 1), job_id("u", 2));
        assert_ne!(job_id("u", 1), trigger_id("u", 1));
        assert_eq!(job_id("u", 1).len(), 32);
        // Pinned: a change here would change the ids of running deployments.
        assert_eq!(job_id("uid-1", 1), "0ce48541207f5a9d59cd1d88e531a884");
        let mut hex = [0u8; 16];
        put_hex(&mut hex, 0x00ab_cdef_0123_4567);
        assert_eq!(
            hex_string(&hex),
            format!("{:016x}", 0x00ab_cdef_0123_4567_u64)
        );
        // One pass gives what two did.
        let parts: &[&[u8]] = &[b"uid", b"job", &7u64.to_be_bytes()];
        assert_eq!(
            fnv1a_pair(parts),
            (fnv1a(0, parts), fnv1a(SECOND_SEED, parts))
        );
    }

    /// A spec with most kinds of field the hash sees (nested and flat configuration, operator
    /// keys it leaves out, resources, a job with steering fields).
    fn pinned_spec() -> FlinkDeploymentSpec {
        serde_json::from_value(serde_json::json!({
            "image": "flink:2.2",
            "flinkVersion": "v2_2",
            "serviceAccount": "flink",
            "flinkConfiguration": {
                "execution.checkpointing.savepoint-dir": "s3://b/sp",
                "taskmanager.numberOfTaskSlots": "2",
                "kubernetes.operator.periodic.savepoint.interval": "1h",
                "kubernetes": {"operator": {"savepoint.history.max.count": "3"}}
            },
            "logConfiguration": {"log4j-console.properties": "rootLogger.level = INFO"},
            "jobManager": {"resource": {"memory": "1024m", "cpu": 1.0}},
            "taskManager": {"resource": {"memory": "2048m", "cpu": 2.0}, "replicas": 2},
            "restartNonce": 7,
            "job": {
                "jarURI": "local:///opt/flink/usrlib/job.jar",
                "entryClass": "org.example.Job",
                "args": ["--in", "x"],
                "parallelism": 4,
                "upgradeMode": "savepoint",
                "state": "running",
                "savepointTriggerNonce": 3,
                "initialSavepointPath": "s3://b/sp/savepoint-1"
            }
        }))
        .expect("pinned spec parses")
    }

    #[test]
    fn spec_hash_is_pinned() {
        // Running clusters carry this value in a label and status: if it changes, every
        // cluster is redeployed when the operator is upgraded. Never update it casually.
        assert_eq!(spec_hash(&pinned_spec()), "75ee080cfae9274c");
        assert_eq!(
            spec_hash(&FlinkDeploymentSpec::default()),
            "b1e8f90783a27463"
        );
        let session_job: FlinkSessionJobSpec = serde_json::from_value(serde_json::json!({
            "deploymentName": "session",
            "flinkConfiguration": {"kubernetes.operator.savepoint.timeout": "5 min", "a": "b"},
            "job": {"jarURI": "https://repo/job.jar", "parallelism": 2, "upgradeMode": "last-state"}
        }))
        .expect("pinned session job parses");
        assert_eq!(session_job_hash(&session_job), "1d724a88c0cdc8b3");
    }

    /// The spec hash's JSON as it was first defined: a clone of the spec with its steering
    /// fields reset and the operator's keys removed, serialized. The borrowed views must write
    /// exactly these bytes.
    fn reference_json(spec: &FlinkDeploymentSpec) -> Vec<u8> {
        let mut s = spec.clone();
        s.restart_nonce = None;
        if let Some(job) = s.job.as_mut() {
            clear_steering(job);
        }
        clear_operator_keys(&mut s.flink_configuration);
        serde_json::to_vec(&s).expect("serializes")
    }

    fn reference_session_json(spec: &FlinkSessionJobSpec) -> Vec<u8> {
        let mut s = spec.clone();
        s.restart_nonce = None;
        clear_steering(&mut s.job);
        clear_operator_keys(&mut s.flink_configuration);
        serde_json::to_vec(&s).expect("serializes")
    }

    fn clear_steering(job: &mut flink_crd::JobSpec) {
        job.state = flink_crd::JobState::Running;
        job.savepoint_trigger_nonce = None;
        job.checkpoint_trigger_nonce = None;
        job.savepoint_redeploy_nonce = None;
        job.upgrade_mode = flink_crd::UpgradeMode::Stateless;
        job.initial_savepoint_path = None;
        job.allow_non_restored_state = None;
        job.delete_mode = None;
    }

    fn clear_operator_keys(conf: &mut flink_crd::FlinkConfiguration) {
        conf.0.retain(|k, _| !k.starts_with("kubernetes.operator."));
        if let Some(serde_json::Value::Object(nested)) = conf.0.get_mut("kubernetes")
            && let Some(serde_json::Value::Object(op)) = nested.get_mut("operator")
        {
            op.clear();
        }
    }

    /// Every field set (steering fields too), and nested configuration of each shape.
    fn full_spec() -> serde_json::Value {
        serde_json::json!({
            "image": "flink:2.2",
            "imagePullPolicy": "IfNotPresent",
            "flinkVersion": "v2_2",
            "serviceAccount": "flink",
            "flinkConfiguration": {
                "a.flat.key": "1",
                "kubernetes.operator.periodic.savepoint.interval": "1h",
                "kubernetes.operator": "not an operator key (no dot after it)",
                "kubernetes": {"jobmanager.cpu": 1, "operator": {"x": "y"}, "z": [1, 2]},
                "state": {"savepoints": {"dir": "s3://b/sp"}},
                "n": 3, "b": true
            },
            "logConfiguration": {"log4j-console.properties": "rootLogger.level = INFO"},
            "podTemplate": {"metadata": {"labels": {"team": "a"}}, "spec": {"containers": [{"name": "flink-main-container", "env": [{"name": "A", "value": "b"}]}]}},
            "jobManager": {"resource": {"memory": "1024m", "cpu": 1.0}, "replicas": 1},
            "taskManager": {"resource": {"memory": "2048m", "cpu": 2.0}, "replicas": 2},
            "job": {
                "jarURI": "local:///opt/flink/usrlib/job.jar",
                "parallelism": 4,
                "entryClass": "org.example.Job",
                "args": ["--in", "x"],
                "state": "suspended",
                "savepointTriggerNonce": 3,
                "initialSavepointPath": "s3://b/sp/savepoint-1",
                "checkpointTriggerNonce": 4,
                "upgradeMode": "last-state",
                "allowNonRestoredState": true,
                "savepointRedeployNonce": 5,
                "deleteMode": "cancel"
            },
            "restartNonce": 7,
            "ingress": {"template": "{{name}}.example.com", "className": "nginx"},
            "mode": "standalone",
            "deploymentStrategy": "recreate"
        })
    }

    /// The full spec, then with each top-level field, each job field and each configuration
    /// entry removed in turn (so every "skip when unset" is exercised next to set fields),
    /// then configurations of the shapes the operator-key filter treats specially.
    fn variants() -> Vec<serde_json::Value> {
        let full = full_spec();
        let mut out = vec![full.clone(), serde_json::json!({})];
        let top = full.as_object().expect("object");
        for key in top.keys() {
            let mut v = full.clone();
            v.as_object_mut().expect("object").remove(key);
            out.push(v);
        }
        for section in ["job", "flinkConfiguration"] {
            for key in top[section].as_object().expect("object").keys() {
                let mut v = full.clone();
                v[section].as_object_mut().expect("object").remove(key);
                out.push(v);
            }
        }
        for conf in [
            serde_json::json!({"kubernetes.operator.a": "1"}),
            serde_json::json!({"kubernetes": {"operator": {"a": "1"}}}),
            serde_json::json!({"kubernetes": {"operator": {}}}),
            serde_json::json!({"kubernetes": {"operator": "text"}}),
            serde_json::json!({"kubernetes": "text"}),
            serde_json::json!({"kubernetes": {"other": 1}}),
            serde_json::json!({"kubernetes": {"a": 1, "operator": {"b": 2}, "z": 3}, "kubernetes.operator.c": "4"}),
            serde_json::json!({}),
        ] {
            let mut v = full.clone();
            v["flinkConfiguration"] = conf;
            out.push(v);
        }
        out
    }

    #[test]
    fn views_write_the_reference_json() {
        for v in variants() {
            let spec: FlinkDeploymentSpec = serde_json::from_value(v.clone()).expect("spec parses");
            let view = serde_json::to_vec(&DeploymentView::new(&spec)).expect("serializes");
            assert_eq!(
                String::from_utf8_lossy(&view),
                String::from_utf8_lossy(&reference_json(&spec)),
                "deployment {v}"
            );
            let bytes = reference_json(&spec);
            assert_eq!(
                spec_hash(&spec),
                format!("{:016x}", mix(fnv1a(0, &[&bytes])))
            );

            let mut sj = serde_json::json!({"deploymentName": "session"});
            for key in ["job", "restartNonce", "flinkConfiguration"] {
                if let Some(x) = v.get(key) {
                    sj[key] = x.clone();
                }
            }
            if sj.get("job").is_none() {
                sj["job"] = serde_json::json!({});
            }
            let spec: FlinkSessionJobSpec =
                serde_json::from_value(sj.clone()).expect("session job parses");
            let view = serde_json::to_vec(&SessionJobView::new(&spec)).expect("serializes");
            assert_eq!(
                String::from_utf8_lossy(&view),
                String::from_utf8_lossy(&reference_session_json(&spec)),
                "session job {sj}"
            );
        }
    }

    #[test]
    fn steering_fields_do_not_change_the_hash() {
        let a = FlinkDeploymentSpec {
            job: Some(flink_crd::JobSpec::default()),
            ..Default::default()
        };
        let mut b = a.clone();
        if let Some(j) = b.job.as_mut() {
            j.savepoint_trigger_nonce = Some(3);
            j.state = flink_crd::JobState::Suspended;
        }
        assert_eq!(spec_hash(&a), spec_hash(&b));
        if let Some(j) = b.job.as_mut() {
            j.parallelism = Some(4);
        }
        assert_ne!(spec_hash(&a), spec_hash(&b));
        // Pinned: the streaming hash equals the hash of the JSON text it replaced, so the
        // labels of running clusters do not change.
        let bytes = serde_json::to_vec(&a).expect("serializes");
        assert_eq!(spec_hash(&a), format!("{:016x}", mix(fnv1a(0, &[&bytes]))));
    }
}
