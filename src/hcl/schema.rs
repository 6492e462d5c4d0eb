//! The `databricks/databricks` provider's configuration schema (the JSON file in `schema/`), and a check that
//! a rendered resource body uses only names that exist where they are written. It checks names and the
//! attribute/block distinction only: not value types, cardinality or required fields.

use super::Error;
use ::hcl::{Body, Structure};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The provider schema: resource type → attributes and nested blocks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Schema {
    resources: BTreeMap<String, ResourceSchema>,
}

/// One resource type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSchema {
    /// Attributes by name (`id` among them, though it is computed).
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeSchema>,
    /// Nested blocks by name.
    #[serde(default)]
    pub blocks: BTreeMap<String, BlockSchema>,
}

/// A nested block type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockSchema {
    /// The block's own attributes by name.
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeSchema>,
    /// Blocks nested in this one, by name.
    #[serde(default)]
    pub blocks: BTreeMap<String, BlockSchema>,
    /// How the block nests (`list` also for single blocks).
    pub nesting: Nesting,
    /// Whether the block must appear.
    #[serde(default)]
    pub required: bool,
}

/// An attribute.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSchema {
    /// The storage type: `string`, `number`, `boolean`, `stringMap`, `stringList`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the attribute must be set.
    #[serde(default)]
    pub required: bool,
}

/// How a nested block nests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Nesting {
    /// An ordered list (also used for single blocks).
    List,
    /// An unordered set.
    Set,
    /// A single block (`timeouts`).
    Struct,
}

/// A name used where the schema does not allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the offending name, starting with the resource type (and, from
    /// [`Schema::check_document`], the label): `databricks_job.task.new_cluster.aws_attributes.zone_idd`.
    pub path: String,
    /// What is wrong.
    pub kind: ViolationKind,
}

/// What is wrong with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// The resource type is not in the schema.
    UnknownResourceType,
    /// No attribute of that name exists here.
    UnknownAttribute,
    /// No block of that name exists here.
    UnknownBlock,
    /// An attribute written as a block.
    AttributeAsBlock,
    /// A block written as an attribute.
    BlockAsAttribute,
    /// A computed attribute (`id`): set by the provider, never written.
    Computed,
    /// A nested block with labels; only `dynamic` takes one.
    UnexpectedLabels,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ViolationKind::UnknownResourceType => "unknown resource type",
            ViolationKind::UnknownAttribute => "no such attribute here",
            ViolationKind::UnknownBlock => "no such block here",
            ViolationKind::AttributeAsBlock => "is an attribute but written as a block",
            ViolationKind::BlockAsAttribute => "is a block but written as an attribute",
            ViolationKind::Computed => "is computed by the provider and must not be written",
            ViolationKind::UnexpectedLabels => "a nested block takes no labels",
        };
        write!(f, "{}: {what}", self.path)
    }
}

/// Terraform's meta-arguments, valid in every resource.
const META_ATTRIBUTES: [&str; 4] = ["count", "for_each", "provider", "depends_on"];
const LIFECYCLE_ATTRIBUTES: [&str; 4] = [
    "create_before_destroy",
    "prevent_destroy",
    "ignore_changes",
    "replace_triggered_by",
];
const CONDITION_ATTRIBUTES: [&str; 2] = ["condition", "error_message"];

impl Schema {
    /// Reads the schema JSON file.
    pub fn load(path: &Path) -> Result<Schema, Error> {
        let text = super::read(path)?;
        Schema::from_json(&text, path)
    }

    /// Parses schema JSON; `path` names it in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Schema, Error> {
        serde_json::from_str(text).map_err(|err| Error::Schema {
            path: path.to_path_buf(),
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
        })
    }

    /// The schema of one resource type.
    pub fn resource(&self, resource_type: &str) -> Option<&ResourceSchema> {
        self.resources.get(resource_type)
    }

    /// The resource types, sorted.
    pub fn resource_types(&self) -> impl Iterator<Item = &str> {
        self.resources.keys().map(String::as_str)
    }

    /// Every name in `body` (the inside of a `resource "TYPE" "label" { ... }` block) that does not exist where
    /// it is written, in document order. Terraform's meta-arguments (`count`, `for_each`, `provider`,
    /// `depends_on`, `lifecycle`, `provisioner`, `connection`) are accepted at the top, `dynamic "NAME"` blocks
    /// anywhere a block `NAME` is; `id` at the top is a violation (it is computed).
    pub fn check(&self, resource_type: &str, body: &Body) -> Vec<Violation> {
        let mut out = Vec::new();
        self.check_at(resource_type, resource_type, body, &mut out);
        out
    }

    /// [`Schema::check`] for every `resource` block of a file; paths start with `TYPE.LABEL`. Other top-level
    /// blocks (`terraform`, `provider`, `variable`, ...) are not checked.
    pub fn check_document(&self, body: &Body) -> Vec<Violation> {
        let mut out = Vec::new();
        for block in body.blocks().filter(|b| b.identifier() == "resource") {
            let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
            if let [resource_type, label] = labels[..] {
                self.check_at(
                    &format!("{resource_type}.{label}"),
                    resource_type,
                    block.body(),
                    &mut out,
                );
            }
        }
        out
    }

    fn check_at(&self, path: &str, resource_type: &str, body: &Body, out: &mut Vec<Violation>) {
        match self.resources.get(resource_type) {
            Some(resource) => walk(
                path,
                &resource.attributes,
                &resource.blocks,
                body,
                true,
                out,
            ),
            None => out.push(Violation {
                path: path.to_string(),
                kind: ViolationKind::UnknownResourceType,
            }),
        }
    }
}

fn walk(
    path: &str,
    attributes: &BTreeMap<String, AttributeSchema>,
    blocks: &BTreeMap<String, BlockSchema>,
    body: &Body,
    top: bool,
    out: &mut Vec<Violation>,
) {
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let name = attr.key();
                let kind = if top && name == "id" {
                    ViolationKind::Computed
                } else if attributes.contains_key(name) || (top && META_ATTRIBUTES.contains(&name))
                {
                    continue;
                } else if blocks.contains_key(name) {
                    ViolationKind::BlockAsAttribute
                } else {
                    ViolationKind::UnknownAttribute
                };
                report(out, format!("{path}.{name}"), kind);
            }
            Structure::Block(block)
                if block.identifier() == "dynamic" && block.labels().len() == 1 =>
            {
                check_dynamic(path, attributes, blocks, block, out);
            }
            Structure::Block(block) => {
                let name = block.identifier();
                let block_path = format!("{path}.{name}");
                if let Some(schema) = blocks.get(name) {
                    if !block.labels().is_empty() {
                        report(out, block_path.clone(), ViolationKind::UnexpectedLabels);
                    }
                    walk(
                        &block_path,
                        &schema.attributes,
                        &schema.blocks,
                        block.body(),
                        false,
                        out,
                    );
                } else if top && name == "lifecycle" {
                    check_lifecycle(&block_path, block.body(), out);
                } else if top && matches!(name, "provisioner" | "connection") {
                    // Their bodies depend on their type; Terraform checks them.
                } else if attributes.contains_key(name) {
                    report(out, block_path, ViolationKind::AttributeAsBlock);
                } else {
                    report(out, block_path, ViolationKind::UnknownBlock);
                }
            }
        }
    }
}

fn report(out: &mut Vec<Violation>, path: String, kind: ViolationKind) {
    out.push(Violation { path, kind });
}

/// `dynamic "NAME" { for_each = ..., iterator = ..., content { ... } }`: `content` is checked as block `NAME`.
fn check_dynamic(
    path: &str,
    attributes: &BTreeMap<String, AttributeSchema>,
    blocks: &BTreeMap<String, BlockSchema>,
    block: &::hcl::Block,
    out: &mut Vec<Violation>,
) {
    let target = block.labels()[0].as_str();
    let target_path = format!("{path}.{target}");
    let Some(schema) = blocks.get(target) else {
        let kind = if attributes.contains_key(target) {
            ViolationKind::AttributeAsBlock
        } else {
            ViolationKind::UnknownBlock
        };
        report(out, target_path, kind);
        return;
    };
    for structure in block.body().iter() {
        match structure {
            Structure::Attribute(attr)
                if matches!(attr.key(), "for_each" | "iterator" | "labels") => {}
            Structure::Attribute(attr) => {
                report(
                    out,
                    format!("{path}.dynamic.{}", attr.key()),
                    ViolationKind::UnknownAttribute,
                );
            }
            Structure::Block(content) if content.identifier() == "content" => {
                walk(
                    &target_path,
                    &schema.attributes,
                    &schema.blocks,
                    content.body(),
                    false,
                    out,
                );
            }
            Structure::Block(other) => {
                report(
                    out,
                    format!("{path}.dynamic.{}", other.identifier()),
                    ViolationKind::UnknownBlock,
                );
            }
        }
    }
}

fn check_lifecycle(path: &str, body: &Body, out: &mut Vec<Violation>) {
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) if LIFECYCLE_ATTRIBUTES.contains(&attr.key()) => {}
            Structure::Attribute(attr) => {
                report(
                    out,
                    format!("{path}.{}", attr.key()),
                    ViolationKind::UnknownAttribute,
                );
            }
            Structure::Block(block)
                if matches!(block.identifier(), "precondition" | "postcondition") =>
            {
                for attr in block.body().attributes() {
                    if !CONDITION_ATTRIBUTES.contains(&attr.key()) {
                        let name = format!("{path}.{}.{}", block.identifier(), attr.key());
                        report(out, name, ViolationKind::UnknownAttribute);
                    }
                }
            }
            Structure::Block(block) => {
                report(
                    out,
                    format!("{path}.{}", block.identifier()),
                    ViolationKind::UnknownBlock,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/databricks-provider-1.99.0.json"
    );

    fn schema() -> Schema {
        Schema::load(Path::new(SCHEMA)).unwrap()
    }

    fn violations(
        schema: &Schema,
        resource_type: &str,
        body: &str,
    ) -> Vec<(String, ViolationKind)> {
        let body = ::hcl::parse(body).unwrap();
        schema
            .check(resource_type, &body)
            .into_iter()
            .map(|v| (v.path, v.kind))
            .collect()
    }

    #[test]
    fn the_shipped_schema_is_the_shared_one() {
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/schema/databricks-provider-1.99.0.json"
        );
        if let Ok(shared) = std::fs::read(shared) {
            assert!(
                std::fs::read(SCHEMA).unwrap() == shared,
                "schema/ differs from ../shared/schema/"
            );
        }
        let schema = schema();
        let types: Vec<&str> = schema.resource_types().collect();
        assert_eq!(
            types,
            [
                "databricks_cluster",
                "databricks_cluster_policy",
                "databricks_global_init_script",
                "databricks_instance_pool",
                "databricks_job",
                "databricks_notebook",
                "databricks_permissions",
                "databricks_pipeline",
                "databricks_secret_acl",
                "databricks_secret_scope",
                "databricks_sql_endpoint",
                "databricks_workspace_file"
            ]
        );
        let timeouts = &schema.resource("databricks_job").unwrap().blocks["timeouts"];
        assert_eq!(timeouts.nesting, Nesting::Struct);
        assert_eq!(
            schema.resource("databricks_cluster").unwrap().attributes["spark_version"].kind,
            "string"
        );
    }

    #[test]
    fn accepts_good_names() {
        let schema = schema();
        let job = r#"
            name = "etl"
            tags = { team = "data" }
            provider = databricks.dr
            count = var.dr_active ? 1 : 0
            lifecycle {
              prevent_destroy = true
              ignore_changes  = [tags]
            }
            schedule {
              quartz_cron_expression = "0 0 2 * * ?"
              timezone_id            = "UTC"
            }
            webhook_notifications {
              on_failure {
                id = "hook"
              }
            }
            task {
              task_key = "a"
              depends_on {
                task_key = "b"
              }
              new_cluster {
                spark_version = "13.3.x-scala2.12"
                custom_tags   = { team = "data" }
                aws_attributes {
                  zone_id = "auto"
                }
                autoscale {
                  min_workers = 1
                  max_workers = 4
                }
              }
              dynamic "library" {
                for_each = var.wheels
                content {
                  whl = library.value
                }
              }
            }
        "#;
        assert_eq!(violations(&schema, "databricks_job", job), []);
        let policy = r#"
            name       = "small"
            definition = jsonencode({ "spark_version" = { "type" = "fixed", "value" = "13.3" } })
        "#;
        assert_eq!(violations(&schema, "databricks_cluster_policy", policy), []);
    }

    #[test]
    fn reports_bad_names_with_their_path() {
        let schema = schema();
        let job = r#"
            id   = "123"
            name = "etl"
            nmae = "typo"
            schedule = { quartz_cron_expression = "x" }
            tags {
              team = "data"
            }
            task {
              task_key = "a"
              new_cluster {
                aws_attributes {
                  zone_idd = "auto"
                }
                autoscale "x" {
                  min_workers = 1
                }
                no_such_block {}
              }
              dynamic "libraryy" {
                for_each = []
                content {}
              }
              dynamic "library" {
                for_each = []
                content {
                  wheel = "x"
                }
              }
            }
            lifecycle {
              prevent_destroyy = true
            }
        "#;
        let expected = [
            ("databricks_job.id", ViolationKind::Computed),
            ("databricks_job.nmae", ViolationKind::UnknownAttribute),
            ("databricks_job.schedule", ViolationKind::BlockAsAttribute),
            ("databricks_job.tags", ViolationKind::AttributeAsBlock),
            (
                "databricks_job.task.new_cluster.aws_attributes.zone_idd",
                ViolationKind::UnknownAttribute,
            ),
            (
                "databricks_job.task.new_cluster.autoscale",
                ViolationKind::UnexpectedLabels,
            ),
            (
                "databricks_job.task.new_cluster.no_such_block",
                ViolationKind::UnknownBlock,
            ),
            ("databricks_job.task.libraryy", ViolationKind::UnknownBlock),
            (
                "databricks_job.task.library.wheel",
                ViolationKind::UnknownAttribute,
            ),
            (
                "databricks_job.lifecycle.prevent_destroyy",
                ViolationKind::UnknownAttribute,
            ),
        ];
        let expected: Vec<(String, ViolationKind)> =
            expected.iter().map(|(p, k)| (p.to_string(), *k)).collect();
        assert_eq!(violations(&schema, "databricks_job", job), expected);
        assert_eq!(
            violations(&schema, "databricks_dashboard", "path = \"/x\""),
            [(
                "databricks_dashboard".to_string(),
                ViolationKind::UnknownResourceType
            )]
        );
    }

    #[test]
    fn checks_every_resource_of_a_document() {
        let schema = schema();
        let file = r#"
            terraform {
              required_providers {
                databricks = { source = "databricks/databricks" }
              }
            }
            variable "dr_active" {}
            resource "databricks_cluster" "etl" {
              spark_version = "13.3.x-scala2.12"
              num_workerz   = 2
            }
            resource "databricks_instance_pool" "pool" {
              instance_pool_name = "pool"
              id                 = "p"
            }
        "#;
        let found = schema.check_document(&::hcl::parse(file).unwrap());
        let messages: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "databricks_cluster.etl.num_workerz: no such attribute here",
                "databricks_instance_pool.pool.id: is computed by the provider and must not be written",
            ]
        );
    }

    #[test]
    fn schema_errors_name_the_place() {
        let err = Schema::from_json(
            "{\n  \"databricks_job\": {\"attributes\": 1}\n}",
            Path::new("s.json"),
        )
        .unwrap_err();
        let Error::Schema { line, column, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!((line, column), (2, 36));
        assert!(matches!(
            Schema::load(Path::new("/nonexistent/schema.json")),
            Err(Error::Read { .. })
        ));
    }
}
