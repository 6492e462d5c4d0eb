//! The Clusters API, 2.0 and 2.1 (`/api/2.x/clusters/*`): list with paging, filters and sorting, get, create,
//! edit, partial update, terminate, permanent delete, start, restart, resize, pin, change-owner, and the region
//! catalog (spark-versions, list-node-types, list-zones). It keeps each cluster as the `clusters/get` body,
//! fills the server defaults and output-only fields a workspace adds, and runs a deterministic state machine.
//! It must not invent fields a real workspace does not send, and it never drops fields a caller sent.
//!
//! State machine: create and start put a cluster in `PENDING`; edit of a running cluster and restart put it in
//! `RESTARTING`; resize puts it in `RESIZING`; delete puts it in `TERMINATING`. Every later read (`get` of that
//! cluster, or any `list`) first advances each such cluster one step (`PENDING`/`RESTARTING`/`RESIZING` →
//! `RUNNING`, `TERMINATING` → `TERMINATED`) and then answers, so SDK waiters, which poll `get`, see their
//! target state on the first poll. Mutations are not reads: an `edit` right after `create` meets `PENDING`.

mod config;
mod lifecycle;
#[cfg(test)]
mod tests;

use crate::auth::{caller, caller_id, Principal};
use crate::catalog::Cloud;
use crate::cluster_list::{decode_token, list_item, page, parse_sort, Filter, SortField};
use crate::error::ApiError;
use crate::json::{obj_mut, str_field};
use crate::params::{self, body_object, Query};
use crate::state::{now_ms, Workspace};
use crate::view::{Obj, Part};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use config::{apply_spec, effective_config, spec_of};
use lifecycle::{load, save, tick, tick_all};
use serde_json::{json, Map, Value};
use std::sync::MutexGuard;

/// The `clusters/*` routes of API 2.0 and 2.1.
pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/api/2.0/clusters/list", get(list_v20))
        .route("/api/2.1/clusters/list", get(list_v21));
    for v in ["2.0", "2.1"] {
        let p = |op: &str| format!("/api/{v}/clusters/{op}");
        router = router
            .route(&p("get"), get(get_cluster))
            .route(&p("create"), post(create))
            .route(&p("edit"), post(edit))
            .route(&p("update"), post(update))
            .route(&p("delete"), post(delete))
            .route(&p("permanent-delete"), post(permanent_delete))
            .route(&p("start"), post(start))
            .route(&p("restart"), post(restart))
            .route(&p("resize"), post(resize))
            .route(&p("pin"), post(pin))
            .route(&p("unpin"), post(unpin))
            .route(&p("change-owner"), post(change_owner))
            .route(&p("spark-versions"), get(spark_versions))
            .route(&p("list-node-types"), get(list_node_types))
            .route(&p("list-zones"), get(list_zones));
    }
    router
}

type Reply = Result<Json<Value>, ApiError>;

/// Fields of a `clusters/get` body that the server owns. Everything else is configuration (ClusterSpec),
/// including fields unknown to the emulator, which are stored and echoed as sent.
const OUTPUT_ONLY: &[&str] = &[
    "cluster_id",
    "creator_user_name",
    "state",
    "state_message",
    "start_time",
    "terminated_time",
    "last_restarted_time",
    "last_state_loss_time",
    "last_activity_time",
    "cluster_source",
    "default_tags",
    "driver",
    "executors",
    "spark_context_id",
    "jdbc_port",
    "cluster_memory_mb",
    "cluster_cores",
    "termination_reason",
    "cluster_log_status",
    "pinned_by_user_name",
    "init_scripts_safe_mode",
    "disk_spec",
    "spec",
];

/// Page size of `2.1/clusters/list` when none is asked for, and the most one page holds.
const MAX_PAGE_SIZE: usize = 100;

// ---------------------------------------------------------------------------------------------------------
// Small helpers

/// The 400 the real service answers for a cluster id it does not know (the SDKs map it to NotFound).
fn no_such_cluster(id: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Cluster {id} does not exist"))
}

/// `PENDING` → `Pending`, as error messages spell states.
fn title_case(state: &str) -> String {
    let lower = state.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn unexpected_state(id: &str, state: &str) -> ApiError {
    ApiError::invalid_state(format!(
        "Cluster {id} is in unexpected state {}.",
        title_case(state)
    ))
}

/// A required, non-empty string field of a request body (see [`params::required_str`]); the Clusters API names
/// a value of another type in its error.
fn required_str(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    match body.get(key) {
        Some(Value::String(_)) | None | Some(Value::Null) => params::required_str(body, key),
        Some(other) => Err(ApiError::invalid_parameter(format!(
            "Invalid value for field {key}: expected a string but got {other}"
        ))),
    }
}

/// 32 lowercase hex digits, as node ids are.
fn hex32(ws: &mut Workspace) -> String {
    let a = scramble(ws.random_i64());
    let b = scramble(ws.random_i64());
    format!("{a:016x}{b:016x}")
}

/// Spread the bits of a random i64 (whose top bits are constrained by its range) over all 64 bits.
fn scramble(x: i64) -> u64 {
    u64::from_ne_bytes(x.to_ne_bytes()).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn octet(ws: &mut Workspace) -> u64 {
    scramble(ws.random_i64()) % 250 + 2
}

/// Every cluster in the given order, advancing the ones between states first.
fn sorted_clusters(ws: &mut Workspace, field: SortField, desc: bool) -> Vec<&Value> {
    tick_all(ws);
    let all: Vec<&Value> = ws.clusters.values().collect();
    ws.clusters.list_index().sorted(&all, field, desc)
}

/// `GET /api/2.1/clusters/list`. The page borrows from the stored clusters: it is serialised under the lock.
async fn list_v21(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref());
    let filter = Filter::parse(&q)?;
    let (field, desc) = parse_sort(&q)?;
    let size = match q.get_i64("page_size")? {
        None | Some(0) => MAX_PAGE_SIZE,
        Some(n) if n < 0 => {
            return Err(ApiError::invalid_parameter(format!(
                "page_size must be a non-negative integer, got {n}"
            )))
        }
        Some(n) => usize::try_from(n)
            .unwrap_or(MAX_PAGE_SIZE)
            .min(MAX_PAGE_SIZE),
    };
    let offset = q
        .get("page_token")
        .map(decode_token)
        .transpose()?
        .unwrap_or(0);
    let mut ws = state.workspace();
    let mut items = sorted_clusters(&mut ws, field, desc);
    items.retain(|c| filter.matches(c));
    Ok(Json(page(&items, offset, size)).into_response())
}

/// `GET /api/2.0/clusters/list`: every cluster, in the default order.
async fn list_v20(State(state): State<AppState>) -> Response {
    let mut ws = state.workspace();
    let items = sorted_clusters(&mut ws, SortField::Default, false);
    let mut body = Obj::with_capacity(1);
    if !items.is_empty() {
        body.put(
            "clusters",
            Part::List(items.into_iter().map(list_item).collect()),
        );
    }
    Json(body).into_response()
}

// ---------------------------------------------------------------------------------------------------------
// Handlers

/// `GET clusters/get`: the whole stored body, with `spec` exactly as the caller sent it on create or edit
/// (databricks-api.md §1.2 "ClusterDetails (includes `spec`)", §4 Clusters).
async fn get_cluster(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let id = q.require("cluster_id")?;
    let mut ws = state.workspace();
    tick(&mut ws, id);
    ws.clusters
        .get(id)
        .cloned()
        .map(Json)
        .ok_or_else(|| no_such_cluster(id))
}

async fn create(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Bytes,
) -> Reply {
    let mut spec = body_object(&body)?;
    required_str(&spec, "spark_version")?;
    let mut ws = state.workspace();
    if let Some(clone_from) = spec.remove("clone_from") {
        let source = clone_from
            .get("source_cluster_id")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::invalid_parameter("Missing required field: clone_from.source_cluster_id")
            })?;
        let mut base = spec_of(
            ws.clusters
                .get(source)
                .ok_or_else(|| no_such_cluster(source))?,
        );
        base.extend(spec);
        spec = base;
    }
    // Validate before an id is spent.
    effective_config(&ws, &spec)?;
    let creator = caller(&ws, &principal);
    let id = ws.new_cluster_id();
    let name = spec
        .get("cluster_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    // The output-only fields of a new cluster (databricks-api.md §4 Clusters "Output-only"): `cluster_source`
    // API for a cluster made through the API, `start_time` the create request time, `jdbc_port` 10000, and
    // the `default_tags` SDK `ClusterDetails.default_tags` names (Vendor, Creator, ClusterName, ClusterId).
    let mut c = Map::new();
    c.insert("cluster_id".into(), json!(id));
    c.insert("creator_user_name".into(), json!(creator));
    c.insert("cluster_source".into(), json!("API"));
    c.insert("start_time".into(), json!(now_ms()));
    c.insert("state".into(), json!("PENDING"));
    c.insert(
        "state_message".into(),
        json!("Finding instances for new nodes, acquiring more instances if necessary"),
    );
    c.insert("jdbc_port".into(), json!(10000));
    c.insert("spark_context_id".into(), json!(ws.random_i64()));
    c.insert(
        "default_tags".into(),
        json!({"Vendor": "Databricks", "Creator": creator, "ClusterName": name, "ClusterId": id}),
    );
    let c = apply_spec(&ws, &c, spec)?;
    save(&mut ws, c);
    Ok(Json(json!({ "cluster_id": id })))
}

/// Replace the configuration of a cluster that may be edited (RUNNING restarts, TERMINATED stays).
fn replace_config(
    ws: &mut Workspace,
    id: &str,
    current: &Map<String, Value>,
    spec: Map<String, Value>,
) -> Result<(), ApiError> {
    if current.get("cluster_source").and_then(Value::as_str) == Some("JOB") {
        return Err(ApiError::invalid_parameter(format!(
            "Cluster {id} is a job cluster and cannot be edited."
        )));
    }
    let state = current
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("UNKNOWN");
    if !matches!(state, "RUNNING" | "TERMINATED") {
        return Err(unexpected_state(id, state));
    }
    let mut c = apply_spec(ws, current, spec)?;
    if state == "RUNNING" {
        c.insert("state".into(), json!("RESTARTING"));
        c.insert("state_message".into(), json!("Restarting Spark."));
    }
    save(ws, c);
    Ok(())
}

async fn edit(State(state): State<AppState>, body: Bytes) -> Reply {
    let mut spec = body_object(&body)?;
    let id = required_str(&spec, "cluster_id")?;
    required_str(&spec, "spark_version")?;
    spec.remove("cluster_id");
    let mut ws = state.workspace();
    let current = load(&ws, &id)?;
    replace_config(&mut ws, &id, &current, spec)?;
    Ok(Json(json!({})))
}

/// Set or remove the (possibly dotted) `path` of `target` from `source`.
fn apply_mask_path(target: &mut Map<String, Value>, source: &Map<String, Value>, path: &str) {
    let parts: Vec<&str> = path.split('.').collect();
    let (last, parents) = match parts.split_last() {
        Some(split) => split,
        None => return,
    };
    let mut from = Some(source);
    for p in parents {
        from = from.and_then(|m| m.get(*p)).and_then(Value::as_object);
    }
    let value = from.and_then(|m| m.get(*last)).cloned();
    let mut to = target;
    for p in parents {
        to = obj_mut(
            to.entry((*p).to_string())
                .or_insert_with(|| Value::Object(Map::new())),
        );
    }
    match value {
        Some(v) => {
            to.insert((*last).to_string(), v);
        }
        None => {
            to.remove(*last);
        }
    }
}

async fn update(State(state): State<AppState>, body: Bytes) -> Reply {
    let body = body_object(&body)?;
    let id = required_str(&body, "cluster_id")?;
    let mask = required_str(&body, "update_mask")?;
    let patch = body
        .get("cluster")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut ws = state.workspace();
    let current = load(&ws, &id)?;
    let mut spec = spec_of(&Value::Object(current.clone()));
    for path in mask.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        apply_mask_path(&mut spec, &patch, path);
    }
    replace_config(&mut ws, &id, &current, spec)?;
    Ok(Json(json!({})))
}

fn cluster_id_of(body: &Bytes) -> Result<(Map<String, Value>, String), ApiError> {
    let body = body_object(body)?;
    let id = required_str(&body, "cluster_id")?;
    Ok((body, id))
}

/// The locked workspace, a cluster's id and the cluster as stored.
type LockedCluster<'a> = (MutexGuard<'a, Workspace>, String, Map<String, Value>);

/// The cluster a request body names, loaded under the workspace lock (held until the reply): how the handlers
/// that change one cluster begin.
fn locked_cluster<'a>(state: &'a AppState, body: &Bytes) -> Result<LockedCluster<'a>, ApiError> {
    let (_, id) = cluster_id_of(body)?;
    let ws = state.workspace();
    let c = load(&ws, &id)?;
    Ok((ws, id, c))
}

async fn delete(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Bytes,
) -> Reply {
    let (mut ws, _, mut c) = locked_cluster(&state, &body)?;
    let current = c.get("state").and_then(Value::as_str).unwrap_or("");
    if matches!(current, "TERMINATING" | "TERMINATED") {
        return Ok(Json(json!({})));
    }
    let user = caller(&ws, &principal);
    c.insert("state".into(), json!("TERMINATING"));
    c.insert("state_message".into(), json!("Terminating the cluster."));
    c.insert(
        "termination_reason".into(),
        json!({"code": "USER_REQUEST", "type": "SUCCESS", "parameters": {"username": user}}),
    );
    save(&mut ws, c);
    Ok(Json(json!({})))
}

async fn permanent_delete(State(state): State<AppState>, body: Bytes) -> Reply {
    let (_, id) = cluster_id_of(&body)?;
    let mut ws = state.workspace();
    if ws.clusters.remove(&id).is_none() {
        return Err(no_such_cluster(&id));
    }
    ws.libraries.remove(&id);
    ws.forget_acl(&format!("/clusters/{id}"));
    Ok(Json(json!({})))
}

/// `POST clusters/start`: a `TERMINATED` cluster goes `PENDING` (and `RUNNING` at the next read); any other state
/// is the 400 `INVALID_STATE` "Cluster <id> is in unexpected state <State>.", which the service sends: the
/// provider's `ClustersAPI.StartAndGetInfo` (terraform-provider-databricks `clusters/clusters_api.go`) calls
/// `clusters/start` and ignores exactly "Cluster %s is in unexpected state Pending." (a start racing another).
/// The SDK docstring's "If the cluster is not currently in a TERMINATED state, nothing will happen" is read as
/// saying the cluster is left as it is, not that the reply is a success [inferred from the provider's handling].
async fn start(State(state): State<AppState>, body: Bytes) -> Reply {
    let (mut ws, id, mut c) = locked_cluster(&state, &body)?;
    if c.get("cluster_source").and_then(Value::as_str) == Some("JOB") {
        return Err(ApiError::invalid_parameter(format!(
            "Cluster {id} is a job cluster and cannot be started."
        )));
    }
    let current = c.get("state").and_then(Value::as_str).unwrap_or("UNKNOWN");
    if current != "TERMINATED" {
        return Err(unexpected_state(&id, current));
    }
    c.insert("state".into(), json!("PENDING"));
    c.insert(
        "state_message".into(),
        json!("Finding instances for new nodes, acquiring more instances if necessary"),
    );
    c.remove("termination_reason");
    c.remove("terminated_time");
    save(&mut ws, c);
    Ok(Json(json!({})))
}

async fn restart(State(state): State<AppState>, body: Bytes) -> Reply {
    let (mut ws, id, mut c) = locked_cluster(&state, &body)?;
    let current = c.get("state").and_then(Value::as_str).unwrap_or("UNKNOWN");
    if current != "RUNNING" {
        return Err(unexpected_state(&id, current));
    }
    c.insert("state".into(), json!("RESTARTING"));
    c.insert("state_message".into(), json!("Restarting Spark."));
    save(&mut ws, c);
    Ok(Json(json!({})))
}

async fn resize(State(state): State<AppState>, body: Bytes) -> Reply {
    let (body, id) = cluster_id_of(&body)?;
    let size = match (body.get("num_workers"), body.get("autoscale")) {
        (Some(n), None) if n.as_i64().is_some_and(|n| n >= 0) => ("num_workers", n.clone()),
        (None, Some(a)) if a.is_object() => ("autoscale", a.clone()),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_parameter(
                "Only one of num_workers and autoscale may be specified",
            ))
        }
        _ => {
            return Err(ApiError::invalid_parameter(
                "Either num_workers or autoscale must be specified",
            ))
        }
    };
    let mut ws = state.workspace();
    let c = load(&ws, &id)?;
    let current = c.get("state").and_then(Value::as_str).unwrap_or("UNKNOWN");
    if current != "RUNNING" {
        return Err(unexpected_state(&id, current));
    }
    let mut spec = spec_of(&Value::Object(c.clone()));
    spec.remove("num_workers");
    spec.remove("autoscale");
    spec.insert(size.0.to_string(), size.1);
    let mut c = apply_spec(&ws, &c, spec)?;
    c.insert("state".into(), json!("RESIZING"));
    c.insert("state_message".into(), json!("Resizing the cluster."));
    save(&mut ws, c);
    Ok(Json(json!({})))
}

/// `POST clusters/pin` (admin only, idempotent: databricks-api.md §1.2). The pin shows in `get` and `list` as
/// `pinned_by_user_name`, the pinning user's numeric id, as in the provider's exporter fixtures
/// (shared/reference/exporter-fixtures/get-cluster-test1-response.json, clusters-list-response.json). There is
/// no `is_pinned` field: `ClusterDetails` has none (sdk@v0.93.0:service/compute/model.go:596ff, nor
/// databricks-sdk-go v0.175.0 or databricks-sdk-py 0.162.0); `is_pinned` exists only as the list filter
/// `filter_by.is_pinned` (`ListClustersFilterBy`, sdk@v0.93.0:service/compute/model.go:4477-4478), which is how
/// the provider reads the pin (provider-behaviour.md §3.4).
async fn pin(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Bytes,
) -> Reply {
    let (mut ws, _, mut c) = locked_cluster(&state, &body)?;
    if !c.contains_key("pinned_by_user_name") {
        // The service records the pinning user's numeric id.
        let who = caller_id(&ws, &principal);
        c.insert("pinned_by_user_name".into(), json!(who));
        save(&mut ws, c);
    }
    Ok(Json(json!({})))
}

/// `POST clusters/unpin`: idempotent, like `pin`.
async fn unpin(State(state): State<AppState>, body: Bytes) -> Reply {
    let (mut ws, _, mut c) = locked_cluster(&state, &body)?;
    if c.remove("pinned_by_user_name").is_some() {
        save(&mut ws, c);
    }
    Ok(Json(json!({})))
}

async fn change_owner(State(state): State<AppState>, body: Bytes) -> Reply {
    let (body, id) = cluster_id_of(&body)?;
    let owner = required_str(&body, "owner_username")?;
    let mut ws = state.workspace();
    let mut c = load(&ws, &id)?;
    c.insert("creator_user_name".into(), json!(owner));
    save(&mut ws, c);
    Ok(Json(json!({})))
}

async fn spark_versions(State(state): State<AppState>) -> Json<Value> {
    Json(state.workspace().spark_versions.clone())
}

async fn list_node_types(State(state): State<AppState>) -> Json<Value> {
    Json(state.workspace().node_types.clone())
}

async fn list_zones(State(state): State<AppState>) -> Json<Value> {
    Json(state.workspace().zones.clone())
}
