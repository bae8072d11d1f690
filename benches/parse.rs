//! Lines per second of header parsing + message classification
//! (`stunscan::vmlog::parse_header(..).and_then(|h| h.message())`) over a
//! realistic mix: a few thousand real vmware.log lines (from
//! `../shared/corpus/workstation` when present, else synthetic) re-stamped
//! into every header family of SPEC section 4, plus stun records and
//! decoys.
//!
//! `cargo bench --bench parse`

#[path = "../examples/common/sim.rs"]
mod sim;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim::{Family, Pool, Rng, SEED, Style};
use stunscan::vmlog::{Message, parse_header};

const LINES: usize = 4000;

/// The mix, and how many stun records are in it.
fn lines() -> (Vec<Vec<u8>>, usize) {
    let pool = Pool::load(sim::default_corpus_dir().as_deref());
    let mut rng = Rng::new(SEED ^ 0x9a75e);
    let mut lines = pool.sample_lines(LINES, &mut rng);
    let mut stuns = 0;
    // One line in 20 carries the stun phrase: a real record in every
    // family, or a decoy that must not count.
    for i in (0..lines.len()).step_by(20) {
        let family = Family::ALL[(i / 20) % Family::ALL.len()];
        let style = Style::new(family, &mut rng);
        let us = rng.range(1000, 9_000_000);
        let t = sim::BUNDLE_MS - rng.below(sim::DAY_MS as u64) as i64;
        let mut buf = Vec::new();
        let (thread, msg) = if i % 60 == 40 {
            (
                "vmx",
                format!("GuestRpc: Got RPC: 'log Checkpoint_Unstun: vm stopped for {us} us'"),
            )
        } else {
            stuns += 1;
            (
                "vcpu-0",
                format!("Checkpoint_Unstun: vm stopped for {us} us"),
            )
        };
        style.line(
            &mut buf,
            t,
            thread.as_bytes(),
            b'I',
            false,
            None,
            msg.as_bytes(),
        );
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        lines[i] = buf;
    }
    (lines, stuns)
}

fn bench_parse(c: &mut Criterion) {
    let (lines, stuns) = lines();
    let count = |lines: &[Vec<u8>]| {
        let mut n = 0usize;
        let mut classified = 0usize;
        for l in lines {
            match parse_header(black_box(l)).and_then(|h| h.message()) {
                Some(Message::Stun(_)) => n += 1,
                Some(_) => classified += 1,
                None => {}
            }
        }
        (n, classified)
    };
    assert_eq!(count(&lines).0, stuns, "stun records in the parse mix");
    let unparsed = lines.iter().filter(|l| parse_header(l).is_none()).count();
    assert_eq!(
        unparsed, 0,
        "every line of the mix has a well-formed header"
    );

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("parse_header+message", |b| b.iter(|| count(&lines)));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench_parse
}
criterion_main!(benches);
