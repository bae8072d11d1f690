//! Reading inputs: files, directories, standard input and archives, to logs.
//!
//! Every file and archive member is classified by its first bytes, not its
//! name: gzip, zip, tar, or text. Archives are read in one streaming pass
//! (tar and gzip as streams; a zip on disk through its central directory,
//! a zip inside another stream through its local headers), nothing is
//! extracted to disk, and only *log members* (`vmware.log`, `vmware-N.log`,
//! either with `.gz`) and `.vmx` files are read; other members are skipped.
//! Independent files run on the rayon pool.

mod dedupe;
mod fragments;
mod names;
mod reader;
mod walk;

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::escape::{Name, Part, escape_bytes, escape_str, prefix_part, suffix_part};
use crate::progress;
use crate::time::{self, EpochMs};
use crate::vmlog::scan::{self, RecordKind, ScanResult};
use crate::vmlog::{self, LineTime, SkipReason};

pub use names::{
    Kind, Select, Want, bundle_host, bundle_host_in, fragment, is_log_name, log_rank, sniff,
};
use names::{basename, parent};
use reader::{Node, Reader};

/// Archive layers opened inside one another at most (vCenter `.zip` → host
/// `.tgz` → `vmware.log.gz` is three).
pub const MAX_DEPTH: u32 = 4;
/// GNU long-name and PAX headers larger than this are ignored.
const MAX_TAR_EXTENSION: u64 = 64 << 10;
/// `.vmx` files larger than this are not configuration files.
const MAX_VMX: u64 = 1 << 20;
/// Log-like names listed in the note about them; the rest are counted.
const LOOKALIKES_SHOWN: usize = 10;

/// A command-line input.
#[derive(Debug, Clone)]
pub enum InputPath {
    Stdin,
    Path(PathBuf),
}

/// One record with its time resolved to UTC: a stun or an operation
/// marker (48 bytes: one is kept for every stun until its VM is analysed).
#[derive(Debug, Clone)]
pub struct Entry {
    pub time_ms: i64,
    pub line_no: u64,
    pub kind: RecordKind,
    /// The year was inferred from the file's modification time.
    pub approx: bool,
}

/// What a log says about itself: its latest `displayName` and `Hostname=`
/// (the later line wins a tie), with their times. Kept instead of the
/// records, which nothing else needs.
#[derive(Debug, Clone, Default)]
pub struct Says {
    pub name: Option<(EpochMs, Name)>,
    pub host: Option<(EpochMs, Name)>,
}

impl Says {
    /// Takes in what a later record (or a later log) says.
    pub fn merge(&mut self, other: Says) {
        for (mine, theirs) in [(&mut self.name, other.name), (&mut self.host, other.host)] {
            if let Some(t) = theirs
                && mine.as_ref().is_none_or(|m| t.0 >= m.0)
            {
                *mine = Some(t);
            }
        }
    }
}

/// One log (or one saved-grep prefix's share of a file), ready for analysis.
///
/// Its names share one allocation: `dir`, `dir_name` and `bundle_host` are
/// parts of `source` whenever they are pieces of it (a VM with one short log
/// costs its names once).
#[derive(Debug, Clone)]
pub struct LogFile {
    /// Display name: path, `!`-joined archive chain, or grep prefix.
    pub source: Name,
    /// Key of the VM directory this log belongs to.
    pub dir: Part,
    /// That directory's own name, when it has one.
    pub dir_name: Option<Part>,
    /// Host named by where the log came from: a bundle root
    /// `esx-<host>-<YYYY-MM-DD>--…`, or the syslog envelope of forwarded
    /// lines.
    pub bundle_host: Option<Part>,
    /// Rotation rank: 0 for `vmware.log`, N+1 for `vmware-N.log` (older).
    pub rank: u32,
    /// The directory on disk holding the log, for `.vmx` lookup.
    pub disk_dir: Option<Arc<Path>>,
    /// Its stuns and operation markers, in log order.
    pub entries: Vec<Entry>,
    /// Its latest `displayName` and `Hostname=`.
    pub says: Says,
    /// Time and line of its latest record of any kind (None: no record):
    /// the log a VM's host is taken from is the one with the latest.
    pub last: Option<(EpochMs, u64)>,
    /// The command-line input it came from (its index).
    pub input: usize,
    /// Equal for two logs of the same name and content (None: empty log).
    pub fingerprint: Option<u64>,
}

impl LogFile {
    /// The host its own lines name, else its bundle's, else `-`.
    pub fn host(&self) -> Name {
        match (&self.says.host, &self.bundle_host) {
            (Some((_, h)), _) => h.clone(),
            (None, Some(b)) => Name::from(b.as_str()),
            (None, None) => arcstr::literal!("-"),
        }
    }
}

/// Something to tell the user about one source: an error (exit status 2)
/// or a note (exit status unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub source: String,
    pub message: String,
}

/// What one command-line input yielded.
#[derive(Debug, Clone, Default)]
pub struct InputSummary {
    pub path: String,
    pub logs: u64,
    pub bytes: u64,
    pub skipped_stun_lines: u64,
    /// Database logs it held (not VMware logs, but not nothing either).
    pub db_logs: u64,
}

/// Base names that look like VM logs but are not read.
#[derive(Debug, Default)]
pub(crate) struct LookAlikes {
    shown: Vec<String>,
    count: u64,
}

impl LookAlikes {
    fn add(&mut self, source: String) {
        self.count += 1;
        if self.shown.len() < LOOKALIKES_SHOWN {
            self.shown.push(source);
        }
    }

    fn absorb(&mut self, other: LookAlikes) {
        self.count += other.count;
        for s in other.shown {
            if self.shown.len() < LOOKALIKES_SHOWN {
                self.shown.push(s);
            }
        }
    }
}

/// Everything read from all inputs.
#[derive(Debug, Default)]
pub struct Collected {
    pub logs: Vec<LogFile>,
    /// VM directory key → `displayName` from a `.vmx` in it.
    pub vmx_names: BTreeMap<String, String>,
    pub errors: Vec<Notice>,
    pub notes: Vec<Notice>,
    pub inputs: Vec<InputSummary>,
    /// Database logs (`messages.log`, `cconsole.log`) met among the inputs.
    pub db_logs: Vec<crate::dblog::DbLog>,
    /// Fragments, joined once every input is read.
    pieces: Vec<fragments::Piece>,
    /// [`whole_key`] of every whole log read, so fragments of the same log
    /// give way to it (16 bytes a log, instead of two copies of its name).
    whole: Vec<u128>,
    /// Host names met, so that the logs of one host share one copy.
    hosts: HashSet<Name>,
    /// Per filed log: its input and its skipped stun lines.
    logs_in: Vec<(usize, u64)>,
    looks: LookAlikes,
}

impl Collected {
    /// Records an input problem. The message is escaped here, once, because
    /// it may quote bytes from the input (archive libraries put header
    /// fields and member names into their errors).
    fn error(&mut self, source: &str, message: impl Into<String>) {
        self.errors.push(Notice {
            source: source.to_owned(),
            message: escape_str(&message.into()),
        });
    }

    fn note(&mut self, source: &str, message: impl Into<String>) {
        self.notes.push(Notice {
            source: source.to_owned(),
            message: escape_str(&message.into()),
        });
    }

    /// The shared copy of host name `h`.
    fn intern_host(&mut self, h: Name) -> Name {
        if let Some(k) = self.hosts.get(&h) {
            return k.clone();
        }
        self.hosts.insert(h.clone());
        h
    }

    fn absorb(&mut self, mut other: Collected) {
        for log in &mut other.logs {
            if let Some((t, h)) = log.says.host.take() {
                log.says.host = Some((t, self.intern_host(h)));
            }
        }
        if self.logs.is_empty() {
            self.logs = other.logs;
        } else {
            self.logs.extend(other.logs);
        }
        for (k, v) in other.vmx_names {
            self.vmx_names.entry(k).or_insert(v);
        }
        self.errors.extend(other.errors);
        self.notes.extend(other.notes);
        self.db_logs.extend(other.db_logs);
        self.pieces.extend(other.pieces);
        self.whole.extend(other.whole);
        self.logs_in.extend(other.logs_in);
        self.looks.absorb(other.looks);
    }
}

/// Inputs larger than this in total get a progress bar (when stderr is a
/// terminal and progress is wanted).
pub const PROGRESS_MIN_BYTES: u64 = 100 << 20;

/// What a VM log is, for the message when none is found.
pub const LOOKED_FOR: &str = "vmware.log and vmware-N.log (any letter case, also .gz and vm-support .FRAG- pieces), in directories and in .tgz, .tar and .zip bundles";

/// Reads every input. Files (named or found in directories) run on the
/// rayon pool; standard input is read on this thread.
pub fn collect(inputs: &[InputPath], progress: bool, select: &Select) -> Collected {
    let mut all = Collected::default();
    let mut planner = walk::Planner::default();
    let mut looks = LookAlikes::default();
    for input in inputs {
        let path = match input {
            InputPath::Stdin => "-".to_owned(),
            InputPath::Path(p) => escape_bytes(p.as_os_str().as_encoded_bytes()),
        };
        all.inputs.push(InputSummary {
            path,
            ..Default::default()
        });
    }
    let mut parts: Vec<((usize, usize), u64, Collected)>;
    if progress {
        // A progress bar needs the total size first: walk, then read.
        let mut tasks = Vec::new();
        for (idx, input) in inputs.iter().enumerate() {
            if let InputPath::Path(p) = input {
                planner.plan(idx, p, select, &mut looks, &mut all, &mut |t| tasks.push(t));
            }
        }
        let total: u64 = tasks.iter().map(|t| t.size).sum();
        let bar = progress::Bar::new(total >= PROGRESS_MIN_BYTES, total);
        parts = tasks
            .par_iter()
            .map(|t| read_task(t, select, &bar))
            .collect();
        bar.finish();
    } else {
        // Files are read while the directories are still being walked: the
        // walk runs on one pool thread and hands each file out as soon as it
        // is certain to be read.
        let done = std::sync::Mutex::new(Vec::new());
        let none = progress::Bar::new(false, 0);
        rayon::scope(|s| {
            let mut send = |t: walk::Task| {
                let (done, none) = (&done, &none);
                s.spawn(move |_| {
                    let part = read_task(&t, select, none);
                    done.lock().unwrap_or_else(|e| e.into_inner()).push(part);
                });
            };
            for (idx, input) in inputs.iter().enumerate() {
                if let InputPath::Path(p) = input {
                    planner.plan(idx, p, select, &mut looks, &mut all, &mut send);
                }
            }
        });
        parts = done.into_inner().unwrap_or_else(|e| e.into_inner());
        parts.sort_unstable_by_key(|p| p.0);
    }
    all.looks.absorb(looks);
    for ((idx, _), bytes, part) in parts {
        all.inputs[idx].bytes += bytes;
        all.inputs[idx].db_logs += part.db_logs.len() as u64;
        all.absorb(part);
    }

    for (idx, input) in inputs.iter().enumerate() {
        if let InputPath::Stdin = input {
            let mut bytes = 0;
            let mut part = Collected::default();
            let none = progress::Bar::new(false, 0);
            let mut reader = Reader::new(&mut bytes, &none, select, idx);
            reader.stdin(&mut part);
            reader.drain(&mut part);
            all.inputs[idx].bytes += bytes;
            all.inputs[idx].db_logs += part.db_logs.len() as u64;
            all.absorb(part);
        }
    }
    let pieces = std::mem::take(&mut all.pieces);
    if !pieces.is_empty() {
        fragments::stitch_all(pieces, select.keep_text, &mut all);
    }
    for (input, skipped) in std::mem::take(&mut all.logs_in) {
        if let Some(s) = all.inputs.get_mut(input) {
            s.logs += 1;
            s.skipped_stun_lines += skipped;
        }
    }
    dedupe::drop_copies(&mut all);
    note_lookalikes(&mut all);
    note_empty_inputs(&mut all);
    attach_disk_vmx(&mut all);
    all
}

/// Reads one planned file: its results, and the bytes it held.
fn read_task(
    t: &walk::Task,
    select: &Select,
    bar: &progress::Bar,
) -> ((usize, usize), u64, Collected) {
    let mut bytes = 0;
    let mut part = Collected::default();
    let mut reader = Reader::new(&mut bytes, bar, select, t.input);
    reader.file(&t.path, t.named, &mut part);
    reader.drain(&mut part);
    (t.order, bytes, part)
}

/// One note for every name that looks like a VM log but was not read.
fn note_lookalikes(all: &mut Collected) {
    let looks = std::mem::take(&mut all.looks);
    if looks.count == 0 {
        return;
    }
    let more = looks.count - looks.shown.len() as u64;
    let mut list = looks.shown.join(", ");
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    let source = match all.inputs.as_slice() {
        [one] => one.path.clone(),
        _ => "inputs".to_owned(),
    };
    all.note(
        &source,
        format!(
            "{} file{} named like a VM log but not read: {list}. Name a file on the command line to read it, or add names with --glob",
            looks.count,
            if looks.count == 1 { "" } else { "s" }
        ),
    );
}

/// A note for each input that yielded no log, and an error when none did:
/// a job pointed at the wrong folder must not pass.
fn note_empty_inputs(all: &mut Collected) {
    let empty: Vec<String> = all
        .inputs
        .iter()
        .filter(|i| i.logs == 0)
        .map(|i| i.path.clone())
        .collect();
    if empty.len() == all.inputs.len() && !all.inputs.is_empty() {
        all.error(
            &empty.join(", "),
            format!(
                "no VMware log found: looked for {LOOKED_FOR}. Name a file on the command line to read it whatever its name, or add names with --glob"
            ),
        );
        return;
    }
    let only_db: Vec<String> = all
        .inputs
        .iter()
        .filter(|i| i.logs == 0 && i.db_logs > 0)
        .map(|i| i.path.clone())
        .collect();
    for path in empty.into_iter().filter(|p| !only_db.contains(p)) {
        all.note(&path, "no VMware log found in it");
    }
}

/// Reads `.vmx` files beside logs found on disk.
fn attach_disk_vmx(all: &mut Collected) {
    // Only directories whose logs name no VM need their `.vmx` read: the
    // log's own `DICT displayName` wins anyway.
    let named: HashSet<&str> = all
        .logs
        .iter()
        .filter(|l| l.says.name.is_some())
        .map(|l| l.dir.as_str())
        .collect();
    let mut seen = HashSet::new();
    let dirs: Vec<(&str, &Path)> = all
        .logs
        .iter()
        .filter(|l| !all.vmx_names.contains_key(l.dir.as_str()) && !named.contains(l.dir.as_str()))
        .filter_map(|l| Some((l.dir.as_str(), &**l.disk_dir.as_ref()?)))
        .filter(|(d, _)| seen.insert(*d))
        .collect();
    let found: Vec<(String, String)> = dirs
        .into_par_iter()
        .filter_map(|(key, dir)| Some((key.to_owned(), vmx_in_dir(dir)?)))
        .collect();
    all.vmx_names.extend(found);
}

/// The `displayName` of the first `.vmx` (by name) in `dir` that has one.
fn vmx_in_dir(dir: &Path) -> Option<String> {
    let mut vmx: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Regular files only: opening a FIFO named *.vmx would block.
        .filter(|p| p.extension().is_some_and(|x| x == "vmx") && p.is_file())
        .collect();
    vmx.sort();
    vmx.into_iter().find_map(|p| read_vmx(File::open(p).ok()?))
}

/// `displayName` of a `.vmx` read from `r` (at most [`MAX_VMX`] bytes).
fn read_vmx<R: Read>(r: R) -> Option<String> {
    let mut buf = Vec::new();
    r.take(MAX_VMX).read_to_end(&mut buf).ok()?;
    buf.split(|&c| c == b'\n')
        .find_map(vmlog::vmx_display_name)
        .map(escape_bytes)
}

/// Whether a scan saw anything of a VMware log: a record, a skipped stun
/// line, or a line with a VMware header near the start.
fn holds_log_line(res: &ScanResult) -> bool {
    !res.records.is_empty()
        || res.skipped_total() > 0
        || res
            .head
            .split(|&c| c == b'\n')
            .any(|l| vmlog::parse_header(l).is_some())
}

/// One note per source with skipped stun lines: how many, why, and where
/// the first is.
fn note_skipped(res: &ScanResult, source: &str, out: &mut Collected) {
    let total = res.skipped_total();
    if total == 0 {
        return;
    }
    let why: Vec<String> = SkipReason::ALL
        .iter()
        .zip(res.skipped)
        .filter(|(_, s)| s.count > 0)
        .map(|(r, s)| {
            format!(
                "{} {} ({}, first at line {})",
                s.count,
                r.as_str(),
                r.explain(),
                s.first_line
            )
        })
        .collect();
    out.note(
        source,
        format!(
            "{total} stun line{} not counted: {}",
            if total == 1 { "" } else { "s" },
            why.join("; ")
        ),
    );
}

/// The fingerprint of one log: equal for the same name and content.
fn fingerprint(
    base: &[u8],
    share: usize,
    res: &ScanResult,
    records: &[scan::Record],
) -> Option<u64> {
    if res.bytes == 0 {
        return None;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    base.to_ascii_lowercase().hash(&mut h);
    (share, res.bytes, res.lines, &res.head).hash(&mut h);
    for r in records {
        r.line_no.hash(&mut h);
        match r.time {
            LineTime::Utc(ms) => ms.hash(&mut h),
            LineTime::NoYear {
                month,
                day,
                ms_of_day,
            } => (month, day, ms_of_day).hash(&mut h),
        }
        if let RecordKind::Stun { us, .. } = r.kind {
            us.hash(&mut h);
        }
    }
    Some(h.finish())
}

/// A key for "this (container, name) was read as a whole log": 128 bits of
/// SipHash, so that a collision between two names is out of reach.
fn whole_key(container: &str, name: &[u8]) -> u128 {
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, container, name).hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// Where a log sits, as [`LogFile`] keeps it.
struct Place {
    source: Name,
    dir: Part,
    dir_name: Option<Part>,
    bundle_host: Option<Part>,
    rank: u32,
}

/// Splits a scanned log by saved-grep origin, resolves times, and files it.
fn finish_log(mut res: ScanResult, node: &Node, input: usize, out: &mut Collected) {
    // A file chosen by its name alone (named on the command line, or
    // matched by --glob) must show it is a VMware log.
    let by_name_only = node.named || log_rank(node.base()).is_none();
    if by_name_only && !holds_log_line(&res) {
        return out.note(
            &node.source,
            "holds no VMware log line (no timestamped line, no stun record): not read as a VM log",
        );
    }
    out.logs_in.push((input, res.skipped_total()));
    note_skipped(&res, &node.source, out);
    out.whole.push(whole_key(&node.container, &node.name));
    let source = Name::from(node.source.as_str());
    let (dir, dir_name) = if node.is_stdin() {
        let stdin = Part::from("(stdin)");
        (stdin.clone(), Some(stdin))
    } else {
        let (dir, dir_name) = node.dir();
        let dir = prefix_part(&source, &dir);
        let dir_name = dir_name.map(|n| suffix_part(&dir, &n));
        (dir, dir_name)
    };
    let host = bundle_host_in(&source).map(|h| {
        let at = h.as_ptr() as usize - source.as_ptr() as usize;
        Part::from(source.clone()).substr(at..at + h.len())
    });
    let needs_year = res
        .records
        .iter()
        .any(|r| matches!(r.time, LineTime::NoYear { .. }));
    let mtime = if needs_year { node.mtime_secs() } else { 0 };
    let disk_dir = node.disk_dir.clone();
    let own = Place {
        source,
        dir,
        dir_name,
        bundle_host: host,
        rank: log_rank(node.base()).unwrap_or(0),
    };
    if res.origins.is_empty() {
        // The usual case: every record is the log's own.
        let records = std::mem::take(&mut res.records);
        let fingerprint = fingerprint(node.base(), 0, &res, &records);
        let log = new_log(own, disk_dir, records, mtime, input, fingerprint, out);
        return out.logs.push(log);
    }
    let mut groups: Vec<Vec<scan::Record>> = vec![Vec::new(); res.origins.len() + 1];
    for r in std::mem::take(&mut res.records) {
        if let Some(g) = groups.get_mut(r.origin as usize) {
            g.push(r);
        }
    }
    let own_dir = (own.dir.clone(), own.dir_name.clone());
    let own_source = own.source.clone();
    let mut own = Some(own);
    for (i, records) in groups.into_iter().enumerate() {
        // A saved grep's own share is empty: its lines belong to the files
        // its prefixes name.
        if records.is_empty() {
            continue;
        }
        let fingerprint = fingerprint(node.base(), i, &res, &records);
        if i == 0 {
            if let Some(own) = own.take() {
                let log = new_log(
                    own,
                    disk_dir.clone(),
                    records,
                    mtime,
                    input,
                    fingerprint,
                    out,
                );
                out.logs.push(log);
            }
            continue;
        }
        let place = match &res.origins[i - 1] {
            scan::Origin::Grep(name) => grep_place(name, node, &own_dir),
            scan::Origin::Forwarded { host, app } => forwarded_place(host, app, node, &own_source),
        };
        let log = new_log(place, None, records, mtime, input, fingerprint, out);
        out.logs.push(log);
    }
}

/// Where lines a saved grep attributes to another file belong.
fn grep_place(name: &[u8], node: &Node, own_dir: &(Part, Option<Part>)) -> Place {
    let p = parent(name);
    let source = Name::from(escape_bytes(name));
    let bundle_host = match bundle_host_in(&source) {
        Some(h) => Some(Part::from(h)),
        None => bundle_host(&node.source).map(Part::from),
    };
    let (dir, dir_name) = if p.is_empty() {
        own_dir.clone()
    } else {
        let dir = Part::from(format!("{}:{}", node.source, escape_bytes(p)));
        let dir_name = suffix_part(&dir, &escape_bytes(basename(p)));
        (dir, Some(dir_name))
    };
    Place {
        source,
        dir,
        dir_name,
        bundle_host,
        rank: log_rank(basename(name)).unwrap_or(0),
    }
}

/// Where lines forwarded by syslog belong: one VM per syslogID (`app`) in
/// the file, named after it unless its lines name it, on the host the
/// envelope names unless its lines name one. The source is the file itself
/// (line numbers are its own).
fn forwarded_place(host: &[u8], app: &[u8], node: &Node, source: &Name) -> Place {
    let app = escape_bytes(app);
    let dir = Part::from(format!("{}:{app}", node.source));
    let dir_name = suffix_part(&dir, &app);
    Place {
        source: source.clone(),
        dir,
        dir_name: Some(dir_name),
        bundle_host: Some(Part::from(escape_bytes(host))),
        rank: 0,
    }
}

/// A [`LogFile`] from its place and records: times resolved, names and
/// hosts taken out of the records into [`Says`].
fn new_log(
    place: Place,
    disk_dir: Option<Arc<Path>>,
    records: Vec<scan::Record>,
    mtime: i64,
    input: usize,
    fingerprint: Option<u64>,
    out: &mut Collected,
) -> LogFile {
    let mut says = Says::default();
    let mut last: Option<(EpochMs, u64)> = None;
    let mut entries = Vec::with_capacity(
        records
            .iter()
            .filter(|r| matches!(r.kind, RecordKind::Stun { .. } | RecordKind::Op(_)))
            .count(),
    );
    for e in resolve_times(records, mtime) {
        let t = e.time_ms;
        if last.is_none_or(|l| (t, e.line_no) >= l) {
            last = Some((t, e.line_no));
        }
        let slot = match e.kind {
            RecordKind::DisplayName(n) => Some((&mut says.name, n)),
            RecordKind::Hostname(h) => Some((&mut says.host, out.intern_host(h))),
            _ => {
                entries.push(e);
                None
            }
        };
        if let Some((slot, v)) = slot
            && slot.as_ref().is_none_or(|(was, _)| t >= *was)
        {
            *slot = Some((t, v));
        }
    }
    LogFile {
        source: place.source,
        dir: place.dir,
        dir_name: place.dir_name,
        bundle_host: place.bundle_host,
        rank: place.rank,
        disk_dir,
        entries,
        says,
        last,
        input,
        fingerprint,
    }
}

/// Gives old no-year records a year: the last record is in the year of the
/// file's modification time (a year earlier when its month is after the
/// mtime's month), and walking back, each December → January step going
/// forward in the file is a year boundary. Yields the records in log order.
fn resolve_times(records: Vec<scan::Record>, mtime_secs: i64) -> impl Iterator<Item = Entry> {
    let (mut year, mut next_month, _) = time::ymd(mtime_secs.saturating_mul(1000));
    // Years are found walking backwards; only year-less logs need it.
    let mut years: Vec<i64> = Vec::new();
    if records
        .iter()
        .any(|r| matches!(r.time, LineTime::NoYear { .. }))
    {
        years = vec![0; records.len()];
        for (i, r) in records.iter().enumerate().rev() {
            if let LineTime::NoYear { month, .. } = r.time {
                if month > next_month {
                    year -= 1;
                }
                next_month = month;
                years[i] = year;
            }
        }
    }
    records.into_iter().enumerate().map(move |(i, r)| {
        let (time_ms, approx) = match r.time {
            LineTime::Utc(ms) => (ms, false),
            LineTime::NoYear {
                month,
                day,
                ms_of_day,
            } => (
                time::epoch_ms(years.get(i).copied().unwrap_or(0), month, day, ms_of_day),
                true,
            ),
        };
        Entry {
            time_ms,
            line_no: r.line_no,
            kind: r.kind,
            approx,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_year_times_step_back_over_new_year() {
        let rec = |month, day| scan::Record {
            time: LineTime::NoYear {
                month,
                day,
                ms_of_day: 0,
            },
            line_no: 1,
            origin: 0,
            kind: RecordKind::Hostname(Name::from("h")),
        };
        // mtime 2010-01-01T00:10:00Z
        let mtime = time::epoch_ms(2010, 1, 1, 600_000) / 1000;
        let e: Vec<Entry> = resolve_times(vec![rec(12, 31), rec(1, 1)], mtime).collect();
        assert_eq!(
            crate::zone::format_rfc3339_ms(e[0].time_ms),
            "2009-12-31T00:00:00.000Z"
        );
        assert_eq!(
            crate::zone::format_rfc3339_ms(e[1].time_ms),
            "2010-01-01T00:00:00.000Z"
        );
        assert!(e[0].approx);
    }
}
