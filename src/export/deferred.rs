//! Jobs converted while the listing is still running: labels are only known once every object has been read,
//! so each job is normalised, converted, rewritten, checked and rendered ahead of time with placeholder labels
//! (`drsync-deferred` for itself, `drsync-deferred-N` for its references), and [`super::build_prepared`] puts the
//! real labels in. Anything that placeholders cannot stand for exactly (a reference to an object that is not
//! exported, a placeholder that a rule moved or copied) is converted again, the ordinary way, from the job's
//! normalised JSON, so the result is always the one converting every job after the listing gives
//! ([`Preparer::converting_later`], what the tests compare with). Pure: no I/O.

use super::{Prepared, Settings};
use crate::convert::{deferred_ref, Converter, References, Warning, DEFERRED_LABEL};
use crate::hcl::Schema;
use crate::inventory::Inventory;
use crate::model::{Job, ResourceKind};
use crate::normalize::{self, Normalized};
use crate::rewrite::{PauseMode, Report, Rewriter};
use rayon::prelude::*;

/// Converts jobs ahead of time, with the settings and schema of the export they are for.
#[derive(Debug)]
pub struct Preparer {
    settings: Settings,
    schema: Schema,
    /// Whether jobs are converted ahead of time; if not, each is converted after the listing.
    ahead: bool,
}

/// A job normalised, and converted ahead of time where that could be done.
#[derive(Debug, Clone)]
pub struct PreparedJob {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) created: i64,
    /// Whether the name filter keeps it.
    pub(super) included: bool,
    /// Why it is not exported, if it is not (see [`normalize::Normalized::excluded`]).
    pub(super) excluded: Option<String>,
    /// What normalising it left out.
    pub(super) notes: Vec<normalize::Note>,
    /// The normalised configuration as compact JSON, to convert again when the placeholders cannot stay.
    pub(super) config: String,
    pub(super) converted: Option<Converted>,
}

/// A job's resource with placeholder labels.
#[derive(Debug, Clone)]
pub(super) struct Converted {
    /// The rendered block, `resource "databricks_job" "drsync-deferred" {` first.
    text: String,
    /// What `drsync-deferred-N` stands for.
    refs: Vec<(ResourceKind, String)>,
    warnings: Vec<Warning>,
    rewrite: Report,
}

/// A job's resource with its real labels.
pub(super) struct Resolved {
    pub(super) text: String,
    pub(super) warnings: Vec<Warning>,
    pub(super) rewrite: Report,
}

impl Preparer {
    /// A preparer for an export with these settings.
    pub fn new(settings: Settings, schema: Schema) -> Preparer {
        Preparer {
            settings,
            schema,
            ahead: true,
        }
    }

    /// A preparer that only normalises: every job is converted after the listing, under its real labels, the
    /// way a job whose placeholders cannot stay always is. Slower; the reference the tests hold the
    /// ahead-of-time conversion to.
    pub fn converting_later(settings: Settings, schema: Schema) -> Preparer {
        Preparer {
            ahead: false,
            ..Preparer::new(settings, schema)
        }
    }

    /// An inventory read whole, its jobs prepared (on every core, in order) as a listing prepares them page by
    /// page.
    pub fn prepare_all(&self, inv: Inventory) -> Prepared {
        let Inventory {
            jobs,
            clusters,
            libraries,
            pools,
            policies,
            warehouses,
            pipelines,
            secret_scopes,
            secret_acls,
            secret_keys,
            permissions,
            reader,
        } = inv;
        Prepared {
            jobs: jobs.into_par_iter().map(|j| self.prepare(j)).collect(),
            rest: Inventory {
                jobs: Vec::new(),
                clusters,
                libraries,
                pools,
                policies,
                warehouses,
                pipelines,
                secret_scopes,
                secret_acls,
                secret_keys,
                permissions,
                reader,
            },
            gone: Vec::new(),
        }
    }

    /// The settings of the export it prepares for.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The schema it converts against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Normalise a job and convert it ahead of time.
    pub fn prepare(&self, job: Job) -> PreparedJob {
        let n = normalize_job(job, &self.settings);
        let included = self.settings.kinds.contains(&ResourceKind::Jobs)
            && self.settings.filter.matches(&n.name);
        let converted = if self.ahead && included && n.excluded.is_none() {
            self.convert(&n.config)
        } else {
            None
        };
        // The JSON is kept only where it may be needed: for a job that could not be converted ahead, or whose
        // placeholders might not resolve (references resolve only if their objects are exported). One without
        // references that resolves now resolves under any label.
        let keep_config = included
            && n.excluded.is_none()
            && converted.as_ref().is_none_or(|c| {
                !c.refs.is_empty() || c.resolve("x", &References::default()).is_none()
            });
        PreparedJob {
            config: if keep_config {
                n.config.to_string()
            } else {
                String::new()
            },
            id: n.id,
            name: n.name,
            created: n.created,
            included,
            excluded: n.excluded,
            notes: n.notes,
            converted,
        }
    }

    fn convert(&self, config: &serde_json::Value) -> Option<Converted> {
        let no_refs = References::default();
        let mut converter = Converter::deferring(&self.schema, &no_refs);
        let mut block = converter.resource(ResourceKind::Jobs, DEFERRED_LABEL, config);
        let refs = converter.take_deferred();
        let mut rewriter = Rewriter::new(&self.settings.rules);
        rewriter.resource(&mut block);
        if self.settings.rules.pause == PauseMode::Literal
            && super::build::check_paused(&block).is_err()
        {
            return None;
        }
        let body = ::hcl::Body::builder().add_block(block).build();
        if !self.schema.check_document(&body).is_empty() {
            return None;
        }
        let rewrite = rewriter.finish();
        // A variable's description quotes the primary's value: it must not quote a placeholder.
        if rewrite
            .variables
            .iter()
            .any(|v| v.primary_values.iter().any(|p| p.contains(DEFERRED_LABEL)))
        {
            return None;
        }
        Some(Converted {
            text: crate::hcl::to_string(&body),
            refs,
            warnings: converter.into_warnings(),
            rewrite,
        })
    }
}

/// A job normalised for this export: [`normalize::into_job`], without a `run_as` of the exporting identity.
fn normalize_job(job: Job, settings: &Settings) -> Normalized {
    let mut n = normalize::into_job(job, &settings.normalize);
    if let (Some(me), serde_json::Value::Object(config)) = (&settings.exporter, &mut n.config) {
        let run_as = config.get("run_as");
        let mine = ["user_name", "service_principal_name"]
            .iter()
            .any(|k| run_as.and_then(|r| r.get(*k)).and_then(|v| v.as_str()) == Some(me.as_str()));
        if mine {
            config.remove("run_as");
        }
    }
    n
}

impl Converted {
    /// The resource under `label`, its references resolved through `refs`; `None` when a placeholder cannot
    /// be resolved exactly (the job is then converted again).
    pub(super) fn resolve(&self, label: &str, refs: &References) -> Option<Resolved> {
        let placeholder_address = format!("databricks_job.{DEFERRED_LABEL}");
        let address = format!("databricks_job.{label}");
        let head = format!("resource \"databricks_job\" \"{DEFERRED_LABEL}\" {{\n");
        let body = self.text.strip_prefix(&head)?;
        let mut text = String::with_capacity(self.text.len() + label.len());
        text.push_str("resource \"databricks_job\" ");
        text.push_str(&crate::hcl::quote(label));
        text.push_str(" {\n");
        let mut used = vec![false; self.refs.len()];
        let marker = format!(".{DEFERRED_LABEL}-");
        for line in body.split_inclusive('\n') {
            if !line.contains(&marker) {
                text.push_str(line);
                continue;
            }
            // Only a whole `key = TYPE.drsync-deferred-N.id` line is a reference; anything else is data.
            let (before, value) = line.trim_end_matches('\n').split_once(" = ")?;
            let (resource_type, rest) = value.split_once('.')?;
            let n: usize = rest
                .strip_prefix(DEFERRED_LABEL)?
                .strip_prefix('-')?
                .strip_suffix(".id")?
                .parse()
                .ok()?;
            let (kind, id) = self.refs.get(n)?;
            if resource_type != kind.resource_type()
                || rest != format!("{}.id", deferred_ref(n))
                || before.trim().contains([' ', '"'])
                || std::mem::replace(&mut used[n], true)
            {
                return None;
            }
            let target = refs.label(*kind, id)?;
            text.push_str(before);
            text.push_str(" = ");
            text.push_str(resource_type);
            text.push('.');
            text.push_str(target);
            text.push_str(".id\n");
        }
        if used.contains(&false) {
            return None;
        }
        let readdress = |s: &str| -> Option<String> {
            s.strip_prefix(&placeholder_address)
                .map(|rest| format!("{address}{rest}"))
        };
        let warnings = self
            .warnings
            .iter()
            .map(|w| {
                Some(Warning {
                    resource: readdress(&w.resource)?,
                    ..w.clone()
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let mut rewrite = self.rewrite.clone();
        for rule in &mut rewrite.rules {
            for place in &mut rule.places {
                *place = readdress(place)?;
            }
        }
        Some(Resolved {
            text,
            warnings,
            rewrite,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(body: &str, refs: &[(ResourceKind, &str)]) -> Converted {
        Converted {
            text: format!("resource \"databricks_job\" \"{DEFERRED_LABEL}\" {{\n{body}}}\n"),
            refs: refs.iter().map(|(k, id)| (*k, id.to_string())).collect(),
            warnings: vec![Warning {
                resource: format!("databricks_job.{DEFERRED_LABEL}"),
                path: "tasks[a].sql_task.warehouse_id".to_string(),
                message: "m".to_string(),
                id: None,
            }],
            rewrite: Report::default(),
        }
    }

    #[test]
    fn placeholders_resolve_only_where_they_are_references() {
        let mut refs = References::default();
        refs.insert(ResourceKind::Clusters, "c-1", "etl");
        let good = converted(
            "  name = \"x.drsync-deferred-0.id\"\n  task {\n    existing_cluster_id = databricks_cluster.drsync-deferred-0.id\n  }\n",
            &[(ResourceKind::Clusters, "c-1")],
        );
        // A placeholder inside a string is data, not a reference: such a resource is converted again.
        assert!(good.resolve("daily", &refs).is_none());
        let good = converted(
            "  task {\n    existing_cluster_id = databricks_cluster.drsync-deferred-0.id\n  }\n",
            &[(ResourceKind::Clusters, "c-1")],
        );
        let r = good.resolve("daily", &refs).unwrap();
        assert_eq!(
            r.text,
            "resource \"databricks_job\" \"daily\" {\n  task {\n    existing_cluster_id = databricks_cluster.etl.id\n  }\n}\n"
        );
        assert_eq!(r.warnings[0].resource, "databricks_job.daily");
        // Not exported, of another kind, used twice, or never used: converted again.
        let cases = [
            ("    existing_cluster_id = databricks_cluster.drsync-deferred-0.id\n", ResourceKind::Clusters, "c-2"),
            ("    existing_cluster_id = databricks_cluster.drsync-deferred-0.id\n", ResourceKind::InstancePools, "c-1"),
            ("    a = databricks_cluster.drsync-deferred-0.id\n    b = databricks_cluster.drsync-deferred-0.id\n", ResourceKind::Clusters, "c-1"),
            ("    existing_cluster_id = \"moved\"\n", ResourceKind::Clusters, "c-1"),
        ];
        for (line, kind, id) in cases {
            let c = converted(&format!("  task {{\n{line}  }}\n"), &[(kind, id)]);
            assert!(c.resolve("daily", &refs).is_none(), "{line}");
        }
    }
}
