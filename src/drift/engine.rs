//! The comparison: match live objects to resources (by Terraform state or by name, never guessing between
//! look-alikes), bring the live ones into the configuration's shape, and diff them field by field.

use super::matching::{self, Have, MatchedBy, Matching, Wanted};
use super::{
    FieldDiff, Finding, FindingKind, Report, Severity, Source, Summary, TypeSummary, REPORT_VERSION,
};
use crate::convert::{Converter, References};
use crate::hcl::Schema;
use crate::model::{Inventory, ResourceKind};
use crate::normalize::{self, Live, Normalized};
use crate::tfconfig::{self, parse_reference, Configuration, Resource};
use ::hcl::expr::{Expression, ObjectKey};
use ::hcl::{Block, Body};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Terraform state: resource address to the id of the DR object it manages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateIds(pub BTreeMap<String, String>);

impl StateIds {
    /// Read a state file (format version 4): managed `databricks_*` resources and their ids.
    pub fn parse(text: &str) -> Result<StateIds, StateError> {
        let v: Value = serde_json::from_str(text).map_err(StateError::NotJson)?;
        match v.get("version").and_then(Value::as_u64) {
            Some(4) => {}
            Some(n) => return Err(StateError::Version(n)),
            None => return Err(StateError::NoVersion),
        }
        // Terraform writes `resources` (an array, empty when nothing is managed) in every version 4 state, and
        // `instances` (an array) in every resource: a file without them is not a state to trust, and reading it
        // as empty would match nothing by id.
        let resources = match v.get("resources") {
            Some(Value::Array(r)) => r,
            Some(other) => return Err(StateError::ResourcesNotArray(json_kind(other))),
            None => return Err(StateError::NoResources),
        };
        let mut ids = BTreeMap::new();
        for (i, r) in resources.iter().enumerate() {
            let Some(obj) = r.as_object() else {
                return Err(StateError::ResourceNotObject {
                    index: i,
                    kind: json_kind(r),
                });
            };
            if !matches!(obj.get("instances"), Some(Value::Array(_))) {
                return Err(StateError::InstancesNotArray {
                    index: i,
                    kind: obj.get("instances").map_or("missing", json_kind),
                });
            }
            if r.get("mode").and_then(Value::as_str) != Some("managed") {
                continue;
            }
            let (Some(t), Some(name)) = (
                r.get("type").and_then(Value::as_str),
                r.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            if let Some(id) = r
                .get("instances")
                .and_then(Value::as_array)
                .and_then(|i| i.first())
                .and_then(|i| i.get("attributes"))
                .and_then(|a| a.get("id"))
            {
                let id = id.as_str().map_or_else(|| id.to_string(), str::to_string);
                ids.insert(format!("{t}.{name}"), id);
            }
        }
        Ok(StateIds(ids))
    }
}

/// Why a file is not a Terraform state drsync can match by: the message names the first thing wrong.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    /// A state format other than 4.
    #[error("state format version {0}; drsync reads version 4")]
    Version(u64),
    /// No `version`.
    #[error("no `version`: not a Terraform state file")]
    NoVersion,
    /// `resources` is not an array (the kind of value it is instead).
    #[error("`resources` is {0}, not an array: not a Terraform state file")]
    ResourcesNotArray(&'static str),
    /// No `resources`.
    #[error("no `resources`: not a Terraform state file")]
    NoResources,
    /// A resource that is not an object.
    #[error("`resources[{index}]` is {kind}, not an object: not a Terraform state file")]
    ResourceNotObject {
        /// Its index in `resources`.
        index: usize,
        /// The kind of value it is.
        kind: &'static str,
    },
    /// A resource whose `instances` is not an array.
    #[error("`resources[{index}].instances` is {kind}, not an array: not a Terraform state file")]
    InstancesNotArray {
        /// The resource's index in `resources`.
        index: usize,
        /// The kind of value `instances` is, or `missing`.
        kind: &'static str,
    },
}

/// What kind of JSON value `v` is, for [`StateIds::parse`]'s errors.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Why a comparison failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The live objects could not be brought into the configuration's shape (a bug in drsync).
    #[error("cannot read the live workspace back as HCL (a bug in drsync, please report it)")]
    Live(#[source] tfconfig::Error),
}

/// The live objects of `kinds`, normalised as the export normalises, without those the export leaves out.
fn normalize_inventory(
    live: &Inventory,
    kinds: &[ResourceKind],
    options: &normalize::Options,
) -> Vec<Normalized> {
    let jobs: Vec<&crate::model::Job> = live.jobs.iter().collect();
    let mut objects = normalize::by_kind(
        jobs,
        live,
        kinds,
        options,
        |j| normalize::job(j, options),
        |n| n,
    );
    // Live objects the export would leave out (bundle jobs, what the provider cannot create) are not drsync's
    // to report: they are neither missing from Git nor unmanaged.
    objects.retain(|o| o.excluded.is_none());
    objects
}

/// What a comparison found: the report, the addresses in sync, and the [`Matching`] it was made over.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The drift report.
    pub report: Report,
    /// Addresses of resources whose live object matches them.
    pub in_sync: Vec<String>,
    /// Which live object each resource is: the one matching every consumer uses.
    pub matching: Matching,
}

/// Compare the configuration with what was read from the DR workspace: the report, the addresses in sync and
/// the matching (for `check` and the commands that act on pairs).
// The inputs of `compare_normalized` and the normalisation's options: grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    config: &Configuration,
    live: &Inventory,
    kinds: &[ResourceKind],
    state: Option<&StateIds>,
    source: Source,
    schema: &Schema,
    options: &normalize::Options,
    identity: Option<&str>,
) -> Result<Compared, Error> {
    let objects = normalize_inventory(live, kinds, options);
    let result = compare_normalized(config, &objects, kinds, state, source, schema, identity);
    // Tens of thousands of JSON trees: freed on every core too.
    objects.into_par_iter().for_each(drop);
    result
}

/// [`compare`] over the live objects, normalised (as [`crate::inventory::read_normalized`] reads them, without
/// the objects the export leaves out): as trees ([`Normalized`]) or packed ([`normalize::Packed`]), each
/// configuration read when its object is shaped. `identity` is who reads DR: its own `MANAGE` on a scope,
/// which creating the scope gave it, is not reported as unmanaged ([`normalize::is_own_manage`]).
pub fn compare_normalized<O: Live>(
    config: &Configuration,
    objects: &[O],
    kinds: &[ResourceKind],
    state: Option<&StateIds>,
    source: Source,
    schema: &Schema,
    identity: Option<&str>,
) -> Result<Compared, Error> {
    let objects = without_own(config, objects, identity);
    compare_live(config, &objects, kinds, state, false, source, schema)
}

/// [`compare_normalized`] for `adopt`: the resources `state` records are matched by its ids, and the others by
/// name among the live objects it leaves free ([`matching`], rule 1), where drift leaves them missing.
pub fn compare_for_adoption<O: Live>(
    config: &Configuration,
    objects: &[O],
    kinds: &[ResourceKind],
    state: Option<&StateIds>,
    source: Source,
    schema: &Schema,
    identity: Option<&str>,
) -> Result<Compared, Error> {
    let objects = without_own(config, objects, identity);
    compare_live(config, &objects, kinds, state, true, source, schema)
}

/// The live objects without `identity`'s own `MANAGE` on a scope: not DR's configuration, unless the HCL says
/// otherwise (what creating a scope gave the identity that created it: the one reading DR, as a rule the one
/// that applied the HCL).
fn without_own<'o, O: Live>(
    config: &Configuration,
    objects: &'o [O],
    identity: Option<&str>,
) -> Vec<&'o O> {
    let resources: Vec<&Resource> = config.resources.iter().collect();
    let acls: std::collections::HashSet<String> = resources
        .iter()
        .filter(|r| r.resource_type == ResourceKind::SecretAcls.resource_type())
        .map(|r| name_of(r, &resources))
        .collect();
    let own = |o: &&O| {
        o.kind() == ResourceKind::SecretAcls
            && !acls.contains(o.name())
            && identity
                .is_some_and(|me| normalize::is_own_manage(o.kind(), o.id(), &o.config(), me))
    };
    objects.iter().filter(|o| !own(o)).collect()
}

/// `then_by_name`: with a state, match what it does not record by name (`adopt`), instead of leaving it missing.
fn compare_live<O: Live>(
    config: &Configuration,
    objects: &[O],
    kinds: &[ResourceKind],
    state: Option<&StateIds>,
    then_by_name: bool,
    source: Source,
    schema: &Schema,
) -> Result<Compared, Error> {
    let mut desired: Vec<&Resource> = config
        .resources
        .iter()
        .filter(|r| kinds.iter().any(|k| k.resource_type() == r.resource_type))
        .filter(|r| kind_of(&r.resource_type).is_some())
        .collect();
    // Grants last: without a state they are matched through their object's pair, once those are known.
    desired.sort_by_key(|r| r.resource_type == ResourceKind::Permissions.resource_type());
    let objects_end = desired
        .iter()
        .position(|r| r.resource_type == ResourceKind::Permissions.resource_type())
        .unwrap_or(desired.len());

    // Matching (see `matching` for the rules): pairs by state or unique name first.
    let names: Vec<String> = desired.iter().map(|r| name_of(r, &desired)).collect();
    let wanted: Vec<Wanted> = desired
        .iter()
        .zip(&names)
        .map(|(r, name)| Wanted {
            kind: kind_of(&r.resource_type).expect("filtered to known types"),
            address: r.address(),
            name: name.clone(),
        })
        .collect();
    let have: Vec<Have> = objects
        .iter()
        .map(|o| Have {
            kind: o.kind(),
            id: o.id(),
            name: o.name(),
            created: o.created(),
        })
        .collect();
    // Grants are matched by state, or else through their object's pair (below).
    let mut indices = match state {
        Some(_) if !then_by_name => matching::first_pass(&wanted, &have, state, false),
        _ => matching::first_pass(&wanted[..objects_end], &have, state, then_by_name),
    };
    let mut findings: Vec<Finding> = indices
        .missing
        .iter()
        .map(|r| missing(desired[*r], &names[*r]))
        .collect();

    // Bring live objects into the configuration's shape: matched objects under their resource's label, so that
    // references compare as identities. A live object's shape depends only on the object and on the
    // references (which id is which label), never on its own label, so each is shaped where it is needed.
    let pairs_of = |indices: &matching::Indices| -> Vec<(&Resource, &O)> {
        indices
            .pairs
            .iter()
            .map(|(r, i)| (desired[*r], &objects[*i]))
            .collect()
    };
    let mut live_labels: HashMap<usize, String> = indices
        .pairs
        .iter()
        .map(|(r, i)| (*i, desired[*r].label.clone()))
        .collect();
    // Look-alikes of duplicated names: each candidate gets a label of its own, to be compared with each
    // resource of that name.
    for (_, group) in &indices.lookalikes {
        for i in group {
            live_labels
                .entry(*i)
                .or_insert_with(|| format!("drsync_candidate_{i}"));
        }
    }
    let refs = references(&pairs_of(&indices));
    let final_refs;
    let mut shaper = Shaper::new(&refs, objects, &live_labels)?;

    // Duplicated names: pair resources with identical live objects; anything else is ambiguous.
    let had_lookalikes = !indices.lookalikes.is_empty();
    let mut ambiguous = Vec::new();
    let mut candidate_differences: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    if had_lookalikes {
        let mut candidates: Vec<usize> = indices
            .lookalikes
            .iter()
            .flat_map(|(_, group)| group.iter().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        // One converter per worker, reused across its objects; the results come back in order.
        let shaped: Vec<(usize, Result<Body, Error>)> = candidates
            .into_par_iter()
            .map_init(
                || Converter::new(schema, shaper.refs),
                |converter, i| (i, shaper.shape(converter, &objects[i], &live_labels[&i])),
            )
            .collect();
        let mut live_bodies: HashMap<usize, Body> = HashMap::new();
        for (i, body) in shaped {
            live_bodies.insert(i, body?);
        }
        ambiguous = matching::resolve(&mut indices, &wanted, |r, i| {
            let r = desired[r];
            live_bodies.get(&i).is_some_and(|b| {
                let mut b = b.clone();
                super::suppress::align(&r.resource_type, &r.body, &mut b);
                same(&r.body, &b, &r.resource_type)
            })
        });
        for (r, group) in &ambiguous {
            // What tells the candidates apart: where each differs from the resource.
            let resource = desired[*r];
            let differs: Vec<Vec<String>> = group
                .iter()
                .map(|i| {
                    live_bodies.get(i).map_or_else(Vec::new, |b| {
                        let mut b = b.clone();
                        super::suppress::align(&resource.resource_type, &resource.body, &mut b);
                        diff_bodies(&resource.body, &b, &resource.resource_type)
                            .into_iter()
                            .map(|f| f.path)
                            .collect()
                    })
                })
                .collect();
            candidate_differences.insert(resource.address(), differs);
            let name = names[*r].clone();
            let r = desired[*r];
            let ids: Vec<String> = group.iter().map(|i| objects[*i].id().to_string()).collect();
            findings.push(Finding {
                kind: FindingKind::Ambiguous,
                severity: Severity::Drift,
                resource_type: r.resource_type.clone(),
                label: r.label.clone(),
                name,
                live_id: ids.first().cloned(),
                live_ids: ids,
                fields: Vec::new(),
                expected_hcl: Some(render(&r.resource_type, &r.label, &r.body)),
                actual_hcl: None,
            });
        }
    }
    if (state.is_none() || then_by_name) && objects_end < desired.len() {
        let paired: HashMap<(&str, &str), usize> = indices
            .pairs
            .iter()
            .map(|(r, i)| {
                (
                    (
                        desired[*r].resource_type.as_str(),
                        desired[*r].label.as_str(),
                    ),
                    *i,
                )
            })
            .collect();
        let live_grants: HashMap<&str, usize> = have
            .iter()
            .enumerate()
            .filter(|(_, h)| h.kind == ResourceKind::Permissions)
            .map(|(i, h)| (h.id, i))
            .collect();
        let undecided: HashMap<(&str, &str), Vec<usize>> = ambiguous
            .iter()
            .map(|(r, group)| {
                (
                    (
                        desired[*r].resource_type.as_str(),
                        desired[*r].label.as_str(),
                    ),
                    group.clone(),
                )
            })
            .collect();
        for (r, grants) in desired.iter().enumerate().skip(objects_end) {
            // Grants the state records are the live grants of its id (`adopt`: rule 1, then names).
            if let Some(id) = state.and_then(|s| s.0.get(&grants.address())) {
                match live_grants.get(id.as_str()).copied() {
                    Some(i) if !indices.used[i] => {
                        indices.used[i] = true;
                        indices.pairs.push((r, i));
                    }
                    _ => {
                        indices.missing.push(r);
                        findings.push(missing(grants, &name_of(grants, &[])));
                    }
                }
                continue;
            }
            // The grants of an ambiguous object are as ambiguous: the candidates' grants are theirs.
            if let Some(group) = parent_of(grants).and_then(|p| undecided.get(&p)) {
                let candidates: Vec<usize> = group
                    .iter()
                    .filter_map(|i| {
                        let t = crate::model::PermissionsTarget::of_kind(objects[*i].kind())?;
                        live_grants
                            .get(t.object_id(objects[*i].id()).as_str())
                            .copied()
                    })
                    .collect();
                for i in &candidates {
                    indices.used[*i] = true;
                }
                let ids: Vec<String> = candidates
                    .iter()
                    .map(|i| objects[*i].id().to_string())
                    .collect();
                findings.push(Finding {
                    kind: FindingKind::Ambiguous,
                    severity: Severity::Drift,
                    resource_type: grants.resource_type.clone(),
                    label: grants.label.clone(),
                    name: name_of(grants, &[]),
                    live_id: ids.first().cloned(),
                    live_ids: ids,
                    fields: Vec::new(),
                    expected_hcl: Some(render(&grants.resource_type, &grants.label, &grants.body)),
                    actual_hcl: None,
                });
                ambiguous.push((r, candidates));
                continue;
            }
            match grants_object(grants, &paired, objects)
                .and_then(|id| live_grants.get(id.as_str()).copied())
            {
                Some(i) if !indices.used[i] => {
                    indices.used[i] = true;
                    indices.pairs.push((r, i));
                }
                _ => {
                    indices.missing.push(r);
                    findings.push(missing(grants, &name_of(grants, &[])));
                }
            }
        }
    }
    let matched = pairs_of(&indices);
    let used = &indices.used;

    // References to objects paired just now were still literal ids: shape the live objects with the new ones.
    if had_lookalikes {
        let labels: HashMap<usize, String> = indices
            .pairs
            .iter()
            .map(|(r, i)| (*i, desired[*r].label.clone()))
            .collect();
        final_refs = references(&matched);
        shaper = Shaper::new(&final_refs, objects, &labels)?;
    }

    // Field by field, on every core: each matched pair is shaped, compared (equal bodies first, the detailed
    // diff only when they differ) and, when it differs, rendered.
    let judged: Vec<Result<Judgement, Error>> = matched
        .par_iter()
        .map_init(
            || Converter::new(schema, shaper.refs),
            |converter, (r, o)| judge(&shaper, converter, r, *o),
        )
        .collect();
    let mut in_sync = Vec::new();
    for judgement in judged {
        match judgement? {
            Judgement::InSync(address) => in_sync.push(address),
            Judgement::Changed(finding) => findings.push(finding),
        }
    }

    // Unmanaged: live objects nothing in Git stands for.
    let unmanaged_refs = references(&matched);
    let mut unmanaged_converter = Converter::new(schema, &unmanaged_refs);
    let mut alloc: HashMap<ResourceKind, crate::hcl::LabelAllocator> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        if used[i] {
            continue;
        }
        let label = alloc
            .entry(o.kind())
            .or_default()
            .allocate(&[crate::hcl::LabelItem {
                name: o.name(),
                creation_time: o.created(),
                stable_id: o.id(),
            }]);
        let label = label.into_iter().next().unwrap_or_default();
        let block = unmanaged_converter.resource(o.kind(), &label, &o.config());
        findings.push(Finding {
            kind: FindingKind::Unmanaged,
            severity: Severity::Drift,
            resource_type: o.kind().resource_type().to_string(),
            label,
            name: o.name().to_string(),
            live_id: Some(o.id().to_string()),
            live_ids: Vec::new(),
            fields: Vec::new(),
            expected_hcl: None,
            actual_hcl: Some(crate::hcl::to_string(
                &Body::builder().add_block(block).build(),
            )),
        });
    }
    findings.sort_by(|a, b| {
        (&a.resource_type, &a.label, a.kind).cmp(&(&b.resource_type, &b.label, b.kind))
    });
    in_sync.sort();

    // Summary.
    let mut summary = Summary::default();
    for k in kinds {
        let t = k.resource_type().to_string();
        let s = TypeSummary {
            desired: desired.iter().filter(|r| r.resource_type == t).count(),
            live: objects.iter().filter(|o| o.kind() == *k).count(),
            managed: matched.iter().filter(|(r, _)| r.resource_type == t).count(),
            ..TypeSummary::default()
        };
        summary.by_type.insert(t, s);
    }
    let live_total: usize = summary.by_type.values().map(|s| s.live).sum();
    let managed_total: usize = summary.by_type.values().map(|s| s.managed).sum();
    summary.coverage = if live_total == 0 {
        1.0
    } else {
        managed_total as f64 / live_total as f64
    };
    let mut report = Report {
        version: REPORT_VERSION,
        source,
        summary,
        findings,
    };
    super::resummarize(&mut report);
    let by = match (state, then_by_name) {
        (Some(_), false) => MatchedBy::State,
        (Some(_), true) => MatchedBy::StateThenName,
        (None, _) => MatchedBy::Name,
    };
    let mut matching = matching::build(by, &indices, &ambiguous, &wanted, &have);
    for a in &mut matching.ambiguous {
        if let Some(differs) = candidate_differences.remove(&a.address) {
            a.differs = differs;
        }
    }
    Ok(Compared {
        report,
        in_sync,
        matching,
    })
}

/// The DR `object_id` (`/jobs/123`) whose grants a `databricks_permissions` resource stands for: the object its
/// object-id attribute refers to, as the matching paired it (a resource written with a literal id stands for
/// that id). `None` when that object is missing or ambiguous in DR: the grants are missing too.
/// The `(TYPE, LABEL)` of the object a `databricks_permissions` resource refers to, when it is a reference.
fn parent_of(r: &Resource) -> Option<(&str, &str)> {
    r.body.attributes().find_map(|a| {
        let is_object_id = crate::model::PERMISSIONS_TARGETS
            .iter()
            .any(|t| t.attribute == a.key());
        match a.expr() {
            Expression::String(s) if is_object_id => parse_reference(s),
            _ => None,
        }
    })
}

fn grants_object<O: Live>(
    r: &Resource,
    paired: &HashMap<(&str, &str), usize>,
    objects: &[O],
) -> Option<String> {
    let (target, expr) = r.body.attributes().find_map(|a| {
        crate::model::PERMISSIONS_TARGETS
            .iter()
            .find(|t| t.attribute == a.key())
            .map(|t| (t, a.expr()))
    })?;
    let Expression::String(value) = expr else {
        return None;
    };
    let Some((resource_type, label)) = parse_reference(value) else {
        return Some(target.object_id(value));
    };
    paired
        .get(&(resource_type, label))
        .map(|i| target.object_id(objects[*i].id()))
}

/// The exported kind whose resource type is `t`.
fn kind_of(t: &str) -> Option<ResourceKind> {
    ResourceKind::ALL
        .into_iter()
        .find(|k| k.resource_type() == t)
}

/// References from every matched live object to its resource's label.
fn references<O: Live>(matched: &[(&Resource, &O)]) -> References {
    let mut refs = References::default();
    for (r, o) in matched {
        refs.insert(o.kind(), o.id(), &r.label);
    }
    refs
}

/// The file name live objects are evaluated under (named in errors).
const LIVE_FILE: &str = "live.tf";

/// Brings live objects into the configuration's shape: converted with `convert::Converter` and evaluated like
/// the HCL (references to the labelled objects as markers), one resource at a time.
struct Shaper<'a> {
    refs: &'a References,
    evaluator: tfconfig::Evaluator,
}

impl<'a> Shaper<'a> {
    /// A shaper for live objects under these labels (by index into `objects`); two objects under one address
    /// are an error, as in one file of HCL.
    fn new<O: Live>(
        refs: &'a References,
        objects: &[O],
        labels: &HashMap<usize, String>,
    ) -> Result<Self, Error> {
        let mut addresses = HashSet::with_capacity(labels.len());
        for (i, label) in labels {
            let address = format!("{}.{label}", objects[*i].kind().resource_type());
            if addresses.contains(&address) {
                return Err(Error::Live(tfconfig::Error::Duplicate {
                    address,
                    first: LIVE_FILE.to_string(),
                    second: LIVE_FILE.to_string(),
                }));
            }
            addresses.insert(address);
        }
        Ok(Shaper {
            refs,
            evaluator: tfconfig::Evaluator::new(addresses),
        })
    }

    /// The evaluated body of one live object (its shape does not depend on the label).
    fn shape<O: Live>(
        &self,
        converter: &mut Converter<'_>,
        o: &O,
        label: &str,
    ) -> Result<Body, Error> {
        let block = converter.resource(o.kind(), label, &o.config());
        self.evaluator
            .resource(LIVE_FILE, o.kind().resource_type(), label, block.body)
            .map_err(Error::Live)
    }
}

/// What a matched pair comes to.
enum Judgement {
    /// No field differs: the address.
    InSync(String),
    /// A `changed` finding.
    Changed(Finding),
}

/// Shape the live object of a matched pair and compare it with the resource.
fn judge<O: Live>(
    shaper: &Shaper<'_>,
    converter: &mut Converter<'_>,
    r: &Resource,
    o: &O,
) -> Result<Judgement, Error> {
    let mut actual = shaper.shape(converter, o, &r.label)?;
    super::suppress::align(&r.resource_type, &r.body, &mut actual);
    if r.body == actual {
        return Ok(Judgement::InSync(r.address()));
    }
    let fields = diff_bodies(&r.body, &actual, &r.resource_type);
    if fields.is_empty() {
        return Ok(Judgement::InSync(r.address()));
    }
    let severity = fields
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Drift);
    Ok(Judgement::Changed(Finding {
        kind: FindingKind::Changed,
        severity,
        resource_type: r.resource_type.clone(),
        label: r.label.clone(),
        name: o.name().to_string(),
        live_id: Some(o.id().to_string()),
        live_ids: Vec::new(),
        fields,
        expected_hcl: Some(render(&r.resource_type, &r.label, &r.body)),
        actual_hcl: Some(render_owned(&r.resource_type, &r.label, actual)),
    }))
}

/// Whether no field differs: equal bodies, or a diff that finds nothing (reordered keyed blocks).
fn same(expected: &Body, actual: &Body, resource_type: &str) -> bool {
    expected == actual || diff_bodies(expected, actual, resource_type).is_empty()
}

fn missing(r: &Resource, name: &str) -> Finding {
    Finding {
        kind: FindingKind::Missing,
        severity: Severity::Drift,
        resource_type: r.resource_type.clone(),
        label: r.label.clone(),
        name: name.to_string(),
        live_id: None,
        live_ids: Vec::new(),
        fields: Vec::new(),
        expected_hcl: Some(render(&r.resource_type, &r.label, &r.body)),
        actual_hcl: None,
    }
}

/// The name a resource gives its object; a secret ACL's is its scope's name and its principal
/// (`normalize::secret_acl_name`), its scope's name read from the scope resource it refers to.
fn name_of(r: &Resource, desired: &[&Resource]) -> String {
    if r.resource_type == ResourceKind::SecretAcls.resource_type() {
        let text = |key: &str| match r
            .body
            .attributes()
            .find(|a| a.key() == key)
            .map(|a| a.expr())
        {
            Some(Expression::String(s)) => s.clone(),
            _ => String::new(),
        };
        let scope = text("scope");
        let scope = match parse_reference(&scope) {
            Some((t, label)) => desired
                .iter()
                .find(|d| d.resource_type == t && d.label == label)
                .map_or(scope.clone(), |d| name_of(d, desired)),
            None => scope,
        };
        return crate::normalize::secret_acl_name(&scope, &text("principal"));
    }
    if r.resource_type == ResourceKind::Permissions.resource_type() {
        // Grants have no name: they are named by their object (`databricks_job.nightly`).
        return r
            .body
            .attributes()
            .find(|a| {
                crate::model::PERMISSIONS_TARGETS
                    .iter()
                    .any(|t| t.attribute == a.key())
            })
            .map(|a| match a.expr() {
                Expression::String(s) => match parse_reference(s) {
                    Some((t, l)) => format!("{t}.{l}"),
                    None => s.clone(),
                },
                _ => String::new(),
            })
            .unwrap_or_default();
    }
    let key = match r.resource_type.as_str() {
        "databricks_cluster" => "cluster_name",
        "databricks_instance_pool" => "instance_pool_name",
        _ => "name",
    };
    match r
        .body
        .attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr())
    {
        Some(Expression::String(s)) => s.clone(),
        _ if r.resource_type == "databricks_job" => "Untitled".to_string(),
        _ => String::new(),
    }
}

/// A resource rendered as HCL, with reference markers written back as references.
fn render(resource_type: &str, label: &str, body: &Body) -> String {
    render_owned(resource_type, label, body.clone())
}

/// [`render`] of a body no longer needed.
fn render_owned(resource_type: &str, label: &str, mut body: Body) -> String {
    restore_references(&mut body);
    let block = Block::builder("resource")
        .add_label(resource_type)
        .add_label(label)
        .add_structures(body)
        .build();
    crate::hcl::to_string(&Body::builder().add_block(block).build())
}

fn restore_references(body: &mut Body) {
    for s in body.iter_mut() {
        match s {
            ::hcl::Structure::Attribute(a) => restore_expr(&mut a.expr),
            ::hcl::Structure::Block(b) => restore_references(&mut b.body),
        }
    }
}

fn restore_expr(e: &mut Expression) {
    match e {
        Expression::String(s) => {
            if let Some((t, l)) = parse_reference(s) {
                *e = crate::hcl::traversal(&[t, l, "id"]);
            }
        }
        Expression::Array(items) => items.iter_mut().for_each(restore_expr),
        Expression::Object(obj) => obj.values_mut().for_each(restore_expr),
        _ => {}
    }
}

/// Keys that identify repeated blocks, so that a reordering is no drift and paths name the block.
const BLOCK_KEYS: &[&str] = &["task_key", "job_cluster_key", "environment_key"];

/// Every field where `actual` differs from `expected`.
pub fn diff_bodies(expected: &Body, actual: &Body, resource_type: &str) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    diff_body(expected, actual, &mut Vec::new(), resource_type, &mut out);
    out
}

fn diff_body<'b>(
    expected: &'b Body,
    actual: &'b Body,
    path: &mut Vec<String>,
    rt: &str,
    out: &mut Vec<FieldDiff>,
) {
    let e_attrs: BTreeMap<&str, &Expression> =
        expected.attributes().map(|a| (a.key(), a.expr())).collect();
    let a_attrs: BTreeMap<&str, &Expression> =
        actual.attributes().map(|a| (a.key(), a.expr())).collect();
    let mut keys: Vec<&str> = e_attrs.keys().chain(a_attrs.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        let (e, a) = (e_attrs.get(k).copied(), a_attrs.get(k).copied());
        if e == a {
            continue;
        }
        path.push(k.to_string());
        diff_expr(e, a, path, rt, out);
        path.pop();
    }
    let mut names: Vec<&str> = expected
        .blocks()
        .chain(actual.blocks())
        .map(|b| b.identifier())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let bodies = |body: &'b Body| {
            body.blocks()
                .filter(move |b| b.identifier() == name)
                .map(Block::body)
        };
        if bodies(expected).eq(bodies(actual)) {
            // The same blocks in the same order: nothing to find under this name.
            continue;
        }
        let keyed = |body: &'b Body| -> Vec<(String, &'b Body)> {
            body.blocks()
                .filter(|b| b.identifier() == name)
                .enumerate()
                .map(|(i, b)| (block_key(name, b.body(), i), b.body()))
                .collect()
        };
        let (e, a) = (keyed(expected), keyed(actual));
        // A grant is always named by its principal, even when it is the only one.
        let single = e.len() <= 1 && a.len() <= 1 && name != "access_control";
        let mut step_keys: Vec<String> = e.iter().chain(a.iter()).map(|(k, _)| k.clone()).collect();
        step_keys.dedup();
        let mut seen = std::collections::BTreeSet::new();
        for key in step_keys {
            if !seen.insert(key.clone()) {
                continue;
            }
            path.push(if single {
                name.to_string()
            } else {
                format!("{name}{key}")
            });
            let eb = e.iter().find(|(k, _)| *k == key).map(|(_, b)| *b);
            let ab = a.iter().find(|(k, _)| *k == key).map(|(_, b)| *b);
            match (eb, ab) {
                (Some(x), Some(y)) if x == y => {}
                (Some(x), Some(y)) => diff_body(x, y, path, rt, out),
                (x, y) => {
                    // A whole block set on one side only; for a schedule that the standby runs on its own,
                    // judge its pause_status as a field.
                    let severity = if x.is_some() && y.is_none() {
                        Severity::Drift
                    } else {
                        block_severity(name, y)
                    };
                    out.push(FieldDiff {
                        path: path.join("."),
                        expected: x.map(body_json),
                        actual: y.map(body_json),
                        severity,
                    });
                }
            }
            path.pop();
        }
    }
}

/// A schedule, trigger or continuous block that exists only live and is not paused runs jobs in DR.
fn block_severity(name: &str, live: Option<&Body>) -> Severity {
    let Some(body) = live else {
        return Severity::Drift;
    };
    if !matches!(name, "schedule" | "trigger" | "continuous") {
        return Severity::Drift;
    }
    let paused = body.attributes().any(|a| {
        a.key() == "pause_status" && *a.expr() == Expression::String("PAUSED".to_string())
    });
    if paused {
        Severity::Drift
    } else {
        Severity::Critical
    }
}

fn block_key(name: &str, body: &Body, i: usize) -> String {
    if name == "access_control" {
        // A grant is known by its principal (`access_control` is a set keyed by it, provider-behaviour.md
        // §6.1): `access_control[group_name=data-eng]`.
        let principal = body.attributes().find_map(|a| match a.expr() {
            Expression::String(s)
                if matches!(
                    a.key(),
                    "user_name" | "group_name" | "service_principal_name"
                ) =>
            {
                Some(format!("[{}={s}]", a.key()))
            }
            _ => None,
        });
        if let Some(key) = principal {
            return key;
        }
    }
    let key_attr = if matches!(name, "parameter") {
        Some("name")
    } else if name == "depends_on" {
        Some("task_key")
    } else {
        BLOCK_KEYS
            .iter()
            .copied()
            .find(|k| body.attributes().any(|a| a.key() == *k))
    };
    match key_attr
        .and_then(|k| body.attributes().find(|a| a.key() == k))
        .map(|a| a.expr())
    {
        Some(Expression::String(s)) => format!("[{s}]"),
        _ => format!("[{i}]"),
    }
}

fn diff_expr(
    e: Option<&Expression>,
    a: Option<&Expression>,
    path: &mut Vec<String>,
    rt: &str,
    out: &mut Vec<FieldDiff>,
) {
    if e == a {
        return;
    }
    if let (Some(Expression::Object(eo)), Some(Expression::Object(ao))) = (e, a) {
        let key = |k: &ObjectKey| match k {
            ObjectKey::Identifier(i) => i.as_str().to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.clone(),
            other => format!("{other:?}"),
        };
        let em: BTreeMap<String, &Expression> = eo.iter().map(|(k, v)| (key(k), v)).collect();
        let am: BTreeMap<String, &Expression> = ao.iter().map(|(k, v)| (key(k), v)).collect();
        let mut keys: Vec<&String> = em.keys().chain(am.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            path.push(if crate::hcl::is_bare_key(k) {
                k.clone()
            } else {
                format!("{k:?}")
            });
            diff_expr(em.get(k).copied(), am.get(k).copied(), path, rt, out);
            path.pop();
        }
        return;
    }
    let is_pause = path.last().is_some_and(|p| p == "pause_status");
    let paused = |x: Option<&Expression>| matches!(x, Some(Expression::String(s)) if s == "PAUSED");
    let severity = if rt == "databricks_job" && is_pause && paused(e) && !paused(a) {
        Severity::Critical
    } else {
        Severity::Drift
    };
    out.push(FieldDiff {
        path: path.join("."),
        expected: e.map(expr_json),
        actual: a.map(expr_json),
        severity,
    });
}

fn body_json(b: &Body) -> Value {
    let mut m = serde_json::Map::new();
    for a in b.attributes() {
        m.insert(a.key().to_string(), expr_json(a.expr()));
    }
    for blk in b.blocks() {
        m.insert(blk.identifier().to_string(), body_json(blk.body()));
    }
    Value::Object(m)
}

/// A value as the report shows it: reference markers written back as `TYPE.LABEL.id`.
fn expr_json(e: &Expression) -> Value {
    crate::convert::expression_json(e, &|s| {
        Value::String(match parse_reference(s) {
            Some((t, l)) => format!("{t}.{l}.id"),
            None => s.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Body {
        crate::hcl::parse_str(text, std::path::Path::new("t.tf")).unwrap()
    }

    #[test]
    fn equal_or_reordered_bodies_have_no_diff() {
        let a =
            body("name = \"a\"\ntask {\n  task_key = \"x\"\n}\ntask {\n  task_key = \"y\"\n}\n");
        let b =
            body("name = \"a\"\ntask {\n  task_key = \"y\"\n}\ntask {\n  task_key = \"x\"\n}\n");
        assert!(diff_bodies(&a, &a, "databricks_job").is_empty());
        assert_ne!(a, b);
        assert!(diff_bodies(&a, &b, "databricks_job").is_empty());
        assert!(same(&a, &b, "databricks_job"));
    }

    #[test]
    fn only_differing_fields_are_reported() {
        let e = body(
            "name = \"a\"\nmax = 1\ntask {\n  task_key = \"x\"\n  new_cluster {\n    num_workers = 2\n  }\n}\ntask {\n  task_key = \"y\"\n}\nschedule {\n  pause_status = \"PAUSED\"\n}\n",
        );
        let a = body(
            "name = \"a\"\nmax = 2\ntask {\n  task_key = \"y\"\n}\ntask {\n  task_key = \"x\"\n  new_cluster {\n    num_workers = 3\n  }\n}\nschedule {\n  pause_status = \"UNPAUSED\"\n}\ntrigger {\n  x = 1\n}\n",
        );
        let fields = diff_bodies(&e, &a, "databricks_job");
        let got: Vec<(&str, Severity)> = fields
            .iter()
            .map(|f| (f.path.as_str(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("max", Severity::Drift),
                ("schedule.pause_status", Severity::Critical),
                ("task[x].new_cluster.num_workers", Severity::Drift),
                ("trigger", Severity::Critical),
            ]
        );
    }

    /// Shaping one live object at a time gives what evaluating them all as one file of HCL gave.
    #[test]
    fn live_objects_shape_as_one_file_would() {
        let schema = crate::convert::provider_schema();
        let job: crate::model::Job = serde_json::from_value(serde_json::json!({
            "job_id": 7,
            "settings": {
                "name": "nightly",
                "tasks": [{"task_key": "a", "existing_cluster_id": "c-1", "notebook_task": {"notebook_path": "/x"}}],
                "schedule": {"quartz_cron_expression": "0 0 1 * * ?", "timezone_id": "UTC", "pause_status": "PAUSED"}
            }
        }))
        .unwrap();
        let cluster: crate::model::Cluster = serde_json::from_value(serde_json::json!({
            "cluster_id": "c-1", "cluster_name": "shared", "spark_version": "15.4.x-scala2.12", "num_workers": 1
        }))
        .unwrap();
        let o = normalize::Options::default();
        let objects = vec![
            normalize::job(&job, &o),
            normalize::cluster(&cluster, None, &o),
        ];
        let labels: HashMap<usize, String> =
            [(0, "nightly".to_string()), (1, "shared".to_string())]
                .into_iter()
                .collect();
        let mut refs = References::default();
        refs.insert(ResourceKind::Clusters, "c-1", "shared");
        let shaper = Shaper::new(&refs, &objects, &labels).unwrap();
        let mut converter = Converter::new(&schema, &refs);
        let mut rendered = Body::default();
        for (i, label) in &labels {
            rendered.0.push(
                converter
                    .resource(objects[*i].kind, label, &objects[*i].config)
                    .into(),
            );
        }
        let config =
            tfconfig::load_parsed(&[("live.tf".to_string(), rendered)], &[], &BTreeMap::new())
                .unwrap();
        for r in &config.resources {
            let i = if r.label == "nightly" { 0 } else { 1 };
            let shaped = shaper.shape(&mut converter, &objects[i], &r.label).unwrap();
            assert_eq!(shaped, r.body, "{}", r.label);
        }
        let text = crate::hcl::to_string(&config.resources[0].body);
        assert!(
            text.contains("ref:databricks_cluster.shared") || config.resources.len() == 2,
            "{text}"
        );
        // Two objects under one address are an error, as in one file.
        let twice: HashMap<usize, String> = [(0, "x".to_string()), (1, "x".to_string())]
            .into_iter()
            .collect();
        assert!(
            Shaper::new(&refs, &objects, &twice).is_ok(),
            "different types"
        );
        let jobs = vec![normalize::job(&job, &o), normalize::job(&job, &o)];
        assert!(matches!(
            Shaper::new(&refs, &jobs, &twice),
            Err(Error::Live(tfconfig::Error::Duplicate { .. }))
        ));
    }
}
