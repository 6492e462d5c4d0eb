//! Flags more than one command declares, as `#[command(flatten)]` structs, so that each is written once and
//! its help text cannot drift between commands. Parsing only: what the flags mean is up to each command.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use drsync::report::Format;
use std::path::PathBuf;
use std::time::Duration;

/// Where the desired state is read from, beside `--ref`: shared by `drift` and `check`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DesiredArgs {
    /// The export folder, instead of [export] dir
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    /// A Terraform variables file, after dr.auto.tfvars (can be repeated)
    #[arg(long = "var-file", value_name = "FILE")]
    pub(crate) var_files: Vec<PathBuf>,

    /// Match resources to DR objects through this Terraform state (format 4) instead of by name
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,
}

impl DesiredArgs {
    /// What `ops::desired::load` reads: these flags with the command's `--ref`, `--worktree` and `--ignore`.
    pub(crate) fn request(
        &self,
        git_ref: Option<&str>,
        worktree: bool,
        ignore: Option<&std::path::Path>,
    ) -> drsync::ops::desired::Request {
        drsync::ops::desired::Request {
            out: self.out.clone(),
            git_ref: git_ref.map(str::to_string),
            worktree,
            var_files: self.var_files.clone(),
            state: self.state.clone(),
            ignore: ignore.map(std::path::Path::to_path_buf),
        }
    }
}

/// `--deadline`, for the commands that talk to a workspace (`export`, `drift`, `check`, `adopt`, `inventory`);
/// flattened last into each, so that `display_order` alone places it.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct DeadlineArgs {
    /// Stop waiting on the workspaces after this long (export, drift, check, adopt, inventory), e.g. 90m or
    /// 2h; default: [client] command_deadline_seconds (2h)
    // The fourth place, where it stood when it was a global flag (after --config, --verbose and
    // --allow-insecure-http): the help of the four commands stays as it was.
    #[arg(long, value_name = "DURATION", value_parser = parse_deadline, display_order = 3)]
    pub(crate) deadline: Option<Duration>,
}

/// `--deadline` zero: a command with no time at all always fails.
#[derive(Debug, thiserror::Error)]
#[error("must be more than 0: a command with no time at all always fails")]
pub(crate) struct ZeroDeadline;

/// `--deadline`: a duration (`90m`, `2h`, `600`) that is not zero.
pub(crate) fn parse_deadline(
    text: &str,
) -> Result<Duration, Box<dyn std::error::Error + Send + Sync>> {
    let d = drsync::config::parse_duration(text)?;
    if d.is_zero() {
        return Err(ZeroDeadline.into());
    }
    Ok(d)
}

/// `--format` of a command that takes only some of the formats: `accepted`, listed in the help in that order.
pub(crate) fn formats(accepted: &'static [Format]) -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(accepted.iter().map(|f| f.as_str()))
        .try_map(|name| Format::parse_in(&name, accepted))
}

/// `--report FORMAT=PATH` that cannot be taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportSpecError {
    /// No `=` in it.
    #[error("--report {spec}: expected FORMAT=PATH")]
    NoPath { spec: String },
    /// A format the command does not write.
    #[error(transparent)]
    Format(#[from] drsync::report::UnknownFormat),
}

/// The `--report FORMAT=PATH` flags of a command that writes the formats `accepted` (and takes `aliases` as
/// other names for some of them).
pub(crate) fn report_specs(
    specs: &[String],
    accepted: &[Format],
    aliases: &[(&str, Format)],
) -> Result<Vec<(Format, PathBuf)>, ReportSpecError> {
    specs
        .iter()
        .map(|spec| {
            let (name, path) = spec
                .split_once('=')
                .ok_or_else(|| ReportSpecError::NoPath { spec: spec.clone() })?;
            let format = match aliases.iter().find(|(alias, _)| *alias == name) {
                Some((_, format)) => *format,
                None => Format::parse_in(name, accepted)?,
            };
            Ok((format, PathBuf::from(path)))
        })
        .collect()
}
