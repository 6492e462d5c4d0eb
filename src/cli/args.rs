//! Flags more than one command declares, as `#[command(flatten)]` structs, so that each is written once and
//! its help text cannot drift between commands. Parsing only: what the flags mean is up to each command.

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

/// `--deadline`, for the commands that talk to a workspace (`export`, `drift`, `check`, `inventory`); flattened
/// last into each, so that `display_order` alone places it.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct DeadlineArgs {
    /// Stop waiting on the workspaces after this long (export, drift, check, inventory), e.g. 90m or 2h;
    /// default: [client] command_deadline_seconds (2h)
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
    let d = drsync::check::parse_duration(text)?;
    if d.is_zero() {
        return Err(ZeroDeadline.into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use crate::cli::Cli;
    use clap::Parser;

    /// `--deadline` is taken after the commands that talk to a workspace, and before any command (where it
    /// was taken as a global flag); after the others it is a usage error.
    #[test]
    fn deadline_belongs_to_the_workspace_commands() {
        for command in ["export", "drift", "check", "inventory"] {
            let cli = Cli::try_parse_from(["drsync", command, "--deadline", "90m"]);
            assert!(cli.is_ok(), "{command}: {cli:?}");
            let cli = Cli::try_parse_from(["drsync", "--deadline", "2h", command]);
            assert_eq!(
                cli.ok().and_then(|c| c.deadline),
                Some(std::time::Duration::from_secs(7200)),
                "{command}"
            );
        }
        for command in ["demo", "log", "init", "emulate"] {
            let cli = Cli::try_parse_from(["drsync", command, "--deadline", "90m"]);
            assert!(cli.is_err(), "{command}");
        }
        let zero = Cli::try_parse_from(["drsync", "drift", "--deadline", "0"]).unwrap_err();
        assert!(zero.to_string().contains("must be more than 0"), "{zero}");
    }
}
