//! Synthetic workspaces for benchmarks and load tests: [`synthetic`] builds, deterministically from a seed, an AWS
//! (us-east-1) workspace of any size in exactly the fixture format (the real API bodies of `fixtures/primary`):
//! multi-task jobs with job clusters, a share of jobs over 100 tasks, pool- and policy-backed clusters.
//! It must not print, read the clock, touch files or the network, or shape a body in a way the fixtures do not
//! show; every id one generated object uses to refer to another (clusters, pools, policies, jobs, notebooks)
//! exists in the output, and node types and runtimes come from the emulator's built-in AWS catalog.

mod clusters;
mod jobs;
mod policies;
mod pools;
#[cfg(test)]
mod tests;
mod vocab;
mod warehouses;

use super::catalog::{self, Cloud};
use super::error::Error;
use super::fixtures::Fixtures;
use crate::state::date_prefix;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use vocab::*;

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
/// files live at, the SQL warehouses their SQL tasks run on, and the instance profiles and secret scopes the
/// bodies name. The catalog fields stay `None`,
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
        // The warehouses the jobs' SQL tasks name; none without jobs.
        sql_warehouses: if spec.jobs == 0 {
            Vec::new()
        } else {
            g.warehouses()
        },
        ..Fixtures::default()
    }
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
