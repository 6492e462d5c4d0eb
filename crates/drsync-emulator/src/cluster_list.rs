//! What `clusters/list` derives from the stored clusters: the `filter_by.*` filters, the sort orders (and the
//! index `state::Clusters` keeps of them between changes), page tokens and pages. Pure: no handlers, no state
//! changes; the handlers in `clusters` advance the clusters between states before they list them.

use super::error::ApiError;
use super::json::str_field;
use super::params::{Query, DIRECTIONS};
use super::view::{Obj, Part};
use base64::Engine;
use serde_json::Value;
use std::cell::OnceCell;
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// The cluster states `filter_by.cluster_states` accepts, in the order its error lists them, each with its rank
/// in the default list order (running first, then the ones on their way up, then the ones down).
const STATES: [(&str, usize); 8] = [
    ("PENDING", 1),
    ("RUNNING", 0),
    ("RESTARTING", 2),
    ("RESIZING", 3),
    ("TERMINATING", 4),
    ("TERMINATED", 5),
    ("ERROR", 6),
    ("UNKNOWN", 7),
];

const SOURCES: &[&str] = &[
    "API",
    "JOB",
    "MODELS",
    "PIPELINE",
    "PIPELINE_MAINTENANCE",
    "SQL",
    "UI",
];

/// Whether a cluster is between states (the next read advances it).
pub(crate) fn is_transitional(c: &Value) -> bool {
    matches!(
        str_field(c, "state"),
        "PENDING" | "RESTARTING" | "RESIZING" | "TERMINATING"
    )
}

/// `filter_by.*` of `2.1/clusters/list`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Filter {
    states: Vec<String>,
    sources: Vec<String>,
    is_pinned: Option<bool>,
    policy_id: Option<String>,
}

impl Filter {
    pub(crate) fn parse(q: &Query) -> Result<Self, ApiError> {
        let enum_values = |key: &str, allowed: &[&str]| -> Result<Vec<String>, ApiError> {
            q.get_all(key)
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    if allowed.contains(&v) {
                        Ok(v.to_string())
                    } else {
                        Err(ApiError::invalid_parameter(format!(
                            "Invalid value '{v}' for parameter {key}. Allowed values: {}",
                            allowed.join(", ")
                        )))
                    }
                })
                .collect()
        };
        Ok(Filter {
            states: enum_values("filter_by.cluster_states", &STATES.map(|(s, _)| s))?,
            sources: enum_values("filter_by.cluster_sources", SOURCES)?,
            is_pinned: q.get_bool("filter_by.is_pinned")?,
            policy_id: q.get("filter_by.policy_id").map(str::to_string),
        })
    }

    /// Whether a cluster passes; it looks up only the fields a filter is set for. `is_pinned` matches the clusters
    /// that carry `pinned_by_user_name` (see the `clusters/pin` handler).
    pub(crate) fn matches(&self, c: &Value) -> bool {
        (self.states.is_empty() || {
            let state = str_field(c, "state");
            self.states.iter().any(|s| s == state)
        }) && (self.sources.is_empty() || {
            let source = str_field(c, "cluster_source");
            self.sources.iter().any(|s| s == source)
        }) && self
            .is_pinned
            .is_none_or(|p| p == c.get("pinned_by_user_name").is_some())
            && self
                .policy_id
                .as_deref()
                .is_none_or(|p| str_field(c, "policy_id") == p)
    }
}

/// `sort_by.field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortField {
    /// State, then pinned before unpinned, then name: the service's default order (SDK `ListClustersSortBy`:
    /// "highest to lowest precedence: cluster state, pinned or unpinned, then cluster name",
    /// sdk@v0.93.0:service/compute/model.go:4542ff).
    Default,
    ClusterName,
}

pub(crate) fn parse_sort(q: &Query) -> Result<(SortField, bool), ApiError> {
    let field = q.get_choice(
        "sort_by.field",
        &[("DEFAULT", SortField::Default), ("CLUSTER_NAME", SortField::ClusterName)],
        |other| {
            format!("Invalid value '{other}' for parameter sort_by.field. Allowed values: CLUSTER_NAME, DEFAULT")
        },
    )?;
    let desc = q.get_choice("sort_by.direction", DIRECTIONS, |other| {
        format!(
            "Invalid value '{other}' for parameter sort_by.direction. Allowed values: ASC, DESC"
        )
    })?;
    Ok((field.unwrap_or(SortField::Default), desc.unwrap_or(false)))
}

fn state_rank(c: &Value) -> usize {
    let state = str_field(c, "state");
    STATES
        .iter()
        .find(|(s, _)| *s == state)
        .map_or(STATES.len(), |(_, rank)| *rank)
}

/// Where a cluster sorts: by name (case-insensitive, then as written) and id; the default order puts state rank
/// and pinned-before-unpinned first.
type SortKey<'a> = (usize, bool, String, &'a str, &'a str);

fn sort_key(c: &Value, field: SortField) -> SortKey<'_> {
    let name = str_field(c, "cluster_name");
    let (rank, unpinned) = match field {
        SortField::ClusterName => (0, false),
        SortField::Default => (state_rank(c), c.get("pinned_by_user_name").is_none()),
    };
    (
        rank,
        unpinned,
        name.to_lowercase(),
        name,
        str_field(c, "cluster_id"),
    )
}

/// The positions of `items` in sort order: a stable sort, each key computed once.
pub(crate) fn sort_order(items: &[&Value], field: SortField, desc: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    if desc {
        order.sort_by_cached_key(|i| Reverse(sort_key(items[*i], field)));
    } else {
        order.sort_by_cached_key(|i| sort_key(items[*i], field));
    }
    order
}

/// What every `clusters/list` needs from all the clusters, derived once per change (see `state::Clusters`):
/// which clusters are between states, and each sort order (built on first use).
#[derive(Debug, Default)]
pub(crate) struct ListIndex {
    /// Ids of the clusters the next read advances.
    transitional: Vec<String>,
    /// Positions in the id-ordered map, per sort field and direction (see [`ListIndex::slot`]).
    orders: [OnceCell<Vec<usize>>; 4],
}

impl ListIndex {
    pub(crate) fn new(clusters: &BTreeMap<String, Value>) -> Self {
        ListIndex {
            transitional: clusters
                .iter()
                .filter(|(_, c)| is_transitional(c))
                .map(|(id, _)| id.clone())
                .collect(),
            orders: Default::default(),
        }
    }

    /// Ids of the clusters between states, which the next read advances.
    pub(crate) fn transitional(&self) -> &[String] {
        &self.transitional
    }

    fn slot(field: SortField, desc: bool) -> usize {
        let field = match field {
            SortField::Default => 0,
            SortField::ClusterName => 2,
        };
        field + usize::from(desc)
    }

    /// The clusters in the given order. `all` must be the values of the map this index was built from.
    pub(crate) fn sorted<'a>(
        &self,
        all: &[&'a Value],
        field: SortField,
        desc: bool,
    ) -> Vec<&'a Value> {
        self.orders[Self::slot(field, desc)]
            .get_or_init(|| sort_order(all, field, desc))
            .iter()
            .filter_map(|i| all.get(*i).copied())
            .collect()
    }
}

pub(crate) fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("clusters/list:{offset}"))
}

pub(crate) fn decode_token(token: &str) -> Result<usize, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.strip_prefix("clusters/list:")
                .and_then(|n| n.parse().ok())
        })
        .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid page token: {token}")))
}

/// A list item: the `get` body without `spec` ("`spec` is **not** included in list items", databricks-api.md
/// §1.2 notes and §4 Clusters), borrowed from the stored cluster.
pub(crate) fn list_item(c: &Value) -> Part<'_> {
    match c.as_object() {
        Some(o) => Part::Obj(Obj::from_map(o, |k, _| k != "spec")),
        None => Part::Value(c),
    }
}

/// One page of `2.1/clusters/list`, from the already filtered and sorted clusters.
pub(crate) fn page<'a>(items: &[&'a Value], offset: usize, size: usize) -> Obj<'a> {
    let mut body = Obj::with_capacity(3);
    let offset = offset.min(items.len());
    let end = offset.saturating_add(size).min(items.len());
    if end > offset {
        body.put(
            "clusters",
            Part::List(items[offset..end].iter().map(|c| list_item(c)).collect()),
        );
    }
    if end < items.len() {
        body.put("next_page_token", Part::String(encode_token(end)));
    }
    if offset > 0 {
        body.put(
            "prev_page_token",
            Part::String(encode_token(offset.saturating_sub(size))),
        );
    }
    body
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn cluster(id: &str, name: &str, state: &str, source: &str, pinned: bool) -> Value {
        let mut c = json!({"cluster_id": id, "cluster_name": name, "state": state, "cluster_source": source});
        if pinned {
            c["pinned_by_user_name"] = json!("100");
        }
        c
    }

    #[test]
    fn filters() {
        let q = Query::parse(Some(
            "filter_by.cluster_sources=UI&filter_by.cluster_sources=API&filter_by.is_pinned=True",
        ));
        let f = Filter::parse(&q).unwrap();
        assert!(f.matches(&cluster("a", "a", "RUNNING", "UI", true)));
        assert!(!f.matches(&cluster("b", "b", "RUNNING", "JOB", true)));
        assert!(!f.matches(&cluster("c", "c", "RUNNING", "API", false)));
        let f = Filter::parse(&Query::parse(Some(
            "filter_by.cluster_states=TERMINATED&filter_by.policy_id=P1",
        )))
        .unwrap();
        let mut c = cluster("d", "d", "TERMINATED", "UI", false);
        assert!(!f.matches(&c));
        c["policy_id"] = json!("P1");
        assert!(f.matches(&c));
        assert!(Filter::parse(&Query::parse(Some("filter_by.cluster_states=NAPPING"))).is_err());
        assert!(Filter::parse(&Query::parse(Some("filter_by.is_pinned=maybe"))).is_err());
    }

    #[test]
    fn default_sort_is_state_then_pinned_then_name() {
        let items = [
            cluster("1", "zeta", "TERMINATED", "UI", false),
            cluster("2", "beta", "RUNNING", "UI", false),
            cluster("3", "Alpha", "RUNNING", "UI", false),
            cluster("4", "omega", "RUNNING", "UI", true),
            cluster("5", "alpha", "TERMINATED", "UI", true),
        ];
        let items: Vec<&Value> = items.iter().collect();
        let ids: Vec<&str> = sort_order(&items, SortField::Default, false)
            .into_iter()
            .map(|i| str_field(items[i], "cluster_id"))
            .collect();
        assert_eq!(ids, ["4", "3", "2", "5", "1"]);
        let names: Vec<&str> = sort_order(&items, SortField::ClusterName, true)
            .into_iter()
            .map(|i| str_field(items[i], "cluster_name"))
            .collect();
        assert_eq!(names, ["zeta", "omega", "beta", "alpha", "Alpha"]);
        let q = Query::parse(Some("sort_by.field=CLUSTER_NAME&sort_by.direction=DESC"));
        assert_eq!(parse_sort(&q).unwrap(), (SortField::ClusterName, true));
        assert!(parse_sort(&Query::parse(Some("sort_by.field=SIZE"))).is_err());
    }

    #[test]
    fn paging_tokens_round_trip_and_pages_link() {
        assert_eq!(decode_token(&encode_token(200)).unwrap(), 200);
        assert!(decode_token("garbage!").is_err());
        let stored: Vec<Value> = (0..5)
            .map(|i| json!({"cluster_id": i.to_string(), "spec": {}}))
            .collect();
        let items: Vec<&Value> = stored.iter().collect();
        let page = |items: &[&Value], offset, size| {
            serde_json::to_value(page(items, offset, size)).unwrap()
        };
        let first = page(&items, 0, 2);
        assert_eq!(first["clusters"].as_array().unwrap().len(), 2);
        assert!(first.get("prev_page_token").is_none());
        assert!(first["clusters"][0].get("spec").is_none());
        let next = decode_token(first["next_page_token"].as_str().unwrap()).unwrap();
        let last = page(&items, 4, 2);
        assert!(last.get("next_page_token").is_none());
        assert_eq!(
            decode_token(last["prev_page_token"].as_str().unwrap()).unwrap(),
            2
        );
        assert_eq!(next, 2);
        assert_eq!(page(&[], 0, 100), json!({}));
    }
}
