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
