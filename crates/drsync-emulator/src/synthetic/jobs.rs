//! Synthetic multi-task jobs (`jobs/get` bodies) and the workspace objects their tasks use.

use super::vocab::*;
use super::{capitalize, Compute, Gen, Names, Obj, Use};
use rand::Rng;
use serde_json::{json, Map, Value};

impl Gen {
    pub(super) fn jobs(&mut self, n: usize) -> Vec<Value> {
        let mut big = vec![false; n];
        let n_big = if n >= 10 { (n + 50) / 100 } else { 0 };
        for i in rand::seq::index::sample(&mut self.rng, n, n_big) {
            big[i] = true;
        }
        let step = if n == 0 {
            1
        } else {
            ((JOBS_TO - JOBS_FROM) / i64::try_from(n).unwrap_or(i64::MAX)).max(1)
        };
        let mut names = Names::default();
        let mut taken: Vec<String> = Vec::with_capacity(n);
        let mut ids: Vec<i64> = Vec::with_capacity(n);
        let mut jobs = Vec::with_capacity(n);
        for (i, &is_big) in big.iter().enumerate() {
            // One slot of `step` ms per job, jittered inside it: strictly increasing, never past JOBS_TO.
            let slot = JOBS_FROM + i64::try_from(i).unwrap_or(i64::MAX / 2) * step;
            let created = slot + self.between(0, step - 1);
            let job = self.job(is_big, created, &mut names, &taken, &ids);
            taken.push(
                job["settings"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            ids.push(job["job_id"].as_i64().unwrap_or(0));
            jobs.push(job);
        }
        jobs
    }

    /// One job: its name, principals, where its code lives, its compute and tasks, then its settings in the
    /// order the fixtures show them. The random draws happen in this order, so that a seed gives the same job.
    fn job(
        &mut self,
        big: bool,
        created: i64,
        names: &mut Names,
        taken: &[String],
        earlier: &[i64],
    ) -> Value {
        let team = self.pick(TEAMS);
        let domain = self.pick(DOMAINS);
        let verb = self.pick(VERBS);
        let name = self.job_name(big, names, taken, [team, domain, verb]);
        let job_id = self.job_id();
        let (creator, run_as) = self.principals();
        let run_as_name = run_as
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        // Where the code lives.
        let git = !big && self.chance(0.1);
        let dir = if git {
            String::new()
        } else {
            self.code_dir(&name, team, domain, &creator)
        };
        let language = self.weighted(&[("PYTHON", 75), ("SQL", 15), ("SCALA", 7), ("R", 3)]);
        // Compute.
        let compute = self.compute_kind(big);
        let mut settings = Map::new();
        let job_cluster_keys = if compute == Compute::JobClusters {
            self.job_clusters(&mut settings, team, &run_as_name)
        } else {
            Vec::new()
        };
        let existing = self.existing_clusters(compute);
        let ctx = TaskCtx {
            team,
            domain,
            dir: &dir,
            git,
            language,
            compute,
            job_cluster_keys: &job_cluster_keys,
            existing: &existing,
            run_as: &run_as_name,
            earlier,
        };
        let tasks = if big {
            self.big_tasks(&ctx)
        } else {
            self.small_tasks(&ctx)
        };
        // Settings, in the order the fixtures show them.
        settings.insert("name".into(), json!(name));
        self.describe(&mut settings, team, domain, verb);
        self.schedule(&mut settings, team, domain);
        self.notifications(&mut settings, team);
        if git {
            let source = self.git_source(team);
            settings.insert("git_source".into(), source);
        }
        if self.chance(0.3) {
            let params = self.parameters(team);
            settings.insert("parameters".into(), params);
        }
        if compute == Compute::Serverless {
            let environments = self.environments(team);
            settings.insert("environments".into(), environments);
        }
        // Job clusters no task runs on are left out, as a job's author would.
        if let Some(Value::Array(clusters)) = settings.get_mut("job_clusters") {
            clusters.retain(|c| {
                let key = c.get("job_cluster_key");
                tasks.iter().any(|t| t.get("job_cluster_key") == key)
            });
            if clusters.is_empty() {
                settings.remove("job_clusters");
            }
        }
        settings.insert("tasks".into(), Value::Array(tasks));
        settings.insert("format".into(), json!("MULTI_TASK"));
        settings.insert("run_as".into(), run_as);
        let mut job = Map::new();
        job.insert("job_id".into(), json!(job_id));
        if self.chance(0.995) {
            job.insert("creator_user_name".into(), json!(creator));
        }
        job.insert("run_as_user_name".into(), json!(run_as_name));
        job.insert("created_time".into(), json!(created));
        job.insert("settings".into(), Value::Object(settings));
        Value::Object(job)
    }

    /// A job's name from its team, domain and verb: unique but for a deliberate duplicate now and then.
    fn job_name(
        &mut self,
        big: bool,
        names: &mut Names,
        taken: &[String],
        [team, domain, verb]: [&str; 3],
    ) -> String {
        if !taken.is_empty() && self.chance(0.005) {
            // A deliberate duplicate: real workspaces have several jobs of one name.
            taken[self.below(taken.len())].clone()
        } else if big {
            names.unique(&format!("{team}-{domain}-partitioned-{verb}"))
        } else if self.chance(0.4) {
            let cadence = self.pick(CADENCES);
            names.unique(&format!("{team}-{domain}-{verb}-{cadence}"))
        } else {
            names.unique(&format!("{team}-{domain}-{verb}"))
        }
    }

    /// The creator (a user or a service principal) and the `run_as` block: the creator, or another service
    /// principal.
    fn principals(&mut self) -> (String, Value) {
        let creator = if self.chance(0.8) {
            self.user_name()
        } else {
            self.sp()
        };
        let creator_is_user = creator.contains('@');
        let run_as = if !creator_is_user || self.chance(0.55) {
            if creator_is_user {
                json!({"user_name": creator})
            } else {
                json!({"service_principal_name": creator})
            }
        } else {
            json!({"service_principal_name": self.sp()})
        };
        (creator, run_as)
    }

    /// The workspace folder a job's notebooks and files live in: shared, the creator's home, or a repo.
    fn code_dir(&mut self, name: &str, team: &str, domain: &str, creator: &str) -> String {
        let creator_is_user = creator.contains('@');
        let slug = name.replace([' ', '/'], "_");
        match self.below(20) {
            0..=10 => format!("/Shared/{team}/{slug}"),
            11..=16 if creator_is_user => format!("/Users/{creator}/{slug}"),
            17..=19 if creator_is_user => {
                let repo = format!("/Repos/{creator}/{team}-pipelines");
                self.objects.insert(repo.clone(), Obj::Repo);
                format!("{repo}/{domain}")
            }
            _ => format!("/Shared/{team}/{slug}"),
        }
    }

    /// What a job's tasks run on; big jobs always on job clusters, and existing clusters only if there are any.
    fn compute_kind(&mut self, big: bool) -> Compute {
        let compute = match self.below(100) {
            _ if big => Compute::JobClusters,
            0..=64 => Compute::JobClusters,
            65..=79 => Compute::Existing,
            80..=89 => Compute::TaskClusters,
            _ => Compute::Serverless,
        };
        if compute == Compute::Existing && self.all_purpose.is_empty() {
            Compute::JobClusters
        } else {
            compute
        }
    }

    /// 1–3 `job_clusters` into `settings`; their keys.
    fn job_clusters(
        &mut self,
        settings: &mut Map<String, Value>,
        team: &'static str,
        run_as: &str,
    ) -> Vec<&'static str> {
        let n = self.weighted(&[(1usize, 60), (2, 30), (3, 10)]);
        let start = self.below(JOB_CLUSTER_KEYS.len());
        let keys: Vec<&'static str> = (0..n)
            .map(|k| JOB_CLUSTER_KEYS[(start + k) % JOB_CLUSTER_KEYS.len()])
            .collect();
        let clusters: Vec<Value> = keys
            .iter()
            .map(|key| {
                json!({
                    "job_cluster_key": key,
                    "new_cluster": Value::Object(self.cluster_spec(Use::Job, team, run_as)),
                })
            })
            .collect();
        settings.insert("job_clusters".into(), Value::Array(clusters));
        keys
    }

    /// The all-purpose clusters some tasks run on (jobs on job clusters use them now and then too).
    fn existing_clusters(&mut self, compute: Compute) -> Vec<String> {
        if compute == Compute::Existing
            || (compute == Compute::JobClusters && !self.all_purpose.is_empty())
        {
            (0..self.between(1, 2))
                .map(|_| self.all_purpose[self.rng.random_range(0..self.all_purpose.len())].clone())
                .collect()
        } else {
            Vec::new()
        }
    }

    /// `description`, `tags`, `timeout_seconds`, `max_concurrent_runs` and `queue`.
    fn describe(
        &mut self,
        settings: &mut Map<String, Value>,
        team: &str,
        domain: &str,
        verb: &str,
    ) {
        if self.chance(0.4) {
            settings.insert(
                "description".into(),
                json!(format!(
                    "{} {domain} for the {team} team.",
                    capitalize(verb)
                )),
            );
        }
        if self.chance(0.85) {
            let cc = self.between(1000, 1999);
            let mut tags = json!({
                "team": team,
                "env": self.weighted(&[("prod", 8), ("staging", 2)]),
                "cost_center": format!("cc-{cc}"),
            });
            if self.chance(0.3) {
                tags["dr_tier"] = json!(self.pick(&["1", "2", "3"]));
            }
            if self.chance(0.2) {
                tags["data_product"] = json!(domain);
            }
            settings.insert("tags".into(), tags);
        }
        settings.insert(
            "timeout_seconds".into(),
            json!(if self.chance(0.6) {
                0
            } else {
                self.pick(&[3600, 7200, 14400, 86400])
            }),
        );
        settings.insert(
            "max_concurrent_runs".into(),
            json!(if self.chance(0.9) {
                1
            } else {
                self.pick(&[2, 3, 5, 10])
            }),
        );
        settings.insert("queue".into(), json!({"enabled": self.chance(0.9)}));
    }

    /// What starts the job, if anything: a cron `schedule`, `continuous`, or a file-arrival or periodic `trigger`.
    fn schedule(&mut self, settings: &mut Map<String, Value>, team: &str, domain: &str) {
        match self.below(100) {
            0..=54 => {
                let cron = match self.below(5) {
                    0 => "0 0 * * * ?".to_string(),
                    1 => format!(
                        "0 {} {} ? * MON-FRI",
                        self.between(0, 59),
                        self.between(0, 23)
                    ),
                    2 => format!("0 0/{} * * * ?", self.pick(&[5, 10, 15, 30])),
                    3 => format!("0 {} {} ? * SUN", self.between(0, 59), self.between(0, 23)),
                    _ => format!("0 {} {} * * ?", self.between(0, 59), self.between(0, 23)),
                };
                let pause = self.pause_status(0.88);
                settings.insert(
                    "schedule".into(),
                    json!({
                        "quartz_cron_expression": cron,
                        "timezone_id": self.pick(TIMEZONES),
                        "pause_status": pause,
                    }),
                );
            }
            55..=58 => {
                let pause = self.pause_status(0.8);
                settings.insert("continuous".into(), json!({"pause_status": pause}));
            }
            59..=63 => {
                let pause = self.pause_status(0.85);
                settings.insert(
                    "trigger".into(),
                    json!({
                        "pause_status": pause,
                        "file_arrival": {
                            "url": format!("s3://acme-{team}-landing-{REGION}/{domain}/incoming/"),
                            "min_time_between_triggers_seconds": self.pick(&[60, 300, 600]),
                            "wait_after_last_change_seconds": self.pick(&[60, 120]),
                        },
                    }),
                );
            }
            64 | 65 => {
                settings.insert(
                    "trigger".into(),
                    json!({
                        "pause_status": "UNPAUSED",
                        "periodic": {"interval": self.between(1, 6), "unit": self.pick(&["HOURS", "DAYS"])},
                    }),
                );
            }
            _ => {}
        }
    }

    /// `UNPAUSED` with probability `unpaused`, else `PAUSED`.
    fn pause_status(&mut self, unpaused: f64) -> &'static str {
        if self.chance(unpaused) {
            "UNPAUSED"
        } else {
            "PAUSED"
        }
    }

    /// `email_notifications`, `webhook_notifications`, and now and then `notification_settings` and `health`.
    fn notifications(&mut self, settings: &mut Map<String, Value>, team: &str) {
        let mut email = Map::new();
        if self.chance(0.6) {
            let to = if self.chance(0.5) {
                format!("{team}-data@example.com")
            } else {
                "oncall-data@example.com".to_string()
            };
            email.insert("on_failure".into(), json!([to]));
        }
        if self.chance(0.15) {
            email.insert(
                "on_success".into(),
                json!([format!("{team}-data@example.com")]),
            );
        }
        if self.chance(0.1) {
            email.insert(
                "on_start".into(),
                json!([format!("{team}-data@example.com")]),
            );
        }
        if !email.is_empty() && self.chance(0.3) {
            email.insert("no_alert_for_skipped_runs".into(), json!(true));
        }
        settings.insert("email_notifications".into(), Value::Object(email));
        let webhooks = if self.chance(0.05) {
            let i = self.below(self.webhooks.len());
            let id = self.webhooks[i].clone();
            json!({"on_failure": [{"id": id}]})
        } else {
            json!({})
        };
        settings.insert("webhook_notifications".into(), webhooks);
        if self.chance(0.15) {
            settings.insert(
                "notification_settings".into(),
                json!({"no_alert_for_skipped_runs": self.chance(0.5), "no_alert_for_canceled_runs": true}),
            );
        }
        if self.chance(0.1) {
            settings.insert(
                "health".into(),
                json!({"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": self.pick(&[1800, 3600, 7200])}]}),
            );
        }
    }

    /// The team's pipelines repository, at `main` or a release tag.
    fn git_source(&mut self, team: &str) -> Value {
        let mut source = json!({
            "git_url": format!("https://github.com/acme-data/{team}-pipelines"),
            "git_provider": "gitHub",
        });
        if self.chance(0.8) {
            source["git_branch"] = json!("main");
        } else {
            source["git_tag"] = json!(format!(
                "v2024.{}.{}",
                self.between(1, 11),
                self.between(0, 5)
            ));
        }
        source
    }

    /// Job `parameters`: a run date and an environment, now and then a source bucket.
    fn parameters(&mut self, team: &str) -> Value {
        let mut params = vec![
            json!({"name": "run_date", "default": "{{job.start_time.iso_date}}"}),
            json!({"name": "env", "default": "prod"}),
        ];
        if self.chance(0.3) {
            params.push(json!({"name": "source_bucket", "default": format!("s3://acme-{team}-landing-{REGION}")}));
        }
        Value::Array(params)
    }

    /// The serverless `environments`: a few PyPI packages, now and then the team's wheel from a volume.
    fn environments(&mut self, team: &str) -> Value {
        let mut deps: Vec<Value> = (0..self.between(1, 3))
            .map(|_| json!(self.pick(PYPI)))
            .collect();
        if self.chance(0.3) {
            let v = self.version_triplet();
            let pkg = team.replace('-', "_");
            deps.push(json!(format!(
                "/Volumes/main/{pkg}/wheels/{pkg}_pipelines-{v}-py3-none-any.whl"
            )));
        }
        json!([{"environment_key": "default", "spec": {"client": "2", "dependencies": deps}}])
    }

    /// 1–8 tasks in a DAG: mostly chains, some fan-in, now and then a condition with outcomes.
    fn small_tasks(&mut self, ctx: &TaskCtx<'_>) -> Vec<Value> {
        let n = self.weighted(&[
            (1usize, 30),
            (2, 20),
            (3, 15),
            (4, 10),
            (5, 8),
            (6, 7),
            (7, 5),
            (8, 5),
        ]);
        let start = self.below(STAGES.len());
        let keys: Vec<&'static str> = (0..n).map(|k| STAGES[(start + k) % STAGES.len()]).collect();
        let mut conditions = vec![false; n];
        let mut tasks = Vec::with_capacity(n);
        for k in 0..n {
            let mut t = Map::new();
            t.insert("task_key".into(), json!(keys[k]));
            if k > 0 {
                let mut deps: Vec<usize> = Vec::new();
                match self.below(20) {
                    0 => {}
                    1..=4 => {
                        deps.push(self.below(k));
                        if deps[0] != k - 1 {
                            deps.push(k - 1);
                        }
                    }
                    _ => deps.push(k - 1),
                }
                if !deps.is_empty() {
                    let list: Vec<Value> = deps
                        .iter()
                        .map(|&d| {
                            if conditions[d] {
                                json!({"task_key": keys[d], "outcome": if self.chance(0.7) { "true" } else { "false" }})
                            } else {
                                json!({"task_key": keys[d]})
                            }
                        })
                        .collect();
                    t.insert("depends_on".into(), Value::Array(list));
                }
                let run_if = if deps.is_empty() {
                    "ALL_SUCCESS"
                } else {
                    self.weighted(RUN_IFS)
                };
                t.insert("run_if".into(), json!(run_if));
            } else {
                t.insert("run_if".into(), json!("ALL_SUCCESS"));
            }
            let roll = self.below(100);
            if k > 0 && k + 1 < n && roll < 8 {
                conditions[k] = true;
                t.insert(
                    "condition_task".into(),
                    json!({
                        "op": self.pick(&["GREATER_THAN", "EQUAL_TO", "NOT_EQUAL"]),
                        "left": format!("{{{{tasks.{}.values.row_count}}}}", keys[k - 1]),
                        "right": "0",
                    }),
                );
            } else if roll < 11 && !ctx.earlier.is_empty() {
                let id = ctx.earlier[self.below(ctx.earlier.len())];
                let mut task = json!({"job_id": id});
                if self.chance(0.3) {
                    task["job_parameters"] = json!({"env": "prod"});
                }
                t.insert("run_job_task".into(), task);
            } else if roll < 15 {
                let i = self.below(self.warehouses.len());
                let warehouse = self.warehouses[i].clone();
                let query = self.uuid();
                t.insert(
                    "sql_task".into(),
                    json!({"warehouse_id": warehouse, "query": {"query_id": query}}),
                );
            } else {
                self.compute_task(ctx, keys[k], &mut t);
            }
            self.task_settings(&mut t, ctx.team);
            tasks.push(Value::Object(t));
        }
        tasks
    }

    /// 101–150 tasks: a start, a fan-out of partitions, and a finish that waits for the last ones.
    fn big_tasks(&mut self, ctx: &TaskCtx<'_>) -> Vec<Value> {
        let n = usize::try_from(self.between(101, 150)).unwrap_or(101);
        let cluster = |k: usize| ctx.job_cluster_keys[k % ctx.job_cluster_keys.len().max(1)];
        let path = |leaf: &str| format!("{}/{leaf}", ctx.dir);
        let mut tasks = Vec::with_capacity(n);
        for leaf in ["start", "process_partition", "finish"] {
            self.objects.insert(path(leaf), Obj::Notebook("PYTHON"));
        }
        tasks.push(json!({
            "task_key": "start",
            "run_if": "ALL_SUCCESS",
            "job_cluster_key": cluster(0),
            "notebook_task": {"notebook_path": path("start"), "source": "WORKSPACE"},
            "timeout_seconds": 0,
            "email_notifications": {},
            "webhook_notifications": {},
        }));
        let parts = n - 2;
        for p in 1..=parts {
            let depends = if p > 10 && self.chance(0.2) {
                // Some partitions wait for an earlier one, so the DAG is not one flat fan-out.
                format!(
                    "part_{:03}",
                    self.between(1, i64::try_from(p).unwrap_or(2) - 1)
                )
            } else {
                "start".to_string()
            };
            tasks.push(json!({
                "task_key": format!("part_{p:03}"),
                "depends_on": [{"task_key": depends}],
                "run_if": "ALL_SUCCESS",
                "job_cluster_key": cluster(p),
                "notebook_task": {
                    "notebook_path": path("process_partition"),
                    "base_parameters": {"partition": p.to_string()},
                    "source": "WORKSPACE",
                },
                "timeout_seconds": 0,
                "email_notifications": {},
                "webhook_notifications": {},
            }));
        }
        let last: Vec<Value> = (parts.saturating_sub(2).max(1)..=parts)
            .map(|p| json!({"task_key": format!("part_{p:03}")}))
            .collect();
        tasks.push(json!({
            "task_key": "finish",
            "depends_on": last,
            "run_if": "ALL_DONE",
            "job_cluster_key": cluster(0),
            "notebook_task": {"notebook_path": path("finish"), "source": "WORKSPACE"},
            "timeout_seconds": 0,
            "email_notifications": {},
            "webhook_notifications": {},
        }));
        tasks
    }

    /// A task that runs code: notebook, Python file, wheel or JAR, with its compute and libraries.
    fn compute_task(&mut self, ctx: &TaskCtx<'_>, key: &str, t: &mut Map<String, Value>) {
        let serverless = ctx.compute == Compute::Serverless;
        let mut kind =
            self.weighted(&[("notebook", 65), ("python", 15), ("wheel", 12), ("jar", 8)]);
        if serverless && kind == "jar" {
            kind = "notebook";
        }
        let pkg = ctx.team.replace('-', "_");
        let mut libraries: Vec<Value> = Vec::new();
        match kind {
            "notebook" => {
                let mut task = Map::new();
                if ctx.git {
                    task.insert("notebook_path".into(), json!(format!("notebooks/{key}")));
                    task.insert("source".into(), json!("GIT"));
                } else {
                    let path = format!("{}/{key}", ctx.dir);
                    self.objects
                        .insert(path.clone(), Obj::Notebook(ctx.language));
                    task.insert("notebook_path".into(), json!(path));
                    task.insert("source".into(), json!("WORKSPACE"));
                }
                if self.chance(0.3) {
                    task.insert(
                        "base_parameters".into(),
                        json!({"env": "{{job.parameters.env}}", "domain": ctx.domain}),
                    );
                }
                t.insert("notebook_task".into(), Value::Object(task));
            }
            "python" => {
                let mut task = Map::new();
                if ctx.git {
                    task.insert("python_file".into(), json!(format!("jobs/{key}.py")));
                    task.insert("source".into(), json!("GIT"));
                } else if self.chance(0.5) {
                    let path = format!("{}/{key}.py", ctx.dir);
                    let size = self.between(400, 20_000);
                    self.objects.insert(path.clone(), Obj::File(size));
                    task.insert("python_file".into(), json!(format!("/Workspace{path}")));
                    task.insert("source".into(), json!("WORKSPACE"));
                } else {
                    task.insert(
                        "python_file".into(),
                        json!(format!(
                            "s3://acme-{}-code-{REGION}/jobs/{key}.py",
                            ctx.team
                        )),
                    );
                }
                if self.chance(0.5) {
                    task.insert(
                        "parameters".into(),
                        json!([
                            "--date",
                            "{{job.start_time.iso_date}}",
                            "--domain",
                            ctx.domain
                        ]),
                    );
                }
                t.insert("spark_python_task".into(), Value::Object(task));
            }
            "wheel" => {
                let mut task =
                    json!({"package_name": format!("{pkg}_pipelines"), "entry_point": key});
                if self.chance(0.5) {
                    task["named_parameters"] =
                        json!({"date": "{{job.start_time.iso_date}}", "domain": ctx.domain});
                } else {
                    task["parameters"] = json!(["--domain", ctx.domain]);
                }
                t.insert("python_wheel_task".into(), task);
                if !serverless {
                    let v = self.version_triplet();
                    libraries.push(json!({"whl": format!("s3://acme-artifacts-{REGION}/wheels/{pkg}_pipelines-{v}-py3-none-any.whl")}));
                }
            }
            _ => {
                let class = format!("com.acme.{pkg}.{}Job", capitalize(ctx.domain));
                t.insert(
                    "spark_jar_task".into(),
                    json!({"main_class_name": class, "parameters": ["--input", format!("s3://acme-{}-landing-{REGION}/{}/", ctx.team, ctx.domain)]}),
                );
                let v = self.version_triplet();
                libraries.push(json!({"jar": format!("s3://acme-artifacts-{REGION}/jars/{}-jobs-{v}.jar", ctx.team)}));
            }
        }
        match ctx.compute {
            Compute::Serverless => {
                if kind != "notebook" {
                    t.insert("environment_key".into(), json!("default"));
                }
            }
            Compute::JobClusters if !ctx.existing.is_empty() && self.chance(0.08) => {
                let id = &ctx.existing[self.below(ctx.existing.len())];
                t.insert("existing_cluster_id".into(), json!(id));
            }
            Compute::JobClusters => {
                let key = if self.chance(0.6) {
                    ctx.job_cluster_keys[0]
                } else {
                    ctx.job_cluster_keys[self.below(ctx.job_cluster_keys.len())]
                };
                t.insert("job_cluster_key".into(), json!(key));
            }
            Compute::Existing => {
                let id = &ctx.existing[self.below(ctx.existing.len())];
                t.insert("existing_cluster_id".into(), json!(id));
            }
            Compute::TaskClusters => {
                let spec = self.cluster_spec(Use::Job, ctx.team, ctx.run_as);
                t.insert("new_cluster".into(), Value::Object(spec));
            }
        }
        if !serverless && self.chance(0.35) {
            for _ in 0..self.between(1, 3) {
                let lib = self.library(ctx.team);
                if !libraries.contains(&lib) {
                    libraries.push(lib);
                }
            }
        }
        if !libraries.is_empty() {
            t.insert("libraries".into(), Value::Array(libraries));
        }
    }

    /// Retries, timeouts and notifications of one task.
    fn task_settings(&mut self, t: &mut Map<String, Value>, team: &str) {
        if self.chance(0.15) {
            t.insert("max_retries".into(), json!(self.between(1, 3)));
            t.insert(
                "min_retry_interval_millis".into(),
                json!(self.pick(&[60_000, 300_000])),
            );
            t.insert("retry_on_timeout".into(), json!(self.chance(0.5)));
        }
        t.insert(
            "timeout_seconds".into(),
            json!(if self.chance(0.8) {
                0
            } else {
                self.pick(&[1800, 3600, 7200])
            }),
        );
        if self.chance(0.005) {
            t.insert("disabled".into(), json!(true));
        }
        let email = if self.chance(0.05) {
            json!({"on_failure": [format!("{team}-data@example.com")]})
        } else {
            json!({})
        };
        t.insert("email_notifications".into(), email);
        t.insert("webhook_notifications".into(), json!({}));
    }

    // ----- workspace objects

    /// `workspace/get-status` bodies of every notebook, file and repo the jobs use, and their folders.
    pub(super) fn workspace_objects(&mut self) -> Vec<Value> {
        let paths: Vec<String> = self.objects.keys().cloned().collect();
        for path in paths {
            let mut at = path.as_str();
            while let Some(cut) = at.rfind('/') {
                at = &at[..cut];
                if at.is_empty() {
                    break;
                }
                self.objects.entry(at.to_string()).or_insert(Obj::Dir);
            }
        }
        let objects = std::mem::take(&mut self.objects);
        let mut out = Vec::with_capacity(objects.len());
        for (k, (path, obj)) in (0i64..).zip(objects) {
            let id = 1_180_392_746_508_919 + k * 7_919;
            let mut o = Map::new();
            let kind = match obj {
                Obj::Notebook(_) => "NOTEBOOK",
                Obj::File(_) => "FILE",
                Obj::Repo => "REPO",
                Obj::Dir => "DIRECTORY",
            };
            o.insert("object_type".into(), json!(kind));
            o.insert("path".into(), json!(path));
            if let Obj::Notebook(language) = obj {
                o.insert("language".into(), json!(language));
            }
            o.insert("object_id".into(), json!(id));
            if !matches!(obj, Obj::Dir) {
                let created = self.between(JOBS_FROM, YEAR_2024);
                let modified = self.between(created, JOBS_TO);
                o.insert("created_at".into(), json!(created));
                o.insert("modified_at".into(), json!(modified));
            }
            o.insert("resource_id".into(), json!(id.to_string()));
            if let Obj::File(size) = obj {
                o.insert("size".into(), json!(size));
            }
            out.push(Value::Object(o));
        }
        out
    }
}

/// What every task of one job shares.
struct TaskCtx<'a> {
    team: &'static str,
    domain: &'static str,
    dir: &'a str,
    git: bool,
    language: &'static str,
    compute: Compute,
    job_cluster_keys: &'a [&'static str],
    existing: &'a [String],
    run_as: &'a str,
    earlier: &'a [i64],
}
