//! `drsync drift` as a user runs it: a committed export, a DR emulator it was applied to, exit codes, formats,
//! report files, ignore rules and bad input.

use crate::common::{
    drsync, exported_files, git_init, start, start_fixture_primary, unpause, write_dr_config,
    COMMIT_ENV, DR_RULES,
};
use drsync_emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};
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
    let primary = start_fixture_primary().await;
    let dr = start(EmulatorConfig {
        fixtures: crate::common::dr_of_primary(),
        seed: 3,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_dr_config(dir.path(), primary.url(), dr.url(), DR_RULES);
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let files = exported_files(dir.path());
    let config = drsync::tfconfig::load(&files, &[], &BTreeMap::new()).unwrap();
    let client = crate::common::client(dr.url());
    crate::provider::apply(&config, &client).await.unwrap();
    (dir, primary, dr)
}

#[tokio::test]
async fn exit_codes_formats_and_reports() {
    let (dir, _primary, dr) = setup().await;
    let clean = drsync(dir.path(), &["drift"], ENV).await;
    assert_eq!(clean.code, 0, "{clean:?}");
    // The summary's total line and the verdict, whole (the header names the temporary workspace and commit).
    assert!(
        clean.stdout.ends_with(
            "\ntotal                          116   116      116        0          0        0          0\n\
             coverage   100.0% of live objects are managed by the HCL\n\nno drift\n"
        ),
        "{}",
        clean.stdout
    );

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
    assert_eq!(
        json["findings"].as_array().map(Vec::len),
        Some(1),
        "{json:#}"
    );
    let finding = &json["findings"][0];
    assert_eq!(
        finding["fields"],
        json!([{"path": "schedule.pause_status", "expected": "PAUSED", "actual": "UNPAUSED",
                "severity": "critical"}])
    );
    assert_eq!(finding["resource_type"], "databricks_job");
    assert_eq!(finding["label"], "nightly_sales_etl");
    assert_eq!(finding["name"], "nightly-sales-etl");
    assert_eq!(finding["kind"], "changed");
    assert_eq!(finding["severity"], "critical");
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

    // Each format's lines about the finding, whole: the resource and the one field that changed.
    let mut got = Vec::new();
    for format in ["text", "markdown", "junit", "html"] {
        let run = drsync(dir.path(), &["drift", "--format", format], ENV).await;
        assert_eq!(run.code, 2, "{format}: {run:?}");
        let lines: Vec<String> = run
            .stdout
            .lines()
            .filter(|l| l.contains("nightly_sales_etl") || l.contains("pause_status"))
            // The job's grants are in sync: JUnit lists them as a passing test case.
            .filter(|l| !l.contains("<testcase classname=\"databricks_permissions\""))
            .map(str::to_string)
            .collect();
        got.push((format, lines));
    }
    let live_id = json["findings"][0]["live_id"].as_str().unwrap();
    let diff = |prefix: &str| {
        [
            format!("{prefix}--- git/databricks_job.nightly_sales_etl"),
            format!("{prefix}+++ dr/databricks_job.nightly_sales_etl"),
            format!("{prefix}-    pause_status           = \"PAUSED\""),
            format!("{prefix}+    pause_status           = \"UNPAUSED\""),
        ]
    };
    let expected: Vec<(&str, Vec<String>)> = vec![
        (
            "text",
            [
                "~ databricks_job.nightly_sales_etl (changed, critical)".to_string(),
                "    schedule.pause_status: \"PAUSED\" -> \"UNPAUSED\" (critical)".to_string(),
            ]
            .into_iter()
            .chain(diff("    "))
            .collect(),
        ),
        (
            "markdown",
            [
                format!(
                    "`~` **changed, critical** <code>databricks_job.nightly_sales_etl</code> (name \
                     <code>nightly-sales-etl</code>, live id <code>{live_id}</code>): 1 field differs"
                ),
                "<details><summary>Changes to <code>databricks_job.nightly_sales_etl</code></summary>"
                    .to_string(),
                "| <code>schedule.pause_status</code> | <code>\"PAUSED\"</code> | <code>\"UNPAUSED\"</code> | \
                 **critical** |"
                    .to_string(),
            ]
            .into_iter()
            .chain(diff(""))
            .collect(),
        ),
        (
            "junit",
            [
                "    <testcase classname=\"databricks_job\" name=\"nightly_sales_etl\">".to_string(),
                "      <failure message=\"changed (critical): schedule.pause_status\" type=\"critical\">~ \
                 databricks_job.nightly_sales_etl (changed, critical)"
                    .to_string(),
                "  schedule.pause_status: \"PAUSED\" -&gt; \"UNPAUSED\" (critical)".to_string(),
            ]
            .into_iter()
            .chain(diff("  "))
            .collect(),
        ),
        (
            "html",
            vec![
                "<h4><span class=\"marker\">~</span> <code>databricks_job.nightly_sales_etl</code> <span \
                 class=\"badge changed\">changed</span> <span class=\"badge critical\">critical</span></h4>"
                    .to_string(),
                "<tr><td><code>schedule.pause_status</code></td><td><code>&quot;PAUSED&quot;</code></td><td>\
                 <code>&quot;UNPAUSED&quot;</code></td><td><span class=\"sev critical\">critical</span></td></tr>"
                    .to_string(),
                "<tr><td class=\"num del\">130</td><td class=\"del\">    pause_status           = <span \
                 class=\"hl\">&quot;PAUSED&quot;</span></td><td class=\"num ins\">130</td><td class=\"ins\">    \
                 pause_status           = <span class=\"hl\">&quot;UNPAUSED&quot;</span></td></tr>"
                    .to_string(),
            ],
        ),
    ];
    pretty_assertions::assert_eq!(got, expected);

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
    assert_eq!(
        run.stderr,
        "error: jobs.tf:4:10: invalid HCL: invalid expression; expected `\"`, `[`, `{`, `-`, `!`, `(`, `_`, `<`, \
         letter or digit\n",
        "file, line, column and reason"
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
    assert_eq!(
        run.stderr,
        "error: jobs.tf: databricks_job.backfill_for_each_month.task.for_each_task.task.timeout_seconds: no such \
         key: `missing` in expression `var.missing`\n"
    );
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
    assert_eq!(
        run.stderr,
        format!(
            "error: {}: HEAD is detached; set `branch` in [git] to the branch exports go to\n\
             hint: set [git] branch in drsync.toml, or check out a branch\n",
            dir.path().display()
        )
    );
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
    let corrupt = repo
        .commit(Some("HEAD"), &sig, &sig, "corrupt", &tree, &[&parent])
        .unwrap();
    for command in ["drift", "check"] {
        let run = drsync(dir.path(), &[command], ENV).await;
        assert_eq!(run.code, 1, "{command}: {run:?}");
        assert_eq!(
            run.stderr,
            format!(
                "error: jobs.tf in commit {corrupt} is not UTF-8 text; drsync reads every .tf, .tfvars and .json \
                 file of the export folder or none\n"
            ),
            "{command}"
        );
    }
}
