//! Secret scopes and their ACLs (provider-behaviour.md §9, §10, §13): a scope is its `name` and, for an Azure
//! Key Vault scope, its `keyvault_metadata`; an ACL is its `scope`, `principal` and `permission`. Secret values
//! are no part of either: drsync never reads them.

use super::Normalized;
use crate::model::{ResourceKind, SecretAcl, SecretScope};
use serde_json::{json, Map, Value};

/// The provider's id of a secret ACL, `<scope>|||<principal>` (§10; `secrets/resource_secret_acl.go`), which
/// drsync uses as the ACL's id too.
pub fn secret_acl_id(scope: &str, principal: &str) -> String {
    format!("{scope}|||{principal}")
}

/// The name drsync gives an ACL: its scope's name and its principal, which together identify it in a
/// workspace (its label is made from it: the scope's label and the principal).
pub fn secret_acl_name(scope: &str, principal: &str) -> String {
    format!("{scope} {principal}")
}

/// A secret scope's canonical configuration. Only `name` and `keyvault_metadata` (`dns_name`, `resource_id`)
/// are written (§13 "Scopes"): `backend_type` is Optional+Computed and the provider sets it from the presence of
/// `keyvault_metadata` (§9.1), and `initial_manage_principal` is never read back, so writing it would replace the
/// scope (and drop its secrets) on the next plan (§9.3). A scope without a name is left out, as the provider's
/// exporter leaves it out (§9.4).
pub fn secret_scope(scope: &SecretScope) -> Normalized {
    let mut config = Map::new();
    config.insert("name".into(), json!(scope.name));
    if let Some(Value::Object(kv)) = scope.extra.get("keyvault_metadata") {
        let kept: Map<String, Value> = ["dns_name", "resource_id"]
            .iter()
            .filter_map(|k| kv.get(*k).map(|v| ((*k).to_string(), v.clone())))
            .collect();
        config.insert("keyvault_metadata".into(), Value::Object(kept));
    }
    let mut config = Value::Object(config);
    super::prune(&mut config);
    let mut n = Normalized::new(
        ResourceKind::SecretScopes,
        scope.name.clone(),
        scope.name.clone(),
        0,
        config,
    );
    if scope.name.is_empty() {
        n.excluded = Some("has no name, which the provider cannot create (§9.4)".to_string());
    }
    n
}

/// One ACL of `scope`, as the API lists it: `scope`, `principal` and `permission` exactly (§13 "ACLs": every
/// field is ForceNew, so any rewriting would replace it on every plan).
pub fn secret_acl(scope: &str, acl: &SecretAcl) -> Normalized {
    Normalized::new(
        ResourceKind::SecretAcls,
        secret_acl_id(scope, &acl.principal),
        secret_acl_name(scope, &acl.principal),
        0,
        json!({"scope": scope, "principal": acl.principal, "permission": acl.permission}),
    )
}

/// Whether an ACL is `identity`'s own `MANAGE`: what the service gives whoever creates a scope ("If
/// initial_manage_principal is not specified, the initial ACL with MANAGE permission applied to the scope is
/// assigned to the API request issuer's user identity", databricks-sdk-py `SecretsAPI.create_scope`). On the
/// primary it is the trace of the exporting identity having made the scope; in DR the identity that applies the
/// HCL gets the same when Terraform creates the scope. So the export leaves the exporting identity's own out (an
/// ACL for it would mean nothing in DR, where it may not exist, and the applier has its `MANAGE` anyway) and
/// drift does not report DR's identity's own as unmanaged; a `MANAGE` written in the HCL for the applier would
/// not fail (`acls/put` overwrites, §10), but would only restate what creation gives.
pub fn is_own_manage(kind: ResourceKind, id: &str, config: &Value, identity: &str) -> bool {
    kind == ResourceKind::SecretAcls
        && !identity.is_empty()
        && config.get("permission").and_then(Value::as_str) == Some("MANAGE")
        && id
            .split_once("|||")
            .is_some_and(|(_, principal)| principal.eq_ignore_ascii_case(identity))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(body: Value) -> SecretScope {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn a_scope_is_its_name_and_key_vault_only() {
        let n = secret_scope(&scope(json!({"name": "etl", "backend_type": "DATABRICKS"})));
        assert_eq!(n.config, json!({"name": "etl"}));
        assert_eq!((n.id.as_str(), n.name.as_str()), ("etl", "etl"));
        assert!(n.excluded.is_none());
        let kv = secret_scope(&scope(json!({
            "name": "akv", "backend_type": "AZURE_KEYVAULT",
            "keyvault_metadata": {"dns_name": "https://v.vault.azure.net/", "resource_id": "/subs/x", "tenant_id": "t"}
        })));
        assert_eq!(
            kv.config,
            json!({"name": "akv", "keyvault_metadata": {"dns_name": "https://v.vault.azure.net/", "resource_id": "/subs/x"}})
        );
        assert!(secret_scope(&scope(json!({"name": ""}))).excluded.is_some());
    }

    #[test]
    fn an_acl_is_kept_as_listed_with_the_providers_id() {
        let acl = SecretAcl {
            principal: "data-engineers".into(),
            permission: "READ".into(),
        };
        let n = secret_acl("etl", &acl);
        assert_eq!(n.id, "etl|||data-engineers");
        assert_eq!(n.name, "etl data-engineers");
        assert_eq!(
            n.config,
            json!({"scope": "etl", "principal": "data-engineers", "permission": "READ"})
        );
    }

    #[test]
    fn only_the_identitys_own_manage_is_its_own() {
        let manage = json!({"permission": "MANAGE"});
        let acls = ResourceKind::SecretAcls;
        assert!(is_own_manage(
            acls,
            "s|||Me@Example.com",
            &manage,
            "me@example.com"
        ));
        assert!(!is_own_manage(
            acls,
            "s|||me@example.com",
            &json!({"permission": "READ"}),
            "me@example.com"
        ));
        assert!(!is_own_manage(
            acls,
            "s|||other@example.com",
            &manage,
            "me@example.com"
        ));
        assert!(!is_own_manage(acls, "s|||", &manage, ""));
        assert!(!is_own_manage(
            ResourceKind::SecretScopes,
            "s|||me@example.com",
            &manage,
            "me@example.com"
        ));
    }
}
