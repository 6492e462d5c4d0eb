//! Property tests (issue 14, "Systematic checks"): the invariants the module docs promise, over generated
//! input rather than hand-picked examples.
//!
//! - `hcl`: any workspace string written by the renderer (as an attribute value, a map key and value, a block
//!   label) passes `check_generated`, holds no template sequence, and reads back as exactly that string through
//!   hcl-rs, through drsync's own loader (`tfconfig::load`) and through Terraform itself.
//! - `report`: every report format shows a workspace string as data: no control or invisible character, no
//!   forged line, no markup; JSON keeps it exactly, JUnit stays well-formed XML that holds it.
//! - `ignore`: a pattern naming a field ignores it, and so does every wildcard form of that pattern; the last
//!   matching line decides; a baseline accepts exactly the findings it was written from.
//! - `labels`: every label is a Terraform identifier; the allocator's labels are unique, independent of input
//!   order, and an object created later never renames an older one.
//! - `fuzz`: the fuzz targets of `fuzz/` (the HCL loader, the state parser, the tfvars parsers) on generated
//!   bytes: they return (`Ok` or `Err`), never panic.
//!
//! Case counts are kept moderate (the suite runs on two cores); `PROPTEST_CASES` raises them for a longer run.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[path = "../fuzz/src/lib.rs"]
mod fuzz_targets;

/// The number of cases: `default`, or `PROPTEST_CASES` when it is set (for a longer run by hand).
fn cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        // Failures are reported with their minimal input; no regression file is written next to the sources.
        failure_persistence: None,
        ..Config::default()
    }
}

/// Pieces that break escaping: template sequences and their escapes, quotes, backslashes, controls, line and
/// paragraph separators, bidirectional and invisible characters, combining marks, non-BMP characters, the
/// noncharacters XML forbids, and HCL syntax.
const NASTY: &[&str] = &[
    "${",
    "%{",
    "$${",
    "%%{",
    "$$${",
    "$",
    "%",
    "{",
    "}",
    "~}",
    "\"",
    "\\",
    "\\\"",
    "\\n",
    "\\u0041",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\0",
    "\u{1}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{9b}",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{2066}",
    "\u{2069}",
    "\u{200e}",
    "\u{061c}",
    "\u{200b}",
    "\u{200d}",
    "\u{00ad}",
    "\u{2060}",
    "\u{feff}",
    "\u{fffe}",
    "\u{ffff}",
    "\u{fffd}",
    "e\u{301}",
    "\u{1F468}\u{200D}\u{1F469}",
    "\u{1F3FB}",
    "\u{10FFFF}",
    "\u{E0041}",
    "日本",
    "ß",
    "<<EOT",
    "EOT",
    "#",
    "//",
    "/*",
    "*/",
    "=",
    ".",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    "|",
    "`",
    "*",
    "_",
    "&",
    "<",
    ">",
    "'",
    "<script>",
    "]]>",
    "&amp;",
    "true",
    "null",
    "for",
    "var.x",
    " ",
    "a",
    "x1",
];

/// Strings a workspace could hold, weighted towards what breaks escaping.
fn nasty_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(NASTY).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
        1 => "[a-zA-Z0-9 _.-]{1,6}",
    ];
    prop_oneof![
        4 => proptest::collection::vec(piece, 0..16).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

mod hcl {
    use super::*;
    use ::hcl::eval::{Context, Evaluate};
    use ::hcl::{Attribute, Block, BlockLabel, Body, Expression, ObjectKey, Structure, Value};
    use std::collections::BTreeMap;
    use std::path::Path;

    /// A resource as the export writes one: the string as a value, as a map key and value, in a nested block;
    /// and a block whose label is the string.
    fn document(s: &str) -> Body {
        let resource = Block::builder("resource")
            .add_label("databricks_job")
            .add_label("j")
            .add_attribute(Attribute::new("name", s))
            .add_attribute(Attribute::new(
                "tags",
                drsync::hcl::object([(s, s), ("plain", "v")]),
            ))
            .add_block(
                Block::builder("task")
                    .add_attribute(Attribute::new("task_key", s))
                    .build(),
            )
            .build();
        let labelled = Block::builder("labelled").add_label(s).build();
        Body(vec![
            Structure::Block(resource),
            Structure::Block(labelled),
            Structure::Attribute(Attribute::new("top", s)),
        ])
    }

    /// The `{`s of `text` that a template sequence would open: those right after exactly one `$` or `%`
    /// (`$${` and `$$${` are the escape, with literal `$`s before it). Independent of `check_generated`.
    fn template_openings(text: &str) -> Vec<usize> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        for (i, c) in b.iter().enumerate() {
            if *c != b'{' || i == 0 {
                continue;
            }
            let mark = b[i - 1];
            if mark != b'$' && mark != b'%' {
                continue;
            }
            let run = b[..i].iter().rev().take_while(|c| **c == mark).count();
            if run == 1 {
                out.push(i);
            }
        }
        out
    }

    fn attribute<'a>(body: &'a Body, key: &str) -> &'a Expression {
        body.attributes()
            .find(|a| a.key() == key)
            .unwrap_or_else(|| panic!("no attribute {key}"))
            .expr()
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// `quote` writes data: one line, no template sequence, read back as the string by hcl-rs.
        #[test]
        fn quoted_strings_are_data(s in nasty_string()) {
            let quoted = drsync::hcl::quote(&s);
            prop_assert!(!quoted.contains(['\n', '\r', '\u{2028}', '\u{2029}']), "{quoted}");
            prop_assert!(template_openings(&quoted).is_empty(), "{quoted}");
            for c in quoted.chars() {
                prop_assert!(
                    !(c.is_control() || drsync::unicode::is_invisible(c)),
                    "raw {:?} in {quoted}", c
                );
            }
            let text = format!("a = {quoted}\n");
            prop_assert!(drsync::hcl::check_generated(&text, Path::new("t.tf")).is_ok(), "{text}");
            let body = drsync::hcl::parse_str(&text, Path::new("t.tf")).unwrap();
            prop_assert_eq!(attribute(&body, "a"), &Expression::String(s.clone()));
        }

        /// A rendered resource holding the string everywhere the export writes workspace strings passes the
        /// linear check and reads back, through hcl-rs and through `tfconfig::load`, as the same values.
        #[test]
        fn rendered_documents_read_back_as_the_original(s in nasty_string()) {
            prop_assume!(s != "plain");
            let text = drsync::hcl::to_string(&document(&s));
            if let Err(err) = drsync::hcl::check_generated(&text, Path::new("jobs.tf")) {
                prop_assert!(false, "{err}\n{text}");
            }
            prop_assert!(template_openings(&text).is_empty(), "{text}");
            // Every line but the structure's own is `key = value` or a block line: no forged lines.
            prop_assert_eq!(text.lines().count(), drsync::hcl::to_string(&document("x")).lines().count());

            // hcl-rs: the document, value by value.
            let parsed = ::hcl::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let ctx = Context::new();
            let resource = parsed.blocks().find(|b| b.identifier() == "resource").unwrap();
            let value = |e: &Expression| e.evaluate(&ctx).unwrap();
            prop_assert_eq!(value(attribute(resource.body(), "name")), Value::from(s.as_str()));
            let tags = value(attribute(resource.body(), "tags"));
            let mut want = ::hcl::Map::new();
            want.insert(s.clone(), Value::from(s.as_str()));
            want.insert("plain".to_string(), Value::from("v"));
            let Value::Object(tags) = tags else { panic!("tags: {tags:?}") };
            prop_assert_eq!(tags.into_iter().collect::<BTreeMap<_, _>>(), want.into_iter().collect());
            let task = resource.body().blocks().next().unwrap();
            prop_assert_eq!(attribute(task.body(), "task_key"), &Expression::String(s.clone()));
            let labelled = parsed.blocks().find(|b| b.identifier() == "labelled").unwrap();
            prop_assert_eq!(labelled.labels(), &[BlockLabel::String(s.clone())][..]);
            prop_assert_eq!(attribute(&parsed, "top"), &Expression::String(s.clone()));

            // drsync's loader, as drift reads the committed file.
            let files: BTreeMap<String, String> = [("jobs.tf".to_string(), text.clone())].into();
            let config = drsync::tfconfig::load(&files, &[], &BTreeMap::new())
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
            prop_assert_eq!(config.resources.len(), 1);
            let body = &config.resources[0].body;
            prop_assert_eq!(attribute(body, "name"), &Expression::String(s.clone()));
            let Expression::Object(tags) = attribute(body, "tags") else { panic!("tags") };
            let keys: Vec<String> = tags
                .keys()
                .map(|k| match k {
                    ObjectKey::Identifier(i) => i.to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.clone(),
                    other => panic!("key {other:?}"),
                })
                .collect();
            prop_assert_eq!(keys, vec![s.clone(), "plain".to_string()]);
            let expected = Expression::String(s.clone());
            prop_assert_eq!(tags.values().next(), Some(&expected));

            // Rendering is stable: what was read back renders to the same text.
            prop_assert_eq!(drsync::hcl::to_string(&parsed), text);
        }
    }

    /// Terraform reads every quoted string back as the original: a few hundred generated strings compared in
    /// one `terraform console` against `base64decode` of their bytes.
    #[test]
    fn terraform_reads_generated_strings_back() {
        use base64::Engine as _;
        use proptest::strategy::ValueTree;
        use std::io::Write as _;
        use std::process::{Command, Stdio};

        let mut runner = TestRunner::deterministic();
        let strings: Vec<String> = (0..300)
            .map(|_| nasty_string().new_tree(&mut runner).unwrap().current())
            .collect();
        let checks: Vec<String> = strings
            .iter()
            .map(|s| {
                let b64 = base64::engine::general_purpose::STANDARD.encode(s);
                format!("{} == base64decode(\"{b64}\")", drsync::hcl::quote(s))
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("terraform")
            .args(["console", "-no-color"])
            .current_dir(dir.path())
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("terraform is on PATH (the suite runs the real terraform binary)");
        {
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "[{}]", checks.join(", ")).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let results: Vec<&str> = stdout
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .collect();
        let wrong: Vec<&String> = strings
            .iter()
            .zip(results.iter().chain(std::iter::repeat(&"missing")))
            .filter(|(_, r)| **r != "true")
            .map(|(s, _)| s)
            .collect();
        assert!(
            results.len() == strings.len() && wrong.is_empty(),
            "terraform read these back differently: {wrong:?}\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

mod report {
    use super::*;
    use drsync::drift::{
        FieldDiff, Finding, FindingKind, Report, Severity, Source, Summary, TypeSummary,
        REPORT_VERSION,
    };
    use drsync::report::{render, Format, Options};

    /// A report with `s` in every place a workspace string reaches: the source, a resource type, labels,
    /// names, ids, a field path and its values (HCL left out: diffs span lines by design).
    fn report(s: &str) -> Report {
        let finding = |kind, resource_type: &str| Finding {
            kind,
            severity: Severity::Drift,
            resource_type: resource_type.to_string(),
            label: s.to_string(),
            name: s.to_string(),
            live_id: Some(s.to_string()),
            live_ids: Vec::new(),
            fields: Vec::new(),
            expected_hcl: None,
            actual_hcl: None,
        };
        let mut changed = finding(FindingKind::Changed, "databricks_job");
        changed.severity = Severity::Critical;
        changed.fields = vec![FieldDiff {
            path: s.to_string(),
            expected: Some(serde_json::json!(s)),
            actual: Some(serde_json::json!({ s: [s] })),
            severity: Severity::Critical,
        }];
        let mut ambiguous = finding(FindingKind::Ambiguous, "databricks_cluster");
        ambiguous.live_ids = vec![s.to_string(), "2".to_string()];
        let mut missing = finding(FindingKind::Missing, s);
        missing.live_id = None;
        let unmanaged = finding(FindingKind::Unmanaged, "databricks_instance_pool");
        let mut summary = Summary {
            critical: 1,
            drifted: true,
            coverage: 0.5,
            ..Summary::default()
        };
        for t in [
            "databricks_job",
            "databricks_cluster",
            "databricks_instance_pool",
            s,
        ] {
            summary.by_type.insert(
                t.to_string(),
                TypeSummary {
                    desired: 1,
                    live: 1,
                    ..TypeSummary::default()
                },
            );
        }
        Report {
            version: REPORT_VERSION,
            source: Source {
                workspace: s.to_string(),
                git_ref: s.to_string(),
                commit: Some(s.to_string()),
                folder: s.to_string(),
            },
            summary,
            findings: vec![changed, ambiguous, missing, unmanaged],
        }
    }

    fn rendered(format: Format, s: &str) -> String {
        render(
            format,
            &report(s),
            &Options::default(),
            &[format!("databricks_job.{s}")],
        )
    }

    /// What a reader cannot see or what drives a terminal: controls but tab and newline, invisible characters.
    fn hidden(c: char) -> bool {
        (c.is_control() && c != '\n' && c != '\t') || drsync::unicode::is_invisible(c)
    }

    proptest! {
        #![proptest_config(cases(192))]

        /// The terminal escaper leaves nothing hidden and no line break.
        #[test]
        fn terminal_escape_leaves_nothing_hidden(s in nasty_string()) {
            let out = drsync::report::terminal(&s);
            prop_assert!(!out.contains(['\n', '\r']), "{out:?}");
            prop_assert!(!out.chars().any(hidden), "{out:?}");
            // What is not escaped is shown as it is.
            if !s.chars().any(|c| hidden(c) || c == '\n') {
                prop_assert_eq!(out, s);
            }
        }

        /// Text, Markdown and HTML: no hidden character, no line a workspace string forged, and none of the
        /// characters that make markup (or a Markdown table cell) more often than with a harmless string.
        #[test]
        fn reports_show_strings_as_data(s in nasty_string()) {
            prop_assume!(!s.starts_with("databricks_"));
            // The characters each format must not take from the data: counted against a harmless string.
            let syntax: [(Format, &[char]); 3] = [
                (Format::Text, &[]),
                (Format::Markdown, &['|', '`', '<', '>', '*', '[', ']', '~', '\\', '!', '$']),
                (Format::Html, &['<', '>', '"', '\'']),
            ];
            for (format, chars) in syntax {
                let out = rendered(format, &s);
                let harmless = rendered(format, "x");
                prop_assert!(
                    !out.chars().any(hidden),
                    "{format}: hidden {:?} in {out}",
                    out.chars().find(|c| hidden(*c))
                );
                // A newline in HTML text is a space: only text and Markdown have lines to forge.
                if format != Format::Html {
                    prop_assert_eq!(out.lines().count(), harmless.lines().count(), "{}: {}", format, out);
                }
                for c in chars {
                    prop_assert_eq!(
                        out.matches(*c).count(),
                        harmless.matches(*c).count(),
                        "{}: {:?} from the data in {}", format, c, out
                    );
                }
            }
        }

        /// The text report quotes names: two reports that differ only in a name read differently.
        #[test]
        fn text_report_names_stay_distinct(a in nasty_string(), b in nasty_string()) {
            prop_assume!(a != b);
            let name_line = |s: &str| {
                let mut r = report("x");
                r.findings[0].name = s.to_string();
                let text = render(Format::Text, &r, &Options::default(), &[]);
                text.lines().find(|l| l.trim_start().starts_with("name ")).unwrap().to_string()
            };
            prop_assert_ne!(name_line(&a), name_line(&b));
        }

        /// JSON keeps every string exactly.
        #[test]
        fn json_report_keeps_strings_exactly(s in nasty_string()) {
            let out = rendered(Format::Json, &s);
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            prop_assert_eq!(&v["source"]["workspace"], &serde_json::json!(s));
            let f = &v["findings"][0];
            prop_assert_eq!(&f["label"], &serde_json::json!(s));
            prop_assert_eq!(&f["name"], &serde_json::json!(s));
            prop_assert_eq!(&f["live_id"], &serde_json::json!(s));
            prop_assert_eq!(&f["fields"][0]["path"], &serde_json::json!(s));
            prop_assert_eq!(&f["fields"][0]["actual"], &serde_json::json!({ s.as_str(): [s] }));
            prop_assert_eq!(&v["findings"][2]["resource_type"], &serde_json::json!(s));
        }

        /// JUnit is well-formed XML 1.0 for any string, and its attributes hold the string (with what XML 1.0
        /// cannot hold, and what a reader cannot see, as U+FFFD).
        #[test]
        fn junit_report_is_well_formed_and_holds_the_strings(s in nasty_string()) {
            prop_assume!(!s.starts_with("databricks_"));
            let out = rendered(Format::Junit, &s);
            let doc = roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
            let expected: String = s
                .chars()
                .map(|c| match c {
                    '\t' | '\n' | '\r' => c,
                    '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
                    c if c.is_control() || drsync::unicode::is_invisible(c) => '\u{fffd}',
                    c => c,
                })
                .collect();
            let cases: Vec<roxmltree::Node> = doc
                .descendants()
                .filter(|n| n.has_tag_name("testcase"))
                .collect();
            // The changed job and the in-sync one, both labelled `s`.
            let jobs = cases
                .iter()
                .filter(|n| n.attribute("classname") == Some("databricks_job"))
                .count();
            prop_assert_eq!(jobs, 2);
            for n in cases.iter().filter(|n| n.attribute("classname") == Some("databricks_job")) {
                prop_assert_eq!(n.attribute("name"), Some(expected.as_str()));
            }
            let suites: Vec<&str> = doc
                .descendants()
                .filter(|n| n.has_tag_name("testsuite"))
                .filter_map(|n| n.attribute("name"))
                .collect();
            prop_assert!(suites.contains(&expected.as_str()), "{suites:?}");
        }
    }
}

mod ignore {
    use super::*;
    use drsync::drift::ignore::{baseline, IgnoreRules};
    use drsync::drift::{FieldDiff, Finding, FindingKind, Severity};
    use std::path::Path;

    const TYPES: [&str; 4] = [
        "databricks_job",
        "databricks_cluster",
        "databricks_instance_pool",
        "databricks_cluster_policy",
    ];

    /// One step of a field path, as drift writes it.
    #[derive(Debug, Clone)]
    enum Step {
        /// An attribute or a block that occurs once: `num_workers`.
        Name(String),
        /// A repeated block by its key: `task[load]`, `depends_on[0]`.
        Keyed(String, String),
        /// A map key as drift writes it: bare when it can be, else quoted Rust-style (`"spark.master"`).
        Key(String),
    }

    impl Step {
        fn text(&self) -> String {
            match self {
                Step::Name(n) => n.clone(),
                Step::Keyed(n, k) => format!("{n}[{k}]"),
                Step::Key(k) if drsync::hcl::is_bare_key(k) => k.clone(),
                Step::Key(k) => format!("{k:?}"),
            }
        }
    }

    fn ident() -> impl Strategy<Value = String> {
        "[a-z_][a-z0-9_]{0,10}"
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => ident().prop_map(Step::Name),
            // Task keys: letters, digits, `_` and `-` (the Jobs API's pattern), or an index.
            2 => (ident(), "[A-Za-z0-9_-]{1,10}").prop_map(|(n, k)| Step::Keyed(n, k)),
            3 => nasty_string().prop_filter("a map key is not empty", |k| !k.is_empty()).prop_map(Step::Key),
        ]
    }

    fn path() -> impl Strategy<Value = Vec<Step>> {
        proptest::collection::vec(step(), 1..5)
    }

    fn join(steps: &[Step]) -> String {
        steps.iter().map(Step::text).collect::<Vec<_>>().join(".")
    }

    fn finding(kind: FindingKind, t: &str, label: &str, paths: &[String]) -> Finding {
        Finding {
            kind,
            severity: Severity::Drift,
            resource_type: t.to_string(),
            label: label.to_string(),
            name: label.to_string(),
            live_id: None,
            live_ids: Vec::new(),
            fields: paths
                .iter()
                .map(|p| FieldDiff {
                    path: p.clone(),
                    expected: Some(serde_json::json!(1)),
                    actual: Some(serde_json::json!(2)),
                    severity: Severity::Drift,
                })
                .collect(),
            expected_hcl: None,
            actual_hcl: None,
        }
    }

    fn rules(text: &str) -> IgnoreRules {
        IgnoreRules::parse(text, Path::new(".drsyncignore"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    /// Whether the rules drop the field `path` of a changed `TYPE.LABEL` (its only field: the finding goes).
    fn ignores_field(text: &str, t: &str, label: &str, path: &str) -> bool {
        let f = finding(FindingKind::Changed, t, label, &[path.to_string()]);
        rules(text).apply(vec![f]).is_empty()
    }

    /// A wildcard form of one step (`how` picks which), as one or two segments.
    fn generalize(step: &Step, how: u8) -> Vec<String> {
        match (how % 5, step) {
            (1, _) => vec!["*".to_string()],
            (2, Step::Keyed(n, _)) => vec![format!("{n}[*]")],
            (3, Step::Keyed(n, k)) => vec![n.clone(), k.clone()],
            (4, Step::Keyed(n, _)) => vec![n.clone(), "*".to_string()],
            (2, Step::Name(n)) => vec![format!("{}*", &n[..1])],
            (3, Step::Name(n)) => vec![format!("*{}", &n[n.len() - 1..])],
            _ => vec![step.text()],
        }
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// `TYPE.LABEL.PATH` ignores that field, and so does every pattern made more general from it: `*` for
        /// the type, the label or any step, a glob inside a name, `task[*]`, `task.KEY` for `task[KEY]`, `**`
        /// anywhere after the type, a prefix of the path (what lies under a field is covered by it).
        #[test]
        fn exact_and_wildcard_patterns_ignore_the_field(
            t in proptest::sample::select(&TYPES[..]),
            label in ident(),
            steps in path(),
            hows in proptest::collection::vec(any::<u8>(), 6),
            deep_at in any::<proptest::sample::Index>(),
            cut in any::<proptest::sample::Index>(),
        ) {
            let path = join(&steps);
            let exact = format!("{t}.{label}.{path}");
            prop_assert!(ignores_field(&exact, t, &label, &path), "{exact}");

            // Groups of segments: `**` goes between two groups, never between `task` and its key in `task.KEY`.
            let mut groups = vec![
                vec![if hows[0] % 2 == 0 { t.to_string() } else { "*".to_string() }],
                vec![if hows[1] % 3 == 0 { "*".to_string() } else if hows[1] % 3 == 1 { label.clone() } else { format!("{}*", &label[..1]) }],
            ];
            let keep = 1 + cut.index(steps.len());
            for (i, s) in steps[..keep].iter().enumerate() {
                groups.push(generalize(s, hows[2 + i % 4].wrapping_add(i as u8)));
            }
            if hows[5] % 2 == 0 {
                let at = 1 + deep_at.index(groups.len());
                groups.insert(at, vec!["**".to_string()]);
            }
            let general = groups.concat().join(".");
            prop_assert!(ignores_field(&general, t, &label, &path), "{general} for {exact}");

            // The last matching line decides.
            let negated = format!("{exact}\n!{general}");
            prop_assert!(!ignores_field(&negated, t, &label, &path), "{}", negated);
            let renewed = format!("!{general}\n{exact}");
            prop_assert!(ignores_field(&renewed, t, &label, &path), "{}", renewed);
            // A pattern for another label leaves it.
            let other = format!("{t}.{label}x.{path}");
            prop_assert!(!ignores_field(&other, t, &label, &path), "{other}");
        }

        /// The baseline written for any findings reads back, and applied to those findings leaves none.
        #[test]
        fn baseline_accepts_exactly_its_findings(
            findings in proptest::collection::vec(
                (
                    proptest::sample::select(&[FindingKind::Missing, FindingKind::Unmanaged, FindingKind::Changed, FindingKind::Ambiguous][..]),
                    proptest::sample::select(&TYPES[..]),
                    ident(),
                    proptest::collection::vec(path(), 0..3),
                ),
                1..6,
            ),
            other_label in ident(),
        ) {
            let findings: Vec<Finding> = findings
                .iter()
                .map(|(kind, t, label, paths)| {
                    let paths: Vec<String> = if *kind == FindingKind::Changed {
                        paths.iter().map(|p| join(p)).collect()
                    } else {
                        Vec::new()
                    };
                    finding(*kind, t, label, &paths)
                })
                .collect();
            let text = baseline(&findings);
            let rules = rules(&text);
            prop_assert_eq!(rules.apply(findings.clone()), Vec::<Finding>::new(), "{}", text);
            // And only those: a resource it does not name is left alone.
            prop_assume!(!findings.iter().any(|f| f.label == other_label));
            let stranger = finding(FindingKind::Missing, "databricks_job", &other_label, &[]);
            prop_assert_eq!(rules.apply(vec![stranger.clone()]), vec![stranger]);
        }

        /// Any text is either rules or an error naming a line of the file; never a panic.
        #[test]
        fn any_text_parses_or_names_its_line(lines in proptest::collection::vec(
            prop_oneof![nasty_string(), "[!]?[a-z_*]{1,6}(\\.[a-z_*\\[\\]\"]{0,6}){0,4}"],
            0..6,
        )) {
            let text = lines.join("\n");
            match IgnoreRules::parse(&text, Path::new("x")) {
                Ok(_) => {}
                Err(e) => prop_assert!(e.line >= 1 && e.line <= text.lines().count(), "{e}"),
            }
        }
    }
}

mod labels {
    use super::*;
    use drsync::hcl::{label, label_fits, LabelAllocator, LabelItem, MAX_LABEL_LEN};
    use std::collections::{BTreeMap, BTreeSet};

    /// A Terraform identifier as drsync's labels are: `[a-z_][a-z0-9_]*` (Terraform also allows `-` and
    /// upper case; labels never use them).
    fn valid(l: &str) -> bool {
        l.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    /// Names that collide: a few bases varied by case, accents, punctuation and suffixes, long names, and
    /// anything at all.
    fn name() -> impl Strategy<Value = String> {
        let base = proptest::sample::select(
            &[
                "etl",
                "ETL",
                "Étl",
                "e\u{301}tl",
                "etl!",
                "etl_2",
                "etl 2",
                "etl-2",
                "_etl_",
                "2etl",
                "",
                "日本",
                "Über-Job",
                "uber job",
                "a",
                "a_2",
                "a_2_2",
            ][..],
        );
        prop_oneof![
            4 => base.clone().prop_map(str::to_string),
            1 => (base.clone(), "[ _.!-]{0,2}[0-9]{0,2}").prop_map(|(b, s)| format!("{b}{s}")),
            1 => (base, 100usize..400).prop_map(|(b, n)| format!("{b}{}", "x".repeat(n))),
            1 => nasty_string(),
        ]
    }

    fn items() -> impl Strategy<Value = Vec<(String, i64, String)>> {
        proptest::collection::vec(
            (name(), 0i64..4, prop_oneof!["[0-9]{1,3}", "[a-f0-9-]{1,4}"]),
            0..24,
        )
    }

    fn allocate(items: &[(String, i64, String)], reserved: &[String]) -> Vec<String> {
        let list: Vec<LabelItem> = items
            .iter()
            .map(|(name, creation_time, id)| LabelItem {
                name,
                creation_time: *creation_time,
                stable_id: id,
            })
            .collect();
        let mut allocator = LabelAllocator::new();
        for r in reserved {
            allocator.reserve(r);
        }
        allocator.allocate(&list)
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// Every label is a Terraform identifier that `terraform fmt` and the renderer leave bare.
        #[test]
        fn labels_are_identifiers(name in name()) {
            let l = label(&name);
            prop_assert!(valid(&l), "{:?} -> {:?}", name, l);
            prop_assert!(drsync::hcl::is_bare_key(&l) || ["true", "false", "null", "for"].contains(&l.as_str()));
            // A label is its own label.
            prop_assert_eq!(label(&l), l);
        }

        /// Labels are unique (also against reserved ones), valid, and an item whose label is free gets it.
        #[test]
        fn allocated_labels_are_unique(items in items(), reserved in proptest::collection::vec(name(), 0..3)) {
            let reserved: Vec<String> = reserved.iter().map(|n| label(n)).collect();
            let labels = allocate(&items, &reserved);
            prop_assert_eq!(labels.len(), items.len());
            let mut seen: BTreeSet<&str> = reserved.iter().map(String::as_str).collect();
            for (l, (name, ..)) in labels.iter().zip(&items) {
                prop_assert!(valid(l), "{:?}", l);
                prop_assert!(seen.insert(l), "{} given twice: {:?} / {:?}", l, labels, reserved);
                prop_assert!(l.len() <= MAX_LABEL_LEN, "{:?} is too long", l);
                prop_assert!(label_fits(l, name), "{:?} for {:?}", l, name);
            }
        }

        /// Input order does not matter: every item gets the same label in any order.
        #[test]
        fn allocation_ignores_input_order(items in items(), seed in any::<u64>()) {
            let labels = allocate(&items, &[]);
            let mut order: Vec<usize> = (0..items.len()).collect();
            // A permutation from the seed.
            let mut x = seed | 1;
            for i in (1..order.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let shuffled: Vec<_> = order.iter().map(|&i| items[i].clone()).collect();
            let relabelled = allocate(&shuffled, &[]);
            // Items that are equal in every field are interchangeable: compare as multisets.
            let pairs = |items: &[(String, i64, String)], labels: &[String]| {
                let mut m: BTreeMap<(String, i64, String), Vec<String>> = BTreeMap::new();
                for (item, l) in items.iter().zip(labels) {
                    m.entry(item.clone()).or_default().push(l.clone());
                }
                m.values_mut().for_each(|v| v.sort());
                m
            };
            prop_assert_eq!(pairs(&items, &labels), pairs(&shuffled, &relabelled));
        }

        /// An object created after all the others never renames one of them.
        #[test]
        fn a_newer_object_renames_nothing(items in items(), new in name(), at in any::<proptest::sample::Index>()) {
            let before = allocate(&items, &[]);
            let mut after_items = items.clone();
            let at = at.index(items.len() + 1);
            after_items.insert(at, (new, 10, "999999".to_string()));
            let mut after = allocate(&after_items, &[]);
            after.remove(at);
            prop_assert_eq!(after, before);
        }
    }
}

mod fuzz {
    use super::*;

    proptest! {
        #![proptest_config(cases(128))]

        /// The loader target on HCL-ish bytes: whatever the text, `load` answers.
        #[test]
        fn tfconfig_target_never_panics(data in hcl_ish()) {
            fuzz_targets::tfconfig(&data);
        }

        /// The state target on JSON-ish bytes.
        #[test]
        fn state_target_never_panics(data in json_ish()) {
            fuzz_targets::state(&data);
        }

        /// The tfvars target on both kinds.
        #[test]
        fn tfvars_target_never_panics(data in prop_oneof![hcl_ish(), json_ish()]) {
            fuzz_targets::tfvars(&data);
        }
    }

    const HCL_PIECES: &[&str] = &[
        "resource \"databricks_job\" \"a\" {\n",
        "resource \"databricks_cluster\" \"c\" {\n",
        "variable \"v\" {\n",
        "default = ",
        "}\n",
        "{",
        "[",
        "]",
        "(",
        ")",
        "name = ",
        "var.v",
        "var.x",
        "databricks_cluster.c.id",
        "databricks_cluster.gone.id",
        "jsonencode(",
        "replace(",
        "\"a\", \"b\", \"c\")",
        "\"${var.v}\"",
        "\"%{ if true }x%{ endif }\"",
        "<<EOT\nx\nEOT\n",
        "<<-EOT\n  y\n  EOT\n",
        "true ? 1 : 2",
        "[for x in var.v : x]",
        "1e400",
        "-0",
        "0x1",
        "\"\\u0000\"",
        "\"\\U0010FFFF\"",
        "\"\\uD800\"",
        ",",
        "\n",
        " ",
        "#",
        "/*",
        "*/",
        "\0",
        "task {\n",
        "x = 1\n",
        "a.b.c",
        "!",
        "-",
        "*",
        "...",
        "=>",
        "\u{feff}",
    ];

    const JSON_PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"version\"",
        "4",
        "3",
        "\"resources\"",
        "\"instances\"",
        "\"mode\"",
        "\"managed\"",
        "\"type\"",
        "\"name\"",
        "\"attributes\"",
        "\"id\"",
        "\"databricks_job\"",
        "null",
        "true",
        "1e999",
        "-1",
        "18446744073709551616",
        "\"\\ud800\"",
        "\"\\u0000\"",
        "\"${x}\"",
        " ",
        "\n",
    ];

    fn from_pieces(pieces: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            4 => proptest::sample::select(pieces).prop_map(|p| p.as_bytes().to_vec()),
            1 => any::<u8>().prop_map(|b| vec![b]),
        ];
        proptest::collection::vec(piece, 0..48).prop_map(|p| p.concat())
    }

    fn hcl_ish() -> impl Strategy<Value = Vec<u8>> {
        from_pieces(HCL_PIECES)
    }

    fn json_ish() -> impl Strategy<Value = Vec<u8>> {
        from_pieces(JSON_PIECES)
    }
}
