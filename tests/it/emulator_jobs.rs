//! The emulator's Jobs API over HTTP: list paging (token, offset, prev), order, filters and truncation; 2.2 get
//! array paging; create/reset/update/delete round trips with server defaults; errors, routes and auth.

use crate::common::empty_workspace;
use crate::common::{start_with, Raw};
use drsync_emulator::Fixtures;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Percent-encode a query value (page tokens are standard base64 and may hold `+`, `/` and `=`).
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Create a job with the 2.2 API, which must succeed; its id.
async fn create_job(raw: &Raw, settings: Value) -> i64 {
    let (status, r) = raw.post("/api/2.2/jobs/create", settings).await;
    assert_eq!(status, 200, "{r}");
    r["job_id"].as_i64().unwrap()
}

/// `jobs/get` of `id` (2.2), whatever the status.
async fn get_job(raw: &Raw, id: i64) -> Value {
    raw.get(&format!("/api/2.2/jobs/get?job_id={id}")).await.1
}

/// A stored `jobs/get` body as fixtures hold it.
fn fixture_job(id: i64, created: i64, name: &str) -> Value {
    json!({
        "job_id": id,
        "created_time": created,
        "creator_user_name": "owner@example.com",
        "run_as_user_name": "owner@example.com",
        "settings": {
            "name": name,
            "max_concurrent_runs": 1,
            "tasks": [{"task_key": "only", "notebook_task": {"notebook_path": "/Shared/x"}}],
            "job_clusters": [{"job_cluster_key": "c", "new_cluster": {"num_workers": 1}}]
        }
    })
}

/// 45 jobs; two share each creation time so that the id breaks ties.
fn forty_five() -> (Fixtures, Vec<i64>) {
    let jobs: Vec<Value> = (0..45)
        .map(|i| fixture_job(1000 + i, 1_700_000_000_000 + i / 2, &format!("job-{i}")))
        .collect();
    let mut keys: Vec<(i64, i64)> = (0..45)
        .map(|i| (1_700_000_000_000 + i / 2, 1000 + i))
        .collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    (
        Fixtures {
            jobs,
            ..Fixtures::default()
        },
        keys.into_iter().map(|(_, id)| id).collect(),
    )
}

fn ids(page: &Value) -> Vec<i64> {
    page.get("jobs")
        .and_then(Value::as_array)
        .map(|jobs| jobs.iter().map(|j| j["job_id"].as_i64().unwrap()).collect())
        .unwrap_or_default()
}

fn many_tasks(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "task_key": format!("task_{i:03}"),
                "notebook_task": {"notebook_path": format!("/Shared/t{i}")},
                "job_cluster_key": "shared"
            })
        })
        .collect()
}

#[tokio::test]
async fn list_pages_with_page_token_newest_first() {
    let (fixtures, expected) = forty_five();
    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &token {
            Some(t) => format!("/api/2.2/jobs/list?limit=10&page_token={}", enc(t)),
            None => "/api/2.2/jobs/list?limit=10".to_string(),
        };
        let (status, page) = raw.get(&q).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        if pages == 1 {
            assert!(page.get("prev_page_token").is_none(), "{page}");
        } else {
            assert!(page["prev_page_token"].is_string(), "{page}");
        }
        seen.extend(ids(&page));
        match page.get("next_page_token").and_then(Value::as_str) {
            Some(t) => {
                assert_eq!(page["has_more"], json!(true));
                token = Some(t.to_string());
            }
            None => {
                assert_eq!(page["has_more"], json!(false));
                break;
            }
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, expected);
    // The 2.1 path pages the same way; the default page is 20 jobs.
    let (_, first) = raw.get("/api/2.1/jobs/list").await;
    assert_eq!(ids(&first), expected[..20]);
}

#[tokio::test]
async fn list_pages_with_offset_and_token_wins_over_offset() {
    let (fixtures, expected) = forty_five();
    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);
    let mut seen = Vec::new();
    for offset in (0..).step_by(10) {
        let (status, page) = raw
            .get(&format!("/api/2.2/jobs/list?limit=10&offset={offset}"))
            .await;
        assert_eq!(status, 200);
        let got = ids(&page);
        if got.is_empty() {
            assert!(page.get("jobs").is_none(), "jobs must be absent: {page}");
            break;
        }
        seen.extend(got);
    }
    assert_eq!(seen, expected);
    // The SDK keeps sending the first call's offset along with page_token: the token decides.
    let (_, first) = raw.get("/api/2.2/jobs/list?limit=10&offset=10").await;
    let token = first["next_page_token"].as_str().unwrap();
    let (_, second) = raw
        .get(&format!(
            "/api/2.2/jobs/list?limit=10&offset=10&page_token={}",
            enc(token)
        ))
        .await;
    assert_eq!(ids(&second), expected[20..30]);
}

#[tokio::test]
async fn prev_page_token_goes_back() {
    let (fixtures, expected) = forty_five();
    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);
    let (_, third) = raw.get("/api/2.2/jobs/list?limit=10&offset=20").await;
    assert_eq!(ids(&third), expected[20..30]);
    let prev = third["prev_page_token"].as_str().unwrap();
    let (status, second) = raw
        .get(&format!(
            "/api/2.2/jobs/list?limit=10&page_token={}",
            enc(prev)
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&second), expected[10..20]);
    assert_eq!(second["has_more"], json!(true));
}

#[tokio::test]
async fn created_jobs_list_newest_first() {
    let (_emu, raw) = empty_workspace().await;
    let mut created = Vec::new();
    for i in 0..5 {
        let (status, r) = raw
            .post("/api/2.2/jobs/create", json!({"name": format!("j{i}")}))
            .await;
        assert_eq!(status, 200, "{r}");
        created.push(r["job_id"].as_i64().unwrap());
    }
    created.reverse();
    let (_, page) = raw.get("/api/2.2/jobs/list").await;
    assert_eq!(ids(&page), created);
    assert_eq!(page["has_more"], json!(false));
    assert!(page.get("next_page_token").is_none());
}

#[tokio::test]
async fn list_limits_and_bad_parameters() {
    let (fixtures, _) = forty_five();
    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);
    for q in [
        "limit=101",
        "limit=-1",
        "limit=abc",
        "offset=-5",
        "page_token=bm90LWEtdG9rZW4%3D",
        "expand_tasks=maybe",
    ] {
        let (status, body) = raw.get(&format!("/api/2.2/jobs/list?{q}")).await;
        assert_eq!(status, 400, "{q}: {body}");
        assert_eq!(body["error_code"], json!("INVALID_PARAMETER_VALUE"), "{q}");
    }
    let (_, page) = raw.get("/api/2.2/jobs/list?limit=0").await;
    assert_eq!(ids(&page).len(), 20);
    let (_, page) = raw.get("/api/2.2/jobs/list?limit=100").await;
    assert_eq!(ids(&page).len(), 45);
    assert_eq!(page["has_more"], json!(false));
}

#[tokio::test]
async fn name_filter_is_exact_and_case_insensitive() {
    let fixtures = Fixtures {
        jobs: vec![
            fixture_job(1, 10, "Nightly ETL"),
            fixture_job(2, 20, "nightly etl v2"),
            fixture_job(3, 30, "NIGHTLY ETL"),
        ],
        ..Fixtures::default()
    };
    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);
    let (status, page) = raw
        .get(&format!("/api/2.2/jobs/list?name={}", enc("nightly etl")))
        .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), vec![3, 1]);
    let (_, none) = raw.get("/api/2.2/jobs/list?name=nope").await;
    assert_eq!(none, json!({"has_more": false}));
}

#[tokio::test]
async fn expand_tasks_truncates_to_100_with_has_more() {
    let (_emu, raw) = empty_workspace().await;
    let big = create_job(
        &raw,
        json!({
            "name": "big",
            "job_clusters": [{"job_cluster_key": "shared", "new_cluster": {"num_workers": 2}}],
            "tasks": many_tasks(130)
        }),
    )
    .await;
    let small = create_job(&raw, json!({"name": "small", "tasks": [{"task_key": "a"}]})).await;

    let (_, page) = raw.get("/api/2.2/jobs/list?expand_tasks=true").await;
    let jobs = page["jobs"].as_array().unwrap();
    let by_id = |id: i64| jobs.iter().find(|j| j["job_id"] == json!(id)).unwrap();
    assert_eq!(by_id(big)["has_more"], json!(true));
    assert_eq!(
        by_id(big)["settings"]["tasks"].as_array().unwrap().len(),
        100
    );
    assert_eq!(
        by_id(big)["settings"]["tasks"][99]["task_key"],
        json!("task_099")
    );
    assert_eq!(
        by_id(big)["settings"]["job_clusters"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(by_id(big)["settings"]["format"], json!("MULTI_TASK"));
    // `list` items carry `run_as_user_name` too (issue databricks/databricks-sdk-py#967).
    assert_eq!(
        by_id(big)["run_as_user_name"],
        json!("emulator@example.com")
    );
    assert_eq!(by_id(small)["has_more"], json!(false));

    let (_, page) = raw.get("/api/2.2/jobs/list").await;
    for job in page["jobs"].as_array().unwrap() {
        assert!(job["settings"].get("tasks").is_none(), "{job}");
        assert!(job["settings"].get("job_clusters").is_none(), "{job}");
        assert!(job.get("has_more").is_none(), "{job}");
        assert!(job["settings"]["name"].is_string());
    }

    // 2.1 shows the arrays whole.
    let (_, page) = raw.get("/api/2.1/jobs/list?expand_tasks=true").await;
    let job = page["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job_id"] == json!(big))
        .unwrap();
    assert_eq!(job["settings"]["tasks"].as_array().unwrap().len(), 130);
}

#[tokio::test]
async fn get_2_2_pages_arrays_and_2_1_returns_all() {
    let (_emu, raw) = empty_workspace().await;
    let params: Vec<Value> = (0..105)
        .map(|i| json!({"name": format!("p{i}"), "default": "x"}))
        .collect();
    let id = create_job(
        &raw,
        json!({
            "name": "big",
            "job_clusters": [{"job_cluster_key": "shared", "new_cluster": {"num_workers": 2}}],
            "tasks": many_tasks(130),
            "parameters": params
        }),
    )
    .await;

    let (status, full) = raw.get(&format!("/api/2.1/jobs/get?job_id={id}")).await;
    assert_eq!(status, 200);
    assert_eq!(full["settings"]["tasks"].as_array().unwrap().len(), 130);
    assert_eq!(
        full["settings"]["parameters"].as_array().unwrap().len(),
        105
    );
    assert!(full.get("next_page_token").is_none());

    let first = get_job(&raw, id).await;
    assert_eq!(first["settings"]["tasks"].as_array().unwrap().len(), 100);
    assert_eq!(
        first["settings"]["parameters"].as_array().unwrap().len(),
        100
    );
    let token = first["next_page_token"].as_str().unwrap();
    let (status, second) = raw
        .get(&format!(
            "/api/2.2/jobs/get?job_id={id}&page_token={}",
            enc(token)
        ))
        .await;
    assert_eq!(status, 200, "{second}");
    assert!(second.get("next_page_token").is_none());
    assert_eq!(second["settings"]["name"], json!("big"));
    assert!(
        second["settings"].get("job_clusters").is_none(),
        "complete array repeated"
    );

    let mut reassembled = first.clone();
    for field in ["tasks", "parameters"] {
        let more = second["settings"][field].as_array().unwrap().clone();
        reassembled["settings"][field]
            .as_array_mut()
            .unwrap()
            .extend(more);
    }
    reassembled
        .as_object_mut()
        .unwrap()
        .remove("next_page_token");
    assert_eq!(reassembled, full);
}

#[tokio::test]
async fn create_fills_server_defaults_and_keeps_unknown_fields() {
    let (_emu, raw) = empty_workspace().await;
    let (status, r) = raw
        .post(
            "/api/2.2/jobs/create",
            json!({
                "name": "etl",
                "format": "SINGLE_TASK",
                "x_future_setting": {"nested": [1, 2, 3]},
                "access_control_list": [{"user_name": "a@b.c", "permission_level": "CAN_MANAGE"}],
                "tasks": [
                    {"task_key": "a", "notebook_task": {"notebook_path": "/a"}, "x_task_extra": true},
                    {"task_key": "b", "depends_on": [{"task_key": "a"}], "notebook_task": {"notebook_path": "/b"}}
                ]
            }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let id = r["job_id"].as_i64().unwrap();
    assert!(id > 100_000_000_000_000, "{id}");
    assert_eq!(r.as_object().unwrap().len(), 1);
    let job = get_job(&raw, id).await;
    assert_eq!(job["job_id"], json!(id));
    assert_eq!(job["creator_user_name"], json!("emulator@example.com"));
    assert_eq!(job["run_as_user_name"], json!("emulator@example.com"));
    assert!(job["created_time"].as_i64().unwrap() > 1_600_000_000_000);
    let s = &job["settings"];
    assert_eq!(s["format"], json!("MULTI_TASK"));
    assert_eq!(s["queue"], json!({"enabled": true}));
    assert_eq!(s["email_notifications"], json!({}));
    assert_eq!(s["webhook_notifications"], json!({}));
    assert_eq!(s["max_concurrent_runs"], json!(1));
    assert_eq!(s["timeout_seconds"], json!(0));
    assert_eq!(s["x_future_setting"], json!({"nested": [1, 2, 3]}));
    assert_eq!(s["tasks"][0]["x_task_extra"], json!(true));
    assert!(s["tasks"][0].get("run_if").is_none());
    assert_eq!(s["tasks"][1]["run_if"], json!("ALL_SUCCESS"));
    assert!(s.get("access_control_list").is_none());

    // 2.1 creates leave queueing off.
    let (_, r) = raw
        .post("/api/2.1/jobs/create", json!({"name": "old"}))
        .await;
    let (_, job) = raw
        .get(&format!("/api/2.1/jobs/get?job_id={}", r["job_id"]))
        .await;
    assert!(job["settings"].get("queue").is_none(), "{job}");
    assert_eq!(job["settings"]["format"], json!("MULTI_TASK"));
}

#[tokio::test]
async fn create_validates_tasks_and_bodies() {
    let (_emu, raw) = empty_workspace().await;
    for settings in [
        json!({"tasks": [{"notebook_task": {"notebook_path": "/a"}}]}),
        json!({"tasks": [{"task_key": "a"}, {"task_key": "a"}]}),
        json!({"tasks": [{"task_key": "a", "depends_on": [{"task_key": "ghost"}]}]}),
        json!({"tasks": [{"task_key": "a", "job_cluster_key": "ghost"}]}),
    ] {
        let (status, body) = raw.post("/api/2.2/jobs/create", settings.clone()).await;
        assert_eq!(status, 400, "{settings}: {body}");
        assert_eq!(
            body["error_code"],
            json!("INVALID_PARAMETER_VALUE"),
            "{settings}"
        );
    }
    let (_, page) = raw.get("/api/2.2/jobs/list").await;
    assert!(page.get("jobs").is_none(), "nothing was created: {page}");

    let resp = raw
        .http
        .post(format!("{}/api/2.2/jobs/create", raw.base))
        .bearer_auth(&raw.token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error_code"], json!("MALFORMED_REQUEST"));
}

#[tokio::test]
async fn reset_replaces_the_whole_settings() {
    let (_emu, raw) = empty_workspace().await;
    let id = create_job(
        &raw,
        json!({"name": "a", "tags": {"t": "1"}, "max_concurrent_runs": 4, "tasks": [{"task_key": "x"}]}),
    )
    .await;
    let before = get_job(&raw, id).await;
    let (status, r) = raw
        .post(
            "/api/2.2/jobs/reset",
            json!({"job_id": id, "new_settings": {"name": "b", "tasks": [{"task_key": "y"}]}}),
        )
        .await;
    assert_eq!((status, r), (200, json!({})));
    let after = get_job(&raw, id).await;
    let s = &after["settings"];
    assert_eq!(s["name"], json!("b"));
    assert!(s.get("tags").is_none());
    assert_eq!(s["max_concurrent_runs"], json!(1));
    assert_eq!(s["tasks"], json!([{"task_key": "y"}]));
    assert_eq!(s["format"], json!("MULTI_TASK"));
    assert_eq!(after["created_time"], before["created_time"]);
    assert_eq!(after["creator_user_name"], before["creator_user_name"]);

    let (status, body) = raw.post("/api/2.2/jobs/reset", json!({"job_id": id})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = raw
        .post(
            "/api/2.2/jobs/reset",
            json!({"job_id": 42, "new_settings": {}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], json!("Job 42 does not exist."));
}

#[tokio::test]
async fn update_merges_by_key_and_removes_fields() {
    let (_emu, raw) = empty_workspace().await;
    let id = create_job(
        &raw,
        json!({
            "name": "a",
            "tags": {"t": "1"},
            "description": "d",
            "job_clusters": [{"job_cluster_key": "c1", "new_cluster": {"num_workers": 1}},
                             {"job_cluster_key": "c2", "new_cluster": {"num_workers": 2}}],
            "tasks": [{"task_key": "x", "job_cluster_key": "c1", "max_retries": 1},
                      {"task_key": "y", "job_cluster_key": "c2"},
                      {"task_key": "z"}]
        }),
    )
    .await;
    let (status, r) = raw
        .post(
            "/api/2.2/jobs/update",
            json!({
                "job_id": id,
                "new_settings": {
                    "name": "renamed",
                    "tasks": [{"task_key": "x", "job_cluster_key": "c1"}, {"task_key": "w"}],
                    "job_clusters": [{"job_cluster_key": "c1", "new_cluster": {"num_workers": 8}}]
                },
                "fields_to_remove": ["tags", "tasks/y", "job_clusters/c2"]
            }),
        )
        .await;
    assert_eq!((status, r), (200, json!({})));
    let job = get_job(&raw, id).await;
    let s = &job["settings"];
    assert_eq!(s["name"], json!("renamed"));
    assert_eq!(s["description"], json!("d"));
    assert!(s.get("tags").is_none());
    assert_eq!(
        s["tasks"],
        json!([{"task_key": "x", "job_cluster_key": "c1"}, {"task_key": "z"}, {"task_key": "w"}])
    );
    assert_eq!(
        s["job_clusters"],
        json!([{"job_cluster_key": "c1", "new_cluster": {"num_workers": 8}}])
    );

    // An update that leaves a dangling reference is refused and changes nothing.
    let (status, _) = raw
        .post(
            "/api/2.2/jobs/update",
            json!({"job_id": id, "fields_to_remove": ["job_clusters"]}),
        )
        .await;
    assert_eq!(status, 400);
    let again = get_job(&raw, id).await;
    assert_eq!(again, job);

    let (status, body) = raw
        .post("/api/2.2/jobs/update", json!({"new_settings": {}}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], json!("INVALID_PARAMETER_VALUE"));
}

#[tokio::test]
async fn delete_and_missing_jobs() {
    let (_emu, raw) = empty_workspace().await;
    let id = create_job(&raw, json!({"name": "gone"})).await;
    let (status, r) = raw
        .post("/api/2.2/jobs/delete", json!({"job_id": id}))
        .await;
    assert_eq!((status, r), (200, json!({})));
    let (status, body) = raw.get(&format!("/api/2.2/jobs/get?job_id={id}")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error_code": "INVALID_PARAMETER_VALUE", "message": format!("Job {id} does not exist.")})
    );
    let (status, body) = raw
        .post("/api/2.1/jobs/delete", json!({"job_id": id}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], json!(format!("Job {id} does not exist.")));
    let (status, body) = raw.get("/api/2.1/jobs/get?job_id=123").await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], json!("Job 123 does not exist."));
    let (status, body) = raw.get("/api/2.2/jobs/get").await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], json!("INVALID_PARAMETER_VALUE"));
    let (status, body) = raw.post("/api/2.2/jobs/delete", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], json!("INVALID_PARAMETER_VALUE"));
}

#[tokio::test]
async fn routes_and_auth() {
    let emu = start_with(Fixtures::default()).await;
    let mut raw = Raw::new(&emu);
    let (status, body) = raw.get("/api/2.2/jobs/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["error_code"], json!("ENDPOINT_NOT_FOUND"));
    let (status, body) = raw.post("/api/2.2/jobs/list", json!({})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], json!("ENDPOINT_NOT_FOUND"));

    let resp = raw
        .http
        .get(format!("{}/api/2.2/jobs/list", raw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    raw.token = "dapi-wrong".to_string();
    let (status, body) = raw.get("/api/2.2/jobs/list").await;
    assert_eq!(status, 403);
    assert_eq!(body["error_code"], json!(403));
    assert!(body["error_code"].is_number());
}

#[tokio::test]
async fn ten_thousand_jobs_page_fully_and_hit_the_quota() {
    let jobs: Vec<Value> = (0..10_000)
        .map(|i| fixture_job(5_000 + i, 1_600_000_000_000 + i, &format!("bulk-{i}")))
        .collect();
    let emu = start_with(Fixtures {
        jobs,
        ..Fixtures::default()
    })
    .await;
    let raw = Raw::new(&emu);
    let started = std::time::Instant::now();
    let mut seen = HashSet::new();
    let mut last = i64::MAX;
    let mut q = "/api/2.2/jobs/list?limit=100&expand_tasks=true".to_string();
    loop {
        let (status, page) = raw.get(&q).await;
        assert_eq!(status, 200);
        for job in page["jobs"].as_array().unwrap() {
            let created = job["created_time"].as_i64().unwrap();
            assert!(created < last, "not newest first");
            last = created;
            assert!(seen.insert(job["job_id"].as_i64().unwrap()));
            assert_eq!(job["settings"]["tasks"].as_array().unwrap().len(), 1);
        }
        match page.get("next_page_token").and_then(Value::as_str) {
            Some(t) => {
                q = format!(
                    "/api/2.2/jobs/list?limit=100&expand_tasks=true&page_token={}",
                    enc(t)
                );
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 10_000);
    // 100 pages on a debug build: generous bound, it catches a quadratic list, not a slow machine.
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());

    let (status, body) = raw
        .post("/api/2.2/jobs/create", json!({"name": "one too many"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "error_code": "QUOTA_EXCEEDED",
            "message": "The quota for the number of jobs has been reached. The current quota is 10000."
        })
    );
}

/// `settings.run_as` is write-only: no read returns it, and `run_as_user_name` (on `get` and on `list` items)
/// follows what was last sent, falling back to the creator.
#[tokio::test]
async fn run_as_is_write_only_and_run_as_user_name_follows_it() {
    let (_emu, raw) = empty_workspace().await;
    let sp = "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab";
    let id = create_job(
        &raw,
        json!({"name": "etl", "run_as": {"user_name": "runner@example.com"},
               "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/a"}}]}),
    )
    .await;
    let plain = create_job(&raw, json!({"name": "plain"})).await;

    // Every read: `get` on both versions, `list` with and without `expand_tasks` on both versions.
    let reads = |id: i64| {
        let raw = Raw {
            base: raw.base.clone(),
            http: raw.http.clone(),
            token: raw.token.clone(),
        };
        async move {
            let mut out = Vec::new();
            for v in ["2.1", "2.2"] {
                let (status, job) = raw.get(&format!("/api/{v}/jobs/get?job_id={id}")).await;
                assert_eq!(status, 200, "{job}");
                out.push((format!("{v} get"), job));
                for expand in [false, true] {
                    let (_, page) = raw
                        .get(&format!("/api/{v}/jobs/list?expand_tasks={expand}"))
                        .await;
                    let item = page["jobs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|j| j["job_id"] == json!(id))
                        .cloned()
                        .unwrap();
                    out.push((format!("{v} list expand={expand}"), item));
                }
            }
            out
        }
    };
    let check = |reads: Vec<(String, Value)>, want: &str| {
        for (what, job) in reads {
            assert!(job["settings"].get("run_as").is_none(), "{what}: {job}");
            assert_eq!(job["run_as_user_name"], json!(want), "{what}: {job}");
        }
    };
    check(reads(id).await, "runner@example.com");
    // No run_as: the creator.
    check(reads(plain).await, "emulator@example.com");

    // Reset to a service principal: its application id.
    let (status, _) = raw
        .post(
            "/api/2.2/jobs/reset",
            json!({"job_id": id, "new_settings": {"name": "etl", "run_as": {"service_principal_name": sp}}}),
        )
        .await;
    assert_eq!(status, 200);
    check(reads(id).await, sp);
    // An update that does not name run_as keeps the stored one.
    let (status, _) = raw
        .post(
            "/api/2.2/jobs/update",
            json!({"job_id": id, "new_settings": {"description": "d"}}),
        )
        .await;
    assert_eq!(status, 200);
    check(reads(id).await, sp);
    // Removing it falls back to the creator; so does a reset without it.
    let (status, _) = raw
        .post(
            "/api/2.2/jobs/update",
            json!({"job_id": id, "fields_to_remove": ["run_as"]}),
        )
        .await;
    assert_eq!(status, 200);
    check(reads(id).await, "emulator@example.com");
    raw.post(
        "/api/2.2/jobs/reset",
        json!({"job_id": id, "new_settings": {"name": "etl", "run_as": {"user_name": "x@example.com"}}}),
    )
    .await;
    check(reads(id).await, "x@example.com");
    raw.post(
        "/api/2.1/jobs/reset",
        json!({"job_id": id, "new_settings": {"name": "etl"}}),
    )
    .await;
    check(reads(id).await, "emulator@example.com");

    // A fixture job that holds `settings.run_as` but no `run_as_user_name` reads as the service would show it.
    let fixture = json!({
        "job_id": 77, "created_time": 1_700_000_000_000i64, "creator_user_name": "owner@example.com",
        "settings": {"name": "from-fixture", "run_as": {"service_principal_name": sp}}
    });
    let emu = start_with(Fixtures {
        jobs: vec![fixture],
        ..Fixtures::default()
    })
    .await;
    let raw = Raw::new(&emu);
    let (_, job) = raw.get("/api/2.2/jobs/get?job_id=77").await;
    assert!(job["settings"].get("run_as").is_none(), "{job}");
    assert_eq!(job["run_as_user_name"], json!(sp));
    let (_, page) = raw.get("/api/2.2/jobs/list").await;
    assert_eq!(page["jobs"][0]["run_as_user_name"], json!(sp));
}

/// Jobs deployed by Asset Bundles: `deployment` and `edit_mode` are stored and returned as sent, and never
/// invented for other jobs.
#[tokio::test]
async fn bundle_deployment_and_edit_mode_are_kept_as_sent() {
    let (_emu, raw) = empty_workspace().await;
    let deployment = json!({
        "kind": "BUNDLE",
        "metadata_file_path": "/Workspace/Users/dev@example.com/.bundle/etl/prod/state/metadata.json"
    });
    let id = create_job(
        &raw,
        json!({"name": "bundled", "deployment": deployment, "edit_mode": "UI_LOCKED",
               "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/a"}}]}),
    )
    .await;
    let by_hand = create_job(&raw, json!({"name": "by-hand"})).await;

    for v in ["2.1", "2.2"] {
        let (_, job) = raw.get(&format!("/api/{v}/jobs/get?job_id={id}")).await;
        assert_eq!(job["settings"]["deployment"], deployment, "{v}");
        assert_eq!(job["settings"]["edit_mode"], json!("UI_LOCKED"), "{v}");
        let (_, page) = raw.get(&format!("/api/{v}/jobs/list")).await;
        let items = page["jobs"].as_array().unwrap();
        let item = items.iter().find(|j| j["job_id"] == json!(id)).unwrap();
        assert_eq!(item["settings"]["deployment"], deployment, "{v}");
        assert_eq!(item["settings"]["edit_mode"], json!("UI_LOCKED"), "{v}");
        let other = items
            .iter()
            .find(|j| j["job_id"] == json!(by_hand))
            .unwrap();
        assert!(other["settings"].get("deployment").is_none(), "{other}");
        assert!(other["settings"].get("edit_mode").is_none(), "{other}");
    }
    // An update of something else keeps them; a reset without them drops them.
    raw.post(
        "/api/2.2/jobs/update",
        json!({"job_id": id, "new_settings": {"description": "d"}}),
    )
    .await;
    let job = get_job(&raw, id).await;
    assert_eq!(job["settings"]["deployment"], deployment);
    assert_eq!(job["settings"]["edit_mode"], json!("UI_LOCKED"));
    raw.post(
        "/api/2.2/jobs/reset",
        json!({"job_id": id, "new_settings": {"name": "bundled"}}),
    )
    .await;
    let job = get_job(&raw, id).await;
    assert!(job["settings"].get("deployment").is_none(), "{job}");
    assert!(job["settings"].get("edit_mode").is_none(), "{job}");
}

/// Queueing: 2.2 create and reset turn it on when `queue` is absent, 2.1 leaves it off, an explicit value
/// (including `false`, which the provider sends) is kept.
#[tokio::test]
async fn queue_default_follows_the_api_version() {
    let (_emu, raw) = empty_workspace().await;
    let queue_of = |job: &Value| job["settings"].get("queue").cloned();
    let mut ids = Vec::new();
    for (v, body, want) in [
        ("2.2", json!({"name": "a"}), Some(json!({"enabled": true}))),
        ("2.1", json!({"name": "b"}), None),
        (
            "2.2",
            json!({"name": "c", "queue": {"enabled": false}}),
            Some(json!({"enabled": false})),
        ),
    ] {
        let (_, r) = raw.post(&format!("/api/{v}/jobs/create"), body).await;
        let id = r["job_id"].as_i64().unwrap();
        assert_eq!(queue_of(&get_job(&raw, id).await), want, "created with {v}");
        ids.push(id);
    }
    // Reset: 2.2 fills it again (the job 2.1 created), 2.1 does not (the job 2.2 created).
    for (v, id, name, want) in [
        ("2.2", ids[1], "b", Some(json!({"enabled": true}))),
        ("2.1", ids[0], "a", None),
    ] {
        raw.post(
            &format!("/api/{v}/jobs/reset"),
            json!({"job_id": id, "new_settings": {"name": name}}),
        )
        .await;
        assert_eq!(queue_of(&get_job(&raw, id).await), want, "reset with {v}");
    }
}

/// Cluster specs inside job settings are stored exactly as sent: no zone resolution, no invented
/// auto-termination or access mode (those are for all-purpose clusters, and only for what the API fills).
#[tokio::test]
async fn job_cluster_specs_are_stored_as_sent() {
    let (_emu, raw) = empty_workspace().await;
    let new_cluster = json!({
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "num_workers": 2,
        "aws_attributes": {"zone_id": "auto", "availability": "SPOT"}
    });
    let (status, r) = raw
        .post(
            "/api/2.2/jobs/create",
            json!({"name": "j",
                   "job_clusters": [{"job_cluster_key": "c", "new_cluster": new_cluster}],
                   "tasks": [{"task_key": "a", "job_cluster_key": "c", "notebook_task": {"notebook_path": "/a"}},
                             {"task_key": "b", "new_cluster": new_cluster, "notebook_task": {"notebook_path": "/b"}}]}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let (_, job) = raw
        .get(&format!("/api/2.2/jobs/get?job_id={}", r["job_id"]))
        .await;
    assert_eq!(
        job["settings"]["job_clusters"][0]["new_cluster"],
        new_cluster
    );
    assert_eq!(job["settings"]["tasks"][1]["new_cluster"], new_cluster);
}

/// Jobs API 2.0 `get` (what the provider 1.99.0 imports a job through, provider-behaviour.md §2.1) answers with
/// the 2.1 document, and only `get` is on 2.0.
#[tokio::test]
async fn jobs_2_0_get_answers_as_2_1() {
    let (_emu, raw) = empty_workspace().await;
    let id = create_job(
        &raw,
        json!({"name": "legacy read", "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/x"}}]}),
    )
    .await;
    let (status, v20) = raw.get(&format!("/api/2.0/jobs/get?job_id={id}")).await;
    assert_eq!(status, 200, "{v20}");
    let (_, v21) = raw.get(&format!("/api/2.1/jobs/get?job_id={id}")).await;
    assert_eq!(v20, v21);
    assert_eq!(v20["settings"]["format"], "MULTI_TASK");
    let (status, _) = raw.get("/api/2.0/jobs/get?job_id=999999").await;
    assert_eq!(status, 400);
    let (status, body) = raw.get("/api/2.0/jobs/list").await;
    assert_eq!(status, 404, "{body}");
}
