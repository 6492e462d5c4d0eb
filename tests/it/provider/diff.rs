//! The plan's comparison of one resource: HCL values (with schema defaults) against state, field by field,
//! through the provider's Computed markers and diff suppressors. Both sides are API-shaped JSON.

use super::value::{is_map, is_zero, jsonencode, primitive, zero_text, Path};
use serde_json::{Map, Value};

/// How the schema treats one attribute or block, by its key path (indices left out).
#[derive(Clone, Copy, Default)]
pub struct Rule {
    /// Optional+Computed: absent from HCL never diffs (§2.3, §3.3, §4.3).
    pub computed: bool,
    pub suppress: Suppress,
    /// A set: order-free (§3.3 `library`).
    pub set: bool,
    /// Provider-only flags the Read never writes and the plan never compares (§2.4).
    pub ignore: bool,
}

/// The diff suppressor on an attribute or block.
#[derive(Clone, Copy, Default)]
pub enum Suppress {
    /// None of its own: the enclosing single block's generic suppressor, if any (§1.3).
    #[default]
    Inherit,
    /// The generic `suppress_diff` (§1.3): a zero (or absent) HCL value against a set state value is hidden.
    /// On a single block it also covers every field inside.
    Generic,
    /// Explicitly turned off (the webhook lists, §2.3).
    Off,
    /// A custom suppressor: `f(hcl, state)` is true when the diff is hidden.
    Custom(fn(Option<&Value>, Option<&Value>) -> bool),
}

impl Rule {
    pub fn computed() -> Rule {
        Rule {
            computed: true,
            ..Rule::default()
        }
    }

    pub fn generic() -> Rule {
        Rule {
            suppress: Suppress::Generic,
            ..Rule::default()
        }
    }

    pub fn custom(f: fn(Option<&Value>, Option<&Value>) -> bool) -> Rule {
        Rule {
            suppress: Suppress::Custom(f),
            ..Rule::default()
        }
    }

    pub fn off() -> Rule {
        Rule {
            suppress: Suppress::Off,
            ..Rule::default()
        }
    }
}

/// One difference the plan would show.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// `TYPE.LABEL`.
    pub address: String,
    /// `tasks[0].new_cluster.node_type_id`; `#` for a block or list count; empty for the whole resource.
    pub path: String,
    /// The HCL value (with schema defaults), absent for a removal.
    pub config: Option<Value>,
    /// The state value, absent for an addition.
    pub state: Option<Value>,
}

pub struct Ctx<'a> {
    pub resource_type: &'a str,
    pub address: &'a str,
    pub rule: &'a dyn Fn(&[&str]) -> Rule,
}

/// Compare a resource's HCL values with its state.
pub fn compare(
    ctx: &Ctx<'_>,
    config: &Map<String, Value>,
    state: &Map<String, Value>,
) -> Vec<Diff> {
    let mut out = Vec::new();
    object(ctx, &Path::default(), config, state, false, &mut out);
    out
}

fn object(
    ctx: &Ctx<'_>,
    path: &Path,
    config: &Map<String, Value>,
    state: &Map<String, Value>,
    inherited: bool,
    out: &mut Vec<Diff>,
) {
    let mut keys: Vec<&String> = config.keys().chain(state.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        value(
            ctx,
            &path.key(k),
            config.get(k),
            state.get(k),
            inherited,
            out,
        );
    }
}

fn push(
    ctx: &Ctx<'_>,
    path: &Path,
    config: Option<&Value>,
    state: Option<&Value>,
    out: &mut Vec<Diff>,
) {
    out.push(Diff {
        address: ctx.address.to_string(),
        path: path.dotted(),
        config: config.cloned(),
        state: state.cloned(),
    });
}

fn value(
    ctx: &Ctx<'_>,
    path: &Path,
    config: Option<&Value>,
    state: Option<&Value>,
    inherited: bool,
    out: &mut Vec<Diff>,
) {
    let names = path.keys();
    let rule = (ctx.rule)(&names);
    if rule.ignore {
        return;
    }
    if rule.computed && config.is_none() {
        return;
    }
    let generic = match rule.suppress {
        Suppress::Generic => true,
        Suppress::Off => false,
        Suppress::Inherit | Suppress::Custom(_) => inherited,
    };
    if let Suppress::Custom(f) = rule.suppress {
        if f(config, state) {
            return;
        }
    }
    // §1.3: a zero HCL value (or a block count of 0) against anything set in state is hidden.
    if generic && is_zero(config) && state.is_some_and(|v| !v.is_null()) {
        return;
    }
    let map = is_map(ctx.resource_type, &names);
    match (config, state) {
        (Some(Value::Object(c)), Some(Value::Object(s))) => {
            object(ctx, path, c, s, generic && !map, out);
        }
        // A map attribute: compared key by key, absent as empty (§1.5 skips empty maps).
        (Some(Value::Object(c)), None) if map => {
            object(ctx, path, c, &Map::new(), false, out);
        }
        (None, Some(Value::Object(s))) if map => {
            object(ctx, path, &Map::new(), s, false, out);
        }
        // A block on one side only: its count differs (1 against 0).
        (Some(Value::Object(_)), _) | (_, Some(Value::Object(_))) => {
            push(ctx, &path.key("#"), config, state, out);
        }
        (Some(Value::Array(c)), Some(Value::Array(s))) if rule.set => {
            let mut a: Vec<String> = c.iter().map(jsonencode).collect();
            let mut b: Vec<String> = s.iter().map(jsonencode).collect();
            a.sort();
            b.sort();
            if a != b {
                push(ctx, path, config, state, out);
            }
        }
        (Some(Value::Array(c)), Some(Value::Array(s))) => {
            if c.len() != s.len() {
                push(ctx, &path.key("#"), config, state, out);
                return;
            }
            for (i, (a, b)) in c.iter().zip(s).enumerate() {
                value(ctx, &path.index(i), Some(a), Some(b), generic, out);
            }
        }
        (Some(Value::Array(c)), other) | (other, Some(Value::Array(c))) if is_zero(other) => {
            if !c.is_empty() {
                push(ctx, &path.key("#"), config, state, out);
            }
        }
        _ => {
            let (a, b) = (primitive(config), primitive(state));
            let same = match (&a, &b) {
                (Some(a), Some(b)) => a == b || (zero_text(a) && zero_text(b)),
                _ => false,
            };
            if !same {
                push(ctx, path, config, state, out);
            }
        }
    }
}
