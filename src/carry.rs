//! Whole lines out of a stream read in chunks of any size.
//!
//! Both log readers (VMware logs in [`crate::vmlog::scan`], database logs in
//! [`crate::dblog`]) search whole lines in place, in the buffer they were
//! read into; only a line cut by a chunk boundary is copied, and a line
//! longer than the reader's limit is skipped, never grown into.

/// What a chunk yields, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// One or more whole lines, each ending in `\n` (the stream's last line
    /// may lack it, from [`LineCarry::finish`]).
    Lines(&'a [u8]),
    /// One line longer than the limit, skipped.
    Long,
}

/// The start of a line whose end has not arrived yet.
#[derive(Debug, Default)]
pub struct LineCarry {
    carry: Vec<u8>,
    /// Discarding the rest of a line longer than the limit.
    skipping: bool,
}

impl LineCarry {
    /// Feeds the next chunk; `emit` gets its whole lines and its over-long
    /// lines (when their end arrives) in order.
    pub fn feed(&mut self, mut chunk: &[u8], limit: usize, mut emit: impl FnMut(Piece<'_>)) {
        // First finish the line begun in an earlier chunk.
        if self.skipping || !self.carry.is_empty() {
            let Some(nl) = memchr::memchr(b'\n', chunk) else {
                if !self.skipping {
                    self.carry.extend_from_slice(chunk);
                    self.check(limit);
                }
                return;
            };
            // The limit is on a line's bytes without its newline.
            if std::mem::take(&mut self.skipping) || self.carry.len() + nl > limit {
                emit(Piece::Long);
            } else {
                self.carry.extend_from_slice(&chunk[..=nl]);
                emit(Piece::Lines(&self.carry));
            }
            self.carry.clear();
            chunk = &chunk[nl + 1..];
        }
        match memchr::memrchr(b'\n', chunk) {
            Some(last) => {
                emit(Piece::Lines(&chunk[..=last]));
                self.carry.extend_from_slice(&chunk[last + 1..]);
            }
            None => self.carry.extend_from_slice(chunk),
        }
        self.check(limit);
    }

    /// A line that has outgrown the limit: drop what is held of it.
    fn check(&mut self, limit: usize) {
        if self.carry.len() > limit {
            self.carry.clear();
            self.skipping = true;
        }
    }

    /// The end of the stream: the last line if it had no newline.
    pub fn finish(&mut self, mut emit: impl FnMut(Piece<'_>)) {
        if std::mem::take(&mut self.skipping) {
            emit(Piece::Long);
        } else if !self.carry.is_empty() {
            emit(Piece::Lines(&self.carry));
            self.carry.clear();
        }
    }

    /// The held start of a line, and whether it was too long to hold
    /// (a vm-support fragment keeps it as its cut tail).
    pub fn take(&mut self) -> (Vec<u8>, bool) {
        (
            std::mem::take(&mut self.carry),
            std::mem::take(&mut self.skipping),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `data` in chunks of `n` and lists what came out.
    fn pieces(data: &[u8], n: usize, limit: usize) -> Vec<Option<Vec<u8>>> {
        let mut c = LineCarry::default();
        let mut out = Vec::new();
        let mut push = |p: Piece<'_>| {
            out.push(match p {
                Piece::Lines(l) => Some(l.to_vec()),
                Piece::Long => None,
            })
        };
        for chunk in data.chunks(n) {
            c.feed(chunk, limit, &mut push);
        }
        c.finish(&mut push);
        out
    }

    #[test]
    fn the_same_lines_whatever_the_chunks() {
        let data = b"a\nbb\nccc\n0123456789abcdef\ndd\ne";
        for n in 1..data.len() + 1 {
            let got: Vec<Option<Vec<u8>>> = pieces(data, n, 8);
            let mut lines: Vec<Option<Vec<u8>>> = Vec::new();
            for p in got {
                match p {
                    Some(l) => {
                        lines.extend(l.split_inclusive(|&c| c == b'\n').map(|s| Some(s.to_vec())))
                    }
                    None => lines.push(None),
                }
            }
            let want: Vec<Option<Vec<u8>>> = vec![
                Some(b"a\n".to_vec()),
                Some(b"bb\n".to_vec()),
                Some(b"ccc\n".to_vec()),
                None,
                Some(b"dd\n".to_vec()),
                Some(b"e".to_vec()),
            ];
            // A line over the limit inside one chunk is the reader's to
            // judge; one that crosses a chunk is skipped here.
            let long_whole = Some(b"0123456789abcdef\n".to_vec());
            let fixed: Vec<Option<Vec<u8>>> = lines
                .into_iter()
                .map(|l| if l == long_whole { None } else { l })
                .collect();
            assert_eq!(fixed, want, "chunks of {n}");
        }
    }
}
