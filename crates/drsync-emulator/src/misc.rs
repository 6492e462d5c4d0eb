//! The smaller read APIs a DR tool touches: SCIM `Me`, instance profiles, cluster libraries
//! (status, install, uninstall) and the workspace tree (get-status, list). Bodies come from the workspace
//! state as the real service shapes them; this module must not invent objects that the state does not imply.
//!
//! Library lifecycle: `install` adds each new library as `PENDING`; a later status read (`cluster-status` or
//! `all-cluster-statuses`) turns `PENDING` into `INSTALLED` when the cluster is `RUNNING` (on a terminated or
//! starting cluster it stays `PENDING` until a read finds it running). `uninstall` marks libraries
//! `UNINSTALL_ON_RESTART`; they disappear when the cluster next starts or restarts (see `clusters`).
//!
//! Workspace tree: objects come from the fixtures; every ancestor folder of an object exists as a
//! `DIRECTORY` (with an object id derived from its path), and `/` always exists.

use super::auth::Principal;
use super::error::ApiError;
use super::params::{body_object, Query};
use super::state::Workspace;
use super::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// SCIM `Me`, instance profiles, libraries and workspace routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/2.0/preview/scim/v2/Me", get(me))
        .route("/api/2.0/instance-profiles/list", get(instance_profiles))
        .route("/api/2.0/libraries/cluster-status", get(cluster_status))
        .route("/api/2.0/libraries/all-cluster-statuses", get(all_statuses))
        .route("/api/2.0/libraries/install", post(install))
        .route("/api/2.0/libraries/uninstall", post(uninstall))
        .route("/api/2.0/workspace/get-status", get(get_status))
        .route("/api/2.0/workspace/list", get(list_workspace))
}

type Reply = Result<Json<Value>, ApiError>;

// ---------------------------------------------------------------------------------------------------------
// SCIM Me

/// FNV-1a, for ids derived from names (stable across runs, unlike `DefaultHasher`).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A 15-digit id derived from `text`, the size of real SCIM and workspace object ids.
fn derived_id(text: &str) -> u64 {
    100_000_000_000_000 + fnv1a(text) % 900_000_000_000_000
}

/// The SCIM body of the service principal behind an OAuth client.
fn service_principal(ws: &Workspace, client_id: &str) -> Value {
    let mut sp = json!({
        "id": derived_id(client_id).to_string(),
        "userName": client_id,
        "applicationId": client_id,
        "displayName": client_id,
        "active": true,
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"],
        "entitlements": [{"value": "allow-cluster-create"}],
    });
    if let Some(groups) = ws.me.get("groups") {
        sp["groups"] = groups.clone();
    }
    sp
}

/// SCIM `attributes` (keep only these, plus `id` and `schemas`) and `excludedAttributes` (drop these).
fn project_attributes(mut body: Value, q: &Query) -> Value {
    let list = |key: &str| -> Vec<String> {
        q.get(key)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let keep = list("attributes");
    let drop = list("excludedAttributes");
    if let Some(obj) = body.as_object_mut() {
        obj.retain(|k, _| {
            let k_lower = k.to_ascii_lowercase();
            let always = k == "id" || k == "schemas";
            (keep.is_empty() || always || keep.contains(&k_lower))
                && (always || !drop.contains(&k_lower))
        });
    }
    body
}

/// SCIM `Me`, with the workspace id in the `X-Databricks-Org-Id` response header, where the Go SDK's
/// `WorkspaceClient.CurrentWorkspaceID` reads it (databricks-sdk-go `workspace_functions.go`).
async fn me(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    RawQuery(raw): RawQuery,
) -> ([(&'static str, String); 1], Json<Value>) {
    let q = Query::parse(raw.as_deref());
    let ws = state.workspace();
    let body = match &principal {
        Some(Extension(Principal(Some(client_id)))) => service_principal(&ws, client_id),
        _ => ws.me.clone(),
    };
    (
        [("x-databricks-org-id", state.workspace_id().to_string())],
        Json(project_attributes(body, &q)),
    )
}

async fn instance_profiles(State(state): State<AppState>) -> Json<Value> {
    Json(state.workspace().instance_profiles.clone())
}

// ---------------------------------------------------------------------------------------------------------
// Libraries

fn no_such_cluster(id: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Cluster {id} does not exist"))
}

/// A cluster the libraries API knows: a stored cluster, or one seeded with library statuses only.
fn known_cluster(ws: &Workspace, id: &str) -> bool {
    ws.clusters.contains_key(id) || ws.libraries.contains_key(id)
}

fn cluster_running(ws: &Workspace, id: &str) -> bool {
    ws.clusters
        .get(id)
        .and_then(|c| c.get("state"))
        .and_then(Value::as_str)
        == Some("RUNNING")
}

/// The read side of the library lifecycle: on a running cluster, `PENDING` becomes `INSTALLED`.
fn settle(ws: &mut Workspace, id: &str) {
    if !cluster_running(ws, id) {
        return;
    }
    if let Some(libs) = ws.libraries.get_mut(id) {
        for lib in libs.iter_mut() {
            if lib.get("status").and_then(Value::as_str) == Some("PENDING") {
                lib["status"] = json!("INSTALLED");
            }
        }
    }
}

/// A `libraries/cluster-status` body.
fn status_body(ws: &Workspace, id: &str) -> Value {
    let mut body = json!({ "cluster_id": id });
    if let Some(libs) = ws.libraries.get(id).filter(|l| !l.is_empty()) {
        body["library_statuses"] = Value::Array(libs.clone());
    }
    body
}

async fn cluster_status(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let id = q.require("cluster_id")?;
    let mut ws = state.workspace();
    if !known_cluster(&ws, id) {
        return Err(no_such_cluster(id));
    }
    settle(&mut ws, id);
    Ok(Json(status_body(&ws, id)))
}

async fn all_statuses(State(state): State<AppState>) -> Json<Value> {
    let mut ws = state.workspace();
    let ids: Vec<String> = ws
        .libraries
        .iter()
        .filter(|(_, libs)| !libs.is_empty())
        .map(|(id, _)| id.clone())
        .collect();
    let mut statuses = Vec::new();
    for id in ids {
        settle(&mut ws, &id);
        statuses.push(status_body(&ws, &id));
    }
    if statuses.is_empty() {
        Json(json!({}))
    } else {
        Json(json!({ "statuses": statuses }))
    }
}

/// The `cluster_id` and `libraries` of an install or uninstall body.
fn libraries_request(body: &Bytes) -> Result<(String, Vec<Value>), ApiError> {
    let body = body_object(body)?;
    let id = match body.get("cluster_id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(ApiError::invalid_parameter(
                "Missing required field: cluster_id",
            ))
        }
    };
    let libraries = match body.get("libraries") {
        Some(Value::Array(items)) if !items.is_empty() => items.clone(),
        _ => {
            return Err(ApiError::invalid_parameter(
                "Missing required field: libraries",
            ))
        }
    };
    if let Some(bad) = libraries
        .iter()
        .find(|l| l.as_object().is_none_or(Map::is_empty))
    {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid library specification: {bad}"
        )));
    }
    Ok((id, libraries))
}

/// Add libraries to a cluster's statuses (each once, as `PENDING`).
fn add_libraries(statuses: &mut Vec<Value>, libraries: Vec<Value>) {
    for library in libraries {
        match statuses
            .iter_mut()
            .find(|s| s.get("library") == Some(&library))
        {
            Some(existing) => {
                if existing.get("status").and_then(Value::as_str) == Some("UNINSTALL_ON_RESTART") {
                    existing["status"] = json!("INSTALLED");
                }
            }
            None => statuses.push(json!({
                "library": library,
                "status": "PENDING",
                "is_library_for_all_clusters": false,
            })),
        }
    }
}

/// Mark libraries for removal at the next restart.
fn mark_uninstall(statuses: &mut [Value], libraries: &[Value]) {
    for s in statuses.iter_mut() {
        if s.get("library").is_some_and(|l| libraries.contains(l)) {
            s["status"] = json!("UNINSTALL_ON_RESTART");
        }
    }
}

async fn install(State(state): State<AppState>, body: Bytes) -> Reply {
    let (id, libraries) = libraries_request(&body)?;
    let mut ws = state.workspace();
    if !known_cluster(&ws, &id) {
        return Err(no_such_cluster(&id));
    }
    add_libraries(ws.libraries.entry(id).or_default(), libraries);
    Ok(Json(json!({})))
}

async fn uninstall(State(state): State<AppState>, body: Bytes) -> Reply {
    let (id, libraries) = libraries_request(&body)?;
    let mut ws = state.workspace();
    if !known_cluster(&ws, &id) {
        return Err(no_such_cluster(&id));
    }
    if let Some(statuses) = ws.libraries.get_mut(&id) {
        mark_uninstall(statuses, &libraries);
    }
    Ok(Json(json!({})))
}

// ---------------------------------------------------------------------------------------------------------
// Workspace tree

fn no_such_path(path: &str) -> ApiError {
    ApiError::does_not_exist(format!("Path ({path}) doesn't exist."))
}

/// `/a/b/` → `/a/b`; the root stays `/`.
fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The parent folder of a normalized path (`None` for the root).
fn parent(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

/// A folder that exists because objects lie beneath it.
fn implied_directory(path: &str) -> Value {
    let id = derived_id(path);
    json!({
        "path": path,
        "object_type": "DIRECTORY",
        "object_id": id,
        "resource_id": id.to_string(),
    })
}

/// Every object of the tree by path: the stored ones, plus the folders their paths imply, plus `/`. Built once
/// per workspace (`Workspace::workspace_tree`), so that `get-status` and `list` are lookups, not a rebuild of
/// the whole tree per request (tens of thousands of objects at 10,000 synthetic jobs).
fn tree(ws: &Workspace) -> &BTreeMap<String, Value> {
    ws.workspace_tree.get_or_init(|| {
        let mut all: BTreeMap<String, Value> = BTreeMap::new();
        all.insert("/".to_string(), implied_directory("/"));
        for (path, obj) in &ws.workspace_objects {
            let path = normalize(path);
            let mut up = parent(&path);
            while let Some(dir) = up {
                all.entry(dir.to_string())
                    .or_insert_with(|| implied_directory(dir));
                up = parent(dir);
            }
            all.insert(path, obj.clone());
        }
        all
    })
}

fn is_folder(obj: &Value) -> bool {
    matches!(
        obj.get("object_type").and_then(Value::as_str),
        Some("DIRECTORY" | "REPO")
    )
}

async fn get_status(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let path = q.require("path")?;
    let ws = state.workspace();
    tree(&ws)
        .get(&normalize(path))
        .cloned()
        .map(Json)
        .ok_or_else(|| no_such_path(path))
}

/// The `workspace/list` body of `path` in `all`: a folder's (or repo's) direct children, or the object itself
/// when it is no folder; `objects` left out when there are none (the SDK reads `json.get('objects', [])`). One
/// page, as the API has no paging here (docs.databricks.com/api/workspace-objects/v1/list: no page token;
/// databricks-sdk-py `WorkspaceAPI.list` makes one call). The descendants of a folder are contiguous in the
/// sorted tree, so only they are scanned.
fn list_body(all: &BTreeMap<String, Value>, path: &str) -> Option<Value> {
    let target = all.get(path)?;
    let objects: Vec<Value> = if is_folder(target) {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        all.range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| parent(p) == Some(path))
            .map(|(_, o)| o.clone())
            .collect()
    } else {
        vec![target.clone()]
    };
    Some(if objects.is_empty() {
        json!({})
    } else {
        json!({ "objects": objects })
    })
}

async fn list_workspace(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let path = q.require("path")?;
    let ws = state.workspace();
    list_body(tree(&ws), &normalize(path))
        .map(Json)
        .ok_or_else(|| no_such_path(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Cloud;
    use crate::Fixtures;

    fn ws_with_objects() -> Workspace {
        let fixtures = Fixtures {
            workspace_objects: vec![
                json!({"path": "/Shared/init/setup.sh", "object_type": "FILE", "object_id": 11}),
                json!({"path": "/Shared/etl", "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 12}),
                json!({"path": "/Users/a@b.com", "object_type": "DIRECTORY", "object_id": 13}),
                json!({"path": "/Shared/init-old.sh", "object_type": "FILE", "object_id": 14}),
                json!({"path": "/Repos/a@b.com/r", "object_type": "REPO", "object_id": 15}),
                json!({"path": "/Repos/a@b.com/r/nb", "object_type": "NOTEBOOK", "language": "SQL", "object_id": 16}),
            ],
            ..Fixtures::default()
        };
        Workspace::new(Cloud::Aws, fixtures, 1)
    }

    #[test]
    fn tree_implies_folders_and_lists_direct_children() {
        let ws = ws_with_objects();
        let all = tree(&ws);
        assert_eq!(all["/Shared"]["object_type"], "DIRECTORY");
        assert_eq!(all["/Shared/init"]["object_type"], "DIRECTORY");
        assert_eq!(all["/Users/a@b.com"]["object_id"], 13, "stored objects win");
        let root = list_body(all, "/").unwrap();
        let paths: Vec<&str> = root["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["/Repos", "/Shared", "/Users"]);
        let shared = list_body(all, "/Shared").unwrap();
        assert_eq!(shared["objects"].as_array().unwrap().len(), 3);
        // Only the folder's own children, not a sibling that shares the start of its name.
        assert_eq!(
            list_body(all, &normalize("/Shared/init/")).unwrap(),
            json!({"objects": [all["/Shared/init/setup.sh"]]})
        );
        // A repo lists its children like a folder.
        assert_eq!(
            list_body(all, "/Repos/a@b.com/r").unwrap()["objects"][0]["object_id"],
            16
        );
        assert_eq!(list_body(all, "/Users/a@b.com").unwrap(), json!({}));
        let file = list_body(all, "/Shared/etl").unwrap();
        assert_eq!(file["objects"][0]["object_type"], "NOTEBOOK");
        assert!(list_body(all, "/nope").is_none());
        assert_eq!(normalize("/Shared/"), "/Shared");
        assert_eq!(normalize("/"), "/");
        assert_eq!(
            implied_directory("/Shared")["object_id"],
            implied_directory("/Shared")["object_id"]
        );
    }

    #[test]
    fn library_lifecycle() {
        let mut statuses = Vec::new();
        let a = json!({"pypi": {"package": "requests"}});
        let b = json!({"jar": "/Volumes/c/s/v/x.jar"});
        add_libraries(&mut statuses, vec![a.clone(), b.clone(), a.clone()]);
        assert_eq!(statuses.len(), 2);
        assert!(statuses.iter().all(|s| s["status"] == "PENDING"));
        assert_eq!(statuses[0]["is_library_for_all_clusters"], false);
        mark_uninstall(&mut statuses, std::slice::from_ref(&b));
        assert_eq!(statuses[1]["status"], "UNINSTALL_ON_RESTART");
        assert_eq!(statuses[0]["status"], "PENDING");

        let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 1);
        ws.clusters.insert(
            "c1".into(),
            json!({"cluster_id": "c1", "state": "TERMINATED"}),
        );
        ws.libraries.insert("c1".into(), statuses);
        settle(&mut ws, "c1");
        assert_eq!(ws.libraries["c1"][0]["status"], "PENDING", "not running");
        ws.clusters
            .insert("c1".into(), json!({"cluster_id": "c1", "state": "RUNNING"}));
        settle(&mut ws, "c1");
        assert_eq!(ws.libraries["c1"][0]["status"], "INSTALLED");
        assert_eq!(ws.libraries["c1"][1]["status"], "UNINSTALL_ON_RESTART");
    }

    #[test]
    fn scim_projection_and_service_principals() {
        let ws = Workspace::new(Cloud::Aws, Fixtures::default(), 1);
        let sp = service_principal(&ws, "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab");
        assert_eq!(sp["userName"], "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab");
        assert_eq!(
            sp["schemas"][0],
            "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
        );
        let only = project_attributes(ws.me.clone(), &Query::parse(Some("attributes=userName")));
        let mut keys: Vec<&String> = only.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["id", "schemas", "userName"]);
        let without = project_attributes(
            ws.me.clone(),
            &Query::parse(Some("excludedAttributes=groups,emails")),
        );
        assert!(without.get("groups").is_none() && without.get("emails").is_none());
        assert!(without.get("userName").is_some());
    }
}
