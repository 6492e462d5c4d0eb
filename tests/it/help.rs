//! `drsync --help` and every subcommand's help, as snapshots: a change to the interface shows in review.

use crate::common::drsync_blocking;

#[test]
fn help_texts() {
    let dir = tempfile::tempdir().unwrap();
    let top = drsync_blocking(dir.path(), &["--help"], &[]);
    assert_eq!(top.code, 0);
    insta::assert_snapshot!("help", top.stdout);
    for sub in [
        "export",
        "drift",
        "check",
        "adopt",
        "drill",
        "log",
        "demo",
        "init",
        "emulate",
        "inventory",
    ] {
        let run = drsync_blocking(dir.path(), &[sub, "--help"], &[]);
        assert_eq!(run.code, 0, "{sub}: {run:?}");
        insta::assert_snapshot!(format!("help_{sub}"), run.stdout);
    }
}

/// Issue 14, defect 2: a usage error exits 1, not clap's 2, which CI templates read as "drift" and keep the job
/// green; help and version exit 0.
#[test]
fn usage_errors_exit_1_never_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["drift", "--no-such-flag"][..],
        &["drift", "--format", "yaml"],
        &["check", "--format", "html"],
        &["no-such-command"],
        &[],
    ] {
        let run = drsync_blocking(dir.path(), args, &[]);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("error:") || run.stderr.contains("Usage:"),
            "{args:?}: {run:?}"
        );
    }
    assert_eq!(drsync_blocking(dir.path(), &["--version"], &[]).code, 0);
}

/// `--deadline` belongs to the commands that talk to a workspace (export, drift, check, adopt, inventory), and is
/// still taken before any command, where it was a global flag; after the other commands it is a usage error.
#[test]
fn deadline_is_a_flag_of_the_workspace_commands() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["export", "drift", "check", "adopt", "inventory"] {
        for args in [
            &[command, "--deadline", "90m", "--config", "missing.toml"][..],
            &["--deadline", "2h", command, "--config", "missing.toml"],
        ] {
            let run = drsync_blocking(dir.path(), args, &[]);
            // Parsed: the command runs, and fails on the missing configuration (inventory without one reads
            // the environment, which names no workspace).
            assert_eq!(run.code, 1, "{args:?}: {run:?}");
            assert!(
                !run.stderr.contains("unexpected argument") && !run.stderr.contains("Usage:"),
                "{args:?}: {run:?}"
            );
        }
    }
    for command in ["demo", "log", "init", "emulate"] {
        let run = drsync_blocking(dir.path(), &[command, "--deadline", "90m"], &[]);
        assert_eq!(run.code, 1, "{command}: {run:?}");
        assert!(
            run.stderr.contains("unexpected argument '--deadline'"),
            "{command}: {run:?}"
        );
    }
    let zero = drsync_blocking(dir.path(), &["drift", "--deadline", "0"], &[]);
    assert_eq!(zero.code, 1, "{zero:?}");
    assert!(
        zero.stderr
            .contains("must be more than 0: a command with no time at all always fails"),
        "{zero:?}"
    );
}

/// `--report FORMAT=PATH`: each command takes the formats it writes (check also `md` for Markdown), and names
/// them when given another; the messages are those of the `String` errors they replaced.
#[test]
fn report_flags_name_a_format_the_command_writes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("drsync.toml"), "").unwrap();
    for (args, message) in [
        (
            &["drift", "--report", "html"][..],
            "error: --report html: expected FORMAT=PATH\n",
        ),
        (
            &["drift", "--report", "md=x.md"],
            "error: unknown report format `md`: expected text, json, markdown, junit or html\n",
        ),
        (
            &["check", "--report", "html=x.html"],
            "error: unknown report format `html`: expected text, json or markdown\n",
        ),
    ] {
        let run = drsync_blocking(dir.path(), args, &[]);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert_eq!(run.stderr, message, "{args:?}");
    }
    // `md` is check's: it gets past the flags, to the repository that is not there.
    let run = drsync_blocking(dir.path(), &["check", "--report", "md=x.md"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with("error: ") && !run.stderr.contains("report format"),
        "{run:?}"
    );
}
