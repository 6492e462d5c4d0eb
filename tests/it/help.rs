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
