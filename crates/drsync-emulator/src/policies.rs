//! The Cluster Policies API 2.0 (`/api/2.0/policies/clusters/*`): list (sorted, no paging), get, create, edit
//! and delete, adding the output-only `created_at_timestamp`, `creator_user_name` and `is_default`. It checks
//! what the real service checks (unique names, `definition` a JSON object in a string) and must not rewrite
//! the definition text or drop fields a caller sent.
//!
//! The list is sorted by creation time, oldest first, unless `sort_column`/`sort_order` say otherwise
//! [UNVERIFIED default]; the built-in default policies a real workspace has (e.g. "Personal Compute") exist only
//! when the fixtures hold them.
//!
//! Not found: an unknown `policy_id` answers 404 `RESOURCE_DOES_NOT_EXIST`
//! `Can't find a cluster policy with id: <id>.` (the message seen from real workspaces).
//!
//! Whether the service gives `definition` and `policy_family_definition_overrides` back byte for byte or
//! re-serialised is open (provider-behaviour.md §14 Q1; issue #13 item 15), so [`PolicyJson`] lets a test run
//! either way.

use super::auth::{caller, Principal};
use super::error::ApiError;
use super::objects::{check_unique_name, delete_route, get_route};
use super::params::{required_str, JsonObject, Query, DIRECTIONS};
use super::state::{now_ms, PolicyJson, Workspace};
use super::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// The `policies/clusters/*` routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/2.0/policies/clusters/list", get(list))
        .route(
            "/api/2.0/policies/clusters/get",
            get_route("policy_id", |ws| &ws.policies, no_such_policy),
        )
        .route("/api/2.0/policies/clusters/create", post(create))
        .route("/api/2.0/policies/clusters/edit", post(edit))
        .route(
            "/api/2.0/policies/clusters/delete",
            delete_route(
                "policy_id",
                "/cluster-policies/",
                |ws| &mut ws.policies,
                no_such_policy,
            ),
        )
}

type Reply = Result<Json<Value>, ApiError>;

/// The policy JSON fields that [`PolicyJson`] applies to.
const JSON_FIELDS: [&str; 2] = ["definition", "policy_family_definition_overrides"];

/// Store the JSON text fields of a checked body as `mode` says.
fn store_json_fields(policy: &mut Map<String, Value>, mode: PolicyJson) {
    if mode == PolicyJson::Echo {
        return;
    }
    for key in JSON_FIELDS {
        if let Some(Value::String(text)) = policy.get_mut(key) {
            // `check_body` has already parsed it; a failure here leaves the text as sent.
            if let Ok(parsed) = serde_json::from_str::<Value>(text) {
                *text = parsed.to_string();
            }
        }
    }
}

/// Fields the server owns; a caller's values for them are ignored. A new policy gets `created_at_timestamp`,
/// `creator_user_name` and `is_default: false` (SDK `Policy` docstrings: `is_default` "If true, policy is a
/// default policy created and managed by Databricks"; databricks-api.md §7 `errors_and_misc.json` policies
/// list).
const OUTPUT_ONLY: &[&str] = &[
    "policy_id",
    "created_at_timestamp",
    "creator_user_name",
    "is_default",
];

fn no_such_policy(id: &str) -> ApiError {
    ApiError::does_not_exist(format!("Can't find a cluster policy with id: {id}."))
}

/// `definition` and `policy_family_definition_overrides` are JSON objects sent as strings (SDK `CreatePolicy`:
/// "Policy definition document expressed in Databricks Cluster Policy Definition Language"); anything else is
/// a 400 `INVALID_PARAMETER_VALUE`.
fn check_json_object_field(body: &Map<String, Value>, key: &str) -> Result<(), ApiError> {
    let Some(v) = body.get(key) else {
        return Ok(());
    };
    let Some(text) = v.as_str() else {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid {key}: expected a JSON document in a string"
        )));
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => Ok(()),
        Ok(_) => Err(ApiError::invalid_parameter(format!(
            "Invalid {key}: the policy definition must be a JSON object"
        ))),
        Err(e) => Err(ApiError::invalid_parameter(format!("Invalid {key}: {e}"))),
    }
}

/// Name rules: 1–100 characters, unique in the workspace (`except` is the policy being edited).
fn check_name(ws: &Workspace, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    check_unique_name(
        &ws.policies,
        "name",
        name,
        except,
        "Cluster policy name",
        || format!("Policy with name '{name}' already exists."),
    )
}

fn check_body(
    ws: &Workspace,
    body: &Map<String, Value>,
    except: Option<&str>,
) -> Result<String, ApiError> {
    let name = required_str(body, "name")?;
    check_name(ws, &name, except)?;
    check_json_object_field(body, "definition")?;
    check_json_object_field(body, "policy_family_definition_overrides")?;
    if let Some(max) = body.get("max_clusters_per_user") {
        if max.as_i64().is_none_or(|n| n <= 0) {
            return Err(ApiError::invalid_parameter(format!(
                "max_clusters_per_user must be a positive integer, got {max}"
            )));
        }
    }
    Ok(name)
}

/// The configuration part of a body: everything but the output-only fields.
fn config(body: &Map<String, Value>) -> Map<String, Value> {
    body.iter()
        .filter(|(k, _)| !OUTPUT_ONLY.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `sort_column`/`sort_order` of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortColumn {
    CreationTime,
    Name,
}

fn parse_sort(q: &Query) -> Result<(SortColumn, bool), ApiError> {
    let column = q.get_choice(
        "sort_column",
        &[
            ("POLICY_CREATION_TIME", SortColumn::CreationTime),
            ("POLICY_NAME", SortColumn::Name),
        ],
        |other| {
            format!(
                "Invalid sort_column '{other}'. Allowed values: POLICY_CREATION_TIME, POLICY_NAME"
            )
        },
    )?;
    let desc = q.get_choice("sort_order", DIRECTIONS, |other| {
        format!("Invalid sort_order '{other}'. Allowed values: ASC, DESC")
    })?;
    Ok((
        column.unwrap_or(SortColumn::CreationTime),
        desc.unwrap_or(false),
    ))
}

fn sort_policies(items: &mut [Value], column: SortColumn, desc: bool) {
    let key_time = |p: &Value| {
        p.get("created_at_timestamp")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let key_name = |p: &Value| {
        p.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let key_id = |p: &Value| {
        p.get("policy_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    items.sort_by(|a, b| {
        let o: Ordering = match column {
            SortColumn::CreationTime => key_time(a)
                .cmp(&key_time(b))
                .then_with(|| key_name(a).cmp(&key_name(b))),
            SortColumn::Name => key_name(a).cmp(&key_name(b)),
        }
        .then_with(|| key_id(a).cmp(&key_id(b)));
        if desc {
            o.reverse()
        } else {
            o
        }
    });
}

async fn list(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let (column, desc) = parse_sort(&q)?;
    let mut items: Vec<Value> = state.workspace().policies.values().cloned().collect();
    if items.is_empty() {
        return Ok(Json(json!({})));
    }
    sort_policies(&mut items, column, desc);
    Ok(Json(json!({ "policies": items })))
}

async fn create(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    JsonObject(body): JsonObject,
) -> Reply {
    let mut ws = state.workspace();
    check_body(&ws, &body, None)?;
    let mode = ws.policy_json;
    let creator = caller(&ws, &principal);
    let id = ws.new_policy_id();
    // Creation times strictly increase, so sorting by them is stable and matches creation order.
    let latest = ws
        .policies
        .values()
        .filter_map(|p| p.get("created_at_timestamp").and_then(Value::as_i64))
        .max()
        .unwrap_or(0);
    let mut policy = config(&body);
    store_json_fields(&mut policy, mode);
    policy.insert("policy_id".into(), json!(id));
    policy.insert(
        "created_at_timestamp".into(),
        json!(now_ms().max(latest + 1)),
    );
    policy.insert("creator_user_name".into(), json!(creator));
    policy.insert("is_default".into(), json!(false));
    ws.policies.insert(id.clone(), Value::Object(policy));
    Ok(Json(json!({ "policy_id": id })))
}

async fn edit(State(state): State<AppState>, JsonObject(body): JsonObject) -> Reply {
    let id = required_str(&body, "policy_id")?;
    let mut ws = state.workspace();
    let stored = ws
        .policies
        .get(&id)
        .cloned()
        .ok_or_else(|| no_such_policy(&id))?;
    check_body(&ws, &body, Some(&id))?;
    // A full replace of the configuration; the server's fields stay.
    let mut policy: Map<String, Value> = stored
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| OUTPUT_ONLY.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut sent = config(&body);
    store_json_fields(&mut sent, ws.policy_json);
    policy.extend(sent);
    ws.policies.insert(id, Value::Object(policy));
    Ok(Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Cloud;
    use crate::Fixtures;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn definition_must_be_a_json_object_in_a_string() {
        let ok = |d: Value| check_json_object_field(&obj(json!({ "definition": d })), "definition");
        assert!(ok(json!(
            "{\"spark_version\":{\"type\":\"fixed\",\"value\":\"15.4.x-scala2.12\"}}"
        ))
        .is_ok());
        assert!(ok(json!("{}")).is_ok());
        assert!(ok(json!("not json")).is_err());
        assert!(ok(json!("[1,2]")).is_err());
        assert!(
            ok(json!({"spark_version": {}})).is_err(),
            "an object, not a string"
        );
        assert!(check_json_object_field(&obj(json!({})), "definition").is_ok());
    }

    #[test]
    fn names_are_unique_and_bounded() {
        let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 1);
        ws.policies
            .insert("A".into(), json!({"policy_id": "A", "name": "etl"}));
        assert_eq!(
            check_body(&ws, &obj(json!({"name": "etl"})), None)
                .unwrap_err()
                .error_code,
            json!("RESOURCE_ALREADY_EXISTS")
        );
        assert!(check_body(&ws, &obj(json!({"name": "etl"})), Some("A")).is_ok());
        assert!(check_body(&ws, &obj(json!({})), None).is_err());
        assert!(check_body(&ws, &obj(json!({"name": "x".repeat(101)})), None).is_err());
        assert!(check_body(
            &ws,
            &obj(json!({"name": "y", "max_clusters_per_user": 0})),
            None
        )
        .is_err());
    }

    #[test]
    fn sorting() {
        let p = |id: &str, name: &str, t: i64| json!({"policy_id": id, "name": name, "created_at_timestamp": t});
        let mut items = vec![p("1", "b", 30), p("2", "c", 10), p("3", "a", 20)];
        let ids = |items: &[Value]| -> Vec<String> {
            items
                .iter()
                .map(|p| p["policy_id"].as_str().unwrap().to_string())
                .collect()
        };
        sort_policies(&mut items, SortColumn::CreationTime, false);
        assert_eq!(ids(&items), ["2", "3", "1"]);
        sort_policies(&mut items, SortColumn::Name, true);
        assert_eq!(ids(&items), ["2", "1", "3"]);
        let q = Query::parse(Some("sort_column=POLICY_NAME&sort_order=DESC"));
        assert_eq!(parse_sort(&q).unwrap(), (SortColumn::Name, true));
        assert!(parse_sort(&Query::parse(Some("sort_column=SIZE"))).is_err());
        assert!(parse_sort(&Query::parse(Some("sort_order=UP"))).is_err());
    }
}
