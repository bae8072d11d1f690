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

/// `vmware.log` or `vmware-<N>.log`, in any letter case: Some(rank).
pub fn log_rank(base: &[u8]) -> Option<u32> {
    let lower = base.to_ascii_lowercase();
    if lower == b"vmware.log" {
        return Some(0);
    }
    let n = lower.strip_prefix(b"vmware-")?.strip_suffix(b".log")?;
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
    log_rank(strip_gz(base)).is_some()
}

fn strip_gz(base: &[u8]) -> &[u8] {
    match base.len().checked_sub(3) {
        Some(i) if base[i..].eq_ignore_ascii_case(b".gz") => &base[..i],
        _ => base,
    }
}

fn ends_with_ci(base: &[u8], ext: &[u8]) -> bool {
    base.len() >= ext.len() && base[base.len() - ext.len()..].eq_ignore_ascii_case(ext)
}

/// A vm-support fragment `<name>.FRAG-<NNNNN>`: the name and the number.
pub fn fragment(base: &[u8]) -> Option<(&[u8], u32)> {
    let at = memchr::memmem::rfind(base, b".FRAG-")?;
    let digits = &base[at + 6..];
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((&base[..at], n))
}

/// A member name that is an archive in its own right (`.gz` alone is not:
/// a bundle holds hundreds of compressed files that are not logs).
fn is_bundle_name(base: &[u8]) -> bool {
    [&b".tgz"[..], b".tar", b".zip", b".tar.gz"]
        .iter()
        .any(|ext| ends_with_ci(base, ext))
}

/// VMware's own service logs: their names hold `vmware` and `.log` but
/// they are not VM logs, so they are skipped without a note.
const SERVICE_LOGS: [&[u8]; 4] = [
    b"vmware-vmsvc",
    b"vmware-vgauthsvc",
    b"vmware-tools",
    b"vmware-vpx",
];

/// What to do with a member or a file met in a directory, by its base name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Log,
    Fragment,
    Archive,
    Vmx,
    /// The database's own log (`messages.log`, `cconsole.log`, rotated or
    /// gzipped): read as such, wherever it is met.
    DbLog,
    /// Looks like a VM log (`vmware (1).log`, `IRISDB01-vmware.log`) but is
    /// not read: named in a note.
    LookAlike,
    Skip,
}

/// Which names are read: the log names, plus `--glob` patterns; and the
/// zone that database logs met among them are written in.
#[derive(Debug, Default)]
pub struct Select {
    pub globs: Option<globset::GlobSet>,
    pub db_zone: crate::zone::Zone,
    /// Keep the original text of every stun line (only `--format raw`
    /// prints it; elsewhere it would be most of an event's memory).
    pub keep_text: bool,
}

impl Select {
    /// A log member: `vmware.log`, `vmware-N.log` (any case) or a `--glob` match.
    pub fn is_log(&self, base: &[u8]) -> bool {
        if log_rank(base).is_some() {
            return true;
        }
        let Some(globs) = &self.globs else {
            return false;
        };
        #[cfg(unix)]
        let matched = {
            use std::os::unix::ffi::OsStrExt;
            globs.is_match(std::ffi::OsStr::from_bytes(base))
        };
        #[cfg(not(unix))]
        let matched = globs.is_match(&*String::from_utf8_lossy(base));
        matched
    }

    pub fn want(&self, base: &[u8]) -> Want {
        if self.is_log(base) {
            return Want::Log;
        }
        if fragment(base).is_some_and(|(name, _)| self.is_log(name)) {
            return Want::Fragment;
        }
        if is_bundle_name(base) {
            return Want::Archive;
        }
        if crate::dblog::is_db_log_name(base) {
            return Want::DbLog;
        }
        let stripped = strip_gz(base);
        if stripped.len() < base.len() {
            if self.is_log(stripped) {
                return Want::Log;
            }
            if is_bundle_name(stripped) || self.want(stripped) == Want::Fragment {
                return Want::Archive;
            }
        }
        if ends_with_ci(base, b".vmx") {
            return Want::Vmx;
        }
        if looks_like_log(base) {
            return Want::LookAlike;
        }
        Want::Skip
    }
}

/// A base name holding `vmware` and `.log` that is no VMware service log.
fn looks_like_log(base: &[u8]) -> bool {
    let lower = base.to_ascii_lowercase();
    memchr::memmem::find(&lower, b"vmware").is_some()
        && memchr::memmem::find(&lower, b".log").is_some()
        && !SERVICE_LOGS.iter().any(|p| lower.starts_with(p))
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
    bundle_host_in(source).map(str::to_owned)
}

/// [`bundle_host`] as a slice of `source`.
pub fn bundle_host_in(source: &str) -> Option<&str> {
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
            is_date.then(|| &rest[..i])
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
        assert_eq!(log_rank(b"VMware.log"), Some(0));
        assert_eq!(log_rank(b"VMWARE-3.LOG"), Some(4));
        assert_eq!(
            fragment(b"vmware.log.FRAG-00001"),
            Some((&b"vmware.log"[..], 1))
        );
        assert_eq!(fragment(b"vmware.log.FRAG-"), None);
        let sel = Select::default();
        for (name, want) in [
            (&b"vmware.log"[..], Want::Log),
            (b"VMware.log", Want::Log),
            (b"vmware-2.log.gz", Want::Log),
            (b"vmware.log.FRAG-00000", Want::Fragment),
            (b"vmware.log.FRAG-00000.gz", Want::Archive),
            (b"esx-h1.tgz", Want::Archive),
            (b"esx-h1.TAR.GZ", Want::Archive),
            (b"vmkernel.1.gz", Want::Skip),
            (b"db1.vmx", Want::Vmx),
            (b"vmware (1).log", Want::LookAlike),
            (b"IRISDB01-vmware.log", Want::LookAlike),
            (b"vmware.log.1", Want::LookAlike),
            (b"vmware-vmsvc-root.log", Want::Skip),
            (b"vmware-tools-upgrader.log", Want::Skip),
            (b"vmkernel.log", Want::Skip),
            (b"messages.log", Want::DbLog),
            (b"cconsole.old_20170104", Want::DbLog),
            (b"messages.log.gz", Want::DbLog),
        ] {
            assert_eq!(sel.want(name), want, "{}", String::from_utf8_lossy(name));
        }
        let globbed = Select {
            globs: Some(
                globset::GlobSetBuilder::new()
                    .add(globset::Glob::new("*vmware*.log*").unwrap())
                    .build()
                    .unwrap(),
            ),
            ..Select::default()
        };
        assert_eq!(globbed.want(b"vmware.log.1"), Want::Log);
        assert_eq!(globbed.want(b"IRISDB01-vmware.log"), Want::Log);
        assert_eq!(
            bundle_host("vc.zip!esx-h1.lab-2026-11-20--10.30-123.tgz!esx-h1.lab-2026-11-20--10.30-123/vmfs/volumes/ds1/db1/vmware.log")
                .as_deref(),
            Some("h1.lab")
        );
        assert_eq!(bundle_host("x/esx-nodate/vmware.log"), None);
    }
}
