//! A zip on disk, read member by member side by side: the central
//! directory, parsed once, gives every member's offset, and each member is
//! read through a file handle of its own.
//!
//! A vCenter export is one `.zip` holding a `.tgz` per host: separate
//! deflate streams, each as costly to inflate as a bundle given on its own.
//! Reading them one after another leaves all cores but one idle.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::progress::Bar;

/// A zip file on disk, opened anew by each clone: every member read side by
/// side gets its own handle, with its own position (no shared offset to
/// race on) and its own read-ahead in the kernel (which follows one
/// sequential reader per open file). Counts the bytes read into the
/// progress bar and the file's decompression-bomb budget.
pub(super) struct Handle<'b> {
    path: Arc<Path>,
    /// The file first opened: a handle opened later must find the same
    /// file under the path, not one that replaced it.
    id: Option<FileId>,
    file: Option<File>,
    pos: u64,
    bar: &'b Bar,
    raw: Arc<AtomicU64>,
}

#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = ();

#[cfg(unix)]
fn file_id(f: &File) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = f.metadata().ok()?;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_f: &File) -> Option<FileId> {
    None
}

impl<'b> Handle<'b> {
    /// The zip `file`, opened from `path`, at its start.
    pub(super) fn new(mut file: File, path: &Path, bar: &'b Bar, raw: Arc<AtomicU64>) -> Self {
        let pos = file.stream_position().unwrap_or(0);
        Handle {
            path: path.into(),
            id: file_id(&file),
            file: Some(file),
            pos,
            bar,
            raw,
        }
    }

    /// The open file, opening it at the handle's position first.
    fn file(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            let mut f = File::open(&self.path)?;
            if self.id.is_some() && file_id(&f) != self.id {
                return Err(io::Error::other(
                    "the zip file was replaced on disk while it was read",
                ));
            }
            f.seek(SeekFrom::Start(self.pos))?;
            self.file = Some(f);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }
}

impl Clone for Handle<'_> {
    /// A handle at the same position, on a file handle of its own (opened
    /// on first use).
    fn clone(&self) -> Self {
        Handle {
            path: self.path.clone(),
            id: self.id,
            file: None,
            pos: self.pos,
            bar: self.bar,
            raw: self.raw.clone(),
        }
    }
}

impl Read for Handle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file()?.read(buf)?;
        self.pos += n as u64;
        self.bar.inc(n as u64);
        self.raw.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for Handle<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.file()?.seek(to)?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn clones_read_on_their_own_handles_from_where_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        File::create(&path)
            .unwrap()
            .write_all(b"0123456789")
            .unwrap();
        let bar = Bar::new(false, 0);
        let raw = Arc::new(AtomicU64::new(0));
        let mut h = Handle::new(File::open(&path).unwrap(), &path, &bar, raw.clone());
        h.seek(SeekFrom::Start(3)).unwrap();
        let mut c = h.clone();
        let mut a = [0u8; 2];
        h.read_exact(&mut a).unwrap();
        let mut b = [0u8; 4];
        c.read_exact(&mut b).unwrap();
        assert_eq!((&a, &b), (b"34", b"3456"));
        c.seek(SeekFrom::End(-1)).unwrap();
        c.read_exact(&mut a[..1]).unwrap();
        assert_eq!(a[0], b'9');
        h.read_exact(&mut a).unwrap();
        assert_eq!(&a, b"56");
        assert_eq!(raw.load(Ordering::Relaxed), 2 + 4 + 1 + 2);

        // A file that replaced the zip under its name is not read.
        let c = h.clone();
        std::fs::remove_file(&path).unwrap();
        File::create(&path).unwrap().write_all(b"other").unwrap();
        let mut c = c;
        let e = c.read(&mut a).unwrap_err();
        assert!(e.to_string().contains("replaced"), "{e}");
    }
}
