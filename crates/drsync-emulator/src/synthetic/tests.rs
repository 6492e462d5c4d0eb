//! Unit tests of the synthetic generator: the spec syntax, determinism, exact counts, the shape of real bodies and
//! references that resolve.

use super::*;
use std::collections::BTreeSet;

fn spec(jobs: usize, clusters: usize, pools: usize, policies: usize) -> SyntheticSpec {
    SyntheticSpec {
        jobs,
        clusters,
        pools,
        policies,
    }
}

fn to_json(f: &Fixtures) -> String {
    serde_json::to_string(&json!({
        "jobs": f.jobs,
        "clusters": f.clusters,
        "instance_pools": f.instance_pools,
        "cluster_policies": f.cluster_policies,
        "cluster_libraries": f.cluster_libraries,
        "workspace_objects": f.workspace_objects,
        "instance_profiles": f.instance_profiles,
        "secret_scopes": f.secret_scopes,
    }))
    .unwrap()
}

fn err(s: &str) -> String {
    s.parse::<SyntheticSpec>().unwrap_err().to_string()
}

#[test]
fn parses_any_subset_of_keys() {
    assert_eq!(
        "jobs=10000,clusters=1000,pools=200,policies=100"
            .parse::<SyntheticSpec>()
            .unwrap(),
        spec(10_000, 1000, 200, 100)
    );
    assert_eq!(
        " policies = 3 , jobs=7 ".parse::<SyntheticSpec>().unwrap(),
        spec(7, 0, 0, 3)
    );
    let s = spec(1, 2, 3, 4);
    assert_eq!(s.to_string().parse::<SyntheticSpec>().unwrap(), s);
}

#[test]
fn parse_errors_name_the_culprit() {
    let e = err("jobs=10,widgets=5");
    assert!(e.contains("unknown key `widgets`"), "{e}");
    assert!(e.contains("synthetic workspace"), "{e}");
    let e = err("jobs=ten");
    assert!(e.contains("`jobs`") && e.contains("`ten`"), "{e}");
    let e = err("clusters=-1");
    assert!(e.contains("`clusters`") && e.contains("`-1`"), "{e}");
    assert!(err("pools").contains("`pools` is not KEY=N"));
    assert!(err("jobs=1,jobs=2").contains("`jobs` is given twice"));
    assert!(err("").contains("expected KEY=N"));
    assert!(err("jobs=1,").contains("`` is not KEY=N"));
    assert!(err("policies=99999999").contains("at most"));
    assert!(matches!(
        "x=1".parse::<SyntheticSpec>(),
        Err(Error::Spec { .. })
    ));
}

#[test]
fn same_seed_same_bytes_other_seed_other_workspace() {
    let s = spec(300, 60, 10, 8);
    let a = to_json(&synthetic(&s, 7));
    assert_eq!(a, to_json(&synthetic(&s, 7)));
    assert_ne!(a, to_json(&synthetic(&s, 8)));
}

#[test]
fn counts_are_exact_and_sources_realistic() {
    let f = synthetic(&spec(1000, 200, 20, 10), 1);
    assert_eq!(f.jobs.len(), 1000);
    assert_eq!(f.clusters.len(), 200);
    assert_eq!(f.instance_pools.len(), 20);
    assert_eq!(f.cluster_policies.len(), 10);
    let source = |s: &str| {
        f.clusters
            .iter()
            .filter(|c| c["cluster_source"] == s)
            .count()
    };
    assert_eq!(source("JOB"), 40);
    assert_eq!(source("UI") + source("API"), 160);
    assert!(source("UI") > source("API"));
    assert!(f.node_types.is_none() && f.spark_versions.is_none() && f.zones.is_none());
    // Nothing at all is fine too, and clusters without jobs are all all-purpose.
    let empty = synthetic(&SyntheticSpec::default(), 1);
    assert!(empty.jobs.is_empty() && empty.clusters.is_empty());
    let only = synthetic(&spec(0, 10, 0, 0), 1);
    assert!(only.clusters.iter().all(|c| c["cluster_source"] != "JOB"));
    let jobs_only = synthetic(&spec(50, 0, 0, 0), 1);
    assert_eq!(jobs_only.jobs.len(), 50);
}

#[test]
fn jobs_have_the_shape_of_real_ones() {
    let f = synthetic(&spec(2000, 200, 20, 10), 3);
    let mut last = 0;
    let mut ids = BTreeSet::new();
    let mut big = 0;
    let (mut on_job_clusters, mut schedules, mut unpaused) = (0, 0, 0);
    let (mut continuous, mut file_arrival, mut multi) = (0, 0, 0);
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for job in &f.jobs {
        let created = job["created_time"].as_i64().unwrap();
        assert!(created > last, "created_time strictly increases");
        last = created;
        assert!(ids.insert(job["job_id"].as_i64().unwrap()));
        assert!(job["run_as_user_name"].is_string());
        let s = &job["settings"];
        assert_eq!(s["format"], "MULTI_TASK");
        *names.entry(s["name"].as_str().unwrap()).or_default() += 1;
        let tasks = s["tasks"].as_array().unwrap();
        if tasks.len() > 100 {
            big += 1;
            assert!(tasks.len() <= 150);
        } else {
            assert!((1..=8).contains(&tasks.len()));
        }
        if tasks.len() > 1 {
            multi += 1;
        }
        let keys: BTreeSet<&str> = tasks
            .iter()
            .map(|t| t["task_key"].as_str().unwrap())
            .collect();
        assert_eq!(keys.len(), tasks.len(), "task keys are unique");
        let clusters: BTreeSet<&str> = s["job_clusters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["job_cluster_key"].as_str().unwrap())
            .collect();
        if !clusters.is_empty() {
            on_job_clusters += 1;
            assert!(clusters.len() <= 3);
        }
        for t in tasks {
            assert!(t["run_if"].is_string());
            for d in t["depends_on"].as_array().into_iter().flatten() {
                assert!(keys.contains(d["task_key"].as_str().unwrap()));
            }
            if let Some(k) = t["job_cluster_key"].as_str() {
                assert!(clusters.contains(k));
            }
        }
        if let Some(sched) = s.get("schedule") {
            schedules += 1;
            unpaused += usize::from(sched["pause_status"] == "UNPAUSED");
        }
        continuous += usize::from(s.get("continuous").is_some());
        file_arrival += usize::from(s["trigger"].get("file_arrival").is_some());
    }
    assert_eq!(big, 20, "1% of the jobs are over 100 tasks");
    assert!((1100..1400).contains(&on_job_clusters), "{on_job_clusters}");
    assert!(schedules > 900 && unpaused * 10 > schedules * 8);
    assert!(continuous > 20 && file_arrival > 40);
    assert!(multi > 1000);
    let dups: usize = names.values().filter(|&&n| n > 1).map(|n| n - 1).sum();
    assert!((2..40).contains(&dups), "{dups} duplicate names");
}

/// Every string under `key` anywhere in `v`.
fn strings_under<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key {
                    if let Some(s) = x.as_str() {
                        out.push(s);
                    }
                }
                strings_under(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| strings_under(x, key, out)),
        _ => {}
    }
}

fn all_under<'a>(items: &'a [Value], key: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    items.iter().for_each(|v| strings_under(v, key, &mut out));
    out
}

#[test]
fn every_reference_resolves() {
    let f = synthetic(&spec(1500, 300, 30, 12), 11);
    let ids = |items: &[Value], key: &str| -> BTreeSet<String> {
        items
            .iter()
            .map(|v| v[key].as_str().unwrap().to_string())
            .collect()
    };
    let pools = ids(&f.instance_pools, "instance_pool_id");
    let policies = ids(&f.cluster_policies, "policy_id");
    let all_purpose: BTreeSet<String> = f
        .clusters
        .iter()
        .filter(|c| c["cluster_source"] != "JOB")
        .map(|c| c["cluster_id"].as_str().unwrap().to_string())
        .collect();
    let job_ids: BTreeSet<i64> = f
        .jobs
        .iter()
        .map(|j| j["job_id"].as_i64().unwrap())
        .collect();
    assert_eq!(pools.len(), 30);
    assert_eq!(policies.len(), 12);
    assert_eq!(
        ids(&f.clusters, "cluster_id").len(),
        300,
        "cluster ids are unique"
    );
    let pool_names = ids(&f.instance_pools, "instance_pool_name");
    let policy_names = ids(&f.cluster_policies, "name");
    assert_eq!(
        (pool_names.len(), policy_names.len()),
        (30, 12),
        "pool and policy names are unique"
    );

    let everything: Vec<Value> = [&f.jobs, &f.clusters, &f.cluster_policies]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let existing = all_under(&f.jobs, "existing_cluster_id");
    assert!(existing.len() > 100);
    assert!(existing.iter().all(|id| all_purpose.contains(*id)));
    let mut pool_refs = all_under(&everything, "instance_pool_id");
    pool_refs.extend(all_under(&everything, "driver_instance_pool_id"));
    let in_jobs = all_under(&f.jobs, "instance_pool_id").len();
    assert!(in_jobs > 50, "pool-backed job clusters: {in_jobs}");
    assert!(
        pool_refs.iter().all(|id| pools.contains(*id)),
        "pool ids resolve"
    );
    let policy_refs = all_under(&everything, "policy_id");
    assert!(all_under(&f.jobs, "policy_id").len() > 100);
    assert!(
        policy_refs.iter().all(|id| policies.contains(*id)),
        "policy ids resolve"
    );
    for p in &f.cluster_policies {
        let def: Value = serde_json::from_str(p["definition"].as_str().unwrap()).unwrap();
        assert!(def.is_object());
        if let Some(pool) = def["instance_pool_id"]["value"].as_str() {
            assert!(pools.contains(pool));
        }
    }
    let mut run_job = 0;
    for job in &f.jobs {
        for t in job["settings"]["tasks"].as_array().unwrap() {
            if let Some(id) = t["run_job_task"]["job_id"].as_i64() {
                run_job += 1;
                assert!(job_ids.contains(&id));
            }
        }
    }
    assert!(run_job > 10);
    for c in f.clusters.iter().filter(|c| c["cluster_source"] == "JOB") {
        let id: i64 = c["default_tags"]["JobId"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(job_ids.contains(&id));
    }
    for l in &f.cluster_libraries {
        assert!(all_purpose.contains(l["cluster_id"].as_str().unwrap()));
    }
    assert!(!f.cluster_libraries.is_empty());

    // Code paths, instance profiles, secret scopes.
    let objects: BTreeMap<&str, &str> = f
        .workspace_objects
        .iter()
        .map(|o| {
            (
                o["path"].as_str().unwrap(),
                o["object_type"].as_str().unwrap(),
            )
        })
        .collect();
    for job in &f.jobs {
        for t in job["settings"]["tasks"].as_array().unwrap() {
            if t["notebook_task"]["source"] == "WORKSPACE" {
                let path = t["notebook_task"]["notebook_path"].as_str().unwrap();
                assert_eq!(objects.get(path), Some(&"NOTEBOOK"), "{path}");
            }
            if t["spark_python_task"]["source"] == "WORKSPACE" {
                let path = t["spark_python_task"]["python_file"].as_str().unwrap();
                let path = path.strip_prefix("/Workspace").unwrap();
                assert_eq!(objects.get(path), Some(&"FILE"), "{path}");
            }
        }
    }
    for path in objects.keys() {
        let parent = &path[..path.rfind('/').unwrap()];
        assert!(
            parent.is_empty() || objects.contains_key(parent),
            "{parent}"
        );
    }
    let object_ids: BTreeSet<i64> = f
        .workspace_objects
        .iter()
        .map(|o| o["object_id"].as_i64().unwrap())
        .collect();
    assert_eq!(object_ids.len(), f.workspace_objects.len());
    let profiles: Vec<&str> = all_under(
        std::slice::from_ref(f.instance_profiles.as_ref().unwrap()),
        "instance_profile_arn",
    );
    for arn in all_under(&everything, "instance_profile_arn") {
        assert!(profiles.contains(&arn), "{arn}");
    }
    let scopes = all_under(
        std::slice::from_ref(f.secret_scopes.as_ref().unwrap()),
        "name",
    );
    let text = to_json(&f);
    for (at, _) in text.match_indices("{{secrets/") {
        let scope = text[at + 10..].split('/').next().unwrap();
        assert!(scopes.contains(&scope), "{scope}");
    }
}

#[test]
fn node_types_runtimes_and_zones_come_from_the_catalog() {
    let versions = catalog::spark_versions();
    let keys: BTreeSet<&str> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    for (k, _) in RUNTIMES {
        assert!(keys.contains(k), "{k}");
    }
    for k in ML_RUNTIMES
        .iter()
        .chain(GPU_RUNTIMES)
        .chain(POLICY_RUNTIMES)
    {
        assert!(keys.contains(k), "{k}");
    }
    let nodes: BTreeSet<String> = usable_nodes().into_iter().map(|n| n.id).collect();
    assert!(
        nodes.contains("i3.xlarge")
            && !nodes.contains("m5dn.large")
            && !nodes.contains("c4.2xlarge")
    );
    let zones = catalog::zones(Cloud::Aws);
    let f = synthetic(&spec(800, 200, 20, 10), 5);
    let everything: Vec<Value> = [&f.jobs, &f.clusters, &f.instance_pools]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    for key in ["node_type_id", "driver_node_type_id"] {
        for n in all_under(&everything, key) {
            assert!(nodes.contains(n), "{n}");
        }
    }
    for v in all_under(&everything, "spark_version") {
        assert!(keys.contains(v), "{v}");
    }
    for z in all_under(&everything, "zone_id") {
        assert!(
            z == "auto" || zones["zones"].as_array().unwrap().contains(&json!(z)),
            "{z}"
        );
    }
}

#[test]
fn clusters_are_full_cluster_details() {
    let f = synthetic(&spec(100, 200, 10, 6), 2);
    let mut running = 0;
    for c in &f.clusters {
        let id = c["cluster_id"].as_str().unwrap();
        assert_eq!(id.len(), 20, "{id}");
        assert_eq!(c["default_tags"]["ClusterId"], id);
        assert_eq!(c["default_tags"]["ClusterName"], c["cluster_name"]);
        assert_eq!(c["spec"]["cluster_name"], c["cluster_name"]);
        assert!(c["spec"].is_object() && c["spec"].get("cluster_id").is_none());
        assert!(c["node_type_id"].is_string() && c["driver_node_type_id"].is_string());
        assert!(c["cluster_memory_mb"].is_i64() && c["cluster_cores"].is_f64());
        match c["state"].as_str().unwrap() {
            "RUNNING" => {
                running += 1;
                assert!(c["driver"].is_object() && c["spark_context_id"].is_i64());
            }
            "TERMINATED" => assert!(c["termination_reason"]["code"].is_string()),
            other => panic!("{other}"),
        }
    }
    assert!(running > 20);
    for p in &f.instance_pools {
        assert!(p["stats"]["idle_count"].is_i64());
        assert_eq!(
            p["default_tags"]["DatabricksInstancePoolId"],
            p["instance_pool_id"]
        );
        assert!(p["instance_pool_id"].as_str().unwrap().contains("-pool-"));
    }
}

/// `cargo test --release -p drsync-emulator --lib synthetic::tests::timing -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, meaningful in release mode only"]
#[allow(clippy::print_stderr)]
fn timing() {
    let s: SyntheticSpec = "jobs=10000,clusters=1000,pools=200,policies=100"
        .parse()
        .unwrap();
    let mut best = std::time::Duration::MAX;
    let mut f = Fixtures::default();
    for _ in 0..5 {
        drop(f);
        let t = std::time::Instant::now();
        f = synthetic(&s, 1);
        best = best.min(t.elapsed());
    }
    let tasks: usize = f
        .jobs
        .iter()
        .map(|j| j["settings"]["tasks"].as_array().unwrap().len())
        .sum();
    eprintln!(
        "{s}: best of 5 {} ms; {tasks} tasks, {} workspace objects, {} MB as JSON",
        best.as_millis(),
        f.workspace_objects.len(),
        [&f.jobs, &f.clusters, &f.workspace_objects]
            .iter()
            .map(|v| serde_json::to_vec(v).unwrap().len())
            .sum::<usize>()
            / 1_000_000
    );
}
