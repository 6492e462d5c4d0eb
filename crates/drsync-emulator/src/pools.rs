//! The Instance Pools API 2.0 (`/api/2.0/instance-pools/*`): list (no paging), get, create, edit and delete,
//! with the defaults and output-only fields (`default_tags`, `state`, `stats`, `status`) a workspace adds and
//! the edit restrictions it enforces (node type, cloud attributes, disks and preloaded images are fixed once
//! created). It must not let an edit change what the real service refuses to change, and it never drops
//! fields a caller sent.
//!
//! Not found: an unknown `instance_pool_id` answers 404 `RESOURCE_DOES_NOT_EXIST`
//! `Can't find an instance pool with id: <id>.` (the message the Terraform provider matches on).

use super::auth::{caller_id, Principal};
use super::catalog::Cloud;
use super::error::ApiError;
use super::json::merge_defaults;
use super::objects::{check_unique_name, delete_route, get_route};
use super::params::{required_str, JsonObject};
use super::state::Workspace;
use super::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};

/// The `instance-pools/*` routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/2.0/instance-pools/list", get(list))
        .route(
            "/api/2.0/instance-pools/get",
            get_route("instance_pool_id", |ws| &ws.pools, no_such_pool),
        )
        .route("/api/2.0/instance-pools/create", post(create))
        .route("/api/2.0/instance-pools/edit", post(edit))
        .route(
            "/api/2.0/instance-pools/delete",
            delete_route(
                "instance_pool_id",
                "/instance-pools/",
                |ws| &mut ws.pools,
                no_such_pool,
            ),
        )
}

type Reply = Result<Json<Value>, ApiError>;

/// Fields the server owns; ignored when a caller sends them.
const OUTPUT_ONLY: &[&str] = &[
    "instance_pool_id",
    "default_tags",
    "state",
    "stats",
    "status",
];

/// Fields an edit may change (besides the name, which is required and may change too).
const MUTABLE: &[&str] = &[
    "custom_tags",
    "idle_instance_autotermination_minutes",
    "max_capacity",
    "min_idle_instances",
    "remote_disk_throughput",
    "total_initial_remote_disk_size",
];

/// Fields fixed at creation: an edit that sends a different value is refused.
const IMMUTABLE: &[&str] = &[
    "node_type_id",
    "aws_attributes",
    "azure_attributes",
    "gcp_attributes",
    "disk_spec",
    "enable_elastic_disk",
    "preloaded_spark_versions",
    "preloaded_docker_images",
    "node_type_flexibility",
];

fn no_such_pool(id: &str) -> ApiError {
    ApiError::does_not_exist(format!("Can't find an instance pool with id: {id}."))
}

/// Pool names are 1–100 characters and unique in the workspace (`except` is the pool being edited).
fn check_name(ws: &Workspace, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    check_unique_name(
        &ws.pools,
        "instance_pool_name",
        name,
        except,
        "Instance pool name",
        || format!("Instance pool with name '{name}' already exists."),
    )
}

/// Min idle and max capacity must be non-negative, and min idle at most max capacity.
fn check_sizes(body: &Map<String, Value>) -> Result<(), ApiError> {
    for key in [
        "min_idle_instances",
        "max_capacity",
        "idle_instance_autotermination_minutes",
    ] {
        if let Some(v) = body.get(key) {
            if v.as_i64().is_none_or(|n| n < 0) {
                return Err(ApiError::invalid_parameter(format!(
                    "{key} must be a non-negative integer, got {v}"
                )));
            }
        }
    }
    let min = body.get("min_idle_instances").and_then(Value::as_i64);
    let max = body.get("max_capacity").and_then(Value::as_i64);
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            return Err(ApiError::invalid_parameter(format!(
                "min_idle_instances ({min}) cannot be greater than max_capacity ({max})"
            )));
        }
    }
    Ok(())
}

fn check_catalog(ws: &Workspace, body: &Map<String, Value>) -> Result<(), ApiError> {
    let node = body
        .get("node_type_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let known_node = ws
        .node_types
        .get("node_types")
        .and_then(Value::as_array)
        .is_some_and(|ns| {
            ns.iter()
                .any(|n| n.get("node_type_id") == Some(&json!(node)))
        });
    if !known_node {
        return Err(ApiError::invalid_parameter(format!(
            "Node type {node} is not supported."
        )));
    }
    if let Some(versions) = body.get("preloaded_spark_versions") {
        let list = versions.as_array().ok_or_else(|| {
            ApiError::invalid_parameter("preloaded_spark_versions must be a list of strings")
        })?;
        if list.len() > 1 {
            return Err(ApiError::invalid_parameter(
                "At most one spark version can be preloaded in an instance pool.",
            ));
        }
        for v in list {
            let key = v.as_str().unwrap_or("");
            let known = ws
                .spark_versions
                .get("versions")
                .and_then(Value::as_array)
                .is_some_and(|vs| vs.iter().any(|x| x.get("key") == Some(&json!(key))));
            if !known {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid spark version {key}."
                )));
            }
        }
    }
    Ok(())
}

/// The `instance-pools/get` body of a new pool: what the caller sent plus the server's fields, each with its
/// source. Not filled, for want of a source: `aws_attributes.availability`, every Azure and GCP attribute, and
/// `enable_elastic_disk` on GCP. Zone `auto` is kept as sent (the provider suppresses its diff for pools,
/// provider-behaviour.md §4.3; issue #13 asks for resolution on clusters only).
fn new_pool(ws: &Workspace, id: &str, creator_id: &str, body: &Map<String, Value>) -> Value {
    let mut pool: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| !OUTPUT_ONLY.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pool.insert("instance_pool_id".into(), json!(id));
    // Elastic disk is on unless sent: the provider never sends `false` (omitempty), so "the server default
    // wins" and DR pools come back `true` (provider-behaviour.md §4.2 [inferred]; issue #13 item 12);
    // databricks-api.md §7 `instance_pool_get.json` shows `true`. No source for GCP.
    if ws.cloud != Cloud::Gcp {
        pool.entry("enable_elastic_disk").or_insert(json!(true));
    }
    if ws.cloud == Cloud::Aws {
        // SDK `InstancePoolAwsAttributes` (sdk@v0.93.0:service/compute/model.go): `zone_id` "if not specified,
        // a default zone will be used. The list of available zones as well as the default value can be found
        // by using the List Zones method"; `spot_bid_price_percent` "If not specified, the default value is
        // 100".
        let mut defaults = Map::new();
        if let Some(zone) = ws
            .zones
            .get("default_zone")
            .and_then(Value::as_str)
            .filter(|z| !z.is_empty())
        {
            defaults.insert("zone_id".into(), json!(zone));
        }
        defaults.insert("spot_bid_price_percent".into(), json!(100));
        merge_defaults(&mut pool, "aws_attributes", Value::Object(defaults));
    }
    // Output-only (databricks-api.md §4 Instance pools): `default_tags` [key names UNVERIFIED], `state` ACTIVE,
    // `stats`, and an empty `status` as in the provider's exporter fixture get-instance-pool1.json.
    pool.insert(
        "default_tags".into(),
        json!({
            "Vendor": "Databricks",
            "DatabricksInstancePoolCreatorId": creator_id,
            "DatabricksInstancePoolId": id,
        }),
    );
    pool.insert("state".into(), json!("ACTIVE"));
    pool.insert("stats".into(), stats(&pool));
    pool.insert("status".into(), json!({}));
    Value::Object(pool)
}

/// `stats` of a pool without clusters: the idle instances it keeps warm.
fn stats(pool: &Map<String, Value>) -> Value {
    let idle = pool
        .get("min_idle_instances")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    json!({"used_count": 0, "idle_count": idle, "pending_used_count": 0, "pending_idle_count": 0})
}

/// Whether `sent` asks for no change to `stored`: every key sent in an object equals the stored value
/// (keys the server filled and the caller left out are not a change); other values are compared as numbers
/// where both are numbers, else exactly.
fn is_same(sent: &Value, stored: Option<&Value>) -> bool {
    match (sent, stored) {
        (Value::Object(s), Some(Value::Object(t))) => s.iter().all(|(k, v)| is_same(v, t.get(k))),
        (Value::Object(s), None) => s.is_empty(),
        (Value::Number(a), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (Value::Array(a), None) => a.is_empty(),
        (Value::Null, None) => true,
        (a, Some(b)) => a == b,
        (_, None) => false,
    }
}

/// Apply an edit body to a stored pool, enforcing which fields may change.
fn apply_edit(stored: &Value, body: &Map<String, Value>) -> Result<Value, ApiError> {
    let old = stored.as_object().cloned().unwrap_or_default();
    for key in IMMUTABLE {
        if let Some(sent) = body.get(*key) {
            if !is_same(sent, old.get(*key)) {
                let what = if *key == "node_type_id" {
                    "The node type of an instance pool cannot be changed.".to_string()
                } else {
                    format!("The field {key} of an instance pool cannot be changed.")
                };
                return Err(ApiError::invalid_parameter(what));
            }
        }
    }
    let mut pool = old.clone();
    // The mutable fields are replaced as a whole: leaving one out clears it.
    for key in MUTABLE {
        pool.remove(*key);
    }
    for (k, v) in body {
        if OUTPUT_ONLY.contains(&k.as_str()) || IMMUTABLE.contains(&k.as_str()) {
            continue;
        }
        pool.insert(k.clone(), v.clone());
    }
    let idle = stats(&pool)["idle_count"].clone();
    if let Some(s) = pool.get_mut("stats").and_then(Value::as_object_mut) {
        s.insert("idle_count".into(), idle);
    } else {
        pool.insert("stats".into(), stats(&pool));
    }
    Ok(Value::Object(pool))
}

async fn list(State(state): State<AppState>) -> Json<Value> {
    let ws = state.workspace();
    let pools: Vec<Value> = ws.pools.values().cloned().collect();
    if pools.is_empty() {
        Json(json!({}))
    } else {
        Json(json!({ "instance_pools": pools }))
    }
}

async fn create(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    JsonObject(body): JsonObject,
) -> Reply {
    let name = required_str(&body, "instance_pool_name")?;
    required_str(&body, "node_type_id")?;
    check_sizes(&body)?;
    let mut ws = state.workspace();
    check_name(&ws, &name, None)?;
    check_catalog(&ws, &body)?;
    let creator_id = caller_id(&ws, &principal);
    let id = ws.new_pool_id();
    let pool = new_pool(&ws, &id, &creator_id, &body);
    ws.pools.insert(id.clone(), pool);
    Ok(Json(json!({ "instance_pool_id": id })))
}

async fn edit(State(state): State<AppState>, JsonObject(body): JsonObject) -> Reply {
    let id = required_str(&body, "instance_pool_id")?;
    let name = required_str(&body, "instance_pool_name")?;
    required_str(&body, "node_type_id")?;
    check_sizes(&body)?;
    let mut ws = state.workspace();
    let stored = ws
        .pools
        .get(&id)
        .cloned()
        .ok_or_else(|| no_such_pool(&id))?;
    check_name(&ws, &name, Some(&id))?;
    let pool = apply_edit(&stored, &body)?;
    ws.pools.insert(id, pool);
    Ok(Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fixtures;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn stored() -> Value {
        let ws = Workspace::new(Cloud::Aws, Fixtures::default(), 3);
        new_pool(
            &ws,
            "0927-012345-chin12-pool-AbCdEfGh",
            "4712839012345678",
            &obj(json!({
                "instance_pool_name": "etl",
                "node_type_id": "i3.xlarge",
                "min_idle_instances": 2,
                "max_capacity": 10,
                "custom_tags": {"team": "a"},
                "aws_attributes": {"availability": "SPOT"},
                "disk_spec": {"disk_count": 1},
                "preloaded_spark_versions": ["15.4.x-scala2.12"],
                "x_unknown": 1,
                "state": "DELETED",
            })),
        )
    }

    #[test]
    fn create_fills_server_fields() {
        let p = stored();
        assert_eq!(p["state"], "ACTIVE");
        assert_eq!(p["stats"]["idle_count"], 2);
        assert_eq!(p["status"], json!({}));
        assert_eq!(p["default_tags"]["Vendor"], "Databricks");
        assert_eq!(
            p["default_tags"]["DatabricksInstancePoolId"],
            "0927-012345-chin12-pool-AbCdEfGh"
        );
        assert_eq!(p["aws_attributes"]["availability"], "SPOT");
        assert_eq!(p["aws_attributes"]["zone_id"], "us-east-1b");
        assert_eq!(p["aws_attributes"]["spot_bid_price_percent"], 100);
        assert_eq!(p["enable_elastic_disk"], true);
        assert_eq!(p["x_unknown"], 1);
    }

    #[test]
    fn edit_changes_only_the_mutable_fields() {
        let p = stored();
        let base = json!({"instance_pool_id": "x", "instance_pool_name": "etl2", "node_type_id": "i3.xlarge",
            "max_capacity": 20, "min_idle_instances": 4});
        let edited = apply_edit(&p, &obj(base.clone())).unwrap();
        assert_eq!(edited["instance_pool_name"], "etl2");
        assert_eq!(edited["max_capacity"], 20);
        assert_eq!(edited["stats"]["idle_count"], 4);
        assert!(
            edited.get("custom_tags").is_none(),
            "left out means cleared"
        );
        assert_eq!(edited["disk_spec"], p["disk_spec"], "immutable fields stay");
        assert_eq!(edited["instance_pool_id"], p["instance_pool_id"]);

        let with = |key: &str, v: Value| {
            let mut b = base.clone();
            b[key] = v;
            apply_edit(&p, &obj(b))
        };
        assert!(with("node_type_id", json!("i3.2xlarge")).is_err());
        assert!(with("aws_attributes", json!({"zone_id": "us-east-1a"})).is_err());
        assert!(with("disk_spec", json!({"disk_count": 2})).is_err());
        assert!(with("preloaded_spark_versions", json!(["14.3.x-scala2.12"])).is_err());
        assert!(with("enable_elastic_disk", json!(false)).is_err());
        // Sending back what is stored (defaults included, or a subset of them) is not a change.
        assert!(with("aws_attributes", p["aws_attributes"].clone()).is_ok());
        assert!(with("aws_attributes", json!({"availability": "SPOT"})).is_ok());
        assert!(with("preloaded_spark_versions", json!(["15.4.x-scala2.12"])).is_ok());
    }

    #[test]
    fn names_and_sizes() {
        let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 3);
        ws.pools.insert("p1".into(), stored());
        assert!(check_name(&ws, "etl", None).is_err());
        assert!(check_name(&ws, "etl", Some("p1")).is_ok());
        assert!(check_name(&ws, "", None).is_err());
        assert!(check_name(&ws, &"x".repeat(101), None).is_err());
        assert!(check_name(&ws, &"x".repeat(100), None).is_ok());
        assert!(check_sizes(&obj(json!({"min_idle_instances": 5, "max_capacity": 2}))).is_err());
        assert!(check_sizes(&obj(json!({"max_capacity": -1}))).is_err());
        assert!(check_catalog(
            &ws,
            &obj(json!({"node_type_id": "i3.xlarge", "preloaded_spark_versions": ["a", "b"]}))
        )
        .is_err());
        assert!(check_catalog(&ws, &obj(json!({"node_type_id": "nope"}))).is_err());
    }
}
