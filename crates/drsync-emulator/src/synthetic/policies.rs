//! Synthetic cluster policies (`policies/clusters/get` bodies), team policies and the personal one, with what
//! cluster specs need to keep to them.

use super::vocab::*;
use super::{capitalize, Gen, PolicyRef};
use rand::Rng;
use serde_json::{json, Map, Value};

impl Gen {
    pub(super) fn policy_id(&mut self) -> String {
        loop {
            let id = format!("{:016X}", self.rng.random::<u64>());
            if self.policy_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    /// A team's cluster policy (or, with `personal`, the Personal Compute one), remembered as a [`PolicyRef`] so
    /// that clusters keep to it. The random draws happen in this order, so that a seed gives the same policy.
    pub(super) fn policy(&mut self, personal: bool) -> Value {
        let id = self.policy_id();
        let created = self.between(JOBS_FROM, YEAR_2024);
        let creator = self.user_name();
        if personal {
            return self.personal_policy(id, created, creator);
        }
        let team = self.pick(TEAMS);
        let pool = if !self.pools.is_empty() && self.chance(0.2) {
            Some(self.below(self.pools.len()))
        } else {
            None
        };
        let flavor = if pool.is_some() {
            "pool-backed"
        } else {
            self.pick(POLICY_FLAVORS)
        };
        let name = self.policy_names.unique(&format!("{team}-{flavor}"));
        let cluster_type = match self.below(10) {
            0..=3 => Some("job"),
            4 | 5 => Some("all-purpose"),
            _ => None,
        };
        let mut def = Map::new();
        let versions = self.policy_versions(&mut def, pool);
        if let Some(cluster_type) = cluster_type {
            def.insert(
                "cluster_type".into(),
                json!({"type": "fixed", "value": cluster_type}),
            );
        }
        let (nodes, zone, availability) = self.policy_compute(&mut def, pool);
        let profile = if self.chance(0.7) {
            let arn = profile_arn(self.pick(ROLES));
            def.insert(
                "aws_attributes.instance_profile_arn".into(),
                json!({"type": "fixed", "value": arn}),
            );
            Some(arn)
        } else {
            None
        };
        let autotermination = self.pick(&[30, 60, 120]);
        if cluster_type != Some("job") {
            def.insert(
                "autotermination_minutes".into(),
                json!({"type": "range", "minValue": 10, "maxValue": 240, "defaultValue": autotermination}),
            );
        }
        def.insert(
            "custom_tags.team".into(),
            json!({"type": "fixed", "value": team}),
        );
        let cost_center = if self.chance(0.4) {
            let cc = format!("cc-{}", self.between(1000, 1999));
            def.insert(
                "custom_tags.cost_center".into(),
                json!({"type": "fixed", "value": cc}),
            );
            Some(cc)
        } else {
            None
        };
        if self.chance(0.3) {
            def.insert(
                "autoscale.max_workers".into(),
                json!({"type": "range", "maxValue": 20, "defaultValue": 8}),
            );
        }
        if self.chance(0.2) {
            def.insert(
                "dbus_per_hour".into(),
                json!({"type": "range", "maxValue": 50}),
            );
        }
        let security = if self.chance(0.3) {
            let s = self.pick(&["SINGLE_USER", "USER_ISOLATION"]);
            def.insert(
                "data_security_mode".into(),
                json!({"type": "fixed", "value": s}),
            );
            Some(s)
        } else {
            None
        };
        self.policy_spark_and_logs(&mut def, team);
        let mut p = Map::new();
        p.insert("policy_id".into(), json!(id));
        p.insert("name".into(), json!(name));
        if self.chance(0.7) {
            p.insert(
                "description".into(),
                json!(format!(
                    "{} clusters for the {team} team in {REGION}.",
                    capitalize(flavor)
                )),
            );
        }
        p.insert("definition".into(), json!(Value::Object(def).to_string()));
        if self.chance(0.3) {
            p.insert(
                "max_clusters_per_user".into(),
                json!(self.pick(&[2, 5, 10])),
            );
        }
        if self.chance(0.1) {
            let lib = self.library(team);
            p.insert("libraries".into(), json!([lib]));
        }
        p.insert("created_at_timestamp".into(), json!(created));
        p.insert("creator_user_name".into(), json!(creator));
        p.insert("is_default".into(), json!(false));
        self.policies.push(PolicyRef {
            id,
            team,
            cluster_type,
            zone,
            profile,
            availability,
            nodes,
            pool,
            versions,
            security,
            cost_center,
            autotermination,
        });
        Value::Object(p)
    }

    /// The `spark_version` rule (any, a pattern or one fixed runtime; any on a pool) and the runtimes it allows
    /// (none listed: any).
    fn policy_versions(
        &mut self,
        def: &mut Map<String, Value>,
        pool: Option<usize>,
    ) -> &'static [&'static str] {
        match (pool, self.below(3)) {
            (Some(_), _) | (None, 0) => {
                def.insert(
                    "spark_version".into(),
                    json!({"type": "unlimited", "defaultValue": "auto:latest-lts"}),
                );
                &[]
            }
            (None, 1) => {
                def.insert(
                    "spark_version".into(),
                    json!({"type": "regex", "pattern": "1[45]\\.[0-9]+\\.x(-photon)?-scala2\\.12"}),
                );
                POLICY_RUNTIMES
            }
            (None, _) => {
                def.insert(
                    "spark_version".into(),
                    json!({"type": "fixed", "value": "15.4.x-scala2.12"}),
                );
                &POLICY_RUNTIMES[..1]
            }
        }
    }

    /// The compute rules: the pool fixed, or an allowlist of node types and now and then a fixed zone and
    /// availability. The allowed nodes (the first is the default), the zone and the availability.
    fn policy_compute(
        &mut self,
        def: &mut Map<String, Value>,
        pool: Option<usize>,
    ) -> (Vec<usize>, Option<&'static str>, Option<&'static str>) {
        let mut nodes = Vec::new();
        let mut zone = None;
        let mut availability = None;
        match pool {
            Some(p) => {
                let pool_id = self.pools[p].id.clone();
                def.insert(
                    "instance_pool_id".into(),
                    json!({"type": "fixed", "value": pool_id, "hidden": true}),
                );
                def.insert(
                    "driver_instance_pool_id".into(),
                    json!({"type": "fixed", "value": pool_id, "hidden": true}),
                );
            }
            None => {
                let n = 2 + self.below(3);
                while nodes.len() < n {
                    let node = self.general_node();
                    if !nodes.contains(&node) {
                        nodes.push(node);
                    }
                }
                let values: Vec<&str> = nodes.iter().map(|&i| self.nodes[i].id.as_str()).collect();
                def.insert(
                    "node_type_id".into(),
                    json!({"type": "allowlist", "values": values, "defaultValue": values[0]}),
                );
                if self.chance(0.5) {
                    let z = self.pick(ZONES);
                    zone = Some(z);
                    def.insert(
                        "aws_attributes.zone_id".into(),
                        json!({"type": "fixed", "value": z, "hidden": true}),
                    );
                }
                if self.chance(0.4) {
                    let a = self.pick(&["SPOT_WITH_FALLBACK", "ON_DEMAND"]);
                    availability = Some(a);
                    def.insert(
                        "aws_attributes.availability".into(),
                        json!({"type": "fixed", "value": a, "hidden": true}),
                    );
                    def.insert(
                        "aws_attributes.first_on_demand".into(),
                        json!({"type": "fixed", "value": 1, "hidden": true}),
                    );
                }
            }
        }
        (nodes, zone, availability)
    }

    /// Now and then hidden Spark settings (the S3 endpoint, a metastore password from a secret) and fixed log
    /// delivery.
    fn policy_spark_and_logs(&mut self, def: &mut Map<String, Value>, team: &str) {
        if self.chance(0.3) {
            def.insert(
                "spark_conf.spark.hadoop.fs.s3a.endpoint".into(),
                json!({"type": "fixed", "value": format!("https://s3.{REGION}.amazonaws.com"), "hidden": true}),
            );
        }
        if self.chance(0.2) {
            def.insert(
                "cluster_log_conf.type".into(),
                json!({"type": "fixed", "value": "S3"}),
            );
            def.insert(
                "cluster_log_conf.path".into(),
                json!({"type": "fixed", "value": format!("s3://acme-logs-{REGION}/cluster-logs/{team}")}),
            );
            def.insert(
                "cluster_log_conf.region".into(),
                json!({"type": "fixed", "value": REGION}),
            );
        }
        if self.chance(0.15) {
            def.insert(
                "spark_conf.spark.hadoop.javax.jdo.option.ConnectionPassword".into(),
                json!({"type": "fixed", "value": "{{secrets/etl-secrets/metastore-password}}", "hidden": true}),
            );
        }
    }

    pub(super) fn personal_policy(&mut self, id: String, created: i64, creator: String) -> Value {
        let nodes: Vec<usize> = ["m5d.large", "m5d.xlarge", "r5d.xlarge", "i3.xlarge"]
            .iter()
            .filter_map(|n| self.nodes.iter().position(|x| x.id == *n))
            .collect();
        let values: Vec<&str> = nodes.iter().map(|&i| self.nodes[i].id.as_str()).collect();
        let arn = profile_arn("analytics");
        let overrides = json!({
            "autotermination_minutes": {"type": "range", "maxValue": 240, "defaultValue": 120},
            "aws_attributes.instance_profile_arn": {"type": "fixed", "value": arn, "hidden": true},
            "custom_tags.ResourceClass": {"type": "fixed", "value": "SingleNode"},
        });
        let mut def = json!({
            "node_type_id": {"type": "allowlist", "values": values, "defaultValue": values.first()},
            "spark_version": {"type": "unlimited", "defaultValue": "auto:latest-ml"},
            "runtime_engine": {"type": "fixed", "value": "STANDARD", "hidden": true},
            "num_workers": {"type": "fixed", "value": 0, "hidden": true},
            "data_security_mode": {"type": "allowlist", "values": ["SINGLE_USER", "LEGACY_SINGLE_USER", "LEGACY_SINGLE_USER_STANDARD"], "defaultValue": "SINGLE_USER", "hidden": true},
            "driver_instance_pool_id": {"type": "forbidden", "hidden": true},
            "cluster_type": {"type": "fixed", "value": "all-purpose"},
            "instance_pool_id": {"type": "forbidden", "hidden": true},
            "aws_attributes.availability": {"type": "fixed", "value": "ON_DEMAND", "hidden": true},
            "spark_conf.spark.databricks.cluster.profile": {"type": "fixed", "value": "singleNode", "hidden": true},
        });
        if let (Some(d), Some(o)) = (def.as_object_mut(), overrides.as_object()) {
            d.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        self.personal_policy = Some(self.policies.len());
        self.policies.push(PolicyRef {
            id: id.clone(),
            team: "platform",
            cluster_type: Some("all-purpose"),
            zone: None,
            profile: Some(arn),
            availability: Some("ON_DEMAND"),
            nodes,
            pool: None,
            versions: ML_RUNTIMES,
            security: Some("SINGLE_USER"),
            cost_center: None,
            autotermination: 120,
        });
        json!({
            "policy_id": id,
            "name": "Personal Compute",
            "description": "Use with small-to-medium data or libraries like pandas and scikit-learn. Spark runs in local mode.",
            "definition": def.to_string(),
            "policy_family_id": "personal-vm",
            "policy_family_definition_overrides": overrides.to_string(),
            "created_at_timestamp": created,
            "creator_user_name": creator,
            "is_default": false,
        })
    }
}
