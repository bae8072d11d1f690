use std::io::Write;
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;

use super::*;
use crate::zone::format_rfc3339_ms as rfc;

fn ny() -> Zone {
    Zone::parse("America/New_York").expect("zone")
}

fn read_str(text: &str, zone: &Zone, member: Option<&str>) -> DbLog {
    read_bytes(text.as_bytes(), "test.log", zone, member)
}

/// The one log a plain file gives.
fn read_bytes(b: &[u8], source: &str, zone: &Zone, member: Option<&str>) -> DbLog {
    one(read(b, source, &ReadOptions { zone, member }))
}

fn one(mut logs: Vec<DbLog>) -> DbLog {
    assert_eq!(logs.len(), 1, "one log: {logs:#?}");
    logs.remove(0)
}

fn kinds(log: &DbLog) -> Vec<(DbKind, String, u64)> {
    log.events
        .iter()
        .map(|e| (e.kind, rfc(e.time_ms), e.line))
        .collect()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(b).expect("gzip");
    enc.finish().expect("gzip")
}

fn notes(log: &DbLog) -> String {
    log.notes
        .iter()
        .map(|n| n.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

const MIRROR: &str = "\
11/18/25-08:58:12:391 (2210) 0 [Utility.Event] Startup of InterSystems IRIS [IRIS for UNIX 2024.1]
11/18/25-08:58:16:446 (2258) 0 [Utility.Event] Becoming primary mirror server
11/18/25-17:00:08:412 (2258) 3 [Utility.Event] Another member became primary; forcing this instance down
  Mirror: PRODMIR  This member: DB1
11/18/25-17:03:44:207 (4452) 0 [Utility.Event] Found DB2 as primary, becoming backup
11/18/25-17:03:45:031 (4460) 0 [Generic.Event] MirrorClient: Connected to primary: DB2 (ver 4)
11/18/25-22:12:41:305 (4460) 0 [Generic.Event] MirrorClient: mirror chatter at severity 0
11/18/25-22:12:49:517 (4452) 1 [Utility.Event] Becoming primary mirror server
";

#[test]
fn iris_messages_log() {
    let log = read_str(MIRROR, &Zone::utc(), Some("db1"));
    assert_eq!(
        kinds(&log),
        vec![
            (
                DbKind::PrimaryAtStartup,
                "2025-11-18T08:58:16.446Z".into(),
                2
            ),
            (DbKind::Mirror, "2025-11-18T17:00:08.412Z".into(), 3),
            (DbKind::Backup, "2025-11-18T17:03:44.207Z".into(), 5),
            (DbKind::Connected, "2025-11-18T17:03:45.031Z".into(), 6),
            (DbKind::Takeover, "2025-11-18T22:12:49.517Z".into(), 8),
        ]
    );
    assert_eq!(log.entries, 7);
    assert_eq!(log.member, "db1");
    assert!(log.named);
    assert!(
        log.events
            .iter()
            .all(|e| e.member == "db1" && e.source == "test.log")
    );
    assert_eq!(
        log.events[1].text,
        "Another member became primary; forcing this instance down Mirror: PRODMIR  This member: DB1"
    );
    assert_eq!(rfc(log.first_ms.unwrap()), "2025-11-18T08:58:12.391Z");
    assert_eq!(rfc(log.last_ms.unwrap()), "2025-11-18T22:12:49.517Z");
}

#[test]
fn db_tz_shifts_every_time() {
    let utc = read_str(MIRROR, &Zone::utc(), None);
    let ny = read_str(MIRROR, &ny(), None);
    for (a, b) in utc.events.iter().zip(&ny.events) {
        assert_eq!(b.time_ms - a.time_ms, 5 * 3_600_000, "EST is UTC-5");
    }
    assert_eq!(rfc(ny.events[4].time_ms), "2025-11-19T03:12:49.517Z");
}

#[test]
fn takeover_long_after_startup_is_a_takeover() {
    let text = "\
01/01/25-00:00:00:000 (1) 0 [Utility.Event] Recovery started
01/01/25-00:10:00:000 (1) 1 [Utility.Event] Becoming primary mirror server
01/01/25-00:20:00:001 (1) 1 [Utility.Event] Becoming primary mirror server
";
    let log = read_str(text, &Zone::utc(), None);
    let k: Vec<DbKind> = log.events.iter().map(|e| e.kind).collect();
    assert_eq!(k, vec![DbKind::PrimaryAtStartup, DbKind::Takeover]);
}

#[test]
fn old_cache_console_log() {
    let text = "11/03/16-02:04:05:006 (1234) 2 Arbiter connection lost\n";
    let log = read_str(text, &Zone::utc(), None);
    assert_eq!(
        kinds(&log),
        vec![(DbKind::Mirror, "2016-11-03T02:04:05.006Z".into(), 1)]
    );
    assert_eq!(log.member, "test.log", "unnamed: the source names it");
}

#[test]
fn freeze_script_logfile() {
    let text = "\
01/04/2017 16:30:35: Backup.General.ExternalFreeze: Suspending system

Journal file switched to:
/trak/jnl/jrnpri/h20152/H20152_20170104.011
01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended
01/04/2017 16:30:41: Backup.General.ExternalThaw: Resuming system
01/04/2017 16:30:42: Backup.General.ExternalThaw: System resumed
";
    let log = read_bytes(
        text.as_bytes(),
        "x/var/log/H20152-pre_post.log",
        &ny(),
        None,
    );
    assert_eq!(
        kinds(&log),
        vec![
            (DbKind::Freeze, "2017-01-04T21:30:36.000Z".into(), 5),
            (DbKind::Thaw, "2017-01-04T21:30:42.000Z".into(), 7),
        ]
    );
    assert_eq!(log.member, "H20152");
    assert!(!log.named);
    assert!(log.notes.is_empty(), "{}", notes(&log));
}

const SNAPLOG: &str = "\
Wed Jan  4 16:30:35 EST 2017: Pre freeze script started
Wed Jan  4 16:30:36 EST 2017: H20152 IS FROZEN
Wed Jan 4 16:30:42 EST 2017: H20152 IS THAWED
Wed Jan  4 16:31:00 EST 2017: H20153 FREEZE FAILED
Wed Jan  4 16:31:10 EST 2017: H20153 THAW FAILED
";

#[test]
fn snaplog_in_agreeing_zone() {
    let log = read_str(SNAPLOG, &ny(), None);
    assert_eq!(
        kinds(&log),
        vec![
            (DbKind::Freeze, "2017-01-04T21:30:36.000Z".into(), 2),
            (DbKind::Thaw, "2017-01-04T21:30:42.000Z".into(), 3),
            (DbKind::FreezeFailed, "2017-01-04T21:31:00.000Z".into(), 4),
            (DbKind::ThawFailed, "2017-01-04T21:31:10.000Z".into(), 5),
        ]
    );
    assert_eq!(
        log.events[0].member, "H20152",
        "unnamed: the instance names it"
    );
    assert_eq!(log.events[0].instance.as_deref(), Some("H20152"));
    assert!(log.notes.is_empty(), "{}", notes(&log));
    let named = read_str(SNAPLOG, &ny(), Some("db1"));
    assert_eq!(named.events[0].member, "db1");
}

#[test]
fn snaplog_zone_that_disagrees_is_a_note() {
    let log = read_str(SNAPLOG, &Zone::utc(), None);
    assert_eq!(rfc(log.events[0].time_ms), "2017-01-04T16:30:36.000Z");
    let n = notes(&log);
    assert!(n.contains("say EST") && n.contains("--db-tz UTC"), "{n}");
    assert!(n.contains("first at line 1"), "{n}");
}

#[test]
fn snaplog_utc_stamp_wins_over_the_zone() {
    let text = "Wed Jan  4 21:30:36 UTC 2017: H20152 IS FROZEN\n";
    let log = read_str(text, &ny(), None);
    assert_eq!(rfc(log.events[0].time_ms), "2017-01-04T21:30:36.000Z");
    assert!(log.notes.is_empty(), "{}", notes(&log));
}

#[test]
fn autumn_repeated_hour_keeps_going_forward() {
    // 2025-11-02: New York clocks go from 01:59:59 EDT back to 01:00:00 EST.
    let text = "\
11/02/25-01:10:00:000 (1) 2 [Utility.Event] Arbiter connection lost
11/02/25-01:50:00:000 (1) 2 [Utility.Event] Arbiter connection lost
11/02/25-01:05:00:000 (1) 2 [Utility.Event] Arbiter connection lost
11/02/25-01:20:00:000 (1) 2 [Utility.Event] Arbiter connection lost
11/02/25-02:00:00:000 (1) 2 [Utility.Event] Arbiter connection lost
";
    let log = read_str(text, &ny(), None);
    let times: Vec<String> = log.events.iter().map(|e| rfc(e.time_ms)).collect();
    assert_eq!(
        times,
        [
            "2025-11-02T05:10:00.000Z",
            "2025-11-02T05:50:00.000Z",
            "2025-11-02T06:05:00.000Z",
            "2025-11-02T06:20:00.000Z",
            "2025-11-02T07:00:00.000Z",
        ]
    );
    let n = notes(&log);
    assert!(
        n.contains("4 entr(ies) in the hour that daylight saving repeats"),
        "{n}"
    );
    assert!(n.contains("first at line 1"), "{n}");
    assert!(!n.contains("backwards"), "{n}");
}

#[test]
fn times_going_backwards_are_a_note() {
    let text = "\
11/18/25-17:00:00:000 (1) 2 [Utility.Event] Arbiter connection lost
11/18/25-16:00:00:000 (1) 2 [Utility.Event] Arbiter connection lost
11/18/25-16:30:00:000 (1) 2 [Utility.Event] Arbiter connection lost
11/18/25-15:00:00:000 (1) 2 [Utility.Event] Arbiter connection lost
";
    let log = read_str(text, &Zone::utc(), None);
    assert_eq!(log.events.len(), 4);
    let n = notes(&log);
    assert!(
        n.contains("times go backwards 2 time(s) (first at line 2)"),
        "{n}"
    );
    assert_eq!(rfc(log.first_ms.unwrap()), "2025-11-18T15:00:00.000Z");
    assert_eq!(rfc(log.last_ms.unwrap()), "2025-11-18T17:00:00.000Z");
}

#[test]
fn spring_gap_is_a_note() {
    let text = "03/09/25-02:30:00:000 (1) 2 [Utility.Event] Arbiter connection lost\n";
    let log = read_str(text, &ny(), None);
    assert_eq!(rfc(log.events[0].time_ms), "2025-03-09T07:30:00.000Z");
    assert!(
        notes(&log).contains("do not exist in America/New_York"),
        "{}",
        notes(&log)
    );
}

#[test]
fn impossible_dates_are_skipped_with_a_note() {
    let text = "02/30/25-01:00:00:000 (1) 2 [Utility.Event] Arbiter connection lost\n";
    let log = read_str(text, &Zone::utc(), None);
    assert!(log.events.is_empty());
    assert!(notes(&log).contains("impossible date"), "{}", notes(&log));
}

#[test]
fn gzip_reads_the_same() {
    let plain = read_str(MIRROR, &ny(), None);
    let gz = read_bytes(&gzip(MIRROR.as_bytes()), "test.log", &ny(), None);
    assert_eq!(kinds(&plain), kinds(&gz));
    assert!(gz.errors.is_empty());
}

#[test]
fn corrupt_gzip_is_an_error_and_keeps_what_was_read() {
    let mut big = String::new();
    for i in 0..2000 {
        big.push_str(&format!(
            "11/18/25-17:{:02}:{:02}:000 (1) 2 [Utility.Event] Arbiter connection lost {i}\n",
            i / 60 % 60,
            i % 60
        ));
    }
    let mut gz = gzip(big.as_bytes());
    gz.truncate(gz.len() / 2);
    let log = read_bytes(&gz, "messages.log.gz", &Zone::utc(), None);
    assert_eq!(log.errors.len(), 1);
    let e = &log.errors[0];
    assert_eq!(e.source, "messages.log.gz");
    assert!(
        e.message
            .contains("corrupt or truncated gzip data after line"),
        "{}",
        e.message
    );
    assert!(!log.events.is_empty(), "events before the damage are kept");
}

#[test]
fn missing_file_is_an_error() {
    let opts = ReadOptions {
        zone: &Zone::utc(),
        member: Some("db1"),
    };
    let log = one(read_path(
        Path::new("/no/such/dir/messages.log"),
        "/no/such/dir/messages.log",
        &opts,
    ));
    assert_eq!(log.errors.len(), 1);
    assert!(
        log.errors[0]
            .message
            .contains("check the path given to --db-log")
    );
    assert_eq!(log.member, "db1");
}

#[test]
fn unknown_format_and_empty_are_notes() {
    let log = read_bytes(
        b"\x7fELF\x02\x01\x01\0\0\0\nhello\n",
        "bin",
        &Zone::utc(),
        None,
    );
    assert!(
        notes(&log).contains("no line in a known database log format"),
        "{}",
        notes(&log)
    );
    assert!(log.errors.is_empty());
    let log = read_bytes(b"", "empty", &Zone::utc(), None);
    assert!(notes(&log).contains("empty database log"));
    let log = read_bytes(b"\n \n", "blank", &Zone::utc(), None);
    assert!(notes(&log).contains("empty database log"));
}

#[test]
fn long_lines_are_skipped_with_a_note() {
    let mut text = Vec::new();
    text.extend_from_slice(
        b"11/18/25-17:00:00:000 (1) 2 [Utility.Event] Arbiter connection lost\n",
    );
    text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    text.extend_from_slice(
        b"\n11/18/25-17:00:01:000 (1) 2 [Utility.Event] Arbiter connection lost\n",
    );
    let log = read_bytes(&text, "long", &Zone::utc(), None);
    assert_eq!(log.events.len(), 2);
    assert_eq!(log.events[1].line, 3);
    assert!(notes(&log).contains("1 line(s) longer than 64 KiB skipped (first at line 2)"));
}

#[test]
fn crlf_and_invalid_utf8_are_shown_escaped() {
    let text = b"11/18/25-17:00:00:000 (1) 2 [Utility.Event] Arbiter \xff\x1b[31m lost\r\n";
    let log = read_bytes(text, "crlf", &Zone::utc(), None);
    assert_eq!(log.events[0].text, "Arbiter \\xFF\\e[31m lost");
}

#[test]
fn long_texts_are_shortened_on_a_character() {
    let msg = "é".repeat(MAX_SHOWN);
    let text = format!("11/18/25-17:00:00:000 (1) 2 [Utility.Event] mirror {msg}\n");
    let log = read_str(&text, &Zone::utc(), None);
    let shown = &log.events[0].text;
    assert!(shown.ends_with('…') && !shown.contains("\\x"), "{shown}");
}

#[test]
fn db_log_names() {
    for n in [
        "messages.log",
        "MESSAGES.LOG",
        "cconsole.log",
        "messages.old_20251118",
        "cconsole.old_20170104",
        "messages.log.old_20251118",
        "messages.log.gz",
        "messages.old_20251118.gz",
    ] {
        assert!(is_db_log_name(n.as_bytes()), "{n}");
    }
    for n in [
        "messages.old_",
        "messages.txt",
        "mymessages.log",
        "vmware.log",
        "cconsole.log.1",
    ] {
        assert!(!is_db_log_name(n.as_bytes()), "{n}");
    }
}

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/db")
        .join(p)
}

fn read_fixture(p: &str, member: Option<&str>) -> DbLog {
    let zone = ny();
    let opts = ReadOptions {
        zone: &zone,
        member,
    };
    one(read_path(&fixture(p), p, &opts))
}

#[test]
fn fixture_mirror_pair() {
    let db1 = read_fixture("db1/messages.log", Some("db1"));
    let db2 = read_fixture("db2/messages.log", Some("db2"));
    for log in [&db1, &db2] {
        assert!(
            log.notes.is_empty() && log.errors.is_empty(),
            "{}",
            notes(log)
        );
    }
    let takeovers = |l: &DbLog| -> Vec<String> {
        l.events
            .iter()
            .filter(|e| e.kind == DbKind::Takeover)
            .map(|e| rfc(e.time_ms))
            .collect()
    };
    assert_eq!(takeovers(&db2), ["2025-11-18T22:00:08.231Z"]);
    assert_eq!(takeovers(&db1), ["2025-11-19T03:12:49.517Z"]);
    assert_eq!(db1.events[0].kind, DbKind::PrimaryAtStartup);
    let count = |l: &DbLog, k: DbKind| l.events.iter().filter(|e| e.kind == k).count();
    assert_eq!(
        (count(&db1, DbKind::Mirror), count(&db2, DbKind::Mirror)),
        (4, 4)
    );
    assert_eq!(
        (count(&db1, DbKind::Freeze), count(&db1, DbKind::Thaw)),
        (2, 2)
    );
    assert_eq!(
        (count(&db2, DbKind::Backup), count(&db2, DbKind::Connected)),
        (2, 2)
    );
}

#[test]
fn fixture_seed_logs() {
    let snap = read_fixture("seed/snapshot.log", None);
    let logfile = read_fixture("seed/H20152-pre_post.log", None);
    assert_eq!(
        kinds(&snap),
        vec![
            (DbKind::Freeze, "2017-01-04T21:30:36.000Z".into(), 3),
            (DbKind::Thaw, "2017-01-04T21:30:42.000Z".into(), 9),
        ]
    );
    assert_eq!(
        kinds(&logfile),
        vec![
            (DbKind::Freeze, "2017-01-04T21:30:36.000Z".into(), 10),
            (DbKind::Thaw, "2017-01-04T21:30:42.000Z".into(), 12),
        ]
    );
    assert!(snap.notes.is_empty() && logfile.notes.is_empty());
    assert_eq!((snap.entries, logfile.entries), (10, 5));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_bytes(&bytes, "fuzz", &Zone::utc(), None);
        let mut gz = vec![0x1f, 0x8b];
        gz.extend_from_slice(&bytes);
        let _ = read_bytes(&gz, "fuzz.gz", &Zone::utc(), None);
    }

    #[test]
    fn mangled_lines_never_panic(
        cut in 0usize..80,
        noise in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let line = "11/18/25-17:00:08:231 (3305) 1 [Utility.Event] Becoming primary mirror server";
        let snap = "Wed Jan  4 16:30:36 EST 2017: H20152 IS FROZEN";
        for l in [line, snap] {
            let mut b = l.as_bytes()[..cut.min(l.len())].to_vec();
            b.extend_from_slice(&noise);
            let _ = read_bytes(&b, "fuzz", &ny(), None);
        }
    }
}

#[test]
fn the_start_banner_is_a_startup_and_ends_the_entry_before() {
    // As a restored VM's messages.log has it (see docs/database.md), then
    // a takeover 2 minutes after the restart: the restart's own.
    let text = "08/11/21-05:49:44:347 (18374) 0 [Utility.Event] Backup.General.ExternalFreeze: System suspended\n\
                \n\
                *** Recovery started at Wed Aug 11 06:12:30 2021\n\
                \x20    Current default directory: /usr/irissys/mgr\n\
                Exiting with status 3 (Success)\n\
                08/11/21-06:12:30:224 (1148) 0 [Generic.Event] Allocated 430MB shared memory\n\
                08/11/21-06:14:30:000 (1149) 0 [Utility.Event] Becoming primary mirror server\n";
    let log = read_str(text, &Zone::utc(), None);
    let kinds: Vec<DbKind> = log.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [DbKind::Freeze, DbKind::PrimaryAtStartup]);
    assert_eq!(
        log.events[0].text,
        "Backup.General.ExternalFreeze: System suspended"
    );
    assert!(log.events[0].restarted);
}
