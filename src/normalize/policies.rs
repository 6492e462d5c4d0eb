//! A cluster policy's canonical configuration (`cluster_policy`): its JSON documents parsed, what the service
//! computes dropped. No I/O, no HCL.

use super::{prune, remove_keys, Normalized};
use crate::model::{ClusterPolicy, ResourceKind};
use serde_json::{Map, Value};

/// Policy fields that are not configuration: output-only in the API (`databricks-api.md` §1.4), and `policy_id`,
/// the object's identity, which differs per workspace.
const POLICY_OUTPUT_ONLY: &[&str] = &[
    "policy_id",            // workspace-specific; the resource's identity in state
    "created_at_timestamp", //
    "creator_user_name",    //
    "is_default",           // built-in policies (Personal Compute, ...)
];

/// A cluster policy's canonical configuration. `definition` and `policy_family_definition_overrides` are
/// parsed from their JSON strings, so that a change shows as a change of one rule, not of one long string.
/// A family-based policy's `definition` is computed by the service from the family and the overrides, so it
/// is dropped: the provider's `definition` is Optional and Computed and conflicts with `policy_family_id`
/// (`provider-behaviour.md` §5.3), and an update with a family blanks it (§5.2).
pub fn cluster_policy(p: &ClusterPolicy) -> Normalized {
    let mut spec = match serde_json::to_value(p) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    remove_keys(&mut spec, POLICY_OUTPUT_ONLY);
    if spec.contains_key("policy_family_id") {
        spec.remove("definition");
    }
    for key in ["definition", "policy_family_definition_overrides"] {
        if let Some(Value::String(text)) = spec.get(key) {
            if let Ok(parsed @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
                spec.insert(key.to_string(), parsed);
            }
        }
    }
    let mut config = Value::Object(spec);
    // An empty policy definition `{}` means "no rules" and is worth keeping only when it is all there is.
    prune(&mut config);
    Normalized::new(
        ResourceKind::ClusterPolicies,
        p.policy_id.clone(),
        p.name.clone(),
        p.extra
            .get("created_at_timestamp")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        config,
    )
}
