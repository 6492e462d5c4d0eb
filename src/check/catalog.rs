//! The checks that compare the committed HCL with data read from DR: region capacity (node types, runtimes,
//! zones, instance profiles), secret scopes and keys, principals, code paths and the passive posture. Pure:
//! they take values (the evaluated [`Configuration`], the listings, what was kept of DR's objects) and never
//! talk to a workspace.

use super::{CheckResult, Status};
use crate::drift::Matching;
use crate::model::Inventory;
use crate::model::{NodeType, SecretScope, SparkVersion, Zones};
use crate::tfconfig::Configuration;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

/// What the HCL names that DR must have: each value with the addresses (`TYPE.LABEL`) that use it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// `node_type_id` and `driver_node_type_id` values.
    pub node_types: BTreeMap<String, BTreeSet<String>>,
    /// `spark_version` and pools' `preloaded_spark_versions`.
    pub spark_versions: BTreeMap<String, BTreeSet<String>>,
    /// Explicit `zone_id` values (`auto` and empty left out).
    pub zones: BTreeMap<String, BTreeSet<String>>,
    /// `instance_profile_arn` values.
    pub instance_profiles: BTreeMap<String, BTreeSet<String>>,
    /// Secret scopes named by a `{{secrets/SCOPE/KEY}}` in any string (`spark_conf`, `spark_env_vars`, task
    /// parameters, pipeline configuration, ...).
    pub secret_scopes: BTreeMap<String, BTreeSet<String>>,
    /// The secrets themselves, as `(scope, key)`.
    pub secret_keys: BTreeMap<(String, String), BTreeSet<String>>,
    /// Principals: `run_as` users and service principals, the principals of permissions and of secret ACLs.
    pub principals: BTreeMap<(PrincipalKind, String), BTreeSet<String>>,
    /// Workspace paths: workspace notebooks and Python files, workspace init scripts.
    pub workspace_paths: BTreeMap<String, BTreeSet<String>>,
}

/// What kind of principal the HCL names, by the attribute that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    /// `user_name` (`run_as`, permissions): a user's `userName`, an e-mail.
    User,
    /// `group_name` (permissions): a group's `displayName`.
    Group,
    /// `service_principal_name` (`run_as`, permissions): a service principal's `applicationId`.
    ServicePrincipal,
    /// A secret ACL's `principal`: a user, a group or a service principal, by the same names (§10).
    Any,
}

impl PrincipalKind {
    fn noun(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::ServicePrincipal => "service principal",
            PrincipalKind::Any => "principal",
        }
    }
}

/// Collect what every resource of the configuration names.
pub fn collect(config: &Configuration) -> References {
    let mut refs = References::default();
    for r in &config.resources {
        let body = crate::convert::api_body(r);
        let address = r.address();
        let git_source = body.get("git_source").is_some();
        walk(&body, &address, git_source, &mut refs);
    }
    refs
}

fn add(map: &mut BTreeMap<String, BTreeSet<String>>, value: &str, address: &str) {
    map.entry(value.to_string())
        .or_default()
        .insert(address.to_string());
}

fn add_principal(refs: &mut References, kind: PrincipalKind, name: &str, address: &str) {
    refs.principals
        .entry((kind, name.to_string()))
        .or_default()
        .insert(address.to_string());
}

fn walk(v: &Value, address: &str, git_source: bool, refs: &mut References) {
    match v {
        Value::Array(items) => {
            for i in items {
                walk(i, address, git_source, refs);
            }
        }
        Value::Object(map) => {
            // A task's code: from the workspace when `source` says so, or when it is not set and the job has no
            // git_source.
            let in_workspace = match map.get("source").and_then(Value::as_str) {
                Some(s) => s.eq_ignore_ascii_case("WORKSPACE"),
                None => !git_source,
            };
            for (k, v) in map {
                let s = v.as_str();
                match (k.as_str(), s) {
                    ("node_type_id" | "driver_node_type_id", Some(s)) if !s.is_empty() => {
                        add(&mut refs.node_types, s, address)
                    }
                    ("spark_version", Some(s)) if !s.is_empty() => {
                        add(&mut refs.spark_versions, s, address)
                    }
                    ("zone_id", Some(s)) if !s.is_empty() && !s.eq_ignore_ascii_case("auto") => {
                        add(&mut refs.zones, s, address)
                    }
                    ("instance_profile_arn", Some(s)) if !s.is_empty() => {
                        add(&mut refs.instance_profiles, s, address)
                    }
                    ("notebook_path" | "python_file", Some(s))
                        if in_workspace && s.starts_with('/') =>
                    {
                        add(&mut refs.workspace_paths, s, address)
                    }
                    ("preloaded_spark_versions", None) => {
                        for s in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                            add(&mut refs.spark_versions, s, address);
                        }
                    }
                    ("user_name", Some(s)) if !s.is_empty() => {
                        add_principal(refs, PrincipalKind::User, s, address)
                    }
                    ("group_name", Some(s)) if !s.is_empty() => {
                        add_principal(refs, PrincipalKind::Group, s, address)
                    }
                    ("service_principal_name", Some(s)) if !s.is_empty() => {
                        add_principal(refs, PrincipalKind::ServicePrincipal, s, address)
                    }
                    ("principal", Some(s))
                        if !s.is_empty() && address.starts_with("databricks_secret_acl.") =>
                    {
                        add_principal(refs, PrincipalKind::Any, s, address)
                    }
                    ("init_scripts", None) => {
                        for script in v.as_array().into_iter().flatten() {
                            if let Some(d) = script
                                .get("workspace")
                                .and_then(|w| w.get("destination"))
                                .and_then(Value::as_str)
                            {
                                add(&mut refs.workspace_paths, d, address);
                            }
                        }
                    }
                    _ => walk(v, address, git_source, refs),
                }
            }
        }
        Value::String(s) => {
            for (scope, key) in crate::model::secret_references(s) {
                add(&mut refs.secret_scopes, scope, address);
                refs.secret_keys
                    .entry((scope.to_string(), key.to_string()))
                    .or_default()
                    .insert(address.to_string());
            }
        }
        _ => {}
    }
}

fn used_by(addresses: &BTreeSet<String>) -> String {
    let all: Vec<&str> = addresses.iter().map(String::as_str).collect();
    if all.len() > 3 {
        format!("{} and {} more", all[..3].join(", "), all.len() - 3)
    } else {
        all.join(", ")
    }
}

fn check(
    id: &str,
    status: Status,
    summary: String,
    evidence: Vec<String>,
    details: Vec<String>,
) -> CheckResult {
    super::result(
        id,
        super::title(id),
        status,
        summary,
        evidence,
        details,
        Duration::ZERO,
    )
}

/// Why a node type cannot be used, from its flags and `node_info.status` (either spelling).
fn node_type_problem(n: &NodeType) -> Option<String> {
    let mut problems = Vec::new();
    if n.is_hidden {
        problems.push("hidden".to_string());
    }
    if n.is_deprecated {
        problems.push("deprecated".to_string());
    }
    let statuses = n
        .extra
        .get("node_info")
        .and_then(|i| i.get("status"))
        .and_then(Value::as_array);
    for s in statuses.into_iter().flatten().filter_map(Value::as_str) {
        let key: String = s
            .chars()
            .filter(|c| *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "notavailableinregion" => problems.push("not available in this region".into()),
            "notenabledonsubscription" => problems.push("not enabled on this subscription".into()),
            _ => {}
        }
    }
    (!problems.is_empty()).then(|| problems.join(", "))
}

/// Region capacity: every node type, runtime, explicit zone and instance profile the HCL names is offered by
/// (or registered in) DR. `zones` is `None` when the HCL names no explicit zone (and it was not listed).
pub fn region_capacity(
    refs: &References,
    node_types: &[NodeType],
    spark_versions: &[SparkVersion],
    zones: Option<&Zones>,
    instance_profiles: &[Value],
) -> CheckResult {
    let mut details = Vec::new();
    let by_id: BTreeMap<&str, &NodeType> = node_types
        .iter()
        .map(|n| (n.node_type_id.as_str(), n))
        .collect();
    for (id, users) in &refs.node_types {
        match by_id.get(id.as_str()) {
            None => details.push(format!(
                "node type {id} is not in DR's list-node-types (used by {})",
                used_by(users)
            )),
            Some(n) => {
                if let Some(p) = node_type_problem(n) {
                    details.push(format!(
                        "node type {id} is {p} in DR (used by {})",
                        used_by(users)
                    ));
                }
            }
        }
    }
    let versions: BTreeSet<&str> = spark_versions.iter().map(|v| v.key.as_str()).collect();
    for (v, users) in &refs.spark_versions {
        if !versions.contains(v.as_str()) {
            details.push(format!(
                "spark version {v} is not in DR's spark-versions (used by {})",
                used_by(users)
            ));
        }
    }
    let zone_list: BTreeSet<&str> = zones
        .map(|z| z.zones.iter().map(String::as_str).collect())
        .unwrap_or_default();
    for (z, users) in &refs.zones {
        if !zone_list.contains(z.as_str()) {
            details.push(format!(
                "zone {z} is not in DR's list-zones (used by {})",
                used_by(users)
            ));
        }
    }
    let profiles: BTreeSet<&str> = instance_profiles
        .iter()
        .filter_map(|p| p.get("instance_profile_arn").and_then(Value::as_str))
        .collect();
    for (arn, users) in &refs.instance_profiles {
        if !profiles.contains(arn.as_str()) {
            details.push(format!(
                "instance profile {arn} is not registered in DR (used by {})",
                used_by(users)
            ));
        }
    }
    let evidence = vec![
        format!(
            "{} node types against {} in DR's list-node-types",
            refs.node_types.len(),
            node_types.len()
        ),
        format!(
            "{} spark versions against {} in DR's spark-versions",
            refs.spark_versions.len(),
            spark_versions.len()
        ),
        format!(
            "{} explicit zones against {} in DR's list-zones (auto always passes)",
            refs.zones.len(),
            zone_list.len()
        ),
        format!(
            "{} instance profiles against {} registered in DR",
            refs.instance_profiles.len(),
            profiles.len()
        ),
    ];
    let (status, summary) = if details.is_empty() {
        (
            Status::Pass,
            format!(
                "{} node types, {} spark versions, {} zones and {} instance profiles available",
                refs.node_types.len(),
                refs.spark_versions.len(),
                refs.zones.len(),
                refs.instance_profiles.len()
            ),
        )
    } else {
        (
            Status::Fail,
            format!("{} not available in DR", details.len()),
        )
    };
    check("region_capacity", status, summary, evidence, details)
}

/// DR's principals, by the names the HCL uses for them: users by `userName`, lowercased (the API lowercases
/// e-mails, §6.3), groups by `displayName`, service principals by `applicationId`. `None`: not listed, because
/// the HCL names none of that kind.
#[derive(Debug, Clone, Default)]
pub struct DrPrincipals {
    /// Users.
    pub users: Option<HashSet<String>>,
    /// Groups.
    pub groups: Option<HashSet<String>>,
    /// Service principals.
    pub service_principals: Option<HashSet<String>>,
}

/// The groups every workspace has, whether or not a listing shows them: `admins`, whose grants the provider
/// treats as the workspace's own (provider-behaviour.md §6.2, §6.3), and `users`, every user of the workspace
/// [inferred: the reference does not list system groups; the emulator's SCIM fixtures hold both].
const SYSTEM_GROUPS: &[&str] = &["admins", "users"];

/// Principals: every user, group and service principal that `run_as`, a permission or a secret ACL names exists
/// in DR, or the check fails naming each and what uses it: a job whose `run_as` does not exist cannot run, and a
/// grant to a principal DR lacks fails at `terraform apply`.
pub fn principals(refs: &References, dr: &DrPrincipals) -> CheckResult {
    let has =
        |set: &Option<HashSet<String>>, name: &str| set.as_ref().is_some_and(|s| s.contains(name));
    let user = |name: &str| has(&dr.users, &name.to_lowercase());
    let group = |name: &str| SYSTEM_GROUPS.contains(&name) || has(&dr.groups, name);
    let sp = |name: &str| has(&dr.service_principals, name);
    let details: Vec<String> = refs
        .principals
        .iter()
        .filter(|((kind, name), _)| match kind {
            PrincipalKind::User => !user(name),
            PrincipalKind::Group => !group(name),
            PrincipalKind::ServicePrincipal => !sp(name),
            PrincipalKind::Any => !(user(name) || group(name) || sp(name)),
        })
        .map(|((kind, name), users)| {
            format!(
                "{} {name} does not exist in DR (used by {})",
                kind.noun(),
                used_by(users)
            )
        })
        .collect();
    let count = |set: &Option<HashSet<String>>| set.as_ref().map_or(0, HashSet::len);
    let evidence = vec![format!(
        "{} principals named in run_as, permissions and secret ACLs against {} users, {} groups and {} service \
         principals in DR (SCIM)",
        refs.principals.len(),
        count(&dr.users),
        count(&dr.groups),
        count(&dr.service_principals)
    )];
    if details.is_empty() {
        let summary = format!("{} principals exist", refs.principals.len());
        check("principals", Status::Pass, summary, evidence, details)
    } else {
        let summary = format!("{} principals missing", details.len());
        check("principals", Status::Fail, summary, evidence, details)
    }
}

/// What DR holds of secrets, by name only: its scopes, and each scope's key names (`secrets/list`; a value is
/// never read), or why they could not be listed (listing keys needs `READ` on the scope).
#[derive(Debug, Clone, Default)]
pub struct DrSecrets {
    /// Every scope.
    pub scopes: Vec<SecretScope>,
    /// The key names of each scope, by scope name.
    pub keys: BTreeMap<String, Result<BTreeSet<String>, String>>,
}

/// Secrets: every scope and every key that a `{{secrets/SCOPE/KEY}}` names exists in DR, or the check fails
/// naming each missing scope and key and what uses it. A scope whose keys could not be listed is a warning,
/// with the reason: its keys are not known to be there.
pub fn secrets(refs: &References, dr: &DrSecrets) -> CheckResult {
    let names: BTreeSet<&str> = dr.scopes.iter().map(|s| s.name.as_str()).collect();
    let mut status = Status::Pass;
    let mut details = Vec::new();
    let (mut scopes_missing, mut keys_missing) = (0, 0);
    for (scope, users) in &refs.secret_scopes {
        if !names.contains(scope.as_str()) {
            scopes_missing += 1;
            status = Status::Fail;
            details.push(format!(
                "secret scope {scope} does not exist in DR (used by {})",
                used_by(users)
            ));
            continue;
        }
        let wanted = refs.secret_keys.range((scope.clone(), String::new())..);
        let wanted = wanted.take_while(|((s, _), _)| s == scope);
        match dr.keys.get(scope) {
            Some(Ok(keys)) => {
                for ((_, key), users) in wanted.filter(|((_, k), _)| !keys.contains(k)) {
                    keys_missing += 1;
                    status = Status::Fail;
                    details.push(format!(
                        "secret {scope}/{key} does not exist in DR (used by {})",
                        used_by(users)
                    ));
                }
            }
            Some(Err(why)) => {
                status = status.max(Status::Warn);
                details.push(format!(
                    "the keys of secret scope {scope} could not be listed, so {} of them are not checked: {why}",
                    wanted.count()
                ));
            }
            None => {}
        }
    }
    let evidence = vec![format!(
        "{} scopes and {} keys named in the HCL against {} scopes in DR (key names only; no value is read)",
        refs.secret_scopes.len(),
        refs.secret_keys.len(),
        names.len()
    )];
    let summary = match (scopes_missing, keys_missing) {
        (0, 0) if status == Status::Pass => format!(
            "{} and {} exist",
            counted(refs.secret_scopes.len(), "secret scope"),
            counted(refs.secret_keys.len(), "key")
        ),
        (0, 0) => "some keys could not be listed".to_string(),
        (0, k) => format!("{} missing", counted(k, "secret key")),
        (s, 0) => format!("{} missing", counted(s, "secret scope")),
        (s, k) => format!(
            "{} and {} missing",
            counted(s, "secret scope"),
            counted(k, "key")
        ),
    };
    check("secrets", status, summary, evidence, details)
}

/// `1 key`, `2 keys`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The folder to list and the name to look for in it, for a workspace path in the API's spelling (no
/// `/Workspace` prefix): `/Shared/etl/load` → (`/Shared/etl`, `load`), `/top` → (`/`, `top`); a trailing slash is
/// ignored. `None` for what has no parent folder (`/`, a relative path), which is looked up on its own.
pub fn folder_and_name(path: &str) -> Option<(&str, &str)> {
    let path = path.trim_end_matches('/');
    let cut = path.rfind('/')?;
    let name = &path[cut + 1..];
    if !path.starts_with('/') || name.is_empty() {
        return None;
    }
    Some((if cut == 0 { "/" } else { &path[..cut] }, name))
}

/// Which workspace paths exist in DR, and how that was found out (for the evidence).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodePresence {
    /// Each path as the HCL names it → whether it exists.
    pub found: BTreeMap<String, bool>,
    /// The distinct folders of the paths, each read with one `workspace/list` (those that do not exist
    /// included), unless it is in `unlisted`.
    pub folders: usize,
    /// Paths looked up one by one with `workspace/get-status`: their folder could not be listed, or they have
    /// none.
    pub looked_up: usize,
    /// Why those paths were looked up one by one: each folder that could not be listed, with the error.
    pub unlisted: Vec<String>,
}

/// Code present: every workspace path the HCL names exists in DR.
pub fn code(refs: &References, presence: &CodePresence) -> CheckResult {
    let details: Vec<String> = refs
        .workspace_paths
        .iter()
        .filter(|(p, _)| !presence.found.get(*p).copied().unwrap_or(false))
        .map(|(p, users)| format!("{p} does not exist in DR (used by {})", used_by(users)))
        .collect();
    let listed = match presence.folders.saturating_sub(presence.unlisted.len()) {
        n if n == presence.folders => "each read with one workspace/list".to_string(),
        0 => "none of which could be read with workspace/list".to_string(),
        n => format!("{n} of them read with one workspace/list each"),
    };
    let mut evidence = vec![format!(
        "{} workspace paths (notebooks, Python files, init scripts) in {} folders, {listed}",
        refs.workspace_paths.len(),
        presence.folders
    )];
    if presence.looked_up > 0 {
        let why = if presence.unlisted.is_empty() {
            "they are in no folder".to_string()
        } else {
            let all: Vec<&str> = presence.unlisted.iter().map(String::as_str).collect();
            let shown = if all.len() > 3 {
                format!("{}; and {} more", all[..3].join("; "), all.len() - 3)
            } else {
                all.join("; ")
            };
            format!("their folder could not be listed: {shown}")
        };
        evidence.push(format!(
            "{} paths looked up one by one with workspace/get-status ({why})",
            presence.looked_up
        ));
    }
    if details.is_empty() {
        check(
            "code",
            Status::Pass,
            format!("{} workspace paths exist", refs.workspace_paths.len()),
            evidence,
            details,
        )
    } else {
        check(
            "code",
            Status::Fail,
            format!("{} workspace paths missing", details.len()),
            evidence,
            details,
        )
    }
}

const PAUSABLE: [&str; 3] = ["schedule", "trigger", "continuous"];

fn pause_status(block: &Value) -> &str {
    block
        .get("pause_status")
        .and_then(Value::as_str)
        .unwrap_or("UNPAUSED")
}

/// What the passive posture and the drift check's evidence read of DR's raw objects, taken as they are read
/// so that the raw listing is never held: a few strings per job instead of its JSON tree (at 10,000 jobs the
/// trees were most of check's peak memory, issue 16).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrFacts {
    /// Jobs listed (those the export leaves out too).
    pub jobs: usize,
    /// Each job's pause statuses, by job id: of `schedule`, `trigger` and `continuous` (in that order), `None`
    /// where the job has no such block.
    pub pauses: HashMap<String, JobPauses>,
    /// Clusters listed.
    pub clusters: usize,
    /// The all-purpose clusters: name, id and state.
    pub all_purpose: Vec<ClusterState>,
    /// Pools listed.
    pub pools: usize,
    /// Each pool's `min_idle_instances` (0 when unset), by pool id.
    pub min_idle: HashMap<String, i64>,
    /// Policies listed.
    pub policies: usize,
    /// SQL warehouses listed.
    pub warehouses: usize,
    /// Pipelines listed.
    pub pipelines: usize,
    /// Secret scopes listed.
    pub secret_scopes: usize,
}

/// A job's pause statuses, in the order of `PAUSABLE`.
pub type JobPauses = [Option<Box<str>>; 3];

/// An all-purpose cluster's name, id and state, as the passive posture reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterState {
    /// `cluster_name`.
    pub name: Option<String>,
    /// `cluster_id`.
    pub id: String,
    /// `state`.
    pub state: Option<String>,
}

impl DrFacts {
    /// The pause statuses of one raw job (keyed by its id), taken as its page is read.
    pub fn job(job: &crate::model::Job) -> (String, JobPauses) {
        let status = |block: &str| {
            job.settings
                .extra
                .get(block)
                .map(|b| Box::from(pause_status(b)))
        };
        (
            job.job_id.to_string(),
            [
                status(PAUSABLE[0]),
                status(PAUSABLE[1]),
                status(PAUSABLE[2]),
            ],
        )
    }

    /// The facts of the jobs kept by [`DrFacts::job`] and of the other objects as read (`rest`'s jobs are not read).
    pub fn new(jobs: Vec<(String, JobPauses)>, rest: &Inventory) -> DrFacts {
        DrFacts {
            jobs: jobs.len(),
            pauses: jobs.into_iter().collect(),
            clusters: rest.clusters.len(),
            all_purpose: rest
                .clusters
                .iter()
                .filter(|c| c.is_all_purpose())
                .map(|c| ClusterState {
                    name: c.cluster_name.clone(),
                    id: c.cluster_id.clone(),
                    state: c.state.clone(),
                })
                .collect(),
            pools: rest.pools.len(),
            min_idle: rest
                .pools
                .iter()
                .map(|p| {
                    let idle = p.extra.get("min_idle_instances").and_then(Value::as_i64);
                    (p.instance_pool_id.clone(), idle.unwrap_or(0))
                })
                .collect(),
            policies: rest.policies.len(),
            warehouses: rest.warehouses.len(),
            pipelines: rest.pipelines.len(),
            secret_scopes: rest.secret_scopes.len(),
        }
    }

    /// The facts of a whole inventory.
    pub fn of(live: &Inventory) -> DrFacts {
        DrFacts::new(live.jobs.iter().map(DrFacts::job).collect(), live)
    }
}

/// When the matching could not decide which DR object a resource is, each candidate is judged (a note says so).
fn candidates_note(n: usize) -> String {
    if n > 1 {
        format!(" (one of {n} DR objects that could be it: ambiguous, see the drift check)")
    } else {
        String::new()
    }
}

/// Passive posture: jobs that Git has paused are paused in DR (`fail` otherwise), pools keep the idle
/// instances Git gives them, and all-purpose clusters are not running (`warn` otherwise). Each resource is
/// judged against the DR object the run's [`Matching`] pairs it with (the one drift compares it with), or
/// against each candidate when the matching found it ambiguous.
pub fn passive(config: &Configuration, live: &DrFacts, matching: &Matching) -> CheckResult {
    let mut fails = Vec::new();
    let mut warns = Vec::new();
    let (mut paused_jobs, mut pools) = (0, 0);
    for r in &config.resources {
        let body = crate::convert::api_body(r);
        let name = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let address = r.address();
        let paired = matching.live_for(&address);
        let note = candidates_note(paired.len());
        match r.resource_type.as_str() {
            "databricks_job" => {
                let Some(job_name) = name("name") else {
                    continue;
                };
                for (i, block) in PAUSABLE.iter().enumerate() {
                    let Some(b) = body.get(*block) else { continue };
                    if pause_status(b) != "PAUSED" {
                        continue;
                    }
                    paused_jobs += 1;
                    for o in paired.iter() {
                        let Some(j) = live.pauses.get(&o.id) else {
                            continue;
                        };
                        if let Some(s) = j[i].as_deref().filter(|s| *s != "PAUSED") {
                            fails.push(format!(
                                "job {job_name} ({address}, DR id {}): {block} is {s} in DR, PAUSED in Git{note}",
                                o.id
                            ));
                        }
                    }
                }
            }
            "databricks_instance_pool" => {
                let Some(pool_name) = name("instance_pool_name") else {
                    continue;
                };
                pools += 1;
                let want = body
                    .get("min_idle_instances")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                for have in paired.iter().filter_map(|o| live.min_idle.get(&o.id)) {
                    if *have != want {
                        warns.push(format!(
                            "pool {pool_name} ({address}): {have} idle instances in DR, {want} in Git{note}"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    let pool_warns = warns.len();
    // A DR job that is in no resource (unmanaged) but runs on a schedule, trigger or continuously is not
    // passive either: Git cannot pause it. A warning, not a failure: DR may have jobs of its own (monitoring).
    let mut unmanaged_live = 0;
    for o in matching
        .unmanaged
        .iter()
        .filter(|o| o.kind == crate::model::ResourceKind::Jobs)
    {
        let Some(j) = live.pauses.get(&o.id) else {
            continue;
        };
        for (block, s) in PAUSABLE.iter().zip(j) {
            let Some(s) = s.as_deref() else { continue };
            if s != "PAUSED" {
                unmanaged_live += 1;
                warns.push(format!(
                    "job {} (DR id {}) is in no resource in Git and its {block} is {s} in DR",
                    o.name, o.id
                ));
            }
        }
    }
    let mut running = 0;
    for c in &live.all_purpose {
        let state = c.state.as_deref().unwrap_or("UNKNOWN");
        if !matches!(state, "TERMINATED" | "TERMINATING" | "ERROR" | "UNKNOWN") {
            running += 1;
            warns.push(format!(
                "cluster {} ({}) is {state} in DR",
                c.name.as_deref().unwrap_or("?"),
                c.id
            ));
        }
    }
    let evidence = vec![
        format!(
            "{paused_jobs} paused schedules, triggers and continuous blocks in Git against {} jobs in DR",
            live.jobs
        ),
        format!("{pools} pools in Git against {} in DR", live.pools),
        format!(
            "{} all-purpose clusters in DR, {running} running",
            live.all_purpose.len()
        ),
    ];
    let status = if !fails.is_empty() {
        Status::Fail
    } else if !warns.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    let summary = match status {
        Status::Pass => "schedules paused, pools as configured, clusters terminated".to_string(),
        _ => {
            let mut parts = Vec::new();
            if !fails.is_empty() {
                parts.push(format!("{} paused in Git, live in DR", fails.len()));
            }
            if unmanaged_live > 0 {
                parts.push(format!("{unmanaged_live} unmanaged jobs live in DR"));
            }
            if running > 0 {
                parts.push(format!("{running} clusters running"));
            }
            if pool_warns > 0 {
                parts.push(format!("{pool_warns} pools not as configured"));
            }
            parts.join(", ")
        }
    };
    fails.extend(warns);
    check("passive", status, summary, evidence, fails)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap as Map;

    fn config(hcl: &str) -> Configuration {
        let files = Map::from([("main.tf".to_string(), hcl.to_string())]);
        crate::tfconfig::load(&files, &[], &Map::new()).unwrap()
    }

    const HCL: &str = r#"
resource "databricks_cluster" "etl" {
  cluster_name  = "etl"
  node_type_id  = "i4i.xlarge"
  driver_node_type_id = "old.large"
  spark_version = "15.4.x-scala2.12"
  spark_conf = {
    "spark.password" = "{{secrets/etl-secrets/db}}"
  }
  spark_env_vars = {
    TOKEN = "{{secrets/missing-scope/token}}"
  }
  aws_attributes {
    zone_id              = "us-west-2a"
    instance_profile_arn = "arn:aws:iam::1:instance-profile/etl"
  }
  init_scripts {
    workspace {
      destination = "/Workspace/Shared/init.sh"
    }
  }
}

resource "databricks_job" "nightly" {
  name = "nightly"
  schedule {
    quartz_cron_expression = "0 0 1 * * ?"
    timezone_id            = "UTC"
    pause_status           = "PAUSED"
  }
  task {
    task_key = "a"
    notebook_task {
      notebook_path = "/Shared/etl/a"
      source        = "WORKSPACE"
    }
  }
  task {
    task_key = "b"
    notebook_task {
      notebook_path = "notebooks/b"
      source        = "GIT"
    }
  }
}
"#;

    fn node(id: &str, extra: Value) -> NodeType {
        let mut v = json!({"node_type_id": id});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn collects_what_the_hcl_names() {
        let refs = collect(&config(HCL));
        assert_eq!(
            refs.node_types.keys().collect::<Vec<_>>(),
            ["i4i.xlarge", "old.large"]
        );
        assert_eq!(refs.zones.keys().collect::<Vec<_>>(), ["us-west-2a"]);
        assert_eq!(
            refs.secret_scopes.keys().collect::<Vec<_>>(),
            ["etl-secrets", "missing-scope"]
        );
        assert_eq!(
            refs.workspace_paths.keys().collect::<Vec<_>>(),
            ["/Shared/etl/a", "/Workspace/Shared/init.sh"]
        );
        assert_eq!(
            refs.secret_keys.keys().collect::<Vec<_>>(),
            [
                &("etl-secrets".to_string(), "db".to_string()),
                &("missing-scope".to_string(), "token".to_string())
            ]
        );
    }

    #[test]
    fn region_capacity_names_each_gap() {
        let refs = collect(&config(HCL));
        let versions = vec![SparkVersion {
            key: "15.4.x-scala2.12".into(),
            name: String::new(),
        }];
        let zones = Zones {
            zones: vec!["us-west-2a".into()],
            default_zone: None,
        };
        let profiles = vec![json!({"instance_profile_arn": "arn:aws:iam::1:instance-profile/etl"})];
        let ok = region_capacity(
            &refs,
            &[node("i4i.xlarge", json!({})), node("old.large", json!({}))],
            &versions,
            Some(&zones),
            &profiles,
        );
        assert_eq!(ok.status, Status::Pass, "{ok:?}");

        for status in ["NotAvailableInRegion", "NOT_AVAILABLE_IN_REGION"] {
            let bad = region_capacity(
                &refs,
                &[
                    node("i4i.xlarge", json!({"node_info": {"status": [status]}})),
                    node("old.large", json!({"is_deprecated": true})),
                ],
                &[],
                None,
                &[],
            );
            assert_eq!(bad.status, Status::Fail);
            let text = bad.details.join("\n");
            assert!(
                text.contains("i4i.xlarge is not available in this region"),
                "{text}"
            );
            assert!(text.contains("old.large is deprecated"), "{text}");
            assert!(text.contains("spark version 15.4.x-scala2.12"), "{text}");
            assert!(text.contains("zone us-west-2a"), "{text}");
            assert!(
                text.contains("instance profile arn:aws:iam::1:instance-profile/etl"),
                "{text}"
            );
        }
    }

    #[test]
    fn principals_are_looked_up_by_the_name_each_kind_is_known_by() {
        let hcl = r#"
resource "databricks_job" "a" {
  name = "a"
  run_as {
    user_name = "Alice@Example.com"
  }
}
resource "databricks_job" "b" {
  name = "b"
  run_as {
    service_principal_name = "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab"
  }
}
resource "databricks_secret_acl" "s" {
  scope      = "s"
  principal  = "data-eng"
  permission = "READ"
}
resource "databricks_secret_acl" "u" {
  scope      = "s"
  principal  = "users"
  permission = "READ"
}
"#;
        let refs = collect(&config(hcl));
        assert_eq!(
            refs.principals.keys().collect::<Vec<_>>(),
            [
                &(PrincipalKind::User, "Alice@Example.com".to_string()),
                &(
                    PrincipalKind::ServicePrincipal,
                    "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab".to_string()
                ),
                &(PrincipalKind::Any, "data-eng".to_string()),
                &(PrincipalKind::Any, "users".to_string()),
            ]
        );
        let set = |names: &[&str]| Some(names.iter().map(|n| n.to_string()).collect());
        let dr = DrPrincipals {
            users: set(&["alice@example.com"]),
            groups: set(&["data-eng"]),
            service_principals: set(&[]),
        };
        let c = principals(&refs, &dr);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.details,
            ["service principal 6f1d2c3b-aaaa-bbbb-cccc-0123456789ab does not exist in DR (used by databricks_job.b)"]
        );
        // An ACL's principal may be any kind; `users` is a system group every workspace has.
        let dr = DrPrincipals {
            service_principals: set(&["6f1d2c3b-aaaa-bbbb-cccc-0123456789ab"]),
            groups: set(&[]),
            users: set(&["alice@example.com", "data-eng"]),
        };
        assert_eq!(principals(&refs, &dr).status, Status::Pass);
    }

    #[test]
    fn secrets_and_code() {
        let refs = collect(&config(HCL));
        let scope: SecretScope = serde_json::from_value(json!({"name": "etl-secrets"})).unwrap();
        let keys = |k: &[&str]| Ok(k.iter().map(|k| k.to_string()).collect());
        let mut dr = DrSecrets {
            scopes: vec![scope],
            keys: BTreeMap::from([("etl-secrets".to_string(), keys(&["db"]))]),
        };
        let s = secrets(&refs, &dr);
        assert_eq!(s.status, Status::Fail);
        assert_eq!(
            s.details,
            ["secret scope missing-scope does not exist in DR (used by databricks_cluster.etl)"]
        );
        assert_eq!(s.summary, "1 secret scope missing");
        // The scope is there but the key is not: named with its scope and what reads it.
        dr.keys.insert("etl-secrets".to_string(), keys(&["other"]));
        let s = secrets(&refs, &dr);
        assert_eq!(
            s.details[0],
            "secret etl-secrets/db does not exist in DR (used by databricks_cluster.etl)"
        );
        assert_eq!(s.summary, "1 secret scope and 1 key missing");
        // Keys that cannot be listed are not known to be there: a warning with the reason.
        let mut only_listed = refs.clone();
        only_listed.secret_scopes.remove("missing-scope");
        only_listed
            .secret_keys
            .retain(|(scope, _), _| scope == "etl-secrets");
        dr.keys
            .insert("etl-secrets".to_string(), Err("HTTP 403".to_string()));
        let s = secrets(&only_listed, &dr);
        assert_eq!(s.status, Status::Warn);
        assert_eq!(
            s.details,
            ["the keys of secret scope etl-secrets could not be listed, so 1 of them are not checked: HTTP 403"]
        );
        dr.keys.insert("etl-secrets".to_string(), keys(&["db"]));
        let s = secrets(&only_listed, &dr);
        assert_eq!(
            (s.status, s.summary.as_str()),
            (Status::Pass, "1 secret scope and 1 key exist")
        );
        let presence = CodePresence {
            found: Map::from([
                ("/Shared/etl/a".to_string(), true),
                ("/Workspace/Shared/init.sh".to_string(), false),
            ]),
            folders: 2,
            ..CodePresence::default()
        };
        let c = code(&refs, &presence);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.details,
            ["/Workspace/Shared/init.sh does not exist in DR (used by databricks_cluster.etl)"]
        );
        assert_eq!(
            c.evidence,
            ["2 workspace paths (notebooks, Python files, init scripts) in 2 folders, each read with one \
              workspace/list"]
        );
        let unlisted = CodePresence {
            folders: 6,
            looked_up: 3,
            unlisted: (1..=4).map(|i| format!("/f{i}: HTTP 403")).collect(),
            ..presence
        };
        let evidence = code(&refs, &unlisted).evidence;
        assert_eq!(
            evidence[0],
            "2 workspace paths (notebooks, Python files, init scripts) in 6 folders, 2 of them read with one \
             workspace/list each"
        );
        assert_eq!(
            evidence[1],
            "3 paths looked up one by one with workspace/get-status (their folder could not be listed: \
             /f1: HTTP 403; /f2: HTTP 403; /f3: HTTP 403; and 1 more)"
        );
    }

    #[test]
    fn folders_and_names_of_paths() {
        for (path, want) in [
            ("/Shared/etl/load", Some(("/Shared/etl", "load"))),
            ("/Shared/etl/run.py", Some(("/Shared/etl", "run.py"))),
            ("/Shared/etl/", Some(("/Shared", "etl"))),
            ("/top", Some(("/", "top"))),
            ("/", None),
            ("", None),
            ("notebooks/a", None),
        ] {
            assert_eq!(folder_and_name(path), want, "{path}");
        }
    }

    #[test]
    fn passive_posture() {
        let cfg = config(HCL);
        let job = |status: &str| {
            serde_json::from_value::<crate::model::Job>(json!({
                "job_id": 7,
                "settings": {"name": "nightly", "schedule": {"quartz_cron_expression": "x", "timezone_id": "UTC", "pause_status": status}}
            }))
            .unwrap()
        };
        let cluster = |state: &str| {
            serde_json::from_value::<crate::model::Cluster>(json!({
                "cluster_id": "c1", "cluster_name": "etl", "cluster_source": "API", "state": state
            }))
            .unwrap()
        };
        let mut live = Inventory {
            jobs: vec![job("PAUSED")],
            clusters: vec![cluster("TERMINATED")],
            ..Inventory::default()
        };
        let object = |id: &str| crate::drift::matching::LiveObject {
            kind: crate::model::ResourceKind::Jobs,
            id: id.to_string(),
            name: "nightly".to_string(),
        };
        let paired = Matching {
            by: crate::drift::matching::MatchedBy::Name,
            pairs: vec![crate::drift::matching::Pair {
                address: "databricks_job.nightly".to_string(),
                live: object("7"),
            }],
            missing: Vec::new(),
            unmanaged: Vec::new(),
            ambiguous: Vec::new(),
        };
        assert_eq!(
            passive(&cfg, &DrFacts::of(&live), &paired).status,
            Status::Pass
        );
        live.clusters = vec![cluster("RUNNING")];
        assert_eq!(
            passive(&cfg, &DrFacts::of(&live), &paired).status,
            Status::Warn
        );
        live.jobs = vec![job("UNPAUSED")];
        let p = passive(&cfg, &DrFacts::of(&live), &paired);
        assert_eq!(p.status, Status::Fail);
        assert_eq!(
            p.details[0],
            "job nightly (databricks_job.nightly, DR id 7): schedule is UNPAUSED in DR, PAUSED in Git"
        );
        // A live job the matching pairs with nothing (unmanaged) cannot be paused from Git: a warning naming it
        // when it runs on a schedule (drift reports it as unmanaged), nothing when it is paused.
        let unpaired = Matching {
            pairs: Vec::new(),
            unmanaged: vec![object("7")],
            ..paired.clone()
        };
        live.clusters = vec![cluster("TERMINATED")];
        let p = passive(&cfg, &DrFacts::of(&live), &unpaired);
        assert_eq!(p.status, Status::Warn);
        assert_eq!(p.summary, "1 unmanaged jobs live in DR");
        assert_eq!(
            p.details,
            ["job nightly (DR id 7) is in no resource in Git and its schedule is UNPAUSED in DR"]
        );
        live.jobs = vec![job("PAUSED")];
        assert_eq!(
            passive(&cfg, &DrFacts::of(&live), &unpaired).status,
            Status::Pass
        );
        live.jobs = vec![job("UNPAUSED")];
        live.clusters = vec![cluster("RUNNING")];
        // Ambiguous: every candidate is judged, and the detail says why.
        let mut other = job("PAUSED");
        other.job_id = 8;
        live.jobs.push(other);
        let ambiguous = Matching {
            pairs: Vec::new(),
            ambiguous: vec![crate::drift::matching::Ambiguous {
                address: "databricks_job.nightly".to_string(),
                name: "nightly".to_string(),
                candidates: vec![object("7"), object("8")],
                differs: Vec::new(),
            }],
            ..paired.clone()
        };
        let p = passive(&cfg, &DrFacts::of(&live), &ambiguous);
        assert_eq!(p.status, Status::Fail);
        assert!(
            p.details[0].ends_with("PAUSED in Git (one of 2 DR objects that could be it: ambiguous, see the drift check)"),
            "{p:?}"
        );
    }
}
