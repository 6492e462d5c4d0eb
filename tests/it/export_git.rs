//! `drsync export` committing to real repositories in temp folders: one commit per export and only on change,
//! a message that lists exactly the changed resources, nothing else staged, push and rejected push, and
//! `drsync log`.

use crate::common::{self, drsync, fixtures_dir, git_init, start, write_config, Raw, COMMIT_ENV};
use drsync_emulator::{Emulator, EmulatorConfig, Fixtures, DEFAULT_TOKEN};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

async fn primary() -> Emulator {
    start(EmulatorConfig {
        fixtures: Fixtures::load(&fixtures_dir("primary")).unwrap(),
        ..EmulatorConfig::default()
    })
    .await
}

fn commits(repo: &git2::Repository) -> Vec<(String, String)> {
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    walk.map(|id| {
        let c = repo.find_commit(id.unwrap()).unwrap();
        (c.id().to_string(), c.message().unwrap().to_string())
    })
    .collect()
}

const GIT: &str = "[git]\nauthor = \"DR Bot <dr-bot@example.com>\"\n";

#[tokio::test]
async fn one_commit_per_change_listing_exactly_the_changes() {
    let emu = primary().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = git_init(dir.path());
    write_config(dir.path(), emu.url(), GIT);
    // Unrelated work in progress in the repository: a modified tracked file and an untracked one.
    std::fs::write(dir.path().join("README.md"), "DR configuration, edited\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine\n").unwrap();
    let status_before: Vec<(String, git2::Status)> = statuses(&repo, &["README.md", "notes.txt"]);

    let first = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stdout.contains("committed "), "{}", first.stdout);
    let log = commits(&repo);
    assert_eq!(log.len(), 2);
    let message = &log[0].1;
    assert!(
        message.starts_with("drsync: 116 resources added (primary 127.0.0.1"),
        "{message}"
    );
    assert!(
        message.contains("\n+ databricks_job.nightly_sales_etl\n"),
        "{message}"
    );
    assert!(
        message.contains("\nSource-Workspace: 127.0.0.1:"),
        "{message}"
    );
    assert!(message.contains("Drsync-Version: "), "{message}");
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.author().email().ok(), Some("dr-bot@example.com"));
    assert_eq!(head.time().seconds(), 1_700_000_000);
    // Only the export folder was committed; the user's work is untouched.
    let tree = head.tree().unwrap();
    assert!(tree.get_path(Path::new("notes.txt")).is_err());
    let readme = repo
        .find_blob(tree.get_path(Path::new("README.md")).unwrap().id())
        .unwrap();
    assert_eq!(readme.content(), b"DR configuration\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("README.md")).unwrap(),
        "DR configuration, edited\n"
    );
    assert_eq!(statuses(&repo, &["README.md", "notes.txt"]), status_before);
    assert!(repo
        .status_file(Path::new("terraform/generated/jobs.tf"))
        .unwrap()
        .is_empty());

    // Unchanged: no commit.
    let second = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        second.stdout.contains("no changes") && second.stdout.contains("nothing to commit"),
        "{}",
        second.stdout
    );
    assert_eq!(commits(&repo).len(), 2);

    // One job changed and one policy added in the primary: exactly one commit naming exactly those two.
    let raw = Raw::new(&emu);
    let job_id = raw.job_id("nightly-sales-etl").await;
    raw.update_job(&job_id, json!({"max_concurrent_runs": 3}))
        .await;
    let (status, _) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "dr-drill", "definition": "{\"autotermination_minutes\":{\"type\":\"fixed\",\"value\":30}}"}),
        )
        .await;
    assert_eq!(status, 200);
    let third = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(third.code, 0, "{third:?}");
    let log = commits(&repo);
    assert_eq!(log.len(), 3);
    let changed: Vec<&str> = log[0]
        .1
        .lines()
        .filter(|l| l.starts_with(['+', '~', '-']))
        .collect();
    assert_eq!(
        changed,
        [
            "~ databricks_job.nightly_sales_etl",
            "+ databricks_cluster_policy.dr_drill"
        ]
    );
    assert!(
        log[0]
            .1
            .starts_with("drsync: 1 cluster policy added; 1 job changed (primary "),
        "{}",
        log[0].1
    );

    // drsync log lists the export commits, newest first.
    let history = drsync(dir.path(), &["log"], &[]).await;
    assert_eq!(history.code, 0, "{history:?}");
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", history.stdout);
    assert!(
        lines[0].contains("2023-11-14 22:13 +0000  drsync: 1 cluster policy added; 1 job changed"),
        "{}",
        history.stdout
    );
}

fn statuses(repo: &git2::Repository, paths: &[&str]) -> Vec<(String, git2::Status)> {
    paths
        .iter()
        .map(|p| (p.to_string(), repo.status_file(Path::new(p)).unwrap()))
        .collect()
}

#[tokio::test]
async fn pushes_and_reports_a_rejected_push() {
    let emu = primary().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = git_init(&dir.path().join("work"));
    let bare_path = dir.path().join("remote.git");
    let bare = git2::Repository::init_bare(&bare_path).unwrap();
    let work = dir.path().join("work");
    write_config(
        &work,
        emu.url(),
        &format!("{GIT}remote = \"{}\"\n", bare_path.display()),
    );
    let run = drsync(&work, &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let branch = repo.head().unwrap().shorthand().unwrap().to_string();
    let local = repo.head().unwrap().target().unwrap();
    assert_eq!(
        bare.refname_to_id(&format!("refs/heads/{branch}")).unwrap(),
        local,
        "pushed"
    );

    // Someone else moves the remote branch; the next export's push is rejected, the local commit stays.
    let sig = git2::Signature::new(
        "Other",
        "other@example.com",
        &git2::Time::new(1_700_000_100, 0),
    )
    .unwrap();
    let tree = bare.find_commit(local).unwrap().tree().unwrap();
    let parent = bare.find_commit(local).unwrap();
    bare.commit(
        Some(&format!("refs/heads/{branch}")),
        &sig,
        &sig,
        "elsewhere",
        &tree,
        &[&parent],
    )
    .unwrap();
    let raw = Raw::new(&emu);
    let (status, _) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "dr-drill", "definition": "{}"}),
        )
        .await;
    assert_eq!(status, 200);
    let run = drsync(&work, &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("rejected"), "{}", run.stderr);
    assert!(run.stderr.contains("pull --rebase"), "{}", run.stderr);
    assert_ne!(
        repo.head().unwrap().target().unwrap(),
        local,
        "the local commit is kept"
    );
    assert_eq!(commits(&repo).len(), 3);
}

#[tokio::test]
async fn outside_a_repository_is_a_clear_error_unless_no_commit() {
    let emu = primary().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), emu.url(), "");
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("hint:") && run.stderr.contains("--no-commit"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("terraform").exists());
    let run = drsync(dir.path(), &["export", "--no-commit"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("not committed (--no-commit)"),
        "{}",
        run.stdout
    );
}

/// The text of `resource "TYPE" "LABEL" { ... }` in a file drsync wrote, if it is there.
fn block<'a>(text: &'a str, ty: &str, label: &str) -> Option<&'a str> {
    let start = text.find(&format!("resource \"{ty}\" \"{label}\" {{\n"))?;
    let end = start + text[start..].find("\n}\n")? + 3;
    Some(&text[start..end])
}

fn generated(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir.join("terraform/generated"))
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The lines of a commit message that name resources.
fn listed(message: &str) -> Vec<&str> {
    message
        .lines()
        .filter(|l| l.starts_with(['+', '~', '-', '>']))
        .collect()
}

async fn rename_job(raw: &Raw, from: &str, to: &str) {
    let job_id = raw.job_id(from).await;
    assert!(job_id.is_number(), "{from}: no such job");
    raw.update_job(&job_id, json!({"name": to})).await;
}

async fn rename_cluster(raw: &Raw, from: &str, to: &str) {
    let (_, list) = raw.get("/api/2.1/clusters/list").await;
    let id = list["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cluster_name"] == from)
        .unwrap_or_else(|| panic!("{from}: {list}"))["cluster_id"]
        .clone();
    let (status, body) = raw
        .post(
            "/api/2.1/clusters/update",
            json!({"cluster_id": id, "update_mask": "cluster_name", "cluster": {"cluster_name": to}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

const MOVED_HEADER: &str = "# Generated by drsync. Do not edit: the next export overwrites this file.\n\n\
    # Resources renamed on the primary since they were last applied: Terraform moves each one to its\n\
    # new address and updates it in place, instead of destroying it and creating a new one.\n\n";

/// A rename on the primary is a Terraform move, not a destroy and a create: `moved.tf` says so until the
/// object is gone, chains of renames stay chained, and the summary and the commit message say `renamed`.
#[tokio::test]
async fn a_rename_on_the_primary_moves_the_resource() {
    let emu = primary().await;
    let raw = Raw::new(&emu);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_init(dir.path());
    // The moves of the objects themselves; their grants' labels follow theirs, and move the same way.
    write_config(
        dir.path(),
        emu.url(),
        &format!("{GIT}[export]\nresources = [\"jobs\", \"clusters\", \"instance_pools\", \"cluster_policies\"]\n"),
    );
    let first = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(first.code, 0, "{first:?}");
    let before = generated(dir.path());
    assert!(!before.contains_key("moved.tf"), "no renames, no moved.tf");
    let old_job = block(&before["jobs.tf"], "databricks_job", "nightly_sales_etl")
        .unwrap()
        .to_string();
    let old_cluster = block(
        &before["clusters.tf"],
        "databricks_cluster",
        "shared_analytics",
    )
    .unwrap()
    .to_string();

    // A job and a cluster (which several jobs reference) renamed on the primary.
    rename_job(&raw, "nightly-sales-etl", "nightly-sales-etl-v2").await;
    rename_cluster(&raw, "shared-analytics", "shared-bi").await;
    let second = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(second.code, 0, "{second:?}");
    let files = generated(dir.path());
    assert_eq!(
        files["moved.tf"],
        format!(
            "{MOVED_HEADER}moved {{\n  from = databricks_job.nightly_sales_etl\n  to   = databricks_job.nightly_sales_etl_v2\n}}\n\n\
             moved {{\n  from = databricks_cluster.shared_analytics\n  to   = databricks_cluster.shared_bi\n}}\n"
        )
    );
    // The resources keep their bodies: only the label and the name differ.
    assert_eq!(
        block(&files["jobs.tf"], "databricks_job", "nightly_sales_etl_v2").unwrap(),
        old_job
            .replace("\"nightly_sales_etl\" {", "\"nightly_sales_etl_v2\" {")
            .replace("\"nightly-sales-etl\"", "\"nightly-sales-etl-v2\"")
    );
    assert_eq!(
        block(&files["clusters.tf"], "databricks_cluster", "shared_bi").unwrap(),
        old_cluster
            .replace("\"shared_analytics\" {", "\"shared_bi\" {")
            .replace("\"shared-analytics\"", "\"shared-bi\"")
    );
    assert!(block(&files["jobs.tf"], "databricks_job", "nightly_sales_etl").is_none());
    assert!(!files["jobs.tf"].contains("databricks_cluster.shared_analytics.id"));
    let labels: Value = serde_json::from_str(&files["drsync-labels.json"]).unwrap();
    assert_eq!(
        labels["moved"],
        json!({
            "databricks_cluster": [{"from": "shared_analytics", "to": "shared_bi"}],
            "databricks_job": [{"from": "nightly_sales_etl", "to": "nightly_sales_etl_v2"}],
        })
    );
    // The commit and the summary say renamed: not added and removed, and the jobs that reference the cluster
    // are not changed (after the move, the reference names the same object).
    let log = commits(&repo);
    assert_eq!(log.len(), 3);
    assert!(
        log[0]
            .1
            .starts_with("drsync: 1 cluster renamed; 1 job renamed (primary 127.0.0.1:"),
        "{}",
        log[0].1
    );
    assert_eq!(
        listed(&log[0].1),
        [
            "> databricks_cluster.shared_analytics -> databricks_cluster.shared_bi",
            "> databricks_job.nightly_sales_etl -> databricks_job.nightly_sales_etl_v2",
        ]
    );
    let out = &second.stdout;
    assert!(
        out.contains("(0 added, 0 changed, 0 removed, 1 renamed)")
            && out.contains(
                "  > databricks_job.nightly_sales_etl -> databricks_job.nightly_sales_etl_v2\n"
            )
            && !out.contains("  + ")
            && !out.contains("  - "),
        "{out}"
    );

    // Not applied yet, renamed again: a dry run says so (against the folder), as text and as JSON.
    rename_job(&raw, "nightly-sales-etl-v2", "sales-etl").await;
    let dry = drsync(dir.path(), &["export", "--dry-run"], COMMIT_ENV).await;
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout
            .contains("  > databricks_job.nightly_sales_etl_v2 -> databricks_job.sales_etl\n")
            && dry.stdout.contains("dry run: nothing written"),
        "{}",
        dry.stdout
    );
    let json_run = drsync(
        dir.path(),
        &["export", "--dry-run", "--format", "json"],
        COMMIT_ENV,
    )
    .await;
    assert_eq!(json_run.code, 0, "{json_run:?}");
    let summary: Value = serde_json::from_str(&json_run.stdout).unwrap();
    assert_eq!(
        summary["changes"],
        json!({
            "added": [], "changed": [], "removed": [],
            "renamed": [{
                "from": "databricks_job.nightly_sales_etl_v2",
                "to": "databricks_job.sales_etl",
                "changed": false
            }]
        })
    );
    // The export chains the moves, in order, and keeps the cluster's.
    let third = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(third.code, 0, "{third:?}");
    let files3 = generated(dir.path());
    assert_eq!(
        files3["moved.tf"],
        format!(
            "{MOVED_HEADER}moved {{\n  from = databricks_job.nightly_sales_etl\n  to   = databricks_job.nightly_sales_etl_v2\n}}\n\n\
             moved {{\n  from = databricks_job.nightly_sales_etl_v2\n  to   = databricks_job.sales_etl\n}}\n\n\
             moved {{\n  from = databricks_cluster.shared_analytics\n  to   = databricks_cluster.shared_bi\n}}\n"
        )
    );
    let log = commits(&repo);
    assert_eq!(
        listed(&log[0].1),
        ["> databricks_job.nightly_sales_etl_v2 -> databricks_job.sales_etl"]
    );

    // The renamed job is deleted: its moves go (the object is gone), the cluster's stays.
    raw.delete_job(&raw.job_id("sales-etl").await).await;
    let fourth = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(fourth.code, 0, "{fourth:?}");
    let files4 = generated(dir.path());
    assert_eq!(
        files4["moved.tf"],
        format!(
            "{MOVED_HEADER}moved {{\n  from = databricks_cluster.shared_analytics\n  to   = databricks_cluster.shared_bi\n}}\n"
        )
    );
    let labels: Value = serde_json::from_str(&files4["drsync-labels.json"]).unwrap();
    assert_eq!(
        labels["moved"],
        json!({"databricks_cluster": [{"from": "shared_analytics", "to": "shared_bi"}]})
    );
    let log = commits(&repo);
    assert_eq!(log.len(), 5);
    // (Jobs that ran it now hold its id literally: changed.)
    let lines = listed(&log[0].1);
    assert!(
        lines.contains(&"- databricks_job.sales_etl") && !lines.iter().any(|l| l.starts_with('>')),
        "{lines:?}"
    );

    // Real Terraform agrees: from a state of the first export, never applied since, each later export is an
    // update in place (the deleted job aside), never a destroy and a create.
    terraform_plans_in_place(&before, &[&files, &files3, &files4]).await;
}

/// drsync's resources and moves as a configuration Terraform can plan without any provider: each resource a
/// `terraform_data` named after its address, each move likewise.
fn as_terraform_data(files: &BTreeMap<String, String>) -> String {
    let name = |address: &str| format!("terraform_data.{}", address.replace('.', "__"));
    let mut out = String::new();
    for (file, text) in files {
        if !file.ends_with(".tf") {
            continue;
        }
        for line in text.lines() {
            if let Some(labels) = line
                .strip_prefix("resource \"")
                .and_then(|l| l.strip_suffix("\" {"))
            {
                let (ty, label) = labels.split_once("\" \"").unwrap();
                out.push_str(&format!(
                    "resource \"terraform_data\" \"{ty}__{label}\" {{\n  input = \"x\"\n}}\n"
                ));
            } else if line == "moved {" {
                out.push_str("moved {\n");
            } else if let Some(address) = line.strip_prefix("  from = ") {
                out.push_str(&format!("  from = {}\n", name(address)));
            } else if let Some(address) = line.strip_prefix("  to   = ") {
                out.push_str(&format!("  to   = {}\n}}\n", name(address)));
            }
        }
    }
    out
}

fn terraform(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .expect("terraform runs");
    assert!(
        out.status.success(),
        "terraform {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Apply `first` (as [`as_terraform_data`]), then plan each of `later` against that state: every resource is
/// kept (moved where renamed), and only resources gone from the primary are destroyed.
async fn terraform_plans_in_place(
    first: &BTreeMap<String, String>,
    later: &[&BTreeMap<String, String>],
) {
    if !common::terraform_available() {
        // The moved blocks' shape is checked above, their meaning is not (under CI=true this fails instead).
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::write(dir.join("main.tf"), as_terraform_data(first)).unwrap();
    terraform(dir, &["init", "-input=false", "-no-color"]);
    terraform(
        dir,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    let addresses = |files: &BTreeMap<String, String>| -> std::collections::BTreeSet<String> {
        as_terraform_data(files)
            .lines()
            .filter_map(|l| l.strip_prefix("resource \"terraform_data\" \""))
            .map(|l| format!("terraform_data.{}", l.trim_end_matches("\" {")))
            .collect()
    };
    let applied = addresses(first);
    for files in later {
        std::fs::write(dir.join("main.tf"), as_terraform_data(files)).unwrap();
        terraform(dir, &["plan", "-input=false", "-no-color", "-out=plan"]);
        let shown = terraform(dir, &["show", "-json", "plan"]);
        let plan: Value = serde_json::from_slice(&shown.stdout).unwrap();
        let mut deleted = Vec::new();
        let mut created = Vec::new();
        let mut moved = Vec::new();
        for change in plan["resource_changes"].as_array().unwrap() {
            let address = change["address"].as_str().unwrap().to_string();
            let actions: Vec<&str> = change["change"]["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            if actions.contains(&"delete") {
                deleted.push(address.clone());
            }
            if actions.contains(&"create") {
                created.push(address.clone());
            }
            if let Some(from) = change["previous_address"].as_str() {
                moved.push((from.to_string(), address));
            }
        }
        let now = addresses(files);
        let gone: Vec<String> = applied
            .iter()
            .filter(|a| !now.contains(*a) && !moved.iter().any(|(from, _)| from == *a))
            .cloned()
            .collect();
        assert!(created.is_empty(), "created: {created:?}");
        assert_eq!(deleted, gone, "only what the primary lost is destroyed");
        assert!(!moved.is_empty(), "moved: {moved:?}");
    }
}

/// Drift reads the committed folder, `moved.tf` included: the moves are no resources, and a DR site where
/// Terraform applied them (each object updated in place, under its new name) has no drift.
#[tokio::test]
async fn drift_after_a_rename_reads_moved_tf_and_finds_nothing() {
    let emu = primary().await;
    let dr = start(EmulatorConfig {
        fixtures: crate::common::dr_of_primary(),
        seed: 3,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_config(
        dir.path(),
        emu.url(),
        &format!(
            "[workspaces.dr]\nhost = \"{}\"\ntoken_env = \"DR_TOKEN\"\n",
            dr.url()
        ),
    );
    let env = [
        ("PRIMARY_TOKEN", DEFAULT_TOKEN),
        ("DR_TOKEN", DEFAULT_TOKEN),
        ("GIT_COMMITTER_DATE", "@1700000000 +0000"),
    ];
    let run = drsync(dir.path(), &["export"], &env).await;
    assert_eq!(run.code, 0, "{run:?}");
    let config = drsync::tfconfig::load(&generated(dir.path()), &[], &BTreeMap::new()).unwrap();
    let client = crate::common::client(dr.url());
    crate::provider::apply(&config, &client).await.unwrap();

    for site in [&emu, &dr] {
        let raw = Raw::new(site);
        rename_job(&raw, "nightly-sales-etl", "nightly-sales-etl-v2").await;
        rename_cluster(&raw, "shared-analytics", "shared-bi").await;
    }
    let run = drsync(dir.path(), &["export"], &env).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(generated(dir.path()).contains_key("moved.tf"));
    let drift = drsync(dir.path(), &["drift", "--format", "json"], &env).await;
    assert_eq!(drift.code, 0, "{drift:?}");
    let report: Value = serde_json::from_str(&drift.stdout).unwrap();
    assert_eq!(report["findings"], json!([]), "{}", drift.stdout);
}

/// The export folder's files on disk, bytes, recursively (`a/b` paths), skipping nothing.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let path = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn tree_names(repo: &git2::Repository, under: &str) -> Vec<String> {
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    let mut out = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
        let path = format!("{dir}{}", e.name().unwrap());
        if e.kind() == Some(git2::ObjectType::Blob) {
            if let Some(rest) = path.strip_prefix(under) {
                out.push(rest.to_string());
            }
        }
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    out
}

/// Issue 14 item 8: a `.terraform/` folder (a 2 MB provider binary) and a user's `terraform.tfstate` in the
/// export folder were committed by an export. The export commits only its own files and writes a `.gitignore`
/// for Terraform's working files (merged into the user's); the user's files stay byte-identical and
/// uncommitted (or, when tracked, as committed), and `.terraform.lock.hcl` is left for the user to commit.
#[tokio::test]
async fn the_export_commits_only_its_own_files() {
    let emu = primary().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = git_init(dir.path());
    write_config(dir.path(), emu.url(), GIT);
    let gen = dir.path().join("terraform/generated");
    // The user's folder before the first export: a tracked note, Terraform's working files, a .gitignore.
    std::fs::create_dir_all(gen.join(".terraform/providers")).unwrap();
    std::fs::write(gen.join("OWNERS.md"), "team-dr\n").unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_path(Path::new("terraform/generated/OWNERS.md"))
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig =
        git2::Signature::new("T", "t@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "owners", &tree, &[&parent])
        .unwrap();
    std::fs::write(gen.join("OWNERS.md"), "team-dr, edited\n").unwrap();
    std::fs::write(
        gen.join(".terraform/providers/terraform-provider-databricks"),
        vec![0x7f; 2 << 20],
    )
    .unwrap();
    std::fs::write(
        gen.join("terraform.tfstate"),
        "{\"version\":4,\"secret\":\"s3cr3t\"}\n",
    )
    .unwrap();
    std::fs::write(gen.join("terraform.tfstate.backup"), "{}\n").unwrap();
    std::fs::write(gen.join("crash.log"), "panic\n").unwrap();
    std::fs::write(gen.join("dr.tfplan"), "plan\n").unwrap();
    std::fs::write(gen.join(".terraform.lock.hcl"), "# hashes\n").unwrap();
    std::fs::write(gen.join("notes.md"), "mine\n").unwrap();
    std::fs::write(gen.join(".gitignore"), "*.bak\n.terraform/\n").unwrap();
    let user = |s: &BTreeMap<String, Vec<u8>>| {
        s.iter()
            .filter(|(k, _)| !drsync::export::COMMITTED_FILES.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let user_before = user(&snapshot(&gen));
    assert_eq!(user_before.len(), 8);

    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("committed "), "{}", run.stdout);
    assert_eq!(
        tree_names(&repo, "terraform/generated/"),
        [
            ".gitignore",
            "OWNERS.md",
            "cluster_policies.tf",
            "clusters.tf",
            "drsync-labels.json",
            "instance_pools.tf",
            "jobs.tf",
            "permissions.tf",
            "pipelines.tf",
            "secret_acls.tf",
            "secret_scopes.tf",
            "sql_warehouses.tf",
            "versions.tf"
        ]
    );
    let head = repo.head().unwrap().peel_to_tree().unwrap();
    let blob = |p: &str| {
        let id = head.get_path(Path::new(p)).unwrap().id();
        String::from_utf8(repo.find_blob(id).unwrap().content().to_vec()).unwrap()
    };
    assert_eq!(blob("terraform/generated/OWNERS.md"), "team-dr\n");
    let gitignore = "*.bak\n.terraform/\n\
                     # Added by drsync: Terraform's working files, state and plans stay out of Git.\n\
                     *.tfstate\n*.tfstate.*\ncrash.log\n*.tfplan\n";
    assert_eq!(blob("terraform/generated/.gitignore"), gitignore);
    let after = snapshot(&gen);
    assert_eq!(
        user(&after),
        user_before,
        "the user's files are byte-identical"
    );
    assert_eq!(String::from_utf8_lossy(&after[".gitignore"]), gitignore);
    let status = |p: &str| {
        repo.status_file(&Path::new("terraform/generated").join(p))
            .unwrap()
    };
    assert_eq!(status("OWNERS.md"), git2::Status::WT_MODIFIED);
    assert_eq!(status("notes.md"), git2::Status::WT_NEW);
    // Terraform asks for its lock file to be committed: not ignored, left to the user.
    assert_eq!(status(".terraform.lock.hcl"), git2::Status::WT_NEW);
    for ignored in [
        "terraform.tfstate",
        "terraform.tfstate.backup",
        "crash.log",
        "dr.tfplan",
        ".terraform/providers/terraform-provider-databricks",
    ] {
        assert_eq!(status(ignored), git2::Status::IGNORED, "{ignored}");
    }

    // Again, unchanged: nothing written, nothing committed, the .gitignore as it is.
    let commits_before = commits(&repo).len();
    let again = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again.stdout.contains("nothing to commit"),
        "{}",
        again.stdout
    );
    assert_eq!(commits(&repo).len(), commits_before);
    assert_eq!(snapshot(&gen), after);
}

/// Issue 14 item 8: a user file edited while the export is between staging its files and putting them in place
/// keeps the edit (it used to be copied into the new folder before the edit and swapped back over it), and the
/// export commit leaves it out.
#[tokio::test]
async fn a_user_edit_during_the_swap_is_kept_and_not_committed() {
    let emu = primary().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = git_init(dir.path());
    write_config(dir.path(), emu.url(), GIT);
    let first = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(first.code, 0, "{first:?}");
    let gen = dir.path().join("terraform/generated");
    std::fs::write(gen.join("notes.md"), "v1\n").unwrap();

    // The next export, by hand: built from the folder's files with one job changed, staged, then the edit.
    let mut files: BTreeMap<String, String> = generated(dir.path())
        .into_iter()
        .filter(|(k, _)| drsync::export::MANAGED_FILES.contains(&k.as_str()))
        .collect();
    files.get_mut("jobs.tf").unwrap().push_str("# changed\n");
    let export = drsync::export::Export {
        files,
        resources: Vec::new(),
        warnings: Vec::new(),
        rewrite: Default::default(),
        converted_ahead: 0,
        secrets_to_provide: Vec::new(),
    };
    let staged = drsync::export::stage(&export, &gen).unwrap();
    std::fs::write(gen.join("notes.md"), "v2, saved during the export\n").unwrap();
    let written = staged.swap().unwrap();
    assert!(written.changed);
    assert_eq!(
        std::fs::read_to_string(gen.join("notes.md")).unwrap(),
        "v2, saved during the export\n"
    );
    assert!(std::fs::read_to_string(gen.join("jobs.tf"))
        .unwrap()
        .ends_with("# changed\n"));

    let git = drsync::git::open(&gen, &Default::default()).unwrap();
    let lock = git.lock(std::time::Duration::from_secs(30)).unwrap();
    let author = drsync::git::Author::fallback();
    git.commit(
        &lock,
        drsync::export::COMMITTED_FILES,
        "by hand",
        &author,
        None,
    )
    .unwrap()
    .expect("jobs.tf changed");
    assert!(!tree_names(&repo, "terraform/generated/").contains(&"notes.md".to_string()));
    assert_eq!(
        repo.status_file(Path::new("terraform/generated/notes.md"))
            .unwrap(),
        git2::Status::WT_NEW
    );
}

/// Issue 14 item 9: a stale `.git/refs/heads/BRANCH.lock` (from a killed git) made the export fail with a
/// misleading "branch moved" error after it had written and staged the folder. It fails first, with exit 1, an
/// error naming the lock file and saying what to do, and the folder, the index and the branch as they were.
#[tokio::test]
async fn a_stale_branch_lock_fails_the_export_before_anything_is_written() {
    let emu = primary().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = git_init(dir.path());
    write_config(dir.path(), emu.url(), GIT);
    assert_eq!(drsync(dir.path(), &["export"], COMMIT_ENV).await.code, 0);
    let gen = dir.path().join("terraform/generated");
    // A change on the primary that the next export would write and commit.
    let raw = Raw::new(&emu);
    let job_id = raw.job_id("nightly-sales-etl").await;
    raw.update_job(&job_id, json!({"max_concurrent_runs": 3}))
        .await;
    let branch = repo.head().unwrap().shorthand().unwrap().to_string();
    let stale = repo.path().join(format!("refs/heads/{branch}.lock"));
    std::fs::write(&stale, "").unwrap();
    let files = snapshot(&gen);
    let index = std::fs::read(repo.path().join("index")).unwrap();
    let head = repo.head().unwrap().target();

    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    let lock = stale.canonicalize().unwrap().display().to_string();
    assert!(run.stderr.contains(&lock), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "another git process is running, or one was killed: remove {lock} if none is running"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("moved"), "{}", run.stderr);
    assert_eq!(snapshot(&gen), files, "the folder is as it was");
    assert_eq!(std::fs::read(repo.path().join("index")).unwrap(), index);
    assert_eq!(repo.head().unwrap().target(), head);

    std::fs::remove_file(&stale).unwrap();
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("committed "), "{}", run.stdout);
}
