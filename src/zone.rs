//! The zone times are shown in (`--tz`).
//!
//! Everything inside stunscan is UTC epoch milliseconds; a [`Zone`] only
//! decides how an instant is written. Offsets come from `jiff` (the IANA
//! database, daylight saving included); the digits are written by hand, as
//! for UTC in [`crate::time`], because the TSV writer formats one time per
//! event.

use std::cell::RefCell;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use crate::time::{self, EpochMs};

/// A time zone for output: UTC, the system's zone, a fixed offset or an
/// IANA zone.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
    /// How the user (and the report's title) calls it.
    name: String,
    utc: bool,
}

/// A wall-clock reading of an instant in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub milli: u32,
    /// Seconds east of UTC at that instant.
    pub offset_s: i32,
}

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            tz: TimeZone::UTC,
            name: "UTC".to_owned(),
            utc: true,
        }
    }

    /// Parses `--tz`: `UTC` (or `Z`), `local`, an offset (`+02:00`,
    /// `-0530`, `+02`) or an IANA name (`America/New_York`).
    pub fn parse(s: &str) -> Result<Zone, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" || t.eq_ignore_ascii_case("gmt") {
            return Ok(Zone::utc());
        }
        if t.eq_ignore_ascii_case("local") {
            let tz = TimeZone::try_system().map_err(|e| {
                format!(
                    "cannot tell this system's time zone ({e}); name it, e.g. --tz Europe/Berlin"
                )
            })?;
            let name = match tz.iana_name() {
                Some(n) => format!("local ({n})"),
                None => "local".to_owned(),
            };
            return Ok(Zone {
                tz,
                name,
                utc: false,
            });
        }
        if t.starts_with(['+', '-']) {
            let secs = parse_offset(t).ok_or_else(|| {
                format!("'{s}' is not a UTC offset; write it like +02:00 or -05:30")
            })?;
            let off = Offset::from_seconds(secs).map_err(|e| format!("'{s}': {e}"))?;
            return Ok(Zone {
                tz: TimeZone::fixed(off),
                name: format_offset(secs),
                utc: false,
            });
        }
        let tz = TimeZone::get(t).map_err(|_| {
            format!(
                "unknown time zone '{s}'; use UTC, local, an offset like +02:00, or an IANA name like Europe/Berlin"
            )
        })?;
        Ok(Zone {
            tz,
            name: t.to_owned(),
            utc: false,
        })
    }

    /// True for UTC itself (times end in `Z`); a named zone at offset zero
    /// is not UTC (times end in `+00:00`).
    pub fn is_utc(&self) -> bool {
        self.utc
    }

    /// The name to show: `UTC`, `+02:00`, `Europe/Berlin`, `local (…)`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds east of UTC at `ms`.
    pub fn offset_s(&self, ms: EpochMs) -> i32 {
        if self.utc {
            return 0;
        }
        match Timestamp::from_millisecond(ms) {
            Ok(ts) => self.tz.to_offset(ts).seconds(),
            Err(_) => 0,
        }
    }

    /// The wall-clock reading of `ms` in this zone.
    pub fn civil(&self, ms: EpochMs) -> Civil {
        let offset_s = self.offset_s(ms);
        let local = ms + i64::from(offset_s) * 1000;
        let (year, month, day) = time::civil_from_days(local.div_euclid(86_400_000));
        let rem = local.rem_euclid(86_400_000);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3_600_000) as u32,
            minute: (rem / 60_000 % 60) as u32,
            second: (rem / 1000 % 60) as u32,
            milli: (rem % 1000) as u32,
            offset_s,
        }
    }

    /// RFC 3339 with milliseconds: `…Z` in UTC, else with the offset.
    pub fn rfc3339(&self, ms: EpochMs) -> ZonedRfc3339<'_> {
        ZonedRfc3339 { ms, zone: self }
    }

    /// The instant of a wall-clock time in this zone (`ms_of_day` after
    /// midnight of the date); in the repeated autumn hour the earlier one,
    /// in the skipped spring hour the time an hour later. For `--since` and
    /// `--until` given without an offset.
    pub fn to_utc(&self, year: i64, month: u32, day: u32, ms_of_day: i64) -> Option<EpochMs> {
        let midnight = time::epoch_ms(year, month, day, 0);
        if self.utc {
            return Some(midnight + ms_of_day);
        }
        let local = midnight + ms_of_day;
        let (y, mo, d) = time::civil_from_days(local.div_euclid(86_400_000));
        let rem = local.rem_euclid(86_400_000);
        let dt = DateTime::new(
            i16::try_from(y).ok()?,
            i8::try_from(mo).ok()?,
            i8::try_from(d).ok()?,
            (rem / 3_600_000) as i8,
            (rem / 60_000 % 60) as i8,
            (rem / 1000 % 60) as i8,
            (rem % 1000 * 1_000_000) as i32,
        )
        .ok()?;
        let ts = self.tz.to_ambiguous_timestamp(dt).compatible().ok()?;
        Some(ts.as_millisecond())
    }

    /// Parses `--since`/`--until`: RFC 3339 with an offset or `Z` is that
    /// instant; a time without an offset (`2025-11-19 03:12`,
    /// `2025-11-19T03:12:00`) or a bare date (`2025-11-19`) is a wall-clock
    /// time in this zone. With `end_of_day`, a bare date means the last
    /// millisecond of that day (`--until DATE` includes the whole day).
    pub fn parse_user_time(&self, s: &str, end_of_day: bool) -> Result<EpochMs, String> {
        let t = s.trim();
        let bad = || {
            format!(
                "'{s}' is not a time; use RFC 3339 like 2017-01-04T22:15:00Z, a local time like '2017-01-04 22:15' (in the --tz zone) or a date like 2017-01-04"
            )
        };
        let b = t.as_bytes();
        let date = parse_date(b).ok_or_else(bad)?;
        if b.len() == 10 {
            let (y, m, d) = date;
            if end_of_day {
                let next = time::civil_from_days(time::days_from_civil(y, m, d) + 1);
                let start = self.to_utc(next.0, next.1, next.2, 0).ok_or_else(bad)?;
                return Ok(start - 1);
            }
            return self.to_utc(y, m, d, 0).ok_or_else(bad);
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return Err(bad());
        }
        let mut iso = b.to_vec();
        iso[10] = b'T';
        // `HH:MM` alone: seconds are zero.
        if iso.len() == 16 {
            iso.extend_from_slice(b":00");
        }
        if let Some((ms, used)) = time::parse_iso(&iso)
            && used == iso.len()
        {
            return Ok(ms);
        }
        let (clock, used) = time::parse_clock(&iso[11..]).ok_or_else(bad)?;
        if 11 + used != iso.len() {
            return Err(bad());
        }
        self.to_utc(date.0, date.1, date.2, clock).ok_or_else(bad)
    }
}

/// `YYYY-MM-DD` at the start of `b`, checked.
fn parse_date(b: &[u8]) -> Option<(i64, u32, u32)> {
    let y = time::digits(b, 4)?;
    let m = time::digits(b.get(5..)?, 2)?;
    let d = time::digits(b.get(8..)?, 2)?;
    let ok = b[4] == b'-'
        && b[7] == b'-'
        && (1..=12).contains(&m)
        && d >= 1
        && d <= time::days_in_month(i64::from(y), m);
    ok.then_some((i64::from(y), m, d))
}

/// `+02:00`, `-0530`, `+02` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|c| c.is_ascii_digit()) || rest.matches(':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    (h <= 25 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// `+02:00`, `-05:30`, `+00:00`.
pub fn format_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

/// Displays an instant as RFC 3339 in a zone, without an intermediate
/// `String`.
#[derive(Debug, Clone, Copy)]
pub struct ZonedRfc3339<'a> {
    ms: EpochMs,
    zone: &'a Zone,
}

impl fmt::Display for ZonedRfc3339<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.zone.utc {
            return time::Rfc3339(self.ms).fmt(f);
        }
        let c = self.zone.civil(self.ms);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}",
            c.year,
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second,
            c.milli,
            format_offset(c.offset_s)
        )
    }
}

thread_local! {
    /// The zone of [`time::format_rfc3339_ms`] while a report is rendered.
    static OUTPUT: RefCell<Option<Zone>> = const { RefCell::new(None) };
}

/// Runs `f` with `zone` as the zone of [`time::format_rfc3339_ms`], which the
/// data model's serializers call: the JSON document's times follow `--tz`
/// without a zone threaded through every `Serialize` impl.
pub fn with_output_zone<T>(zone: &Zone, f: impl FnOnce() -> T) -> T {
    struct Reset(Option<Zone>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let prev = self.0.take();
            OUTPUT.with(|z| *z.borrow_mut() = prev);
        }
    }
    let prev = OUTPUT.with(|z| z.borrow_mut().replace(zone.clone()));
    let _reset = Reset(prev);
    f()
}

/// [`Zone::rfc3339`] in the zone set by [`with_output_zone`], else UTC.
pub fn output_rfc3339(ms: EpochMs) -> String {
    OUTPUT.with(|z| match z.borrow().as_ref() {
        Some(zone) if !zone.utc => zone.rfc3339(ms).to_string(),
        _ => time::Rfc3339(ms).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> EpochMs {
        time::parse_iso(s.as_bytes()).unwrap().0
    }

    #[test]
    fn parses_zones() {
        assert!(Zone::parse("UTC").unwrap().is_utc());
        assert!(Zone::parse("utc").unwrap().is_utc());
        assert_eq!(Zone::parse("+02:00").unwrap().name(), "+02:00");
        assert_eq!(Zone::parse("-0530").unwrap().name(), "-05:30");
        assert_eq!(Zone::parse("+02").unwrap().name(), "+02:00");
        assert!(Zone::parse("America/New_York").is_ok());
        assert!(Zone::parse("local").is_ok());
        for bad in ["Nowhere/Atlantis", "+2:0:0", "+99:00", "+ab:cd", ""] {
            assert!(Zone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_with_offsets_and_daylight_saving() {
        let ny = Zone::parse("America/New_York").unwrap();
        let winter = ms("2025-11-18T22:00:07.882Z");
        let summer = ms("2025-07-01T12:00:00.000Z");
        assert_eq!(
            ny.rfc3339(winter).to_string(),
            "2025-11-18T17:00:07.882-05:00"
        );
        assert_eq!(
            ny.rfc3339(summer).to_string(),
            "2025-07-01T08:00:00.000-04:00"
        );
        let plus2 = Zone::parse("+02:00").unwrap();
        assert_eq!(
            plus2.rfc3339(winter).to_string(),
            "2025-11-19T00:00:07.882+02:00"
        );
        assert_eq!(
            Zone::utc().rfc3339(winter).to_string(),
            "2025-11-18T22:00:07.882Z"
        );
        let london = Zone::parse("Europe/London").unwrap();
        assert_eq!(
            london.rfc3339(winter).to_string(),
            "2025-11-18T22:00:07.882+00:00"
        );
    }

    #[test]
    fn user_times_are_in_the_zone() {
        let ber = Zone::parse("Europe/Berlin").unwrap();
        let t = |s, end| {
            ber.parse_user_time(s, end)
                .map(time::format_rfc3339_ms)
        };
        assert_eq!(
            t("2025-11-19 03:12", false).unwrap(),
            "2025-11-19T02:12:00.000Z"
        );
        assert_eq!(
            t("2025-07-01T03:12:30", false).unwrap(),
            "2025-07-01T01:12:30.000Z"
        );
        assert_eq!(t("2025-11-19", false).unwrap(), "2025-11-18T23:00:00.000Z");
        assert_eq!(t("2025-11-19", true).unwrap(), "2025-11-19T22:59:59.999Z");
        assert_eq!(
            t("2025-11-19T03:12:00Z", false).unwrap(),
            "2025-11-19T03:12:00.000Z"
        );
        assert_eq!(
            t("2025-11-19T03:12:00+01:00", false).unwrap(),
            "2025-11-19T02:12:00.000Z"
        );
        assert!(t("yesterday", false).is_err());
        assert!(t("2025-11-19X03:12", false).is_err());
    }

    #[test]
    fn output_zone_is_scoped() {
        let t = ms("2025-11-18T22:00:07.882Z");
        let z = Zone::parse("+01:00").unwrap();
        let inside = with_output_zone(&z, || output_rfc3339(t));
        assert_eq!(inside, "2025-11-18T23:00:07.882+01:00");
        assert_eq!(output_rfc3339(t), "2025-11-18T22:00:07.882Z");
    }
}
