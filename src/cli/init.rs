//! `drsync init`: a commented drsync.toml for the user's two workspaces.
#![allow(clippy::print_stderr)]

use super::CliError;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The commented configuration `drsync init` writes; every setting is in it.
pub(crate) const TEMPLATE: &str = include_str!("templates/drsync.toml");

/// Arguments of `drsync init`.
#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// The primary workspace's URL (asked for on a terminal when not given)
    #[arg(long, value_name = "URL")]
    primary_host: Option<String>,

    /// The DR workspace's URL (asked for on a terminal when not given)
    #[arg(long, value_name = "URL")]
    dr_host: Option<String>,

    /// Also write the pipeline files for this CI system (export, nightly drift, manual check)
    #[arg(long, value_name = "SYSTEM", value_parser = ["github", "gitlab", "azure"])]
    ci: Option<String>,

    /// Overwrite existing files
    #[arg(long)]
    force: bool,
}

/// The pipeline templates of `ci/`, compiled in, and where `drsync init --ci` writes them.
const CI_FILES: &[(&str, &str, &str)] = &[
    (
        "github",
        ".github/workflows/drsync-export.yml",
        include_str!("../../ci/github/export.yml"),
    ),
    (
        "github",
        ".github/workflows/drsync-drift.yml",
        include_str!("../../ci/github/drift.yml"),
    ),
    (
        "github",
        ".github/workflows/drsync-check.yml",
        include_str!("../../ci/github/check.yml"),
    ),
    (
        "gitlab",
        ".gitlab-ci.yml",
        include_str!("../../ci/gitlab/.gitlab-ci.yml"),
    ),
    (
        "azure",
        ".azure-pipelines/export.yml",
        include_str!("../../ci/azure/export.yml"),
    ),
    (
        "azure",
        ".azure-pipelines/drift.yml",
        include_str!("../../ci/azure/drift.yml"),
    ),
    (
        "azure",
        ".azure-pipelines/check.yml",
        include_str!("../../ci/azure/check.yml"),
    ),
    (
        "azure",
        ".azure-pipelines/install-drsync.yml",
        include_str!("../../ci/azure/install-drsync.yml"),
    ),
];

pub(crate) fn run(config: &std::path::Path, args: InitArgs) -> Result<ExitCode, CliError> {
    let path: PathBuf = config.to_path_buf();
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let pipelines: Vec<(PathBuf, &str)> = CI_FILES
        .iter()
        .filter(|(system, _, _)| args.ci.as_deref() == Some(*system))
        .map(|(_, to, text)| (base.join(to), *text))
        .collect();
    // Refuse before writing anything: never half an init.
    for target in std::iter::once(&path).chain(pipelines.iter().map(|(p, _)| p)) {
        if target.exists() && !args.force {
            return Err(CliError::new(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists", target.display()),
            ))
            .hint("pass --force to overwrite it"));
        }
    }
    let primary = host(
        args.primary_host,
        "primary workspace URL (e.g. https://dbc-1234.cloud.databricks.com)",
    )?;
    let dr = host(args.dr_host, "DR workspace URL")?;
    let text = TEMPLATE
        .replace("{primary_host}", &primary)
        .replace("{dr_host}", &dr);
    // The file must be one drsync reads: a typo in the template would be a bug.
    drsync::config::Config::parse(&text, &path).map_err(CliError::new)?;
    fs_err::write(&path, text)?;
    outln!("wrote {}", path.display());
    for (target, text) in &pipelines {
        if let Some(dir) = target.parent() {
            fs_err::create_dir_all(dir)?;
        }
        fs_err::write(target, text)?;
        outln!("wrote {}", target.display());
    }
    if !pipelines.is_empty() {
        outln!("the pipelines need secrets and a few settings: see ci/README.md in the drsync repository");
    }
    outln!("next: set PRIMARY_CLIENT_ID/PRIMARY_CLIENT_SECRET and DR_CLIENT_ID/DR_CLIENT_SECRET, then `drsync export --dry-run`");
    Ok(ExitCode::SUCCESS)
}

fn host(given: Option<String>, what: &str) -> Result<String, CliError> {
    if let Some(h) = given {
        return Ok(h);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("no {what} given"),
        ))
        .hint("pass --primary-host and --dr-host"));
    }
    eprint!("{what}: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.trim().to_string();
    if line.is_empty() {
        return Err(CliError::new(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("no {what} given"),
        )));
    }
    Ok(line)
}
