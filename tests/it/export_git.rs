//! `drsync export` committing to real repositories in temp folders: one commit per export and only on change,
//! a message that lists exactly the changed resources, nothing else staged, push and rejected push, and
//! `drsync log`.

use crate::common::{drsync, fixtures_dir, git_init, start, write_config, Raw, COMMIT_ENV};
use drsync::emulator::{Emulator, EmulatorConfig, Fixtures};
use serde_json::json;
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
        message.starts_with("drsync: 49 resources added (primary 127.0.0.1"),
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
    let (_, list) = raw.get("/api/2.2/jobs/list?name=nightly-sales-etl").await;
    let job_id = list["jobs"][0]["job_id"].clone();
    let (status, _) = raw
        .post(
            "/api/2.2/jobs/update",
            json!({"job_id": job_id, "new_settings": {"max_concurrent_runs": 3}}),
        )
        .await;
    assert_eq!(status, 200);
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
