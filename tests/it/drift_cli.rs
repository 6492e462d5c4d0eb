//! `drsync drift` as a user runs it: a committed export, a DR emulator it was applied to, exit codes, formats,
//! report files, ignore rules and bad input.

use crate::common::{drsync, fixtures_dir, git_init, start, Raw, COMMIT_ENV};
use crate::drift::DR_RULES;
use drsync::emulator::{Emulator, EmulatorConfig, Fixtures, DEFAULT_TOKEN};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const ENV: &[(&str, &str)] = &[
    ("PRIMARY_TOKEN", DEFAULT_TOKEN),
    ("DR_TOKEN", DEFAULT_TOKEN),
    ("GIT_COMMITTER_DATE", "@1700000000 +0000"),
];

/// A repository with a committed, rewritten export of the fixture primary, and a DR emulator it was applied to.
async fn setup() -> (tempfile::TempDir, Emulator, Emulator) {
    let primary = start(EmulatorConfig {
        fixtures: Fixtures::load(&fixtures_dir("primary")).unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let dr = start(EmulatorConfig {
        seed: 3,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    std::fs::write(
        dir.path().join("drsync.toml"),
        format!(
            "[workspaces.primary]\nhost = \"{}\"\ntoken_env = \"PRIMARY_TOKEN\"\n\n[workspaces.dr]\nhost = \"{}\"\ntoken_env = \"DR_TOKEN\"\n{DR_RULES}",
            primary.url(),
            dr.url()
        ),
    )
    .unwrap();
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(dir.path().join("terraform/generated"))
        .unwrap()
        .flatten()
    {
        files.insert(
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read_to_string(e.path()).unwrap(),
        );
    }
    let config = drsync::tfconfig::load(&files, &[], &BTreeMap::new()).unwrap();
    let client = crate::common::client(dr.url());
    crate::provider::apply(&config, &client).await.unwrap();
    (dir, primary, dr)
}

async fn unpause(dr: &Emulator, name: &str) {
    let raw = Raw::new(dr);
    let (_, list) = raw.get(&format!("/api/2.2/jobs/list?name={name}")).await;
    let id = list["jobs"][0]["job_id"].clone();
    let (_, job) = raw.get(&format!("/api/2.1/jobs/get?job_id={id}")).await;
    let mut schedule = job["settings"]["schedule"].clone();
    schedule["pause_status"] = json!("UNPAUSED");
    let (s, _) = raw
        .post(
            "/api/2.2/jobs/update",
            json!({"job_id": id, "new_settings": {"schedule": schedule}}),
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn exit_codes_formats_and_reports() {
    let (dir, _primary, dr) = setup().await;
    let clean = drsync(dir.path(), &["drift"], ENV).await;
    assert_eq!(clean.code, 0, "{clean:?}");
    assert!(clean.stdout.contains("no drift"), "{}", clean.stdout);

    unpause(&dr, "nightly-sales-etl").await;
    let html = dir.path().join("drift.html");
    let report = format!("html={}", html.display());
    let run = drsync(
        dir.path(),
        &["drift", "--format", "json", "--report", &report],
        ENV,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["summary"]["critical"], 1);
    assert_eq!(json["findings"][0]["kind"], "changed");
    assert_eq!(json["findings"][0]["severity"], "critical");
    assert_eq!(
        json["findings"][0]["fields"][0]["path"],
        "schedule.pause_status"
    );
    let branch = git2::Repository::open(dir.path())
        .unwrap()
        .head()
        .unwrap()
        .shorthand()
        .unwrap()
        .to_string();
    assert_eq!(
        json["source"]["git_ref"],
        json!(branch),
        "the configured branch by default"
    );
    assert_eq!(json["source"]["commit"].as_str().map(str::len), Some(40));
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("nightly_sales_etl"));

    for format in ["text", "markdown", "junit", "html"] {
        let run = drsync(dir.path(), &["drift", "--format", format], ENV).await;
        assert_eq!(run.code, 2, "{format}: {run:?}");
        assert!(
            run.stdout.contains("nightly_sales_etl"),
            "{format}: {}",
            run.stdout
        );
    }

    // Accept today's drift as the baseline: then no drift.
    let baseline = dir.path().join(".drsyncignore");
    let run = drsync(
        dir.path(),
        &["drift", "--write-ignore", baseline.to_str().unwrap()],
        ENV,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(std::fs::read_to_string(&baseline)
        .unwrap()
        .contains("databricks_job.nightly_sales_etl.schedule.pause_status"));
    let run = drsync(dir.path(), &["drift"], ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
}

#[tokio::test]
async fn bad_hcl_and_unknown_variables_are_errors() {
    let (dir, _primary, _dr) = setup().await;
    let gen = dir.path().join("terraform/generated");
    let jobs = std::fs::read_to_string(gen.join("jobs.tf")).unwrap();
    std::fs::write(
        gen.join("jobs.tf"),
        jobs.replacen("name = ", "name = = ", 1),
    )
    .unwrap();
    let run = drsync(dir.path(), &["drift", "--worktree"], ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("jobs.tf:"),
        "file, line and column: {}",
        run.stderr
    );
    std::fs::write(
        gen.join("jobs.tf"),
        jobs.replacen(
            "max_retries",
            "timeout_seconds = var.missing\n    max_retries",
            1,
        ),
    )
    .unwrap();
    let run = drsync(dir.path(), &["drift", "--worktree"], ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("missing"), "{}", run.stderr);
    // Git, not the work tree, is the default: the committed HCL is fine.
    let run = drsync(dir.path(), &["drift"], ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let _ = Path::new("");
}

/// CI runners check out a detached commit: drift reads it; export refuses before reading anything.
#[tokio::test]
async fn a_detached_head_can_be_read_but_not_exported_to() {
    let (dir, _primary, _dr) = setup().await;
    let repo = git2::Repository::open(dir.path()).unwrap();
    let head = repo.head().unwrap().target().unwrap();
    repo.set_head_detached(head).unwrap();
    let run = drsync(dir.path(), &["drift", "--format", "json"], ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["source"]["git_ref"], "HEAD");
    let run = drsync(dir.path(), &["export"], ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("[git] branch"), "{}", run.stderr);
}

/// Issue 14, defect 1 (a false READY): a committed `.tf` file that is not UTF-8 text was skipped, so with every
/// DR job deleted drift said "no drift" and check "READY". It is an error naming the file, exit 1.
#[tokio::test]
async fn a_committed_file_that_is_not_text_is_an_error_not_a_skip() {
    let (dir, _primary, _dr) = setup().await;
    let repo = git2::Repository::open(dir.path()).unwrap();
    let jobs = dir.path().join("terraform/generated/jobs.tf");
    let mut bytes = std::fs::read(&jobs).unwrap();
    bytes.extend_from_slice(b"\n# \xff\xfe not UTF-8\n");
    std::fs::write(&jobs, bytes).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_path(Path::new("terraform/generated/jobs.tf"))
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig =
        git2::Signature::new("t", "t@example.com", &git2::Time::new(1_700_000_100, 0)).unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "corrupt", &tree, &[&parent])
        .unwrap();
    for command in ["drift", "check"] {
        let run = drsync(dir.path(), &[command], ENV).await;
        assert_eq!(run.code, 1, "{command}: {run:?}");
        assert!(
            run.stderr.contains("jobs.tf") && run.stderr.contains("not UTF-8"),
            "{command}: {run:?}"
        );
    }
}
