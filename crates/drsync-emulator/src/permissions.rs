//! The Permissions API (`GET`, `PUT`, `PATCH /api/2.0/permissions/{request_object_type}/{request_object_id}`)
//! for the object types drsync exports, one row of [`TYPES`] each: the object's ACL as `ObjectPermissions`
//! (databricks-sdk-py `service/iam.py`: `object_id`, `object_type`, `access_control_list` of
//! `AccessControlResponse`, each with `all_permissions` of `Permission {permission_level, inherited,
//! inherited_from_object}`). `PUT` (`SetObjectPermissions`) replaces the direct entries, `PATCH`
//! (`UpdateObjectPermissions`) adds or changes them; levels are checked per object type, principals against the
//! workspace's known principals. It holds no objects of its own: an ACL exists while its object does.
//!
//! Sources: provider-behaviour.md §6.1 (id prefixes, `object_type` values, levels per type, which types have
//! an owner), §6.2 (owner rules, the "no existing owner" answer), §6.3 (emails come back lowercased); the jobs
//! access-control docs (docs.databricks.com `security/auth/access-control/jobs-acl`: "Workspace admins have
//! the CAN MANAGE permission on all jobs in their workspace and the job creator has the IS OWNER permission by
//! default"). Warehouses answer on two paths: `/sql/warehouses/{id}`, the provider's (§6.1, §6.5), and
//! `/warehouses/{id}`, the SDK's (databricks-sdk-py `WarehousesAPI.get_permissions`).

use super::acl::{canonical, creators, direct_grants, principal_field, Grant, PRINCIPAL_FIELDS};
use super::auth::{caller, Principal};
use super::error::ApiError;
use super::params::body_object;
use super::state::Workspace;
use super::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};

/// The `permissions/*` routes. A warehouse's path segment holds a slash, so it has a route of its own.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/2.0/permissions/{object_type}/{object_id}",
            get(get_acl).put(put_acl).patch(patch_acl),
        )
        .route(
            "/api/2.0/permissions/sql/warehouses/{object_id}",
            get(get_warehouse_acl)
                .put(put_warehouse_acl)
                .patch(patch_warehouse_acl),
        )
}

/// The warehouses' `request_object_type` (§6.1).
const WAREHOUSES: &str = "sql/warehouses";

type Reply = Result<Json<Value>, ApiError>;

/// One object type of the Permissions API.
pub(crate) struct ObjectType {
    /// The path segment (`request_object_type`), e.g. `jobs`.
    pub(crate) path: &'static str,
    /// `object_type` in answers (§6.1's table).
    pub(crate) object_type: &'static str,
    /// The levels a grant may have (§6.1's table).
    pub(crate) levels: &'static [&'static str],
    /// Whether the type has an owner (`IS_OWNER`, exactly one, never a group: §6.2).
    pub(crate) owned: bool,
    /// The level the creator holds by default, directly: `IS_OWNER` on jobs (jobs access-control docs); the
    /// provider's Delete restores the creator the same way (§6.2). `CAN_MANAGE` on clusters and pools is
    /// inferred: the provider adds the applying identity as `CAN_MANAGE` on those types (§6.2) because the
    /// service gives the creator that grant. Policies have none (their only level is `CAN_USE`).
    pub(crate) creator_level: Option<&'static str>,
    /// The level the workspace `admins` group inherits from the type's root (`inherited_from_object`
    /// `["/jobs/"]`): `CAN_MANAGE` (jobs access-control docs), `CAN_USE` on policies, the only level they have
    /// [inferred].
    pub(crate) admins_level: &'static str,
    /// Whether the workspace has the object, and who created it.
    pub(crate) lookup: fn(&Workspace, &str) -> Option<Option<String>>,
}

fn creator_of(v: &Value) -> Option<String> {
    v.get("creator_user_name")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A warehouse names its creator in `creator_name` (databricks-sdk-py `sql.GetWarehouseResponse`).
fn warehouse_creator(v: &Value) -> Option<String> {
    v.get("creator_name")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The object types, table-driven: one row per type.
pub(crate) const TYPES: &[ObjectType] = &[
    ObjectType {
        path: "jobs",
        object_type: "job",
        levels: &["CAN_VIEW", "CAN_MANAGE_RUN", "IS_OWNER", "CAN_MANAGE"],
        owned: true,
        creator_level: Some("IS_OWNER"),
        admins_level: "CAN_MANAGE",
        lookup: |ws, id| {
            let id: i64 = id.parse().ok()?;
            ws.jobs.get(&id).map(creator_of)
        },
    },
    ObjectType {
        path: "clusters",
        object_type: "cluster",
        levels: &["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"],
        owned: false,
        creator_level: Some("CAN_MANAGE"),
        admins_level: "CAN_MANAGE",
        lookup: |ws, id| ws.clusters.get(id).map(creator_of),
    },
    ObjectType {
        path: "instance-pools",
        object_type: "instance-pool",
        levels: &["CAN_ATTACH_TO", "CAN_MANAGE"],
        owned: false,
        creator_level: Some("CAN_MANAGE"),
        admins_level: "CAN_MANAGE",
        lookup: |ws, id| ws.pools.get(id).map(creator_of),
    },
    ObjectType {
        path: "cluster-policies",
        object_type: "cluster-policy",
        levels: &["CAN_USE"],
        owned: false,
        creator_level: None,
        admins_level: "CAN_USE",
        lookup: |ws, id| ws.policies.get(id).map(|_| None),
    },
    ObjectType {
        path: WAREHOUSES,
        object_type: "warehouses",
        levels: &[
            "CAN_USE",
            "CAN_MANAGE",
            "CAN_MONITOR",
            "CAN_VIEW",
            "IS_OWNER",
        ],
        owned: true,
        // The owner is the creator, as for jobs: the provider's Delete restores the creator as the owner of
        // jobs and warehouses (§6.2).
        creator_level: Some("IS_OWNER"),
        // [inferred] admins manage every warehouse, as they do jobs (jobs access-control docs).
        admins_level: "CAN_MANAGE",
        lookup: |ws, id| ws.warehouses.get(id).map(warehouse_creator),
    },
    ObjectType {
        path: "pipelines",
        object_type: "pipelines",
        levels: &["CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER"],
        owned: true,
        // [inferred] the creator owns a pipeline as it owns a job: pipelines have exactly one owner (§6.2).
        creator_level: Some("IS_OWNER"),
        // [inferred] as on jobs.
        admins_level: "CAN_MANAGE",
        lookup: |ws, id| ws.pipelines.get(id).map(creator_of),
    },
];

/// The row of a `request_object_type`; `warehouses` is the SDK's name for `sql/warehouses`.
pub(crate) fn object_type(path: &str) -> Option<&'static ObjectType> {
    let path = if path == "warehouses" {
        WAREHOUSES
    } else {
        path
    };
    TYPES.iter().find(|t| t.path == path)
}

/// The row and the id of an `object_id` (`/jobs/12`, `/sql/warehouses/ab`, `/warehouses/ab`).
fn split_object_id(object_id: &str) -> Option<(&'static ObjectType, &str)> {
    let rest = object_id.strip_prefix('/')?;
    let rest = rest.strip_prefix("sql/").unwrap_or(rest);
    let (path, id) = rest.split_once('/')?;
    Some((object_type(path)?, id))
}

fn no_such_object(t: &ObjectType, id: &str) -> ApiError {
    // [UNVERIFIED message] the code is the one the Permissions API gives for a missing object
    // (RESOURCE_DOES_NOT_EXIST, 404: databricks-api.md §3 status mapping).
    ApiError::does_not_exist(format!("{} {id} does not exist.", t.object_type))
}

fn unknown_type(path: &str) -> ApiError {
    ApiError::invalid_parameter(format!(
        "Unsupported request object type: {path}. Supported types: {}",
        TYPES.iter().map(|t| t.path).collect::<Vec<_>>().join(", ")
    ))
}

/// The object's direct grants now: as set, or the creator's default grant when nothing was set yet.
fn current(ws: &Workspace, t: &ObjectType, id: &str) -> Result<Vec<Grant>, ApiError> {
    let creator = (t.lookup)(ws, id).ok_or_else(|| no_such_object(t, id))?;
    let key = acl_key(t.path, id);
    if let Some(grants) = ws.acls.get(&key) {
        return Ok(grants.clone());
    }
    Ok(match (t.creator_level, creator) {
        (Some(level), Some(creator)) => {
            let field = principal_field(&creator);
            vec![Grant {
                field,
                name: canonical(field, &creator),
                level: level.to_string(),
            }]
        }
        _ => Vec::new(),
    })
}

/// Known principals and ACLs from the fixtures: every workspace has the `admins` and `users` groups and the
/// user behind PATs; creators are users (or service principals) of the workspace; every principal a fixture ACL
/// or `principals` names is known. An ACL is kept for an object the workspace has (a fixture ACL of another
/// object only names principals: the account's, which every workspace of the account sees).
pub(crate) fn seed(ws: &mut Workspace, acls: &[Value], principals: &[Value]) {
    let me = ws.user_name();
    let mut known = std::mem::take(&mut ws.known_principals);
    known
        .groups
        .extend(["admins".to_string(), "users".to_string()]);
    known.learn(&json!({ "user_name": me }));
    let objects = ws
        .jobs
        .values()
        .chain(ws.clusters.values())
        .chain(ws.pools.values())
        .chain(ws.pipelines.values());
    for creator in creators(objects, ws.warehouses.values()) {
        known.learn(&creator);
    }
    for p in principals {
        known.learn(p);
    }
    for body in acls {
        for entry in body
            .get("access_control_list")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            known.learn(entry);
        }
        let Some(object_id) = body.get("object_id").and_then(Value::as_str) else {
            continue;
        };
        if let Some((t, id)) = split_object_id(object_id) {
            if (t.lookup)(ws, id).is_some() {
                ws.acls.insert(acl_key(t.path, id), direct_grants(body));
            }
        }
    }
    ws.known_principals = known;
}

/// Where an object's ACL is kept: its `object_id`, `/jobs/123`.
pub(crate) fn acl_key(path: &str, id: &str) -> String {
    format!("/{path}/{id}")
}

/// The `ObjectPermissions` body: every principal with a direct grant, then `admins` with its inherited grant.
fn answer(t: &ObjectType, id: &str, grants: &[Grant]) -> Value {
    let mut acl: Vec<Value> = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for g in grants {
        if seen.contains(&(g.field, g.name.as_str())) {
            continue;
        }
        seen.push((g.field, g.name.as_str()));
        let levels: Vec<Value> = grants
            .iter()
            .filter(|o| o.same_principal(g))
            .map(|o| json!({"permission_level": o.level, "inherited": false}))
            .collect();
        let mut entry = Map::new();
        entry.insert(g.field.to_string(), json!(g.name));
        entry.insert("all_permissions".to_string(), Value::Array(levels));
        acl.push(Value::Object(entry));
    }
    acl.push(json!({
        "group_name": "admins",
        "all_permissions": [{
            "permission_level": t.admins_level,
            "inherited": true,
            "inherited_from_object": [format!("/{}/", t.path)]
        }]
    }));
    json!({
        // [UNVERIFIED] a warehouse's ACL names it `/sql/warehouses/<id>` on either path: the provider's new
        // resources use that form (provider-behaviour.md §6.5); the service's own answer is not documented.
        "object_id": acl_key(t.path, id),
        "object_type": t.object_type,
        "access_control_list": acl,
    })
}

/// The grants of a `PUT`/`PATCH` body's `access_control_list`, checked: a known principal in exactly one
/// principal field, a level the type has, and the owner rules of §6.2.
fn requested(
    ws: &Workspace,
    t: &ObjectType,
    body: &Map<String, Value>,
    me: &str,
) -> Result<Vec<Grant>, ApiError> {
    let list = match body.get("access_control_list") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(ApiError::malformed(format!(
                "Could not parse request object: Expected an array for 'access_control_list' but got {other}"
            )))
        }
    };
    let mut out: Vec<Grant> = Vec::new();
    for entry in list {
        let named: Vec<(&str, &str)> = PRINCIPAL_FIELDS
            .iter()
            .filter_map(|(f, _)| {
                entry
                    .get(*f)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(|s| (*f, s))
            })
            .collect();
        let (field, name) = match named.as_slice() {
            [one] => *one,
            _ => {
                return Err(ApiError::invalid_parameter(
                    "Exactly one of user_name, group_name or service_principal_name must be set in an access control entry",
                ))
            }
        };
        let name = canonical(field, name);
        let caller_is_it = name == canonical(field, me);
        if !ws.knows_principal(field, &name) && !caller_is_it {
            // databricks/cli issue 4488 quotes the service: "Principal: UserName(<name>) does not exist"; the
            // group and service principal forms follow it [inferred].
            let kind = PRINCIPAL_FIELDS
                .iter()
                .find(|(f, _)| *f == field)
                .map_or("UserName", |(_, k)| *k);
            return Err(ApiError::invalid_parameter(format!(
                "Principal: {kind}({name}) does not exist"
            )));
        }
        let level = entry
            .get("permission_level")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !t.levels.contains(&level) {
            // [UNVERIFIED message] the levels are §6.1's table.
            return Err(ApiError::invalid_parameter(format!(
                "Permission level {level:?} is not supported for {} objects. Supported levels: {}",
                t.object_type,
                t.levels.join(", ")
            )));
        }
        if level == "IS_OWNER" && field == "group_name" {
            // §6.2: a group cannot be the owner of a job, pipeline or warehouse.
            return Err(ApiError::invalid_parameter(format!(
                "Group {name} cannot be the owner of a {}",
                t.object_type
            )));
        }
        let grant = Grant {
            field,
            name,
            level: level.to_string(),
        };
        // One level per principal: a later entry for the same principal replaces an earlier one.
        out.retain(|g| !g.same_principal(&grant));
        out.push(grant);
    }
    if out.iter().filter(|g| g.level == "IS_OWNER").count() > 1 {
        // §6.2: "An object has exactly one owner".
        return Err(ApiError::invalid_parameter(format!(
            "A {} can have only one owner (IS_OWNER)",
            t.object_type
        )));
    }
    Ok(out)
}

/// What an update leaves: `PUT` replaces the direct grants, `PATCH` adds or changes them; on owned types the
/// owner stays unless the request names a new one, and an object left without one is refused (§6.2: the API
/// answers "with no existing owner must provide a new owner").
fn merge(
    t: &ObjectType,
    before: Vec<Grant>,
    request: Vec<Grant>,
    replace: bool,
) -> Result<Vec<Grant>, ApiError> {
    let new_owner = request.iter().any(|g| g.level == "IS_OWNER");
    let mut out: Vec<Grant> = if replace {
        before
            .into_iter()
            .filter(|g| t.owned && g.level == "IS_OWNER" && !new_owner)
            .collect()
    } else {
        before
            .into_iter()
            .filter(|g| !(new_owner && g.level == "IS_OWNER"))
            .collect()
    };
    for g in request {
        out.retain(|o| !o.same_principal(&g));
        out.push(g);
    }
    if t.owned && !out.iter().any(|g| g.level == "IS_OWNER") {
        return Err(ApiError::invalid_parameter(format!(
            "The {} with no existing owner must provide a new owner.",
            t.object_type
        )));
    }
    Ok(out)
}

async fn get_acl(State(state): State<AppState>, Path((path, id)): Path<(String, String)>) -> Reply {
    let t = object_type(&path).ok_or_else(|| unknown_type(&path))?;
    let ws = state.workspace();
    let grants = current(&ws, t, &id)?;
    Ok(Json(answer(t, &id, &grants)))
}

async fn update(
    state: AppState,
    principal: Option<Extension<Principal>>,
    path: String,
    id: String,
    body: Bytes,
    replace: bool,
) -> Reply {
    let t = object_type(&path).ok_or_else(|| unknown_type(&path))?;
    let body = body_object(&body)?;
    let mut ws = state.workspace();
    let before = current(&ws, t, &id)?;
    let me = caller(&ws, &principal);
    let request = requested(&ws, t, &body, &me)?;
    let after = merge(t, before, request, replace)?;
    ws.acls.insert(acl_key(t.path, &id), after.clone());
    Ok(Json(answer(t, &id, &after)))
}

async fn put_acl(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    Path((path, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    update(state, principal, path, id, body, true).await
}

async fn patch_acl(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    Path((path, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    update(state, principal, path, id, body, false).await
}

async fn get_warehouse_acl(state: State<AppState>, Path(id): Path<String>) -> Reply {
    get_acl(state, Path((WAREHOUSES.into(), id))).await
}

async fn put_warehouse_acl(
    state: State<AppState>,
    principal: Option<Extension<Principal>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    put_acl(state, principal, Path((WAREHOUSES.into(), id)), body).await
}

async fn patch_warehouse_acl(
    state: State<AppState>,
    principal: Option<Extension<Principal>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    patch_acl(state, principal, Path((WAREHOUSES.into(), id)), body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(field: &'static str, name: &str, level: &str) -> Grant {
        Grant {
            field,
            name: name.to_string(),
            level: level.to_string(),
        }
    }

    #[test]
    fn put_keeps_the_owner_unless_a_new_one_is_named() {
        let jobs = object_type("jobs").unwrap();
        let before = vec![
            grant("user_name", "a@x.com", "IS_OWNER"),
            grant("group_name", "eng", "CAN_VIEW"),
        ];
        let put = merge(
            jobs,
            before.clone(),
            vec![grant("group_name", "ops", "CAN_MANAGE_RUN")],
            true,
        )
        .unwrap();
        assert_eq!(
            put,
            [
                grant("user_name", "a@x.com", "IS_OWNER"),
                grant("group_name", "ops", "CAN_MANAGE_RUN")
            ]
        );
        let new_owner = merge(
            jobs,
            before.clone(),
            vec![grant("service_principal_name", "sp-1", "IS_OWNER")],
            true,
        )
        .unwrap();
        assert_eq!(
            new_owner,
            [grant("service_principal_name", "sp-1", "IS_OWNER")]
        );
        // PATCH adds and changes; a new owner replaces the old one.
        let patched = merge(
            jobs,
            before,
            vec![
                grant("group_name", "eng", "CAN_MANAGE"),
                grant("user_name", "b@x.com", "IS_OWNER"),
            ],
            false,
        )
        .unwrap();
        assert_eq!(
            patched,
            [
                grant("group_name", "eng", "CAN_MANAGE"),
                grant("user_name", "b@x.com", "IS_OWNER")
            ]
        );
        // No owner before, none named: refused.
        assert!(merge(jobs, Vec::new(), Vec::new(), true).is_err());
        // Types without an owner: PUT replaces everything.
        let clusters = object_type("clusters").unwrap();
        let put = merge(
            clusters,
            vec![grant("user_name", "a@x.com", "CAN_MANAGE")],
            Vec::new(),
            true,
        )
        .unwrap();
        assert!(put.is_empty());
    }

    #[test]
    fn fixtures_give_direct_grants_only() {
        let body = json!({
            "object_id": "/jobs/1",
            "object_type": "job",
            "access_control_list": [
                {"user_name": "A@X.com", "all_permissions": [{"permission_level": "IS_OWNER", "inherited": false}]},
                {"group_name": "admins", "all_permissions": [
                    {"permission_level": "CAN_MANAGE", "inherited": true, "inherited_from_object": ["/jobs/"]}
                ]}
            ]
        });
        assert_eq!(
            direct_grants(&body),
            [grant("user_name", "a@x.com", "IS_OWNER")]
        );
    }
}
