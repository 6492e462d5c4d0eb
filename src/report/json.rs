//! The JSON report, for programs: the [`Report`] serialised as it is, pretty-printed, with a trailing newline.
//! It must not reshape the data: the schema is the `drift` types' serde form, versioned by `version`.
//!
//! # Schema (version 1)
//!
//! ```text
//! {
//!   "version": 1,                       // REPORT_VERSION; bumped on any incompatible change
//!   "source": {
//!     "workspace": "dr.cloud.databricks.com",  // the DR workspace's host
//!     "git_ref": "main",                // the revision the desired state was read at, or "worktree"
//!     "commit": "9f2c4e1a...",          // the commit it resolved to; null when not read from Git
//!     "folder": "databricks"            // the export folder, relative to the repository
//!   },
//!   "summary": {
//!     "by_type": {                      // one entry per resource type, keys sorted
//!       "databricks_job": {
//!         "desired": 4,                 // resources in the HCL
//!         "live": 5,                    // objects in the DR workspace
//!         "managed": 3,                 // live objects matched to a resource
//!         "missing": 0,                 // findings of each kind, as below
//!         "unmanaged": 0,
//!         "changed": 2,
//!         "ambiguous": 1
//!       }
//!     },
//!     "critical": 1,                    // findings of severity "critical"
//!     "drifted": true,                  // whether there is any finding
//!     "coverage": 0.6667                // managed / live over all exported types, 0 to 1 (1 with nothing live)
//!   },
//!   "findings": [                       // ordered by resource_type, label, kind
//!     {
//!       "kind": "changed",              // "missing" (in Git, not in DR), "unmanaged" (in DR, not in Git),
//!                                       // "changed" (in both, fields differ), "ambiguous" (several live
//!                                       // objects could be the resource; never guessed)
//!       "severity": "critical",         // "drift", or "critical": the DR site would act on its own (a
//!                                       // schedule, trigger or continuous job live where Git says PAUSED)
//!       "resource_type": "databricks_job",
//!       "label": "nightly_etl",         // the HCL label; for unmanaged objects, the label an export would give
//!       "name": "Nightly ETL",          // the object's name (untrusted workspace text)
//!       "live_id": "1001",              // the live object's id; null for missing, the first id for ambiguous
//!       "live_ids": ["1001", "1002"],   // every candidate id; present only for ambiguous
//!       "fields": [                     // for changed: each differing field; empty otherwise
//!         {
//!           "path": "schedule.pause_status",  // dotted provider path; repeated blocks by key
//!                                             // (task[load].timeout_seconds), quoted map keys
//!                                             // (spark_conf."spark.hadoop.fs.s3a.endpoint")
//!           "expected": "PAUSED",       // the value in Git (any JSON value); null: not set in Git
//!           "actual": "UNPAUSED",       // the value in DR; null: not set in DR
//!           "severity": "critical"      // "drift" or "critical", as above
//!         }
//!       ],
//!       "expected_hcl": "resource ...", // the resource as Git has it, in HCL; null for unmanaged
//!       "actual_hcl": "resource ..."    // the live object in the same HCL form; null for missing
//!     }
//!   ]
//! }
//! ```
//!
//! Consumers should ignore fields they do not know: new fields may appear without a version bump.

use super::Options;
use crate::drift::Report;

/// Render `report` as pretty-printed JSON with a trailing newline. `options` is unused: JSON has no colour.
pub fn render(report: &Report, options: &Options) -> String {
    let _ = options;
    // A report is strings, numbers, booleans and string-keyed maps: serialising it cannot fail.
    let mut out = serde_json::to_string_pretty(report).expect("a drift report serialises to JSON");
    out.push('\n');
    out
}
