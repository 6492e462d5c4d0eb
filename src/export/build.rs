//! Assembling an export in memory: every object normalised (`normalize::by_kind`, jobs prepared while
//! the listing ran), filtered, labelled (stable labels from the previous label map, renames as moves), converted
//! to provider HCL (`convert`), rewritten for the DR region (`rewrite`), checked against the schema and the
//! pause invariant, and rendered; in contiguous parts on every core, so the result is the same on any machine.
//! Pure and deterministic: no I/O.

use super::files::{tfvars, variables_tf, versions_tf};
use super::{
    moved, Error, Export, Exported, LabelMap, PreparedJob, Preparer, SecretToProvide, Settings,
};
use super::{LABELS_FILE, MOVED_FILE};
use crate::convert::{Converter, References, Warning};
use crate::hcl::{LabelAllocator, LabelItem, Schema};
use crate::inventory::{Inventory, Listed};
use crate::model::ResourceKind;
use crate::normalize::{self, Normalized};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// What an export reads: jobs prepared as their pages arrive ([`Preparer::prepare`]), everything else as read.
pub type Prepared = Listed<PreparedJob>;

/// An object on its way through [`build_prepared`].
struct Object {
    kind: ResourceKind,
    id: String,
    name: String,
    created: i64,
    config: Config,
    /// Why it is not exported, if it is not.
    excluded: Option<String>,
    /// What normalising it left out.
    notes: Vec<normalize::Note>,
}

enum Config {
    /// A cluster, pool or policy, normalised.
    Tree(serde_json::Value),
    /// A job, prepared.
    Prepared(Box<PreparedJob>),
}

impl From<Normalized> for Object {
    fn from(n: Normalized) -> Object {
        Object {
            kind: n.kind,
            id: n.id,
            name: n.name,
            created: n.created,
            config: Config::Tree(n.config),
            excluded: n.excluded,
            notes: n.notes,
        }
    }
}

impl From<PreparedJob> for Object {
    fn from(j: PreparedJob) -> Object {
        Object {
            kind: ResourceKind::Jobs,
            id: j.id.clone(),
            name: j.name.clone(),
            created: j.created,
            excluded: j.excluded.clone(),
            notes: j.notes.clone(),
            config: Config::Prepared(Box::new(j)),
        }
    }
}

/// [`build_prepared`] for an inventory read whole (the tests and benchmarks read that way): its jobs are
/// prepared as the listing prepares them, so this is the export's one path, only without the overlap with
/// the listing. Pure and deterministic.
pub fn build(
    inv: Inventory,
    settings: &Settings,
    previous: &LabelMap,
    schema: &Schema,
) -> Result<Export, Error> {
    let preparer = Preparer::new(settings.clone(), schema.clone());
    build_prepared(preparer.prepare_all(inv), settings, previous, schema)
}

/// Build the export from what was read, jobs prepared by a [`Preparer`] with these `settings` and `schema`
/// (`ops::export` prepares them while the listing runs). Pure and deterministic: the same workspace gives the
/// same files, whichever jobs could be converted ahead of time.
pub fn build_prepared(
    read: Prepared,
    settings: &Settings,
    previous: &LabelMap,
    schema: &Schema,
) -> Result<Export, Error> {
    let Prepared { jobs, rest, gone } = read;
    let kinds: Vec<ResourceKind> = ResourceKind::ALL
        .into_iter()
        .filter(|k| settings.kinds.contains(k))
        .collect();
    let jobs: Vec<PreparedJob> = jobs.into_iter().filter(|j| j.included).collect();
    let mut objects = normalize::by_kind(
        jobs,
        &rest,
        &kinds,
        &settings.normalize,
        Object::from,
        Object::from,
    );
    // The keys the primary's scopes hold (names only), to say which of the secrets jobs read it lacks itself.
    let keys: Keys = settings
        .kinds
        .contains(&ResourceKind::SecretScopes)
        .then(|| {
            rest.secret_keys
                .iter()
                .flat_map(|of| of.items.iter().map(|k| (of.scope.clone(), k.key.clone())))
                .collect()
        });
    drop(rest);
    // A scope's ACLs follow their scope through the name filter (an ACL's name is its scope's and its
    // principal); the exporting identity's own MANAGE is what creating the scope gave it
    // (`normalize::is_own_manage`), not configuration to carry to DR. Grants follow their object: the name
    // filter applies to the object, and `assemble` writes the grants of exported objects only.
    let scopes: HashSet<String> = objects
        .iter()
        .filter(|o| o.kind == ResourceKind::SecretScopes && settings.filter.matches(&o.name))
        .map(|o| o.id.clone())
        .collect();
    objects.retain(|o| match (o.kind, &o.config) {
        (ResourceKind::SecretAcls, Config::Tree(config)) => {
            let scope = o.id.split_once("|||").map_or("", |(s, _)| s);
            scopes.contains(scope)
                && !settings
                    .exporter
                    .as_deref()
                    .is_some_and(|me| normalize::is_own_manage(o.kind, &o.id, config, me))
        }
        (ResourceKind::Permissions, _) => true,
        _ => settings.filter.matches(&o.name),
    });
    let mut export = assemble(objects, settings, previous, schema, keys)?;
    // Objects deleted while they were read are not exported; each is named, as it may be a surprise.
    let before = export.warnings.len();
    export.warnings.extend(
        gone.into_iter()
            .filter(|g| settings.kinds.contains(&g.kind) && settings.filter.matches(&g.name))
            .map(|g| Warning {
                resource: format!("{} {:?} (id {})", g.kind.resource_type(), g.name, g.id),
                path: String::new(),
                message: format!(
                    "not exported: it was deleted while the export read it ({})",
                    g.answer
                ),
                id: None,
            }),
    );
    if export.warnings.len() > before {
        export.warnings.sort();
    }
    Ok(export)
}

/// Label, convert, rewrite, check and render the normalised objects of the export, and add the other files.
fn assemble(
    mut objects: Vec<Object>,
    settings: &Settings,
    previous: &LabelMap,
    schema: &Schema,
    keys: Keys,
) -> Result<Export, Error> {
    // What the provider cannot create faithfully, or what belongs to something else, is left out by name.
    let mut exclusion_warnings = Vec::new();
    objects.retain_mut(|o| match o.excluded.take() {
        Some(reason) => {
            exclusion_warnings.push(Warning {
                resource: format!("{} {:?} (id {})", o.kind.resource_type(), o.name, o.id),
                path: String::new(),
                message: format!("not exported: it {reason}"),
                id: None,
            });
            false
        }
        None => true,
    });

    // Labels: first those the previous export gave to objects that still exist, then new ones, oldest first.
    let mut refs = References::default();
    let mut labelled: Vec<(Exported, usize)> = Vec::new();
    for kind in ResourceKind::ALL {
        if kind == ResourceKind::Permissions {
            label_permissions(&objects, &mut refs, &mut labelled, &mut exclusion_warnings);
            continue;
        }
        let of_kind: Vec<(usize, &Object)> = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.kind == kind)
            .collect();
        let mut alloc = LabelAllocator::new();
        let mut labels: HashMap<&str, String> = HashMap::new();
        if let Some(prev) = previous.resources.get(kind.resource_type()) {
            let ids: HashMap<&str, &str> = of_kind
                .iter()
                .map(|(_, o)| (o.id.as_str(), o.name.as_str()))
                .collect();
            for (label, id) in prev {
                // Keep a label only while it still fits the object's name (a renamed object is relabelled).
                if let Some(name) = ids.get(id.as_str()) {
                    if crate::hcl::label_fits(label, name) && alloc.reserve(label) {
                        labels.insert(id.as_str(), label.clone());
                    }
                }
            }
        }
        let fresh: Vec<&Object> = of_kind
            .iter()
            .map(|(_, o)| *o)
            .filter(|o| !labels.contains_key(o.id.as_str()))
            .collect();
        let items: Vec<LabelItem<'_>> = fresh
            .iter()
            .map(|o| LabelItem {
                name: &o.name,
                creation_time: o.created,
                stable_id: &o.id,
            })
            .collect();
        for (o, label) in fresh.iter().zip(alloc.allocate(&items)) {
            labels.insert(o.id.as_str(), label);
        }
        for (i, o) in of_kind {
            let label = labels[o.id.as_str()].clone();
            for note in &o.notes {
                exclusion_warnings.push(Warning {
                    resource: format!("{}.{label}", kind.resource_type()),
                    path: note.path.clone(),
                    message: note.message.clone(),
                    id: None,
                });
            }
            refs.insert(kind, &o.id, &label);
            labelled.push((
                Exported {
                    kind,
                    label,
                    name: o.name.clone(),
                    id: o.id.clone(),
                },
                i,
            ));
        }
    }
    labelled.sort_by(|a, b| (a.0.kind, &a.0.label).cmp(&(b.0.kind, &b.0.label)));

    // Convert, rewrite, check and render on every core, in contiguous parts so the result is the same.
    let threads = rayon::current_num_threads().clamp(1, 8);
    let per_part = labelled.len().div_ceil(threads).max(1);
    // The parts own their objects, so that each is freed as soon as it is rendered.
    let mut slots: Vec<Option<Object>> = objects.into_iter().map(Some).collect();
    let resources: Vec<Exported> = labelled.iter().map(|(e, _)| e.clone()).collect();
    let mut chunks: Vec<Vec<(Exported, Object)>> = Vec::new();
    for (e, i) in labelled {
        if chunks.last().is_none_or(|c| c.len() == per_part) {
            chunks.push(Vec::with_capacity(per_part));
        }
        let object = slots[i].take().expect("each object is labelled once");
        chunks.last_mut().expect("just pushed").push((e, object));
    }
    drop(slots);
    let parts: Vec<Result<Part, Error>> = chunks
        .into_par_iter()
        .map(|items| convert_part(items, settings, schema, &refs))
        .collect();
    let parts = parts.into_iter().collect::<Result<Vec<Part>, Error>>()?;
    let header = format!(
        "# Generated by drsync from {}. Do not edit: the next export overwrites this file.\n\n",
        settings.source_host
    );
    // Each file is made once, at its final size: 30 MB of jobs are not copied twice.
    let mut sizes: BTreeMap<ResourceKind, usize> = BTreeMap::new();
    for part in &parts {
        for (kind, text) in &part.texts {
            *sizes.entry(*kind).or_default() += text.len() + 1;
        }
    }
    let mut rendered: BTreeMap<ResourceKind, String> = BTreeMap::new();
    let mut rewrite = crate::rewrite::Rewriter::new(&settings.rules).finish();
    let mut converter_warnings = Vec::new();
    let mut converted_ahead = 0;
    for part in parts {
        for (kind, text) in part.texts {
            let file = rendered.entry(kind).or_insert_with(|| {
                let mut file = String::with_capacity(header.len() + sizes[&kind]);
                file.push_str(&header);
                file
            });
            if file.len() > header.len() {
                file.push('\n');
            }
            file.push_str(&text);
        }
        converter_warnings.extend(part.warnings);
        rewrite.merge(part.rewrite);
        converted_ahead += part.converted_ahead;
    }
    let mut warnings: Vec<Warning> = converter_warnings
        .into_iter()
        .chain(exclusion_warnings)
        // An id that [rewrite.ids] maps is taken care of.
        .filter(|w| {
            !w.id
                .as_ref()
                .is_some_and(|id| settings.rules.ids.contains_key(id))
        })
        .collect();
    for rule in rewrite.unmatched() {
        warnings.push(Warning {
            resource: "rewrite".to_string(),
            path: rule.rule.clone(),
            message: "this rule matched nothing (a typo?)".to_string(),
            id: None,
        });
    }
    warnings.sort();

    let mut files = BTreeMap::new();
    for kind in &settings.kinds {
        let text = rendered.remove(kind).unwrap_or_else(|| header.clone());
        verify_output(kind.file_name(), &text, REPARSE_OUTPUT)?;
        files.insert(kind.file_name().to_string(), text);
    }
    files.insert(
        "versions.tf".to_string(),
        versions_tf(&settings.provider_version),
    );
    if let Some(text) = variables_tf(&rewrite) {
        files.insert("variables.tf".to_string(), text);
    }
    if let Some(text) = tfvars(&rewrite) {
        files.insert("dr.auto.tfvars".to_string(), text);
    }
    let mut map = LabelMap {
        version: 1,
        workspace_id: settings.workspace_id.clone(),
        resources: BTreeMap::new(),
        // An object whose label changed (renamed on the primary) moves in Terraform instead of being replaced.
        moved: moved::moves(previous, &resources),
    };
    for e in &resources {
        map.resources
            .entry(e.kind.resource_type().to_string())
            .or_default()
            .insert(e.label.clone(), e.id.clone());
    }
    if let Some(text) = moved::moved_tf(&map.moved) {
        verify_output(MOVED_FILE, &text, false)?;
        files.insert(MOVED_FILE.to_string(), text);
    }
    let mut labels_json = serde_json::to_string_pretty(&map).expect("a label map serialises");
    labels_json.push('\n');
    files.insert(LABELS_FILE.to_string(), labels_json);

    let secrets_to_provide = secrets_to_provide(&files, keys);
    Ok(Export {
        files,
        resources,
        warnings,
        rewrite,
        converted_ahead,
        secrets_to_provide,
    })
}

/// The keys of the primary's scopes, `(scope, key)`, when the export read its secret scopes.
type Keys = Option<HashSet<(String, String)>>;

/// Every `{{secrets/<scope>/<key>}}` in the rendered resources ([`crate::model::secret_references`]), with the
/// resources that read it, in order of scope and key. Found in the files as written (a secret reference is plain
/// text in an HCL string: `{`, `/` and the characters of scope and key names are never escaped), so that
/// whatever carries one (a job cluster's `spark_conf`, a task's parameters, a policy definition) is seen.
fn secrets_to_provide(files: &BTreeMap<String, String>, keys: Keys) -> Vec<SecretToProvide> {
    let mut found: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (_, text) in files
        .iter()
        .filter(|(name, text)| name.ends_with(".tf") && text.contains("secrets/"))
    {
        let mut address = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("resource \"") {
                let mut parts = rest.split('"');
                if let (Some(t), Some(_), Some(l)) = (parts.next(), parts.next(), parts.next()) {
                    address = format!("{t}.{l}");
                }
            }
            for (scope, key) in crate::model::secret_references(line) {
                let users = found
                    .entry((scope.to_string(), key.to_string()))
                    .or_default();
                if users.last() != Some(&address) {
                    users.push(address.clone());
                }
            }
        }
    }
    found
        .into_iter()
        .map(|((scope, key), mut used_by)| {
            used_by.sort();
            used_by.dedup();
            let in_primary = keys
                .as_ref()
                .map(|k| k.contains(&(scope.clone(), key.clone())));
            SecretToProvide {
                scope,
                key,
                used_by,
                in_primary,
            }
        })
        .collect()
}

/// Labels for the grants of exported objects: the object's own label after its type's prefix (`job_<label>`,
/// as the provider's exporter names them, provider-behaviour.md §6.6), so unique as the objects' labels are.
/// The grants of an object that is not exported (filtered, excluded, or of a kind not exported) are not written:
/// their object id would be a literal that differs in DR.
fn label_permissions(
    objects: &[Object],
    refs: &mut References,
    labelled: &mut Vec<(Exported, usize)>,
    warnings: &mut Vec<Warning>,
) {
    for (i, o) in objects.iter().enumerate() {
        if o.kind != ResourceKind::Permissions {
            continue;
        }
        let Some((target, id)) = crate::model::PermissionsTarget::of_object_id(&o.id) else {
            continue;
        };
        let Some(parent) = refs.label(target.kind, id) else {
            continue;
        };
        let label = format!("{}{parent}", target.label_prefix);
        for note in &o.notes {
            warnings.push(Warning {
                resource: format!("{}.{label}", o.kind.resource_type()),
                path: note.path.clone(),
                message: note.message.clone(),
                id: None,
            });
        }
        refs.insert(o.kind, &o.id, &label);
        labelled.push((
            Exported {
                kind: o.kind,
                label,
                name: o.name.clone(),
                id: o.id.clone(),
            },
            i,
        ));
    }
}

/// Whether [`build`] also parses every file it generates whole: in debug builds (and so in the tests) only;
/// release builds rely on [`verify_output`]'s linear check alone, which the tests exercise directly.
pub const REPARSE_OUTPUT: bool = cfg!(debug_assertions);

/// The proof, before anything is written, that nothing read from the workspace can run as code in the generated
/// `file`: [`crate::hcl::check_generated`] (linear, so cheap for 30 MB), and with `reparse` a parse of the whole
/// file too. An error here is a bug in drsync.
pub fn verify_output(file: &str, text: &str, reparse: bool) -> Result<(), Error> {
    let name = Path::new(file);
    crate::hcl::check_generated(text, name)
        .and_then(|()| {
            if reparse {
                crate::hcl::parse_str(text, name).map(drop)
            } else {
                Ok(())
            }
        })
        .map_err(|source| Error::Reparse {
            file: file.to_string(),
            source,
        })
}

/// What one thread made of its part of the export.
struct Part {
    /// Rendered resources, by kind.
    texts: BTreeMap<ResourceKind, String>,
    warnings: Vec<Warning>,
    rewrite: crate::rewrite::Report,
    /// Jobs whose ahead-of-time conversion was used.
    converted_ahead: usize,
}

/// Resources rendered at a time: few enough that their HCL trees stay small, many enough to amortise.
const RENDER_BATCH: usize = 256;

/// Convert, rewrite, check against the schema and render a run of labelled objects.
fn convert_part(
    items: Vec<(Exported, Object)>,
    settings: &Settings,
    schema: &Schema,
    refs: &References,
) -> Result<Part, Error> {
    let mut converter = Converter::new(schema, refs);
    let mut rewriter = crate::rewrite::Rewriter::new(&settings.rules);
    let mut texts: BTreeMap<ResourceKind, String> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut converted_ahead = 0;
    // Blocks converted here wait in `pending` to be checked and rendered a batch at a time.
    let mut pending: BTreeMap<ResourceKind, ::hcl::Body> = BTreeMap::new();
    let mut waiting = 0;
    let flush = |pending: &mut BTreeMap<ResourceKind, ::hcl::Body>,
                 texts: &mut BTreeMap<ResourceKind, String>|
     -> Result<(), Error> {
        for (kind, body) in std::mem::take(pending) {
            let violations = schema.check_document(&body);
            if !violations.is_empty() {
                let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
                return Err(Error::Schema(list.join("; ")));
            }
            join_rendered(
                texts.entry(kind).or_default(),
                &crate::hcl::to_string(&body),
            );
        }
        Ok(())
    };
    for (exported, object) in items {
        let unpacked;
        let config = match &object.config {
            Config::Tree(v) => v,
            Config::Prepared(job) => {
                let resolved = job
                    .converted
                    .as_ref()
                    .and_then(|c| c.resolve(&exported.label, refs));
                if let Some(r) = resolved {
                    flush(&mut pending, &mut texts)?;
                    waiting = 0;
                    join_rendered(texts.entry(exported.kind).or_default(), &r.text);
                    warnings.extend(r.warnings);
                    rewriter.absorb(r.rewrite);
                    converted_ahead += 1;
                    continue;
                }
                unpacked = serde_json::from_str::<serde_json::Value>(&job.config)
                    .expect("drsync's own compact JSON reads back");
                &unpacked
            }
        };
        let mut block = converter.resource(exported.kind, &exported.label, config);
        rewriter.resource(&mut block);
        if settings.rules.pause == crate::rewrite::PauseMode::Literal {
            check_paused(&block)?;
        }
        pending
            .entry(exported.kind)
            .or_default()
            .0
            .push(block.into());
        waiting += 1;
        if waiting == RENDER_BATCH {
            flush(&mut pending, &mut texts)?;
            waiting = 0;
        }
    }
    flush(&mut pending, &mut texts)?;
    warnings.extend(converter.into_warnings());
    Ok(Part {
        texts,
        warnings,
        rewrite: rewriter.finish(),
        converted_ahead,
    })
}

/// Appends rendered blocks to rendered blocks: what rendering both bodies as one would give (a blank line
/// between two blocks).
fn join_rendered(to: &mut String, more: &str) {
    if !to.is_empty() && !more.is_empty() {
        to.push('\n');
    }
    to.push_str(more);
}

/// The passive-DR invariant of `pause = "literal"`: every schedule, trigger and continuous block says PAUSED,
/// and no pipeline is continuous.
pub(super) fn check_paused(block: &::hcl::Block) -> Result<(), Error> {
    let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
    if labels.first() == Some(&"databricks_pipeline") {
        let continuous = block
            .body()
            .attributes()
            .any(|a| a.key() == "continuous" && *a.expr() == ::hcl::Expression::Bool(true));
        if continuous {
            return Err(Error::LivePause {
                resource: labels.join("."),
                path: "continuous".to_string(),
            });
        }
        return Ok(());
    }
    if labels.first() != Some(&"databricks_job") {
        return Ok(());
    }
    for b in block.body().blocks() {
        let name = b.identifier();
        if !matches!(name, "schedule" | "trigger" | "continuous") {
            continue;
        }
        let paused = b.body().attributes().any(|a| {
            a.key() == "pause_status"
                && *a.expr() == ::hcl::Expression::String("PAUSED".to_string())
        });
        if !paused {
            return Err(Error::LivePause {
                resource: labels.join("."),
                path: name.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_references_are_found_per_resource() {
        let tf = "# header\n\nresource \"databricks_job\" \"a\" {\n  x = \"{{secrets/s/k}} and {{secrets/s/k2}}\"\n  \
                  y = \"{{secrets/s/k}}\"\n}\n\nresource \"databricks_cluster\" \"b\" {\n  z = \"{{secrets/s/k}}\"\n  \
                  w = \"{{secrets/bad scope/k}} {{secrets/nokey}} {{secrets/open\"\n}\n";
        let files = BTreeMap::from([
            ("jobs.tf".to_string(), tf.to_string()),
            (
                "drsync-labels.json".to_string(),
                "{{secrets/s/k}}".to_string(),
            ),
        ]);
        let keys: Keys = Some(HashSet::from([("s".to_string(), "k".to_string())]));
        let found = secrets_to_provide(&files, keys);
        let got: Vec<(&str, &str, Vec<&str>, Option<bool>)> = found
            .iter()
            .map(|s| {
                (
                    s.scope.as_str(),
                    s.key.as_str(),
                    s.used_by.iter().map(String::as_str).collect(),
                    s.in_primary,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "s",
                    "k",
                    vec!["databricks_cluster.b", "databricks_job.a"],
                    Some(true)
                ),
                ("s", "k2", vec!["databricks_job.a"], Some(false)),
            ]
        );
        assert_eq!(secrets_to_provide(&files, None)[0].in_primary, None);
    }
}
