//! Parsing large files in pieces: a file is cut between top-level structures only where a light scan is certain
//! the cut falls outside every block, bracket, string and comment; the pieces are parsed on their own (in
//! parallel) and their bodies joined. Anything the scan is not sure about (heredocs, block comments, template
//! interpolations, a string left open at a line's end) means no cut, and any piece that fails to parse means the
//! whole file is parsed again as one, so that results and errors are exactly those of a whole-file parse.

use ::hcl::Body;
use rayon::prelude::*;
use std::path::Path;

/// Pieces of about this many bytes at least: large enough that the per-piece cost is nothing.
pub(super) const PIECE_BYTES: usize = 256 * 1024;

/// The byte offsets where a new top-level structure starts at column 0 (the first excepted), or `None` when the
/// scan cannot be certain of them.
fn boundaries(text: &str) -> Option<Vec<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut depth: usize = 0;
    let mut line_start = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if line_start {
            line_start = false;
            if depth == 0 && i > 0 && c.is_ascii_alphabetic() {
                out.push(i);
            }
        }
        match c {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'"' => i = string_end(b, i + 1)?,
            b'#' => i = line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'/') => i = line_end(b, i),
            // A block comment or a heredoc: possibly many lines of anything.
            b'/' if b.get(i + 1) == Some(&b'*') => return None,
            b'<' if b.get(i + 1) == Some(&b'<') => return None,
            b'{' | b'[' | b'(' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            _ => i += 1,
        }
    }
    (depth == 0).then_some(out)
}

/// The offset of the newline ending the line that `i` is on (or the end of the text).
fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(b.len(), |p| i + p)
}

/// The offset just past the quote closing a string whose content starts at `i`; `None` for a string the scan
/// does not follow (an interpolation or directive, which may hold strings and braces of its own) or one not
/// closed on its line.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    let start = i;
    while i < b.len() {
        match b[i] {
            b'"' => return Some(i + 1),
            b'\n' => return None,
            b'\\' => {
                if matches!(b.get(i + 1), None | Some(b'\n')) {
                    return None;
                }
                i += 2;
                continue;
            }
            b'{' if i > start && matches!(b[i - 1], b'$' | b'%') => {
                // `$${` and `%%{` are escapes (a literal `${`, `%{`); anything else starts a template.
                let mark = b[i - 1];
                let run = b[start..i].iter().rev().take_while(|c| **c == mark).count();
                if run != 2 {
                    return None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The text cut at top-level boundaries into pieces of at least `min_bytes` (the last may be shorter), or
/// `None` when it cannot be cut with certainty or is too small to be worth cutting.
pub(super) fn pieces(text: &str, min_bytes: usize) -> Option<Vec<&str>> {
    if text.len() < 2 * min_bytes {
        return None;
    }
    let cuts = boundaries(text)?;
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts {
        if cut - start >= min_bytes && text.len() - cut >= min_bytes / 2 {
            out.push(&text[start..cut]);
            start = cut;
        }
    }
    out.push(&text[start..]);
    (out.len() > 1).then_some(out)
}

/// Parse several files (name, text), large ones in pieces on every core: the same bodies and the same first
/// error (in the given order) as parsing each file whole with [`crate::hcl::parse_str`].
pub(crate) fn parse_files(files: &[(&str, &str)]) -> Result<Vec<Body>, crate::hcl::Error> {
    parse_files_with(files, PIECE_BYTES)
}

fn parse_files_with(
    files: &[(&str, &str)],
    min_bytes: usize,
) -> Result<Vec<Body>, crate::hcl::Error> {
    // Every piece of every file, as one list of work: (file index, piece).
    let mut work: Vec<(usize, &str)> = Vec::new();
    for (f, (_, text)) in files.iter().enumerate() {
        match pieces(text, min_bytes) {
            Some(ps) => work.extend(ps.into_iter().map(|p| (f, p))),
            None => work.push((f, text)),
        }
    }
    let parsed: Vec<(usize, Result<Body, crate::hcl::Error>)> = work
        .into_par_iter()
        .map(|(f, piece)| (f, crate::hcl::parse_str(piece, Path::new(files[f].0))))
        .collect();
    let mut bodies: Vec<Option<Body>> = files.iter().map(|_| Some(Body::default())).collect();
    for (f, result) in parsed {
        match (result, &mut bodies[f]) {
            (Ok(body), Some(whole)) => whole.0.extend(body.0),
            (_, slot) => *slot = None,
        }
    }
    files
        .iter()
        .zip(bodies)
        .map(|((name, text), body)| match body {
            Some(body) => Ok(body),
            // A piece did not parse: the whole file decides (and names the right line).
            None => crate::hcl::parse_str(text, Path::new(name)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: &str = r#"# drsync: generated
variable "x" {
  type    = string
  default = "}"
}

resource "databricks_job" "a" {
  name = "a } b { \" c"
  tags = {
    "key}" = "$${not_a_template}"
    other  = "%%{ nor_a_directive }"
  }
  # } a comment with a brace and a "quote
  // { another
  task {
    task_key = "t"
    existing_cluster_id = databricks_cluster.c.id
    parameters = ["[", "]", "(", ")"]
  }
}
resource "databricks_cluster" "c" {
  cluster_name = "c"
  spark_conf = {
    "spark.x" = "a\\"
  }
}

resource "databricks_cluster_policy" "p" {
  name = "p"
  definition = jsonencode({
    "spark_version" : { "type" : "fixed", "value" : "auto:latest" }
  })
}
"#;

    fn whole(text: &str) -> Result<Body, String> {
        crate::hcl::parse_str(text, Path::new("jobs.tf")).map_err(|e| e.to_string())
    }

    fn split(text: &str) -> Result<Body, String> {
        parse_files_with(&[("jobs.tf", text)], 1)
            .map(|mut b| b.remove(0))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn cuts_only_between_top_level_structures() {
        let ps = pieces(TRICKY, 1).expect("the scan follows this file");
        assert_eq!(ps.concat(), TRICKY);
        assert_eq!(ps.len(), 5, "{ps:#?}");
        assert!(ps[1].starts_with("variable \"x\""));
        assert!(ps[2].starts_with("resource \"databricks_job\" \"a\""));
        assert!(ps[3].starts_with("resource \"databricks_cluster\" \"c\""));
        assert_eq!(split(TRICKY), whole(TRICKY));
        assert_eq!(split(TRICKY).unwrap().0.len(), 4);
    }

    #[test]
    fn uncertain_files_are_parsed_whole() {
        let cases = [
            // A heredoc holding a `}` and a line that looks like a top-level block.
            "resource \"a\" \"b\" {\n  x = <<EOT\n}\nresource \"c\" \"d\" {\nEOT\n}\nresource \"e\" \"f\" {\n}\n",
            // A template interpolation with a string of its own.
            "resource \"a\" \"b\" {\n  x = \"${\"}\"}\"\n}\nresource \"c\" \"d\" {\n}\n",
            // A block comment.
            "/* }\nresource \"a\" \"b\" {\n*/\nresource \"c\" \"d\" {\n}\n",
            // `$$${` is not a plain escape.
            "resource \"a\" \"b\" {\n  x = \"$$${y}\"\n}\nresource \"c\" \"d\" {\n}\n",
        ];
        for text in cases {
            assert_eq!(pieces(text, 1), None, "{text}");
            assert_eq!(split(text), whole(text), "{text}");
        }
    }

    #[test]
    fn errors_are_those_of_the_whole_file() {
        let bad = format!("{TRICKY}resource \"x\" \"y\" {{\n  name = \n}}\n{TRICKY}");
        let e = split(&bad).unwrap_err();
        assert_eq!(Err(e.clone()), whole(&bad));
        let line = TRICKY.lines().count() + 2;
        assert!(e.starts_with(&format!("jobs.tf:{line}:")), "{e}");
        // Unbalanced: no cut, the same error.
        let open = "resource \"a\" \"b\" {\n  x = 1\nresource \"c\" \"d\" {\n}\n";
        assert_eq!(pieces(open, 1), None);
        assert_eq!(split(open), whole(open));
        let closed = "}\nresource \"c\" \"d\" {\n}\n";
        assert_eq!(split(closed), whole(closed));
    }

    #[test]
    fn several_files_keep_their_order_and_first_error() {
        let a = TRICKY.replace("\"a\"", "\"a2\"");
        let files = [("a.tf", a.as_str()), ("b.tf", TRICKY)];
        let bodies = parse_files_with(&files, 1).unwrap();
        assert_eq!(bodies[0], whole(&a).unwrap());
        assert_eq!(bodies[1], whole(TRICKY).unwrap());
        let files = [("a.tf", "x = \n"), ("b.tf", "y = \n")];
        let e = parse_files_with(&files, 1).unwrap_err().to_string();
        assert!(e.starts_with("a.tf:1:"), "{e}");
    }
}
