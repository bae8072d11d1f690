//! Bytes per second of reading a database log:
//!
//! - `dblog/messages_log`: `stunscan::dblog::read` over a ~32 MB IRIS
//!   `messages.log` held in memory (routine entries, a tenth of them
//!   severity-0 chatter that names the mirror, one in a hundred with a
//!   continuation line, a few events);
//! - `dblog/newlines_baseline`: counting its lines, the least any reader
//!   does with every byte.
//!
//! `cargo bench --bench dblog`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stunscan::dblog::{DbLog, ReadOptions, read};
use stunscan::zone::Zone;

const TOTAL: usize = 32 << 20;

/// A deterministic `messages.log` of about [`TOTAL`] bytes.
fn messages_log() -> Vec<u8> {
    const ROUTINE: [&str; 6] = [
        "Purging old journal files",
        "TASKMGR Task#123 (Purge Journal) ran OK",
        "LMF Info: Licensed for 100 users.",
        "Journal file has reached its maximum size of 1048576000 bytes",
        "Journal file switched to: /trak/jnl/jrnpri/IRISPROD_20251118.011",
        "Write daemon cycle completed",
    ];
    const CHATTER: [&str; 3] = [
        "MirrorServer: Received connection request from backup",
        "MirrorClient: Backup is caught up with primary",
        "Mirror Arbiter connection established",
    ];
    const EVENTS: [&str; 3] = [
        "Arbiter connection lost",
        "Backup.General.ExternalFreeze: System suspended",
        "Backup.General.ExternalThaw: System resumed",
    ];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n) as usize
    };
    let mut out = Vec::with_capacity(TOTAL + 256);
    let mut ms: u64 = 0;
    while out.len() < TOTAL {
        ms += 1 + rnd(120) as u64;
        let t = ms / 1000;
        let (text, sev) = match rnd(10_000) {
            0 => (EVENTS[rnd(3)], 2),
            1..1000 => (CHATTER[rnd(3)], 0),
            _ => (ROUTINE[rnd(6)], [0, 0, 0, 0, 0, 0, 0, 0, 1, 2][rnd(10)]),
        };
        out.extend_from_slice(
            format!(
                "11/{:02}/25-{:02}:{:02}:{:02}:{:03} ({}) {sev} [Utility.Event] {text}\n",
                18 + t / 86_400,
                t / 3600 % 24,
                t / 60 % 60,
                t % 60,
                ms % 1000,
                1000 + rnd(90_000),
            )
            .as_bytes(),
        );
        if rnd(100) == 0 {
            out.extend_from_slice(b"    at %SYS.Journal+12 Mirror: PRODMIR\n");
        }
    }
    out
}

fn read_log(log: &[u8], zone: &Zone) -> DbLog {
    let opts = ReadOptions { zone, member: None };
    let mut logs = read(log, "messages.log", &opts);
    assert_eq!(logs.len(), 1, "a plain log is one member");
    logs.remove(0)
}

fn bench_dblog(c: &mut Criterion) {
    let log = messages_log();
    let zone = Zone::parse("America/New_York").expect("zone");
    let read_once = read_log(&log, &zone);
    assert!(read_once.errors.is_empty() && !read_once.events.is_empty());
    let mut g = c.benchmark_group("dblog");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.bench_function("messages_log", |b| {
        b.iter(|| read_log(black_box(&log), &zone).events.len())
    });
    g.bench_function("newlines_baseline", |b| {
        b.iter(|| bytecount::count(black_box(&log), b'\n'))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench_dblog
}
criterion_main!(benches);
