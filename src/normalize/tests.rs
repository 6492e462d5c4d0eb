//! Tests of what the kinds share (`prune`) and of rules that cross kinds: pool-backed compute in jobs and
//! clusters alike, exclusions and notes, zeros in jobs and pools, and pools and policies together.

use super::*;
use crate::model::{ClusterPolicy, InstancePool, Job};
use serde_json::json;

fn job_from(v: Value) -> Job {
    serde_json::from_value(v).unwrap()
}

fn cluster_from(v: Value) -> crate::model::Cluster {
    serde_json::from_value(v).unwrap()
}

#[test]
fn pool_and_policy() {
    let p: InstancePool = serde_json::from_value(json!({
        "instance_pool_id": "p1", "instance_pool_name": "pool", "node_type_id": "i3.xlarge",
        "idle_instance_autotermination_minutes": 30, "state": "ACTIVE", "stats": {"idle_count": 1},
        "default_tags": {"Vendor": "Databricks"}, "status": {}, "enable_elastic_disk": true
    }))
    .unwrap();
    assert_eq!(
        instance_pool(&p).config,
        json!({"instance_pool_name": "pool", "node_type_id": "i3.xlarge",
               "idle_instance_autotermination_minutes": 30})
    );
    let pol: ClusterPolicy = serde_json::from_value(json!({
        "policy_id": "ABC", "name": "p", "definition": "{\"spark_version\":{\"type\":\"fixed\",\"value\":\"15.4.x-scala2.12\"}}",
        "created_at_timestamp": 9, "creator_user_name": "x", "is_default": false
    }))
    .unwrap();
    let n = cluster_policy(&pol);
    assert_eq!(n.created, 9);
    assert_eq!(
        n.config,
        json!({"name": "p", "definition": {"spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"}}})
    );
    let fam: ClusterPolicy = serde_json::from_value(json!({
        "policy_id": "F", "name": "pc", "definition": "{\"x\":{}}", "policy_family_id": "personal-vm",
        "policy_family_definition_overrides": "{\"autotermination_minutes\":{\"type\":\"fixed\",\"value\":30}}"
    }))
    .unwrap();
    let n = cluster_policy(&fam);
    assert!(n.config.get("definition").is_none());
    assert_eq!(
        n.config["policy_family_definition_overrides"]["autotermination_minutes"]["value"],
        json!(30)
    );
}

/// Issue 13, defect 1: compute from a pool carries no node types, elastic disk or cloud attributes but the
/// instance profile, and no driver pool equal to the worker pool (the provider's `ModifyRequestOnInstancePool`).
#[test]
fn pool_backed_compute_is_stripped_as_the_provider_strips_it() {
    let spec = json!({
        "spark_version": "15.4.x-scala2.12", "instance_pool_id": "p1", "driver_instance_pool_id": "p1",
        "node_type_id": "i3.xlarge", "driver_node_type_id": "i3.2xlarge", "enable_elastic_disk": true,
        "num_workers": 2,
        "aws_attributes": {"zone_id": "us-east-1a", "availability": "SPOT", "instance_profile_arn": "arn:x"}
    });
    let expected = json!({
        "spark_version": "15.4.x-scala2.12", "instance_pool_id": "p1", "num_workers": 2,
        "aws_attributes": {"instance_profile_arn": "arn:x"}
    });
    let j = job_from(json!({"job_id": 1, "settings": {
        "tasks": [{"task_key": "a", "new_cluster": spec.clone()}],
        "job_clusters": [{"job_cluster_key": "k", "new_cluster": spec.clone()}]}}));
    let n = job(&j, &Options::default());
    assert_eq!(n.config["tasks"][0]["new_cluster"], expected);
    assert_eq!(n.config["job_clusters"][0]["new_cluster"], expected);
    let mut c = spec.clone();
    c["cluster_id"] = json!("c1");
    c["cluster_name"] = json!("pooled");
    c["gcp_attributes"] = json!({"google_service_account": "sa@x", "zone_id": "HA"});
    c["azure_attributes"] = json!({"availability": "SPOT_AZURE"});
    let n = cluster(&cluster_from(c), None, &Options::default());
    assert_eq!(
        n.config["aws_attributes"],
        json!({"instance_profile_arn": "arn:x"})
    );
    assert_eq!(
        n.config["gcp_attributes"],
        json!({"google_service_account": "sa@x"})
    );
    for gone in [
        "node_type_id",
        "driver_node_type_id",
        "enable_elastic_disk",
        "driver_instance_pool_id",
        "azure_attributes",
    ] {
        assert!(n.config.get(gone).is_none(), "{gone}: {}", n.config);
    }
    // A different driver pool stays; without a pool, a driver pool is cleared as the provider clears it.
    let n = cluster(
        &cluster_from(
            json!({"cluster_id": "c2", "instance_pool_id": "p1", "driver_instance_pool_id": "p2"}),
        ),
        None,
        &Options::default(),
    );
    assert_eq!(n.config["driver_instance_pool_id"], json!("p2"));
    let n = cluster(
        &cluster_from(
            json!({"cluster_id": "c3", "node_type_id": "i3.xlarge", "driver_instance_pool_id": "p2"}),
        ),
        None,
        &Options::default(),
    );
    assert!(n.config.get("driver_instance_pool_id").is_none());
}

/// Issue 13, defect 12: what the provider cannot create or send is left out with a reason.
#[test]
fn what_the_provider_cannot_express_is_excluded_or_noted() {
    let model = job_from(
        json!({"job_id": 1, "settings": {"tasks": [{"task_key": "a"}],
        "trigger": {"pause_status": "UNPAUSED", "model": {"condition": "MODEL_CREATED"}}}}),
    );
    assert!(job(&model, &Options::default())
        .excluded
        .unwrap()
        .contains("trigger.model"));
    let periodic = job_from(
        json!({"job_id": 1, "settings": {"tasks": [{"task_key": "a"}],
        "trigger": {"periodic": {"interval": 1, "unit": "HOURS"}, "model": {}}}}),
    );
    assert_eq!(job(&periodic, &Options::default()).excluded, None);
    let empty = job_from(json!({"job_id": 1, "settings": {"name": "nothing"}}));
    assert!(job(&empty, &Options::default())
        .excluded
        .unwrap()
        .contains("no tasks"));
    let zero = job_from(
        json!({"job_id": 1, "settings": {"tasks": [{"task_key": "a"}], "max_concurrent_runs": 0}}),
    );
    let n = job(&zero, &Options::default());
    assert!(n.config.get("max_concurrent_runs").is_none());
    assert_eq!(n.notes.len(), 1);
    assert_eq!(n.notes[0].path, "max_concurrent_runs");
    let pool: InstancePool =
        serde_json::from_value(json!({"instance_pool_id": "p", "instance_pool_name": "p",
        "enable_elastic_disk": false}))
        .unwrap();
    let n = instance_pool(&pool);
    assert!(n.config.get("enable_elastic_disk").is_none());
    assert_eq!(n.notes[0].path, "enable_elastic_disk");
}

/// Issue 13, defect 12: explicit zeros never reach DR (the provider drops them), so they are not
/// configuration; the ones that change what runs are noted.
#[test]
fn zeros_the_provider_never_sends_are_dropped() {
    let j = job_from(json!({"job_id": 1, "settings": {
        "notification_settings": {"no_alert_for_skipped_runs": false, "no_alert_for_canceled_runs": true},
        "tasks": [{"task_key": "a", "pipeline_task": {"pipeline_id": "p", "full_refresh": false},
                   "notebook_task": {"notebook_path": "/x", "base_parameters": {"n": "0"}},
                   "new_cluster": {"spark_version": "15.4.x-scala2.12", "num_workers": 2, "is_single_node": false,
                                   "aws_attributes": {"first_on_demand": 0, "availability": "SPOT"}}}]}}));
    let n = job(&j, &Options::default());
    assert_eq!(
        n.config["tasks"][0],
        json!({"task_key": "a", "pipeline_task": {"pipeline_id": "p"},
               "notebook_task": {"notebook_path": "/x", "base_parameters": {"n": "0"}},
               "new_cluster": {"spark_version": "15.4.x-scala2.12", "num_workers": 2,
                               "aws_attributes": {"availability": "SPOT"}}})
    );
    assert_eq!(
        n.config["notification_settings"],
        json!({"no_alert_for_canceled_runs": true})
    );
    assert_eq!(n.notes.len(), 1, "{:?}", n.notes);
    assert_eq!(
        n.notes[0].path,
        "tasks[0].new_cluster.aws_attributes.first_on_demand"
    );
    let pool: InstancePool =
        serde_json::from_value(json!({"instance_pool_id": "p", "instance_pool_name": "p",
        "min_idle_instances": 0, "idle_instance_autotermination_minutes": 0}))
        .unwrap();
    assert_eq!(
        instance_pool(&pool).config,
        json!({"instance_pool_name": "p", "idle_instance_autotermination_minutes": 0})
    );
}

#[test]
fn prune_removes_empties_recursively() {
    let mut v = json!({"a": {"b": {}, "c": []}, "d": null, "e": [{"f": {}}], "g": 0, "h": ""});
    prune(&mut v);
    assert_eq!(v, json!({"e": [{}], "g": 0, "h": ""}));
}

/// A packed object reads back as the tree it was packed from, whatever its values (numbers of every kind,
/// escapes, invisible and non-ASCII characters, deep nesting), with what identifies it; an excluded one is not
/// kept.
#[test]
fn packed_objects_read_back_as_they_were() {
    let config = json!({
        "name": "n\u{e9}e \"quoted\" \\ \n\t\u{200b}\u{202e}",
        "max_concurrent_runs": 3, "timeout_seconds": u64::MAX, "offset": i64::MIN, "ratio": 0.1,
        "whole": 1.0, "tiny": 5e-324, "flag": true,
        "tasks": [{"task_key": "a", "depends_on": [{"task_key": "b"}], "spark_conf": {"k.z": "1", "k.a": "2"}}],
        "tags": {}
    });
    let n = Normalized::new(
        ResourceKind::Jobs,
        "42".into(),
        "nightly".into(),
        7,
        config.clone(),
    );
    let packed = Packed::pack(n.clone()).expect("not excluded");
    assert_eq!(
        (packed.kind(), packed.id(), packed.name(), packed.created()),
        (ResourceKind::Jobs, "42", "nightly", 7)
    );
    assert_eq!(*packed.config(), config);
    assert_eq!(packed.config(), n.config());
    let excluded = Normalized {
        excluded: Some("is deployed by a bundle".into()),
        ..n
    };
    assert_eq!(Packed::pack(excluded), None);
}
