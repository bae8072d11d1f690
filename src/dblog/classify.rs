//! Which database log entries are events, and of what kind.
//!
//! The texts are InterSystems' own (`Becoming primary mirror server`,
//! `Found MASTER as primary, becoming backup`, `MirrorClient: Connected to
//! primary: MASTER (ver 4)`) and the freeze script's. Matching ignores
//! ASCII case: the same words appear capitalised or not depending on where
//! in a sentence IRIS puts them.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{DbFormat, DbKind};

/// Patterns, by bit number in [`matches`]'s result.
const PATTERNS: [&str; 16] = [
    "becoming primary mirror server",                  // 0
    "becoming backup",                                 // 1
    "mirrorclient: connected to primary",              // 2
    "backup.general.externalfreeze: system suspended", // 3
    "backup.general.externalthaw: system resumed",     // 4
    "startup of intersystems iris",                    // 5
    "startup of cach",                                 // 6 (Caché, any encoding of é)
    "system initialized",                              // 7
    "recovery started",                                // 8
    "mirror",                                          // 9
    "arbiter",                                         // 10
    "failover",                                        // 11
    "trouble",                                         // 12
    "primary",                                         // 13
    "cannot become primary",                           // 14
    "applying journal data for mirror",                // 15
];
const TAKEOVER: u32 = 1 << 0;
const BACKUP: u32 = 1 << 1;
const CONNECTED: u32 = 1 << 2;
const FREEZE: u32 = 1 << 3;
const THAW: u32 = 1 << 4;
const STARTUP: u32 = (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8);
const MIRROR_WORDS: u32 = (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13);
/// `AddVirtualAddress failed, cannot become primary: …`: a takeover that
/// did not happen.
const TAKEOVER_FAILED: u32 = 1 << 14;
/// `DejournalProcessor: Applying journal data for mirror …`: a member
/// catching up, which names the mirror at any severity; context, never an
/// event.
const DEJOURNAL: u32 = 1 << 15;

/// Leftmost-longest: where a phrase and a word it contains both match
/// (`becoming primary mirror server`, `primary`), the phrase is found, and
/// no phrase begins inside one of the words, so one non-overlapping pass
/// sees every pattern that decides a kind. Texts are lowercased first and
/// searched case-sensitively: that lets the search use its SIMD prefilter,
/// which matters as every entry of a large log goes through it.
static MATCHER: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build(PATTERNS)
        .ok()
});

/// Bit set of the [`PATTERNS`] found in `text`, ignoring ASCII case.
fn matches(text: &[u8]) -> u32 {
    let Some(ac) = MATCHER.as_ref() else {
        return 0;
    };
    let mut lower = [0u8; 512];
    let mut bits = 0;
    // In pieces that overlap by the longest pattern, so that a match
    // across two pieces is seen whole in one of them.
    let step = lower.len() - LONGEST;
    let mut at = 0;
    loop {
        let piece = &text[at..text.len().min(at + lower.len())];
        let buf = &mut lower[..piece.len()];
        buf.copy_from_slice(piece);
        buf.make_ascii_lowercase();
        bits |= ac
            .find_iter(&*buf)
            .fold(0, |b, m| b | 1 << m.pattern().as_u32());
        if at + lower.len() >= text.len() {
            return bits;
        }
        at += step;
    }
}

/// Length of the longest pattern.
const LONGEST: usize = 64;

/// What one entry is: an event kind (before the startup rule turns a
/// takeover into [`DbKind::PrimaryAtStartup`]), and whether it marks the
/// instance starting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Class {
    pub kind: Option<DbKind>,
    pub startup: bool,
    /// `$SNAPLOG` lines name the instance they froze or thawed.
    pub instance: Option<Vec<u8>>,
}

/// Classifies an entry's whole text (first line and continuations).
pub fn classify(format: DbFormat, severity: Option<u8>, text: &[u8]) -> Class {
    match format {
        DbFormat::SnapLog => snap_log(text),
        DbFormat::FreezeLog => Class {
            kind: freeze_thaw(matches(text)),
            ..Class::default()
        },
        DbFormat::Messages => messages(severity, text),
    }
}

fn freeze_thaw(bits: u32) -> Option<DbKind> {
    if bits & FREEZE != 0 {
        Some(DbKind::Freeze)
    } else if bits & THAW != 0 {
        Some(DbKind::Thaw)
    } else {
        None
    }
}

fn messages(severity: Option<u8>, text: &[u8]) -> Class {
    let bits = matches(text);
    let kind = freeze_thaw(bits).or_else(|| {
        if bits & TAKEOVER_FAILED != 0 {
            Some(DbKind::TakeoverFailed)
        } else if bits & DEJOURNAL != 0 {
            None
        } else if bits & TAKEOVER != 0 {
            Some(DbKind::Takeover)
        } else if bits & BACKUP != 0 {
            Some(DbKind::Backup)
        } else if bits & CONNECTED != 0 {
            Some(DbKind::Connected)
        } else if bits & MIRROR_WORDS != 0 && severity.unwrap_or(0) >= 1 {
            Some(DbKind::Mirror)
        } else {
            None
        }
    });
    Class {
        kind,
        startup: bits & STARTUP != 0,
        instance: None,
    }
}

/// `H20152 IS FROZEN`, `H20152 IS THAWED`, `H20152 FREEZE FAILED`,
/// `H20152 THAW FAILED`: the seed script's status lines.
fn snap_log(text: &[u8]) -> Class {
    const SUFFIXES: [(&[u8], DbKind); 4] = [
        (b" IS FROZEN", DbKind::Freeze),
        (b" IS THAWED", DbKind::Thaw),
        (b" FREEZE FAILED", DbKind::FreezeFailed),
        (b" THAW FAILED", DbKind::ThawFailed),
    ];
    let text = text.trim_ascii_end();
    for (suffix, kind) in SUFFIXES {
        if let Some(inst) = text.strip_suffix(suffix)
            && !inst.is_empty()
            && !inst.contains(&b' ')
        {
            return Class {
                kind: Some(kind),
                startup: false,
                instance: Some(inst.to_vec()),
            };
        }
    }
    Class::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(sev: u8, text: &str) -> Option<DbKind> {
        classify(DbFormat::Messages, Some(sev), text.as_bytes()).kind
    }

    #[test]
    fn mirror_texts() {
        assert_eq!(
            kind(1, "Becoming primary mirror server"),
            Some(DbKind::Takeover)
        );
        assert_eq!(
            kind(
                0,
                "No other mirror members configured, becoming primary mirror server"
            ),
            Some(DbKind::Takeover)
        );
        assert_eq!(
            kind(0, "Found MASTER as primary, becoming backup"),
            Some(DbKind::Backup)
        );
        assert_eq!(
            kind(0, "MirrorClient: Connected to primary: MASTER (ver 4)"),
            Some(DbKind::Connected)
        );
        assert_eq!(kind(2, "Arbiter connection lost"), Some(DbKind::Mirror));
        assert_eq!(
            kind(1, "Failover trouble: PRIMARY not responding"),
            Some(DbKind::Mirror)
        );
    }

    #[test]
    fn phrases_and_words_in_one_entry() {
        let k = |t: &str| kind(1, t);
        assert_eq!(
            k("Mirror PRODMIR: Becoming primary mirror server"),
            Some(DbKind::Takeover)
        );
        assert_eq!(k("primary gone, becoming backup"), Some(DbKind::Backup));
        assert_eq!(
            k("mirror: MirrorClient: Connected to primary: X"),
            Some(DbKind::Connected)
        );
        let c = classify(DbFormat::Messages, Some(0), b"Recovery started; mirror ok");
        assert!(c.startup);
    }

    #[test]
    fn matches_across_pieces_of_a_long_text() {
        for pad in [0, 400, 447, 448, 449, 480, 500, 1000, 5000] {
            let text = format!("{}Becoming PRIMARY mirror server", "x".repeat(pad));
            assert_eq!(kind(0, &text), Some(DbKind::Takeover), "{pad}");
        }
        assert!(PATTERNS.iter().all(|p| p.len() <= LONGEST));
    }

    #[test]
    fn a_failed_takeover_and_dejournaling() {
        // Both from public IRIS logs (see docs/database.md).
        assert_eq!(
            kind(
                2,
                "AddVirtualAddress failed, cannot become primary: AddVirtualAddress Failed - could not assign IP to interface, error: Need root privileges to run this script"
            ),
            Some(DbKind::TakeoverFailed)
        );
        for sev in [0, 1, 2] {
            assert_eq!(
                kind(
                    sev,
                    "DejournalProcessor: Applying journal data for mirror \"MIRROR\" starting at 0 in file #7(/usr/iris/mgr/journal/MIRROR-MIRROR-20240709.007)"
                ),
                None
            );
        }
    }

    #[test]
    fn a_write_daemon_that_died_is_no_freeze() {
        // A crash freezes the system: not the backup's freeze.
        assert_eq!(
            kind(3, "Daemon WRTDMN (pid 182058) died. Freezing system"),
            None
        );
    }

    #[test]
    fn severity_zero_chatter_is_no_event() {
        assert_eq!(kind(0, "Arbiter connection established"), None);
        assert_eq!(kind(3, "Journal file switched"), None);
    }

    #[test]
    fn freeze_in_any_format() {
        let t = b"Backup.General.ExternalFreeze: System suspended";
        assert_eq!(
            classify(DbFormat::FreezeLog, None, t).kind,
            Some(DbKind::Freeze)
        );
        assert_eq!(
            classify(DbFormat::Messages, Some(0), t).kind,
            Some(DbKind::Freeze)
        );
        let t = b"Backup.General.ExternalThaw: System resumed";
        assert_eq!(
            classify(DbFormat::FreezeLog, None, t).kind,
            Some(DbKind::Thaw)
        );
        let t = b"Backup.General.ExternalFreeze: Suspending system";
        assert_eq!(classify(DbFormat::FreezeLog, None, t).kind, None);
    }

    #[test]
    fn startup_entries() {
        for t in [
            "Startup of InterSystems IRIS [IRIS for UNIX 2023.1]",
            "Startup of Caché [Caché for UNIX 2017.1]",
            "Recovery started at Wed Nov 19",
        ] {
            assert!(
                classify(DbFormat::Messages, Some(0), t.as_bytes()).startup,
                "{t}"
            );
        }
    }

    #[test]
    fn snap_log_status_lines() {
        let c = classify(DbFormat::SnapLog, None, b"H20152 IS FROZEN");
        assert_eq!(c.kind, Some(DbKind::Freeze));
        assert_eq!(c.instance.as_deref(), Some(&b"H20152"[..]));
        for (t, k) in [
            ("H20152 IS THAWED ", DbKind::Thaw),
            ("H20152 FREEZE FAILED", DbKind::FreezeFailed),
            ("H20152 THAW FAILED", DbKind::ThawFailed),
        ] {
            assert_eq!(
                classify(DbFormat::SnapLog, None, t.as_bytes()).kind,
                Some(k),
                "{t}"
            );
        }
        for t in [
            "Attempting to freeze H20152",
            "Pre freeze script started",
            " IS FROZEN",
        ] {
            assert_eq!(
                classify(DbFormat::SnapLog, None, t.as_bytes()).kind,
                None,
                "{t}"
            );
        }
    }
}
