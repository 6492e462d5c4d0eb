//! Job runs as data: each run's `runs/get` body, where it is in its lifecycle, the state machine that moves it
//! and the plans a test sets for how a job's runs end ([`RunPlan`]). Plain data and decisions, like `state`,
//! which holds a workspace's runs: no HTTP, no workspace, no clock (every change is given its time). It must not
//! pretend to execute anything: a run is a state machine and nothing else. `jobs::runs` serves it.
//!
//! Lifecycle (SDK `RunLifeCycleState`, databricks-sdk-py 0.162.0 `service/jobs.py`): `run-now` makes a run
//! `PENDING` (or `QUEUED`, or `SKIPPED`). Each later read of the run (`runs/get` of it, or any `runs/list`)
//! first advances it one step ([`Runs::advance`]): `PENDING` → `RUNNING`; `RUNNING` stays for the reads its plan
//! says, then → `TERMINATING` (or the terminal `INTERNAL_ERROR`); `TERMINATING` → `TERMINATED` with its
//! `result_state`. A cancel moves an active run to `TERMINATING`, ending `CANCELED`. When an active run ends, the
//! oldest queued run of its job (if any) becomes `PENDING`. With the default plan an SDK waiter
//! (`wait_get_run_job_terminated_or_skipped`, which polls `runs/get`) sees `RUNNING`, `TERMINATING`, then
//! `TERMINATED`. The tasks of a run move in step with it (a simplification: the service runs them in dependency
//! order).

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
    /// And for how long at least, in milliseconds of the emulator's clock from the read that saw it start
    /// running: a run that must take real time (0: reads alone decide).
    pub running_ms: u64,
}

impl Default for RunPlan {
    /// Success, seen `RUNNING` by one read.
    fn default() -> Self {
        RunPlan {
            outcome: RunOutcome::Success,
            running_reads: Some(1),
            running_ms: 0,
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
            running_ms: 0,
        }
    }
}

/// Where a run is in its lifecycle (`RunLifeCycleState`; `BLOCKED` and `WAITING_FOR_RETRY` never happen here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Life {
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
pub(crate) enum Ending {
    Success,
    Failed,
    TimedOut,
    Canceled,
}

impl Life {
    /// `QUEUED`, `PENDING`, `RUNNING` and `TERMINATING` are active (`list_runs` docstring, `active_only`).
    pub(crate) fn active(self) -> bool {
        matches!(
            self,
            Life::Queued | Life::Pending | Life::Running(_) | Life::Terminating(_)
        )
    }

    /// Active and holding one of the job's `max_concurrent_runs` slots: queued runs wait for one.
    pub(crate) fn holds_slot(self) -> bool {
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
    /// A new run with this body (its state fields are written here), in `life`, following `plan`, at `now`;
    /// `max` is its job's `max_concurrent_runs` (named in messages).
    pub(crate) fn new(
        body: Map<String, Value>,
        life: Life,
        plan: RunPlan,
        now: i64,
        max: i64,
    ) -> Self {
        let mut run = Run {
            body,
            life,
            plan,
            since: now,
        };
        render(&mut run, now, max);
        run
    }

    /// Where the run is.
    pub(crate) fn life(&self) -> Life {
        self.life
    }

    /// A field of its body.
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }

    /// The run's job.
    pub(crate) fn job_id(&self) -> i64 {
        self.body.get("job_id").and_then(Value::as_i64).unwrap_or(0)
    }

    /// When the run started (epoch milliseconds).
    pub(crate) fn start_time(&self) -> i64 {
        self.body
            .get("start_time")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// Where the run sorts in `runs/list`: `(start_time, run_id)`, newest first.
    pub(crate) fn key(&self, id: i64) -> (i64, i64) {
        (self.start_time(), id)
    }

    /// The run as a read shows it: the stored body, without `tasks` and `job_clusters` unless `expand` (SDK
    /// `list_runs`: "expand_tasks: Whether to include task and cluster details in the response"), and with
    /// `cut_at` (2.2 lists: 100) only that many of each, with `has_more` when any was cut (SDK `Run.has_more`:
    /// "only relevant for API 2.2 jobs/listruns requests with expand_tasks=true").
    pub(crate) fn view(&self, expand: bool, cut_at: Option<usize>) -> Value {
        let mut out = Map::with_capacity(self.body.len());
        let mut cut = false;
        for (k, v) in &self.body {
            let array = matches!(k.as_str(), "tasks" | "job_clusters");
            if array && !expand {
                continue;
            }
            match (v, cut_at) {
                (Value::Array(items), Some(n)) if array && items.len() > n => {
                    cut = true;
                    out.insert(k.clone(), Value::Array(items[..n].to_vec()));
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if expand && cut_at.is_some() {
            out.insert("has_more".into(), json!(cut));
        }
        Value::Object(out)
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
    pub(crate) fn seed(bodies: &[Value], now: i64) -> Self {
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
                since: now,
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

    /// The plan a run of `job_id` started now follows.
    pub(crate) fn plan_of(&self, job_id: i64) -> RunPlan {
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

    /// The `start_time` of a run started at `now`.
    pub(crate) fn start_time(&mut self, now: i64) -> i64 {
        self.last_start = now.max(self.last_start + 1);
        self.last_start
    }

    /// The active runs of `job_id` holding a concurrency slot.
    pub(crate) fn running_of(&self, job_id: i64) -> usize {
        self.by_id
            .values()
            .filter(|r| r.job_id() == job_id && r.life.holds_slot())
            .count()
    }

    /// The last run id handed out, if any.
    pub(crate) fn last_id(&self) -> Option<i64> {
        self.last_id
    }

    /// Note a run id as handed out.
    pub(crate) fn note_id(&mut self, id: i64) {
        self.last_id = Some(self.last_id.unwrap_or(id).max(id));
    }

    /// The run `id`.
    pub(crate) fn get(&self, id: i64) -> Option<&Run> {
        self.by_id.get(&id)
    }

    /// Every run by id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i64, &Run)> {
        self.by_id.iter().map(|(id, r)| (*id, r))
    }

    /// Keep a new run, and the `idempotency_token` that started it.
    pub(crate) fn insert(&mut self, id: i64, run: Run, token: Option<String>) {
        self.by_id.insert(id, run);
        if let Some(t) = token {
            self.tokens.insert(t, id);
        }
    }

    /// The run an `idempotency_token` started.
    pub(crate) fn started_by(&self, token: &str) -> Option<i64> {
        self.tokens.get(token).copied()
    }

    /// The ids of the active runs.
    pub(crate) fn active_ids(&self) -> Vec<i64> {
        self.iter()
            .filter(|(_, r)| r.life.active())
            .map(|(id, _)| id)
            .collect()
    }

    /// Give queued runs of `job_id` the slots that are free, oldest first.
    fn dequeue(&mut self, job_id: i64, now: i64, max: i64) {
        let mut free = max - i64::try_from(self.running_of(job_id)).unwrap_or(i64::MAX);
        let queued: Vec<i64> = self
            .by_id
            .iter()
            .filter(|(_, r)| r.job_id() == job_id && r.life == Life::Queued)
            .map(|(id, _)| *id)
            .collect();
        for id in queued {
            if free <= 0 {
                break;
            }
            if let Some(run) = self.by_id.get_mut(&id) {
                // SDK `Run.queue_duration`: "The time in milliseconds that the run has spent in the queue."
                let waited = now - run.start_time();
                run.body.insert("queue_duration".into(), json!(waited));
                enter(run, Life::Pending, now, max);
                free -= 1;
            }
        }
    }

    /// Advance the runs `ids` (active ones) one step each at `now`, then fill freed slots from the queues;
    /// `max_of` gives a job's `max_concurrent_runs`.
    pub(crate) fn advance(&mut self, ids: &[i64], now: i64, max_of: impl Fn(i64) -> i64) {
        let mut freed = Vec::new();
        for id in ids {
            let Some(job_id) = self.by_id.get(id).map(Run::job_id) else {
                continue;
            };
            let max = max_of(job_id);
            if let Some(run) = self.by_id.get_mut(id) {
                if step(run, now, max) {
                    freed.push(job_id);
                }
            }
        }
        freed.sort_unstable();
        freed.dedup();
        for job_id in freed {
            self.dequeue(job_id, now, max_of(job_id));
        }
    }

    /// Cancel the run `id`: an active run moves to `TERMINATING`, ending `CANCELED`; a run that is terminating or
    /// over is left as it is (SDK `cancel_run`: "The run is canceled asynchronously, so it may still be running
    /// when this request completes").
    pub(crate) fn cancel(&mut self, id: i64, now: i64, max: i64) {
        let Some(run) = self.by_id.get_mut(&id) else {
            return;
        };
        if matches!(run.life, Life::Queued | Life::Pending | Life::Running(_)) {
            enter(run, Life::Terminating(Ending::Canceled), now, max);
        }
    }
}

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

/// Move a run to `life` at `now` and rewrite its body: the phase it leaves is timed up to `now` first.
fn enter(run: &mut Run, life: Life, now: i64, max: i64) {
    render(run, now, max);
    run.life = life;
    run.since = now;
    render(run, now, max);
}

/// Advance one run one step (see the module docs). Returns whether it stopped being active.
fn step(run: &mut Run, now: i64, max: i64) -> bool {
    let finish = |plan: RunPlan| match plan.outcome {
        RunOutcome::Success => Life::Terminating(Ending::Success),
        RunOutcome::Failed => Life::Terminating(Ending::Failed),
        RunOutcome::TimedOut => Life::Terminating(Ending::TimedOut),
        RunOutcome::InternalError => Life::InternalError,
    };
    let plan = run.plan;
    let ran_long_enough = |ms: i64| u64::try_from(ms).unwrap_or(0) >= plan.running_ms;
    let next = match run.life {
        Life::Pending if plan.running_reads == Some(0) && plan.running_ms == 0 => finish(plan),
        Life::Pending => Life::Running(1),
        Life::Running(seen) => {
            if plan.running_reads.is_some_and(|n| seen >= n) && ran_long_enough(now - run.since) {
                finish(plan)
            } else {
                Life::Running(seen.saturating_add(1))
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run(life: Life, plan: RunPlan) -> Run {
        let body = json!({"job_id": 1, "run_id": 9, "start_time": 100,
                          "tasks": [{"task_key": "a", "run_id": 10}]});
        Run::new(body.as_object().cloned().unwrap(), life, plan, 100, 1)
    }

    fn states(run: &Run) -> (String, Option<String>, String) {
        let s = |v: &Value| v.as_str().map(str::to_string);
        (
            s(&run.body["state"]["life_cycle_state"]).unwrap(),
            s(&run.body["state"]["result_state"]),
            s(&run.body["status"]["state"]).unwrap(),
        )
    }

    #[test]
    fn steps_follow_the_plan_and_stop_at_a_terminal_state() {
        let mut r = run(Life::Pending, RunPlan::default());
        let mut seen = vec![states(&r).0];
        let mut ended = Vec::new();
        for now in 101..106 {
            ended.push(step(&mut r, now, 1));
            seen.push(states(&r).0);
        }
        assert_eq!(
            seen,
            [
                "PENDING",
                "RUNNING",
                "TERMINATING",
                "TERMINATED",
                "TERMINATED",
                "TERMINATED"
            ]
        );
        assert_eq!(ended, [false, false, true, false, false], "ends once");
        assert_eq!(r.body["end_time"], 103);
        assert_eq!(r.body["run_duration"], 3);
        // The task moves with the run, and its phases are timed.
        let task = &r.body["tasks"][0];
        assert_eq!(task["state"], r.body["state"]);
        assert_eq!(task["run_id"], 10);
        assert_eq!(task["setup_duration"], 1);
        assert_eq!(task["execution_duration"], 1);
        assert_eq!(task["cleanup_duration"], 1);
    }

    #[test]
    fn every_state_has_its_v2_status_and_only_terminal_ones_a_result() {
        let cases = [
            (Life::Queued, "QUEUED", None, "QUEUED"),
            (Life::Pending, "PENDING", None, "PENDING"),
            (Life::Running(1), "RUNNING", None, "RUNNING"),
            (
                Life::Terminating(Ending::Failed),
                "TERMINATING",
                None,
                "TERMINATING",
            ),
            (
                Life::Terminated(Ending::Failed),
                "TERMINATED",
                Some("FAILED"),
                "TERMINATED",
            ),
            (
                Life::Terminated(Ending::TimedOut),
                "TERMINATED",
                Some("TIMEDOUT"),
                "TERMINATED",
            ),
            (Life::Skipped, "SKIPPED", None, "TERMINATED"),
            (
                Life::InternalError,
                "INTERNAL_ERROR",
                Some("FAILED"),
                "TERMINATED",
            ),
        ];
        for (life, v1, result, v2) in cases {
            let r = run(life, RunPlan::default());
            let want = (v1.to_string(), result.map(str::to_string), v2.to_string());
            assert_eq!(states(&r), want, "{life:?}");
            assert_eq!(r.body["end_time"] == 0, life.active(), "{life:?}");
            assert_eq!(
                r.body["status"].get("termination_details").is_some(),
                !matches!(life, Life::Queued | Life::Pending | Life::Running(_)),
                "{life:?}"
            );
        }
    }

    #[test]
    fn a_plan_can_ask_for_time_as_well_as_reads() {
        let plan = RunPlan {
            outcome: RunOutcome::Failed,
            running_reads: Some(1),
            running_ms: 1_000,
        };
        let mut r = run(Life::Pending, plan);
        step(&mut r, 200, 1);
        assert_eq!(states(&r).0, "RUNNING");
        // Read twice, but within the second: still running.
        step(&mut r, 700, 1);
        step(&mut r, 1_199, 1);
        assert_eq!(states(&r).0, "RUNNING");
        assert_eq!(r.body["tasks"][0]["execution_duration"], 999);
        step(&mut r, 1_200, 1);
        assert_eq!(states(&r).0, "TERMINATING");
        step(&mut r, 1_201, 1);
        assert_eq!(
            states(&r),
            (
                "TERMINATED".into(),
                Some("FAILED".into()),
                "TERMINATED".into()
            )
        );
        // Zero reads but some time: the first read sees it running.
        let mut r = run(
            Life::Pending,
            RunPlan {
                running_reads: Some(0),
                ..plan
            },
        );
        step(&mut r, 100, 1);
        assert_eq!(states(&r).0, "RUNNING");
        step(&mut r, 1_100, 1);
        assert_eq!(states(&r).0, "TERMINATING");
    }

    #[test]
    fn fixture_states_are_read_and_ids_only_grow() {
        assert_eq!(Life::of("RUNNING"), Some(Life::Running(1)));
        assert_eq!(Life::of("BLOCKED"), None);
        let runs = Runs::seed(
            &[json!({"run_id": 7, "job_id": 1, "start_time": 50,
                     "state": {"life_cycle_state": "TERMINATED", "result_state": "CANCELED"}})],
            60,
        );
        assert_eq!(
            runs.get(7).unwrap().life(),
            Life::Terminated(Ending::Canceled)
        );
        assert_eq!(runs.last_id(), Some(7));
        let mut runs = runs;
        runs.note_id(5);
        assert_eq!(runs.last_id(), Some(7));
        assert_eq!(runs.start_time(10), 51, "start times pass the seeded ones");
    }
}
