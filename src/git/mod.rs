//! Git: commits the export folder as one commit per export (and only when it changed), pushes the branch
//! without ever forcing, lists the export history and reads the committed files back, all with git2.
//! It never prints, never reads environment variables (the caller passes the author, the time and any push
//! token), never touches files outside the export folder, and never stages anything but the export's own files
//! in it (the user's files there, and Terraform's, are never committed by an export).
//!
//! The usual flow of `drsync export` (`--dry-run` stops after `open`, `--no-commit` after writing):
//!
//! ```text
//! let repo = git::open(&export_dir, &settings.git)?;        // read-only; before reading the workspace
//! let lock = repo.lock(Duration::from_secs(60))?;          // held across writing *and* committing
//! let before = repo.committed_files()?;                    // what is committed, for the message
//! ... read, build, compare with `before`, export::write(&export, &export_dir)? ...
//! let author = repo.author(settings.git.author.as_deref())?;
//! let message = git::message(&git::Summary { host, added, changed, removed, renamed }, settings.git.message.as_deref())?;
//! let committed = repo.commit(&lock, export::COMMITTED_FILES, &message, &author, None)?;   // None: "no changes"
//! drop(lock);
//! if let Some(remote) = &settings.git.remote { repo.push(remote, &auth)?; }  // also retries an earlier push
//! ```

mod error;
mod lock;
mod message;
mod push;
mod read;
mod tree;

pub use error::Error;
pub use git2::Oid;
pub use lock::{ExportLock, LOCK_FILE};
pub use message::{message, validate_template, Renamed, Summary, PLACEHOLDERS};
pub use push::{PushAuth, DEFAULT_TOKEN_USER};
pub use read::{ExportCommit, VERSION_TRAILER};

use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

/// The `[git]` table of `drsync.toml`. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitSettings {
    /// The repository to commit to; by default the one that contains the export folder. The export folder must
    /// be inside its work tree either way.
    pub repo: Option<PathBuf>,
    /// The branch to commit to; by default the checked-out one. A branch that does not exist is created from
    /// `HEAD` by the first commit.
    pub branch: Option<String>,
    /// The commit author, `Name <email>`; by default `user.name` and `user.email` from git config, else
    /// `drsync <drsync@localhost>`.
    pub author: Option<String>,
    /// A remote (a configured remote's name, a URL or a path) to push the branch to after each export.
    pub remote: Option<String>,
    /// A template for the commit message's first line(s); see [`message()`] and [`PLACEHOLDERS`].
    pub message: Option<String>,
}

/// Who commits: the author and the committer of every export commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The name, e.g. `drsync`.
    pub name: String,
    /// The e-mail address, without angle brackets.
    pub email: String,
}

impl Author {
    /// The author used when neither the settings nor git config name one: `drsync <drsync@localhost>`.
    pub fn fallback() -> Author {
        Author {
            name: "drsync".to_string(),
            email: "drsync@localhost".to_string(),
        }
    }

    /// Parse `Name <email>`.
    pub fn parse(value: &str) -> Result<Author, Error> {
        let invalid = || Error::InvalidAuthor {
            value: value.to_string(),
        };
        let value_trimmed = value.trim();
        let rest = value_trimmed.strip_suffix('>').ok_or_else(invalid)?;
        let (name, email) = rest.rsplit_once('<').ok_or_else(invalid)?;
        let (name, email) = (name.trim(), email.trim());
        let bad = |s: &str| s.is_empty() || s.contains(['<', '>', '\n', '\0']);
        if bad(name) || bad(email) {
            return Err(invalid());
        }
        Ok(Author {
            name: name.to_string(),
            email: email.to_string(),
        })
    }

    /// Choose the author: the configured `Name <email>` if any, else the name and e-mail from git config when
    /// both are set, else [`Author::fallback`].
    pub fn resolve(
        configured: Option<&str>,
        config_name: Option<String>,
        config_email: Option<String>,
    ) -> Result<Author, Error> {
        if let Some(value) = configured {
            return Author::parse(value);
        }
        match (config_name, config_email) {
            (Some(name), Some(email)) if !name.trim().is_empty() && !email.trim().is_empty() => {
                Ok(Author {
                    name: name.trim().to_string(),
                    email: email.trim().to_string(),
                })
            }
            _ => Ok(Author::fallback()),
        }
    }
}

impl std::fmt::Display for Author {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// A point in time as Git stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// The time zone's offset from UTC, in minutes.
    pub offset_minutes: i32,
}

impl Timestamp {
    /// The current time, in UTC.
    pub fn now() -> Timestamp {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Timestamp {
            seconds,
            offset_minutes: 0,
        }
    }

    /// A time as git takes it in `GIT_COMMITTER_DATE` and `GIT_AUTHOR_DATE`: `@SECONDS [+HHMM]` or `SECONDS`
    /// (for reproducible history); `None` when it is not one.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let mut parts = text.trim().trim_start_matches('@').split_whitespace();
        let seconds: i64 = parts.next()?.parse().ok()?;
        let offset_minutes = match parts.next() {
            None => 0,
            Some(z) => {
                let (sign, digits) = match (z.strip_prefix('+'), z.strip_prefix('-')) {
                    (Some(d), _) => (1, d),
                    (_, Some(d)) => (-1, d),
                    _ => return None,
                };
                let n: i32 = digits.parse().ok()?;
                sign * ((n / 100) * 60 + n % 100)
            }
        };
        Some(Timestamp {
            seconds,
            offset_minutes,
        })
    }

    fn to_git(self) -> git2::Time {
        git2::Time::new(self.seconds, self.offset_minutes)
    }

    fn from_git(t: git2::Time) -> Timestamp {
        Timestamp {
            seconds: t.seconds(),
            offset_minutes: t.offset_minutes(),
        }
    }
}

impl std::fmt::Display for Timestamp {
    /// `2026-11-25 17:42 +0000`, in the timestamp's own time zone (`jiff` does the calendar). A time `jiff`
    /// cannot hold (beyond the years -9999 to 9999, or an offset of a day or more) is shown as Git stores it,
    /// `@SECONDS +HHMM`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let local = jiff::tz::Offset::from_seconds(self.offset_minutes.saturating_mul(60))
            .and_then(|offset| {
                jiff::Timestamp::from_second(self.seconds).map(|t| offset.to_datetime(t))
            });
        match local {
            Ok(t) => write!(f, "{} ", t.strftime("%Y-%m-%d %H:%M"))?,
            Err(_) => write!(f, "@{} ", self.seconds)?,
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.unsigned_abs();
        write!(f, "{sign}{:02}{:02}", off / 60, off % 60)
    }
}

/// A commit that [`ExportRepo::commit`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The new commit.
    pub id: Oid,
    /// Its parent, the branch's previous tip; `None` for the first commit of an unborn branch.
    pub parent: Option<Oid>,
    /// The branch it was committed to (short name).
    pub branch: String,
}

/// The repository that holds an export folder, the folder's place in it, and the branch exports go to.
/// Made by [`open`]. Not `Sync` (git2 repositories are not); open one per thread.
pub struct ExportRepo {
    repo: git2::Repository,
    workdir: PathBuf,
    export_dir: PathBuf,
    prefix: String,
    branch: String,
}

impl std::fmt::Debug for ExportRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRepo")
            .field("workdir", &self.workdir)
            .field("prefix", &self.prefix)
            .field("branch", &self.branch)
            .finish_non_exhaustive()
    }
}

/// Find the repository for an export folder and resolve the branch, without changing anything.
///
/// The repository is `settings.repo` if set, else the one that contains `export_dir` (or, while the folder
/// does not exist yet, its nearest existing ancestor). The folder must be inside the repository's work tree
/// (not in `.git`); it may be the work tree's root, which makes the whole tree the export. The branch is
/// `settings.branch` if set, else the one `HEAD` points to (which may be unborn, as in a fresh `git init`);
/// a detached `HEAD` needs `settings.branch`.
pub fn open(export_dir: &Path, settings: &GitSettings) -> Result<ExportRepo, Error> {
    let export_abs = absolute(export_dir).map_err(|source| Error::ExportFolder {
        path: export_dir.to_path_buf(),
        source,
    })?;
    let repo = match &settings.repo {
        Some(path) => git2::Repository::open(path).map_err(|source| Error::Open {
            path: path.clone(),
            source,
        })?,
        None => {
            let start = existing_ancestor(&export_abs);
            git2::Repository::discover(&start).map_err(|source| {
                if source.code() == git2::ErrorCode::NotFound {
                    Error::NoRepository {
                        path: export_dir.to_path_buf(),
                    }
                } else {
                    Error::Open {
                        path: start.clone(),
                        source,
                    }
                }
            })?
        }
    };
    let workdir = match repo.workdir() {
        Some(w) => absolute(w).map_err(|source| Error::ExportFolder {
            path: w.to_path_buf(),
            source,
        })?,
        None => {
            return Err(Error::Bare {
                repo: repo.path().to_path_buf(),
            })
        }
    };
    let prefix = match export_abs.strip_prefix(&workdir) {
        Ok(rel) => rel_to_prefix(rel),
        Err(_) => None,
    }
    .ok_or_else(|| Error::OutsideWorkTree {
        export_dir: export_dir.to_path_buf(),
        workdir: workdir.clone(),
    })?;
    if prefix.split('/').next() == Some(".git") {
        return Err(Error::OutsideWorkTree {
            export_dir: export_dir.to_path_buf(),
            workdir: workdir.clone(),
        });
    }
    let branch = match &settings.branch {
        Some(b) => {
            let b = b.strip_prefix("refs/heads/").unwrap_or(b);
            if !git2::Branch::name_is_valid(b).unwrap_or(false) {
                return Err(Error::InvalidBranch {
                    branch: b.to_string(),
                });
            }
            b.to_string()
        }
        None => {
            let head = repo.find_reference("HEAD").map_err(|source| Error::Git {
                repo: workdir.clone(),
                action: "read HEAD",
                source,
            })?;
            match head
                .symbolic_target()
                .ok()
                .flatten()
                .and_then(|t| t.strip_prefix("refs/heads/"))
            {
                Some(b) => b.to_string(),
                // A detached HEAD (as CI runners check out) can be read, not committed to: see `is_detached`.
                None => DETACHED.to_string(),
            }
        }
    };
    Ok(ExportRepo {
        repo,
        workdir,
        export_dir: export_abs,
        prefix,
        branch,
    })
}

impl ExportRepo {
    /// The repository's work tree.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The export folder, absolute.
    pub fn export_dir(&self) -> &Path {
        &self.export_dir
    }

    /// The export folder's path inside the repository (`/`-separated; empty when it is the work tree's root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether `HEAD` is detached and no branch is configured: the export history can be read, not committed to.
    pub fn is_detached(&self) -> bool {
        self.branch == DETACHED
    }

    /// The branch exports go to (short name); `HEAD` when `HEAD` is detached and no branch is configured.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// Whether the branch exists yet (it does not in a fresh repository, or when it is still to be created).
    pub fn branch_exists(&self) -> bool {
        self.repo.find_reference(&self.refname()).is_ok()
    }

    /// Whether the branch is the checked-out one (then its index entries for the export folder are kept in step).
    pub fn branch_is_checked_out(&self) -> bool {
        self.repo
            .find_reference("HEAD")
            .ok()
            .and_then(|h| {
                h.symbolic_target()
                    .ok()
                    .flatten()
                    .map(|t| t == self.refname())
            })
            .unwrap_or(false)
    }

    /// The commit author: `configured` (`Name <email>`, from `[git] author`) if given, else `user.name` and
    /// `user.email` from the repository's git config (including the user's global config), else
    /// [`Author::fallback`].
    pub fn author(&self, configured: Option<&str>) -> Result<Author, Error> {
        if configured.is_some() {
            return Author::resolve(configured, None, None);
        }
        let (name, email) = match self.repo.config() {
            Ok(c) => (
                c.get_string("user.name").ok(),
                c.get_string("user.email").ok(),
            ),
            Err(_) => (None, None),
        };
        Author::resolve(None, name, email)
    }

    fn refname(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    /// The commit the branch points to; when it does not exist yet, the one `HEAD` points to (what it will be
    /// created from); `None` when neither exists (an unborn branch).
    fn tip(&self) -> Result<Option<git2::Commit<'_>>, Error> {
        let git = |action: &'static str| {
            let repo = self.workdir.clone();
            move |source| Error::Git {
                repo,
                action,
                source,
            }
        };
        match self.repo.find_reference(&self.refname()) {
            Ok(r) => Ok(Some(r.peel_to_commit().map_err(git("read the branch"))?)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => match self.repo.head() {
                Ok(h) => Ok(Some(h.peel_to_commit().map_err(git("read HEAD"))?)),
                Err(e)
                    if matches!(
                        e.code(),
                        git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                    ) =>
                {
                    Ok(None)
                }
                Err(e) => Err(git("read HEAD")(e)),
            },
            Err(e) => Err(git("read the branch")(e)),
        }
    }
}

/// The branch name [`ExportRepo::branch`] reports for a detached `HEAD`.
const DETACHED: &str = "HEAD";

/// Make git2 set itself up now. git2 (with HTTPS) points OpenSSL at the system's certificates by setting
/// environment variables the first time it is used; call this early in `main`, before other threads start,
/// so that this happens while nothing else can read the environment.
pub fn init() {
    let _ = git2::Config::new();
}

/// `path` made absolute (`.` and `..` resolved lexically), then canonical as far as it exists, the rest appended.
fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let mut lexical = PathBuf::new();
    for c in std::path::absolute(path)?.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            c => lexical.push(c),
        }
    }
    let mut existing = lexical.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut out) => {
                out.extend(rest.iter().rev());
                return Ok(out);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match existing.file_name() {
                    Some(name) => rest.push(name.to_os_string()),
                    None => return Err(e),
                }
                existing.pop();
            }
            Err(e) => return Err(e),
        }
    }
}

fn existing_ancestor(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    while !p.exists() {
        if !p.pop() {
            return PathBuf::from("/");
        }
    }
    p
}

/// A work-tree-relative path as a `/`-separated Git path; `None` if it is not plain UTF-8 names.
fn rel_to_prefix(rel: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => parts.push(n.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commit times as `drsync log` and `check` show them, in the commit's own offset (the values the
    /// hand-written calendar gave before `jiff`).
    #[test]
    fn shows_timestamps_in_their_offset() {
        for (seconds, offset_minutes, shown) in [
            (1_700_000_000, 0, "2023-11-14 22:13 +0000"),
            (1_700_000_000, -90, "2023-11-14 20:43 -0130"),
            (1_700_000_000, 330, "2023-11-15 03:43 +0530"),
            (0, 0, "1970-01-01 00:00 +0000"),
            (-1, 0, "1969-12-31 23:59 +0000"),
            (951_782_400, 0, "2000-02-29 00:00 +0000"),
            (i64::MAX, 0, "@9223372036854775807 +0000"),
        ] {
            let t = Timestamp {
                seconds,
                offset_minutes,
            };
            assert_eq!(t.to_string(), shown, "{seconds} {offset_minutes}");
        }
    }

    #[test]
    fn parses_commit_times_as_git_takes_them() {
        let t = |seconds, offset_minutes| {
            Some(Timestamp {
                seconds,
                offset_minutes,
            })
        };
        assert_eq!(Timestamp::parse("@1700000000 +0000"), t(1_700_000_000, 0));
        assert_eq!(Timestamp::parse(" 1700000000 "), t(1_700_000_000, 0));
        assert_eq!(Timestamp::parse("@1700000000 +0130"), t(1_700_000_000, 90));
        assert_eq!(
            Timestamp::parse("@1700000000 -0800"),
            t(1_700_000_000, -480)
        );
        for bad in [
            "",
            "@",
            "yesterday",
            "@1700000000 0100",
            "@1700000000 +x",
            "1 \u{e9}100",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parses_authors() {
        assert_eq!(
            Author::parse("Ops Bot <ops@example.com>").unwrap(),
            Author {
                name: "Ops Bot".into(),
                email: "ops@example.com".into()
            }
        );
        for bad in [
            "ops@example.com",
            "<ops@example.com>",
            "Ops <>",
            "Ops <a<b>",
        ] {
            assert!(Author::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolves_authors_in_order() {
        let cfg = || {
            (
                Some("Jane".to_string()),
                Some("jane@example.com".to_string()),
            )
        };
        let (n, e) = cfg();
        assert_eq!(
            Author::resolve(Some("Bot <bot@x>"), n, e)
                .unwrap()
                .to_string(),
            "Bot <bot@x>"
        );
        let (n, e) = cfg();
        assert_eq!(
            Author::resolve(None, n, e).unwrap().to_string(),
            "Jane <jane@example.com>"
        );
        assert_eq!(
            Author::resolve(None, Some("Jane".into()), None).unwrap(),
            Author::fallback()
        );
        assert_eq!(Author::fallback().to_string(), "drsync <drsync@localhost>");
    }

    #[test]
    fn settings_reject_unknown_keys() {
        let ok: GitSettings = toml::from_str("branch = \"dr\"\nremote = \"origin\"").unwrap();
        assert_eq!(ok.branch.as_deref(), Some("dr"));
        assert!(toml::from_str::<GitSettings>("brnach = \"dr\"").is_err());
    }

    #[test]
    fn absolute_handles_missing_tails() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        assert_eq!(
            absolute(&dir.path().join("a/./b/../c")).unwrap(),
            base.join("a/c")
        );
    }
}
