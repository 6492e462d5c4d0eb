//! Authentication as a workspace does it: PATs, OAuth M2M client credentials with expiring tokens, and the
//! unauthenticated discovery documents current SDKs read first. Tokens are compared, never logged.

use super::error::ApiError;
use super::state::Workspace;
use super::AppState;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who made a request: the user name that `creator_user_name` and `scim/v2/Me` report.
#[derive(Debug, Clone)]
pub(crate) struct Principal(pub(crate) Option<String>);

/// The user name a request acts as (`creator_user_name`): the OAuth client id, or the workspace user behind
/// PATs.
pub(crate) fn caller(ws: &Workspace, principal: &Option<Extension<Principal>>) -> String {
    match principal {
        Some(Extension(Principal(Some(client_id)))) => client_id.clone(),
        _ => ws.user_name(),
    }
}

/// The numeric id the service records for the caller (who pinned a cluster, who created a pool): the OAuth
/// client id, or the SCIM id of the workspace user behind PATs.
pub(crate) fn caller_id(ws: &Workspace, principal: &Option<Extension<Principal>>) -> String {
    match principal {
        Some(Extension(Principal(Some(client_id)))) => client_id.clone(),
        _ => ws
            .me
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| ws.user_name(), str::to_string),
    }
}

/// Accepted credentials and the OAuth tokens issued so far.
#[derive(Debug)]
pub(crate) struct Auth {
    tokens: HashSet<String>,
    clients: HashMap<String, String>,
    issued: Mutex<HashMap<String, (Instant, String)>>,
    token_ttl: Duration,
}

impl Auth {
    pub(crate) fn new(tokens: Vec<String>, clients: Vec<(String, String)>, ttl: Duration) -> Self {
        Auth {
            tokens: tokens.into_iter().collect(),
            clients: clients.into_iter().collect(),
            issued: Mutex::new(HashMap::new()),
            token_ttl: ttl,
        }
    }

    /// The principal behind a bearer token: `None` inside for a PAT (the workspace's user), the client id for
    /// an OAuth token; an error when the token is unknown or expired.
    fn check(&self, token: &str) -> Result<Principal, ApiError> {
        if self.tokens.contains(token) {
            return Ok(Principal(None));
        }
        let issued = self.issued.lock().expect("token table poisoned");
        match issued.get(token) {
            Some((expiry, client)) if Instant::now() < *expiry => {
                Ok(Principal(Some(client.clone())))
            }
            _ => Err(ApiError::invalid_token()),
        }
    }
}

/// Middleware: every `/api/` route needs a valid bearer token; a request with one then counts against the
/// rate limit, when there is one (a request refused for its credentials takes no token).
pub(crate) async fn require_token(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(header) = header else {
        return ApiError::unauthenticated().into_response();
    };
    let Some(token) = header.strip_prefix("Bearer ") else {
        return ApiError::unauthenticated().into_response();
    };
    match state.auth.check(token.trim()) {
        Ok(principal) => {
            if let Some(limit) = &state.rate_limit {
                if let Err(retry_after) = limit.admit(req.method().as_str(), req.uri().path()) {
                    return ApiError::rate_limited(req.uri().path(), retry_after).into_response();
                }
            }
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /.well-known/databricks-config`: the host metadata current SDKs read before anything else. Its fields
/// (`oidc_endpoint`, `workspace_id` as a string, `cloud`) are those databricks-sdk-go `config/host_metadata.go`
/// decodes; `workspace_id` is this workspace's id, the one SCIM `Me` sends as `X-Databricks-Org-Id`.
pub(crate) async fn host_metadata(State(state): State<AppState>) -> Json<serde_json::Value> {
    let base = state.base_url();
    let cloud = state.workspace().cloud;
    Json(json!({
        "oidc_endpoint": format!("{base}/oidc"),
        "workspace_id": state.workspace_id().to_string(),
        "cloud": cloud.as_str(),
    }))
}

/// `GET /oidc/.well-known/oauth-authorization-server`: OAuth discovery.
pub(crate) async fn oauth_discovery(State(state): State<AppState>) -> Json<serde_json::Value> {
    let base = state.base_url();
    Json(json!({
        "issuer": format!("{base}/oidc"),
        "authorization_endpoint": format!("{base}/oidc/v1/authorize"),
        "token_endpoint": format!("{base}/oidc/v1/token"),
        "jwks_uri": format!("{base}/oidc/jwks.json"),
        "scopes_supported": ["all-apis", "offline_access"],
        "response_types_supported": ["code", "id_token"],
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

/// `POST /oidc/v1/token`: the client-credentials grant, with Basic auth or form fields.
pub(crate) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            Json(json!({ "error": error, "error_description": description })),
        )
            .into_response()
    };
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only the client_credentials grant is supported by this server",
        );
    }
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    let (id, secret) = match basic {
        Some(pair) => pair,
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "Client authentication failed",
                )
            }
        },
    };
    let auth = &state.auth;
    if auth.clients.get(&id) != Some(&secret) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let access_token = {
        let mut ws = state.workspace();
        format!("eyJemu.{}.{}", ws.alnum(24, true), ws.alnum(16, true))
    };
    auth.issued
        .lock()
        .expect("token table poisoned")
        .insert(access_token.clone(), (Instant::now() + auth.token_ttl, id));
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": auth.token_ttl.as_secs(),
        "scope": form.get("scope").cloned().unwrap_or_else(|| "all-apis".to_string()),
    }))
    .into_response()
}
