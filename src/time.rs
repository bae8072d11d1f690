//! Civil-time arithmetic for log timestamps.
//!
//! vmware.log timestamps are parsed by hand rather than through a date
//! crate: the hot path sees millions of them, the formats are fixed-width,
//! and every input byte is untrusted, so a small checked parser that never
//! allocates is both faster and easier to prove panic-free.

/// Milliseconds since the Unix epoch, UTC.
pub type EpochMs = i64;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`). Valid for any year an `i64` can hold here.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Number of days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// UTC epoch milliseconds of a civil date and time.
pub fn epoch_ms(y: i64, mo: u32, d: u32, ms_of_day: i64) -> EpochMs {
    days_from_civil(y, mo, d) * 86_400_000 + ms_of_day
}

/// Year, month and day (UTC) of an epoch-ms instant.
pub fn ymd(ms: EpochMs) -> (i64, u32, u32) {
    civil_from_days(ms.div_euclid(86_400_000))
}

/// Displays an instant as RFC 3339 UTC with milliseconds, without an
/// intermediate `String` (the TSV writer prints one per event).
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339(pub EpochMs);

impl Rfc3339 {
    /// The 24 bytes `YYYY-MM-DDTHH:MM:SS.mmmZ`, for years 0 to 9999.
    pub fn bytes(self) -> Option<[u8; 24]> {
        let days = self.0.div_euclid(86_400_000);
        let rem = self.0.rem_euclid(86_400_000);
        let (y, mo, d) = civil_from_days(days);
        let y = u32::try_from(y).ok().filter(|&y| y <= 9999)?;
        let rem = u32::try_from(rem).ok()?;
        let mut b = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut v: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, mo);
        put(8, 2, d);
        put(11, 2, rem / 3_600_000);
        put(14, 2, rem / 60_000 % 60);
        put(17, 2, rem / 1000 % 60);
        put(20, 3, rem % 1000);
        Some(b)
    }
}

impl std::fmt::Display for Rfc3339 {
    /// Written from a stack buffer: the TSV writer prints one per event,
    /// and seven padded integers through the formatting machinery cost
    /// about 20 times as much.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(b) = self.bytes() {
            return f.write_str(std::str::from_utf8(&b).map_err(|_| std::fmt::Error)?);
        }
        let days = self.0.div_euclid(86_400_000);
        let rem = self.0.rem_euclid(86_400_000);
        let (y, mo, d) = civil_from_days(days);
        let (h, mi, s, frac) = (
            rem / 3_600_000,
            rem / 60_000 % 60,
            rem / 1000 % 60,
            rem % 1000,
        );
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

/// Reads exactly `n` ASCII digits at the start of `b`.
pub fn digits(b: &[u8], n: usize) -> Option<u32> {
    let b = b.get(..n)?;
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parses `HH:MM:SS[.fraction]` at the start of `b`; returns the
/// milliseconds of the day and the number of bytes used. Fractions longer
/// than milliseconds are truncated, as the output has millisecond precision.
pub fn parse_clock(b: &[u8]) -> Option<(i64, usize)> {
    let h = digits(b, 2)?;
    let mi = digits(b.get(3..)?, 2)?;
    let s = digits(b.get(6..)?, 2)?;
    if b[2] != b':' || b[5] != b':' || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut ms = (i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)) * 1000;
    let mut used = 8;
    if b.get(8) == Some(&b'.') {
        let frac = &b[9..];
        let n = frac
            .iter()
            .take(9)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 {
            return None;
        }
        let mut milli = 0i64;
        for i in 0..3 {
            milli = milli * 10
                + frac
                    .get(i)
                    .filter(|_| i < n)
                    .map_or(0, |c| i64::from(c - b'0'));
        }
        ms += milli;
        used = 9 + n;
    }
    Some((ms, used))
}

/// Parses an ISO 8601 / RFC 3339 timestamp at the start of `b`:
/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`. Returns UTC epoch ms and the
/// bytes used. The offset is required: a vmware.log time without one is not
/// a well-formed header.
pub fn parse_iso(b: &[u8]) -> Option<(EpochMs, usize)> {
    let (day_ms, mut used) = parse_iso_date(b)?;
    if b.get(10) != Some(&b'T') {
        return None;
    }
    let (clock, n) = parse_clock(&b[11..])?;
    used += 1 + n;
    let utc = match b.get(used)? {
        b'Z' => {
            used += 1;
            day_ms + clock
        }
        sign @ (b'+' | b'-') => {
            let oh = digits(&b[used + 1..], 2)?;
            if b.get(used + 3) != Some(&b':') {
                return None;
            }
            let om = digits(&b[used + 4..], 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (i64::from(oh) * 60 + i64::from(om)) * 60_000;
            used += 6;
            // Local time = UTC + offset, so UTC = local - offset.
            if *sign == b'+' {
                day_ms + clock - off
            } else {
                day_ms + clock + off
            }
        }
        _ => return None,
    };
    Some((utc, used))
}

/// `YYYY-MM-DD` → epoch ms of that day's midnight, and 10.
fn parse_iso_date(b: &[u8]) -> Option<(EpochMs, usize)> {
    let y = digits(b, 4)?;
    let mo = digits(b.get(5..)?, 2)?;
    let d = digits(b.get(8..)?, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !(1..=12).contains(&mo) {
        return None;
    }
    if d == 0 || d > days_in_month(i64::from(y), mo) {
        return None;
    }
    Some((epoch_ms(i64::from(y), mo, d, 0), 10))
}

/// Month number of an English three-letter month abbreviation.
pub fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let b = b.get(..3)?;
    MONTHS
        .iter()
        .position(|m| &m[..] == b)
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 17_170, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn rfc3339_from_the_buffer_is_the_formatted_one() {
        let formatted = |ms: EpochMs| {
            let days = ms.div_euclid(86_400_000);
            let rem = ms.rem_euclid(86_400_000);
            let (y, mo, d) = civil_from_days(days);
            format!(
                "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                rem / 3_600_000,
                rem / 60_000 % 60,
                rem / 1000 % 60,
                rem % 1000
            )
        };
        let mut ms: EpochMs = -62_167_219_200_000; // 0000-01-01
        while ms < 253_402_300_800_000 {
            // to 9999-12-31
            assert_eq!(Rfc3339(ms).to_string(), formatted(ms), "{ms}");
            ms += 987_654_321_987;
        }
        for ms in [-1, 0, 1, 86_399_999, 1_483_568_158_846, 253_402_300_799_999] {
            assert_eq!(Rfc3339(ms).to_string(), formatted(ms), "{ms}");
        }
        // Outside years 0 to 9999: the formatted form.
        for ms in [-62_167_219_200_001, 253_402_300_800_000, i64::MAX / 4] {
            assert!(Rfc3339(ms).bytes().is_none());
            assert_eq!(Rfc3339(ms).to_string(), formatted(ms), "{ms}");
        }
    }

    #[test]
    fn iso_with_offset_normalises_to_utc() {
        let (ms, used) = parse_iso(b"2020-05-21T20:04:24.263-07:00| vcpu-0|").unwrap();
        assert_eq!(used, 29);
        assert_eq!(Rfc3339(ms).to_string(), "2020-05-22T03:04:24.263Z");
        let (ms, _) = parse_iso(b"2018-06-29T17:28:26.569+05:30").unwrap();
        assert_eq!(Rfc3339(ms).to_string(), "2018-06-29T11:58:26.569Z");
        let (ms, used) = parse_iso(b"2017-01-04T22:15:58.846Z").unwrap();
        assert_eq!(used, 24);
        assert_eq!(Rfc3339(ms).to_string(), "2017-01-04T22:15:58.846Z");
    }

    #[test]
    fn iso_rejects_malformed() {
        for bad in [
            &b"2017-13-04T22:15:58.846Z"[..],
            b"2017-02-30T22:15:58.846Z",
            b"2017-01-04T24:15:58.846Z",
            b"2017-01-04T22:15:58.Z",
            b"2017-01-04T22:15:58.846",
            b"2017-01-04 22:15:58.846Z",
            b"2017-01-04T22:15:58.846+0700",
            b"",
            b"2017",
        ] {
            assert!(parse_iso(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
