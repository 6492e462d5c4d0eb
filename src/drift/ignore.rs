//! Ignore rules for drift (`.drsyncignore`): parses the patterns, drops the findings and fields they cover,
//! and writes a baseline file that accepts a set of findings. It works on text and [`Finding`] values only: it
//! never reads or writes files, never prints, and does not recompute a report's summary (the caller does).
//!
//! # Syntax
//!
//! One pattern per line; surrounding whitespace is trimmed, blank lines and lines starting with `#` are
//! skipped. A pattern is dot-separated segments: the resource type (or `*`), the label, then optionally a field
//! path as findings name it (`task[load].new_cluster.num_workers`, `custom_tags.Owner`,
//! `spark_conf."spark.hadoop.fs.s3a.endpoint"`).
//!
//! - `TYPE.LABEL` ignores the whole resource: every kind of finding about it, all of its fields.
//! - `TYPE.LABEL.PATH` ignores the fields of `changed` findings that the path covers: the field itself and
//!   everything under it (`databricks_cluster.*.custom_tags` covers `custom_tags.Owner` and
//!   `custom_tags."a.b"`).
//! - `*` matches exactly one segment: a label, a map key, a block with or without its `[KEY]`. Inside a
//!   segment it matches any run of characters (`databricks_job.nightly_*`, `spark_conf."spark.hadoop.*"`).
//! - A repeated block `task[load]` is matched by `task[load]`, `task[*]`, `task.load` or `task.*`, and, as the
//!   last segment, by `task` alone (every task); `databricks_job.*.task.*.timeout_seconds` is the timeout of
//!   every task. A block that occurs once has no key in paths (`task.timeout_seconds` in a job with one
//!   task): `task[*]`, and `task.*` followed by more segments, match it as well.
//! - `**` matches any number of segments, none included: `databricks_job.*.**.num_workers` is every
//!   `num_workers` at any depth of every job.
//! - Segments holding dots are quoted: `spark_conf."spark.hadoop.fs.s3a.endpoint"`; inside quotes `\"` is a
//!   quote, `\\` a backslash and `\*` a literal star. Quoting a key that needs none changes nothing.
//! - `!PATTERN` re-includes what an earlier line ignored. As in `.gitignore`, the last line that matches a
//!   finding or field decides.

use super::{Finding, FindingKind, Severity};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The ignore file's name, looked for next to the drsync config by default.
pub const FILE_NAME: &str = ".drsyncignore";

/// A line of an ignore file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {reason}", file.display())]
pub struct IgnoreError {
    /// The ignore file.
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// The parsed rules of an ignore file, in file order; see the module documentation for the syntax.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    /// `!PATTERN`: re-include.
    negate: bool,
    segments: Vec<Segment>,
}

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`.
    Deep,
    /// A name, with the key of a repeated block (`task[load]`).
    One { name: Glob, key: Option<Glob> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Star,
}

type Glob = Vec<Tok>;

/// One segment of what is matched: a resource type, a label, or a step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    name: String,
    key: Option<String>,
}

impl Part {
    fn plain(name: &str) -> Part {
        Part {
            name: name.to_string(),
            key: None,
        }
    }
}

impl IgnoreRules {
    /// Parses the text of an ignore file; `path` only names the file in errors. Fails on the first bad line:
    /// nothing after `!`, a first segment that is not a resource type or `*`, no label, an empty segment, an
    /// unbalanced quote or `[`.
    pub fn parse(text: &str, path: &Path) -> Result<IgnoreRules, IgnoreError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rules = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |reason: String| IgnoreError {
                file: path.to_path_buf(),
                line: n + 1,
                reason,
            };
            let (negate, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim_start()),
                None => (false, line),
            };
            if pattern.is_empty() {
                return Err(error(
                    "`!` needs a pattern after it, as in `!databricks_job.nightly_etl`".into(),
                ));
            }
            let segments =
                parse_pattern(pattern).map_err(|why| error(format!("{why}: `{pattern}`")))?;
            rules.push(Rule { negate, segments });
        }
        Ok(IgnoreRules { rules })
    }

    /// Whether there are no rules at all (an empty file, or only comments).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The findings the rules leave: ignored findings are dropped; a `changed` finding loses its ignored
    /// fields, and is dropped when none is left. When fields were dropped, the finding's severity becomes the
    /// highest of the remaining fields'. The findings' HCL (`expected_hcl`, `actual_hcl`) is left as it is.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        if self.rules.is_empty() {
            return findings;
        }
        findings
            .into_iter()
            .filter_map(|mut finding| {
                let resource = [
                    Part::plain(&finding.resource_type),
                    Part::plain(&finding.label),
                ];
                if finding.kind != FindingKind::Changed || finding.fields.is_empty() {
                    return (!self.ignores(&resource)).then_some(finding);
                }
                let before = finding.fields.len();
                finding.fields.retain(|field| {
                    let mut target = resource.to_vec();
                    target.extend(parse_path(&field.path));
                    !self.ignores(&target)
                });
                if finding.fields.is_empty() {
                    return None;
                }
                if finding.fields.len() != before {
                    finding.severity = finding
                        .fields
                        .iter()
                        .map(|f| f.severity)
                        .max()
                        .unwrap_or(Severity::Drift);
                }
                Some(finding)
            })
            .collect()
    }

    /// Whether the last rule that covers `target` ignores it.
    fn ignores(&self, target: &[Part]) -> bool {
        self.rules
            .iter()
            .rev()
            .find(|rule| covers(&rule.segments, target))
            .is_some_and(|rule| !rule.negate)
    }
}

/// The text of an ignore file that accepts exactly `findings`: a header comment, then, sorted, `TYPE.LABEL`
/// for each missing, unmanaged or ambiguous finding and `TYPE.LABEL.PATH` for each field of a changed one,
/// paths as the findings have them. [`IgnoreRules::parse`] of it, applied to the same findings, leaves none.
pub fn baseline(findings: &[Finding]) -> String {
    let mut lines = BTreeSet::new();
    for finding in findings {
        let address = finding.address();
        if finding.kind != FindingKind::Changed || finding.fields.is_empty() {
            lines.insert(address);
            continue;
        }
        for field in &finding.fields {
            let line = format!("{address}.{}", field.path);
            // A path that cannot be read back as a pattern would make the whole file unreadable: accept the
            // resource instead.
            // A line break in a path (a block key read from the workspace) would split the line in two.
            if field.path.is_empty() || line.contains(['\n', '\r']) || parse_pattern(&line).is_err()
            {
                lines.insert(address.clone());
            } else {
                lines.insert(line);
            }
        }
    }
    let mut out = String::from(
        "# drsync drift ignore file: `drsync drift` does not report what this file lists.\n\
         # Written by `drsync drift --write-ignore` to accept the drift of that run as the baseline; later runs\n\
         # report only what differs from it. Delete a line to see that drift again. By default `drsync drift`\n\
         # reads `.drsyncignore` next to its config file.\n\
         #\n\
         # One pattern per line: TYPE.LABEL ignores a whole resource, TYPE.LABEL.FIELD.PATH a field of a changed\n\
         # resource and everything under it. `*` matches one segment (a label, a map key, a block: `task.*` is\n\
         # every task), `**` any number of segments; quote segments that hold dots\n\
         # (`spark_conf.\"spark.master\"`); `!PATTERN` re-includes what an earlier line ignored, the last\n\
         # matching line wins; `#` starts a comment line.\n",
    );
    if lines.is_empty() {
        out.push_str("\n# There were no findings: nothing is ignored.\n");
    } else {
        out.push('\n');
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Whether `pattern` covers a prefix of `target` (the whole of it, or something `target` lies under).
fn covers(pattern: &[Segment], target: &[Part]) -> bool {
    let Some((first, rest)) = pattern.split_first() else {
        return true;
    };
    let (name, key) = match first {
        Segment::Deep => return (0..=target.len()).any(|skip| covers(rest, &target[skip..])),
        Segment::One { name, key } => (name, key),
    };
    let Some((part, part_rest)) = target.split_first() else {
        return false;
    };
    match (key, &part.key) {
        (None, None) => {
            if !glob(name, &part.name) {
                return false;
            }
            // A block that occurs once has no key in paths (`task.timeout_seconds` for a job with one
            // task): the `*` of `task.*.timeout_seconds` may stand for that missing key.
            covers(rest, part_rest)
                || matches!(rest, [Segment::One { name: key, key: None }, _, ..]
                    if is_star(key) && covers(&rest[1..], part_rest))
        }
        (Some(key), Some(part_key)) => {
            glob(name, &part.name) && glob(key, part_key) && covers(rest, part_rest)
        }
        // `task[*]` covers the key of a block that occurs once too.
        (Some(key), None) => is_star(key) && glob(name, &part.name) && covers(rest, part_rest),
        (None, Some(part_key)) => {
            // `*` is one whole segment, `task[load]` included.
            if is_star(name) && covers(rest, part_rest) {
                return true;
            }
            if !glob(name, &part.name) {
                return false;
            }
            // `task` at the end covers every task; `task.load` and `task.*` name one by its key.
            match rest.split_first() {
                None => true,
                Some((
                    Segment::One {
                        name: key,
                        key: None,
                    },
                    rest,
                )) => glob(key, part_key) && covers(rest, part_rest),
                Some(_) => false,
            }
        }
    }
}

fn is_star(glob: &[Tok]) -> bool {
    glob == [Tok::Star]
}

/// Whether `text` matches `glob` (`*` being any run of characters).
fn glob(glob: &[Tok], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut g, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some(Tok::Star) => {
                backtrack = Some((g, t));
                g += 1;
            }
            Some(Tok::Lit(c)) if *c == text[t] => {
                g += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, from)) => {
                    g = star + 1;
                    t = from + 1;
                    backtrack = Some((star, from + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|tok| *tok == Tok::Star)
}

/// A pattern line (without `!`) as segments, checked: a resource type or `*` first, then at least a label.
fn parse_pattern(pattern: &str) -> Result<Vec<Segment>, PatternError> {
    let raw = split(pattern)?;
    let first = &raw[0];
    let is_type = !first.quoted
        && first.key.is_none()
        && first.text != "**"
        && first
            .text
            .starts_with(|c: char| c.is_ascii_lowercase() || c == '_' || c == '*')
        && first
            .text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '*');
    if !is_type {
        return Err(PatternError::NotAType(first.text.clone()));
    }
    if raw.len() < 2 {
        return Err(PatternError::NoLabel);
    }
    Ok(raw
        .into_iter()
        .map(|seg| {
            if !seg.quoted && seg.key.is_none() && seg.text == "**" {
                Segment::Deep
            } else {
                Segment::One {
                    name: seg.name,
                    key: seg.key,
                }
            }
        })
        .collect())
}

/// A finding's field path as segments. Paths come from drsync and always parse; should one not, it is split at
/// every dot.
fn parse_path(path: &str) -> Vec<Part> {
    let text = |glob: &Glob| {
        glob.iter()
            .map(|tok| match tok {
                Tok::Lit(c) => *c,
                Tok::Star => '*',
            })
            .collect::<String>()
    };
    match split(path) {
        Ok(raw) => raw
            .iter()
            .map(|seg| Part {
                name: text(&seg.name),
                key: seg.key.as_ref().map(text),
            })
            .collect(),
        Err(_) => path.split('.').map(Part::plain).collect(),
    }
}

/// A segment as written.
struct RawSegment {
    /// The source text of the name (quotes included).
    text: String,
    quoted: bool,
    name: Glob,
    key: Option<Glob>,
}

/// Splits at dots outside quotes and brackets. `[KEY]` runs to the first `]` that ends the segment, so a key
/// may hold dots and quotes; a key wholly in quotes is read as a quoted string.
fn split(text: &str) -> Result<Vec<RawSegment>, PatternError> {
    let c: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        if i == c.len() || c[i] == '.' {
            return Err(PatternError::EmptySegment);
        }
        let start = i;
        let quoted = c[i] == '"';
        let name = if quoted {
            let (name, end) = quoted_at(&c, i)?;
            i = end;
            name
        } else {
            while i < c.len() && !matches!(c[i], '.' | '[' | '"') {
                i += 1;
            }
            if i < c.len() && c[i] == '"' {
                return Err(PatternError::QuoteInside);
            }
            if i == start {
                return Err(PatternError::KeyWithoutName);
            }
            unquoted(&c[start..i])
        };
        let text: String = c[start..i].iter().collect();
        let key = if i < c.len() && c[i] == '[' {
            let close = (i + 1..c.len())
                .find(|&j| c[j] == ']' && (j + 1 == c.len() || c[j + 1] == '.'))
                .ok_or(PatternError::UnbalancedBracket)?;
            let inner = &c[i + 1..close];
            i = close + 1;
            if inner.is_empty() {
                return Err(PatternError::EmptyKey);
            }
            let whole_quoted = inner.len() >= 2 && inner[0] == '"' && inner[inner.len() - 1] == '"';
            Some(match quoted_at(inner, 0) {
                Ok((key, end)) if whole_quoted && end == inner.len() => key,
                _ => unquoted(inner),
            })
        } else {
            None
        };
        out.push(RawSegment {
            text,
            quoted,
            name,
            key,
        });
        if i == c.len() {
            return Ok(out);
        }
        if c[i] != '.' {
            return Err(PatternError::NoDot(c[start..i].iter().collect()));
        }
        i += 1;
    }
}

fn unquoted(chars: &[char]) -> Glob {
    chars
        .iter()
        .map(|&c| if c == '*' { Tok::Star } else { Tok::Lit(c) })
        .collect()
}

/// The quoted string opening at `c[start]`, and the index after its closing quote. `\"`, `\\` and `\*` stand
/// for the character; any other escape is kept as written, on both sides of a match alike.
fn quoted_at(c: &[char], start: usize) -> Result<(Glob, usize), PatternError> {
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < c.len() {
        match c[i] {
            '"' => return Ok((out, i + 1)),
            '\\' if i + 1 < c.len() => {
                let next = c[i + 1];
                if !matches!(next, '"' | '\\' | '*') {
                    out.push(Tok::Lit('\\'));
                }
                out.push(Tok::Lit(next));
                i += 2;
            }
            '*' => {
                out.push(Tok::Star);
                i += 1;
            }
            other => {
                out.push(Tok::Lit(other));
                i += 1;
            }
        }
    }
    Err(PatternError::UnbalancedQuote)
}

/// What is wrong with a pattern (or a field path): [`IgnoreError::reason`] says it, with the pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum PatternError {
    #[error(
        "`{0}` is not a resource type: a pattern starts with one, as in `databricks_job.nightly_etl`, or with `*`"
    )]
    NotAType(String),
    #[error("a pattern needs a resource type and a label (`databricks_job.*` is every job)")]
    NoLabel,
    #[error("empty segment (two dots in a row, or a dot at either end)")]
    EmptySegment,
    #[error(
        "a quote must open a segment: quote the whole segment, as in `spark_conf.\"spark.master\"`"
    )]
    QuoteInside,
    #[error("`[` must follow a block name, as in `task[load]`")]
    KeyWithoutName,
    #[error("unbalanced `[`: no `]` ends the segment")]
    UnbalancedBracket,
    #[error("empty `[]`: name the key, as in `task[load]`, or write `task[*]`")]
    EmptyKey,
    #[error("expected `.` after `{0}`")]
    NoDot(String),
    #[error("unbalanced quote: a `\"` is not closed")]
    UnbalancedQuote,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::FieldDiff;
    use pretty_assertions::assert_eq;

    fn finding(kind: FindingKind, resource_type: &str, label: &str) -> Finding {
        Finding {
            kind,
            severity: Severity::Drift,
            resource_type: resource_type.to_string(),
            label: label.to_string(),
            name: label.to_string(),
            live_id: None,
            live_ids: Vec::new(),
            fields: Vec::new(),
            expected_hcl: None,
            actual_hcl: None,
        }
    }

    fn changed(resource_type: &str, label: &str, paths: &[&str]) -> Finding {
        let mut f = finding(FindingKind::Changed, resource_type, label);
        f.fields = paths
            .iter()
            .map(|p| FieldDiff {
                path: p.to_string(),
                expected: Some(serde_json::json!(1)),
                actual: Some(serde_json::json!(2)),
                severity: Severity::Drift,
            })
            .collect();
        f
    }

    fn rules(text: &str) -> IgnoreRules {
        IgnoreRules::parse(text, Path::new(".drsyncignore")).unwrap()
    }

    /// Whether `pattern` ignores field `path` of `TYPE.LABEL`.
    fn ignores_field(pattern: &str, resource_type: &str, label: &str, path: &str) -> bool {
        rules(pattern)
            .apply(vec![changed(resource_type, label, &[path])])
            .is_empty()
    }

    /// Whether `pattern` ignores a missing `TYPE.LABEL`.
    fn ignores_resource(pattern: &str, resource_type: &str, label: &str) -> bool {
        rules(pattern)
            .apply(vec![finding(FindingKind::Missing, resource_type, label)])
            .is_empty()
    }

    fn error(text: &str) -> IgnoreError {
        IgnoreRules::parse(text, Path::new("conf/.drsyncignore")).unwrap_err()
    }

    #[test]
    fn whole_resources_and_wildcards_in_type_and_label() {
        assert!(ignores_resource(
            "databricks_job.nightly_etl",
            "databricks_job",
            "nightly_etl"
        ));
        assert!(!ignores_resource(
            "databricks_job.nightly_etl",
            "databricks_job",
            "weekly"
        ));
        assert!(!ignores_resource(
            "databricks_job.nightly_etl",
            "databricks_cluster",
            "nightly_etl"
        ));
        assert!(ignores_resource(
            "*.nightly_etl",
            "databricks_cluster",
            "nightly_etl"
        ));
        assert!(ignores_resource(
            "databricks_job.*",
            "databricks_job",
            "weekly"
        ));
        assert!(ignores_resource(
            "databricks_job.nightly_*",
            "databricks_job",
            "nightly_etl"
        ));
        assert!(!ignores_resource(
            "databricks_job.nightly_*",
            "databricks_job",
            "weekly_etl"
        ));
        assert!(ignores_resource(
            "databricks_*.*",
            "databricks_instance_pool",
            "p"
        ));
        assert!(ignores_resource("*.*", "databricks_job", "x"));
        // A field pattern never drops a whole resource.
        assert!(!ignores_resource(
            "databricks_job.*.name",
            "databricks_job",
            "x"
        ));
        // Every kind of finding, and every field of a changed one.
        let r = rules("databricks_job.nightly_etl");
        for kind in [
            FindingKind::Missing,
            FindingKind::Unmanaged,
            FindingKind::Ambiguous,
        ] {
            assert!(r
                .apply(vec![finding(kind, "databricks_job", "nightly_etl")])
                .is_empty());
        }
        assert!(r
            .apply(vec![changed(
                "databricks_job",
                "nightly_etl",
                &["name", "task[a].timeout_seconds"]
            )])
            .is_empty());
        let empty = finding(FindingKind::Changed, "databricks_job", "nightly_etl");
        assert!(r.apply(vec![empty]).is_empty());
    }

    #[test]
    fn field_paths_wildcards_and_prefixes() {
        let (c, j) = ("databricks_cluster", "databricks_job");
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags.Owner",
            c,
            "a",
            "custom_tags.Owner"
        ));
        assert!(!ignores_field(
            "databricks_cluster.*.custom_tags.Owner",
            c,
            "a",
            "custom_tags.Team"
        ));
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags.*",
            c,
            "a",
            "custom_tags.Team"
        ));
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags.*",
            c,
            "a",
            "custom_tags.\"a.b\""
        ));
        assert!(ignores_field(
            "databricks_cluster.*.*.Owner",
            c,
            "a",
            "custom_tags.Owner"
        ));
        // A prefix covers what lies under it, not a longer name.
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags",
            c,
            "a",
            "custom_tags.Owner"
        ));
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags",
            c,
            "a",
            "custom_tags.\"a.b\""
        ));
        assert!(!ignores_field(
            "databricks_cluster.*.custom_tags",
            c,
            "a",
            "custom_tags_extra"
        ));
        // A pattern longer than the path does not cover it.
        assert!(!ignores_field(
            "databricks_cluster.*.custom_tags.Owner",
            c,
            "a",
            "custom_tags"
        ));
        // Globs within a segment.
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags.Own*",
            c,
            "a",
            "custom_tags.Owner"
        ));
        assert!(!ignores_field(
            "databricks_cluster.*.custom_tags.Own*",
            c,
            "a",
            "custom_tags.Team"
        ));

        // A block that occurs once has no key in paths.
        assert!(ignores_field(
            "databricks_job.*.task.*.timeout_seconds",
            j,
            "x",
            "task.timeout_seconds"
        ));
        assert!(ignores_field(
            "databricks_job.*.task[*].timeout_seconds",
            j,
            "x",
            "task.timeout_seconds"
        ));
        assert!(ignores_field("databricks_job.*.task[*]", j, "x", "task"));
        assert!(!ignores_field(
            "databricks_job.*.task[load].timeout_seconds",
            j,
            "x",
            "task.timeout_seconds"
        ));
        assert!(!ignores_field(
            "databricks_cluster.*.custom_tags.*",
            c,
            "a",
            "custom_tags"
        ));

        // Repeated blocks.
        let timeout = "databricks_job.*.task.*.timeout_seconds";
        assert!(ignores_field(timeout, j, "x", "task[load].timeout_seconds"));
        assert!(!ignores_field(
            timeout,
            j,
            "x",
            "task[load].new_cluster.timeout_seconds"
        ));
        assert!(!ignores_field(timeout, j, "x", "task[load].max_retries"));
        assert!(ignores_field(
            "databricks_job.*.task[load].timeout_seconds",
            j,
            "x",
            "task[load].timeout_seconds"
        ));
        assert!(!ignores_field(
            "databricks_job.*.task[load].timeout_seconds",
            j,
            "x",
            "task[other].timeout_seconds"
        ));
        assert!(ignores_field(
            "databricks_job.*.task[*].timeout_seconds",
            j,
            "x",
            "task[load].timeout_seconds"
        ));
        assert!(ignores_field(
            "databricks_job.*.task.load.timeout_seconds",
            j,
            "x",
            "task[load].timeout_seconds"
        ));
        assert!(!ignores_field(
            "databricks_job.*.task.load.timeout_seconds",
            j,
            "x",
            "task[etl].timeout_seconds"
        ));
        assert!(ignores_field(
            "databricks_job.*.*.timeout_seconds",
            j,
            "x",
            "task[load].timeout_seconds"
        ));
        assert!(ignores_field(
            "databricks_job.*.task",
            j,
            "x",
            "task[load].new_cluster.num_workers"
        ));
        assert!(ignores_field(
            "databricks_job.*.task.*",
            j,
            "x",
            "task[load].new_cluster.num_workers"
        ));
        assert!(ignores_field(
            "databricks_job.*.*",
            j,
            "x",
            "task[load].new_cluster.num_workers"
        ));
        assert!(!ignores_field(
            "databricks_job.*.task[load]",
            j,
            "x",
            "task"
        ));
        assert!(ignores_field(
            "databricks_cluster.*.library[0]",
            c,
            "a",
            "library[0].pypi.package"
        ));
        assert!(ignores_field(
            "databricks_job.*.parameter[env]",
            j,
            "x",
            "parameter[env].default"
        ));
        // A bracket key may hold dots.
        assert!(ignores_field(
            "databricks_job.*.parameter[a.b]",
            j,
            "x",
            "parameter[a.b].default"
        ));
        assert!(ignores_field(
            "databricks_job.*.parameter.*.default",
            j,
            "x",
            "parameter[a.b].default"
        ));

        // Quoted segments.
        let endpoint = "spark_conf.\"spark.hadoop.fs.s3a.endpoint\"";
        let pattern = format!("databricks_cluster.*.{endpoint}");
        assert!(ignores_field(&pattern, c, "a", endpoint));
        assert!(!ignores_field(
            &pattern,
            c,
            "a",
            "spark_conf.\"spark.hadoop.fs.s3a.access.key\""
        ));
        assert!(!ignores_field(
            "databricks_cluster.*.spark_conf.spark",
            c,
            "a",
            endpoint
        ));
        assert!(ignores_field(
            "databricks_cluster.*.spark_conf.\"spark.hadoop.*\"",
            c,
            "a",
            endpoint
        ));
        assert!(!ignores_field(
            "databricks_cluster.*.spark_conf.\"spark.hadoop.*\"",
            c,
            "a",
            "spark_conf.\"spark.master\""
        ));
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags.\"Owner\"",
            c,
            "a",
            "custom_tags.Owner"
        ));
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags.\"a \\\"b\\\"\"",
            c,
            "a",
            "custom_tags.\"a \\\"b\\\"\""
        ));
        assert!(ignores_field(
            "databricks_cluster.*.custom_tags.\"a\\*\"",
            c,
            "a",
            "custom_tags.\"a*\""
        ));
        assert!(!ignores_field(
            "databricks_cluster.*.custom_tags.\"a\\*\"",
            c,
            "a",
            "custom_tags.\"ab\""
        ));
    }

    #[test]
    fn double_star_matches_any_number_of_segments() {
        let j = "databricks_job";
        let p = "databricks_job.*.**.num_workers";
        assert!(ignores_field(p, j, "x", "num_workers"));
        assert!(ignores_field(
            p,
            j,
            "x",
            "job_cluster[main].new_cluster.num_workers"
        ));
        assert!(ignores_field(
            p,
            j,
            "x",
            "task[load].new_cluster.autoscale.num_workers"
        ));
        assert!(!ignores_field(
            p,
            j,
            "x",
            "task[load].new_cluster.spark_version"
        ));
        assert!(ignores_field(
            "databricks_job.**.timeout_seconds",
            j,
            "x",
            "task[a].timeout_seconds"
        ));
        assert!(ignores_field("databricks_job.**", j, "x", "name"));
        assert!(ignores_resource("databricks_job.**", j, "x"));
        assert!(ignores_resource("databricks_job.*.**", j, "x"));
        assert!(!ignores_resource("databricks_job.*.**.name", j, "x"));
    }

    #[test]
    fn later_lines_win_and_bang_re_includes() {
        let j = "databricks_job";
        let text = "databricks_job.*\n!databricks_job.critical_*\n";
        assert!(ignores_resource(text, j, "nightly"));
        assert!(!ignores_resource(text, j, "critical_load"));
        let text = "databricks_job.*\n!databricks_job.critical_*\ndatabricks_job.critical_old\n";
        assert!(ignores_resource(text, j, "critical_old"));
        assert!(!ignores_resource(text, j, "critical_new"));
        // Re-including one field of an ignored resource keeps that field.
        let r = rules("databricks_job.nightly\n! databricks_job.nightly.schedule.pause_status");
        let out = r.apply(vec![changed(
            j,
            "nightly",
            &["name", "schedule.pause_status"],
        )]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].fields.len(), 1);
        assert_eq!(out[0].fields[0].path, "schedule.pause_status");
        // ...but cannot bring back a finding that has no such field.
        assert!(r
            .apply(vec![finding(FindingKind::Missing, j, "nightly")])
            .is_empty());
        // A re-include before the ignore does nothing.
        assert!(ignores_resource(
            "!databricks_job.x\ndatabricks_job.*",
            j,
            "x"
        ));
    }

    #[test]
    fn comments_blank_lines_and_whitespace() {
        let text = "\u{feff}# accepted drift\n\n   \n  databricks_job.nightly  \r\n\t# databricks_job.weekly\n";
        let r = rules(text);
        assert!(!r.is_empty());
        assert!(ignores_resource(text, "databricks_job", "nightly"));
        assert!(!ignores_resource(text, "databricks_job", "weekly"));
        assert!(rules("# only comments\n\n").is_empty());
        assert!(rules("").is_empty());
        assert!(IgnoreRules::default().is_empty());
        let f = vec![finding(FindingKind::Missing, "databricks_job", "x")];
        assert_eq!(rules("").apply(f.clone()), f);
    }

    #[test]
    fn field_ignores_keep_other_fields_and_recompute_severity() {
        let mut f = changed(
            "databricks_job",
            "nightly",
            &[
                "schedule.pause_status",
                "task[load].timeout_seconds",
                "name",
            ],
        );
        f.fields[0].severity = Severity::Critical;
        f.severity = Severity::Critical;

        let out = rules("databricks_job.*.task.*.timeout_seconds").apply(vec![f.clone()]);
        assert_eq!(out.len(), 1);
        let paths: Vec<&str> = out[0].fields.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["schedule.pause_status", "name"]);
        assert_eq!(out[0].severity, Severity::Critical);

        let out = rules("databricks_job.nightly.schedule").apply(vec![f.clone()]);
        assert_eq!(out[0].fields.len(), 2);
        assert_eq!(out[0].severity, Severity::Drift);

        let all = "databricks_job.*.schedule\ndatabricks_job.*.task\ndatabricks_job.nightly.name";
        assert!(rules(all).apply(vec![f.clone()]).is_empty());

        // Other findings pass untouched.
        let other = changed("databricks_job", "weekly", &["name"]);
        let out = rules("databricks_job.nightly.name").apply(vec![f.clone(), other.clone()]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].fields.len(), 2);
        assert_eq!(out[0].severity, Severity::Critical);
        assert_eq!(out[1], other);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let e = error("# header\n\ndatabricks_job.ok\n!\n");
        assert_eq!(
            (e.file.as_path(), e.line),
            (Path::new("conf/.drsyncignore"), 4)
        );
        assert!(e.reason.contains("`!` needs a pattern"), "{e}");
        assert!(e.to_string().starts_with("conf/.drsyncignore:4: "), "{e}");

        assert_eq!(error("databricks_job.ok\n  !   \n").line, 2);
        let cases = [
            ("Databricks-Job.x", "not a resource type"),
            ("\"databricks_job\".x", "not a resource type"),
            ("**.timeout_seconds", "not a resource type"),
            ("task[load].x", "not a resource type"),
            (".databricks_job.x", "empty segment"),
            ("databricks_job", "needs a resource type and a label"),
            ("*", "needs a resource type and a label"),
            ("databricks_job..x", "empty segment"),
            ("databricks_job.x.", "empty segment"),
            (
                "databricks_cluster.*.spark_conf.\"spark.master",
                "unbalanced quote",
            ),
            (
                "databricks_cluster.*.spark_conf.spark\"x\"",
                "quote must open a segment",
            ),
            ("databricks_cluster.*.spark_conf.\"a\"b", "expected `.`"),
            ("databricks_job.*.task[load.x", "unbalanced `[`"),
            ("databricks_job.*.task[]", "empty `[]`"),
            ("databricks_job.*.[load]", "must follow a block name"),
        ];
        for (n, (line, reason)) in cases.iter().enumerate() {
            let text = format!("databricks_job.fine\n{}{line}\n", "\n".repeat(n));
            let e = error(&text);
            assert_eq!(e.line, n + 2, "{line}: {e}");
            assert!(e.reason.contains(reason), "{line}: {e}");
            assert!(e.reason.contains(line), "{line}: {e}");
        }
    }

    #[test]
    fn baseline_round_trip() {
        let mut critical = changed(
            "databricks_job",
            "nightly_etl",
            &[
                "schedule.pause_status",
                "task[load].new_cluster.num_workers",
                "task[load].timeout_seconds",
                "task[a.b].depends_on[extract].task_key",
                "parameter[env].default",
                "tags.\"cost.center\"",
                "tags.\"say \\\"hi\\\" \\\\ *\"",
                "tags.\"with*star\"",
            ],
        );
        critical.fields[0].severity = Severity::Critical;
        critical.severity = Severity::Critical;
        let findings = vec![
            finding(FindingKind::Missing, "databricks_job", "weekly"),
            finding(FindingKind::Unmanaged, "databricks_cluster", "adhoc_1234"),
            finding(FindingKind::Ambiguous, "databricks_instance_pool", "pool"),
            critical,
            changed(
                "databricks_cluster",
                "shared",
                &[
                    "spark_conf.\"spark.hadoop.fs.s3a.endpoint\"",
                    "custom_tags.Owner",
                    "library[0].pypi.package",
                    "autoscale",
                ],
            ),
            finding(
                FindingKind::Changed,
                "databricks_cluster_policy",
                "no_fields",
            ),
        ];
        let text = baseline(&findings);
        assert!(text.starts_with("# drsync drift ignore file"));
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted);
        assert_eq!(lines.len(), 4 + 8 + 4);
        assert!(lines.contains(&"databricks_job.nightly_etl.task[load].timeout_seconds"));
        assert!(lines
            .contains(&"databricks_cluster.shared.spark_conf.\"spark.hadoop.fs.s3a.endpoint\""));
        assert!(lines.contains(&"databricks_cluster_policy.no_fields"));

        let r = IgnoreRules::parse(&text, Path::new(".drsyncignore")).unwrap();
        assert_eq!(r.apply(findings.clone()), Vec::<Finding>::new());

        // The baseline accepts exactly these findings: new drift still shows.
        let new = vec![
            changed(
                "databricks_job",
                "nightly_etl",
                &[
                    "task[other].timeout_seconds",
                    "tags.\"cost.centre\"",
                    "tags.\"withXstar\"",
                    "name",
                ],
            ),
            changed(
                "databricks_cluster",
                "shared",
                &["custom_tags.Team", "library[1].pypi.package"],
            ),
            finding(FindingKind::Missing, "databricks_job", "monthly"),
        ];
        let out = r.apply(new.clone());
        // A `*` in a key is a wildcard in the pattern too: `tags."with*star"` covers `tags."withXstar"`.
        let mut expected = new;
        expected[0].fields.remove(2);
        assert_eq!(out, expected);

        // A block key with a line break (found by tests/props.rs) cannot be a line of its own: the baseline
        // accepts the whole resource, and stays readable.
        let odd = vec![changed(
            "databricks_job",
            "odd",
            &["task[a\nb].timeout_seconds"],
        )];
        let text = baseline(&odd);
        assert!(text.ends_with("\ndatabricks_job.odd\n"), "{text}");
        let r = IgnoreRules::parse(&text, Path::new(".drsyncignore")).unwrap();
        assert_eq!(r.apply(odd), Vec::<Finding>::new());

        // No findings: a header and nothing ignored.
        let empty = baseline(&[]);
        assert!(IgnoreRules::parse(&empty, Path::new("x"))
            .unwrap()
            .is_empty());
    }
}
