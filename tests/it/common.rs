//! Shared pieces for the integration tests: starting emulators and talking to them with plain HTTP.
#![allow(dead_code)]

use drsync_emulator::{Emulator, EmulatorConfig, Fixtures, DEFAULT_TOKEN};
use serde_json::Value;
use std::path::PathBuf;

/// The repository's `fixtures/` folder.
pub fn fixtures_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A client of an emulated workspace with the default token and no rate limit.
pub fn client(url: &str) -> drsync::api::WorkspaceClient {
    drsync::api::WorkspaceClient::new(
        "emulator",
        url,
        drsync::api::Credentials::Pat(drsync::api::Secret::new(DEFAULT_TOKEN)),
        drsync::api::ClientOptions {
            rate_limit: 0.0,
            ..drsync::api::ClientOptions::default()
        },
    )
    .unwrap()
}

/// Start an emulator on 127.0.0.1 with a random port.
pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts")
}

/// The user behind an emulator's personal access tokens (its SCIM `Me`): who reads DR in these tests, and who
/// applies the HCL there.
pub const EMULATOR_USER: &str = "emulator@example.com";

/// The fixture primary's users, groups and service principals, and nothing else: identities reach a DR
/// workspace from the identity provider (SCIM provisioning), not from the export, so every DR these tests apply
/// an export to has them (a secret ACL for a principal the workspace lacks is refused).
pub fn primary_identities() -> Fixtures {
    let primary = Fixtures::load(&fixtures_dir("primary")).unwrap();
    Fixtures {
        users: primary.users,
        groups: primary.groups,
        service_principals: primary.service_principals,
        ..Fixtures::default()
    }
}

/// Start an emulator seeded with `fixtures`, otherwise default settings.
pub async fn start_with(fixtures: Fixtures) -> Emulator {
    start(EmulatorConfig {
        fixtures,
        ..EmulatorConfig::default()
    })
    .await
}

/// A raw HTTP helper that sends the default emulator token.
pub struct Raw {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

impl Raw {
    pub fn new(emu: &Emulator) -> Self {
        Raw {
            base: emu.url().to_string(),
            http: reqwest::Client::new(),
            token: DEFAULT_TOKEN.to_string(),
        }
    }

    /// GET `path?query`, returning status and parsed body (Null for an empty body).
    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{}", self.base, path_and_query))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body read");
        (status, parse(&text))
    }

    /// POST a JSON body to `path`.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body read");
        (status, parse(&text))
    }

    /// The id of the first job listed under `name` (Null when none is).
    pub async fn job_id(&self, name: &str) -> Value {
        let (_, list) = self.get(&format!("/api/2.2/jobs/list?name={name}")).await;
        list["jobs"][0]["job_id"].clone()
    }

    /// The job named `name`, as `jobs/get` returns it.
    pub async fn job_named(&self, name: &str) -> Value {
        let id = self.job_id(name).await;
        self.get(&format!("/api/2.1/jobs/get?job_id={id}")).await.1
    }

    /// `jobs/update` of the job `job_id` with `new_settings` (merged by key), which must succeed.
    pub async fn update_job(&self, job_id: &Value, new_settings: Value) {
        let (status, body) = self
            .post(
                "/api/2.2/jobs/update",
                serde_json::json!({"job_id": job_id, "new_settings": new_settings}),
            )
            .await;
        assert_eq!(status, 200, "jobs/update {job_id}: {body}");
    }

    /// `jobs/delete` of the job `job_id`, which must succeed.
    pub async fn delete_job(&self, job_id: &Value) {
        let (status, body) = self
            .post(
                "/api/2.2/jobs/delete",
                serde_json::json!({"job_id": job_id}),
            )
            .await;
        assert_eq!(status, 200, "jobs/delete {job_id}: {body}");
    }
}

/// Check `id` in the JSON report of `drsync check`.
pub fn check_named<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks: {report:#}"))
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}: {report:#}"))
}

/// The ids of the checks that failed, in the order the JSON report of `drsync check` lists them.
pub fn failed_checks(report: &Value) -> Vec<&str> {
    report["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks: {report:#}"))
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

fn parse(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).unwrap_or(Value::String(text.to_string()))
    }
}

/// The outcome of running the drsync binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// [`drsync_blocking`] off the async runtime, so that in-process emulators keep serving while it runs.
pub async fn drsync(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        drsync_blocking(&dir, &args, &env)
    })
    .await
    .expect("drsync runner")
}

/// Run the drsync binary in `dir` with a clean environment: only PATH, a HOME inside `dir`, no git config, and
/// the variables given.
pub fn drsync_blocking(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = dir.join(".home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_drsync"));
    cmd.current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("drsync runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A drsync.toml for a primary workspace at `url` whose token is in $PRIMARY_TOKEN, plus `extra` lines.
pub fn write_config(dir: &std::path::Path, url: &str, extra: &str) {
    std::fs::write(
        dir.join("drsync.toml"),
        format!("[workspaces.primary]\nhost = \"{url}\"\ntoken_env = \"PRIMARY_TOKEN\"\n{extra}"),
    )
    .unwrap();
}

/// The environment that holds the emulator's default token.
pub const PRIMARY_ENV: &[(&str, &str)] = &[("PRIMARY_TOKEN", DEFAULT_TOKEN)];

/// `git init` in `dir` (with git2, so no git config is read), and a first commit of a README so that the
/// repository has a branch.
pub fn git_init(dir: &std::path::Path) -> git2::Repository {
    let repo = git2::Repository::init(dir).unwrap();
    std::fs::write(dir.join("README.md"), "DR configuration\n").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(std::path::Path::new("README.md")).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::new(
        "Test",
        "test@example.com",
        &git2::Time::new(1_700_000_000, 0),
    )
    .unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "initial", &tree, &[])
        .unwrap();
    drop(tree);
    repo
}

/// The environment for exports that commit: the token, a fixed author and a fixed time.
pub const COMMIT_ENV: &[(&str, &str)] = &[
    ("PRIMARY_TOKEN", DEFAULT_TOKEN),
    ("GIT_COMMITTER_DATE", "@1700000000 +0000"),
];

/// Whether the external `tool` runs (`tool ARGS` succeeds), for the tests that need it. Where it does not, the
/// test is skipped with a message naming `install`, except under `CI=true`, where a missing tool fails the test:
/// CI has every tool, and a test that skips there proves nothing (issue 14).
#[allow(clippy::print_stderr)] // the skip message is for the person running the tests
pub fn tool_available(tool: &str, args: &[&str], install: &str) -> bool {
    let present = std::process::Command::new(tool)
        .args(args)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{tool} is not installed, and CI=true requires it: {install}"
        );
        eprintln!("skipped: {tool} is not installed ({install})");
    }
    present
}

/// [`tool_available`] for `terraform`.
pub fn terraform_available() -> bool {
    tool_available(
        "terraform",
        &["version"],
        "install Terraform >= 1.1 on PATH",
    )
}

#[path = "../shared/export.rs"]
mod export;
pub use export::{export_settings, DR_RULES};

/// An emulator with no objects (the default configuration), and a raw client of it.
pub async fn empty_workspace() -> (Emulator, Raw) {
    let emu = start(EmulatorConfig::default()).await;
    let raw = Raw::new(&emu);
    (emu, raw)
}

/// An empty DR workspace's fixtures for the fixture primary: no objects, but the account's users, groups and
/// service principals the primary names, which every workspace of the account knows (so that its grants apply).
pub fn dr_of_primary() -> Fixtures {
    Fixtures {
        principals: Fixtures::load(&fixtures_dir("primary"))
            .unwrap()
            .principals_named(),
        ..primary_identities()
    }
}

/// An emulator seeded with `fixtures/primary`.
pub async fn start_fixture_primary() -> Emulator {
    start_with(Fixtures::load(&fixtures_dir("primary")).unwrap()).await
}

/// What `inventory::read` reads from the workspace at `url`: every resource kind.
pub async fn read_all(url: &str) -> drsync::inventory::Inventory {
    drsync::inventory::read(&client(url), &drsync::model::ResourceKind::ALL)
        .await
        .unwrap()
}

/// The fixture primary (`fixtures/primary`) as `inventory::read` reads it.
pub async fn read_fixture_primary() -> drsync::inventory::Inventory {
    let emu = start_fixture_primary().await;
    read_all(emu.url()).await
}

/// `inv` exported with `settings`, with no previous labels.
pub fn build_export(
    inv: drsync::inventory::Inventory,
    settings: &drsync::export::Settings,
) -> drsync::export::Export {
    drsync::export::build(
        inv,
        settings,
        &drsync::export::LabelMap::default(),
        &drsync::convert::provider_schema(),
    )
    .unwrap()
}

/// A drsync.toml for a primary at `primary` ($PRIMARY_TOKEN) and a DR at `dr` ($DR_TOKEN), then `extra`.
pub fn write_dr_config(dir: &std::path::Path, primary: &str, dr: &str, extra: &str) {
    std::fs::write(
        dir.join("drsync.toml"),
        format!(
            "[workspaces.primary]\nhost = \"{primary}\"\ntoken_env = \"PRIMARY_TOKEN\"\n\n[workspaces.dr]\nhost = \"{dr}\"\ntoken_env = \"DR_TOKEN\"\n{extra}"
        ),
    )
    .unwrap();
}

/// Every file of the export folder `dir/terraform/generated`, by name.
pub fn exported_files(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(dir.join("terraform/generated"))
        .unwrap()
        .flatten()
    {
        files.insert(
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read_to_string(e.path()).unwrap(),
        );
    }
    files
}

/// Set the schedule of the job named `name` in `emu` to UNPAUSED, as someone acting on DR by hand would.
pub async fn unpause(emu: &Emulator, name: &str) {
    let raw = Raw::new(emu);
    let job = raw.job_named(name).await;
    let mut schedule = job["settings"]["schedule"].clone();
    schedule["pause_status"] = serde_json::json!("UNPAUSED");
    raw.update_job(&job["job_id"], serde_json::json!({"schedule": schedule}))
        .await;
}

/// A repository with an export committed by `drsync export`, and the emulators it was read from and applied to.
pub struct DrSetup {
    pub dir: tempfile::TempDir,
    pub primary: Emulator,
    pub dr: Emulator,
}

/// A repository (in a temporary folder) with a committed, rewritten export of the fixture primary, and a
/// passive DR emulator it was applied to, holding the primary's identities, instance profiles and workspace
/// objects, with every all-purpose cluster terminated: what `check` looks for. drsync.toml names both
/// workspaces, then `extra`; `customize` changes DR's fixtures before it starts (the catalog, say); the
/// resources whose addresses are in `skip` are not applied.
pub async fn passive_dr(
    extra: &str,
    customize: impl FnOnce(&mut Fixtures),
    skip: &[&str],
) -> DrSetup {
    let primary_fixtures = Fixtures::load(&fixtures_dir("primary")).unwrap();
    // The secret scopes come with the export.
    let mut dr_fixtures = Fixtures {
        principals: primary_fixtures.principals_named(),
        instance_profiles: primary_fixtures.instance_profiles.clone(),
        workspace_objects: primary_fixtures.workspace_objects.clone(),
        ..primary_identities()
    };
    customize(&mut dr_fixtures);
    let primary = start_with(primary_fixtures).await;
    let dr = start(EmulatorConfig {
        fixtures: dr_fixtures,
        seed: 3,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_dr_config(dir.path(), primary.url(), dr.url(), extra);
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let files = exported_files(dir.path());
    let mut config =
        drsync::tfconfig::load(&files, &[], &std::collections::BTreeMap::new()).unwrap();
    // What is skipped is not applied, nor the grants on it: they cannot exist without their object.
    config.resources.retain(|r| {
        let on_skipped = r.resource_type == "databricks_permissions"
            && crate::provider::value::references(&drsync::convert::api_body(r))
                .iter()
                .any(|a| skip.contains(&a.as_str()));
        !skip.contains(&r.address().as_str()) && !on_skipped
    });
    crate::provider::apply(&config, &client(dr.url()))
        .await
        .unwrap();
    let raw = Raw::new(&dr);
    // The secrets the export lists as to be provided in DR (drsync never reads or writes a value), put where
    // their scope was created: what an operator does before DR is ready.
    let wanted: std::collections::BTreeSet<(&str, &str)> = files
        .values()
        .flat_map(|text| drsync::model::secret_references(text))
        .collect();
    for (scope, key) in wanted {
        let put = serde_json::json!({"scope": scope, "key": key, "string_value": "provided in DR"});
        let (s, body) = raw.post("/api/2.0/secrets/put", put).await;
        assert!(
            s == 200 || body["error_code"] == "RESOURCE_DOES_NOT_EXIST",
            "{s} {body}"
        );
    }
    // A passive DR: every all-purpose cluster terminated.
    let (_, list) = raw.get("/api/2.1/clusters/list").await;
    for c in list["clusters"].as_array().into_iter().flatten() {
        let (s, body) = raw
            .post(
                "/api/2.1/clusters/delete",
                serde_json::json!({"cluster_id": c["cluster_id"]}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    DrSetup { dir, primary, dr }
}
