//! The git module's errors: each names the repository, branch or remote it is about. None holds a token: remote
//! URLs are shown with their user and password cut out, and push failures carry libgit2's text redacted.

use std::path::PathBuf;

/// Why a Git operation failed. Nothing was committed or moved unless the variant says so.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No repository contains the export folder.
    #[error(
        "{}: not inside a git repository (run `git init` there, or set `repo` in [git])",
        path.display()
    )]
    NoRepository {
        /// The export folder.
        path: PathBuf,
    },
    /// The repository could not be opened.
    #[error("cannot open the git repository at {}", path.display())]
    Open {
        /// Where it was looked for.
        path: PathBuf,
        /// libgit2's reason.
        #[source]
        source: git2::Error,
    },
    /// The repository has no work tree.
    #[error("{}: the repository is bare; the export folder must be inside a work tree", repo.display())]
    Bare {
        /// The repository.
        repo: PathBuf,
    },
    /// The export folder is not inside the repository's work tree.
    #[error(
        "the export folder {} is not inside the work tree of the repository at {}",
        export_dir.display(),
        workdir.display()
    )]
    OutsideWorkTree {
        /// The export folder.
        export_dir: PathBuf,
        /// The repository's work tree.
        workdir: PathBuf,
    },
    /// The export folder's path could not be resolved or read.
    #[error("cannot read the export folder {}", path.display())]
    ExportFolder {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `HEAD` is detached and no branch is configured.
    #[error("{}: HEAD is detached; set `branch` in [git] to the branch exports go to", repo.display())]
    DetachedHead {
        /// The repository.
        repo: PathBuf,
    },
    /// The configured branch name is not a valid Git branch name.
    #[error("{branch:?} is not a valid git branch name")]
    InvalidBranch {
        /// The name.
        branch: String,
    },
    /// The configured author is not `Name <email>`.
    #[error("invalid git author {value:?}: expected `Name <email>`")]
    InvalidAuthor {
        /// What was configured.
        value: String,
    },
    /// The commit message template is invalid.
    #[error("invalid commit message template: {reason}")]
    Template {
        /// What is wrong.
        reason: String,
    },
    /// Another drsync export into the same repository holds the lock.
    #[error(
        "another drsync export into {} is running (the lock {} was still held after {waited_secs}s); \
         try again when it is done",
        repo.display(),
        lock.display()
    )]
    Locked {
        /// The repository.
        repo: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// How long drsync waited.
        waited_secs: u64,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock {}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The lock passed to a commit belongs to another repository.
    #[error("the export lock {} does not belong to the repository at {}", lock.display(), repo.display())]
    WrongLock {
        /// The lock's file.
        lock: PathBuf,
        /// The repository committed to.
        repo: PathBuf,
    },
    /// A Terraform or drsync file in the export folder is not text: reading on without it would compare against
    /// less than what Git holds (and call a DR site with every job deleted "in sync").
    #[error("{path} in commit {commit} is not UTF-8 text; drsync reads every .tf, .tfvars and .json file of the export folder or none")]
    NotText {
        /// The file, relative to the export folder.
        path: String,
        /// The commit.
        commit: String,
    },
    /// The export folder does not exist, so there is nothing to commit.
    #[error("the export folder {} does not exist; nothing was committed", path.display())]
    NoExportFolder {
        /// The export folder.
        path: PathBuf,
    },
    /// A merge, rebase, cherry-pick or similar is in progress on the checked-out branch.
    #[error(
        "{}: a git {operation} is in progress on branch {branch}; nothing was committed: finish or abort it \
         first",
        repo.display()
    )]
    InProgress {
        /// The repository.
        repo: PathBuf,
        /// The branch.
        branch: String,
        /// What is in progress (`merge`, `rebase`…).
        operation: String,
    },
    /// The branch kept moving while drsync committed (something else commits to it too).
    #[error(
        "{}: branch {branch} moved while drsync was committing, {attempts} times; nothing was committed: \
         run the export again",
        repo.display()
    )]
    BranchMoved {
        /// The repository.
        repo: PathBuf,
        /// The branch.
        branch: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// Git's lock file on the branch exists: a git process is updating it, or one was killed and left the lock.
    #[error(
        "{}: cannot commit to branch {branch}: git's lock file {} exists, so nothing was committed: \
         another git process is running, or one was killed: remove {} if none is running",
        repo.display(),
        lock.display(),
        lock.display()
    )]
    RefLocked {
        /// The repository.
        repo: PathBuf,
        /// The branch.
        branch: String,
        /// The lock file (`.git/refs/heads/BRANCH.lock`).
        lock: PathBuf,
    },
    /// A file to commit is not one plain file name in the export folder (a bug in the caller).
    #[error("{name:?} is not a file name in the export folder")]
    NotAFileName {
        /// The name given.
        name: String,
    },
    /// Git's index is locked by another git process.
    #[error(
        "{}: git's index is locked by another git process (.git/index.lock); nothing was committed: \
         try again when it is done, or remove the lock file if no git process is running",
        repo.display()
    )]
    IndexLocked {
        /// The repository.
        repo: PathBuf,
    },
    /// The remote is neither a configured remote nor a URL or path.
    #[error("{}: no remote named {remote:?} (and it is not a URL or a path)", repo.display())]
    NoRemote {
        /// The repository.
        repo: PathBuf,
        /// The remote as configured.
        remote: String,
    },
    /// The remote refused the push because its branch has commits the local one does not.
    #[error(
        "push of branch {branch} to {remote} was rejected ({reason}): the remote branch has commits that \
         the local one does not, and drsync never force-pushes. The local commit is kept; to publish it, run \
         `git pull --rebase {remote} {branch}` and `git push {remote} {branch}`, or update the local branch \
         and run the export again"
    )]
    PushRejected {
        /// The remote (a name, or a URL without credentials).
        remote: String,
        /// The branch.
        branch: String,
        /// What the remote or libgit2 said.
        reason: String,
    },
    /// The remote refused the credentials, or needed some that were not given.
    #[error(
        "authentication to {remote} failed while pushing branch {branch} ({reason}); the local commit is kept"
    )]
    PushAuth {
        /// The remote (a name, or a URL without credentials).
        remote: String,
        /// The branch.
        branch: String,
        /// What was tried.
        reason: String,
    },
    /// Pushing failed for another reason.
    #[error("push of branch {branch} to {remote} failed: {reason}; the local commit is kept")]
    Push {
        /// The remote (a name, or a URL without credentials).
        remote: String,
        /// The branch.
        branch: String,
        /// libgit2's message, with any credentials in URLs cut out.
        reason: String,
    },
    /// A revision could not be found.
    #[error("{}: cannot find revision {rev:?}", repo.display())]
    Revision {
        /// The repository.
        repo: PathBuf,
        /// The revision asked for.
        rev: String,
        /// libgit2's reason.
        #[source]
        source: git2::Error,
    },
    /// The export folder is not in a revision.
    #[error("{}: there is no export folder {prefix:?} at {rev}", repo.display())]
    NoExportAt {
        /// The repository.
        repo: PathBuf,
        /// The revision.
        rev: String,
        /// The folder's path in the repository.
        prefix: String,
    },
    /// Another libgit2 operation failed.
    #[error("{}: cannot {action}", repo.display())]
    Git {
        /// The repository.
        repo: PathBuf,
        /// What drsync was doing ("read HEAD", "write the commit").
        action: &'static str,
        /// libgit2's reason.
        #[source]
        source: git2::Error,
    },
}

/// A URL or remote name fit to show: any `user:password@` cut out.
pub(crate) fn redact_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***@");
                out.push_str(&authority[at + 1..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn cuts_credentials_out_of_urls() {
        assert_eq!(
            redact_url("https://x-access-token:ghs_abc@github.com/o/r.git"),
            "https://***@github.com/o/r.git"
        );
        assert_eq!(
            redact_url("failed: 'https://tok@h/x' and ssh://git@h:22/r"),
            "failed: 'https://***@h/x' and ssh://***@h:22/r"
        );
        assert_eq!(redact_url("origin"), "origin");
        assert_eq!(redact_url("file:///tmp/bare.git"), "file:///tmp/bare.git");
    }
}
