//! The Pipelines API (`/api/2.0/pipelines`, Lakeflow Declarative Pipelines): create (returning
//! `pipeline_id`), get (the `spec` and the state fields), edit (a PUT of the whole spec), delete, and list (paged,
//! `PipelineStateInfo` without the spec). Shapes are databricks-sdk-py `service/pipelines.py`
//! (`CreatePipelineResponse`, `GetPipelineResponse`, `PipelineSpec`, `PipelineStateInfo`,
//! `ListPipelinesResponse`). It never drops fields a caller sent, and fills only what a source says the service
//! fills.
//!
//! Not found: an unknown id answers 404 `RESOURCE_DOES_NOT_EXIST` `The specified pipeline <id> was not found.`

use super::auth::{caller, Principal};
use super::error::ApiError;
use super::params::{page_after, JsonObject, Query};
use super::state::{now_ms, Workspace};
use super::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};

/// The `pipelines` routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/2.0/pipelines", get(list).post(create))
        .route(
            "/api/2.0/pipelines/{id}",
            get(get_one).put(edit).delete(delete),
        )
}

type Reply = Result<Json<Value>, ApiError>;

/// Request fields that are not part of the stored `spec` (`CreatePipeline` / `EditPipeline` fields that
/// `PipelineSpec` lacks): `run_as` is kept beside the spec (`GetPipelineResponse.run_as`).
const NOT_SPEC: &[&str] = &[
    "allow_duplicate_names",
    "dry_run",
    "expected_last_modified",
    "pipeline_id",
    "run_as",
];

/// `max_results` of a list: "The default value is 25. The maximum value is 100. An error is returned if the
/// value of max_results is greater than 100." (`PipelinesAPI.list_pipelines`).
const DEFAULT_PAGE: usize = 25;
const MAX_PAGE: usize = 100;

fn no_such_pipeline(id: &str) -> ApiError {
    ApiError::does_not_exist(format!("The specified pipeline {id} was not found."))
}

/// A name already used by another pipeline fails unless `allow_duplicate_names` is true
/// (docs/resources/pipeline.md:99, provider-behaviour.md §8.2).
fn check_name(
    ws: &Workspace,
    body: &Map<String, Value>,
    except: Option<&str>,
) -> Result<(), ApiError> {
    if body.get("allow_duplicate_names") == Some(&json!(true)) {
        return Ok(());
    }
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return Ok(());
    };
    let taken = ws.pipelines.iter().any(|(id, p)| {
        Some(id.as_str()) != except && p.get("name").and_then(Value::as_str) == Some(name)
    });
    if taken {
        return Err(ApiError::already_exists(format!(
            "Pipeline with name '{name}' already exists. Set allow_duplicate_names to true to create a \
             pipeline with a duplicate name."
        )));
    }
    Ok(())
}

/// The stored `spec` of a request: what was sent (but the request-only fields), the id, and the default
/// storage. Not filled, for want of a source: `edition`, `channel` and a cluster's `label` when absent
/// (provider-behaviour.md §14 Q8).
fn spec(body: &Map<String, Value>, id: &str) -> Map<String, Value> {
    let mut spec: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| !NOT_SPEC.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    spec.insert("id".into(), json!(id));
    // A pipeline without a Unity Catalog `catalog` gets storage `dbfs:/pipelines/<id>`: the provider hides
    // exactly that value when the HCL has none (pipelines/resource_pipeline.go:186-195, §8.3), and its
    // exporter leaves it out as the default (§8.5).
    if !spec.contains_key("catalog") {
        spec.entry("storage")
            .or_insert(json!(format!("dbfs:/pipelines/{id}")));
    }
    spec
}

/// The `GET` body: the spec and the state fields (`GetPipelineResponse`).
fn response(spec: Map<String, Value>, run_as: Option<Value>, creator: &str) -> Value {
    let id = spec.get("id").cloned().unwrap_or(Value::Null);
    let name = spec.get("name").cloned();
    // A continuous pipeline runs once created (the provider waits for RUNNING, §8.2); a triggered one is IDLE
    // until an update is started (`PipelineState`).
    let continuous = spec.get("continuous") == Some(&json!(true));
    // `run_as_user_name`: "Username of the user that the pipeline will run on behalf of": the `run_as`
    // principal, else the creator.
    let run_as_user = run_as
        .as_ref()
        .and_then(|r| {
            r.get("user_name")
                .or_else(|| r.get("service_principal_name"))
                .and_then(Value::as_str)
        })
        .unwrap_or(creator)
        .to_string();
    let mut out = Map::new();
    out.insert("pipeline_id".into(), id);
    if let Some(name) = name {
        out.insert("name".into(), name);
    }
    out.insert(
        "state".into(),
        json!(if continuous { "RUNNING" } else { "IDLE" }),
    );
    out.insert("health".into(), json!("HEALTHY"));
    out.insert("creator_user_name".into(), json!(creator));
    out.insert("run_as_user_name".into(), json!(run_as_user));
    if let Some(r) = run_as {
        out.insert("run_as".into(), r);
    }
    out.insert("last_modified".into(), json!(now_ms()));
    out.insert("spec".into(), Value::Object(spec));
    Value::Object(out)
}

/// `PipelineStateInfo` of a stored pipeline: the state fields without the spec ("This field is not returned
/// when called by ListPipelines").
fn state_info(p: &Value) -> Value {
    let mut out = Map::new();
    for k in [
        "cluster_id",
        "creator_user_name",
        "health",
        "latest_updates",
        "name",
        "pipeline_id",
        "run_as_user_name",
        "state",
    ] {
        if let Some(v) = p.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    Value::Object(out)
}

async fn list(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let size = match q.get_i64("max_results")? {
        None => DEFAULT_PAGE,
        Some(n) if n > 0 && n as usize <= MAX_PAGE => n as usize,
        Some(n) => {
            return Err(ApiError::invalid_parameter(format!(
                "max_results must be between 1 and {MAX_PAGE}, got {n}"
            )))
        }
    };
    // Ordered by id ascending ("The default is id asc"); the token is the last id of the page before.
    let ws = state.workspace();
    let (page, next) = page_after(&ws.pipelines, q.get("page_token"), size)?;
    let mut body = Map::new();
    if !page.is_empty() {
        body.insert(
            "statuses".into(),
            Value::Array(page.into_iter().map(state_info).collect()),
        );
    }
    if let Some(next) = next {
        body.insert("next_page_token".into(), json!(next));
    }
    Ok(Json(Value::Object(body)))
}

async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Reply {
    state
        .workspace()
        .pipelines
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| no_such_pipeline(&id))
}

async fn create(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    JsonObject(body): JsonObject,
) -> Reply {
    let mut ws = state.workspace();
    check_name(&ws, &body, None)?;
    let id = ws.new_pipeline_id();
    let spec = spec(&body, &id);
    // `dry_run`: `CreatePipelineResponse.effective_settings` "Only returned when dry_run is true", and
    // `pipeline_id` "Only returned when dry_run is false".
    if body.get("dry_run") == Some(&json!(true)) {
        return Ok(Json(json!({ "effective_settings": spec })));
    }
    let creator = caller(&ws, &principal);
    let stored = response(spec, body.get("run_as").cloned(), &creator);
    ws.pipelines.insert(id.clone(), stored);
    Ok(Json(json!({ "pipeline_id": id })))
}

async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Reply {
    let mut ws = state.workspace();
    let stored = ws
        .pipelines
        .get(&id)
        .cloned()
        .ok_or_else(|| no_such_pipeline(&id))?;
    check_name(&ws, &body, Some(&id))?;
    // `EditPipeline` is the whole spec: what it leaves out is gone. `run_as` left out keeps the one set.
    let run_as = body
        .get("run_as")
        .cloned()
        .or_else(|| stored.get("run_as").cloned());
    let creator = stored["creator_user_name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let edited = response(spec(&body, &id), run_as, &creator);
    ws.pipelines.insert(id, edited);
    Ok(Json(json!({})))
}

async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> Reply {
    let mut ws = state.workspace();
    if ws.pipelines.remove(&id).is_none() {
        return Err(no_such_pipeline(&id));
    }
    Ok(Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_and_state_fields() {
        let body = json!({"name": "p", "allow_duplicate_names": true, "continuous": true,
            "libraries": [{"notebook": {"path": "/x"}}], "run_as": {"user_name": "a@b.c"}});
        let s = spec(body.as_object().unwrap(), "u-1");
        assert_eq!(s["storage"], "dbfs:/pipelines/u-1");
        assert!(!s.contains_key("allow_duplicate_names") && !s.contains_key("run_as"));
        let got = response(s, body.get("run_as").cloned(), "me@x");
        assert_eq!(got["state"], "RUNNING");
        assert_eq!(got["run_as_user_name"], "a@b.c");
        assert_eq!(got["spec"]["id"], "u-1");
        let info = state_info(&got);
        assert!(info.get("spec").is_none() && info["name"] == "p");
        let uc = spec(json!({"catalog": "main"}).as_object().unwrap(), "u-2");
        assert!(!uc.contains_key("storage"));
    }
}
