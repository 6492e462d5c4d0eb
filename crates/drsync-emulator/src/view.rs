//! Response bodies assembled from borrowed parts of the stored objects, so that large read replies (`jobs/list`,
//! `jobs/get`, `clusters/list`) are serialised straight from the workspace without cloning it. An [`Obj`]
//! serialises exactly as the `serde_json::Value::Object` built from the same entries would: keys sorted, a later
//! [`Obj::put`] of a key replacing the earlier value.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// One value of a response body.
#[derive(Debug)]
pub(crate) enum Part<'a> {
    /// A stored value, as it is.
    Value(&'a Value),
    /// A run of a stored array, serialised as an array.
    Items(&'a [Value]),
    /// An object assembled from parts.
    Obj(Obj<'a>),
    /// An array of parts.
    List(Vec<Part<'a>>),
    /// A fixed string such as `MULTI_TASK`.
    Str(&'static str),
    /// A computed string such as a page token.
    String(String),
    Bool(bool),
}

impl Serialize for Part<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Part::Value(v) => v.serialize(s),
            Part::Items(items) => s.collect_seq(items.iter()),
            Part::Obj(o) => o.serialize(s),
            Part::List(parts) => s.collect_seq(parts.iter()),
            Part::Str(v) => s.serialize_str(v),
            Part::String(v) => s.serialize_str(v),
            Part::Bool(b) => s.serialize_bool(*b),
        }
    }
}

/// A JSON object of borrowed parts. Its keys are kept sorted, as `serde_json::Map` (a `BTreeMap` here) keeps
/// them, so the bytes written are those of the equivalent `Value`.
#[derive(Debug, Default)]
pub(crate) struct Obj<'a> {
    entries: Vec<(&'a str, Part<'a>)>,
}

impl<'a> Obj<'a> {
    /// An empty object with room for `n` entries.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Obj {
            entries: Vec::with_capacity(n),
        }
    }

    /// The stored object's entries for which `keep` holds, as they are.
    pub(crate) fn from_map(
        map: &'a Map<String, Value>,
        keep: impl Fn(&str, &Value) -> bool,
    ) -> Self {
        let mut obj = Obj::with_capacity(map.len() + 2);
        obj.entries.extend(
            map.iter()
                .filter(|(k, v)| keep(k, v))
                .map(|(k, v)| (k.as_str(), Part::Value(v))),
        );
        obj
    }

    /// Like [`Obj::from_map`]; a stored value that is not an object gives an empty object.
    pub(crate) fn from_value(value: &'a Value, keep: impl Fn(&str, &Value) -> bool) -> Self {
        match value.as_object() {
            Some(map) => Obj::from_map(map, keep),
            None => Obj::with_capacity(2),
        }
    }

    /// Set `key`, replacing any value it has (as `Map::insert` does), keeping the keys sorted.
    pub(crate) fn put(&mut self, key: &'a str, part: Part<'a>) {
        match self.entries.binary_search_by(|(k, _)| (*k).cmp(key)) {
            Ok(i) => self.entries[i].1 = part,
            Err(i) => self.entries.insert(i, (key, part)),
        }
    }
}

impl Serialize for Obj<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_as_the_equivalent_value() {
        let stored =
            json!({"b": [1, 2, 3], "a": {"x": "\"q\""}, "format": "SINGLE_TASK", "z": null});
        let map = stored.as_object().unwrap();
        let mut obj = Obj::from_map(map, |k, _| k != "z");
        obj.put("format", Part::Str("MULTI_TASK"));
        obj.put("b", Part::Items(&map["b"].as_array().unwrap()[..2]));
        obj.put("has_more", Part::Bool(true));
        obj.put(
            "list",
            Part::List(vec![Part::Obj(Obj::default()), Part::String("t".into())]),
        );
        let want = json!({
            "a": {"x": "\"q\""}, "b": [1, 2], "format": "MULTI_TASK", "has_more": true, "list": [{}, "t"]
        });
        assert_eq!(
            serde_json::to_string(&obj).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
        let empty = |o: Obj<'_>| serde_json::to_string(&o).unwrap() == "{}";
        assert!(empty(Obj::from_map(map, |_, _| false)));
        assert!(empty(Obj::from_value(&json!([1]), |_, _| true)));
    }
}
