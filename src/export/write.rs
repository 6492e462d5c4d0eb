//! Writing an export into its folder all at once: the new folder is assembled beside the old one (the user's
//! own files copied over, drsync's files replaced, stale drsync files left out) and swapped in with one atomic
//! rename, so a crash or kill at any point leaves either the old export or the new one, never a mix.

use super::{Error, Export, MANAGED_FILES};
use std::path::{Path, PathBuf};

/// What writing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The export folder.
    pub dir: PathBuf,
    /// Whether any file's content changed.
    pub changed: bool,
}

/// Replace `dir`'s drsync files with the export's, atomically. Files that drsync does not write are kept.
pub fn write(export: &Export, dir: &Path) -> Result<Written, Error> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    let changed = MANAGED_FILES.iter().any(|name| {
        let old = std::fs::read_to_string(dir.join(name)).ok();
        old.as_ref() != export.files.get(*name)
    });
    if !changed {
        return Ok(Written {
            dir: dir.to_path_buf(),
            changed: false,
        });
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(err(&parent))?;
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_string());
    clean_leftovers(&parent, &base);
    let staging = parent.join(format!(".{base}.drsync-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging).map_err(err(&staging))?;
    let result = (|| {
        if dir.is_dir() {
            copy_user_files(dir, &staging)?;
        }
        for (name, content) in &export.files {
            let path = staging.join(name);
            write_synced(&path, content).map_err(err(&path))?;
        }
        sync_dir(&staging);
        if dir.exists() {
            // Swap the complete new folder with the old one in one step, then drop the old one.
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                &staging,
                rustix::fs::CWD,
                dir,
                rustix::fs::RenameFlags::EXCHANGE,
            )
            .map_err(|e| std::io::Error::from_raw_os_error(e.raw_os_error()))
            .map_err(err(dir))?;
            let _ = std::fs::remove_dir_all(&staging);
        } else {
            std::fs::rename(&staging, dir).map_err(err(dir))?;
        }
        sync_dir(&parent);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result.map(|()| Written {
        dir: dir.to_path_buf(),
        changed: true,
    })
}

/// Copy everything in `from` except drsync's own files into `to`, recursively.
fn copy_user_files(from: &Path, to: &Path) -> Result<(), Error> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    for entry in std::fs::read_dir(from).map_err(err(from))? {
        let entry = entry.map_err(err(from))?;
        let name = entry.file_name();
        if MANAGED_FILES.iter().any(|m| name == *m) {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let kind = entry.file_type().map_err(err(&src))?;
        if kind.is_dir() {
            std::fs::create_dir(&dst).map_err(err(&dst))?;
            copy_user_files(&src, &dst)?;
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&src).map_err(err(&src))?;
            std::os::unix::fs::symlink(target, &dst).map_err(err(&dst))?;
        } else {
            std::fs::copy(&src, &dst).map_err(err(&dst))?;
        }
    }
    Ok(())
}

/// Staging folders of writes that were killed: they hold nothing that is not elsewhere.
fn clean_leftovers(parent: &Path, base: &str) {
    let prefix = format!(".{base}.drsync-new-");
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.strip_prefix(&prefix) else {
                continue;
            };
            // A staging folder of a process that still runs is its business.
            if Path::new("/proc").join(pid).exists() {
                continue;
            }
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn write_synced(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn export(files: &[(&str, &str)]) -> Export {
        Export {
            files: files
                .iter()
                .map(|(n, c)| (n.to_string(), c.to_string()))
                .collect::<BTreeMap<_, _>>(),
            resources: Vec::new(),
            warnings: Vec::new(),
            rewrite: crate::rewrite::Report::default(),
            converted_ahead: 0,
        }
    }

    fn contents(dir: &Path) -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect()
    }

    /// A write killed at any point leaves the old folder or the new one: the new one is assembled aside and
    /// swapped in whole. Simulate the kill by leaving a half-written staging folder of a dead process.
    #[test]
    fn a_killed_write_leaves_a_consistent_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("generated");
        write(
            &export(&[("jobs.tf", "old jobs\n"), ("clusters.tf", "old clusters\n")]),
            &dir,
        )
        .unwrap();
        std::fs::write(dir.join("notes.md"), "mine\n").unwrap();
        let before = contents(&dir);

        // Killed mid-write: a staging folder with half the new files, from a process that is gone.
        let dead = root.path().join(".generated.drsync-new-4000000000");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("jobs.tf"), "new jobs\n").unwrap();
        assert_eq!(
            contents(&dir),
            before,
            "the folder is the old export, whole"
        );

        // The next write cleans up and swaps in the complete new export, keeping the user's file.
        write(
            &export(&[("jobs.tf", "new jobs\n"), ("clusters.tf", "new clusters\n")]),
            &dir,
        )
        .unwrap();
        let after = contents(&dir);
        assert_eq!(after["jobs.tf"], "new jobs\n");
        assert_eq!(after["clusters.tf"], "new clusters\n");
        assert_eq!(after["notes.md"], "mine\n");
        assert!(!dead.exists(), "the dead process's staging folder is gone");
        let names: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["generated"]);
    }

    #[test]
    fn unchanged_content_is_not_rewritten() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("generated");
        let e = export(&[("jobs.tf", "x\n")]);
        assert!(write(&e, &dir).unwrap().changed);
        assert!(!write(&e, &dir).unwrap().changed);
    }
}
