//! How a vmware.log line is cut into its time, thread and message, one
//! header family at a time.
//!
//! VMware has changed its log layout with most releases; each layout is a
//! *family* here, with one parser that takes a whole line and returns the
//! [`Header`] or `None`. [`FAMILIES`] lists them in the order they are tried
//! and is the one place to extend: a new layout is a new parser added to
//! that list, and everything downstream (what a message means, the scan)
//! reads it unchanged. A saved-grep prefix (`vmware-3.log:`) and leading
//! indentation are peeled off before the families are tried.
//!
//! Nothing here knows what a message means ([`super::markers`] does), and
//! nothing allocates or indexes past a slice: every byte is untrusted.

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
    /// `2026-01-09T08:08:30.173Z -INFO vmware-vmx.exe 15108 [ws@4413
    /// threadName="vmx"] message` (Workstation 25; the layout of vSphere 9's
    /// own services): a syslog-like level, the program and its pid, then
    /// one or more RFC 5424 structured-data elements. `+INFO` continues a
    /// message. The thread is the `threadName` parameter.
    Structured,
    /// A VMX message forwarded by syslog without its own header: the
    /// time is the syslog envelope's (see [`super::syslog`]).
    Forwarded,
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
    /// The host and VM (syslogID) of a line forwarded by syslog.
    pub forwarded: Option<super::syslog::Forwarded<'a>>,
}

/// A family's parser: what follows a line's ISO 8601 time (parsed once
/// for all of them, as `UTC` milliseconds) in, the header out, `None` when
/// the line is not of the family.
pub type FamilyParser = for<'a> fn(EpochMs, &'a [u8]) -> Option<Header<'a>>;

/// The header families of lines that start with an ISO 8601 time, in the
/// order they are tried. Each rejects a line of another family within its
/// first few bytes, so the order only matters for speed: the most common
/// layouts first. (The old year-less family, `Apr 17 …`, is the one line
/// start that is not such a time.)
pub const FAMILIES: [FamilyParser; 3] = [severity, pipe, structured];

/// Parses a line (without its `\n`; a trailing `\r` is tolerated) into its
/// header, or `None` when the line has no well-formed header. Leading
/// spaces and tabs are ignored: excerpts pasted into tickets are indented.
/// A line forwarded by syslog is read inside its envelope
/// ([`super::syslog`]).
pub fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let line = trim_start(line);
    if let Some(h) = parse_at_start(line) {
        return Some(h);
    }
    super::syslog::parse(line).or_else(|| parse_grep_prefixed(line))
}

/// A line whose header began on the line before (`prev`, which holds the
/// header's start and nothing that parses alone): the two put back
/// together, when that makes a line with a header. Seen where a log went
/// through a tool that wraps long lines; only lines that hold a needle and
/// no header come here, so the copy is rare.
pub fn join_split(prev: &[u8], line: &[u8]) -> Option<Vec<u8>> {
    let prev = prev.strip_suffix(b"\r").unwrap_or(prev);
    let start = trim_start(prev);
    let begins = time::parse_iso(start).is_some() || time::month_from_abbrev(start).is_some();
    if !begins || prev.len() > 512 || parse_header(prev).is_some() {
        return None;
    }
    let glued = |sep: &[u8]| [prev, sep, line].concat();
    let spaced = prev.ends_with(b" ") || line.starts_with(b" ");
    let first = glued(if spaced { b"" } else { b" " });
    if parse_header(&first).is_some() {
        return Some(first);
    }
    let tight = glued(b"");
    parse_header(&tight).is_some().then_some(tight)
}

/// A file's first line without the byte-order mark a Windows editor
/// writes at the start of a file. (Anywhere else those bytes are part of
/// the line, and a header after them is not at its start.)
pub fn strip_bom(first_line: &[u8]) -> &[u8] {
    first_line
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(first_line)
}

/// A line of one of the [`FAMILIES`], from its first byte.
pub(super) fn parse_at_start(line: &[u8]) -> Option<Header<'_>> {
    match time::parse_iso(line) {
        Some((ms, used)) => {
            let after = &line[used..];
            FAMILIES.iter().find_map(|family| family(ms, after))
        }
        None => old(line),
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
    let (grep_line, after) = grep_line_number(&line[at + 5..]);
    let mut h = parse_at_start(after)?;
    h.grep_name = Some(name);
    h.grep_line = grep_line;
    Some(h)
}

/// `grep -n`'s `<N>:` at the start of `after`, and what follows it — but a
/// timestamp also starts with digits, so they are a line number only when
/// a `:` follows straight away.
fn grep_line_number(after: &[u8]) -> (Option<u64>, &[u8]) {
    let n = after
        .iter()
        .take(20)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n > 0 && after.get(n) == Some(&b':') {
        let number = std::str::from_utf8(&after[..n])
            .ok()
            .and_then(|s| s.parse().ok());
        return (number, &after[n + 1..]);
    }
    (None, after)
}

/// The text after a `name.log:` or `name.log:N:` prefix (the line as the
/// log itself held it).
pub fn strip_grep_prefix(line: &[u8]) -> &[u8] {
    match memchr::memmem::find(line, b".log:") {
        Some(at) => grep_line_number(&line[at + 5..]).1,
        None => line,
    }
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

/// `2015-10-27T22:01:42.149Z| vcpu-0| [I120: ]message`.
fn pipe(ms: EpochMs, after_time: &[u8]) -> Option<Header<'_>> {
    let b = after_time.strip_prefix(b"| ")?;
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
        forwarded: None,
    })
}

/// `2023-12-05T17:42:40.741Z Xx(NN)[+] thread message`.
fn severity(ms: EpochMs, after_time: &[u8]) -> Option<Header<'_>> {
    let b = after_time.strip_prefix(b" ")?;
    severity_fields(b, LineTime::Utc(ms))
}

/// `Xx(NN)[+] thread message`, the fields after the severity family's
/// time (a forwarded line may carry them without it).
pub(super) fn severity_fields(b: &[u8], time: LineTime) -> Option<Header<'_>> {
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
        time,
        family: Family::Severity,
        continuation,
        thread,
        rest: &b[n..],
        grep_name: None,
        grep_line: None,
        forwarded: None,
    })
}

/// `<time> [-+]LEVEL <program> <pid> [<id> key="value" …]… message`.
/// Read by shape, not by the `ws@4413` of Workstation 25: any SD-ID, any
/// parameters, several elements; the level's sign is optional (vSphere 9
/// services write `INFO vpxd 20973 [Originator@4413 sub="…"] …`).
fn structured(ms: EpochMs, after_time: &[u8]) -> Option<Header<'_>> {
    let mut b = after_time.strip_prefix(b" ")?;
    let continuation = b.first() == Some(&b'+');
    if matches!(b.first(), Some(b'+' | b'-')) {
        b = &b[1..];
    }
    let level = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if !(3..=12).contains(&level) {
        return None;
    }
    let b = b[level..].strip_prefix(b" ")?;
    let (_program, n) = take_thread(b, b' ')?;
    let b = &b[n..];
    let pid = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let b = match pid {
        0 => b.strip_prefix(b"- ")?,
        _ => b[pid..].strip_prefix(b" ")?,
    };
    let (sd, rest) = structured_data(b)?;
    let thread = sd_param(sd, b"threadName").unwrap_or(b"-");
    Some(Header {
        time: LineTime::Utc(ms),
        family: Family::Structured,
        continuation,
        thread,
        rest,
        grep_name: None,
        grep_line: None,
        forwarded: None,
    })
}

/// RFC 5424 structured data at the start of `b` — one or more `[id
/// key="value" …]` elements (a value may hold `\"`, `\\` and `\]`), or
/// `-` — and the message after the space that follows it (empty when the
/// line ends there).
fn structured_data(b: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(rest) = b.strip_prefix(b"-") {
        return Some((&b[..0], rest.strip_prefix(b" ").unwrap_or(rest)));
    }
    let i = sd_elements_len(b)?;
    if i == 0 {
        return None;
    }
    let rest = &b[i..];
    match rest.first() {
        None | Some(b'\r') => Some((&b[..i], &rest[..0])),
        Some(b' ') => Some((&b[..i], &rest[1..])),
        _ => None,
    }
}

/// How many bytes the RFC 5424 `[id key="value" …]` elements at the
/// start of `b` take (0 when `b` does not start with one); `None` when an
/// element is not closed. Both the Workstation layout and a forwarded
/// syslog envelope carry such elements.
pub(super) fn sd_elements_len(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut quoted = false;
        i += 1;
        loop {
            match *b.get(i)? {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    Some(i)
}

/// The value of parameter `key` in structured data (its quotes off).
fn sd_param<'a>(sd: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&sd[from..], key) {
        let start = from + at;
        let before = start.checked_sub(1).and_then(|i| sd.get(i));
        let value = sd[start + key.len()..].strip_prefix(b"=\"");
        if let (Some(b' '), Some(v)) = (before, value) {
            let end = memchr::memchr(b'"', v)?;
            let v = &v[..end];
            return (!v.is_empty() && v.len() <= 64).then_some(v);
        }
        from = start + key.len();
    }
    None
}

/// `Apr 17 22:14:49.605: vcpu-0| message` (day may be space-padded).
fn old(line: &[u8]) -> Option<Header<'_>> {
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
        forwarded: None,
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
}

pub(super) fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    &b[n..]
}

pub(super) fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|&&c| c == b' ' || c == b'\t' || c == b'\r')
        .count();
    &b[..b.len() - n]
}

pub(super) fn trim(b: &[u8]) -> &[u8] {
    trim_end(trim_start(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::format_rfc3339_ms;

    fn utc(line: &str) -> String {
        match parse_header(line.as_bytes()).unwrap().time {
            LineTime::Utc(ms) => format_rfc3339_ms(ms),
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn every_family_cuts_thread_and_message() {
        for (line, family, thread, rest) in [
            (
                "2023-12-05T17:42:40.741Z In(05) vcpu-0 - Checkpoint_Unstun: x",
                Family::Severity,
                "vcpu-0",
                "- Checkpoint_Unstun: x",
            ),
            (
                "2024-01-29T15:56:49.259Z In(05) vmx Hostname=LAPTOP",
                Family::Severity,
                "vmx",
                "Hostname=LAPTOP",
            ),
            (
                "2015-10-27T22:01:42.149Z| vcpu-0| I120: Checkpoint_Unstun: x",
                Family::Pipe,
                "vcpu-0",
                "Checkpoint_Unstun: x",
            ),
            (
                "2012-03-23T16:22:51.876Z| vcpu-0| Checkpoint_Unstun: x",
                Family::Pipe,
                "vcpu-0",
                "Checkpoint_Unstun: x",
            ),
            (
                "Apr  7 22:14:49.605: vcpu-0| I120: x",
                Family::Old,
                "vcpu-0",
                "x",
            ),
        ] {
            let h = parse_header(line.as_bytes()).unwrap();
            assert_eq!(
                (h.family, h.thread, h.rest),
                (family, thread.as_bytes(), rest.as_bytes()),
                "{line}"
            );
        }
        assert_eq!(
            utc("2020-05-21T20:04:24.263-07:00| vcpu-0| I125: x"),
            "2020-05-22T03:04:24.263Z"
        );
    }

    #[test]
    fn the_structured_family_is_read_by_shape() {
        let h = parse_header(
            b"2026-01-09T08:08:30.173Z -INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vmx\"] DICT               displayName = \"konte\"\r",
        )
        .unwrap();
        assert_eq!(
            (h.family, h.thread, h.continuation),
            (Family::Structured, &b"vmx"[..], false)
        );
        assert_eq!(
            h.messages(),
            (&b"DICT               displayName = \"konte\"\r"[..], None)
        );
        let h = parse_header(
            b"2026-01-09T08:08:30.765Z +INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vmx\"] ",
        )
        .unwrap();
        assert!(h.continuation);
        assert_eq!(h.rest, b"");
        // vSphere 9's services: no sign, another SD-ID, no threadName.
        let h = parse_header(
            b"2026-01-09T08:08:31.000Z INFO vpxd 20973 [Originator@4413 sub=\"Default\" opID=\"a-1\"] Task started",
        )
        .unwrap();
        assert_eq!((h.thread, h.rest), (&b"-"[..], &b"Task started"[..]));
        // Several elements, a quoted `]`, a nil pid.
        let h = parse_header(
            b"2026-01-09T08:08:31.000Z -WARNING vmx - [x@1 k=\"a\\\"]\" threadName=\"vcpu-0\"][meta seq=\"1\"] m",
        )
        .unwrap();
        assert_eq!((h.thread, h.rest), (&b"vcpu-0"[..], &b"m"[..]));
        for bad in [
            "2026-01-09T08:08:31.000Z -INFO vmware-vmx.exe 15108 no structured data",
            "2026-01-09T08:08:31.000Z -info vmware-vmx.exe 15108 [ws@4413] m",
            "2026-01-09T08:08:31.000Z -INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vmx\"",
        ] {
            assert_eq!(parse_header(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn a_split_header_is_joined_with_the_line_after() {
        let joined = join_split(
            b"2026-01-09T08:08:30.173Z -INFO vmware-vmx.exe 15108 [ws@4413",
            b"threadName=\"vmx\"] DICT displayName = \"konte\"",
        )
        .unwrap();
        assert_eq!(parse_header(&joined).unwrap().thread, b"vmx");
        assert!(join_split(b"2021-03-01T06:58:45.463Z| vcpu-0|", b" I125: x").is_some());
        // A whole line before is not a header's start.
        assert_eq!(
            join_split(b"2021-03-01T06:58:45.463Z| vcpu-0| I125: a", b"b"),
            None
        );
        assert_eq!(
            join_split(b"junk", b"2021-03-01T06:58:45.463Z| vcpu-0| I125: a"),
            None
        );
    }

    #[test]
    fn opid_gives_a_second_message_start() {
        let h =
            parse_header(b"2023-12-05T17:42:40.666Z In(05) vmx vim-cmd-09-a45d Snap x").unwrap();
        assert_eq!(h.messages().1, Some(&b"Snap x"[..]));
        let h = parse_header(b"2023-12-05T17:42:40.666Z In(05) vmx Guest: x").unwrap();
        assert_eq!(h.messages().1, None);
    }

    #[test]
    fn grep_prefix_is_reported() {
        let h = parse_header(b"./vmfs/db1/vmware.log:42:2017-01-04T22:15:58.846Z| vcpu-0| I125: x")
            .unwrap();
        assert_eq!(h.grep_name, Some(&b"./vmfs/db1/vmware.log"[..]));
        assert_eq!(h.grep_line, Some(42));
        assert_eq!(
            strip_grep_prefix(b"vmware.log:7:2017-01-04T22:15:58.846Z| vmx| I125: x"),
            b"2017-01-04T22:15:58.846Z| vmx| I125: x"
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        for line in [
            "xx2017-01-04T22:15:58.846Z| vcpu-0| I125: x",
            "2017-01-04T22:15:58.846| vcpu-0| I125: x",
            "YYYY-MM-DDThh:mm:ss.536Z| vcpu-0| I125: x",
            "vmx| x",
            "2023-12-05T17:42:40.741Z IN(05) vcpu-0 x",
            "Apr 32 22:14:49.605: vcpu-0| x",
        ] {
            assert_eq!(parse_header(line.as_bytes()), None, "{line}");
        }
    }
}
