//! The fault soak (issue 14): an export read under 429s, 503s, broken connections and cut-off bodies, all at
//! once, over several fixed seeds and both ways of paging jobs, writes byte-identical files to an export of
//! the same workspace without faults; the emulator's fault counters show that every kind fired.

use crate::common::start;
use drsync::api::{ClientOptions, Credentials, JobsPaging, Secret, WorkspaceClient};
use drsync::config::ExportSection;
use drsync::export::{self, LabelMap, Settings};
use drsync::model::ResourceKind;
use drsync_emulator::{synthetic, Emulator, EmulatorConfig, Fault, Fixtures, DEFAULT_TOKEN};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Every fault kind a flaky workspace shows, at a rate that makes each fire many times per export.
const FAULTS: [&str; 4] = ["429:0.12", "503:0.12", "reset:0.12", "truncate:0.12"];

/// A realistic workspace big enough for several pages of jobs, jobs over 100 tasks (fetched with `jobs/get`)
/// and a `clusters/get` per cluster: about 60 requests per export.
fn workspace() -> Fixtures {
    synthetic(
        &"jobs=300,clusters=50,pools=8,policies=6".parse().unwrap(),
        7,
    )
}

/// An export as `drsync export` makes it (jobs converted while the listing runs), written to a fresh folder;
/// returns the files written and the warnings.
async fn export(emu: &Emulator, paging: JobsPaging) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let client = WorkspaceClient::new(
        "primary",
        emu.url(),
        Credentials::Pat(Secret::new(DEFAULT_TOKEN)),
        ClientOptions {
            rate_limit: 0.0,
            jobs_paging: paging,
            // Fast retries (Retry-After is honoured up to this cap), and enough of them that a run of faults
            // on one request never exhausts them.
            base_backoff: Duration::from_millis(2),
            retry_after_cap: Duration::from_millis(5),
            max_attempts: 30,
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let section = ExportSection::default();
    let settings = Settings {
        // Every kind, grants included: a `GET permissions/...` per object (364 here), paced at its published
        // 100/s, through random 429s that a family young or old rides out near its ceiling (`api::pacing`).
        kinds: ResourceKind::ALL.to_vec(),
        filter: section.name_filter().unwrap(),
        provider_version: section.provider_version.clone(),
        // Not the emulator's URL, which differs between runs.
        source_host: "https://dbc-primary.cloud.databricks.com".to_string(),
        rules: drsync::rewrite::Rules::default(),
        normalize: Default::default(),
        exporter: Some(client.current_user().await.unwrap().user_name),
        workspace_id: None,
    };
    let preparer = Arc::new(export::Preparer::new(
        settings.clone(),
        drsync::convert::provider_schema(),
    ));
    let read =
        drsync::ops::export::read(&client, &drsync::inventory::Progress::default(), &preparer)
            .await
            .expect("the listing completes despite the faults");
    let built =
        export::build_prepared(read, &settings, &LabelMap::default(), preparer.schema()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    export::write(&built, &out).unwrap();
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let entry = entry.unwrap();
        files.insert(
            entry.file_name().to_string_lossy().into_owned(),
            std::fs::read(entry.path()).unwrap(),
        );
    }
    let warnings = built
        .warnings
        .iter()
        .map(|w| format!("{}: {}: {}", w.resource, w.path, w.message))
        .collect();
    (files, warnings)
}

#[tokio::test]
async fn an_export_under_every_fault_at_once_writes_the_same_bytes() {
    let calm = start(EmulatorConfig {
        fixtures: workspace(),
        ..EmulatorConfig::default()
    })
    .await;
    let (expected, expected_warnings) = export(&calm, JobsPaging::Token).await;
    let calm_requests = calm.request_count();
    assert!(calm.faults_injected().is_empty());
    assert!(expected.contains_key("jobs.tf") && expected.contains_key("clusters.tf"));
    assert!(
        calm.requests_by_path()["GET /api/2.2/jobs/get"] > 0,
        "the workspace has jobs over 100 tasks, read with jobs/get"
    );
    for (seed, paging) in [
        (1, JobsPaging::Token),
        (2, JobsPaging::Offset),
        (3, JobsPaging::Token),
        (4, JobsPaging::Offset),
    ] {
        let emu = start(EmulatorConfig {
            fixtures: workspace(),
            faults: FAULTS.iter().map(|f| f.parse::<Fault>().unwrap()).collect(),
            seed,
            ..EmulatorConfig::default()
        })
        .await;
        let (files, warnings) = export(&emu, paging).await;
        let fired = emu.faults_injected();
        for kind in ["429", "503", "reset", "truncate"] {
            assert!(
                fired.get(kind).copied().unwrap_or(0) > 0,
                "seed {seed}: no {kind} fired: {fired:?}"
            );
        }
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "seed {seed}"
        );
        for (name, bytes) in &expected {
            assert!(
                files[name] == *bytes,
                "seed {seed} ({paging:?}): {name} differs from the fault-free export"
            );
        }
        assert_eq!(warnings, expected_warnings, "seed {seed}");
        if paging == JobsPaging::Token {
            // Each fault cost exactly one more request, its retry: nothing was read twice otherwise.
            assert_eq!(
                emu.request_count(),
                calm_requests + fired.values().sum::<u64>(),
                "seed {seed}: {fired:?}"
            );
        }
    }
}
