//! `databricks_permissions` (§6): validation of the object id and the levels per object type (§6.1), the
//! `PUT` the provider sends with the current user and the owner it adds (§6.2), and its Read (§6.3): direct
//! entries only, without `admins` and without the applying identity's own entries unless the configuration
//! or state has them. `access_control` is a set (§6.1): both sides are kept in one canonical order, so the
//! plan compares them as sets.

use super::diff::Rule;
use super::Problem;
use drsync::api::WorkspaceClient;
use serde_json::{json, Map, Value};

pub const TYPE: &str = "databricks_permissions";

/// One object type (§6.1's table).
pub struct Target {
    pub attribute: &'static str,
    pub prefix: &'static str,
    pub object_type: &'static str,
    pub levels: &'static [&'static str],
    /// Adds the current user as CAN_MANAGE on write (§6.2, `permissions/update/customizers.go:64-86`).
    pub adds_current_user: bool,
    /// Has IS_OWNER, and the provider adds the current user as owner when none is given (§6.2).
    pub owned: bool,
}

/// §6.1's table, for the types drsync exports.
pub const TARGETS: &[Target] = &[
    Target {
        attribute: "job_id",
        prefix: "jobs",
        object_type: "job",
        levels: &["CAN_VIEW", "CAN_MANAGE_RUN", "IS_OWNER", "CAN_MANAGE"],
        adds_current_user: false,
        owned: true,
    },
    Target {
        attribute: "cluster_id",
        prefix: "clusters",
        object_type: "cluster",
        levels: &["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"],
        adds_current_user: true,
        owned: false,
    },
    Target {
        attribute: "instance_pool_id",
        prefix: "instance-pools",
        object_type: "instance-pool",
        levels: &["CAN_ATTACH_TO", "CAN_MANAGE"],
        adds_current_user: true,
        owned: false,
    },
    Target {
        attribute: "cluster_policy_id",
        prefix: "cluster-policies",
        object_type: "cluster-policy",
        levels: &["CAN_USE"],
        adds_current_user: false,
        owned: false,
    },
    Target {
        attribute: "sql_endpoint_id",
        prefix: "sql/warehouses",
        object_type: "warehouses",
        levels: &[
            "CAN_USE",
            "CAN_MANAGE",
            "CAN_MONITOR",
            "CAN_VIEW",
            "IS_OWNER",
        ],
        adds_current_user: true,
        owned: true,
    },
    Target {
        attribute: "pipeline_id",
        prefix: "pipelines",
        object_type: "pipelines",
        levels: &["CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER"],
        adds_current_user: false,
        owned: true,
    },
];

const PRINCIPALS: [&str; 3] = ["user_name", "group_name", "service_principal_name"];

fn target_of(p: &Map<String, Value>) -> Vec<&'static Target> {
    TARGETS
        .iter()
        .filter(|t| p.get(t.attribute).is_some_and(|v| !v.is_null()))
        .collect()
}

fn entries(p: &Map<String, Value>) -> Vec<Map<String, Value>> {
    p.get("access_control")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_object().cloned())
        .collect()
}

fn principal(e: &Map<String, Value>) -> Option<(&'static str, String)> {
    PRINCIPALS.iter().find_map(|k| {
        e.get(*k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| (*k, s.to_string()))
    })
}

/// `terraform validate` and the plan's CustomizeDiff (§6.1): exactly one object id attribute (they conflict
/// with each other), at least one `access_control` (MinItems 1), each with one principal, and a level the type
/// allows.
pub fn validate(p: &Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    let targets = target_of(p);
    if targets.len() != 1 {
        out.push(Problem::exactly_one(format!(
            "exactly one object id attribute must be set, found {}",
            targets.len()
        )));
    }
    let acl = entries(p);
    if acl.is_empty() {
        out.push(Problem::required(
            "access_control needs at least one block".to_string(),
        ));
    }
    for e in &acl {
        let named = PRINCIPALS
            .iter()
            .filter(|k| {
                e.get(**k)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
            })
            .count();
        if named != 1 {
            out.push(Problem::exactly_one(format!(
                "an access_control names {named} principals"
            )));
        }
        let level = e
            .get("permission_level")
            .and_then(Value::as_str)
            .unwrap_or("");
        if let Some(t) = targets.first() {
            if !t.levels.contains(&level) {
                out.push(Problem::value(format!(
                    "permission_level {level} is not allowed for {} (§6.1)",
                    t.object_type
                )));
            }
        }
    }
    for k in ["id", "object_type"] {
        if p.contains_key(k) {
            out.push(Problem::never(format!("{k} is read-only")));
        }
    }
    out
}

/// What the provider sends: `PUT /api/2.0/permissions/<type>/<id>` with the whole ACL (§6.1).
pub struct Create {
    pub path: String,
    /// The resource id, `/<type>/<object id>`.
    pub id: String,
    pub body: Value,
}

/// The `PUT` for a configuration applied as `me` (§6.2): the apply-time checks (no `admins`, no non-management
/// level for `me`), then the current user as CAN_MANAGE where the type adds it, and the current user as
/// IS_OWNER on owned types without an owner (always in `user_name`, §6.2).
pub fn create(p: &Map<String, Value>, me: &str) -> Result<Create, String> {
    let t = *target_of(p).first().ok_or("no object id")?;
    let object = match &p[t.attribute] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut acl = entries(p);
    for e in &acl {
        let Some((kind, name)) = principal(e) else {
            continue;
        };
        let level = e
            .get("permission_level")
            .and_then(Value::as_str)
            .unwrap_or("");
        if kind == "group_name" && name == "admins" {
            return Err("it is not possible to modify admin permissions".to_string());
        }
        if kind != "group_name" && name == me && !matches!(level, "CAN_MANAGE" | "IS_OWNER") {
            return Err("cannot remove management permissions for the current user".to_string());
        }
    }
    let has_me = acl
        .iter()
        .any(|e| principal(e).is_some_and(|(k, n)| k != "group_name" && n == me));
    if t.adds_current_user && !has_me {
        acl.push(
            json!({"user_name": me, "permission_level": "CAN_MANAGE"})
                .as_object()
                .cloned()
                .expect("an object"),
        );
    }
    let has_owner = acl
        .iter()
        .any(|e| e.get("permission_level").and_then(Value::as_str) == Some("IS_OWNER"));
    if t.owned && !has_owner {
        acl.push(
            json!({"user_name": me, "permission_level": "IS_OWNER"})
                .as_object()
                .cloned()
                .expect("an object"),
        );
    }
    Ok(Create {
        path: format!("/api/2.0/permissions/{}/{object}", t.prefix),
        id: format!("/{}/{object}", t.prefix),
        body: json!({ "access_control_list": acl }),
    })
}

/// The canonical order of a set of entries: by principal kind, name, then level.
pub fn sort(acl: &mut [Value]) {
    let key = |e: &Value| {
        let (k, n) = e
            .as_object()
            .and_then(principal)
            .map(|(k, n)| (PRINCIPALS.iter().position(|p| *p == k).unwrap_or(3), n))
            .unwrap_or((3, String::new()));
        (
            k,
            n,
            e.get("permission_level")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        )
    };
    acl.sort_by_key(key);
}

/// The HCL side in the canonical order.
pub fn defaults(p: &mut Map<String, Value>) {
    if let Some(Value::Array(acl)) = p.get_mut("access_control") {
        sort(acl);
    }
}

pub fn rule(p: &[&str]) -> Rule {
    match p {
        // §6.1: `object_type` is Computed.
        ["object_type"] => Rule::computed(),
        ["access_control"] => Rule {
            set: true,
            ..Rule::default()
        },
        _ => Rule::default(),
    }
}

/// Read (§6.3) of the object `id` (`/jobs/123`) as `me`: for every principal its direct levels, without
/// `admins`, and without `me` unless `keep_me` (the identity is in state or config); the object type checked.
pub async fn read(
    client: &WorkspaceClient,
    id: &str,
    keep_me: impl Fn(&str) -> bool,
) -> Result<Map<String, Value>, drsync::api::Error> {
    let me = client.current_user().await?.user_name;
    let got = client
        .get(&format!("/api/2.0/permissions{id}"), &[])
        .await?;
    let t = TARGETS
        .iter()
        .find(|t| id.starts_with(&format!("/{}/", t.prefix)))
        .expect("a known type");
    assert_eq!(
        got["object_type"], t.object_type,
        "§6.3: Read fails on another object type"
    );
    let mut acl = Vec::new();
    for e in got["access_control_list"].as_array().into_iter().flatten() {
        let Some((kind, name)) = e.as_object().and_then(principal) else {
            continue;
        };
        if kind == "group_name" && name == "admins" {
            continue;
        }
        if kind != "group_name" && name == me && !keep_me(&me) {
            continue;
        }
        for perm in e["all_permissions"].as_array().into_iter().flatten() {
            if perm["inherited"].as_bool() == Some(true) {
                continue;
            }
            acl.push(json!({ kind: name, "permission_level": perm["permission_level"] }));
        }
    }
    sort(&mut acl);
    let mut state = Map::new();
    state.insert(
        t.attribute.to_string(),
        Value::String(id.rsplit('/').next().unwrap_or_default().to_string()),
    );
    state.insert("object_type".to_string(), json!(t.object_type));
    if !acl.is_empty() {
        state.insert("access_control".to_string(), Value::Array(acl));
    }
    Ok(state)
}

/// Whether `me` is among the principals of an API-shaped body or state (§6.3: then Read keeps its entries).
pub fn names(p: &Map<String, Value>, me: &str) -> bool {
    entries(p)
        .iter()
        .any(|e| principal(e).is_some_and(|(k, n)| k != "group_name" && n == me))
}
