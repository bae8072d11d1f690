//! Reading one file or stream: sniffing its kind, decompressing, walking
//! archives, and handing log members to the scanner.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::read::MultiGzDecoder;

use super::fragments::Piece;
use super::names::{Kind, Select, Want, basename, fragment, parent, sniff};
use super::{Collected, MAX_DEPTH, MAX_TAR_EXTENSION, finish_log, read_vmx};
use crate::escape::{escape_bytes, escape_str};
use crate::pipeline;
use crate::progress;
use crate::time;
use crate::vmlog::scan::{self, ScanResult};

/// How standard input is named in sources.
const STDIN: &str = "<stdin>";

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

/// Where a stream sits: enough to name it, its logs and its VM directory.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// Display source of this stream.
    pub(super) source: String,
    /// Display prefix of the containing archive chain (`a.tgz!`), empty on disk.
    pub(super) container: String,
    /// Raw path of the stream inside its container (or on disk), with any
    /// `.gz` layers already removed.
    pub(super) name: Vec<u8>,
    /// The directory on disk holding the file, for `.vmx` lookup.
    pub(super) disk_dir: Option<Arc<Path>>,
    /// Modification time, epoch seconds, when known without asking.
    pub(super) mtime: Option<i64>,
    /// The file on disk whose modification time stands in otherwise; only
    /// looked up when an old-format log needs a year.
    pub(super) mtime_of: Option<std::sync::Arc<Path>>,
    /// Container layers above this stream.
    pub(super) depth: u32,
    /// Named on the command line: scanned as a log whatever its name.
    pub(super) named: bool,
    /// Decompressed on the fly: scanning moves to its own thread so that
    /// it runs beside the decompression instead of after it.
    pub(super) compressed: bool,
}

impl Node {
    pub(super) fn member(&self, path: &[u8], mtime: Option<i64>) -> Node {
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
    pub(super) fn mtime_secs(&self) -> i64 {
        self.mtime
            .or_else(|| {
                let p = self.mtime_of.as_ref()?;
                std::fs::metadata(p).ok()?.modified().ok().map(epoch_secs)
            })
            .unwrap_or_else(|| epoch_secs(SystemTime::now()))
    }

    pub(super) fn base(&self) -> &[u8] {
        basename(&self.name)
    }

    /// Standard input itself (not a member of an archive read from it).
    pub(super) fn is_stdin(&self) -> bool {
        self.container.is_empty() && self.source == STDIN
    }

    /// The VM directory key and its own name.
    pub(super) fn dir(&self) -> (String, Option<String>) {
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

pub(super) struct Reader<'s> {
    /// Log bytes scanned.
    bytes: &'s mut u64,
    bar: &'s progress::Bar,
    select: &'s Select,
    /// The command-line input being read.
    input: usize,
    /// Scans decompressed logs beside the thread that inflates them.
    worker: Option<pipeline::ScanWorker<Node>>,
    /// The file's inflation already runs on a thread of its own: scan on
    /// this one, so that two cores run two busy threads, not three.
    inflating_beside: bool,
    /// The decompression-bomb check for the file being read.
    budget: Expansion,
}

impl<'s> Reader<'s> {
    pub(super) fn new(
        bytes: &'s mut u64,
        bar: &'s progress::Bar,
        select: &'s Select,
        input: usize,
    ) -> Self {
        Reader {
            bytes,
            bar,
            select,
            input,
            worker: None,
            inflating_beside: false,
            budget: Expansion::default(),
        }
    }

    /// Standard input: any kind, always scanned.
    pub(super) fn stdin(&mut self, out: &mut Collected) {
        let node = Node {
            source: STDIN.into(),
            container: String::new(),
            name: STDIN.as_bytes().to_vec(),
            disk_dir: None,
            mtime: None,
            mtime_of: None,
            depth: 0,
            named: true,
            compressed: false,
        };
        let stdin = progress::Counting::new(io::stdin().lock(), self.bar, self.budget.raw.clone());
        self.stream(Box::new(stdin), &node, out);
    }

    /// A file on disk.
    pub(super) fn file(&mut self, path: &Path, named: bool, out: &mut Collected) {
        let shown = escape_bytes(path.as_os_str().as_encoded_bytes());
        let mut f = match File::open(path) {
            Ok(f) => f,
            Err(e) => return out.error(&shown, format!("cannot open: {e}")),
        };
        let node = Node {
            source: shown.clone(),
            container: String::new(),
            name: path.as_os_str().as_encoded_bytes().to_vec(),
            disk_dir: Some(Arc::from(path.parent().unwrap_or(Path::new(".")))),
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
        self.budget
            .raw
            .fetch_add(head.len() as u64, Ordering::Relaxed);
        let r = Cursor::new(head).chain(progress::Counting::new(
            f,
            self.bar,
            self.budget.raw.clone(),
        ));
        if sniff(r.get_ref().0.get_ref()) == Kind::Gzip {
            // A compressed file (a bundle): inflate on a thread of its own, so
            // that walking the archive and scanning run beside it.
            self.inflating_beside = true;
            pipeline::inflate_beside(r, |dec| self.gunzipped(Box::new(dec), &node, out));
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
                let want = self.select.want(node.base());
                if want == Want::DbLog {
                    self.db_log(Box::new(r), node, out);
                } else if node.named || want == Want::Log || want == Want::Fragment {
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
            if too_deep(node, out) {
                return;
            }
            inner.depth += 1;
        }
        self.stream(Box::new(dec), &inner, out);
    }

    fn tar(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        if too_deep(node, out) {
            return;
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
        if too_deep(node, out) {
            return;
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
        if too_deep(node, out) {
            return;
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
        match self.select.want(node.base()) {
            Want::Log | Want::Fragment | Want::Archive | Want::DbLog => {
                self.stream(Box::new(r), node, out)
            }
            Want::Vmx => {
                if let Some(name) = read_vmx(r) {
                    out.vmx_names.insert(node.dir().0, name);
                }
            }
            Want::LookAlike => out.looks.add(node.source.clone()),
            Want::Skip => {}
        }
    }

    /// A database log (`messages.log`, `cconsole.log`): read on its own,
    /// correlated with the stuns after the analysis.
    fn db_log(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        let opts = crate::dblog::ReadOptions {
            zone: &self.select.db_zone,
            member: None,
        };
        out.db_logs
            .extend(crate::dblog::read(r, &node.source, &opts));
    }

    fn text(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        let piece = fragment(node.base()).is_some_and(|(name, _)| self.select.is_log(name));
        if !node.compressed || self.inflating_beside {
            let (res, err) = scan::scan_as(r, piece, self.select.keep_text);
            return self.scanned(res, err, node, out);
        }
        let keep_text = self.select.keep_text;
        let worker = self
            .worker
            .get_or_insert_with(|| pipeline::ScanWorker::new(keep_text));
        worker.submit(r, node.clone(), piece);
        for (node, res, err) in worker.ready() {
            self.scanned(res, err, &node, out);
        }
    }

    /// Waits for logs still being scanned by the worker.
    pub(super) fn drain(&mut self, out: &mut Collected) {
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
        *self.bytes += res.bytes;
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
        if res.ends.is_some() {
            out.pieces.push(Piece {
                node: node.clone(),
                input: self.input,
                res,
            });
        } else {
            finish_log(res, node, self.input, out);
        }
    }
}

/// Whether opening one more archive layer under `node` would pass
/// [`MAX_DEPTH`]; if so, says so in the errors.
fn too_deep(node: &Node, out: &mut Collected) -> bool {
    let deep = node.depth >= MAX_DEPTH;
    if deep {
        out.error(
            &node.source,
            format!("archives nested deeper than {MAX_DEPTH} levels; not opened"),
        );
    }
    deep
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
