//! Lines from a byte stream, in bounded memory.
//!
//! A database log can be hundreds of megabytes, or not a log at all (a
//! binary named `messages.log`): lines are read one at a time into a
//! buffer that never grows past [`MAX_LINE`], and longer lines are
//! skipped and counted rather than held.
//!
//! The reader proper (`dblog::read`) splits its blocks in place by the
//! same rules; this line-at-a-time form is what its tests hold it to.

use std::io::{self, BufRead};

/// Longest line kept; longer ones are counted and skipped. No real
/// database log line comes near it.
pub const MAX_LINE: usize = 64 * 1024;

/// One step of the reader.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A line without its `\n` (and `\r`).
    Text(&'a [u8]),
    /// A line longer than [`MAX_LINE`], skipped.
    TooLong,
}

/// Splits a [`BufRead`] into lines, numbering them from 1.
pub struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    number: u64,
    max: usize,
}

impl<R: BufRead> Lines<R> {
    pub fn new(inner: R) -> Self {
        Self::with_max(inner, MAX_LINE)
    }

    /// Same, with another limit (tests use a small one).
    pub fn with_max(inner: R, max: usize) -> Self {
        Lines {
            inner,
            buf: Vec::with_capacity(256),
            number: 0,
            max,
        }
    }

    /// Number of the line last returned (0 before the first).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The next line, `None` at the end. An I/O error (e.g. a corrupt
    /// gzip stream) ends the reading; lines before it were returned.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let (chunk, used, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], i + 1, true),
                None => (avail, avail.len(), false),
            };
            if !too_long && self.buf.len() + chunk.len() <= self.max {
                self.buf.extend_from_slice(chunk);
            } else {
                too_long = true;
                self.buf.clear();
            }
            self.inner.consume(used);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if too_long {
            return Ok(Some(Line::TooLong));
        }
        let text = self.buf.strip_suffix(b"\r").unwrap_or(&self.buf);
        Ok(Some(Line::Text(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Vec<Option<Vec<u8>>> {
        // A tiny BufReader capacity makes lines cross buffer refills.
        let r = io::BufReader::with_capacity(3, input);
        let mut l = Lines::with_max(r, max);
        let mut out = Vec::new();
        while let Some(line) = l.next_line().unwrap() {
            out.push(match line {
                Line::Text(t) => Some(t.to_vec()),
                Line::TooLong => None,
            });
        }
        out
    }

    #[test]
    fn splits_and_strips_cr() {
        let got = all(b"ab\r\ncd\n\nlast", 100);
        let want: Vec<Option<Vec<u8>>> = vec![
            Some(b"ab".to_vec()),
            Some(b"cd".to_vec()),
            Some(vec![]),
            Some(b"last".to_vec()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn long_lines_are_skipped_and_numbered() {
        let input = b"short\n0123456789abc\nok\n0123456789";
        let r = io::BufReader::with_capacity(4, &input[..]);
        let mut l = Lines::with_max(r, 8);
        assert_eq!(l.next_line().unwrap(), Some(Line::Text(b"short")));
        assert_eq!(l.next_line().unwrap(), Some(Line::TooLong));
        assert_eq!(l.next_line().unwrap(), Some(Line::Text(b"ok")));
        assert_eq!(l.number(), 3);
        assert_eq!(l.next_line().unwrap(), Some(Line::TooLong));
        assert_eq!(l.next_line().unwrap(), None);
    }

    #[test]
    fn empty_input() {
        assert!(all(b"", 10).is_empty());
        assert_eq!(all(b"\n", 10), vec![Some(vec![])]);
    }
}
