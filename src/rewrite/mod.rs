//! Region rewrite rules and passive-DR mode: what is region-specific in the primary's configuration (zones,
//! node types, instance profiles, buckets and URLs, workspace-specific ids, live schedules) is rewritten for the
//! DR region, declaratively, with a count and the places of every change. It works on the rendered resources
//! (`hcl::Body`), inside policy definitions and job and task clusters too. Pure: no I/O.

mod rules;

pub use rules::{
    parse_path, FieldAction, FieldPath, FieldRule, PathError, PauseMode, Replace, RewriteSection,
    RuleError, Rules, Segment, DR_ACTIVE,
};

use crate::hcl::{conditional, traversal};
use ::hcl::expr::{Expression, FuncCall, ObjectKey};
use ::hcl::{Block, Body, Number, Structure};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What one rule did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleReport {
    /// The rule, as the user wrote it (`zone_id = "auto"`, `replace "us-east-1" -> "us-west-2"`).
    pub rule: String,
    /// How many values it changed.
    pub count: usize,
    /// Where: `TYPE.LABEL: path`.
    pub places: Vec<String>,
}

/// A variable the rewritten resources use, for `variables.tf` and `dr.auto.tfvars`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    /// The name.
    pub name: String,
    /// Its value in DR.
    pub dr_value: serde_json::Value,
    /// The primary's values it replaced (for the description).
    pub primary_values: BTreeSet<String>,
}

/// What the rules did to an export.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// One entry per configured rule, in configuration order.
    pub rules: Vec<RuleReport>,
    /// Variables the output uses.
    pub variables: Vec<Variable>,
    /// Whether the output uses `var.dr_active`.
    pub uses_dr_active: bool,
}

impl Report {
    /// Adds what the same rules did to the resources that follow (a [`Rewriter`] per part of an export, run
    /// in parallel): counts add up, places follow, variables join.
    pub fn merge(&mut self, later: Report) {
        if self.rules.is_empty() {
            self.rules = later.rules;
        } else {
            for (mine, theirs) in self.rules.iter_mut().zip(later.rules) {
                mine.count += theirs.count;
                mine.places.extend(theirs.places);
            }
        }
        for v in later.variables {
            match self.variables.iter_mut().find(|m| m.name == v.name) {
                Some(m) => m.primary_values.extend(v.primary_values),
                None => self.variables.push(v),
            }
        }
        self.variables.sort_by(|a, b| a.name.cmp(&b.name));
        self.uses_dr_active |= later.uses_dr_active;
    }

    /// The rules that changed nothing (a typo in a bucket name must not pass silently).
    pub fn unmatched(&self) -> impl Iterator<Item = &RuleReport> {
        self.rules.iter().filter(|r| r.count == 0)
    }
}

/// Applies rules to resource bodies and keeps the report.
pub struct Rewriter<'a> {
    rules: &'a Rules,
    report: Report,
    variables: BTreeMap<String, Variable>,
    /// Index of each rule's report.
    zone: Option<usize>,
    gcp_zone: Option<usize>,
    node_types: Option<usize>,
    profiles: Option<usize>,
    ids: Option<usize>,
    principals: Option<usize>,
    replace: Vec<usize>,
    fields: Vec<usize>,
    pause: Option<usize>,
    pool_idle: Option<usize>,
}

/// Keys of a cluster policy definition whose rule values are zones, node types, profiles or ids.
const POLICY_ZONE_KEYS: &[&str] = &["aws_attributes.zone_id"];
const POLICY_GCP_ZONE_KEYS: &[&str] = &["gcp_attributes.zone_id"];
const POLICY_NODE_KEYS: &[&str] = &[
    "node_type_id",
    "driver_node_type_id",
    "instance_pool_node_type_id",
];
const POLICY_PROFILE_KEYS: &[&str] = &["aws_attributes.instance_profile_arn"];
const PAUSABLE_BLOCKS: &[&str] = &["schedule", "trigger", "continuous"];

impl<'a> Rewriter<'a> {
    /// A rewriter for these rules.
    pub fn new(rules: &'a Rules) -> Self {
        let mut report = Report::default();
        let mut add = |rule: String| {
            report.rules.push(RuleReport {
                rule,
                ..RuleReport::default()
            });
            Some(report.rules.len() - 1)
        };
        let zone = rules
            .zone_id
            .as_ref()
            .and_then(|z| add(format!("zone_id = {z:?}")));
        let gcp_zone = rules
            .gcp_zone_id
            .as_ref()
            .and_then(|z| add(format!("gcp_zone_id = {z:?}")));
        let node_types = (!rules.node_types.is_empty())
            .then(|| add("node_types".to_string()))
            .flatten();
        let profiles = (!rules.instance_profiles.is_empty())
            .then(|| add("instance_profiles".to_string()))
            .flatten();
        let ids = (!rules.ids.is_empty())
            .then(|| add("ids".to_string()))
            .flatten();
        let principals = (!rules.principals.is_empty())
            .then(|| add("principals".to_string()))
            .flatten();
        let replace = rules
            .replace
            .iter()
            .filter_map(|r| add(format!("replace {:?} -> {:?}", r.from, r.to)))
            .collect();
        let fields = rules
            .fields
            .iter()
            .filter_map(|f| {
                add(match &f.action {
                    FieldAction::Literal(v) => format!("field {} = {v}", f.text),
                    FieldAction::Variable { name, .. } => format!("field {} = var.{name}", f.text),
                })
            })
            .collect();
        let pause = match rules.pause {
            PauseMode::Off => None,
            PauseMode::Literal => add("pause = \"literal\"".to_string()),
            PauseMode::Variable => add("pause = \"variable\"".to_string()),
        };
        let pool_idle = rules
            .pool_min_idle
            .and_then(|n| add(format!("pool_min_idle = {n}")));
        Rewriter {
            rules,
            report,
            variables: BTreeMap::new(),
            zone,
            gcp_zone,
            node_types,
            profiles,
            ids,
            principals,
            replace,
            fields,
            pause,
            pool_idle,
        }
    }

    /// The report so far, with the variables used.
    pub fn finish(mut self) -> Report {
        self.report.variables = self.variables.into_values().collect();
        self.report
    }

    /// Counts what another rewriter with the same rules did (to a resource rewritten ahead of time) as done
    /// here, now: its places follow the ones recorded so far.
    pub fn absorb(&mut self, done: Report) {
        for (mine, theirs) in self.report.rules.iter_mut().zip(done.rules) {
            mine.count += theirs.count;
            mine.places.extend(theirs.places);
        }
        for v in done.variables {
            match self.variables.get_mut(&v.name) {
                Some(m) => m.primary_values.extend(v.primary_values),
                None => {
                    self.variables.insert(v.name.clone(), v);
                }
            }
        }
        self.report.uses_dr_active |= done.uses_dr_active;
    }

    /// Rewrite one `resource "TYPE" "LABEL" { ... }` block in place.
    pub fn resource(&mut self, block: &mut Block) {
        let labels: Vec<String> = block
            .labels
            .iter()
            .map(|l| l.as_str().to_string())
            .collect();
        let [resource_type, label] = &labels[..] else {
            return;
        };
        let address = format!("{resource_type}.{label}");
        let fields: Vec<(usize, FieldRule)> = (0..self.rules.fields.len())
            .filter(|i| self.rules.fields[*i].path.resource_type == *resource_type)
            .map(|i| (i, self.rules.fields[i].clone()))
            .collect();
        // Variables describe the primary's value: read it before any other rule changes it.
        if !fields.is_empty() {
            let mut original = block.body.clone();
            for (i, rule) in &fields {
                self.field(
                    &address,
                    &mut original,
                    &rule.path.segments,
                    &mut Vec::new(),
                    &rule.action,
                    *i,
                    true,
                );
            }
        }
        let mut path = Vec::new();
        self.values(&address, &mut block.body, &mut path, "");
        for (i, rule) in &fields {
            self.field(
                &address,
                &mut block.body,
                &rule.path.segments,
                &mut Vec::new(),
                &rule.action,
                *i,
                false,
            );
        }
        match self.rules.pause {
            PauseMode::Off => {}
            PauseMode::Literal | PauseMode::Variable => {
                if resource_type == "databricks_job" {
                    self.pause_blocks(&address, &mut block.body);
                }
                if resource_type == "databricks_instance_pool" {
                    self.pool_idle(&address, &mut block.body);
                }
                if resource_type == "databricks_cluster"
                    || resource_type == "databricks_sql_endpoint"
                {
                    no_wait(&mut block.body);
                }
                if resource_type == "databricks_pipeline" {
                    self.pipeline_continuous(&address, &mut block.body);
                }
            }
        }
    }

    fn hit(&mut self, rule: Option<usize>, address: &str, path: &[String]) {
        if let Some(i) = rule {
            let r = &mut self.report.rules[i];
            r.count += 1;
            r.places.push(format!("{address}: {}", path.join(".")));
        }
    }

    /// The value rules: exact mappings by attribute, then ids and replacements in every string.
    fn values(&mut self, address: &str, body: &mut Body, path: &mut Vec<String>, parent: &str) {
        let mut same_name: BTreeMap<String, usize> = BTreeMap::new();
        for s in body.iter_mut() {
            match s {
                Structure::Attribute(a) => {
                    let key = a.key.as_str().to_string();
                    path.push(key.clone());
                    self.attribute(address, parent, &key, &mut a.expr, path);
                    path.pop();
                }
                Structure::Block(b) => {
                    let name = b.identifier.as_str().to_string();
                    let n = same_name.entry(name.clone()).or_insert(0);
                    path.push(block_step(b, &name, *n));
                    *n += 1;
                    self.values(address, &mut b.body, path, &name);
                    path.pop();
                }
            }
        }
    }

    fn attribute(
        &mut self,
        address: &str,
        parent: &str,
        key: &str,
        expr: &mut Expression,
        path: &mut Vec<String>,
    ) {
        if let Expression::String(s) = expr {
            let mapped = match (parent, key) {
                ("aws_attributes", "zone_id") => self.rules.zone_id.clone().map(|z| (z, self.zone)),
                ("gcp_attributes", "zone_id") => {
                    self.rules.gcp_zone_id.clone().map(|z| (z, self.gcp_zone))
                }
                (_, "node_type_id" | "driver_node_type_id") => self
                    .rules
                    .node_types
                    .get(s.as_str())
                    .cloned()
                    .map(|t| (t, self.node_types)),
                (_, "instance_profile_arn") => self
                    .rules
                    .instance_profiles
                    .get(s.as_str())
                    .cloned()
                    .map(|p| (p, self.profiles)),
                (
                    "access_control" | "run_as",
                    "user_name" | "group_name" | "service_principal_name",
                )
                | (_, "single_user_name") => self.principal(s),
                ("", "principal") if address.starts_with("databricks_secret_acl.") => {
                    self.principal(s)
                }
                _ => None,
            };
            if let Some((new, rule)) = mapped {
                if *s != new {
                    *s = new;
                    self.hit(rule, address, path);
                }
            }
        }
        if key == "definition" || key == "policy_family_definition_overrides" {
            if let Expression::FuncCall(call) = expr {
                self.policy(address, call, path);
                return;
            }
        }
        self.strings(address, expr, path);
    }

    /// Inside a policy definition: `"aws_attributes.zone_id" = { "type" = "fixed", "value" = "us-east-1a" }`.
    fn policy(&mut self, address: &str, call: &mut FuncCall, path: &[String]) {
        for arg in call.args.iter_mut() {
            let Expression::Object(rules) = arg else {
                self.strings(address, arg, &mut path.to_vec());
                continue;
            };
            for (k, v) in rules.iter_mut() {
                let key = object_key_text(k);
                let mut p = path.to_vec();
                p.push(format!("{key:?}"));
                let target = if POLICY_ZONE_KEYS.contains(&key.as_str()) {
                    Some(Mapped::Zone)
                } else if POLICY_GCP_ZONE_KEYS.contains(&key.as_str()) {
                    Some(Mapped::GcpZone)
                } else if POLICY_NODE_KEYS.contains(&key.as_str()) {
                    Some(Mapped::NodeType)
                } else if POLICY_PROFILE_KEYS.contains(&key.as_str()) {
                    Some(Mapped::Profile)
                } else {
                    None
                };
                if let Expression::Object(rule_obj) = v {
                    for (rk, rv) in rule_obj.iter_mut() {
                        let rk = object_key_text(rk);
                        if !matches!(rk.as_str(), "value" | "defaultValue" | "values") {
                            continue;
                        }
                        let mut rp = p.clone();
                        rp.push(format!("{rk:?}"));
                        let mut targets: Vec<&mut Expression> = match rv {
                            Expression::Array(items) => items.iter_mut().collect(),
                            other => vec![other],
                        };
                        for t in targets.iter_mut() {
                            if let (Expression::String(s), Some(target)) = (t, target) {
                                if let Some((new, rule)) = self.mapped(target, s) {
                                    if *s != new {
                                        *s = new;
                                        self.hit(rule, address, &rp);
                                    }
                                }
                            }
                        }
                    }
                }
                self.strings(address, v, &mut p);
                // A mapping can turn two allowed values into one (two node types mapped to the same DR type):
                // an allowlist names each value once (issue 13, defect 16).
                if let Expression::Object(rule_obj) = v {
                    for (rk, rv) in rule_obj.iter_mut() {
                        if let (Expression::Array(items), "values") =
                            (rv, object_key_text(rk).as_str())
                        {
                            let mut seen: Vec<Expression> = Vec::new();
                            items.retain(|item| {
                                let fresh = !seen.contains(item);
                                if fresh {
                                    seen.push(item.clone());
                                }
                                fresh
                            });
                        }
                    }
                }
            }
        }
    }

    /// The DR principal of a principal the export names (`[rewrite.principals]`).
    fn principal(&self, s: &str) -> Option<(String, Option<usize>)> {
        self.rules
            .principals
            .get(s)
            .map(|p| (p.clone(), self.principals))
    }

    /// The value an exact-mapping rule gives `s`, and that rule's report index.
    fn mapped(&self, target: Mapped, s: &str) -> Option<(String, Option<usize>)> {
        match target {
            Mapped::Zone => self.rules.zone_id.clone().map(|z| (z, self.zone)),
            Mapped::GcpZone => self.rules.gcp_zone_id.clone().map(|z| (z, self.gcp_zone)),
            Mapped::NodeType => self
                .rules
                .node_types
                .get(s)
                .cloned()
                .map(|t| (t, self.node_types)),
            Mapped::Profile => self
                .rules
                .instance_profiles
                .get(s)
                .cloned()
                .map(|p| (p, self.profiles)),
        }
    }

    /// Ids and replacements in every string of an expression, map keys included.
    fn strings(&mut self, address: &str, expr: &mut Expression, path: &mut Vec<String>) {
        match expr {
            Expression::String(s) => {
                if let Some(new) = self.rules.ids.get(s.as_str()) {
                    *s = new.clone();
                    self.hit(self.ids, address, path);
                }
                self.replace_in(address, s, path);
            }
            Expression::Array(items) => {
                for item in items.iter_mut() {
                    self.strings(address, item, path);
                }
            }
            Expression::Object(obj) => {
                let entries: Vec<(ObjectKey, Expression)> =
                    std::mem::take(obj).into_iter().collect();
                for (mut k, mut v) in entries {
                    let key_text = object_key_text(&k);
                    path.push(format!("{key_text:?}"));
                    if let ObjectKey::Expression(Expression::String(ks)) = &mut k {
                        self.replace_in(address, ks, path);
                    }
                    self.strings(address, &mut v, path);
                    path.pop();
                    obj.insert(k, v);
                }
            }
            Expression::FuncCall(call) => {
                for a in call.args.iter_mut() {
                    self.strings(address, a, path);
                }
            }
            _ => {}
        }
    }

    /// Apply the replacements, in order, until none matches any more: no `from` can remain.
    fn replace_in(&mut self, address: &str, s: &mut String, path: &[String]) {
        if self.rules.replace.is_empty() {
            return;
        }
        for _round in 0..32 {
            let mut changed = false;
            for (i, r) in self.rules.replace.iter().enumerate() {
                if s.contains(r.from.as_str()) {
                    *s = s.replace(r.from.as_str(), &r.to);
                    changed = true;
                    let idx = self.replace[i];
                    let rep = &mut self.report.rules[idx];
                    rep.count += 1;
                    rep.places.push(format!("{address}: {}", path.join(".")));
                }
            }
            if !changed {
                return;
            }
        }
        debug_assert!(false, "replacements did not settle on {s:?}");
    }

    /// A field rule: set every value at the path (with `record_only`, just note the primary's values).
    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        address: &str,
        body: &mut Body,
        segments: &[Segment],
        path: &mut Vec<String>,
        action: &FieldAction,
        rule: usize,
        record_only: bool,
    ) {
        let Some((first, rest)) = segments.split_first() else {
            return;
        };
        let mut same_name: BTreeMap<String, usize> = BTreeMap::new();
        for s in body.iter_mut() {
            match s {
                Structure::Block(b) => {
                    let name = b.identifier.as_str().to_string();
                    let n = same_name.entry(name.clone()).or_insert(0);
                    let step = block_step(b, &name, *n);
                    *n += 1;
                    if !matches!(first, Segment::Name(f) if *f == name) && *first != Segment::Any {
                        continue;
                    }
                    // `task.*.x` and `task.x` both mean "in every task block".
                    let rest = match rest.first() {
                        Some(Segment::Any) if *first != Segment::Any => &rest[1..],
                        _ => rest,
                    };
                    path.push(step);
                    self.field(address, &mut b.body, rest, path, action, rule, record_only);
                    path.pop();
                }
                Structure::Attribute(a) => {
                    let key = a.key.as_str().to_string();
                    if !matches!(first, Segment::Name(f) if *f == key) && *first != Segment::Any {
                        continue;
                    }
                    path.push(key);
                    if rest.is_empty() {
                        self.set(address, &mut a.expr, action, path, rule, record_only);
                    } else if let (Expression::Object(map), [key_seg]) = (&mut a.expr, rest) {
                        for (k, v) in map.iter_mut() {
                            let text = object_key_text(k);
                            if matches!(key_seg, Segment::Name(n) if *n == text)
                                || *key_seg == Segment::Any
                            {
                                path.push(format!("{text:?}"));
                                self.set(address, v, action, path, rule, record_only);
                                path.pop();
                            }
                        }
                    }
                    path.pop();
                }
            }
        }
    }

    fn set(
        &mut self,
        address: &str,
        target: &mut Expression,
        action: &FieldAction,
        path: &[String],
        rule: usize,
        record_only: bool,
    ) {
        let new = match action {
            FieldAction::Literal(v) => {
                crate::hcl::from_json(v, crate::hcl::JsonKeys::BareWhenValid)
            }
            FieldAction::Variable { name, dr_value } => {
                let var = self
                    .variables
                    .entry(name.clone())
                    .or_insert_with(|| Variable {
                        name: name.clone(),
                        dr_value: dr_value.clone(),
                        primary_values: BTreeSet::new(),
                    });
                if record_only {
                    var.primary_values.insert(expression_text(target));
                }
                traversal(&["var", name])
            }
        };
        if record_only {
            return;
        }
        if *target != new {
            *target = new;
            self.hit(Some(self.fields[rule]), address, path);
        }
    }

    /// `pause_status` of every schedule, trigger and continuous block: `PAUSED`, or conditional on `dr_active`.
    fn pause_blocks(&mut self, address: &str, body: &mut Body) {
        for s in body.iter_mut() {
            let Structure::Block(b) = s else { continue };
            let name = b.identifier.as_str().to_string();
            if !PAUSABLE_BLOCKS.contains(&name.as_str()) {
                continue;
            }
            let path = vec![name.clone(), "pause_status".to_string()];
            let existing = b.body.iter_mut().find_map(|s| match s {
                Structure::Attribute(a) if a.key.as_str() == "pause_status" => Some(&mut a.expr),
                _ => None,
            });
            let primary = existing
                .as_ref()
                .and_then(|e| {
                    if let Expression::String(s) = e {
                        Some(s.clone())
                    } else {
                        None
                    }
                })
                .unwrap_or_else(|| "UNPAUSED".to_string());
            let new = match self.rules.pause {
                PauseMode::Literal => Expression::String("PAUSED".to_string()),
                _ => {
                    self.report.uses_dr_active = true;
                    conditional(
                        traversal(&["var", DR_ACTIVE]),
                        Expression::String(primary.clone()),
                        Expression::String("PAUSED".to_string()),
                    )
                }
            };
            match existing {
                Some(e) if *e == new => {}
                Some(e) => {
                    *e = new;
                    self.hit(self.pause, address, &path);
                }
                None => {
                    // The provider's default is UNPAUSED: a passive DR must say PAUSED.
                    let attrs = b.body.attributes().count();
                    b.body.0.insert(
                        attrs,
                        Structure::Attribute(::hcl::Attribute::new("pause_status", new)),
                    );
                    self.hit(self.pause, address, &path);
                }
            }
        }
    }

    /// A continuous pipeline runs as soon as it is created: the provider waits for it to run
    /// (provider-behaviour.md §8.2). A passive DR creates it triggered (without `continuous`, the API's
    /// default: the pipeline waits for an update to be started, and a DR exported again reads the same), or
    /// continuous only when `dr_active`.
    fn pipeline_continuous(&mut self, address: &str, body: &mut Body) {
        let path = vec!["continuous".to_string()];
        let continuous = |s: &Structure| {
            matches!(s, Structure::Attribute(a) if a.key.as_str() == "continuous"
                && a.expr == Expression::Bool(true))
        };
        if !body.iter().any(continuous) {
            return;
        }
        match self.rules.pause {
            PauseMode::Literal => body.0.retain(|s| !continuous(s)),
            _ => {
                self.report.uses_dr_active = true;
                for s in body.iter_mut() {
                    if let Structure::Attribute(a) = s {
                        if a.key.as_str() == "continuous" {
                            a.expr = conditional(
                                traversal(&["var", DR_ACTIVE]),
                                Expression::Bool(true),
                                Expression::Bool(false),
                            );
                        }
                    }
                }
            }
        }
        self.hit(self.pause, address, &path);
    }

    /// Idle instances of a pool: `pool_min_idle`, or conditional on `dr_active`.
    fn pool_idle(&mut self, address: &str, body: &mut Body) {
        let path = vec!["min_idle_instances".to_string()];
        let existing = body.iter_mut().find_map(|s| match s {
            Structure::Attribute(a) if a.key.as_str() == "min_idle_instances" => Some(&mut a.expr),
            _ => None,
        });
        let primary = existing
            .as_ref()
            .and_then(|e| {
                if let Expression::Number(n) = e {
                    n.as_i64()
                } else {
                    None
                }
            })
            .unwrap_or(0);
        let new = match self.rules.pause {
            PauseMode::Literal => match self.rules.pool_min_idle {
                Some(n) => Expression::Number(Number::from(n)),
                None => return,
            },
            _ if primary == 0 => return,
            _ => {
                self.report.uses_dr_active = true;
                conditional(
                    traversal(&["var", DR_ACTIVE]),
                    Expression::Number(Number::from(primary)),
                    Expression::Number(Number::from(0)),
                )
            }
        };
        let rule = if self.rules.pause == PauseMode::Literal {
            self.pool_idle
        } else {
            self.pause
        };
        match existing {
            Some(e) if *e == new => {}
            Some(e) => {
                *e = new;
                self.hit(rule, address, &path);
            }
            None => {
                if new != Expression::Number(Number::from(0)) {
                    body.0.insert(
                        0,
                        Structure::Attribute(::hcl::Attribute::new("min_idle_instances", new)),
                    );
                    self.hit(rule, address, &path);
                }
            }
        }
    }
}

/// A passive standby's clusters: the provider creates a cluster, which boots it, and waits up to 30 minutes for
/// it to run, deleting it when it cannot start (provider-behaviour.md §3.2); `no_wait = true` returns as soon as
/// the cluster is created (a provider-only flag, never sent to the API and never read back, §3.3). SQL warehouses
/// likewise: create waits for the warehouse to start and deletes it when it does not, unless `no_wait` (§7.2,
/// §7.3).
fn no_wait(body: &mut Body) {
    if body.attributes().any(|a| a.key() == "no_wait") {
        return;
    }
    // In the converter's order: the name first, then the attributes alphabetically, then the blocks.
    let at = body
        .0
        .iter()
        .enumerate()
        .position(|(i, s)| match s {
            Structure::Attribute(a) => i > 0 && a.key() > "no_wait",
            Structure::Block(_) => true,
        })
        .unwrap_or(body.0.len());
    body.0.insert(
        at,
        Structure::Attribute(::hcl::Attribute::new("no_wait", Expression::Bool(true))),
    );
}

/// The exact-mapping rules.
#[derive(Debug, Clone, Copy)]
enum Mapped {
    Zone,
    GcpZone,
    NodeType,
    Profile,
}

/// A path step for a block: its name, with the key of a repeated block (`task[load]`) or its position.
fn block_step(b: &Block, name: &str, n: usize) -> String {
    for key in ["task_key", "job_cluster_key", "environment_key"] {
        if let Some(Expression::String(v)) = b
            .body
            .attributes()
            .find(|a| a.key.as_str() == key)
            .map(|a| &a.expr)
        {
            return format!("{name}[{v}]");
        }
    }
    // A grant is named by its principal, as drift names it (`access_control[group_name=analysts]`).
    if name == "access_control" {
        for key in ["user_name", "group_name", "service_principal_name"] {
            if let Some(Expression::String(v)) = b
                .body
                .attributes()
                .find(|a| a.key.as_str() == key)
                .map(|a| &a.expr)
            {
                return format!("{name}[{key}={v}]");
            }
        }
    }
    if matches!(
        name,
        "library" | "init_scripts" | "parameter" | "depends_on" | "libraries"
    ) {
        format!("{name}[{n}]")
    } else {
        name.to_string()
    }
}

fn object_key_text(k: &ObjectKey) -> String {
    match k {
        ObjectKey::Identifier(i) => i.as_str().to_string(),
        ObjectKey::Expression(Expression::String(s)) => s.clone(),
        ObjectKey::Expression(e) => crate::hcl::expression_to_string(e),
        other => format!("{other:?}"),
    }
}

fn expression_text(e: &Expression) -> String {
    match e {
        Expression::String(s) => s.clone(),
        other => crate::hcl::expression_to_string(other),
    }
}

#[cfg(test)]
mod tests;
