//! The SQL Warehouses API (`/api/2.0/sql/warehouses`): create, get, edit, delete and list, with the defaults
//! the service applies and the output-only fields it fills (`id`, `state`, `creator_name`, `num_clusters`,
//! `num_active_sessions`, `odbc_params`, `jdbc_url`, `health`), and the data sources the provider's Read looks
//! the warehouse up in (`/api/2.0/preview/sql/data_sources`, provider-behaviour.md §7.1). Shapes are
//! databricks-sdk-py `service/sql.py` (`CreateWarehouseRequest`, `GetWarehouseResponse`, `EndpointInfo`,
//! `ListWarehousesResponse`). It must not accept what the service refuses (sizes, cluster counts, auto stop),
//! and it never drops fields a caller sent.
//!
//! Not found: an unknown id answers 404 `RESOURCE_DOES_NOT_EXIST` (the provider drops a resource from state on
//! a 404, §1.6; the message text is not documented and is the emulator's own).

use super::auth::{caller, Principal};
use super::error::ApiError;
use super::params::{page_after, required_str, JsonObject, Query};
use super::state::Workspace;
use super::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};

/// The `sql/warehouses` routes and the data sources.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/2.0/sql/warehouses", get(list).post(create))
        .route("/api/2.0/sql/warehouses/{id}", get(get_one).delete(delete))
        .route("/api/2.0/sql/warehouses/{id}/edit", post(edit))
        .route("/api/2.0/preview/sql/data_sources", get(data_sources))
}

type Reply = Result<Json<Value>, ApiError>;

/// Fields the server owns (`GetWarehouseResponse` fields that `CreateWarehouseRequest` lacks, and `id`):
/// ignored when a caller sends them.
const OUTPUT_ONLY: &[&str] = &[
    "id",
    "state",
    "creator_name",
    "num_clusters",
    "num_active_sessions",
    "odbc_params",
    "jdbc_url",
    "health",
];

/// `cluster_size` values (`CreateWarehouseRequest.cluster_size`: "2X-Small ... 4X-Large"; `5X-Large` is
/// accepted by the API since the SDK the provider pins, provider-behaviour.md §7.3).
const SIZES: &[&str] = &[
    "2X-Small", "X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large", "3X-Large",
    "4X-Large", "5X-Large",
];

fn no_such_warehouse(id: &str) -> ApiError {
    ApiError::does_not_exist(format!("Unable to find the warehouse with id {id}."))
}

/// The request's values, checked as `CreateWarehouseRequest`'s docstrings say.
fn check(body: &Map<String, Value>) -> Result<(), ApiError> {
    let name = required_str(body, "name")?;
    // `name`: "Must be unique within an org. Must be less than 100 characters."
    if name.chars().count() >= 100 {
        return Err(ApiError::invalid_parameter(
            "Warehouse name must be less than 100 characters.",
        ));
    }
    let size = required_str(body, "cluster_size")?;
    if !SIZES.contains(&size.as_str()) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid cluster size {size}."
        )));
    }
    let num = |k: &str| body.get(k).and_then(Value::as_i64);
    // `auto_stop_mins`: "Must be == 0 or >= 10 mins".
    if let Some(n) = num("auto_stop_mins") {
        if n != 0 && n < 10 {
            return Err(ApiError::invalid_parameter(
                "auto_stop_mins must be 0 or at least 10.",
            ));
        }
    }
    // `min_num_clusters` "Must be > 0", `max_num_clusters` "Must be >= min_num_clusters", at most 40
    // (sdk@v0.93.0:service/sql/model.go:2585-2591, provider-behaviour.md §7.3).
    let min = num("min_num_clusters").unwrap_or(1);
    if min < 1 {
        return Err(ApiError::invalid_parameter(
            "min_num_clusters must be greater than 0.",
        ));
    }
    if let Some(max) = num("max_num_clusters") {
        if max < min || max > 40 {
            return Err(ApiError::invalid_parameter(format!(
                "max_num_clusters must be between min_num_clusters ({min}) and 40, got {max}."
            )));
        }
    }
    // `warehouse_type`: "If you want to use serverless compute, you must set to PRO and also set the field
    // enable_serverless_compute to true."
    if body.get("enable_serverless_compute") == Some(&json!(true))
        && body.get("warehouse_type") == Some(&json!("CLASSIC"))
    {
        return Err(ApiError::invalid_parameter(
            "Serverless compute requires warehouse_type PRO.",
        ));
    }
    Ok(())
}

fn check_unique(ws: &Workspace, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    let taken = ws.warehouses.iter().any(|(id, w)| {
        Some(id.as_str()) != except && w.get("name").and_then(Value::as_str) == Some(name)
    });
    if taken {
        return Err(ApiError::already_exists(format!(
            "SQL warehouse with name `{name}` already exists."
        )));
    }
    Ok(())
}

/// The configuration a request gives, with the service's defaults where it gives none, each with its source.
fn configure(mut w: Map<String, Value>) -> Map<String, Value> {
    w.retain(|k, _| !OUTPUT_ONLY.contains(&k.as_str()));
    // `auto_stop_mins`: "Defaults to 120 mins" (CreateWarehouseRequest).
    w.entry("auto_stop_mins").or_insert(json!(120));
    // `min_num_clusters`: "Defaults to 1"; `max_num_clusters`: "Defaults to min_clusters if unset".
    let min = w.entry("min_num_clusters").or_insert(json!(1)).clone();
    w.entry("max_num_clusters").or_insert(min);
    // `enable_photon`: "Defaults to false."
    w.entry("enable_photon").or_insert(json!(false));
    // `enable_serverless_compute`: false for most workspaces (docs/resources/sql_endpoint.md:42-44,
    // provider-behaviour.md §7.2); `warehouse_type` "defaults to PRO or CLASSIC to match" (sql_endpoint.md:49).
    let serverless = w
        .entry("enable_serverless_compute")
        .or_insert(json!(false))
        .as_bool()
        .unwrap_or(false);
    w.entry("warehouse_type")
        .or_insert(json!(if serverless { "PRO" } else { "CLASSIC" }));
    // `spot_instance_policy` and `channel`: the provider always sends the first and the exporter leaves out a
    // `CHANNEL_NAME_CURRENT` channel as the one read back when none was set (§7.2, §7.5); the service's value
    // for an absent one is not documented: the emulator answers the provider's defaults.
    w.entry("spot_instance_policy")
        .or_insert(json!("COST_OPTIMIZED"));
    w.entry("channel")
        .or_insert(json!({"name": "CHANNEL_NAME_CURRENT"}));
    w
}

/// The `GET` body of a stored configuration: the output-only fields as `GetWarehouseResponse` documents them.
fn with_output(
    mut w: Map<String, Value>,
    id: &str,
    creator: &str,
    host: &str,
    state: &str,
) -> Value {
    let running = state == "RUNNING";
    let min = w.get("min_num_clusters").cloned().unwrap_or(json!(1));
    w.insert("id".into(), json!(id));
    w.insert("creator_name".into(), json!(creator));
    w.insert("state".into(), json!(state));
    // `num_clusters`: "current number of clusters running for the service"; `num_active_sessions`: "current
    // number of active sessions".
    w.insert("num_clusters".into(), if running { min } else { json!(0) });
    w.insert("num_active_sessions".into(), json!(0));
    // `odbc_params` (`OdbcParams`: hostname, path, port, protocol) and `jdbc_url`, as the UI's connection
    // details give them.
    let path = format!("/sql/1.0/warehouses/{id}");
    w.insert(
        "odbc_params".into(),
        json!({"hostname": host, "path": path, "port": 443, "protocol": "https"}),
    );
    w.insert(
        "jdbc_url".into(),
        json!(format!(
            "jdbc:spark://{host}:443/default;transportMode=http;ssl=1;AuthMech=3;httpPath={path};"
        )),
    );
    // `health` (`EndpointHealth`: status HEALTHY, DEGRADED, FAILED, ...).
    w.insert("health".into(), json!({"status": "HEALTHY"}));
    Value::Object(w)
}

fn host_of(state: &AppState) -> String {
    let url = state.base_url();
    url.split_once("://")
        .map_or(url.as_str(), |(_, rest)| rest)
        .split(':')
        .next()
        .unwrap_or("")
        .to_string()
}

/// `GET /api/2.0/sql/warehouses`: `ListWarehousesResponse` (`warehouses`, `next_page_token`), by id. Without
/// `page_size` every warehouse in one page (the list had no paging in the SDK the provider pins, v0.93.0); with
/// it, at most that many and a token for the rest (databricks-sdk-py `WarehousesAPI.list`: "The max number of
/// warehouses to return"). The field is left out when there are none.
async fn list(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let size = match q.get_i64("page_size")? {
        None | Some(0) => usize::MAX,
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        Some(n) => {
            return Err(ApiError::invalid_parameter(format!(
                "page_size must not be negative, got {n}"
            )))
        }
    };
    let ws = state.workspace();
    let (page, next) = page_after(&ws.warehouses, q.get("page_token"), size)?;
    let mut body = Map::new();
    if !page.is_empty() {
        body.insert(
            "warehouses".into(),
            Value::Array(page.into_iter().cloned().collect()),
        );
    }
    if let Some(next) = next {
        body.insert("next_page_token".into(), json!(next));
    }
    Ok(Json(Value::Object(body)))
}

async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Reply {
    state
        .workspace()
        .warehouses
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| no_such_warehouse(&id))
}

async fn create(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    JsonObject(body): JsonObject,
) -> Reply {
    check(&body)?;
    let host = host_of(&state);
    let mut ws = state.workspace();
    let name = required_str(&body, "name")?;
    check_unique(&ws, &name, None)?;
    let creator = caller(&ws, &principal);
    let id = ws.new_warehouse_id();
    // A new warehouse starts (the provider waits for RUNNING, §7.2): the emulator has it running at once.
    let stored = with_output(configure(body), &id, &creator, &host, "RUNNING");
    ws.warehouses.insert(id.clone(), stored);
    Ok(Json(json!({ "id": id })))
}

async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Reply {
    let host = host_of(&state);
    let mut ws = state.workspace();
    let stored = ws
        .warehouses
        .get(&id)
        .cloned()
        .ok_or_else(|| no_such_warehouse(&id))?;
    // `EditWarehouseRequest` carries the whole configuration, like create; what it leaves out takes the
    // defaults again.
    check(&body)?;
    let name = required_str(&body, "name")?;
    check_unique(&ws, &name, Some(&id))?;
    let creator = stored["creator_name"].as_str().unwrap_or("").to_string();
    let run = stored["state"].as_str().unwrap_or("RUNNING").to_string();
    let edited = with_output(configure(body), &id, &creator, &host, &run);
    ws.warehouses.insert(id, edited);
    Ok(Json(json!({})))
}

async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> Reply {
    let mut ws = state.workspace();
    if ws.warehouses.remove(&id).is_none() {
        return Err(no_such_warehouse(&id));
    }
    Ok(Json(json!({})))
}

/// `GET /api/2.0/preview/sql/data_sources`: one data source per warehouse (`DataSource`: `id`, `name`,
/// `warehouse_id`, `endpoint_id`, `type`, ...), a bare JSON array as the service answers (databricks-sdk-py
/// `DataSourcesAPI.list` decodes the body as a list). The id is derived from the warehouse's, so that it is
/// stable.
async fn data_sources(State(state): State<AppState>) -> Json<Value> {
    let ws = state.workspace();
    let all: Vec<Value> = ws
        .warehouses
        .iter()
        .map(|(id, w)| {
            json!({
                "id": data_source_id(id),
                "name": w.get("name").cloned().unwrap_or(Value::Null),
                "warehouse_id": id,
                "endpoint_id": id,
                "type": "databricks_internal",
                "syntax": "sql",
                "paused": 0,
                "view_only": false,
                "pause_reason": "",
                "supports_auto_limit": true,
            })
        })
        .collect();
    Json(Value::Array(all))
}

fn data_source_id(warehouse: &str) -> String {
    let hex: String = warehouse
        .chars()
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn defaults_and_output_fields() {
        let w = configure(obj(
            json!({"name": "bi", "cluster_size": "Small", "id": "x", "state": "DELETED", "x_new": 1}),
        ));
        assert_eq!(w["auto_stop_mins"], 120);
        assert_eq!(w["min_num_clusters"], 1);
        assert_eq!(w["max_num_clusters"], 1);
        assert_eq!(w["enable_photon"], false);
        assert_eq!(w["enable_serverless_compute"], false);
        assert_eq!(w["warehouse_type"], "CLASSIC");
        assert_eq!(w["x_new"], 1, "unknown fields are kept");
        assert!(!w.contains_key("id") && !w.contains_key("state"));
        let got = with_output(w, "0123456789abcdef", "a@b.c", "h.example", "RUNNING");
        assert_eq!(got["id"], "0123456789abcdef");
        assert_eq!(got["num_clusters"], 1);
        assert_eq!(
            got["odbc_params"]["path"],
            "/sql/1.0/warehouses/0123456789abcdef"
        );
        let serverless = configure(obj(
            json!({"name": "s", "cluster_size": "Small", "enable_serverless_compute": true, "min_num_clusters": 2}),
        ));
        assert_eq!(serverless["warehouse_type"], "PRO");
        assert_eq!(serverless["max_num_clusters"], 2);
        assert_eq!(
            data_source_id("0123456789abcdef"),
            "01234567-89ab-cdef-0000-000000000000"
        );
    }

    #[test]
    fn what_the_service_refuses() {
        let ok = json!({"name": "bi", "cluster_size": "Small"});
        assert!(check(&obj(ok.clone())).is_ok());
        let with = |k: &str, v: Value| {
            let mut b = ok.clone();
            b[k] = v;
            check(&obj(b))
        };
        assert!(with("cluster_size", json!("Huge")).is_err());
        assert!(with("cluster_size", json!("5X-Large")).is_ok());
        assert!(with("auto_stop_mins", json!(5)).is_err());
        assert!(with("auto_stop_mins", json!(0)).is_ok());
        assert!(with("max_num_clusters", json!(41)).is_err());
        assert!(with("max_num_clusters", json!(40)).is_ok());
        assert!(with("min_num_clusters", json!(0)).is_err());
        assert!(with("name", json!("x".repeat(100))).is_err());
        assert!(check(&obj(json!({"cluster_size": "Small"}))).is_err());
    }
}
