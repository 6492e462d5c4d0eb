//! An instance pool's canonical configuration (`instance_pool`): runtime state dropped, and what the provider
//! cannot send noted. Rules cite `§n` of provider-behaviour.md (see the parent module). No I/O, no HCL.

use super::clusters::aws_defaults;
use super::{drop_zeros, prune, remove_equal, remove_keys, Normalized, Note};
use crate::model::{InstancePool, ResourceKind};
use serde_json::{json, Map, Value};

/// InstancePoolAndStats fields that describe the running pool, not its configuration.
const POOL_OUTPUT_ONLY: &[&str] = &[
    "instance_pool_id", // workspace-specific; the resource's identity in state
    "state",            // ACTIVE/STOPPED/DELETED
    "stats",            // used and idle instance counts
    "status",           // pending instance errors
    "default_tags",     // Vendor, DatabricksInstancePoolCreatorId, DatabricksInstancePoolId
];

/// An instance pool's canonical configuration.
pub fn instance_pool(p: &InstancePool) -> Normalized {
    let mut spec = match serde_json::to_value(p) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    remove_keys(&mut spec, POOL_OUTPUT_ONLY);
    let mut notes = Vec::new();
    // Pools get autoscaling local storage unless it is turned off, and the provider 1.99.0 never sends `false`
    // (`omitempty`, §4.2): either way the DR pool has it, so neither value is configuration drsync can carry.
    if spec.remove("enable_elastic_disk") == Some(json!(false)) {
        notes.push(Note {
            path: "enable_elastic_disk".to_string(),
            message: "is false, which the provider 1.99.0 cannot send: the DR pool gets autoscaling local \
                      storage"
                .to_string(),
        });
    }
    if let Some(Value::Object(aws)) = spec.get_mut("aws_attributes") {
        remove_equal(aws, &aws_defaults());
    }
    drop_zeros(&mut spec, "", &mut notes);
    let mut config = Value::Object(spec);
    prune(&mut config);
    let mut n = Normalized::new(
        ResourceKind::InstancePools,
        p.instance_pool_id.clone(),
        p.instance_pool_name.clone(),
        0,
        config,
    );
    n.notes = notes;
    n
}
