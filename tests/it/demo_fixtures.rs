//! `fixtures/dr`: the fixture primary's rewritten export applied to an emulated workspace, plus a little
//! realistic drift. `generate_dr_fixtures` (ignored; run it after changing the primary fixtures or the demo
//! rules: `DRSYNC_WRITE_FIXTURES=1 cargo test --test it generate_dr_fixtures -- --ignored`) writes it; the other
//! test checks that the DR fixtures show exactly the drift the demo promises.

use crate::common::{start, Raw};
use drsync::config::Config;
use drsync::drift::{FindingKind, Severity, Source};
use drsync::export::{self, Export, LabelMap, Settings};
use drsync::model::ResourceKind;
use drsync_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

use crate::common::client;

/// The demo's rule set is a valid drsync configuration (the demo writes it into its `drsync.toml`).
#[test]
fn demo_rules_parse() {
    Config::parse(drsync_emulator::demo::RULES, Path::new("drsync.toml")).unwrap();
}

async fn demo_export() -> Export {
    let primary = start(EmulatorConfig {
        fixtures: drsync_emulator::demo::primary().unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let config = Config::parse(drsync_emulator::demo::RULES, Path::new("drsync.toml")).unwrap();
    let settings = Settings {
        kinds: ResourceKind::ALL.to_vec(),
        filter: config.export.name_filter().unwrap(),
        provider_version: config.export.provider_version.clone(),
        source_host: "https://dbc-primary.cloud.databricks.com".to_string(),
        rules: config.rewrite,
        normalize: Default::default(),
        exporter: None,
        workspace_id: None,
    };
    let inv = drsync::inventory::read(&client(primary.url()), &ResourceKind::ALL)
        .await
        .unwrap();
    export::build(
        inv.clone(),
        &settings,
        &LabelMap::default(),
        &drsync::convert::provider_schema(),
    )
    .unwrap()
}

async fn list_ids(raw: &Raw, path: &str, key: &str, id: &str) -> Vec<Value> {
    let (_, body) = raw.get(path).await;
    body[key]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|o| o[id].clone())
        .collect()
}

async fn dump(emu: &Emulator) -> BTreeMap<&'static str, Value> {
    let raw = Raw::new(emu);
    let mut out = BTreeMap::new();
    let mut jobs = Vec::new();
    for id in list_ids(&raw, "/api/2.2/jobs/list?limit=100", "jobs", "job_id").await {
        jobs.push(raw.get(&format!("/api/2.1/jobs/get?job_id={id}")).await.1);
    }
    out.insert("jobs.json", Value::Array(jobs));
    let mut clusters = Vec::new();
    let mut libraries = Vec::new();
    for id in list_ids(&raw, "/api/2.1/clusters/list", "clusters", "cluster_id").await {
        let id = id.as_str().unwrap().to_string();
        clusters.push(
            raw.get(&format!("/api/2.1/clusters/get?cluster_id={id}"))
                .await
                .1,
        );
        let (_, libs) = raw
            .get(&format!(
                "/api/2.0/libraries/cluster-status?cluster_id={id}"
            ))
            .await;
        if libs["library_statuses"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
        {
            libraries.push(libs);
        }
    }
    out.insert("clusters.json", Value::Array(clusters));
    out.insert("cluster_libraries.json", Value::Array(libraries));
    // Pools and policies: list the ids, then `get` each.
    for (file, list, key, id_key, get) in [
        (
            "instance_pools.json",
            "/api/2.0/instance-pools/list",
            "instance_pools",
            "instance_pool_id",
            "/api/2.0/instance-pools/get",
        ),
        (
            "cluster_policies.json",
            "/api/2.0/policies/clusters/list",
            "policies",
            "policy_id",
            "/api/2.0/policies/clusters/get",
        ),
    ] {
        let mut bodies = Vec::new();
        for id in list_ids(&raw, list, key, id_key).await {
            let path = format!("{get}?{id_key}={}", id.as_str().unwrap());
            bodies.push(raw.get(&path).await.1);
        }
        out.insert(file, Value::Array(bodies));
    }
    // Warehouses and pipelines: ids from the list, then the body of each.
    let mut warehouses = Vec::new();
    for id in list_ids(&raw, "/api/2.0/sql/warehouses", "warehouses", "id").await {
        let path = format!("/api/2.0/sql/warehouses/{}", id.as_str().unwrap());
        warehouses.push(raw.get(&path).await.1);
    }
    out.insert("sql_warehouses.json", Value::Array(warehouses));
    let mut pipelines = Vec::new();
    for id in list_ids(
        &raw,
        "/api/2.0/pipelines?max_results=100",
        "statuses",
        "pipeline_id",
    )
    .await
    {
        let path = format!("/api/2.0/pipelines/{}", id.as_str().unwrap());
        pipelines.push(raw.get(&path).await.1);
    }
    out.insert("pipelines.json", Value::Array(pipelines));
    // Secret scopes as listed, and each scope's ACLs (`acls/list` bodies by scope name).
    let (_, scopes) = raw.get("/api/2.0/secrets/scopes/list").await;
    let mut acls = serde_json::Map::new();
    for scope in scopes["scopes"].as_array().into_iter().flatten() {
        let name = scope["name"].as_str().unwrap();
        let (_, body) = raw
            .get(&format!("/api/2.0/secrets/acls/list?scope={name}"))
            .await;
        acls.insert(name.to_string(), body);
    }
    out.insert("secret_scopes.json", scopes);
    out.insert("secret_acls.json", Value::Object(acls));
    // The ACL of every object of the kinds whose grants are exported.
    let mut acls = Vec::new();
    for (list, key, id_key, kind) in [
        ("/api/2.2/jobs/list?limit=100", "jobs", "job_id", "jobs"),
        (
            "/api/2.1/clusters/list",
            "clusters",
            "cluster_id",
            "clusters",
        ),
        (
            "/api/2.0/instance-pools/list",
            "instance_pools",
            "instance_pool_id",
            "instance-pools",
        ),
        (
            "/api/2.0/policies/clusters/list",
            "policies",
            "policy_id",
            "cluster-policies",
        ),
        (
            "/api/2.0/sql/warehouses",
            "warehouses",
            "id",
            "sql/warehouses",
        ),
        ("/api/2.0/pipelines", "statuses", "pipeline_id", "pipelines"),
    ] {
        for id in list_ids(&raw, list, key, id_key).await {
            let id = id.as_str().map_or_else(|| id.to_string(), str::to_string);
            acls.push(
                raw.get(&format!("/api/2.0/permissions/{kind}/{id}"))
                    .await
                    .1,
            );
        }
    }
    out.insert("permissions.json", Value::Array(acls));
    out
}

#[tokio::test]
#[ignore = "writes fixtures/dr; run by hand"]
async fn generate_dr_fixtures() {
    let built = demo_export().await;
    let desired = drsync::tfconfig::load(&built.files, &[], &BTreeMap::new()).unwrap();
    let dr = start(EmulatorConfig {
        fixtures: drsync_emulator::Fixtures {
            principals: drsync_emulator::demo::primary().unwrap().principals_named(),
            ..crate::common::primary_identities()
        },
        seed: 2,
        ..EmulatorConfig::default()
    })
    .await;
    crate::provider::apply(&desired, &client(dr.url()))
        .await
        .unwrap();
    let raw = Raw::new(&dr);
    // A passive DR: the all-purpose clusters the apply started are terminated.
    for id in list_ids(&raw, "/api/2.1/clusters/list", "clusters", "cluster_id").await {
        raw.post("/api/2.1/clusters/delete", json!({"cluster_id": id}))
            .await;
    }
    // The drift: a task's timeout changed by hand, a trigger unpaused (critical), a job deleted, a cluster
    // made by hand.
    let nightly = raw.job_named("nightly-sales-etl").await;
    let mut task = nightly["settings"]["tasks"][0].clone();
    task["timeout_seconds"] = json!(7200);
    raw.update_job(&nightly["job_id"], json!({"tasks": [task]}))
        .await;
    let orders = raw.job_named("orders-hourly-periodic").await;
    let mut trigger = orders["settings"]["trigger"].clone();
    trigger["pause_status"] = json!("UNPAUSED");
    raw.update_job(&orders["job_id"], json!({"trigger": trigger}))
        .await;
    // One grant missing: `analysts` may no longer view `nightly-sales-etl` (a PUT of the others).
    let (_, acl) = raw
        .get(&format!("/api/2.0/permissions/jobs/{}", nightly["job_id"]))
        .await;
    let kept: Vec<Value> = acl["access_control_list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["group_name"] != "admins" && e["group_name"] != "analysts")
        .flat_map(|e| {
            let principal: serde_json::Map<String, Value> =
                ["user_name", "group_name", "service_principal_name"]
                    .iter()
                    .filter_map(|k| e.get(*k).map(|v| (k.to_string(), v.clone())))
                    .collect();
            e["all_permissions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["inherited"] == false)
                .map(move |p| {
                    let mut entry = principal.clone();
                    entry.insert(
                        "permission_level".to_string(),
                        p["permission_level"].clone(),
                    );
                    Value::Object(entry)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    drsync::api::WorkspaceClient::put(
        &client(dr.url()),
        &format!("/api/2.0/permissions/jobs/{}", nightly["job_id"]),
        &json!({ "access_control_list": kept }),
    )
    .await
    .unwrap();
    let legacy = raw.job_named("legacy-spark-submit").await;
    raw.delete_job(&legacy["job_id"]).await;
    let (s, made) = raw
        .post(
            "/api/2.1/clusters/create",
            json!({"cluster_name": "adhoc-debug-dr", "spark_version": "15.4.x-scala2.12", "node_type_id": "i4i.xlarge",
                   "num_workers": 1, "autotermination_minutes": 30}),
        )
        .await;
    assert_eq!(s, 200);
    raw.post(
        "/api/2.1/clusters/delete",
        json!({"cluster_id": made["cluster_id"]}),
    )
    .await;

    let mut files = dump(&dr).await;
    let primary_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/primary");
    let profiles = std::fs::read_to_string(primary_dir.join("instance_profiles.json"))
        .unwrap()
        .replace("111111111111", "222222222222");
    files.insert(
        "instance_profiles.json",
        serde_json::from_str(&profiles).unwrap(),
    );
    // Identities (provisioned from the identity provider) and the secret keys (names only: values are put in
    // DR by hand) as the primary has them.
    for same in [
        "workspace_objects.json",
        "secrets.json",
        "users.json",
        "groups.json",
        "service_principals.json",
    ] {
        files.insert(
            same,
            serde_json::from_str(&std::fs::read_to_string(primary_dir.join(same)).unwrap())
                .unwrap(),
        );
    }
    if std::env::var_os("DRSYNC_WRITE_FIXTURES").is_some() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dr");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, value) in files {
            std::fs::write(
                dir.join(name),
                serde_json::to_string_pretty(&value).unwrap() + "\n",
            )
            .unwrap();
        }
    }
}

#[tokio::test]
async fn the_dr_fixtures_show_the_promised_drift() {
    let built = demo_export().await;
    let desired = drsync::tfconfig::load(&built.files, &[], &BTreeMap::new()).unwrap();
    let dr = start(EmulatorConfig {
        fixtures: drsync_emulator::demo::dr().unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let live = drsync::inventory::read(&client(dr.url()), &ResourceKind::ALL)
        .await
        .unwrap();
    let source = Source {
        workspace: "dr".to_string(),
        git_ref: "HEAD".to_string(),
        commit: None,
        folder: "terraform/generated".to_string(),
    };
    let report = drsync::drift::compare(
        &desired,
        &live,
        &ResourceKind::ALL,
        None,
        source,
        &drsync::convert::provider_schema(),
        &Default::default(),
        Some(crate::common::EMULATOR_USER),
    )
    .unwrap()
    .report;
    let found: Vec<(String, FindingKind, Severity)> = report
        .findings
        .iter()
        .map(|f| (f.address(), f.kind, f.severity))
        .collect();
    assert_eq!(
        found,
        [
            (
                "databricks_cluster.adhoc_debug_dr".to_string(),
                FindingKind::Unmanaged,
                Severity::Drift
            ),
            (
                "databricks_job.legacy_spark_submit".to_string(),
                FindingKind::Missing,
                Severity::Drift
            ),
            (
                "databricks_job.nightly_sales_etl".to_string(),
                FindingKind::Changed,
                Severity::Drift
            ),
            (
                "databricks_job.orders_hourly_periodic".to_string(),
                FindingKind::Changed,
                Severity::Critical
            ),
            (
                "databricks_permissions.job_legacy_spark_submit".to_string(),
                FindingKind::Missing,
                Severity::Drift
            ),
            (
                "databricks_permissions.job_nightly_sales_etl".to_string(),
                FindingKind::Changed,
                Severity::Drift
            ),
        ],
        "{:#?}",
        report.findings
    );
}
