//! `drsync export`: the primary workspace as Terraform files in the export folder.
#![allow(clippy::print_stderr)]

use super::{CliError, Global};
use drsync::api::{auth, WorkspaceClient};
use drsync::export::{self, Changes, Export, LabelMap, Settings};
use drsync::model::ResourceKind;
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

    /// Write the files but do not commit them
    #[arg(long)]
    no_commit: bool,

    /// Fail, writing nothing, when there are warnings (ids of objects that are not exported, fields the provider
    /// cannot express)
    #[arg(long)]
    strict: bool,

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
        config.client.options(global.allow_insecure_http),
    )?;
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => config.resolve_path(&config.export.dir),
    };
    let filter = config.export.name_filter().map_err(CliError::new)?;
    let settings = Settings {
        kinds: config.export.resources.clone(),
        filter,
        provider_version: config.export.provider_version.clone(),
        source_host: client.host().to_string(),
        rules: config.rewrite.clone(),
    };
    let started = std::time::Instant::now();
    let progress = export::Progress::default();
    let inventory = {
        let reading = export::read_with_progress(&client, &settings.kinds, &progress);
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
    let previous = LabelMap::load(&out)?;
    let schema = export::provider_schema();
    let built = export::build(&inventory, &settings, &previous, &schema)?;
    let changes = export::changes(&built, &out);
    let strict = args.strict || config.export.strict;
    if strict && !built.warnings.is_empty() {
        print_warnings(&built);
        return Err(CliError::new(StrictError(built.warnings.len()))
            .hint("nothing was written; map or exclude what the warnings name, or drop --strict"));
    }
    let written = if args.dry_run {
        None
    } else {
        Some(export::write(&built, &out)?)
    };
    let elapsed = started.elapsed();
    if args.format == "json" {
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
        print_rewrite(&built, args.explain);
        print_warnings(&built);
    }
    Ok(ExitCode::SUCCESS)
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

#[derive(Debug, thiserror::Error)]
#[error("--strict: the export has {0} warning(s)")]
struct StrictError(usize);

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
    for kind in kinds {
        let count = built.resources.iter().filter(|r| r.kind == *kind).count();
        let prefix = format!("{}.", kind.resource_type());
        let n = |list: &[String]| list.iter().filter(|a| a.starts_with(&prefix)).count();
        outln!(
            "  {:<17} {count:>6}  ({} added, {} changed, {} removed)",
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
        ] {
            for address in list {
                outln!("  {mark} {address}");
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
        outln!("  {:>6}  {}", r.count, r.rule);
        if explain {
            for place in &r.places {
                outln!("          {place}");
            }
        }
    }
}

fn print_warnings(built: &Export) {
    if built.warnings.is_empty() {
        return;
    }
    outln!("warnings ({}):", built.warnings.len());
    for w in &built.warnings {
        if w.path.is_empty() {
            outln!("  {}: {}", w.resource, w.message);
        } else {
            outln!("  {}: {}: {}", w.resource, w.path, w.message);
        }
    }
}
