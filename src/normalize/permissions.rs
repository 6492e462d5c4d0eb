//! The canonical grants of one object, as `databricks_permissions` carries them: its direct entries only, in
//! the provider's view (provider-behaviour.md §6.3 Read, §13 "databricks_permissions"). Pure: no I/O, no HCL.
//!
//! Rules, each from the provider:
//! - only **direct** (non-inherited) permissions: inherited ones never reach state (§6.3, §6.3 diff 4);
//! - never the **`admins`** group: its entries fail at apply (§6.2) and Read drops them (§6.3);
//! - **user names as the API returns them**: the API lowercases e-mails, and a mixed-case `user_name` diffs on
//!   every plan at 1.99.0 (§6.3 diff 1);
//! - the **owner** (`IS_OWNER`, jobs and the other owned types) is always kept: without it the applier becomes
//!   the owner in DR and the real owner shows as drift ever after (§6.2, §6.3 diff 2, §13);
//! - the **reading identity's own entries** are left out, except its `IS_OWNER`: the provider's Read drops the
//!   applying identity's entries unless the configuration has them (§6.3), and its exporter reads as the
//!   exporting identity, so it leaves them out too (§6.6). drsync does the same, on both sides: the export
//!   leaves out the exporter's grants, drift leaves out the DR reader's (the identity that applied the HCL, whose
//!   `CAN_MANAGE` the provider adds on clusters, pools and warehouses, §6.2). Writing them could fail the
//!   apply, when the exporter is also the DR applier and the level is not a management one (§6.2, "cannot
//!   remove management permissions for the current user"), and would diff once on import (§6.3 diff 3). An
//!   `IS_OWNER` of the reader is kept (§13: exactly one owner), and it is a management level, so applying it
//!   as that identity passes; an object whose only grant is the reader's ownership gets no resource (applying
//!   makes the applier the owner anyway, §6.2, and a DR object its applier owns alone is no drift);
//! - entries **sorted** by principal (kind, then name), then level: `access_control` is a set (§6.1), so the
//!   order only makes the output stable;
//! - an object left with **no entries gets no resource**: the provider's exporter ignores it (§6.6, "Ignored
//!   when `access_control` is empty"), and its Read would remove it from state (§6.3 "Empty ACL").

use super::{Normalized, Note};
use crate::model::{ObjectPermissions, PermissionsTarget, ResourceKind};
use serde_json::{json, Map, Value};

/// The principal fields of an entry, in the order entries sort by.
const PRINCIPALS: [&str; 3] = ["user_name", "group_name", "service_principal_name"];

/// The group whose grants are the workspace admins' (§6.2, §6.3).
const ADMINS: &str = "admins";

/// The canonical grants of one object, read as `reader`; `None` when it has no grant to carry (an object of a
/// kind drsync does not export grants of, or no direct entry left).
pub fn object_permissions(p: &ObjectPermissions, reader: Option<&str>) -> Option<Normalized> {
    let (target, id) = PermissionsTarget::of_object_id(&p.object_id)?;
    let mut notes = Vec::new();
    let mut entries: Vec<(usize, String, String)> = Vec::new();
    for entry in &p.access_control_list {
        let Some((kind, name)) = [
            entry.user_name.as_deref(),
            entry.group_name.as_deref(),
            entry.service_principal_name.as_deref(),
        ]
        .into_iter()
        .enumerate()
        .find_map(|(k, n)| n.filter(|n| !n.is_empty()).map(|n| (k, n))) else {
            continue;
        };
        if kind == 1 && name == ADMINS {
            continue;
        }
        let is_reader = kind != 1 && reader.is_some_and(|r| r.eq_ignore_ascii_case(name));
        for level in entry
            .all_permissions
            .iter()
            .filter(|perm| !perm.inherited)
            .map(|perm| perm.permission_level.as_str())
        {
            if is_reader && level != "IS_OWNER" {
                notes.push(Note {
                    path: format!("access_control[{}={name}]", PRINCIPALS[kind]),
                    message: format!(
                        "the reading identity's own {level} is left out, as the provider's Read leaves it out; \
                         in DR the identity that applies the HCL holds it"
                    ),
                });
                continue;
            }
            entries.push((kind, name.to_string(), level.to_string()));
        }
    }
    entries.sort();
    entries.dedup();
    // Nothing but the reader's own ownership is what applying gives anyway (the provider makes the applier the
    // owner, §6.2): no grant to carry. Drift sees the same of a DR object its applier owns and nobody else may
    // use, such as a job whose creator was deleted on the primary.
    let only_reader = entries
        .iter()
        .all(|(kind, name, _)| *kind != 1 && reader.is_some_and(|r| r.eq_ignore_ascii_case(name)));
    if entries.is_empty() || only_reader {
        return None;
    }
    if target.owned && !entries.iter().any(|(_, _, l)| l == "IS_OWNER") {
        notes.push(Note {
            path: "access_control".to_string(),
            message:
                "has no owner (IS_OWNER): the identity that applies the HCL becomes its owner in DR"
                    .to_string(),
        });
    }
    let access_control: Vec<Value> = entries
        .into_iter()
        .map(|(kind, name, level)| json!({ PRINCIPALS[kind]: name, "permission_level": level }))
        .collect();
    let mut config = Map::new();
    config.insert(target.attribute.to_string(), Value::String(id.to_string()));
    config.insert("access_control".to_string(), Value::Array(access_control));
    let mut n = Normalized::new(
        ResourceKind::Permissions,
        p.object_id.clone(),
        p.object_id.clone(),
        0,
        Value::Object(config),
    );
    n.notes = notes;
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(object_id: &str, entries: Value) -> ObjectPermissions {
        serde_json::from_value(json!({
            "object_id": object_id,
            "object_type": "job",
            "access_control_list": entries,
        }))
        .unwrap()
    }

    fn direct(level: &str) -> Value {
        json!([{"permission_level": level, "inherited": false}])
    }

    #[test]
    fn direct_entries_sorted_without_admins_or_inherited() {
        let p = acl(
            "/jobs/42",
            json!([
                {"service_principal_name": "9d7a", "all_permissions": direct("CAN_MANAGE")},
                {"group_name": "data-eng", "all_permissions": [
                    {"permission_level": "CAN_VIEW", "inherited": true, "inherited_from_object": ["/directories/1"]},
                    {"permission_level": "CAN_MANAGE_RUN", "inherited": false}
                ]},
                {"user_name": "alice@x.com", "display_name": "Alice", "all_permissions": direct("IS_OWNER")},
                {"group_name": "admins", "all_permissions": [
                    {"permission_level": "CAN_MANAGE", "inherited": true, "inherited_from_object": ["/jobs/"]}
                ]}
            ]),
        );
        let n = object_permissions(&p, Some("exporter@x.com")).unwrap();
        assert_eq!(n.kind, ResourceKind::Permissions);
        assert_eq!(n.id, "/jobs/42");
        assert_eq!(
            n.config,
            json!({
                "job_id": "42",
                "access_control": [
                    {"user_name": "alice@x.com", "permission_level": "IS_OWNER"},
                    {"group_name": "data-eng", "permission_level": "CAN_MANAGE_RUN"},
                    {"service_principal_name": "9d7a", "permission_level": "CAN_MANAGE"}
                ]
            })
        );
        assert!(n.notes.is_empty());
    }

    #[test]
    fn the_readers_own_entries_go_except_its_ownership() {
        let p = acl(
            "/clusters/c-1",
            json!([
                {"user_name": "me@x.com", "all_permissions": direct("CAN_MANAGE")},
                {"group_name": "eng", "all_permissions": direct("CAN_ATTACH_TO")}
            ]),
        );
        let n = object_permissions(&p, Some("ME@x.com")).unwrap();
        assert_eq!(
            n.config,
            json!({"cluster_id": "c-1", "access_control": [{"group_name": "eng", "permission_level": "CAN_ATTACH_TO"}]})
        );
        assert_eq!(n.notes.len(), 1, "{:?}", n.notes);
        // Only the reader's grant: no resource at all.
        let only_me = acl(
            "/instance-pools/p-1",
            json!([{"user_name": "me@x.com", "all_permissions": direct("CAN_MANAGE")}]),
        );
        assert_eq!(object_permissions(&only_me, Some("me@x.com")), None);
        // The reader's ownership stays, with other grants; alone, it is what applying gives anyway.
        let owned = acl(
            "/jobs/7",
            json!([
                {"user_name": "me@x.com", "all_permissions": direct("IS_OWNER")},
                {"group_name": "eng", "all_permissions": direct("CAN_VIEW")}
            ]),
        );
        let n = object_permissions(&owned, Some("me@x.com")).unwrap();
        assert_eq!(
            n.config["access_control"],
            json!([
                {"user_name": "me@x.com", "permission_level": "IS_OWNER"},
                {"group_name": "eng", "permission_level": "CAN_VIEW"}
            ])
        );
        let owned_alone = acl(
            "/jobs/8",
            json!([{"user_name": "me@x.com", "all_permissions": direct("IS_OWNER")}]),
        );
        assert_eq!(object_permissions(&owned_alone, Some("me@x.com")), None);
    }

    #[test]
    fn nothing_direct_no_resource_and_unknown_types_ignored() {
        let inherited_only = acl(
            "/cluster-policies/ABC",
            json!([{"group_name": "admins", "all_permissions": [
                {"permission_level": "CAN_USE", "inherited": true, "inherited_from_object": ["/cluster-policies/"]}
            ]}]),
        );
        assert_eq!(object_permissions(&inherited_only, None), None);
        let other = acl(
            "/notebooks/12",
            json!([{"group_name": "eng", "all_permissions": direct("CAN_READ")}]),
        );
        assert_eq!(object_permissions(&other, None), None);
        // An owned type without an owner is noted.
        let no_owner = acl(
            "/jobs/9",
            json!([{"group_name": "eng", "all_permissions": direct("CAN_VIEW")}]),
        );
        let n = object_permissions(&no_owner, None).unwrap();
        assert_eq!(n.notes.len(), 1);
    }
}
