//! Reading inputs: files, directories, standard input and archives, to logs.
//!
//! Every file and archive member is classified by its first bytes, not its
//! name: gzip, zip, tar, or text. Archives are read in one streaming pass
//! (tar and gzip as streams; a zip on disk through its central directory,
//! a zip inside another stream through its local headers), nothing is
//! extracted to disk, and only *log members* (`vmware.log`, `vmware-N.log`,
//! either with `.gz`) and `.vmx` files are read; other members are skipped.
//! Independent files run on the rayon pool.

mod names;
mod reader;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::escape::{escape_bytes, escape_str};
use crate::line::{self, LineTime};
use crate::progress;
use crate::scan::{self, RecordKind, ScanResult};
use crate::time;

pub use names::{Kind, bundle_host, is_archive_name, is_log_name, log_rank, sniff};
use names::{basename, parent};
use reader::{Node, Reader};

/// Archive layers opened inside one another at most (vCenter `.zip` → host
/// `.tgz` → `vmware.log.gz` is three).
pub const MAX_DEPTH: u32 = 4;
/// GNU long-name and PAX headers larger than this are ignored.
const MAX_TAR_EXTENSION: u64 = 64 << 10;
/// `.vmx` files larger than this are not configuration files.
const MAX_VMX: u64 = 1 << 20;

/// A command-line input.
#[derive(Debug, Clone)]
pub enum InputPath {
    Stdin,
    Path(PathBuf),
}

/// One record with its time resolved to UTC.
#[derive(Debug, Clone)]
pub struct Entry {
    pub time_ms: i64,
    /// The year was inferred from the file's modification time.
    pub approx: bool,
    pub line_no: u64,
    pub kind: RecordKind,
}

/// One log (or one saved-grep prefix's share of a file), ready for analysis.
#[derive(Debug, Clone)]
pub struct LogFile {
    /// Display name: path, `!`-joined archive chain, or grep prefix.
    pub source: crate::analyze::Name,
    /// Key of the VM directory this log belongs to.
    pub dir: String,
    /// That directory's own name, when it has one.
    pub dir_name: Option<String>,
    /// Host named by a bundle root `esx-<host>-<YYYY-MM-DD>--…`.
    pub bundle_host: Option<String>,
    /// Rotation rank: 0 for `vmware.log`, N+1 for `vmware-N.log` (older).
    pub rank: u32,
    /// The directory on disk holding the log, for `.vmx` lookup.
    pub disk_dir: Option<PathBuf>,
    pub entries: Vec<Entry>,
}

/// An input problem, reported on standard error and in `errors[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub source: String,
    pub message: String,
}

/// What one command-line input yielded.
#[derive(Debug, Clone, Default)]
pub struct InputSummary {
    pub path: String,
    pub logs: u64,
    pub bytes: u64,
}

/// Everything read from all inputs.
#[derive(Debug, Default)]
pub struct Collected {
    pub logs: Vec<LogFile>,
    /// VM directory key → `displayName` from a `.vmx` in it.
    pub vmx_names: BTreeMap<String, String>,
    pub errors: Vec<InputError>,
    pub inputs: Vec<InputSummary>,
}

impl Collected {
    /// Records an input problem. The message is escaped here, once, because
    /// it may quote bytes from the input (archive libraries put header
    /// fields and member names into their errors).
    fn error(&mut self, source: &str, message: impl Into<String>) {
        self.errors.push(InputError {
            source: source.to_owned(),
            message: escape_str(&message.into()),
        });
    }

    fn absorb(&mut self, other: Collected) {
        self.logs.extend(other.logs);
        for (k, v) in other.vmx_names {
            self.vmx_names.entry(k).or_insert(v);
        }
        self.errors.extend(other.errors);
    }
}

/// Inputs larger than this in total get a progress bar (when stderr is a
/// terminal and progress is wanted).
pub const PROGRESS_MIN_BYTES: u64 = 100 << 20;

/// One file to read, from the command line or a directory walk.
struct Task {
    input: usize,
    path: PathBuf,
    named: bool,
    size: u64,
}

/// Reads every input. Files (named or found in directories) run on the
/// rayon pool; standard input is read on this thread.
pub fn collect(inputs: &[InputPath], progress: bool) -> Collected {
    let mut all = Collected::default();
    let mut tasks: Vec<Task> = Vec::new();
    for (idx, input) in inputs.iter().enumerate() {
        let path = match input {
            InputPath::Stdin => "-".to_owned(),
            InputPath::Path(p) => escape_bytes(p.as_os_str().as_encoded_bytes()),
        };
        all.inputs.push(InputSummary {
            path,
            ..Default::default()
        });
        if let InputPath::Path(p) = input {
            plan_path(idx, p, progress, &mut tasks, &mut all);
        }
    }

    let total: u64 = tasks.iter().map(|t| t.size).sum();
    let bar = progress::Bar::new(progress && total >= PROGRESS_MIN_BYTES, total);
    let parts: Vec<(usize, Stats, Collected)> = tasks
        .par_iter()
        .map(|t| {
            let mut stats = Stats::default();
            let mut part = Collected::default();
            let mut reader = Reader::new(&mut stats, &bar);
            reader.file(&t.path, t.named, &mut part);
            reader.drain(&mut part);
            (t.input, stats, part)
        })
        .collect();
    bar.finish();
    for (idx, stats, part) in parts {
        all.inputs[idx].logs += stats.logs;
        all.inputs[idx].bytes += stats.bytes;
        all.absorb(part);
    }

    for (idx, input) in inputs.iter().enumerate() {
        if let InputPath::Stdin = input {
            let mut stats = Stats::default();
            let mut part = Collected::default();
            let none = progress::Bar::new(false, 0);
            let mut reader = Reader::new(&mut stats, &none);
            reader.stdin(&mut part);
            reader.drain(&mut part);
            all.inputs[idx].logs += stats.logs;
            all.inputs[idx].bytes += stats.bytes;
            all.absorb(part);
        }
    }
    attach_disk_vmx(&mut all);
    all
}

#[derive(Default)]
struct Stats {
    logs: u64,
    bytes: u64,
}

/// Lists the files an input path stands for: itself, or the log and
/// archive files under it.
fn plan_path(input: usize, path: &Path, sizes: bool, tasks: &mut Vec<Task>, out: &mut Collected) {
    let shown = escape_bytes(path.as_os_str().as_encoded_bytes());
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return out.error(&shown, format!("cannot read: {e}")),
    };
    if !meta.is_dir() {
        tasks.push(Task {
            input,
            path: path.to_path_buf(),
            named: true,
            size: meta.len(),
        });
        return;
    }
    for entry in walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let base = e.file_name().as_encoded_bytes();
                if is_log_name(base) || is_archive_name(base) {
                    // Sizes are for the progress bar only: a stat per file otherwise.
                    let size = if sizes {
                        e.metadata().map_or(0, |m| m.len())
                    } else {
                        0
                    };
                    tasks.push(Task {
                        input,
                        path: e.into_path(),
                        named: false,
                        size,
                    });
                }
            }
            Ok(_) => {}
            Err(e) => {
                let at = e.path().map_or(shown.clone(), |p| {
                    escape_bytes(p.as_os_str().as_encoded_bytes())
                });
                let msg = if e.loop_ancestor().is_some() {
                    "symbolic link loop: it points back to a directory above it; not followed"
                        .to_owned()
                } else {
                    format!(
                        "cannot read: {}",
                        e.io_error().map_or(e.to_string(), |io| io.to_string())
                    )
                };
                out.error(&at, msg);
            }
        }
    }
}

/// Reads `.vmx` files beside logs found on disk.
fn attach_disk_vmx(all: &mut Collected) {
    // Only directories whose logs name no VM need their `.vmx` read: the
    // log's own `DICT displayName` wins anyway.
    let named: std::collections::HashSet<&str> = all
        .logs
        .iter()
        .filter(|l| {
            l.entries
                .iter()
                .any(|e| matches!(e.kind, RecordKind::DisplayName(_)))
        })
        .map(|l| l.dir.as_str())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let dirs: Vec<(String, PathBuf)> = all
        .logs
        .iter()
        .filter(|l| !all.vmx_names.contains_key(&l.dir) && !named.contains(l.dir.as_str()))
        .filter_map(|l| Some((l.dir.clone(), l.disk_dir.clone()?)))
        .filter(|(d, _)| seen.insert(d.clone()))
        .collect();
    let found: Vec<(String, String)> = dirs
        .into_par_iter()
        .filter_map(|(key, dir)| Some((key, vmx_in_dir(&dir)?)))
        .collect();
    all.vmx_names.extend(found);
}

/// The `displayName` of the first `.vmx` (by name) in `dir` that has one.
fn vmx_in_dir(dir: &Path) -> Option<String> {
    let mut vmx: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Regular files only: opening a FIFO named *.vmx would block.
        .filter(|p| p.extension().is_some_and(|x| x == "vmx") && p.is_file())
        .collect();
    vmx.sort();
    vmx.into_iter().find_map(|p| read_vmx(File::open(p).ok()?))
}

/// `displayName` of a `.vmx` read from `r` (at most [`MAX_VMX`] bytes).
fn read_vmx<R: Read>(r: R) -> Option<String> {
    let mut buf = Vec::new();
    r.take(MAX_VMX).read_to_end(&mut buf).ok()?;
    buf.split(|&c| c == b'\n')
        .find_map(line::vmx_display_name)
        .map(escape_bytes)
}

/// Splits a scanned log by saved-grep origin, resolves times, and files it.
fn finish_log(res: ScanResult, node: &Node, out: &mut Collected) {
    let (dir, dir_name) = node.dir();
    let rank = log_rank(node.base()).unwrap_or(0);
    let host = bundle_host(&node.source);
    let needs_year = res
        .records
        .iter()
        .any(|r| matches!(r.time, LineTime::NoYear { .. }));
    let mtime = if needs_year { node.mtime_secs() } else { 0 };
    let mut groups: Vec<Vec<scan::Record>> = vec![Vec::new(); res.grep_names.len() + 1];
    for r in res.records {
        if let Some(g) = groups.get_mut(r.origin as usize) {
            g.push(r);
        }
    }
    for (i, records) in groups.into_iter().enumerate() {
        // A saved grep's own share is empty: its lines belong to the files
        // its prefixes name.
        if records.is_empty() && (i > 0 || !res.grep_names.is_empty()) {
            continue;
        }
        let entries = resolve_times(records, mtime);
        if i == 0 {
            out.logs.push(LogFile {
                source: node.source.as_str().into(),
                dir: dir.clone(),
                dir_name: dir_name.clone(),
                bundle_host: host.clone(),
                rank,
                disk_dir: node.disk_dir.clone(),
                entries,
            });
            continue;
        }
        // Lines a saved grep attributes to another file.
        let name = &res.grep_names[i - 1];
        let p = parent(name);
        let (gdir, gdir_name) = if p.is_empty() {
            (dir.clone(), dir_name.clone())
        } else {
            (
                format!("{}:{}", node.source, escape_bytes(p)),
                Some(escape_bytes(basename(p))),
            )
        };
        out.logs.push(LogFile {
            source: escape_bytes(name).into(),
            dir: gdir,
            dir_name: gdir_name,
            bundle_host: bundle_host(&escape_bytes(name)).or_else(|| host.clone()),
            rank: log_rank(basename(name)).unwrap_or(0),
            disk_dir: None,
            entries,
        });
    }
}

/// Gives old no-year records a year: the last record is in the year of the
/// file's modification time (a year earlier when its month is after the
/// mtime's month), and walking back, each December → January step going
/// forward in the file is a year boundary.
fn resolve_times(records: Vec<scan::Record>, mtime_secs: i64) -> Vec<Entry> {
    let (mut year, mut next_month, _) = time::ymd(mtime_secs.saturating_mul(1000));
    let mut entries: Vec<Entry> = Vec::with_capacity(records.len());
    for r in records.into_iter().rev() {
        let (time_ms, approx) = match r.time {
            LineTime::Utc(ms) => (ms, false),
            LineTime::NoYear {
                month,
                day,
                ms_of_day,
            } => {
                if month > next_month {
                    year -= 1;
                }
                next_month = month;
                (time::epoch_ms(year, month, day, ms_of_day), true)
            }
        };
        entries.push(Entry {
            time_ms,
            approx,
            line_no: r.line_no,
            kind: r.kind,
        });
    }
    entries.reverse();
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_year_times_step_back_over_new_year() {
        let rec = |month, day| scan::Record {
            time: LineTime::NoYear {
                month,
                day,
                ms_of_day: 0,
            },
            line_no: 1,
            origin: 0,
            kind: RecordKind::Hostname("h".into()),
        };
        // mtime 2010-01-01T00:10:00Z
        let mtime = time::epoch_ms(2010, 1, 1, 600_000) / 1000;
        let e = resolve_times(vec![rec(12, 31), rec(1, 1)], mtime);
        assert_eq!(
            time::format_rfc3339_ms(e[0].time_ms),
            "2009-12-31T00:00:00.000Z"
        );
        assert_eq!(
            time::format_rfc3339_ms(e[1].time_ms),
            "2010-01-01T00:00:00.000Z"
        );
        assert!(e[0].approx);
    }
}
