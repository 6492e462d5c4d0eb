//! What an export changes: the resources it adds, changes, removes and renames against the previous export (the
//! folder, or what is committed), compared block by block; and the limit on removals that keeps a workspace
//! answering with nothing from emptying the DR site. Reads old files only through the caller's `read`
//! (or the folder, in [`changes`]); writes nothing.

use super::{moved, Export};
use crate::model::ResourceKind;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// How an export changes the folder's resources, by address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// New resources.
    pub added: Vec<String>,
    /// Resources whose configuration changed.
    pub changed: Vec<String>,
    /// Resources no longer exported.
    pub removed: Vec<String>,
    /// Resources whose object was renamed on the primary: `moved.tf` moves them to their new address (they are
    /// neither added nor removed), by new address.
    pub renamed: Vec<Renamed>,
}

impl Changes {
    /// How many resources the previous export had, for an export of `now` resources with these changes.
    pub fn previous_count(&self, now: usize) -> usize {
        now + self.removed.len() - self.added.len().min(now + self.removed.len())
    }
}

/// The most resources an export may remove unless the user allows it: `configured` (`[export] max_removed`),
/// or 10% of the previous export's resources, at least 5. In DR a resource removed from Git is an object
/// `terraform apply` deletes: a workspace that answered with nothing (a wrong host, a token that sees nothing)
/// must not empty the DR site.
pub fn removal_limit(configured: Option<usize>, previous: usize) -> usize {
    configured.unwrap_or_else(|| previous.div_ceil(10).max(5))
}

/// An export removing more than [`removal_limit`] allows: refused, nothing written.
#[derive(Debug, thiserror::Error)]
#[error(
    "the export would remove {} of {previous} resources, more than the {limit} allowed: {}{}",
    removed.len(),
    removed.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
    if removed.len() > 10 { format!(" and {} more", removed.len() - 10) } else { String::new() }
)]
pub struct TooManyRemovals {
    /// The addresses that would be removed.
    pub removed: Vec<String>,
    /// How many resources the previous export had.
    pub previous: usize,
    /// The limit.
    pub limit: usize,
}

/// Refuse `changes` when they remove more than `limit` resources.
pub fn check_removals(
    changes: &Changes,
    previous: usize,
    limit: usize,
) -> Result<(), TooManyRemovals> {
    if changes.removed.len() > limit {
        return Err(TooManyRemovals {
            removed: changes.removed.clone(),
            previous,
            limit,
        });
    }
    Ok(())
}

/// A resource at a new address because its object was renamed on the primary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renamed {
    /// The address before (`TYPE.OLD`).
    pub from: String,
    /// The address now (`TYPE.NEW`).
    pub to: String,
    /// Whether more than the name changed: the configuration differs once the label, the name attribute and
    /// references to renamed resources are set aside.
    pub changed: bool,
}

impl Changes {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
    }
}

/// Compare a built export with the files in `dir`, resource by resource. Unparseable old files count as
/// "every resource in them changed".
pub fn changes(export: &Export, dir: &Path) -> Changes {
    changes_from(export, |name| std::fs::read_to_string(dir.join(name)).ok())
}

/// [`changes`] against files from anywhere (e.g. the export folder as committed in Git): `read` is asked once
/// for each resource file, so it may hand its text over instead of copying it.
///
/// A resource new here whose address the export's moves (its label map) lead to from an address that the old
/// files have and the new ones do not is `renamed`, not added and removed; the chain of moves is walked back as
/// far as needed (the old files may be several exports old). A reference to a renamed resource is no change
/// of the resource that holds it: after the move, it names the same object.
pub fn changes_from(export: &Export, mut read: impl FnMut(&str) -> Option<String>) -> Changes {
    use std::borrow::Cow;
    use std::collections::BTreeSet;
    let mut c = Changes::default();
    let mut old_addresses: BTreeSet<String> = BTreeSet::new();
    let mut new_addresses: BTreeSet<String> = BTreeSet::new();
    let old_texts: Vec<(ResourceKind, String)> = ResourceKind::ALL
        .iter()
        .map(|k| (*k, read(k.file_name()).unwrap_or_default()))
        .collect();
    // The blocks of the files that differ; of the others, only the addresses.
    let mut old_blocks: BTreeMap<String, Cow<'_, str>> = BTreeMap::new();
    let mut new_blocks: BTreeMap<String, Cow<'_, str>> = BTreeMap::new();
    for (kind, old_text) in &old_texts {
        let new_text = export
            .files
            .get(kind.file_name())
            .map(String::as_str)
            .unwrap_or("");
        if old_text == new_text {
            // The steady state of a scheduled export: nothing to split or compare.
            let same = resource_texts(new_text);
            new_addresses.extend(same.keys().cloned());
            old_addresses.extend(same.into_keys());
            continue;
        }
        let new = resource_texts(new_text);
        let old = resource_texts(old_text);
        new_addresses.extend(new.keys().cloned());
        old_addresses.extend(old.keys().cloned());
        new_blocks.extend(new);
        old_blocks.extend(old);
    }

    // Renames: walk each new address's moves back to an address only the old files have.
    let mut renamed_from: BTreeMap<String, String> = BTreeMap::new();
    let mut claimed: BTreeSet<String> = BTreeSet::new();
    for moves in moved::recorded(&export.files).values() {
        let back: HashMap<&str, &str> = moves
            .iter()
            .map(|(from, to)| (to.as_str(), from.as_str()))
            .collect();
        for to in moves.iter().map(|(_, to)| to) {
            if !new_addresses.contains(to) || old_addresses.contains(to) {
                continue;
            }
            let mut at = to.as_str();
            for _ in 0..moves.len() {
                let Some(from) = back.get(at).copied() else {
                    break;
                };
                if old_addresses.contains(from) && !new_addresses.contains(from) {
                    if claimed.insert(from.to_string()) {
                        renamed_from.insert(to.clone(), from.to_string());
                    }
                    break;
                }
                at = from;
            }
        }
    }
    // Old address -> new label, for references.
    let references: HashMap<String, String> = renamed_from
        .iter()
        .map(|(to, from)| {
            let label = to.split_once('.').map_or(to.as_str(), |(_, l)| l);
            (from.clone(), label.to_string())
        })
        .collect();

    for (address, block) in &new_blocks {
        match (old_blocks.get(address), renamed_from.get(address)) {
            (Some(previous), _) => {
                if !same_block_after_renames(previous, block, &references, None) {
                    c.changed.push(address.clone());
                }
            }
            (None, Some(from)) => {
                let (ty, label) = address.split_once('.').unwrap_or((address, ""));
                let changed = match old_blocks.get(from) {
                    Some(previous) => !same_block_after_renames(
                        previous,
                        block,
                        &references,
                        Some((label, moved::name_attribute(ty))),
                    ),
                    None => true,
                };
                c.renamed.push(Renamed {
                    from: from.clone(),
                    to: address.clone(),
                    changed,
                });
            }
            (None, None) => c.added.push(address.clone()),
        }
    }
    c.removed = old_addresses
        .into_iter()
        .filter(|a| !new_addresses.contains(a) && !claimed.contains(a))
        .collect();
    c.added.sort();
    c.changed.sort();
    c
}

/// [`same_block`], with references to renamed resources in `old` (old address → new label) read as their new
/// address, and with `relabel` (new label, name attribute): both blocks taken as at that label and without that
/// attribute, for a renamed resource.
fn same_block_after_renames(
    old: &str,
    new: &str,
    renames: &HashMap<String, String>,
    relabel: Option<(&str, &str)>,
) -> bool {
    if relabel.is_none() && (renames.is_empty() || old == new) {
        return same_block(old, new);
    }
    let (Ok(mut a), Ok(mut b)) = (::hcl::parse(old), ::hcl::parse(new)) else {
        return false;
    };
    moved::rename_references(&mut a, renames);
    if let Some((label, name)) = relabel {
        for body in [&mut a, &mut b] {
            for s in body.0.iter_mut() {
                if let ::hcl::Structure::Block(block) = s {
                    if let Some(l) = block.labels.get_mut(1) {
                        *l = ::hcl::BlockLabel::String(label.to_string());
                    }
                    block.body.0.retain(
                        |s| !matches!(s, ::hcl::Structure::Attribute(a) if a.key.as_str() == name),
                    );
                }
            }
        }
    }
    a == b
}

/// The text of every `resource` block of a file, by address. drsync's own files split at lines, without
/// parsing: a block opens with `resource "TYPE" "LABEL" {` at the start of a line and closes at the next line
/// that is just `}`, and nothing else starts at column 0 (drsync writes no heredocs, and quoted strings
/// cannot span lines). Any other file is parsed, and each block rendered; an unparseable file has no blocks
/// (so every resource in it counts as changed or removed).
fn resource_texts(text: &str) -> BTreeMap<String, std::borrow::Cow<'_, str>> {
    if let Some(split) = split_resources(text) {
        return split
            .into_iter()
            .map(|(a, t)| (a, std::borrow::Cow::Borrowed(t)))
            .collect();
    }
    let Ok(body) = ::hcl::parse(text) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for block in body.into_blocks().filter(|b| b.identifier() == "resource") {
        let labels: Vec<String> = block
            .labels()
            .iter()
            .map(|l| l.as_str().to_string())
            .collect();
        if let [t, l] = &labels[..] {
            let text = crate::hcl::to_string(&::hcl::Body::builder().add_block(block).build());
            out.insert(format!("{t}.{l}"), std::borrow::Cow::Owned(text));
        }
    }
    out
}

/// [`resource_texts`] for text in drsync's layout; `None` when the text is not in it.
fn split_resources(text: &str) -> Option<BTreeMap<String, &str>> {
    if text.contains("<<") {
        return None;
    }
    let mut out = BTreeMap::new();
    let mut open: Option<(String, usize)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        match &open {
            Some((address, from)) => {
                if content == "}" {
                    if out.insert(address.clone(), &text[*from..at]).is_some() {
                        return None;
                    }
                    open = None;
                } else if !(content.is_empty() || content.starts_with(' ')) {
                    return None;
                }
            }
            None => {
                if content.is_empty() || content.starts_with('#') {
                    continue;
                }
                let labels = content.strip_prefix("resource \"")?.strip_suffix("\" {")?;
                let (t, l) = labels.split_once("\" \"")?;
                let plain = |s: &str| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                };
                if !plain(t) || !plain(l) {
                    return None;
                }
                open = Some((format!("{t}.{l}"), start));
            }
        }
    }
    open.is_none().then_some(out)
}

/// Whether two resource blocks say the same: the same text, or, when the text differs, the same once parsed
/// (so that formatting does not count).
fn same_block(a: &str, b: &str) -> bool {
    a == b
        || match (::hcl::parse(a), ::hcl::parse(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::super::{LabelMap, Move, LABELS_FILE};

    #[test]
    fn removal_limit_is_configured_or_a_tenth_at_least_five() {
        assert_eq!(removal_limit(None, 0), 5);
        assert_eq!(removal_limit(None, 48), 5);
        assert_eq!(removal_limit(None, 51), 6);
        assert_eq!(removal_limit(None, 10_000), 1_000);
        assert_eq!(removal_limit(Some(0), 10_000), 0);
        let changes = Changes {
            removed: (0..6).map(|i| format!("databricks_job.j{i}")).collect(),
            added: vec!["databricks_job.new".to_string()],
            ..Changes::default()
        };
        assert_eq!(changes.previous_count(43), 48);
        let e = check_removals(&changes, 48, 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the export would remove 6 of 48 resources, more than the 5 allowed: databricks_job.j0, \
             databricks_job.j1, databricks_job.j2, databricks_job.j3, databricks_job.j4, databricks_job.j5"
        );
        assert!(check_removals(&changes, 48, 6).is_ok());
    }

    use super::*;

    fn export_of(jobs: &str) -> Export {
        Export {
            files: BTreeMap::from([("jobs.tf".to_string(), jobs.to_string())]),
            resources: Vec::new(),
            warnings: Vec::new(),
            rewrite: crate::rewrite::Report::default(),
            converted_ahead: 0,
            secrets_to_provide: Vec::new(),
        }
    }

    const CANONICAL: &str = "# Generated by drsync.\n\nresource \"databricks_job\" \"a\" {\n  name = \"a }\"\n}\n\nresource \"databricks_job\" \"b\" {\n  name = \"b\"\n  task {\n    task_key = \"t\"\n  }\n}\n";

    #[test]
    fn drsync_files_split_at_lines_and_others_are_parsed() {
        let split = split_resources(CANONICAL).unwrap();
        assert_eq!(
            split.keys().collect::<Vec<_>>(),
            ["databricks_job.a", "databricks_job.b"]
        );
        assert!(split["databricks_job.b"].ends_with("  }\n}\n"));
        // Not in drsync's layout: a heredoc, a block that never closes, content at column 0 inside a block.
        for text in [
            "resource \"databricks_job\" \"a\" {\n  name = <<EOT\n}\nEOT\n}\n",
            "resource \"databricks_job\" \"a\" {\n  name = \"a\"\n",
            "resource \"databricks_job\" \"a\" {\nname = \"a\"\n}\n",
            "resource \"databricks_job\" \"a\" {\n}\nresource \"databricks_job\" \"a\" {\n}\n",
        ] {
            assert_eq!(split_resources(text), None, "{text}");
        }
        // The heredoc file is still read, by parsing.
        let parsed =
            resource_texts("resource \"databricks_job\" \"a\" {\n  name = <<EOT\n}\nEOT\n}\n");
        assert_eq!(parsed.keys().collect::<Vec<_>>(), ["databricks_job.a"]);
    }

    #[test]
    fn changes_count_content_not_formatting() {
        let export = export_of(CANONICAL);
        let same = changes_from(&export, |_| Some(CANONICAL.to_string()));
        assert!(same.is_empty(), "{same:?}");
        // Hand-formatted, with a heredoc: parsed, and found to say the same.
        let reformatted = "resource \"databricks_job\" \"b\" {\n name=<<EOT\nb\nEOT\n   task {\n task_key = \"t\"\n}\n}\nresource \"databricks_job\" \"a\" {\n  name = \"a }\"\n}\n";
        let c = changes_from(&export, |_| {
            Some(reformatted.replace("<<EOT\nb\nEOT", "\"b\""))
        });
        assert!(c.is_empty(), "{c:?}");
        let with_heredoc = "resource \"databricks_job\" \"b\" {\n name=<<EOT\nb\nEOT\n   task {\n task_key = \"t\"\n}\n}\n";
        let c = changes_from(&export, |_| Some(with_heredoc.to_string()));
        assert_eq!(c.added, ["databricks_job.a"]);
        assert_eq!(
            c.changed,
            ["databricks_job.b"],
            "a heredoc \"b\\n\" is not \"b\""
        );
        let edited = CANONICAL.replace("task_key = \"t\"", "task_key = \"u\"");
        let c = changes_from(&export, |name| {
            (name == "jobs.tf")
                .then(|| format!("{edited}resource \"databricks_job\" \"gone\" {{\n}}\n"))
        });
        assert_eq!(
            c,
            Changes {
                added: vec![],
                changed: vec!["databricks_job.b".to_string()],
                removed: vec!["databricks_job.gone".to_string()],
                renamed: vec![],
            }
        );
        let c = changes_from(&export, |_| Some("not { hcl".to_string()));
        assert_eq!(c.added.len(), 2);
    }

    #[test]
    fn renames_are_neither_added_nor_removed_and_references_to_them_no_change() {
        let old_jobs = "resource \"databricks_job\" \"etl\" {\n  name = \"etl\"\n  task {\n    existing_cluster_id = databricks_cluster.shared.id\n  }\n}\n\nresource \"databricks_job\" \"other\" {\n  name = \"other\"\n  x    = databricks_cluster.shared.id\n}\n";
        let old_clusters =
            "resource \"databricks_cluster\" \"shared\" {\n  cluster_name = \"shared\"\n}\n";
        // etl renamed twice (etl -> etl_v2 -> etl_v3) and changed, the cluster renamed (shared -> common).
        let new_jobs = "resource \"databricks_job\" \"etl_v3\" {\n  name = \"etl v3\"\n  task {\n    existing_cluster_id = databricks_cluster.common.id\n  }\n  max_retries = 1\n}\n\nresource \"databricks_job\" \"other\" {\n  name = \"other\"\n  x    = databricks_cluster.common.id\n}\n";
        let new_clusters =
            "resource \"databricks_cluster\" \"common\" {\n  cluster_name = \"common\"\n}\n";
        let map = LabelMap {
            version: 1,
            workspace_id: None,
            resources: BTreeMap::new(),
            moved: BTreeMap::from([
                (
                    "databricks_job".to_string(),
                    vec![
                        Move {
                            from: "etl".into(),
                            to: "etl_v2".into(),
                        },
                        Move {
                            from: "etl_v2".into(),
                            to: "etl_v3".into(),
                        },
                    ],
                ),
                (
                    "databricks_cluster".to_string(),
                    vec![Move {
                        from: "shared".into(),
                        to: "common".into(),
                    }],
                ),
            ]),
        };
        let mut export = export_of(new_jobs);
        export
            .files
            .insert("clusters.tf".to_string(), new_clusters.to_string());
        export.files.insert(
            LABELS_FILE.to_string(),
            serde_json::to_string(&map).unwrap(),
        );
        let old = |name: &str| match name {
            "jobs.tf" => Some(old_jobs.to_string()),
            "clusters.tf" => Some(old_clusters.to_string()),
            _ => None,
        };
        let c = changes_from(&export, old);
        assert_eq!(
            c,
            Changes {
                added: vec![],
                changed: vec![],
                removed: vec![],
                renamed: vec![
                    Renamed {
                        from: "databricks_cluster.shared".into(),
                        to: "databricks_cluster.common".into(),
                        changed: false,
                    },
                    Renamed {
                        from: "databricks_job.etl".into(),
                        to: "databricks_job.etl_v3".into(),
                        changed: true,
                    },
                ],
            }
        );
        // The same labels without recorded moves: added and removed, as before.
        export.files.remove(LABELS_FILE);
        let c = changes_from(&export, old);
        assert_eq!(
            c.added,
            ["databricks_cluster.common", "databricks_job.etl_v3"]
        );
        assert_eq!(c.changed, ["databricks_job.other"]);
        assert_eq!(
            c.removed,
            ["databricks_cluster.shared", "databricks_job.etl"]
        );
        assert!(c.renamed.is_empty());
    }
}
