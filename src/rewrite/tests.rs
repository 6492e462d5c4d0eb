//! Unit tests of the rewrite rules, one kind of rule at a time, on rendered resources.

use super::*;

fn rules(toml_text: &str) -> Rules {
    Rules::from_section(&toml::from_str(toml_text).unwrap()).unwrap()
}

fn resource(text: &str) -> Block {
    let body: Body = ::hcl::parse(text).unwrap();
    body.into_blocks().next().unwrap()
}

fn rewrite(r: &Rules, text: &str) -> (String, Report) {
    let mut block = resource(text);
    let mut w = Rewriter::new(r);
    w.resource(&mut block);
    let body = Body::builder().add_block(block).build();
    (crate::hcl::to_string(&body), w.finish())
}

const JOB: &str = r#"
resource "databricks_job" "etl" {
  name = "etl us-east-1"
  schedule {
    quartz_cron_expression = "0 0 2 * * ?"
    timezone_id            = "UTC"
    pause_status           = "UNPAUSED"
  }
  trigger {
    file_arrival {
      url = "s3://landing-us-east-1/in/"
    }
  }
  job_cluster {
    job_cluster_key = "main"
    new_cluster {
      node_type_id = "i3.xlarge"
      spark_conf = {
        "spark.hadoop.fs.s3a.endpoint" = "https://s3.us-east-1.amazonaws.com"
        "fs.s3a.bucket.data-us-east-1.endpoint" = "x"
      }
      aws_attributes {
        zone_id              = "us-east-1a"
        instance_profile_arn = "arn:aws:iam::111111111111:instance-profile/etl"
        first_on_demand      = 1
      }
    }
  }
  task {
    task_key = "load"
    new_cluster {
      driver_node_type_id = "i3.xlarge"
      node_type_id        = "r5d.xlarge"
      aws_attributes {
        zone_id = "us-east-1b"
      }
    }
    sql_task {
      warehouse_id = "6f3a2b1c9d8e7f60"
    }
  }
}
"#;

#[test]
fn zones_node_types_and_profiles_in_job_and_task_clusters() {
    let r = rules(
        "zone_id = \"auto\"\n[node_types]\n\"i3.xlarge\" = \"i4i.xlarge\"\n\
         [instance_profiles]\n\"arn:aws:iam::111111111111:instance-profile/etl\" = \"arn:aws:iam::222222222222:instance-profile/etl\"\n",
    );
    let (out, report) = rewrite(&r, JOB);
    assert!(
        !out.contains("us-east-1a") && !out.contains("us-east-1b"),
        "{out}"
    );
    assert_eq!(out.matches("= \"auto\"").count(), 2, "{out}");
    assert!(!out.contains("i3.xlarge"), "{out}");
    assert!(
        out.contains("r5d.xlarge"),
        "unmapped node types stay: {out}"
    );
    assert!(out.contains("222222222222"), "{out}");
    let counts: Vec<(String, usize)> = report
        .rules
        .iter()
        .map(|r| (r.rule.clone(), r.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("zone_id = \"auto\"".to_string(), 2),
            ("node_types".to_string(), 2),
            ("instance_profiles".to_string(), 1)
        ]
    );
    assert_eq!(
        report.rules[0].places,
        [
            "databricks_job.etl: job_cluster[main].new_cluster.aws_attributes.zone_id",
            "databricks_job.etl: task[load].new_cluster.aws_attributes.zone_id"
        ]
    );
}

#[test]
fn replacements_apply_in_order_everywhere_and_leave_no_from() {
    let r = rules(
        "[[replace]]\nfrom = \"us-east-1\"\nto = \"us-west-2\"\n[[replace]]\nfrom = \"s3://landing-us-west-2/\"\nto = \"s3://landing-dr/\"\n",
    );
    let (out, report) = rewrite(&r, JOB);
    assert!(!out.contains("us-east-1"), "{out}");
    assert!(
        out.contains("\"https://s3.us-west-2.amazonaws.com\""),
        "map values: {out}"
    );
    assert!(
        out.contains("\"fs.s3a.bucket.data-us-west-2.endpoint\""),
        "map keys: {out}"
    );
    assert!(out.contains("name = \"etl us-west-2\""), "{out}");
    // The second rule sees the first one's output: order matters.
    assert!(out.contains("s3://landing-dr/in/"), "{out}");
    assert_eq!(
        report.rules[0].count, 6,
        "name, endpoint, map key, url, two zones"
    );
    assert_eq!(report.rules[1].count, 1);
}

#[test]
fn replacements_settle_where_one_pass_would_not() {
    // One left-to-right pass of "ab" -> "a" over "aabb" gives "aab", which still holds "ab".
    let r = rules("[[replace]]\nfrom = \"ab\"\nto = \"a\"\n");
    let (out, _) = rewrite(
        &r,
        "resource \"databricks_job\" \"x\" {\n  name = \"aabb\"\n}\n",
    );
    assert!(out.contains("name = \"aa\""), "{out}");
}

#[test]
fn no_from_survives_random_inputs() {
    // Property: after rewriting, no `from` occurs anywhere, for many generated strings.
    let r = rules(
        "[[replace]]\nfrom = \"ab\"\nto = \"b\"\n[[replace]]\nfrom = \"bc\"\nto = \"c\"\n[[replace]]\nfrom = \"ca\"\nto = \"x\"\n",
    );
    let mut seed = 7u64;
    for _ in 0..300 {
        let s: String = (0..12)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ['a', 'b', 'c', 'x'][(seed >> 33) as usize % 4]
            })
            .collect();
        let mut block = resource(&format!(
            "resource \"databricks_job\" \"x\" {{\n  name = \"{s}\"\n}}\n"
        ));
        let mut w = Rewriter::new(&r);
        w.resource(&mut block);
        let name = block.body.attributes().next().unwrap().expr.clone();
        let Expression::String(out) = name else {
            panic!()
        };
        for from in ["ab", "bc", "ca"] {
            assert!(!out.contains(from), "{s} -> {out}");
        }
    }
}

#[test]
fn ids_are_mapped_exactly() {
    let r = rules("[ids]\n\"6f3a2b1c9d8e7f60\" = \"a1b2c3d4e5f60718\"\n");
    let (out, report) = rewrite(&r, JOB);
    assert!(out.contains("warehouse_id = \"a1b2c3d4e5f60718\""), "{out}");
    assert_eq!(
        report.rules[0].places,
        ["databricks_job.etl: task[load].sql_task.warehouse_id"]
    );
}

const POLICY: &str = r#"
resource "databricks_cluster_policy" "etl" {
  name = "etl"
  definition = jsonencode({
    "aws_attributes.zone_id" = { "type" = "fixed", "value" = "us-east-1a", "hidden" = true }
    "aws_attributes.instance_profile_arn" = { "type" = "fixed", "value" = "arn:aws:iam::111111111111:instance-profile/etl" }
    "node_type_id" = { "type" = "allowlist", "values" = ["i3.xlarge", "r5d.xlarge"], "defaultValue" = "i3.xlarge" }
    "spark_conf.spark.hadoop.fs.s3a.endpoint" = { "type" = "fixed", "value" = "https://s3.us-east-1.amazonaws.com" }
  })
}
"#;

#[test]
fn rules_reach_inside_policy_definitions() {
    let r = rules(
        "zone_id = \"auto\"\n[[replace]]\nfrom = \"us-east-1\"\nto = \"us-west-2\"\n\
         [node_types]\n\"i3.xlarge\" = \"i4i.xlarge\"\n\
         [instance_profiles]\n\"arn:aws:iam::111111111111:instance-profile/etl\" = \"arn:aws:iam::222222222222:instance-profile/etl\"\n",
    );
    let (out, report) = rewrite(&r, POLICY);
    assert!(
        out.contains("\"value\"  = \"auto\"") || out.contains("\"value\" = \"auto\""),
        "{out}"
    );
    assert!(out.contains("222222222222"), "{out}");
    assert!(out.contains("[\"i4i.xlarge\", \"r5d.xlarge\"]"), "{out}");
    assert!(out.contains("\"defaultValue\" = \"i4i.xlarge\""), "{out}");
    assert!(out.contains("https://s3.us-west-2.amazonaws.com"), "{out}");
    assert!(!out.contains("us-east-1"), "{out}");
    assert_eq!(report.rules[0].count, 1, "the zone");
}

#[test]
fn field_rules_with_star_paths_literals_and_variables() {
    let r = rules(
        "[[field]]\npath = \"databricks_job.task.*.new_cluster.aws_attributes.zone_id\"\nvalue = \"us-west-2c\"\n\
         [[field]]\npath = \"databricks_job.job_cluster.*.new_cluster.spark_conf.\\\"spark.hadoop.fs.s3a.endpoint\\\"\"\nvariable = \"s3_endpoint\"\n\
         [[field]]\npath = \"databricks_job.job_cluster.new_cluster.aws_attributes.first_on_demand\"\nvalue = 0\n\
         [variables]\ns3_endpoint = \"https://s3.us-west-2.amazonaws.com\"\n",
    );
    let (out, report) = rewrite(&r, JOB);
    assert!(out.contains("zone_id = \"us-west-2c\""), "{out}");
    assert!(
        out.contains("zone_id              = \"us-east-1a\""),
        "only task clusters: {out}"
    );
    assert!(
        out.contains("\"spark.hadoop.fs.s3a.endpoint\"          = var.s3_endpoint"),
        "{out}"
    );
    assert!(out.contains("first_on_demand      = 0"), "{out}");
    assert_eq!(report.variables.len(), 1);
    assert_eq!(
        report.variables[0]
            .primary_values
            .iter()
            .collect::<Vec<_>>(),
        ["https://s3.us-east-1.amazonaws.com"]
    );
    assert!(report.unmatched().next().is_none());
}

#[test]
fn a_rule_that_matches_nothing_is_reported() {
    let r = rules(
        "[[replace]]\nfrom = \"acme-landing-us-east-1\"\nto = \"acme-landing-us-west-2\"\n\
         [[field]]\npath = \"databricks_cluster.spark_conf.nope\"\nvalue = \"x\"\n",
    );
    let (_, report) = rewrite(&r, JOB);
    let unmatched: Vec<&str> = report.unmatched().map(|r| r.rule.as_str()).collect();
    assert_eq!(unmatched.len(), 2, "{unmatched:?}");
}

#[test]
fn pause_literal_pauses_every_schedule_trigger_and_continuous() {
    let r = rules("pause = \"literal\"\npool_min_idle = 0\n");
    let (out, report) = rewrite(&r, JOB);
    assert_eq!(
        out.matches("pause_status = \"PAUSED\"").count()
            + out.matches("pause_status           = \"PAUSED\"").count(),
        2,
        "{out}"
    );
    assert!(!out.contains("UNPAUSED"));
    assert_eq!(
        report.rules[0].count, 2,
        "schedule changed, trigger got one"
    );
    let (pool, report) = rewrite(
        &r,
        "resource \"databricks_instance_pool\" \"p\" {\n  instance_pool_name = \"p\"\n  min_idle_instances = 3\n}\n",
    );
    assert!(pool.contains("min_idle_instances = 0"), "{pool}");
    assert_eq!(report.rules[1].count, 1);
    let (cont, _) = rewrite(
        &r,
        "resource \"databricks_job\" \"c\" {\n  continuous {\n  }\n}\n",
    );
    assert!(cont.contains("pause_status = \"PAUSED\""), "{cont}");
}

#[test]
fn pause_variable_keeps_the_primary_value_behind_dr_active() {
    let r = rules("pause = \"variable\"\n");
    let (out, report) = rewrite(&r, JOB);
    assert!(
        out.contains("var.dr_active ? \"UNPAUSED\" : \"PAUSED\""),
        "{out}"
    );
    assert!(report.uses_dr_active);
    let (pool, _) = rewrite(
        &r,
        "resource \"databricks_instance_pool\" \"p\" {\n  instance_pool_name = \"p\"\n  min_idle_instances = 3\n}\n",
    );
    assert!(
        pool.contains("min_idle_instances = var.dr_active ? 3 : 0"),
        "{pool}"
    );
}

/// Pipeline clusters get the cluster rules (zones, node types, instance profiles) like any cluster; a passive DR
/// creates a continuous pipeline triggered (provider-behaviour.md §8.2: create waits for it to run), or
/// continuous only when `dr_active`, and SQL warehouses with `no_wait` (§7.2).
#[test]
fn pipelines_and_warehouses_in_a_passive_dr() {
    let pipeline = r#"
resource "databricks_pipeline" "events" {
  name       = "events"
  continuous = true
  cluster {
    label        = "default"
    node_type_id = "i3.xlarge"
    aws_attributes {
      zone_id              = "us-east-1a"
      instance_profile_arn = "arn:aws:iam::111111111111:instance-profile/etl"
    }
  }
}
"#;
    let r = rules(
        "zone_id = \"auto\"\npause = \"literal\"\n[node_types]\n\"i3.xlarge\" = \"i4i.xlarge\"\n\
         [instance_profiles]\n\"arn:aws:iam::111111111111:instance-profile/etl\" = \"arn:aws:iam::222222222222:instance-profile/etl\"\n",
    );
    let (out, report) = rewrite(&r, pipeline);
    assert!(!out.contains("continuous"), "{out}");
    assert!(out.contains("zone_id              = \"auto\""), "{out}");
    assert!(out.contains("\"i4i.xlarge\""), "{out}");
    assert!(out.contains("222222222222"), "{out}");
    let pause = report
        .rules
        .iter()
        .find(|r| r.rule.starts_with("pause"))
        .unwrap();
    assert_eq!(pause.places, ["databricks_pipeline.events: continuous"]);
    let (out, report) = rewrite(&rules("pause = \"variable\"\n"), pipeline);
    assert!(
        out.contains("continuous = var.dr_active ? true : false"),
        "{out}"
    );
    assert!(report.uses_dr_active);
    let (out, _) = rewrite(
        &r,
        "resource \"databricks_sql_endpoint\" \"w\" {\n  name = \"w\"\n  cluster_size = \"Small\"\n}\n",
    );
    assert!(out.contains("no_wait"), "{out}");
}

#[test]
fn principals_map_in_grants_acls_run_as_and_single_user_clusters() {
    let r = rules(
        "[principals]\n\"eng-us\" = \"eng-eu\"\n\"alice@x.com\" = \"alice.dr@x.com\"\n\
         \"9d7a3c21-5e4b-4f6a-8b1c-2d3e4f5a6b7c\" = \"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"\n",
    );
    let (out, report) = rewrite(
        &r,
        r#"
resource "databricks_permissions" "job_etl" {
  job_id = databricks_job.etl.id
  access_control {
    group_name       = "eng-us"
    permission_level = "CAN_VIEW"
  }
  access_control {
    user_name        = "alice@x.com"
    permission_level = "IS_OWNER"
  }
  access_control {
    group_name       = "analysts"
    permission_level = "CAN_VIEW"
  }
}
"#,
    );
    assert!(out.contains("group_name       = \"eng-eu\""), "{out}");
    assert!(
        out.contains("user_name        = \"alice.dr@x.com\""),
        "{out}"
    );
    assert!(out.contains("\"analysts\""), "{out}");
    let principals = report
        .rules
        .iter()
        .find(|r| r.rule == "principals")
        .unwrap();
    assert_eq!(
        principals.places,
        [
            "databricks_permissions.job_etl: access_control[group_name=eng-us].group_name",
            "databricks_permissions.job_etl: access_control[user_name=alice@x.com].user_name"
        ]
    );
    let (out, _) = rewrite(
        &r,
        "resource \"databricks_secret_acl\" \"a\" {\n  scope = \"s\"\n  principal = \"eng-us\"\n  permission = \"READ\"\n}\n",
    );
    assert!(out.contains("principal  = \"eng-eu\""), "{out}");
    let (out, _) = rewrite(
        &r,
        "resource \"databricks_job\" \"j\" {\n  name = \"alice@x.com\"\n  run_as {\n    service_principal_name = \"9d7a3c21-5e4b-4f6a-8b1c-2d3e4f5a6b7c\"\n  }\n}\n",
    );
    assert!(
        out.contains("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
        "{out}"
    );
    // Only principal fields: a job named like a principal keeps its name.
    assert!(out.contains("name = \"alice@x.com\""), "{out}");
    let (out, _) = rewrite(
        &r,
        "resource \"databricks_cluster\" \"c\" {\n  single_user_name = \"alice@x.com\"\n}\n",
    );
    assert!(out.contains("\"alice.dr@x.com\""), "{out}");
    // A `principal` attribute of another resource type is not a secret ACL's.
    let (out, _) = rewrite(
        &r,
        "resource \"databricks_sql_endpoint\" \"c\" {\n  principal = \"eng-us\"\n}\n",
    );
    assert!(out.contains("\"eng-us\""), "{out}");
}

#[test]
fn a_principal_maps_to_one_of_its_kind() {
    for (from, to) in [
        ("eng-us", "eng@x.com"),
        ("alice@x.com", "alice"),
        ("9d7a3c21-5e4b-4f6a-8b1c-2d3e4f5a6b7c", "etl-automation"),
    ] {
        let section = toml::from_str(&format!("[principals]\n{from:?} = {to:?}\n")).unwrap();
        let e = Rules::from_section(&section).unwrap_err();
        assert_eq!(e.rule, format!("rewrite.principals.\"{from}\""));
        assert!(e.reason.starts_with("maps a "), "{}", e.reason);
    }
    let section = toml::from_str("[principals]\n\"a\" = \"\"\n").unwrap();
    assert!(Rules::from_section(&section).is_err());
}
