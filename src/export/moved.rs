//! Renames on the primary as Terraform `moved` blocks (Terraform >= 1.1), so that `terraform apply` updates
//! the DR object in place instead of destroying it and creating a new one (which would lose its run history,
//! its permissions and every reference to its id).
//!
//! A resource's label follows its object's name, and the label map (`drsync-labels.json`) remembers which
//! primary id each label stood for. When the object behind a label gets another label, the export records a
//! move `from = TYPE.OLD`, `to = TYPE.NEW` in the label map and writes every kept move to `moved.tf`. Moves are
//! kept from one export to the next, because a user may export several times before applying; see [`keep`] for
//! when one is dropped.

use super::{Exported, LabelMap};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The file the export writes its `moved` blocks to; absent when there are none.
pub const MOVED_FILE: &str = "moved.tf";

/// One rename of a resource, by label (the resource type is the key it is filed under).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// The label before.
    pub from: String,
    /// The label after.
    pub to: String,
}

/// The moves of this export, per resource type: the `previous` export's kept moves, then one for every
/// object whose primary id had another label in `previous` than it has now (in the order of `resources`),
/// filtered by [`keep`].
pub(super) fn moves(previous: &LabelMap, resources: &[Exported]) -> BTreeMap<String, Vec<Move>> {
    let mut out = BTreeMap::new();
    let mut types: Vec<&str> = resources.iter().map(|e| e.kind.resource_type()).collect();
    types.extend(previous.moved.keys().map(String::as_str));
    types.sort_unstable();
    types.dedup();
    for ty in types {
        let before: HashMap<&str, &str> = previous
            .resources
            .get(ty)
            .map(|labels| {
                labels
                    .iter()
                    .map(|(label, id)| (id.as_str(), label.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let now: Vec<&Exported> = resources
            .iter()
            .filter(|e| e.kind.resource_type() == ty)
            .collect();
        let fresh: Vec<Move> = now
            .iter()
            .filter_map(|e| {
                let old = *before.get(e.id.as_str())?;
                (old != e.label).then(|| Move {
                    from: old.to_string(),
                    to: e.label.clone(),
                })
            })
            .collect();
        let live: BTreeSet<&str> = now.iter().map(|e| e.label.as_str()).collect();
        let kept = previous.moved.get(ty).map(Vec::as_slice).unwrap_or(&[]);
        let moves = keep(kept, fresh, &live);
        if !moves.is_empty() {
            out.insert(ty.to_string(), moves);
        }
    }
    out
}

/// Which moves to write, in order: `kept` (from earlier exports, oldest first), then `fresh` (this export's),
/// given the labels `live` in this export. Terraform's move validation (`ValidateMoves` in hashicorp/terraform
/// `internal/refactoring/move_validate.go`; the messages below are Terraform 1.11's) decides what can stay:
///
/// 1. A move whose `from` is a live address again (a new object took the old label) is dropped: Terraform
///    rejects it ("Moved object still exists"). Its effect is kept for older moves: an earlier move that ended
///    at that `from` now ends at the dropped move's `to` (A -> B, B -> C with B live again becomes A -> C), so an
///    object still at A in an unapplied state goes where its object is now. Moves of one export happen at once,
///    so this applies to earlier exports' moves only.
/// 2. Two moves from one address or to one address: the newer is kept. Terraform rejects both
///    ("Ambiguous move statements": each resource moves to one place, and from one place).
/// 3. A move whose chain of `to`s does not end at a live address is dropped: the object was removed (Terraform
///    would move its state and then destroy it anyway), or the moves form a cycle, which Terraform rejects
///    ("Cyclic dependency in move statements").
///
/// Chains (A -> B, then B -> C) stay as they are, in order: Terraform follows them, whichever address the
/// state holds. Moves whose labels are not Terraform resource names (a hand-edited label map) or that go
/// nowhere (`from` = `to`) are dropped first.
pub(super) fn keep(kept: &[Move], fresh: Vec<Move>, live: &BTreeSet<&str>) -> Vec<Move> {
    let older = kept.len();
    let mut all: Vec<Option<Move>> = kept
        .iter()
        .cloned()
        .chain(fresh)
        .map(|m| (is_name(&m.from) && is_name(&m.to) && m.from != m.to).then_some(m))
        .collect();
    // 1. Moves from a live address go; earlier exports' moves that ended there follow them.
    for i in 0..all.len() {
        let Some(m) = all[i].clone() else { continue };
        if !live.contains(m.from.as_str()) {
            continue;
        }
        for earlier in all[..i.min(older)].iter_mut().flatten() {
            if earlier.to == m.from {
                earlier.to = m.to.clone();
            }
        }
        all[i] = None;
    }
    // 2. One move per `from` and per `to`: the newest.
    let (mut froms, mut tos) = (BTreeSet::new(), BTreeSet::new());
    for slot in all.iter_mut().rev() {
        let Some(m) = slot else { continue };
        if froms.contains(&m.from) || tos.contains(&m.to) || m.from == m.to {
            *slot = None;
        } else {
            froms.insert(m.from.clone());
            tos.insert(m.to.clone());
        }
    }
    let all: Vec<Move> = all.into_iter().flatten().collect();
    // 3. Only chains that end at a live address.
    let next: HashMap<&str, &str> = all
        .iter()
        .map(|m| (m.from.as_str(), m.to.as_str()))
        .collect();
    let arrives = |start: &str| {
        let mut at = start;
        let mut seen = BTreeSet::new();
        loop {
            if live.contains(at) {
                return true;
            }
            if !seen.insert(at) {
                return false;
            }
            match next.get(at) {
                Some(to) => at = to,
                None => return false,
            }
        }
    };
    all.iter().filter(|m| arrives(&m.to)).cloned().collect()
}

/// Whether a label is a Terraform resource name: a letter or `_`, then letters, digits, `_` and `-` (Terraform
/// language docs, "Resource Blocks"; every label drsync makes is one, see [`crate::hcl::label`]).
fn is_name(label: &str) -> bool {
    let mut chars = label.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `moved.tf`: every move as a `moved` block, by resource type (in [`crate::model::ResourceKind::ALL`]'s
/// order) then in order; `None` when there are none.
pub(super) fn moved_tf(moved: &BTreeMap<String, Vec<Move>>) -> Option<String> {
    use ::hcl::{Block, Body};
    let mut body = Body::builder();
    let mut any = false;
    for kind in crate::model::ResourceKind::ALL {
        let ty = kind.resource_type();
        for m in moved.get(ty).into_iter().flatten() {
            body = body.add_block(
                Block::builder("moved")
                    .add_attribute(("from", crate::hcl::traversal(&[ty, m.from.as_str()])))
                    .add_attribute(("to", crate::hcl::traversal(&[ty, m.to.as_str()])))
                    .build(),
            );
            any = true;
        }
    }
    any.then(|| {
        format!(
            "{}# Resources renamed on the primary since they were last applied: Terraform moves each one to its\n\
             # new address and updates it in place, instead of destroying it and creating a new one.\n\n{}",
            super::files::GENERATED,
            crate::hcl::to_string(&body.build())
        )
    })
}

/// The moves recorded in an export's label map, as addresses: resource type → `(TYPE.FROM, TYPE.TO)` in order.
/// Nothing when the export has no label map or it cannot be read.
pub(super) fn recorded(
    files: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<(String, String)>> {
    let Some(map) = files
        .get(super::LABELS_FILE)
        .and_then(|text| serde_json::from_str::<LabelMap>(text).ok())
    else {
        return BTreeMap::new();
    };
    map.moved
        .into_iter()
        .map(|(ty, moves)| {
            let addresses = moves
                .into_iter()
                .map(|m| (format!("{ty}.{}", m.from), format!("{ty}.{}", m.to)))
                .collect();
            (ty, addresses)
        })
        .collect()
}

/// The attribute that holds an object's name in each resource type (provider schema 1.99.0), which a rename
/// changes by definition: a renamed resource counts as changed only when something else changed too.
pub(super) fn name_attribute(resource_type: &str) -> &'static str {
    match resource_type {
        "databricks_cluster" => "cluster_name",
        "databricks_instance_pool" => "instance_pool_name",
        _ => "name",
    }
}

/// Rewrites references `TYPE.OLD.x` to `TYPE.NEW.x` for every renamed address (`TYPE.OLD` → `NEW`), wherever
/// drsync writes references (inside `jsonencode(...)`, lists, objects and conditionals too).
pub(super) fn rename_references(body: &mut ::hcl::Body, renames: &HashMap<String, String>) {
    for s in body.0.iter_mut() {
        match s {
            ::hcl::Structure::Attribute(a) => rename_in(&mut a.expr, renames),
            ::hcl::Structure::Block(b) => rename_references(&mut b.body, renames),
        }
    }
}

fn rename_in(expr: &mut ::hcl::Expression, renames: &HashMap<String, String>) {
    use ::hcl::expr::TraversalOperator;
    use ::hcl::Expression;
    match expr {
        Expression::Traversal(t) => {
            if let (Expression::Variable(root), Some(TraversalOperator::GetAttr(label))) =
                (&t.expr, t.operators.first_mut())
            {
                let address = format!("{}.{}", root.as_str(), label.as_str());
                if let Some(new) = renames.get(&address) {
                    if let Ok(id) = ::hcl::Identifier::new(new.as_str()) {
                        *label = id;
                    }
                }
            }
        }
        Expression::FuncCall(call) => call.args.iter_mut().for_each(|a| rename_in(a, renames)),
        Expression::Array(items) => items.iter_mut().for_each(|i| rename_in(i, renames)),
        Expression::Object(obj) => obj.values_mut().for_each(|v| rename_in(v, renames)),
        Expression::Conditional(c) => {
            rename_in(&mut c.cond_expr, renames);
            rename_in(&mut c.true_expr, renames);
            rename_in(&mut c.false_expr, renames);
        }
        Expression::Parenthesis(inner) => rename_in(inner, renames),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(from: &str, to: &str) -> Move {
        Move {
            from: from.to_string(),
            to: to.to_string(),
        }
    }

    fn pairs(moves: &[Move]) -> Vec<(&str, &str)> {
        moves
            .iter()
            .map(|m| (m.from.as_str(), m.to.as_str()))
            .collect()
    }

    fn live<'a>(labels: &[&'a str]) -> BTreeSet<&'a str> {
        labels.iter().copied().collect()
    }

    #[test]
    fn chains_stay_in_order_and_moves_to_removed_objects_go() {
        // A -> B kept, then B -> C: a chain that ends at a live address.
        let got = keep(&[mv("a", "b")], vec![mv("b", "c")], &live(&["c", "x"]));
        assert_eq!(pairs(&got), [("a", "b"), ("b", "c")]);
        // The object at the end was removed: the whole chain goes, other moves stay.
        let got = keep(
            &[mv("a", "b"), mv("k", "x"), mv("b", "c")],
            vec![],
            &live(&["x"]),
        );
        assert_eq!(pairs(&got), [("k", "x")]);
        // A cycle (renamed there and back, with the middle label taken meanwhile) never arrives anywhere live.
        let got = keep(&[mv("a", "b"), mv("b", "a")], vec![], &live(&["x"]));
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn a_move_from_a_live_address_goes_and_earlier_moves_follow_it() {
        // Renamed back: b -> a, with a live again. The kept a -> b would be "Moved object still exists".
        let got = keep(&[mv("a", "b")], vec![mv("b", "a")], &live(&["a"]));
        assert_eq!(pairs(&got), [("b", "a")]);
        // p -> a (earlier export), then a -> b while a new object takes a: p -> b, a new object at a.
        let got = keep(&[mv("p", "a")], vec![mv("a", "b")], &live(&["a", "b"]));
        assert_eq!(pairs(&got), [("p", "b")]);
        // Moves of one export happen at once: q -> a of this export is not redirected by a -> b.
        let got = keep(&[], vec![mv("q", "a"), mv("a", "b")], &live(&["a", "b"]));
        assert_eq!(pairs(&got), [("q", "a")]);
    }

    #[test]
    fn one_move_per_address_the_newest() {
        // An object left c (removed), another arrived at c: only the newer move into c stays.
        let got = keep(&[mv("a", "c")], vec![mv("b", "c")], &live(&["c"]));
        assert_eq!(pairs(&got), [("b", "c")]);
        // A hand-edited map: two moves from a; the newer wins.
        let got = keep(&[mv("a", "c"), mv("a", "d")], vec![], &live(&["c", "d"]));
        assert_eq!(pairs(&got), [("a", "d")]);
        // Not resource names, or going nowhere.
        let got = keep(
            &[mv("1a", "c"), mv("a b", "c"), mv("c", "c"), mv("", "c")],
            vec![],
            &live(&["c"]),
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn label_maps_without_moves_read_and_write_as_before() {
        let old = r#"{"version": 1, "resources": {"databricks_job": {"etl": "1"}}}"#;
        let map: LabelMap = serde_json::from_str(old).unwrap();
        assert!(map.moved.is_empty());
        assert!(!serde_json::to_string(&map).unwrap().contains("moved"));
    }

    #[test]
    fn moved_tf_is_what_terraform_fmt_writes_and_loads_as_no_resource() {
        let moved = BTreeMap::from([
            (
                "databricks_job".to_string(),
                vec![
                    mv("nightly_etl", "nightly_etl_v2"),
                    mv("nightly_etl_v2", "etl"),
                ],
            ),
            ("databricks_cluster".to_string(), vec![mv("a", "b")]),
        ]);
        let text = moved_tf(&moved).unwrap();
        assert!(
            text.ends_with(
                "moved {\n  from = databricks_job.nightly_etl\n  to   = databricks_job.nightly_etl_v2\n}\n\n\
                 moved {\n  from = databricks_job.nightly_etl_v2\n  to   = databricks_job.etl\n}\n\n\
                 moved {\n  from = databricks_cluster.a\n  to   = databricks_cluster.b\n}\n"
            ),
            "{text}"
        );
        assert_eq!(moved_tf(&BTreeMap::new()), None);
        // Drift and check read the committed folder with tfconfig::load: moved blocks are no resources.
        let files = BTreeMap::from([
            (MOVED_FILE.to_string(), text),
            (
                "jobs.tf".to_string(),
                "resource \"databricks_job\" \"etl\" {\n  name = \"etl\"\n}\n".to_string(),
            ),
        ]);
        let config = crate::tfconfig::load(&files, &[], &BTreeMap::new()).unwrap();
        let addresses: Vec<String> = config.resources.iter().map(|r| r.address()).collect();
        assert_eq!(addresses, ["databricks_job.etl"]);
    }
}
