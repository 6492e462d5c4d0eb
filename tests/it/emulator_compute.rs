//! The emulator's compute APIs over HTTP: clusters (paging, filters, spec, state machine, errors), instance
//! pools, cluster policies, SCIM Me, libraries, the workspace tree and the built-in region catalogs.

use crate::common::{empty_workspace, start, start_with, Raw};
use drsync_emulator::{Cloud, Emulator, EmulatorConfig, Fixtures, PolicyJson};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn spec(name: &str) -> Value {
    json!({
        "cluster_name": name,
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "num_workers": 1,
    })
}

async fn create_cluster(raw: &Raw, body: Value) -> String {
    let (status, resp) = raw.post("/api/2.1/clusters/create", body).await;
    assert_eq!(status, 200, "{resp}");
    resp["cluster_id"].as_str().expect("cluster_id").to_string()
}

/// `clusters/get` of `id` (2.1), whatever the status.
async fn get_cluster(raw: &Raw, id: &str) -> Value {
    raw.get(&format!("/api/2.1/clusters/get?cluster_id={id}"))
        .await
        .1
}

/// `libraries/cluster-status` of `id`.
async fn library_status(raw: &Raw, id: &str) -> Value {
    raw.get(&format!(
        "/api/2.0/libraries/cluster-status?cluster_id={id}"
    ))
    .await
    .1
}

/// `instance-pools/get` of `id`: status and body.
async fn get_pool(raw: &Raw, id: &str) -> (u16, Value) {
    raw.get(&format!(
        "/api/2.0/instance-pools/get?instance_pool_id={id}"
    ))
    .await
}

/// Create a pool, which must succeed, and `get` it.
async fn create_and_get_pool(raw: &Raw, body: Value) -> Value {
    let (status, created) = raw.post("/api/2.0/instance-pools/create", body).await;
    assert_eq!(status, 200, "{created}");
    get_pool(raw, created["instance_pool_id"].as_str().unwrap())
        .await
        .1
}

/// The item of cluster `id` in a `clusters/list` page.
fn list_item<'a>(page: &'a Value, id: &str) -> &'a Value {
    page["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cluster_id"] == id)
        .unwrap()
}

/// An emulator of `cloud` with the default fixtures.
async fn start_cloud(cloud: Cloud) -> Emulator {
    start(EmulatorConfig {
        cloud,
        ..EmulatorConfig::default()
    })
    .await
}

/// What one cloud's emulator has built in and fills in, for the tests that run once per cloud.
struct CloudCase {
    cloud: Cloud,
    /// A general-purpose node type of the built-in catalog.
    node: &'static str,
    /// `list-zones`' `default_zone` (Azure has none).
    default_zone: Option<&'static str>,
    /// The cloud attributes block of a new cluster, and what it holds when the caller sent none.
    cluster_attributes: (&'static str, Value),
    /// `enable_elastic_disk` and `enable_local_disk_encryption` of a new cluster (`None`: absent).
    cluster_elastic_disk: Option<bool>,
    cluster_disk_encryption: Option<bool>,
    /// `aws_attributes` of a new pool (`None`: not looked at) and its `enable_elastic_disk` (`None`: absent).
    pool_aws_attributes: Option<Value>,
    pool_elastic_disk: Option<bool>,
}

fn clouds() -> [CloudCase; 3] {
    [
        CloudCase {
            cloud: Cloud::Aws,
            node: "i3.xlarge",
            default_zone: Some("us-east-1b"),
            cluster_attributes: (
                "aws_attributes",
                json!({"zone_id": "us-east-1b", "availability": "SPOT_WITH_FALLBACK",
                       "first_on_demand": 1, "spot_bid_price_percent": 100, "ebs_volume_count": 0}),
            ),
            cluster_elastic_disk: Some(false),
            cluster_disk_encryption: Some(false),
            pool_aws_attributes: Some(
                json!({"zone_id": "us-east-1b", "spot_bid_price_percent": 100}),
            ),
            pool_elastic_disk: Some(true),
        },
        CloudCase {
            cloud: Cloud::Azure,
            node: "Standard_DS3_v2",
            default_zone: None,
            cluster_attributes: (
                "azure_attributes",
                json!({"first_on_demand": 1, "availability": "ON_DEMAND_AZURE", "spot_bid_max_price": -1.0}),
            ),
            cluster_elastic_disk: Some(true),
            cluster_disk_encryption: None,
            pool_aws_attributes: None,
            pool_elastic_disk: Some(true),
        },
        CloudCase {
            cloud: Cloud::Gcp,
            node: "n2-highmem-4",
            default_zone: Some("us-central1-a"),
            cluster_attributes: ("gcp_attributes", json!({"zone_id": "HA"})),
            cluster_elastic_disk: None,
            cluster_disk_encryption: None,
            pool_aws_attributes: None,
            pool_elastic_disk: None,
        },
    ]
}

fn ids(page: &Value) -> Vec<String> {
    page["clusters"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["cluster_id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn cluster_list_pages_cover_every_cluster_once() {
    let (_emu, raw) = empty_workspace().await;
    let mut created = BTreeSet::new();
    for i in 0..250 {
        created.insert(create_cluster(&raw, spec(&format!("c{i:03}"))).await);
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut query = "/api/2.1/clusters/list?page_size=100".to_string();
    let mut second_page_prev = None;
    loop {
        let (status, page) = raw.get(&query).await;
        assert_eq!(status, 200, "{page}");
        sizes.push(ids(&page).len());
        seen.extend(ids(&page));
        if sizes.len() == 2 {
            second_page_prev = page["prev_page_token"].as_str().map(str::to_string);
        }
        match page["next_page_token"].as_str() {
            Some(token) => {
                query = format!("/api/2.1/clusters/list?page_size=100&page_token={token}")
            }
            None => break,
        }
    }
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), created);
    assert_eq!(seen.len(), 250, "no cluster twice");

    // The previous-page token of page 2 leads back to page 1.
    let prev = second_page_prev.expect("page 2 has a prev_page_token");
    let (_, first_again) = raw
        .get(&format!(
            "/api/2.1/clusters/list?page_size=100&page_token={prev}"
        ))
        .await;
    assert_eq!(ids(&first_again), seen[..100]);

    // Default and cap are 100; bad values are a 400.
    let (_, default_page) = raw.get("/api/2.1/clusters/list").await;
    assert_eq!(ids(&default_page).len(), 100);
    let (_, capped) = raw.get("/api/2.1/clusters/list?page_size=1000").await;
    assert_eq!(ids(&capped).len(), 100);
    for bad in ["page_size=-1", "page_size=ten", "page_token=nonsense"] {
        let (status, body) = raw.get(&format!("/api/2.1/clusters/list?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");
    }

    // 2.0 answers everything at once, without tokens.
    let (status, all) = raw.get("/api/2.0/clusters/list").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&all).len(), 250);
    assert!(all.get("next_page_token").is_none());
}

#[tokio::test]
async fn list_filters_and_sorting() {
    let fixtures = Fixtures {
        clusters: vec![
            json!({"cluster_id": "0101-000000-job00001", "cluster_name": "job-run", "state": "TERMINATED",
                   "cluster_source": "JOB", "spark_version": "15.4.x-scala2.12"}),
            json!({"cluster_id": "0101-000000-ui000001", "cluster_name": "Zed", "state": "RUNNING",
                   "cluster_source": "UI", "spark_version": "15.4.x-scala2.12", "policy_id": "P1"}),
        ],
        ..Fixtures::default()
    };
    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);
    let api = create_cluster(&raw, spec("alpha")).await;

    let (_, page) = raw
        .get("/api/2.1/clusters/list?filter_by.cluster_sources=UI&filter_by.cluster_sources=API")
        .await;
    let got: BTreeSet<String> = ids(&page).into_iter().collect();
    let want: BTreeSet<String> = [api.clone(), "0101-000000-ui000001".to_string()]
        .into_iter()
        .collect();
    assert_eq!(got, want, "JOB clusters are left out");

    let (_, page) = raw
        .get("/api/2.1/clusters/list?filter_by.cluster_states=TERMINATED")
        .await;
    assert_eq!(ids(&page), ["0101-000000-job00001"]);
    let (_, page) = raw
        .get("/api/2.1/clusters/list?filter_by.policy_id=P1")
        .await;
    assert_eq!(ids(&page), ["0101-000000-ui000001"]);

    let (_, page) = raw
        .get("/api/2.1/clusters/list?sort_by.field=CLUSTER_NAME&sort_by.direction=ASC")
        .await;
    let names: Vec<&str> = page["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "job-run", "Zed"]);

    // Pinning is idempotent and filterable.
    for _ in 0..2 {
        let (status, _) = raw
            .post("/api/2.1/clusters/pin", json!({"cluster_id": api}))
            .await;
        assert_eq!(status, 200);
    }
    let (_, page) = raw
        .get("/api/2.1/clusters/list?filter_by.is_pinned=true")
        .await;
    assert_eq!(ids(&page), std::slice::from_ref(&api));
    raw.post("/api/2.1/clusters/unpin", json!({"cluster_id": api}))
        .await;
    let (_, page) = raw
        .get("/api/2.1/clusters/list?filter_by.is_pinned=true")
        .await;
    assert!(ids(&page).is_empty());

    let (status, body) = raw
        .get("/api/2.1/clusters/list?filter_by.cluster_sources=NOPE")
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn get_has_spec_exactly_as_sent_and_list_has_none() {
    let (_emu, raw) = empty_workspace().await;
    let sent = json!({
        "cluster_name": "shared-analytics",
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "autoscale": {"min_workers": 2, "max_workers": 8},
        "aws_attributes": {"availability": "SPOT_WITH_FALLBACK", "zone_id": "auto"},
        "custom_tags": {"team": "analytics"},
        "some_future_field": {"nested": [1, 2]},
    });
    let id = create_cluster(&raw, sent.clone()).await;
    let (status, c) = raw
        .get(&format!("/api/2.1/clusters/get?cluster_id={id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(c["spec"], sent);
    assert_eq!(c["some_future_field"], sent["some_future_field"]);
    // Server defaults and output-only fields.
    assert_eq!(c["cluster_source"], "API");
    assert_eq!(c["creator_user_name"], "emulator@example.com");
    assert_eq!(c["default_tags"]["Vendor"], "Databricks");
    assert_eq!(c["default_tags"]["ClusterId"], id.as_str());
    assert_eq!(c["default_tags"]["ClusterName"], "shared-analytics");
    // `auto` is resolved at the top level only; `spec` keeps it.
    assert_eq!(c["aws_attributes"]["zone_id"], "us-east-1b");
    assert_eq!(c["spec"]["aws_attributes"]["zone_id"], "auto");
    assert_eq!(c["aws_attributes"]["spot_bid_price_percent"], 100);
    assert_eq!(c["aws_attributes"]["first_on_demand"], 1);
    assert!(c.get("autotermination_minutes").is_none(), "{c}");
    assert_eq!(c["driver_node_type_id"], "i3.xlarge");
    assert_eq!(c["jdbc_port"], 10000);
    assert!(c["spark_context_id"].as_i64().unwrap() > 1 << 53);
    assert_eq!(c["cluster_memory_mb"], 3 * 31232);
    assert!(c["start_time"].as_i64().unwrap() > 0);

    for list in ["/api/2.1/clusters/list", "/api/2.0/clusters/list"] {
        let (_, page) = raw.get(list).await;
        let item = &page["clusters"][0];
        assert_eq!(item["cluster_id"], id.as_str());
        assert!(item.get("spec").is_none(), "{list}: {item}");
        assert!(item.get("default_tags").is_some());
        assert_eq!(item["custom_tags"], sent["custom_tags"]);
    }

    // An edit replaces `spec` with what the edit sent (its `cluster_id` is the request's, not the spec's).
    let edited = json!({
        "cluster_name": "shared-analytics",
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "num_workers": 4,
        "apply_policy_default_values": false,
        "autotermination_minutes": 45,
    });
    let mut body = edited.clone();
    body["cluster_id"] = json!(id);
    let (status, r) = raw.post("/api/2.1/clusters/edit", body).await;
    assert_eq!(status, 200, "{r}");
    let c = get_cluster(&raw, &id).await;
    assert_eq!(c["spec"], edited);
    assert_eq!(c["autotermination_minutes"], 45);
    assert!(
        c.get("autoscale").is_none() && c.get("custom_tags").is_none(),
        "{c}"
    );
    // The request-only flag shows in `spec` only.
    assert!(c.get("apply_policy_default_values").is_none(), "{c}");
}

/// A cluster created without `autotermination_minutes` has none: the API reads "unset" as "never
/// auto-terminate" and invents no value. Explicit values (0 included) are kept; invalid ones are refused.
#[tokio::test]
async fn no_invented_auto_termination() {
    let (_emu, raw) = empty_workspace().await;
    let unset = create_cluster(&raw, spec("unset")).await;
    let mut zero = spec("zero");
    zero["autotermination_minutes"] = json!(0);
    let zero = create_cluster(&raw, zero).await;
    let mut sixty = spec("sixty");
    sixty["autotermination_minutes"] = json!(60);
    let sixty = create_cluster(&raw, sixty).await;
    let want = [
        (&unset, None),
        (&zero, Some(json!(0))),
        (&sixty, Some(json!(60))),
    ];
    for (id, minutes) in &want {
        let c = get_cluster(&raw, id).await;
        assert_eq!(c.get("autotermination_minutes").cloned(), *minutes, "{c}");
    }
    let (_, page) = raw.get("/api/2.1/clusters/list").await;
    for (id, minutes) in &want {
        let item = list_item(&page, id);
        assert_eq!(
            item.get("autotermination_minutes").cloned(),
            *minutes,
            "{item}"
        );
    }
    // An edit that leaves it out removes it (the list above advanced the clusters to RUNNING).
    let mut body = spec("sixty");
    body["cluster_id"] = json!(sixty);
    let (status, r) = raw.post("/api/2.1/clusters/edit", body).await;
    assert_eq!(status, 200, "{r}");
    let c = get_cluster(&raw, &sixty).await;
    assert!(c.get("autotermination_minutes").is_none(), "{c}");
    let mut bad = spec("bad");
    bad["autotermination_minutes"] = json!(5);
    let (status, err) = raw.post("/api/2.1/clusters/create", bad).await;
    assert_eq!(status, 400);
    assert_eq!(err["error_code"], "INVALID_PARAMETER_VALUE");
}

/// The defaults a new cluster gets are exactly the sourced ones: no `data_security_mode` (not `NONE`), the
/// cloud attributes per cloud, nothing on GCP beyond its default zone.
#[tokio::test]
async fn cluster_defaults_are_only_the_sourced_ones() {
    for case in clouds() {
        let cloud = case.cloud;
        let emu = start_cloud(cloud).await;
        let raw = Raw::new(&emu);
        let sent = json!({"spark_version": "15.4.x-scala2.12", "node_type_id": case.node, "num_workers": 1});
        let id = create_cluster(&raw, sent.clone()).await;
        let c = get_cluster(&raw, &id).await;
        assert_eq!(c["spec"], sent, "{cloud:?}");
        assert!(c.get("data_security_mode").is_none(), "{cloud:?}: {c}");
        assert!(c.get("autotermination_minutes").is_none(), "{cloud:?}: {c}");
        assert_eq!(c["driver_node_type_id"], case.node, "{cloud:?}");
        let (key, attributes) = &case.cluster_attributes;
        assert_eq!(c[*key], *attributes, "{cloud:?}");
        let flag = |b: Option<bool>| b.map(Value::Bool);
        assert_eq!(
            c.get("enable_elastic_disk").cloned(),
            flag(case.cluster_elastic_disk),
            "{cloud:?}: {c}"
        );
        assert_eq!(
            c.get("enable_local_disk_encryption").cloned(),
            flag(case.cluster_disk_encryption),
            "{cloud:?}: {c}"
        );
    }
}

/// Zone `auto` (sent, or implied by sending no zone) reads back as a concrete zone of the region at the top
/// level of `get` and `list`, while `spec` keeps what was sent; an explicit zone stays as it is.
#[tokio::test]
async fn zone_auto_is_resolved_and_spec_keeps_it() {
    let emu = start(EmulatorConfig {
        fixtures: Fixtures {
            zones: Some(json!({"zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
                               "default_zone": "eu-west-1c"})),
            ..Fixtures::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let raw = Raw::new(&emu);
    let (_, zones) = raw.get("/api/2.1/clusters/list-zones").await;
    let region_default = zones["default_zone"].clone();
    assert_eq!(region_default, "eu-west-1c");

    let mut auto = spec("auto");
    auto["aws_attributes"] = json!({"zone_id": "auto", "availability": "ON_DEMAND"});
    let mut upper = spec("upper");
    upper["aws_attributes"] = json!({"zone_id": "AUTO"});
    let mut fixed = spec("fixed");
    fixed["aws_attributes"] = json!({"zone_id": "eu-west-1a"});
    let cases = [
        (
            create_cluster(&raw, auto.clone()).await,
            auto,
            region_default.clone(),
        ),
        (
            create_cluster(&raw, upper.clone()).await,
            upper,
            region_default.clone(),
        ),
        (
            create_cluster(&raw, spec("none")).await,
            spec("none"),
            region_default.clone(),
        ),
        (
            create_cluster(&raw, fixed.clone()).await,
            fixed,
            json!("eu-west-1a"),
        ),
    ];
    let (_, page) = raw.get("/api/2.1/clusters/list").await;
    for (id, sent, zone) in &cases {
        let c = get_cluster(&raw, id).await;
        assert_eq!(c["aws_attributes"]["zone_id"], *zone, "{c}");
        assert_eq!(c["spec"], *sent);
        let item = list_item(&page, id);
        assert_eq!(item["aws_attributes"]["zone_id"], *zone, "{item}");
    }
    // The availability sent with `auto` is kept beside the resolved zone.
    assert_eq!(
        get_cluster(&raw, &cases[0].0).await["aws_attributes"]["availability"],
        "ON_DEMAND"
    );
}

/// Pins: `pin` and `unpin` are idempotent, `filter_by.is_pinned=true` lists exactly the pinned clusters (how the
/// provider reads `is_pinned`), `false` the others. ClusterDetails has no `is_pinned` field: a pin shows as
/// `pinned_by_user_name`.
#[tokio::test]
async fn pin_unpin_and_the_is_pinned_filter() {
    let (_emu, raw) = empty_workspace().await;
    let a = create_cluster(&raw, spec("a")).await;
    let b = create_cluster(&raw, spec("b")).await;
    let c = create_cluster(&raw, spec("c")).await;
    let listed = |filter: &'static str| {
        let raw = Raw {
            base: raw.base.clone(),
            http: raw.http.clone(),
            token: raw.token.clone(),
        };
        async move {
            let (status, page) = raw
                .get(&format!(
                    "/api/2.1/clusters/list?filter_by.is_pinned={filter}&page_size=1"
                ))
                .await;
            assert_eq!(status, 200, "{page}");
            // Follow the pages, so the filter is checked across them.
            let mut got: BTreeSet<String> = ids(&page).into_iter().collect();
            let mut token = page["next_page_token"].as_str().map(str::to_string);
            while let Some(t) = token {
                let (_, next) = raw
                    .get(&format!(
                        "/api/2.1/clusters/list?filter_by.is_pinned={filter}&page_size=1&page_token={t}"
                    ))
                    .await;
                got.extend(ids(&next));
                token = next["next_page_token"].as_str().map(str::to_string);
            }
            got
        }
    };
    let set = |ids: &[&String]| -> BTreeSet<String> { ids.iter().map(|s| s.to_string()).collect() };
    assert!(listed("true").await.is_empty());
    for id in [&a, &c, &a] {
        let (status, r) = raw
            .post("/api/2.1/clusters/pin", json!({"cluster_id": id}))
            .await;
        assert_eq!((status, r), (200, json!({})));
    }
    assert_eq!(listed("true").await, set(&[&a, &c]));
    assert_eq!(listed("false").await, set(&[&b]));
    let got = get_cluster(&raw, &a).await;
    assert!(got.get("is_pinned").is_none(), "{got}");
    assert_eq!(got["pinned_by_user_name"], "4712839012345678");
    let got = get_cluster(&raw, &b).await;
    assert!(got.get("pinned_by_user_name").is_none(), "{got}");

    for _ in 0..2 {
        let (status, _) = raw
            .post("/api/2.1/clusters/unpin", json!({"cluster_id": a}))
            .await;
        assert_eq!(status, 200);
    }
    assert_eq!(listed("true").await, set(&[&c]));
    assert_eq!(listed("false").await, set(&[&a, &b]));
    // The pin survives termination.
    raw.post("/api/2.1/clusters/delete", json!({"cluster_id": c}))
        .await;
    assert_eq!(listed("true").await, set(&[&c]));

    for path in ["/api/2.1/clusters/pin", "/api/2.1/clusters/unpin"] {
        let (status, err) = raw
            .post(path, json!({"cluster_id": "0101-000000-nothere0"}))
            .await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(err["error_code"], "INVALID_PARAMETER_VALUE");
    }
}

#[tokio::test]
async fn cluster_state_machine() {
    let (_emu, raw) = empty_workspace().await;
    let id = create_cluster(&raw, spec("sm")).await;

    // No read yet: the cluster is still PENDING, and PENDING clusters cannot be edited.
    let mut edited = spec("sm-2");
    edited["cluster_id"] = json!(id);
    let (status, err) = raw.post("/api/2.1/clusters/edit", edited.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(err["error_code"], "INVALID_STATE");
    assert_eq!(
        err["message"],
        format!("Cluster {id} is in unexpected state Pending.")
    );

    let get = |raw: &Raw| {
        let path = format!("/api/2.1/clusters/get?cluster_id={id}");
        let raw = Raw {
            base: raw.base.clone(),
            http: raw.http.clone(),
            token: raw.token.clone(),
        };
        async move { raw.get(&path).await.1 }
    };
    let c = get(&raw).await;
    assert_eq!(c["state"], "RUNNING");
    assert!(c["driver"].is_object());
    assert_eq!(c["executors"].as_array().unwrap().len(), 1);
    assert!(c.get("termination_reason").is_none());
    let context = c["spark_context_id"].clone();

    // Editing a running cluster restarts it and gives it a new Spark context.
    let (status, _) = raw.post("/api/2.1/clusters/edit", edited).await;
    assert_eq!(status, 200);
    let c = get(&raw).await;
    assert_eq!(c["state"], "RUNNING");
    assert_eq!(c["cluster_name"], "sm-2");
    assert_ne!(c["spark_context_id"], context);
    assert_eq!(c["default_tags"]["ClusterName"], "sm-2");

    // Start is only for terminated clusters.
    let (status, err) = raw
        .post("/api/2.1/clusters/start", json!({"cluster_id": id}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error_code"], "INVALID_STATE");

    let (status, _) = raw
        .post("/api/2.1/clusters/delete", json!({"cluster_id": id}))
        .await;
    assert_eq!(status, 200);
    let c = get(&raw).await;
    assert_eq!(c["state"], "TERMINATED");
    assert_eq!(c["termination_reason"]["code"], "USER_REQUEST");
    assert!(c.get("driver").is_none() && c.get("executors").is_none());
    // Deleting again is a no-op.
    let (status, _) = raw
        .post("/api/2.1/clusters/delete", json!({"cluster_id": id}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(get(&raw).await["state"], "TERMINATED");

    // A terminated cluster may be edited and stays terminated.
    let mut again = spec("sm-3");
    again["cluster_id"] = json!(id);
    let (status, _) = raw.post("/api/2.1/clusters/edit", again).await;
    assert_eq!(status, 200);
    assert_eq!(get(&raw).await["state"], "TERMINATED");

    let (status, _) = raw
        .post("/api/2.1/clusters/start", json!({"cluster_id": id}))
        .await;
    assert_eq!(status, 200);
    let c = get(&raw).await;
    assert_eq!(c["state"], "RUNNING");
    assert!(c.get("termination_reason").is_none());

    let (status, _) = raw
        .post(
            "/api/2.1/clusters/resize",
            json!({"cluster_id": id, "num_workers": 3}),
        )
        .await;
    assert_eq!(status, 200);
    let c = get(&raw).await;
    assert_eq!(c["executors"].as_array().unwrap().len(), 3);
    assert_eq!(c["num_workers"], 3);
}

#[tokio::test]
async fn job_clusters_cannot_be_edited() {
    let fixtures = Fixtures {
        clusters: vec![
            json!({"cluster_id": "0101-000000-job00001", "state": "TERMINATED",
                              "cluster_source": "JOB", "spark_version": "15.4.x-scala2.12"}),
        ],
        ..Fixtures::default()
    };
    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);
    let mut body = spec("x");
    body["cluster_id"] = json!("0101-000000-job00001");
    let (status, err) = raw.post("/api/2.1/clusters/edit", body).await;
    assert_eq!(status, 400, "{err}");
}

#[tokio::test]
async fn cluster_errors_and_permanent_delete() {
    let (_emu, raw) = empty_workspace().await;
    let (status, err) = raw
        .get("/api/2.1/clusters/get?cluster_id=0000-000000-nope0000")
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        err,
        json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster 0000-000000-nope0000 does not exist"})
    );
    let (status, _) = raw.get("/api/2.0/clusters/get").await;
    assert_eq!(status, 400);
    let (status, err) = raw
        .post(
            "/api/2.1/clusters/create",
            json!({"node_type_id": "i3.xlarge"}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error_code"], "INVALID_PARAMETER_VALUE");
    let (status, err) = raw
        .post(
            "/api/2.1/clusters/create",
            json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "Standard_DS3_v2"}),
        )
        .await;
    assert_eq!(status, 400, "an Azure node type on AWS: {err}");

    let id = create_cluster(&raw, spec("gone")).await;
    let (status, _) = raw
        .post(
            "/api/2.0/clusters/permanent-delete",
            json!({"cluster_id": id}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, err) = raw
        .get(&format!("/api/2.0/clusters/get?cluster_id={id}"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["message"], format!("Cluster {id} does not exist"));
    let (_, page) = raw.get("/api/2.1/clusters/list").await;
    assert_eq!(page, json!({}));
}

#[tokio::test]
async fn instance_pools() {
    let (_emu, raw) = empty_workspace().await;
    let (status, body) = raw.get("/api/2.0/instance-pools/list").await;
    assert_eq!((status, body), (200, json!({})));

    let pool = json!({
        "instance_pool_name": "etl-pool",
        "node_type_id": "i3.xlarge",
        "min_idle_instances": 2,
        "max_capacity": 10,
        "aws_attributes": {"availability": "SPOT", "zone_id": "us-east-1a"},
        "preloaded_spark_versions": ["15.4.x-scala2.12"],
        "custom_tags": {"team": "data"},
    });
    let (status, created) = raw
        .post("/api/2.0/instance-pools/create", pool.clone())
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["instance_pool_id"].as_str().unwrap().to_string();
    assert!(id.contains("-pool-"));

    let (status, got) = get_pool(&raw, &id).await;
    assert_eq!(status, 200);
    assert_eq!(got["state"], "ACTIVE");
    assert_eq!(got["stats"]["idle_count"], 2);
    assert_eq!(got["default_tags"]["DatabricksInstancePoolId"], id.as_str());
    assert_eq!(got["aws_attributes"]["spot_bid_price_percent"], 100);
    assert_eq!(got["custom_tags"], pool["custom_tags"]);

    let (status, err) = raw
        .post("/api/2.0/instance-pools/create", pool.clone())
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error_code"], "RESOURCE_ALREADY_EXISTS");
    let (status, _) = raw
        .post(
            "/api/2.0/instance-pools/create",
            json!({"instance_pool_name": "no-node"}),
        )
        .await;
    assert_eq!(status, 400);

    let edit = |extra: Value| {
        let mut body = json!({"instance_pool_id": id, "instance_pool_name": "etl-pool",
                              "node_type_id": "i3.xlarge", "max_capacity": 20});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let (status, _) = raw
        .post("/api/2.0/instance-pools/edit", edit(json!({})))
        .await;
    assert_eq!(status, 200);
    let (_, got) = get_pool(&raw, &id).await;
    assert_eq!(got["max_capacity"], 20);
    for refused in [
        json!({"node_type_id": "i3.2xlarge"}),
        json!({"aws_attributes": {"zone_id": "us-east-1c"}}),
        json!({"disk_spec": {"disk_count": 2}}),
        json!({"preloaded_spark_versions": ["14.3.x-scala2.12"]}),
    ] {
        let (status, err) = raw
            .post("/api/2.0/instance-pools/edit", edit(refused.clone()))
            .await;
        assert_eq!(status, 400, "{refused}: {err}");
        assert_eq!(err["error_code"], "INVALID_PARAMETER_VALUE");
    }

    let (_, list) = raw.get("/api/2.0/instance-pools/list").await;
    assert_eq!(list["instance_pools"][0]["stats"]["used_count"], 0);

    let (status, _) = raw
        .post(
            "/api/2.0/instance-pools/delete",
            json!({"instance_pool_id": id}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, err) = get_pool(&raw, &id).await;
    assert_eq!(status, 404);
    assert_eq!(err["error_code"], "RESOURCE_DOES_NOT_EXIST");
}

#[tokio::test]
async fn cluster_policies() {
    let (_emu, raw) = empty_workspace().await;
    let (status, err) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "bad", "definition": "{not json"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error_code"], "INVALID_PARAMETER_VALUE");
    let (status, _) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "arr", "definition": "[]"}),
        )
        .await;
    assert_eq!(status, 400);

    let definition = r#"{"spark_version":{"type":"fixed","value":"15.4.x-scala2.12"}}"#;
    let (status, created) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "etl-standard", "definition": definition, "max_clusters_per_user": 5}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["policy_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 16);
    let (status, _) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "b-other"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, err) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "etl-standard"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error_code"], "RESOURCE_ALREADY_EXISTS");

    let (_, got) = raw
        .get(&format!("/api/2.0/policies/clusters/get?policy_id={id}"))
        .await;
    assert_eq!(got["definition"], definition);
    assert_eq!(got["creator_user_name"], "emulator@example.com");
    assert_eq!(got["is_default"], false);
    assert!(got["created_at_timestamp"].as_i64().unwrap() > 0);

    let (_, list) = raw
        .get("/api/2.0/policies/clusters/list?sort_column=POLICY_NAME&sort_order=ASC")
        .await;
    let names: Vec<&str> = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b-other", "etl-standard"]);

    let (status, _) = raw
        .post(
            "/api/2.0/policies/clusters/edit",
            json!({"policy_id": id, "name": "etl-renamed", "definition": "{}"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, got) = raw
        .get(&format!("/api/2.0/policies/clusters/get?policy_id={id}"))
        .await;
    assert_eq!(got["name"], "etl-renamed");
    assert!(got.get("max_clusters_per_user").is_none(), "edit replaces");

    let (status, _) = raw
        .post(
            "/api/2.0/policies/clusters/delete",
            json!({"policy_id": id}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, err) = raw
        .get(&format!("/api/2.0/policies/clusters/get?policy_id={id}"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(err["error_code"], "RESOURCE_DOES_NOT_EXIST");
}

#[tokio::test]
async fn scim_me_for_pat_and_oauth() {
    let emu = start(EmulatorConfig {
        clients: vec![(
            "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab".into(),
            "s3cret".into(),
        )],
        ..EmulatorConfig::default()
    })
    .await;
    let raw = Raw::new(&emu);
    let (status, me) = raw.get("/api/2.0/preview/scim/v2/Me").await;
    assert_eq!(status, 200);
    assert_eq!(me["userName"], "emulator@example.com");
    assert_eq!(
        me["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );

    let token: Value = raw
        .http
        .post(format!("{}/oidc/v1/token", raw.base))
        .basic_auth("6f1d2c3b-aaaa-bbbb-cccc-0123456789ab", Some("s3cret"))
        .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sp = Raw {
        token: token["access_token"].as_str().unwrap().to_string(),
        ..Raw::new(&emu)
    };
    let (status, me) = sp.get("/api/2.0/preview/scim/v2/Me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["userName"], "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab");
    assert_eq!(
        me["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
    );
    // An OAuth caller is the creator of what it creates.
    let (_, created) = sp.post("/api/2.1/clusters/create", spec("by-sp")).await;
    let id = created["cluster_id"].as_str().unwrap();
    let c = get_cluster(&sp, id).await;
    assert_eq!(
        c["creator_user_name"],
        "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab"
    );
}

#[tokio::test]
async fn libraries_install_then_status() {
    let (_emu, raw) = empty_workspace().await;
    let id = create_cluster(&raw, spec("libs")).await;
    let (status, body) = raw
        .get(&format!(
            "/api/2.0/libraries/cluster-status?cluster_id={id}"
        ))
        .await;
    assert_eq!((status, body), (200, json!({"cluster_id": id})));

    let libs = json!([{"pypi": {"package": "requests==2.32.3"}}, {"jar": "/Volumes/main/default/libs/x.jar"}]);
    let (status, _) = raw
        .post(
            "/api/2.0/libraries/install",
            json!({"cluster_id": id, "libraries": libs}),
        )
        .await;
    assert_eq!(status, 200);
    // The cluster has not been read since create, so it is still PENDING: libraries wait.
    let body = library_status(&raw, &id).await;
    let statuses = body["library_statuses"].as_array().unwrap();
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[0]["library"], libs[0]);
    assert_eq!(statuses[0]["status"], "PENDING");
    assert_eq!(statuses[0]["is_library_for_all_clusters"], false);
    // Once the cluster runs, the next status read finds them installed.
    get_cluster(&raw, &id).await;
    let body = library_status(&raw, &id).await;
    assert_eq!(body["library_statuses"][1]["status"], "INSTALLED");

    let (status, _) = raw
        .post(
            "/api/2.0/libraries/uninstall",
            json!({"cluster_id": id, "libraries": [libs[0]]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, all) = raw.get("/api/2.0/libraries/all-cluster-statuses").await;
    assert_eq!(all["statuses"][0]["cluster_id"], id.as_str());
    assert_eq!(
        all["statuses"][0]["library_statuses"][0]["status"],
        "UNINSTALL_ON_RESTART"
    );
    // A restart applies the removal.
    raw.post("/api/2.1/clusters/restart", json!({"cluster_id": id}))
        .await;
    get_cluster(&raw, &id).await;
    let body = library_status(&raw, &id).await;
    assert_eq!(body["library_statuses"].as_array().unwrap().len(), 1);

    let (status, err) = raw
        .get("/api/2.0/libraries/cluster-status?cluster_id=0000-000000-nope0000")
        .await;
    assert_eq!(status, 400, "{err}");
}

#[tokio::test]
async fn workspace_tree() {
    let fixtures = Fixtures {
        workspace_objects: vec![
            json!({"path": "/Shared/init/setup.sh", "object_type": "FILE", "object_id": 101}),
            json!({"path": "/Shared/etl", "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 102}),
        ],
        ..Fixtures::default()
    };
    let emu = start_with(fixtures).await;
    let raw = Raw::new(&emu);
    let (status, err) = raw
        .get("/api/2.0/workspace/get-status?path=/Shared/nope")
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        err,
        json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Path (/Shared/nope) doesn't exist."})
    );
    let (status, nb) = raw
        .get("/api/2.0/workspace/get-status?path=/Shared/etl")
        .await;
    assert_eq!(status, 200);
    assert_eq!(nb["object_id"], 102);
    let (_, dir) = raw
        .get("/api/2.0/workspace/get-status?path=/Shared/init")
        .await;
    assert_eq!(dir["object_type"], "DIRECTORY");
    let (status, list) = raw.get("/api/2.0/workspace/list?path=/Shared").await;
    assert_eq!(status, 200);
    let paths: Vec<&str> = list["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/Shared/etl", "/Shared/init"]);
    let (status, _) = raw.get("/api/2.0/workspace/list?path=/Nope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn built_in_catalogs_per_cloud() {
    for case in clouds() {
        let cloud = case.cloud;
        let emu = start_cloud(cloud).await;
        let raw = Raw::new(&emu);
        let (status, nodes) = raw.get("/api/2.1/clusters/list-node-types").await;
        assert_eq!(status, 200);
        let nodes = nodes["node_types"].as_array().unwrap();
        assert!(nodes.len() >= 8, "{cloud:?}");
        assert!(
            nodes.iter().any(|n| n["node_type_id"] == case.node),
            "{cloud:?}"
        );
        let (_, versions) = raw.get("/api/2.0/clusters/spark-versions").await;
        assert!(versions["versions"].as_array().unwrap().len() > 10);
        let (status, zones) = raw.get("/api/2.1/clusters/list-zones").await;
        assert_eq!(status, 200);
        assert_eq!(
            zones["default_zone"].as_str(),
            case.default_zone,
            "{cloud:?}"
        );

        // Clusters take the cloud's defaults.
        let id = create_cluster(
            &raw,
            json!({"spark_version": "15.4.x-scala2.12", "node_type_id": case.node, "num_workers": 0}),
        )
        .await;
        let c = get_cluster(&raw, &id).await;
        assert!(c[case.cluster_attributes.0].is_object(), "{cloud:?}: {c}");
    }
}

/// A new pool gets only the sourced defaults: on AWS the region's default zone and a bid of 100 % (and no
/// invented availability), elastic disk on AWS and Azure; nothing on GCP. A zone sent as `auto` stays `auto`.
#[tokio::test]
async fn pool_defaults_are_only_the_sourced_ones() {
    for case in clouds() {
        let (cloud, node) = (case.cloud, case.node);
        let emu = start_cloud(cloud).await;
        let raw = Raw::new(&emu);
        let p = create_and_get_pool(
            &raw,
            json!({"instance_pool_name": "p", "node_type_id": node,
                   "idle_instance_autotermination_minutes": 10}),
        )
        .await;
        assert!(p.get("azure_attributes").is_none(), "{cloud:?}: {p}");
        assert!(p.get("gcp_attributes").is_none(), "{cloud:?}: {p}");
        if let Some(attributes) = &case.pool_aws_attributes {
            assert_eq!(p["aws_attributes"], *attributes, "{cloud:?}");
        }
        assert_eq!(
            p.get("enable_elastic_disk").cloned(),
            case.pool_elastic_disk.map(Value::Bool),
            "{cloud:?}: {p}"
        );
        if cloud == Cloud::Aws {
            let p = create_and_get_pool(
                &raw,
                json!({"instance_pool_name": "auto", "node_type_id": node,
                       "idle_instance_autotermination_minutes": 10,
                       "aws_attributes": {"zone_id": "auto", "availability": "SPOT"},
                       "enable_elastic_disk": false}),
            )
            .await;
            assert_eq!(
                p["aws_attributes"],
                json!({"zone_id": "auto", "availability": "SPOT", "spot_bid_price_percent": 100})
            );
            assert_eq!(p["enable_elastic_disk"], false);
        }
    }
}

/// A policy definition written the way Terraform's `jsonencode` would not: spaces, unsorted keys, `10.0`, and
/// characters `jsonencode` escapes.
const LOOSE_DEFINITION: &str = r#"{ "spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"},
  "autotermination_minutes": {"type": "range", "maxValue": 10.0},
  "custom_tags.note": {"type": "fixed", "value": "<a & b>"} }"#;
const COMPACT_DEFINITION: &str = r#"{"autotermination_minutes":{"maxValue":10.0,"type":"range"},"custom_tags.note":{"type":"fixed","value":"<a & b>"},"spark_version":{"type":"fixed","value":"15.4.x-scala2.12"}}"#;
const LOOSE_OVERRIDES: &str = r#"{"z": {"type": "fixed", "value": 1}, "a": {"type": "unlimited"}}"#;
const COMPACT_OVERRIDES: &str = r#"{"a":{"type":"unlimited"},"z":{"type":"fixed","value":1}}"#;

/// Create, get, list and edit a policy under `mode`; return what `get` and `list` gave for each text field,
/// after create and after edit.
async fn policy_texts(mode: PolicyJson) -> Vec<(String, Value)> {
    let emu = start(EmulatorConfig {
        policy_json: mode,
        ..EmulatorConfig::default()
    })
    .await;
    let raw = Raw::new(&emu);
    let mut out = Vec::new();
    let (status, created) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "p", "definition": LOOSE_DEFINITION}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["policy_id"].as_str().unwrap().to_string();
    let (status, fam) = raw
        .post(
            "/api/2.0/policies/clusters/create",
            json!({"name": "f", "policy_family_id": "personal-vm",
                   "policy_family_definition_overrides": LOOSE_OVERRIDES}),
        )
        .await;
    assert_eq!(status, 200, "{fam}");
    let fam = fam["policy_id"].as_str().unwrap().to_string();
    let read = |step: &'static str| {
        let raw = Raw {
            base: raw.base.clone(),
            http: raw.http.clone(),
            token: raw.token.clone(),
        };
        let (id, fam) = (id.clone(), fam.clone());
        async move {
            let mut out = Vec::new();
            let (_, p) = raw
                .get(&format!("/api/2.0/policies/clusters/get?policy_id={id}"))
                .await;
            out.push((format!("{step} get definition"), p["definition"].clone()));
            let (_, f) = raw
                .get(&format!("/api/2.0/policies/clusters/get?policy_id={fam}"))
                .await;
            out.push((
                format!("{step} get overrides"),
                f["policy_family_definition_overrides"].clone(),
            ));
            let (_, list) = raw.get("/api/2.0/policies/clusters/list").await;
            let item = |pid: &str| {
                list["policies"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["policy_id"] == pid)
                    .cloned()
                    .unwrap()
            };
            out.push((
                format!("{step} list definition"),
                item(&id)["definition"].clone(),
            ));
            out.push((
                format!("{step} list overrides"),
                item(&fam)["policy_family_definition_overrides"].clone(),
            ));
            out
        }
    };
    out.extend(read("create").await);
    for body in [
        json!({"policy_id": id, "name": "p", "definition": LOOSE_DEFINITION}),
        json!({"policy_id": fam, "name": "f", "policy_family_id": "personal-vm",
               "policy_family_definition_overrides": LOOSE_OVERRIDES}),
    ] {
        let (status, r) = raw.post("/api/2.0/policies/clusters/edit", body).await;
        assert_eq!(status, 200, "{r}");
    }
    out.extend(read("edit").await);
    // Invalid JSON is refused the same way in every mode, on create and on edit, for both fields.
    for (path, body) in [
        ("create", json!({"name": "bad", "definition": "{\"a\": "})),
        (
            "create",
            json!({"name": "bad2", "policy_family_id": "personal-vm",
                   "policy_family_definition_overrides": "not json"}),
        ),
        (
            "edit",
            json!({"policy_id": id, "name": "p", "definition": "{]"}),
        ),
        (
            "edit",
            json!({"policy_id": id, "name": "p", "definition": "[1]"}),
        ),
    ] {
        let (status, err) = raw
            .post(&format!("/api/2.0/policies/clusters/{path}"), body.clone())
            .await;
        assert_eq!(status, 400, "{mode:?} {path} {body}: {err}");
        assert_eq!(err["error_code"], "INVALID_PARAMETER_VALUE", "{body}");
    }
    // A refused edit changed nothing.
    let (_, p) = raw
        .get(&format!("/api/2.0/policies/clusters/get?policy_id={id}"))
        .await;
    assert_eq!(p["definition"], out[4].1);
    out
}

/// Policy definitions come back byte for byte by default (`PolicyJson::Echo`), and as compact `serde_json`
/// text under `PolicyJson::Reserialize` (sorted keys, `10.0` kept, no HTML escaping), on get and list, after
/// create and edit.
#[tokio::test]
async fn policy_definitions_echo_or_reserialize() {
    assert_eq!(EmulatorConfig::default().policy_json, PolicyJson::Echo);
    for (mode, definition, overrides) in [
        (PolicyJson::Echo, LOOSE_DEFINITION, LOOSE_OVERRIDES),
        (
            PolicyJson::Reserialize,
            COMPACT_DEFINITION,
            COMPACT_OVERRIDES,
        ),
    ] {
        for (what, text) in policy_texts(mode).await {
            let want = if what.ends_with("definition") {
                definition
            } else {
                overrides
            };
            assert_eq!(text, json!(want), "{mode:?} {what}");
        }
    }
}
