//! `databricks_sql_endpoint` (§7).

use super::diff::Rule;
use super::value::{default, drop_zeros, filter_to_schema, schema, Path};
use super::Problem;
use drsync::api::WorkspaceClient;
use serde_json::{json, Map, Value};

pub const TYPE: &str = "databricks_sql_endpoint";

/// §7.3 (sql/resource_sql_endpoint.go:56-101): the sizes 1.99.0 validates.
const SIZES: &[&str] = &[
    "2X-Small", "X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large", "3X-Large",
    "4X-Large",
];

pub fn validate(w: &Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    // §7.3 Required.
    for k in ["name", "cluster_size"] {
        if w.get(k).is_none_or(Value::is_null) {
            out.push(Problem::required(k.to_string()));
        }
    }
    if let Some(size) = w.get("cluster_size").and_then(Value::as_str) {
        if !SIZES.contains(&size) {
            out.push(Problem::value(format!(
                "cluster_size must be one of {SIZES:?}, not {size:?}"
            )));
        }
    }
    if let Some(n) = w.get("max_num_clusters").and_then(Value::as_i64) {
        if !(1..=30).contains(&n) {
            out.push(Problem::value(format!(
                "max_num_clusters must be 1 to 30, not {n}"
            )));
        }
    }
    if let Some(t) = w.get("warehouse_type").and_then(Value::as_str) {
        if !["PRO", "CLASSIC"].contains(&t) {
            out.push(Problem::value(format!(
                "warehouse_type must be PRO or CLASSIC, not {t:?}"
            )));
        }
    }
    // §7.3 `tags.custom_tags.{key,value}` Required.
    for tag in w
        .get("tags")
        .and_then(|t| t.get("custom_tags"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for k in ["key", "value"] {
            if tag.get(k).is_none_or(Value::is_null) {
                out.push(Problem::required(format!("tags.custom_tags.{k}")));
            }
        }
    }
    // §13: never write `id` or read-only attributes (§7.3).
    for k in [
        "id",
        "data_source_id",
        "creator_name",
        "health",
        "jdbc_url",
        "num_active_sessions",
        "num_clusters",
        "odbc_params",
        "state",
    ] {
        if w.contains_key(k) {
            out.push(Problem::never(format!("{k} is read-only")));
        }
    }
    out
}

/// Schema defaults (§7.2, sql/resource_sql_endpoint.go:56-85); the channel's only in a present block.
pub fn defaults(w: &mut Map<String, Value>) {
    default(w, "auto_stop_mins", json!(120));
    default(w, "enable_photon", json!(true));
    default(w, "max_num_clusters", json!(1));
    default(w, "spot_instance_policy", json!("COST_OPTIMIZED"));
    if let Some(Value::Object(channel)) = w.get_mut("channel") {
        default(channel, "name", json!("CHANNEL_NAME_CURRENT"));
    }
}

/// What the provider sends to create a warehouse, and whether it skips the wait for RUNNING.
#[derive(Debug, Clone)]
pub struct Create {
    pub body: Map<String, Value>,
    pub no_wait: bool,
}

/// The `sql/warehouses` create body (§7.2): defaults, zeros dropped but the three forced fields
/// (`enable_serverless_compute`, `enable_photon`, `auto_stop_mins`: sent whenever set,
/// sql/resource_sql_endpoint.go:19,114,162), and `no_wait` kept off the wire.
pub fn create(mut w: Map<String, Value>) -> Create {
    let no_wait = w.remove("no_wait") == Some(Value::Bool(true));
    defaults(&mut w);
    let forced = [
        Path::default().key("enable_serverless_compute"),
        Path::default().key("enable_photon"),
        Path::default().key("auto_stop_mins"),
    ];
    drop_zeros(TYPE, &mut w, &Path::default(), &|p| forced.contains(p));
    Create { body: w, no_wait }
}

/// Create waits for RUNNING (§7.2, sql/resource_sql_endpoint.go:120-138); the emulator starts warehouses at
/// once, so one read tells.
pub async fn wait_running(client: &WorkspaceClient, id: &str) -> Result<(), String> {
    let got = client
        .get(&format!("/api/2.0/sql/warehouses/{id}"), &[])
        .await
        .map_err(|e| e.to_string())?;
    match got["state"].as_str() {
        Some("RUNNING") => Ok(()),
        other => Err(format!("warehouse {id} did not start: state {other:?}")),
    }
}

pub fn rule(p: &[&str]) -> Rule {
    match p {
        // §7.3 Computed.
        ["id"] | ["data_source_id"] | ["enable_serverless_compute"] => Rule::computed(),
        // §7.3 generic suppress.
        ["channel"] | ["min_num_clusters"] | ["tags"] | ["warehouse_type"] => Rule::generic(),
        // §7.3 provider-only, never read: only a diff from unset to false is hidden
        // (`sql/resource_sql_endpoint.go`, the `no_wait` DiffSuppressFunc: `old == "" && new == "false"`), so an
        // imported warehouse, whose state lacks it, plans `no_wait = true` as an update.
        ["no_wait"] => {
            Rule::custom(|hcl, state| super::value::is_zero(hcl) && super::value::is_zero(state))
        }
        _ => Rule::default(),
    }
}

/// Read (§7.1, §7.4): `sql/warehouses/{id}` into state (schema fields only) and `data_source_id` from the data
/// sources; at 1.99.0 Read fails when none matches the warehouse.
pub async fn read(
    client: &WorkspaceClient,
    id: &str,
) -> Result<Map<String, Value>, drsync::api::Error> {
    let got = client
        .get(&format!("/api/2.0/sql/warehouses/{id}"), &[])
        .await?;
    let mut state = filter_to_schema(got.as_object().unwrap_or(&Map::new()), schema(TYPE), "");
    let sources = client.get("/api/2.0/preview/sql/data_sources", &[]).await?;
    let source = sources
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["warehouse_id"] == json!(id))
        .and_then(|s| s["id"].as_str());
    match source {
        Some(s) => {
            state.insert("data_source_id".into(), json!(s));
        }
        None => {
            return Err(drsync::api::Error::Decode {
                workspace: client.name().to_string(),
                method: "GET".to_string(),
                path: "/api/2.0/preview/sql/data_sources".to_string(),
                reason: format!(
                    "no data source for warehouse {id} (the provider's Read fails, §7.1)"
                ),
                attempts: 1,
            })
        }
    }
    Ok(state)
}
