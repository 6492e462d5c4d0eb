//! Export commit messages: a first line that counts the changes per resource type and names the source
//! workspace, one line per added, changed, removed or renamed resource, and trailers (`Source-Workspace`,
//! `Drsync-Version`). Pure text building: no I/O, and nothing but what the caller passes (no secrets).

use super::Error;
use std::collections::BTreeMap;

/// The first line's target length, as `git log --oneline` and pull request titles like it.
const SUBJECT_MAX: usize = 72;

/// The placeholders a `[git] message` template may use, each written `{name}`; `{{` and `}}` are literal braces.
///
/// - `{summary}`: the counts, e.g. `3 jobs changed, 1 added; 1 cluster removed`
/// - `{host}`: the source workspace's host, e.g. `dbc-primary.cloud.databricks.com`
/// - `{changed}`, `{added}`, `{removed}`, `{renamed}`: how many resources changed, were added, were removed,
///   were renamed
/// - `{version}`: drsync's version
pub const PLACEHOLDERS: &[&str] = &[
    "summary", "host", "changed", "added", "removed", "renamed", "version",
];

/// What an export changed, for its commit message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary<'a> {
    /// The source (primary) workspace's host or URL; a scheme and trailing `/` are dropped.
    pub host: &'a str,
    /// Addresses (`TYPE.LABEL`) of resources that are new.
    pub added: &'a [String],
    /// Addresses of resources whose configuration changed.
    pub changed: &'a [String],
    /// Addresses of resources no longer exported.
    pub removed: &'a [String],
    /// Resources at a new address because their object was renamed (Terraform moves them).
    pub renamed: &'a [Renamed<'a>],
}

/// A resource renamed: `> FROM -> TO` in the message, with ` (changed)` when more than its name changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renamed<'a> {
    /// The address before (`TYPE.OLD`).
    pub from: &'a str,
    /// The address now (`TYPE.NEW`).
    pub to: &'a str,
    /// Whether more than the name changed.
    pub changed: bool,
}

/// The commit message for an export.
///
/// ```text
/// drsync: 3 jobs changed, 1 added, 1 removed, 1 renamed (primary dbc-primary.cloud.databricks.com)
///
/// ~ databricks_job.a
/// ~ databricks_job.b
/// ~ databricks_job.c
/// + databricks_job.d
/// - databricks_job.e
/// > databricks_job.f -> databricks_job.g
///
/// Source-Workspace: dbc-primary.cloud.databricks.com
/// Drsync-Version: 0.1.0
/// ```
///
/// The first line counts changes per resource type (types joined by `; `); when that is longer than 72
/// characters it counts all types together, and then shortens the host. With no resource changes (only other
/// files changed) it says `export files updated`. A `template` (from `[git] message`, see [`PLACEHOLDERS`])
/// replaces the first line as it is, without shortening; the resource lines and the trailers always follow.
pub fn message(summary: &Summary<'_>, template: Option<&str>) -> Result<String, Error> {
    let host = clean_host(summary.host);
    let sorted = |list: &[String]| {
        let mut v: Vec<String> = list.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let (changed, added, removed) = (
        sorted(summary.changed),
        sorted(summary.added),
        sorted(summary.removed),
    );
    let mut renamed: Vec<Renamed<'_>> = summary.renamed.to_vec();
    renamed.sort_by(|a, b| (a.to, a.from).cmp(&(b.to, b.from)));
    renamed.dedup();
    // Counted by their new address.
    let renamed_to: Vec<String> = renamed.iter().map(|r| r.to.to_string()).collect();
    let lists = Lists {
        changed: &changed,
        added: &added,
        removed: &removed,
        renamed: &renamed_to,
    };
    let subject = match template {
        Some(t) => {
            let counts = per_type(&lists);
            render(t, &|name| match name {
                "summary" => Some(counts.clone()),
                "host" => Some(host.clone()),
                "changed" => Some(changed.len().to_string()),
                "added" => Some(added.len().to_string()),
                "removed" => Some(removed.len().to_string()),
                "renamed" => Some(renamed.len().to_string()),
                "version" => Some(env!("CARGO_PKG_VERSION").to_string()),
                _ => None,
            })?
            .trim()
            .to_string()
        }
        None => subject(&lists, &host),
    };
    let mut out = subject;
    out.push_str("\n\n");
    let mut any = false;
    for (mark, list) in [("~", &changed), ("+", &added), ("-", &removed)] {
        for address in list {
            out.push_str(&format!("{mark} {address}\n"));
            any = true;
        }
    }
    for r in &renamed {
        let also = if r.changed { " (changed)" } else { "" };
        out.push_str(&format!("> {} -> {}{also}\n", r.from, r.to));
        any = true;
    }
    if any {
        out.push('\n');
    }
    if !host.is_empty() {
        out.push_str(&format!("Source-Workspace: {host}\n"));
    }
    out.push_str(&format!("Drsync-Version: {}\n", env!("CARGO_PKG_VERSION")));
    Ok(out)
}

/// Check a `[git] message` template: only known [`PLACEHOLDERS`] and balanced braces.
pub fn validate_template(template: &str) -> Result<(), Error> {
    render(template, &|name| {
        PLACEHOLDERS.contains(&name).then(String::new)
    })
    .map(|_| ())
}

fn render(template: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String, Error> {
    let bad = |reason: String| Error::Template { reason };
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => {
                            return Err(bad("a `{` is not closed (write `{{` for a brace)".into()))
                        }
                    }
                }
                match value(&name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        return Err(bad(format!(
                            "unknown placeholder {{{name}}} (known: {})",
                            PLACEHOLDERS
                                .iter()
                                .map(|p| format!("{{{p}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )))
                    }
                }
            }
            '}' => return Err(bad("a `}` is not opened (write `}}` for a brace)".into())),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The addresses an export changed, by kind of change.
struct Lists<'a> {
    changed: &'a [String],
    added: &'a [String],
    removed: &'a [String],
    /// New addresses of renamed resources.
    renamed: &'a [String],
}

impl Lists<'_> {
    fn all(&self) -> [&[String]; 4] {
        [self.changed, self.added, self.removed, self.renamed]
    }
}

fn subject(lists: &Lists<'_>, host: &str) -> String {
    if lists.all().iter().all(|l| l.is_empty()) {
        return fit("drsync: export files updated", host);
    }
    let detailed = format!("drsync: {}", per_type(lists));
    if detailed.len() + host_part(host).len() <= SUBJECT_MAX {
        return format!("{detailed}{}", host_part(host));
    }
    let counts = counts("resource", lists.all().map(<[String]>::len));
    let total = format!("drsync: {counts}");
    if total.len() < detailed.len() {
        fit(&total, host)
    } else {
        fit(&detailed, host)
    }
}

/// `head (primary HOST)`, with the host shortened (`…`) to keep within the limit where that leaves some of it.
fn fit(head: &str, host: &str) -> String {
    let full = format!("{head}{}", host_part(host));
    if full.chars().count() <= SUBJECT_MAX || host.is_empty() {
        return full;
    }
    let room = SUBJECT_MAX.saturating_sub(head.chars().count() + " (primary …)".chars().count());
    if room < 8 {
        // Too little would be left of the host to recognise it: keep it whole.
        return full;
    }
    let short: String = host.chars().take(room).collect();
    format!("{head} (primary {}…)", short.trim_end_matches(['.', '-']))
}

fn host_part(host: &str) -> String {
    if host.is_empty() {
        String::new()
    } else {
        format!(" (primary {host})")
    }
}

/// `3 jobs changed, 1 added; 1 cluster removed`: per resource type, in type order.
fn per_type(lists: &Lists<'_>) -> String {
    let mut by_type: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for (i, list) in lists.all().into_iter().enumerate() {
        for address in list {
            let ty = address.split_once('.').map_or(address.as_str(), |(t, _)| t);
            by_type.entry(ty).or_default()[i] += 1;
        }
    }
    by_type
        .iter()
        .map(|(ty, n)| counts(&noun(ty), *n))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `3 jobs changed, 1 added, 1 removed, 1 renamed` from the counts in that order: the noun goes with the first
/// count.
fn counts(noun: &str, [changed, added, removed, renamed]: [usize; 4]) -> String {
    let parts: Vec<(usize, &str)> = [
        (changed, "changed"),
        (added, "added"),
        (removed, "removed"),
        (renamed, "renamed"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, (n, what))| {
            if i == 0 {
                format!("{n} {} {what}", plural(noun, *n))
            } else {
                format!("{n} {what}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `databricks_cluster_policy` → `cluster policy`.
fn noun(resource_type: &str) -> String {
    resource_type
        .strip_prefix("databricks_")
        .unwrap_or(resource_type)
        .replace('_', " ")
}

fn plural(noun: &str, n: usize) -> String {
    if n == 1 {
        noun.to_string()
    } else if let Some(stem) = noun.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{noun}s")
    }
}

/// The host alone: no scheme, no credentials, no trailing `/`.
fn clean_host(host: &str) -> String {
    let host = host.trim();
    let host = host.split_once("://").map_or(host, |(_, rest)| rest);
    let host = host.rsplit_once('@').map_or(host, |(_, rest)| rest);
    host.trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn full_message() {
        let changed = strings(&["databricks_job.c", "databricks_job.a", "databricks_job.b"]);
        let added = strings(&["databricks_job.d"]);
        let removed = strings(&["databricks_job.e"]);
        let msg = message(
            &Summary {
                host: "https://dbc-primary.cloud.databricks.com/",
                added: &added,
                changed: &changed,
                removed: &removed,
                renamed: &[],
            },
            None,
        )
        .unwrap();
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            msg,
            format!(
                "drsync: 3 jobs changed, 1 added, 1 removed (primary dbc-primary.cloud…)\n\
                 \n\
                 ~ databricks_job.a\n\
                 ~ databricks_job.b\n\
                 ~ databricks_job.c\n\
                 + databricks_job.d\n\
                 - databricks_job.e\n\
                 \n\
                 Source-Workspace: dbc-primary.cloud.databricks.com\n\
                 Drsync-Version: {version}\n"
            )
        );
        let trailers = git2::message_trailers_strs(&msg).unwrap();
        let got: Vec<(&str, &str)> = trailers.iter().collect();
        assert_eq!(
            got,
            vec![
                ("Source-Workspace", "dbc-primary.cloud.databricks.com"),
                ("Drsync-Version", version)
            ]
        );
    }

    #[test]
    fn subject_counts_per_type_and_fits() {
        let s = |c: &[&str], a: &[&str], r: &[&str], host: &str| {
            let (c, a, r) = (strings(c), strings(a), strings(r));
            subject(
                &Lists {
                    changed: &c,
                    added: &a,
                    removed: &r,
                    renamed: &[],
                },
                host,
            )
        };
        assert_eq!(
            s(
                &["databricks_job.a"],
                &[],
                &["databricks_cluster_policy.p", "databricks_cluster_policy.q"],
                "h"
            ),
            "drsync: 2 cluster policies removed; 1 job changed (primary h)"
        );
        assert_eq!(
            s(&[], &["databricks_cluster.x"], &[], "h"),
            "drsync: 1 cluster added (primary h)"
        );
        assert_eq!(
            s(&[], &[], &[], "h"),
            "drsync: export files updated (primary h)"
        );
        // Many types: counted together.
        let long = s(
            &["databricks_job.a", "databricks_cluster.b"],
            &["databricks_instance_pool.c"],
            &["databricks_cluster_policy.d"],
            "dbc-primary.cloud.databricks.com",
        );
        assert_eq!(
            long,
            "drsync: 2 resources changed, 1 added, 1 removed (primary dbc-primary.c…)"
        );
        assert_eq!(long.chars().count(), SUBJECT_MAX);
        // A long host is shortened.
        let host = "adb-1234567890123456.7.azuredatabricks.net.example.internal.corp";
        let line = s(&["databricks_job.a"], &[], &[], host);
        assert_eq!(
            line,
            "drsync: 1 job changed (primary adb-1234567890123456.7.azuredatabricks…)"
        );
    }

    #[test]
    fn renamed_resources_have_their_own_line_and_count() {
        let changed = strings(&["databricks_job.b"]);
        let renamed = [
            Renamed {
                from: "databricks_job.old",
                to: "databricks_job.new",
                changed: false,
            },
            Renamed {
                from: "databricks_cluster.x",
                to: "databricks_cluster.y",
                changed: true,
            },
        ];
        let msg = message(
            &Summary {
                host: "h",
                changed: &changed,
                renamed: &renamed,
                ..Summary::default()
            },
            None,
        )
        .unwrap();
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            msg,
            format!(
                "drsync: 1 cluster renamed; 1 job changed, 1 renamed (primary h)\n\
                 \n\
                 ~ databricks_job.b\n\
                 > databricks_cluster.x -> databricks_cluster.y (changed)\n\
                 > databricks_job.old -> databricks_job.new\n\
                 \n\
                 Source-Workspace: h\n\
                 Drsync-Version: {version}\n"
            )
        );
        let msg = message(
            &Summary {
                host: "h",
                renamed: &renamed[..1],
                ..Summary::default()
            },
            Some("{renamed} renamed: {summary}"),
        )
        .unwrap();
        assert!(msg.starts_with("1 renamed: 1 job renamed\n"), "{msg}");
    }

    #[test]
    fn templates() {
        let changed = strings(&["databricks_job.a"]);
        let msg = message(
            &Summary {
                host: "h.example.com",
                changed: &changed,
                ..Summary::default()
            },
            Some("DR sync from {host}: {summary} [{changed}/{added}/{removed}] v{version} {{x}}"),
        )
        .unwrap();
        let first = msg.lines().next().unwrap();
        assert_eq!(
            first,
            format!(
                "DR sync from h.example.com: 1 job changed [1/0/0] v{} {{x}}",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(msg.contains("\n~ databricks_job.a\n"));
        assert!(msg.ends_with(&format!(
            "Source-Workspace: h.example.com\nDrsync-Version: {}\n",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(validate_template("{summary} on {host}").is_ok());
        for bad in ["{nope}", "{summary", "x}"] {
            let e = validate_template(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid commit message template"), "{e}");
        }
    }

    #[test]
    fn host_never_carries_credentials() {
        assert_eq!(
            clean_host("https://user:secret@h.example.com/"),
            "h.example.com"
        );
        assert_eq!(clean_host("h.example.com"), "h.example.com");
    }
}
