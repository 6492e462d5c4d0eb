//! The HTML report: one self-contained page a person opens in a browser (inline CSS; no script, no external
//! resource, and a Content-Security-Policy that forbids both). It shows the source, a summary table with
//! coverage, and the findings grouped by resource type, each changed one with its differing fields and a
//! side-by-side diff of its HCL (Git left, DR right, changed words marked).
//!
//! Everything from the workspace (names, ids, paths, values, HCL) is HTML-escaped; nothing here may write it
//! anywhere unescaped.

use super::diff::{self, Cell, SideHunk};
use super::escape::html as esc;
use super::{Options, COLUMNS};
use crate::drift::{Finding, FindingKind, Report, Severity};
use std::fmt::Write;

/// Render `report` as an HTML page. `options` is unused: the page has its own colours.
pub fn render(report: &Report, options: &Options) -> String {
    let _ = options;
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(HEAD);
    out.push_str("<header>\n<h1>drsync drift report</h1>\n<dl class=\"source\">\n");
    let source = &report.source;
    let mut item = |term: &str, value: &str| {
        let _ = writeln!(
            out,
            "<div><dt>{term}</dt><dd><code>{}</code></dd></div>",
            esc(value)
        );
    };
    item("Workspace", &source.workspace);
    item("Git ref", &source.git_ref);
    if let Some(commit) = &source.commit {
        item("Commit", commit);
    }
    item("Folder", &source.folder);
    let state = if report.findings.is_empty() {
        "clean"
    } else if report.summary.critical > 0 {
        "critical"
    } else {
        "drift"
    };
    let _ = writeln!(
        out,
        "</dl>\n<p class=\"verdict {state}\">{}</p>\n</header>",
        esc(&super::verdict(report))
    );

    summary(&mut out, report);

    if report.findings.is_empty() {
        out.push_str(
            "<section>\n<h2>No drift</h2>\n<p>The DR workspace matches Git: every resource is there, with the \
             fields Git gives it.</p>\n</section>\n",
        );
    } else {
        out.push_str("<section>\n<h2>Findings</h2>\n");
        let mut rest = report.findings.as_slice();
        while let Some(first) = rest.first() {
            let n = rest
                .iter()
                .take_while(|f| f.resource_type == first.resource_type)
                .count();
            let (group, tail) = rest.split_at(n);
            let _ = writeln!(
                out,
                "<h3><code>{}</code> <span class=\"count\">{}</span></h3>",
                esc(&first.resource_type),
                super::count(n, "finding")
            );
            for f in group {
                finding(&mut out, f);
            }
            rest = tail;
        }
        out.push_str("</section>\n");
    }
    let _ = writeln!(
        out,
        "<footer>drsync drift report, schema version {}</footer>\n</body>\n</html>",
        report.version
    );
    out
}

fn summary(out: &mut String, report: &Report) {
    out.push_str(
        "<section>\n<h2>Summary</h2>\n<table class=\"summary\">\n<thead><tr><th>Type</th>",
    );
    for (name, _) in COLUMNS {
        let _ = write!(out, "<th>{name}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (ty, s) in &report.summary.by_type {
        let _ = write!(out, "<tr><th><code>{}</code></th>", esc(ty));
        for (name, get) in COLUMNS {
            let n = get(s);
            let class =
                if n > 0 && matches!(name, "missing" | "unmanaged" | "changed" | "ambiguous") {
                    " class=\"bad\""
                } else {
                    ""
                };
            let _ = write!(out, "<td{class}>{n}</td>");
        }
        out.push_str("</tr>\n");
    }
    let totals = super::totals(&report.summary);
    out.push_str("</tbody>\n<tfoot><tr><th>Total</th>");
    for (_, get) in COLUMNS {
        let _ = write!(out, "<td>{}</td>", get(&totals));
    }
    out.push_str("</tr></tfoot>\n</table>\n");
    let percent = super::percent(report.summary.coverage);
    let _ = writeln!(
        out,
        "<p class=\"coverage\">Coverage <strong>{percent}</strong> of live objects are managed by the HCL</p>\n\
         <div class=\"bar\"><span style=\"width: {percent}\"></span></div>"
    );
    if report.summary.critical > 0 {
        let _ = writeln!(
            out,
            "<p class=\"callout\"><strong>CRITICAL: {}</strong>: {}.</p>",
            super::count(report.summary.critical, "critical finding"),
            esc(super::CRITICAL_MEANING)
        );
    }
    out.push_str("</section>\n");
}

fn finding(out: &mut String, f: &Finding) {
    let critical = f.severity == Severity::Critical;
    let kind = f.kind.as_str();
    let _ = writeln!(
        out,
        "<article class=\"finding {kind}{}\">",
        if critical { " critical" } else { "" }
    );
    let _ = write!(
        out,
        "<h4><span class=\"marker\">{}</span> <code>{}</code> <span class=\"badge {kind}\">{kind}</span>",
        super::marker(f.kind),
        esc(&f.address())
    );
    if critical {
        out.push_str(" <span class=\"badge critical\">critical</span>");
    }
    out.push_str("</h4>\n");

    let _ = write!(out, "<p class=\"meta\">Name <code>{}</code>", esc(&f.name));
    if f.kind == FindingKind::Ambiguous {
        let ids: Vec<String> = f
            .live_ids
            .iter()
            .map(|id| format!("<code>{}</code>", esc(id)))
            .collect();
        let _ = write!(out, " · live ids {}", ids.join(", "));
    } else if let Some(id) = &f.live_id {
        let _ = write!(out, " · live id <code>{}</code>", esc(id));
    }
    let _ = writeln!(out, " · {}</p>", super::meaning(f.kind));

    if !f.fields.is_empty() {
        out.push_str(
            "<table class=\"fields\">\n<thead><tr><th>Field</th><th>Expected (Git)</th><th>Actual (DR)</th>\
             <th>Severity</th></tr></thead>\n<tbody>\n",
        );
        for field in &f.fields {
            let severity = field.severity.as_str();
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><span class=\"sev {severity}\">{severity}</span></td></tr>",
                esc(&field.path),
                value(field.expected.as_ref()),
                value(field.actual.as_ref()),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }

    match (&f.expected_hcl, &f.actual_hcl) {
        (Some(expected), Some(actual)) => {
            let hunks = diff::side_by_side(expected, actual);
            if !hunks.is_empty() {
                side_by_side(out, &hunks);
            }
        }
        (Some(hcl), None) => one_side(out, "The resource in Git", hcl),
        (None, Some(hcl)) => one_side(out, "The live object, as HCL", hcl),
        (None, None) => {}
    }
    out.push_str("</article>\n");
}

fn value(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(_) => format!("<code>{}</code>", esc(&super::value(v))),
        None => "<span class=\"unset\">(not set)</span>".to_string(),
    }
}

fn one_side(out: &mut String, title: &str, hcl: &str) {
    let _ = writeln!(
        out,
        "<details><summary>{title}</summary>\n<pre class=\"hcl\">{}</pre>\n</details>",
        esc(hcl.trim_end_matches('\n'))
    );
}

fn side_by_side(out: &mut String, hunks: &[SideHunk]) {
    out.push_str(
        "<table class=\"diff\">\n<colgroup><col class=\"num\"><col class=\"code\"><col class=\"num\">\
         <col class=\"code\"></colgroup>\n<thead><tr><th colspan=\"2\">Git (expected)</th>\
         <th colspan=\"2\">DR workspace (actual)</th></tr></thead>\n",
    );
    for hunk in hunks {
        let _ = writeln!(
            out,
            "<tbody>\n<tr class=\"hunk\"><td colspan=\"4\">{}</td></tr>",
            esc(&hunk.header)
        );
        for row in &hunk.rows {
            out.push_str("<tr>");
            cell(out, row.left.as_ref(), row.changed, "del");
            cell(out, row.right.as_ref(), row.changed, "ins");
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n");
}

fn cell(out: &mut String, cell: Option<&Cell>, changed: bool, side: &str) {
    let Some(cell) = cell else {
        out.push_str("<td class=\"num none\"></td><td class=\"none\"></td>");
        return;
    };
    let class = if changed { side } else { "ctx" };
    let _ = write!(
        out,
        "<td class=\"num {class}\">{}</td><td class=\"{class}\">",
        cell.number
    );
    let whole = cell.pieces.len() == 1;
    for (marked, text) in &cell.pieces {
        if *marked && !whole {
            let _ = write!(out, "<span class=\"hl\">{}</span>", esc(text));
        } else {
            out.push_str(&esc(text));
        }
    }
    out.push_str("</td>");
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>drsync drift report</title>
<style>
:root {
  --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --soft: #f6f8fa;
  --red: #cf222e; --red-bg: #ffebe9; --red-hl: #ffc1bd;
  --green: #1a7f37; --green-bg: #dafbe1; --green-hl: #9be9a8;
  --amber: #9a6700; --amber-bg: #fff8c5; --blue: #0969da; --blue-bg: #ddf4ff;
  --purple: #8250df; --purple-bg: #fbefff;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px 32px 48px; color: var(--fg); background: #fff;
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
code, pre { font-family: var(--mono); font-size: 12px; }
code { background: var(--soft); border-radius: 4px; padding: 1px 5px; overflow-wrap: anywhere; }
h1 { font-size: 26px; margin: 0 0 12px; }
h2 { font-size: 20px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
h3 { font-size: 16px; margin: 24px 0 10px; }
h3 code { font-size: 14px; }
h4 { font-size: 14px; margin: 0 0 6px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
h4 code { font-size: 13px; background: none; padding: 0; }
header { border-bottom: 1px solid var(--border); padding-bottom: 16px; }
dl.source { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0 0 12px; }
dl.source dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
dl.source dd { margin: 0; }
.verdict { display: inline-block; margin: 0; padding: 4px 12px; border-radius: 999px; font-weight: 600; }
.verdict.clean { background: var(--green-bg); color: var(--green); }
.verdict.drift { background: var(--amber-bg); color: var(--amber); }
.verdict.critical { background: var(--red-bg); color: var(--red); }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--border); padding: 4px 10px; text-align: left; vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; }
table.summary td { text-align: right; font-variant-numeric: tabular-nums; min-width: 72px; }
table.summary td.bad { color: var(--red); font-weight: 600; }
table.summary tfoot th, table.summary tfoot td { font-weight: 600; background: var(--soft); }
table.summary tbody th { font-weight: normal; }
.coverage { margin: 14px 0 6px; }
.bar { width: 320px; height: 8px; background: var(--soft); border: 1px solid var(--border); border-radius: 4px;
  overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--green); }
.callout { margin: 16px 0 0; padding: 10px 14px; border-left: 4px solid var(--red); background: var(--red-bg);
  border-radius: 4px; }
.callout strong { color: var(--red); }
.count { color: var(--muted); font-weight: normal; font-size: 13px; }
.finding { border: 1px solid var(--border); border-left: 4px solid var(--muted); border-radius: 6px;
  padding: 12px 16px; margin: 0 0 14px; }
.finding.missing { border-left-color: var(--red); }
.finding.unmanaged { border-left-color: var(--blue); }
.finding.changed { border-left-color: var(--amber); }
.finding.ambiguous { border-left-color: var(--purple); }
.finding.critical { border-left-color: var(--red); box-shadow: 0 0 0 1px var(--red-bg); }
.marker { font-family: var(--mono); font-weight: 700; color: var(--muted); }
.badge { font-size: 11px; font-weight: 600; padding: 1px 8px; border-radius: 999px; border: 1px solid; }
.badge.missing { color: var(--red); background: var(--red-bg); }
.badge.unmanaged { color: var(--blue); background: var(--blue-bg); }
.badge.changed { color: var(--amber); background: var(--amber-bg); }
.badge.ambiguous { color: var(--purple); background: var(--purple-bg); }
.badge.critical { color: #fff; background: var(--red); border-color: var(--red); }
.meta { margin: 0 0 10px; color: var(--muted); }
table.fields { margin: 0 0 12px; }
table.fields td { font-size: 13px; }
.unset { color: var(--muted); font-style: italic; }
.sev.critical { color: var(--red); font-weight: 600; }
.sev.drift { color: var(--muted); }
table.diff { width: 100%; table-layout: fixed; font-family: var(--mono); font-size: 12px; }
table.diff col.num { width: 44px; }
table.diff th { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; }
table.diff td { border-width: 0 1px; padding: 0 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
table.diff td.num { text-align: right; color: var(--muted); white-space: nowrap; user-select: none; }
table.diff tr.hunk td { background: var(--blue-bg); color: var(--muted); padding: 2px 8px;
  border-top: 1px solid var(--border); border-bottom: 1px solid var(--border); }
td.del { background: var(--red-bg); }
td.ins { background: var(--green-bg); }
td.num.del { background: #ffd7d5; }
td.num.ins { background: #ccffd8; }
td.none { background: var(--soft); }
td.del .hl { background: var(--red-hl); border-radius: 2px; }
td.ins .hl { background: var(--green-hl); border-radius: 2px; }
details { margin: 4px 0 0; }
summary { cursor: pointer; color: var(--blue); }
pre.hcl { margin: 8px 0 0; padding: 10px 12px; background: var(--soft); border-radius: 6px; white-space: pre-wrap;
  overflow-wrap: anywhere; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
"#;
