//! `check` as an operation: is the DR workspace ready to take over? Gathers what `crate::check` judges from
//! the desired state ([`super::desired`]) and the clients the caller built. Returns the report; rendering it
//! and the exit code are the caller's, and so is running the data-freshness command.

use super::desired::Desired;
use crate::api::WorkspaceClient;
use crate::check::{CheckReport, DataAge, Error, Inputs, Settings, Unavailable};
use crate::config::Config;
use std::collections::BTreeMap;

/// What `check` is given beside the desired state.
pub struct CheckSettings<'a> {
    /// drsync.toml.
    pub config: &'a Config,
    /// `[check]`, validated.
    pub settings: Settings,
    /// The DR client, or why there is none.
    pub dr: Result<&'a WorkspaceClient, Unavailable<'a>>,
    /// DR's host as configured, for the report.
    pub dr_host: String,
    /// The primary's client or why there is none, when drsync.toml names a primary.
    pub primary: Option<Result<&'a WorkspaceClient, Unavailable<'a>>>,
    /// The current time, in seconds since the epoch.
    pub now: i64,
    /// What the data-freshness command said, when there is one.
    pub data_age: Option<DataAge>,
}

/// Judge DR's readiness. A repository, revision or file that cannot be read was an error of
/// [`super::desired::load`]; HCL that does not load, like an export time that cannot be read, is a failed
/// check here.
pub async fn check(desired: Desired, settings: CheckSettings<'_>) -> Result<CheckReport, Error> {
    let CheckSettings {
        config,
        settings,
        dr,
        dr_host,
        primary,
        now,
        data_age,
    } = settings;
    let newest_export = match &desired.repo {
        Some(repo) => repo.newest_export_time().map(|t| t.map(|t| t.seconds)),
        None => Ok(None),
    };
    let primary_workspace_id = desired.primary_workspace_id();
    let files = desired.files.len();
    let Desired {
        files: texts,
        var_files,
        source,
        state,
        ignore,
        ..
    } = desired;
    // Parsed on a blocking thread while `check` reads DR (as drift does).
    let parsing = tokio::task::spawn_blocking(move || {
        crate::tfconfig::load(&texts, &var_files, &BTreeMap::new())
    });
    let parsed = Box::pin(async {
        match parsing.await {
            Ok(loaded) => loaded,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    });
    crate::check::run(Inputs {
        dr,
        dr_host,
        primary,
        desired: parsed,
        source,
        files,
        newest_export,
        now,
        kinds: config.export.resources.clone(),
        normalize: config.export.normalize_options(),
        state: state.as_ref(),
        ignore: ignore.as_ref(),
        settings,
        data_age,
        primary_workspace_id,
    })
    .await
}
