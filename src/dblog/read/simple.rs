//! The reference reader, kept for tests: every line read on its own (its
//! container prefixes off), every entry assembled and classified. [`super::fast`] must give exactly
//! what this gives; it is the plainest statement of what a log means.

use std::io::{BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

use super::super::DbLog;
use super::super::container::unwrap;
use super::super::lines::{Line, Lines, MAX_LINE};
use super::assemble::{Assembler, Lanes};
use super::entries::Entries;
use super::{ReadOptions, empty_log};

/// [`super::read`], the simple way.
pub(super) fn read<R: Read>(input: R, source: &str, opts: &ReadOptions) -> Vec<DbLog> {
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
) -> Vec<DbLog> {
    let mut e = Entries::new(empty_log(source, opts), opts);
    let mut asm = Assembler::default();
    let mut lanes = Lanes::new(source, opts);
    loop {
        let number = lines.number() + 1;
        match lines.next_line() {
            Ok(Some(Line::Text(t))) => {
                e.text_line(t);
                match unwrap(t) {
                    Some(w) => match w.service {
                        Some(s) if lanes.line(s, &w.body, number) => {}
                        Some(_) => asm.line(&mut e, t, number),
                        None => asm.line(&mut e, &w.body, number),
                    },
                    None => asm.line(&mut e, t, number),
                }
            }
            Ok(Some(Line::TooLong)) => e.counts.long.hit(number),
            Ok(None) => break,
            Err(err) => {
                e.read_error(&err, number - 1, gz);
                break;
            }
        }
    }
    asm.flush(&mut e);
    lanes.finish(e)
}
