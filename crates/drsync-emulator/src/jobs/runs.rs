//! The Jobs API's runs, `/api/2.1/jobs/*` and `/api/2.2/jobs/*`: `run-now` (idempotency tokens,
//! `max_concurrent_runs` with skipping or queueing), `runs/get` (2.2 array paging), `runs/list` (filters, newest
//! first, offset and cursor paging), `runs/cancel` and `runs/cancel-all`. Every read advances the runs it reads
//! one step first, as reads advance clusters (`clusters::lifecycle`); the runs, their lifecycle and the test
//! knob [`crate::RunPlan`] are in `crate::runs`. It must not start runs by itself: no schedule or trigger fires.

use super::{missing, no_such_job, select_page, Cursor, Key, Start, Version, ARRAY_PAGE};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::params::Query;
use crate::runs::{Life, Run};
use crate::state::{now_ms, Workspace};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use serde_json::{json, Map, Value};

impl Workspace {
    /// A new run id. Run ids increase (as the service's do: runs listed in `runs/list` samples carry consecutive
    /// ids, e.g. 21072094 and 21072095), starting from a large int64 like job ids [UNVERIFIED: the size of
    /// today's run ids]. The first one draws on the seed, so a workspace that never runs a job keeps the ids it
    /// always had.
    fn new_run_id(&mut self) -> i64 {
        let id = self
            .runs
            .last_id()
            .map_or_else(|| self.random_id_base(), |last| last + 1);
        self.runs.note_id(id);
        id
    }
}

// ---------------------------------------------------------------------------------------------------------------
// routes

/// Add the runs routes of API `version` under `base` (`/api/2.x/jobs`).
pub(super) fn routes(router: Router<AppState>, version: Version, base: &str) -> Router<AppState> {
    router
        .route(
            &format!("{base}/run-now"),
            super::or_no_endpoint(post(
                move |State(s): State<AppState>,
                      Extension(p): Extension<Principal>,
                      body: Bytes| async move {
                    let url = s.base_url();
                    let org = s.workspace_id();
                    super::write(&s, &body, |ws, b| {
                        let creator = p.0.clone().unwrap_or_else(|| ws.user_name());
                        run_now(
                            ws,
                            &Origin {
                                url: &url,
                                org,
                                creator: &creator,
                            },
                            b,
                        )
                    })
                },
            )),
        )
        .route(
            &format!("{base}/runs/get"),
            super::or_no_endpoint(get(
                move |State(s): State<AppState>, RawQuery(q): RawQuery| async move {
                    read(&s, q.as_deref(), |ws, q| get_run(ws, version, q))
                },
            )),
        )
        .route(
            &format!("{base}/runs/list"),
            super::or_no_endpoint(get(
                move |State(s): State<AppState>, RawQuery(q): RawQuery| async move {
                    read(&s, q.as_deref(), |ws, q| list_runs(ws, version, q))
                },
            )),
        )
        .route(
            &format!("{base}/runs/cancel"),
            super::or_no_endpoint(post(
                move |State(s): State<AppState>, body: Bytes| async move {
                    super::write(&s, &body, cancel)
                },
            )),
        )
        .route(
            &format!("{base}/runs/cancel-all"),
            super::or_no_endpoint(post(
                move |State(s): State<AppState>, body: Bytes| async move {
                    super::write(&s, &body, cancel_all)
                },
            )),
        )
}

/// Run a GET handler that may advance runs under the workspace lock.
fn read(
    state: &AppState,
    raw: Option<&str>,
    f: impl FnOnce(&mut Workspace, &Query) -> Result<Value, ApiError>,
) -> Response {
    let q = Query::parse(raw);
    let mut ws = state.workspace();
    match f(&mut ws, &q) {
        Ok(body) => (StatusCode::OK, Json(body)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The 400 the service answers for an unknown run: the SDK maps `Run .* does not exist` on `runs/get` to
/// `ResourceDoesNotExist` (databricks-sdk-py 0.162.0 `errors/overrides.py`; databricks-api.md §3 "Not-found
/// overrides": `jobs/runs/get` like `jobs/get`, whose message ends in a full stop).
fn no_such_run(id: i64) -> ApiError {
    ApiError::invalid_parameter(format!("Run {id} does not exist."))
}

/// An int64 field of a body: a number, or a string holding one (proto JSON accepts both for int64).
fn body_i64(body: &Map<String, Value>, field: &str) -> Result<Option<i64>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid value for {field}: {n}"))),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid_parameter(format!("Invalid value for {field}: {s}"))),
        Some(other) => Err(ApiError::malformed(format!(
            "Could not parse request object: Expected an integer for '{field}' but got '{other}'"
        ))),
    }
}

/// A boolean field of a body.
fn body_bool(body: &Map<String, Value>, field: &str) -> Result<bool, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(ApiError::malformed(format!(
            "Could not parse request object: Expected a boolean for '{field}' but got '{other}'"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// run-now

/// Where a run is started from: the workspace's URL and id (for `run_page_url`) and who starts it.
pub(super) struct Origin<'a> {
    pub(super) url: &'a str,
    pub(super) org: u64,
    pub(super) creator: &'a str,
}

/// `run_page_url`: `<host>/?o=<workspace id>#job/<job id>/run/<run id>`, the form the service sends (observed in
/// a `runs/list` reply: `https://mydbworkspace.com/?o=82178415198056#job/19064954/run/21072094`), on the
/// emulator's own URL.
fn run_page_url(origin: &Origin<'_>, job_id: i64, run_id: i64) -> String {
    format!(
        "{}/?o={}#job/{job_id}/run/{run_id}",
        origin.url.trim_end_matches('/'),
        origin.org
    )
}

/// The most characters an `idempotency_token` may have (SDK `run_now` docstring: "This token must have at most
/// 64 characters").
const MAX_TOKEN: usize = 64;

/// `POST /api/2.x/jobs/run-now` {job_id, job_parameters, idempotency_token, queue, ...} → {run_id,
/// number_in_job}.
///
/// - A paused schedule or trigger does not stop it: "you can always use Run now to manually trigger a run"
///   (learn.microsoft.com/azure/databricks/jobs/schedule-jobs, "Job schedules & triggers").
/// - An unknown job is the 400 `INVALID_PARAMETER_VALUE` "Job <id> does not exist." (observed for run-now with
///   job 0: astronomer/astronomer-providers#1254).
/// - The same `idempotency_token` returns the run it started, and starts nothing (SDK `run_now` docstring).
/// - With `max_concurrent_runs` runs of the job active, the run is queued when queueing is on (the request's
///   `queue`, else the job's), else skipped; `max_concurrent_runs` 0 skips every run (SDK
///   `JobSettings.max_concurrent_runs`: "Setting this value to 0 causes all new runs to be skipped"; the same
///   docs page: "Triggered runs are skipped when they exceed the configured max concurrency").
pub(super) fn run_now(
    ws: &mut Workspace,
    origin: &Origin<'_>,
    body: Map<String, Value>,
) -> Result<Value, ApiError> {
    let job_id = body_i64(&body, "job_id")?.ok_or_else(|| missing("job_id"))?;
    let token = match body.get("idempotency_token") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t.chars().count() <= MAX_TOKEN => Some(t.clone()),
        // [UNVERIFIED] wording.
        Some(Value::String(_)) => {
            return Err(ApiError::invalid_parameter(format!(
                "The idempotency token must have at most {MAX_TOKEN} characters."
            )))
        }
        Some(other) => {
            return Err(ApiError::malformed(format!(
                "Could not parse request object: Expected a string for 'idempotency_token' but got '{other}'"
            )))
        }
    };
    let job = ws.jobs.get(&job_id).ok_or_else(|| no_such_job(job_id))?;
    if let Some(run_id) = token.as_deref().and_then(|t| ws.runs.started_by(t)) {
        return Ok(json!({"run_id": run_id, "number_in_job": run_id}));
    }
    let settings = job
        .get("settings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // The default is one concurrent run (SDK `JobSettings.max_concurrent_runs`).
    let max = settings
        .get("max_concurrent_runs")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let queue = body
        .get("queue")
        .or_else(|| settings.get("queue"))
        .and_then(|q| q.get("enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let running = i64::try_from(ws.runs.running_of(job_id)).unwrap_or(i64::MAX);
    let life = if max <= 0 || (running >= max && !queue) {
        Life::Skipped
    } else if running >= max {
        Life::Queued
    } else {
        Life::Pending
    };

    let run_id = ws.new_run_id();
    let start = ws.runs.start_time(now_ms());
    let mut run = Map::new();
    run.insert("job_id".into(), json!(job_id));
    run.insert("run_id".into(), json!(run_id));
    // "A unique identifier for this job run. This is set to the same value as run_id." (SDK `Run.number_in_job`)
    run.insert("number_in_job".into(), json!(run_id));
    // "If this run is a retry of a prior run attempt, ... otherwise, it is the same as the run_id." (SDK
    // `Run.original_attempt_run_id`); "The initial attempt of a run has an attempt_number of 0."
    run.insert("original_attempt_run_id".into(), json!(run_id));
    run.insert("attempt_number".into(), json!(0));
    run.insert("creator_user_name".into(), json!(origin.creator));
    // The run is named after the job (observed: `run_name` is the job's name in `runs/list` replies).
    run.insert(
        "run_name".into(),
        settings.get("name").cloned().unwrap_or(json!("Untitled")),
    );
    run.insert(
        "run_page_url".into(),
        json!(run_page_url(origin, job_id, run_id)),
    );
    // `run-now` is a `JOB_RUN` (SDK `RunType`: "Normal job run. A run created with jobs/runNow") triggered
    // `ONE_TIME` (SDK `TriggerType`: "This occurs you triggered a single run on demand through the UI or the
    // API").
    run.insert("run_type".into(), json!("JOB_RUN"));
    run.insert("trigger".into(), json!("ONE_TIME"));
    run.insert("start_time".into(), json!(start));
    for field in ["job_clusters", "git_source"] {
        if let Some(v) = settings.get(field) {
            run.insert(field.into(), v.clone());
        }
    }
    if let Some(params) = job_parameters(&settings, body.get("job_parameters")) {
        run.insert("job_parameters".into(), params);
    }
    if let Some(params) = overriding_parameters(&body) {
        run.insert("overriding_parameters".into(), params);
    }
    let tasks = task_runs(ws, &settings, origin, job_id, start);
    if !tasks.is_empty() {
        run.insert("tasks".into(), Value::Array(tasks));
    }
    let plan = ws.runs.plan_of(job_id);
    let run = Run::new(run, life, plan, start, max);
    ws.runs.insert(run_id, run, token);
    Ok(json!({"run_id": run_id, "number_in_job": run_id}))
}

/// The legacy parameters `run-now` was given, as the run shows them (SDK `Run.overriding_parameters`,
/// `RunParameters`); `None` when it was given none.
fn overriding_parameters(body: &Map<String, Value>) -> Option<Value> {
    const LEGACY: [&str; 8] = [
        "jar_params",
        "notebook_params",
        "python_params",
        "python_named_params",
        "spark_submit_params",
        "sql_params",
        "dbt_commands",
        "pipeline_params",
    ];
    let given: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| LEGACY.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!given.is_empty()).then_some(Value::Object(given))
}

/// One task run (SDK `RunTask`: the task's settings and its run's fields) per task of the job, each with a run
/// id of its own, its first attempt (`attempt_number` 0) and its page.
fn task_runs(
    ws: &mut Workspace,
    settings: &Map<String, Value>,
    origin: &Origin<'_>,
    job_id: i64,
    start: i64,
) -> Vec<Value> {
    let Some(tasks) = settings.get("tasks").and_then(Value::as_array) else {
        return Vec::new();
    };
    tasks
        .iter()
        .map(|task| {
            let id = ws.new_run_id();
            let mut t = task.as_object().cloned().unwrap_or_default();
            t.insert("run_id".into(), json!(id));
            t.insert("attempt_number".into(), json!(0));
            t.insert("start_time".into(), json!(start));
            t.insert(
                "run_page_url".into(),
                json!(run_page_url(origin, job_id, id)),
            );
            Value::Object(t)
        })
        .collect()
}

/// The run's `job_parameters` (SDK `JobParameter`: name, default, value): each parameter the job defines, with
/// the value `run-now` gave it, else its default. `None` for a job without parameters.
fn job_parameters(settings: &Map<String, Value>, given: Option<&Value>) -> Option<Value> {
    let defined = settings.get("parameters")?.as_array()?;
    let params = defined
        .iter()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let default = p.get("default").cloned().unwrap_or(json!(""));
            let value = given
                .and_then(|g| g.get(name))
                .cloned()
                .unwrap_or_else(|| default.clone());
            Some(json!({"name": name, "default": default, "value": value}))
        })
        .collect();
    Some(Value::Array(params))
}

// ---------------------------------------------------------------------------------------------------------------
// the state machine

/// The job's `max_concurrent_runs` now (1 when it says none, or is gone: SDK `JobSettings.max_concurrent_runs`,
/// "The default behavior is to allow only 1 concurrent run").
fn max_of(jobs: &crate::state::Jobs, job_id: i64) -> i64 {
    jobs.get(&job_id)
        .and_then(|j| j.pointer("/settings/max_concurrent_runs"))
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// Advance the runs `ids` one step, now.
fn advance(ws: &mut Workspace, ids: &[i64]) {
    let jobs = &ws.jobs;
    ws.runs.advance(ids, now_ms(), |job| max_of(jobs, job));
}

/// A run as a read of API `version` shows it (2.2 lists cut arrays at 100: [`Run::view`]).
fn shown(run: &Run, expand: bool, list: Option<Version>) -> Value {
    run.view(expand, (list == Some(Version::V2_2)).then_some(ARRAY_PAGE))
}

// ---------------------------------------------------------------------------------------------------------------
// reads

/// The array fields a 2.2 `runs/get` pages, 100 items a page (SDK `get_run`: "the first 100 elements of array
/// properties (`tasks`, `job_clusters`, `job_parameters` and `repair_history`)").
const RUN_PAGED_ARRAYS: [&str; 4] = ["tasks", "job_clusters", "job_parameters", "repair_history"];

fn encode_run_token(run_id: i64, page: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("r:{run_id}:{page}"))
}

fn decode_run_token(token: &str, run_id: i64) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, page) = text.strip_prefix("r:")?.split_once(':')?;
    (id.parse::<i64>().ok()? == run_id)
        .then(|| page.parse().ok())
        .flatten()
}

/// `GET /api/2.x/jobs/runs/get?run_id=`: advances the run one step, then shows it. 2.1 shows every array whole;
/// 2.2 shows page `page_token` of each paged array, with `next_page_token` while any has more (SDK `get_run`:
/// "Use the next_page_token field to check for more results and pass its value as the page_token in subsequent
/// requests"); later pages leave out the arrays that have nothing left ("Arrays without additional results will
/// be empty on later pages"), as 2.2 `jobs/get` does. Reading a later page does not advance the run, so the
/// pages of one read agree.
fn get_run(ws: &mut Workspace, version: Version, q: &Query) -> Result<Value, ApiError> {
    let id = q.get_i64("run_id")?.ok_or_else(|| missing("run_id"))?;
    if ws.runs.get(id).is_none() {
        return Err(no_such_run(id));
    }
    let page = match (version, q.get("page_token")) {
        (Version::V2_2, Some(t)) => decode_run_token(t, id).ok_or_else(super::bad_token)?,
        _ => 0,
    };
    if page == 0 {
        advance(ws, &[id]);
    }
    let run = ws.runs.get(id).ok_or_else(|| no_such_run(id))?;
    let Value::Object(mut out) = shown(run, true, None) else {
        return Ok(Value::Null);
    };
    if version == Version::V2_2 {
        let from = page.saturating_mul(ARRAY_PAGE);
        let to = from.saturating_add(ARRAY_PAGE);
        let mut more = false;
        for field in RUN_PAGED_ARRAYS {
            if let Some(Value::Array(items)) = out.get_mut(field) {
                more |= items.len() > to;
                let slice = items
                    .get(from..to.min(items.len()))
                    .unwrap_or_default()
                    .to_vec();
                if page > 0 && slice.is_empty() {
                    out.remove(field);
                } else {
                    *items = slice;
                }
            }
        }
        if more {
            out.insert(
                "next_page_token".into(),
                json!(encode_run_token(id, page + 1)),
            );
        }
    }
    Ok(Value::Object(out))
}

/// `runs/list`'s page size when none is asked for, and its maximum (SDK `list_runs`: "This value must be
/// greater than 0 and less than 25. The default value is 20. If a request specifies a limit of 0, the service
/// instead uses the maximum limit."; databrickslabs/brickster `db_jobs_runs_list`: "less or equal to 25").
const RUNS_DEFAULT_LIMIT: usize = 20;
const RUNS_MAX_LIMIT: i64 = 25;

/// `GET /api/2.x/jobs/runs/list`: every active run advances one step first (as `clusters/list` advances
/// clusters), then the runs that match, newest first (SDK: "List runs in descending order by start time"),
/// paged by `offset` or `page_token` as `jobs/list` is.
fn list_runs(ws: &mut Workspace, version: Version, q: &Query) -> Result<Value, ApiError> {
    let limit = match q.get_i64("limit")? {
        None => RUNS_DEFAULT_LIMIT,
        Some(0) => usize::try_from(RUNS_MAX_LIMIT).unwrap_or(RUNS_DEFAULT_LIMIT),
        Some(n) if (1..=RUNS_MAX_LIMIT).contains(&n) => {
            usize::try_from(n).unwrap_or(RUNS_DEFAULT_LIMIT)
        }
        // [UNVERIFIED] wording, as `jobs/list` words it.
        Some(n) => {
            return Err(ApiError::invalid_parameter(format!(
                "The limit must be between 0 and {RUNS_MAX_LIMIT}, but got {n}."
            )))
        }
    };
    let offset = match q.get_i64("offset")? {
        None => 0,
        Some(n) => usize::try_from(n).map_err(|_| {
            ApiError::invalid_parameter(format!("The offset must not be negative, but got {n}."))
        })?,
    };
    let active_only = q.get_bool("active_only")?.unwrap_or(false);
    let completed_only = q.get_bool("completed_only")?.unwrap_or(false);
    if active_only && completed_only {
        // SDK `list_runs`: active_only "cannot be true when completed_only is true". [UNVERIFIED] wording.
        return Err(ApiError::invalid_parameter(
            "active_only and completed_only cannot both be true.",
        ));
    }
    let job_id = q.get_i64("job_id")?;
    if let Some(id) = job_id {
        // [UNVERIFIED] that a job that does not exist is this 400 rather than an empty list.
        if !ws.jobs.contains_key(&id) && !ws.runs.iter().any(|(_, r)| r.job_id() == id) {
            return Err(no_such_job(id));
        }
    }
    let run_type = q.get_choice(
        "run_type",
        &[
            ("JOB_RUN", "JOB_RUN"),
            ("WORKFLOW_RUN", "WORKFLOW_RUN"),
            ("SUBMIT_RUN", "SUBMIT_RUN"),
        ],
        |v| format!("Invalid run_type: {v}"),
    )?;
    let from = q.get_i64("start_time_from")?;
    let to = q.get_i64("start_time_to")?;
    let expand = q.get_bool("expand_tasks")?.unwrap_or(false);
    let start = match q.get("page_token") {
        Some(t) => Start::At(Cursor::decode(t).ok_or_else(super::bad_token)?),
        None => Start::Offset(offset),
    };

    let active = ws.runs.active_ids();
    advance(ws, &active);

    let mut keys: Vec<Key> = ws
        .runs
        .iter()
        .filter(|(_, r)| {
            job_id.is_none_or(|j| r.job_id() == j)
                && (!active_only || r.life().active())
                && (!completed_only || !r.life().active())
                && run_type.is_none_or(|t| {
                    r.field("run_type").and_then(Value::as_str).unwrap_or("JOB_RUN") == t
                })
                // "Show runs that started at or after / at or before this value." (SDK `list_runs`)
                && from.is_none_or(|f| r.start_time() >= f)
                && to.is_none_or(|t| r.start_time() <= t)
        })
        .map(|(id, r)| r.key(id))
        .collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let page = select_page(&keys, start, limit);
    let runs: Vec<Value> = page
        .keys
        .iter()
        .filter_map(|(_, id)| ws.runs.get(*id))
        .map(|r| shown(r, expand, Some(version)))
        .collect();
    let mut out = Map::new();
    // An empty list leaves `runs` out (observed: `{"has_more": false}` when there are no active runs).
    if !runs.is_empty() {
        out.insert("runs".into(), Value::Array(runs));
    }
    out.insert("has_more".into(), json!(page.has_more));
    if let Some(c) = page.next {
        out.insert("next_page_token".into(), json!(c.encode()));
    }
    if let Some(c) = page.prev {
        out.insert("prev_page_token".into(), json!(c.encode()));
    }
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------------------------------------------
// cancel

/// `POST /api/2.x/jobs/runs/cancel` {run_id} → {}. An unknown run is the 400 `runs/get` gives [UNVERIFIED for
/// cancel]; cancelling a run that is over does nothing [UNVERIFIED].
fn cancel(ws: &mut Workspace, body: Map<String, Value>) -> Result<Value, ApiError> {
    let id = body_i64(&body, "run_id")?.ok_or_else(|| missing("run_id"))?;
    let job_id = ws
        .runs
        .get(id)
        .map(Run::job_id)
        .ok_or_else(|| no_such_run(id))?;
    let max = max_of(&ws.jobs, job_id);
    ws.runs.cancel(id, now_ms(), max);
    Ok(json!({}))
}

/// `POST /api/2.x/jobs/runs/cancel-all` {job_id, all_queued_runs} → {}: every active run of the job; with
/// `all_queued_runs` and no job, every queued run of the workspace (SDK `cancel_all_runs`). Neither is a 400
/// [UNVERIFIED wording].
fn cancel_all(ws: &mut Workspace, body: Map<String, Value>) -> Result<Value, ApiError> {
    let job_id = body_i64(&body, "job_id")?;
    let all_queued = body_bool(&body, "all_queued_runs")?;
    if let Some(id) = job_id {
        if !ws.jobs.contains_key(&id) {
            return Err(no_such_job(id));
        }
    } else if !all_queued {
        return Err(ApiError::invalid_parameter(
            "Either job_id or all_queued_runs must be specified.",
        ));
    }
    let now = now_ms();
    let targets: Vec<(i64, i64)> = ws
        .runs
        .iter()
        .filter(|(_, r)| match job_id {
            Some(j) => r.job_id() == j && r.life().active(),
            None => r.life() == Life::Queued,
        })
        .map(|(id, r)| (id, r.job_id()))
        .collect();
    for (id, job) in targets {
        let max = max_of(&ws.jobs, job);
        ws.runs.cancel(id, now, max);
    }
    Ok(json!({}))
}

#[cfg(test)]
mod tests;
