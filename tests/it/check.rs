//! `drsync check` as a user runs it: a committed export, a DR emulator it was applied to (made passive), and
//! one test per way DR can be not ready; golden files for the text, JSON and Markdown outputs.

use crate::common::{
    drsync, passive_dr, start, unpause, write_dr_config, DrSetup as Setup, Raw, Run, DR_RULES,
};
use drsync_emulator::{EmulatorConfig, Fixtures, DEFAULT_TOKEN};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const ENV: &[(&str, &str)] = &[
    ("PRIMARY_TOKEN", DEFAULT_TOKEN),
    ("DR_TOKEN", DEFAULT_TOKEN),
];

/// The export is committed at 1700000000; "now" is an hour later.
const NOW: &str = "1700003600";

/// Short deadlines, so that an unreachable workspace fails fast.
const CLIENT: &str = "\n[client]\nrate_limit = 0\ndeadline_seconds = 3\nmax_attempts = 2\nrequest_timeout_seconds = 2\n";

/// drsync.toml's lines after the workspaces: the DR rules, quick client settings, `[check]` and `check`.
fn config_extra(check: &str) -> String {
    format!("{DR_RULES}{CLIENT}\n[check]\nmax_sync_age = \"24h\"\n{check}")
}

fn write_config(dir: &Path, primary: &str, dr: &str, check: &str) {
    write_dr_config(dir, primary, dr, &config_extra(check));
}

/// [`passive_dr`] with check's drsync.toml: `customize` changes DR's fixtures before it starts (the catalog,
/// say); the resources in `skip` are not applied.
async fn setup_with(customize: impl FnOnce(&mut Fixtures), skip: &[&str]) -> Setup {
    passive_dr(&config_extra(""), customize, skip).await
}

async fn setup() -> Setup {
    setup_with(|_| {}, &[]).await
}

async fn check(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--now", NOW, "--no-timings"];
    args.extend_from_slice(extra);
    drsync(dir, &args, ENV).await
}

/// The status of every check, by id, from the JSON output.
async fn statuses(dir: &Path) -> (i32, BTreeMap<String, String>, Value) {
    let run = check(dir, &["--format", "json"]).await;
    let json: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let map = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (run.code, map, json)
}

/// Exactly one check fails (`id`), and the exit code says not ready.
async fn only_failure(dir: &Path, id: &str) -> Value {
    let (code, map, json) = statuses(dir).await;
    let failed: Vec<&String> = map
        .iter()
        .filter(|(_, s)| *s == "fail")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(failed, [id], "{json:#}");
    assert_eq!(code, 2, "{json:#}");
    assert_eq!(json["ready"], false);
    json
}

/// The details of one check, line by line, from the JSON output.
fn details(json: &Value, id: &str) -> Vec<String> {
    let check = crate::common::check_named(json, id);
    check["details"]
        .as_array()
        .unwrap_or_else(|| panic!("details of {id}: {check}"))
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn ready_dr_and_golden_files() {
    let s = setup().await;
    let run = check(s.dir.path(), &[]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, map, _) = statuses(s.dir.path()).await;
    assert!(map.values().all(|v| v == "pass"), "{map:?}");
    let host = s.dr.url().to_string();
    let primary = s.primary.url().to_string();
    let branch = branch(s.dir.path());
    let (dr_id, primary_id) = (s.dr.workspace_id(), s.primary.workspace_id());
    let scrub = |t: &str| {
        t.replace(&host, "http://dr")
            .replace(&primary, "http://primary")
            .replace(&format!("workspace id {dr_id}"), "workspace id [dr]")
            .replace(
                &format!("workspace id {primary_id}"),
                "workspace id [primary]",
            )
            .replace(&format!("at {branch}"), "at [branch]")
            .replace(&format!("\"{branch}\""), "\"[branch]\"")
    };
    insta::assert_snapshot!("text_ready", scrub(&run.stdout));
    let json = check(s.dir.path(), &["--format", "json"]).await;
    let value: Value = serde_json::from_str(&json.stdout).unwrap();
    let commit = value["commit"].as_str().unwrap();
    assert_eq!(commit.len(), 40);
    insta::assert_snapshot!(
        "json_ready",
        scrub(&json.stdout).replace(commit, "[commit]")
    );
}

/// The built-in catalog body at `path` of a default emulator, with the entries under `key` whose `field` is
/// `drop` left out.
async fn catalog_without(path: &str, key: &str, field: &str, drop: &str) -> Value {
    let emu = start(EmulatorConfig::default()).await;
    let (_, mut body) = Raw::new(&emu).get(path).await;
    let items = body[key].as_array_mut().unwrap();
    let before = items.len();
    items.retain(|i| i[field] != drop);
    assert_eq!(items.len() + 1, before, "{drop} is in the built-in catalog");
    body
}

fn without(list: &Option<Value>, key: &str, field: &str, drop: &str) -> Option<Value> {
    let mut body = list.clone().unwrap();
    let items = body[key].as_array_mut().unwrap();
    let before = items.len();
    items.retain(|i| i[field] != drop);
    assert_eq!(items.len() + 1, before, "{drop} is in the fixtures");
    Some(body)
}

#[tokio::test]
async fn node_type_missing_in_dr_catalog() {
    let body = catalog_without(
        "/api/2.1/clusters/list-node-types",
        "node_types",
        "node_type_id",
        "m5d.large",
    )
    .await;
    let s = setup_with(|f| f.node_types = Some(body), &[]).await;
    let json = only_failure(s.dir.path(), "region_capacity").await;
    assert_eq!(
        details(&json, "region_capacity"),
        ["node type m5d.large is not in DR's list-node-types (used by databricks_job.donnees_quotidiennes_ete, \
          databricks_job.mega_fanout_130_tasks)"]
    );
}

#[tokio::test]
async fn spark_version_missing_in_dr_catalog() {
    let body = catalog_without(
        "/api/2.1/clusters/spark-versions",
        "versions",
        "key",
        "15.4.x-gpu-ml-scala2.12",
    )
    .await;
    let s = setup_with(|f| f.spark_versions = Some(body), &[]).await;
    let json = only_failure(s.dir.path(), "region_capacity").await;
    assert_eq!(
        details(&json, "region_capacity"),
        [
            "spark version 15.4.x-gpu-ml-scala2.12 is not in DR's spark-versions (used by \
          databricks_job.ml_training_weekly)"
        ]
    );
}

#[tokio::test]
async fn instance_profile_not_registered() {
    let arn = "arn:aws:iam::111111111111:instance-profile/databricks-analytics-role";
    let s = setup_with(
        |f| {
            f.instance_profiles = without(
                &f.instance_profiles,
                "instance_profiles",
                "instance_profile_arn",
                arn,
            )
        },
        &[],
    )
    .await;
    let json = only_failure(s.dir.path(), "region_capacity").await;
    assert_eq!(
        details(&json, "region_capacity"),
        [format!(
            "instance profile {arn} is not registered in DR (used by databricks_cluster.bi_graviton_photon, \
             databricks_cluster.ds_single_node, databricks_cluster.shared_analytics and 2 more)"
        )]
    );
}

#[tokio::test]
async fn secret_scope_missing() {
    // Scopes not exported (only the compute kinds are), so that DR has the scopes made there by hand: all of
    // the primary's but kafka-prod.
    let primary = Fixtures::load(&crate::common::fixtures_dir("primary")).unwrap();
    let extra = config_extra(
        "\n[export]\nresources = [\"jobs\", \"clusters\", \"instance_pools\", \"cluster_policies\"]\n",
    );
    let s = passive_dr(
        &extra,
        |f| f.secret_scopes = without(&primary.secret_scopes, "scopes", "name", "kafka-prod"),
        &[],
    )
    .await;
    let json = only_failure(s.dir.path(), "secrets").await;
    assert_eq!(
        details(&json, "secrets"),
        ["secret scope kafka-prod does not exist in DR (used by databricks_job.kafka_streaming_ingest)"]
    );
}

#[tokio::test]
async fn job_unpaused_in_dr_and_running_cluster_goldens() {
    let s = setup().await;
    unpause(&s.dr, "nightly-sales-etl").await;
    let json = only_failure(s.dir.path(), "passive").await;
    let (_, list) = Raw::new(&s.dr)
        .get("/api/2.2/jobs/list?name=nightly-sales-etl")
        .await;
    let id = &list["jobs"][0]["job_id"];
    assert_eq!(
        details(&json, "passive"),
        [format!(
            "job nightly-sales-etl (databricks_job.nightly_sales_etl, DR id {id}): schedule is UNPAUSED in DR, \
             PAUSED in Git"
        )]
    );

    let host = s.dr.url().to_string();
    let primary = s.primary.url().to_string();
    let scrub = |t: &str| {
        scrub_ids(
            &t.replace(&host, "http://dr")
                .replace(&primary, "http://primary"),
        )
    };
    let run = check(s.dir.path(), &[]).await;
    assert_eq!(run.code, 2, "{run:?}");
    insta::assert_snapshot!("text_not_ready", scrub(&run.stdout));
    let md = s.dir.path().join("check.md");
    let report = format!("markdown={}", md.display());
    let run = check(s.dir.path(), &["--format", "markdown", "--report", &report]).await;
    assert_eq!(run.code, 2, "{run:?}");
    let commit = git2::Repository::open(s.dir.path())
        .unwrap()
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    let scrubbed = scrub(&run.stdout)
        .replace(&commit[..12], "[commit]")
        .replace(&format!("`{}`", branch(s.dir.path())), "`[branch]`");
    insta::assert_snapshot!("markdown_not_ready", scrubbed);
    assert_eq!(
        std::fs::read_to_string(&md).unwrap().trim_end(),
        run.stdout.trim_end()
    );
}

#[tokio::test]
async fn running_cluster_warns() {
    let s = setup().await;
    let raw = Raw::new(&s.dr);
    let (_, list) = raw.get("/api/2.1/clusters/list").await;
    let id = list["clusters"][0]["cluster_id"].clone();
    let (status, body) = raw
        .post("/api/2.1/clusters/start", json!({"cluster_id": id}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (code, map, json) = statuses(s.dir.path()).await;
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(map["passive"], "warn", "{json:#}");
    let name = list["clusters"][0]["cluster_name"].as_str().unwrap();
    assert_eq!(
        details(&json, "passive"),
        [format!(
            "cluster {name} ({}) is RUNNING in DR",
            id.as_str().unwrap()
        )]
    );
    assert!(
        map.iter().all(|(k, v)| k == "passive" || v == "pass"),
        "{map:?}"
    );
}

#[tokio::test]
async fn export_older_than_max_sync_age() {
    let s = setup().await;
    let run = drsync(
        s.dir.path(),
        &["check", "--now", "1700172800", "--format", "json"],
        ENV,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        crate::common::failed_checks(&json),
        ["sync_age"],
        "{json:#}"
    );
    assert_eq!(json["sync_age_seconds"], 172_800);
    assert_eq!(
        details(&json, "sync_age"),
        ["the newest export is 2d old; max_sync_age is 1d: run `drsync export`"]
    );
}

#[tokio::test]
async fn missing_job() {
    let s = setup_with(|_| {}, &["databricks_job.nightly_sales_etl"]).await;
    let json = only_failure(s.dir.path(), "drift").await;
    assert_eq!(
        details(&json, "drift"),
        [
            "missing databricks_job.nightly_sales_etl (nightly-sales-etl): in Git, not in DR",
            "missing databricks_permissions.job_nightly_sales_etl (databricks_job.nightly_sales_etl): in Git, not in DR"
        ]
    );
}

/// Issue 17: a key that a job or cluster reads (`{{secrets/scope/key}}`) but that was never provided in DR fails
/// the check, named with its scope and what reads it; only its name is read.
#[tokio::test]
async fn missing_secret_key() {
    let s = setup().await;
    let raw = Raw::new(&s.dr);
    let (status, body) = raw
        .post(
            "/api/2.0/secrets/delete",
            serde_json::json!({"scope": "kafka-prod", "key": "sasl-password"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let json = only_failure(s.dir.path(), "secrets").await;
    assert_eq!(
        details(&json, "secrets"),
        [
            "secret kafka-prod/sasl-password does not exist in DR (used by \
          databricks_job.kafka_streaming_ingest)"
        ]
    );
    // Key names only: no value is ever asked for (the emulator has no `secrets/get`, so it would show here).
    assert!(
        !s.dr
            .requests_by_path()
            .keys()
            .any(|k| k.contains("secrets/get")),
        "{:?}",
        s.dr.requests_by_path()
    );
}

/// Issue 17: a user that a job runs as, missing in DR, fails the check by name (the job could not run there).
#[tokio::test]
async fn missing_run_as_user() {
    let s = setup_with(
        |dr| {
            let users = dr.users.as_mut().unwrap()["Resources"]
                .as_array_mut()
                .unwrap();
            let before = users.len();
            users.retain(|u| u["userName"] != "ml-platform@example.com");
            assert_eq!(users.len(), before - 1);
        },
        &[],
    )
    .await;
    let json = only_failure(s.dir.path(), "principals").await;
    assert_eq!(
        details(&json, "principals"),
        ["user ml-platform@example.com does not exist in DR (used by databricks_job.ml_training_weekly, \
          databricks_permissions.cluster_ml_gpu_training, databricks_permissions.job_ml_training_weekly)"]
    );
}

/// Issue 17: `[rewrite.principals]` for a group that has another name in DR. The export names the DR group in
/// grants and secret ACLs, applied to a DR that has only that one; check passes and drift shows nothing.
#[tokio::test]
async fn principals_mapped_for_dr() {
    let extra = format!(
        "{}\n[rewrite.principals]\n\"data-engineers\" = \"data-engineers-dr\"\n",
        config_extra("")
    );
    let s = passive_dr(
        &extra,
        |dr| {
            let groups = dr.groups.as_mut().unwrap()["Resources"]
                .as_array_mut()
                .unwrap();
            let group = groups
                .iter_mut()
                .find(|g| g["displayName"] == "data-engineers")
                .unwrap();
            group["displayName"] = json!("data-engineers-dr");
            for p in &mut dr.principals {
                if p["group_name"] == "data-engineers" {
                    p["group_name"] = json!("data-engineers-dr");
                }
            }
        },
        &[],
    )
    .await;
    let files = crate::common::exported_files(s.dir.path());
    assert!(files["permissions.tf"].contains("\"data-engineers-dr\""));
    assert!(files["secret_acls.tf"].contains("\"data-engineers-dr\""));
    let (code, map, json) = statuses(s.dir.path()).await;
    assert!(map.values().all(|v| v == "pass"), "{json:#}");
    assert_eq!(code, 0);
    let drift = drsync(s.dir.path(), &["drift"], ENV).await;
    assert_eq!(drift.code, 0, "{drift:?}");
    assert!(drift.stdout.ends_with("no drift\n"), "{}", drift.stdout);
}

#[tokio::test]
async fn dr_unreachable_is_not_ready_with_the_reason() {
    let s = setup().await;
    write_config(s.dir.path(), s.primary.url(), "http://127.0.0.1:9", "");
    let run = check(s.dir.path(), &[]).await;
    assert_eq!(run.code, 2, "{run:?}");
    // Every line, the connection error's last words (the operating system's) aside: no check is compared
    // against a DR it could not read.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let expected = [
        "✗ DR workspace reachable       unreachable or the credentials do not work",
        "✓ Primary workspace reachable  as emulator@example.com (Emulator User)",
        "✓ Age of the DR copy           1h old (max 1d)",
        "✓ Committed HCL loads          116 resources, 0 variables, every reference resolves",
        "✗ DR matches Git               not checked: the DR workspace is unreachable",
        "✗ Region capacity              not checked: the DR workspace is unreachable",
        "✗ Secret scopes and keys       not checked: the DR workspace is unreachable",
        "✗ Principals exist             not checked: the DR workspace is unreachable",
        "✗ Passive posture              not checked: the DR workspace is unreachable",
        "✗ Code present                 not checked: the DR workspace is unreachable",
        "",
        "✗ DR workspace reachable (fail)",
        "    looked at: GET /api/2.0/preview/scim/v2/Me on http://127.0.0.1:9",
        "    - dr: GET /api/2.0/preview/scim/v2/Me: cannot connect (after 2 attempts): error sending request for \
         url (http://127.0.0.1:9/api/2.0/preview/scim/v2/Me): ",
        "",
        "NOT READY: 7 failed, DR copy 1h old",
    ];
    assert_eq!(lines.len(), expected.len(), "{}", run.stdout);
    for (line, want) in lines.iter().zip(expected) {
        if want.ends_with(": ") {
            assert!(line.starts_with(want), "{line:?}\n{}", run.stdout);
        } else {
            assert_eq!(*line, want, "{}", run.stdout);
        }
    }
}

#[tokio::test]
async fn primary_unreachable_only_warns() {
    let s = setup().await;
    write_config(s.dir.path(), "http://127.0.0.1:9", s.dr.url(), "");
    let (code, map, json) = statuses(s.dir.path()).await;
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(map["primary_reachable"], "warn", "{json:#}");
    let reason = details(&json, "primary_reachable");
    // The connection error's last words are the operating system's.
    assert_eq!(reason.len(), 1, "{reason:?}");
    assert!(
        reason[0].starts_with(
            "primary: GET /api/2.0/preview/scim/v2/Me: cannot connect (after 2 attempts): error sending request \
             for url (http://127.0.0.1:9/api/2.0/preview/scim/v2/Me)"
        ),
        "{reason:?}"
    );
    assert!(
        map.iter()
            .all(|(k, v)| k == "primary_reachable" || v == "pass"),
        "{map:?}"
    );
}

#[tokio::test]
async fn data_freshness_command() {
    let s = setup().await;
    write_config(
        s.dir.path(),
        s.primary.url(),
        s.dr.url(),
        "data_freshness_command = \"echo 3h\"\nmax_data_age = \"1h\"\n",
    );
    let json = only_failure(s.dir.path(), "data_freshness").await;
    assert_eq!(
        details(&json, "data_freshness"),
        ["the latest replicated data is 3h old; max_data_age is 1h"]
    );
    write_config(
        s.dir.path(),
        s.primary.url(),
        s.dr.url(),
        "data_freshness_command = \"echo 600\"\nmax_data_age = \"1h\"\n",
    );
    let (code, map, _) = statuses(s.dir.path()).await;
    assert_eq!(code, 0);
    assert_eq!(map["data_freshness"], "pass");
}

/// The repository's branch (git's default branch name may vary).
fn branch(dir: &Path) -> String {
    git2::Repository::open(dir)
        .unwrap()
        .head()
        .unwrap()
        .shorthand()
        .unwrap()
        .to_string()
}

/// Every `DR id DIGITS` as `DR id [id]`: DR ids are the emulator's.
fn scrub_ids(t: &str) -> String {
    let mut out = String::new();
    let mut rest = t;
    while let Some(i) = rest.find("DR id ") {
        out.push_str(&rest[..i]);
        out.push_str("DR id [id]");
        rest = rest[i + 6..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn hcl_that_does_not_load_fails_and_is_not_compared() {
    let s = setup().await;
    let path = s.dir.path().join("terraform/generated/jobs.tf");
    let jobs = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        jobs.replacen(
            "max_retries",
            "timeout_seconds = var.missing\n    max_retries",
            1,
        ),
    )
    .unwrap();
    let repo = git2::Repository::open(s.dir.path()).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_path(Path::new("terraform/generated/jobs.tf"))
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::new(
        "Test",
        "test@example.com",
        &git2::Time::new(1_700_000_100, 0),
    )
    .unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "hand edit", &tree, &[&parent])
        .unwrap();
    let (code, map, json) = statuses(s.dir.path()).await;
    assert_eq!(code, 2, "{json:#}");
    assert_eq!(map["hcl"], "fail", "{json:#}");
    assert_eq!(
        details(&json, "hcl"),
        ["jobs.tf: databricks_job.backfill_for_each_month.task.for_each_task.task.timeout_seconds: no such key: \
          `missing` in expression `var.missing`"]
    );
    for id in ["drift", "region_capacity", "secrets", "passive", "code"] {
        assert_eq!(map[id], "fail", "{id}: {json:#}");
    }
    for id in ["dr_reachable", "primary_reachable", "sync_age"] {
        assert_eq!(map[id], "pass", "{id}: {json:#}");
    }
    // The previous commit still loads.
    let run = check(s.dir.path(), &["--ref", "HEAD~1"]).await;
    assert_eq!(run.code, 0, "{run:?}");
}

/// A DR workspace drsync cannot even make a client for is a configuration error (exit 1, nothing printed on
/// stdout), not a DR that is "not ready" (exit 2): nothing was checked.
#[tokio::test]
async fn config_error_is_an_error_not_not_ready() {
    let s = setup().await;
    let primary = format!(
        "[workspaces.primary]\nhost = \"{}\"\ntoken_env = \"PRIMARY_TOKEN\"\n",
        s.primary.url()
    );
    let cases = [
        (String::new(), "drsync.toml: no [workspaces.dr] entry"),
        (
            format!("[workspaces.dr]\nhost = \"{}\"\ntoken_env = \"DR_TOKEN_UNSET\"\n", s.dr.url()),
            "workspace `dr`: environment variable DR_TOKEN_UNSET (named by `token_env`) is not set or empty",
        ),
        (
            "[workspaces.dr]\nhost = \"ftp://dr.example.com\"\ntoken_env = \"DR_TOKEN\"\n".to_string(),
            "dr: invalid host `ftp://dr.example.com`: unsupported scheme `ftp`",
        ),
        (
            format!("[workspaces.dr]\nhost = \"{}\"\ntoken_env = \"DR_TOKEN\"\nprofile = \"dr\"\n", s.dr.url()),
            "workspace `dr`: more than one authorization method configured",
        ),
    ];
    for (dr, expected) in cases {
        std::fs::write(
            s.dir.path().join("drsync.toml"),
            format!("{primary}{dr}{DR_RULES}{CLIENT}"),
        )
        .unwrap();
        for format in ["text", "json"] {
            let run = check(s.dir.path(), &["--format", format]).await;
            assert_eq!(run.code, 1, "{dr}: {run:?}");
            assert!(
                run.stderr.starts_with(&format!("error: {expected}")),
                "{expected}: {}",
                run.stderr
            );
            assert_eq!(run.stdout, "", "no report: {run:?}");
        }
    }
    // The same DR, configured, is checked (and ready).
    write_config(s.dir.path(), s.primary.url(), s.dr.url(), "");
    assert_eq!(check(s.dir.path(), &[]).await.code, 0);
}

/// The `METHOD path` requests `emu` received since `before` (a [`drsync_emulator::Emulator::requests_by_path`]).
fn asked_since(
    emu: &drsync_emulator::Emulator,
    before: &BTreeMap<String, u64>,
    request: &str,
) -> u64 {
    emu.requests_by_path().get(request).copied().unwrap_or(0)
        - before.get(request).copied().unwrap_or(0)
}

/// The HCL of the fixtures names 32 workspace paths in 21 distinct folders: 26 notebooks (one in a repo), 4
/// Python files and 2 init scripts, the files named with their extension and the `/Workspace` prefix.
const CODE_EVIDENCE: &str =
    "32 workspace paths (notebooks, Python files, init scripts) in 21 folders, each read with one workspace/list";

/// Code presence comes from one `workspace/list` of each distinct folder, never one request per path: a
/// notebook missing from a folder that exists, and a Python file (`/Workspace/...`, with its extension) whose
/// whole folder is missing, are each named; the repo's notebook and the other `/Workspace`-spelled files are
/// found.
#[tokio::test]
async fn code_presence_from_one_listing_per_folder() {
    let gone = [
        "/Shared/dq/check_b",
        "/Shared/geo",
        "/Shared/geo/build_tiles.py",
    ];
    let s = setup_with(
        |f| {
            f.workspace_objects
                .retain(|o| !gone.contains(&o["path"].as_str().unwrap()))
        },
        &[],
    )
    .await;
    let before = s.dr.requests_by_path();
    let json = only_failure(s.dir.path(), "code").await;
    assert_eq!(
        details(&json, "code"),
        [
            "/Shared/dq/check_b does not exist in DR (used by databricks_job.data_quality_checks)",
            "/Workspace/Shared/geo/build_tiles.py does not exist in DR (used by databricks_job.docker_geo_batch)",
        ]
    );
    let code = crate::common::check_named(&json, "code");
    assert_eq!(code["summary"], "2 workspace paths missing");
    assert_eq!(code["evidence"], json!([CODE_EVIDENCE]));
    assert_eq!(
        asked_since(&s.dr, &before, "GET /api/2.0/workspace/list"),
        21
    );
    assert_eq!(
        asked_since(&s.dr, &before, "GET /api/2.0/workspace/get-status"),
        0
    );
    // The region catalogs are read once, and drift and the passive posture share one DR listing: as many
    // jobs/list pages as `drsync drift` reads, which lists DR once.
    for catalog in [
        "GET /api/2.1/clusters/list-node-types",
        "GET /api/2.1/clusters/spark-versions",
        "GET /api/2.0/instance-profiles/list",
    ] {
        assert_eq!(asked_since(&s.dr, &before, catalog), 1, "{catalog}");
    }
    // The scopes: once with DR's listing (drift compares them) and once for the secrets check, which stands
    // when the listing fails.
    assert_eq!(
        asked_since(&s.dr, &before, "GET /api/2.0/secrets/scopes/list"),
        2
    );
    let jobs_pages = asked_since(&s.dr, &before, "GET /api/2.2/jobs/list");
    let before = s.dr.requests_by_path();
    assert_eq!(
        crate::common::drsync(s.dir.path(), &["drift"], ENV)
            .await
            .code,
        0
    );
    assert_eq!(
        asked_since(&s.dr, &before, "GET /api/2.2/jobs/list"),
        jobs_pages
    );
    assert!(jobs_pages > 0);
}

/// A folder that cannot be listed (here every listing answers 403) decides nothing: its paths are looked up
/// one by one with `workspace/get-status`, which still finds the missing notebook, and the evidence says so.
#[tokio::test]
async fn folders_that_cannot_be_listed_fall_back_to_get_status() {
    let s = setup_with(
        |f| {
            f.workspace_objects
                .retain(|o| o["path"] != "/Shared/dq/check_b")
        },
        &[],
    )
    .await;
    s.dr.set_faults(vec!["403:1.0:/api/2.0/workspace/list".parse().unwrap()]);
    let before = s.dr.requests_by_path();
    let json = only_failure(s.dir.path(), "code").await;
    assert_eq!(
        details(&json, "code"),
        ["/Shared/dq/check_b does not exist in DR (used by databricks_job.data_quality_checks)"]
    );
    let evidence = &crate::common::check_named(&json, "code")["evidence"];
    assert_eq!(
        evidence[0],
        "32 workspace paths (notebooks, Python files, init scripts) in 21 folders, none of which could be read \
         with workspace/list"
    );
    let fallback = evidence[1].as_str().unwrap();
    assert!(
        fallback.starts_with(
            "32 paths looked up one by one with workspace/get-status (their folder could not be listed: \
             /Repos/dmitri.ivanov@example.com/churn-model/notebooks: dr: GET /api/2.0/workspace/list failed \
             with HTTP 403 PERMISSION_DENIED: Injected fault: permission denied."
        ) && fallback.ends_with("; and 18 more)"),
        "{fallback}"
    );
    assert_eq!(
        asked_since(&s.dr, &before, "GET /api/2.0/workspace/list"),
        21
    );
    assert_eq!(
        asked_since(&s.dr, &before, "GET /api/2.0/workspace/get-status"),
        32
    );
    assert_eq!(
        s.dr.faults_injected_on("GET /api/2.0/workspace/list")["403"],
        21
    );

    // Listings that answer again decide again, with no lookup per path.
    s.dr.set_faults(Vec::new());
    let before = s.dr.requests_by_path();
    let json = only_failure(s.dir.path(), "code").await;
    assert_eq!(
        crate::common::check_named(&json, "code")["evidence"],
        json!([CODE_EVIDENCE])
    );
    assert_eq!(
        asked_since(&s.dr, &before, "GET /api/2.0/workspace/get-status"),
        0
    );
}
