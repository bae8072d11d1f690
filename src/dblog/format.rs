//! The three line prefixes of database logs, parsed on bytes.
//!
//! Each parser takes a whole line and either recognises its prefix or
//! returns `None`; a line no parser recognises continues the entry before
//! it. The prefixes cannot be mistaken for one another (`-` after a
//! two-digit year, a space after a four-digit one, a weekday name), so
//! every line is simply offered to all three: a file may even mix them.
//! Nothing here allocates or can panic on any input.

use super::DbFormat;
use crate::time::{digits, month_from_abbrev};
use crate::zone::Civil;

/// A recognised line prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head<'a> {
    pub format: DbFormat,
    /// Local wall time, no zone.
    pub civil: Civil,
    /// `messages.log` severity: 0 information, 1 warning, 2 severe, 3 fatal.
    pub severity: Option<u8>,
    /// `messages.log` category (`Utility.Event`), when present.
    pub category: Option<&'a [u8]>,
    /// `$SNAPLOG`: the zone abbreviation `date` printed (`EST`, `UTC`).
    pub zone: Option<&'a [u8]>,
    /// The message after the prefix.
    pub message: &'a [u8],
}

/// Recognises any of the three prefixes; leading spaces and tabs (excerpts
/// pasted into tickets are indented) are ignored.
pub fn parse_head(line: &[u8]) -> Option<Head<'_>> {
    let start = line.iter().position(|&b| b != b' ' && b != b'\t')?;
    let line = &line[start..];
    match line.first()? {
        b'0'..=b'9' => messages(line).or_else(|| freeze_log(line)),
        _ => snap_log(line),
    }
}

/// `MM/DD/` then the rest of a date; returns (month, day).
fn month_day(b: &[u8]) -> Option<(u32, u32)> {
    let mo = digits(b, 2)?;
    let d = digits(b.get(3..)?, 2)?;
    (b.get(2) == Some(&b'/') && b.get(5) == Some(&b'/')).then_some((mo, d))
}

/// `HH:MM:SS` at the start of `b`.
fn clock(b: &[u8]) -> Option<(u32, u32, u32)> {
    let h = digits(b, 2)?;
    let mi = digits(b.get(3..)?, 2)?;
    let s = digits(b.get(6..)?, 2)?;
    (b.get(2) == Some(&b':') && b.get(5) == Some(&b':')).then_some((h, mi, s))
}

/// `01/09/22-11:02:08:227 (684) 1 [Utility.Event] text`; older Caché has
/// no `[Category]`.
fn messages(b: &[u8]) -> Option<Head<'_>> {
    let (month, day) = month_day(b)?;
    let yy = digits(b.get(6..)?, 2)?;
    if b.get(8) != Some(&b'-') {
        return None;
    }
    let (hour, minute, second) = clock(b.get(9..)?)?;
    let milli = digits(b.get(18..)?, 3)?;
    if b.get(17) != Some(&b':') || b.get(21) != Some(&b' ') {
        return None;
    }
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    let (severity, rest) = pid_severity(b.get(22..)?)?;
    let (category, message) = category(rest);
    Some(Head {
        format: DbFormat::Messages,
        civil: civil(year, month, day, (hour, minute, second), milli),
        severity: Some(severity),
        category,
        zone: None,
        message,
    })
}

/// `(684) 1 ` → severity 1 and what follows: `(`, a `)` within 24 bytes,
/// a space, one or two digits, then a space or the end. Every
/// `messages.log` line goes through it, so it is written out by hand.
pub(crate) fn pid_severity(b: &[u8]) -> Option<(u8, &[u8])> {
    let b = b.strip_prefix(b"(")?;
    let close = close_paren(b)?;
    let b = b.get(close + 1..)?.strip_prefix(b" ")?;
    let digit = |i: usize| b.get(i).filter(|c| c.is_ascii_digit()).map(|c| c - b'0');
    let (sev, n) = match (digit(0)?, digit(1), digit(2)) {
        (_, Some(_), Some(_)) => return None,
        (d0, Some(d1), None) => (d0 * 10 + d1, 2),
        (d0, None, _) => (d0, 1),
    };
    let rest = &b[n..];
    match rest.first() {
        None => Some((sev, rest)),
        Some(b' ') => Some((sev, &rest[1..])),
        Some(_) => None,
    }
}

/// The first `)` in the first 24 bytes of `b`. A process id has at most 7
/// digits, so the first 8 bytes are looked at in one go (the bytes of a
/// word that are `)` are those that its XOR with `))))))))` leaves zero).
fn close_paren(b: &[u8]) -> Option<usize> {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    if let Some(word) = b.first_chunk::<8>() {
        let x = u64::from_le_bytes(*word) ^ 0x2929_2929_2929_2929;
        // The high bit of each zero byte of x, and no other bit.
        let zero = !(((x & LOW7) + LOW7) | x | LOW7);
        if zero != 0 {
            return Some(zero.trailing_zeros() as usize / 8);
        }
    }
    b.iter().take(24).position(|&c| c == b')')
}

/// `[Utility.Event] text` → (category, text); no brackets → (None, all).
fn category(b: &[u8]) -> (Option<&[u8]>, &[u8]) {
    if let Some(inner) = b.strip_prefix(b"[")
        && let Some(close) = memchr::memchr(b']', &inner[..inner.len().min(64)])
    {
        let rest = &inner[close + 1..];
        return (
            Some(&inner[..close]),
            rest.strip_prefix(b" ").unwrap_or(rest),
        );
    }
    (None, b)
}

/// `01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended`.
fn freeze_log(b: &[u8]) -> Option<Head<'_>> {
    let (month, day) = month_day(b)?;
    let year = digits(b.get(6..)?, 4)?;
    if b.get(10) != Some(&b' ') {
        return None;
    }
    let (hour, minute, second) = clock(b.get(11..)?)?;
    let rest = b.get(19..)?.strip_prefix(b":")?;
    Some(Head {
        format: DbFormat::FreezeLog,
        civil: civil(year, month, day, (hour, minute, second), 0),
        severity: None,
        category: None,
        zone: None,
        message: rest.strip_prefix(b" ").unwrap_or(rest),
    })
}

/// `Wed Jan  4 16:30:35 EST 2017: H20152 IS FROZEN` (C-locale `date`: one
/// or two spaces before the day).
fn snap_log(b: &[u8]) -> Option<Head<'_>> {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    if !DAYS.contains(&b.get(..3)?) || b.get(3) != Some(&b' ') {
        return None;
    }
    let month = month_from_abbrev(b.get(4..)?)?;
    let b = skip_spaces(b.get(7..)?, 2)?;
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&n) {
        return None;
    }
    let day = digits(b, n)?;
    let b = b.get(n..)?.strip_prefix(b" ")?;
    let (hour, minute, second) = clock(b)?;
    let b = b.get(8..)?.strip_prefix(b" ")?;
    let zlen = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'+' || **c == b'-');
    let zlen = zlen.count();
    if !(1..=10).contains(&zlen) {
        return None;
    }
    let zone = &b[..zlen];
    let b = b.get(zlen..)?.strip_prefix(b" ")?;
    let year = digits(b, 4)?;
    let rest = b.get(4..)?.strip_prefix(b":")?;
    Some(Head {
        format: DbFormat::SnapLog,
        civil: civil(year, month, day, (hour, minute, second), 0),
        severity: None,
        category: None,
        zone: Some(zone),
        message: rest.strip_prefix(b" ").unwrap_or(rest),
    })
}

/// Strips one to `max` leading spaces.
fn skip_spaces(b: &[u8], max: usize) -> Option<&[u8]> {
    let n = b.iter().take_while(|&&c| c == b' ').count();
    (1..=max).contains(&n).then(|| &b[n..])
}

fn civil(
    year: u32,
    month: u32,
    day: u32,
    (hour, minute, second): (u32, u32, u32),
    milli: u32,
) -> Civil {
    Civil {
        year: i32::try_from(year).unwrap_or(i32::MAX),
        month,
        day,
        hour,
        minute,
        second,
        milli,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris_messages() {
        let h = parse_head(
            b"01/09/22-11:02:08:227 (684) 1 [Utility.Event] Becoming primary mirror server",
        )
        .unwrap();
        assert_eq!(h.format, DbFormat::Messages);
        assert_eq!((h.civil.year, h.civil.month, h.civil.day), (2022, 1, 9));
        assert_eq!(
            (h.civil.hour, h.civil.minute, h.civil.second, h.civil.milli),
            (11, 2, 8, 227)
        );
        assert_eq!(h.severity, Some(1));
        assert_eq!(h.category, Some(&b"Utility.Event"[..]));
        assert_eq!(h.message, b"Becoming primary mirror server");
    }

    #[test]
    fn old_cache_without_category() {
        let h = parse_head(b"  11/03/98-02:04:05:006 (1234) 0 Recovery started").unwrap();
        assert_eq!(h.civil.year, 1998);
        assert_eq!(h.severity, Some(0));
        assert_eq!(h.category, None);
        assert_eq!(h.message, b"Recovery started");
    }

    #[test]
    fn a_bracket_inside_a_message_is_no_category() {
        // Older Caché has no category: an `[Actions]` later in the text is
        // the message's own.
        let h = parse_head(b"01/02/17-10:00:00:000 (1234) 2 Journal is full [Actions] switch it")
            .unwrap();
        assert_eq!(h.category, None);
        assert_eq!(h.message, b"Journal is full [Actions] switch it");
    }

    #[test]
    fn freeze_log_lines() {
        let h = parse_head(b"01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended")
            .unwrap();
        assert_eq!(h.format, DbFormat::FreezeLog);
        assert_eq!(
            (h.civil.year, h.civil.month, h.civil.day, h.civil.second),
            (2017, 1, 4, 36)
        );
        assert_eq!(
            h.message,
            b"Backup.General.ExternalFreeze: System suspended"
        );
    }

    #[test]
    fn snap_log_one_or_two_spaces() {
        for line in [
            &b"Wed Jan  4 16:30:35 EST 2017: H20152 IS FROZEN"[..],
            b"Wed Jan 4 16:30:35 EST 2017: H20152 IS FROZEN",
        ] {
            let h = parse_head(line).unwrap();
            assert_eq!(h.format, DbFormat::SnapLog);
            assert_eq!((h.civil.year, h.civil.month, h.civil.day), (2017, 1, 4));
            assert_eq!((h.civil.hour, h.civil.minute, h.civil.second), (16, 30, 35));
            assert_eq!(h.zone, Some(&b"EST"[..]));
            assert_eq!(h.message, b"H20152 IS FROZEN");
        }
        let h = parse_head(b"Thu Nov 20 03:00:00 +03 2025: X IS THAWED").unwrap();
        assert_eq!(h.zone, Some(&b"+03"[..]));
        assert_eq!(h.civil.day, 20);
    }

    #[test]
    fn not_a_prefix() {
        for line in [
            &b""[..],
            b"   ",
            b"Journal file switched to:",
            b"/trak/jnl/jrnpri/h20152/H20152_20170104.011",
            b"01/09/22-11:02:08 (684) 1 text",
            b"01/09/22-11:02:08:227 684 1 text",
            b"01/09/22-11:02:08:227 (684) x text",
            b"01/09/22-11:02:08:227 (684) 123 text",
            b"01/04/2017 16:30:36 no colon",
            b"01/04/17 16:30:36: short year",
            b"Wed Jan   4 16:30:35 EST 2017: three spaces",
            b"Wed Foo 4 16:30:35 EST 2017: bad month",
            b"Wed Jan 4 16:30:35 2017: no zone",
            b"2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1 us",
            b"\xff\xfe01/09/22",
        ] {
            assert_eq!(parse_head(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    /// `pid_severity` as it was first written, for comparison.
    fn pid_severity_plain(b: &[u8]) -> Option<(u8, &[u8])> {
        let b = b.strip_prefix(b"(")?;
        let close = memchr::memchr(b')', &b[..b.len().min(24)])?;
        let b = b.get(close + 1..)?.strip_prefix(b" ")?;
        let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 2 {
            return None;
        }
        let sev = b[..n].iter().fold(0u8, |v, c| v * 10 + (c - b'0'));
        let rest = &b[n..];
        match rest.first() {
            None => Some((sev, rest)),
            Some(b' ') => Some((sev, &rest[1..])),
            Some(_) => None,
        }
    }

    proptest::proptest! {
        #[test]
        fn pid_severity_as_first_written(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["(", ")", " ", "1", "23", "0", "x", "(684)", "       ", "\u{a9}", "\u{29}\u{80}"]),
                0..12,
            )
        ) {
            let b = parts.concat();
            proptest::prop_assert_eq!(
                pid_severity(b.as_bytes()),
                pid_severity_plain(b.as_bytes())
            );
        }
    }

    #[test]
    fn every_prefix_of_a_line_is_safe() {
        let lines: [&[u8]; 3] = [
            b"01/09/22-11:02:08:227 (684) 1 [Utility.Event] Becoming primary",
            b"01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended",
            b"Wed Jan  4 16:30:35 EST 2017: H20152 IS FROZEN",
        ];
        for l in lines {
            for n in 0..=l.len() {
                let _ = parse_head(&l[..n]);
            }
        }
    }
}
