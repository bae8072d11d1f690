//! What a name or a file's first bytes say: log members, archives, bundle
//! roots, content kinds.

/// Kinds of content, by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gzip,
    Zip,
    Tar,
    Text,
}

/// Classifies content by its first bytes (at least 262 for tar).
pub fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if head.get(257..262) == Some(b"ustar") {
        Kind::Tar
    } else {
        Kind::Text
    }
}

/// `vmware.log` or `vmware-<N>.log`: Some(rank).
pub fn log_rank(base: &[u8]) -> Option<u32> {
    if base == b"vmware.log" {
        return Some(0);
    }
    let n = base.strip_prefix(b"vmware-")?.strip_suffix(b".log")?;
    if n.is_empty() || n.len() > 6 || !n.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(n)
        .ok()?
        .parse::<u32>()
        .ok()
        .map(|n| n + 1)
}

/// A log member name, compressed or not.
pub fn is_log_name(base: &[u8]) -> bool {
    log_rank(base.strip_suffix(b".gz").unwrap_or(base)).is_some()
}

/// A member worth opening as an archive.
pub fn is_archive_name(base: &[u8]) -> bool {
    [&b".tgz"[..], b".tar", b".zip", b".gz"]
        .iter()
        .any(|ext| base.ends_with(ext))
}

pub(super) fn basename(path: &[u8]) -> &[u8] {
    let path = path.strip_suffix(b"/").unwrap_or(path);
    memchr::memrchr(b'/', path).map_or(path, |i| &path[i + 1..])
}

pub(super) fn parent(path: &[u8]) -> &[u8] {
    let path = path.strip_suffix(b"/").unwrap_or(path);
    memchr::memrchr(b'/', path).map_or(&b""[..], |i| &path[..i])
}

/// The host of a vm-support bundle root `esx-<host>-<YYYY-MM-DD>--<…>`
/// anywhere in a source chain; the innermost wins.
pub fn bundle_host(source: &str) -> Option<String> {
    source.split(['!', '/']).rev().find_map(|comp| {
        let rest = comp.strip_prefix("esx-")?;
        let b = rest.as_bytes();
        (1..b.len()).find_map(|i| {
            let tail = &b[i..];
            let is_date = tail.len() >= 13
                && tail[0] == b'-'
                && tail[1..5].iter().all(u8::is_ascii_digit)
                && tail[5] == b'-'
                && tail[6..8].iter().all(u8::is_ascii_digit)
                && tail[8] == b'-'
                && tail[9..11].iter().all(u8::is_ascii_digit)
                && &tail[11..13] == b"--";
            is_date.then(|| rest[..i].to_owned())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(log_rank(b"vmware.log"), Some(0));
        assert_eq!(log_rank(b"vmware-0.log"), Some(1));
        assert_eq!(log_rank(b"vmware-12.log"), Some(13));
        assert_eq!(log_rank(b"vmware-.log"), None);
        assert_eq!(log_rank(b"vmkernel.log"), None);
        assert!(is_log_name(b"vmware-2.log.gz"));
        assert!(!is_log_name(b"vmware.log.1"));
        assert!(is_archive_name(b"esx-h1.tgz"));
        assert_eq!(
            bundle_host("vc.zip!esx-h1.lab-2026-11-20--10.30-123.tgz!esx-h1.lab-2026-11-20--10.30-123/vmfs/volumes/ds1/db1/vmware.log")
                .as_deref(),
            Some("h1.lab")
        );
        assert_eq!(bundle_host("x/esx-nodate/vmware.log"), None);
    }
}
