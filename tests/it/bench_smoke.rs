//! `bench/run --quick` (the benchmark harness at its small CI size) runs from the checkout and prints its table.
//! It uses the binary cargo built for the tests (`DRSYNC_BIN`), so no release build is needed. Needs python3 and
//! the Databricks Python SDK, which CI installs (a missing SDK fails the test with the install hint).

use std::path::Path;
use std::process::{Command, Stdio};

/// A correctness test of the harness, not a measurement: it has no time bound (the harness's own timings are
/// what `bench/run` reports, and a slow machine must not fail it). What it checks is that every run succeeds
/// (export with its commit, drift, check, the SDK script, the page walk, the throttled export, the scaling
/// runs), every table and target is printed, and the export fetches each object once.
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
    for header in [
        "| run | median wall | latency floor | wall / floor | peak RSS | CPU (user+sys) | requests | repeated |",
        "| run | wall | what the limit allows | wall / allowed | peak RSS | requests | answered 429 | 429 share |",
        "| jobs | emulators up | export | drift | check | export per job | drift per job | check per job |",
    ] {
        assert!(stdout.contains(header), "no table {header}\n{context}");
    }
    for row in [
        "| `drsync export` (with its commit) |",
        "| `drsync drift` (the committed branch tip) |",
        "| `drsync check`, exit ",
        "| Python SDK script",
        "| bare page walk",
        "| `drsync export` (with its commit), server limit 20/s per endpoint family | ",
        "| 100 | ",
        "| 200 | ",
        "| 400 | ",
        "| spread (max / min) |",
    ] {
        assert!(stdout.contains(row), "no row {row}\n{context}");
    }
    // At defaults by default: the tuned row only with --tuned.
    assert!(
        !stdout.contains("jobs_paging"),
        "a tuned row without --tuned\n{context}"
    );
    // Every target is printed, measured against its goal (the throttled one may be not available while the
    // binary's emulator has no --rate-limit).
    for target in [
        "- SDK script / export: **",
        "- export / bare page walk: **",
        "- drift / export: **",
        "- check / export: **",
        "- export peak RSS: **",
        "- drift peak RSS: **",
        "- throttled 429 share: ",
        "- scaling spread of time and memory per job at 100/200/400 jobs: **",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(target))
            .unwrap_or_else(|| panic!("no target line {target}\n{context}"));
        assert!(
            line.ends_with("**met**")
                || line.ends_with("**missed**")
                || line.ends_with("**not measured**"),
            "target line without a verdict: {line}\n{context}"
        );
    }
    // The quick workspace: every object fetched once, jobs/get only for the jobs the listing cut off.
    assert!(
        stdout.contains("0 fetched that were not), 0 repeated requests, 0 errors"),
        "the export repeated a request or fetched a job it did not need to\n{context}"
    );
    assert!(stdout.contains("no drift"), "drift found drift\n{context}");
}
