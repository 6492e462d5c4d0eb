//! The canonical configuration of a workspace object: what a user configured, without the output-only fields
//! and server-side defaults the API adds. Export and drift both go through here, so that an unchanged DR
//! workspace shows no drift at all. Every dropped field is listed in this file, per resource, with the reason.
//! Pure functions: no I/O, no HCL.

use super::{Cluster, ClusterLibraries, ClusterPolicy, InstancePool, Job, ResourceKind};
use serde_json::{json, Map, Value};

/// One object's canonical configuration, in the API's field names, with what identifies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// What kind of object.
    pub kind: ResourceKind,
    /// Its workspace-specific id (job ids as decimal text).
    pub id: String,
    /// Its name (jobs without one are "Untitled", as the service names them).
    pub name: String,
    /// Creation time in epoch milliseconds, for ordering duplicates; 0 when unknown.
    pub created: i64,
    /// The configuration: a JSON object with empty values pruned and keys sorted.
    pub config: Value,
}

// ---- Jobs ---------------------------------------------------------------------------------------------------

/// In `settings`: read-only fields (ignored on write).
const JOB_OUTPUT_ONLY: &[&str] = &[
    "format", // always MULTI_TASK in 2.1+, ignored on write
];
/// In `settings.git_source`: filled by the service from the repository, not configured.
const GIT_SOURCE_OUTPUT_ONLY: &[&str] = &["git_snapshot"];
/// In `settings`: values the service fills in when absent, which are also the provider's defaults.
fn job_defaults() -> [(&'static str, Value); 3] {
    [
        ("max_concurrent_runs", json!(1)), // the service's and the provider's default
        ("timeout_seconds", json!(0)),     // 0 means no timeout
        ("queue", json!({"enabled": true})), // what Jobs API 2.2 (which the provider uses) gives new jobs
    ]
}

/// In each task: values the service fills in when absent, which are also the provider's defaults.
fn task_defaults() -> [(&'static str, Value); 6] {
    [
        ("run_if", json!("ALL_SUCCESS")), // the service adds it to tasks with depends_on
        ("timeout_seconds", json!(0)),
        ("max_retries", json!(0)),
        ("min_retry_interval_millis", json!(0)),
        ("retry_on_timeout", json!(false)),
        ("disabled", json!(false)),
    ]
}

/// A job's canonical settings. Tasks are ordered by `task_key`, as the provider orders them.
pub fn job(job: &Job) -> Normalized {
    into_job(job.clone())
}

/// [`job`], taking the job (no copy of its settings).
pub fn into_job(job: Job) -> Normalized {
    let crate::model::JobSettings {
        name,
        tasks,
        job_clusters,
        environments,
        parameters,
        extra,
    } = job.settings;
    // As `serde_json::to_value(&job.settings)` would make it, without the copy.
    let mut settings = extra;
    if let Some(name) = name {
        settings.insert("name".to_string(), Value::String(name));
    }
    for (key, items) in [
        ("tasks", tasks),
        ("job_clusters", job_clusters),
        ("environments", environments),
        ("parameters", parameters),
    ] {
        if !items.is_empty() {
            settings.insert(key.to_string(), Value::Array(items));
        }
    }
    remove_keys(&mut settings, JOB_OUTPUT_ONLY);
    remove_equal(&mut settings, &job_defaults());
    if let Some(Value::Object(git)) = settings.get_mut("git_source") {
        remove_keys(git, GIT_SOURCE_OUTPUT_ONLY);
    }
    if let Some(Value::Array(tasks)) = settings.get_mut("tasks") {
        tasks.iter_mut().for_each(task);
        tasks.sort_by(|a, b| key_of(a, "task_key").cmp(key_of(b, "task_key")));
    }
    if let Some(Value::Array(clusters)) = settings.get_mut("job_clusters") {
        for jc in clusters.iter_mut() {
            if let Some(Value::Object(spec)) = jc.get_mut("new_cluster") {
                cluster_spec(spec);
            }
        }
    }
    let name = settings
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Untitled")
        .to_string();
    let mut config = Value::Object(settings);
    prune(&mut config);
    Normalized {
        kind: ResourceKind::Jobs,
        id: job.job_id.to_string(),
        name,
        created: job.created_time.unwrap_or(0),
        config,
    }
}

fn task(task: &mut Value) {
    let Value::Object(t) = task else { return };
    remove_equal(t, &task_defaults());
    if let Some(Value::Object(spec)) = t.get_mut("new_cluster") {
        cluster_spec(spec);
    }
    // A for_each_task holds one nested task of the same shape.
    if let Some(Value::Object(each)) = t.get_mut("for_each_task") {
        if let Some(inner) = each.get_mut("task") {
            self::task(inner);
        }
    }
}

fn key_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

// ---- Clusters -----------------------------------------------------------------------------------------------

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
    "spec",       // the create request echoed back (get only); its fields are at the top level too
    "init_scripts_safe_mode",
    "effective_spark_version",
    "pinned_by_user_name",
    "last_activity",
];

/// Cluster spec values the service fills in when they were not configured, and the provider's defaults.
fn cluster_defaults() -> [(&'static str, Value); 4] {
    [
        ("enable_elastic_disk", json!(false)),
        ("enable_local_disk_encryption", json!(false)),
        ("apply_policy_default_values", json!(false)),
        ("data_security_mode", json!("NONE")), // "no isolation": what the service reports when unset
    ]
}

/// `aws_attributes` values the service fills in when they were not configured.
fn aws_defaults() -> [(&'static str, Value); 2] {
    [
        ("spot_bid_price_percent", json!(100)), // the documented default
        ("ebs_volume_count", json!(0)),         // no extra EBS volumes
    ]
}

/// The `spark_env_vars` entry the service adds to every cluster.
const DEFAULT_PYSPARK_PYTHON: (&str, &str) = ("PYSPARK_PYTHON", "/databricks/python3/bin/python3");

/// An all-purpose cluster's canonical configuration, with the libraries installed on it (as `libraries`).
pub fn cluster(c: &Cluster, libraries: Option<&ClusterLibraries>) -> Normalized {
    let mut spec = match serde_json::to_value(c) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    remove_keys(&mut spec, CLUSTER_OUTPUT_ONLY);
    cluster_spec(&mut spec);
    let mut libs: Vec<Value> = libraries
        .map(|l| {
            l.library_statuses
                .iter()
                .filter(|s| {
                    s.get("is_library_for_all_clusters")
                        .and_then(Value::as_bool)
                        != Some(true)
                })
                .filter(|s| {
                    !matches!(
                        s.get("status").and_then(Value::as_str),
                        Some("UNINSTALL_ON_RESTART" | "SKIPPED")
                    )
                })
                .filter_map(|s| s.get("library").cloned())
                .collect()
        })
        .unwrap_or_default();
    // The provider keeps a cluster's libraries as a set: order them by their content.
    libs.sort_by_cached_key(|l| l.to_string());
    libs.dedup();
    if !libs.is_empty() {
        spec.insert("libraries".to_string(), Value::Array(libs));
    }
    let mut config = Value::Object(spec);
    prune(&mut config);
    Normalized {
        kind: ResourceKind::Clusters,
        id: c.cluster_id.clone(),
        name: c.cluster_name.clone().unwrap_or_default(),
        created: c
            .extra
            .get("start_time")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        config,
    }
}

/// Normalise a cluster spec in place: an all-purpose cluster, a job cluster or a task's `new_cluster`.
fn cluster_spec(spec: &mut Map<String, Value>) {
    remove_equal(spec, &cluster_defaults());
    // The service reports the worker node type as the driver's when none was set; so does the provider.
    if spec.contains_key("driver_node_type_id")
        && spec.get("driver_node_type_id") == spec.get("node_type_id")
    {
        spec.remove("driver_node_type_id");
    }
    // With autoscale, num_workers reports the current size, not configuration.
    if spec.contains_key("autoscale") {
        spec.remove("num_workers");
    } else if spec.get("num_workers") == Some(&json!(0)) {
        // The provider's default: a single-node cluster needs no num_workers.
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

// ---- Instance pools -----------------------------------------------------------------------------------------

/// InstancePoolAndStats fields that describe the running pool, not its configuration.
const POOL_OUTPUT_ONLY: &[&str] = &[
    "instance_pool_id", // workspace-specific; the resource's identity in state
    "state",            // ACTIVE/STOPPED/DELETED
    "stats",            // used and idle instance counts
    "status",           // pending instance errors
    "default_tags",     // Vendor, DatabricksInstancePoolCreatorId, DatabricksInstancePoolId
];

/// An instance pool's canonical configuration.
pub fn instance_pool(p: &InstancePool) -> Normalized {
    let mut spec = match serde_json::to_value(p) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    remove_keys(&mut spec, POOL_OUTPUT_ONLY);
    // Pools get autoscaling local storage unless it is turned off: only `false` is configuration.
    remove_equal(&mut spec, &[("enable_elastic_disk", json!(true))]);
    if let Some(Value::Object(aws)) = spec.get_mut("aws_attributes") {
        remove_equal(aws, &aws_defaults());
    }
    let mut config = Value::Object(spec);
    prune(&mut config);
    Normalized {
        kind: ResourceKind::InstancePools,
        id: p.instance_pool_id.clone(),
        name: p.instance_pool_name.clone(),
        created: 0,
        config,
    }
}

// ---- Cluster policies ---------------------------------------------------------------------------------------

/// Policy fields that are not configuration.
const POLICY_OUTPUT_ONLY: &[&str] = &[
    "policy_id",            // workspace-specific; the resource's identity in state
    "created_at_timestamp", //
    "creator_user_name",    //
    "is_default",           // built-in policies (Personal Compute, ...)
];

/// A cluster policy's canonical configuration. `definition` and `policy_family_definition_overrides` are
/// parsed from their JSON strings, so that a change shows as a change of one rule, not of one long string.
/// A family-based policy's `definition` is computed by the service from the family and the overrides, so it
/// is dropped.
pub fn cluster_policy(p: &ClusterPolicy) -> Normalized {
    let mut spec = match serde_json::to_value(p) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    remove_keys(&mut spec, POLICY_OUTPUT_ONLY);
    if spec.contains_key("policy_family_id") {
        spec.remove("definition");
    }
    for key in ["definition", "policy_family_definition_overrides"] {
        if let Some(Value::String(text)) = spec.get(key) {
            if let Ok(parsed @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
                spec.insert(key.to_string(), parsed);
            }
        }
    }
    let mut config = Value::Object(spec);
    // An empty policy definition `{}` means "no rules" and is worth keeping only when it is all there is.
    prune(&mut config);
    Normalized {
        kind: ResourceKind::ClusterPolicies,
        id: p.policy_id.clone(),
        name: p.name.clone(),
        created: p
            .extra
            .get("created_at_timestamp")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        config,
    }
}

// ---- Helpers ------------------------------------------------------------------------------------------------

fn remove_keys(map: &mut Map<String, Value>, keys: &[&str]) {
    for k in keys {
        map.remove(*k);
    }
}

fn remove_equal(map: &mut Map<String, Value>, defaults: &[(&str, Value)]) {
    for (k, v) in defaults {
        if map.get(*k) == Some(v) {
            map.remove(*k);
        }
    }
}

/// Remove nulls, empty objects and empty arrays, recursively: the API leaves unset fields out, and an empty
/// block configures nothing.
pub fn prune(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                prune(child);
            }
            map.retain(|_, child| !is_empty(child));
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                prune(child);
            }
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job_from(v: Value) -> Job {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn job_drops_output_only_and_defaults_and_orders_tasks() {
        let j = job_from(json!({
            "job_id": 7, "created_time": 5, "creator_user_name": "a@b", "run_as_user_name": "a@b",
            "settings": {
                "name": "etl", "format": "MULTI_TASK", "max_concurrent_runs": 1, "timeout_seconds": 0,
                "email_notifications": {}, "webhook_notifications": {}, "queue": {"enabled": true},
                "git_source": {"git_url": "https://github.com/x/y", "git_provider": "gitHub", "git_branch": "main",
                               "git_snapshot": {"used_commit": "abc"}},
                "tasks": [
                    {"task_key": "b", "run_if": "ALL_SUCCESS", "depends_on": [{"task_key": "a"}], "timeout_seconds": 0,
                     "new_cluster": {"spark_version": "15.4.x-scala2.12", "num_workers": 2,
                                     "aws_attributes": {"spot_bid_price_percent": 100, "zone_id": "us-east-1a"},
                                     "spark_env_vars": {"PYSPARK_PYTHON": "/databricks/python3/bin/python3"}}},
                    {"task_key": "a", "run_if": "ALL_DONE", "notebook_task": {"notebook_path": "/x", "base_parameters": {}}}
                ]
            }
        }));
        let n = job(&j);
        assert_eq!((n.id.as_str(), n.name.as_str(), n.created), ("7", "etl", 5));
        assert_eq!(
            n.config,
            json!({
                "name": "etl",
                "git_source": {"git_url": "https://github.com/x/y", "git_provider": "gitHub", "git_branch": "main"},
                "tasks": [
                    {"task_key": "a", "run_if": "ALL_DONE", "notebook_task": {"notebook_path": "/x"}},
                    {"task_key": "b", "depends_on": [{"task_key": "a"}],
                     "new_cluster": {"spark_version": "15.4.x-scala2.12", "num_workers": 2,
                                     "aws_attributes": {"zone_id": "us-east-1a"}}}
                ]
            })
        );
    }

    #[test]
    fn job_keeps_non_default_values_and_unknown_fields() {
        let j = job_from(json!({"job_id": 1, "settings": {
            "max_concurrent_runs": 3, "queue": {"enabled": false}, "new_api_field": {"x": 1}}}));
        let n = job(&j);
        assert_eq!(n.name, "Untitled");
        assert_eq!(
            n.config,
            json!({"max_concurrent_runs": 3, "queue": {"enabled": false}, "new_api_field": {"x": 1}})
        );
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
            "driver": {"private_ip": "10.10.12.34"}, "executors": [{"private_ip": "10.10.12.41"}],
            "spec": {"cluster_name": "shared-analytics"}
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
        let n = cluster(&c, Some(&libs));
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

    #[test]
    fn pool_and_policy() {
        let p: InstancePool = serde_json::from_value(json!({
            "instance_pool_id": "p1", "instance_pool_name": "pool", "node_type_id": "i3.xlarge",
            "idle_instance_autotermination_minutes": 30, "state": "ACTIVE", "stats": {"idle_count": 1},
            "default_tags": {"Vendor": "Databricks"}, "status": {}, "enable_elastic_disk": true
        }))
        .unwrap();
        assert_eq!(
            instance_pool(&p).config,
            json!({"instance_pool_name": "pool", "node_type_id": "i3.xlarge",
                   "idle_instance_autotermination_minutes": 30})
        );
        let pol: ClusterPolicy = serde_json::from_value(json!({
            "policy_id": "ABC", "name": "p", "definition": "{\"spark_version\":{\"type\":\"fixed\",\"value\":\"15.4.x-scala2.12\"}}",
            "created_at_timestamp": 9, "creator_user_name": "x", "is_default": false
        }))
        .unwrap();
        let n = cluster_policy(&pol);
        assert_eq!(n.created, 9);
        assert_eq!(
            n.config,
            json!({"name": "p", "definition": {"spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"}}})
        );
        let fam: ClusterPolicy = serde_json::from_value(json!({
            "policy_id": "F", "name": "pc", "definition": "{\"x\":{}}", "policy_family_id": "personal-vm",
            "policy_family_definition_overrides": "{\"autotermination_minutes\":{\"type\":\"fixed\",\"value\":30}}"
        }))
        .unwrap();
        let n = cluster_policy(&fam);
        assert!(n.config.get("definition").is_none());
        assert_eq!(
            n.config["policy_family_definition_overrides"]["autotermination_minutes"]["value"],
            json!(30)
        );
    }

    #[test]
    fn prune_removes_empties_recursively() {
        let mut v = json!({"a": {"b": {}, "c": []}, "d": null, "e": [{"f": {}}], "g": 0, "h": ""});
        prune(&mut v);
        assert_eq!(v, json!({"e": [{}], "g": 0, "h": ""}));
    }
}
