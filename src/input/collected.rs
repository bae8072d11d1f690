//! What reading yields: logs ready for analysis, with what they say about
//! themselves, and the notes and errors met on the way. Every reader fills
//! a [`Collected`] of its own; they are merged in input order.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use super::node::Node;
use crate::escape::{Name, Part, escape_str};
use crate::time::EpochMs;
use crate::vmlog::scan::{RecordKind, ScanResult};

/// Log-like names listed in the note about them; the rest are counted.
const LOOKALIKES_SHOWN: usize = 10;

/// One scanned vm-support fragment, waiting for its neighbours (see
/// `fragments`).
#[derive(Debug)]
pub(super) struct Piece {
    pub(super) node: Node,
    pub(super) input: usize,
    pub(super) res: ScanResult,
}

/// One record with its time resolved to UTC: a stun or an operation
/// marker (48 bytes: one is kept for every stun until its VM is analysed).
#[derive(Debug, Clone)]
pub struct Entry {
    pub time_ms: i64,
    pub line_no: u64,
    pub kind: RecordKind,
    /// The year was inferred from the file's modification time.
    pub approx: bool,
}

/// What a log says about itself: its latest `displayName` and `Hostname=`
/// (the later line wins a tie), with their times. Kept instead of the
/// records, which nothing else needs.
#[derive(Debug, Clone, Default)]
pub struct Says {
    pub name: Option<(EpochMs, Name)>,
    pub host: Option<(EpochMs, Name)>,
    /// The product and version of its banner (`Workstation 25.0.0`).
    pub product: Option<(EpochMs, Name)>,
}

impl Says {
    /// Takes in what a later record (or a later log) says.
    pub fn merge(&mut self, other: Says) {
        for (mine, theirs) in [
            (&mut self.name, other.name),
            (&mut self.host, other.host),
            (&mut self.product, other.product),
        ] {
            if let Some(t) = theirs
                && mine.as_ref().is_none_or(|m| t.0 >= m.0)
            {
                *mine = Some(t);
            }
        }
    }
}

/// One log (or one saved-grep prefix's share of a file), ready for analysis.
///
/// Its names share one allocation: `dir`, `dir_name` and `bundle_host` are
/// parts of `source` whenever they are pieces of it (a VM with one short log
/// costs its names once).
#[derive(Debug, Clone)]
pub struct LogFile {
    /// Display name: path, `!`-joined archive chain, or grep prefix.
    pub source: Name,
    /// Key of the VM directory this log belongs to.
    pub dir: Part,
    /// That directory's own name, when it has one.
    pub dir_name: Option<Part>,
    /// Host named by where the log came from: a bundle root
    /// `esx-<host>-<YYYY-MM-DD>--…`, or the syslog envelope of forwarded
    /// lines.
    pub bundle_host: Option<Part>,
    /// Rotation rank: 0 for `vmware.log`, N+1 for `vmware-N.log` (older).
    pub rank: u32,
    /// The directory on disk holding the log, for `.vmx` lookup.
    pub disk_dir: Option<Arc<Path>>,
    /// Its stuns and operation markers, in log order.
    pub entries: Vec<Entry>,
    /// Its latest `displayName` and `Hostname=`.
    pub says: Says,
    /// Time and line of its latest record of any kind (None: no record):
    /// the log a VM's host is taken from is the one with the latest.
    pub last: Option<(EpochMs, u64)>,
    /// The command-line input it came from (its index).
    pub input: usize,
    /// Equal for two logs of the same name and content (None: empty log).
    pub fingerprint: Option<u64>,
    /// It holds nothing but stun lines (saved `grep Unstun` output, an
    /// excerpt): only there are kinds guessed from the stuns' pattern.
    pub stun_only: bool,
}

impl LogFile {
    /// The host its own lines name, else its bundle's, else `-`.
    pub fn host(&self) -> Name {
        match (&self.says.host, &self.bundle_host) {
            (Some((_, h)), _) => h.clone(),
            (None, Some(b)) => Name::from(b.as_str()),
            (None, None) => arcstr::literal!("-"),
        }
    }
}

/// Something to tell the user about one source: an error (exit status 2)
/// or a note (exit status unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub source: String,
    pub message: String,
}

/// What one command-line input yielded.
#[derive(Debug, Clone, Default)]
pub struct InputSummary {
    pub path: String,
    pub logs: u64,
    pub bytes: u64,
    pub skipped_stun_lines: u64,
    /// Database logs it held (not VMware logs, but not nothing either).
    pub db_logs: u64,
}

/// Base names that look like VM logs but are not read.
#[derive(Debug, Default)]
pub(super) struct LookAlikes {
    pub(super) shown: Vec<String>,
    pub(super) count: u64,
}

impl LookAlikes {
    pub(super) fn add(&mut self, source: String) {
        self.count += 1;
        if self.shown.len() < LOOKALIKES_SHOWN {
            self.shown.push(source);
        }
    }

    pub(super) fn absorb(&mut self, other: LookAlikes) {
        self.count += other.count;
        for s in other.shown {
            if self.shown.len() < LOOKALIKES_SHOWN {
                self.shown.push(s);
            }
        }
    }
}

/// Everything read from all inputs.
#[derive(Debug, Default)]
pub struct Collected {
    pub logs: Vec<LogFile>,
    /// VM directory key → `displayName` from a `.vmx` in it.
    pub vmx_names: BTreeMap<String, String>,
    pub errors: Vec<Notice>,
    pub notes: Vec<Notice>,
    pub inputs: Vec<InputSummary>,
    /// Database logs (`messages.log`, `cconsole.log`) met among the inputs.
    pub db_logs: Vec<crate::dblog::DbLog>,
    /// Fragments, joined once every input is read.
    pub(super) pieces: Vec<Piece>,
    /// [`whole_key`] of every whole log read, so fragments of the same log
    /// give way to it (16 bytes a log, instead of two copies of its name).
    pub(super) whole: Vec<u128>,
    /// Host names met, so that the logs of one host share one copy.
    pub(super) hosts: HashSet<Name>,
    /// Per filed log: its input and its skipped stun lines.
    pub(super) logs_in: Vec<(usize, u64)>,
    pub(super) looks: LookAlikes,
}

impl Collected {
    /// Every input held database logs and no VMware log: the database's
    /// record alone was asked for.
    pub fn only_db_logs(&self) -> bool {
        !self.inputs.is_empty() && self.inputs.iter().all(|i| i.logs == 0 && i.db_logs > 0)
    }

    /// Records an input problem. The message is escaped here, once, because
    /// it may quote bytes from the input (archive libraries put header
    /// fields and member names into their errors).
    pub(super) fn error(&mut self, source: &str, message: impl Into<String>) {
        self.errors.push(Notice {
            source: source.to_owned(),
            message: escape_str(&message.into()),
        });
    }

    pub(super) fn note(&mut self, source: &str, message: impl Into<String>) {
        self.notes.push(Notice {
            source: source.to_owned(),
            message: escape_str(&message.into()),
        });
    }

    /// The shared copy of host name `h`.
    pub(super) fn intern_host(&mut self, h: Name) -> Name {
        if let Some(k) = self.hosts.get(&h) {
            return k.clone();
        }
        self.hosts.insert(h.clone());
        h
    }

    pub(super) fn absorb(&mut self, mut other: Collected) {
        for log in &mut other.logs {
            if let Some((t, h)) = log.says.host.take() {
                log.says.host = Some((t, self.intern_host(h)));
            }
        }
        if self.logs.is_empty() {
            self.logs = other.logs;
        } else {
            self.logs.extend(other.logs);
        }
        for (k, v) in other.vmx_names {
            self.vmx_names.entry(k).or_insert(v);
        }
        self.errors.extend(other.errors);
        self.notes.extend(other.notes);
        self.db_logs.extend(other.db_logs);
        self.pieces.extend(other.pieces);
        self.whole.extend(other.whole);
        self.logs_in.extend(other.logs_in);
        self.looks.absorb(other.looks);
    }
}
