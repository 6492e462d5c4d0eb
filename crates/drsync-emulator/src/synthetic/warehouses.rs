//! The SQL warehouses the generated jobs' SQL tasks run on: one `sql/warehouses/{id}` body per warehouse id the
//! generator drew, made without the random source so that adding them changes nothing else the seed gives.

use super::vocab::TEAMS;
use super::Gen;
use serde_json::{json, Value};

/// Sizes and kinds in turn: serverless PRO, PRO and CLASSIC (with tags and the preview channel).
const SIZES: &[&str] = &["Small", "Medium", "X-Small", "Large", "2X-Small"];

impl Gen {
    /// The `GetWarehouseResponse` bodies of the warehouses the jobs use.
    pub(super) fn warehouses(&self) -> Vec<Value> {
        self.warehouses
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let team = TEAMS[i % TEAMS.len()];
                let serverless = i % 3 == 0;
                let mut w = json!({
                    "id": id,
                    "name": format!("{team}-sql-{}", i + 1),
                    "cluster_size": SIZES[i % SIZES.len()],
                    "min_num_clusters": 1,
                    "max_num_clusters": 1 + i % 4,
                    "auto_stop_mins": if serverless { 10 } else { 60 },
                    "enable_photon": true,
                    "enable_serverless_compute": serverless,
                    "warehouse_type": if i % 3 == 2 { "CLASSIC" } else { "PRO" },
                    "spot_instance_policy": "COST_OPTIMIZED",
                    "channel": {"name": "CHANNEL_NAME_CURRENT"},
                    "creator_name": format!("{team}-admin@example.com"),
                    "state": "STOPPED",
                    "num_clusters": 0,
                    "num_active_sessions": 0,
                    "health": {"status": "HEALTHY"},
                });
                if i % 3 == 2 {
                    w["channel"] = json!({"name": "CHANNEL_NAME_PREVIEW"});
                    w["tags"] = json!({"custom_tags": [{"key": "team", "value": team}]});
                }
                w
            })
            .collect()
    }
}
