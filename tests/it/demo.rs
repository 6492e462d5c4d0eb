//! `drsync demo`: the whole loop on the built-in data, as a newcomer runs it.

use crate::common::drsync;

#[tokio::test]
async fn the_demo_runs_the_loop_and_shows_the_seeded_drift() {
    let dir = tempfile::tempdir().unwrap();
    let run = drsync(dir.path(), &["demo", "--dir", "d"], &[]).await;
    assert_eq!(run.code, 0, "{run:?}");
    for expected in [
        "1. export",
        "committed ",
        "2. drift",
        "~ databricks_job.orders_hourly_periodic (changed, critical)",
        "- databricks_job.legacy_spark_submit (missing)",
        "+ databricks_cluster.adhoc_debug_dr (unmanaged)",
        "~ databricks_permissions.job_nightly_sales_etl (changed)",
        "- databricks_permissions.job_legacy_spark_submit (missing)",
        "drift: 6 findings (1 critical)",
        "3. check",
        "NOT READY",
    ] {
        assert!(run.stdout.contains(expected), "{expected}:\n{}", run.stdout);
    }
    let d = dir.path().join("d");
    assert!(d.join("terraform/generated/jobs.tf").exists());
    let html = std::fs::read_to_string(d.join("drift-report.html")).unwrap();
    assert!(html.contains("orders_hourly_periodic"));
    let repo = git2::Repository::open(&d).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert!(
        head.message()
            .unwrap()
            .starts_with("drsync: 116 resources added"),
        "{:?}",
        head.message()
    );
    // A second demo replaces the first; a folder it did not make is refused.
    assert_eq!(
        drsync(dir.path(), &["demo", "--dir", "d"], &[]).await.code,
        0
    );
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/file"), "x").unwrap();
    let refused = drsync(dir.path(), &["demo", "--dir", "mine"], &[]).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(std::path::Path::new(&dir.path().join("mine/file")).exists());
}
