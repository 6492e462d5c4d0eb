//! `drsync export`: the primary workspace as Terraform files in the export folder.
#![allow(clippy::print_stderr)]

use super::{CliError, Global};
use drsync::git::Timestamp;
use drsync::ops::export as ops;
use drsync::report::export as export_report;
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
                reason: reason.to_string(),
            })
        },
    )?;
    let defaults = ops::Settings::from_config(&config).map_err(CliError::new)?;
    let commit = !args.dry_run && !args.no_commit;
    let settings = ops::Settings {
        out: out.clone(),
        dry_run: args.dry_run,
        commit,
        commit_time: if commit { commit_time()? } else { None },
        push: drsync::git::PushAuth {
            token: env("DRSYNC_GIT_TOKEN").map(drsync::api::Secret::new),
            username: env("DRSYNC_GIT_USER"),
        },
        strict: args.strict || defaults.strict,
        allow_removals: args.allow_removals,
        allow_workspace_change: args.allow_workspace_change,
        ..defaults
    };
    let status = StatusLine {
        host: client.host(),
        shown: std::io::stderr().is_terminal(),
    };
    let done = ops::export(&client, &settings, &status)
        .await
        .map_err(cli_error)?;
    let summary = export_report::Summary {
        host: &done.host,
        out: &out,
        kinds: &settings.kinds,
        export: &done.export,
        changes: &done.changes,
        dry_run: args.dry_run,
        written: done.written.as_ref().is_some_and(|w| w.changed),
        commit: done.committed.as_ref(),
        branch: done.branch.as_deref(),
        no_commit: args.no_commit,
        explain: args.explain,
        elapsed: done.elapsed,
    };
    if args.format == drsync::report::Format::Json {
        outln!("{}", export_report::json(&summary));
    } else {
        print(&export_report::text(&summary));
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
            print(&export_report::warnings(&warnings));
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

/// An environment variable's value, if it is set and not empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Print rendered lines (each with its newline) on stdout.
fn print(text: &str) {
    if let Some(text) = text.strip_suffix('\n') {
        outln!("{text}");
    }
}

/// The commit time: `GIT_COMMITTER_DATE` or `GIT_AUTHOR_DATE` as git takes them ([`Timestamp::parse`]);
/// otherwise now.
fn commit_time() -> Result<Option<Timestamp>, CliError> {
    let Some(text) = ["GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|t| !t.trim().is_empty()))
    else {
        return Ok(None);
    };
    let time = Timestamp::parse(&text).ok_or_else(|| {
        CliError::new(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("cannot read the commit time `{text}`"),
        ))
        .hint("drsync takes GIT_COMMITTER_DATE / GIT_AUTHOR_DATE as `@SECONDS +HHMM` or `SECONDS`")
    })?;
    Ok(Some(time))
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
                "\r\x1b[2Kreading {}: {} jobs, {} clusters, {} pools, {} policies, {} warehouses, {} pipelines ({:.0}s)",
                self.host,
                listed.jobs.load(Relaxed),
                listed.clusters.load(Relaxed),
                listed.pools.load(Relaxed),
                listed.policies.load(Relaxed),
                listed.warehouses.load(Relaxed),
                listed.pipelines.load(Relaxed),
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
