//! SCIM identities (`/api/2.0/preview/scim/v2/{Users,Groups,ServicePrincipals}`): create, get and list with
//! `filter`, `attributes`/`excludedAttributes` and `startIndex`/`count` paging, in the shapes of
//! databricks-sdk-py `service/iam.py` (`User`, `Group`, `ServicePrincipal`, `ListUsersResponse`, ...) and SCIM
//! error bodies (`{"detail": ..., "status": ..., "schemas": [...]}`, databricks-api.md §3 (c)). `Me` stays in
//! `misc`. It answers from the workspace state and must not invent principals.

use super::error::ScimError;
use super::params::{JsonObject, Query};
use super::state::{PrincipalKind, Workspace};
use super::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

/// The SCIM routes.
pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for kind in [
        PrincipalKind::User,
        PrincipalKind::Group,
        PrincipalKind::ServicePrincipal,
    ] {
        let base = format!("/api/2.0/preview/scim/v2/{}", kind.resource());
        router = router
            .route(
                &base,
                get(move |s: State<AppState>, q: RawQuery| list(s, q, kind))
                    .post(move |s: State<AppState>, b: JsonObject| create(s, b, kind)),
            )
            .route(
                &format!("{base}/{{id}}"),
                get(move |s: State<AppState>, p: Path<String>, q: RawQuery| one(s, p, q, kind)),
            );
    }
    router
}

/// The SCIM list response schema (RFC 7644 §3.4.2).
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The most a page holds: the SDK asks for 10,000 when the caller gives no `count` (`UsersAPI.list`,
/// `query["count"] = 10000`), so that is what one page may be.
const MAX_COUNT: usize = 10_000;

impl PrincipalKind {
    /// The SCIM resource type in the path.
    pub(crate) fn resource(self) -> &'static str {
        match self {
            PrincipalKind::User => "Users",
            PrincipalKind::Group => "Groups",
            PrincipalKind::ServicePrincipal => "ServicePrincipals",
        }
    }

    /// The SCIM core schema of one resource (`UserSchema`, `GroupSchema`, `ServicePrincipalSchema` in
    /// `service/iam.py`).
    fn schema(self) -> &'static str {
        match self {
            PrincipalKind::User => "urn:ietf:params:scim:schemas:core:2.0:User",
            PrincipalKind::Group => "urn:ietf:params:scim:schemas:core:2.0:Group",
            PrincipalKind::ServicePrincipal => {
                "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
            }
        }
    }

    fn noun(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::Group => "Group",
            PrincipalKind::ServicePrincipal => "Service principal",
        }
    }
}

impl Workspace {
    /// Whether a principal of `kind` named `name` exists: a user by user name, a group by display name (the
    /// built-in `users` and `admins` groups always exist), a service principal by application id. What the
    /// secrets, permissions and jobs APIs check before they accept a principal.
    pub(crate) fn principal_exists(&self, kind: PrincipalKind, name: &str) -> bool {
        if kind == PrincipalKind::Group && matches!(name, "users" | "admins") {
            return true;
        }
        if kind == PrincipalKind::User && name.eq_ignore_ascii_case(&self.user_name()) {
            return true;
        }
        self.principals.find(kind, name).is_some()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Filters

/// One comparison of a SCIM filter (RFC 7644 §3.4.2.2): the operators the SDK docstring lists, "equals
/// (`eq`), contains (`co`), starts with (`sw`) and not equals (`ne`)", on a top-level attribute.
#[derive(Debug, Clone, PartialEq)]
struct Comparison {
    attribute: String,
    op: Op,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Co,
    Sw,
}

/// A filter: comparisons joined by `and`/`or` ("simple expressions can be formed using logical operators -
/// `and` and `or`... we currently only support simple expressions"): `or` of `and` groups, no parentheses.
#[derive(Debug, Clone, PartialEq)]
struct Filter(Vec<Vec<Comparison>>);

/// Split a filter into words, keeping a quoted string (with `\"` escapes) as one word.
fn words(text: &str) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some('\\') => s.extend(chars.next()),
                    Some('"') => break,
                    Some(ch) => s.push(ch),
                    None => return Err("unterminated string".to_string()),
                }
            }
            out.push((s, true));
        } else {
            let mut s = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                s.push(ch);
                chars.next();
            }
            out.push((s, false));
        }
    }
    Ok(out)
}

fn parse_filter(text: &str) -> Result<Filter, String> {
    let words = words(text)?;
    let mut groups = vec![Vec::new()];
    let mut i = 0;
    loop {
        let (Some((attribute, false)), Some((op, false)), Some((value, _))) =
            (words.get(i), words.get(i + 1), words.get(i + 2))
        else {
            return Err(format!("cannot parse filter `{text}`"));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            other => return Err(format!("unsupported operator `{other}`")),
        };
        groups
            .last_mut()
            .expect("one group at least")
            .push(Comparison {
                attribute: attribute.clone(),
                op,
                value: value.clone(),
            });
        i += 3;
        match words.get(i) {
            None => return Ok(Filter(groups)),
            Some((w, false)) if w.eq_ignore_ascii_case("and") => {}
            Some((w, false)) if w.eq_ignore_ascii_case("or") => groups.push(Vec::new()),
            Some((w, _)) => return Err(format!("unexpected `{w}`")),
        }
        i += 1;
    }
}

/// The string of a top-level attribute, its name matched ignoring case (SCIM attribute names are
/// case-insensitive, RFC 7643 §2.1).
fn attribute<'a>(resource: &'a Value, name: &str) -> Option<&'a str> {
    resource
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

impl Filter {
    /// Whether a resource matches. Values are compared ignoring case (`caseExact` is false for the names
    /// filtered on here, RFC 7643 §4.1.1, and the SDK's own examples filter user names by lowercase email).
    fn matches(&self, resource: &Value) -> bool {
        self.0.iter().any(|group| {
            group.iter().all(|c| {
                let have = attribute(resource, &c.attribute).map(str::to_lowercase);
                let want = c.value.to_lowercase();
                match (c.op, have) {
                    (Op::Eq, Some(h)) => h == want,
                    (Op::Ne, h) => h.as_deref() != Some(want.as_str()),
                    (Op::Co, Some(h)) => h.contains(&want),
                    (Op::Sw, Some(h)) => h.starts_with(&want),
                    (_, None) => false,
                }
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------------------
// Handlers

/// SCIM `attributes` (keep only these, plus `id` and `schemas`) and `excludedAttributes` (drop these).
fn project(mut body: Value, q: &Query) -> Value {
    let list = |key: &str| -> Vec<String> {
        q.get(key)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let keep = list("attributes");
    let drop = list("excludedAttributes");
    if let Some(obj) = body.as_object_mut() {
        obj.retain(|k, _| {
            let k = k.to_ascii_lowercase();
            let always = k == "id" || k == "schemas";
            (keep.is_empty() || always || keep.contains(&k)) && (always || !drop.contains(&k))
        });
    }
    body
}

/// A positive integer query parameter, or the SCIM 400 for anything else.
fn positive(q: &Query, key: &str) -> Result<Option<usize>, ScimError> {
    q.get(key)
        .map(|v| {
            v.parse::<usize>().map_err(|_| {
                ScimError::new(
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    format!("{key} must be a non-negative integer, got {v}"),
                )
            })
        })
        .transpose()
}

/// The list: filtered, in `id` order, the page `startIndex` (1-based, RFC 7644 §3.4.2.4; below 1 counts as 1)
/// and `count` (at most [`MAX_COUNT`]) ask for, with `totalResults`, `startIndex` and `itemsPerPage`;
/// `Resources` is left out of an empty page (`ListUsersResponse.as_dict` omits an empty list).
async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    kind: PrincipalKind,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let filter = match q.get("filter").map(parse_filter).transpose() {
        Ok(f) => f,
        Err(reason) => {
            return ScimError::new(StatusCode::BAD_REQUEST, Some("invalidFilter"), reason)
                .into_response()
        }
    };
    let (start, count) = match (positive(&q, "startIndex"), positive(&q, "count")) {
        (Ok(s), Ok(c)) => (s.unwrap_or(1).max(1), c.unwrap_or(MAX_COUNT).min(MAX_COUNT)),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let ws = state.workspace();
    let matched: Vec<&Value> = ws
        .principals
        .of(kind)
        .values()
        .filter(|p| filter.as_ref().is_none_or(|f| f.matches(p)))
        .collect();
    let page: Vec<Value> = matched
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|p| project((*p).clone(), &q))
        .collect();
    let mut body = json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": matched.len(),
        "startIndex": start,
        "itemsPerPage": page.len(),
    });
    if !page.is_empty() {
        body["Resources"] = Value::Array(page);
    }
    Json(body).into_response()
}

fn not_found(kind: PrincipalKind, id: &str) -> ScimError {
    ScimError::new(
        StatusCode::NOT_FOUND,
        None,
        format!("{} with id {id} not found.", kind.noun()),
    )
}

/// One principal by SCIM id.
async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    kind: PrincipalKind,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let ws = state.workspace();
    match ws.principals.of(kind).get(&id) {
        Some(p) => Json(project(p.clone(), &q)).into_response(),
        None => not_found(kind, &id).into_response(),
    }
}

/// Create: the name attribute is required for users (`userName`) and groups (`displayName`) and unique (409
/// `uniqueness`, RFC 7644 §3.3); a service principal without `applicationId` is given a new one (a UUID, as
/// the service makes them for Databricks-managed service principals). The server sets `id` and `schemas` and
/// keeps the rest as sent; `active` defaults to true for users and service principals.
async fn create(State(state): State<AppState>, body: JsonObject, kind: PrincipalKind) -> Response {
    match create_in(&mut state.workspace(), body.0, kind) {
        Ok(created) => (StatusCode::CREATED, Json(created)).into_response(),
        Err(e) => e.into_response(),
    }
}

fn create_in(
    ws: &mut Workspace,
    mut body: Map<String, Value>,
    kind: PrincipalKind,
) -> Result<Value, ScimError> {
    let attr = kind.name_attribute();
    if kind == PrincipalKind::ServicePrincipal && !body.contains_key(attr) {
        let uuid = uuid_v4(ws);
        body.insert(attr.into(), json!(uuid));
    }
    let name = match body.get(attr) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("Request is missing the required attribute {attr}"),
            ))
        }
    };
    if ws.principals.find(kind, &name).is_some() {
        return Err(ScimError::new(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!("{} with {attr} {name} already exists.", kind.noun()),
        ));
    }
    let id = loop {
        let id = ws.random_i64().rem_euclid(900_000_000_000_000) + 100_000_000_000_000;
        let id = id.to_string();
        if !ws.principals.of(kind).contains_key(&id) {
            break id;
        }
    };
    body.insert("id".into(), json!(id));
    body.insert("schemas".into(), json!([kind.schema()]));
    if kind != PrincipalKind::Group {
        body.entry("active").or_insert(json!(true));
    }
    if kind == PrincipalKind::User {
        body.entry("displayName").or_insert(json!(name));
    }
    if kind == PrincipalKind::ServicePrincipal {
        body.entry("displayName").or_insert(json!(name));
    }
    let created = Value::Object(body);
    ws.principals.of_mut(kind).insert(id, created.clone());
    Ok(created)
}

/// A random version-4 UUID, lowercase, from the workspace's seeded generator.
fn uuid_v4(ws: &mut Workspace) -> String {
    let a = ws.random_i64().unsigned_abs();
    let b = ws.random_i64().unsigned_abs();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        8 + (b >> 62 & 0x3),
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Cloud;
    use crate::Fixtures;

    #[test]
    fn filters_parse_and_match() {
        let f = parse_filter(r#"userName eq "Alice@Example.com""#).unwrap();
        assert!(f.matches(&json!({"userName": "alice@example.com"})));
        assert!(!f.matches(&json!({"userName": "bob@example.com"})));
        let f =
            parse_filter(r#"displayName sw "data" and displayName co "eng" or displayName eq "x""#)
                .unwrap();
        assert_eq!(f.0.len(), 2);
        assert!(f.matches(&json!({"displayName": "data-engineers"})));
        assert!(!f.matches(&json!({"displayName": "data-analysts"})));
        assert!(f.matches(&json!({"displayName": "x"})));
        let f = parse_filter(r#"applicationId ne "a b\"c""#).unwrap();
        assert_eq!(f.0[0][0].value, "a b\"c");
        assert!(f.matches(&json!({"applicationId": "d"})));
        assert!(parse_filter("userName gt 3").is_err());
        assert!(parse_filter("userName eq").is_err());
        assert!(parse_filter(r#"userName eq "x"#).is_err());
        assert!(parse_filter(r#"userName eq "x" nor a eq "b""#).is_err());
    }

    #[test]
    fn principals_are_found_by_their_acl_names() {
        let mut ws = Workspace::new(Cloud::Aws, Fixtures::default(), 3);
        let user = create_in(
            &mut ws,
            json!({"userName": "Ann@Example.com"})
                .as_object()
                .unwrap()
                .clone(),
            PrincipalKind::User,
        )
        .unwrap();
        assert_eq!(user["active"], true);
        assert_eq!(user["schemas"][0], PrincipalKind::User.schema());
        assert!(ws.principal_exists(PrincipalKind::User, "ann@example.com"));
        assert!(!ws.principal_exists(PrincipalKind::Group, "Ann@Example.com"));
        let sp = create_in(&mut ws, Map::new(), PrincipalKind::ServicePrincipal).unwrap();
        let app = sp["applicationId"].as_str().unwrap();
        assert_eq!(app.len(), 36, "{app}");
        assert_eq!(&app[14..15], "4");
        assert!(ws.principal_exists(PrincipalKind::ServicePrincipal, app));
        let dup = create_in(
            &mut ws,
            json!({"userName": "ann@example.com"})
                .as_object()
                .unwrap()
                .clone(),
            PrincipalKind::User,
        )
        .unwrap_err();
        assert_eq!(dup.status, StatusCode::CONFLICT);
        assert!(create_in(&mut ws, Map::new(), PrincipalKind::Group).is_err());
        // The built-in groups and the caller always exist.
        assert!(ws.principal_exists(PrincipalKind::Group, "users"));
        assert!(ws.principal_exists(PrincipalKind::User, "emulator@example.com"));
    }
}
