//! drsync's Terraform configuration read back as values: the export folder's files parsed, variables resolved
//! (`variables.tf` defaults, `dr.auto.tfvars`, var files, overrides), conditionals evaluated and references kept
//! as identities, so that drift sees what the configuration means. It reads only the file contents it is given
//! and never talks to a workspace.

mod split;

use ::hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use ::hcl::{Block, Body, Expression, Structure, Value};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

/// Resource types drsync writes.
pub const RESOURCE_TYPES: &[&str] = &[
    "databricks_job",
    "databricks_cluster",
    "databricks_instance_pool",
    "databricks_cluster_policy",
    "databricks_sql_endpoint",
    "databricks_pipeline",
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
/// [`reference()`] markers, `jsonencode(x)` as `x`).
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
    /// A JSON variables file (`.tfvars.json`) that is not a JSON object.
    #[error("{file}: {message}")]
    VarFileJson {
        /// The file.
        file: String,
        /// What is wrong, with line and column.
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
///
/// Large files are parsed in pieces and resources evaluated on every core; the result (and the first error) is
/// that of reading everything in order, one file and one resource after another.
pub fn load(
    files: &BTreeMap<String, String>,
    var_files: &[(String, String)],
    overrides: &BTreeMap<String, Value>,
) -> Result<Configuration, Error> {
    let tf: Vec<(&str, &str)> = files
        .iter()
        .filter(|(n, _)| n.ends_with(".tf"))
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let bodies = split::parse_files(&tf)?;
    let parsed: Vec<(String, Body)> = tf
        .iter()
        .zip(bodies)
        .map(|((name, _), body)| (name.to_string(), body))
        .collect();
    let mut tfvars: Vec<(String, String)> = Vec::new();
    if let Some(text) = files.get("dr.auto.tfvars") {
        tfvars.push(("dr.auto.tfvars".to_string(), text.clone()));
    }
    tfvars.extend(var_files.iter().cloned());
    load_owned(parsed, &tfvars, overrides)
}

/// [`load`] for bodies already parsed (file name, body), with the tfvars texts to apply in order.
pub fn load_parsed(
    parsed: &[(String, Body)],
    tfvars: &[(String, String)],
    overrides: &BTreeMap<String, Value>,
) -> Result<Configuration, Error> {
    load_owned(parsed.to_vec(), tfvars, overrides)
}

/// [`load_parsed`] taking the bodies, so that evaluation moves their expressions instead of copying them.
fn load_owned(
    mut parsed: Vec<(String, Body)>,
    tfvars: &[(String, String)],
    overrides: &BTreeMap<String, Value>,
) -> Result<Configuration, Error> {
    let empty = Context::new();
    // Variables: declarations with defaults, then tfvars files, then overrides.
    let mut declared: BTreeMap<String, Option<Value>> = BTreeMap::new();
    for (file, body) in &parsed {
        for b in body.blocks().filter(|b| b.identifier() == "variable") {
            let Some(name) = b.labels().first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            let default = match b.body().attributes().find(|a| a.key() == "default") {
                Some(a) => Some(evaluate(a.expr(), &empty).map_err(|e| Error::Eval {
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
        // Terraform reads a variables file whose name ends in `.json` (`x.tfvars.json`) as JSON: one object, a
        // value per variable, its strings literal (hcl's JSON syntax evaluated without a context, as Terraform's
        // `LoadValuesFile` does).
        if file.ends_with(".json") {
            let values: ::hcl::Map<String, Value> =
                serde_json::from_str(text).map_err(|e| Error::VarFileJson {
                    file: file.clone(),
                    message: format!("not a JSON object of variable values: {e}"),
                })?;
            declared.extend(values.into_iter().map(|(k, v)| (k, Some(v))));
            continue;
        }
        let body = crate::hcl::parse_str(text, Path::new(file))?;
        for a in body.attributes() {
            let v = evaluate(a.expr(), &empty).map_err(|e| Error::Eval {
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
    let mut addresses: HashMap<String, &str> = HashMap::new();
    for (file, body) in &parsed {
        for b in body.blocks().filter(|b| b.identifier() == "resource") {
            let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
            let [t, l] = labels[..] else { continue };
            let address = format!("{t}.{l}");
            if let Some(first) = addresses.insert(address.clone(), file) {
                return Err(Error::Duplicate {
                    address,
                    first: first.to_string(),
                    second: file.clone(),
                });
            }
        }
    }
    let evaluator = Evaluator::with_variables(vars.clone(), unset, addresses.into_keys().collect());

    // Every resource block, taken out of its file, in order; evaluated in batches on every core.
    let mut blocks: Vec<(usize, Block)> = Vec::new();
    for (f, (_, body)) in parsed.iter_mut().enumerate() {
        for s in std::mem::take(&mut body.0) {
            match s {
                Structure::Block(b) if b.identifier() == "resource" && b.labels().len() == 2 => {
                    blocks.push((f, b));
                }
                _ => {}
            }
        }
    }
    let files: Vec<&str> = parsed.iter().map(|(f, _)| f.as_str()).collect();
    // Collected in order (rayon's indexed collect keeps it), then the first error in file order is the one
    // returned: the result does not depend on the cores.
    let evaluated: Vec<Result<Resource, Error>> = blocks
        .into_par_iter()
        .map(|(f, b)| {
            let t = b.labels()[0].as_str().to_string();
            let l = b.labels()[1].as_str().to_string();
            let body = evaluator.resource(files[f], &t, &l, b.body)?;
            Ok(Resource {
                resource_type: t,
                label: l,
                file: files[f].to_string(),
                body,
            })
        })
        .collect();
    let resources = evaluated.into_iter().collect::<Result<Vec<_>, _>>()?;
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

/// `replace(string, substring, replacement)`, as Terraform's, for a literal substring (a substring in slashes is
/// a regular expression in Terraform; drsync never writes one, so it is refused rather than misread).
fn replace_substring(args: FuncArgs) -> Result<Value, String> {
    let text = |i: usize| match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_str()),
        other => Err(format!(
            "replace: argument {} is not a string: {other:?}",
            i + 1
        )),
    };
    let (s, from, to) = (text(0)?, text(1)?, text(2)?);
    if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
        return Err("replace: regular expressions are not supported".to_string());
    }
    Ok(Value::String(s.replace(from, to)))
}

/// Evaluates resource bodies one at a time, exactly as [`load`] does: with `var`, `jsonencode`, `replace`, and
/// references to the known addresses as [`reference()`] markers. Drift uses it (without variables) for live
/// objects converted to the provider's shape.
pub struct Evaluator {
    ctx: Context<'static>,
    unset: BTreeSet<String>,
    addresses: HashSet<String>,
}

impl Evaluator {
    /// An evaluator with no variables, for resources at these addresses (`TYPE.LABEL`).
    pub fn new(addresses: HashSet<String>) -> Self {
        Evaluator::with_variables(::hcl::Map::new(), BTreeSet::new(), addresses)
    }

    fn with_variables(
        vars: ::hcl::Map<String, Value>,
        unset: BTreeSet<String>,
        addresses: HashSet<String>,
    ) -> Self {
        let mut ctx = Context::new();
        ctx.declare_var("var", Value::Object(vars));
        ctx.declare_func(
            "jsonencode",
            FuncDef::builder()
                .param(ParamType::Any)
                .build(jsonencode_as_value),
        );
        ctx.declare_func(
            "replace",
            FuncDef::builder()
                .params([ParamType::String, ParamType::String, ParamType::String])
                .build(replace_substring),
        );
        // Resource types are declared (empty) so that a reference to an unknown label fails naming it;
        // references to known resources never reach the evaluator: they become markers first (see
        // `resolve_references`).
        for t in RESOURCE_TYPES {
            ctx.declare_var(*t, Value::Object(::hcl::Map::new()));
        }
        Evaluator {
            ctx,
            unset,
            addresses,
        }
    }

    /// The evaluated body of the resource `TYPE.LABEL` in `file` (named in errors).
    pub fn resource(
        &self,
        file: &str,
        resource_type: &str,
        label: &str,
        body: Body,
    ) -> Result<Body, Error> {
        let address = format!("{resource_type}.{label}");
        self.body(body, file, &address, None)
    }

    fn body(
        &self,
        body: Body,
        file: &str,
        address: &str,
        path: Option<&Step<'_>>,
    ) -> Result<Body, Error> {
        let mut out = Vec::with_capacity(body.0.len());
        for s in body.0 {
            match s {
                Structure::Attribute(mut a) => {
                    let here = Step {
                        parent: path,
                        name: a.key.as_str(),
                    };
                    let mut expr = std::mem::replace(&mut a.expr, Expression::Null);
                    resolve_references(&mut expr, &self.addresses);
                    let expr = if is_literal(&expr) {
                        expr
                    } else {
                        if let Some(name) = unset_variable(&expr, &self.unset) {
                            return Err(Error::NoValue { name });
                        }
                        let value = evaluate(&expr, &self.ctx).map_err(|e| Error::Eval {
                            file: file.to_string(),
                            address: address.to_string(),
                            attribute: here.dotted(),
                            message: e.to_string(),
                        })?;
                        Expression::from(value)
                    };
                    a.expr = expr;
                    out.push(Structure::Attribute(a));
                }
                Structure::Block(mut b) => {
                    let inner = std::mem::take(&mut b.body);
                    let here = Step {
                        parent: path,
                        name: b.identifier.as_str(),
                    };
                    let inner = self.body(inner, file, address, Some(&here))?;
                    b.body = inner;
                    out.push(Structure::Block(b));
                }
            }
        }
        Ok(Body(out))
    }
}

/// Where in a resource an expression is: the attribute's name after the blocks it is in.
struct Step<'a> {
    parent: Option<&'a Step<'a>>,
    name: &'a str,
}

impl Step<'_> {
    /// `block.block.attribute`.
    fn dotted(&self) -> String {
        let mut names = vec![self.name];
        let mut at = self.parent;
        while let Some(s) = at {
            names.push(s.name);
            at = s.parent;
        }
        names.reverse();
        names.join(".")
    }
}

/// Replace `TYPE.LABEL.id` of a known resource by its marker, and `jsonencode(x)` by `x`, in place. What
/// is left for the evaluator is what needs it (variables, conditionals, unknown references).
fn resolve_references(expr: &mut Expression, addresses: &HashSet<String>) {
    use ::hcl::expr::TraversalOperator;
    match expr {
        Expression::Traversal(t) => {
            if let (
                Expression::Variable(root),
                [TraversalOperator::GetAttr(label), TraversalOperator::GetAttr(id)],
            ) = (&t.expr, &t.operators[..])
            {
                let address = format!("{}.{}", root.as_str(), label.as_str());
                if id.as_str() == "id" && addresses.contains(&address) {
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
        Expression::FuncCall(call) => call
            .args
            .iter_mut()
            .for_each(|a| resolve_references(a, addresses)),
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
        // A `.tfvars.json` var file is JSON; its strings are literal.
        let c = load(
            &f,
            &[(
                "prod.tfvars.json".into(),
                r#"{"ep": "https://s3.${x}.example.com", "dr_active": true, "n": 3, "l": ["a", null]}"#
                    .into(),
            )],
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(
            c.variables["ep"],
            Value::from("https://s3.${x}.example.com")
        );
        assert_eq!(c.variables["dr_active"], Value::Bool(true));
        assert_eq!(c.variables["n"], Value::from(3));
        assert_eq!(
            c.variables["l"],
            Value::Array(vec![Value::from("a"), Value::Null])
        );
        let text = crate::hcl::to_string(&c.resources[1].body);
        assert!(
            text.contains("\"UNPAUSED\""),
            "the JSON bool applies: {text}"
        );
        for (json, reason) in [
            ("[1]", "prod.tfvars.json: not a JSON object of variable values: invalid type: sequence, expected a map at line 1 column 0"),
            ("{\"ep\": ", "prod.tfvars.json: not a JSON object of variable values: EOF while parsing a value at line 1 column 7"),
        ] {
            let e = load(&f, &[("prod.tfvars.json".into(), json.into())], &BTreeMap::new())
                .unwrap_err()
                .to_string();
            assert_eq!(e, reason, "{json}");
        }
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

    /// Arithmetic is an error, never a panic (the `tfvars` fuzz target found `z=1/0` stopping drsync inside
    /// hcl-rs): in a variables file, a variable's default and a resource.
    #[test]
    fn arithmetic_is_an_error_not_a_panic() {
        for text in [
            "z = 1/0",
            "z = 5 % 0",
            "z = \"${1/0}\"",
            "z = [for x in [1]: x * 1e308]",
        ] {
            let vars = [("x.tfvars".to_string(), text.to_string())];
            let e = load(&BTreeMap::new(), &vars, &BTreeMap::new()).unwrap_err();
            assert!(e.to_string().contains("arithmetic"), "{text}: {e}");
        }
        let defaults = files(&[("v.tf", "variable \"v\" {\n  default = 2 - 1\n}\n")]);
        assert!(load(&defaults, &[], &BTreeMap::new()).is_err());
        let resource = files(&[("a.tf", "resource \"databricks_job\" \"a\" {\n  name = \"a\"\n  max_concurrent_runs = 1 / 0\n}\n")]);
        let e = load(&resource, &[], &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("databricks_job.a"), "{e}");
    }
}

#[cfg(test)]
mod large_tests {
    use super::*;

    /// A file large enough to be parsed in pieces, with references across pieces and variables.
    #[test]
    fn pieces_read_as_the_whole_file_does() {
        let mut jobs = String::from("# generated\n");
        for i in 0..4000 {
            jobs.push_str(&format!(
                "resource \"databricks_job\" \"j{i}\" {{\n  name = \"job }} {i}\"\n  tags = {{\n    \"a.b\" = \"$${{x}}\"\n  }}\n  schedule {{\n    pause_status = var.dr_active ? \"UNPAUSED\" : \"PAUSED\"\n  }}\n  task {{\n    task_key = \"t\"\n    existing_cluster_id = databricks_cluster.c{}.id\n  }}\n}}\n",
                i % 7
            ));
        }
        let mut clusters = String::new();
        for i in 0..7 {
            clusters.push_str(&format!(
                "resource \"databricks_cluster\" \"c{i}\" {{\n  cluster_name = \"c{i}\"\n  spark_version = var.v\n}}\n"
            ));
        }
        let vars = "variable \"dr_active\" {\n  default = false\n}\nvariable \"v\" {\n  default = \"15.4.x\"\n}\n";
        let pieces = split::pieces(&jobs, split::PIECE_BYTES).expect("the file is cut");
        assert!(pieces.len() >= 3, "{}", pieces.len());
        let files: BTreeMap<String, String> = [
            ("jobs.tf", jobs),
            ("clusters.tf", clusters),
            ("variables.tf", vars.to_string()),
        ]
        .into_iter()
        .map(|(n, t)| (n.to_string(), t))
        .collect();
        let fast = load(&files, &[], &BTreeMap::new()).unwrap();
        let whole: Vec<(String, Body)> = files
            .iter()
            .map(|(n, t)| (n.clone(), crate::hcl::parse_str(t, Path::new(n)).unwrap()))
            .collect();
        let slow = load_parsed(&whole, &[], &BTreeMap::new()).unwrap();
        assert_eq!(fast.resources.len(), 4007);
        assert_eq!(fast, slow);
    }
}

/// `expr` evaluated, unless it holds arithmetic (`+`, `-`, `*`, `/`, `%` between values), which is refused:
/// hcl-rs 0.20 panics on some of it (`1 % 0` on integers; a result that is not a finite number, such as `1/0`,
/// fails its number type's assertion), and drsync's own files never hold any (found by the `tfvars` fuzz
/// target). The error says so; nothing a file holds can stop drsync with a panic.
fn evaluate(expr: &::hcl::Expression, ctx: &::hcl::eval::Context) -> Result<Value, String> {
    if arithmetic(expr) {
        return Err(
            "arithmetic (+, -, *, /, %) is not evaluated by drsync: write the value".to_string(),
        );
    }
    expr.evaluate(ctx).map_err(|e| e.to_string())
}

/// Whether `expr` holds an arithmetic operation anywhere, templates' interpolations included.
fn arithmetic(expr: &::hcl::Expression) -> bool {
    use ::hcl::expr::{BinaryOperator as B, ObjectKey, Operation, TraversalOperator};
    use ::hcl::Expression as E;
    match expr {
        E::Operation(op) => match op.as_ref() {
            Operation::Binary(b) => {
                matches!(b.operator, B::Plus | B::Minus | B::Mul | B::Div | B::Mod)
                    || arithmetic(&b.lhs_expr)
                    || arithmetic(&b.rhs_expr)
            }
            Operation::Unary(u) => arithmetic(&u.expr),
        },
        E::Array(items) => items.iter().any(arithmetic),
        E::Object(object) => object
            .iter()
            .any(|(k, v)| matches!(k, ObjectKey::Expression(k) if arithmetic(k)) || arithmetic(v)),
        E::Parenthesis(e) => arithmetic(e),
        E::Conditional(c) => {
            arithmetic(&c.cond_expr) || arithmetic(&c.true_expr) || arithmetic(&c.false_expr)
        }
        E::FuncCall(f) => f.args.iter().any(arithmetic),
        E::ForExpr(f) => {
            arithmetic(&f.collection_expr)
                || f.key_expr.as_ref().is_some_and(arithmetic)
                || arithmetic(&f.value_expr)
                || f.cond_expr.as_ref().is_some_and(arithmetic)
        }
        E::Traversal(t) => {
            arithmetic(&t.expr)
                || t.operators
                    .iter()
                    .any(|op| matches!(op, TraversalOperator::Index(e) if arithmetic(e)))
        }
        E::TemplateExpr(t) => {
            ::hcl::Template::from_expr(t).is_ok_and(|template| template_arithmetic(&template))
        }
        _ => false,
    }
}

fn template_arithmetic(template: &::hcl::Template) -> bool {
    use ::hcl::template::{Directive, Element};
    template.elements().iter().any(|element| match element {
        Element::Literal(_) => false,
        Element::Interpolation(i) => arithmetic(&i.expr),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => {
                arithmetic(&d.cond_expr)
                    || template_arithmetic(&d.true_template)
                    || d.false_template.as_ref().is_some_and(template_arithmetic)
            }
            Directive::For(d) => arithmetic(&d.collection_expr) || template_arithmetic(&d.template),
        },
    })
}
