//! Access-control data the emulated workspace keeps: direct grants, the principals a grant may name, and how the
//! service spells them (provider-behaviour.md §6.3: e-mails lowercased). Data and pure helpers only: the
//! Permissions API (`permissions`) serves them, the workspace state (`state`) holds them.

use serde_json::Value;
use std::collections::BTreeSet;

/// The principal fields of an ACL entry (`AccessControlRequest`), and how the service names each kind in its
/// "does not exist" answer.
pub(crate) const PRINCIPAL_FIELDS: [(&str, &str); 3] = [
    ("user_name", "UserName"),
    ("group_name", "GroupName"),
    ("service_principal_name", "ServicePrincipalName"),
];

/// One direct grant: the principal (its field and name) and the level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) field: &'static str,
    pub(crate) name: String,
    pub(crate) level: String,
}

impl Grant {
    pub(crate) fn same_principal(&self, other: &Grant) -> bool {
        self.field == other.field && self.name == other.name
    }
}

/// The principals a workspace knows, by kind: users (lowercased, as the service keeps emails: §6.3 diff 1),
/// groups and service principals (application ids). The SCIM API, when the emulator has it, feeds this.
#[derive(Debug, Default, Clone)]
pub(crate) struct Principals {
    pub(crate) users: BTreeSet<String>,
    pub(crate) groups: BTreeSet<String>,
    pub(crate) service_principals: BTreeSet<String>,
}

impl Principals {
    /// Learn the principal an ACL entry (or `AccessControlRequest`) names, if it names one.
    pub(crate) fn learn(&mut self, entry: &Value) {
        if let Some((field, name)) = principal_of(entry) {
            self.set_mut(field).insert(canonical(field, name));
        }
    }

    fn set_mut(&mut self, field: &str) -> &mut BTreeSet<String> {
        match field {
            "user_name" => &mut self.users,
            "group_name" => &mut self.groups,
            _ => &mut self.service_principals,
        }
    }

    pub(crate) fn knows(&self, field: &str, name: &str) -> bool {
        match field {
            "user_name" => self.users.contains(name),
            "group_name" => self.groups.contains(name),
            _ => self.service_principals.contains(name),
        }
    }
}

/// A principal's name as the service keeps it: emails lowercased (§6.3 diff 1), others as given.
pub(crate) fn canonical(field: &str, name: &str) -> String {
    if field == "user_name" {
        name.to_lowercase()
    } else {
        name.to_string()
    }
}

/// The principal field and name of an entry.
fn principal_of(entry: &Value) -> Option<(&'static str, &str)> {
    PRINCIPAL_FIELDS.iter().find_map(|(field, _)| {
        entry
            .get(*field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| (*field, s))
    })
}

/// The direct grants of an object from a fixture's `ObjectPermissions` body: its non-inherited permissions.
pub(crate) fn direct_grants(body: &Value) -> Vec<Grant> {
    let mut out = Vec::new();
    for entry in body
        .get("access_control_list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some((field, name)) = principal_of(entry) else {
            continue;
        };
        for p in entry
            .get("all_permissions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if p.get("inherited").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            if let Some(level) = p.get("permission_level").and_then(Value::as_str) {
                out.push(Grant {
                    field,
                    name: canonical(field, name),
                    level: level.to_string(),
                });
            }
        }
    }
    out
}

/// The creators of objects, as principals (`{"user_name": ...}` or `{"service_principal_name": ...}`): jobs,
/// clusters, pools and pipelines name theirs in `creator_user_name`, warehouses in `creator_name`
/// (databricks-sdk-py `jobs.Job`, `compute.ClusterDetails`, `compute.GetInstancePool`,
/// `pipelines.GetPipelineResponse`, `sql.GetWarehouseResponse`).
pub(crate) fn creators<'a>(
    objects: impl Iterator<Item = &'a Value>,
    warehouses: impl Iterator<Item = &'a Value>,
) -> Vec<Value> {
    objects
        .filter_map(|o| o.get("creator_user_name"))
        .chain(warehouses.filter_map(|w| w.get("creator_name")))
        .filter_map(Value::as_str)
        .map(|creator| serde_json::json!({ (principal_field(creator)): creator }))
        .collect()
}

/// The principal field of a name that may be a user's or a service principal's: a service principal is named
/// by its application id, a lowercase UUID, a user by an e-mail (the provider's rule for `run_as_user_name`,
/// provider-behaviour.md §2.4, §13).
pub(crate) fn principal_field(name: &str) -> &'static str {
    if is_application_id(name) {
        "service_principal_name"
    } else {
        "user_name"
    }
}

/// Whether a principal name is a service principal's application id: a lowercase UUID.
pub(crate) fn is_application_id(name: &str) -> bool {
    let groups: Vec<&str> = name.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}
