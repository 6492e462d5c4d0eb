//! A cluster's configuration: validation against the workspace's catalog, the server defaults a workspace
//! fills (each with its source), and the sizes computed from it. It changes no state.

use super::*;
use crate::json::merge_defaults;

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
pub(super) fn effective_config(
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
    merge_defaults(cfg, key, defaults);
}

/// Workers the cluster runs now: `num_workers` (for autoscaling clusters, the current target).
pub(super) fn current_workers(c: &Map<String, Value>) -> i64 {
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
pub(super) fn apply_spec(
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
pub(super) fn spec_of(c: &Value) -> Map<String, Value> {
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
