//! Turning untrusted bytes into safe display text.
//!
//! Every name, path and line that reaches the output came from a log, a
//! `.vmx`, an archive member name or the file system, i.e. from someone
//! else. One function decides how such bytes are shown, and it runs once,
//! when the bytes enter the data model, so no renderer can forget it: no
//! log content can inject terminal escapes, break a TSV/CSV column or a
//! line, or smuggle invalid UTF-8 into JSON.

use std::fmt::Write;

/// A host, VM or source name, already escaped: shared by every event,
/// cluster and window that carries it instead of copied into each. A thin
/// pointer (8 bytes, one allocation holding count, length and text), not a
/// fat `Arc<str>` (16 bytes): every event carries four of them, and the
/// empty name (no raw line kept) allocates nothing.
pub type Name = arcstr::ArcStr;

/// A part of a [`Name`] that shares its allocation (16 bytes, no copy of
/// the text): a log's directory and directory name are prefixes and pieces
/// of its source path, so one allocation per log holds all three.
pub type Part = arcstr::Substr;

/// `suffix` as a [`Part`] of `whole` when `whole` ends with it, else a
/// copy.
pub fn suffix_part(whole: &Part, suffix: &str) -> Part {
    if whole.ends_with(suffix) {
        whole.substr(whole.len() - suffix.len()..)
    } else {
        Part::from(suffix)
    }
}

/// `prefix` as a [`Part`] of `whole` when `whole` starts with it, else a
/// copy.
pub fn prefix_part(whole: &Name, prefix: &str) -> Part {
    if whole.len() <= u32::MAX as usize && whole.starts_with(prefix) {
        Part::from(whole.clone()).substr(..prefix.len())
    } else {
        Part::from(prefix)
    }
}

/// Escapes `bytes` for display:
/// - valid UTF-8 passes through, except control characters (C0, DEL, C1)
///   and the Unicode bidirectional overrides, which are written as
///   `\t`, `\n`, `\r`, `\e` or `\u{XXXX}`;
/// - bytes that are not valid UTF-8 are written as `\xNN`.
///
/// Backslashes themselves are left alone so that Windows paths stay
/// readable; the escape is for safety, not for a reversible encoding.
pub fn escape_bytes(bytes: &[u8]) -> String {
    // Names and paths are nearly always printable ASCII: one vectorised
    // check and a copy instead of a walk over every character.
    if bytes.iter().all(|&b| (0x20..0x7f).contains(&b))
        && let Ok(s) = std::str::from_utf8(bytes)
    {
        return s.to_owned();
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// [`escape_bytes`] as a [`Name`]: one allocation for the printable ASCII
/// nearly every log line is, where going through a `String` costs two.
pub fn escape_name(bytes: &[u8]) -> Name {
    match std::str::from_utf8(bytes) {
        Ok(s) if bytes.iter().all(|&b| (0x20..0x7f).contains(&b)) => Name::from(s),
        _ => Name::from(escape_bytes(bytes)),
    }
}

/// [`escape_bytes`] for text that is already a `str` (e.g. a path that was
/// valid UTF-8): the same rules for control characters.
pub fn escape_str(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) || !s.chars().any(needs_escape) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_char(&mut out, c);
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn push_char(out: &mut String, c: char) {
    if !needs_escape(c) {
        out.push(c);
        return;
    }
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\u{1b}' => out.push_str("\\e"),
        _ => {
            let _ = write!(out, "\\u{{{:04X}}}", c as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_invalid_utf8() {
        assert_eq!(escape_bytes(b"db1"), "db1");
        assert_eq!(escape_bytes(b"a\tb\nc\rd"), "a\\tb\\nc\\rd");
        assert_eq!(escape_bytes(b"\x1b[31mred\x07"), "\\e[31mred\\u{0007}");
        assert_eq!(escape_bytes(b"caf\xe9"), "caf\\xE9");
        assert_eq!(
            escape_bytes("x\u{202E}y\u{85}".as_bytes()),
            "x\\u{202E}y\\u{0085}"
        );
        assert_eq!(escape_bytes("Ärger ✓".as_bytes()), "Ärger ✓");
        assert_eq!(escape_str("C:\\VMs\\db1"), "C:\\VMs\\db1");
        assert_eq!(escape_str("a\u{0}b"), "a\\u{0000}b");
    }
}
