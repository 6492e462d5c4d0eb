//! Renders `hcl::Body` documents as Terraform source, byte-identical to what `terraform fmt` (v1.11) makes of
//! them, and quotes strings as data. It breaks lines itself, then indents and aligns `=` with the rules of
//! `hclwrite` (which `terraform fmt` uses); it never evaluates, reorders or drops anything in the document.
//!
//! Layout: two-space indent; attributes and blocks in the order of the body, a blank line between two
//! structures when either is a block, none after `{` or before `}`; empty blocks, objects and lists as `{}` and
//! `[]`; non-empty objects one entry a line; lists on one line unless an element spans lines, then one element a
//! line with a trailing comma; every other expression on one line.
//!
//! `hclwrite`'s rules, as reproduced here: a line is indented two spaces for every earlier line that opened
//! more brackets than it closed and is not yet closed (a line that opens several brackets counts once; a line
//! that closes and opens as many stays at the inner level); a line `key = value` whose value closes every
//! bracket it opens joins its neighbours of the same kind in an alignment group, where `=` is placed one column
//! after the longest key, counted in grapheme clusters; any other line (a blank line, a block, a value spanning
//! lines) ends the group. Like `terraform fmt`, it also quotes bare block labels, writes an attribute whose
//! whole value is `"${expr}"` as `expr`, and in a top-level `variable` block writes `type = "string"`
//! (`"list"`, `"map"`) as `string` (`list(string)`, `map(string)`).

use ::hcl::expr::{
    Expression, ForExpr, FuncCall, Heredoc, HeredocStripMode, Object, ObjectKey, Operation,
    TemplateExpr, TraversalOperator,
};
use ::hcl::template::Element;
use ::hcl::{Block, Body, Identifier, Number, Structure};

/// Renders a whole file: the text `terraform fmt` would write for `body`, ending with a newline (empty for an
/// empty body).
pub fn to_string(body: &Body) -> String {
    let mut p = Printer::default();
    p.body(body, false);
    p.finish()
}

/// Renders one expression as it would appear after `name = ` at the top level of a file (multi-line
/// expressions are indented for that place), without a trailing newline.
pub fn expression_to_string(expr: &Expression) -> String {
    let mut p = Printer::default();
    p.expr(expr);
    let mut text = p.finish();
    text.pop();
    text
}

/// Quotes `s` as an HCL string literal whose value is exactly `s`: data, never code. `${` and `%{` become
/// `$${` and `%%{`; `"`, `\`, newline, tab and carriage return become `\"`, `\\`, `\n`, `\t`, `\r`; other
/// control characters, the line and paragraph separators, the byte-order mark and the bidirectional-text
/// controls become `\uXXXX`. Everything else, including non-ASCII text, stays as UTF-8.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    push_escaped(&mut out, s, false);
    out.push('"');
    out
}

/// Whether `key` can be written as a bare object key: an ASCII identifier (`[A-Za-z_][A-Za-z0-9_-]*`) that is
/// not `true`, `false`, `null` or `for`.
pub fn is_bare_key(key: &str) -> bool {
    let mut chars = key.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(key, "true" | "false" | "null" | "for")
}

/// The object key for a map entry: bare when [`is_bare_key`], quoted otherwise
/// (`"spark.hadoop.fs.s3a.endpoint"`).
pub fn object_key(key: &str) -> ObjectKey {
    if is_bare_key(key) {
        ObjectKey::Identifier(Identifier::unchecked(key))
    } else {
        ObjectKey::Expression(Expression::String(key.to_string()))
    }
}

/// One output line before indentation and alignment.
#[derive(Default)]
struct Line {
    text: String,
    /// Opening minus closing brackets on the line.
    net: i32,
    /// Where the key of `key = value` ends in `text`, and `net` at that point.
    assign: Option<(usize, i32)>,
}

#[derive(Default)]
struct Printer {
    lines: Vec<Line>,
    cur: Line,
    /// How many blocks the printer is inside.
    depth: usize,
}

impl Printer {
    fn push(&mut self, s: &str) {
        self.cur.text.push_str(s);
    }

    fn open(&mut self, s: &str) {
        self.push(s);
        self.cur.net += 1;
    }

    fn close(&mut self, s: &str) {
        self.push(s);
        self.cur.net -= 1;
    }

    /// Writes `key = `, remembering where the key ends for alignment.
    fn key(&mut self, key: &str) {
        self.push(key);
        if self.cur.assign.is_none() {
            self.cur.assign = Some((self.cur.text.len(), self.cur.net));
        }
        self.push(" = ");
    }

    fn newline(&mut self) {
        self.lines.push(std::mem::take(&mut self.cur));
    }

    fn finish(mut self) -> String {
        if !self.cur.text.is_empty() {
            self.newline();
        }
        layout(&self.lines)
    }

    /// A body; `variable` says it is a top-level `variable` block's.
    fn body(&mut self, body: &Body, variable: bool) {
        let mut previous_was_block = None;
        for structure in body.iter() {
            let is_block = matches!(structure, Structure::Block(_));
            if previous_was_block.is_some_and(|previous| previous || is_block) {
                self.newline();
            }
            match structure {
                Structure::Attribute(attr) => {
                    self.key(attr.key());
                    self.value(attr.expr(), variable && attr.key() == "type");
                    self.newline();
                }
                Structure::Block(block) => self.block(block),
            }
            previous_was_block = Some(is_block);
        }
    }

    fn block(&mut self, block: &Block) {
        self.push(block.identifier());
        for label in block.labels() {
            self.push(" ");
            // `terraform fmt` quotes bare labels.
            self.push(&quote(label.as_str()));
        }
        if block.body().iter().next().is_none() {
            self.push(" {}");
            self.newline();
        } else {
            self.open(" {");
            self.newline();
            let variable = self.depth == 0 && block.identifier() == "variable";
            self.depth += 1;
            self.body(block.body(), variable);
            self.depth -= 1;
            self.close("}");
            self.newline();
        }
    }

    /// An attribute's value, with the two rewrites `terraform fmt` makes there: an interpolation-only
    /// template `"${expr}"` becomes `expr`, and in a `variable` block `type = "string"` (`"list"`, `"map"`)
    /// becomes `string` (`list(string)`, `map(string)`).
    fn value(&mut self, expr: &Expression, variable_type: bool) {
        if let (true, Expression::String(legacy)) = (variable_type, expr) {
            let modern = match legacy.as_str() {
                "string" => Some("string"),
                "list" => Some("list(string)"),
                "map" => Some("map(string)"),
                _ => None,
            };
            if let Some(modern) = modern {
                self.push(modern);
                return;
            }
        }
        if let Expression::TemplateExpr(template) = expr {
            if let TemplateExpr::QuotedString(raw) = template.as_ref() {
                if let Ok(template) = raw.parse::<::hcl::Template>() {
                    if let [Element::Interpolation(interpolation)] = template.elements() {
                        self.expr(&interpolation.expr);
                        return;
                    }
                }
            }
        }
        self.expr(expr);
    }

    fn expr(&mut self, expr: &Expression) {
        match expr {
            Expression::Null => self.push("null"),
            Expression::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Expression::Number(n) => self.push(&number(n)),
            Expression::String(s) => self.push(&quote(s)),
            Expression::Array(items) => self.array(items),
            Expression::Object(object) => self.object(object),
            Expression::TemplateExpr(template) => self.push(&template_text(template)),
            Expression::Variable(var) => self.push(var.as_str()),
            Expression::Traversal(traversal) => {
                self.expr(&traversal.expr);
                for op in &traversal.operators {
                    match op {
                        TraversalOperator::GetAttr(ident) => {
                            self.push(".");
                            self.push(ident.as_str());
                        }
                        TraversalOperator::AttrSplat => self.push(".*"),
                        TraversalOperator::FullSplat => self.push("[*]"),
                        TraversalOperator::Index(index) => {
                            self.open("[");
                            self.expr(index);
                            self.close("]");
                        }
                        TraversalOperator::LegacyIndex(index) => self.push(&format!(".{index}")),
                    }
                }
            }
            Expression::FuncCall(call) => self.func_call(call),
            Expression::Parenthesis(inner) => {
                self.open("(");
                self.expr(inner);
                self.close(")");
            }
            Expression::Conditional(cond) => {
                self.expr(&cond.cond_expr);
                self.push(" ? ");
                self.expr(&cond.true_expr);
                self.push(" : ");
                self.expr(&cond.false_expr);
            }
            Expression::Operation(op) => match op.as_ref() {
                Operation::Unary(op) => {
                    self.push(op.operator.as_str());
                    self.expr(&op.expr);
                }
                Operation::Binary(op) => {
                    self.expr(&op.lhs_expr);
                    self.push(" ");
                    self.push(op.operator.as_str());
                    self.push(" ");
                    self.expr(&op.rhs_expr);
                }
            },
            Expression::ForExpr(for_expr) => self.for_expr(for_expr),
            // `Expression` is non-exhaustive: anything newer than this printer goes through hcl-rs's own
            // formatter on one line.
            #[allow(unreachable_patterns)]
            other => self.push(&::hcl::format::to_string(other).unwrap_or_default()),
        }
    }

    fn array(&mut self, items: &[Expression]) {
        if items.is_empty() {
            self.push("[]");
        } else if items.iter().any(is_multiline) {
            self.open("[");
            self.newline();
            for item in items {
                self.expr(item);
                self.push(",");
                self.newline();
            }
            self.close("]");
        } else {
            self.open("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.push(", ");
                }
                self.expr(item);
            }
            self.close("]");
        }
    }

    fn object(&mut self, object: &Object<ObjectKey, Expression>) {
        if object.is_empty() {
            self.push("{}");
            return;
        }
        self.open("{");
        self.newline();
        for (key, value) in object {
            self.key(&key_text(key));
            self.expr(value);
            self.newline();
        }
        self.close("}");
    }

    fn func_call(&mut self, call: &FuncCall) {
        for namespace in &call.name.namespace {
            self.push(namespace.as_str());
            self.push("::");
        }
        self.push(call.name.name.as_str());
        self.open("(");
        for (i, arg) in call.args.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.expr(arg);
        }
        if call.expand_final {
            self.push("...");
        }
        self.close(")");
    }

    fn for_expr(&mut self, f: &ForExpr) {
        let object = f.key_expr.is_some();
        self.open(if object { "{ for " } else { "[for " });
        if let Some(key_var) = &f.key_var {
            self.push(key_var.as_str());
            self.push(", ");
        }
        self.push(f.value_var.as_str());
        self.push(" in ");
        self.expr(&f.collection_expr);
        self.push(" : ");
        if let Some(key_expr) = &f.key_expr {
            self.expr(key_expr);
            self.push(" => ");
        }
        self.expr(&f.value_expr);
        if object && f.grouping {
            self.push("...");
        }
        if let Some(cond) = &f.cond_expr {
            self.push(" if ");
            self.expr(cond);
        }
        self.close(if object { " }" } else { "]" });
    }
}

/// Whether the printer writes `expr` over more than one line.
fn is_multiline(expr: &Expression) -> bool {
    match expr {
        Expression::Object(object) => !object.is_empty(),
        Expression::Array(items) => items.iter().any(is_multiline),
        Expression::FuncCall(call) => call.args.iter().any(is_multiline),
        Expression::Parenthesis(inner) => is_multiline(inner),
        Expression::Conditional(c) => {
            is_multiline(&c.cond_expr) || is_multiline(&c.true_expr) || is_multiline(&c.false_expr)
        }
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(op) => is_multiline(&op.expr),
            Operation::Binary(op) => is_multiline(&op.lhs_expr) || is_multiline(&op.rhs_expr),
        },
        Expression::Traversal(t) => {
            is_multiline(&t.expr)
                || t.operators
                    .iter()
                    .any(|op| matches!(op, TraversalOperator::Index(index) if is_multiline(index)))
        }
        Expression::ForExpr(f) => {
            is_multiline(&f.collection_expr)
                || is_multiline(&f.value_expr)
                || f.key_expr.as_ref().is_some_and(is_multiline)
                || f.cond_expr.as_ref().is_some_and(is_multiline)
        }
        _ => false,
    }
}

/// Indents and aligns the lines as `hclwrite`'s `formatIndent` and `formatCells` do.
fn layout(lines: &[Line]) -> String {
    let mut levels = vec![0usize; lines.len()];
    let mut indents: Vec<i32> = Vec::new();
    for (line, level) in lines.iter().zip(levels.iter_mut()) {
        if line.text.is_empty() {
            continue;
        }
        if line.net > 0 {
            *level = indents.len();
            indents.push(line.net);
            continue;
        }
        let mut closed = -line.net;
        while closed > 0 {
            let Some(top) = indents.last_mut() else {
                break;
            };
            if closed < *top {
                *top -= closed;
                closed = 0;
            } else {
                closed -= *top;
                indents.pop();
            }
        }
        *level = indents.len();
    }

    // Alignment groups: runs of lines whose `=` starts a value that closes what it opens.
    let lead_columns = |i: usize| -> Option<usize> {
        let line = &lines[i];
        let (end, net_before) = line.assign?;
        (line.net == net_before).then(|| 2 * levels[i] + columns(&line.text[..end]))
    };
    let mut gap = vec![1usize; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let Some(_) = lead_columns(i) else {
            i += 1;
            continue;
        };
        let start = i;
        let mut widest = 0;
        while let Some(width) = (i < lines.len()).then(|| lead_columns(i)).flatten() {
            widest = widest.max(width);
            i += 1;
        }
        for (j, slot) in gap.iter_mut().enumerate().take(i).skip(start) {
            *slot = widest - lead_columns(j).unwrap_or(widest) + 1;
        }
    }

    let mut out = String::new();
    for ((line, level), gap) in lines.iter().zip(&levels).zip(&gap) {
        if line.text.is_empty() {
            out.push('\n');
            continue;
        }
        out.extend(std::iter::repeat_n(' ', 2 * level));
        match line.assign {
            Some((end, _)) => {
                out.push_str(&line.text[..end]);
                out.extend(std::iter::repeat_n(' ', *gap));
                out.push_str(&line.text[end + 1..]);
            }
            None => out.push_str(&line.text),
        }
        out.push('\n');
    }
    out
}

/// Width of `text` in grapheme clusters, as `hclwrite` counts a key. Exact for everything this printer
/// writes as a quoted key (see [`plain_in_key`]); for a non-ASCII bare identifier from a parsed file it
/// leaves out combining marks and joined emoji, which is close.
fn columns(text: &str) -> usize {
    let mut n = 0;
    let mut joined = false;
    for c in text.chars() {
        if joined {
            joined = false;
            continue;
        }
        if c == '\u{200D}' {
            joined = true;
            continue;
        }
        if !is_extend(c) {
            n += 1;
        }
    }
    n
}

/// Combining marks and other characters that extend the previous grapheme cluster (the common ones).
fn is_extend(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05BD}' | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06DC}' | '\u{06DF}'..='\u{06E4}'
        | '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{094F}' | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}'
        | '\u{0E47}'..='\u{0E4E}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{200C}'
        | '\u{20D0}'..='\u{20FF}' | '\u{302A}'..='\u{302F}' | '\u{3099}' | '\u{309A}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}' | '\u{FF9E}' | '\u{FF9F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

/// Characters written as themselves in a quoted object key: each is a grapheme cluster of its own next to any
/// other such character, so the key's width is its character count. The rest are written as `\u` escapes,
/// which keeps `=` alignment exact without a Unicode segmentation table.
fn plain_in_key(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{00A0}'..='\u{00AC}' | '\u{00AE}'..='\u{02FF}' // Latin-1, Latin Extended, IPA, modifier letters
        | '\u{0370}'..='\u{0482}' | '\u{048A}'..='\u{052F}' // Greek, Cyrillic
        | '\u{0531}'..='\u{058F}' | '\u{05D0}'..='\u{05EA}' | '\u{0621}'..='\u{064A}' // Armenian, Hebrew, Arabic letters
        | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}' | '\u{20A0}'..='\u{20C0}' // punctuation, currency
        | '\u{2100}'..='\u{214F}' | '\u{2190}'..='\u{2BFF}' // letterlike, arrows, maths, shapes, symbols
        | '\u{2E80}'..='\u{2FDF}' | '\u{3000}'..='\u{3029}' | '\u{3030}'..='\u{303F}' // CJK radicals, punctuation
        | '\u{3041}'..='\u{3096}' | '\u{309B}'..='\u{30FF}' | '\u{3105}'..='\u{312F}' // kana, bopomofo
        | '\u{3131}'..='\u{318E}' | '\u{3190}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' // compatibility jamo, CJK
        | '\u{A000}'..='\u{A48F}' | '\u{AC00}'..='\u{D7A3}' | '\u{F900}'..='\u{FAFF}' // Yi, Hangul syllables
        | '\u{FF01}'..='\u{FF60}' | '\u{FFE0}'..='\u{FFE6}' // fullwidth forms
        | '\u{1F300}'..='\u{1F3FA}' | '\u{1F400}'..='\u{1F64F}' | '\u{1F680}'..='\u{1F6FF}' // emoji, no modifiers
        | '\u{1F900}'..='\u{1F9FF}' | '\u{20000}'..='\u{3134F}') // CJK extensions
}

/// Characters a quoted value never holds raw: controls, line and paragraph separators, the byte-order mark
/// and the bidirectional-text controls (which could make committed HCL read differently from what it is).
fn escaped_in_value(c: char) -> bool {
    c.is_control() || crate::unicode::is_invisible(c)
}

fn push_escaped(out: &mut String, s: &str, key: bool) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' => {
                out.push(c);
                if chars.peek() == Some(&'{') {
                    out.push(c);
                }
            }
            c if escaped_in_value(c) || (key && !plain_in_key(c)) => push_unicode_escape(out, c),
            c => out.push(c),
        }
    }
}

fn push_unicode_escape(out: &mut String, c: char) {
    let code = u32::from(c);
    if code <= 0xFFFF {
        out.push_str(&format!("\\u{code:04X}"));
    } else {
        out.push_str(&format!("\\U{code:08X}"));
    }
}

fn key_text(key: &ObjectKey) -> String {
    match key {
        ObjectKey::Identifier(ident) => ident.to_string(),
        ObjectKey::Expression(Expression::String(s)) => {
            let mut out = String::with_capacity(s.len() + 2);
            out.push('"');
            push_escaped(&mut out, s, true);
            out.push('"');
            out
        }
        ObjectKey::Expression(
            expr @ (Expression::Parenthesis(_)
            | Expression::TemplateExpr(_)
            | Expression::Number(_)
            | Expression::Bool(_)
            | Expression::Null),
        ) => expression_to_string(expr),
        // A bare name or reference would be read back as a literal key: keep it an expression.
        ObjectKey::Expression(expr) => format!("({})", expression_to_string(expr)),
        #[allow(unreachable_patterns)]
        other => ::hcl::format::to_string(other).unwrap_or_default(),
    }
}

/// Numbers as Terraform writes them: integers (and floats with no fraction, up to 2^53) without `.0`.
fn number(n: &Number) -> String {
    if let (true, Some(f)) = (n.is_f64(), n.as_f64()) {
        if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
            // Exact: the value is an integer within f64's contiguous integer range.
            #[allow(clippy::cast_possible_truncation)]
            return (f as i64).to_string();
        }
    }
    n.to_string()
}

/// A template as a quoted template. Heredocs are rewritten as quoted templates with the same value: their
/// backslashes and quotes escaped, their newlines as `\n`, indentation stripped for `<<-`.
fn template_text(template: &TemplateExpr) -> String {
    match template {
        TemplateExpr::QuotedString(raw) => format!("\"{raw}\""),
        TemplateExpr::Heredoc(heredoc) => heredoc_as_quoted(heredoc),
    }
}

fn heredoc_as_quoted(heredoc: &Heredoc) -> String {
    let text = match heredoc.strip {
        HeredocStripMode::None => heredoc.template.clone(),
        HeredocStripMode::Indent => {
            let indent = heredoc
                .template
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| line.len() - line.trim_start_matches([' ', '\t']).len())
                .min()
                .unwrap_or(0);
            heredoc
                .template
                .split_inclusive('\n')
                .map(|line| {
                    let blank = line.len() - line.trim_start_matches([' ', '\t']).len();
                    &line[blank.min(indent)..]
                })
                .collect()
        }
    };
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if escaped_in_value(c) => push_unicode_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hcl::{conditional, from_json, jsonencode, object, traversal, JsonKeys};
    use ::hcl::eval::{Context, Evaluate};
    use ::hcl::{Attribute, Value};
    use std::process::Command;

    /// Checks with the real `terraform fmt` that it leaves every file unchanged; returns `false` (and checks
    /// nothing) when terraform is not installed, so the golden strings alone decide.
    fn terraform_fmt_keeps(files: &[(&str, &str)]) -> bool {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(format!("{name}.tf")), text).unwrap();
        }
        let output = Command::new("terraform")
            .args([
                "fmt",
                "-no-color",
                "-check",
                "-diff",
                "-list=true",
                "-write=false",
            ])
            .arg(dir.path())
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .output();
        let output = match output {
            Ok(output) => output,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return false,
            Err(err) => panic!("running terraform: {err}"),
        };
        assert!(
            output.status.success(),
            "terraform fmt would change the rendering:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        true
    }

    fn resource(kind: &str, name: &str, body: Vec<Structure>) -> Body {
        let block = Block::builder("resource")
            .add_label(kind)
            .add_label(name)
            .add_structures(body)
            .build();
        Body::builder().add_block(block).build()
    }

    fn attr(key: &str, value: impl Into<Expression>) -> Structure {
        Structure::Attribute(Attribute::new(key, value))
    }

    fn block(name: &str, body: Vec<Structure>) -> Structure {
        Structure::Block(Block::builder(name).add_structures(body).build())
    }

    fn job() -> Body {
        resource(
            "databricks_job",
            "nightly_etl",
            vec![
                attr("name", "Nightly ETL"),
                attr("max_concurrent_runs", 1),
                attr("timeout_seconds", 3600),
                attr("tags", object([("team", "data"), ("cost-center", "42")])),
                attr("description", "line one\nline two"),
                block(
                    "schedule",
                    vec![
                        attr("quartz_cron_expression", "0 0 2 * * ?"),
                        attr("timezone_id", "UTC"),
                        attr(
                            "pause_status",
                            conditional(
                                traversal(&["var", "dr_active"]),
                                "UNPAUSED".into(),
                                "PAUSED".into(),
                            ),
                        ),
                    ],
                ),
                block("email_notifications", vec![]),
                block(
                    "task",
                    vec![
                        attr("task_key", "ingest"),
                        attr(
                            "existing_cluster_id",
                            traversal(&["databricks_cluster", "etl", "id"]),
                        ),
                        attr("depends_on_keys", Expression::Array(vec![])),
                        block(
                            "notebook_task",
                            vec![
                                attr("notebook_path", "/Repos/etl/ingest"),
                                attr(
                                    "base_parameters",
                                    object([
                                        (
                                            "spark.hadoop.fs.s3a.endpoint",
                                            "s3.eu-west-1.amazonaws.com",
                                        ),
                                        ("env", "prod"),
                                    ]),
                                ),
                            ],
                        ),
                        block(
                            "library",
                            vec![block("pypi", vec![attr("package", "requests==2.31")])],
                        ),
                    ],
                ),
            ],
        )
    }

    const JOB: &str = r#"resource "databricks_job" "nightly_etl" {
  name                = "Nightly ETL"
  max_concurrent_runs = 1
  timeout_seconds     = 3600
  tags = {
    team        = "data"
    cost-center = "42"
  }
  description = "line one\nline two"

  schedule {
    quartz_cron_expression = "0 0 2 * * ?"
    timezone_id            = "UTC"
    pause_status           = var.dr_active ? "UNPAUSED" : "PAUSED"
  }

  email_notifications {}

  task {
    task_key            = "ingest"
    existing_cluster_id = databricks_cluster.etl.id
    depends_on_keys     = []

    notebook_task {
      notebook_path = "/Repos/etl/ingest"
      base_parameters = {
        "spark.hadoop.fs.s3a.endpoint" = "s3.eu-west-1.amazonaws.com"
        env                            = "prod"
      }
    }

    library {
      pypi {
        package = "requests==2.31"
      }
    }
  }
}
"#;

    fn policy() -> Body {
        let definition: serde_json::Value = serde_json::from_str(
            r#"{"autotermination_minutes": {"type": "range", "maxValue": 120, "defaultValue": 60},
                "spark_conf.spark.databricks.io.cache.enabled": {"type": "fixed", "value": "true"},
                "spark_version": {"type": "allowlist", "values": ["13.3.x-scala2.12", "14.3.x-scala2.12"]},
                "custom_tags.team": {"type": "fixed", "value": "data", "hidden": true}}"#,
        )
        .unwrap();
        let mut body = resource(
            "databricks_cluster_policy",
            "small",
            vec![
                attr("name", "Small clusters"),
                attr(
                    "definition",
                    jsonencode(from_json(&definition, JsonKeys::Quoted)),
                ),
                attr("max_clusters_per_user", 948_583_744_237_091_u64),
            ],
        );
        body.0.insert(0, attr("top_level", 1.0));
        body
    }

    const POLICY: &str = r#"top_level = 1

resource "databricks_cluster_policy" "small" {
  name = "Small clusters"
  definition = jsonencode({
    "autotermination_minutes" = {
      "defaultValue" = 60
      "maxValue"     = 120
      "type"         = "range"
    }
    "custom_tags.team" = {
      "hidden" = true
      "type"   = "fixed"
      "value"  = "data"
    }
    "spark_conf.spark.databricks.io.cache.enabled" = {
      "type"  = "fixed"
      "value" = "true"
    }
    "spark_version" = {
      "type"   = "allowlist"
      "values" = ["13.3.x-scala2.12", "14.3.x-scala2.12"]
    }
  })
  max_clusters_per_user = 948583744237091
}
"#;

    /// Everything else the printer can meet, from a parsed file written without care for layout.
    const MESSY: &str = r#"top = 1
resource "x" "y" {
  name = "a"
  long_name_here = 2.50
  tags = { a = 1, "spark.x" = "y", "équipe" = 1, "e\u0301" = 2, "👨‍👩" = 3, "日本" = 4, (var.k) = 5, "" = 6 }
  l = ["a", 1, true, null, [], {}]
  objs = [{a = 1}, {bb = 2, c = 3}, "x"]
  m = merge({a = 1}, {b = 2})
  c = var.x ? {a = 1} : {b = 2}
  d = var.x ? {a = 1} : {}
  fe = [for k, v in var.m : v if k != "x"]
  fo = {for k, v in var.m : k => v... if v != null}
  t = var.a[0].b[*].c
  t2 = var.a.*.b
  op = -1 + (2 * var.x) - (!var.b ? 1 : 0)
  tpl = "${var.prefix}-x"
  only = "${var.x}"
  kept = ["${var.x}"]
  ns = provider::ns::fn(1, var.l...)
  e = 1e21
  empty {}
  inner {
    nested {
      x = 1
    }
  }
  after = 1
  labelled "a" b {
  }
  variable {
    type = "list"
  }
}
variable "v" {
  type = "map"
  default = "list"
}
"#;

    const MESSY_RENDERED: &str = r#"top = 1

resource "x" "y" {
  name           = "a"
  long_name_here = 2.5
  tags = {
    a          = 1
    "spark.x"  = "y"
    "équipe"   = 1
    "e\u0301"  = 2
    "👨\u200D👩" = 3
    "日本"       = 4
    (var.k)    = 5
    ""         = 6
  }
  l = ["a", 1, true, null, [], {}]
  objs = [
    {
      a = 1
    },
    {
      bb = 2
      c  = 3
    },
    "x",
  ]
  m = merge({
    a = 1
    }, {
    b = 2
  })
  c = var.x ? {
    a = 1
    } : {
    b = 2
  }
  d = var.x ? {
    a = 1
  } : {}
  fe   = [for k, v in var.m : v if k != "x"]
  fo   = { for k, v in var.m : k => v... if v != null }
  t    = var.a[0].b[*].c
  t2   = var.a.*.b
  op   = -1 + (2 * var.x) - (!var.b ? 1 : 0)
  tpl  = "${var.prefix}-x"
  only = var.x
  kept = ["${var.x}"]
  ns   = provider::ns::fn(1, var.l...)
  e    = 1e21

  empty {}

  inner {
    nested {
      x = 1
    }
  }

  after = 1

  labelled "a" "b" {}

  variable {
    type = "list"
  }
}

variable "v" {
  type    = map(string)
  default = "list"
}
"#;

    #[test]
    fn renders_like_terraform_fmt() {
        let messy = ::hcl::parse(MESSY).unwrap();
        let cases = [
            ("job", to_string(&job()), JOB),
            ("policy", to_string(&policy()), POLICY),
        ];
        let cases = cases
            .into_iter()
            .chain([("messy", to_string(&messy), MESSY_RENDERED)]);
        let mut files = Vec::new();
        for (name, rendered, golden) in cases {
            pretty_assertions::assert_eq!(rendered, golden, "{name}");
            files.push((name, golden));
        }
        terraform_fmt_keeps(&files);
    }

    #[test]
    fn rendered_text_parses_back_to_the_same_document() {
        let job = job();
        assert_eq!(::hcl::parse(&to_string(&job)).unwrap(), job);
        // The others differ in how the model spells things (`1.0` parses back as the integer `1`, a bare label
        // comes back quoted), not in what they say: rendering is stable.
        for body in [policy(), ::hcl::parse(MESSY).unwrap()] {
            let rendered = to_string(&body);
            assert_eq!(to_string(&::hcl::parse(&rendered).unwrap()), rendered);
        }
    }

    #[test]
    fn heredocs_become_quoted_templates_with_the_same_value() {
        let text =
            "a = <<EOT\nsay \"hi\" \\n\n  ${x}\nEOT\nb = <<-EOT\n    one\n      two\n    EOT\n";
        let parsed = ::hcl::parse(text).unwrap();
        let rendered = to_string(&parsed);
        assert_eq!(
            rendered,
            "a = \"say \\\"hi\\\" \\\\n\\n  ${x}\\n\"\nb = \"one\\n  two\\n\"\n"
        );
        let mut ctx = Context::new();
        ctx.declare_var("x", "X");
        let values = |body: &Body| -> Vec<Value> {
            body.attributes()
                .map(|a| a.expr().evaluate(&ctx).unwrap())
                .collect()
        };
        assert_eq!(values(&::hcl::parse(&rendered).unwrap()), values(&parsed));
        assert_eq!(values(&parsed)[0], Value::from("say \"hi\" \\n\n  X\n"));
        terraform_fmt_keeps(&[("heredoc", &rendered)]);
    }

    #[test]
    fn empty_documents() {
        assert_eq!(to_string(&Body::default()), "");
        assert_eq!(
            expression_to_string(&Expression::Object(Object::new())),
            "{}"
        );
        assert_eq!(expression_to_string(&Expression::Array(vec![])), "[]");
    }

    #[test]
    fn numbers_as_terraform_writes_them() {
        let cases: [(Expression, &str); 7] = [
            (1.0.into(), "1"),
            ((-2.0).into(), "-2"),
            (0.5.into(), "0.5"),
            (948_583_744_237_091_i64.into(), "948583744237091"),
            (u64::MAX.into(), "18446744073709551615"),
            (i64::MIN.into(), "-9223372036854775808"),
            (1e300.into(), "1e300"),
        ];
        for (expr, expected) in cases {
            assert_eq!(expression_to_string(&expr), expected);
        }
    }

    #[test]
    fn bare_keys() {
        for key in ["a", "_x", "cost-center", "a1", "True", "in"] {
            assert!(is_bare_key(key), "{key}");
        }
        for key in [
            "", "1a", "-a", "a.b", "a b", "true", "false", "null", "for", "équipe", "${x}",
        ] {
            assert!(!is_bare_key(key), "{key}");
        }
    }

    /// Strings a workspace could hold, each with the literal it must render as when that is worth pinning.
    const STRINGS: [(&str, Option<&str>); 19] = [
        (
            r#"${file("/etc/passwd")}"#,
            Some(r#""$${file(\"/etc/passwd\")}""#),
        ),
        (
            "%{ if true }x%{ endif }",
            Some(r#""%%{ if true }x%%{ endif }""#),
        ),
        (
            "$${already} $$${twice}",
            Some(r#""$$${already} $$$${twice}""#),
        ),
        ("a $ b % c {} $", Some(r#""a $ b % c {} $""#)),
        ("ends with %", None),
        (r"back\slash \n \${", Some(r#""back\\slash \\n \\$${""#)),
        (
            "line1\nline2\r\n\ttabbed",
            Some(r#""line1\nline2\r\n\ttabbed""#),
        ),
        (
            "nul \0 bell \u{7} del \u{7f} nel \u{85}",
            Some(r#""nul \u0000 bell \u0007 del \u007F nel \u0085""#),
        ),
        (
            "bidi \u{202E}evil\u{2066} \u{2028} \u{FEFF}",
            Some(r#""bidi \u202Eevil\u2066 \u2028 \uFEFF""#),
        ),
        // Issue 14: invisible format characters are escapes a reviewed diff shows.
        (
            "zero\u{200B}width soft\u{AD}hyphen join\u{2060}er \u{206A}old",
            Some(r#""zero\u200Bwidth soft\u00ADhyphen join\u2060er \u206Aold""#),
        ),
        ("é 日本 👨‍👩‍👧 e\u{301} ß", Some("\"é 日本 👨‍👩‍👧 e\u{301} ß\"")),
        ("", Some(r#""""#)),
        ("\"", Some(r#""\"""#)),
        ("<<EOT\nheredoc\nEOT", None),
        ("#!/bin/bash\nset -e\necho \"$HOME\" ${HOME}\n", None),
        ("{{ jinja }} {% raw %}", None),
        ("\\u0041 is not A", None),
        ("}", None),
        ("%%{", Some(r#""%%%{""#)),
    ];

    fn long_string() -> String {
        (0..300)
            .map(|i| format!("line {i} with ${{x}} and \"q\"\n"))
            .collect()
    }

    fn escape_document() -> (Body, Vec<String>) {
        let mut values: Vec<String> = STRINGS.iter().map(|(s, _)| s.to_string()).collect();
        values.push(long_string());
        let body = Body(
            values
                .iter()
                .enumerate()
                .map(|(i, s)| attr(&format!("s{i}"), s.as_str()))
                .chain([attr(
                    "m",
                    object(values.iter().map(|s| (s.as_str(), s.as_str()))),
                )])
                .collect(),
        );
        (body, values)
    }

    #[test]
    fn strings_are_quoted_as_data() {
        for (s, expected) in STRINGS {
            let quoted = quote(s);
            if let Some(expected) = expected {
                assert_eq!(quoted, expected, "{s:?}");
            }
            assert!(
                !quoted[1..quoted.len() - 1].contains(['\n', '\r', '\0']),
                "{quoted}"
            );
        }
        assert!(!quote(&long_string()).contains('\n'));
    }

    #[test]
    fn strings_round_trip_through_hcl_rs() {
        let (body, values) = escape_document();
        let text = to_string(&body);
        let parsed = ::hcl::parse(&text).unwrap();
        let ctx = Context::new();
        for (i, value) in values.iter().enumerate() {
            let attr = parsed
                .attributes()
                .find(|a| a.key() == format!("s{i}"))
                .unwrap();
            let got = attr.expr().evaluate(&ctx).unwrap();
            assert_eq!(got, Value::String(value.clone()), "{value:?}");
        }
        // As map keys and values too (keys may use `\u` escapes, see `plain_in_key`).
        let map = parsed.attributes().find(|a| a.key() == "m").unwrap();
        let Value::Object(map) = map.expr().evaluate(&ctx).unwrap() else {
            panic!("not an object")
        };
        let keys: Vec<&String> = map.keys().collect();
        assert_eq!(keys, values.iter().collect::<Vec<_>>());
        assert!(map.iter().all(|(k, v)| v == &Value::String(k.clone())));
        terraform_fmt_keeps(&[("strings", &text)]);
    }

    /// Terraform itself reads every quoted string back as the original: compared in `terraform console`
    /// against `base64decode` of the original bytes.
    #[test]
    fn terraform_reads_strings_back() {
        use base64::Engine as _;
        let (_, values) = escape_document();
        let checks: Vec<String> = values
            .iter()
            .map(|s| {
                let b64 = base64::engine::general_purpose::STANDARD.encode(s);
                format!("{} == base64decode(\"{b64}\")", quote(s))
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("terraform")
            .args(["console", "-no-color"])
            .current_dir(dir.path())
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
            Err(err) => panic!("running terraform: {err}"),
        };
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "[{}]", checks.join(", ")).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let results: Vec<&str> = stdout
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .collect();
        let expected = vec!["true"; values.len()];
        assert_eq!(
            results,
            expected,
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Random documents mixing everything above; `terraform fmt` must leave every one unchanged and
    /// hcl-rs must read every one back to a document that renders the same.
    #[test]
    fn random_documents_match_terraform_fmt() {
        use rand::rngs::SmallRng;
        use rand::{Rng, SeedableRng};

        const NAMES: [&str; 7] = [
            "a",
            "bb",
            "name",
            "spark_version",
            "x_1",
            "autotermination_minutes",
            "id",
        ];
        const KEYS: [&str; 14] = [
            "a",
            "bb",
            "cost-center",
            "spark.x.y",
            "équipe",
            "日本",
            "e\u{301}",
            "👨‍👩",
            "",
            "with space",
            "ccccccccccccccc",
            "null",
            "${x}",
            "\"q\"",
        ];
        const STRS: [&str; 6] = [
            "",
            "x",
            "${file(\"/etc/passwd\")}",
            "a\nb\tc",
            "é 日本 e\u{301}",
            "\u{202E}\u{1}",
        ];

        fn expr(rng: &mut SmallRng, depth: u32) -> Expression {
            match rng.random_range(0..if depth > 2 { 5 } else { 11 }) {
                0 => [Expression::Null, true.into(), false.into()][rng.random_range(0..3)].clone(),
                1 => [
                    Expression::from(rng.random_range(-5..1_000_000_i64)),
                    0.25.into(),
                    2.0.into(),
                ][rng.random_range(0..3)]
                .clone(),
                2 => STRS[rng.random_range(0..STRS.len())].into(),
                3 => traversal(&["var", NAMES[rng.random_range(0..NAMES.len())]]),
                4 => [Expression::Array(vec![]), Expression::Object(Object::new())]
                    [rng.random_range(0..2)]
                .clone(),
                5 => Expression::Array(
                    (0..rng.random_range(1..4))
                        .map(|_| expr(rng, depth + 1))
                        .collect(),
                ),
                6 | 7 => object(
                    (0..rng.random_range(1..5))
                        .map(|_| (KEYS[rng.random_range(0..KEYS.len())], expr(rng, depth + 1))),
                ),
                8 => crate::hcl::func_call(
                    "merge",
                    (0..rng.random_range(1..4))
                        .map(|_| expr(rng, depth + 1))
                        .collect(),
                ),
                9 => conditional(
                    traversal(&["var", "dr_active"]),
                    expr(rng, depth + 1),
                    expr(rng, depth + 1),
                ),
                _ => jsonencode(expr(rng, depth + 1)),
            }
        }

        fn body(rng: &mut SmallRng, depth: u32) -> Vec<Structure> {
            let mut attribute_names: Vec<&str> = NAMES.to_vec();
            (0..rng.random_range(1..7))
                .map(|_| {
                    let name = NAMES[rng.random_range(0..NAMES.len())];
                    if attribute_names.is_empty() || (depth < 3 && rng.random_bool(0.3)) {
                        block(name, body(rng, depth + 1))
                    } else {
                        // Attribute names are unique in a body.
                        let name =
                            attribute_names.swap_remove(rng.random_range(0..attribute_names.len()));
                        attr(name, expr(rng, depth))
                    }
                })
                .collect()
        }

        let mut rng = SmallRng::seed_from_u64(7);
        let documents: Vec<String> = (0..150)
            .map(|i| {
                let mut doc = Body(body(&mut rng, 1));
                doc.0.push(Structure::Block(
                    Block::builder("resource")
                        .add_label("t")
                        .add_label(format!("r{i}"))
                        .add_structures(body(&mut rng, 1))
                        .build(),
                ));
                let rendered = to_string(&doc);
                let reparsed =
                    ::hcl::parse(&rendered).unwrap_or_else(|err| panic!("{err}\n{rendered}"));
                assert_eq!(to_string(&reparsed), rendered);
                rendered
            })
            .collect();
        let names: Vec<String> = (0..documents.len()).map(|i| format!("doc{i}")).collect();
        let files: Vec<(&str, &str)> = names
            .iter()
            .map(String::as_str)
            .zip(documents.iter().map(String::as_str))
            .collect();
        terraform_fmt_keeps(&files);
    }
}
