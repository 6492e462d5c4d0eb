//! The REST client against in-process emulators: complete listings across pages, retries under injected
//! faults, bounded failure, authentication (PAT and OAuth M2M) and no token in any error.

use crate::common::start;
use drsync::api::{
    ClientOptions, ClusterFilter, Credentials, Error, Gone, JobsPaging, Secret, WorkspaceClient,
};
use drsync::model::ResourceKind;
use drsync_emulator::{Change, Emulator, EmulatorConfig, Fault, Fixtures, DEFAULT_TOKEN};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const JOBS: usize = 2_500;
const CLUSTERS: usize = 300;
const BIG_JOB_TASKS: usize = 130;

/// A workspace of 2,500 jobs (one with 130 tasks and 101 job clusters), 300 clusters of every source,
/// 20 pools and 15 policies.
fn large_workspace() -> Fixtures {
    let mut jobs = Vec::with_capacity(JOBS);
    for i in 0..JOBS {
        let (tasks, clusters) = if i == 1234 {
            (BIG_JOB_TASKS, 101)
        } else {
            (1 + i % 4, 1)
        };
        let job_clusters: Vec<Value> = (0..clusters)
            .map(|c| {
                json!({"job_cluster_key": format!("c{c}"), "new_cluster": {
                    "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 2}})
            })
            .collect();
        let task_list: Vec<Value> = (0..tasks)
            .map(|t| {
                let mut task = json!({
                    "task_key": format!("t{t:03}"),
                    "job_cluster_key": format!("c{}", t % clusters),
                    "notebook_task": {"notebook_path": format!("/Repos/etl/job{i}/t{t}"), "source": "WORKSPACE"},
                });
                if t > 0 {
                    task["depends_on"] = json!([{"task_key": format!("t{:03}", t - 1)}]);
                }
                task
            })
            .collect();
        jobs.push(json!({
            "job_id": 100_000_000_000_000i64 + i as i64,
            "created_time": 1_700_000_000_000i64 + i as i64 * 1000,
            "creator_user_name": "etl@example.com",
            "run_as_user_name": "etl@example.com",
            "settings": {
                "name": format!("job-{i:04}"),
                "format": "MULTI_TASK",
                "max_concurrent_runs": 1,
                "tasks": task_list,
                "job_clusters": job_clusters,
                "a_future_field": {"kept": i},
            }
        }));
    }
    let sources = ["UI", "API", "JOB", "PIPELINE"];
    let clusters = (0..CLUSTERS)
        .map(|i| {
            json!({
                "cluster_id": format!("0923-1642{:02}-c{:07}", i % 60, i),
                "cluster_name": format!("cluster-{i:03}"),
                "cluster_source": sources[i % sources.len()],
                "spark_version": "15.4.x-scala2.12",
                "node_type_id": "i3.xlarge",
                "num_workers": 1,
                "state": "TERMINATED",
                "creator_user_name": "alice@example.com",
                "start_time": 1_700_000_000_000i64 + i as i64,
            })
        })
        .collect();
    let instance_pools = (0..20)
        .map(|i| {
            json!({"instance_pool_id": format!("0927-012345-pool{i:02}-pool-AbCdEfGh"),
                   "instance_pool_name": format!("pool-{i:02}"), "node_type_id": "i3.xlarge",
                   "state": "ACTIVE", "stats": {"idle_count": 0}})
        })
        .collect();
    let cluster_policies = (0..15)
        .map(|i| {
            json!({"policy_id": format!("{:016X}", 0xABCD_0000u64 + i),
                   "name": format!("policy-{i:02}"),
                   "definition": "{\"spark_version\":{\"type\":\"fixed\",\"value\":\"15.4.x-scala2.12\"}}",
                   "created_at_timestamp": 1_700_000_000_000i64, "creator_user_name": "admin@example.com"})
        })
        .collect();
    Fixtures {
        jobs,
        clusters,
        instance_pools,
        cluster_policies,
        ..Fixtures::default()
    }
}

async fn emulator(fixtures: Fixtures, faults: &[&str]) -> Emulator {
    start(EmulatorConfig {
        fixtures,
        faults: faults.iter().map(|f| f.parse::<Fault>().unwrap()).collect(),
        seed: 42,
        ..EmulatorConfig::default()
    })
    .await
}

/// Options for tests: no rate limit, short backoff.
fn fast() -> ClientOptions {
    ClientOptions {
        rate_limit: 0.0,
        base_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    }
}

fn pat_client(emu: &Emulator, options: ClientOptions) -> WorkspaceClient {
    WorkspaceClient::new(
        "primary",
        emu.url(),
        Credentials::Pat(Secret::new(DEFAULT_TOKEN)),
        options,
    )
    .unwrap()
}

/// Everything a listing returned, reduced to what must match: ids, names, task and cluster counts.
async fn inventory(
    client: &WorkspaceClient,
) -> (Vec<(i64, String, usize, usize)>, Vec<String>, usize, usize) {
    let all_purpose = ClusterFilter::all_purpose();
    let (jobs, clusters, pools, policies) = tokio::try_join!(
        client.list_jobs(),
        client.list_clusters(&all_purpose),
        client.list_instance_pools(),
        client.list_cluster_policies(),
    )
    .expect("listing completes");
    let mut jobs: Vec<_> = jobs
        .into_iter()
        .map(|j| {
            (
                j.job_id,
                j.settings.name.clone().unwrap_or_default(),
                j.settings.tasks.len(),
                j.settings.job_clusters.len(),
            )
        })
        .collect();
    jobs.sort();
    let mut clusters: Vec<String> = clusters.into_iter().map(|c| c.cluster_id).collect();
    clusters.sort();
    (jobs, clusters, pools.len(), policies.len())
}

#[tokio::test]
async fn lists_everything_exactly_once() {
    let fixtures = large_workspace();
    let emu = emulator(fixtures.clone(), &[]).await;
    let client = pat_client(&emu, fast());
    let (jobs, clusters, pools, policies) = inventory(&client).await;

    assert_eq!(jobs.len(), JOBS);
    let ids: BTreeSet<i64> = jobs.iter().map(|j| j.0).collect();
    assert_eq!(ids.len(), JOBS, "no job twice");
    let big = jobs.iter().find(|j| j.1 == "job-1234").unwrap();
    assert_eq!(
        (big.2, big.3),
        (BIG_JOB_TASKS, 101),
        "the cut-off job comes back whole"
    );
    for (_, name, tasks, _) in &jobs {
        if name != "job-1234" {
            let i: usize = name[4..].parse().unwrap();
            assert_eq!(*tasks, 1 + i % 4, "{name}");
        }
    }
    // Only UI and API clusters: half of them.
    assert_eq!(clusters.len(), CLUSTERS / 2);
    assert_eq!(clusters.iter().collect::<BTreeSet<_>>().len(), CLUSTERS / 2);
    assert_eq!((pools, policies), (20, 15));

    // Request economy: 25 list pages, and jobs/get only for the one job whose arrays were cut off
    // (two pages of it: 100 tasks, then 30).
    let by_path = emu.requests_by_path();
    assert_eq!(
        by_path.get("GET /api/2.2/jobs/list"),
        Some(&25),
        "{by_path:?}"
    );
    assert_eq!(
        by_path.get("GET /api/2.2/jobs/get"),
        Some(&2),
        "{by_path:?}"
    );
    assert_eq!(
        by_path.get("GET /api/2.1/clusters/list"),
        Some(&2),
        "{by_path:?}"
    );
}

#[tokio::test]
async fn unknown_fields_survive() {
    let emu = emulator(large_workspace(), &[]).await;
    let client = pat_client(&emu, fast());
    let job = client.get_job(100_000_000_000_007).await.unwrap();
    assert_eq!(
        job.settings.extra.get("a_future_field"),
        Some(&json!({"kept": 7}))
    );
    assert_eq!(
        job.extra.get("run_as_user_name"),
        Some(&json!("etl@example.com"))
    );
    assert!(!job.extra.contains_key("next_page_token"));
}

/// The fault-free listing of the large workspace, and how many requests it took.
async fn fault_free() -> (
    (Vec<(i64, String, usize, usize)>, Vec<String>, usize, usize),
    u64,
) {
    let emu = emulator(large_workspace(), &[]).await;
    let expected = inventory(&pat_client(&emu, fast())).await;
    assert!(
        emu.faults_injected().is_empty(),
        "{:?}",
        emu.faults_injected()
    );
    (expected, emu.request_count())
}

/// The count of each fault kind, with every kind asked for present (so a kind that never fired shows as 0).
fn fired(emu: &Emulator, kinds: &[&str]) -> BTreeMap<String, u64> {
    let mut counts = emu.faults_injected();
    for kind in kinds {
        counts.entry(kind.to_string()).or_insert(0);
    }
    counts
}

#[tokio::test]
async fn listing_survives_rate_limiting() {
    let (expected, requests) = fault_free().await;
    let emu = emulator(large_workspace(), &["429:0.3"]).await;
    let client = pat_client(&emu, fast());
    assert_eq!(inventory(&client).await, expected);
    // Some requests were refused, and each refusal cost exactly one more request: the retry.
    let refused = fired(&emu, &["429"]);
    assert!(refused["429"] > 0, "{refused:?}");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(emu.request_count(), requests + refused["429"]);
}

#[tokio::test]
async fn listing_survives_unavailability_resets_and_cut_bodies() {
    let (expected, requests) = fault_free().await;
    let emu = emulator(large_workspace(), &["503:0.2", "reset:0.1", "truncate:0.1"]).await;
    let client = pat_client(&emu, fast());
    assert_eq!(inventory(&client).await, expected);
    let faults = fired(&emu, &["503", "reset", "truncate"]);
    assert!(
        faults.values().all(|n| *n > 0),
        "every kind fired: {faults:?}"
    );
    assert_eq!(faults.len(), 3, "{faults:?}");
    // Every fault cost one retry, and nothing else was asked twice.
    assert_eq!(emu.request_count(), requests + faults.values().sum::<u64>());
    // The cut bodies and resets hit the jobs listing itself, not only the small listings.
    let on_jobs = emu.faults_injected_on("GET /api/2.2/jobs/list");
    assert!(on_jobs.values().sum::<u64>() > 0, "{on_jobs:?}");
}

/// Offset paging (opt-in): the same jobs as token paging, under faults, with pages fetched several at a time.
#[tokio::test]
async fn offset_paging_lists_the_same_jobs() {
    let expected = inventory(&pat_client(&emulator(large_workspace(), &[]).await, fast())).await;
    let offsets = ClientOptions {
        jobs_paging: JobsPaging::Offset,
        ..fast()
    };
    let emu = emulator(large_workspace(), &[]).await;
    assert_eq!(
        inventory(&pat_client(&emu, offsets.clone())).await,
        expected
    );
    // 26 pages of 100 overlapping by one, and at most `max_concurrency - 1` asked for past the end.
    let pages = emu.requests_by_path()["GET /api/2.2/jobs/list"];
    assert!((26..=26 + 7).contains(&pages), "{pages}");
    let emu = emulator(large_workspace(), &["503:0.2", "reset:0.1", "truncate:0.1"]).await;
    assert_eq!(inventory(&pat_client(&emu, offsets)).await, expected);
    let on_pages = fired(&emu, &["503", "reset", "truncate"]);
    let on_pages: BTreeMap<String, u64> = on_pages
        .into_keys()
        .map(|k| {
            let n = emu
                .faults_injected_on("GET /api/2.2/jobs/list")
                .get(&k)
                .copied()
                .unwrap_or(0);
            (k, n)
        })
        .collect();
    assert!(
        on_pages.values().all(|n| *n > 0),
        "every kind hit the concurrently fetched pages: {on_pages:?}"
    );
}

/// A job deleted while jobs are listed by offset shifts the pages after it: the listing notices (the pages no
/// longer overlap) and lists again with page tokens, so no other job is skipped. The job is deleted at a known
/// point, just before the third page is answered: after the first page was read, before the last.
#[tokio::test]
async fn offset_paging_never_skips_a_job_when_the_list_moves() {
    let emu = emulator(large_workspace(), &[]).await;
    let http = crate::common::Raw::new(&emu);
    let (_, first) = http.get("/api/2.2/jobs/list?limit=1").await;
    let newest = first["jobs"][0]["job_id"].as_i64().unwrap();
    let client = pat_client(
        &emu,
        ClientOptions {
            jobs_paging: JobsPaging::Offset,
            max_concurrency: 2,
            ..fast()
        },
    );
    let list = "GET /api/2.2/jobs/list";
    let before = emu.requests_by_path()[list];
    // Two pages at a time: the third is asked for only once the first was read, so the first page still has
    // the job, and every page from the third on (the 26th is the last) is shifted by one.
    emu.change_at(list, before + 3, Change::DeleteJob(newest));
    let ids: Vec<i64> = client
        .list_jobs()
        .await
        .unwrap()
        .iter()
        .map(|j| j.job_id)
        .collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no job twice");
    assert_eq!(ids.len(), JOBS - 1, "every job but the deleted one");
    assert!(!unique.contains(&newest));
    // Three pages by offset at least (the shift shows on the second or the third), then 25 with tokens.
    let pages = emu.requests_by_path()[list] - before;
    assert!(pages >= 3 + 25, "listed again with tokens: {pages} pages");
}

/// Without the change, the same listing reads each page once, by offset only: the test above sees the shift
/// because of the deletion, not by chance.
#[tokio::test]
async fn offset_paging_reads_a_still_list_once() {
    let emu = emulator(large_workspace(), &[]).await;
    let client = pat_client(
        &emu,
        ClientOptions {
            jobs_paging: JobsPaging::Offset,
            max_concurrency: 2,
            ..fast()
        },
    );
    assert_eq!(client.list_jobs().await.unwrap().len(), JOBS);
    // 26 overlapping pages, and at most one asked for past the end.
    let pages = emu.requests_by_path()["GET /api/2.2/jobs/list"];
    assert!((26..=27).contains(&pages), "{pages}");
}

/// A job the listing cut off (over 100 tasks) and that is deleted before its `jobs/get` no longer exists: it
/// is left out and named as gone, instead of failing the whole listing. Here it goes between the two pages of
/// its `jobs/get` (100 tasks, then 30).
#[tokio::test]
async fn a_cut_off_job_deleted_before_its_get_is_left_out_and_named() {
    let emu = emulator(large_workspace(), &[]).await;
    let client = pat_client(&emu, fast());
    let big = 100_000_000_000_000i64 + 1234;
    emu.change_at("GET /api/2.2/jobs/get", 2, Change::DeleteJob(big));
    let listing = client
        .list_jobs_mapped(
            &std::sync::atomic::AtomicUsize::new(0),
            std::sync::Arc::new(|job: drsync::model::Job| job.job_id),
        )
        .await
        .expect("a job deleted meanwhile does not fail the listing");
    assert_eq!(listing.items.len(), JOBS - 1);
    assert!(!listing.items.contains(&big));
    assert_eq!(
        listing.gone,
        [Gone {
            kind: ResourceKind::Jobs,
            id: big.to_string(),
            name: "job-1234".to_string(),
            answer: format!(
                "GET /api/2.2/jobs/get: HTTP 400 INVALID_PARAMETER_VALUE: Job {big} does not exist."
            ),
        }]
    );
    assert_eq!(emu.requests_by_path()["GET /api/2.2/jobs/get"], 2);
    // Anything else that goes wrong on jobs/get still fails the listing.
    let emu = emulator(large_workspace(), &["500:1.0:/api/2.2/jobs/get"]).await;
    let err = pat_client(
        &emu,
        ClientOptions {
            max_attempts: 2,
            ..fast()
        },
    )
    .list_jobs()
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
}

/// Likewise a cluster deleted between `clusters/list` and its `clusters/get`.
#[tokio::test]
async fn a_cluster_deleted_before_its_get_is_left_out_and_named() {
    let emu = emulator(large_workspace(), &[]).await;
    let client = pat_client(&emu, fast());
    let gone_id = "0923-164200-c0000000";
    emu.change_at(
        "GET /api/2.1/clusters/get",
        1,
        Change::DeleteCluster(gone_id.to_string()),
    );
    let listing = client
        .list_clusters_detailed(
            &ClusterFilter::all_purpose(),
            &std::sync::atomic::AtomicUsize::new(0),
        )
        .await
        .unwrap();
    assert_eq!(listing.items.len(), CLUSTERS / 2 - 1);
    assert!(listing.items.iter().all(|c| c.cluster_id != gone_id));
    assert_eq!(
        listing.gone,
        [Gone {
            kind: ResourceKind::Clusters,
            id: gone_id.to_string(),
            name: "cluster-000".to_string(),
            answer: format!(
                "GET /api/2.1/clusters/get: HTTP 400 INVALID_PARAMETER_VALUE: Cluster {gone_id} does not exist"
            ),
        }]
    );
}

#[tokio::test]
async fn a_path_that_always_fails_gives_up_naming_the_path() {
    let emu = emulator(large_workspace(), &["500:1.0:/api/2.1/clusters/list"]).await;
    let options = ClientOptions {
        max_attempts: 4,
        deadline: Duration::from_secs(20),
        ..fast()
    };
    let client = pat_client(&emu, options);
    let started = Instant::now();
    let err = client
        .list_clusters(&ClusterFilter::all_purpose())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(20));
    let msg = err.to_string();
    assert!(msg.contains("GET /api/2.1/clusters/list"), "{msg}");
    assert!(msg.contains("HTTP 500"), "{msg}");
    assert!(msg.contains("after 4 attempts"), "{msg}");
    assert_eq!(
        emu.requests_by_path().get("GET /api/2.1/clusters/list"),
        Some(&4)
    );
    assert_eq!(
        emu.faults_injected(),
        BTreeMap::from([("500".to_string(), 4)]),
        "each attempt met the fault"
    );
    // The other listings are unaffected.
    assert_eq!(client.list_instance_pools().await.unwrap().len(), 20);
}

#[tokio::test]
async fn the_deadline_bounds_retrying() {
    // 503 carries Retry-After: 1, so each retry waits at least a second: within a 2.5 s deadline there is room
    // for two waits, never three. Counting attempts, not the clock, shows the deadline was kept.
    let emu = emulator(Fixtures::default(), &["503:1.0"]).await;
    let options = ClientOptions {
        max_attempts: 100,
        deadline: Duration::from_millis(2500),
        ..fast()
    };
    let client = pat_client(&emu, options);
    let err = client.list_instance_pools().await.unwrap_err();
    let Error::Deadline { attempts, .. } = &err else {
        panic!("not a deadline error: {err}");
    };
    assert!((2..=3).contains(attempts), "{err}");
    assert_eq!(
        emu.faults_injected(),
        BTreeMap::from([("503".to_string(), u64::from(*attempts))]),
        "each attempt met the fault, and none was made past the deadline"
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "primary: GET /api/2.0/instance-pools/list: gave up after {attempts} attempts in "
        )) && msg
            .contains("s); last error: primary: GET /api/2.0/instance-pools/list failed with ")
            && msg.contains(
                "HTTP 503 TEMPORARILY_UNAVAILABLE: The service is temporarily unavailable."
            ),
        "{msg}"
    );
}

#[tokio::test]
async fn posts_are_not_retried_after_a_server_error() {
    let emu = emulator(Fixtures::default(), &["500:1.0:/api/2.2/jobs/create"]).await;
    let client = pat_client(&emu, fast());
    let err = client
        .post("/api/2.2/jobs/create", &json!({"name": "once"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(
        emu.requests_by_path().get("POST /api/2.2/jobs/create"),
        Some(&1)
    );
    assert_eq!(
        emu.faults_injected_on("POST /api/2.2/jobs/create"),
        BTreeMap::from([("500".to_string(), 1)])
    );
}

#[tokio::test]
async fn a_wrong_token_fails_at_once_and_never_shows() {
    let emu = emulator(Fixtures::default(), &[]).await;
    let client = WorkspaceClient::new(
        "dr",
        emu.url(),
        Credentials::Pat(Secret::new("dapi-wrong-token-4711")),
        fast(),
    )
    .unwrap();
    let err = client.current_user().await.unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert_eq!(emu.request_count(), 1, "no retry storm on a refused token");
    let shown = format!("{err} {err:?} {client:?} {:?}", err.hint());
    assert!(!shown.contains("4711"), "{shown}");
    assert!(
        err.to_string()
            .contains("dr: GET /api/2.0/preview/scim/v2/Me failed with HTTP 403"),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("token"));
}

#[tokio::test]
async fn oauth_m2m_gets_and_reuses_a_token() {
    let emu = start(EmulatorConfig {
        fixtures: large_workspace(),
        clients: vec![("sp-app-id".into(), "sp-secret".into())],
        ..EmulatorConfig::default()
    })
    .await;
    let client = WorkspaceClient::new(
        "dr",
        emu.url(),
        Credentials::OAuthM2M {
            client_id: "sp-app-id".into(),
            client_secret: Secret::new("sp-secret"),
        },
        fast(),
    )
    .unwrap();
    let me = client.current_user().await.unwrap();
    assert_eq!(me.user_name, "sp-app-id");
    assert_eq!(client.list_instance_pools().await.unwrap().len(), 20);
    assert_eq!(
        emu.requests_by_path().get("POST /oidc/v1/token"),
        Some(&1),
        "the token is reused"
    );

    let wrong = WorkspaceClient::new(
        "dr",
        emu.url(),
        Credentials::OAuthM2M {
            client_id: "sp-app-id".into(),
            client_secret: Secret::new("not-the-secret-99"),
        },
        fast(),
    )
    .unwrap();
    let err = wrong.current_user().await.unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert!(err.to_string().contains("invalid_client"), "{err}");
    assert!(!format!("{err:?}").contains("not-the-secret-99"));
}

#[tokio::test]
async fn oauth_tokens_are_refreshed_before_expiry() {
    // Tokens that live 30 s are inside the 40 s refresh margin: every call fetches a fresh one.
    let emu = start(EmulatorConfig {
        clients: vec![("id".into(), "secret".into())],
        oauth_token_ttl: Duration::from_secs(30),
        ..EmulatorConfig::default()
    })
    .await;
    let client = WorkspaceClient::new(
        "dr",
        emu.url(),
        Credentials::OAuthM2M {
            client_id: "id".into(),
            client_secret: Secret::new("secret"),
        },
        fast(),
    )
    .unwrap();
    // Two calls (`current_user` is asked once per client: a listing is not).
    client.list_instance_pools().await.unwrap();
    client.list_instance_pools().await.unwrap();
    assert_eq!(emu.requests_by_path().get("POST /oidc/v1/token"), Some(&2));
}

#[tokio::test]
async fn the_rate_limit_spaces_requests() {
    let emu = emulator(Fixtures::default(), &[]).await;
    let client = pat_client(
        &emu,
        ClientOptions {
            rate_limit: 20.0,
            ..fast()
        },
    );
    let started = Instant::now();
    for _ in 0..11 {
        client.list_instance_pools().await.unwrap();
    }
    // The first request is free; ten more at 20/s take at least half a second.
    assert!(
        started.elapsed() >= Duration::from_millis(490),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn missing_objects_are_recognised() {
    let emu = emulator(Fixtures::default(), &[]).await;
    let client = pat_client(&emu, fast());
    let err = client.get_job(123).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let err = client
        .get_cluster("0000-000000-nope0000")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(
        client.workspace_status("/Workspace/nothing").await.unwrap(),
        None
    );
}

/// A stand-in server on loopback that answers every request with the same JSON body, for as long as it is asked.
async fn answering(body: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// Issue 14, defect 4: a server that always says there is more, with the same page token, made the listing
/// run for ever. A repeated token is an error that names the endpoint.
#[tokio::test]
async fn a_listing_that_repeats_its_page_token_is_an_error_not_a_loop() {
    let jobs = answering(r#"{"jobs":[{"job_id":1,"settings":{"name":"x"}}],"has_more":true,"next_page_token":"again"}"#).await;
    let c = url_client(&jobs);
    let e = tokio::time::timeout(Duration::from_secs(30), c.list_jobs())
        .await
        .expect("the listing ends")
        .unwrap_err();
    assert!(matches!(e, Error::Paging { .. }), "{e}");
    assert!(
        e.to_string().contains("/api/2.2/jobs/list")
            && e.to_string().contains("repeats the page token"),
        "{e}"
    );
    let clusters =
        answering(r#"{"clusters":[{"cluster_id":"c"}],"next_page_token":"again"}"#).await;
    let c = url_client(&clusters);
    let e = tokio::time::timeout(
        Duration::from_secs(30),
        c.list_clusters(&ClusterFilter::default()),
    )
    .await
    .expect("the listing ends")
    .unwrap_err();
    assert!(matches!(e, Error::Paging { .. }), "{e}");
}

fn url_client(url: &str) -> WorkspaceClient {
    WorkspaceClient::new(
        "primary",
        url,
        Credentials::Pat(Secret::new(DEFAULT_TOKEN)),
        fast(),
    )
    .unwrap()
}

/// SCIM listings walk `startIndex`/`count` pages until `totalResults` are in, each principal once; secret
/// listings give key names and ACLs per scope; an export's read of secret scopes never asks for a value.
#[tokio::test]
async fn identities_page_and_secrets_list_names_only() {
    let users: Vec<Value> = (0..250)
        .map(|i| json!({"id": format!("{}", 1000 + i), "userName": format!("u{i:03}@example.com")}))
        .collect();
    let mut fixtures = Fixtures::load(&crate::common::fixtures_dir("primary")).unwrap();
    fixtures.users = Some(json!({"totalResults": 250, "Resources": users, "schemas": []}));
    let emu = start(EmulatorConfig {
        fixtures,
        ..EmulatorConfig::default()
    })
    .await;
    let c = crate::common::client(emu.url());
    let listed = c.list_users().await.unwrap();
    let names: BTreeSet<String> = listed.iter().filter_map(|u| u.user_name.clone()).collect();
    assert_eq!((listed.len(), names.len()), (250, 250));
    assert_eq!(
        emu.requests_by_path()["GET /api/2.0/preview/scim/v2/Users"],
        3,
        "100 a page"
    );
    let groups = c.list_groups().await.unwrap();
    assert!(groups
        .iter()
        .any(|g| g.display_name.as_deref() == Some("data-engineers")));
    // Only the name is asked for: no members, no schemas beyond what SCIM always sends.
    assert!(
        groups.iter().all(|g| !g.extra.contains_key("members")),
        "{groups:?}"
    );
    let sps = c.list_service_principals().await.unwrap();
    assert!(sps
        .iter()
        .any(|s| s.application_id.as_deref() == Some("6f1d2c3b-aaaa-bbbb-cccc-0123456789ab")));

    let keys = c.list_secrets("partner-sftp").await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.key.as_str()).collect::<Vec<_>>(),
        ["sftp-password"]
    );
    assert!(keys[0].last_updated_timestamp.is_some() && keys[0].extra.is_empty());
    let acls = c.list_secret_acls("analytics").await.unwrap();
    assert_eq!(acls.len(), 3);
    let gone = c.list_secret_acls("no-such-scope").await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");

    let inv = drsync::inventory::read(&c, &[ResourceKind::SecretScopes])
        .await
        .unwrap();
    assert_eq!(inv.secret_scopes.len(), 5);
    assert_eq!(
        inv.secret_acls.iter().map(|a| a.items.len()).sum::<usize>(),
        14
    );
    assert_eq!(
        inv.secret_keys
            .iter()
            .map(|k| (k.scope.as_str(), k.items.len()))
            .collect::<Vec<_>>(),
        [
            ("analytics", 3),
            ("etl-secrets", 3),
            ("kafka-prod", 2),
            ("ml-platform", 2),
            ("partner-sftp", 1)
        ]
    );
    assert!(inv.jobs.is_empty() && inv.clusters.is_empty());
    let asked = emu.requests_by_path();
    assert!(
        asked
            .keys()
            .all(|k| !k.starts_with("GET /api/2.0/secrets/get")),
        "{asked:?}"
    );
}
