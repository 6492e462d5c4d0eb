//! The canonical configuration of a workspace object: what a user configured, in the form the provider
//! (databricks/databricks 1.99.0) can carry to DR and read back without a diff. Output-only fields and server
//! defaults are dropped, what the provider rewrites on create is rewritten the same way here, and what it
//! cannot express is left out with a note. Export and drift both go through here, so that an unchanged DR
//! workspace shows no drift at all. Every rule names its source: `§n` is a section of
//! `../shared/reference/provider-behaviour.md`, which cites the provider's code. Pure functions: no I/O, no HCL.

use crate::model::{
    Cluster, ClusterLibraries, ClusterPolicy, InstancePool, Inventory, Job, ResourceKind,
};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

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
    /// Why the object is not exported at all (the provider cannot create it faithfully, or it belongs to
    /// something else); drift leaves such live objects alone too.
    pub excluded: Option<String>,
    /// What was left out or changed because the provider cannot carry it, for the export's warnings.
    pub notes: Vec<Note>,
}

/// Something the normaliser left out of one object, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Where, in API names (`max_concurrent_runs`, `libraries`).
    pub path: String,
    /// What happened and what it means for DR.
    pub message: String,
}

/// What users choose about the normalisation (`[export]` in drsync.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Export jobs deployed by a Databricks Asset Bundle (without their bundle markers) instead of leaving them
    /// out.
    pub bundle_jobs: bool,
    /// Export libraries that failed to install on a cluster instead of leaving them out.
    pub failed_libraries: bool,
}

impl Normalized {
    fn new(kind: ResourceKind, id: String, name: String, created: i64, config: Value) -> Self {
        Normalized {
            kind,
            id,
            name,
            created,
            config,
            excluded: None,
            notes: Vec::new(),
        }
    }
}

/// Every object of `kinds`, normalised, kind by kind in the order of `kinds`, each kind on every core (results
/// in order): the one loop over kinds that the export and drift share. Jobs come as `J`, because each caller has
/// them in its own form (borrowed, normalised as their pages arrived, or converted ahead of time): `job` turns
/// one into a `T`. The other kinds are taken from `rest` (its `jobs` are not read), normalised here (clusters
/// with their libraries) and turned into a `T` by `other`.
pub fn by_kind<J, T>(
    jobs: Vec<J>,
    rest: &Inventory,
    kinds: &[ResourceKind],
    options: &Options,
    job: impl Fn(J) -> T + Sync + Send,
    other: impl Fn(Normalized) -> T + Sync + Send,
) -> Vec<T>
where
    J: Send,
    T: Send,
{
    let libraries: HashMap<&str, &ClusterLibraries> = rest
        .libraries
        .iter()
        .map(|l| (l.cluster_id.as_str(), l))
        .collect();
    let mut jobs = Some(jobs);
    let mut objects: Vec<T> = Vec::new();
    for kind in kinds {
        match kind {
            ResourceKind::Jobs => {
                objects.par_extend(jobs.take().unwrap_or_default().into_par_iter().map(&job))
            }
            ResourceKind::Clusters => objects.par_extend(rest.clusters.par_iter().map(|c| {
                other(cluster(
                    c,
                    libraries.get(c.cluster_id.as_str()).copied(),
                    options,
                ))
            })),
            ResourceKind::InstancePools => {
                objects.par_extend(rest.pools.par_iter().map(|p| other(instance_pool(p))))
            }
            ResourceKind::ClusterPolicies => {
                objects.par_extend(rest.policies.par_iter().map(|p| other(cluster_policy(p))))
            }
        }
    }
    objects
}

// ---- Jobs ---------------------------------------------------------------------------------------------------

/// In `settings`: read-only fields (ignored on write).
const JOB_OUTPUT_ONLY: &[&str] = &[
    "format", // always MULTI_TASK in 2.1+, ignored on write; the provider never writes it (§13)
    // Write-only (SDK docstring "Write-only setting"; databricks-api.md §4): the effective identity is the job's
    // `run_as_user_name`, from which `run_as` is rebuilt below, as the provider's Read does (§2.4).
    "run_as",
];
/// In `settings.git_source`: filled by the service from the repository, not configured.
const GIT_SOURCE_OUTPUT_ONLY: &[&str] = &["git_snapshot", "job_source"];
/// In `settings`: values the service fills in when absent, which are also the provider's defaults.
fn job_defaults() -> [(&'static str, Value); 3] {
    [
        ("max_concurrent_runs", json!(1)), // the service's and the provider's default (§2.2)
        ("timeout_seconds", json!(0)),     // 0 means no timeout
        // The provider sends `queue { enabled = false }` when the block is absent (§2.2): absent and disabled are
        // the same job. An enabled queue is kept, so that DR queues as the primary does.
        ("queue", json!({"enabled": false})),
    ]
}

/// In each task: values the service fills in when absent, which are also the provider's defaults.
fn task_defaults() -> [(&'static str, Value); 6] {
    [
        ("run_if", json!("ALL_SUCCESS")), // the service adds it to tasks with depends_on; suppressed (§2.3)
        ("timeout_seconds", json!(0)),
        ("max_retries", json!(0)),
        ("min_retry_interval_millis", json!(0)),
        ("retry_on_timeout", json!(false)),
        ("disabled", json!(false)),
    ]
}

/// The webhook lists the provider sorts by `id` on create and on read (§2.2, §2.4).
const WEBHOOK_LISTS: &[&str] = &[
    "on_start",
    "on_failure",
    "on_success",
    "on_duration_warning_threshold_exceeded",
    "on_streaming_backlog_exceeded",
];

/// A job's canonical settings. Tasks are ordered by `task_key`, as the provider orders them.
pub fn job(job: &Job, options: &Options) -> Normalized {
    into_job(job.clone(), options)
}

/// [`job`], taking the job (no copy of its settings).
pub fn into_job(job: Job, options: &Options) -> Normalized {
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
    let has_tasks = !tasks.is_empty();
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
    if let Some(run_as) = job
        .extra
        .get("run_as_user_name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        settings.insert("run_as".to_string(), run_as_block(run_as));
    }
    let mut notes = Vec::new();
    if settings.get("max_concurrent_runs") == Some(&json!(0)) {
        // The provider drops zeros (§1.2), so DR would get the default, 1 (§2.4 item 5).
        settings.remove("max_concurrent_runs");
        notes.push(Note {
            path: "max_concurrent_runs".to_string(),
            message: "is 0 (every new run is skipped), which the provider cannot send: the DR job gets the \
                      default, 1 concurrent run"
                .to_string(),
        });
    }
    remove_equal(&mut settings, &job_defaults());
    let bundle = settings
        .get("deployment")
        .and_then(|d| d.get("kind"))
        .and_then(Value::as_str)
        == Some("BUNDLE");
    if bundle && options.bundle_jobs {
        // Bundle markers claim a bundle that DR does not have (§2.2 "edit_mode and deployment", §13).
        settings.remove("deployment");
        settings.remove("edit_mode");
    }
    if let Some(Value::Object(git)) = settings.get_mut("git_source") {
        remove_keys(git, GIT_SOURCE_OUTPUT_ONLY);
    }
    sort_webhooks(&mut settings);
    if let Some(Value::Array(tasks)) = settings.get_mut("tasks") {
        tasks.iter_mut().for_each(task);
        // Byte order, as the provider sorts (§2.2).
        tasks.sort_by(|a, b| key_of(a, "task_key").cmp(key_of(b, "task_key")));
    }
    if let Some(Value::Array(clusters)) = settings.get_mut("job_clusters") {
        for jc in clusters.iter_mut() {
            if let Some(Value::Object(spec)) = jc.get_mut("new_cluster") {
                cluster_spec(spec);
            }
        }
    }
    let excluded = if bundle && !options.bundle_jobs {
        Some(
            "is deployed by a Databricks Asset Bundle (`deployment.kind = BUNDLE`): deploy the bundle to DR \
             instead, or set [export] bundle_jobs = \"include\""
                .to_string(),
        )
    } else if !has_tasks {
        Some(
            "has no tasks: the provider would create it through the legacy Jobs 2.0 API, and its own exporter \
             skips such jobs"
                .to_string(),
        )
    } else if model_trigger_only(&settings) {
        Some(
            "is triggered by a model only (`trigger.model`), which the provider 1.99.0 cannot express: its \
             trigger takes exactly one of file_arrival, table_update and periodic"
                .to_string(),
        )
    } else {
        None
    };
    drop_zeros(&mut settings, "", &mut notes);
    let name = settings
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Untitled")
        .to_string();
    let mut config = Value::Object(settings);
    prune(&mut config);
    let mut n = Normalized::new(
        ResourceKind::Jobs,
        job.job_id.to_string(),
        name,
        job.created_time.unwrap_or(0),
        config,
    );
    n.excluded = excluded;
    n.notes = notes;
    n
}

/// `run_as` as the provider's Read builds it from `run_as_user_name`: a lowercase UUID is a service principal's
/// application id, anything else a user name (§2.4; the UUID pattern is `common/util.go:22-29`).
fn run_as_block(identity: &str) -> Value {
    if is_lowercase_uuid(identity) {
        json!({ "service_principal_name": identity })
    } else {
        json!({ "user_name": identity })
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase hex.
fn is_lowercase_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// A `trigger` with a `model` condition and none of the three kinds the provider's ExactlyOneOf allows (§2.3).
fn model_trigger_only(settings: &Map<String, Value>) -> bool {
    let Some(Value::Object(trigger)) = settings.get("trigger") else {
        return false;
    };
    trigger.contains_key("model")
        && !["file_arrival", "table_update", "periodic"]
            .iter()
            .any(|k| trigger.contains_key(*k))
}

/// Sort the webhook lists of a job or task by `id`, in byte order (§2.2, §2.4).
fn sort_webhooks(obj: &mut Map<String, Value>) {
    if let Some(Value::Object(hooks)) = obj.get_mut("webhook_notifications") {
        for list in WEBHOOK_LISTS {
            if let Some(Value::Array(items)) = hooks.get_mut(*list) {
                items.sort_by(|a, b| key_of(a, "id").cmp(key_of(b, "id")));
            }
        }
    }
}

fn task(task: &mut Value) {
    let Value::Object(t) = task else { return };
    remove_equal(t, &task_defaults());
    if let Some(Value::Object(spec)) = t.get_mut("new_cluster") {
        cluster_spec(spec);
    }
    // `depends_on` and webhook lists of top-level tasks are sorted on create and on read (§2.2, §2.4).
    if let Some(Value::Array(deps)) = t.get_mut("depends_on") {
        deps.sort_by(|a, b| key_of(a, "task_key").cmp(key_of(b, "task_key")));
    }
    sort_webhooks(t);
    // A for_each_task holds one nested task of the same shape, which the provider leaves in HCL order (§2.2).
    if let Some(Value::Object(each)) = t.get_mut("for_each_task") {
        if let Some(Value::Object(inner)) = each.get_mut("task") {
            remove_equal(inner, &task_defaults());
            if let Some(Value::Object(spec)) = inner.get_mut("new_cluster") {
                cluster_spec(spec);
            }
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
fn aws_defaults() -> [(&'static str, Value); 2] {
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
fn cluster_spec(spec: &mut Map<String, Value>) {
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
    let mut notes = Vec::new();
    // Pools get autoscaling local storage unless it is turned off, and the provider 1.99.0 never sends `false`
    // (`omitempty`, §4.2): either way the DR pool has it, so neither value is configuration drsync can carry.
    if spec.remove("enable_elastic_disk") == Some(json!(false)) {
        notes.push(Note {
            path: "enable_elastic_disk".to_string(),
            message: "is false, which the provider 1.99.0 cannot send: the DR pool gets autoscaling local \
                      storage"
                .to_string(),
        });
    }
    if let Some(Value::Object(aws)) = spec.get_mut("aws_attributes") {
        remove_equal(aws, &aws_defaults());
    }
    drop_zeros(&mut spec, "", &mut notes);
    let mut config = Value::Object(spec);
    prune(&mut config);
    let mut n = Normalized::new(
        ResourceKind::InstancePools,
        p.instance_pool_id.clone(),
        p.instance_pool_name.clone(),
        0,
        config,
    );
    n.notes = notes;
    n
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
    Normalized::new(
        ResourceKind::ClusterPolicies,
        p.policy_id.clone(),
        p.name.clone(),
        p.extra
            .get("created_at_timestamp")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        config,
    )
}

// ---- Helpers ------------------------------------------------------------------------------------------------

/// Fields whose zero the provider sends or that drsync writes on purpose, by name, wherever they are.
const ZEROS_KEPT: &[&str] = &[
    "autotermination_minutes", // 0 = never; written so that the provider's 60 is not sent (§3.2)
    "idle_instance_autotermination_minutes", // Required on pools (§4.3): always written
    "local_ssd_count",         // sent even when 0 (§1.2)
];

/// Fields whose zero means something other than the API's default, so that leaving them out changes DR:
/// `first_on_demand` is one the service fills in when it is not sent (databricks-api.md §4 Clusters,
/// "Server-filled defaults").
const ZEROS_THAT_MATTER: &[(&str, &str)] = &[(
    "first_on_demand",
    "is 0 (no on-demand nodes), which the provider cannot send: DR clusters get the API's default",
)];

/// Drop `false` and `0` from the fields of objects (not from map values, list items or policy documents): the
/// provider never sends a zero unless it forces the field (§1.2, §13 "Zero values"), so DR never has them and
/// drift must not expect them. Zeros that change what runs are noted.
fn drop_zeros(obj: &mut Map<String, Value>, path: &str, notes: &mut Vec<Note>) {
    obj.retain(|key, v| {
        let zero = matches!(v, Value::Bool(false)) || v.as_f64() == Some(0.0);
        if !zero || ZEROS_KEPT.contains(&key.as_str()) {
            return true;
        }
        if let Some((_, why)) = ZEROS_THAT_MATTER.iter().find(|(k, _)| k == key) {
            notes.push(Note {
                path: format!("{path}{key}"),
                message: (*why).to_string(),
            });
        }
        false
    });
    for (key, v) in obj.iter_mut() {
        if MAP_FIELDS.contains(&key.as_str())
            || key == "definition"
            || key == "policy_family_definition_overrides"
        {
            continue;
        }
        match v {
            Value::Object(child) => drop_zeros(child, &format!("{path}{key}."), notes),
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::Object(child) = item {
                        drop_zeros(child, &format!("{path}{key}[{i}]."), notes);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Fields that are maps of the user's keys, not objects of the API's fields.
const MAP_FIELDS: &[&str] = &[
    "spark_conf",
    "spark_env_vars",
    "custom_tags",
    "tags",
    "base_parameters",
    "named_parameters",
    "job_parameters",
    "notebook_params",
    "python_named_params",
    "sql_params",
    "parameters",
    "configuration",
];

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
        let n = job(&j, &Options::default());
        assert_eq!((n.id.as_str(), n.name.as_str(), n.created), ("7", "etl", 5));
        assert_eq!(
            n.config,
            json!({
                "name": "etl", "queue": {"enabled": true}, "run_as": {"user_name": "a@b"},
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
            "max_concurrent_runs": 3, "queue": {"enabled": false}, "new_api_field": {"x": 1},
            "tasks": [{"task_key": "a"}]}}));
        let n = job(&j, &Options::default());
        assert_eq!(n.name, "Untitled");
        assert_eq!(
            n.config,
            json!({"max_concurrent_runs": 3, "new_api_field": {"x": 1}, "tasks": [{"task_key": "a"}]})
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

    fn cluster_from(v: Value) -> Cluster {
        serde_json::from_value(v).unwrap()
    }

    /// Issue 13, defect 1: compute from a pool carries no node types, elastic disk or cloud attributes but the
    /// instance profile, and no driver pool equal to the worker pool (the provider's `ModifyRequestOnInstancePool`).
    #[test]
    fn pool_backed_compute_is_stripped_as_the_provider_strips_it() {
        let spec = json!({
            "spark_version": "15.4.x-scala2.12", "instance_pool_id": "p1", "driver_instance_pool_id": "p1",
            "node_type_id": "i3.xlarge", "driver_node_type_id": "i3.2xlarge", "enable_elastic_disk": true,
            "num_workers": 2,
            "aws_attributes": {"zone_id": "us-east-1a", "availability": "SPOT", "instance_profile_arn": "arn:x"}
        });
        let expected = json!({
            "spark_version": "15.4.x-scala2.12", "instance_pool_id": "p1", "num_workers": 2,
            "aws_attributes": {"instance_profile_arn": "arn:x"}
        });
        let j = job_from(json!({"job_id": 1, "settings": {
            "tasks": [{"task_key": "a", "new_cluster": spec.clone()}],
            "job_clusters": [{"job_cluster_key": "k", "new_cluster": spec.clone()}]}}));
        let n = job(&j, &Options::default());
        assert_eq!(n.config["tasks"][0]["new_cluster"], expected);
        assert_eq!(n.config["job_clusters"][0]["new_cluster"], expected);
        let mut c = spec.clone();
        c["cluster_id"] = json!("c1");
        c["cluster_name"] = json!("pooled");
        c["gcp_attributes"] = json!({"google_service_account": "sa@x", "zone_id": "HA"});
        c["azure_attributes"] = json!({"availability": "SPOT_AZURE"});
        let n = cluster(&cluster_from(c), None, &Options::default());
        assert_eq!(
            n.config["aws_attributes"],
            json!({"instance_profile_arn": "arn:x"})
        );
        assert_eq!(
            n.config["gcp_attributes"],
            json!({"google_service_account": "sa@x"})
        );
        for gone in [
            "node_type_id",
            "driver_node_type_id",
            "enable_elastic_disk",
            "driver_instance_pool_id",
            "azure_attributes",
        ] {
            assert!(n.config.get(gone).is_none(), "{gone}: {}", n.config);
        }
        // A different driver pool stays; without a pool, a driver pool is cleared as the provider clears it.
        let n = cluster(
            &cluster_from(
                json!({"cluster_id": "c2", "instance_pool_id": "p1", "driver_instance_pool_id": "p2"}),
            ),
            None,
            &Options::default(),
        );
        assert_eq!(n.config["driver_instance_pool_id"], json!("p2"));
        let n = cluster(
            &cluster_from(
                json!({"cluster_id": "c3", "node_type_id": "i3.xlarge", "driver_instance_pool_id": "p2"}),
            ),
            None,
            &Options::default(),
        );
        assert!(n.config.get("driver_instance_pool_id").is_none());
    }

    /// Issue 13, defect 2: the provider sends `queue.enabled = false` for a job without a queue block, so an
    /// enabled queue must be written, and absent and disabled are the same.
    #[test]
    fn queueing_is_kept_and_disabled_equals_absent() {
        let with = |queue: Value| {
            let j = job_from(
                json!({"job_id": 1, "settings": {"queue": queue, "tasks": [{"task_key": "a"}]}}),
            );
            job(&j, &Options::default()).config.get("queue").cloned()
        };
        assert_eq!(
            with(json!({"enabled": true})),
            Some(json!({"enabled": true}))
        );
        assert_eq!(with(json!({"enabled": false})), None);
        assert_eq!(with(Value::Null), None);
    }

    /// Issue 13, defect 3: `settings.run_as` is write-only; the identity is `run_as_user_name`, a lowercase UUID
    /// being a service principal's application id.
    #[test]
    fn run_as_comes_from_run_as_user_name() {
        let run_as = |job_body: Value| {
            job(&job_from(job_body), &Options::default())
                .config
                .get("run_as")
                .cloned()
        };
        let tasks = json!([{"task_key": "a"}]);
        assert_eq!(
            run_as(json!({"job_id": 1, "run_as_user_name": "alice@example.com",
                          "settings": {"tasks": tasks, "run_as": {"user_name": "stale@example.com"}}})),
            Some(json!({"user_name": "alice@example.com"}))
        );
        assert_eq!(
            run_as(
                json!({"job_id": 1, "run_as_user_name": "9f0621ee-b52b-11ea-b3de-0242ac130004",
                          "settings": {"tasks": tasks}})
            ),
            Some(json!({"service_principal_name": "9f0621ee-b52b-11ea-b3de-0242ac130004"}))
        );
        // Not lowercase: the provider's pattern does not match, so it is a user name.
        assert_eq!(
            run_as(
                json!({"job_id": 1, "run_as_user_name": "9F0621EE-B52B-11EA-B3DE-0242AC130004",
                          "settings": {"tasks": tasks}})
            ),
            Some(json!({"user_name": "9F0621EE-B52B-11EA-B3DE-0242AC130004"}))
        );
        assert_eq!(
            run_as(
                json!({"job_id": 1, "settings": {"tasks": tasks, "run_as": {"user_name": "x"}}})
            ),
            None
        );
    }

    /// Issue 13, defect 4: the provider sorts `depends_on` by task key and webhook lists by id.
    #[test]
    fn depends_on_and_webhooks_are_sorted_as_the_provider_sorts_them() {
        let hooks = json!({"on_failure": [{"id": "b"}, {"id": "a"}], "on_start": [{"id": "z"}, {"id": "B"}]});
        let j = job_from(json!({"job_id": 1, "settings": {
            "webhook_notifications": hooks,
            "tasks": [{"task_key": "c", "depends_on": [{"task_key": "b"}, {"task_key": "a"}],
                       "webhook_notifications": hooks,
                       "for_each_task": {"inputs": "[1]", "task": {"task_key": "i",
                                          "depends_on": [{"task_key": "y"}, {"task_key": "x"}]}}},
                      {"task_key": "a"}, {"task_key": "b"}]}}));
        let n = job(&j, &Options::default());
        let sorted = json!({"on_failure": [{"id": "a"}, {"id": "b"}], "on_start": [{"id": "B"}, {"id": "z"}]});
        assert_eq!(n.config["webhook_notifications"], sorted);
        let c = &n.config["tasks"][2];
        assert_eq!(c["task_key"], "c");
        assert_eq!(
            c["depends_on"],
            json!([{"task_key": "a"}, {"task_key": "b"}])
        );
        assert_eq!(c["webhook_notifications"], sorted);
        // The task inside for_each_task is left in its order, as the provider leaves it.
        assert_eq!(
            c["for_each_task"]["task"]["depends_on"],
            json!([{"task_key": "y"}, {"task_key": "x"}])
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

    /// Issue 13, defect 9: bundle-deployed jobs are left out unless asked for, and then lose their markers.
    #[test]
    fn bundle_jobs_are_excluded_or_stripped() {
        let j = job_from(
            json!({"job_id": 1, "settings": {"name": "b", "tasks": [{"task_key": "a"}],
            "edit_mode": "UI_LOCKED", "deployment": {"kind": "BUNDLE", "metadata_file_path": "/x/metadata.json"}}}),
        );
        let n = job(&j, &Options::default());
        assert!(
            n.excluded
                .as_deref()
                .is_some_and(|r| r.contains("Asset Bundle")),
            "{:?}",
            n.excluded
        );
        let n = job(
            &j,
            &Options {
                bundle_jobs: true,
                ..Options::default()
            },
        );
        assert_eq!(n.excluded, None);
        assert_eq!(n.config, json!({"name": "b", "tasks": [{"task_key": "a"}]}));
        // An ordinary job keeps its edit mode.
        let j = job_from(
            json!({"job_id": 2, "settings": {"tasks": [{"task_key": "a"}], "edit_mode": "UI_LOCKED"}}),
        );
        assert_eq!(
            job(&j, &Options::default()).config["edit_mode"],
            "UI_LOCKED"
        );
    }

    /// Issue 13, defect 12: what the provider cannot create or send is left out with a reason.
    #[test]
    fn what_the_provider_cannot_express_is_excluded_or_noted() {
        let model = job_from(
            json!({"job_id": 1, "settings": {"tasks": [{"task_key": "a"}],
            "trigger": {"pause_status": "UNPAUSED", "model": {"condition": "MODEL_CREATED"}}}}),
        );
        assert!(job(&model, &Options::default())
            .excluded
            .unwrap()
            .contains("trigger.model"));
        let periodic = job_from(
            json!({"job_id": 1, "settings": {"tasks": [{"task_key": "a"}],
            "trigger": {"periodic": {"interval": 1, "unit": "HOURS"}, "model": {}}}}),
        );
        assert_eq!(job(&periodic, &Options::default()).excluded, None);
        let empty = job_from(json!({"job_id": 1, "settings": {"name": "nothing"}}));
        assert!(job(&empty, &Options::default())
            .excluded
            .unwrap()
            .contains("no tasks"));
        let zero = job_from(
            json!({"job_id": 1, "settings": {"tasks": [{"task_key": "a"}], "max_concurrent_runs": 0}}),
        );
        let n = job(&zero, &Options::default());
        assert!(n.config.get("max_concurrent_runs").is_none());
        assert_eq!(n.notes.len(), 1);
        assert_eq!(n.notes[0].path, "max_concurrent_runs");
        let pool: InstancePool =
            serde_json::from_value(json!({"instance_pool_id": "p", "instance_pool_name": "p",
            "enable_elastic_disk": false}))
            .unwrap();
        let n = instance_pool(&pool);
        assert!(n.config.get("enable_elastic_disk").is_none());
        assert_eq!(n.notes[0].path, "enable_elastic_disk");
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

    /// Issue 13, defect 12: explicit zeros never reach DR (the provider drops them), so they are not
    /// configuration; the ones that change what runs are noted.
    #[test]
    fn zeros_the_provider_never_sends_are_dropped() {
        let j = job_from(json!({"job_id": 1, "settings": {
            "notification_settings": {"no_alert_for_skipped_runs": false, "no_alert_for_canceled_runs": true},
            "tasks": [{"task_key": "a", "pipeline_task": {"pipeline_id": "p", "full_refresh": false},
                       "notebook_task": {"notebook_path": "/x", "base_parameters": {"n": "0"}},
                       "new_cluster": {"spark_version": "15.4.x-scala2.12", "num_workers": 2, "is_single_node": false,
                                       "aws_attributes": {"first_on_demand": 0, "availability": "SPOT"}}}]}}));
        let n = job(&j, &Options::default());
        assert_eq!(
            n.config["tasks"][0],
            json!({"task_key": "a", "pipeline_task": {"pipeline_id": "p"},
                   "notebook_task": {"notebook_path": "/x", "base_parameters": {"n": "0"}},
                   "new_cluster": {"spark_version": "15.4.x-scala2.12", "num_workers": 2,
                                   "aws_attributes": {"availability": "SPOT"}}})
        );
        assert_eq!(
            n.config["notification_settings"],
            json!({"no_alert_for_canceled_runs": true})
        );
        assert_eq!(n.notes.len(), 1, "{:?}", n.notes);
        assert_eq!(
            n.notes[0].path,
            "tasks[0].new_cluster.aws_attributes.first_on_demand"
        );
        let pool: InstancePool =
            serde_json::from_value(json!({"instance_pool_id": "p", "instance_pool_name": "p",
            "min_idle_instances": 0, "idle_instance_autotermination_minutes": 0}))
            .unwrap();
        assert_eq!(
            instance_pool(&pool).config,
            json!({"instance_pool_name": "p", "idle_instance_autotermination_minutes": 0})
        );
    }
}
