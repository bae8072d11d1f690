//! Parsing one vmware.log line: the header, then the message.
//!
//! A stun is recognised only when the *message* — the text right after a
//! well-formed header — is exactly `Checkpoint_Unstun: vm stopped for N us`.
//! Guests can write into their own vmware.log (GuestRpc, tools logging),
//! but they cannot choose where the header ends, so anchoring on the header
//! is what makes the count trustworthy. Everything here works on `&[u8]`,
//! never allocates on the way to a verdict, and never indexes past a slice.

use crate::time::{self, EpochMs};

/// When a line was written, as far as its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTime {
    /// A full timestamp, normalised to UTC.
    Utc(EpochMs),
    /// The old ESX 4 / Workstation ≤ 7 header: no year, no offset. The year
    /// is supplied later from the file's modification time.
    NoYear {
        month: u32,
        day: u32,
        ms_of_day: i64,
    },
}

/// Which header family a line used; decides where the message may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `2023-12-05T17:42:40.741Z In(05) vcpu-0 [opid] message` (ESXi 7/8,
    /// Workstation 17). ESXi writes an opid field (`-` when empty);
    /// Workstation writes none.
    Severity,
    /// `2015-10-27T22:01:42.149Z| vcpu-0| I120: message` (ESXi 5/6,
    /// Workstation ≤ 16), the level token optional (ESXi 5.0).
    Pipe,
    /// `Apr 17 22:14:49.605: vcpu-0| message` (ESX 4, Workstation ≤ 7).
    Old,
}

/// A line whose header parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    pub time: LineTime,
    pub family: Family,
    /// `In(05)+`: a continuation of a multi-line message. Never an event.
    pub continuation: bool,
    pub thread: &'a [u8],
    /// Everything after the header fields (thread and, for the pipe
    /// families, the level token). For [`Family::Severity`] this may still
    /// start with an opid; see [`Header::messages`].
    pub rest: &'a [u8],
    /// A saved-grep prefix (`vmware-3.log:`), without the colon, and the
    /// line number a `grep -n` prefix gave.
    pub grep_name: Option<&'a [u8]>,
    pub grep_line: Option<u64>,
}

/// What a line means to stunscan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// `Checkpoint_Unstun: vm stopped for N us`.
    Stun(u64),
    /// The stun shape, but the number does not fit in a u64.
    StunOverflow,
    Op(OpMarker<'a>),
    DisplayName(&'a [u8]),
    Hostname(&'a [u8]),
    Product(&'a [u8]),
}

/// The operation an operation marker belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    Create,
    Consolidate,
    Migrate,
    /// CPU or memory hot-add, device hot-add or hot-remove: an internal
    /// stun, not a snapshot and not a vMotion.
    Hotplug,
}

/// Where in its operation a marker is logged: only begin markers open an
/// operation, only end markers may decide a cluster logged before them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Begin,
    Step,
    End,
}

/// An operation marker: decides the kind of the stuns around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpMarker<'a> {
    pub kind: OpKind,
    pub phase: Phase,
    /// A bare `Migrate:` line: vMotion, unless a hot-plug is open (memory
    /// hot-add logs `Migrate: VM starting stun` too).
    pub generic: bool,
    pub snapshot: Option<&'a [u8]>,
    pub quiesced: Option<bool>,
}

impl OpMarker<'_> {
    fn of(kind: OpKind, phase: Phase) -> Self {
        OpMarker {
            kind,
            phase,
            generic: false,
            snapshot: None,
            quiesced: None,
        }
    }
}

/// Why a line holding the stun words is not counted as a stun.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// No timestamp, or one that does not parse (redacted `YYYY-MM-DDThh:mm:ss`, stripped).
    NoHeader,
    /// The words inside another message.
    NotMessage,
    /// A `+` continuation line.
    Continuation,
    /// The value is not plain digits.
    BadValue,
}

impl SkipReason {
    pub const ALL: [SkipReason; 4] = [
        SkipReason::NoHeader,
        SkipReason::NotMessage,
        SkipReason::Continuation,
        SkipReason::BadValue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NoHeader => "no_header",
            SkipReason::NotMessage => "not_message",
            SkipReason::Continuation => "continuation",
            SkipReason::BadValue => "bad_value",
        }
    }

    /// What the reason means, for the note a user reads.
    pub fn explain(self) -> &'static str {
        match self {
            SkipReason::NoHeader => "no timestamp, or a redacted one",
            SkipReason::NotMessage => "the words inside another message",
            SkipReason::Continuation => "on a continuation line",
            SkipReason::BadValue => "the value is not a number",
        }
    }
}

/// The words every stun record holds: a line with them is either a stun
/// or a skipped stun line, never silently nothing.
pub const STUN_WORDS: &[u8] = b"Unstun: vm stopped for";

/// Whether `raw` holds [`STUN_WORDS`]. The finder is built once: this runs
/// on every marker line, and building a finder costs more than the search.
pub fn has_stun_words(raw: &[u8]) -> bool {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER
        .get_or_init(|| memchr::memmem::Finder::new(STUN_WORDS))
        .find(raw)
        .is_some()
}

/// Why `raw`, a line holding [`STUN_WORDS`] that is not a stun, is skipped.
pub fn skip_reason(raw: &[u8]) -> Option<SkipReason> {
    if !has_stun_words(raw) {
        return None;
    }
    let Some(h) = parse_header(raw) else {
        return Some(SkipReason::NoHeader);
    };
    if h.continuation {
        return Some(SkipReason::Continuation);
    }
    let (first, second) = h.messages();
    let stun_shaped = |m: &[u8]| STUN_SPELLINGS.iter().any(|p| m.starts_with(p));
    match h.message() {
        Some(Message::Stun(_) | Message::StunOverflow) => None,
        _ if stun_shaped(first) || second.is_some_and(stun_shaped) => Some(SkipReason::BadValue),
        _ => Some(SkipReason::NotMessage),
    }
}

/// Parses a line (without its `\n`; a trailing `\r` is tolerated) into its
/// header, or `None` when the line has no well-formed header. Leading
/// spaces and tabs are ignored: excerpts pasted into tickets are indented.
pub fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let line = trim_start(line);
    if let Some(h) = parse_header_at_start(line) {
        return Some(h);
    }
    parse_grep_prefixed(line)
}

fn parse_header_at_start(line: &[u8]) -> Option<Header<'_>> {
    match line.first()? {
        b'0'..=b'9' => parse_iso_header(line),
        b'A'..=b'Z' => parse_old_header(line),
        _ => None,
    }
}

/// `<name>.log:` (or `<name>.log:<N>:` from `grep -n`) before a header.
fn parse_grep_prefixed(line: &[u8]) -> Option<Header<'_>> {
    // A grep prefix is a path; keep the search bounded on huge lines.
    let window = &line[..line.len().min(4096)];
    let at = memchr::memmem::find(window, b".log:")?;
    let name = &line[..at + 4];
    if name.iter().any(|&c| c < 0x20 || c == 0x7f) {
        return None;
    }
    let mut after = &line[at + 5..];
    let mut grep_line = None;
    let n = after
        .iter()
        .take(20)
        .take_while(|c| c.is_ascii_digit())
        .count();
    // `grep -n`: digits then ':' — but a timestamp also starts with digits,
    // so only take them when a ':' follows straight away.
    if n > 0 && after.get(n) == Some(&b':') {
        grep_line = std::str::from_utf8(&after[..n])
            .ok()
            .and_then(|s| s.parse().ok());
        after = &after[n + 1..];
    }
    let mut h = parse_header_at_start(after)?;
    h.grep_name = Some(name);
    h.grep_line = grep_line;
    Some(h)
}

/// A thread name: printable, no spaces, no `|`, at most 64 bytes.
fn take_thread(b: &[u8], stop: u8) -> Option<(&[u8], usize)> {
    let n = b
        .iter()
        .take(65)
        .take_while(|&&c| c != stop && c > b' ' && c != 0x7f && c != b'|')
        .count();
    if n == 0 || n > 64 || b.get(n) != Some(&stop) {
        return None;
    }
    Some((&b[..n], n + 1))
}

fn parse_iso_header(line: &[u8]) -> Option<Header<'_>> {
    let (ms, used) = time::parse_iso(line)?;
    let b = &line[used..];
    match b.first()? {
        b'|' => {
            // `| thread| [L123: ]message`
            let b = b.strip_prefix(b"| ")?;
            let (thread, n) = take_thread(b, b'|')?;
            let rest = b[n..].strip_prefix(b" ")?;
            Some(Header {
                time: LineTime::Utc(ms),
                family: Family::Pipe,
                continuation: false,
                thread,
                rest: strip_level_token(rest),
                grep_name: None,
                grep_line: None,
            })
        }
        b' ' => {
            // ` Xx(NN)[+] thread message`
            let b = &b[1..];
            let sev = b.get(..6)?;
            if !(sev[0].is_ascii_uppercase()
                && sev[1].is_ascii_lowercase()
                && sev[2] == b'('
                && sev[3].is_ascii_digit()
                && sev[4].is_ascii_digit()
                && sev[5] == b')')
            {
                return None;
            }
            let mut b = &b[6..];
            let continuation = b.first() == Some(&b'+');
            if continuation {
                b = &b[1..];
            }
            let b = b.strip_prefix(b" ")?;
            let (thread, n) = take_thread(b, b' ')?;
            Some(Header {
                time: LineTime::Utc(ms),
                family: Family::Severity,
                continuation,
                thread,
                rest: &b[n..],
                grep_name: None,
                grep_line: None,
            })
        }
        _ => None,
    }
}

/// `Apr 17 22:14:49.605: vcpu-0| message` (day may be space-padded).
fn parse_old_header(line: &[u8]) -> Option<Header<'_>> {
    let month = time::month_from_abbrev(line)?;
    if line.get(3) != Some(&b' ') {
        return None;
    }
    let day = match (line.get(4)?, line.get(5)?) {
        (b' ', d @ b'0'..=b'9') => u32::from(d - b'0'),
        (a @ b'0'..=b'9', d @ b'0'..=b'9') => u32::from(a - b'0') * 10 + u32::from(d - b'0'),
        _ => return None,
    };
    // Feb 29 is allowed: the year is not known yet.
    if day == 0 || day > time::days_in_month(2000, month) || line.get(6) != Some(&b' ') {
        return None;
    }
    let (ms_of_day, n) = time::parse_clock(&line[7..])?;
    let b = line[7 + n..].strip_prefix(b": ")?;
    let (thread, n) = take_thread(b, b'|')?;
    let rest = b[n..].strip_prefix(b" ")?;
    Some(Header {
        time: LineTime::NoYear {
            month,
            day,
            ms_of_day,
        },
        family: Family::Old,
        continuation: false,
        thread,
        rest: strip_level_token(rest),
        grep_name: None,
        grep_line: None,
    })
}

/// Drops an `I120: ` style level token.
fn strip_level_token(rest: &[u8]) -> &[u8] {
    match rest {
        [l, a, b, c, b':', b' ', tail @ ..]
            if l.is_ascii_uppercase()
                && a.is_ascii_digit()
                && b.is_ascii_digit()
                && c.is_ascii_digit() =>
        {
            tail
        }
        _ => rest,
    }
}

/// An ESXi opid: `-`, `vim-cmd-09-a45d`, `opID=…`, `lro-1-2`… — one token of
/// identifier characters that does not end in `:` (a token ending in `:` is
/// the start of a message such as `Guest:`, which must not hide a stun).
fn is_opid(tok: &[u8]) -> bool {
    !tok.is_empty()
        && tok.len() <= 128
        && tok.last() != Some(&b':')
        && tok
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"-_.=@/:+#".contains(&c))
}

impl<'a> Header<'a> {
    /// The candidate message starts: the text right after the header, and
    /// for the severity family also the text after an opid token.
    pub fn messages(&self) -> (&'a [u8], Option<&'a [u8]>) {
        let rest = self.rest;
        if self.family != Family::Severity {
            return (rest, None);
        }
        let second = memchr::memchr(b' ', rest)
            .filter(|&sp| is_opid(&rest[..sp]))
            .map(|sp| &rest[sp + 1..]);
        (rest, second)
    }

    /// Classifies the line's message. Continuation lines mean nothing.
    pub fn message(&self) -> Option<Message<'a>> {
        if self.continuation {
            return None;
        }
        let (first, second) = self.messages();
        classify(first).or_else(|| second.and_then(classify))
    }
}

const STUN_SPELLINGS: [&[u8]; 2] = [
    b"Checkpoint_Unstun: vm stopped for ",
    b"CheckpointUnstun: vm stopped for ",
];

/// Classifies a message that starts at `msg`.
pub fn classify(msg: &[u8]) -> Option<Message<'_>> {
    let msg = trim_end(msg);
    match msg.first()? {
        b'C' => {
            for p in STUN_SPELLINGS {
                if let Some(tail) = msg.strip_prefix(p) {
                    return parse_stun_value(tail);
                }
            }
            if msg.starts_with(b"ConsolidateEnd") {
                return op(OpKind::Consolidate, Phase::End);
            }
            if msg.starts_with(b"ConsolidateStart") {
                return op(OpKind::Consolidate, Phase::Begin);
            }
            if msg.starts_with(b"Consolidate") {
                return op(OpKind::Consolidate, Phase::Step);
            }
            hotplug_marker(msg)
        }
        b'S' => snapshot_marker(msg),
        b'M' => migrate_marker(msg).or_else(|| hotplug_marker(msg)),
        b'R' => {
            if msg.starts_with(b"Received migrate") {
                return op(OpKind::Migrate, Phase::Step);
            }
            hotplug_marker(msg)
        }
        b'D' => display_name(msg),
        b'H' => {
            let name = trim(msg.strip_prefix(b"Hostname=")?);
            (!name.is_empty()).then_some(Message::Hostname(name))
        }
        b'L' => {
            let tail = msg.strip_prefix(b"Log for VMware ")?;
            let end = memchr::memmem::find(tail, b" pid=")?;
            Some(Message::Product(&tail[..end]))
        }
        _ => hotplug_marker(msg),
    }
}

fn op(kind: OpKind, phase: Phase) -> Option<Message<'static>> {
    Some(Message::Op(OpMarker::of(kind, phase)))
}

/// vMotion markers. `MigrateBusMemPrealloc:` (every power-on) is not one.
fn migrate_marker(msg: &[u8]) -> Option<Message<'_>> {
    let tail = msg.strip_prefix(b"Migrate")?;
    if tail.starts_with(b"_Open") {
        return op(OpKind::Migrate, Phase::Begin);
    }
    if [&b"SetState"[..], b"SetInfo", b".PrepareSource", b"_"]
        .iter()
        .any(|p| tail.starts_with(p))
    {
        return op(OpKind::Migrate, Phase::Step);
    }
    if tail.starts_with(b":") {
        let mut m = OpMarker::of(OpKind::Migrate, Phase::Step);
        m.generic = true;
        return Some(Message::Op(m));
    }
    None
}

/// Hot-plug requests. The `Hotplug: Node 0: Present …` lines every
/// power-on logs describe memory layout and are not requests.
fn hotplug_marker(msg: &[u8]) -> Option<Message<'_>> {
    const BEGIN: [&[u8]; 6] = [
        b"Requesting hot-add",
        b"Requesting hot-remove",
        b"CPU hot-add",
        b"CPU hot-remove",
        b"memoryHotplug:",
        b"MemoryHotplug:",
    ];
    const STEP: [&[u8]; 3] = [b"cpuHotplug", b"CPUHotplug", b"hotplug:"];
    if BEGIN.iter().any(|p| msg.starts_with(p)) {
        return op(OpKind::Hotplug, Phase::Begin);
    }
    if STEP.iter().any(|p| msg.starts_with(p)) {
        return op(OpKind::Hotplug, Phase::Step);
    }
    None
}

/// `<digits> us` and nothing else.
fn parse_stun_value(tail: &[u8]) -> Option<Message<'static>> {
    let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || &tail[n..] != b" us" {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &tail[..n] {
        match v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
        {
            Some(nv) => v = nv,
            None => return Some(Message::StunOverflow),
        }
    }
    Some(Message::Stun(v))
}

fn snapshot_marker(msg: &[u8]) -> Option<Message<'_>> {
    if let Some(tail) = msg.strip_prefix(b"SnapshotVMX_TakeSnapshot start: ") {
        let snapshot = tail.strip_prefix(b"'").map(|t| {
            let end = memchr::memmem::find(t, b"', ")
                .or_else(|| memchr::memrchr(b'\'', t))
                .unwrap_or(t.len());
            &t[..end]
        });
        let quiesced =
            memchr::memmem::find(tail, b"quiesced=").and_then(|i| match tail.get(i + 9) {
                Some(b'0') => Some(false),
                Some(b'1') => Some(true),
                _ => None,
            });
        let mut m = OpMarker::of(OpKind::Create, Phase::Begin);
        m.snapshot = snapshot;
        m.quiesced = quiesced;
        return Some(Message::Op(m));
    }
    if let Some(tail) = msg.strip_prefix(b"SnapshotVMXTakeSnapshotComplete:") {
        let mut m = OpMarker::of(OpKind::Create, Phase::End);
        m.snapshot = memchr::memmem::find(tail, b"snapshot '").map(|i| {
            let t = &tail[i + 10..];
            &t[..memchr::memrchr(b'\'', t).unwrap_or(t.len())]
        });
        return Some(Message::Op(m));
    }
    if msg.starts_with(b"SnapshotVMXTakeSnapshotWork")
        || msg.starts_with(b"SNAPSHOT: SnapshotPrepareTakeDoneCB")
    {
        return op(OpKind::Create, Phase::Step);
    }
    if msg.starts_with(b"SnapshotVMXConsolidate") || msg.starts_with(b"SnapshotVMX_Consolidate") {
        return op(OpKind::Consolidate, Phase::Step);
    }
    None
}

/// `DICT <spaces> displayName = "<name>"` (unquoted in old logs). The key
/// must be exactly `displayName`: `pref.mruVM0.displayName` is another VM.
fn display_name(msg: &[u8]) -> Option<Message<'_>> {
    let tail = msg.strip_prefix(b"DICT ")?;
    let tail = trim_start(tail).strip_prefix(b"displayName")?;
    let tail = trim_start(tail).strip_prefix(b"=")?;
    let value = trim(tail);
    let value = match value {
        [b'"', inner @ .., b'"'] => inner,
        v => v,
    };
    (!value.is_empty()).then_some(Message::DisplayName(value))
}

/// `displayName = "…"` in a `.vmx` file (keys are case-insensitive there).
pub fn vmx_display_name(line: &[u8]) -> Option<&[u8]> {
    let line = trim(line);
    let key = line.get(..11)?;
    if !key.eq_ignore_ascii_case(b"displayName") {
        return None;
    }
    let tail = trim_start(&line[11..]).strip_prefix(b"=")?;
    let value = match trim(tail) {
        [b'"', inner @ .., b'"'] => inner,
        v => v,
    };
    (!value.is_empty()).then_some(value)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    &b[n..]
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|&&c| c == b' ' || c == b'\t' || c == b'\r')
        .count();
    &b[..b.len() - n]
}

fn trim(b: &[u8]) -> &[u8] {
    trim_end(trim_start(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_rfc3339_ms;

    fn msg(line: &str) -> Option<Message<'_>> {
        parse_header(line.as_bytes())?.message()
    }

    fn utc(line: &str) -> String {
        match parse_header(line.as_bytes()).unwrap().time {
            LineTime::Utc(ms) => format_rfc3339_ms(ms),
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn every_header_family_yields_the_stun() {
        for (line, us) in [
            (
                "2023-12-05T17:42:40.741Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for 188405 us",
                188405,
            ),
            (
                "2024-01-29T15:56:49.259Z In(05) vcpu-0 Checkpoint_Unstun: vm stopped for 5 us",
                5,
            ),
            (
                "2015-10-27T22:01:42.149Z| vcpu-0| I120: Checkpoint_Unstun: vm stopped for 188405 us",
                188405,
            ),
            (
                "2012-03-23T16:22:51.876Z| vcpu-0| Checkpoint_Unstun: vm stopped for 3658889 us",
                3658889,
            ),
            (
                "2020-05-21T20:04:24.263-07:00| vcpu-0| I125: CheckpointUnstun: vm stopped for 7 us",
                7,
            ),
            (
                "Apr 17 22:14:49.605: vcpu-0| Checkpoint_Unstun: vm stopped for 5000000 us",
                5000000,
            ),
            (
                "Apr  7 22:14:49.605: vcpu-0| I120: Checkpoint_Unstun: vm stopped for 6 us",
                6,
            ),
            (
                "vmware-3.log:2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 38123 us",
                38123,
            ),
            (
                "./a/vmware.log:12:2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1 us\r",
                1,
            ),
        ] {
            assert_eq!(msg(line), Some(Message::Stun(us)), "{line}");
        }
        assert_eq!(
            utc("2020-05-21T20:04:24.263-07:00| vcpu-0| I125: x"),
            "2020-05-22T03:04:24.263Z"
        );
    }

    #[test]
    fn skipped_stun_lines_have_a_reason() {
        for (line, reason) in [
            (
                "YYYY-MM-DDThh:mm:ss.536Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 9 us",
                Some(SkipReason::NoHeader),
            ),
            (
                "vmx| Checkpoint_Unstun: vm stopped for 9 us",
                Some(SkipReason::NoHeader),
            ),
            (
                "2017-01-04T22:15:58.846Z| vmx| I125: GuestRpc: Got 'Checkpoint_Unstun: vm stopped for 9 us'",
                Some(SkipReason::NotMessage),
            ),
            (
                "2023-12-05T17:42:40.741Z In(05)+ vcpu-0 - Checkpoint_Unstun: vm stopped for 9 us",
                Some(SkipReason::Continuation),
            ),
            (
                "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 12a34 us",
                Some(SkipReason::BadValue),
            ),
            (
                "2023-12-05T17:42:40.741Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for -5 us",
                Some(SkipReason::BadValue),
            ),
            (
                "  \t2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 9 us",
                None,
            ),
            (
                "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 99999999999999999999999 us",
                None,
            ),
            (
                "2023-12-05T17:42:40.741Z In(05) vcpu-0 - CPT: vm was stunned for 9 us",
                None,
            ),
        ] {
            assert_eq!(skip_reason(line.as_bytes()), reason, "{line}");
        }
    }

    #[test]
    fn indented_lines_parse() {
        assert_eq!(
            msg(
                "    2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 9 us"
            ),
            Some(Message::Stun(9))
        );
        assert_eq!(
            msg(
                "\t2023-12-05T17:42:40.741Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for 7 us"
            ),
            Some(Message::Stun(7))
        );
    }

    #[test]
    fn grep_prefix_is_reported() {
        let h = parse_header(b"./vmfs/db1/vmware.log:42:2017-01-04T22:15:58.846Z| vcpu-0| I125: x")
            .unwrap();
        assert_eq!(h.grep_name, Some(&b"./vmfs/db1/vmware.log"[..]));
        assert_eq!(h.grep_line, Some(42));
    }

    #[test]
    fn the_phrase_elsewhere_is_not_a_stun() {
        for line in [
            "2017-01-04T22:15:58.846Z| vmx| I125: GuestRpc: Got 'Checkpoint_Unstun: vm stopped for 9 us'",
            "2023-12-05T17:42:40.741Z In(05) vmx - Guest: Checkpoint_Unstun: vm stopped for 9 us",
            "2024-01-29T15:56:49.259Z In(05) vmx Guest: Checkpoint_Unstun: vm stopped for 9 us",
            "2023-12-05T17:42:40.741Z In(05)+ vcpu-0 - Checkpoint_Unstun: vm stopped for 9 us",
            "Checkpoint_Unstun: vm stopped for 9 us",
            "xx2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 9 us",
            "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 9a us",
            "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for -9 us",
            "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1 2 us",
            "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 9 us extra",
            "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for ９ us",
            "2017-01-04T22:15:58.846| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 9 us",
        ] {
            assert!(!matches!(msg(line), Some(Message::Stun(_))), "{line}");
        }
        assert_eq!(
            msg(
                "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1234567890123456789012345 us"
            ),
            Some(Message::StunOverflow)
        );
    }

    #[test]
    fn markers() {
        let create = match msg(
            "2023-12-05T17:42:40.666Z In(05) vmx vim-cmd-09-a45d SnapshotVMX_TakeSnapshot start: 'nightly', deviceState=0, quiesced=1, x",
        ) {
            Some(Message::Op(m)) => m,
            m => panic!("{m:?}"),
        };
        assert_eq!(
            (create.kind, create.phase, create.snapshot, create.quiesced),
            (
                OpKind::Create,
                Phase::Begin,
                Some(&b"nightly"[..]),
                Some(true)
            )
        );
        let done = match msg(
            "2017-01-04T21:30:20.000Z| vmx| I125: SnapshotVMXTakeSnapshotComplete: Done with snapshot 'nightly': 1",
        ) {
            Some(Message::Op(m)) => m,
            m => panic!("{m:?}"),
        };
        assert_eq!(
            (done.kind, done.phase, done.snapshot),
            (OpKind::Create, Phase::End, Some(&b"nightly"[..]))
        );
        for (line, kind, phase, generic) in [
            (
                "ConsolidateStart: x",
                OpKind::Consolidate,
                Phase::Begin,
                false,
            ),
            (
                "SnapshotVMX_Consolidate: x",
                OpKind::Consolidate,
                Phase::Step,
                false,
            ),
            (
                "ConsolidateEnd: Snapshot consolidate complete: 0",
                OpKind::Consolidate,
                Phase::End,
                false,
            ),
            (
                "SnapshotVMXTakeSnapshotWork: x",
                OpKind::Create,
                Phase::Step,
                false,
            ),
            (
                "SNAPSHOT: SnapshotPrepareTakeDoneCB: x",
                OpKind::Create,
                Phase::Step,
                false,
            ),
            (
                "Migrate_Open: Migrating to <x> with migration id 1",
                OpKind::Migrate,
                Phase::Begin,
                false,
            ),
            (
                "MigrateSetState: Transitioning from state 1 to 2.",
                OpKind::Migrate,
                Phase::Step,
                false,
            ),
            (
                "Received migrate 'from' request for mid id 1",
                OpKind::Migrate,
                Phase::Step,
                false,
            ),
            (
                "Migrate: VM starting stun, waiting 100 seconds for go/no-go message.",
                OpKind::Migrate,
                Phase::Step,
                true,
            ),
            (
                "Requesting hot-add of memory: 4096 MB",
                OpKind::Hotplug,
                Phase::Begin,
                false,
            ),
            (
                "Requesting hot-remove of USB device",
                OpKind::Hotplug,
                Phase::Begin,
                false,
            ),
            (
                "memoryHotplug: Hot-adding memory",
                OpKind::Hotplug,
                Phase::Begin,
                false,
            ),
        ] {
            let full = format!("2017-01-04T21:30:20.000Z| vmx| I125: {line}");
            match msg(&full) {
                Some(Message::Op(m)) => {
                    assert_eq!(
                        (m.kind, m.phase, m.generic),
                        (kind, phase, generic),
                        "{line}"
                    )
                }
                m => panic!("{line}: {m:?}"),
            }
        }
        for not_a_marker in [
            "Hotplug: Node 0: Present: 2047 MB (100 %) Size:32767 MB (100 %)",
            "restoring MigrateState",
            "MigrateBusMemPrealloc: BusMem preallocation begins.",
            "CPT: vm was stunned for 38123 us",
        ] {
            let full = format!("2017-01-04T21:30:20.000Z| vmx| I125: {not_a_marker}");
            assert_eq!(msg(&full), None, "{not_a_marker}");
        }
        assert_eq!(
            msg(
                "2023-02-02T15:00:25.394Z In(05) vmx MigrateBusMemPrealloc: BusMem preallocation begins."
            ),
            None
        );
        assert_eq!(
            msg("2024-01-29T15:56:49.259Z In(05) vmx Hostname=LAPTOP-25NBHP7S\r"),
            Some(Message::Hostname(b"LAPTOP-25NBHP7S"))
        );
        assert_eq!(
            msg(
                "2024-01-29T15:56:49.441Z In(05) vmx DICT               displayName = \"Windows 10\""
            ),
            Some(Message::DisplayName(b"Windows 10"))
        );
        assert_eq!(
            msg(
                "2024-01-29T15:56:49.441Z In(05) vmx DICT   pref.mruVM0.displayName = \"Windows 10\""
            ),
            None
        );
        assert_eq!(
            msg("Apr 18 00:25:37.604: vmx| DICT               displayName = Euan_Hume_WebArcAss3 "),
            Some(Message::DisplayName(b"Euan_Hume_WebArcAss3"))
        );
        assert_eq!(
            msg(
                "2024-01-29T15:56:03.930Z In(05) vmx Log for VMware Player pid=5836 version=17.5.0 build=build-22583795"
            ),
            Some(Message::Product(b"Player"))
        );
        assert_eq!(
            vmx_display_name(b"displayName = \"db1-prod\"\r"),
            Some(&b"db1-prod"[..])
        );
        assert_eq!(vmx_display_name(b"displayName.x = \"no\""), None);
    }
}
