//! `drsync adopt`: Terraform import blocks for the DR objects that already exist; exit 0 every resource imported
//! or in state, 2 some ambiguous or missing, 1 error.

use super::args::DeadlineArgs;
use super::{CliError, Global};
use drsync::ops;
use drsync::report::{self, Format};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `drsync adopt`.
#[derive(Debug, clap::Args)]
pub(crate) struct AdoptArgs {
    /// Read the HCL at this Git revision (default: the tip of the configured branch)
    #[arg(long = "ref", value_name = "REF", conflicts_with = "worktree")]
    git_ref: Option<String>,

    /// Read the HCL from the export folder on disk instead of from Git
    #[arg(long)]
    worktree: bool,

    /// A Terraform variables file, after dr.auto.tfvars (can be repeated)
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,

    /// The Terraform state (format 4): its resources need no import, and the DR objects it records are no
    /// other resource's
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,

    /// Write the import blocks to FILE (default: imports.tf in the export folder)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Output format on stdout
    #[arg(long, default_value = "text", value_parser = super::args::formats(&Format::SUMMARY))]
    format: Format,

    /// The current time as seconds since the epoch (for reproducible files)
    #[arg(long, hide = true, value_name = "SECONDS")]
    now: Option<i64>,

    #[command(flatten)]
    deadline: DeadlineArgs,
}

pub(crate) async fn run(global: &Global, args: AdoptArgs) -> Result<ExitCode, CliError> {
    let config = global.load_config()?;
    let request = ops::desired::Request {
        git_ref: args.git_ref.clone(),
        worktree: args.worktree,
        var_files: args.var_files.clone(),
        state: args.state.clone(),
        ..ops::desired::Request::default()
    };
    let desired = ops::desired::load(&config, &request)?;
    let client = super::client::connect(global, args.deadline, Some(&config), "dr")?.client;
    let now = args.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    });
    let settings = ops::adopt::AdoptSettings {
        out: args.out.clone(),
        now,
    };
    let outcome = ops::adopt::adopt(&config, desired, &client, &settings).await?;
    let text = match args.format {
        Format::Json => report::adopt::json(&outcome.adoption),
        _ => report::adopt::text(&outcome.adoption),
    };
    outln!("{}", text.trim_end_matches('\n'));
    Ok(if outcome.adoption.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
