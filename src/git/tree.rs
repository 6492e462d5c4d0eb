//! Committing the export folder: the branch's tree with only the export folder's subtree replaced by what is on
//! disk now, committed when (and only when) that changes the tree, and the branch moved with a compare-and-swap.
//! It must not read or change anything outside the export folder: other files, however dirty, and other index
//! entries stay exactly as they were.

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
    /// Commit the export folder as it is on disk to the branch, if that changes the branch's tree.
    ///
    /// The new tree is the branch's tree (or, for a branch still to be created, `HEAD`'s) with the export
    /// folder's subtree replaced by the folder's files: every file in it except those Git ignores that are not
    /// tracked yet, nested repositories and `.git`. Nothing else in the repository is read or staged. When the
    /// tree is unchanged, nothing is committed and the result is `None` (a missing branch is still created at
    /// `HEAD`). Otherwise one commit is made, with `author` as author and committer at `when` (default: now),
    /// and the branch is moved only if it still points where it did (retried a few times when something else
    /// commits meanwhile, then [`Error::BranchMoved`]). When the branch is checked out, the index entries of the
    /// export folder are updated to match, so `git status` is clean for it; other index entries are kept.
    ///
    /// `lock` must be this repository's export lock (see [`ExportRepo::lock`]).
    pub fn commit(
        &self,
        lock: &ExportLock,
        message: &str,
        author: &Author,
        when: Option<Timestamp>,
    ) -> Result<Option<Committed>, Error> {
        self.check_lock(lock)?;
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
            let mut files = Vec::new();
            let sub = self.stage_dir(
                &self.export_dir,
                Path::new(&self.prefix),
                base_sub.as_ref(),
                &mut files,
            )?;
            let parts: Vec<&str> = self.prefix.split('/').filter(|p| !p.is_empty()).collect();
            let root = match self.graft(base.as_ref(), &parts, sub)? {
                Some(id) => id,
                None => self.empty_tree()?,
            };
            let unchanged = match &base {
                Some(t) => t.id() == root,
                None => root == self.empty_tree()?,
            };
            if self.branch_is_checked_out() {
                self.update_index(&files)?;
            }
            if unchanged {
                if let (None, Some(tip)) = (current, &tip) {
                    let created = self.repo.reference(
                        &refname,
                        tip.id(),
                        false,
                        &format!("branch: created by drsync from {}", tip.id()),
                    );
                    match created {
                        Ok(_) => {}
                        Err(e) if e.code() == git2::ErrorCode::Exists => continue,
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
            let moved = match current {
                Some(old) => self
                    .repo
                    .reference_matching(&refname, id, true, old, &reflog),
                None => self.repo.reference(&refname, id, false, &reflog),
            };
            match moved {
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
                        git2::ErrorCode::Modified | git2::ErrorCode::Exists
                    ) => {}
                Err(e) if e.code() == git2::ErrorCode::Locked => {}
                Err(e) => return Err(self.git("move the branch")(e)),
            }
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

    /// Store the files under `dir` (at `rel` in the repository) as blobs and trees, like `git add -A` would;
    /// `None` for a folder with nothing to commit. `base` is the folder's tree at the tip: its entries are
    /// committed even when ignore rules match them, as Git does for tracked files.
    fn stage_dir(
        &self,
        dir: &Path,
        rel: &Path,
        base: Option<&git2::Tree<'_>>,
        out: &mut Vec<Staged>,
    ) -> Result<Option<git2::Oid>, Error> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::ExportFolder { path, source }
        };
        let git = self.git("store the export's files");
        let mut builder = self.repo.treebuilder(None).map_err(&git)?;
        let mut entries = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io(dir))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            if name == OsStr::new(".git") {
                continue;
            }
            let path = entry.path();
            let rel_path = rel.join(&name);
            let base_entry = base.and_then(|t| t.get_name_bytes(name.as_bytes()));
            if base_entry.is_none() && self.ignored(&rel_path)? {
                continue;
            }
            // The stat comes first: a file changed after it no longer matches the index, so git re-reads it.
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            let kind = meta.file_type();
            if kind.is_dir() {
                if path.join(".git").exists() {
                    continue; // another repository: not ours to commit
                }
                let child_base = match &base_entry {
                    Some(e) if e.kind() == Some(git2::ObjectType::Tree) => {
                        Some(self.repo.find_tree(e.id()).map_err(&git)?)
                    }
                    _ => None,
                };
                if let Some(id) = self.stage_dir(&path, &rel_path, child_base.as_ref(), out)? {
                    builder.insert(&name, id, MODE_TREE).map_err(&git)?;
                }
                continue;
            }
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
                continue; // sockets, fifos, devices: nothing Git stores
            };
            builder.insert(&name, id, mode).map_err(&git)?;
            out.push(Staged {
                path: rel_path,
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

    fn ignored(&self, rel: &Path) -> Result<bool, Error> {
        self.repo
            .is_path_ignored(rel)
            .map_err(self.git("read the ignore rules"))
    }

    /// Make the index's entries for the export folder exactly `files` (all stages), leaving the others alone.
    fn update_index(&self, files: &[Staged]) -> Result<(), Error> {
        let git = self.git("update the index");
        let mut index = self.repo.index().map_err(&git)?;
        index.read(true).map_err(&git)?;
        let prefix = self.prefix.as_bytes();
        let under = |path: &[u8]| {
            prefix.is_empty()
                || (path.starts_with(prefix)
                    && (path.len() == prefix.len() || path[prefix.len()] == b'/'))
        };
        let stale: Vec<(Vec<u8>, i32)> = index
            .iter()
            .filter(|e| under(&e.path))
            .map(|e| (e.path.clone(), i32::from((e.flags >> 12) & 0x3)))
            .collect();
        for (path, stage) in stale {
            index
                .remove(Path::new(OsStr::from_bytes(&path)), stage)
                .map_err(&git)?;
        }
        for f in files {
            let path = f.path.as_os_str().as_bytes().to_vec();
            let m = &f.meta;
            index
                .add(&git2::IndexEntry {
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
                })
                .map_err(&git)?;
        }
        index.write().map_err(|e| {
            if e.code() == git2::ErrorCode::Locked {
                Error::IndexLocked {
                    repo: self.workdir.clone(),
                }
            } else {
                git(e)
            }
        })
    }
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
