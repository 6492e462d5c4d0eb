//! `bench/run --quick` (the benchmark harness at its small CI size) runs from the checkout and prints its table.
//! It uses the binary cargo built for the tests (`DRSYNC_BIN`), so no release build is needed. Needs python3 and
//! the Databricks Python SDK, which CI installs (a missing SDK fails the test with the install hint).

use std::path::Path;
use std::process::{Command, Stdio};

/// A correctness test of the harness, not a measurement: it has no time bound (the harness's own timings are
/// what `bench/run` reports, and a slow machine must not fail it). What it checks is that every run succeeds, the
/// table is printed, and the export fetches each object once.
#[test]
fn quick_benchmark_prints_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("bench/run"))
        .arg("--quick")
        .current_dir(root)
        .env("DRSYNC_BIN", env!("CARGO_BIN_EXE_drsync"))
        .stdin(Stdio::null())
        .output()
        .expect("bench/run starts");
    let status = out.status;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let context = format!("status {status}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}");
    assert!(status.success(), "bench/run --quick failed\n{context}");
    assert!(
        stdout.contains(
            "| run | median wall | latency floor | wall / floor | peak RSS | CPU (user+sys) | requests | repeated |"
        ),
        "no table header\n{context}"
    );
    for row in [
        "`drsync export --no-commit`",
        "`drsync export --no-commit`, `jobs_paging = \"offset\"`",
        "`drsync drift --worktree`",
        "Python SDK script",
        "bare page walk",
    ] {
        assert!(stdout.contains(row), "no row for {row}\n{context}");
    }
    // The quick workspace: every object fetched once, jobs/get only for the jobs the listing cut off.
    assert!(
        stdout.contains("0 fetched that were not), 0 repeated requests, 0 errors"),
        "the export repeated a request or fetched a job it did not need to\n{context}"
    );
    assert!(stdout.contains("no drift"), "drift found drift\n{context}");
}
