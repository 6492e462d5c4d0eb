//! `drsync drill` as a user runs it: a committed export applied to a passive DR emulator (pause = literal), and
//! the named jobs run once there. Success and failure, names that are not exactly one DR job, the refusal
//! without a terminal, `--dry-run` and the timeout (which cancels what still runs); each checks what was sent to
//! DR and that the primary was not touched.

use crate::common::{drsync, passive_dr, DrSetup, Raw, Run, DR_RULES};
use drsync_emulator::{RunOutcome, RunPlan, DEFAULT_TOKEN};
use serde_json::Value;

const ENV: &[(&str, &str)] = &[
    ("PRIMARY_TOKEN", DEFAULT_TOKEN),
    ("DR_TOKEN", DEFAULT_TOKEN),
];

const RUN_NOW: &str = "POST /api/2.2/jobs/run-now";

async fn setup() -> DrSetup {
    passive_dr(DR_RULES, |_| {}, &[]).await
}

async fn drill(s: &DrSetup, args: &[&str]) -> Run {
    let mut all = vec!["drill", "--poll-ms", "5"];
    all.extend_from_slice(args);
    drsync(s.dir.path(), &all, ENV).await
}

/// Requests to `request` (`METHOD path`) the emulator has answered.
fn sent(emu: &drsync_emulator::Emulator, request: &str) -> u64 {
    emu.requests_by_path().get(request).copied().unwrap_or(0)
}

/// The settings of the DR job named `name`, as `jobs/get` returns them, and its id.
async fn settings_of(raw: &Raw, name: &str) -> (i64, Value) {
    let job = raw.job_named(name).await;
    (
        job["job_id"].as_i64().expect("the job exists in DR"),
        job["settings"].clone(),
    )
}

/// The runs of DR that are still active.
async fn active_runs(raw: &Raw) -> Vec<Value> {
    let (status, list) = raw.get("/api/2.2/jobs/runs/list?active_only=true").await;
    assert_eq!(status, 200, "{list}");
    list["runs"].as_array().cloned().unwrap_or_default()
}

/// The numbers a run makes up (job and run ids, the port in URLs) replaced, for a golden file.
fn scrub(text: &str, dr: &str) -> String {
    let text = text.replace(dr, "[DR]");
    let mut out = String::new();
    let mut rest = text.as_str();
    loop {
        let next = ["job ", "run ", "#job/", "/run/", "?o="]
            .iter()
            .filter_map(|p| rest.find(p).map(|at| (at, *p)))
            .min_by_key(|(at, _)| *at);
        let Some((at, p)) = next else { break };
        out.push_str(&rest[..at + p.len()]);
        rest = &rest[at + p.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str("[n]");
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn a_drill_reports_success_and_leaves_dr_passive() {
    let s = setup().await;
    let raw = Raw::new(&s.dr);
    let names = ["nightly-sales-etl", "landing-file-arrival"];
    let mut before = Vec::new();
    for n in names {
        before.push(settings_of(&raw, n).await);
    }
    assert_eq!(before[0].1["schedule"]["pause_status"], "PAUSED");
    assert_eq!(before[1].1["trigger"]["pause_status"], "PAUSED");
    let primary_requests = s.primary.request_count();

    let run = drill(
        &s,
        &[
            "--job",
            names[0],
            "--job",
            names[1],
            "--yes",
            "--no-timings",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sent(&s.dr, RUN_NOW), 2, "one run per job");
    insta::assert_snapshot!("text_success", scrub(&run.stdout, s.dr.url()));
    assert!(
        run.stdout.contains(&format!(
            "{}/?o={}#job/{}/run/",
            s.dr.url(),
            s.dr.workspace_id(),
            before[0].0
        )),
        "the run's page: {}",
        run.stdout
    );

    // Every setting as it was, byte for byte: run-now changes no pause state.
    for (i, n) in names.iter().enumerate() {
        assert_eq!(settings_of(&raw, n).await, before[i], "{n}");
    }
    // DR stays passive: nothing left running, and the primary was never asked anything.
    assert!(active_runs(&raw).await.is_empty());
    assert_eq!(
        s.primary.request_count(),
        primary_requests,
        "{:?}",
        s.primary.requests_by_path()
    );
}

#[tokio::test]
async fn a_failing_job_fails_the_drill_and_json_says_which() {
    let s = setup().await;
    let raw = Raw::new(&s.dr);
    let (failing, _) = settings_of(&raw, "ml-training-weekly").await;
    s.dr.set_run_plan(failing, RunPlan::ending(RunOutcome::Failed));
    let run = drill(
        &s,
        &[
            "--job",
            "nightly-sales-etl",
            "--job",
            "ml-training-weekly",
            "--yes",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["status"], "ran");
    assert_eq!(report["summary"]["succeeded"], 1);
    assert_eq!(report["summary"]["failed"], 1);
    assert_eq!(report["summary"]["passed"], false);
    let jobs = report["jobs"].as_array().unwrap();
    assert_eq!(jobs[0]["result"], "succeeded");
    assert_eq!(jobs[0]["run"]["result_state"], "SUCCESS");
    assert!(jobs[0]["run"]["duration_ms"].is_i64(), "{report}");
    assert_eq!(jobs[1]["name"], "ml-training-weekly");
    assert_eq!(jobs[1]["job_id"], failing);
    assert_eq!(jobs[1]["result"], "failed");
    assert_eq!(jobs[1]["run"]["result_state"], "FAILED");
    assert_eq!(jobs[1]["pause_changed"], false);
    assert!(active_runs(&raw).await.is_empty());
}

#[tokio::test]
async fn names_that_are_not_exactly_one_dr_job_refuse_the_whole_drill() {
    let s = setup().await;
    let run = drill(
        &s,
        &[
            "--job",
            "nightly-sales-etl",
            "--job",
            "no-such-job",
            "--job",
            "customer-360-refresh",
            "--yes",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(sent(&s.dr, RUN_NOW), 0, "nothing run");
    assert!(
        run.stdout.contains("no-such-job: not found in DR"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("customer-360-refresh: ambiguous in DR"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 DR jobs have this name"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("REFUSED: not every name is exactly one DR job"),
        "{}",
        run.stdout
    );
    // A name differs only in case: named, not taken.
    let run = drill(&s, &["--job", "NIGHTLY-sales-etl", "--yes"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains("DR has nightly-sales-etl"),
        "{}",
        run.stdout
    );
    assert_eq!(sent(&s.dr, RUN_NOW), 0);
}

#[tokio::test]
async fn without_a_terminal_or_yes_nothing_happens() {
    let s = setup().await;
    let before = s.dr.request_count();
    let run = drill(&s, &["--job", "nightly-sales-etl", "--format", "json"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(s.dr.request_count(), before, "not one request to DR");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["status"], "refused");
    assert!(
        report["reason"].as_str().unwrap().contains("--yes"),
        "{report}"
    );
    assert_eq!(report["jobs"][0]["result"], "not_run");
}

#[tokio::test]
async fn a_dry_run_shows_the_plan_and_starts_nothing() {
    let s = setup().await;
    let run = drill(&s, &["--job", "nightly-sales-etl", "--dry-run"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sent(&s.dr, RUN_NOW), 0);
    assert!(
        run.stdout.contains("· nightly-sales-etl (job "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("pause states: schedule PAUSED"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("DRY RUN: would run 1 job once in DR"),
        "{}",
        run.stdout
    );
    let run = drill(&s, &["--job", "no-such-job", "--dry-run"]).await;
    assert_eq!(run.code, 2, "a drill that would be refused: {run:?}");
}

#[tokio::test]
async fn a_run_past_the_timeout_is_cancelled_and_reported() {
    let s = setup().await;
    let raw = Raw::new(&s.dr);
    let (job, _) = settings_of(&raw, "nightly-sales-etl").await;
    s.dr.set_run_plan(job, RunPlan::until_cancelled());
    let run = drill(
        &s,
        &[
            "--job",
            "nightly-sales-etl",
            "--yes",
            "--timeout",
            "1s",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(sent(&s.dr, "POST /api/2.2/jobs/runs/cancel"), 1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let j = &report["jobs"][0];
    assert_eq!(j["result"], "timed_out", "{report}");
    assert_eq!(j["run"]["life_cycle_state"], "RUNNING");
    assert!(
        j["detail"].as_str().unwrap().contains("was cancelled"),
        "{report}"
    );
    // The cancelled run ends; nothing is left running in DR.
    let run_id = j["run"]["run_id"].as_i64().unwrap();
    let mut last = Value::Null;
    for _ in 0..5 {
        last = raw
            .get(&format!("/api/2.2/jobs/runs/get?run_id={run_id}"))
            .await
            .1;
    }
    assert_eq!(last["state"]["result_state"], "CANCELED", "{last}");
    assert!(active_runs(&raw).await.is_empty());
}

#[tokio::test]
async fn a_pause_state_changed_during_the_drill_fails_it() {
    let s = setup().await;
    let raw = Raw::new(&s.dr);
    let (job, _) = settings_of(&raw, "nightly-sales-etl").await;
    // The run takes three seconds, so that the schedule is unpaused while it runs.
    s.dr.set_run_plan(
        job,
        RunPlan {
            running_ms: 3000,
            ..RunPlan::default()
        },
    );
    let dir = s.dir.path().to_path_buf();
    let drill = tokio::spawn(async move {
        drsync(
            &dir,
            &[
                "drill",
                "--poll-ms",
                "5",
                "--job",
                "nightly-sales-etl",
                "--yes",
                "--format",
                "markdown",
            ],
            ENV,
        )
        .await
    });
    // Once the run is started (the plan, which read the pause states, is done), someone unpauses the job.
    let started = tokio::time::Instant::now();
    while sent(&s.dr, RUN_NOW) == 0 {
        assert!(started.elapsed().as_secs() < 60, "the drill never started");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    crate::common::unpause(&s.dr, "nightly-sales-etl").await;
    let run = drill.await.unwrap();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.starts_with("## DR drill: DRILL FAILED"),
        "{}",
        run.stdout
    );
    // The Markdown report escapes `>` as `&gt;`.
    assert!(
        run.stdout.contains(
            "pause states CHANGED during the drill: schedule PAUSED -&gt; schedule UNPAUSED"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("| ✓ | nightly-sales-etl |"),
        "the run itself succeeded: {}",
        run.stdout
    );
}
