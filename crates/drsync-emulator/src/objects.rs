//! What the APIs of objects kept by id and name (instance pools, cluster policies) share: names that are unique
//! in the workspace, get and delete by id. The caller holds the workspace; nothing here routes requests.

use super::error::ApiError;
use super::params::{body_object, required_str, Query};
use super::state::Workspace;
use super::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::routing::{get, post, MethodRouter};
use axum::Json;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Names are 1–100 characters and unique among `objects` (by their `name_key` field), except for the object
/// `except` (the one being edited). `kind` starts the error of a bad length ("Instance pool name"), `taken`
/// is the error of a taken name.
pub(crate) fn check_unique_name(
    objects: &BTreeMap<String, Value>,
    name_key: &str,
    name: &str,
    except: Option<&str>,
    kind: &str,
    taken: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    let len = name.chars().count();
    if !(1..=100).contains(&len) {
        return Err(ApiError::invalid_parameter(format!(
            "{kind} must be between 1 and 100 characters, got {len}"
        )));
    }
    let is_taken = objects.iter().any(|(id, o)| {
        Some(id.as_str()) != except && o.get(name_key).and_then(Value::as_str) == Some(name)
    });
    if is_taken {
        return Err(ApiError::already_exists(taken()));
    }
    Ok(())
}

/// The `GET .../get` route of objects kept by id: the stored body of the object the query's `id_key` names, or
/// `not_found` of that id.
pub(crate) fn get_route(
    id_key: &'static str,
    objects: fn(&Workspace) -> &BTreeMap<String, Value>,
    not_found: fn(&str) -> ApiError,
) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>, RawQuery(raw): RawQuery| async move {
            let q = Query::parse(raw.as_deref());
            let id = q.require(id_key)?;
            objects(&state.workspace())
                .get(id)
                .cloned()
                .map(Json)
                .ok_or_else(|| not_found(id))
        },
    )
}

/// The `POST .../delete` route of objects kept by id: remove the object whose id the body's `id_key` names from
/// the map `objects` picks, and its ACL (kept under `acl_prefix` + id, e.g. `/instance-pools/`), or answer
/// `not_found` of that id.
pub(crate) fn delete_route(
    id_key: &'static str,
    acl_prefix: &'static str,
    objects: fn(&mut Workspace) -> &mut BTreeMap<String, Value>,
    not_found: fn(&str) -> ApiError,
) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>, body: Bytes| async move {
            let body = body_object(&body)?;
            let id = required_str(&body, id_key)?;
            let mut ws = state.workspace();
            if objects(&mut ws).remove(&id).is_none() {
                return Err(not_found(&id));
            }
            ws.forget_acl(&format!("{acl_prefix}{id}"));
            Ok::<_, ApiError>(Json(json!({})))
        },
    )
}
