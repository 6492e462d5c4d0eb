//! The synthetic workspace served by an emulator: the library client lists it completely (the jobs over 100
//! tasks come back whole, through `jobs/get` paging), and its bodies pass the emulator's own create validation.
//! It must not rely on particular generated values: only on what the generator guarantees (counts, 1% big jobs).

use crate::common::{start, Raw};
use drsync::api::{ClientOptions, ClusterFilter, Credentials, Secret, WorkspaceClient};
use drsync_emulator::{
    synthetic, Emulator, EmulatorConfig, Fixtures, SyntheticSpec, DEFAULT_TOKEN,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

fn spec() -> SyntheticSpec {
    "jobs=1200,clusters=150,pools=20,policies=10"
        .parse()
        .unwrap()
}

async fn emulator(fixtures: Fixtures) -> Emulator {
    start(EmulatorConfig {
        fixtures,
        seed: 1,
        ..EmulatorConfig::default()
    })
    .await
}

fn client(emu: &Emulator) -> WorkspaceClient {
    WorkspaceClient::new(
        "synthetic",
        emu.url(),
        Credentials::Pat(Secret::new(DEFAULT_TOKEN)),
        ClientOptions {
            rate_limit: 0.0,
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

fn tasks(job: &Value) -> usize {
    job["settings"]["tasks"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn lists_the_whole_synthetic_workspace() {
    let fixtures = synthetic(&spec(), 1);
    let emu = emulator(fixtures.clone()).await;
    let client = client(&emu);
    let (all_purpose_filter, every_filter) =
        (ClusterFilter::all_purpose(), ClusterFilter::default());
    let (jobs, all_purpose, every_cluster, pools, policies) = tokio::try_join!(
        client.list_jobs(),
        client.list_clusters(&all_purpose_filter),
        client.list_clusters(&every_filter),
        client.list_instance_pools(),
        client.list_cluster_policies(),
    )
    .expect("listing completes");

    assert_eq!(jobs.len(), 1200);
    let ids: BTreeSet<i64> = jobs.iter().map(|j| j.job_id).collect();
    assert_eq!(ids.len(), 1200, "no job twice");
    let expected_all_purpose = fixtures
        .clusters
        .iter()
        .filter(|c| c["cluster_source"] == "UI" || c["cluster_source"] == "API")
        .count();
    assert_eq!(all_purpose.len(), expected_all_purpose);
    assert_eq!(every_cluster.len(), 150);
    assert_eq!((pools.len(), policies.len()), (20, 10));

    // Every job comes back exactly as generated, the big ones included.
    let generated: BTreeMap<i64, &Value> = fixtures
        .jobs
        .iter()
        .map(|j| (j["job_id"].as_i64().unwrap(), j))
        .collect();
    let big: Vec<i64> = fixtures
        .jobs
        .iter()
        .filter(|j| tasks(j) > 100)
        .map(|j| j["job_id"].as_i64().unwrap())
        .collect();
    assert_eq!(big.len(), 12, "1% of the jobs have over 100 tasks");
    for job in &jobs {
        let want = generated[&job.job_id];
        let got = &job.settings;
        assert_eq!(got.tasks.len(), tasks(want), "job {}", job.job_id);
        assert_eq!(&Value::Array(got.tasks.clone()), &want["settings"]["tasks"]);
        let want_clusters = want["settings"]["job_clusters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(got.job_clusters, want_clusters, "job {}", job.job_id);
        assert_eq!(got.name.as_deref(), want["settings"]["name"].as_str());
    }

    // The listing cut the big jobs' tasks off; each was fetched whole with two jobs/get pages (100 + the rest).
    let by_path = emu.requests_by_path();
    assert_eq!(
        by_path.get("GET /api/2.2/jobs/list"),
        Some(&12),
        "{by_path:?}"
    );
    assert_eq!(
        by_path.get("GET /api/2.2/jobs/get"),
        Some(&(2 * big.len() as u64)),
        "{by_path:?}"
    );
}

#[tokio::test]
async fn generated_bodies_pass_create_validation() {
    let fixtures = synthetic(&spec(), 1);
    let emu = emulator(fixtures.clone()).await;
    let raw = Raw::new(&emu);

    // Clusters: the spec of every all-purpose cluster (pool- and policy-backed ones included).
    let mut pool_backed = 0;
    let mut policy_backed = 0;
    for c in fixtures
        .clusters
        .iter()
        .filter(|c| c["cluster_source"] != "JOB")
    {
        let spec = &c["spec"];
        pool_backed += usize::from(spec.get("instance_pool_id").is_some());
        policy_backed += usize::from(spec.get("policy_id").is_some());
        let (status, body) = raw.post("/api/2.1/clusters/create", spec.clone()).await;
        assert_eq!(status, 200, "{spec}: {body}");
    }
    assert!(pool_backed > 0 && policy_backed > 0);

    // Jobs: the settings of a sample, including every big one.
    for job in fixtures
        .jobs
        .iter()
        .enumerate()
        .filter(|(i, j)| i % 10 == 0 || tasks(j) > 100)
        .map(|(_, j)| j)
    {
        let settings = &job["settings"];
        let (status, body) = raw.post("/api/2.2/jobs/create", settings.clone()).await;
        assert_eq!(status, 200, "{}: {body}", settings["name"]);
        let id = body["job_id"].as_i64().unwrap();
        let (status, got) = raw.get(&format!("/api/2.1/jobs/get?job_id={id}")).await;
        assert_eq!(status, 200);
        assert_eq!(got["settings"]["tasks"], settings["tasks"]);
    }

    // Pools: node types and preloaded runtimes are ones the catalog offers (names get a suffix: they are unique).
    for p in &fixtures.instance_pools {
        let mut body = p.clone();
        for key in [
            "instance_pool_id",
            "default_tags",
            "state",
            "stats",
            "status",
        ] {
            body.as_object_mut().unwrap().remove(key);
        }
        body["instance_pool_name"] = json!(format!(
            "{}-copy",
            p["instance_pool_name"].as_str().unwrap()
        ));
        let (status, reply) = raw.post("/api/2.0/instance-pools/create", body).await;
        assert_eq!(status, 200, "{p}: {reply}");
    }
}
