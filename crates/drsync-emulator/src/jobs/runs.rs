//! Job runs of the emulated workspace, `/api/2.1/jobs/*` and `/api/2.2/jobs/*`: `run-now` (idempotency tokens,
//! `max_concurrent_runs` with skipping or queueing), `runs/get`, `runs/list` (filters, newest first, offset and
//! cursor paging), `runs/cancel` and `runs/cancel-all`, and the run lifecycle, which reads advance one step at a
//! time, as reads advance clusters (`clusters::lifecycle`). How a job's runs end and how long they run is a
//! test knob, [`RunPlan`]. It must not pretend to execute anything: a run is a state machine and nothing else.
//!
//! Lifecycle (SDK `RunLifeCycleState`, databricks-sdk-py 0.162.0 `service/jobs.py`): `run-now` makes a run
//! `PENDING` (or `QUEUED`, or `SKIPPED`, see [`run_now`]). Each later read of the run (`runs/get` of it, or any
//! `runs/list`) first advances it one step: `PENDING` → `RUNNING`; `RUNNING` stays for the reads its plan says,
//! then → `TERMINATING` (or the terminal `INTERNAL_ERROR`); `TERMINATING` → `TERMINATED` with its
//! `result_state`. `runs/cancel` moves an active run to `TERMINATING`, ending `CANCELED`. When an active run
//! ends, the oldest queued run of its job (if any) becomes `PENDING`. With the default plan an SDK waiter
//! (`wait_get_run_job_terminated_or_skipped`, which polls `runs/get`) sees `RUNNING`, `TERMINATING`, then
//! `TERMINATED`. The tasks of a run move in step with it (a simplification: the service runs them in dependency
//! order).

use super::{missing, no_such_job, select_page, Cursor, Key, Start, Version, ARRAY_PAGE};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::params::Query;
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
use std::collections::BTreeMap;

/// How a run ends once it has run (the test knob of [`RunPlan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunOutcome {
    /// `TERMINATED` with `result_state` `SUCCESS`.
    #[default]
    Success,
    /// `TERMINATED` with `result_state` `FAILED` (a task failed).
    Failed,
    /// `TERMINATED` with `result_state` `TIMEDOUT` (the run was stopped after its timeout).
    TimedOut,
    /// The terminal lifecycle state `INTERNAL_ERROR` (a failure of the Jobs service itself), straight from
    /// `RUNNING`.
    InternalError,
}

/// How the runs of a job play out in the emulator: a test knob, set per job (or for all jobs) through
/// [`crate::EmulatorConfig::run_plans`], [`crate::Emulator::set_run_plan`] and their defaults. A run follows the
/// plan in force when it was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPlan {
    /// How the run ends.
    pub outcome: RunOutcome,
    /// How many reads see the run `RUNNING` before it moves on (0: the read after `PENDING` already sees it
    /// finishing); `None`: it runs until it is cancelled.
    pub running_reads: Option<u32>,
}

impl Default for RunPlan {
    /// Success, seen `RUNNING` by one read.
    fn default() -> Self {
        RunPlan {
            outcome: RunOutcome::Success,
            running_reads: Some(1),
        }
    }
}

impl RunPlan {
    /// The default plan ending with `outcome`.
    pub fn ending(outcome: RunOutcome) -> Self {
        RunPlan {
            outcome,
            ..RunPlan::default()
        }
    }

    /// A plan whose runs stay `RUNNING` until cancelled.
    pub fn until_cancelled() -> Self {
        RunPlan {
            outcome: RunOutcome::Success,
            running_reads: None,
        }
    }
}

/// Where a run is in its lifecycle (`RunLifeCycleState`; `BLOCKED` and `WAITING_FOR_RETRY` never happen here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    Queued,
    Pending,
    /// Seen `RUNNING` by this many reads so far.
    Running(u32),
    /// Ending with this result.
    Terminating(Ending),
    /// Ended with this result.
    Terminated(Ending),
    Skipped,
    InternalError,
}

/// How a run that is terminating ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Success,
    Failed,
    TimedOut,
    Canceled,
}

impl Life {
    /// `QUEUED`, `PENDING`, `RUNNING` and `TERMINATING` are active (`list_runs` docstring, `active_only`).
    fn active(self) -> bool {
        matches!(
            self,
            Life::Queued | Life::Pending | Life::Running(_) | Life::Terminating(_)
        )
    }

    /// Active and holding one of the job's `max_concurrent_runs` slots: queued runs wait for one.
    fn holds_slot(self) -> bool {
        self.active() && self != Life::Queued
    }

    fn of(state: &str) -> Option<Life> {
        Some(match state {
            "QUEUED" => Life::Queued,
            "PENDING" => Life::Pending,
            // A fixture's running run counts as seen running once: the next read moves it on (default plan).
            "RUNNING" => Life::Running(1),
            // A fixture's run ends as its `result_state` says ([`Runs::seed`]).
            "TERMINATING" => Life::Terminating(Ending::Success),
            "TERMINATED" => Life::Terminated(Ending::Success),
            "SKIPPED" => Life::Skipped,
            "INTERNAL_ERROR" => Life::InternalError,
            _ => return None,
        })
    }
}

/// One run: its `runs/get` body (kept current on every step), where it is, and what it was told to do.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    body: Map<String, Value>,
    life: Life,
    plan: RunPlan,
    /// When the current lifecycle state began (for the task durations).
    since: i64,
}

impl Run {
    fn job_id(&self) -> i64 {
        self.body.get("job_id").and_then(Value::as_i64).unwrap_or(0)
    }

    fn start_time(&self) -> i64 {
        self.body
            .get("start_time")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// Where the run sorts in `runs/list`: `(start_time, run_id)`, newest first.
    fn key(&self, id: i64) -> Key {
        (self.start_time(), id)
    }
}

/// The runs of a workspace by id, their idempotency tokens and the plans runs get.
#[derive(Debug, Default)]
pub(crate) struct Runs {
    by_id: BTreeMap<i64, Run>,
    /// `idempotency_token` → the run it started.
    tokens: BTreeMap<String, i64>,
    /// Plans by job id, and the plan of jobs without one.
    plans: BTreeMap<i64, RunPlan>,
    default_plan: RunPlan,
    /// The last run id handed out (task runs take ids too); `None` before the first.
    last_id: Option<i64>,
    /// The last `start_time` handed out: start times strictly increase, so newest first is start order.
    last_start: i64,
}

impl Runs {
    /// Runs from the fixtures (`runs/get` bodies; those without a known `life_cycle_state` never move).
    pub(crate) fn seed(bodies: &[Value]) -> Self {
        let mut runs = Runs::default();
        for body in bodies {
            let (Some(id), Some(map)) =
                (body.get("run_id").and_then(Value::as_i64), body.as_object())
            else {
                continue;
            };
            let life = map
                .get("state")
                .and_then(|s| s.get("life_cycle_state"))
                .and_then(Value::as_str)
                .and_then(Life::of)
                .unwrap_or(Life::Terminated(Ending::Success));
            let ending = match body.pointer("/state/result_state").and_then(Value::as_str) {
                Some("FAILED") => Ending::Failed,
                Some("TIMEDOUT") => Ending::TimedOut,
                Some("CANCELED") => Ending::Canceled,
                _ => Ending::Success,
            };
            let life = match life {
                Life::Terminating(_) => Life::Terminating(ending),
                Life::Terminated(_) => Life::Terminated(ending),
                other => other,
            };
            runs.last_id = Some(runs.last_id.unwrap_or(0).max(id));
            let run = Run {
                body: map.clone(),
                life,
                plan: RunPlan::default(),
                since: now_ms(),
            };
            runs.last_start = runs.last_start.max(run.start_time());
            runs.by_id.insert(id, run);
        }
        runs
    }

    /// Set the plan of the runs `job_id` starts from now on.
    pub(crate) fn set_plan(&mut self, job_id: i64, plan: RunPlan) {
        self.plans.insert(job_id, plan);
    }

    /// Set the plan of the runs of jobs that have none of their own.
    pub(crate) fn set_default_plan(&mut self, plan: RunPlan) {
        self.default_plan = plan;
    }

    fn plan_of(&self, job_id: i64) -> RunPlan {
        self.plans
            .get(&job_id)
            .copied()
            .unwrap_or(self.default_plan)
    }

    /// How many runs there are.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    fn start_time(&mut self) -> i64 {
        self.last_start = now_ms().max(self.last_start + 1);
        self.last_start
    }

    /// The active runs of `job_id` holding a concurrency slot.
    fn running_of(&self, job_id: i64) -> usize {
        self.by_id
            .values()
            .filter(|r| r.job_id() == job_id && r.life.holds_slot())
            .count()
    }
}

impl Workspace {
    /// A new run id. Run ids increase (as the service's do: runs listed in `runs/list` samples carry consecutive
    /// ids, e.g. 21072094 and 21072095), starting from a large int64 like job ids [UNVERIFIED: the size of
    /// today's run ids]. The first one draws on the seed, so a workspace that never runs a job keeps the ids it
    /// always had.
    fn new_run_id(&mut self) -> i64 {
        let id = match self.runs.last_id {
            Some(last) => last + 1,
            None => self.random_id_base(),
        };
        self.runs.last_id = Some(id);
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
    if let Some(run_id) = token.as_ref().and_then(|t| ws.runs.tokens.get(t)) {
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
    let start = ws.runs.start_time();
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
    let overriding: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "jar_params"
                    | "notebook_params"
                    | "python_params"
                    | "python_named_params"
                    | "spark_submit_params"
                    | "sql_params"
                    | "dbt_commands"
                    | "pipeline_params"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !overriding.is_empty() {
        // SDK `Run.overriding_parameters` (`RunParameters`): the legacy parameters the run was given.
        run.insert("overriding_parameters".into(), Value::Object(overriding));
    }
    let task_ids: Vec<i64> = settings
        .get("tasks")
        .and_then(Value::as_array)
        .map(|t| t.iter().map(|_| ws.new_run_id()).collect())
        .unwrap_or_default();
    let tasks: Vec<Value> = settings
        .get("tasks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .zip(&task_ids)
        .map(|(task, id)| {
            let mut t = task.as_object().cloned().unwrap_or_default();
            t.insert("run_id".into(), json!(id));
            t.insert("attempt_number".into(), json!(0));
            t.insert("start_time".into(), json!(start));
            t.insert(
                "run_page_url".into(),
                json!(run_page_url(origin, job_id, *id)),
            );
            Value::Object(t)
        })
        .collect();
    if !tasks.is_empty() {
        run.insert("tasks".into(), Value::Array(tasks));
    }
    let plan = ws.runs.plan_of(job_id);
    let mut run = Run {
        body: run,
        life,
        plan,
        since: start,
    };
    render(&mut run, start, max);
    ws.runs.by_id.insert(run_id, run);
    if let Some(t) = token {
        ws.runs.tokens.insert(t, run_id);
    }
    Ok(json!({"run_id": run_id, "number_in_job": run_id}))
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

/// Write the run's state into its body: `state` (SDK `RunState`), `status` (SDK `RunStatus`), `end_time`, the
/// durations, and the same for each task. `max` is the job's `max_concurrent_runs` (named in messages).
///
/// - `end_time` is 0 while the run is active (SDK `Run.end_time`: "This field is set to 0 if the job is still
///   running"; observed in `runs/list` replies, with `user_cancelled_or_timedout: false` and `state_message`
///   "In run" while `RUNNING`).
/// - The job run's own `setup_duration`, `execution_duration` and `cleanup_duration` are 0, its total is
///   `run_duration` (SDK `Run.setup_duration`: "set to 0 for multitask job runs"; every job is multitask since
///   2.1); tasks carry the three durations.
/// - `result_state` only in a terminal state (SDK `RunState.result_state`: "only available for terminal
///   lifecycle states"); `status.termination_details` from `TERMINATING` on (SDK `RunStatus`).
/// - The messages, `termination_details.type` of the failures and `result_state` `FAILED` beside the lifecycle
///   state `INTERNAL_ERROR` are [UNVERIFIED] but the skip message, which the service sends as the emulator
///   does (databricks/cli#257: "Skipping this run because the limit of 1 maximum concurrent runs has been
///   reached.").
fn render(run: &mut Run, now: i64, max: i64) {
    let (life_cycle, v2, message) = match run.life {
        Life::Queued => (
            "QUEUED",
            "QUEUED",
            format!("Queued due to reaching maximum concurrent runs of {max}."),
        ),
        Life::Pending => ("PENDING", "PENDING", String::new()),
        Life::Running(_) => ("RUNNING", "RUNNING", "In run".to_string()),
        Life::Terminating(Ending::Canceled) => {
            ("TERMINATING", "TERMINATING", "Run cancelled.".to_string())
        }
        Life::Terminating(_) => ("TERMINATING", "TERMINATING", String::new()),
        Life::Terminated(_) => ("TERMINATED", "TERMINATED", String::new()),
        Life::Skipped => (
            "SKIPPED",
            "TERMINATED",
            format!(
                "Skipping this run because the limit of {max} maximum concurrent runs has been reached."
            ),
        ),
        Life::InternalError => (
            "INTERNAL_ERROR",
            "TERMINATED",
            "Run failed with an internal error in the Jobs service.".to_string(),
        ),
    };
    let mut state = Map::new();
    state.insert("life_cycle_state".into(), json!(life_cycle));
    state.insert("state_message".into(), json!(message));
    let (result, cancelled) = result_of(run);
    if let Some(result) = result {
        state.insert("result_state".into(), json!(result));
    }
    state.insert("user_cancelled_or_timedout".into(), json!(cancelled));
    if run.life == Life::Queued {
        state.insert("queue_reason".into(), json!(message));
    }
    let mut status = Map::new();
    status.insert("state".into(), json!(v2));
    if run.life == Life::Queued {
        // SDK `QueueDetailsCodeCode` MAX_CONCURRENT_RUNS_REACHED: "queued due to reaching the per-job limit of
        // concurrent job runs".
        status.insert(
            "queue_details".into(),
            json!({"code": "MAX_CONCURRENT_RUNS_REACHED", "message": message}),
        );
    }
    if let Some(details) = termination_details(run) {
        status.insert("termination_details".into(), details);
    }
    let state = Value::Object(state);
    let status = Value::Object(status);
    let start = run.start_time();
    let ended = !run.life.active();
    let end_time = if ended { now } else { 0 };
    let b = &mut run.body;
    b.insert("state".into(), state.clone());
    b.insert("status".into(), status.clone());
    b.insert("end_time".into(), json!(end_time));
    for field in ["setup_duration", "execution_duration", "cleanup_duration"] {
        b.insert(field.into(), json!(0));
    }
    if ended {
        b.insert("run_duration".into(), json!(now - start));
    }
    // Task durations: setup while pending, execution while running, cleanup while terminating.
    let phase = match run.life {
        Life::Pending => Some("setup_duration"),
        Life::Running(_) => Some("execution_duration"),
        Life::Terminating(_) => Some("cleanup_duration"),
        _ => None,
    };
    let elapsed = now - run.since;
    if let Some(Value::Array(tasks)) = b.get_mut("tasks") {
        for task in tasks.iter_mut().filter_map(Value::as_object_mut) {
            task.insert("state".into(), state.clone());
            task.insert("status".into(), status.clone());
            task.insert("end_time".into(), json!(end_time));
            for field in ["setup_duration", "execution_duration", "cleanup_duration"] {
                task.entry(field).or_insert(json!(0));
            }
            if let Some(field) = phase {
                task.insert(field.into(), json!(elapsed.max(0)));
            }
        }
    }
}

/// The `result_state` of a run (none while it is active, nor for a skipped run) and whether it was cancelled by
/// a user or timed out (`user_cancelled_or_timedout`).
fn result_of(run: &Run) -> (Option<&'static str>, bool) {
    match run.life {
        Life::Terminated(Ending::Success) => (Some("SUCCESS"), false),
        Life::Terminated(Ending::Failed) => (Some("FAILED"), false),
        Life::Terminated(Ending::TimedOut) => (Some("TIMEDOUT"), true),
        Life::Terminated(Ending::Canceled) => (Some("CANCELED"), true),
        Life::InternalError => (Some("FAILED"), false),
        _ => (None, false),
    }
}

/// `status.termination_details` (SDK `TerminationDetails`, codes from `TerminationCodeCode`): from
/// `TERMINATING` on, and for runs that never ran.
fn termination_details(run: &Run) -> Option<Value> {
    let ending = match run.life {
        Life::Terminating(e) | Life::Terminated(e) => e,
        Life::Skipped => {
            // "MAX_CONCURRENT_RUNS_EXCEEDED: The scheduled run exceeds the limit of maximum concurrent runs set
            // for the job."
            return Some(
                json!({"code": "MAX_CONCURRENT_RUNS_EXCEEDED", "type": "CLIENT_ERROR",
                "message": "The run was skipped because the maximum concurrent runs of the job were reached."}),
            );
        }
        Life::InternalError => {
            // "INTERNAL_ERROR: The run encountered an unexpected error."; type "An error occurred in the
            // Databricks platform".
            return Some(json!({"code": "INTERNAL_ERROR", "type": "INTERNAL_ERROR",
                "message": "The run encountered an unexpected error."}));
        }
        _ => return None,
    };
    Some(match ending {
        // "SUCCESS: The run was completed successfully."
        Ending::Success => json!({"code": "SUCCESS", "type": "SUCCESS", "message": ""}),
        // "RUN_EXECUTION_ERROR: The run was completed with task failures."; the type "CLIENT_ERROR: ... an
        // error caused by user input or the job configuration".
        Ending::Failed => json!({"code": "RUN_EXECUTION_ERROR", "type": "CLIENT_ERROR",
            "message": "Workload failed, see run output for details."}),
        // "CANCELED: The run was canceled during execution by the Databricks platform; for example, if the
        // maximum run duration was exceeded."
        Ending::TimedOut => json!({"code": "CANCELED", "type": "CLIENT_ERROR",
            "message": "The run was stopped after reaching its timeout."}),
        // "USER_CANCELED: The run was successfully canceled during execution by a user."
        Ending::Canceled => json!({"code": "USER_CANCELED", "type": "SUCCESS",
            "message": "The run was canceled by a user."}),
    })
}

/// The job's `max_concurrent_runs` now (1 when it says none, or is gone).
fn max_of(ws: &Workspace, job_id: i64) -> i64 {
    ws.jobs
        .get(&job_id)
        .and_then(|j| j.pointer("/settings/max_concurrent_runs"))
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// Move a run to `life` at `now` and rewrite its body.
fn enter(run: &mut Run, life: Life, now: i64, max: i64) {
    run.life = life;
    render(run, now, max);
    run.since = now;
}

/// Advance one run one step (see the module docs). Returns whether it stopped being active.
fn step(run: &mut Run, now: i64, max: i64) -> bool {
    let finish = |plan: RunPlan| match plan.outcome {
        RunOutcome::Success => Life::Terminating(Ending::Success),
        RunOutcome::Failed => Life::Terminating(Ending::Failed),
        RunOutcome::TimedOut => Life::Terminating(Ending::TimedOut),
        RunOutcome::InternalError => Life::InternalError,
    };
    let next = match run.life {
        Life::Pending => match run.plan.running_reads {
            Some(0) => finish(run.plan),
            _ => Life::Running(1),
        },
        Life::Running(seen) => match run.plan.running_reads {
            Some(n) if seen >= n => finish(run.plan),
            _ => Life::Running(seen.saturating_add(1)),
        },
        Life::Terminating(e) => Life::Terminated(e),
        Life::Queued | Life::Terminated(_) | Life::Skipped | Life::InternalError => return false,
    };
    if let Life::Running(_) = next {
        if let Life::Running(_) = run.life {
            // Still running: only the count and the task's execution time move.
            run.life = next;
            render(run, now, max);
            return false;
        }
    }
    enter(run, next, now, max);
    !next.active()
}

/// Give queued runs of `job_id` the slots that are free, oldest first.
fn dequeue(ws: &mut Workspace, job_id: i64, now: i64) {
    let max = max_of(ws, job_id);
    let mut free = max - i64::try_from(ws.runs.running_of(job_id)).unwrap_or(i64::MAX);
    let queued: Vec<i64> = ws
        .runs
        .by_id
        .iter()
        .filter(|(_, r)| r.job_id() == job_id && r.life == Life::Queued)
        .map(|(id, _)| *id)
        .collect();
    for id in queued {
        if free <= 0 {
            break;
        }
        if let Some(run) = ws.runs.by_id.get_mut(&id) {
            // SDK `Run.queue_duration`: "The time in milliseconds that the run has spent in the queue."
            let waited = now - run.start_time();
            run.body.insert("queue_duration".into(), json!(waited));
            enter(run, Life::Pending, now, max);
            free -= 1;
        }
    }
}

/// Advance the runs `ids` (active ones) one step each, then fill freed slots from the queues.
fn advance(ws: &mut Workspace, ids: &[i64]) {
    let now = now_ms();
    let mut freed = Vec::new();
    for id in ids {
        let Some(job_id) = ws.runs.by_id.get(id).map(Run::job_id) else {
            continue;
        };
        let max = max_of(ws, job_id);
        if let Some(run) = ws.runs.by_id.get_mut(id) {
            if step(run, now, max) {
                freed.push(job_id);
            }
        }
    }
    freed.sort_unstable();
    freed.dedup();
    for job_id in freed {
        dequeue(ws, job_id, now);
    }
}

/// A run as a read shows it: the stored body, without `tasks` and
/// `job_clusters` unless `expand` (SDK `list_runs`: "expand_tasks: Whether to include task and cluster details
/// in the response"), and in 2.2 lists the first 100 of each with `has_more` when any was cut (SDK
/// `Run.has_more`: "only relevant for API 2.2 jobs/listruns requests with expand_tasks=true").
fn shown(run: &Run, expand: bool, list: Option<Version>) -> Value {
    let mut out = Map::with_capacity(run.body.len());
    let mut cut = false;
    for (k, v) in &run.body {
        let array = matches!(k.as_str(), "tasks" | "job_clusters");
        if array && !expand {
            continue;
        }
        match (v, list) {
            (Value::Array(items), Some(Version::V2_2)) if array && items.len() > ARRAY_PAGE => {
                cut = true;
                out.insert(k.clone(), Value::Array(items[..ARRAY_PAGE].to_vec()));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if expand && list == Some(Version::V2_2) {
        out.insert("has_more".into(), json!(cut));
    }
    Value::Object(out)
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
    if !ws.runs.by_id.contains_key(&id) {
        return Err(no_such_run(id));
    }
    let page = match (version, q.get("page_token")) {
        (Version::V2_2, Some(t)) => decode_run_token(t, id).ok_or_else(super::bad_token)?,
        _ => 0,
    };
    if page == 0 {
        advance(ws, &[id]);
    }
    let run = ws.runs.by_id.get(&id).ok_or_else(|| no_such_run(id))?;
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
        if !ws.jobs.contains_key(&id) && !ws.runs.by_id.values().any(|r| r.job_id() == id) {
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

    let active: Vec<i64> = ws
        .runs
        .by_id
        .iter()
        .filter(|(_, r)| r.life.active())
        .map(|(id, _)| *id)
        .collect();
    advance(ws, &active);

    let mut keys: Vec<Key> = ws
        .runs
        .by_id
        .iter()
        .filter(|(_, r)| {
            job_id.is_none_or(|j| r.job_id() == j)
                && (!active_only || r.life.active())
                && (!completed_only || !r.life.active())
                && run_type.is_none_or(|t| {
                    r.body.get("run_type").and_then(Value::as_str).unwrap_or("JOB_RUN") == t
                })
                // "Show runs that started at or after / at or before this value." (SDK `list_runs`)
                && from.is_none_or(|f| r.start_time() >= f)
                && to.is_none_or(|t| r.start_time() <= t)
        })
        .map(|(id, r)| r.key(*id))
        .collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let page = select_page(&keys, start, limit);
    let runs: Vec<Value> = page
        .keys
        .iter()
        .filter_map(|(_, id)| ws.runs.by_id.get(id))
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

/// Cancel one run: an active run moves to `TERMINATING`, ending `CANCELED`; a run that is terminating or over
/// is left as it is (SDK `cancel_run`: "The run is canceled asynchronously, so it may still be running when this
/// request completes").
fn cancel_one(run: &mut Run, now: i64, max: i64) {
    if matches!(run.life, Life::Queued | Life::Pending | Life::Running(_)) {
        enter(run, Life::Terminating(Ending::Canceled), now, max);
    }
}

/// `POST /api/2.x/jobs/runs/cancel` {run_id} → {}. An unknown run is the 400 `runs/get` gives [UNVERIFIED for
/// cancel]; cancelling a run that is over does nothing [UNVERIFIED].
fn cancel(ws: &mut Workspace, body: Map<String, Value>) -> Result<Value, ApiError> {
    let id = body_i64(&body, "run_id")?.ok_or_else(|| missing("run_id"))?;
    let job_id = ws
        .runs
        .by_id
        .get(&id)
        .map(Run::job_id)
        .ok_or_else(|| no_such_run(id))?;
    let max = max_of(ws, job_id);
    if let Some(run) = ws.runs.by_id.get_mut(&id) {
        cancel_one(run, now_ms(), max);
    }
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
        .by_id
        .iter()
        .filter(|(_, r)| match job_id {
            Some(j) => r.job_id() == j && r.life.active(),
            None => r.life == Life::Queued,
        })
        .map(|(id, r)| (*id, r.job_id()))
        .collect();
    for (id, job) in targets {
        let max = max_of(ws, job);
        if let Some(run) = ws.runs.by_id.get_mut(&id) {
            cancel_one(run, now, max);
        }
    }
    Ok(json!({}))
}

#[cfg(test)]
mod tests;
