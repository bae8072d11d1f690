//! Property tests of the line parser and the log scanner: no panic on any
//! bytes, and well-formed lines of every header family round-trip their
//! stun value and time.

use proptest::prelude::*;
use stunscan::time::{self, epoch_ms};
use stunscan::vmlog::scan::{self, RecordKind};
use stunscan::vmlog::{self, LineTime, Message};
use stunscan::zone::format_rfc3339_ms;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A civil date and time with milliseconds.
#[derive(Debug, Clone, Copy)]
struct When {
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    ms: u32,
}

impl When {
    fn ms_of_day(&self) -> i64 {
        (i64::from(self.h) * 3600 + i64::from(self.mi) * 60 + i64::from(self.s)) * 1000
            + i64::from(self.ms)
    }

    fn local(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            self.y, self.mo, self.d, self.h, self.mi, self.s, self.ms
        )
    }

    fn epoch(&self) -> i64 {
        epoch_ms(self.y, self.mo, self.d, self.ms_of_day())
    }
}

fn when() -> impl Strategy<Value = When> {
    (1970i64..=9999, 1u32..=12, 1u32..=31)
        .prop_map(|(y, mo, d)| (y, mo, d.min(time::days_in_month(y, mo))))
        .prop_flat_map(|(y, mo, d)| {
            (0u32..24, 0u32..60, 0u32..60, 0u32..1000).prop_map(move |(h, mi, s, ms)| When {
                y,
                mo,
                d,
                h,
                mi,
                s,
                ms,
            })
        })
}

/// A thread name: printable ASCII without space or `|`, 1..=64 bytes.
fn thread() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("vcpu-0".to_owned()),
        Just("vmx".to_owned()),
        "[!-{}~]{1,64}",
    ]
}

fn spelling() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("Checkpoint_Unstun"), Just("CheckpointUnstun")]
}

/// An ESXi opid token (not ending in `:`).
fn opid() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_owned()),
        "[a-z]{2,8}-[a-z0-9]{1,6}-[0-9a-f]{4}",
        "opID=[A-Za-z0-9-]{1,20}",
    ]
}

/// The header families; each yields the line and its expected UTC time
/// (`None` for the no-year family, checked separately).
#[derive(Debug, Clone)]
enum Family {
    IsoZSeverity { opid: Option<String> },
    IsoOffsetSeverity { opid: Option<String>, off_min: i32 },
    IsoZPipe { level: Option<u32> },
    IsoOffsetPipe { level: Option<u32>, off_min: i32 },
    Old { level: Option<u32> },
    Grep { name: String, line_no: Option<u32> },
}

fn family() -> impl Strategy<Value = Family> {
    let level = proptest::option::of(100u32..1000);
    let off = -23 * 60 - 59..=23 * 60 + 59;
    prop_oneof![
        proptest::option::of(opid()).prop_map(|opid| Family::IsoZSeverity { opid }),
        (proptest::option::of(opid()), off.clone())
            .prop_map(|(opid, off_min)| Family::IsoOffsetSeverity { opid, off_min }),
        level.clone().prop_map(|level| Family::IsoZPipe { level }),
        (level.clone(), off).prop_map(|(level, off_min)| Family::IsoOffsetPipe { level, off_min }),
        level.prop_map(|level| Family::Old { level }),
        (
            "[a-zA-Z0-9_./-]{0,30}vmware(-[0-9]{1,3})?",
            proptest::option::of(1u32..1_000_000)
        )
            .prop_map(|(name, line_no)| Family::Grep { name, line_no }),
    ]
}

fn offset_text(off_min: i32) -> String {
    let sign = if off_min < 0 { '-' } else { '+' };
    let a = off_min.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 60, a % 60)
}

/// Builds a line and the UTC time it must parse to.
fn build(f: &Family, w: &When, thread: &str, word: &str, us: u64) -> (String, Option<i64>) {
    let msg = format!("{word}: vm stopped for {us} us");
    let lvl = |l: &Option<u32>| l.map_or(String::new(), |l| format!("I{l}: "));
    match f {
        Family::IsoZSeverity { opid } => {
            let op = opid.as_ref().map_or(String::new(), |o| format!("{o} "));
            (
                format!("{}Z In(05) {thread} {op}{msg}", w.local()),
                Some(w.epoch()),
            )
        }
        Family::IsoOffsetSeverity { opid, off_min } => {
            let op = opid.as_ref().map_or(String::new(), |o| format!("{o} "));
            (
                format!(
                    "{}{} Wa(03) {thread} {op}{msg}",
                    w.local(),
                    offset_text(*off_min)
                ),
                Some(w.epoch() - i64::from(*off_min) * 60_000),
            )
        }
        Family::IsoZPipe { level } => (
            format!("{}Z| {thread}| {}{msg}", w.local(), lvl(level)),
            Some(w.epoch()),
        ),
        Family::IsoOffsetPipe { level, off_min } => (
            format!(
                "{}{}| {thread}| {}{msg}",
                w.local(),
                offset_text(*off_min),
                lvl(level)
            ),
            Some(w.epoch() - i64::from(*off_min) * 60_000),
        ),
        Family::Old { level } => (
            format!(
                "{} {:>2} {:02}:{:02}:{:02}.{:03}: {thread}| {}{msg}",
                MONTHS[w.mo as usize - 1],
                w.d,
                w.h,
                w.mi,
                w.s,
                w.ms,
                lvl(level)
            ),
            None,
        ),
        Family::Grep { name, line_no } => {
            let n = line_no.map_or(String::new(), |n| format!("{n}:"));
            (
                format!("{name}.log:{n}{}Z| {thread}| I125: {msg}", w.local()),
                Some(w.epoch()),
            )
        }
    }
}

/// Junk: arbitrary bytes without a newline.
fn junk_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>().prop_filter("no newline", |&b| b != b'\n'), 0..200),
        // Text that looks like a log but is not a stun.
        "[ -~]{0,120}".prop_map(String::into_bytes),
        Just(b"2017-01-04T22:15:58.846Z| vmx| I125: GuestRpc: Checkpoint_Unstun: vm stopped for 9 us".to_vec()),
        Just(b"2023-12-05T17:42:40.741Z In(05)+ vcpu-0 - Checkpoint_Unstun: vm stopped for 9 us".to_vec()),
        Just(b"Checkpoint_Unstun: vm stopped for 9 us".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn header_and_message_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Some(h) = vmlog::parse_header(&bytes) {
            let _ = h.messages();
            let _ = h.message();
        }
        let _ = vmlog::classify(&bytes);
        let _ = vmlog::vmx_display_name(&bytes);
    }

    #[test]
    fn valid_header_then_arbitrary_bytes_never_panics(
        f in family(),
        w in when(),
        t in thread(),
        tail in proptest::collection::vec(any::<u8>(), 0..200),
        cut in 0usize..200,
    ) {
        let (line, _) = build(&f, &w, &t, "Checkpoint_Unstun", 1);
        // The header (and a bit of message), then arbitrary bytes.
        let keep = line.len().saturating_sub(cut % 40);
        let mut bytes = line.as_bytes()[..keep].to_vec();
        bytes.extend_from_slice(&tail);
        if let Some(h) = vmlog::parse_header(&bytes) {
            let _ = h.messages();
            let _ = h.message();
        }
        // And arbitrary bytes cut out of the header itself.
        let head = &line.as_bytes()[..cut.min(line.len())];
        if let Some(h) = vmlog::parse_header(head) {
            let _ = h.message();
        }
    }

    #[test]
    fn parse_iso_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Some((_, used)) = time::parse_iso(&bytes) {
            prop_assert!(used <= bytes.len());
        }
    }

    #[test]
    fn parse_iso_near_miss_never_panics(
        w in when(),
        i in 0usize..40,
        b in any::<u8>(),
        off in proptest::option::of(-1439i32..=1439),
    ) {
        let mut s = w.local().into_bytes();
        match off {
            Some(o) => s.extend_from_slice(offset_text(o).as_bytes()),
            None => s.push(b'Z'),
        }
        if i < s.len() {
            s[i] = b;
        } else {
            s.truncate(i % (s.len() + 1));
        }
        let _ = time::parse_iso(&s);
    }

    #[test]
    fn every_family_round_trips_value_and_time(
        f in family(),
        w in when(),
        t in thread(),
        word in spelling(),
        us in any::<u64>(),
        crlf in any::<bool>(),
    ) {
        let (mut line, utc) = build(&f, &w, &t, word, us);
        if crlf {
            line.push('\r');
        }
        let h = vmlog::parse_header(line.as_bytes());
        prop_assert!(h.is_some(), "no header: {line:?}");
        let h = h.unwrap();
        prop_assert_eq!(h.message(), Some(Message::Stun(us)), "{:?}", line);
        prop_assert_eq!(h.thread, t.as_bytes());
        match (h.time, utc) {
            (LineTime::Utc(ms), Some(want)) => {
                prop_assert_eq!(ms, want, "{} vs {}", format_rfc3339_ms(ms), format_rfc3339_ms(want));
            }
            (LineTime::NoYear { month, day, ms_of_day }, None) => {
                prop_assert_eq!((month, day, ms_of_day), (w.mo, w.d, w.ms_of_day()));
            }
            (got, want) => prop_assert!(false, "{line:?}: time {got:?}, expected {want:?}"),
        }
        if let Family::Grep { name, line_no } = &f {
            let want = format!("{name}.log");
            prop_assert_eq!(h.grep_name, Some(want.as_bytes()));
            prop_assert_eq!(h.grep_line, line_no.map(u64::from));
        }
    }

    #[test]
    fn z_times_format_back_to_the_text(w in when()) {
        let text = format!("{}Z", w.local());
        let (ms, used) = time::parse_iso(text.as_bytes()).unwrap();
        prop_assert_eq!(used, text.len());
        prop_assert_eq!(format_rfc3339_ms(ms), text);
    }

    #[test]
    fn scan_finds_exactly_the_stuns(
        items in proptest::collection::vec(
            prop_oneof![
                (family(), when(), thread(), spelling(), any::<u64>())
                    .prop_map(|(f, w, t, s, us)| {
                        let (l, _) = build(&f, &w, &t, s, us);
                        (l.into_bytes(), Some(us))
                    }),
                junk_line().prop_map(|j| (j, None)),
            ],
            0..60,
        ),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
    ) {
        let mut log = Vec::new();
        let mut want = Vec::new();
        for (i, (l, us)) in items.iter().enumerate() {
            log.extend_from_slice(l);
            let last = i + 1 == items.len();
            if !last || final_newline {
                if crlf {
                    log.push(b'\r');
                }
                log.push(b'\n');
            }
            if let Some(us) = us {
                want.push(*us);
            }
        }
        let (res, err) = scan::scan(&log[..]);
        prop_assert!(err.is_none());
        let got: Vec<u64> = res
            .records
            .iter()
            .filter_map(|r| match r.kind {
                RecordKind::Stun { us, .. } => Some(us),
                _ => None,
            })
            .collect();
        prop_assert_eq!(got, want);
        prop_assert!(res.line_errors.is_empty());
    }
}

/// Hands out the bytes in reads of the given sizes, in turn.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes[self.i % self.sizes.len()];
        self.i += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Read sizes, block joins and a line near the block size change
    /// nothing: the scan of any chunking equals the scan of one slice.
    #[test]
    fn scan_is_independent_of_how_the_bytes_arrive(
        items in proptest::collection::vec(
            prop_oneof![
                (family(), when(), thread(), spelling(), any::<u64>())
                    .prop_map(|(f, w, t, s, us)| build(&f, &w, &t, s, us).0.into_bytes()),
                junk_line(),
            ],
            1..40,
        ),
        long in proptest::option::of((0usize..40, scan::BLOCK - 300..scan::BLOCK + 300)),
        sizes in proptest::collection::vec(1usize..70_000, 1..8),
    ) {
        let mut lines = items;
        if let Some((at, len)) = long {
            let at = at % (lines.len() + 1);
            lines.insert(at, vec![b'z'; len]);
        }
        let log = lines.join(&b'\n');
        let (a, ea) = scan::scan(&log[..]);
        prop_assert!(ea.is_none());
        let (b, eb) = scan::scan(Chunked { data: &log, sizes, i: 0 });
        prop_assert!(eb.is_none());
        prop_assert_eq!(&a.records, &b.records);
        prop_assert_eq!((a.lines, a.bytes, a.long_lines), (b.lines, b.bytes, b.long_lines));
    }
}
