//! "Is this a workspace?" (issue 14): before export, drift or check trust an answer, the host must show that it
//! is a Databricks workspace (SCIM `Me` with an identity, a workspace id in `X-Databricks-Org-Id` or the host
//! metadata), and the one the export was read from; DR must not be the primary.

use crate::common::{drsync, git_init, start, COMMIT_ENV};
use drsync_emulator::{Emulator, EmulatorConfig, Fixtures, DEFAULT_TOKEN};
use serde_json::{json, Value};
use std::path::Path;

const ENV: &[(&str, &str)] = &[
    ("PRIMARY_TOKEN", DEFAULT_TOKEN),
    ("DR_TOKEN", DEFAULT_TOKEN),
];

/// A server on loopback that answers every request with `200 {}`, or SCIM `Me` with `me` (and no
/// `X-Databricks-Org-Id` header) when one is given: a proxy, a mock, a wrong service.
async fn stand_in(me: Option<Value>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/api/2.0/preview/scim/v2/Me",
            axum::routing::get(move || {
                let me = me.clone().unwrap_or_else(|| json!({}));
                async move { axum::Json(me) }
            }),
        )
        .fallback(|| async { axum::Json(json!({})) });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

fn write_config(dir: &Path, primary: &str, dr: &str) {
    std::fs::write(
        dir.join("drsync.toml"),
        format!(
            "[workspaces.primary]\nhost = \"{primary}\"\ntoken_env = \"PRIMARY_TOKEN\"\n\n[workspaces.dr]\nhost = \"{dr}\"\ntoken_env = \"DR_TOKEN\"\n\n[client]\nrate_limit = 0\nmax_attempts = 2\n"
        ),
    )
    .unwrap();
}

async fn primary() -> Emulator {
    start(EmulatorConfig {
        fixtures: Fixtures::load(&crate::common::fixtures_dir("primary")).unwrap(),
        ..EmulatorConfig::default()
    })
    .await
}

/// A repository with one committed export of `primary`.
async fn exported(primary: &Emulator, dr: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_config(dir.path(), primary.url(), dr);
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    dir
}

fn head(dir: &Path) -> String {
    git2::Repository::open(dir)
        .unwrap()
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string()
}

/// The emulator answers SCIM `Me` with its workspace id in `X-Databricks-Org-Id`, and the host metadata names
/// the same id, as the SDKs read them; the client confirms the workspace with them.
#[tokio::test]
async fn the_emulator_is_a_workspace_with_an_id() {
    let emu = start(EmulatorConfig::default()).await;
    let other = start(EmulatorConfig::default()).await;
    assert_ne!(emu.workspace_id(), other.workspace_id());
    let id = emu.workspace_id().to_string();
    assert_eq!(id.len(), 16, "{id}");
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{}/api/2.0/preview/scim/v2/Me", emu.url()))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("x-databricks-org-id")
            .and_then(|v| v.to_str().ok()),
        Some(id.as_str())
    );
    let metadata: Value = http
        .get(format!("{}/.well-known/databricks-config", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["workspace_id"], json!(id));

    let me = crate::common::client(emu.url()).identify().await.unwrap();
    assert_eq!(me.workspace_id, id);
    assert_eq!(me.user.user_name, "emulator@example.com");
    let fixed = start(EmulatorConfig {
        workspace_id: Some(1_234_567_890_123_456),
        ..EmulatorConfig::default()
    })
    .await;
    let me = crate::common::client(fixed.url()).identify().await.unwrap();
    assert_eq!(me.workspace_id, "1234567890123456");
}

/// A server that answers `{}` to everything is not a workspace: export, drift and check refuse it (exit 1)
/// before reading anything, instead of exporting nothing or finding every DR object missing.
#[tokio::test]
async fn a_server_answering_empty_objects_is_refused() {
    let fake = stand_in(None).await;
    let primary = primary().await;

    // Export from it: refused, nothing written.
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_config(dir.path(), &fake, &fake);
    let before = head(dir.path());
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: primary: {fake} is not a Databricks workspace: GET /api/2.0/preview/scim/v2/Me answered without an identity (an empty object)"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: the host must be a workspace URL"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("terraform/generated").exists());
    assert_eq!(head(dir.path()), before);

    // Drift and check of DR against it: refused.
    let dir = exported(&primary, &fake).await;
    let expected = format!(
        "error: dr: {fake} is not a Databricks workspace: GET /api/2.0/preview/scim/v2/Me answered without an identity (an empty object)"
    );
    let run = drsync(dir.path(), &["drift"], ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.starts_with(&expected), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let run = drsync(dir.path(), &["check"], ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: the DR host is not a Databricks workspace"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&expected[7..]), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

/// An identity alone is not enough: a host that names no workspace id (no `X-Databricks-Org-Id`, no
/// `workspace_id` in the host metadata) is not a workspace either.
#[tokio::test]
async fn a_server_without_a_workspace_id_is_refused() {
    let fake = stand_in(Some(json!({"id": "1", "userName": "someone@example.com"}))).await;
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    write_config(dir.path(), &fake, &fake);
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: primary: {fake} is not a Databricks workspace: it names no workspace id (GET /api/2.0/preview/scim/v2/Me: no X-Databricks-Org-Id header; GET /.well-known/databricks-config: no workspace_id in it)"
        )),
        "{}",
        run.stderr
    );
}

/// The label file records the primary's workspace id; an export from another workspace over it is refused
/// (exit 1, nothing written, both ids named), unless `--allow-workspace-change`.
#[tokio::test]
async fn a_changed_primary_workspace_is_refused() {
    let primary = primary().await;
    let dr = start(EmulatorConfig::default()).await;
    let dir = exported(&primary, dr.url()).await;
    let labels_path = dir.path().join("terraform/generated/drsync-labels.json");
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(&labels_path).unwrap()).unwrap();
    let first = primary.workspace_id().to_string();
    assert_eq!(labels["workspace_id"], json!(first));

    // Another workspace answers at the primary's address (the same objects, another id).
    let other = start(EmulatorConfig {
        fixtures: Fixtures::load(&crate::common::fixtures_dir("primary")).unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let second = other.workspace_id().to_string();
    write_config(dir.path(), other.url(), dr.url());
    let before = head(dir.path());
    let files_before = std::fs::read_to_string(&labels_path).unwrap();
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: {} is workspace {second}, but the previous export was read from workspace {first} (",
            other.url()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--allow-workspace-change"),
        "{}",
        run.stderr
    );
    assert_eq!(head(dir.path()), before);
    assert_eq!(std::fs::read_to_string(&labels_path).unwrap(), files_before);

    let run = drsync(
        dir.path(),
        &["export", "--allow-workspace-change"],
        COMMIT_ENV,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(&labels_path).unwrap()).unwrap();
    assert_eq!(labels["workspace_id"], json!(second));
    // And from now on the new one is the recorded one.
    let run = drsync(dir.path(), &["export"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
}

/// A label file written before the workspace id was recorded still reads, and the next export records it.
#[tokio::test]
async fn an_older_label_file_is_read_and_completed() {
    let primary = primary().await;
    let dr = start(EmulatorConfig::default()).await;
    let dir = exported(&primary, dr.url()).await;
    let labels_path = dir.path().join("terraform/generated/drsync-labels.json");
    let mut labels: Value =
        serde_json::from_str(&std::fs::read_to_string(&labels_path).unwrap()).unwrap();
    labels.as_object_mut().unwrap().remove("workspace_id");
    std::fs::write(&labels_path, serde_json::to_string_pretty(&labels).unwrap()).unwrap();
    let run = drsync(dir.path(), &["export", "--no-commit"], COMMIT_ENV).await;
    assert_eq!(run.code, 0, "{run:?}");
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(&labels_path).unwrap()).unwrap();
    assert_eq!(
        labels["workspace_id"],
        json!(primary.workspace_id().to_string())
    );
}

/// DR pointed at the primary (a copied host, a wrong profile): drift and check say so (exit 1), naming the id,
/// instead of reporting the primary as a perfect DR copy.
#[tokio::test]
async fn dr_pointing_at_the_primary_is_an_error() {
    let primary = primary().await;
    let dir = exported(&primary, primary.url()).await;
    let id = primary.workspace_id();
    let run = drsync(dir.path(), &["drift"], ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: the DR workspace {} is the primary workspace: workspace id {id} is the primary's, as the export recorded it in drsync-labels.json",
            primary.url()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: [workspaces.dr] must name the DR workspace"),
        "{}",
        run.stderr
    );
    let run = drsync(dir.path(), &["check"], ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: the DR workspace {} is the primary workspace: workspace id {id} is the primary's, as the export recorded it in drsync-labels.json",
            primary.url()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

/// check and drift tell which workspace DR is.
#[tokio::test]
async fn check_and_drift_name_the_dr_workspace() {
    let primary = primary().await;
    let dr = start(EmulatorConfig::default()).await;
    let dir = exported(&primary, dr.url()).await;
    let run = drsync(dir.path(), &["check", "--format", "json"], ENV).await;
    let json: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let reachable = &json["checks"][0];
    assert_eq!(reachable["id"], "dr_reachable");
    assert_eq!(
        reachable["evidence"][1],
        json!(format!("workspace id {}", dr.workspace_id()))
    );
    // drift says it at -v; by default its stderr stays quiet (CI logs).
    let run = drsync(dir.path(), &["drift"], ENV).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stderr, "");
    let run = drsync(dir.path(), &["-v", "drift"], ENV).await;
    assert_eq!(run.code, 2, "{run:?}");
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("DR workspace"))
        .unwrap_or_else(|| panic!("{run:?}"));
    assert!(
        line.ends_with(&format!(
            "DR workspace workspace_id={} host={}",
            dr.workspace_id(),
            dr.url()
        )),
        "{line}"
    );
}
