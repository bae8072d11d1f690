//! Reading inputs: files, directories, standard input and archives, to logs.
//!
//! Every file and archive member is classified by its first bytes, not its
//! name: gzip, zip, tar, or text. Archives are read in one streaming pass
//! (tar and gzip as streams; a zip on disk through its central directory,
//! a zip inside another stream through its local headers), nothing is
//! extracted to disk, and only *log members* (`vmware.log`, `vmware-N.log`,
//! either with `.gz`) and `.vmx` files are read; other members are skipped.
//! Independent files run on the rayon pool.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;

use crate::escape::{escape_bytes, escape_str};
use crate::line::{self, LineTime};
use crate::progress;
use crate::scan::{self, RecordKind, ScanResult};
use crate::time;

/// Archive layers opened inside one another at most (vCenter `.zip` → host
/// `.tgz` → `vmware.log.gz` is three).
pub const MAX_DEPTH: u32 = 4;
/// GNU long-name and PAX headers larger than this are ignored.
const MAX_TAR_EXTENSION: u64 = 64 << 10;
/// `.vmx` files larger than this are not configuration files.
const MAX_VMX: u64 = 1 << 20;

/// A command-line input.
#[derive(Debug, Clone)]
pub enum InputPath {
    Stdin,
    Path(PathBuf),
}

/// One record with its time resolved to UTC.
#[derive(Debug, Clone)]
pub struct Entry {
    pub time_ms: i64,
    /// The year was inferred from the file's modification time.
    pub approx: bool,
    pub line_no: u64,
    pub kind: RecordKind,
}

/// One log (or one saved-grep prefix's share of a file), ready for analysis.
#[derive(Debug, Clone)]
pub struct LogFile {
    /// Display name: path, `!`-joined archive chain, or grep prefix.
    pub source: crate::analyze::Name,
    /// Key of the VM directory this log belongs to.
    pub dir: String,
    /// That directory's own name, when it has one.
    pub dir_name: Option<String>,
    /// Host named by a bundle root `esx-<host>-<YYYY-MM-DD>--…`.
    pub bundle_host: Option<String>,
    /// Rotation rank: 0 for `vmware.log`, N+1 for `vmware-N.log` (older).
    pub rank: u32,
    /// The directory on disk holding the log, for `.vmx` lookup.
    pub disk_dir: Option<PathBuf>,
    pub entries: Vec<Entry>,
}

/// An input problem, reported on standard error and in `errors[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub source: String,
    pub message: String,
}

/// What one command-line input yielded.
#[derive(Debug, Clone, Default)]
pub struct InputSummary {
    pub path: String,
    pub logs: u64,
    pub bytes: u64,
}

/// Everything read from all inputs.
#[derive(Debug, Default)]
pub struct Collected {
    pub logs: Vec<LogFile>,
    /// VM directory key → `displayName` from a `.vmx` in it.
    pub vmx_names: BTreeMap<String, String>,
    pub errors: Vec<InputError>,
    pub inputs: Vec<InputSummary>,
}

impl Collected {
    /// Records an input problem. The message is escaped here, once, because
    /// it may quote bytes from the input (archive libraries put header
    /// fields and member names into their errors).
    fn error(&mut self, source: &str, message: impl Into<String>) {
        self.errors.push(InputError {
            source: source.to_owned(),
            message: escape_str(&message.into()),
        });
    }

    fn absorb(&mut self, other: Collected) {
        self.logs.extend(other.logs);
        for (k, v) in other.vmx_names {
            self.vmx_names.entry(k).or_insert(v);
        }
        self.errors.extend(other.errors);
    }
}

/// Kinds of content, by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gzip,
    Zip,
    Tar,
    Text,
}

/// Classifies content by its first bytes (at least 262 for tar).
pub fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if head.get(257..262) == Some(b"ustar") {
        Kind::Tar
    } else {
        Kind::Text
    }
}

/// Bytes needed by [`sniff`].
const SNIFF_LEN: usize = 512;

/// A stream whose first bytes were read for sniffing and are replayed.
type Replayed<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// Reads up to `n` bytes and returns them with a reader that replays them.
fn peek<R: Read>(mut r: R, n: usize) -> io::Result<(Vec<u8>, Replayed<R>)> {
    let mut head = Vec::with_capacity(n);
    (&mut r).take(n as u64).read_to_end(&mut head)?;
    Ok((head.clone(), Cursor::new(head).chain(r)))
}

/// `vmware.log` or `vmware-<N>.log`: Some(rank).
pub fn log_rank(base: &[u8]) -> Option<u32> {
    if base == b"vmware.log" {
        return Some(0);
    }
    let n = base.strip_prefix(b"vmware-")?.strip_suffix(b".log")?;
    if n.is_empty() || n.len() > 6 || !n.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(n)
        .ok()?
        .parse::<u32>()
        .ok()
        .map(|n| n + 1)
}

/// A log member name, compressed or not.
pub fn is_log_name(base: &[u8]) -> bool {
    log_rank(base.strip_suffix(b".gz").unwrap_or(base)).is_some()
}

/// A member worth opening as an archive.
pub fn is_archive_name(base: &[u8]) -> bool {
    [&b".tgz"[..], b".tar", b".zip", b".gz"]
        .iter()
        .any(|ext| base.ends_with(ext))
}

fn basename(path: &[u8]) -> &[u8] {
    let path = path.strip_suffix(b"/").unwrap_or(path);
    memchr::memrchr(b'/', path).map_or(path, |i| &path[i + 1..])
}

fn parent(path: &[u8]) -> &[u8] {
    let path = path.strip_suffix(b"/").unwrap_or(path);
    memchr::memrchr(b'/', path).map_or(&b""[..], |i| &path[..i])
}

/// The host of a vm-support bundle root `esx-<host>-<YYYY-MM-DD>--<…>`
/// anywhere in a source chain; the innermost wins.
pub fn bundle_host(source: &str) -> Option<String> {
    source.split(['!', '/']).rev().find_map(|comp| {
        let rest = comp.strip_prefix("esx-")?;
        let b = rest.as_bytes();
        (1..b.len()).find_map(|i| {
            let tail = &b[i..];
            let is_date = tail.len() >= 13
                && tail[0] == b'-'
                && tail[1..5].iter().all(u8::is_ascii_digit)
                && tail[5] == b'-'
                && tail[6..8].iter().all(u8::is_ascii_digit)
                && tail[8] == b'-'
                && tail[9..11].iter().all(u8::is_ascii_digit)
                && &tail[11..13] == b"--";
            is_date.then(|| rest[..i].to_owned())
        })
    })
}

/// Where a stream sits: enough to name it, its logs and its VM directory.
#[derive(Debug, Clone)]
struct Node {
    /// Display source of this stream.
    source: String,
    /// Display prefix of the containing archive chain (`a.tgz!`), empty on disk.
    container: String,
    /// Raw path of the stream inside its container (or on disk), with any
    /// `.gz` layers already removed.
    name: Vec<u8>,
    /// The directory on disk holding the file, for `.vmx` lookup.
    disk_dir: Option<PathBuf>,
    /// Modification time, epoch seconds, when known without asking.
    mtime: Option<i64>,
    /// The file on disk whose modification time stands in otherwise; only
    /// looked up when an old-format log needs a year.
    mtime_of: Option<std::sync::Arc<Path>>,
    /// Container layers above this stream.
    depth: u32,
    /// Named on the command line: scanned as a log whatever its name.
    named: bool,
    /// Decompressed on the fly: scanning moves to its own thread so that
    /// it runs beside the decompression instead of after it.
    compressed: bool,
}

impl Node {
    fn member(&self, path: &[u8], mtime: Option<i64>) -> Node {
        let container = format!("{}!", self.source);
        Node {
            source: format!("{container}{}", escape_bytes(path)),
            container,
            name: path.to_vec(),
            disk_dir: None,
            mtime: mtime.or(self.mtime),
            mtime_of: self.mtime_of.clone(),
            depth: self.depth + 1,
            named: false,
            compressed: self.compressed,
        }
    }

    /// The modification time that dates a year-less log: the member's, else
    /// the file's on disk, else now (standard input).
    fn mtime_secs(&self) -> i64 {
        self.mtime
            .or_else(|| {
                let p = self.mtime_of.as_ref()?;
                std::fs::metadata(p).ok()?.modified().ok().map(epoch_secs)
            })
            .unwrap_or_else(|| epoch_secs(SystemTime::now()))
    }

    fn base(&self) -> &[u8] {
        basename(&self.name)
    }

    /// The VM directory key and its own name.
    fn dir(&self) -> (String, Option<String>) {
        let p = parent(&self.name);
        let dir_name = (!basename(p).is_empty()).then(|| escape_bytes(basename(p)));
        if self.container.is_empty() {
            let shown = if p.is_empty() {
                ".".to_owned()
            } else {
                escape_bytes(p)
            };
            let dir_name = dir_name.or_else(|| {
                let d = self.disk_dir.as_ref()?.canonicalize().ok()?;
                Some(escape_str(&d.file_name()?.to_string_lossy()))
            });
            (shown, dir_name)
        } else {
            (format!("{}{}", self.container, escape_bytes(p)), dir_name)
        }
    }
}

/// Inputs larger than this in total get a progress bar (when stderr is a
/// terminal and progress is wanted).
pub const PROGRESS_MIN_BYTES: u64 = 100 << 20;

/// One file to read, from the command line or a directory walk.
struct Task {
    input: usize,
    path: PathBuf,
    named: bool,
    size: u64,
}

/// Reads every input. Files (named or found in directories) run on the
/// rayon pool; standard input is read on this thread.
pub fn collect(inputs: &[InputPath], progress: bool) -> Collected {
    let mut all = Collected::default();
    let mut tasks: Vec<Task> = Vec::new();
    for (idx, input) in inputs.iter().enumerate() {
        let path = match input {
            InputPath::Stdin => "-".to_owned(),
            InputPath::Path(p) => escape_bytes(p.as_os_str().as_encoded_bytes()),
        };
        all.inputs.push(InputSummary {
            path,
            ..Default::default()
        });
        if let InputPath::Path(p) = input {
            plan_path(idx, p, progress, &mut tasks, &mut all);
        }
    }

    let total: u64 = tasks.iter().map(|t| t.size).sum();
    let bar = progress::Bar::new(progress && total >= PROGRESS_MIN_BYTES, total);
    let parts: Vec<(usize, Stats, Collected)> = tasks
        .par_iter()
        .map(|t| {
            let mut stats = Stats::default();
            let mut part = Collected::default();
            let mut reader = Reader {
                stats: &mut stats,
                bar: &bar,
                worker: None,
                inflating_beside: false,
                budget: Expansion::default(),
            };
            reader.file(&t.path, t.named, &mut part);
            reader.drain(&mut part);
            (t.input, stats, part)
        })
        .collect();
    bar.finish();
    for (idx, stats, part) in parts {
        all.inputs[idx].logs += stats.logs;
        all.inputs[idx].bytes += stats.bytes;
        all.absorb(part);
    }

    for (idx, input) in inputs.iter().enumerate() {
        if let InputPath::Stdin = input {
            let node = Node {
                source: "<stdin>".into(),
                container: String::new(),
                name: b"<stdin>".to_vec(),
                disk_dir: None,
                mtime: None,
                mtime_of: None,
                depth: 0,
                named: true,
                compressed: false,
            };
            let mut stats = Stats::default();
            let mut part = Collected::default();
            let none = progress::Bar::new(false, 0);
            let mut reader = Reader {
                stats: &mut stats,
                bar: &none,
                worker: None,
                inflating_beside: false,
                budget: Expansion::default(),
            };
            let stdin =
                progress::Counting::new(io::stdin().lock(), &none, reader.budget.raw.clone());
            reader.stream(Box::new(stdin), &node, &mut part);
            reader.drain(&mut part);
            all.inputs[idx].logs += stats.logs;
            all.inputs[idx].bytes += stats.bytes;
            all.absorb(part);
        }
    }
    attach_disk_vmx(&mut all);
    all
}

#[derive(Default)]
struct Stats {
    logs: u64,
    bytes: u64,
}

/// Lists the files an input path stands for: itself, or the log and
/// archive files under it.
fn plan_path(input: usize, path: &Path, sizes: bool, tasks: &mut Vec<Task>, out: &mut Collected) {
    let shown = escape_bytes(path.as_os_str().as_encoded_bytes());
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return out.error(&shown, format!("cannot read: {e}")),
    };
    if !meta.is_dir() {
        tasks.push(Task {
            input,
            path: path.to_path_buf(),
            named: true,
            size: meta.len(),
        });
        return;
    }
    for entry in walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let base = e.file_name().as_encoded_bytes();
                if is_log_name(base) || is_archive_name(base) {
                    // Sizes are for the progress bar only: a stat per file otherwise.
                    let size = if sizes {
                        e.metadata().map_or(0, |m| m.len())
                    } else {
                        0
                    };
                    tasks.push(Task {
                        input,
                        path: e.into_path(),
                        named: false,
                        size,
                    });
                }
            }
            Ok(_) => {}
            Err(e) => {
                let at = e.path().map_or(shown.clone(), |p| {
                    escape_bytes(p.as_os_str().as_encoded_bytes())
                });
                let msg = if e.loop_ancestor().is_some() {
                    "symbolic link loop: it points back to a directory above it; not followed"
                        .to_owned()
                } else {
                    format!(
                        "cannot read: {}",
                        e.io_error().map_or(e.to_string(), |io| io.to_string())
                    )
                };
                out.error(&at, msg);
            }
        }
    }
}

/// Reads `.vmx` files beside logs found on disk.
fn attach_disk_vmx(all: &mut Collected) {
    // Only directories whose logs name no VM need their `.vmx` read: the
    // log's own `DICT displayName` wins anyway.
    let named: std::collections::HashSet<&str> = all
        .logs
        .iter()
        .filter(|l| {
            l.entries
                .iter()
                .any(|e| matches!(e.kind, RecordKind::DisplayName(_)))
        })
        .map(|l| l.dir.as_str())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let dirs: Vec<(String, PathBuf)> = all
        .logs
        .iter()
        .filter(|l| !all.vmx_names.contains_key(&l.dir) && !named.contains(l.dir.as_str()))
        .filter_map(|l| Some((l.dir.clone(), l.disk_dir.clone()?)))
        .filter(|(d, _)| seen.insert(d.clone()))
        .collect();
    let found: Vec<(String, String)> = dirs
        .into_par_iter()
        .filter_map(|(key, dir)| Some((key, vmx_in_dir(&dir)?)))
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
        .find_map(line::vmx_display_name)
        .map(escape_bytes)
}

/// Decompressed data may grow to this many times the compressed bytes read
/// (plus [`EXPANSION_SLACK`]). One deflate layer cannot exceed 1032:1, and
/// logs compress 10–30:1, so only nested decompression bombs reach it.
const MAX_EXPANSION: u64 = 1100;
const EXPANSION_SLACK: u64 = 256 << 20;

/// Bytes read from the input file itself, and bytes decompressed from it:
/// the two sides of the decompression-bomb check.
#[derive(Default, Clone)]
struct Expansion {
    raw: Arc<AtomicU64>,
    expanded: Rc<Cell<u64>>,
}

/// A decompressed stream, stopped with an error once the input expands
/// beyond [`MAX_EXPANSION`].
struct Guarded<R> {
    inner: R,
    budget: Expansion,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let expanded = self.budget.expanded.get() + n as u64;
        self.budget.expanded.set(expanded);
        let raw = self.budget.raw.load(Ordering::Relaxed);
        if expanded
            > raw
                .saturating_mul(MAX_EXPANSION)
                .saturating_add(EXPANSION_SLACK)
        {
            return Err(io::Error::other(format!(
                "{raw} compressed bytes expanded to more than {expanded}: a decompression bomb? reading stopped"
            )));
        }
        Ok(n)
    }
}

struct Reader<'s> {
    stats: &'s mut Stats,
    bar: &'s progress::Bar,
    /// Scans decompressed logs beside the thread that inflates them.
    worker: Option<scan::ScanWorker<Node>>,
    /// The file's inflation already runs on a thread of its own: scan on
    /// this one, so that two cores run two busy threads, not three.
    inflating_beside: bool,
    /// The decompression-bomb check for the file being read.
    budget: Expansion,
}

impl Reader<'_> {
    /// A file on disk.
    fn file(&mut self, path: &Path, named: bool, out: &mut Collected) {
        let shown = escape_bytes(path.as_os_str().as_encoded_bytes());
        let mut f = match File::open(path) {
            Ok(f) => f,
            Err(e) => return out.error(&shown, format!("cannot open: {e}")),
        };
        let node = Node {
            source: shown.clone(),
            container: String::new(),
            name: path.as_os_str().as_encoded_bytes().to_vec(),
            disk_dir: Some(
                path.parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            ),
            mtime: None,
            mtime_of: Some(path.into()),
            depth: 0,
            named,
            compressed: false,
        };
        let mut head = Vec::with_capacity(SNIFF_LEN);
        if let Err(e) = (&mut f).take(SNIFF_LEN as u64).read_to_end(&mut head) {
            return out.error(&shown, format!("cannot read: {e}"));
        }
        if sniff(&head) == Kind::Zip && f.rewind().is_ok() {
            let f = progress::Counting::new(f, self.bar, self.budget.raw.clone());
            return self.zip_file(f, path, &node, out);
        }
        self.bar.inc(head.len() as u64);
        let r = Cursor::new(head).chain(progress::Counting::new(
            f,
            self.bar,
            self.budget.raw.clone(),
        ));
        if sniff(r.get_ref().0.get_ref()) == Kind::Gzip {
            // A compressed file (a bundle): inflate on a thread of its own, so
            // that walking the archive and scanning run beside it.
            self.inflating_beside = true;
            scan::inflate_beside(r, |dec| self.gunzipped(Box::new(dec), &node, out));
            self.inflating_beside = false;
            return;
        }
        self.stream(Box::new(r), &node, out);
    }

    /// Any stream: sniff, then decode, unpack or scan.
    fn stream(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        let (head, r) = match peek(r, SNIFF_LEN) {
            Ok(x) => x,
            Err(e) => return out.error(&node.source, format!("cannot read: {e}")),
        };
        match sniff(&head) {
            Kind::Gzip => self.gzip(Box::new(r), node, out),
            Kind::Tar => self.tar(Box::new(r), node, out),
            Kind::Zip => self.zip_stream(Box::new(r), node, out),
            Kind::Text => {
                if node.named || log_rank(node.base()).is_some() {
                    self.text(Box::new(r), node, out);
                }
            }
        }
    }

    fn gzip(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        let dec = BufReader::with_capacity(scan::BLOCK, MultiGzDecoder::new(r));
        self.gunzipped(Box::new(dec), node, out);
    }

    /// The decompressed content of a gzip stream `node`.
    fn gunzipped(&mut self, dec: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        let dec = Guarded {
            inner: dec,
            budget: self.budget.clone(),
        };
        let mut inner = node.clone();
        inner.compressed = true;
        if let Some(stripped) = inner.name.strip_suffix(b".gz") {
            inner.name = stripped.to_vec();
        } else if let Some(stripped) = inner.name.strip_suffix(b".tgz") {
            inner.name = [stripped, b".tar"].concat();
        }
        // A gzip inside a gzip is a layer of its own; gzip around a tar or a
        // log is part of that file.
        let (head, dec) = match peek(dec, SNIFF_LEN) {
            Ok(x) => x,
            Err(e) => {
                return out.error(&node.source, format!("corrupt gzip data at the start: {e}"));
            }
        };
        if sniff(&head) == Kind::Gzip {
            if node.depth >= MAX_DEPTH {
                return out.error(
                    &node.source,
                    format!("archives nested deeper than {MAX_DEPTH} levels; not opened"),
                );
            }
            inner.depth += 1;
        }
        self.stream(Box::new(dec), &inner, out);
    }

    fn tar(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        if node.depth >= MAX_DEPTH {
            return out.error(
                &node.source,
                format!("archives nested deeper than {MAX_DEPTH} levels; not opened"),
            );
        }
        let mut ar = tar::Archive::new(r);
        let mut count = 0u64;
        {
            let entries = match ar.entries() {
                // Raw: GNU long-name and PAX headers come to us as entries,
                // so their size can be capped instead of buffered whole.
                Ok(e) => e.raw(true),
                Err(e) => return out.error(&node.source, format!("unreadable tar archive: {e}")),
            };
            let mut long_name: Option<Vec<u8>> = None;
            for entry in entries {
                let mut entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        return out.error(
                            &node.source,
                            format!("tar archive damaged after {count} members: {e}"),
                        );
                    }
                };
                count += 1;
                let kind = entry.header().entry_type();
                if kind.is_gnu_longname() || kind.is_pax_local_extensions() {
                    long_name = self.long_name(&mut entry, node, out);
                    continue;
                }
                let path = long_name
                    .take()
                    .unwrap_or_else(|| entry.path_bytes().into_owned());
                if !kind.is_file() {
                    continue;
                }
                let mtime = entry
                    .header()
                    .mtime()
                    .ok()
                    .and_then(|m| i64::try_from(m).ok());
                let child = node.member(&path, mtime);
                self.member(&mut entry, &child, out);
            }
        }
        // Read past the end-of-archive blocks to the end of the stream, so
        // that a gzip layer below checks its trailer: a bundle cut short
        // after its last member is still reported as damaged.
        if let Err(e) = io::copy(&mut ar.into_inner(), &mut io::sink()) {
            out.error(
                &node.source,
                format!("archive damaged after its last member ({count} members read): {e}"),
            );
        }
    }

    /// The path a GNU long-name or PAX header gives the next member, read
    /// only when it is of a sane size: a hostile archive can declare a
    /// long name of gigabytes.
    fn long_name<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        node: &Node,
        out: &mut Collected,
    ) -> Option<Vec<u8>> {
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_TAR_EXTENSION {
            out.error(
                &node.source,
                format!(
                    "tar extension header of {size} bytes ignored (more than {MAX_TAR_EXTENSION})"
                ),
            );
            return None;
        }
        if entry.header().entry_type().is_gnu_longname() {
            let mut name = Vec::new();
            entry.read_to_end(&mut name).ok()?;
            while name.last() == Some(&0) {
                name.pop();
            }
            return Some(name);
        }
        let exts = entry.pax_extensions().ok()??;
        exts.filter_map(Result::ok)
            .find(|x| x.key_bytes() == b"path")
            .map(|x| x.value_bytes().to_vec())
    }

    /// A zip on disk: members found through the central directory. When
    /// that is damaged, fall back to walking the local headers.
    fn zip_file(
        &mut self,
        f: progress::Counting<'_, File>,
        path: &Path,
        node: &Node,
        out: &mut Collected,
    ) {
        if node.depth >= MAX_DEPTH {
            return out.error(
                &node.source,
                format!("archives nested deeper than {MAX_DEPTH} levels; not opened"),
            );
        }
        let mut ar = match zip::ZipArchive::new(BufReader::new(f)) {
            Ok(ar) => ar,
            Err(e) => {
                out.error(
                    &node.source,
                    format!("zip central directory unreadable ({e}); reading members from their local headers"),
                );
                let Ok(f) = File::open(path) else { return };
                let f = progress::Counting::new(f, self.bar, self.budget.raw.clone());
                return self.zip_stream(Box::new(BufReader::new(f)), node, out);
            }
        };
        let members = ar.len();
        for i in 0..members {
            let zf = match ar.by_index(i) {
                Ok(zf) => zf,
                Err(e) => {
                    out.error(
                        &node.source,
                        format!("zip member {} of {members} unreadable: {e}", i + 1),
                    );
                    continue;
                }
            };
            if zf.is_dir() {
                continue;
            }
            let path = zf.name_raw().to_vec();
            let mut child = node.member(&path, zf.last_modified().and_then(zip_time));
            child.compressed |= zf.compression() != zip::CompressionMethod::Stored;
            let mut zf = Guarded {
                inner: zf,
                budget: self.budget.clone(),
            };
            self.member(&mut zf, &child, out);
        }
    }

    /// A zip read front to back, for zips inside other streams.
    fn zip_stream(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        if node.depth >= MAX_DEPTH {
            return out.error(
                &node.source,
                format!("archives nested deeper than {MAX_DEPTH} levels; not opened"),
            );
        }
        let res =
            crate::zipstream::for_each_member(BufReader::with_capacity(64 << 10, r), |m, body| {
                if m.is_dir {
                    return;
                }
                let mut child = node.member(&m.name, m.mtime);
                child.compressed |= m.method != 0;
                let mut body = Guarded {
                    inner: body,
                    budget: self.budget.clone(),
                };
                self.member(&mut body, &child, out);
            });
        if let Err(d) = res {
            out.error(
                &node.source,
                format!(
                    "zip archive damaged after {} members: {}",
                    d.members, d.message
                ),
            );
        }
    }

    /// An archive member: logs and archives are opened, `.vmx` read, the
    /// rest skipped unread.
    fn member(&mut self, r: &mut dyn Read, node: &Node, out: &mut Collected) {
        let base = node.base();
        if is_log_name(base) || is_archive_name(base) {
            self.stream(Box::new(r), node, out);
        } else if base.ends_with(b".vmx")
            && let Some(name) = read_vmx(r)
        {
            out.vmx_names.insert(node.dir().0, name);
        }
    }

    fn text(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        self.stats.logs += 1;
        if !node.compressed || self.inflating_beside {
            let (res, err) = scan::scan(r);
            return self.scanned(res, err, node, out);
        }
        let worker = self.worker.get_or_insert_with(scan::ScanWorker::new);
        worker.submit(r, node.clone());
        for (node, res, err) in worker.ready() {
            self.scanned(res, err, &node, out);
        }
    }

    /// Waits for logs still being scanned by the worker.
    fn drain(&mut self, out: &mut Collected) {
        if let Some(worker) = self.worker.take() {
            for (node, res, err) in worker.finish() {
                self.scanned(res, err, &node, out);
            }
        }
    }

    fn scanned(
        &mut self,
        res: ScanResult,
        err: Option<scan::StreamError>,
        node: &Node,
        out: &mut Collected,
    ) {
        self.stats.bytes += res.bytes;
        for le in &res.line_errors {
            out.error(&node.source, format!("line {}: {}", le.line_no, le.message));
        }
        if let Some(e) = err {
            out.error(
                &node.source,
                format!(
                    "read failed after {} bytes: {}; events before that point are reported",
                    e.bytes_read, e.error
                ),
            );
        }
        finish_log(res, node, out);
    }
}

fn zip_time(dt: zip::DateTime) -> Option<i64> {
    let (mo, d) = (u32::from(dt.month()), u32::from(dt.day()));
    if !(1..=12).contains(&mo) || d == 0 {
        return None;
    }
    let secs = i64::from(dt.hour()) * 3600 + i64::from(dt.minute()) * 60 + i64::from(dt.second());
    Some(time::epoch_ms(i64::from(dt.year()), mo, d, secs * 1000) / 1000)
}

fn epoch_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Splits a scanned log by saved-grep origin, resolves times, and files it.
fn finish_log(res: ScanResult, node: &Node, out: &mut Collected) {
    let (dir, dir_name) = node.dir();
    let rank = log_rank(node.base()).unwrap_or(0);
    let host = bundle_host(&node.source);
    let needs_year = res
        .records
        .iter()
        .any(|r| matches!(r.time, LineTime::NoYear { .. }));
    let mtime = if needs_year { node.mtime_secs() } else { 0 };
    let mut groups: Vec<Vec<scan::Record>> = vec![Vec::new(); res.grep_names.len() + 1];
    for r in res.records {
        if let Some(g) = groups.get_mut(r.origin as usize) {
            g.push(r);
        }
    }
    for (i, records) in groups.into_iter().enumerate() {
        // A saved grep's own share is empty: its lines belong to the files
        // its prefixes name.
        if records.is_empty() && (i > 0 || !res.grep_names.is_empty()) {
            continue;
        }
        let entries = resolve_times(records, mtime);
        if i == 0 {
            out.logs.push(LogFile {
                source: node.source.as_str().into(),
                dir: dir.clone(),
                dir_name: dir_name.clone(),
                bundle_host: host.clone(),
                rank,
                disk_dir: node.disk_dir.clone(),
                entries,
            });
            continue;
        }
        // Lines a saved grep attributes to another file.
        let name = &res.grep_names[i - 1];
        let p = parent(name);
        let (gdir, gdir_name) = if p.is_empty() {
            (dir.clone(), dir_name.clone())
        } else {
            (
                format!("{}:{}", node.source, escape_bytes(p)),
                Some(escape_bytes(basename(p))),
            )
        };
        out.logs.push(LogFile {
            source: escape_bytes(name).into(),
            dir: gdir,
            dir_name: gdir_name,
            bundle_host: bundle_host(&escape_bytes(name)).or_else(|| host.clone()),
            rank: log_rank(basename(name)).unwrap_or(0),
            disk_dir: None,
            entries,
        });
    }
}

/// Gives old no-year records a year: the last record is in the year of the
/// file's modification time (a year earlier when its month is after the
/// mtime's month), and walking back, each December → January step going
/// forward in the file is a year boundary.
fn resolve_times(records: Vec<scan::Record>, mtime_secs: i64) -> Vec<Entry> {
    let (mut year, mut next_month, _) = time::ymd(mtime_secs.saturating_mul(1000));
    let mut entries: Vec<Entry> = Vec::with_capacity(records.len());
    for r in records.into_iter().rev() {
        let (time_ms, approx) = match r.time {
            LineTime::Utc(ms) => (ms, false),
            LineTime::NoYear {
                month,
                day,
                ms_of_day,
            } => {
                if month > next_month {
                    year -= 1;
                }
                next_month = month;
                (time::epoch_ms(year, month, day, ms_of_day), true)
            }
        };
        entries.push(Entry {
            time_ms,
            approx,
            line_no: r.line_no,
            kind: r.kind,
        });
    }
    entries.reverse();
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(log_rank(b"vmware.log"), Some(0));
        assert_eq!(log_rank(b"vmware-0.log"), Some(1));
        assert_eq!(log_rank(b"vmware-12.log"), Some(13));
        assert_eq!(log_rank(b"vmware-.log"), None);
        assert_eq!(log_rank(b"vmkernel.log"), None);
        assert!(is_log_name(b"vmware-2.log.gz"));
        assert!(!is_log_name(b"vmware.log.1"));
        assert!(is_archive_name(b"esx-h1.tgz"));
        assert_eq!(
            bundle_host("vc.zip!esx-h1.lab-2026-11-20--10.30-123.tgz!esx-h1.lab-2026-11-20--10.30-123/vmfs/volumes/ds1/db1/vmware.log")
                .as_deref(),
            Some("h1.lab")
        );
        assert_eq!(bundle_host("x/esx-nodate/vmware.log"), None);
    }

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
            kind: RecordKind::Hostname("h".into()),
        };
        // mtime 2010-01-01T00:10:00Z
        let mtime = time::epoch_ms(2010, 1, 1, 600_000) / 1000;
        let e = resolve_times(vec![rec(12, 31), rec(1, 1)], mtime);
        assert_eq!(
            time::format_rfc3339_ms(e[0].time_ms),
            "2009-12-31T00:00:00.000Z"
        );
        assert_eq!(
            time::format_rfc3339_ms(e[1].time_ms),
            "2010-01-01T00:00:00.000Z"
        );
        assert!(e[0].approx);
    }
}
