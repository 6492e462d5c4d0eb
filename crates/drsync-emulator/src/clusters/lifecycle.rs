//! The cluster state machine (see the `clusters` module): provisioning the driver and executors, and the one
//! step each read advances a cluster that is between states.

use super::config::current_workers;
use super::*;
use crate::cluster_list::is_transitional;

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
pub(super) fn step(ws: &mut Workspace, c: &mut Map<String, Value>) {
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

/// The read side of the state machine: advance one cluster, if it is between states.
pub(super) fn tick(ws: &mut Workspace, id: &str) {
    let Some(Value::Object(mut c)) = ws.clusters.get(id).filter(|c| is_transitional(c)).cloned()
    else {
        return;
    };
    step(ws, &mut c);
    ws.clusters.insert(id.to_string(), Value::Object(c));
}

pub(super) fn tick_all(ws: &mut Workspace) {
    let ids = ws.clusters.list_index().transitional().to_vec();
    for id in ids {
        tick(ws, &id);
    }
}

/// The stored cluster as an object, or the not-found 400.
pub(super) fn load(ws: &Workspace, id: &str) -> Result<Map<String, Value>, ApiError> {
    ws.clusters
        .get(id)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| no_such_cluster(id))
}

pub(super) fn save(ws: &mut Workspace, c: Map<String, Value>) {
    if let Some(id) = c.get("cluster_id").and_then(Value::as_str) {
        ws.clusters.insert(id.to_string(), Value::Object(c));
    }
}
