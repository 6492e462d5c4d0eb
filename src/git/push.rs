//! Pushing the export branch: a plain fast-forward push of the one branch, authenticated the way CI systems
//! provide it (a token for https, the SSH agent for ssh, nothing for file:// and path remotes). It must never
//! force-push, never put a token into a URL, an error or a log, and never change the local branch.

use super::error::redact_url;
use super::{Error, ExportRepo};
use crate::api::Secret;
use std::cell::{Cell, RefCell};

/// The user name sent with a token when none is given: GitHub's, also accepted by Gitea and Bitbucket
/// (GitLab wants `oauth2`, Azure DevOps takes anything).
pub const DEFAULT_TOKEN_USER: &str = "x-access-token";

/// How many times libgit2 may ask for credentials before the push gives up (it asks again after a refusal).
const MAX_CREDENTIAL_ASKS: u32 = 4;

/// Credentials for a push. https remotes get the token as the password (the caller reads it from the
/// environment, e.g. `GITHUB_TOKEN`); ssh remotes use the SSH agent (libssh2 finds it through
/// `SSH_AUTH_SOCK`); file:// and path remotes need nothing.
#[derive(Debug, Clone, Default)]
pub struct PushAuth {
    /// The https token, if any.
    pub token: Option<Secret>,
    /// The user name to send with the token; default [`DEFAULT_TOKEN_USER`].
    pub username: Option<String>,
}

impl ExportRepo {
    /// Push the branch to `remote` (a configured remote's name, a URL or a path), without force. A remote branch
    /// that has commits the local one lacks gives [`Error::PushRejected`]; the local branch and its commit stay
    /// as they are whatever happens.
    pub fn push(&self, remote: &str, auth: &PushAuth) -> Result<(), Error> {
        if self.is_detached() {
            return Err(Error::DetachedHead {
                repo: self.workdir.clone(),
            });
        }
        let refname = self.refname();
        let (mut target, shown) = match self.repo.find_remote(remote) {
            Ok(r) => (r, remote.to_string()),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::NotFound | git2::ErrorCode::InvalidSpec
                ) =>
            {
                if !looks_like_url(remote) {
                    return Err(Error::NoRemote {
                        repo: self.workdir.clone(),
                        remote: redact_url(remote),
                    });
                }
                let shown = redact_url(remote);
                let r = self
                    .repo
                    .remote_anonymous(remote)
                    .map_err(|e| Error::Push {
                        remote: shown.clone(),
                        branch: self.branch.clone(),
                        reason: redact_url(e.message()),
                    })?;
                (r, shown)
            }
            Err(e) => return Err(self.git("read the remote")(e)),
        };
        let failed = |reason: String| Error::Push {
            remote: shown.clone(),
            branch: self.branch.clone(),
            reason,
        };
        if !self.branch_exists() {
            return Err(failed("the local branch does not exist yet".to_string()));
        }

        let asks = Cell::new(0u32);
        let gave_up = Cell::new(false);
        let offered: RefCell<Vec<&'static str>> = RefCell::new(Vec::new());
        let refused: RefCell<Option<String>> = RefCell::new(None);
        let result = {
            let mut callbacks = git2::RemoteCallbacks::new();
            callbacks.credentials(|_url, user_from_url, allowed| {
                asks.set(asks.get() + 1);
                if asks.get() > MAX_CREDENTIAL_ASKS {
                    gave_up.set(true);
                    return Err(git2::Error::from_str(
                        "the remote refused every credential offered",
                    ));
                }
                if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) {
                    if let Some(token) = &auth.token {
                        offered.borrow_mut().push("the token");
                        let user = auth.username.as_deref().unwrap_or(DEFAULT_TOKEN_USER);
                        return git2::Cred::userpass_plaintext(user, token.expose());
                    }
                }
                if allowed.contains(git2::CredentialType::SSH_KEY) {
                    offered.borrow_mut().push("the SSH agent's keys");
                    return git2::Cred::ssh_key_from_agent(user_from_url.unwrap_or("git"));
                }
                if allowed.contains(git2::CredentialType::USERNAME) {
                    return git2::Cred::username(user_from_url.unwrap_or("git"));
                }
                gave_up.set(true);
                Err(git2::Error::from_str("no credentials for this remote"))
            });
            callbacks.push_update_reference(|_refname, status| {
                if let Some(status) = status {
                    *refused.borrow_mut() = Some(status.to_string());
                }
                Ok(())
            });
            let mut proxy = git2::ProxyOptions::new();
            proxy.auto();
            let mut options = git2::PushOptions::new();
            options.remote_callbacks(callbacks);
            options.proxy_options(proxy);
            // No leading `+`: a push that is not a fast-forward is refused, never forced.
            target.push(&[format!("{refname}:{refname}")], Some(&mut options))
        };

        let rejected = |reason: String| Error::PushRejected {
            remote: shown.clone(),
            branch: self.branch.clone(),
            reason,
        };
        match result {
            Ok(()) => match refused.into_inner() {
                None => Ok(()),
                Some(status) if is_not_fast_forward(&status) => Err(rejected(redact_url(&status))),
                Some(status) => Err(failed(format!(
                    "the remote refused the update: {}",
                    redact_url(&status)
                ))),
            },
            Err(e) => {
                let reason = redact_url(e.message());
                if e.code() == git2::ErrorCode::NotFastForward || is_not_fast_forward(&reason) {
                    return Err(rejected(reason));
                }
                let auth_failed = e.code() == git2::ErrorCode::Auth || gave_up.get();
                if auth_failed {
                    let mut tried = offered.into_inner();
                    tried.dedup();
                    let reason = if tried.is_empty() {
                        "no credentials were available: pass a token for https remotes, or load a key \
                         into the SSH agent for ssh ones"
                            .to_string()
                    } else if gave_up.get() {
                        format!("offered {}, which the remote refused", tried.join(" and "))
                    } else {
                        format!("offered {}: {reason}", tried.join(" and "))
                    };
                    return Err(Error::PushAuth {
                        remote: shown.clone(),
                        branch: self.branch.clone(),
                        reason,
                    });
                }
                Err(failed(reason))
            }
        }
    }
}

fn is_not_fast_forward(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("non-fast-forward")
        || t.contains("not present locally")
        || t.contains("fetch first")
        || t.contains("fastforward")
}

/// Whether a remote that is not a configured name can be used as it is: a URL, an scp-like address or a path.
fn looks_like_url(remote: &str) -> bool {
    remote.contains("://")
        || remote.starts_with('/')
        || remote.starts_with("./")
        || remote.starts_with("../")
        || remote.starts_with('~')
        || remote
            .split_once(':')
            .is_some_and(|(host, _)| host.contains('@') && !host.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_urls_and_paths() {
        for yes in [
            "https://github.com/o/r.git",
            "file:///tmp/x.git",
            "/tmp/x.git",
            "../x.git",
            "git@github.com:o/r.git",
        ] {
            assert!(looks_like_url(yes), "{yes}");
        }
        for no in ["origin", "upstream", "dr-mirror"] {
            assert!(!looks_like_url(no), "{no}");
        }
    }

    #[test]
    fn recognises_rejections() {
        assert!(is_not_fast_forward("cannot push non-fastforward reference"));
        assert!(is_not_fast_forward("non-fast-forward"));
        assert!(is_not_fast_forward("[rejected] (fetch first)"));
        assert!(!is_not_fast_forward("pre-receive hook declined"));
    }
}
