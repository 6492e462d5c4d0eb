//! `drsync demo`: the whole loop on this machine with nothing but the binary: two emulated workspaces (a
//! primary and a DR site with a little drift), a Git repository, export and commit, drift, check.
#![allow(clippy::print_stderr)]

use super::CliError;
use drsync_emulator::{Emulator, EmulatorConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `drsync demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// The folder to create the demo in (replaced if an earlier demo made it)
    #[arg(long, value_name = "DIR", default_value = "drsync-demo")]
    dir: PathBuf,

    /// Keep the two emulated workspaces running after the demo, to run the steps by hand (Ctrl-C stops them)
    #[arg(long)]
    keep_running: bool,
}

const MARKER: &str = ".drsync-demo";
const PRIMARY_TOKEN: &str = "dapi-demo-primary-0000000000000000";
const DR_TOKEN: &str = "dapi-demo-dr-00000000000000000000";
const PRIMARY_ENV: &str = "DRSYNC_DEMO_PRIMARY_TOKEN";
const DR_ENV: &str = "DRSYNC_DEMO_DR_TOKEN";

pub(crate) async fn run(args: DemoArgs) -> Result<ExitCode, CliError> {
    let dir = prepare(&args.dir)?;
    let primary = start(drsync_emulator::demo::primary()?, PRIMARY_TOKEN).await?;
    let dr = start(drsync_emulator::demo::dr()?, DR_TOKEN).await?;
    outln!("drsync demo in {}", dir.display());
    outln!("  primary workspace (emulated): {}  (31 jobs, 8 all-purpose clusters, 5 pools, 5 policies, 3 SQL warehouses, 2 pipelines)", primary.url());
    outln!(
        "  DR workspace (emulated):      {}  (the export applied, plus a little drift)",
        dr.url()
    );
    init_repo(&dir)?;
    let config = format!(
        "# drsync demo: two emulated workspaces on this machine. `drsync demo` wrote this file.\n\n\
         [workspaces.primary]\nhost = \"{}\"\ntoken_env = \"{PRIMARY_ENV}\"\n\n\
         [workspaces.dr]\nhost = \"{}\"\ntoken_env = \"{DR_ENV}\"\n\n\
         [git]\nauthor = \"drsync demo <demo@example.com>\"\n\n{}",
        primary.url(),
        dr.url(),
        drsync_emulator::demo::RULES
    );
    fs_err::write(dir.join("drsync.toml"), config)?;
    outln!("  wrote drsync.toml (DR rules: us-east-1 -> us-west-2, schedules paused) and a Git repository");

    outln!();
    outln!("1. export: read the primary, rewrite for the DR region, write Terraform, commit");
    let export = step(&dir, &["export"]).await?;
    // The summary's counts, one line per kind exported (`  jobs   30  (30 added, ...)`).
    show(&export.stdout, |l| {
        l.starts_with("exported")
            || l.starts_with("committed")
            || drsync::model::ResourceKind::ALL.iter().any(|k| {
                l.strip_prefix("  ")
                    .and_then(|r| r.strip_prefix(k.as_str()))
                    .is_some_and(|r| r.starts_with(' '))
            })
    });
    expect(&export, &[0], "export")?;

    outln!();
    outln!("2. drift: the live DR workspace against the committed Terraform");
    let drift = step(
        &dir,
        &[
            "drift",
            "--report",
            "html=drift-report.html",
            "--report",
            "json=drift-report.json",
            "--report",
            "markdown=drift-report.md",
        ],
    )
    .await?;
    show(&drift.stdout, |l| {
        l.starts_with("~ ")
            || l.starts_with("- ")
            || l.starts_with("+ ")
            || l.starts_with("? ")
            || l.starts_with("drift:")
            || l.starts_with("CRITICAL")
            || l.starts_with("no drift")
    });
    expect(&drift, &[0, 2], "drift")?;

    let has_check = step(&dir, &["check", "--help"])
        .await
        .map(|r| r.code == 0)
        .unwrap_or(false);
    if has_check {
        outln!();
        outln!("3. check: is DR ready for a failover?");
        let check = step(&dir, &["check"]).await?;
        show(&check.stdout, |l| !l.trim().is_empty());
        expect(&check, &[0, 2], "check")?;
    }

    outln!();
    outln!("Files:");
    outln!(
        "  {}/terraform/generated/   the exported Terraform (one commit: git -C {} log)",
        dir.display(),
        dir.display()
    );
    outln!(
        "  {}/drift-report.html      the drift report for a browser",
        dir.display()
    );
    outln!(
        "  {}/drift-report.md, .json the same for a PR comment and for programs",
        dir.display()
    );
    outln!();
    outln!("By hand, against the same emulators (with --keep-running):");
    outln!("  cd {}", dir.display());
    outln!("  export {PRIMARY_ENV}={PRIMARY_TOKEN} {DR_ENV}={DR_TOKEN}");
    outln!("  drsync export --dry-run        # what an export would change");
    outln!("  drsync drift --format markdown # the drift as Markdown");
    outln!("  drsync check                   # the pre-failover readiness check");
    outln!("  drsync log                     # the export history");
    if args.keep_running {
        outln!();
        outln!("The emulators keep running; Ctrl-C stops them.");
        tokio::signal::ctrl_c().await?;
    }
    primary.stop().await;
    dr.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// A fresh demo folder: created, or emptied when an earlier demo made it; anything else is refused.
fn prepare(dir: &Path) -> Result<PathBuf, CliError> {
    if dir.exists() {
        let empty = fs_err::read_dir(dir)?.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            return Err(CliError::new(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and was not made by drsync demo", dir.display()),
            ))
            .hint("pass --dir with a new folder"));
        }
        fs_err::remove_dir_all(dir)?;
    }
    fs_err::create_dir_all(dir)?;
    fs_err::write(
        dir.join(MARKER),
        "made by drsync demo; the next demo replaces this folder\n",
    )?;
    Ok(std::path::absolute(dir)?)
}

async fn start(fixtures: drsync_emulator::Fixtures, token: &str) -> Result<Emulator, CliError> {
    let config = EmulatorConfig {
        fixtures,
        tokens: vec![token.to_string()],
        ..EmulatorConfig::default()
    };
    Ok(Emulator::start(config, "127.0.0.1:0".parse().expect("a valid address")).await?)
}

/// `git init` with a first commit, so the exports have a branch to go to.
fn init_repo(dir: &Path) -> Result<(), CliError> {
    let git = |e: git2::Error| CliError::new(e);
    let repo = git2::Repository::init(dir).map_err(git)?;
    fs_err::write(
        dir.join(".gitignore"),
        format!("{MARKER}\ndrift-report.*\n"),
    )?;
    let mut index = repo.index().map_err(git)?;
    index.add_path(Path::new(".gitignore")).map_err(git)?;
    index.write().map_err(git)?;
    let tree = repo
        .find_tree(index.write_tree().map_err(git)?)
        .map_err(git)?;
    let sig = git2::Signature::now("drsync demo", "demo@example.com").map_err(git)?;
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "Start the DR configuration repository",
        &tree,
        &[],
    )
    .map_err(git)?;
    Ok(())
}

struct Step {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run one drsync command in the demo folder, as a user would, with the demo's tokens.
async fn step(dir: &Path, args: &[&str]) -> Result<Step, CliError> {
    let exe = std::env::current_exe()?;
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(&args)
            .current_dir(&dir)
            .env(PRIMARY_ENV, PRIMARY_TOKEN)
            .env(DR_ENV, DR_TOKEN)
            .env("NO_COLOR", "1")
            .output()
    })
    .await
    .map_err(|e| CliError::new(std::io::Error::other(e.to_string())))??;
    Ok(Step {
        code: out.status.code().unwrap_or(1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn show(text: &str, keep: impl Fn(&str) -> bool) {
    for line in text.lines().filter(|l| keep(l)) {
        outln!("   {line}");
    }
}

fn expect(step: &Step, codes: &[i32], what: &str) -> Result<(), CliError> {
    if codes.contains(&step.code) {
        return Ok(());
    }
    eprint!("{}", step.stderr);
    Err(CliError::new(std::io::Error::other(format!(
        "the demo's {what} step failed (exit {})",
        step.code
    ))))
}
