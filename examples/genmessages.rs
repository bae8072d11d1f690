//! Writes a deterministic IRIS `messages.log` of a given size, for
//! measuring the database-log reader on a file (the criterion bench
//! `benches/dblog.rs` reads the same mix from memory): routine entries,
//! a tenth of them severity-0 chatter that names the mirror, one in a
//! hundred with a continuation line, a few events.
//!
//! `cargo run --release --example genmessages -- <out-file> [size-MB]`

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: genmessages <out-file> [size-MB]");
        std::process::exit(2);
    };
    let mb: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let total = mb << 20;
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
    let mut w = BufWriter::new(std::fs::File::create(&out)?);
    let (mut written, mut ms) = (0u64, 0u64);
    while written < total {
        ms += 1 + rnd(120) as u64;
        let t = ms / 1000;
        let (text, sev) = match rnd(10_000) {
            0 => (EVENTS[rnd(3)], 2),
            1..1000 => (CHATTER[rnd(3)], 0),
            _ => (ROUTINE[rnd(6)], [0, 0, 0, 0, 0, 0, 0, 0, 1, 2][rnd(10)]),
        };
        let mut line = format!(
            "11/{:02}/25-{:02}:{:02}:{:02}:{:03} ({}) {sev} [Utility.Event] {text}\n",
            18 + t / 86_400,
            t / 3600 % 24,
            t / 60 % 60,
            t % 60,
            ms % 1000,
            1000 + rnd(90_000),
        );
        if rnd(100) == 0 {
            line.push_str("    at %SYS.Journal+12 Mirror: PRODMIR\n");
        }
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    w.flush()
}
