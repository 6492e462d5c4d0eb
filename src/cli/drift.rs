//! `drsync drift`: the live DR workspace against the committed HCL; exit 0 no drift, 2 drift, 1 error.

use super::args::{DeadlineArgs, DesiredArgs};
use super::{CliError, Global};
use drsync::api::identity::{DrIsPrimary, PRIMARY_AS_RECORDED};
use drsync::drift::{self, Source};
use drsync::report::{self, Format};
use std::collections::BTreeMap;
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
    let out = args
        .desired
        .out
        .clone()
        .unwrap_or_else(|| config.resolve_path(&config.export.dir));
    let extra_reports =
        super::args::report_specs(&args.reports, &Format::ALL, &[]).map_err(CliError::new)?;

    // Desired state: from Git (default) or the folder on disk.
    let (files, source_ref, commit, folder) = if args.worktree {
        let mut files = BTreeMap::new();
        for entry in fs_err::read_dir(&out)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tf") || name.ends_with(".tfvars") {
                files.insert(name, fs_err::read_to_string(entry.path())?);
            }
        }
        (
            files,
            "worktree".to_string(),
            None,
            out.display().to_string(),
        )
    } else {
        let repo = drsync::git::open(&out, &config.git)?;
        let rev = args
            .git_ref
            .clone()
            .unwrap_or_else(|| repo.branch().to_string());
        let commit = repo.resolve(&rev)?;
        (
            repo.read_files(&rev)?,
            rev,
            Some(commit.to_string()),
            repo.prefix().to_string(),
        )
    };
    let mut var_files = Vec::new();
    for f in &args.desired.var_files {
        var_files.push((f.display().to_string(), fs_err::read_to_string(f)?));
    }
    let state = super::read_state(args.desired.state.as_deref())?;
    let rules = super::load_ignore(&config, args.ignore.as_deref())?;

    // Live state, read while the desired state is parsed (on a blocking thread: 30 MB of HCL take a while).
    let client = super::client::connect(global, args.deadline, Some(&config), "dr")?.client;
    // Before the answer is trusted: DR must be a workspace (`api::identity`), and not the primary the export
    // was read from (whose id the label file records).
    let me = client.identify().await?;
    let labels = match files.get(drsync::export::LABELS_FILE) {
        Some(text) => Some(text.clone()),
        // --worktree reads only the HCL: the label file is read from the folder.
        None => std::fs::read_to_string(out.join(drsync::export::LABELS_FILE)).ok(),
    };
    if let Some(primary) = labels
        .as_deref()
        .and_then(drsync::export::LabelMap::workspace_id_in)
    {
        DrIsPrimary::refuse(&me, client.host(), &[(Some(&primary), PRIMARY_AS_RECORDED)])
            .map_err(|e| CliError::new(e).hint(DrIsPrimary::HINT))?;
    }
    // Which workspace DR is, for `-v`: stderr stays quiet by default, as CI logs read it.
    tracing::info!(workspace_id = %me.workspace_id, host = %client.host(), "DR workspace");
    let kinds = config.export.resources.clone();
    let parsing = tokio::task::spawn_blocking(move || {
        drsync::tfconfig::load(&files, &var_files, &BTreeMap::new())
    });
    let options = config.export.normalize_options();
    let (desired, live) = tokio::join!(
        async {
            match parsing.await {
                Ok(loaded) => loaded,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        },
        drsync::export::read_normalized(&client, &kinds, &options)
    );
    let desired = desired?;
    let live = live?;
    let source = Source {
        workspace: client.host().to_string(),
        git_ref: source_ref,
        commit,
        folder,
    };
    let schema = drsync::export::provider_schema();
    let (mut report, in_sync) =
        drift::compare_normalized(&desired, &live, &kinds, state.as_ref(), source, &schema)?;
    // The process ends soon: freeing a million small allocations one by one would take longer than the compare.
    std::mem::forget(desired);
    std::mem::forget(live);
    if let Some(path) = &args.write_ignore {
        // The baseline accepts every current finding, including those the present rules hide, so that
        // writing it over the present ignore file loses nothing.
        let text = drift::ignore::baseline(&report.findings);
        fs_err::write(path, &text)?;
        let rules = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        eprintln_stderr(&format!(
            "wrote {rules} ignore rules for {} findings to {}",
            report.findings.len(),
            path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(rules) = &rules {
        report.findings = rules.apply(std::mem::take(&mut report.findings));
        drift::resummarize(&mut report);
    }

    let color = args.format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for (f, path) in &extra_reports {
        let text = report::render(*f, &report, &report::Options { color: false }, &in_sync);
        fs_err::write(path, text)?;
    }
    let text = report::render(args.format, &report, &report::Options { color }, &in_sync);
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
