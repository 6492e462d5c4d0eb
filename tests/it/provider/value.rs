//! Value helpers shared by the model: paths, zero values, Terraform's `jsonencode`, reference markers, the
//! provider schema (which keys are blocks, which are maps) and the HCL ↔ API name mapping.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Address (`TYPE.LABEL`) → id of a created (or imported) object.
pub type Ids = BTreeMap<String, String>;

/// A path inside an API-shaped body: object keys and array indices.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Path(pub Vec<Seg>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl Path {
    pub fn key(&self, k: &str) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    /// The keys only, indices left out: what the rules match (`["tasks", "new_cluster", "node_type_id"]`).
    pub fn keys(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            })
            .collect()
    }

    /// `tasks[2].new_cluster.node_type_id`.
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for s in &self.0 {
            match s {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    if k.contains('.') {
                        out.push_str(&format!("\"{k}\""));
                    } else {
                        out.push_str(k);
                    }
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// Whether a value is what the provider's `GetOk` reports as "not set": null, `false`, `0`, `""`, an empty
/// list or map (§1.2).
pub fn is_zero(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => !b,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
    }
}

/// A primitive as the provider's SDK compares it: its string form, absent as `""` (schema.diffString decodes
/// both sides to strings). Numbers are written without a fraction when they have none.
pub fn primitive(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(Value::Number(n)) => Some(number(n)),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => None,
    }
}

/// Whether a primitive's string form is its type's zero.
pub fn zero_text(s: &str) -> bool {
    s.is_empty() || s == "0" || s == "false"
}

fn number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        let f = n.as_f64().unwrap_or(0.0);
        // Rust's `Display` for f64 never uses an exponent and is the shortest text that reads back the same:
        // what cty's `big.Float.Text('f', -1)` writes.
        format!("{f}")
    }
}

/// Terraform's `jsonencode`: compact, object keys in byte order, strings escaped as Go's `encoding/json`
/// escapes them (`<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes, `\b` and `\f` short), numbers without an
/// exponent (checked against the real binary in `provider::terraform`).
pub fn jsonencode(v: &Value) -> String {
    let mut out = String::new();
    encode(v, &mut out);
    out
}

fn encode(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => go_quote(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_quote(k, out);
                out.push(':');
                encode(&map[k], out);
            }
            out.push('}');
        }
    }
}

fn go_quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The text every reference marker starts with (`drsync::tfconfig::reference`).
fn marker_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let m = drsync::tfconfig::reference("T", "L");
        m.strip_suffix("T.L")
            .expect("marker ends with TYPE.LABEL")
            .to_string()
    })
}

/// The addresses a value refers to, wherever the markers are (whole strings, or inside a string such as a
/// policy definition).
pub fn references(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk_strings(v, &mut |s| {
        for (_, _, address) in markers_in(s) {
            out.insert(address);
        }
    });
    out
}

fn walk_strings(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|i| walk_strings(i, f)),
        Value::Object(m) => m.values().for_each(|i| walk_strings(i, f)),
        _ => {}
    }
}

/// Every marker in `s`: (start, end, address). A marker is the prefix, raw or as JSON writes it (`\u0001`),
/// then `TYPE.LABEL`.
pub fn markers_in(s: &str) -> Vec<(usize, usize, String)> {
    let raw = marker_prefix();
    let escaped = raw.replace('\u{1}', "\\u0001");
    let mut out = Vec::new();
    let mut at = 0;
    while at < s.len() {
        let rest = &s[at..];
        let found = [raw, escaped.as_str()]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, p.len())))
            .min();
        let Some((i, plen)) = found else { break };
        let start = at + i;
        let body = &s[start + plen..];
        let type_len = body
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(body.len());
        if body[type_len..].starts_with('.') {
            let label = &body[type_len + 1..];
            let label_len = label
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(label.len());
            let end = start + plen + type_len + 1 + label_len;
            out.push((
                start,
                end,
                format!("{}.{}", &body[..type_len], &label[..label_len]),
            ));
            at = end;
        } else {
            at = start + plen;
        }
    }
    out
}

/// Replace every marker of a known address by its id: a whole-string job reference becomes a number (the
/// provider's `job_id` attributes are numbers, and Terraform converts the string id), any other by the id
/// string, inside strings too. Unknown addresses stay markers.
pub fn resolve(v: &mut Value, ids: &Ids) {
    match v {
        Value::String(s) => {
            if let Some((t, l)) = drsync::tfconfig::parse_reference(s) {
                if let Some(id) = ids.get(&format!("{t}.{l}")) {
                    *v = match (t, id.parse::<i64>()) {
                        ("databricks_job", Ok(n)) => Value::from(n),
                        _ => Value::String(id.clone()),
                    };
                    return;
                }
            }
            let found = markers_in(s);
            if found.iter().any(|(_, _, a)| ids.contains_key(a)) {
                let mut out = String::new();
                let mut last = 0;
                for (start, end, address) in found {
                    out.push_str(&s[last..start]);
                    match ids.get(&address) {
                        Some(id) => out.push_str(id),
                        None => out.push_str(&s[start..end]),
                    }
                    last = end;
                }
                out.push_str(&s[last..]);
                *s = out;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| resolve(i, ids)),
        Value::Object(m) => m.values_mut().for_each(|i| resolve(i, ids)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------------------
// The provider schema (schema/databricks-provider-1.99.0.json, the names the provider accepts)

/// One block of the provider schema.
#[derive(Debug, Default)]
pub struct Schema {
    /// Attribute name → type (`string`, `number`, `boolean`, `stringList`, `stringMap`).
    pub attributes: BTreeMap<String, String>,
    /// Nested blocks by HCL name.
    pub blocks: BTreeMap<String, Schema>,
}

fn parse_schema(v: &Value) -> Schema {
    let attributes = v["attributes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, a)| (k.clone(), a["type"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let blocks = v["blocks"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, b)| (k.clone(), parse_schema(b)))
                .collect()
        })
        .unwrap_or_default();
    Schema { attributes, blocks }
}

/// The schema of a resource type.
pub fn schema(resource_type: &str) -> &'static Schema {
    static ALL: OnceLock<BTreeMap<String, Schema>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schema")
            .join("databricks-provider-1.99.0.json");
        let text = std::fs::read_to_string(&path).expect("provider schema");
        let v: Value = serde_json::from_str(&text).expect("provider schema is JSON");
        v.as_object()
            .expect("schema is an object")
            .iter()
            .map(|(k, b)| (k.clone(), parse_schema(b)))
            .collect()
    });
    &all[resource_type]
}

/// Block names whose API name differs (HCL → API), as `convert::api_body` maps them.
const BLOCK_RENAMES: &[(&str, &str)] = &[
    ("task", "tasks"),
    ("job_cluster", "job_clusters"),
    ("parameter", "parameters"),
    ("environment", "environments"),
    ("library", "libraries"),
    ("preloaded_docker_image", "preloaded_docker_images"),
    ("cluster", "clusters"),
    ("notification", "notifications"),
];

/// `git_source` attributes the API spells with a `git_` prefix.
const GIT_RENAMES: &[(&str, &str)] = &[
    ("url", "git_url"),
    ("provider", "git_provider"),
    ("branch", "git_branch"),
    ("tag", "git_tag"),
    ("commit", "git_commit"),
];

/// What an API key is in the schema block `parent` (HCL name `parent_name`).
pub enum Entry<'a> {
    Attribute(&'a str),
    Block(&'a Schema),
    Unknown,
}

pub fn entry<'a>(schema: &'a Schema, parent_name: &str, api_key: &str) -> Entry<'a> {
    if parent_name == "git_source" {
        if let Some((hcl, _)) = GIT_RENAMES.iter().find(|(_, api)| *api == api_key) {
            if let Some(t) = schema.attributes.get(*hcl) {
                return Entry::Attribute(t);
            }
        }
    }
    if let Some(t) = schema.attributes.get(api_key) {
        return Entry::Attribute(t);
    }
    if let Some(b) = schema.blocks.get(api_key) {
        return Entry::Block(b);
    }
    if parent_name != "for_each_task" {
        if let Some((hcl, _)) = BLOCK_RENAMES.iter().find(|(_, api)| *api == api_key) {
            if let Some(b) = schema.blocks.get(*hcl) {
                return Entry::Block(b);
            }
        }
    }
    Entry::Unknown
}

/// The part of an API object that the provider's Read puts into state: keys the schema does not have are
/// ignored (`StructToData` writes schema fields only, §1.5, §3.4); blocks are filtered recursively.
/// `GET path?key=id`, the body as a Read writes it into the state of `resource_type`: schema fields only.
pub async fn get_into_state(
    client: &drsync::api::WorkspaceClient,
    path: &str,
    key: &str,
    id: &str,
    resource_type: &str,
) -> Result<Map<String, Value>, drsync::api::Error> {
    let got = client.get(path, &[(key, id.to_string())]).await?;
    Ok(filter_to_schema(
        got.as_object().unwrap_or(&Map::new()),
        schema(resource_type),
        "",
    ))
}

pub fn filter_to_schema(v: &Map<String, Value>, schema: &Schema, name: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, val) in v {
        match entry(schema, name, k) {
            Entry::Attribute(_) => {
                out.insert(k.clone(), val.clone());
            }
            Entry::Block(b) => {
                let inner = match val {
                    Value::Object(o) => Value::Object(filter_to_schema(o, b, k)),
                    Value::Array(items) => Value::Array(
                        items
                            .iter()
                            .map(|i| match i {
                                Value::Object(o) => Value::Object(filter_to_schema(o, b, k)),
                                other => other.clone(),
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                };
                out.insert(k.clone(), inner);
            }
            Entry::Unknown => {}
        }
    }
    out
}

/// Whether the API key at `path` (below a resource of `resource_type`) is a map attribute (`custom_tags`,
/// `spark_conf`, ...), as opposed to a block, by the schema.
pub fn is_map(resource_type: &str, path: &[&str]) -> bool {
    let mut s = schema(resource_type);
    let mut parent = "";
    for (i, k) in path.iter().enumerate() {
        match entry(s, parent, k) {
            Entry::Attribute(t) => return i + 1 == path.len() && t == "stringMap",
            Entry::Block(b) => {
                s = b;
                parent = k;
            }
            Entry::Unknown => return false,
        }
    }
    false
}

/// Drop what the provider never sends because `GetOk` reports it unset (§1.2): `0`, `false`, `""`, empty
/// lists and maps, at every level; blocks present in HCL stay (as `{}` when all their fields are zero). Map
/// and list attributes are sent whole. `forced(path)` keeps a zero the provider forces onto the wire.
pub fn drop_zeros(
    resource_type: &str,
    v: &mut Map<String, Value>,
    path: &Path,
    forced: &dyn Fn(&Path) -> bool,
) {
    let keys: Vec<String> = v.keys().cloned().collect();
    for k in keys {
        let here = path.key(&k);
        let names = here.keys();
        let map = is_map(resource_type, &names);
        let keep = match v.get_mut(&k) {
            Some(Value::Object(inner)) if !map => {
                drop_zeros(resource_type, inner, &here, forced);
                true
            }
            Some(Value::Array(items)) if items.iter().any(Value::is_object) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::Object(inner) = item {
                        drop_zeros(resource_type, inner, &here.index(i), forced);
                    }
                }
                !items.is_empty()
            }
            other => !is_zero(other.as_deref()) || forced(&here),
        };
        if !keep {
            v.remove(&k);
        }
    }
}

/// Sort an array of objects by a string key, in byte order.
pub fn sort_by_key(items: &mut [Value], key: &str) {
    items.sort_by(|a, b| {
        let ka = a.get(key).map(|v| primitive(Some(v)).unwrap_or_default());
        let kb = b.get(key).map(|v| primitive(Some(v)).unwrap_or_default());
        ka.cmp(&kb)
    });
}

/// Set `key` to `value` in `v` when it is absent (a schema default).
pub fn default(v: &mut Map<String, Value>, key: &str, value: Value) {
    if !v.contains_key(key) {
        v.insert(key.to_string(), value);
    }
}

/// [`resolve`] on every value of a map.
pub fn resolve_map(m: &mut Map<String, Value>, ids: &Ids) {
    m.values_mut().for_each(|v| resolve(v, ids));
}
