//! Request decoding as the real service does it: flattened, repeatable query keys and strict JSON bodies.
//! Decoding errors become the 400 replies the real service gives; nothing here touches state.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

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

    /// An enumerated parameter: the value of the choice it names, `None` when it is not given, and a 400 with
    /// the message `invalid` makes of the value when it names none.
    pub(crate) fn get_choice<T: Copy>(
        &self,
        key: &str,
        choices: &[(&str, T)],
        invalid: impl FnOnce(&str) -> String,
    ) -> Result<Option<T>, ApiError> {
        let Some(given) = self.get(key) else {
            return Ok(None);
        };
        match choices.iter().find(|(name, _)| *name == given) {
            Some((_, value)) => Ok(Some(*value)),
            None => Err(ApiError::invalid_parameter(invalid(given))),
        }
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

/// The sort directions of list parameters (`ASC`, `DESC`), as "descending?".
pub(crate) const DIRECTIONS: &[(&str, bool)] = &[("ASC", false), ("DESC", true)];

/// Decode a JSON request body; an empty or malformed body is the 400 the real service gives.
pub(crate) fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        return serde_json::from_slice(b"{}")
            .map_err(|e| ApiError::malformed(format!("Could not parse request object: {e}")));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::malformed(format!("Could not parse request object: {e}")))
}

/// A JSON request body that must be an object.
pub(crate) fn body_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match json_body::<Value>(body)? {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::malformed(
            "Could not parse request object: Expected a JSON object",
        )),
    }
}

/// A required, non-empty string field of a request body; a value of any other type counts as missing.
pub(crate) fn required_str(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(ApiError::invalid_parameter(format!(
            "Missing required field: {key}"
        ))),
    }
}

/// A JSON request body that must be an object, as a handler argument: the same 400s as [`body_object`].
pub(crate) struct JsonObject(pub(crate) Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        body_object(&body)
            .map(JsonObject)
            .map_err(IntoResponse::into_response)
    }
}

/// One page of `map` in key order after a `page_token` of the form `after:<last key of the page before>` (the
/// emulator's own token for lists ordered by id: pipelines, SQL warehouses), at most `size` items; with the
/// token of the next page when more remain. A token of another form is the service's `Invalid page token`.
pub(crate) fn page_after<'a>(
    map: &'a std::collections::BTreeMap<String, Value>,
    token: Option<&str>,
    size: usize,
) -> Result<(Vec<&'a Value>, Option<String>), ApiError> {
    let after = match token {
        None | Some("") => None,
        Some(t) => Some(
            t.strip_prefix("after:")
                .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid page token: {t}")))?,
        ),
    };
    let mut rest = map
        .iter()
        .filter(|(id, _)| after.is_none_or(|a| id.as_str() > a));
    let page: Vec<(&String, &Value)> = rest.by_ref().take(size).collect();
    let next = match (rest.next(), page.last()) {
        (Some(_), Some((last, _))) => Some(format!("after:{last}")),
        _ => None,
    };
    Ok((page.into_iter().map(|(_, v)| v).collect(), next))
}
