//! Reading a zip front to back, from a stream that cannot seek.
//!
//! A zip inside a `.tgz`, inside another zip, or on standard input cannot be
//! read through its central directory (that sits at the end). Its local
//! headers carry what is needed — except for members written to a pipe
//! (`zip -`, Java's `ZipOutputStream`), whose sizes follow the data in a
//! *data descriptor*. Deflate data ends by itself, so such members can still
//! be read in one pass: inflate until the deflate stream ends, then skip the
//! descriptor. The `zip` crate's stream reader refuses them, hence this
//! small reader; zips on disk still go through the `zip` crate.

use std::io::{self, BufRead, Read};

use flate2::bufread::DeflateDecoder;

const LOCAL: u32 = 0x0403_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL: [u32; 3] = [0x0201_4b50, 0x0605_4b50, 0x0606_4b50];

/// What a local header says about a member.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: Vec<u8>,
    /// Modification time, epoch seconds (DOS time taken as UTC).
    pub mtime: Option<i64>,
    /// Stored (0) or deflated (8); other methods are skipped.
    pub method: u16,
    /// Encrypted (its general-purpose flag's bit 0).
    pub encrypted: bool,
    pub is_dir: bool,
}

impl Member {
    /// Why this member's content cannot be read here, if it cannot: a
    /// method other than stored and deflated, or encryption. Read through
    /// `visit` as empty, so the caller can say so when it wanted the member.
    pub fn unreadable(&self) -> Option<String> {
        if self.encrypted {
            return Some("the member is encrypted".into());
        }
        let name = match self.method {
            0 | 8 => return None,
            9 => "Deflate64 (Windows' built-in zip, for big files)",
            12 => "bzip2",
            14 => "LZMA",
            93 => "Zstandard",
            95 => "xz",
            98 => "PPMd",
            _ => "an unusual method",
        };
        Some(format!("compressed with {name} (method {})", self.method))
    }
}

/// Why a stream stopped being readable, and after how many members.
#[derive(Debug)]
pub struct Damaged {
    pub members: u64,
    pub message: String,
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Reads exactly `buf.len()` bytes, or reports a clean end when none came.
fn read_or_end<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) if n == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Calls `visit` for every member, with a reader of its (decompressed)
/// content; whatever `visit` leaves unread is skipped. Returns the number of
/// members, or where and why the stream turned out damaged.
pub fn for_each_member<R: BufRead>(
    mut r: R,
    mut visit: impl FnMut(&Member, &mut dyn Read),
) -> Result<u64, Damaged> {
    let mut members = 0u64;
    let damaged = |members, message: String| Damaged { members, message };
    loop {
        let mut sig = [0u8; 4];
        match read_or_end(&mut r, &mut sig) {
            Ok(true) => {}
            Ok(false) => return Ok(members),
            Err(e) => return Err(damaged(members, format!("cannot read a header: {e}"))),
        }
        let sig = le32(&sig);
        if CENTRAL.contains(&sig) {
            // The central directory repeats what the local headers said.
            return Ok(members);
        }
        if sig != LOCAL {
            return Err(damaged(
                members,
                format!("no zip header where one was due (signature {sig:#010x})"),
            ));
        }
        let mut h = [0u8; 26];
        if let Err(e) = r.read_exact(&mut h) {
            return Err(damaged(members, format!("truncated local header: {e}")));
        }
        let flags = le16(&h[2..]);
        let method = le16(&h[4..]);
        let (time, date) = (le16(&h[6..]), le16(&h[8..]));
        let mut csize = u64::from(le32(&h[14..]));
        let (nlen, xlen) = (usize::from(le16(&h[22..])), usize::from(le16(&h[24..])));
        let mut name = vec![0u8; nlen];
        let mut extra = vec![0u8; xlen];
        if let Err(e) = r
            .read_exact(&mut name)
            .and_then(|()| r.read_exact(&mut extra))
        {
            return Err(damaged(members, format!("truncated local header: {e}")));
        }
        // ZIP64: sizes in the 0x0001 extra field.
        let mut zip64 = false;
        let mut x = &extra[..];
        while x.len() >= 4 {
            let (id, len) = (le16(x), usize::from(le16(&x[2..])));
            let body = &x[4..(4 + len).min(x.len())];
            if id == 0x0001 {
                zip64 = true;
                if csize == 0xFFFF_FFFF && body.len() >= 16 {
                    csize = le64(&body[8..]);
                }
            }
            x = &x[(4 + len).min(x.len())..];
        }
        members += 1;
        let descriptor = flags & 0x0008 != 0;
        let member = Member {
            is_dir: name.ends_with(b"/"),
            name,
            mtime: dos_time(date, time),
            method,
            encrypted: flags & 0x0001 != 0,
        };
        if flags & 0x0001 != 0 && descriptor {
            return Err(damaged(
                members,
                "an encrypted member of unknown size; the rest cannot be read".into(),
            ));
        }
        let drained = match (method, descriptor) {
            (8, true) if flags & 0x0001 == 0 => {
                // Size unknown: deflate ends by itself, and the bufread
                // decoder stops right there, before the descriptor.
                let mut dec = DeflateDecoder::new(&mut r);
                visit(&member, &mut dec);
                io::copy(&mut dec, &mut io::sink())
            }
            (8, false) if flags & 0x0001 == 0 => {
                let mut body = (&mut r).take(csize);
                let mut dec = DeflateDecoder::new(&mut body);
                visit(&member, &mut dec);
                // Skip what the member left unread, and any bytes after its
                // deflate stream up to the stated size.
                io::copy(&mut dec, &mut io::sink())
                    .and_then(|_| io::copy(&mut body, &mut io::sink()))
            }
            (_, false) => {
                let mut body = (&mut r).take(csize);
                if member.unreadable().is_none() {
                    visit(&member, &mut body);
                } else {
                    visit(&member, &mut io::empty());
                }
                io::copy(&mut body, &mut io::sink()).and_then(|n| {
                    if body.limit() > 0 {
                        Err(io::ErrorKind::UnexpectedEof.into())
                    } else {
                        Ok(n)
                    }
                })
            }
            (_, true) => {
                return Err(damaged(
                    members,
                    format!(
                        "member stored with method {method} and its size after the data; the rest cannot be read"
                    ),
                ));
            }
        };
        if let Err(e) = drained {
            return Err(damaged(members, format!("member data damaged: {e}")));
        }
        if descriptor {
            // [signature] crc32, compressed size, size (8-byte sizes in ZIP64).
            let mut d = [0u8; 4];
            if let Err(e) = r.read_exact(&mut d) {
                return Err(damaged(members, format!("truncated data descriptor: {e}")));
            }
            let rest = if zip64 { 16 } else { 8 } + if le32(&d) == DESCRIPTOR { 4 } else { 0 };
            let mut skip = vec![0u8; rest];
            if let Err(e) = r.read_exact(&mut skip) {
                return Err(damaged(members, format!("truncated data descriptor: {e}")));
            }
        }
    }
}

/// DOS date and time (local time of the zipping machine; taken as UTC).
fn dos_time(date: u16, time: u16) -> Option<i64> {
    let (y, mo, d) = (
        1980 + i64::from(date >> 9),
        u32::from((date >> 5) & 0xF),
        u32::from(date & 0x1F),
    );
    if !(1..=12).contains(&mo) || d == 0 || d > crate::time::days_in_month(y, mo) {
        return None;
    }
    let secs = i64::from(time >> 11) * 3600
        + i64::from((time >> 5) & 0x3F) * 60
        + i64::from(time & 0x1F) * 2;
    Some(crate::time::epoch_ms(y, mo, d, secs * 1000) / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    type Seen = Vec<(String, Vec<u8>)>;

    fn names_and_bodies(zip: &[u8]) -> (Result<u64, Damaged>, Seen) {
        let mut seen = Vec::new();
        let res = for_each_member(zip, |m, r| {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            seen.push((String::from_utf8_lossy(&m.name).into_owned(), b));
        });
        (res, seen)
    }

    /// A deflated log and a stored text file.
    fn add_members<W: std::io::Write + std::io::Seek>(w: &mut zip::ZipWriter<W>) {
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("a/vmware.log", opts).unwrap();
        w.write_all(b"hello\n").unwrap();
        w.start_file(
            "b.txt",
            opts.compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        w.write_all(b"stored").unwrap();
    }

    #[test]
    fn reads_seekable_zips_and_deflated_members_of_streamed_ones() {
        let mut seekable = Vec::new();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut seekable));
        add_members(&mut w);
        w.finish().unwrap();
        let (res, seen) = names_and_bodies(&seekable);
        assert_eq!(res.unwrap(), 2);
        assert_eq!(seen[0], ("a/vmware.log".into(), b"hello\n".to_vec()));
        assert_eq!(seen[1], ("b.txt".into(), b"stored".to_vec()));

        // Written to a pipe: sizes follow the data. The deflated member is
        // read; a stored one of unknown size cannot be, and ends the walk
        // with an error.
        let mut streamed = Vec::new();
        let mut w = zip::ZipWriter::new_stream(&mut streamed);
        add_members(&mut w);
        w.finish().unwrap();
        let (res, seen) = names_and_bodies(&streamed);
        assert_eq!(seen[0], ("a/vmware.log".into(), b"hello\n".to_vec()));
        if let Err(e) = res {
            assert_eq!(e.members, 2);
            assert!(e.message.contains("size after the data"), "{}", e.message);
        } else {
            assert_eq!(seen[1], ("b.txt".into(), b"stored".to_vec()));
        }
    }

    #[test]
    fn damage_is_reported_with_the_member_count() {
        let mut buf = Vec::new();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut buf));
        w.start_file("vmware.log", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&[b'x'; 10_000]).unwrap();
        w.finish().unwrap();
        let (res, _) = names_and_bodies(&buf[..60]);
        let e = res.unwrap_err();
        assert_eq!(e.members, 1);
        assert!(e.message.contains("damaged"), "{}", e.message);
        let (res, _) = names_and_bodies(b"not a zip at all");
        assert_eq!(res.unwrap_err().members, 0);
    }
}
