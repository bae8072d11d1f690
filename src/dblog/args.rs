//! The `--db-log [NAME=]FILE` arguments, read.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::{DbLog, ReadOptions, read_path};
use crate::escape::escape_bytes;
use crate::zone::Zone;

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

/// Reads the `--db-log [NAME=]FILE` arguments and adds them to the logs met
/// among the inputs. A file given both ways is read once, as `--db-log`
/// names it.
pub fn read_args(logs: &mut Vec<DbLog>, args: &[OsString], zone: &Zone) {
    for arg in args {
        let DbArg { name, path } = parse_db_log_arg(arg);
        let source = escape_bytes(path.as_os_str().as_encoded_bytes());
        let same = |l: &DbLog| same_file(&l.source, &path);
        logs.retain(|l| !same(l));
        let opts = ReadOptions {
            zone,
            member: name.as_deref(),
        };
        logs.extend(read_path(&path, &source, &opts));
    }
}

fn same_file(source: &str, path: &Path) -> bool {
    !source.contains('!')
        && match (std::fs::canonicalize(source), std::fs::canonicalize(path)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_log_args() {
        let a = parse_db_log_arg(OsStr::new("db1=/var/log/messages.log"));
        assert_eq!(a.name.as_deref(), Some("db1"));
        assert_eq!(a.path, PathBuf::from("/var/log/messages.log"));
        let a = parse_db_log_arg(OsStr::new("/var/log/messages.log"));
        assert_eq!(a.name, None);
        let a = parse_db_log_arg(OsStr::new("logs/a=b/messages.log"));
        assert_eq!(a.name, None, "a path before the = is no name");
        let a = parse_db_log_arg(OsStr::new("=x.log"));
        assert_eq!((a.name, a.path), (None, PathBuf::from("=x.log")));
        let dir = tempfile::tempdir().expect("tempdir");
        let odd = dir.path().join("a=b.log");
        std::fs::write(&odd, "").expect("write");
        let a = parse_db_log_arg(odd.as_os_str());
        assert_eq!((a.name, a.path), (None, odd), "an existing file is a file");
    }
}
