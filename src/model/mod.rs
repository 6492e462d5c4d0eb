//! Plain data types for the workspace objects drsync reasons about, as the REST API returns them.
//! Typed where drsync reads a field; every other field is kept in `extra`, so nothing the API sends is
//! silently dropped and a new API field survives a round trip. No I/O here, and no normalisation: that is the
//! `normalize` stage, which imports this module (never the reverse).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A job, as `jobs/get` returns it (with `tasks` and `job_clusters` complete).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The workspace-specific id.
    pub job_id: i64,
    /// Creation time, epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<i64>,
    /// Who created it (absent when that user was deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    /// The configuration.
    pub settings: JobSettings,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A job's settings. The four arrays the API pages are typed so that pages can be concatenated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobSettings {
    /// The job's name (not unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Value>,
    /// Shared job clusters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_clusters: Vec<Value>,
    /// Serverless environments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<Value>,
    /// Job parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Value>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A cluster, as `clusters/list` (without `spec`) or `clusters/get` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// The workspace-specific id.
    pub cluster_id: String,
    /// The cluster's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// `UI`, `API`, `JOB`, `PIPELINE`, ...: only UI and API clusters are all-purpose clusters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_source: Option<String>,
    /// `PENDING`, `RUNNING`, `TERMINATED`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Whether it is pinned. Not a field of the API's cluster: drsync fills it from a listing filtered on pin
    /// status, as the provider reads it (provider-behaviour.md §3.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_pinned: Option<bool>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Cluster {
    /// Whether this is an all-purpose cluster (made in the UI or through the API), not a job or pipeline one.
    pub fn is_all_purpose(&self) -> bool {
        matches!(self.cluster_source.as_deref(), Some("UI" | "API"))
    }
}

/// An instance pool, as `instance-pools/list` or `instance-pools/get` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstancePool {
    /// The workspace-specific id.
    pub instance_pool_id: String,
    /// The pool's name (unique in a workspace).
    pub instance_pool_name: String,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A cluster policy, as `policies/clusters/list` or `get` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterPolicy {
    /// The workspace-specific id.
    pub policy_id: String,
    /// The policy's name (unique in a workspace).
    pub name: String,
    /// The rules, a JSON document in a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A SQL warehouse, as `GET /api/2.0/sql/warehouses` lists it (`EndpointInfo`) or `sql/warehouses/{id}` returns
/// it (`GetWarehouseResponse`): the same fields either way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlWarehouse {
    /// The workspace-specific id (16 hex digits).
    pub id: String,
    /// The warehouse's name (unique in a workspace).
    #[serde(default)]
    pub name: String,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A pipeline (Lakeflow Declarative Pipelines), as `GET /api/2.0/pipelines/{id}` returns it
/// (`GetPipelineResponse`): its configuration is `spec`, which the list endpoint does not return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// The workspace-specific id (a UUID).
    pub pipeline_id: String,
    /// The pipeline's name (taken from the spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The configuration (`PipelineSpec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Map<String, Value>>,
    /// Every other field, as sent (`state`, `creator_user_name`, `run_as_user_name`, `run_as`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The libraries installed on one cluster (`libraries/cluster-status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterLibraries {
    /// The cluster.
    pub cluster_id: String,
    /// One status per library, each with its `library` spec and `status`.
    #[serde(default)]
    pub library_statuses: Vec<Value>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A notebook, file, directory, repo, library or dashboard of the workspace tree, as `workspace/list` and
/// `workspace/get-status` return it (`ObjectInfo`, docs.databricks.com/api/workspace-objects/v1/list;
/// databricks-sdk-py `service/workspace.py` `ObjectInfo`). `path` is the canonical one, without the
/// `/Workspace` prefix; a notebook's has no extension (imported notebooks lose theirs), a file's keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceObject {
    /// The absolute path, e.g. `/Shared/etl/load` (a notebook) or `/Shared/etl/run.py` (a file).
    pub path: String,
    /// `NOTEBOOK`, `DIRECTORY`, `LIBRARY`, `FILE`, `REPO` or `DASHBOARD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// Every other field, as sent (`object_id`, `language`, `resource_id`, `size`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A secret scope, as `secrets/scopes/list` lists it (`SecretScope` in databricks-sdk-py `service/workspace.py`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretScope {
    /// The scope's name (unique in a workspace; the provider's id for it, provider-behaviour.md §9.5).
    pub name: String,
    /// `DATABRICKS` or `AZURE_KEYVAULT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_type: Option<String>,
    /// Every other field, as sent (`keyvault_metadata`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One secret of a scope, as `secrets/list` lists it (`SecretMetadata`): its key and when it was last written.
/// The API never returns a value here, and drsync never asks for one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretMetadata {
    /// The secret's key.
    pub key: String,
    /// When it was last written, epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_timestamp: Option<i64>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One ACL of a scope, as `secrets/acls/list` lists it (`AclItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretAcl {
    /// A user name, a group's display name or a service principal's application id.
    pub principal: String,
    /// `READ`, `WRITE` or `MANAGE` (`AclPermission`).
    pub permission: String,
}

/// What a listing of one scope returned, with the scope it is of (the API bodies do not name it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfScope<T> {
    /// The scope.
    pub scope: String,
    /// Its secrets' metadata (`secrets/list`) or ACLs (`secrets/acls/list`).
    pub items: Vec<T>,
}

/// A user, group or service principal, as the SCIM `Users`, `Groups` and `ServicePrincipals` endpoints list
/// them (`User`, `Group`, `ServicePrincipal` in databricks-sdk-py `service/iam.py`; camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScimPrincipal {
    /// The SCIM id.
    pub id: String,
    /// A user's e-mail (users only).
    #[serde(rename = "userName", default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The display name: what names a group.
    #[serde(
        rename = "displayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
    /// A service principal's application id (service principals only).
    #[serde(
        rename = "applicationId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub application_id: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One object's access control list, as `GET /api/2.0/permissions/{request_object_type}/{id}` returns it
/// (`ObjectPermissions`, databricks-sdk-py `service/iam.py`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectPermissions {
    /// `/jobs/123`, `/clusters/0923-...`, ...: the request path's type and id (provider-behaviour.md §6.1).
    pub object_id: String,
    /// `job`, `cluster`, `instance-pool`, `cluster-policy`, ... (§6.1's table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// One entry per principal with any permission, direct or inherited.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_list: Vec<AccessControl>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One principal's permissions on an object (`AccessControlResponse`): exactly one of the three principal
/// fields is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessControl {
    /// A user's e-mail (the API lowercases it, provider-behaviour.md §6.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// A group's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// A service principal's application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
    /// Every level the principal has, each direct or inherited.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all_permissions: Vec<Permission>,
    /// Every other field, as sent (`display_name`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One level a principal has on an object (`Permission`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    /// `CAN_MANAGE`, `IS_OWNER`, ...
    pub permission_level: String,
    /// Whether it comes from a parent object (the workspace's `/jobs/` root, a folder) rather than this one.
    #[serde(default)]
    pub inherited: bool,
    /// Where an inherited level comes from, e.g. `["/jobs/"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherited_from_object: Vec<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a kind's objects are called in the Permissions API and in `databricks_permissions`
/// (provider-behaviour.md §6.1's table, §6.6 for the exporter's name prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionsTarget {
    /// The kind of the object the grants are on.
    pub kind: ResourceKind,
    /// The API path segment and id prefix: `jobs` (ids `/jobs/<id>`).
    pub request_object_type: &'static str,
    /// The `object_type` the API answers with.
    pub object_type: &'static str,
    /// The resource's object-id attribute: `job_id`.
    pub attribute: &'static str,
    /// What the resource label starts with, before the parent's label: `job_`.
    pub label_prefix: &'static str,
    /// Whether the object has an owner (exactly one `IS_OWNER`, §6.2, §13).
    pub owned: bool,
}

/// The kinds whose objects' grants drsync exports, one row each: every kind of §6.1's table (the exporter's
/// name prefixes: §6.6).
pub const PERMISSIONS_TARGETS: &[PermissionsTarget] = &[
    PermissionsTarget {
        kind: ResourceKind::Jobs,
        request_object_type: "jobs",
        object_type: "job",
        attribute: "job_id",
        label_prefix: "job_",
        owned: true,
    },
    PermissionsTarget {
        kind: ResourceKind::Clusters,
        request_object_type: "clusters",
        object_type: "cluster",
        attribute: "cluster_id",
        label_prefix: "cluster_",
        owned: false,
    },
    PermissionsTarget {
        kind: ResourceKind::InstancePools,
        request_object_type: "instance-pools",
        object_type: "instance-pool",
        attribute: "instance_pool_id",
        label_prefix: "inst_pool_",
        owned: false,
    },
    PermissionsTarget {
        kind: ResourceKind::ClusterPolicies,
        request_object_type: "cluster-policies",
        object_type: "cluster-policy",
        attribute: "cluster_policy_id",
        label_prefix: "cluster_policy_",
        owned: false,
    },
    PermissionsTarget {
        kind: ResourceKind::SqlWarehouses,
        // New resources always get `/sql/warehouses/`; reads also accept the old `/warehouses/` (§6.5).
        request_object_type: "sql/warehouses",
        object_type: "warehouses",
        attribute: "sql_endpoint_id",
        label_prefix: "sql_endpoint_",
        owned: true,
    },
    PermissionsTarget {
        kind: ResourceKind::Pipelines,
        request_object_type: "pipelines",
        object_type: "pipelines",
        attribute: "pipeline_id",
        label_prefix: "pipeline_",
        owned: true,
    },
];

impl PermissionsTarget {
    /// The row of a kind.
    pub fn of_kind(kind: ResourceKind) -> Option<&'static PermissionsTarget> {
        PERMISSIONS_TARGETS.iter().find(|t| t.kind == kind)
    }

    /// The row and the object id of an `object_id` (`/jobs/123` -> jobs, `123`). A warehouse's may also be
    /// `/warehouses/<id>`, the older form the provider still reads (§6.5).
    pub fn of_object_id(object_id: &str) -> Option<(&'static PermissionsTarget, &str)> {
        let id_after = |prefix: &str| {
            object_id
                .strip_prefix('/')
                .and_then(|rest| rest.strip_prefix(prefix))
                .and_then(|rest| rest.strip_prefix('/'))
                .filter(|id| !id.is_empty() && !id.contains('/'))
        };
        PERMISSIONS_TARGETS.iter().find_map(|t| {
            id_after(t.request_object_type)
                .or_else(|| {
                    (t.kind == ResourceKind::SqlWarehouses).then(|| id_after("warehouses"))?
                })
                .map(|id| (t, id))
        })
    }

    /// The `object_id` of one of the kind's objects: `/jobs/123`.
    pub fn object_id(&self, id: &str) -> String {
        format!("/{}/{id}", self.request_object_type)
    }
}

/// What was read from a workspace, before any processing (`inventory::read` fills it).
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
    /// SQL warehouses.
    pub warehouses: Vec<SqlWarehouse>,
    /// Pipelines, each with its `spec`.
    pub pipelines: Vec<Pipeline>,
    /// Secret scopes.
    pub secret_scopes: Vec<SecretScope>,
    /// The ACLs of each scope, in the order of `secret_scopes`.
    pub secret_acls: Vec<OfScope<SecretAcl>>,
    /// The secret keys of each scope (names only), in the order of `secret_scopes`.
    pub secret_keys: Vec<OfScope<SecretMetadata>>,
    /// The ACL of every object read of the kinds in [`PERMISSIONS_TARGETS`], ordered by `object_id`, when
    /// permissions were asked for.
    pub permissions: Vec<ObjectPermissions>,
    /// Who the workspace was read as (SCIM `Me`'s `userName`), when permissions were read: the provider's Read
    /// leaves that identity's own grants out (provider-behaviour.md §6.3), and so does `normalize`.
    pub reader: Option<String>,
}

/// A node type from `clusters/list-node-types`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeType {
    /// e.g. `i3.xlarge`.
    pub node_type_id: String,
    /// Hidden from the UI.
    #[serde(default)]
    pub is_hidden: bool,
    /// Deprecated.
    #[serde(default)]
    pub is_deprecated: bool,
    /// Every other field, as sent (including `node_info.status`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A runtime version from `clusters/spark-versions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparkVersion {
    /// e.g. `15.4.x-scala2.12`.
    pub key: String,
    /// e.g. `15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)`.
    #[serde(default)]
    pub name: String,
}

/// The availability zones of an AWS workspace's region (`clusters/list-zones`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Zones {
    /// The zones.
    #[serde(default)]
    pub zones: Vec<String>,
    /// The zone used when none is given.
    #[serde(default)]
    pub default_zone: Option<String>,
}

/// The identity behind a credential (`preview/scim/v2/Me`), in its camelCase SCIM form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The SCIM id.
    #[serde(default)]
    pub id: String,
    /// The user's e-mail, or a service principal's application id.
    #[serde(rename = "userName", default)]
    pub user_name: String,
    /// Display name.
    #[serde(
        rename = "displayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A job run, as `jobs/runs/get` returns it (databricks-sdk-py `service/jobs.py` `Run`): what a drill reads of
/// it typed, every other field (tasks, parameters, ...) kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The run's id (SDK `Run.run_id`).
    pub run_id: i64,
    /// Its job (SDK `Run.job_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<i64>,
    /// Where it is (SDK `Run.state`, a `RunState`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RunState>,
    /// "The URL to the detail page of the run" (SDK `Run.run_page_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_page_url: Option<String>,
    /// Epoch milliseconds when it started (SDK `Run.start_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// Epoch milliseconds when it ended, "0 if the job is still running" (SDK `Run.end_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Milliseconds from start to end, for a multitask run that has ended (SDK `Run.run_duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_duration: Option<i64>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where a run is (SDK `RunState`): its lifecycle state, and once it is over its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// `QUEUED`, `PENDING`, `RUNNING`, `TERMINATING`, `TERMINATED`, `SKIPPED`, `INTERNAL_ERROR`, ... (SDK
    /// `RunLifeCycleState`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_cycle_state: Option<String>,
    /// `SUCCESS`, `FAILED`, `TIMEDOUT`, `CANCELED`, ...: "only available for terminal lifecycle states" (SDK
    /// `RunState.result_state`, `RunResultState`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_state: Option<String>,
    /// "A descriptive message for the current state" (SDK `RunState.state_message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_message: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A kind of workspace object that drsync exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// Jobs, as `databricks_job`.
    Jobs,
    /// All-purpose clusters, as `databricks_cluster`.
    Clusters,
    /// Instance pools, as `databricks_instance_pool`.
    InstancePools,
    /// Cluster policies, as `databricks_cluster_policy`.
    ClusterPolicies,
    /// SQL warehouses, as `databricks_sql_endpoint`.
    SqlWarehouses,
    /// Pipelines (Lakeflow Declarative Pipelines), as `databricks_pipeline`.
    Pipelines,
    /// Secret scopes, as `databricks_secret_scope` (`secret_scopes` in `[export] resources`, which brings
    /// [`ResourceKind::SecretAcls`] with it).
    SecretScopes,
    /// The ACLs of secret scopes, as `databricks_secret_acl`: a kind of its own (its own resources, matched and
    /// compared on their own by drift) that is never named in `drsync.toml`: `secret_scopes` turns it on
    /// ([`ResourceKind::with_implied`]), since ACLs without their scopes have nothing to refer to.
    #[serde(skip_deserializing)]
    SecretAcls,
    /// The grants on the objects of the other kinds, as `databricks_permissions` (one per object).
    Permissions,
}

impl ResourceKind {
    /// Every kind, in the order files and summaries list them.
    pub const ALL: [ResourceKind; 9] = [
        ResourceKind::Jobs,
        ResourceKind::Clusters,
        ResourceKind::InstancePools,
        ResourceKind::ClusterPolicies,
        ResourceKind::SqlWarehouses,
        ResourceKind::Pipelines,
        ResourceKind::SecretScopes,
        ResourceKind::SecretAcls,
        ResourceKind::Permissions,
    ];

    /// `kinds` with the kinds they bring along (`secret_scopes` brings `secret_acls`), each once, in the order
    /// of [`ResourceKind::ALL`].
    pub fn with_implied(kinds: &[ResourceKind]) -> Vec<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .filter(|k| {
                kinds.contains(k)
                    || (*k == ResourceKind::SecretAcls
                        && kinds.contains(&ResourceKind::SecretScopes))
            })
            .collect()
    }

    /// The name used in `drsync.toml` and summaries (`jobs`, `clusters`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Jobs => "jobs",
            ResourceKind::Clusters => "clusters",
            ResourceKind::InstancePools => "instance_pools",
            ResourceKind::ClusterPolicies => "cluster_policies",
            ResourceKind::SqlWarehouses => "sql_warehouses",
            ResourceKind::Pipelines => "pipelines",
            ResourceKind::SecretScopes => "secret_scopes",
            ResourceKind::SecretAcls => "secret_acls",
            ResourceKind::Permissions => "permissions",
        }
    }

    /// The Terraform resource type.
    pub fn resource_type(self) -> &'static str {
        match self {
            ResourceKind::Jobs => "databricks_job",
            ResourceKind::Clusters => "databricks_cluster",
            ResourceKind::InstancePools => "databricks_instance_pool",
            ResourceKind::ClusterPolicies => "databricks_cluster_policy",
            ResourceKind::SqlWarehouses => "databricks_sql_endpoint",
            ResourceKind::Pipelines => "databricks_pipeline",
            ResourceKind::SecretScopes => "databricks_secret_scope",
            ResourceKind::SecretAcls => "databricks_secret_acl",
            ResourceKind::Permissions => "databricks_permissions",
        }
    }

    /// The file the export writes this kind to.
    pub fn file_name(self) -> &'static str {
        match self {
            ResourceKind::Jobs => "jobs.tf",
            ResourceKind::Clusters => "clusters.tf",
            ResourceKind::InstancePools => "instance_pools.tf",
            ResourceKind::ClusterPolicies => "cluster_policies.tf",
            ResourceKind::SqlWarehouses => "sql_warehouses.tf",
            ResourceKind::Pipelines => "pipelines.tf",
            ResourceKind::SecretScopes => "secret_scopes.tf",
            // A file of their own: the export renders, compares and commits one file per kind.
            ResourceKind::SecretAcls => "secret_acls.tf",
            ResourceKind::Permissions => "permissions.tf",
        }
    }
}

/// Every `{{secrets/<scope>/<key>}}` in a string, as `(scope, key)`, in order: how a job, cluster or pipeline
/// names a secret in `spark_conf`, `spark_env_vars` and other strings (docs.databricks.com, "Use a secret in a
/// Spark configuration property or environment variable": `{{secrets/<scope-name>/<secret-name>}}`, written
/// exactly so, without spaces). Scope and key are names of the characters a scope name may have
/// (`^[\w\.@_/-]{1,128}$`, provider-behaviour.md §9.2), so anything else is not a secret reference.
pub fn secret_references(s: &str) -> Vec<(&str, &str)> {
    const OPEN: &str = "{{secrets/";
    let name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '/'))
    };
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(OPEN) {
        rest = &rest[i + OPEN.len()..];
        let Some(end) = rest.find("}}") else { break };
        if let Some((scope, key)) = rest[..end].split_once('/') {
            if name(scope) && name(key) {
                out.push((scope, key));
            }
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{secret_references, PermissionsTarget, ResourceKind};

    #[test]
    fn object_ids_name_their_kind() {
        fn of(id: &str) -> Option<(ResourceKind, &str)> {
            PermissionsTarget::of_object_id(id).map(|(t, id)| (t.kind, id))
        }
        assert_eq!(of("/jobs/12"), Some((ResourceKind::Jobs, "12")));
        assert_eq!(
            of("/sql/warehouses/4e8a1b2c3d4e5f60"),
            Some((ResourceKind::SqlWarehouses, "4e8a1b2c3d4e5f60"))
        );
        // The older warehouse form the provider still reads (provider-behaviour.md §6.5).
        assert_eq!(
            of("/warehouses/4e8a1b2c3d4e5f60"),
            Some((ResourceKind::SqlWarehouses, "4e8a1b2c3d4e5f60"))
        );
        assert_eq!(
            of("/pipelines/1f6e-2a"),
            Some((ResourceKind::Pipelines, "1f6e-2a"))
        );
        for other in [
            "/jobs/",
            "/jobs/1/2",
            "jobs/1",
            "/notebooks/1",
            "/sql/warehouses",
        ] {
            assert_eq!(of(other), None, "{other}");
        }
        let wh = PermissionsTarget::of_kind(ResourceKind::SqlWarehouses).unwrap();
        assert_eq!(wh.object_id("ab"), "/sql/warehouses/ab");
    }

    #[test]
    fn secret_references_are_scope_and_key() {
        assert_eq!(
            secret_references("a {{secrets/x/y}} b {{ secrets/z/w }} {{secrets/q/r}}"),
            [("x", "y"), ("q", "r")]
        );
        // Not secret references: no key, a character a name cannot have, another template, no closing braces.
        assert!(
            secret_references("{{secrets/x}} {{secrets/a b/c}} {{job.id}} {{secrets/x/y")
                .is_empty()
        );
        assert_eq!(
            secret_references("{{secrets/s/dir/key}}"),
            [("s", "dir/key")]
        );
    }
}
