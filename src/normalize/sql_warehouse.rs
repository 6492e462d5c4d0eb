//! A SQL warehouse's canonical configuration (`sql_warehouse`): output-only fields dropped, the provider's
//! defaults left out where it sends them anyway, `enable_serverless_compute` and `warehouse_type` always kept,
//! and what the provider 1.99.0 cannot validate excluded. Rules cite `§n` of provider-behaviour.md (see the
//! parent module). No I/O, no HCL.

use super::{drop_zeros, prune, remove_equal, remove_keys, Normalized};
use crate::model::{ResourceKind, SqlWarehouse};
use serde_json::{json, Map, Value};

/// `GetWarehouseResponse` fields that describe the running warehouse, not its configuration (read-only in the
/// provider's schema, §7.3).
const WAREHOUSE_OUTPUT_ONLY: &[&str] = &[
    "id",                  // workspace-specific; the resource's identity in state
    "creator_name",        // who made it
    "state",               // STARTING, RUNNING, STOPPED, ...
    "num_clusters",        // clusters running now
    "num_active_sessions", // sessions now
    "odbc_params",         // connection details of this workspace
    "jdbc_url",            //
    "health",              // the service's view of it; CustomizeDiff clears it (§7.3)
];

/// The provider's schema defaults (§7.2): it sends them when the HCL has none, so a value equal to one needs no
/// HCL (§13 `databricks_sql_endpoint` "Defaults"). `min_num_clusters` is under the generic suppressor (§7.3) and
/// the service's default is 1 (databricks-sdk-py `CreateWarehouseRequest.min_num_clusters`).
fn defaults() -> [(&'static str, Value); 5] {
    [
        ("auto_stop_mins", json!(120)),
        ("enable_photon", json!(true)),
        ("max_num_clusters", json!(1)),
        ("spot_instance_policy", json!("COST_OPTIMIZED")),
        ("min_num_clusters", json!(1)),
    ]
}

/// `cluster_size` values the provider 1.99.0 validates (§7.3).
const PROVIDER_SIZES: &[&str] = &[
    "2X-Small", "X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large", "3X-Large",
    "4X-Large",
];

/// A SQL warehouse's canonical configuration.
pub fn sql_warehouse(w: &SqlWarehouse) -> Normalized {
    let mut spec = match serde_json::to_value(w) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    remove_keys(&mut spec, WAREHOUSE_OUTPUT_ONLY);
    remove_equal(&mut spec, &defaults());
    // The exporter leaves out the current channel (§7.5), which is also what the provider sends with a
    // `channel` block of no name (§7.2), and the block is under the generic suppressor (§7.3).
    if spec.get("channel") == Some(&json!({"name": "CHANNEL_NAME_CURRENT"})) {
        spec.remove("channel");
    }
    // `enable_serverless_compute`, `enable_photon` and `auto_stop_mins` are sent even when false or 0 (§1.2,
    // §7.2) and kept as zeros (`ZEROS_KEPT`); `enable_serverless_compute` and `warehouse_type` are always
    // written (§13), since the default depends on the workspace.
    let mut notes = Vec::new();
    drop_zeros(&mut spec, "", &mut notes);
    let mut config = Value::Object(spec);
    prune(&mut config);
    let mut n = Normalized::new(
        ResourceKind::SqlWarehouses,
        w.id.clone(),
        w.name.clone(),
        0,
        config,
    );
    n.notes = notes;
    n.excluded = not_valid_in_provider(&n.config);
    n
}

/// Why the provider 1.99.0 refuses this warehouse at `terraform validate`, if it does: a size beyond 4X-Large
/// or more than 30 clusters (§7.3; the API allows 5X-Large and 40). The exporter also skips nameless ones
/// (§7.5).
fn not_valid_in_provider(config: &Value) -> Option<String> {
    if config
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Some("it has no name, which the provider requires".to_string());
    }
    if let Some(size) = config.get("cluster_size").and_then(Value::as_str) {
        if !PROVIDER_SIZES.contains(&size) {
            return Some(format!(
                "its size {size} fails `terraform validate` with the provider 1.99.0, which knows sizes up to \
                 4X-Large (fixed in 1.105.0); create it in DR by hand"
            ));
        }
    }
    if let Some(max) = config.get("max_num_clusters").and_then(Value::as_i64) {
        if max > 30 {
            return Some(format!(
                "its {max} clusters fail `terraform validate` with the provider 1.99.0, which allows at most \
                 30 (fixed in 1.105.0); create it in DR by hand"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warehouse(v: Value) -> SqlWarehouse {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn output_and_defaults_dropped_serverless_kept() {
        let w = warehouse(json!({
            "id": "4e8a1b2c3d4e5f60", "name": "bi", "cluster_size": "Small", "auto_stop_mins": 120,
            "enable_photon": true, "enable_serverless_compute": false, "warehouse_type": "CLASSIC",
            "max_num_clusters": 1, "min_num_clusters": 1, "spot_instance_policy": "COST_OPTIMIZED",
            "channel": {"name": "CHANNEL_NAME_CURRENT"}, "tags": {"custom_tags": []},
            "state": "RUNNING", "creator_name": "a@b.c", "num_clusters": 1, "num_active_sessions": 0,
            "odbc_params": {"hostname": "h"}, "jdbc_url": "jdbc:x", "health": {"status": "HEALTHY"}
        }));
        let n = sql_warehouse(&w);
        assert_eq!(
            n.config,
            json!({"name": "bi", "cluster_size": "Small", "enable_serverless_compute": false,
                   "warehouse_type": "CLASSIC"})
        );
        assert_eq!((n.id.as_str(), n.name.as_str()), ("4e8a1b2c3d4e5f60", "bi"));
        assert!(n.excluded.is_none());
        // Zeros the provider forces onto the wire are configuration.
        let w = warehouse(
            json!({"id": "a", "name": "x", "cluster_size": "Small", "auto_stop_mins": 0,
            "enable_photon": false, "min_num_clusters": 2, "max_num_clusters": 3,
            "channel": {"name": "CHANNEL_NAME_PREVIEW"}}),
        );
        let n = sql_warehouse(&w);
        assert_eq!(n.config["auto_stop_mins"], 0);
        assert_eq!(n.config["enable_photon"], false);
        assert_eq!(n.config["min_num_clusters"], 2);
        assert_eq!(n.config["channel"], json!({"name": "CHANNEL_NAME_PREVIEW"}));
    }

    #[test]
    fn what_the_provider_cannot_validate_is_excluded() {
        let big = warehouse(json!({"id": "a", "name": "x", "cluster_size": "5X-Large"}));
        assert!(sql_warehouse(&big).excluded.unwrap().contains("5X-Large"));
        let many = warehouse(
            json!({"id": "a", "name": "x", "cluster_size": "Small", "max_num_clusters": 31}),
        );
        assert!(sql_warehouse(&many)
            .excluded
            .unwrap()
            .contains("31 clusters"));
        let thirty = warehouse(
            json!({"id": "a", "name": "x", "cluster_size": "Small", "max_num_clusters": 30}),
        );
        assert!(sql_warehouse(&thirty).excluded.is_none());
        let nameless = warehouse(json!({"id": "a", "cluster_size": "Small"}));
        assert!(sql_warehouse(&nameless).excluded.is_some());
    }
}
