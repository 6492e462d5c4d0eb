//! Complete listings of the objects drsync reads, over each endpoint's own paging: jobs (2.2 with
//! `expand_tasks`, then `jobs/get` array paging for the jobs whose tasks were cut off), clusters (2.1 tokens),
//! pools and policies (one page), the region catalog, workspace folders (one request each), secret scopes with
//! their keys (names only, never values) and ACLs (one request each), and SCIM users, groups and service
//! principals (`startIndex`/`count` pages). Each object is returned exactly once.

use super::{Error, JobsPaging, WorkspaceClient};
use crate::model::{
    Cluster, ClusterLibraries, ClusterPolicy, CurrentUser, InstancePool, Job, NodeType,
    ObjectPermissions, Pipeline, ResourceKind, Run, ScimPrincipal, SecretAcl, SecretMetadata,
    SecretScope, SparkVersion, SqlWarehouse, WorkspaceObject, Zones,
};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which clusters to list.
#[derive(Debug, Clone, Default)]
pub struct ClusterFilter {
    /// Only clusters from these sources (`UI`, `API`, `JOB`, ...); all when empty.
    pub sources: Vec<String>,
    /// Only pinned clusters.
    pub pinned: bool,
}

impl ClusterFilter {
    /// All-purpose clusters only: those made in the UI or through the API.
    pub fn all_purpose() -> Self {
        ClusterFilter {
            sources: vec!["UI".to_string(), "API".to_string()],
            pinned: false,
        }
    }
}

/// A complete listing, and the objects it named that were deleted before they could be read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    /// Every object that exists, exactly once.
    pub items: Vec<T>,
    /// The objects left out because they were deleted while the listing ran, ordered by id.
    pub gone: Vec<Gone>,
}

/// An object a listing named but whose `get` then answered that it does not exist (for jobs and clusters a 400
/// `INVALID_PARAMETER_VALUE` "... does not exist", databricks-api.md §Errors): it was deleted meanwhile. It no
/// longer exists, so the listing leaves it out instead of failing, and says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gone {
    /// What kind of object.
    pub kind: ResourceKind,
    /// Its id.
    pub id: String,
    /// Its name, as the listing showed it.
    pub name: String,
    /// The answer that showed it gone, e.g. `GET /api/2.2/jobs/get: HTTP 400 INVALID_PARAMETER_VALUE: Job 1 does
    /// not exist.`.
    pub answer: String,
}

impl Gone {
    pub(crate) fn new(kind: ResourceKind, id: String, name: String, error: &Error) -> Self {
        let answer = match error {
            Error::Api {
                method,
                path,
                status,
                code,
                message,
                ..
            } => match code {
                Some(code) => format!("{method} {path}: HTTP {status} {code}: {message}"),
                None => format!("{method} {path}: HTTP {status}: {message}"),
            },
            other => other.to_string(),
        };
        Gone {
            kind,
            id,
            name,
            answer,
        }
    }
}

const JOBS_PAGE: u32 = 100;

/// The pipelines list's largest page (`max_results`: "The maximum value is 100").
const PIPELINES_PAGE: u32 = 100;

/// The most pages one listing may take: ten times the largest workspace the API allows (jobs are capped at
/// 12,000 per workspace, Databricks' resource limits page), so only a server that never stops paging reaches it.
const MAX_PAGES: usize = 1_200;

/// Principals asked for in one SCIM page: small pages, so that a large workspace's directory comes in many
/// quick requests rather than one the service may time out on (the SDK asks for 10,000; drsync's choice).
const SCIM_PAGE: usize = 100;

/// Guards a token-paged listing against a server that never stops: a token seen before, or more than
/// [`MAX_PAGES`] pages, is an error rather than an endless loop.
struct Pages {
    tokens: HashSet<String>,
    count: usize,
}

impl Pages {
    fn new() -> Self {
        Pages {
            tokens: HashSet::new(),
            count: 0,
        }
    }

    /// The token of the next page to ask for, or `None` at the end.
    fn next(
        &mut self,
        client: &WorkspaceClient,
        path: &str,
        token: Option<String>,
    ) -> Result<Option<String>, Error> {
        self.count += 1;
        let fail = |reason: String| Error::Paging {
            workspace: client.name().to_string(),
            path: path.to_string(),
            reason,
        };
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if self.count >= MAX_PAGES {
            return Err(fail(format!("more than {MAX_PAGES} pages")));
        }
        if !self.tokens.insert(token.clone()) {
            return Err(fail(format!(
                "page {} repeats the page token of an earlier page",
                self.count
            )));
        }
        Ok(Some(token))
    }
}
const CLUSTERS_PAGE: u32 = 100;

impl WorkspaceClient {
    /// Every job with its complete settings. Lists with `expand_tasks` (100 per page, following
    /// `next_page_token`, or by overlapping offsets with [`JobsPaging::Offset`]), and fetches with `jobs/get`
    /// only the jobs whose arrays the listing cut off. A job deleted between the listing and its `jobs/get` is
    /// left out: it no longer exists ([`WorkspaceClient::list_jobs_mapped`] says which).
    pub async fn list_jobs(&self) -> Result<Vec<Job>, Error> {
        self.list_jobs_counted(&AtomicUsize::new(0)).await
    }

    /// [`WorkspaceClient::list_jobs`], adding the number of jobs listed to `counter` page by page (for progress).
    pub async fn list_jobs_counted(&self, counter: &AtomicUsize) -> Result<Vec<Job>, Error> {
        self.list_jobs_mapped(counter, std::sync::Arc::new(|job| job))
            .await
            .map(|listing| listing.items)
    }

    /// [`WorkspaceClient::list_jobs_counted`], turning each job into what the caller keeps of it with `keep`
    /// as its page is decoded (on a blocking thread, while the listing goes on), so the whole listing is
    /// never held as JSON trees. The jobs deleted between the listing and their `jobs/get` are
    /// [`Listing::gone`].
    pub async fn list_jobs_mapped<T: Send + 'static>(
        &self,
        counter: &AtomicUsize,
        keep: std::sync::Arc<dyn Fn(Job) -> T + Send + Sync>,
    ) -> Result<Listing<T>, Error> {
        let path = "/api/2.2/jobs/list";
        // Pipelined: the next page is asked for as soon as this one's token is read; each page is decoded on a
        // blocking thread meanwhile, and the jobs it names as cut off are fetched while the listing goes on.
        let (cut_tx, cut_rx) = tokio::sync::mpsc::unbounded_channel::<(i64, String)>();
        let for_pages = std::sync::Arc::clone(&keep);
        let paging = self.options().jobs_paging;
        let concurrency = self.options().max_concurrency.max(1);
        // Offset pages asked for at once: each may be past the end, so no more than a family starts with.
        let offset_pages = concurrency.min(super::pacing::INITIAL_IN_FLIGHT);
        // Pages are decoded on as many threads as there are cores, no more: more would only hold more pages in
        // memory at once, and a listing that outpaces decoding waits for it.
        let decoders = std::sync::Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        ));
        let lister = async move {
            let spawn_decode = |text: String, permit: tokio::sync::OwnedSemaphorePermit| {
                let tx = cut_tx.clone();
                let keep = std::sync::Arc::clone(&for_pages);
                tokio::task::spawn_blocking(move || {
                    let decoded = decode_jobs_page(&text, &tx, &*keep);
                    drop(permit);
                    decoded
                })
            };
            let permit = || async {
                std::sync::Arc::clone(&decoders)
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed")
            };
            let parse =
                |text: String| serde_json::from_str::<PageHead>(&text).map(|head| (text, head));
            let base = || {
                vec![
                    ("limit", JOBS_PAGE.to_string()),
                    ("expand_tasks", "true".to_string()),
                ]
            };
            let mut pages = Vec::new();
            if paging == JobsPaging::Offset {
                // Pages overlap by one job: each must start with the job the one before ended with, or the
                // list moved under the listing (a job created or deleted) and a job could have been skipped.
                let stride = JOBS_PAGE as usize - 1;
                let mut fetches = stream::iter(0usize..)
                    .map(|k| {
                        let mut query = base();
                        query.push(("offset", (k * stride).to_string()));
                        async move { self.get_with(path, &query, parse).await }
                    })
                    .buffered(offset_pages);
                let mut previous_last: Option<i64> = None;
                let mut contiguous = true;
                while let Some(page) = fetches.next().await {
                    let (text, head) = page?;
                    if let Some(last) = previous_last {
                        if head.jobs.first().map(|j| j.job_id) != Some(last) {
                            contiguous = false;
                            break;
                        }
                    }
                    counter.fetch_add(
                        head.jobs
                            .len()
                            .saturating_sub(usize::from(previous_last.is_some())),
                        Ordering::Relaxed,
                    );
                    let more =
                        head.jobs.len() == JOBS_PAGE as usize && head.has_more != Some(false);
                    previous_last = head.jobs.last().map(|j| j.job_id);
                    pages.push(spawn_decode(text, permit().await));
                    if !more {
                        break;
                    }
                }
                if contiguous {
                    drop(cut_tx);
                    return Ok::<_, Error>(pages);
                }
                tracing::info!(
                    workspace = %self.name(),
                    "the job list changed while it was read by offsets; reading it again with page tokens"
                );
                pages.clear();
                counter.store(0, Ordering::Relaxed);
            }
            let mut token: Option<String> = None;
            let mut guard = Pages::new();
            loop {
                let mut query = base();
                if let Some(t) = &token {
                    query.push(("page_token", t.clone()));
                }
                let (text, head) = self.get_with(path, &query, parse).await?;
                counter.fetch_add(head.jobs.len(), Ordering::Relaxed);
                pages.push(spawn_decode(text, permit().await));
                token = guard.next(self, path, head.next_page_token)?;
                if token.is_none() {
                    break;
                }
            }
            drop(cut_tx);
            Ok::<_, Error>(pages)
        };
        let cut_off = stream::unfold((cut_rx, HashSet::new()), |(mut rx, mut seen)| async move {
            loop {
                let (id, name) = rx.recv().await?;
                if seen.insert(id) {
                    return Some(((id, name), (rx, seen)));
                }
            }
        });
        // A cut-off job deleted before its `jobs/get` no longer exists: it is left out, and said to be gone,
        // rather than failing the whole listing. A job fetched whole is turned into what the caller keeps at
        // once, on a blocking thread as pages are: cut-off jobs are the largest (over 100 tasks), and a hundred
        // of them held as JSON trees until the listing ends took 50 MB.
        let fetcher = cut_off
            .map(|(id, name)| {
                let keep = std::sync::Arc::clone(&keep);
                async move {
                    match self.get_job(id).await {
                        Ok(job) => match tokio::task::spawn_blocking(move || keep(job)).await {
                            Ok(kept) => Ok((id, Ok(kept))),
                            Err(e) => std::panic::resume_unwind(e.into_panic()),
                        },
                        Err(e) if e.is_not_found() => Ok((
                            id,
                            Err(Gone::new(ResourceKind::Jobs, id.to_string(), name, &e)),
                        )),
                        Err(e) => Err(e),
                    }
                }
            })
            .buffer_unordered(concurrency)
            .try_collect::<Vec<(i64, Result<T, Gone>)>>();
        let (pages, fetched) = tokio::try_join!(lister, fetcher)?;
        let mut full: HashMap<i64, T> = HashMap::new();
        let mut missing: HashMap<i64, Gone> = HashMap::new();
        for (id, fetched) in fetched {
            match fetched {
                Ok(job) => {
                    full.insert(id, job);
                }
                Err(gone) => {
                    missing.insert(id, gone);
                }
            }
        }
        let mut gone = Vec::new();
        let mut jobs: Vec<T> = Vec::new();
        let mut seen = HashSet::new();
        for page in pages {
            let decoded = match page.await {
                Ok(decoded) => decoded,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            };
            let decoded = decoded.map_err(|reason| Error::Decode {
                workspace: self.name().to_string(),
                method: "GET".to_string(),
                path: path.to_string(),
                reason,
                attempts: 1,
            })?;
            for (id, kept) in decoded {
                // A job created while paging can shift the pages; never return one twice.
                if !seen.insert(id) {
                    continue;
                }
                match kept {
                    Some(kept) => jobs.push(kept),
                    // Cut off: every such job was fetched whole, or found gone.
                    None => match full.remove(&id) {
                        Some(kept) => jobs.push(kept),
                        None => gone.extend(missing.remove(&id)),
                    },
                }
            }
        }
        gone.sort_by_key(|g: &Gone| g.id.parse::<i64>().unwrap_or_default());
        Ok(Listing { items: jobs, gone })
    }

    /// One job with every task, job cluster, environment and parameter, following `jobs/get` (2.2) array paging.
    pub async fn get_job(&self, job_id: i64) -> Result<Job, Error> {
        let path = "/api/2.2/jobs/get";
        let first = self.get(path, &[("job_id", job_id.to_string())]).await?;
        let mut guard = Pages::new();
        let mut token = guard.next(self, path, next_token(&first))?;
        let mut job: Job = decode(self, "GET", path, first)?;
        while let Some(t) = token {
            let page = self
                .get(
                    path,
                    &[("job_id", job_id.to_string()), ("page_token", t.clone())],
                )
                .await?;
            token = guard.next(self, path, next_token(&page))?;
            let more: Job = decode(self, "GET", path, page)?;
            job.settings.tasks.extend(more.settings.tasks);
            job.settings.job_clusters.extend(more.settings.job_clusters);
            job.settings.environments.extend(more.settings.environments);
            job.settings.parameters.extend(more.settings.parameters);
        }
        job.extra.remove("next_page_token");
        job.extra.remove("prev_page_token");
        job.extra.remove("has_more");
        Ok(job)
    }

    /// The jobs `jobs/list` gives for the `name` filter ("exact, case-insensitive", databricks-api.md §1.1), every
    /// page of them, without their tasks: the candidates for a job named `name`, which the caller narrows.
    pub async fn jobs_named(&self, name: &str) -> Result<Vec<Job>, Error> {
        let path = "/api/2.2/jobs/list";
        let mut guard = Pages::new();
        let mut token: Option<String> = None;
        let mut jobs = Vec::new();
        loop {
            let mut query = vec![("name", name.to_string()), ("limit", JOBS_PAGE.to_string())];
            if let Some(t) = &token {
                query.push(("page_token", t.clone()));
            }
            let mut page = self.get(path, &query).await?;
            token = guard.next(self, path, next_token(&page))?;
            for job in items(&mut page, "jobs") {
                jobs.push(decode::<Job>(self, "GET", path, job)?);
            }
            if token.is_none() {
                return Ok(jobs);
            }
        }
    }

    /// Start a run of `job_id` now (`POST /api/2.2/jobs/run-now` {job_id}, SDK `JobsAPI.run_now`, `RunNow`) and
    /// return its `run_id` (SDK `RunNowResponse.run_id`). A paused schedule or trigger does not stop it, and it
    /// changes no setting of the job. Sent once: like every POST, retried only when the server certainly did
    /// nothing, so a retry never starts a second run.
    pub async fn run_now(&self, job_id: i64) -> Result<i64, Error> {
        #[derive(serde::Deserialize)]
        struct Started {
            run_id: i64,
        }
        let path = "/api/2.2/jobs/run-now";
        let body = self
            .post(path, &serde_json::json!({ "job_id": job_id }))
            .await?;
        decode::<Started>(self, "POST", path, body).map(|s| s.run_id)
    }

    /// A run as `GET /api/2.2/jobs/runs/get` returns it (SDK `JobsAPI.get_run`, `Run`): its state, times and page.
    /// Only the first page of its tasks is read (2.2 pages them): a drill reads the run's own state, not theirs.
    pub async fn get_run(&self, run_id: i64) -> Result<Run, Error> {
        let path = "/api/2.2/jobs/runs/get";
        let body = self.get(path, &[("run_id", run_id.to_string())]).await?;
        let mut run: Run = decode(self, "GET", path, body)?;
        run.extra.remove("next_page_token");
        run.extra.remove("prev_page_token");
        Ok(run)
    }

    /// Cancel a run (`POST /api/2.2/jobs/runs/cancel` {run_id}, SDK `JobsAPI.cancel_run`): "The run is canceled
    /// asynchronously, so it may still be running when this request completes."
    pub async fn cancel_run(&self, run_id: i64) -> Result<(), Error> {
        self.post(
            "/api/2.2/jobs/runs/cancel",
            &serde_json::json!({ "run_id": run_id }),
        )
        .await
        .map(|_| ())
    }

    /// Every cluster matching `filter`, through the 2.1 list's page tokens. List items carry no `spec`.
    pub async fn list_clusters(&self, filter: &ClusterFilter) -> Result<Vec<Cluster>, Error> {
        self.list_clusters_counted(filter, &AtomicUsize::new(0))
            .await
    }

    /// [`WorkspaceClient::list_clusters`], adding the number of clusters listed to `counter` page by page.
    pub async fn list_clusters_counted(
        &self,
        filter: &ClusterFilter,
        counter: &AtomicUsize,
    ) -> Result<Vec<Cluster>, Error> {
        let path = "/api/2.1/clusters/list";
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut token: Option<String> = None;
        let mut guard = Pages::new();
        loop {
            let mut query = vec![("page_size", CLUSTERS_PAGE.to_string())];
            for s in &filter.sources {
                query.push(("filter_by.cluster_sources", s.clone()));
            }
            if filter.pinned {
                query.push(("filter_by.is_pinned", "true".to_string()));
            }
            if let Some(t) = &token {
                query.push(("page_token", t.clone()));
            }
            let mut page = self.get(path, &query).await?;
            for raw in items(&mut page, "clusters") {
                let c: Cluster = decode(self, "GET", path, raw)?;
                if seen.insert(c.cluster_id.clone()) {
                    out.push(c);
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
            token = guard.next(self, path, next_token(&page))?;
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Every cluster matching `filter` as `clusters/get` returns it, with `spec` (what its creator sent: the
    /// configuration, databricks-api.md §4 Clusters) and `is_pinned` (from a listing filtered on pin status, as
    /// the provider reads it, provider-behaviour.md §3.4). A cluster deleted between the listing and its `get` is
    /// left out, as [`Listing::gone`]: it no longer exists.
    pub async fn list_clusters_detailed(
        &self,
        filter: &ClusterFilter,
        counter: &AtomicUsize,
    ) -> Result<Listing<Cluster>, Error> {
        let pinned_filter = ClusterFilter {
            pinned: true,
            ..filter.clone()
        };
        let (listed, pinned) = tokio::try_join!(
            self.list_clusters_counted(filter, counter),
            self.list_clusters(&pinned_filter)
        )?;
        let pinned: HashSet<String> = pinned.into_iter().map(|c| c.cluster_id).collect();
        let concurrency = self.options().max_concurrency.max(1);
        let detailed: Vec<Result<Cluster, Gone>> = stream::iter(listed)
            .map(|listed| async move {
                match self.get_cluster(&listed.cluster_id).await {
                    Ok(c) => Ok(Ok(c)),
                    Err(e) if e.is_not_found() => Ok(Err(Gone::new(
                        ResourceKind::Clusters,
                        listed.cluster_id,
                        listed.cluster_name.unwrap_or_default(),
                        &e,
                    ))),
                    Err(e) => Err(e),
                }
            })
            .buffered(concurrency)
            .try_collect()
            .await?;
        let mut listing = Listing {
            items: Vec::new(),
            gone: Vec::new(),
        };
        for d in detailed {
            match d {
                Ok(mut c) => {
                    c.is_pinned = Some(pinned.contains(&c.cluster_id));
                    listing.items.push(c);
                }
                Err(gone) => listing.gone.push(gone),
            }
        }
        listing.gone.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(listing)
    }

    /// One cluster, with `spec` (what its creator sent).
    pub async fn get_cluster(&self, cluster_id: &str) -> Result<Cluster, Error> {
        let path = "/api/2.1/clusters/get";
        let body = self
            .get(path, &[("cluster_id", cluster_id.to_string())])
            .await?;
        decode(self, "GET", path, body)
    }

    /// Every instance pool (the endpoint has no paging).
    pub async fn list_instance_pools(&self) -> Result<Vec<InstancePool>, Error> {
        self.list_all("/api/2.0/instance-pools/list", "instance_pools")
            .await
    }

    /// Every cluster policy (the endpoint has no paging).
    pub async fn list_cluster_policies(&self) -> Result<Vec<ClusterPolicy>, Error> {
        self.list_all("/api/2.0/policies/clusters/list", "policies")
            .await
    }

    /// Every SQL warehouse, over the list's page tokens (`ListWarehousesResponse.next_page_token`; a workspace
    /// that does not page answers everything at once). List items carry every field `get` has.
    pub async fn list_sql_warehouses(&self) -> Result<Vec<SqlWarehouse>, Error> {
        let path = "/api/2.0/sql/warehouses";
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut token: Option<String> = None;
        let mut guard = Pages::new();
        loop {
            let query: Vec<(&str, String)> =
                token.iter().map(|t| ("page_token", t.clone())).collect();
            let mut page = self.get(path, &query).await?;
            for raw in items(&mut page, "warehouses") {
                let w: SqlWarehouse = decode(self, "GET", path, raw)?;
                if seen.insert(w.id.clone()) {
                    out.push(w);
                }
            }
            token = guard.next(self, path, next_token(&page))?;
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Every pipeline as `pipelines/{id}` returns it, with its `spec`: the list (`PipelineStateInfo`, 100 a page,
    /// the most it allows: databricks-sdk-py `PipelinesAPI.list_pipelines`) names them, and each is read
    /// concurrently, as clusters are. A pipeline deleted between the two is left out, as [`Listing::gone`].
    pub async fn list_pipelines(&self, counter: &AtomicUsize) -> Result<Listing<Pipeline>, Error> {
        let path = "/api/2.0/pipelines";
        let mut listed: Vec<(String, String)> = Vec::new();
        let mut seen = HashSet::new();
        let mut token: Option<String> = None;
        let mut guard = Pages::new();
        loop {
            let mut query = vec![("max_results", PIPELINES_PAGE.to_string())];
            if let Some(t) = &token {
                query.push(("page_token", t.clone()));
            }
            let mut page = self.get(path, &query).await?;
            for raw in items(&mut page, "statuses") {
                let p: Pipeline = decode(self, "GET", path, raw)?;
                if seen.insert(p.pipeline_id.clone()) {
                    listed.push((p.pipeline_id, p.name.unwrap_or_default()));
                }
            }
            token = guard.next(self, path, next_token(&page))?;
            if token.is_none() {
                break;
            }
        }
        let concurrency = self.options().max_concurrency.max(1);
        let detailed: Vec<Result<Pipeline, Gone>> = stream::iter(listed)
            .map(|(id, name)| async move {
                match self.get_pipeline(&id).await {
                    Ok(p) => {
                        counter.fetch_add(1, Ordering::Relaxed);
                        Ok(Ok(p))
                    }
                    Err(e) if e.is_not_found() => {
                        Ok(Err(Gone::new(ResourceKind::Pipelines, id, name, &e)))
                    }
                    Err(e) => Err(e),
                }
            })
            .buffered(concurrency)
            .try_collect()
            .await?;
        let mut listing = Listing {
            items: Vec::new(),
            gone: Vec::new(),
        };
        for d in detailed {
            match d {
                Ok(p) => listing.items.push(p),
                Err(gone) => listing.gone.push(gone),
            }
        }
        Ok(listing)
    }

    /// One pipeline, with its `spec`.
    pub async fn get_pipeline(&self, pipeline_id: &str) -> Result<Pipeline, Error> {
        // The id is the service's, but still data: encoded as one path segment.
        let segment: String =
            url::form_urlencoded::byte_serialize(pipeline_id.as_bytes()).collect();
        let path = format!("/api/2.0/pipelines/{segment}");
        let body = self.get(&path, &[]).await?;
        decode(self, "GET", &path, body)
    }

    /// The libraries installed on one cluster.
    pub async fn cluster_libraries(&self, cluster_id: &str) -> Result<ClusterLibraries, Error> {
        let path = "/api/2.0/libraries/cluster-status";
        let body = self
            .get(path, &[("cluster_id", cluster_id.to_string())])
            .await?;
        let mut libs: ClusterLibraries = decode(self, "GET", path, body)?;
        if libs.cluster_id.is_empty() {
            libs.cluster_id = cluster_id.to_string();
        }
        Ok(libs)
    }

    /// The libraries of every cluster, in one request.
    pub async fn all_cluster_libraries(&self) -> Result<Vec<ClusterLibraries>, Error> {
        self.list_all("/api/2.0/libraries/all-cluster-statuses", "statuses")
            .await
    }

    /// The node types this workspace's region offers.
    pub async fn list_node_types(&self) -> Result<Vec<NodeType>, Error> {
        self.list_all("/api/2.1/clusters/list-node-types", "node_types")
            .await
    }

    /// The runtime versions this workspace offers.
    pub async fn list_spark_versions(&self) -> Result<Vec<SparkVersion>, Error> {
        self.list_all("/api/2.1/clusters/spark-versions", "versions")
            .await
    }

    /// The availability zones of this (AWS) workspace's region.
    pub async fn list_zones(&self) -> Result<Zones, Error> {
        let path = "/api/2.1/clusters/list-zones";
        let body = self.get(path, &[]).await?;
        decode(self, "GET", path, body)
    }

    /// The instance profiles registered in this workspace (`instance_profile_arn` and flags).
    pub async fn list_instance_profiles(&self) -> Result<Vec<Value>, Error> {
        self.list_all("/api/2.0/instance-profiles/list", "instance_profiles")
            .await
    }

    /// The secret scopes (`name`, `backend_type`; the endpoint has no paging).
    pub async fn list_secret_scopes(&self) -> Result<Vec<SecretScope>, Error> {
        self.list_all("/api/2.0/secrets/scopes/list", "scopes")
            .await
    }

    /// The keys of one scope with when each was last written (`secrets/list`, "a metadata-only operation;
    /// secret data cannot be retrieved using this API": databricks-sdk-py `SecretsAPI.list_secrets`). drsync
    /// never calls `secrets/get`: it never reads a value.
    pub async fn list_secrets(&self, scope: &str) -> Result<Vec<SecretMetadata>, Error> {
        self.list_of_scope("/api/2.0/secrets/list", scope, "secrets")
            .await
    }

    /// The ACLs of one scope (`secrets/acls/list`; `items`, `ListAclsResponse`).
    pub async fn list_secret_acls(&self, scope: &str) -> Result<Vec<SecretAcl>, Error> {
        self.list_of_scope("/api/2.0/secrets/acls/list", scope, "items")
            .await
    }

    async fn list_of_scope<T: DeserializeOwned>(
        &self,
        path: &str,
        scope: &str,
        key: &str,
    ) -> Result<Vec<T>, Error> {
        let mut body = self.get(path, &[("scope", scope.to_string())]).await?;
        items(&mut body, key)
            .into_iter()
            .map(|raw| decode(self, "GET", path, raw))
            .collect()
    }

    /// Every workspace user (SCIM `Users`), with its id and `userName` only.
    pub async fn list_users(&self) -> Result<Vec<ScimPrincipal>, Error> {
        self.list_scim("Users", "userName").await
    }

    /// Every workspace group (SCIM `Groups`), with its id and `displayName` only (not its members).
    pub async fn list_groups(&self) -> Result<Vec<ScimPrincipal>, Error> {
        self.list_scim("Groups", "displayName").await
    }

    /// Every service principal (SCIM `ServicePrincipals`), with its id and `applicationId` only.
    pub async fn list_service_principals(&self) -> Result<Vec<ScimPrincipal>, Error> {
        self.list_scim("ServicePrincipals", "applicationId").await
    }

    /// A SCIM listing, page by page (`startIndex` from 1, `count` a page, RFC 7644 §3.4.2.4, as
    /// databricks-sdk-py `UsersAPI.list` walks it): until a page is empty or `totalResults` are in, each
    /// principal once (by `id`, as the SDK deduplicates). A listing that ends before the `totalResults` it
    /// announced is an error, never a short list. Only `attribute` is asked for (RFC 7644 §3.4.2.5
    /// `attributes`, which the SDK's `list` takes, databricks-api.md §1.5; `id` always comes): a group's members
    /// or a user's e-mails and entitlements would be most of the bytes of a large workspace's listing.
    async fn list_scim(
        &self,
        resource: &str,
        attribute: &str,
    ) -> Result<Vec<ScimPrincipal>, Error> {
        let path = format!("/api/2.0/preview/scim/v2/{resource}");
        let paging = |reason: String| Error::Paging {
            workspace: self.name().to_string(),
            path: path.clone(),
            reason,
        };
        let mut out: Vec<ScimPrincipal> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut start = 1usize;
        let mut total: Option<u64> = None;
        for _ in 0..MAX_PAGES {
            let query = [
                ("startIndex", start.to_string()),
                ("count", SCIM_PAGE.to_string()),
                ("attributes", attribute.to_string()),
            ];
            let mut body = self.get(&path, &query).await?;
            if let Some(t) = body.get("totalResults").and_then(Value::as_u64) {
                total = Some(t);
            }
            let page = items(&mut body, "Resources");
            let n = page.len();
            for raw in page {
                let p: ScimPrincipal = decode(self, "GET", &path, raw)?;
                if seen.insert(p.id.clone()) {
                    out.push(p);
                }
            }
            start += n;
            let announced = total.and_then(|t| usize::try_from(t).ok());
            if n == 0 || announced.is_some_and(|t| start > t) {
                return match announced {
                    Some(t) if start <= t => {
                        Err(paging(format!("an empty page at {start} of {t} announced")))
                    }
                    _ => Ok(out),
                };
            }
        }
        Err(paging(format!("more than {MAX_PAGES} pages")))
    }

    /// The ACL of one object (`GET /api/2.0/permissions/{request_object_type}/{id}`; one endpoint family for
    /// the pacing, with its published ceiling); `None` when the object does not exist (deleted since it was
    /// listed).
    pub async fn get_permissions(
        &self,
        request_object_type: &str,
        id: &str,
    ) -> Result<Option<ObjectPermissions>, Error> {
        let path = format!("/api/2.0/permissions/{request_object_type}/{id}");
        match self.get(&path, &[]).await {
            Ok(body) => decode(self, "GET", &path, body).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The identity behind this client's credentials (asked once per client).
    pub async fn current_user(&self) -> Result<CurrentUser, Error> {
        if let Some(me) = self.inner.me.get() {
            return Ok(me.clone());
        }
        let path = super::identity::ME_PATH;
        let body = self.get(path, &[]).await?;
        let me: CurrentUser = decode(self, "GET", path, body)?;
        let _ = self.inner.me.set(me.clone());
        Ok(me)
    }

    /// A workspace object (notebook, file, directory, repo) by path; `None` when it does not exist.
    pub async fn workspace_status(&self, path: &str) -> Result<Option<Value>, Error> {
        match self
            .get(
                "/api/2.0/workspace/get-status",
                &[("path", path.to_string())],
            )
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The direct children of a workspace folder (or repo), in one request; `None` when the folder does not
    /// exist. `GET /api/2.0/workspace/list?path=` answers `{"objects": [ObjectInfo...]}` without paging (no
    /// page token in the request or the response: docs.databricks.com/api/workspace-objects/v1/list, and
    /// databricks-sdk-py `WorkspaceAPI.list` makes one call), leaves `objects` out for an empty folder (the SDK
    /// reads `json.get('objects', [])`), answers a path that does not exist with 404 `RESOURCE_DOES_NOT_EXIST`,
    /// and a path that is not a folder with the object itself, so callers match children by their paths.
    pub async fn list_workspace(&self, path: &str) -> Result<Option<Vec<WorkspaceObject>>, Error> {
        let endpoint = "/api/2.0/workspace/list";
        match self.get(endpoint, &[("path", path.to_string())]).await {
            Ok(mut body) => items(&mut body, "objects")
                .into_iter()
                .map(|raw| decode(self, "GET", endpoint, raw))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list_all<T: DeserializeOwned>(&self, path: &str, key: &str) -> Result<Vec<T>, Error> {
        let mut body = self.get(path, &[]).await?;
        items(&mut body, key)
            .into_iter()
            .map(|raw| decode(self, "GET", path, raw))
            .collect()
    }
}

/// What the listing itself needs of a `jobs/list` page: how many jobs it has and the next page's token.
/// Reading it checks that the page is whole JSON, without building its jobs.
#[derive(serde::Deserialize)]
struct PageHead {
    #[serde(default)]
    jobs: Vec<JobKey>,
    #[serde(default)]
    has_more: Option<bool>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// A job's id, everything else skipped.
#[derive(serde::Deserialize)]
struct JobKey {
    job_id: i64,
}

/// The jobs of a `jobs/list` page by id, each as `keep` makes it, except those whose arrays were cut off:
/// their ids go to `cut_off` (to be fetched whole) and they come back as `None`.
fn decode_jobs_page<T>(
    text: &str,
    cut_off: &tokio::sync::mpsc::UnboundedSender<(i64, String)>,
    keep: &dyn Fn(Job) -> T,
) -> Result<Vec<(i64, Option<T>)>, String> {
    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(default)]
        jobs: Vec<Job>,
    }
    let page: Page = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(page
        .jobs
        .into_iter()
        .map(|mut job| {
            let id = job.job_id;
            if job.extra.remove("has_more").and_then(|v| v.as_bool()) == Some(true) {
                // The receiver is gone only when the listing already failed.
                let _ = cut_off.send((id, job.settings.name.clone().unwrap_or_default()));
                (id, None)
            } else {
                (id, Some(keep(job)))
            }
        })
        .collect())
}

/// The array under `key`; absent means empty, as the API leaves out empty lists.
fn items(body: &mut Value, key: &str) -> Vec<Value> {
    match body.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

fn next_token(body: &Value) -> Option<String> {
    body.get("next_page_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn decode<T: DeserializeOwned>(
    client: &WorkspaceClient,
    method: &str,
    path: &str,
    raw: Value,
) -> Result<T, Error> {
    serde_json::from_value(raw).map_err(|e| Error::Decode {
        workspace: client.name().to_string(),
        method: method.to_string(),
        path: path.to_string(),
        reason: e.to_string(),
        attempts: 1,
    })
}
