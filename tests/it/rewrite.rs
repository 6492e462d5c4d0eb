//! The export of the realistic fixture workspace with a full DR rule set: golden files, the passive-mode
//! invariant, and the `dr_active` form evaluating to the passive and the active configuration.

use crate::common::{build_export, export_settings, read_fixture_primary};
use drsync::export::Export;
use drsync::inventory::Inventory;
use hcl::eval::{Context, Evaluate};

/// A DR rule set for the fixture workspace (us-east-1 -> us-west-2).
const RULES: &str = r#"
[rewrite]
zone_id = "auto"
pause = "PAUSE_MODE"

[[rewrite.replace]]
from = "us-east-1"
to = "us-west-2"
[[rewrite.replace]]
from = "dbc-primary.cloud.databricks.com"
to = "dbc-dr.cloud.databricks.com"

[rewrite.node_types]
"i3.xlarge" = "i4i.xlarge"
"i3.2xlarge" = "i4i.2xlarge"

[rewrite.instance_profiles]
"arn:aws:iam::111111111111:instance-profile/databricks-etl-role" = "arn:aws:iam::222222222222:instance-profile/databricks-etl-role"

[rewrite.ids]
"a1b2c3d4-0000-1111-2222-333344445555" = "f0e1d2c3-0000-1111-2222-333344445555"

[rewrite.principals]
"data-engineers" = "data-engineers-us-west"
"9d7a3c21-5e4b-4f6a-8b1c-2d3e4f5a6b7c" = "5c4b3a29-1e0d-4f6a-9b8c-7d6e5f4a3b2c"

[[rewrite.field]]
path = 'databricks_cluster.spark_conf."spark.hadoop.fs.s3a.endpoint"'
variable = "s3_endpoint"

[[rewrite.field]]
path = "databricks_job.job_cluster.*.new_cluster.aws_attributes.first_on_demand"
value = 0

[rewrite.variables]
s3_endpoint = "https://s3.us-west-2.amazonaws.com"
"#;

fn export_with(inv: &Inventory, pause: &str) -> Export {
    let text = RULES.replace("PAUSE_MODE", pause);
    let settings = export_settings(&text, "https://dbc-primary.cloud.databricks.com");
    build_export(inv.clone(), &settings)
}

#[tokio::test]
async fn golden_files_with_a_full_dr_rule_set() {
    let inv = read_fixture_primary().await;
    let out = export_with(&inv, "literal");
    for (name, content) in &out.files {
        if name != "drsync-labels.json" {
            insta::assert_snapshot!(format!("dr_literal_{}", name.replace('.', "_")), content);
        }
    }
    let report: Vec<String> = out
        .rewrite
        .rules
        .iter()
        .map(|r| format!("{:>4}  {}", r.count, r.rule))
        .collect();
    insta::assert_snapshot!("dr_literal_rule_counts", report.join("\n"));

    // Nothing of the primary region is left, and the mapped query id is no longer a warning.
    // variables.tf describes each variable with the primary's value it replaced.
    assert!(out.files["variables.tf"].contains("Primary: https://s3.us-east-1.amazonaws.com"));
    for (name, content) in out.files.iter().filter(|(n, _)| *n != "variables.tf") {
        // The header names the source workspace; the configuration below it must not.
        let content = content.split_once('\n').map_or("", |(_, rest)| rest);
        assert!(
            !content.contains("us-east-1"),
            "{name} still names us-east-1"
        );
        assert!(!content.contains("dbc-primary.cloud"), "{name}");
        assert!(!content.contains("\"i3.xlarge\""), "{name}");
    }
    // The mapped principals are gone from grants, secret ACLs and `run_as` (the label map keeps the primary's
    // ids, a secret ACL's among them, to follow its objects from one export to the next).
    for name in ["\"data-engineers\"", "9d7a3c21-5e4b-4f6a-8b1c-2d3e4f5a6b7c"] {
        for (file, content) in out.files.iter().filter(|(f, _)| *f != "drsync-labels.json") {
            assert!(!content.contains(name), "{file} still names {name}");
        }
    }
    assert!(out.files["permissions.tf"].contains("\"data-engineers-us-west\""));
    assert!(out.files["secret_acls.tf"].contains("\"data-engineers-us-west\""));
    assert!(out.files["jobs.tf"].contains("5c4b3a29-1e0d-4f6a-9b8c-7d6e5f4a3b2c"));
    assert!(out.files["dr.auto.tfvars"]
        .contains("s3_endpoint = \"https://s3.us-west-2.amazonaws.com\""));
    assert!(out.files["variables.tf"].contains("variable \"s3_endpoint\""));
    assert!(!out
        .warnings
        .iter()
        .any(|w| w.message.contains("a1b2c3d4-0000-1111-2222-333344445555")));
    assert!(
        out.warnings
            .iter()
            .any(|w| w.message.contains("c2d3e4f5-1111-2222-3333-444455556666")),
        "unmapped ids still warn"
    );
    // The fixtures never name the workspace URL: that rule matched nothing, and the export says so.
    assert!(out.warnings.iter().any(|w| w.resource == "rewrite"
        && w.path.contains("dbc-primary.cloud.databricks.com")
        && w.message.contains("matched nothing")));
}

#[tokio::test]
async fn literal_mode_leaves_nothing_live() {
    let inv = read_fixture_primary().await;
    let out = export_with(&inv, "literal");
    let body: hcl::Body = hcl::parse(&out.files["jobs.tf"]).unwrap();
    let mut pausable = 0;
    for job in body.blocks() {
        for b in job
            .body()
            .blocks()
            .filter(|b| matches!(b.identifier(), "schedule" | "trigger" | "continuous"))
        {
            pausable += 1;
            let status = b.body().attributes().find(|a| a.key() == "pause_status");
            assert_eq!(
                status.map(|a| a.expr().clone()),
                Some(hcl::Expression::String("PAUSED".into())),
                "{:?} {}",
                job.labels(),
                b.identifier()
            );
        }
    }
    assert!(
        pausable >= 10,
        "the fixture has many schedules and triggers: {pausable}"
    );
}

/// Evaluate every `pause_status` and `min_idle_instances` with `var.dr_active` set.
fn evaluate(out: &Export, dr_active: bool) -> Vec<(String, hcl::Value)> {
    let mut ctx = Context::new();
    let mut vars = hcl::Map::new();
    vars.insert("dr_active".to_string(), hcl::Value::Bool(dr_active));
    ctx.declare_var("var", hcl::Value::Object(vars));
    let mut values = Vec::new();
    for file in ["jobs.tf", "instance_pools.tf"] {
        let body: hcl::Body = hcl::parse(&out.files[file]).unwrap();
        for resource in body.blocks() {
            let label = resource.labels()[1].as_str().to_string();
            let mut visit = |name: &str, expr: &hcl::Expression| {
                values.push((format!("{label}.{name}"), expr.evaluate(&ctx).unwrap()));
            };
            for a in resource
                .body()
                .attributes()
                .filter(|a| a.key() == "min_idle_instances")
            {
                visit("min_idle_instances", a.expr());
            }
            for b in resource.body().blocks() {
                for a in b.body().attributes().filter(|a| a.key() == "pause_status") {
                    visit(b.identifier(), a.expr());
                }
            }
        }
    }
    values
}

#[tokio::test]
async fn the_variable_form_evaluates_to_passive_and_active() {
    let inv = read_fixture_primary().await;
    let out = export_with(&inv, "variable");
    insta::assert_snapshot!("dr_variable_variables_tf", &out.files["variables.tf"]);
    let passive = evaluate(&out, false);
    let active = evaluate(&out, true);
    assert!(passive.len() >= 10);
    for (place, value) in &passive {
        if place.ends_with("min_idle_instances") {
            assert_eq!(*value, hcl::Value::from(0), "{place}");
        } else {
            assert_eq!(*value, hcl::Value::from("PAUSED"), "{place}");
        }
    }
    // Active: exactly what the primary has.
    let plain = export_with(&inv, "off");
    let primary: Vec<(String, hcl::Value)> = evaluate(&plain, false);
    let active_map: std::collections::BTreeMap<_, _> = active.into_iter().collect();
    for (place, value) in &primary {
        assert_eq!(active_map.get(place), Some(value), "{place}");
    }
    // Places the primary leaves at the provider's default (UNPAUSED) are UNPAUSED when active.
    assert!(active_map
        .values()
        .any(|v| *v == hcl::Value::from("UNPAUSED")));
}

#[tokio::test]
async fn explain_shows_every_change_and_invalid_rules_write_nothing() {
    use crate::common::{drsync, write_config, PRIMARY_ENV};
    let emu = crate::common::start_fixture_primary().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        emu.url(),
        &RULES.replace("PAUSE_MODE", "literal"),
    );
    let run = drsync(
        dir.path(),
        &["export", "--explain", "--no-commit"],
        PRIMARY_ENV,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("rewrite rules:"), "{}", run.stdout);
    assert!(
        // 18: pool-backed compute carries no zone (the provider strips it, issue 13) and the bundle job is out;
        // one pipeline cluster has a zone.
        run.stdout.contains("     18  zone_id = \"auto\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("databricks_job.nightly_sales_etl: job_cluster[etl_cluster].new_cluster.aws_attributes.zone_id"),
        "{}",
        run.stdout
    );
    let json = drsync(
        dir.path(),
        &["export", "--dry-run", "--format", "json"],
        PRIMARY_ENV,
    )
    .await;
    let summary: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        summary["rewrite"][0],
        serde_json::json!({"rule": "zone_id = \"auto\"", "count": 18})
    );

    // A variable without a DR value: a clear error naming the rule, and nothing written.
    let other = tempfile::tempdir().unwrap();
    let broken = RULES
        .replace("PAUSE_MODE", "literal")
        .replace("s3_endpoint = \"https", "other = \"https");
    write_config(other.path(), emu.url(), &broken);
    let run = drsync(other.path(), &["export"], PRIMARY_ENV).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("`rewrite.field[0].variable`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("s3_endpoint"), "{}", run.stderr);
    assert!(!other.path().join("terraform").exists());
}
