//! The JUnit XML report, for CI test dashboards: one `<testsuite>` per resource type and one
//! `<testcase classname="TYPE" name="LABEL">` per desired resource or finding. A resource in step with Git
//! passes; a finding fails with `<failure message="..." type="drift|critical">` holding the text report's view
//! of it (name, fields, diff). It must not emit anything that is not well-formed XML 1.0: all text goes through
//! escaping that also replaces the control characters XML 1.0 forbids.

use super::escape::{xml, xml_text};
use super::text::{self, Paint};
use super::Options;
use crate::drift::{Finding, FindingKind, Report, Severity};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Render `report` as JUnit XML. `in_sync` lists the addresses (`TYPE.LABEL`) of the desired resources without
/// a finding: each becomes a passing test case (an address without a dot counts as a label of no type).
/// `options` is unused: XML has no colour.
pub fn render(report: &Report, options: &Options, in_sync: &[String]) -> String {
    let _ = options;
    let mut suites: BTreeMap<&str, Vec<(&str, Option<&Finding>)>> = BTreeMap::new();
    for address in in_sync {
        let (ty, label) = address.split_once('.').unwrap_or(("", address));
        suites.entry(ty).or_default().push((label, None));
    }
    for f in &report.findings {
        suites
            .entry(&f.resource_type)
            .or_default()
            .push((&f.label, Some(f)));
    }
    for cases in suites.values_mut() {
        cases.sort_by_key(|(label, _)| *label);
    }

    let tests: usize = suites.values().map(Vec::len).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"drsync drift\" tests=\"{tests}\" failures=\"{}\" errors=\"0\">",
        report.findings.len()
    );
    for (ty, cases) in &suites {
        let failures = cases.iter().filter(|(_, f)| f.is_some()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
            xml(ty),
            cases.len()
        );
        for (label, finding) in cases {
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(ty),
                xml(label)
            );
            match finding {
                None => {
                    let _ = writeln!(out, "{open}/>");
                }
                Some(f) => {
                    let mut body = text::header(f);
                    body.push('\n');
                    text::body(&mut body, f, Paint(false), "  ");
                    let _ = writeln!(
                        out,
                        "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        xml(&message(f)),
                        f.severity.as_str(),
                        xml_text(&body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// One line: `changed (critical): schedule.pause_status, ...`, `missing: in Git, not in the DR workspace`.
fn message(f: &Finding) -> String {
    let critical = if f.severity == Severity::Critical {
        " (critical)"
    } else {
        ""
    };
    let detail = match f.kind {
        FindingKind::Changed if !f.fields.is_empty() => {
            let paths: Vec<&str> = f.fields.iter().map(|d| d.path.as_str()).collect();
            paths.join(", ")
        }
        FindingKind::Ambiguous => format!("live ids {}", f.live_ids.join(", ")),
        kind => super::meaning(kind).to_string(),
    };
    format!("{}{critical}: {detail}", f.kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{Source, Summary, REPORT_VERSION};

    #[test]
    fn hostile_text_stays_well_formed() {
        let report = Report {
            version: REPORT_VERSION,
            source: Source {
                workspace: "w".into(),
                git_ref: "main".into(),
                commit: None,
                folder: "f".into(),
            },
            summary: Summary::default(),
            findings: vec![Finding {
                kind: FindingKind::Missing,
                severity: Severity::Drift,
                resource_type: "databricks_job".into(),
                label: "x\"<&>\u{1}".into(),
                name: "nul\u{0} esc\u{1b} ]]> </failure> \u{fffe}".into(),
                live_id: None,
                live_ids: vec![],
                fields: vec![],
                expected_hcl: Some("a\n".into()),
                actual_hcl: None,
            }],
        };
        let xml = render(&report, &Options::default(), &["databricks_job.ok".into()]);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 2);
        // Forbidden characters in attributes become U+FFFD.
        assert_eq!(cases[1].attribute("name"), Some("x\"<&>\u{fffd}"));
        let failure = cases[1].first_element_child().unwrap();
        assert_eq!(failure.attribute("type"), Some("drift"));
        // The text view shows control characters as escapes; U+FFFE, which it keeps, becomes U+FFFD.
        let text = failure.text().unwrap();
        assert!(
            text.contains(r#"name "nul\u{0} esc\u{1b} ]]> </failure> "#),
            "{text}"
        );
        assert!(text.contains('\u{fffd}'), "{text}");
    }
}
