//! The `[rewrite]` section of drsync.toml, and its validation into [`Rules`]: every rule is checked before
//! anything is exported, and an invalid one is an error that names it.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `[rewrite]` as written in drsync.toml.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewriteSection {
    /// Every `aws_attributes.zone_id` becomes this (`auto` for Auto-AZ).
    pub zone_id: Option<String>,
    /// Every `gcp_attributes.zone_id` becomes this (`AUTO`, `HA` or a zone).
    pub gcp_zone_id: Option<String>,
    /// `literal`, `variable` or `off` (default).
    #[serde(default)]
    pub pause: PauseMode,
    /// With `pause = "literal"`: `min_idle_instances` of every pool in DR.
    pub pool_min_idle: Option<i64>,
    /// Literal substring replacements in every string value, applied in order.
    #[serde(default)]
    pub replace: Vec<Replace>,
    /// Exact mapping of node types (`node_type_id`, `driver_node_type_id`, pools').
    #[serde(default)]
    pub node_types: BTreeMap<String, String>,
    /// Exact mapping of `instance_profile_arn`, wherever it appears.
    #[serde(default)]
    pub instance_profiles: BTreeMap<String, String>,
    /// Exact mapping of workspace-specific ids drsync does not export (warehouses, pipelines, destinations).
    #[serde(default)]
    pub ids: BTreeMap<String, String>,
    /// Exact mapping of principals (user names, group names, service principals' application ids) that differ
    /// in DR: in grants, secret ACLs, `run_as` and single-user clusters.
    #[serde(default)]
    pub principals: BTreeMap<String, String>,
    /// Rules for single fields.
    #[serde(default)]
    pub field: Vec<FieldSpec>,
    /// DR values of the variables that `field` rules emit.
    #[serde(default)]
    pub variables: BTreeMap<String, toml::Value>,
}

/// What happens to schedules, triggers, continuous runs and idle pool instances in DR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PauseMode {
    /// Leave them as on the primary.
    #[default]
    Off,
    /// Every schedule, trigger and continuous block is `PAUSED`; pools idle at `pool_min_idle`.
    Literal,
    /// `var.dr_active ? <primary's value> : "PAUSED"`, and pools' idle instances likewise.
    Variable,
}

/// One `[[rewrite.replace]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replace {
    /// The text to find.
    pub from: String,
    /// What it becomes.
    pub to: String,
}

/// One `[[rewrite.field]]` as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// `TYPE.path.with.*` with quoted segments for keys that hold dots.
    pub path: String,
    /// A literal value for the field.
    pub value: Option<toml::Value>,
    /// Or: emit `var.NAME`, whose DR value comes from `[rewrite.variables]`.
    pub variable: Option<String>,
}

/// A segment of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A block, attribute or map key of that name.
    Name(String),
    /// Any block instance or any key.
    Any,
}

/// A parsed field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    /// `databricks_job`, `databricks_cluster`, ...
    pub resource_type: String,
    /// What follows the resource type.
    pub segments: Vec<Segment>,
}

/// What a field rule writes.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldAction {
    /// A literal: string, number or boolean.
    Literal(serde_json::Value),
    /// `var.NAME`, with its DR value.
    Variable {
        /// The variable's name.
        name: String,
        /// Its value in DR, for `dr.auto.tfvars`.
        dr_value: serde_json::Value,
    },
}

/// A validated field rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRule {
    /// The path as written, for reports.
    pub text: String,
    /// The parsed path.
    pub path: FieldPath,
    /// What it writes.
    pub action: FieldAction,
}

/// Validated rules, ready to apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// See [`RewriteSection::zone_id`].
    pub zone_id: Option<String>,
    /// See [`RewriteSection::gcp_zone_id`].
    pub gcp_zone_id: Option<String>,
    /// See [`RewriteSection::pause`].
    pub pause: PauseMode,
    /// See [`RewriteSection::pool_min_idle`].
    pub pool_min_idle: Option<i64>,
    /// See [`RewriteSection::replace`].
    pub replace: Vec<Replace>,
    /// See [`RewriteSection::node_types`].
    pub node_types: BTreeMap<String, String>,
    /// See [`RewriteSection::instance_profiles`].
    pub instance_profiles: BTreeMap<String, String>,
    /// See [`RewriteSection::ids`].
    pub ids: BTreeMap<String, String>,
    /// See [`RewriteSection::principals`].
    pub principals: BTreeMap<String, String>,
    /// Field rules.
    pub fields: Vec<FieldRule>,
}

/// An invalid rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{rule}`: {reason}")]
pub struct RuleError {
    /// The rule, as a drsync.toml key (`rewrite.field[2].path`).
    pub rule: String,
    /// What is wrong.
    pub reason: String,
}

/// The resource types rules may name.
const RESOURCE_TYPES: &[&str] = &[
    "databricks_job",
    "databricks_cluster",
    "databricks_instance_pool",
    "databricks_cluster_policy",
    "databricks_sql_endpoint",
    "databricks_pipeline",
];

/// The variable drsync declares for `pause = "variable"`.
pub const DR_ACTIVE: &str = "dr_active";

impl Rules {
    /// Check every rule; the first invalid one is the error.
    pub fn from_section(s: &RewriteSection) -> Result<Rules, RuleError> {
        let err = |rule: String, reason: &str| RuleError {
            rule,
            reason: reason.to_string(),
        };
        for (key, v) in [
            ("rewrite.zone_id", &s.zone_id),
            ("rewrite.gcp_zone_id", &s.gcp_zone_id),
        ] {
            if v.as_deref().is_some_and(|z| z.trim().is_empty()) {
                return Err(err(
                    key.into(),
                    "an empty zone; use \"auto\" (AWS) or \"AUTO\" (GCP)",
                ));
            }
        }
        if s.pool_min_idle.is_some() && s.pause != PauseMode::Literal {
            return Err(err(
                "rewrite.pool_min_idle".into(),
                "only applies with pause = \"literal\"",
            ));
        }
        if s.pool_min_idle.is_some_and(|n| n < 0) {
            return Err(err("rewrite.pool_min_idle".into(), "must be 0 or more"));
        }
        for (i, r) in s.replace.iter().enumerate() {
            if r.from.is_empty() {
                return Err(err(
                    format!("rewrite.replace[{i}].from"),
                    "an empty `from` would match everywhere",
                ));
            }
            // A `to` that contains any `from` could bring a replaced text back: refuse it, so that no `from`
            // can appear in the output.
            if let Some(other) = s.replace.iter().find(|o| r.to.contains(o.from.as_str())) {
                return Err(err(
                    format!("rewrite.replace[{i}].to"),
                    &format!(
                        "`{}` contains `{}`, the `from` of a replacement, which would then stay in the output; \
                         make `from` longer (e.g. with the trailing `/` of a bucket URL) so that `to` does not contain it",
                        r.to, other.from
                    ),
                ));
            }
        }
        for (table, map) in [
            ("rewrite.node_types", &s.node_types),
            ("rewrite.instance_profiles", &s.instance_profiles),
            ("rewrite.ids", &s.ids),
            ("rewrite.principals", &s.principals),
        ] {
            for (from, to) in map {
                if from.trim().is_empty() {
                    return Err(err(format!("{table}.\"{from}\""), "an empty key"));
                }
                if to.trim().is_empty() {
                    return Err(err(
                        format!("{table}.\"{from}\""),
                        "maps to an empty string",
                    ));
                }
            }
        }
        // A principal keeps its field (`user_name`, `group_name`, `service_principal_name`), so it must map to
        // a principal of the same kind.
        for (from, to) in &s.principals {
            let (a, b) = (principal_kind(from), principal_kind(to));
            if a != b {
                return Err(err(
                    format!("rewrite.principals.\"{from}\""),
                    &format!(
                        "maps a {a} to a {b}: a principal keeps its field in grants and ACLs, so map a user to a \
                         user (an e-mail), a group to a group, a service principal to a service principal (its \
                         application id)"
                    ),
                ));
            }
        }
        let mut fields = Vec::new();
        let mut used_variables = Vec::new();
        for (i, f) in s.field.iter().enumerate() {
            let key = format!("rewrite.field[{i}]");
            let path = parse_path(&f.path)
                .map_err(|reason| err(format!("{key}.path"), &reason.to_string()))?;
            let action = match (&f.value, &f.variable) {
                (Some(v), None) => FieldAction::Literal(scalar(v).ok_or_else(|| {
                    err(
                        format!("{key}.value"),
                        "must be a string, a number or a boolean",
                    )
                })?),
                (None, Some(name)) => {
                    if !crate::hcl::is_bare_key(name) || name.contains('-') || name == DR_ACTIVE {
                        return Err(err(
                            format!("{key}.variable"),
                            "must be a Terraform variable name ([a-z_][a-z0-9_]*, not dr_active)",
                        ));
                    }
                    let dr = s.variables.get(name).ok_or_else(|| {
                        err(
                            format!("{key}.variable"),
                            &format!(
                                "variable `{name}` has no DR value: add it to [rewrite.variables]"
                            ),
                        )
                    })?;
                    let dr_value = scalar(dr).ok_or_else(|| {
                        err(
                            format!("rewrite.variables.{name}"),
                            "must be a string, a number or a boolean",
                        )
                    })?;
                    if dr_value.as_str().is_some_and(|v| v.is_empty()) {
                        return Err(err(
                            format!("rewrite.variables.{name}"),
                            "is an empty string",
                        ));
                    }
                    used_variables.push(name.clone());
                    FieldAction::Variable {
                        name: name.clone(),
                        dr_value,
                    }
                }
                (Some(_), Some(_)) => {
                    return Err(err(key, "has both `value` and `variable`; keep one"))
                }
                (None, None) => return Err(err(key, "needs `value` or `variable`")),
            };
            fields.push(FieldRule {
                text: f.path.clone(),
                path,
                action,
            });
        }
        if let Some(unused) = s.variables.keys().find(|k| !used_variables.contains(k)) {
            return Err(err(
                format!("rewrite.variables.{unused}"),
                "no [[rewrite.field]] uses this variable (a typo in its name?)",
            ));
        }
        Ok(Rules {
            zone_id: s.zone_id.clone(),
            gcp_zone_id: s.gcp_zone_id.clone(),
            pause: s.pause,
            pool_min_idle: s.pool_min_idle,
            replace: s.replace.clone(),
            node_types: s.node_types.clone(),
            instance_profiles: s.instance_profiles.clone(),
            ids: s.ids.clone(),
            principals: s.principals.clone(),
            fields,
        })
    }

    /// Whether no rule is configured.
    pub fn is_empty(&self) -> bool {
        *self == Rules::default()
    }
}

/// What kind of principal a name is, as the export names principals: a service principal by its application
/// id (a UUID), a user by an e-mail, a group by anything else (provider-behaviour.md §6.1, §13).
fn principal_kind(name: &str) -> &'static str {
    let uuid = name.len() == 36
        && name.split('-').map(str::len).eq([8, 4, 4, 4, 12])
        && name.chars().all(|c| c == '-' || c.is_ascii_hexdigit());
    if uuid {
        "service principal"
    } else if name.contains('@') {
        "user"
    } else {
        "group"
    }
}

fn scalar(v: &toml::Value) -> Option<serde_json::Value> {
    match v {
        toml::Value::String(s) => Some(serde_json::Value::String(s.clone())),
        toml::Value::Integer(i) => Some((*i).into()),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map(serde_json::Value::Number),
        toml::Value::Boolean(b) => Some((*b).into()),
        _ => None,
    }
}

/// Parse `databricks_cluster.spark_conf."spark.hadoop.fs.s3a.endpoint"` or `databricks_job.task.*.new_cluster`.
pub fn parse_path(text: &str) -> Result<FieldPath, PathError> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let (segment, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').ok_or(PathError::UnclosedQuote)?;
            (Segment::Name(quoted[..end].to_string()), &quoted[end + 1..])
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            let name = &rest[..end];
            if name.is_empty() {
                return Err(PathError::EmptySegment);
            }
            if name == "*" {
                (Segment::Any, &rest[end..])
            } else if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                (Segment::Name(name.to_string()), &rest[end..])
            } else {
                return Err(PathError::NotAName(name.to_string()));
            }
        };
        segments.push(segment);
        if after.is_empty() {
            break;
        }
        rest = after.strip_prefix('.').ok_or(PathError::NoDot)?;
        if rest.is_empty() {
            return Err(PathError::DotAtEnd);
        }
    }
    let Segment::Name(resource_type) = segments.remove(0) else {
        return Err(PathError::StarFirst);
    };
    if !RESOURCE_TYPES.contains(&resource_type.as_str()) {
        return Err(PathError::NotExported(resource_type));
    }
    if segments.is_empty() {
        return Err(PathError::NoField);
    }
    Ok(FieldPath {
        resource_type,
        segments,
    })
}

/// Why a `[[rewrite.field]] path` cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// `"` with no closing `"`.
    #[error("a quoted segment has no closing quote")]
    UnclosedQuote,
    /// `a..b`, `.a` or `a.`.
    #[error("an empty segment (two dots, or a dot at an end)")]
    EmptySegment,
    /// A bare segment with characters a name does not hold.
    #[error("`{0}` is not a name; quote a key that holds other characters")]
    NotAName(String),
    /// Something other than a dot after a quoted segment.
    #[error("segments must be separated by dots")]
    NoDot,
    /// A dot after the last segment.
    #[error("a dot at the end")]
    DotAtEnd,
    /// `*` where the resource type goes.
    #[error("the path must start with a resource type, not `*`")]
    StarFirst,
    /// A first segment that is not one of the resource types rules apply to (`databricks_job`, ...).
    #[error("`{0}` is not a resource type drsync exports ({types})", types = RESOURCE_TYPES.join(", "))]
    NotExported(String),
    /// Only a resource type.
    #[error("the path names no field after the resource type")]
    NoField,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> RewriteSection {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn paths() {
        let p =
            parse_path("databricks_cluster.spark_conf.\"spark.hadoop.fs.s3a.endpoint\"").unwrap();
        assert_eq!(p.resource_type, "databricks_cluster");
        assert_eq!(
            p.segments,
            [
                Segment::Name("spark_conf".into()),
                Segment::Name("spark.hadoop.fs.s3a.endpoint".into())
            ]
        );
        let p =
            parse_path("databricks_job.task.*.new_cluster.aws_attributes.first_on_demand").unwrap();
        assert_eq!(p.segments[1], Segment::Any);
        for bad in [
            "",
            "databricks_job",
            "databricks_job.",
            "databricks_job..task",
            "databricks_jbo.task",
            "*.task",
            "databricks_job.spark_conf.\"open",
            "databricks_job.spark conf",
            "databricks_job.\"a\"b",
        ] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_rules_name_the_rule() {
        let e = |t: &str| Rules::from_section(&section(t)).unwrap_err();
        assert_eq!(
            e("[[field]]\npath = \"databricks_job.x..y\"\nvalue = 1\n").rule,
            "rewrite.field[0].path"
        );
        assert_eq!(
            e("[[field]]\npath = \"databricks_cluster.spark_conf.k\"\nvariable = \"endpoint\"\n")
                .rule,
            "rewrite.field[0].variable"
        );
        assert!(e(
            "[[field]]\npath = \"databricks_cluster.spark_conf.k\"\nvariable = \"endpoint\"\n"
        )
        .reason
        .contains("[rewrite.variables]"));
        assert_eq!(
            e("[node_types]\n\"i3.xlarge\" = \"\"\n").rule,
            "rewrite.node_types.\"i3.xlarge\""
        );
        assert_eq!(e("[ids]\n\"abc\" = \" \"\n").rule, "rewrite.ids.\"abc\"");
        assert_eq!(
            e("[[replace]]\nfrom = \"\"\nto = \"x\"\n").rule,
            "rewrite.replace[0].from"
        );
        assert_eq!(
            e("[[replace]]\nfrom = \"us-east-1\"\nto = \"us-west-2\"\n[[replace]]\nfrom = \"west\"\nto = \"east\"\n").rule,
            "rewrite.replace[0].to"
        );
        assert_eq!(e("pool_min_idle = 1\n").rule, "rewrite.pool_min_idle");
        assert_eq!(
            e("[variables]\nunused = \"x\"\n").rule,
            "rewrite.variables.unused"
        );
        assert_eq!(
            e("[[field]]\npath = \"databricks_job.name\"\n").rule,
            "rewrite.field[0]"
        );
        assert!(
            toml::from_str::<RewriteSection>("zone = \"auto\"\n").is_err(),
            "unknown keys are refused"
        );
        assert!(toml::from_str::<RewriteSection>("pause = \"sometimes\"\n").is_err());
    }

    #[test]
    fn valid_rules() {
        let r = Rules::from_section(&section(
            "zone_id = \"auto\"\npause = \"literal\"\npool_min_idle = 0\n\
             [[replace]]\nfrom = \"us-east-1\"\nto = \"us-west-2\"\n\
             [[field]]\npath = \"databricks_cluster.spark_conf.\\\"spark.hadoop.fs.s3a.endpoint\\\"\"\nvariable = \"s3_endpoint\"\n\
             [variables]\ns3_endpoint = \"https://s3.us-west-2.amazonaws.com\"\n",
        ))
        .unwrap();
        assert_eq!(r.pause, PauseMode::Literal);
        assert!(
            matches!(&r.fields[0].action, FieldAction::Variable { name, .. } if name == "s3_endpoint")
        );
        assert!(Rules::from_section(&RewriteSection::default())
            .unwrap()
            .is_empty());
    }
}
