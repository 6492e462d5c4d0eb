//! Unit tests of job runs: run-now, the lifecycle under each plan, concurrency (skip and queue), idempotency,
//! list filters and pages, cancel and cancel-all, and runs seeded from fixtures.

use super::*;
use crate::catalog::Cloud;
use crate::fixtures::Fixtures;
use crate::runs::{RunOutcome, RunPlan};

const URL: &str = "http://127.0.0.1:4000";
const ORG: u64 = 4_000_000_000_004_000;

fn origin() -> Origin<'static> {
    Origin {
        url: URL,
        org: ORG,
        creator: "runner@example.com",
    }
}

fn body(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

/// A workspace with job 11 (two tasks, `max_concurrent_runs` 1, a paused schedule, two parameters) and job 12
/// (no settings but a name, so one concurrent run by default).
fn ws() -> Workspace {
    let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 7);
    ws.jobs.insert(
        11,
        json!({"job_id": 11, "created_time": 1, "settings": {
            "name": "nightly",
            "max_concurrent_runs": 1,
            "schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC", "pause_status": "PAUSED"},
            "parameters": [{"name": "env", "default": "prod"}, {"name": "day", "default": ""}],
            "job_clusters": [{"job_cluster_key": "c", "new_cluster": {"num_workers": 1}}],
            "tasks": [
                {"task_key": "a", "job_cluster_key": "c", "notebook_task": {"notebook_path": "/a"}},
                {"task_key": "b", "depends_on": [{"task_key": "a"}], "run_if": "ALL_SUCCESS",
                 "job_cluster_key": "c", "notebook_task": {"notebook_path": "/b"}},
            ],
        }}),
    );
    ws.jobs.insert(
        12,
        json!({"job_id": 12, "created_time": 2, "settings": {"name": "other"}}),
    );
    ws
}

fn start(ws: &mut Workspace, job: i64) -> i64 {
    let out = run_now(ws, &origin(), body(json!({"job_id": job}))).unwrap();
    assert_eq!(out["number_in_job"], out["run_id"]);
    out["run_id"].as_i64().unwrap()
}

fn get(ws: &mut Workspace, id: i64) -> Value {
    get_run(
        ws,
        Version::V2_2,
        &Query::parse(Some(&format!("run_id={id}"))),
    )
    .unwrap()
}

fn life(run: &Value) -> (&str, Option<&str>) {
    (
        run["state"]["life_cycle_state"].as_str().unwrap(),
        run["state"]["result_state"].as_str(),
    )
}

fn list(ws: &mut Workspace, q: &str) -> Result<Value, ApiError> {
    list_runs(ws, Version::V2_2, &Query::parse(Some(q)))
}

fn ids(page: &Value) -> Vec<i64> {
    page["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["run_id"].as_i64().unwrap())
        .collect()
}

#[test]
fn run_now_makes_a_pending_run_of_the_job_even_when_its_schedule_is_paused() {
    let mut ws = ws();
    let id = start(&mut ws, 11);
    let run = shown(ws.runs.get(id).unwrap(), true, None);
    assert_eq!(life(&run), ("PENDING", None));
    assert_eq!(run["status"], json!({"state": "PENDING"}));
    assert_eq!(run["job_id"], 11);
    assert_eq!(run["number_in_job"], id);
    assert_eq!(run["original_attempt_run_id"], id);
    assert_eq!(run["attempt_number"], 0);
    assert_eq!(run["run_name"], "nightly");
    assert_eq!(run["creator_user_name"], "runner@example.com");
    assert_eq!(run["trigger"], "ONE_TIME");
    assert_eq!(run["run_type"], "JOB_RUN");
    assert_eq!(
        run["run_page_url"],
        format!("http://127.0.0.1:4000/?o={ORG}#job/11/run/{id}")
    );
    assert_eq!(run["end_time"], 0);
    assert_eq!(run["state"]["user_cancelled_or_timedout"], false);
    assert_eq!(run["job_clusters"][0]["job_cluster_key"], "c");
    assert_eq!(
        run["job_parameters"],
        json!([{"name": "env", "default": "prod", "value": "prod"},
               {"name": "day", "default": "", "value": ""}])
    );
    let tasks = run["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[1]["task_key"], "b");
    assert_eq!(tasks[1]["depends_on"], json!([{"task_key": "a"}]));
    let task_ids: Vec<i64> = tasks
        .iter()
        .map(|t| t["run_id"].as_i64().unwrap())
        .collect();
    assert!(
        task_ids.iter().all(|t| *t != id),
        "tasks have their own run ids"
    );
    assert_ne!(task_ids[0], task_ids[1]);
    assert_eq!(tasks[0]["state"]["life_cycle_state"], "PENDING");
    // Run ids increase: the next run's id is higher than this run's and its tasks'.
    let next = start(&mut ws, 12);
    assert!(next > *task_ids.iter().max().unwrap());
}

#[test]
fn reads_advance_a_run_through_its_lifecycle() {
    let mut ws = ws();
    let id = start(&mut ws, 11);
    let run = get(&mut ws, id);
    assert_eq!(life(&run), ("RUNNING", None));
    assert_eq!(run["state"]["state_message"], "In run");
    assert_eq!(run["status"]["state"], "RUNNING");
    assert_eq!(run["end_time"], 0);
    assert!(run.get("run_duration").is_none());
    let run = get(&mut ws, id);
    assert_eq!(life(&run), ("TERMINATING", None));
    assert_eq!(
        run["status"]["termination_details"]["code"], "SUCCESS",
        "termination details from TERMINATING on"
    );
    let run = get(&mut ws, id);
    assert_eq!(life(&run), ("TERMINATED", Some("SUCCESS")));
    assert_eq!(run["status"]["state"], "TERMINATED");
    assert_eq!(
        run["status"]["termination_details"],
        json!({"code": "SUCCESS", "type": "SUCCESS", "message": ""})
    );
    assert!(run["end_time"].as_i64().unwrap() >= run["start_time"].as_i64().unwrap());
    assert!(run["run_duration"].as_i64().is_some());
    assert_eq!(run["setup_duration"], 0, "multitask job runs report 0");
    for task in run["tasks"].as_array().unwrap() {
        assert_eq!(task["state"]["life_cycle_state"], "TERMINATED");
        assert_eq!(task["state"]["result_state"], "SUCCESS");
        assert!(task["execution_duration"].as_i64().is_some());
    }
    // TERMINATED is terminal.
    assert_eq!(get(&mut ws, id), run);
}

#[test]
fn plans_set_how_runs_end_and_how_long_they_run() {
    let cases = [
        (
            RunOutcome::Success,
            "TERMINATED",
            Some("SUCCESS"),
            false,
            "SUCCESS",
        ),
        (
            RunOutcome::Failed,
            "TERMINATED",
            Some("FAILED"),
            false,
            "RUN_EXECUTION_ERROR",
        ),
        (
            RunOutcome::TimedOut,
            "TERMINATED",
            Some("TIMEDOUT"),
            true,
            "CANCELED",
        ),
        (
            RunOutcome::InternalError,
            "INTERNAL_ERROR",
            Some("FAILED"),
            false,
            "INTERNAL_ERROR",
        ),
    ];
    for (outcome, state, result, cancelled, code) in cases {
        let mut ws = ws();
        ws.runs.set_plan(
            11,
            RunPlan {
                outcome,
                running_reads: Some(3),
                running_ms: 0,
            },
        );
        let id = start(&mut ws, 11);
        for read in 1..=3 {
            assert_eq!(
                life(&get(&mut ws, id)).0,
                "RUNNING",
                "{outcome:?} read {read}"
            );
        }
        let mut run = get(&mut ws, id);
        if outcome != RunOutcome::InternalError {
            assert_eq!(life(&run), ("TERMINATING", None), "{outcome:?}");
            run = get(&mut ws, id);
        }
        assert_eq!(life(&run), (state, result), "{outcome:?}");
        assert_eq!(run["state"]["user_cancelled_or_timedout"], cancelled);
        assert_eq!(run["status"]["state"], "TERMINATED");
        assert_eq!(run["status"]["termination_details"]["code"], code);
        // Another job keeps the default plan.
        let other = start(&mut ws, 12);
        get(&mut ws, other);
        get(&mut ws, other);
        assert_eq!(life(&get(&mut ws, other)), ("TERMINATED", Some("SUCCESS")));
    }
    // Zero reads: the first read after PENDING sees the run finishing.
    let mut ws = ws();
    ws.runs.set_default_plan(RunPlan {
        outcome: RunOutcome::Failed,
        running_reads: Some(0),
        running_ms: 0,
    });
    let id = start(&mut ws, 12);
    assert_eq!(life(&get(&mut ws, id)), ("TERMINATING", None));
    assert_eq!(life(&get(&mut ws, id)), ("TERMINATED", Some("FAILED")));
}

#[test]
fn a_run_until_cancelled_runs_until_it_is_cancelled() {
    let mut ws = ws();
    ws.runs.set_plan(11, RunPlan::until_cancelled());
    let id = start(&mut ws, 11);
    for _ in 0..20 {
        assert_eq!(life(&get(&mut ws, id)).0, "RUNNING");
    }
    assert_eq!(
        cancel(&mut ws, body(json!({"run_id": id}))).unwrap(),
        json!({})
    );
    let run = shown(ws.runs.get(id).unwrap(), true, None);
    assert_eq!(life(&run), ("TERMINATING", None));
    assert_eq!(
        run["status"]["termination_details"]["code"],
        "USER_CANCELED"
    );
    let run = get(&mut ws, id);
    assert_eq!(life(&run), ("TERMINATED", Some("CANCELED")));
    assert_eq!(run["state"]["user_cancelled_or_timedout"], true);
    // Cancelling a run that is over does nothing; an unknown run is the not-found 400.
    assert_eq!(
        cancel(&mut ws, body(json!({"run_id": id}))).unwrap(),
        json!({})
    );
    assert_eq!(life(&get(&mut ws, id)), ("TERMINATED", Some("CANCELED")));
    let e = cancel(&mut ws, body(json!({"run_id": 5}))).unwrap_err();
    assert_eq!(
        (e.status.as_u16(), e.message.as_str()),
        (400, "Run 5 does not exist.")
    );
    let e = cancel(&mut ws, body(json!({}))).unwrap_err();
    assert_eq!(e.message, "Missing required field: run_id");
}

#[test]
fn runs_beyond_max_concurrent_runs_are_skipped_or_queued() {
    let mut ws = ws();
    let first = start(&mut ws, 11);
    // The first run is still PENDING: a second one is skipped.
    let second = start(&mut ws, 11);
    let run = get(&mut ws, second);
    assert_eq!(life(&run), ("SKIPPED", None));
    assert_eq!(
        run["state"]["state_message"],
        "Skipping this run because the limit of 1 maximum concurrent runs has been reached."
    );
    assert_eq!(run["status"]["state"], "TERMINATED");
    assert_eq!(
        run["status"]["termination_details"]["code"],
        "MAX_CONCURRENT_RUNS_EXCEEDED"
    );
    assert_eq!(run["end_time"], run["start_time"]);

    // With queueing (asked for by the request here), it waits for the slot.
    let queued = run_now(
        &mut ws,
        &origin(),
        body(json!({"job_id": 11, "queue": {"enabled": true}})),
    )
    .unwrap()["run_id"]
        .as_i64()
        .unwrap();
    let run = shown(ws.runs.get(queued).unwrap(), true, None);
    assert_eq!(life(&run), ("QUEUED", None));
    assert_eq!(run["status"]["state"], "QUEUED");
    assert_eq!(
        run["status"]["queue_details"]["code"],
        "MAX_CONCURRENT_RUNS_REACHED"
    );
    // Reads of the queued run leave it queued while the first runs.
    assert_eq!(life(&get(&mut ws, queued)).0, "QUEUED");
    assert_eq!(life(&get(&mut ws, first)).0, "RUNNING");
    assert_eq!(life(&get(&mut ws, first)).0, "TERMINATING");
    assert_eq!(
        life(&get(&mut ws, queued)).0,
        "QUEUED",
        "TERMINATING holds the slot"
    );
    assert_eq!(life(&get(&mut ws, first)).0, "TERMINATED");
    let run = shown(ws.runs.get(queued).unwrap(), true, None);
    assert_eq!(
        life(&run),
        ("PENDING", None),
        "the freed slot goes to the queue"
    );
    assert!(run["queue_duration"].as_i64().is_some());
    assert_eq!(life(&get(&mut ws, queued)).0, "RUNNING");

    // `max_concurrent_runs` 0 skips every run.
    ws.jobs
        .modify(12, |j| j["settings"]["max_concurrent_runs"] = json!(0));
    let id = start(&mut ws, 12);
    assert_eq!(life(&get(&mut ws, id)), ("SKIPPED", None));
    // The job's own queue setting queues too, and a higher limit runs side by side.
    ws.jobs.modify(12, |j| {
        j["settings"]["max_concurrent_runs"] = json!(2);
        j["settings"]["queue"] = json!({"enabled": true});
    });
    let runs: Vec<i64> = (0..3).map(|_| start(&mut ws, 12)).collect();
    let states: Vec<String> = runs
        .iter()
        .map(|id| {
            shown(ws.runs.get(*id).unwrap(), true, None)["state"]["life_cycle_state"].to_string()
        })
        .collect();
    assert_eq!(states, ["\"PENDING\"", "\"PENDING\"", "\"QUEUED\""]);
}

#[test]
fn an_idempotency_token_starts_one_run() {
    let mut ws = ws();
    let req = json!({"job_id": 12, "idempotency_token": "failover-2026-12-01"});
    let a = run_now(&mut ws, &origin(), body(req.clone())).unwrap();
    let b = run_now(&mut ws, &origin(), body(req)).unwrap();
    assert_eq!(a, b);
    assert_eq!(ws.runs.len(), 1, "no second run, not even a skipped one");
    let c = run_now(
        &mut ws,
        &origin(),
        body(json!({"job_id": 12, "idempotency_token": "other"})),
    )
    .unwrap();
    assert_ne!(a["run_id"], c["run_id"]);
    let long = "x".repeat(65);
    let e = run_now(
        &mut ws,
        &origin(),
        body(json!({"job_id": 12, "idempotency_token": long})),
    )
    .unwrap_err();
    assert_eq!(e.error_code, json!("INVALID_PARAMETER_VALUE"));
    let ok = "y".repeat(64);
    assert!(run_now(
        &mut ws,
        &origin(),
        body(json!({"job_id": 12, "idempotency_token": ok}))
    )
    .is_ok());
}

#[test]
fn run_now_errors() {
    let mut ws = ws();
    let e = run_now(&mut ws, &origin(), body(json!({"job_id": 1}))).unwrap_err();
    assert_eq!(
        (e.status.as_u16(), e.error_code.clone(), e.message.as_str()),
        (
            400,
            json!("INVALID_PARAMETER_VALUE"),
            "Job 1 does not exist."
        )
    );
    let e = run_now(&mut ws, &origin(), body(json!({}))).unwrap_err();
    assert_eq!(e.message, "Missing required field: job_id");
    // A job id sent as a string is read as proto JSON reads int64.
    assert!(run_now(&mut ws, &origin(), body(json!({"job_id": "12"}))).is_ok());
    let e = get_run(&mut ws, Version::V2_1, &Query::parse(Some("run_id=77"))).unwrap_err();
    assert_eq!(
        (e.status.as_u16(), e.message.as_str()),
        (400, "Run 77 does not exist.")
    );
    let e = get_run(&mut ws, Version::V2_1, &Query::parse(None)).unwrap_err();
    assert_eq!(e.message, "Missing required field: run_id");
}

#[test]
fn job_parameters_take_the_values_given_and_legacy_parameters_are_kept() {
    let mut ws = ws();
    let out = run_now(
        &mut ws,
        &origin(),
        body(
            json!({"job_id": 11, "job_parameters": {"day": "2026-12-01"},
                    "notebook_params": {"x": "1"}}),
        ),
    )
    .unwrap();
    let run = get(&mut ws, out["run_id"].as_i64().unwrap());
    assert_eq!(
        run["job_parameters"],
        json!([{"name": "env", "default": "prod", "value": "prod"},
               {"name": "day", "default": "", "value": "2026-12-01"}])
    );
    assert_eq!(
        run["overriding_parameters"],
        json!({"notebook_params": {"x": "1"}})
    );
}

#[test]
fn list_filters_orders_and_pages() {
    let mut ws = ws();
    ws.jobs
        .modify(12, |j| j["settings"]["max_concurrent_runs"] = json!(100));
    ws.runs.set_plan(12, RunPlan::until_cancelled());
    let mut started: Vec<i64> = (0..30).map(|_| start(&mut ws, 12)).collect();
    let done = start(&mut ws, 11);
    for _ in 0..3 {
        get(&mut ws, done);
    }
    started.push(done);
    started.reverse();

    // Newest first, 20 by default, then the rest by cursor; every run once.
    let page = list(&mut ws, "").unwrap();
    assert_eq!(ids(&page), started[..20]);
    assert_eq!(page["has_more"], true);
    assert!(page.get("prev_page_token").is_none());
    let token = page["next_page_token"].as_str().unwrap().to_string();
    let page = list(&mut ws, &format!("page_token={token}")).unwrap();
    assert_eq!(ids(&page), started[20..]);
    assert_eq!(page["has_more"], false);
    assert!(page.get("next_page_token").is_none());
    assert!(page["prev_page_token"].is_string());
    // Offsets, and a limit of 0 (the maximum, 25).
    assert_eq!(
        ids(&list(&mut ws, "offset=29&limit=5").unwrap()),
        started[29..]
    );
    assert_eq!(ids(&list(&mut ws, "limit=0").unwrap()).len(), 25);
    for bad in [
        "limit=26",
        "limit=-1",
        "offset=-1",
        "page_token=nope",
        "run_type=NOPE",
    ] {
        let e = list(&mut ws, bad).unwrap_err();
        assert_eq!(e.error_code, json!("INVALID_PARAMETER_VALUE"), "{bad}");
    }

    // Filters.
    assert_eq!(ids(&list(&mut ws, "job_id=11").unwrap()), [done]);
    assert_eq!(ids(&list(&mut ws, "completed_only=true").unwrap()), [done]);
    let active = ids(&list(&mut ws, "active_only=true&limit=25").unwrap());
    assert_eq!(active, started[1..26]);
    let e = list(&mut ws, "active_only=true&completed_only=true").unwrap_err();
    assert_eq!(e.error_code, json!("INVALID_PARAMETER_VALUE"));
    let e = list(&mut ws, "job_id=99").unwrap_err();
    assert_eq!(e.message, "Job 99 does not exist.");
    assert_eq!(
        ids(&list(&mut ws, "run_type=SUBMIT_RUN").unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        list(&mut ws, "run_type=SUBMIT_RUN").unwrap(),
        json!({"has_more": false})
    );
    let t = |id: i64| ws.runs.get(id).unwrap().start_time();
    let (from, to) = (t(started[5]), t(started[2]));
    assert_eq!(
        ids(&list(
            &mut ws,
            &format!("start_time_from={from}&start_time_to={to}")
        )
        .unwrap()),
        started[2..=5]
    );

    // Tasks and job clusters only with expand_tasks.
    let page = list(&mut ws, "job_id=11").unwrap();
    assert!(
        page["runs"][0].get("tasks").is_none() && page["runs"][0].get("job_clusters").is_none()
    );
    assert!(page["runs"][0].get("has_more").is_none());
    let page = list(&mut ws, "job_id=11&expand_tasks=true").unwrap();
    assert_eq!(page["runs"][0]["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(page["runs"][0]["has_more"], false);
}

#[test]
fn a_list_advances_every_active_run() {
    let mut ws = ws();
    let a = start(&mut ws, 11);
    let b = start(&mut ws, 12);
    let page = list(&mut ws, "active_only=true").unwrap();
    assert_eq!(ids(&page), [b, a]);
    assert!(page["runs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["state"]["life_cycle_state"] == "RUNNING"));
    list(&mut ws, "").unwrap();
    list(&mut ws, "").unwrap();
    assert_eq!(
        list(&mut ws, "active_only=true").unwrap(),
        json!({"has_more": false})
    );
    assert_eq!(ids(&list(&mut ws, "completed_only=true").unwrap()), [b, a]);
}

#[test]
fn cancel_all_cancels_a_jobs_active_runs_or_every_queued_run() {
    let mut ws = ws();
    ws.runs.set_default_plan(RunPlan::until_cancelled());
    ws.jobs.modify(12, |j| {
        j["settings"]["max_concurrent_runs"] = json!(1);
        j["settings"]["queue"] = json!({"enabled": true});
    });
    let a = start(&mut ws, 11);
    let b = start(&mut ws, 12);
    let c = start(&mut ws, 12);
    assert_eq!(life(&get(&mut ws, c)).0, "QUEUED");

    // Every queued run of the workspace.
    cancel_all(&mut ws, body(json!({"all_queued_runs": true}))).unwrap();
    assert_eq!(life(&get(&mut ws, c)), ("TERMINATED", Some("CANCELED")));
    assert_eq!(life(&get(&mut ws, b)).0, "RUNNING");
    // Every active run of one job.
    cancel_all(&mut ws, body(json!({"job_id": 12}))).unwrap();
    assert_eq!(life(&get(&mut ws, b)), ("TERMINATED", Some("CANCELED")));
    assert_eq!(
        life(&get(&mut ws, a)).0,
        "RUNNING",
        "other jobs' runs go on"
    );

    let e = cancel_all(&mut ws, body(json!({}))).unwrap_err();
    assert_eq!(e.error_code, json!("INVALID_PARAMETER_VALUE"));
    let e = cancel_all(&mut ws, body(json!({"job_id": 99}))).unwrap_err();
    assert_eq!(e.message, "Job 99 does not exist.");
}

#[test]
fn runs_seeded_from_fixtures_are_listed_and_active_ones_go_on() {
    let fixtures = Fixtures {
        runs: vec![
            json!({"job_id": 11, "run_id": 500, "start_time": 1_000, "end_time": 2_000,
                   "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": "boom"},
                   "x_unknown": 1}),
            json!({"job_id": 11, "run_id": 501, "start_time": 3_000,
                   "state": {"life_cycle_state": "RUNNING", "state_message": "In run"}}),
        ],
        ..Fixtures::default()
    };
    let mut ws = Workspace::new(Cloud::Aws, fixtures, 7);
    let done = get(&mut ws, 500);
    assert_eq!(
        done["state"]["state_message"], "boom",
        "terminal runs stay as given"
    );
    assert_eq!(done["x_unknown"], 1);
    assert_eq!(life(&get(&mut ws, 501)), ("TERMINATING", None));
    assert_eq!(life(&get(&mut ws, 501)), ("TERMINATED", Some("SUCCESS")));
    // New runs get higher ids than the seeded ones.
    ws.jobs
        .insert(11, json!({"job_id": 11, "settings": {"name": "n"}}));
    assert_eq!(start(&mut ws, 11), 502);
    let page = list(&mut ws, "job_id=11").unwrap();
    assert_eq!(ids(&page), [502, 501, 500]);
}

#[test]
fn get_pages_the_tasks_of_a_big_run_in_2_2_only() {
    let mut ws = ws();
    let tasks: Vec<Value> = (0..230)
        .map(|i| json!({"task_key": format!("t{i:03}"), "notebook_task": {"notebook_path": "/n"}}))
        .collect();
    ws.jobs.insert(
        13,
        json!({"job_id": 13, "settings": {"name": "big", "tasks": tasks,
                                          "parameters": [{"name": "p", "default": "d"}]}}),
    );
    let id = start(&mut ws, 13);
    let q = |extra: &str| Query::parse(Some(&format!("run_id={id}{extra}")));
    let first = get_run(&mut ws, Version::V2_2, &q("")).unwrap();
    assert_eq!(life(&first).0, "RUNNING");
    assert_eq!(first["tasks"].as_array().unwrap().len(), 100);
    assert_eq!(first["job_parameters"].as_array().unwrap().len(), 1);
    let mut keys: Vec<Value> = first["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_key"].clone())
        .collect();
    let mut token = first["next_page_token"].as_str().unwrap().to_string();
    let mut pages = 1;
    loop {
        let page = get_run(&mut ws, Version::V2_2, &q(&format!("&page_token={token}"))).unwrap();
        pages += 1;
        assert_eq!(
            life(&page).0,
            "RUNNING",
            "later pages do not advance the run"
        );
        assert!(page.get("job_parameters").is_none(), "nothing left of it");
        keys.extend(
            page["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["task_key"].clone()),
        );
        match page["next_page_token"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let want: Vec<Value> = (0..230).map(|i| json!(format!("t{i:03}"))).collect();
    assert_eq!(keys, want);
    // 2.1 shows every task at once; a token of another run is refused.
    let whole = get_run(&mut ws, Version::V2_1, &q("")).unwrap();
    assert_eq!(whole["tasks"].as_array().unwrap().len(), 230);
    assert!(whole.get("next_page_token").is_none());
    let other = encode_run_token(id + 1, 1);
    let e = get_run(&mut ws, Version::V2_2, &q(&format!("&page_token={other}"))).unwrap_err();
    assert_eq!(e.error_code, json!("INVALID_PARAMETER_VALUE"));
    // A list shows the first 100 with has_more when expanded (2.2).
    let page = list(&mut ws, "job_id=13&expand_tasks=true").unwrap();
    assert_eq!(page["runs"][0]["tasks"].as_array().unwrap().len(), 100);
    assert_eq!(page["runs"][0]["has_more"], true);
    let page = list_runs(
        &mut ws,
        Version::V2_1,
        &Query::parse(Some("job_id=13&expand_tasks=true")),
    )
    .unwrap();
    assert_eq!(page["runs"][0]["tasks"].as_array().unwrap().len(), 230);
    assert!(page["runs"][0].get("has_more").is_none());
}
