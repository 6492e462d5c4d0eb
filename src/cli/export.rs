//! `drsync export`: the primary workspace as Terraform files in the export folder.
#![allow(clippy::print_stderr)]

use super::{CliError, Global};
use drsync::api::{auth, WorkspaceClient};
use drsync::convert::Warning;
use drsync::export::Export;
use drsync::model::ResourceKind;
use drsync::ops::export as ops;
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
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

pub(crate) async fn run(global: &Global, args: ExportArgs) -> Result<ExitCode, CliError> {
    let config = global.load_config()?;
    let entry = config.workspace("primary")?;
    let resolved = auth::resolve("primary", &entry.auth_spec(), &super::environment())?;
    let client = WorkspaceClient::new(
        "primary",
        &resolved.host,
        resolved.credentials,
        global.client_options(&config.client),
    )?;
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
    let commit = !args.dry_run && !args.no_commit;
    let settings = ops::Settings {
        kinds: config.export.resources.clone(),
        filter: config.export.name_filter().map_err(CliError::new)?,
        provider_version: config.export.provider_version.clone(),
        rules: config.rewrite.clone(),
        normalize: config.export.normalize_options(),
        out: out.clone(),
        dry_run: args.dry_run,
        commit,
        git: config.git.clone(),
        commit_time: if commit { commit_time()? } else { None },
        push: drsync::git::PushAuth {
            token: std::env::var("DRSYNC_GIT_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())
                .map(drsync::api::Secret::new),
            username: std::env::var("DRSYNC_GIT_USER")
                .ok()
                .filter(|u| !u.is_empty()),
        },
        strict: args.strict || config.export.strict,
        max_removed: config.export.max_removed,
        allow_removals: args.allow_removals,
        allow_workspace_change: args.allow_workspace_change,
    };
    let status = StatusLine {
        host: client.host(),
        shown: std::io::stderr().is_terminal(),
    };
    let done = ops::export(&client, &settings, &status)
        .await
        .map_err(cli_error)?;
    if args.format == "json" {
        print_json(&done, &settings, args.explain);
    } else {
        print_summary(&done, &settings.kinds, &out, args.dry_run);
        match (&done.committed, &done.branch) {
            (Some(c), _) => outln!("committed {} on {}", &c.id.to_string()[..10], c.branch),
            (None, Some(branch)) => outln!("nothing to commit on {branch}"),
            (None, None) if args.no_commit && !args.dry_run => {
                outln!("not committed (--no-commit)")
            }
            _ => {}
        }
        print_rewrite(&done.export, args.explain);
        print_warnings(&done.export.warnings);
    }
    Ok(ExitCode::SUCCESS)
}

/// The error as the user sees it, with what to do about it.
fn cli_error(e: ops::Error) -> CliError {
    match e {
        ops::Error::Identity(e) => CliError::from(e),
        e @ ops::Error::WorkspaceChanged { .. } => CliError::new(e).hint(
            "nothing was read or written; check [workspaces.primary] (or DATABRICKS_HOST, the profile); \
             if the primary really moved to this workspace, export once with --allow-workspace-change",
        ),
        ops::Error::Repository(e) => {
            let hint = git_hint(&e);
            CliError::from(e).hint(hint)
        }
        ops::Error::Git(e @ drsync::git::Error::DetachedHead { .. }) => {
            CliError::new(e).hint("set [git] branch in drsync.toml, or check out a branch")
        }
        ops::Error::Read(e) => CliError::from(e)
            .hint("nothing was written: a partial export never replaces a complete one"),
        ops::Error::Strict { warnings } => {
            print_warnings(&warnings);
            CliError::new(StrictError(warnings.len()))
                .hint("nothing was written; map or exclude what the warnings name, or drop --strict")
        }
        ops::Error::TooManyRemovals(e) => CliError::new(e).hint(
            "nothing was written: check that the primary workspace is the right one and complete; if the \
             removals are meant, run again with --allow-removals (or raise [export] max_removed)",
        ),
        ops::Error::Export(e) => CliError::from(e),
        ops::Error::Git(e) => CliError::from(e),
    }
}

/// The export summary as JSON.
fn print_json(done: &ops::ExportOutcome, settings: &ops::Settings, explain: bool) {
    let built = &done.export;
    let counts: serde_json::Map<String, serde_json::Value> = settings
        .kinds
        .iter()
        .map(|k| {
            let count = built.resources.iter().filter(|r| r.kind == *k).count();
            (k.as_str().to_string(), count.into())
        })
        .collect();
    let body = serde_json::json!({
        "source": done.host,
        "out": settings.out.display().to_string(),
        "dry_run": settings.dry_run,
        "written": done.written.as_ref().is_some_and(|w| w.changed),
        "commit": done.committed.as_ref().map(|c| c.id.to_string()),
        "branch": done.branch,
        "counts": counts,
        "changes": done.changes,
        "rewrite": built.rewrite.rules.iter().map(|r| {
            let mut v = serde_json::json!({"rule": r.rule, "count": r.count});
            if explain {
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

/// The status line `drsync export` redraws on stderr (a terminal) while it reads the primary.
struct StatusLine<'a> {
    host: &'a str,
    shown: bool,
}

impl ops::Observer for StatusLine<'_> {
    fn reading(&self, listed: &drsync::inventory::Progress, elapsed: std::time::Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.shown {
            eprint!(
                "\r\x1b[2Kreading {}: {} jobs, {} clusters, {} pools, {} policies ({:.0}s)",
                self.host,
                listed.jobs.load(Relaxed),
                listed.clusters.load(Relaxed),
                listed.pools.load(Relaxed),
                listed.policies.load(Relaxed),
                elapsed.as_secs_f64()
            );
        }
    }

    fn read(&self) {
        if self.shown {
            eprint!("\r\x1b[2K");
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
    done: &ops::ExportOutcome,
    kinds: &[ResourceKind],
    out: &std::path::Path,
    dry_run: bool,
) {
    let (built, changes) = (&done.export, &done.changes);
    let verb = if dry_run { "would export" } else { "exported" };
    outln!(
        "{verb} {} to {} in {:.1}s",
        done.host,
        out.display(),
        done.elapsed.as_secs_f64()
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

fn print_warnings(warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    outln!("warnings ({}):", warnings.len());
    // Names, paths and ids in warnings come from the workspace: no escape sequence, newline or bidi control in
    // one reaches the terminal as it is.
    for w in warnings {
        let (resource, message) = (terminal(&w.resource), terminal(&w.message));
        if w.path.is_empty() {
            outln!("  {resource}: {message}");
        } else {
            outln!("  {resource}: {}: {message}", terminal(&w.path));
        }
    }
}
