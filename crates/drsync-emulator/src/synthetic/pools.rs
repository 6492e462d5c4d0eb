//! Synthetic instance pools (`instance-pools/get` bodies).

use super::vocab::*;
use super::{Gen, PoolRef};
use crate::state::date_prefix;
use serde_json::{json, Map, Value};

impl Gen {
    pub(super) fn pool(&mut self) -> Value {
        let team = self.pick(TEAMS);
        let purpose = self.pick(POOL_PURPOSES);
        let node = self.any_node();
        let (node_id, gpu) = self.node_pair(node);
        let node_id = node_id.to_string();
        let short = node_id.replace('.', "-");
        let name = self.pool_names.unique(&format!("{team}-{purpose}-{short}"));
        let created = self.between(YEAR_2024 - 365 * 86_400_000, JOBS_TO);
        let id = loop {
            let word = self.chars(6, b"abcdefghijklmnopqrstuvwxyz0123456789");
            let tail = self.chars(8, b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
            let id = format!("{}-{word}-pool-{tail}", date_prefix(created));
            if self.pool_ids.insert(id.clone()) {
                break id;
            }
        };
        let spot = !gpu && self.chance(0.6);
        let mut aws = Map::new();
        aws.insert(
            "availability".into(),
            json!(if spot { "SPOT" } else { "ON_DEMAND" }),
        );
        let zone = if self.chance(0.6) {
            self.pick(ZONES)
        } else {
            "auto"
        };
        aws.insert("zone_id".into(), json!(zone));
        if spot {
            let bid = if self.chance(0.7) {
                100
            } else {
                self.between(70, 99)
            };
            aws.insert("spot_bid_price_percent".into(), json!(bid));
        }
        if self.chance(0.15) || gpu {
            let role = if gpu { "ml" } else { self.pick(ROLES) };
            aws.insert("instance_profile_arn".into(), json!(profile_arn(role)));
        }
        let min_idle = self.between(0, 4);
        let mut p = Map::new();
        p.insert("instance_pool_id".into(), json!(id));
        p.insert("instance_pool_name".into(), json!(name));
        p.insert("node_type_id".into(), json!(node_id));
        p.insert("min_idle_instances".into(), json!(min_idle));
        p.insert(
            "idle_instance_autotermination_minutes".into(),
            json!(self.pick(&[10, 15, 20, 30, 60])),
        );
        p.insert("enable_elastic_disk".into(), json!(self.chance(0.8)));
        p.insert("aws_attributes".into(), Value::Object(aws));
        p.insert(
            "max_capacity".into(),
            json!(self.pick(&[10, 20, 30, 50, 100, 200])),
        );
        if self.chance(0.2) {
            p.insert(
                "disk_spec".into(),
                json!({
                    "disk_type": {"ebs_volume_type": "GENERAL_PURPOSE_SSD"},
                    "disk_count": self.between(1, 2),
                    "disk_size": self.pick(&[100, 200, 500]),
                }),
            );
        }
        if self.chance(0.8) {
            let cc = self.between(1000, 1999);
            p.insert(
                "custom_tags".into(),
                json!({"team": team, "cost_center": format!("cc-{cc}")}),
            );
        }
        let creator = self.below(self.users.len());
        p.insert(
            "default_tags".into(),
            json!({
                "Vendor": "Databricks",
                "DatabricksInstancePoolCreatorId": self.users[creator].id,
                "DatabricksInstancePoolId": id,
            }),
        );
        let version = if self.chance(0.8) {
            Some(self.runtime(gpu))
        } else {
            None
        };
        if let Some(v) = version {
            p.insert("preloaded_spark_versions".into(), json!([v]));
        }
        p.insert("state".into(), json!("ACTIVE"));
        let idle = self.between(0, min_idle + 1);
        let used = self.between(0, 12);
        let pending = i64::from(self.chance(0.1));
        p.insert(
            "stats".into(),
            json!({"used_count": used, "idle_count": idle, "pending_used_count": pending, "pending_idle_count": 0}),
        );
        if self.chance(0.03) {
            let instance = self.hex(17);
            let zone = if zone == "auto" { "us-east-1c" } else { zone };
            p.insert(
                "status".into(),
                json!({"pending_instance_errors": [{
                    "instance_id": format!("i-{instance}"),
                    "message": format!(
                        "InsufficientInstanceCapacity: We currently do not have sufficient {node_id} capacity in the \
                         Availability Zone you requested ({zone})."
                    ),
                }]}),
            );
        } else {
            p.insert("status".into(), json!({}));
        }
        self.pools.push(PoolRef {
            id,
            node,
            version,
            spot,
        });
        Value::Object(p)
    }
}
