//! `drsync init`: a commented drsync.toml for the user's two workspaces.
#![allow(clippy::print_stderr)]

use super::CliError;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
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

    /// Overwrite an existing file
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(config: &std::path::Path, args: InitArgs) -> Result<ExitCode, CliError> {
    let path: PathBuf = config.to_path_buf();
    if path.exists() && !args.force {
        return Err(CliError::new(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} exists", path.display()),
        ))
        .hint("pass --force to overwrite it"));
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
