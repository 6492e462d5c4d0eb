//! One matching of HCL resources to DR objects, used by drift and by check (issue 14 item 6): with two
//! same-name jobs, drift and check's passive-posture check pair them the same way, so they cannot disagree.

use crate::common::{drsync, exported_files, git_init, start, write_dr_config, COMMIT_ENV};
use drsync_emulator::{EmulatorConfig, Fixtures, DEFAULT_TOKEN};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ENV: &[(&str, &str)] = &[
    ("PRIMARY_TOKEN", DEFAULT_TOKEN),
    ("DR_TOKEN", DEFAULT_TOKEN),
];

/// A job named `twin` with its own schedule.
fn twin(id: i64, created: i64, cron: &str, pause: &str) -> Value {
    json!({
        "job_id": id,
        "created_time": created,
        "creator_user_name": "emulator@example.com",
        "run_as_user_name": "emulator@example.com",
        "settings": {
            "name": "twin",
            "max_concurrent_runs": 1,
            "schedule": {"quartz_cron_expression": cron, "timezone_id": "UTC", "pause_status": pause},
            "tasks": [{
                "task_key": "main",
                "spark_python_task": {"python_file": "s3://acme-code/twin.py"},
                "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1}
            }]
        }
    })
}

/// The status of check `id` in check's JSON output.
fn status<'a>(json: &'a Value, id: &str) -> &'a Value {
    &crate::common::check_named(json, id)["status"]
}

/// Git has two jobs named `twin`: the older one PAUSED (`twin`), the newer one UNPAUSED (`twin_2`, it runs in DR
/// too: `pause = "off"`). DR runs exactly what Git says. Drift pairs each resource with its identical DR job:
/// no drift. The passive-posture check used to pair by name alone, so it judged the PAUSED resource against
/// both DR jobs and found the UNPAUSED one: NOT READY, where drift said DR matches Git.
#[tokio::test]
async fn drift_and_check_pair_same_name_jobs_alike() {
    let primary = start(EmulatorConfig {
        fixtures: Fixtures {
            jobs: vec![
                twin(101, 1_700_000_000_000, "0 0 1 * * ?", "PAUSED"),
                twin(102, 1_700_000_100_000, "0 0 2 * * ?", "UNPAUSED"),
            ],
            ..Fixtures::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let dr = start(EmulatorConfig {
        seed: 5,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_dr_config(
        dir.path(),
        primary.url(),
        dr.url(),
        "\n[client]\nrate_limit = 0\n",
    );
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let jobs_tf = std::fs::read_to_string(dir.path().join("terraform/generated/jobs.tf")).unwrap();
    assert!(
        jobs_tf.contains("resource \"databricks_job\" \"twin\"")
            && jobs_tf.contains("resource \"databricks_job\" \"twin_2\""),
        "{jobs_tf}"
    );
    let mut files = exported_files(dir.path());
    files.retain(|name, _| name.ends_with(".tf"));
    let config = drsync::tfconfig::load(&files, &[], &BTreeMap::new()).unwrap();
    // DR, as `terraform apply` makes it: newest first, so that DR's listing order is not Git's.
    let mut reversed = config.clone();
    reversed.resources.reverse();
    crate::provider::apply(&reversed, &crate::common::client(dr.url()))
        .await
        .unwrap();

    // Drift: each resource is its identical DR job; nothing differs.
    let run = drsync(dir.path(), &["drift", "--format", "json"], ENV).await;
    let report: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(report["findings"], json!([]), "{run:?}");
    assert_eq!(run.code, 0, "{run:?}");

    // Check: the same pairs, so the PAUSED resource is judged against the PAUSED job only.
    let run = drsync(
        dir.path(),
        &["check", "--format", "json", "--no-timings"],
        ENV,
    )
    .await;
    let json: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(status(&json, "drift"), "pass", "{json:#}");
    assert_eq!(status(&json, "passive"), "pass", "{json:#}");
    let passive = crate::common::check_named(&json, "passive");
    assert_eq!(
        passive["summary"],
        "schedules paused, pools as configured, clusters terminated"
    );
    assert_eq!(
        passive["evidence"][0],
        "1 paused schedules, triggers and continuous blocks in Git against 2 jobs in DR"
    );

    // And when DR really differs, both say so, about the same job: the PAUSED one's DR twin unpaused.
    let raw = crate::common::Raw::new(&dr);
    let (_, list) = raw.get("/api/2.2/jobs/list?name=twin").await;
    let mut paused_id = Value::Null;
    for j in list["jobs"].as_array().unwrap() {
        let (_, full) = raw
            .get(&format!("/api/2.1/jobs/get?job_id={}", j["job_id"]))
            .await;
        if full["settings"]["schedule"]["pause_status"] == "PAUSED" {
            paused_id = j["job_id"].clone();
        }
    }
    assert!(paused_id.is_i64(), "{list:#}");
    raw.update_job(
        &paused_id,
        json!({"schedule": {"quartz_cron_expression": "0 0 1 * * ?", "timezone_id": "UTC", "pause_status": "UNPAUSED"}}),
    )
    .await;
    let run = drsync(dir.path(), &["drift", "--format", "json"], ENV).await;
    assert_eq!(run.code, 2, "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    // Neither DR job is identical to `twin` any more: drift does not guess, it names both candidates.
    let twin = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == "twin")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(twin["kind"], "ambiguous", "{report:#}");
    assert_eq!(twin["live_ids"].as_array().unwrap().len(), 2, "{report:#}");
    let run = drsync(
        dir.path(),
        &["check", "--format", "json", "--no-timings"],
        ENV,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(status(&json, "drift"), "fail", "{json:#}");
    assert_eq!(status(&json, "passive"), "fail", "{json:#}");
}
