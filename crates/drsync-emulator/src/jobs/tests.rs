//! Unit tests of the Jobs API: settings defaults, run_as, list paging and order, reset and update.

use super::*;
use crate::catalog::Cloud;
use crate::fixtures::Fixtures;

fn value(body: Obj<'_>) -> Value {
    serde_json::to_value(&body).unwrap()
}

fn keys_of(n: i64) -> Vec<Key> {
    // Two jobs share each creation time, so the id breaks ties.
    (0..n).map(|i| (1_000 + i / 2, 500 + i)).collect()
}

fn desc(mut k: Vec<Key>) -> Vec<Key> {
    k.sort_unstable_by(|a, b| b.cmp(a));
    k
}

#[test]
fn cursor_round_trips_and_refuses_garbage() {
    for c in [
        Cursor::After((17, 4)),
        Cursor::Before((-1, 948_583_744_237_091)),
    ] {
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
    }
    assert_eq!(Cursor::decode("not base64!"), None);
    let other = base64::engine::general_purpose::STANDARD.encode("x:1:2");
    assert_eq!(Cursor::decode(&other), None);
    assert_eq!(Cursor::decode(&encode_get_token(1, 1)), None);
    assert_eq!(decode_get_token(&encode_get_token(5, 3), 5), Some(3));
    assert_eq!(decode_get_token(&encode_get_token(5, 3), 6), None);
}

#[test]
fn offset_pages_are_the_sorted_slice() {
    let sorted = desc(keys_of(37));
    for (from, limit) in [
        (0, 10),
        (10, 10),
        (30, 10),
        (0, 37),
        (36, 1),
        (37, 3),
        (5, 0),
    ] {
        let to = from + limit;
        let want: Vec<Key> = sorted
            .get(from.min(37)..to.min(37))
            .unwrap_or_default()
            .to_vec();
        let page = select_page(&sorted, Start::Offset(from), limit);
        assert_eq!(page.keys, want, "{from}..{to}");
    }
}

#[test]
fn pages_by_cursor_cover_everything_once_and_go_back() {
    let keys = desc(keys_of(45));
    let mut seen = Vec::new();
    let mut start = Start::Offset(0);
    let mut pages = Vec::new();
    loop {
        let page = select_page(&keys, start, 10);
        seen.extend(page.keys.iter().copied());
        pages.push(page.keys.clone());
        match page.next {
            Some(c) => {
                assert!(page.has_more);
                start = Start::At(c);
            }
            None => {
                assert!(!page.has_more);
                break;
            }
        }
    }
    assert_eq!(seen, keys);
    assert_eq!(pages.len(), 5);
    // From the third page, prev goes back to the second.
    let third = select_page(&keys, Start::At(Cursor::After(pages[1][9])), 10);
    let back = select_page(&keys, Start::At(third.prev.unwrap()), 10);
    assert_eq!(back.keys, pages[1]);
    assert!(back.has_more);
    // Back from the second page: the first, without a prev token of its own.
    let first = select_page(&keys, Start::At(back.prev.unwrap()), 10);
    assert_eq!(first.keys, pages[0]);
    assert_eq!(first.prev, None);
    // Cursors between or beyond the keys.
    let after_all = select_page(&keys, Start::At(Cursor::After((0, 0))), 10);
    assert!(after_all.keys.is_empty() && !after_all.has_more && after_all.prev.is_none());
    let before_all = select_page(&keys, Start::At(Cursor::Before((i64::MAX, 0))), 10);
    assert!(before_all.keys.is_empty() && !before_all.has_more && before_all.next.is_none());
    // The first page has no prev token.
    assert_eq!(select_page(&keys, Start::Offset(0), 10).prev, None);
}

#[test]
fn pages_by_offset() {
    let sorted = desc(keys_of(25));
    let p = select_page(&sorted, Start::Offset(20), 10);
    assert_eq!(p.keys, sorted[20..]);
    assert!(!p.has_more && p.next.is_none());
    assert_eq!(p.prev, Some(Cursor::Before(sorted[20])));
    let p = select_page(&sorted, Start::Offset(10), 10);
    assert_eq!(p.next, Some(Cursor::After(sorted[19])));
    assert!(select_page(&sorted, Start::Offset(99), 10).keys.is_empty());
    assert!(
        select_page(&[], Start::Offset(0), 10)
            == Page {
                keys: Vec::new(),
                has_more: false,
                next: None,
                prev: None
            }
    );
}

fn big_job(tasks: usize, clusters: usize) -> Value {
    let tasks: Vec<Value> = (0..tasks)
        .map(|i| json!({"task_key": format!("t{i:03}"), "notebook_task": {"notebook_path": "/x"}}))
        .collect();
    let clusters: Vec<Value> = (0..clusters)
        .map(|i| json!({"job_cluster_key": format!("c{i:03}"), "new_cluster": {"num_workers": 1}}))
        .collect();
    json!({
        "job_id": 7, "created_time": 1, "creator_user_name": "a@b.c", "run_as_user_name": "a@b.c",
        "settings": {"name": "big", "tasks": tasks, "job_clusters": clusters, "x_unknown": {"keep": true}}
    })
}

#[test]
fn base_job_truncates_in_2_2_only_and_hides_arrays_without_expand() {
    let job = big_job(130, 3);
    let b = value(base_job(&job, true, Version::V2_2));
    assert_eq!(b["has_more"], json!(true));
    assert_eq!(b["settings"]["tasks"].as_array().unwrap().len(), 100);
    assert_eq!(b["settings"]["job_clusters"].as_array().unwrap().len(), 3);
    assert_eq!(b["settings"]["format"], json!("MULTI_TASK"));
    assert_eq!(b["settings"]["x_unknown"], json!({"keep": true}));
    assert_eq!(b["run_as_user_name"], json!("a@b.c"));
    let b = value(base_job(&job, true, Version::V2_1));
    assert_eq!(b["settings"]["tasks"].as_array().unwrap().len(), 130);
    assert!(b.get("has_more").is_none());
    let b = value(base_job(&job, false, Version::V2_2));
    assert!(b["settings"].get("tasks").is_none());
    assert!(b["settings"].get("job_clusters").is_none());
    assert!(b.get("has_more").is_none());
    assert_eq!(
        value(base_job(&big_job(2, 0), true, Version::V2_2))["has_more"],
        json!(false)
    );
}

#[test]
fn get_pages_reassemble_every_array() {
    let job = big_job(250, 120);
    let mut tasks = Vec::new();
    let mut clusters = Vec::new();
    let mut page = 0;
    loop {
        let p = value(job_page(&job, 7, page));
        assert_eq!(p["settings"]["name"], json!("big"));
        tasks.extend(
            p["settings"]["tasks"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        clusters.extend(
            p["settings"]["job_clusters"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        match p.get("next_page_token").and_then(Value::as_str) {
            Some(t) => page = decode_get_token(t, 7).unwrap(),
            None => break,
        }
    }
    assert_eq!(page, 2);
    assert_eq!(Value::Array(tasks), job["settings"]["tasks"]);
    assert_eq!(Value::Array(clusters), job["settings"]["job_clusters"]);
    // The last page leaves out the finished `job_clusters`.
    assert!(value(job_page(&job, 7, 2))["settings"]
        .get("job_clusters")
        .is_none());
    assert!(value(job_page(&big_job(3, 0), 7, 0))
        .get("next_page_token")
        .is_none());
}

#[test]
fn merge_by_key_replaces_whole_and_appends() {
    let mut old = vec![
        json!({"task_key": "a", "x": 1, "y": 1}),
        json!({"task_key": "b", "x": 1}),
    ];
    merge_by_key(
        &mut old,
        vec![json!({"task_key": "a", "x": 2}), json!({"task_key": "c"})],
        "task_key",
    );
    assert_eq!(
        old,
        vec![
            json!({"task_key": "a", "x": 2}),
            json!({"task_key": "b", "x": 1}),
            json!({"task_key": "c"})
        ]
    );
}

#[test]
fn update_rules() {
    let mut s = json!({
        "name": "n", "tags": {"a": "1"}, "timeout_seconds": 5,
        "tasks": [{"task_key": "a"}, {"task_key": "b"}],
        "job_clusters": [{"job_cluster_key": "c1"}, {"job_cluster_key": "c2"}]
    })
    .as_object()
    .cloned()
    .unwrap();
    remove_fields(
        &mut s,
        &[
            "tags".into(),
            "tasks/b".into(),
            "job_clusters/c1".into(),
            "nope".into(),
            "tasks/zz".into(),
        ],
    );
    merge_settings(
        &mut s,
        json!({"name": "m", "format": "SINGLE_TASK", "tasks": [{"task_key": "z"}]})
            .as_object()
            .cloned()
            .unwrap(),
    );
    assert_eq!(
        Value::Object(s),
        json!({
            "name": "m", "timeout_seconds": 5,
            "tasks": [{"task_key": "a"}, {"task_key": "z"}],
            "job_clusters": [{"job_cluster_key": "c2"}]
        })
    );
}

fn settings(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn validation() {
    let ok = settings(json!({
        "job_clusters": [{"job_cluster_key": "c"}],
        "tasks": [{"task_key": "a", "job_cluster_key": "c"}, {"task_key": "b", "depends_on": [{"task_key": "a"}]}]
    }));
    assert!(validate(&ok).is_ok());
    for bad in [
        json!({"tasks": [{"notebook_task": {}}]}),
        json!({"tasks": [{"task_key": "a"}, {"task_key": "a"}]}),
        json!({"tasks": [{"task_key": "a", "depends_on": [{"task_key": "b"}]}]}),
        json!({"tasks": [{"task_key": "a", "job_cluster_key": "c"}]}),
        json!({"job_clusters": [{"new_cluster": {}}]}),
    ] {
        let e = validate(&settings(bad.clone())).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(e.error_code, json!("INVALID_PARAMETER_VALUE"), "{bad}");
    }
    let e = validate(&settings(json!({"tasks": {"a": 1}}))).unwrap_err();
    assert_eq!(e.error_code, json!("MALFORMED_REQUEST"));
}

/// A workspace with one scheduled job, one with a periodic trigger and one continuous job (ids 1, 2, 3).
fn paused_jobs() -> Workspace {
    let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 3);
    for (id, trigger) in [
        (
            1,
            json!({"schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC",
                                "pause_status": "UNPAUSED"}}),
        ),
        (
            2,
            json!({"trigger": {"periodic": {"interval": 1, "unit": "HOURS"}, "pause_status": "UNPAUSED"}}),
        ),
        (3, json!({"continuous": {"pause_status": "UNPAUSED"}})),
    ] {
        let mut s = settings(json!({"name": format!("job-{id}"), "tags": {"dr": "1"},
                                    "tasks": [{"task_key": "a"}]}));
        s.extend(settings(trigger));
        ws.jobs
            .insert(id, json!({"job_id": id, "created_time": id, "settings": s}));
    }
    ws
}

fn update_with(ws: &mut Workspace, id: i64, new_settings: Value) -> Result<Value, ApiError> {
    update(
        ws,
        settings(json!({"job_id": id, "new_settings": new_settings})),
    )
}

#[test]
fn update_pauses_schedules_triggers_and_continuous_jobs_keeping_the_rest() {
    let mut ws = paused_jobs();
    update_with(
        &mut ws,
        1,
        json!({"schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC",
                            "pause_status": "PAUSED"}}),
    )
    .unwrap();
    update_with(
        &mut ws,
        2,
        json!({"trigger": {"periodic": {"interval": 1, "unit": "HOURS"}, "pause_status": "PAUSED"}}),
    )
    .unwrap();
    update_with(
        &mut ws,
        3,
        json!({"continuous": {"pause_status": "PAUSED"}}),
    )
    .unwrap();
    for (id, block) in [(1, "schedule"), (2, "trigger"), (3, "continuous")] {
        let s = &ws.jobs[&id]["settings"];
        assert_eq!(s[block]["pause_status"], "PAUSED", "{block}");
        assert_eq!(s["name"], format!("job-{id}"), "{block}: the rest is kept");
        assert_eq!(s["tags"], json!({"dr": "1"}), "{block}");
        assert_eq!(s["tasks"], json!([{"task_key": "a"}]), "{block}");
    }
    assert_eq!(
        ws.jobs[&1]["settings"]["schedule"]["quartz_cron_expression"],
        "0 0 2 * * ?"
    );
    assert_eq!(
        ws.jobs[&2]["settings"]["trigger"]["periodic"]["unit"],
        "HOURS"
    );
    // And back.
    update_with(
        &mut ws,
        3,
        json!({"continuous": {"pause_status": "UNPAUSED"}}),
    )
    .unwrap();
    assert_eq!(
        ws.jobs[&3]["settings"]["continuous"]["pause_status"],
        "UNPAUSED"
    );
}

#[test]
fn update_replaces_a_nested_block_whole() {
    let mut ws = paused_jobs();
    // A schedule without its cron expression or time zone is refused, and nothing changes.
    for partial in [
        json!({"schedule": {"pause_status": "PAUSED"}}),
        json!({"schedule": {"quartz_cron_expression": "0 0 2 * * ?", "pause_status": "PAUSED"}}),
    ] {
        let e = update_with(&mut ws, 1, partial.clone()).unwrap_err();
        assert_eq!(e.error_code, json!("INVALID_PARAMETER_VALUE"), "{partial}");
        assert!(
            e.message.starts_with("Missing required field: schedule."),
            "{}",
            e.message
        );
        assert_eq!(
            ws.jobs[&1]["settings"]["schedule"]["pause_status"],
            "UNPAUSED"
        );
    }
    // A trigger sent with only its pause status replaces the whole trigger: its periodic block is gone (SDK
    // `jobs.update`: "Partially updating nested fields is not supported").
    update_with(&mut ws, 2, json!({"trigger": {"pause_status": "PAUSED"}})).unwrap();
    assert_eq!(
        ws.jobs[&2]["settings"]["trigger"],
        json!({"pause_status": "PAUSED"})
    );
    // The same checks on create and reset.
    let e = validate(&settings(json!({"schedule": {"timezone_id": "UTC"}}))).unwrap_err();
    assert_eq!(
        e.message,
        "Missing required field: schedule.quartz_cron_expression"
    );
}

#[test]
fn defaults() {
    let mut s = settings(json!({
        "format": "SINGLE_TASK", "max_concurrent_runs": 3,
        "tasks": [{"task_key": "a"}, {"task_key": "b", "depends_on": [{"task_key": "a"}]},
                  {"task_key": "c", "depends_on": [{"task_key": "a"}], "run_if": "ALL_DONE"}]
    }));
    apply_defaults(&mut s, true);
    assert_eq!(
        Value::Object(s.clone()),
        json!({
            "format": "MULTI_TASK", "name": "Untitled", "max_concurrent_runs": 3, "timeout_seconds": 0,
            "email_notifications": {}, "webhook_notifications": {}, "queue": {"enabled": true},
            "tasks": [{"task_key": "a"}, {"task_key": "b", "depends_on": [{"task_key": "a"}], "run_if": "ALL_SUCCESS"},
                      {"task_key": "c", "depends_on": [{"task_key": "a"}], "run_if": "ALL_DONE"}]
        })
    );
    let mut s = settings(json!({}));
    apply_defaults(&mut s, false);
    assert!(s.get("queue").is_none());
}

#[test]
fn create_fills_and_list_filters_by_name() {
    let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 3);
    let r = create(
        &mut ws,
        Version::V2_1,
        "me@x.y",
        settings(json!({"name": "Nightly ETL", "run_as": {"service_principal_name": "sp-1"}})),
    )
    .unwrap();
    let id = r["job_id"].as_i64().unwrap();
    let job = &ws.jobs[&id];
    assert_eq!(job["run_as_user_name"], json!("sp-1"));
    assert_eq!(job["creator_user_name"], json!("me@x.y"));
    assert!(job["settings"].get("queue").is_none());
    create(
        &mut ws,
        Version::V2_2,
        "me@x.y",
        settings(json!({"name": "other"})),
    )
    .unwrap();
    let q = Query::parse(Some("name=nightly%20etl"));
    let page = value(list(&ws, Version::V2_2, &q).unwrap());
    assert_eq!(page["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(page["jobs"][0]["job_id"], json!(id));
    let none = value(list(&ws, Version::V2_2, &Query::parse(Some("name=zzz"))).unwrap());
    assert_eq!(none, json!({"has_more": false}));
}

#[test]
fn run_as_is_never_shown_and_run_as_user_name_always_is() {
    let sp = "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab";
    // A fixture job (no stored `run_as_user_name`) whose settings hold a `run_as`.
    let job = json!({"job_id": 1, "creator_user_name": "c@x.y",
                     "settings": {"name": "n", "run_as": {"service_principal_name": sp}}});
    let stored_name = json!({"job_id": 1, "creator_user_name": "c@x.y", "run_as_user_name": "r@x.y",
                             "settings": {"name": "n", "run_as": {"user_name": "r@x.y"}}});
    let bare = json!({"job_id": 1, "creator_user_name": "c@x.y", "settings": {"name": "n"}});
    for (job, want) in [(&job, sp), (&stored_name, "r@x.y"), (&bare, "c@x.y")] {
        for body in [
            value(base_job(job, false, Version::V2_2)),
            value(base_job(job, true, Version::V2_1)),
            value(job_page(job, 1, 0)),
        ] {
            assert!(body["settings"].get("run_as").is_none(), "{body}");
            assert_eq!(body["run_as_user_name"], json!(want), "{body}");
        }
    }
    let group = settings(json!({"run_as": {"group_name": "etl-runners"}}));
    assert_eq!(run_as_user_name(&group, "o"), "etl-runners");
    assert_eq!(run_as_user_name(&settings(json!({"run_as": {}})), "o"), "o");
}

#[test]
fn creation_times_strictly_increase() {
    let a = creation_time();
    let b = creation_time();
    assert!(b > a);
}
