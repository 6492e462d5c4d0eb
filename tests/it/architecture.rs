//! The boundaries ARCHITECTURE.md draws, checked on the source text: the library's modules import only modules
//! of lower layers (so data flows one way and no two modules import each other), sibling modules anywhere in
//! the library and the emulator never import each other back, and the library never uses the emulator or axum.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's top-level modules in layers, lowest first: a module may import only modules of lower layers
/// (ARCHITECTURE.md, "Layers").
const LAYERS: &[&[&str]] = &[
    &["unicode", "causes", "model"],
    &["api", "hcl", "normalize"],
    &["git", "tfconfig", "rewrite", "inventory"],
    &["convert"],
    &["export", "drift"],
    &["config"],
    &["check", "drill"],
    &["report"],
    &["ops"],
];

/// A module's path (`export::write` is `["export", "write"]`; the crate root is empty) and its source text,
/// comments dropped, for every `.rs` file below `root`.
fn modules(root: &Path) -> BTreeMap<Vec<String>, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<Vec<String>, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().with_extension("");
                let mut parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.last().is_some_and(|p| p == "mod") || parts == ["lib"] || parts == ["main"]
                {
                    parts.pop();
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code: Vec<&str> = text
                    .lines()
                    .map(|l| l.split("//").next().unwrap())
                    .collect();
                out.insert(parts, code.join("\n"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The module paths a text names: `crate::a::b`, the names inside `use crate::{a, b::c}`, and `super::x`
/// resolved against `module`.
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut refs = Vec::new();
    let ident = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|p| p.trim().to_string())
            .take_while(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .collect()
    };
    let path_after = |rest: &str| -> String {
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            refs.extend(group.split(',').map(ident).filter(|p| !p.is_empty()));
        } else {
            refs.push(ident(&path_after(rest)));
        }
    }
    for (i, _) in text.match_indices("super::") {
        if text[..i].ends_with("super::")
            || text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let mut rest = &text[i..];
        let mut base = module.to_vec();
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for p in group.split(',').map(ident).filter(|p| !p.is_empty()) {
                refs.push(base.iter().cloned().chain(p).collect());
            }
        } else {
            refs.push(base.into_iter().chain(ident(&path_after(rest))).collect());
        }
    }
    refs
}

/// Edges between sibling modules: `a -> b` when something in `a` (or below it) names something in `b` (or
/// below it), for `a` and `b` children of the same module. References to one's own ancestors and
/// descendants are not edges.
fn sibling_edges(root: &Path) -> BTreeSet<(Vec<String>, Vec<String>)> {
    let mods = modules(root);
    let mut edges = BTreeSet::new();
    for (module, text) in &mods {
        for r in references(module, text) {
            let Some(target) = (1..=r.len())
                .rev()
                .map(|n| r[..n].to_vec())
                .find(|p| mods.contains_key(p))
            else {
                continue;
            };
            if module.starts_with(&target) || target.starts_with(module) {
                continue;
            }
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            edges.insert((module[..=common].to_vec(), target[..=common].to_vec()));
        }
    }
    edges
}

/// A cycle among the edges, if there is one.
fn cycle(edges: &BTreeSet<(Vec<String>, Vec<String>)>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    fn visit<'a>(
        node: &'a Vec<String>,
        next: &BTreeMap<&'a Vec<String>, Vec<&'a Vec<String>>>,
        path: &mut Vec<&'a Vec<String>>,
        done: &mut BTreeSet<&'a Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| *p == node) {
            let mut found: Vec<String> = path[at..].iter().map(|p| p.join("::")).collect();
            found.push(node.join("::"));
            return Some(found);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for n in next.get(node).into_iter().flatten() {
            if let Some(c) = visit(n, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    next.keys()
        .find_map(|n| visit(n, &next, &mut Vec::new(), &mut done))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn library_modules_import_only_lower_layers() {
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (*n, i)))
        .collect();
    let lib = root().join("src");
    let mut wrong = Vec::new();
    for (from, to) in sibling_edges(&lib) {
        let ([from], [to]) = (&from[..], &to[..]) else {
            continue;
        };
        if from == "cli" {
            continue; // the binary's module, above every layer
        }
        match (layer_of.get(from.as_str()), layer_of.get(to.as_str())) {
            (Some(a), Some(b)) if b < a => {}
            (Some(_), Some(_)) => wrong.push(format!("{from} -> {to}")),
            _ => wrong.push(format!("{from} -> {to}: a module not in LAYERS")),
        }
    }
    let declared: BTreeSet<String> = modules(&lib)
        .keys()
        .filter(|m| m.len() == 1 && m[0] != "cli")
        .map(|m| m[0].clone())
        .collect();
    let layered: BTreeSet<String> = layer_of.keys().map(|k| k.to_string()).collect();
    assert_eq!(declared, layered, "every library module has a layer");
    assert!(wrong.is_empty(), "imports against the layers: {wrong:#?}");
}

#[test]
fn no_two_sibling_modules_import_each_other() {
    for root in [
        root().join("src"),
        root().join("crates/drsync-emulator/src"),
    ] {
        let edges = sibling_edges(&root);
        assert!(
            edges.len() > 10,
            "{}: the scan found the imports",
            root.display()
        );
        assert_eq!(cycle(&edges), None, "{}", root.display());
    }
}

#[test]
fn the_library_never_uses_the_emulator_or_axum() {
    for (module, text) in modules(&root().join("src")) {
        if module.first().is_some_and(|m| m == "cli") || module.is_empty() {
            continue; // the binary's part (`main.rs` is the crate root of the binary, `lib.rs` of the library)
        }
        for name in ["drsync_emulator", "axum"] {
            assert!(!text.contains(name), "src/{}: {name}", module.join("/"));
        }
    }
    let emulator =
        std::fs::read_to_string(root().join("crates/drsync-emulator/Cargo.toml")).unwrap();
    assert!(
        !emulator.lines().any(|l| l.trim_start().starts_with("drsync ") || l.trim_start().starts_with("drsync.")),
        "the emulator crate depends on the library"
    );
}

/// The scan itself: a cycle and a layer breach written on purpose are found.
#[test]
fn the_scan_finds_what_it_looks_for() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "mod x;\nmod y;\nuse crate::b::Thing;\n",
    )
    .unwrap();
    std::fs::write(src.join("a/x.rs"), "use super::y::Y;\n").unwrap();
    std::fs::write(
        src.join("a/y.rs"),
        "// crate::b is named in a comment only\nuse super::{x::X};\n",
    )
    .unwrap();
    std::fs::write(src.join("b.rs"), "pub struct Thing;\n").unwrap();
    let edges = sibling_edges(src);
    let names: BTreeSet<(String, String)> = edges
        .iter()
        .map(|(a, b)| (a.join("::"), b.join("::")))
        .collect();
    let expected: BTreeSet<(String, String)> = [("a", "b"), ("a::x", "a::y"), ("a::y", "a::x")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(names, expected);
    let found = cycle(&edges).expect("x and y import each other");
    assert_eq!(found.first(), found.last());
}
