//! Request decoding as the real service does it: flattened, repeatable query keys and strict JSON bodies.
//! Decoding errors become the 400 replies the real service gives; nothing here touches state.

use super::error::ApiError;
use axum::body::Bytes;
use serde::de::DeserializeOwned;

/// The query string of a GET, with repeated keys kept (`filter_by.cluster_states=A&filter_by.cluster_states=B`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Query(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The first value of `key`, if given and not empty.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated key.
    pub(crate) fn get_all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A required parameter.
    pub(crate) fn require(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key)
            .ok_or_else(|| ApiError::invalid_parameter(format!("Missing required field: {key}")))
    }

    /// An integer parameter; a value that is not a number is a 400.
    pub(crate) fn get_i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::invalid_parameter(format!(
                        "Could not parse request object: Expected an integer for '{key}' but got '{v}'"
                    ))
                })
            })
            .transpose()
    }

    /// A boolean parameter, sent as `true`/`false`.
    pub(crate) fn get_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.get(key)
            .map(|v| match v {
                "true" | "True" | "TRUE" => Ok(true),
                "false" | "False" | "FALSE" => Ok(false),
                _ => Err(ApiError::invalid_parameter(format!(
                    "Could not parse request object: Expected a boolean for '{key}' but got '{v}'"
                ))),
            })
            .transpose()
    }
}

/// Decode a JSON request body; an empty or malformed body is the 400 the real service gives.
pub(crate) fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        return serde_json::from_slice(b"{}")
            .map_err(|e| ApiError::malformed(format!("Could not parse request object: {e}")));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::malformed(format!("Could not parse request object: {e}")))
}
