//! The command line: parses arguments, reads `drsync.toml` and the environment into settings, calls the
//! library, renders what it returns and maps outcomes to exit codes (0 clean, 1 error, 2 drift / not ready).
//! This is the only module that prints or reads the process environment.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// `println!` for data on stdout, where a closed pipe (`drsync ... | head`) ends the program quietly.
macro_rules! outln {
    () => {
        $crate::cli::write_stdout(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

mod adopt;
mod args;
mod check;
mod client;
mod demo;
mod drift;
mod drill;
mod emulate;
mod export;
mod init;
mod inventory;
mod log;

use clap::{Parser, Subcommand};
use drsync::report::terminal;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Keep a disaster-recovery Databricks workspace in step with the primary one, through Terraform and Git
#[derive(Debug, Parser)]
#[command(
    name = "drsync",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Configuration file
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "drsync.toml",
        env = "DRSYNC_CONFIG"
    )]
    config: PathBuf,

    /// Log more (repeat for even more); DRSYNC_LOG overrides it with a tracing filter
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    /// Allow plain http:// workspace hosts that are not loopback (tokens would cross the network unencrypted)
    #[arg(long, global = true)]
    allow_insecure_http: bool,

    /// `--deadline` before the command, as it was accepted when it was a global flag: hidden, and still taken.
    /// The command's own `--deadline` (`args::DeadlineArgs`) wins over it.
    #[arg(long = "deadline", hide = true, value_name = "DURATION", value_parser = args::parse_deadline)]
    deadline: Option<std::time::Duration>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole loop on built-in demo data: export and commit, drift, check
    Demo(demo::DemoArgs),
    /// Write the primary workspace's jobs, clusters, pools and policies as Terraform files
    Export(export::ExportArgs),
    /// Compare the live DR workspace with the committed HCL (exit 0 no drift, 2 drift, 1 error)
    Drift(drift::DriftArgs),
    /// Is the DR workspace ready to take over? (exit 0 ready, 2 not ready, 1 error)
    Check(check::CheckArgs),
    /// Write Terraform import blocks for the DR objects that already exist (exit 0 all adopted, 2 not, 1 error)
    Adopt(adopt::AdoptArgs),
    /// Run DR jobs once as a drill, touching nothing on the primary (exit 0 all succeeded, 2 refused or failed)
    Drill(drill::DrillArgs),
    /// List the export commits: when the DR copy was taken, and what changed
    Log(log::LogArgs),
    /// Write a commented drsync.toml for your two workspaces
    Init(init::InitArgs),
    /// Run a local emulator of a Databricks workspace's REST API
    Emulate(emulate::EmulateArgs),
    /// Count what a workspace holds: jobs, all-purpose clusters, pools and policies
    Inventory(inventory::InventoryArgs),
}

/// An error as the user sees it: the error with its causes, and hints on what to do.
pub(crate) struct CliError {
    error: Box<dyn std::error::Error + Send + Sync>,
    hints: Vec<String>,
}

impl CliError {
    pub(crate) fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        CliError {
            error: error.into(),
            hints: Vec::new(),
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

impl From<drsync::api::Error> for CliError {
    fn from(e: drsync::api::Error) -> Self {
        let hint = e.hint();
        let mut err = CliError::new(e);
        if let Some(h) = hint {
            err = err.hint(h);
        }
        err
    }
}

impl From<drsync::api::IdentityError> for CliError {
    fn from(e: drsync::api::IdentityError) -> Self {
        match e {
            drsync::api::IdentityError::Api(e) => CliError::from(e),
            e => {
                let hint = e.hint();
                CliError::new(e).hint(hint)
            }
        }
    }
}

impl From<drsync::check::Error> for CliError {
    fn from(e: drsync::check::Error) -> Self {
        let hint = e.hint();
        CliError::new(e).hint(hint)
    }
}

macro_rules! plain_cli_error {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError::new(e)
            }
        }
    )*};
}
plain_cli_error!(
    drsync::config::Error,
    drsync::export::Error,
    drsync::git::Error,
    drsync::tfconfig::Error,
    drsync::drift::Error,
    drsync_emulator::Error,
    std::io::Error
);

impl From<drsync::ops::desired::Error> for CliError {
    fn from(e: drsync::ops::desired::Error) -> Self {
        use drsync::ops::desired::Error;
        match e {
            Error::Git(e) => e.into(),
            Error::Io(e) => e.into(),
            e @ (Error::State { .. } | Error::Ignore(_)) => CliError::new(e),
        }
    }
}

impl From<drsync::ops::drift::Error> for CliError {
    fn from(e: drsync::ops::drift::Error) -> Self {
        use drsync::ops::drift::Error;
        match e {
            Error::Identity(e) => e.into(),
            Error::DrIsPrimary(e) => {
                CliError::new(e).hint(drsync::api::identity::DrIsPrimary::HINT)
            }
            Error::Read(e) => e.into(),
            Error::Desired(e) => e.into(),
            Error::Compare(e) => e.into(),
        }
    }
}

impl From<drsync::ops::adopt::Error> for CliError {
    fn from(e: drsync::ops::adopt::Error) -> Self {
        use drsync::ops::adopt::Error;
        match e {
            Error::Compare(e) => e.into(),
            e @ Error::NotOurs { .. } => CliError::new(e)
                .hint("move it away, or write the import blocks elsewhere with --out FILE"),
            e => CliError::new(e),
        }
    }
}

impl From<drsync::api::auth::AuthError> for CliError {
    fn from(e: drsync::api::auth::AuthError) -> Self {
        use drsync::api::auth::AuthError;
        let hint = match &e {
            AuthError::NoCredentials { .. } => Some(
                "name the credentials in drsync.toml: token_env = \"VAR\", client_id_env/client_secret_env, or profile = \"NAME\"",
            ),
            AuthError::Conflicting { .. } => Some("keep one way of authenticating per workspace"),
            _ => None,
        };
        let mut err = CliError::new(e);
        if let Some(h) = hint {
            err = err.hint(h);
        }
        err
    }
}

/// Run drsync with the process's arguments and environment.
pub fn main() -> ExitCode {
    // git2 sets its certificate variables on first use: do it before any other thread exists.
    drsync::git::init();
    // A usage error exits 1, never clap's 2: exit code 2 means drift or "not ready", and a CI job reading a typo
    // as drift would stay green. Help and version go to standard output and exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            // Printing can fail only when the terminal is gone; the exit code still says what happened.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(&CliError::new(e)),
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let global = Global {
        config: cli.config,
        allow_insecure_http: cli.allow_insecure_http,
        deadline: cli.deadline,
    };
    match cli.command {
        Command::Adopt(args) => adopt::run(&global, args).await,
        Command::Emulate(args) => emulate::run(args).await,
        Command::Check(args) => check::run(&global, args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Drift(args) => drift::run(&global, args).await,
        Command::Drill(args) => drill::run(&global, args).await,
        Command::Export(args) => export::run(&global, args).await,
        Command::Init(args) => init::run(&global.config, args),
        Command::Inventory(args) => inventory::run(&global, args).await,
        Command::Log(args) => log::run(&global, args),
    }
}

/// Options every subcommand shares.
pub(crate) struct Global {
    pub(crate) config: PathBuf,
    pub(crate) allow_insecure_http: bool,
    /// `--deadline` given before the command (hidden, kept for compatibility).
    pub(crate) deadline: Option<std::time::Duration>,
}

impl Global {
    /// The REST client's options: `[client]`, with `--allow-insecure-http` and `--deadline` applied.
    pub(crate) fn client_options(
        &self,
        section: &drsync::config::ClientSection,
        deadline: args::DeadlineArgs,
    ) -> drsync::api::ClientOptions {
        let mut options = section.options(self.allow_insecure_http);
        if let Some(d) = deadline.deadline.or(self.deadline) {
            options.command_deadline = Some(d);
        }
        options
    }

    /// Load the configuration file, with a hint when it does not exist.
    pub(crate) fn load_config(&self) -> Result<drsync::config::Config, CliError> {
        drsync::config::Config::load(&self.config).map_err(|e| {
            let missing = matches!(&e, drsync::config::Error::Read(_, source) if source.kind() == std::io::ErrorKind::NotFound);
            let err = CliError::new(e);
            if missing {
                err.hint("pass --config FILE, or run drsync from the folder that holds drsync.toml")
            } else {
                err
            }
        })
    }
}

/// The parts of the process environment that credential resolution reads.
pub(crate) fn environment() -> drsync::api::auth::Environment {
    drsync::api::auth::Environment {
        vars: std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
        home: std::env::var_os("HOME").map(PathBuf::from),
    }
}

/// Write one line to stdout; a closed pipe is not an error, it means the reader has seen enough.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,drsync=info",
        2 => "info,drsync=debug",
        _ => "debug,drsync=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DRSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_target(false)
        .try_init();
}

/// Prints an error, its causes and its hints. Each goes through [`terminal`]: an error can carry a server's
/// message or a workspace name, which must not move the cursor or forge a line (issue 14 item 3).
fn report(e: &CliError) -> ExitCode {
    eprintln!("error: {}", terminal(&e.error.to_string()));
    for cause in drsync::causes::of(&*e.error) {
        eprintln!("  caused by: {}", terminal(&cause.to_string()));
    }
    for hint in &e.hints {
        eprintln!("hint: {}", terminal(hint));
    }
    ExitCode::from(1)
}
