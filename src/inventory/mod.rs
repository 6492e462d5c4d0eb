//! Reading a workspace: every object of the kinds asked for, listed concurrently across kinds through `api`, into
//! typed objects (`model`). Fails as a whole when any listing fails: partial results never leave here. It reads
//! only; normalising, converting and writing are later stages, and nothing here prints.

use crate::api::{ClusterFilter, Gone, Listing, WorkspaceClient};
use crate::model::{
    Cluster, Job, ObjectPermissions, OfScope, PermissionsTarget, ResourceKind, SecretAcl,
    SecretMetadata, SecretScope,
};
use crate::normalize::{self, Packed};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

pub use crate::model::Inventory;

/// How far a read has got, for a progress display: objects listed so far, per kind.
#[derive(Debug, Default)]
pub struct Progress {
    /// Jobs listed.
    pub jobs: AtomicUsize,
    /// Clusters listed.
    pub clusters: AtomicUsize,
    /// Pools listed.
    pub pools: AtomicUsize,
    /// Policies listed.
    pub policies: AtomicUsize,
    /// SQL warehouses listed.
    pub warehouses: AtomicUsize,
    /// Pipelines read (each with its spec).
    pub pipelines: AtomicUsize,
    /// Secret scopes listed.
    pub secret_scopes: AtomicUsize,
    /// Objects whose permissions were read (one `GET permissions/...` each).
    pub permissions: AtomicUsize,
}

/// What [`read_mapped`] read: the jobs as the caller keeps them, everything else as read, and what was gone.
#[derive(Debug, Clone, Default)]
pub struct Listed<J> {
    /// The jobs, each turned into what the caller keeps of it as its page was decoded.
    pub jobs: Vec<J>,
    /// Clusters, libraries, pools, policies, warehouses and pipelines; no jobs.
    pub rest: Inventory,
    /// Jobs, clusters and pipelines the listings named but that were deleted before they could be read whole:
    /// left out.
    pub gone: Vec<Gone>,
}

/// Read everything of the given kinds, concurrently across kinds. Fails as a whole if any listing fails.
pub async fn read(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
) -> Result<Inventory, crate::api::Error> {
    read_with_progress(client, kinds, &Progress::default()).await
}

/// [`read`], counting what it has listed in `progress` as it goes.
pub async fn read_with_progress(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    progress: &Progress,
) -> Result<Inventory, crate::api::Error> {
    let (mut inventory, _) = read_noting_gone(client, kinds, progress).await?;
    if kinds.contains(&ResourceKind::Permissions) {
        let (tx, rx) = unbounded_channel();
        for (kind, id) in object_ids(&inventory, kinds) {
            let _ = tx.send((kind, id));
        }
        if kinds.contains(&ResourceKind::Jobs) {
            for job in &inventory.jobs {
                let _ = tx.send((ResourceKind::Jobs, job.job_id.to_string()));
            }
        }
        drop(tx);
        let (permissions, reader) =
            tokio::try_join!(read_permissions(client, rx, progress), reader(client))?;
        inventory.permissions = permissions;
        inventory.reader = Some(reader);
    }
    Ok(inventory)
}

/// The objects of the permission-bearing kinds in `kinds` that `inventory` holds, other than jobs (which are
/// sent as they are listed).
fn object_ids(inventory: &Inventory, kinds: &[ResourceKind]) -> Vec<(ResourceKind, String)> {
    let ids: [(ResourceKind, Vec<&str>); 5] = [
        (
            ResourceKind::Clusters,
            inventory
                .clusters
                .iter()
                .map(|c| c.cluster_id.as_str())
                .collect(),
        ),
        (
            ResourceKind::InstancePools,
            inventory
                .pools
                .iter()
                .map(|p| p.instance_pool_id.as_str())
                .collect(),
        ),
        (
            ResourceKind::ClusterPolicies,
            inventory
                .policies
                .iter()
                .map(|p| p.policy_id.as_str())
                .collect(),
        ),
        (
            ResourceKind::SqlWarehouses,
            inventory.warehouses.iter().map(|w| w.id.as_str()).collect(),
        ),
        (
            ResourceKind::Pipelines,
            inventory
                .pipelines
                .iter()
                .map(|p| p.pipeline_id.as_str())
                .collect(),
        ),
    ];
    ids.into_iter()
        .filter(|(kind, _)| kinds.contains(kind))
        .flat_map(|(kind, ids)| ids.into_iter().map(move |id| (kind, id.to_string())))
        .collect()
}

/// Where the ids of objects whose permissions are to be read are sent.
type IdSender = UnboundedSender<(ResourceKind, String)>;

/// Permission reads in flight at most: the client's pacing holds the `GET permissions` family to its own
/// window and published ceiling (`api::pacing`), so this only bounds what waits in memory.
const PERMISSION_READS: usize = 64;

/// The ACL of every object that arrives on `ids`, read as they arrive (one GET each, at most
/// [`PERMISSION_READS`] waiting), counted in `progress`, ordered by `object_id`. An object deleted since it
/// was listed has none.
async fn read_permissions(
    client: &WorkspaceClient,
    ids: UnboundedReceiver<(ResourceKind, String)>,
    progress: &Progress,
) -> Result<Vec<ObjectPermissions>, crate::api::Error> {
    let ids = stream::unfold(
        ids,
        |mut rx| async move { rx.recv().await.map(|v| (v, rx)) },
    );
    // A job may be decoded twice (overlapping offset pages keep the first, but the caller sees both): each
    // object is read once.
    let mut seen: HashSet<(ResourceKind, String)> = HashSet::new();
    let mut read: Vec<ObjectPermissions> = ids
        .filter_map(move |(kind, id)| {
            let first = seen.insert((kind, id.clone()));
            async move {
                PermissionsTarget::of_kind(kind)
                    .filter(|_| first)
                    .map(|t| (t.request_object_type, id))
            }
        })
        .map(|(path, id)| async move {
            let got = client.get_permissions(path, &id).await;
            progress.permissions.fetch_add(1, Ordering::Relaxed);
            got
        })
        .buffer_unordered(PERMISSION_READS)
        .try_filter_map(|p| async move { Ok(p) })
        .try_collect()
        .await?;
    read.sort_by(|a, b| a.object_id.cmp(&b.object_id));
    Ok(read)
}

/// Who the client reads as.
async fn reader(client: &WorkspaceClient) -> Result<String, crate::api::Error> {
    client.current_user().await.map(|me| me.user_name)
}

/// [`read_with_progress`], and the objects left out because they were deleted while they were read.
async fn read_noting_gone(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    progress: &Progress,
) -> Result<(Inventory, Vec<Gone>), crate::api::Error> {
    let wants = |k| kinds.contains(&k);
    let all_purpose = ClusterFilter::all_purpose();
    let (jobs, clusters, libraries, pools, policies, warehouses, pipelines, secrets) = tokio::try_join!(
        async {
            if wants(ResourceKind::Jobs) {
                client.list_jobs_counted(&progress.jobs).await
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if wants(ResourceKind::Clusters) {
                client
                    .list_clusters_detailed(&all_purpose, &progress.clusters)
                    .await
            } else {
                Ok(Listing {
                    items: Vec::new(),
                    gone: Vec::new(),
                })
            }
        },
        async {
            if wants(ResourceKind::Clusters) {
                client.all_cluster_libraries().await
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if wants(ResourceKind::InstancePools) {
                let pools = client.list_instance_pools().await;
                if let Ok(p) = &pools {
                    progress.pools.store(p.len(), Ordering::Relaxed);
                }
                pools
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if wants(ResourceKind::ClusterPolicies) {
                let policies = client.list_cluster_policies().await;
                if let Ok(p) = &policies {
                    progress.policies.store(p.len(), Ordering::Relaxed);
                }
                policies
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if wants(ResourceKind::SqlWarehouses) {
                let warehouses = client.list_sql_warehouses().await;
                if let Ok(w) = &warehouses {
                    progress.warehouses.store(w.len(), Ordering::Relaxed);
                }
                warehouses
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if wants(ResourceKind::Pipelines) {
                client.list_pipelines(&progress.pipelines).await
            } else {
                Ok(Listing {
                    items: Vec::new(),
                    gone: Vec::new(),
                })
            }
        },
        async {
            if wants(ResourceKind::SecretScopes) || wants(ResourceKind::SecretAcls) {
                read_secrets(client, progress).await
            } else {
                Ok(Secrets::default())
            }
        },
    )?;
    let inventory = Inventory {
        jobs,
        clusters: clusters
            .items
            .into_iter()
            .filter(Cluster::is_all_purpose)
            .collect(),
        libraries,
        pools,
        policies,
        warehouses,
        pipelines: pipelines.items,
        secret_scopes: secrets.scopes,
        secret_acls: secrets.acls,
        secret_keys: secrets.keys,
        permissions: Vec::new(),
        reader: None,
    };
    let mut gone = clusters.gone;
    gone.extend(pipelines.gone);
    gone.extend(secrets.gone);
    Ok((inventory, gone))
}

/// Secret scopes with their ACLs and key names, and the scopes deleted while they were read.
#[derive(Debug, Default)]
struct Secrets {
    scopes: Vec<SecretScope>,
    acls: Vec<OfScope<SecretAcl>>,
    keys: Vec<OfScope<SecretMetadata>>,
    gone: Vec<Gone>,
}

/// Scopes read at once, at most (each takes two requests; the client paces them per endpoint family).
const SCOPES_AT_ONCE: usize = 8;

/// Every secret scope, then each scope's ACLs and keys (names only: `secrets/list`; never `secrets/get`, drsync
/// reads no value), scopes several at a time, in the listing's order. A scope whose listings say it does not
/// exist was deleted meanwhile: it is left out and named.
async fn read_secrets(
    client: &WorkspaceClient,
    progress: &Progress,
) -> Result<Secrets, crate::api::Error> {
    let scopes = client.list_secret_scopes().await?;
    progress
        .secret_scopes
        .store(scopes.len(), Ordering::Relaxed);
    type Read = Result<(Vec<SecretAcl>, Vec<SecretMetadata>), crate::api::Error>;
    let read: Vec<Read> = stream::iter(&scopes)
        .map(|scope| async move {
            match tokio::try_join!(
                client.list_secret_acls(&scope.name),
                client.list_secrets(&scope.name)
            ) {
                Ok(both) => Ok(Ok(both)),
                Err(e) if e.is_not_found() => Ok(Err(e)),
                Err(e) => Err(e),
            }
        })
        .buffered(SCOPES_AT_ONCE)
        .try_collect()
        .await?;
    let mut out = Secrets::default();
    for (scope, read) in scopes.into_iter().zip(read) {
        match read {
            Ok((acls, keys)) => {
                out.acls.push(OfScope {
                    scope: scope.name.clone(),
                    items: acls,
                });
                out.keys.push(OfScope {
                    scope: scope.name.clone(),
                    items: keys,
                });
                out.scopes.push(scope);
            }
            Err(e) => out.gone.push(Gone::new(
                ResourceKind::SecretScopes,
                scope.name.clone(),
                scope.name,
                &e,
            )),
        }
    }
    Ok(out)
}

/// [`read_with_progress`], with each job turned into what the caller keeps of it (`keep`) on a blocking thread
/// as its page is decoded, while the listing goes on: the listing is never held as raw JSON trees.
pub async fn read_mapped<J: Send + 'static>(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    progress: &Progress,
    keep: Arc<dyn Fn(Job) -> J + Send + Sync>,
) -> Result<Listed<J>, crate::api::Error> {
    let others: Vec<ResourceKind> = kinds
        .iter()
        .copied()
        .filter(|k| *k != ResourceKind::Jobs)
        .collect();
    // Permissions are read as the objects are listed: each job's id is sent as its page is decoded, the other
    // kinds' when their listings are in; the reads end when both senders are gone.
    let permissions = kinds.contains(&ResourceKind::Permissions);
    let (tx, rx) = unbounded_channel::<(ResourceKind, String)>();
    let job_ids: Arc<Mutex<Option<IdSender>>> =
        Arc::new(Mutex::new(permissions.then(|| tx.clone())));
    let mut rest_ids = permissions.then_some(tx);
    let keep: Arc<dyn Fn(Job) -> J + Send + Sync> = if permissions {
        let job_ids = Arc::clone(&job_ids);
        Arc::new(move |job: Job| {
            if let Some(tx) = &*job_ids.lock().expect("job id sender poisoned") {
                let _ = tx.send((ResourceKind::Jobs, job.job_id.to_string()));
            }
            keep(job)
        })
    } else {
        keep
    };
    let (jobs, (rest, mut gone), (permissions, reader)) = tokio::try_join!(
        async {
            let listed = if kinds.contains(&ResourceKind::Jobs) {
                client.list_jobs_mapped(&progress.jobs, keep).await
            } else {
                Ok(Listing {
                    items: Vec::new(),
                    gone: Vec::new(),
                })
            };
            job_ids.lock().expect("job id sender poisoned").take();
            listed
        },
        async {
            let read = read_noting_gone(client, &others, progress).await;
            if let (Ok((inventory, _)), Some(tx)) = (&read, rest_ids.take()) {
                for id in object_ids(inventory, kinds) {
                    let _ = tx.send(id);
                }
            }
            read
        },
        async {
            if permissions {
                let (p, r) =
                    tokio::try_join!(read_permissions(client, rx, progress), reader(client))?;
                Ok((p, Some(r)))
            } else {
                Ok((Vec::new(), None))
            }
        },
    )?;
    gone.splice(0..0, jobs.gone);
    let mut rest = rest;
    rest.permissions = permissions;
    rest.reader = reader;
    Ok(Listed {
        jobs: jobs.items,
        rest,
        gone,
    })
}

/// Every object of the given kinds, normalised (what drift compares) and packed, in the order of `kinds`,
/// without those the export leaves out ([`normalize::Normalized::excluded`]): jobs are normalised and packed as their pages
/// arrive ([`read_mapped`]), the rest by [`normalize::by_kind`]. Packed, because drift holds them all until it
/// compares: a listing of trees would be several times larger ([`normalize::Packed`]).
pub async fn read_normalized(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    options: &normalize::Options,
) -> Result<Vec<Packed>, crate::api::Error> {
    read_normalized_keeping(client, kinds, options, Arc::new(|_: &Job| ()))
        .await
        .map(|kept| kept.objects)
}

/// What [`read_normalized_keeping`] read.
#[derive(Debug, Clone, Default)]
pub struct Kept<K> {
    /// Every object, normalised and packed, as [`read_normalized`] returns them.
    pub objects: Vec<Packed>,
    /// What the caller kept of each job listed (excluded ones too), in the order they were listed.
    pub jobs: Vec<K>,
    /// The clusters, libraries, pools, policies, warehouses and pipelines as read (no jobs): small next to the
    /// jobs.
    pub rest: Inventory,
}

/// [`read_normalized`], and what `keep` takes of each raw job as its page is decoded, before it is normalised:
/// for a caller that needs a few facts the normalised form drops (`check`'s pause statuses) without holding
/// the raw listing.
pub async fn read_normalized_keeping<K: Send + 'static>(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    options: &normalize::Options,
    keep: Arc<dyn Fn(&Job) -> K + Send + Sync>,
) -> Result<Kept<K>, crate::api::Error> {
    let job_options = *options;
    // A DR object deleted while it was read no longer exists: drift compares what is there.
    let listed = read_mapped(
        client,
        kinds,
        &Progress::default(),
        Arc::new(move |job| {
            let kept = keep(&job);
            (Packed::pack(normalize::into_job(job, &job_options)), kept)
        }),
    )
    .await?;
    let (packed_jobs, jobs): (Vec<Option<Packed>>, Vec<K>) = listed.jobs.into_iter().unzip();
    let objects = normalize::by_kind(
        packed_jobs,
        &listed.rest,
        kinds,
        options,
        |p| p,
        Packed::pack,
    );
    Ok(Kept {
        objects: objects.into_iter().flatten().collect(),
        jobs,
        rest: listed.rest,
    })
}

/// What `drsync inventory` shows: who the client is, and how many objects of each kind the workspace holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// The identity the client reads as (SCIM `Me`).
    pub identity: String,
    /// Jobs.
    pub jobs: usize,
    /// Tasks over all jobs.
    pub tasks: usize,
    /// Jobs with more than 100 tasks (read in pages).
    pub jobs_over_100_tasks: usize,
    /// All-purpose clusters.
    pub all_purpose_clusters: usize,
    /// Instance pools.
    pub instance_pools: usize,
    /// Cluster policies.
    pub cluster_policies: usize,
    /// SQL warehouses.
    pub sql_warehouses: usize,
    /// Pipelines.
    pub pipelines: usize,
}

/// Count what a workspace holds, every listing concurrently: a quick check that a workspace and its
/// credentials work (clusters are listed without their libraries).
pub async fn count(client: &WorkspaceClient) -> Result<Counts, crate::api::Error> {
    let all_purpose = ClusterFilter::all_purpose();
    let read_pipelines = AtomicUsize::new(0);
    let (me, jobs, clusters, pools, policies, warehouses, pipelines) = tokio::try_join!(
        client.current_user(),
        client.list_jobs(),
        client.list_clusters(&all_purpose),
        client.list_instance_pools(),
        client.list_cluster_policies(),
        client.list_sql_warehouses(),
        client.list_pipelines(&read_pipelines),
    )?;
    Ok(Counts {
        identity: me.user_name,
        jobs: jobs.len(),
        tasks: jobs.iter().map(|j| j.settings.tasks.len()).sum(),
        jobs_over_100_tasks: jobs.iter().filter(|j| j.settings.tasks.len() > 100).count(),
        all_purpose_clusters: clusters.len(),
        instance_pools: pools.len(),
        cluster_policies: policies.len(),
        sql_warehouses: warehouses.len(),
        pipelines: pipelines.items.len(),
    })
}
