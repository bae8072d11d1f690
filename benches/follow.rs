//! Latency of a live watch: the time from a stun line's `write` to its
//! record on the watcher's standard output, through the real binary.
//!
//! - `follow/notify`: change notifications (inotify);
//! - `follow/poll_250ms`: `--poll 250ms` (a stun waits half an interval on
//!   average, at most a whole one).
//!
//! One watcher runs per group; each iteration appends one stun line to its
//! `vmware.log` and waits for the line that reports it.
//!
//! `cargo bench --bench follow`

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

struct Watcher {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl Watcher {
    fn start(dir: &Path, extra: &[&str]) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stunscan"))
            .arg("--follow")
            .arg(dir)
            .args(["--format", "tsv", "--quiet"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("stunscan starts");
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        Watcher { child, out }
    }

    /// Appends a stun of `us` and waits for its record.
    fn round_trip(&mut self, log: &Path, us: u64) -> Duration {
        let line = format!(
            "2026-12-04T10:00:00.000Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for {us} us\n"
        );
        let mut f = OpenOptions::new().append(true).open(log).expect("open");
        let t0 = Instant::now();
        f.write_all(line.as_bytes()).expect("write");
        let want = format!("{us}\t");
        let mut got = String::new();
        loop {
            got.clear();
            if self.out.read_line(&mut got).expect("read") == 0 {
                panic!("the watcher ended");
            }
            if got.starts_with(&want) {
                return t0.elapsed();
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bench(c: &mut Criterion, name: &str, extra: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vm = tmp.path().join("db1");
    std::fs::create_dir_all(&vm).expect("mkdir");
    let log = vm.join("vmware.log");
    let mut us = 1_000_000u64;
    std::fs::write(
        &log,
        format!(
            "2026-12-04T09:59:59.000Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for {us} us\n"
        ),
    )
    .expect("log");
    let mut w = Watcher::start(tmp.path(), extra);
    // It watches once its first report is out (the watch is set up first).
    let mut first = String::new();
    w.out.read_line(&mut first).expect("the first report");
    assert!(first.starts_with(&format!("{us}\t")), "{first}");
    let mut g = c.benchmark_group("follow");
    g.sample_size(30).measurement_time(Duration::from_secs(20));
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                us += 1;
                total += w.round_trip(&log, us);
            }
            total
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench(c, "notify", &[]);
    bench(c, "poll_250ms", &["--poll", "250ms"]);
}

criterion_group!(follow, benches);
criterion_main!(follow);
