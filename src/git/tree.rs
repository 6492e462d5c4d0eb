//! Committing an export: the branch's tree with only the export's own files in the export folder replaced by
//! what is on disk now, committed when (and only when) that changes the tree, and the branch moved with a
//! compare-and-swap. It must not read or change anything but those files: the user's files in the folder, other
//! files however dirty, and other index entries stay exactly as they were.

use super::{Author, Committed, Error, ExportLock, ExportRepo, Timestamp};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

const MODE_TREE: i32 = 0o040000;
const MODE_BLOB: i32 = 0o100644;
const MODE_EXEC: i32 = 0o100755;
const MODE_LINK: i32 = 0o120000;

/// How often a commit is tried when the branch moves under it (something else commits to it meanwhile).
const ATTEMPTS: u32 = 8;

/// One file as committed, with the stat taken before it was read (for the index).
struct Staged {
    /// Its path in the repository.
    path: PathBuf,
    id: git2::Oid,
    mode: i32,
    meta: std::fs::Metadata,
}

impl ExportRepo {
    /// Commit the export's own files in the export folder, as they are on disk, to the branch, if that changes
    /// the branch's tree.
    ///
    /// `files` names the files the export owns, in the export folder (plain names, no `/`): the new tree is the
    /// branch's tree (or, for a branch still to be created, `HEAD`'s) with, in the export folder, each of those
    /// files as it is on disk, or removed when it is not there. Nothing else is read or staged: the user's files
    /// in the folder (tracked or not), Terraform's `.terraform/` and state, and everything outside the folder stay
    /// exactly as they were, in the commit, the index and the work tree. The export's files are committed even
    /// when ignore rules match them (they are what drift reads back). When the tree is unchanged, nothing is
    /// committed and the result is `None` (a missing branch is still created at `HEAD`). Otherwise one commit is
    /// made, with `author` as author and committer at `when` (default: now), and the branch is moved only if it
    /// still points where it did (retried a few times when something else commits meanwhile, then
    /// [`Error::BranchMoved`]; a git lock on the branch that does not go away is [`Error::RefLocked`]). When the
    /// branch is checked out, the index entries of those files are updated to match, so `git status` is clean for
    /// them; other index entries are kept, and a commit that fails leaves the index as it was.
    ///
    /// `lock` must be this repository's export lock (see [`ExportRepo::lock`]).
    pub fn commit(
        &self,
        lock: &ExportLock,
        files: &[&str],
        message: &str,
        author: &Author,
        when: Option<Timestamp>,
    ) -> Result<Option<Committed>, Error> {
        self.check_lock(lock)?;
        if let Some(bad) = files.iter().find(|f| !is_plain_name(f)) {
            return Err(Error::NotAFileName {
                name: bad.to_string(),
            });
        }
        if self.is_detached() {
            return Err(Error::DetachedHead {
                repo: self.workdir.clone(),
            });
        }
        if !self.export_dir.is_dir() {
            return Err(Error::NoExportFolder {
                path: self.export_dir.clone(),
            });
        }
        if self.branch_is_checked_out() {
            let state = self.repo.state();
            if state != git2::RepositoryState::Clean {
                return Err(Error::InProgress {
                    repo: self.workdir.clone(),
                    branch: self.branch.clone(),
                    operation: operation(state).to_string(),
                });
            }
        }
        let when = when.unwrap_or_else(Timestamp::now);
        let sig =
            git2::Signature::new(&author.name, &author.email, &when.to_git()).map_err(|_| {
                Error::InvalidAuthor {
                    value: author.to_string(),
                }
            })?;
        let message =
            git2::message_prettify(message, None).map_err(self.git("format the message"))?;
        let first_line = message.lines().next().unwrap_or_default().to_string();
        let refname = self.refname();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(5 << attempt));
            }
            // git holds the branch (or a killed git left its lock): wait, then say so, having changed nothing.
            if self.ref_lock_path().exists() {
                continue;
            }
            let current = match self.repo.find_reference(&refname) {
                Ok(r) => Some(r.target().ok_or_else(|| Error::InvalidBranch {
                    branch: self.branch.clone(),
                })?),
                Err(e) if e.code() == git2::ErrorCode::NotFound => None,
                Err(e) => return Err(self.git("read the branch")(e)),
            };
            let tip = match current {
                Some(id) => Some(
                    self.repo
                        .find_commit(id)
                        .map_err(self.git("read the branch"))?,
                ),
                None => self.tip()?,
            };
            let base = match &tip {
                Some(c) => Some(c.tree().map_err(self.git("read the branch's tree"))?),
                None => None,
            };
            let base_sub = match &base {
                Some(t) => self.subtree(t, &self.prefix)?,
                None => None,
            };
            let mut staged = Vec::new();
            let sub = self.stage_files(files, base_sub.as_ref(), &mut staged)?;
            let parts: Vec<&str> = self.prefix.split('/').filter(|p| !p.is_empty()).collect();
            let root = match self.graft(base.as_ref(), &parts, sub)? {
                Some(id) => id,
                None => self.empty_tree()?,
            };
            let unchanged = match &base {
                Some(t) => t.id() == root,
                None => root == self.empty_tree()?,
            };
            let checked_out = self.branch_is_checked_out();
            if unchanged {
                if checked_out {
                    self.update_index(files, &staged)?;
                }
                if let (None, Some(tip)) = (current, &tip) {
                    let created = self.repo.reference(
                        &refname,
                        tip.id(),
                        false,
                        &format!("branch: created by drsync from {}", tip.id()),
                    );
                    match created {
                        Ok(_) => {}
                        Err(e)
                            if matches!(
                                e.code(),
                                git2::ErrorCode::Exists | git2::ErrorCode::Locked
                            ) =>
                        {
                            continue
                        }
                        Err(e) => return Err(self.git("create the branch")(e)),
                    }
                }
                return Ok(None);
            }
            let tree = self
                .repo
                .find_tree(root)
                .map_err(self.git("read the new tree"))?;
            let parents: Vec<&git2::Commit<'_>> = tip.iter().collect();
            let id = self
                .repo
                .commit(None, &sig, &sig, &message, &tree, &parents)
                .map_err(self.git("write the commit"))?;
            let reflog = if parents.is_empty() {
                format!("commit (initial): {first_line}")
            } else {
                format!("commit: {first_line}")
            };
            // The index first: if it cannot be written, the branch has not moved either.
            let previous = if checked_out {
                Some(self.update_index(files, &staged)?)
            } else {
                None
            };
            let moved = match current {
                Some(old) => self
                    .repo
                    .reference_matching(&refname, id, true, old, &reflog),
                None => self.repo.reference(&refname, id, false, &reflog),
            };
            let failure = match moved {
                Ok(_) => {
                    return Ok(Some(Committed {
                        id,
                        parent: tip.map(|c| c.id()),
                        branch: self.branch.clone(),
                    }))
                }
                Err(e)
                    if matches!(
                        e.code(),
                        git2::ErrorCode::Modified
                            | git2::ErrorCode::Exists
                            | git2::ErrorCode::Locked
                    ) =>
                {
                    None
                }
                Err(e) => Some(e),
            };
            // The branch did not move: the index goes back to what it was.
            if let Some(previous) = previous {
                self.restore_index(files, previous)?;
            }
            if let Some(e) = failure {
                return Err(self.git("move the branch")(e));
            }
        }
        if self.ref_lock_path().exists() {
            return Err(self.ref_locked());
        }
        Err(Error::BranchMoved {
            repo: self.workdir.clone(),
            branch: self.branch.clone(),
            attempts: ATTEMPTS,
        })
    }

    pub(super) fn git(&self, action: &'static str) -> impl Fn(git2::Error) -> Error {
        let repo = self.workdir.clone();
        move |source| Error::Git {
            repo: repo.clone(),
            action,
            source,
        }
    }

    /// The tree at `prefix` in `tree` (the tree itself for an empty prefix); `None` when there is none.
    pub(super) fn subtree<'r>(
        &'r self,
        tree: &git2::Tree<'r>,
        prefix: &str,
    ) -> Result<Option<git2::Tree<'r>>, Error> {
        if prefix.is_empty() {
            return Ok(Some(tree.clone()));
        }
        match tree.get_path(Path::new(prefix)) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Tree) => Ok(Some(
                self.repo
                    .find_tree(entry.id())
                    .map_err(self.git("read a tree"))?,
            )),
            Ok(_) => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(self.git("read a tree")(e)),
        }
    }

    fn empty_tree(&self) -> Result<git2::Oid, Error> {
        self.repo
            .treebuilder(None)
            .and_then(|b| b.write())
            .map_err(self.git("write a tree"))
    }

    /// `base` with the entry at `parts` replaced by `new` (or removed when `None`); `None` when that leaves
    /// it empty.
    fn graft(
        &self,
        base: Option<&git2::Tree<'_>>,
        parts: &[&str],
        new: Option<git2::Oid>,
    ) -> Result<Option<git2::Oid>, Error> {
        let Some((first, rest)) = parts.split_first() else {
            return Ok(new);
        };
        let git = self.git("write a tree");
        let child_base = match base.and_then(|t| t.get_name(first)) {
            Some(e) if e.kind() == Some(git2::ObjectType::Tree) => {
                Some(self.repo.find_tree(e.id()).map_err(&git)?)
            }
            _ => None,
        };
        let child = self.graft(child_base.as_ref(), rest, new)?;
        let mut builder = self.repo.treebuilder(base).map_err(&git)?;
        match child {
            Some(id) => {
                builder.insert(first, id, MODE_TREE).map_err(&git)?;
            }
            None => {
                if builder.get(first).map_err(&git)?.is_some() {
                    builder.remove(first).map_err(&git)?;
                }
            }
        }
        if builder.is_empty() {
            Ok(None)
        } else {
            builder.write().map(Some).map_err(git)
        }
    }

    /// Store the export's `files` as they are in the export folder on top of `base` (the folder's tree at the
    /// tip): each one present is added or replaced (a symlink as a link, an executable as one, as Git would), each
    /// one missing is removed, every other entry is kept as it is. `None` for a folder left with nothing.
    fn stage_files(
        &self,
        files: &[&str],
        base: Option<&git2::Tree<'_>>,
        out: &mut Vec<Staged>,
    ) -> Result<Option<git2::Oid>, Error> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::ExportFolder { path, source }
        };
        let git = self.git("store the export's files");
        let mut builder = self.repo.treebuilder(base).map_err(&git)?;
        for name in files {
            let path = self.export_dir.join(name);
            // The stat comes first: a file changed after it no longer matches the index, so git re-reads it.
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if builder.get(name).map_err(&git)?.is_some() {
                        builder.remove(name).map_err(&git)?;
                    }
                    continue;
                }
                Err(e) => return Err(io(&path)(e)),
            };
            let kind = meta.file_type();
            let (id, mode) = if kind.is_symlink() {
                let target = std::fs::read_link(&path).map_err(io(&path))?;
                let id = self
                    .repo
                    .blob(target.as_os_str().as_bytes())
                    .map_err(&git)?;
                (id, MODE_LINK)
            } else if kind.is_file() {
                let content = std::fs::read(&path).map_err(io(&path))?;
                let id = self.repo.blob(&content).map_err(&git)?;
                let mode = if meta.permissions().mode() & 0o111 != 0 {
                    MODE_EXEC
                } else {
                    MODE_BLOB
                };
                (id, mode)
            } else {
                return Err(io(&path)(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "an export file is not a file",
                )));
            };
            builder.insert(name, id, mode).map_err(&git)?;
            out.push(Staged {
                path: Path::new(&self.prefix).join(name),
                id,
                mode,
                meta,
            });
        }
        if builder.is_empty() {
            Ok(None)
        } else {
            builder.write().map(Some).map_err(git)
        }
    }

    /// The index path of an export file.
    fn index_path(&self, name: &str) -> Vec<u8> {
        if self.prefix.is_empty() {
            name.as_bytes().to_vec()
        } else {
            format!("{}/{name}", self.prefix).into_bytes()
        }
    }

    /// Make the index's entries for the export's `names` exactly `files` (all stages), leaving every other entry
    /// alone. Returns the entries it replaced, for [`ExportRepo::restore_index`].
    fn update_index(
        &self,
        names: &[&str],
        files: &[Staged],
    ) -> Result<Vec<git2::IndexEntry>, Error> {
        let entries = files.iter().map(|f| {
            let path = f.path.as_os_str().as_bytes().to_vec();
            let m = &f.meta;
            git2::IndexEntry {
                ctime: git2::IndexTime::new(m.ctime() as i32, m.ctime_nsec() as u32),
                mtime: git2::IndexTime::new(m.mtime() as i32, m.mtime_nsec() as u32),
                dev: m.dev() as u32,
                ino: m.ino() as u32,
                mode: f.mode as u32,
                uid: m.uid(),
                gid: m.gid(),
                file_size: m.size() as u32,
                id: f.id,
                flags: path.len().min(0xfff) as u16,
                flags_extended: 0,
                path,
            }
        });
        self.replace_index_entries(names, entries.collect())
    }

    /// Put back the index entries [`ExportRepo::update_index`] replaced.
    fn restore_index(&self, names: &[&str], previous: Vec<git2::IndexEntry>) -> Result<(), Error> {
        self.replace_index_entries(names, previous).map(drop)
    }

    fn replace_index_entries(
        &self,
        names: &[&str],
        entries: Vec<git2::IndexEntry>,
    ) -> Result<Vec<git2::IndexEntry>, Error> {
        let git = self.git("update the index");
        let mut index = self.repo.index().map_err(&git)?;
        index.read(true).map_err(&git)?;
        let paths: Vec<Vec<u8>> = names.iter().map(|n| self.index_path(n)).collect();
        let old: Vec<git2::IndexEntry> = index.iter().filter(|e| paths.contains(&e.path)).collect();
        for e in &old {
            let stage = i32::from((e.flags >> 12) & 0x3);
            index
                .remove(Path::new(OsStr::from_bytes(&e.path)), stage)
                .map_err(&git)?;
        }
        for e in &entries {
            index.add(e).map_err(&git)?;
        }
        index.write().map_err(|e| {
            if e.code() == git2::ErrorCode::Locked {
                Error::IndexLocked {
                    repo: self.workdir.clone(),
                }
            } else {
                git(e)
            }
        })?;
        Ok(old)
    }
}

/// Whether `name` is one file name: not empty, no `/`, not `.`, `..` or `.git`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\0']) && !matches!(name, "." | ".." | ".git")
}

fn operation(state: git2::RepositoryState) -> &'static str {
    use git2::RepositoryState as S;
    match state {
        S::Clean => "nothing",
        S::Merge => "merge",
        S::Revert | S::RevertSequence => "revert",
        S::CherryPick | S::CherryPickSequence => "cherry-pick",
        S::Bisect => "bisect",
        S::Rebase | S::RebaseInteractive | S::RebaseMerge => "rebase",
        S::ApplyMailbox | S::ApplyMailboxOrRebase => "am",
    }
}
