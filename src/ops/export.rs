//! `drsync export` as one operation: check the primary is the workspace the previous export was read from, read
//! it (jobs prepared while the listing runs), build the export, tell what it changes, refuse what must not be
//! written (warnings under `strict`, mass removals), write, commit and push. It prints nothing and reads no
//! environment variable: the CLI resolves arguments, `drsync.toml` and the environment into [`Settings`],
//! follows the read through an [`Observer`] and renders the [`ExportOutcome`].

use crate::api::{IdentityError, WorkspaceClient};
use crate::convert::{provider_schema, Warning};
use crate::export::{
    self, Changes, Export, LabelMap, NameFilter, Prepared, Preparer, TooManyRemovals, Written,
};
use crate::git::{self, Committed, GitSettings, PushAuth, Timestamp};
use crate::inventory::{self, Progress};
use crate::model::ResourceKind;
use crate::normalize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an export waits for another export of the same folder to finish committing.
const LOCK_WAIT: Duration = Duration::from_secs(120);

/// How often [`Observer::reading`] is called while the workspace is read.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What to export, where, and what to do with it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The kinds to export.
    pub kinds: Vec<ResourceKind>,
    /// Name globs.
    pub filter: NameFilter,
    /// The provider version constraint for `versions.tf`.
    pub provider_version: String,
    /// The region rules.
    pub rules: crate::rewrite::Rules,
    /// What the normaliser keeps on request (`[export] bundle_jobs`, `failed_libraries`).
    pub normalize: normalize::Options,
    /// The export folder (checked by `config::check_export_dir` before).
    pub out: PathBuf,
    /// Write nothing; only tell what would change.
    pub dry_run: bool,
    /// Commit the files written (never with `dry_run`).
    pub commit: bool,
    /// `[git]`: the repository, branch, author, message template and remote.
    pub git: GitSettings,
    /// The commit time (`None`: now).
    pub commit_time: Option<Timestamp>,
    /// The credentials of a push to `git.remote`.
    pub push: PushAuth,
    /// Fail, writing nothing, when there are warnings.
    pub strict: bool,
    /// The most resources an export may remove (`[export] max_removed`; `None`: see [`export::removal_limit`]).
    pub max_removed: Option<usize>,
    /// Write and commit even when the export removes more than that.
    pub allow_removals: bool,
    /// Export even when the primary is another workspace than the one the previous export was read from.
    pub allow_workspace_change: bool,
}

impl Settings {
    /// What `drsync.toml` says: `[export]` (its folder, kinds, filters, provider version, normaliser options,
    /// `strict`, `max_removed`), `[rewrite]` and `[git]`; a commit of a real run, at the current time, pushed
    /// without credentials, refusing removals over the limit and a change of workspace.
    pub fn from_config(
        config: &crate::config::Config,
    ) -> Result<Settings, crate::export::filter::NameFilterError> {
        Ok(Settings {
            kinds: config.export.resources.clone(),
            filter: config.export.name_filter()?,
            provider_version: config.export.provider_version.clone(),
            rules: config.rewrite.clone(),
            normalize: config.export.normalize_options(),
            out: config.resolve_path(&config.export.dir),
            dry_run: false,
            commit: true,
            git: config.git.clone(),
            commit_time: None,
            push: PushAuth::default(),
            strict: config.export.strict,
            max_removed: config.export.max_removed,
            allow_removals: false,
            allow_workspace_change: false,
        })
    }
}

/// What an export did, for the CLI to render.
#[derive(Debug, Clone)]
pub struct ExportOutcome {
    /// The primary workspace's host.
    pub host: String,
    /// The export, as built.
    pub export: Export,
    /// What it changes against the previous export (as committed when committing, else in the folder).
    pub changes: Changes,
    /// What writing did; `None` for a dry run.
    pub written: Option<Written>,
    /// The commit made; `None` when not committing or when nothing changed.
    pub committed: Option<Committed>,
    /// The branch exports are committed to, when committing.
    pub branch: Option<String>,
    /// From the start of the read to the end (push included).
    pub elapsed: Duration,
}

/// Follows an export as it runs, for a progress display; every method does nothing unless implemented.
pub trait Observer: Sync {
    /// About every 100 ms while the workspace is read: what has been listed so far, and for how long.
    fn reading(&self, _listed: &Progress, _elapsed: Duration) {}

    /// Reading the workspace has ended (whether it succeeded or not).
    fn read(&self) {}
}

/// An [`Observer`] that does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// Why an export stopped. Nothing was written unless the variant says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The primary is not a workspace, or could not be asked which one it is.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The primary answers as another workspace than the previous export was read from.
    #[error(
        "{host} is workspace {live}, but the previous export was read from workspace {recorded} ({}): refusing \
         to export another workspace over it",
        labels.display()
    )]
    WorkspaceChanged {
        /// The primary's host.
        host: String,
        /// The workspace id it answers with.
        live: String,
        /// The workspace id the label map records.
        recorded: String,
        /// The label map.
        labels: PathBuf,
    },
    /// The export folder's repository cannot be used (opening it failed).
    #[error(transparent)]
    Repository(git::Error),
    /// A listing failed: a partial export never replaces a complete one.
    #[error(transparent)]
    Read(crate::api::Error),
    /// The previous label map could not be read, the export could not be built, or it could not be written.
    #[error(transparent)]
    Export(#[from] export::Error),
    /// `strict` is set and the export has warnings.
    #[error("the export has {} warning(s) and strict is set", warnings.len())]
    Strict {
        /// The warnings.
        warnings: Vec<Warning>,
    },
    /// The export removes more resources than allowed.
    #[error(transparent)]
    TooManyRemovals(#[from] TooManyRemovals),
    /// Locking, committing or pushing failed (a detached `HEAD` included).
    #[error(transparent)]
    Git(#[from] git::Error),
}

/// Run an export of the workspace `client` reads, as `settings` say.
pub async fn export(
    client: &WorkspaceClient,
    settings: &Settings,
    observer: &dyn Observer,
) -> Result<ExportOutcome, Error> {
    // Before anything is read: the host must be a workspace (`api::identity`), and the one the previous export
    // was read from. Exported over the Git history, another workspace's answer would delete the DR site.
    let me = client.identify().await?;
    let previous = LabelMap::load(&settings.out)?;
    if let Some(recorded) = &previous.workspace_id {
        if *recorded != me.workspace_id && !settings.allow_workspace_change {
            return Err(Error::WorkspaceChanged {
                host: client.host().to_string(),
                live: me.workspace_id.clone(),
                recorded: recorded.clone(),
                labels: settings.out.join(export::LABELS_FILE),
            });
        }
    }
    let build = export::Settings {
        kinds: settings.kinds.clone(),
        filter: settings.filter.clone(),
        provider_version: settings.provider_version.clone(),
        source_host: client.host().to_string(),
        rules: settings.rules.clone(),
        normalize: settings.normalize,
        // A job that runs as the identity exporting it is written without `run_as`, as the provider's exporter
        // writes it (provider-behaviour.md §2.5): in DR it runs as the identity that applies the HCL.
        exporter: Some(me.user.user_name.clone()).filter(|u| !u.is_empty()),
        workspace_id: Some(me.workspace_id.clone()),
    };
    // Git first (read-only), so that a repository problem shows before the workspace is read; the lock is
    // held from before writing until after the commit, so two exports never commit a mix.
    let repo = if settings.commit && !settings.dry_run {
        Some(git::open(&settings.out, &settings.git).map_err(Error::Repository)?)
    } else {
        None
    };
    if let Some(r) = &repo {
        if r.is_detached() {
            return Err(Error::Git(git::Error::DetachedHead {
                repo: r.workdir().to_path_buf(),
            }));
        }
    }
    let lock = match &repo {
        Some(r) => Some(r.lock(LOCK_WAIT)?),
        None => None,
    };
    let started = Instant::now();
    let progress = Progress::default();
    // Jobs are prepared as their pages arrive, on blocking threads, while the listing goes on.
    let preparer = Arc::new(Preparer::new(build.clone(), provider_schema()));
    let read = observed(read(client, &progress, &preparer), &progress, observer)
        .await
        .map_err(Error::Read)?;
    let built = export::build_prepared(read, &build, &previous, preparer.schema())?;
    // What changes: against what is committed when committing, else against the folder.
    let changes = match &repo {
        Some(r) => {
            // Each committed file is handed over, not copied: at 10,000 jobs `jobs.tf` is 33 MB.
            let mut committed = r.committed_files()?;
            export::changes_from(&built, |name| committed.remove(name))
        }
        None => export::changes(&built, &settings.out),
    };
    if settings.strict && !built.warnings.is_empty() {
        return Err(Error::Strict {
            warnings: built.warnings,
        });
    }
    // Mass deletion: in DR a resource removed from Git is an object the next apply deletes.
    let previous_count = changes.previous_count(built.resources.len());
    let limit = export::removal_limit(settings.max_removed, previous_count);
    if !settings.dry_run && !settings.allow_removals {
        export::check_removals(&changes, previous_count, limit)?;
    }
    let written = if settings.dry_run {
        None
    } else {
        Some(export::write(&built, &settings.out)?)
    };
    let committed = match (&repo, &lock) {
        (Some(r), Some(lock)) => commit(r, lock, client.host(), &changes, settings)?,
        _ => None,
    };
    drop(lock);
    if let (Some(r), Some(remote)) = (&repo, &settings.git.remote) {
        r.push(remote, &settings.push)?;
    }
    Ok(ExportOutcome {
        host: client.host().to_string(),
        export: built,
        changes,
        written,
        committed,
        branch: repo.as_ref().map(|r| r.branch().to_string()),
        elapsed: started.elapsed(),
    })
}

/// The read of an export: everything of the kinds `preparer` is for, each job prepared by it on a blocking thread
/// as its page is decoded, while the listing goes on; what it has listed counted in `progress`.
pub async fn read(
    client: &WorkspaceClient,
    progress: &Progress,
    preparer: &Arc<Preparer>,
) -> Result<Prepared, crate::api::Error> {
    let keep = {
        let preparer = Arc::clone(preparer);
        Arc::new(move |job| preparer.prepare(job))
    };
    inventory::read_mapped(client, &preparer.settings().kinds, progress, keep).await
}

/// Commit the export's own files, with a message that says what changed; `None` when nothing did.
fn commit(
    repo: &git::ExportRepo,
    lock: &git::ExportLock,
    host: &str,
    changes: &Changes,
    settings: &Settings,
) -> Result<Option<Committed>, git::Error> {
    let author = repo.author(settings.git.author.as_deref())?;
    let renamed: Vec<git::Renamed<'_>> = changes
        .renamed
        .iter()
        .map(|r| git::Renamed {
            from: &r.from,
            to: &r.to,
            changed: r.changed,
        })
        .collect();
    let message = git::message(
        &git::Summary {
            host,
            added: &changes.added,
            changed: &changes.changed,
            removed: &changes.removed,
            renamed: &renamed,
        },
        settings.git.message.as_deref(),
    )?;
    repo.commit(
        lock,
        export::COMMITTED_FILES,
        &message,
        &author,
        settings.commit_time,
    )
}

/// Run `reading`, telling `observer` what has been listed every [`PROGRESS_EVERY`] until it ends.
async fn observed<T>(
    reading: impl std::future::Future<Output = T>,
    progress: &Progress,
    observer: &dyn Observer,
) -> T {
    tokio::pin!(reading);
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    let started = Instant::now();
    loop {
        tokio::select! {
            result = &mut reading => {
                observer.read();
                return result;
            }
            _ = tick.tick() => observer.reading(progress, started.elapsed()),
        }
    }
}
