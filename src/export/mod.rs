//! The export: read the primary workspace, normalise every object, label it, turn ids into references, and
//! render one canonical Terraform file per resource type. Building is pure and deterministic (the same
//! workspace gives byte-identical files); writing replaces the export folder's drsync files (and only those),
//! and only after everything was read, converted and validated, so a partial export never replaces a complete one.

mod convert;
mod deferred;
pub mod filter;
mod moved;
mod write;

pub use convert::{Converter, References, Warning};
pub use deferred::{PreparedJob, Preparer};
pub use filter::NameFilter;
pub use moved::{Move, MOVED_FILE};
pub use write::{stage, write, Staged, Written};

use crate::api::{ClusterFilter, Gone, Listing, WorkspaceClient};
use crate::hcl::{LabelAllocator, LabelItem, Schema};
use crate::model::normalize::{self, Normalized};
use crate::model::{Cluster, ClusterLibraries, ClusterPolicy, InstancePool, Job, ResourceKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The provider schema drsync writes against, shipped inside the binary.
pub const PROVIDER_SCHEMA: &str = include_str!("../../schema/databricks-provider-1.99.0.json");

/// The file that remembers which primary object each label stands for, so labels stay stable.
pub const LABELS_FILE: &str = "drsync-labels.json";

/// Every file name the export writes; others in its folder are the user's and are left alone.
pub const MANAGED_FILES: &[&str] = &MANAGED;

const MANAGED: [&str; 9] = [
    "jobs.tf",
    "clusters.tf",
    "instance_pools.tf",
    "cluster_policies.tf",
    "versions.tf",
    "variables.tf",
    "dr.auto.tfvars",
    MOVED_FILE,
    LABELS_FILE,
];

/// The export folder's `.gitignore`: the export adds the lines of [`GITIGNORED`] it lacks, keeping the user's.
pub const GITIGNORE_FILE: &str = ".gitignore";

/// What the export folder's `.gitignore` keeps out of Git: Terraform's working folder (provider binaries,
/// modules), local state and its backups (which hold every attribute in clear, secrets included), crash logs and
/// saved plans. Not `.terraform.lock.hcl`: Terraform's docs ask for the dependency lock file to be committed
/// ("Dependency Lock File": "include this file in your version control repository"); it is the user's to commit.
pub const GITIGNORED: &[&str] = &[
    ".terraform/",
    "*.tfstate",
    "*.tfstate.*",
    "crash.log",
    "*.tfplan",
];

/// Every file an export commits: its own files ([`MANAGED_FILES`]) and the folder's `.gitignore`. Anything else
/// in the folder is the user's (or Terraform's) and is never committed by an export.
pub const COMMITTED_FILES: &[&str] = &{
    let mut all = [GITIGNORE_FILE; MANAGED.len() + 1];
    let mut i = 0;
    while i < MANAGED.len() {
        all[i] = MANAGED[i];
        i += 1;
    }
    all
};

/// The provider schema, parsed.
pub fn provider_schema() -> Schema {
    Schema::from_json(
        PROVIDER_SCHEMA,
        Path::new("schema/databricks-provider-1.99.0.json"),
    )
    .expect("the embedded provider schema is valid")
}

/// What was read from a workspace, before any processing.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Jobs with complete settings.
    pub jobs: Vec<Job>,
    /// All-purpose clusters (made in the UI or through the API).
    pub clusters: Vec<Cluster>,
    /// Libraries per cluster.
    pub libraries: Vec<ClusterLibraries>,
    /// Instance pools.
    pub pools: Vec<InstancePool>,
    /// Cluster policies.
    pub policies: Vec<ClusterPolicy>,
}

/// How far a [`read`] has got, for a progress display: objects listed so far, per kind.
#[derive(Debug, Default)]
pub struct Progress {
    /// Jobs listed.
    pub jobs: std::sync::atomic::AtomicUsize,
    /// Clusters listed.
    pub clusters: std::sync::atomic::AtomicUsize,
    /// Pools listed.
    pub pools: std::sync::atomic::AtomicUsize,
    /// Policies listed.
    pub policies: std::sync::atomic::AtomicUsize,
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
    read_noting_gone(client, kinds, progress)
        .await
        .map(|(inventory, _)| inventory)
}

/// [`read_with_progress`], and the objects left out because they were deleted while they were read.
async fn read_noting_gone(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    progress: &Progress,
) -> Result<(Inventory, Vec<Gone>), crate::api::Error> {
    use std::sync::atomic::Ordering;
    let wants = |k| kinds.contains(&k);
    let all_purpose = ClusterFilter::all_purpose();
    let (jobs, clusters, libraries, pools, policies) = tokio::try_join!(
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
    };
    Ok((inventory, clusters.gone))
}

/// What an export reads: jobs converted as they arrive ([`Preparer::prepare`]), everything else as read.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// The jobs.
    pub jobs: Vec<PreparedJob>,
    /// Clusters, libraries, pools and policies; no jobs.
    pub rest: Inventory,
    /// Jobs and clusters the listings named but that were deleted before they could be read whole: left out,
    /// each with a warning.
    pub gone: Vec<Gone>,
}

/// [`read_with_progress`] for an export: each page of jobs is normalised and converted ahead of time by
/// `preparer` as it is decoded, while the listing goes on.
pub async fn read_prepared(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    progress: &Progress,
    preparer: &std::sync::Arc<Preparer>,
) -> Result<Prepared, crate::api::Error> {
    let preparer = std::sync::Arc::clone(preparer);
    let keep = std::sync::Arc::new(move |job| preparer.prepare(job));
    let (jobs, rest, gone) = read_jobs_mapped(client, kinds, progress, keep).await?;
    Ok(Prepared { jobs, rest, gone })
}

/// [`read_with_progress`], with each job turned into what the caller keeps of it as its page is decoded; the
/// inventory returned holds everything but the jobs. Also returns the jobs and clusters left out because they
/// were deleted while they were read.
async fn read_jobs_mapped<T: Send + 'static>(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    progress: &Progress,
    keep: std::sync::Arc<dyn Fn(Job) -> T + Send + Sync>,
) -> Result<(Vec<T>, Inventory, Vec<Gone>), crate::api::Error> {
    let others: Vec<ResourceKind> = kinds
        .iter()
        .copied()
        .filter(|k| *k != ResourceKind::Jobs)
        .collect();
    let (jobs, (rest, mut gone)) = tokio::try_join!(
        async {
            if kinds.contains(&ResourceKind::Jobs) {
                client.list_jobs_mapped(&progress.jobs, keep).await
            } else {
                Ok(Listing {
                    items: Vec::new(),
                    gone: Vec::new(),
                })
            }
        },
        read_noting_gone(client, &others, progress),
    )?;
    gone.splice(0..0, jobs.gone);
    Ok((jobs.items, rest, gone))
}

/// Every object of the given kinds, normalised (what drift compares), without those the export leaves out
/// ([`Normalized::excluded`]): jobs are normalised on blocking threads as their pages arrive, so the listing
/// is never held as raw JSON trees.
pub async fn read_normalized(
    client: &WorkspaceClient,
    kinds: &[ResourceKind],
    options: &normalize::Options,
) -> Result<Vec<Normalized>, crate::api::Error> {
    let job_options = *options;
    // A DR object deleted while it was read no longer exists: drift compares what is there.
    let (jobs, rest, _gone) = read_jobs_mapped(
        client,
        kinds,
        &Progress::default(),
        std::sync::Arc::new(move |job| normalize::into_job(job, &job_options)),
    )
    .await?;
    let jobs: Vec<Normalized> = jobs.into_iter().filter(|j| j.excluded.is_none()).collect();
    let libraries: HashMap<&str, &ClusterLibraries> = rest
        .libraries
        .iter()
        .map(|l| (l.cluster_id.as_str(), l))
        .collect();
    // In the order of `kinds`, as `drift::compare` normalises an inventory.
    let mut jobs = Some(jobs);
    let mut objects = Vec::new();
    for kind in kinds {
        match kind {
            ResourceKind::Jobs => objects.extend(jobs.take().unwrap_or_default()),
            ResourceKind::Clusters => objects.extend(rest.clusters.iter().map(|c| {
                normalize::cluster(c, libraries.get(c.cluster_id.as_str()).copied(), options)
            })),
            ResourceKind::InstancePools => {
                objects.extend(rest.pools.iter().map(normalize::instance_pool))
            }
            ResourceKind::ClusterPolicies => {
                objects.extend(rest.policies.iter().map(normalize::cluster_policy))
            }
        }
    }
    Ok(objects)
}

/// An object on its way through [`build`] or [`build_prepared`].
struct Object {
    kind: ResourceKind,
    id: String,
    name: String,
    created: i64,
    config: Config,
    /// Why it is not exported, if it is not.
    excluded: Option<String>,
    /// What normalising it left out.
    notes: Vec<normalize::Note>,
}

enum Config {
    Tree(serde_json::Value),
    Prepared(Box<PreparedJob>),
}

impl From<Normalized> for Object {
    fn from(n: Normalized) -> Object {
        Object {
            kind: n.kind,
            id: n.id,
            name: n.name,
            created: n.created,
            config: Config::Tree(n.config),
            excluded: n.excluded,
            notes: n.notes,
        }
    }
}

impl From<PreparedJob> for Object {
    fn from(j: PreparedJob) -> Object {
        Object {
            kind: ResourceKind::Jobs,
            id: j.id.clone(),
            name: j.name.clone(),
            created: j.created,
            excluded: j.excluded.clone(),
            notes: j.notes.clone(),
            config: Config::Prepared(Box::new(j)),
        }
    }
}

/// What to export and how.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The kinds to export.
    pub kinds: Vec<ResourceKind>,
    /// Name globs.
    pub filter: NameFilter,
    /// The provider version constraint for `versions.tf`.
    pub provider_version: String,
    /// The primary workspace's host, named in the files' header.
    pub source_host: String,
    /// The region rules.
    pub rules: crate::rewrite::Rules,
    /// What the normaliser keeps on request (`[export] bundle_jobs`, `failed_libraries`).
    pub normalize: normalize::Options,
    /// The identity the export reads the workspace as (SCIM `Me`): a job's `run_as` equal to it is left out, as
    /// the provider's exporter leaves it out (provider-behaviour.md §2.5), so that DR runs the job as the identity
    /// that applies the HCL there.
    pub exporter: Option<String>,
    /// The primary's workspace id (`api::identity`), recorded in the label map so that a later export can tell
    /// that it reads the same workspace.
    pub workspace_id: Option<String>,
}

/// A job normalised for this export: [`normalize::into_job`], without a `run_as` of the exporting identity.
pub(crate) fn normalize_job(job: Job, settings: &Settings) -> Normalized {
    let mut n = normalize::into_job(job, &settings.normalize);
    if let (Some(me), serde_json::Value::Object(config)) = (&settings.exporter, &mut n.config) {
        let run_as = config.get("run_as");
        let mine = ["user_name", "service_principal_name"]
            .iter()
            .any(|k| run_as.and_then(|r| r.get(*k)).and_then(|v| v.as_str()) == Some(me.as_str()));
        if mine {
            config.remove("run_as");
        }
    }
    n
}

/// One exported object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exported {
    /// Its kind.
    pub kind: ResourceKind,
    /// Its resource label.
    pub label: String,
    /// Its name in the workspace.
    pub name: String,
    /// Its id in the primary workspace.
    pub id: String,
}

impl Exported {
    /// `TYPE.LABEL`.
    pub fn address(&self) -> String {
        format!("{}.{}", self.kind.resource_type(), self.label)
    }
}

/// A complete export, in memory.
#[derive(Debug, Clone)]
pub struct Export {
    /// File name → content.
    pub files: BTreeMap<String, String>,
    /// Every exported object, by kind then label.
    pub resources: Vec<Exported>,
    /// What could not be carried over exactly.
    pub warnings: Vec<Warning>,
    /// What the region rules changed.
    pub rewrite: crate::rewrite::Report,
    /// How many jobs were converted ahead of time, while the listing ran ([`build_prepared`]); the others
    /// were converted after it.
    pub converted_ahead: usize,
}

/// Which primary object each label stood for in the previous export (`drsync-labels.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelMap {
    /// Format version.
    pub version: u32,
    /// The workspace id of the primary this export was read from (`X-Databricks-Org-Id`), so that a later
    /// export of another workspace, or a DR that is the primary, is caught. Absent in older label maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Resource type → label → primary id.
    pub resources: BTreeMap<String, BTreeMap<String, String>>,
    /// Resource type → renames not yet known to be applied, oldest first: written to `moved.tf` by every export
    /// while they can still matter (see `moved::keep`). Absent in label maps without any (and in older ones).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub moved: BTreeMap<String, Vec<Move>>,
}

/// Why an export could not be built or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Generated HCL broke the provider schema: a bug in drsync.
    #[error(
        "generated HCL does not match the provider schema (a bug in drsync, please report it): {0}"
    )]
    Schema(String),
    /// Generated HCL failed its check (a template sequence in a string, unbalanced brackets) or did not parse
    /// back: a bug in drsync.
    #[error("generated {file} is not safe, well-formed HCL (a bug in drsync, please report it)")]
    Reparse {
        /// The file.
        file: String,
        /// The parse error.
        #[source]
        source: crate::hcl::Error,
    },
    /// The previous label map could not be read.
    #[error("{}: cannot read the label map: {reason}", path.display())]
    Labels {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The rewritten output breaks the passive-DR invariant: a bug in drsync.
    #[error("{resource}: `{path}` is not PAUSED after pause = \"literal\" (a bug in drsync, please report it)")]
    LivePause {
        /// `TYPE.LABEL`.
        resource: String,
        /// The block.
        path: String,
    },
    /// Writing the export failed; the previous export is untouched.
    #[error("cannot write the export to {}", path.display())]
    Write {
        /// The path being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl LabelMap {
    /// The workspace id recorded in a label map's text, if it is one and records one.
    pub fn workspace_id_in(text: &str) -> Option<String> {
        serde_json::from_str::<LabelMap>(text).ok()?.workspace_id
    }

    /// Read the label map of a previous export in `dir`; none there is an empty map.
    pub fn load(dir: &Path) -> Result<LabelMap, Error> {
        let path = dir.join(LABELS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| Error::Labels {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LabelMap::default()),
            Err(e) => Err(Error::Labels {
                path,
                reason: e.to_string(),
            }),
        }
    }
}

/// Build the export from what was read. Pure and deterministic. It takes the inventory so that each object
/// is normalised in place rather than copied.
pub fn build(
    inv: Inventory,
    settings: &Settings,
    previous: &LabelMap,
    schema: &Schema,
) -> Result<Export, Error> {
    let Inventory {
        jobs,
        clusters,
        libraries,
        pools,
        policies,
    } = inv;
    let jobs = jobs
        .into_iter()
        .map(|j| Object::from(normalize_job(j, settings)))
        .collect();
    assemble(
        jobs, clusters, libraries, pools, policies, settings, previous, schema,
    )
}

/// [`build`] from what [`read_prepared`] read: the same export, sooner.
pub fn build_prepared(
    read: Prepared,
    settings: &Settings,
    previous: &LabelMap,
    schema: &Schema,
) -> Result<Export, Error> {
    let Prepared { jobs, rest, gone } = read;
    let jobs = jobs
        .into_iter()
        .filter(|j| j.included)
        .map(Object::from)
        .collect();
    let mut export = assemble(
        jobs,
        rest.clusters,
        rest.libraries,
        rest.pools,
        rest.policies,
        settings,
        previous,
        schema,
    )?;
    // Objects deleted while they were read are not exported; each is named, as it may be a surprise.
    let before = export.warnings.len();
    export.warnings.extend(
        gone.into_iter()
            .filter(|g| settings.kinds.contains(&g.kind) && settings.filter.matches(&g.name))
            .map(|g| Warning {
                resource: format!("{} {:?} (id {})", g.kind.resource_type(), g.name, g.id),
                path: String::new(),
                message: format!(
                    "not exported: it was deleted while the export read it ({})",
                    g.answer
                ),
                id: None,
            }),
    );
    if export.warnings.len() > before {
        export.warnings.sort();
    }
    Ok(export)
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    jobs: Vec<Object>,
    clusters: Vec<Cluster>,
    libraries: Vec<ClusterLibraries>,
    pools: Vec<InstancePool>,
    policies: Vec<ClusterPolicy>,
    settings: &Settings,
    previous: &LabelMap,
    schema: &Schema,
) -> Result<Export, Error> {
    let libraries: HashMap<&str, &ClusterLibraries> = libraries
        .iter()
        .map(|l| (l.cluster_id.as_str(), l))
        .collect();
    let (mut jobs, mut clusters, mut pools, mut policies) =
        (Some(jobs), Some(clusters), Some(pools), Some(policies));
    let mut objects: Vec<Object> = Vec::new();
    for kind in ResourceKind::ALL {
        if !settings.kinds.contains(&kind) {
            continue;
        }
        let normalized: Vec<Object> = match kind {
            ResourceKind::Jobs => jobs.take().unwrap_or_default(),
            ResourceKind::Clusters => clusters
                .take()
                .unwrap_or_default()
                .iter()
                .map(|c| {
                    normalize::cluster(
                        c,
                        libraries.get(c.cluster_id.as_str()).copied(),
                        &settings.normalize,
                    )
                    .into()
                })
                .collect(),
            ResourceKind::InstancePools => pools
                .take()
                .unwrap_or_default()
                .iter()
                .map(|p| normalize::instance_pool(p).into())
                .collect(),
            ResourceKind::ClusterPolicies => policies
                .take()
                .unwrap_or_default()
                .iter()
                .map(|p| normalize::cluster_policy(p).into())
                .collect(),
        };
        objects.extend(
            normalized
                .into_iter()
                .filter(|n| settings.filter.matches(&n.name)),
        );
    }
    // What the provider cannot create faithfully, or what belongs to something else, is left out by name.
    let mut exclusion_warnings = Vec::new();
    objects.retain_mut(|o| match o.excluded.take() {
        Some(reason) => {
            exclusion_warnings.push(Warning {
                resource: format!("{} {:?} (id {})", o.kind.resource_type(), o.name, o.id),
                path: String::new(),
                message: format!("not exported: it {reason}"),
                id: None,
            });
            false
        }
        None => true,
    });

    // Labels: first those the previous export gave to objects that still exist, then new ones, oldest first.
    let mut refs = References::default();
    let mut labelled: Vec<(Exported, usize)> = Vec::new();
    for kind in ResourceKind::ALL {
        let of_kind: Vec<(usize, &Object)> = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.kind == kind)
            .collect();
        let mut alloc = LabelAllocator::new();
        let mut labels: HashMap<&str, String> = HashMap::new();
        if let Some(prev) = previous.resources.get(kind.resource_type()) {
            let ids: HashMap<&str, &str> = of_kind
                .iter()
                .map(|(_, o)| (o.id.as_str(), o.name.as_str()))
                .collect();
            for (label, id) in prev {
                // Keep a label only while it still fits the object's name (a renamed object is relabelled).
                if let Some(name) = ids.get(id.as_str()) {
                    if crate::hcl::label_fits(label, name) && alloc.reserve(label) {
                        labels.insert(id.as_str(), label.clone());
                    }
                }
            }
        }
        let fresh: Vec<&Object> = of_kind
            .iter()
            .map(|(_, o)| *o)
            .filter(|o| !labels.contains_key(o.id.as_str()))
            .collect();
        let items: Vec<LabelItem<'_>> = fresh
            .iter()
            .map(|o| LabelItem {
                name: &o.name,
                creation_time: o.created,
                stable_id: &o.id,
            })
            .collect();
        for (o, label) in fresh.iter().zip(alloc.allocate(&items)) {
            labels.insert(o.id.as_str(), label);
        }
        for (i, o) in of_kind {
            let label = labels[o.id.as_str()].clone();
            for note in &o.notes {
                exclusion_warnings.push(Warning {
                    resource: format!("{}.{label}", kind.resource_type()),
                    path: note.path.clone(),
                    message: note.message.clone(),
                    id: None,
                });
            }
            refs.insert(kind, &o.id, &label);
            labelled.push((
                Exported {
                    kind,
                    label,
                    name: o.name.clone(),
                    id: o.id.clone(),
                },
                i,
            ));
        }
    }
    labelled.sort_by(|a, b| (a.0.kind, &a.0.label).cmp(&(b.0.kind, &b.0.label)));

    // Convert, rewrite, check and render on every core, in contiguous parts so the result is the same.
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8);
    let per_part = labelled.len().div_ceil(threads).max(1);
    // The parts own their objects, so that each is freed as soon as it is rendered.
    let mut slots: Vec<Option<Object>> = objects.into_iter().map(Some).collect();
    let resources: Vec<Exported> = labelled.iter().map(|(e, _)| e.clone()).collect();
    let mut chunks: Vec<Vec<(Exported, Object)>> = Vec::new();
    for (e, i) in labelled {
        if chunks.last().is_none_or(|c| c.len() == per_part) {
            chunks.push(Vec::with_capacity(per_part));
        }
        let object = slots[i].take().expect("each object is labelled once");
        chunks.last_mut().expect("just pushed").push((e, object));
    }
    drop(slots);
    let parts: Vec<Result<Part, Error>> = std::thread::scope(|scope| {
        let refs = &refs;
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|items| scope.spawn(move || convert_part(items, settings, schema, refs)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a conversion thread panicked"))
            .collect()
    });
    let parts = parts.into_iter().collect::<Result<Vec<Part>, Error>>()?;
    let header = format!(
        "# Generated by drsync from {}. Do not edit: the next export overwrites this file.\n\n",
        settings.source_host
    );
    // Each file is made once, at its final size: 30 MB of jobs are not copied twice.
    let mut sizes: BTreeMap<ResourceKind, usize> = BTreeMap::new();
    for part in &parts {
        for (kind, text) in &part.texts {
            *sizes.entry(*kind).or_default() += text.len() + 1;
        }
    }
    let mut rendered: BTreeMap<ResourceKind, String> = BTreeMap::new();
    let mut rewrite = crate::rewrite::Rewriter::new(&settings.rules).finish();
    let mut converter_warnings = Vec::new();
    let mut converted_ahead = 0;
    for part in parts {
        for (kind, text) in part.texts {
            let file = rendered.entry(kind).or_insert_with(|| {
                let mut file = String::with_capacity(header.len() + sizes[&kind]);
                file.push_str(&header);
                file
            });
            if file.len() > header.len() {
                file.push('\n');
            }
            file.push_str(&text);
        }
        converter_warnings.extend(part.warnings);
        rewrite.merge(part.rewrite);
        converted_ahead += part.converted_ahead;
    }
    let mut warnings: Vec<Warning> = converter_warnings
        .into_iter()
        .chain(exclusion_warnings)
        // An id that [rewrite.ids] maps is taken care of.
        .filter(|w| {
            !w.id
                .as_ref()
                .is_some_and(|id| settings.rules.ids.contains_key(id))
        })
        .collect();
    for rule in rewrite.unmatched() {
        warnings.push(Warning {
            resource: "rewrite".to_string(),
            path: rule.rule.clone(),
            message: "this rule matched nothing (a typo?)".to_string(),
            id: None,
        });
    }
    warnings.sort();

    let mut files = BTreeMap::new();
    for kind in &settings.kinds {
        let text = rendered.remove(kind).unwrap_or_else(|| header.clone());
        verify_output(kind.file_name(), &text, REPARSE_OUTPUT)?;
        files.insert(kind.file_name().to_string(), text);
    }
    files.insert(
        "versions.tf".to_string(),
        versions_tf(&settings.provider_version),
    );
    if let Some(text) = variables_tf(&rewrite) {
        files.insert("variables.tf".to_string(), text);
    }
    if let Some(text) = tfvars(&rewrite) {
        files.insert("dr.auto.tfvars".to_string(), text);
    }
    let mut map = LabelMap {
        version: 1,
        workspace_id: settings.workspace_id.clone(),
        resources: BTreeMap::new(),
        // An object whose label changed (renamed on the primary) moves in Terraform instead of being replaced.
        moved: moved::moves(previous, &resources),
    };
    for e in &resources {
        map.resources
            .entry(e.kind.resource_type().to_string())
            .or_default()
            .insert(e.label.clone(), e.id.clone());
    }
    if let Some(text) = moved::moved_tf(&map.moved) {
        verify_output(MOVED_FILE, &text, false)?;
        files.insert(MOVED_FILE.to_string(), text);
    }
    let mut labels_json = serde_json::to_string_pretty(&map).expect("a label map serialises");
    labels_json.push('\n');
    files.insert(LABELS_FILE.to_string(), labels_json);

    Ok(Export {
        files,
        resources,
        warnings,
        rewrite,
        converted_ahead,
    })
}

/// Whether [`build`] also parses every file it generates whole: in debug builds (and so in the tests) only;
/// release builds rely on [`verify_output`]'s linear check alone, which the tests exercise directly.
pub const REPARSE_OUTPUT: bool = cfg!(debug_assertions);

/// The proof, before anything is written, that nothing read from the workspace can run as code in the generated
/// `file`: [`crate::hcl::check_generated`] (linear, so cheap for 30 MB), and with `reparse` a parse of the whole
/// file too. An error here is a bug in drsync.
pub fn verify_output(file: &str, text: &str, reparse: bool) -> Result<(), Error> {
    let name = Path::new(file);
    crate::hcl::check_generated(text, name)
        .and_then(|()| {
            if reparse {
                crate::hcl::parse_str(text, name).map(drop)
            } else {
                Ok(())
            }
        })
        .map_err(|source| Error::Reparse {
            file: file.to_string(),
            source,
        })
}

/// What one thread made of its part of the export.
struct Part {
    /// Rendered resources, by kind.
    texts: BTreeMap<ResourceKind, String>,
    warnings: Vec<Warning>,
    rewrite: crate::rewrite::Report,
    /// Jobs whose ahead-of-time conversion was used.
    converted_ahead: usize,
}

/// Resources rendered at a time: few enough that their HCL trees stay small, many enough to amortise.
const RENDER_BATCH: usize = 256;

/// Convert, rewrite, check against the schema and render a run of labelled objects.
fn convert_part(
    items: Vec<(Exported, Object)>,
    settings: &Settings,
    schema: &Schema,
    refs: &References,
) -> Result<Part, Error> {
    let mut converter = convert::Converter::new(schema, refs);
    let mut rewriter = crate::rewrite::Rewriter::new(&settings.rules);
    let mut texts: BTreeMap<ResourceKind, String> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut converted_ahead = 0;
    // Blocks converted here wait in `pending` to be checked and rendered a batch at a time.
    let mut pending: BTreeMap<ResourceKind, ::hcl::Body> = BTreeMap::new();
    let mut waiting = 0;
    let flush = |pending: &mut BTreeMap<ResourceKind, ::hcl::Body>,
                 texts: &mut BTreeMap<ResourceKind, String>|
     -> Result<(), Error> {
        for (kind, body) in std::mem::take(pending) {
            let violations = schema.check_document(&body);
            if !violations.is_empty() {
                let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
                return Err(Error::Schema(list.join("; ")));
            }
            join_rendered(
                texts.entry(kind).or_default(),
                &crate::hcl::to_string(&body),
            );
        }
        Ok(())
    };
    for (exported, object) in items {
        let unpacked;
        let config = match &object.config {
            Config::Tree(v) => v,
            Config::Prepared(job) => {
                let resolved = job
                    .converted
                    .as_ref()
                    .and_then(|c| c.resolve(&exported.label, refs));
                if let Some(r) = resolved {
                    flush(&mut pending, &mut texts)?;
                    waiting = 0;
                    join_rendered(texts.entry(exported.kind).or_default(), &r.text);
                    warnings.extend(r.warnings);
                    rewriter.absorb(r.rewrite);
                    converted_ahead += 1;
                    continue;
                }
                unpacked = serde_json::from_str::<serde_json::Value>(&job.config)
                    .expect("drsync's own compact JSON reads back");
                &unpacked
            }
        };
        let mut block = converter.resource(exported.kind, &exported.label, config);
        rewriter.resource(&mut block);
        if settings.rules.pause == crate::rewrite::PauseMode::Literal {
            check_paused(&block)?;
        }
        pending
            .entry(exported.kind)
            .or_default()
            .0
            .push(block.into());
        waiting += 1;
        if waiting == RENDER_BATCH {
            flush(&mut pending, &mut texts)?;
            waiting = 0;
        }
    }
    flush(&mut pending, &mut texts)?;
    warnings.extend(converter.into_warnings());
    Ok(Part {
        texts,
        warnings,
        rewrite: rewriter.finish(),
        converted_ahead,
    })
}

/// Appends rendered blocks to rendered blocks: what rendering both bodies as one would give (a blank line
/// between two blocks).
fn join_rendered(to: &mut String, more: &str) {
    if !to.is_empty() && !more.is_empty() {
        to.push('\n');
    }
    to.push_str(more);
}

/// The passive-DR invariant of `pause = "literal"`: every schedule, trigger and continuous block says PAUSED.
fn check_paused(block: &::hcl::Block) -> Result<(), Error> {
    let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
    if labels.first() != Some(&"databricks_job") {
        return Ok(());
    }
    for b in block.body().blocks() {
        let name = b.identifier();
        if !matches!(name, "schedule" | "trigger" | "continuous") {
            continue;
        }
        let paused = b.body().attributes().any(|a| {
            a.key() == "pause_status"
                && *a.expr() == ::hcl::Expression::String("PAUSED".to_string())
        });
        if !paused {
            return Err(Error::LivePause {
                resource: labels.join("."),
                path: name.to_string(),
            });
        }
    }
    Ok(())
}

const GENERATED: &str =
    "# Generated by drsync. Do not edit: the next export overwrites this file.\n\n";

/// `variables.tf`: `dr_active` when the output uses it, and the variables of `[[rewrite.field]]` rules.
fn variables_tf(report: &crate::rewrite::Report) -> Option<String> {
    use ::hcl::{Block, Body, Expression};
    if !report.uses_dr_active && report.variables.is_empty() {
        return None;
    }
    let mut body = Body::builder();
    if report.uses_dr_active {
        body = body.add_block(
            Block::builder("variable")
                .add_label(crate::rewrite::DR_ACTIVE)
                .add_attribute(("type", crate::hcl::variable("bool")))
                .add_attribute(("default", Expression::Bool(false)))
                .add_attribute((
                    "description",
                    Expression::String(
                        "Set to true on failover: schedules, triggers, continuous runs and idle pool instances \
                         then become as on the primary. False keeps the DR site passive."
                            .to_string(),
                    ),
                ))
                .build(),
        );
    }
    for v in &report.variables {
        let kind = match &v.dr_value {
            serde_json::Value::Bool(_) => "bool",
            serde_json::Value::Number(_) => "number",
            _ => "string",
        };
        let primary: Vec<&str> = v.primary_values.iter().map(String::as_str).collect();
        body = body.add_block(
            Block::builder("variable")
                .add_label(v.name.as_str())
                .add_attribute(("type", crate::hcl::variable(kind)))
                .add_attribute((
                    "description",
                    Expression::String(format!(
                        "DR value of a [[rewrite.field]] rule (see dr.auto.tfvars). Primary: {}",
                        primary.join(", ")
                    )),
                ))
                .build(),
        );
    }
    Some(format!(
        "{GENERATED}{}",
        crate::hcl::to_string(&body.build())
    ))
}

/// `dr.auto.tfvars`: the DR values of the `[[rewrite.field]]` variables.
fn tfvars(report: &crate::rewrite::Report) -> Option<String> {
    if report.variables.is_empty() {
        return None;
    }
    let mut body = ::hcl::Body::builder();
    for v in &report.variables {
        body = body.add_attribute((
            v.name.as_str(),
            crate::hcl::from_json(&v.dr_value, crate::hcl::JsonKeys::BareWhenValid),
        ));
    }
    Some(format!(
        "{GENERATED}{}",
        crate::hcl::to_string(&body.build())
    ))
}

fn versions_tf(constraint: &str) -> String {
    let mut databricks = ::hcl::expr::Object::new();
    databricks.insert(
        crate::hcl::object_key("source"),
        ::hcl::Expression::String("databricks/databricks".to_string()),
    );
    databricks.insert(
        crate::hcl::object_key("version"),
        ::hcl::Expression::String(constraint.to_string()),
    );
    let body = ::hcl::Body::builder()
        .add_block(
            ::hcl::Block::builder("terraform")
                // `moved` blocks (renames, `moved.tf`) need Terraform 1.1.
                .add_attribute(("required_version", ">= 1.1.0"))
                .add_block(
                    ::hcl::Block::builder("required_providers")
                        .add_attribute(("databricks", ::hcl::Expression::Object(databricks)))
                        .build(),
                )
                .build(),
        )
        .build();
    format!("{GENERATED}{}", crate::hcl::to_string(&body))
}

/// How an export changes the folder's resources, by address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// New resources.
    pub added: Vec<String>,
    /// Resources whose configuration changed.
    pub changed: Vec<String>,
    /// Resources no longer exported.
    pub removed: Vec<String>,
    /// Resources whose object was renamed on the primary: `moved.tf` moves them to their new address (they are
    /// neither added nor removed), by new address.
    pub renamed: Vec<Renamed>,
}

impl Changes {
    /// How many resources the previous export had, for an export of `now` resources with these changes.
    pub fn previous_count(&self, now: usize) -> usize {
        now + self.removed.len() - self.added.len().min(now + self.removed.len())
    }
}

/// The most resources an export may remove unless the user allows it: `configured` (`[export] max_removed`),
/// or 10% of the previous export's resources, at least 5. In DR a resource removed from Git is an object
/// `terraform apply` deletes: a workspace that answered with nothing (a wrong host, a token that sees nothing)
/// must not empty the DR site.
pub fn removal_limit(configured: Option<usize>, previous: usize) -> usize {
    configured.unwrap_or_else(|| previous.div_ceil(10).max(5))
}

/// An export removing more than [`removal_limit`] allows: refused, nothing written.
#[derive(Debug, thiserror::Error)]
#[error(
    "the export would remove {} of {previous} resources, more than the {limit} allowed: {}{}",
    removed.len(),
    removed.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
    if removed.len() > 10 { format!(" and {} more", removed.len() - 10) } else { String::new() }
)]
pub struct TooManyRemovals {
    /// The addresses that would be removed.
    pub removed: Vec<String>,
    /// How many resources the previous export had.
    pub previous: usize,
    /// The limit.
    pub limit: usize,
}

/// Refuse `changes` when they remove more than `limit` resources.
pub fn check_removals(
    changes: &Changes,
    previous: usize,
    limit: usize,
) -> Result<(), TooManyRemovals> {
    if changes.removed.len() > limit {
        return Err(TooManyRemovals {
            removed: changes.removed.clone(),
            previous,
            limit,
        });
    }
    Ok(())
}

/// A resource at a new address because its object was renamed on the primary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renamed {
    /// The address before (`TYPE.OLD`).
    pub from: String,
    /// The address now (`TYPE.NEW`).
    pub to: String,
    /// Whether more than the name changed: the configuration differs once the label, the name attribute and
    /// references to renamed resources are set aside.
    pub changed: bool,
}

impl Changes {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
    }
}

/// Compare a built export with the files in `dir`, resource by resource. Unparseable old files count as
/// "every resource in them changed".
pub fn changes(export: &Export, dir: &Path) -> Changes {
    changes_from(export, |name| std::fs::read_to_string(dir.join(name)).ok())
}

/// [`changes`] against files from anywhere (e.g. the export folder as committed in Git).
///
/// A resource new here whose address the export's moves (its label map) lead to from an address that the old
/// files have and the new ones do not is `renamed`, not added and removed; the chain of moves is walked back as
/// far as needed (the old files may be several exports old). A reference to a renamed resource is no change
/// of the resource that holds it: after the move, it names the same object.
pub fn changes_from(export: &Export, read: impl Fn(&str) -> Option<String>) -> Changes {
    use std::borrow::Cow;
    use std::collections::BTreeSet;
    let mut c = Changes::default();
    let mut old_addresses: BTreeSet<String> = BTreeSet::new();
    let mut new_addresses: BTreeSet<String> = BTreeSet::new();
    let old_texts: Vec<(ResourceKind, String)> = ResourceKind::ALL
        .iter()
        .map(|k| (*k, read(k.file_name()).unwrap_or_default()))
        .collect();
    // The blocks of the files that differ; of the others, only the addresses.
    let mut old_blocks: BTreeMap<String, Cow<'_, str>> = BTreeMap::new();
    let mut new_blocks: BTreeMap<String, Cow<'_, str>> = BTreeMap::new();
    for (kind, old_text) in &old_texts {
        let new_text = export
            .files
            .get(kind.file_name())
            .map(String::as_str)
            .unwrap_or("");
        if old_text == new_text {
            // The steady state of a scheduled export: nothing to split or compare.
            let same = resource_texts(new_text);
            new_addresses.extend(same.keys().cloned());
            old_addresses.extend(same.into_keys());
            continue;
        }
        let new = resource_texts(new_text);
        let old = resource_texts(old_text);
        new_addresses.extend(new.keys().cloned());
        old_addresses.extend(old.keys().cloned());
        new_blocks.extend(new);
        old_blocks.extend(old);
    }

    // Renames: walk each new address's moves back to an address only the old files have.
    let mut renamed_from: BTreeMap<String, String> = BTreeMap::new();
    let mut claimed: BTreeSet<String> = BTreeSet::new();
    for moves in moved::recorded(&export.files).values() {
        let back: HashMap<&str, &str> = moves
            .iter()
            .map(|(from, to)| (to.as_str(), from.as_str()))
            .collect();
        for to in moves.iter().map(|(_, to)| to) {
            if !new_addresses.contains(to) || old_addresses.contains(to) {
                continue;
            }
            let mut at = to.as_str();
            for _ in 0..moves.len() {
                let Some(from) = back.get(at).copied() else {
                    break;
                };
                if old_addresses.contains(from) && !new_addresses.contains(from) {
                    if claimed.insert(from.to_string()) {
                        renamed_from.insert(to.clone(), from.to_string());
                    }
                    break;
                }
                at = from;
            }
        }
    }
    // Old address -> new label, for references.
    let references: HashMap<String, String> = renamed_from
        .iter()
        .map(|(to, from)| {
            let label = to.split_once('.').map_or(to.as_str(), |(_, l)| l);
            (from.clone(), label.to_string())
        })
        .collect();

    for (address, block) in &new_blocks {
        match (old_blocks.get(address), renamed_from.get(address)) {
            (Some(previous), _) => {
                if !same_block_after_renames(previous, block, &references, None) {
                    c.changed.push(address.clone());
                }
            }
            (None, Some(from)) => {
                let (ty, label) = address.split_once('.').unwrap_or((address, ""));
                let changed = match old_blocks.get(from) {
                    Some(previous) => !same_block_after_renames(
                        previous,
                        block,
                        &references,
                        Some((label, moved::name_attribute(ty))),
                    ),
                    None => true,
                };
                c.renamed.push(Renamed {
                    from: from.clone(),
                    to: address.clone(),
                    changed,
                });
            }
            (None, None) => c.added.push(address.clone()),
        }
    }
    c.removed = old_addresses
        .into_iter()
        .filter(|a| !new_addresses.contains(a) && !claimed.contains(a))
        .collect();
    c.added.sort();
    c.changed.sort();
    c
}

/// [`same_block`], with references to renamed resources in `old` (old address → new label) read as their new
/// address, and with `relabel` (new label, name attribute): both blocks taken as at that label and without that
/// attribute, for a renamed resource.
fn same_block_after_renames(
    old: &str,
    new: &str,
    renames: &HashMap<String, String>,
    relabel: Option<(&str, &str)>,
) -> bool {
    if relabel.is_none() && (renames.is_empty() || old == new) {
        return same_block(old, new);
    }
    let (Ok(mut a), Ok(mut b)) = (::hcl::parse(old), ::hcl::parse(new)) else {
        return false;
    };
    moved::rename_references(&mut a, renames);
    if let Some((label, name)) = relabel {
        for body in [&mut a, &mut b] {
            for s in body.0.iter_mut() {
                if let ::hcl::Structure::Block(block) = s {
                    if let Some(l) = block.labels.get_mut(1) {
                        *l = ::hcl::BlockLabel::String(label.to_string());
                    }
                    block.body.0.retain(
                        |s| !matches!(s, ::hcl::Structure::Attribute(a) if a.key.as_str() == name),
                    );
                }
            }
        }
    }
    a == b
}

/// The text of every `resource` block of a file, by address. drsync's own files split at lines, without
/// parsing: a block opens with `resource "TYPE" "LABEL" {` at the start of a line and closes at the next line
/// that is just `}`, and nothing else starts at column 0 (drsync writes no heredocs, and quoted strings
/// cannot span lines). Any other file is parsed, and each block rendered; an unparseable file has no blocks
/// (so every resource in it counts as changed or removed).
fn resource_texts(text: &str) -> BTreeMap<String, std::borrow::Cow<'_, str>> {
    if let Some(split) = split_resources(text) {
        return split
            .into_iter()
            .map(|(a, t)| (a, std::borrow::Cow::Borrowed(t)))
            .collect();
    }
    let Ok(body) = ::hcl::parse(text) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for block in body.into_blocks().filter(|b| b.identifier() == "resource") {
        let labels: Vec<String> = block
            .labels()
            .iter()
            .map(|l| l.as_str().to_string())
            .collect();
        if let [t, l] = &labels[..] {
            let text = crate::hcl::to_string(&::hcl::Body::builder().add_block(block).build());
            out.insert(format!("{t}.{l}"), std::borrow::Cow::Owned(text));
        }
    }
    out
}

/// [`resource_texts`] for text in drsync's layout; `None` when the text is not in it.
fn split_resources(text: &str) -> Option<BTreeMap<String, &str>> {
    if text.contains("<<") {
        return None;
    }
    let mut out = BTreeMap::new();
    let mut open: Option<(String, usize)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        match &open {
            Some((address, from)) => {
                if content == "}" {
                    if out.insert(address.clone(), &text[*from..at]).is_some() {
                        return None;
                    }
                    open = None;
                } else if !(content.is_empty() || content.starts_with(' ')) {
                    return None;
                }
            }
            None => {
                if content.is_empty() || content.starts_with('#') {
                    continue;
                }
                let labels = content.strip_prefix("resource \"")?.strip_suffix("\" {")?;
                let (t, l) = labels.split_once("\" \"")?;
                let plain = |s: &str| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                };
                if !plain(t) || !plain(l) {
                    return None;
                }
                open = Some((format!("{t}.{l}"), start));
            }
        }
    }
    open.is_none().then_some(out)
}

/// Whether two resource blocks say the same: the same text, or, when the text differs, the same once parsed
/// (so that formatting does not count).
fn same_block(a: &str, b: &str) -> bool {
    a == b
        || match (::hcl::parse(a), ::hcl::parse(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

#[cfg(test)]
mod tests {

    #[test]
    fn removal_limit_is_configured_or_a_tenth_at_least_five() {
        assert_eq!(removal_limit(None, 0), 5);
        assert_eq!(removal_limit(None, 48), 5);
        assert_eq!(removal_limit(None, 51), 6);
        assert_eq!(removal_limit(None, 10_000), 1_000);
        assert_eq!(removal_limit(Some(0), 10_000), 0);
        let changes = Changes {
            removed: (0..6).map(|i| format!("databricks_job.j{i}")).collect(),
            added: vec!["databricks_job.new".to_string()],
            ..Changes::default()
        };
        assert_eq!(changes.previous_count(43), 48);
        let e = check_removals(&changes, 48, 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the export would remove 6 of 48 resources, more than the 5 allowed: databricks_job.j0, \
             databricks_job.j1, databricks_job.j2, databricks_job.j3, databricks_job.j4, databricks_job.j5"
        );
        assert!(check_removals(&changes, 48, 6).is_ok());
    }

    use super::*;

    fn export_of(jobs: &str) -> Export {
        Export {
            files: BTreeMap::from([("jobs.tf".to_string(), jobs.to_string())]),
            resources: Vec::new(),
            warnings: Vec::new(),
            rewrite: crate::rewrite::Report::default(),
            converted_ahead: 0,
        }
    }

    const CANONICAL: &str = "# Generated by drsync.\n\nresource \"databricks_job\" \"a\" {\n  name = \"a }\"\n}\n\nresource \"databricks_job\" \"b\" {\n  name = \"b\"\n  task {\n    task_key = \"t\"\n  }\n}\n";

    #[test]
    fn drsync_files_split_at_lines_and_others_are_parsed() {
        let split = split_resources(CANONICAL).unwrap();
        assert_eq!(
            split.keys().collect::<Vec<_>>(),
            ["databricks_job.a", "databricks_job.b"]
        );
        assert!(split["databricks_job.b"].ends_with("  }\n}\n"));
        // Not in drsync's layout: a heredoc, a block that never closes, content at column 0 inside a block.
        for text in [
            "resource \"databricks_job\" \"a\" {\n  name = <<EOT\n}\nEOT\n}\n",
            "resource \"databricks_job\" \"a\" {\n  name = \"a\"\n",
            "resource \"databricks_job\" \"a\" {\nname = \"a\"\n}\n",
            "resource \"databricks_job\" \"a\" {\n}\nresource \"databricks_job\" \"a\" {\n}\n",
        ] {
            assert_eq!(split_resources(text), None, "{text}");
        }
        // The heredoc file is still read, by parsing.
        let parsed =
            resource_texts("resource \"databricks_job\" \"a\" {\n  name = <<EOT\n}\nEOT\n}\n");
        assert_eq!(parsed.keys().collect::<Vec<_>>(), ["databricks_job.a"]);
    }

    #[test]
    fn changes_count_content_not_formatting() {
        let export = export_of(CANONICAL);
        let same = changes_from(&export, |_| Some(CANONICAL.to_string()));
        assert!(same.is_empty(), "{same:?}");
        // Hand-formatted, with a heredoc: parsed, and found to say the same.
        let reformatted = "resource \"databricks_job\" \"b\" {\n name=<<EOT\nb\nEOT\n   task {\n task_key = \"t\"\n}\n}\nresource \"databricks_job\" \"a\" {\n  name = \"a }\"\n}\n";
        let c = changes_from(&export, |_| {
            Some(reformatted.replace("<<EOT\nb\nEOT", "\"b\""))
        });
        assert!(c.is_empty(), "{c:?}");
        let with_heredoc = "resource \"databricks_job\" \"b\" {\n name=<<EOT\nb\nEOT\n   task {\n task_key = \"t\"\n}\n}\n";
        let c = changes_from(&export, |_| Some(with_heredoc.to_string()));
        assert_eq!(c.added, ["databricks_job.a"]);
        assert_eq!(
            c.changed,
            ["databricks_job.b"],
            "a heredoc \"b\\n\" is not \"b\""
        );
        let edited = CANONICAL.replace("task_key = \"t\"", "task_key = \"u\"");
        let c = changes_from(&export, |name| {
            (name == "jobs.tf")
                .then(|| format!("{edited}resource \"databricks_job\" \"gone\" {{\n}}\n"))
        });
        assert_eq!(
            c,
            Changes {
                added: vec![],
                changed: vec!["databricks_job.b".to_string()],
                removed: vec!["databricks_job.gone".to_string()],
                renamed: vec![],
            }
        );
        let c = changes_from(&export, |_| Some("not { hcl".to_string()));
        assert_eq!(c.added.len(), 2);
    }

    #[test]
    fn renames_are_neither_added_nor_removed_and_references_to_them_no_change() {
        let old_jobs = "resource \"databricks_job\" \"etl\" {\n  name = \"etl\"\n  task {\n    existing_cluster_id = databricks_cluster.shared.id\n  }\n}\n\nresource \"databricks_job\" \"other\" {\n  name = \"other\"\n  x    = databricks_cluster.shared.id\n}\n";
        let old_clusters =
            "resource \"databricks_cluster\" \"shared\" {\n  cluster_name = \"shared\"\n}\n";
        // etl renamed twice (etl -> etl_v2 -> etl_v3) and changed, the cluster renamed (shared -> common).
        let new_jobs = "resource \"databricks_job\" \"etl_v3\" {\n  name = \"etl v3\"\n  task {\n    existing_cluster_id = databricks_cluster.common.id\n  }\n  max_retries = 1\n}\n\nresource \"databricks_job\" \"other\" {\n  name = \"other\"\n  x    = databricks_cluster.common.id\n}\n";
        let new_clusters =
            "resource \"databricks_cluster\" \"common\" {\n  cluster_name = \"common\"\n}\n";
        let map = LabelMap {
            version: 1,
            workspace_id: None,
            resources: BTreeMap::new(),
            moved: BTreeMap::from([
                (
                    "databricks_job".to_string(),
                    vec![
                        Move {
                            from: "etl".into(),
                            to: "etl_v2".into(),
                        },
                        Move {
                            from: "etl_v2".into(),
                            to: "etl_v3".into(),
                        },
                    ],
                ),
                (
                    "databricks_cluster".to_string(),
                    vec![Move {
                        from: "shared".into(),
                        to: "common".into(),
                    }],
                ),
            ]),
        };
        let mut export = export_of(new_jobs);
        export
            .files
            .insert("clusters.tf".to_string(), new_clusters.to_string());
        export.files.insert(
            LABELS_FILE.to_string(),
            serde_json::to_string(&map).unwrap(),
        );
        let old = |name: &str| match name {
            "jobs.tf" => Some(old_jobs.to_string()),
            "clusters.tf" => Some(old_clusters.to_string()),
            _ => None,
        };
        let c = changes_from(&export, old);
        assert_eq!(
            c,
            Changes {
                added: vec![],
                changed: vec![],
                removed: vec![],
                renamed: vec![
                    Renamed {
                        from: "databricks_cluster.shared".into(),
                        to: "databricks_cluster.common".into(),
                        changed: false,
                    },
                    Renamed {
                        from: "databricks_job.etl".into(),
                        to: "databricks_job.etl_v3".into(),
                        changed: true,
                    },
                ],
            }
        );
        // The same labels without recorded moves: added and removed, as before.
        export.files.remove(LABELS_FILE);
        let c = changes_from(&export, old);
        assert_eq!(
            c.added,
            ["databricks_cluster.common", "databricks_job.etl_v3"]
        );
        assert_eq!(c.changed, ["databricks_job.other"]);
        assert_eq!(
            c.removed,
            ["databricks_cluster.shared", "databricks_job.etl"]
        );
        assert!(c.renamed.is_empty());
    }

    #[test]
    fn an_export_commits_its_own_files_and_the_gitignore_only() {
        let mut expected: Vec<&str> = MANAGED_FILES.to_vec();
        expected.push(GITIGNORE_FILE);
        assert_eq!(COMMITTED_FILES, expected.as_slice());
        assert!(!COMMITTED_FILES.contains(&".terraform.lock.hcl"));
        assert!(!GITIGNORED.contains(&".terraform.lock.hcl"));
    }
}
