//! Synthetic cluster specs and clusters (`clusters/get` bodies: all-purpose ones and the job runs' clusters)
//! and their library statuses.

use super::vocab::*;
use super::{capitalize, Gen, Node, Use};
use rand::Rng;
use serde_json::{json, Map, Value};

impl Gen {
    /// A ClusterSpec as a user sends it: plain, pool-backed or policy-backed.
    /// A ClusterSpec for a job cluster or an all-purpose cluster of `team`, owned by `owner`: sometimes under a
    /// policy (and then keeping to it) or on a pool. The random draws happen in this order, so that a seed gives
    /// the same spec.
    pub(super) fn cluster_spec(
        &mut self,
        usage: Use,
        team: &'static str,
        owner: &str,
    ) -> Map<String, Value> {
        let (policy, pool) = self.policy_and_pool(usage);
        let mut s = Map::new();
        let (worker, gpu) = self.worker_node(policy, pool);
        let version = self.spec_version(policy, pool, gpu);
        s.insert("spark_version".into(), json!(version));
        let apply_defaults = policy.is_some() && pool.is_none() && self.chance(0.2);
        self.spec_nodes(&mut s, policy, pool, worker, gpu, apply_defaults);
        if self.chance(0.55) {
            let min = self.between(1, 4);
            let max = (min + self.between(1, 16)).min(20);
            s.insert(
                "autoscale".into(),
                json!({"min_workers": min, "max_workers": max}),
            );
        } else {
            s.insert("num_workers".into(), json!(self.between(1, 12)));
        }
        if usage == Use::AllPurpose && !apply_defaults {
            s.insert(
                "autotermination_minutes".into(),
                json!(self.pick(&[30, 45, 60, 120, 240])),
            );
        }
        if let Some(p) = policy {
            s.insert("policy_id".into(), json!(self.policies[p].id));
            if apply_defaults {
                s.insert("apply_policy_default_values".into(), json!(true));
            }
        }
        self.spec_security(&mut s, usage, policy, owner);
        let photon_ok = self.nodes[worker].photon && !version.contains("-ml-");
        if photon_ok && !version.contains("photon") && self.chance(0.35) {
            s.insert("runtime_engine".into(), json!("PHOTON"));
        } else if self.chance(0.05) {
            s.insert("runtime_engine".into(), json!("STANDARD"));
        }
        let aws = self.spec_aws_attributes(policy, pool, gpu);
        if !aws.is_empty() {
            s.insert("aws_attributes".into(), Value::Object(aws));
        }
        self.spec_extras(&mut s, team, policy);
        s
    }

    /// The policy a spec keeps to (one of the right cluster type, now and then) and the pool it runs on (the
    /// policy's, or now and then any).
    fn policy_and_pool(&mut self, usage: Use) -> (Option<usize>, Option<usize>) {
        let wanted = match usage {
            Use::Job => "job",
            Use::AllPurpose => "all-purpose",
        };
        let policy = if !self.policies.is_empty() && self.chance(0.25) {
            // A few tries for a policy of the right type; none is fine too.
            (0..4).find_map(|_| {
                let i = self.below(self.policies.len());
                let p = &self.policies[i];
                (Some(i) != self.personal_policy && p.cluster_type.is_none_or(|t| t == wanted))
                    .then_some(i)
            })
        } else {
            None
        };
        let pool = match policy {
            Some(p) => self.policies[p].pool,
            None if !self.pools.is_empty() && self.chance(0.15) => {
                Some(self.below(self.pools.len()))
            }
            None => None,
        };
        (policy, pool)
    }

    /// The worker node type (an index into the node list) and whether it has GPUs: the pool's, or one of the
    /// policy's allowlist when it has one, or any.
    fn worker_node(&mut self, policy: Option<usize>, pool: Option<usize>) -> (usize, bool) {
        match pool {
            Some(p) => {
                let node = self.pools[p].node;
                (node, self.nodes[node].gpu)
            }
            None => {
                let node = match policy {
                    Some(p) if !self.policies[p].nodes.is_empty() => {
                        let nodes = &self.policies[p].nodes;
                        nodes[self.rng.random_range(0..nodes.len())]
                    }
                    _ => self.any_node(),
                };
                (node, self.nodes[node].gpu)
            }
        }
    }

    /// The runtime: the pool's preloaded one, one the policy allows, or any that fits the node.
    fn spec_version(
        &mut self,
        policy: Option<usize>,
        pool: Option<usize>,
        gpu: bool,
    ) -> &'static str {
        match (pool, policy) {
            (Some(p), _) if self.pools[p].version.is_some() && self.chance(0.8) => {
                self.pools[p].version.unwrap_or("15.4.x-scala2.12")
            }
            (_, Some(p)) if !self.policies[p].versions.is_empty() && !gpu => {
                let vs = self.policies[p].versions;
                self.pick(vs)
            }
            _ => self.runtime(gpu),
        }
    }

    /// The pool fields of a pool-backed spec, else the node types (left out when the policy's default applies).
    fn spec_nodes(
        &mut self,
        s: &mut Map<String, Value>,
        policy: Option<usize>,
        pool: Option<usize>,
        worker: usize,
        gpu: bool,
        apply_defaults: bool,
    ) {
        match pool {
            Some(p) => {
                s.insert("instance_pool_id".into(), json!(self.pools[p].id));
                let driver_pool = if policy.is_some() || self.chance(0.5) {
                    p
                } else {
                    // A driver pool of the same kind (GPU or not) as the workers'.
                    let q = self.below(self.pools.len());
                    if self.nodes[self.pools[q].node].gpu == gpu {
                        q
                    } else {
                        p
                    }
                };
                s.insert(
                    "driver_instance_pool_id".into(),
                    json!(self.pools[driver_pool].id),
                );
            }
            None => {
                // With apply_policy_default_values the policy's default node type is used: the spec omits it.
                let default_node = policy
                    .and_then(|p| self.policies[p].nodes.first().copied())
                    .filter(|&d| apply_defaults && d == worker);
                if default_node.is_none() {
                    s.insert("node_type_id".into(), json!(self.nodes[worker].id));
                    if self.chance(0.4) {
                        let driver = self.driver_for(worker);
                        s.insert("driver_node_type_id".into(), json!(self.nodes[driver].id));
                    }
                }
            }
        }
    }

    /// `data_security_mode` (the policy's, or a usual one for the use) and the single user of an all-purpose
    /// cluster.
    fn spec_security(
        &mut self,
        s: &mut Map<String, Value>,
        usage: Use,
        policy: Option<usize>,
        owner: &str,
    ) {
        let security = match policy.and_then(|p| self.policies[p].security) {
            Some(sec) => Some(sec),
            None => match (usage, self.below(10)) {
                (Use::Job, 0..=5) | (Use::AllPurpose, 0..=3) => Some("SINGLE_USER"),
                (Use::Job, 6 | 7) | (Use::AllPurpose, 4..=8) => Some("USER_ISOLATION"),
                _ => None,
            },
        };
        if let Some(sec) = security {
            s.insert("data_security_mode".into(), json!(sec));
            if sec == "SINGLE_USER" && usage == Use::AllPurpose {
                s.insert("single_user_name".into(), json!(owner));
            }
        }
    }

    /// `aws_attributes`: zone, availability, bids and EBS volumes (not for pool-backed clusters: the pool fixes
    /// them), and the instance profile.
    fn spec_aws_attributes(
        &mut self,
        policy: Option<usize>,
        pool: Option<usize>,
        gpu: bool,
    ) -> Map<String, Value> {
        // AWS attributes: for pool-backed clusters only the instance profile (the pool fixes the rest).
        let mut aws = Map::new();
        if pool.is_none() {
            let policy_ref = policy.map(|p| &self.policies[p]);
            let zone = policy_ref.and_then(|p| p.zone);
            let availability = policy_ref.and_then(|p| p.availability);
            let zone = match zone {
                Some(z) => z,
                None if self.chance(0.7) => self.pick(ZONES),
                None => "auto",
            };
            aws.insert("zone_id".into(), json!(zone));
            let availability = match availability {
                Some(a) => a,
                None => {
                    self.weighted(&[("SPOT_WITH_FALLBACK", 50), ("ON_DEMAND", 30), ("SPOT", 20)])
                }
            };
            aws.insert("availability".into(), json!(availability));
            aws.insert(
                "first_on_demand".into(),
                json!(if availability == "SPOT" { 0 } else { 1 }),
            );
            if availability != "ON_DEMAND" {
                let bid = if self.chance(0.8) {
                    100
                } else {
                    self.between(70, 99)
                };
                aws.insert("spot_bid_price_percent".into(), json!(bid));
            }
            if self.chance(0.3) {
                aws.insert("ebs_volume_type".into(), json!("GENERAL_PURPOSE_SSD"));
                aws.insert("ebs_volume_count".into(), json!(self.between(1, 3)));
                aws.insert("ebs_volume_size".into(), json!(self.pick(&[100, 200, 500])));
            }
        }
        let profile = match policy.and_then(|p| self.policies[p].profile.clone()) {
            Some(arn) => Some(arn),
            None if gpu => Some(profile_arn("ml")),
            None if self.chance(0.85) => Some(profile_arn(self.pick(ROLES))),
            None => None,
        };
        if let Some(arn) = profile {
            aws.insert("instance_profile_arn".into(), json!(arn));
        }
        aws
    }

    /// Spark configuration and environment, tags, init scripts, log delivery and elastic disk.
    fn spec_extras(
        &mut self,
        s: &mut Map<String, Value>,
        team: &'static str,
        policy: Option<usize>,
    ) {
        if self.chance(0.8) {
            s.insert("spark_conf".into(), self.spark_conf(team));
        }
        if self.chance(0.4) {
            s.insert(
                "spark_env_vars".into(),
                json!({
                    "LANDING_BUCKET": format!("s3://acme-{team}-landing-{REGION}"),
                    "CURATED_BUCKET_URL": format!("https://acme-{team}-curated-{REGION}.s3.{REGION}.amazonaws.com"),
                }),
            );
        }
        let team_tag = policy.map_or(team, |p| self.policies[p].team);
        if self.chance(0.85) || policy.is_some() {
            let cc = format!("cc-{}", self.between(1000, 1999));
            let cc = policy
                .and_then(|p| self.policies[p].cost_center.clone())
                .unwrap_or(cc);
            let mut tags = json!({"team": team_tag, "cost_center": cc});
            if self.chance(0.3) {
                tags["env"] = json!(self.weighted(&[("prod", 8), ("staging", 2)]));
            }
            s.insert("custom_tags".into(), tags);
        }
        if self.chance(0.35) {
            let mut scripts = vec![json!({"s3": {
                "destination": format!("s3://acme-infra-{REGION}/init/{}.sh", self.pick(&["install-certs", "datadog-agent", "proxy-config", "mount-efs"])),
                "region": REGION,
            }})];
            if self.chance(0.25) {
                scripts.push(json!({"volumes": {"destination": format!("/Volumes/main/infra/scripts/{team}-setup.sh")}}));
            }
            s.insert("init_scripts".into(), Value::Array(scripts));
        }
        if self.chance(0.4) {
            let conf = if self.chance(0.75) {
                json!({"s3": {
                    "destination": format!("s3://acme-logs-{REGION}/cluster-logs/{team}"),
                    "region": REGION,
                    "enable_encryption": true,
                    "canned_acl": "bucket-owner-full-control",
                }})
            } else {
                json!({"dbfs": {"destination": format!("dbfs:/cluster-logs/{team}")}})
            };
            s.insert("cluster_log_conf".into(), conf);
        }
        if self.chance(0.1) {
            s.insert("enable_elastic_disk".into(), json!(true));
        }
    }

    pub(super) fn spark_conf(&mut self, team: &str) -> Value {
        let mut conf = Map::new();
        if self.chance(0.6) {
            conf.insert(
                "spark.hadoop.fs.s3a.endpoint".into(),
                json!(format!("https://s3.{REGION}.amazonaws.com")),
            );
            conf.insert("spark.hadoop.aws.region".into(), json!(REGION));
        }
        if self.chance(0.25) {
            conf.insert(
                format!("spark.hadoop.fs.s3a.bucket.acme-{team}-landing-{REGION}.endpoint"),
                json!(format!("https://s3.{REGION}.amazonaws.com")),
            );
        }
        if self.chance(0.3) {
            conf.insert(
                "spark.databricks.delta.preview.enabled".into(),
                json!("true"),
            );
        }
        if self.chance(0.3) {
            conf.insert(
                "spark.sql.shuffle.partitions".into(),
                json!(self.pick(&["auto", "200", "400", "64"])),
            );
        }
        if self.chance(0.2) {
            conf.insert("spark.databricks.io.cache.enabled".into(), json!("true"));
        }
        if self.chance(0.15) {
            let scope = self.pick(SCOPES);
            conf.insert(
                "spark.hadoop.javax.jdo.option.ConnectionPassword".into(),
                json!(format!("{{{{secrets/{scope}/metastore-password}}}}")),
            );
            conf.insert(
                "spark.hadoop.javax.jdo.option.ConnectionURL".into(),
                json!(format!(
                    "jdbc:mysql://metastore.cluster-c9xyz.{REGION}.rds.amazonaws.com:3306/hive"
                )),
            );
        }
        if self.chance(0.05) {
            conf.insert(
                "spark.kafka.bootstrap.servers".into(),
                json!(format!(
                    "b-1.kafka-prod.abc123.c2.kafka.{REGION}.amazonaws.com:9094"
                )),
            );
        }
        if conf.is_empty() {
            conf.insert(
                "spark.databricks.delta.preview.enabled".into(),
                json!("true"),
            );
        }
        Value::Object(conf)
    }

    // ----- clusters (ClusterDetails)

    /// The configuration part of a `clusters/get` body: the spec plus what the server fills in.
    pub(super) fn effective(&self, spec: &Map<String, Value>, usage: Use) -> Map<String, Value> {
        let mut c = spec.clone();
        c.remove("apply_policy_default_values");
        let pool = |key: &str| {
            spec.get(key)
                .and_then(Value::as_str)
                .and_then(|id| self.pools.iter().find(|p| p.id == id))
        };
        let policy = spec
            .get("policy_id")
            .and_then(Value::as_str)
            .and_then(|id| self.policies.iter().find(|p| p.id == id));
        if !c.contains_key("node_type_id") {
            let node = pool("instance_pool_id")
                .map(|p| p.node)
                .or_else(|| policy.and_then(|p| p.nodes.first().copied()));
            if let Some(n) = node {
                c.insert("node_type_id".into(), json!(self.nodes[n].id));
            }
        }
        if !c.contains_key("driver_node_type_id") {
            let driver = pool("driver_instance_pool_id")
                .map(|p| self.nodes[p.node].id.clone())
                .or_else(|| {
                    c.get("node_type_id")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
            if let Some(d) = driver {
                c.insert("driver_node_type_id".into(), json!(d));
            }
        }
        if let Some(min) = spec.get("autoscale").and_then(|a| a.get("min_workers")) {
            c.entry("num_workers").or_insert(min.clone());
        }
        // The same server defaults as the emulator's own `clusters/create` (clusters.rs, `effective_config`,
        // with the sources there): no invented `autotermination_minutes` (unset means never) and no
        // `data_security_mode`; a policy's default auto-termination applies when the spec asks for policy
        // defaults (SDK `apply_policy_default_values`: "fixed and default values from the policy will be used
        // for fields that are omitted").
        if let (Use::AllPurpose, Some(p)) = (usage, policy) {
            if spec.get("apply_policy_default_values") == Some(&json!(true)) {
                c.entry("autotermination_minutes")
                    .or_insert(json!(p.autotermination));
            }
        }
        c.entry("enable_elastic_disk").or_insert(json!(false));
        c.entry("enable_local_disk_encryption")
            .or_insert(json!(false));
        c.insert("disk_spec".into(), json!({}));
        if !spec.contains_key("instance_pool_id") {
            let attrs = c
                .entry("aws_attributes")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(attrs) = attrs.as_object_mut() {
                for (k, v) in [
                    ("zone_id", json!("us-east-1b")),
                    ("availability", json!("SPOT_WITH_FALLBACK")),
                    ("first_on_demand", json!(1)),
                    ("spot_bid_price_percent", json!(100)),
                    ("ebs_volume_count", json!(0)),
                ] {
                    attrs.entry(k).or_insert(v);
                }
                // Zone `auto` reads back as the zone the cluster was placed in (the region's default zone),
                // while `spec` keeps `auto`, as the emulator's `clusters/create` does.
                if attrs.get("zone_id") == Some(&json!("auto")) {
                    attrs.insert("zone_id".into(), json!("us-east-1b"));
                }
            }
        }
        c
    }

    pub(super) fn node_of(&self, c: &Map<String, Value>, key: &str) -> Option<&Node> {
        let id = c.get(key).and_then(Value::as_str)?;
        self.nodes.iter().find(|n| n.id == id)
    }

    pub(super) fn spark_node(&mut self, spot: bool, start: i64) -> Value {
        self.ip += 1;
        let (b, c) = (16 + (self.ip / 250) % 200, 2 + self.ip % 250);
        let node_id = self.hex(32);
        let instance = self.hex(16);
        json!({
            "private_ip": format!("10.42.{b}.{c}"),
            "public_dns": "",
            "node_id": node_id,
            "instance_id": format!("i-0{instance}"),
            "start_timestamp": start,
            "host_private_ip": format!("10.40.{b}.{c}"),
            "node_aws_attributes": {"is_spot": spot},
        })
    }

    /// Complete a cluster body: output-only fields, state, nodes when running, and `spec`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn details(
        &mut self,
        spec: Map<String, Value>,
        usage: Use,
        source: &str,
        creator: &str,
        start: i64,
        running: bool,
        job: Option<(i64, &str)>,
    ) -> Value {
        let id = self.cluster_id(start);
        let name = spec
            .get("cluster_name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut c = self.effective(&spec, usage);
        c.insert("cluster_id".into(), json!(id));
        c.insert("creator_user_name".into(), json!(creator));
        c.insert(
            "state".into(),
            json!(if running { "RUNNING" } else { "TERMINATED" }),
        );
        c.insert("start_time".into(), json!(start));
        c.insert("cluster_source".into(), json!(source));
        let workers = c.get("num_workers").and_then(Value::as_i64).unwrap_or(0);
        if let (Some(w), Some(d)) = (
            self.node_of(&c, "node_type_id")
                .map(|n| (n.memory_mb, n.cores)),
            self.node_of(&c, "driver_node_type_id")
                .map(|n| (n.memory_mb, n.cores)),
        ) {
            // Small worker counts, exactly representable as f64.
            #[allow(clippy::cast_precision_loss)]
            let cores = d.1 + w.1 * workers as f64;
            c.insert("cluster_memory_mb".into(), json!(d.0 + w.0 * workers));
            c.insert("cluster_cores".into(), json!(cores));
        }
        let mut tags = json!({
            "Vendor": "Databricks",
            "Creator": creator,
            "ClusterName": name,
            "ClusterId": id,
        });
        if let Some((job_id, run_name)) = job {
            tags["JobId"] = json!(job_id.to_string());
            tags["RunName"] = json!(run_name);
        }
        c.insert("default_tags".into(), tags);
        if usage == Use::AllPurpose && self.chance(0.03) {
            let u = self.below(self.users.len());
            c.insert(
                "pinned_by_user_name".into(),
                json!(self.users[u].id.clone()),
            );
        }
        c.insert("init_scripts_safe_mode".into(), json!(false));
        let autotermination = c
            .get("autotermination_minutes")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let mut last_log = start + 3_500_000;
        if running {
            let restarted = start + self.between(60_000, 600_000);
            c.insert("state_message".into(), json!(""));
            c.insert("last_restarted_time".into(), json!(restarted));
            c.insert("last_state_loss_time".into(), json!(restarted - 50));
            c.insert("jdbc_port".into(), json!(10000));
            c.insert(
                "spark_context_id".into(),
                json!(self.rng.random_range(1_000_000_000_000_000_000..i64::MAX)),
            );
            let spot = match spec.get("instance_pool_id").and_then(Value::as_str) {
                Some(p) => self.pools.iter().any(|x| x.id == p && x.spot),
                None => c
                    .get("aws_attributes")
                    .and_then(|a| a.get("availability"))
                    .and_then(Value::as_str)
                    .is_some_and(|a| a != "ON_DEMAND"),
            };
            let driver = self.spark_node(false, start + 90_000);
            c.insert("driver".into(), driver);
            let executors: Vec<Value> = (0..workers.clamp(0, 64))
                .map(|i| self.spark_node(spot, start + 92_000 + i * 37))
                .collect();
            if !executors.is_empty() {
                c.insert("executors".into(), Value::Array(executors));
            }
        } else {
            let terminated = start + self.between(600_000, 6 * 3_600_000);
            last_log = terminated - 120_000;
            c.insert("terminated_time".into(), json!(terminated));
            c.insert("last_state_loss_time".into(), json!(0));
            let (message, reason) = if usage == Use::Job {
                (
                    String::new(),
                    json!({"code": "JOB_FINISHED", "type": "SUCCESS"}),
                )
            } else if autotermination > 0 && self.chance(0.6) {
                (
                    format!(
                        "Inactive cluster terminated (inactive for {autotermination} minutes)."
                    ),
                    json!({"code": "INACTIVITY", "type": "SUCCESS", "parameters": {"inactivity_duration_min": autotermination.to_string()}}),
                )
            } else if self.chance(0.9) {
                (
                    "Terminated by user".to_string(),
                    json!({"code": "USER_REQUEST", "type": "SUCCESS", "parameters": {"username": creator}}),
                )
            } else {
                (
                    "Cluster terminated. Reason: Cloud Provider Launch Failure".to_string(),
                    json!({"code": "CLOUD_PROVIDER_LAUNCH_FAILURE", "type": "CLOUD_FAILURE", "parameters": {
                        "aws_api_error_code": "InsufficientInstanceCapacity",
                        "aws_error_message": "There is no Spot capacity available that matches your request.",
                    }}),
                )
            };
            c.insert("state_message".into(), json!(message));
            c.insert("termination_reason".into(), reason);
        }
        if c.contains_key("cluster_log_conf") {
            c.insert(
                "cluster_log_status".into(),
                json!({"last_attempted": last_log}),
            );
        }
        c.insert("spec".into(), Value::Object(spec));
        Value::Object(c)
    }

    /// An all-purpose cluster (`cluster_source` UI or API).
    pub(super) fn all_purpose_cluster(&mut self) -> Value {
        let owner_i = self.below(self.users.len());
        let owner = self.users[owner_i].name.clone();
        let first = owner.split('.').next().unwrap_or("user").to_string();
        let team = self.pick(TEAMS);
        let personal = self.personal_policy.filter(|_| self.chance(0.1));
        let (base, spec) = match personal {
            Some(p) => {
                let last = owner.split(['.', '@']).nth(1).unwrap_or("user").to_string();
                let base = format!(
                    "{} {}'s Personal Compute Cluster",
                    capitalize(&first),
                    capitalize(&last)
                );
                (base, self.personal_spec(p, &owner))
            }
            None => {
                let base = if self.chance(0.3) {
                    format!("{first}-{}", self.pick(&["dev", "scratch", "sandbox"]))
                } else {
                    format!("{team}-{}", self.pick(AP_PURPOSES))
                };
                (base, self.cluster_spec(Use::AllPurpose, team, &owner))
            }
        };
        let name = if self.chance(0.005) {
            base
        } else {
            self.cluster_names.unique(&base)
        };
        let mut spec = spec;
        let mut named = Map::new();
        named.insert("cluster_name".into(), json!(name));
        named.append(&mut spec);
        let source = if self.chance(0.65) { "UI" } else { "API" };
        let start = self.between(CLUSTERS_FROM, JOBS_TO);
        let running = self.chance(0.25);
        let c = self.details(named, Use::AllPurpose, source, &owner, start, running, None);
        if let Some(id) = c.get("cluster_id").and_then(Value::as_str) {
            self.all_purpose.push(id.to_string());
        }
        c
    }

    pub(super) fn personal_spec(&mut self, policy: usize, owner: &str) -> Map<String, Value> {
        let p = &self.policies[policy];
        let node = p
            .nodes
            .first()
            .map_or("m5d.large", |&n| self.nodes[n].id.as_str())
            .to_string();
        let profile = p.profile.clone();
        let id = p.id.clone();
        let version = self.pick(ML_RUNTIMES);
        let mut aws = json!({"availability": "ON_DEMAND"});
        if let Some(arn) = profile {
            aws["instance_profile_arn"] = json!(arn);
        }
        let spec = json!({
            "spark_version": version,
            "node_type_id": node,
            "num_workers": 0,
            "autotermination_minutes": self.pick(&[60, 120, 240]),
            "data_security_mode": "SINGLE_USER",
            "single_user_name": owner,
            "runtime_engine": "STANDARD",
            "policy_id": id,
            "aws_attributes": aws,
            "spark_conf": {"spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*, 4]"},
            "custom_tags": {"ResourceClass": "SingleNode"},
        });
        match spec {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// A cluster a job run made (`cluster_source: JOB`), from one of the generated jobs' job clusters.
    pub(super) fn job_run_cluster(&mut self, jobs: &[Value]) -> Value {
        // A job with job clusters, when a few tries find one (most jobs have them).
        let mut job = &jobs[self.below(jobs.len())];
        for _ in 0..8 {
            if job["settings"].get("job_clusters").is_some() {
                break;
            }
            job = &jobs[self.below(jobs.len())];
        }
        let job_id = job.get("job_id").and_then(Value::as_i64).unwrap_or(0);
        let settings = &job["settings"];
        let run_name = settings
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let run_as = job
            .get("run_as_user_name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let job_clusters = settings
            .get("job_clusters")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let (key, mut spec) = if job_clusters.is_empty() {
            let team = self.pick(TEAMS);
            (
                "job_cluster".to_string(),
                self.cluster_spec(Use::Job, team, &run_as),
            )
        } else {
            let jc = &job_clusters[self.below(job_clusters.len())];
            (
                jc.get("job_cluster_key")
                    .and_then(Value::as_str)
                    .unwrap_or("job_cluster")
                    .to_string(),
                jc.get("new_cluster")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            )
        };
        let run_id = self
            .rng
            .random_range(100_000_000_000_000..1_000_000_000_000_000i64);
        spec.insert(
            "cluster_name".into(),
            json!(format!("job-{job_id}-run-{run_id}-{key}")),
        );
        if spec.get("data_security_mode").and_then(Value::as_str) == Some("SINGLE_USER") {
            spec.insert("single_user_name".into(), json!(run_as));
        }
        let created = job.get("created_time").and_then(Value::as_i64).unwrap_or(0);
        let start = self.between(CLUSTERS_FROM.max(created + 3_600_000), JOBS_TO + 86_400_000);
        let running = self.chance(0.1);
        self.details(
            spec,
            Use::Job,
            "JOB",
            &run_as,
            start,
            running,
            Some((job_id, &run_name)),
        )
    }

    /// A `libraries/cluster-status` body for an all-purpose cluster.
    pub(super) fn cluster_libraries(&mut self, cluster: &Value) -> Value {
        let id = cluster
            .get("cluster_id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let running = cluster.get("state").and_then(Value::as_str) == Some("RUNNING");
        let team = self.pick(TEAMS);
        let n = self.between(1, 5);
        let statuses: Vec<Value> = (0..n)
            .map(|_| {
                let library = self.library(team);
                let status = if running {
                    self.weighted(&[
                        ("INSTALLED", 85),
                        ("FAILED", 5),
                        ("INSTALLING", 5),
                        ("PENDING", 5),
                    ])
                } else {
                    self.weighted(&[("PENDING", 8), ("INSTALLED", 2)])
                };
                let mut s = json!({
                    "library": library,
                    "status": status,
                    "is_library_for_all_clusters": self.chance(0.02),
                });
                if status == "FAILED" {
                    s["messages"] = json!([
                        "Library installation failed for library due to user error. Error messages:\n\
                         ERROR: No matching distribution found for the requested version"
                    ]);
                }
                s
            })
            .collect();
        json!({"cluster_id": id, "library_statuses": statuses})
    }
}
