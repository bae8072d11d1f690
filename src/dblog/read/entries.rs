//! What both readers share: an entry's time, the log's coverage and
//! order, an entry's classification into an event, and the notes.
//!
//! The readers differ only in how they find entries: [`super::fast`]
//! searches blocks and assembles only the entries that can be events;
//! [`super::simple`] (the reference, in tests) assembles every entry. Both
//! hand each entry's head to [`Entries::time_of`] (or, for a
//! `messages.log` line in an hour already resolved, its time to
//! [`Entries::track_order`]) and each entry that may be an event to
//! [`Entries::entry`].

use std::io;
use std::sync::LazyLock;

use super::super::classify::classify;
use super::super::format::Head;
use super::super::lines::MAX_LINE;
use super::super::{DbError, DbEvent, DbFormat, DbKind, DbLog, DbNote, Shared};
use super::{MAX_SHOWN, ReadOptions, STARTUP_WINDOW_MS};
use crate::escape::escape_bytes;
use crate::time::EpochMs;
use crate::zone::{LocalTime, Resolver, Zone};

/// `$SNAPLOG` times stamped `UTC` or `GMT` are read in UTC whatever the zone.
static UTC: LazyLock<Zone> = LazyLock::new(Zone::utc);

/// A count of something odd, and where it first happened.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Tally {
    n: u64,
    first: u64,
}

impl Tally {
    pub(super) fn hit(&mut self, line: u64) {
        if self.n == 0 {
            self.first = line;
        }
        self.n += 1;
    }
}

#[derive(Debug, Default)]
pub(super) struct Counts {
    pub(super) long: Tally,
    backwards: Tally,
    ambiguous: Tally,
    skipped_hour: Tally,
    pub(super) bad_date: Tally,
    zone_mismatch: Tally,
    nonblank: u64,
}

/// An entry's head, as the classification needs it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Meta {
    pub(super) time_ms: EpochMs,
    /// Line of the entry's first line.
    pub(super) line: u64,
    pub(super) format: DbFormat,
    pub(super) severity: Option<u8>,
}

impl Default for Meta {
    fn default() -> Self {
        Meta {
            time_ms: 0,
            line: 0,
            format: DbFormat::Messages,
            severity: None,
        }
    }
}

/// One log's entries turned into events, coverage and notes.
pub(super) struct Entries<'a> {
    pub(super) log: DbLog,
    opts: &'a ReadOptions<'a>,
    local: Resolver<'a>,
    utc: Resolver<'a>,
    /// The last entry's time, and the earliest and latest (meaningful once
    /// an entry is counted; copied to the log at the end).
    prev_ms: EpochMs,
    first_ms: EpochMs,
    last_ms: EpochMs,
    last_startup: Option<EpochMs>,
    pub(super) counts: Counts,
    /// The first `$SNAPLOG` zone abbreviation that disagreed with the zone.
    mismatch: Option<(String, String)>,
    /// The log's source and member, and the user's name for it: one
    /// allocation each, shared by every event.
    source: Shared,
    member: Shared,
    named: Option<Shared>,
    /// Other logs were read from the same file (the services of a
    /// container log): an empty log is then no cause for a note.
    siblings: bool,
    /// Freezes of this log not yet thawed (indices into its events), to
    /// mark them restarted when the instance starts again.
    open_freezes: Vec<usize>,
    /// A recovery banner was read; the next entry's time is the startup's.
    banner: bool,
}

impl<'a> Entries<'a> {
    pub(super) fn new(log: DbLog, opts: &'a ReadOptions<'a>) -> Self {
        Entries {
            source: log.source.as_str().into(),
            member: log.member.as_str().into(),
            named: opts.member.map(Shared::from),
            log,
            opts,
            local: Resolver::new(opts.zone),
            utc: Resolver::new(&UTC),
            prev_ms: EpochMs::MIN,
            first_ms: EpochMs::MAX,
            last_ms: EpochMs::MIN,
            last_startup: None,
            counts: Counts::default(),
            mismatch: None,
            siblings: false,
            open_freezes: Vec::new(),
            banner: false,
        }
    }

    /// Counts a line that is not blank, to tell an empty file from one in
    /// an unknown format (only needed before the first entry).
    pub(super) fn text_line(&mut self, t: &[u8]) {
        if self.log.entries == 0 && !t.trim_ascii().is_empty() {
            self.counts.nonblank += 1;
        }
    }

    /// Counts an entry at `time_ms` (line `number`): coverage and order.
    #[inline]
    pub(super) fn track_order(&mut self, time_ms: EpochMs, number: u64) {
        // Before the first entry `prev_ms` is the least time: never later.
        if time_ms < self.prev_ms {
            self.counts.backwards.hit(number);
        }
        self.prev_ms = time_ms;
        self.log.entries += 1;
        self.first_ms = self.first_ms.min(time_ms);
        self.last_ms = self.last_ms.max(time_ms);
    }

    /// UTC time of an entry's wall time, and the entry counted
    /// ([`Self::track_order`]); `None` (counted as an impossible date)
    /// when it is no date. In the hour that the end of daylight saving
    /// repeats, the reading that keeps the log going forward wins, so a log
    /// written through the night reads right.
    pub(super) fn time_of(&mut self, head: &Head<'_>, number: u64) -> Option<EpochMs> {
        let Some(ms) = self.resolve(head, number) else {
            self.counts.bad_date.hit(number);
            return None;
        };
        // The fast reader resolves the entry after a banner here, never by
        // its hour's shortcut (it forgets the hour at a banner).
        if self.banner {
            self.banner = false;
            self.last_startup = Some(ms);
        }
        self.track_order(ms, number);
        Some(ms)
    }

    fn resolve(&mut self, head: &Head<'_>, number: u64) -> Option<EpochMs> {
        let utc = head
            .zone
            .is_some_and(|z| z.eq_ignore_ascii_case(b"UTC") || z.eq_ignore_ascii_case(b"GMT"));
        let resolver = if utc { &mut self.utc } else { &mut self.local };
        let zone = resolver.zone();
        let ms = match resolver.resolve(head.civil)? {
            LocalTime::Unique(ms) => ms,
            LocalTime::Skipped(ms) => {
                self.counts.skipped_hour.hit(number);
                ms
            }
            LocalTime::Ambiguous { earlier, later } => {
                self.counts.ambiguous.hit(number);
                let p = self.prev_ms;
                if self.log.entries > 0 && earlier < p && later >= p {
                    later
                } else {
                    earlier
                }
            }
        };
        if let Some(abbr) = head.zone {
            self.check_abbreviation(abbr, zone, ms, number);
        }
        Some(ms)
    }

    /// A `$SNAPLOG` zone abbreviation that is not the zone's own at that
    /// time means the user's zone is probably wrong for this log.
    fn check_abbreviation(&mut self, abbr: &[u8], zone: &Zone, ms: EpochMs, number: u64) {
        let expected = zone.abbreviation_at(ms);
        if abbr.eq_ignore_ascii_case(expected.as_bytes()) {
            return;
        }
        self.counts.zone_mismatch.hit(number);
        if self.mismatch.is_none() {
            self.mismatch = Some((escape_bytes(abbr), expected));
        }
    }

    /// Classifies a whole entry (its text: first line and continuation
    /// lines joined) and keeps it if it is an event.
    pub(super) fn entry(&mut self, m: Meta, text: &[u8]) {
        let class = classify(m.format, m.severity, text);
        if class.startup {
            self.last_startup = Some(m.time_ms);
            self.restarted();
        }
        let Some(kind) = class.kind else {
            return;
        };
        let kind = self.startup_rule(kind, m.time_ms);
        let instance = class
            .instance
            .as_deref()
            .map(|i| Shared::from(escape_bytes(i)));
        let member = match (&self.named, &instance) {
            (Some(m), _) => m.clone(),
            (None, Some(inst)) => inst.clone(),
            (None, None) => self.member.clone(),
        };
        match kind {
            DbKind::Freeze => self.open_freezes.push(self.log.events.len()),
            DbKind::Thaw => {
                let events = &self.log.events;
                self.open_freezes
                    .retain(|&i| events[i].instance != instance || events[i].member != member);
            }
            _ => {}
        }
        self.log.events.push(DbEvent {
            time_ms: m.time_ms,
            kind,
            member,
            text: shown(text),
            source: self.source.clone(),
            line: m.line,
            instance,
            restarted: false,
        });
    }

    /// The instance started (a startup entry, or a recovery banner): the
    /// freezes still open did not end in a thaw.
    fn restarted(&mut self) {
        for i in self.open_freezes.drain(..) {
            if let Some(e) = self.log.events.get_mut(i) {
                e.restarted = true;
            }
        }
    }

    /// A recovery banner (`*** Recovery started at …`): the instance is
    /// starting; its time is the next entry's.
    pub(super) fn banner(&mut self) {
        self.banner = true;
        self.restarted();
    }

    fn startup_rule(&self, kind: DbKind, time_ms: EpochMs) -> DbKind {
        let after_startup = self
            .last_startup
            .is_some_and(|s| time_ms >= s && time_ms - s <= STARTUP_WINDOW_MS);
        if kind == DbKind::Takeover && after_startup {
            DbKind::PrimaryAtStartup
        } else {
            kind
        }
    }

    pub(super) fn read_error(&mut self, e: &io::Error, number: u64, gz: bool) {
        let what = if gz {
            "corrupt or truncated gzip data"
        } else {
            "read error"
        };
        self.log.errors.push(DbError {
            source: self.log.source.clone(),
            message: format!("{what} after line {number} ({e}); the entries before it are kept"),
        });
    }

    /// Other logs were read from the same file.
    pub(super) fn has_siblings(&mut self) {
        self.siblings = true;
    }

    pub(super) fn finish(mut self) -> DbLog {
        if self.log.entries > 0 {
            self.log.first_ms = Some(self.first_ms);
            self.log.last_ms = Some(self.last_ms);
        }
        let notes = self.notes();
        self.log.notes.extend(notes);
        // The events vector grew by doubling: give back the slack.
        self.log.events.shrink_to_fit();
        self.log
    }

    fn notes(&self) -> Vec<DbNote> {
        let c = &self.counts;
        let zone = self.opts.zone.name();
        let mut out: Vec<String> = Vec::new();
        if self.log.entries == 0 && self.log.errors.is_empty() && !self.siblings {
            out.push(if c.nonblank == 0 {
                "empty database log: nothing to read".to_owned()
            } else {
                "no line in a known database log format (IRIS messages.log, Caché \
                 cconsole.log, or the freeze script's $LOGFILE or $SNAPLOG); \
                 is it the right file?"
                    .to_owned()
            });
        }
        if c.long.n > 0 {
            out.push(format!(
                "{} line(s) longer than {} KiB skipped (first at line {})",
                c.long.n,
                MAX_LINE / 1024,
                c.long.first
            ));
        }
        if c.bad_date.n > 0 {
            out.push(format!(
                "{} entr(ies) with an impossible date or time skipped (first at line {})",
                c.bad_date.n, c.bad_date.first
            ));
        }
        out.extend(self.zone_notes(zone));
        if c.backwards.n > 0 {
            out.push(format!(
                "times go backwards {} time(s) (first at line {}): a clock change, \
                 or logs from several sources joined; events are sorted by time",
                c.backwards.n, c.backwards.first
            ));
        }
        let source = &self.log.source;
        out.into_iter()
            .map(|message| DbNote {
                source: source.clone(),
                message,
            })
            .collect()
    }

    fn zone_notes(&self, zone: &str) -> Vec<String> {
        let c = &self.counts;
        let mut out = Vec::new();
        if c.ambiguous.n > 0 {
            out.push(format!(
                "{} entr(ies) in the hour that daylight saving repeats in {zone} \
                 (first at line {}): each was read as the earlier or later hour so \
                 that times keep going forward",
                c.ambiguous.n, c.ambiguous.first
            ));
        }
        if c.skipped_hour.n > 0 {
            out.push(format!(
                "{} entr(ies) at local times that do not exist in {zone} (the hour \
                 daylight saving skips; first at line {}); is --db-tz right?",
                c.skipped_hour.n, c.skipped_hour.first
            ));
        }
        if let Some((said, expected)) = &self.mismatch {
            out.push(format!(
                "{} time(s) say {said} but --db-tz {zone} is {expected} then (first at \
                 line {}); they were read in {zone}: pass the zone the log was written \
                 in as --db-tz",
                c.zone_mismatch.n, c.zone_mismatch.first
            ));
        }
        out
    }
}

/// Appends a continuation line to an entry's text as the reference does:
/// trimmed, after one space, the text never growing past
/// [`MAX_ENTRY`](super::MAX_ENTRY) bytes.
pub(super) fn continue_text(text: &mut Vec<u8>, line: &[u8]) {
    let t = line.trim_ascii();
    if t.is_empty() || text.len() >= super::MAX_ENTRY {
        return;
    }
    text.push(b' ');
    let room = super::MAX_ENTRY.saturating_sub(text.len());
    text.extend_from_slice(&t[..t.len().min(room)]);
}

/// An entry's first text: its message, cut to [`MAX_ENTRY`](super::MAX_ENTRY).
pub(super) fn start_text(text: &mut Vec<u8>, message: &[u8]) {
    text.clear();
    text.extend_from_slice(&message[..message.len().min(super::MAX_ENTRY)]);
}

/// An entry's text for display: escaped, and shortened when long.
fn shown(text: &[u8]) -> String {
    if text.len() <= MAX_SHOWN {
        return escape_bytes(text);
    }
    // Cut on a UTF-8 character boundary: back off over continuation bytes.
    let mut end = MAX_SHOWN;
    while end > MAX_SHOWN - 3 && text.get(end).is_some_and(|b| b & 0xC0 == 0x80) {
        end -= 1;
    }
    let mut s = escape_bytes(&text[..end]);
    s.push('…');
    s
}

/// The banner IRIS and Caché write, without a time, when the instance
/// starts: `*** Recovery started at Wed Aug 11 06:12:30 2021`. It and the
/// lines under it (the recovery's report) belong to no entry: they must
/// not run on in the text of the entry before (a freeze, in the log of a
/// VM restored from a backup).
pub(super) fn is_banner(line: &[u8]) -> bool {
    line.starts_with(b"*** ")
}
