//! `databricks_secret_scope` (§9) and `databricks_secret_acl` (§10).

use super::diff::Rule;
use super::Problem;
use drsync::api::WorkspaceClient;
use serde_json::{json, Map, Value};

pub const SCOPE: &str = "databricks_secret_scope";
pub const ACL: &str = "databricks_secret_acl";

/// §9.2: `^[\w\.@_/-]{1,128}$` (`secrets/resource_secret_scope.go:60-62`), for scope names and an ACL's
/// `scope` (§10).
fn valid_scope_name(name: &str) -> bool {
    (1..=128).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '/' | '-'))
}

fn text<'a>(b: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    b.get(key).and_then(Value::as_str)
}

pub fn validate_scope(b: &Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    // §9.2: `name` is Required (no `omitempty`), and matches the pattern.
    match text(b, "name") {
        None => out.push(Problem::required("name".to_string())),
        Some(n) if !valid_scope_name(n) => out.push(Problem::value(format!(
            "name {n:?} does not match ^[\\w\\.@_/-]{{1,128}}$"
        ))),
        Some(_) => {}
    }
    // §9.2: `keyvault_metadata` needs `dns_name` and `resource_id`.
    if let Some(kv) = b.get("keyvault_metadata") {
        let kv = match kv {
            Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        for k in ["dns_name", "resource_id"] {
            if kv.get(k).is_none_or(Value::is_null) {
                out.push(Problem::required(format!("keyvault_metadata.{k}")));
            }
        }
    }
    // §13: no `backend_type` (Computed), never `initial_manage_principal` (not read back, so ForceNew forever,
    // §9.3), never `id`.
    for k in ["id", "backend_type", "initial_manage_principal"] {
        if b.contains_key(k) {
            out.push(Problem::never(format!("{k} must not be written (§13)")));
        }
    }
    out
}

pub fn validate_acl(b: &Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    // §10: all three Required; `scope` validated with the scope-name pattern.
    for k in ["scope", "principal", "permission"] {
        if text(b, k).is_none() {
            out.push(Problem::required(k.to_string()));
        }
    }
    if let Some(s) = text(b, "scope") {
        // A reference is known only after apply: Terraform validates the value then.
        if drsync::tfconfig::parse_reference(s).is_none() && !valid_scope_name(s) {
            out.push(Problem::value(format!(
                "scope {s:?} does not match ^[\\w\\.@_/-]{{1,128}}$"
            )));
        }
    }
    if b.contains_key("id") {
        out.push(Problem::never("id is read-only".to_string()));
    }
    out
}

/// The `secrets/scopes/create` body (§9.1): `name` is sent as `scope`, and `scope_backend_type` always, from the
/// presence of `keyvault_metadata` (sent as `backend_azure_keyvault`).
pub fn create_scope(b: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(
        "scope".into(),
        b.get("name").cloned().unwrap_or(Value::Null),
    );
    let kv = match b.get("keyvault_metadata") {
        Some(Value::Array(items)) => items.first().cloned(),
        Some(other) => Some(other.clone()),
        None => None,
    };
    match kv {
        Some(kv) => {
            out.insert("scope_backend_type".into(), json!("AZURE_KEYVAULT"));
            out.insert("backend_azure_keyvault".into(), kv);
        }
        None => {
            out.insert("scope_backend_type".into(), json!("DATABRICKS"));
        }
    }
    if let Some(p) = b.get("initial_manage_principal") {
        out.insert("initial_manage_principal".into(), p.clone());
    }
    out
}

/// The `secrets/acls/put` body (§10): the three attributes as they are.
pub fn create_acl(b: Map<String, Value>) -> Map<String, Value> {
    ["scope", "principal", "permission"]
        .into_iter()
        .filter_map(|k| b.get(k).map(|v| (k.to_string(), v.clone())))
        .collect()
}

/// Read (§9.1, §9.3): `secrets/scopes/list` scanned for the name; sets only `name`, `backend_type` and
/// `keyvault_metadata` (never `initial_manage_principal`). A scope that is not listed is a 404.
pub async fn read_scope(
    client: &WorkspaceClient,
    name: &str,
) -> Result<Map<String, Value>, drsync::api::Error> {
    let scopes = client.list_secret_scopes().await?;
    let Some(found) = scopes.into_iter().find(|s| s.name == name) else {
        return Err(drsync::api::Error::Api {
            workspace: client.name().to_string(),
            method: "GET".into(),
            path: "/api/2.0/secrets/scopes/list".into(),
            status: 404,
            code: Some("RESOURCE_DOES_NOT_EXIST".into()),
            message: format!("Secret scope {name} not found"),
            attempts: 1,
        });
    };
    let mut state = Map::new();
    state.insert("name".into(), json!(found.name));
    if let Some(b) = found.backend_type {
        state.insert("backend_type".into(), json!(b));
    }
    if let Some(kv) = found.extra.get("keyvault_metadata") {
        state.insert("keyvault_metadata".into(), kv.clone());
    }
    Ok(state)
}

/// Read (§10): the id split on the first `|||` into `scope` and `principal`, `permission` from `acls/get`.
pub async fn read_acl(
    client: &WorkspaceClient,
    id: &str,
) -> Result<Map<String, Value>, drsync::api::Error> {
    let (scope, principal) = id.split_once("|||").unwrap_or((id, ""));
    let got = client
        .get(
            "/api/2.0/secrets/acls/get",
            &[
                ("scope", scope.to_string()),
                ("principal", principal.to_string()),
            ],
        )
        .await?;
    Ok(
        json!({"scope": scope, "principal": principal, "permission": got["permission"]})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    )
}

/// §10: after `acls/put`, `acls/get` until the permission reads back (the provider waits up to 5 minutes for a
/// cache; the emulator has none, so a few tries show it).
pub async fn wait_acl(client: &WorkspaceClient, id: &str, permission: &str) -> Result<(), String> {
    for _ in 0..5 {
        match read_acl(client, id).await {
            Ok(state) if state.get("permission").and_then(Value::as_str) == Some(permission) => {
                return Ok(())
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    Err(format!("the ACL {id} did not read back as {permission}"))
}

/// §9.2: `backend_type` is Optional+Computed; everything else plain (all ForceNew: any difference is a
/// replacement, which the plan shows as a diff).
pub fn rule_scope(p: &[&str]) -> Rule {
    match p {
        ["backend_type"] => Rule::computed(),
        _ => Rule::default(),
    }
}

/// §10: three plain attributes, compared as strings.
pub fn rule_acl(_: &[&str]) -> Rule {
    Rule::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn scope_validation_and_request() {
        assert!(validate_scope(&map(json!({"name": "etl-secrets"}))).is_empty());
        assert!(validate_scope(&map(json!({"name": "a/b@c.d_e"}))).is_empty());
        assert_eq!(validate_scope(&map(json!({"name": "has space"}))).len(), 1);
        assert_eq!(validate_scope(&map(json!({}))).len(), 1);
        assert_eq!(
            validate_scope(&map(json!({"name": "x", "initial_manage_principal": "users", "backend_type": "DATABRICKS"})))
                .len(),
            2
        );
        assert_eq!(
            create_scope(map(json!({"name": "x"}))),
            map(json!({"scope": "x", "scope_backend_type": "DATABRICKS"}))
        );
        let kv = json!({"dns_name": "https://v.vault.azure.net/", "resource_id": "/r"});
        assert_eq!(
            create_scope(map(json!({"name": "x", "keyvault_metadata": [kv.clone()]}))),
            map(
                json!({"scope": "x", "scope_backend_type": "AZURE_KEYVAULT", "backend_azure_keyvault": kv})
            )
        );
    }

    #[test]
    fn acl_validation_and_request() {
        let acl = map(json!({"scope": "s", "principal": "users", "permission": "READ"}));
        assert!(validate_acl(&acl).is_empty());
        assert_eq!(create_acl(acl.clone()), acl);
        assert_eq!(validate_acl(&map(json!({"scope": "s"}))).len(), 2);
        assert_eq!(
            validate_acl(&map(
                json!({"scope": "bad scope", "principal": "p", "permission": "READ"})
            ))
            .len(),
            1
        );
    }
}
