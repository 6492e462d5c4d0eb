//! Renders what an export did for people and programs: the summary `drsync export` prints (counts per kind,
//! the changes, the commit, the rewrite rules, the warnings) as text for a terminal, or as JSON. Pure functions
//! to a `String`: nothing here prints, and workspace strings (rule places, warnings) are escaped for the
//! terminal.

use super::terminal;
use crate::convert::Warning;
use crate::export::{Changes, Export};
use crate::model::ResourceKind;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// How many added, changed, removed or renamed resources the text summary names before it counts the rest.
const LIST_LIMIT: usize = 100;

/// What an export did, as the summary shows it.
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a> {
    /// The primary workspace's host.
    pub host: &'a str,
    /// The export folder.
    pub out: &'a Path,
    /// The kinds exported, in the order the counts are listed.
    pub kinds: &'a [ResourceKind],
    /// The export.
    pub export: &'a Export,
    /// What it changes.
    pub changes: &'a Changes,
    /// A dry run: nothing written.
    pub dry_run: bool,
    /// Whether writing changed any file.
    pub written: bool,
    /// The commit made, if any.
    pub commit: Option<&'a crate::git::Committed>,
    /// The branch exports are committed to, when committing.
    pub branch: Option<&'a str>,
    /// Not committed because the user said so (`--no-commit`).
    pub no_commit: bool,
    /// Every value each rewrite rule changed, not just how many.
    pub explain: bool,
    /// How long it took.
    pub elapsed: Duration,
}

/// The summary as text, one line after another, with a final newline.
pub fn text(s: &Summary<'_>) -> String {
    let mut out = String::new();
    let (built, changes) = (s.export, s.changes);
    let verb = if s.dry_run {
        "would export"
    } else {
        "exported"
    };
    line(
        &mut out,
        format_args!(
            "{verb} {} to {} in {:.1}s",
            s.host,
            s.out.display(),
            s.elapsed.as_secs_f64()
        ),
    );
    let renamed: Vec<String> = changes
        .renamed
        .iter()
        .map(|r| {
            let also = if r.changed { " (changed)" } else { "" };
            format!("{} -> {}{also}", r.from, r.to)
        })
        .collect();
    for kind in s.kinds {
        let count = built.resources.iter().filter(|r| r.kind == *kind).count();
        let prefix = format!("{}.", kind.resource_type());
        let n = |list: &[String]| list.iter().filter(|a| a.starts_with(&prefix)).count();
        // Renames are counted only in an export that has some, so the usual line stays as it was.
        let renames = if renamed.is_empty() {
            String::new()
        } else {
            format!(", {} renamed", n(&renamed))
        };
        line(
            &mut out,
            format_args!(
                "  {:<17} {count:>6}  ({} added, {} changed, {} removed{renames})",
                kind.as_str(),
                n(&changes.added),
                n(&changes.changed),
                n(&changes.removed)
            ),
        );
    }
    if changes.is_empty() {
        out.push_str("no changes\n");
    } else {
        for (mark, list) in [
            ("+", &changes.added),
            ("~", &changes.changed),
            ("-", &changes.removed),
            (">", &renamed),
        ] {
            // The full list is in the commit message and in --format json; a terminal gets the first ones.
            for address in list.iter().take(LIST_LIMIT) {
                line(&mut out, format_args!("  {mark} {address}"));
            }
            if list.len() > LIST_LIMIT {
                let more = list.len() - LIST_LIMIT;
                line(&mut out, format_args!("  {mark} ... and {more} more"));
            }
        }
    }
    if s.dry_run {
        out.push_str("dry run: nothing written\n");
    }
    match (s.commit, s.branch) {
        (Some(c), _) => line(
            &mut out,
            format_args!("committed {} on {}", &c.id.to_string()[..10], c.branch),
        ),
        (None, Some(branch)) => line(&mut out, format_args!("nothing to commit on {branch}")),
        (None, None) if s.no_commit && !s.dry_run => out.push_str("not committed (--no-commit)\n"),
        _ => {}
    }
    if !built.rewrite.rules.is_empty() {
        out.push_str("rewrite rules:\n");
        for r in &built.rewrite.rules {
            line(
                &mut out,
                format_args!("  {:>6}  {}", r.count, terminal(&r.rule)),
            );
            if s.explain {
                // Places name task keys and map keys from the workspace: printed as data.
                for place in &r.places {
                    line(&mut out, format_args!("          {}", terminal(place)));
                }
            }
        }
    }
    out.push_str(&secrets(&built.secrets_to_provide));
    out.push_str(&warnings(&built.warnings));
    out
}

/// The secrets DR must be given by hand (nothing when there are none), with a final newline: drsync never reads
/// a secret's value, so every `{{secrets/scope/key}}` an exported resource reads is listed, with what reads it,
/// and flagged when the primary's own scope lacks the key.
pub fn secrets(secrets: &[crate::export::SecretToProvide]) -> String {
    let mut out = String::new();
    if secrets.is_empty() {
        return out;
    }
    line(
        &mut out,
        format_args!(
            "secrets to be provided in DR ({}; drsync never reads secret values):",
            secrets.len()
        ),
    );
    for s in secrets {
        // Scope, key and labels come from the workspace: printed as data.
        let used_by: Vec<String> = s.used_by.iter().map(|u| terminal(u)).collect();
        let missing = if s.in_primary == Some(false) {
            " (the primary's scope does not have this key either)"
        } else {
            ""
        };
        line(
            &mut out,
            format_args!(
                "  {}/{}: used by {}{missing}",
                terminal(&s.scope),
                terminal(&s.key),
                used_by.join(", ")
            ),
        );
    }
    out
}

/// The warnings as text (nothing when there are none), with a final newline.
pub fn warnings(warnings: &[Warning]) -> String {
    let mut out = String::new();
    if warnings.is_empty() {
        return out;
    }
    line(&mut out, format_args!("warnings ({}):", warnings.len()));
    // Names, paths and ids in warnings come from the workspace: no escape sequence, newline or bidi control in
    // one reaches the terminal as it is.
    for w in warnings {
        let (resource, message) = (terminal(&w.resource), terminal(&w.message));
        if w.path.is_empty() {
            line(&mut out, format_args!("  {resource}: {message}"));
        } else {
            let path = terminal(&w.path);
            line(&mut out, format_args!("  {resource}: {path}: {message}"));
        }
    }
    out
}

/// The summary as pretty-printed JSON, without a final newline.
pub fn json(s: &Summary<'_>) -> String {
    let built = s.export;
    let counts: serde_json::Map<String, serde_json::Value> = s
        .kinds
        .iter()
        .map(|k| {
            let count = built.resources.iter().filter(|r| r.kind == *k).count();
            (k.as_str().to_string(), count.into())
        })
        .collect();
    let rewrite: Vec<serde_json::Value> = built
        .rewrite
        .rules
        .iter()
        .map(|r| {
            let mut v = serde_json::json!({"rule": r.rule, "count": r.count});
            if s.explain {
                v["places"] = serde_json::json!(r.places);
            }
            v
        })
        .collect();
    let body = serde_json::json!({
        "source": s.host,
        "out": s.out.display().to_string(),
        "dry_run": s.dry_run,
        "written": s.written,
        "commit": s.commit.map(|c| c.id.to_string()),
        "branch": s.branch,
        "counts": counts,
        "changes": s.changes,
        "rewrite": rewrite,
        "secrets_to_provide": built.secrets_to_provide,
        "warnings": built.warnings,
    });
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

/// Append one line and its newline.
fn line(out: &mut String, args: std::fmt::Arguments<'_>) {
    // Writing to a String cannot fail.
    let _ = out.write_fmt(args);
    out.push('\n');
}
