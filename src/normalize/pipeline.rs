//! A pipeline's canonical configuration (`pipeline`): its `spec` without the id and the default storage, the
//! provider's defaults left out, `run_as` added from beside the spec, and its clusters through the cluster rules
//! that the provider applies to them too; bundle-deployed and library-less pipelines excluded. Rules cite `§n`
//! of provider-behaviour.md (see the parent module). No I/O, no HCL.

use super::{drop_zeros, prune, remove_keys, Normalized, Note, Options};
use crate::model::{Pipeline, ResourceKind};
use serde_json::{json, Map, Value};

/// `PipelineSpec` fields that are not configuration: the id (the resource's identity, Computed, §8.3).
const SPEC_OUTPUT_ONLY: &[&str] = &["id"];

/// A pipeline's canonical configuration.
pub fn pipeline(p: &Pipeline, options: &Options) -> Normalized {
    let mut spec = p.spec.clone().unwrap_or_default();
    remove_keys(&mut spec, SPEC_OUTPUT_ONLY);
    let mut notes = Vec::new();
    // Storage `dbfs:/pipelines/<uuid>` is the service's default: the provider hides it when the HCL has none
    // (pipelines/resource_pipeline.go:186-195, §8.3) and its exporter leaves it out (§8.5); a DR pipeline gets
    // its own.
    if spec
        .get("storage")
        .and_then(Value::as_str)
        .is_some_and(is_default_storage)
    {
        spec.remove("storage");
    }
    // The provider's schema defaults `edition = "ADVANCED"` and `channel = "CURRENT"` (§8.2), both compared
    // case-insensitively (§8.3): equal values need no HCL.
    for (key, default) in [("edition", "ADVANCED"), ("channel", "CURRENT")] {
        if spec
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case(default))
        {
            spec.remove(key);
        }
    }
    // `run_as` sits beside the spec in the API (`GetPipelineResponse.run_as`); the provider sends it but never
    // reads it back (§8.4): kept in the HCL as §13 says, its drift is invisible to plan.
    if let Some(run_as @ Value::Object(_)) = p.extra.get("run_as") {
        spec.insert("run_as".to_string(), run_as.clone());
    }
    let mut excluded = None;
    // Bundle-deployed pipelines belong to their bundle: the exporter ignores them (§8.5). With `bundle_jobs`
    // they are exported as jobs are, without the bundle marker.
    if spec
        .get("deployment")
        .and_then(|d| d.get("kind"))
        .and_then(Value::as_str)
        == Some("BUNDLE")
    {
        if options.bundle_jobs {
            spec.remove("deployment");
        } else {
            excluded = Some(
                "it is deployed by a Databricks Asset Bundle (deploy the bundle to DR, or set [export] \
                 bundle_jobs = \"include\")"
                    .to_string(),
            );
        }
    }
    // A pipeline without libraries is an ingestion or gateway pipeline, built on connections and gateways that
    // are workspace objects drsync does not export: the exporter leaves such pipelines out too (§8.5,
    // exporter/importables.go:1597-1612), and the provider's `library` blocks have MinItems 1 (§8.3).
    let has_libraries = spec
        .get("libraries")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty());
    if excluded.is_none() && !has_libraries {
        excluded = Some(
            "it has no libraries (an ingestion or gateway pipeline, whose connections are workspace-specific): \
             the provider's exporter leaves these out too"
                .to_string(),
        );
    }
    if let Some(Value::Array(clusters)) = spec.get_mut("clusters") {
        for (i, c) in clusters.iter_mut().enumerate() {
            if let Value::Object(c) = c {
                pipeline_cluster(c, &format!("clusters[{i}]."), &mut notes);
            }
        }
    }
    // Single-node clusters keep `num_workers = 0` (sent, §8.2): protected from `drop_zeros` here.
    let single_nodes: Vec<usize> = clusters_of(&spec)
        .enumerate()
        .filter(|(_, c)| is_single_node(c) && c.get("num_workers") == Some(&json!(0)))
        .map(|(i, _)| i)
        .collect();
    drop_zeros(&mut spec, "", &mut notes);
    if let Some(Value::Array(clusters)) = spec.get_mut("clusters") {
        for i in single_nodes {
            if let Some(Value::Object(c)) = clusters.get_mut(i) {
                c.insert("num_workers".to_string(), json!(0));
            }
        }
    }
    let mut config = Value::Object(spec);
    prune(&mut config);
    let name = p
        .name
        .clone()
        .or_else(|| {
            config
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let mut n = Normalized::new(
        ResourceKind::Pipelines,
        p.pipeline_id.clone(),
        name,
        0,
        config,
    );
    n.notes = notes;
    n.excluded = excluded;
    n
}

/// Whether `storage` is the service's default, `dbfs:/pipelines/<uuid>` (§8.3).
fn is_default_storage(storage: &str) -> bool {
    storage.strip_prefix("dbfs:/pipelines/").is_some_and(|id| {
        id.len() == 36
            && id.char_indices().all(|(i, c)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    })
}

fn clusters_of(spec: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    spec.get("clusters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// `spark_conf` says single node (`spark.databricks.cluster.profile = singleNode`, §8.2).
fn is_single_node(c: &Map<String, Value>) -> bool {
    c.get("spark_conf")
        .and_then(|s| s.get("spark.databricks.cluster.profile"))
        .and_then(Value::as_str)
        == Some("singleNode")
}

/// A pipeline cluster (`PipelineCluster`), from the spec as its creator sent it. Of the cluster rules
/// (`clusters.rs`) only those the provider applies here too: with `autoscale`, `num_workers` is not
/// configuration; the driver node type equal to the worker's is what the service fills in for a Computed field
/// (§8.3 `cluster.driver_node_type_id`). The pool stripping and the conflict rules of clusters do not apply:
/// `PipelineCluster` is not registered to the cluster rules (§8.3 "No cluster conflict rules"). A `num_workers`
/// of 0 on a cluster that is not single-node is dropped by the provider, and DLT then autoscales (§8.2): noted.
fn pipeline_cluster(c: &mut Map<String, Value>, path: &str, notes: &mut Vec<Note>) {
    if c.contains_key("autoscale") {
        c.remove("num_workers");
    } else if c.get("num_workers") == Some(&json!(0)) && !is_single_node(c) {
        c.remove("num_workers");
        notes.push(Note {
            path: format!("{path}num_workers"),
            message: "is 0 on a cluster that is not single-node, which the provider 1.99.0 does not send: the \
                      DR pipeline's cluster autoscales with DLT's defaults"
                .to_string(),
        });
    }
    if c.contains_key("driver_node_type_id")
        && c.get("driver_node_type_id") == c.get("node_type_id")
    {
        c.remove("driver_node_type_id");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline_from(v: Value) -> Pipeline {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn spec_without_id_default_storage_and_defaults() {
        let p = pipeline_from(json!({
            "pipeline_id": "1f6e2a7c-3b8d-4e5f-9a01-b2c3d4e5f678", "name": "orders", "state": "RUNNING",
            "creator_user_name": "a@b.c", "run_as_user_name": "a@b.c", "last_modified": 1,
            "run_as": {"user_name": "a@b.c"},
            "spec": {"id": "1f6e2a7c-3b8d-4e5f-9a01-b2c3d4e5f678", "name": "orders", "edition": "advanced",
                     "channel": "CURRENT", "development": false, "photon": true, "target": "t",
                     "storage": "dbfs:/pipelines/1f6e2a7c-3b8d-4e5f-9a01-b2c3d4e5f678",
                     "libraries": [{"notebook": {"path": "/x"}}],
                     "clusters": [{"label": "default", "num_workers": 3,
                                   "autoscale": {"min_workers": 1, "max_workers": 2},
                                   "node_type_id": "i3.xlarge", "driver_node_type_id": "i3.xlarge"},
                                  {"label": "maintenance", "num_workers": 0,
                                   "spark_conf": {"spark.databricks.cluster.profile": "singleNode"}}]}
        }));
        let n = pipeline(&p, &Options::default());
        assert_eq!(
            n.config,
            json!({"name": "orders", "photon": true, "target": "t", "run_as": {"user_name": "a@b.c"},
                   "libraries": [{"notebook": {"path": "/x"}}],
                   "clusters": [{"label": "default", "autoscale": {"min_workers": 1, "max_workers": 2},
                                 "node_type_id": "i3.xlarge"},
                                {"label": "maintenance", "num_workers": 0,
                                 "spark_conf": {"spark.databricks.cluster.profile": "singleNode"}}]})
        );
        assert!(n.excluded.is_none() && n.notes.is_empty(), "{n:?}");
        // Storage the user chose is configuration.
        let mut s3 = p.clone();
        s3.spec
            .as_mut()
            .unwrap()
            .insert("storage".into(), json!("s3://b/p"));
        assert_eq!(
            pipeline(&s3, &Options::default()).config["storage"],
            "s3://b/p"
        );
        assert!(!is_default_storage("dbfs:/pipelines/custom"));
    }

    #[test]
    fn bundles_and_library_less_pipelines_are_excluded() {
        let bundle = pipeline_from(json!({"pipeline_id": "p", "spec": {"name": "b",
            "libraries": [{"notebook": {"path": "/x"}}],
            "deployment": {"kind": "BUNDLE", "metadata_file_path": "/m"}}}));
        assert!(pipeline(&bundle, &Options::default()).excluded.is_some());
        let with = pipeline(
            &bundle,
            &Options {
                bundle_jobs: true,
                ..Options::default()
            },
        );
        assert!(with.excluded.is_none() && with.config.get("deployment").is_none());
        let ingestion = pipeline_from(json!({"pipeline_id": "p", "spec": {"name": "i",
            "ingestion_definition": {"connection_name": "sf"}}}));
        assert!(pipeline(&ingestion, &Options::default())
            .excluded
            .unwrap()
            .contains("no libraries"));
        let zero = pipeline_from(json!({"pipeline_id": "p", "spec": {"name": "z",
            "libraries": [{"notebook": {"path": "/x"}}], "clusters": [{"label": "default", "num_workers": 0}]}}));
        let n = pipeline(&zero, &Options::default());
        assert_eq!(n.notes[0].path, "clusters[0].num_workers");
    }
}
