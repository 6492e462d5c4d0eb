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

/// Why no client could be made for a workspace: it reads as the error it wraps.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    /// drsync.toml has no such workspace.
    #[error(transparent)]
    Config(#[from] drsync::config::Error),
    /// Its credentials could not be resolved.
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
    /// The client could not be made (e.g. an invalid or insecure host).
    #[error(transparent)]
    Client(#[from] drsync::api::Error),
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Config(e) => e.into(),
            ClientError::Auth(e) => e.into(),
            ClientError::Client(e) => e.into(),
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
    let (spec, section) = match config {
        Some(config) => (config.workspace(name)?.auth_spec(), &config.client),
        None => (auth::AuthSpec::default(), &default_section),
    };
    let resolved = auth::resolve(name, &spec, &super::environment())?;
    let client = WorkspaceClient::new(
        name,
        &resolved.host,
        resolved.credentials,
        global.client_options(section, deadline),
    )?;
    Ok(Connected {
        client,
        host: resolved.host,
        source: resolved.source,
    })
}
