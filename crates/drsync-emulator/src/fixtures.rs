//! Seed data for the emulator, read from a folder of real API response bodies (no invented format).
//! Loading validates shape and names the file on error; it never changes what the files say.

use super::error::Error;
use serde_json::Value;
use std::path::Path;

/// The state a workspace starts with, one field per fixture file.
///
/// Each field holds real API bodies: `jobs` as `jobs/get` returns them, `clusters` as `clusters/get`,
/// `instance_pools` as `instance-pools/get`, `cluster_policies` as `policies/clusters/get`,
/// `cluster_libraries` as `libraries/cluster-status`, `workspace_objects` as `workspace/get-status`,
/// `sql_warehouses` as `sql/warehouses/{id}`, `pipelines` as `pipelines/{id}`, `runs` as `jobs/runs/get`.
/// The catalog bodies (`node_types`, `spark_versions`, `zones`) default to a built-in catalog for the
/// emulator's cloud when `None`; the other `Option`s mean "none".
#[derive(Debug, Default, Clone)]
pub struct Fixtures {
    /// `jobs.json`: array of `jobs/get` bodies.
    pub jobs: Vec<Value>,
    /// `clusters.json`: array of `clusters/get` bodies (ClusterDetails).
    pub clusters: Vec<Value>,
    /// `instance_pools.json`: array of `instance-pools/get` bodies.
    pub instance_pools: Vec<Value>,
    /// `cluster_policies.json`: array of `policies/clusters/get` bodies.
    pub cluster_policies: Vec<Value>,
    /// `node_types.json`: the `clusters/list-node-types` body.
    pub node_types: Option<Value>,
    /// `spark_versions.json`: the `clusters/spark-versions` body.
    pub spark_versions: Option<Value>,
    /// `zones.json`: the `clusters/list-zones` body.
    pub zones: Option<Value>,
    /// `instance_profiles.json`: the `instance-profiles/list` body.
    pub instance_profiles: Option<Value>,
    /// `secret_scopes.json`: the `secrets/scopes/list` body.
    pub secret_scopes: Option<Value>,
    /// `secrets.json`: per scope name, the `secrets/list` body of that scope (key names only).
    pub secrets: Option<Value>,
    /// `secret_acls.json`: per scope name, the `secrets/acls/list` body of that scope.
    pub secret_acls: Option<Value>,
    /// `users.json`: the SCIM `Users` list body.
    pub users: Option<Value>,
    /// `groups.json`: the SCIM `Groups` list body.
    pub groups: Option<Value>,
    /// `service_principals.json`: the SCIM `ServicePrincipals` list body.
    pub service_principals: Option<Value>,
    /// `cluster_libraries.json`: array of `libraries/cluster-status` bodies.
    pub cluster_libraries: Vec<Value>,
    /// `workspace_objects.json`: array of `workspace/get-status` bodies.
    pub workspace_objects: Vec<Value>,
    /// `sql_warehouses.json`: array of `sql/warehouses/{id}` GET bodies.
    pub sql_warehouses: Vec<Value>,
    /// `pipelines.json`: array of `pipelines/{id}` GET bodies.
    pub pipelines: Vec<Value>,
    /// `runs.json`: array of `jobs/runs/get` bodies (`Run`), the workspace's run history; runs in an active
    /// state go on from there as runs started with `run-now` do.
    pub runs: Vec<Value>,
    /// `permissions.json`: array of `GET /api/2.0/permissions/{type}/{id}` bodies (`ObjectPermissions`); the
    /// direct grants of each object the workspace has become its ACL, and every principal named is known.
    pub permissions: Vec<Value>,
    /// Principals the workspace knows besides those the files name, each an access-control entry's principal
    /// (`{"user_name": ...}`, `{"group_name": ...}` or `{"service_principal_name": ...}`): the account's
    /// identities, for a workspace (a DR) that grants get applied to. Not a file.
    pub principals: Vec<Value>,
}

impl Fixtures {
    /// Read every known file in `dir`; a missing file means empty state (or the built-in catalog).
    pub fn load(dir: &Path) -> Result<Self, Error> {
        if !dir.is_dir() {
            return Err(Error::FixtureRead {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "fixture folder does not exist",
                ),
            });
        }
        let read = |name: &str| -> Result<Option<String>, Error> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(t) => Ok(Some(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(Error::FixtureRead { path, source }),
            }
        };
        Self::from_source(dir, &read)
    }

    /// Fixtures from file contents by name (`jobs.json` → text), as [`Fixtures::load`] would read them from
    /// `dir` (which only names them in errors).
    pub fn from_texts(dir: &Path, files: &[(&str, &str)]) -> Result<Self, Error> {
        let read = |name: &str| -> Result<Option<String>, Error> {
            Ok(files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.to_string()))
        };
        Self::from_source(dir, &read)
    }

    fn from_source(
        dir: &Path,
        read: &dyn Fn(&str) -> Result<Option<String>, Error>,
    ) -> Result<Self, Error> {
        let dir = &Source { dir, read };
        Ok(Fixtures {
            jobs: array(dir, "jobs.json", &["job_id", "settings"])?,
            clusters: array(dir, "clusters.json", &["cluster_id"])?,
            instance_pools: array(
                dir,
                "instance_pools.json",
                &["instance_pool_id", "instance_pool_name"],
            )?,
            cluster_policies: array(dir, "cluster_policies.json", &["policy_id", "name"])?,
            node_types: object(dir, "node_types.json", "node_types")?,
            spark_versions: object(dir, "spark_versions.json", "versions")?,
            zones: object(dir, "zones.json", "zones")?,
            instance_profiles: object(dir, "instance_profiles.json", "")?,
            secret_scopes: object(dir, "secret_scopes.json", "")?,
            secrets: per_scope(dir, "secrets.json", "secrets")?,
            secret_acls: per_scope(dir, "secret_acls.json", "items")?,
            users: object(dir, "users.json", "schemas")?,
            groups: object(dir, "groups.json", "schemas")?,
            service_principals: object(dir, "service_principals.json", "schemas")?,
            cluster_libraries: array(dir, "cluster_libraries.json", &["cluster_id"])?,
            workspace_objects: array(dir, "workspace_objects.json", &["path", "object_type"])?,
            sql_warehouses: array(dir, "sql_warehouses.json", &["id", "name"])?,
            pipelines: array(dir, "pipelines.json", &["pipeline_id", "spec"])?,
            runs: array(dir, "runs.json", &["run_id", "job_id"])?,
            permissions: array(
                dir,
                "permissions.json",
                &["object_id", "object_type", "access_control_list"],
            )?,
            principals: Vec::new(),
        })
    }

    /// Every principal these fixtures name: in their ACLs (`permissions`), as creators of jobs, clusters and
    /// pools (who hold grants by default), and in [`Fixtures::principals`]; as access-control entries. What a
    /// workspace of the same account knows too: a DR's [`Fixtures::principals`].
    pub fn principals_named(&self) -> Vec<Value> {
        let mut out: Vec<Value> = self.principals.clone();
        let objects = self
            .jobs
            .iter()
            .chain(&self.clusters)
            .chain(&self.instance_pools)
            .chain(&self.pipelines);
        for principal in crate::acl::creators(objects, self.sql_warehouses.iter()) {
            if !out.contains(&principal) {
                out.push(principal);
            }
        }
        for entry in self
            .permissions
            .iter()
            .filter_map(|b| b.get("access_control_list").and_then(Value::as_array))
            .flatten()
        {
            let mut principal = serde_json::Map::new();
            for field in ["user_name", "group_name", "service_principal_name"] {
                if let Some(v) = entry.get(field) {
                    principal.insert(field.to_string(), v.clone());
                }
            }
            let principal = Value::Object(principal);
            if !out.contains(&principal) {
                out.push(principal);
            }
        }
        out
    }
}

/// Where fixture files come from: a folder on disk, or texts compiled into the binary.
struct Source<'a> {
    dir: &'a Path,
    read: &'a dyn Fn(&str) -> Result<Option<String>, Error>,
}

impl Source<'_> {
    fn join(&self, name: &str) -> std::path::PathBuf {
        self.dir.join(name)
    }
}

fn read(dir: &Source<'_>, name: &str) -> Result<Option<Value>, Error> {
    let path = dir.join(name);
    let Some(text) = (dir.read)(name)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::FixtureInvalid {
            path,
            reason: e.to_string(),
        })
}

/// A file holding a JSON array of objects, each with the given keys.
fn array(dir: &Source<'_>, name: &str, required: &[&str]) -> Result<Vec<Value>, Error> {
    let Some(value) = read(dir, name)? else {
        return Ok(Vec::new());
    };
    let invalid = |reason: String| Error::FixtureInvalid {
        path: dir.join(name),
        reason,
    };
    let Value::Array(items) = value else {
        return Err(invalid("expected a JSON array of API bodies".to_string()));
    };
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            return Err(invalid(format!("item {i} is not a JSON object")));
        };
        if let Some(key) = required.iter().find(|k| !obj.contains_key(**k)) {
            return Err(invalid(format!("item {i} has no `{key}`")));
        }
    }
    Ok(items)
}

/// A file holding one JSON object, which must have `key` when one is named.
fn object(dir: &Source<'_>, name: &str, key: &str) -> Result<Option<Value>, Error> {
    let Some(value) = read(dir, name)? else {
        return Ok(None);
    };
    let ok = value
        .as_object()
        .is_some_and(|o| key.is_empty() || o.contains_key(key));
    if !ok {
        let what = if key.is_empty() {
            "expected a JSON object (the API body)".to_string()
        } else {
            format!("expected a JSON object with `{key}` (the API body)")
        };
        return Err(Error::FixtureInvalid {
            path: dir.join(name),
            reason: what,
        });
    }
    Ok(Some(value))
}

/// A file holding, per scope name, the body of a per-scope listing (`secrets/list`, `acls/list`): an object
/// whose values are objects, each with `key` as an array when it has one (the API leaves an empty list out).
fn per_scope(dir: &Source<'_>, name: &str, key: &str) -> Result<Option<Value>, Error> {
    let Some(value) = object(dir, name, "")? else {
        return Ok(None);
    };
    let bad = value.as_object().into_iter().flatten().find(|(_, body)| {
        body.as_object()
            .is_none_or(|b| b.get(key).is_some_and(|v| !v.is_array()))
    });
    if let Some((scope, _)) = bad {
        return Err(Error::FixtureInvalid {
            path: dir.join(name),
            reason: format!(
                "scope `{scope}`: expected the API body, an object with an array `{key}`"
            ),
        });
    }
    Ok(Some(value))
}
