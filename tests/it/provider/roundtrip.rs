//! The round trip through the provider model, over `fixtures/primary`, `fixtures/dr` (as a primary) and a
//! synthetic workspace of 2,000 jobs: (a) every export passes the model's validation; (b) export → model apply
//! into an empty emulated DR → refresh → model plan shows no changes; (c) drift on that DR reports nothing;
//! (d) what DR runs has the primary's effective settings (queueing, run-as identity, pin, auto-termination,
//! pools).

use super::{apply, job, plan, refresh, validate_all, Diff, State};
use crate::common::{fixtures_dir, start};
use drsync::api::WorkspaceClient;
use drsync::drift::{self, Report, Source, StateIds};
use drsync::export::Export;
use drsync::model::ResourceKind;
use drsync::tfconfig::{self, Configuration};
use drsync_emulator::{synthetic, Emulator, EmulatorConfig, Fixtures, PolicyJson, SyntheticSpec};
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::common::client;

/// Region rules of a DR site (as `drift.rs` uses them): zones to `auto`, schedules paused, a region rename and
/// a node-type mapping.
pub const LITERAL_RULES: &str = crate::common::DR_RULES;

/// Passive mode through a variable: every schedule is `var.dr_active ? <primary> : "PAUSED"`.
pub const VARIABLE_RULES: &str = "[rewrite]\nzone_id = \"auto\"\npause = \"variable\"\n";

/// The primary's export under `rules`, and the configuration drsync reads back from it.
pub async fn export_of(primary: &Emulator, rules: &str) -> (Export, Configuration) {
    let settings = crate::common::export_settings(rules, "https://primary");
    let built =
        crate::common::build_export(crate::common::read_all(primary.url()).await, &settings);
    let loaded = tfconfig::load(&built.files, &[], &BTreeMap::new()).unwrap();
    (built, loaded)
}

pub fn fixtures(name: &str) -> Fixtures {
    Fixtures::load(&fixtures_dir(name)).unwrap()
}

pub fn synthetic_2000() -> Fixtures {
    let spec: SyntheticSpec = "jobs=2000,clusters=200,pools=20,policies=10"
        .parse()
        .unwrap();
    synthetic(&spec, 7)
}

pub async fn emulator(fixtures: Fixtures, seed: u64) -> Emulator {
    start(EmulatorConfig {
        fixtures,
        seed,
        ..EmulatorConfig::default()
    })
    .await
}

/// A primary, its export, and an empty DR emulator with that export applied by the model.
pub struct RoundTrip {
    pub primary: Emulator,
    pub dr: Emulator,
    pub export: Export,
    pub config: Configuration,
    pub state: State,
}

pub async fn round_trip(fixtures: Fixtures, rules: &str) -> RoundTrip {
    let principals = fixtures.principals_named();
    let primary = emulator(fixtures, 1).await;
    let (export, config) = export_of(&primary, rules).await;
    let dr = emulator(
        Fixtures {
            principals,
            ..crate::common::primary_identities()
        },
        11,
    )
    .await;
    let state = apply(&config, &client(dr.url()))
        .await
        .unwrap_or_else(|e| panic!("model apply: {e}"));
    RoundTrip {
        primary,
        dr,
        export,
        config,
        state,
    }
}

/// Diffs grouped by resource type and path shape, with one example each.
pub fn show(diffs: &[Diff]) -> String {
    let mut by_path: BTreeMap<String, (usize, &Diff)> = BTreeMap::new();
    for d in diffs {
        let kind = d.address.split('.').next().unwrap_or("");
        let e = by_path.entry(format!("{kind}: {}", shape(&d.path)));
        e.or_insert((0, d)).0 += 1;
    }
    by_path
        .iter()
        .map(|(k, (n, d))| {
            format!(
                "{k} x{n}, e.g. {} {}: hcl {} / state {}",
                d.address,
                d.path,
                d.config.as_ref().map_or("-".into(), cut),
                d.state.as_ref().map_or("-".into(), cut),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `tasks[3].depends_on[0].task_key` → `tasks[*].depends_on[*].task_key`.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for c in path.chars() {
        match c {
            '[' => {
                skip = true;
                out.push_str("[*]");
            }
            ']' => skip = false,
            c if !skip => out.push(c),
            _ => {}
        }
    }
    out
}

fn cut(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(160) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

/// The plan right after apply, and after a refresh (§1.5's filter can only hide); both must be empty.
pub async fn plan_after_refresh(rt: &RoundTrip) -> Vec<Diff> {
    let refreshed = refresh(&client(rt.dr.url()), &rt.config, &rt.state)
        .await
        .unwrap();
    let mut diffs = plan(&rt.config, &refreshed);
    diffs.extend(plan(&rt.config, &rt.state));
    diffs.sort_by(|a, b| (&a.address, &a.path).cmp(&(&b.address, &b.path)));
    diffs.dedup();
    diffs
}

/// Drift of the DR site against the configuration, as `tests/it/drift.rs` runs it (objects matched by name)
/// and as `drift --state` would (matched by the ids in the model's state).
pub async fn drift_of(rt: &RoundTrip) -> Vec<Report> {
    let live = drsync::inventory::read(&client(rt.dr.url()), &ResourceKind::ALL)
        .await
        .unwrap();
    let ids = StateIds(super::ids(&rt.state));
    let mut out = Vec::new();
    for state in [None, Some(&ids)] {
        let source = Source {
            workspace: "https://dr".to_string(),
            git_ref: "HEAD".to_string(),
            commit: None,
            folder: "terraform/generated".to_string(),
        };
        out.push(
            drift::compare(
                &rt.config,
                &live,
                &ResourceKind::ALL,
                state,
                source,
                &drsync::convert::provider_schema(),
                &Default::default(),
                Some(crate::common::EMULATOR_USER),
            )
            .unwrap()
            .report,
        );
    }
    out
}

/// The findings of drift reports, one line per changed field (or finding without fields).
pub fn findings(reports: &[Report]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for (i, r) in reports.iter().enumerate() {
        let how = if i == 0 { "by name" } else { "by state" };
        for f in &r.findings {
            if f.fields.is_empty() {
                out.insert(format!("{how}: {} {:?}", f.address(), f.kind));
            }
            for x in &f.fields {
                out.insert(format!(
                    "{how}: {} {:?} {}: expected {} actual {}",
                    f.address(),
                    f.kind,
                    x.path,
                    x.expected.as_ref().map_or("-".into(), cut),
                    x.actual.as_ref().map_or("-".into(), cut),
                ));
            }
        }
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------------------
// (d) effective settings

/// What one workspace runs, as seen through its API.
struct Live {
    client: WorkspaceClient,
    /// Pool id → name.
    pools: BTreeMap<String, String>,
    /// Pinned cluster ids.
    pinned: BTreeSet<String>,
}

impl Live {
    async fn read(url: &str) -> Live {
        let client = client(url);
        let listed = client
            .get("/api/2.0/instance-pools/list", &[])
            .await
            .unwrap();
        let pools = listed["instance_pools"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["instance_pool_id"].as_str().unwrap_or("").to_string(),
                    p["instance_pool_name"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let mut pinned = BTreeSet::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![("filter_by.is_pinned", "true".to_string())];
            if let Some(t) = &token {
                q.push(("page_token", t.clone()));
            }
            let page = client.get("/api/2.1/clusters/list", &q).await.unwrap();
            for c in page["clusters"].as_array().into_iter().flatten() {
                pinned.insert(c["cluster_id"].as_str().unwrap_or("").to_string());
            }
            match page["next_page_token"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Live {
            client,
            pools,
            pinned,
        }
    }

    fn pool(&self, id: &Value) -> Value {
        match id.as_str() {
            Some(id) => json!(self
                .pools
                .get(id)
                .cloned()
                .unwrap_or(format!("unknown pool {id}"))),
            None => Value::Null,
        }
    }

    /// A cluster spec's pools, by name. The driver uses the worker pool when it has none of its own (SDK
    /// docstring of `ClusterSpec.driver_instance_pool_id`).
    fn pools_of(&self, spec: &Value) -> Value {
        let driver = spec
            .get("driver_instance_pool_id")
            .or_else(|| spec.get("instance_pool_id"))
            .cloned()
            .unwrap_or(Value::Null);
        json!({"pool": self.pool(&spec["instance_pool_id"]), "driver_pool": self.pool(&driver)})
    }

    /// A job's effective settings: queueing on or off, the identity it runs as, its clusters' pools.
    async fn job(&self, id: &str) -> Value {
        let got = job::get(&self.client, id).await.unwrap();
        let s = &got["settings"];
        let mut clusters = BTreeMap::new();
        for t in s["tasks"].as_array().into_iter().flatten() {
            let key = t["task_key"].as_str().unwrap_or("");
            if let Some(c) = t.get("new_cluster") {
                clusters.insert(format!("task {key}"), self.pools_of(c));
            }
            if let Some(c) = t.pointer("/for_each_task/task/new_cluster") {
                clusters.insert(format!("task {key} for_each"), self.pools_of(c));
            }
        }
        for c in s["job_clusters"].as_array().into_iter().flatten() {
            let key = c["job_cluster_key"].as_str().unwrap_or("");
            clusters.insert(
                format!("job_cluster {key}"),
                self.pools_of(&c["new_cluster"]),
            );
        }
        json!({
            "queue": s.pointer("/queue/enabled") == Some(&Value::Bool(true)),
            "run_as_user_name": got["run_as_user_name"],
            "clusters": clusters,
        })
    }

    /// A cluster's: pinned, auto-termination (none is 0, never), pools.
    async fn cluster(&self, id: &str) -> Value {
        let got = self
            .client
            .get("/api/2.1/clusters/get", &[("cluster_id", id.to_string())])
            .await
            .unwrap();
        json!({
            "pinned": self.pinned.contains(id),
            "autotermination_minutes": got["autotermination_minutes"].as_i64().unwrap_or(0),
            "pools": self.pools_of(&got),
        })
    }

    async fn effective(&self, kind: ResourceKind, id: &str) -> Value {
        match kind {
            ResourceKind::Jobs => self.job(id).await,
            _ => self.cluster(id).await,
        }
    }
}

/// Every exported job and cluster whose effective settings differ between the primary and DR.
pub async fn effective_differences(rt: &RoundTrip) -> Vec<String> {
    let (primary, dr) = (
        Live::read(rt.primary.url()).await,
        Live::read(rt.dr.url()).await,
    );
    let pairs: Vec<(String, ResourceKind, String, String)> = rt
        .export
        .resources
        .iter()
        .filter(|e| matches!(e.kind, ResourceKind::Jobs | ResourceKind::Clusters))
        .map(|e| {
            let address = e.address();
            let dr_id = rt.state[&address].id.clone();
            (address, e.kind, e.id.clone(), dr_id)
        })
        .collect();
    let (primary, dr) = (&primary, &dr);
    let mut out: Vec<String> = stream::iter(pairs)
        .map(|(address, kind, p, d)| async move {
            let (want, got) = (
                primary.effective(kind, &p).await,
                dr.effective(kind, &d).await,
            );
            (want != got).then(|| format!("{address}: primary {want} / DR {got}"))
        })
        .buffer_unordered(8)
        .filter_map(|x| async move { x })
        .collect()
        .await;
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------------------
// The tests

async fn violations_of(fixtures: Fixtures, rules: &str) -> Vec<String> {
    let primary = emulator(fixtures, 1).await;
    let (_, config) = export_of(&primary, rules).await;
    assert!(!config.resources.is_empty());
    validate_all(&config)
        .iter()
        .map(|v| format!("{}: {:?}: {}", v.address, v.check, v.message))
        .collect()
}

async fn assert_plan_clean(fixtures: Fixtures, rules: &str) {
    let rt = round_trip(fixtures, rules).await;
    assert_eq!(rt.state.len(), rt.config.resources.len());
    let diffs = plan_after_refresh(&rt).await;
    assert!(diffs.is_empty(), "{} diffs:\n{}", diffs.len(), show(&diffs));
}

async fn assert_no_drift(fixtures: Fixtures, rules: &str) {
    let rt = round_trip(fixtures, rules).await;
    let found = findings(&drift_of(&rt).await);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

async fn assert_effective_settings_kept(fixtures: Fixtures, rules: &str) {
    let rt = round_trip(fixtures, rules).await;
    let differences = effective_differences(&rt).await;
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[tokio::test]
async fn primary_export_validates() {
    let v = violations_of(fixtures("primary"), LITERAL_RULES).await;
    assert!(v.is_empty(), "{}", v.join("\n"));
}

#[tokio::test]
async fn dr_export_validates() {
    let v = violations_of(fixtures("dr"), VARIABLE_RULES).await;
    assert!(v.is_empty(), "{}", v.join("\n"));
}

#[tokio::test]
async fn synthetic_export_validates() {
    let v = violations_of(synthetic_2000(), "").await;
    assert!(v.is_empty(), "{} violations:\n{}", v.len(), v.join("\n"));
}

#[tokio::test]
async fn primary_apply_then_plan_is_clean() {
    assert_plan_clean(fixtures("primary"), LITERAL_RULES).await;
}

#[tokio::test]
async fn dr_apply_then_plan_is_clean() {
    assert_plan_clean(fixtures("dr"), VARIABLE_RULES).await;
}

#[tokio::test]
async fn primary_apply_then_drift_is_empty() {
    assert_no_drift(fixtures("primary"), LITERAL_RULES).await;
}

#[tokio::test]
async fn dr_apply_then_drift_is_empty() {
    assert_no_drift(fixtures("dr"), VARIABLE_RULES).await;
}

#[tokio::test]
async fn primary_effective_settings_reach_dr() {
    assert_effective_settings_kept(fixtures("primary"), LITERAL_RULES).await;
}

#[tokio::test]
async fn dr_effective_settings_reach_dr() {
    assert_effective_settings_kept(fixtures("dr"), VARIABLE_RULES).await;
}

/// (b), (c) and (d) for the synthetic workspace in one test: its export and apply are the expensive part.
#[tokio::test]
async fn synthetic_round_trip() {
    let rt = round_trip(synthetic_2000(), "").await;
    let mut failures = Vec::new();
    let diffs = plan_after_refresh(&rt).await;
    if !diffs.is_empty() {
        failures.push(format!("(b) {} plan diffs:\n{}", diffs.len(), show(&diffs)));
    }
    let found = findings(&drift_of(&rt).await);
    if !found.is_empty() {
        failures.push(format!(
            "(c) {} drift findings, e.g.:\n{}",
            found.len(),
            found[..found.len().min(20)].join("\n")
        ));
    }
    let differences = effective_differences(&rt).await;
    if !differences.is_empty() {
        failures.push(format!(
            "(d) {} objects differ, e.g.:\n{}",
            differences.len(),
            differences[..differences.len().min(20)].join("\n")
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Issue 13, defect 15: whether the API echoes a policy definition byte for byte or re-serialises it is open
/// (provider-behaviour.md §14 Q1), and the provider compares the raw strings (§5.4). The plan after an apply is
/// clean either way, for definitions with float values, `<`, `>`, `&`, unicode and pool references.
#[tokio::test]
async fn policy_definitions_plan_clean_whether_echoed_or_reserialized() {
    let mut primary = fixtures("primary");
    let pool = primary.instance_pools[0]["instance_pool_id"].clone();
    primary.cluster_policies.push(serde_json::json!({
        "policy_id": "E0000000000000AB",
        "name": "escapes-and-floats",
        "definition": serde_json::json!({
            "spark_conf.spark.note": {"type": "fixed", "value": "a < b && c > d \u{2028} été"},
            "autotermination_minutes": {"type": "range", "maxValue": 120.0, "defaultValue": 60},
            "instance_pool_id": {"type": "fixed", "value": pool, "hidden": true}
        })
        .to_string()
    }));
    for mode in [PolicyJson::Echo, PolicyJson::Reserialize] {
        let primary = emulator(primary.clone(), 1).await;
        let (export, config) = export_of(&primary, LITERAL_RULES).await;
        let definition = &export.files["cluster_policies.tf"];
        assert!(
            definition.contains("databricks_instance_pool."),
            "the pool id is a reference"
        );
        let dr = start(EmulatorConfig {
            fixtures: crate::common::dr_of_primary(),
            seed: 11,
            policy_json: mode,
            ..EmulatorConfig::default()
        })
        .await;
        let state = apply(&config, &client(dr.url()))
            .await
            .unwrap_or_else(|e| panic!("model apply: {e}"));
        let rt = RoundTrip {
            primary,
            dr,
            export,
            config,
            state,
        };
        let diffs = plan_after_refresh(&rt).await;
        assert!(
            diffs.is_empty(),
            "{mode:?}: {} diffs:\n{}",
            diffs.len(),
            show(&diffs)
        );
    }
}
