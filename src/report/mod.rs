//! Renders a drift [`Report`] for people and programs: plain text for a terminal or log, JSON, Markdown for a
//! pull-request comment, JUnit XML for CI, and a self-contained HTML page; and a check report ([`check`]) as
//! text, JSON and Markdown. Every renderer is a pure function
//! from the report to a `String`: nothing here prints, reads the environment or decides on colour; the caller
//! passes [`Options`].
//!
//! Everything a report carries from the workspace (names, ids, field paths, values, HCL) is untrusted data:
//! each renderer escapes it for its format, and the text renderer shows control characters as escapes so that
//! a name cannot drive the terminal.

pub mod adopt;
pub mod check;
mod diff;
pub mod drill;
mod escape;
pub use escape::terminal;
pub mod export;
mod format;
pub use format::{Format, UnknownFormat};
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

use crate::drift::{Finding, FindingKind, Report, Summary, TypeSummary};

/// How to render; the caller decides (for colour: whether stdout is a terminal, `NO_COLOR`, a flag).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Colour the text report with ANSI escapes. Only [`text`] uses it.
    pub color: bool,
}

/// Render `report` in `format`. `in_sync` lists the addresses (`TYPE.LABEL`) of the desired resources that
/// have no finding; only JUnit uses it, as the passing test cases.
pub fn render(format: Format, report: &Report, options: &Options, in_sync: &[String]) -> String {
    match format {
        Format::Text => text::render(report, options),
        Format::Json => json::render(report, options),
        Format::Markdown => markdown::render(report, options),
        Format::Junit => junit::render(report, options, in_sync),
        Format::Html => html::render(report, options),
    }
}

/// One count column of a summary table: its heading and how to read it.
type Column = (&'static str, fn(&TypeSummary) -> usize);

/// The count columns of every summary table, in order.
const COLUMNS: [Column; 7] = [
    ("desired", |t| t.desired),
    ("live", |t| t.live),
    ("managed", |t| t.managed),
    ("missing", |t| t.missing),
    ("unmanaged", |t| t.unmanaged),
    ("changed", |t| t.changed),
    ("ambiguous", |t| t.ambiguous),
];

/// The sum of every type's counts.
fn totals(summary: &Summary) -> TypeSummary {
    summary
        .by_type
        .values()
        .fold(TypeSummary::default(), |acc, t| TypeSummary {
            desired: acc.desired + t.desired,
            live: acc.live + t.live,
            managed: acc.managed + t.managed,
            missing: acc.missing + t.missing,
            unmanaged: acc.unmanaged + t.unmanaged,
            changed: acc.changed + t.changed,
            ambiguous: acc.ambiguous + t.ambiguous,
        })
}

/// Coverage as a percentage with one decimal; never `100.0%` unless everything is covered.
fn percent(coverage: f64) -> String {
    let p = (coverage * 1000.0).round() / 10.0;
    if p >= 100.0 && coverage < 1.0 {
        "99.9%".to_string()
    } else {
        format!("{p:.1}%")
    }
}

/// A value as compact JSON, or `(not set)`.
fn value(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "(not set)".to_string(),
    }
}

/// The one-character marker of a finding: `-` missing, `+` unmanaged, `~` changed, `?` ambiguous.
fn marker(kind: FindingKind) -> char {
    match kind {
        FindingKind::Missing => '-',
        FindingKind::Unmanaged => '+',
        FindingKind::Changed => '~',
        FindingKind::Ambiguous => '?',
    }
}

/// What a finding means, in a few words.
fn meaning(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Missing => "in Git, not in the DR workspace",
        FindingKind::Unmanaged => "in the DR workspace, not in Git",
        FindingKind::Changed => "in both, with different fields",
        FindingKind::Ambiguous => "more than one live object could be this resource",
    }
}

/// `N thing` or `N things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The closing verdict: `no drift`, or `drift: N findings (M critical)`.
fn verdict(report: &Report) -> String {
    if report.findings.is_empty() {
        "no drift".to_string()
    } else {
        format!(
            "drift: {} ({} critical)",
            count(report.findings.len(), "finding"),
            report.summary.critical
        )
    }
}

/// The sentence that explains a critical finding.
const CRITICAL_MEANING: &str =
    "the DR workspace would act on its own: a schedule, trigger or continuous job is \
                                live where Git says PAUSED";

/// The diff file headers: where each side comes from.
fn diff_names(f: &Finding) -> (String, String) {
    (
        format!("git/{}", f.address()),
        format!("dr/{}", f.address()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_but_never_claims_full_coverage() {
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(2.0 / 3.0), "66.7%");
        assert_eq!(percent(0.29), "29.0%");
        assert_eq!(percent(0.9999), "99.9%");
    }

    #[test]
    fn values_are_compact_json() {
        assert_eq!(value(None), "(not set)");
        assert_eq!(value(Some(&serde_json::json!("PAUSED"))), "\"PAUSED\"");
        assert_eq!(
            value(Some(&serde_json::json!({"a": [1, 2]}))),
            "{\"a\":[1,2]}"
        );
    }
}
