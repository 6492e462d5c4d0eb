//! `databricks_pipeline` (§8).

use super::diff::Rule;
use super::value::{default, drop_zeros, filter_to_schema, is_zero, schema, Path};
use super::Problem;
use drsync::api::WorkspaceClient;
use serde_json::{json, Map, Value};

pub const TYPE: &str = "databricks_pipeline";

pub fn validate(p: &Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    let set = |k: &str| !is_zero(p.get(k));
    // §8.3 ConflictsWith.
    for (a, b) in [("storage", "catalog"), ("target", "schema")] {
        if set(a) && set(b) {
            out.push(Problem::conflicts(format!("{a} conflicts with {b}")));
        }
    }
    // §8.3 validation, case-insensitive.
    let one_of = |k: &str, allowed: &[&str], out: &mut Vec<Problem>| {
        if let Some(v) = p.get(k).and_then(Value::as_str) {
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) {
                out.push(Problem::value(format!(
                    "{k} must be one of {allowed:?}, not {v:?}"
                )));
            }
        }
    };
    one_of("channel", &["current", "preview"], &mut out);
    one_of("edition", &["pro", "core", "advanced"], &mut out);
    // §8.3 Required inside `library`, MinItems 1 of the notification lists, MaxItems 10 in `cluster`.
    for lib in p
        .get("libraries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for (block, key) in [("glob", "include"), ("notebook", "path"), ("file", "path")] {
            if let Some(b) = lib.get(block) {
                if b.get(key).is_none_or(Value::is_null) {
                    out.push(Problem::required(format!("library.{block}.{key}")));
                }
            }
        }
    }
    for n in p
        .get("notifications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for k in ["email_recipients", "alerts"] {
            if n.get(k)
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                out.push(Problem::value(format!(
                    "notification.{k} needs at least one item"
                )));
            }
        }
    }
    for c in p
        .get("clusters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for k in ["ssh_public_keys", "init_scripts"] {
            if c.get(k)
                .and_then(Value::as_array)
                .is_some_and(|l| l.len() > 10)
            {
                out.push(Problem::value(format!(
                    "cluster.{k} takes at most 10 items"
                )));
            }
        }
    }
    // §13: never write `id` or read-only attributes (§8.3 Computed).
    for k in [
        "id",
        "state",
        "latest_updates",
        "last_modified",
        "health",
        "cause",
        "cluster_id",
        "creator_user_name",
        "url",
        "run_as_user_name",
    ] {
        if p.contains_key(k) {
            out.push(Problem::never(format!("{k} is read-only")));
        }
    }
    out
}

/// Schema defaults (§8.2, pipelines/resource_pipeline.go:251-252).
pub fn defaults(p: &mut Map<String, Value>) {
    default(p, "edition", json!("ADVANCED"));
    default(p, "channel", json!("CURRENT"));
}

fn single_node(c: &Value) -> bool {
    c.get("spark_conf")
        .and_then(|s| s.get("spark.databricks.cluster.profile"))
        .and_then(Value::as_str)
        == Some("singleNode")
}

/// The `pipelines` create body (§8.2): defaults, zeros dropped but `num_workers` of single-node clusters
/// (pipelines/resource_pipeline.go:24-36); `run_as` and `allow_duplicate_names` are sent.
pub fn create(mut p: Map<String, Value>) -> Map<String, Value> {
    defaults(&mut p);
    let singles: Vec<Path> = p
        .get("clusters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, c)| single_node(c))
        .map(|(i, _)| Path::default().key("clusters").index(i).key("num_workers"))
        .collect();
    drop_zeros(TYPE, &mut p, &Path::default(), &|path| {
        singles.contains(path)
    });
    p
}

/// §8.3 `edition`, `catalog`, `cluster.autoscale.mode`: case-insensitive equality.
fn same_ignoring_case(hcl: Option<&Value>, state: Option<&Value>) -> bool {
    match (hcl.and_then(Value::as_str), state.and_then(Value::as_str)) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// §8.3 `storage` (pipelines/resource_pipeline.go:186-195): hidden when the HCL has none and the state is
/// `dbfs:/pipelines/<uuid>`.
fn default_storage(hcl: Option<&Value>, state: Option<&Value>) -> bool {
    is_zero(hcl)
        && state
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("dbfs:/pipelines/"))
            .is_some_and(|id| {
                id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            })
}

pub fn rule(p: &[&str]) -> Rule {
    match p {
        // §8.3 Computed.
        ["id"]
        | ["state"]
        | ["latest_updates"]
        | ["last_modified"]
        | ["health"]
        | ["cause"]
        | ["cluster_id"]
        | ["creator_user_name"]
        | ["url"]
        | ["run_as_user_name"]
        | ["clusters", "node_type_id"]
        | ["clusters", "driver_node_type_id"]
        | ["clusters", "enable_local_disk_encryption"]
        | ["event_log", "catalog"]
        | ["event_log", "schema"] => Rule::computed(),
        ["edition"] | ["catalog"] | ["clusters", "autoscale", "mode"] => {
            Rule::custom(same_ignoring_case)
        }
        ["channel"] => Rule::generic(),
        ["storage"] => Rule::custom(default_storage),
        _ => Rule::default(),
    }
}

/// Create waits for RUNNING only for continuous pipelines (§8.2, pipelines/resource_pipeline.go:38-61); a
/// triggered one only must not be FAILED.
pub async fn wait(client: &WorkspaceClient, id: &str, continuous: bool) -> Result<(), String> {
    let got = client
        .get(&format!("/api/2.0/pipelines/{id}"), &[])
        .await
        .map_err(|e| e.to_string())?;
    match (got["state"].as_str(), continuous) {
        (Some("FAILED"), _) => Err(format!("pipeline {id} failed")),
        (Some("RUNNING"), true) | (_, false) => Ok(()),
        (other, true) => Err(format!("pipeline {id} is not running: state {other:?}")),
    }
}

/// Read (§8.4, pipelines/resource_pipeline.go:292-318): the `spec` into state, and the state fields beside it;
/// never `run_as`.
pub async fn read(
    client: &WorkspaceClient,
    id: &str,
) -> Result<Map<String, Value>, drsync::api::Error> {
    let got = client.get(&format!("/api/2.0/pipelines/{id}"), &[]).await?;
    let mut state = filter_to_schema(
        got["spec"].as_object().unwrap_or(&Map::new()),
        schema(TYPE),
        "",
    );
    for k in [
        "cause",
        "cluster_id",
        "creator_user_name",
        "health",
        "last_modified",
        "latest_updates",
        "run_as_user_name",
        "state",
    ] {
        if let Some(v) = got.get(k) {
            state.insert(k.to_string(), v.clone());
        }
    }
    Ok(state)
}
