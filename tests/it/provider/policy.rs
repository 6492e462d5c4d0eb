//! `databricks_cluster_policy` (§5).

use super::diff::Rule;
use super::value::{drop_zeros, get_into_state, jsonencode, resolve, Ids, Path};
use super::Problem;
use drsync::api::WorkspaceClient;
use drsync::tfconfig::Resource;
use serde_json::{Map, Value};

pub const TYPE: &str = "databricks_cluster_policy";

/// The attributes that hold a JSON document as a string (§5.2).
const JSON_STRINGS: [&str; 2] = ["definition", "policy_family_definition_overrides"];

/// The string HCL gives a JSON attribute: `jsonencode(x)` (which tfconfig evaluates to `x`) encoded as
/// Terraform encodes it, after references inside are resolved; a string literal as it is, references inside
/// it resolved too.
pub fn json_strings(r: &Resource, body: &mut Map<String, Value>, ids: &Ids) {
    for a in r.body.attributes() {
        if !JSON_STRINGS.contains(&a.key()) {
            continue;
        }
        let mut v = drsync::convert::expression_json(a.expr(), &|s| Value::String(s.to_string()));
        resolve(&mut v, ids);
        let text = match v {
            Value::String(s) => s,
            other => jsonencode(&other),
        };
        body.insert(a.key().to_string(), Value::String(text));
    }
}

pub fn validate(p: &Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    let set = |k: &str| p.get(k).is_some_and(|v| !v.is_null());
    // §5.3 (policies/resource_cluster_policy.go:35-42).
    for other in ["policy_family_id", "policy_family_definition_overrides"] {
        if set("definition") && set(other) {
            out.push(Problem::conflicts(format!(
                "definition conflicts with {other}"
            )));
        }
    }
    if set("policy_family_definition_overrides") && !set("policy_family_id") {
        out.push(Problem::required_with(
            "policy_family_definition_overrides requires policy_family_id".to_string(),
        ));
    }
    // §13: never write `id` or read-only attributes.
    for k in [
        "id",
        "policy_id",
        "created_at_timestamp",
        "creator_user_name",
        "is_default",
    ] {
        if p.contains_key(k) {
            out.push(Problem::never(format!("{k} is read-only")));
        }
    }
    out
}

/// The `policies/clusters/create` body: as written, zeros dropped (§1.2; `max_clusters_per_user = 0` is
/// never sent, §5.3), the JSON strings exactly as HCL produced them (no normalisation, §5.2).
///
/// Not modelled: adopting a built-in policy family by name (§5.2); drsync does not write `policy_family_id`
/// together with a family's name.
pub fn create(mut p: Map<String, Value>) -> Map<String, Value> {
    drop_zeros(TYPE, &mut p, &Path::default(), &|_| false);
    p
}

/// §5.2 / §5.4: the only suppressor trims surrounding whitespace; otherwise raw strings are compared.
fn trimmed(hcl: Option<&Value>, state: Option<&Value>) -> bool {
    let a = hcl.and_then(Value::as_str).unwrap_or("").trim();
    let b = state.and_then(Value::as_str).unwrap_or("").trim();
    a == b
}

pub fn rule(p: &[&str]) -> Rule {
    match p {
        ["policy_id"] => Rule::computed(),
        // §5.3: `definition` is Optional and Computed.
        ["definition"] => Rule {
            computed: true,
            ..Rule::custom(trimmed)
        },
        ["policy_family_definition_overrides"] => Rule::custom(trimmed),
        _ => Rule::default(),
    }
}

/// Read (§5.4): `policies/clusters/get` straight into state.
pub async fn read(
    client: &WorkspaceClient,
    id: &str,
) -> Result<Map<String, Value>, drsync::api::Error> {
    get_into_state(
        client,
        "/api/2.0/policies/clusters/get",
        "policy_id",
        id,
        TYPE,
    )
    .await
}
