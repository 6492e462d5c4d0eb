//! The workspace emulator: a real HTTP server on loopback that answers the Databricks REST API as a workspace
//! does (paths, paging, defaults, output-only fields, errors, auth), for tests, benchmarks, demos and users'
//! own pipelines. It must never reach anything outside the process; it binds only the address it is given.
//!
//! A crate of its own, apart from the drsync library (which never depends on it): the drsync binary uses it for
//! `drsync emulate` and `drsync demo`, the tests and benchmarks for everything.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod acl;
mod auth;
mod catalog;
mod cluster_list;
mod clusters;
pub mod demo;
mod error;
mod faults;
mod fixtures;
mod jobs;
mod json;
mod misc;
mod objects;
mod params;
mod permissions;
mod pipelines;
mod policies;
mod pools;
mod ratelimit;
mod runs;
mod scim;
mod secrets;
mod state;
mod synthetic;
mod view;
mod warehouses;

pub use catalog::Cloud;
pub use error::Error;
pub use faults::{Change, Fault, FaultKind};
pub use fixtures::Fixtures;
pub use runs::{RunOutcome, RunPlan};
pub use state::PolicyJson;
pub use synthetic::{synthetic, SyntheticSpec};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use faults::Injector;
use state::Workspace;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How an emulated workspace starts.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The initial state.
    pub fixtures: Fixtures,
    /// Accepted personal access tokens.
    pub tokens: Vec<String>,
    /// OAuth M2M clients (`client_id`, `client_secret`) that may get tokens from `/oidc/v1/token`.
    pub clients: Vec<(String, String)>,
    /// Lifetime of issued OAuth tokens.
    pub oauth_token_ttl: Duration,
    /// The cloud, which picks the built-in catalog and the host metadata.
    pub cloud: Cloud,
    /// Delay before every reply.
    pub latency: Duration,
    /// Injected faults.
    pub faults: Vec<Fault>,
    /// Seed for ids and fault decisions.
    pub seed: u64,
    /// Whether cluster policy definitions come back as sent or re-serialised (an open question about the real
    /// service, see [`PolicyJson`]).
    pub policy_json: PolicyJson,
    /// The workspace id, sent as `X-Databricks-Org-Id` with SCIM `Me` and as `workspace_id` in the host
    /// metadata; `None`: one derived from the bound port, so that emulators running side by side (a primary and
    /// a DR) are different workspaces, as real ones are.
    pub workspace_id: Option<u64>,
    /// A server-side rate limit, in requests per second per endpoint family (`GET jobs/list`, ...; every
    /// `permissions/...` path is one family per method), with a burst of one second's worth: beyond it, requests
    /// are answered 429 `REQUEST_LIMIT_EXCEEDED` with `Retry-After` (databricks-api.md §3 "Rate limiting").
    /// Only authenticated API requests count. `None` (the default): no limit, as the emulator always had.
    pub rate_limit: Option<f64>,
    /// How the runs of each job play out (job id → plan): a test knob; jobs not named follow
    /// [`EmulatorConfig::default_run_plan`]. See [`RunPlan`].
    pub run_plans: BTreeMap<i64, RunPlan>,
    /// How the runs of jobs without a plan of their own play out (by default: success, after one read sees
    /// the run `RUNNING`).
    pub default_run_plan: RunPlan,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            fixtures: Fixtures::default(),
            tokens: vec![DEFAULT_TOKEN.to_string()],
            clients: Vec::new(),
            oauth_token_ttl: Duration::from_secs(3600),
            cloud: Cloud::Aws,
            latency: Duration::ZERO,
            faults: Vec::new(),
            seed: 0,
            policy_json: PolicyJson::Echo,
            workspace_id: None,
            rate_limit: None,
            run_plans: BTreeMap::new(),
            default_run_plan: RunPlan::default(),
        }
    }
}

/// The token an emulator accepts when none is configured.
pub const DEFAULT_TOKEN: &str = "dapi-emulator-0000000000000000";

/// Request counters, for tests and benchmarks ("no object fetched twice").
#[derive(Debug, Default)]
pub(crate) struct Stats {
    total: AtomicU64,
    by_path: Mutex<BTreeMap<String, u64>>,
}

/// Shared state of the running server.
#[derive(Clone)]
pub(crate) struct AppState {
    ws: Arc<Mutex<Workspace>>,
    auth: Arc<auth::Auth>,
    injector: Arc<Injector>,
    /// `--rate-limit`, when set.
    pub(crate) rate_limit: Option<Arc<ratelimit::RateLimit>>,
    stats: Arc<Stats>,
    latency: Duration,
    base_url: Arc<OnceLock<String>>,
    workspace_id: u64,
}

impl AppState {
    /// Lock the workspace. Handlers keep the lock short and never hold it across an await.
    pub(crate) fn workspace(&self) -> MutexGuard<'_, Workspace> {
        self.ws.lock().expect("workspace state poisoned")
    }

    /// The server's base URL, e.g. `http://127.0.0.1:43817`.
    pub(crate) fn base_url(&self) -> String {
        self.base_url.get().cloned().unwrap_or_default()
    }

    /// The workspace id (`X-Databricks-Org-Id`).
    pub(crate) fn workspace_id(&self) -> u64 {
        self.workspace_id
    }
}

/// The workspace id of an emulator on `port` that was given none: 16 digits, the size of real workspace ids
/// (databricks-sdk-go `config/host_metadata_test.go` uses `111111111111111`, the Azure host names
/// `adb-<16 digits>`), different for each port.
fn derived_workspace_id(port: u16) -> u64 {
    4_000_000_000_000_000 + u64::from(port)
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    url: String,
    addr: SocketAddr,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Bind `addr` and serve until [`Emulator::stop`] or drop.
    pub async fn start(config: EmulatorConfig, addr: SocketAddr) -> Result<Self, Error> {
        if let Some(n) = config.rate_limit {
            if !(n.is_finite() && n > 0.0) {
                return Err(Error::Spec {
                    what: "rate limit",
                    spec: n.to_string(),
                    reason: "must be a number of requests per second above 0".to_string(),
                });
            }
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let url = format!("http://{local}");
        let (acls, principals) = (
            config.fixtures.permissions.clone(),
            config.fixtures.principals.clone(),
        );
        let mut workspace = Workspace::new(config.cloud, config.fixtures, config.seed);
        permissions::seed(&mut workspace, &acls, &principals);
        workspace.policy_json = config.policy_json;
        workspace.runs.set_default_plan(config.default_run_plan);
        for (job_id, plan) in config.run_plans {
            workspace.runs.set_plan(job_id, plan);
        }
        let state = AppState {
            ws: Arc::new(Mutex::new(workspace)),
            auth: Arc::new(auth::Auth::new(
                config.tokens,
                config.clients,
                config.oauth_token_ttl,
            )),
            injector: Arc::new(Injector::new(config.faults, config.seed)),
            rate_limit: config
                .rate_limit
                .map(|n| Arc::new(ratelimit::RateLimit::new(n))),
            stats: Arc::new(Stats::default()),
            latency: config.latency,
            base_url: Arc::new(OnceLock::from(url.clone())),
            workspace_id: config
                .workspace_id
                .unwrap_or_else(|| derived_workspace_id(local.port())),
        };
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Emulator {
            url,
            addr: local,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The workspace id it answers with (`X-Databricks-Org-Id`, the host metadata's `workspace_id`).
    pub fn workspace_id(&self) -> u64 {
        self.state.workspace_id
    }

    /// How many requests the server has received (all paths, including failed ones).
    pub fn request_count(&self) -> u64 {
        self.state.stats.total.load(Ordering::Relaxed)
    }

    /// Requests received per `METHOD path`.
    pub fn requests_by_path(&self) -> BTreeMap<String, u64> {
        self.state
            .stats
            .by_path
            .lock()
            .expect("stats poisoned")
            .clone()
    }

    /// Faults injected so far, by kind as `--fault` names it (`429`, `503`, `reset`, `truncate`, `delay`): what a
    /// test asserts on to show that the faults it asked for fired.
    pub fn faults_injected(&self) -> BTreeMap<String, u64> {
        self.state.injector.injected(None)
    }

    /// [`Emulator::faults_injected`], counting only the requests to `request` (`METHOD path`, e.g.
    /// `GET /api/2.2/jobs/list`).
    pub fn faults_injected_on(&self, request: &str) -> BTreeMap<String, u64> {
        self.state.injector.injected(Some(request))
    }

    /// Requests answered 429 by the server-side rate limit ([`EmulatorConfig::rate_limit`]) so far; 0 without
    /// one. Injected 429 faults are counted apart, by [`Emulator::faults_injected`].
    pub fn rate_limited(&self) -> u64 {
        self.state
            .rate_limit
            .as_ref()
            .map_or(0, |r| r.refused(None))
    }

    /// [`Emulator::rate_limited`], counting only the requests to `request` (`METHOD path`, e.g.
    /// `GET /api/2.2/jobs/list`).
    pub fn rate_limited_on(&self, request: &str) -> u64 {
        self.state
            .rate_limit
            .as_ref()
            .map_or(0, |r| r.refused(Some(request)))
    }

    /// [`Emulator::rate_limited`] per `METHOD path`.
    pub fn rate_limited_by_path(&self) -> BTreeMap<String, u64> {
        self.state
            .rate_limit
            .as_ref()
            .map(|r| r.refused_by_path())
            .unwrap_or_default()
    }

    /// Replace the fault rules the emulator started with (a workspace that starts or stops failing). Decisions
    /// stay deterministic under the seed for the same sequence of requests.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.state.injector.set_faults(faults);
    }

    /// Make `change` to the workspace just before the `n`-th request to `request` (`METHOD path`, counted from 1
    /// as [`Emulator::requests_by_path`] counts) is answered: a workspace that changes at a known point while it
    /// is read.
    pub fn change_at(&self, request: &str, n: u64, change: Change) {
        self.state.injector.change_at(request, n, change);
    }

    /// Make the runs `job_id` starts from now on follow `plan` (how they end, how long they run): the test knob
    /// of [`EmulatorConfig::run_plans`] on a running emulator. Runs already started keep their plan.
    pub fn set_run_plan(&self, job_id: i64, plan: RunPlan) {
        self.state.workspace().runs.set_plan(job_id, plan);
    }

    /// Make the runs of jobs without a plan of their own follow `plan` from now on.
    pub fn set_default_run_plan(&self, plan: RunPlan) {
        self.state.workspace().runs.set_default_plan(plan);
    }

    /// Stop serving and wait until the server has shut down.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(jobs::routes())
        .merge(clusters::routes())
        .merge(pools::routes())
        .merge(policies::routes())
        .merge(misc::routes())
        .merge(warehouses::routes())
        .merge(pipelines::routes())
        .merge(secrets::routes())
        .merge(scim::routes())
        .merge(permissions::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .merge(api)
        .route("/.well-known/databricks-config", get(auth::host_metadata))
        .route(
            "/oidc/.well-known/oauth-authorization-server",
            get(auth::oauth_discovery),
        )
        .route("/oidc/v1/token", post(auth::token))
        .fallback(no_endpoint)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults_and_latency,
        ))
        .with_state(state)
}

async fn no_endpoint(method: axum::http::Method, uri: Uri) -> Response {
    error::ApiError::no_endpoint(method.as_str(), uri.path()).into_response()
}

/// Outermost middleware: count the request, make the changes due at it, wait the configured latency, then
/// inject a fault or answer.
async fn faults_and_latency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let key = format!("{method} {path}");
    state.stats.total.fetch_add(1, Ordering::Relaxed);
    let n = {
        let mut by_path = state.stats.by_path.lock().expect("stats poisoned");
        let n = by_path.entry(key.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let changes = state.injector.changes_due(&key, n);
    if !changes.is_empty() {
        let mut ws = state.workspace();
        for change in changes {
            match change {
                Change::DeleteJob(id) => {
                    ws.jobs.remove(&id);
                    ws.forget_acl(&format!("/jobs/{id}"));
                }
                Change::DeleteCluster(id) => {
                    ws.clusters.remove(&id);
                    ws.libraries.remove(&id);
                    ws.forget_acl(&format!("/clusters/{id}"));
                }
            }
        }
    }
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    match state.injector.decide(&method, &path) {
        None => next.run(req).await,
        Some(FaultKind::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(req).await
        }
        Some(FaultKind::Status(429)) => error::ApiError::rate_limited(&path, 1).into_response(),
        Some(FaultKind::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            error::ApiError::injected(status).into_response()
        }
        Some(FaultKind::Reset) => {
            // Headers go out, then the connection dies before any body: the client sees a broken connection.
            let stream = futures_util::stream::once(async {
                Err::<axum::body::Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected connection reset",
                ))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Some(FaultKind::Truncate) => {
            let resp = next.run(req).await;
            let (parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            let mut resp = Response::from_parts(parts, Body::from(cut));
            resp.headers_mut()
                .remove(axum::http::header::CONTENT_LENGTH);
            resp
        }
    }
}
