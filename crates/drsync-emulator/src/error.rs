//! Error replies in the shapes the real service sends, and the emulator's own start-up errors.
//! It must not invent shapes: every body here is one a real workspace was seen to send.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::path::PathBuf;

/// An error reply of the REST API: status, `error_code` and `message`, as the service sends them.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    /// A string such as `INVALID_PARAMETER_VALUE`, or a number (the real service sends `403` for a bad token).
    pub(crate) error_code: Value,
    pub(crate) message: String,
    pub(crate) retry_after: Option<u64>,
    pub(crate) reason_phrase: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error_code: Value::String(code.to_string()),
            message: message.into(),
            retry_after: None,
            reason_phrase: None,
        }
    }

    /// 400 `INVALID_PARAMETER_VALUE`: bad parameters, and (as the real service does) missing jobs and clusters.
    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", message)
    }

    /// 400 `INVALID_STATE`, e.g. editing a cluster that is pending.
    pub(crate) fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_STATE", message)
    }

    /// 400 `MALFORMED_REQUEST`: a body that is not the JSON the endpoint takes.
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", message)
    }

    /// 404 `RESOURCE_DOES_NOT_EXIST`, as pools, policies and workspace objects answer.
    pub(crate) fn does_not_exist(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", message)
    }

    /// 400 `RESOURCE_ALREADY_EXISTS` (pool and policy names are unique).
    pub(crate) fn already_exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "RESOURCE_ALREADY_EXISTS", message)
    }

    /// 404 `ENDPOINT_NOT_FOUND` for a route the API does not have.
    pub(crate) fn no_endpoint(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ENDPOINT_NOT_FOUND",
            format!("No API found for '{method} {path}'"),
        )
    }

    /// 401: no credential at all.
    pub(crate) fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Credential was not sent or was of an unsupported type for this API.",
        )
    }

    /// 403 with the numeric `error_code` the real service sends for an unknown or expired token.
    pub(crate) fn invalid_token() -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            error_code: json!(403),
            message: "Invalid access token.".to_string(),
            retry_after: None,
            reason_phrase: Some("Invalid access token."),
        }
    }

    /// 429 `REQUEST_LIMIT_EXCEEDED` with `Retry-After`, the body databricks-api.md §3 "Rate limiting" quotes.
    pub(crate) fn rate_limited(path: &str, retry_after: u64) -> Self {
        let rpc = path.rsplit('/').next().unwrap_or("Request");
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "REQUEST_LIMIT_EXCEEDED",
            format!("{rpc} RPC token bucket limit has been exceeded."),
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// A fault-injected status other than 429.
    pub(crate) fn injected(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            500 => (
                "INTERNAL_ERROR",
                "Unexpected error. Please try again later.",
            ),
            502 => ("BAD_GATEWAY", "Bad gateway."),
            503 => (
                "TEMPORARILY_UNAVAILABLE",
                "The service is temporarily unavailable. Please try again later.",
            ),
            504 => ("DEADLINE_EXCEEDED", "The request timed out."),
            // 403 is PermissionDenied, `PERMISSION_DENIED` its code (databricks-api.md §3, status mapping).
            403 => ("PERMISSION_DENIED", "Injected fault: permission denied."),
            _ => ("INTERNAL_ERROR", "Injected fault."),
        };
        let mut e = Self::new(status, code, message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            e.retry_after = Some(1);
        }
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error_code": self.error_code, "message": self.message });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        if let Some(reason) = self.reason_phrase {
            resp.headers_mut().insert(
                "x-databricks-reason-phrase",
                HeaderValue::from_static(reason),
            );
        }
        resp
    }
}

/// An error reply of the SCIM API: `{"schemas": [...Error], "detail": ..., "status": "404", "scimType": ...}`
/// (databricks-api.md §3 (c); RFC 7644 §3.12: `status` is a string, `scimType` only for some 400s and 409s).
#[derive(Debug, Clone)]
pub(crate) struct ScimError {
    pub(crate) status: StatusCode,
    pub(crate) scim_type: Option<&'static str>,
    pub(crate) detail: String,
}

impl ScimError {
    pub(crate) fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "detail": self.detail,
            "status": self.status.as_u16().to_string(),
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A fixture file could not be read.
    #[error("cannot read fixture {path}")]
    FixtureRead {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A fixture file is not the API body it should be.
    #[error("fixture {path} is not valid: {reason}")]
    FixtureInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column where JSON parsing failed.
        reason: String,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A `--fault` or `--client` specification could not be parsed.
    #[error("invalid {what} `{spec}`: {reason}")]
    Spec {
        /// Which option.
        what: &'static str,
        /// The text given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
}
