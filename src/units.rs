//! Durations: parsing what users type, printing what they read.

/// Parses a DURATION: `8` (seconds), `8s`, `8000ms`, `1.5s`, `2m`, `500us`,
/// `1h`, or anything `humantime` accepts (`1m 30s`). Returns microseconds.
pub fn parse_duration_us(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: Option<u64> = match unit.trim() {
        "" | "s" | "sec" | "secs" => Some(1_000_000),
        "ms" => Some(1_000),
        "us" | "µs" => Some(1),
        "m" | "min" => Some(60_000_000),
        "h" => Some(3_600_000_000),
        _ => None,
    };
    if let (Some(scale), false) = (scale, num.is_empty()) {
        return decimal_times(num, scale).ok_or_else(|| format!("'{s}' is not a duration"));
    }
    humantime::parse_duration(t)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .map_err(|_| format!("'{s}' is not a duration; use e.g. 8, 8s, 8000ms, 1.5s or 2m"))
}

/// `num` (digits, at most one `.`) × `scale`, exactly, in integers.
fn decimal_times(num: &str, scale: u64) -> Option<u64> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() || frac.contains('.') {
        return None;
    }
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut v = int.checked_mul(scale)?;
    let mut unit = scale;
    for c in frac.chars() {
        unit /= 10;
        let d = u64::from(c.to_digit(10)?);
        if unit == 0 && d != 0 {
            return None; // finer than a microsecond
        }
        v = v.checked_add(d * unit)?;
    }
    Some(v)
}

/// Seconds, trimmed: `8 s`, `1.5 s`, `0.25 s`.
pub fn secs(us: u64) -> String {
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        return format!("{whole} s");
    }
    let f = format!("{frac:06}");
    format!("{whole}.{} s", f.trim_end_matches('0'))
}

/// A stun length for tables: `1.091 s`, `341.6 ms`, `950 us`. Truncated,
/// never rounded up: 3,999,999 us is `3.999 s`, so it never reads like the
/// `4.000 s` risk beside it.
pub fn human_us(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{}.{:03} s", us / 1_000_000, us % 1_000_000 / 1_000)
    } else if us >= 1_000 {
        format!("{}.{} ms", us / 1_000, us % 1_000 / 100)
    } else {
        format!("{us} us")
    }
}

/// The shortest QoS a mirror can have here; anything below is a typo.
pub const QOS_MIN_US: u64 = 100_000;
/// The longest.
pub const QOS_MAX_US: u64 = 600_000_000;

/// Checks a QoS timeout against the bounds a real mirror can have: a
/// mistyped Q makes every stun `ok`, which would pass a CI job that should
/// fail.
pub fn check_qos_us(us: u64, shown: &str) -> Result<u64, String> {
    if us < QOS_MIN_US {
        return Err(format!(
            "a QoS timeout of {shown} is below 100 ms: no mirror runs with that; give it with its unit, e.g. 8s or 8000ms"
        ));
    }
    if us > QOS_MAX_US {
        return Err(format!(
            "a QoS timeout of {shown} is above 10 minutes: no mirror runs with that; give it with its unit, e.g. 8s or 8000ms"
        ));
    }
    Ok(us)
}

/// Parses `--qos`: a DURATION within the QoS bounds, and a bare number of
/// 1000 or more is taken for milliseconds typed without their unit (the
/// number as the CPF shows it) and refused.
pub fn parse_qos_us(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let n: f64 = t.parse().map_err(|_| format!("'{s}' is not a duration"))?;
        if n >= 1000.0 {
            return Err(format!("{t} seconds? did you mean --qos {t}ms?"));
        }
    }
    check_qos_us(parse_duration_us(t)?, t)
}

/// Parses `--gap`: at least a second (stuns of one operation are seconds
/// apart; a smaller gap splits every cluster).
pub fn parse_gap_us(s: &str) -> Result<u64, String> {
    let us = parse_duration_us(s)?;
    if us < 1_000_000 {
        return Err(format!(
            "a gap of {} is below 1 s: it would split every cluster; use e.g. 60s",
            s.trim()
        ));
    }
    Ok(us)
}

/// A lifetime for tables: `45m 39s`, `2h 5m`, `12s`.
pub fn human_span_ms(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86400 => format!("{}h {}m", s / 3600, s / 60 % 60),
        _ => format!("{}d {}h", s / 86400, s / 3600 % 24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (s, us) in [
            ("8", 8_000_000),
            ("8s", 8_000_000),
            ("8000ms", 8_000_000),
            ("1.5s", 1_500_000),
            ("2m", 120_000_000),
            (".5s", 500_000),
            ("250us", 250),
            ("1m 30s", 90_000_000),
        ] {
            assert_eq!(parse_duration_us(s), Ok(us), "{s}");
        }
        for bad in ["", "s", "1.2.3s", "8x", "-1s", "1.0000001s"] {
            assert!(parse_duration_us(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn qos_and_gap_bounds() {
        assert_eq!(parse_qos_us("8"), Ok(8_000_000));
        assert_eq!(parse_qos_us("8000ms"), Ok(8_000_000));
        assert_eq!(parse_qos_us("10m"), Ok(600_000_000));
        assert_eq!(parse_qos_us("100ms"), Ok(100_000));
        let e = parse_qos_us("8000").unwrap_err();
        assert!(e.contains("did you mean --qos 8000ms?"), "{e}");
        assert!(parse_qos_us("99ms").is_err());
        assert!(parse_qos_us("11m").is_err());
        assert!(parse_qos_us("0").is_err());
        assert_eq!(parse_gap_us("1s"), Ok(1_000_000));
        assert!(parse_gap_us("500ms").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(secs(8_000_000), "8 s");
        assert_eq!(secs(1_500_000), "1.5 s");
        assert_eq!(human_us(1_091_706), "1.091 s");
        assert_eq!(human_us(3_999_999), "3.999 s");
        assert_eq!(human_us(4_000_000), "4.000 s");
        assert_eq!(human_us(38_199), "38.1 ms");
        assert_eq!(human_us(999_999), "999.9 ms");
        assert_eq!(human_us(999), "999 us");
        assert_eq!(human_us(u64::MAX), "18446744073709.551 s");
        assert_eq!(human_span_ms(2_739_184), "45m 39s");
    }
}
