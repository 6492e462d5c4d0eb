//! The label map (`drsync-labels.json`): which primary object each resource label stood for in the previous
//! export, so that labels stay stable from one export to the next, with the renames not yet applied and the
//! primary's workspace id. Reading it is the only I/O here; `build` writes its text with the other files.

use super::{Error, Move, LABELS_FILE};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Which primary object each label stood for in the previous export (`drsync-labels.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelMap {
    /// Format version.
    pub version: u32,
    /// The workspace id of the primary this export was read from (`X-Databricks-Org-Id`), so that a later
    /// export of another workspace, or a DR that is the primary, is caught. Absent in older label maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Resource type → label → primary id.
    pub resources: BTreeMap<String, BTreeMap<String, String>>,
    /// Resource type → renames not yet known to be applied, oldest first: written to `moved.tf` by every export
    /// while they can still matter (see `moved::keep`). Absent in label maps without any (and in older ones).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub moved: BTreeMap<String, Vec<Move>>,
}

impl LabelMap {
    /// The workspace id recorded in a label map's text, if it is one and records one.
    pub fn workspace_id_in(text: &str) -> Option<String> {
        serde_json::from_str::<LabelMap>(text).ok()?.workspace_id
    }

    /// Read the label map of a previous export in `dir`; none there is an empty map.
    pub fn load(dir: &Path) -> Result<LabelMap, Error> {
        let path = dir.join(LABELS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| Error::Labels {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LabelMap::default()),
            Err(e) => Err(Error::Labels {
                path,
                reason: e.to_string(),
            }),
        }
    }
}
