//! A linear-time check of generated HCL: every quoted string closes on its line and holds no template
//! sequence (`${`, `%{`), brackets balance, and there are no heredocs. It is how an export proves, without
//! parsing 30 MB of HCL again, that nothing read from a workspace can run as Terraform code: drsync's renderer
//! writes every string as data and never writes a template, so any `${` in its output is a bug.
//! It reads text only; it does not parse expressions (debug builds and tests also parse the output whole).

use super::Error;
use std::path::Path;

/// Checks text that drsync generated (see the module documentation); `path` names the text in errors.
pub fn check_generated(text: &str, path: &Path) -> Result<(), Error> {
    let bytes = text.as_bytes();
    let fail = |at: usize, message: &str| {
        let before = &text[..at];
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
        Err(Error::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: message.to_string(),
        })
    };
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                // A comment: to the end of the line.
                i = memchr_newline(bytes, i);
                continue;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => return fail(start, "string not closed on its line"),
                        Some(b'"') => break,
                        Some(b'\\') => i += 2,
                        Some(&c @ (b'$' | b'%')) => match (bytes.get(i + 1), bytes.get(i + 2)) {
                            (Some(b'{'), _) => {
                                return fail(i, "template sequence in a generated string")
                            }
                            (Some(&d), Some(b'{')) if d == c => i += 3,
                            _ => i += 1,
                        },
                        Some(_) => i += 1,
                    }
                }
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => return fail(i, "heredoc in generated HCL"),
            c @ (b'{' | b'[' | b'(') => open.push((c, i)),
            c @ (b'}' | b']' | b')') => {
                let want = match c {
                    b'}' => b'{',
                    b']' => b'[',
                    _ => b'(',
                };
                match open.pop() {
                    Some((o, _)) if o == want => {}
                    _ => return fail(i, "closing bracket without its opening one"),
                }
            }
            _ => {}
        }
        i += 1;
    }
    match open.pop() {
        Some((_, at)) => fail(at, "bracket never closed"),
        None => Ok(()),
    }
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |n| from + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), String> {
        check_generated(text, Path::new("t.tf")).map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_rendered_data_and_rejects_code() {
        assert_eq!(check("# a comment with \" and ${x}\na = \"$${x} %%{y} $$${z} \\\" \\\\ ok\"\nb { c = [1, (2)] }\n"), Ok(()));
        let cases = [
            (
                "a = \"${x}\"\n",
                "t.tf:1:6: invalid HCL: template sequence in a generated string",
            ),
            (
                "a = \"%{if x}\"\n",
                "t.tf:1:6: invalid HCL: template sequence in a generated string",
            ),
            (
                "a = \"open\nb = 1\n",
                "t.tf:1:5: invalid HCL: string not closed on its line",
            ),
            (
                "a = \"\\\"\n",
                "t.tf:1:5: invalid HCL: string not closed on its line",
            ),
            (
                "b {\n  c = [1\n}\n",
                "t.tf:3:1: invalid HCL: closing bracket without its opening one",
            ),
            (
                "b {\n  c = 1\n",
                "t.tf:1:3: invalid HCL: bracket never closed",
            ),
            (
                "a = <<EOT\nx\nEOT\n",
                "t.tf:1:5: invalid HCL: heredoc in generated HCL",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(check(text), Err(want.to_string()), "{text:?}");
        }
    }

    #[test]
    fn every_quoted_string_passes_and_parses_to_itself() {
        let samples = [
            "${var.x}",
            "$${",
            "$$${",
            "%{ if true }x%{ endif }",
            "a\"b\\c\nd\te",
            "}{][)(#//",
            "$",
            "%",
            "ends with $",
            "\u{202e}bidi",
        ];
        for s in samples {
            let text = format!("a = {}\n", super::super::quote(s));
            assert_eq!(check(&text), Ok(()), "{text}");
            let body = ::hcl::parse(&text).unwrap();
            let value = body.attributes().next().unwrap().expr().clone();
            assert_eq!(value, ::hcl::Expression::String(s.to_string()), "{text}");
        }
    }
}
