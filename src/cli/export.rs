//! `drsync export`: the primary workspace as Terraform files in the export folder.
#![allow(clippy::print_stderr)]

use super::{CliError, Global};
use drsync::export::{self, Changes, Export, LabelMap, Settings};
use drsync::model::ResourceKind;
use drsync::report::terminal;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `drsync export`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    /// Write to this folder instead of [export] dir
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Write nothing; show what would change
    #[arg(long)]
    dry_run: bool,

    /// Write the files but do not commit them (by default each export is committed to the Git repository
    /// that holds the export folder)
    #[arg(long)]
    no_commit: bool,

    /// Fail, writing nothing, when there are warnings (ids of objects that are not exported, fields the provider
    /// cannot express)
    #[arg(long)]
    strict: bool,

    /// Write and commit the export even when it removes more resources than `[export] max_removed` allows
    #[arg(long)]
    allow_removals: bool,

    /// Export even when the primary is another workspace than the one the previous export was read from
    #[arg(long)]
    allow_workspace_change: bool,

    /// Show, for each rewrite rule, every value it changed
    #[arg(long)]
    explain: bool,

    /// Summary format
    #[arg(long, default_value = "text", value_parser = super::args::formats(&drsync::report::Format::SUMMARY))]
    format: drsync::report::Format,

    #[command(flatten)]
    deadline: super::args::DeadlineArgs,
}

pub(crate) async fn run(global: &Global, args: ExportArgs) -> Result<ExitCode, CliError> {
    let config = global.load_config()?;
    let client = super::client::connect(global, args.deadline, Some(&config), "primary")?.client;
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => config.resolve_path(&config.export.dir),
    };
    // `[export] dir` was checked with the config; `--out` is checked here, before anything is read or written.
    drsync::config::check_export_dir(&out, &config.path, config.git.repo.as_deref()).map_err(
        |reason| {
            CliError::new(OutError {
                dir: out.clone(),
                reason,
            })
        },
    )?;
    let filter = config.export.name_filter().map_err(CliError::new)?;
    // Before anything is read: the host must be a workspace (`api::identity`), and the one the previous export
    // was read from. Exported over the Git history, another workspace's answer would delete the DR site.
    let me = client.identify().await?;
    let previous = LabelMap::load(&out)?;
    if let Some(recorded) = &previous.workspace_id {
        if *recorded != me.workspace_id && !args.allow_workspace_change {
            return Err(CliError::new(WorkspaceChanged {
                host: client.host().to_string(),
                live: me.workspace_id.clone(),
                recorded: recorded.clone(),
                labels: out.join(export::LABELS_FILE),
            })
            .hint(
                "nothing was read or written; check [workspaces.primary] (or DATABRICKS_HOST, the profile); \
                 if the primary really moved to this workspace, export once with --allow-workspace-change",
            ));
        }
    }
    let settings = Settings {
        kinds: config.export.resources.clone(),
        filter,
        provider_version: config.export.provider_version.clone(),
        source_host: client.host().to_string(),
        rules: config.rewrite.clone(),
        normalize: config.export.normalize_options(),
        // A job that runs as the identity exporting it is written without `run_as`, as the provider's exporter
        // writes it (provider-behaviour.md §2.5): in DR it runs as the identity that applies the HCL.
        exporter: Some(me.user.user_name.clone()).filter(|u| !u.is_empty()),
        workspace_id: Some(me.workspace_id.clone()),
    };
    // Git first (read-only), so that a repository problem shows before the workspace is read; the lock is
    // held from before writing until after the commit, so two exports never commit a mix.
    let commit = !args.dry_run && !args.no_commit;
    let repo = if commit {
        Some(drsync::git::open(&out, &config.git).map_err(|e| {
            let hint = git_hint(&e);
            CliError::from(e).hint(hint)
        })?)
    } else {
        None
    };
    if let Some(r) = &repo {
        if r.is_detached() {
            return Err(CliError::new(drsync::git::Error::DetachedHead {
                repo: r.workdir().to_path_buf(),
            })
            .hint("set [git] branch in drsync.toml, or check out a branch"));
        }
    }
    let lock = match &repo {
        Some(r) => Some(r.lock(std::time::Duration::from_secs(120))?),
        None => None,
    };
    let started = std::time::Instant::now();
    let progress = export::Progress::default();
    // Jobs are converted as their pages arrive, on blocking threads, while the listing goes on.
    let preparer = std::sync::Arc::new(export::Preparer::new(
        settings.clone(),
        export::provider_schema(),
    ));
    let inventory = {
        let reading = export::read_prepared(&client, &settings.kinds, &progress, &preparer);
        if std::io::stderr().is_terminal() {
            show_progress(reading, &progress, client.host()).await
        } else {
            reading.await
        }
    };
    let inventory = inventory.map_err(|e| {
        CliError::from(e)
            .hint("nothing was written: a partial export never replaces a complete one")
    })?;
    let built = export::build_prepared(inventory, &settings, &previous, preparer.schema())?;
    // What changes: against what is committed when committing, else against the folder.
    let changes = match &repo {
        Some(r) => {
            let committed = r.committed_files()?;
            export::changes_from(&built, |name| committed.get(name).cloned())
        }
        None => export::changes(&built, &out),
    };
    let strict = args.strict || config.export.strict;
    if strict && !built.warnings.is_empty() {
        print_warnings(&built);
        return Err(CliError::new(StrictError(built.warnings.len()))
            .hint("nothing was written; map or exclude what the warnings name, or drop --strict"));
    }
    // Mass deletion: in DR a resource removed from Git is an object the next apply deletes.
    let previous_count = changes.previous_count(built.resources.len());
    let limit = export::removal_limit(config.export.max_removed, previous_count);
    if !args.dry_run && !args.allow_removals {
        export::check_removals(&changes, previous_count, limit).map_err(|e| {
            CliError::new(e).hint(
                "nothing was written: check that the primary workspace is the right one and complete; if the \
                 removals are meant, run again with --allow-removals (or raise [export] max_removed)",
            )
        })?;
    }
    let written = if args.dry_run {
        None
    } else {
        Some(export::write(&built, &out)?)
    };
    let committed = match (&repo, &lock) {
        (Some(r), Some(lock)) => {
            let author = r.author(config.git.author.as_deref())?;
            let renamed: Vec<drsync::git::Renamed<'_>> = changes
                .renamed
                .iter()
                .map(|r| drsync::git::Renamed {
                    from: &r.from,
                    to: &r.to,
                    changed: r.changed,
                })
                .collect();
            let message = drsync::git::message(
                &drsync::git::Summary {
                    host: client.host(),
                    added: &changes.added,
                    changed: &changes.changed,
                    removed: &changes.removed,
                    renamed: &renamed,
                },
                config.git.message.as_deref(),
            )?;
            r.commit(
                lock,
                export::COMMITTED_FILES,
                &message,
                &author,
                commit_time()?,
            )?
        }
        _ => None,
    };
    drop(lock);
    if let (Some(r), Some(remote)) = (&repo, &config.git.remote) {
        let auth = drsync::git::PushAuth {
            token: std::env::var("DRSYNC_GIT_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())
                .map(drsync::api::Secret::new),
            username: std::env::var("DRSYNC_GIT_USER")
                .ok()
                .filter(|u| !u.is_empty()),
        };
        r.push(remote, &auth)?;
    }
    let elapsed = started.elapsed();
    if args.format == drsync::report::Format::Json {
        let counts: serde_json::Map<String, serde_json::Value> = settings
            .kinds
            .iter()
            .map(|k| {
                (
                    k.as_str().to_string(),
                    built
                        .resources
                        .iter()
                        .filter(|r| r.kind == *k)
                        .count()
                        .into(),
                )
            })
            .collect();
        let body = serde_json::json!({
            "source": client.host(),
            "out": out.display().to_string(),
            "dry_run": args.dry_run,
            "written": written.as_ref().is_some_and(|w| w.changed),
            "commit": committed.as_ref().map(|c| c.id.to_string()),
            "branch": repo.as_ref().map(|r| r.branch().to_string()),
            "counts": counts,
            "changes": changes,
            "rewrite": built.rewrite.rules.iter().map(|r| {
                let mut v = serde_json::json!({"rule": r.rule, "count": r.count});
                if args.explain {
                    v["places"] = serde_json::json!(r.places);
                }
                v
            }).collect::<Vec<_>>(),
            "warnings": built.warnings,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
    } else {
        print_summary(
            &built,
            &settings.kinds,
            &changes,
            &out,
            args.dry_run,
            client.host(),
            elapsed,
        );
        match (&committed, &repo) {
            (Some(c), _) => outln!("committed {} on {}", &c.id.to_string()[..10], c.branch),
            (None, Some(r)) => outln!("nothing to commit on {}", r.branch()),
            (None, None) if args.no_commit && !args.dry_run => {
                outln!("not committed (--no-commit)")
            }
            _ => {}
        }
        print_rewrite(&built, args.explain);
        print_warnings(&built);
    }
    Ok(ExitCode::SUCCESS)
}

/// The commit time: `GIT_COMMITTER_DATE` or `GIT_AUTHOR_DATE` as `@SECONDS [+HHMM]` or `SECONDS`, as git
/// takes them (for reproducible history); otherwise now.
fn commit_time() -> Result<Option<drsync::git::Timestamp>, CliError> {
    let Some(text) = ["GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|t| !t.trim().is_empty()))
    else {
        return Ok(None);
    };
    let bad = || {
        CliError::new(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("cannot read the commit time `{text}`"),
        ))
        .hint("drsync takes GIT_COMMITTER_DATE / GIT_AUTHOR_DATE as `@SECONDS +HHMM` or `SECONDS`")
    };
    let mut parts = text.trim().trim_start_matches('@').split_whitespace();
    let seconds: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let offset_minutes = match parts.next() {
        None => 0,
        Some(z) => {
            let (sign, digits) = match z.split_at(1) {
                ("+", d) => (1, d),
                ("-", d) => (-1, d),
                _ => return Err(bad()),
            };
            let n: i32 = digits.parse().map_err(|_| bad())?;
            sign * ((n / 100) * 60 + n % 100)
        }
    };
    Ok(Some(drsync::git::Timestamp {
        seconds,
        offset_minutes,
    }))
}

/// What to do about a repository that cannot be used.
fn git_hint(e: &drsync::git::Error) -> String {
    let text = e.to_string();
    if text.contains("owner") || text.contains("safe.directory") {
        "the repository belongs to another user: add it to git's safe.directory".to_string()
    } else {
        "drsync commits each export: put the export folder in a Git repository (`git init`), set [git] repo, or pass --no-commit".to_string()
    }
}

/// Run `reading`, redrawing one status line on stderr (a terminal) every 100 ms.
async fn show_progress<T>(
    reading: impl std::future::Future<Output = T>,
    progress: &export::Progress,
    host: &str,
) -> T {
    use std::sync::atomic::Ordering::Relaxed;
    tokio::pin!(reading);
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    let started = std::time::Instant::now();
    loop {
        tokio::select! {
            result = &mut reading => {
                eprint!("\r\x1b[2K");
                return result;
            }
            _ = tick.tick() => {
                eprint!(
                    "\r\x1b[2Kreading {host}: {} jobs, {} clusters, {} pools, {} policies ({:.0}s)",
                    progress.jobs.load(Relaxed),
                    progress.clusters.load(Relaxed),
                    progress.pools.load(Relaxed),
                    progress.policies.load(Relaxed),
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
}

/// `--out` names a folder the export must not own.
#[derive(Debug, thiserror::Error)]
#[error("--out {}: {reason}", dir.display())]
struct OutError {
    dir: PathBuf,
    reason: String,
}

#[derive(Debug, thiserror::Error)]
#[error("--strict: the export has {0} warning(s)")]
struct StrictError(usize);

/// How many added, changed, removed or renamed resources the text summary names before it counts the rest.
const LIST_LIMIT: usize = 100;

fn print_summary(
    built: &Export,
    kinds: &[ResourceKind],
    changes: &Changes,
    out: &std::path::Path,
    dry_run: bool,
    host: &str,
    elapsed: std::time::Duration,
) {
    let verb = if dry_run { "would export" } else { "exported" };
    outln!(
        "{verb} {host} to {} in {:.1}s",
        out.display(),
        elapsed.as_secs_f64()
    );
    let renamed: Vec<String> = changes
        .renamed
        .iter()
        .map(|r| {
            let also = if r.changed { " (changed)" } else { "" };
            format!("{} -> {}{also}", r.from, r.to)
        })
        .collect();
    for kind in kinds {
        let count = built.resources.iter().filter(|r| r.kind == *kind).count();
        let prefix = format!("{}.", kind.resource_type());
        let n = |list: &[String]| list.iter().filter(|a| a.starts_with(&prefix)).count();
        // Renames are counted only in an export that has some, so the usual line stays as it was.
        let renames = if renamed.is_empty() {
            String::new()
        } else {
            format!(", {} renamed", n(&renamed))
        };
        outln!(
            "  {:<17} {count:>6}  ({} added, {} changed, {} removed{renames})",
            kind.as_str(),
            n(&changes.added),
            n(&changes.changed),
            n(&changes.removed)
        );
    }
    if changes.is_empty() {
        outln!("no changes");
    } else {
        for (mark, list) in [
            ("+", &changes.added),
            ("~", &changes.changed),
            ("-", &changes.removed),
            (">", &renamed),
        ] {
            // The full list is in the commit message and in --format json; a terminal gets the first ones.
            for address in list.iter().take(LIST_LIMIT) {
                outln!("  {mark} {address}");
            }
            if list.len() > LIST_LIMIT {
                outln!("  {mark} ... and {} more", list.len() - LIST_LIMIT);
            }
        }
    }
    if dry_run {
        outln!("dry run: nothing written");
    }
}

fn print_rewrite(built: &Export, explain: bool) {
    if built.rewrite.rules.is_empty() {
        return;
    }
    outln!("rewrite rules:");
    for r in &built.rewrite.rules {
        outln!("  {:>6}  {}", r.count, terminal(&r.rule));
        if explain {
            // Places name task keys and map keys from the workspace: printed as data.
            for place in &r.places {
                outln!("          {}", terminal(place));
            }
        }
    }
}

fn print_warnings(built: &Export) {
    if built.warnings.is_empty() {
        return;
    }
    outln!("warnings ({}):", built.warnings.len());
    // Names, paths and ids in warnings come from the workspace: no escape sequence, newline or bidi control in
    // one reaches the terminal as it is.
    for w in &built.warnings {
        let (resource, message) = (terminal(&w.resource), terminal(&w.message));
        if w.path.is_empty() {
            outln!("  {resource}: {message}");
        } else {
            outln!("  {resource}: {}: {message}", terminal(&w.path));
        }
    }
}

/// The primary answers as another workspace than the previous export was read from.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} is workspace {live}, but the previous export was read from workspace {recorded} ({}): refusing to \
     export another workspace over it",
    labels.display()
)]
struct WorkspaceChanged {
    host: String,
    live: String,
    recorded: String,
    labels: PathBuf,
}
