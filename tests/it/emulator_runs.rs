//! The emulator's job runs over HTTP, on both API versions: run-now, runs/get, runs/list, cancel, the run plans
//! a test sets (`EmulatorConfig::run_plans`, `Emulator::set_run_plan`), and the cluster start/terminate
//! transitions and job pause updates that failover and failback use (issue 19).

use crate::common::{start, Raw};
use drsync_emulator::{EmulatorConfig, Fixtures, RunOutcome, RunPlan};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A job with one notebook task and a paused schedule; its id.
async fn create_job(raw: &Raw, name: &str) -> i64 {
    let (status, body) = raw
        .post(
            "/api/2.2/jobs/create",
            json!({
                "name": name,
                "schedule": {"quartz_cron_expression": "0 0 3 * * ?", "timezone_id": "UTC",
                             "pause_status": "PAUSED"},
                "tasks": [{"task_key": "main", "notebook_task": {"notebook_path": "/Shared/main"}}],
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["job_id"].as_i64().unwrap()
}

async fn run_now(raw: &Raw, version: &str, job_id: i64) -> i64 {
    let (status, body) = raw
        .post(
            &format!("/api/{version}/jobs/run-now"),
            json!({"job_id": job_id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["run_id"].as_i64().unwrap()
}

async fn get_run(raw: &Raw, version: &str, run_id: i64) -> Value {
    let (status, body) = raw
        .get(&format!("/api/{version}/jobs/runs/get?run_id={run_id}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Poll `runs/get` until the run is over, as the SDK waiter does; the lifecycle states seen, in order.
async fn states_until_over(raw: &Raw, version: &str, run_id: i64) -> (Vec<String>, Value) {
    let mut seen = Vec::new();
    for _ in 0..20 {
        let run = get_run(raw, version, run_id).await;
        let state = run["state"]["life_cycle_state"]
            .as_str()
            .unwrap()
            .to_string();
        seen.push(state.clone());
        if matches!(state.as_str(), "TERMINATED" | "SKIPPED" | "INTERNAL_ERROR") {
            return (seen, run);
        }
    }
    panic!("run {run_id} never ended: {seen:?}");
}

#[tokio::test]
async fn runs_go_through_their_lifecycle_on_both_api_versions() {
    let emu = start(EmulatorConfig::default()).await;
    let raw = Raw::new(&emu);
    let job = create_job(&raw, "nightly").await;
    for version in ["2.1", "2.2"] {
        let run_id = run_now(&raw, version, job).await;
        let (seen, run) = states_until_over(&raw, version, run_id).await;
        assert_eq!(seen, ["RUNNING", "TERMINATING", "TERMINATED"], "{version}");
        assert_eq!(run["state"]["result_state"], "SUCCESS");
        assert_eq!(run["status"]["state"], "TERMINATED");
        assert_eq!(run["job_id"], job);
        assert_eq!(run["run_name"], "nightly");
        assert_eq!(run["creator_user_name"], "emulator@example.com");
        assert_eq!(
            run["run_page_url"],
            format!(
                "{}/?o={}#job/{job}/run/{run_id}",
                emu.url(),
                emu.workspace_id()
            )
        );
        assert_eq!(run["tasks"][0]["task_key"], "main");
    }
    let (status, list) = raw
        .get(&format!("/api/2.1/jobs/runs/list?job_id={job}"))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["runs"].as_array().map(Vec::len), Some(2));
    assert_eq!(list["has_more"], false);
    // Unknown runs and jobs.
    let (status, err) = raw.get("/api/2.2/jobs/runs/get?run_id=42").await;
    assert_eq!(
        (status, &err["error_code"]),
        (400, &json!("INVALID_PARAMETER_VALUE"))
    );
    assert_eq!(err["message"], "Run 42 does not exist.");
    let (status, err) = raw
        .post("/api/2.2/jobs/run-now", json!({"job_id": 42}))
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("Job 42 does not exist."))
    );
    // A wrong method is an unknown endpoint, as elsewhere in the Jobs API.
    let (status, err) = raw.get("/api/2.2/jobs/run-now").await;
    assert_eq!(
        (status, &err["error_code"]),
        (404, &json!("ENDPOINT_NOT_FOUND"))
    );
}

#[tokio::test]
async fn run_plans_from_the_config_and_set_while_running() {
    // A job from the fixtures, whose id is known before the emulator starts, fails by the config's plan.
    let seeded = json!({"job_id": 777, "created_time": 1_700_000_000_000_i64, "creator_user_name": "a@example.com",
                        "settings": {"name": "seeded", "max_concurrent_runs": 1,
                                     "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/t"}}]}});
    let emu = start(EmulatorConfig {
        fixtures: Fixtures {
            jobs: vec![seeded],
            ..Fixtures::default()
        },
        run_plans: BTreeMap::from([(777, RunPlan::ending(RunOutcome::Failed))]),
        ..EmulatorConfig::default()
    })
    .await;
    let raw = Raw::new(&emu);
    let run_id = run_now(&raw, "2.2", 777).await;
    let (_, run) = states_until_over(&raw, "2.2", run_id).await;
    assert_eq!(run["state"]["result_state"], "FAILED");
    assert_eq!(
        run["status"]["termination_details"]["code"],
        "RUN_EXECUTION_ERROR"
    );
    // Other jobs follow the default plan.
    let failing = create_job(&raw, "failing").await;
    let run_id = run_now(&raw, "2.2", failing).await;
    let (_, run) = states_until_over(&raw, "2.2", run_id).await;
    assert_eq!(run["state"]["result_state"], "SUCCESS");

    // A plan set on the running emulator: this job's runs now hit an internal error after three reads.
    emu.set_run_plan(
        failing,
        RunPlan {
            outcome: RunOutcome::InternalError,
            running_reads: Some(3),
            running_ms: 0,
        },
    );
    let run_id = run_now(&raw, "2.2", failing).await;
    let (seen, run) = states_until_over(&raw, "2.2", run_id).await;
    assert_eq!(seen, ["RUNNING", "RUNNING", "RUNNING", "INTERNAL_ERROR"]);
    assert_eq!(
        run["status"]["termination_details"]["code"],
        "INTERNAL_ERROR"
    );

    // And a default for every other job: it runs until cancelled.
    emu.set_default_run_plan(RunPlan::until_cancelled());
    let other = create_job(&raw, "other").await;
    let run_id = run_now(&raw, "2.1", other).await;
    for _ in 0..5 {
        assert_eq!(
            get_run(&raw, "2.1", run_id).await["state"]["life_cycle_state"],
            "RUNNING"
        );
    }
    let (status, active) = raw.get("/api/2.2/jobs/runs/list?active_only=true").await;
    assert_eq!(status, 200);
    assert_eq!(active["runs"][0]["run_id"], run_id);
    assert_eq!(active["runs"].as_array().map(Vec::len), Some(1));
    let (status, _) = raw
        .post("/api/2.1/jobs/runs/cancel", json!({"run_id": run_id}))
        .await;
    assert_eq!(status, 200);
    let (seen, run) = states_until_over(&raw, "2.2", run_id).await;
    assert_eq!(seen, ["TERMINATED"]);
    assert_eq!(run["state"]["result_state"], "CANCELED");
    assert_eq!(run["state"]["user_cancelled_or_timedout"], true);
    let (_, active) = raw.get("/api/2.2/jobs/runs/list?active_only=true").await;
    assert_eq!(active, json!({"has_more": false}));
}

#[tokio::test]
async fn a_second_run_queues_or_is_skipped_and_cancel_all_ends_both() {
    let emu = start(EmulatorConfig {
        default_run_plan: RunPlan::until_cancelled(),
        ..EmulatorConfig::default()
    })
    .await;
    let raw = Raw::new(&emu);
    // A job created through 2.2 queues by default: the second run waits for the first.
    let job = create_job(&raw, "one-at-a-time").await;
    let first = run_now(&raw, "2.2", job).await;
    let second = run_now(&raw, "2.2", job).await;
    let run = get_run(&raw, "2.2", second).await;
    assert_eq!(run["state"]["life_cycle_state"], "QUEUED");
    assert_eq!(
        run["status"]["queue_details"]["code"],
        "MAX_CONCURRENT_RUNS_REACHED"
    );
    let (status, _) = raw
        .post("/api/2.2/jobs/runs/cancel-all", json!({"job_id": job}))
        .await;
    assert_eq!(status, 200);
    for id in [first, second] {
        let (_, run) = states_until_over(&raw, "2.2", id).await;
        assert_eq!(run["state"]["result_state"], "CANCELED");
    }
    // Without queueing, it is skipped.
    raw.update_job(&json!(job), json!({"queue": {"enabled": false}}))
        .await;
    let third = run_now(&raw, "2.1", job).await;
    let fourth = run_now(&raw, "2.1", job).await;
    let (seen, run) = states_until_over(&raw, "2.1", fourth).await;
    assert_eq!(seen, ["SKIPPED"]);
    assert_eq!(
        run["status"]["termination_details"]["code"],
        "MAX_CONCURRENT_RUNS_EXCEEDED"
    );
    assert_eq!(
        get_run(&raw, "2.1", third).await["state"]["life_cycle_state"],
        "RUNNING"
    );
}

/// What failover and failback do to compute and jobs, as the emulator shows it: a started cluster is `PENDING`
/// until the next read shows it `RUNNING`, a terminated one `TERMINATING` until the next read shows it
/// `TERMINATED`; a job's schedule is paused and unpaused by `jobs/update`; a pool's warm size changes by
/// `instance-pools/edit`.
#[tokio::test]
async fn cluster_transitions_pause_updates_and_pool_sizes() {
    let emu = start(EmulatorConfig::default()).await;
    let raw = Raw::new(&emu);
    let (status, created) = raw
        .post(
            "/api/2.1/clusters/create",
            json!({"cluster_name": "dr-shared", "spark_version": "15.4.x-scala2.12",
                   "node_type_id": "i3.xlarge", "num_workers": 1}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["cluster_id"].as_str().unwrap().to_string();
    let list_state = |list: &Value| -> String {
        list["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["cluster_id"] == id.as_str())
            .map(|c| c["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    let get_state = |raw: &Raw| {
        let path = format!("/api/2.1/clusters/get?cluster_id={id}");
        let raw = Raw {
            base: raw.base.clone(),
            http: raw.http.clone(),
            token: raw.token.clone(),
        };
        async move {
            raw.get(&path).await.1["state"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(get_state(&raw).await, "RUNNING");
    raw.post("/api/2.1/clusters/delete", json!({"cluster_id": id}))
        .await;
    // Before any read the stored state is TERMINATING: a mutation does not advance it, so an edit fails.
    let (status, err) = raw
        .post(
            "/api/2.1/clusters/edit",
            json!({"cluster_id": id, "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
                   "num_workers": 2}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        err["message"],
        format!("Cluster {id} is in unexpected state Terminating.")
    );
    assert_eq!(
        list_state(&raw.get("/api/2.1/clusters/list").await.1),
        "TERMINATED"
    );
    let (status, _) = raw
        .post("/api/2.1/clusters/start", json!({"cluster_id": id}))
        .await;
    assert_eq!(status, 200);
    let (status, err) = raw
        .post("/api/2.1/clusters/start", json!({"cluster_id": id}))
        .await;
    assert_eq!(status, 400, "a PENDING cluster cannot be started again");
    assert_eq!(
        err["message"],
        format!("Cluster {id} is in unexpected state Pending.")
    );
    assert_eq!(get_state(&raw).await, "RUNNING");

    // Pause and unpause a schedule with a partial update: the whole schedule block, the rest kept.
    let job = create_job(&raw, "hourly").await;
    for pause in ["UNPAUSED", "PAUSED"] {
        let (status, body) = raw
            .post(
                "/api/2.2/jobs/update",
                json!({"job_id": job, "new_settings": {"schedule": {
                    "quartz_cron_expression": "0 0 3 * * ?", "timezone_id": "UTC", "pause_status": pause}}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, got) = raw.get(&format!("/api/2.2/jobs/get?job_id={job}")).await;
        assert_eq!(got["settings"]["schedule"]["pause_status"], pause);
        assert_eq!(got["settings"]["name"], "hourly");
        assert_eq!(got["settings"]["tasks"][0]["task_key"], "main");
    }
    let (status, err) = raw
        .post(
            "/api/2.2/jobs/update",
            json!({"job_id": job, "new_settings": {"schedule": {"pause_status": "UNPAUSED"}}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        err["message"],
        "Missing required field: schedule.quartz_cron_expression"
    );
    // A paused job still runs with run-now.
    let run_id = run_now(&raw, "2.2", job).await;
    assert_eq!(states_until_over(&raw, "2.2", run_id).await.0.len(), 3);

    // A pool warmed up for failover and cooled down after.
    let (status, pool) = raw
        .post(
            "/api/2.0/instance-pools/create",
            json!({"instance_pool_name": "dr-pool", "node_type_id": "i3.xlarge", "min_idle_instances": 0}),
        )
        .await;
    assert_eq!(status, 200, "{pool}");
    let pool_id = pool["instance_pool_id"].as_str().unwrap();
    for idle in [4, 0] {
        let (status, body) = raw
            .post(
                "/api/2.0/instance-pools/edit",
                json!({"instance_pool_id": pool_id, "instance_pool_name": "dr-pool",
                       "node_type_id": "i3.xlarge", "min_idle_instances": idle}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, got) = raw
            .get(&format!(
                "/api/2.0/instance-pools/get?instance_pool_id={pool_id}"
            ))
            .await;
        assert_eq!(got["min_idle_instances"], idle);
        assert_eq!(got["stats"]["idle_count"], idle);
    }
}
