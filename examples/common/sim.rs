//! Shared by `examples/gencorpus.rs` and the benches: a deterministic
//! simulator of VMware `vmware.log` files.
//!
//! Filler lines come from real logs (`../shared/corpus/workstation/*/*.log`)
//! when they are there, re-stamped into the header family chosen for the
//! file with monotonically increasing timestamps; otherwise from synthetic
//! templates. Stun records are planted the way they happen in life: a
//! nightly snapshot create + consolidate burst per VM, the odd vMotion, and
//! decoy lines that carry the stun phrase but must not count.
//!
//! Not an example itself (cargo only auto-discovers `examples/*.rs` and
//! `examples/*/main.rs`); included with `#[path]`.

#![allow(dead_code)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Fixed seed: the same arguments always give the same corpus.
pub const SEED: u64 = 0x5eed_57a7_2026_1120;

/// The bundles' collection time, 2026-11-20T10:30:00Z: every log ends before.
pub const BUNDLE_MS: i64 = 1_795_170_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// A tiny xorshift64* generator.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 once, so that nearby seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 1 } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Exponential with mean 1.
    pub fn expo(&mut self) -> f64 {
        -(1.0 - self.unit()).ln()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// The real header families of SPEC section 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `2023-12-05T17:42:40.741Z In(05) vcpu-0 - msg` (ESXi 7/8, opid field).
    Esxi78,
    /// `2024-01-29T15:56:49.259Z In(05) vmx msg` (Workstation 17, no opid).
    Ws17,
    /// `2015-10-27T22:01:42.149Z| vcpu-0| I120: msg` (ESXi 5.5/6.x).
    Esxi56,
    /// `2012-03-23T16:22:51.876Z| vcpu-0| msg` (ESXi 5.0, no level token).
    Esxi50,
    /// `2020-05-21T20:04:24.263-07:00| vcpu-0| I125: msg` (UTC offset).
    Offset,
    /// `Apr 17 22:14:49.605: vcpu-0| msg` (ESX 4 / Workstation ≤ 7, no year).
    Old,
}

impl Family {
    pub const ALL: [Family; 6] = [
        Family::Esxi78,
        Family::Ws17,
        Family::Esxi56,
        Family::Esxi50,
        Family::Offset,
        Family::Old,
    ];

    /// Round-robin over this list (weighted towards what is common in the
    /// field) picks each VM's family.
    pub const ROTATION: [Family; 10] = [
        Family::Esxi78,
        Family::Esxi56,
        Family::Ws17,
        Family::Esxi78,
        Family::Offset,
        Family::Esxi50,
        Family::Esxi78,
        Family::Esxi56,
        Family::Old,
        Family::Esxi78,
    ];

    pub fn index(self) -> usize {
        Family::ALL.iter().position(|&f| f == self).unwrap_or(0)
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Esxi78 => "esxi7/8 `...Z In(05) thread opid msg`",
            Family::Ws17 => "workstation17 `...Z In(05) thread msg`",
            Family::Esxi56 => "esxi5/6 `...Z| thread| I120: msg`",
            Family::Esxi50 => "esxi5.0 `...Z| thread| msg`",
            Family::Offset => "utc-offset `...-07:00| thread| I125: msg`",
            Family::Old => "old-no-year `Apr 17 hh:mm:ss.mmm: thread| msg`",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Family::Esxi78 => "esxi78",
            Family::Ws17 => "ws17",
            Family::Esxi56 => "esxi56",
            Family::Esxi50 => "esxi50",
            Family::Offset => "offset",
            Family::Old => "old",
        }
    }

    /// Product name and the `Log for VMware` line's tail after `pid=N`.
    fn product(self) -> (&'static str, &'static str) {
        match self {
            Family::Esxi78 => ("ESX", "version=8.0.2 build=build-22380479 option=Release"),
            Family::Ws17 => (
                "Workstation",
                "version=17.5.0 build=build-22583795 option=Release",
            ),
            Family::Esxi56 => ("ESX", "version=6.7.0 build=build-15160138 option=Release"),
            Family::Esxi50 => ("ESX", "version=5.0.0 build=build-469512 option=Release"),
            Family::Offset => (
                "Workstation",
                "version=15.5.2 build=build-15785246 option=Release",
            ),
            Family::Old => (
                "Workstation",
                "version=7.0.0 build=build-203739 option=Release",
            ),
        }
    }
}

/// One filler line, header removed.
struct FLine {
    thread: Box<[u8]>,
    /// `I`, `W`, `E` or `A`.
    level: u8,
    continuation: bool,
    msg: Box<[u8]>,
}

/// Filler lines, read once.
pub struct Pool {
    lines: Vec<FLine>,
    /// Where the lines came from, for the manifest.
    pub source: String,
}

/// The real logs shipped with the project, when present.
pub fn default_corpus_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("STUNSCAN_FILLER_DIR") {
        return Some(PathBuf::from(d));
    }
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workstation");
    d.is_dir().then_some(d)
}

impl Pool {
    /// Lines of every `*.log` one or two levels under `dir`, or synthetic
    /// lines when there are none.
    pub fn load(dir: Option<&Path>) -> Pool {
        if let Some(dir) = dir {
            let mut files = Vec::new();
            list_logs(dir, 0, &mut files);
            files.sort();
            let mut lines = Vec::new();
            for f in &files {
                if let Ok(text) = std::fs::read(f) {
                    for raw in text.split(|&c| c == b'\n') {
                        if let Some(l) = decompose(raw) {
                            lines.push(l);
                        }
                    }
                }
            }
            if lines.len() >= 100 {
                return Pool {
                    source: format!(
                        "{} real lines from {} files under {}",
                        lines.len(),
                        files.len(),
                        dir.display()
                    ),
                    lines,
                };
            }
        }
        Pool::synthetic()
    }

    pub fn synthetic() -> Pool {
        let mut rng = Rng::new(SEED ^ 0xf111);
        let mut lines = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            lines.push(synthetic_line(&mut rng));
        }
        Pool {
            source: format!("{} synthetic lines", lines.len()),
            lines,
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// A few thousand whole lines, stamped into every family, for the parse
    /// bench.
    pub fn sample_lines(&self, n: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(n);
        let mut t = 1_795_000_000_000i64;
        let start = rng.below(self.lines.len() as u64) as usize;
        for i in 0..n {
            let style = Style::new(Family::ROTATION[i % Family::ROTATION.len()], rng);
            let l = &self.lines[(start + i) % self.lines.len()];
            t += rng.range(0, 2000) as i64;
            let mut buf = Vec::new();
            style.line(
                &mut buf,
                t,
                &l.thread,
                l.level,
                l.continuation,
                None,
                &l.msg,
            );
            buf.pop(); // the newline
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            out.push(buf);
        }
        out
    }
}

fn list_logs(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() && depth < 2 {
            list_logs(&p, depth + 1, out);
        } else if p.extension().is_some_and(|x| x == "log") {
            out.push(p);
        }
    }
}

/// Splits a real log line into thread, level, continuation and message.
fn decompose(raw: &[u8]) -> Option<FLine> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let (thread, level, continuation, msg): (&[u8], u8, bool, &[u8]) =
        if raw.first()?.is_ascii_digit() {
            // `YYYY-MM-DDTHH:MM:SS.mmm` then `Z` or `+HH:MM`.
            let mut i = 23;
            match raw.get(i)? {
                b'Z' => i += 1,
                b'+' | b'-' => i += 6,
                _ => return None,
            }
            let b = raw.get(i..)?;
            if let Some(b) = b.strip_prefix(b"| ") {
                let bar = b.iter().position(|&c| c == b'|')?;
                let thread = &b[..bar];
                let rest = b.get(bar + 2..).unwrap_or(b"");
                let (level, msg) = split_level_token(rest);
                (thread, level, false, msg)
            } else {
                let b = b.strip_prefix(b" ")?;
                let sev = b.get(..6)?;
                let level = match &sev[..2] {
                    b"Wa" => b'W',
                    b"Er" | b"Cr" => b'E',
                    b"No" => b'A',
                    _ => b'I',
                };
                let mut b = &b[6..];
                let cont = b.first() == Some(&b'+');
                if cont {
                    b = &b[1..];
                }
                let b = b.strip_prefix(b" ")?;
                let sp = b.iter().position(|&c| c == b' ').unwrap_or(b.len());
                (&b[..sp], level, cont, b.get(sp + 1..).unwrap_or(b""))
            }
        } else {
            // `Apr 17 22:14:49.605: vmx| msg`
            let b = raw.get(19..)?.strip_prefix(b": ")?;
            let bar = b.iter().position(|&c| c == b'|')?;
            let rest = b.get(bar + 2..).unwrap_or(b"");
            let (level, msg) = split_level_token(rest);
            (&b[..bar], level, false, msg)
        };
    if thread.is_empty() || thread.len() > 64 || thread.iter().any(|&c| c <= b' ') {
        return None;
    }
    Some(FLine {
        thread: thread.into(),
        level,
        continuation,
        msg: msg.into(),
    })
}

fn split_level_token(rest: &[u8]) -> (u8, &[u8]) {
    match rest {
        [l, a, b, c, b':', b' ', tail @ ..]
            if l.is_ascii_uppercase()
                && a.is_ascii_digit()
                && b.is_ascii_digit()
                && c.is_ascii_digit() =>
        {
            let level = match l {
                b'W' => b'W',
                b'E' => b'E',
                b'A' => b'A',
                _ => b'I',
            };
            (level, tail)
        }
        _ => (b'I', rest),
    }
}

fn synthetic_line(rng: &mut Rng) -> FLine {
    let threads: [&str; 8] = [
        "vmx",
        "vmx",
        "vmx",
        "vcpu-0",
        "vcpu-1",
        "mks",
        "svga",
        "worker-2101877",
    ];
    let thread = *rng.pick(&threads);
    let n = rng.range(1, 99999);
    let h = rng.next_u64();
    let msg = match rng.below(16) {
        0 => format!(
            "VMXSTATS: Registering {} stats: vmx.overheadMemSize",
            n % 60
        ),
        1 => format!(
            "DISKLIB-VMFS  : \"/vmfs/volumes/datastore1/vm/vm-flat.vmdk\" : open successful (21) size = {}, hd = {}. Type 3",
            n * 1_048_576,
            h % 100_000
        ),
        2 => format!("Tools: Tools heartbeat timeout. ({n} ms)"),
        3 => "GuestRpc: Channel 0, guest application toolbox.".to_owned(),
        4 => format!("HGFileCopyCreateSessionCB: Successfully created the session {n}."),
        5 => format!(
            "VigorTransportProcessClientPayload: opID={h:x} seq={n}: Receiving Bootstrap.MessageReply request."
        ),
        6 => format!("MKS: Base polling period is {n}us"),
        7 => format!(
            "Vix: [mainDispatch.c:4084]: VMAutomation_ReportPowerOpFinished: statevar=1, newAppState=1873, success=1 additionalError={n}"
        ),
        8 => format!("SVGA: FIFO is already mapped ({n})"),
        9 => format!(
            "TOOLS received request in VMX to set option 'synctime' -> '{}'",
            n % 2
        ),
        10 => format!(
            "USB: Found device [name:Virtual\\ Mouse vid:0e0f pid:0003 path:1/0/1 speed:full family:hid id:{h:x}]"
        ),
        11 => format!("VMMon_VSIDeviceMemoryStats: {n} pages"),
        12 => format!("CPT: vmstats checkpoint {n}"),
        13 => format!(
            "HBACommon: First write on scsi0:0.fileName='/vmfs/volumes/datastore1/vm/vm.vmdk' ({n})"
        ),
        14 => format!("Guest: toolbox: Version: 12.{}.0 build-{n}", n % 5),
        _ => format!("VMX idle exit: monitor thread {n}"),
    };
    FLine {
        thread: thread.as_bytes().into(),
        level: if rng.chance(0.03) { b'W' } else { b'I' },
        continuation: false,
        msg: msg.into_bytes().into(),
    }
}

/// How one file writes its headers.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub family: Family,
    /// Minutes east of UTC (the offset family only).
    pub offset_min: i32,
    /// Level token number for `I` lines (`120`, `125`, `005`).
    pub info_num: &'static str,
    /// Workstation on Windows writes CRLF.
    pub crlf: bool,
}

impl Style {
    pub fn new(family: Family, rng: &mut Rng) -> Style {
        let offset_min = match rng.below(4) {
            0 | 1 => -7 * 60,
            2 => -4 * 60,
            _ => 5 * 60 + 30,
        };
        let info_num = match family {
            Family::Esxi56 => *rng.pick(&["120", "125"]),
            Family::Offset => *rng.pick(&["125", "005"]),
            _ => "120",
        };
        Style {
            family,
            offset_min: if family == Family::Offset {
                offset_min
            } else {
                0
            },
            info_num,
            crlf: family == Family::Ws17,
        }
    }

    /// Appends one line (with its line ending) to `buf`.
    #[allow(clippy::too_many_arguments)]
    pub fn line(
        &self,
        buf: &mut Vec<u8>,
        t_ms: i64,
        thread: &[u8],
        level: u8,
        continuation: bool,
        opid: Option<&[u8]>,
        msg: &[u8],
    ) {
        let local = t_ms + i64::from(self.offset_min) * 60_000;
        match self.family {
            Family::Esxi78 | Family::Ws17 => {
                push_iso(buf, local);
                buf.push(b'Z');
                buf.extend_from_slice(match level {
                    b'W' => b" Wa(03)",
                    b'E' => b" Er(02)",
                    b'A' => b" No(00)",
                    _ => b" In(05)",
                });
                if continuation {
                    buf.push(b'+');
                }
                buf.push(b' ');
                buf.extend_from_slice(thread);
                buf.push(b' ');
                if self.family == Family::Esxi78 {
                    buf.extend_from_slice(opid.unwrap_or(b"-"));
                    buf.push(b' ');
                }
            }
            Family::Esxi56 | Family::Esxi50 | Family::Offset => {
                push_iso(buf, local);
                if self.family == Family::Offset {
                    let m = self.offset_min.unsigned_abs();
                    buf.push(if self.offset_min < 0 { b'-' } else { b'+' });
                    push_num(buf, u64::from(m / 60), 2);
                    buf.push(b':');
                    push_num(buf, u64::from(m % 60), 2);
                } else {
                    buf.push(b'Z');
                }
                buf.extend_from_slice(b"| ");
                buf.extend_from_slice(thread);
                buf.extend_from_slice(b"| ");
                if self.family != Family::Esxi50 {
                    match level {
                        b'W' => buf.extend_from_slice(b"W115: "),
                        b'E' => buf.extend_from_slice(b"E105: "),
                        b'A' => buf.extend_from_slice(b"A100: "),
                        _ => {
                            buf.push(b'I');
                            buf.extend_from_slice(self.info_num.as_bytes());
                            buf.extend_from_slice(b": ");
                        }
                    }
                }
            }
            Family::Old => {
                let (_, mo, d, ms) = civil(local);
                const MON: [&[u8; 3]; 12] = [
                    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct",
                    b"Nov", b"Dec",
                ];
                buf.extend_from_slice(MON[(mo - 1) as usize]);
                buf.push(b' ');
                push_num(buf, u64::from(d), 2);
                buf.push(b' ');
                push_clock(buf, ms);
                buf.extend_from_slice(b": ");
                buf.extend_from_slice(thread);
                buf.extend_from_slice(b"| ");
            }
        }
        buf.extend_from_slice(msg);
        if self.crlf {
            buf.push(b'\r');
        }
        buf.push(b'\n');
    }
}

fn push_num(buf: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    while v > 0 || tmp.len() - i < width {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_clock(buf: &mut Vec<u8>, ms_of_day: i64) {
    let ms = ms_of_day as u64;
    push_num(buf, ms / 3_600_000, 2);
    buf.push(b':');
    push_num(buf, ms / 60_000 % 60, 2);
    buf.push(b':');
    push_num(buf, ms / 1000 % 60, 2);
    buf.push(b'.');
    push_num(buf, ms % 1000, 3);
}

/// `YYYY-MM-DDTHH:MM:SS.mmm` (no zone).
fn push_iso(buf: &mut Vec<u8>, t_ms: i64) {
    let (y, mo, d, ms) = civil(t_ms);
    push_num(buf, y as u64, 4);
    buf.push(b'-');
    push_num(buf, u64::from(mo), 2);
    buf.push(b'-');
    push_num(buf, u64::from(d), 2);
    buf.push(b'T');
    push_clock(buf, ms);
}

/// Epoch ms → (year, month, day, ms of day), with stunscan's own calendar.
pub fn civil(t_ms: i64) -> (i64, u32, u32, i64) {
    let (y, m, d) = stunscan::time::ymd(t_ms);
    (y, m, d, t_ms.rem_euclid(86_400_000))
}

/// Everything planted, for the manifest and for checks.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Stun records, per family (index of [`Family::ALL`]).
    pub stuns: [u64; 6],
    pub stuns_create: u64,
    pub stuns_consolidate: u64,
    pub stuns_vmotion: u64,
    pub max_stun_us: u64,
    pub sum_stun_us: u64,
    pub creates: u64,
    pub consolidates: u64,
    pub vmotions: u64,
    /// Decoys: the phrase inside a GuestRpc message, on a `+` continuation
    /// line, after a `Guest:` message prefix.
    pub decoys_guestrpc: u64,
    pub decoys_continuation: u64,
    pub decoys_guest: u64,
    pub lines: u64,
    pub bytes: u64,
}

impl Counts {
    pub fn stuns_total(&self) -> u64 {
        self.stuns.iter().sum()
    }

    pub fn decoys_total(&self) -> u64 {
        self.decoys_guestrpc + self.decoys_continuation + self.decoys_guest
    }

    pub fn add(&mut self, o: &Counts) {
        for i in 0..6 {
            self.stuns[i] += o.stuns[i];
        }
        self.stuns_create += o.stuns_create;
        self.stuns_consolidate += o.stuns_consolidate;
        self.stuns_vmotion += o.stuns_vmotion;
        self.max_stun_us = self.max_stun_us.max(o.max_stun_us);
        self.sum_stun_us += o.sum_stun_us;
        self.creates += o.creates;
        self.consolidates += o.consolidates;
        self.vmotions += o.vmotions;
        self.decoys_guestrpc += o.decoys_guestrpc;
        self.decoys_continuation += o.decoys_continuation;
        self.decoys_guest += o.decoys_guest;
        self.lines += o.lines;
        self.bytes += o.bytes;
    }
}

/// One VM's life, carried across its rotated log files.
pub struct VmSim {
    pub style: Style,
    pub host: String,
    pub display_name: String,
    /// Current time, epoch ms UTC.
    pub cursor_ms: i64,
    /// Simulated time per byte of log: the gap before a line is this times
    /// the previous line's length, times an exponential draw, so a file's
    /// time span follows its size.
    pub ms_per_byte: f64,
    /// Whether a backup product snapshots this VM every night.
    pub backed_up: bool,
    next_backup_ms: i64,
    /// Minutes after midnight (UTC) of this VM's backup slot.
    backup_slot_min: i64,
    pending_consolidate: Option<i64>,
    pool_pos: usize,
    pid: u64,
}

impl VmSim {
    pub fn new(
        style: Style,
        host: &str,
        display_name: &str,
        start_ms: i64,
        ms_per_byte: f64,
        pool: &Pool,
        rng: &mut Rng,
    ) -> VmSim {
        let backup_slot_min = rng.range(60, 240) as i64;
        let mut sim = VmSim {
            style,
            host: host.to_owned(),
            display_name: display_name.to_owned(),
            cursor_ms: start_ms,
            ms_per_byte,
            backed_up: rng.chance(0.9),
            next_backup_ms: 0,
            backup_slot_min,
            pending_consolidate: None,
            pool_pos: rng.below(pool.len() as u64) as usize,
            pid: rng.range(10_000, 2_200_000),
        };
        sim.next_backup_ms = sim.backup_after(start_ms, rng);
        sim
    }

    fn backup_after(&self, t: i64, rng: &mut Rng) -> i64 {
        let day = t.div_euclid(DAY_MS) * DAY_MS;
        let mut b = day + self.backup_slot_min * 60_000 + rng.range(0, 600_000) as i64;
        if b <= t {
            b += DAY_MS;
        }
        b
    }

    /// Writes one log of about `target_bytes` (it stops at the first line
    /// boundary past it) and returns what was planted in it.
    pub fn write_log<W: Write>(
        &mut self,
        w: &mut W,
        pool: &Pool,
        rng: &mut Rng,
        target_bytes: u64,
    ) -> io::Result<Counts> {
        let mut g = Gen {
            sim: self,
            rng,
            buf: Vec::with_capacity(64 * 1024),
            c: Counts::default(),
            last_len: 100,
        };
        g.preamble();
        while g.c.bytes + (g.buf.len() as u64) < target_bytes {
            let before = g.c.bytes + g.buf.len() as u64;
            g.step(pool);
            g.last_len = (g.c.bytes + g.buf.len() as u64 - before) as usize;
            if g.buf.len() >= 60 * 1024 {
                g.c.bytes += g.buf.len() as u64;
                w.write_all(&g.buf)?;
                g.buf.clear();
            }
        }
        g.c.bytes += g.buf.len() as u64;
        w.write_all(&g.buf)?;
        Ok(g.c)
    }
}

struct Gen<'a> {
    sim: &'a mut VmSim,
    rng: &'a mut Rng,
    buf: Vec<u8>,
    c: Counts,
    /// Bytes written since the last time step.
    last_len: usize,
}

impl Gen<'_> {
    fn emit(&mut self, thread: &str, level: u8, cont: bool, opid: Option<&str>, msg: &str) {
        let style = self.sim.style;
        style.line(
            &mut self.buf,
            self.sim.cursor_ms,
            thread.as_bytes(),
            level,
            cont,
            opid.map(str::as_bytes),
            msg.as_bytes(),
        );
        self.c.lines += 1;
    }

    fn tick(&mut self, lo: u64, hi: u64) {
        self.sim.cursor_ms += self.rng.range(lo, hi) as i64;
    }

    fn preamble(&mut self) {
        let fam = self.sim.style.family;
        let (name, rest) = fam.product();
        let prod = format!("Log for VMware {name} pid={} {rest}", self.sim.pid);
        self.emit("vmx", b'I', false, None, &prod);
        self.tick(0, 2);
        self.emit("vmx", b'I', false, None, "The host is x86_64.");
        self.emit(
            "vmx",
            b'I',
            false,
            None,
            "Host codepage=UTF-8 encoding=UTF-8",
        );
        let host = format!("Hostname={}", self.sim.host);
        self.emit("vmx", b'I', false, None, &host);
        self.tick(1, 40);
        let dn = if fam == Family::Old {
            format!("DICT               displayName = {}", self.sim.display_name)
        } else {
            format!(
                "DICT               displayName = \"{}\"",
                self.sim.display_name
            )
        };
        self.emit("vmx", b'I', false, None, &dn);
    }

    fn step(&mut self, pool: &Pool) {
        let mean = self.sim.ms_per_byte * self.last_len as f64;
        let d = (mean * self.rng.expo()) as i64;
        self.sim.cursor_ms += d;
        let now = self.sim.cursor_ms;
        if self.sim.backed_up && now >= self.sim.next_backup_ms {
            self.create_burst();
            self.sim.pending_consolidate =
                Some(self.sim.cursor_ms + self.rng.range(180_000, 2_700_000) as i64);
            // Tomorrow's slot, whatever today's jitter was.
            self.sim.next_backup_ms = self
                .sim
                .backup_after(self.sim.cursor_ms + DAY_MS / 2, self.rng);
        }
        if let Some(t) = self.sim.pending_consolidate
            && self.sim.cursor_ms >= t
        {
            self.consolidate_burst();
            self.sim.pending_consolidate = None;
        }
        // A vMotion or hot-add about once a month per VM.
        if self.rng.chance(mean / (30.0 * DAY_MS as f64)) {
            self.vmotion_burst();
        }
        // A decoy about once every two days per VM.
        if self.rng.chance(mean / (2.0 * DAY_MS as f64)) {
            self.decoy();
        }
        let l = &pool.lines[self.sim.pool_pos % pool.lines.len()];
        self.sim.pool_pos += 1;
        let style = self.sim.style;
        if l.msg.starts_with(b"Hostname=") {
            let m = format!("Hostname={}", self.sim.host);
            style.line(
                &mut self.buf,
                self.sim.cursor_ms,
                &l.thread,
                l.level,
                l.continuation,
                None,
                m.as_bytes(),
            );
        } else if l.msg.starts_with(b"DICT ") && contains(&l.msg, b" displayName ") {
            // Keep the VM's identity: drop other VMs' names.
            return;
        } else {
            // Continuation lines exist only in the severity families.
            let cont = l.continuation && matches!(style.family, Family::Esxi78 | Family::Ws17);
            style.line(
                &mut self.buf,
                self.sim.cursor_ms,
                &l.thread,
                l.level,
                cont,
                None,
                &l.msg,
            );
        }
        self.c.lines += 1;
    }

    fn opid(&mut self) -> String {
        match self.rng.below(3) {
            0 => format!(
                "vim-cmd-{:02}-{:04x}",
                self.rng.below(100),
                self.rng.below(65536)
            ),
            1 => format!(
                "opID={:08x}-{:04x}",
                self.rng.next_u64() as u32,
                self.rng.below(65536)
            ),
            _ => format!(
                "lro-{}-{:x}",
                self.rng.range(1, 9999),
                self.rng.below(1 << 20)
            ),
        }
    }

    fn stun_us(&mut self, median_us: f64, sigma: f64) -> u64 {
        let v = (median_us.ln() + sigma * self.rng.normal()).exp();
        v.clamp(900.0, 120_000_000.0) as u64
    }

    fn stun(&mut self, us: u64) {
        self.sim.cursor_ms += (us / 1000) as i64 + 1;
        let thread = format!("vcpu-{}", if self.rng.chance(0.8) { 0 } else { 1 });
        let msg = format!("Checkpoint_Unstun: vm stopped for {us} us");
        let fam = self.sim.style.family;
        self.emit(&thread, b'I', false, None, &msg);
        self.c.stuns[fam.index()] += 1;
        self.c.max_stun_us = self.c.max_stun_us.max(us);
        self.c.sum_stun_us += us;
    }

    fn create_burst(&mut self) {
        let opid = self.opid();
        let o = Some(opid.as_str());
        let quiesced = u8::from(self.rng.chance(0.8));
        self.emit(
            "vmx",
            b'I',
            false,
            o,
            &format!(
                "SnapshotVMX_TakeSnapshot start: 'nightly', deviceState=0, lazy=0, quiesced={quiesced}, forceNative=0, tryNative=1, saveAllocMaps=0 cb=D2A5A0, cbData=32C7CE20"
            ),
        );
        self.tick(5, 400);
        if quiesced == 1 {
            self.emit(
                "vmx",
                b'I',
                false,
                o,
                "ToolsBackup: changing quiesce state: IDLE -> STARTED",
            );
            self.tick(500, 9000);
            self.emit(
                "vmx",
                b'I',
                false,
                o,
                "ToolsBackup: changing quiesce state: STARTED -> COMMITTED",
            );
        }
        self.tick(5, 200);
        self.emit(
            "vmx",
            b'I',
            false,
            o,
            "SnapshotVMXTakeSnapshotWork: Transition to mode 1.",
        );
        let us = self.stun_us(180_000.0, 0.9);
        self.stun(us);
        self.c.stuns_create += 1;
        self.c.creates += 1;
        self.tick(5, 300);
        if quiesced == 1 {
            self.emit(
                "vmx",
                b'I',
                false,
                o,
                "ToolsBackup: changing quiesce state: COMMITTED -> FINISHED",
            );
        }
        self.tick(20, 3000);
        let done = format!(
            "SnapshotVMXTakeSnapshotComplete: Done with snapshot 'nightly': {}",
            self.rng.range(1, 200)
        );
        self.emit("vmx", b'I', false, o, &done);
    }

    fn consolidate_burst(&mut self) {
        let opid = self.opid();
        let o = Some(opid.as_str());
        self.emit(
            "vmx",
            b'I',
            false,
            o,
            "SnapshotVMX_Consolidate: Starting online snapshot consolidate operation.",
        );
        self.tick(10, 500);
        let disks = self.rng.range(1, 4);
        for d in 0..disks {
            self.emit(
                "vmx",
                b'I',
                false,
                o,
                &format!("ConsolidateStart: Consolidating disk scsi0:{d} (iteration 1)"),
            );
            self.tick(200, 20_000);
            // Iterative consolidation: sometimes more than one stun per disk.
            let iterations = if self.rng.chance(0.15) { 2 } else { 1 };
            for _ in 0..iterations {
                let us = self.stun_us(350_000.0, 1.1);
                self.stun(us);
                self.c.stuns_consolidate += 1;
                self.tick(5, 400);
            }
        }
        self.emit(
            "vmx",
            b'I',
            false,
            o,
            "ConsolidateEnd: Snapshot consolidate complete: The operation completed successfully (0).",
        );
        self.c.consolidates += 1;
    }

    fn vmotion_burst(&mut self) {
        let opid = self.opid();
        let o = Some(opid.as_str());
        self.emit(
            "vmx",
            b'I',
            false,
            o,
            "Migrate: VM starting stun, waiting 100 seconds for go/no-go message.",
        );
        self.tick(100, 4000);
        self.emit(
            "vmx",
            b'I',
            false,
            o,
            "MigrateSetState: Transitioning from state 10 to 11.",
        );
        let us = self.stun_us(120_000.0, 0.7);
        self.stun(us);
        self.c.stuns_vmotion += 1;
        self.c.vmotions += 1;
    }

    fn decoy(&mut self) {
        let v = self.rng.range(1000, 30_000_000);
        let fam = self.sim.style.family;
        let sev = matches!(fam, Family::Esxi78 | Family::Ws17);
        match self.rng.below(3) {
            0 | 1 if !sev || self.rng.chance(0.5) => {
                // Guest-supplied text inside a GuestRpc message.
                let msg = format!(
                    "GuestRpc: Got RPC: 'log Checkpoint_Unstun: vm stopped for {v} us' from the guest."
                );
                self.emit("vmx", b'I', false, None, &msg);
                self.c.decoys_guestrpc += 1;
            }
            0 | 1 => {
                // A multi-line message's continuation line.
                self.emit("vmx", b'I', false, None, "Guest: toolbox: Recent events:");
                let msg = format!("Checkpoint_Unstun: vm stopped for {v} us");
                self.emit("vmx", b'I', true, None, &msg);
                self.c.decoys_continuation += 1;
            }
            _ => {
                // A `Guest:` message: the guest chose the words after it.
                let msg = format!("Guest: Checkpoint_Unstun: vm stopped for {v} us");
                self.emit("vmx", b'I', false, None, &msg);
                self.c.decoys_guest += 1;
            }
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// One ~`target` bytes log held in memory (for benches).
pub fn log_in_memory(pool: &Pool, family: Family, seed: u64, target: u64) -> (Vec<u8>, Counts) {
    let mut rng = Rng::new(seed);
    let style = Style::new(family, &mut rng);
    // About 1.5 simulated days per 256 KiB, as in the generated corpus.
    let span_days = (target as f64 / (256.0 * 1024.0) * 1.5).max(1.0);
    let ms_per_byte = span_days * DAY_MS as f64 / target as f64;
    let start = BUNDLE_MS - (span_days * DAY_MS as f64) as i64;
    let mut sim = VmSim::new(
        style,
        "esx01",
        "db-prod-01",
        start,
        ms_per_byte,
        pool,
        &mut rng,
    );
    let mut out = Vec::with_capacity(target as usize + 4096);
    let c = sim
        .write_log(&mut out, pool, &mut rng, target)
        .expect("writing to a Vec");
    (out, c)
}
