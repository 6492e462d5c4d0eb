//! Readiness of the DR workspace (`drsync check`): is it reachable, is its copy recent, does the committed HCL
//! load, does DR match it, can DR's region run it (node types, runtimes, zones, instance profiles), do its
//! secret scopes, keys, principals and code exist, is it passive. Returns a [`CheckReport`] value; it never
//! prints, never reads the environment and runs no commands (the caller passes the data-freshness command's
//! output in). The checks that only compare data ([`catalog`]) are pure.

pub mod catalog;

use crate::api::{Identity, IdentityError, WorkspaceClient};
use crate::config::{parse_duration, Changed, CheckSection};
use crate::drift::{self, ignore::IgnoreRules, FindingKind, Source, StateIds};
use crate::model::ResourceKind;
use crate::tfconfig::Configuration;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

/// The version of the JSON document's schema; bumped on any incompatible change.
pub const REPORT_VERSION: u32 = 1;

/// The outcome of `drsync check`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    /// Schema version ([`REPORT_VERSION`]).
    pub version: u32,
    /// Whether no check failed.
    pub ready: bool,
    /// Seconds since the newest export commit, when there is one.
    pub sync_age_seconds: Option<i64>,
    /// The DR workspace's host.
    pub workspace: String,
    /// The Git revision the HCL was read at.
    pub git_ref: String,
    /// The commit it resolved to.
    pub commit: Option<String>,
    /// Every check, in a fixed order.
    pub checks: Vec<CheckResult>,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    /// Stable id (`dr_reachable`, `sync_age`, ...).
    pub id: String,
    /// What it checks, for people.
    pub title: String,
    /// Pass, warn or fail.
    pub status: Status,
    /// One line on what was found.
    pub summary: String,
    /// What was looked at.
    pub evidence: Vec<String>,
    /// Each problem found (empty when passing).
    pub details: Vec<String>,
    /// How long the check took, in milliseconds.
    pub duration_ms: u64,
}

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fine.
    Pass,
    /// Worth a look; does not make DR not ready.
    Warn,
    /// DR is not ready.
    Fail,
}

impl Status {
    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// Thresholds, from `[check]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The oldest the newest export commit may be.
    pub max_sync_age: Duration,
    /// What a `changed` drift finding makes the drift check.
    pub changed: Changed,
    /// The oldest replicated data may be.
    pub max_data_age: Duration,
}

impl Settings {
    /// The settings of a `[check]` section (typed when the config was read).
    pub fn from_section(section: &CheckSection) -> Settings {
        Settings {
            max_sync_age: section.max_sync_age,
            changed: section.changed,
            max_data_age: section.max_data_age,
        }
    }
}

/// Seconds as a short duration, for people: `45s`, `12m`, `3h 5m`, `2d 4h` (`humantime` would write every unit
/// down to nanoseconds, `1day 2h 3m 4s`; the check's summaries round to two units).
pub fn format_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, _) => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

/// The output of the data-freshness command, and how long it took.
#[derive(Debug)]
pub struct DataAge {
    /// The command, for the evidence.
    pub command: String,
    /// Its standard output, or why it could not be run or failed.
    pub output: Result<String, CommandError>,
    /// How long it ran.
    pub took: Duration,
}

/// Why the data-freshness command gave no age (the caller runs it; the check shows this as the detail).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// It ran and failed.
    #[error("exited with {status}: {}", stderr.trim())]
    Failed {
        /// How it ended.
        status: std::process::ExitStatus,
        /// What it wrote to standard error.
        stderr: String,
    },
    /// It could not be started (or its runner died).
    #[error("cannot run it: {0}")]
    CannotRun(std::io::Error),
}

/// Why a client, or the HCL's history, could not be had: any error, shown by its message.
pub type Unavailable<'a> = &'a (dyn std::error::Error + Send + Sync + 'static);

/// What [`run`] checks.
pub struct Inputs<'a> {
    /// The DR workspace's client, or why none could be made (no credentials, bad host).
    pub dr: Result<&'a WorkspaceClient, Unavailable<'a>>,
    /// The DR workspace's host, for the report.
    pub dr_host: String,
    /// The primary workspace's client, or why none could be made; `None` when none is configured.
    pub primary: Option<Result<&'a WorkspaceClient, Unavailable<'a>>>,
    /// The committed HCL as it loads, then loaded or why it does not load (shown with its causes): awaited
    /// while DR is read, so that loading it (a blocking thread's work at 10,000 jobs) and reading DR overlap.
    pub desired: futures_util::future::BoxFuture<'a, Result<Configuration, crate::tfconfig::Error>>,
    /// What the HCL was read from (for drift, and the report).
    pub source: Source,
    /// The number of files the HCL was read from.
    pub files: usize,
    /// When the newest export ran (seconds since the epoch), or why it could not be told.
    pub newest_export: Result<Option<i64>, crate::git::Error>,
    /// The current time, seconds since the epoch.
    pub now: i64,
    /// The exported kinds.
    pub kinds: Vec<ResourceKind>,
    /// How DR's objects are normalised (as the export normalised the primary's).
    pub normalize: crate::normalize::Options,
    /// Resource ids from a Terraform state, for drift.
    pub state: Option<&'a StateIds>,
    /// Ignore rules for drift.
    pub ignore: Option<&'a IgnoreRules>,
    /// The thresholds.
    pub settings: Settings,
    /// The data-freshness command's outcome, when one is configured.
    pub data_age: Option<DataAge>,
    /// The primary's workspace id as the export recorded it (`drsync-labels.json`), when it did.
    pub primary_workspace_id: Option<String>,
}

/// Why `check` could not tell whether DR is ready (exit 1): not "not ready", but pointed at the wrong thing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The DR host answered, but not as a Databricks workspace does.
    #[error("the DR host is not a Databricks workspace")]
    NotAWorkspace(#[source] IdentityError),
    /// The DR workspace is the primary.
    #[error(transparent)]
    DrIsPrimary(#[from] crate::api::identity::DrIsPrimary),
}

impl Error {
    /// What to do about it, for people.
    pub fn hint(&self) -> &'static str {
        match self {
            Error::NotAWorkspace(e) => e.hint(),
            Error::DrIsPrimary(_) => crate::api::identity::DrIsPrimary::HINT,
        }
    }
}

/// Why a check's data could not be had, for the checks that need it.
/// The summary of a check that could not read what it needed from DR (see [`CheckReport::read_failures`]).
const READ_FAILED: &str = "could not read the DR workspace";

impl CheckReport {
    /// The checks that could not read what they needed from DR (a listing failed, a body was cut off every
    /// time, the command's deadline passed), each with its error. A report with any is incomplete: DR's
    /// readiness is unknown, so `drsync check` is an error (exit 1), never "ready" or "not ready".
    pub fn read_failures(&self) -> Vec<(&str, &str)> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail && c.summary == READ_FAILED)
            .map(|c| (c.id.as_str(), c.details.first().map_or("", String::as_str)))
            .collect()
    }
}

fn error_text(e: &dyn std::error::Error) -> String {
    crate::causes::joined(e)
}

async fn timed<F: Future>(f: F) -> (F::Output, Duration) {
    let start = Instant::now();
    let out = f.await;
    (out, start.elapsed())
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn result(
    id: &str,
    title: &str,
    status: Status,
    summary: impl Into<String>,
    evidence: Vec<String>,
    details: Vec<String>,
    took: Duration,
) -> CheckResult {
    CheckResult {
        id: id.to_string(),
        title: title.to_string(),
        status,
        summary: summary.into(),
        evidence,
        details,
        duration_ms: ms(took),
    }
}

/// Titles of the checks, by id, in report order.
pub const CHECKS: &[(&str, &str)] = &[
    ("dr_reachable", "DR workspace reachable"),
    ("primary_reachable", "Primary workspace reachable"),
    ("sync_age", "Age of the DR copy"),
    ("hcl", "Committed HCL loads"),
    ("drift", "DR matches Git"),
    ("region_capacity", "Region capacity"),
    ("secrets", "Secret scopes and keys"),
    ("principals", "Principals exist"),
    ("passive", "Passive posture"),
    ("code", "Code present"),
    ("data_freshness", "Replicated data freshness"),
];

fn title(id: &str) -> &'static str {
    CHECKS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, t)| *t)
        .unwrap_or("")
}

fn not_checked(id: &str, why: &str) -> CheckResult {
    result(
        id,
        title(id),
        Status::Fail,
        format!("not checked: {why}"),
        Vec::new(),
        Vec::new(),
        Duration::ZERO,
    )
}

/// Run every check; independent ones concurrently. Errors reading DR become failed checks; an `Err` only when
/// DR is not a workspace at all, or is the primary. Like `ops::drift`, it never frees the parsed HCL and DR's
/// objects: it is made for a command that ends soon after.
pub async fn run(inputs: Inputs<'_>) -> Result<CheckReport, Error> {
    let Inputs {
        dr,
        dr_host,
        primary,
        desired,
        source,
        files,
        newest_export,
        now,
        kinds,
        normalize,
        state,
        ignore,
        settings,
        data_age,
        primary_workspace_id,
    } = inputs;

    // Reachability first (both at once): nothing else is worth asking an unreachable DR. Each host must show
    // that it is a workspace, and which one (`api::identity`).
    let dr_me = async {
        match &dr {
            Ok(c) => {
                let (r, took) = timed(c.identify()).await;
                (Some(r), took)
            }
            Err(_) => (None, Duration::ZERO),
        }
    };
    let primary_me = async {
        match &primary {
            Some(Ok(c)) => {
                let (r, took) = timed(c.identify()).await;
                Some((r.map_err(|e| error_text(&e)), took, c.host().to_string()))
            }
            Some(Err(e)) => Some((Err(e.to_string()), Duration::ZERO, String::new())),
            None => None,
        }
    };
    let ((dr_me, dr_took), primary_me) = tokio::join!(dr_me, primary_me);
    // Out of time is not unreachable: nothing is known about DR (the check then fails as a read failure).
    let dr_me: Result<Identity, (String, bool)> = match dr_me {
        Some(Err(e)) if e.is_not_a_workspace() => return Err(Error::NotAWorkspace(e)),
        Some(r) => r.map_err(|e| {
            let out_of_time = matches!(
                &e,
                crate::api::IdentityError::Api(crate::api::Error::CommandDeadline { .. })
            );
            (error_text(&e), out_of_time)
        }),
        None => Err((
            dr.as_ref().err().map(|e| e.to_string()).unwrap_or_default(),
            false,
        )),
    };
    // DR must not be the primary: by the id the export recorded, and by the live primary's.
    if let Ok(me) = &dr_me {
        let live_primary = match &primary_me {
            Some((Ok(p), _, _)) => Some(p.workspace_id.as_str()),
            _ => None,
        };
        crate::api::identity::DrIsPrimary::refuse(
            me,
            &dr_host,
            &[
                (
                    primary_workspace_id.as_deref(),
                    crate::api::identity::PRIMARY_AS_RECORDED,
                ),
                (live_primary, crate::api::identity::PRIMARY_AS_LIVE),
            ],
        )?;
    }

    let mut checks = Vec::new();
    let me_path = format!("GET {}", crate::api::identity::ME_PATH);
    let dr_ok = dr_me.is_ok();
    checks.push(match &dr_me {
        Ok(me) => result(
            "dr_reachable",
            title("dr_reachable"),
            Status::Pass,
            format!("as {}", identity(&me.user)),
            vec![
                format!("{me_path} on {dr_host}"),
                format!("workspace id {}", me.workspace_id),
            ],
            Vec::new(),
            dr_took,
        ),
        Err((e, out_of_time)) => result(
            "dr_reachable",
            title("dr_reachable"),
            Status::Fail,
            if *out_of_time {
                READ_FAILED
            } else {
                "unreachable or the credentials do not work"
            },
            vec![format!("{me_path} on {dr_host}")],
            vec![e.clone()],
            dr_took,
        ),
    });
    checks.push(match primary_me {
        None => result(
            "primary_reachable",
            title("primary_reachable"),
            Status::Warn,
            "no [workspaces.primary] configured",
            Vec::new(),
            Vec::new(),
            Duration::ZERO,
        ),
        Some((Ok(me), took, host)) => result(
            "primary_reachable",
            title("primary_reachable"),
            Status::Pass,
            format!("as {}", identity(&me.user)),
            vec![
                format!("{me_path} on {host}"),
                format!("workspace id {}", me.workspace_id),
            ],
            Vec::new(),
            took,
        ),
        Some((Err(e), took, host)) => result(
            "primary_reachable",
            title("primary_reachable"),
            Status::Warn,
            "unreachable (expected during a disaster)",
            if host.is_empty() {
                Vec::new()
            } else {
                vec![format!("{me_path} on {host}")]
            },
            vec![e],
            took,
        ),
    });

    let sync_age_seconds = match &newest_export {
        Ok(Some(t)) => Some(now - t),
        _ => None,
    };
    checks.push(sync_age(&newest_export, now, settings.max_sync_age));
    let dependent = [
        "drift",
        "region_capacity",
        "secrets",
        "principals",
        "passive",
        "code",
    ];
    match dr {
        Ok(client) if dr_ok => {
            // DR's listing and region catalogs are read while the HCL loads (the caller loads it on a blocking
            // thread); what needs the HCL (its workspace paths, its zones) is read once it has loaded. HCL that
            // does not load ends the reads: nothing is compared with it.
            let mut reads = std::pin::pin!(read_dr(client, &kinds, &normalize));
            let mut read = None;
            let mut loading = std::pin::pin!(timed(desired));
            let (desired, load_took) = loop {
                tokio::select! {
                    loaded = &mut loading => break loaded,
                    r = &mut reads, if read.is_none() => read = Some(r),
                }
            };
            checks.push(hcl_check(&desired, files, &source, load_took));
            let config = match desired {
                Ok(config) => config,
                Err(_) => {
                    for id in dependent {
                        checks.push(not_checked(id, "the committed HCL does not load"));
                    }
                    return Ok(report(
                        checks,
                        data_age,
                        &settings,
                        sync_age_seconds,
                        dr_host,
                        source,
                    ));
                }
            };
            let refs = catalog::collect(&config);
            // DR's objects are compared with the HCL (on a blocking thread) as soon as they are read, while the
            // workspace folders are still being listed.
            let comparing = async {
                let (inventory, nodes, versions, profiles, scopes) = match read {
                    Some(r) => r,
                    None => reads.as_mut().await,
                };
                let (inventory, inv_took) = inventory;
                let (kinds, state, source) = (kinds.clone(), state.cloned(), source.clone());
                let identity = dr_me.as_ref().ok().map(|me| me.user.user_name.clone());
                let compare =
                    tokio::task::spawn_blocking(move || {
                        let start = Instant::now();
                        // One matching of resources to DR objects, for drift and for every check that pairs them.
                        let compared = inventory.as_ref().map_err(|e| error_text(e)).and_then(
                            |(objects, _)| {
                                drift::compare_normalized(
                                    &config,
                                    objects,
                                    &kinds,
                                    state.as_ref(),
                                    source,
                                    &crate::convert::provider_schema(),
                                    identity.as_deref(),
                                )
                                .map_err(|e| error_text(&e))
                            },
                        );
                        // The facts stay for the passive posture; the packed objects are not needed again (a few
                        // allocations each: freed in milliseconds).
                        let inventory = inventory.map(|(objects, facts)| {
                            drop(objects);
                            facts
                        });
                        (config, inventory, compared, start.elapsed())
                    });
                let (config, inventory, compared, compare_took) = match compare.await {
                    Ok(done) => done,
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                };
                (
                    config,
                    (inventory.map_err(|e| error_text(&e)), inv_took),
                    (compared, compare_took),
                    (nodes, versions, profiles, scopes),
                )
            };
            let (compared, zones, paths, principals) = tokio::join!(
                comparing,
                timed(async {
                    if refs.zones.is_empty() {
                        Ok(None)
                    } else {
                        client.list_zones().await.map(Some)
                    }
                }),
                timed(workspace_paths(client, &refs)),
                timed(read_dr_principals(client, &refs)),
            );
            let (loaded, (inventory, inv_took), (compared, compare_took), catalogs) = compared;
            let (nodes, versions, profiles, scopes) = catalogs;
            let config = &loaded;
            checks.push(match (&inventory, &compared) {
                (Ok(inv), Ok(c)) => drift_check(
                    config,
                    inv,
                    c.report.clone(),
                    ignore,
                    settings.changed,
                    inv_took + compare_took,
                ),
                (Err(e), _) | (_, Err(e)) => failed_read("drift", e, inv_took),
            });
            let start = Instant::now();
            let catalog_took = nodes.1.max(versions.1).max(zones.1).max(profiles.1);
            checks.push(match (nodes.0, versions.0, zones.0, profiles.0) {
                (Ok(n), Ok(v), Ok(z), Ok(p)) => {
                    let c = catalog::region_capacity(&refs, &n, &v, z.as_ref(), &p);
                    with_time(c, catalog_took + start.elapsed())
                }
                (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
                    failed_read("region_capacity", &error_text(&e), catalog_took)
                }
            });
            let start = Instant::now();
            checks.push(match scopes.0 {
                Ok(dr) => with_time(catalog::secrets(&refs, &dr), scopes.1 + start.elapsed()),
                Err(e) => failed_read("secrets", &error_text(&e), scopes.1),
            });
            let start = Instant::now();
            checks.push(match principals.0 {
                Ok(dr) => with_time(
                    catalog::principals(&refs, &dr),
                    principals.1 + start.elapsed(),
                ),
                Err(e) => failed_read("principals", &error_text(&e), principals.1),
            });
            let start = Instant::now();
            checks.push(match (&inventory, &compared) {
                (Ok(inv), Ok(c)) => with_time(
                    catalog::passive(config, inv, &c.matching),
                    inv_took + compare_took + start.elapsed(),
                ),
                (Err(e), _) | (_, Err(e)) => failed_read("passive", e, inv_took),
            });
            let start = Instant::now();
            checks.push(match paths.0 {
                Ok(presence) => {
                    with_time(catalog::code(&refs, &presence), paths.1 + start.elapsed())
                }
                Err(e) => failed_read("code", &error_text(&e), paths.1),
            });
            // As drift does: the parsed HCL and DR's objects are never freed, the caller is a command that
            // ends soon, and freeing millions of small allocations one by one takes seconds at 10,000 jobs.
            std::mem::forget(compared);
            std::mem::forget(inventory);
            std::mem::forget(loaded);
        }
        _ => {
            let (desired, load_took) = timed(desired).await;
            checks.push(hcl_check(&desired, files, &source, load_took));
            let why = if desired.is_err() {
                "the committed HCL does not load"
            } else {
                "the DR workspace is unreachable"
            };
            for id in dependent {
                checks.push(not_checked(id, why));
            }
        }
    }
    Ok(report(
        checks,
        data_age,
        &settings,
        sync_age_seconds,
        dr_host,
        source,
    ))
}

/// The report of `checks`, with the data-freshness check last when there is one.
fn report(
    mut checks: Vec<CheckResult>,
    data_age: Option<DataAge>,
    settings: &Settings,
    sync_age_seconds: Option<i64>,
    workspace: String,
    source: Source,
) -> CheckReport {
    if let Some(d) = data_age {
        checks.push(data_freshness(&d, settings.max_data_age));
    }
    CheckReport {
        version: REPORT_VERSION,
        ready: checks.iter().all(|c| c.status != Status::Fail),
        sync_age_seconds,
        workspace,
        git_ref: source.git_ref,
        commit: source.commit,
        checks,
    }
}

/// A read, and how long it took.
type Timed<T> = (Result<T, crate::api::Error>, Duration);

/// What the checks read from DR whatever the HCL names: its objects (for drift and the passive posture, one
/// listing for both: normalised and packed as drift reads them, with the few facts the passive posture needs
/// taken as each is read, so that the raw listing is never held) and its region catalogs, each read once, all
/// at once.
async fn read_dr(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    normalize: &crate::normalize::Options,
) -> (
    Timed<(Vec<crate::normalize::Packed>, catalog::DrFacts)>,
    Timed<Vec<crate::model::NodeType>>,
    Timed<Vec<crate::model::SparkVersion>>,
    Timed<Vec<serde_json::Value>>,
    Timed<catalog::DrSecrets>,
) {
    tokio::join!(
        timed(async {
            let kept = crate::inventory::read_normalized_keeping(
                client,
                kinds,
                normalize,
                std::sync::Arc::new(catalog::DrFacts::job),
            )
            .await?;
            let facts = catalog::DrFacts::new(kept.jobs, &kept.rest);
            Ok((kept.objects, facts))
        }),
        timed(client.list_node_types()),
        timed(client.list_spark_versions()),
        timed(client.list_instance_profiles()),
        // Read apart from the listing above (which reads them too when `secret_scopes` are exported), so
        // that the secrets check stands when the listing fails.
        timed(read_dr_secrets(client)),
    )
}

/// DR's users, groups and service principals (SCIM), each kind listed only when the HCL names one that could be
/// of it, all three at once.
async fn read_dr_principals(
    client: &WorkspaceClient,
    refs: &catalog::References,
) -> Result<catalog::DrPrincipals, crate::api::Error> {
    use catalog::PrincipalKind as K;
    let needs = |kind: K| {
        refs.principals
            .keys()
            .any(|(k, _)| *k == kind || *k == K::Any)
    };
    let names = |list: Vec<crate::model::ScimPrincipal>,
                 name: fn(crate::model::ScimPrincipal) -> Option<String>| {
        Some(list.into_iter().filter_map(name).collect())
    };
    let (users, groups, service_principals) = tokio::try_join!(
        async {
            if !needs(K::User) {
                return Ok(None);
            }
            let list = client.list_users().await?;
            Ok(names(list, |p| p.user_name.map(|u| u.to_lowercase())))
        },
        async {
            if !needs(K::Group) {
                return Ok(None);
            }
            Ok(names(client.list_groups().await?, |p| p.display_name))
        },
        async {
            if !needs(K::ServicePrincipal) {
                return Ok(None);
            }
            Ok(names(client.list_service_principals().await?, |p| {
                p.application_id
            }))
        },
    )?;
    Ok(catalog::DrPrincipals {
        users,
        groups,
        service_principals,
    })
}

/// Scopes whose keys are listed at once, at most (the client paces them as one endpoint family).
const SCOPES_AT_ONCE: usize = 8;

/// DR's secret scopes and each one's key names (`secrets/list`: names only; drsync never reads a value). A
/// scope whose keys cannot be listed is kept with the reason, for the check to report.
async fn read_dr_secrets(
    client: &WorkspaceClient,
) -> Result<catalog::DrSecrets, crate::api::Error> {
    let scopes = client.list_secret_scopes().await?;
    let keys = stream::iter(&scopes)
        .map(|scope| async move {
            let keys = client.list_secrets(&scope.name).await;
            let keys = keys
                .map(|k| k.into_iter().map(|m| m.key).collect())
                .map_err(|e| error_text(&e));
            (scope.name.clone(), keys)
        })
        .buffer_unordered(SCOPES_AT_ONCE)
        .collect()
        .await;
    Ok(catalog::DrSecrets { scopes, keys })
}

/// Whether the committed HCL loads, and what it holds; `took`: how long loading it took.
fn hcl_check(
    desired: &Result<Configuration, crate::tfconfig::Error>,
    files: usize,
    source: &Source,
    took: Duration,
) -> CheckResult {
    match desired {
        Ok(c) => result(
            "hcl",
            title("hcl"),
            Status::Pass,
            format!(
                "{} resources, {} variables, every reference resolves",
                c.resources.len(),
                c.variables.len()
            ),
            vec![format!(
                "{files} files in {} at {}",
                if source.folder.is_empty() {
                    "the repository root"
                } else {
                    &source.folder
                },
                source.git_ref
            )],
            Vec::new(),
            took,
        ),
        Err(e) => result(
            "hcl",
            title("hcl"),
            Status::Fail,
            "does not load",
            vec![format!("{files} files at {}", source.git_ref)],
            vec![error_text(e)],
            took,
        ),
    }
}

fn with_time(mut c: CheckResult, took: Duration) -> CheckResult {
    c.duration_ms = ms(took);
    c
}

fn failed_read(id: &str, error: &str, took: Duration) -> CheckResult {
    result(
        id,
        title(id),
        Status::Fail,
        READ_FAILED,
        Vec::new(),
        vec![error.to_string()],
        took,
    )
}

fn identity(me: &crate::model::CurrentUser) -> String {
    match &me.display_name {
        Some(d) if !d.is_empty() && d != &me.user_name => format!("{} ({d})", me.user_name),
        _ => me.user_name.clone(),
    }
}

/// Strip `/Workspace` from a workspace path: the API takes both spellings, the emulator only the short one.
fn api_path(path: &str) -> &str {
    match path.strip_prefix("/Workspace") {
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// A workspace path DR could not be asked about.
#[derive(Debug, thiserror::Error)]
#[error("{path}")]
struct PathUnread {
    /// The path, as the HCL names it.
    path: String,
    /// Why.
    #[source]
    source: crate::api::Error,
}

/// Whether each path exists, by `workspace/get-status` (as many at once as the client lets through).
async fn statuses<'a>(
    client: &WorkspaceClient,
    paths: impl Iterator<Item = &'a String>,
) -> Result<Vec<(String, bool)>, PathUnread> {
    let lookups = paths.map(|p| async move {
        let found = client
            .workspace_status(api_path(p))
            .await
            .map_err(|source| PathUnread {
                path: p.clone(),
                source,
            })?;
        Ok::<_, PathUnread>((p.clone(), found.is_some()))
    });
    stream::iter(lookups)
        .buffered(in_flight(client))
        .try_collect()
        .await
}

/// How many of the check's own lookups wait for the client at once: as many as it lets one endpoint family
/// have in flight. More would only hold more futures; the client's limit is per family, so they do not queue
/// ahead of the DR listing that drift reads at the same time.
fn in_flight(client: &WorkspaceClient) -> usize {
    client.options().max_concurrency.max(1)
}

/// Which workspace paths the HCL names exist in DR: one `workspace/list` of each distinct parent folder (as
/// many at once as the client lets through, see [`in_flight`]), each path then found, or not, among its folder's children by
/// name. A folder that does not exist holds none of its paths. A folder that cannot be listed for another
/// reason (no permission on it, say) does not decide anything: its paths are looked up one by one with
/// `workspace/get-status`, as are paths with no folder; only a failed lookup is an error.
async fn workspace_paths(
    client: &WorkspaceClient,
    refs: &catalog::References,
) -> Result<catalog::CodePresence, PathUnread> {
    let mut by_folder: BTreeMap<&str, Vec<(&String, &str)>> = BTreeMap::new();
    let mut alone = Vec::new();
    for p in refs.workspace_paths.keys() {
        match catalog::folder_and_name(api_path(p)) {
            Some((folder, name)) => by_folder.entry(folder).or_default().push((p, name)),
            None => alone.push(p),
        }
    }
    let listings = by_folder.iter().map(|(folder, paths)| async move {
        match client.list_workspace(folder).await {
            Ok(listing) => {
                // The children's names; the path of a folder's child is the folder's path and its name
                // (either spelling), and a path that is not a folder lists as itself, which is no child.
                let names: HashSet<&str> = listing
                    .iter()
                    .flatten()
                    .filter_map(|o| catalog::folder_and_name(api_path(&o.path)))
                    .filter(|(parent, _)| parent == folder)
                    .map(|(_, name)| name)
                    .collect();
                let found = paths
                    .iter()
                    .map(|(p, name)| ((*p).clone(), names.contains(name)))
                    .collect();
                Ok((found, None))
            }
            Err(e) => {
                let found = statuses(client, paths.iter().map(|(p, _)| *p)).await?;
                Ok((found, Some(format!("{folder}: {}", error_text(&e)))))
            }
        }
    });
    let (listed, alone) = tokio::join!(
        stream::iter(listings)
            .buffered(in_flight(client))
            .collect::<Vec<_>>(),
        statuses(client, alone.iter().copied())
    );
    let mut presence = catalog::CodePresence {
        folders: by_folder.len(),
        looked_up: alone.as_ref().map_or(0, Vec::len),
        ..catalog::CodePresence::default()
    };
    presence.found.extend(alone?);
    for (paths, r) in by_folder.values().zip(listed) {
        let (found, unlisted): (Vec<(String, bool)>, Option<String>) = r?;
        if let Some(why) = unlisted {
            presence.looked_up += paths.len();
            presence.unlisted.push(why);
        }
        presence.found.extend(found);
    }
    Ok(presence)
}

fn sync_age(
    newest: &Result<Option<i64>, crate::git::Error>,
    now: i64,
    max: Duration,
) -> CheckResult {
    let id = "sync_age";
    let max_text = format_duration(max.as_secs());
    match newest {
        Err(e) => result(
            id,
            title(id),
            Status::Fail,
            "could not read the export history",
            Vec::new(),
            vec![e.to_string()],
            Duration::ZERO,
        ),
        Ok(None) => result(
            id,
            title(id),
            Status::Fail,
            "no export commit in the branch's history",
            vec!["commits with a Drsync-Version trailer that changed the export folder".into()],
            Vec::new(),
            Duration::ZERO,
        ),
        Ok(Some(t)) => {
            let age = now - t;
            let at = crate::git::Timestamp {
                seconds: *t,
                offset_minutes: 0,
            };
            let evidence = vec![
                format!("newest export commit at {at}"),
                format!("max_sync_age {max_text}"),
            ];
            let age_text = format_duration(u64::try_from(age.max(0)).unwrap_or(0));
            if age > i64::try_from(max.as_secs()).unwrap_or(i64::MAX) {
                result(
                    id,
                    title(id),
                    Status::Fail,
                    format!("{age_text} old, over {max_text}"),
                    evidence,
                    vec![format!(
                        "the newest export is {age_text} old; max_sync_age is {max_text}: run `drsync export`"
                    )],
                    Duration::ZERO,
                )
            } else {
                result(
                    id,
                    title(id),
                    Status::Pass,
                    format!("{age_text} old (max {max_text})"),
                    evidence,
                    Vec::new(),
                    Duration::ZERO,
                )
            }
        }
    }
}

fn drift_check(
    config: &Configuration,
    live: &catalog::DrFacts,
    mut report: drift::Report,
    ignore: Option<&IgnoreRules>,
    changed: Changed,
    took: Duration,
) -> CheckResult {
    let id = "drift";
    let mut evidence = vec![format!(
        "{} resources in Git against {} jobs, {} clusters, {} pools, {} policies, {} SQL warehouses, {} pipelines \
         and {} secret scopes in DR",
        config.resources.len(),
        live.jobs,
        live.clusters,
        live.pools,
        live.policies,
        live.warehouses,
        live.pipelines,
        live.secret_scopes
    )];
    if let Some(rules) = ignore {
        let before = report.findings.len();
        report.findings = rules.apply(std::mem::take(&mut report.findings));
        drift::resummarize(&mut report);
        evidence.push(format!(
            "ignore rules applied ({} findings hidden)",
            before - report.findings.len()
        ));
    }
    let mut status = Status::Pass;
    let mut details = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        let s = match f.kind {
            FindingKind::Missing | FindingKind::Ambiguous => Status::Fail,
            FindingKind::Changed if changed == Changed::Fail => Status::Fail,
            FindingKind::Changed | FindingKind::Unmanaged => Status::Warn,
        };
        status = status.max(s);
        *counts.entry(f.kind.as_str()).or_default() += 1;
        let what = match f.kind {
            FindingKind::Missing => "in Git, not in DR".to_string(),
            FindingKind::Unmanaged => "in DR, not in Git".to_string(),
            FindingKind::Ambiguous => format!("{} DR objects could be it", f.live_ids.len()),
            FindingKind::Changed => f
                .fields
                .iter()
                .map(|d| d.path.clone())
                .collect::<Vec<_>>()
                .join(", "),
        };
        details.push(format!(
            "{} {} ({}): {what}",
            f.kind.as_str(),
            f.address(),
            f.name
        ));
    }
    let summary = if counts.is_empty() {
        "no drift".to_string()
    } else {
        counts
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    result(id, title(id), status, summary, evidence, details, took)
}

fn data_freshness(d: &DataAge, max: Duration) -> CheckResult {
    let id = "data_freshness";
    let max_text = format_duration(max.as_secs());
    let evidence = vec![
        format!("`{}`", d.command),
        format!("max_data_age {max_text}"),
    ];
    let output = match &d.output {
        Ok(o) => o.trim().to_string(),
        Err(e) => {
            return result(
                id,
                title(id),
                Status::Fail,
                "the command failed",
                evidence,
                vec![e.to_string()],
                d.took,
            )
        }
    };
    match parse_duration(&output) {
        Err(e) => result(
            id,
            title(id),
            Status::Fail,
            "the command's output is not an age",
            evidence,
            vec![format!("{output:?}: {e}")],
            d.took,
        ),
        Ok(age) if age > max => result(
            id,
            title(id),
            Status::Fail,
            format!("{} old, over {max_text}", format_duration(age.as_secs())),
            evidence,
            vec![format!(
                "the latest replicated data is {} old; max_data_age is {max_text}",
                format_duration(age.as_secs())
            )],
            d.took,
        ),
        Ok(age) => result(
            id,
            title(id),
            Status::Pass,
            format!("{} old (max {max_text})", format_duration(age.as_secs())),
            evidence,
            Vec::new(),
            d.took,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data-freshness check's details: the command's failure as the caller typed it, and an output that is
    /// no age, in the texts `drsync check` has always shown.
    #[test]
    fn data_freshness_shows_why_there_is_no_age() {
        use std::os::unix::process::ExitStatusExt;
        let max = Duration::from_secs(3600);
        let age = |output| DataAge {
            command: "./age.sh".into(),
            output,
            took: Duration::ZERO,
        };
        let failed = data_freshness(
            &age(Err(CommandError::Failed {
                status: std::process::ExitStatus::from_raw(3 << 8),
                stderr: "  no replica\n".into(),
            })),
            max,
        );
        assert_eq!(failed.status, Status::Fail);
        assert_eq!(failed.summary, "the command failed");
        assert_eq!(failed.details, ["exited with exit status: 3: no replica"]);
        let unrun = data_freshness(
            &age(Err(CommandError::CannotRun(std::io::Error::other("no sh")))),
            max,
        );
        assert_eq!(unrun.details, ["cannot run it: no sh"]);
        let garbled = data_freshness(&age(Ok("soon\n".into())), max);
        assert_eq!(
            garbled.details,
            ["\"soon\": `soon`: expected a duration like \"24h\", \"90m\", \"1h30m\" or a number of seconds"]
        );
        let old = data_freshness(&age(Ok("2h".into())), max);
        assert_eq!(
            (old.status, old.summary.as_str()),
            (Status::Fail, "2h old, over 1h")
        );
        let fresh = data_freshness(&age(Ok("1800\n".into())), max);
        assert_eq!(
            (fresh.status, fresh.summary.as_str()),
            (Status::Pass, "30m old (max 1h)")
        );
    }

    #[test]
    fn formats_durations_in_two_units_at_most() {
        for (secs, text) in [
            (0, "0s"),
            (45, "45s"),
            (720, "12m"),
            (3600, "1h"),
            (5400, "1h 30m"),
            (86_400, "1d"),
            (90_000, "1d 1h"),
            (93_784, "1d 2h"),
        ] {
            assert_eq!(super::format_duration(secs), text, "{secs}");
        }
    }
}
