//! Is the host a Databricks workspace, and which one? Before an answer is trusted (an empty listing above all:
//! exported over the Git history it would delete the DR site), the host must show that it is a workspace:
//!
//! - SCIM `Me` (`GET /api/2.0/preview/scim/v2/Me`) answers with an identity: a `userName` or an `id`
//!   (databricks-api.md §1.5). A body without either is not a workspace's answer.
//! - The workspace id: the `X-Databricks-Org-Id` header of that same response, as the Go SDK's
//!   `WorkspaceClient.CurrentWorkspaceID` reads it (databricks-sdk-go `workspace_functions.go`: "The ID is
//!   fetched from the X-Databricks-Org-Id response header on /api/2.0/preview/scim/v2/Me", parsed as an int64).
//!   Where a proxy dropped the header, the `workspace_id` of the host metadata document
//!   (`GET /.well-known/databricks-config`, databricks-sdk-go `config/host_metadata.go`) stands in. A host that
//!   names no workspace id either way is not a workspace.
//!
//! Which workspace is the configured one is for the callers to decide (the export's label file records it).

use super::{Error, WorkspaceClient};
use crate::model::CurrentUser;
use serde_json::Value;

/// SCIM `Me`: the identity behind the credentials.
pub const ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";
/// The response header that carries the workspace id (databricks-sdk-go `workspace_functions.go`).
pub const ORG_ID_HEADER: &str = "x-databricks-org-id";
/// The host metadata document (databricks-sdk-go `config/host_metadata.go`).
pub const HOST_METADATA_PATH: &str = "/.well-known/databricks-config";

/// Who the credentials are, in which workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The SCIM `Me` body.
    pub user: CurrentUser,
    /// The workspace id (digits), from `X-Databricks-Org-Id` or the host metadata.
    pub workspace_id: String,
}

/// Why a host's identity could not be confirmed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The request failed (unreachable, refused credentials, ...).
    #[error(transparent)]
    Api(#[from] Error),
    /// SCIM `Me` answered, but with no identity in it.
    #[error("{workspace}: {host} is not a Databricks workspace: GET {ME_PATH} answered without an identity ({found})")]
    NoIdentity {
        /// The workspace's name in drsync.toml.
        workspace: String,
        /// The host.
        host: String,
        /// What the body was instead.
        found: String,
    },
    /// SCIM `Me` answered with an identity, but nothing names the workspace.
    #[error(
        "{workspace}: {host} is not a Databricks workspace: it names no workspace id ({reason})"
    )]
    NoWorkspaceId {
        /// The workspace's name in drsync.toml.
        workspace: String,
        /// The host.
        host: String,
        /// What was looked at.
        reason: String,
    },
}

impl IdentityError {
    /// Whether the host answered, but not as a workspace does (as opposed to a request that failed).
    pub fn is_not_a_workspace(&self) -> bool {
        !matches!(self, IdentityError::Api(_))
    }

    /// What to do about it, for people.
    pub fn hint(&self) -> &'static str {
        match self {
            IdentityError::Api(_) => "check the host and the credentials",
            _ => {
                "the host must be a workspace URL (https://<workspace>.cloud.databricks.com, \
                 https://adb-<id>.<n>.azuredatabricks.net), not a proxy, an account console or another service; \
                 nothing was read from it"
            }
        }
    }
}

/// Where a primary workspace id came from, as [`DrIsPrimary`] says it.
pub const PRIMARY_AS_RECORDED: &str = "primary's, as the export recorded it in drsync-labels.json";
/// See [`PRIMARY_AS_RECORDED`].
pub const PRIMARY_AS_LIVE: &str = "primary's, as the primary workspace answers";

/// The DR workspace is the primary: its workspace id is the primary's. Drift and check refuse to judge it (a
/// "DR" that is the primary would look in sync, and a failover to it would fail over to the failed site).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the DR workspace {dr_host} is the primary workspace: workspace id {workspace_id} is the {what}")]
pub struct DrIsPrimary {
    /// DR's host.
    pub dr_host: String,
    /// The shared workspace id.
    pub workspace_id: String,
    /// Where the primary's id comes from ([`PRIMARY_AS_RECORDED`], [`PRIMARY_AS_LIVE`]).
    pub what: String,
}

impl DrIsPrimary {
    /// What to do about it, for people.
    pub const HINT: &'static str =
        "[workspaces.dr] must name the DR workspace; check its host and the profile or \
                                    DATABRICKS_HOST it comes from";

    /// Refuse `dr` when its workspace id is one of the `primary` ids (each with where it came from: absent ids
    /// are skipped).
    pub fn refuse(
        dr: &Identity,
        dr_host: &str,
        primary: &[(Option<&str>, &str)],
    ) -> Result<(), DrIsPrimary> {
        match primary
            .iter()
            .find(|(id, _)| *id == Some(dr.workspace_id.as_str()))
        {
            Some((_, what)) => Err(DrIsPrimary {
                dr_host: dr_host.to_string(),
                workspace_id: dr.workspace_id.clone(),
                what: (*what).to_string(),
            }),
            None => Ok(()),
        }
    }
}

/// What a SCIM body holds, when it holds no identity: for the error.
fn describe(body: &Value) -> String {
    match body {
        Value::Object(m) if m.is_empty() => "an empty object".to_string(),
        Value::Object(_) => "no userName and no id".to_string(),
        Value::Array(_) => "an array".to_string(),
        Value::String(_) => "a string".to_string(),
        Value::Number(_) => "a number".to_string(),
        Value::Bool(_) => "a boolean".to_string(),
        Value::Null => "null".to_string(),
    }
}

/// A workspace id as the SDK reads it: an int64, written in digits.
fn valid_id(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t.parse::<i64>().is_ok_and(|n| n > 0)).then(|| t.to_string())
}

impl WorkspaceClient {
    /// Confirm that the host is a Databricks workspace and tell which one: SCIM `Me` with an identity, and a
    /// workspace id (see the module documentation).
    pub async fn identify(&self) -> Result<Identity, IdentityError> {
        let (body, headers) = self.get_with_headers(ME_PATH).await?;
        let user: Option<CurrentUser> = match &body {
            Value::Object(_) => serde_json::from_value(body.clone()).ok(),
            _ => None,
        };
        let user = match user {
            Some(u) if !u.user_name.trim().is_empty() || !u.id.trim().is_empty() => u,
            _ => {
                return Err(IdentityError::NoIdentity {
                    workspace: self.name().to_string(),
                    host: self.host().to_string(),
                    found: describe(&body),
                })
            }
        };
        let _ = self.inner.me.set(user.clone());
        let header = headers
            .get(ORG_ID_HEADER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if let Some(id) = header.as_deref().and_then(valid_id) {
            return Ok(Identity {
                user,
                workspace_id: id,
            });
        }
        // No usable header (a proxy may drop it): the host metadata document.
        let metadata = self.get(HOST_METADATA_PATH, &[]).await;
        let from_metadata = match &metadata {
            Ok(doc) => doc
                .get("workspace_id")
                .and_then(|v| match v {
                    Value::String(s) => valid_id(s),
                    Value::Number(n) => valid_id(&n.to_string()),
                    _ => None,
                })
                .ok_or_else(|| "no workspace_id in it".to_string()),
            Err(e) => Err(e.to_string()),
        };
        match from_metadata {
            Ok(id) => Ok(Identity {
                user,
                workspace_id: id,
            }),
            Err(why) => Err(IdentityError::NoWorkspaceId {
                workspace: self.name().to_string(),
                host: self.host().to_string(),
                reason: format!(
                    "GET {ME_PATH}: {}; GET {HOST_METADATA_PATH}: {why}",
                    match header {
                        None => "no X-Databricks-Org-Id header".to_string(),
                        Some(h) => format!("X-Databricks-Org-Id {h:?} is not a workspace id"),
                    }
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_ids_are_positive_integers() {
        assert_eq!(
            valid_id(" 1234567890123456 ").as_deref(),
            Some("1234567890123456")
        );
        for bad in ["", "abc", "-1", "0", "12a", "99999999999999999999"] {
            assert_eq!(valid_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn bodies_without_identity_are_described() {
        assert_eq!(describe(&serde_json::json!({})), "an empty object");
        assert_eq!(
            describe(&serde_json::json!({"x": 1})),
            "no userName and no id"
        );
        assert_eq!(describe(&serde_json::json!([])), "an array");
    }
}
