//! Durations as people write them in `drsync.toml`, on the command line (`--deadline`) and as a data-freshness
//! command prints them: `90`, `90s`, `15m`, `3h`, `2d`, `1w`, `1h30m`. Parsing only, by `humantime`, kept to
//! this syntax: it must not accept more than the documented units, nor change the error texts.

use std::time::Duration;

/// Why a text is not a duration. The texts are the documented ones (`drsync.toml` errors and `--deadline`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing but whitespace.
    #[error("expected a duration like \"24h\", \"90m\" or a number of seconds")]
    Empty,
    /// Not a number of seconds, and not `NUMBER UNIT` parts; or too long to hold.
    #[error("`{0}`: expected a duration like \"24h\", \"90m\", \"1h30m\" or a number of seconds")]
    Invalid(String),
}

/// The single-letter units, each a `humantime` unit of the same meaning: seconds, minutes, hours, days (86,400
/// seconds) and weeks (7 days).
const UNITS: &[char] = &['s', 'm', 'h', 'd', 'w'];

/// Parse `SECONDS` (a non-negative number, fractions allowed) or one or more `NUMBER UNIT` parts (units `s`,
/// `m`, `h`, `d`, `w`), e.g. `24h`, `1h30m`; whitespace anywhere is ignored, as it always was.
///
/// `humantime` does the arithmetic (with overflow checks). It alone would accept more (`1.5h`, `1min`,
/// `3 months`, `500ms`, ...) and reject a bare number, so the text is first held to the documented syntax: only
/// ASCII digits and the single-letter units, each unit after a digit. Such a text means the same to both.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DurationError::Empty);
    }
    let bad = || DurationError::Invalid(t.to_string());
    if let Ok(secs) = t.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Duration::try_from_secs_f64(secs).map_err(|_| bad());
        }
    }
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let mut after_digit = false;
    for c in compact.chars() {
        if UNITS.contains(&c) && after_digit {
            after_digit = false;
        } else if c.is_ascii_digit() {
            after_digit = true;
        } else {
            return Err(bad());
        }
    }
    if after_digit {
        // A number without a unit after units (`1h30`).
        return Err(bad());
    }
    humantime::parse_duration(&compact).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_syntax() {
        for (text, secs) in [
            ("24h", 86_400),
            ("1h30m", 5400),
            ("1h 30m", 5400),
            (" 3600\n", 3600),
            ("2d", 172_800),
            ("1w", 604_800),
            ("90s", 90),
            ("0", 0),
            ("0h", 0),
            ("1 2 h", 43_200),
            ("1d1d", 172_800),
            ("1e3", 1000),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text:?}"
            );
        }
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn rejects_the_rest_with_the_documented_text() {
        for bad in [
            "soon",
            "3x",
            "h",
            "1h30",
            "-5",
            "99999999999999999999d",
            "1.5h",
            "1min",
            "500ms",
            "3 months",
            "1y",
            "1M",
            "1hh",
            "inf",
            "NaN",
            "1e300",
            "h1",
        ] {
            assert_eq!(
                parse_duration(bad),
                Err(DurationError::Invalid(bad.to_string())),
                "{bad}"
            );
            assert_eq!(
                parse_duration(bad).unwrap_err().to_string(),
                format!(
                    "`{bad}`: expected a duration like \"24h\", \"90m\", \"1h30m\" or a number of seconds"
                )
            );
        }
        assert_eq!(parse_duration(" "), Err(DurationError::Empty));
        assert_eq!(
            parse_duration("").unwrap_err().to_string(),
            "expected a duration like \"24h\", \"90m\" or a number of seconds"
        );
    }
}
