//! `drsync drift`: the live DR workspace against the committed HCL; exit 0 no drift, 2 drift, 1 error.

use super::args::{DeadlineArgs, DesiredArgs};
use super::{CliError, Global};
use drsync::ops;
use drsync::report::{self, Format};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `drsync drift`.
#[derive(Debug, clap::Args)]
pub(crate) struct DriftArgs {
    /// Read the HCL at this Git revision (default: the tip of the configured branch)
    #[arg(long = "ref", value_name = "REF", conflicts_with = "worktree")]
    git_ref: Option<String>,

    /// Read the HCL from the export folder on disk instead of from Git
    #[arg(long)]
    worktree: bool,

    #[command(flatten)]
    desired: DesiredArgs,

    /// Ignore rules (default: .drsyncignore next to drsync.toml, when it exists)
    #[arg(long, value_name = "FILE")]
    ignore: Option<PathBuf>,

    /// Write the current findings as ignore rules to FILE (accept today's drift as the baseline), and exit 0
    #[arg(long, value_name = "FILE")]
    write_ignore: Option<PathBuf>,

    /// Output format on stdout
    #[arg(long, default_value = "text", value_parser = super::args::formats(&Format::ALL))]
    format: Format,

    /// Also write a report in FORMAT to PATH (can be repeated), e.g. --report html=drift.html
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    reports: Vec<String>,

    #[command(flatten)]
    deadline: DeadlineArgs,
}

pub(crate) async fn run(global: &Global, args: DriftArgs) -> Result<ExitCode, CliError> {
    let config = global.load_config()?;
    let extra_reports =
        super::args::report_specs(&args.reports, &Format::ALL, &[]).map_err(CliError::new)?;
    // Desired state: from Git (default) or the folder on disk.
    let request = args.desired.request(
        args.git_ref.as_deref(),
        args.worktree,
        args.ignore.as_deref(),
    );
    let desired = ops::desired::load(&config, &request)?;
    let client = super::client::connect(global, args.deadline, Some(&config), "dr")?.client;
    let mut outcome = ops::drift::drift(&config, desired, &client).await?;
    if let Some(path) = &args.write_ignore {
        // The baseline accepts every current finding, including those the present rules hide.
        let text = outcome.baseline();
        fs_err::write(path, &text)?;
        let rules = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        eprintln_stderr(&format!(
            "wrote {rules} ignore rules for {} findings to {}",
            outcome.report.findings.len(),
            path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    outcome.apply_ignore();
    let (report, in_sync) = (&outcome.report, &outcome.in_sync);

    let color = args.format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for (f, path) in &extra_reports {
        let text = report::render(*f, report, &report::Options { color: false }, in_sync);
        fs_err::write(path, text)?;
    }
    let text = report::render(args.format, report, &report::Options { color }, in_sync);
    outln!("{}", text.trim_end_matches('\n'));
    Ok(if report.summary.drifted {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[allow(clippy::print_stderr)]
fn eprintln_stderr(text: &str) {
    eprintln!("{text}");
}
