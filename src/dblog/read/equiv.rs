//! The fast reader against the reference: the same events, coverage,
//! notes and errors on every fixture and on generated logs, whatever the
//! block size.

use std::io::{BufReader, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;

use super::entries::Entries;
use super::{MAX_LINE, ReadOptions, empty_log, fast, read, simple};
use crate::dblog::DbLog;
use crate::zone::Zone;

fn zones() -> Vec<Zone> {
    ["UTC", "America/New_York", "+05:30", "Australia/Lord_Howe"]
        .iter()
        .map(|z| Zone::parse(z).expect("zone"))
        .collect()
}

/// Everything a file read yields, comparable.
fn key(logs: &[DbLog]) -> String {
    logs.iter().map(key_of).collect::<Vec<_>>().join("\n---\n")
}

fn key_of(l: &DbLog) -> String {
    format!(
        "source {:?} member {:?} named {} entries {} first {:?} last {:?}\n\
         events {:#?}\nnotes {:#?}\nerrors {:#?}",
        l.source, l.member, l.named, l.entries, l.first_ms, l.last_ms, l.events, l.notes, l.errors
    )
}

/// The fast reader over `bytes`, its blocks `cap` bytes long.
fn fast_with(bytes: &[u8], source: &str, opts: &ReadOptions, cap: usize) -> Vec<DbLog> {
    let e = Entries::new(empty_log(source, opts), opts);
    fast::read(BufReader::with_capacity(cap, bytes), e, opts, false)
}

/// Asserts that every way of reading `bytes` gives what the reference
/// gives: plain and gzip at the real block size, plain at odd ones.
/// Bytes that begin with the gzip magic are read as gzip by both readers,
/// so the plain reader at odd block sizes is not a way of reading them.
fn same(bytes: &[u8], source: &str, caps: &[usize]) {
    let caps = if bytes.starts_with(&[0x1f, 0x8b]) {
        &[]
    } else {
        caps
    };
    for zone in zones() {
        for member in [None, Some("db1")] {
            let opts = ReadOptions {
                zone: &zone,
                member,
            };
            let want = key(&simple::read(bytes, source, &opts));
            let got = key(&read(bytes, source, &opts));
            assert_eq!(got, want, "{source} in {}", zone.name());
            for &cap in caps {
                let got = key(&fast_with(bytes, source, &opts, cap));
                assert_eq!(got, want, "{source} in {}, blocks of {cap}", zone.name());
            }
        }
    }
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(b).expect("gzip");
    enc.finish().expect("gzip")
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_fixture_reads_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    assert!(all.len() > 20);
    for p in all {
        let bytes = std::fs::read(&p).expect("read");
        let source = p.to_string_lossy();
        same(&bytes, &source, &[1, 7, 100]);
        same(&gzip(&bytes), &source, &[]);
    }
}

/// A deterministic log of every kind of line (several MB: many blocks,
/// hours, and the autumn and spring hours of New York).
fn big_log() -> Vec<u8> {
    let mut out = Vec::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let texts = [
        "Purging old journal files",
        "Becoming primary mirror server",
        "MirrorServer: Received connection request from backup",
        "Arbiter connection lost",
        "Found DB2 as primary, becoming backup",
        "MirrorClient: Connected to primary: DB2 (ver 4)",
        "Backup.General.ExternalFreeze: System suspended",
        "Backup.General.ExternalThaw: System resumed",
        "Startup of InterSystems IRIS [IRIS for UNIX 2024.1]",
        "Journal file has reached its maximum size",
        "Becoming",
        "Failover TROUBLE",
    ];
    let days = [("11/02/25", 0..4), ("03/09/25", 0..4), ("11/18/25", 8..24)];
    for i in 0..60_000u64 {
        let (day, hours) = &days[(i / 20_000) as usize];
        let hour = hours.start + (i % 20_000) * (hours.end - hours.start) / 20_000;
        let (mi, s, ms) = ((i / 20) % 60, i % 60, rnd(1000));
        let sev = rnd(3);
        let text = texts[rnd(texts.len() as u64) as usize];
        match rnd(40) {
            0 => out.extend_from_slice(b"   primary mirror server\n"),
            1 => out.extend_from_slice(b"\n"),
            2 => out.extend_from_slice(b"  backup\r\n"),
            3 => out.extend_from_slice(
                format!("Wed Jan  4 16:30:{:02} EST 2017: H20152 IS FROZEN\n", s).as_bytes(),
            ),
            4 => out.extend_from_slice(
                format!("01/04/2017 16:30:{s:02}: Backup.General.ExternalThaw: System resumed\n")
                    .as_bytes(),
            ),
            5 => out.extend_from_slice(
                format!("{day}-{hour:02}:{mi:02}:{s:02}:{ms:03} (9) 1 [x] back\n").as_bytes(),
            ),
            _ => {}
        }
        // Now and then a step back in time, an impossible minute, a
        // leading space.
        let mi = match rnd(500) {
            0 => 75,
            1 => mi.saturating_sub(30),
            _ => mi,
        };
        let lead = if rnd(300) == 0 { " " } else { "" };
        out.extend_from_slice(
            format!(
                "{lead}{day}-{hour:02}:{mi:02}:{s:02}:{ms:03} ({}) {sev} [Utility.Event] {text}\n",
                1000 + rnd(90_000)
            )
            .as_bytes(),
        );
    }
    out
}

#[test]
fn a_big_generated_log_reads_the_same() {
    let log = big_log();
    assert!(log.len() > 4 << 20);
    same(&log, "big/messages.log", &[4096, 65_537]);
    same(&gzip(&log), "big/messages.log.gz", &[]);
}

#[test]
fn long_lines_anywhere_read_the_same() {
    let head = b"11/18/25-17:00:00:000 (1) 2 [Utility.Event] Arbiter connection lost\n";
    for long in [MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, 3 * MAX_LINE] {
        for cr in [false, true] {
            let mut text = head.to_vec();
            text.extend(std::iter::repeat_n(b'x', long));
            if cr {
                text.push(b'\r');
            }
            text.extend_from_slice(b"\n  mirror in a continuation\n");
            text.extend_from_slice(head);
            text.extend(std::iter::repeat_n(b'y', long));
            same(&text, "long", &[1000, MAX_LINE, MAX_LINE + 3]);
        }
    }
}

#[test]
fn corrupt_gzip_stops_at_the_same_line() {
    let log = gzip(&big_log());
    for cut in [10, 1000, log.len() / 3, log.len() / 2, log.len() - 9] {
        let mut bad = log[..cut].to_vec();
        let opts = ReadOptions {
            zone: &Zone::utc(),
            member: None,
        };
        let want = key(&simple::read(&bad[..], "x.gz", &opts));
        assert_eq!(key(&read(&bad[..], "x.gz", &opts)), want, "cut at {cut}");
        // Damage in the middle rather than a cut.
        bad = log.clone();
        for b in &mut bad[cut..(cut + 40).min(log.len())] {
            *b ^= 0x55;
        }
        let want = key(&simple::read(&bad[..], "x.gz", &opts));
        assert_eq!(key(&read(&bad[..], "x.gz", &opts)), want, "damage at {cut}");
    }
}

/// Words events are made of, and words that are not, in any case.
const WORDS: [&str; 40] = [
    "Becoming",
    "becoming",
    "primary",
    "PRIMARY",
    "mirror",
    "Mirror",
    "server",
    "backup",
    "MirrorClient:",
    "Connected",
    "to",
    "Backup.General.ExternalFreeze:",
    "Backup.General.ExternalThaw:",
    "System",
    "suspended",
    "resumed",
    "Startup",
    "of",
    "InterSystems",
    "IRIS",
    "Caché",
    "initialized",
    "Recovery",
    "started",
    "Arbiter",
    "failover",
    "trouble",
    "IS",
    "FROZEN",
    "THAWED",
    "FREEZE",
    "FAILED",
    "THAW",
    "H20152",
    "Journal",
    "x",
    "\u{1b}[31m",
    "",
    "error",
    "mIrRoR",
];

fn text() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(0..WORDS.len(), 0..7),
        proptest::collection::vec(any::<bool>(), 7),
    )
        .prop_map(|(ws, upper)| {
            ws.iter()
                .zip(upper)
                .map(|(&w, up)| {
                    if up {
                        WORDS[w].to_uppercase()
                    } else {
                        WORDS[w].to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
}

/// `MM/DD/YY-HH`, around New York's and Lord Howe's clock changes.
const HOURS: [&str; 9] = [
    "11/02/25-00",
    "11/02/25-01",
    "11/02/25-02",
    "03/09/25-02",
    "03/09/25-03",
    "04/06/25-01",
    "04/06/25-02",
    "11/18/25-17",
    "02/30/25-01",
];

fn line() -> impl Strategy<Value = Vec<u8>> {
    let clock = (0u32..62, 0u32..61, 0u32..1000);
    let iris = (0..HOURS.len(), clock, 0u8..4, any::<bool>(), text(), 0u8..8).prop_map(
        |(h, (mi, s, ms), sev, cat, t, lead)| {
            let cat = if cat { "[Utility.Event] " } else { "" };
            let lead = match lead {
                0 => " ",
                1 => "\t",
                _ => "",
            };
            format!(
                "{lead}{}:{mi:02}:{s:02}:{ms:03} (4452) {sev} {cat}{t}",
                HOURS[h]
            )
            .into_bytes()
        },
    );
    let snap = (0u32..60, 0usize..5, any::<bool>(), text()).prop_map(|(s, z, two, t)| {
        let zone = ["EST", "EDT", "UTC", "GMT", "CET"][z];
        let sp = if two { "  " } else { " " };
        format!("Sun Nov{sp}2 01:30:{s:02} {zone} 2025: {t}").into_bytes()
    });
    let freeze =
        (0u32..60, text()).prop_map(|(s, t)| format!("11/02/2025 01:59:{s:02}: {t}").into_bytes());
    let cont = (0usize..3, text()).prop_map(|(n, t)| format!("{}{t}", " ".repeat(n)).into_bytes());
    let raw = proptest::collection::vec(
        any::<u8>().prop_filter("no newline", |b| *b != b'\n'),
        0..30,
    );
    // Container prefixes, and look-alikes of them, before any line.
    let prefix = proptest::sample::select(vec![
        "",
        "",
        "",
        "db1 | ",
        "db2   | ",
        "Name | ",
        "[pod/iris-0-a/iris] ",
        "[pod/iris-0-b/iris] 2025-11-02T05:30:00.1Z ",
        "[INFO] log: ",
        "2025-11-02T05:30:00.000000000Z ",
        "{\"log\":\"",
    ]);
    (
        prop_oneof![
            4 => iris,
            1 => snap,
            1 => freeze,
            2 => cont,
            1 => raw,
            1 => Just(b"*** Recovery started at Sun Nov  2 01:30:00 2025".to_vec()),
        ],
        prefix,
        any::<bool>(),
    )
        .prop_map(|(l, prefix, cr)| {
            let mut l = [prefix.as_bytes(), &l].concat();
            if prefix.starts_with('{') {
                l.extend_from_slice(b"\\n\",\"stream\":\"stdout\"}");
            }
            if cr {
                l.push(b'\r');
            }
            l
        })
}

fn log() -> impl Strategy<Value = Vec<u8>> {
    (proptest::collection::vec(line(), 0..40), any::<bool>()).prop_map(|(lines, last_nl)| {
        let mut out = lines.join(&b'\n');
        if last_nl && !out.is_empty() {
            out.push(b'\n');
        }
        out
    })
}

/// Found by the property test below: the gzip magic alone (and any bytes
/// after it that are no gzip stream) reads the same through both readers.
#[test]
fn gzip_magic_without_a_stream_reads_the_same() {
    same(&[0x1f, 0x8b], "fuzz", &[3]);
    same(&[0x1f, 0x8b, b'\n', b'x'], "fuzz", &[3]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn generated_logs_read_the_same(bytes in log()) {
        same(&bytes, "gen/messages.log", &[1, 5, 64]);
    }

    #[test]
    fn arbitrary_bytes_read_the_same(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        same(&bytes, "fuzz", &[3]);
    }
}
