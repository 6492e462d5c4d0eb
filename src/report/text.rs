//! The plain-text report, for a terminal or a log: the source, a summary table, coverage, a `CRITICAL` line
//! when the DR site would act on its own, each finding with its changed fields and a unified diff of its HCL,
//! and a one-line verdict. ANSI colour only when [`Options::color`] says so; it must not look at the terminal
//! itself.
//!
//! ```text
//! ~ databricks_job.nightly_etl (changed, critical)
//!     name "Nightly ETL", live id 1001
//!     schedule.pause_status: "PAUSED" -> "UNPAUSED" (critical)
//! ```

use super::diff::{self, Tag};
use super::escape::{quoted, terminal};
use super::{Options, COLUMNS};
use crate::drift::{Finding, FindingKind, Report, Severity};
use std::fmt::Write;

/// Render `report` as text, ending with the verdict line and a newline.
pub fn render(report: &Report, options: &Options) -> String {
    let paint = Paint(options.color);
    let mut out = String::new();
    let source = &report.source;
    let _ = writeln!(out, "{}", paint.bold("drsync drift report"));
    let _ = writeln!(out, "workspace  {}", terminal(&source.workspace));
    let _ = write!(out, "git        {}", terminal(&source.git_ref));
    if let Some(commit) = &source.commit {
        let _ = write!(out, " at {}", terminal(commit));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "folder     {}", terminal(&source.folder));
    out.push('\n');

    summary_table(&mut out, report, paint);
    let _ = writeln!(
        out,
        "coverage   {} of live objects are managed by the HCL",
        super::percent(report.summary.coverage)
    );
    if report.summary.critical > 0 {
        let line = format!(
            "CRITICAL: {}: {}",
            super::count(report.summary.critical, "critical finding"),
            super::CRITICAL_MEANING
        );
        let _ = writeln!(out, "{}", paint.paint(BOLD_RED, &line));
    }

    for f in &report.findings {
        out.push('\n');
        let _ = writeln!(out, "{}", paint.bold(&header(f)));
        body(&mut out, f, paint, "    ");
    }

    out.push('\n');
    let verdict = super::verdict(report);
    let style = if report.findings.is_empty() {
        BOLD_GREEN
    } else if report.summary.critical > 0 {
        BOLD_RED
    } else {
        BOLD_YELLOW
    };
    let _ = writeln!(out, "{}", paint.paint(style, &verdict));
    out
}

fn summary_table(out: &mut String, report: &Report, paint: Paint) {
    let totals = super::totals(&report.summary);
    let mut rows: Vec<(String, &crate::drift::TypeSummary)> = report
        .summary
        .by_type
        .iter()
        .map(|(t, s)| (terminal(t), s))
        .collect();
    rows.push(("total".to_string(), &totals));
    let first = rows
        .iter()
        .map(|(t, _)| t.chars().count())
        .chain(["type".len()])
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = COLUMNS
        .iter()
        .map(|(name, get)| {
            rows.iter()
                .map(|(_, s)| get(s).to_string().len())
                .chain([name.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut head = format!("{:first$}", "type");
    for ((name, _), w) in COLUMNS.iter().zip(&widths) {
        let _ = write!(head, "  {name:>w$}");
    }
    let _ = writeln!(out, "{}", paint.bold(&head));
    for (t, s) in &rows {
        let pad = first.saturating_sub(t.chars().count());
        let _ = write!(out, "{t}{}", " ".repeat(pad));
        for ((_, get), w) in COLUMNS.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", get(s));
        }
        out.push('\n');
    }
}

/// `~ databricks_job.nightly_etl (changed, critical)`, `? databricks_job.z (ambiguous: live ids 1, 2)`.
pub(crate) fn header(f: &Finding) -> String {
    let mut status = f.kind.as_str().to_string();
    if f.severity == Severity::Critical {
        status.push_str(", critical");
    }
    if f.kind == FindingKind::Ambiguous {
        let ids: Vec<String> = f.live_ids.iter().map(|id| terminal(id)).collect();
        let _ = write!(status, ": live ids {}", ids.join(", "));
    }
    format!(
        "{} {} ({status})",
        super::marker(f.kind),
        terminal(&f.address())
    )
}

/// What a finding holds below its header, each line starting with `indent`: the name and live id, the changed
/// fields as `path: expected -> actual`, and the unified diff of the HCL when both sides have it.
pub(crate) fn body(out: &mut String, f: &Finding, paint: Paint, indent: &str) {
    let _ = write!(out, "{indent}name {}", quoted(&f.name));
    if f.kind != FindingKind::Ambiguous {
        if let Some(id) = &f.live_id {
            let _ = write!(out, ", live id {}", terminal(id));
        }
    }
    out.push('\n');
    for field in &f.fields {
        let _ = write!(
            out,
            "{indent}{}: {} -> {}",
            terminal(&field.path),
            paint.paint(RED, &terminal(&super::value(field.expected.as_ref()))),
            paint.paint(GREEN, &terminal(&super::value(field.actual.as_ref()))),
        );
        if field.severity == Severity::Critical {
            let _ = write!(out, " {}", paint.paint(BOLD_RED, "(critical)"));
        }
        out.push('\n');
    }
    let (Some(expected), Some(actual)) = (&f.expected_hcl, &f.actual_hcl) else {
        return;
    };
    let hunks = diff::unified(expected, actual);
    if hunks.is_empty() {
        return;
    }
    let (old, new) = super::diff_names(f);
    out.push('\n');
    let _ = writeln!(
        out,
        "{indent}{}",
        paint.bold(&format!("--- {}", terminal(&old)))
    );
    let _ = writeln!(
        out,
        "{indent}{}",
        paint.bold(&format!("+++ {}", terminal(&new)))
    );
    for hunk in hunks {
        let _ = writeln!(out, "{indent}{}", paint.paint(CYAN, &hunk.header));
        for (tag, line) in &hunk.lines {
            if *tag == Tag::Equal && line.is_empty() {
                // An empty context line, without trailing spaces.
                out.push('\n');
                continue;
            }
            let line = format!("{}{}", tag.prefix(), terminal(line));
            let line = match tag {
                Tag::Equal => line,
                Tag::Delete => paint.paint(RED, &line),
                Tag::Insert => paint.paint(GREEN, &line),
            };
            let _ = writeln!(out, "{indent}{line}");
        }
    }
}

const BOLD: &str = "1";
const RED: &str = "31";
const GREEN: &str = "32";
const CYAN: &str = "36";
const BOLD_RED: &str = "1;31";
const BOLD_GREEN: &str = "1;32";
const BOLD_YELLOW: &str = "1;33";

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint(pub(crate) bool);

impl Paint {
    fn paint(self, code: &str, s: &str) -> String {
        if self.0 && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn bold(self, s: &str) -> String {
        self.paint(BOLD, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{FieldDiff, Source, Summary, REPORT_VERSION};

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            version: REPORT_VERSION,
            source: Source {
                workspace: "dr.example.com".into(),
                git_ref: "main".into(),
                commit: None,
                folder: "tf".into(),
            },
            summary: Summary {
                drifted: !findings.is_empty(),
                coverage: 1.0,
                ..Summary::default()
            },
            findings,
        }
    }

    fn changed() -> Finding {
        Finding {
            kind: FindingKind::Changed,
            severity: Severity::Drift,
            resource_type: "databricks_job".into(),
            label: "j".into(),
            name: "evil\u{1b}]0;owned\u{7}".into(),
            live_id: Some("1".into()),
            live_ids: vec![],
            fields: vec![FieldDiff {
                path: "max_concurrent_runs".into(),
                expected: Some(serde_json::json!(1)),
                actual: None,
                severity: Severity::Drift,
            }],
            expected_hcl: Some("a\nb = 1\nc\n".into()),
            actual_hcl: Some("a\nc\n".into()),
        }
    }

    #[test]
    fn no_drift_ends_with_the_verdict() {
        let out = render(&report(vec![]), &Options::default());
        assert!(out.ends_with("\nno drift\n"), "{out}");
        assert!(!out.contains('\x1b'));
    }

    #[test]
    fn colour_only_when_asked() {
        let r = report(vec![changed()]);
        let plain = render(&r, &Options { color: false });
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(plain.contains("    max_concurrent_runs: 1 -> (not set)\n"));
        assert!(plain.contains("    -b = 1\n"));
        let coloured = render(&r, &Options { color: true });
        assert!(coloured.contains("\x1b[31m-b = 1\x1b[0m"), "{coloured}");
        assert!(coloured.contains("\x1b[1m~ databricks_job.j (changed)\x1b[0m"));
    }

    #[test]
    fn names_cannot_drive_the_terminal() {
        let out = render(&report(vec![changed()]), &Options::default());
        assert!(
            out.contains(r#"name "evil\u{1b}]0;owned\u{7}", live id 1"#),
            "{out}"
        );
        assert!(!out.contains('\x1b') && !out.contains('\x07'));
    }
}
