//! CPU-bound parts of export and drift on a synthetic workspace of 10,000 jobs, 1,000 clusters, 200 pools and
//! 100 policies (the benchmark size of the issue), with no network at all:
//!
//! - `build`: normalise + label + convert + rewrite + render + validate (`export::build`),
//! - `parse`: the rendered HCL read back as values (`tfconfig::load`),
//! - `compare`: drift of that configuration against the same inventory (`drift::compare`): with the DR
//!   rewrite rules every job differs from the primary (findings for most resources, the worst case); `compare, in
//!   sync` uses an export without rules, so nothing differs (what `bench/run` measures end to end).
//!
//! Run with `cargo bench --bench cpu`; `DRSYNC_BENCH_SPEC=jobs=1000,...` picks another size.
//! Sample sizes are small on purpose, so that the whole run takes a few minutes on two cores.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use drsync::drift::{self, Source};
use drsync::export::{self, LabelMap, Settings};
use drsync::inventory::Inventory;
use drsync::model::{Cluster, ResourceKind};
use drsync_emulator::{synthetic, SyntheticSpec};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const DEFAULT_SPEC: &str = "jobs=10000,clusters=1000,pools=200,policies=100";

/// The rules a DR export typically has (so that the rewrite step does real work), and settings made from them.
#[path = "../tests/shared/export.rs"]
mod shared;
use shared::DR_RULES as RULES;

fn decode<T: DeserializeOwned>(values: &[Value]) -> Vec<T> {
    values
        .iter()
        .map(|v| serde_json::from_value(v.clone()).expect("a synthetic body decodes"))
        .collect()
}

/// The inventory `inventory::read` would return for the synthetic workspace.
fn inventory(spec: &SyntheticSpec) -> Inventory {
    let fx = synthetic(spec, 1);
    Inventory {
        jobs: decode(&fx.jobs),
        clusters: decode::<Cluster>(&fx.clusters)
            .into_iter()
            .filter(Cluster::is_all_purpose)
            .collect(),
        libraries: decode(&fx.cluster_libraries),
        pools: decode(&fx.instance_pools),
        policies: decode(&fx.cluster_policies),
        ..Inventory::default()
    }
}

fn settings(rules: &str) -> Settings {
    shared::export_settings(rules, "https://primary.example")
}

fn source() -> Source {
    Source {
        workspace: "https://dr.example".to_string(),
        git_ref: "worktree".to_string(),
        commit: None,
        folder: "terraform/generated".to_string(),
    }
}

fn cpu(c: &mut Criterion) {
    let spec: SyntheticSpec = std::env::var("DRSYNC_BENCH_SPEC")
        .unwrap_or_else(|_| DEFAULT_SPEC.to_string())
        .parse()
        .expect("DRSYNC_BENCH_SPEC is a synthetic spec");
    let inv = inventory(&spec);
    let dr = settings(RULES);
    let schema = drsync::convert::provider_schema();
    let previous = LabelMap::default();
    let built = export::build(inv.clone(), &dr, &previous, &schema).expect("the export builds");
    let desired =
        drsync::tfconfig::load(&built.files, &[], &BTreeMap::new()).expect("the export parses");
    let plain =
        export::build(inv.clone(), &settings(""), &previous, &schema).expect("the export builds");
    let in_sync =
        drsync::tfconfig::load(&plain.files, &[], &BTreeMap::new()).expect("the export parses");
    drop(plain);

    let mut group = c.benchmark_group(format!("{} jobs", spec.jobs));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("build (normalise+rewrite+render)", |b| {
        // The inventory is consumed: each run gets a copy, made outside the measured time.
        b.iter_batched(
            || inv.clone(),
            |inv| export::build(inv, &dr, &previous, &schema).expect("builds"),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("parse (tfconfig::load)", |b| {
        b.iter(|| drsync::tfconfig::load(&built.files, &[], &BTreeMap::new()).expect("parses"))
    });
    group.bench_function("compare (drift::compare)", |b| {
        b.iter(|| {
            drift::compare(
                &desired,
                &inv,
                &ResourceKind::ALL,
                None,
                source(),
                &schema,
                &Default::default(),
            )
            .expect("compares")
        })
    });
    group.bench_function("compare, in sync (drift::compare)", |b| {
        b.iter(|| {
            drift::compare(
                &in_sync,
                &inv,
                &ResourceKind::ALL,
                None,
                source(),
                &schema,
                &Default::default(),
            )
            .expect("compares")
        })
    });
    group.finish();
}

criterion_group!(benches, cpu);
criterion_main!(benches);

/// The allocator of the `drsync` binary, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
