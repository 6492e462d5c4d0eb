//! The Markdown report, for a pull-request comment or an issue body (GitHub-flavoured Markdown): a heading, the
//! source, a summary table, coverage, a critical callout, one line per finding and, for changed ones, a
//! collapsed `<details>` block with the differing fields and a fenced unified diff.
//!
//! Workspace text is untrusted (a job may be named `</details><script>`): it only ever appears inside
//! `<code>` with every character Markdown or HTML could read as syntax written as a character reference, or
//! inside a code fence longer than any run of backticks it holds. Nothing here may put workspace text anywhere
//! else.

use super::diff::{self, Tag};
use super::escape;
use super::{Options, COLUMNS};
use crate::drift::{Finding, FindingKind, Report, Severity};
use std::fmt::Write;

/// Render `report` as Markdown. `options` is unused: Markdown has no colour.
pub fn render(report: &Report, options: &Options) -> String {
    let _ = options;
    let mut out = String::new();
    let source = &report.source;
    out.push_str("## drsync drift report\n\n");
    let _ = write!(
        out,
        "Workspace {}, Git {}",
        code(&source.workspace),
        code(&source.git_ref)
    );
    if let Some(commit) = &source.commit {
        let _ = write!(out, " at {}", code(commit));
    }
    let _ = writeln!(out, ", folder {}.\n", code(&source.folder));

    out.push_str("### Summary\n\n| type |");
    for (name, _) in COLUMNS {
        let _ = write!(out, " {name} |");
    }
    out.push_str("\n| --- |");
    for _ in COLUMNS {
        out.push_str(" ---: |");
    }
    out.push('\n');
    let totals = super::totals(&report.summary);
    let rows = report
        .summary
        .by_type
        .iter()
        .map(|(t, s)| (code(t), s))
        .chain([("**total**".to_string(), &totals)]);
    for (name, s) in rows {
        let _ = write!(out, "| {name} |");
        for (_, get) in COLUMNS {
            let _ = write!(out, " {} |", get(s));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nCoverage: **{}** of live objects are managed by the HCL.",
        super::percent(report.summary.coverage)
    );
    if report.summary.critical > 0 {
        let _ = writeln!(
            out,
            "\n> **CRITICAL: {}**: {}.",
            super::count(report.summary.critical, "critical finding"),
            super::CRITICAL_MEANING
        );
    }

    if report.findings.is_empty() {
        out.push_str("\n**No drift**: the DR workspace matches Git.\n");
        return out;
    }
    out.push_str("\n### Findings\n");
    for f in &report.findings {
        out.push('\n');
        finding(&mut out, f);
    }
    let _ = writeln!(out, "\n**{}**", super::verdict(report));
    out
}

/// Untrusted text as inline code that Markdown and HTML both read as plain text.
fn code(s: &str) -> String {
    format!("<code>{}</code>", escape::markdown(s))
}

fn finding(out: &mut String, f: &Finding) {
    let critical = if f.severity == Severity::Critical {
        ", critical"
    } else {
        ""
    };
    let _ = write!(
        out,
        "`{}` **{}{critical}** {} (name {}",
        super::marker(f.kind),
        f.kind.as_str(),
        code(&f.address()),
        code(&f.name)
    );
    if f.kind == FindingKind::Ambiguous {
        let ids: Vec<String> = f.live_ids.iter().map(|id| code(id)).collect();
        let _ = write!(out, ", live ids {}", ids.join(", "));
    } else if let Some(id) = &f.live_id {
        let _ = write!(out, ", live id {}", code(id));
    }
    let meaning = if f.kind == FindingKind::Changed {
        match f.fields.len() {
            1 => "1 field differs".to_string(),
            n => format!("{n} fields differ"),
        }
    } else {
        super::meaning(f.kind).to_string()
    };
    let _ = writeln!(out, "): {meaning}");
    if f.kind != FindingKind::Changed {
        return;
    }

    let _ = writeln!(
        out,
        "\n<details><summary>Changes to {}</summary>\n",
        code(&f.address())
    );
    if !f.fields.is_empty() {
        out.push_str(
            "| field | expected (Git) | actual (DR) | severity |\n| --- | --- | --- | --- |\n",
        );
        for field in &f.fields {
            let severity = match field.severity {
                Severity::Critical => "**critical**",
                Severity::Drift => "drift",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {severity} |",
                code(&field.path),
                value(field.expected.as_ref()),
                value(field.actual.as_ref()),
            );
        }
        out.push('\n');
    }
    if let (Some(expected), Some(actual)) = (&f.expected_hcl, &f.actual_hcl) {
        let hunks = diff::unified(expected, actual);
        if !hunks.is_empty() {
            let (old, new) = super::diff_names(f);
            let mut body = format!("--- {old}\n+++ {new}\n");
            for hunk in hunks {
                let _ = writeln!(body, "{}", hunk.header);
                for (tag, line) in &hunk.lines {
                    match tag {
                        Tag::Equal if line.is_empty() => body.push('\n'),
                        _ => {
                            let _ = writeln!(body, "{}{line}", tag.prefix());
                        }
                    }
                }
            }
            let body = escape::code_block(&body);
            let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
            let _ = writeln!(out, "{fence}diff\n{body}{fence}\n");
        }
    }
    out.push_str("</details>\n");
}

fn value(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(_) => code(&super::value(v)),
        None => "*(not set)*".to_string(),
    }
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_outgrows_backticks_in_the_diff() {
        assert_eq!(longest_backtick_run("a ``` b `` c"), 3);
        assert_eq!(longest_backtick_run("none"), 0);
    }

    #[test]
    fn code_cannot_break_out() {
        let c = code("</code></details><script>x</script> | `y`");
        assert_eq!(c.matches('<').count(), 2, "{c}");
        assert!(!c.contains(['|', '`']));
    }
}
