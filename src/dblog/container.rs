//! Database log lines as container tools print them.
//!
//! IRIS in a container writes its `messages.log` to standard output, and
//! what people hand over is that output as a tool printed it, each line
//! behind a prefix (all seen in public material; see `docs/database.md`):
//!
//! - `docker compose logs`: `mirror-demo-master | 01/09/22-11:02:08:227 …`,
//!   the service's name padded with spaces to the longest one;
//! - `kubectl logs --prefix`: `[pod/iris-data-0/iris] …`;
//! - the IRIS container's start script: `[INFO] log: 12/23/21-17:22:27:392 …`;
//! - `docker logs --timestamps` (and `kubectl logs --timestamps`): an RFC
//!   3339 time, `2014-09-16T06:17:46.000000000Z …`;
//! - the JSON-file logging driver's own files:
//!   `{"log":"…\n","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z"}`.
//!
//! Prefixes nest (`service | 2021-…Z …`, `[pod/…] 2021-…Z …`). The line
//! behind them is read as if it stood alone: the database's own time, not
//! the tool's, dates an entry (the tool's is when the line was collected).
//! A compose service or a pod is a mirror member of its own.

use std::borrow::Cow;

/// A line behind container prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped<'a> {
    /// The compose service or the pod that printed it, when a prefix says.
    pub service: Option<&'a [u8]>,
    /// The line itself (JSON escapes undone).
    pub body: Cow<'a, [u8]>,
}

/// How many prefixes may stand before a line (compose, a time, and the
/// start script's, at most, in any output seen).
const MAX_DEPTH: usize = 4;

/// The line behind the container prefixes of `line`, or `None` when it has
/// none. A line that begins like a database log line (a digit, then `/`
/// two bytes on) is never looked at further: that keeps plain logs fast.
pub fn unwrap(line: &[u8]) -> Option<Wrapped<'_>> {
    let mut service = None;
    let mut rest: Cow<'_, [u8]> = Cow::Borrowed(line);
    let mut found = false;
    for _ in 0..MAX_DEPTH {
        let next = match &rest {
            Cow::Borrowed(b) => one(b).map(|(s, body)| {
                service = s.or(service);
                body
            }),
            // Only a JSON-file line owns its body, and nothing stands
            // between its quotes but the line itself.
            Cow::Owned(_) => None,
        };
        match next {
            Some(body) => {
                rest = body;
                found = true;
            }
            None => break,
        }
    }
    found.then_some(Wrapped {
        service,
        body: rest,
    })
}

/// One prefix off `b`: the service it names, and what follows it.
#[allow(clippy::type_complexity)]
fn one(b: &[u8]) -> Option<(Option<&[u8]>, Cow<'_, [u8]>)> {
    let first = *b.first()?;
    if first.is_ascii_digit() && b.get(2) == Some(&b'/') {
        return None;
    }
    if let Some(rest) = b.strip_prefix(b"[INFO] log: ") {
        return Some((None, Cow::Borrowed(rest)));
    }
    if let Some(rest) = b.strip_prefix(b"[pod/") {
        return pod(rest).map(|(s, r)| (Some(s), Cow::Borrowed(r)));
    }
    if b.starts_with(b"{\"log\":\"") {
        return json_file(b).map(|body| (None, body));
    }
    if let Some(rest) = rfc3339(b) {
        return Some((None, Cow::Borrowed(rest)));
    }
    compose(b).map(|(s, r)| (Some(s), Cow::Borrowed(r)))
}

/// `<pod>/<container>] ` after `[pod/`: the pod names the member.
fn pod(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let close = memchr::memchr(b']', &b[..b.len().min(320)])?;
    let inner = &b[..close];
    let slash = memchr::memrchr(b'/', inner)?;
    let pod = &inner[..slash];
    let rest = &b[close + 1..];
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    (!pod.is_empty() && pod.iter().all(|&c| is_name_byte(c))).then_some((pod, rest))
}

/// Letters, digits, `-`, `_`, `.`: what compose services, containers and
/// pods are named with.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
}

/// `<service><spaces>| ` (compose pads names to the longest; an empty line
/// of output is `<service>  |` alone).
fn compose(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let name_len = b.iter().take(128).take_while(|&&c| is_name_byte(c)).count();
    if name_len == 0 {
        return None;
    }
    let after = &b[name_len..];
    let spaces = after.iter().take_while(|&&c| c == b' ').count();
    if spaces == 0 {
        return None;
    }
    let rest = after[spaces..].strip_prefix(b"|")?;
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    Some((&b[..name_len], rest))
}

/// `2014-09-16T06:17:46.000000000Z ` (or an offset instead of `Z`, or no
/// fraction): what `--timestamps` puts before each line.
fn rfc3339(b: &[u8]) -> Option<&[u8]> {
    let shape = b"dddd-dd-ddTdd:dd:dd";
    if b.len() < shape.len() + 2 {
        return None;
    }
    let ok = shape.iter().zip(b).all(|(&s, &c)| match s {
        b'd' => c.is_ascii_digit(),
        s => c == s,
    });
    if !ok {
        return None;
    }
    let mut i = shape.len();
    if b.get(i) == Some(&b'.') {
        i += 1;
        i += b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    match b.get(i)? {
        b'Z' => i += 1,
        b'+' | b'-' => {
            let off = b.get(i + 1..i + 6)?;
            let good = off[0].is_ascii_digit()
                && off[1].is_ascii_digit()
                && off[2] == b':'
                && off[3].is_ascii_digit()
                && off[4].is_ascii_digit();
            if !good {
                return None;
            }
            i += 6;
        }
        _ => return None,
    }
    b[i..].strip_prefix(b" ")
}

/// The `log` string of a JSON-file driver line, its escapes undone and the
/// newline that ends it dropped.
fn json_file(b: &[u8]) -> Option<Cow<'_, [u8]>> {
    let s = &b[b"{\"log\":\"".len()..];
    // The closing quote: the first `"` not escaped.
    let mut i = 0;
    let mut escaped = false;
    while i < s.len() {
        match s[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'"' => break,
            _ => i += 1,
        }
    }
    let raw = s.get(..i)?;
    if s.get(i) != Some(&b'"') {
        return None;
    }
    let mut text = if escaped {
        Cow::Owned(unescape(raw))
    } else {
        Cow::Borrowed(raw)
    };
    for end in [&b"\n"[..], b"\r"] {
        if text.ends_with(end) {
            match &mut text {
                Cow::Borrowed(t) => *t = &t[..t.len() - 1],
                Cow::Owned(t) => {
                    t.pop();
                }
            }
        }
    }
    Some(text)
}

/// JSON string escapes undone; a bad escape is kept as written.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = raw.get(i + 1) else {
            out.push(c);
            break;
        };
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'u' => match raw.get(i..i + 4).and_then(hex4) {
                Some(cp) => {
                    i += 4;
                    let ch = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                None => out.extend_from_slice(b"\\u"),
            },
            other => out.push(other),
        }
    }
    out
}

fn hex4(h: &[u8]) -> Option<u32> {
    h.iter().try_fold(0u32, |v, &c| {
        let d = (c as char).to_digit(16)?;
        Some(v * 16 + d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IRIS: &[u8] =
        b"01/09/22-11:02:08:227 (684) 1 [Utility.Event] Becoming primary mirror server";

    fn body(line: &[u8]) -> (Option<Vec<u8>>, Vec<u8>) {
        let w = unwrap(line).expect("wrapped");
        (w.service.map(<[u8]>::to_vec), w.body.into_owned())
    }

    #[test]
    fn plain_lines_are_not_wrapped() {
        for line in [
            IRIS,
            b"01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended",
            b"Wed Jan  4 16:30:35 EST 2017: H20152 IS FROZEN",
            b"   Journal file switched to:",
            b"",
            b"[Utility.Event] x",
        ] {
            assert_eq!(unwrap(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn compose_with_padding() {
        let (s, b) = body(b"mirror-demo-backup | 01/09/22-11:03:06:398 (801) 0 [Utility.Event] Found MASTER as primary, becoming backup");
        assert_eq!(s.as_deref(), Some(&b"mirror-demo-backup"[..]));
        assert!(b.starts_with(b"01/09/22-11:03:06:398"));
        let line = [&b"iris-1      | "[..], IRIS].concat();
        assert_eq!(body(&line), (Some(b"iris-1".to_vec()), IRIS.to_vec()));
        assert_eq!(body(b"iris-1  |"), (Some(b"iris-1".to_vec()), vec![]));
    }

    #[test]
    fn kubectl_prefix_and_timestamps() {
        let line = [&b"[pod/iris-data-0-b/iris] "[..], IRIS].concat();
        assert_eq!(
            body(&line),
            (Some(b"iris-data-0-b".to_vec()), IRIS.to_vec())
        );
        let line = [
            &b"[pod/iris-data-0-b/iris] 2022-01-09T11:02:08.230977112Z "[..],
            IRIS,
        ]
        .concat();
        assert_eq!(
            body(&line),
            (Some(b"iris-data-0-b".to_vec()), IRIS.to_vec())
        );
    }

    #[test]
    fn start_script_and_docker_timestamps() {
        let line = [&b"[INFO] log: "[..], IRIS].concat();
        assert_eq!(body(&line), (None, IRIS.to_vec()));
        for ts in [
            &b"2014-09-16T06:17:46.000000000Z "[..],
            b"2014-09-16T06:17:46Z ",
            b"2014-09-16T06:17:46.5+01:00 ",
        ] {
            let line = [ts, IRIS].concat();
            assert_eq!(body(&line), (None, IRIS.to_vec()));
        }
        let line = [
            &b"svc | 2014-09-16T06:17:46.000000000Z [INFO] log: "[..],
            IRIS,
        ]
        .concat();
        assert_eq!(body(&line), (Some(b"svc".to_vec()), IRIS.to_vec()));
        assert_eq!(unwrap(b"2014-09-16T06:17:46.000000000Z"), None);
        assert_eq!(unwrap(b"2014-09-16 06:17:46 x"), None);
    }

    #[test]
    fn json_file_lines() {
        let line = br#"{"log":"07/09/24-12:05:49:781 (6502) 0 [Utility.Event] DejournalProcessor: Applying journal data for mirror \"MIRROR\" starting at 0\n","stream":"stdout","time":"2024-07-09T12:05:49.781977112Z"}"#;
        let (s, b) = body(line);
        assert_eq!(s, None);
        assert_eq!(
            b,
            b"07/09/24-12:05:49:781 (6502) 0 [Utility.Event] DejournalProcessor: Applying journal data for mirror \"MIRROR\" starting at 0"
        );
        let line = [&b"{\"log\":\""[..], IRIS, b"\\n\",\"stream\":\"stdout\"}"].concat();
        assert_eq!(body(&line), (None, IRIS.to_vec()));
        assert_eq!(
            body(br#"{"log":"caf\u00e9 \\ \t","stream":"stdout"}"#).1,
            "café \\ \t".as_bytes()
        );
        assert_eq!(unwrap(br#"{"log":"unterminated"#), None);
    }

    #[test]
    fn any_prefix_of_a_line_is_safe() {
        let lines: [&[u8]; 3] = [
            br#"{"log":"a\u00e9\\\"b\n","stream":"stdout"}"#,
            b"[pod/a-b/c] 2014-09-16T06:17:46.1+01:00 x",
            b"svc   | [INFO] log: y",
        ];
        for l in lines {
            for n in 0..=l.len() {
                let _ = unwrap(&l[..n]);
            }
        }
    }
}
