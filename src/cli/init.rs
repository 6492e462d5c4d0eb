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

    /// Also write the pipeline files for this CI system (export, nightly drift, manual check, weekly drill)
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
        "github",
        ".github/workflows/drsync-drill.yml",
        include_str!("../../ci/github/drill.yml"),
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
        ".azure-pipelines/drill.yml",
        include_str!("../../ci/azure/drill.yml"),
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
    // The hosts go into TOML strings escaped, in one pass, so that a quote, a backslash, a newline or a
    // placeholder in a host cannot end its string or add settings.
    let text = fill(
        TEMPLATE,
        &[
            ("{primary_host}", &toml_string_content(&primary)),
            ("{dr_host}", &toml_string_content(&dr)),
        ],
    );
    // The file must be one drsync reads, holding the hosts as given: a typo in the template would be a bug.
    let parsed = drsync::config::Config::parse(&text, &path).map_err(CliError::new)?;
    for (name, given) in [("primary", &primary), ("dr", &dr)] {
        let written = parsed.workspace(name).map_err(CliError::new)?.host.as_ref();
        if written != Some(given) {
            return Err(CliError::new(std::io::Error::other(format!(
                "drsync init: the {name} host would not be written as given (a bug in drsync)"
            ))));
        }
    }
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

/// `template` with each placeholder replaced by its value, in one pass: a value is never searched for
/// placeholders.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some((at, key, value)) = values
        .iter()
        .filter_map(|(key, value)| rest.find(key).map(|at| (at, *key, *value)))
        .min_by_key(|(at, _, _)| *at)
    {
        out.push_str(&rest[..at]);
        out.push_str(value);
        rest = &rest[at + key.len()..];
    }
    out.push_str(rest);
    out
}

/// `s` as the content of a TOML basic string (`"..."`): backslash, quote and control characters escaped
/// (TOML 1.0, "String": `\\`, `\"` and `\uXXXX`).
fn toml_string_content(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
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
