//! `drsync.toml`: the user's configuration file, parsed strictly (an unknown key is an error that names the key
//! and the file, so a typo never silently disables a setting) and typed at the edge (durations, `changed`, the
//! stages' own settings types). It only parses and validates: it reads no environment variables, resolves no
//! credentials, and calls no module that reads it back (`check` takes its [`CheckSection`]).

use crate::api::auth::AuthSpec;
use crate::api::ClientOptions;
use crate::export::filter::{NameFilter, NameFilterError};
pub use crate::model::ResourceKind;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod duration;
pub use duration::{parse_duration, DurationError};

/// A parsed `drsync.toml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from; relative paths in it resolve against its folder.
    pub path: PathBuf,
    /// `[workspaces.NAME]` entries, by name (`primary`, `dr`).
    pub workspaces: BTreeMap<String, WorkspaceEntry>,
    /// `[client]`: how drsync talks to the workspaces.
    pub client: ClientSection,
    /// `[export]`: what the export reads and where it writes.
    pub export: ExportSection,
    /// `[rewrite]`: the region rules, validated.
    pub rewrite: crate::rewrite::Rules,
    /// `[git]`: where exports are committed (with `repo` resolved against the config file's folder).
    pub git: crate::git::GitSettings,
    /// `[check]`: the thresholds of `drsync check`, typed.
    pub check: CheckSection,
}

/// `[check]`: what `drsync check` requires of the DR workspace, typed (durations parsed when the file is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSection {
    /// The oldest the newest export commit may be (`"24h"`, `"90m"`, `"2d"` in the file; default 24 hours).
    pub max_sync_age: Duration,
    /// What a `changed` drift finding makes the drift check (default: a warning).
    pub changed: Changed,
    /// A shell command that prints the age of the latest replicated data (seconds, or a duration like `3h`).
    pub data_freshness_command: Option<String>,
    /// The oldest that data may be (default 24 hours), when `data_freshness_command` is set.
    pub max_data_age: Duration,
}

/// The default `max_sync_age` and `max_data_age`: a day.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

impl Default for CheckSection {
    fn default() -> Self {
        CheckSection {
            max_sync_age: DEFAULT_MAX_AGE,
            changed: Changed::Warn,
            data_freshness_command: None,
            max_data_age: DEFAULT_MAX_AGE,
        }
    }
}

/// `[check] changed`: what a resource that differs between Git and DR makes the drift check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Changed {
    /// A warning: DR is still ready (`"warn"`, the default).
    #[default]
    Warn,
    /// A failure: DR is not ready (`"fail"`).
    Fail,
}

impl Changed {
    /// `"warn"` or `"fail"`, as the file says it; any other text is `None`.
    fn parse(text: &str) -> Option<Changed> {
        match text {
            "warn" => Some(Changed::Warn),
            "fail" => Some(Changed::Fail),
            _ => None,
        }
    }
}

/// `[check]` as written: durations and `changed` as text, typed by [`Config::parse`] (which names the key in
/// its errors).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCheckSection {
    max_sync_age: String,
    changed: String,
    data_freshness_command: Option<String>,
    max_data_age: String,
}

impl Default for RawCheckSection {
    fn default() -> Self {
        RawCheckSection {
            max_sync_age: "24h".to_string(),
            changed: "warn".to_string(),
            data_freshness_command: None,
            max_data_age: "24h".to_string(),
        }
    }
}

/// `[export]`: what is exported, and where to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportSection {
    /// The folder the export owns, relative to the config file (default `terraform/generated`).
    pub dir: PathBuf,
    /// The kinds of objects to export (default: all; `secret_scopes` brings `secret_acls` with it).
    pub resources: Vec<ResourceKind>,
    /// Name globs an object must match to be exported (default `["*"]`; compiled by [`NameFilter`]).
    pub include: Vec<String>,
    /// Name globs that exclude an object (default none).
    pub exclude: Vec<String>,
    /// The `databricks/databricks` provider version constraint written to `versions.tf` (default `>= 1.99.0`).
    pub provider_version: String,
    /// Treat warnings as errors (default false; `--strict` sets it).
    pub strict: bool,
    /// The most resources one export may remove without `--allow-removals` (default: 10% of the previous export's
    /// resources, at least 5).
    pub max_removed: Option<usize>,
    /// Jobs deployed by a Databricks Asset Bundle: left out with a warning (default), or exported without their
    /// bundle markers.
    pub bundle_jobs: Inclusion,
    /// Cluster libraries whose installation failed: left out with a warning (default), or exported.
    pub failed_libraries: Inclusion,
}

/// Whether a kind of object that is exported only on request is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Inclusion {
    /// Left out, with a warning that names each.
    #[default]
    Exclude,
    /// Exported.
    Include,
}

impl Default for ExportSection {
    fn default() -> Self {
        ExportSection {
            dir: PathBuf::from("terraform/generated"),
            resources: ResourceKind::ALL.to_vec(),
            include: vec!["*".to_string()],
            exclude: Vec::new(),
            provider_version: ">= 1.99.0".to_string(),
            strict: false,
            max_removed: None,
            bundle_jobs: Inclusion::Exclude,
            failed_libraries: Inclusion::Exclude,
        }
    }
}

impl ExportSection {
    /// What the normaliser keeps on request.
    pub fn normalize_options(&self) -> crate::normalize::Options {
        crate::normalize::Options {
            bundle_jobs: self.bundle_jobs == Inclusion::Include,
            failed_libraries: self.failed_libraries == Inclusion::Include,
        }
    }

    /// The include and exclude globs, compiled (they were checked when the file was read).
    pub fn name_filter(&self) -> Result<NameFilter, NameFilterError> {
        NameFilter::new(&self.include, &self.exclude)
    }
}

/// One `[workspaces.NAME]` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceEntry {
    /// The workspace URL.
    pub host: Option<String>,
    /// A profile in `~/.databrickscfg`.
    pub profile: Option<String>,
    /// The environment variable that holds a personal access token.
    pub token_env: Option<String>,
    /// The environment variable that holds an OAuth client id.
    pub client_id_env: Option<String>,
    /// The environment variable that holds an OAuth client secret.
    pub client_secret_env: Option<String>,
    /// Refused: a literal token would end up in Git.
    #[serde(default)]
    token: Option<toml::Value>,
    /// Refused: a literal secret would end up in Git.
    #[serde(default)]
    client_secret: Option<toml::Value>,
}

impl WorkspaceEntry {
    /// What the entry says about credentials, for [`crate::api::auth::resolve`].
    pub fn auth_spec(&self) -> AuthSpec {
        AuthSpec {
            host: self.host.clone(),
            profile: self.profile.clone(),
            token_env: self.token_env.clone(),
            client_id_env: self.client_id_env.clone(),
            client_secret_env: self.client_secret_env.clone(),
        }
    }
}

/// The default `[client] command_deadline_seconds`: two hours. An export of a 10,000-job workspace (about 1,300
/// requests) takes a few minutes even at a `rate_limit` of 15 requests per second, retries included; a command
/// still waiting after two hours is stuck, not slow.
pub const DEFAULT_COMMAND_DEADLINE: Duration = Duration::from_secs(2 * 3600);

/// `[client]`: limits and timeouts for the REST client.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientSection {
    /// A hard ceiling on the requests per second to the workspace; 0 (the default) for none: the client paces
    /// each endpoint family adaptively (`Retry-After`, AIMD, the published per-endpoint limits) either way.
    pub rate_limit: f64,
    /// Requests of one endpoint family in flight at most (default 64; each starts at 8, see `api`).
    pub max_concurrency: usize,
    /// Timeout of one HTTP request in seconds (default 60).
    pub request_timeout_seconds: u64,
    /// Time budget of one API call with all its retries, in seconds (default 300).
    pub deadline_seconds: u64,
    /// Time budget of a whole export, drift or check, in seconds (default 7200): when it passes, the command
    /// fails naming the endpoint it was waiting on, and writes nothing.
    pub command_deadline_seconds: u64,
    /// Attempts per call at most (default 8).
    pub max_attempts: u32,
    /// How jobs are listed: `"token"` (default: page after page, as the API intends) or `"offset"` (several
    /// pages at a time; a list that changes meanwhile is read again with tokens).
    pub jobs_paging: crate::api::JobsPaging,
}

impl Default for ClientSection {
    fn default() -> Self {
        let d = ClientOptions::default();
        ClientSection {
            rate_limit: d.rate_limit,
            max_concurrency: d.max_concurrency,
            request_timeout_seconds: d.request_timeout.as_secs(),
            deadline_seconds: d.deadline.as_secs(),
            command_deadline_seconds: DEFAULT_COMMAND_DEADLINE.as_secs(),
            max_attempts: d.max_attempts,
            jobs_paging: d.jobs_paging,
        }
    }
}

impl ClientSection {
    /// The client options these settings give.
    pub fn options(&self, allow_insecure_http: bool) -> ClientOptions {
        ClientOptions {
            rate_limit: self.rate_limit,
            max_concurrency: self.max_concurrency,
            request_timeout: Duration::from_secs(self.request_timeout_seconds),
            deadline: Duration::from_secs(self.deadline_seconds),
            command_deadline: Some(Duration::from_secs(self.command_deadline_seconds)),
            max_attempts: self.max_attempts,
            jobs_paging: self.jobs_paging,
            allow_insecure_http,
            ..ClientOptions::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    workspaces: BTreeMap<String, WorkspaceEntry>,
    #[serde(default)]
    client: ClientSection,
    #[serde(default)]
    export: ExportSection,
    #[serde(default)]
    rewrite: crate::rewrite::RewriteSection,
    #[serde(default)]
    git: crate::git::GitSettings,
    #[serde(default)]
    check: RawCheckSection,
}

/// Why `drsync.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// drsync.toml (the path) could not be read.
    #[error("cannot read {}", .0.display())]
    Read(PathBuf, #[source] std::io::Error),
    /// The file is not valid TOML or has an unknown key.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line, column and key.
        message: String,
    },
    /// A key has a value drsync refuses.
    #[error("{}: `{key}`: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: String,
        /// What is wrong and what to do instead.
        reason: String,
    },
    /// A workspace the command needs is not configured.
    #[error("{}: no [workspaces.{name}] entry", path.display())]
    MissingWorkspace {
        /// The file.
        path: PathBuf,
        /// The workspace's name.
        name: String,
    },
}

/// The lowest `[client] rate_limit` other than 0 (no limit): one request every ten seconds.
pub const MIN_RATE_LIMIT: f64 = 0.1;

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Read(path.to_path_buf(), e))?;
        Self::parse(&text, path)
    }

    /// Parse and validate config text; `path` is used in errors and for resolving relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        let invalid = |key: String, reason: &str| Error::Invalid {
            path: path.to_path_buf(),
            key,
            reason: reason.to_string(),
        };
        for (name, ws) in &raw.workspaces {
            if ws.token.is_some() {
                return Err(invalid(
                    format!("workspaces.{name}.token"),
                    "a literal token in drsync.toml is refused, because this file lives in Git; put the token in an environment variable and name it with `token_env = \"VAR\"`, or use `profile = \"NAME\"` from ~/.databrickscfg",
                ));
            }
            if ws.client_secret.is_some() {
                return Err(invalid(
                    format!("workspaces.{name}.client_secret"),
                    "a literal client secret in drsync.toml is refused, because this file lives in Git; name the variables that hold it with `client_id_env` and `client_secret_env`",
                ));
            }
            for (key, value) in [
                ("token_env", &ws.token_env),
                ("client_id_env", &ws.client_id_env),
                ("client_secret_env", &ws.client_secret_env),
            ] {
                if let Some(v) = value {
                    if v.is_empty() || v.starts_with("dapi") || v.contains(char::is_whitespace) {
                        return Err(invalid(
                            format!("workspaces.{name}.{key}"),
                            "expected the NAME of an environment variable (like DR_TOKEN), not its value",
                        ));
                    }
                }
            }
            if let Some(host) = &ws.host {
                if host.trim().is_empty() {
                    return Err(invalid(
                        format!("workspaces.{name}.host"),
                        "the host is empty",
                    ));
                }
                // Shown redacted: the user information may hold a secret, and this error is printed.
                if crate::api::auth::host_has_credentials(host) {
                    return Err(invalid(
                        format!("workspaces.{name}.host"),
                        &format!(
                            "`{}` has credentials in it: refused, because this file lives in Git and a host is shown in messages and logs; put the token in an environment variable named by `token_env`, or use `profile = \"NAME\"`",
                            crate::api::auth::redact_host(host)
                        ),
                    ));
                }
            }
        }
        if raw.client.max_concurrency == 0 {
            return Err(invalid(
                "client.max_concurrency".into(),
                "must be at least 1",
            ));
        }
        // Below one request every ten seconds, an export of a real workspace would take days: a typo, not a
        // setting.
        if !(raw.client.rate_limit == 0.0
            || (raw.client.rate_limit >= MIN_RATE_LIMIT && raw.client.rate_limit.is_finite()))
        {
            return Err(invalid(
                "client.rate_limit".into(),
                &format!(
                    "must be 0 (no limit) or at least {MIN_RATE_LIMIT} (requests per second), not {}",
                    raw.client.rate_limit
                ),
            ));
        }
        // A zero timeout fails every request, zero attempts never sends one, a zero deadline gives no call time.
        for (key, value, what) in [
            (
                "client.request_timeout_seconds",
                raw.client.request_timeout_seconds,
                "a request with no time at all always times out",
            ),
            (
                "client.deadline_seconds",
                raw.client.deadline_seconds,
                "a call with no time at all always fails",
            ),
            (
                "client.command_deadline_seconds",
                raw.client.command_deadline_seconds,
                "a command with no time at all always fails",
            ),
            (
                "client.max_attempts",
                u64::from(raw.client.max_attempts),
                "with no attempt, no request is ever sent",
            ),
        ] {
            if value == 0 {
                return Err(invalid(key.into(), &format!("must be at least 1: {what}")));
            }
        }
        if let Err(e) = raw.export.name_filter() {
            return Err(invalid(
                format!("export.{}", e.list),
                &format!("invalid glob `{}`: {}", e.glob, e.source.kind()),
            ));
        }
        if raw.export.dir.as_os_str().is_empty() {
            return Err(invalid("export.dir".into(), "the export folder is empty"));
        }
        if raw.export.resources.is_empty() {
            return Err(invalid("export.resources".into(), "nothing to export: name at least one of jobs, clusters, instance_pools, cluster_policies, sql_warehouses, pipelines, secret_scopes, permissions"));
        }
        let rewrite =
            crate::rewrite::Rules::from_section(&raw.rewrite).map_err(|e| Error::Invalid {
                path: path.to_path_buf(),
                key: e.rule,
                reason: e.reason,
            })?;
        let duration = |key: &str, value: &str| {
            parse_duration(value).map_err(|e| invalid(key.to_string(), &e.to_string()))
        };
        let check = CheckSection {
            max_sync_age: duration("check.max_sync_age", &raw.check.max_sync_age)?,
            max_data_age: duration("check.max_data_age", &raw.check.max_data_age)?,
            changed: Changed::parse(&raw.check.changed)
                .ok_or_else(|| invalid("check.changed".into(), "expected \"fail\" or \"warn\""))?,
            data_freshness_command: raw.check.data_freshness_command,
        };
        let mut git = raw.git;
        if let Some(template) = &git.message {
            crate::git::validate_template(template)
                .map_err(|e| invalid("git.message".into(), &e.to_string()))?;
        }
        if let Some(author) = &git.author {
            crate::git::Author::parse(author)
                .map_err(|e| invalid("git.author".into(), &e.to_string()))?;
        }
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        git.repo = git
            .repo
            .map(|r| if r.is_absolute() { r } else { base.join(r) });
        let export_dir = if raw.export.dir.is_absolute() {
            raw.export.dir.clone()
        } else {
            base.join(&raw.export.dir)
        };
        check_export_dir(&export_dir, path, git.repo.as_deref())
            .map_err(|reason| invalid("export.dir".into(), &reason.to_string()))?;
        Ok(Config {
            path: path.to_path_buf(),
            workspaces: raw.workspaces,
            client: raw.client,
            export: ExportSection {
                // `secret_scopes` brings the scopes' ACLs (`secret_acls`, never named here) with it.
                resources: ResourceKind::with_implied(&raw.export.resources),
                ..raw.export
            },
            rewrite,
            git,
            check,
        })
    }

    /// The `[workspaces.NAME]` entry a command needs.
    pub fn workspace(&self, name: &str) -> Result<&WorkspaceEntry, Error> {
        self.workspaces
            .get(name)
            .ok_or_else(|| Error::MissingWorkspace {
                path: self.path.clone(),
                name: name.to_string(),
            })
    }

    /// A path from the config, resolved against the config file's folder.
    pub fn resolve_path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.path.parent().unwrap_or_else(|| Path::new(".")).join(p)
        }
    }
}

/// What every refused export folder is told: the export owns the files it writes there.
const OWN_FOLDER: &str = "the export owns the files it writes in its folder: use a folder of its own, like \"terraform/generated\"";

/// Why a folder cannot be the export folder (see [`check_export_dir`]); the text is the reason, for the caller
/// to name the key or flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportDirError {
    /// The folder is the configuration file's folder or an ancestor of it.
    #[error("the export folder {} holds the configuration file {}; {OWN_FOLDER}", folder.display(), config.display())]
    HoldsConfig {
        /// The folder, resolved.
        folder: PathBuf,
        /// The configuration file, as given.
        config: PathBuf,
    },
    /// The folder holds `.git`.
    #[error("the export folder {} is the root of a Git repository (it holds .git); {OWN_FOLDER}", folder.display())]
    IsRepository {
        /// The folder, resolved.
        folder: PathBuf,
    },
    /// The folder holds `[git] repo`.
    #[error("the export folder {} holds the Git repository {} ([git] repo); {OWN_FOLDER}", folder.display(), repo.display())]
    HoldsRepository {
        /// The folder, resolved.
        folder: PathBuf,
        /// The repository, as given.
        repo: PathBuf,
    },
}

/// Refuse an export folder that holds what the export must never swallow: the configuration file (the folder is
/// the config file's own folder or an ancestor of it), a Git repository (`.git` in it), or the repository root
/// `repo` (`[git] repo`). The export owns the files it writes there and removes those it no longer writes, so such
/// a folder would mix the export with the repository's own files (and a `jobs.tf` of the user's there would be
/// overwritten). `dir` and `config_path` are as given (relative to the
/// working folder, or absolute); both are compared as the file system resolves them (symbolic links followed for
/// the parts that exist), so `.`, `..` and links cannot hide the overlap.
pub fn check_export_dir(
    dir: &Path,
    config_path: &Path,
    repo: Option<&Path>,
) -> Result<(), ExportDirError> {
    let folder = resolved(dir);
    let config_dir = resolved(config_path.parent().unwrap_or_else(|| Path::new("")));
    if config_dir.starts_with(&folder) {
        return Err(ExportDirError::HoldsConfig {
            folder,
            config: config_path.to_path_buf(),
        });
    }
    if folder.join(".git").symlink_metadata().is_ok() {
        return Err(ExportDirError::IsRepository { folder });
    }
    if let Some(repo) = repo {
        if resolved(repo).starts_with(&folder) {
            return Err(ExportDirError::HoldsRepository {
                folder,
                repo: repo.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// `path` as the file system resolves it: `.` and `..` taken out, the longest part that exists canonicalised
/// (links followed, made absolute), the rest appended.
fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut lexical = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(lexical.components().next_back(), Some(Component::Normal(_))) {
                    lexical.pop();
                } else if !lexical.has_root() {
                    lexical.push("..");
                }
            }
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        let probe = if existing.as_os_str().is_empty() {
            Path::new(".")
        } else {
            existing.as_path()
        };
        if let Ok(real) = probe.canonicalize() {
            return rest.iter().rev().fold(real, |p, part| p.join(part));
        }
        match existing.file_name() {
            Some(name) => {
                rest.push(name.to_os_string());
                existing.pop();
            }
            None => return lexical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(text, Path::new("/repo/drsync.toml"))
    }

    #[test]
    fn parses_workspaces_and_client() {
        let c = parse(
            r#"
[workspaces.primary]
host = "https://dbc-primary.cloud.databricks.com"
profile = "primary"

[workspaces.dr]
host = "https://dbc-dr.cloud.databricks.com"
token_env = "DR_TOKEN"

[client]
rate_limit = 30
"#,
        )
        .unwrap();
        assert_eq!(
            c.workspace("primary").unwrap().profile.as_deref(),
            Some("primary")
        );
        assert_eq!(
            c.workspace("dr").unwrap().auth_spec().token_env.as_deref(),
            Some("DR_TOKEN")
        );
        assert!((c.client.rate_limit - 30.0).abs() < f64::EPSILON);
        assert_eq!(c.client.max_concurrency, 64);
        assert_eq!(c.client.command_deadline_seconds, 7200);
        assert_eq!(
            c.client.options(false).command_deadline,
            Some(Duration::from_secs(7200))
        );
        assert_eq!(
            c.resolve_path(Path::new("terraform/generated")),
            Path::new("/repo/terraform/generated")
        );
        let err = c.workspace("staging").unwrap_err().to_string();
        assert_eq!(err, "/repo/drsync.toml: no [workspaces.staging] entry");
    }

    #[test]
    fn check_section_defaults_and_validation() {
        let c = parse("").unwrap();
        assert_eq!(c.check, CheckSection::default());
        let c = parse(
            "[check]\nmax_sync_age = \"6h\"\nchanged = \"fail\"\ndata_freshness_command = \"echo 3h\"\nmax_data_age = \"30m\"\n",
        )
        .unwrap();
        assert_eq!(c.check.max_sync_age, Duration::from_secs(6 * 3600));
        assert_eq!(c.check.max_data_age, Duration::from_secs(30 * 60));
        assert_eq!(c.check.changed, Changed::Fail);
        assert_eq!(c.check.data_freshness_command.as_deref(), Some("echo 3h"));
        let err = parse("[check]\nmax_sync_age = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/repo/drsync.toml: `check.max_sync_age`: `soon`: expected a duration like \"24h\", \"90m\", \
             \"1h30m\" or a number of seconds"
        );
        let err = parse("[check]\nmax_data_age = \"\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/repo/drsync.toml: `check.max_data_age`: expected a duration like \"24h\", \"90m\" or a number of \
             seconds"
        );
        let err = parse("[check]\nchanged = \"ignore\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/repo/drsync.toml: `check.changed`: expected \"fail\" or \"warn\""
        );
        let err = parse("[check]\nmax_age = \"1h\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_age"), "{err}");
    }

    #[test]
    fn unknown_keys_name_the_key_and_file() {
        let err = parse("[workspaces.dr]\nhots = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/repo/drsync.toml: "), "{err}");
        assert!(err.contains("hots"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        let err = parse("[clinet]\nrate_limit = 1\n").unwrap_err().to_string();
        assert!(err.contains("clinet"), "{err}");
    }

    #[test]
    fn literal_secrets_are_refused_with_a_way_out() {
        let err = parse("[workspaces.dr]\nhost = \"https://x\"\ntoken = \"dapi123\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("workspaces.dr.token"), "{err}");
        assert!(err.contains("token_env"), "{err}");
        assert!(
            !err.contains("dapi123"),
            "the error must not repeat the token: {err}"
        );
        let err = parse("[workspaces.dr]\nclient_secret = \"s\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("client_secret_env"), "{err}");
        let err = parse("[workspaces.dr]\ntoken_env = \"dapi0123456789\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("NAME of an environment variable"), "{err}");
    }

    /// A host with user information (a password or token in the URL) is refused, and the error shows it
    /// redacted.
    #[test]
    fn host_with_credentials_is_refused_and_redacted() {
        for host in [
            "https://user:SECRET@dbc-1.cloud.databricks.com",
            "http://token:SECRET@127.0.0.1:8080",
            "user:SECRET@dbc-1.cloud.databricks.com",
            "https://SECRET@dbc-1.cloud.databricks.com",
            "https://us@er:SEC/RET@dbc-1.cloud.databricks.com",
        ] {
            let err = parse(&format!(
                "[workspaces.dr]\nhost = \"{host}\"\ntoken_env = \"DR_TOKEN\"\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(
                err.starts_with("/repo/drsync.toml: `workspaces.dr.host`: `"),
                "{err}"
            );
            assert!(err.contains("***@"), "redacted: {err}");
            assert!(err.contains("has credentials in it"), "{err}");
            assert!(!err.contains("SECRET"), "the secret is shown: {err}");
            assert!(!err.contains("SEC/RET"), "the secret is shown: {err}");
        }
        let err =
            parse("[workspaces.dr]\nhost = \"https://u:SECRET@dbc-1.cloud.databricks.com\"\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("`https://***@dbc-1.cloud.databricks.com` has credentials in it"),
            "{err}"
        );
    }

    #[test]
    fn export_section() {
        let c = parse("").unwrap();
        assert_eq!(c.export.dir, Path::new("terraform/generated"));
        assert_eq!(c.export.resources, ResourceKind::ALL.to_vec());
        let c = parse(
            "[export]\ndir = \"out\"\nresources = [\"jobs\", \"instance_pools\"]\ninclude = [\"prod-*\"]\nexclude = [\"*-tmp\"]\n",
        )
        .unwrap();
        assert_eq!(
            c.export.resources,
            vec![ResourceKind::Jobs, ResourceKind::InstancePools]
        );
        // `secret_scopes` brings the scopes' ACLs; those are never named on their own.
        let c = parse("[export]\nresources = [\"secret_scopes\", \"jobs\"]\n").unwrap();
        assert_eq!(
            c.export.resources,
            [
                ResourceKind::Jobs,
                ResourceKind::SecretScopes,
                ResourceKind::SecretAcls
            ]
        );
        assert!(parse("[export]\nresources = [\"secret_acls\"]\n").is_err());
        let c = parse(
            "[export]\ndir = \"out\"\nresources = [\"jobs\", \"instance_pools\"]\ninclude = [\"prod-*\"]\nexclude = [\"*-tmp\"]\n",
        )
        .unwrap();
        let f = c.export.name_filter().unwrap();
        assert!(f.matches("prod-etl"));
        assert!(!f.matches("prod-etl-tmp"));
        assert!(!f.matches("dev-etl"));
        assert!(f.matches("prod-a/b"), "names are not paths");
        let err = parse("[export]\ninclude = [\"prod-[\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("export.include") && err.contains("prod-["),
            "{err}"
        );
        let err = parse("[export]\nresources = [\"notebooks\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("notebooks"), "{err}");
        assert_eq!(
            parse("[export]\nresources = []\n").unwrap_err().to_string(),
            "/repo/drsync.toml: `export.resources`: nothing to export: name at least one of jobs, clusters, \
             instance_pools, cluster_policies, sql_warehouses, pipelines, secret_scopes, permissions"
        );
        assert!(parse("[export]\nexlcude = []\n")
            .unwrap_err()
            .to_string()
            .contains("exlcude"));
    }

    #[test]
    fn rewrite_errors_name_the_rule_and_file() {
        let err = parse("[rewrite]\n[[rewrite.field]]\npath = \"databricks_job..x\"\nvalue = 1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("/repo/drsync.toml: `rewrite.field[0].path`"),
            "{err}"
        );
        let err = parse("[rewrite]\nzone = \"auto\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("zone") && err.contains("/repo/drsync.toml"),
            "{err}"
        );
    }

    #[test]
    fn git_section() {
        let c =
            parse("[git]\nrepo = \"..\"\nbranch = \"dr\"\nauthor = \"DR Bot <dr@example.com>\"\n")
                .unwrap();
        assert_eq!(c.git.repo.as_deref(), Some(Path::new("/repo/..")));
        assert_eq!(c.git.branch.as_deref(), Some("dr"));
        let err = parse("[git]\nauthor = \"no email\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/repo/drsync.toml: `git.author`: invalid git author \"no email\": expected `Name <email>`"
        );
        let err = parse("[git]\nmessage = \"{nope}\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/repo/drsync.toml: `git.message`: invalid commit message template: unknown placeholder {nope} \
             (known: {summary}, {host}, {changed}, {added}, {removed}, {renamed}, {version})"
        );
        assert!(parse("[git]\nbrnach = \"x\"\n")
            .unwrap_err()
            .to_string()
            .contains("brnach"));
    }

    /// `[export] dir` that would hold the configuration file, a `.git` or the repository: refused, naming the key,
    /// the file and the reason; a folder of its own is fine.
    #[test]
    fn export_dir_that_holds_the_config_or_a_repository_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let cfg_dir = root.join("cfg");
        std::fs::create_dir_all(cfg_dir.join("sub")).unwrap();
        std::fs::create_dir_all(cfg_dir.join("checkout/.git")).unwrap();
        std::fs::create_dir_all(root.join("r/inner")).unwrap();
        std::os::unix::fs::symlink(&cfg_dir, root.join("link")).unwrap();
        let config = cfg_dir.join("drsync.toml");
        let load = |export: &str| {
            Config::parse(&format!("[export]\n{export}\n"), &config).map(|c| c.export.dir)
        };
        let holds_config = format!("holds the configuration file {}", config.display());
        let cases = [
            ("dir = \".\"", holds_config.as_str()),
            ("dir = \"./\"", holds_config.as_str()),
            ("dir = \"..\"", holds_config.as_str()),
            ("dir = \"sub/..\"", holds_config.as_str()),
            ("dir = \"../link\"", holds_config.as_str()),
            ("dir = \"/\"", holds_config.as_str()),
            (
                "dir = \"checkout\"",
                "is the root of a Git repository (it holds .git)",
            ),
            (
                "dir = \"checkout/.\"",
                "is the root of a Git repository (it holds .git)",
            ),
        ];
        for (export, reason) in cases {
            let err = load(export).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!(
                    "{}: `export.dir`: the export folder ",
                    config.display()
                )),
                "{export}: {err}"
            );
            assert!(err.contains(reason), "{export}: {err}");
            assert!(err.contains("use a folder of its own"), "{err}");
        }
        let abs = format!("dir = \"{}\"", cfg_dir.display());
        assert!(load(&abs).unwrap_err().to_string().contains(&holds_config));
        // `[git] repo` inside the export folder.
        let err = Config::parse(
            "[export]\ndir = \"../r\"\n[git]\nrepo = \"../r/inner\"\n",
            &config,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`export.dir`"), "{err}");
        assert!(
            err.contains("holds the Git repository") && err.contains("([git] repo)"),
            "{err}"
        );
        // Folders of their own, existing or not.
        for export in [
            "",
            "dir = \"out\"",
            "dir = \"sub\"",
            "dir = \"../r\"",
            "dir = \"checkout/terraform\"",
        ] {
            assert!(load(export).is_ok(), "{export}: {:?}", load(export));
        }
    }

    #[test]
    fn bad_client_values() {
        for (line, reason) in [
            ("max_concurrency = 0", "must be at least 1"),
            (
                "rate_limit = -1",
                "must be 0 (no limit) or at least 0.1 (requests per second), not -1",
            ),
            (
                "rate_limit = 0.05",
                "must be 0 (no limit) or at least 0.1 (requests per second), not 0.05",
            ),
            (
                "rate_limit = 1e-300",
                "must be 0 (no limit) or at least 0.1",
            ),
            ("rate_limit = nan", "must be 0 (no limit) or at least 0.1"),
            ("rate_limit = inf", "must be 0 (no limit) or at least 0.1"),
            (
                "request_timeout_seconds = 0",
                "must be at least 1: a request with no time at all always times out",
            ),
            (
                "deadline_seconds = 0",
                "must be at least 1: a call with no time at all always fails",
            ),
            (
                "max_attempts = 0",
                "must be at least 1: with no attempt, no request is ever sent",
            ),
            (
                "command_deadline_seconds = 0",
                "must be at least 1: a command with no time at all always fails",
            ),
        ] {
            let key = line.split(' ').next().unwrap();
            let err = parse(&format!("[client]\n{line}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("/repo/drsync.toml: `client.{key}`: {reason}")),
                "{line}: {err}"
            );
        }
        for ok in [
            "rate_limit = 0",
            "rate_limit = 0.1",
            "rate_limit = 30",
            "max_attempts = 1",
            "request_timeout_seconds = 1",
            "command_deadline_seconds = 1",
        ] {
            assert!(parse(&format!("[client]\n{ok}\n")).is_ok(), "{ok}");
        }
    }
}
