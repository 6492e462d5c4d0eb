//! The one API-client factory of the CLI: a `[workspaces.NAME]` entry (or, without drsync.toml, the
//! Databricks CLI's defaults), the process environment and the flags make a [`WorkspaceClient`]. Builds only:
//! it sends no request.

use super::args::DeadlineArgs;
use super::{CliError, Global};
use drsync::api::{auth, WorkspaceClient};
use drsync::config::{ClientSection, Config};

/// A client and where its credentials came from.
pub(crate) struct Connected {
    pub(crate) client: WorkspaceClient,
    /// The host as resolved (before the client normalises it).
    pub(crate) host: String,
    /// e.g. "profile `dr` in /home/me/.databrickscfg" (never the secret itself).
    pub(crate) source: String,
}

/// Why no client could be made for a workspace. It reads as the error it wraps, whose causes are its causes:
/// the host is there for whoever reports the workspace.
#[derive(Debug)]
pub(crate) enum ClientError {
    /// drsync.toml has no such workspace.
    Config(drsync::config::Error),
    /// Its credentials could not be resolved.
    Auth {
        /// The host the entry names, if any.
        host: String,
        error: auth::AuthError,
    },
    /// The client could not be made (e.g. an invalid or insecure host).
    Client {
        /// The host resolved.
        host: String,
        error: drsync::api::Error,
    },
}

impl ClientError {
    fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        match self {
            ClientError::Config(e) => e,
            ClientError::Auth { error, .. } => error,
            ClientError::Client { error, .. } => error,
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.inner(), f)
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner().source()
    }
}

impl From<drsync::config::Error> for ClientError {
    fn from(e: drsync::config::Error) -> Self {
        ClientError::Config(e)
    }
}

impl ClientError {
    /// The workspace's host as far as it was known when it failed (empty when not at all).
    pub(crate) fn host(&self) -> &str {
        match self {
            ClientError::Config(_) => "",
            ClientError::Auth { host, .. } | ClientError::Client { host, .. } => host,
        }
    }
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Config(e) => e.into(),
            ClientError::Auth { error, .. } => error.into(),
            ClientError::Client { error, .. } => error.into(),
        }
    }
}

/// The client of workspace `name`: from `config`'s `[workspaces.NAME]` and `[client]`, or, without a
/// configuration, from the environment and `~/.databrickscfg` alone with default client settings.
pub(crate) fn connect(
    global: &Global,
    deadline: DeadlineArgs,
    config: Option<&Config>,
    name: &str,
) -> Result<Connected, ClientError> {
    let default_section = ClientSection::default();
    let (spec, configured_host, section) = match config {
        Some(config) => {
            let entry = config.workspace(name)?;
            (
                entry.auth_spec(),
                entry.host.clone().unwrap_or_default(),
                &config.client,
            )
        }
        None => (auth::AuthSpec::default(), String::new(), &default_section),
    };
    let resolved =
        auth::resolve(name, &spec, &super::environment()).map_err(|error| ClientError::Auth {
            host: configured_host,
            error,
        })?;
    let client = WorkspaceClient::new(
        name,
        &resolved.host,
        resolved.credentials,
        global.client_options(section, deadline),
    )
    .map_err(|error| ClientError::Client {
        host: resolved.host.clone(),
        error,
    })?;
    Ok(Connected {
        client,
        host: resolved.host,
        source: resolved.source,
    })
}
