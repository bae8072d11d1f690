//! One followed file: what has been read of it, and the whole lines that
//! were appended since.
//!
//! A file is known by its (device, inode), not its name: when ESXi rotates
//! `vmware.log` to `vmware-1.log` the file keeps its inode, and what was
//! read of it stays read; the new `vmware.log` is a new inode, read from
//! its first byte. The open descriptor is kept, so the lines written just
//! before a rotation or a deletion are still read. A file that shrinks, or
//! whose first bytes change, was truncated (copy-and-truncate rotation):
//! it is read again from the start, and what had been read of it is
//! remembered so that the copy, when it shows up, is read only past that
//! point.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The first bytes of a file that identify it against a copy of it (a
/// log's first line holds its start to the millisecond and the process id).
pub const HEAD: usize = 256;
/// First bytes alike that make a new file a copy of a followed one.
pub const MIN_SAME: usize = 64;
/// Bytes read per call.
const CHUNK: usize = 64 * 1024;
/// A line longer than this cannot be a record that matters (a stun line is
/// under 200 bytes): it is skipped, never grown into.
pub const MAX_LINE: usize = crate::vmlog::scan::BLOCK;

/// What a read hands on, in file order.
pub enum Piece<'a> {
    /// The file was truncated or replaced in place: what follows starts at
    /// its first line again.
    Restart,
    /// Whole lines (each ending in `\n`), the first of them line `first`.
    Lines { first: u64, bytes: &'a [u8] },
}

/// The identity of a file on disk.
pub type Ident = (u64, u64);

pub fn ident(meta: &std::fs::Metadata) -> Ident {
    (meta.dev(), meta.ino())
}

/// One followed file.
pub struct Tail {
    pub path: PathBuf,
    pub ident: Ident,
    /// Kept open while the file is followed (None: it could not be opened).
    file: Option<File>,
    /// Bytes of the file read so far.
    offset: u64,
    /// The end of the last whole line read (`offset` less the carried start
    /// of a line).
    done: u64,
    /// Whole lines read so far.
    lines: u64,
    /// The start of a line whose end has not been written yet.
    carry: Vec<u8>,
    /// Skipping the rest of an over-long line.
    skipping: bool,
    /// Its first bytes (up to [`HEAD`]).
    head: Vec<u8>,
    /// Before the last truncation: its first bytes, and how far (bytes and
    /// lines) it had been read, for its copy.
    pub before_truncation: Option<(Vec<u8>, u64, u64)>,
}

impl Tail {
    /// Opens `path` for following from its start.
    pub fn open(path: &Path) -> io::Result<Tail> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        Ok(Tail {
            path: path.to_owned(),
            ident: ident(&meta),
            file: Some(file),
            offset: 0,
            done: 0,
            lines: 0,
            carry: Vec::new(),
            skipping: false,
            head: Vec::new(),
            before_truncation: None,
        })
    }

    /// Its first bytes, read now (empty when it cannot be read).
    pub fn read_head(&self) -> Vec<u8> {
        let mut buf = vec![0u8; HEAD];
        let n = self
            .file
            .as_ref()
            .and_then(|f| f.read_at(&mut buf, 0).ok())
            .unwrap_or(0);
        buf.truncate(n);
        buf
    }

    /// Whether `head` (a new file's first bytes) shows it to be a copy of
    /// this file as it is or as it was before its last truncation; then
    /// how far (bytes, lines) this file had been read. The first bytes of
    /// a log hold its first line, time to the millisecond and process id:
    /// [`MIN_SAME`] of them alike is the same log.
    pub fn copied_as(&self, head: &[u8]) -> Option<(u64, u64)> {
        let alike = |mine: &[u8]| {
            let n = mine.len().min(head.len());
            n >= MIN_SAME && mine[..n] == head[..n]
        };
        if let Some((h, done, lines)) = &self.before_truncation
            && alike(h)
        {
            return Some((*done, *lines));
        }
        alike(&self.head).then_some((self.done, self.lines))
    }

    /// Starts reading at `done` bytes, `lines` lines in: the part before
    /// was read already through the file this one copies.
    pub fn skip_to(&mut self, done: u64, lines: u64) {
        self.head = self.read_head();
        self.carry.clear();
        self.skipping = false;
        self.offset = done;
        self.done = done;
        self.lines = lines;
    }

    /// The end of the last whole line read.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Whole lines read so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Whether the file still has a name somewhere (it was not deleted).
    pub fn linked(&self) -> bool {
        self.file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .is_some_and(|m| m.nlink() > 0)
    }

    /// Whether the file has grown, shrunk or changed since the last read
    /// (cheap: one `fstat`).
    pub fn changed(&self) -> bool {
        match self.file.as_ref().map(File::metadata) {
            Some(Ok(m)) => m.len() != self.offset,
            _ => false,
        }
    }

    /// Reads what was written since the last call and hands on its whole
    /// lines; a line not yet ended waits for its end. Returns the bytes
    /// read.
    pub fn read(&mut self, sink: &mut dyn FnMut(Piece<'_>)) -> io::Result<u64> {
        let Some(file) = self.file.take() else {
            return Ok(0);
        };
        let r = self.read_from(&file, sink);
        self.file = Some(file);
        r
    }

    fn read_from(&mut self, file: &File, sink: &mut dyn FnMut(Piece<'_>)) -> io::Result<u64> {
        let len = file.metadata()?.len();
        if len < self.offset {
            // Shorter than what was read: truncated — unless it still
            // starts as it did: then it is being written behind us (a copy
            // still being made, which was taken for the original's copy
            // when its first bytes arrived); wait for it.
            if len > 0 && self.same_head(file, len) {
                return Ok(0);
            }
            self.restart();
            sink(Piece::Restart);
        } else if !self.same_head(file, len) {
            self.restart();
            sink(Piece::Restart);
        }
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0u64;
        loop {
            let n = match file.read_at(&mut buf, self.offset) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if self.head.len() < HEAD && self.offset == self.head.len() as u64 {
                let k = n.min(HEAD - self.head.len());
                self.head.extend_from_slice(&buf[..k]);
            }
            self.offset += n as u64;
            total += n as u64;
            self.lines_of(&buf[..n], sink);
        }
        Ok(total)
    }

    /// Whether the file still starts with the bytes it started with (as
    /// far as both go).
    fn same_head(&self, file: &File, len: u64) -> bool {
        let n = self
            .head
            .len()
            .min(usize::try_from(len).unwrap_or(usize::MAX));
        if n == 0 {
            return true;
        }
        let mut now = vec![0u8; n];
        match file.read_at(&mut now, 0) {
            Ok(got) if got == n => now == self.head[..n],
            _ => true,
        }
    }

    fn restart(&mut self) {
        let head = std::mem::take(&mut self.head);
        self.before_truncation = Some((head, self.done, self.lines));
        self.offset = 0;
        self.done = 0;
        self.lines = 0;
        self.carry.clear();
        self.skipping = false;
    }

    /// Cuts a chunk into whole lines, carrying the start of an unfinished
    /// one; an over-long line is passed on as one empty line, so that line
    /// numbers stay right.
    fn lines_of(&mut self, mut chunk: &[u8], sink: &mut dyn FnMut(Piece<'_>)) {
        if self.skipping || !self.carry.is_empty() {
            let Some(nl) = memchr::memchr(b'\n', chunk) else {
                if !self.skipping {
                    self.carry.extend_from_slice(chunk);
                    self.check_long();
                }
                return;
            };
            if std::mem::take(&mut self.skipping) || self.carry.len() + nl > MAX_LINE {
                self.carry.clear();
                self.carry.push(b'\n');
            } else {
                self.carry.extend_from_slice(&chunk[..=nl]);
            }
            let carry = std::mem::take(&mut self.carry);
            self.emit(&carry, (nl + 1) as u64, sink);
            self.carry = carry;
            self.carry.clear();
            chunk = &chunk[nl + 1..];
        }
        match memchr::memrchr(b'\n', chunk) {
            Some(last) => {
                let whole = &chunk[..=last];
                self.emit(whole, whole.len() as u64, sink);
                self.carry.extend_from_slice(&chunk[last + 1..]);
            }
            None => self.carry.extend_from_slice(chunk),
        }
        self.check_long();
    }

    /// Hands on whole lines that end `advance` bytes further into the file.
    fn emit(&mut self, bytes: &[u8], advance: u64, sink: &mut dyn FnMut(Piece<'_>)) {
        let first = self.lines + 1;
        self.lines += bytecount::count(bytes, b'\n') as u64;
        self.done += advance;
        sink(Piece::Lines { first, bytes });
    }

    fn check_long(&mut self) {
        if self.carry.len() > MAX_LINE {
            self.carry.clear();
            self.skipping = true;
        }
    }

    /// The file is gone for good: an unfinished last line is handed on as
    /// it is (its writer will not finish it).
    pub fn finish(&mut self, sink: &mut dyn FnMut(Piece<'_>)) {
        if !self.carry.is_empty() && !self.skipping {
            let mut line = std::mem::take(&mut self.carry);
            let advance = line.len() as u64;
            line.push(b'\n');
            self.emit(&line, advance, sink);
        }
        self.file = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(t: &mut Tail) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        t.read(&mut |p| {
            if let Piece::Lines { first, bytes } = p {
                for (i, l) in bytes.split_inclusive(|&c| c == b'\n').enumerate() {
                    out.push((first + i as u64, String::from_utf8_lossy(l).into_owned()));
                }
            }
        })
        .expect("reads");
        out
    }

    #[test]
    fn a_line_written_in_two_parts_is_read_once_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("vmware.log");
        let mut f = File::create(&p).expect("create");
        f.write_all(b"one\ntw").expect("write");
        let mut t = Tail::open(&p).expect("open");
        assert_eq!(collect(&mut t), vec![(1, "one\n".to_owned())]);
        f.write_all(b"o\nthree").expect("write");
        assert_eq!(collect(&mut t), vec![(2, "two\n".to_owned())]);
        assert!(collect(&mut t).is_empty());
        f.write_all(b"\n").expect("write");
        assert_eq!(collect(&mut t), vec![(3, "three\n".to_owned())]);
    }

    #[test]
    fn truncation_restarts_and_remembers_what_was_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("vmware.log");
        let first: String = (0..40).map(|i| format!("line {i:04}\n")).collect();
        std::fs::write(&p, &first).expect("write");
        let mut t = Tail::open(&p).expect("open");
        assert_eq!(collect(&mut t).len(), 40);
        std::fs::write(&p, b"new 1\n").expect("truncate");
        let mut restarted = false;
        let mut got = Vec::new();
        t.read(&mut |p| match p {
            Piece::Restart => restarted = true,
            Piece::Lines { first, bytes } => got.push((first, bytes.to_vec())),
        })
        .expect("reads");
        assert!(restarted);
        assert_eq!(got, vec![(1, b"new 1\n".to_vec())]);
        let head = first.as_bytes()[..HEAD].to_vec();
        assert_eq!(t.copied_as(&head), Some((first.len() as u64, 40)));
    }
}
