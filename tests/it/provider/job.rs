//! `databricks_job` (§2).

use super::cluster;
use super::diff::Rule;
use super::value::{default, drop_zeros, filter_to_schema, is_zero, schema, sort_by_key, Path};
use super::Problem;
use drsync::api::WorkspaceClient;
use serde_json::{json, Map, Value};

pub const TYPE: &str = "databricks_job";

/// A cluster spec, API-shaped.
type Spec = Map<String, Value>;

/// The five webhook lists (§2.2).
const WEBHOOK_LISTS: [&str; 5] = [
    "on_start",
    "on_failure",
    "on_success",
    "on_duration_warning_threshold_exceeded",
    "on_streaming_backlog_exceeded",
];

fn tasks(j: &Map<String, Value>) -> impl Iterator<Item = (usize, &Map<String, Value>)> {
    j.get("tasks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, t)| t.as_object().map(|t| (i, t)))
}

// ---------------------------------------------------------------------------------------------------------
// Validation (§2.3)

pub fn validate(j: &Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    let set = |k: &str| j.get(k).is_some_and(|v| !v.is_null());
    // §13 "Do not write": `always_running` and `control_run_state` start runs in DR, `format` and `url` are
    // output; `id` is never written.
    for k in ["always_running", "control_run_state", "format", "url", "id"] {
        if set(k) {
            out.push(Problem::never(format!("{k} must not be written")));
        }
    }
    // ConflictsWith (jobs/resource_job.go:586-591,605-624).
    let kinds: Vec<&str> = ["schedule", "continuous", "trigger"]
        .into_iter()
        .filter(|k| set(k))
        .collect();
    if kinds.len() > 1 {
        out.push(Problem::conflicts(format!(
            "{} are mutually exclusive",
            kinds.join(", ")
        )));
    }
    if set("always_running") {
        for other in ["control_run_state", "continuous"] {
            if set(other) {
                out.push(Problem::conflicts(format!(
                    "always_running conflicts with {other}"
                )));
            }
        }
    }
    let max_runs = j.get("max_concurrent_runs").and_then(Value::as_f64);
    // CustomizeDiff (jobs/resource_job.go:1084-1101).
    if j.get("always_running") == Some(&Value::Bool(true)) && max_runs.is_some_and(|n| n > 1.0) {
        out.push(Problem::value(
            "always_running cannot be used with max_concurrent_runs > 1".to_string(),
        ));
    }
    if j.get("control_run_state") == Some(&Value::Bool(true))
        && (!set("continuous") || max_runs.is_some_and(|n| n > 1.0))
    {
        out.push(Problem::value(
            "control_run_state needs continuous and max_concurrent_runs <= 1".to_string(),
        ));
    }
    // Value checks (jobs/resource_job.go:567-570,598-602,646,927).
    if max_runs.is_some_and(|n| n < 0.0) {
        out.push(Problem::value(
            "max_concurrent_runs must be at least 0".to_string(),
        ));
    }
    for k in ["schedule", "trigger", "continuous"] {
        if let Some(p) = j
            .get(k)
            .and_then(|b| b.get("pause_status"))
            .and_then(Value::as_str)
        {
            if !["PAUSED", "UNPAUSED"].contains(&p) {
                out.push(Problem::value(format!(
                    "{k}.pause_status must be PAUSED or UNPAUSED, not {p:?}"
                )));
            }
        }
    }
    if let Some(trigger) = j.get("trigger").and_then(Value::as_object) {
        // ExactlyOneOf (jobs/resource_job.go:593-596): `model` is not one of them (§2.3).
        let present: Vec<&str> = ["file_arrival", "table_update", "periodic"]
            .into_iter()
            .filter(|k| trigger.get(*k).is_some_and(|v| !v.is_null()))
            .collect();
        if present.len() != 1 {
            out.push(Problem::exactly_one(format!(
                "trigger needs exactly one of file_arrival, table_update, periodic; has {present:?}"
            )));
        }
        if let Some(p) = trigger.get("periodic") {
            if p.get("interval")
                .and_then(Value::as_f64)
                .is_none_or(|n| n < 1.0)
            {
                out.push(Problem::value(
                    "trigger.periodic.interval must be at least 1".to_string(),
                ));
            }
            let unit = p.get("unit").and_then(Value::as_str).unwrap_or("");
            if !["DAYS", "HOURS", "WEEKS"].contains(&unit) {
                out.push(Problem::value(format!(
                    "trigger.periodic.unit must be DAYS, HOURS or WEEKS, not {unit:?}"
                )));
            }
        }
        if let Some(f) = trigger.get("file_arrival") {
            if is_zero(f.get("url")) {
                out.push(Problem::value(
                    "trigger.file_arrival.url must not be empty".to_string(),
                ));
            }
        }
        if let Some(t) = trigger.get("table_update") {
            if t.get("table_names")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            {
                out.push(Problem::required(
                    "trigger.table_update.table_names (at least one)".to_string(),
                ));
            }
            if let Some(c) = t.get("condition").and_then(Value::as_str) {
                if !["ANY_UPDATED", "ALL_UPDATED"].contains(&c) {
                    out.push(Problem::value(format!(
                        "trigger.table_update.condition must be ANY_UPDATED or ALL_UPDATED, not {c:?}"
                    )));
                }
            }
        }
    }
    if let Some(run_as) = j.get("run_as").and_then(Value::as_object) {
        // ExactlyOneOf (jobs/resource_job.go:629-631).
        let n = ["user_name", "service_principal_name"]
            .iter()
            .filter(|k| !is_zero(run_as.get(**k)))
            .count();
        if n != 1 {
            out.push(Problem::exactly_one(
                "run_as needs exactly one of user_name, service_principal_name".to_string(),
            ));
        }
    }
    if let Some(git) = j.get("git_source").and_then(Value::as_object) {
        let refs: Vec<&str> = [
            ("git_tag", "tag"),
            ("git_branch", "branch"),
            ("git_commit", "commit"),
        ]
        .into_iter()
        .filter(|(api, _)| git.get(*api).is_some_and(|v| !v.is_null()))
        .map(|(_, hcl)| hcl)
        .collect();
        if refs.len() > 1 {
            out.push(Problem::conflicts(format!(
                "git_source.{} are mutually exclusive",
                refs.join(", ")
            )));
        }
        let url = git.get("git_url").and_then(Value::as_str).unwrap_or("");
        if !url.starts_with("https://") {
            out.push(Problem::value(format!(
                "git_source.url must be an https URL, not {url:?}"
            )));
        }
    }
    // Required (jobs/resource_job.go:646,657-659).
    if let Some(q) = j.get("queue") {
        if q.get("enabled").is_none_or(Value::is_null) {
            out.push(Problem::required("queue.enabled".to_string()));
        }
    }
    if let Some(h) = j.get("health") {
        if h.get("rules").is_none() {
            out.push(Problem::required("health.rules".to_string()));
        }
    }
    for (i, t) in tasks(j) {
        let at = format!("task[{i}]");
        check_task(t, &at, &mut out);
        if let Some(inner) = t
            .get("for_each_task")
            .and_then(|f| f.get("task"))
            .and_then(Value::as_object)
        {
            check_task(inner, &format!("{at}.for_each_task.task"), &mut out);
        }
    }
    for (i, c) in j
        .get("job_clusters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(nc) = c.get("new_cluster").and_then(Value::as_object) {
            // §1.4: conflicts are not enforced inside repeated blocks.
            cluster::check_spec(
                nc,
                &format!("job_cluster[{i}].new_cluster."),
                false,
                &mut out,
            );
        }
    }
    if let Some(nc) = j.get("new_cluster").and_then(Value::as_object) {
        // §1.4: enforced on a job's legacy top-level `new_cluster`.
        cluster::check_spec(nc, "new_cluster.", true, &mut out);
    }
    out
}

fn check_task(t: &Map<String, Value>, at: &str, out: &mut Vec<Problem>) {
    // `task_key` has no `omitempty` (§1.1), Required (§2.3).
    if is_zero(t.get("task_key")) {
        out.push(Problem::required(format!("{at}.task_key")));
    }
    for (k, d) in t
        .get("depends_on")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if is_zero(d.get("task_key")) {
            out.push(Problem::required(format!("{at}.depends_on[{k}].task_key")));
        }
    }
    if let Some(h) = t.get("health") {
        if h.get("rules").is_none() {
            out.push(Problem::required(format!("{at}.health.rules")));
        }
    }
    if let Some(nc) = t.get("new_cluster").and_then(Value::as_object) {
        cluster::check_spec(nc, &format!("{at}.new_cluster."), false, out);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Requests (§2.2)

/// Whether the provider takes the multi-task (Go SDK, Jobs 2.2) path: `format = MULTI_TASK` or a `task` block
/// (§2.1, jobs/jobs_api_go_sdk.go:60-62).
pub fn multi_task(j: &Map<String, Value>) -> bool {
    j.get("format").and_then(Value::as_str) == Some("MULTI_TASK")
        || j.get("tasks")
            .and_then(Value::as_array)
            .is_some_and(|t| !t.is_empty())
}

/// Schema defaults that end up in the request and the plan (§2.2, jobs/resource_job.go:534-539,570; the
/// inherited cluster defaults inside every `new_cluster`, §2.3).
pub fn defaults(j: &mut Map<String, Value>) {
    default(j, "name", json!("Untitled"));
    default(j, "max_concurrent_runs", json!(1));
    for k in ["schedule", "trigger", "continuous"] {
        if let Some(Value::Object(b)) = j.get_mut(k) {
            default(b, "pause_status", json!("UNPAUSED"));
        }
    }
    let dbt = |t: &mut Value| {
        if let Some(Value::Object(d)) = t.get_mut("dbt_task") {
            default(d, "schema", json!("default"));
        }
    };
    for_each_cluster(j, &mut |c, _| cluster::spec_defaults(c));
    if let Some(Value::Array(ts)) = j.get_mut("tasks") {
        for t in ts {
            dbt(t);
            if let Some(inner) = t.get_mut("for_each_task").and_then(|f| f.get_mut("task")) {
                dbt(inner);
            }
        }
    }
}

/// Every cluster spec of a job with its path and whether create rewrites it: `task[*].new_cluster` and
/// `job_cluster[*].new_cluster` yes; the cluster of a `for_each_task`'s task and the legacy top-level
/// `new_cluster` not on create (§2.2, jobs/jobs_api_go_sdk.go:199-261).
fn for_each_cluster(j: &mut Map<String, Value>, f: &mut dyn FnMut(&mut Spec, (Path, bool))) {
    let root = Path::default();
    if let Some(Value::Object(c)) = j.get_mut("new_cluster") {
        f(c, (root.key("new_cluster"), false));
    }
    if let Some(Value::Array(ts)) = j.get_mut("tasks") {
        for (i, t) in ts.iter_mut().enumerate() {
            let at = root.key("tasks").index(i);
            if let Some(Value::Object(c)) = t.get_mut("new_cluster") {
                f(c, (at.key("new_cluster"), true));
            }
            if let Some(Value::Object(c)) = t
                .get_mut("for_each_task")
                .and_then(|e| e.get_mut("task"))
                .and_then(|t| t.get_mut("new_cluster"))
            {
                f(
                    c,
                    (
                        at.key("for_each_task").key("task").key("new_cluster"),
                        false,
                    ),
                );
            }
        }
    }
    if let Some(Value::Array(cs)) = j.get_mut("job_clusters") {
        for (i, jc) in cs.iter_mut().enumerate() {
            if let Some(Value::Object(c)) = jc.get_mut("new_cluster") {
                f(
                    c,
                    (root.key("job_clusters").index(i).key("new_cluster"), true),
                );
            }
        }
    }
}

/// Git provider inference on create (§2.2, jobs/jobs_api_go_sdk.go:266-276).
fn git_provider(j: &mut Map<String, Value>) -> Result<(), String> {
    let Some(Value::Object(git)) = j.get_mut("git_source") else {
        return Ok(());
    };
    if ["git_branch", "git_tag", "git_commit"]
        .iter()
        .all(|k| is_zero(git.get(*k)))
    {
        return Err("git_source needs one of branch, tag or commit".to_string());
    }
    if is_zero(git.get("git_provider")) {
        let url = git.get("git_url").and_then(Value::as_str).unwrap_or("");
        let host = url
            .strip_prefix("https://")
            .and_then(|r| r.split('/').next())
            .unwrap_or("");
        let guessed = match host {
            "github.com" => "gitHub",
            "gitlab.com" => "gitLab",
            "dev.azure.com" => "azureDevOpsServices",
            "bitbucket.org" => "bitbucketCloud",
            _ => {
                return Err(format!(
                    "git_source.provider cannot be guessed from {url:?}"
                ))
            }
        };
        git.insert("git_provider".into(), json!(guessed));
    }
    Ok(())
}

/// Sort the lists the provider sorts on create and on read (§2.2, §2.4): tasks and each top-level task's
/// `depends_on` by `task_key`, the webhook lists by `id` at job level and on every top-level task; a
/// `for_each_task`'s task is not touched.
pub fn sort(j: &mut Map<String, Value>) {
    fn webhooks(o: &mut Value) {
        if let Some(Value::Object(w)) = o.get_mut("webhook_notifications") {
            for k in WEBHOOK_LISTS {
                if let Some(Value::Array(items)) = w.get_mut(k) {
                    sort_by_key(items, "id");
                }
            }
        }
    }
    let mut whole = Value::Object(std::mem::take(j));
    webhooks(&mut whole);
    if let Some(Value::Array(ts)) = whole.get_mut("tasks") {
        sort_by_key(ts, "task_key");
        for t in ts.iter_mut() {
            if let Some(Value::Array(d)) = t.get_mut("depends_on") {
                sort_by_key(d, "task_key");
            }
            webhooks(t);
        }
    }
    if let Value::Object(m) = whole {
        *j = m;
    }
}

/// What creating the job sends.
#[derive(Debug, Clone)]
pub struct Create {
    pub path: &'static str,
    pub body: Map<String, Value>,
}

/// The create request for an API-shaped job body (references resolved).
pub fn create(mut j: Map<String, Value>) -> Result<Create, String> {
    // Schema-only flags, never sent (§2.2, jobs/resource_job.go:572-587).
    j.remove("always_running");
    j.remove("control_run_state");
    let multi = multi_task(&j);
    defaults(&mut j);
    let mut keep: Vec<Path> = Vec::new();
    if multi {
        // §2.2 (jobs/jobs_api_go_sdk.go:277-286): no `queue` block means queueing off; `queue.enabled` has no
        // `omitempty` in the SDK, so false is sent (§1.2).
        default(&mut j, "queue", json!({"enabled": false}));
        keep.push(Path::default().key("queue").key("enabled"));
    }
    for_each_cluster(&mut j, &mut |c, (at, rewritten)| {
        if rewritten {
            cluster::forced(c, &at, &mut keep);
        }
    });
    drop_zeros(TYPE, &mut j, &Path::default(), &|p| keep.contains(p));
    for_each_cluster(&mut j, &mut |c, (_, rewritten)| {
        if rewritten {
            // §2.2 step 1: the allow-list; the field itself is never sent.
            let allow = c.remove("__apply_policy_default_values_allow_list");
            if c.get("apply_policy_default_values") == Some(&Value::Bool(true)) {
                if let Some(Value::Array(allow)) = allow {
                    let mut names: Vec<String> = allow
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect();
                    names.extend(["apply_policy_default_values".into(), "policy_id".into()]);
                    c.retain(|k, _| names.contains(k));
                }
            }
            // §2.2 step 2.
            cluster::strip_for_pool(c);
        } else {
            c.remove("__apply_policy_default_values_allow_list");
        }
    });
    if multi {
        git_provider(&mut j)?;
        sort(&mut j);
        Ok(Create {
            path: "/api/2.2/jobs/create",
            body: j,
        })
    } else {
        // §2.1: without `task` blocks the provider's own client, unversioned: Jobs 2.0.
        Ok(Create {
            path: "/api/2.0/jobs/create",
            body: j,
        })
    }
}

// ---------------------------------------------------------------------------------------------------------
// Plan rules (§2.3)

fn run_if_all_success(hcl: Option<&Value>, state: Option<&Value>) -> bool {
    is_zero(hcl) && state.and_then(Value::as_str) == Some("ALL_SUCCESS")
}

pub fn rule(p: &[&str]) -> Rule {
    // Cluster rules inherited by every `new_cluster` (§1.1, §2.3).
    for prefix in [
        &["new_cluster"][..],
        &["tasks", "new_cluster"][..],
        &["job_clusters", "new_cluster"][..],
        &["tasks", "for_each_task", "task", "new_cluster"][..],
    ] {
        if p.len() > prefix.len() && p.starts_with(prefix) {
            return cluster::spec_rule(&p[prefix.len()..]);
        }
    }
    match p {
        // Computed (jobs/resource_job.go:527-531,572-574).
        ["run_as"]
        | ["format"]
        | ["url"]
        | ["tasks", "retry_on_timeout"]
        | ["tasks", "for_each_task", "task", "retry_on_timeout"]
        | ["tasks", "spark_jar_task", "run_as_repl"] => Rule::computed(),
        // Never read back (§2.4).
        ["always_running"] | ["control_run_state"] => Rule {
            ignore: true,
            ..Rule::default()
        },
        // The webhook lists: suppress turned off (jobs/resource_job.go:634-636,933-938).
        ["webhook_notifications", list] | ["tasks", "webhook_notifications", list]
            if WEBHOOK_LISTS.contains(list) =>
        {
            Rule::off()
        }
        // Generic suppress (jobs/resource_job.go:515-524,540).
        ["email_notifications"]
        | ["webhook_notifications"]
        | ["tasks", "email_notifications"]
        | ["tasks", "webhook_notifications"]
        | ["tasks", "for_each_task", "task", "email_notifications"]
        | ["queue"]
        | ["tasks", "notebook_task", "source"]
        | ["tasks", "spark_python_task", "source"]
        | ["tasks", "sql_task", "file", "source"]
        | ["tasks", "dbt_task", "source"] => Rule::generic(),
        // jobs/resource_job.go:639-640.
        ["tasks", "run_if"] | ["tasks", "for_each_task", "task", "run_if"] => {
            Rule::custom(run_if_all_success)
        }
        _ => Rule::default(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Read (§2.4)

/// Whether `s` is a lowercase UUID (common/util.go:22-29, §2.4).
fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
}

/// The state of a job from a `jobs/get` body: `settings` only, schema fields only, sorted, `run_as` rebuilt
/// from `run_as_user_name` (jobs/jobs_api_go_sdk.go:319-338).
pub fn state_of(job: &Value) -> Map<String, Value> {
    let settings = job["settings"].as_object().cloned().unwrap_or_default();
    let mut state = filter_to_schema(&settings, schema(TYPE), "");
    sort(&mut state);
    match job["run_as_user_name"].as_str() {
        Some(who) if is_uuid(who) => {
            state.insert("run_as".into(), json!({"service_principal_name": who}));
        }
        Some(who) if !who.is_empty() => {
            state.insert("run_as".into(), json!({"user_name": who}));
        }
        _ => {}
    }
    state
}

/// `jobs/get` through the SDK (2.2), following `next_page_token` and concatenating the paged arrays
/// (§2.1, sdk ext_api.go:149-170).
pub async fn get(client: &WorkspaceClient, id: &str) -> Result<Value, drsync::api::Error> {
    let mut job = client
        .get("/api/2.2/jobs/get", &[("job_id", id.to_string())])
        .await?;
    while let Some(token) = job["next_page_token"].as_str().map(str::to_string) {
        if token.is_empty() {
            break;
        }
        let page = client
            .get(
                "/api/2.2/jobs/get",
                &[("job_id", id.to_string()), ("page_token", token)],
            )
            .await?;
        for k in ["tasks", "job_clusters", "parameters", "environments"] {
            if let Some(more) = page["settings"][k].as_array() {
                if let Some(Value::Array(have)) = job["settings"].get_mut(k) {
                    have.extend(more.iter().cloned());
                } else if !more.is_empty() {
                    job["settings"][k] = Value::Array(more.clone());
                }
            }
        }
        job["next_page_token"] = page["next_page_token"].clone();
    }
    Ok(job)
}

pub async fn read(
    client: &WorkspaceClient,
    id: &str,
) -> Result<Map<String, Value>, drsync::api::Error> {
    Ok(state_of(&get(client, id).await?))
}

/// What the legacy 2.0 structs cannot hold (§2.1), lost by an import at 1.99.0.
pub fn legacy_losses(state: &mut Map<String, Value>) {
    for k in ["budget_policy_id", "performance_target", "usage_policy_id"] {
        state.remove(k);
    }
    if let Some(c) = state.get_mut("continuous").and_then(Value::as_object_mut) {
        c.remove("task_retry_mode");
    }
    for_each_cluster(state, &mut |c, _| {
        for k in [
            "kind",
            "is_single_node",
            "use_ml_runtime",
            "remote_disk_throughput",
            "total_initial_remote_disk_size",
        ] {
            c.remove(k);
        }
    });
    if let Some(Value::Array(ts)) = state.get_mut("tasks") {
        for t in ts.iter_mut().filter_map(Value::as_object_mut) {
            for k in [
                "disabled",
                "clean_rooms_notebook_task",
                "dbt_cloud_task",
                "gen_ai_compute_task",
            ] {
                t.remove(k);
            }
        }
    }
}
