//! `drsync init`, and the configuration reference it writes: every documented key is a real one.

use crate::common::drsync_blocking;
use std::path::Path;

#[test]
fn init_writes_a_valid_commented_config_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "init",
        "--primary-host",
        "https://dbc-p.cloud.databricks.com",
        "--dr-host",
        "https://dbc-d.cloud.databricks.com",
    ];
    let run = drsync_blocking(dir.path(), &args, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(dir.path().join("drsync.toml")).unwrap();
    let config = drsync::config::Config::parse(&text, Path::new("drsync.toml")).unwrap();
    assert_eq!(
        config.workspace("dr").unwrap().host.as_deref(),
        Some("https://dbc-d.cloud.databricks.com")
    );
    let again = drsync_blocking(dir.path(), &args, &[]);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(drsync_blocking(dir.path(), &forced, &[]).code, 0);
    // Without a terminal, missing hosts are an error that says which flags to pass.
    let other = tempfile::tempdir().unwrap();
    let run = drsync_blocking(other.path(), &["init"], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--primary-host"), "{}", run.stderr);
}

/// Every setting drsync.toml takes is in the template, and with every example uncommented it is still a valid
/// configuration: the documented keys are the real ones.
#[test]
fn the_config_reference_matches_the_code() {
    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli/templates/drsync.toml"),
    )
    .unwrap();
    let filled = template
        .replace("{primary_host}", "https://p")
        .replace("{dr_host}", "https://d");
    let uncommented: Vec<&str> = filled
        .lines()
        .map(|l| {
            l.strip_prefix("# ")
                .filter(|r| r.starts_with(['[', '"']) || r.contains(" = "))
                .unwrap_or(l)
        })
        .collect();
    let text = uncommented.join("\n");
    let config = drsync::config::Config::parse(&text, Path::new("drsync.toml"));
    assert!(config.is_ok(), "{:?}\n{text}", config.err());
    // And the README shows the same keys: each key of the template appears in it.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for line in &uncommented {
        if let Some((key, _)) = line.split_once(" = ") {
            let key = key.trim();
            if !key.starts_with('"') && !key.is_empty() {
                assert!(readme.contains(key), "README does not document `{key}`");
            }
        }
    }
}

#[test]
fn init_writes_the_pipelines_it_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = ["--primary-host", "https://p", "--dr-host", "https://d"];
    let mut args = vec!["init", "--ci", "github"];
    args.extend(hosts);
    let run = drsync_blocking(dir.path(), &args, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    for f in [
        "drsync-export.yml",
        "drsync-drift.yml",
        "drsync-check.yml",
        "drsync-drill.yml",
    ] {
        let text = std::fs::read_to_string(dir.path().join(".github/workflows").join(f)).unwrap();
        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("ci/github")
                .join(f.trim_start_matches("drsync-")),
        )
        .unwrap();
        assert_eq!(text, shipped, "{f} is the template as shipped");
    }
    // Asked again for another system: refused before anything is written, because drsync.toml exists.
    let mut again = vec!["init", "--ci", "gitlab"];
    again.extend(hosts);
    let run = drsync_blocking(dir.path(), &again, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!dir.path().join(".gitlab-ci.yml").exists());
    let mut azure = vec!["init", "--ci", "azure", "--force"];
    azure.extend(hosts);
    assert_eq!(drsync_blocking(dir.path(), &azure, &[]).code, 0);
    assert!(dir
        .path()
        .join(".azure-pipelines/install-drsync.yml")
        .exists());
}

/// The hosts go into drsync.toml escaped: a quote, a backslash, a newline or a placeholder in a host can neither
/// break the file nor add settings to it; each is read back exactly as given.
#[test]
fn init_escapes_the_hosts_it_writes() {
    let cases = [
        (
            "https://p.example.com\"\n[workspaces.evil]\nhost = \"x",
            "https://d.example.com\\\"\ntoken = \"dapi-x",
        ),
        (
            "https://p\\u0022.example.com",
            "https://d.example.com{primary_host}",
        ),
        (
            "https://p.example.com{dr_host}",
            "https://d.example.com'''\"\"\"\t\u{7f}",
        ),
    ];
    for (primary, dr) in cases {
        let dir = tempfile::tempdir().unwrap();
        let run = drsync_blocking(
            dir.path(),
            &["init", "--primary-host", primary, "--dr-host", dr],
            &[],
        );
        assert_eq!(run.code, 0, "{primary} {dr}: {run:?}");
        let text = std::fs::read_to_string(dir.path().join("drsync.toml")).unwrap();
        let config = drsync::config::Config::parse(&text, Path::new("drsync.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(
            config.workspaces.keys().collect::<Vec<_>>(),
            ["dr", "primary"],
            "{text}"
        );
        assert_eq!(
            config.workspace("primary").unwrap().host.as_deref(),
            Some(primary)
        );
        assert_eq!(config.workspace("dr").unwrap().host.as_deref(), Some(dr));
        // Nothing but the two host lines differs from the template filled with plain hosts.
        let plain = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli/templates/drsync.toml"),
        )
        .unwrap();
        assert_eq!(text.lines().count(), plain.lines().count(), "{text}");
    }
}
