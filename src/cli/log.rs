//! `drsync log`: the export commits on the configured branch, newest first.

use super::{CliError, Global};
use drsync::report::Format;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `drsync log`.
#[derive(Debug, clap::Args)]
pub(crate) struct LogArgs {
    /// The export folder, instead of [export] dir
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Show at most this many commits
    #[arg(long, short = 'n', default_value_t = 20)]
    limit: usize,

    /// Output format
    #[arg(long, default_value = "text", value_parser = super::args::formats(&Format::SUMMARY))]
    format: Format,
}

pub(crate) fn run(global: &Global, args: LogArgs) -> Result<ExitCode, CliError> {
    let config = global.load_config()?;
    let out = args
        .out
        .unwrap_or_else(|| config.resolve_path(&config.export.dir));
    let repo = drsync::git::open(&out, &config.git)?;
    let history = repo.history(Some(args.limit))?;
    if args.format == Format::Json {
        let items: Vec<serde_json::Value> = history
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id.to_string(),
                    "time": c.time.seconds,
                    "author": c.author,
                    "summary": c.summary,
                    "by_drsync": c.by_drsync,
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&items).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if history.is_empty() {
        outln!("no export commits on {} yet", repo.branch());
    }
    for c in &history {
        outln!("{}  {}  {}", &c.id.to_string()[..10], c.time, c.summary);
    }
    Ok(ExitCode::SUCCESS)
}
