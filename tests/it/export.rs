//! `drsync export` and the export library against the emulator seeded with `fixtures/primary`: golden files,
//! schema conformance, `terraform fmt`, the round trip back to the normalised input, determinism, and safety
//! when a listing fails.

use crate::common::{
    drsync, drsync_blocking, fixtures_dir, git_init, start, write_config, PRIMARY_ENV,
};
use drsync::api::{ClientOptions, Credentials, Secret, WorkspaceClient};
use drsync::config::ExportSection;
use drsync::emulator::{EmulatorConfig, Fault, Fixtures, DEFAULT_TOKEN};
use drsync::export::{self, Export, Inventory, LabelMap, Settings};
use drsync::model::{normalize, ResourceKind};
use hcl::{Body, Expression, ObjectKey};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const SOURCE: &str = "https://dbc-primary.cloud.databricks.com";

async fn read_primary() -> Inventory {
    let emu = start(EmulatorConfig {
        fixtures: Fixtures::load(&fixtures_dir("primary")).unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let client = WorkspaceClient::new(
        "primary",
        emu.url(),
        Credentials::Pat(Secret::new(DEFAULT_TOKEN)),
        ClientOptions {
            rate_limit: 0.0,
            ..ClientOptions::default()
        },
    )
    .unwrap();
    export::read(&client, &ResourceKind::ALL).await.unwrap()
}

fn settings(section: &ExportSection) -> Settings {
    Settings {
        kinds: section.resources.clone(),
        filter: section.name_filter().unwrap(),
        provider_version: section.provider_version.clone(),
        source_host: SOURCE.to_string(),
        rules: drsync::rewrite::Rules::default(),
        normalize: Default::default(),
        exporter: None,
    }
}

fn build(inv: &Inventory, section: &ExportSection, previous: &LabelMap) -> Export {
    export::build(
        inv.clone(),
        &settings(section),
        previous,
        &export::provider_schema(),
    )
    .unwrap()
}

#[tokio::test]
async fn golden_files_of_the_primary_workspace() {
    let inv = read_primary().await;
    let out = build(&inv, &ExportSection::default(), &LabelMap::default());
    assert_eq!(
        out.files.keys().collect::<Vec<_>>(),
        [
            "cluster_policies.tf",
            "clusters.tf",
            "drsync-labels.json",
            "instance_pools.tf",
            "jobs.tf",
            "versions.tf"
        ]
    );
    for (name, content) in &out.files {
        insta::assert_snapshot!(name.replace('.', "_"), content);
    }
    let warnings: Vec<String> = out
        .warnings
        .iter()
        .map(|w| format!("{}: {}: {}", w.resource, w.path, w.message))
        .collect();
    insta::assert_snapshot!("warnings", warnings.join("\n"));
}

#[tokio::test]
async fn every_resource_conforms_to_the_provider_schema() {
    let inv = read_primary().await;
    let out = build(&inv, &ExportSection::default(), &LabelMap::default());
    // The schema as shipped in the repository, not the copy compiled into the library.
    let schema = drsync::hcl::Schema::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/databricks-provider-1.99.0.json"),
    )
    .unwrap();
    let mut checked = 0;
    for kind in ResourceKind::ALL {
        let body: Body = hcl::parse(&out.files[kind.file_name()]).unwrap();
        checked += body.blocks().count();
        let violations = schema.check_document(&body);
        assert!(
            violations.is_empty(),
            "{}: {violations:?}",
            kind.file_name()
        );
    }
    assert_eq!(checked, out.resources.len());
    // 31 jobs on the primary, one of them deployed by a bundle and left out (issue 13, defect 9).
    assert_eq!(checked, 30 + 8 + 5 + 5);
}

#[tokio::test]
async fn terraform_fmt_leaves_the_files_unchanged() {
    let inv = read_primary().await;
    let out = build(&inv, &ExportSection::default(), &LabelMap::default());
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in &out.files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let Ok(result) = std::process::Command::new("terraform")
        .args(["fmt", "-check", "-diff"])
        .arg(dir.path())
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
    else {
        // No terraform binary: the golden files (checked against terraform fmt when they were made) stand in.
        return;
    };
    assert!(
        result.status.success(),
        "terraform fmt would change the files:\n{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Every value of a normalised object reaches its HCL, and the HCL holds nothing else: compared as multisets of
/// leaf values (references count as the id they stand for), leaving out what the export warned it dropped.
#[tokio::test]
async fn nothing_lost_nothing_invented() {
    let inv = read_primary().await;
    let out = build(&inv, &ExportSection::default(), &LabelMap::default());
    let mut normalized: HashMap<(ResourceKind, String), Value> = HashMap::new();
    for j in &inv.jobs {
        let n = normalize::job(j, &Default::default());
        normalized.insert((n.kind, n.id), n.config);
    }
    let libs: HashMap<&str, _> = inv
        .libraries
        .iter()
        .map(|l| (l.cluster_id.as_str(), l))
        .collect();
    for c in &inv.clusters {
        let n = normalize::cluster(
            c,
            libs.get(c.cluster_id.as_str()).copied(),
            &Default::default(),
        );
        normalized.insert((n.kind, n.id), n.config);
    }
    for p in &inv.pools {
        let n = normalize::instance_pool(p);
        normalized.insert((n.kind, n.id), n.config);
    }
    for p in &inv.policies {
        let n = normalize::cluster_policy(p);
        normalized.insert((n.kind, n.id), n.config);
    }
    let ids: HashMap<String, String> = out
        .resources
        .iter()
        .map(|r| (r.address(), r.id.clone()))
        .collect();
    let dropped: Vec<(String, String)> = out
        .warnings
        .iter()
        .filter(|w| {
            w.message
                .contains("not in the databricks provider's schema")
        })
        .map(|w| (w.resource.clone(), w.path.clone()))
        .collect();
    for kind in ResourceKind::ALL {
        let body: Body = hcl::parse(&out.files[kind.file_name()]).unwrap();
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
            let address = format!("{}.{}", labels[0], labels[1]);
            let id = &ids[&address];
            let mut from_hcl = Vec::new();
            body_leaves(block.body(), &ids, &mut from_hcl);
            let mut from_api = Vec::new();
            let skip: Vec<&str> = dropped
                .iter()
                .filter(|(r, _)| *r == address)
                .map(|(_, p)| p.as_str())
                .collect();
            json_leaves(
                &normalized[&(kind, id.clone())],
                &mut Vec::new(),
                &skip,
                &mut from_api,
            );
            from_hcl.sort();
            from_api.sort();
            assert_eq!(from_hcl, from_api, "{address}");
        }
    }
}

fn body_leaves(body: &Body, ids: &HashMap<String, String>, out: &mut Vec<String>) {
    for a in body.attributes() {
        expr_leaves(a.expr(), ids, out);
    }
    for b in body.blocks() {
        body_leaves(b.body(), ids, out);
    }
}

fn expr_leaves(e: &Expression, ids: &HashMap<String, String>, out: &mut Vec<String>) {
    match e {
        Expression::String(s) => out.push(s.clone()),
        Expression::Number(n) => out.push(n.to_string()),
        Expression::Bool(b) => out.push(b.to_string()),
        Expression::Array(items) => items.iter().for_each(|i| expr_leaves(i, ids, out)),
        Expression::Object(obj) => obj.values().for_each(|v| expr_leaves(v, ids, out)),
        Expression::FuncCall(call) if call.name.to_string() == "jsonencode" => {
            call.args.iter().for_each(|a| expr_leaves(a, ids, out))
        }
        Expression::Traversal(t) => {
            let text = hcl::format::to_string(e).unwrap();
            let address = text.trim_end_matches(".id");
            let _ = t;
            out.push(
                ids.get(address)
                    .cloned()
                    .unwrap_or_else(|| panic!("unresolved reference {text}")),
            );
        }
        Expression::TemplateExpr(t) => {
            // A quoted string with `$${` or `%%{` escapes parses as a template: its value is the literal text.
            let v: hcl::Value = hcl::eval::Evaluate::evaluate(e, &hcl::eval::Context::new())
                .unwrap_or_else(|err| panic!("template {t:?} must evaluate to a literal: {err}"));
            out.push(v.as_str().unwrap().to_string());
        }
        other => panic!("unexpected expression {other:?}"),
    }
}

fn json_leaves(v: &Value, path: &mut Vec<String>, skip: &[&str], out: &mut Vec<String>) {
    if skip.contains(&path.join(".").as_str()) {
        return;
    }
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Null => {}
        Value::Array(items) => {
            let key = path.pop().unwrap_or_default();
            for (i, item) in items.iter().enumerate() {
                let step = ["task_key", "job_cluster_key", "environment_key", "name"]
                    .iter()
                    .find_map(|k| item.get(*k).and_then(Value::as_str))
                    .map_or_else(|| format!("{key}[{i}]"), |k| format!("{key}[{k}]"));
                // Scalars in arrays keep the plain key: they are attribute values, not blocks.
                path.push(if item.is_object() { step } else { key.clone() });
                json_leaves(item, path, skip, out);
                path.pop();
            }
            path.push(key);
        }
        Value::Object(map) => {
            for (k, child) in map {
                path.push(k.clone());
                json_leaves(child, path, skip, out);
                path.pop();
            }
        }
    }
}

#[test]
fn object_keys_are_data_too() {
    // The leaf comparison above ignores map keys; make sure a key with `${` is escaped all the same.
    let mut obj = hcl::expr::Object::new();
    obj.insert(ObjectKey::from("${x}"), Expression::from("v"));
    let body = Body::builder()
        .add_attribute(("m", Expression::Object(obj)))
        .build();
    let text = drsync::hcl::to_string(&body);
    assert!(text.contains("\"$${x}\""), "{text}");
}

#[tokio::test]
async fn exports_are_deterministic_and_labels_stable() {
    let inv = read_primary().await;
    let first = build(&inv, &ExportSection::default(), &LabelMap::default());
    let again = build(&inv, &ExportSection::default(), &LabelMap::default());
    assert_eq!(first.files, again.files);

    // A new job that shares an existing name, created *before* the existing ones (clock skew, an import):
    // without memory it would take the plain label; the label map keeps every existing label where it was.
    let previous: LabelMap = serde_json::from_str(&first.files["drsync-labels.json"]).unwrap();
    let mut changed = inv.clone();
    let mut twin = changed
        .jobs
        .iter()
        .find(|j| j.settings.name.as_deref() == Some("customer-360-refresh"))
        .unwrap()
        .clone();
    twin.job_id = 1;
    twin.created_time = Some(1);
    changed.jobs.push(twin);
    let next = build(&changed, &ExportSection::default(), &previous);
    let labels = |e: &Export| -> BTreeMap<String, String> {
        e.resources
            .iter()
            .map(|r| (r.id.clone(), r.label.clone()))
            .collect()
    };
    let (before, after) = (labels(&first), labels(&next));
    for (id, label) in &before {
        assert_eq!(after.get(id), Some(label), "job {id} kept its label");
    }
    assert_eq!(after["1"], "customer_360_refresh_3");
    let changes = {
        let dir = tempfile::tempdir().unwrap();
        export::write(&first, &dir.path().join("gen")).unwrap();
        export::changes(&next, &dir.path().join("gen"))
    };
    assert_eq!(changes.added, ["databricks_job.customer_360_refresh_3"]);
    assert!(
        changes.changed.is_empty() && changes.removed.is_empty(),
        "{changes:?}"
    );
}

#[tokio::test]
async fn globs_select_and_references_to_excluded_objects_stay_literal() {
    let inv = read_primary().await;
    let section = ExportSection {
        resources: vec![ResourceKind::Jobs, ResourceKind::InstancePools],
        exclude: vec!["etl-pool-*".to_string()],
        ..ExportSection::default()
    };
    let out = build(&inv, &section, &LabelMap::default());
    assert!(out
        .resources
        .iter()
        .all(|r| !r.name.starts_with("etl-pool-")));
    assert!(!out.files.contains_key("clusters.tf"));
    let jobs = &out.files["jobs.tf"];
    assert!(
        !jobs.contains("databricks_instance_pool.etl_pool"),
        "an excluded pool is not referenced"
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.message.contains("instance pool") && w.message.contains("not exported")),
        "{:?}",
        out.warnings
    );
}

// ---- The command --------------------------------------------------------------------------------------------

/// The fixture primary, with `faults`: every one is the same workspace (one workspace id), so that a test can
/// export from it with faults and without.
async fn primary_emulator(faults: &[&str]) -> drsync::emulator::Emulator {
    start(EmulatorConfig {
        fixtures: Fixtures::load(&fixtures_dir("primary")).unwrap(),
        faults: faults.iter().map(|f| f.parse::<Fault>().unwrap()).collect(),
        workspace_id: Some(1_000_000_000_000_001),
        ..EmulatorConfig::default()
    })
    .await
}

fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            out.insert(
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            );
        }
    }
    out
}

#[tokio::test]
async fn a_second_export_of_an_unchanged_workspace_changes_no_byte() {
    let emu = primary_emulator(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_config(dir.path(), emu.url(), "");
    std::fs::create_dir_all(dir.path().join("terraform/generated")).unwrap();
    std::fs::write(dir.path().join("terraform/generated/README.md"), "mine\n").unwrap();
    std::fs::write(
        dir.path().join("terraform/generated/variables.tf"),
        "# stale\n",
    )
    .unwrap();
    let first = drsync(dir.path(), &["export"], PRIMARY_ENV).await;
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first
            .stdout
            .contains("jobs                  30  (30 added, 0 changed, 0 removed)"),
        "{}",
        first.stdout
    );
    let gen = dir.path().join("terraform/generated");
    let files = snapshot_dir(&gen);
    assert_eq!(files["README.md"], b"mine\n", "the user's files are kept");
    assert!(
        !files.contains_key("variables.tf"),
        "drsync's stale files are removed"
    );
    let second = drsync(dir.path(), &["export"], PRIMARY_ENV).await;
    assert_eq!(second.code, 0, "{second:?}");
    assert!(second.stdout.contains("no changes"), "{}", second.stdout);
    assert_eq!(snapshot_dir(&gen), files);
}

#[tokio::test]
async fn a_failed_listing_writes_nothing() {
    let good = primary_emulator(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let repo = git_init(dir.path());
    let gen = dir.path().join("terraform/generated");

    // No export yet, and the clusters listing fails: no folder appears.
    let bad = primary_emulator(&["500:1.0:/api/2.1/clusters/list"]).await;
    write_config(dir.path(), bad.url(), "[client]\nmax_attempts = 2\n");
    let run = drsync(dir.path(), &["export"], PRIMARY_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("GET /api/2.1/clusters/list"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert!(!gen.exists());

    // A complete export, then a failing one: the complete one stays as it was.
    write_config(dir.path(), good.url(), "");
    assert_eq!(drsync(dir.path(), &["export"], PRIMARY_ENV).await.code, 0);
    let files = snapshot_dir(&gen);
    let head = repo.head().unwrap().target();
    let bad_jobs = primary_emulator(&["503:1.0:/api/2.2/jobs/get"]).await;
    write_config(dir.path(), bad_jobs.url(), "[client]\nmax_attempts = 2\n");
    let run = drsync(dir.path(), &["export"], PRIMARY_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("/api/2.2/jobs/get"), "{}", run.stderr);
    assert_eq!(snapshot_dir(&gen), files);
    assert_eq!(
        repo.head().unwrap().target(),
        head,
        "the branch did not move"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("terraform"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, ["generated"], "no staging folder is left behind");
}

#[tokio::test]
async fn dry_run_and_json_summary() {
    let emu = primary_emulator(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), emu.url(), "");
    let run = drsync(
        dir.path(),
        &["export", "--dry-run", "--format", "json"],
        PRIMARY_ENV,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        !dir.path().join("terraform").exists(),
        "a dry run writes nothing"
    );
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["counts"]["jobs"], 30);
    assert_eq!(summary["changes"]["added"].as_array().unwrap().len(), 48);
    assert!(!summary["warnings"].as_array().unwrap().is_empty());
    let text = drsync(dir.path(), &["export", "--dry-run"], PRIMARY_ENV).await;
    assert!(
        text.stdout.contains("dry run: nothing written"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("  + databricks_job.nightly_sales_etl"),
        "{}",
        text.stdout
    );
}

#[tokio::test]
async fn strict_turns_warnings_into_an_error() {
    let emu = primary_emulator(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), emu.url(), "");
    let run = drsync(
        dir.path(),
        &["export", "--strict", "--no-commit"],
        PRIMARY_ENV,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--strict"), "{}", run.stderr);
    assert!(
        run.stdout.contains("warnings ("),
        "the warnings are shown: {}",
        run.stdout
    );
    assert!(!dir.path().join("terraform").exists());
}

#[test]
fn bad_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[workspaces.primary]\nhost = \"https://x\"\ntoken_env = \"T\"\nprofil = \"p\"\n", "profil"),
        ("[workspaces.dr]\nhost = \"https://x\"\ntoken_env = \"T\"\n", "no [workspaces.primary] entry"),
        ("[workspaces.primary]\nhost = \"https://x\"\ntoken_env = \"T\"\n[export]\ninclude = [\"a[\"]\n", "export.include"),
        ("[workspaces.primary]\nhost = \"https://x\"\ntoken = \"dapi-literal\"\n", "workspaces.primary.token"),
    ];
    for (config, expected) in cases {
        std::fs::write(dir.path().join("drsync.toml"), config).unwrap();
        let run = drsync_blocking(dir.path(), &["export"], &[]);
        assert_eq!(run.code, 1, "{config}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(
            run.stderr.contains("drsync.toml"),
            "the file is named: {}",
            run.stderr
        );
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
        assert!(!run.stderr.contains("dapi-literal"), "{}", run.stderr);
    }
    let missing = drsync_blocking(dir.path(), &["--config", "nope.toml", "export"], &[]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("nope.toml") && missing.stderr.contains("hint:"),
        "{}",
        missing.stderr
    );
}

/// A host with a password or token in it (`https://user:SECRET@...`), in drsync.toml or in DATABRICKS_HOST, is
/// refused, and the error shows it redacted.
#[test]
fn secret_in_a_host_is_refused_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&str, Env<'_>, &str); 3] = [
        (
            "[workspaces.primary]\nhost = \"https://user:SECRET@dbc-1.cloud.databricks.com\"\ntoken_env = \"T\"\n",
            &[("T", "dapi-x")],
            "drsync.toml: `workspaces.primary.host`: `https://***@dbc-1.cloud.databricks.com` has credentials in it",
        ),
        (
            "[workspaces.primary]\n",
            &[
                ("DATABRICKS_HOST", "http://token:SECRET@127.0.0.1:9"),
                ("DATABRICKS_TOKEN", "dapi-x"),
            ],
            "workspace `primary`: the host `http://***@127.0.0.1:9` (from DATABRICKS_HOST) has credentials in it",
        ),
        (
            "[workspaces.primary]\n",
            &[
                ("DATABRICKS_HOST", "https://SECRET@dbc-1.cloud.databricks.com"),
                ("DATABRICKS_TOKEN", "dapi-x"),
            ],
            "the host `https://***@dbc-1.cloud.databricks.com` (from DATABRICKS_HOST)",
        ),
    ];
    for (config, env, expected) in cases {
        std::fs::write(dir.path().join("drsync.toml"), config).unwrap();
        for args in [&["-vvv", "export", "--no-commit"][..], &["inventory"]] {
            let run = drsync_blocking(dir.path(), args, env);
            assert_eq!(run.code, 1, "{config}: {run:?}");
            assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
            assert!(
                !run.stderr.contains("SECRET") && !run.stdout.contains("SECRET"),
                "the secret is shown: {run:?}"
            );
        }
    }
}

/// An export into the repository root or the config file's folder would copy the repository into itself:
/// `[export] dir` and `--out` naming such a folder are refused before anything is read or written.
#[tokio::test]
async fn export_into_its_own_repository_or_config_folder_is_refused() {
    let emu = primary_emulator(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    let nested = dir.path().join("nested");
    std::fs::create_dir_all(&nested).unwrap();
    git_init(&nested);
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "[export]\ndir = \".\"\n",
            &["export"],
            "drsync.toml: `export.dir`: the export folder ",
        ),
        (
            "[export]\ndir = \"sub/..\"\n",
            &["export", "--no-commit"],
            "drsync.toml: `export.dir`: the export folder ",
        ),
        ("", &["export", "--out", "."], "--out .: the export folder "),
        (
            "",
            &["export", "--no-commit", "--out", ".."],
            "--out ..: the export folder ",
        ),
        (
            "",
            &["export", "--no-commit", "--out", "nested"],
            "--out nested: the export folder ",
        ),
    ];
    for (extra, args, expected) in cases {
        write_config(dir.path(), emu.url(), extra);
        let run = drsync(dir.path(), args, PRIMARY_ENV).await;
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        let reason = if args.contains(&"nested") {
            "is the root of a Git repository (it holds .git)"
        } else {
            "holds the configuration file"
        };
        assert!(run.stderr.contains(reason), "{args:?}: {}", run.stderr);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [".git", ".home", "README.md", "drsync.toml", "nested", "sub"],
            "{args:?}: nothing but drsync.toml (and the test's HOME) was written"
        );
        assert!(!dir.path().join("jobs.tf").exists());
        assert!(!nested.join("jobs.tf").exists());
    }
    // A folder of its own is fine.
    write_config(dir.path(), emu.url(), "");
    let run = drsync(
        dir.path(),
        &["export", "--no-commit", "--out", "sub/out"],
        PRIMARY_ENV,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(dir.path().join("sub/out/jobs.tf").exists());
}

/// An inventory as `export::read` would return it for these fixtures.
fn inventory_of(fx: &Fixtures) -> Inventory {
    fn decode<T: serde::de::DeserializeOwned>(values: &[Value]) -> Vec<T> {
        values
            .iter()
            .map(|v| serde_json::from_value(v.clone()).unwrap())
            .collect()
    }
    Inventory {
        jobs: decode(&fx.jobs),
        clusters: decode::<drsync::model::Cluster>(&fx.clusters)
            .into_iter()
            .filter(drsync::model::Cluster::is_all_purpose)
            .collect(),
        libraries: decode(&fx.cluster_libraries),
        pools: decode(&fx.instance_pools),
        policies: decode(&fx.cluster_policies),
    }
}

/// Jobs converted ahead of time (as `drsync export` does while it lists) give exactly the export that
/// converting after the listing gives: files, resources, warnings and rewrite report, including where the
/// placeholders cannot stay (references to objects that are filtered out, rules that read or move them).
#[test]
fn jobs_converted_ahead_of_time_give_the_same_export() {
    let synthetic = drsync::emulator::synthetic(
        &"jobs=400,clusters=60,pools=12,policies=8".parse().unwrap(),
        7,
    );
    let inventories = [
        ("fixtures", inventory_of(&drsync::demo::primary().unwrap())),
        ("synthetic", inventory_of(&synthetic)),
    ];
    let variable_rules = format!(
        "{}\n[[rewrite.field]]\npath = 'databricks_job.task.existing_cluster_id'\nvariable = \"etl_cluster\"\n\
         [[rewrite.field]]\npath = 'databricks_job.timeout_seconds'\nvalue = 7200\n\
         [rewrite.variables]\netl_cluster = \"0000-000000-dr\"\n",
        drsync::demo::RULES
            .replace("pause = \"literal\"", "pause = \"variable\"")
            .replace("pool_min_idle = 0", "")
    );
    let rule_sets = [
        String::new(),
        drsync::demo::RULES.to_string(),
        variable_rules,
    ];
    let filters = [
        vec![],
        // Many clusters, pools and policies (and some jobs) left out: references to them stay literal ids.
        vec!["*a*".to_string(), "*[0-4]".to_string()],
    ];
    let schema = export::provider_schema();
    let mut compared = 0;
    for (what, inv) in &inventories {
        for rules in &rule_sets {
            for exclude in &filters {
                let config =
                    drsync::config::Config::parse(rules, Path::new("drsync.toml")).unwrap();
                let section = ExportSection {
                    exclude: exclude.clone(),
                    ..ExportSection::default()
                };
                let settings = Settings {
                    rules: config.rewrite.clone(),
                    normalize: Default::default(),
                    exporter: None,
                    ..settings(&section)
                };
                let first = export::build(inv.clone(), &settings, &LabelMap::default(), &schema)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let previous: LabelMap =
                    serde_json::from_str(&first.files[export::LABELS_FILE]).unwrap();
                for previous in [LabelMap::default(), previous] {
                    let reference =
                        export::build(inv.clone(), &settings, &previous, &schema).unwrap();
                    let preparer = export::Preparer::new(settings.clone(), schema.clone());
                    let prepared = export::Prepared {
                        jobs: inv
                            .jobs
                            .iter()
                            .cloned()
                            .map(|j| preparer.prepare(j))
                            .collect(),
                        rest: Inventory {
                            jobs: Vec::new(),
                            ..inv.clone()
                        },
                    };
                    let ahead =
                        export::build_prepared(prepared, &settings, &previous, &schema).unwrap();
                    let case = format!("{what}, rules {rules:?}, exclude {exclude:?}");
                    assert_eq!(ahead.files, reference.files, "{case}");
                    assert_eq!(ahead.resources, reference.resources, "{case}");
                    assert_eq!(ahead.warnings, reference.warnings, "{case}");
                    assert_eq!(ahead.rewrite, reference.rewrite, "{case}");
                    // Both ways were taken: ahead of time for most jobs, again after the listing for those
                    // that refer to objects left out.
                    let jobs = ahead
                        .resources
                        .iter()
                        .filter(|r| r.kind == ResourceKind::Jobs)
                        .count();
                    assert!(ahead.converted_ahead > 0, "{case}");
                    // A variable's description quotes the primary's value, so a rule that reads a reference
                    // also sends a job the long way.
                    if exclude.is_empty() && !rules.contains("existing_cluster_id") {
                        assert_eq!(ahead.converted_ahead, jobs, "{case}");
                    } else {
                        assert!(ahead.converted_ahead < jobs, "{case}");
                    }
                    assert_eq!(reference.converted_ahead, 0);
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 24);
}

/// Issue 14, defect 3: workspace strings printed by the export (here a warning naming a job the export leaves
/// out) reach the terminal escaped: no escape sequence, forged line or bidi override gets through.
#[tokio::test]
async fn warnings_print_workspace_strings_as_data() {
    let emu = primary_emulator(&[]).await;
    let raw = crate::common::Raw::new(&emu);
    let hostile =
        "evil \u{1b}[2J\u{1b}]0;title\u{7}\n  + databricks_job.forged \u{202e}gnp.exe\u{200b}";
    let (status, _) = raw
        .post(
            "/api/2.2/jobs/create",
            serde_json::json!({ "name": hostile }),
        )
        .await;
    assert_eq!(status, 200);
    // And in a warning's path: a task key, in a task that names a warehouse drsync does not export.
    let (status, _) = raw
        .post(
            "/api/2.2/jobs/create",
            serde_json::json!({"name": "sql", "tasks": [{"task_key": hostile,
                "sql_task": {"warehouse_id": "abc", "query": {"query_id": "q"}}}]}),
        )
        .await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), emu.url(), "");
    let run = drsync(dir.path(), &["export", "--dry-run"], PRIMARY_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("has no tasks"), "{}", run.stdout);
    assert!(run.stdout.contains("\\u{1b}[2J"), "{}", run.stdout);
    for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{200b}'] {
        assert!(
            !run.stdout.contains(bad),
            "{bad:?} printed raw:\n{}",
            run.stdout
        );
    }
    assert!(
        !run.stdout.contains("\n  + databricks_job.forged"),
        "a forged line:\n{}",
        run.stdout
    );
}

/// Issue 14, "Mass deletion": a primary that suddenly answers with far fewer objects (a wrong host, a token that
/// sees little) must not empty the DR site through Git. More removals than `[export] max_removed` (default 10%
/// of the resources, at least 5) are refused, nothing written, unless `--allow-removals`.
#[tokio::test]
async fn an_export_removing_too_much_is_refused_unless_allowed() {
    let emu = primary_emulator(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_config(dir.path(), emu.url(), "");
    let first = drsync(dir.path(), &["export"], PRIMARY_ENV).await;
    assert_eq!(first.code, 0, "{first:?}");
    let out = dir.path().join("terraform/generated");
    let before = snapshot_dir(&out);
    let raw = crate::common::Raw::new(&emu);
    let (_, list) = raw.get("/api/2.2/jobs/list?limit=100").await;
    let ids: Vec<Value> = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_id"].clone())
        .collect();
    for id in ids.iter().take(6) {
        let (status, _) = raw
            .post("/api/2.2/jobs/delete", serde_json::json!({"job_id": id}))
            .await;
        assert_eq!(status, 200);
    }
    let refused = drsync(dir.path(), &["export"], PRIMARY_ENV).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("would remove 6 of 48 resources, more than the 5 allowed: databricks_job."),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--allow-removals"),
        "{}",
        refused.stderr
    );
    assert_eq!(snapshot_dir(&out), before, "nothing was written");
    // A dry run shows what would change; a raised limit or --allow-removals lets it through.
    let dry = drsync(dir.path(), &["export", "--dry-run"], PRIMARY_ENV).await;
    assert_eq!(dry.code, 0, "{dry:?}");
    let allowed = drsync(dir.path(), &["export", "--allow-removals"], PRIMARY_ENV).await;
    assert_eq!(allowed.code, 0, "{allowed:?}");
    assert!(
        allowed.stdout.contains("(0 added, 0 changed, 6 removed)"),
        "{}",
        allowed.stdout
    );
}
