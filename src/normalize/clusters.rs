//! An all-purpose cluster's canonical configuration (`cluster`, read from its `spec`, with its libraries), and
//! the one normalisation of a cluster spec (`cluster_spec`) that jobs' clusters go through too, with the AWS
//! defaults pools share. Rules cite `§n` of provider-behaviour.md (see the parent module). No I/O, no HCL.

use super::{drop_zeros, prune, remove_equal, remove_keys, Normalized, Note, Options};
use crate::model::{Cluster, ClusterLibraries, ResourceKind};
use serde_json::{json, Map, Value};

/// ClusterDetails fields that describe the running cluster, not its configuration.
const CLUSTER_OUTPUT_ONLY: &[&str] = &[
    "cluster_id", // workspace-specific; the resource's identity in state, never configuration
    "creator_user_name", // who made it
    "cluster_source", // UI/API/JOB/...: how it was made
    "state",      // the state machine: PENDING, RUNNING, TERMINATED, ...
    "state_message", //
    "start_time", // times of the cluster's life
    "terminated_time", //
    "last_restarted_time", //
    "last_state_loss_time", //
    "last_activity_time", //
    "termination_reason", // why it stopped
    "default_tags", // Vendor, Creator, ClusterName, ClusterId: added by the service
    "driver",     // the nodes it runs on
    "executors",  //
    "spark_context_id", // changes on every restart
    "jdbc_port",  //
    "cluster_memory_mb", // derived from the node types
    "cluster_cores", //
    "cluster_log_status", // the log delivery's last attempt
    "spec", // the create request echoed back (get only): the configuration is read from it when present
    "init_scripts_safe_mode",
    "effective_spark_version",
    "pinned_by_user_name",
    "last_activity",
    "is_pinned", // not a ClusterSpec field: pin status is read from a filtered listing (§3.4), see below
];

/// Fields a cluster's `spec` is not completed with from the effective configuration: the provider computes
/// them or hides their diff when the HCL leaves them out (§3.3: Computed node types, pools and disk flags; the
/// generic suppressor on the cloud attributes; `data_security_mode` when empty).
const SPEC_NOT_COMPLETED: &[&str] = &[
    "node_type_id",
    "driver_node_type_id",
    "driver_instance_pool_id",
    "enable_elastic_disk",
    "enable_local_disk_encryption",
    "aws_attributes",
    "azure_attributes",
    "gcp_attributes",
    "data_security_mode",
];

/// Cluster spec values the service fills in when they were not configured, and the provider's defaults.
/// `data_security_mode` is kept whatever it is, `NONE` included: the provider writes it as the API returns it
/// (§13 `databricks_cluster`), and leaving `NONE` out gives DR clusters the DR workspace's default access mode.
fn cluster_defaults() -> [(&'static str, Value); 3] {
    [
        ("enable_elastic_disk", json!(false)),
        ("enable_local_disk_encryption", json!(false)),
        ("apply_policy_default_values", json!(false)),
    ]
}

/// `aws_attributes` values the service fills in when they were not configured.
pub(super) fn aws_defaults() -> [(&'static str, Value); 2] {
    [
        ("spot_bid_price_percent", json!(100)), // the documented default; the provider's pool default (§4.2)
        ("ebs_volume_count", json!(0)),         // no extra EBS volumes
    ]
}

/// The `spark_env_vars` entry the service adds to every cluster (the provider's exporter leaves it out, §3.5).
const DEFAULT_PYSPARK_PYTHON: (&str, &str) = ("PYSPARK_PYTHON", "/databricks/python3/bin/python3");

/// An all-purpose cluster's canonical configuration, with the libraries installed on it (as `libraries`).
/// Read from `spec` (what its creator sent) when `clusters/get` returned it, else from the top-level fields
/// without what the service fills in (databricks-api.md §4 Clusters: "diff against spec when it is present").
pub fn cluster(c: &Cluster, libraries: Option<&ClusterLibraries>, options: &Options) -> Normalized {
    let mut spec = match serde_json::to_value(c) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    remove_keys(&mut spec, CLUSTER_OUTPUT_ONLY);
    if let Some(Value::Object(sent)) = c.extra.get("spec") {
        // What the creator sent, completed with the effective values of the fields it left out and that the
        // provider would otherwise show as a diff for ever: values a policy fixes or defaults (§2.4 item 3,
        // §3.4 item 1, §13 "Clusters with policy_id"). Fields the provider computes or suppresses when the HCL
        // leaves them out are not completed (§3.3), nor is anything the service reports about the running
        // cluster.
        let effective = std::mem::replace(&mut spec, sent.clone());
        remove_keys(&mut spec, CLUSTER_OUTPUT_ONLY);
        for (key, value) in effective {
            if !SPEC_NOT_COMPLETED.contains(&key.as_str()) {
                spec.entry(key).or_insert(value);
            }
        }
    }
    cluster_spec(&mut spec);
    let mut notes = Vec::new();
    drop_zeros(&mut spec, "", &mut notes);
    // The API reads an unset value as "never terminate", the provider's default is 60 (§3.2): write 0 then.
    let minutes = spec
        .get("autotermination_minutes")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    spec.insert("autotermination_minutes".to_string(), json!(minutes));
    // Pinned clusters are never deleted after they stop; the provider pins them after create (§3.2).
    if c.is_pinned == Some(true) {
        spec.insert("is_pinned".to_string(), json!(true));
    }
    let mut libs: Vec<Value> = Vec::new();
    for status in libraries.map_or(&[][..], |l| &l.library_statuses[..]) {
        if status
            .get("is_library_for_all_clusters")
            .and_then(Value::as_bool)
            == Some(true)
        {
            continue; // installed on every cluster by a workspace setting, not by this cluster's configuration
        }
        let Some(library) = status.get("library") else {
            continue;
        };
        match status.get("status").and_then(Value::as_str) {
            Some("UNINSTALL_ON_RESTART" | "SKIPPED") => continue, // on its way out, or not for this runtime
            Some("FAILED") if !options.failed_libraries => {
                notes.push(Note {
                    path: "libraries".to_string(),
                    message: format!(
                        "{library} failed to install on the primary; not exported (set [export] \
                         failed_libraries = \"include\" to export it anyway)"
                    ),
                });
                continue;
            }
            _ => libs.push(library.clone()),
        }
    }
    // The provider keeps a cluster's libraries as a set: order them by their content.
    libs.sort_by_cached_key(|l| l.to_string());
    libs.dedup();
    if !libs.is_empty() {
        spec.insert("libraries".to_string(), Value::Array(libs));
    }
    let mut config = Value::Object(spec);
    prune(&mut config);
    let mut n = Normalized::new(
        ResourceKind::Clusters,
        c.cluster_id.clone(),
        c.cluster_name.clone().unwrap_or_default(),
        c.extra
            .get("start_time")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        config,
    );
    n.notes = notes;
    n
}

/// Normalise a cluster spec in place: an all-purpose cluster, a job cluster or a task's `new_cluster`.
pub(super) fn cluster_spec(spec: &mut Map<String, Value>) {
    remove_equal(spec, &cluster_defaults());
    // The service reports the worker node type as the driver's when none was set; so does the provider.
    if spec.contains_key("driver_node_type_id")
        && spec.get("driver_node_type_id") == spec.get("node_type_id")
    {
        spec.remove("driver_node_type_id");
    }
    // Compute from a pool: the provider clears the node types and elastic disk, keeps only the instance profile
    // of the AWS attributes and the service account of the GCP ones, and empties the Azure ones
    // (`ModifyRequestOnInstancePool`, §3.2); writing them fails `terraform validate` (ConflictsWith, §3.3).
    // Without a pool it clears `driver_instance_pool_id`; a driver pool equal to the worker pool is redundant
    // (the provider's exporter leaves it out, §3.5).
    if spec.contains_key("instance_pool_id") {
        for key in ["node_type_id", "driver_node_type_id", "enable_elastic_disk"] {
            spec.remove(key);
        }
        keep_only(spec, "aws_attributes", "instance_profile_arn");
        spec.remove("azure_attributes");
        keep_only(spec, "gcp_attributes", "google_service_account");
        if spec.get("driver_instance_pool_id") == spec.get("instance_pool_id") {
            spec.remove("driver_instance_pool_id");
        }
    } else {
        spec.remove("driver_instance_pool_id");
    }
    // With autoscale, num_workers reports the current size, not configuration.
    if spec.contains_key("autoscale") {
        spec.remove("num_workers");
    } else if spec.get("num_workers") == Some(&json!(0)) {
        // The provider's default, and always sent without autoscale (§3.2): a single node needs no num_workers.
        spec.remove("num_workers");
    }
    if let Some(Value::Object(aws)) = spec.get_mut("aws_attributes") {
        remove_equal(aws, &aws_defaults());
    }
    if let Some(Value::Object(env)) = spec.get_mut("spark_env_vars") {
        if env.get(DEFAULT_PYSPARK_PYTHON.0).and_then(Value::as_str)
            == Some(DEFAULT_PYSPARK_PYTHON.1)
        {
            env.remove(DEFAULT_PYSPARK_PYTHON.0);
        }
    }
    if spec
        .get("ssh_public_keys")
        .is_some_and(|k| k.as_array().is_some_and(Vec::is_empty))
    {
        spec.remove("ssh_public_keys");
    }
}

/// Keep only `key` of the object under `block` (and drop the block when nothing is left).
fn keep_only(spec: &mut Map<String, Value>, block: &str, key: &str) {
    if let Some(Value::Object(attrs)) = spec.get_mut(block) {
        attrs.retain(|k, _| k == key);
        if attrs.is_empty() {
            spec.remove(block);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster_from(v: Value) -> Cluster {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn cluster_strips_runtime_noise_and_adds_libraries() {
        // Shaped on a real RUNNING cluster's clusters/get body.
        let c: Cluster = serde_json::from_value(json!({
            "cluster_id": "0923-164208-meows279", "creator_user_name": "alice@example.com",
            "cluster_name": "shared-analytics", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
            "autoscale": {"min_workers": 2, "max_workers": 8}, "num_workers": 3, "autotermination_minutes": 120,
            "enable_elastic_disk": false, "enable_local_disk_encryption": false,
            "aws_attributes": {"first_on_demand": 1, "availability": "SPOT_WITH_FALLBACK", "zone_id": "auto",
                               "spot_bid_price_percent": 100, "ebs_volume_count": 0},
            "spark_env_vars": {"PYSPARK_PYTHON": "/databricks/python3/bin/python3",
                               "CONFIG_URL": "https://config.us-east-1.example.internal"},
            "ssh_public_keys": [], "state": "RUNNING", "state_message": "", "start_time": 1727109728112i64,
            "cluster_source": "UI", "cluster_memory_mb": 124928, "cluster_cores": 16.0, "jdbc_port": 10000,
            "spark_context_id": 4020997813441462000i64,
            "default_tags": {"Vendor": "Databricks", "ClusterId": "0923-164208-meows279"},
            "driver": {"private_ip": "10.10.12.34"}, "executors": [{"private_ip": "10.10.12.41"}]
        }))
        .unwrap();
        let libs = ClusterLibraries {
            cluster_id: c.cluster_id.clone(),
            library_statuses: vec![
                json!({"library": {"pypi": {"package": "requests"}}, "status": "INSTALLED"}),
                json!({"library": {"jar": "s3://b/x.jar"}, "status": "INSTALLED", "is_library_for_all_clusters": true}),
                json!({"library": {"whl": "/Volumes/a/b/c.whl"}, "status": "UNINSTALL_ON_RESTART"}),
            ],
            extra: Map::new(),
        };
        let n = cluster(&c, Some(&libs), &Options::default());
        let cfg = n.config.as_object().unwrap();
        for gone in [
            "cluster_id",
            "state",
            "driver",
            "executors",
            "default_tags",
            "spark_context_id",
            "spec",
            "num_workers",
            "enable_elastic_disk",
            "ssh_public_keys",
        ] {
            assert!(!cfg.contains_key(gone), "{gone} should be dropped: {cfg:?}");
        }
        assert_eq!(
            n.config["libraries"],
            json!([{"pypi": {"package": "requests"}}])
        );
        assert_eq!(
            n.config["autoscale"],
            json!({"min_workers": 2, "max_workers": 8})
        );
        assert!(n.config["aws_attributes"]
            .get("spot_bid_price_percent")
            .is_none());
        assert_eq!(
            n.config["spark_env_vars"],
            json!({"CONFIG_URL": "https://config.us-east-1.example.internal"})
        );
    }

    /// Issue 13, defects 5, 6, 8 and 13: a cluster is read from `spec` (completed with what a policy filled in,
    /// but not with what the provider computes or suppresses), keeps its pin and `NONE` access mode, and always
    /// says when it terminates (0: never, where the provider's default would be 60).
    #[test]
    fn cluster_configuration_comes_from_spec_with_pin_and_termination() {
        let c = cluster_from(json!({
            "cluster_id": "c1", "cluster_name": "adhoc", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "num_workers": 1, "custom_tags": {"team": "x"},
            "data_security_mode": "NONE", "aws_attributes": {"zone_id": "us-east-1b", "first_on_demand": 1},
            "enable_elastic_disk": true, "driver_node_type_id": "i3.2xlarge",
            "is_pinned": true,
            "spec": {"cluster_name": "adhoc", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
                     "num_workers": 1, "apply_policy_default_values": true, "policy_id": "P",
                     "data_security_mode": "NONE", "aws_attributes": {"zone_id": "auto"}}
        }));
        assert_eq!(
            cluster(&c, None, &Options::default()).config,
            json!({"cluster_name": "adhoc", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
                   "num_workers": 1, "apply_policy_default_values": true, "policy_id": "P",
                   "data_security_mode": "NONE", "aws_attributes": {"zone_id": "auto"},
                   "autotermination_minutes": 0, "is_pinned": true, "custom_tags": {"team": "x"}})
        );
        // A value the policy filled in (the spec has none) is configuration: the provider would diff on it.
        let mut filled = c.clone();
        filled
            .extra
            .insert("autotermination_minutes".to_string(), json!(120));
        assert_eq!(
            cluster(&filled, None, &Options::default()).config["autotermination_minutes"],
            120
        );
        let plain = cluster_from(
            json!({"cluster_id": "c2", "cluster_name": "x", "autotermination_minutes": 45,
                                         "is_pinned": false, "data_security_mode": "NONE"}),
        );
        let n = cluster(&plain, None, &Options::default());
        assert_eq!(
            n.config,
            json!({"cluster_name": "x", "autotermination_minutes": 45, "data_security_mode": "NONE"})
        );
    }

    /// Issue 13, defect 16: a library that failed to install is not configuration, unless asked for.
    #[test]
    fn failed_libraries_are_left_out_unless_included() {
        let c = cluster_from(json!({"cluster_id": "c", "cluster_name": "x"}));
        let libs = ClusterLibraries {
            cluster_id: "c".to_string(),
            library_statuses: vec![
                json!({"library": {"pypi": {"package": "ok"}}, "status": "INSTALLED"}),
                json!({"library": {"pypi": {"package": "broken"}}, "status": "FAILED"}),
            ],
            extra: Map::new(),
        };
        let n = cluster(&c, Some(&libs), &Options::default());
        assert_eq!(n.config["libraries"], json!([{"pypi": {"package": "ok"}}]));
        assert!(n.notes[0].message.contains("broken"), "{:?}", n.notes);
        let n = cluster(
            &c,
            Some(&libs),
            &Options {
                failed_libraries: true,
                ..Options::default()
            },
        );
        assert_eq!(n.config["libraries"].as_array().unwrap().len(), 2);
        assert!(n.notes.is_empty());
    }
}
