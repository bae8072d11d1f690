//! Streaming search of one log: bytes in, records out.
//!
//! The log is read in large blocks; a multi-literal search (Teddy SIMD via
//! `aho-corasick`, the searcher ripgrep uses) finds the few lines that can
//! matter — stuns and the markers that name the VM and the operation — and
//! only those lines are parsed. Memory is one block plus the records kept,
//! whatever the log's size; a line longer than a block is skipped, never
//! buffered.

use std::io::{self, Read};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use super::header::{self, Header, LineTime};
use super::markers::{CONSOLIDATE_OPEN_MS, FRESH_MS, Message, OpKind, OpMarker, Phase};
use super::stun::{self, SkipReason};
use crate::carry::{LineCarry, Piece};
use crate::escape::{Name, escape_name};

/// Block size for reads. Lines longer than this cannot be a stun record (a
/// stun line is under 200 bytes), so they are skipped rather than grown into.
pub const BLOCK: usize = 256 * 1024;

/// The index in [`NEEDLES`] of the stun record's needle.
const STUN_NEEDLE: usize = 0;

/// The literals whose presence makes a line worth parsing: every row of
/// the marker table ([`MARKERS`](super::markers::MARKERS)) holds one (a
/// test checks it), and so does the stun record. The product banner is
/// recognised but reported nowhere, so it is not searched for.
///
/// This search is most of the reading's time, and its cost is the number
/// of needles first: Teddy spreads them over 8 buckets, and every byte
/// that matches a bucket's masks is a candidate to verify, so each needle
/// added costs every byte of every log. One needle per family of rows,
/// not one per row: `napshot` for every `Snapshot…` row (and
/// `[msg.snapshot.quiesce.`), `eset` for every reset row. Measured with
/// callgrind on 100 MB of logs, these 12 needles take 204 million
/// instructions in all, against 238 million for the 15 they replace and
/// 225 million for 18 rarer ones that hand the parser a third fewer lines.
/// The VM's name key is searched for in both spellings real logs write,
/// `ayName` and `ayname` (callgrind, `-j 1 -q` on the 100 MB, 400-file
/// tree: 159.2 million instructions with `ayName` alone, 165.0 with both,
/// 170.6 with one `isplay` and 172.1 with `yName`/`yname`).
/// Each needle starts with bytes that are rare in logs where there is a
/// choice (`quiesce`, not `ToolsBackup`'s `olsBack`: `ols` is in every
/// `tools` line).
///
/// Teddy's cost per byte also grows with the length of its fingerprint,
/// the shortest needle's length up to 4: `ot-` (for `hot-remove`) makes it
/// 3 bytes instead of 4, about 1.9 times as fast on real logs for 0.6 %
/// more candidate lines. Two bytes (`t-`) gain little more and hand the
/// parser 14 % more lines.
///
/// A needle found is checked against the marker texts around it before
/// its line is parsed ([`worth_parsing`]), so a needle common in other
/// words costs a comparison per hit, not a parse; the cost that stays is
/// the search's, per byte and per needle (`docs/performance.md`).
pub(super) const NEEDLES: [&str; 13] = [
    "Unstun:",
    // Every `Snapshot…` row, `SNAPSHOT: SnapshotPrepare…` and
    // `[msg.snapshot.quiesce.`.
    "napshot", "nsolidat", "igrate", "ot-", "otplug", "tPlugM",
    // Every reset row: `Reset`, `reset`, `Resetting`.
    "eset", "uming v", "quiesce", "ayName", "ayname", "tname=",
];

/// A text's length and its first and last 8 bytes, folded: equal texts
/// have equal keys, and texts of one log that differ nearly always differ
/// in these (a snapshot's name, a time, a number near the end), so a key
/// compared first spares most byte-by-byte comparisons.
fn text_key(text: &[u8]) -> u64 {
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(w)
    };
    let n = text.len();
    let head = word(&text[..n.min(8)]);
    let tail = word(&text[n.saturating_sub(8)..]);
    (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ head ^ tail.rotate_left(29)
}

/// Room for records made at the start of a log's scan.
const RECORDS_AT_FIRST: usize = 32;

/// How many recent marker texts a log's scan compares a new one with.
const SHARED_TEXTS: usize = 32;

/// The first bytes of a log kept for recognising the same log read twice
/// (a log's first lines hold its start to the millisecond and the VMX's
/// process id).
pub const HEAD_BYTES: usize = 256;

/// The search for [`NEEDLES`]: Teddy itself where the CPU has it (the
/// packed searcher, without the automaton around it: on the 100 MB test
/// tree that layer cost 4 % of the search), the automaton elsewhere.
enum Searcher {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Searcher {
    /// The first needle found at or after `pos`: where, and which.
    fn find(&self, hay: &[u8], pos: usize) -> Option<(usize, usize)> {
        let m = match self {
            Searcher::Packed(p) => p.find_in(hay, aho_corasick::Span::from(pos..hay.len())),
            Searcher::Automaton(a) => a.find(Input::new(hay).span(pos..hay.len())),
        }?;
        Some((m.start(), m.pattern().as_usize()))
    }
}

fn searcher() -> &'static Searcher {
    static SEARCHER: OnceLock<Searcher> = OnceLock::new();
    SEARCHER.get_or_init(|| {
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(NEEDLES)
            .build();
        match packed {
            Some(p) => Searcher::Packed(p),
            None => Searcher::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(NEEDLES)
                    .expect("static needles build"),
            ),
        }
    })
}

/// Where a needle sits in a text a marker line must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Anchor {
    text: &'static [u8],
    /// The needle's offset in `text`.
    at: usize,
}

/// For each needle, the texts of [`super::markers::anchors`] that hold it
/// and where.
fn anchors() -> &'static [Vec<Anchor>] {
    static ANCHORS: OnceLock<Vec<Vec<Anchor>>> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        NEEDLES
            .iter()
            .map(|n| {
                let mut found: Vec<Anchor> = super::markers::anchors()
                    .flat_map(|text| {
                        memchr::memmem::find_iter(text, n.as_bytes())
                            .map(move |at| Anchor { text, at })
                    })
                    .collect();
                found.sort_unstable();
                found.dedup();
                found
            })
            .collect()
    })
}

/// The line around a hit: where it starts, where its newline (or the
/// block's end) is.
#[derive(Debug, Clone, Copy)]
struct HitLine {
    start: usize,
    end: usize,
    /// Whether the line names the VM (see [`worth_parsing`]), once asked.
    names_vm: Option<bool>,
}

impl HitLine {
    fn around(block: &[u8], hit: usize) -> Self {
        HitLine {
            start: memchr::memrchr(b'\n', &block[..hit]).map_or(0, |i| i + 1),
            end: memchr::memchr(b'\n', &block[hit..]).map_or(block.len(), |i| hit + i),
            names_vm: None,
        }
    }

    /// Whether the line names the VM: looked for once per line, however
    /// many needles it holds.
    fn names_vm(&mut self, block: &[u8]) -> bool {
        *self
            .names_vm
            .get_or_insert_with(|| super::markers::names_the_vm(&block[self.start..self.end]))
    }
}

/// Whether a line where needle `needle` was found at column `col` may
/// mean something, so is worth parsing. Most lines holding a needle hold
/// it in other words (`CPU reset: soft` for `eset`); a marker line holds
/// one of the marker texts around the needle, all of it on the line (a
/// header split over two lines is cut before its message). Stun lines are
/// always parsed: one that is not a stun is counted as a skipped stun
/// line. So is a `DICT` line with the VM's name: its key is read in any
/// letter case, and one that no needle spells (`DISPLAYNAME`) may hold a
/// needle elsewhere.
fn worth_parsing(line: &[u8], col: usize, needle: usize, names_vm: impl FnOnce() -> bool) -> bool {
    needle == STUN_NEEDLE
        || anchors()[needle].iter().any(|a| {
            // The first byte first: it tells most texts apart, and a
            // comparison call per text cost more than the check saved.
            col.checked_sub(a.at)
                .and_then(|start| line.get(start..start + a.text.len()))
                .is_some_and(|w| w[0] == a.text[0] && w == a.text)
        })
        || names_vm()
}

/// An operation marker, owned (see [`super::markers::OpMarker`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub kind: OpKind,
    pub phase: Phase,
    pub generic: bool,
    pub snapshot: Option<Name>,
    pub quiesced: Option<bool>,
    /// The marker's message, escaped: the evidence shown for the kind it
    /// decides. Equal texts of one log share one allocation.
    pub text: Name,
}

/// A quiesce line, owned (see [`super::markers::QuiesceLine`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quiesce {
    /// Leaves `IDLE`.
    pub begins: bool,
    /// Returns to `IDLE`, or a message that ends the quiescing.
    pub ends: bool,
    /// The timeout message.
    pub timed_out: bool,
    /// An error state or an error message.
    pub failed: bool,
    /// The message, escaped.
    pub text: Name,
}

/// What a kept line said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// A stun of `us` microseconds; `text` is the original line, escaped,
    /// when the scan keeps it (only `--format raw` shows it: kept for every
    /// stun, it would be the biggest part of an event's memory), else empty.
    Stun {
        us: u64,
        text: Name,
    },
    Op(Op),
    Quiesce(Quiesce),
    /// The message of the line logged just before a stun that no marker
    /// will decide: what the VM was doing, shown as the evidence of an
    /// `unknown` cluster. Kept only for such stuns (see
    /// [`Scanner::needs_context`]): for every stun it would double an
    /// event's memory.
    Context(Name),
    DisplayName(Name),
    Hostname(Name),
}

/// One kept line of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub time: LineTime,
    /// 1-based line number (from a `grep -n` prefix when there is one).
    pub line_no: u64,
    /// Index into [`ScanResult::origins`] plus one; 0 = the log itself.
    pub origin: u32,
    pub kind: RecordKind,
}

/// A problem with one line (not with the stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line_no: u64,
    pub message: String,
}

/// Lines holding the stun words that were not counted, for one reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    pub count: u64,
    /// Line number of the first such line.
    pub first_line: u64,
}

/// The cut ends of one vm-support fragment, joined with its neighbours'
/// once every fragment of the log has been scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FragmentEnds {
    /// The bytes before the first newline (all bytes when there is none).
    pub head: Vec<u8>,
    /// The bytes after the last newline.
    pub tail: Vec<u8>,
    /// Whether the fragment held a newline at all.
    pub has_newline: bool,
    /// A cut end longer than [`BLOCK`] was dropped: the line it belongs to
    /// cannot be a stun.
    pub long: bool,
    /// The last whole line before the tail, when the fragment has whole
    /// lines after its head and that line is short enough to keep: the
    /// line before a stun cut across this fragment and the next.
    pub before_tail: Option<Vec<u8>>,
    /// Where in the records a stun on the fragment's first whole line is
    /// (one of the log's own lines: no grep prefix, no syslog envelope):
    /// the line before it is the one cut between this fragment and the one
    /// before, which only the stitching sees whole.
    pub first_line_stun: Option<usize>,
}

/// Another log whose lines a file holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A saved-grep prefix: the file the lines were grepped from.
    Grep(Vec<u8>),
    /// A syslog envelope: the host (HOSTNAME) and the VM (TAG or
    /// APP-NAME, its syslogID) that forwarded the lines.
    Forwarded { host: Vec<u8>, app: Vec<u8> },
}

/// Everything one log yielded.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub records: Vec<Record>,
    pub line_errors: Vec<LineError>,
    /// Where lines that are not the log's own came from (saved-grep
    /// prefixes, syslog envelopes), in order of first appearance.
    pub origins: Vec<Origin>,
    pub bytes: u64,
    pub lines: u64,
    /// Lines longer than [`BLOCK`], skipped unparsed.
    pub long_lines: u64,
    /// Lines with the stun words that are not stuns, by [`SkipReason`]
    /// (in the order of [`SkipReason::ALL`]).
    pub skipped: [Skipped; 4],
    /// The first [`HEAD_BYTES`] bytes.
    pub head: Vec<u8>,
    /// Set when scanned as a fragment: its cut first and last lines.
    pub ends: Option<FragmentEnds>,
    /// Stuns right after a logged line that is not a stun. None in a
    /// *stun-only* source (saved `grep Unstun` output, an excerpt of stun
    /// lines), where nothing but the pattern of the stuns can tell a kind.
    pub preceded: u64,
}

impl ScanResult {
    /// Skipped stun lines of every reason.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|s| s.count).sum()
    }

    /// Counts a skipped stun line.
    pub fn skip(&mut self, reason: SkipReason, line_no: u64) {
        let s = &mut self.skipped[reason as usize];
        if s.count == 0 {
            s.first_line = line_no;
        }
        s.count += 1;
    }
}

/// A read error part-way through a log.
#[derive(Debug)]
pub struct StreamError {
    pub error: io::Error,
    /// Bytes of this log successfully read before the error.
    pub bytes_read: u64,
}

/// Scans `reader` to its end, keeping the text of stun lines. Records found
/// before a read error are kept in the result even when the error is
/// returned.
pub fn scan<R: Read>(reader: R) -> (ScanResult, Option<StreamError>) {
    scan_as(reader, false, true)
}

/// [`scan`], as a vm-support fragment when `fragment` is set (see
/// [`Scanner::fragment`]), keeping the stun lines' text when `keep_text`.
pub fn scan_as<R: Read>(
    mut reader: R,
    fragment: bool,
    keep_text: bool,
) -> (ScanResult, Option<StreamError>) {
    thread_local! {
        // One read buffer per thread, reused for every log: a fresh 256 KiB
        // allocation per file costs a zeroing pass and page faults.
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; BLOCK]);
    }
    let scanner = Scanner::new(fragment, keep_text);
    BUF.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => scan_with(scanner, &mut reader, &mut buf),
        Err(_) => scan_with(scanner, &mut reader, &mut vec![0u8; BLOCK]),
    })
}

fn scan_with<R: Read>(
    mut scanner: Scanner,
    reader: &mut R,
    buf: &mut [u8],
) -> (ScanResult, Option<StreamError>) {
    loop {
        match reader.read(buf) {
            Ok(0) => return (scanner.finish(), None),
            Ok(n) => scanner.feed(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                let res = scanner.abandon();
                let bytes_read = res.bytes;
                return (res, Some(StreamError { error, bytes_read }));
            }
        }
    }
}

/// An incremental scan of one log: feed it the log's bytes in chunks of
/// any size, then [`Scanner::finish`]. Whole lines are searched in place;
/// only a line cut by a chunk boundary is copied (at most [`BLOCK`] bytes).
#[derive(Default)]
pub struct Scanner {
    out: ScanResult,
    /// The line cut by the end of the last chunk.
    carry: LineCarry,
    /// Saved-grep prefix → origin number.
    origins: std::collections::HashMap<Origin, u32>,
    /// A fragment before its first newline: bytes go to its cut head.
    in_head: bool,
    /// Keep each stun line's text (for `--format raw`).
    keep_text: bool,
    /// The last marker texts kept, escaped, oldest replaced first
    /// (see [`Scanner::shared_text`]), and the slot to replace next.
    texts: Vec<(u64, Name)>,
    next_text: usize,
    /// The last line of the block before (for the line before a stun at
    /// the start of a block); `last_known` false when there is none.
    last_line: Vec<u8>,
    last_known: bool,
    /// When the latest begin or step marker since the last stun was logged.
    decided_at: Option<i64>,
    /// When the open consolidation began.
    consolidating: Option<i64>,
    /// When the last stun was logged.
    last_stun: Option<i64>,
    /// A fragment whose first stun is still to come: what came before it
    /// (the stun before, the markers) may be in another fragment, so that
    /// stun keeps the line before it whatever this fragment's markers say
    /// (the analysis shows it only when no marker decides the stun).
    fragment_start: bool,
    /// Every stun keeps the line before it: the stitching of fragments
    /// parses only the lines cut between them, so its marker state says
    /// nothing about whether a marker decides a stun.
    keeps_context: bool,
}

impl Scanner {
    /// A scanner for a whole log, or for a fragment (see
    /// [`Scanner::fragment`]); `keep_text`: keep the stun lines' text.
    pub fn new(fragment: bool, keep_text: bool) -> Self {
        let mut s = if fragment {
            Self::fragment()
        } else {
            Self::default()
        };
        // A log holds a few dozen records: growing from nothing to there
        // cost a reallocation and a copy every doubling.
        s.out.records.reserve(RECORDS_AT_FIRST);
        Scanner { keep_text, ..s }
    }

    /// A scanner for one vm-support fragment: its first line (up to the
    /// first newline) and its last (after the last newline) may be cut
    /// pieces of lines that continue in the neighbouring fragments, so they
    /// are kept aside in [`ScanResult::ends`] instead of parsed. The first
    /// line counts as line 1.
    pub fn fragment() -> Self {
        Scanner {
            in_head: true,
            fragment_start: true,
            out: ScanResult {
                ends: Some(FragmentEnds::default()),
                ..ScanResult::default()
            },
            ..Scanner::default()
        }
    }

    pub fn feed(&mut self, mut chunk: &[u8]) {
        self.out.bytes += chunk.len() as u64;
        if self.out.head.len() < HEAD_BYTES {
            let n = chunk.len().min(HEAD_BYTES - self.out.head.len());
            self.out.head.extend_from_slice(&chunk[..n]);
        }
        if self.in_head {
            let nl = memchr::memchr(b'\n', chunk);
            let piece = &chunk[..nl.unwrap_or(chunk.len())];
            if let Some(ends) = self.out.ends.as_mut() {
                if ends.head.len() + piece.len() > BLOCK {
                    ends.long = true;
                } else {
                    ends.head.extend_from_slice(piece);
                }
            }
            let Some(nl) = nl else { return };
            self.in_head = false;
            self.out.lines += 1;
            if let Some(ends) = self.out.ends.as_mut() {
                ends.has_newline = true;
            }
            chunk = &chunk[nl + 1..];
        }
        let mut carry = std::mem::take(&mut self.carry);
        carry.feed(chunk, BLOCK, |p| self.piece(p, false));
        self.carry = carry;
    }

    /// Whole lines are searched; a line longer than a block cannot be a
    /// stun and is only counted.
    fn piece(&mut self, piece: Piece<'_>, eof: bool) {
        match piece {
            Piece::Lines(lines) => self.block(lines, eof),
            Piece::Long => {
                self.out.long_lines += 1;
                self.out.lines += 1;
                self.last_known = false;
            }
        }
    }

    /// Takes the records kept so far, and the errors of lines: a live watch
    /// hands them on as the log grows instead of holding them to its end.
    pub fn take_records(&mut self) -> (Vec<Record>, Vec<LineError>) {
        (
            std::mem::take(&mut self.out.records),
            std::mem::take(&mut self.out.line_errors),
        )
    }

    /// Ends a log whose reading failed: the partial last line is not
    /// trusted (it may be cut short), everything before it is kept.
    pub fn abandon(self) -> ScanResult {
        self.out
    }

    /// Ends the log: a last line without a newline still counts (in a
    /// fragment it is kept as the cut tail instead).
    pub fn finish(mut self) -> ScanResult {
        if let Some(ends) = self.out.ends.as_mut() {
            if !self.in_head {
                let (tail, long) = self.carry.take();
                ends.tail = tail;
                ends.long |= long;
                ends.before_tail = self.last_known.then(|| std::mem::take(&mut self.last_line));
            }
            return self.out;
        }
        let mut carry = std::mem::take(&mut self.carry);
        carry.finish(|p| self.piece(p, true));
        self.out
    }

    /// Processes a block of whole lines (ending in `\n`, unless `eof`).
    fn block(&mut self, block: &[u8], eof: bool) {
        let ac = searcher();
        // Lines before `counted` are already in `out.lines`.
        let mut counted = 0usize;
        let mut pos = 0usize;
        // The line of the last hit, found once for all its hits (a long
        // line full of a needle's other words must not be walked back
        // over for each of them).
        let mut cur: Option<HitLine> = None;
        while pos < block.len() {
            let Some((hit, needle)) = ac.find(block, pos) else {
                break;
            };
            let mut line = match cur {
                Some(l) if hit < l.end => l,
                _ => HitLine::around(block, hit),
            };
            let (ls, le) = (line.start, line.end);
            let worth = worth_parsing(&block[ls..le], hit - ls, needle, || line.names_vm(block));
            cur = Some(line);
            if !worth {
                // Another needle later in the line may still be a marker's.
                pos = hit + 1;
                continue;
            }
            self.out.lines += count_newlines(&block[counted..ls]);
            counted = ls;
            let last = std::mem::take(&mut self.last_line);
            let prev = match ls {
                0 => self.last_known.then_some(&last[..]),
                _ => Some(line_before(block, ls)),
            };
            self.line(&block[ls..le], self.out.lines + 1, prev);
            self.last_line = last;
            pos = le + 1;
        }
        self.out.lines += count_newlines(&block[counted..]);
        if eof && !block.ends_with(b"\n") {
            self.out.lines += 1;
        }
        self.keep_last_line(block);
    }

    /// Keeps the last line of `block` for a stun at the start of the next.
    fn keep_last_line(&mut self, block: &[u8]) {
        let end = block.len() - usize::from(block.ends_with(b"\n"));
        let last = line_before(block, end + 1);
        self.last_line.clear();
        self.last_known = last.len() <= MAX_CONTEXT;
        if self.last_known {
            self.last_line.extend_from_slice(last);
        }
    }

    /// Parses one line that holds a needle; `line_no` is its number, `prev`
    /// the line before it when known.
    pub fn line(&mut self, raw: &[u8], line_no: u64, prev: Option<&[u8]>) {
        let raw = match line_no {
            1 => header::strip_bom(raw),
            _ => raw,
        };
        // Parsed once: the header is half the cost of a line read here.
        let header = header::parse_header(raw);
        if header.is_none()
            && let Some(p) = prev
            && let Some(joined) = header::join_split(p, raw)
        {
            return self.line(&joined, line_no, None);
        }
        let parsed = header.and_then(|h| Some((h, h.meaning()?)));
        let Some((h, (msg, msg_text))) =
            parsed.filter(|(_, (m, _))| !matches!(m, Message::Product(_)))
        else {
            if let Some(reason) = stun::skip_reason(raw) {
                self.out.skip(reason, line_no);
            }
            return;
        };
        if !matches!(msg, Message::Stun(_) | Message::StunOverflow)
            && let Some(reason) = stun::skip_reason(raw)
        {
            self.out.skip(reason, h.grep_line.unwrap_or(line_no));
        }
        let origin = match (h.grep_name, h.forwarded) {
            (Some(name), _) => self.origin(Origin::Grep(name.to_vec())),
            (None, Some(f)) => self.origin(Origin::Forwarded {
                host: f.host.to_vec(),
                app: f.app.to_vec(),
            }),
            (None, None) => 0,
        };
        let line_no = h.grep_line.unwrap_or(line_no);
        let kind = match msg {
            Message::Stun(us) if !self.keep_text => {
                self.before_stun(&h, line_no, origin, prev);
                RecordKind::Stun {
                    us,
                    text: Name::new(),
                }
            }
            Message::Stun(us) => {
                self.before_stun(&h, line_no, origin, prev);
                let text = raw.strip_suffix(b"\r").unwrap_or(raw);
                // A saved-grep line's original text starts after the prefix.
                let text = match h.grep_name {
                    Some(_) => header::strip_grep_prefix(text),
                    None => text,
                };
                RecordKind::Stun {
                    us,
                    text: escape_name(text),
                }
            }
            Message::StunOverflow => {
                self.out.line_errors.push(LineError {
                    line_no,
                    message: "stun value does not fit in 64 bits; line ignored".into(),
                });
                return;
            }
            Message::Op(m) => {
                self.track(&m, when(h.time));
                RecordKind::Op(Op {
                    kind: m.kind,
                    phase: m.phase,
                    generic: m.generic,
                    snapshot: m.snapshot.map(escape_name),
                    quiesced: m.quiesced,
                    text: self.shared_text(msg_text),
                })
            }
            Message::Quiesce(q) => RecordKind::Quiesce(Quiesce {
                begins: q.begins(),
                ends: q.ends(),
                timed_out: q.timed_out(),
                failed: q.failed(),
                text: self.shared_text(msg_text),
            }),
            Message::DisplayName(n) => RecordKind::DisplayName(escape_name(n)),
            Message::Hostname(n) => RecordKind::Hostname(escape_name(n)),
            // Not part of any output: not kept.
            Message::Product(_) => return,
        };
        self.out.records.push(Record {
            time: h.time,
            line_no,
            origin,
            kind,
        });
    }

    /// Adds the records of `piece`, whose line 1 is line `base + 1` here.
    fn absorb(&mut self, piece: ScanResult, base: u64) {
        for mut r in piece.records {
            if r.origin > 0 {
                let Some(o) = piece.origins.get(r.origin as usize - 1) else {
                    continue;
                };
                r.origin = self.origin(o.clone());
            }
            r.line_no += base;
            self.out.records.push(r);
        }
        for mut e in piece.line_errors {
            e.line_no += base;
            self.out.line_errors.push(e);
        }
        for (mine, theirs) in self.out.skipped.iter_mut().zip(piece.skipped) {
            if mine.count == 0 && theirs.count > 0 {
                mine.first_line = theirs.first_line + base;
            }
            mine.count += theirs.count;
        }
        self.out.bytes += piece.bytes;
        self.out.long_lines += piece.long_lines;
        self.out.preceded += piece.preceded;
        if self.out.head.len() < HEAD_BYTES {
            let n = piece.head.len().min(HEAD_BYTES - self.out.head.len());
            self.out.head.extend_from_slice(&piece.head[..n]);
        }
    }

    /// Follows the markers that will decide the next stun's kind (see
    /// [`Scanner::needs_context`]).
    fn track(&mut self, m: &OpMarker<'_>, at: i64) {
        if m.generic {
            return;
        }
        match (m.kind, m.phase) {
            (OpKind::Consolidate, Phase::Begin) => self.consolidating = Some(at),
            (OpKind::Consolidate, Phase::End) => self.consolidating = None,
            _ => {}
        }
        if m.phase != Phase::End {
            self.decided_at = Some(at);
        }
    }

    /// Whether a stun at `at` may be one no marker decides: no begin or
    /// step marker since the last stun within [`FRESH_MS`], and no
    /// consolidation open (begun within [`CONSOLIDATE_OPEN_MS`]). Erring
    /// towards yes costs only the memory of a line.
    fn needs_context(&self, at: i64) -> bool {
        let within = |t: Option<i64>, ms: i64| t.is_some_and(|t| at >= t && at - t <= ms);
        !within(self.decided_at, FRESH_MS) && !within(self.consolidating, CONSOLIDATE_OPEN_MS)
    }

    /// Before a stun's record: counts whether another logged line came
    /// just before it (a source of stun lines only has none), and keeps
    /// that line's message when no marker may decide the stun's kind.
    fn before_stun(&mut self, h: &Header<'_>, line_no: u64, origin: u32, prev: Option<&[u8]>) {
        let at = when(h.time);
        // A stun within a second of the one before joins its cluster
        // (`--gap` is at least a second): it never starts one.
        let joins = self.last_stun.is_some_and(|t| at >= t && at - t < 1000);
        let cut = std::mem::take(&mut self.fragment_start);
        let needed = self.keeps_context || (!joins && (cut || self.needs_context(at)));
        self.decided_at = None;
        self.last_stun = Some(at);
        // Once a log is known to hold other lines than stuns, the line
        // before a stun matters only when it will be kept.
        if !needed && self.out.preceded > 0 {
            return;
        }
        let own = h.grep_name.is_none() && h.forwarded.is_none();
        // A fragment's first whole line: the line before it is cut in two,
        // and the stitching gives it (see `context_from_cut_line`).
        if cut
            && prev.is_none()
            && own
            && line_no == 2
            && let Some(ends) = self.out.ends.as_mut()
        {
            ends.first_line_stun = Some(self.out.records.len());
        }
        let Some(p) = prev.and_then(other_line) else {
            return;
        };
        self.out.preceded += 1;
        // In saved grep output or a syslog collector's file the line before
        // may be another file's or another VM's: not this stun's context.
        let same_source =
            h.grep_name.is_none() && p.grep_name.is_none() && h.forwarded == p.forwarded;
        let Some(text) = context_text(&p, same_source).filter(|_| needed) else {
            return;
        };
        let text = self.shared_text(text);
        self.out.records.push(Record {
            time: h.time,
            line_no: line_no.saturating_sub(1),
            origin,
            kind: RecordKind::Context(text),
        });
    }

    /// `text` escaped, shared with an equal text met before in this log:
    /// marker messages repeat (`ConsolidateStart: online` every night), and
    /// each kept copy would cost as much as a stun.
    fn shared_text(&mut self, text: &[u8]) -> Name {
        // Compared with the last few texts only: the texts that repeat do
        // so every night, among a handful of others, and a map cost three
        // times as much as escaping (hashing every text twice, growing per
        // log) for the texts met once. A text compares equal to its escaped
        // form when it needed no escape, as nearly all do; one that did is
        // not shared.
        let key = text_key(text);
        if let Some((_, t)) = self
            .texts
            .iter()
            .find(|(k, t)| *k == key && t.as_bytes() == text)
        {
            return t.clone();
        }
        let t = escape_name(text);
        if self.texts.len() < SHARED_TEXTS {
            self.texts.push((key, t.clone()));
        } else {
            self.texts[self.next_text] = (key, t.clone());
            self.next_text = (self.next_text + 1) % SHARED_TEXTS;
        }
        t
    }

    fn origin(&mut self, o: Origin) -> u32 {
        // A saved grep of a whole datastore can name many thousands of
        // files: look them up by hash, not by walking the list.
        if let Some(&i) = self.origins.get(&o) {
            return i;
        }
        self.out.origins.push(o.clone());
        let i = self.out.origins.len() as u32;
        self.origins.insert(o, i);
        i
    }

    /// Origin `i` of a record (see [`Record::origin`]).
    pub fn origin_of(&self, i: u32) -> Option<&Origin> {
        self.out.origins.get((i as usize).checked_sub(1)?)
    }
}

/// Joins the scans of consecutive vm-support fragments (each from
/// [`Scanner::fragment`], in order) into the scan of the one log they cut:
/// each cut line is put back together from the tail of one fragment and the
/// head of the next, and line numbers run on across fragments. Only the cut
/// ends are kept per fragment, so fragments can be scanned in any order and
/// on any thread. `cut_after`: a fragment is missing after these, so their
/// last line is cut short and not parsed (a cut `…stopped for 135` would
/// read as a stun of 135 us). `keep_text`: as the pieces were scanned.
pub fn stitch(pieces: Vec<ScanResult>, cut_after: bool, keep_text: bool) -> ScanResult {
    let mut acc = Scanner {
        keeps_context: true,
        ..Scanner::new(false, keep_text)
    };
    // The line begun at the end of the fragments so far, and whether it
    // has outgrown a block.
    let mut carry: Vec<u8> = Vec::new();
    let mut carry_long = false;
    // The whole line before `carry`, when known.
    let mut before: Option<Vec<u8>> = None;
    let mut lines = 0u64;
    for mut piece in pieces {
        let ends = piece.ends.take().unwrap_or_default();
        let long = carry_long || ends.long || carry.len() + ends.head.len() > BLOCK;
        if !ends.has_newline {
            // All of this fragment is the middle of one line.
            if !long {
                carry.extend_from_slice(&ends.head);
            }
            carry_long = long;
            acc.absorb(piece, lines);
            continue;
        }
        if long {
            acc.out.long_lines += 1;
        } else {
            carry.extend_from_slice(&ends.head);
            let joined = strip_cr(&carry);
            acc.line(joined, lines + 1, before.as_deref());
            context_from_cut_line(&mut piece, ends.first_line_stun, joined);
        }
        let newlines = piece.lines;
        // The line before the next carry: this fragment's last whole line,
        // or the line just joined when the head's newline was its only one.
        before = match newlines {
            1 => (!long && carry.len() <= MAX_CONTEXT).then(|| strip_cr(&carry).to_vec()),
            _ => ends.before_tail,
        };
        acc.absorb(piece, lines);
        lines += newlines;
        carry = ends.tail;
        carry_long = ends.long;
    }
    if carry_long {
        acc.out.long_lines += 1;
        lines += 1;
    } else if !carry.is_empty() {
        lines += 1;
        if !cut_after {
            acc.line(strip_cr(&carry), lines, before.as_deref());
        }
    }
    acc.out.lines = lines;
    acc.out
}

/// The longest line kept as the line before a stun.
const MAX_CONTEXT: usize = 4096;

/// The line that ends just before `at` (a line start, > 0) in `block`.
fn line_before(block: &[u8], at: usize) -> &[u8] {
    let end = at - 1;
    let start = memchr::memrchr(b'\n', &block[..end]).map_or(0, |i| i + 1);
    let line = &block[start..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A line's time as milliseconds to compare with another of the same log
/// (a year-less time is placed in a leap year: only distances of hours
/// matter here).
fn when(t: LineTime) -> i64 {
    match t {
        LineTime::Utc(ms) => ms,
        LineTime::NoYear {
            month,
            day,
            ms_of_day,
        } => crate::time::epoch_ms(2000, month, day, ms_of_day),
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The line before a stun as another logged line: parsed, and not a stun
/// line itself (a run of stun lines, saved grep output, is not "another
/// line").
fn other_line(prev: &[u8]) -> Option<Header<'_>> {
    Some(prev)
        .filter(|p| !stun::has_stun_words(p))
        .and_then(header::parse_header)
}

/// What a stun keeps of the line before it (`p`, from the same source):
/// its message, unless it is a continuation line or blank.
fn context_text<'a>(p: &Header<'a>, same_source: bool) -> Option<&'a [u8]> {
    if !same_source || p.continuation {
        return None;
    }
    let (first, second) = p.messages();
    Some(header::trim_end(second.unwrap_or(first))).filter(|t| !t.is_empty())
}

/// Gives the stun on a fragment's first whole line (`piece.ends`'s
/// `first_line_stun`) the line cut between the fragments before it,
/// `joined`, as a whole log's scan would.
fn context_from_cut_line(piece: &mut ScanResult, at: Option<usize>, joined: &[u8]) {
    let Some(i) = at.filter(|&i| i < piece.records.len()) else {
        return;
    };
    let Some(p) = other_line(joined) else {
        return;
    };
    piece.preceded += 1;
    let Some(text) = context_text(&p, p.grep_name.is_none() && p.forwarded.is_none()) else {
        return;
    };
    let stun = &piece.records[i];
    let context = Record {
        time: stun.time,
        line_no: stun.line_no.saturating_sub(1),
        origin: 0,
        kind: RecordKind::Context(escape_name(text)),
    };
    piece.records.insert(i, context);
}

/// Newlines in `b`: SIMD counting (the same crate ripgrep's searcher uses
/// for line numbers), because every byte of a log passes through here.
fn count_newlines(b: &[u8]) -> u64 {
    bytecount::count(b, b'\n') as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every plain log among the fixtures and the real Workstation logs
    /// beside the repository (when present).
    fn real_logs() -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        [
            root.join("fixtures"),
            root.join("../shared/corpus/workstation"),
        ]
        .iter()
        .flat_map(|dir| walkdir::WalkDir::new(dir).into_iter().flatten())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| n.ends_with(".log") || n.ends_with(".txt"))
        })
        .collect()
    }

    /// A name key in a letter case no needle spells is still read when
    /// another needle is in its line (the value), as before the check.
    #[test]
    fn a_dict_line_with_a_needle_is_parsed_whatever_the_key_case() {
        let log = b"2024-01-29T15:56:49.441Z In(05) vmx DICT               DISPLAYNAME = \"db1-snapshot-test\"\n";
        let (r, _) = scan(&log[..]);
        assert_eq!(
            r.records.iter().map(|r| &r.kind).collect::<Vec<_>>(),
            vec![&RecordKind::DisplayName("db1-snapshot-test".into())]
        );
    }

    /// Whether any needle found in `line` makes it worth parsing.
    fn worth(line: &[u8]) -> bool {
        let mut line_of = HitLine::around(line, 0);
        let mut pos = 0;
        let mut worth = false;
        while let Some((hit, needle)) = searcher().find(line, pos) {
            worth |= worth_parsing(line, hit, needle, || line_of.names_vm(line));
            pos = hit + 1;
        }
        worth
    }

    /// Real lines that hold a needle in other words are not parsed (each
    /// is in `../shared/corpus/workstation`: every vCPU's `CPU reset`, USB
    /// and configuration lines); the markers and names they look like are.
    #[test]
    fn look_alike_lines_are_not_parsed() {
        for line in [
            &b"2014-08-17T15:14:41.109+01:00| vcpu-1| I120: CPU reset: soft (mode 2)"[..],
            b"2018-06-29T14:47:23.879+05:30| vcpu-0| I125: UHCI: HCReset",
            b"2014-12-18T16:22:10.846+01:00| vmx| I120: DICT   pref.mruVM0.displayName = \"Minix-SSEMvmw6\"",
            b"2014-12-18T16:22:10.846+01:00| vmx| I120: DICT  snapshot.numRollingTiers = \"0\"",
        ] {
            assert!(!worth(line), "{}", String::from_utf8_lossy(line));
        }
        for line in [
            &b"2021-03-01T16:36:05.108Z| vcpu-0| I125: DEVICE: Resetting device 'ALL'."[..],
            b"2021-03-01T16:36:05.072Z| vmx| I125: VM reset requested: Attempting CPUs/Devices reset.",
            b"2014-12-18T16:22:10.846+01:00| vmx| I120: DICT         displayname = \"BLACK-FLAG\"",
            b"2026-01-09T08:08:30.173Z -INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vmx\"] DICT               displayName = \"konte\"",
        ] {
            assert!(worth(line), "{}", String::from_utf8_lossy(line));
        }
    }

    /// Many rejected hits on one long line, then a marker on the next:
    /// every hit is checked, and the marker is still found.
    #[test]
    fn a_marker_after_a_long_line_of_rejected_hits_is_found() {
        let mut log = b"2021-03-01T16:36:05.000Z| vmx| I125: Guest:".to_vec();
        log.extend(b" reset".repeat(30_000));
        log.extend(b"\n2021-03-01T16:36:05.108Z| vcpu-0| I125: DEVICE: Resetting device 'ALL'.\n");
        let (r, _) = scan(&log[..]);
        assert_eq!(r.records.len(), 1, "{:?}", r.records);
        assert_eq!(r.records[0].line_no, 2);
        assert!(matches!(&r.records[0].kind, RecordKind::Op(op) if op.kind == OpKind::Reset));
    }

    /// No two needles can match at one place: the search reports one
    /// needle per place, and the check looks only at that needle's texts.
    #[test]
    fn no_needle_begins_another() {
        for a in NEEDLES {
            for b in NEEDLES {
                assert!(a == b || !b.starts_with(a), "{a:?} begins {b:?}");
            }
        }
    }

    /// The check of a found needle against the marker texts drops no line
    /// that would mean something: parsing every line of every real log
    /// gives the records the scan gives.
    #[test]
    fn the_needle_check_drops_no_line_that_means_something() {
        let logs = real_logs();
        assert!(logs.len() > 50, "{} logs", logs.len());
        for path in logs {
            let bytes = std::fs::read(&path).unwrap();
            let (scanned, _) = scan(&bytes[..]);
            let mut every = Scanner::new(false, true);
            let mut prev: Option<&[u8]> = None;
            for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
                if i > 0 || !line.is_empty() {
                    every.line(line, i as u64 + 1, prev);
                }
                prev = Some(line);
            }
            let every = every.out;
            let name = path.display();
            assert_eq!(scanned.records, every.records, "{name}");
            assert_eq!(scanned.line_errors, every.line_errors, "{name}");
            assert_eq!(scanned.skipped, every.skipped, "{name}");
        }
    }

    fn stuns(r: &ScanResult) -> Vec<(u64, u64)> {
        r.records
            .iter()
            .filter_map(|r| match r.kind {
                RecordKind::Stun { us, .. } => Some((r.line_no, us)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn finds_stuns_with_line_numbers_across_small_reads() {
        let log = b"2017-01-04T21:30:19.000Z| vmx| I125: Hostname=esx1\n\
2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1091706 us\n\
noise\r\n\
2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 38123 us";
        // A reader that hands out 7 bytes at a time exercises block joins.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(7).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let (r, err) = scan(Slow(log));
        assert!(err.is_none());
        assert_eq!(stuns(&r), vec![(2, 1091706), (4, 38123)]);
        assert_eq!(r.lines, 4);
        assert_eq!(r.records[0].kind, RecordKind::Hostname("esx1".into()));
    }

    #[test]
    fn over_long_line_is_skipped_and_the_next_line_still_counts() {
        let mut log = vec![b'x'; BLOCK * 3 + 17];
        log.extend_from_slice(
            b"\n2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 5 us\n",
        );
        let (r, err) = scan(&log[..]);
        assert!(err.is_none());
        assert_eq!(r.long_lines, 1);
        assert_eq!(stuns(&r), vec![(2, 5)]);
    }

    #[test]
    fn fragments_stitched_give_the_whole_log() {
        let mut log = Vec::new();
        for i in 0..300u64 {
            log.extend_from_slice(
                format!("2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for {i} us\n2017-01-04T21:30:19.662Z| vmx| I125: filler {i}\nvmx| Checkpoint_Unstun: vm stopped for 1 us\n").as_bytes(),
            );
        }
        log.extend_from_slice(
            b"2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 77 us",
        );
        let (whole, _) = scan(&log[..]);
        // Cuts anywhere: mid-line, right after a newline, tiny fragments.
        for cuts in [
            vec![100, 101, 102, 5000, 5001],
            vec![57],
            vec![1, 2, 3, 4, 9000, 20000],
        ] {
            let mut pieces = Vec::new();
            let mut at = 0;
            for c in cuts.into_iter().chain([log.len()]) {
                pieces.push(scan_as(&log[at..c], true, true).0);
                at = c;
            }
            let s = stitch(pieces, false, true);
            assert_eq!(s.records, whole.records);
            assert_eq!((s.lines, s.bytes), (whole.lines, whole.bytes));
            assert_eq!(s.skipped, whole.skipped);
            assert_eq!(s.head, whole.head);
        }
        // Before a missing fragment, the cut last line is not a stun.
        let at = log.len() - 5;
        let cut = stitch(vec![scan_as(&log[..at], true, true).0], true, true);
        assert_eq!(cut.records.len(), whole.records.len() - 1);
        assert_eq!(cut.skipped, whole.skipped, "not even a skipped line");
    }

    /// `log` cut into vm-support fragments before each of `cuts`, each
    /// scanned on its own, stitched back.
    fn stitched(log: &[u8], cuts: Vec<usize>) -> ScanResult {
        let mut at = 0;
        let pieces = cuts
            .into_iter()
            .chain([log.len()])
            .map(|c| {
                let piece = scan_as(&log[at..c], true, true).0;
                at = c;
                piece
            })
            .collect();
        stitch(pieces, false, true)
    }

    /// Unmarked stuns a minute apart, each after a line of its own, the
    /// log cut inside stun lines (at their first byte, inside, at their
    /// newline) and anywhere else: the stitched fragments give each stun
    /// the line before it, as the whole log does, also a stun on its
    /// fragment's first whole line (the line before it cut in two).
    #[test]
    fn a_stun_cut_across_fragments_keeps_the_line_before_it() {
        let mut log = Vec::new();
        let mut stun_lines = Vec::new();
        for i in 0..40u64 {
            let t = format!("2021-03-01T16:{i:02}:05.110Z");
            log.extend_from_slice(format!("{t}| vmx| I125: Guest: doing {i}\n").as_bytes());
            let stun = format!(
                "{t}| vcpu-0| I125: Checkpoint_Unstun: vm stopped for {} us\n",
                1000 + i
            );
            stun_lines.push((log.len(), stun.len()));
            log.extend_from_slice(stun.as_bytes());
        }
        let (whole, _) = scan(&log[..]);
        let contexts = whole
            .records
            .iter()
            .filter(|r| matches!(r.kind, RecordKind::Context(_)))
            .count();
        assert_eq!(contexts, 40);
        for offset in [0, 1, 30, 50, 80] {
            let cuts = stun_lines
                .iter()
                .step_by(3)
                .map(|&(start, len)| start + offset.min(len))
                .collect();
            let s = stitched(&log, cuts);
            assert_eq!(
                s.records, whole.records,
                "cut {offset} bytes into stun lines"
            );
        }
        for step in [7, 61, 97, 150, 400] {
            for first in [3, 40, 80] {
                let s = stitched(&log, (first..log.len()).step_by(step).collect());
                assert_eq!(s.records, whole.records, "every {step} bytes from {first}");
            }
        }
    }

    /// The stitching parses only the lines cut between fragments, so a
    /// marker among them (here a consolidation's start, cut in two) must
    /// not make it drop the line before a later stun it joins.
    #[test]
    fn a_marker_cut_between_fragments_does_not_drop_a_later_stuns_context() {
        let log = b"2025-11-22T01:00:00.000Z In(05) vmx - ConsolidateStart: online\n\
2025-11-22T01:00:05.000Z In(05) vmx - ConsolidateEnd: done\n\
2025-11-22T01:20:00.000Z In(05) vmx - Guest: doing 7\n\
2025-11-22T01:20:01.000Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for 5000 us\n";
        // Inside the consolidation's start, and inside the stun line.
        let s = stitched(log, vec![50, log.len() - 20]);
        let context = s.records.iter().find_map(|r| match &r.kind {
            RecordKind::Context(t) => Some((r.line_no, t.as_str())),
            _ => None,
        });
        assert_eq!(context, Some((3, "Guest: doing 7")), "{:?}", s.records);
    }

    #[test]
    fn skipped_stun_lines_are_counted_by_reason() {
        let log =
            b"YYYY-MM-DDThh:mm:ss.536Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 9 us\n\
2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 5 us\n\
vmx| Checkpoint_Unstun: vm stopped for 1 us\n\
2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1x us\n";
        let (r, _) = scan(&log[..]);
        assert_eq!(stuns(&r), vec![(2, 5)]);
        assert_eq!(
            r.skipped[SkipReason::NoHeader as usize],
            Skipped {
                count: 2,
                first_line: 1
            }
        );
        assert_eq!(
            r.skipped[SkipReason::BadValue as usize],
            Skipped {
                count: 1,
                first_line: 4
            }
        );
        assert_eq!(r.skipped_total(), 3);
    }

    #[test]
    fn grep_prefixes_become_origins() {
        let log = b"vmware-1.log:2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1 us\n\
vmware.log:2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 2 us\n";
        let (r, _) = scan(&log[..]);
        assert_eq!(
            r.origins,
            vec![
                Origin::Grep(b"vmware-1.log".to_vec()),
                Origin::Grep(b"vmware.log".to_vec())
            ]
        );
        assert_eq!(
            r.records.iter().map(|r| r.origin).collect::<Vec<_>>(),
            vec![1, 2]
        );
        match &r.records[1].kind {
            RecordKind::Stun { text, .. } => {
                assert_eq!(
                    &**text,
                    "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 2 us"
                )
            }
            k => panic!("{k:?}"),
        }
    }
}
