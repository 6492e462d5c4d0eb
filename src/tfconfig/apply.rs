//! Creates the resources of a configuration in a workspace through the REST API, as `terraform apply` with the
//! provider would in an empty workspace: pools and policies (which may name pools) first, then clusters (with their libraries), then
//! jobs in reference order. For seeding emulated DR workspaces in tests and the demo; it is not a Terraform:
//! no state, no plan, no updates or deletes.

use super::{api_body, parse_reference, Configuration, Resource};
use crate::api::{Error, WorkspaceClient};
use serde_json::Value;
use std::collections::BTreeMap;

/// The ids the created resources got, by address.
pub type Applied = BTreeMap<String, String>;

/// Create every resource of `config` in the workspace behind `client`.
pub async fn apply(client: &WorkspaceClient, config: &Configuration) -> Result<Applied, Error> {
    let mut ids: Applied = BTreeMap::new();
    let of = |t: &'static str| {
        config
            .resources
            .iter()
            .filter(move |r| r.resource_type == t)
    };
    for r in of("databricks_instance_pool") {
        let body = resolve(api_body(r), &ids);
        let resp = client.post("/api/2.0/instance-pools/create", &body).await?;
        ids.insert(r.address(), text(&resp["instance_pool_id"]));
    }
    for r in of("databricks_cluster_policy") {
        let body = resolve(api_body(r), &ids);
        let resp = client
            .post("/api/2.0/policies/clusters/create", &body)
            .await?;
        ids.insert(r.address(), text(&resp["policy_id"]));
    }
    for r in of("databricks_cluster") {
        let mut body = resolve(api_body(r), &ids);
        let (libraries, pinned) = match body.as_object_mut() {
            Some(o) => {
                // Provider-only flags, and its default auto-termination (provider-behaviour.md §3.2).
                o.remove("no_wait");
                o.entry("autotermination_minutes")
                    .or_insert(serde_json::json!(60));
                (
                    o.remove("libraries"),
                    o.remove("is_pinned") == Some(Value::Bool(true)),
                )
            }
            None => (None, false),
        };
        let resp = client.post("/api/2.1/clusters/create", &body).await?;
        let id = text(&resp["cluster_id"]);
        if pinned {
            client
                .post(
                    "/api/2.1/clusters/pin",
                    &serde_json::json!({ "cluster_id": id }),
                )
                .await?;
        }
        if let Some(libs) = libraries {
            client
                .post(
                    "/api/2.0/libraries/install",
                    &serde_json::json!({"cluster_id": id, "libraries": libs}),
                )
                .await?;
        }
        ids.insert(r.address(), id);
    }
    // Jobs that run other jobs need those jobs' ids: create in dependency order.
    // The provider sends `queue { enabled = false }` for a job without a queue block (provider-behaviour.md §2.2).
    let job_body = |r: &Resource| {
        let mut body = api_body(r);
        if let Some(o) = body.as_object_mut() {
            o.entry("queue")
                .or_insert(serde_json::json!({ "enabled": false }));
        }
        body
    };
    let mut pending: Vec<&Resource> = of("databricks_job").collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut next = Vec::new();
        for r in pending {
            let body = job_body(r);
            if references(&body)
                .iter()
                .all(|a| ids.contains_key(a) || !a.starts_with("databricks_job."))
            {
                let resp = client
                    .post("/api/2.2/jobs/create", &resolve(body, &ids))
                    .await?;
                ids.insert(r.address(), text(&resp["job_id"]));
            } else {
                next.push(r);
            }
        }
        if next.len() == before {
            // A cycle cannot be written in Terraform; create the rest as they are.
            for r in &next {
                let resp = client
                    .post("/api/2.2/jobs/create", &resolve(job_body(r), &ids))
                    .await?;
                ids.insert(r.address(), text(&resp["job_id"]));
            }
            break;
        }
        pending = next;
    }
    Ok(ids)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn references(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(v, &mut |s| {
        if let Some((t, l)) = parse_reference(s) {
            out.push(format!("{t}.{l}"));
        }
    });
    out
}

fn walk(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|i| walk(i, f)),
        Value::Object(m) => m.values().for_each(|i| walk(i, f)),
        _ => {}
    }
}

/// Replace reference markers by the ids of created resources (a job id as a number, as the API takes it).
fn resolve(v: Value, ids: &Applied) -> Value {
    match v {
        Value::String(s) => match parse_reference(&s) {
            Some((t, l)) => match ids.get(&format!("{t}.{l}")) {
                Some(id) if t == "databricks_job" => id
                    .parse::<i64>()
                    .map_or(Value::String(id.clone()), Value::from),
                Some(id) => Value::String(id.clone()),
                None => Value::String(s),
            },
            None => Value::String(resolve_in_json_text(s, ids)),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(|i| resolve(i, ids)).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, resolve(v, ids))).collect())
        }
        other => other,
    }
}

/// References inside a JSON document held as a string (a policy definition's `jsonencode({...})`), where the
/// marker's control character is written `\u0001`.
fn resolve_in_json_text(s: String, ids: &Applied) -> String {
    let escaped = super::reference("", "").replace('\u{1}', "\\u0001");
    let prefix = escaped.trim_end_matches('.');
    if !s.contains(prefix) {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at]);
        let after = &rest[at + prefix.len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .unwrap_or(after.len());
        match ids.get(&after[..end]) {
            Some(id) => out.push_str(id),
            None => out.push_str(&rest[at..at + prefix.len() + end]),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
