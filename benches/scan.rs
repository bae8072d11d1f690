//! Bytes per second of the scanning paths:
//!
//! - `scan/in_memory_log`: `stunscan::vmlog::scan::scan` over a ~64 MB realistic
//!   log held in memory (real filler lines re-stamped into every header
//!   family, nightly snapshot bursts, decoys);
//! - `scan/needle_dense_long_lines`: 15 MB of 240 KB lines holding a
//!   needle every 6 bytes, none of them a marker's;
//! - `bundle/collect_tgz`: `stunscan::input::collect` on a ~64 MB (content)
//!   vm-support style `.tgz` written to a temp file, against
//!   `bundle/inflate_baseline`, a bare `MultiGzDecoder` pass over the same
//!   file (SPEC section 9: scanning should hide behind decompression).
//!
//! Throughput is uncompressed log bytes in both groups.
//!
//! `cargo bench --bench scan`

#[path = "../examples/common/sim.rs"]
mod sim;

use std::fs::File;
use std::hint::black_box;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use sim::{Family, Pool, SEED};
use stunscan::input::{InputPath, collect};
use stunscan::vmlog::scan::{RecordKind, scan};

const TOTAL: u64 = 64 << 20;

/// ~64 MB of logs, one per header family, concatenated; and the number of
/// planted stun records.
fn memory_log(pool: &Pool) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(TOTAL as usize + (1 << 20));
    let mut stuns = 0;
    let each = TOTAL / Family::ALL.len() as u64;
    for (i, fam) in Family::ALL.into_iter().enumerate() {
        let (log, c) = sim::log_in_memory(pool, fam, SEED ^ i as u64, each);
        out.extend_from_slice(&log);
        stuns += c.stuns_total();
    }
    (out, stuns)
}

/// A bundle `.tgz` with 24 VM logs (~64 MB of content) in the vm-support
/// layout; returns (content bytes, planted stuns).
fn write_bundle(pool: &Pool, path: &Path) -> io::Result<(u64, u64)> {
    let gz = flate2::write::GzEncoder::new(File::create(path)?, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let files = 24u64;
    let (mut bytes, mut stuns) = (0, 0);
    for i in 0..files {
        let fam = Family::ROTATION[i as usize % Family::ROTATION.len()];
        let (log, c) = sim::log_in_memory(pool, fam, SEED ^ (100 + i), TOTAL / files);
        let name = format!(
            "esx-esx01-2026-11-20--10.30-2098000/vmfs/volumes/datastore1/db-{:03}/vmware{}.log",
            i / 4,
            if i % 4 == 0 {
                String::new()
            } else {
                format!("-{}", i % 4)
            }
        );
        let mut h = tar::Header::new_gnu();
        h.set_size(log.len() as u64);
        h.set_mode(0o644);
        h.set_mtime((sim::BUNDLE_MS / 1000) as u64);
        tar.append_data(&mut h, name, &log[..])?;
        bytes += log.len() as u64;
        stuns += c.stuns_total();
    }
    tar.into_inner()?.finish()?;
    Ok((bytes, stuns))
}

fn stuns_in(r: &stunscan::vmlog::scan::ScanResult) -> u64 {
    r.records
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::Stun { .. }))
        .count() as u64
}

fn collect_stuns(path: &Path) -> u64 {
    // No progress bar.
    let c = collect(
        &[InputPath::Path(path.to_path_buf())],
        false,
        &Default::default(),
    );
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.logs
        .iter()
        .flat_map(|l| &l.entries)
        .filter(|e| matches!(e.kind, RecordKind::Stun { .. }))
        .count() as u64
}

fn inflate(path: &Path) -> u64 {
    let mut dec = flate2::read::MultiGzDecoder::new(File::open(path).expect("open"));
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        match dec.read(&mut buf).expect("inflate") {
            0 => return total,
            n => total += n as u64,
        }
    }
}

fn bench_scan(c: &mut Criterion) {
    let pool = Pool::load(sim::default_corpus_dir().as_deref());

    let (log, planted) = memory_log(&pool);
    let (r, err) = scan(&log[..]);
    assert!(err.is_none());
    assert_eq!(stuns_in(&r), planted, "stuns found in the in-memory log");
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.bench_function("in_memory_log", |b| {
        b.iter(|| stuns_in(&scan(black_box(&log[..])).0))
    });
    // Long lines full of a needle's other words (a guest can write what
    // it likes into its log): every hit is checked, and the line around
    // the hits is found once, so this stays as fast per byte as a log.
    let line = [
        &b"2024-01-29T15:56:49.441Z In(05) vmx Guest: "[..],
        &b" reset".repeat(40_000),
        b"\n",
    ]
    .concat();
    let dense = line.repeat(64);
    g.throughput(Throughput::Bytes(dense.len() as u64));
    g.bench_function("needle_dense_long_lines", |b| {
        b.iter(|| scan(black_box(&dense[..])).0.lines)
    });
    g.finish();
    drop(log);

    let dir = tempfile::tempdir().expect("temp dir");
    let tgz = dir.path().join("esx-esx01-2026-11-20--10.30-2098000.tgz");
    let (bytes, planted) = write_bundle(&pool, &tgz).expect("write the bundle");
    assert_eq!(collect_stuns(&tgz), planted, "stuns found in the bundle");
    assert!(inflate(&tgz) > bytes, "the tar adds headers to the content");
    let mut g = c.benchmark_group("bundle");
    g.throughput(Throughput::Bytes(bytes));
    // ~0.1 s per iteration: flat sampling keeps 10 samples within 5 s.
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("collect_tgz", |b| b.iter(|| collect_stuns(black_box(&tgz))));
    g.bench_function("inflate_baseline", |b| b.iter(|| inflate(black_box(&tgz))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench_scan
}
criterion_main!(benches);
