//! Reading exports back from Git: the commits that changed the export folder (the audit trail, and the age of
//! the DR copy) and the folder's files as committed at any revision. Reads Git's objects only: never the work
//! tree, never the index, and it changes nothing.

use super::{Error, ExportRepo, Oid, Timestamp};
use std::collections::BTreeMap;
use std::path::Path;

/// The trailer every export commit carries; it tells drsync's commits from people's.
pub const VERSION_TRAILER: &str = "Drsync-Version";

/// A commit that changed the export folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCommit {
    /// The commit.
    pub id: Oid,
    /// When it was authored: for a drsync commit, when the export ran (kept through rebases and cherry-picks).
    pub time: Timestamp,
    /// When it was committed (later than `time` after a rebase).
    pub commit_time: Timestamp,
    /// Its message's first line.
    pub summary: String,
    /// Its author, `Name <email>`.
    pub author: String,
    /// Whether drsync made it (its message has a `Drsync-Version` trailer).
    pub by_drsync: bool,
}

impl ExportRepo {
    /// The commits reachable from the branch (or from `HEAD` while the branch does not exist) that changed the
    /// export folder, newest first, at most `limit` of them. A commit counts when the folder's content differs
    /// from that in each of its parents (a merge that took the folder from one side does not count; the commit
    /// on that side does). An unborn branch has none.
    pub fn history(&self, limit: Option<usize>) -> Result<Vec<ExportCommit>, Error> {
        let git = self.git("read the history");
        let Some(tip) = self.tip()? else {
            return Ok(Vec::new());
        };
        let mut walk = self.repo.revwalk().map_err(&git)?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
            .map_err(&git)?;
        walk.push(tip.id()).map_err(&git)?;
        let mut out = Vec::new();
        for id in walk {
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
            let commit = self.repo.find_commit(id.map_err(&git)?).map_err(&git)?;
            let here = self.folder_id(&commit)?;
            let mut changed = commit.parent_count() == 0 && here.is_some();
            if commit.parent_count() > 0 {
                changed = true;
                for parent in commit.parents() {
                    if self.folder_id(&parent)? == here {
                        changed = false;
                    }
                }
            }
            if !changed {
                continue;
            }
            let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
            let by_drsync = git2::message_trailers_strs(&message)
                .map(|t| {
                    t.iter()
                        .any(|(k, _)| k.eq_ignore_ascii_case(VERSION_TRAILER))
                })
                .unwrap_or(false);
            let author = commit.author();
            out.push(ExportCommit {
                id: commit.id(),
                time: Timestamp::from_git(author.when()),
                commit_time: Timestamp::from_git(commit.time()),
                summary: message.lines().next().unwrap_or_default().to_string(),
                author: format!(
                    "{} <{}>",
                    String::from_utf8_lossy(author.name_bytes()),
                    String::from_utf8_lossy(author.email_bytes())
                ),
                by_drsync,
            });
        }
        Ok(out)
    }

    /// When the newest export in the branch's history ran: the author time of the newest commit drsync made
    /// that changed the export folder (so the age of the DR copy). `None` when there is none.
    pub fn newest_export_time(&self) -> Result<Option<Timestamp>, Error> {
        let all = self.history(None)?;
        Ok(all.iter().filter(|c| c.by_drsync).map(|c| c.time).max())
    }

    /// The commit a revision (a branch, tag, commit id, `HEAD~2`…) names.
    pub fn resolve(&self, rev: &str) -> Result<Oid, Error> {
        self.repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|source| Error::Revision {
                repo: self.workdir.clone(),
                rev: rev.to_string(),
                source,
            })
    }

    /// The export folder's files as committed at `rev` (a branch, tag, commit id, `HEAD`, `HEAD~2`…): path
    /// inside the folder (`/`-separated, subfolders included) → content. Read from Git's objects, never from
    /// the work tree. Files that are not UTF-8 text, symlinks and submodules are left out. A revision without
    /// the folder gives [`Error::NoExportAt`].
    pub fn read_files(&self, rev: &str) -> Result<BTreeMap<String, String>, Error> {
        let commit = self
            .repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|source| Error::Revision {
                repo: self.workdir.clone(),
                rev: rev.to_string(),
                source,
            })?;
        self.files_at(&commit)?.ok_or_else(|| Error::NoExportAt {
            repo: self.workdir.clone(),
            rev: rev.to_string(),
            prefix: self.prefix.clone(),
        })
    }

    /// The export folder's files as committed where the next [`ExportRepo::commit`] builds on: the branch's
    /// tip, or `HEAD` while the branch does not exist. Empty when there is no commit yet or the folder is not
    /// in it. Compare a new export with this (not with the folder on disk, which `--no-commit` runs and hand
    /// edits may have changed) to list exactly what the next commit changes.
    pub fn committed_files(&self) -> Result<BTreeMap<String, String>, Error> {
        match self.tip()? {
            Some(commit) => Ok(self.files_at(&commit)?.unwrap_or_default()),
            None => Ok(BTreeMap::new()),
        }
    }

    fn files_at(
        &self,
        commit: &git2::Commit<'_>,
    ) -> Result<Option<BTreeMap<String, String>>, Error> {
        let git = self.git("read a tree");
        let tree = commit.tree().map_err(&git)?;
        let Some(folder) = self.subtree(&tree, &self.prefix)? else {
            return Ok(None);
        };
        let mut out = BTreeMap::new();
        let mut failure = None;
        let mut not_text = None;
        let walked = folder.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            let is_file = entry.kind() == Some(git2::ObjectType::Blob)
                && matches!(entry.filemode(), 0o100644 | 0o100755);
            if !is_file {
                return git2::TreeWalkResult::Ok;
            }
            let name = String::from_utf8_lossy(entry.name_bytes());
            let path = format!("{dir}{name}");
            // What drsync reads (HCL, variables, its label map) must be read whole; anything else of the user's
            // that is not text is none of its business.
            let wanted = [".tf", ".tfvars", ".json"]
                .iter()
                .any(|e| name.ends_with(e));
            match self.repo.find_blob(entry.id()) {
                Ok(blob) => match (entry.name(), std::str::from_utf8(blob.content())) {
                    (Ok(_), Ok(text)) => {
                        out.insert(path, text.to_string());
                        git2::TreeWalkResult::Ok
                    }
                    _ if wanted => {
                        not_text = Some(path);
                        git2::TreeWalkResult::Abort
                    }
                    _ => git2::TreeWalkResult::Ok,
                },
                Err(e) => {
                    failure = Some(e);
                    git2::TreeWalkResult::Abort
                }
            }
        });
        if let Some(e) = failure {
            return Err(git(e));
        }
        if let Some(path) = not_text {
            return Err(Error::NotText {
                path,
                commit: commit.id().to_string(),
            });
        }
        walked.map_err(&git)?;
        Ok(Some(out))
    }

    /// The id of the export folder's tree in a commit.
    fn folder_id(&self, commit: &git2::Commit<'_>) -> Result<Option<Oid>, Error> {
        let tree = commit.tree().map_err(self.git("read a tree"))?;
        if self.prefix.is_empty() {
            return Ok(Some(tree.id()));
        }
        match tree.get_path(Path::new(&self.prefix)) {
            Ok(e) => Ok(Some(e.id())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(self.git("read a tree")(e)),
        }
    }
}
