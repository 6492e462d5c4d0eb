//! `databricks_instance_pool` (§4).

use super::diff::Rule;
use super::value::{default, drop_zeros, get_into_state, is_zero, Path};
use super::Problem;
use drsync::api::WorkspaceClient;
use serde_json::{json, Map, Value};

pub const TYPE: &str = "databricks_instance_pool";

pub fn validate(p: &Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    // §4.3 Required (no `omitempty`, §1.1): present in HCL, even as 0.
    for k in [
        "instance_pool_name",
        "idle_instance_autotermination_minutes",
    ] {
        if p.get(k).is_none_or(Value::is_null) {
            out.push(Problem::required(k.to_string()));
        }
    }
    // §4.3 ConflictsWith (pools/resource_instance_pool.go:177-179).
    let clouds: Vec<&str> = ["aws_attributes", "azure_attributes", "gcp_attributes"]
        .into_iter()
        .filter(|k| p.contains_key(*k))
        .collect();
    if clouds.len() > 1 {
        out.push(Problem::conflicts(format!(
            "{} are mutually exclusive",
            clouds.join(", ")
        )));
    }
    // §4.2 / §4.3 validation (pools/resource_instance_pool.go:175-236).
    let one_of = |at: &str, v: Option<&Value>, allowed: &[&str], out: &mut Vec<Problem>| {
        if let Some(s) = v.and_then(Value::as_str) {
            if !allowed.contains(&s) {
                out.push(Problem::value(format!(
                    "{at} must be one of {allowed:?}, not {s:?}"
                )));
            }
        }
    };
    one_of(
        "aws_attributes.availability",
        p.get("aws_attributes").and_then(|a| a.get("availability")),
        &["ON_DEMAND", "SPOT"],
        &mut out,
    );
    one_of(
        "azure_attributes.availability",
        p.get("azure_attributes")
            .and_then(|a| a.get("availability")),
        &["SPOT_AZURE", "ON_DEMAND_AZURE"],
        &mut out,
    );
    one_of(
        "gcp_attributes.gcp_availability",
        p.get("gcp_attributes")
            .and_then(|a| a.get("gcp_availability")),
        &[
            "ON_DEMAND_GCP",
            "PREEMPTIBLE_GCP",
            "PREEMPTIBLE_WITH_FALLBACK_GCP",
        ],
        &mut out,
    );
    let disk_type = p.get("disk_spec").and_then(|d| d.get("disk_type"));
    one_of(
        "disk_spec.disk_type.azure_disk_volume_type",
        disk_type.and_then(|d| d.get("azure_disk_volume_type")),
        &["PREMIUM_LRS", "STANDARD_LRS"],
        &mut out,
    );
    one_of(
        "disk_spec.disk_type.ebs_volume_type",
        disk_type.and_then(|d| d.get("ebs_volume_type")),
        &["GENERAL_PURPOSE_SSD", "THROUGHPUT_OPTIMIZED_HDD"],
        &mut out,
    );
    if let Some(fleet) = p.get("instance_pool_fleet_attributes") {
        one_of(
            "instance_pool_fleet_attributes.fleet_on_demand_option.allocation_strategy",
            fleet
                .get("fleet_on_demand_option")
                .and_then(|o| o.get("allocation_strategy")),
            &["LOWEST_PRICE"],
            &mut out,
        );
        one_of(
            "instance_pool_fleet_attributes.fleet_spot_option.allocation_strategy",
            fleet
                .get("fleet_spot_option")
                .and_then(|o| o.get("allocation_strategy")),
            &["LOWEST_PRICE", "CAPACITY_OPTIMIZED"],
            &mut out,
        );
    }
    // §13: never write `id` or read-only attributes; §4.1: state, stats and default_tags are output only.
    for k in [
        "id",
        "instance_pool_id",
        "state",
        "stats",
        "status",
        "default_tags",
    ] {
        if p.contains_key(k) {
            out.push(Problem::never(format!("{k} is read-only")));
        }
    }
    out
}

/// Schema defaults (§4.2, pools/resource_instance_pool.go:175-251); the nested ones only in a present block.
pub fn defaults(p: &mut Map<String, Value>) {
    default(p, "enable_elastic_disk", json!(true));
    if let Some(Value::Object(aws)) = p.get_mut("aws_attributes") {
        default(aws, "availability", json!("SPOT"));
        default(aws, "spot_bid_price_percent", json!(100));
    }
    if let Some(Value::Object(azure)) = p.get_mut("azure_attributes") {
        default(azure, "availability", json!("ON_DEMAND_AZURE"));
    }
    if let Some(Value::Object(gcp)) = p.get_mut("gcp_attributes") {
        default(gcp, "gcp_availability", json!("ON_DEMAND_GCP"));
    }
}

/// The `instance-pools/create` body (§4.1, §4.2).
pub fn create(mut p: Map<String, Value>) -> Map<String, Value> {
    defaults(&mut p);
    // Fields without `omitempty` go out even as zero (§4.2, §4.3): the two Required ones and `custom_tags`
    // (an empty map as JSON null).
    let keep = [
        Path::default().key("instance_pool_name"),
        Path::default().key("idle_instance_autotermination_minutes"),
    ];
    drop_zeros(TYPE, &mut p, &Path::default(), &|path| keep.contains(path));
    default(&mut p, "custom_tags", Value::Null);
    p
}

/// `aws_attributes.zone_id` (§4.3, pools/resource_instance_pool.go:190-192): hidden when the state has a zone
/// and HCL says `auto` (any case).
fn zone_auto(hcl: Option<&Value>, state: Option<&Value>) -> bool {
    hcl.and_then(Value::as_str)
        .is_some_and(|z| z.eq_ignore_ascii_case("auto"))
        && !is_zero(state)
}

/// `azure_attributes.spot_bid_max_price` (§4.3, pools/resource_instance_pool.go:201-205): 0 in HCL hidden.
fn zero_bid(hcl: Option<&Value>, state: Option<&Value>) -> bool {
    is_zero(hcl) && !is_zero(state)
}

pub fn rule(p: &[&str]) -> Rule {
    match p {
        // §4.3 Computed (pools/resource_instance_pool.go:17,33-34,77).
        ["instance_pool_id"]
        | ["gcp_attributes", "zone_id"]
        | ["gcp_attributes", "local_ssd_count"] => Rule::computed(),
        ["aws_attributes", "zone_id"] => Rule {
            computed: true,
            ..Rule::custom(zone_auto)
        },
        ["azure_attributes", "spot_bid_max_price"] => Rule::custom(zero_bid),
        // §4.3 generic suppress (pools/resource_instance_pool.go:80-88).
        ["max_capacity"]
        | ["node_type_id"]
        | ["enable_elastic_disk"]
        | ["aws_attributes"]
        | ["azure_attributes"]
        | ["gcp_attributes"]
        | ["instance_pool_fleet_attributes"] => Rule::generic(),
        _ => Rule::default(),
    }
}

/// Read (§4.1): `instance-pools/get` decoded into the writable struct (schema fields only).
pub async fn read(
    client: &WorkspaceClient,
    id: &str,
) -> Result<Map<String, Value>, drsync::api::Error> {
    get_into_state(
        client,
        "/api/2.0/instance-pools/get",
        "instance_pool_id",
        id,
        TYPE,
    )
    .await
}
