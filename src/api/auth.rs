//! Where a workspace's credentials come from: `drsync.toml` entries, environment variables and
//! `~/.databrickscfg` profiles, resolved with the Databricks SDKs' precedence, and the redacting [`Secret`].
//! It never reads the process environment itself (the caller passes an [`Environment`]) and never shows a secret.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A token or client secret. Its `Debug` shows `***`, it has no `Display`, and only [`Secret::expose`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How drsync authenticates to one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A personal access token, sent as a bearer token.
    Pat(Secret),
    /// OAuth machine-to-machine: a service principal's client id and secret, exchanged for short-lived tokens.
    OAuthM2M {
        /// The service principal's application id.
        client_id: String,
        /// Its OAuth secret.
        client_secret: Secret,
    },
}

impl Credentials {
    /// The auth type's name as the SDKs spell it (`pat`, `oauth-m2m`).
    pub fn auth_type(&self) -> &'static str {
        match self {
            Credentials::Pat(_) => "pat",
            Credentials::OAuthM2M { .. } => "oauth-m2m",
        }
    }
}

/// A workspace's host and credentials, and a human description of where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceAuth {
    /// The host as configured (normalised by the client).
    pub host: String,
    /// The credentials.
    pub credentials: Credentials,
    /// Where they came from, e.g. "profile `dr` in /home/me/.databrickscfg" (never the secret itself).
    pub source: String,
}

/// What a `[workspaces.NAME]` entry of `drsync.toml` says about credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthSpec {
    /// `host`.
    pub host: Option<String>,
    /// `profile`: a section of `~/.databrickscfg`.
    pub profile: Option<String>,
    /// `token_env`: the variable that holds a PAT.
    pub token_env: Option<String>,
    /// `client_id_env`: the variable that holds an OAuth client id.
    pub client_id_env: Option<String>,
    /// `client_secret_env`: the variable that holds an OAuth client secret.
    pub client_secret_env: Option<String>,
}

/// The parts of the process environment that credential resolution may read, captured by the caller.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// Environment variables.
    pub vars: BTreeMap<String, String>,
    /// The home folder, for `~/.databrickscfg`.
    pub home: Option<PathBuf>,
}

impl Environment {
    /// A non-empty variable.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The Databricks config file: `DATABRICKS_CONFIG_FILE`, else `~/.databrickscfg`.
    pub fn config_file(&self) -> Option<PathBuf> {
        if let Some(p) = self.var(DATABRICKS_CONFIG_FILE) {
            return Some(expand_home(p, self.home.as_deref()));
        }
        self.home.as_ref().map(|h| h.join(".databrickscfg"))
    }
}

/// `DATABRICKS_HOST`: the workspace URL.
pub const DATABRICKS_HOST: &str = "DATABRICKS_HOST";
/// `DATABRICKS_TOKEN`: a personal access token.
pub const DATABRICKS_TOKEN: &str = "DATABRICKS_TOKEN";
/// `DATABRICKS_CLIENT_ID`: an OAuth M2M client id.
pub const DATABRICKS_CLIENT_ID: &str = "DATABRICKS_CLIENT_ID";
/// `DATABRICKS_CLIENT_SECRET`: an OAuth M2M client secret.
pub const DATABRICKS_CLIENT_SECRET: &str = "DATABRICKS_CLIENT_SECRET";
/// `DATABRICKS_CONFIG_FILE`: where the profiles are (default `~/.databrickscfg`).
pub const DATABRICKS_CONFIG_FILE: &str = "DATABRICKS_CONFIG_FILE";
/// `DATABRICKS_CONFIG_PROFILE`: the profile to use when none is named.
pub const DATABRICKS_CONFIG_PROFILE: &str = "DATABRICKS_CONFIG_PROFILE";
/// `DATABRICKS_AUTH_TYPE`: picks one method when several are configured.
pub const DATABRICKS_AUTH_TYPE: &str = "DATABRICKS_AUTH_TYPE";

/// Why a workspace's credentials could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A variable named in `drsync.toml` is not set.
    #[error("workspace `{workspace}`: environment variable {var} (named by `{key}`) is not set or empty")]
    MissingVar {
        /// The workspace entry.
        workspace: String,
        /// The `drsync.toml` key that names it.
        key: &'static str,
        /// The variable.
        var: String,
    },
    /// No host anywhere.
    #[error("workspace `{workspace}`: no host configured (set `host` in drsync.toml{also})")]
    NoHost {
        /// The workspace entry.
        workspace: String,
        /// Where else a host could have come from.
        also: &'static str,
    },
    /// The host has credentials in it (`https://user:SECRET@...`); shown redacted.
    #[error("workspace `{workspace}`: the host `{host}` (from {from}) has credentials in it: refused, because a host is shown in messages and logs; put the token in an environment variable named by token_env, or in a profile")]
    CredentialsInHost {
        /// The workspace entry.
        workspace: String,
        /// The host with its user information replaced by `***`.
        host: String,
        /// Where the host came from: drsync.toml, DATABRICKS_HOST or a profile.
        from: &'static str,
    },
    /// No credentials anywhere.
    #[error("workspace `{workspace}`: no credentials found ({looked})")]
    NoCredentials {
        /// The workspace entry.
        workspace: String,
        /// What was looked at.
        looked: String,
    },
    /// More than one method configured, and nothing says which.
    #[error("workspace `{workspace}`: more than one authorization method configured: {methods}")]
    Conflicting {
        /// The workspace entry.
        workspace: String,
        /// The methods found.
        methods: String,
    },
    /// Half of an OAuth pair.
    #[error("workspace `{workspace}`: {have} is set but {missing} is not: OAuth M2M needs both")]
    IncompletePair {
        /// The workspace entry.
        workspace: String,
        /// The half that is set.
        have: String,
        /// The half that is not.
        missing: String,
    },
    /// A named profile does not exist.
    #[error("workspace `{workspace}`: profile `{profile}` not found in {path} (profiles there: {available})")]
    ProfileNotFound {
        /// The workspace entry.
        workspace: String,
        /// The profile asked for.
        profile: String,
        /// The config file.
        path: PathBuf,
        /// The profiles it has.
        available: String,
    },
    /// The config file could not be read.
    #[error("cannot read {path}")]
    ConfigFileRead {
        /// The config file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid INI.
    #[error("{path}:{line}: {reason}")]
    ConfigFileSyntax {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An auth type that drsync does not support.
    #[error("workspace `{workspace}`: auth type `{auth_type}` is not supported (drsync supports pat and oauth-m2m)")]
    UnsupportedAuthType {
        /// The workspace entry.
        workspace: String,
        /// The auth type asked for.
        auth_type: String,
    },
}

/// Whether a host carries user information (`user:password@`): anything before an `@` after the scheme. A valid
/// workspace host has no `@` at all, so any is treated as user information, however the rest parses.
pub fn host_has_credentials(host: &str) -> bool {
    let start = host.find("://").map_or(0, |i| i + 3);
    host[start..].contains('@')
}

/// A host as it may be shown: user information (everything between the scheme and the last `@`) replaced by
/// `***`, so `https://user:SECRET@dbc-1.cloud.databricks.com` becomes `https://***@dbc-1.cloud.databricks.com`.
pub fn redact_host(host: &str) -> String {
    let start = host.find("://").map_or(0, |i| i + 3);
    match host[start..].rfind('@') {
        Some(at) => format!("{}***{}", &host[..start], &host[start + at..]),
        None => host.to_string(),
    }
}

/// Resolve one workspace's host and credentials.
///
/// When the entry names its own source (`token_env`, `client_id_env`/`client_secret_env` or `profile`), only that
/// source is read: drsync talks to two workspaces at once, so the generic `DATABRICKS_*` variables cannot serve
/// both. Naming more than one source is an error. When the entry names none, the SDKs' default chain applies:
/// `DATABRICKS_HOST`/`DATABRICKS_TOKEN`/`DATABRICKS_CLIENT_ID`/`DATABRICKS_CLIENT_SECRET`, then the profile
/// from `DATABRICKS_CONFIG_PROFILE`, `[__settings__] default_profile` or `[DEFAULT]`; a value already set is
/// never overridden by the profile, and the host in `drsync.toml` always wins.
pub fn resolve(
    workspace: &str,
    spec: &AuthSpec,
    env: &Environment,
) -> Result<WorkspaceAuth, AuthError> {
    let ws = workspace.to_string();
    let mut named = Vec::new();
    if spec.token_env.is_some() {
        named.push("token_env");
    }
    if spec.client_id_env.is_some() || spec.client_secret_env.is_some() {
        named.push("client_id_env/client_secret_env");
    }
    if spec.profile.is_some() {
        named.push("profile");
    }
    if named.len() > 1 {
        return Err(AuthError::Conflicting {
            workspace: ws,
            methods: named.join(", "),
        });
    }
    // A host with user information is refused wherever it came from (drsync.toml, DATABRICKS_HOST, a profile),
    // and shown redacted.
    let need_host = |host: Option<String>, also: &'static str| {
        let host = host.ok_or_else(|| AuthError::NoHost {
            workspace: workspace.to_string(),
            also,
        })?;
        if host_has_credentials(&host) {
            let from = if spec.host.as_ref() == Some(&host) {
                "drsync.toml"
            } else if env.var(DATABRICKS_HOST) == Some(host.as_str()) {
                "DATABRICKS_HOST"
            } else {
                "a profile"
            };
            return Err(AuthError::CredentialsInHost {
                workspace: workspace.to_string(),
                host: redact_host(&host),
                from,
            });
        }
        Ok(host)
    };
    let from_var = |key: &'static str, var: &str| {
        env.var(var)
            .map(str::to_string)
            .ok_or_else(|| AuthError::MissingVar {
                workspace: workspace.to_string(),
                key,
                var: var.to_string(),
            })
    };

    if let Some(var) = &spec.token_env {
        let token = from_var("token_env", var)?;
        return Ok(WorkspaceAuth {
            host: need_host(spec.host.clone(), "")?,
            credentials: Credentials::Pat(Secret::new(token)),
            source: format!("personal access token from ${var}"),
        });
    }
    if spec.client_id_env.is_some() || spec.client_secret_env.is_some() {
        let (Some(id_var), Some(secret_var)) = (&spec.client_id_env, &spec.client_secret_env)
        else {
            let (have, missing) = if spec.client_id_env.is_some() {
                ("client_id_env", "client_secret_env")
            } else {
                ("client_secret_env", "client_id_env")
            };
            return Err(AuthError::IncompletePair {
                workspace: ws,
                have: have.to_string(),
                missing: missing.to_string(),
            });
        };
        let client_id = from_var("client_id_env", id_var)?;
        let secret = from_var("client_secret_env", secret_var)?;
        return Ok(WorkspaceAuth {
            host: need_host(spec.host.clone(), "")?,
            credentials: Credentials::OAuthM2M {
                client_id,
                client_secret: Secret::new(secret),
            },
            source: format!("OAuth M2M from ${id_var} and ${secret_var}"),
        });
    }
    if let Some(profile) = &spec.profile {
        let path = env.config_file().ok_or_else(|| AuthError::NoCredentials {
            workspace: ws.clone(),
            looked: "profile named, but no home folder to find ~/.databrickscfg".to_string(),
        })?;
        let file = ConfigFile::read(&path)?;
        let section = file
            .section(profile)
            .ok_or_else(|| AuthError::ProfileNotFound {
                workspace: ws.clone(),
                profile: profile.clone(),
                path: path.clone(),
                available: file.profile_names(),
            })?;
        let mut values = Values::default();
        values.fill_from(|k| section.get(k).cloned());
        let host = spec.host.clone().or(values.host.clone());
        let credentials =
            values
                .credentials(workspace)?
                .ok_or_else(|| AuthError::NoCredentials {
                    workspace: ws.clone(),
                    looked: format!(
                        "profile `{profile}` in {} has no token and no client_id/client_secret",
                        path.display()
                    ),
                })?;
        return Ok(WorkspaceAuth {
            host: need_host(host, " or in the profile")?,
            credentials,
            source: format!("profile `{profile}` in {}", path.display()),
        });
    }

    // The SDKs' default chain: environment first, then a profile for whatever is still missing.
    let mut values = Values {
        host: spec.host.clone(),
        ..Values::default()
    };
    values.fill_from(|k| {
        env.var(&format!("DATABRICKS_{}", k.to_ascii_uppercase()))
            .map(str::to_string)
    });
    let mut source = "DATABRICKS_* environment variables".to_string();
    let mut looked =
        vec!["DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET".to_string()];
    let env_has_auth =
        values.token.is_some() || values.client_id.is_some() || values.client_secret.is_some();
    let explicit_profile = env.var(DATABRICKS_CONFIG_PROFILE).map(str::to_string);
    if !env_has_auth || explicit_profile.is_some() {
        if let Some(path) = env.config_file() {
            let file = match ConfigFile::read(&path) {
                Ok(f) => Some(f),
                Err(AuthError::ConfigFileRead { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound
                        && explicit_profile.is_none() =>
                {
                    None
                }
                Err(e) => return Err(e),
            };
            if let Some(file) = file {
                let chosen = explicit_profile
                    .clone()
                    .or_else(|| {
                        file.section("__settings__")
                            .and_then(|s| s.get("default_profile").cloned())
                    })
                    .or_else(|| {
                        file.section("DEFAULT")
                            .filter(|s| !s.is_empty())
                            .map(|_| "DEFAULT".to_string())
                    });
                match chosen {
                    Some(name) => {
                        let section =
                            file.section(&name)
                                .ok_or_else(|| AuthError::ProfileNotFound {
                                    workspace: ws.clone(),
                                    profile: name.clone(),
                                    path: path.clone(),
                                    available: file.profile_names(),
                                })?;
                        values.fill_from(|k| section.get(k).cloned());
                        source = if env_has_auth {
                            format!(
                                "DATABRICKS_* environment variables and profile `{name}` in {}",
                                path.display()
                            )
                        } else {
                            format!("profile `{name}` in {}", path.display())
                        };
                    }
                    None => looked.push(format!("no default profile in {}", path.display())),
                }
            }
        }
    }
    let Some(credentials) = values.credentials(workspace)? else {
        return Err(AuthError::NoCredentials {
            workspace: ws,
            looked: looked.join("; "),
        });
    };
    Ok(WorkspaceAuth {
        host: need_host(values.host, ", DATABRICKS_HOST or a profile")?,
        credentials,
        source,
    })
}

/// Values gathered from one or more sources; the first source to set a key wins.
#[derive(Debug, Default)]
struct Values {
    host: Option<String>,
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    auth_type: Option<String>,
}

impl Values {
    fn fill_from(&mut self, get: impl Fn(&str) -> Option<String>) {
        let slots: [(&str, &mut Option<String>); 5] = [
            ("host", &mut self.host),
            ("token", &mut self.token),
            ("client_id", &mut self.client_id),
            ("client_secret", &mut self.client_secret),
            ("auth_type", &mut self.auth_type),
        ];
        for (key, slot) in slots {
            if slot.is_none() {
                *slot = get(key).filter(|v| !v.is_empty());
            }
        }
    }

    fn credentials(&self, workspace: &str) -> Result<Option<Credentials>, AuthError> {
        let pat = self.token.clone().map(|t| Credentials::Pat(Secret::new(t)));
        let m2m = match (&self.client_id, &self.client_secret) {
            (Some(id), Some(secret)) => Some(Credentials::OAuthM2M {
                client_id: id.clone(),
                client_secret: Secret::new(secret.clone()),
            }),
            (Some(_), None) | (None, Some(_)) if pat.is_none() => {
                let (have, missing) = if self.client_id.is_some() {
                    ("client_id", "client_secret")
                } else {
                    ("client_secret", "client_id")
                };
                return Err(AuthError::IncompletePair {
                    workspace: workspace.to_string(),
                    have: have.to_string(),
                    missing: missing.to_string(),
                });
            }
            _ => None,
        };
        match self.auth_type.as_deref() {
            Some("pat") => Ok(pat),
            Some("oauth-m2m") => Ok(m2m),
            Some(other) => Err(AuthError::UnsupportedAuthType {
                workspace: workspace.to_string(),
                auth_type: other.to_string(),
            }),
            None => match (pat, m2m) {
                (Some(_), Some(_)) => Err(AuthError::Conflicting {
                    workspace: workspace.to_string(),
                    methods: "pat and oauth-m2m (set auth_type or DATABRICKS_AUTH_TYPE to choose)"
                        .to_string(),
                }),
                (pat, m2m) => Ok(pat.or(m2m)),
            },
        }
    }
}

/// A parsed `~/.databrickscfg`: INI sections of `key = value` lines.
#[derive(Debug, Default)]
pub(crate) struct ConfigFile {
    sections: Vec<(String, BTreeMap<String, String>)>,
}

impl ConfigFile {
    fn read(path: &Path) -> Result<Self, AuthError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuthError::ConfigFileRead {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|(line, reason)| AuthError::ConfigFileSyntax {
            path: path.to_path_buf(),
            line,
            reason,
        })
    }

    /// Parse INI text as the SDKs do: `[section]` headers, `key = value` (or `key: value`), `#`/`;` comments.
    pub(crate) fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut file = ConfigFile::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest.strip_suffix(']').ok_or_else(|| {
                    (i + 1, format!("section header `{line}` has no closing `]`"))
                })?;
                file.sections
                    .push((name.trim().to_string(), BTreeMap::new()));
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .or_else(|| line.split_once(':'))
                .ok_or_else(|| (i + 1, "expected `key = value`".to_string()))?;
            let Some((_, section)) = file.sections.last_mut() else {
                return Err((i + 1, "a key before any [section] header".to_string()));
            };
            section.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
        Ok(file)
    }

    fn section(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.sections
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }

    fn profile_names(&self) -> String {
        let names: Vec<&str> = self
            .sections
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| *n != "__settings__")
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    }
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)], home: Option<&Path>) -> Environment {
        Environment {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home: home.map(Path::to_path_buf),
        }
    }

    fn cfg_home(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".databrickscfg"), text).unwrap();
        dir
    }

    const CFG: &str = "\
[DEFAULT]
host  = https://dbc-1234abcd-5678.cloud.databricks.com
token = dapi0123456789abcdef

; a comment
[dr-west]
host          = https://dbc-9876fedc-4321.cloud.databricks.com
client_id     = 6f1d2c3b-aaaa-bbbb-cccc-0123456789ab
client_secret = dose0123456789abcdef

[both]
host = https://both.example.com
token = dapi-x
client_id = id
client_secret = s
";

    #[test]
    fn secret_never_shows_in_debug() {
        let creds = Credentials::OAuthM2M {
            client_id: "id".into(),
            client_secret: Secret::new("dose-very-secret"),
        };
        let shown = format!(
            "{creds:?} {:?}",
            Credentials::Pat(Secret::new("dapi-very-secret"))
        );
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("***"));
    }

    /// A host with user information is refused wherever it comes from, naming where, and shown redacted.
    #[test]
    fn host_with_credentials_is_refused_and_redacted() {
        assert_eq!(
            redact_host("https://user:SECRET@dbc-1.cloud.databricks.com"),
            "https://***@dbc-1.cloud.databricks.com"
        );
        assert_eq!(redact_host("user:SECRET@h"), "***@h");
        assert_eq!(
            redact_host("https://a@b:SE/CRET@h:443"),
            "https://***@h:443"
        );
        assert_eq!(
            redact_host("https://h.example.com"),
            "https://h.example.com"
        );
        assert!(!host_has_credentials("https://h.example.com:8443"));
        assert!(host_has_credentials("http://u@h"));

        let home = cfg_home("[p]\nhost = https://u:SECRET3@p.example.com\ntoken = dapi-p\n");
        let cases = [
            (
                AuthSpec {
                    host: Some("https://u:SECRET1@dr.example.com".into()),
                    token_env: Some("DR_TOKEN".into()),
                    ..AuthSpec::default()
                },
                vec![("DR_TOKEN", "dapi-x")],
                "the host `https://***@dr.example.com` (from drsync.toml) has credentials in it",
            ),
            (
                AuthSpec::default(),
                vec![
                    (DATABRICKS_HOST, "https://token:SECRET2@env.example.com"),
                    (DATABRICKS_TOKEN, "dapi-x"),
                ],
                "the host `https://***@env.example.com` (from DATABRICKS_HOST) has credentials in it",
            ),
            (
                AuthSpec {
                    profile: Some("p".into()),
                    ..AuthSpec::default()
                },
                vec![],
                "the host `https://***@p.example.com` (from a profile) has credentials in it",
            ),
        ];
        for (spec, vars, expected) in cases {
            let err = resolve("dr", &spec, &env(&vars, Some(home.path()))).unwrap_err();
            assert!(
                matches!(err, AuthError::CredentialsInHost { .. }),
                "{err:?}"
            );
            let shown = format!("{err} {err:?}");
            assert!(shown.starts_with("workspace `dr`: "), "{shown}");
            assert!(shown.contains(expected), "{shown}");
            assert!(!shown.contains("SECRET"), "the secret is shown: {shown}");
        }
    }

    #[test]
    fn token_env_names_its_variable() {
        let spec = AuthSpec {
            host: Some("https://dr.example.com".into()),
            token_env: Some("DR_TOKEN".into()),
            ..AuthSpec::default()
        };
        let got = resolve(
            "dr",
            &spec,
            &env(&[("DR_TOKEN", "dapi-1"), (DATABRICKS_TOKEN, "other")], None),
        )
        .unwrap();
        assert_eq!(got.credentials, Credentials::Pat(Secret::new("dapi-1")));
        assert_eq!(got.host, "https://dr.example.com");
        assert!(!got.source.contains("dapi-1"));
        let err = resolve("dr", &spec, &env(&[], None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "workspace `dr`: environment variable DR_TOKEN (named by `token_env`) is not set or empty"
        );
    }

    #[test]
    fn client_env_pair() {
        let spec = AuthSpec {
            host: Some("https://dr.example.com".into()),
            client_id_env: Some("ID".into()),
            client_secret_env: Some("SECRET".into()),
            ..AuthSpec::default()
        };
        let got = resolve("dr", &spec, &env(&[("ID", "abc"), ("SECRET", "s3")], None)).unwrap();
        assert_eq!(got.credentials.auth_type(), "oauth-m2m");
        let half = AuthSpec {
            client_secret_env: None,
            ..spec
        };
        assert!(matches!(
            resolve("dr", &half, &env(&[("ID", "abc")], None)),
            Err(AuthError::IncompletePair { .. })
        ));
    }

    #[test]
    fn naming_two_sources_is_an_error() {
        let spec = AuthSpec {
            host: Some("https://x".into()),
            token_env: Some("T".into()),
            profile: Some("p".into()),
            ..AuthSpec::default()
        };
        assert!(matches!(
            resolve("dr", &spec, &env(&[], None)),
            Err(AuthError::Conflicting { .. })
        ));
    }

    #[test]
    fn named_profile_and_host_precedence() {
        let home = cfg_home(CFG);
        let spec = AuthSpec {
            profile: Some("dr-west".into()),
            ..AuthSpec::default()
        };
        // Generic variables do not leak into a workspace that names its profile.
        let e = env(&[(DATABRICKS_TOKEN, "dapi-env")], Some(home.path()));
        let got = resolve("dr", &spec, &e).unwrap();
        assert_eq!(got.host, "https://dbc-9876fedc-4321.cloud.databricks.com");
        assert_eq!(got.credentials.auth_type(), "oauth-m2m");
        assert!(got.source.contains("profile `dr-west`"));
        // The host in drsync.toml wins over the profile's.
        let spec = AuthSpec {
            host: Some("https://override.example.com".into()),
            ..spec
        };
        assert_eq!(
            resolve("dr", &spec, &e).unwrap().host,
            "https://override.example.com"
        );
    }

    #[test]
    fn unknown_profile_lists_the_others() {
        let home = cfg_home(CFG);
        let spec = AuthSpec {
            profile: Some("nope".into()),
            ..AuthSpec::default()
        };
        let err = resolve("dr", &spec, &env(&[], Some(home.path())))
            .unwrap_err()
            .to_string();
        assert!(err.contains("profile `nope` not found"), "{err}");
        assert!(err.contains("DEFAULT, dr-west, both"), "{err}");
    }

    #[test]
    fn profile_with_two_methods_needs_auth_type() {
        let home = cfg_home(CFG);
        let spec = AuthSpec {
            profile: Some("both".into()),
            ..AuthSpec::default()
        };
        let e = env(&[], Some(home.path()));
        assert!(matches!(
            resolve("x", &spec, &e),
            Err(AuthError::Conflicting { .. })
        ));
        let home2 = cfg_home(&CFG.replace(
            "client_secret = s\n",
            "client_secret = s\nauth_type = pat\n",
        ));
        let got = resolve("x", &spec, &env(&[], Some(home2.path()))).unwrap();
        assert_eq!(got.credentials.auth_type(), "pat");
    }

    #[test]
    fn default_chain_env_then_profile() {
        let home = cfg_home(CFG);
        // Env vars alone.
        let e = env(
            &[
                (DATABRICKS_HOST, "https://h.example.com"),
                (DATABRICKS_TOKEN, "dapi-env"),
            ],
            Some(home.path()),
        );
        let got = resolve("primary", &AuthSpec::default(), &e).unwrap();
        assert_eq!(got.host, "https://h.example.com");
        assert_eq!(got.credentials, Credentials::Pat(Secret::new("dapi-env")));
        // Nothing in env: DEFAULT profile.
        let got = resolve(
            "primary",
            &AuthSpec::default(),
            &env(&[], Some(home.path())),
        )
        .unwrap();
        assert_eq!(got.host, "https://dbc-1234abcd-5678.cloud.databricks.com");
        assert!(got.source.contains("`DEFAULT`"));
        // DATABRICKS_CONFIG_PROFILE picks another one; the env host still wins over the profile's.
        let e = env(
            &[
                (DATABRICKS_CONFIG_PROFILE, "dr-west"),
                (DATABRICKS_HOST, "https://env-host"),
            ],
            Some(home.path()),
        );
        let got = resolve("primary", &AuthSpec::default(), &e).unwrap();
        assert_eq!(got.host, "https://env-host");
        assert_eq!(got.credentials.auth_type(), "oauth-m2m");
        // [__settings__] default_profile.
        let home3 = cfg_home(&format!("[__settings__]\ndefault_profile = dr-west\n{CFG}"));
        let got = resolve("p", &AuthSpec::default(), &env(&[], Some(home3.path()))).unwrap();
        assert_eq!(got.credentials.auth_type(), "oauth-m2m");
        // DATABRICKS_CONFIG_FILE moves the file.
        let e = env(
            &[(
                DATABRICKS_CONFIG_FILE,
                home.path().join(".databrickscfg").to_str().unwrap(),
            )],
            None,
        );
        assert!(resolve("p", &AuthSpec::default(), &e).is_ok());
    }

    #[test]
    fn nothing_configured_says_what_was_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let err = resolve("dr", &AuthSpec::default(), &env(&[], Some(dir.path()))).unwrap_err();
        assert!(matches!(err, AuthError::NoCredentials { .. }), "{err}");
        assert!(err.to_string().contains("DATABRICKS_TOKEN"));
    }

    #[test]
    fn ini_syntax_errors_have_lines() {
        assert_eq!(ConfigFile::parse("[a\nx=1").unwrap_err().0, 1);
        assert_eq!(ConfigFile::parse("x = 1").unwrap_err().0, 1);
        assert_eq!(ConfigFile::parse("[a]\n\njunk").unwrap_err().0, 3);
        let f = ConfigFile::parse("[a]\nHost: https://x\n").unwrap();
        assert_eq!(f.section("a").unwrap().get("host").unwrap(), "https://x");
    }
}
