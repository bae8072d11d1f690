//! Entries assembled line by line, and the members of a container log.
//!
//! The plainest way to read: each line is an entry's first line (its
//! prefix parsed) or continues the entry before it. The reference reader
//! (`simple`) reads everything this way; the fast reader reads lines
//! behind container prefixes this way, as they are few and each needs its
//! prefix taken off before anything else.
//!
//! A container log can hold several services (`docker compose logs`) or
//! pods (`kubectl logs --prefix`): each is a mirror member with its own
//! entries, coverage and startup, so each gets its own [`Lane`] and, at
//! the end, its own [`DbLog`].

use super::super::DbLog;
use super::super::format::{Head, parse_head};
use super::entries::{Entries, Meta, continue_text, is_banner, start_text};
use super::{ReadOptions, empty_log};
use crate::escape::escape_bytes;

/// Services read apart, at most; the lines of any more are read as the
/// log's own (a hostile log cannot make memory grow with them).
const MAX_LANES: usize = 256;

/// An entry being assembled from its first line and continuation lines.
struct Pending {
    meta: Meta,
    text: Vec<u8>,
}

/// Turns lines into entries, one entry open at a time.
#[derive(Default)]
pub(super) struct Assembler {
    pending: Option<Pending>,
}

impl Assembler {
    #[inline]
    pub(super) fn is_open(&self) -> bool {
        self.pending.is_some()
    }

    /// One line: a new entry, or the open entry's next line.
    pub(super) fn line(&mut self, e: &mut Entries<'_>, t: &[u8], number: u64) {
        match parse_head(t) {
            Some(head) => self.head(e, &head, number),
            None if is_banner(t) => {
                self.flush(e);
                e.banner();
            }
            None => self.continuation(t),
        }
    }

    /// A line that starts an entry: the open one ends.
    pub(super) fn head(&mut self, e: &mut Entries<'_>, head: &Head<'_>, number: u64) {
        self.flush(e);
        let Some(time_ms) = e.time_of(head, number) else {
            return;
        };
        let mut text = Vec::new();
        start_text(&mut text, head.message);
        self.pending = Some(Pending {
            meta: Meta {
                time_ms,
                line: number,
                format: head.format,
                severity: head.severity,
            },
            text,
        });
    }

    /// A line that continues the open entry (if any).
    pub(super) fn continuation(&mut self, t: &[u8]) {
        if let Some(p) = self.pending.as_mut() {
            continue_text(&mut p.text, t);
        }
    }

    /// Ends the open entry.
    pub(super) fn flush(&mut self, e: &mut Entries<'_>) {
        if let Some(p) = self.pending.take() {
            e.entry(p.meta, &p.text);
        }
    }
}

/// One service of a container log.
struct Lane<'a> {
    service: Vec<u8>,
    e: Entries<'a>,
    asm: Assembler,
}

/// The services of a container log, each read apart.
pub(super) struct Lanes<'a> {
    opts: &'a ReadOptions<'a>,
    source: String,
    lanes: Vec<Lane<'a>>,
    /// The lane of the last line: services write in runs.
    last: usize,
}

impl<'a> Lanes<'a> {
    pub(super) fn new(source: &str, opts: &'a ReadOptions<'a>) -> Self {
        Lanes {
            opts,
            source: source.to_owned(),
            lanes: Vec::new(),
            last: 0,
        }
    }

    /// Reads line `number` of `service` (its prefix off). A service is
    /// only read apart once it has written an entry: `false` when it has
    /// not and this line starts none either (the line is then the log's
    /// own: a continuation line can look like compose's `name | text`).
    pub(super) fn line(&mut self, service: &[u8], body: &[u8], number: u64) -> bool {
        let at = match self.find(service) {
            Some(i) => i,
            None => {
                if self.lanes.len() >= MAX_LANES || parse_head(body).is_none() {
                    return false;
                }
                self.add(service)
            }
        };
        self.last = at;
        let lane = &mut self.lanes[at];
        lane.e.text_line(body);
        lane.asm.line(&mut lane.e, body, number);
        true
    }

    fn find(&self, service: &[u8]) -> Option<usize> {
        if self
            .lanes
            .get(self.last)
            .is_some_and(|l| l.service == service)
        {
            return Some(self.last);
        }
        self.lanes.iter().position(|l| l.service == service)
    }

    fn add(&mut self, service: &[u8]) -> usize {
        let mut log = empty_log(&self.source, self.opts);
        if self.opts.member.is_none() {
            log.member = escape_bytes(service);
        }
        self.lanes.push(Lane {
            service: service.to_vec(),
            e: Entries::new(log, self.opts),
            asm: Assembler::default(),
        });
        self.lanes.len() - 1
    }

    /// The logs: the log's own lines (`main`), then one per service. When
    /// every entry came from a service, `main` is left out and what it has
    /// to say (a read error, long lines) goes with the first service.
    pub(super) fn finish(self, mut main: Entries<'_>) -> Vec<DbLog> {
        if self.lanes.is_empty() {
            return vec![main.finish()];
        }
        main.has_siblings();
        let main = main.finish();
        let mut out: Vec<DbLog> = self
            .lanes
            .into_iter()
            .map(|mut l| {
                l.asm.flush(&mut l.e);
                l.e.finish()
            })
            .collect();
        if main.entries > 0 {
            out.insert(0, main);
        } else {
            out[0].notes.extend(main.notes);
            out[0].errors.extend(main.errors);
        }
        out
    }
}
