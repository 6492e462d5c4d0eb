//! Terraform resource labels from workspace object names: [`label`] makes one, [`LabelAllocator`] makes a set
//! of them unique and stable as objects come and go. Pure: it knows nothing of resource types or workspaces.

use std::collections::BTreeSet;

/// The Terraform resource label for an object name: lowercase, only `[a-z0-9_]`, common accented letters
/// transliterated (`é` → `e`, `ß` → `ss`), every other run of characters one `_`, no `_` at either end; a
/// leading digit gets a `_` prefix and an empty result is `_`.
///
/// `"Nightly ETL (prod)"` → `nightly_etl_prod`, `"Über-Job"` → `uber_job`, `"2024 report"` → `_2024_report`.
pub fn label(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    let mut push = |out: &mut String, c: char| {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if separator && !out.is_empty() {
                out.push('_');
            }
            separator = false;
            out.push(c);
        } else {
            separator = true;
        }
    };
    for c in name.chars().flat_map(char::to_lowercase) {
        if is_combining_mark(c) {
            continue;
        }
        match transliterate(c) {
            Some(ascii) => ascii.chars().for_each(|c| push(&mut out, c)),
            None => push(&mut out, c),
        }
    }
    if out.is_empty() {
        out.push('_');
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{FE20}'..='\u{FE2F}')
}

/// ASCII for the common Latin letters with diacritics (input already lowercase).
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ǎ' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ǒ' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ǔ' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// An object to label: its name, when it was created and an id that never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelItem<'a> {
    /// The object's name (job name, cluster name, ...).
    pub name: &'a str,
    /// Creation time (milliseconds since the epoch as the API gives it; 0 when unknown).
    pub creation_time: i64,
    /// The object's id (`job_id`, `cluster_id`, ...), breaking ties in creation time.
    pub stable_id: &'a str,
}

/// Hands out unique labels, deterministically: objects are labelled oldest first (by creation time, then id,
/// numeric ids in numeric order), each taking `label(name)` when it is free and otherwise the first free
/// `label(name)_2`, `_3`, ... So an object's label depends only on older objects: a newly created duplicate
/// never renames an existing one, and a suffixed label never collides with a natural one (names `a`, `a`,
/// `a_2` get `a`, `a_2`, `a_2_2`, or `a_2`, `a`, `a_3` when the `a_2` object is the oldest).
///
/// Labels need only be unique per resource type: use one allocator per type.
#[derive(Debug, Clone, Default)]
pub struct LabelAllocator {
    taken: BTreeSet<String>,
}

impl LabelAllocator {
    /// An allocator with no label taken.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `label` as taken (e.g. one written by hand); returns `false` if it already was.
    pub fn reserve(&mut self, label: &str) -> bool {
        self.taken.insert(label.to_string())
    }

    /// Labels for `items`, in the order of `items`. Labels handed out by earlier calls stay taken.
    pub fn allocate(&mut self, items: &[LabelItem<'_>]) -> Vec<String> {
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&items[a], &items[b]);
            (x.creation_time, x.stable_id.len(), x.stable_id, x.name, a).cmp(&(
                y.creation_time,
                y.stable_id.len(),
                y.stable_id,
                y.name,
                b,
            ))
        });
        let mut labels = vec![String::new(); items.len()];
        for i in order {
            let base = label(items[i].name);
            let chosen = if self.taken.contains(&base) {
                (2u64..)
                    .map(|n| format!("{base}_{n}"))
                    .find(|candidate| !self.taken.contains(candidate))
                    .expect("some suffix is free")
            } else {
                base
            };
            self.taken.insert(chosen.clone());
            labels[i] = chosen;
        }
        labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_names() {
        let cases = [
            ("etl", "etl"),
            ("Nightly ETL (prod)", "nightly_etl_prod"),
            ("Über-Job", "uber_job"),
            ("Straße / Grüße", "strasse_grusse"),
            ("café déjà vu", "cafe_deja_vu"),
            ("e\u{301}te\u{301}", "ete"),
            ("ÆØÅ Łódź", "aeoa_lodz"),
            ("2024 report", "_2024_report"),
            ("__private__", "private"),
            ("a  --  b", "a_b"),
            ("my__job", "my_job"),
            ("", "_"),
            ("!!!", "_"),
            ("日本語", "_"),
            ("job 日本 1", "job_1"),
            ("${file(\"/etc/passwd\")}", "file_etc_passwd"),
            ("İstanbul", "istanbul"),
        ];
        for (name, expected) in cases {
            assert_eq!(label(name), expected, "{name:?}");
        }
    }

    #[test]
    fn labels_are_valid_terraform_identifiers() {
        for name in ["", "9", "-", "Ω", "a.b", "_", "x\ny", "A1"] {
            let l = label(name);
            assert!(
                l.starts_with(|c: char| c.is_ascii_lowercase() || c == '_'),
                "{l}"
            );
            assert!(
                l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{l}"
            );
        }
    }

    fn item(name: &'static str, creation_time: i64, stable_id: &'static str) -> LabelItem<'static> {
        LabelItem {
            name,
            creation_time,
            stable_id,
        }
    }

    #[test]
    fn duplicates_are_suffixed_by_creation_time() {
        let items = [
            item("ETL", 300, "3"),
            item("etl", 100, "1"),
            item("etl", 200, "2"),
            item("other", 50, "9"),
        ];
        assert_eq!(
            LabelAllocator::new().allocate(&items),
            ["etl_3", "etl", "etl_2", "other"]
        );
        // Same creation time: the id decides, numerically.
        let items = [item("x", 1, "10"), item("x", 1, "9")];
        assert_eq!(LabelAllocator::new().allocate(&items), ["x_2", "x"]);
    }

    #[test]
    fn suffixes_never_collide_with_natural_labels() {
        let items = [item("a", 1, "1"), item("a", 2, "2"), item("a_2", 3, "3")];
        assert_eq!(
            LabelAllocator::new().allocate(&items),
            ["a", "a_2", "a_2_2"]
        );
        let items = [item("a_2", 1, "1"), item("a", 2, "2"), item("a", 3, "3")];
        assert_eq!(LabelAllocator::new().allocate(&items), ["a_2", "a", "a_3"]);
        let mut reserved = LabelAllocator::new();
        assert!(reserved.reserve("a"));
        assert!(!reserved.reserve("a"));
        assert_eq!(reserved.allocate(&[item("a", 1, "1")]), ["a_2"]);
    }

    #[test]
    fn a_new_duplicate_keeps_existing_labels() {
        let before = [
            item("etl", 100, "1"),
            item("etl", 200, "2"),
            item("etl_2", 250, "5"),
            item("b", 10, "4"),
        ];
        let old = LabelAllocator::new().allocate(&before);
        let mut after = before.to_vec();
        after.insert(1, item("etl", 900, "7"));
        after.push(item("etl_2", 901, "8"));
        let new = LabelAllocator::new().allocate(&after);
        assert_eq!(new[0], old[0]);
        assert_eq!(new[2..5], old[1..4]);
        assert_eq!(old, ["etl", "etl_2", "etl_2_2", "b"]);
        assert_eq!(new[1], "etl_3");
        assert_eq!(new[5], "etl_2_3");
        // Input order does not matter.
        let mut shuffled = after.clone();
        shuffled.reverse();
        let mut relabelled = LabelAllocator::new().allocate(&shuffled);
        relabelled.reverse();
        assert_eq!(relabelled, new);
    }
}
