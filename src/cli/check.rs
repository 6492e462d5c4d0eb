//! `drsync check`: is the DR workspace ready to take over? Exit 0 ready, 2 not ready, 1 error. Builds the
//! clients and runs the data-freshness command, lets `drsync::ops::check` judge, and renders.

use super::args::{DeadlineArgs, DesiredArgs};
use super::{CliError, Global};
use drsync::check::{CommandError, DataAge, Settings, Unavailable};
use drsync::ops;
use drsync::report::check::{self as render, Options};
use drsync::report::Format;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `drsync check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Read the HCL at this Git revision (default: the tip of the configured branch)
    #[arg(long = "ref", value_name = "REF")]
    git_ref: Option<String>,

    #[command(flatten)]
    desired: DesiredArgs,

    /// Ignore rules for the drift check (default: .drsyncignore next to drsync.toml, when it exists)
    #[arg(long, value_name = "FILE")]
    ignore: Option<PathBuf>,

    /// Output format on stdout
    #[arg(long, default_value = "text", value_parser = super::args::formats(&Format::CHECK))]
    format: Format,

    /// Also write a report in FORMAT to PATH (can be repeated), e.g. --report json=check.json
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    reports: Vec<String>,

    /// The current time as seconds since the epoch (for reproducible reports)
    #[arg(long, hide = true, value_name = "SECONDS")]
    now: Option<i64>,

    /// Leave out how long each check took (for reproducible reports)
    #[arg(long, hide = true)]
    no_timings: bool,

    #[command(flatten)]
    deadline: DeadlineArgs,
}

pub(crate) async fn run(global: &Global, args: CheckArgs) -> Result<ExitCode, CliError> {
    let config = global.load_config()?;
    let settings = Settings::from_section(&config.check);
    // `md` was the check renderer's other name for Markdown, in `--report` (never in `--format`).
    let extra_reports =
        super::args::report_specs(&args.reports, &Format::CHECK, &[("md", Format::Markdown)])
            .map_err(CliError::new)?;

    // Desired state from Git; a repository or revision that cannot be read is an error, HCL that does not
    // load is a failed check.
    let request = args
        .desired
        .request(args.git_ref.as_deref(), false, args.ignore.as_deref());
    let desired = ops::desired::load(&config, &request)?;

    // A DR workspace that no client can be made for (no [workspaces.dr], credentials not configured, an invalid
    // host) is a configuration error, exit 1: nothing was checked, so DR is not "not ready" (exit 2).
    let dr = super::client::connect(global, args.deadline, Some(&config), "dr")?;
    // A primary that no client can be made for is a warned check (in a disaster it may be gone), not an error.
    let primary = config.workspaces.contains_key("primary").then(|| {
        super::client::connect(global, args.deadline, Some(&config), "primary").map(|c| c.client)
    });

    // The data-freshness command runs alongside nothing else: it is the user's, and usually quick.
    let data_age = match &config.check.data_freshness_command {
        Some(command) => Some(
            run_command(
                command.clone(),
                config.resolve_path(std::path::Path::new(".")),
            )
            .await,
        ),
        None => None,
    };
    let now = args
        .now
        .unwrap_or_else(|| drsync::git::Timestamp::now().seconds);
    let report = ops::check::check(
        desired,
        ops::check::CheckSettings {
            config: &config,
            settings,
            dr: Ok(&dr.client),
            dr_host: dr.host.clone(),
            primary: primary
                .as_ref()
                .map(|p| p.as_ref().map_err(|e| e as Unavailable)),
            now,
            data_age,
        },
    )
    .await?;

    let options = Options {
        timings: !args.no_timings,
    };
    for (f, path) in &extra_reports {
        fs_err::write(path, render_check(*f, &report, &options)?)?;
    }
    let text = render_check(args.format, &report, &options)?;
    outln!("{}", text.trim_end_matches('\n'));
    // A DR that could not be read is not known to be ready or not ready: an error, exit 1, never 0 or 2.
    let failures = report.read_failures();
    if let Some((check, error)) = failures.first() {
        return Err(CliError::new(Unread {
            check: check.to_string(),
            error: error.to_string(),
            more: failures.len() - 1,
        })
        .hint("DR's readiness is unknown: make the DR workspace readable (see the error) and run drsync check again"));
    }
    Ok(if report.ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `report` in `format`, one of [`Format::CHECK`].
fn render_check(
    format: Format,
    report: &drsync::check::CheckReport,
    options: &Options,
) -> Result<String, CliError> {
    render::render(format, report, options).map_err(CliError::new)
}

/// Run the data-freshness command with `sh -c` in the config file's folder.
async fn run_command(command: String, dir: PathBuf) -> DataAge {
    let start = std::time::Instant::now();
    let cmd = command.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .output()
    })
    .await;
    let output = match output {
        Ok(Ok(o)) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(Ok(o)) => Err(CommandError::Failed {
            status: o.status,
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }),
        Ok(Err(e)) => Err(CommandError::CannotRun(e)),
        Err(e) => Err(CommandError::CannotRun(std::io::Error::other(e))),
    };
    DataAge {
        command,
        output,
        took: start.elapsed(),
    }
}

/// A check could not read what it needed from DR.
#[derive(Debug, thiserror::Error)]
#[error("the {check} check could not read the DR workspace{}: {error}",
    if *more > 0 { format!(" (nor could {more} more)") } else { String::new() })]
struct Unread {
    check: String,
    error: String,
    more: usize,
}
