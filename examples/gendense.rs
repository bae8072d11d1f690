//! Dense inputs for the memory targets of SPEC section 9: many stun events
//! in few logs, and many VMs with one stun each. The realistic corpus of
//! `gencorpus` holds about 20 stuns per MB, so it measures the bytes; these
//! measure what one event and one VM cost.
//!
//! ```text
//! cargo run --release --example gendense -- stuns <out-dir> [--stuns N] [--logs N]
//! cargo run --release --example gendense -- vms <out-dir> [--vms N]
//! ```
//!
//! - `stuns` (default 200,000 stuns in 500 logs): 100 VMs of 5 rotated logs
//!   each, every log a run of nightly snapshot backups (a create stun, then
//!   consolidate stuns) with their operation markers, `Hostname=` and
//!   `displayName`; written as `<out>/tree/…` and `<out>/stuns.tgz`.
//! - `vms` (default 100,000 VMs): one `vmware.log` per VM directory with a
//!   banner, its names, a snapshot create and one stun, as one
//!   `<out>/vms.tgz` (one gzip stream; nothing on disk but the archive).
//!
//! `<out>/MANIFEST.txt` gives the planted counts. The same arguments always
//! give the same bytes.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

const USAGE: &str = "usage: gendense stuns <out-dir> [--stuns N] [--logs N]\n       gendense vms <out-dir> [--vms N]";

/// 2026-11-20T00:00:00Z.
const BASE_MS: i64 = 1_795_132_800_000;
const HOST: &str = "esx-esx01-2026-11-20--10.30-2098000";

fn main() {
    if let Err(e) = run() {
        eprintln!("gendense: {e}\n{USAGE}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().ok_or("missing mode")?;
    let out = args.next().ok_or("missing <out-dir>")?;
    let mut opts = std::collections::HashMap::new();
    while let Some(k) = args.next() {
        let v: u64 = args
            .next()
            .and_then(|v| v.parse().ok())
            .filter(|&v| v > 0)
            .ok_or_else(|| format!("{k} needs a positive integer"))?;
        opts.insert(k, v);
    }
    let get = |k: &str, d: u64| opts.get(k).copied().unwrap_or(d);
    let out = Path::new(&out);
    fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let manifest = match mode.as_str() {
        "stuns" => stuns(out, get("--stuns", 200_000), get("--logs", 500)),
        "vms" => vms(out, get("--vms", 100_000)),
        m => return Err(format!("unknown mode {m}")),
    }
    .map_err(|e| e.to_string())?;
    fs::write(out.join("MANIFEST.txt"), &manifest).map_err(|e| e.to_string())?;
    print!("{manifest}");
    Ok(())
}

/// `2026-11-20T01:02:03.456Z`.
fn ts(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn banner(w: &mut impl Write, t: i64, host: &str, vm: &str) -> std::io::Result<()> {
    writeln!(
        w,
        "{} In(05) vmx - Log for VMware ESX pid=2099041 version=8.0.2 build=build-22380479 option=Release",
        ts(t)
    )?;
    writeln!(w, "{} In(05) vmx - Hostname={host}", ts(t + 1))?;
    writeln!(
        w,
        "{} In(05) vmx - DICT         displayName = \"{vm}\"",
        ts(t + 2)
    )
}

fn stun(w: &mut impl Write, t: i64, us: u64) -> std::io::Result<()> {
    writeln!(
        w,
        "{} In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for {us} us",
        ts(t)
    )
}

/// Dense stuns: `n_logs` logs in VMs of 5 rotated logs, `n_stuns` in all.
fn stuns(out: &Path, n_stuns: u64, n_logs: u64) -> std::io::Result<String> {
    let tree = out.join("tree");
    let mut rng = Rng(0x5eed_de75_e000_0001);
    let per_vm = 5u64;
    let n_vms = n_logs.div_ceil(per_vm);
    let mut files: Vec<String> = Vec::new();
    let (mut planted, mut sum) = (0u64, 0u64);
    for l in 0..n_logs {
        let vm = l / per_vm;
        let rank = per_vm - 1 - l % per_vm;
        let name = format!("db-{vm:04}");
        let base = if rank == 0 {
            "vmware.log".to_owned()
        } else {
            format!("vmware-{rank}.log")
        };
        let rel = format!("{HOST}/vmfs/volumes/datastore1/{name}/{base}");
        let path = tree.join(&rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p)?;
        }
        let mut w = BufWriter::new(File::create(&path)?);
        // This log's share of the stuns.
        let want = n_stuns / n_logs + u64::from(l < n_stuns % n_logs);
        // Each log covers its own days; older ranks are earlier.
        let mut t = BASE_MS - (rank as i64 + 1) * 40 * 86_400_000;
        banner(&mut w, t, "esx01.example.com", &name)?;
        let mut left = want;
        let mut backup = 0u64;
        while left > 0 {
            t += 86_400_000 / 4;
            backup += 1;
            let snap = format!("backup-{backup}");
            writeln!(
                w,
                "{} In(05) vmx vim-cmd-09-a45d SnapshotVMX_TakeSnapshot start: '{snap}', deviceState=0, lazy=0, quiesced=1",
                ts(t)
            )?;
            t += 1500;
            let us = 100_000 + rng.below(2_000_000);
            stun(&mut w, t, us)?;
            (planted, sum, left) = (planted + 1, sum + us, left - 1);
            writeln!(
                w,
                "{} In(05) vmx - SnapshotVMXTakeSnapshotComplete: Done with snapshot '{snap}': 18",
                ts(t + 200)
            )?;
            if left == 0 {
                break;
            }
            t += 600_000;
            writeln!(w, "{} In(05) vmx - ConsolidateStart: online", ts(t))?;
            // Consolidate: one stun per disk and iteration.
            let k = (1 + rng.below(6)).min(left);
            for _ in 0..k {
                t += 2000 + rng.below(8000) as i64;
                let us = 20_000 + rng.below(400_000);
                stun(&mut w, t, us)?;
                (planted, sum, left) = (planted + 1, sum + us, left - 1);
            }
            writeln!(
                w,
                "{} In(05) vmx - ConsolidateEnd: Snapshot consolidate complete: The operation completed successfully (0).",
                ts(t + 500)
            )?;
        }
        w.flush()?;
        files.push(rel);
    }
    let tgz = out.join("stuns.tgz");
    let gz = flate2::write::GzEncoder::new(
        BufWriter::new(File::create(&tgz)?),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for rel in &files {
        let data = fs::read(tree.join(rel))?;
        append(&mut tar, rel, &data)?;
    }
    tar.into_inner()?.finish()?.flush()?;
    Ok(format!(
        "# stunscan dense-stun input: generated by `cargo run --release --example gendense -- stuns`\n\
         args: --stuns {n_stuns} --logs {n_logs}\ntree: tree\ntgz: stuns.tgz\ntgz_bytes: {}\n\
         logs: {n_logs}\nvms: {n_vms}\nplanted_events: {planted}\nplanted_sum_us: {sum}\n",
        fs::metadata(&tgz)?.len()
    ))
}

fn append<W: Write>(tar: &mut tar::Builder<W>, rel: &str, data: &[u8]) -> std::io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime((BASE_MS / 1000) as u64);
    tar.append_data(&mut h, rel, data)
}

/// `n_vms` VMs with one stun each, as one `.tgz`.
fn vms(out: &Path, n_vms: u64) -> std::io::Result<String> {
    let tgz = out.join("vms.tgz");
    let gz = flate2::write::GzEncoder::new(
        BufWriter::new(File::create(&tgz)?),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    let mut rng = Rng(0x5eed_de75_e000_0002);
    let (mut planted, mut sum) = (0u64, 0u64);
    let mut log = Vec::new();
    for v in 0..n_vms {
        let name = format!("vm-{v:06}");
        let host = format!("esx{:02}.example.com", v % 16);
        let t = BASE_MS - 86_400_000 + (v as i64 % 86_400) * 1000;
        log.clear();
        banner(&mut log, t, &host, &name)?;
        writeln!(
            log,
            "{} In(05) vmx vim-cmd-09-a45d SnapshotVMX_TakeSnapshot start: 'nightly', deviceState=0, lazy=0, quiesced=1",
            ts(t + 60_000)
        )?;
        let us = 50_000 + rng.below(3_000_000);
        stun(&mut log, t + 61_000, us)?;
        (planted, sum) = (planted + 1, sum + us);
        let rel = format!("{HOST}/vmfs/volumes/datastore1/{name}/vmware.log");
        append(&mut tar, &rel, &log)?;
    }
    tar.into_inner()?.finish()?.flush()?;
    Ok(format!(
        "# stunscan many-VM input: generated by `cargo run --release --example gendense -- vms`\n\
         args: --vms {n_vms}\ntgz: vms.tgz\ntgz_bytes: {}\nvms: {n_vms}\nplanted_events: {planted}\nplanted_sum_us: {sum}\n",
        fs::metadata(&tgz)?.len()
    ))
}
