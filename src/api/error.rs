//! The client's errors. Each names the workspace, the method and the path, and the API's `error_code` and
//! message where there was one. None carries a token: requests are described by method and path only.

use std::time::Duration;

/// What went wrong talking to a workspace.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The workspace answered with an error.
    #[error("{workspace}: {method} {path} failed with HTTP {status}{}: {message}{}",
        code.as_deref().filter(|c| !c.chars().all(|ch| ch.is_ascii_digit())).map(|c| format!(" {c}")).unwrap_or_default(),
        retried(*attempts))]
    Api {
        /// The workspace's name in drsync.toml (or its host).
        workspace: String,
        /// HTTP method.
        method: String,
        /// Request path, without the query.
        path: String,
        /// HTTP status.
        status: u16,
        /// The API's `error_code` (a number on some 403s, rendered as text).
        code: Option<String>,
        /// The API's message, or the reason phrase when the body had none.
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The request never got a complete answer.
    #[error("{workspace}: {method} {path}: {what}{}", retried(*attempts))]
    Transport {
        /// The workspace.
        workspace: String,
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// What happened (connection refused, reset, timeout, ...).
        what: String,
        /// How many attempts were made.
        attempts: u32,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The answer was not the JSON the endpoint returns.
    #[error("{workspace}: {method} {path}: the response is not valid JSON ({reason}){}", retried(*attempts))]
    Decode {
        /// The workspace.
        workspace: String,
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The parse error, with line and column.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// A listing does not end: the server repeats a page token, or pages past any real workspace's size.
    #[error("{workspace}: GET {path}: the listing does not end ({reason}); nothing was read")]
    Paging {
        /// The workspace.
        workspace: String,
        /// Request path.
        path: String,
        /// What was seen.
        reason: String,
    },
    /// Retrying would run past the deadline.
    #[error("{workspace}: {method} {path}: gave up after {attempts} attempts in {:.1}s (deadline {:.0}s); last error: {last}",
        elapsed.as_secs_f64(), deadline.as_secs_f64())]
    Deadline {
        /// The workspace.
        workspace: String,
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// How many attempts were made.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The deadline.
        deadline: Duration,
        /// The last failure.
        last: String,
    },
    /// The command's overall deadline ([`super::ClientOptions::command_deadline`]) passed while this call was
    /// waiting (for its turn, an answer or a retry).
    #[error(
        "{workspace}: {method} {path}: the command's deadline of {} passed while waiting for it",
        seconds(deadline)
    )]
    CommandDeadline {
        /// The workspace.
        workspace: String,
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The deadline, counted from the start of the command.
        deadline: Duration,
    },
    /// The OAuth token endpoint refused the client credentials or failed.
    #[error("{workspace}: OAuth token request to {endpoint} failed: {message}")]
    OAuth {
        /// The workspace.
        workspace: String,
        /// The token endpoint.
        endpoint: String,
        /// The `error` and `error_description`, or the transport failure.
        message: String,
    },
    /// The host is not a usable workspace URL.
    #[error("{workspace}: invalid host `{host}`: {reason}")]
    InvalidHost {
        /// The workspace.
        workspace: String,
        /// The host as configured.
        host: String,
        /// What is wrong.
        reason: String,
    },
    /// A plain-http host that is not loopback.
    #[error("{workspace}: refusing plain http:// host `{host}`: tokens would cross the network unencrypted")]
    InsecureHost {
        /// The workspace.
        workspace: String,
        /// The host as configured.
        host: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Setup(#[source] reqwest::Error),
}

/// `7200s`, `1.5s`: a deadline as the user gave it.
fn seconds(d: &Duration) -> String {
    let secs = d.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0}s")
    } else {
        format!("{secs:.1}s")
    }
}

fn retried(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl Error {
    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the credentials were refused (401, 403 on a token, or an OAuth failure).
    pub fn is_auth(&self) -> bool {
        match self {
            Error::Api { status: 401, .. } | Error::OAuth { .. } => true,
            Error::Api {
                status: 403,
                code,
                message,
                ..
            } => code.as_deref() == Some("403") || message.contains("Invalid access token"),
            _ => false,
        }
    }

    /// Whether the object asked for does not exist (404, or the 400 "... does not exist" jobs and clusters give).
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Api {
                status: 404, code, ..
            } => code.as_deref() != Some("ENDPOINT_NOT_FOUND"),
            Error::Api {
                status: 400,
                code,
                message,
                ..
            } => {
                code.as_deref() == Some("INVALID_PARAMETER_VALUE")
                    && message.contains("does not exist")
            }
            _ => false,
        }
    }

    /// A hint for the person reading the error, where one helps.
    pub fn hint(&self) -> Option<String> {
        if self.is_auth() {
            return Some(
                "check the token or OAuth client for this workspace in drsync.toml (token_env, client_id_env/client_secret_env or profile); a PAT may have expired".to_string(),
            );
        }
        match self {
            Error::InsecureHost { .. } => Some(
                "use https://, or pass --allow-insecure-http for a test server you trust"
                    .to_string(),
            ),
            Error::Api { status: 429, .. } => Some(
                "the workspace kept rate limiting drsync: set a [client] rate_limit in drsync.toml (requests per second, e.g. 10), or raise max_attempts"
                    .to_string(),
            ),
            Error::Transport { .. } | Error::Deadline { .. } => {
                Some("check that the host is right and reachable from here".to_string())
            }
            Error::CommandDeadline { .. } => Some(
                "the workspace answered too slowly (or not at all): check that it is reachable and not \
                 throttling drsync; for a workspace that just needs longer, raise [client] \
                 command_deadline_seconds or pass --deadline"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// Parse an error body in any of the shapes the service uses, into (`error_code`, message).
pub(crate) fn parse_error_body(body: &str, reason_phrase: &str) -> (Option<String>, String) {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return (None, reason_phrase.to_string());
    }
    if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(trimmed) {
        let text = |k: &str| match obj.get(k) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        // {"error_code": "...", "message": "..."} (error_code may be a number: 403 "Invalid access token.")
        if let Some(message) = text("message") {
            return (text("error_code"), message);
        }
        // SCIM: {"detail": "...", "status": "404", "scimType": "..."}
        if let Some(detail) = text("detail") {
            return (text("scimType").or_else(|| text("status")), detail);
        }
        // OAuth: {"error": "invalid_client", "error_description": "..."}; legacy 1.2: {"error": "..."}
        if let Some(error) = text("error") {
            return match text("error_description") {
                Some(d) => (Some(error), d),
                None => (None, error),
            };
        }
        return (text("error_code"), truncate(trimmed));
    }
    // HTML error pages: the <title> or <pre> text.
    for (open, close) in [("<pre>", "</pre>"), ("<title>", "</title>")] {
        if let Some(start) = trimmed.find(open) {
            let rest = &trimmed[start + open.len()..];
            if let Some(end) = rest.find(close) {
                return (None, rest[..end].trim().to_string());
            }
        }
    }
    // Plain text, sometimes `ERROR_CODE: message`.
    if let Some((code, msg)) = trimmed.split_once(": ") {
        if !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            return (Some(code.to_string()), truncate(msg));
        }
    }
    (None, truncate(trimmed))
}

fn truncate(s: &str) -> String {
    const MAX: usize = 500;
    if s.len() <= MAX {
        s.to_string()
    } else {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_shapes() {
        let p = |b| parse_error_body(b, "Bad Request");
        assert_eq!(
            p(r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"Job 1 does not exist."}"#),
            (
                Some("INVALID_PARAMETER_VALUE".into()),
                "Job 1 does not exist.".into()
            )
        );
        assert_eq!(
            p(r#"{"error_code":403,"message":"Invalid access token."}"#),
            (Some("403".into()), "Invalid access token.".into())
        );
        assert_eq!(
            p(r#"{"error":"legacy failure"}"#),
            (None, "legacy failure".into())
        );
        assert_eq!(
            p(r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#),
            (
                Some("invalid_client".into()),
                "Client authentication failed".into()
            )
        );
        assert_eq!(
            p(r#"{"detail":"User not found","status":"404","scimType":"invalidValue"}"#),
            (Some("invalidValue".into()), "User not found".into())
        );
        assert_eq!(
            p("<html><head><title>502 Bad Gateway</title></head></html>"),
            (None, "502 Bad Gateway".into())
        );
        assert_eq!(
            p("<pre>upstream died</pre>"),
            (None, "upstream died".into())
        );
        assert_eq!(
            p("TEMPORARILY_UNAVAILABLE: try later"),
            (Some("TEMPORARILY_UNAVAILABLE".into()), "try later".into())
        );
        assert_eq!(p(""), (None, "Bad Request".into()));
        assert!(p(&"x".repeat(2000)).1.len() < 600);
    }

    #[test]
    fn classification() {
        let api = |status, code: &str, message: &str| Error::Api {
            workspace: "dr".into(),
            method: "GET".into(),
            path: "/p".into(),
            status,
            code: Some(code.into()),
            message: message.into(),
            attempts: 1,
        };
        assert!(api(403, "403", "Invalid access token.").is_auth());
        assert!(!api(403, "PERMISSION_DENIED", "no").is_auth());
        assert!(api(400, "INVALID_PARAMETER_VALUE", "Cluster x does not exist").is_not_found());
        assert!(!api(400, "INVALID_PARAMETER_VALUE", "limit too big").is_not_found());
        assert!(api(404, "RESOURCE_DOES_NOT_EXIST", "gone").is_not_found());
        assert!(!api(404, "ENDPOINT_NOT_FOUND", "No API").is_not_found());
        assert_eq!(
            api(400, "INVALID_PARAMETER_VALUE", "Job 1 does not exist.").to_string(),
            "dr: GET /p failed with HTTP 400 INVALID_PARAMETER_VALUE: Job 1 does not exist."
        );
    }
}
