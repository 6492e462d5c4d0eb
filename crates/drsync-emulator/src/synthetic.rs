//! Synthetic workspaces for benchmarks and load tests: [`synthetic`] builds, deterministically from a seed, an AWS
//! (us-east-1) workspace of any size in exactly the fixture format (the real API bodies of `fixtures/primary`):
//! multi-task jobs with job clusters, a share of jobs over 100 tasks, pool- and policy-backed clusters.
//! It must not print, read the clock, touch files or the network, or shape a body in a way the fixtures do not
//! show; every id one generated object uses to refer to another (clusters, pools, policies, jobs, notebooks)
//! exists in the output, and node types and runtimes come from the emulator's built-in AWS catalog.

use super::catalog::{self, Cloud};
use super::error::Error;
use super::fixtures::Fixtures;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// How big a synthetic workspace is, written `jobs=10000,clusters=1000,pools=200,policies=100`.
///
/// Any subset of the keys may be given; a key left out means none of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyntheticSpec {
    /// Jobs (`jobs/get` bodies); about 1% of them have 101–150 tasks.
    pub jobs: usize,
    /// Clusters of every source: about 80% all-purpose (`UI`/`API`) and 20% made by job runs (`JOB`).
    pub clusters: usize,
    /// Instance pools.
    pub pools: usize,
    /// Cluster policies.
    pub policies: usize,
}

/// The largest count a key accepts, so that a typo cannot ask for more memory than a machine has.
const MAX_COUNT: usize = 1_000_000;

impl FromStr for SyntheticSpec {
    type Err = Error;

    /// Parse `jobs=10000,clusters=1000,pools=200,policies=100` (any subset, in any order).
    fn from_str(spec: &str) -> Result<Self, Error> {
        let bad = |reason: String| Error::Spec {
            what: "synthetic workspace",
            spec: spec.to_string(),
            reason,
        };
        if spec.trim().is_empty() {
            return Err(bad(
                "expected KEY=N pairs separated by commas, e.g. jobs=10000,clusters=1000,pools=200,policies=100"
                    .to_string(),
            ));
        }
        let mut out = SyntheticSpec::default();
        let mut seen: Vec<&str> = Vec::new();
        for part in spec.split(',') {
            let part = part.trim();
            let Some((key, value)) = part.split_once('=') else {
                return Err(bad(format!(
                    "`{part}` is not KEY=N (keys: jobs, clusters, pools, policies)"
                )));
            };
            let (key, value) = (key.trim(), value.trim());
            let slot = match key {
                "jobs" => &mut out.jobs,
                "clusters" => &mut out.clusters,
                "pools" => &mut out.pools,
                "policies" => &mut out.policies,
                _ => {
                    return Err(bad(format!(
                        "unknown key `{key}` (expected jobs, clusters, pools or policies)"
                    )))
                }
            };
            if seen.contains(&key) {
                return Err(bad(format!("`{key}` is given twice")));
            }
            seen.push(key);
            let n: usize = value.parse().map_err(|_| {
                bad(format!(
                    "`{key}` must be a whole number of at least 0, got `{value}`"
                ))
            })?;
            if n > MAX_COUNT {
                return Err(bad(format!("`{key}` must be at most {MAX_COUNT}, got {n}")));
            }
            *slot = n;
        }
        Ok(out)
    }
}

impl fmt::Display for SyntheticSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "jobs={},clusters={},pools={},policies={}",
            self.jobs, self.clusters, self.pools, self.policies
        )
    }
}

/// Build the workspace `spec` describes, the same for the same `seed` (byte for byte, once serialised).
///
/// The result is an AWS us-east-1 workspace in the fixture format: full `jobs/get` bodies in creation order
/// (`created_time` strictly increasing), `clusters/get` bodies (about 20% `cluster_source: JOB`), pools,
/// policies, library statuses for some all-purpose clusters, the workspace objects the jobs' notebooks and
/// files live at, and the instance profiles and secret scopes the bodies name. The catalog fields stay `None`,
/// so the emulator serves its built-in AWS catalog, from which every node type and runtime here is drawn.
pub fn synthetic(spec: &SyntheticSpec, seed: u64) -> Fixtures {
    let mut g = Gen::new(seed);
    let instance_pools: Vec<Value> = (0..spec.pools).map(|_| g.pool()).collect();
    let cluster_policies: Vec<Value> = (0..spec.policies)
        .map(|i| g.policy(i + 1 == spec.policies && spec.policies >= 2))
        .collect();
    let job_runs = if spec.jobs == 0 {
        0
    } else {
        (spec.clusters + 2) / 5
    };
    let mut clusters: Vec<Value> = Vec::with_capacity(spec.clusters);
    let mut cluster_libraries = Vec::new();
    for _ in 0..spec.clusters - job_runs {
        let cluster = g.all_purpose_cluster();
        if g.chance(0.3) {
            cluster_libraries.push(g.cluster_libraries(&cluster));
        }
        clusters.push(cluster);
    }
    let jobs = g.jobs(spec.jobs);
    for _ in 0..job_runs {
        let cluster = g.job_run_cluster(&jobs);
        clusters.push(cluster);
    }
    Fixtures {
        workspace_objects: g.workspace_objects(),
        instance_profiles: Some(json!({
            "instance_profiles": ROLES.iter().map(|r| json!({
                "instance_profile_arn": profile_arn(r),
                "is_meta_instance_profile": false,
            })).collect::<Vec<_>>()
        })),
        secret_scopes: Some(json!({
            "scopes": SCOPES.iter().map(|s| json!({"name": s, "backend_type": "DATABRICKS"})).collect::<Vec<_>>()
        })),
        jobs,
        clusters,
        instance_pools,
        cluster_policies,
        cluster_libraries,
        ..Fixtures::default()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary

const ACCOUNT: &str = "111111111111";
const REGION: &str = "us-east-1";
const ZONES: &[&str] = &["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"];
const ROLES: &[&str] = &[
    "etl",
    "analytics",
    "ml",
    "streaming",
    "reporting",
    "platform",
];
const SCOPES: &[&str] = &[
    "etl-secrets",
    "analytics",
    "kafka-prod",
    "ml-platform",
    "partner-sftp",
    "warehouse",
];
const TEAMS: &[&str] = &[
    "sales",
    "finance",
    "marketing",
    "ml",
    "platform",
    "risk",
    "supply-chain",
    "growth",
    "bi",
    "data-eng",
    "fraud",
    "customer",
    "logistics",
    "hr",
    "security",
];
const DOMAINS: &[&str] = &[
    "orders",
    "customers",
    "inventory",
    "clickstream",
    "payments",
    "shipments",
    "returns",
    "campaigns",
    "sessions",
    "invoices",
    "ledger",
    "products",
    "pricing",
    "reviews",
    "devices",
    "events",
    "accounts",
    "claims",
    "leads",
    "tickets",
];
const VERBS: &[&str] = &[
    "etl",
    "ingest",
    "refresh",
    "backfill",
    "export",
    "score",
    "train",
    "aggregate",
    "dq-checks",
    "sync",
    "snapshot",
    "compact",
    "dedupe",
    "publish",
    "reconcile",
];
const CADENCES: &[&str] = &["hourly", "daily", "nightly", "weekly", "monthly"];
const STAGES: &[&str] = &[
    "ingest",
    "validate",
    "transform",
    "enrich",
    "aggregate",
    "publish",
    "export",
    "notify",
    "cleanup",
    "refresh",
    "score",
    "snapshot",
    "reconcile",
    "compact",
];
const FIRST: &[&str] = &[
    "alice", "bob", "carla", "dmitri", "emma", "farid", "grace", "hiro", "ines", "jamal", "kofi",
    "lena",
];
const LAST: &[&str] = &[
    "martin", "chen", "diaz", "ivanov", "okafor", "nguyen", "schmidt", "rossi", "tanaka", "silva",
    "kowalski", "haddad", "larsen",
];
const JOB_CLUSTER_KEYS: &[&str] = &[
    "main",
    "etl_cluster",
    "small",
    "large",
    "shared",
    "driver_heavy",
    "io_cluster",
];
const AP_PURPOSES: &[&str] = &[
    "shared",
    "adhoc",
    "dev",
    "bi",
    "ml",
    "etl-interactive",
    "exploration",
    "notebooks",
    "reporting",
    "sandbox",
];
const POOL_PURPOSES: &[&str] = &[
    "etl",
    "adhoc",
    "jobs",
    "bi",
    "streaming",
    "shared",
    "driver",
    "batch",
];
const POLICY_FLAVORS: &[&str] = &[
    "etl-standard",
    "jobs-small",
    "jobs-large",
    "analytics",
    "streaming",
    "photon",
    "spot-only",
    "restricted",
    "shared-compute",
    "cost-capped",
];
const PYPI: &[&str] = &[
    "boto3==1.35.36",
    "requests==2.32.3",
    "great-expectations==0.18.12",
    "pandas==2.2.3",
    "pyarrow==17.0.0",
    "scikit-learn==1.5.2",
    "mlflow==2.17.0",
    "delta-spark==3.2.1",
    "pydantic==2.9.2",
    "structlog==24.4.0",
    "xgboost==2.1.1",
    "openpyxl>=3.1",
];
const MAVEN: &[&str] = &[
    "com.amazon.deequ:deequ:2.0.7-spark-3.5",
    "org.apache.spark:spark-avro_2.12:3.5.0",
    "io.delta:delta-sharing-spark_2.12:3.1.0",
    "com.databricks:spark-xml_2.12:0.18.0",
];
const TIMEZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Europe/Berlin",
];
const RUN_IFS: &[(&str, u32)] = &[
    ("ALL_SUCCESS", 85),
    ("ALL_DONE", 6),
    ("NONE_FAILED", 3),
    ("AT_LEAST_ONE_SUCCESS", 2),
    ("ALL_FAILED", 2),
    ("AT_LEAST_ONE_FAILED", 2),
];
/// Standard runtimes, weighted; every key is in the built-in catalog (checked by a test).
const RUNTIMES: &[(&str, u32)] = &[
    ("15.4.x-scala2.12", 30),
    ("14.3.x-scala2.12", 20),
    ("16.4.x-scala2.12", 15),
    ("13.3.x-scala2.12", 10),
    ("17.3.x-scala2.13", 8),
    ("12.2.x-scala2.12", 4),
    ("15.4.x-photon-scala2.12", 5),
    ("16.4.x-scala2.13", 4),
];
const ML_RUNTIMES: &[&str] = &[
    "15.4.x-cpu-ml-scala2.12",
    "14.3.x-cpu-ml-scala2.12",
    "16.4.x-cpu-ml-scala2.12",
];
const GPU_RUNTIMES: &[&str] = &["15.4.x-gpu-ml-scala2.12", "14.3.x-gpu-ml-scala2.12"];
/// Runtimes a `1[45]` regex policy allows.
const POLICY_RUNTIMES: &[&str] = &[
    "15.4.x-scala2.12",
    "14.3.x-scala2.12",
    "15.4.x-photon-scala2.12",
    "14.3.x-photon-scala2.12",
];

/// 2022-01-01T00:00:00Z: the first job's creation.
const JOBS_FROM: i64 = 1_640_995_200_000;
/// 2024-12-01T00:00:00Z: no job is younger.
const JOBS_TO: i64 = 1_733_011_200_000;
/// 2024-09-01T00:00:00Z: clusters started from then on.
const CLUSTERS_FROM: i64 = 1_725_148_800_000;
/// 2024-01-01T00:00:00Z.
const YEAR_2024: i64 = 1_704_067_200_000;

fn profile_arn(role: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:instance-profile/databricks-{role}-role")
}

// ---------------------------------------------------------------------------------------------------------------
// The generator

/// A usable node type of the catalog (not hidden, not deprecated, available in the region).
struct Node {
    id: String,
    memory_mb: i64,
    cores: f64,
    gpu: bool,
    photon: bool,
}

/// What a cluster spec needs to know about a generated pool.
struct PoolRef {
    id: String,
    node: usize,
    version: Option<&'static str>,
    spot: bool,
}

/// What a cluster spec needs to know about a generated policy, so that clusters keep to their policy.
struct PolicyRef {
    id: String,
    team: &'static str,
    /// `cluster_type`: `Some("job")`, `Some("all-purpose")` or any.
    cluster_type: Option<&'static str>,
    zone: Option<&'static str>,
    profile: Option<String>,
    availability: Option<&'static str>,
    /// Allowed worker node types (indices into the node list); the first is the default.
    nodes: Vec<usize>,
    pool: Option<usize>,
    versions: &'static [&'static str],
    security: Option<&'static str>,
    cost_center: Option<String>,
    autotermination: i64,
}

#[derive(Clone, Copy, PartialEq)]
enum Use {
    Job,
    AllPurpose,
}

#[derive(Clone, Copy, PartialEq)]
enum Compute {
    JobClusters,
    Existing,
    TaskClusters,
    Serverless,
}

#[derive(Clone, Copy)]
enum Obj {
    Notebook(&'static str),
    File(i64),
    Repo,
    Dir,
}

/// Names that stay unique: a taken name gets `-2`, `-3`, ... appended.
#[derive(Default)]
struct Names {
    used: HashSet<String>,
    next: HashMap<String, u32>,
}

impl Names {
    fn unique(&mut self, base: &str) -> String {
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        let n = self.next.entry(base.to_string()).or_insert(1);
        loop {
            *n += 1;
            let candidate = format!("{base}-{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// A principal: user name (e-mail or application id) and numeric SCIM id.
struct User {
    name: String,
    id: String,
}

struct Gen {
    rng: SmallRng,
    nodes: Vec<Node>,
    /// Non-GPU nodes and their cumulative weights.
    general: Vec<usize>,
    general_cum: Vec<u32>,
    gpu: Vec<usize>,
    users: Vec<User>,
    sps: Vec<String>,
    warehouses: Vec<String>,
    webhooks: Vec<String>,
    pools: Vec<PoolRef>,
    policies: Vec<PolicyRef>,
    personal_policy: Option<usize>,
    all_purpose: Vec<String>,
    cluster_ids: HashSet<String>,
    pool_ids: HashSet<String>,
    policy_ids: HashSet<String>,
    job_ids: HashSet<i64>,
    pool_names: Names,
    policy_names: Names,
    cluster_names: Names,
    objects: BTreeMap<String, Obj>,
    /// Next private IP octets for Spark nodes.
    ip: u32,
}

impl Gen {
    fn new(seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let nodes = usable_nodes();
        let mut general = Vec::new();
        let mut general_cum = Vec::new();
        let mut gpu = Vec::new();
        let mut total = 0;
        for (i, n) in nodes.iter().enumerate() {
            if n.gpu {
                gpu.push(i);
                continue;
            }
            total += match n.id.as_str() {
                "i3.xlarge" => 25,
                "m5d.xlarge" | "r5d.xlarge" => 15,
                "i3.2xlarge" | "m5d.2xlarge" | "r5d.2xlarge" => 10,
                "m5d.large" => 8,
                _ => 4,
            };
            general.push(i);
            general_cum.push(total);
        }
        let users = (0..48)
            .map(|i| User {
                name: format!(
                    "{}.{}@example.com",
                    FIRST[i % FIRST.len()],
                    LAST[(i * 7) % LAST.len()]
                ),
                id: rng
                    .random_range(1_000_000_000_000_000u64..10_000_000_000_000_000)
                    .to_string(),
            })
            .collect();
        let mut g = Gen {
            rng,
            nodes,
            general,
            general_cum,
            gpu,
            users,
            sps: Vec::new(),
            warehouses: Vec::new(),
            webhooks: Vec::new(),
            pools: Vec::new(),
            policies: Vec::new(),
            personal_policy: None,
            all_purpose: Vec::new(),
            cluster_ids: HashSet::new(),
            pool_ids: HashSet::new(),
            policy_ids: HashSet::new(),
            job_ids: HashSet::new(),
            pool_names: Names::default(),
            policy_names: Names::default(),
            cluster_names: Names::default(),
            objects: BTreeMap::new(),
            ip: 0,
        };
        g.sps = (0..6).map(|_| g.uuid()).collect();
        g.warehouses = (0..5).map(|_| g.hex(16)).collect();
        g.webhooks = (0..4).map(|_| g.uuid()).collect();
        g
    }

    // ----- randomness helpers

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n)
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.rng.random_range(0..total);
        for (item, w) in items {
            if x < *w {
                return *item;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }

    fn chars(&mut self, n: usize, set: &[u8]) -> String {
        (0..n)
            .map(|_| set[self.rng.random_range(0..set.len())] as char)
            .collect()
    }

    fn hex(&mut self, n: usize) -> String {
        self.chars(n, b"0123456789abcdef")
    }

    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-{}{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.pick(&['8', '9', 'a', 'b']),
            self.hex(3),
            self.hex(12)
        )
    }

    fn user_name(&mut self) -> String {
        let i = self.below(self.users.len());
        self.users[i].name.clone()
    }

    fn sp(&mut self) -> String {
        let i = self.below(self.sps.len());
        self.sps[i].clone()
    }

    fn general_node(&mut self) -> usize {
        let total = *self.general_cum.last().unwrap_or(&1);
        let x = self.rng.random_range(0..total);
        let at = self.general_cum.partition_point(|&c| c <= x);
        self.general[at.min(self.general.len() - 1)]
    }

    /// A worker node: mostly general purpose, now and then a GPU node.
    fn any_node(&mut self) -> usize {
        if !self.gpu.is_empty() && self.chance(0.03) {
            let i = self.below(self.gpu.len());
            self.gpu[i]
        } else {
            self.general_node()
        }
    }

    /// A driver for `worker`: the next size up in the same family, or the same type.
    fn driver_for(&self, worker: usize) -> usize {
        let w = &self.nodes[worker];
        let family = w.id.split('.').next().unwrap_or("");
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.id.split('.').next() == Some(family) && n.cores > w.cores)
            .min_by(|a, b| a.1.cores.total_cmp(&b.1.cores))
            .map_or(worker, |(i, _)| i)
    }

    fn runtime(&mut self, gpu: bool) -> &'static str {
        if gpu {
            self.pick(GPU_RUNTIMES)
        } else if self.chance(0.07) {
            self.pick(ML_RUNTIMES)
        } else {
            self.weighted(RUNTIMES)
        }
    }

    fn node_pair(&self, worker: usize) -> (&str, bool) {
        (&self.nodes[worker].id, self.nodes[worker].gpu)
    }

    // ----- ids and times

    fn cluster_id(&mut self, start: i64) -> String {
        loop {
            let id = format!(
                "{}-{}",
                date_prefix(start),
                self.chars(8, b"abcdefghijklmnopqrstuvwxyz0123456789")
            );
            if self.cluster_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn job_id(&mut self) -> i64 {
        loop {
            let id = self
                .rng
                .random_range(100_000_000_000_000..1_000_000_000_000_000i64);
            if self.job_ids.insert(id) {
                return id;
            }
        }
    }

    // ----- library bodies

    fn library(&mut self, team: &str) -> Value {
        match self.below(10) {
            0..=4 => {
                let package = self.pick(PYPI);
                if self.chance(0.1) {
                    json!({"pypi": {"package": package, "repo": "https://pypi.internal.acme.example/simple"}})
                } else {
                    json!({"pypi": {"package": package}})
                }
            }
            5 | 6 => {
                let v = self.version_triplet();
                let pkg = team.replace('-', "_");
                if self.chance(0.5) {
                    json!({"whl": format!("s3://acme-artifacts-{REGION}/wheels/{pkg}_utils-{v}-py3-none-any.whl")})
                } else {
                    json!({"whl": format!("/Volumes/main/{pkg}/wheels/{pkg}_utils-{v}-py3-none-any.whl")})
                }
            }
            7 | 8 => {
                let v = self.version_triplet();
                json!({"jar": format!("s3://acme-artifacts-{REGION}/jars/{team}-udfs-{v}.jar")})
            }
            _ => {
                let coordinates = self.pick(MAVEN);
                if self.chance(0.3) {
                    json!({"maven": {"coordinates": coordinates, "exclusions": ["org.scala-lang:scala-reflect"]}})
                } else {
                    json!({"maven": {"coordinates": coordinates}})
                }
            }
        }
    }

    fn version_triplet(&mut self) -> String {
        format!(
            "{}.{}.{}",
            self.between(0, 4),
            self.between(0, 12),
            self.between(0, 9)
        )
    }

    // ----- pools

    fn pool(&mut self) -> Value {
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

    // ----- policies

    fn policy_id(&mut self) -> String {
        loop {
            let id = format!("{:016X}", self.rng.random::<u64>());
            if self.policy_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn policy(&mut self, personal: bool) -> Value {
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
        let versions: &'static [&'static str] = match (pool, self.below(3)) {
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
        };
        if let Some(cluster_type) = cluster_type {
            def.insert(
                "cluster_type".into(),
                json!({"type": "fixed", "value": cluster_type}),
            );
        }
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

    fn personal_policy(&mut self, id: String, created: i64, creator: String) -> Value {
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

    // ----- cluster specs

    /// A ClusterSpec as a user sends it: plain, pool-backed or policy-backed.
    fn cluster_spec(&mut self, usage: Use, team: &'static str, owner: &str) -> Map<String, Value> {
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
        let mut s = Map::new();
        // Compute: pool, or node types (from the policy's allowlist when it has one).
        let (worker, gpu) = match pool {
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
        };
        let version = match (pool, policy) {
            (Some(p), _) if self.pools[p].version.is_some() && self.chance(0.8) => {
                self.pools[p].version.unwrap_or("15.4.x-scala2.12")
            }
            (_, Some(p)) if !self.policies[p].versions.is_empty() && !gpu => {
                let vs = self.policies[p].versions;
                self.pick(vs)
            }
            _ => self.runtime(gpu),
        };
        s.insert("spark_version".into(), json!(version));
        let apply_defaults = policy.is_some() && pool.is_none() && self.chance(0.2);
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
        let photon_ok = self.nodes[worker].photon && !version.contains("-ml-");
        if photon_ok && !version.contains("photon") && self.chance(0.35) {
            s.insert("runtime_engine".into(), json!("PHOTON"));
        } else if self.chance(0.05) {
            s.insert("runtime_engine".into(), json!("STANDARD"));
        }
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
        if !aws.is_empty() {
            s.insert("aws_attributes".into(), Value::Object(aws));
        }
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
        s
    }

    fn spark_conf(&mut self, team: &str) -> Value {
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
    fn effective(&self, spec: &Map<String, Value>, usage: Use) -> Map<String, Value> {
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

    fn node_of(&self, c: &Map<String, Value>, key: &str) -> Option<&Node> {
        let id = c.get(key).and_then(Value::as_str)?;
        self.nodes.iter().find(|n| n.id == id)
    }

    fn spark_node(&mut self, spot: bool, start: i64) -> Value {
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
    fn details(
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
    fn all_purpose_cluster(&mut self) -> Value {
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

    fn personal_spec(&mut self, policy: usize, owner: &str) -> Map<String, Value> {
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
    fn job_run_cluster(&mut self, jobs: &[Value]) -> Value {
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
    fn cluster_libraries(&mut self, cluster: &Value) -> Value {
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

    // ----- jobs

    fn jobs(&mut self, n: usize) -> Vec<Value> {
        let mut big = vec![false; n];
        let n_big = if n >= 10 { (n + 50) / 100 } else { 0 };
        for i in rand::seq::index::sample(&mut self.rng, n, n_big) {
            big[i] = true;
        }
        let step = if n == 0 {
            1
        } else {
            ((JOBS_TO - JOBS_FROM) / i64::try_from(n).unwrap_or(i64::MAX)).max(1)
        };
        let mut names = Names::default();
        let mut taken: Vec<String> = Vec::with_capacity(n);
        let mut ids: Vec<i64> = Vec::with_capacity(n);
        let mut jobs = Vec::with_capacity(n);
        for (i, &is_big) in big.iter().enumerate() {
            // One slot of `step` ms per job, jittered inside it: strictly increasing, never past JOBS_TO.
            let slot = JOBS_FROM + i64::try_from(i).unwrap_or(i64::MAX / 2) * step;
            let created = slot + self.between(0, step - 1);
            let job = self.job(is_big, created, &mut names, &taken, &ids);
            taken.push(
                job["settings"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            ids.push(job["job_id"].as_i64().unwrap_or(0));
            jobs.push(job);
        }
        jobs
    }

    fn job(
        &mut self,
        big: bool,
        created: i64,
        names: &mut Names,
        taken: &[String],
        earlier: &[i64],
    ) -> Value {
        let team = self.pick(TEAMS);
        let domain = self.pick(DOMAINS);
        let verb = self.pick(VERBS);
        let name = if !taken.is_empty() && self.chance(0.005) {
            // A deliberate duplicate: real workspaces have several jobs of one name.
            taken[self.below(taken.len())].clone()
        } else if big {
            names.unique(&format!("{team}-{domain}-partitioned-{verb}"))
        } else if self.chance(0.4) {
            let cadence = self.pick(CADENCES);
            names.unique(&format!("{team}-{domain}-{verb}-{cadence}"))
        } else {
            names.unique(&format!("{team}-{domain}-{verb}"))
        };
        let job_id = self.job_id();
        // Principals.
        let creator = if self.chance(0.8) {
            self.user_name()
        } else {
            self.sp()
        };
        let creator_is_user = creator.contains('@');
        let run_as = if !creator_is_user || self.chance(0.55) {
            if creator_is_user {
                json!({"user_name": creator})
            } else {
                json!({"service_principal_name": creator})
            }
        } else {
            json!({"service_principal_name": self.sp()})
        };
        let run_as_name = run_as
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        // Where the code lives.
        let git = !big && self.chance(0.1);
        let slug = name.replace([' ', '/'], "_");
        let dir = if git {
            String::new()
        } else {
            match self.below(20) {
                0..=10 => format!("/Shared/{team}/{slug}"),
                11..=16 if creator_is_user => format!("/Users/{creator}/{slug}"),
                17..=19 if creator_is_user => {
                    let repo = format!("/Repos/{creator}/{team}-pipelines");
                    self.objects.insert(repo.clone(), Obj::Repo);
                    format!("{repo}/{domain}")
                }
                _ => format!("/Shared/{team}/{slug}"),
            }
        };
        let language = self.weighted(&[("PYTHON", 75), ("SQL", 15), ("SCALA", 7), ("R", 3)]);
        // Compute.
        let mut compute = match self.below(100) {
            _ if big => Compute::JobClusters,
            0..=64 => Compute::JobClusters,
            65..=79 => Compute::Existing,
            80..=89 => Compute::TaskClusters,
            _ => Compute::Serverless,
        };
        if compute == Compute::Existing && self.all_purpose.is_empty() {
            compute = Compute::JobClusters;
        }
        let mut settings = Map::new();
        let mut job_cluster_keys: Vec<&'static str> = Vec::new();
        if compute == Compute::JobClusters {
            let n = self.weighted(&[(1usize, 60), (2, 30), (3, 10)]);
            let start = self.below(JOB_CLUSTER_KEYS.len());
            job_cluster_keys = (0..n)
                .map(|k| JOB_CLUSTER_KEYS[(start + k) % JOB_CLUSTER_KEYS.len()])
                .collect();
            let clusters: Vec<Value> = job_cluster_keys
                .iter()
                .map(|key| {
                    json!({
                        "job_cluster_key": key,
                        "new_cluster": Value::Object(self.cluster_spec(Use::Job, team, &run_as_name)),
                    })
                })
                .collect();
            settings.insert("job_clusters".into(), Value::Array(clusters));
        }
        let existing: Vec<String> = if compute == Compute::Existing
            || (compute == Compute::JobClusters && !self.all_purpose.is_empty())
        {
            (0..self.between(1, 2))
                .map(|_| self.all_purpose[self.rng.random_range(0..self.all_purpose.len())].clone())
                .collect()
        } else {
            Vec::new()
        };
        let ctx = TaskCtx {
            team,
            domain,
            dir: &dir,
            git,
            language,
            compute,
            job_cluster_keys: &job_cluster_keys,
            existing: &existing,
            run_as: &run_as_name,
            earlier,
        };
        let tasks = if big {
            self.big_tasks(&ctx)
        } else {
            self.small_tasks(&ctx)
        };
        // Settings, in the order the fixtures show them.
        settings.insert("name".into(), json!(name));
        if self.chance(0.4) {
            settings.insert(
                "description".into(),
                json!(format!(
                    "{} {domain} for the {team} team.",
                    capitalize(verb)
                )),
            );
        }
        if self.chance(0.85) {
            let cc = self.between(1000, 1999);
            let mut tags = json!({
                "team": team,
                "env": self.weighted(&[("prod", 8), ("staging", 2)]),
                "cost_center": format!("cc-{cc}"),
            });
            if self.chance(0.3) {
                tags["dr_tier"] = json!(self.pick(&["1", "2", "3"]));
            }
            if self.chance(0.2) {
                tags["data_product"] = json!(domain);
            }
            settings.insert("tags".into(), tags);
        }
        settings.insert(
            "timeout_seconds".into(),
            json!(if self.chance(0.6) {
                0
            } else {
                self.pick(&[3600, 7200, 14400, 86400])
            }),
        );
        settings.insert(
            "max_concurrent_runs".into(),
            json!(if self.chance(0.9) {
                1
            } else {
                self.pick(&[2, 3, 5, 10])
            }),
        );
        settings.insert("queue".into(), json!({"enabled": self.chance(0.9)}));
        match self.below(100) {
            0..=54 => {
                let cron = match self.below(5) {
                    0 => "0 0 * * * ?".to_string(),
                    1 => format!(
                        "0 {} {} ? * MON-FRI",
                        self.between(0, 59),
                        self.between(0, 23)
                    ),
                    2 => format!("0 0/{} * * * ?", self.pick(&[5, 10, 15, 30])),
                    3 => format!("0 {} {} ? * SUN", self.between(0, 59), self.between(0, 23)),
                    _ => format!("0 {} {} * * ?", self.between(0, 59), self.between(0, 23)),
                };
                let pause = if self.chance(0.88) {
                    "UNPAUSED"
                } else {
                    "PAUSED"
                };
                settings.insert(
                    "schedule".into(),
                    json!({
                        "quartz_cron_expression": cron,
                        "timezone_id": self.pick(TIMEZONES),
                        "pause_status": pause,
                    }),
                );
            }
            55..=58 => {
                let pause = if self.chance(0.8) {
                    "UNPAUSED"
                } else {
                    "PAUSED"
                };
                settings.insert("continuous".into(), json!({"pause_status": pause}));
            }
            59..=63 => {
                let pause = if self.chance(0.85) {
                    "UNPAUSED"
                } else {
                    "PAUSED"
                };
                settings.insert(
                    "trigger".into(),
                    json!({
                        "pause_status": pause,
                        "file_arrival": {
                            "url": format!("s3://acme-{team}-landing-{REGION}/{domain}/incoming/"),
                            "min_time_between_triggers_seconds": self.pick(&[60, 300, 600]),
                            "wait_after_last_change_seconds": self.pick(&[60, 120]),
                        },
                    }),
                );
            }
            64 | 65 => {
                settings.insert(
                    "trigger".into(),
                    json!({
                        "pause_status": "UNPAUSED",
                        "periodic": {"interval": self.between(1, 6), "unit": self.pick(&["HOURS", "DAYS"])},
                    }),
                );
            }
            _ => {}
        }
        let mut email = Map::new();
        if self.chance(0.6) {
            let to = if self.chance(0.5) {
                format!("{team}-data@example.com")
            } else {
                "oncall-data@example.com".to_string()
            };
            email.insert("on_failure".into(), json!([to]));
        }
        if self.chance(0.15) {
            email.insert(
                "on_success".into(),
                json!([format!("{team}-data@example.com")]),
            );
        }
        if self.chance(0.1) {
            email.insert(
                "on_start".into(),
                json!([format!("{team}-data@example.com")]),
            );
        }
        if !email.is_empty() && self.chance(0.3) {
            email.insert("no_alert_for_skipped_runs".into(), json!(true));
        }
        settings.insert("email_notifications".into(), Value::Object(email));
        let webhooks = if self.chance(0.05) {
            let i = self.below(self.webhooks.len());
            let id = self.webhooks[i].clone();
            json!({"on_failure": [{"id": id}]})
        } else {
            json!({})
        };
        settings.insert("webhook_notifications".into(), webhooks);
        if self.chance(0.15) {
            settings.insert(
                "notification_settings".into(),
                json!({"no_alert_for_skipped_runs": self.chance(0.5), "no_alert_for_canceled_runs": true}),
            );
        }
        if self.chance(0.1) {
            settings.insert(
                "health".into(),
                json!({"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": self.pick(&[1800, 3600, 7200])}]}),
            );
        }
        if git {
            let mut source = json!({
                "git_url": format!("https://github.com/acme-data/{team}-pipelines"),
                "git_provider": "gitHub",
            });
            if self.chance(0.8) {
                source["git_branch"] = json!("main");
            } else {
                source["git_tag"] = json!(format!(
                    "v2024.{}.{}",
                    self.between(1, 11),
                    self.between(0, 5)
                ));
            }
            settings.insert("git_source".into(), source);
        }
        if self.chance(0.3) {
            let mut params = vec![
                json!({"name": "run_date", "default": "{{job.start_time.iso_date}}"}),
                json!({"name": "env", "default": "prod"}),
            ];
            if self.chance(0.3) {
                params.push(json!({"name": "source_bucket", "default": format!("s3://acme-{team}-landing-{REGION}")}));
            }
            settings.insert("parameters".into(), Value::Array(params));
        }
        if compute == Compute::Serverless {
            let mut deps: Vec<Value> = (0..self.between(1, 3))
                .map(|_| json!(self.pick(PYPI)))
                .collect();
            if self.chance(0.3) {
                let v = self.version_triplet();
                let pkg = team.replace('-', "_");
                deps.push(json!(format!(
                    "/Volumes/main/{pkg}/wheels/{pkg}_pipelines-{v}-py3-none-any.whl"
                )));
            }
            settings.insert(
                "environments".into(),
                json!([{"environment_key": "default", "spec": {"client": "2", "dependencies": deps}}]),
            );
        }
        // Job clusters no task runs on are left out, as a job's author would.
        if let Some(Value::Array(clusters)) = settings.get_mut("job_clusters") {
            clusters.retain(|c| {
                let key = c.get("job_cluster_key");
                tasks.iter().any(|t| t.get("job_cluster_key") == key)
            });
            if clusters.is_empty() {
                settings.remove("job_clusters");
            }
        }
        settings.insert("tasks".into(), Value::Array(tasks));
        settings.insert("format".into(), json!("MULTI_TASK"));
        settings.insert("run_as".into(), run_as);
        let mut job = Map::new();
        job.insert("job_id".into(), json!(job_id));
        if self.chance(0.995) {
            job.insert("creator_user_name".into(), json!(creator));
        }
        job.insert("run_as_user_name".into(), json!(run_as_name));
        job.insert("created_time".into(), json!(created));
        job.insert("settings".into(), Value::Object(settings));
        Value::Object(job)
    }

    /// 1–8 tasks in a DAG: mostly chains, some fan-in, now and then a condition with outcomes.
    fn small_tasks(&mut self, ctx: &TaskCtx<'_>) -> Vec<Value> {
        let n = self.weighted(&[
            (1usize, 30),
            (2, 20),
            (3, 15),
            (4, 10),
            (5, 8),
            (6, 7),
            (7, 5),
            (8, 5),
        ]);
        let start = self.below(STAGES.len());
        let keys: Vec<&'static str> = (0..n).map(|k| STAGES[(start + k) % STAGES.len()]).collect();
        let mut conditions = vec![false; n];
        let mut tasks = Vec::with_capacity(n);
        for k in 0..n {
            let mut t = Map::new();
            t.insert("task_key".into(), json!(keys[k]));
            if k > 0 {
                let mut deps: Vec<usize> = Vec::new();
                match self.below(20) {
                    0 => {}
                    1..=4 => {
                        deps.push(self.below(k));
                        if deps[0] != k - 1 {
                            deps.push(k - 1);
                        }
                    }
                    _ => deps.push(k - 1),
                }
                if !deps.is_empty() {
                    let list: Vec<Value> = deps
                        .iter()
                        .map(|&d| {
                            if conditions[d] {
                                json!({"task_key": keys[d], "outcome": if self.chance(0.7) { "true" } else { "false" }})
                            } else {
                                json!({"task_key": keys[d]})
                            }
                        })
                        .collect();
                    t.insert("depends_on".into(), Value::Array(list));
                }
                let run_if = if deps.is_empty() {
                    "ALL_SUCCESS"
                } else {
                    self.weighted(RUN_IFS)
                };
                t.insert("run_if".into(), json!(run_if));
            } else {
                t.insert("run_if".into(), json!("ALL_SUCCESS"));
            }
            let roll = self.below(100);
            if k > 0 && k + 1 < n && roll < 8 {
                conditions[k] = true;
                t.insert(
                    "condition_task".into(),
                    json!({
                        "op": self.pick(&["GREATER_THAN", "EQUAL_TO", "NOT_EQUAL"]),
                        "left": format!("{{{{tasks.{}.values.row_count}}}}", keys[k - 1]),
                        "right": "0",
                    }),
                );
            } else if roll < 11 && !ctx.earlier.is_empty() {
                let id = ctx.earlier[self.below(ctx.earlier.len())];
                let mut task = json!({"job_id": id});
                if self.chance(0.3) {
                    task["job_parameters"] = json!({"env": "prod"});
                }
                t.insert("run_job_task".into(), task);
            } else if roll < 15 {
                let i = self.below(self.warehouses.len());
                let warehouse = self.warehouses[i].clone();
                let query = self.uuid();
                t.insert(
                    "sql_task".into(),
                    json!({"warehouse_id": warehouse, "query": {"query_id": query}}),
                );
            } else {
                self.compute_task(ctx, keys[k], &mut t);
            }
            self.task_settings(&mut t, ctx.team);
            tasks.push(Value::Object(t));
        }
        tasks
    }

    /// 101–150 tasks: a start, a fan-out of partitions, and a finish that waits for the last ones.
    fn big_tasks(&mut self, ctx: &TaskCtx<'_>) -> Vec<Value> {
        let n = usize::try_from(self.between(101, 150)).unwrap_or(101);
        let cluster = |k: usize| ctx.job_cluster_keys[k % ctx.job_cluster_keys.len().max(1)];
        let path = |leaf: &str| format!("{}/{leaf}", ctx.dir);
        let mut tasks = Vec::with_capacity(n);
        for leaf in ["start", "process_partition", "finish"] {
            self.objects.insert(path(leaf), Obj::Notebook("PYTHON"));
        }
        tasks.push(json!({
            "task_key": "start",
            "run_if": "ALL_SUCCESS",
            "job_cluster_key": cluster(0),
            "notebook_task": {"notebook_path": path("start"), "source": "WORKSPACE"},
            "timeout_seconds": 0,
            "email_notifications": {},
            "webhook_notifications": {},
        }));
        let parts = n - 2;
        for p in 1..=parts {
            let depends = if p > 10 && self.chance(0.2) {
                // Some partitions wait for an earlier one, so the DAG is not one flat fan-out.
                format!(
                    "part_{:03}",
                    self.between(1, i64::try_from(p).unwrap_or(2) - 1)
                )
            } else {
                "start".to_string()
            };
            tasks.push(json!({
                "task_key": format!("part_{p:03}"),
                "depends_on": [{"task_key": depends}],
                "run_if": "ALL_SUCCESS",
                "job_cluster_key": cluster(p),
                "notebook_task": {
                    "notebook_path": path("process_partition"),
                    "base_parameters": {"partition": p.to_string()},
                    "source": "WORKSPACE",
                },
                "timeout_seconds": 0,
                "email_notifications": {},
                "webhook_notifications": {},
            }));
        }
        let last: Vec<Value> = (parts.saturating_sub(2).max(1)..=parts)
            .map(|p| json!({"task_key": format!("part_{p:03}")}))
            .collect();
        tasks.push(json!({
            "task_key": "finish",
            "depends_on": last,
            "run_if": "ALL_DONE",
            "job_cluster_key": cluster(0),
            "notebook_task": {"notebook_path": path("finish"), "source": "WORKSPACE"},
            "timeout_seconds": 0,
            "email_notifications": {},
            "webhook_notifications": {},
        }));
        tasks
    }

    /// A task that runs code: notebook, Python file, wheel or JAR, with its compute and libraries.
    fn compute_task(&mut self, ctx: &TaskCtx<'_>, key: &str, t: &mut Map<String, Value>) {
        let serverless = ctx.compute == Compute::Serverless;
        let mut kind =
            self.weighted(&[("notebook", 65), ("python", 15), ("wheel", 12), ("jar", 8)]);
        if serverless && kind == "jar" {
            kind = "notebook";
        }
        let pkg = ctx.team.replace('-', "_");
        let mut libraries: Vec<Value> = Vec::new();
        match kind {
            "notebook" => {
                let mut task = Map::new();
                if ctx.git {
                    task.insert("notebook_path".into(), json!(format!("notebooks/{key}")));
                    task.insert("source".into(), json!("GIT"));
                } else {
                    let path = format!("{}/{key}", ctx.dir);
                    self.objects
                        .insert(path.clone(), Obj::Notebook(ctx.language));
                    task.insert("notebook_path".into(), json!(path));
                    task.insert("source".into(), json!("WORKSPACE"));
                }
                if self.chance(0.3) {
                    task.insert(
                        "base_parameters".into(),
                        json!({"env": "{{job.parameters.env}}", "domain": ctx.domain}),
                    );
                }
                t.insert("notebook_task".into(), Value::Object(task));
            }
            "python" => {
                let mut task = Map::new();
                if ctx.git {
                    task.insert("python_file".into(), json!(format!("jobs/{key}.py")));
                    task.insert("source".into(), json!("GIT"));
                } else if self.chance(0.5) {
                    let path = format!("{}/{key}.py", ctx.dir);
                    let size = self.between(400, 20_000);
                    self.objects.insert(path.clone(), Obj::File(size));
                    task.insert("python_file".into(), json!(format!("/Workspace{path}")));
                    task.insert("source".into(), json!("WORKSPACE"));
                } else {
                    task.insert(
                        "python_file".into(),
                        json!(format!(
                            "s3://acme-{}-code-{REGION}/jobs/{key}.py",
                            ctx.team
                        )),
                    );
                }
                if self.chance(0.5) {
                    task.insert(
                        "parameters".into(),
                        json!([
                            "--date",
                            "{{job.start_time.iso_date}}",
                            "--domain",
                            ctx.domain
                        ]),
                    );
                }
                t.insert("spark_python_task".into(), Value::Object(task));
            }
            "wheel" => {
                let mut task =
                    json!({"package_name": format!("{pkg}_pipelines"), "entry_point": key});
                if self.chance(0.5) {
                    task["named_parameters"] =
                        json!({"date": "{{job.start_time.iso_date}}", "domain": ctx.domain});
                } else {
                    task["parameters"] = json!(["--domain", ctx.domain]);
                }
                t.insert("python_wheel_task".into(), task);
                if !serverless {
                    let v = self.version_triplet();
                    libraries.push(json!({"whl": format!("s3://acme-artifacts-{REGION}/wheels/{pkg}_pipelines-{v}-py3-none-any.whl")}));
                }
            }
            _ => {
                let class = format!("com.acme.{pkg}.{}Job", capitalize(ctx.domain));
                t.insert(
                    "spark_jar_task".into(),
                    json!({"main_class_name": class, "parameters": ["--input", format!("s3://acme-{}-landing-{REGION}/{}/", ctx.team, ctx.domain)]}),
                );
                let v = self.version_triplet();
                libraries.push(json!({"jar": format!("s3://acme-artifacts-{REGION}/jars/{}-jobs-{v}.jar", ctx.team)}));
            }
        }
        match ctx.compute {
            Compute::Serverless => {
                if kind != "notebook" {
                    t.insert("environment_key".into(), json!("default"));
                }
            }
            Compute::JobClusters if !ctx.existing.is_empty() && self.chance(0.08) => {
                let id = &ctx.existing[self.below(ctx.existing.len())];
                t.insert("existing_cluster_id".into(), json!(id));
            }
            Compute::JobClusters => {
                let key = if self.chance(0.6) {
                    ctx.job_cluster_keys[0]
                } else {
                    ctx.job_cluster_keys[self.below(ctx.job_cluster_keys.len())]
                };
                t.insert("job_cluster_key".into(), json!(key));
            }
            Compute::Existing => {
                let id = &ctx.existing[self.below(ctx.existing.len())];
                t.insert("existing_cluster_id".into(), json!(id));
            }
            Compute::TaskClusters => {
                let spec = self.cluster_spec(Use::Job, ctx.team, ctx.run_as);
                t.insert("new_cluster".into(), Value::Object(spec));
            }
        }
        if !serverless && self.chance(0.35) {
            for _ in 0..self.between(1, 3) {
                let lib = self.library(ctx.team);
                if !libraries.contains(&lib) {
                    libraries.push(lib);
                }
            }
        }
        if !libraries.is_empty() {
            t.insert("libraries".into(), Value::Array(libraries));
        }
    }

    /// Retries, timeouts and notifications of one task.
    fn task_settings(&mut self, t: &mut Map<String, Value>, team: &str) {
        if self.chance(0.15) {
            t.insert("max_retries".into(), json!(self.between(1, 3)));
            t.insert(
                "min_retry_interval_millis".into(),
                json!(self.pick(&[60_000, 300_000])),
            );
            t.insert("retry_on_timeout".into(), json!(self.chance(0.5)));
        }
        t.insert(
            "timeout_seconds".into(),
            json!(if self.chance(0.8) {
                0
            } else {
                self.pick(&[1800, 3600, 7200])
            }),
        );
        if self.chance(0.005) {
            t.insert("disabled".into(), json!(true));
        }
        let email = if self.chance(0.05) {
            json!({"on_failure": [format!("{team}-data@example.com")]})
        } else {
            json!({})
        };
        t.insert("email_notifications".into(), email);
        t.insert("webhook_notifications".into(), json!({}));
    }

    // ----- workspace objects

    /// `workspace/get-status` bodies of every notebook, file and repo the jobs use, and their folders.
    fn workspace_objects(&mut self) -> Vec<Value> {
        let paths: Vec<String> = self.objects.keys().cloned().collect();
        for path in paths {
            let mut at = path.as_str();
            while let Some(cut) = at.rfind('/') {
                at = &at[..cut];
                if at.is_empty() {
                    break;
                }
                self.objects.entry(at.to_string()).or_insert(Obj::Dir);
            }
        }
        let objects = std::mem::take(&mut self.objects);
        let mut out = Vec::with_capacity(objects.len());
        for (k, (path, obj)) in (0i64..).zip(objects) {
            let id = 1_180_392_746_508_919 + k * 7_919;
            let mut o = Map::new();
            let kind = match obj {
                Obj::Notebook(_) => "NOTEBOOK",
                Obj::File(_) => "FILE",
                Obj::Repo => "REPO",
                Obj::Dir => "DIRECTORY",
            };
            o.insert("object_type".into(), json!(kind));
            o.insert("path".into(), json!(path));
            if let Obj::Notebook(language) = obj {
                o.insert("language".into(), json!(language));
            }
            o.insert("object_id".into(), json!(id));
            if !matches!(obj, Obj::Dir) {
                let created = self.between(JOBS_FROM, YEAR_2024);
                let modified = self.between(created, JOBS_TO);
                o.insert("created_at".into(), json!(created));
                o.insert("modified_at".into(), json!(modified));
            }
            o.insert("resource_id".into(), json!(id.to_string()));
            if let Obj::File(size) = obj {
                o.insert("size".into(), json!(size));
            }
            out.push(Value::Object(o));
        }
        out
    }
}

/// What every task of one job shares.
struct TaskCtx<'a> {
    team: &'static str,
    domain: &'static str,
    dir: &'a str,
    git: bool,
    language: &'static str,
    compute: Compute,
    job_cluster_keys: &'a [&'static str],
    existing: &'a [String],
    run_as: &'a str,
    earlier: &'a [i64],
}

/// The node types of the built-in AWS catalog that a cluster may use.
fn usable_nodes() -> Vec<Node> {
    let body = catalog::node_types(Cloud::Aws);
    body.get("node_types")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|n| {
            n.get("is_hidden") != Some(&json!(true))
                && n.get("is_deprecated") != Some(&json!(true))
                && n.get("node_info")
                    .and_then(|i| i.get("status"))
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
        })
        .filter_map(|n| {
            Some(Node {
                id: n.get("node_type_id")?.as_str()?.to_string(),
                memory_mb: n.get("memory_mb")?.as_i64()?,
                cores: n.get("num_cores")?.as_f64()?,
                gpu: n.get("num_gpus").and_then(Value::as_i64).unwrap_or(0) > 0,
                photon: n.get("photon_worker_capable") == Some(&json!(true)),
            })
        })
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `MMDD-HHMMSS` of a UTC timestamp, the prefix of cluster and pool ids.
fn date_prefix(ms: i64) -> String {
    let secs = ms / 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil (proleptic Gregorian, UTC); only month and day are needed.
    let z = days + 719_468;
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    format!(
        "{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn spec(jobs: usize, clusters: usize, pools: usize, policies: usize) -> SyntheticSpec {
        SyntheticSpec {
            jobs,
            clusters,
            pools,
            policies,
        }
    }

    fn to_json(f: &Fixtures) -> String {
        serde_json::to_string(&json!({
            "jobs": f.jobs,
            "clusters": f.clusters,
            "instance_pools": f.instance_pools,
            "cluster_policies": f.cluster_policies,
            "cluster_libraries": f.cluster_libraries,
            "workspace_objects": f.workspace_objects,
            "instance_profiles": f.instance_profiles,
            "secret_scopes": f.secret_scopes,
        }))
        .unwrap()
    }

    fn err(s: &str) -> String {
        s.parse::<SyntheticSpec>().unwrap_err().to_string()
    }

    #[test]
    fn parses_any_subset_of_keys() {
        assert_eq!(
            "jobs=10000,clusters=1000,pools=200,policies=100"
                .parse::<SyntheticSpec>()
                .unwrap(),
            spec(10_000, 1000, 200, 100)
        );
        assert_eq!(
            " policies = 3 , jobs=7 ".parse::<SyntheticSpec>().unwrap(),
            spec(7, 0, 0, 3)
        );
        let s = spec(1, 2, 3, 4);
        assert_eq!(s.to_string().parse::<SyntheticSpec>().unwrap(), s);
    }

    #[test]
    fn parse_errors_name_the_culprit() {
        let e = err("jobs=10,widgets=5");
        assert!(e.contains("unknown key `widgets`"), "{e}");
        assert!(e.contains("synthetic workspace"), "{e}");
        let e = err("jobs=ten");
        assert!(e.contains("`jobs`") && e.contains("`ten`"), "{e}");
        let e = err("clusters=-1");
        assert!(e.contains("`clusters`") && e.contains("`-1`"), "{e}");
        assert!(err("pools").contains("`pools` is not KEY=N"));
        assert!(err("jobs=1,jobs=2").contains("`jobs` is given twice"));
        assert!(err("").contains("expected KEY=N"));
        assert!(err("jobs=1,").contains("`` is not KEY=N"));
        assert!(err("policies=99999999").contains("at most"));
        assert!(matches!(
            "x=1".parse::<SyntheticSpec>(),
            Err(Error::Spec { .. })
        ));
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_workspace() {
        let s = spec(300, 60, 10, 8);
        let a = to_json(&synthetic(&s, 7));
        assert_eq!(a, to_json(&synthetic(&s, 7)));
        assert_ne!(a, to_json(&synthetic(&s, 8)));
    }

    #[test]
    fn counts_are_exact_and_sources_realistic() {
        let f = synthetic(&spec(1000, 200, 20, 10), 1);
        assert_eq!(f.jobs.len(), 1000);
        assert_eq!(f.clusters.len(), 200);
        assert_eq!(f.instance_pools.len(), 20);
        assert_eq!(f.cluster_policies.len(), 10);
        let source = |s: &str| {
            f.clusters
                .iter()
                .filter(|c| c["cluster_source"] == s)
                .count()
        };
        assert_eq!(source("JOB"), 40);
        assert_eq!(source("UI") + source("API"), 160);
        assert!(source("UI") > source("API"));
        assert!(f.node_types.is_none() && f.spark_versions.is_none() && f.zones.is_none());
        // Nothing at all is fine too, and clusters without jobs are all all-purpose.
        let empty = synthetic(&SyntheticSpec::default(), 1);
        assert!(empty.jobs.is_empty() && empty.clusters.is_empty());
        let only = synthetic(&spec(0, 10, 0, 0), 1);
        assert!(only.clusters.iter().all(|c| c["cluster_source"] != "JOB"));
        let jobs_only = synthetic(&spec(50, 0, 0, 0), 1);
        assert_eq!(jobs_only.jobs.len(), 50);
    }

    #[test]
    fn jobs_have_the_shape_of_real_ones() {
        let f = synthetic(&spec(2000, 200, 20, 10), 3);
        let mut last = 0;
        let mut ids = BTreeSet::new();
        let mut big = 0;
        let (mut on_job_clusters, mut schedules, mut unpaused) = (0, 0, 0);
        let (mut continuous, mut file_arrival, mut multi) = (0, 0, 0);
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for job in &f.jobs {
            let created = job["created_time"].as_i64().unwrap();
            assert!(created > last, "created_time strictly increases");
            last = created;
            assert!(ids.insert(job["job_id"].as_i64().unwrap()));
            assert!(job["run_as_user_name"].is_string());
            let s = &job["settings"];
            assert_eq!(s["format"], "MULTI_TASK");
            *names.entry(s["name"].as_str().unwrap()).or_default() += 1;
            let tasks = s["tasks"].as_array().unwrap();
            if tasks.len() > 100 {
                big += 1;
                assert!(tasks.len() <= 150);
            } else {
                assert!((1..=8).contains(&tasks.len()));
            }
            if tasks.len() > 1 {
                multi += 1;
            }
            let keys: BTreeSet<&str> = tasks
                .iter()
                .map(|t| t["task_key"].as_str().unwrap())
                .collect();
            assert_eq!(keys.len(), tasks.len(), "task keys are unique");
            let clusters: BTreeSet<&str> = s["job_clusters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c["job_cluster_key"].as_str().unwrap())
                .collect();
            if !clusters.is_empty() {
                on_job_clusters += 1;
                assert!(clusters.len() <= 3);
            }
            for t in tasks {
                assert!(t["run_if"].is_string());
                for d in t["depends_on"].as_array().into_iter().flatten() {
                    assert!(keys.contains(d["task_key"].as_str().unwrap()));
                }
                if let Some(k) = t["job_cluster_key"].as_str() {
                    assert!(clusters.contains(k));
                }
            }
            if let Some(sched) = s.get("schedule") {
                schedules += 1;
                unpaused += usize::from(sched["pause_status"] == "UNPAUSED");
            }
            continuous += usize::from(s.get("continuous").is_some());
            file_arrival += usize::from(s["trigger"].get("file_arrival").is_some());
        }
        assert_eq!(big, 20, "1% of the jobs are over 100 tasks");
        assert!((1100..1400).contains(&on_job_clusters), "{on_job_clusters}");
        assert!(schedules > 900 && unpaused * 10 > schedules * 8);
        assert!(continuous > 20 && file_arrival > 40);
        assert!(multi > 1000);
        let dups: usize = names.values().filter(|&&n| n > 1).map(|n| n - 1).sum();
        assert!((2..40).contains(&dups), "{dups} duplicate names");
    }

    /// Every string under `key` anywhere in `v`.
    fn strings_under<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == key {
                        if let Some(s) = x.as_str() {
                            out.push(s);
                        }
                    }
                    strings_under(x, key, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| strings_under(x, key, out)),
            _ => {}
        }
    }

    fn all_under<'a>(items: &'a [Value], key: &str) -> Vec<&'a str> {
        let mut out = Vec::new();
        items.iter().for_each(|v| strings_under(v, key, &mut out));
        out
    }

    #[test]
    fn every_reference_resolves() {
        let f = synthetic(&spec(1500, 300, 30, 12), 11);
        let ids = |items: &[Value], key: &str| -> BTreeSet<String> {
            items
                .iter()
                .map(|v| v[key].as_str().unwrap().to_string())
                .collect()
        };
        let pools = ids(&f.instance_pools, "instance_pool_id");
        let policies = ids(&f.cluster_policies, "policy_id");
        let all_purpose: BTreeSet<String> = f
            .clusters
            .iter()
            .filter(|c| c["cluster_source"] != "JOB")
            .map(|c| c["cluster_id"].as_str().unwrap().to_string())
            .collect();
        let job_ids: BTreeSet<i64> = f
            .jobs
            .iter()
            .map(|j| j["job_id"].as_i64().unwrap())
            .collect();
        assert_eq!(pools.len(), 30);
        assert_eq!(policies.len(), 12);
        assert_eq!(
            ids(&f.clusters, "cluster_id").len(),
            300,
            "cluster ids are unique"
        );
        let pool_names = ids(&f.instance_pools, "instance_pool_name");
        let policy_names = ids(&f.cluster_policies, "name");
        assert_eq!(
            (pool_names.len(), policy_names.len()),
            (30, 12),
            "pool and policy names are unique"
        );

        let everything: Vec<Value> = [&f.jobs, &f.clusters, &f.cluster_policies]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let existing = all_under(&f.jobs, "existing_cluster_id");
        assert!(existing.len() > 100);
        assert!(existing.iter().all(|id| all_purpose.contains(*id)));
        let mut pool_refs = all_under(&everything, "instance_pool_id");
        pool_refs.extend(all_under(&everything, "driver_instance_pool_id"));
        let in_jobs = all_under(&f.jobs, "instance_pool_id").len();
        assert!(in_jobs > 50, "pool-backed job clusters: {in_jobs}");
        assert!(
            pool_refs.iter().all(|id| pools.contains(*id)),
            "pool ids resolve"
        );
        let policy_refs = all_under(&everything, "policy_id");
        assert!(all_under(&f.jobs, "policy_id").len() > 100);
        assert!(
            policy_refs.iter().all(|id| policies.contains(*id)),
            "policy ids resolve"
        );
        for p in &f.cluster_policies {
            let def: Value = serde_json::from_str(p["definition"].as_str().unwrap()).unwrap();
            assert!(def.is_object());
            if let Some(pool) = def["instance_pool_id"]["value"].as_str() {
                assert!(pools.contains(pool));
            }
        }
        let mut run_job = 0;
        for job in &f.jobs {
            for t in job["settings"]["tasks"].as_array().unwrap() {
                if let Some(id) = t["run_job_task"]["job_id"].as_i64() {
                    run_job += 1;
                    assert!(job_ids.contains(&id));
                }
            }
        }
        assert!(run_job > 10);
        for c in f.clusters.iter().filter(|c| c["cluster_source"] == "JOB") {
            let id: i64 = c["default_tags"]["JobId"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(job_ids.contains(&id));
        }
        for l in &f.cluster_libraries {
            assert!(all_purpose.contains(l["cluster_id"].as_str().unwrap()));
        }
        assert!(!f.cluster_libraries.is_empty());

        // Code paths, instance profiles, secret scopes.
        let objects: BTreeMap<&str, &str> = f
            .workspace_objects
            .iter()
            .map(|o| {
                (
                    o["path"].as_str().unwrap(),
                    o["object_type"].as_str().unwrap(),
                )
            })
            .collect();
        for job in &f.jobs {
            for t in job["settings"]["tasks"].as_array().unwrap() {
                if t["notebook_task"]["source"] == "WORKSPACE" {
                    let path = t["notebook_task"]["notebook_path"].as_str().unwrap();
                    assert_eq!(objects.get(path), Some(&"NOTEBOOK"), "{path}");
                }
                if t["spark_python_task"]["source"] == "WORKSPACE" {
                    let path = t["spark_python_task"]["python_file"].as_str().unwrap();
                    let path = path.strip_prefix("/Workspace").unwrap();
                    assert_eq!(objects.get(path), Some(&"FILE"), "{path}");
                }
            }
        }
        for path in objects.keys() {
            let parent = &path[..path.rfind('/').unwrap()];
            assert!(
                parent.is_empty() || objects.contains_key(parent),
                "{parent}"
            );
        }
        let object_ids: BTreeSet<i64> = f
            .workspace_objects
            .iter()
            .map(|o| o["object_id"].as_i64().unwrap())
            .collect();
        assert_eq!(object_ids.len(), f.workspace_objects.len());
        let profiles: Vec<&str> = all_under(
            std::slice::from_ref(f.instance_profiles.as_ref().unwrap()),
            "instance_profile_arn",
        );
        for arn in all_under(&everything, "instance_profile_arn") {
            assert!(profiles.contains(&arn), "{arn}");
        }
        let scopes = all_under(
            std::slice::from_ref(f.secret_scopes.as_ref().unwrap()),
            "name",
        );
        let text = to_json(&f);
        for (at, _) in text.match_indices("{{secrets/") {
            let scope = text[at + 10..].split('/').next().unwrap();
            assert!(scopes.contains(&scope), "{scope}");
        }
    }

    #[test]
    fn node_types_runtimes_and_zones_come_from_the_catalog() {
        let versions = catalog::spark_versions();
        let keys: BTreeSet<&str> = versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["key"].as_str().unwrap())
            .collect();
        for (k, _) in RUNTIMES {
            assert!(keys.contains(k), "{k}");
        }
        for k in ML_RUNTIMES
            .iter()
            .chain(GPU_RUNTIMES)
            .chain(POLICY_RUNTIMES)
        {
            assert!(keys.contains(k), "{k}");
        }
        let nodes: BTreeSet<String> = usable_nodes().into_iter().map(|n| n.id).collect();
        assert!(
            nodes.contains("i3.xlarge")
                && !nodes.contains("m5dn.large")
                && !nodes.contains("c4.2xlarge")
        );
        let zones = catalog::zones(Cloud::Aws);
        let f = synthetic(&spec(800, 200, 20, 10), 5);
        let everything: Vec<Value> = [&f.jobs, &f.clusters, &f.instance_pools]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        for key in ["node_type_id", "driver_node_type_id"] {
            for n in all_under(&everything, key) {
                assert!(nodes.contains(n), "{n}");
            }
        }
        for v in all_under(&everything, "spark_version") {
            assert!(keys.contains(v), "{v}");
        }
        for z in all_under(&everything, "zone_id") {
            assert!(
                z == "auto" || zones["zones"].as_array().unwrap().contains(&json!(z)),
                "{z}"
            );
        }
    }

    #[test]
    fn clusters_are_full_cluster_details() {
        let f = synthetic(&spec(100, 200, 10, 6), 2);
        let mut running = 0;
        for c in &f.clusters {
            let id = c["cluster_id"].as_str().unwrap();
            assert_eq!(id.len(), 20, "{id}");
            assert_eq!(c["default_tags"]["ClusterId"], id);
            assert_eq!(c["default_tags"]["ClusterName"], c["cluster_name"]);
            assert_eq!(c["spec"]["cluster_name"], c["cluster_name"]);
            assert!(c["spec"].is_object() && c["spec"].get("cluster_id").is_none());
            assert!(c["node_type_id"].is_string() && c["driver_node_type_id"].is_string());
            assert!(c["cluster_memory_mb"].is_i64() && c["cluster_cores"].is_f64());
            match c["state"].as_str().unwrap() {
                "RUNNING" => {
                    running += 1;
                    assert!(c["driver"].is_object() && c["spark_context_id"].is_i64());
                }
                "TERMINATED" => assert!(c["termination_reason"]["code"].is_string()),
                other => panic!("{other}"),
            }
        }
        assert!(running > 20);
        for p in &f.instance_pools {
            assert!(p["stats"]["idle_count"].is_i64());
            assert_eq!(
                p["default_tags"]["DatabricksInstancePoolId"],
                p["instance_pool_id"]
            );
            assert!(p["instance_pool_id"].as_str().unwrap().contains("-pool-"));
        }
    }

    #[test]
    fn date_prefix_is_utc_month_day_time() {
        // 2024-09-23T16:42:08Z
        assert_eq!(date_prefix(1_727_109_728_000), "0923-164208");
        assert_eq!(date_prefix(1_709_251_199_000), "0229-235959");
    }

    /// `cargo test --release --lib synthetic::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, meaningful in release mode only"]
    #[allow(clippy::print_stderr)]
    fn timing() {
        let s: SyntheticSpec = "jobs=10000,clusters=1000,pools=200,policies=100"
            .parse()
            .unwrap();
        let mut best = std::time::Duration::MAX;
        let mut f = Fixtures::default();
        for _ in 0..5 {
            drop(f);
            let t = std::time::Instant::now();
            f = synthetic(&s, 1);
            best = best.min(t.elapsed());
        }
        let tasks: usize = f
            .jobs
            .iter()
            .map(|j| j["settings"]["tasks"].as_array().unwrap().len())
            .sum();
        eprintln!(
            "{s}: best of 5 {} ms; {tasks} tasks, {} workspace objects, {} MB as JSON",
            best.as_millis(),
            f.workspace_objects.len(),
            [&f.jobs, &f.clusters, &f.workspace_objects]
                .iter()
                .map(|v| serde_json::to_vec(v).unwrap().len())
                .sum::<usize>()
                / 1_000_000
        );
    }
}
