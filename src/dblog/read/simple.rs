//! The reference reader, kept for tests: every line read on its own,
//! every entry assembled and classified. [`super::fast`] must give exactly
//! what this gives; it is the plainest statement of what a log means.

use std::io::{BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

use super::super::DbFormat;
use super::super::DbLog;
use super::super::format::{Head, parse_head};
use super::super::lines::{Line, Lines, MAX_LINE};
use super::entries::{Entries, Meta, continue_text, start_text};
use super::{ReadOptions, empty_log};
use crate::time::EpochMs;

/// [`super::read`], the simple way.
pub(super) fn read<R: Read>(input: R, source: &str, opts: &ReadOptions) -> DbLog {
    let mut buf = BufReader::with_capacity(MAX_LINE, input);
    let gzip = match buf.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(_) => false,
    };
    if gzip {
        let dec = BufReader::with_capacity(MAX_LINE, MultiGzDecoder::new(buf));
        read_lines(Lines::new(dec), source, opts, true)
    } else {
        read_lines(Lines::new(buf), source, opts, false)
    }
}

fn read_lines<R: BufRead>(
    mut lines: Lines<R>,
    source: &str,
    opts: &ReadOptions,
    gz: bool,
) -> DbLog {
    let mut st = Assembler {
        e: Entries::new(empty_log(source, opts), opts),
        pending: None,
    };
    loop {
        let number = lines.number() + 1;
        match lines.next_line() {
            Ok(Some(Line::Text(t))) => st.text_line(t, number),
            Ok(Some(Line::TooLong)) => st.e.counts.long.hit(number),
            Ok(None) => break,
            Err(e) => {
                st.e.read_error(&e, number - 1, gz);
                break;
            }
        }
    }
    st.flush();
    st.e.finish()
}

/// An entry being assembled from its first line and continuation lines.
struct Pending {
    time_ms: EpochMs,
    line: u64,
    format: DbFormat,
    severity: Option<u8>,
    text: Vec<u8>,
}

/// Turns lines into entries.
struct Assembler<'a> {
    e: Entries<'a>,
    pending: Option<Pending>,
}

impl Assembler<'_> {
    fn text_line(&mut self, t: &[u8], number: u64) {
        self.e.text_line(t);
        match parse_head(t) {
            Some(head) => self.head(head, number),
            None => {
                if let Some(p) = self.pending.as_mut() {
                    continue_text(&mut p.text, t);
                }
            }
        }
    }

    fn head(&mut self, head: Head<'_>, number: u64) {
        self.flush();
        let Some(time_ms) = self.e.time_of(&head, number) else {
            return;
        };
        let mut text = Vec::new();
        start_text(&mut text, head.message);
        self.pending = Some(Pending {
            time_ms,
            line: number,
            format: head.format,
            severity: head.severity,
            text,
        });
    }

    fn flush(&mut self) {
        if let Some(p) = self.pending.take() {
            let m = Meta {
                time_ms: p.time_ms,
                line: p.line,
                format: p.format,
                severity: p.severity,
            };
            self.e.entry(m, &p.text);
        }
    }
}
