//! Durations as people write them in `drsync.toml` and as a freshness command prints them: `90`, `90s`,
//! `15m`, `3h`, `2d`, `1h30m`. Pure.

use std::time::Duration;

/// Parse `SECONDS` or one or more `NUMBER UNIT` parts (units `s`, `m`, `h`, `d`, `w`), e.g. `24h`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("expected a duration like \"24h\", \"90m\" or a number of seconds".into());
    }
    if let Ok(secs) = t.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let bad = || {
        format!(
            "`{t}`: expected a duration like \"24h\", \"90m\", \"1h30m\" or a number of seconds"
        )
    };
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = total
            .checked_add(n.checked_mul(unit).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Seconds as a short duration: `45s`, `12m`, `3h 5m`, `2d 4h`.
pub fn format_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, _) => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(
            parse_duration(" 3600\n").unwrap(),
            Duration::from_secs(3600)
        );
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        for bad in ["soon", "3x", "h", "1h30", "-5", "99999999999999999999d"] {
            assert_eq!(
                parse_duration(bad),
                Err(format!(
                    "`{bad}`: expected a duration like \"24h\", \"90m\", \"1h30m\" or a number of seconds"
                )),
                "{bad}"
            );
        }
        assert_eq!(
            parse_duration(" "),
            Err("expected a duration like \"24h\", \"90m\" or a number of seconds".to_string())
        );
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(3600), "1h");
        assert_eq!(format_duration(5400), "1h 30m");
        assert_eq!(format_duration(90_000), "1d 1h");
    }
}
