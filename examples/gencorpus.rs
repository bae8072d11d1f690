//! Deterministic benchmark corpus for stunscan (SPEC section 9).
//!
//! ```text
//! cargo run --release --example gencorpus -- <out-dir> [--size-mb N] [--files N]
//! ```
//!
//! Defaults: 1024 MB in 4000 `vmware*.log` files. Writes
//!
//! - `<out>/tree/esx-<host>-2026-11-20--10.30-<n>/vmfs/volumes/<ds>/<vm>/vmware.log`
//!   and `vmware-<N>.log` (several hosts, VMs per host, rotated logs per VM),
//!   a `.vmx` per VM, and a `var/run/log/vmkernel.log` per host that mentions
//!   `Unstun` in lines that are not stun records (and is not a log member);
//! - `<out>/corpus.tgz`: the same tree as one gzip'd tar (one gzip stream);
//! - `<out>/hosts/<bundle-root>.tgz`: each host's part of the tree as a
//!   vm-support bundle of its own, and `<out>/hosts/vcenter.zip` holding the
//!   first two of them (stored, as vCenter's "Export System Logs" packs one
//!   `.tgz` per host) — independent streams, to read on separate cores;
//! - `<out>/MANIFEST.txt`: bytes, files, and exactly how many stun records
//!   were planted (per header family), plus the decoys that must not count.
//!
//! Files are written one at a time and the tar is built by streaming them
//! back from disk, so memory stays small whatever `--size-mb` is. The same
//! arguments always give byte-identical output (fixed seed, fixed mtimes).

#[path = "common/sim.rs"]
mod sim;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use sim::{BUNDLE_MS, Counts, DAY_MS, Family, Pool, Rng, SEED, Style, VmSim};

const USAGE: &str =
    "usage: cargo run --release --example gencorpus -- <out-dir> [--size-mb N] [--files N]";

struct Args {
    out: PathBuf,
    size_mb: u64,
    files: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut out = None;
    let mut size_mb = 1024u64;
    let mut files = 4000u64;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|&v: &u64| v > 0)
                .ok_or_else(|| format!("{name} needs a positive integer"))
        };
        match a.as_str() {
            "--size-mb" => size_mb = num("--size-mb")?,
            "--files" => files = num("--files")?,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ if out.is_none() => out = Some(PathBuf::from(a)),
            _ => return Err("only one <out-dir>".into()),
        }
    }
    Ok(Args {
        out: out.ok_or("missing <out-dir>")?,
        size_mb,
        files,
    })
}

/// One VM directory and its rotated logs.
struct VmPlan {
    host: usize,
    datastore: &'static str,
    name: String,
    family: Family,
    /// Target bytes per file, oldest (`vmware-<K-1>.log`) first.
    sizes: Vec<u64>,
}

/// A written file: its path under `tree/` and modification time.
struct Written {
    rel: String,
    mtime_ms: i64,
    /// Stun records planted in it.
    stuns: u64,
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gencorpus: {e}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("gencorpus: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> std::io::Result<()> {
    let started = Instant::now();
    let tree = args.out.join("tree");
    if tree.exists() {
        return Err(std::io::Error::other(format!(
            "{} already exists; remove it first",
            tree.display()
        )));
    }
    fs::create_dir_all(&tree)?;

    let corpus_dir = sim::default_corpus_dir();
    let pool = Pool::load(corpus_dir.as_deref());
    eprintln!("gencorpus: filler: {}", pool.source);
    let mut rng = Rng::new(SEED);

    let total = args.size_mb * 1024 * 1024;
    let n_files = args.files;
    let n_hosts = (n_files / 400).clamp(3, 10) as usize;
    // 1% of the bytes are vmkernel.log files, a few KB are .vmx files.
    let vmkernel_each = (total / 100 / n_hosts as u64).max(4096);
    let log_total = total - vmkernel_each * n_hosts as u64;

    // Plan the VMs and their rotated logs.
    const DATASTORES: [&str; 3] = ["datastore1", "ssd-ds02", "nfs-prod-03"];
    const PREFIXES: [&str; 8] = [
        "db-prod",
        "iris-mirror",
        "web",
        "app",
        "cache",
        "sql",
        "build",
        "mq",
    ];
    let mut plans = Vec::new();
    let mut remaining = n_files;
    let mut weights = Vec::new();
    while remaining > 0 {
        let i = plans.len();
        let k = rng.range(2, 7).min(remaining);
        remaining -= k;
        let w: Vec<f64> = (0..k)
            .map(|r| {
                let w = 0.4 + 1.2 * rng.unit();
                // The live vmware.log is part-filled.
                if r + 1 == k { w * 0.5 } else { w }
            })
            .collect();
        weights.push(w);
        plans.push(VmPlan {
            host: i % n_hosts,
            datastore: DATASTORES[rng.below(DATASTORES.len() as u64) as usize],
            name: format!("{}-{:03}", PREFIXES[i % PREFIXES.len()], i + 1),
            family: Family::ROTATION[i % Family::ROTATION.len()],
            sizes: Vec::new(),
        });
    }
    let wsum: f64 = weights.iter().flatten().sum();
    for (p, w) in plans.iter_mut().zip(&weights) {
        p.sizes = w
            .iter()
            .map(|x| ((x / wsum) * log_total as f64) as u64)
            .collect();
    }

    let hosts: Vec<(String, String)> = (0..n_hosts)
        .map(|h| {
            let host = format!("esx{:02}", h + 1);
            let root = format!("esx-{host}-2026-11-20--10.30-{}", 2_098_000 + h * 7919);
            (host, root)
        })
        .collect();

    // A file covers about 1.5 simulated days: about one backup (create +
    // consolidate) per file.
    let avg_file = log_total as f64 / n_files as f64;
    let bytes_per_day = avg_file / 1.5;
    let ms_per_byte = DAY_MS as f64 / bytes_per_day;

    let mut written: Vec<Written> = Vec::new();
    let mut planted = Counts::default();
    let mut per_family_files = [0u64; 6];
    let mut per_kind_vms = 0u64;

    for plan in &plans {
        let (host, root) = &hosts[plan.host];
        let vm_rel = format!("{root}/vmfs/volumes/{}/{}", plan.datastore, plan.name);
        let dir = tree.join(&vm_rel);
        fs::create_dir_all(&dir)?;
        let style = Style::new(plan.family, &mut rng);
        let vm_bytes: u64 = plan.sizes.iter().sum();
        let span_ms = (vm_bytes as f64 / bytes_per_day * DAY_MS as f64) as i64;
        let end = BUNDLE_MS - rng.range(300_000, 7_200_000) as i64;
        let mut vm = VmSim::new(
            style,
            host,
            &plan.name,
            end - span_ms,
            ms_per_byte,
            &pool,
            &mut rng,
        );
        per_kind_vms += u64::from(vm.backed_up);
        let k = plan.sizes.len();
        for (i, &size) in plan.sizes.iter().enumerate() {
            let rank = k - 1 - i;
            let base = if rank == 0 {
                "vmware.log".to_owned()
            } else {
                format!("vmware-{rank}.log")
            };
            let path = dir.join(&base);
            let mut w = BufWriter::with_capacity(256 * 1024, File::create(&path)?);
            let c = vm.write_log(&mut w, &pool, &mut rng, size)?;
            let f = w.into_inner().map_err(|e| e.into_error())?;
            set_mtime(&f, vm.cursor_ms)?;
            planted.add(&c);
            per_family_files[plan.family.index()] += 1;
            written.push(Written {
                rel: format!("{vm_rel}/{base}"),
                mtime_ms: vm.cursor_ms,
                stuns: c.stuns_total(),
            });
        }
        let vmx = format!(
            ".encoding = \"UTF-8\"\nconfig.version = \"8\"\nvirtualHW.version = \"19\"\ndisplayName = \"{}\"\nguestOS = \"windows2019srv-64\"\nnumvcpus = \"4\"\nmemSize = \"16384\"\n",
            plan.name
        );
        let vmx_path = dir.join(format!("{}.vmx", plan.name));
        fs::write(&vmx_path, vmx)?;
        let f = File::options().write(true).open(&vmx_path)?;
        set_mtime(&f, end - span_ms)?;
        written.push(Written {
            rel: format!("{vm_rel}/{}.vmx", plan.name),
            mtime_ms: end - span_ms,
            stuns: 0,
        });
    }

    for (h, (_host, root)) in hosts.iter().enumerate() {
        let rel = format!("{root}/var/run/log/vmkernel.log");
        let path = tree.join(&rel);
        fs::create_dir_all(path.parent().expect("has a parent"))?;
        let mut w = BufWriter::with_capacity(256 * 1024, File::create(&path)?);
        write_vmkernel(&mut w, &mut rng, vmkernel_each, h)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        set_mtime(&f, BUNDLE_MS - 60_000)?;
        written.push(Written {
            rel,
            mtime_ms: BUNDLE_MS - 60_000,
            stuns: 0,
        });
    }
    let tree_secs = started.elapsed().as_secs_f64();

    let mut total_bytes = 0u64;
    let mut log_bytes = 0u64;
    let mut log_files = 0u64;
    for w in &written {
        let len = fs::metadata(tree.join(&w.rel))?.len();
        total_bytes += len;
        let base = w.rel.rsplit('/').next().unwrap_or("");
        if base.starts_with("vmware") && base.ends_with(".log") {
            log_bytes += len;
            log_files += 1;
        }
    }
    eprintln!(
        "gencorpus: tree: {} files, {:.1} MB in {tree_secs:.1} s; writing corpus.tgz",
        written.len(),
        total_bytes as f64 / 1e6
    );

    let tgz = args.out.join("corpus.tgz");
    write_tgz(&tree, &written, &tgz)?;
    let tgz_bytes = fs::metadata(&tgz)?.len();
    let host_tgzs = write_hosts(&tree, &written, &hosts, &args.out.join("hosts"))?;

    let mut m = String::new();
    let mut kv = |k: &str, v: String| {
        m.push_str(k);
        m.push_str(": ");
        m.push_str(&v);
        m.push('\n');
    };
    kv(
        "# stunscan benchmark corpus",
        "generated by `cargo run --release --example gencorpus`".into(),
    );
    kv(
        "args",
        format!("--size-mb {} --files {}", args.size_mb, args.files),
    );
    kv("seed", format!("{SEED:#x}"));
    kv("filler", pool.source.clone());
    kv("tree", "tree".into());
    kv("tgz", "corpus.tgz".into());
    kv("total_bytes", total_bytes.to_string());
    kv("files", written.len().to_string());
    kv("log_files", log_files.to_string());
    kv("log_bytes", log_bytes.to_string());
    kv(
        "other_files",
        (written.len() as u64 - log_files).to_string(),
    );
    kv("tgz_bytes", tgz_bytes.to_string());
    for (i, (name, planted)) in host_tgzs.iter().enumerate() {
        kv(&format!("host_tgz.{}", i + 1), format!("hosts/{name}"));
        kv(&format!("host_events.{}", i + 1), planted.to_string());
    }
    kv(
        "vcenter_zip",
        "hosts/vcenter.zip (host_tgz.1 and host_tgz.2, stored)".into(),
    );
    kv("hosts", n_hosts.to_string());
    kv("vms", plans.len().to_string());
    kv("vms_backed_up", per_kind_vms.to_string());
    kv("log_lines", planted.lines.to_string());
    kv("planted_events", planted.stuns_total().to_string());
    for f in Family::ALL {
        kv(
            &format!("planted_events.{}", f.key()),
            format!(
                "{}  ({} files; {})",
                planted.stuns[f.index()],
                per_family_files[f.index()],
                f.name()
            ),
        );
    }
    kv(
        "planted_events.by_op",
        format!(
            "create={} consolidate={} vmotion={}",
            planted.stuns_create, planted.stuns_consolidate, planted.stuns_vmotion
        ),
    );
    kv(
        "operations",
        format!(
            "snapshot_creates={} consolidates={} vmotions={}",
            planted.creates, planted.consolidates, planted.vmotions
        ),
    );
    kv("planted_max_us", planted.max_stun_us.to_string());
    kv("planted_sum_us", planted.sum_stun_us.to_string());
    kv(
        "decoys",
        format!(
            "{}  (guestrpc={} continuation={} guest_prefix={}; must NOT count)",
            planted.decoys_total(),
            planted.decoys_guestrpc,
            planted.decoys_continuation,
            planted.decoys_guest
        ),
    );
    kv(
        "vmkernel_unstun_lines",
        "in var/run/log/vmkernel.log (not a log member; must NOT count)".into(),
    );
    fs::write(args.out.join("MANIFEST.txt"), &m)?;
    print!("{m}");
    eprintln!(
        "gencorpus: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn set_mtime(f: &File, ms: i64) -> std::io::Result<()> {
    f.set_modified(UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64))
}

/// A host's vmkernel.log: mentions `Unstun` (even the whole stun phrase),
/// but it is not a VM log and nothing in it is a stun event.
fn write_vmkernel<W: Write>(
    w: &mut W,
    rng: &mut Rng,
    target: u64,
    host: usize,
) -> std::io::Result<()> {
    let mut t = BUNDLE_MS - 3 * DAY_MS;
    let step = (3 * DAY_MS) as f64 / (target as f64 / 110.0);
    let mut written = 0u64;
    let mut line = String::new();
    while written < target {
        t += (step * rng.expo()) as i64 + 1;
        let (y, mo, d, ms) = sim::civil(t);
        let ts = format!(
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        );
        let cpu = rng.below(32);
        let world = 2_097_000 + rng.below(200_000);
        line.clear();
        match rng.below(40) {
            0 => line.push_str(&format!(
                "{ts} cpu{cpu}:{world})Checkpoint: vm {}: Unstun completed, vm stopped for {} us\n",
                world + 1,
                rng.range(1000, 900_000)
            )),
            1 => line.push_str(&format!(
                "{ts} In(182) vmkernel: cpu{cpu}:{world})World: vm {}: Checkpoint_Unstun: vm stopped for {} us\n",
                world + 1,
                rng.range(1000, 900_000)
            )),
            2 => line.push_str(&format!(
                "{ts} cpu{cpu}:{world} opID={:08x})FSS: 6092: Unstun of VM world {} after snapshot\n",
                rng.next_u64() as u32,
                world + 1
            )),
            3..=12 => line.push_str(&format!(
                "{ts} cpu{cpu}:{world})ScsiDeviceIO: 4124: Cmd(0x45d8{:08x}) 0x{:02x}, CmdSN 0x{:x} from world {} to dev \"naa.600508b1001c{:012x}\" failed H:0x0 D:0x2 P:0x0 Valid sense data: 0x5 0x24 0x0\n",
                rng.next_u64() as u32,
                rng.below(256),
                rng.below(1 << 20),
                world,
                rng.next_u64() & 0xffff_ffff_ffff
            )),
            13..=25 => line.push_str(&format!(
                "{ts} cpu{cpu}:{world})NMP: nmp_ThrottleLogForDevice:3893: last error status from device naa.600508b1001c{:012x} repeated {} times\n",
                rng.next_u64() & 0xffff_ffff_ffff,
                rng.range(1, 640)
            )),
            _ => line.push_str(&format!(
                "{ts} cpu{cpu}:{world})VSCSI: 6602: handle {}(vscsi0:{}):Destroying Device for world {} (pendCom 0)\n",
                8192 + rng.below(64),
                host % 4,
                world + 1
            )),
        }
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    Ok(())
}

/// The tree as one gzip'd tar, each file streamed from disk.
/// One vm-support `.tgz` per host (the files under its bundle root), and
/// `vcenter.zip` holding the first two, stored. Returns each bundle's file
/// name and the stuns planted in it.
fn write_hosts(
    tree: &Path,
    files: &[Written],
    hosts: &[(String, String)],
    out: &Path,
) -> std::io::Result<Vec<(String, u64)>> {
    fs::create_dir_all(out)?;
    let mut made = Vec::new();
    for (_, root) in hosts {
        let prefix = format!("{root}/");
        let mine: Vec<&Written> = files
            .iter()
            .filter(|w| w.rel.starts_with(&prefix))
            .collect();
        let name = format!("{root}.tgz");
        write_tgz_of(tree, &mine, &out.join(&name))?;
        let planted = mine.iter().map(|w| w.stuns).sum();
        made.push((name, planted));
    }
    let zip = BufWriter::new(File::create(out.join("vcenter.zip"))?);
    let mut zip = zip::ZipWriter::new(zip);
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    for (name, _) in made.iter().take(2) {
        zip.start_file(name.as_str(), stored)
            .map_err(std::io::Error::other)?;
        std::io::copy(&mut File::open(out.join(name))?, &mut zip)?;
    }
    zip.finish().map_err(std::io::Error::other)?.flush()?;
    Ok(made)
}

fn write_tgz(tree: &Path, files: &[Written], out: &Path) -> std::io::Result<()> {
    write_tgz_of(tree, &files.iter().collect::<Vec<_>>(), out)
}

fn write_tgz_of(tree: &Path, files: &[&Written], out: &Path) -> std::io::Result<()> {
    let f = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for w in files {
        let file = File::open(tree.join(&w.rel))?;
        let len = file.metadata()?.len();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(len);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime((w.mtime_ms / 1000).max(0) as u64);
        tar.append_data(&mut h, &w.rel, file)?;
    }
    let gz = tar.into_inner()?;
    let mut f = gz.finish()?;
    f.flush()?;
    f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}
