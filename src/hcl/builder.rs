//! Small constructors for the `hcl::Expression`s drsync writes: references, function calls, conditionals,
//! maps with safe keys and JSON values as HCL. They only build values; rendering is `render`'s job.

use super::render::object_key;
use ::hcl::expr::{
    Conditional, Expression, FuncCall, Object, ObjectKey, Traversal, TraversalOperator, Variable,
};
use ::hcl::{Identifier, Number};

/// A reference such as `databricks_cluster.etl.id` or `var.dr_active`, from its dot-separated parts; one part
/// gives a plain variable.
///
/// # Panics
///
/// If `parts` is empty or a part is not an HCL identifier (labels from [`super::label`] always are).
pub fn traversal(parts: &[&str]) -> Expression {
    let (root, rest) = parts
        .split_first()
        .expect("a reference has at least one part");
    let root = variable(root);
    if rest.is_empty() {
        return root;
    }
    let operators = rest
        .iter()
        .map(|part| TraversalOperator::GetAttr(identifier(part)))
        .collect::<Vec<_>>();
    Expression::Traversal(Box::new(Traversal::new(root, operators)))
}

/// A variable such as `var` or `local`.
///
/// # Panics
///
/// If `name` is not an HCL identifier.
pub fn variable(name: &str) -> Expression {
    Expression::Variable(Variable::from(identifier(name)))
}

/// A function call, e.g. `func_call("jsonencode", vec![value])`.
///
/// # Panics
///
/// If `name` is not an HCL identifier.
pub fn func_call(name: &str, args: Vec<Expression>) -> Expression {
    let mut call = FuncCall::new(identifier(name));
    call.args = args;
    Expression::FuncCall(Box::new(call))
}

/// `jsonencode(value)`.
pub fn jsonencode(value: Expression) -> Expression {
    func_call("jsonencode", vec![value])
}

/// `cond ? when_true : when_false`.
pub fn conditional(cond: Expression, when_true: Expression, when_false: Expression) -> Expression {
    Expression::Conditional(Box::new(Conditional::new(cond, when_true, when_false)))
}

/// A map whose keys are written bare when they are identifiers and quoted otherwise (see
/// [`super::object_key`]), in the order given.
pub fn object<K, V, I>(entries: I) -> Expression
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: Into<Expression>,
{
    Expression::Object(
        entries
            .into_iter()
            .map(|(key, value)| (object_key(key.as_ref()), value.into()))
            .collect(),
    )
}

/// How [`from_json`] writes object keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKeys {
    /// Every key quoted, as JSON writes them: `"spark_version" = { "type" = "fixed" }` (cluster policy
    /// definitions).
    Quoted,
    /// Bare when the key is an identifier, quoted otherwise.
    BareWhenValid,
}

/// A JSON value as the HCL expression with the same value: objects keep their key order, integers stay exact.
pub fn from_json(value: &serde_json::Value, keys: JsonKeys) -> Expression {
    match value {
        serde_json::Value::Null => Expression::Null,
        serde_json::Value::Bool(b) => Expression::Bool(*b),
        serde_json::Value::Number(n) => Expression::Number(json_number(n)),
        serde_json::Value::String(s) => Expression::String(s.clone()),
        serde_json::Value::Array(items) => {
            Expression::Array(items.iter().map(|item| from_json(item, keys)).collect())
        }
        serde_json::Value::Object(map) => {
            let mut object = Object::new();
            for (key, value) in map {
                let key = match keys {
                    JsonKeys::Quoted => ObjectKey::Expression(Expression::String(key.clone())),
                    JsonKeys::BareWhenValid => object_key(key),
                };
                object.insert(key, from_json(value, keys));
            }
            Expression::Object(object)
        }
    }
}

fn json_number(n: &serde_json::Number) -> Number {
    if let Some(u) = n.as_u64() {
        Number::from(u)
    } else if let Some(i) = n.as_i64() {
        Number::from(i)
    } else {
        // serde_json numbers are finite.
        n.as_f64()
            .and_then(Number::from_f64)
            .unwrap_or_else(|| Number::from(0u8))
    }
}

fn identifier(name: &str) -> Identifier {
    Identifier::new(name).unwrap_or_else(|_| panic!("`{name}` is not an HCL identifier"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hcl::expression_to_string;

    #[test]
    fn references_and_calls() {
        assert_eq!(
            expression_to_string(&traversal(&["databricks_cluster", "etl", "id"])),
            "databricks_cluster.etl.id"
        );
        assert_eq!(expression_to_string(&traversal(&["var"])), "var");
        let pause = conditional(
            traversal(&["var", "dr_active"]),
            Expression::from("UNPAUSED"),
            Expression::from("PAUSED"),
        );
        assert_eq!(
            expression_to_string(&pause),
            r#"var.dr_active ? "UNPAUSED" : "PAUSED""#
        );
        assert_eq!(
            expression_to_string(&jsonencode(Expression::from(vec![1, 2]))),
            "jsonencode([1, 2])"
        );
    }

    #[test]
    fn json_keeps_large_integers_and_key_styles() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{"a.b": {"f": 0.5, "l": [true, null], "n": 948583744237091}}"#)
                .unwrap();
        assert_eq!(
            expression_to_string(&from_json(&value, JsonKeys::Quoted)),
            "{\n  \"a.b\" = {\n    \"f\" = 0.5\n    \"l\" = [true, null]\n    \"n\" = 948583744237091\n  }\n}"
        );
        assert_eq!(
            expression_to_string(&from_json(&value, JsonKeys::BareWhenValid)),
            "{\n  \"a.b\" = {\n    f = 0.5\n    l = [true, null]\n    n = 948583744237091\n  }\n}"
        );
    }

    #[test]
    fn object_quotes_only_what_it_must() {
        let tags = object([
            ("team", "data"),
            ("cost-center", "42"),
            ("spark.conf", "x"),
            ("null", "y"),
        ]);
        assert_eq!(
            expression_to_string(&tags),
            "{\n  team         = \"data\"\n  cost-center  = \"42\"\n  \"spark.conf\" = \"x\"\n  \"null\"       = \"y\"\n}"
        );
    }
}
