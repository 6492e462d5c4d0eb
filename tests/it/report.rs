//! Report rendering: every format snapshotted over one realistic drift report whose workspace names are hostile;
//! the JUnit output parsed as XML; Markdown and HTML escaping; the HTML page loaded in headless Chromium.

use drsync::drift::{
    FieldDiff, Finding, FindingKind, Report, Severity, Source, Summary, TypeSummary, REPORT_VERSION,
};
use drsync::report::{self, Format, Options};
use serde_json::json;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A job name written to break out of Markdown and HTML: it closes `<details>`, opens a script, splits table
/// cells and closes code fences.
const HOSTILE: &str = "</details><script>alert(1)</script> | ```rm -rf /``` | `whoami`";

const NIGHTLY_ETL_GIT: &str = r#"resource "databricks_job" "nightly_etl" {
  name                = "Nightly ETL"
  max_concurrent_runs = 1

  job_cluster {
    job_cluster_key = "etl_cluster"

    new_cluster {
      node_type_id = "r5.xlarge"
      num_workers  = 8
      spark_conf = {
        "spark.hadoop.fs.s3a.endpoint" = "https://s3.eu-west-1.amazonaws.com"
      }
      spark_version = "15.4.x-scala2.12"
    }
  }

  schedule {
    pause_status           = "PAUSED"
    quartz_cron_expression = "0 30 2 * * ?"
    timezone_id            = "UTC"
  }

  task {
    task_key        = "load"
    job_cluster_key = "etl_cluster"
    timeout_seconds = 3600

    notebook_task {
      notebook_path = "/Repos/data/etl/load_orders"
      source        = "WORKSPACE"
    }
  }
}
"#;

const NIGHTLY_ETL_DR: &str = r#"resource "databricks_job" "nightly_etl" {
  name                = "Nightly ETL"
  max_concurrent_runs = 1

  job_cluster {
    job_cluster_key = "etl_cluster"

    new_cluster {
      node_type_id = "r5.xlarge"
      num_workers  = 8
      spark_conf = {
        "spark.hadoop.fs.s3a.endpoint" = "https://s3.us-east-1.amazonaws.com"
      }
      spark_version = "15.4.x-scala2.12"
    }
  }

  schedule {
    pause_status           = "UNPAUSED"
    quartz_cron_expression = "0 30 2 * * ?"
    timezone_id            = "UTC"
  }

  task {
    task_key        = "load"
    job_cluster_key = "etl_cluster"

    notebook_task {
      notebook_path = "/Repos/data/etl/load_orders"
      source        = "WORKSPACE"
    }
  }
}
"#;

fn hostile_hcl(owner: &str, on_failure: &[&str]) -> String {
    let emails: Vec<String> = on_failure.iter().map(|e| format!("\"{e}\"")).collect();
    format!(
        r#"resource "databricks_job" "release_notes_bot" {{
  name = "</details><script>alert(1)</script> | ```rm -rf /``` | `whoami`"
  tags = {{
    "team|<b>owner</b>" = "{owner}"
  }}

  email_notifications {{
    on_failure = [{}]
  }}

  task {{
    task_key = "publish"

    notebook_task {{
      notebook_path = "/Shared/release/publish_notes"
    }}
  }}
}}
"#,
        emails.join(", ")
    )
}

const ML_GPU_GIT: &str = r#"resource "databricks_cluster" "ml_gpu_a100" {
  cluster_name            = "ml-gpu-a100"
  spark_version           = "15.4.x-gpu-ml-scala2.12"
  node_type_id            = "p4d.24xlarge"
  autotermination_minutes = 60
  num_workers             = 2

  aws_attributes {
    availability = "ON_DEMAND"
    zone_id      = "eu-west-1a"
  }
}
"#;

const SPOT_POOL_DR: &str = r#"resource "databricks_instance_pool" "spot_r5_xlarge" {
  instance_pool_name                    = "spot-r5.xlarge"
  node_type_id                          = "r5.xlarge"
  min_idle_instances                    = 0
  max_capacity                          = 20
  idle_instance_autotermination_minutes = 15

  aws_attributes {
    availability = "SPOT"
  }
}
"#;

const ORDERS_BACKFILL_GIT: &str = r#"resource "databricks_job" "orders_backfill" {
  name = "orders-backfill"

  task {
    task_key = "backfill"

    notebook_task {
      notebook_path = "/Shared/etl/backfill_orders"
    }
  }
}
"#;

fn counts(desired: usize, live: usize, managed: usize) -> TypeSummary {
    TypeSummary {
        desired,
        live,
        managed,
        ..TypeSummary::default()
    }
}

/// A drift report as the engine would give it: a changed job with a critical field, a changed job with a
/// hostile name, a missing cluster, an unmanaged pool and an ambiguous job.
fn sample() -> Report {
    let mut by_type = BTreeMap::new();
    by_type.insert(
        "databricks_cluster".to_string(),
        TypeSummary {
            missing: 1,
            ..counts(2, 1, 1)
        },
    );
    by_type.insert("databricks_cluster_policy".to_string(), counts(1, 1, 1));
    by_type.insert(
        "databricks_instance_pool".to_string(),
        TypeSummary {
            unmanaged: 1,
            ..counts(1, 2, 1)
        },
    );
    by_type.insert(
        "databricks_job".to_string(),
        TypeSummary {
            changed: 2,
            ambiguous: 1,
            ..counts(4, 5, 3)
        },
    );
    let findings = vec![
        Finding {
            kind: FindingKind::Missing,
            severity: Severity::Drift,
            resource_type: "databricks_cluster".into(),
            label: "ml_gpu_a100".into(),
            name: "ml-gpu-a100".into(),
            live_id: None,
            live_ids: vec![],
            fields: vec![],
            expected_hcl: Some(ML_GPU_GIT.into()),
            actual_hcl: None,
        },
        Finding {
            kind: FindingKind::Unmanaged,
            severity: Severity::Drift,
            resource_type: "databricks_instance_pool".into(),
            label: "spot_r5_xlarge".into(),
            name: "spot-r5.xlarge".into(),
            live_id: Some("0611-093015-cusp12-pool-a7Xk2Lp9".into()),
            live_ids: vec![],
            fields: vec![],
            expected_hcl: None,
            actual_hcl: Some(SPOT_POOL_DR.into()),
        },
        Finding {
            kind: FindingKind::Changed,
            severity: Severity::Critical,
            resource_type: "databricks_job".into(),
            label: "nightly_etl".into(),
            name: "Nightly ETL".into(),
            live_id: Some("1001".into()),
            live_ids: vec![],
            fields: vec![
                FieldDiff {
                    path: r#"job_cluster[etl_cluster].new_cluster.spark_conf."spark.hadoop.fs.s3a.endpoint""#
                        .into(),
                    expected: Some(json!("https://s3.eu-west-1.amazonaws.com")),
                    actual: Some(json!("https://s3.us-east-1.amazonaws.com")),
                    severity: Severity::Drift,
                },
                FieldDiff {
                    path: "schedule.pause_status".into(),
                    expected: Some(json!("PAUSED")),
                    actual: Some(json!("UNPAUSED")),
                    severity: Severity::Critical,
                },
                FieldDiff {
                    path: "task[load].timeout_seconds".into(),
                    expected: Some(json!(3600)),
                    actual: None,
                    severity: Severity::Drift,
                },
            ],
            expected_hcl: Some(NIGHTLY_ETL_GIT.into()),
            actual_hcl: Some(NIGHTLY_ETL_DR.into()),
        },
        Finding {
            kind: FindingKind::Ambiguous,
            severity: Severity::Drift,
            resource_type: "databricks_job".into(),
            label: "orders_backfill".into(),
            name: "orders-backfill".into(),
            live_id: Some("904417256130418".into()),
            live_ids: vec!["904417256130418".into(), "1117583020495561".into()],
            fields: vec![],
            expected_hcl: Some(ORDERS_BACKFILL_GIT.into()),
            actual_hcl: None,
        },
        Finding {
            kind: FindingKind::Changed,
            severity: Severity::Drift,
            resource_type: "databricks_job".into(),
            label: "release_notes_bot".into(),
            name: HOSTILE.into(),
            live_id: Some("2002".into()),
            live_ids: vec![],
            fields: vec![
                FieldDiff {
                    path: "email_notifications.on_failure".into(),
                    expected: Some(json!(["data-oncall@example.com"])),
                    actual: Some(json!(["data-oncall@example.com", "intruder@example.net"])),
                    severity: Severity::Drift,
                },
                FieldDiff {
                    path: r#"tags."team|<b>owner</b>""#.into(),
                    expected: Some(json!("data-platform")),
                    actual: Some(json!("`whoami` <img src=x onerror=alert(2)>")),
                    severity: Severity::Drift,
                },
            ],
            expected_hcl: Some(hostile_hcl("data-platform", &["data-oncall@example.com"])),
            actual_hcl: Some(hostile_hcl(
                "`whoami` <img src=x onerror=alert(2)>",
                &["data-oncall@example.com", "intruder@example.net"],
            )),
        },
    ];
    Report {
        version: REPORT_VERSION,
        source: Source {
            workspace: "dbc-dr-7f3a.cloud.databricks.com".into(),
            git_ref: "main".into(),
            commit: Some("9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f6a7b8c9d0e".into()),
            folder: "databricks".into(),
        },
        summary: Summary {
            by_type,
            critical: 1,
            drifted: true,
            coverage: 6.0 / 9.0,
        },
        findings,
    }
}

fn in_sync() -> Vec<String> {
    [
        "databricks_cluster.shared_analytics",
        "databricks_cluster_policy.dr_default",
        "databricks_instance_pool.general_purpose",
        "databricks_job.weekly_report",
    ]
    .map(String::from)
    .to_vec()
}

/// The same workspace with nothing out of step.
fn clean() -> Report {
    let mut by_type = BTreeMap::new();
    by_type.insert("databricks_cluster".to_string(), counts(1, 1, 1));
    by_type.insert("databricks_job".to_string(), counts(1, 1, 1));
    Report {
        version: REPORT_VERSION,
        source: Source {
            workspace: "dbc-dr-7f3a.cloud.databricks.com".into(),
            git_ref: "worktree".into(),
            commit: None,
            folder: "databricks".into(),
        },
        summary: Summary {
            by_type,
            critical: 0,
            drifted: false,
            coverage: 1.0,
        },
        findings: vec![],
    }
}

fn render(format: Format, report: &Report) -> String {
    report::render(format, report, &Options::default(), &in_sync())
}

#[test]
fn text() {
    insta::assert_snapshot!("text", render(Format::Text, &sample()));
}

#[test]
fn text_no_drift() {
    insta::assert_snapshot!("text_no_drift", render(Format::Text, &clean()));
}

#[test]
fn text_colour_is_an_option() {
    let plain = render(Format::Text, &sample());
    assert!(!plain.contains('\x1b'));
    let coloured = report::render(
        Format::Text,
        &sample(),
        &Options { color: true },
        &in_sync(),
    );
    assert!(coloured.contains("\x1b[31m-    pause_status           = \"PAUSED\"\x1b[0m"));
    assert!(coloured.contains("\x1b[32m+    pause_status           = \"UNPAUSED\"\x1b[0m"));
    assert!(coloured.contains("\x1b[1m~ databricks_job.nightly_etl (changed, critical)\x1b[0m"));
}

/// The JSON report is the documented, versioned schema for programs (README "Drift": `version`, `summary`,
/// `findings[]` with `kind`, `severity`, `resource_type`, `label`, `live_id`, `fields[]`), written out here by
/// hand rather than taken from the report's own serde form: field names, types (numbers as numbers, absent ids as
/// `null`, `live_ids` only for ambiguous findings) and values.
#[test]
fn json() {
    let out = render(Format::Json, &sample());
    assert!(out.ends_with("}\n"));
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let counts = |desired: u64,
                  live: u64,
                  managed: u64,
                  [missing, unmanaged, changed, ambiguous]: [u64; 4]| {
        json!({"desired": desired, "live": live, "managed": managed, "missing": missing,
               "unmanaged": unmanaged, "changed": changed, "ambiguous": ambiguous})
    };
    let expected = json!({
        "version": 1,
        "source": {
            "workspace": "dbc-dr-7f3a.cloud.databricks.com",
            "git_ref": "main",
            "commit": "9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f6a7b8c9d0e",
            "folder": "databricks"
        },
        "summary": {
            "by_type": {
                "databricks_cluster": counts(2, 1, 1, [1, 0, 0, 0]),
                "databricks_cluster_policy": counts(1, 1, 1, [0, 0, 0, 0]),
                "databricks_instance_pool": counts(1, 2, 1, [0, 1, 0, 0]),
                "databricks_job": counts(4, 5, 3, [0, 0, 2, 1])
            },
            "critical": 1,
            "drifted": true,
            "coverage": 0.6666666666666666
        },
        "findings": [
            {
                "kind": "missing", "severity": "drift", "resource_type": "databricks_cluster",
                "label": "ml_gpu_a100", "name": "ml-gpu-a100", "live_id": null, "fields": [],
                "expected_hcl": ML_GPU_GIT, "actual_hcl": null
            },
            {
                "kind": "unmanaged", "severity": "drift", "resource_type": "databricks_instance_pool",
                "label": "spot_r5_xlarge", "name": "spot-r5.xlarge", "live_id": "0611-093015-cusp12-pool-a7Xk2Lp9",
                "fields": [], "expected_hcl": null, "actual_hcl": SPOT_POOL_DR
            },
            {
                "kind": "changed", "severity": "critical", "resource_type": "databricks_job",
                "label": "nightly_etl", "name": "Nightly ETL", "live_id": "1001",
                "fields": [
                    {"path": "job_cluster[etl_cluster].new_cluster.spark_conf.\"spark.hadoop.fs.s3a.endpoint\"",
                     "expected": "https://s3.eu-west-1.amazonaws.com", "actual": "https://s3.us-east-1.amazonaws.com",
                     "severity": "drift"},
                    {"path": "schedule.pause_status", "expected": "PAUSED", "actual": "UNPAUSED",
                     "severity": "critical"},
                    {"path": "task[load].timeout_seconds", "expected": 3600, "actual": null, "severity": "drift"}
                ],
                "expected_hcl": NIGHTLY_ETL_GIT, "actual_hcl": NIGHTLY_ETL_DR
            },
            {
                "kind": "ambiguous", "severity": "drift", "resource_type": "databricks_job",
                "label": "orders_backfill", "name": "orders-backfill", "live_id": "904417256130418",
                "live_ids": ["904417256130418", "1117583020495561"],
                "fields": [], "expected_hcl": ORDERS_BACKFILL_GIT, "actual_hcl": null
            },
            {
                "kind": "changed", "severity": "drift", "resource_type": "databricks_job",
                "label": "release_notes_bot", "name": HOSTILE, "live_id": "2002",
                "fields": [
                    {"path": "email_notifications.on_failure", "expected": ["data-oncall@example.com"],
                     "actual": ["data-oncall@example.com", "intruder@example.net"], "severity": "drift"},
                    {"path": "tags.\"team|<b>owner</b>\"", "expected": "data-platform",
                     "actual": "`whoami` <img src=x onerror=alert(2)>", "severity": "drift"}
                ],
                "expected_hcl": hostile_hcl("data-platform", &["data-oncall@example.com"]),
                "actual_hcl": hostile_hcl("`whoami` <img src=x onerror=alert(2)>",
                                          &["data-oncall@example.com", "intruder@example.net"])
            }
        ]
    });
    pretty_assertions::assert_eq!(parsed, expected);
    // Numbers are numbers of the right kind: counts and the version integers, the coverage a float.
    assert!(parsed["version"].is_u64() && parsed["summary"]["critical"].is_u64());
    assert!(parsed["summary"]["by_type"]["databricks_job"]["changed"].is_u64());
    assert!(parsed["summary"]["coverage"].is_f64());
    assert!(parsed["findings"][2]["fields"][2]["expected"].is_u64());
    insta::assert_snapshot!("json", out);
}

#[test]
fn markdown() {
    insta::assert_snapshot!("markdown", render(Format::Markdown, &sample()));
}

#[test]
fn markdown_no_drift() {
    insta::assert_snapshot!("markdown_no_drift", render(Format::Markdown, &clean()));
}

#[test]
fn junit() {
    insta::assert_snapshot!("junit", render(Format::Junit, &sample()));
}

#[test]
fn html() {
    insta::assert_snapshot!("html", render(Format::Html, &sample()));
}

#[test]
fn html_no_drift() {
    let out = render(Format::Html, &clean());
    assert!(out.contains("<h2>No drift</h2>"));
    assert!(!out.contains("<h2>Findings</h2>"));
    assert!(out.contains("<p class=\"verdict clean\">no drift</p>"));
}

#[test]
fn junit_is_well_formed_xml_with_one_case_per_resource() {
    let xml = render(Format::Junit, &sample());
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("9"));
    assert_eq!(root.attribute("failures"), Some("5"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    let names: Vec<_> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(
        names,
        [
            "databricks_cluster",
            "databricks_cluster_policy",
            "databricks_instance_pool",
            "databricks_job"
        ]
    );
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 9);
    for case in &cases {
        let suite = case.parent_element().unwrap();
        assert_eq!(case.attribute("classname"), suite.attribute("name"));
    }
    let failure = |label: &str| {
        cases
            .iter()
            .find(|c| c.attribute("name") == Some(label))
            .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
    };
    assert!(failure("weekly_report").is_none());
    assert!(failure("dr_default").is_none());
    let critical = failure("nightly_etl").expect("nightly_etl fails");
    assert_eq!(critical.attribute("type"), Some("critical"));
    let text = critical.text().unwrap();
    assert!(text.contains("schedule.pause_status: \"PAUSED\" -> \"UNPAUSED\" (critical)"));
    assert!(text.contains("-    pause_status           = \"PAUSED\""));
    let hostile = failure("release_notes_bot").unwrap();
    assert_eq!(hostile.attribute("type"), Some("drift"));
    assert!(hostile.text().unwrap().contains(HOSTILE));
    assert_eq!(
        failure("orders_backfill").unwrap().attribute("message"),
        Some("ambiguous: live ids 904417256130418, 1117583020495561")
    );
}

/// Drops the contents of fenced code blocks (there, `<script>` is text), keeping the fence lines.
fn outside_code_fences(markdown: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in markdown.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`').collect();
        match &fence {
            None if ticks.len() >= 3 => fence = Some(ticks),
            Some(open) if ticks.len() >= open.len() && line.trim_end() == ticks => fence = None,
            Some(_) => continue,
            None => {}
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(fence.is_none(), "unclosed code fence");
    out
}

#[test]
fn markdown_escapes_hostile_names() {
    let md = render(Format::Markdown, &sample());
    let prose = outside_code_fences(&md);
    for raw in ["<script", "</details><script", "<img", "<b>", "```rm"] {
        assert!(!prose.contains(raw), "{raw} outside a code fence:\n{prose}");
    }
    assert!(prose.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Every row of a table keeps its column count: a `|` in a name or path does not split a cell.
    for line in prose.lines().filter(|l| l.starts_with('|')) {
        let cells = line.matches('|').count();
        assert!(cells == 5 || cells == 9, "{cells} pipes in {line}");
    }
    // The diff holding "```" sits in a longer fence, so the block does not end early.
    assert!(md.contains("\n````diff\n"), "{md}");
    assert_eq!(md.matches("<details>").count(), 2);
    assert_eq!(md.matches("</details>\n").count(), 2);
}

#[test]
fn html_escapes_hostile_names() {
    let html = render(Format::Html, &sample());
    for raw in ["<script", "<img", "<b>owner", "</details><"] {
        assert!(!html.contains(raw), "{raw} in the HTML");
    }
    assert!(html.contains("&lt;/details&gt;&lt;script&gt;alert(1)&lt;/script&gt; | ```rm -rf /```"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
}

const BROWSER_OPT_OUT: &str = "DRSYNC_SKIP_BROWSER_TESTS";

/// Run Chromium headless on `url` with `args`, stdout to `stdout`; panics if Chromium is not installed.
fn chromium(args: &[String], url: &str, stdout: &Path) -> ExitStatus {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(stdout).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run chromium ({e}): install the `chromium` package (apt-get install -y chromium), \
                 or set {BROWSER_OPT_OUT}=1 to skip the browser tests"
            )
        });
    // Not a timing assertion: Chromium renders this local page (no network, no scripts) in about a second. The
    // bound, a hundred times that, only turns a hung browser (a stuck GPU process, a locked profile: known
    // headless failure modes) into a failure that says so, instead of a test run that never ends; how busy the
    // machine is does not decide the outcome.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The HTML report in a real browser: the page loads, has its headings, runs no script, and renders to a
/// non-trivial screenshot (kept at `target/tmp/report/drift-report.png` for a person to look at).
#[test]
fn html_renders_in_headless_chromium() {
    if std::env::var(BROWSER_OPT_OUT).as_deref() == Ok("1") {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("drift-report.html");
    std::fs::write(&page, render(Format::Html, &sample())).unwrap();
    let url = url::Url::from_file_path(&page).unwrap().to_string();

    let dom_file = dir.join("drift-report.dom.html");
    let status = chromium(&["--dump-dom".to_string()], &url, &dom_file);
    assert!(status.success(), "chromium --dump-dom: {status}");
    let dom = std::fs::read_to_string(&dom_file).unwrap();
    for expected in [
        "<title>drsync drift report</title>",
        "<h1>drsync drift report</h1>",
        "<h2>Summary</h2>",
        "<h2>Findings</h2>",
        "&lt;/details&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
    ] {
        assert!(dom.contains(expected), "{expected} not in the DOM:\n{dom}");
    }
    assert!(
        !dom.to_ascii_lowercase().contains("<script"),
        "a script element in the DOM"
    );
    assert!(!dom.contains("<img"), "an img element in the DOM");

    let shot = dir.join("drift-report.png");
    let _ = std::fs::remove_file(&shot);
    let status = chromium(
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2000".to_string(),
        ],
        &url,
        &dir.join("screenshot.log"),
    );
    assert!(status.success(), "chromium --screenshot: {status}");
    let png =
        std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display()));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 20_000, "screenshot of {} bytes", png.len());
}
