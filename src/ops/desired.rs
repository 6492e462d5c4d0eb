//! The desired state, loaded one way for `drift` and `check`: the export's files (from Git at a revision, or
//! from the folder on disk), the label file, the variables files, the Terraform state that matches by id and
//! the ignore rules. Reads files and the repository; parses no HCL (each operation does, when it wants it)
//! and talks to no workspace.

use crate::config::Config;
use crate::drift::ignore::{IgnoreError, IgnoreRules, FILE_NAME};
use crate::drift::{Source, StateError, StateIds};
use crate::export::LABELS_FILE;
use crate::git::{self, ExportRepo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where to read the desired state from: the flags of `drift` and `check`.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The export folder, instead of `[export] dir`.
    pub out: Option<PathBuf>,
    /// The Git revision (default: the tip of the configured branch).
    pub git_ref: Option<String>,
    /// Read the folder on disk instead of Git.
    pub worktree: bool,
    /// Terraform variables files, read after `dr.auto.tfvars`.
    pub var_files: Vec<PathBuf>,
    /// A Terraform state (format 4) to match resources to DR objects by id.
    pub state: Option<PathBuf>,
    /// Ignore rules (default: `.drsyncignore` next to drsync.toml, when it exists).
    pub ignore: Option<PathBuf>,
}

/// The desired state as read, not yet parsed.
pub struct Desired {
    /// The export folder.
    pub out: PathBuf,
    /// The export's files by name (`.tf` and `.tfvars`; from Git, also the label file).
    pub files: BTreeMap<String, String>,
    /// The variables files: name and text.
    pub var_files: Vec<(String, String)>,
    /// Where the files come from (`workspace` left empty: the operation knows the workspace).
    pub source: Source,
    /// The text of the label file (`drsync-labels.json`), when there is one.
    pub labels: Option<String>,
    /// The Terraform state, when one was named.
    pub state: Option<StateIds>,
    /// The ignore rules, when there are any.
    pub ignore: Option<IgnoreRules>,
    /// The repository, when read from Git.
    pub repo: Option<ExportRepo>,
}

impl Desired {
    /// The primary's workspace id, as the export recorded it in the label file.
    pub fn primary_workspace_id(&self) -> Option<String> {
        self.labels
            .as_deref()
            .and_then(crate::export::LabelMap::workspace_id_in)
    }
}

/// Why the desired state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The repository, the revision or its files.
    #[error(transparent)]
    Git(#[from] git::Error),
    /// A file or folder (the error names its path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// `--state` is not a Terraform state drsync reads.
    #[error("{}: {error}", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        error: StateError,
    },
    /// A line of the ignore file.
    #[error(transparent)]
    Ignore(#[from] IgnoreError),
}

/// Read the desired state as `request` says, in this order: the export's files, the variables files, the
/// state, the ignore rules.
pub fn load(config: &Config, request: &Request) -> Result<Desired, Error> {
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| config.resolve_path(&config.export.dir));
    let (files, source, repo) = if request.worktree {
        let mut files = BTreeMap::new();
        for entry in fs_err::read_dir(&out)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tf") || name.ends_with(".tfvars") {
                files.insert(name, fs_err::read_to_string(entry.path())?);
            }
        }
        let source = Source {
            workspace: String::new(),
            git_ref: "worktree".to_string(),
            commit: None,
            folder: out.display().to_string(),
        };
        (files, source, None)
    } else {
        let repo = git::open(&out, &config.git)?;
        let rev = request
            .git_ref
            .clone()
            .unwrap_or_else(|| repo.branch().to_string());
        let commit = repo.resolve(&rev)?;
        let files = repo.read_files(&rev)?;
        let source = Source {
            workspace: String::new(),
            git_ref: rev,
            commit: Some(commit.to_string()),
            folder: repo.prefix().to_string(),
        };
        (files, source, Some(repo))
    };
    let labels = match files.get(LABELS_FILE) {
        Some(text) => Some(text.clone()),
        // The folder on disk is read for its HCL only: the label file is read on its own.
        None if request.worktree => std::fs::read_to_string(out.join(LABELS_FILE)).ok(),
        None => None,
    };
    let mut var_files = Vec::new();
    for f in &request.var_files {
        var_files.push((f.display().to_string(), fs_err::read_to_string(f)?));
    }
    let state = match &request.state {
        Some(path) => Some(read_state(path)?),
        None => None,
    };
    let ignore = load_ignore(config, request.ignore.as_deref())?;
    Ok(Desired {
        out,
        files,
        var_files,
        source,
        labels,
        state,
        ignore,
        repo,
    })
}

/// The Terraform state at `path`: resource addresses to DR ids.
fn read_state(path: &Path) -> Result<StateIds, Error> {
    let text = fs_err::read_to_string(path)?;
    StateIds::parse(&text).map_err(|error| Error::State {
        path: path.to_path_buf(),
        error,
    })
}

/// The drift ignore rules: `explicit`, else `.drsyncignore` next to drsync.toml when it exists.
fn load_ignore(config: &Config, explicit: Option<&Path>) -> Result<Option<IgnoreRules>, Error> {
    let default = config.resolve_path(Path::new(FILE_NAME));
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if default.exists() => default,
        None => return Ok(None),
    };
    let text = fs_err::read_to_string(&path)?;
    Ok(Some(IgnoreRules::parse(&text, &path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder with drsync.toml (nothing in it) and an export folder holding `files`.
    fn folder(files: &[(&str, &str)]) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("terraform/generated");
        std::fs::create_dir_all(&out).unwrap();
        for (name, text) in files {
            std::fs::write(out.join(name), text).unwrap();
        }
        let config = Config::parse("", &dir.path().join("drsync.toml")).unwrap();
        (dir, config)
    }

    fn worktree() -> Request {
        Request {
            worktree: true,
            ..Request::default()
        }
    }

    #[test]
    fn the_folder_on_disk_gives_its_hcl_and_its_label_file() {
        let (_dir, config) = folder(&[
            ("jobs.tf", "# jobs\n"),
            ("dr.auto.tfvars", "a = 1\n"),
            ("notes.md", "not HCL\n"),
            (LABELS_FILE, "{}\n"),
        ]);
        let desired = load(&config, &worktree()).unwrap();
        assert_eq!(
            desired.files.keys().collect::<Vec<_>>(),
            ["dr.auto.tfvars", "jobs.tf"]
        );
        assert_eq!(desired.labels.as_deref(), Some("{}\n"));
        assert_eq!(desired.source.git_ref, "worktree");
        assert_eq!(desired.source.commit, None);
        assert!(desired.repo.is_none() && desired.state.is_none() && desired.ignore.is_none());
    }

    #[test]
    fn a_state_that_is_not_one_is_refused_naming_its_file() {
        let (dir, config) = folder(&[("jobs.tf", "")]);
        let state = dir.path().join("state.json");
        std::fs::write(&state, "{}").unwrap();
        let request = Request {
            state: Some(state.clone()),
            ..worktree()
        };
        let Err(e) = load(&config, &request) else {
            panic!("a state without `version` was read")
        };
        assert!(matches!(e, Error::State { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: no `version`: not a Terraform state file",
                state.display()
            )
        );
    }

    #[test]
    fn the_ignore_file_next_to_drsync_toml_is_read_unless_another_is_named() {
        let (dir, config) = folder(&[("jobs.tf", "")]);
        std::fs::write(dir.path().join(FILE_NAME), "databricks_job.*\n").unwrap();
        let desired = load(&config, &worktree()).unwrap();
        assert!(desired.ignore.is_some_and(|r| !r.is_empty()));
        let other = dir.path().join("other-ignore");
        std::fs::write(&other, "# nothing\n").unwrap();
        let request = Request {
            ignore: Some(other),
            ..worktree()
        };
        let desired = load(&config, &request).unwrap();
        assert!(desired.ignore.is_some_and(|r| r.is_empty()));
        // A bad line is an error naming the file and line.
        std::fs::write(dir.path().join(FILE_NAME), "databricks_job\n").unwrap();
        let Err(e) = load(&config, &worktree()) else {
            panic!("a pattern without a label was taken")
        };
        assert!(matches!(e, Error::Ignore(_)), "{e:?}");
        assert!(e.to_string().contains(".drsyncignore:1: "), "{e}");
    }
}
