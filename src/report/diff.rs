//! Line diffs of two HCL texts with `similar`, as plain data the renderers lay out: unified hunks for text,
//! Markdown and JUnit, side-by-side rows with word highlights for HTML. It must not format or escape anything.

use similar::udiff::UnifiedHunkHeader;
use similar::{ChangeTag, DiffTag, TextDiff};
use std::borrow::Cow;

/// Lines of unchanged context around each change.
pub(crate) const CONTEXT: usize = 3;

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// In both texts.
    Equal,
    /// Only in the expected text.
    Delete,
    /// Only in the actual text.
    Insert,
}

impl Tag {
    /// The unified-diff prefix: ` `, `-` or `+`.
    pub(crate) fn prefix(self) -> char {
        match self {
            Tag::Equal => ' ',
            Tag::Delete => '-',
            Tag::Insert => '+',
        }
    }
}

/// One unified-diff hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hunk {
    /// `@@ -a,b +c,d @@`.
    pub(crate) header: String,
    /// The lines, without their line ends.
    pub(crate) lines: Vec<(Tag, String)>,
}

/// Ends `s` with a newline, so that a missing final newline on one side does not show as a change.
fn terminated(s: &str) -> Cow<'_, str> {
    if s.is_empty() || s.ends_with('\n') {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("{s}\n"))
    }
}

fn strip_eol(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// The unified diff of `expected` against `actual`; empty when they are the same.
pub(crate) fn unified(expected: &str, actual: &str) -> Vec<Hunk> {
    let (old, new) = (terminated(expected), terminated(actual));
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    diff.grouped_ops(CONTEXT)
        .iter()
        .filter(|ops| ops.iter().any(|op| op.tag() != DiffTag::Equal))
        .map(|ops| Hunk {
            header: UnifiedHunkHeader::new(ops).to_string(),
            lines: ops
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|change| {
                    let tag = match change.tag() {
                        ChangeTag::Equal => Tag::Equal,
                        ChangeTag::Delete => Tag::Delete,
                        ChangeTag::Insert => Tag::Insert,
                    };
                    (tag, strip_eol(change.value()).to_string())
                })
                .collect(),
        })
        .collect()
}

/// One side of a side-by-side row: the line number (from 1) and the line in pieces, each marked changed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    /// 1-based line number in its text.
    pub(crate) number: usize,
    /// The line (without its end) in pieces; `true` marks a piece that differs from the other side.
    pub(crate) pieces: Vec<(bool, String)>,
}

/// One side-by-side row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// The expected line, if this row has one.
    pub(crate) left: Option<Cell>,
    /// The actual line, if this row has one.
    pub(crate) right: Option<Cell>,
    /// Whether the row is a change rather than context.
    pub(crate) changed: bool,
}

/// A side-by-side hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SideHunk {
    /// `@@ -a,b +c,d @@`.
    pub(crate) header: String,
    /// The rows.
    pub(crate) rows: Vec<Row>,
}

/// The side-by-side diff of `expected` (left) against `actual` (right); empty when they are the same. A
/// replaced block pairs its lines in order and marks the words that differ within each pair.
pub(crate) fn side_by_side(expected: &str, actual: &str) -> Vec<SideHunk> {
    let (old, new) = (terminated(expected), terminated(actual));
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    let (olds, news) = (diff.old_slices(), diff.new_slices());
    let whole = |number: usize, line: &str, changed: bool| Cell {
        number: number + 1,
        pieces: vec![(changed, strip_eol(line).to_string())],
    };
    diff.grouped_ops(CONTEXT)
        .iter()
        .filter(|ops| ops.iter().any(|op| op.tag() != DiffTag::Equal))
        .map(|ops| {
            let mut rows = Vec::new();
            for op in ops {
                let (tag, o, n) = op.as_tag_tuple();
                match tag {
                    DiffTag::Equal => rows.extend(o.zip(n).map(|(i, j)| Row {
                        left: Some(whole(i, olds[i], false)),
                        right: Some(whole(j, news[j], false)),
                        changed: false,
                    })),
                    DiffTag::Delete => rows.extend(o.map(|i| Row {
                        left: Some(whole(i, olds[i], true)),
                        right: None,
                        changed: true,
                    })),
                    DiffTag::Insert => rows.extend(n.map(|j| Row {
                        left: None,
                        right: Some(whole(j, news[j], true)),
                        changed: true,
                    })),
                    DiffTag::Replace => {
                        for k in 0..o.len().max(n.len()) {
                            let i = (k < o.len()).then(|| o.start + k);
                            let j = (k < n.len()).then(|| n.start + k);
                            let row = match (i, j) {
                                (Some(i), Some(j)) => {
                                    let (l, r) = words(strip_eol(olds[i]), strip_eol(news[j]));
                                    Row {
                                        left: Some(Cell {
                                            number: i + 1,
                                            pieces: l,
                                        }),
                                        right: Some(Cell {
                                            number: j + 1,
                                            pieces: r,
                                        }),
                                        changed: true,
                                    }
                                }
                                (i, j) => Row {
                                    left: i.map(|i| whole(i, olds[i], true)),
                                    right: j.map(|j| whole(j, news[j], true)),
                                    changed: true,
                                },
                            };
                            rows.push(row);
                        }
                    }
                }
            }
            SideHunk {
                header: UnifiedHunkHeader::new(ops).to_string(),
                rows,
            }
        })
        .collect()
}

/// Two lines in pieces, marking the words that differ.
type Pieces = Vec<(bool, String)>;

fn words(old: &str, new: &str) -> (Pieces, Pieces) {
    fn push(pieces: &mut Pieces, changed: bool, s: &str) {
        match pieces.last_mut() {
            Some((c, text)) if *c == changed => text.push_str(s),
            _ => pieces.push((changed, s.to_string())),
        }
    }
    let diff = TextDiff::from_words(old, new);
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Equal => {
                push(&mut left, false, change.value());
                push(&mut right, false, change.value());
            }
            ChangeTag::Delete => push(&mut left, true, change.value()),
            ChangeTag::Insert => push(&mut right, true, change.value()),
        }
    }
    (left, right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_texts_have_no_hunks() {
        assert!(unified("a\nb\n", "a\nb").is_empty());
        assert!(side_by_side("a\nb\n", "a\nb").is_empty());
        assert!(unified("", "").is_empty());
    }

    #[test]
    fn unified_has_context_and_prefixes() {
        let hunks = unified("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(hunks.len(), 1);
        assert_eq!(hunks[0].header, "@@ -1,3 +1,3 @@");
        let lines: Vec<String> = hunks[0]
            .lines
            .iter()
            .map(|(t, l)| format!("{}{l}", t.prefix()))
            .collect();
        assert_eq!(lines, [" a", "-b", "+B", " c"]);
    }

    #[test]
    fn one_sided_diffs() {
        let hunks = unified("", "x\ny\n");
        assert_eq!(hunks[0].header, "@@ -0,0 +1,2 @@");
        assert!(hunks[0].lines.iter().all(|(t, _)| *t == Tag::Insert));
    }

    #[test]
    fn side_by_side_pairs_replaced_lines_and_marks_words() {
        let hunks = side_by_side(
            "x = 1\nstatus = \"PAUSED\"\nz = 3\n",
            "x = 1\nstatus = \"UNPAUSED\"\nextra = true\nz = 3\n",
        );
        assert_eq!(hunks.len(), 1);
        let rows = &hunks[0].rows;
        assert_eq!(rows.len(), 4);
        assert!(!rows[0].changed);
        let left = rows[1].left.as_ref().unwrap();
        let right = rows[1].right.as_ref().unwrap();
        assert_eq!(left.number, 2);
        assert!(left.pieces.contains(&(true, "\"PAUSED\"".to_string())));
        assert!(right.pieces.contains(&(true, "\"UNPAUSED\"".to_string())));
        assert!(right.pieces.contains(&(false, "status = ".to_string())));
        assert!(rows[2].left.is_none());
        assert_eq!(rows[2].right.as_ref().unwrap().number, 3);
        assert_eq!(rows[3].left.as_ref().unwrap().number, 3);
    }
}
