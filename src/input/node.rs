//! Where a stream sits: the name of a file, a member, or standard input,
//! and what follows from it (its VM directory, its date).

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::names::{basename, parent};
use crate::escape::{escape_bytes, escape_str};

/// How standard input is named in sources.
pub(super) const STDIN: &str = "<stdin>";

/// Where a stream sits: enough to name it, its logs and its VM directory.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// Display source of this stream.
    pub(super) source: String,
    /// Display prefix of the containing archive chain (`a.tgz!`), empty on disk.
    pub(super) container: String,
    /// Raw path of the stream inside its container (or on disk), with any
    /// `.gz` layers already removed.
    pub(super) name: Vec<u8>,
    /// The directory on disk holding the file, for `.vmx` lookup.
    pub(super) disk_dir: Option<Arc<Path>>,
    /// Modification time, epoch seconds, when known without asking.
    pub(super) mtime: Option<i64>,
    /// The file on disk whose modification time stands in otherwise; only
    /// looked up when an old-format log needs a year.
    pub(super) mtime_of: Option<std::sync::Arc<Path>>,
    /// Container layers above this stream.
    pub(super) depth: u32,
    /// Named on the command line: scanned as a log whatever its name.
    pub(super) named: bool,
    /// Decompressed on the fly: scanning moves to its own thread so that
    /// it runs beside the decompression instead of after it.
    pub(super) compressed: bool,
}

impl Node {
    pub(super) fn member(&self, path: &[u8], mtime: Option<i64>) -> Node {
        let container = format!("{}!", self.source);
        Node {
            source: format!("{container}{}", escape_bytes(path)),
            container,
            name: path.to_vec(),
            disk_dir: None,
            mtime: mtime.or(self.mtime),
            mtime_of: self.mtime_of.clone(),
            depth: self.depth + 1,
            named: false,
            compressed: self.compressed,
        }
    }

    /// The modification time that dates a year-less log: the member's, else
    /// the file's on disk, else now (standard input).
    pub(super) fn mtime_secs(&self) -> i64 {
        self.mtime
            .or_else(|| {
                let p = self.mtime_of.as_ref()?;
                std::fs::metadata(p).ok()?.modified().ok().map(epoch_secs)
            })
            .unwrap_or_else(|| epoch_secs(SystemTime::now()))
    }

    pub(super) fn base(&self) -> &[u8] {
        basename(&self.name)
    }

    /// Standard input itself (not a member of an archive read from it).
    pub(super) fn is_stdin(&self) -> bool {
        self.container.is_empty() && self.source == STDIN
    }

    /// The VM directory key and its own name.
    pub(super) fn dir(&self) -> (String, Option<String>) {
        let p = parent(&self.name);
        let dir_name = (!basename(p).is_empty()).then(|| escape_bytes(basename(p)));
        if self.container.is_empty() {
            let shown = if p.is_empty() {
                ".".to_owned()
            } else {
                escape_bytes(p)
            };
            let dir_name = dir_name.or_else(|| {
                let d = self.disk_dir.as_ref()?.canonicalize().ok()?;
                Some(escape_str(&d.file_name()?.to_string_lossy()))
            });
            (shown, dir_name)
        } else {
            (format!("{}{}", self.container, escape_bytes(p)), dir_name)
        }
    }
}

fn epoch_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}
