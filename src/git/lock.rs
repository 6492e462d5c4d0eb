//! The export lock: one drsync export at a time per repository. An exclusive `flock` on `drsync.lock` in the
//! repository's Git folder (shared by all its worktrees), waited for up to a bound. The kernel drops the lock
//! when its holder exits or is killed, so a crash never leaves a stale lock behind. It must not lock anything
//! git itself uses: git's own `index.lock` and ref locks stay git's.

use super::{Error, ExportRepo};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock file's name inside the repository's Git folder.
pub const LOCK_FILE: &str = "drsync.lock";

/// How long [`ExportRepo::lock`] waits for git's own lock on the branch to go: git holds it for milliseconds.
const REF_LOCK_WAIT: Duration = Duration::from_secs(2);

/// Proof that this process holds the export lock of one repository; dropping it releases the lock.
/// Hold it from before the export folder is written until after the commit, so that two exports into one
/// repository can neither interleave their files nor commit each other's halves.
#[derive(Debug)]
pub struct ExportLock {
    /// Holds the `flock`; closing it releases the lock.
    _file: std::fs::File,
    path: PathBuf,
}

impl ExportLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl ExportRepo {
    /// Take the repository's export lock, waiting up to `wait` for another export to finish. Fails with
    /// [`Error::Locked`] when it is still held then, and with [`Error::RefLocked`] when git's own lock on the
    /// branch (`.git/refs/heads/BRANCH.lock`) stays for more than a moment: a killed git left it, and the commit
    /// would fail on it.
    pub fn lock(&self, wait: Duration) -> Result<ExportLock, Error> {
        let path = self.lock_path();
        let err = |source| Error::Lock {
            path: path.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(err)?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {
                    let lock = ExportLock { _file: file, path };
                    self.wait_for_ref_lock(wait)?;
                    return Ok(lock);
                }
                Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                    let waited = start.elapsed();
                    if waited >= wait {
                        return Err(Error::Locked {
                            repo: self.workdir.clone(),
                            lock: path,
                            waited_secs: waited.as_secs(),
                        });
                    }
                    std::thread::sleep(pause.min(wait - waited));
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                Err(e) => return Err(err(std::io::Error::from_raw_os_error(e.raw_os_error()))),
            }
        }
    }

    /// Wait up to [`REF_LOCK_WAIT`] (at most `wait`) for git's lock on the branch to go; still there, it is a
    /// git process that runs long or, much more likely, one that was killed: [`Error::RefLocked`], before the
    /// export writes anything (committing would fail on it after the folder was written).
    fn wait_for_ref_lock(&self, wait: Duration) -> Result<(), Error> {
        let lock = self.ref_lock_path();
        let start = Instant::now();
        while lock.exists() {
            if start.elapsed() >= wait.min(REF_LOCK_WAIT) {
                return Err(self.ref_locked());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Git's lock file on the branch: `refs/heads/BRANCH.lock` in the repository's (common) Git folder.
    pub(super) fn ref_lock_path(&self) -> PathBuf {
        self.repo
            .commondir()
            .join(format!("{}.lock", self.refname()))
    }

    pub(super) fn ref_locked(&self) -> Error {
        Error::RefLocked {
            repo: self.workdir.clone(),
            branch: self.branch.clone(),
            lock: self.ref_lock_path(),
        }
    }

    pub(super) fn lock_path(&self) -> PathBuf {
        self.repo.commondir().join(LOCK_FILE)
    }

    pub(super) fn check_lock(&self, lock: &ExportLock) -> Result<(), Error> {
        let ours = self.lock_path();
        let same = match (ours.canonicalize(), lock.path.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => ours == lock.path,
        };
        if same {
            Ok(())
        } else {
            Err(Error::WrongLock {
                lock: lock.path.clone(),
                repo: self.workdir.clone(),
            })
        }
    }
}
