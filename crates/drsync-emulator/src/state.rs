//! The emulated workspace's state: every object as the API body the real service would return, kept so that
//! unknown fields survive, plus the id and clock sources. It holds data only: no HTTP here.

use super::acl::Grant;
use super::catalog::{self, Cloud};
use super::cluster_list::ListIndex;
use super::fixtures::Fixtures;
use super::runs::Runs;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::time::{SystemTime, UNIX_EPOCH};

/// How the emulated service keeps the JSON text of a policy's `definition` and
/// `policy_family_definition_overrides`. Which one the real service does is provider-behaviour.md §14 Q1
/// (open): the provider compares the text it sent with the text read back, trimming only whitespace (§5.2,
/// §5.4), so the answer decides whether `jsonencode(...)` in HCL plans clean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PolicyJson {
    /// The exact string sent is stored and returned.
    #[default]
    Echo,
    /// The string is parsed and stored as compact JSON the way `serde_json` writes it: object keys sorted, no
    /// whitespace, no HTML escaping, non-ASCII as is, and numbers as parsed (`10.0` stays `10.0`, `1e2`
    /// becomes `100.0`).
    Reserialize,
}

/// One workspace's objects. Records are stored as the JSON the `get` endpoint returns.
#[derive(Debug)]
pub(crate) struct Workspace {
    pub(crate) cloud: Cloud,
    /// Jobs by id, each a full `jobs/get` body (job_id, created_time, creator_user_name, settings, ...).
    pub(crate) jobs: Jobs,
    /// Clusters by id, each a full `clusters/get` body (ClusterDetails, including `spec`).
    pub(crate) clusters: Clusters,
    /// Instance pools by id, each a full `instance-pools/get` body.
    pub(crate) pools: BTreeMap<String, Value>,
    /// Cluster policies by id, each a full `policies/clusters/get` body.
    pub(crate) policies: BTreeMap<String, Value>,
    /// The `clusters/list-node-types` body.
    pub(crate) node_types: Value,
    /// The `clusters/spark-versions` body.
    pub(crate) spark_versions: Value,
    /// The `clusters/list-zones` body.
    pub(crate) zones: Value,
    /// The `instance-profiles/list` body.
    pub(crate) instance_profiles: Value,
    /// Secret scopes by name, with their secrets (values never returned) and ACLs.
    pub(crate) secrets: Scopes,
    /// Library statuses by cluster id (the `library_statuses` of `libraries/cluster-status`).
    pub(crate) libraries: BTreeMap<String, Vec<Value>>,
    /// Workspace objects (notebooks, files, directories, repos) by path, as `workspace/get-status` returns them.
    pub(crate) workspace_objects: BTreeMap<String, Value>,
    /// Those objects with the folders their paths imply, built once on first use by the workspace routes
    /// (`misc`); nothing changes the objects after the workspace is made.
    pub(crate) workspace_tree: OnceCell<BTreeMap<String, Value>>,
    /// SCIM users, groups and service principals (see [`Workspace::principal_exists`]).
    pub(crate) principals: Principals,
    /// The SCIM user (or service principal) behind PATs.
    pub(crate) me: Value,
    /// How policy definitions are stored (see [`PolicyJson`]).
    pub(crate) policy_json: PolicyJson,
    /// SQL warehouses by id, each a full `sql/warehouses/{id}` GET body.
    pub(crate) warehouses: BTreeMap<String, Value>,
    /// Pipelines by id, each a full `pipelines/{id}` GET body (`spec` and the state fields).
    pub(crate) pipelines: BTreeMap<String, Value>,
    /// Job runs by id, with their lifecycle and the plans runs follow (`jobs::runs`).
    pub(crate) runs: Runs,
    /// Direct grants by `object_id` (`/jobs/123`), for objects whose ACL was set (or seeded); an object
    /// without an entry has its creator's default grant (`permissions`). Removed with the object.
    pub(crate) acls: BTreeMap<String, Vec<Grant>>,
    /// Principal names a grant may use besides the SCIM ones (`principals`): those the fixtures' ACLs and
    /// creators name (`permissions::seed`).
    pub(crate) known_principals: super::acl::Principals,
    rng: SmallRng,
}

impl Workspace {
    pub(crate) fn new(cloud: Cloud, fixtures: Fixtures, seed: u64) -> Self {
        let mut ws = Workspace {
            cloud,
            jobs: Jobs::default(),
            clusters: Clusters::default(),
            pools: BTreeMap::new(),
            policies: BTreeMap::new(),
            node_types: fixtures
                .node_types
                .unwrap_or_else(|| catalog::node_types(cloud)),
            spark_versions: fixtures
                .spark_versions
                .unwrap_or_else(catalog::spark_versions),
            zones: fixtures.zones.unwrap_or_else(|| catalog::zones(cloud)),
            instance_profiles: fixtures.instance_profiles.unwrap_or_else(|| json!({})),
            secrets: Scopes::seed(
                fixtures.secret_scopes.as_ref(),
                fixtures.secrets.as_ref(),
                fixtures.secret_acls.as_ref(),
            ),
            principals: Principals::seed(
                fixtures.users.as_ref(),
                fixtures.groups.as_ref(),
                fixtures.service_principals.as_ref(),
            ),
            libraries: BTreeMap::new(),
            workspace_objects: BTreeMap::new(),
            workspace_tree: OnceCell::new(),
            me: json!({
                "id": "4712839012345678",
                "userName": "emulator@example.com",
                "displayName": "Emulator User",
                "active": true,
                "emails": [{"value": "emulator@example.com", "type": "work", "primary": true}],
                "groups": [{"display": "admins", "value": "889900112233", "$ref": "Groups/889900112233"}],
                "entitlements": [{"value": "allow-cluster-create"}],
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "name": {"givenName": "Emulator", "familyName": "User"}
            }),
            policy_json: PolicyJson::default(),
            warehouses: BTreeMap::new(),
            pipelines: BTreeMap::new(),
            runs: Runs::seed(&fixtures.runs, now_ms()),
            acls: BTreeMap::new(),
            known_principals: super::acl::Principals::default(),
            rng: SmallRng::seed_from_u64(seed),
        };
        for job in fixtures.jobs {
            if let Some(id) = job.get("job_id").and_then(Value::as_i64) {
                ws.jobs.insert(id, job);
            }
        }
        for c in fixtures.clusters {
            if let Some(id) = c.get("cluster_id").and_then(Value::as_str) {
                ws.clusters.insert(id.to_string(), c);
            }
        }
        for p in fixtures.instance_pools {
            if let Some(id) = p.get("instance_pool_id").and_then(Value::as_str) {
                ws.pools.insert(id.to_string(), p);
            }
        }
        for p in fixtures.cluster_policies {
            if let Some(id) = p.get("policy_id").and_then(Value::as_str) {
                ws.policies.insert(id.to_string(), p);
            }
        }
        for status in fixtures.cluster_libraries {
            if let Some(id) = status.get("cluster_id").and_then(Value::as_str) {
                let libs = status
                    .get("library_statuses")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                ws.libraries.insert(id.to_string(), libs);
            }
        }
        for obj in fixtures.workspace_objects {
            if let Some(path) = obj.get("path").and_then(Value::as_str) {
                ws.workspace_objects.insert(path.to_string(), obj);
            }
        }
        for w in fixtures.sql_warehouses {
            if let Some(id) = w.get("id").and_then(Value::as_str) {
                ws.warehouses.insert(id.to_string(), w);
            }
        }
        for p in fixtures.pipelines {
            if let Some(id) = p.get("pipeline_id").and_then(Value::as_str) {
                ws.pipelines.insert(id.to_string(), p);
            }
        }
        ws
    }

    /// Forget the ACL of a deleted object (`object_id`, e.g. `/jobs/123`).
    pub(crate) fn forget_acl(&mut self, object_id: &str) {
        self.acls.remove(object_id);
    }

    /// The user name of the principal behind PATs, used as `creator_user_name`.
    pub(crate) fn user_name(&self) -> String {
        self.me
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or("emulator@example.com")
            .to_string()
    }

    /// A new job id: a large positive int64, as real ids are (e.g. `948583744237091`).
    pub(crate) fn new_job_id(&mut self) -> i64 {
        loop {
            let id = self
                .rng
                .random_range(100_000_000_000_000..1_000_000_000_000_000i64);
            if !self.jobs.contains_key(&id) {
                return id;
            }
        }
    }

    /// A new cluster id, `MMDD-HHMMSS-<8 lowercase alnum>`.
    pub(crate) fn new_cluster_id(&mut self) -> String {
        loop {
            let id = format!("{}-{}", date_prefix(now_ms()), self.alnum(8, false));
            if !self.clusters.contains_key(&id) {
                return id;
            }
        }
    }

    /// A new instance pool id, `MMDD-HHMMSS-<word>-pool-<8 alnum>`.
    pub(crate) fn new_pool_id(&mut self) -> String {
        loop {
            let word = self.alnum(6, false);
            let tail = self.alnum(8, true);
            let id = format!("{}-{word}-pool-{tail}", date_prefix(now_ms()));
            if !self.pools.contains_key(&id) {
                return id;
            }
        }
    }

    /// A new policy id: 16 uppercase hex digits.
    pub(crate) fn new_policy_id(&mut self) -> String {
        loop {
            let id = format!("{:016X}", self.rng.random::<u64>());
            if !self.policies.contains_key(&id) {
                return id;
            }
        }
    }

    /// A new SQL warehouse id: 16 lowercase hex digits (`4e8a1b2c3d4e5f60`).
    pub(crate) fn new_warehouse_id(&mut self) -> String {
        loop {
            let id = format!("{:016x}", self.rng.random::<u64>());
            if !self.warehouses.contains_key(&id) {
                return id;
            }
        }
    }

    /// A new pipeline id: a lowercase UUID v4 (`1f6e2a7c-3b8d-4e5f-9a01-b2c3d4e5f678`).
    pub(crate) fn new_pipeline_id(&mut self) -> String {
        loop {
            let a = self.rng.random::<u128>();
            let a = (a & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
            let h = format!("{a:032x}");
            let id = format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            );
            if !self.pipelines.contains_key(&id) {
                return id;
            }
        }
    }

    /// A random id in the range of job ids, where a sequence of ids (run ids) starts.
    pub(crate) fn random_id_base(&mut self) -> i64 {
        self.rng
            .random_range(100_000_000_000_000..500_000_000_000_000i64)
    }

    /// A random int64 (spark_context_id and the like).
    pub(crate) fn random_i64(&mut self) -> i64 {
        self.rng.random_range(1_000_000_000_000_000_000..i64::MAX)
    }

    /// `n` random characters from `[a-z0-9]` (or `[A-Za-z]` when `mixed_case`).
    pub(crate) fn alnum(&mut self, n: usize, mixed_case: bool) -> String {
        const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        const MIXED: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let set = if mixed_case { MIXED } else { LOWER };
        (0..n)
            .map(|_| set[self.rng.random_range(0..set.len())] as char)
            .collect()
    }
}

/// The kinds of SCIM principals, each named in ACLs and permissions by one attribute (`scim`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalKind {
    /// A user, named by `userName`.
    User,
    /// A group, named by `displayName`.
    Group,
    /// A service principal, named by `applicationId`.
    ServicePrincipal,
}

impl PrincipalKind {
    /// The attribute a principal is named by in ACLs and permissions (`user_name`, `group_name`,
    /// `service_principal_name`: provider-behaviour.md §6, §10), and that must be unique.
    pub(crate) fn name_attribute(self) -> &'static str {
        match self {
            PrincipalKind::User => "userName",
            PrincipalKind::Group => "displayName",
            PrincipalKind::ServicePrincipal => "applicationId",
        }
    }
}

/// One secret: its value (none for secrets seeded from fixtures, which hold names only) and when it was last
/// written (`last_updated_timestamp`, milliseconds since the epoch, per `SecretMetadata`). The value is kept
/// only because the service keeps it: no endpoint returns it, and `Debug` does not show it.
#[derive(Clone)]
pub(crate) struct Secret {
    #[allow(dead_code)] // written, never read: no endpoint of the emulator returns a value
    pub(crate) value: Option<Vec<u8>>,
    pub(crate) last_updated_timestamp: i64,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("value", &"<redacted>")
            .field("last_updated_timestamp", &self.last_updated_timestamp)
            .finish()
    }
}

/// One scope: its `scopes/list` item (`name`, `backend_type`, `keyvault_metadata`), its secrets by key and its
/// ACLs by principal (`READ`, `WRITE` or `MANAGE`).
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) meta: Value,
    pub(crate) secrets: BTreeMap<String, Secret>,
    pub(crate) acls: BTreeMap<String, String>,
}

/// The workspace's scopes by name (listed in name order).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scopes(pub(crate) BTreeMap<String, Scope>);

impl Scopes {
    /// Scopes from the fixtures: the `scopes/list` body, and per scope name a `secrets/list` body and an
    /// `acls/list` body. Secrets and ACLs of scopes the list does not name are left out.
    pub(crate) fn seed(
        list: Option<&Value>,
        secrets: Option<&Value>,
        acls: Option<&Value>,
    ) -> Self {
        let mut scopes = BTreeMap::new();
        for item in list
            .and_then(|l| l.get("scopes"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = item.get("name").and_then(Value::as_str) else {
                continue;
            };
            let keys = secrets
                .and_then(|s| s.get(name))
                .and_then(|b| b.get("secrets"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    let key = s.get("key")?.as_str()?.to_string();
                    let at = s
                        .get("last_updated_timestamp")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    Some((
                        key,
                        Secret {
                            value: None,
                            last_updated_timestamp: at,
                        },
                    ))
                })
                .collect();
            let items = acls
                .and_then(|a| a.get(name))
                .and_then(|b| b.get("items"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    Some((
                        a.get("principal")?.as_str()?.to_string(),
                        a.get("permission")?.as_str()?.to_string(),
                    ))
                })
                .collect();
            scopes.insert(
                name.to_string(),
                Scope {
                    meta: item.clone(),
                    secrets: keys,
                    acls: items,
                },
            );
        }
        Scopes(scopes)
    }
}

impl Workspace {
    /// Whether a grant may name `name` in `field` (`user_name`, `group_name`, `service_principal_name`): a SCIM
    /// principal of the workspace, or one its fixtures name (`known_principals`).
    pub(crate) fn knows_principal(&self, field: &str, name: &str) -> bool {
        let kind = match field {
            "user_name" => PrincipalKind::User,
            "group_name" => PrincipalKind::Group,
            _ => PrincipalKind::ServicePrincipal,
        };
        self.principals.find(kind, name).is_some() || self.known_principals.knows(field, name)
    }
}

/// The workspace's users, groups and service principals, each by SCIM `id`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Principals {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, Value>,
    service_principals: BTreeMap<String, Value>,
}

impl Principals {
    /// Principals from the fixtures' list bodies (`Resources` of each); resources without an `id` are left
    /// out.
    pub(crate) fn seed(users: Option<&Value>, groups: Option<&Value>, sps: Option<&Value>) -> Self {
        let by_id = |body: Option<&Value>| -> BTreeMap<String, Value> {
            body.and_then(|b| b.get("Resources"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| Some((r.get("id")?.as_str()?.to_string(), r.clone())))
                .collect()
        };
        Principals {
            users: by_id(users),
            groups: by_id(groups),
            service_principals: by_id(sps),
        }
    }

    pub(crate) fn of(&self, kind: PrincipalKind) -> &BTreeMap<String, Value> {
        match kind {
            PrincipalKind::User => &self.users,
            PrincipalKind::Group => &self.groups,
            PrincipalKind::ServicePrincipal => &self.service_principals,
        }
    }

    pub(crate) fn of_mut(&mut self, kind: PrincipalKind) -> &mut BTreeMap<String, Value> {
        match kind {
            PrincipalKind::User => &mut self.users,
            PrincipalKind::Group => &mut self.groups,
            PrincipalKind::ServicePrincipal => &mut self.service_principals,
        }
    }

    /// The principal of `kind` named `name` (user name and application id compared ignoring case, as SCIM's
    /// `caseExact: false` for `userName` has it and the provider's exporter matches users, provider-behaviour.md
    /// §10; group display names exactly).
    pub(crate) fn find(&self, kind: PrincipalKind, name: &str) -> Option<&Value> {
        let attr = kind.name_attribute();
        self.of(kind).values().find(|p| {
            let have = p.get(attr).and_then(Value::as_str).unwrap_or("");
            match kind {
                PrincipalKind::Group => have == name,
                _ => have.eq_ignore_ascii_case(name),
            }
        })
    }
}

/// Where a job sorts in `jobs/list`: `(created_time, job_id)`, listed highest first. Jobs without
/// `created_time` (only possible from fixtures) count as created at the epoch, i.e. list last.
pub(crate) type JobKey = (i64, i64);

/// The jobs by id, with their `jobs/list` order kept beside them: built on first use and dropped by every change
/// that can move a job, so paging does not sort the whole set on every request. Reads go through `Deref` to
/// the map; changes only through the methods here.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    by_id: BTreeMap<i64, Value>,
    newest_first: OnceCell<Vec<JobKey>>,
}

impl Jobs {
    /// The list key of a stored job.
    pub(crate) fn key(id: i64, job: &Value) -> JobKey {
        (
            job.get("created_time").and_then(Value::as_i64).unwrap_or(0),
            id,
        )
    }

    /// Every job's key, highest (newest) first.
    pub(crate) fn newest_first(&self) -> &[JobKey] {
        self.newest_first.get_or_init(|| {
            let mut keys: Vec<JobKey> = self
                .by_id
                .iter()
                .map(|(id, job)| Self::key(*id, job))
                .collect();
            keys.sort_unstable_by(|a, b| b.cmp(a));
            keys
        })
    }

    /// Add or replace a job.
    pub(crate) fn insert(&mut self, id: i64, job: Value) -> Option<Value> {
        self.newest_first.take();
        self.by_id.insert(id, job)
    }

    /// Remove a job.
    pub(crate) fn remove(&mut self, id: &i64) -> Option<Value> {
        let old = self.by_id.remove(id);
        if old.is_some() {
            self.newest_first.take();
        }
        old
    }

    /// Change a stored job in place; the order is dropped only if the change moved the job.
    pub(crate) fn modify<R>(&mut self, id: i64, f: impl FnOnce(&mut Value) -> R) -> Option<R> {
        let job = self.by_id.get_mut(&id)?;
        let before = Self::key(id, job);
        let out = f(job);
        if Self::key(id, job) != before {
            self.newest_first.take();
        }
        Some(out)
    }
}

impl Deref for Jobs {
    type Target = BTreeMap<i64, Value>;

    fn deref(&self) -> &Self::Target {
        &self.by_id
    }
}

/// The clusters by id, with what `clusters/list` derives from all of them (state and sort orders, see
/// [`ListIndex`]) kept beside them until the next change. Reads go through `Deref` to the map; changes only
/// through the methods here, each of which drops the derived data.
#[derive(Debug, Default)]
pub(crate) struct Clusters {
    by_id: BTreeMap<String, Value>,
    index: OnceCell<ListIndex>,
}

impl Clusters {
    /// Add or replace a cluster.
    pub(crate) fn insert(&mut self, id: String, cluster: Value) -> Option<Value> {
        self.index.take();
        self.by_id.insert(id, cluster)
    }

    /// Remove a cluster.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Value> {
        let old = self.by_id.remove(id);
        if old.is_some() {
            self.index.take();
        }
        old
    }

    /// The list data of the clusters as they are now, built on first use after a change.
    pub(crate) fn list_index(&self) -> &ListIndex {
        self.index.get_or_init(|| ListIndex::new(&self.by_id))
    }
}

impl Deref for Clusters {
    type Target = BTreeMap<String, Value>;

    fn deref(&self) -> &Self::Target {
        &self.by_id
    }
}

/// Milliseconds since the Unix epoch, as the API's timestamps are.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `MMDD-HHMMSS` of a UTC timestamp, the prefix of cluster and pool ids.
pub(crate) fn date_prefix(ms: i64) -> String {
    // Out of jiff's range (years -9999..=9999) only for a clock gone mad: the epoch's prefix then.
    let at = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    at.strftime("%m%d-%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_formats() {
        let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 1);
        let c = ws.new_cluster_id();
        let parts: Vec<&str> = c.split('-').collect();
        assert_eq!(parts.len(), 3, "{c}");
        assert_eq!(parts[0].len(), 4);
        assert_eq!(parts[1].len(), 6);
        assert_eq!(parts[2].len(), 8);
        assert!(parts[2]
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit()));
        let p = ws.new_policy_id();
        assert_eq!(p.len(), 16);
        assert!(p
            .chars()
            .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_lowercase()));
        assert!(ws.new_job_id() > 100_000_000_000_000);
        assert!(ws.new_pool_id().contains("-pool-"));
    }

    #[test]
    fn job_order_follows_every_change() {
        let job = |created: i64| json!({"created_time": created, "settings": {"name": "j"}});
        let mut jobs = Jobs::default();
        assert!(jobs.newest_first().is_empty());
        jobs.insert(1, job(10));
        jobs.insert(2, job(30));
        jobs.insert(3, job(20));
        jobs.insert(4, json!({"settings": {}}));
        assert_eq!(jobs.newest_first(), [(30, 2), (20, 3), (10, 1), (0, 4)]);
        // Replacing a job moves it.
        jobs.insert(1, job(40));
        assert_eq!(jobs.newest_first(), [(40, 1), (30, 2), (20, 3), (0, 4)]);
        jobs.remove(&2);
        assert_eq!(jobs.newest_first(), [(40, 1), (20, 3), (0, 4)]);
        assert!(jobs.remove(&2).is_none());
        // A settings change keeps the order; a changed creation time moves the job.
        let renamed = jobs.modify(3, |j| j["settings"]["name"] = json!("k"));
        assert_eq!(renamed, Some(()));
        assert_eq!(jobs[&3]["settings"]["name"], json!("k"));
        assert_eq!(jobs.newest_first(), [(40, 1), (20, 3), (0, 4)]);
        jobs.modify(4, |j| j["created_time"] = json!(50));
        assert_eq!(jobs.newest_first(), [(50, 4), (40, 1), (20, 3)]);
        assert_eq!(jobs.modify(99, |_| ()), None);
        assert_eq!(jobs.len(), 3);
    }

    #[test]
    fn date_prefix_is_utc_month_day_time() {
        // 2024-09-23T16:42:08Z
        assert_eq!(date_prefix(1_727_109_728_000), "0923-164208");
        // 2024-02-29T23:59:59Z (the synthetic generator's ids use it too)
        assert_eq!(date_prefix(1_709_251_199_000), "0229-235959");
    }
}
