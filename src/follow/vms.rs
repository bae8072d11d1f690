//! One followed VM: a bounded window of its recent records, analysed again
//! whenever a stun or an operation marker arrives.
//!
//! The analysis is the very one of a normal scan (`analyze::analyze` on the
//! window's logs), so kinds, names, hosts and verdicts follow the same
//! rules. What is new is bookkeeping: which stuns were printed already and
//! under which cluster number, and which kind each recent cluster was
//! printed with, so that a stun is printed once and a cluster whose kind a
//! later line decides (an end marker, the next cluster for the shape
//! heuristic) is printed again as a cluster record.
//!
//! The window holds the records of the last [`WINDOW_MS`] (the longest
//! look-back of any kind rule is 24 hours) and at most [`WINDOW_RECORDS`]
//! of them; older ones are dropped, so a VM costs the same after a month
//! as after a day.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;

use crate::analyze::{self, Cluster, Event, Kind, KindSource, Report};
use crate::escape::{Name, Part, escape_bytes};
use crate::input::{Collected, Entry, LogFile, Says};
use crate::time::{self, EpochMs};
use crate::vmlog::LineTime;
use crate::vmlog::scan::{Record, RecordKind};

/// How far back the window reaches: a day (the longest look-back of the
/// kind rules) and an hour.
pub const WINDOW_MS: EpochMs = 25 * 3600 * 1000;
/// Records kept per VM at most.
pub const WINDOW_RECORDS: usize = 4096;

/// A stun as the bookkeeping knows it: its log, line and time.
type EventKey = (Name, u64, EpochMs);

fn key_of(e: &Event) -> EventKey {
    (e.source.clone(), e.line, e.time)
}

/// One log of the VM, as far as the window reaches.
struct LogWin {
    /// The followed file it is (see `Follow::files`).
    tail: u32,
    /// The host a syslog envelope named, for forwarded lines (one log per
    /// host, so that a VM moved by vMotion keeps each stun's host).
    host: Option<Name>,
    source: Name,
    rank: u32,
    entries: VecDeque<Entry>,
    says: Says,
    last: Option<(EpochMs, u64)>,
    /// Its file is no longer followed (deleted): dropped with its last entry.
    gone: bool,
}

/// Where records come from: their log's name and rotation rank, and the
/// host a syslog envelope named.
pub struct Place {
    pub source: Name,
    pub rank: u32,
    pub host: Option<Name>,
}

/// What an analysis found that was not printed yet.
#[derive(Default)]
pub struct Update {
    /// New stuns, numbered with their clusters' lasting numbers.
    pub events: Vec<Event>,
    /// Clusters printed before whose kind has changed.
    pub clusters: Vec<Cluster>,
}

/// One followed VM directory.
pub struct VmState {
    dir: Part,
    dir_name: Option<Part>,
    disk_dir: Arc<Path>,
    logs: Vec<LogWin>,
    /// What logs no longer in the window said (name, host).
    kept: Says,
    /// Printed stuns still in the window → their cluster number.
    printed: HashMap<EventKey, u64>,
    /// The time and length of each printed stun still in the window: the
    /// same stun met again in another file (a copy a collector made, or
    /// rewrote in place) is the same stun, as in a scan.
    stuns: HashMap<(EpochMs, u64), u64>,
    /// Kind last printed of each cluster still in the window.
    kinds: HashMap<u64, (Kind, KindSource)>,
    /// Records were dropped from the window's start: its first cluster may
    /// have lost the context that decided its kind.
    pruned: bool,
}

impl VmState {
    pub fn new(dir: &Path) -> VmState {
        let shown = Part::from(escape_bytes(dir.as_os_str().as_encoded_bytes()));
        let dir_name = dir
            .file_name()
            .map(|n| Part::from(escape_bytes(n.as_encoded_bytes())));
        VmState::with(shown, dir_name, dir)
    }

    /// A VM whose lines a syslog collector's file holds: known by its
    /// syslogID (`app`) in that file, as in a scan.
    pub fn forwarded(file: &Path, app: &[u8]) -> VmState {
        let app = escape_bytes(app);
        let shown = Part::from(format!(
            "{}:{app}",
            escape_bytes(file.as_os_str().as_encoded_bytes())
        ));
        let dir = file.parent().unwrap_or(file);
        VmState::with(shown, Some(Part::from(app)), dir)
    }

    fn with(dir: Part, dir_name: Option<Part>, disk_dir: &Path) -> VmState {
        VmState {
            dir,
            dir_name,
            disk_dir: Arc::from(disk_dir),
            logs: Vec::new(),
            kept: Says::default(),
            printed: HashMap::new(),
            stuns: HashMap::new(),
            kinds: HashMap::new(),
            pruned: false,
        }
    }

    fn log_mut(&mut self, tail: u32, host: Option<&Name>, source: &Name, rank: u32) -> &mut LogWin {
        let at = match self
            .logs
            .iter()
            .position(|l| l.tail == tail && !l.gone && l.host.as_ref() == host)
        {
            Some(i) => i,
            None => {
                self.logs.push(LogWin {
                    tail,
                    host: host.cloned(),
                    source: source.clone(),
                    rank,
                    entries: VecDeque::new(),
                    says: Says::default(),
                    last: None,
                    gone: false,
                });
                self.logs.len() - 1
            }
        };
        &mut self.logs[at]
    }

    /// Takes in records of one of its logs; true when one of them is a
    /// stun or an operation marker (something that can change the report).
    pub fn add(&mut self, tail: u32, at: &Place, records: Vec<Record>) -> bool {
        let now_year = time::ymd(now_ms()).0;
        let log = self.log_mut(tail, at.host.as_ref(), &at.source, at.rank);
        let mut matters = false;
        for r in records {
            let (t, approx) = match r.time {
                LineTime::Utc(ms) => (ms, false),
                // A year-less line being written now is of this year.
                LineTime::NoYear {
                    month,
                    day,
                    ms_of_day,
                } => (time::epoch_ms(now_year, month, day, ms_of_day), true),
            };
            if log.last.is_none_or(|l| (t, r.line_no) >= l) {
                log.last = Some((t, r.line_no));
            }
            let slot = match r.kind {
                RecordKind::DisplayName(n) => Some((&mut log.says.name, n)),
                RecordKind::Hostname(h) => Some((&mut log.says.host, h)),
                kind => {
                    matters = true;
                    log.entries.push_back(Entry {
                        time_ms: t,
                        line_no: r.line_no,
                        kind,
                        approx,
                    });
                    None
                }
            };
            if let Some((slot, v)) = slot
                && slot.as_ref().is_none_or(|(was, _)| t >= *was)
            {
                *slot = Some((t, v));
            }
        }
        matters
    }

    /// A log was renamed (rotated): its entries keep their place, under the
    /// new name.
    pub fn rename(&mut self, tail: u32, source: &Name, rank: u32) {
        let Some(l) = self.logs.iter_mut().find(|l| l.tail == tail && !l.gone) else {
            return;
        };
        // Its printed stuns are known under the new name from now on.
        for e in &l.entries {
            if let Some(id) = self
                .printed
                .remove(&(l.source.clone(), e.line_no, e.time_ms))
            {
                self.printed
                    .insert((source.clone(), e.line_no, e.time_ms), id);
            }
        }
        l.source = source.clone();
        l.rank = rank;
    }

    /// A log is no longer followed (deleted, or truncated and begun again):
    /// what it said is kept; its entries stay until they leave the window.
    pub fn retire(&mut self, tail: u32) {
        for l in self.logs.iter_mut().filter(|l| l.tail == tail) {
            l.gone = true;
        }
        self.drop_empty();
    }

    /// None of its logs is followed any more.
    pub fn is_gone(&self) -> bool {
        self.logs.iter().all(|l| l.gone)
    }

    fn drop_empty(&mut self) {
        let kept = &mut self.kept;
        self.logs.retain(|l| {
            let keep = !(l.gone && l.entries.is_empty());
            if !keep {
                kept.merge(l.says.clone());
            }
            keep
        });
    }

    /// Its logs as a normal scan hands them to the analysis.
    pub fn log_files(&self, vmx_name: Option<&str>, collected: &mut Collected) {
        let mut first = true;
        for l in &self.logs {
            let mut says = l.says.clone();
            if first {
                // What dropped logs said still counts, where no later line
                // says otherwise.
                let mut s = self.kept.clone();
                s.merge(says);
                says = s;
                first = false;
            }
            collected.logs.push(LogFile {
                source: l.source.clone(),
                dir: self.dir.clone(),
                dir_name: self.dir_name.clone(),
                bundle_host: l.host.as_ref().map(|h| Part::from(h.clone())),
                rank: l.rank,
                disk_dir: Some(self.disk_dir.clone()),
                entries: l.entries.iter().cloned().collect(),
                says,
                last: l.last,
                input: 0,
                fingerprint: None,
                // A watched log is a VM's own log, written as it runs.
                stun_only: false,
            });
        }
        if let Some(n) = vmx_name {
            collected
                .vmx_names
                .insert(self.dir.to_string(), n.to_owned());
        }
    }

    /// Analyses the window and returns what was not printed yet.
    pub fn analyse(
        &mut self,
        vmx_name: Option<&str>,
        opts: &analyze::Options,
        next_cluster: &mut u64,
    ) -> Update {
        let mut collected = Collected::default();
        self.log_files(vmx_name, &mut collected);
        let report = analyze::analyze(collected, opts);
        let update = self.take_news(&report, next_cluster);
        self.prune();
        update
    }

    /// Numbers the report's clusters with lasting numbers and picks out the
    /// stuns not printed yet and the clusters whose kind changed.
    fn take_news(&mut self, report: &Report, next_cluster: &mut u64) -> Update {
        let mut update = Update::default();
        // A report lists its events cluster after cluster, numbered 1, 2, …
        let groups = report.events.chunk_by(|a, b| a.cluster == b.cluster);
        for (i, events) in groups.enumerate() {
            let Some(c) = events
                .first()
                .and_then(|e| report.clusters.get((e.cluster as usize).wrapping_sub(1)))
            else {
                continue;
            };
            let known = events.iter().find_map(|e| {
                let by_line = self.printed.get(&key_of(e));
                by_line
                    .or_else(|| self.stuns.get(&(e.time, e.stun_us)))
                    .copied()
            });
            let id = known.unwrap_or_else(|| {
                *next_cluster += 1;
                *next_cluster
            });
            for e in events {
                let copy = self.stuns.insert((e.time, e.stun_us), id).is_some();
                if self.printed.insert(key_of(e), id).is_none() && !copy {
                    let mut e = e.clone();
                    e.cluster = id;
                    update.events.push(e);
                }
            }
            let now = (c.kind, c.kind_source);
            let was = self.kinds.insert(id, now);
            // The window's first cluster may have lost what decided it.
            let trusted = !(self.pruned && i == 0);
            if was.is_some_and(|w| w != now) && trusted {
                let mut c = c.clone();
                c.id = id;
                update.clusters.push(c);
            } else if !trusted && let Some(w) = was {
                self.kinds.insert(id, w);
            }
        }
        update
    }

    /// Takes in the numbering of a whole report (the first one, of what the
    /// files held when the watch began).
    pub fn seed(
        &mut self,
        numbers: &HashMap<EventKey, u64>,
        kinds: &HashMap<u64, (Kind, KindSource)>,
    ) {
        for l in &self.logs {
            for e in &l.entries {
                if !matches!(e.kind, RecordKind::Stun { .. }) {
                    continue;
                }
                let k = (l.source.clone(), e.line_no, e.time_ms);
                if let Some(&id) = numbers.get(&k) {
                    self.printed.insert(k, id);
                    if let RecordKind::Stun { us, .. } = e.kind {
                        self.stuns.insert((e.time_ms, us), id);
                    }
                    if let Some(&kind) = kinds.get(&id) {
                        self.kinds.insert(id, kind);
                    }
                }
            }
        }
        self.prune();
    }

    /// Drops what is older than the window, and the bookkeeping of it.
    fn prune(&mut self) {
        let newest = self
            .logs
            .iter()
            .filter_map(|l| l.entries.back().map(|e| e.time_ms))
            .max();
        let Some(newest) = newest else { return };
        let cutoff = newest.saturating_sub(WINDOW_MS);
        let mut total: usize = self.logs.iter().map(|l| l.entries.len()).sum();
        let mut dropped = false;
        // Oldest first, across logs, until within bounds.
        loop {
            let oldest = self
                .logs
                .iter_mut()
                .filter_map(|l| l.entries.front().map(|e| e.time_ms).zip(Some(l)))
                .min_by_key(|(t, _)| *t);
            let Some((t, log)) = oldest else { break };
            if t >= cutoff && total <= WINDOW_RECORDS {
                break;
            }
            log.entries.pop_front();
            total -= 1;
            dropped = true;
        }
        if !dropped {
            return;
        }
        self.pruned = true;
        self.drop_empty();
        let oldest = self
            .logs
            .iter()
            .filter_map(|l| l.entries.front().map(|e| e.time_ms))
            .min()
            .unwrap_or(newest);
        self.printed.retain(|k, _| k.2 >= oldest);
        self.stuns.retain(|k, _| k.0 >= oldest);
        let live: std::collections::HashSet<u64> = self.printed.values().copied().collect();
        self.kinds.retain(|id, _| live.contains(id));
    }
}

/// The wall clock, as epoch milliseconds.
pub fn now_ms() -> EpochMs {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as EpochMs)
}

/// The key a whole report's event is known by (see [`VmState::seed`]).
pub fn event_key(e: &Event) -> EventKey {
    key_of(e)
}
