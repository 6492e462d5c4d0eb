//! drsync's Terraform configuration read back as values: the export folder's files parsed, variables resolved
//! (`variables.tf` defaults, `dr.auto.tfvars`, var files, overrides), conditionals evaluated and references kept
//! as identities, so that drift and apply see what the configuration means. It reads only the file contents it
//! is given and never talks to a workspace (`apply` does, through the client).

mod apply;
mod shape;

pub use apply::{apply, Applied};
pub use shape::api_body;

use ::hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use ::hcl::{Attribute, Block, Body, Expression, Structure, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Resource types drsync writes.
pub const RESOURCE_TYPES: &[&str] = &[
    "databricks_job",
    "databricks_cluster",
    "databricks_instance_pool",
    "databricks_cluster_policy",
];

const REF_PREFIX: &str = "\u{1}ref:";

/// The value a reference `TYPE.LABEL.id` evaluates to: a marker that stands for "the id of that resource".
pub fn reference(resource_type: &str, label: &str) -> String {
    format!("{REF_PREFIX}{resource_type}.{label}")
}

/// The resource a reference value stands for.
pub fn parse_reference(value: &str) -> Option<(&str, &str)> {
    value.strip_prefix(REF_PREFIX)?.split_once('.')
}

/// One resource with every expression evaluated: attributes hold literal values (references as
/// [`reference`] markers, `jsonencode(x)` as `x`).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// `databricks_job`, ...
    pub resource_type: String,
    /// The label.
    pub label: String,
    /// The file it is in.
    pub file: String,
    /// The evaluated body.
    pub body: Body,
}

impl Resource {
    /// `TYPE.LABEL`.
    pub fn address(&self) -> String {
        format!("{}.{}", self.resource_type, self.label)
    }
}

/// The configuration: every resource, evaluated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Configuration {
    /// Resources in file order.
    pub resources: Vec<Resource>,
    /// The value of every variable.
    pub variables: BTreeMap<String, Value>,
}

/// Why the configuration cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file is not valid HCL (with file, line and column).
    #[error(transparent)]
    Parse(#[from] crate::hcl::Error),
    /// A variable is used but has no value.
    #[error("variable `{name}` has no value: give it a default in variables.tf, a value in dr.auto.tfvars or a --var-file")]
    NoValue {
        /// The variable.
        name: String,
    },
    /// An expression could not be evaluated: an unknown variable, an unresolved reference, a bad function.
    #[error("{file}: {address}.{attribute}: {message}")]
    Eval {
        /// The file.
        file: String,
        /// `TYPE.LABEL`.
        address: String,
        /// The attribute, dotted through blocks.
        attribute: String,
        /// The evaluator's message, naming the variable or reference.
        message: String,
    },
    /// Two resources with one address.
    #[error("{address} is defined twice ({first} and {second})")]
    Duplicate {
        /// `TYPE.LABEL`.
        address: String,
        /// The first file.
        first: String,
        /// The second file.
        second: String,
    },
}

/// Read the configuration from file contents (name → text). `.tf` files are parsed; `dr.auto.tfvars` and then
/// `var_files` (name, text) set variables, later ones winning; `overrides` win over everything.
pub fn load(
    files: &BTreeMap<String, String>,
    var_files: &[(String, String)],
    overrides: &BTreeMap<String, Value>,
) -> Result<Configuration, Error> {
    let mut parsed: Vec<(String, Body)> = Vec::new();
    for (name, text) in files.iter().filter(|(n, _)| n.ends_with(".tf")) {
        parsed.push((name.clone(), crate::hcl::parse_str(text, Path::new(name))?));
    }
    let mut tfvars: Vec<(String, String)> = Vec::new();
    if let Some(text) = files.get("dr.auto.tfvars") {
        tfvars.push(("dr.auto.tfvars".to_string(), text.clone()));
    }
    tfvars.extend(var_files.iter().cloned());
    load_parsed(&parsed, &tfvars, overrides)
}

/// [`load`] for bodies already parsed (file name, body), with the tfvars texts to apply in order.
pub fn load_parsed(
    parsed: &[(String, Body)],
    tfvars: &[(String, String)],
    overrides: &BTreeMap<String, Value>,
) -> Result<Configuration, Error> {
    let empty = Context::new();
    // Variables: declarations with defaults, then tfvars files, then overrides.
    let mut declared: BTreeMap<String, Option<Value>> = BTreeMap::new();
    for (file, body) in parsed {
        for b in body.blocks().filter(|b| b.identifier() == "variable") {
            let Some(name) = b.labels().first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            let default = match b.body().attributes().find(|a| a.key() == "default") {
                Some(a) => Some(a.expr().evaluate(&empty).map_err(|e| Error::Eval {
                    file: file.clone(),
                    address: format!("variable.{name}"),
                    attribute: "default".to_string(),
                    message: e.to_string(),
                })?),
                None => None,
            };
            declared.insert(name, default);
        }
    }
    for (file, text) in tfvars {
        let body = crate::hcl::parse_str(text, Path::new(file))?;
        for a in body.attributes() {
            let v = a.expr().evaluate(&empty).map_err(|e| Error::Eval {
                file: file.clone(),
                address: "var".to_string(),
                attribute: a.key().to_string(),
                message: e.to_string(),
            })?;
            declared.insert(a.key().to_string(), Some(v));
        }
    }
    for (k, v) in overrides {
        declared.insert(k.clone(), Some(v.clone()));
    }

    let mut ctx = Context::new();
    let mut vars = ::hcl::Map::new();
    let mut unset = BTreeSet::new();
    for (name, value) in &declared {
        match value {
            Some(v) => {
                vars.insert(name.clone(), v.clone());
            }
            None => {
                unset.insert(name.clone());
            }
        }
    }
    ctx.declare_var("var", Value::Object(vars.clone()));
    ctx.declare_func(
        "jsonencode",
        FuncDef::builder()
            .param(ParamType::Any)
            .build(jsonencode_as_value),
    );
    let mut addresses: BTreeMap<String, String> = BTreeMap::new();
    for (file, body) in parsed {
        for b in body.blocks().filter(|b| b.identifier() == "resource") {
            let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
            let [t, l] = labels[..] else { continue };
            let address = format!("{t}.{l}");
            if let Some(first) = addresses.insert(address.clone(), file.clone()) {
                return Err(Error::Duplicate {
                    address,
                    first,
                    second: file.clone(),
                });
            }
        }
    }
    // Resource types are declared (empty) so that a reference to an unknown label fails naming it; references
    // to known resources never reach the evaluator: they become markers first (see `resolve_references`).
    for t in RESOURCE_TYPES {
        ctx.declare_var(*t, Value::Object(::hcl::Map::new()));
    }
    let scope = Scope {
        ctx: &ctx,
        unset: &unset,
        addresses: &addresses,
    };

    let mut resources = Vec::new();
    for (file, body) in parsed {
        for b in body.blocks().filter(|b| b.identifier() == "resource") {
            let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
            let [t, l] = labels[..] else { continue };
            let address = format!("{t}.{l}");
            let body = evaluate_body(b.body(), &scope, file, &address, &mut Vec::new())?;
            resources.push(Resource {
                resource_type: t.to_string(),
                label: l.to_string(),
                file: file.clone(),
                body,
            });
        }
    }
    Ok(Configuration {
        resources,
        variables: vars.into_iter().collect(),
    })
}

/// `jsonencode(x)` evaluates to `x` itself: the structure is what drift compares and apply encodes.
fn jsonencode_as_value(args: FuncArgs) -> Result<Value, String> {
    args.first()
        .cloned()
        .ok_or_else(|| "jsonencode takes one argument".to_string())
}

/// What evaluation needs: the context with `var`, the variables without value, and every resource address.
struct Scope<'a> {
    ctx: &'a Context<'a>,
    unset: &'a BTreeSet<String>,
    addresses: &'a BTreeMap<String, String>,
}

fn evaluate_body(
    body: &Body,
    scope: &Scope<'_>,
    file: &str,
    address: &str,
    path: &mut Vec<String>,
) -> Result<Body, Error> {
    let mut out = Vec::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                path.push(a.key().to_string());
                let mut expr = a.expr().clone();
                resolve_references(&mut expr, scope.addresses);
                let expr = if is_literal(&expr) {
                    expr
                } else {
                    if let Some(name) = unset_variable(&expr, scope.unset) {
                        return Err(Error::NoValue { name });
                    }
                    let value = expr.evaluate(scope.ctx).map_err(|e| Error::Eval {
                        file: file.to_string(),
                        address: address.to_string(),
                        attribute: path.join("."),
                        message: e.to_string(),
                    })?;
                    Expression::from(value)
                };
                out.push(Structure::Attribute(Attribute::new(a.key.clone(), expr)));
                path.pop();
            }
            Structure::Block(b) => {
                path.push(b.identifier().to_string());
                let inner = evaluate_body(b.body(), scope, file, address, path)?;
                let mut block = Block::new(b.identifier.clone());
                block.labels = b.labels.clone();
                block.body = inner;
                out.push(Structure::Block(block));
                path.pop();
            }
        }
    }
    Ok(Body(out))
}

/// Replace `TYPE.LABEL.id` of a known resource by its marker, and `jsonencode(x)` by `x`, in place. What
/// is left for the evaluator is what needs it (variables, conditionals, unknown references).
fn resolve_references(expr: &mut Expression, addresses: &BTreeMap<String, String>) {
    use ::hcl::expr::TraversalOperator;
    match expr {
        Expression::Traversal(t) => {
            if let (
                Expression::Variable(root),
                [TraversalOperator::GetAttr(label), TraversalOperator::GetAttr(id)],
            ) = (&t.expr, &t.operators[..])
            {
                let address = format!("{}.{}", root.as_str(), label.as_str());
                if id.as_str() == "id" && addresses.contains_key(&address) {
                    *expr = Expression::String(reference(root.as_str(), label.as_str()));
                }
            }
        }
        Expression::FuncCall(call)
            if call.name.to_string() == "jsonencode" && call.args.len() == 1 =>
        {
            let mut inner = call.args[0].clone();
            resolve_references(&mut inner, addresses);
            *expr = inner;
        }
        Expression::Array(items) => items
            .iter_mut()
            .for_each(|i| resolve_references(i, addresses)),
        Expression::Object(obj) => obj
            .values_mut()
            .for_each(|v| resolve_references(v, addresses)),
        Expression::Conditional(c) => {
            resolve_references(&mut c.cond_expr, addresses);
            resolve_references(&mut c.true_expr, addresses);
            resolve_references(&mut c.false_expr, addresses);
        }
        Expression::Parenthesis(inner) => resolve_references(inner, addresses),
        _ => {}
    }
}

/// Whether an expression is a value already: nothing to evaluate.
fn is_literal(expr: &Expression) -> bool {
    match expr {
        Expression::Null | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {
            true
        }
        Expression::Array(items) => items.iter().all(is_literal),
        Expression::Object(obj) => obj.iter().all(|(k, v)| {
            matches!(
                k,
                ::hcl::ObjectKey::Identifier(_)
                    | ::hcl::ObjectKey::Expression(Expression::String(_))
            ) && is_literal(v)
        }),
        _ => false,
    }
}

/// A `var.NAME` in the expression whose variable is declared without any value.
fn unset_variable(expr: &Expression, unset: &BTreeSet<String>) -> Option<String> {
    if unset.is_empty() {
        return None;
    }
    let text = crate::hcl::expression_to_string(expr);
    unset
        .iter()
        .find(|name| text.contains(&format!("var.{name}")))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn variables_conditionals_and_references() {
        let f = files(&[
            ("variables.tf", "variable \"dr_active\" {\n  type = bool\n  default = false\n}\nvariable \"ep\" {\n  type = string\n}\n"),
            ("dr.auto.tfvars", "ep = \"https://s3.us-west-2.amazonaws.com\"\n"),
            (
                "jobs.tf",
                "resource \"databricks_job\" \"a\" {\n  name = \"$${x}\"\n  schedule {\n    pause_status = var.dr_active ? \"UNPAUSED\" : \"PAUSED\"\n  }\n  task {\n    existing_cluster_id = databricks_cluster.c.id\n  }\n}\n",
            ),
            (
                "clusters.tf",
                "resource \"databricks_cluster\" \"c\" {\n  spark_conf = {\n    \"spark.hadoop.fs.s3a.endpoint\" = var.ep\n  }\n}\n",
            ),
        ]);
        let c = load(&f, &[], &BTreeMap::new()).unwrap();
        let job = c.resources.iter().find(|r| r.label == "a").unwrap();
        let text = crate::hcl::to_string(&job.body);
        assert!(text.contains("pause_status = \"PAUSED\""), "{text}");
        assert!(
            text.contains("name = \"$${x}\""),
            "a literal stays a literal: {text}"
        );
        let task = job
            .body
            .blocks()
            .find(|b| b.identifier() == "task")
            .unwrap();
        let id = task.body().attributes().next().unwrap().expr().clone();
        let Expression::String(s) = id else { panic!() };
        assert_eq!(parse_reference(&s), Some(("databricks_cluster", "c")));
        let active = load(
            &f,
            &[],
            &[("dr_active".to_string(), Value::Bool(true))]
                .into_iter()
                .collect(),
        )
        .unwrap();
        let text = crate::hcl::to_string(&active.resources[1].body);
        assert!(text.contains("\"UNPAUSED\""), "{text}");
        // A var file wins over dr.auto.tfvars.
        let c = load(
            &f,
            &[("prod.tfvars".into(), "ep = \"other\"\n".into())],
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(c.variables["ep"], Value::from("other"));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let bad = files(&[(
            "jobs.tf",
            "resource \"databricks_job\" \"a\" {\n  name = \n}\n",
        )]);
        let e = load(&bad, &[], &BTreeMap::new()).unwrap_err().to_string();
        assert!(e.starts_with("jobs.tf:2:"), "{e}");
        let unknown = files(&[(
            "jobs.tf",
            "resource \"databricks_job\" \"a\" {\n  name = var.nope\n}\n",
        )]);
        let e = load(&unknown, &[], &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("jobs.tf: databricks_job.a.name") && e.contains("nope"),
            "{e}"
        );
        let dangling = files(&[(
            "jobs.tf",
            "resource \"databricks_job\" \"a\" {\n  task {\n    existing_cluster_id = databricks_cluster.gone.id\n  }\n}\n",
        )]);
        let e = load(&dangling, &[], &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("task.existing_cluster_id") && e.contains("gone"),
            "{e}"
        );
        let unset = files(&[
            ("variables.tf", "variable \"ep\" {\n  type = string\n}\n"),
            (
                "clusters.tf",
                "resource \"databricks_cluster\" \"c\" {\n  spark_version = var.ep\n}\n",
            ),
        ]);
        let e = load(&unset, &[], &BTreeMap::new()).unwrap_err().to_string();
        assert!(e.contains("variable `ep` has no value"), "{e}");
    }
}
