//! A drill report ([`DrillReport`]) as text, JSON (a stable, versioned schema) and Markdown. Pure: returns
//! strings and never writes them anywhere. Every workspace string (job names, messages, URLs) goes through this
//! layer's one escaping module (`report::escape`); nothing here escapes on its own.
//!
//! # JSON schema (version 1)
//!
//! ```text
//! {
//!   "version": 1,                     // DRILL_REPORT_VERSION; bumped on any incompatible change
//!   "workspace": "https://dr...",     // the DR workspace's host
//!   "status": "ran",                  // "ran", "dry_run" or "refused" (nothing was started)
//!   "reason": null,                   // why it was refused
//!   "timeout_seconds": 3600,
//!   "elapsed_ms": 5230,               // from the first run started to the last one over (0 if none ran)
//!   "summary": {"jobs": 2, "succeeded": 1, "failed": 1, "unresolved": 0, "errors": 0, "pause_changed": 0,
//!               "passed": false},     // passed: ran, every job succeeded, every pause state as before
//!   "jobs": [                         // in the order given
//!     {
//!       "name": "nightly_etl",        // as given
//!       "job_id": 123,                // the DR job; null when the name did not resolve
//!       "result": "succeeded",        // "succeeded", "failed", "timed_out" (cancelled), "not_found",
//!                                     // "ambiguous", "not_run", "error"
//!       "detail": null,               // what else to know (look-alike ids, an error, a cancellation)
//!       "run": {                      // null when no run was started
//!         "run_id": 456, "life_cycle_state": "TERMINATED", "result_state": "SUCCESS",
//!         "state_message": null, "run_page_url": "https://...", "duration_ms": 5000
//!       },
//!       "pause_before": {"schedule": "PAUSED"},   // the job's pause states before the drill
//!       "pause_after": {"schedule": "PAUSED"},    // read again after its run; null when not read
//!       "pause_changed": false
//!     }
//!   ]
//! }
//! ```

use super::escape;
use super::Format;
use crate::check::format_duration;
use crate::drill::{DrillReport, JobReport, JobResult, Status};
use serde_json::{json, Map, Value};
use std::fmt::Write;

/// The version of the JSON schema above.
pub const DRILL_REPORT_VERSION: u32 = 1;

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Show durations (off for golden files).
    pub timings: bool,
}

/// A format a drill report does not come in (text, JSON and Markdown only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a drill report does not come as {0}: expected text, json or markdown")]
pub struct Unsupported(pub Format);

/// Render `report` in `format`, one of [`Format::CHECK`] (text, JSON, Markdown).
pub fn render(
    format: Format,
    report: &DrillReport,
    options: &Options,
) -> Result<String, Unsupported> {
    match format {
        Format::Text => Ok(text(report, options)),
        Format::Json => Ok(json_report(report, options)),
        Format::Markdown => Ok(markdown(report, options)),
        Format::Junit | Format::Html => Err(Unsupported(format)),
    }
}

fn mark(r: JobResult) -> &'static str {
    match r {
        JobResult::Succeeded => "✓",
        JobResult::NotRun => "·",
        _ => "✗",
    }
}

fn seconds(ms: i64) -> String {
    format_duration(u64::try_from(ms.max(0)).unwrap_or(0) / 1000)
}

/// What happened to one job, in a few words (untrusted text not yet escaped).
fn what(job: &JobReport, options: &Options) -> String {
    let took = |job: &JobReport| match (&job.run, options.timings) {
        (Some(r), true) => r
            .duration_ms
            .map(|d| format!(" in {}", seconds(d)))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let state = |job: &JobReport| {
        job.run
            .as_ref()
            .map(|r| {
                let mut s = r
                    .result_state
                    .clone()
                    .or_else(|| r.life_cycle_state.clone())
                    .unwrap_or_else(|| "state unknown".to_string());
                if r.life_cycle_state.as_deref() == Some("SKIPPED") {
                    s = "SKIPPED".to_string();
                }
                if r.life_cycle_state.as_deref() == Some("INTERNAL_ERROR") {
                    s = "INTERNAL_ERROR".to_string();
                }
                s
            })
            .unwrap_or_default()
    };
    match job.result {
        JobResult::Succeeded => format!("{}{}", state(job), took(job)),
        JobResult::Failed => format!("{}{}", state(job), took(job)),
        JobResult::TimedOut => format!("TIMED OUT{}", took(job)),
        JobResult::NotFound => "not found in DR".to_string(),
        JobResult::Ambiguous => "ambiguous in DR".to_string(),
        JobResult::NotRun => "would run".to_string(),
        JobResult::Error => "ERROR".to_string(),
    }
}

fn pause_text(states: &[(String, String)]) -> String {
    if states.is_empty() {
        return "no schedule, trigger or continuous block".to_string();
    }
    states
        .iter()
        .map(|(block, status)| format!("{block} {status}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pause line of a job: as it was, or what changed.
fn pause_line(job: &JobReport) -> Option<String> {
    job.job_id?;
    Some(match &job.pause_after {
        Some(after) if *after != job.pause_before => format!(
            "pause states CHANGED during the drill: {} -> {}",
            pause_text(&job.pause_before),
            pause_text(after)
        ),
        Some(_) => format!("pause states as before: {}", pause_text(&job.pause_before)),
        None => format!("pause states: {}", pause_text(&job.pause_before)),
    })
}

fn verdict(report: &DrillReport, options: &Options) -> String {
    let c = report.counts();
    let plural = |n: usize| if n == 1 { "job" } else { "jobs" };
    match &report.status {
        Status::DryRun if c.unresolved > 0 => format!(
            "DRY RUN: {} of {} {} not exactly one DR job: the drill would be refused",
            c.unresolved,
            c.jobs,
            plural(c.jobs)
        ),
        Status::DryRun => format!(
            "DRY RUN: would run {} {} once in DR; nothing was started",
            c.jobs,
            plural(c.jobs)
        ),
        Status::Refused(reason) => format!("REFUSED: {reason}"),
        Status::Ran => {
            let took = if options.timings {
                format!(" in {}", format_duration(report.elapsed.as_secs()))
            } else {
                String::new()
            };
            let word = if report.all_succeeded() {
                "DRILL PASSED"
            } else {
                "DRILL FAILED"
            };
            let mut parts = vec![format!(
                "{} of {} {} succeeded{took}",
                c.succeeded,
                c.jobs,
                plural(c.jobs)
            )];
            if c.failed > 0 {
                parts.push(format!("{} failed", c.failed));
            }
            if c.errors > 0 {
                parts.push(format!("{} unknown (errors)", c.errors));
            }
            parts.push(if c.pause_changed > 0 {
                format!("{} pause states CHANGED", c.pause_changed)
            } else {
                "every pause state as it was".to_string()
            });
            format!("{word}: {}", parts.join(", "))
        }
    }
}

fn text(report: &DrillReport, options: &Options) -> String {
    let t = escape::terminal;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "drill in DR {}: each job run once (run-now); schedules and triggers are left as they are",
        t(&report.workspace)
    );
    for job in &report.jobs {
        let id = job
            .job_id
            .map(|id| format!(" (job {id})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {}{id}: {}",
            mark(job.result),
            t(&job.name),
            t(&what(job, options))
        );
        if let Some(run) = &job.run {
            let url = run.run_page_url.as_deref().unwrap_or("(no run page)");
            let _ = writeln!(out, "      run {}: {}", run.run_id, t(url));
            if job.result != JobResult::Succeeded {
                if let Some(m) = &run.state_message {
                    let _ = writeln!(out, "      {}", t(m));
                }
            }
        }
        if let Some(d) = &job.detail {
            let _ = writeln!(out, "      {}", t(d));
        }
        if let Some(p) = pause_line(job) {
            let _ = writeln!(out, "      {}", t(&p));
        }
    }
    let _ = writeln!(out, "{}", t(&verdict(report, options)));
    out
}

fn pause_json(states: &[(String, String)]) -> Value {
    Value::Object(
        states
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<String, Value>>(),
    )
}

fn json_report(report: &DrillReport, options: &Options) -> String {
    let c = report.counts();
    let (status, reason) = match &report.status {
        Status::Ran => ("ran", None),
        Status::DryRun => ("dry_run", None),
        Status::Refused(r) => ("refused", Some(r.clone())),
    };
    let jobs: Vec<Value> = report
        .jobs
        .iter()
        .map(|j| {
            json!({
                "name": j.name,
                "job_id": j.job_id,
                "result": j.result.as_str(),
                "detail": j.detail,
                "run": j.run.as_ref().map(|r| json!({
                    "run_id": r.run_id,
                    "life_cycle_state": r.life_cycle_state,
                    "result_state": r.result_state,
                    "state_message": r.state_message,
                    "run_page_url": r.run_page_url,
                    "duration_ms": if options.timings { r.duration_ms } else { None },
                })),
                "pause_before": pause_json(&j.pause_before),
                "pause_after": j.pause_after.as_deref().map(pause_json),
                "pause_changed": j.pause_changed(),
            })
        })
        .collect();
    let elapsed = if options.timings {
        u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX)
    } else {
        0
    };
    let value = json!({
        "version": DRILL_REPORT_VERSION,
        "workspace": report.workspace,
        "status": status,
        "reason": reason,
        "timeout_seconds": report.timeout.as_secs(),
        "elapsed_ms": elapsed,
        "summary": {
            "jobs": c.jobs,
            "succeeded": c.succeeded,
            "failed": c.failed,
            "unresolved": c.unresolved,
            "errors": c.errors,
            "pause_changed": c.pause_changed,
            "passed": report.all_succeeded(),
        },
        "jobs": jobs,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

fn markdown(report: &DrillReport, options: &Options) -> String {
    let md = escape::markdown;
    let mut out = String::new();
    let _ = writeln!(out, "## DR drill: {}\n", md(&verdict(report, options)));
    let _ = writeln!(
        out,
        "DR workspace {}; each job run once (run-now), schedules and triggers left as they are.\n",
        md(&report.workspace)
    );
    let _ = writeln!(out, "| | job | DR job | result | run | pause states |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for job in &report.jobs {
        let run = job
            .run
            .as_ref()
            .map(|r| match &r.run_page_url {
                Some(url) => format!("[{}]({})", r.run_id, md(url)),
                None => r.run_id.to_string(),
            })
            .unwrap_or_default();
        let mut result = what(job, options);
        if let Some(d) = &job.detail {
            result = format!("{result}: {d}");
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            mark(job.result),
            md(&job.name),
            job.job_id.map(|i| i.to_string()).unwrap_or_default(),
            md(&result),
            run,
            md(&pause_line(job).unwrap_or_default())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::{Plan, Planned, Resolution, RunSummary};
    use std::time::Duration;

    fn report() -> DrillReport {
        let plan = Plan {
            jobs: vec![
                Planned {
                    name: "nightly | etl".into(),
                    resolution: Resolution::Found {
                        job_id: 7,
                        pause: vec![("schedule".into(), "PAUSED".into())],
                    },
                },
                Planned {
                    name: "orders\u{1b}[2J".into(),
                    resolution: Resolution::Found {
                        job_id: 8,
                        pause: Vec::new(),
                    },
                },
            ],
        };
        let mut r = DrillReport::not_run(
            "https://dr.example.com".into(),
            &plan,
            Status::Ran,
            Duration::from_secs(60),
        );
        r.elapsed = Duration::from_secs(65);
        r.jobs[0].result = JobResult::Succeeded;
        r.jobs[0].run = Some(RunSummary {
            run_id: 70,
            life_cycle_state: Some("TERMINATED".into()),
            result_state: Some("SUCCESS".into()),
            state_message: None,
            run_page_url: Some("https://dr.example.com/?o=1#job/7/run/70".into()),
            duration_ms: Some(61_000),
        });
        r.jobs[0].pause_after = Some(vec![("schedule".into(), "PAUSED".into())]);
        r.jobs[1].result = JobResult::Failed;
        r.jobs[1].run = Some(RunSummary {
            run_id: 80,
            life_cycle_state: Some("TERMINATED".into()),
            result_state: Some("FAILED".into()),
            state_message: Some("Workload failed".into()),
            run_page_url: None,
            duration_ms: Some(2_000),
        });
        r.jobs[1].pause_after = Some(Vec::new());
        r
    }

    #[test]
    fn text_shows_each_result_duration_url_and_pause_state_and_escapes_names() {
        let text = text(&report(), &Options { timings: true });
        assert!(
            text.contains("✓ nightly | etl (job 7): SUCCESS in 1m"),
            "{text}"
        );
        assert!(
            text.contains("run 70: https://dr.example.com/?o=1#job/7/run/70"),
            "{text}"
        );
        assert!(
            text.contains("pause states as before: schedule PAUSED"),
            "{text}"
        );
        assert!(text.contains("FAILED in 2s"), "{text}");
        assert!(text.contains("Workload failed"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(
            text.ends_with("DRILL FAILED: 1 of 2 jobs succeeded in 1m, 1 failed, every pause state as it was\n"),
            "{text}"
        );
    }

    #[test]
    fn json_has_the_documented_shape() {
        let v: Value =
            serde_json::from_str(&json_report(&report(), &Options { timings: true })).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["status"], "ran");
        assert_eq!(v["summary"]["failed"], 1);
        assert_eq!(v["summary"]["passed"], false);
        assert_eq!(v["jobs"][0]["result"], "succeeded");
        assert_eq!(v["jobs"][0]["run"]["duration_ms"], 61_000);
        assert_eq!(v["jobs"][0]["pause_after"]["schedule"], "PAUSED");
        assert_eq!(v["jobs"][1]["result"], "failed");
        assert_eq!(v["jobs"][1]["pause_changed"], false);
    }

    #[test]
    fn markdown_escapes_table_cells() {
        let md = markdown(&report(), &Options { timings: false });
        assert!(md.contains("nightly &#124; etl"), "{md}");
        assert!(md.starts_with("## DR drill: DRILL FAILED"), "{md}");
        assert!(render(Format::Junit, &report(), &Options { timings: false }).is_err());
    }
}
