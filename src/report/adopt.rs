//! Renders what `drsync adopt` found for people and programs: the import blocks written, the adopted objects
//! that `terraform apply` will change, the ambiguous and missing resources (with the candidates' ids and what
//! tells them apart), the unmanaged objects and a verdict, as text; or the [`Adoption`] as JSON. Pure functions
//! to a `String`: nothing here prints, and every workspace string is escaped for the terminal.
//!
//! # JSON schema (version 1)
//!
//! ```text
//! {
//!   "version": 1,                      // ADOPT_VERSION; bumped on any incompatible change
//!   "source": {"workspace": "...", "git_ref": "main", "commit": "9f2c...", "folder": "terraform/generated"},
//!   "matched_by": "name",              // "name", or "state_then_name" with --state
//!   "file": "terraform/generated/imports.tf",  // where the import blocks were written
//!   "imports": [                       // one per import block, by address
//!     {"address": "databricks_job.nightly", "name": "nightly", "id": "1001",
//!      "updated_once": ["performance_target"]}  // set in the HCL, not read by the import: the apply that
//!   ],                                          // imports updates them once
//!   "in_state": ["databricks_job.old"],  // addresses the state records: no import needed
//!   "ambiguous": [                     // no import block: several DR objects could be the resource
//!     {"address": "databricks_job.twin", "name": "twin",
//!      "candidates": [{"id": "1002", "differs": []}, {"id": "1003", "differs": ["max_concurrent_runs"]}]}
//!   ],                                 // differs: the fields where the candidate differs from the HCL
//!                                      // ([] identical); null when not compared
//!   "missing": [{"address": "databricks_job.gone", "name": "gone"}],  // terraform apply creates them
//!   "changed": [                       // adopted objects that terraform apply will change
//!     {"address": "databricks_job.nightly", "id": "1001", "severity": "drift", "replace": false,
//!      "fields": [{"path": "max_concurrent_runs", "expected": 1, "actual": 2, "severity": "drift"}]}
//!   ],                                 // replace: the type has no update (secret scopes and ACLs)
//!   "unmanaged": [{"kind": "clusters", "id": "0101-abc", "name": "adhoc"}],  // in DR, not in Git
//!   "notes": [{"address": "databricks_job.big", "message": "..."}]
//! }
//! ```
//!
//! Consumers should ignore fields they do not know: new fields may appear without a version bump.

use super::escape::{quoted, terminal};
use crate::drift::adopt::Adoption;
use crate::drift::Severity;
use std::fmt::Write as _;

/// How many imports the text names before it counts the rest (the file and the JSON have them all); what needs
/// a look (changed, ambiguous, missing) is always listed whole.
const IMPORTS_LISTED: usize = 100;

/// The adoption as pretty-printed JSON, with a trailing newline.
pub fn json(adoption: &Adoption) -> String {
    // Strings, numbers, booleans and arrays: serialising cannot fail.
    let mut out = serde_json::to_string_pretty(adoption).expect("an adoption serialises to JSON");
    out.push('\n');
    out
}

/// The adoption as text, ending with the verdict line and a newline.
pub fn text(a: &Adoption) -> String {
    let mut out = String::new();
    let source = &a.source;
    let _ = writeln!(out, "workspace  {}", terminal(&source.workspace));
    let _ = write!(out, "git        {}", terminal(&source.git_ref));
    if let Some(commit) = &source.commit {
        let _ = write!(out, " at {}", terminal(commit));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "folder     {}", terminal(&source.folder));
    let _ = writeln!(
        out,
        "wrote      {} ({})",
        terminal(&a.file),
        super::count(a.imports.len(), "import block")
    );

    if !a.imports.is_empty() {
        let _ = writeln!(out, "\nimport: the DR object terraform apply adopts");
        for i in a.imports.iter().take(IMPORTS_LISTED) {
            let _ = write!(
                out,
                "  = {}  id {}  {}",
                terminal(&i.address),
                quoted(&i.id),
                quoted(&i.name)
            );
            if !i.updated_once.is_empty() {
                // Attribute names of the provider schema, never workspace text.
                let _ = write!(
                    out,
                    "  (the import leaves {} out of state: updated once)",
                    i.updated_once.join(", ")
                );
            }
            out.push('\n');
        }
        if a.imports.len() > IMPORTS_LISTED {
            let _ = writeln!(
                out,
                "  = ... and {} more, every one in {}",
                a.imports.len() - IMPORTS_LISTED,
                terminal(&a.file)
            );
        }
    }
    if !a.changed.is_empty() {
        let _ = writeln!(
            out,
            "\nchanged: adopted, then changed by terraform apply to what Git says"
        );
        for c in &a.changed {
            let mut how = if c.replace { "replaced" } else { "updated" }.to_string();
            if c.severity == Severity::Critical {
                how.push_str(", critical");
            }
            let _ = writeln!(out, "  ~ {} ({how})", terminal(&c.address));
            for f in &c.fields {
                // The apply's direction: from what DR has to what Git says.
                let _ = writeln!(
                    out,
                    "      {}: {} (DR) -> {} (Git)",
                    terminal(&f.path),
                    terminal(&super::value(f.actual.as_ref())),
                    terminal(&super::value(f.expected.as_ref()))
                );
            }
            if c.replace {
                let _ = writeln!(
                    out,
                    "      the provider cannot update it: terraform apply deletes it and creates it again"
                );
            }
        }
    }
    if !a.ambiguous.is_empty() {
        let _ = writeln!(
            out,
            "\nambiguous: no import, several DR objects could be the one (--state or a rename settles it)"
        );
        for r in &a.ambiguous {
            let _ = writeln!(out, "  ? {}  {}", terminal(&r.address), quoted(&r.name));
            for c in &r.candidates {
                let differs = match &c.differs {
                    None => String::new(),
                    Some(d) if d.is_empty() => " (identical to the HCL)".to_string(),
                    Some(d) => {
                        let fields: Vec<String> = d.iter().map(|p| terminal(p)).collect();
                        format!(" (differs: {})", fields.join(", "))
                    }
                };
                let _ = writeln!(out, "      id {}{differs}", quoted(&c.id));
            }
        }
    }
    if !a.missing.is_empty() {
        let _ = writeln!(out, "\nmissing: no DR object, terraform apply creates it");
        for m in &a.missing {
            let _ = writeln!(out, "  - {}  {}", terminal(&m.address), quoted(&m.name));
        }
    }
    if !a.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "\nunmanaged: in DR, not in Git (Terraform leaves it alone)"
        );
        for o in &a.unmanaged {
            let _ = writeln!(
                out,
                "  + {}  id {}  {}",
                o.kind.resource_type(),
                quoted(&o.id),
                quoted(&o.name)
            );
        }
    }
    if !a.notes.is_empty() {
        let _ = writeln!(out, "\nnotes");
        for n in &a.notes {
            let _ = writeln!(
                out,
                "  ! {}: {}",
                terminal(&n.address),
                terminal(&n.message)
            );
        }
    }

    out.push('\n');
    let mut parts = vec![super::count(a.imports.len(), "import")];
    if !a.in_state.is_empty() {
        parts.push(format!("{} already in state", a.in_state.len()));
    }
    if !a.changed.is_empty() {
        parts.push(format!("{} changed by the apply", a.changed.len()));
    }
    if !a.ambiguous.is_empty() {
        parts.push(format!("{} ambiguous", a.ambiguous.len()));
    }
    if !a.missing.is_empty() {
        parts.push(format!("{} missing", a.missing.len()));
    }
    let verdict = if a.complete() {
        "every resource is adopted or in state"
    } else {
        "not every resource can be adopted"
    };
    let _ = writeln!(out, "adopt: {}: {verdict}", parts.join(", "));
    out
}
