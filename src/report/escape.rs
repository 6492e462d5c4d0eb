//! Escaping of untrusted text (workspace names, ids, paths, values, HCL) for each output format: terminal,
//! HTML, XML 1.0 and Markdown. Each function returns text that cannot be read as markup, or as a control
//! sequence, in its format; none of them formats anything else.

use std::fmt::Write;

/// Characters a report never shows as they are: controls (except tab) and invisible characters
/// ([`crate::unicode::is_invisible`]: bidirectional controls, zero-width space, byte-order mark, ...).
fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\t') || crate::unicode::is_invisible(c)
}

/// For a terminal: control and invisible characters become `\u{..}`, so a name cannot move the cursor, set
/// colours, forge a line or reorder what is shown; tab stays. Every workspace string drsync prints goes through
/// here (or `quoted`).
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// For a terminal, as a quoted string: `"`, `\` escaped, and whatever [`terminal`] escapes.
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// For HTML text and attribute values: `& < > " '` as references; control characters other than tab and
/// newline (which HTML does not allow) and bidirectional controls as U+FFFD.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push('\n'),
            c if is_hidden(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// For an XML 1.0 attribute value (double- or single-quoted): `& < > " '` as references; tab, newline and
/// carriage return as character references (a parser would otherwise turn them into spaces); every other
/// control character (XML 1.0 forbids most of them), U+FFFE and U+FFFF as U+FFFD.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            c => push_xml_text(&mut out, c),
        }
    }
    out
}

/// For XML 1.0 text content: as [`xml`], but quotes, tab and newline stay as they are.
pub(crate) fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_xml_text(&mut out, c);
    }
    out
}

fn push_xml_text(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        // A parser reads a literal carriage return as a line end.
        '\r' => out.push_str("&#13;"),
        '\t' | '\n' => out.push(c),
        '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
        c if is_hidden(c) => out.push('\u{fffd}'),
        c => out.push(c),
    }
}

/// For GitHub-flavoured Markdown, inside a table cell, a paragraph or raw HTML such as `<summary>`: `&`, `<`,
/// `>` and every character Markdown gives a meaning to (`|`, backtick, `*`, `_`, `[`, `$`, ...) as
/// references, which Markdown shows as the character and never reads as syntax; line breaks as spaces, other
/// control and bidirectional characters as U+FFFD.
pub(crate) fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match c {
            // Between two letters or digits, `_` can never open or close emphasis: keep `nightly_etl` readable.
            '_' if prev.is_some_and(char::is_alphanumeric)
                && next.is_some_and(char::is_alphanumeric) =>
            {
                out.push('_')
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '`' | '\\' | '*' | '_' | '[' | ']' | '~' | '#' | '!' | '$' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_hidden(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// For the inside of a fenced code block: control and bidirectional characters (not tab or newline) as U+FFFD.
pub(crate) fn code_block(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c != '\n' && is_hidden(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls() {
        assert_eq!(terminal("a\u{1b}[31mb\tc"), "a\\u{1b}[31mb\tc");
        assert_eq!(terminal("x\u{9b}y\u{202e}z"), "x\\u{9b}y\\u{202e}z");
        assert_eq!(quoted("say \"hi\"\\\n"), "\"say \\\"hi\\\"\\\\\\u{a}\"");
    }

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            html("</details><script>alert('1')</script> & \u{0}"),
            "&lt;/details&gt;&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; \u{fffd}"
        );
    }

    #[test]
    fn xml_replaces_forbidden_characters() {
        assert_eq!(xml("a\u{0}b\u{1b}c\u{fffe}"), "a\u{fffd}b\u{fffd}c\u{fffd}");
        assert_eq!(xml("<\"a\"\n>"), "&lt;&quot;a&quot;&#10;&gt;");
        assert_eq!(xml_text("a\n\tb&\"\r"), "a\n\tb&amp;\"&#13;");
    }

    #[test]
    fn markdown_neutralises_syntax() {
        let s = markdown("`a` | *b* <i>\nx");
        assert!(!s.contains(['`', '|', '*', '<', '>', '\n']), "{s}");
        assert_eq!(markdown("plain-name 1.2"), "plain-name 1.2");
        assert_eq!(markdown("nightly_etl _x_"), "nightly_etl &#95;x&#95;");
        assert_eq!(code_block("a\n\tb\u{1b}\n"), "a\n\tb\u{fffd}\n");
    }
}
