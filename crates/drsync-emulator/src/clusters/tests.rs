//! Unit tests of the Clusters API: configuration defaults, the state machine, list filters, orders and pages.

use super::lifecycle::step;
use super::*;
use crate::cluster_list::tests::cluster;
use crate::Fixtures;

fn ws(cloud: Cloud) -> Workspace {
    Workspace::new(cloud, Fixtures::default(), 7)
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn states_are_title_cased_in_messages() {
    assert_eq!(title_case("PENDING"), "Pending");
    let e = unexpected_state("0923-164208-meows279", "PENDING");
    assert_eq!(
        e.message,
        "Cluster 0923-164208-meows279 is in unexpected state Pending."
    );
    assert_eq!(e.error_code, json!("INVALID_STATE"));
}

#[test]
fn aws_defaults_fill_what_was_not_sent_and_keep_what_was() {
    let w = ws(Cloud::Aws);
    let spec = obj(json!({
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "num_workers": 2,
        "aws_attributes": {"zone_id": "auto"},
        "x_unknown": {"kept": true},
    }));
    let cfg = effective_config(&w, &spec).unwrap();
    // `auto` is resolved to a zone of the region at the top level.
    assert_eq!(cfg["aws_attributes"]["zone_id"], "us-east-1b");
    assert_eq!(cfg["aws_attributes"]["availability"], "SPOT_WITH_FALLBACK");
    assert_eq!(cfg["aws_attributes"]["spot_bid_price_percent"], 100);
    assert_eq!(cfg["aws_attributes"]["first_on_demand"], 1);
    assert_eq!(cfg["driver_node_type_id"], "i3.xlarge");
    assert!(cfg.get("autotermination_minutes").is_none());
    assert!(cfg.get("data_security_mode").is_none());
    assert_eq!(cfg["enable_elastic_disk"], false);
    assert_eq!(cfg["x_unknown"], json!({"kept": true}));
    let with_flag = obj(
        json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
        "apply_policy_default_values": true}),
    );
    assert!(effective_config(&w, &with_flag)
        .unwrap()
        .get("apply_policy_default_values")
        .is_none());
    let no_zone = obj(json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge"}));
    let cfg = effective_config(&w, &no_zone).unwrap();
    assert_eq!(cfg["aws_attributes"]["zone_id"], "us-east-1b");
    assert_eq!(cfg["num_workers"], 0);
    // An explicit zone stays; without a default zone the first zone of the region is used.
    let explicit = obj(
        json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
        "aws_attributes": {"zone_id": "us-east-1d"}}),
    );
    assert_eq!(
        effective_config(&w, &explicit).unwrap()["aws_attributes"]["zone_id"],
        "us-east-1d"
    );
    let mut no_default = ws(Cloud::Aws);
    no_default.zones = json!({"zones": ["eu-west-1c", "eu-west-1a"]});
    assert_eq!(
        effective_config(&no_default, &spec).unwrap()["aws_attributes"]["zone_id"],
        "eu-west-1c"
    );
    no_default.zones = json!({});
    assert_eq!(
        effective_config(&no_default, &spec).unwrap()["aws_attributes"]["zone_id"],
        "auto"
    );
}

#[test]
fn azure_and_gcp_defaults() {
    let spec = |node: &str| obj(json!({"spark_version": "14.3.x-scala2.12", "node_type_id": node}));
    let cfg = effective_config(&ws(Cloud::Azure), &spec("Standard_DS3_v2")).unwrap();
    assert_eq!(cfg["azure_attributes"]["availability"], "ON_DEMAND_AZURE");
    assert_eq!(cfg["azure_attributes"]["spot_bid_max_price"], -1.0);
    assert_eq!(cfg["enable_elastic_disk"], true);
    assert!(cfg.get("aws_attributes").is_none());
    let cfg = effective_config(&ws(Cloud::Gcp), &spec("n2-highmem-4")).unwrap();
    assert_eq!(cfg["gcp_attributes"], json!({"zone_id": "HA"}));
    assert!(cfg.get("enable_elastic_disk").is_none());
}

#[test]
fn validation_of_versions_node_types_and_refs() {
    let w = ws(Cloud::Aws);
    let err = |v: Value| effective_config(&w, &obj(v)).unwrap_err().message;
    assert!(err(json!({"node_type_id": "i3.xlarge"})).contains("spark_version"));
    assert!(
        err(json!({"spark_version": "1.0.x-scala2.10", "node_type_id": "i3.xlarge"}))
            .starts_with("Invalid spark version")
    );
    assert!(
        err(json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "Standard_F4s"}))
            .starts_with("Node type Standard_F4s is not supported")
    );
    assert_eq!(
        err(json!({"spark_version": "15.4.x-scala2.12"})),
        "Missing required field 'node_type_id'"
    );
    assert!(
        err(json!({"spark_version": "15.4.x-scala2.12", "instance_pool_id": "nope"}))
            .contains("instance pool")
    );
    assert!(err(
        json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
        "autotermination_minutes": 5})
    )
    .contains("termination"));
}

#[test]
fn sizes_come_from_the_node_types() {
    let w = ws(Cloud::Aws);
    let spec = obj(
        json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
        "autoscale": {"min_workers": 3, "max_workers": 8}}),
    );
    let c = apply_spec(&w, &Map::new(), spec.clone()).unwrap();
    assert_eq!(c["cluster_memory_mb"], 124_928);
    assert_eq!(c["cluster_cores"], 16.0);
    // Sized at min_workers, without a `num_workers` beside `autoscale` (see `effective_config`).
    assert!(c.get("num_workers").is_none());
    assert_eq!(c["spec"], Value::Object(spec));
}

fn running_cluster(w: &mut Workspace) -> Map<String, Value> {
    let mut c = apply_spec(
        w,
        &obj(json!({"cluster_id": "c1", "state": "PENDING", "default_tags": {}})),
        obj(json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 2})),
    )
    .unwrap();
    step(w, &mut c);
    c
}

#[test]
fn state_machine_steps() {
    let mut w = ws(Cloud::Aws);
    let mut c = running_cluster(&mut w);
    assert_eq!(c["state"], "RUNNING");
    assert_eq!(c["executors"].as_array().unwrap().len(), 2);
    assert_eq!(c["driver"]["node_aws_attributes"]["is_spot"], false);
    assert_eq!(c["executors"][0]["node_aws_attributes"]["is_spot"], true);
    let first_context = c["spark_context_id"].as_i64().unwrap();
    assert!(first_context > 1 << 53);
    c.insert("state".into(), json!("RESTARTING"));
    step(&mut w, &mut c);
    assert_eq!(c["state"], "RUNNING");
    assert_ne!(c["spark_context_id"].as_i64().unwrap(), first_context);
    assert!(c.contains_key("last_restarted_time"));
    c.insert("num_workers".into(), json!(4));
    c.insert("state".into(), json!("RESIZING"));
    step(&mut w, &mut c);
    assert_eq!(c["executors"].as_array().unwrap().len(), 4);
    c.insert("state".into(), json!("TERMINATING"));
    step(&mut w, &mut c);
    assert_eq!(c["state"], "TERMINATED");
    assert!(c.get("driver").is_none() && c.get("executors").is_none());
    assert!(c.contains_key("terminated_time"));
    let before = c.clone();
    step(&mut w, &mut c);
    assert_eq!(c, before, "TERMINATED is a resting state");
}

#[test]
fn restart_drops_libraries_marked_for_uninstall() {
    let mut w = ws(Cloud::Aws);
    w.libraries.insert(
        "c1".into(),
        vec![
            json!({"library": {"pypi": {"package": "a"}}, "status": "INSTALLED"}),
            json!({"library": {"pypi": {"package": "b"}}, "status": "UNINSTALL_ON_RESTART"}),
        ],
    );
    let _ = running_cluster(&mut w);
    assert_eq!(w.libraries["c1"].len(), 1);
}

#[test]
fn list_order_follows_every_change_and_reads_advance_states() {
    let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 1);
    for c in [
        cluster("a", "beta", "RUNNING", "UI", false),
        cluster("b", "alpha", "RUNNING", "UI", false),
        cluster("c", "gamma", "PENDING", "UI", false),
    ] {
        ws.clusters
            .insert(str_field(&c, "cluster_id").to_string(), c);
    }
    let ids = |ws: &mut Workspace, field, desc| -> Vec<String> {
        sorted_clusters(ws, field, desc)
            .into_iter()
            .map(|c| str_field(c, "cluster_id").to_string())
            .collect()
    };
    // The first read advances the pending cluster, so it sorts with the running ones.
    assert_eq!(ids(&mut ws, SortField::Default, false), ["b", "a", "c"]);
    assert_eq!(str_field(&ws.clusters["c"], "state"), "RUNNING");
    assert_eq!(ids(&mut ws, SortField::Default, true), ["c", "a", "b"]);
    assert_eq!(ids(&mut ws, SortField::ClusterName, true), ["c", "a", "b"]);
    // A replaced cluster moves, a new one appears, a removed one is gone.
    ws.clusters
        .insert("a".into(), cluster("a", "zeta", "TERMINATED", "UI", false));
    ws.clusters
        .insert("d".into(), cluster("d", "delta", "RUNNING", "UI", true));
    assert_eq!(
        ids(&mut ws, SortField::Default, false),
        ["d", "b", "c", "a"]
    );
    assert_eq!(
        ids(&mut ws, SortField::ClusterName, false),
        ["b", "d", "c", "a"]
    );
    ws.clusters.remove("b");
    assert!(ws.clusters.remove("b").is_none());
    assert_eq!(ids(&mut ws, SortField::Default, false), ["d", "c", "a"]);
    // A cluster put between states is advanced by the next list.
    ws.clusters
        .insert("a".into(), cluster("a", "zeta", "TERMINATING", "UI", false));
    assert_eq!(ids(&mut ws, SortField::Default, true), ["a", "c", "d"]);
    assert_eq!(str_field(&ws.clusters["a"], "state"), "TERMINATED");
}

#[test]
fn update_mask_paths() {
    let mut spec = obj(json!({"num_workers": 1, "aws_attributes": {"zone_id": "a"}}));
    let patch = obj(json!({"num_workers": 3, "aws_attributes": {"zone_id": "b"}}));
    apply_mask_path(&mut spec, &patch, "num_workers");
    apply_mask_path(&mut spec, &patch, "aws_attributes.zone_id");
    apply_mask_path(&mut spec, &patch, "custom_tags");
    assert_eq!(
        Value::Object(spec),
        json!({"num_workers": 3, "aws_attributes": {"zone_id": "b"}})
    );
}
