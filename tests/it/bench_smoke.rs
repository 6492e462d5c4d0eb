//! `bench/run --quick` (the benchmark harness at its small CI size) runs from the checkout and prints its table.
//! It uses the binary cargo built for the tests (`DRSYNC_BIN`), so no release build is needed. Needs python3 and
//! the Databricks Python SDK, which CI installs (a missing SDK fails the test with the install hint).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest the quick benchmark may take.
const DEADLINE: Duration = Duration::from_secs(120);

#[test]
fn quick_benchmark_prints_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("bash")
        .arg(root.join("bench/run"))
        .arg("--quick")
        .current_dir(root)
        .env("DRSYNC_BIN", env!("CARGO_BIN_EXE_drsync"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bench/run starts");
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for bench/run") {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let context = format!("status {status:?}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}");
    assert!(
        status.is_some_and(|s| s.success()),
        "bench/run --quick failed\n{context}"
    );
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
