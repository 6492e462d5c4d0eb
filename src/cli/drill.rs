//! `drsync drill`: a DR test that touches nothing on the primary. Runs the named jobs once in the DR workspace,
//! waits for each, reports result, duration and run page, and leaves every pause state as it was. Exit 0 every
//! job succeeded, 2 refused or some failed (the report says what), 1 error. Asks before running on a terminal;
//! without a terminal and without `--yes` it runs nothing.

use super::{CliError, Global};
use drsync::drill::{DrillReport, JobReport, JobResult, Status};
use drsync::ops::drill as op;
use drsync::report::drill::{self as render, Options};
use drsync::report::{terminal, Format};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `drsync drill`.
#[derive(Debug, clap::Args)]
pub(crate) struct DrillArgs {
    /// A DR job to run, by its exact name (can be repeated); every name must be exactly one DR job
    #[arg(long = "job", value_name = "NAME", required = true)]
    jobs: Vec<String>,

    /// Run without asking (needed where there is no terminal, as in CI)
    #[arg(long)]
    yes: bool,

    /// How long the runs may take together; what still runs then is cancelled, e.g. 30m or 2h
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = super::args::parse_deadline)]
    timeout: Duration,

    /// Show which DR jobs would run, and run nothing
    #[arg(long)]
    dry_run: bool,

    /// Output format on stdout
    #[arg(long, default_value = "text", value_parser = super::args::formats(&Format::CHECK))]
    format: Format,

    /// Also write a report in FORMAT to PATH (can be repeated), e.g. --report json=drill.json
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    reports: Vec<String>,

    /// The first wait between two polls of a run, in milliseconds (it grows to ten times that)
    #[arg(long, hide = true, value_name = "MS", default_value_t = 1000)]
    poll_ms: u64,

    /// Leave out durations (for reproducible reports)
    #[arg(long, hide = true)]
    no_timings: bool,
}

/// Calls to DR made after the drill's timeout (cancelling what still runs, reading pause states) get this long.
const AFTER_TIMEOUT: Duration = Duration::from_secs(600);

pub(crate) async fn run(global: &Global, args: DrillArgs) -> Result<ExitCode, CliError> {
    let config = global.load_config()?;
    let extra_reports =
        super::args::report_specs(&args.reports, &Format::CHECK, &[]).map_err(CliError::new)?;
    // The client's overall deadline covers the drill's timeout and what comes after it; `drill` connects to the
    // DR workspace only: nothing here reaches the primary.
    let deadline = super::args::DeadlineArgs {
        deadline: Some(args.timeout.saturating_add(AFTER_TIMEOUT)),
    };
    let dr = super::client::connect(global, deadline, Some(&config), "dr")?;
    let options = Options {
        timings: !args.no_timings,
    };
    let settings = op::Settings {
        timeout: args.timeout,
        poll_interval: Duration::from_millis(args.poll_ms.max(1)),
        ..op::Settings::default()
    };

    // Without a terminal to ask on and without --yes, nothing is read or started: a drill that no one confirmed
    // must not happen, and a CI job that forgot --yes learns it from exit 2 and the report.
    if !args.dry_run && !args.yes && !std::io::stdin().is_terminal() {
        let report = DrillReport {
            workspace: dr.client.host().to_string(),
            status: Status::Refused(
                "no terminal to confirm on and no --yes: nothing was run".to_string(),
            ),
            jobs: unique(&args.jobs)
                .into_iter()
                .map(|name| JobReport {
                    name,
                    job_id: None,
                    result: JobResult::NotRun,
                    run: None,
                    detail: None,
                    pause_before: Vec::new(),
                    pause_after: None,
                })
                .collect(),
            timeout: args.timeout,
            elapsed: Duration::ZERO,
        };
        emit(&args, &extra_reports, &report, &options)?;
        return Ok(ExitCode::from(2));
    }

    let plan = op::plan(&dr.client, &args.jobs).await?;
    let host = dr.client.host().to_string();
    if args.dry_run {
        let report = DrillReport::not_run(host, &plan, Status::DryRun, args.timeout);
        emit(&args, &extra_reports, &report, &options)?;
        return Ok(if plan.runnable() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        });
    }
    if plan.runnable() && !args.yes {
        let shown = DrillReport::not_run(host.clone(), &plan, Status::DryRun, args.timeout);
        if !confirm(&shown, &options)? {
            let report = DrillReport::not_run(
                host,
                &plan,
                Status::Refused("not confirmed: nothing was run".to_string()),
                args.timeout,
            );
            emit(&args, &extra_reports, &report, &options)?;
            return Ok(ExitCode::from(2));
        }
    }
    let progress = Progress {
        shown: std::io::stderr().is_terminal(),
    };
    let report = op::run(&dr.client, &plan, &settings, &progress).await;
    emit(&args, &extra_reports, &report, &options)?;
    let counts = report.counts();
    if counts.errors > 0 {
        return Err(CliError::new(Unknown {
            errors: counts.errors,
        })
        .hint("the report names each job and its error; look at its runs in the DR workspace, and run the drill again"));
    }
    Ok(if report.all_succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The names given, each once, in order.
fn unique(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

/// Print the report on stdout and write the `--report` files.
fn emit(
    args: &DrillArgs,
    extra: &[(Format, std::path::PathBuf)],
    report: &DrillReport,
    options: &Options,
) -> Result<(), CliError> {
    for (f, path) in extra {
        fs_err::write(
            path,
            render::render(*f, report, options).map_err(CliError::new)?,
        )?;
    }
    let text = render::render(args.format, report, options).map_err(CliError::new)?;
    outln!("{}", text.trim_end_matches('\n'));
    Ok(())
}

/// Show the plan on the terminal and ask once; only `y` or `yes` goes on.
fn confirm(plan: &DrillReport, options: &Options) -> Result<bool, CliError> {
    let text = render::render(Format::Text, plan, options).map_err(CliError::new)?;
    eprint!("{text}");
    eprint!(
        "Run {} in the DR workspace now? [y/N] ",
        if plan.jobs.len() == 1 {
            "this job".to_string()
        } else {
            format!("these {} jobs", plan.jobs.len())
        }
    );
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Runs started and over, on stderr when it is a terminal.
struct Progress {
    shown: bool,
}

impl op::Observer for Progress {
    fn started(&self, name: &str, run: i64) {
        if self.shown {
            eprintln!("started {}: run {run}", terminal(name));
        }
    }

    fn finished(&self, job: &JobReport) {
        if self.shown {
            eprintln!("over {}: {}", terminal(&job.name), job.result.as_str());
        }
    }
}

/// Some runs could not be started or followed.
#[derive(Debug, thiserror::Error)]
#[error("the drill does not know how {errors} of its jobs went: starting or following their runs failed")]
struct Unknown {
    errors: usize,
}
