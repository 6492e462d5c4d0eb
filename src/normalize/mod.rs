//! The canonical configuration of a workspace object: what a user configured, in the form the provider
//! (databricks/databricks 1.99.0) can carry to DR and read back without a diff. Output-only fields and server
//! defaults are dropped, what the provider rewrites on create is rewritten the same way here, and what it
//! cannot express is left out with a note. Export and drift both go through here, so that an unchanged DR
//! workspace shows no drift at all. Every rule names its source: `§n` is a section of
//! `../shared/reference/provider-behaviour.md`, which cites the provider's code. Pure functions: no I/O, no HCL.
//!
//! One file per kind (`jobs`, `clusters` with the cluster specs jobs carry, `pools`, `policies`,
//! `sql_warehouse`, `pipeline`, `secrets` for scopes and their ACLs, `permissions`); here what they
//! share: the result types, the options, `by_kind` (the one loop over kinds) and the rules on zeros and empty
//! values. Imports `model`, never the reverse; nothing here reads a workspace or knows HCL.

mod clusters;
mod jobs;
mod permissions;
mod pipeline;
mod policies;
mod pools;
mod secrets;
mod sql_warehouse;
#[cfg(test)]
mod tests;

pub use clusters::cluster;
pub use jobs::{into_job, job};
pub use permissions::object_permissions;
pub use pipeline::pipeline;
pub use policies::cluster_policy;
pub use pools::instance_pool;
pub use secrets::{is_own_manage, secret_acl, secret_acl_id, secret_acl_name, secret_scope};
pub use sql_warehouse::sql_warehouse;

use crate::model::{ClusterLibraries, Inventory, ResourceKind};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;

/// One object's canonical configuration, in the API's field names, with what identifies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// What kind of object.
    pub kind: ResourceKind,
    /// Its workspace-specific id (job ids as decimal text).
    pub id: String,
    /// Its name (jobs without one are "Untitled", as the service names them).
    pub name: String,
    /// Creation time in epoch milliseconds, for ordering duplicates; 0 when unknown.
    pub created: i64,
    /// The configuration: a JSON object with empty values pruned and keys sorted.
    pub config: Value,
    /// Why the object is not exported at all (the provider cannot create it faithfully, or it belongs to
    /// something else); drift leaves such live objects alone too.
    pub excluded: Option<String>,
    /// What was left out or changed because the provider cannot carry it, for the export's warnings.
    pub notes: Vec<Note>,
}

/// Something the normaliser left out of one object, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Where, in API names (`max_concurrent_runs`, `libraries`).
    pub path: String,
    /// What happened and what it means for DR.
    pub message: String,
}

/// What users choose about the normalisation (`[export]` in drsync.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Export jobs deployed by a Databricks Asset Bundle (without their bundle markers) instead of leaving them
    /// out.
    pub bundle_jobs: bool,
    /// Export libraries that failed to install on a cluster instead of leaving them out.
    pub failed_libraries: bool,
}

/// What drift reads of a live object: what identifies it, and its configuration. Implemented by [`Normalized`]
/// (the tree itself) and by [`Packed`] (the tree read back from compact JSON when it is used).
pub trait Live: Sync {
    /// What kind of object.
    fn kind(&self) -> ResourceKind;
    /// Its workspace-specific id.
    fn id(&self) -> &str;
    /// Its name.
    fn name(&self) -> &str;
    /// Creation time in epoch milliseconds; 0 when unknown.
    fn created(&self) -> i64;
    /// The configuration, as [`Normalized::config`].
    fn config(&self) -> Cow<'_, Value>;
}

impl<T: Live> Live for &T {
    fn kind(&self) -> ResourceKind {
        (*self).kind()
    }
    fn id(&self) -> &str {
        (*self).id()
    }
    fn name(&self) -> &str {
        (*self).name()
    }
    fn created(&self) -> i64 {
        (*self).created()
    }
    fn config(&self) -> Cow<'_, Value> {
        (*self).config()
    }
}

impl Live for Normalized {
    fn kind(&self) -> ResourceKind {
        self.kind
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn config(&self) -> Cow<'_, Value> {
        Cow::Borrowed(&self.config)
    }
}

/// A normalised object kept small while many wait together: its configuration as compact JSON text instead of
/// a tree. A `serde_json` tree takes several times its text (every object is a B-tree node of about 600 bytes,
/// every string and number a node of its own): drift holds every live object of DR until the comparison, and at
/// 10,000 jobs the trees were about 230 MB (heaptrack); packed, drift's peak went from 440 to 298 MB. Excluded
/// objects and notes are not kept (drift leaves the first alone and reports no notes).
#[derive(Debug, Clone, PartialEq)]
pub struct Packed {
    kind: ResourceKind,
    id: String,
    name: String,
    created: i64,
    config: Box<str>,
}

impl Packed {
    /// `n` packed; `None` when it is excluded.
    pub fn pack(n: Normalized) -> Option<Packed> {
        if n.excluded.is_some() {
            return None;
        }
        Some(Packed {
            kind: n.kind,
            id: n.id,
            name: n.name,
            created: n.created,
            config: n.config.to_string().into_boxed_str(),
        })
    }
}

impl Live for Packed {
    fn kind(&self) -> ResourceKind {
        self.kind
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn created(&self) -> i64 {
        self.created
    }
    /// The tree read back: the same value (serde_json writes every string, number and key so that it reads
    /// back equal, and the keys were already sorted).
    fn config(&self) -> Cow<'_, Value> {
        Cow::Owned(
            serde_json::from_str(&self.config).expect("drsync's own compact JSON reads back"),
        )
    }
}

impl Normalized {
    fn new(kind: ResourceKind, id: String, name: String, created: i64, config: Value) -> Self {
        Normalized {
            kind,
            id,
            name,
            created,
            config,
            excluded: None,
            notes: Vec::new(),
        }
    }
}

/// Every object of `kinds`, normalised, kind by kind in the order of `kinds`, each kind on every core (results
/// in order): the one loop over kinds that the export and drift share. Jobs come as `J`, because each caller has
/// them in its own form (borrowed, normalised as their pages arrived, or converted ahead of time): `job` turns
/// one into a `T`. The other kinds are taken from `rest` (its `jobs` are not read), normalised here (clusters
/// with their libraries) and turned into a `T` by `other`.
pub fn by_kind<J, T>(
    jobs: Vec<J>,
    rest: &Inventory,
    kinds: &[ResourceKind],
    options: &Options,
    job: impl Fn(J) -> T + Sync + Send,
    other: impl Fn(Normalized) -> T + Sync + Send,
) -> Vec<T>
where
    J: Send,
    T: Send,
{
    let libraries: HashMap<&str, &ClusterLibraries> = rest
        .libraries
        .iter()
        .map(|l| (l.cluster_id.as_str(), l))
        .collect();
    let mut jobs = Some(jobs);
    let mut objects: Vec<T> = Vec::new();
    for kind in kinds {
        match kind {
            ResourceKind::Jobs => {
                objects.par_extend(jobs.take().unwrap_or_default().into_par_iter().map(&job))
            }
            ResourceKind::Clusters => objects.par_extend(rest.clusters.par_iter().map(|c| {
                other(cluster(
                    c,
                    libraries.get(c.cluster_id.as_str()).copied(),
                    options,
                ))
            })),
            ResourceKind::InstancePools => {
                objects.par_extend(rest.pools.par_iter().map(|p| other(instance_pool(p))))
            }
            ResourceKind::ClusterPolicies => {
                objects.par_extend(rest.policies.par_iter().map(|p| other(cluster_policy(p))))
            }
            ResourceKind::SqlWarehouses => {
                objects.par_extend(rest.warehouses.par_iter().map(|w| other(sql_warehouse(w))))
            }
            ResourceKind::Pipelines => objects.par_extend(
                rest.pipelines
                    .par_iter()
                    .map(|p| other(pipeline(p, options))),
            ),
            ResourceKind::SecretScopes => objects.par_extend(
                rest.secret_scopes
                    .par_iter()
                    .map(|s| other(secret_scope(s))),
            ),
            ResourceKind::SecretAcls => objects.par_extend(
                rest.secret_acls
                    .par_iter()
                    .flat_map_iter(|of| of.items.iter().map(|a| other(secret_acl(&of.scope, a)))),
            ),
            ResourceKind::Permissions => objects.par_extend(
                rest.permissions
                    .par_iter()
                    .filter_map(|p| object_permissions(p, rest.reader.as_deref()))
                    .map(&other),
            ),
        }
    }
    objects
}

// ---- Rules all kinds share ----------------------------------------------------------------------------------

/// Fields whose zero the provider sends or that drsync writes on purpose, by name, wherever they are.
const ZEROS_KEPT: &[&str] = &[
    "autotermination_minutes", // 0 = never; written so that the provider's 60 is not sent (§3.2)
    "idle_instance_autotermination_minutes", // Required on pools (§4.3): always written
    "local_ssd_count",         // sent even when 0 (§1.2)
    "enable_serverless_compute", // SQL warehouses: sent when set (§7.2), always written (§13)
    "enable_photon", // SQL warehouses: sent when set (§7.2); false differs from the default true
    "auto_stop_mins", // SQL warehouses: sent when set (§7.2); 0 = no auto stop, not the default 120
];

/// Fields whose zero means something other than the API's default, so that leaving them out changes DR:
/// `first_on_demand` is one the service fills in when it is not sent (databricks-api.md §4 Clusters,
/// "Server-filled defaults").
const ZEROS_THAT_MATTER: &[(&str, &str)] = &[(
    "first_on_demand",
    "is 0 (no on-demand nodes), which the provider cannot send: DR clusters get the API's default",
)];

/// Drop `false` and `0` from the fields of objects (not from map values, list items or policy documents): the
/// provider never sends a zero unless it forces the field (§1.2, §13 "Zero values"), so DR never has them and
/// drift must not expect them. Zeros that change what runs are noted.
fn drop_zeros(obj: &mut Map<String, Value>, path: &str, notes: &mut Vec<Note>) {
    obj.retain(|key, v| {
        let zero = matches!(v, Value::Bool(false)) || v.as_f64() == Some(0.0);
        if !zero || ZEROS_KEPT.contains(&key.as_str()) {
            return true;
        }
        if let Some((_, why)) = ZEROS_THAT_MATTER.iter().find(|(k, _)| k == key) {
            notes.push(Note {
                path: format!("{path}{key}"),
                message: (*why).to_string(),
            });
        }
        false
    });
    for (key, v) in obj.iter_mut() {
        if MAP_FIELDS.contains(&key.as_str())
            || key == "definition"
            || key == "policy_family_definition_overrides"
        {
            continue;
        }
        match v {
            Value::Object(child) => drop_zeros(child, &format!("{path}{key}."), notes),
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::Object(child) = item {
                        drop_zeros(child, &format!("{path}{key}[{i}]."), notes);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Fields that are maps of the user's keys, not objects of the API's fields.
const MAP_FIELDS: &[&str] = &[
    "spark_conf",
    "spark_env_vars",
    "custom_tags",
    "tags",
    "base_parameters",
    "named_parameters",
    "job_parameters",
    "notebook_params",
    "python_named_params",
    "sql_params",
    "parameters",
    "configuration",
];

fn remove_keys(map: &mut Map<String, Value>, keys: &[&str]) {
    for k in keys {
        map.remove(*k);
    }
}

fn remove_equal(map: &mut Map<String, Value>, defaults: &[(&str, Value)]) {
    for (k, v) in defaults {
        if map.get(*k) == Some(v) {
            map.remove(*k);
        }
    }
}

/// Remove nulls, empty objects and empty arrays, recursively: the API leaves unset fields out, and an empty
/// block configures nothing.
pub fn prune(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                prune(child);
            }
            map.retain(|_, child| !is_empty(child));
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                prune(child);
            }
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
