//! The Databricks workspace REST client: authentication (PAT, OAuth M2M), retries with backoff and
//! `Retry-After`, adaptive pacing per endpoint family, an optional hard rate limit, a concurrency limit, and
//! complete listings across every kind of paging.
//! It never prints, never reads the environment (credentials arrive resolved, see [`auth`]) and never lets a
//! token into a log line, an error or a `Debug` output.

pub mod auth;
mod error;
pub mod identity;
mod pacing;
mod ratelimit;
mod resources;
mod retry;

pub use auth::{Credentials, Secret, WorkspaceAuth};
pub use error::Error;
pub use identity::{Identity, IdentityError};
pub use resources::{ClusterFilter, Gone, Listing};

use base64::Engine;
use pacing::{Feedback, Pacer};
use ratelimit::RateLimiter;
use reqwest::Method;
use retry::{Attempt, Policy};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How the client behaves; the defaults follow the Databricks SDKs.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// A hard ceiling on the requests per second to the whole workspace (token bucket); 0 for none, the default.
    /// Without it, each endpoint family is paced adaptively: unpaced (or at its published limit) until the
    /// workspace answers 429 or 503, then by `Retry-After` and AIMD (see the `pacing` module).
    pub rate_limit: f64,
    /// Requests the bucket lets through at once after a pause. Default 1.
    pub burst: u32,
    /// Requests of one endpoint family in flight at most (each family has its own, so that a long chain of
    /// pages never queues behind a burst of `get`s of another endpoint). A family starts at 8 and grows to it
    /// while the workspace answers without throttling (see the `pacing` module). Default 64.
    pub max_concurrency: usize,
    /// Timeout of one HTTP attempt. Default 60 s.
    pub request_timeout: Duration,
    /// Time budget of one call, all its retries included. Default 5 min, as the SDKs.
    pub deadline: Duration,
    /// Time budget of everything the client does, counted from its creation: once it has passed, every call
    /// fails with [`Error::CommandDeadline`], naming the endpoint it was waiting on. `None` (the default): no
    /// such limit. The CLI sets it from `[client] command_deadline_seconds` or `--deadline`.
    pub command_deadline: Option<Duration>,
    /// Attempts per call at most, the first included. Default 8.
    pub max_attempts: u32,
    /// First backoff step (it doubles up to 10 s). Default 250 ms.
    pub base_backoff: Duration,
    /// Longest `Retry-After` honoured. Default 60 s.
    pub retry_after_cap: Duration,
    /// Allow `http://` hosts that are not loopback. Default false.
    pub allow_insecure_http: bool,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// How `jobs/list` is paged. Default [`JobsPaging::Token`].
    pub jobs_paging: JobsPaging,
}

/// How `jobs/list` is paged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobsPaging {
    /// Follow `next_page_token`, one page after the other: the API's own way, and safe while jobs change.
    #[default]
    Token,
    /// Ask for pages by `offset` (deprecated by the API, but honoured), several at a time. Pages overlap by
    /// one job, and any shift (a job created or deleted meanwhile) makes the listing start again with tokens,
    /// so no job is ever skipped. Much faster for large workspaces: the pages no longer wait on each other.
    Offset,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            // No fixed cap by default (issue 16): the adaptive pacing keeps the client polite, and a fixed
            // 15 requests/s (databricks-api.md §3, the Go SDK's default) set the pace of large exports.
            rate_limit: 0.0,
            burst: 1,
            // Reached only by a family the workspace never throttles; it starts at `pacing::INITIAL_IN_FLIGHT`.
            max_concurrency: 64,
            request_timeout: Duration::from_secs(60),
            deadline: Duration::from_secs(300),
            command_deadline: None,
            max_attempts: 8,
            base_backoff: Duration::from_millis(250),
            retry_after_cap: Duration::from_secs(60),
            allow_insecure_http: false,
            user_agent: format!("drsync/{}", env!("CARGO_PKG_VERSION")),
            jobs_paging: JobsPaging::Token,
        }
    }
}

/// A client for one workspace. Cheap to clone; clones share the pacing, the rate limit, the concurrency limit
/// and the OAuth token.
#[derive(Clone)]
pub struct WorkspaceClient {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    host: String,
    http: reqwest::Client,
    credentials: Credentials,
    oauth_token: Mutex<Option<(Secret, Instant)>>,
    limiter: RateLimiter,
    pacer: Pacer,
    policy: Policy,
    options: ClientOptions,
    /// When [`ClientOptions::command_deadline`] runs out.
    expires: Option<Instant>,
    /// The identity behind the credentials, once SCIM `Me` has named it (by `identify` or `current_user`): it
    /// does not change while the client lives, so it is asked once.
    me: std::sync::OnceLock<crate::model::CurrentUser>,
}

impl std::fmt::Debug for WorkspaceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkspaceClient")
            .field("name", &self.inner.name)
            .field("host", &self.inner.host)
            .field("auth_type", &self.inner.credentials.auth_type())
            .finish_non_exhaustive()
    }
}

/// Refresh OAuth tokens this long before they expire (Azure rejects tokens within 30 s of expiry).
const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(40);

/// A body as JSON.
fn parse_value(text: String) -> Result<Value, serde_json::Error> {
    serde_json::from_str(&text)
}

impl WorkspaceClient {
    /// A client for the workspace called `name` (used in errors and logs) at `host`.
    pub fn new(
        name: &str,
        host: &str,
        credentials: Credentials,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let host = normalize_host(name, host, options.allow_insecure_http)?;
        let http = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.request_timeout)
            .connect_timeout(Duration::from_secs(10).min(options.request_timeout))
            .build()
            .map_err(Error::Setup)?;
        let policy = Policy {
            max_attempts: options.max_attempts.max(1),
            base_backoff: options.base_backoff,
            retry_after_cap: options.retry_after_cap,
            ..Policy::default()
        };
        Ok(WorkspaceClient {
            inner: Arc::new(Inner {
                name: name.to_string(),
                host,
                http,
                credentials,
                oauth_token: Mutex::new(None),
                me: std::sync::OnceLock::new(),
                limiter: RateLimiter::new(options.rate_limit, options.burst),
                pacer: Pacer::new(options.max_concurrency),
                policy,
                // A deadline too far away to count to is no deadline.
                expires: options
                    .command_deadline
                    .and_then(|d| Instant::now().checked_add(d)),
                options,
            }),
        })
    }

    /// The workspace's name, as errors show it.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The normalised host, e.g. `https://dbc-1234.cloud.databricks.com`.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// The options in force.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// `GET path?query`, returning the JSON body (`{}` for an empty one).
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, Error> {
        self.call(Method::GET, path, query, None, parse_value)
            .await
            .map(|(v, _)| v)
    }

    /// `GET path?query`, handing the body text to `parse`. A body `parse` rejects counts as a cut-off
    /// response (retried like a broken connection), so `parse` should check the JSON, not its meaning.
    pub(crate) async fn get_with<T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        parse: impl Fn(String) -> Result<T, serde_json::Error>,
    ) -> Result<T, Error> {
        self.call(Method::GET, path, query, None, parse)
            .await
            .map(|(v, _)| v)
    }

    /// `POST path` with a JSON body. Retried only where that is safe (429, 503, no connection).
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, Error> {
        self.call(Method::POST, path, &[], Some(body), parse_value)
            .await
            .map(|(v, _)| v)
    }

    /// `PUT path` with a JSON body (the Permissions API's set). Retried as a POST is: only where the server
    /// certainly did nothing.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, Error> {
        self.call(Method::PUT, path, &[], Some(body), parse_value)
            .await
            .map(|(v, _)| v)
    }

    /// `GET path`, returning the JSON body and the response's headers (for headers that carry meaning, such as
    /// `X-Databricks-Org-Id`).
    pub(crate) async fn get_with_headers(
        &self,
        path: &str,
    ) -> Result<(Value, reqwest::header::HeaderMap), Error> {
        self.call(Method::GET, path, &[], None, parse_value).await
    }

    /// One call with its retries, given up (wherever it is: waiting for a permit, the rate limit, an answer or
    /// a retry) when the command's deadline passes; the successful response's body, parsed, and its headers.
    async fn call<T>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        parse: impl Fn(String) -> Result<T, serde_json::Error>,
    ) -> Result<(T, reqwest::header::HeaderMap), Error> {
        let inner = &*self.inner;
        let shown = method.to_string();
        let family = pacing::family(method.as_str(), path);
        let attempts = async {
            let idempotent = method == Method::GET;
            let started = Instant::now();
            let url = format!("{}{}", inner.host, path);
            let mut refreshed_token = false;
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                // A permit of the family first, then its pace, then the workspace's hard ceiling. In that
                // order a hold (`Retry-After`) or a slower pace meets every request not yet sent: one that
                // passed the pace before the hold and then waited for a permit would go out during the hold.
                // Waiting for the pace with a permit held costs nothing, as the permits are the family's own.
                let (ticket, outcome) = {
                    let _permit = inner
                        .pacer
                        .window(&family)
                        .acquire_owned()
                        .await
                        .expect("semaphore is never closed");
                    let ticket = inner.pacer.acquire(&family).await;
                    inner.limiter.acquire().await;
                    let token = self.bearer().await?;
                    let mut req = inner
                        .http
                        .request(method.clone(), &url)
                        .bearer_auth(token.expose())
                        .header(reqwest::header::ACCEPT, "application/json");
                    if !query.is_empty() {
                        req = req.query(query);
                    }
                    if let Some(b) = body {
                        req = req.json(b);
                    }
                    let sent = req.send().await;
                    let outcome = match sent {
                        Ok(resp) => {
                            let status = resp.status();
                            let retry_after = resp
                                .headers()
                                .get(reqwest::header::RETRY_AFTER)
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.trim().parse::<u64>().ok());
                            let headers = resp.headers().clone();
                            match resp.text().await {
                                Ok(text) => Ok((status, retry_after, text, headers)),
                                Err(e) => Err(e),
                            }
                        }
                        Err(e) => Err(e),
                    };
                    (ticket, outcome)
                };
                inner.pacer.complete(
                    &family,
                    ticket,
                    match &outcome {
                        Ok((status, _, _, _)) if status.is_success() => Feedback::Success,
                        Ok((status, retry_after, _, _)) if matches!(status.as_u16(), 429 | 503) => {
                            Feedback::Throttled {
                                retry_after: retry_after.map(|s| {
                                    Duration::from_secs(s).min(inner.options.retry_after_cap)
                                }),
                            }
                        }
                        _ => Feedback::Neutral,
                    },
                );
                let (what, failure) = match outcome {
                    Ok((status, _, text, headers)) if status.is_success() => {
                        let text = if text.trim().is_empty() {
                            "{}".to_string()
                        } else {
                            text
                        };
                        match parse(text) {
                            Ok(v) => {
                                tracing::trace!(workspace = %inner.name, %method, path, attempt, "ok");
                                return Ok((v, headers));
                            }
                            Err(e) => (
                                Attempt::Interrupted,
                                Error::Decode {
                                    workspace: inner.name.clone(),
                                    method: method.to_string(),
                                    path: path.to_string(),
                                    reason: e.to_string(),
                                    attempts: attempt,
                                },
                            ),
                        }
                    }
                    Ok((status, retry_after, text, _)) => {
                        let (code, message) =
                            error::parse_error_body(&text, status.canonical_reason().unwrap_or(""));
                        let err = Error::Api {
                            workspace: inner.name.clone(),
                            method: method.to_string(),
                            path: path.to_string(),
                            status: status.as_u16(),
                            code,
                            message,
                            attempts: attempt,
                        };
                        // An OAuth token the server no longer accepts: fetch a new one, once.
                        if err.is_auth()
                            && !refreshed_token
                            && matches!(inner.credentials, Credentials::OAuthM2M { .. })
                        {
                            refreshed_token = true;
                            *inner.oauth_token.lock().await = None;
                            attempt -= 1;
                            continue;
                        }
                        (
                            Attempt::Status {
                                status: status.as_u16(),
                                retry_after,
                            },
                            err,
                        )
                    }
                    Err(e) => {
                        let what = if e.is_connect() {
                            Attempt::ConnectFailed
                        } else {
                            Attempt::Interrupted
                        };
                        let desc = describe_transport(&e);
                        (
                            what,
                            Error::Transport {
                                workspace: inner.name.clone(),
                                method: method.to_string(),
                                path: path.to_string(),
                                what: desc,
                                attempts: attempt,
                                source: e,
                            },
                        )
                    }
                };
                let Some(delay) =
                    inner
                        .policy
                        .next_delay(attempt, what, idempotent, rand::random::<f64>())
                else {
                    return Err(failure);
                };
                let elapsed = started.elapsed();
                if elapsed + delay > inner.options.deadline {
                    return Err(Error::Deadline {
                        workspace: inner.name.clone(),
                        method: method.to_string(),
                        path: path.to_string(),
                        attempts: attempt,
                        elapsed,
                        deadline: inner.options.deadline,
                        last: failure.to_string(),
                    });
                }
                tracing::debug!(workspace = %inner.name, %method, path, attempt, delay_ms = delay.as_millis() as u64, error = %failure, "retrying");
                tokio::time::sleep(delay).await;
            }
        };
        let (Some(expires), Some(deadline)) = (inner.expires, inner.options.command_deadline)
        else {
            return attempts.await;
        };
        match tokio::time::timeout_at(expires, attempts).await {
            Ok(result) => result,
            Err(_) => Err(Error::CommandDeadline {
                workspace: inner.name.clone(),
                method: shown,
                path: path.to_string(),
                deadline,
            }),
        }
    }

    /// The bearer token for the next request: the PAT, or a cached OAuth token refreshed before expiry.
    async fn bearer(&self) -> Result<Secret, Error> {
        let inner = &*self.inner;
        let (client_id, client_secret) = match &inner.credentials {
            Credentials::Pat(token) => return Ok(token.clone()),
            Credentials::OAuthM2M {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let mut cached = inner.oauth_token.lock().await;
        if let Some((token, expiry)) = &*cached {
            if Instant::now() + TOKEN_REFRESH_MARGIN < *expiry {
                return Ok(token.clone());
            }
        }
        let endpoint = format!("{}/oidc/v1/token", inner.host);
        let oauth_err = |message: String| Error::OAuth {
            workspace: inner.name.clone(),
            endpoint: endpoint.clone(),
            message,
        };
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{client_id}:{}", client_secret.expose()));
        let mut attempt = 0;
        let (status, text) = loop {
            attempt += 1;
            inner.limiter.acquire().await;
            let sent = inner
                .http
                .post(&endpoint)
                .header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"))
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body("grant_type=client_credentials&scope=all-apis")
                .send()
                .await;
            let what = match sent {
                Ok(resp) => {
                    let status = resp.status();
                    let text = resp.text().await.unwrap_or_default();
                    if !matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504) {
                        break (status, text);
                    }
                    Attempt::Status {
                        status: status.as_u16(),
                        retry_after: None,
                    }
                }
                Err(e) if e.is_connect() => Attempt::ConnectFailed,
                Err(_) => Attempt::Interrupted,
            };
            match inner
                .policy
                .next_delay(attempt, what, true, rand::random::<f64>())
            {
                Some(delay) if attempt < 4 => tokio::time::sleep(delay).await,
                _ => {
                    return Err(oauth_err(format!(
                        "no answer after {attempt} attempts ({what:?})"
                    )))
                }
            }
        };
        if !status.is_success() {
            let (code, message) =
                error::parse_error_body(&text, status.canonical_reason().unwrap_or(""));
            return Err(oauth_err(match code {
                Some(c) => format!("HTTP {} {c}: {message}", status.as_u16()),
                None => format!("HTTP {}: {message}", status.as_u16()),
            }));
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let parsed: TokenResponse = serde_json::from_str(&text)
            .map_err(|e| oauth_err(format!("unexpected token response ({e})")))?;
        let token = Secret::new(parsed.access_token);
        let expiry = Instant::now() + Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        *cached = Some((token.clone(), expiry));
        tracing::debug!(workspace = %inner.name, expires_in = parsed.expires_in, "obtained OAuth token");
        Ok(token)
    }
}

fn describe_transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the response".to_string()
    } else {
        "the connection failed".to_string()
    }
}

/// Normalise a host as the SDKs do (add `https://`, drop a trailing `/` and `:443`), and refuse plain http
/// unless it is loopback or explicitly allowed.
fn normalize_host(name: &str, host: &str, allow_insecure_http: bool) -> Result<String, Error> {
    // The host is shown redacted: user information in it (refused below) may hold a secret.
    let shown = auth::redact_host(host);
    let invalid = |reason: &str| Error::InvalidHost {
        workspace: name.to_string(),
        host: shown.clone(),
        reason: reason.to_string(),
    };
    let trimmed = host.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
    let Some(hostname) = url.host_str() else {
        return Err(invalid("it has no host name"));
    };
    if !url.username().is_empty() || url.password().is_some() || auth::host_has_credentials(trimmed)
    {
        return Err(invalid(
            "credentials do not belong in the host; use token_env or a profile",
        ));
    }
    if url.query().is_some() || !url.path().trim_end_matches('/').is_empty() {
        return Err(invalid(
            "expected just scheme and host, like https://dbc-1234.cloud.databricks.com",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback && !allow_insecure_http {
                return Err(Error::InsecureHost {
                    workspace: name.to_string(),
                    host: shown,
                });
            }
        }
        other => return Err(invalid(&format!("unsupported scheme `{other}`"))),
    }
    let port = match url.port() {
        Some(443) if url.scheme() == "https" => String::new(),
        Some(80) if url.scheme() == "http" => String::new(),
        Some(p) => format!(":{p}"),
        None => String::new(),
    };
    let host_part = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        _ => hostname.to_ascii_lowercase(),
    };
    Ok(format!("{}://{host_part}{port}", url.scheme()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_normalised() {
        let n = |h| normalize_host("w", h, false);
        assert_eq!(
            n("dbc-1.cloud.databricks.com").unwrap(),
            "https://dbc-1.cloud.databricks.com"
        );
        assert_eq!(
            n("https://dbc-1.cloud.databricks.com/").unwrap(),
            "https://dbc-1.cloud.databricks.com"
        );
        assert_eq!(
            n("https://DBC-1.cloud.databricks.com:443").unwrap(),
            "https://dbc-1.cloud.databricks.com"
        );
        assert_eq!(n("http://127.0.0.1:4000").unwrap(), "http://127.0.0.1:4000");
        assert_eq!(
            n("http://localhost:4000/").unwrap(),
            "http://localhost:4000"
        );
        assert_eq!(n("http://[::1]:4000").unwrap(), "http://[::1]:4000");
        assert!(matches!(
            n("http://dbc-1.cloud.databricks.com"),
            Err(Error::InsecureHost { .. })
        ));
        assert!(normalize_host("w", "http://10.0.0.5:80", true).is_ok());
        assert!(matches!(n("https://x/api"), Err(Error::InvalidHost { .. })));
        // User information is refused and never shown, whatever else is wrong with the host.
        for (host, shown) in [
            ("https://user:SECRET@x", "https://***@x"),
            (
                "http://user:SECRET@dbc-1.cloud.databricks.com",
                "http://***@dbc-1.cloud.databricks.com",
            ),
            ("https://u:SE/CRET@x", "https://***@x"),
            ("https://u:SECRET@", "https://***@"),
        ] {
            let err = n(host).unwrap_err();
            assert!(matches!(err, Error::InvalidHost { .. }), "{err:?}");
            let text = format!("{err} {err:?}");
            assert!(
                !text.contains("SECRET") && !text.contains("SE/CRET"),
                "{text}"
            );
            assert!(
                text.starts_with(&format!("w: invalid host `{shown}`: ")),
                "{text}"
            );
        }
        assert!(matches!(n("ftp://x"), Err(Error::InvalidHost { .. })));
        assert!(matches!(n(""), Err(Error::InvalidHost { .. })));
    }

    #[test]
    fn debug_output_has_no_token() {
        let c = WorkspaceClient::new(
            "dr",
            "https://x.example.com",
            Credentials::Pat(Secret::new("dapi-supersecret")),
            ClientOptions::default(),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("pat"));
    }
}
