//! The characters that never appear in drsync's output as they are, because a reader cannot see them: the
//! bidirectional-text controls (which display text in another order than it is stored) and the invisible format
//! characters. Terminal output and reports show them as `\u{..}`; generated HCL writes them as `\uXXXX`
//! escapes, so that a reviewed diff shows them. Pure predicates, nothing else.

/// Unicode's bidirectional-text controls: the marks and the embedding, override and isolate controls.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A character that shows nothing (or moves what is shown): bidirectional controls, zero-width space, soft
/// hyphen, word joiner and the invisible operators, the deprecated format controls, the line and paragraph
/// separators and the byte-order mark. Zero-width joiners stay: emoji and several scripts need them.
pub fn is_invisible(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{00ad}'
                | '\u{200b}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206a}'..='\u{206f}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_invisible() {
        for c in [
            '\u{202e}', '\u{200b}', '\u{feff}', '\u{2028}', '\u{00ad}', '\u{2060}', '\u{206a}',
            '\u{061c}',
        ] {
            assert!(is_invisible(c), "{:x}", c as u32);
        }
        for c in ['a', 'é', '日', '\u{200d}', '\u{200c}', ' ', '🚀'] {
            assert!(!is_invisible(c), "{:x}", c as u32);
        }
    }
}
