//! The Jobs API of the emulated workspace, `/api/2.1/jobs/*` and `/api/2.2/jobs/*`: list (newest first, cursor
//! and offset paging, name filter, `expand_tasks` with 100-item truncation), get (2.2 array paging), create,
//! reset, update (merge by key) and delete, with the server defaults and checks a real workspace applies; job
//! runs in `runs`.
//! It must never drop or rewrite settings it does not know: unknown fields are stored and returned as sent.

mod runs;
#[cfg(test)]
mod tests;

use super::auth::Principal;
use super::error::ApiError;
use super::params::{self, Query};
use super::state::{now_ms, JobKey, Workspace};
use super::view::{Obj, Part};
use super::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Extension, Json, Router};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicI64, Ordering};

/// Items of each array field that one read response shows (2.2 `get` pages, `list?expand_tasks=true`).
const ARRAY_PAGE: usize = 100;
/// The array fields that 2.2 `jobs/get` pages.
const PAGED_ARRAYS: [&str; 4] = ["tasks", "job_clusters", "environments", "parameters"];
/// The array fields that `list` shows only with `expand_tasks=true`.
const EXPANDED_ARRAYS: [&str; 2] = ["tasks", "job_clusters"];
/// `list`'s page size when none (or the legacy `0`) is given, and its maximum.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: i64 = 100;
/// How many jobs a workspace may hold.
const JOBS_QUOTA: usize = 10_000;
/// The top-level fields of a `BaseJob` (a `list` item) taken from the stored `Job`. `run_as_user_name` is not in
/// the SDK's `BaseJob` model, but the service sends it in `jobs/list` items beside `creator_user_name`
/// (observed: issue databricks/databricks-sdk-py#967; databricks-api.md §4 "Corrected"). It is put in by
/// [`base_job`] (see [`run_as_user_name`]), not copied from here.
const BASE_JOB_FIELDS: [&str; 5] = [
    "job_id",
    "creator_user_name",
    "created_time",
    "effective_budget_policy_id",
    "effective_usage_policy_id",
];

/// `settings.run_as` is write-only: the service stores it (it decides `run_as_user_name`) but never returns it
/// (SDK `JobRunAs` docstring "Write-only setting"; databricks-api.md §4 "Corrected"; provider-behaviour.md
/// §2.4). Every read leaves it out of `settings`.
fn shown_setting(key: &str) -> bool {
    key != "run_as"
}

/// The API version a request came in on; 2.1 and 2.2 share shapes but differ in paging and queue defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V2_1,
    V2_2,
}

impl Version {
    fn as_str(self) -> &'static str {
        match self {
            Version::V2_1 => "2.1",
            Version::V2_2 => "2.2",
        }
    }
}

/// The `/api/2.1/jobs/*` and `/api/2.2/jobs/*` routes, and `/api/2.0/jobs/get`. A wrong method on a known path answers like an unknown route.
pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for v in [Version::V2_1, Version::V2_2] {
        let base = format!("/api/{}/jobs", v.as_str());
        router = router
            .route(
                &format!("{base}/list"),
                or_no_endpoint(get(
                    move |State(s): State<AppState>, RawQuery(q): RawQuery| async move {
                        read(&s, q.as_deref(), |ws, q| list(ws, v, q))
                    },
                )),
            )
            .route(
                &format!("{base}/get"),
                or_no_endpoint(get(
                    move |State(s): State<AppState>, RawQuery(q): RawQuery| async move {
                        read(&s, q.as_deref(), |ws, q| get_job(ws, v, q))
                    },
                )),
            )
            .route(
                &format!("{base}/create"),
                or_no_endpoint(post(
                    move |State(s): State<AppState>,
                          Extension(p): Extension<Principal>,
                          body: Bytes| async move {
                        write(&s, &body, |ws, b| {
                            let creator = p.0.clone().unwrap_or_else(|| ws.user_name());
                            create(ws, v, &creator, b)
                        })
                    },
                )),
            )
            .route(
                &format!("{base}/reset"),
                or_no_endpoint(post(
                    move |State(s): State<AppState>, body: Bytes| async move {
                        write(&s, &body, |ws, b| reset(ws, v, b))
                    },
                )),
            )
            .route(
                &format!("{base}/update"),
                or_no_endpoint(post(
                    move |State(s): State<AppState>, body: Bytes| async move {
                        write(&s, &body, update)
                    },
                )),
            )
            .route(
                &format!("{base}/delete"),
                or_no_endpoint(post(
                    move |State(s): State<AppState>, body: Bytes| async move {
                        write(&s, &body, delete)
                    },
                )),
            );
        router = runs::routes(router, v, &base);
    }
    // Jobs API 2.0 `get`, which the provider 1.99.0 imports a job through (provider-behaviour.md §2.1, §2.6:
    // the import's Read has no state saying "multi-task", so it takes the 2.0 path). For a multi-task job it
    // answers with the 2.1 document ("Updating from Jobs API 2.0 to 2.1": one example JSON document "representing
    // a multi-task format job for API 2.0 and 2.1"). Only `get`: nothing else drsync or the provider model calls
    // is on 2.0. [UNVERIFIED] how 2.0 answers for a job with more than 100 tasks (the provider's fix commit says
    // its import fails for those): not emulated, the whole job is returned.
    router.route(
        "/api/2.0/jobs/get",
        or_no_endpoint(get(
            |State(s): State<AppState>, RawQuery(q): RawQuery| async move {
                read(&s, q.as_deref(), |ws, q| get_job(ws, Version::V2_1, q))
            },
        )),
    )
}

fn or_no_endpoint(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.fallback(|method: Method, uri: Uri| async move {
        ApiError::no_endpoint(method.as_str(), uri.path()).into_response()
    })
}

/// Run a GET handler under the workspace lock (no await while it is held). The reply borrows from the stored
/// objects, so it is serialised before the lock is released.
fn read(
    state: &AppState,
    raw: Option<&str>,
    f: impl for<'a> FnOnce(&'a Workspace, &Query) -> Result<Obj<'a>, ApiError>,
) -> Response {
    let q = Query::parse(raw);
    let ws = state.workspace();
    match f(&ws, &q) {
        Ok(body) => (StatusCode::OK, Json(body)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Decode a POST body and run a mutation under the workspace lock.
fn write(
    state: &AppState,
    body: &Bytes,
    f: impl FnOnce(&mut Workspace, Map<String, Value>) -> Result<Value, ApiError>,
) -> Response {
    let result = params::json_body::<Map<String, Value>>(body).and_then(|b| {
        let mut ws = state.workspace();
        f(&mut ws, b)
    });
    reply(result)
}

fn reply(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(v) => (StatusCode::OK, Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

fn missing(field: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Missing required field: {field}"))
}

fn no_such_job(id: i64) -> ApiError {
    ApiError::invalid_parameter(format!("Job {id} does not exist."))
}

fn bad_token() -> ApiError {
    ApiError::invalid_parameter("The page token is invalid.")
}

// ---------------------------------------------------------------------------------------------------------------
// list

/// Sort key of a job in `list`: newest created first, then the higher id first (see [`JobKey`]).
type Key = JobKey;

/// A `list` position, carried in `next_page_token` / `prev_page_token` as opaque base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    /// The jobs after (older than) this key: a `next_page_token`.
    After(Key),
    /// The jobs before (newer than) this key: a `prev_page_token`.
    Before(Key),
}

impl Cursor {
    fn encode(self) -> String {
        let (tag, (created, id)) = match self {
            Cursor::After(k) => ('n', k),
            Cursor::Before(k) => ('p', k),
        };
        base64::engine::general_purpose::STANDARD.encode(format!("{tag}:{created}:{id}"))
    }

    fn decode(token: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split(':');
        let (tag, created, id) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let key = (created.parse().ok()?, id.parse().ok()?);
        match tag {
            "n" => Some(Cursor::After(key)),
            "p" => Some(Cursor::Before(key)),
            _ => None,
        }
    }
}

/// Where a `list` page starts: a count from the newest job (`offset`), or a cursor (`page_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Offset(usize),
    At(Cursor),
}

/// One `list` page: the keys shown, newest first, and the tokens around it.
#[derive(Debug, PartialEq, Eq)]
struct Page {
    keys: Vec<Key>,
    has_more: bool,
    next: Option<Cursor>,
    prev: Option<Cursor>,
}

/// Pick one page out of the matching jobs' keys, sorted newest first. Binary searches: nothing is re-sorted.
fn select_page(keys: &[Key], start: Start, limit: usize) -> Page {
    let total = keys.len();
    let (from, to, has_more, newer_exist) = match start {
        Start::Offset(off) => {
            let end = off.saturating_add(limit);
            (off.min(total), end.min(total), total > end, off > 0)
        }
        Start::At(Cursor::After(k)) => {
            // The older jobs are the tail after the last key >= k.
            let first_older = keys.partition_point(|x| *x >= k);
            let older = total - first_older;
            let to = first_older.saturating_add(limit).min(total);
            (first_older, to, older > to - first_older, total > older)
        }
        Start::At(Cursor::Before(k)) => {
            // The newer jobs are the head before the first key <= k.
            let newer = keys.partition_point(|x| *x > k);
            let from = newer.saturating_sub(limit);
            (from, newer, total > newer, from > 0)
        }
    };
    let page = keys.get(from..to).unwrap_or_default().to_vec();
    let next = page.last().filter(|_| has_more).map(|k| Cursor::After(*k));
    let prev = page
        .first()
        .filter(|_| newer_exist)
        .map(|k| Cursor::Before(*k));
    Page {
        keys: page,
        has_more: has_more && next.is_some(),
        next,
        prev,
    }
}

/// Case-insensitive equality without allocating.
fn same_name(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// `GET /api/2.x/jobs/list`.
fn list<'a>(ws: &'a Workspace, version: Version, q: &Query) -> Result<Obj<'a>, ApiError> {
    let limit = match q.get_i64("limit")? {
        // Legacy 2.1 clients send 0 for "the default".
        None | Some(0) => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => usize::try_from(n).unwrap_or(DEFAULT_LIMIT),
        Some(n) => {
            return Err(ApiError::invalid_parameter(format!(
                "The limit must be between 1 and {MAX_LIMIT}, but got {n}."
            )))
        }
    };
    let offset = match q.get_i64("offset")? {
        None => 0,
        Some(n) => usize::try_from(n).map_err(|_| {
            ApiError::invalid_parameter(format!("The offset must not be negative, but got {n}."))
        })?,
    };
    let expand = q.get_bool("expand_tasks")?.unwrap_or(false);
    // A page token wins over `offset`: the SDK keeps sending the first call's `offset` along with the token.
    let start = match q.get("page_token") {
        Some(t) => Start::At(Cursor::decode(t).ok_or_else(bad_token)?),
        None => Start::Offset(offset),
    };
    let page = match q.get("name") {
        None => select_page(ws.jobs.newest_first(), start, limit),
        Some(wanted) => {
            let named: Vec<Key> = ws
                .jobs
                .newest_first()
                .iter()
                .filter(|(_, id)| {
                    ws.jobs
                        .get(id)
                        .and_then(|job| job.pointer("/settings/name"))
                        .and_then(Value::as_str)
                        .is_some_and(|n| same_name(n, wanted))
                })
                .copied()
                .collect();
            select_page(&named, start, limit)
        }
    };
    let jobs: Vec<Part<'a>> = page
        .keys
        .iter()
        .filter_map(|(_, id)| ws.jobs.get(id))
        .map(|job| Part::Obj(base_job(job, expand, version)))
        .collect();
    let mut out = Obj::with_capacity(4);
    if !jobs.is_empty() {
        out.put("jobs", Part::List(jobs));
    }
    out.put("has_more", Part::Bool(page.has_more));
    if let Some(c) = page.next {
        out.put("next_page_token", Part::String(c.encode()));
    }
    if let Some(c) = page.prev {
        out.put("prev_page_token", Part::String(c.encode()));
    }
    Ok(out)
}

/// A `list` item. Without `expand_tasks`, settings lack `tasks` and `job_clusters`. With it, 2.2 shows the first
/// 100 items of each and sets `has_more` when any was cut; 2.1 shows them whole.
/// Borrowed from the stored job, never cloned.
fn base_job(job: &Value, expand: bool, version: Version) -> Obj<'_> {
    let mut out = Obj::with_capacity(BASE_JOB_FIELDS.len() + 2);
    for field in BASE_JOB_FIELDS {
        if let Some(v) = job.get(field) {
            out.put(field, Part::Value(v));
        }
    }
    put_run_as_user_name(&mut out, job);
    let mut cut = false;
    let mut settings = match job.get("settings").and_then(Value::as_object) {
        Some(stored) => {
            let mut settings = Obj::from_map(stored, |k, _| {
                shown_setting(k) && (expand || !EXPANDED_ARRAYS.contains(&k))
            });
            if expand && version == Version::V2_2 {
                for field in EXPANDED_ARRAYS {
                    if let Some(Value::Array(items)) = stored.get(field) {
                        if items.len() > ARRAY_PAGE {
                            cut = true;
                            settings.put(field, Part::Items(&items[..ARRAY_PAGE]));
                        }
                    }
                }
            }
            settings
        }
        None => Obj::with_capacity(1),
    };
    settings.put("format", Part::Str("MULTI_TASK"));
    if expand && version == Version::V2_2 {
        out.put("has_more", Part::Bool(cut));
    }
    out.put("settings", Part::Obj(settings));
    out
}

// ---------------------------------------------------------------------------------------------------------------
// get

fn encode_get_token(job_id: i64, page: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("g:{job_id}:{page}"))
}

fn decode_get_token(token: &str, job_id: i64) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix("g:")?;
    let (id, page) = rest.split_once(':')?;
    (id.parse::<i64>().ok()? == job_id)
        .then(|| page.parse().ok())
        .flatten()
}

/// `GET /api/2.x/jobs/get`.
fn get_job<'a>(ws: &'a Workspace, version: Version, q: &Query) -> Result<Obj<'a>, ApiError> {
    let id = q.get_i64("job_id")?.ok_or_else(|| missing("job_id"))?;
    let job = ws.jobs.get(&id).ok_or_else(|| no_such_job(id))?;
    match version {
        Version::V2_1 => {
            let mut out = Obj::from_value(job, |_, _| true);
            put_run_as_user_name(&mut out, job);
            if let Some(stored) = job.get("settings").and_then(Value::as_object) {
                let mut settings = Obj::from_map(stored, |k, _| shown_setting(k));
                settings.put("format", Part::Str("MULTI_TASK"));
                out.put("settings", Part::Obj(settings));
            }
            Ok(out)
        }
        Version::V2_2 => {
            let page = match q.get("page_token") {
                None => 0,
                Some(t) => decode_get_token(t, id).ok_or_else(bad_token)?,
            };
            Ok(job_page(job, id, page))
        }
    }
}

/// Page `page` of a 2.2 `get`: each paged array shows its items `100*page..100*(page+1)`; on later pages arrays
/// with nothing left are left out; `next_page_token` is set while any array has more.
/// Borrowed from the stored job, never cloned.
fn job_page(job: &Value, id: i64, page: usize) -> Obj<'_> {
    let from = page.saturating_mul(ARRAY_PAGE);
    let to = from.saturating_add(ARRAY_PAGE);
    let mut more = false;
    let mut out = Obj::from_value(job, |k, _| k != "settings");
    put_run_as_user_name(&mut out, job);
    let mut settings = Obj::with_capacity(1);
    if let Some(stored) = job.get("settings").and_then(Value::as_object) {
        settings = Obj::from_map(stored, |k, v| {
            shown_setting(k) && !(v.is_array() && PAGED_ARRAYS.contains(&k))
        });
        for field in PAGED_ARRAYS {
            if let Some(Value::Array(items)) = stored.get(field) {
                more |= items.len() > to;
                let slice = items.get(from..to.min(items.len())).unwrap_or_default();
                if page == 0 || !slice.is_empty() {
                    settings.put(field, Part::Items(slice));
                }
            }
        }
    }
    settings.put("format", Part::Str("MULTI_TASK"));
    out.put("settings", Part::Obj(settings));
    if more {
        out.put(
            "next_page_token",
            Part::String(encode_get_token(id, page + 1)),
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// mutations

/// The last `created_time` handed out: creation times strictly increase, so newest-first order is creation order
/// even for jobs created within the same millisecond.
static LAST_CREATED: AtomicI64 = AtomicI64::new(0);

fn creation_time() -> i64 {
    let now = now_ms();
    let prev = LAST_CREATED
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(now);
    now.max(prev + 1)
}

/// `job_id` of a mutation body: an integer, or a string holding one (proto JSON accepts both for int64).
fn body_job_id(body: &Map<String, Value>) -> Result<i64, ApiError> {
    match body.get("job_id") {
        None | Some(Value::Null) => Err(missing("job_id")),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid value for job_id: {n}"))),
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| ApiError::invalid_parameter(format!("Invalid value for job_id: {s}"))),
        Some(other) => Err(ApiError::malformed(format!(
            "Could not parse request object: Expected an integer for 'job_id' but got '{other}'"
        ))),
    }
}

fn object_field(
    body: &mut Map<String, Value>,
    field: &str,
) -> Result<Option<Map<String, Value>>, ApiError> {
    match body.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ApiError::malformed(format!(
            "Could not parse request object: Expected an object for '{field}'"
        ))),
    }
}

/// The identity `settings.run_as` names: the user's email or the service principal's application id (SDK
/// `Job.run_as_user_name` docstring, sdk@v0.93.0:service/jobs/model.go:1630-1637), or the group's name (SDK
/// `JobRunAs.group_name`, databricks-sdk-py 0.162.0; that the group name is what `run_as_user_name` then
/// holds is inferred, not documented).
fn run_as_identity(settings: &Map<String, Value>) -> Option<&str> {
    let run_as = settings.get("run_as")?;
    ["user_name", "service_principal_name", "group_name"]
        .into_iter()
        .find_map(|k| run_as.get(k).and_then(Value::as_str))
        .filter(|v| !v.is_empty())
}

/// `run_as_user_name`: the identity of the stored `settings.run_as`, else the owner. The SDK docstring
/// (sdk@v0.93.0:service/jobs/model.go:1630-1637): "By default, `run_as_user_name` is based on the current job
/// settings and is set to the creator of the job if job access control is disabled or to the user with the
/// `is_owner` permission if job access control is enabled". The emulator has no job ACLs, so the owner is the
/// creator.
fn run_as_user_name(settings: &Map<String, Value>, owner: &str) -> String {
    run_as_identity(settings).unwrap_or(owner).to_string()
}

/// Put `run_as_user_name` on a read reply (`get`, and `list` items): the stored value (kept up to date by every
/// mutation, and present in API bodies from fixtures), or for a fixture that lacks it, derived from its
/// `settings.run_as` and creator as the service would.
fn put_run_as_user_name<'a>(out: &mut Obj<'a>, job: &'a Value) {
    if let Some(v) = job.get("run_as_user_name").filter(|v| v.is_string()) {
        out.put("run_as_user_name", Part::Value(v));
        return;
    }
    let derived = job
        .get("settings")
        .and_then(Value::as_object)
        .and_then(run_as_identity)
        .or_else(|| job.get("creator_user_name").and_then(Value::as_str));
    if let Some(name) = derived {
        out.put("run_as_user_name", Part::String(name.to_string()));
    }
}

/// Check what a real workspace refuses: tasks without a key, duplicate keys, `depends_on` naming a task that is
/// not in the job, `job_cluster_key` naming a job cluster that is not defined. Messages are modelled on the
/// service's style; their exact wording is unverified.
fn validate(settings: &Map<String, Value>) -> Result<(), ApiError> {
    validate_schedule(settings)?;
    let cluster_keys = keyed_items(settings, "job_clusters", "job_cluster_key", "job cluster")?;
    let task_keys = keyed_items(settings, "tasks", "task_key", "task")?;
    for task in settings
        .get("tasks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = task
            .get("task_key")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match task.get("depends_on") {
            None | Some(Value::Null) => {}
            Some(Value::Array(deps)) => {
                for dep in deps {
                    let Some(on) = dep.get("task_key").and_then(Value::as_str) else {
                        return Err(missing("depends_on.task_key"));
                    };
                    if !task_keys.contains(&on) {
                        return Err(ApiError::invalid_parameter(format!(
                            "Task {key} depends on {on}, which is not a task of this job."
                        )));
                    }
                }
            }
            Some(_) => {
                return Err(ApiError::malformed(
                    "Could not parse request object: Expected an array for 'depends_on'",
                ))
            }
        }
        if let Some(cluster) = task.get("job_cluster_key") {
            let cluster = cluster.as_str().unwrap_or_default();
            if !cluster_keys.contains(&cluster) {
                return Err(ApiError::invalid_parameter(format!(
                    "The job cluster key {cluster} of task {key} is not defined in job_clusters."
                )));
            }
        }
    }
    Ok(())
}

/// A `schedule` must say when (`quartz_cron_expression`) and in which time zone (`timezone_id`): both are
/// required (SDK `CronSchedule`: "This field is required." on each, databricks-sdk-py 0.162.0). This is what makes
/// a partial `update` of the schedule fail: `update` replaces top-level fields whole ("Partially updating nested
/// fields is not supported", SDK `jobs.update` docstring), so `{schedule: {pause_status}}` is a schedule without
/// a cron expression. The message is [UNVERIFIED], in the style of the other missing fields.
fn validate_schedule(settings: &Map<String, Value>) -> Result<(), ApiError> {
    let schedule = match settings.get("schedule") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(s)) => s,
        Some(_) => {
            return Err(ApiError::malformed(
                "Could not parse request object: Expected an object for 'schedule'",
            ))
        }
    };
    for field in ["quartz_cron_expression", "timezone_id"] {
        let given = schedule
            .get(field)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty());
        if !given {
            return Err(missing(&format!("schedule.{field}")));
        }
    }
    Ok(())
}

/// The keys of an array of keyed objects, checking each has a non-empty, unique key.
fn keyed_items<'a>(
    settings: &'a Map<String, Value>,
    field: &str,
    key_field: &str,
    what: &str,
) -> Result<Vec<&'a str>, ApiError> {
    let items = match settings.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::malformed(format!(
                "Could not parse request object: Expected an array for '{field}'"
            )))
        }
    };
    let mut keys: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        if !item.is_object() {
            return Err(ApiError::malformed(format!(
                "Could not parse request object: Expected an object in '{field}'"
            )));
        }
        let key = item
            .get(key_field)
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| missing(key_field))?;
        keys.push(key);
    }
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    if let Some([dup, _]) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(ApiError::invalid_parameter(format!(
            "The {what} key {dup} is used more than once."
        )));
    }
    Ok(keys)
}

/// Fill what the service adds to stored settings. Each default names its source; nothing else is filled:
/// task-level notification blocks, `notebook_task.source`, cluster specs inside the job (`job_clusters`,
/// `tasks[*].new_cluster`: stored exactly as sent, zone `auto` included), `edit_mode`, `deployment` and `run_as`
/// are kept as sent, and nothing is invented for fields the sources do not settle (provider-behaviour.md §14
/// Q2: `edit_mode`, `performance_target`, `notification_settings`).
fn apply_defaults(settings: &mut Map<String, Value>, queue_default: bool) {
    // `format` is always MULTI_TASK in 2.1+, and a `format` sent on write is ignored (databricks-api.md §1.1
    // "2.2 vs 2.1 behaviour").
    settings.insert("format".into(), json!("MULTI_TASK"));
    // Jobs API reference (docs.databricks.com/api/latest/jobs.html#create, `name`): "An optional name for the
    // job. The default value is Untitled."
    settings.entry("name").or_insert_with(|| json!("Untitled"));
    // Empty notification blocks are echoed for jobs created without them: databricks-api.md §4 (Jobs,
    // "Normalisation for drift diffs"); the provider's exporter fixtures show `email_notifications: {}`
    // (shared/reference/exporter-fixtures/get-job-17.json), and the provider suppresses both blocks for that
    // reason (provider-behaviour.md §2.3 "generic suppress", §2.4 item 4).
    settings
        .entry("email_notifications")
        .or_insert_with(|| json!({}));
    settings
        .entry("webhook_notifications")
        .or_insert_with(|| json!({}));
    // SDK `JobSettings.max_concurrent_runs` and the API reference: "The default behavior is to allow only 1
    // concurrent run"; echoed as `1` (exporter fixtures get-job-14.json, get-job-17.json, get-jobs-list.json).
    settings
        .entry("max_concurrent_runs")
        .or_insert_with(|| json!(1));
    // "The default behavior is to have no timeout" (API reference, `timeout_seconds`); echoed as `0` (exporter
    // fixtures get-job-14.json, get-job-17.json, get-jobs-list.json).
    settings
        .entry("timeout_seconds")
        .or_insert_with(|| json!(0));
    // A job created or reset through 2.2 queues by default; 2.0/2.1 leave queueing off unless set
    // (databricks-api.md §1.1 "2.2 vs 2.1 behaviour"; docs.databricks.com/jobs/jobs-api-updates.html, cited in
    // provider-behaviour.md §2.2 "Queue").
    if queue_default {
        settings
            .entry("queue")
            .or_insert_with(|| json!({"enabled": true}));
    }
    // A task with dependencies and no `run_if` reads back `ALL_SUCCESS`: the provider suppresses exactly that
    // diff ("suppress when empty and server = ALL_SUCCESS", provider-behaviour.md §2.3, jobs/resource_job.go:
    // 639-640). Tasks without dependencies come back without it (exporter fixtures get-job-14.json, -17.json).
    if let Some(Value::Array(tasks)) = settings.get_mut("tasks") {
        for task in tasks.iter_mut().filter_map(Value::as_object_mut) {
            let has_deps = task
                .get("depends_on")
                .and_then(Value::as_array)
                .is_some_and(|d| !d.is_empty());
            if has_deps {
                task.entry("run_if").or_insert_with(|| json!("ALL_SUCCESS"));
            }
        }
    }
}

/// Merge `new` into `old` by the string field `key`: an item with a key already present replaces it whole in
/// place, other items are appended in order; old items not named are kept.
fn merge_by_key(old: &mut Vec<Value>, new: Vec<Value>, key: &str) {
    for item in new {
        let k = item.get(key).and_then(Value::as_str).map(str::to_string);
        let pos = k.as_deref().and_then(|k| {
            old.iter()
                .position(|o| o.get(key).and_then(Value::as_str) == Some(k))
        });
        match pos {
            Some(i) => old[i] = item,
            None => old.push(item),
        }
    }
}

/// The key field of the arrays `update` merges item by item.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "tasks" => Some("task_key"),
        "job_clusters" => Some("job_cluster_key"),
        _ => None,
    }
}

/// Apply `fields_to_remove`: top-level names, or `tasks/<task_key>` / `job_clusters/<key>` for single items.
/// Names of fields or items that are not there are ignored.
fn remove_fields(settings: &mut Map<String, Value>, fields: &[String]) {
    for field in fields {
        match field.split_once('/') {
            Some((array, item_key)) => {
                let Some(key) = merge_key(array) else {
                    continue;
                };
                if let Some(Value::Array(items)) = settings.get_mut(array) {
                    items.retain(|i| i.get(key).and_then(Value::as_str) != Some(item_key));
                }
            }
            None => {
                settings.remove(field);
            }
        }
    }
}

/// Apply `update`'s `new_settings`: top-level fields replace, `tasks` and `job_clusters` merge by key.
fn merge_settings(settings: &mut Map<String, Value>, new: Map<String, Value>) {
    for (field, value) in new {
        if field == "format" {
            continue;
        }
        match (merge_key(&field), value, settings.get_mut(&field)) {
            (Some(key), Value::Array(items), Some(Value::Array(old))) => {
                merge_by_key(old, items, key);
            }
            (_, value, _) => {
                settings.insert(field, value);
            }
        }
    }
}

/// `POST /api/2.x/jobs/create`: the body is the settings (plus an ignored `access_control_list`).
fn create(
    ws: &mut Workspace,
    version: Version,
    creator: &str,
    mut settings: Map<String, Value>,
) -> Result<Value, ApiError> {
    settings.remove("access_control_list");
    validate(&settings)?;
    if ws.jobs.len() >= JOBS_QUOTA {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "QUOTA_EXCEEDED",
            format!(
                "The quota for the number of jobs has been reached. The current quota is {JOBS_QUOTA}."
            ),
        ));
    }
    apply_defaults(&mut settings, version == Version::V2_2);
    let id = ws.new_job_id();
    let job = json!({
        "job_id": id,
        "creator_user_name": creator,
        "run_as_user_name": run_as_user_name(&settings, creator),
        "created_time": creation_time(),
        "settings": settings,
    });
    ws.jobs.insert(id, job);
    Ok(json!({ "job_id": id }))
}

/// The owner a stored job's `run_as_user_name` falls back to.
fn owner(job: &Value, ws: &Workspace) -> String {
    job.get("creator_user_name")
        .and_then(Value::as_str)
        .map_or_else(|| ws.user_name(), str::to_string)
}

/// Store new settings for an existing job and refresh what derives from them.
fn store_settings(ws: &mut Workspace, id: i64, settings: Map<String, Value>) {
    let owner = ws.jobs.get(&id).map(|j| owner(j, ws)).unwrap_or_default();
    let run_as = run_as_user_name(&settings, &owner);
    ws.jobs.modify(id, |job| {
        if let Some(job) = job.as_object_mut() {
            job.insert("run_as_user_name".into(), Value::String(run_as));
            job.insert("settings".into(), Value::Object(settings));
        }
    });
}

/// `POST /api/2.x/jobs/reset`: replace the whole settings; defaults as on create.
fn reset(
    ws: &mut Workspace,
    version: Version,
    mut body: Map<String, Value>,
) -> Result<Value, ApiError> {
    let id = body_job_id(&body)?;
    let mut settings =
        object_field(&mut body, "new_settings")?.ok_or_else(|| missing("new_settings"))?;
    if !ws.jobs.contains_key(&id) {
        return Err(no_such_job(id));
    }
    validate(&settings)?;
    apply_defaults(&mut settings, version == Version::V2_2);
    store_settings(ws, id, settings);
    Ok(json!({}))
}

/// `POST /api/2.x/jobs/update`: `fields_to_remove` first, then `new_settings` merged in.
fn update(ws: &mut Workspace, mut body: Map<String, Value>) -> Result<Value, ApiError> {
    let id = body_job_id(&body)?;
    let new = object_field(&mut body, "new_settings")?;
    let remove: Vec<String> = match body.remove("fields_to_remove") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                _ => Err(ApiError::malformed(
                    "Could not parse request object: Expected a string in 'fields_to_remove'",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::malformed(
                "Could not parse request object: Expected an array for 'fields_to_remove'",
            ))
        }
    };
    let job = ws.jobs.get(&id).ok_or_else(|| no_such_job(id))?;
    let mut settings = job
        .get("settings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    remove_fields(&mut settings, &remove);
    if let Some(new) = new {
        merge_settings(&mut settings, new);
    }
    validate(&settings)?;
    // `update` merges into what is stored, which had its defaults filled on create or reset; it never turns
    // queueing on (the 2.2 default applies to new settings: create and reset, databricks-api.md §1.1).
    apply_defaults(&mut settings, false);
    store_settings(ws, id, settings);
    Ok(json!({}))
}

/// `POST /api/2.x/jobs/delete`.
fn delete(ws: &mut Workspace, body: Map<String, Value>) -> Result<Value, ApiError> {
    let id = body_job_id(&body)?;
    ws.jobs.remove(&id).ok_or_else(|| no_such_job(id))?;
    ws.forget_acl(&format!("/jobs/{id}"));
    Ok(json!({}))
}
