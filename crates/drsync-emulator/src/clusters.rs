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

use super::auth::Principal;
use super::catalog::Cloud;
use super::error::ApiError;
use super::params::{json_body, Query};
use super::state::{now_ms, obj_mut, Workspace};
use super::view::{Obj, Part};
use super::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::cell::OnceCell;
use std::cmp::Reverse;
use std::collections::BTreeMap;

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

const STATES: &[&str] = &[
    "PENDING",
    "RUNNING",
    "RESTARTING",
    "RESIZING",
    "TERMINATING",
    "TERMINATED",
    "ERROR",
    "UNKNOWN",
];

const SOURCES: &[&str] = &[
    "API",
    "JOB",
    "MODELS",
    "PIPELINE",
    "PIPELINE_MAINTENANCE",
    "SQL",
    "UI",
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

/// A JSON request body that must be an object.
fn body_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match json_body::<Value>(body)? {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::malformed(
            "Could not parse request object: Expected a JSON object",
        )),
    }
}

/// A required, non-empty string field of a request body.
fn required_str(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(ApiError::invalid_parameter(
            format!("Missing required field: {key}"),
        )),
        Some(other) => Err(ApiError::invalid_parameter(format!(
            "Invalid value for field {key}: expected a string but got {other}"
        ))),
    }
}

/// The user name a request acts as: the OAuth client id, or the workspace user behind PATs.
fn caller(ws: &Workspace, principal: &Option<Extension<Principal>>) -> String {
    match principal {
        Some(Extension(Principal(Some(client_id)))) => client_id.clone(),
        _ => ws.user_name(),
    }
}

fn str_field<'a>(c: &'a Value, key: &str) -> &'a str {
    c.get(key).and_then(Value::as_str).unwrap_or("")
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

// ---------------------------------------------------------------------------------------------------------
// Configuration: validation, server defaults and computed sizes

/// A node type of the workspace's catalog.
fn node_type<'a>(ws: &'a Workspace, id: &str) -> Option<&'a Value> {
    ws.node_types
        .get("node_types")
        .and_then(Value::as_array)
        .and_then(|nodes| nodes.iter().find(|n| str_field(n, "node_type_id") == id))
}

fn check_node_type(ws: &Workspace, id: &str) -> Result<(), ApiError> {
    if node_type(ws, id).is_some() {
        return Ok(());
    }
    let supported: Vec<&str> = ws
        .node_types
        .get("node_types")
        .and_then(Value::as_array)
        .map(|nodes| {
            nodes
                .iter()
                .filter(|n| n.get("is_hidden") != Some(&Value::Bool(true)))
                .map(|n| str_field(n, "node_type_id"))
                .collect()
        })
        .unwrap_or_default();
    Err(ApiError::invalid_parameter(format!(
        "Node type {id} is not supported. Supported node types: {}",
        supported.join(", ")
    )))
}

fn check_spark_version(ws: &Workspace, key: &str) -> Result<(), ApiError> {
    let known = ws
        .spark_versions
        .get("versions")
        .and_then(Value::as_array)
        .is_some_and(|vs| vs.iter().any(|v| str_field(v, "key") == key));
    if known {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(format!(
            "Invalid spark version {key}."
        )))
    }
}

fn pool_node_type(ws: &Workspace, pool_id: &str) -> Result<Option<String>, ApiError> {
    match ws.pools.get(pool_id) {
        Some(pool) => Ok(pool
            .get("node_type_id")
            .and_then(Value::as_str)
            .map(str::to_string)),
        None => Err(ApiError::invalid_parameter(format!(
            "Can't find an instance pool with id: {pool_id}."
        ))),
    }
}

/// Insert `key: value` into `map` unless the caller set it.
fn default_field(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !map.contains_key(key) {
        map.insert(key.to_string(), value);
    }
}

/// Validate a ClusterSpec and return the configuration part of a `clusters/get` body: the spec as sent plus
/// the defaults the server fills, each with its source below. `spec` holds exactly what the caller sent.
///
/// Not filled, for want of a source: `autotermination_minutes` (unset means the cluster never auto-terminates,
/// sdk@v0.93.0:service/compute/model.go:601-606, provider-behaviour.md §3.2; issue #13 item 6),
/// `data_security_mode` (omitting it leaves the cluster without one, "Custom" in the UI, not `NONE`:
/// databricks/terraform-provider-databricks#2866), and on GCP `enable_elastic_disk` and
/// `gcp_attributes.availability`.
fn effective_config(
    ws: &Workspace,
    spec: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let spark_version = required_str(spec, "spark_version")?;
    check_spark_version(ws, &spark_version)?;
    let mut cfg = spec.clone();
    for key in OUTPUT_ONLY {
        cfg.remove(*key);
    }
    // A request-only flag: ClusterDetails has no such field, so it shows in `spec` only.
    cfg.remove("apply_policy_default_values");
    let pool = spec.get("instance_pool_id").and_then(Value::as_str);
    let driver_pool = spec.get("driver_instance_pool_id").and_then(Value::as_str);
    let pool_node = pool.map(|p| pool_node_type(ws, p)).transpose()?.flatten();
    let driver_pool_node = driver_pool
        .map(|p| pool_node_type(ws, p))
        .transpose()?
        .flatten();
    if let Some(policy) = spec.get("policy_id").and_then(Value::as_str) {
        if !ws.policies.contains_key(policy) {
            return Err(ApiError::invalid_parameter(format!(
                "Can't find a cluster policy with id: {policy}."
            )));
        }
    }
    match spec.get("node_type_id").and_then(Value::as_str) {
        Some(id) => check_node_type(ws, id)?,
        None => match pool_node {
            // A pool-backed cluster reads back its pool's node type: the provider makes `node_type_id` and
            // `driver_node_type_id` Computed for that reason (provider-behaviour.md §3.3, §3.4 "node types on a
            // pool-backed cluster").
            Some(ref id) => {
                cfg.insert("node_type_id".into(), json!(id));
            }
            None if spec.contains_key("policy_id") => {}
            None => {
                return Err(ApiError::invalid_parameter(
                    "Missing required field 'node_type_id'",
                ))
            }
        },
    }
    match spec.get("driver_node_type_id").and_then(Value::as_str) {
        Some(id) => check_node_type(ws, id)?,
        None => {
            // SDK `ClusterDetails.driver_node_type_id`: "if unset, the driver node type will be set as the same
            // value as `node_type_id`" (sdk@v0.93.0:service/compute/model.go, ClusterDetails); a driver pool
            // gives its node type as the worker pool does (provider-behaviour.md §3.3).
            if let Some(id) = driver_pool_node.or_else(|| {
                cfg.get("node_type_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            }) {
                cfg.insert("driver_node_type_id".into(), json!(id));
            }
        }
    }
    if let Some(auto) = spec.get("autoscale") {
        let min = auto.get("min_workers").and_then(Value::as_i64).unwrap_or(0);
        let max = auto.get("max_workers").and_then(Value::as_i64).unwrap_or(0);
        if min < 0 || max < min || max == 0 {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid autoscale configuration: min_workers ({min}) must be at least 0 and max_workers \
                 ({max}) at least 1 and not less than min_workers"
            )));
        }
        // No `num_workers` beside `autoscale`: whether the service sends one is provider-behaviour.md §14 Q3
        // (open). The provider's own fixtures of autoscaling clusters have none (exporter-fixtures
        // get-cluster-awscluster-response.json and clusters-list-response.json), and the provider defaults
        // `num_workers` to 0 with no suppressor (clusters/resource_cluster.go, `SetDefault(0)`), so a service
        // that sent one would give every autoscaling cluster Terraform manages a permanent diff. The cluster
        // runs `min_workers` at first (SDK `AutoScale.min_workers`), which `current_workers` reads.
    } else {
        match spec.get("num_workers") {
            // A fixed-size cluster without `num_workers` has no workers; the read shows the desired count
            // (databricks-api.md §4 Clusters, "Note") [UNVERIFIED that a 0 is echoed].
            None => {
                cfg.insert("num_workers".into(), json!(0));
            }
            Some(n) if n.as_i64().is_some_and(|n| n >= 0) => {}
            Some(n) => {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid num_workers {n}: must be a non-negative integer"
                )))
            }
        }
    }
    // Checked only: an unset value is not filled (see above). 0, or 10..=10000 (SDK docstring,
    // sdk@v0.93.0:service/compute/model.go:601-606; databricks-api.md §4 Clusters).
    if let Some(m) = spec.get("autotermination_minutes") {
        let ok = m
            .as_i64()
            .is_some_and(|m| m == 0 || (10..=10_000).contains(&m));
        if !ok {
            return Err(ApiError::invalid_parameter(format!(
                "Automatic termination minutes must be 0 or between 10 and 10000, got {m}"
            )));
        }
    }
    // `enable_elastic_disk` and `enable_local_disk_encryption` appear in `get` even if never set
    // (databricks-api.md §4 Clusters, "Server-filled defaults" [UNVERIFIED exact set]). Values: AWS `false` and
    // `false` (databricks-api.md §7 `cluster_get_running.json`, whose `spec` has neither); Azure elastic disk
    // `true` (§7 `cluster_get_terminated.json`; exporter fixture get-cluster-test1-response.json). Azure disk
    // encryption and both on GCP have no source and are not filled.
    match ws.cloud {
        Cloud::Aws => {
            default_field(&mut cfg, "enable_elastic_disk", json!(false));
            default_field(&mut cfg, "enable_local_disk_encryption", json!(false));
        }
        Cloud::Azure => default_field(&mut cfg, "enable_elastic_disk", json!(true)),
        Cloud::Gcp => {}
    }
    if pool.is_none() {
        cloud_defaults(ws, &mut cfg);
    }
    resolve_zone(ws, &mut cfg);
    Ok(cfg)
}

/// A concrete availability zone of the workspace's region: `list-zones`' `default_zone`, else its first zone.
fn concrete_zone(ws: &Workspace) -> Option<&str> {
    fn non_empty(v: &Value) -> Option<&str> {
        v.as_str().filter(|z| !z.is_empty())
    }
    ws.zones
        .get("default_zone")
        .and_then(non_empty)
        .or_else(|| {
            ws.zones
                .get("zones")
                .and_then(Value::as_array)
                .and_then(|zs| zs.iter().find_map(non_empty))
        })
}

/// Zone `auto` resolved: on AWS the top level of `get`/`list` shows the concrete zone the cluster was placed in
/// (here the region's default zone from `list-zones`), while `spec` keeps `"auto"` as sent. This follows issue
/// #13 ("HCL `zone_id = "auto"` against a live concrete zone (the API resolves `auto`)"); whether the service
/// echoes `auto` or the resolved zone is provider-behaviour.md §14 Q4, still open. SDK `AwsAttributes.zone_id`:
/// with `"auto"` it "will try to place cluster in a zone with high availability". Only
/// all-purpose clusters: cluster specs inside job settings are stored as sent.
fn resolve_zone(ws: &Workspace, cfg: &mut Map<String, Value>) {
    if ws.cloud != Cloud::Aws {
        return;
    }
    let Some(zone) = concrete_zone(ws) else {
        return;
    };
    if let Some(aws) = cfg.get_mut("aws_attributes").and_then(Value::as_object_mut) {
        let is_auto = aws
            .get("zone_id")
            .and_then(Value::as_str)
            .is_some_and(|z| z.eq_ignore_ascii_case("auto"));
        if is_auto {
            aws.insert("zone_id".into(), json!(zone));
        }
    }
}

/// The cloud attributes a workspace fills when a cluster does not come from a pool, each with its source.
fn cloud_defaults(ws: &Workspace, cfg: &mut Map<String, Value>) {
    let (key, defaults) = match ws.cloud {
        // SDK `AwsAttributes` (sdk@v0.93.0:service/compute/model.go): an unset `zone_id` means "auto" (resolved
        // by [`resolve_zone`]), `spot_bid_price_percent` "If not specified, the default value is 100".
        // `availability`, `first_on_demand` and `ebs_volume_count` are among the server-filled defaults of
        // databricks-api.md §4 Clusters [UNVERIFIED exact set]; the values are those of §7
        // `cluster_get_running.json` (`ebs_volume_count: 0` and the bid percent appear at the top level but
        // not in its `spec`) and of the provider's exporter fixture get-cluster-awscluster-response.json.
        Cloud::Aws => (
            "aws_attributes",
            json!({
                "zone_id": "auto",
                "availability": "SPOT_WITH_FALLBACK",
                "first_on_demand": 1,
                "spot_bid_price_percent": 100,
                "ebs_volume_count": 0,
            }),
        ),
        // SDK `AzureAttributes.spot_bid_max_price`: "If not specified, the default value is -1". Availability
        // and `first_on_demand` as in databricks-api.md §7 `cluster_get_terminated.json` and the exporter
        // fixture get-cluster-test1-response.json [UNVERIFIED that they are defaults].
        Cloud::Azure => (
            "azure_attributes",
            json!({"first_on_demand": 1, "availability": "ON_DEMAND_AZURE", "spot_bid_max_price": -1.0}),
        ),
        // SDK `GcpAttributes.zone_id`: "HA" is the [default].
        Cloud::Gcp => ("gcp_attributes", json!({"zone_id": "HA"})),
    };
    let attrs = cfg
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let (Some(attrs), Value::Object(defaults)) = (attrs.as_object_mut(), defaults) {
        for (k, v) in defaults {
            attrs.entry(k).or_insert(v);
        }
    }
}

/// Workers the cluster runs now: `num_workers` (for autoscaling clusters, the current target).
fn current_workers(c: &Map<String, Value>) -> i64 {
    c.get("num_workers")
        .and_then(Value::as_i64)
        .or_else(|| {
            c.get("autoscale")
                .and_then(|a| a.get("min_workers"))
                .and_then(Value::as_i64)
        })
        .unwrap_or(0)
}

/// Set `cluster_memory_mb` and `cluster_cores` from the node types: driver plus current workers.
fn set_size(ws: &Workspace, c: &mut Map<String, Value>) {
    let node = |key: &str| {
        c.get(key)
            .and_then(Value::as_str)
            .and_then(|id| node_type(ws, id))
            .map(|n| {
                (
                    n.get("memory_mb").and_then(Value::as_i64).unwrap_or(0),
                    n.get("num_cores").and_then(Value::as_f64).unwrap_or(0.0),
                )
            })
    };
    let (Some(worker), Some(driver)) = (node("node_type_id"), node("driver_node_type_id")) else {
        return;
    };
    let n = current_workers(c);
    let memory = driver.0 + worker.0 * n;
    // n is a small worker count, exactly representable as f64.
    #[allow(clippy::cast_precision_loss)]
    let cores = driver.1 + worker.1 * n as f64;
    c.insert("cluster_memory_mb".into(), json!(memory));
    c.insert("cluster_cores".into(), json!(cores));
}

/// Replace a cluster's configuration with `spec`: keep its output-only fields, put the effective
/// configuration beside them, record `spec`, and refresh the name tag and sizes.
fn apply_spec(
    ws: &Workspace,
    current: &Map<String, Value>,
    spec: Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let cfg = effective_config(ws, &spec)?;
    let mut c: Map<String, Value> = current
        .iter()
        .filter(|(k, _)| OUTPUT_ONLY.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    c.extend(cfg);
    let name = c
        .get("cluster_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(tags) = c.get_mut("default_tags").and_then(Value::as_object_mut) {
        tags.insert("ClusterName".into(), json!(name));
    }
    c.insert("spec".into(), Value::Object(spec));
    set_size(ws, &mut c);
    Ok(c)
}

/// The user-facing configuration of a stored cluster: its `spec`, or (for fixtures without one) the body
/// minus output-only fields.
fn spec_of(c: &Value) -> Map<String, Value> {
    if let Some(spec) = c.get("spec").and_then(Value::as_object) {
        return spec.clone();
    }
    c.as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| !OUTPUT_ONLY.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------------------
// The state machine

/// One Spark node as `driver`/`executors` show it.
fn spark_node(ws: &mut Workspace, spot: bool) -> Value {
    let cloud = ws.cloud;
    let (b, c) = (octet(ws), octet(ws));
    let node_id = hex32(ws);
    let now = now_ms();
    match cloud {
        Cloud::Aws => {
            let instance = &hex32(ws)[..17];
            let ip = format!("10.10.{b}.{c}");
            json!({
                "private_ip": ip,
                "public_dns": "",
                "node_id": node_id,
                "instance_id": format!("i-{instance}"),
                "start_timestamp": now,
                "host_private_ip": ip,
                "node_aws_attributes": {"is_spot": spot},
            })
        }
        Cloud::Azure | Cloud::Gcp => json!({
            "private_ip": format!("10.139.64.{c}"),
            "public_dns": "",
            "node_id": node_id,
            "instance_id": hex32(ws),
            "start_timestamp": now,
            "host_private_ip": format!("10.139.0.{c}"),
        }),
    }
}

/// Whether workers (and, with `first_on_demand` 0, the driver) run on spot capacity.
fn spot_of(c: &Map<String, Value>) -> (bool, bool) {
    let Some(aws) = c.get("aws_attributes") else {
        return (false, false);
    };
    let spot = matches!(
        aws.get("availability").and_then(Value::as_str),
        Some("SPOT" | "SPOT_WITH_FALLBACK")
    );
    let first_on_demand = aws
        .get("first_on_demand")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    (spot && first_on_demand < 1, spot)
}

/// Give a cluster fresh driver and executors for its current size.
fn provision(ws: &mut Workspace, c: &mut Map<String, Value>) {
    let (driver_spot, worker_spot) = spot_of(c);
    let driver = spark_node(ws, driver_spot);
    let n = current_workers(c).clamp(0, 1000);
    let executors: Vec<Value> = (0..n).map(|_| spark_node(ws, worker_spot)).collect();
    c.insert("driver".into(), driver);
    if executors.is_empty() {
        c.remove("executors");
    } else {
        c.insert("executors".into(), Value::Array(executors));
    }
}

/// Advance one step of the state machine: `PENDING`/`RESTARTING`/`RESIZING` → `RUNNING`,
/// `TERMINATING` → `TERMINATED`. Other states are left alone.
fn step(ws: &mut Workspace, c: &mut Map<String, Value>) {
    let state = c
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let now = now_ms();
    match state.as_str() {
        "PENDING" | "RESTARTING" => {
            if state == "RESTARTING" {
                c.insert("last_restarted_time".into(), json!(now));
                c.insert("last_state_loss_time".into(), json!(now));
            }
            c.insert("spark_context_id".into(), json!(ws.random_i64()));
            provision(ws, c);
            c.insert("state".into(), json!("RUNNING"));
            c.insert("state_message".into(), json!(""));
            c.remove("termination_reason");
            c.remove("terminated_time");
            // A (re)start applies pending library removals.
            if let Some(id) = c.get("cluster_id").and_then(Value::as_str) {
                if let Some(libs) = ws.libraries.get_mut(id) {
                    libs.retain(|l| {
                        l.get("status").and_then(Value::as_str) != Some("UNINSTALL_ON_RESTART")
                    });
                }
            }
        }
        "RESIZING" => {
            let (_, worker_spot) = spot_of(c);
            let n = usize::try_from(current_workers(c).clamp(0, 1000)).unwrap_or(0);
            let mut executors: Vec<Value> = c
                .get("executors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            executors.truncate(n);
            while executors.len() < n {
                executors.push(spark_node(ws, worker_spot));
            }
            if executors.is_empty() {
                c.remove("executors");
            } else {
                c.insert("executors".into(), Value::Array(executors));
            }
            c.insert("state".into(), json!("RUNNING"));
            c.insert("state_message".into(), json!(""));
        }
        "TERMINATING" => {
            c.insert("state".into(), json!("TERMINATED"));
            c.insert("state_message".into(), json!(""));
            c.insert("terminated_time".into(), json!(now));
            c.remove("driver");
            c.remove("executors");
        }
        _ => {}
    }
}

fn is_transitional(c: &Value) -> bool {
    matches!(
        str_field(c, "state"),
        "PENDING" | "RESTARTING" | "RESIZING" | "TERMINATING"
    )
}

/// The read side of the state machine: advance one cluster, if it is between states.
fn tick(ws: &mut Workspace, id: &str) {
    let Some(Value::Object(mut c)) = ws.clusters.get(id).filter(|c| is_transitional(c)).cloned()
    else {
        return;
    };
    step(ws, &mut c);
    ws.clusters.insert(id.to_string(), Value::Object(c));
}

fn tick_all(ws: &mut Workspace) {
    let ids = ws.clusters.list_index().transitional.clone();
    for id in ids {
        tick(ws, &id);
    }
}

/// The stored cluster as an object, or the not-found 400.
fn load(ws: &Workspace, id: &str) -> Result<Map<String, Value>, ApiError> {
    ws.clusters
        .get(id)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| no_such_cluster(id))
}

fn save(ws: &mut Workspace, c: Map<String, Value>) {
    if let Some(id) = c.get("cluster_id").and_then(Value::as_str) {
        ws.clusters.insert(id.to_string(), Value::Object(c));
    }
}

// ---------------------------------------------------------------------------------------------------------
// List: filters, sorting and paging

/// `filter_by.*` of `2.1/clusters/list`.
#[derive(Debug, Default, Clone, PartialEq)]
struct Filter {
    states: Vec<String>,
    sources: Vec<String>,
    is_pinned: Option<bool>,
    policy_id: Option<String>,
}

impl Filter {
    fn parse(q: &Query) -> Result<Self, ApiError> {
        let enum_values = |key: &str, allowed: &[&str]| -> Result<Vec<String>, ApiError> {
            q.get_all(key)
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    if allowed.contains(&v) {
                        Ok(v.to_string())
                    } else {
                        Err(ApiError::invalid_parameter(format!(
                            "Invalid value '{v}' for parameter {key}. Allowed values: {}",
                            allowed.join(", ")
                        )))
                    }
                })
                .collect()
        };
        Ok(Filter {
            states: enum_values("filter_by.cluster_states", STATES)?,
            sources: enum_values("filter_by.cluster_sources", SOURCES)?,
            is_pinned: q.get_bool("filter_by.is_pinned")?,
            policy_id: q.get("filter_by.policy_id").map(str::to_string),
        })
    }

    /// Whether a cluster passes; it looks up only the fields a filter is set for. `is_pinned` matches the clusters
    /// that carry `pinned_by_user_name` (see [`pin`]).
    fn matches(&self, c: &Value) -> bool {
        (self.states.is_empty() || {
            let state = str_field(c, "state");
            self.states.iter().any(|s| s == state)
        }) && (self.sources.is_empty() || {
            let source = str_field(c, "cluster_source");
            self.sources.iter().any(|s| s == source)
        }) && self
            .is_pinned
            .is_none_or(|p| p == c.get("pinned_by_user_name").is_some())
            && self
                .policy_id
                .as_deref()
                .is_none_or(|p| str_field(c, "policy_id") == p)
    }
}

/// `sort_by.field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    /// State, then pinned before unpinned, then name: the service's default order (SDK `ListClustersSortBy`:
    /// "highest to lowest precedence: cluster state, pinned or unpinned, then cluster name",
    /// sdk@v0.93.0:service/compute/model.go:4542ff).
    Default,
    ClusterName,
}

fn parse_sort(q: &Query) -> Result<(SortField, bool), ApiError> {
    let field = match q.get("sort_by.field") {
        None | Some("DEFAULT") => SortField::Default,
        Some("CLUSTER_NAME") => SortField::ClusterName,
        Some(other) => {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid value '{other}' for parameter sort_by.field. Allowed values: CLUSTER_NAME, DEFAULT"
            )))
        }
    };
    let desc = match q.get("sort_by.direction") {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(other) => {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid value '{other}' for parameter sort_by.direction. Allowed values: ASC, DESC"
            )))
        }
    };
    Ok((field, desc))
}

fn state_rank(c: &Value) -> usize {
    const ORDER: &[&str] = &[
        "RUNNING",
        "PENDING",
        "RESTARTING",
        "RESIZING",
        "TERMINATING",
        "TERMINATED",
        "ERROR",
        "UNKNOWN",
    ];
    let state = str_field(c, "state");
    ORDER
        .iter()
        .position(|s| *s == state)
        .unwrap_or(ORDER.len())
}

/// Where a cluster sorts: by name (case-insensitive, then as written) and id; the default order puts state rank
/// and pinned-before-unpinned first.
type SortKey<'a> = (usize, bool, String, &'a str, &'a str);

fn sort_key(c: &Value, field: SortField) -> SortKey<'_> {
    let name = str_field(c, "cluster_name");
    let (rank, unpinned) = match field {
        SortField::ClusterName => (0, false),
        SortField::Default => (state_rank(c), c.get("pinned_by_user_name").is_none()),
    };
    (
        rank,
        unpinned,
        name.to_lowercase(),
        name,
        str_field(c, "cluster_id"),
    )
}

/// The positions of `items` in sort order: a stable sort, each key computed once.
fn sort_order(items: &[&Value], field: SortField, desc: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    if desc {
        order.sort_by_cached_key(|i| Reverse(sort_key(items[*i], field)));
    } else {
        order.sort_by_cached_key(|i| sort_key(items[*i], field));
    }
    order
}

/// What every `clusters/list` needs from all the clusters, derived once per change (see `state::Clusters`):
/// which clusters are between states, and each sort order (built on first use).
#[derive(Debug, Default)]
pub(crate) struct ListIndex {
    /// Ids of the clusters the next read advances.
    transitional: Vec<String>,
    /// Positions in the id-ordered map, per sort field and direction (see [`ListIndex::slot`]).
    orders: [OnceCell<Vec<usize>>; 4],
}

impl ListIndex {
    pub(crate) fn new(clusters: &BTreeMap<String, Value>) -> Self {
        ListIndex {
            transitional: clusters
                .iter()
                .filter(|(_, c)| is_transitional(c))
                .map(|(id, _)| id.clone())
                .collect(),
            orders: Default::default(),
        }
    }

    fn slot(field: SortField, desc: bool) -> usize {
        let field = match field {
            SortField::Default => 0,
            SortField::ClusterName => 2,
        };
        field + usize::from(desc)
    }

    /// The clusters in the given order. `all` must be the values of the map this index was built from.
    fn sorted<'a>(&self, all: &[&'a Value], field: SortField, desc: bool) -> Vec<&'a Value> {
        self.orders[Self::slot(field, desc)]
            .get_or_init(|| sort_order(all, field, desc))
            .iter()
            .filter_map(|i| all.get(*i).copied())
            .collect()
    }
}

/// Every cluster in the given order, advancing the ones between states first.
fn sorted_clusters(ws: &mut Workspace, field: SortField, desc: bool) -> Vec<&Value> {
    tick_all(ws);
    let all: Vec<&Value> = ws.clusters.values().collect();
    ws.clusters.list_index().sorted(&all, field, desc)
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("clusters/list:{offset}"))
}

fn decode_token(token: &str) -> Result<usize, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.strip_prefix("clusters/list:")
                .and_then(|n| n.parse().ok())
        })
        .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid page token: {token}")))
}

/// A list item: the `get` body without `spec` ("`spec` is **not** included in list items", databricks-api.md
/// §1.2 notes and §4 Clusters), borrowed from the stored cluster.
fn list_item(c: &Value) -> Part<'_> {
    match c.as_object() {
        Some(o) => Part::Obj(Obj::from_map(o, |k, _| k != "spec")),
        None => Part::Value(c),
    }
}

/// One page of `2.1/clusters/list`, from the already filtered and sorted clusters.
fn page<'a>(items: &[&'a Value], offset: usize, size: usize) -> Obj<'a> {
    let mut body = Obj::with_capacity(3);
    let offset = offset.min(items.len());
    let end = offset.saturating_add(size).min(items.len());
    if end > offset {
        body.put(
            "clusters",
            Part::List(items[offset..end].iter().map(|c| list_item(c)).collect()),
        );
    }
    if end < items.len() {
        body.put("next_page_token", Part::String(encode_token(end)));
    }
    if offset > 0 {
        body.put(
            "prev_page_token",
            Part::String(encode_token(offset.saturating_sub(size))),
        );
    }
    body
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

async fn delete(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Bytes,
) -> Reply {
    let (_, id) = cluster_id_of(&body)?;
    let mut ws = state.workspace();
    let mut c = load(&ws, &id)?;
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
    Ok(Json(json!({})))
}

async fn start(State(state): State<AppState>, body: Bytes) -> Reply {
    let (_, id) = cluster_id_of(&body)?;
    let mut ws = state.workspace();
    let mut c = load(&ws, &id)?;
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
    let (_, id) = cluster_id_of(&body)?;
    let mut ws = state.workspace();
    let mut c = load(&ws, &id)?;
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
    let (_, id) = cluster_id_of(&body)?;
    let mut ws = state.workspace();
    let mut c = load(&ws, &id)?;
    if !c.contains_key("pinned_by_user_name") {
        // The service records the pinning user's numeric id.
        let who = match &principal {
            Some(Extension(Principal(Some(client_id)))) => client_id.clone(),
            _ => ws
                .me
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| ws.user_name(), str::to_string),
        };
        c.insert("pinned_by_user_name".into(), json!(who));
        save(&mut ws, c);
    }
    Ok(Json(json!({})))
}

/// `POST clusters/unpin`: idempotent, like `pin`.
async fn unpin(State(state): State<AppState>, body: Bytes) -> Reply {
    let (_, id) = cluster_id_of(&body)?;
    let mut ws = state.workspace();
    let mut c = load(&ws, &id)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fixtures;

    fn ws(cloud: Cloud) -> Workspace {
        Workspace::new(cloud, Fixtures::default(), 7)
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn states_are_title_cased_in_messages() {
        assert_eq!(title_case("PENDING"), "Pending");
        let e = unexpected_state("0923-164208-meows279", "PENDING");
        assert_eq!(
            e.message,
            "Cluster 0923-164208-meows279 is in unexpected state Pending."
        );
        assert_eq!(e.error_code, json!("INVALID_STATE"));
    }

    #[test]
    fn aws_defaults_fill_what_was_not_sent_and_keep_what_was() {
        let w = ws(Cloud::Aws);
        let spec = obj(json!({
            "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge",
            "num_workers": 2,
            "aws_attributes": {"zone_id": "auto"},
            "x_unknown": {"kept": true},
        }));
        let cfg = effective_config(&w, &spec).unwrap();
        // `auto` is resolved to a zone of the region at the top level.
        assert_eq!(cfg["aws_attributes"]["zone_id"], "us-east-1b");
        assert_eq!(cfg["aws_attributes"]["availability"], "SPOT_WITH_FALLBACK");
        assert_eq!(cfg["aws_attributes"]["spot_bid_price_percent"], 100);
        assert_eq!(cfg["aws_attributes"]["first_on_demand"], 1);
        assert_eq!(cfg["driver_node_type_id"], "i3.xlarge");
        assert!(cfg.get("autotermination_minutes").is_none());
        assert!(cfg.get("data_security_mode").is_none());
        assert_eq!(cfg["enable_elastic_disk"], false);
        assert_eq!(cfg["x_unknown"], json!({"kept": true}));
        let with_flag = obj(
            json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
            "apply_policy_default_values": true}),
        );
        assert!(effective_config(&w, &with_flag)
            .unwrap()
            .get("apply_policy_default_values")
            .is_none());
        let no_zone =
            obj(json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge"}));
        let cfg = effective_config(&w, &no_zone).unwrap();
        assert_eq!(cfg["aws_attributes"]["zone_id"], "us-east-1b");
        assert_eq!(cfg["num_workers"], 0);
        // An explicit zone stays; without a default zone the first zone of the region is used.
        let explicit = obj(
            json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
            "aws_attributes": {"zone_id": "us-east-1d"}}),
        );
        assert_eq!(
            effective_config(&w, &explicit).unwrap()["aws_attributes"]["zone_id"],
            "us-east-1d"
        );
        let mut no_default = ws(Cloud::Aws);
        no_default.zones = json!({"zones": ["eu-west-1c", "eu-west-1a"]});
        assert_eq!(
            effective_config(&no_default, &spec).unwrap()["aws_attributes"]["zone_id"],
            "eu-west-1c"
        );
        no_default.zones = json!({});
        assert_eq!(
            effective_config(&no_default, &spec).unwrap()["aws_attributes"]["zone_id"],
            "auto"
        );
    }

    #[test]
    fn azure_and_gcp_defaults() {
        let spec =
            |node: &str| obj(json!({"spark_version": "14.3.x-scala2.12", "node_type_id": node}));
        let cfg = effective_config(&ws(Cloud::Azure), &spec("Standard_DS3_v2")).unwrap();
        assert_eq!(cfg["azure_attributes"]["availability"], "ON_DEMAND_AZURE");
        assert_eq!(cfg["azure_attributes"]["spot_bid_max_price"], -1.0);
        assert_eq!(cfg["enable_elastic_disk"], true);
        assert!(cfg.get("aws_attributes").is_none());
        let cfg = effective_config(&ws(Cloud::Gcp), &spec("n2-highmem-4")).unwrap();
        assert_eq!(cfg["gcp_attributes"], json!({"zone_id": "HA"}));
        assert!(cfg.get("enable_elastic_disk").is_none());
    }

    #[test]
    fn validation_of_versions_node_types_and_refs() {
        let w = ws(Cloud::Aws);
        let err = |v: Value| effective_config(&w, &obj(v)).unwrap_err().message;
        assert!(err(json!({"node_type_id": "i3.xlarge"})).contains("spark_version"));
        assert!(
            err(json!({"spark_version": "1.0.x-scala2.10", "node_type_id": "i3.xlarge"}))
                .starts_with("Invalid spark version")
        );
        assert!(
            err(json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "Standard_F4s"}))
                .starts_with("Node type Standard_F4s is not supported")
        );
        assert_eq!(
            err(json!({"spark_version": "15.4.x-scala2.12"})),
            "Missing required field 'node_type_id'"
        );
        assert!(
            err(json!({"spark_version": "15.4.x-scala2.12", "instance_pool_id": "nope"}))
                .contains("instance pool")
        );
        assert!(err(
            json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
            "autotermination_minutes": 5})
        )
        .contains("termination"));
    }

    #[test]
    fn sizes_come_from_the_node_types() {
        let w = ws(Cloud::Aws);
        let spec = obj(
            json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
            "autoscale": {"min_workers": 3, "max_workers": 8}}),
        );
        let c = apply_spec(&w, &Map::new(), spec.clone()).unwrap();
        assert_eq!(c["cluster_memory_mb"], 124_928);
        assert_eq!(c["cluster_cores"], 16.0);
        // Sized at min_workers, without a `num_workers` beside `autoscale` (see `effective_config`).
        assert!(c.get("num_workers").is_none());
        assert_eq!(c["spec"], Value::Object(spec));
    }

    fn running_cluster(w: &mut Workspace) -> Map<String, Value> {
        let mut c = apply_spec(
            w,
            &obj(json!({"cluster_id": "c1", "state": "PENDING", "default_tags": {}})),
            obj(json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 2})),
        )
        .unwrap();
        step(w, &mut c);
        c
    }

    #[test]
    fn state_machine_steps() {
        let mut w = ws(Cloud::Aws);
        let mut c = running_cluster(&mut w);
        assert_eq!(c["state"], "RUNNING");
        assert_eq!(c["executors"].as_array().unwrap().len(), 2);
        assert_eq!(c["driver"]["node_aws_attributes"]["is_spot"], false);
        assert_eq!(c["executors"][0]["node_aws_attributes"]["is_spot"], true);
        let first_context = c["spark_context_id"].as_i64().unwrap();
        assert!(first_context > 1 << 53);
        c.insert("state".into(), json!("RESTARTING"));
        step(&mut w, &mut c);
        assert_eq!(c["state"], "RUNNING");
        assert_ne!(c["spark_context_id"].as_i64().unwrap(), first_context);
        assert!(c.contains_key("last_restarted_time"));
        c.insert("num_workers".into(), json!(4));
        c.insert("state".into(), json!("RESIZING"));
        step(&mut w, &mut c);
        assert_eq!(c["executors"].as_array().unwrap().len(), 4);
        c.insert("state".into(), json!("TERMINATING"));
        step(&mut w, &mut c);
        assert_eq!(c["state"], "TERMINATED");
        assert!(c.get("driver").is_none() && c.get("executors").is_none());
        assert!(c.contains_key("terminated_time"));
        let before = c.clone();
        step(&mut w, &mut c);
        assert_eq!(c, before, "TERMINATED is a resting state");
    }

    #[test]
    fn restart_drops_libraries_marked_for_uninstall() {
        let mut w = ws(Cloud::Aws);
        w.libraries.insert(
            "c1".into(),
            vec![
                json!({"library": {"pypi": {"package": "a"}}, "status": "INSTALLED"}),
                json!({"library": {"pypi": {"package": "b"}}, "status": "UNINSTALL_ON_RESTART"}),
            ],
        );
        let _ = running_cluster(&mut w);
        assert_eq!(w.libraries["c1"].len(), 1);
    }

    fn cluster(id: &str, name: &str, state: &str, source: &str, pinned: bool) -> Value {
        let mut c = json!({"cluster_id": id, "cluster_name": name, "state": state, "cluster_source": source});
        if pinned {
            c["pinned_by_user_name"] = json!("100");
        }
        c
    }

    #[test]
    fn filters() {
        let q = Query::parse(Some(
            "filter_by.cluster_sources=UI&filter_by.cluster_sources=API&filter_by.is_pinned=True",
        ));
        let f = Filter::parse(&q).unwrap();
        assert!(f.matches(&cluster("a", "a", "RUNNING", "UI", true)));
        assert!(!f.matches(&cluster("b", "b", "RUNNING", "JOB", true)));
        assert!(!f.matches(&cluster("c", "c", "RUNNING", "API", false)));
        let f = Filter::parse(&Query::parse(Some(
            "filter_by.cluster_states=TERMINATED&filter_by.policy_id=P1",
        )))
        .unwrap();
        let mut c = cluster("d", "d", "TERMINATED", "UI", false);
        assert!(!f.matches(&c));
        c["policy_id"] = json!("P1");
        assert!(f.matches(&c));
        assert!(Filter::parse(&Query::parse(Some("filter_by.cluster_states=NAPPING"))).is_err());
        assert!(Filter::parse(&Query::parse(Some("filter_by.is_pinned=maybe"))).is_err());
    }

    #[test]
    fn default_sort_is_state_then_pinned_then_name() {
        let items = [
            cluster("1", "zeta", "TERMINATED", "UI", false),
            cluster("2", "beta", "RUNNING", "UI", false),
            cluster("3", "Alpha", "RUNNING", "UI", false),
            cluster("4", "omega", "RUNNING", "UI", true),
            cluster("5", "alpha", "TERMINATED", "UI", true),
        ];
        let items: Vec<&Value> = items.iter().collect();
        let ids: Vec<&str> = sort_order(&items, SortField::Default, false)
            .into_iter()
            .map(|i| str_field(items[i], "cluster_id"))
            .collect();
        assert_eq!(ids, ["4", "3", "2", "5", "1"]);
        let names: Vec<&str> = sort_order(&items, SortField::ClusterName, true)
            .into_iter()
            .map(|i| str_field(items[i], "cluster_name"))
            .collect();
        assert_eq!(names, ["zeta", "omega", "beta", "alpha", "Alpha"]);
        let q = Query::parse(Some("sort_by.field=CLUSTER_NAME&sort_by.direction=DESC"));
        assert_eq!(parse_sort(&q).unwrap(), (SortField::ClusterName, true));
        assert!(parse_sort(&Query::parse(Some("sort_by.field=SIZE"))).is_err());
    }

    #[test]
    fn list_order_follows_every_change_and_reads_advance_states() {
        let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 1);
        for c in [
            cluster("a", "beta", "RUNNING", "UI", false),
            cluster("b", "alpha", "RUNNING", "UI", false),
            cluster("c", "gamma", "PENDING", "UI", false),
        ] {
            ws.clusters
                .insert(str_field(&c, "cluster_id").to_string(), c);
        }
        let ids = |ws: &mut Workspace, field, desc| -> Vec<String> {
            sorted_clusters(ws, field, desc)
                .into_iter()
                .map(|c| str_field(c, "cluster_id").to_string())
                .collect()
        };
        // The first read advances the pending cluster, so it sorts with the running ones.
        assert_eq!(ids(&mut ws, SortField::Default, false), ["b", "a", "c"]);
        assert_eq!(str_field(&ws.clusters["c"], "state"), "RUNNING");
        assert_eq!(ids(&mut ws, SortField::Default, true), ["c", "a", "b"]);
        assert_eq!(ids(&mut ws, SortField::ClusterName, true), ["c", "a", "b"]);
        // A replaced cluster moves, a new one appears, a removed one is gone.
        ws.clusters
            .insert("a".into(), cluster("a", "zeta", "TERMINATED", "UI", false));
        ws.clusters
            .insert("d".into(), cluster("d", "delta", "RUNNING", "UI", true));
        assert_eq!(
            ids(&mut ws, SortField::Default, false),
            ["d", "b", "c", "a"]
        );
        assert_eq!(
            ids(&mut ws, SortField::ClusterName, false),
            ["b", "d", "c", "a"]
        );
        ws.clusters.remove("b");
        assert!(ws.clusters.remove("b").is_none());
        assert_eq!(ids(&mut ws, SortField::Default, false), ["d", "c", "a"]);
        // A cluster put between states is advanced by the next list.
        ws.clusters
            .insert("a".into(), cluster("a", "zeta", "TERMINATING", "UI", false));
        assert_eq!(ids(&mut ws, SortField::Default, true), ["a", "c", "d"]);
        assert_eq!(str_field(&ws.clusters["a"], "state"), "TERMINATED");
    }

    #[test]
    fn paging_tokens_round_trip_and_pages_link() {
        assert_eq!(decode_token(&encode_token(200)).unwrap(), 200);
        assert!(decode_token("garbage!").is_err());
        let stored: Vec<Value> = (0..5)
            .map(|i| json!({"cluster_id": i.to_string(), "spec": {}}))
            .collect();
        let items: Vec<&Value> = stored.iter().collect();
        let page = |items: &[&Value], offset, size| {
            serde_json::to_value(page(items, offset, size)).unwrap()
        };
        let first = page(&items, 0, 2);
        assert_eq!(first["clusters"].as_array().unwrap().len(), 2);
        assert!(first.get("prev_page_token").is_none());
        assert!(first["clusters"][0].get("spec").is_none());
        let next = decode_token(first["next_page_token"].as_str().unwrap()).unwrap();
        let last = page(&items, 4, 2);
        assert!(last.get("next_page_token").is_none());
        assert_eq!(
            decode_token(last["prev_page_token"].as_str().unwrap()).unwrap(),
            2
        );
        assert_eq!(next, 2);
        assert_eq!(page(&[], 0, 100), json!({}));
    }

    #[test]
    fn update_mask_paths() {
        let mut spec = obj(json!({"num_workers": 1, "aws_attributes": {"zone_id": "a"}}));
        let patch = obj(json!({"num_workers": 3, "aws_attributes": {"zone_id": "b"}}));
        apply_mask_path(&mut spec, &patch, "num_workers");
        apply_mask_path(&mut spec, &patch, "aws_attributes.zone_id");
        apply_mask_path(&mut spec, &patch, "custom_tags");
        assert_eq!(
            Value::Object(spec),
            json!({"num_workers": 3, "aws_attributes": {"zone_id": "b"}})
        );
    }
}
