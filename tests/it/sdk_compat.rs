//! The official Databricks Python SDK (`databricks-sdk`) against the emulator, through `tests/sdk_compat.py`:
//! whatever the SDK sends must round-trip, with PAT and OAuth M2M auth. Also checks that `fixtures/primary`
//! loads and serves what its files hold.
//!
//! CI installs the SDK. A missing SDK fails the test with the install hint, and the test is never skipped.

use crate::common::{fixtures_dir, start, start_with, Raw};
use drsync_emulator::{EmulatorConfig, Fixtures};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

const TOKEN: &str = "dapi-sdk-compat-0123456789abcdef";
const CLIENT_ID: &str = "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab";
const CLIENT_SECRET: &str = "dose-sdk-compat-0123456789abcdef";

/// The Python interpreter to run the script with, and the site directory that holds `databricks.sdk`.
struct Sdk {
    python: PathBuf,
    site: PathBuf,
}

/// Find the interpreter and the SDK in the caller's environment, before the test swaps HOME.
/// Panics with the install hint when the SDK is missing.
fn find_sdk() -> Sdk {
    let probe = "import os, sys\nimport databricks.sdk as s\nprint(sys.executable)\n\
                 print(os.path.dirname(os.path.dirname(os.path.dirname(s.__file__))))";
    let out = Command::new("python3")
        .args(["-c", probe])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 ({e}); install Python 3 and run `pip install databricks-sdk`"
            )
        });
    assert!(
        out.status.success(),
        "the Databricks Python SDK is not importable: run `pip install databricks-sdk`\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut lines = text.lines();
    let python = PathBuf::from(lines.next().unwrap_or("python3").trim());
    let site = PathBuf::from(lines.next().unwrap_or_default().trim());
    Sdk { python, site }
}

/// What one run of the script produced.
struct Run {
    label: &'static str,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn passed(&self) -> bool {
        let last = self.stdout.lines().last().unwrap_or_default();
        self.status.success() && last.ends_with(" passed, 0 failed")
    }

    fn report(&self) -> String {
        let status = self.status;
        format!(
            "--- sdk_compat.py ({}) exited: {status}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.label, self.stdout, self.stderr
        )
    }
}

/// Run `tests/sdk_compat.py` against `url` with only the given DATABRICKS_* variables, a fresh HOME and a
/// config file that does not exist.
fn run_script(sdk: &Sdk, label: &'static str, url: &str, vars: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().expect("temp HOME");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk_compat.py");
    let mut cmd = Command::new(&sdk.python);
    cmd.arg(&script)
        .current_dir(home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().to_string();
        if key.starts_with("DATABRICKS_") || key.starts_with("ARM_") || key == "GOOGLE_CREDENTIALS"
        {
            cmd.env_remove(&key);
        }
    }
    let python_path = match std::env::var_os("PYTHONPATH") {
        Some(p) if !p.is_empty() => {
            let mut paths = vec![sdk.site.clone()];
            paths.extend(std::env::split_paths(&p));
            std::env::join_paths(paths).expect("PYTHONPATH joins")
        }
        _ => sdk.site.clone().into_os_string(),
    };
    cmd.env("HOME", home.path())
        .env("PYTHONPATH", python_path)
        .env("PYTHONUNBUFFERED", "1")
        .env(
            "DATABRICKS_CONFIG_FILE",
            home.path().join("no-such-databrickscfg"),
        )
        .env("DATABRICKS_HOST", url);
    for (key, value) in vars {
        cmd.env(key, value);
    }
    let mut child = cmd.spawn().expect("sdk_compat.py starts");
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    // No wall-clock bound: every wait of the script is bounded by the SDK's own timeouts (`WAIT`,
    // `retry_timeout_seconds`, `http_timeout_seconds` in the script), so it ends, however slow the machine.
    let status = child.wait().expect("wait for sdk_compat.py");
    Run {
        label,
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// The SDK creates, lists, gets, updates and deletes jobs, clusters, pools and policies on the emulator.
/// Python runs on a blocking thread while the emulator serves on the runtime's workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_round_trips_against_the_emulator() {
    let sdk = find_sdk();
    let emu = start(EmulatorConfig {
        tokens: vec![TOKEN.to_string()],
        clients: vec![(CLIENT_ID.to_string(), CLIENT_SECRET.to_string())],
        ..EmulatorConfig::default()
    })
    .await;
    let url = emu.url().to_string();
    let (pat, m2m) = tokio::task::spawn_blocking(move || {
        let pat = run_script(&sdk, "PAT", &url, &[("DATABRICKS_TOKEN", TOKEN)]);
        let m2m = run_script(
            &sdk,
            "OAuth M2M",
            &url,
            &[
                ("DATABRICKS_CLIENT_ID", CLIENT_ID),
                ("DATABRICKS_CLIENT_SECRET", CLIENT_SECRET),
            ],
        );
        (pat, m2m)
    })
    .await
    .expect("script runner thread");
    assert!(
        pat.passed() && m2m.passed(),
        "the Databricks SDK did not round-trip against the emulator\n{}\n{}",
        pat.report(),
        m2m.report()
    );
}

/// Every page of a list endpoint, following `next_page_token`; `key` is the array to collect.
async fn all_pages(raw: &Raw, path: &str, key: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &token {
            Some(t) => format!("{path}{sep}page_token={t}"),
            None => path.to_string(),
        };
        let (status, body) = raw.get(&url).await;
        assert_eq!(status, 200, "GET {url}: {body}");
        items.extend(body[key].as_array().cloned().unwrap_or_default());
        match body["next_page_token"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return items,
        }
    }
    panic!("{path}: more than 100 pages");
}

/// The value of `field` in each item, as a set of strings.
fn ids(items: &[Value], field: &str) -> BTreeSet<String> {
    items
        .iter()
        .map(|v| match &v[field] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// `fixtures/primary` loads, and the emulator serves exactly its objects through the list endpoints.
#[tokio::test]
async fn primary_fixtures_load_and_serve_every_object() {
    let fixtures = Fixtures::load(&fixtures_dir("primary")).expect("fixtures/primary loads");
    assert_eq!(fixtures.jobs.len(), 31, "jobs.json");
    assert_eq!(fixtures.clusters.len(), 12, "clusters.json");
    assert_eq!(fixtures.instance_pools.len(), 5, "instance_pools.json");
    assert_eq!(fixtures.cluster_policies.len(), 5, "cluster_policies.json");
    assert_eq!(fixtures.sql_warehouses.len(), 3, "sql_warehouses.json");
    assert_eq!(fixtures.pipelines.len(), 2, "pipelines.json");
    assert!(fixtures.instance_profiles.is_some() && fixtures.secret_scopes.is_some());
    assert_eq!(
        fixtures.cluster_libraries.len(),
        6,
        "cluster_libraries.json"
    );
    assert!(!fixtures.workspace_objects.is_empty());
    let want_jobs = ids(&fixtures.jobs, "job_id");
    let want_clusters = ids(&fixtures.clusters, "cluster_id");
    let want_pools = ids(&fixtures.instance_pools, "instance_pool_id");
    let want_policies = ids(&fixtures.cluster_policies, "policy_id");
    let want_warehouses = ids(&fixtures.sql_warehouses, "id");
    let want_pipelines = ids(&fixtures.pipelines, "pipeline_id");
    // Every warehouse and pipeline a job task names is in the fixtures (fixtures/README.md).
    let mut named = (BTreeSet::new(), BTreeSet::new());
    for job in &fixtures.jobs {
        for task in job["settings"]["tasks"].as_array().into_iter().flatten() {
            for kind in ["sql_task", "notebook_task", "dbt_task"] {
                if let Some(id) = task[kind]["warehouse_id"].as_str() {
                    named.0.insert(id.to_string());
                }
            }
            if let Some(id) = task["pipeline_task"]["pipeline_id"].as_str() {
                named.1.insert(id.to_string());
            }
        }
    }
    assert!(
        !named.0.is_empty() && named.0.is_subset(&want_warehouses),
        "{named:?}"
    );
    assert!(
        !named.1.is_empty() && named.1.is_subset(&want_pipelines),
        "{named:?}"
    );
    let all_purpose: BTreeSet<String> = fixtures
        .clusters
        .iter()
        .filter(|c| matches!(c["cluster_source"].as_str(), Some("UI" | "API")))
        .map(|c| c["cluster_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(all_purpose.len(), 8);

    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);

    for limit in [20, 100] {
        let jobs = all_pages(&raw, &format!("/api/2.2/jobs/list?limit={limit}"), "jobs").await;
        assert_eq!(jobs.len(), 31, "jobs/list limit={limit}");
        assert_eq!(ids(&jobs, "job_id"), want_jobs, "jobs/list limit={limit}");
    }
    let expanded = all_pages(
        &raw,
        "/api/2.2/jobs/list?limit=100&expand_tasks=true",
        "jobs",
    )
    .await;
    let big = expanded
        .iter()
        .find(|j| j["settings"]["name"] == "mega-fanout-130-tasks")
        .expect("the 130-task job is listed");
    assert_eq!(big["settings"]["tasks"].as_array().map(Vec::len), Some(100));
    assert_eq!(big["has_more"], Value::Bool(true));

    let mut tasks = Vec::new();
    let mut token = String::new();
    for page in 0.. {
        assert!(page < 5, "jobs/get pages never end");
        let mut url = "/api/2.2/jobs/get?job_id=557382910473625".to_string();
        if !token.is_empty() {
            url.push_str(&format!("&page_token={token}"));
        }
        let (status, body) = raw.get(&url).await;
        assert_eq!(status, 200, "GET {url}: {body}");
        tasks.extend(
            body["settings"]["tasks"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        match body["next_page_token"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_string(),
            _ => break,
        }
    }
    assert_eq!(tasks.len(), 130, "jobs/get pages the 130 tasks");
    assert_eq!(ids(&tasks, "task_key").len(), 130, "no task twice");

    let clusters = all_pages(&raw, "/api/2.1/clusters/list?page_size=5", "clusters").await;
    assert_eq!(ids(&clusters, "cluster_id"), want_clusters, "clusters/list");
    let filtered = all_pages(
        &raw,
        "/api/2.1/clusters/list?filter_by.cluster_sources=UI&filter_by.cluster_sources=API",
        "clusters",
    )
    .await;
    assert_eq!(
        ids(&filtered, "cluster_id"),
        all_purpose,
        "clusters/list filtered to UI and API"
    );

    let (status, pools) = raw.get("/api/2.0/instance-pools/list").await;
    assert_eq!(status, 200, "instance-pools/list: {pools}");
    let pools = pools["instance_pools"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        ids(&pools, "instance_pool_id"),
        want_pools,
        "instance-pools/list"
    );

    let (status, policies) = raw.get("/api/2.0/policies/clusters/list").await;
    assert_eq!(status, 200, "policies/clusters/list: {policies}");
    let policies = policies["policies"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        ids(&policies, "policy_id"),
        want_policies,
        "policies/clusters/list"
    );

    let warehouses = all_pages(&raw, "/api/2.0/sql/warehouses?page_size=2", "warehouses").await;
    assert_eq!(ids(&warehouses, "id"), want_warehouses, "sql/warehouses");
    let pipelines = all_pages(&raw, "/api/2.0/pipelines?max_results=1", "statuses").await;
    assert_eq!(pipelines.len(), 2, "pipelines, a page each");
    assert_eq!(ids(&pipelines, "pipeline_id"), want_pipelines, "pipelines");
    for id in &want_pipelines {
        let (status, got) = raw.get(&format!("/api/2.0/pipelines/{id}")).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["spec"]["id"], Value::String(id.clone()));
    }
}
