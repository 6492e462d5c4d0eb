//! Terraform resource labels from workspace object names: [`label`] makes one, [`LabelAllocator`] makes a set
//! of them unique and stable as objects come and go. Pure: it knows nothing of resource types or workspaces.

use std::collections::BTreeSet;

/// The longest label drsync makes, suffix included. Terraform sets no limit on identifiers (its language docs,
/// "Identifiers": letters, digits, `_` and `-`, not starting with a digit), and neither does the provider's own
/// exporter (`exporter/context.go`, `ResourceName`: lowercased and normalised, never shortened), so a 100 KB job
/// name would make a 100 KB address in every plan, reference and `moved` block. 64 characters keep every
/// realistic name whole (the fixtures' longest names have about 50 characters) and an address readable.
pub const MAX_LABEL_LEN: usize = 64;

/// The Terraform resource label for an object name: lowercase, only `[a-z0-9_]`, common accented letters
/// transliterated (`é` → `e`, `ß` → `ss`), every other run of characters one `_`, no `_` at either end; a
/// leading digit gets a `_` prefix and an empty result is `_`. A label longer than [`MAX_LABEL_LEN`] is cut to
/// it (and any `_` the cut leaves at the end dropped); [`LabelAllocator`] keeps cut labels unique.
///
/// `"Nightly ETL (prod)"` → `nightly_etl_prod`, `"Über-Job"` → `uber_job`, `"2024 report"` → `_2024_report`.
pub fn label(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(MAX_LABEL_LEN + 8));
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
        // What comes after the cap is cut anyway: a 100 KB name costs no more than a short one.
        if out.len() > MAX_LABEL_LEN {
            break;
        }
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
    cut(&out, MAX_LABEL_LEN).to_string()
}

/// `label` cut to at most `max` bytes on a character boundary, without the `_`s the cut leaves at its end (a
/// label that was not cut is returned whole, even `_`).
fn cut(label: &str, max: usize) -> &str {
    if label.len() <= max {
        return label;
    }
    let mut end = max;
    while !label.is_char_boundary(end) {
        end -= 1;
    }
    match label[..end].trim_end_matches('_') {
        "" => &label[..end],
        cut => cut,
    }
}

/// The `n`th suffixed form of `base` (a [`label`]): `base_n`, with `base` cut so that the whole stays within
/// [`MAX_LABEL_LEN`]. Labels that fit are exactly `format!("{base}_{n}")`, as before the cap.
fn suffixed(base: &str, n: u64) -> String {
    let suffix = format!("_{n}");
    format!(
        "{}{suffix}",
        cut(base, MAX_LABEL_LEN.saturating_sub(suffix.len()))
    )
}

/// Whether `label` is one [`LabelAllocator`] could have given an object called `name`: `label(name)` itself or
/// one of its suffixed forms (`_2`, `_3`, ...), cut as the allocator cuts them.
pub fn label_fits(label: &str, name: &str) -> bool {
    let base = self::label(name);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if label == base
        || label
            .strip_prefix(base.as_str())
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(digits)
    {
        return true;
    }
    // A suffixed label whose base was cut to make room for the suffix.
    match label.rsplit_once('_') {
        Some((_, n)) if digits(n) => n
            .parse::<u64>()
            .is_ok_and(|n| n >= 2 && suffixed(&base, n) == label),
        _ => false,
    }
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
/// `a_2` get `a`, `a_2`, `a_2_2`, or `a_2`, `a`, `a_3` when the `a_2` object is the oldest). No label is
/// longer than [`MAX_LABEL_LEN`]: a suffix cuts the base further, and the result is still checked to be free, so
/// two names that share their first 100 KB still get two labels.
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
                    .map(|n| suffixed(&base, n))
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

    fn item<'a>(name: &'a str, creation_time: i64, stable_id: &'a str) -> LabelItem<'a> {
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

    #[test]
    fn long_names_are_cut_on_a_boundary_without_a_trailing_underscore() {
        let huge = "Nightly ETL ".repeat(100_000 / 12);
        let l = label(&huge);
        assert_eq!(l.len(), MAX_LABEL_LEN, "{l}");
        assert!(huge.len() > 99_000);
        assert_eq!(
            l,
            "nightly_etl_nightly_etl_nightly_etl_nightly_etl_nightly_etl_nigh"
        );
        // A cut that lands on a separator drops it.
        let l = label(&format!("{} b", "a".repeat(MAX_LABEL_LEN)));
        assert_eq!(l, "a".repeat(MAX_LABEL_LEN));
        let l = label(&format!(
            "{} {}",
            "a".repeat(MAX_LABEL_LEN - 1),
            "b".repeat(9)
        ));
        assert_eq!(l, "a".repeat(MAX_LABEL_LEN - 1));
        // Multi-byte names (transliterated or dropped) and a digit prefix count in the cap.
        assert_eq!(label(&"é".repeat(50_000)), "e".repeat(MAX_LABEL_LEN));
        assert_eq!(label(&"日本".repeat(50_000)), "_");
        let l = label(&"9".repeat(50_000));
        assert_eq!(l, format!("_{}", "9".repeat(MAX_LABEL_LEN - 1)));
        // Names up to the cap are labelled exactly as before it.
        let exact = "x".repeat(MAX_LABEL_LEN);
        assert_eq!(label(&exact), exact);
        assert_eq!(cut("_", 0), "");
        assert_eq!(cut("ab_c", 3), "ab");
    }

    #[test]
    fn long_names_sharing_a_prefix_get_unique_labels_within_the_cap() {
        let prefix = "shared ".repeat(100_000 / 7);
        let names: Vec<String> = (0..12).map(|i| format!("{prefix}{i}")).collect();
        let items: Vec<LabelItem<'_>> = names
            .iter()
            .enumerate()
            .map(|(i, n)| LabelItem {
                name: n,
                creation_time: i as i64,
                stable_id: "1",
            })
            .collect();
        let labels = LabelAllocator::new().allocate(&items);
        let unique: BTreeSet<&String> = labels.iter().collect();
        assert_eq!(unique.len(), labels.len(), "{labels:?}");
        for l in &labels {
            assert!(l.len() <= MAX_LABEL_LEN, "{l}");
            assert!(!l.contains("__"), "{l}");
            assert!(label_fits(l, &names[0]), "{l}");
        }
        let base = label(&names[0]);
        assert_eq!(labels[0], base);
        assert_eq!(labels[1], format!("{}_2", &base[..MAX_LABEL_LEN - 2]));
        assert_eq!(labels[9], format!("{}_10", &base[..MAX_LABEL_LEN - 3]));
        // The cut base ends in a separator: that `_` is dropped, not doubled.
        let names = [
            format!("{} bbbb", "a".repeat(MAX_LABEL_LEN - 3)),
            format!("{} bbcc", "a".repeat(MAX_LABEL_LEN - 3)),
        ];
        let items = [item(&names[0], 1, "1"), item(&names[1], 2, "2")];
        assert_eq!(
            LabelAllocator::new().allocate(&items),
            [
                format!("{}_bb", "a".repeat(MAX_LABEL_LEN - 3)),
                format!("{}_2", "a".repeat(MAX_LABEL_LEN - 3)),
            ]
        );
    }

    #[test]
    fn labels_fit_their_names_and_suffixed_forms_only() {
        assert!(label_fits("etl", "ETL"));
        assert!(label_fits("etl_2", "ETL"));
        assert!(label_fits("etl_17", "etl"));
        assert!(label_fits("a_2_2", "a_2"));
        assert!(label_fits("__2", ""));
        assert!(!label_fits("etl", "other"));
        assert!(!label_fits("etl_x", "etl"));
        assert!(!label_fits("etl_", "etl"));
        assert!(!label_fits("etl_2", "etl 2 x"));
        // A label made before the cap no longer fits its (long) name: the export relabels it and writes a
        // `moved` block from the old address.
        let long = "y".repeat(3 * MAX_LABEL_LEN);
        assert!(!label_fits(&long, &long));
        assert!(label_fits(&"y".repeat(MAX_LABEL_LEN), &long));
        assert!(label_fits(
            &format!("{}_2", "y".repeat(MAX_LABEL_LEN - 2)),
            &long
        ));
        assert!(!label_fits(
            &format!("{}_2", "y".repeat(MAX_LABEL_LEN - 3)),
            &long
        ));
    }
}
