//! From a normalised object (API field names, JSON) to the body of its Terraform resource (provider names,
//! HCL), guided by the provider schema this crate writes against: a key the schema has as a block becomes
//! nested blocks, one it has as an attribute becomes an attribute, and ids of exported objects become
//! references. What the schema does not know is left out and reported, never guessed. The export and drift
//! both shape objects here (drift to compare live objects with the HCL); `back` is the inverse, an evaluated
//! resource back to the API's shape ([`api_body`]). Pure: no I/O, no labels of its own (the caller gives them),
//! no rewriting (that is `rewrite`'s).

mod back;

pub use back::{api_body, expression_json};

use crate::hcl::{
    from_json, func_call, jsonencode, traversal, AttributeSchema, BlockSchema, JsonKeys, Schema,
};
use crate::model::ResourceKind;
use ::hcl::expr::ObjectKey;
use ::hcl::{Attribute, Block, Body, Expression};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The provider schema drsync writes against, shipped inside the binary.
pub const PROVIDER_SCHEMA: &str = include_str!("../../schema/databricks-provider-1.99.0.json");

/// The provider schema, parsed.
pub fn provider_schema() -> Schema {
    Schema::from_json(
        PROVIDER_SCHEMA,
        std::path::Path::new("schema/databricks-provider-1.99.0.json"),
    )
    .expect("the embedded provider schema is valid")
}

/// Where an id in a workspace object points, and the label it has in this export when it is exported.
#[derive(Debug, Default, Clone)]
pub struct References {
    labels: HashMap<(ResourceKind, String), String>,
}

impl References {
    /// Record that the object `id` of `kind` is exported as `label`.
    pub fn insert(&mut self, kind: ResourceKind, id: &str, label: &str) {
        self.labels
            .insert((kind, id.to_string()), label.to_string());
    }

    /// The label of an exported object.
    pub fn label(&self, kind: ResourceKind, id: &str) -> Option<&str> {
        self.labels.get(&(kind, id.to_string())).map(String::as_str)
    }
}

/// Something the export could not carry over exactly, said about one place in one resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Warning {
    /// `TYPE.LABEL` of the resource.
    pub resource: String,
    /// Where in it, in API names (`tasks[load].existing_cluster_id`); empty for the whole resource.
    pub path: String,
    /// What happened.
    pub message: String,
    /// The workspace-specific id the warning is about, if any (a `[rewrite.ids]` mapping resolves it).
    #[serde(skip)]
    pub id: Option<String>,
}

/// The schema's view of one level: a resource or a nested block.
#[derive(Clone, Copy)]
struct Node<'a> {
    attributes: &'a BTreeMap<String, AttributeSchema>,
    blocks: &'a BTreeMap<String, BlockSchema>,
}

impl<'a> From<&'a BlockSchema> for Node<'a> {
    fn from(b: &'a BlockSchema) -> Self {
        Node {
            attributes: &b.attributes,
            blocks: &b.blocks,
        }
    }
}

/// API names that the provider spells differently, by the block they appear in (`""` for any block).
const RENAMES: &[(&str, &str, &str)] = &[
    ("", "tasks", "task"),
    ("", "job_clusters", "job_cluster"),
    ("", "parameters", "parameter"),
    ("", "environments", "environment"),
    ("", "libraries", "library"),
    ("", "preloaded_docker_images", "preloaded_docker_image"),
    ("git_source", "git_url", "url"),
    ("git_source", "git_provider", "provider"),
    ("git_source", "git_branch", "branch"),
    ("git_source", "git_tag", "tag"),
    ("git_source", "git_commit", "commit"),
    ("", "clusters", "cluster"),
    ("", "notifications", "notification"),
];

/// Attributes that hold a JSON document as a string: written as `jsonencode({...})` over the parsed object.
const JSON_ATTRIBUTES: &[&str] = &["definition", "policy_family_definition_overrides"];

/// Attributes that hold the id of an object drsync exports, and the kind of that object.
const REFERENCES: &[(&str, &str, ResourceKind)] = &[
    ("", "existing_cluster_id", ResourceKind::Clusters),
    ("", "instance_pool_id", ResourceKind::InstancePools),
    ("", "driver_instance_pool_id", ResourceKind::InstancePools),
    ("", "policy_id", ResourceKind::ClusterPolicies),
    ("run_job_task", "job_id", ResourceKind::Jobs),
    ("", "warehouse_id", ResourceKind::SqlWarehouses),
    ("pipeline_task", "pipeline_id", ResourceKind::Pipelines),
    // A secret ACL's scope (only `databricks_secret_acl` has a `scope` attribute): the scope's id is its name
    // (§9.5), and `.id` is the reference the provider's exporter writes (its rule for `scope` matches on the
    // default `id`, §10, §11.3).
    ("", "scope", ResourceKind::SecretScopes),
];

/// The kind of exported object the attribute `name` (in block `parent`, `""` at the top) of the resource at
/// `address` refers to by id, if it does: [`REFERENCES`] anywhere, and a `databricks_permissions`' object id
/// attribute (`job_id`, ...: `model::PERMISSIONS_TARGETS`) at its top level, which the provider's exporter
/// makes a reference to the parent's `.id` (provider-behaviour.md §6.6).
fn reference_kind(address: &str, parent: &str, name: &str) -> Option<ResourceKind> {
    if parent.is_empty() && address.starts_with("databricks_permissions.") {
        return crate::model::PERMISSIONS_TARGETS
            .iter()
            .find(|t| t.attribute == name)
            .map(|t| t.kind);
    }
    REFERENCES
        .iter()
        .find(|(p, n, _)| *n == name && (p.is_empty() || *p == parent))
        .map(|(_, _, kind)| *kind)
}

/// Attributes that hold the id of something drsync does not export (it differs in DR): kept, and reported.
const FOREIGN_IDS: &[(&str, &str, &str)] = &[
    ("query", "query_id", "query"),
    ("alert", "alert_id", "alert"),
    ("dashboard", "dashboard_id", "dashboard"),
    ("dashboard_task", "dashboard_id", "dashboard"),
    ("on_start", "id", "notification destination"),
    ("on_success", "id", "notification destination"),
    ("on_failure", "id", "notification destination"),
    (
        "on_duration_warning_threshold_exceeded",
        "id",
        "notification destination",
    ),
    (
        "on_streaming_backlog_exceeded",
        "id",
        "notification destination",
    ),
];

/// Keys written first, in this order, when present: what a reader looks for to know what the block is.
const LEADING_KEYS: &[&str] = &[
    "name",
    "cluster_name",
    "instance_pool_name",
    "task_key",
    "job_cluster_key",
    "environment_key",
    "description",
    // A secret ACL: its scope, then whom it is for (only `databricks_secret_acl` has these).
    "scope",
    "principal",
];

/// Turns normalised objects into resource bodies.
pub struct Converter<'a> {
    schema: &'a Schema,
    refs: &'a References,
    warnings: Vec<Warning>,
    /// When labels are not known yet: the references written so far, as `(kind, id)`; the n-th is written
    /// as `TYPE.drsync-deferred-n.id`.
    deferred: Option<Vec<(ResourceKind, String)>>,
}

/// The label a deferred conversion gives the resource itself.
pub(crate) const DEFERRED_LABEL: &str = "drsync-deferred";

/// The label of the n-th reference of a deferred conversion.
pub(crate) fn deferred_ref(n: usize) -> String {
    format!("{DEFERRED_LABEL}-{n}")
}

impl<'a> Converter<'a> {
    /// A converter for this schema and these exported objects.
    pub fn new(schema: &'a Schema, refs: &'a References) -> Self {
        Converter {
            schema,
            refs,
            warnings: Vec::new(),
            deferred: None,
        }
    }

    /// A converter for when labels are not known yet: every reference to an object of a kind drsync exports is
    /// written with a placeholder label (see [`Converter::take_deferred`]), whether that object is exported or
    /// not; the caller resolves them, or converts again with a [`Converter::new`].
    pub(crate) fn deferring(schema: &'a Schema, refs: &'a References) -> Self {
        Converter {
            deferred: Some(Vec::new()),
            ..Converter::new(schema, refs)
        }
    }

    /// The references written with placeholder labels since the last call, in placeholder order.
    pub(crate) fn take_deferred(&mut self) -> Vec<(ResourceKind, String)> {
        self.deferred
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The warnings gathered so far.
    pub fn into_warnings(self) -> Vec<Warning> {
        self.warnings
    }

    /// `resource "TYPE" "LABEL" { ... }` for a normalised object's configuration.
    pub fn resource(&mut self, kind: ResourceKind, label: &str, config: &Value) -> Block {
        let resource_type = kind.resource_type();
        let address = format!("{resource_type}.{label}");
        let schema = self
            .schema
            .resource(resource_type)
            .expect("the embedded schema has every exported resource type");
        let node = Node {
            attributes: &schema.attributes,
            blocks: &schema.blocks,
        };
        let empty = Map::new();
        let obj = config.as_object().unwrap_or(&empty);
        let body = self.body(&address, node, "", obj, &mut Path::new());
        Block::builder("resource")
            .add_label(resource_type)
            .add_label(label)
            .add_structures(body)
            .build()
    }

    fn body<'v>(
        &mut self,
        address: &str,
        node: Node<'_>,
        parent: &str,
        obj: &'v Map<String, Value>,
        path: &mut Path<'v>,
    ) -> Body {
        let mut keys: Vec<&String> = obj.keys().collect();
        keys.sort_by_key(|k| {
            (
                LEADING_KEYS
                    .iter()
                    .position(|l| l == k)
                    .unwrap_or(LEADING_KEYS.len()),
                k.as_str(),
            )
        });
        let mut attributes = Vec::new();
        let mut blocks = Vec::new();
        for key in keys {
            let value = &obj[key];
            path.push(Step::Key(key));
            let name = if node.attributes.contains_key(key.as_str())
                || node.blocks.contains_key(key.as_str())
            {
                key.as_str()
            } else {
                rename(parent, key)
            };
            if name == "id" && parent.is_empty() {
                // A computed attribute: never written.
            } else if let Some(attr) = node.attributes.get(name) {
                if let Some(expr) = self.attribute(address, parent, name, attr, value, path) {
                    attributes.push(Attribute::new(name, expr));
                }
            } else if let Some(block) = node.blocks.get(name) {
                match value {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            if let Some(last) = path.last_mut() {
                                *last = Step::Item(key, i, item);
                            }
                            blocks.push(self.block(address, name, block, item, path));
                        }
                    }
                    other => blocks.push(self.block(address, name, block, other, path)),
                }
            } else {
                self.warn(
                    address,
                    path,
                    format!(
                        "`{key}` is not in the databricks provider's schema here; not exported"
                    ),
                );
            }
            path.pop();
        }
        let mut body = Body::builder();
        for a in attributes {
            body = body.add_attribute(a);
        }
        for b in blocks {
            body = body.add_block(b);
        }
        body.build()
    }

    fn block<'v>(
        &mut self,
        address: &str,
        name: &str,
        schema: &BlockSchema,
        value: &'v Value,
        path: &mut Path<'v>,
    ) -> Block {
        let body = match value {
            Value::Object(obj) => self.body(address, schema.into(), name, obj, path),
            other => {
                self.warn(
                    address,
                    path,
                    format!("expected an object for block `{name}`, found {other}; written empty"),
                );
                Body::default()
            }
        };
        Block::builder(name).add_structures(body).build()
    }

    fn attribute(
        &mut self,
        address: &str,
        parent: &str,
        name: &str,
        schema: &AttributeSchema,
        value: &Value,
        path: &[Step<'_>],
    ) -> Option<Expression> {
        if JSON_ATTRIBUTES.contains(&name) && value.is_object() {
            return Some(self.json_document(address, path, value));
        }
        if let Some(kind) = reference_kind(address, parent, name) {
            let id = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            if let Some(deferred) = &mut self.deferred {
                let label = deferred_ref(deferred.len());
                deferred.push((kind, id));
                return Some(traversal(&[kind.resource_type(), &label, "id"]));
            }
            if let Some(label) = self.refs.label(kind, &id) {
                return Some(traversal(&[kind.resource_type(), label, "id"]));
            }
            self.warn_id(
                address,
                path,
                format!(
                    "refers to {} `{id}`, which is not exported; kept as a literal id, which differs in DR",
                    kind_noun(kind)
                ),
                Some(id.clone()),
            );
        } else if let Some((_, _, what)) = FOREIGN_IDS
            .iter()
            .find(|(p, n, _)| *n == name && (p.is_empty() || *p == parent))
        {
            let id = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            self.warn_id(
                address,
                path,
                format!(
                    "refers to {what} `{id}`, which drsync does not export; kept as a literal id, which differs \
                     in DR (map it with [rewrite.ids])"
                ),
                Some(id.clone()),
            );
        }
        let keys = JsonKeys::BareWhenValid;
        match (schema.kind.as_str(), value) {
            ("stringMap", Value::Object(map)) => {
                // Map values are strings in the provider; the API sends strings too, but be exact about it.
                let converted: Map<String, Value> = map
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(
                                || Value::String(v.to_string()),
                                |s| Value::String(s.to_string()),
                            ),
                        )
                    })
                    .collect();
                Some(from_json(&Value::Object(converted), keys))
            }
            ("string", Value::Object(_) | Value::Array(_)) => {
                self.warn(
                    address,
                    path,
                    "a structured value where the provider takes a string; written with jsonencode"
                        .to_string(),
                );
                Some(jsonencode(from_json(value, JsonKeys::Quoted)))
            }
            _ => Some(from_json(value, keys)),
        }
    }

    /// A policy definition (or overrides): `jsonencode({...})`, readable and diffable, with the ids of exported
    /// pools as references (the provider never rewrites them, provider-behaviour.md §5.5) and warnings for the
    /// others. The provider compares the string the API returns with the one the HCL gives, byte for byte after
    /// trimming whitespace (§5.2, §5.4), and whether the API echoes the text or re-serialises it is open (§14 Q1).
    /// `jsonencode` writes compact JSON with sorted keys, which both an echo and an order-keeping or sorting
    /// re-serialisation give back unchanged, except for the characters it escapes and a JSON writer need not
    /// (`<`, `>`, `&`, U+2028, U+2029): a document holding one of those is written as the compact JSON string
    /// itself, which every writer gives back as it is.
    fn json_document(&mut self, address: &str, path: &[Step<'_>], value: &Value) -> Expression {
        let mut expr = from_json(value, JsonKeys::Quoted);
        let references = self.policy_references(address, path, &mut expr);
        if !has_html_escaped(value) {
            return jsonencode(expr);
        }
        // With references too, the text is `replace(...)`d: `replace("{...\"value\":\"<primary id>\"...}",
        // "<primary id>", databricks_instance_pool.x.id)`.
        let mut text = Expression::String(value.to_string());
        for (id, reference) in references {
            text = func_call("replace", vec![text, Expression::String(id), reference]);
        }
        text
    }

    /// Pool ids in the rules of `instance_pool_id` and `driver_instance_pool_id` (`value`, `defaultValue`,
    /// `values`): references where the pool is exported, warnings where not. The ids made references, each once,
    /// with their reference.
    fn policy_references(
        &mut self,
        address: &str,
        path: &[Step<'_>],
        doc: &mut Expression,
    ) -> Vec<(String, Expression)> {
        let Expression::Object(rules) = doc else {
            return Vec::new();
        };
        let mut made: Vec<(String, Expression)> = Vec::new();
        for (key, rule) in rules.iter_mut() {
            let ObjectKey::Expression(Expression::String(key)) = key else {
                continue;
            };
            if key != "instance_pool_id" && key != "driver_instance_pool_id" {
                continue;
            }
            let Expression::Object(rule) = rule else {
                continue;
            };
            for (field, v) in rule.iter_mut() {
                let ObjectKey::Expression(Expression::String(field)) = field else {
                    continue;
                };
                let ids: Vec<&mut Expression> = match (field.as_str(), v) {
                    ("value" | "defaultValue", v @ Expression::String(_)) => vec![v],
                    ("values", Expression::Array(items)) => items.iter_mut().collect(),
                    _ => continue,
                };
                for id_expr in ids {
                    let Expression::String(id) = id_expr else {
                        continue;
                    };
                    let id = id.clone();
                    let kind = ResourceKind::InstancePools;
                    if let Some(deferred) = &mut self.deferred {
                        let label = deferred_ref(deferred.len());
                        deferred.push((kind, id.clone()));
                        *id_expr = traversal(&[kind.resource_type(), &label, "id"]);
                        made.push((id, id_expr.clone()));
                    } else if let Some(label) = self.refs.label(kind, &id) {
                        *id_expr = traversal(&[kind.resource_type(), label, "id"]);
                        if !made.iter().any(|(m, _)| *m == id) {
                            made.push((id, id_expr.clone()));
                        }
                    } else {
                        self.warn_id(
                            address,
                            path,
                            format!(
                                "`{key}` names instance pool `{id}`, which is not exported; kept as a literal \
                                 id, which differs in DR (map it with [rewrite.ids])"
                            ),
                            Some(id),
                        );
                    }
                }
            }
        }
        made
    }

    fn warn(&mut self, address: &str, path: &[Step<'_>], message: String) {
        self.warn_id(address, path, message, None);
    }

    fn warn_id(&mut self, address: &str, path: &[Step<'_>], message: String, id: Option<String>) {
        self.warnings.push(Warning {
            resource: address.to_string(),
            path: path
                .iter()
                .map(Step::to_string)
                .collect::<Vec<_>>()
                .join("."),
            message,
            id,
        });
    }
}

/// Whether a string in the document holds a character `jsonencode` escapes (as Go's JSON encoder does for HTML)
/// where other JSON writers do not.
fn has_html_escaped(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']),
        Value::Array(items) => items.iter().any(has_html_escaped),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| has_html_escaped(&Value::String(k.clone())) || has_html_escaped(v)),
        _ => false,
    }
}

fn rename<'k>(parent: &str, key: &'k str) -> &'k str {
    RENAMES
        .iter()
        .find(|(p, from, _)| *from == key && (p.is_empty() || *p == parent))
        .map_or(key, |(_, _, to)| to)
}

/// Where the converter is, in API names, for warnings: spelled out only when a warning needs it.
type Path<'v> = Vec<Step<'v>>;

/// One step of a [`Path`].
#[derive(Clone, Copy)]
enum Step<'v> {
    /// A key.
    Key(&'v str),
    /// The i-th item of the array under a key.
    Item(&'v str, usize, &'v Value),
}

impl std::fmt::Display for Step<'_> {
    /// A key, or the i-th item of an array by its key where it has one (`tasks[load]`), else by index.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Key(key) => f.write_str(key),
            Step::Item(key, i, item) => {
                for k in ["task_key", "job_cluster_key", "environment_key", "name"] {
                    if let Some(v) = item.get(k).and_then(Value::as_str) {
                        return write!(f, "{key}[{v}]");
                    }
                }
                write!(f, "{key}[{i}]")
            }
        }
    }
}

fn kind_noun(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Jobs => "job",
        ResourceKind::Clusters => "cluster",
        ResourceKind::InstancePools => "instance pool",
        ResourceKind::ClusterPolicies => "cluster policy",
        ResourceKind::SqlWarehouses => "SQL warehouse",
        ResourceKind::Pipelines => "pipeline",
        ResourceKind::SecretScopes => "secret scope",
        ResourceKind::SecretAcls => "secret ACL",
        ResourceKind::Permissions => "permissions",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(refs: &References, definition: Value) -> (String, Vec<Warning>) {
        let schema = provider_schema();
        let mut converter = Converter::new(&schema, refs);
        let block = converter.resource(
            ResourceKind::ClusterPolicies,
            "p",
            &json!({"name": "p", "definition": definition}),
        );
        let text = crate::hcl::to_string(&Body::builder().add_block(block).build());
        (text, converter.into_warnings())
    }

    /// Issue 13, defect 7: pool ids inside a policy definition become references to exported pools; the others
    /// stay literal with a warning that `[rewrite.ids]` can answer.
    #[test]
    fn pool_ids_in_policy_definitions_are_references() {
        let mut refs = References::default();
        refs.insert(ResourceKind::InstancePools, "pool-1", "etl_pool");
        let (text, warnings) = policy(
            &refs,
            json!({
                "instance_pool_id": {"type": "fixed", "value": "pool-1"},
                "driver_instance_pool_id": {"type": "allowlist", "values": ["pool-1", "pool-9"], "defaultValue": "pool-9"}
            }),
        );
        assert!(
            text.contains("\"value\" = databricks_instance_pool.etl_pool.id"),
            "{text}"
        );
        assert!(
            text.contains("\"values\"       = [databricks_instance_pool.etl_pool.id, \"pool-9\"]"),
            "{text}"
        );
        let ids: Vec<Option<&str>> = warnings.iter().map(|w| w.id.as_deref()).collect();
        assert_eq!(ids, [Some("pool-9"), Some("pool-9")], "{warnings:?}");
        assert!(warnings[0].message.contains("[rewrite.ids]"));
    }

    /// Issue 13, defect 15: `jsonencode` escapes `<`, `>` and `&`, which an API that re-serialises the text would
    /// give back unescaped, a diff on every plan: such a definition is written as its JSON text.
    #[test]
    fn policy_definitions_that_jsonencode_would_escape_are_written_as_text() {
        let refs = References::default();
        let (text, _) = policy(
            &refs,
            json!({"spark_conf.x": {"type": "fixed", "value": 10.0}}),
        );
        assert!(text.contains("definition = jsonencode({"), "{text}");
        let (text, _) = policy(
            &refs,
            json!({"custom_tags.note": {"type": "fixed", "value": "a < b & c"}}),
        );
        assert!(
            text.contains(r#"definition = "{\"custom_tags.note\":{\"type\":\"fixed\",\"value\":\"a < b & c\"}}""#),
            "{text}"
        );
        // With a pool reference as well: the text, its primary id replaced by the reference.
        let mut refs = References::default();
        refs.insert(ResourceKind::InstancePools, "pool-1", "etl_pool");
        let (text, _) = policy(
            &refs,
            json!({"custom_tags.note": {"type": "fixed", "value": "a < b"},
                   "instance_pool_id": {"type": "fixed", "value": "pool-1"}}),
        );
        assert!(
            text.contains(r#"definition = replace("{\"custom_tags.note\":{\"type\":\"fixed\",\"value\":\"a < b\"},\"instance_pool_id\":{\"type\":\"fixed\",\"value\":\"pool-1\"}}", "pool-1", databricks_instance_pool.etl_pool.id)"#),
            "{text}"
        );
    }
}
