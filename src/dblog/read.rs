//! Reading one database log: bytes → entries → events, with notes.
//!
//! The reader streams and searches before it parses (`fast`): it holds
//! one 64 KiB block, one line cut by the block's end (longer lines than
//! [`MAX_LINE`] are skipped) and one entry (at most [`MAX_ENTRY`] bytes of
//! text) at a time, and assembles only the entries that hold a word an
//! event needs, so a 100 MB `messages.log` costs little more than reading
//! it, and no memory but its events. Gzip is recognised by its magic
//! bytes, whatever the file is called.
//!
//! `simple` (tests only) is the same reading done line by line, every
//! entry assembled and classified: the reference the fast reader is held
//! to (`equiv`), on every fixture and on generated logs.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::lines::MAX_LINE;
use super::{DbError, DbLog};
use crate::time::EpochMs;
use crate::zone::Zone;

mod assemble;
mod entries;
#[cfg(test)]
mod equiv;
mod fast;
#[cfg(test)]
mod simple;

#[cfg(test)]
use super::DbKind;

/// Text kept per entry (first line plus continuation lines) for matching.
pub const MAX_ENTRY: usize = 16 * 1024;
/// Bytes of an entry's text shown in an event.
const MAX_SHOWN: usize = 400;
/// A takeover this soon after a startup entry is the restart's own.
const STARTUP_WINDOW_MS: EpochMs = 10 * 60 * 1000;

/// How to read a database log.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions<'a> {
    /// The zone of the log's wall-clock times.
    pub zone: &'a Zone,
    /// The member's name (`NAME=` of `--db-log`), if the user gave one.
    pub member: Option<&'a str>,
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

/// Reads the database log at `path` (see [`read`]). A file that cannot be
/// opened is an error in the one log returned, which has no entries.
pub fn read_path(path: &Path, source: &str, opts: &ReadOptions) -> Vec<DbLog> {
    // Opening a directory succeeds on Unix and fails only at the first
    // read, with an "Is a directory" that names no way out.
    if path.is_dir() {
        let mut log = empty_log(source, opts);
        log.errors.push(DbError {
            source: source.to_owned(),
            message: format!(
                "is a directory: --db-log takes one database log file{}; to read every messages.log and cconsole.log in it, give the directory as a PATH instead",
                db_logs_in(path)
            ),
        });
        return vec![log];
    }
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
            vec![log]
        }
    }
}

/// A database log directly in `dir`, as a hint (` such as
/// dir/messages.log`), or nothing when it holds none.
fn db_logs_in(dir: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return String::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| is_db_log_name(e.file_name().as_encoded_bytes()))
        .map(|e| crate::escape::escape_bytes(e.path().as_os_str().as_encoded_bytes()))
        .collect();
    names.sort();
    match names.first() {
        Some(first) if names.len() == 1 => format!(" such as {first}"),
        Some(first) => format!(" such as {first} (one of {} in it)", names.len()),
        None => String::new(),
    }
}

/// Reads a database log from any byte stream (plain or gzip): one log for
/// the file, or, for a container log that holds several services, one per
/// service (the file's own lines first, when it has some).
pub fn read<R: Read>(input: R, source: &str, opts: &ReadOptions) -> Vec<DbLog> {
    let mut buf = BufReader::with_capacity(MAX_LINE, input);
    let gzip = match buf.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(_) => false,
    };
    let entries = entries::Entries::new(empty_log(source, opts), opts);
    if gzip {
        let dec = BufReader::with_capacity(MAX_LINE, MultiGzDecoder::new(buf));
        fast::read(dec, entries, opts, true)
    } else {
        fast::read(buf, entries, opts, false)
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

#[cfg(test)]
mod tests;
