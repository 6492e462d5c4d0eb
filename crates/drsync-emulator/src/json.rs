//! Small helpers over serde_json values, shared by the API modules. Pure: no state, no HTTP.

use serde_json::{Map, Value};

/// The string of a field, `""` when it is missing or not a string.
pub(crate) fn str_field<'a>(c: &'a Value, key: &str) -> &'a str {
    c.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The object `v` is, made one first if it is not.
pub(crate) fn obj_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().expect("just made an object")
}

/// Merge `defaults` under the caller's object at `key` (the caller's values win).
pub(crate) fn merge_defaults(map: &mut Map<String, Value>, key: &str, defaults: Value) {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let (Some(slot), Value::Object(defaults)) = (slot.as_object_mut(), defaults) {
        for (k, v) in defaults {
            slot.entry(k).or_insert(v);
        }
    }
}
