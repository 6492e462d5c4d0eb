//! Drift: the live DR workspace against the committed HCL, field by field. Desired state comes from
//! `tfconfig` (the HCL evaluated), live state from the DR workspace normalised exactly as the export normalises
//! and converted to the same provider shape, so that an unchanged DR site shows no drift at all. It returns a
//! [`Report`] value and never prints; `report` renders it.

pub mod adopt;
mod engine;
pub mod ignore;
pub mod matching;
mod suppress;

pub use engine::{
    compare, compare_for_adoption, compare_normalized, diff_bodies, Compared, Error, StateError,
    StateIds,
};
pub use matching::Matching;

use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the JSON report's schema; bumped on any incompatible change.
pub const REPORT_VERSION: u32 = 1;

/// A drift report: what was compared, the counts, and every finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Schema version of this document ([`REPORT_VERSION`]).
    pub version: u32,
    /// What was compared.
    pub source: Source,
    /// Counts per resource type and overall.
    pub summary: Summary,
    /// The findings, ordered by resource type, label, then kind.
    pub findings: Vec<Finding>,
}

/// What a report compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The DR workspace's host.
    pub workspace: String,
    /// The Git revision the desired state was read at (`HEAD`, a branch, a tag, a commit), or `worktree`.
    pub git_ref: String,
    /// The commit that revision resolved to, when read from Git.
    pub commit: Option<String>,
    /// The export folder, relative to the repository.
    pub folder: String,
}

/// Counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Per resource type (`databricks_job`, ...): the counts of that type.
    pub by_type: BTreeMap<String, TypeSummary>,
    /// Findings of severity `critical`.
    pub critical: usize,
    /// Whether there is any finding at all.
    pub drifted: bool,
    /// Live objects that the HCL manages, over all live objects of the exported types, from 0 to 1 (1 when
    /// there are no live objects).
    pub coverage: f64,
}

/// Counts for one resource type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TypeSummary {
    /// Resources in the HCL.
    pub desired: usize,
    /// Objects in the DR workspace.
    pub live: usize,
    /// Live objects matched to a resource.
    pub managed: usize,
    /// Findings by kind.
    pub missing: usize,
    /// In DR, not in Git.
    pub unmanaged: usize,
    /// In both, different.
    pub changed: usize,
    /// More than one live object could be the resource.
    pub ambiguous: usize,
}

/// One thing that is not as Git says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What kind of difference.
    pub kind: FindingKind,
    /// How bad.
    pub severity: Severity,
    /// `databricks_job`, ...
    pub resource_type: String,
    /// The resource's label in the HCL; for unmanaged objects, the label an export would give them.
    pub label: String,
    /// The object's name.
    pub name: String,
    /// The live object's id (none for `missing`; the first of several for `ambiguous`).
    pub live_id: Option<String>,
    /// Every live id, for `ambiguous`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub live_ids: Vec<String>,
    /// For `changed`: each differing field.
    pub fields: Vec<FieldDiff>,
    /// The resource as Git has it, in HCL (for diffs); none for `unmanaged`.
    pub expected_hcl: Option<String>,
    /// The live object in the same HCL form; none for `missing`.
    pub actual_hcl: Option<String>,
}

impl Finding {
    /// `TYPE.LABEL`.
    pub fn address(&self) -> String {
        format!("{}.{}", self.resource_type, self.label)
    }
}

/// Kinds of findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// In Git, not in DR.
    Missing,
    /// In DR, not in Git.
    Unmanaged,
    /// In both, with different fields.
    Changed,
    /// Two or more live objects could be this resource; never guessed.
    Ambiguous,
}

impl FindingKind {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Missing => "missing",
            FindingKind::Unmanaged => "unmanaged",
            FindingKind::Changed => "changed",
            FindingKind::Ambiguous => "ambiguous",
        }
    }
}

/// Severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The DR site differs from Git.
    Drift,
    /// The standby would act on its own: a schedule, trigger or continuous job live where Git says PAUSED.
    Critical,
}

impl Severity {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Drift => "drift",
            Severity::Critical => "critical",
        }
    }
}

/// One differing field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    /// Dotted path in provider names, repeated blocks by key: `task[load].new_cluster.num_workers`,
    /// `spark_conf."spark.hadoop.fs.s3a.endpoint"`.
    pub path: String,
    /// The value Git has (none: not set in Git).
    pub expected: Option<serde_json::Value>,
    /// The value DR has (none: not set in DR).
    pub actual: Option<serde_json::Value>,
    /// How bad this field is.
    pub severity: Severity,
}

/// Recount the summary's findings after some were dropped (by ignore rules).
pub fn resummarize(report: &mut Report) {
    for s in report.summary.by_type.values_mut() {
        s.missing = 0;
        s.unmanaged = 0;
        s.changed = 0;
        s.ambiguous = 0;
    }
    for f in &report.findings {
        if let Some(s) = report.summary.by_type.get_mut(&f.resource_type) {
            match f.kind {
                FindingKind::Missing => s.missing += 1,
                FindingKind::Unmanaged => s.unmanaged += 1,
                FindingKind::Changed => s.changed += 1,
                FindingKind::Ambiguous => s.ambiguous += 1,
            }
        }
    }
    report.summary.critical = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    report.summary.drifted = !report.findings.is_empty();
}
