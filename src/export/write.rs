//! Writing an export into its folder. The export owns its own files ([`MANAGED_FILES`], and the lines it adds to
//! the folder's `.gitignore`) and nothing else: the user's files, Terraform's `.terraform/`, state and lock file
//! are never read, copied, moved or rewritten, so an edit made to them while an export runs is never lost.
//!
//! The new files are written and synced in a staging folder beside the export folder (`.NAME.drsync-new-PID`,
//! `flock`ed while its writer lives), then each changed file is renamed over its old version (one atomic step per
//! file), the export's stale files are removed, and the staging folder goes. A new export folder is renamed into
//! place whole. Nothing is committed before the write completed, so a write killed between its renames leaves
//! some new and some old files on disk, never in Git, and the next export (which compares every file) puts them
//! right. Every write first removes the staging folders of writes that died, whether or not anything changed.

use super::{Error, Export, GITIGNORED, GITIGNORE_FILE, LABELS_FILE, MANAGED_FILES};
use std::path::{Path, PathBuf};

/// What writing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The export folder.
    pub dir: PathBuf,
    /// Whether any file's content changed.
    pub changed: bool,
}

/// Replace `dir`'s drsync files with the export's and add what is missing from its `.gitignore`: [`stage`], then
/// [`Staged::swap`]. Files that drsync does not write are left alone.
pub fn write(export: &Export, dir: &Path) -> Result<Written, Error> {
    stage(export, dir)?.swap()
}

/// An export written beside its folder by [`stage`], to be put in place by [`Staged::swap`]. Dropped unswapped,
/// its staging folder is removed and the export folder stays as it was.
#[derive(Debug)]
pub struct Staged {
    dir: PathBuf,
    parent: PathBuf,
    staging: Option<Staging>,
    /// Files in the staging folder to rename into the export folder, in order (the label map last).
    replace: Vec<String>,
    /// drsync files the export no longer writes, to remove from the export folder.
    remove: Vec<&'static str>,
}

/// A staging folder and the open, `flock`ed handle that tells other writers its writer is alive.
#[derive(Debug)]
struct Staging {
    path: PathBuf,
    _lock: std::fs::File,
}

/// The first half of [`write()`]: remove what dead writes left beside the folder, find what changes, and write the
/// changed files (and a merged `.gitignore` when lines are missing) to a staging folder beside the export folder.
/// The export folder itself is not touched.
pub fn stage(export: &Export, dir: &Path) -> Result<Staged, Error> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_string());
    clean_leftovers(&parent, &base);

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut remove = Vec::new();
    for name in MANAGED_FILES {
        let path = dir.join(name);
        match export.files.get(*name) {
            Some(new) => {
                if std::fs::read(&path).ok().as_deref() != Some(new.as_bytes()) {
                    files.push((name.to_string(), new.clone().into_bytes()));
                }
            }
            None => {
                if std::fs::symlink_metadata(&path).is_ok() {
                    remove.push(*name);
                }
            }
        }
    }
    if let Some(merged) = gitignore(dir)? {
        files.push((GITIGNORE_FILE.to_string(), merged));
    }
    // The label map goes in last: a write killed before it is redone from the same map by the next export.
    files.sort_by_key(|(name, _)| name == LABELS_FILE);
    let mut staged = Staged {
        dir: dir.to_path_buf(),
        parent: parent.clone(),
        staging: None,
        replace: files.iter().map(|(name, _)| name.clone()).collect(),
        remove,
    };
    if files.is_empty() && staged.remove.is_empty() {
        return Ok(staged);
    }
    std::fs::create_dir_all(&parent).map_err(err(&parent))?;
    let path = parent.join(format!(".{base}.drsync-new-{}", std::process::id()));
    // A folder of this name that `clean_leftovers` kept belongs to a write that still runs: this process's own.
    std::fs::create_dir(&path).map_err(err(&path))?;
    let lock = match lock_staging(&path) {
        Ok(lock) => lock,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&path);
            return Err(err(&path)(e));
        }
    };
    staged.staging = Some(Staging { path, _lock: lock });
    let staging = &staged.staging.as_ref().expect("just set").path;
    for (name, content) in &files {
        let path = staging.join(name);
        write_synced(&path, content).map_err(err(&path))?;
    }
    sync_dir(staging);
    Ok(staged)
}

impl Staged {
    /// Whether swapping changes anything in the export folder.
    pub fn changes(&self) -> bool {
        self.staging.is_some()
    }

    /// The second half of [`write()`]: rename each staged file over its old version in the export folder and remove
    /// the drsync files the export no longer writes (a new export folder is renamed into place whole). Only the
    /// export's own files are touched.
    pub fn swap(mut self) -> Result<Written, Error> {
        let dir = self.dir.clone();
        let Some(staging) = self.staging.take() else {
            return Ok(Written {
                dir,
                changed: false,
            });
        };
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Write { path, source }
        };
        let result = (|| {
            if !dir.exists() {
                // A new folder appears whole, or not at all.
                match rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    &staging.path,
                    rustix::fs::CWD,
                    &dir,
                    rustix::fs::RenameFlags::NOREPLACE,
                ) {
                    Ok(()) => {
                        sync_dir(&self.parent);
                        return Ok(true);
                    }
                    // Made meanwhile: fill it file by file like any other.
                    Err(e) if e == rustix::io::Errno::EXIST => {}
                    Err(e) => {
                        return Err(err(&dir)(std::io::Error::from_raw_os_error(
                            e.raw_os_error(),
                        )))
                    }
                }
            }
            for name in &self.replace {
                let to = dir.join(name);
                std::fs::rename(staging.path.join(name), &to).map_err(err(&to))?;
            }
            for name in &self.remove {
                let path = dir.join(name);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(err(&path)(e))
                    }
                    _ => {}
                }
            }
            sync_dir(&dir);
            Ok(false)
        })();
        if !matches!(result, Ok(true)) {
            let _ = std::fs::remove_dir_all(&staging.path);
        }
        drop(staging);
        result.map(|_| Written { dir, changed: true })
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            let _ = std::fs::remove_dir_all(&staging.path);
        }
    }
}

/// The folder's `.gitignore` with the lines of [`GITIGNORED`] it lacks added at its end (its own lines kept as
/// they are); `None` when none is missing.
fn gitignore(dir: &Path) -> Result<Option<Vec<u8>>, Error> {
    let path = dir.join(GITIGNORE_FILE);
    let mut content = match std::fs::read(&path) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(Error::Write { path, source }),
    };
    let missing: Vec<&str> = {
        let text = String::from_utf8_lossy(&content);
        let present: std::collections::HashSet<&str> = text.lines().map(str::trim).collect();
        GITIGNORED
            .iter()
            .copied()
            .filter(|line| !present.contains(line))
            .collect()
    };
    if missing.is_empty() {
        return Ok(None);
    }
    if !content.is_empty() && !content.ends_with(b"\n") {
        content.push(b'\n');
    }
    content.extend_from_slice(
        b"# Added by drsync: Terraform's working files, state and plans stay out of Git.\n",
    );
    for line in missing {
        content.extend_from_slice(line.as_bytes());
        content.push(b'\n');
    }
    Ok(Some(content))
}

/// Take the `flock` that marks a staging folder as in use.
fn lock_staging(path: &Path) -> std::io::Result<std::fs::File> {
    let file = std::fs::File::open(path)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        .map_err(|e| std::io::Error::from_raw_os_error(e.raw_os_error()))?;
    Ok(file)
}

/// Remove the staging folders that writes which died left beside the export folder: those whose `flock` nobody
/// holds (the kernel drops it when its holder exits or is killed). They hold nothing that is not elsewhere: new
/// files never swapped in, or what a write of an older drsync swapped out.
fn clean_leftovers(parent: &Path, base: &str) {
    let prefix = format!(".{base}.drsync-new-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let path = e.path();
        // A lock nobody holds: its write died (held, it is a write that still runs; the lock taken here is
        // released at once).
        if e.file_type().is_ok_and(|t| t.is_dir()) && lock_staging(&path).is_ok() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn write_synced(path: &Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(content)?;
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
    use std::os::unix::fs::MetadataExt;

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
            secrets_to_provide: Vec::new(),
        }
    }

    fn contents(dir: &Path) -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    const GITIGNORE: &str =
        "# Added by drsync: Terraform's working files, state and plans stay out of Git.\n\
                             .terraform/\n*.tfstate\n*.tfstate.*\ncrash.log\n*.tfplan\n";

    /// A write killed at any point leaves nothing in Git and nothing the next write does not put right: the new
    /// files are written aside first. Simulate the kill by leaving a half-written staging folder of a dead write.
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

        // The next write cleans up and puts in the complete new export, keeping the user's file.
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
        assert_eq!(names(root.path()), ["generated"]);
    }

    /// Issue 14: a swap killed after its rename left the old folder beside the export until the next change.
    /// Every write removes what dead writes left, also when nothing changed; a running write's folder is kept.
    #[test]
    fn leftovers_of_dead_writes_go_on_every_write_even_without_changes() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("generated");
        let e = export(&[("jobs.tf", "x\n")]);
        assert!(write(&e, &dir).unwrap().changed);
        // Killed after the rename: the old folder, under the staging name, with a subfolder.
        let dead = root.path().join(".generated.drsync-new-4000000001");
        std::fs::create_dir_all(dead.join(".terraform")).unwrap();
        std::fs::write(dead.join("jobs.tf"), "old\n").unwrap();
        // A write that still runs (it holds its folder's lock) is left alone.
        let live = root.path().join(".generated.drsync-new-4000000002");
        std::fs::create_dir(&live).unwrap();
        let held = lock_staging(&live).unwrap();
        // Someone else's folder is not drsync's.
        std::fs::create_dir(root.path().join(".generated.other")).unwrap();

        let w = write(&e, &dir).unwrap();
        assert!(!w.changed);
        assert!(!dead.exists(), "the dead write's folder is gone");
        assert!(live.exists(), "the running write's folder is kept");
        assert_eq!(
            names(root.path()),
            [
                ".generated.drsync-new-4000000002",
                ".generated.other",
                "generated"
            ]
        );
        drop(held);
        assert!(!write(&e, &dir).unwrap().changed);
        assert_eq!(names(root.path()), [".generated.other", "generated"]);
    }

    #[test]
    fn unchanged_content_is_not_rewritten() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("generated");
        let e = export(&[("jobs.tf", "x\n")]);
        assert!(write(&e, &dir).unwrap().changed);
        assert!(!write(&e, &dir).unwrap().changed);
    }

    /// The user's files (and Terraform's) are never copied, moved or rewritten: the same inode, the same bytes,
    /// the same modification time. Only drsync's changed files are replaced, its stale ones removed.
    #[test]
    fn only_the_exports_own_files_are_replaced() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("generated");
        write(
            &export(&[
                ("jobs.tf", "j1\n"),
                ("variables.tf", "v\n"),
                ("versions.tf", "p\n"),
            ]),
            &dir,
        )
        .unwrap();
        std::fs::create_dir_all(dir.join(".terraform/providers")).unwrap();
        std::fs::write(dir.join(".terraform/providers/bin"), vec![7u8; 1 << 20]).unwrap();
        std::fs::write(dir.join("terraform.tfstate"), "{\"version\":4}\n").unwrap();
        std::fs::write(dir.join("notes.md"), "mine\n").unwrap();
        let stat = |p: &str| {
            let m = std::fs::metadata(dir.join(p)).unwrap();
            (m.ino(), m.mtime(), m.mtime_nsec())
        };
        let user = [
            "notes.md",
            "terraform.tfstate",
            ".terraform/providers/bin",
            ".terraform",
        ];
        let before: Vec<_> = user.iter().map(|p| stat(p)).collect();
        let versions = stat("versions.tf");

        let w = write(
            &export(&[("jobs.tf", "j2\n"), ("versions.tf", "p\n")]),
            &dir,
        )
        .unwrap();
        assert!(w.changed);
        assert_eq!(user.iter().map(|p| stat(p)).collect::<Vec<_>>(), before);
        assert_eq!(
            stat("versions.tf"),
            versions,
            "an unchanged file is not rewritten"
        );
        assert_eq!(
            names(&dir),
            [
                ".gitignore",
                ".terraform",
                "jobs.tf",
                "notes.md",
                "terraform.tfstate",
                "versions.tf"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("jobs.tf")).unwrap(),
            "j2\n"
        );
        assert_eq!(
            std::fs::read(dir.join(".terraform/providers/bin")).unwrap(),
            vec![7u8; 1 << 20]
        );
    }

    /// A user file edited, created or replaced (as editors save: a new file renamed over the old) between staging
    /// and swapping keeps the edit: the swap touches nothing but the export's own files.
    #[test]
    fn an_edit_between_stage_and_swap_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("generated");
        write(&export(&[("jobs.tf", "j1\n")]), &dir).unwrap();
        std::fs::write(dir.join("notes.md"), "v1\n").unwrap();
        std::fs::write(dir.join("main.tf"), "m1\n").unwrap();

        let staged = stage(&export(&[("jobs.tf", "j2\n")]), &dir).unwrap();
        assert!(staged.changes());
        assert_eq!(
            std::fs::read_to_string(dir.join("jobs.tf")).unwrap(),
            "j1\n"
        );
        std::fs::write(dir.join("notes.md"), "v2, edited meanwhile\n").unwrap();
        std::fs::write(root.path().join("main.tf.tmp"), "m2, saved meanwhile\n").unwrap();
        std::fs::rename(root.path().join("main.tf.tmp"), dir.join("main.tf")).unwrap();
        std::fs::write(dir.join("new.md"), "created meanwhile\n").unwrap();
        staged.swap().unwrap();

        let after = contents(&dir);
        assert_eq!(after["jobs.tf"], "j2\n");
        assert_eq!(after["notes.md"], "v2, edited meanwhile\n");
        assert_eq!(after["main.tf"], "m2, saved meanwhile\n");
        assert_eq!(after["new.md"], "created meanwhile\n");
        assert_eq!(names(root.path()), ["generated"]);

        // A staged export dropped unswapped changes nothing and leaves nothing behind.
        let staged = stage(&export(&[("jobs.tf", "j3\n")]), &dir).unwrap();
        drop(staged);
        assert_eq!(contents(&dir)["jobs.tf"], "j2\n");
        assert_eq!(names(root.path()), ["generated"]);
    }

    /// The folder's `.gitignore` keeps Terraform's working files out of Git: written when missing, merged into
    /// the user's (whose lines stay as they are, only missing lines added), left alone once complete.
    #[test]
    fn the_gitignore_is_written_and_merged_never_clobbered() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("generated");
        write(&export(&[("jobs.tf", "j\n")]), &dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
            GITIGNORE
        );
        // Complete: nothing to write.
        assert!(!write(&export(&[("jobs.tf", "j\n")]), &dir).unwrap().changed);

        // A user's .gitignore without a final newline, with some of the lines (one with trailing blanks).
        let other = root.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(
            other.join(".gitignore"),
            "*.bak\n*.tfstate  \n!keep.tfplan\n.terraform/",
        )
        .unwrap();
        write(&export(&[("jobs.tf", "j\n")]), &other).unwrap();
        assert_eq!(
            std::fs::read_to_string(other.join(".gitignore")).unwrap(),
            "*.bak\n*.tfstate  \n!keep.tfplan\n.terraform/\n\
             # Added by drsync: Terraform's working files, state and plans stay out of Git.\n\
             *.tfstate.*\ncrash.log\n*.tfplan\n"
        );
        let merged = std::fs::read(other.join(".gitignore")).unwrap();
        // The user edits it afterwards (drops the comment, adds a line): drsync adds nothing again.
        let edited = String::from_utf8(merged).unwrap().replace(
            "# Added by drsync: Terraform's working files, state and plans stay out of Git.\n",
            "",
        ) + "*.log\n";
        std::fs::write(other.join(".gitignore"), &edited).unwrap();
        assert!(
            !write(&export(&[("jobs.tf", "j\n")]), &other)
                .unwrap()
                .changed
        );
        assert_eq!(
            std::fs::read_to_string(other.join(".gitignore")).unwrap(),
            edited
        );
    }
}
