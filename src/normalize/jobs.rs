//! A job's canonical settings (`job`, `into_job`): output-only fields and the service's defaults dropped,
//! `run_as` rebuilt from `run_as_user_name`, tasks, `depends_on` and webhooks sorted as the provider sorts them,
//! bundle jobs and what the provider cannot create excluded with a reason; the cluster specs a job carries are
//! normalised by `clusters`. Rules cite `§n` of provider-behaviour.md (see the parent module). No I/O, no HCL.

use super::clusters::cluster_spec;
use super::{drop_zeros, prune, remove_equal, remove_keys, Normalized, Note, Options};
use crate::model::{Job, ResourceKind};
use serde_json::{json, Map, Value};

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
}
