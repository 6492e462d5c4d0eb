//! The export's last stage: from what `inventory` read (jobs prepared while it read them), assemble one
//! canonical Terraform file per resource type (`build`: normalise through `normalize`, filter, label,
//! `convert`, rewrite, validate, render; pure and deterministic, the same workspace gives byte-identical files),
//! tell what that changes against the previous export (`changes`), and write the export folder's drsync files,
//! and only those (`write`), only after everything was read, converted and validated, so a partial export never
//! replaces a complete one. It reads no workspace and touches no Git repository (`ops::export` does both).

mod build;
mod changes;
mod deferred;
mod files;
pub mod filter;
mod labels;
mod moved;
mod write;

pub use build::{build, build_prepared, verify_output, Prepared, REPARSE_OUTPUT};
pub use changes::{
    changes, changes_from, check_removals, removal_limit, Changes, Renamed, TooManyRemovals,
};
pub use deferred::{PreparedJob, Preparer};
pub use filter::NameFilter;
pub use labels::LabelMap;
pub use moved::{Move, MOVED_FILE};
pub use write::{stage, write, Staged, Written};

use crate::convert::Warning;
use crate::model::ResourceKind;
use crate::normalize;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The file that remembers which primary object each label stands for, so labels stay stable.
pub const LABELS_FILE: &str = "drsync-labels.json";

/// Every file name the export writes; others in its folder are the user's and are left alone.
pub const MANAGED_FILES: &[&str] = &MANAGED;

const MANAGED: [&str; 14] = [
    "jobs.tf",
    "clusters.tf",
    "instance_pools.tf",
    "cluster_policies.tf",
    "sql_warehouses.tf",
    "pipelines.tf",
    "secret_scopes.tf",
    "secret_acls.tf",
    "permissions.tf",
    "versions.tf",
    "variables.tf",
    "dr.auto.tfvars",
    MOVED_FILE,
    LABELS_FILE,
];

/// The export folder's `.gitignore`: the export adds the lines of [`GITIGNORED`] it lacks, keeping the user's.
pub const GITIGNORE_FILE: &str = ".gitignore";

/// What the export folder's `.gitignore` keeps out of Git: Terraform's working folder (provider binaries,
/// modules), local state and its backups (which hold every attribute in clear, secrets included), crash logs and
/// saved plans. Not `.terraform.lock.hcl`: Terraform's docs ask for the dependency lock file to be committed
/// ("Dependency Lock File": "include this file in your version control repository"); it is the user's to commit.
pub const GITIGNORED: &[&str] = &[
    ".terraform/",
    "*.tfstate",
    "*.tfstate.*",
    "crash.log",
    "*.tfplan",
];

/// Every file an export commits: its own files ([`MANAGED_FILES`]) and the folder's `.gitignore`. Anything else
/// in the folder is the user's (or Terraform's) and is never committed by an export.
pub const COMMITTED_FILES: &[&str] = &{
    let mut all = [GITIGNORE_FILE; MANAGED.len() + 1];
    let mut i = 0;
    while i < MANAGED.len() {
        all[i] = MANAGED[i];
        i += 1;
    }
    all
};

/// What to export and how.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The kinds to export.
    pub kinds: Vec<ResourceKind>,
    /// Name globs.
    pub filter: NameFilter,
    /// The provider version constraint for `versions.tf`.
    pub provider_version: String,
    /// The primary workspace's host, named in the files' header.
    pub source_host: String,
    /// The region rules.
    pub rules: crate::rewrite::Rules,
    /// What the normaliser keeps on request (`[export] bundle_jobs`, `failed_libraries`).
    pub normalize: normalize::Options,
    /// The identity the export reads the workspace as (SCIM `Me`): a job's `run_as` equal to it is left out, as
    /// the provider's exporter leaves it out (provider-behaviour.md §2.5), so that DR runs the job as the identity
    /// that applies the HCL there.
    pub exporter: Option<String>,
    /// The primary's workspace id (`api::identity`), recorded in the label map so that a later export can tell
    /// that it reads the same workspace.
    pub workspace_id: Option<String>,
}

/// One exported object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exported {
    /// Its kind.
    pub kind: ResourceKind,
    /// Its resource label.
    pub label: String,
    /// Its name in the workspace.
    pub name: String,
    /// Its id in the primary workspace.
    pub id: String,
}

impl Exported {
    /// `TYPE.LABEL`.
    pub fn address(&self) -> String {
        format!("{}.{}", self.kind.resource_type(), self.label)
    }
}

/// A complete export, in memory.
#[derive(Debug, Clone)]
pub struct Export {
    /// File name → content.
    pub files: BTreeMap<String, String>,
    /// Every exported object, by kind then label.
    pub resources: Vec<Exported>,
    /// What could not be carried over exactly.
    pub warnings: Vec<Warning>,
    /// What the region rules changed.
    pub rewrite: crate::rewrite::Report,
    /// How many jobs were converted ahead of time, while the listing ran ([`build_prepared`]); the others
    /// were converted after it.
    pub converted_ahead: usize,
    /// The secrets the exported resources read that DR must be given by hand, by scope and key.
    pub secrets_to_provide: Vec<SecretToProvide>,
}

/// A secret that an exported resource reads (`{{secrets/<scope>/<key>}}` in any string: `spark_conf`,
/// `spark_env_vars`, a Docker password, a policy's fixed value) and that the export does not create: drsync never
/// reads a secret's value, so it writes no `databricks_secret`, and the key must be put in DR's scope by hand.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretToProvide {
    /// The scope.
    pub scope: String,
    /// The key.
    pub key: String,
    /// The resources that read it (`TYPE.LABEL`), in file and label order.
    pub used_by: Vec<String>,
    /// Whether the primary's scope has the key (`secrets/list`); `None` when the export read no secret scopes.
    pub in_primary: Option<bool>,
}

/// Why an export could not be built or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Generated HCL broke the provider schema: a bug in drsync.
    #[error(
        "generated HCL does not match the provider schema (a bug in drsync, please report it): {0}"
    )]
    Schema(String),
    /// Generated HCL failed its check (a template sequence in a string, unbalanced brackets) or did not parse
    /// back: a bug in drsync.
    #[error("generated {file} is not safe, well-formed HCL (a bug in drsync, please report it)")]
    Reparse {
        /// The file.
        file: String,
        /// The parse error.
        #[source]
        source: crate::hcl::Error,
    },
    /// The previous label map could not be read.
    #[error("{}: cannot read the label map: {reason}", path.display())]
    Labels {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The rewritten output breaks the passive-DR invariant: a bug in drsync.
    #[error("{resource}: `{path}` is still live (not PAUSED, or a continuous pipeline) after pause = \"literal\" (a bug in drsync, please report it)")]
    LivePause {
        /// `TYPE.LABEL`.
        resource: String,
        /// The block, or a pipeline's `continuous`.
        path: String,
    },
    /// Writing the export failed; the previous export is untouched.
    #[error("cannot write the export to {}", path.display())]
    Write {
        /// The path being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_commits_its_own_files_and_the_gitignore_only() {
        let mut expected: Vec<&str> = MANAGED_FILES.to_vec();
        expected.push(GITIGNORE_FILE);
        assert_eq!(COMMITTED_FILES, expected.as_slice());
        assert!(!COMMITTED_FILES.contains(&".terraform.lock.hcl"));
        assert!(!GITIGNORED.contains(&".terraform.lock.hcl"));
    }
}
