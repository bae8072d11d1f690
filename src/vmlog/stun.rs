//! The stun record, `Checkpoint_Unstun: vm stopped for N us`, and why a
//! line holding its words may not be one.
//!
//! A stun is recognised only when the *message* — the text right after a
//! well-formed header — is exactly that. Guests can write into their own
//! vmware.log (GuestRpc, tools logging), but they cannot choose where the
//! header ends, so anchoring on the header is what makes the count
//! trustworthy. Every other line with the words is a skipped stun line with
//! a reason, never silently nothing.

use super::header::{Header, parse_header};
use super::markers::Message;

/// Both spellings VMware has written.
pub(super) const STUN_SPELLINGS: [&[u8]; 2] = [
    b"Checkpoint_Unstun: vm stopped for ",
    b"CheckpointUnstun: vm stopped for ",
];

/// The words every stun record holds: a line with them is either a stun
/// or a skipped stun line, never silently nothing.
pub const STUN_WORDS: &[u8] = b"Unstun: vm stopped for";

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
    skip_reason_of(&h)
}

/// [`skip_reason`] of a line whose header is already parsed (and that holds
/// the stun words).
pub(super) fn skip_reason_of(h: &Header<'_>) -> Option<SkipReason> {
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

/// A stun record's message, if `msg` is one: `Some(Stun)`, or
/// `Some(StunOverflow)` when the number does not fit.
pub(super) fn stun_message(msg: &[u8]) -> Option<Message<'static>> {
    STUN_SPELLINGS
        .iter()
        .find_map(|p| msg.strip_prefix(*p))
        .and_then(parse_stun_value)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(line: &str) -> Option<Message<'_>> {
        parse_header(line.as_bytes())?.message()
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
}
