//! `drsync adopt` (issue 18): import blocks with the DR ids for the DR objects that exist already, against DR
//! sites seeded outside Terraform: the fixtures' DR (the demo's, with its drift), and workspaces whose jobs
//! were copied by hand or by a script, some of them twice. Each import's id is checked against DR itself, and
//! the imports applied through the provider model leave a plan with no creates for what was adopted and only
//! the updates drift lists.

use crate::common::{drsync, git_init, start, write_dr_config, Raw, COMMIT_ENV};
use drsync_emulator::{Emulator, EmulatorConfig, Fixtures, DEFAULT_TOKEN};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ENV: &[(&str, &str)] = &[
    ("PRIMARY_TOKEN", DEFAULT_TOKEN),
    ("DR_TOKEN", DEFAULT_TOKEN),
];

/// A fixed time for the header of `imports.tf`: 2025-12-01T08:00:00Z.
const NOW: &str = "1764576000";

/// A repository with the export of `primary` committed (drsync.toml with `extra`), and both emulators.
struct Site {
    dir: tempfile::TempDir,
    /// Kept serving: a later export reads it again.
    _primary: Emulator,
    dr: Emulator,
}

async fn site(primary: Fixtures, dr: Fixtures, extra: &str) -> Site {
    let primary = start(EmulatorConfig {
        fixtures: primary,
        ..EmulatorConfig::default()
    })
    .await;
    let dr = start(EmulatorConfig {
        fixtures: dr,
        seed: 9,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_dr_config(dir.path(), primary.url(), dr.url(), extra);
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    Site {
        dir,
        _primary: primary,
        dr,
    }
}

/// `drsync adopt --format json` with `args`: the exit code and the document.
async fn adopt(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["adopt", "--format", "json", "--now", NOW];
    all.extend_from_slice(args);
    let run = drsync(dir, &all, ENV).await;
    let json = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    (run.code, json)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x[key].as_str().unwrap().to_string())
        .collect()
}

/// The resource addresses of the committed export.
fn addresses(dir: &Path) -> BTreeSet<String> {
    let mut files = crate::common::exported_files(dir);
    files.retain(|name, _| name.ends_with(".tf") && name != "imports.tf");
    let config = drsync::tfconfig::load(&files, &[], &BTreeMap::new()).unwrap();
    config.resources.iter().map(|r| r.address()).collect()
}

/// What DR says about the object an import block names, by its id alone: the name of the object (a scope's
/// name, an ACL's `scope principal`, the `object_id` of grants). Proves the id is one `terraform import` takes
/// for that type (provider-behaviour.md §12) and that it is DR's object, not the primary's.
async fn dr_name_of(raw: &Raw, address: &str, id: &str) -> String {
    let get = |path: String| async move {
        let (status, body) = raw.get(&path).await;
        assert_eq!(status, 200, "{address} id {id}: GET {path}: {body}");
        body
    };
    match address.split_once('.').unwrap().0 {
        "databricks_job" => get(format!("/api/2.1/jobs/get?job_id={id}")).await["settings"]["name"]
            .as_str()
            .unwrap()
            .to_string(),
        "databricks_cluster" => get(format!("/api/2.1/clusters/get?cluster_id={id}")).await
            ["cluster_name"]
            .as_str()
            .unwrap()
            .to_string(),
        "databricks_instance_pool" => {
            get(format!("/api/2.0/instance-pools/get?instance_pool_id={id}")).await
                ["instance_pool_name"]
                .as_str()
                .unwrap()
                .to_string()
        }
        "databricks_cluster_policy" => {
            get(format!("/api/2.0/policies/clusters/get?policy_id={id}")).await["name"]
                .as_str()
                .unwrap()
                .to_string()
        }
        "databricks_sql_endpoint" => get(format!("/api/2.0/sql/warehouses/{id}")).await["name"]
            .as_str()
            .unwrap()
            .to_string(),
        "databricks_pipeline" => get(format!("/api/2.0/pipelines/{id}")).await["name"]
            .as_str()
            .unwrap()
            .to_string(),
        "databricks_secret_scope" => {
            let scopes = get("/api/2.0/secrets/scopes/list".to_string()).await;
            assert!(
                scopes["scopes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["name"] == id),
                "{address}: no scope {id}"
            );
            id.to_string()
        }
        "databricks_secret_acl" => {
            // `scope|||principal`, split on the first `|||` (§10).
            let (scope, principal) = id.split_once("|||").unwrap();
            let acl = get(format!(
                "/api/2.0/secrets/acls/get?scope={scope}&principal={principal}"
            ))
            .await;
            assert_eq!(acl["principal"], principal, "{address}");
            format!("{scope} {principal}")
        }
        "databricks_permissions" => {
            // `/jobs/ID`, `/clusters/ID`, ... (§6.4): the Permissions API's own path.
            let acl = get(format!("/api/2.0/permissions{id}")).await;
            acl["object_id"].as_str().unwrap().to_string()
        }
        other => panic!("unexpected type {other}"),
    }
}

/// The fixtures' DR (the demo's: the export applied, then a job deleted, two changed and a cluster made by
/// hand): an import for every resource but the deleted job and its grants, each with the DR object's id; the
/// changed jobs listed with drift's fields; exit 2 for the missing one. `imports.tf` is what `terraform fmt`
/// writes, in the export folder, and the export neither commits, overwrites nor removes it. With a state that
/// records everything, nothing is left to import: exit 0.
#[tokio::test]
async fn the_fixtures_dr_is_adopted_with_its_own_ids() {
    let s = site(
        drsync_emulator::demo::primary().unwrap(),
        drsync_emulator::demo::dr().unwrap(),
        &format!("\n{}", drsync_emulator::demo::RULES),
    )
    .await;
    let dir = s.dir.path();
    let (code, a) = adopt(dir, &[]).await;
    assert_eq!(code, 2, "{a:#}");
    assert_eq!(a["version"], 1);
    assert_eq!(a["matched_by"], "name");
    assert_eq!(
        strings(&a["missing"], "address"),
        [
            "databricks_job.legacy_spark_submit",
            "databricks_permissions.job_legacy_spark_submit"
        ]
    );
    assert_eq!(a["ambiguous"], json!([]));
    assert_eq!(a["in_state"], json!([]));
    assert_eq!(
        a["unmanaged"],
        json!([{"kind": "clusters", "id": a["unmanaged"][0]["id"], "name": "adhoc-debug-dr"}])
    );
    // Every resource is imported or missing, each once.
    let imported = strings(&a["imports"], "address");
    let mut all: BTreeSet<String> = imported.iter().cloned().collect();
    assert_eq!(all.len(), imported.len());
    all.extend(strings(&a["missing"], "address"));
    assert_eq!(all, addresses(dir));
    // Every id is DR's object of that name, in the form `terraform import` takes.
    let raw = Raw::new(&s.dr);
    let primary_jobs: BTreeSet<String> = drsync_emulator::demo::primary()
        .unwrap()
        .jobs
        .iter()
        .map(|j| j["job_id"].to_string())
        .collect();
    let mut kinds = BTreeSet::new();
    for i in a["imports"].as_array().unwrap() {
        let (address, id) = (i["address"].as_str().unwrap(), i["id"].as_str().unwrap());
        kinds.insert(address.split_once('.').unwrap().0.to_string());
        let name = dr_name_of(&raw, address, id).await;
        if address.starts_with("databricks_permissions.") {
            assert!(name == id && id.starts_with('/'), "{address}: {id}");
        } else {
            assert_eq!(name, i["name"].as_str().unwrap(), "{address}");
        }
        // DR's ids, never the primary's.
        assert!(!primary_jobs.contains(id), "{address}: {id}");
    }
    assert_eq!(kinds.len(), 9, "every kind drsync exports: {kinds:?}");

    // What apply changes after the import: exactly what drift reports as changed, with its fields.
    let run = drsync(dir, &["drift", "--format", "json"], ENV).await;
    let drift: Value = serde_json::from_str(&run.stdout).unwrap();
    let changed: Vec<(String, Value)> = drift["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "changed")
        .map(|f| {
            (
                format!(
                    "{}.{}",
                    f["resource_type"].as_str().unwrap(),
                    f["label"].as_str().unwrap()
                ),
                f["fields"].clone(),
            )
        })
        .collect();
    let listed: Vec<(String, Value)> = a["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["fields"].clone(),
            )
        })
        .collect();
    assert_eq!(listed, changed);
    assert_eq!(listed.len(), 3, "{listed:#?}");
    assert!(a["changed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["replace"] == false));

    // imports.tf: in the export folder, one block per import, as `terraform fmt` writes it.
    let folder = dir.join("terraform/generated");
    let path = folder.join("imports.tf");
    assert_eq!(a["file"], "terraform/generated/imports.tf");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(&format!(
            "# Generated by drsync adopt. Made 2025-12-01T08:00:00Z from {} (workspace ",
            s.dr.url()
        )),
        "{text}"
    );
    assert_eq!(text.matches("\nimport {\n").count(), imported.len());
    let first = &a["imports"][0];
    assert!(
        text.contains(&format!(
            "import {{\n  to = {}\n  id = \"{}\"\n}}\n",
            first["address"].as_str().unwrap(),
            first["id"].as_str().unwrap()
        )),
        "{text}"
    );
    if crate::common::terraform_available() {
        let out = std::process::Command::new("terraform")
            .args(["fmt", "-check", "-diff"])
            .arg(&path)
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .expect("terraform runs");
        assert!(
            out.status.success(),
            "terraform fmt would change imports.tf:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The text report and the file, with what changes from run to run (the port, the commit) held still.
    let run = drsync(dir, &["adopt", "--now", NOW], ENV).await;
    assert_eq!(run.code, 2, "{run:?}");
    let commit = a["source"]["commit"].as_str().unwrap();
    let steady = |t: &str| {
        let t = t.replace(s.dr.url(), "http://dr").replace(commit, "COMMIT");
        // The emulator's workspace id differs from run to run.
        match (t.find("(workspace "), t.find(").\n")) {
            (Some(a), Some(b)) if a < b => format!("{}(workspace ID{}", &t[..a], &t[b..]),
            _ => t,
        }
    };
    insta::assert_snapshot!("adopt_text", steady(&run.stdout));
    // (The run rewrote the file with the same bytes.)
    insta::assert_snapshot!(
        "imports_tf",
        steady(&std::fs::read_to_string(&path).unwrap())
    );
    // The same run again writes the same bytes.
    let (_, again) = adopt(dir, &[]).await;
    assert_eq!(again, a);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    // The export keeps it, and commits none of it.
    let run = drsync(dir, &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    let repo = git2::Repository::open(dir).unwrap();
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    assert!(tree
        .get_path(Path::new("terraform/generated/imports.tf"))
        .is_err());
    assert!(tree
        .get_path(Path::new("terraform/generated/jobs.tf"))
        .is_ok());
    let status = repo
        .status_file(Path::new("terraform/generated/imports.tf"))
        .unwrap();
    assert_eq!(status, git2::Status::WT_NEW);

    // A state that records every resource leaves nothing to import: exit 0. One that records some: the rest.
    let mut ids: Vec<(String, String)> = a["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["address"].as_str().unwrap().to_string(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ids.extend(
        strings(&a["missing"], "address")
            .into_iter()
            .map(|m| (m, "0".to_string())),
    );
    std::fs::write(dir.join("all.tfstate"), state(&ids)).unwrap();
    let (code, full) = adopt(dir, &["--state", "all.tfstate"]).await;
    assert_eq!(code, 0, "{full:#}");
    assert_eq!(full["matched_by"], "state_then_name");
    assert_eq!(full["imports"], json!([]));
    assert_eq!(full["missing"], json!([]));
    assert_eq!(full["changed"], json!([]));
    assert_eq!(full["in_state"].as_array().unwrap().len(), ids.len());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("import {"), "{text}");
    let half: Vec<(String, String)> = ids.iter().step_by(2).cloned().collect();
    std::fs::write(dir.join("half.tfstate"), state(&half)).unwrap();
    let (code, part) = adopt(
        dir,
        &["--state", "half.tfstate", "--out", "elsewhere/imports.tf"],
    )
    .await;
    assert_eq!(code, 2, "legacy_spark_submit is missing again: {part:#}");
    let rest: BTreeSet<String> = ids
        .iter()
        .skip(1)
        .step_by(2)
        .map(|(a, _)| a.clone())
        .filter(|a| !a.contains("legacy_spark_submit"))
        .collect();
    assert_eq!(
        strings(&part["imports"], "address")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        rest
    );
    assert!(dir.join("elsewhere/imports.tf").exists());
}

/// A Terraform state (format 4) recording `ids` by address.
fn state(ids: &[(String, String)]) -> String {
    let resources: Vec<Value> = ids
        .iter()
        .map(|(address, id)| {
            let (t, name) = address.split_once('.').unwrap();
            json!({"mode": "managed", "type": t, "name": name, "provider": "provider[\"registry.terraform.io/databricks/databricks\"]",
                   "instances": [{"schema_version": 0, "attributes": {"id": id}}]})
        })
        .collect();
    json!({"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x", "outputs": {}, "resources": resources})
        .to_string()
}

/// A job named `name`, with its own schedule and id, created at `created`.
fn job(id: i64, name: &str, created: i64, cron: &str) -> Value {
    json!({
        "job_id": id,
        "created_time": created,
        "creator_user_name": "emulator@example.com",
        "run_as_user_name": "emulator@example.com",
        "settings": {
            "name": name,
            "max_concurrent_runs": 1,
            "schedule": {"quartz_cron_expression": cron, "timezone_id": "UTC", "pause_status": "PAUSED"},
            "tasks": [{
                "task_key": "main",
                "spark_python_task": {"python_file": format!("s3://acme-code/{name}.py")},
                "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1}
            }]
        }
    })
}

fn jobs(list: Vec<Value>) -> Fixtures {
    Fixtures {
        jobs: list,
        ..Fixtures::default()
    }
}

/// Jobs copied to DR by hand, one of them twice, and two look-alikes: the copies get imports with DR's ids;
/// the job copied twice gets none and is listed with both candidates, each identical to the HCL (exit 2);
/// look-alikes that DR changed since are listed with what tells them apart; a state naming one DR copy
/// settles it (the other is unmanaged), and one naming one look-alike settles the other.
#[tokio::test]
async fn duplicates_are_listed_never_imported_and_a_state_settles_them() {
    let primary = jobs(vec![
        job(1, "single", 1_700_000_000_000, "0 0 1 * * ?"),
        job(2, "copied twice", 1_700_000_000_000, "0 0 2 * * ?"),
        job(3, "twin", 1_700_000_000_000, "0 0 3 * * ?"),
        job(4, "twin", 1_700_000_100_000, "0 0 4 * * ?"),
    ]);
    // DR, seeded by a script: its own ids, the second job copied twice, the twins' schedules changed by hand.
    let dr = jobs(vec![
        job(501, "single", 1_710_000_000_000, "0 0 1 * * ?"),
        job(502, "copied twice", 1_710_000_000_000, "0 0 2 * * ?"),
        job(503, "copied twice", 1_710_000_100_000, "0 0 2 * * ?"),
        job(504, "twin", 1_710_000_000_000, "0 0 5 * * ?"),
        job(505, "twin", 1_710_000_100_000, "0 30 4 * * ?"),
    ]);
    let s = site(primary, dr, "\n[export]\nresources = [\"jobs\"]\n").await;
    let dir = s.dir.path();
    let (code, a) = adopt(dir, &[]).await;
    assert_eq!(code, 2, "{a:#}");
    assert_eq!(
        a["imports"],
        json!([{"address": "databricks_job.single", "name": "single", "id": "501", "updated_once": []}])
    );
    assert_eq!(a["missing"], json!([]));
    assert_eq!(a["unmanaged"], json!([]));
    let ambiguous: Vec<(String, Value)> = a["ambiguous"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["address"].as_str().unwrap().to_string(),
                x["candidates"].clone(),
            )
        })
        .collect();
    assert_eq!(
        ambiguous,
        [
            (
                "databricks_job.copied_twice".to_string(),
                json!([{"id": "502", "differs": []}, {"id": "503", "differs": []}])
            ),
            (
                "databricks_job.twin".to_string(),
                json!([
                    {"id": "504", "differs": ["schedule.quartz_cron_expression"]},
                    {"id": "505", "differs": ["schedule.quartz_cron_expression"]}
                ])
            ),
            (
                "databricks_job.twin_2".to_string(),
                json!([
                    {"id": "504", "differs": ["schedule.quartz_cron_expression"]},
                    {"id": "505", "differs": ["schedule.quartz_cron_expression"]}
                ])
            ),
        ]
    );
    let text = std::fs::read_to_string(dir.join("terraform/generated/imports.tf")).unwrap();
    assert_eq!(text.matches("import {").count(), 1, "{text}");
    // The text report names the candidates and what tells them apart.
    let run = drsync(dir, &["adopt", "--now", NOW], ENV).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains("  ? databricks_job.copied_twice  \"copied twice\"\n      id \"502\" (identical to the HCL)\n      id \"503\" (identical to the HCL)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("      id \"504\" (differs: schedule.quartz_cron_expression)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("adopt: 1 import, 3 ambiguous: not every resource can be adopted\n"),
        "{}",
        run.stdout
    );

    // The state knows which copy Terraform manages and which twin is which: the rest follows by name.
    std::fs::write(
        dir.join("s.tfstate"),
        state(&[
            ("databricks_job.copied_twice".to_string(), "503".to_string()),
            ("databricks_job.twin".to_string(), "505".to_string()),
        ]),
    )
    .unwrap();
    let (code, a) = adopt(dir, &["--state", "s.tfstate"]).await;
    assert_eq!(code, 0, "{a:#}");
    assert_eq!(
        a["imports"],
        json!([
            {"address": "databricks_job.single", "name": "single", "id": "501", "updated_once": []},
            {"address": "databricks_job.twin_2", "name": "twin", "id": "504", "updated_once": []}
        ])
    );
    assert_eq!(
        a["in_state"],
        json!(["databricks_job.copied_twice", "databricks_job.twin"])
    );
    assert_eq!(
        a["unmanaged"],
        json!([{"kind": "jobs", "id": "502", "name": "copied twice"}])
    );
    // twin_2 is adopted as DR's 504, whose schedule apply puts back: listed as changed.
    assert_eq!(strings(&a["changed"], "address"), ["databricks_job.twin_2"]);
    assert_eq!(
        a["changed"][0]["fields"][0]["path"],
        "schedule.quartz_cron_expression"
    );
    assert_eq!(a["changed"][0]["fields"][0]["actual"], "0 0 5 * * ?");
    assert_eq!(a["changed"][0]["fields"][0]["expected"], "0 0 4 * * ?");
}

/// A synthetic workspace copied to DR as it is, then a few of its jobs copied again by a script (new ids): every
/// resource is imported but the copied ones, which are ambiguous; a user's own `imports.tf` is never
/// overwritten (exit 1, the file unchanged).
#[tokio::test]
async fn a_synthetic_dr_with_copies_made_twice() {
    let spec: drsync_emulator::SyntheticSpec =
        "jobs=60,clusters=6,pools=3,policies=3".parse().unwrap();
    let fixtures = drsync_emulator::synthetic(&spec, 21);
    let mut dr = fixtures.clone();
    let copied: Vec<String> = fixtures
        .jobs
        .iter()
        .step_by(20)
        .map(|j| j["settings"]["name"].as_str().unwrap().to_string())
        .collect();
    for (n, j) in fixtures.jobs.iter().step_by(20).enumerate() {
        let mut copy = j.clone();
        copy["job_id"] = json!(9_000_000 + n as i64);
        dr.jobs.push(copy);
    }
    let s = site(fixtures, dr, "").await;
    let dir = s.dir.path();
    let (code, a) = adopt(dir, &[]).await;
    assert_eq!(code, 2, "{a:#}");
    // The jobs copied twice are ambiguous, each with both copies; so are their grants (named by their job).
    let (jobs, grants): (Vec<&Value>, Vec<&Value>) =
        a["ambiguous"].as_array().unwrap().iter().partition(|x| {
            x["address"]
                .as_str()
                .unwrap()
                .starts_with("databricks_job.")
        });
    assert_eq!(jobs.len(), copied.len(), "{jobs:#?}");
    for x in &jobs {
        assert!(
            copied.contains(&x["name"].as_str().unwrap().to_string()),
            "{x}"
        );
        assert_eq!(x["candidates"].as_array().unwrap().len(), 2, "{x}");
        assert!(
            x["candidates"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["differs"] == json!([])),
            "{x}"
        );
    }
    let ambiguous_jobs: Vec<&Value> = jobs.iter().map(|x| &x["address"]).collect();
    for x in &grants {
        assert!(
            x["address"]
                .as_str()
                .unwrap()
                .starts_with("databricks_permissions."),
            "{x}"
        );
        assert!(ambiguous_jobs.contains(&&x["name"]), "{x}");
    }
    assert_eq!(a["missing"], json!([]));
    let raw = Raw::new(&s.dr);
    for i in a["imports"].as_array().unwrap() {
        let (address, id) = (i["address"].as_str().unwrap(), i["id"].as_str().unwrap());
        let name = dr_name_of(&raw, address, id).await;
        if !address.starts_with("databricks_permissions.") {
            assert_eq!(name, i["name"].as_str().unwrap(), "{address}");
        }
    }
    let mut covered: BTreeSet<String> = strings(&a["imports"], "address").into_iter().collect();
    covered.extend(strings(&a["ambiguous"], "address"));
    let all = addresses(dir);
    // The grants of an ambiguous job are as ambiguous as it is.
    assert_eq!(covered, all);

    // A file of the user's in the way: refused, untouched.
    let path = dir.join("terraform/generated/imports.tf");
    std::fs::write(&path, "# mine\n").unwrap();
    let run = drsync(dir, &["adopt"], ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("not written by drsync adopt"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
}

/// The acceptance test of issue 18: `imports.tf` applied through the provider model (an import reads the object
/// into state as the provider's importer does, §1.6, §12), then refresh and plan: no adopted resource is
/// created again, only the missing ones are, and the only updates are to the objects `adopt` listed as changed,
/// which are the ones drift reports.
#[tokio::test]
async fn applying_the_imports_plans_no_creates_and_only_the_listed_updates() {
    use crate::provider::{import, plan, refresh, State};
    let s = site(
        drsync_emulator::demo::primary().unwrap(),
        drsync_emulator::demo::dr().unwrap(),
        &format!("\n{}", drsync_emulator::demo::RULES),
    )
    .await;
    let dir = s.dir.path();
    let (code, a) = adopt(dir, &[]).await;
    assert_eq!(code, 2, "{a:#}");
    // The import blocks, as Terraform reads them from the file.
    let text = std::fs::read_to_string(dir.join("terraform/generated/imports.tf")).unwrap();
    let body = drsync::hcl::parse_str(&text, Path::new("imports.tf")).unwrap();
    let mut blocks = Vec::new();
    for b in body.blocks().filter(|b| b.identifier() == "import") {
        let attr = |k: &str| {
            b.body()
                .attributes()
                .find(|a| a.key() == k)
                .unwrap()
                .expr()
                .clone()
        };
        let to = drsync::hcl::expression_to_string(&attr("to"));
        let ::hcl::Expression::String(id) = attr("id") else {
            panic!("id is not a string: {b:?}")
        };
        blocks.push((to, id));
    }
    let listed: Vec<(String, String)> = a["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["address"].as_str().unwrap().to_string(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(blocks, listed);

    let client = crate::common::client(s.dr.url());
    let mut state = State::new();
    for (to, id) in &blocks {
        let instance = import(&client, to, id)
            .await
            .unwrap_or_else(|e| panic!("import {to} {id}: {e}"));
        state.insert(to.clone(), instance);
    }
    let mut files = crate::common::exported_files(dir);
    files.retain(|name, _| name.ends_with(".tf"));
    let config = drsync::tfconfig::load(&files, &[], &BTreeMap::new()).unwrap();
    let refreshed = refresh(&client, &config, &state).await.unwrap();
    let diffs = plan(&config, &refreshed);
    let creates: BTreeSet<&str> = diffs
        .iter()
        .filter(|d| d.path.is_empty() && d.state.is_none())
        .map(|d| d.address.as_str())
        .collect();
    let missing = strings(&a["missing"], "address");
    assert_eq!(
        creates,
        missing.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        "{}",
        crate::provider::roundtrip::show(&diffs)
    );
    assert!(
        !diffs
            .iter()
            .any(|d| d.path.is_empty() && d.config.is_none()),
        "nothing is destroyed"
    );
    let updated: BTreeSet<&str> = diffs
        .iter()
        .filter(|d| !(d.path.is_empty() && d.state.is_none()))
        .map(|d| d.address.as_str())
        .collect();
    // Updated: what drift lists as changed, and the imports whose HCL sets what the import does not read
    // (`updated_once`), for which the plan changes exactly those attributes.
    let changed = strings(&a["changed"], "address");
    let mut once: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in a["imports"].as_array().unwrap() {
        let fields: BTreeSet<String> = i["updated_once"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        if !fields.is_empty() {
            once.insert(i["address"].as_str().unwrap().to_string(), fields);
        }
    }
    assert!(!once.is_empty(), "the fixtures have some: {a:#}");
    let mut expected: BTreeSet<&str> = changed.iter().map(String::as_str).collect();
    expected.extend(once.keys().map(String::as_str));
    assert_eq!(
        updated,
        expected,
        "{}",
        crate::provider::roundtrip::show(&diffs)
    );
    for d in &diffs {
        if let Some(fields) = once
            .get(&d.address)
            .filter(|_| !changed.contains(&d.address))
        {
            let top = d.path.split(['.', '[']).next().unwrap();
            assert!(
                fields.contains(top),
                "{} {}: not in {fields:?}",
                d.address,
                d.path
            );
        }
    }
}
