//! The commands as a user runs them when a workspace cannot be read (issue 14): `drift` and `check` against a
//! DR whose listings fail (HTTP 500, bodies cut off) exit 1, never 0 or 2; every command gives up when its
//! overall deadline passes, naming the deadline and the endpoint it was waiting on, with nothing written or
//! committed; and an export skips, with a warning, a job or cluster deleted while it was read.

use crate::common::{
    drsync, exported_files, fixtures_dir, passive_dr, start, write_dr_config, DrSetup as Setup,
    Raw, Run, COMMIT_ENV, DR_RULES,
};
use drsync_emulator::{Change, Emulator, EmulatorConfig, Fault, Fixtures, DEFAULT_TOKEN};
use serde_json::{json, Value};
use std::path::Path;

const ENV: &[(&str, &str)] = &[
    ("PRIMARY_TOKEN", DEFAULT_TOKEN),
    ("DR_TOKEN", DEFAULT_TOKEN),
    ("GIT_COMMITTER_DATE", "@1700000000 +0000"),
];

/// Quick retries, and requests that may wait longer than the deadlines below (so that it is the command's
/// deadline that ends them).
const CLIENT: &str =
    "\n[client]\nrate_limit = 0\nmax_attempts = 2\ndeadline_seconds = 20\nrequest_timeout_seconds = 30\n";

/// The export is committed at 1700000000; "now" is an hour later.
const NOW: &str = "1700003600";

/// A committed export of the fixture primary, applied to a passive DR that holds what the checks look for:
/// drift and check both pass before any fault is injected.
async fn setup() -> Setup {
    passive_dr(&format!("{DR_RULES}{CLIENT}"), |_| {}, &[]).await
}

fn write_config(dir: &Path, primary: &str, dr: &str, client: &str) {
    write_dr_config(dir, primary, dr, &format!("{DR_RULES}{client}"));
}

fn head(dir: &Path) -> git2::Oid {
    git2::Repository::open(dir)
        .unwrap()
        .head()
        .unwrap()
        .target()
        .unwrap()
}

async fn check(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--now", NOW, "--no-timings"];
    args.extend_from_slice(extra);
    drsync(dir, &args, ENV).await
}

fn faults(specs: &[&str]) -> Vec<Fault> {
    specs.iter().map(|f| f.parse().unwrap()).collect()
}

/// The `error:` line of a run.
fn error_line(run: &Run) -> &str {
    run.stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {run:?}"))
}

#[tokio::test]
async fn drift_and_check_exit_1_when_a_dr_listing_fails() {
    let s = setup().await;
    let dir = s.dir.path();
    // Without faults, DR is in sync and ready: whatever differs below is the failing listing's doing.
    let clean = drsync(dir, &["drift"], ENV).await;
    assert_eq!(clean.code, 0, "{clean:?}");
    let ready = check(dir, &[]).await;
    assert_eq!(ready.code, 0, "{ready:?}");

    // A fault's path is a prefix: the clusters/list rules also hit clusters/list-node-types, which the region
    // capacity check reads.
    let jobs_list = &["drift", "passive"][..];
    let clusters_list = &["drift", "region_capacity", "passive"][..];
    let cases = [
        (
            "500:1.0:/api/2.2/jobs/list",
            jobs_list,
            "GET /api/2.2/jobs/list",
            "500",
            "GET /api/2.2/jobs/list failed with HTTP 500 INTERNAL_ERROR: Unexpected error. Please try again later. (after 2 attempts)",
        ),
        (
            "truncate:1.0:/api/2.2/jobs/list",
            jobs_list,
            "GET /api/2.2/jobs/list",
            "truncate",
            "GET /api/2.2/jobs/list: the response is not valid JSON (",
        ),
        (
            "500:1.0:/api/2.1/clusters/list",
            clusters_list,
            "GET /api/2.1/clusters/list",
            "500",
            "GET /api/2.1/clusters/list failed with HTTP 500 INTERNAL_ERROR: Unexpected error. Please try again later. (after 2 attempts)",
        ),
        (
            "truncate:1.0:/api/2.1/clusters/list",
            clusters_list,
            "GET /api/2.1/clusters/list",
            "truncate",
            "GET /api/2.1/clusters/list: the response is not valid JSON (",
        ),
    ];
    for (fault, failing, endpoint, kind, message) in cases {
        s.dr.set_faults(faults(&[fault]));
        let fired = |emu: &Emulator| {
            emu.faults_injected_on(endpoint)
                .get(kind)
                .copied()
                .unwrap_or(0)
        };

        let before = fired(&s.dr);
        let drift = drsync(dir, &["drift", "--format", "json"], ENV).await;
        assert_eq!(drift.code, 1, "{fault}: {drift:?}");
        assert!(
            error_line(&drift).starts_with(&format!("error: dr: {message}")),
            "{fault}: {drift:?}"
        );
        assert_eq!(drift.stdout, "", "{fault}: no report from a partial read");
        assert!(
            fired(&s.dr) >= before + 2,
            "{fault}: the fault fired on every attempt"
        );

        let before = fired(&s.dr);
        let check = check(dir, &["--format", "json"]).await;
        assert_eq!(check.code, 1, "{fault}: {check:?}");
        // Every check that needs the failing listing says it could not read it; the error names the first.
        assert!(
            error_line(&check).starts_with(&format!(
                "error: the drift check could not read the DR workspace (nor could {} more): dr: {message}",
                failing.len() - 1
            )),
            "{fault}: {check:?}"
        );
        assert!(
            check.stderr.contains("hint: DR's readiness is unknown"),
            "{check:?}"
        );
        let report: Value = serde_json::from_str(&check.stdout).unwrap();
        assert_eq!(report["ready"], false);
        assert_eq!(
            crate::common::failed_checks(&report),
            failing,
            "{fault}: {report:#}"
        );
        assert!(fired(&s.dr) >= before + 2, "{fault}: the fault fired");
    }

    // The same workspace answering again is in sync and ready again.
    s.dr.set_faults(Vec::new());
    assert_eq!(drsync(dir, &["drift"], ENV).await.code, 0);
    assert_eq!(check(dir, &[]).await.code, 0);
}

/// A workspace that stops answering: every command gives up when its overall deadline passes (`--deadline`
/// or `[client] command_deadline_seconds`), exit 1, naming the deadline and the endpoint it was waiting on;
/// the export writes and commits nothing.
#[tokio::test]
async fn every_command_gives_up_at_its_deadline() {
    let s = setup().await;
    let dir = s.dir.path();
    let stuck = faults(&["delay=60000:1.0:/api/2.2/jobs/list"]);

    // The primary changed, so an export that finished would write and commit; but its job list never comes.
    let raw = Raw::new(&s.primary);
    let (_, list) = raw.get("/api/2.2/jobs/list?limit=1").await;
    raw.delete_job(&list["jobs"][0]["job_id"]).await;
    let (files, commit) = (exported_files(dir), head(dir));
    s.primary.set_faults(stuck.clone());
    let started = std::time::Instant::now();
    let export = drsync(dir, &["--deadline", "3s", "export"], ENV).await;
    assert_eq!(export.code, 1, "{export:?}");
    assert_eq!(
        error_line(&export),
        "error: primary: GET /api/2.2/jobs/list: the command's deadline of 3s passed while waiting for it"
    );
    assert!(
        export
            .stderr
            .contains("hint: nothing was written: a partial export never replaces a complete one"),
        "{export:?}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(50),
        "it did not wait for the reply"
    );
    assert_eq!(exported_files(dir), files, "nothing written");
    assert_eq!(head(dir), commit, "nothing committed");
    assert_eq!(
        s.primary.faults_injected_on("GET /api/2.2/jobs/list")["delay"],
        1
    );
    s.primary.set_faults(Vec::new());

    // drift, with the deadline from drsync.toml.
    write_config(
        dir,
        s.primary.url(),
        s.dr.url(),
        &format!("{CLIENT}command_deadline_seconds = 3\n"),
    );
    s.dr.set_faults(stuck);
    let drift = drsync(dir, &["drift"], ENV).await;
    assert_eq!(drift.code, 1, "{drift:?}");
    assert_eq!(
        error_line(&drift),
        "error: dr: GET /api/2.2/jobs/list: the command's deadline of 3s passed while waiting for it"
    );
    assert!(
        drift
            .stderr
            .contains("command_deadline_seconds or pass --deadline"),
        "{drift:?}"
    );

    // check: --deadline wins over drsync.toml.
    let check = check(dir, &["--deadline", "2s"]).await;
    assert_eq!(check.code, 1, "{check:?}");
    assert_eq!(
        error_line(&check),
        "error: the drift check could not read the DR workspace (nor could 1 more): dr: GET /api/2.2/jobs/list: the command's deadline of 2s passed while waiting for it"
    );

    // A deadline of nothing is refused, from the command line and from drsync.toml.
    let zero = drsync(dir, &["--deadline", "0", "drift"], ENV).await;
    assert_eq!(zero.code, 1, "{zero:?}");
    assert!(
        zero.stderr
            .contains("must be more than 0: a command with no time at all always fails"),
        "{zero:?}"
    );
    write_config(
        dir,
        s.primary.url(),
        s.dr.url(),
        &format!("{CLIENT}command_deadline_seconds = 0\n"),
    );
    let zero = drsync(dir, &["drift"], ENV).await;
    assert_eq!(zero.code, 1, "{zero:?}");
    assert!(
        error_line(&zero).ends_with(
            "`client.command_deadline_seconds`: must be at least 1: a command with no time at all always fails"
        ),
        "{zero:?}"
    );
}

/// A job cut off by the listing (over 100 tasks) and a cluster, both deleted between the listing and their
/// `get`: the export leaves them out with a warning naming each, instead of failing.
#[tokio::test]
async fn an_export_skips_what_was_deleted_while_it_read() {
    let mut fixtures = Fixtures::load(&fixtures_dir("primary")).unwrap();
    let big_id = 777_000_000_000_001i64;
    let tasks: Vec<Value> = (0..101)
        .map(|t| {
            json!({"task_key": format!("t{t:03}"), "existing_cluster_id": "0923-164208-meows279",
                   "notebook_task": {"notebook_path": format!("/Repos/etl/big/t{t}"), "source": "WORKSPACE"}})
        })
        .collect();
    fixtures.jobs.push(json!({
        "job_id": big_id,
        "created_time": 1_700_000_000_000i64,
        "creator_user_name": "etl@example.com",
        "run_as_user_name": "etl@example.com",
        "settings": {"name": "big-fanout", "format": "MULTI_TASK", "max_concurrent_runs": 1, "tasks": tasks}
    }));
    let primary = start(EmulatorConfig {
        fixtures,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    crate::common::write_config(dir.path(), primary.url(), "[client]\nrate_limit = 0\n");
    primary.change_at("GET /api/2.2/jobs/get", 1, Change::DeleteJob(big_id));
    let gone_cluster = "1002-081530-xq7bd2mn";
    primary.change_at(
        "GET /api/2.1/clusters/get",
        1,
        Change::DeleteCluster(gone_cluster.to_string()),
    );
    let run = drsync(dir.path(), &["export", "--no-commit"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    for expected in [
        format!("  databricks_job \"big-fanout\" (id {big_id}): not exported: it was deleted while the export read it (GET /api/2.2/jobs/get: HTTP 400 INVALID_PARAMETER_VALUE: Job {big_id} does not exist.)"),
        format!("  databricks_cluster \"bob-dev\" (id {gone_cluster}): not exported: it was deleted while the export read it (GET /api/2.1/clusters/get: HTTP 400 INVALID_PARAMETER_VALUE: Cluster {gone_cluster} does not exist)"),
    ] {
        assert!(lines.contains(&expected.as_str()), "{expected}\n{}", run.stdout);
    }
    let files = exported_files(dir.path());
    assert!(!files["jobs.tf"].contains("big-fanout"));
    assert!(!files["clusters.tf"].contains("bob-dev"));
    assert!(files["clusters.tf"].contains("shared-analytics"));
}

/// Issue 14 item 3: a server's error message reaches the user through the error chain; an escape sequence or a
/// raw newline in it must not clear the screen, set the title or forge an `error:` line. A stand-in server on
/// loopback answers every request with HTTP 500 and such a message.
#[test]
fn a_servers_error_message_cannot_forge_terminal_output() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let body = json!({
            "error_code": "INTERNAL_ERROR",
            "message": "\u{1b}[2J\u{1b}]0;pwned\u{7}gone\nerror: forged line\u{202e}",
        })
        .to_string();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    crate::common::write_config(dir.path(), &url, "\n[client]\nmax_attempts = 1\n");
    let run = crate::common::drsync_blocking(
        dir.path(),
        &["export", "--no-commit"],
        crate::common::PRIMARY_ENV,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        !run.stderr.contains(['\u{1b}', '\u{7}', '\u{202e}']),
        "raw control characters reached the terminal: {:?}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(r"\u{1b}[2J\u{1b}]0;pwned\u{7}gone\u{a}error: forged line\u{202e}"),
        "the message is shown, escaped: {:?}",
        run.stderr
    );
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count(),
        1,
        "{:?}",
        run.stderr
    );
}
