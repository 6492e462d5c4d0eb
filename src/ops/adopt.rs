//! `adopt` as an operation: Terraform `import` blocks for the DR objects that already exist. Reads the desired
//! state ([`super::desired`]) and the DR workspace as `drift` does, matches by state and then by name
//! ([`crate::drift::compare_for_adoption`]), and writes `imports.tf` ([`crate::drift::adopt`]): in the export
//! folder by default, a file the export keeps and never commits. Returns the [`Adoption`]; rendering it and the
//! exit code are the caller's.
//!
//! Drift's ignore rules play no part: `terraform apply` changes what they hide as much as anything else, so
//! every change of an adopted object is listed.

use super::desired::Desired;
use super::drift::{read_and_compare, Matching};
use crate::api::WorkspaceClient;
use crate::config::Config;
use crate::drift::adopt::{self, Adoption, Provenance};
use std::path::{Path, PathBuf};

/// The file `adopt` writes in the export folder unless told otherwise.
pub const IMPORTS_FILE: &str = "imports.tf";

/// What `adopt` is given beside the desired state.
#[derive(Debug, Clone, Default)]
pub struct AdoptSettings {
    /// Where to write the import blocks (default: [`IMPORTS_FILE`] in the export folder).
    pub out: Option<PathBuf>,
    /// The current time, in seconds since the epoch, for the file's header.
    pub now: i64,
}

/// What an adopt run did.
#[derive(Debug, Clone)]
pub struct AdoptOutcome {
    /// What adopting comes to.
    pub adoption: Adoption,
    /// The file written.
    pub written: PathBuf,
}

/// Why `adopt` could not adopt.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or comparing DR failed, as for drift.
    #[error(transparent)]
    Compare(#[from] super::drift::Error),
    /// The file is not one `drsync adopt` wrote: it is the user's, and stays as it is.
    #[error("{}: not written by drsync adopt (its first line is not `{}`): left as it is", path.display(), adopt::HEADER)]
    NotOurs {
        /// The file.
        path: PathBuf,
    },
    /// The import blocks failed drsync's check of generated HCL (a bug in drsync).
    #[error("the import blocks are not safe HCL (a bug in drsync, please report it)")]
    Generated(#[source] crate::hcl::Error),
    /// The file could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Adopt the DR workspace `client` into the Terraform of `desired`: compare, then write the import blocks.
pub async fn adopt(
    config: &Config,
    desired: Desired,
    client: &WorkspaceClient,
    settings: &AdoptSettings,
) -> Result<AdoptOutcome, Error> {
    let path = settings
        .out
        .clone()
        .unwrap_or_else(|| desired.out.join(IMPORTS_FILE));
    // Refused before DR is read: a file of the user's is never overwritten.
    ensure_ours(&path)?;
    let read = read_and_compare(config, desired, client, Matching::Adopt).await?;
    let mut adoption = adopt::adoption(
        &read.compared.matching,
        &read.compared.report,
        read.state.as_ref(),
        path.display().to_string(),
    );
    adopt::annotate(&read.parsed, &mut adoption);
    std::mem::forget(read.parsed);
    let text = adopt::imports_tf(
        &adoption.imports,
        Provenance {
            now: settings.now,
            host: client.host(),
            workspace_id: &read.me.workspace_id,
        },
    )
    .map_err(Error::Generated)?;
    write(&path, &text)?;
    Ok(AdoptOutcome {
        adoption,
        written: path,
    })
}

/// Refuse a file that exists and was not written by `drsync adopt`.
fn ensure_ours(path: &Path) -> Result<(), Error> {
    match std::fs::read(path) {
        Ok(bytes) if !bytes.starts_with(adopt::HEADER.as_bytes()) => Err(Error::NotOurs {
            path: path.to_path_buf(),
        }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Write `text` to `path` whole: to a file beside it, then renamed over it, so that a reader never sees half.
fn write(path: &Path, text: &str) -> Result<(), Error> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| IMPORTS_FILE.to_string());
    let aside = parent.join(format!(".{name}.drsync-new-{}", std::process::id()));
    std::fs::write(&aside, text).map_err(err)?;
    std::fs::rename(&aside, path).map_err(|e| {
        let _ = std::fs::remove_file(&aside);
        err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_file_adopt_wrote_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("imports.tf");
        ensure_ours(&path).unwrap();
        write(&path, &format!("{}\nimport {{}}\n", adopt::HEADER)).unwrap();
        ensure_ours(&path).unwrap();
        std::fs::write(
            &path,
            "import {\n  to = databricks_job.mine\n  id = \"1\"\n}\n",
        )
        .unwrap();
        let e = ensure_ours(&path).unwrap_err();
        assert!(matches!(e, Error::NotOurs { .. }), "{e:?}");
        assert!(e.to_string().ends_with("left as it is"), "{e}");
        // Nothing is left beside it.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["imports.tf"]);
    }
}
