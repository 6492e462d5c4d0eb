//! A model of the `databricks/databricks` provider 1.99.0 for drsync's resource types, written from
//! `../shared/reference/provider-behaviour.md` (every rule cites its section, `§n`), not from drsync's exporter.
//! It judges what drsync exports the way `terraform validate`, `apply` and `plan` with the real provider would:
//!
//! - [`validate`]: the schema's ConflictsWith / ExactlyOneOf / Required / value checks, and the attributes an
//!   export must never write;
//! - [`create_request`]: the request the provider sends for a resource (schema defaults injected, zeros
//!   dropped unless forced, sorting, pool stripping, provider-only flags kept off the wire);
//! - [`apply`]: creates a configuration in an empty (emulated) workspace over REST in dependency order and
//!   reads every object back as the provider's Read does, into a [`State`]; [`import`] reads one object;
//!   [`refresh`] re-reads as `plan` does (§1.5's top-level filter);
//! - [`plan`]: compares HCL values with state through the provider's Computed markers and suppressors.
//!
//! Everything is API-shaped JSON (`convert::api_body` of the evaluated HCL, and the API's read bodies);
//! names follow the API (`tasks`, `libraries`, `git_url`), and messages say where.

pub mod cluster;
pub mod diff;
pub mod job;
pub mod permissions;
pub mod pipeline;
pub mod policy;
pub mod pool;
pub mod secret;
pub mod sql_endpoint;
pub mod value;

mod model_tests;
pub mod roundtrip;
mod terraform;

pub use diff::Diff;
pub use value::Ids;

use drsync::api::WorkspaceClient;
use drsync::tfconfig::{Configuration, Resource};
use futures_util::{stream, StreamExt};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Requests in flight during an apply. Terraform walks its graph 10 at a time, in no promised order; one at a
/// time keeps the DR ids in the configuration's order, so that objects sharing a name get their labels back in
/// the primary's order when DR is exported again.
const PARALLELISM: usize = 1;

/// The kind of a validation failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    ConflictsWith,
    ExactlyOneOf,
    Required,
    RequiredWith,
    /// A validation function or CustomizeDiff rejects the value.
    Value,
    /// An attribute an export must never write (§13): read-only, or a flag that starts runs in DR.
    NeverEmit,
}

/// A failure without its resource.
#[derive(Debug, Clone)]
pub struct Problem {
    pub check: Check,
    pub message: String,
}

impl Problem {
    fn new(check: Check, message: String) -> Self {
        Problem { check, message }
    }
    pub fn conflicts(m: String) -> Self {
        Problem::new(Check::ConflictsWith, m)
    }
    pub fn exactly_one(m: String) -> Self {
        Problem::new(Check::ExactlyOneOf, m)
    }
    pub fn required(m: String) -> Self {
        Problem::new(Check::Required, m)
    }
    pub fn required_with(m: String) -> Self {
        Problem::new(Check::RequiredWith, m)
    }
    pub fn value(m: String) -> Self {
        Problem::new(Check::Value, m)
    }
    pub fn never(m: String) -> Self {
        Problem::new(Check::NeverEmit, m)
    }
}

/// What `terraform validate` (or the plan's CustomizeDiff) would reject, or an export must not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub address: String,
    pub check: Check,
    pub message: String,
}

/// Why the model could not apply or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the configuration does not validate: {0:#?}")]
    Invalid(Vec<Violation>),
    #[error("{address}: {source}")]
    Api {
        address: String,
        #[source]
        source: drsync::api::Error,
    },
    #[error("{address}: {message}")]
    Provider { address: String, message: String },
    #[error("cycle among {0:?}")]
    Cycle(Vec<String>),
    #[error("no such resource type: {0}")]
    UnknownType(String),
}

fn api_err(address: &str) -> impl FnOnce(drsync::api::Error) -> Error + '_ {
    move |source| Error::Api {
        address: address.to_string(),
        source,
    }
}

/// The API-shaped body of a resource as HCL gives it: references resolved against `ids` (unknown ones stay
/// markers), policy JSON attributes as the exact strings Terraform would produce.
pub fn body(r: &Resource, ids: &Ids) -> Map<String, Value> {
    let mut b = match drsync::convert::api_body(r) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    value::resolve_map(&mut b, ids);
    if r.resource_type == policy::TYPE {
        policy::json_strings(r, &mut b, ids);
    }
    b
}

/// Every violation of one resource.
pub fn validate(r: &Resource) -> Vec<Violation> {
    let b = body(r, &Ids::new());
    let problems = match r.resource_type.as_str() {
        job::TYPE => job::validate(&b),
        cluster::TYPE => cluster::validate(&b),
        pool::TYPE => pool::validate(&b),
        policy::TYPE => policy::validate(&b),
        sql_endpoint::TYPE => sql_endpoint::validate(&b),
        pipeline::TYPE => pipeline::validate(&b),
        secret::SCOPE => secret::validate_scope(&b),
        secret::ACL => secret::validate_acl(&b),
        permissions::TYPE => permissions::validate(&b),
        other => vec![Problem::value(format!("unknown resource type {other}"))],
    };
    problems
        .into_iter()
        .map(|p| Violation {
            address: r.address(),
            check: p.check,
            message: p.message,
        })
        .collect()
}

/// Every violation of a configuration.
pub fn validate_all(config: &Configuration) -> Vec<Violation> {
    config.resources.iter().flat_map(validate).collect()
}

/// What the provider sends to create a resource.
#[derive(Debug, Clone)]
pub enum Request {
    Job(job::Create),
    Cluster(cluster::Create),
    Pool(Map<String, Value>),
    Policy(Map<String, Value>),
    Warehouse(sql_endpoint::Create),
    Pipeline(Map<String, Value>),
    SecretScope(Map<String, Value>),
    SecretAcl(Map<String, Value>),
    /// The ACL as given: the current user and owner additions of §6.2 need the applying identity, which
    /// [`create_one`] knows.
    Permissions(Map<String, Value>),
}

/// The create request for a resource, references resolved against `ids`.
pub fn create_request(r: &Resource, ids: &Ids) -> Result<Request, Error> {
    let b = body(r, ids);
    Ok(match r.resource_type.as_str() {
        job::TYPE => Request::Job(job::create(b).map_err(|message| Error::Provider {
            address: r.address(),
            message,
        })?),
        cluster::TYPE => Request::Cluster(cluster::create(b)),
        pool::TYPE => Request::Pool(pool::create(b)),
        policy::TYPE => Request::Policy(policy::create(b)),
        sql_endpoint::TYPE => Request::Warehouse(sql_endpoint::create(b)),
        pipeline::TYPE => Request::Pipeline(pipeline::create(b)),
        secret::SCOPE => Request::SecretScope(secret::create_scope(b)),
        secret::ACL => Request::SecretAcl(secret::create_acl(b)),
        permissions::TYPE => Request::Permissions(b),
        other => return Err(Error::UnknownType(other.to_string())),
    })
}

/// One resource in state: its id and attributes as the provider's Read wrote them (API-shaped).
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: String,
    pub attributes: Map<String, Value>,
}

/// API-shaped attributes.
pub type Attributes = Map<String, Value>;

/// Address → instance.
pub type State = BTreeMap<String, Instance>;

/// The ids of a state, by address.
pub fn ids(state: &State) -> Ids {
    state
        .iter()
        .map(|(a, i)| (a.clone(), i.id.clone()))
        .collect()
}

fn id_of(resp: &Value, key: &str) -> String {
    match &resp[key] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Create one resource and read it back as new (§1.5: after Create everything the server returns lands).
async fn create_one(client: &WorkspaceClient, r: &Resource, ids: &Ids) -> Result<Instance, Error> {
    let address = r.address();
    let request = create_request(r, ids)?;
    let (id, attributes) = match request {
        Request::Permissions(b) => {
            let me = client
                .current_user()
                .await
                .map_err(api_err(&address))?
                .user_name;
            let put = permissions::create(&b, &me).map_err(|message| Error::Provider {
                address: address.clone(),
                message,
            })?;
            client
                .put(&put.path, &put.body)
                .await
                .map_err(api_err(&address))?;
            let keep_me = permissions::names(&b, &me);
            let state = permissions::read(client, &put.id, |_| keep_me)
                .await
                .map_err(api_err(&address))?;
            (put.id, state)
        }
        Request::Policy(b) => {
            let resp = client
                .post("/api/2.0/policies/clusters/create", &Value::Object(b))
                .await
                .map_err(api_err(&address))?;
            let id = id_of(&resp, "policy_id");
            let state = policy::read(client, &id).await.map_err(api_err(&address))?;
            (id, state)
        }
        Request::Pool(b) => {
            let resp = client
                .post("/api/2.0/instance-pools/create", &Value::Object(b))
                .await
                .map_err(api_err(&address))?;
            let id = id_of(&resp, "instance_pool_id");
            let state = pool::read(client, &id).await.map_err(api_err(&address))?;
            (id, state)
        }
        Request::Cluster(c) => {
            let resp = client
                .post("/api/2.1/clusters/create", &Value::Object(c.body))
                .await
                .map_err(api_err(&address))?;
            let id = id_of(&resp, "cluster_id");
            // §3.2 after create: pin, install libraries, wait for RUNNING unless `no_wait`.
            if c.pin {
                client
                    .post("/api/2.1/clusters/pin", &json!({"cluster_id": id}))
                    .await
                    .map_err(api_err(&address))?;
            }
            if let Some(libs) = &c.libraries {
                client
                    .post(
                        "/api/2.0/libraries/install",
                        &json!({"cluster_id": id, "libraries": libs}),
                    )
                    .await
                    .map_err(api_err(&address))?;
            }
            if !c.no_wait {
                cluster::wait_running(client, &id)
                    .await
                    .map_err(|message| Error::Provider {
                        address: address.clone(),
                        message,
                    })?;
            }
            let mut state = cluster::read(client, &id, c.libraries.is_some())
                .await
                .map_err(api_err(&address))?;
            // Never read: state keeps what was applied.
            state.insert("no_wait".into(), Value::Bool(c.no_wait));
            (id, state)
        }
        Request::Warehouse(w) => {
            let resp = client
                .post("/api/2.0/sql/warehouses", &Value::Object(w.body))
                .await
                .map_err(api_err(&address))?;
            let id = id_of(&resp, "id");
            // §7.2: create waits for RUNNING unless `no_wait`.
            if !w.no_wait {
                sql_endpoint::wait_running(client, &id)
                    .await
                    .map_err(|message| Error::Provider {
                        address: address.clone(),
                        message,
                    })?;
            }
            let mut state = sql_endpoint::read(client, &id)
                .await
                .map_err(api_err(&address))?;
            // Never read: state keeps what was applied.
            state.insert("no_wait".into(), Value::Bool(w.no_wait));
            (id, state)
        }
        Request::Pipeline(p) => {
            let continuous = p.get("continuous") == Some(&Value::Bool(true));
            let resp = client
                .post("/api/2.0/pipelines", &Value::Object(p))
                .await
                .map_err(api_err(&address))?;
            let id = id_of(&resp, "pipeline_id");
            pipeline::wait(client, &id, continuous)
                .await
                .map_err(|message| Error::Provider {
                    address: address.clone(),
                    message,
                })?;
            let state = pipeline::read(client, &id)
                .await
                .map_err(api_err(&address))?;
            (id, state)
        }
        Request::Job(j) => {
            let resp = client
                .post(j.path, &Value::Object(j.body))
                .await
                .map_err(api_err(&address))?;
            let id = id_of(&resp, "job_id");
            let state = job::read(client, &id).await.map_err(api_err(&address))?;
            (id, state)
        }
        Request::SecretScope(b) => {
            client
                .post("/api/2.0/secrets/scopes/create", &Value::Object(b.clone()))
                .await
                .map_err(api_err(&address))?;
            // §9.5: the scope's id is its name.
            let id = id_of(&Value::Object(b), "scope");
            let state = secret::read_scope(client, &id)
                .await
                .map_err(api_err(&address))?;
            (id, state)
        }
        Request::SecretAcl(b) => {
            client
                .post("/api/2.0/secrets/acls/put", &Value::Object(b.clone()))
                .await
                .map_err(api_err(&address))?;
            // §10: id `<scope>|||<principal>`; the usual Read after create is skipped, `acls/get` is polled instead.
            let id = format!(
                "{}|||{}",
                id_of(&Value::Object(b.clone()), "scope"),
                id_of(&Value::Object(b.clone()), "principal")
            );
            let permission = id_of(&Value::Object(b.clone()), "permission");
            secret::wait_acl(client, &id, &permission)
                .await
                .map_err(|message| Error::Provider {
                    address: address.clone(),
                    message,
                })?;
            (id, b)
        }
    };
    // Create starts from the planned values, and the Read after it writes what the API returns over them, but
    // never an empty top-level value (§1.5): a field the API does not return (a cluster's
    // `apply_policy_default_values` lives only in its `spec`) keeps the configured value.
    let mut merged = planned(r, ids);
    for (k, v) in attributes {
        if !value::is_zero(Some(&v)) || !merged.contains_key(&k) {
            merged.insert(k, v);
        }
    }
    Ok(Instance {
        id,
        attributes: merged,
    })
}

/// `terraform apply` of a configuration into an empty workspace: validation first (a violation fails the
/// whole plan), then every resource after what it refers to, created with those ids and read back.
pub async fn apply(config: &Configuration, client: &WorkspaceClient) -> Result<State, Error> {
    let violations = validate_all(config);
    if !violations.is_empty() {
        return Err(Error::Invalid(violations));
    }
    create_all(config, client).await
}

/// [`apply`] without the validation, which Terraform never skips: for diagnosing what else would go wrong.
pub async fn create_all(config: &Configuration, client: &WorkspaceClient) -> Result<State, Error> {
    let mut state = State::new();
    let addresses: BTreeSet<String> = config.resources.iter().map(Resource::address).collect();
    // Terraform's graph: each resource after the ones it refers to, wherever the reference is (a job's
    // `run_job_task`, a cluster's pool, a pool id inside a policy definition).
    let mut pending: Vec<(&Resource, BTreeSet<String>)> = config
        .resources
        .iter()
        .map(|r| {
            let refs = value::references(&drsync::convert::api_body(r))
                .into_iter()
                .filter(|a| addresses.contains(a) && *a != r.address())
                .collect();
            (r, refs)
        })
        .collect();
    while !pending.is_empty() {
        let (ready, rest): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|(_, refs)| refs.iter().all(|a| state.contains_key(a)));
        if ready.is_empty() {
            return Err(Error::Cycle(
                rest.iter().map(|(r, _)| r.address()).collect(),
            ));
        }
        create_stage(
            client,
            ready.into_iter().map(|(r, _)| r).collect(),
            &mut state,
        )
        .await?;
        pending = rest;
    }
    Ok(state)
}

async fn create_stage(
    client: &WorkspaceClient,
    stage: Vec<&Resource>,
    state: &mut State,
) -> Result<(), Error> {
    let known = ids(state);
    let created: Vec<(String, Result<Instance, Error>)> = stream::iter(stage)
        .map(|r| {
            let known = &known;
            async move { (r.address(), create_one(client, r, known).await) }
        })
        .buffer_unordered(PARALLELISM)
        .collect()
        .await;
    for (address, result) in created {
        state.insert(address, result?);
    }
    Ok(())
}

fn type_of(address: &str) -> &str {
    address.split_once('.').map_or(address, |(t, _)| t)
}

/// Read one object as a refresh (or import) does.
async fn read(
    client: &WorkspaceClient,
    address: &str,
    id: &str,
    libraries: bool,
    prior: Option<&Attributes>,
) -> Result<Map<String, Value>, Error> {
    let r = match type_of(address) {
        permissions::TYPE => {
            permissions::read(client, id, |me| {
                prior.is_some_and(|p| permissions::names(p, me))
            })
            .await
        }
        job::TYPE => job::read(client, id).await,
        cluster::TYPE => cluster::read(client, id, libraries).await,
        pool::TYPE => pool::read(client, id).await,
        policy::TYPE => policy::read(client, id).await,
        sql_endpoint::TYPE => sql_endpoint::read(client, id).await,
        pipeline::TYPE => pipeline::read(client, id).await,
        secret::SCOPE => secret::read_scope(client, id).await,
        secret::ACL => secret::read_acl(client, id).await,
        other => return Err(Error::UnknownType(other.to_string())),
    };
    r.map_err(api_err(address))
}

/// `terraform import` (§1.6, §12): the object read as a new resource. A job goes through Jobs 2.0 at 1.99.0
/// and loses what the legacy structs lack (§2.1); a cluster starts without libraries (§3.6).
pub async fn import(client: &WorkspaceClient, address: &str, id: &str) -> Result<Instance, Error> {
    let attributes = if type_of(address) == job::TYPE {
        let got = client
            .get("/api/2.0/jobs/get", &[("job_id", id.to_string())])
            .await
            .map_err(api_err(address))?;
        let mut state = job::state_of(&got);
        job::legacy_losses(&mut state);
        state
    } else {
        read(client, address, id, false, None).await?
    };
    Ok(Instance {
        id: id.to_string(),
        attributes,
    })
}

fn rule_of(resource_type: &str) -> fn(&[&str]) -> diff::Rule {
    match resource_type {
        job::TYPE => job::rule,
        cluster::TYPE => cluster::rule,
        pool::TYPE => pool::rule,
        sql_endpoint::TYPE => sql_endpoint::rule,
        pipeline::TYPE => pipeline::rule,
        secret::SCOPE => secret::rule_scope,
        secret::ACL => secret::rule_acl,
        permissions::TYPE => permissions::rule,
        _ => policy::rule,
    }
}

/// The refresh before a plan: every object read again as an existing resource. §1.5: a top-level field that
/// is not Computed and is empty in state stays empty, and empty values in the response never overwrite state;
/// `is_pinned` and the libraries are set by the Read itself (§3.4).
pub async fn refresh(
    client: &WorkspaceClient,
    config: &Configuration,
    state: &State,
) -> Result<State, Error> {
    let configured_libraries: BTreeSet<String> = config
        .resources
        .iter()
        .filter(|r| {
            r.resource_type == cluster::TYPE && r.body.blocks().any(|b| b.identifier() == "library")
        })
        .map(Resource::address)
        .collect();
    let reads: Vec<(String, Result<Attributes, Error>)> = stream::iter(state.iter())
        .map(|(address, inst)| {
            let libraries =
                configured_libraries.contains(address) || inst.attributes.contains_key("libraries");
            async move {
                (
                    address.clone(),
                    read(client, address, &inst.id, libraries, Some(&inst.attributes)).await,
                )
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut out = State::new();
    for (address, fresh) in reads {
        let fresh = fresh?;
        let prior = &state[&address];
        let rule = rule_of(type_of(&address));
        let mut next = prior.attributes.clone();
        for (k, v) in fresh {
            let explicit =
                type_of(&address) == cluster::TYPE && (k == "is_pinned" || k == "libraries");
            let skip = !explicit
                && (value::is_zero(Some(&v))
                    || (!rule(&[k.as_str()]).computed && value::is_zero(prior.attributes.get(&k))));
            if !skip {
                next.insert(k, v);
            }
        }
        out.insert(
            address,
            Instance {
                id: prior.id.clone(),
                attributes: next,
            },
        );
    }
    Ok(out)
}

/// The HCL values the plan compares: the body with references resolved and the schema defaults the
/// provider applies to absent attributes (§2.2, §3.2, §4.2).
pub fn planned(r: &Resource, ids: &Ids) -> Map<String, Value> {
    let mut b = body(r, ids);
    match r.resource_type.as_str() {
        job::TYPE => job::defaults(&mut b),
        cluster::TYPE => cluster::defaults(&mut b),
        pool::TYPE => pool::defaults(&mut b),
        sql_endpoint::TYPE => sql_endpoint::defaults(&mut b),
        pipeline::TYPE => pipeline::defaults(&mut b),
        permissions::TYPE => permissions::defaults(&mut b),
        _ => {}
    }
    b
}

/// `terraform plan`: what would change. A resource missing from state is one diff with an empty path (create);
/// one in state but not in HCL is one diff with no config (destroy).
pub fn plan(config: &Configuration, state: &State) -> Vec<Diff> {
    let known = ids(state);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for r in &config.resources {
        let address = r.address();
        seen.insert(address.clone());
        let hcl = planned(r, &known);
        match state.get(&address) {
            None => out.push(Diff {
                address,
                path: String::new(),
                config: Some(Value::Object(hcl)),
                state: None,
            }),
            Some(inst) => {
                let rule = rule_of(&r.resource_type);
                let ctx = diff::Ctx {
                    resource_type: &r.resource_type,
                    address: &address,
                    rule: &rule,
                };
                out.extend(diff::compare(&ctx, &hcl, &inst.attributes));
            }
        }
    }
    for (address, inst) in state {
        if !seen.contains(address) {
            out.push(Diff {
                address: address.clone(),
                path: String::new(),
                config: None,
                state: Some(Value::Object(inst.attributes.clone())),
            });
        }
    }
    out
}
