//! The one matching of HCL resources to live DR objects. It is computed once per run (by
//! [`super::compare_normalized`]) and then used by everything that pairs a resource with a DR object: drift's
//! findings, `check`'s passive-posture check, and the commands to come that act on the pairs (adopting DR objects
//! into Terraform state, failing over). Two consumers that paired on their own could disagree about which of
//! two same-name jobs is which (issue 14 item 6); with one matching they cannot.
//!
//! It lives in `drift` because pairing look-alikes needs drift's view of an object (its configuration shaped as
//! the HCL, with what `terraform plan` hides suppressed); the result is plain data that any module can read.
//!
//! The rules, in order:
//!
//! 1. With a Terraform state: a resource is the live object of its kind whose id the state records for its
//!    address; no such object, it is missing. Names play no part, for drift and `check`. `adopt` matches the
//!    resources the state does not record by name (rules 2 and 3, over the live objects the state leaves
//!    free): a state that knows some look-alikes settles which of the others is which.
//! 2. Without one, by name (per resource type): a name that one resource and one live object have is a pair;
//!    a resource whose name no live object has is missing.
//! 3. Look-alikes: where a name is shared (by several live objects, or several resources), the live objects of
//!    that name are taken in the exporter's label order (creation time, then id: the order that gives the
//!    oldest object the plain label and the others `_2`, `_3`, ...), and each resource of the name, in the
//!    configuration's order, is paired with the first free one that is identical to it (no field differs).
//!    Only when there are exactly as many live objects as resources of the name; otherwise, or when a resource
//!    has no identical candidate, the resource is ambiguous: it is reported with every candidate, never guessed.
//! 4. Live objects paired with nothing, and not a candidate of an ambiguous resource, are unmanaged.

use crate::model::ResourceKind;
use serde::Serialize;
use std::collections::HashMap;

/// How resources were paired with live objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// By the ids a Terraform state records.
    State,
    /// By name, look-alikes by identity.
    Name,
    /// By the ids a Terraform state records for the resources it has, by name for the others (`adopt`).
    StateThenName,
}

/// A live DR object, as the matching names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveObject {
    /// What kind of object.
    pub kind: ResourceKind,
    /// Its id in DR.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A resource and the live object it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pair {
    /// `TYPE.LABEL`.
    pub address: String,
    /// The live object.
    pub live: LiveObject,
}

/// A resource that several live objects could be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ambiguous {
    /// `TYPE.LABEL`.
    pub address: String,
    /// The name the resource gives its object.
    pub name: String,
    /// Every live object it could be, in the exporter's label order (creation time, then id).
    pub candidates: Vec<LiveObject>,
    /// What tells the candidates apart: for each candidate, in the same order, the fields (drift's paths) where
    /// it differs from the resource, none when it is identical. Empty when the candidates were not compared
    /// (the grants of an ambiguous object).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differs: Vec<Vec<String>>,
}

/// Every resource of the configuration (of the compared kinds) and every live object (that the export would
/// not leave out), each in exactly one place: a pair, missing, unmanaged, or among an ambiguous resource's
/// candidates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matching {
    /// How the pairs were made.
    pub by: MatchedBy,
    /// Resources paired with a live object, by address.
    pub pairs: Vec<Pair>,
    /// Addresses of resources no live object is.
    pub missing: Vec<String>,
    /// Live objects no resource is.
    pub unmanaged: Vec<LiveObject>,
    /// Resources that more than one live object could be.
    pub ambiguous: Vec<Ambiguous>,
}

/// What the matching knows about one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match<'m> {
    /// It is this live object.
    Paired(&'m LiveObject),
    /// No live object is it.
    Missing,
    /// Any of these could be it.
    Ambiguous(&'m [LiveObject]),
    /// The address is not one the matching saw (another type, or not in the configuration).
    Unknown,
}

impl Matching {
    /// What the matching says about the resource at `address`.
    pub fn get(&self, address: &str) -> Match<'_> {
        if let Ok(i) = self
            .pairs
            .binary_search_by(|p| p.address.as_str().cmp(address))
        {
            return Match::Paired(&self.pairs[i].live);
        }
        if self
            .missing
            .binary_search_by(|m| m.as_str().cmp(address))
            .is_ok()
        {
            return Match::Missing;
        }
        match self
            .ambiguous
            .binary_search_by(|a| a.address.as_str().cmp(address))
        {
            Ok(i) => Match::Ambiguous(&self.ambiguous[i].candidates),
            Err(_) => Match::Unknown,
        }
    }

    /// The live objects the resource at `address` is or could be: one for a pair, every candidate when it is
    /// ambiguous, none when it is missing.
    pub fn live_for(&self, address: &str) -> &[LiveObject] {
        match self.get(address) {
            Match::Paired(o) => std::slice::from_ref(o),
            Match::Ambiguous(c) => c,
            Match::Missing | Match::Unknown => &[],
        }
    }
}

/// A resource as the matching sees it.
pub(crate) struct Wanted {
    /// The resource type's kind.
    pub kind: ResourceKind,
    /// `TYPE.LABEL`.
    pub address: String,
    /// The name it gives its object.
    pub name: String,
}

/// A live object as the matching sees it.
pub(crate) struct Have<'a> {
    /// What kind.
    pub kind: ResourceKind,
    /// Its id.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Creation time (epoch ms, 0 unknown).
    pub created: i64,
}

/// The matching by indices: resources into `wanted`, live objects into `have`.
#[derive(Debug, Default)]
pub(crate) struct Indices {
    /// (resource, live object).
    pub pairs: Vec<(usize, usize)>,
    /// Resources without a live object.
    pub missing: Vec<usize>,
    /// Resources with several candidates, undecided: (resource, candidates in label order).
    pub lookalikes: Vec<(usize, Vec<usize>)>,
    /// Live objects taken by a pair or a look-alike group.
    pub used: Vec<bool>,
}

/// The exporter's order of same-name objects: creation time, then id (shorter ids first, as numbers sort).
fn label_order(have: &[Have<'_>], a: usize, b: usize) -> std::cmp::Ordering {
    let (x, y) = (&have[a], &have[b]);
    (x.created, x.id.len(), x.id, a).cmp(&(y.created, y.id.len(), y.id, b))
}

/// Rules 1 and 2: pairs by state or by unique name; the look-alike groups are left for [`resolve`]. With
/// `then_by_name`, the resources `state` does not record are matched by name among the live objects it leaves
/// free (rule 1 for `adopt`).
pub(crate) fn first_pass(
    wanted: &[Wanted],
    have: &[Have<'_>],
    state: Option<&super::StateIds>,
    then_by_name: bool,
) -> Indices {
    let mut out = Indices {
        used: vec![false; have.len()],
        ..Indices::default()
    };
    let mut by_name: Vec<usize> = (0..wanted.len()).collect();
    if let Some(state) = state {
        // The first live object of each kind and id.
        let mut by_id: HashMap<(ResourceKind, &str), usize> = HashMap::new();
        for (i, o) in have.iter().enumerate() {
            by_id.entry((o.kind, o.id)).or_insert(i);
        }
        by_name.clear();
        for (r, w) in wanted.iter().enumerate() {
            let Some(id) = state.0.get(&w.address) else {
                if then_by_name {
                    by_name.push(r);
                } else {
                    out.missing.push(r);
                }
                continue;
            };
            match by_id.get(&(w.kind, id.as_str())).copied() {
                Some(i) => {
                    out.used[i] = true;
                    out.pairs.push((r, i));
                }
                None => out.missing.push(r),
            }
        }
    }
    // Live objects a state already gave a resource are no other resource's candidates.
    let mut names: HashMap<(ResourceKind, &str), Vec<usize>> = HashMap::new();
    for (i, o) in have.iter().enumerate().filter(|(i, _)| !out.used[*i]) {
        names.entry((o.kind, o.name)).or_default().push(i);
    }
    for group in names.values_mut() {
        group.sort_by(|a, b| label_order(have, *a, *b));
    }
    let mut twins: HashMap<(ResourceKind, &str), usize> = HashMap::new();
    for r in &by_name {
        let w = &wanted[*r];
        *twins.entry((w.kind, w.name.as_str())).or_default() += 1;
    }
    for r in by_name {
        let w = &wanted[r];
        let key = (w.kind, w.name.as_str());
        let candidates = names.get(&key).map(Vec::as_slice).unwrap_or_default();
        match candidates {
            [] => out.missing.push(r),
            [only] if twins[&key] == 1 => {
                out.used[*only] = true;
                out.pairs.push((r, *only));
            }
            _ => out.lookalikes.push((r, candidates.to_vec())),
        }
    }
    out
}

/// Rule 3: each look-alike resource takes the first free identical candidate, when there are as many
/// candidates as resources of its name; the others stay ambiguous. Every candidate of an ambiguous resource is
/// taken (not unmanaged). Returns the ambiguous ones: (resource, candidates).
pub(crate) fn resolve(
    indices: &mut Indices,
    wanted: &[Wanted],
    mut identical: impl FnMut(usize, usize) -> bool,
) -> Vec<(usize, Vec<usize>)> {
    // The resources of each name that were matched by name: every one of them is a look-alike when one is
    // (`first_pass`), so they are counted among the look-alikes.
    let mut twins: HashMap<(ResourceKind, &str), usize> = HashMap::new();
    for (r, _) in &indices.lookalikes {
        let w = &wanted[*r];
        *twins.entry((w.kind, w.name.as_str())).or_default() += 1;
    }
    let mut ambiguous = Vec::new();
    for (r, group) in std::mem::take(&mut indices.lookalikes) {
        let w = &wanted[r];
        let same_count = twins[&(w.kind, w.name.as_str())] == group.len();
        let chosen = if same_count {
            group
                .iter()
                .copied()
                .filter(|i| !indices.used[*i])
                .find(|i| identical(r, *i))
        } else {
            None
        };
        match chosen {
            Some(i) => {
                indices.used[i] = true;
                indices.pairs.push((r, i));
            }
            None => {
                for i in &group {
                    indices.used[*i] = true;
                }
                ambiguous.push((r, group));
            }
        }
    }
    ambiguous
}

/// The public [`Matching`] of resolved indices.
pub(crate) fn build(
    by: MatchedBy,
    indices: &Indices,
    ambiguous: &[(usize, Vec<usize>)],
    wanted: &[Wanted],
    have: &[Have<'_>],
) -> Matching {
    let live = |i: usize| LiveObject {
        kind: have[i].kind,
        id: have[i].id.to_string(),
        name: have[i].name.to_string(),
    };
    let mut pairs: Vec<Pair> = indices
        .pairs
        .iter()
        .map(|(r, i)| Pair {
            address: wanted[*r].address.clone(),
            live: live(*i),
        })
        .collect();
    pairs.sort_by(|a, b| a.address.cmp(&b.address));
    let mut missing: Vec<String> = indices
        .missing
        .iter()
        .map(|r| wanted[*r].address.clone())
        .collect();
    missing.sort();
    let mut ambiguous: Vec<Ambiguous> = ambiguous
        .iter()
        .map(|(r, group)| Ambiguous {
            address: wanted[*r].address.clone(),
            name: wanted[*r].name.clone(),
            candidates: group.iter().map(|i| live(*i)).collect(),
            differs: Vec::new(),
        })
        .collect();
    ambiguous.sort_by(|a, b| a.address.cmp(&b.address));
    let mut unmanaged: Vec<LiveObject> = (0..have.len())
        .filter(|i| !indices.used[*i])
        .map(live)
        .collect();
    unmanaged.sort_by(|a, b| (a.kind, &a.name, &a.id).cmp(&(b.kind, &b.name, &b.id)));
    Matching {
        by,
        pairs,
        missing,
        unmanaged,
        ambiguous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(name: &str, label: &str) -> Wanted {
        Wanted {
            kind: ResourceKind::Jobs,
            address: format!("databricks_job.{label}"),
            name: name.to_string(),
        }
    }

    fn have<'a>(id: &'a str, name: &'a str, created: i64) -> Have<'a> {
        Have {
            kind: ResourceKind::Jobs,
            id,
            name,
            created,
        }
    }

    #[test]
    fn unique_names_pair_and_the_rest_is_missing_or_unmanaged() {
        let wanted = [want("a", "a"), want("b", "b")];
        let live = [have("1", "a", 0), have("2", "c", 0)];
        let mut ix = first_pass(&wanted, &live, None, false);
        let amb = resolve(&mut ix, &wanted, |_, _| unreachable!());
        let m = build(MatchedBy::Name, &ix, &amb, &wanted, &live);
        assert_eq!(m.pairs.len(), 1);
        assert_eq!(m.get("databricks_job.a"), Match::Paired(&m.pairs[0].live));
        assert_eq!(m.get("databricks_job.b"), Match::Missing);
        assert_eq!(m.get("databricks_job.zzz"), Match::Unknown);
        assert_eq!(m.unmanaged.len(), 1);
        assert_eq!(m.unmanaged[0].id, "2");
    }

    /// Look-alikes are tried in the exporter's label order, whatever order the listing gave them in.
    #[test]
    fn lookalikes_pair_by_identity_in_label_order() {
        let wanted = [want("t", "t"), want("t", "t_2")];
        // Listed newest first; "10" is newer than "9" by id, older by creation time.
        let live = [have("9", "t", 200), have("10", "t", 100)];
        let mut ix = first_pass(&wanted, &live, None, false);
        assert_eq!(ix.lookalikes[0].1, [1, 0], "creation time first");
        // Both live objects are identical to both resources: the first resource takes the oldest.
        let amb = resolve(&mut ix, &wanted, |_, _| true);
        assert!(amb.is_empty());
        let m = build(MatchedBy::Name, &ix, &amb, &wanted, &live);
        assert_eq!(m.live_for("databricks_job.t")[0].id, "10");
        assert_eq!(m.live_for("databricks_job.t_2")[0].id, "9");

        // No identical candidate, or more candidates than resources: ambiguous, every candidate named.
        let mut ix = first_pass(&wanted, &live, None, false);
        let amb = resolve(&mut ix, &wanted, |r, _| r == 0);
        let m = build(MatchedBy::Name, &ix, &amb, &wanted, &live);
        assert_eq!(m.pairs.len(), 1);
        assert_eq!(m.ambiguous.len(), 1);
        assert_eq!(m.ambiguous[0].address, "databricks_job.t_2");
        assert!(m.unmanaged.is_empty());
        let one = [want("t", "t")];
        let mut ix = first_pass(&one, &live, None, false);
        let amb = resolve(&mut ix, &one, |_, _| true);
        let m = build(MatchedBy::Name, &ix, &amb, &one, &live);
        let ids: Vec<&str> = m
            .live_for("databricks_job.t")
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        assert_eq!(ids, ["10", "9"]);
    }

    #[test]
    fn state_ids_decide_alone() {
        let wanted = [want("t", "t"), want("t", "t_2")];
        let live = [have("9", "t", 200), have("10", "other", 100)];
        let state = super::super::StateIds(
            [
                ("databricks_job.t".to_string(), "10".to_string()),
                ("databricks_job.t_2".to_string(), "77".to_string()),
            ]
            .into_iter()
            .collect(),
        );
        let mut ix = first_pass(&wanted, &live, Some(&state), false);
        let amb = resolve(&mut ix, &wanted, |_, _| unreachable!());
        let m = build(MatchedBy::State, &ix, &amb, &wanted, &live);
        assert_eq!(m.live_for("databricks_job.t")[0].id, "10");
        assert_eq!(m.get("databricks_job.t_2"), Match::Missing);
        assert_eq!(m.unmanaged[0].id, "9");
    }

    /// For `adopt`: what the state records is settled by it, and the rest is matched by name among the live
    /// objects it leaves free, so a state that knows one of two look-alikes settles the other.
    #[test]
    fn state_then_name_matches_the_rest_by_name() {
        let wanted = [want("t", "t"), want("t", "t_2"), want("u", "u")];
        let live = [
            have("9", "t", 200),
            have("10", "t", 100),
            have("11", "u", 0),
            have("12", "v", 0),
        ];
        // By name alone, `t` and `t_2` are look-alikes of two DR jobs that nothing tells apart.
        let mut ix = first_pass(&wanted, &live, None, false);
        let amb = resolve(&mut ix, &wanted, |_, _| false);
        assert_eq!(amb.len(), 2);
        // The state knows `t_2` is "10": `t` is "9", the one left, without comparing anything.
        let state = super::super::StateIds(
            [("databricks_job.t_2".to_string(), "10".to_string())]
                .into_iter()
                .collect(),
        );
        let mut ix = first_pass(&wanted, &live, Some(&state), true);
        let amb = resolve(&mut ix, &wanted, |_, _| unreachable!());
        let m = build(MatchedBy::StateThenName, &ix, &amb, &wanted, &live);
        assert_eq!(m.live_for("databricks_job.t")[0].id, "9");
        assert_eq!(m.live_for("databricks_job.t_2")[0].id, "10");
        assert_eq!(m.live_for("databricks_job.u")[0].id, "11");
        assert_eq!(m.unmanaged.len(), 1);
        assert_eq!(m.unmanaged[0].id, "12");
        // Drift's state matching leaves the resources the state does not record missing.
        let mut ix = first_pass(&wanted, &live, Some(&state), false);
        let amb = resolve(&mut ix, &wanted, |_, _| unreachable!());
        let m = build(MatchedBy::State, &ix, &amb, &wanted, &live);
        assert_eq!(m.missing, ["databricks_job.t", "databricks_job.u"]);

        // Two look-alikes left by the state, with as many free candidates: paired by identity.
        let wanted = [want("t", "t"), want("t", "t_2"), want("t", "t_3")];
        let live = [have("1", "t", 1), have("2", "t", 2), have("3", "t", 3)];
        let state = super::super::StateIds(
            [("databricks_job.t".to_string(), "2".to_string())]
                .into_iter()
                .collect(),
        );
        let mut ix = first_pass(&wanted, &live, Some(&state), true);
        assert_eq!(ix.lookalikes.len(), 2);
        assert_eq!(
            ix.lookalikes[0].1,
            [0, 2],
            "the state's object is nobody's candidate"
        );
        let amb = resolve(&mut ix, &wanted, |r, i| {
            (r, i) == (1, 2) || (r, i) == (2, 0)
        });
        let m = build(MatchedBy::StateThenName, &ix, &amb, &wanted, &live);
        assert!(m.ambiguous.is_empty(), "{m:?}");
        assert_eq!(m.live_for("databricks_job.t_2")[0].id, "3");
        assert_eq!(m.live_for("databricks_job.t_3")[0].id, "1");
    }
}
