//! Where `terraform plan` with the provider is silent, drift is silent too: before a live object is compared
//! with its resource, the differences the provider hides are taken out of the live side (it is given the
//! configured value). Each rule names its source in `../shared/reference/provider-behaviour.md` (`§n`). Pure:
//! it only rewrites a body that was shaped for comparison.

use ::hcl::{Block, Body, Expression, Structure};

/// Make `actual` agree with `expected` wherever the provider suppresses the difference.
pub fn align(resource_type: &str, expected: &Body, actual: &mut Body) {
    zero_is_absent(expected, actual);
    match resource_type {
        "databricks_job" => {
            // `run_as` is Computed and rebuilt on read from `run_as_user_name`: leaving it out of the HCL never
            // shows a diff (§2.3, §2.4).
            if !has_block(expected, "run_as") {
                remove_blocks(actual, "run_as");
            }
            for name in ["task", "job_cluster"] {
                each_pair(expected, actual, name, &mut |e, a| {
                    each_pair(e, a, "new_cluster", &mut |e, a| cluster(e, a));
                    each_pair(e, a, "for_each_task", &mut |e, a| {
                        each_pair(e, a, "task", &mut |e, a| {
                            each_pair(e, a, "new_cluster", &mut |e, a| cluster(e, a));
                        });
                    });
                });
            }
        }
        "databricks_cluster" => {
            // Provider-only flags, never read from the workspace; a diff from "" to false is hidden (§3.3).
            copy_attribute(expected, actual, "no_wait");
            cluster(expected, actual);
        }
        "databricks_instance_pool" => {
            // The cloud-attribute blocks carry the generic suppressor, and a pool's `aws_attributes.zone_id` is
            // hidden when the HCL says `auto` (§4.3).
            cloud_attributes(expected, actual);
        }
        "databricks_sql_endpoint" => {
            // A provider-only flag (§7.3); `channel`, `min_num_clusters`, `tags` and `warehouse_type` carry the
            // generic suppressor and `enable_serverless_compute` is Computed (§7.3): left out, never a diff.
            copy_attribute(expected, actual, "no_wait");
            for key in [
                "min_num_clusters",
                "warehouse_type",
                "enable_serverless_compute",
            ] {
                if attribute(expected, key).is_none() {
                    copy_attribute(expected, actual, key);
                }
            }
            for name in ["channel", "tags"] {
                if !has_block(expected, name) {
                    remove_blocks(actual, name);
                }
            }
        }
        "databricks_pipeline" => pipeline(expected, actual),
        _ => {}
    }
}

/// A pipeline (§8.3, §8.4): `run_as` is never read back, so plan never shows its drift; `edition` and
/// `catalog` compare case-insensitively; `channel` has the generic suppressor; a cluster's node types and disk
/// encryption are Computed and its `autoscale.mode` compares case-insensitively; the cloud attributes of a
/// cluster carry the cluster rules (§8.5: `cluster.N.*` as §3.5).
fn pipeline(expected: &Body, actual: &mut Body) {
    remove_blocks(actual, "run_as");
    for b in expected.blocks().filter(|b| b.identifier() == "run_as") {
        actual.0.push(Structure::Block(b.clone()));
    }
    for key in ["edition", "catalog"] {
        if let (Some(e), Some(a)) = (
            string_attribute(expected, key),
            string_attribute(actual, key),
        ) {
            if e.eq_ignore_ascii_case(a) {
                copy_attribute(expected, actual, key);
            }
        }
    }
    if attribute(expected, "channel").is_none() {
        copy_attribute(expected, actual, "channel");
    }
    each_pair(expected, actual, "cluster", &mut |e, a| {
        for key in [
            "node_type_id",
            "driver_node_type_id",
            "enable_local_disk_encryption",
        ] {
            if attribute(e, key).is_none() {
                copy_attribute(e, a, key);
            }
        }
        each_pair(e, a, "autoscale", &mut |e, a| {
            if let (Some(em), Some(am)) = (string_attribute(e, "mode"), string_attribute(a, "mode"))
            {
                if em.eq_ignore_ascii_case(am) {
                    copy_attribute(e, a, "mode");
                }
            }
        });
        cloud_attributes(e, a);
    });
}

/// A `false`, `0` or `""` in the HCL is never sent (the provider drops zeros, provider-behaviour.md §1.2) and
/// equals an absent value in a plan: a rewrite rule's `min_idle_instances = 0` is no drift against a pool that
/// has none.
fn zero_is_absent(expected: &Body, actual: &mut Body) {
    for a in expected.attributes() {
        let zero = match a.expr() {
            Expression::Bool(b) => !b,
            Expression::Number(n) => n.as_f64() == Some(0.0),
            Expression::String(s) => s.is_empty(),
            _ => false,
        };
        if zero && attribute(actual, a.key()).is_none() {
            copy_attribute(expected, actual, a.key());
        }
    }
    let mut names: Vec<&str> = expected.blocks().map(|b| b.identifier()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        each_pair(expected, actual, name, &mut |e, a| zero_is_absent(e, a));
    }
}

/// The rules every cluster spec inherits (all-purpose clusters and job or task clusters alike, §1.1).
fn cluster(expected: &Body, actual: &mut Body) {
    cloud_attributes(expected, actual);
    // `data_security_mode` aliases, one way only (§3.3): an empty configuration hides any live value, and the
    // new names stand for the old ones.
    let hidden = matches!(
        (
            string_attribute(expected, "data_security_mode"),
            string_attribute(actual, "data_security_mode"),
        ),
        (None, Some(_))
            | (Some("DATA_SECURITY_MODE_DEDICATED"), Some("SINGLE_USER"))
            | (Some("DATA_SECURITY_MODE_STANDARD"), Some("USER_ISOLATION"))
            | (
                Some("DATA_SECURITY_MODE_AUTO"),
                Some("SINGLE_USER" | "USER_ISOLATION")
            )
    );
    if hidden {
        copy_attribute(expected, actual, "data_security_mode");
    }
}

/// `aws_attributes`, `azure_attributes` and `gcp_attributes`: a block, or a field in one, that the HCL leaves
/// out never diffs (the generic suppressor on the blocks and every field in them, §1.3, §3.3, §3.4, §4.3); a
/// zone the HCL gives as `auto` is whatever zone the platform picked (§4.3; the API resolves `auto`, issue 13).
fn cloud_attributes(expected: &Body, actual: &mut Body) {
    for name in ["aws_attributes", "azure_attributes", "gcp_attributes"] {
        if !has_block(expected, name) {
            remove_blocks(actual, name);
            continue;
        }
        each_pair(expected, actual, name, &mut |e, a| {
            a.0.retain(|s| match s {
                Structure::Attribute(attr) => attribute(e, attr.key()).is_some(),
                Structure::Block(b) => has_block(e, b.identifier()),
            });
            if string_attribute(e, "zone_id").is_some_and(|z| z.eq_ignore_ascii_case("auto"))
                && attribute(a, "zone_id").is_some()
            {
                copy_attribute(e, a, "zone_id");
            }
        });
    }
}

/// Pair the blocks named `name` of both bodies (by their key attribute where they have one, else in order) and
/// call `f` on each pair.
fn each_pair(expected: &Body, actual: &mut Body, name: &str, f: &mut dyn FnMut(&Body, &mut Body)) {
    let wanted: Vec<&Block> = expected
        .blocks()
        .filter(|b| b.identifier() == name)
        .collect();
    let mut index = 0;
    for s in actual.0.iter_mut() {
        let Structure::Block(b) = s else { continue };
        if b.identifier() != name {
            continue;
        }
        let key = block_key(&b.body);
        let partner = match key {
            Some(k) => wanted
                .iter()
                .find(|w| block_key(&w.body) == Some(k.clone())),
            None => wanted.get(index),
        };
        index += 1;
        if let Some(partner) = partner {
            f(&partner.body, &mut b.body);
        }
    }
}

fn block_key(body: &Body) -> Option<String> {
    ["task_key", "job_cluster_key"]
        .iter()
        .find_map(|k| string_attribute(body, k).map(str::to_string))
}

fn has_block(body: &Body, name: &str) -> bool {
    body.blocks().any(|b| b.identifier() == name)
}

fn remove_blocks(body: &mut Body, name: &str) {
    body.0
        .retain(|s| !matches!(s, Structure::Block(b) if b.identifier() == name));
}

fn attribute<'b>(body: &'b Body, key: &str) -> Option<&'b Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| &a.expr)
}

fn string_attribute<'b>(body: &'b Body, key: &str) -> Option<&'b str> {
    match attribute(body, key) {
        Some(Expression::String(s)) => Some(s),
        _ => None,
    }
}

/// Give `actual` the value `expected` has for `key` (or none, where it has none).
fn copy_attribute(expected: &Body, actual: &mut Body, key: &str) {
    let value = attribute(expected, key).cloned();
    let mut placed = false;
    actual.0.retain_mut(|s| match s {
        Structure::Attribute(a) if a.key() == key => match &value {
            Some(v) if !placed => {
                a.expr = v.clone();
                placed = true;
                true
            }
            _ => false,
        },
        _ => true,
    });
    if let (Some(v), false) = (value, placed) {
        actual
            .0
            .push(Structure::Attribute(::hcl::Attribute::new(key, v)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::diff_bodies;

    fn body(text: &str) -> Body {
        crate::hcl::parse_str(text, std::path::Path::new("t.tf")).unwrap()
    }

    fn aligned(rt: &str, expected: &str, actual: &str) -> Vec<String> {
        let e = body(expected);
        let mut a = body(actual);
        align(rt, &e, &mut a);
        diff_bodies(&e, &a, rt)
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    /// Issue 13, defect 10: `zone_id = "auto"` against the zone the platform picked is no drift, nor are cloud
    /// attributes the HCL leaves out; a concrete zone that differs is.
    #[test]
    fn zones_and_cloud_attributes_the_provider_hides() {
        let e = "aws_attributes {\n  zone_id = \"auto\"\n}\n";
        let a = "aws_attributes {\n  zone_id = \"us-west-2b\"\n  first_on_demand = 1\n}\ngcp_attributes {\n  zone_id = \"HA\"\n}\n";
        assert!(aligned("databricks_cluster", e, a).is_empty());
        assert!(aligned("databricks_instance_pool", e, a).is_empty());
        let job = |zone: &str| {
            format!("task {{\n  task_key = \"t\"\n  new_cluster {{\n    aws_attributes {{\n      zone_id = \"{zone}\"\n    }}\n  }}\n}}\n")
        };
        assert!(aligned("databricks_job", &job("auto"), &job("us-west-2a")).is_empty());
        assert_eq!(
            aligned("databricks_job", &job("us-west-2c"), &job("us-west-2a")),
            ["task.new_cluster.aws_attributes.zone_id"]
        );
        assert_eq!(
            aligned(
                "databricks_cluster",
                "aws_attributes {\n  availability = \"SPOT\"\n}\n",
                "aws_attributes {\n  availability = \"ON_DEMAND\"\n}\n"
            ),
            ["aws_attributes.availability"]
        );
    }

    /// Issue 13, defect 10: the data_security_mode aliases the provider suppresses, one way only.
    #[test]
    fn data_security_mode_aliases() {
        let dsm = |v: &str| format!("data_security_mode = \"{v}\"\n");
        for (e, a) in [
            ("DATA_SECURITY_MODE_DEDICATED", "SINGLE_USER"),
            ("DATA_SECURITY_MODE_STANDARD", "USER_ISOLATION"),
            ("DATA_SECURITY_MODE_AUTO", "SINGLE_USER"),
            ("DATA_SECURITY_MODE_AUTO", "USER_ISOLATION"),
        ] {
            assert!(
                aligned("databricks_cluster", &dsm(e), &dsm(a)).is_empty(),
                "{e} {a}"
            );
        }
        assert!(aligned("databricks_cluster", "", &dsm("USER_ISOLATION")).is_empty());
        assert_eq!(
            aligned(
                "databricks_cluster",
                &dsm("SINGLE_USER"),
                &dsm("DATA_SECURITY_MODE_DEDICATED")
            ),
            ["data_security_mode"]
        );
        assert_eq!(
            aligned("databricks_cluster", &dsm("NONE"), &dsm("SINGLE_USER")),
            ["data_security_mode"]
        );
    }

    /// Zeros in the HCL are never sent: against an absent value they are no drift, against another value they are.
    #[test]
    fn zeros_equal_absent_values() {
        assert!(aligned("databricks_instance_pool", "min_idle_instances = 0\n", "").is_empty());
        // Warehouses: the suppressed and Computed fields, left out of the HCL, never diff (§7.3).
        assert!(aligned(
            "databricks_sql_endpoint",
            "name = \"w\"\n",
            "name = \"w\"\nwarehouse_type = \"PRO\"\nmin_num_clusters = 2\nenable_serverless_compute = true\n\
             channel {\n  name = \"CHANNEL_NAME_PREVIEW\"\n}\n"
        )
        .is_empty());
        assert!(!aligned(
            "databricks_sql_endpoint",
            "name = \"w\"\nwarehouse_type = \"CLASSIC\"\n",
            "name = \"w\"\nwarehouse_type = \"PRO\"\n"
        )
        .is_empty());
        // Pipelines: run_as is never read (§8.4); edition is case-insensitive (§8.3); cluster node types are
        // Computed.
        assert!(aligned(
            "databricks_pipeline",
            "edition = \"pro\"\nrun_as {\n  user_name = \"a@b.c\"\n}\ncluster {\n  label = \"default\"\n}\n",
            "edition = \"PRO\"\nrun_as {\n  user_name = \"x@y.z\"\n}\ncluster {\n  label = \"default\"\n  node_type_id = \"i3.xlarge\"\n}\n"
        )
        .is_empty());
        assert!(!aligned(
            "databricks_pipeline",
            "edition = \"PRO\"\n",
            "edition = \"CORE\"\n"
        )
        .is_empty());
        let job =
            |v: &str| format!("task {{\n  task_key = \"t\"\n  pipeline_task {{\n{v}  }}\n}}\n");
        assert!(aligned(
            "databricks_job",
            &job("    full_refresh = false\n"),
            &job("")
        )
        .is_empty());
        assert_eq!(
            aligned(
                "databricks_instance_pool",
                "min_idle_instances = 0\n",
                "min_idle_instances = 2\n"
            ),
            ["min_idle_instances"]
        );
    }

    /// `run_as` left out of the HCL is the applier's, and never drift; written, it is compared. `no_wait` is
    /// never read back.
    #[test]
    fn computed_run_as_and_provider_only_flags() {
        let live = "run_as {\n  user_name = \"dr-admin@example.com\"\n}\n";
        assert!(aligned("databricks_job", "", live).is_empty());
        assert_eq!(
            aligned(
                "databricks_job",
                "run_as {\n  user_name = \"alice@example.com\"\n}\n",
                live
            ),
            ["run_as.user_name"]
        );
        assert!(aligned("databricks_cluster", "no_wait = true\n", "").is_empty());
    }
}
