//! `drill` as an operation: a DR test that touches nothing on the primary. [`plan`] resolves each job name in
//! the DR workspace (reads only); [`run`] starts one run of every planned job (`run-now`, which a paused
//! schedule does not stop and which changes no setting), follows them all until each is over or the timeout
//! passes (cancelling what is still running then, so that DR stays passive), and reads each job's pause states
//! again. It prints nothing and decides no exit code; progress goes through an [`Observer`].

use crate::api::{Error, WorkspaceClient};
use crate::drill::{
    self, DrillReport, JobReport, JobResult, Plan, Planned, Resolution, RunSummary, Status,
};
use futures_util::stream::{self, StreamExt};
use std::time::Duration;
use tokio::time::Instant;

/// How a drill waits.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How long the runs may take together, from the first start; then what still runs is cancelled.
    pub timeout: Duration,
    /// The first wait between two polls of a run; it grows to ten times this ([`drill::poll_delay`]).
    pub poll_interval: Duration,
    /// Runs followed at once at most.
    pub concurrency: usize,
}

impl Default for Settings {
    /// One hour, polls from 1 s growing to 10 s (the SDK waiter's pace), 16 runs followed at once.
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(3600),
            poll_interval: Duration::from_secs(1),
            concurrency: 16,
        }
    }
}

/// Follows a drill as it runs; every method does nothing unless implemented.
pub trait Observer: Sync {
    /// A run of `name` was started.
    fn started(&self, _name: &str, _run: i64) {}

    /// The run of a job is over (or given up on).
    fn finished(&self, _job: &JobReport) {}
}

/// An [`Observer`] that does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// Resolve each name (once, in the order given) to its DR job, by `jobs/list`'s name filter. Reads only.
pub async fn plan(client: &WorkspaceClient, names: &[String]) -> Result<Plan, Error> {
    let mut jobs: Vec<Planned> = Vec::new();
    for name in names {
        if jobs.iter().any(|j| j.name == *name) {
            continue;
        }
        let candidates = client.jobs_named(name).await?;
        jobs.push(Planned {
            name: name.clone(),
            resolution: drill::resolve(name, &candidates),
        });
    }
    Ok(Plan { jobs })
}

/// Run the drill `plan` describes (which must be [`Plan::runnable`]; otherwise nothing is started and the
/// report is a refusal). Every run is started first, in plan order, then all are followed together. A run that
/// cannot be started or followed is that job's `Error`; the others go on.
pub async fn run(
    client: &WorkspaceClient,
    plan: &Plan,
    settings: &Settings,
    observer: &dyn Observer,
) -> DrillReport {
    let workspace = client.host().to_string();
    if !plan.runnable() {
        return DrillReport::not_run(
            workspace,
            plan,
            Status::Refused("not every name is exactly one DR job, so no job was run".to_string()),
            settings.timeout,
        );
    }
    let started_at = Instant::now();
    let deadline = started_at + settings.timeout;
    let mut started: Vec<(JobReport, Result<i64, Error>)> = Vec::with_capacity(plan.jobs.len());
    for planned in &plan.jobs {
        let report = JobReport::not_run(planned);
        let Resolution::Found { job_id, .. } = planned.resolution else {
            unreachable!("a runnable plan resolves every name");
        };
        let run = client.run_now(job_id).await;
        if let Ok(run_id) = run {
            observer.started(&planned.name, run_id);
        }
        started.push((report, run));
    }
    let jobs: Vec<JobReport> = stream::iter(started)
        .map(|(report, run)| follow(client, report, run, deadline, settings, observer))
        .buffered(settings.concurrency.max(1))
        .collect()
        .await;
    DrillReport {
        workspace,
        status: Status::Ran,
        jobs,
        timeout: settings.timeout,
        elapsed: started_at.elapsed(),
    }
}

/// Follow one job's run until it is over or `deadline` passes, then read the job's pause states again.
async fn follow(
    client: &WorkspaceClient,
    mut report: JobReport,
    started: Result<i64, Error>,
    deadline: Instant,
    settings: &Settings,
    observer: &dyn Observer,
) -> JobReport {
    let run_id = match started {
        Ok(id) => id,
        Err(e) => {
            report.result = JobResult::Error;
            report.detail = Some(format!("the run could not be started: {e}"));
            observer.finished(&report);
            return report;
        }
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match client.get_run(run_id).await {
            Ok(run) => {
                report.run = Some(RunSummary::of(&run, now_ms()));
                if drill::is_over(&run) {
                    report.result = if drill::succeeded(&run) {
                        JobResult::Succeeded
                    } else {
                        JobResult::Failed
                    };
                    break;
                }
            }
            Err(e) => {
                report
                    .run
                    .get_or_insert_with(|| RunSummary::started(run_id));
                report.result = JobResult::Error;
                report.detail = Some(format!(
                    "the run's state could not be read ({e}); {}",
                    cancel(client, run_id).await
                ));
                break;
            }
        }
        let now = Instant::now();
        if now >= deadline {
            report.result = JobResult::TimedOut;
            report.detail = Some(format!(
                "still {} when the drill's timeout passed; {}",
                report
                    .run
                    .as_ref()
                    .and_then(|r| r.life_cycle_state.as_deref())
                    .unwrap_or("running"),
                cancel(client, run_id).await
            ));
            break;
        }
        let wait = drill::poll_delay(attempt, settings.poll_interval).min(deadline - now);
        tokio::time::sleep(wait).await;
    }
    if let Some(job_id) = report.job_id {
        match client.get_job(job_id).await {
            Ok(job) => report.pause_after = Some(drill::pause_states(&job.settings)),
            Err(e) => {
                let note = format!("its pause states could not be read again: {e}");
                report.detail = Some(match report.detail.take() {
                    Some(d) => format!("{d}; {note}"),
                    None => note,
                });
            }
        }
    }
    observer.finished(&report);
    report
}

/// Cancel a run the drill gives up on, so that it does not go on running in the standby; what happened, for
/// the report.
async fn cancel(client: &WorkspaceClient, run_id: i64) -> String {
    match client.cancel_run(run_id).await {
        Ok(()) => format!("run {run_id} was cancelled"),
        Err(e) => format!("cancelling run {run_id} failed too ({e}): cancel it by hand"),
    }
}

/// The current time in epoch milliseconds (for the duration of a run still going).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
