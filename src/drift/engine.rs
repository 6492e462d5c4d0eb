//! The comparison: match live objects to resources (by Terraform state or by name, never guessing between
//! look-alikes), bring the live ones into the configuration's shape, and diff them field by field.

use super::{
    FieldDiff, Finding, FindingKind, Report, Severity, Source, Summary, TypeSummary, REPORT_VERSION,
};
use crate::export::{Inventory, References};
use crate::hcl::Schema;
use crate::model::normalize::{self, Normalized};
use crate::model::ResourceKind;
use crate::tfconfig::{self, parse_reference, Configuration, Resource};
use ::hcl::expr::{Expression, ObjectKey};
use ::hcl::{Block, Body};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Terraform state: resource address to the id of the DR object it manages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateIds(pub BTreeMap<String, String>);

impl StateIds {
    /// Read a state file (format version 4): managed `databricks_*` resources and their ids.
    pub fn parse(text: &str) -> Result<StateIds, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        match v.get("version").and_then(Value::as_u64) {
            Some(4) => {}
            Some(n) => return Err(format!("state format version {n}; drsync reads version 4")),
            None => return Err("no `version`: not a Terraform state file".to_string()),
        }
        let mut ids = BTreeMap::new();
        for r in v
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
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

/// Why a comparison failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The live objects could not be brought into the configuration's shape (a bug in drsync).
    #[error("cannot read the live workspace back as HCL (a bug in drsync, please report it)")]
    Live(#[source] tfconfig::Error),
}

/// Compare the configuration with what was read from the DR workspace.
pub fn compare(
    config: &Configuration,
    live: &Inventory,
    kinds: &[ResourceKind],
    state: Option<&StateIds>,
    source: Source,
    schema: &Schema,
) -> Result<(Report, Vec<String>), Error> {
    let libraries: HashMap<&str, _> = live
        .libraries
        .iter()
        .map(|l| (l.cluster_id.as_str(), l))
        .collect();
    let mut objects: Vec<Normalized> = Vec::new();
    for kind in kinds {
        match kind {
            ResourceKind::Jobs => objects.extend(live.jobs.iter().map(normalize::job)),
            ResourceKind::Clusters => objects.extend(
                live.clusters
                    .iter()
                    .map(|c| normalize::cluster(c, libraries.get(c.cluster_id.as_str()).copied())),
            ),
            ResourceKind::InstancePools => {
                objects.extend(live.pools.iter().map(normalize::instance_pool))
            }
            ResourceKind::ClusterPolicies => {
                objects.extend(live.policies.iter().map(normalize::cluster_policy))
            }
        }
    }
    let desired: Vec<&Resource> = config
        .resources
        .iter()
        .filter(|r| kinds.iter().any(|k| k.resource_type() == r.resource_type))
        .collect();

    // Matching.
    let mut matched: Vec<(&Resource, &Normalized)> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut used: Vec<bool> = vec![false; objects.len()];
    let kind_of = |t: &str| {
        ResourceKind::ALL
            .into_iter()
            .find(|k| k.resource_type() == t)
    };
    let mut by_name: HashMap<(ResourceKind, &str), Vec<usize>> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        by_name
            .entry((o.kind, o.name.as_str()))
            .or_default()
            .push(i);
    }
    let mut desired_by_name: HashMap<(ResourceKind, String), usize> = HashMap::new();
    for r in &desired {
        if let Some(k) = kind_of(&r.resource_type) {
            *desired_by_name.entry((k, name_of(r))).or_default() += 1;
        }
    }
    let mut ambiguous_groups: Vec<(&Resource, Vec<usize>)> = Vec::new();
    for r in &desired {
        let Some(kind) = kind_of(&r.resource_type) else {
            continue;
        };
        if let Some(state) = state {
            let hit = state
                .0
                .get(&r.address())
                .and_then(|id| objects.iter().position(|o| o.kind == kind && o.id == *id));
            match hit {
                Some(i) => {
                    used[i] = true;
                    matched.push((r, &objects[i]));
                }
                None => findings.push(missing(r)),
            }
            continue;
        }
        let name = name_of(r);
        let candidates: Vec<usize> = by_name
            .get(&(kind, name.as_str()))
            .cloned()
            .unwrap_or_default();
        let twins = desired_by_name
            .get(&(kind, name.clone()))
            .copied()
            .unwrap_or(0);
        match candidates.len() {
            0 => findings.push(missing(r)),
            1 if twins == 1 => {
                used[candidates[0]] = true;
                matched.push((r, &objects[candidates[0]]));
            }
            _ => ambiguous_groups.push((r, candidates)),
        }
    }

    // Bring every candidate into the configuration's shape: matched objects under their resource's label, so
    // that references compare as identities.
    let index: HashMap<*const Normalized, usize> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| (o as *const _, i))
        .collect();
    let mut live_labels: HashMap<usize, String> = HashMap::new();
    for (r, o) in &matched {
        live_labels.insert(index[&(*o as *const _)], r.label.clone());
    }
    // Look-alikes of duplicated names: each candidate gets a label of its own, to be compared with each
    // resource of that name.
    for (_, group) in &ambiguous_groups {
        for i in group {
            live_labels
                .entry(*i)
                .or_insert_with(|| format!("drsync_candidate_{i}"));
        }
    }
    let mut live_bodies = shape_live(&objects, &live_labels, &references(&matched), schema)?;

    // Duplicated names: pair resources with identical live objects; anything else is ambiguous.
    for (r, group) in &ambiguous_groups {
        let free: Vec<usize> = group.iter().copied().filter(|i| !used[*i]).collect();
        let twins = desired_by_name
            .get(&(kind_of(&r.resource_type).expect("known type"), name_of(r)))
            .copied()
            .unwrap_or(0);
        let identical = free.iter().copied().find(|i| {
            live_bodies
                .get(i)
                .is_some_and(|b| diff_bodies(&r.body, b, &r.resource_type).is_empty())
        });
        match identical {
            Some(i) if twins == group.len() => {
                used[i] = true;
                matched.push((r, &objects[i]));
            }
            _ => {
                for i in group {
                    used[*i] = true;
                }
                let ids: Vec<String> = group.iter().map(|i| objects[*i].id.clone()).collect();
                findings.push(Finding {
                    kind: FindingKind::Ambiguous,
                    severity: Severity::Drift,
                    resource_type: r.resource_type.clone(),
                    label: r.label.clone(),
                    name: name_of(r),
                    live_id: ids.first().cloned(),
                    live_ids: ids,
                    fields: Vec::new(),
                    expected_hcl: Some(render(&r.resource_type, &r.label, &r.body)),
                    actual_hcl: None,
                });
            }
        }
    }

    // References to objects paired just now were still literal ids: shape the live objects again.
    if !ambiguous_groups.is_empty() {
        let labels: HashMap<usize, String> = matched
            .iter()
            .map(|(r, o)| (index[&(*o as *const _)], r.label.clone()))
            .collect();
        live_bodies = shape_live(&objects, &labels, &references(&matched), schema)?;
    }

    // Field by field.
    let mut in_sync = Vec::new();
    for (r, o) in &matched {
        let i = index[&(*o as *const _)];
        let Some(actual) = live_bodies.get(&i) else {
            continue;
        };
        let fields = diff_bodies(&r.body, actual, &r.resource_type);
        if fields.is_empty() {
            in_sync.push(r.address());
            continue;
        }
        let severity = fields
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Drift);
        findings.push(Finding {
            kind: FindingKind::Changed,
            severity,
            resource_type: r.resource_type.clone(),
            label: r.label.clone(),
            name: o.name.clone(),
            live_id: Some(o.id.clone()),
            live_ids: Vec::new(),
            fields,
            expected_hcl: Some(render(&r.resource_type, &r.label, &r.body)),
            actual_hcl: Some(render(&r.resource_type, &r.label, actual)),
        });
    }

    // Unmanaged: live objects nothing in Git stands for.
    let unmanaged_refs = references(&matched);
    let mut unmanaged_converter = crate::export::Converter::new(schema, &unmanaged_refs);
    let mut alloc: HashMap<ResourceKind, crate::hcl::LabelAllocator> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        if used[i] {
            continue;
        }
        let label = alloc
            .entry(o.kind)
            .or_default()
            .allocate(&[crate::hcl::LabelItem {
                name: &o.name,
                creation_time: o.created,
                stable_id: &o.id,
            }]);
        let label = label.into_iter().next().unwrap_or_default();
        let block = unmanaged_converter.resource(o.kind, &label, &o.config);
        findings.push(Finding {
            kind: FindingKind::Unmanaged,
            severity: Severity::Drift,
            resource_type: o.kind.resource_type().to_string(),
            label,
            name: o.name.clone(),
            live_id: Some(o.id.clone()),
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
            live: objects.iter().filter(|o| o.kind == *k).count(),
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
    Ok((report, in_sync))
}

/// References from every matched live object to its resource's label.
fn references(matched: &[(&Resource, &Normalized)]) -> References {
    let mut refs = References::default();
    for (r, o) in matched {
        refs.insert(o.kind, &o.id, &r.label);
    }
    refs
}

/// Live objects in the configuration's shape: converted under the given labels and evaluated like the HCL.
fn shape_live(
    objects: &[Normalized],
    labels: &HashMap<usize, String>,
    refs: &References,
    schema: &Schema,
) -> Result<HashMap<usize, Body>, Error> {
    let mut converter = crate::export::Converter::new(schema, refs);
    let mut rendered = Body::default();
    for (i, label) in labels {
        let o = &objects[*i];
        rendered
            .0
            .push(converter.resource(o.kind, label, &o.config).into());
    }
    let parsed = [("live.tf".to_string(), rendered)];
    let config = tfconfig::load_parsed(&parsed, &[], &BTreeMap::new()).map_err(Error::Live)?;
    let by_label: HashMap<(&str, &str), usize> = labels
        .iter()
        .map(|(i, l)| ((objects[*i].kind.resource_type(), l.as_str()), *i))
        .collect();
    Ok(config
        .resources
        .into_iter()
        .filter_map(|r| {
            by_label
                .get(&(r.resource_type.as_str(), r.label.as_str()))
                .map(|i| (*i, r.body))
        })
        .collect())
}

fn missing(r: &Resource) -> Finding {
    Finding {
        kind: FindingKind::Missing,
        severity: Severity::Drift,
        resource_type: r.resource_type.clone(),
        label: r.label.clone(),
        name: name_of(r),
        live_id: None,
        live_ids: Vec::new(),
        fields: Vec::new(),
        expected_hcl: Some(render(&r.resource_type, &r.label, &r.body)),
        actual_hcl: None,
    }
}

/// The name a resource gives its object.
fn name_of(r: &Resource) -> String {
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
    let mut body = body.clone();
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

fn diff_body(
    expected: &Body,
    actual: &Body,
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
        path.push(k.to_string());
        diff_expr(
            e_attrs.get(k).copied(),
            a_attrs.get(k).copied(),
            path,
            rt,
            out,
        );
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
        let keyed = |body: &Body| -> Vec<(String, Body)> {
            body.blocks()
                .filter(|b| b.identifier() == name)
                .enumerate()
                .map(|(i, b)| (block_key(name, b.body(), i), b.body().clone()))
                .collect()
        };
        let (e, a) = (keyed(expected), keyed(actual));
        let single = e.len() <= 1 && a.len() <= 1;
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
            let eb = e.iter().find(|(k, _)| *k == key).map(|(_, b)| b);
            let ab = a.iter().find(|(k, _)| *k == key).map(|(_, b)| b);
            match (eb, ab) {
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

fn expr_json(e: &Expression) -> Value {
    match e {
        Expression::String(s) => match parse_reference(s) {
            Some((t, l)) => Value::String(format!("{t}.{l}.id")),
            None => Value::String(s.clone()),
        },
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Null => Value::Null,
        Expression::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Expression::Array(items) => Value::Array(items.iter().map(expr_json).collect()),
        Expression::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Identifier(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.clone(),
                        other => format!("{other:?}"),
                    };
                    (key, expr_json(v))
                })
                .collect(),
        ),
        other => Value::String(crate::hcl::expression_to_string(other)),
    }
}
