//! The reader: blocks of the log searched in place, only the entries that
//! can be events assembled.
//!
//! A large `messages.log` is almost all routine entries, and an entry can
//! only be an event (or the startup entry a takeover is checked against)
//! if its text holds one of a few words. So each block is searched for
//! those words at once ([`NEEDLES`], Teddy SIMD via `aho-corasick`, the
//! way [`crate::vmlog::scan`] searches vmware.log), and only an entry with a hit
//! in one of its lines is assembled and classified. The rest of the work
//! per line is what the log's coverage and notes need from every entry:
//! whether the line starts an entry, and the entry's time. A
//! `messages.log` line in the same wall-clock hour as the entry before
//! (the same first 11 bytes, `MM/DD/YY-HH`) takes that hour's UTC start
//! plus its minutes, seconds and milliseconds — exactly what resolving
//! it in the zone would give, as the hour has one offset throughout — and
//! any other line is parsed and resolved in full.
//!
//! Memory: one 64 KiB block (and its lowercased copy), the line cut by a
//! block's end (dropped once it is longer than [`MAX_LINE`] bytes: such a
//! line is skipped), and the text of the current entry (at most
//! [`MAX_ENTRY`] bytes).
//! The blocks are the [`BufRead`]'s own, read as the line reader read
//! them, so a corrupt gzip stream ends at the same line.

use crate::carry::{LineCarry, Piece};
use std::io::{self, BufRead};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind, packed};

use super::super::container::unwrap;
use super::super::format::{parse_head, pid_severity};
use super::super::lines::MAX_LINE;
use super::super::{DbFormat, DbLog};
use super::assemble::{Assembler, Lanes};
use super::entries::{Entries, Meta, continue_text, is_banner, start_text};
use super::{MAX_ENTRY, ReadOptions};
use crate::time::{EpochMs, digits};
use crate::zone::{Civil, LocalTime, Zone};

/// Words that every entry that [`classify`](super::super::classify::classify)
/// makes an event or a startup must hold in one of its lines, ASCII case
/// ignored: for each of its patterns, one word of the pattern (or a part
/// of one), chosen rare and with rare first bytes for the SIMD search. A
/// pattern's words can be split over an entry's lines (continuation lines
/// are joined with a space), but no word is ever split, so a word found
/// in no line means the pattern is not in the entry. Letters only: the
/// search runs over the block with every byte OR 0x20, which lowercases
/// ASCII letters and maps no other byte to one.
///
/// The first [`PHRASES`] are parts of the patterns that make an event at
/// any severity (and of startup entries); the others, of the words
/// (`mirror`, `arbiter`, …) that only make a `mirror` event in a
/// `messages.log` entry of severity 1 or more, so the chatter of severity
/// 0 that names the mirror is not assembled. Where a phrase's part and a
/// word's begin at the same byte (`irrorclient`, `irror`) the phrase's,
/// listed first, is found.
const NEEDLES: [&str; 16] = [
    // becoming primary mirror server / becoming backup
    "ecoming",
    // cannot become primary (the first bytes of "ecoming", which the SIMD
    // search already looks for: no more places to check)
    "ecome",
    // MirrorClient: Connected to primary
    "irrorclient",
    // Backup.General.ExternalFreeze: System suspended
    "lfreeze",
    // Backup.General.ExternalThaw: System resumed
    "lthaw",
    // Startup of InterSystems IRIS / Startup of Caché
    "rtup",
    // System initialized
    "nitialized",
    // Recovery started
    "ecovery",
    // $SNAPLOG: <INST> IS FROZEN / IS THAWED / FREEZE FAILED / THAW FAILED
    "rozen",
    "hawed",
    "failed",
    // The words.
    "irror",
    "rbiter",
    "ailover",
    "rouble",
    "rimary",
];
const PHRASES: usize = 11;

/// The SIMD searcher itself (Teddy, leftmost-first), without the
/// automaton around it: less work per search, and a block of a
/// `messages.log` is searched again after every hit. Where it cannot be
/// built, an automaton with the same needles.
enum Finder {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
    None,
}

static SEARCHER: LazyLock<Finder> = LazyLock::new(|| {
    if let Some(s) = packed::Config::new()
        .match_kind(packed::MatchKind::LeftmostFirst)
        .builder()
        .extend(NEEDLES)
        .build()
    {
        return Finder::Packed(s);
    }
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::DFA))
        .build(NEEDLES)
        .map_or(Finder::None, Finder::Automaton)
});

/// What a line holds of the [`NEEDLES`].
#[derive(Debug, Clone, Copy, Default)]
struct Hits {
    phrase: bool,
    word: bool,
}

/// A wall-clock hour of `messages.log` entries with one UTC offset.
struct Hour {
    /// `MM/DD/YY-HH`, as the lines write it.
    key: [u8; 11],
    /// UTC milliseconds of the hour's start.
    base: EpochMs,
}

/// The entry being read, its text copied only when needed.
#[derive(Default)]
struct Pending {
    /// An entry is being read (the fields below are its).
    open: bool,
    meta: Meta,
    /// The entry's first line (start and end in the current block), its
    /// message not yet copied to `text`.
    head: Option<(usize, usize)>,
    /// Where the continuation lines not yet copied start, in the current
    /// block.
    from: usize,
    /// The text copied so far; the buffer is reused from entry to entry.
    text: Vec<u8>,
    /// A line of the entry holds a needle that can make it an event.
    candidate: bool,
    /// The mirror words can make it an event (a `messages.log` entry of
    /// severity 1 or more).
    words: bool,
}

struct Scanner<'a> {
    e: Entries<'a>,
    zone: &'a Zone,
    pending: Pending,
    /// An entry of the log's own that began behind a container prefix
    /// (`[INFO] log: `, a `--timestamps` time, a JSON-file line): read
    /// line by line. At most one of it and `pending` is open.
    wrapped: Assembler,
    /// The services of a container log, each read apart.
    lanes: Lanes<'a>,
    hour: Option<Hour>,
    /// Lines read.
    lines: u64,
    /// The line cut by the end of the last block.
    carry: LineCarry,
    /// The block being read, lowercased.
    lower: Vec<u8>,
}

/// Reads a database log from `input` (already decompressed): its own
/// entries, then those of each service of a container log.
pub(super) fn read<'a, R: BufRead>(
    mut input: R,
    e: Entries<'a>,
    opts: &'a ReadOptions<'a>,
    gz: bool,
) -> Vec<DbLog> {
    let mut s = Scanner {
        lanes: Lanes::new(&e.log.source, opts),
        e,
        zone: opts.zone,
        pending: Pending::default(),
        wrapped: Assembler::default(),
        hour: None,
        lines: 0,
        carry: LineCarry::default(),
        lower: Vec::new(),
    };
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                // The line cut short is not read, as the line reader did.
                s.e.read_error(&err, s.lines, gz);
                break;
            }
        };
        if chunk.is_empty() {
            s.eof();
            break;
        }
        let n = chunk.len();
        s.feed(chunk);
        input.consume(n);
    }
    s.flush(&[], 0);
    s.wrapped.flush(&mut s.e);
    s.lanes.finish(s.e)
}

impl Scanner<'_> {
    fn feed(&mut self, chunk: &[u8]) {
        let mut carry = std::mem::take(&mut self.carry);
        carry.feed(chunk, MAX_LINE, |p| self.piece(p));
        self.carry = carry;
    }

    /// The end of the log: a last line without a newline still counts.
    fn eof(&mut self) {
        let mut carry = std::mem::take(&mut self.carry);
        carry.finish(|p| self.piece(p));
    }

    /// Whole lines are read; a line over the limit is only counted.
    fn piece(&mut self, piece: Piece<'_>) {
        match piece {
            Piece::Lines(lines) => self.block(lines),
            Piece::Long => {
                self.lines += 1;
                self.e.counts.long.hit(self.lines);
            }
        }
    }

    /// Reads a block of whole lines (each ending in `\n`, but the log's
    /// last).
    fn block(&mut self, block: &[u8]) {
        // Taken out for the loop, which needs `self` mutable; put back
        // (with its allocation) at the end.
        let mut lower = std::mem::take(&mut self.lower);
        lower.clear();
        lower.extend(block.iter().map(|b| b | 0x20));
        let mut hit = next_hit(&lower, 0);
        let mut pos = 0;
        while pos < block.len() {
            let end = memchr::memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i);
            let mut hits = Hits::default();
            while let Some((at, phrase)) = hit
                && at < end
            {
                if phrase {
                    // Nothing more to learn from this line.
                    hits.phrase = true;
                    hit = next_hit(&lower, (end + 1).min(block.len()));
                    break;
                }
                // A phrase may still begin further on.
                hits.word = true;
                hit = next_hit(&lower, at + 1);
            }
            self.line(block, pos, end, hits);
            pos = end + 1;
        }
        // The block is about to go: keep what the pending entry has in it.
        if self.pending.open {
            copy_text(&mut self.pending, block, block.len());
            self.pending.from = 0;
        }
        self.lower = lower;
    }

    /// One line, `block[start..end]` (without its `\n`).
    fn line(&mut self, block: &[u8], start: usize, end: usize, hits: Hits) {
        self.lines += 1;
        let number = self.lines;
        let raw = &block[start..end];
        if raw.len() > MAX_LINE {
            self.e.counts.long.hit(number);
            return;
        }
        let t = raw.strip_suffix(b"\r").unwrap_or(raw);
        self.e.text_line(t);
        if let Some((time_ms, severity)) = self.same_hour(t) {
            self.e.track_order(time_ms, number);
            let meta = Meta {
                time_ms,
                line: number,
                format: DbFormat::Messages,
                severity: Some(severity),
            };
            self.start(block, (start, end), meta, hits);
            return;
        }
        let Some(head) = parse_head(t) else {
            if self.wrapped_line(block, (start, end), t, number) {
                return;
            }
            if is_banner(t) {
                self.banner(block, start);
                return;
            }
            // A continuation line.
            if self.wrapped.is_open() {
                self.wrapped.continuation(t);
                return;
            }
            let p = &mut self.pending;
            p.candidate |= hits.phrase || (hits.word && p.words);
            return;
        };
        let Some(time_ms) = self.e.time_of(&head, number) else {
            // An impossible date ends the entry before; its own lines are
            // dropped.
            self.flush(block, start);
            self.wrapped.flush(&mut self.e);
            return;
        };
        if head.format == DbFormat::Messages
            && head.zone.is_none()
            && let Some(key) = t.get(..11).and_then(|k| <[u8; 11]>::try_from(k).ok())
            && key[0].is_ascii_digit()
        {
            self.hour = hour_base(self.zone, head.civil).map(|base| Hour { key, base });
        }
        let meta = Meta {
            time_ms,
            line: number,
            format: head.format,
            severity: head.severity,
        };
        self.start(block, (start, end), meta, hits);
    }

    /// The time and severity of a `messages.log` line in the hour of the
    /// last one resolved, when it is one (else the line is parsed in full).
    fn same_hour(&self, t: &[u8]) -> Option<(EpochMs, u8)> {
        let hour = self.hour.as_ref()?;
        if t.len() < 23 || t[..11] != hour.key {
            return None;
        }
        if t[11] != b':' || t[14] != b':' || t[17] != b':' || t[21] != b' ' {
            return None;
        }
        let minute = digits(&t[12..], 2)?;
        let second = digits(&t[15..], 2)?;
        let milli = digits(&t[18..], 3)?;
        if minute >= 60 || second >= 60 {
            return None;
        }
        let (severity, _) = pid_severity(&t[22..])?;
        let ms = i64::from(minute) * 60_000 + i64::from(second) * 1000 + i64::from(milli);
        Some((hour.base + ms, severity))
    }

    /// A line behind container prefixes (see [`unwrap`]), read line by
    /// line: a service's goes to its lane, the log's own to `wrapped` (or,
    /// when it continues an entry the fast way began, to that entry).
    /// `false`: the line has no prefix, or only looks like it has. Kept
    /// out of line: a plain log's lines never get here but as continuation
    /// lines, and the hot path stays small.
    #[cold]
    #[inline(never)]
    fn wrapped_line(&mut self, block: &[u8], line: (usize, usize), t: &[u8], n: u64) -> bool {
        let Some(w) = unwrap(t) else {
            return false;
        };
        if let Some(service) = w.service {
            if !self.lanes.line(service, &w.body, n) {
                return false;
            }
            // Not a line of the entry the fast way is reading.
            let p = &mut self.pending;
            if p.open {
                copy_text(p, block, line.0);
                p.from = line.1 + 1;
            }
            return true;
        }
        match parse_head(&w.body) {
            Some(head) => {
                self.flush(block, line.0);
                self.wrapped.head(&mut self.e, &head, n);
            }
            None if is_banner(&w.body) => self.banner(block, line.0),
            None if self.pending.open => {
                let p = &mut self.pending;
                copy_text(p, block, line.0);
                continue_text(&mut p.text, &w.body);
                p.from = line.1 + 1;
                // Its needles were looked for behind the prefix: classify
                // the entry whatever they said.
                p.candidate = true;
            }
            None => self.wrapped.continuation(&w.body),
        }
        true
    }

    /// A recovery banner at `at` of `block`: the entry before ends there.
    #[cold]
    #[inline(never)]
    fn banner(&mut self, block: &[u8], at: usize) {
        self.flush(block, at);
        self.wrapped.flush(&mut self.e);
        self.e.banner();
        // The next entry's time is the startup's: resolved in full.
        self.hour = None;
    }

    /// A new entry begins at `line` of `block`.
    fn start(&mut self, block: &[u8], line: (usize, usize), meta: Meta, hits: Hits) {
        self.flush(block, line.0);
        // Every entry starts here: the call only when there is one.
        if self.wrapped.is_open() {
            self.wrapped.flush(&mut self.e);
        }
        let p = &mut self.pending;
        p.open = true;
        p.meta = meta;
        p.head = Some(line);
        p.from = line.1 + 1;
        p.words = meta.format == DbFormat::Messages && meta.severity.is_some_and(|s| s >= 1);
        p.candidate = hits.phrase || (hits.word && p.words);
    }

    /// Ends the pending entry, whose lines in `block` end at `upto`: if a
    /// line of it held a needle, classifies it.
    fn flush(&mut self, block: &[u8], upto: usize) {
        let p = &mut self.pending;
        if !p.open {
            return;
        }
        p.open = false;
        if p.candidate {
            copy_text(p, block, upto);
            self.e.entry(p.meta, &p.text);
        }
        p.head = None;
        p.text.clear();
    }
}

/// Where the next needle starts in the lowercased block, at or after
/// `from`, and whether it is a phrase's.
fn next_hit(lower: &[u8], from: usize) -> Option<(usize, bool)> {
    let span = from..lower.len();
    let m = match &*SEARCHER {
        Finder::Packed(s) => s.find_in(lower, span.into()),
        Finder::Automaton(ac) => ac.find(Input::new(lower).span(span)),
        // Never: the needles are fixed. Then every line is an entry's
        // that may be an event.
        Finder::None => return (from < lower.len()).then_some((from, true)),
    };
    m.map(|m| (m.start(), m.pattern().as_usize() < PHRASES))
}

/// Copies the pending entry's lines in `block` (up to `upto`) to its text,
/// as the reference assembles it.
fn copy_text(p: &mut Pending, block: &[u8], upto: usize) {
    if let Some((start, end)) = p.head.take() {
        let raw = &block[start..end];
        let t = raw.strip_suffix(b"\r").unwrap_or(raw);
        match parse_head(t) {
            Some(head) => start_text(&mut p.text, head.message),
            None => p.text.clear(),
        }
    }
    let mut pos = p.from;
    while pos < upto && p.text.len() < MAX_ENTRY {
        let end = memchr::memchr(b'\n', &block[pos..upto]).map_or(upto, |i| pos + i);
        let raw = &block[pos..end];
        if raw.len() <= MAX_LINE {
            continue_text(&mut p.text, raw.strip_suffix(b"\r").unwrap_or(raw));
        }
        pos = end + 1;
    }
    p.from = upto;
}

/// UTC milliseconds of the start of `c`'s wall-clock hour, when the hour
/// has one offset throughout (as [`crate::zone::Resolver`] finds it):
/// then every time in it is that start plus its minutes, seconds and
/// milliseconds.
fn hour_base(zone: &Zone, c: Civil) -> Option<EpochMs> {
    let first = Civil {
        minute: 0,
        second: 0,
        milli: 0,
        ..c
    };
    let last = Civil {
        minute: 59,
        second: 59,
        milli: 999,
        ..c
    };
    match (zone.resolve(first)?, zone.resolve(last)?) {
        (LocalTime::Unique(a), LocalTime::Unique(b)) if b - a == 3_599_999 => Some(a),
        _ => None,
    }
}
