//! The client's adaptive pacing against a throttling workspace (issue 16), as users run it (`drsync export`
//! with no `[client]` section): under the emulator's server-side rate limit, and under heavy random 429s, the
//! export writes the same bytes as an unthrottled one, politely (few 429s, each answered by exactly one retry,
//! no burst) and in about the time the limit or the `Retry-After` waits allow.

use crate::common::{drsync, exported_files, start, write_config, PRIMARY_ENV};
use drsync_emulator::{synthetic, Emulator, EmulatorConfig, Fault};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One workspace id for every emulator of a test, so that their exports can be compared.
const WORKSPACE_ID: u64 = 1_000_000_000_000_016;

async fn emulator(spec: &str, rate_limit: Option<f64>, faults: &[&str]) -> Emulator {
    start(EmulatorConfig {
        fixtures: synthetic(&spec.parse().unwrap(), 16),
        rate_limit,
        faults: faults.iter().map(|f| f.parse::<Fault>().unwrap()).collect(),
        seed: 16,
        workspace_id: Some(WORKSPACE_ID),
        ..EmulatorConfig::default()
    })
    .await
}

/// `drsync export --no-commit` from `emu` with no `[client]` section: the files written (with the emulator's
/// URL, which differs between emulators, taken out of their header) and how long it took.
async fn export(emu: &Emulator) -> (BTreeMap<String, String>, Duration) {
    let dir = tempfile::tempdir().unwrap();
    // The four kinds these bounds were set for: grants add one `GET permissions/...` per object, a family of
    // its own that would dominate the timing (at 30/s, 2,300 objects take 77 s).
    write_config(
        dir.path(),
        emu.url(),
        "[export]\nresources = [\"jobs\", \"clusters\", \"instance_pools\", \"cluster_policies\"]\n",
    );
    let started = Instant::now();
    let run = drsync(dir.path(), &["export", "--no-commit"], PRIMARY_ENV).await;
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{run:?}");
    let files = exported_files(dir.path())
        .into_iter()
        .map(|(name, text)| (name, text.replace(emu.url(), "EMULATOR")))
        .collect();
    (files, took)
}

/// Requests per endpoint family (`GET jobs/list`: the method and the path without `/api/2.x/`), from the
/// emulator's count per `METHOD path`.
fn by_family(by_path: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (request, n) in by_path {
        let (method, path) = request.split_once(' ').unwrap();
        let rest = path.trim_start_matches('/');
        let rest = match rest.strip_prefix("api/") {
            Some(after) => after.split_once('/').map_or(after, |(_, tail)| tail),
            None => rest,
        };
        *out.entry(format!("{method} {rest}")).or_insert(0) += n;
    }
    out
}

/// A server limit of `LIMIT` requests per second per endpoint family binds hard on the clusters (one
/// `clusters/get` each, about 400) and on the jobs listing: the export takes about 240 / `LIMIT` seconds, all
/// but a few percent of its requests are let through the first time, and its files are those of an
/// unthrottled export.
#[tokio::test]
async fn an_export_under_a_server_rate_limit_is_identical_polite_and_paced_by_the_limit() {
    const SPEC: &str = "jobs=2000,clusters=300,pools=10,policies=10";
    const LIMIT: f64 = 30.0;
    let calm = emulator(SPEC, None, &[]).await;
    let (expected, calm_took) = export(&calm).await;
    let calm_requests = calm.request_count();
    assert_eq!(calm.rate_limited(), 0);
    let families = by_family(&calm.requests_by_path());
    let (busiest, most) = families.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(
        *most as f64 > 5.0 * LIMIT,
        "the limit binds: {busiest} has {most} requests"
    );

    let limited = emulator(SPEC, Some(LIMIT), &[]).await;
    let (files, took) = export(&limited).await;
    assert!(
        files == expected,
        "the files differ from the unthrottled export"
    );
    let refused = limited.rate_limited();
    let requests = limited.request_count();
    assert!(refused > 0, "the limit fired");
    // Every refusal cost exactly one more request, its retry; nothing else was asked twice.
    assert_eq!(
        requests,
        calm_requests + refused,
        "{:?}",
        limited.rate_limited_by_path()
    );
    assert!(
        (refused as f64) < 0.05 * requests as f64,
        "{refused} of {requests} requests answered 429: {:?}",
        limited.rate_limited_by_path()
    );
    // The busiest family cannot go faster than the limit (after its first second's burst), and the pacing
    // keeps it close to the limit: the unthrottled export's time (its reading and building) plus well under
    // twice the time the limit allows.
    let floor = (*most as f64 - LIMIT) / LIMIT;
    let allowed = *most as f64 / LIMIT;
    assert!(
        took.as_secs_f64() >= floor
            && took.as_secs_f64() < calm_took.as_secs_f64() + 2.0 * allowed + 2.0,
        "{took:?} for {most} requests of {busiest} at {LIMIT}/s ({calm_took:?} unthrottled)"
    );
}

/// Heavy random throttling (30% of all requests answered 429 with `Retry-After: 1`): the export completes with
/// the same files; each 429 is followed by exactly one retry, so the 429s are close to 30% of the requests, not
/// a multiple; and the time is what the `Retry-After` waits make it.
#[tokio::test]
async fn an_export_under_heavy_random_429s_is_identical_without_a_burst_of_retries() {
    const SPEC: &str = "jobs=500,clusters=20,pools=4,policies=4";
    const RATE: f64 = 0.3;
    let calm = emulator(SPEC, None, &[]).await;
    let (expected, calm_took) = export(&calm).await;
    let calm_requests = calm.request_count();

    let throttled = emulator(SPEC, None, &["429:0.3"]).await;
    let (files, took) = export(&throttled).await;
    assert!(
        files == expected,
        "the files differ from the unthrottled export"
    );
    let injected = throttled.faults_injected();
    let refused = injected.get("429").copied().unwrap_or(0);
    let requests = throttled.request_count();
    assert!(refused > 0, "the faults fired: {injected:?}");
    assert_eq!(injected.len(), 1, "{injected:?}");
    // Exactly one retry per 429: the requests are the unthrottled export's plus one per 429.
    assert_eq!(requests, calm_requests + refused);
    let share = refused as f64 / requests as f64;
    assert!(
        (RATE - 0.1..RATE + 0.1).contains(&share),
        "{refused} of {requests} requests answered 429"
    );
    // Each 429 holds its family for its Retry-After (1 s): the jobs listing, one page after the other, waits
    // at least a second per 429 it met; and the whole export takes no longer than every 429's wait one after
    // the other (families wait side by side, and in-flight siblings' waits overlap), plus the unthrottled
    // export's time.
    let on_jobs_list = throttled
        .faults_injected_on("GET /api/2.2/jobs/list")
        .get("429")
        .copied()
        .unwrap_or(0);
    assert!(on_jobs_list > 0, "{:?}", throttled.requests_by_path());
    let per_wait = Duration::from_secs(1);
    assert!(
        took >= per_wait * on_jobs_list as u32
            && took < calm_took + per_wait.mul_f64(1.1) * refused as u32 + Duration::from_secs(2),
        "{took:?} for {refused} 429s, {on_jobs_list} of them on jobs/list ({calm_took:?} unthrottled)"
    );
}

/// The emulator's limit as a client meets it: a bucket of one second's worth per endpoint family, then 429
/// `REQUEST_LIMIT_EXCEEDED` with a whole-seconds `Retry-After`, counted; requests refused for their credentials
/// take no token.
#[tokio::test]
async fn the_emulator_limits_each_endpoint_family_and_counts_what_it_refuses() {
    let emu = emulator("jobs=3", Some(2.0), &[]).await;
    let http = reqwest::Client::new();
    let get = |path: &'static str, token: &'static str| {
        let request = http
            .get(format!("{}{path}", emu.url()))
            .bearer_auth(token)
            .send();
        async move {
            let resp = request.await.unwrap();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let status = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.unwrap();
            (status, retry_after, body)
        }
    };
    for _ in 0..5 {
        let (status, _, _) = get("/api/2.2/jobs/list", "dapi-wrong").await;
        assert_eq!(status, 403);
    }
    let token = drsync_emulator::DEFAULT_TOKEN;
    for _ in 0..2 {
        assert_eq!(get("/api/2.2/jobs/list", token).await.0, 200);
    }
    let (status, retry_after, body) = get("/api/2.1/jobs/list", token).await;
    assert_eq!(status, 429, "2.1 and 2.2 are one family: {body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(body["error_code"], "REQUEST_LIMIT_EXCEEDED");
    assert_eq!(
        body["message"],
        "list RPC token bucket limit has been exceeded."
    );
    // Another family has its own bucket.
    assert_eq!(get("/api/2.0/instance-pools/list", token).await.0, 200);
    assert_eq!(emu.rate_limited(), 1);
    assert_eq!(emu.rate_limited_on("GET /api/2.1/jobs/list"), 1);
    assert_eq!(emu.rate_limited_on("GET /api/2.2/jobs/list"), 0);
    // Two tokens a second: 600 ms later, one is free again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get("/api/2.2/jobs/list", token).await.0, 200);
}

/// Each endpoint family has its own concurrency limit: with one request in flight allowed, a `clusters/get`
/// the server holds for seconds does not hold up a `jobs/list` page (as one shared limit would: the listing's
/// chain of pages then queued behind every `get` of the clusters, which set the pace of a large export).
#[tokio::test]
async fn a_slow_endpoint_family_does_not_hold_up_another() {
    let emu = emulator(
        "jobs=20,clusters=2,pools=1,policies=1",
        None,
        &["delay=3000:1.0:/api/2.1/clusters/get"],
    )
    .await;
    let client = drsync::api::WorkspaceClient::new(
        "emulator",
        emu.url(),
        drsync::api::Credentials::Pat(drsync::api::Secret::new(drsync_emulator::DEFAULT_TOKEN)),
        drsync::api::ClientOptions {
            max_concurrency: 1,
            ..drsync::api::ClientOptions::default()
        },
    )
    .unwrap();
    let cluster_id = client.list_clusters(&Default::default()).await.unwrap()[0]
        .cluster_id
        .clone();
    let slow = client.get_cluster(&cluster_id);
    let fast = async {
        // Sent once the slow request is on its way (and holds its family's only permit).
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.list_jobs().await.map(|jobs| jobs.len())
    };
    tokio::pin!(slow);
    let jobs = tokio::select! {
        biased;
        jobs = fast => jobs.unwrap(),
        _ = &mut slow => panic!("the jobs listing waited for the held clusters/get"),
    };
    assert_eq!(jobs, 20);
    assert!(slow.await.is_ok());
    assert_eq!(
        emu.faults_injected_on("GET /api/2.1/clusters/get")
            .get("delay"),
        Some(&1),
        "the held request was held"
    );
}
