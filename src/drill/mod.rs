//! DR drills as data: which DR job each name a drill asks for resolves to, how a run's state reads (over or not,
//! succeeded or not), how long to wait between polls, the pause states a drill must leave as they were, and the
//! drill's report. Plain data and decisions: it must not call the API (`ops::drill` reads DR and starts the
//! runs), print or render (`report::drill` does).

use crate::model::{Job, JobSettings, Run};
use serde_json::Value;
use std::time::Duration;

/// What a name resolves to in DR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one DR job has this name: its id and its pause states as they were before the drill.
    Found {
        /// The DR job.
        job_id: i64,
        /// Its pause states ([`pause_states`]).
        pause: Vec<(String, String)>,
    },
    /// No DR job has this name; `near` holds the names that differ only in case (which the API's name filter
    /// also returns).
    NotFound {
        /// Names equal but for case.
        near: Vec<String>,
    },
    /// Several DR jobs have this name: a drill never guesses which one is meant.
    Ambiguous {
        /// Their ids, ascending.
        job_ids: Vec<i64>,
    },
}

/// Which of `candidates` (what `jobs/list?name=` returned: "exact, case-insensitive", databricks-api.md §1.1) is
/// the job named `name`. Names are compared exactly, as the export and drift match jobs by their exact name.
pub fn resolve(name: &str, candidates: &[Job]) -> Resolution {
    let exact: Vec<&Job> = candidates
        .iter()
        .filter(|j| j.settings.name.as_deref() == Some(name))
        .collect();
    match exact.as_slice() {
        [job] => Resolution::Found {
            job_id: job.job_id,
            pause: pause_states(&job.settings),
        },
        [] => {
            let mut near: Vec<String> = candidates
                .iter()
                .filter_map(|j| j.settings.name.clone())
                .filter(|n| n.to_lowercase() == name.to_lowercase())
                .collect();
            near.sort();
            near.dedup();
            Resolution::NotFound { near }
        }
        many => {
            let mut job_ids: Vec<i64> = many.iter().map(|j| j.job_id).collect();
            job_ids.sort_unstable();
            Resolution::Ambiguous { job_ids }
        }
    }
}

/// The blocks whose `pause_status` says whether a job starts runs by itself (`schedule`, `trigger`,
/// `continuous`: SDK `CronSchedule`, `TriggerSettings`, `Continuous`, each with `pause_status`), with that
/// status as the API gives it (`(none)` when the block has none), in that order. A job without any of them
/// runs only when asked.
pub fn pause_states(settings: &JobSettings) -> Vec<(String, String)> {
    ["schedule", "trigger", "continuous"]
        .iter()
        .filter_map(|block| {
            let b = settings.extra.get(*block)?;
            let status = b
                .get("pause_status")
                .and_then(Value::as_str)
                .unwrap_or("(none)");
            Some((block.to_string(), status.to_string()))
        })
        .collect()
}

/// One job of a drill's plan: the name asked for and what it resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The name given.
    pub name: String,
    /// The DR job it names, or why none.
    pub resolution: Resolution,
}

/// The jobs a drill runs, in the order given (a name given twice counts once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Each job asked for.
    pub jobs: Vec<Planned>,
}

impl Plan {
    /// Whether every name resolved to exactly one DR job: a drill runs all of them or none.
    pub fn runnable(&self) -> bool {
        self.jobs
            .iter()
            .all(|j| matches!(j.resolution, Resolution::Found { .. }))
    }
}

/// Whether a run is over: the SDK's waiter (`wait_get_run_job_terminated_or_skipped`, databricks-sdk-py
/// `service/jobs.py`) stops at `TERMINATED` and `SKIPPED`, and fails at `INTERNAL_ERROR`; every other state
/// (`QUEUED`, `PENDING`, `RUNNING`, `TERMINATING`, `BLOCKED`, `WAITING_FOR_RETRY`) is still going.
pub fn is_over(run: &Run) -> bool {
    matches!(
        life_cycle_state(run),
        Some("TERMINATED" | "SKIPPED" | "INTERNAL_ERROR")
    )
}

/// Whether a run that is over succeeded: `TERMINATED` with `result_state` `SUCCESS` (SDK `RunResultState`:
/// "The run was completed successfully"). `SUCCESS_WITH_FAILURES` ("completed successfully with some
/// failures") is not a success for a drill, whose point is that the job works in DR; nor is a skipped run.
pub fn succeeded(run: &Run) -> bool {
    life_cycle_state(run) == Some("TERMINATED")
        && run.state.as_ref().and_then(|s| s.result_state.as_deref()) == Some("SUCCESS")
}

fn life_cycle_state(run: &Run) -> Option<&str> {
    run.state
        .as_ref()
        .and_then(|s| s.life_cycle_state.as_deref())
}

/// The wait before the `attempt`-th poll (from 1): `base` times the attempt, at most ten times `base`. With a
/// base of 1 s this is the SDK waiter's pace (`sleep = attempt`, "sleep 10s max per attempt"), without its
/// jitter: a drill polls a handful of runs.
pub fn poll_delay(attempt: u32, base: Duration) -> Duration {
    base.saturating_mul(attempt.clamp(1, 10))
}

/// What a drill did with a run, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The run.
    pub run_id: i64,
    /// Its last lifecycle state seen.
    pub life_cycle_state: Option<String>,
    /// Its result, once over.
    pub result_state: Option<String>,
    /// The service's message about its state (empty ones left out).
    pub state_message: Option<String>,
    /// Its page in the workspace.
    pub run_page_url: Option<String>,
    /// How long it ran, in milliseconds: `run_duration` once over, else from `start_time` to the last poll.
    pub duration_ms: Option<i64>,
}

impl RunSummary {
    /// The summary of `run` as last read, `now_ms` being when it was read (epoch milliseconds).
    pub fn of(run: &Run, now_ms: i64) -> Self {
        let state = run.state.as_ref();
        let duration_ms = match (run.run_duration, run.start_time, run.end_time) {
            (Some(d), _, _) if is_over(run) => Some(d),
            (_, Some(start), Some(end)) if end > 0 => Some(end - start),
            (_, Some(start), _) if start > 0 => Some((now_ms - start).max(0)),
            _ => None,
        };
        RunSummary {
            run_id: run.run_id,
            life_cycle_state: state.and_then(|s| s.life_cycle_state.clone()),
            result_state: state.and_then(|s| s.result_state.clone()),
            state_message: state
                .and_then(|s| s.state_message.clone())
                .filter(|m| !m.trim().is_empty()),
            run_page_url: run.run_page_url.clone(),
            duration_ms,
        }
    }

    /// A run started whose state could not be read.
    pub fn started(run_id: i64) -> Self {
        RunSummary {
            run_id,
            life_cycle_state: None,
            result_state: None,
            state_message: None,
            run_page_url: None,
            duration_ms: None,
        }
    }
}

/// How one job of a drill went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobResult {
    /// Its run ended `TERMINATED` with `SUCCESS`.
    Succeeded,
    /// Its run ended otherwise (failed, timed out by its own timeout, skipped, cancelled, internal error).
    Failed,
    /// The drill's `--timeout` passed before its run ended; the run was cancelled (see the detail).
    TimedOut,
    /// No DR job has the name.
    NotFound,
    /// Several DR jobs have the name.
    Ambiguous,
    /// Not run: a dry run, a refused drill, or another name that did not resolve.
    NotRun,
    /// Starting or following its run failed (the detail says how): the drill does not know how it went.
    Error,
}

impl JobResult {
    /// The name the JSON report uses.
    pub fn as_str(self) -> &'static str {
        match self {
            JobResult::Succeeded => "succeeded",
            JobResult::Failed => "failed",
            JobResult::TimedOut => "timed_out",
            JobResult::NotFound => "not_found",
            JobResult::Ambiguous => "ambiguous",
            JobResult::NotRun => "not_run",
            JobResult::Error => "error",
        }
    }
}

/// One job in a drill's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    /// The name asked for.
    pub name: String,
    /// The DR job, when the name resolved to one.
    pub job_id: Option<i64>,
    /// How it went.
    pub result: JobResult,
    /// Its run, when one was started.
    pub run: Option<RunSummary>,
    /// What else the reader needs: the ids of look-alikes, near names, an error, a cancellation.
    pub detail: Option<String>,
    /// Its pause states before the drill.
    pub pause_before: Vec<(String, String)>,
    /// Its pause states after the drill, when they were read again (after a run).
    pub pause_after: Option<Vec<(String, String)>>,
}

impl JobReport {
    /// Whether the job's pause states were read after the drill and differ from before.
    pub fn pause_changed(&self) -> bool {
        self.pause_after
            .as_ref()
            .is_some_and(|after| *after != self.pause_before)
    }
}

/// What kind of drill it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The runs were started and followed.
    Ran,
    /// `--dry-run`: the plan only, nothing started.
    DryRun,
    /// Nothing was started, for this reason.
    Refused(String),
}

/// A drill's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillReport {
    /// The DR workspace's host.
    pub workspace: String,
    /// Ran, dry run or refused.
    pub status: Status,
    /// Every job asked for, in the order given.
    pub jobs: Vec<JobReport>,
    /// The drill's `--timeout`.
    pub timeout: Duration,
    /// From the first run started to the last one over (zero when nothing ran).
    pub elapsed: Duration,
}

/// The counts a summary line and the exit code need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Jobs asked for.
    pub jobs: usize,
    /// Succeeded.
    pub succeeded: usize,
    /// Failed or timed out.
    pub failed: usize,
    /// Not found or ambiguous.
    pub unresolved: usize,
    /// Errors.
    pub errors: usize,
    /// Jobs whose pause states changed during the drill.
    pub pause_changed: usize,
}

impl DrillReport {
    /// The report of a drill that ran nothing: the plan, each resolved job `NotRun`.
    pub fn not_run(workspace: String, plan: &Plan, status: Status, timeout: Duration) -> Self {
        DrillReport {
            workspace,
            status,
            jobs: plan.jobs.iter().map(JobReport::not_run).collect(),
            timeout,
            elapsed: Duration::ZERO,
        }
    }

    /// How many jobs went which way.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            jobs: self.jobs.len(),
            ..Counts::default()
        };
        for j in &self.jobs {
            match j.result {
                JobResult::Succeeded => c.succeeded += 1,
                JobResult::Failed | JobResult::TimedOut => c.failed += 1,
                JobResult::NotFound | JobResult::Ambiguous => c.unresolved += 1,
                JobResult::Error => c.errors += 1,
                JobResult::NotRun => {}
            }
            if j.pause_changed() {
                c.pause_changed += 1;
            }
        }
        c
    }

    /// Whether the drill ran and every job succeeded, leaving every pause state as it was.
    pub fn all_succeeded(&self) -> bool {
        let c = self.counts();
        self.status == Status::Ran && c.succeeded == c.jobs && c.pause_changed == 0
    }
}

impl JobReport {
    /// A planned job that was not run (or a name that did not resolve).
    pub fn not_run(planned: &Planned) -> Self {
        let (job_id, result, detail, pause) = match &planned.resolution {
            Resolution::Found { job_id, pause } => {
                (Some(*job_id), JobResult::NotRun, None, pause.clone())
            }
            Resolution::NotFound { near } => (
                None,
                JobResult::NotFound,
                Some(if near.is_empty() {
                    "no DR job has this name".to_string()
                } else {
                    format!(
                        "no DR job has this name (names are exact; DR has {})",
                        near.join(", ")
                    )
                }),
                Vec::new(),
            ),
            Resolution::Ambiguous { job_ids } => (
                None,
                JobResult::Ambiguous,
                Some(format!(
                    "{} DR jobs have this name (ids {}): a drill never guesses",
                    job_ids.len(),
                    job_ids
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Vec::new(),
            ),
        };
        JobReport {
            name: planned.name.clone(),
            job_id,
            result,
            run: None,
            detail,
            pause_before: pause,
            pause_after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(id: i64, name: &str, extra: Value) -> Job {
        let mut settings = json!({"name": name});
        if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        serde_json::from_value(json!({"job_id": id, "settings": settings})).unwrap()
    }

    fn run(state: Value) -> Run {
        serde_json::from_value(
            json!({"run_id": 1, "state": state, "start_time": 1000, "end_time": 0}),
        )
        .unwrap()
    }

    #[test]
    fn names_resolve_exactly_once_or_not_at_all() {
        let a = job(
            1,
            "etl",
            json!({"schedule": {"pause_status": "PAUSED"}, "continuous": {}}),
        );
        let b = job(2, "ETL", json!({}));
        let c = job(3, "etl", json!({}));
        assert_eq!(
            resolve("etl", &[a.clone(), b.clone()]),
            Resolution::Found {
                job_id: 1,
                pause: vec![
                    ("schedule".into(), "PAUSED".into()),
                    ("continuous".into(), "(none)".into())
                ]
            }
        );
        assert_eq!(
            resolve("Etl", &[a.clone(), b.clone()]),
            Resolution::NotFound {
                near: vec!["ETL".into(), "etl".into()]
            }
        );
        assert_eq!(
            resolve("etl", &[c, a]),
            Resolution::Ambiguous {
                job_ids: vec![1, 3]
            }
        );
        assert_eq!(resolve("x", &[]), Resolution::NotFound { near: Vec::new() });
    }

    #[test]
    fn a_run_is_over_and_succeeded_as_the_sdk_waiter_says() {
        for (life, result, over, ok) in [
            ("PENDING", None, false, false),
            ("QUEUED", None, false, false),
            ("RUNNING", None, false, false),
            ("TERMINATING", None, false, false),
            ("TERMINATED", Some("SUCCESS"), true, true),
            ("TERMINATED", Some("FAILED"), true, false),
            ("TERMINATED", Some("SUCCESS_WITH_FAILURES"), true, false),
            ("SKIPPED", None, true, false),
            ("INTERNAL_ERROR", Some("FAILED"), true, false),
        ] {
            let r = run(json!({"life_cycle_state": life, "result_state": result}));
            assert_eq!(
                (is_over(&r), succeeded(&r)),
                (over, ok),
                "{life} {result:?}"
            );
        }
    }

    #[test]
    fn polls_slow_down_to_ten_times_the_base() {
        let base = Duration::from_secs(1);
        let waits: Vec<u64> = (1..=12).map(|a| poll_delay(a, base).as_secs()).collect();
        assert_eq!(waits, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
        assert_eq!(poll_delay(0, base), base);
    }

    #[test]
    fn durations_come_from_the_run_once_over_and_from_the_clock_before() {
        let mut r = run(json!({"life_cycle_state": "RUNNING", "state_message": ""}));
        let s = RunSummary::of(&r, 4000);
        assert_eq!((s.duration_ms, s.state_message), (Some(3000), None));
        r = serde_json::from_value(json!({"run_id": 1, "start_time": 1000, "end_time": 9000,
            "run_duration": 7500, "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}}))
        .unwrap();
        assert_eq!(RunSummary::of(&r, 20_000).duration_ms, Some(7500));
    }

    #[test]
    fn counts_and_the_verdict() {
        let plan = Plan {
            jobs: vec![
                Planned {
                    name: "a".into(),
                    resolution: Resolution::Found {
                        job_id: 1,
                        pause: Vec::new(),
                    },
                },
                Planned {
                    name: "b".into(),
                    resolution: Resolution::Ambiguous {
                        job_ids: vec![2, 3],
                    },
                },
            ],
        };
        assert!(!plan.runnable());
        let mut report =
            DrillReport::not_run("h".into(), &plan, Status::DryRun, Duration::from_secs(1));
        assert_eq!(report.counts().unresolved, 1);
        assert!(!report.all_succeeded());
        report.jobs.truncate(1);
        report.jobs[0].result = JobResult::Succeeded;
        report.status = Status::Ran;
        assert!(report.all_succeeded());
        report.jobs[0].pause_after = Some(vec![("schedule".into(), "UNPAUSED".into())]);
        assert!(!report.all_succeeded());
        assert_eq!(report.counts().pause_changed, 1);
    }
}
