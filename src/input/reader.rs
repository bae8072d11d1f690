//! Reading one file or stream: sniffing its kind, decompressing, walking
//! archives, and handing log members to the scanner.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;

use super::collected::{Collected, Piece};
use super::filing::finish_log;
use super::names::{Kind, Select, Want, fragment, sniff};
use super::node::{Node, STDIN};
use super::vmx::read_vmx;
use super::{pipeline, progress, zipfile, zipstream};
use crate::escape::escape_bytes;
use crate::time;
use crate::vmlog::scan::{self, ScanResult};

/// Archive layers opened inside one another at most (vCenter `.zip` → host
/// `.tgz` → `vmware.log.gz` is three).
pub const MAX_DEPTH: u32 = 4;
/// GNU long-name and PAX headers larger than this are ignored.
const MAX_TAR_EXTENSION: u64 = 64 << 10;

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

/// Decompressed data may grow to this many times the compressed bytes read
/// (plus [`EXPANSION_SLACK`]). One deflate layer cannot exceed 1032:1, and
/// logs compress 10–30:1, so only nested decompression bombs reach it.
const MAX_EXPANSION: u64 = 1100;
const EXPANSION_SLACK: u64 = 256 << 20;

/// Bytes read from the input file itself, and bytes decompressed from it:
/// the two sides of the decompression-bomb check.
/// Shared by the members of a zip read side by side, as by members read
/// one after another.
#[derive(Default, Clone)]
struct Expansion {
    raw: Arc<AtomicU64>,
    expanded: Arc<AtomicU64>,
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
        let expanded = self.budget.expanded.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
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
    /// The stream's share of the threads (see [`pipeline::Slot`]).
    slot: Option<pipeline::Slot>,
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
            slot: None,
        }
    }

    /// The stream being read holds `slot` (see [`pipeline::Slot`]).
    pub(super) fn holding(mut self, slot: pipeline::Slot) -> Self {
        self.slot = Some(slot);
        self
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
            let f = zipfile::Handle::new(f, path, self.bar, self.budget.raw.clone());
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
        if sniff(r.get_ref().0.get_ref()) == Kind::Gzip
            && let Some(slot) = pipeline::Slot::spare()
        {
            // A compressed file (a bundle) with a core free: inflate on a
            // thread of its own, so that walking the archive and scanning
            // run beside it.
            self.inflating_beside = true;
            pipeline::inflate_beside(r, slot, |dec| self.gunzipped(Box::new(dec), &node, out));
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

    /// A zip on disk: members found through the central directory and read
    /// side by side on the rayon pool, each on a file handle of its own;
    /// what they yield is filed in the members' order. When the directory
    /// is damaged, fall back to walking the local headers.
    fn zip_file(&mut self, f: zipfile::Handle<'s>, path: &Path, node: &Node, out: &mut Collected) {
        if too_deep(node, out) {
            return;
        }
        let ar = match zip::ZipArchive::new(f) {
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
        let todo = self.zip_members_to_read(&ar, node, out);
        // This stream only waits while its members are read.
        let waiting = self.slot.take();
        let (bar, select, input, budget) = (self.bar, self.select, self.input, &self.budget);
        let parts: Vec<(u64, Collected)> = todo
            .into_par_iter()
            .map(|(i, child, slot)| {
                let (mut bytes, mut part) = (0, Collected::default());
                let mut reader = Reader::new(&mut bytes, bar, select, input).holding(slot);
                reader.budget = budget.clone();
                reader.zip_member(ar.clone(), i, &child, &mut part);
                drop(reader);
                (bytes, part)
            })
            .collect();
        if waiting.is_some() {
            drop(waiting);
            self.slot = Some(pipeline::Slot::stream());
        }
        for (bytes, part) in parts {
            *self.bytes += bytes;
            out.absorb(part);
        }
    }

    /// The members of a zip on disk worth reading, chosen by name from its
    /// central directory (look-alikes are noted here), each counted as a
    /// stream from now until it is read.
    fn zip_members_to_read(
        &self,
        ar: &zip::ZipArchive<zipfile::Handle<'s>>,
        node: &Node,
        out: &mut Collected,
    ) -> Vec<(usize, Node, pipeline::Slot)> {
        let members = ar.len();
        let mut todo = Vec::new();
        for i in 0..members {
            let e = match ar.by_index_data(i) {
                Ok(e) => e,
                Err(err) => {
                    out.error(
                        &node.source,
                        format!("zip member {} of {members} unreadable: {err}", i + 1),
                    );
                    continue;
                }
            };
            if e.is_dir() {
                continue;
            }
            let mut child = node.member(e.name_raw(), e.last_modified().and_then(zip_time));
            child.compressed |= e.compression() != zip::CompressionMethod::Stored;
            match self.select.want(child.base()) {
                Want::Skip => {}
                Want::LookAlike => out.looks.add(child.source),
                _ => todo.push((i, child, pipeline::Slot::stream())),
            }
        }
        todo
    }

    /// Member `i` of a zip on disk, read through `ar` (a copy of the
    /// archive on a file handle of its own) by this reader, one of its own.
    fn zip_member(
        &mut self,
        mut ar: zip::ZipArchive<zipfile::Handle<'s>>,
        i: usize,
        child: &Node,
        out: &mut Collected,
    ) {
        match ar.by_index(i) {
            Ok(zf) => {
                let mut zf = Guarded {
                    inner: zf,
                    budget: self.budget.clone(),
                };
                self.member(&mut zf, child, out);
            }
            Err(e) => out.error(&child.source, format!("zip member unreadable: {e}")),
        }
        self.drain(out);
    }

    /// A zip read front to back, for zips inside other streams.
    fn zip_stream(&mut self, r: Box<dyn Read + '_>, node: &Node, out: &mut Collected) {
        if too_deep(node, out) {
            return;
        }
        let res = zipstream::for_each_member(BufReader::with_capacity(64 << 10, r), |m, body| {
            if m.is_dir {
                return;
            }
            let mut child = node.member(&m.name, m.mtime);
            child.compressed |= m.method != 0;
            // Read from a file, the zip library reads Deflate64 and says
            // what else it cannot; from a stream, a member that would be
            // read is named here rather than passed over.
            if let Some(why) = m.unreadable()
                && !matches!(self.select.want(child.base()), Want::Skip | Want::LookAlike)
            {
                out.error(
                    &child.source,
                    format!(
                        "zip member unreadable from a stream: {why}; save the zip to a file and give its path (Deflate64 is read there)"
                    ),
                );
                return;
            }
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
        // Scan beside the inflating thread when a core is free for it; else
        // here. Once a worker runs, every later log goes to it, so logs are
        // filed in their order either way.
        if self.worker.is_none() {
            match pipeline::Slot::spare() {
                Some(slot) => {
                    self.worker = Some(pipeline::ScanWorker::new(self.select.keep_text, slot));
                }
                None => {
                    let (res, err) = scan::scan_as(r, piece, self.select.keep_text);
                    return self.scanned(res, err, node, out);
                }
            }
        }
        let Some(worker) = self.worker.as_mut() else {
            return;
        };
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
