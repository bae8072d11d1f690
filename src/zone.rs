//! Time zones for times that carry none.
//!
//! vmware.log times are UTC, but a database's `messages.log` and a freeze
//! script's logs are written in the guest's local wall time, with no offset.
//! Lining the two up needs the guest's zone, daylight saving included, and
//! the same zone type serves for showing report times in a chosen zone.
//!
//! The zone database is compiled into the binary (jiff's bundled tzdb), so
//! results never depend on the machine's `/usr/share/zoneinfo`; only
//! `local` asks the system which zone it is in.
//!
//! For output (`--tz`), [`Zone::wall`] reads an instant on the zone's
//! clock, [`Zone::rfc3339`] writes it without allocating (the TSV writer
//! formats one time per event), [`with_output_zone`] makes the data
//! model's serializers follow `--tz`, and [`Zone::parse_user_time`] reads
//! `--since`/`--until` given without an offset as wall times of the zone.

use std::cell::RefCell;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};

use crate::time::{EpochMs, civil_from_days, days_from_civil, days_in_month};

/// A wall-clock date and time, as a log writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub milli: u32,
}

impl Civil {
    /// Milliseconds since the epoch of this wall time read as if it were UTC.
    fn naive_ms(&self) -> EpochMs {
        let day = days_from_civil(i64::from(self.year), self.month, self.day);
        let ms_of_day = i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.milli);
        day * 86_400_000 + ms_of_day
    }

    /// The wall time `ms` milliseconds after 1970-01-01T00:00 wall time.
    fn from_naive_ms(ms: EpochMs) -> Civil {
        let (y, month, day) = civil_from_days(ms.div_euclid(86_400_000));
        let rem = ms.rem_euclid(86_400_000);
        let part = |x: i64| u32::try_from(x).unwrap_or(0);
        Civil {
            year: i32::try_from(y).unwrap_or(i32::MAX),
            month,
            day,
            hour: part(rem / 3_600_000),
            minute: part(rem / 60_000 % 60),
            second: part(rem / 1000 % 60),
            milli: part(rem % 1000),
        }
    }

    /// Whether this is a real date and time (February 30th, hour 24 and
    /// year 10000 are not), as the zone rules require.
    pub fn is_valid(&self) -> bool {
        (-9999..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && (1..=days_in_month(i64::from(self.year), self.month)).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
            && self.milli < 1000
    }

    fn to_jiff(self) -> Option<DateTime> {
        let nanos = i32::try_from(self.milli).ok()?.checked_mul(1_000_000)?;
        DateTime::new(
            i16::try_from(self.year).ok()?,
            i8::try_from(self.month).ok()?,
            i8::try_from(self.day).ok()?,
            i8::try_from(self.hour).ok()?,
            i8::try_from(self.minute).ok()?,
            i8::try_from(self.second).ok()?,
            nanos,
        )
        .ok()
    }
}

/// What a wall time means in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTime {
    /// The usual case: one instant.
    Unique(EpochMs),
    /// The hour that the end of daylight saving repeats: two instants.
    Ambiguous { earlier: EpochMs, later: EpochMs },
    /// The hour that the start of daylight saving skips: no clock showed
    /// this time. Read with the offset in force before the gap (as
    /// RFC 5545 and Temporal do), which lands after the gap.
    Skipped(EpochMs),
}

/// A time zone: UTC, a fixed offset, the system's zone or an IANA zone.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
    name: String,
    utc: bool,
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

    /// Parses `UTC`, `local`, an offset (`+02:00`, `-0500`, `+05`) or an
    /// IANA name (`America/New_York`). An unknown name is an error that
    /// says what is accepted, never a silent UTC.
    pub fn parse(spec: &str) -> Result<Zone, String> {
        let s = spec.trim();
        if ["utc", "z", "gmt", "etc/utc"].contains(&s.to_ascii_lowercase().as_str()) {
            return Ok(Zone::utc());
        }
        if s.eq_ignore_ascii_case("local") {
            return local();
        }
        if s.starts_with(['+', '-']) {
            return fixed(s);
        }
        TimeZone::get(s)
            .map(|tz| Zone {
                tz,
                name: s.to_owned(),
                utc: false,
            })
            .map_err(|_| unknown(spec))
    }

    /// The name the user gave (or the system's zone name for `local`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_utc(&self) -> bool {
        self.utc
    }

    /// What the wall time `c` means here; `None` when `c` is no date
    /// (February 30th, hour 24, a year beyond 9999).
    pub fn resolve(&self, c: Civil) -> Option<LocalTime> {
        let dt = c.to_jiff()?;
        let naive = c.naive_ms();
        let at = |o: Offset| naive - i64::from(o.seconds()) * 1000;
        Some(match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => LocalTime::Unique(at(offset)),
            AmbiguousOffset::Fold { before, after } => LocalTime::Ambiguous {
                earlier: at(before),
                later: at(after),
            },
            AmbiguousOffset::Gap { before, .. } => LocalTime::Skipped(at(before)),
        })
    }

    /// UTC milliseconds of the wall time `c`, and whether it was ambiguous
    /// (then the earlier instant is given).
    pub fn to_utc_ms(&self, c: Civil) -> Option<(EpochMs, bool)> {
        Some(match self.resolve(c)? {
            LocalTime::Unique(ms) | LocalTime::Skipped(ms) => (ms, false),
            LocalTime::Ambiguous { earlier, .. } => (earlier, true),
        })
    }

    /// The zone's offset from UTC at an instant, in seconds.
    pub fn offset_at(&self, utc_ms: EpochMs) -> i32 {
        match Timestamp::from_millisecond(utc_ms) {
            Ok(ts) => self.tz.to_offset(ts).seconds(),
            Err(_) => 0,
        }
    }

    /// The zone's abbreviation at an instant (`EST`, `CEST`, `UTC`), as
    /// `date` prints it; for fixed offsets, whatever the zone data says.
    pub fn abbreviation_at(&self, utc_ms: EpochMs) -> String {
        match Timestamp::from_millisecond(utc_ms) {
            Ok(ts) => self.tz.to_offset_info(ts).abbreviation().to_owned(),
            Err(_) => String::new(),
        }
    }

    /// RFC 3339 with milliseconds in this zone:
    /// `2017-01-04T16:30:35.000-05:00`, or `…Z` for UTC.
    pub fn format_rfc3339_ms(&self, utc_ms: EpochMs) -> String {
        if self.utc {
            // Not [`format_rfc3339_ms`], which follows the output zone.
            return crate::time::Rfc3339(utc_ms).to_string();
        }
        let off = self.offset_at(utc_ms);
        let wall = utc_ms + i64::from(off) * 1000;
        let (y, mo, d) = civil_from_days(wall.div_euclid(86_400_000));
        let rem = wall.rem_euclid(86_400_000);
        let (h, mi, s, ms) = (
            rem / 3_600_000,
            rem / 60_000 % 60,
            rem / 1000 % 60,
            rem % 1000,
        );
        let sign = if off < 0 { '-' } else { '+' };
        let (oh, om) = (off.unsigned_abs() / 3600, off.unsigned_abs() / 60 % 60);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}{sign}{oh:02}:{om:02}")
    }
}

/// Resolves the wall times of one log, in order. A log has thousands of
/// entries an hour and its zone changes offset twice a year, so the offset
/// of the last hour that had one offset throughout is remembered and the
/// zone's rules are looked up about once per hour of log.
#[derive(Debug)]
pub struct Resolver<'a> {
    zone: &'a Zone,
    /// (wall-clock hour since 1970, its offset in ms)
    cached: Option<(i64, i64)>,
}

impl<'a> Resolver<'a> {
    pub fn new(zone: &'a Zone) -> Self {
        Resolver { zone, cached: None }
    }

    pub fn zone(&self) -> &'a Zone {
        self.zone
    }

    /// [`Zone::resolve`], faster.
    pub fn resolve(&mut self, c: Civil) -> Option<LocalTime> {
        if !c.is_valid() {
            return None;
        }
        let naive = c.naive_ms();
        let hour = naive.div_euclid(3_600_000);
        if let Some((h, off)) = self.cached
            && h == hour
        {
            return Some(LocalTime::Unique(naive - off));
        }
        let r = self.zone.resolve(c)?;
        self.cached = self.one_offset(hour).map(|off| (hour, off));
        Some(r)
    }

    /// The offset (ms) in force through the whole wall-clock `hour`, if
    /// one is: its first and last millisecond have the same single offset
    /// (a zone never changes offset twice within an hour).
    fn one_offset(&self, hour: i64) -> Option<i64> {
        let start = hour * 3_600_000;
        let offset = |naive: EpochMs| match self.zone.resolve(Civil::from_naive_ms(naive))? {
            LocalTime::Unique(ms) => Some(naive - ms),
            _ => None,
        };
        let (a, b) = (offset(start)?, offset(start + 3_599_999)?);
        (a == b).then_some(a)
    }
}

fn unknown(spec: &str) -> String {
    format!(
        "unknown time zone {spec:?}: give UTC, local, an offset such as +02:00, \
         or an IANA name such as America/New_York"
    )
}

fn local() -> Result<Zone, String> {
    let tz = TimeZone::try_system().map_err(|e| {
        format!("cannot tell this machine's time zone ({e}); name it, e.g. America/New_York")
    })?;
    let name = tz.iana_name().unwrap_or("local").to_owned();
    let utc = name == "UTC" || name == "Etc/UTC";
    Ok(Zone { tz, name, utc })
}

/// `+02:00`, `-0500`, `+05`: hours up to 23, minutes up to 59.
fn fixed(s: &str) -> Result<Zone, String> {
    let b = s.as_bytes();
    let sign = if b.first() == Some(&b'-') { -1 } else { 1 };
    let rest = &b[1..];
    let (h, m) = match rest {
        [h1, h2] => (two(*h1, *h2), Some(0)),
        [h1, h2, m1, m2] => (two(*h1, *h2), two(*m1, *m2)),
        [h1, h2, b':', m1, m2] => (two(*h1, *h2), two(*m1, *m2)),
        _ => (None, None),
    };
    let (Some(h), Some(m)) = (h, m) else {
        return Err(unknown(s));
    };
    if h > 23 || m > 59 {
        return Err(unknown(s));
    }
    let secs = sign * (h * 3600 + m * 60);
    let off = Offset::from_seconds(secs).map_err(|_| unknown(s))?;
    Ok(Zone {
        tz: TimeZone::fixed(off),
        name: s.to_owned(),
        utc: false,
    })
}

fn two(a: u8, b: u8) -> Option<i32> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| i32::from(a - b'0') * 10 + i32::from(b - b'0'))
}

impl Zone {
    /// The wall-clock reading of the instant `utc_ms` in this zone.
    pub fn wall(&self, utc_ms: EpochMs) -> Civil {
        let local = utc_ms + i64::from(self.offset_at(utc_ms)) * 1000;
        let (y, month, day) = civil_from_days(local.div_euclid(86_400_000));
        let rem = local.rem_euclid(86_400_000);
        Civil {
            year: i32::try_from(y).unwrap_or(if y < 0 { i32::MIN } else { i32::MAX }),
            month,
            day,
            hour: (rem / 3_600_000) as u32,
            minute: (rem / 60_000 % 60) as u32,
            second: (rem / 1000 % 60) as u32,
            milli: (rem % 1000) as u32,
        }
    }

    /// True when the zone is a fixed offset that its name already says
    /// (`+02:00`): a report need not repeat the offset beside it.
    pub fn names_its_offset(&self) -> bool {
        self.name.starts_with(['+', '-']) && self.name == format_offset(self.offset_at(0))
    }

    /// [`Zone::format_rfc3339_ms`] as a `Display`, without an intermediate
    /// `String`.
    pub fn rfc3339(&self, utc_ms: EpochMs) -> ZonedRfc3339<'_> {
        ZonedRfc3339 {
            ms: utc_ms,
            zone: self,
        }
    }

    /// Reads `--since`/`--until`: RFC 3339 with an offset or `Z` is that
    /// instant; a time without an offset (`2025-11-19 03:12`,
    /// `2025-11-19T03:12:00.5`) or a bare date (`2025-11-19`) is a wall time
    /// of this zone (in the repeated autumn hour the earlier instant). With
    /// `end_of_day`, a bare date means the last millisecond of that day in
    /// this zone (`--until DATE` includes the whole day, 23 or 25 hours
    /// long on a daylight-saving change).
    pub fn parse_user_time(&self, s: &str, end_of_day: bool) -> Result<EpochMs, String> {
        let bad = || {
            // `now` is a word the watch knows (`--follow --since now`); a
            // report of what the logs hold has no use for it.
            let now = if s.trim().eq_ignore_ascii_case("now") {
                " ('now' is read only as --since now with --follow, to watch without reporting what the logs hold already)"
            } else {
                ""
            };
            format!(
                "'{s}' is not a time{now}; use RFC 3339 like 2017-01-04T22:15:00Z, a time like '2017-01-04 22:15' (read in the --tz zone) or a date like 2017-01-04"
            )
        };
        let b = s.trim().as_bytes();
        let (y, mo, d) = parse_date(b).ok_or_else(bad)?;
        let at = |c: Civil| self.to_utc_ms(c).map(|(ms, _)| ms).ok_or_else(bad);
        let midnight = |y: i64, mo: u32, d: u32| Civil {
            year: i32::try_from(y).unwrap_or(i32::MAX),
            month: mo,
            day: d,
            hour: 0,
            minute: 0,
            second: 0,
            milli: 0,
        };
        if b.len() == 10 {
            if !end_of_day {
                return at(midnight(y, mo, d));
            }
            let (ny, nm, nd) = civil_from_days(days_from_civil(y, mo, d) + 1);
            return at(midnight(ny, nm, nd)).map(|ms| ms - 1);
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return Err(bad());
        }
        let mut iso = b.to_vec();
        iso[10] = b'T';
        if iso.len() == 16 {
            // `HH:MM` alone: the seconds are zero.
            iso.extend_from_slice(b":00");
        }
        if let Some((ms, used)) = crate::time::parse_iso(&iso)
            && used == iso.len()
        {
            return Ok(ms);
        }
        let (clock, used) = crate::time::parse_clock(&iso[11..]).ok_or_else(bad)?;
        if 11 + used != iso.len() {
            return Err(bad());
        }
        let c = Civil {
            hour: (clock / 3_600_000) as u32,
            minute: (clock / 60_000 % 60) as u32,
            second: (clock / 1000 % 60) as u32,
            milli: (clock % 1000) as u32,
            ..midnight(y, mo, d)
        };
        at(c)
    }
}

/// `YYYY-MM-DD` at the start of `b`, checked.
fn parse_date(b: &[u8]) -> Option<(i64, u32, u32)> {
    use crate::time::digits;
    let y = digits(b, 4)?;
    let m = digits(b.get(5..)?, 2)?;
    let d = digits(b.get(8..)?, 2)?;
    let ok = b[4] == b'-'
        && b[7] == b'-'
        && (1..=12).contains(&m)
        && d >= 1
        && d <= days_in_month(i64::from(y), m);
    ok.then_some((i64::from(y), m, d))
}

/// `+02:00`, `-05:30`, `+00:00`.
pub fn format_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

/// Displays an instant as RFC 3339 with milliseconds in a zone.
#[derive(Debug, Clone, Copy)]
pub struct ZonedRfc3339<'a> {
    ms: EpochMs,
    zone: &'a Zone,
}

impl fmt::Display for ZonedRfc3339<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.zone.utc {
            return crate::time::Rfc3339(self.ms).fmt(f);
        }
        let c = self.zone.wall(self.ms);
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
            format_offset(self.zone.offset_at(self.ms))
        )
    }
}

thread_local! {
    /// The zone of [`format_rfc3339_ms`] while a report is
    /// rendered.
    static OUTPUT: RefCell<Option<Zone>> = const { RefCell::new(None) };
}

/// Runs `f` with `zone` as the zone of [`format_rfc3339_ms`],
/// which the data model's serializers call: the JSON document's times follow
/// `--tz` without a zone threaded through every `Serialize` impl. Scoped
/// (and per thread), so nothing outside rendering sees it.
pub fn with_output_zone<T>(zone: &Zone, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Zone>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            OUTPUT.with(|z| *z.borrow_mut() = prev);
        }
    }
    let prev = OUTPUT.with(|z| z.borrow_mut().replace(zone.clone()));
    let _restore = Restore(prev);
    f()
}

/// RFC 3339 with milliseconds (`2017-01-04T22:15:58.846Z`): in the zone
/// set by [`with_output_zone`] while a report is rendered, else UTC.
pub fn format_rfc3339_ms(utc_ms: EpochMs) -> String {
    OUTPUT.with(|z| match z.borrow().as_ref() {
        Some(zone) if !zone.utc => zone.rfc3339(utc_ms).to_string(),
        _ => crate::time::Rfc3339(utc_ms).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Civil {
        Civil {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
            milli: 0,
        }
    }

    fn rfc(ms: EpochMs) -> String {
        format_rfc3339_ms(ms)
    }

    #[test]
    fn utc_spellings() {
        for s in ["UTC", "utc", "Z", "GMT", " UTC "] {
            let z = Zone::parse(s).unwrap();
            assert!(z.is_utc(), "{s}");
            assert_eq!(z.format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        }
    }

    #[test]
    fn new_york_winter_and_summer() {
        let z = Zone::parse("America/New_York").unwrap();
        let (ms, amb) = z.to_utc_ms(civil(2017, 1, 4, 16, 30, 35)).unwrap();
        assert!(!amb);
        assert_eq!(rfc(ms), "2017-01-04T21:30:35.000Z");
        assert_eq!(z.format_rfc3339_ms(ms), "2017-01-04T16:30:35.000-05:00");
        assert_eq!(z.offset_at(ms), -5 * 3600);
        assert_eq!(z.abbreviation_at(ms), "EST");
        let (ms, _) = z.to_utc_ms(civil(2017, 7, 4, 12, 0, 0)).unwrap();
        assert_eq!(rfc(ms), "2017-07-04T16:00:00.000Z");
        assert_eq!(z.abbreviation_at(ms), "EDT");
    }

    #[test]
    fn autumn_hour_is_ambiguous() {
        let z = Zone::parse("America/New_York").unwrap();
        let r = z.resolve(civil(2025, 11, 2, 1, 30, 0)).unwrap();
        let LocalTime::Ambiguous { earlier, later } = r else {
            panic!("{r:?}")
        };
        assert_eq!(rfc(earlier), "2025-11-02T05:30:00.000Z");
        assert_eq!(rfc(later), "2025-11-02T06:30:00.000Z");
        assert_eq!(
            z.to_utc_ms(civil(2025, 11, 2, 1, 30, 0)),
            Some((earlier, true))
        );
    }

    #[test]
    fn spring_hour_is_skipped() {
        let z = Zone::parse("America/New_York").unwrap();
        let r = z.resolve(civil(2025, 3, 9, 2, 30, 0)).unwrap();
        let LocalTime::Skipped(ms) = r else {
            panic!("{r:?}")
        };
        assert_eq!(rfc(ms), "2025-03-09T07:30:00.000Z");
    }

    #[test]
    fn fixed_offsets() {
        for (s, off) in [
            ("+02:00", 7200),
            ("-05:00", -18000),
            ("+0530", 19800),
            ("-03", -10800),
        ] {
            let z = Zone::parse(s).unwrap();
            assert_eq!(z.offset_at(0), off, "{s}");
        }
        let z = Zone::parse("-05:00").unwrap();
        let (ms, _) = z.to_utc_ms(civil(2017, 1, 4, 16, 30, 35)).unwrap();
        assert_eq!(rfc(ms), "2017-01-04T21:30:35.000Z");
        assert_eq!(z.format_rfc3339_ms(ms), "2017-01-04T16:30:35.000-05:00");
        let z = Zone::parse("+05:30").unwrap();
        assert_eq!(z.format_rfc3339_ms(0), "1970-01-01T05:30:00.000+05:30");
    }

    #[test]
    fn unknown_zones_are_errors() {
        for s in ["Mars/Olympus", "+25:00", "+2", "+02:60", "", "EST5EDT6"] {
            let e = Zone::parse(s).unwrap_err();
            assert!(e.contains("unknown time zone"), "{s}: {e}");
        }
    }

    #[test]
    fn local_resolves() {
        // Whatever the machine's zone, `local` is a zone, not an error.
        assert!(Zone::parse("local").is_ok());
    }

    #[test]
    fn invalid_dates_are_none() {
        let z = Zone::parse("Europe/Paris").unwrap();
        assert_eq!(z.resolve(civil(2023, 2, 29, 0, 0, 0)), None);
        assert_eq!(z.resolve(civil(2023, 1, 1, 24, 0, 0)), None);
        assert_eq!(z.resolve(civil(12023, 1, 1, 0, 0, 0)), None);
    }

    #[test]
    fn resolver_agrees_with_the_zone_across_transitions() {
        for name in ["America/New_York", "Australia/Lord_Howe", "UTC", "+05:30"] {
            let z = Zone::parse(name).unwrap();
            let mut r = Resolver::new(&z);
            // Every 7 minutes through 2025, both transitions included.
            let start = crate::time::epoch_ms(2025, 1, 1, 0);
            for i in 0..(366 * 24 * 60 / 7) {
                let c = Civil::from_naive_ms(start + i * 7 * 60_000 + 1234);
                assert_eq!(r.resolve(c), z.resolve(c), "{name} {c:?}");
            }
        }
    }

    #[test]
    fn validity() {
        assert!(civil(2024, 2, 29, 23, 59, 59).is_valid());
        assert!(!civil(2023, 2, 29, 0, 0, 0).is_valid());
        assert!(!civil(2023, 13, 1, 0, 0, 0).is_valid());
        assert!(!civil(2023, 1, 1, 0, 60, 0).is_valid());
        let z = Zone::utc();
        assert_eq!(Resolver::new(&z).resolve(civil(2023, 4, 31, 0, 0, 0)), None);
    }

    #[test]
    fn format_before_epoch() {
        let z = Zone::parse("-05:00").unwrap();
        assert_eq!(z.format_rfc3339_ms(-1), "1969-12-31T18:59:59.999-05:00");
    }

    fn at(s: &str) -> EpochMs {
        crate::time::parse_iso(s.as_bytes()).unwrap().0
    }

    #[test]
    fn output_with_offsets_and_daylight_saving() {
        let ny = Zone::parse("America/New_York").unwrap();
        let winter = at("2025-11-18T22:00:07.882Z");
        let summer = at("2025-07-01T12:00:00.000Z");
        assert_eq!(
            ny.rfc3339(winter).to_string(),
            "2025-11-18T17:00:07.882-05:00"
        );
        assert_eq!(
            ny.rfc3339(summer).to_string(),
            "2025-07-01T08:00:00.000-04:00"
        );
        assert_eq!(ny.rfc3339(winter).to_string(), ny.format_rfc3339_ms(winter));
        let plus2 = Zone::parse("+02:00").unwrap();
        assert_eq!(
            plus2.rfc3339(winter).to_string(),
            "2025-11-19T00:00:07.882+02:00"
        );
        assert!(plus2.names_its_offset());
        assert!(!ny.names_its_offset());
        assert_eq!(
            Zone::utc().rfc3339(winter).to_string(),
            "2025-11-18T22:00:07.882Z"
        );
        let london = Zone::parse("Europe/London").unwrap();
        assert_eq!(
            london.rfc3339(winter).to_string(),
            "2025-11-18T22:00:07.882+00:00"
        );
        let w = ny.wall(winter);
        assert_eq!(
            (w.year, w.month, w.day, w.hour, w.milli),
            (2025, 11, 18, 17, 882)
        );
    }

    #[test]
    fn user_times_are_wall_times_of_the_zone() {
        let ber = Zone::parse("Europe/Berlin").unwrap();
        let t = |s, end| ber.parse_user_time(s, end).map(rfc);
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
        // The autumn change: that day has 25 hours.
        assert_eq!(t("2025-10-26", true).unwrap(), "2025-10-26T22:59:59.999Z");
        assert_eq!(
            t("2025-11-19T03:12:00Z", false).unwrap(),
            "2025-11-19T03:12:00.000Z"
        );
        assert_eq!(
            t("2025-11-19T03:12:00+01:00", false).unwrap(),
            "2025-11-19T02:12:00.000Z"
        );
        for bad in [
            "yesterday",
            "2025-11-19X03:12",
            "2025-02-30",
            "2025-11-19 25:00",
        ] {
            assert!(t(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn output_zone_is_scoped() {
        let t = at("2025-11-18T22:00:07.882Z");
        let z = Zone::parse("+01:00").unwrap();
        let inside = with_output_zone(&z, || format_rfc3339_ms(t));
        assert_eq!(inside, "2025-11-18T23:00:07.882+01:00");
        assert_eq!(format_rfc3339_ms(t), "2025-11-18T22:00:07.882Z");
        // UTC itself never follows the output zone.
        let utc = with_output_zone(&z, || Zone::utc().format_rfc3339_ms(t));
        assert_eq!(utc, "2025-11-18T22:00:07.882Z");
    }
}
