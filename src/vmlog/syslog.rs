//! VMX lines forwarded by syslog: the envelope peeled off, the VM and its
//! host taken from it.
//!
//! Where datastores are out of reach, a VM's log can go to the host's
//! syslog as well as to disk (`vmx.log.destination = "syslog-and-disk"` in
//! its `.vmx`, `vmx.log.syslogID = "<name>"` naming it), and from there to
//! a collector, where the lines of many VMs and hosts are interleaved in one
//! file. Each line then wears an envelope:
//!
//! | layout | example |
//! |---|---|
//! | RFC 5424 on the wire | `<14>1 2026-12-04T10:00:01.000Z esx01 db1-prod - - - <VMX line>` |
//! | RFC 3164 on the wire | `<14>Dec  4 10:00:01 esx01 db1-prod: <VMX line>` |
//! | RFC 3164 with an RFC 3339 time | `<14>2026-12-04T10:00:01.000Z esx01 db1-prod[2101]: <VMX line>` |
//! | rsyslog's traditional file format | `Dec  4 10:00:01 esx01 db1-prod[2101]: <VMX line>` |
//! | rsyslog's file format (RFC 3339) | `2026-12-04T11:00:01.000123+01:00 esx01 db1-prod: <VMX line>` |
//!
//! The host is the syslog HOSTNAME, the VM the TAG (RFC 3164) or APP-NAME
//! (RFC 5424), which carries the syslogID. The VMX line inside is read
//! with its own header when it has one (its time is the VMX's, in UTC to
//! the millisecond), else with only its `In(05) vcpu-0 -` part, else as a
//! bare message; then the envelope's time is the line's time. A
//! traditional time has no year and no zone: it is read as the old
//! year-less VMX header is (UTC, the year from the file's date, marked
//! approximate).
//!
//! We know of no public sample of a forwarded VMX line: the layouts come
//! from the RFCs and rsyslog's documented templates, and the reader is
//! tolerant (any PRI, any number of spaces after the traditional month,
//! structured data skipped whole, a BOM before the message).

use super::header::{self, Family, Header, LineTime};
use crate::time;

/// Where a forwarded line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forwarded<'a> {
    /// The syslog HOSTNAME: the ESXi host.
    pub host: &'a [u8],
    /// The TAG / APP-NAME: the VM's syslogID.
    pub app: &'a [u8],
}

/// A syslog line cut into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// None: RFC 5424's nil time (`-`).
    pub time: Option<LineTime>,
    pub from: Forwarded<'a>,
    pub message: &'a [u8],
}

/// A forwarded line's header: the VMX line's own when the message has one,
/// with where it came from.
pub fn parse(line: &[u8]) -> Option<Header<'_>> {
    let env = envelope(line)?;
    let msg = header::trim_start(env.message);
    let mut h = header::parse_at_start(msg)
        .or_else(|| header::severity_fields(msg, env.time?))
        .or_else(|| {
            Some(Header {
                time: env.time?,
                family: Family::Forwarded,
                continuation: false,
                thread: b"",
                rest: msg,
                grep_name: None,
                grep_line: None,
                forwarded: None,
            })
        })?;
    h.forwarded = Some(env.from);
    Some(h)
}

/// Cuts a syslog line: `<PRI>` (optional) then RFC 5424 or RFC 3164.
pub fn envelope(line: &[u8]) -> Option<Envelope<'_>> {
    let (b, pri) = match strip_pri(line) {
        Some(rest) => (rest, true),
        None => (line, false),
    };
    if pri && let Some(rest) = b.strip_prefix(b"1 ") {
        return rfc5424(rest);
    }
    rfc3164(b)
}

/// `<0>` … `<191>`.
fn strip_pri(b: &[u8]) -> Option<&[u8]> {
    let b = b.strip_prefix(b"<")?;
    let n = b.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 3 || b.get(n) != Some(&b'>') {
        return None;
    }
    let v: u32 = std::str::from_utf8(&b[..n]).ok()?.parse().ok()?;
    (v <= 191).then_some(&b[n + 1..])
}

/// The next space-delimited field (printable ASCII, at most `max` bytes)
/// and what follows its space.
fn field(b: &[u8], max: usize) -> Option<(&[u8], &[u8])> {
    let n = b
        .iter()
        .take(max + 1)
        .take_while(|&&c| c > b' ' && c < 0x7f)
        .count();
    if n == 0 || n > max {
        return None;
    }
    match b.get(n) {
        None => Some((&b[..n], &[])),
        Some(b' ') => Some((&b[..n], &b[n + 1..])),
        Some(_) => None,
    }
}

/// `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`.
fn rfc5424(b: &[u8]) -> Option<Envelope<'_>> {
    let (ts, b) = field(b, 64)?;
    let time = if ts == b"-" {
        None
    } else {
        let (ms, used) = time::parse_iso(ts)?;
        if used != ts.len() {
            return None;
        }
        Some(LineTime::Utc(ms))
    };
    let (host, b) = field(b, 255)?;
    let (app, b) = field(b, 48)?;
    let (_procid, b) = field(b, 128)?;
    let (_msgid, b) = field(b, 32)?;
    if host == b"-" || app == b"-" {
        return None;
    }
    let b = skip_structured_data(b)?;
    let b = b.strip_prefix(b" ").unwrap_or(b);
    let message = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    Some(Envelope {
        time,
        from: Forwarded { host, app },
        message,
    })
}

/// `-` or one or more `[id param="value" …]` elements (`\]`, `\"` and `\\`
/// escaped inside values).
fn skip_structured_data(b: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = b.strip_prefix(b"-") {
        return (rest.is_empty() || rest[0] == b' ').then_some(rest);
    }
    let i = header::sd_elements_len(b)?;
    (i > 0).then(|| &b[i..])
}

/// `TIMESTAMP HOSTNAME TAG[PID]: MSG`, the time traditional
/// (`Mmm dd hh:mm:ss`) or RFC 3339.
fn rfc3164(b: &[u8]) -> Option<Envelope<'_>> {
    let (time, b) = match time::parse_iso(b) {
        Some((ms, used)) => (LineTime::Utc(ms), b.get(used..)?),
        None => traditional_time(b)?,
    };
    let b = b.strip_prefix(b" ")?;
    let (host, b) = field(b, 255)?;
    let (app, b) = tag(b)?;
    Some(Envelope {
        time: Some(time),
        from: Forwarded { host, app },
        message: b,
    })
}

/// `Dec  4 10:00:01` (the day space-padded or not; fractions tolerated).
fn traditional_time(b: &[u8]) -> Option<(LineTime, &[u8])> {
    let month = time::month_from_abbrev(b)?;
    let mut b = b.get(3..)?.strip_prefix(b" ")?;
    b = b.strip_prefix(b" ").unwrap_or(b);
    let n = b.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&n) {
        return None;
    }
    let day: u32 = std::str::from_utf8(&b[..n]).ok()?.parse().ok()?;
    if day == 0 || day > time::days_in_month(2000, month) {
        return None;
    }
    let b = b[n..].strip_prefix(b" ")?;
    let (ms_of_day, used) = time::parse_clock(b)?;
    Some((
        LineTime::NoYear {
            month,
            day,
            ms_of_day,
        },
        &b[used..],
    ))
}

/// `TAG[PID]: ` or `TAG: `: the tag, and the message after it.
fn tag(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = b
        .iter()
        .take(129)
        .take_while(|&&c| c > b' ' && c < 0x7f && c != b':' && c != b'[')
        .count();
    if n == 0 || n > 128 {
        return None;
    }
    let (app, mut rest) = b.split_at(n);
    if let Some(r) = rest.strip_prefix(b"[") {
        let close = memchr::memchr(b']', &r[..r.len().min(32)])?;
        rest = &r[close + 1..];
    }
    let rest = rest.strip_prefix(b":")?;
    Some((app, rest.strip_prefix(b" ").unwrap_or(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(line: &str) -> (Option<LineTime>, String, String, String) {
        let e = envelope(line.as_bytes()).unwrap_or_else(|| panic!("no envelope: {line}"));
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (e.time, s(e.from.host), s(e.from.app), s(e.message))
    }

    #[test]
    fn the_rfc_examples_are_cut_into_their_fields() {
        // RFC 5424, section 6.5, examples 1 and 3 (structured data).
        let (t, host, app, msg) = env(
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8",
        );
        assert_eq!(t, Some(LineTime::Utc(1_065_910_455_003)));
        assert_eq!(
            (host.as_str(), app.as_str()),
            ("mymachine.example.com", "su")
        );
        assert_eq!(msg, "'su root' failed for lonvick on /dev/pts/8");
        let (_, _, app, msg) = env(
            r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry..."#,
        );
        assert_eq!(
            (app.as_str(), msg.as_str()),
            ("evntslog", "An application event log entry...")
        );
        // RFC 3164, section 5.4.
        let (t, host, app, msg) =
            env("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(
            t,
            Some(LineTime::NoYear {
                month: 10,
                day: 11,
                ms_of_day: 80_055_000
            })
        );
        assert_eq!((host.as_str(), app.as_str()), ("mymachine", "su"));
        assert_eq!(msg, "'su root' failed for lonvick on /dev/pts/8");
    }

    #[test]
    fn collector_file_formats_are_read() {
        // rsyslog's traditional file format: space-padded day, a pid.
        let (t, host, app, msg) = env("Dec  4 10:00:01 esx01 db1-prod[2101]: hello");
        assert!(matches!(
            t,
            Some(LineTime::NoYear {
                month: 12,
                day: 4,
                ..
            })
        ));
        assert_eq!(
            (host.as_str(), app.as_str(), msg.as_str()),
            ("esx01", "db1-prod", "hello")
        );
        // rsyslog's file format: RFC 3339 with microseconds and an offset.
        let (t, _, app, _) = env("2026-12-04T11:00:01.000123+01:00 esx01 db1-prod: hello");
        assert_eq!(t, Some(LineTime::Utc(1_796_378_401_000)));
        assert_eq!(app, "db1-prod");
    }

    #[test]
    fn a_vmx_line_inside_keeps_its_own_header() {
        let h = parse(b"<14>1 2026-12-04T10:00:02.000Z esx01 db1-prod - - - 2026-12-04T10:00:01.250Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for 5 us")
            .expect("a header");
        assert_eq!(h.time, LineTime::Utc(1_796_378_401_250));
        assert_eq!(h.family, Family::Severity);
        assert_eq!(h.forwarded.map(|f| f.app), Some(&b"db1-prod"[..]));
        // Without its time: the envelope's.
        let h = parse(b"<14>Dec  4 10:00:02 esx01 db1-prod: In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for 5 us")
            .expect("a header");
        assert_eq!(h.family, Family::Severity);
        assert_eq!(h.thread, b"vcpu-0");
        // A bare message.
        let h =
            parse(b"2026-12-04T10:00:02Z esx01 db1-prod: Checkpoint_Unstun: vm stopped for 5 us")
                .expect("a header");
        assert_eq!(h.family, Family::Forwarded);
        assert_eq!(h.rest, b"Checkpoint_Unstun: vm stopped for 5 us");
    }

    #[test]
    fn not_an_envelope() {
        for line in [
            "",
            "<14>",
            "<999>Dec  4 10:00:02 esx01 db1: x",
            "<14>1 2026-12-04T10:00:02Z esx01 - - - - nil app",
            "Dec 32 10:00:02 esx01 db1: x",
            "Dec  4 10:00:02 esx01 no-colon here",
            "2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1 us",
        ] {
            assert!(envelope(line.as_bytes()).is_none(), "{line:?}");
        }
    }
}
