//! A check report ([`CheckReport`]) as text (a checklist read in ten seconds), JSON and Markdown. Pure: returns
//! strings and never writes them anywhere. Every workspace string goes through this layer's one escaping module
//! (`report::escape`), as in the drift report; nothing here escapes on its own.

use super::escape;
use super::Format;
use crate::check::{format_duration, CheckReport, CheckResult, Status};
use std::fmt::Write;

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Show how long each check took (off for golden files).
    pub timings: bool,
}

/// A format a check report does not come in (it comes as text, JSON and Markdown; JUnit and HTML are the drift
/// report's). The CLI offers only [`Format::CHECK`], so this names a caller's mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a check report does not come as {0}: expected text, json or markdown")]
pub struct Unsupported(pub Format);

/// Render `report` in `format`, one of [`Format::CHECK`].
pub fn render(
    format: Format,
    report: &CheckReport,
    options: &Options,
) -> Result<String, Unsupported> {
    match format {
        Format::Text => Ok(text(report, options)),
        Format::Json => Ok(json(report, options)),
        Format::Markdown => Ok(markdown(report, options)),
        Format::Junit | Format::Html => Err(Unsupported(format)),
    }
}

fn mark(s: Status) -> &'static str {
    match s {
        Status::Pass => "✓",
        Status::Warn => "!",
        Status::Fail => "✗",
    }
}

fn verdict(report: &CheckReport) -> String {
    let age = match report.sync_age_seconds {
        Some(s) => format!(
            "DR copy {} old",
            format_duration(u64::try_from(s.max(0)).unwrap_or(0))
        ),
        None => "no export commit".to_string(),
    };
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    let (fails, warns) = (count(Status::Fail), count(Status::Warn));
    let word = if report.ready { "READY" } else { "NOT READY" };
    let mut parts = Vec::new();
    if fails > 0 {
        parts.push(format!("{fails} failed"));
    }
    if warns > 0 {
        parts.push(format!(
            "{warns} warning{}",
            if warns == 1 { "" } else { "s" }
        ));
    }
    parts.push(age);
    format!("{word}: {}", parts.join(", "))
}

/// A workspace string for the terminal: the one escaping of every printed string ([`escape::terminal`]).
fn clean(s: &str) -> String {
    escape::terminal(s)
}

/// Whether a check gets a details section: it did not pass and there is something to say beyond its line.
fn has_details(c: &CheckResult) -> bool {
    c.status != Status::Pass && !(c.evidence.is_empty() && c.details.is_empty())
}

fn text(report: &CheckReport, options: &Options) -> String {
    let mut out = String::new();
    let width = report
        .checks
        .iter()
        .map(|c| c.title.len())
        .max()
        .unwrap_or(0);
    for c in &report.checks {
        let _ = write!(
            out,
            "{} {:width$}  {}",
            mark(c.status),
            clean(&c.title),
            clean(&c.summary)
        );
        if options.timings {
            let _ = write!(out, " ({} ms)", c.duration_ms);
        }
        out.push('\n');
    }
    for c in report.checks.iter().filter(|c| has_details(c)) {
        let _ = writeln!(
            out,
            "\n{} {} ({})",
            mark(c.status),
            clean(&c.title),
            c.status.as_str()
        );
        for e in &c.evidence {
            let _ = writeln!(out, "    looked at: {}", clean(e));
        }
        for d in &c.details {
            let _ = writeln!(out, "    - {}", clean(d));
        }
    }
    let _ = writeln!(out, "\n{}", verdict(report));
    out
}

fn json(report: &CheckReport, options: &Options) -> String {
    let mut report = report.clone();
    if !options.timings {
        for c in &mut report.checks {
            c.duration_ms = 0;
        }
    }
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
}

/// For a Markdown table cell or paragraph: the drift report's escaping ([`escape::markdown`]), so that a name
/// neutralised there is neutralised here.
fn md(s: &str) -> String {
    escape::markdown(s)
}

fn markdown(report: &CheckReport, options: &Options) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## DR readiness: {}\n", md(&verdict(report)));
    let _ = writeln!(
        out,
        "DR workspace {}, HCL at `{}`{}\n",
        md(&report.workspace),
        md(&report.git_ref),
        report
            .commit
            .as_deref()
            .map(|c| format!(" ({})", md(&c[..c.len().min(12)])))
            .unwrap_or_default()
    );
    if options.timings {
        out.push_str("| | Check | Result | Time |\n|---|---|---|---|\n");
    } else {
        out.push_str("| | Check | Result |\n|---|---|---|\n");
    }
    for c in &report.checks {
        let _ = write!(
            out,
            "| {} {} | {} | {} |",
            mark(c.status),
            c.status.as_str(),
            md(&c.title),
            md(&c.summary)
        );
        if options.timings {
            let _ = write!(out, " {} ms |", c.duration_ms);
        }
        out.push('\n');
    }
    for c in report.checks.iter().filter(|c| has_details(c)) {
        let _ = writeln!(out, "\n### {} {}\n", mark(c.status), md(&c.title));
        for e in &c.evidence {
            let _ = writeln!(out, "- looked at: {}", md(e));
        }
        for d in &c.details {
            let _ = writeln!(out, "- {}", md(d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> CheckReport {
        CheckReport {
            version: 1,
            ready: false,
            sync_age_seconds: Some(3600),
            workspace: "https://dr".into(),
            git_ref: "main".into(),
            commit: None,
            checks: vec![
                CheckResult {
                    id: "dr_reachable".into(),
                    title: "DR workspace reachable".into(),
                    status: Status::Pass,
                    summary: "as admin".into(),
                    evidence: vec![],
                    details: vec![],
                    duration_ms: 5,
                },
                CheckResult {
                    id: "secrets".into(),
                    title: "Secret scopes".into(),
                    status: Status::Fail,
                    summary: "1 secret scopes missing".into(),
                    evidence: vec!["2 scopes".into()],
                    details: vec!["scope a|b \u{1b}[31m".into()],
                    duration_ms: 7,
                },
            ],
        }
    }

    #[test]
    fn renders_each_format() {
        let r = report();
        let t = render(Format::Text, &r, &Options { timings: true }).unwrap();
        assert!(
            t.starts_with("✓ DR workspace reachable  as admin (5 ms)\n"),
            "{t}"
        );
        assert!(t.contains("    - scope a|b \\u{1b}[31m"), "{t}");
        assert!(t.ends_with("NOT READY: 1 failed, DR copy 1h old\n"), "{t}");
        let j: serde_json::Value =
            serde_json::from_str(&render(Format::Json, &r, &Options { timings: false }).unwrap())
                .unwrap();
        assert_eq!(j["checks"][1]["status"], "fail");
        assert_eq!(j["checks"][1]["duration_ms"], 0);
        let m = render(Format::Markdown, &r, &Options { timings: false }).unwrap();
        assert!(m.contains("scope a&#124;b"), "{m}");
        assert_eq!(
            render(Format::Junit, &r, &Options { timings: false }).map_err(|e| e.to_string()),
            Err(
                "a check report does not come as junit: expected text, json or markdown"
                    .to_string()
            )
        );
    }

    /// Issue 14 (forged terminal output) and 15 (check did not neutralise bidi controls): a workspace string
    /// with an escape sequence, a newline that forges a line, a bidi override or a zero-width space is shown
    /// escaped in text and neutralised in Markdown exactly as the drift report does it, wherever the check
    /// report carries it (summary, evidence, details, workspace, ref). Any string that bypasses the escaping
    /// fails this test.
    #[test]
    fn workspace_strings_cannot_forge_output() {
        let mut r = report();
        let hostile =
            "job \u{1b}[2J\u{1b}]0;owned\u{7}\n✓ Passive posture all fine \u{202e}cod\u{200b}e";
        r.checks[1].details = vec![hostile.to_string()];
        let t = render(Format::Text, &r, &Options { timings: false }).unwrap();
        for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{200b}'] {
            assert!(!t.contains(bad), "{bad:?} in {t}");
        }
        assert!(
            !t.contains("\n✓ Passive posture all fine"),
            "a forged line: {t}"
        );
        assert!(
            t.contains("    - job \\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{a}✓ Passive posture all fine \\u{202e}cod\\u{200b}e"),
            "{t}"
        );
        let m = render(Format::Markdown, &r, &Options { timings: false }).unwrap();
        assert!(m.contains(&escape::markdown(hostile)), "{m}");
        assert!(!m.contains('\u{202e}') && !m.contains('\u{1b}'), "{m}");

        // Every other string the report carries from the workspace.
        let mut r = report();
        r.workspace = hostile.into();
        r.git_ref = hostile.into();
        for c in &mut r.checks {
            c.status = Status::Fail;
            c.summary = hostile.into();
            c.evidence = vec![hostile.into()];
            c.details = vec![hostile.into()];
        }
        for format in [Format::Text, Format::Markdown] {
            let out = render(format, &r, &Options { timings: true }).unwrap();
            for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{200b}'] {
                assert!(!out.contains(bad), "{format:?}: {bad:?} in {out}");
            }
            assert!(
                !out.contains("\n✓ Passive posture all fine"),
                "{format:?}: a forged line: {out}"
            );
        }

        // The same neutralisation as drift's: a finding whose name carries the bidi override and the zero-width
        // space is shown with the same escapes by `drsync drift` as a check detail by `drsync check`.
        let name = "cod\u{202e}e\u{200b}x";
        let finding = crate::drift::Finding {
            kind: crate::drift::FindingKind::Unmanaged,
            severity: crate::drift::Severity::Drift,
            resource_type: "databricks_job".into(),
            label: "j".into(),
            name: name.into(),
            live_id: Some("1".into()),
            live_ids: vec![],
            fields: vec![],
            expected_hcl: None,
            actual_hcl: None,
        };
        let drift = crate::drift::Report {
            version: crate::drift::REPORT_VERSION,
            source: crate::drift::Source {
                workspace: "dr".into(),
                git_ref: "main".into(),
                commit: None,
                folder: "tf".into(),
            },
            summary: crate::drift::Summary {
                drifted: true,
                coverage: 1.0,
                ..crate::drift::Summary::default()
            },
            findings: vec![finding],
        };
        let mut r = report();
        r.checks[1].details = vec![name.into()];
        let drift_text = super::super::text::render(&drift, &super::super::Options::default());
        let check_text = render(Format::Text, &r, &Options { timings: false }).unwrap();
        let shown = "cod\\u{202e}e\\u{200b}x";
        assert!(drift_text.contains(shown), "{drift_text}");
        assert!(check_text.contains(shown), "{check_text}");
        let drift_md = super::super::markdown::render(&drift, &super::super::Options::default());
        let check_md = render(Format::Markdown, &r, &Options { timings: false }).unwrap();
        let shown = escape::markdown(name);
        assert!(!shown.contains(['\u{202e}', '\u{200b}']), "{shown}");
        assert!(drift_md.contains(&shown), "{drift_md}");
        assert!(check_md.contains(&shown), "{check_md}");
    }
}
