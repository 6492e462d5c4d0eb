//! From an evaluated resource body (`tfconfig`) back to the API's request shape: provider names to API names,
//! repeated blocks to arrays, single blocks to objects, structured policy definitions to JSON strings. The
//! inverse of the [`super::Converter`], for `check` and the tests' provider model. Pure.

use crate::tfconfig::Resource;
use ::hcl::{Body, Expression, ObjectKey};
use serde_json::{Map, Number, Value};

/// Blocks that are arrays in the API (after renaming), everywhere they appear.
const ARRAY_BLOCKS: &[&str] = &[
    "tasks",
    "job_clusters",
    "parameters",
    "environments",
    "libraries",
    "depends_on",
    "init_scripts",
    "rules",
    "on_start",
    "on_success",
    "on_failure",
    "on_duration_warning_threshold_exceeded",
    "on_streaming_backlog_exceeded",
    "preloaded_docker_images",
    "cluster_mount_info",
    "subscriptions",
    "subscribers",
    "tables",
    "clusters",
    "notifications",
    "custom_tags",
    "access_control",
];

/// Provider names that the API spells differently, by the block they appear in (`""` for any block), for
/// blocks only.
const BLOCK_RENAMES: &[(&str, &str, &str)] = &[
    ("", "task", "tasks"),
    ("", "job_cluster", "job_clusters"),
    ("", "parameter", "parameters"),
    ("", "environment", "environments"),
    ("", "library", "libraries"),
    ("", "preloaded_docker_image", "preloaded_docker_images"),
    ("", "cluster", "clusters"),
    ("", "notification", "notifications"),
];

/// Attribute renames, by block.
const ATTRIBUTE_RENAMES: &[(&str, &str, &str)] = &[
    ("git_source", "url", "git_url"),
    ("git_source", "provider", "git_provider"),
    ("git_source", "branch", "git_branch"),
    ("git_source", "tag", "git_tag"),
    ("git_source", "commit", "git_commit"),
];

/// Attributes the API takes as a JSON document in a string.
const JSON_STRING_ATTRIBUTES: &[&str] = &["definition", "policy_family_definition_overrides"];

/// The API request body for a resource (references still as markers).
pub fn api_body(resource: &Resource) -> Value {
    Value::Object(object(&resource.body, ""))
}

fn object(body: &Body, parent: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for a in body.attributes() {
        let key = a.key();
        let name = ATTRIBUTE_RENAMES
            .iter()
            .find(|(p, from, _)| *p == parent && *from == key)
            .map_or(key, |(_, _, to)| to);
        let mut value = json(a.expr());
        if JSON_STRING_ATTRIBUTES.contains(&key) && value.is_object() {
            value = Value::String(value.to_string());
        }
        out.insert(name.to_string(), value);
    }
    for b in body.blocks() {
        let id = b.identifier();
        // `for_each_task { task { ... } }` holds one task, not a list.
        let name = if parent == "for_each_task" {
            id
        } else {
            BLOCK_RENAMES
                .iter()
                .find(|(p, from, _)| (p.is_empty() || *p == parent) && *from == id)
                .map_or(id, |(_, _, to)| to)
        };
        let inner = Value::Object(object(b.body(), id));
        if ARRAY_BLOCKS.contains(&name) && parent != "for_each_task" {
            match out
                .entry(name.to_string())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(inner),
                other => *other = Value::Array(vec![inner]),
            }
        } else {
            out.insert(name.to_string(), inner);
        }
    }
    out
}

fn json(expr: &Expression) -> Value {
    expression_json(expr, &|s| Value::String(s.to_string()))
}

/// An evaluated expression as JSON, each string (map keys aside) as `string` makes it; anything that is not a
/// value (a reference left unresolved, a function call) as its HCL text.
pub fn expression_json(expr: &Expression, string: &dyn Fn(&str) -> Value) -> Value {
    match expr {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Expression::String(s) => string(s),
        Expression::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| expression_json(item, string))
                .collect(),
        ),
        Expression::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Identifier(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.clone(),
                        other => format!("{other:?}"),
                    };
                    (key, expression_json(v, string))
                })
                .collect(),
        ),
        other => Value::String(crate::hcl::expression_to_string(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn provider_shape_back_to_api_shape() {
        let files = [(
            "jobs.tf".to_string(),
            r#"resource "databricks_job" "j" {
  name = "j"
  git_source {
    url      = "https://github.com/x/y"
    provider = "gitHub"
    branch   = "main"
  }
  parameter {
    name    = "p"
    default = "1"
  }
  task {
    task_key = "a"
    library {
      pypi {
        package = "requests"
      }
    }
    spark_python_task {
      python_file = "x.py"
      parameters  = ["--a"]
    }
  }
  task {
    task_key = "b"
    depends_on {
      task_key = "a"
    }
    for_each_task {
      inputs = "[1]"
      task {
        task_key = "b_iter"
      }
    }
  }
  webhook_notifications {
    on_failure {
      id = "w"
    }
  }
}
resource "databricks_cluster_policy" "p" {
  name       = "p"
  definition = jsonencode({ "spark_version" = { "type" = "fixed", "value" = "15.4.x-scala2.12" } })
}
"#
            .to_string(),
        )]
        .into_iter()
        .collect();
        let c = crate::tfconfig::load(&files, &[], &Default::default()).unwrap();
        assert_eq!(
            api_body(&c.resources[0]),
            json!({
                "name": "j",
                "git_source": {"git_url": "https://github.com/x/y", "git_provider": "gitHub", "git_branch": "main"},
                "parameters": [{"name": "p", "default": "1"}],
                "tasks": [
                    {"task_key": "a", "libraries": [{"pypi": {"package": "requests"}}],
                     "spark_python_task": {"python_file": "x.py", "parameters": ["--a"]}},
                    {"task_key": "b", "depends_on": [{"task_key": "a"}],
                     "for_each_task": {"inputs": "[1]", "task": {"task_key": "b_iter"}}}
                ],
                "webhook_notifications": {"on_failure": [{"id": "w"}]}
            })
        );
        let policy = api_body(&c.resources[1]);
        let definition: Value =
            serde_json::from_str(policy["definition"].as_str().unwrap()).unwrap();
        assert_eq!(
            definition,
            json!({"spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"}})
        );
    }
}
