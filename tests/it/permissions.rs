//! Permissions end to end: the emulator's Permissions API (GET/PUT/PATCH per object type, levels, principals,
//! owners, deletion), what the export writes for the fixture primary, and drift of grants in DR (matched through
//! their object's pair, compared as sets, findings naming the principal).

use crate::common::{read_all, start_fixture_primary, Raw};
use drsync::drift::{self, FindingKind, Source};
use drsync::model::ResourceKind;
use drsync_emulator::{Emulator, DEFAULT_TOKEN};
use serde_json::{json, Value};

/// `METHOD /api/2.0/permissions{object}` with a JSON body.
async fn send(emu: &Emulator, method: reqwest::Method, object: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .request(method, format!("{}/api/2.0/permissions{object}", emu.url()))
        .bearer_auth(DEFAULT_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get(emu: &Emulator, object: &str) -> (u16, Value) {
    Raw::new(emu)
        .get(&format!("/api/2.0/permissions{object}"))
        .await
}

/// `(principal, level, inherited)` of every permission in an `ObjectPermissions` body.
fn grants(body: &Value) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for e in body["access_control_list"].as_array().unwrap() {
        let who = ["user_name", "group_name", "service_principal_name"]
            .iter()
            .find_map(|k| e[*k].as_str())
            .unwrap()
            .to_string();
        for p in e["all_permissions"].as_array().unwrap() {
            out.push((
                who.clone(),
                p["permission_level"].as_str().unwrap().to_string(),
                p["inherited"].as_bool().unwrap(),
            ));
        }
    }
    out
}

fn g(who: &str, level: &str, inherited: bool) -> (String, String, bool) {
    (who.to_string(), level.to_string(), inherited)
}

#[tokio::test]
async fn the_emulator_answers_the_permissions_api() {
    let emu = start_fixture_primary().await;
    // A fixture ACL, with the admins' grant inherited from the jobs root.
    let (status, body) = get(&emu, "/jobs/948583744237091").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object_id"], "/jobs/948583744237091");
    assert_eq!(body["object_type"], "job");
    let admins = body["access_control_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["group_name"] == "admins")
        .unwrap();
    assert_eq!(
        admins["all_permissions"][0],
        json!({"permission_level": "CAN_MANAGE", "inherited": true, "inherited_from_object": ["/jobs/"]})
    );
    assert!(grants(&body).contains(&g("data-engineers", "CAN_MANAGE_RUN", false)));
    // No fixture ACL: the creator owns a job and manages a cluster; a policy has nothing direct.
    let (_, body) = get(&emu, "/jobs/338102274556120").await;
    assert_eq!(
        grants(&body),
        [
            g("alice.martin@example.com", "IS_OWNER", false),
            g("admins", "CAN_MANAGE", true)
        ]
    );
    let (_, body) = get(&emu, "/clusters/1002-081530-xq7bd2mn").await;
    assert_eq!(body["object_type"], "cluster");
    assert_eq!(
        grants(&body)[0],
        g("bob.chen@example.com", "CAN_MANAGE", false)
    );
    let (_, body) = get(&emu, "/cluster-policies/7B3E9F1A2C4D5E60").await;
    assert_eq!(body["object_type"], "cluster-policy");
    assert_eq!(grants(&body), [g("admins", "CAN_USE", true)]);

    // PUT replaces the direct grants and keeps the owner; e-mails are kept lowercased.
    let job = "/jobs/338102274556120";
    let (status, body) = send(
        &emu,
        reqwest::Method::PUT,
        job,
        json!({"access_control_list": [
            {"group_name": "analysts", "permission_level": "CAN_VIEW"},
            {"user_name": "Bob.Chen@Example.com", "permission_level": "CAN_MANAGE_RUN"}
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = get(&emu, job).await;
    assert_eq!(
        grants(&body),
        [
            g("alice.martin@example.com", "IS_OWNER", false),
            g("analysts", "CAN_VIEW", false),
            g("bob.chen@example.com", "CAN_MANAGE_RUN", false),
            g("admins", "CAN_MANAGE", true)
        ]
    );
    // PATCH changes one and adds another; a new owner replaces the old one.
    let (status, _) = send(
        &emu,
        reqwest::Method::PATCH,
        job,
        json!({"access_control_list": [
            {"group_name": "analysts", "permission_level": "CAN_MANAGE_RUN"},
            {"service_principal_name": "9d7a3c21-5e4b-4f6a-8b1c-2d3e4f5a6b7c", "permission_level": "IS_OWNER"}
        ]}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, body) = get(&emu, job).await;
    assert_eq!(
        grants(&body),
        [
            g("bob.chen@example.com", "CAN_MANAGE_RUN", false),
            g("analysts", "CAN_MANAGE_RUN", false),
            g("9d7a3c21-5e4b-4f6a-8b1c-2d3e4f5a6b7c", "IS_OWNER", false),
            g("admins", "CAN_MANAGE", true)
        ]
    );

    // Errors: an unknown principal, a level of another type, a group as owner, two owners, no such object.
    let put = |body: Value| send(&emu, reqwest::Method::PUT, job, body);
    let (status, body) = put(json!({"access_control_list": [
        {"user_name": "nobody@example.com", "permission_level": "CAN_VIEW"}
    ]}))
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");
    assert_eq!(
        body["message"],
        "Principal: UserName(nobody@example.com) does not exist"
    );
    let (status, body) = put(json!({"access_control_list": [
        {"group_name": "no-such-group", "permission_level": "CAN_VIEW"}
    ]}))
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("Principal: GroupName(no-such-group) does not exist")
        )
    );
    for bad in [
        json!([{"group_name": "analysts", "permission_level": "CAN_ATTACH_TO"}]),
        json!([{"group_name": "analysts", "permission_level": "IS_OWNER"}]),
        json!([
            {"user_name": "alice.martin@example.com", "permission_level": "IS_OWNER"},
            {"user_name": "bob.chen@example.com", "permission_level": "IS_OWNER"}
        ]),
    ] {
        let (status, body) = put(json!({ "access_control_list": bad })).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");
    }
    let (status, body) = get(&emu, "/jobs/1").await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("RESOURCE_DOES_NOT_EXIST"))
    );
    // Levels are per type: CAN_ATTACH_TO is a cluster's.
    let (status, _) = send(
        &emu,
        reqwest::Method::PATCH,
        "/clusters/1002-081530-xq7bd2mn",
        json!({"access_control_list": [{"group_name": "analysts", "permission_level": "CAN_ATTACH_TO"}]}),
    )
    .await;
    assert_eq!(status, 200);

    // Deleting an object deletes its ACL.
    let raw = Raw::new(&emu);
    let (status, _) = raw
        .post(
            "/api/2.2/jobs/delete",
            json!({"job_id": 338102274556120_i64}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(get(&emu, job).await.0, 404);
    let (status, _) = raw
        .post(
            "/api/2.0/instance-pools/delete",
            json!({"instance_pool_id": "0927-012345-chin12-pool-AbCdEfGh"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&emu, "/instance-pools/0927-012345-chin12-pool-AbCdEfGh")
            .await
            .0,
        404
    );
}

/// Warehouses answer on the provider's path (`/sql/warehouses/`) and the SDK's (`/warehouses/`), pipelines on
/// theirs; both are owned by their creator unless an ACL says otherwise, and take only their own levels.
#[tokio::test]
async fn warehouse_and_pipeline_grants() {
    let emu = start_fixture_primary().await;
    let (status, body) = get(&emu, "/sql/warehouses/4e8a1b2c3d4e5f60").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object_id"], "/sql/warehouses/4e8a1b2c3d4e5f60");
    assert_eq!(body["object_type"], "warehouses");
    assert_eq!(
        grants(&body),
        [
            g("alice.martin@example.com", "IS_OWNER", false),
            g("analysts", "CAN_USE", false),
            g("data-engineers", "CAN_MANAGE", false),
            g("9d7a3c21-5e4b-4f6a-8b1c-2d3e4f5a6b7c", "CAN_MONITOR", false),
            g("admins", "CAN_MANAGE", true)
        ]
    );
    assert_eq!(
        body["access_control_list"][4]["all_permissions"][0]["inherited_from_object"],
        json!(["/sql/warehouses/"])
    );
    assert_eq!(get(&emu, "/warehouses/4e8a1b2c3d4e5f60").await.1, body);
    // No fixture ACL: the creator (`creator_name`) owns the warehouse.
    let (_, body) = get(&emu, "/sql/warehouses/c0ffee1234abcd56").await;
    assert_eq!(
        grants(&body),
        [
            g("bob.chen@example.com", "IS_OWNER", false),
            g("admins", "CAN_MANAGE", true)
        ]
    );
    // PATCH on the provider's path, read on the SDK's.
    let (status, body) = send(
        &emu,
        reqwest::Method::PATCH,
        "/sql/warehouses/c0ffee1234abcd56",
        json!({"access_control_list": [{"group_name": "analysts", "permission_level": "CAN_VIEW"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(grants(&get(&emu, "/warehouses/c0ffee1234abcd56").await.1)
        .contains(&g("analysts", "CAN_VIEW", false)));
    let (status, body) = get(&emu, "/sql/warehouses/0000000000000000").await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("RESOURCE_DOES_NOT_EXIST"))
    );

    let pipeline = "/pipelines/1f6e2a7c-3b8d-4e5f-9a01-b2c3d4e5f678";
    let (_, body) = get(&emu, pipeline).await;
    assert_eq!(body["object_type"], "pipelines");
    assert_eq!(
        grants(&body),
        [
            g("alice.martin@example.com", "IS_OWNER", false),
            g("data-engineers", "CAN_RUN", false),
            g("analysts", "CAN_VIEW", false),
            g("admins", "CAN_MANAGE", true)
        ]
    );
    // A level of another type is refused.
    let (status, body) = send(
        &emu,
        reqwest::Method::PUT,
        pipeline,
        json!({"access_control_list": [{"group_name": "analysts", "permission_level": "CAN_USE"}]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");
}

/// Reading permissions is one GET per object of the kinds asked for, counted in the progress.
#[tokio::test]
async fn the_inventory_reads_every_objects_permissions_once() {
    let emu = start_fixture_primary().await;
    let client = crate::common::client(emu.url());
    let progress = drsync::inventory::Progress::default();
    let inv = drsync::inventory::read_with_progress(&client, &ResourceKind::ALL, &progress)
        .await
        .unwrap();
    let objects = inv.jobs.len()
        + inv.clusters.len()
        + inv.pools.len()
        + inv.policies.len()
        + inv.warehouses.len()
        + inv.pipelines.len();
    assert_eq!(inv.permissions.len(), objects);
    assert_eq!(
        progress
            .permissions
            .load(std::sync::atomic::Ordering::Relaxed),
        objects
    );
    let gets: u64 = emu
        .requests_by_path()
        .iter()
        .filter(|(k, _)| k.starts_with("GET /api/2.0/permissions/"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(gets, objects as u64);
    assert_eq!(inv.reader.as_deref(), Some("emulator@example.com"));
    // Without the kind, none.
    let kinds = [ResourceKind::Jobs];
    let inv = drsync::inventory::read(&client, &kinds).await.unwrap();
    assert!(inv.permissions.is_empty() && inv.reader.is_none());
}

async fn drift_findings(
    dr: &Emulator,
    desired: &drsync::tfconfig::Configuration,
) -> Vec<drift::Finding> {
    let live = read_all(dr.url()).await;
    // The identity reading DR, as `drsync drift` passes it: its own MANAGE on the scopes it created is no drift.
    let me = crate::common::client(dr.url())
        .current_user()
        .await
        .unwrap()
        .user_name;
    let source = Source {
        workspace: "https://dr".to_string(),
        git_ref: "HEAD".to_string(),
        commit: None,
        folder: "terraform/generated".to_string(),
    };
    drift::compare(
        desired,
        &live,
        &ResourceKind::ALL,
        None,
        source,
        &drsync::convert::provider_schema(),
        &Default::default(),
        Some(&me),
    )
    .unwrap()
    .report
    .findings
}

/// A changed grant in DR is a `changed` finding naming the principal; a removed one too; an object whose
/// grants are all gone has its permissions `missing`; grants on an object nothing manages are `unmanaged`.
#[tokio::test]
async fn drift_of_grants_names_the_principal() {
    let (_primary, dr, desired, files) = crate::drift::primary_and_dr().await;
    assert!(files["permissions.tf"].contains("job_id = databricks_job.nightly_sales_etl.id"));
    assert!(drift_findings(&dr, &desired).await.is_empty());
    let raw = Raw::new(&dr);
    let nightly = raw.job_id("nightly-sales-etl").await;
    let (status, body) = send(
        &dr,
        reqwest::Method::PATCH,
        &format!("/jobs/{nightly}"),
        json!({"access_control_list": [{"group_name": "data-engineers", "permission_level": "CAN_VIEW"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let findings = drift_findings(&dr, &desired).await;
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.kind, FindingKind::Changed);
    assert_eq!(f.address(), "databricks_permissions.job_nightly_sales_etl");
    // Named by the DR object the grants are on.
    assert_eq!(f.name, format!("/jobs/{nightly}"));
    assert_eq!(f.fields.len(), 1, "{:#?}", f.fields);
    assert_eq!(
        f.fields[0].path,
        "access_control[group_name=data-engineers].permission_level"
    );
    assert_eq!(f.fields[0].expected, Some(json!("CAN_MANAGE_RUN")));
    assert_eq!(f.fields[0].actual, Some(json!("CAN_VIEW")));

    // The only grant of a policy removed (PUT of nothing): its permissions are missing.
    let (_, list) = raw.get("/api/2.0/policies/clusters/list").await;
    let personal = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Personal Compute")
        .unwrap()["policy_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = send(
        &dr,
        reqwest::Method::PUT,
        &format!("/cluster-policies/{personal}"),
        json!({"access_control_list": []}),
    )
    .await;
    assert_eq!(status, 200);
    let findings = drift_findings(&dr, &desired).await;
    let missing: Vec<String> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Missing)
        .map(drift::Finding::address)
        .collect();
    assert_eq!(
        missing,
        ["databricks_permissions.cluster_policy_personal_compute"]
    );

    // A job made in DR by hand, with a grant: it and its grants are unmanaged.
    let (status, created) = raw
        .post(
            "/api/2.2/jobs/create",
            json!({"name": "dr-only", "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/x"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &dr,
        reqwest::Method::PATCH,
        &format!("/jobs/{}", created["job_id"]),
        json!({"access_control_list": [{"group_name": "analysts", "permission_level": "CAN_VIEW"}]}),
    )
    .await;
    assert_eq!(status, 200);
    let findings = drift_findings(&dr, &desired).await;
    let unmanaged: Vec<&str> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Unmanaged)
        .map(|f| f.resource_type.as_str())
        .collect();
    assert_eq!(unmanaged, ["databricks_job", "databricks_permissions"]);
}
