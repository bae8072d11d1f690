//! Reading one database log: bytes → entries → events, with notes.
//!
//! The reader streams: it holds one line (at most 64 KiB) and one entry
//! (at most [`MAX_ENTRY`] bytes of text) at a time, so a 100 MB
//! `messages.log` costs its reading time and no memory. Gzip is recognised
//! by its magic bytes, whatever the file is called.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use flate2::read::MultiGzDecoder;

use super::classify::{Class, classify};
use super::format::{Head, parse_head};
use super::lines::{Line, Lines, MAX_LINE};
use super::{DbError, DbEvent, DbFormat, DbKind, DbLog, DbNote};
use crate::escape::escape_bytes;
use crate::time::EpochMs;
use crate::zone::{LocalTime, Resolver, Zone};

/// Text kept per entry (first line plus continuation lines) for matching.
pub const MAX_ENTRY: usize = 16 * 1024;
/// Bytes of an entry's text shown in an event.
const MAX_SHOWN: usize = 400;
/// A takeover this soon after a startup entry is the restart's own.
const STARTUP_WINDOW_MS: EpochMs = 10 * 60 * 1000;
/// `$SNAPLOG` times stamped `UTC` or `GMT` are read in UTC whatever the zone.
static UTC: LazyLock<Zone> = LazyLock::new(Zone::utc);

/// How to read a database log.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions<'a> {
    /// The zone of the log's wall-clock times.
    pub zone: &'a Zone,
    /// The member's name (`NAME=` of `--db-log`), if the user gave one.
    pub member: Option<&'a str>,
}

/// A `--db-log` argument: `[NAME=]FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbArg {
    pub name: Option<String>,
    pub path: PathBuf,
}

/// Splits `NAME=FILE`. An argument that names an existing file is a file
/// even if it contains `=`; otherwise the text before the first `=` is the
/// name, unless it is empty or looks like a path.
pub fn parse_db_log_arg(arg: &OsStr) -> DbArg {
    let whole = DbArg {
        name: None,
        path: PathBuf::from(arg),
    };
    if Path::new(arg).exists() {
        return whole;
    }
    let Some(s) = arg.to_str() else {
        return whole;
    };
    match s.split_once('=') {
        Some((name, file)) if !name.is_empty() && !name.contains(['/', '\\']) => DbArg {
            name: Some(name.to_owned()),
            path: PathBuf::from(file),
        },
        _ => whole,
    }
}

/// Whether a base name is a database log met while walking directories or
/// archives: `messages.log` (IRIS), `cconsole.log` (Caché), their rotated
/// `messages.old_<date>` names (also `messages.log.old_<date>`), or any of
/// these gzipped; case is ignored.
pub fn is_db_log_name(base: &[u8]) -> bool {
    let lower = base.to_ascii_lowercase();
    let name = lower.strip_suffix(b".gz").unwrap_or(&lower);
    ["messages", "cconsole"].iter().any(|stem| {
        let Some(rest) = name.strip_prefix(stem.as_bytes()) else {
            return false;
        };
        if rest == b".log" {
            return true;
        }
        let rest = rest.strip_prefix(b".log").unwrap_or(rest);
        rest.strip_prefix(b".old_")
            .is_some_and(|date| !date.is_empty())
    })
}

/// Reads the database log at `path`. A file that cannot be opened is an
/// error in the returned log, which then has no entries.
pub fn read_path(path: &Path, source: &str, opts: &ReadOptions) -> DbLog {
    match File::open(path) {
        Ok(f) => read(f, source, opts),
        Err(e) => {
            let mut log = empty_log(source, opts);
            let hint = match e.kind() {
                io::ErrorKind::NotFound => "check the path given to --db-log",
                io::ErrorKind::PermissionDenied => "check its permissions",
                _ => "check that it is a readable file",
            };
            log.errors.push(DbError {
                source: source.to_owned(),
                message: format!("cannot open the database log: {e}; {hint}"),
            });
            log
        }
    }
}

/// Reads a database log from any byte stream (plain or gzip).
pub fn read<R: Read>(input: R, source: &str, opts: &ReadOptions) -> DbLog {
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

fn empty_log(source: &str, opts: &ReadOptions) -> DbLog {
    DbLog {
        source: source.to_owned(),
        member: opts
            .member
            .map(str::to_owned)
            .unwrap_or_else(|| member_from_source(source)),
        named: opts.member.is_some(),
        ..DbLog::default()
    }
}

/// The freeze script's `$LOGFILE` is `<INST>-pre_post.log`: the instance
/// is the best name the file offers; any other log is named by its source.
/// A label for a log given without `NAME=`: the instance a `$LOGFILE`
/// names, else the folder holding the log (`db2/messages.log` → `db2`;
/// an instance's `IRISPROD/mgr/messages.log` → `IRISPROD`), else the path.
/// It only labels: such a log's windows still apply to every VM.
fn member_from_source(source: &str) -> String {
    let mut parts = source.rsplit(['/', '\\', '!']);
    let base = parts.next().unwrap_or(source);
    let base = base.strip_suffix(".gz").unwrap_or(base);
    if let Some(inst) = base.strip_suffix("-pre_post.log").filter(|i| !i.is_empty()) {
        return inst.to_owned();
    }
    let usable = |d: &&str| !d.is_empty() && *d != "." && *d != "..";
    match parts.next().filter(usable) {
        Some(mgr) if mgr.eq_ignore_ascii_case("mgr") => parts
            .next()
            .filter(usable)
            .map_or_else(|| source.to_owned(), str::to_owned),
        Some(dir) => dir.to_owned(),
        None => source.to_owned(),
    }
}

fn read_lines<R: BufRead>(
    mut lines: Lines<R>,
    source: &str,
    opts: &ReadOptions,
    gz: bool,
) -> DbLog {
    let mut st = Assembler::new(empty_log(source, opts), opts);
    loop {
        let number = lines.number() + 1;
        match lines.next_line() {
            Ok(Some(Line::Text(t))) => st.text_line(t, number),
            Ok(Some(Line::TooLong)) => st.counts.long.hit(number),
            Ok(None) => break,
            Err(e) => {
                st.read_error(&e, number - 1, gz);
                break;
            }
        }
    }
    st.finish()
}

/// A count of something odd, and where it first happened.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    n: u64,
    first: u64,
}

impl Tally {
    fn hit(&mut self, line: u64) {
        if self.n == 0 {
            self.first = line;
        }
        self.n += 1;
    }
}

#[derive(Debug, Default)]
struct Counts {
    long: Tally,
    backwards: Tally,
    ambiguous: Tally,
    skipped_hour: Tally,
    bad_date: Tally,
    zone_mismatch: Tally,
    nonblank: u64,
}

/// An entry being assembled from its first line and continuation lines.
struct Pending {
    time_ms: EpochMs,
    line: u64,
    format: DbFormat,
    severity: Option<u8>,
    text: Vec<u8>,
}

/// Turns lines into entries and entries into events, keeping what is odd.
struct Assembler<'a> {
    log: DbLog,
    opts: &'a ReadOptions<'a>,
    local: Resolver<'a>,
    utc: Resolver<'a>,
    pending: Option<Pending>,
    /// The text buffer of the last entry, for the next.
    spare: Vec<u8>,
    prev_ms: Option<EpochMs>,
    last_startup: Option<EpochMs>,
    counts: Counts,
    /// The first `$SNAPLOG` zone abbreviation that disagreed with the zone.
    mismatch: Option<(String, String)>,
}

impl<'a> Assembler<'a> {
    fn new(log: DbLog, opts: &'a ReadOptions<'a>) -> Self {
        Assembler {
            log,
            opts,
            local: Resolver::new(opts.zone),
            utc: Resolver::new(&UTC),
            pending: None,
            spare: Vec::new(),
            prev_ms: None,
            last_startup: None,
            counts: Counts::default(),
            mismatch: None,
        }
    }

    fn text_line(&mut self, t: &[u8], number: u64) {
        // Only needed to tell an empty file from one in an unknown format.
        if self.log.entries == 0 && !t.trim_ascii().is_empty() {
            self.counts.nonblank += 1;
        }
        match parse_head(t) {
            Some(head) => self.head(head, number),
            None => self.continuation(t),
        }
    }

    fn continuation(&mut self, t: &[u8]) {
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        let t = t.trim_ascii();
        if t.is_empty() || p.text.len() >= MAX_ENTRY {
            return;
        }
        p.text.push(b' ');
        let room = MAX_ENTRY.saturating_sub(p.text.len());
        p.text.extend_from_slice(&t[..t.len().min(room)]);
    }

    fn head(&mut self, head: Head<'_>, number: u64) {
        self.flush();
        let Some(time_ms) = self.time_of(&head, number) else {
            self.counts.bad_date.hit(number);
            return;
        };
        self.track_order(time_ms, number);
        let msg = &head.message[..head.message.len().min(MAX_ENTRY)];
        let mut text = std::mem::take(&mut self.spare);
        text.clear();
        text.extend_from_slice(msg);
        self.pending = Some(Pending {
            time_ms,
            line: number,
            format: head.format,
            severity: head.severity,
            text,
        });
    }

    fn track_order(&mut self, time_ms: EpochMs, number: u64) {
        if self.prev_ms.is_some_and(|p| time_ms < p) {
            self.counts.backwards.hit(number);
        }
        self.prev_ms = Some(time_ms);
        self.log.entries += 1;
        self.log.first_ms = Some(self.log.first_ms.map_or(time_ms, |f| f.min(time_ms)));
        self.log.last_ms = Some(self.log.last_ms.map_or(time_ms, |l| l.max(time_ms)));
    }

    /// UTC time of an entry's wall time. In the hour that the end of
    /// daylight saving repeats, the reading that keeps the log going
    /// forward wins, so a log written through the night reads right.
    fn time_of(&mut self, head: &Head<'_>, number: u64) -> Option<EpochMs> {
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
                match self.prev_ms {
                    Some(p) if earlier < p && later >= p => later,
                    _ => earlier,
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

    /// Ends the pending entry: classifies it and keeps it if it is an event.
    fn flush(&mut self) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let class = classify(p.format, p.severity, &p.text);
        if class.startup {
            self.last_startup = Some(p.time_ms);
        }
        if let Some(kind) = class.kind {
            let kind = self.startup_rule(kind, p.time_ms);
            let event = self.event(kind, &p, &class);
            self.log.events.push(event);
        }
        // The next entry reuses the buffer: a large log has millions.
        self.spare = p.text;
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

    fn event(&self, kind: DbKind, p: &Pending, class: &Class) -> DbEvent {
        let instance = class.instance.as_deref().map(escape_bytes);
        let member = match (self.opts.member, &instance) {
            (Some(m), _) => m.to_owned(),
            (None, Some(inst)) => inst.clone(),
            (None, None) => self.log.member.clone(),
        };
        DbEvent {
            time_ms: p.time_ms,
            kind,
            member,
            text: shown(&p.text),
            source: self.log.source.clone(),
            line: p.line,
            instance,
        }
    }

    fn read_error(&mut self, e: &io::Error, number: u64, gz: bool) {
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

    fn finish(mut self) -> DbLog {
        self.flush();
        let notes = self.notes();
        self.log.notes.extend(notes);
        self.log
    }

    fn notes(&self) -> Vec<DbNote> {
        let c = &self.counts;
        let zone = self.opts.zone.name();
        let mut out: Vec<String> = Vec::new();
        if self.log.entries == 0 && self.log.errors.is_empty() {
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

#[cfg(test)]
mod tests;
