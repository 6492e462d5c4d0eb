//! `drift` as an operation: the live DR workspace against the desired state ([`super::desired`]). Checks that
//! DR is a workspace and not the primary, reads it while the HCL is parsed, and compares. Returns the report;
//! rendering it, writing a baseline and the exit code are the caller's.

use super::desired::Desired;
use crate::api::identity::{DrIsPrimary, PRIMARY_AS_RECORDED};
use crate::api::{IdentityError, WorkspaceClient};
use crate::config::Config;
use crate::drift::{self, ignore::IgnoreRules, Report};
use std::collections::BTreeMap;

/// What a drift run found.
pub struct DriftOutcome {
    /// The report, before the ignore rules.
    pub report: Report,
    /// The addresses of the desired resources that have no finding (JUnit's passing cases).
    pub in_sync: Vec<String>,
    /// The ignore rules of the desired state, not yet applied.
    pub ignore: Option<IgnoreRules>,
}

impl DriftOutcome {
    /// Every current finding as ignore rules (today's drift as the baseline), including those the present rules
    /// hide, so that writing it over the present ignore file loses nothing.
    pub fn baseline(&self) -> String {
        drift::ignore::baseline(&self.report.findings)
    }

    /// Drop what the ignore rules ignore, and count again.
    pub fn apply_ignore(&mut self) {
        if let Some(rules) = &self.ignore {
            self.report.findings = rules.apply(std::mem::take(&mut self.report.findings));
            drift::resummarize(&mut self.report);
        }
    }
}

/// Why drift could not judge DR.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// DR could not say which workspace it is, or is not a workspace.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// DR is the primary the export was read from.
    #[error(transparent)]
    DrIsPrimary(#[from] DrIsPrimary),
    /// DR could not be read.
    #[error(transparent)]
    Read(#[from] crate::api::Error),
    /// The desired state's HCL does not load.
    #[error(transparent)]
    Desired(#[from] crate::tfconfig::Error),
    /// The comparison failed.
    #[error(transparent)]
    Compare(#[from] drift::Error),
}

/// Compare the DR workspace `client` with `desired`. The parsed HCL and the live objects are never freed: the
/// caller is a command that ends soon, and freeing a million small allocations one by one would take longer
/// than the comparison.
pub async fn drift(
    config: &Config,
    desired: Desired,
    client: &WorkspaceClient,
) -> Result<DriftOutcome, Error> {
    let read = read_and_compare(config, desired, client, Matching::Drift).await?;
    std::mem::forget(read.parsed);
    Ok(DriftOutcome {
        report: read.compared.report,
        in_sync: read.compared.in_sync,
        ignore: read.ignore,
    })
}

/// How [`read_and_compare`] matches resources to DR objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Matching {
    /// As drift: by state alone when there is one, else by name.
    Drift,
    /// As adopt: by state for what it records, by name for the rest ([`drift::compare_for_adoption`]).
    Adopt,
}

/// What [`read_and_compare`] read and found.
pub(super) struct Read {
    /// The comparison.
    pub compared: drift::Compared,
    /// The HCL as evaluated (the caller frees or forgets it).
    pub parsed: crate::tfconfig::Configuration,
    /// Who DR is.
    pub me: crate::api::Identity,
    /// The state the desired state named.
    pub state: Option<drift::StateIds>,
    /// The ignore rules of the desired state, not yet applied.
    pub ignore: Option<IgnoreRules>,
}

/// Check that DR is a workspace and not the primary, read it while the HCL is parsed, and compare.
pub(super) async fn read_and_compare(
    config: &Config,
    desired: Desired,
    client: &WorkspaceClient,
    matching: Matching,
) -> Result<Read, Error> {
    // Before the answer is trusted: DR must be a workspace (`api::identity`), and not the primary the export
    // was read from (whose id the label file records).
    let me = client.identify().await?;
    if let Some(primary) = desired.primary_workspace_id() {
        DrIsPrimary::refuse(&me, client.host(), &[(Some(&primary), PRIMARY_AS_RECORDED)])?;
    }
    // Which workspace DR is, for `-v`: stderr stays quiet by default, as CI logs read it.
    tracing::info!(workspace_id = %me.workspace_id, host = %client.host(), "DR workspace");
    let Desired {
        files,
        var_files,
        mut source,
        state,
        ignore,
        ..
    } = desired;
    let kinds = config.export.resources.clone();
    // Live state, read while the desired state is parsed (on a blocking thread: 30 MB of HCL take a while).
    let parsing = tokio::task::spawn_blocking(move || {
        crate::tfconfig::load(&files, &var_files, &BTreeMap::new())
    });
    let options = config.export.normalize_options();
    let (parsed, live) = tokio::join!(
        async {
            match parsing.await {
                Ok(loaded) => loaded,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        },
        crate::inventory::read_normalized(client, &kinds, &options)
    );
    let parsed = parsed?;
    let live = live?;
    source.workspace = client.host().to_string();
    let schema = crate::convert::provider_schema();
    let compare = match matching {
        Matching::Drift => drift::compare_normalized,
        Matching::Adopt => drift::compare_for_adoption,
    };
    let compared = compare(
        &parsed,
        &live,
        &kinds,
        state.as_ref(),
        source,
        &schema,
        Some(&me.user.user_name),
    )?;
    std::mem::forget(live);
    Ok(Read {
        compared,
        parsed,
        me,
        state,
        ignore,
    })
}
