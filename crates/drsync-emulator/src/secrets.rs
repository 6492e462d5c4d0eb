//! The secrets API (`/api/2.0/secrets/...`): scopes (create, delete, list), secrets (put, list, delete) and
//! scope ACLs (put, get, list, delete), with the shapes, defaults and error codes of databricks-sdk-py
//! `service/workspace.py` (`SecretsAPI`, `SecretScope`, `SecretMetadata`, `AclItem`, `ListAclsResponse`).
//!
//! Secret values are stored and never returned: the emulator has no `secrets/get` (an undocumented API "only
//! used for DBUtils", per the SDK's `get_secret` docstring), so no endpoint here ever answers with a value.

use super::auth::{caller, Principal};
use super::error::ApiError;
use super::params::{required_str, JsonObject, Query};
use super::state::{now_ms, PrincipalKind, Scope, Secret, Workspace};
use super::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The secrets routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/2.0/secrets/scopes/list", get(list_scopes))
        .route("/api/2.0/secrets/scopes/create", post(create_scope))
        .route("/api/2.0/secrets/scopes/delete", post(delete_scope))
        .route("/api/2.0/secrets/list", get(list_secrets))
        .route("/api/2.0/secrets/put", post(put_secret))
        .route("/api/2.0/secrets/delete", post(delete_secret))
        .route("/api/2.0/secrets/acls/list", get(list_acls))
        .route("/api/2.0/secrets/acls/get", get(get_acl))
        .route("/api/2.0/secrets/acls/put", post(put_acl))
        .route("/api/2.0/secrets/acls/delete", post(delete_acl))
}

type Reply = Result<Json<Value>, ApiError>;

/// The ACL permissions, `AclPermission` in databricks-sdk-py `service/workspace.py` (provider-behaviour.md
/// §10: READ, WRITE, MANAGE).
const PERMISSIONS: &[&str] = &["READ", "WRITE", "MANAGE"];

/// The most secrets a scope holds (`put_secret` docstring: "The maximum number of secrets in a given scope is
/// 1000").
const MAX_SECRETS: usize = 1000;

/// The largest value (`put_secret` docstring: "The maximum allowed secret value size is 128 KB").
const MAX_VALUE_BYTES: usize = 128 * 1024;

/// Scope names and keys: "alphanumeric characters, dashes, underscores, and periods, and may not exceed 128
/// characters" (`create_scope` and `put_secret` docstrings).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `RESOURCE_DOES_NOT_EXIST` for a scope; the wording as the service gives it for scopes (the SDK docstrings
/// name the code; "Scope ... does not exist!" mirrors the "Scope my_scope already exists!" the service sends,
/// databricks/databricks-cli#340).
fn no_such_scope(scope: &str) -> ApiError {
    ApiError::does_not_exist(format!("Scope {scope} does not exist!"))
}

fn scope_mut<'a>(ws: &'a mut Workspace, scope: &str) -> Result<&'a mut Scope, ApiError> {
    ws.secrets
        .0
        .get_mut(scope)
        .ok_or_else(|| no_such_scope(scope))
}

fn scope_ref<'a>(ws: &'a Workspace, scope: &str) -> Result<&'a Scope, ApiError> {
    ws.secrets.0.get(scope).ok_or_else(|| no_such_scope(scope))
}

// ---------------------------------------------------------------------------------------------------------
// Scopes

/// `{"scopes": [...]}`, `scopes` left out when there are none (`ListScopesResponse`, whose `as_dict` omits
/// an empty list).
async fn list_scopes(State(state): State<AppState>) -> Json<Value> {
    let ws = state.workspace();
    let scopes: Vec<Value> = ws.secrets.0.values().map(|s| s.meta.clone()).collect();
    Json(if scopes.is_empty() {
        json!({})
    } else {
        json!({ "scopes": scopes })
    })
}

/// `scopes/create`. `scope_backend_type` defaults to `DATABRICKS` ("If not specified, will default to
/// DATABRICKS"); `AZURE_KEYVAULT` takes `backend_azure_keyvault` (`resource_id`, `dns_name`), listed back as
/// `keyvault_metadata` (`SecretScope`). The initial `MANAGE` ACL goes to `initial_manage_principal` ("The only
/// supported principal for this option is the group users") or, without it, to "the API request issuer's
/// user identity" (all from the `create_scope` docstring); for a service principal that identity is its
/// application id, the name secret ACLs give service principals by (inferred: the provider's exporter matches
/// ACL principals to SPs by `application_id`, provider-behaviour.md §10).
async fn create_scope(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    JsonObject(body): JsonObject,
) -> Reply {
    let scope = required_str(&body, "scope")?;
    if !valid_name(&scope) {
        return Err(ApiError::invalid_parameter(format!(
            "Scope name can only contain alphanumeric characters, dashes, underscores, and periods, and may not exceed 128 characters: {scope}"
        )));
    }
    let backend = body
        .get("scope_backend_type")
        .and_then(Value::as_str)
        .unwrap_or("DATABRICKS")
        .to_ascii_uppercase();
    let mut meta = Map::new();
    meta.insert("name".into(), json!(scope));
    match backend.as_str() {
        "DATABRICKS" => {}
        "AZURE_KEYVAULT" => {
            let kv = body
                .get("backend_azure_keyvault")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    ApiError::invalid_parameter(
                        "backend_azure_keyvault is required for an AZURE_KEYVAULT scope",
                    )
                })?;
            let resource_id = required_str(kv, "resource_id")?;
            let dns_name = required_str(kv, "dns_name")?;
            meta.insert(
                "keyvault_metadata".into(),
                json!({"resource_id": resource_id, "dns_name": dns_name}),
            );
        }
        other => {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid scope_backend_type: {other}"
            )))
        }
    }
    meta.insert("backend_type".into(), json!(backend));
    let manager = match body.get("initial_manage_principal").and_then(Value::as_str) {
        None | Some("") => None,
        Some("users") => Some("users".to_string()),
        Some(other) => {
            return Err(ApiError::invalid_parameter(format!(
                "initial_manage_principal must be users, got {other}"
            )))
        }
    };
    let mut ws = state.workspace();
    if ws.secrets.0.contains_key(&scope) {
        // The body the service sends (databricks/databricks-cli#340).
        return Err(ApiError::already_exists(format!(
            "Scope {scope} already exists!"
        )));
    }
    let manager = manager.unwrap_or_else(|| caller(&ws, &principal));
    ws.secrets.0.insert(
        scope,
        Scope {
            meta: Value::Object(meta),
            secrets: BTreeMap::new(),
            acls: BTreeMap::from([(manager, "MANAGE".to_string())]),
        },
    );
    Ok(Json(json!({})))
}

/// `scopes/delete`: the scope with its secrets and ACLs.
async fn delete_scope(State(state): State<AppState>, JsonObject(body): JsonObject) -> Reply {
    let scope = required_str(&body, "scope")?;
    let mut ws = state.workspace();
    ws.secrets
        .0
        .remove(&scope)
        .ok_or_else(|| no_such_scope(&scope))?;
    Ok(Json(json!({})))
}

// ---------------------------------------------------------------------------------------------------------
// Secrets

/// `secrets/list`: key names and `last_updated_timestamp` only ("a metadata-only operation; secret data
/// cannot be retrieved using this API"), `secrets` left out when there are none (`ListSecretsResponse`).
async fn list_secrets(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let scope = q.require("scope")?;
    let ws = state.workspace();
    let found = scope_ref(&ws, scope)?;
    let secrets: Vec<Value> = found
        .secrets
        .iter()
        .map(|(key, s)| json!({"key": key, "last_updated_timestamp": s.last_updated_timestamp}))
        .collect();
    Ok(Json(if secrets.is_empty() {
        json!({})
    } else {
        json!({ "secrets": secrets })
    }))
}

/// `secrets/put`: exactly one of `string_value` and `bytes_value`, at most 128 KB, at most 1000 secrets a
/// scope; Azure Key Vault scopes are read-only here (`BAD_REQUEST`). All from the `put_secret` docstring.
async fn put_secret(State(state): State<AppState>, JsonObject(body): JsonObject) -> Reply {
    let scope = required_str(&body, "scope")?;
    let key = required_str(&body, "key")?;
    if !valid_name(&key) {
        return Err(ApiError::invalid_parameter(format!(
            "Secret key can only contain alphanumeric characters, dashes, underscores, and periods, and may not exceed 128 characters: {key}"
        )));
    }
    let value = match (body.get("string_value"), body.get("bytes_value")) {
        (Some(Value::String(s)), None) => s.as_bytes().to_vec(),
        (None, Some(Value::String(b))) => b.as_bytes().to_vec(),
        (Some(_), Some(_)) => {
            return Err(ApiError::malformed(
                "Exactly one of string_value and bytes_value must be specified",
            ))
        }
        _ => {
            return Err(ApiError::invalid_parameter(
                "Exactly one of string_value and bytes_value must be specified",
            ))
        }
    };
    if value.len() > MAX_VALUE_BYTES {
        return Err(ApiError::invalid_parameter(
            "The secret value exceeds the maximum size of 128 KB",
        ));
    }
    let mut ws = state.workspace();
    let found = scope_mut(&mut ws, &scope)?;
    if found.meta.get("backend_type").and_then(Value::as_str) == Some("AZURE_KEYVAULT") {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("Scope {scope} is backed by Azure Key Vault: put secrets there"),
        ));
    }
    if !found.secrets.contains_key(&key) && found.secrets.len() >= MAX_SECRETS {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "RESOURCE_LIMIT_EXCEEDED",
            format!("Scope {scope} already holds {MAX_SECRETS} secrets"),
        ));
    }
    found.secrets.insert(
        key,
        Secret {
            value: Some(value),
            last_updated_timestamp: now_ms(),
        },
    );
    Ok(Json(json!({})))
}

/// `secrets/delete`.
async fn delete_secret(State(state): State<AppState>, JsonObject(body): JsonObject) -> Reply {
    let scope = required_str(&body, "scope")?;
    let key = required_str(&body, "key")?;
    let mut ws = state.workspace();
    let found = scope_mut(&mut ws, &scope)?;
    found.secrets.remove(&key).ok_or_else(|| {
        ApiError::does_not_exist(format!("Secret {key} does not exist in scope {scope}!"))
    })?;
    Ok(Json(json!({})))
}

// ---------------------------------------------------------------------------------------------------------
// ACLs

fn acl_item(principal: &str, permission: &str) -> Value {
    json!({"principal": principal, "permission": permission})
}

fn no_such_acl(scope: &str, principal: &str) -> ApiError {
    ApiError::does_not_exist(format!("No ACL for principal {principal} in scope {scope}"))
}

/// `acls/list`: `{"items": [...]}` (`ListAclsResponse.items`; the docstring's example says `acls`, the model
/// reads `items`), in principal order.
async fn list_acls(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let scope = q.require("scope")?;
    let ws = state.workspace();
    let items: Vec<Value> = scope_ref(&ws, scope)?
        .acls
        .iter()
        .map(|(p, perm)| acl_item(p, perm))
        .collect();
    Ok(Json(if items.is_empty() {
        json!({})
    } else {
        json!({ "items": items })
    }))
}

/// `acls/get`: one `AclItem`.
async fn get_acl(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let scope = q.require("scope")?;
    let principal = q.require("principal")?;
    let ws = state.workspace();
    let found = scope_ref(&ws, scope)?;
    found
        .acls
        .get(principal)
        .map(|perm| Json(acl_item(principal, perm)))
        .ok_or_else(|| no_such_acl(scope, principal))
}

/// `acls/put`: creates or overwrites (provider-behaviour.md §10; the `put_acl` docstring: "Creates or
/// overwrites the ACL"). The principal must be "an existing Databricks principal" (a user by user name, a
/// group by display name, a service principal by application id), else `INVALID_PARAMETER_VALUE`, as for a
/// permission that is not `READ`, `WRITE` or `MANAGE`.
async fn put_acl(State(state): State<AppState>, JsonObject(body): JsonObject) -> Reply {
    let scope = required_str(&body, "scope")?;
    let principal = required_str(&body, "principal")?;
    let permission = required_str(&body, "permission")?;
    if !PERMISSIONS.contains(&permission.as_str()) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid permission {permission}: must be one of READ, WRITE, MANAGE"
        )));
    }
    let mut ws = state.workspace();
    if !ws.principal_exists_any(&principal) {
        return Err(ApiError::invalid_parameter(format!(
            "Principal {principal} does not exist"
        )));
    }
    scope_mut(&mut ws, &scope)?
        .acls
        .insert(principal, permission);
    Ok(Json(json!({})))
}

/// `acls/delete`.
async fn delete_acl(State(state): State<AppState>, JsonObject(body): JsonObject) -> Reply {
    let scope = required_str(&body, "scope")?;
    let principal = required_str(&body, "principal")?;
    let mut ws = state.workspace();
    scope_mut(&mut ws, &scope)?
        .acls
        .remove(&principal)
        .ok_or_else(|| no_such_acl(&scope, &principal))?;
    Ok(Json(json!({})))
}

impl Workspace {
    /// Whether `name` names a principal a secret ACL may hold: a user (user name), a group (display name) or
    /// a service principal (application id).
    pub(crate) fn principal_exists_any(&self, name: &str) -> bool {
        [
            PrincipalKind::User,
            PrincipalKind::Group,
            PrincipalKind::ServicePrincipal,
        ]
        .into_iter()
        .any(|kind| self.principal_exists(kind, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Scopes;

    #[test]
    fn names_follow_the_documented_pattern() {
        assert!(valid_name("etl-secrets"));
        assert!(valid_name("a.b_c-9"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("has space"));
        assert!(!valid_name(&"x".repeat(129)));
        assert!(valid_name(&"x".repeat(128)));
    }

    #[test]
    fn seeding_keeps_names_and_acls_of_listed_scopes_only() {
        let list = json!({"scopes": [{"name": "a", "backend_type": "DATABRICKS"}]});
        let secrets = json!({"a": {"secrets": [{"key": "k", "last_updated_timestamp": 5}]},
                             "ghost": {"secrets": [{"key": "x"}]}});
        let acls = json!({"a": {"items": [{"principal": "users", "permission": "READ"}]}});
        let s = Scopes::seed(Some(&list), Some(&secrets), Some(&acls));
        assert_eq!(s.0.len(), 1);
        assert_eq!(s.0["a"].secrets["k"].last_updated_timestamp, 5);
        assert_eq!(s.0["a"].acls["users"], "READ");
        let shown = format!("{:?}", s.0["a"].secrets["k"]);
        assert!(shown.contains("redacted"), "{shown}");
    }
}
