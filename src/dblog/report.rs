//! The database's record, correlated with an analysed report, ready for
//! the renderers.
//!
//! This is the one place that knows both sides: it describes the report's
//! stuns, create clusters and VMs in [`correlate`](mod@super::correlate)'s
//! plain terms, and keeps the answers in a shape every format can print.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

use super::{
    CreateRef, DbError, DbEvent, DbKind, DbLog, DbNote, DbSet, FreezeCheck, FreezeWindow, Shared,
    StunRef, VmRef, correlate,
};
use super::{DbArg, ReadOptions, parse_db_log_arg, read_path};
use crate::analyze::{Kind, Report};
use crate::escape::escape_bytes;
use crate::input::Notice;
use crate::qos::Verdict;
use crate::time::EpochMs;
use crate::zone::Zone;

/// The stun that explains a database event, as the report shows it. A
/// large log has an entry (mostly `None`) per event: its names are shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainedBy {
    pub host: Shared,
    pub vm: Shared,
    pub time_ms: EpochMs,
    pub stun_us: u64,
    pub verdict: Verdict,
    /// Event time minus the start of the stun's pause.
    pub lag_ms: i64,
}

/// A freeze window with the create clusters inside and outside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    pub window: FreezeWindow,
    pub inside: Vec<u64>,
    pub outside: Vec<u64>,
}

/// Everything the renderers need about the database's record.
#[derive(Debug, Clone, Default)]
pub struct DbReport {
    /// Database logs read.
    pub logs: usize,
    /// Every database event, in time order.
    pub events: Vec<DbEvent>,
    /// Parallel to `events`: the explaining stun of a `takeover` or
    /// `mirror` event, `None` when no stun explains it (and for other
    /// kinds).
    pub explained: Vec<Option<ExplainedBy>>,
    pub freezes: Vec<Freeze>,
    /// Create cluster id → its freeze check.
    pub in_freeze: BTreeMap<u64, FreezeCheck>,
    /// The logs' notes and errors, for the report's own lists.
    pub notes: Vec<DbNote>,
    pub errors: Vec<DbError>,
}

impl DbReport {
    pub fn is_empty(&self) -> bool {
        self.logs == 0
    }

    /// Events that a stun may explain (`takeover`, `mirror`) with their
    /// explanation.
    pub fn correlated(&self) -> impl Iterator<Item = (&DbEvent, Option<&ExplainedBy>)> {
        self.events
            .iter()
            .zip(&self.explained)
            .filter(|(e, _)| e.kind.is_correlated())
            .map(|(e, x)| (e, x.as_ref()))
    }

    /// The first takeover and what explains it, preferring one that a
    /// stun explains: the headline of the report.
    pub fn headline(&self) -> Option<(&DbEvent, Option<&ExplainedBy>)> {
        let takeovers = || {
            self.correlated()
                .filter(|(e, _)| e.kind == DbKind::Takeover)
        };
        takeovers()
            .find(|(_, x)| x.is_some())
            .or_else(|| takeovers().next())
    }
}

/// The last component of a VM directory key (`…/datastore1/db1` → `db1`).
fn dir_name(dir: &str) -> &str {
    dir.rsplit(['/', '!']).next().unwrap_or(dir)
}

/// The report's VMs, and each event's VM (events come in VM order, each
/// VM's `events` of them).
fn vm_refs(report: &Report) -> (Vec<VmRef>, Vec<usize>) {
    let vms: Vec<VmRef> = report
        .vms
        .iter()
        .map(|v| VmRef {
            vm: v.vm.to_string(),
            dir_name: dir_name(&v.dir).to_owned(),
        })
        .collect();
    let mut of_event = Vec::with_capacity(report.events.len());
    for (i, v) in report.vms.iter().enumerate() {
        of_event.extend(std::iter::repeat_n(
            i,
            usize::try_from(v.events).unwrap_or(0),
        ));
    }
    of_event.resize(report.events.len(), usize::MAX);
    (vms, of_event)
}

fn stun_refs(report: &Report, vms: &[VmRef], of_event: &[usize]) -> Vec<StunRef> {
    report
        .events
        .iter()
        .zip(of_event)
        .map(|(e, &v)| StunRef {
            host: e.host.to_string(),
            vm: e.vm.to_string(),
            dir_name: vms.get(v).map_or_else(String::new, |r| r.dir_name.clone()),
            time_ms: e.time,
            stun_us: e.stun_us,
            verdict: e.verdict,
        })
        .collect()
}

/// Create clusters, by their first reported stun.
fn create_refs(report: &Report, stuns: &[StunRef]) -> Vec<CreateRef> {
    let mut first: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, e) in report.events.iter().enumerate() {
        first.entry(e.cluster).or_insert(i);
    }
    report
        .clusters
        .iter()
        .filter(|c| c.kind == Kind::Create)
        .filter_map(|c| {
            let s = &stuns[*first.get(&c.id)?];
            Some(CreateRef {
                cluster_id: c.id,
                vm: s.vm.clone(),
                dir_name: s.dir_name.clone(),
                first_stun_time_ms: s.time_ms,
                first_stun_us: s.stun_us,
            })
        })
        .collect()
}

/// Correlates the database logs with the report.
pub fn build(report: &Report, logs: Vec<DbLog>) -> DbReport {
    let set = DbSet::new(logs);
    let (vms, of_event) = vm_refs(report);
    let stuns = stun_refs(report, &vms, &of_event);
    let creates = create_refs(report, &stuns);
    let mut c = correlate(&set, &stuns, &creates, &vms, report.qos.us);
    // Each explaining stun's names, made once.
    let mut names: Vec<Option<(Shared, Shared)>> = vec![None; stuns.len()];
    let explained = std::mem::take(&mut c.explained)
        .into_iter()
        .map(|x| {
            x.map(|x| {
                let s = &stuns[x.stun];
                let (host, vm) = names[x.stun]
                    .get_or_insert_with(|| (s.host.as_str().into(), s.vm.as_str().into()))
                    .clone();
                ExplainedBy {
                    host,
                    vm,
                    time_ms: s.time_ms,
                    stun_us: s.stun_us,
                    verdict: s.verdict,
                    lag_ms: x.lag_ms,
                }
            })
        })
        .collect();
    let freezes = set
        .windows
        .iter()
        .zip(c.windows)
        .map(|(w, r)| Freeze {
            window: w.clone(),
            inside: r.inside,
            outside: r.outside,
        })
        .collect();
    let in_freeze = creates
        .iter()
        .map(|c| c.cluster_id)
        .zip(c.in_freeze)
        .collect();
    DbReport {
        logs: set.logs.len(),
        events: set.events,
        explained,
        freezes,
        in_freeze,
        notes: set.notes,
        errors: set.errors,
    }
}

/// Reads the `--db-log [NAME=]FILE` arguments and adds them to the logs met
/// among the inputs. A file given both ways is read once, as `--db-log`
/// names it.
pub fn add_db_args(logs: &mut Vec<DbLog>, args: &[OsString], zone: &Zone) {
    for arg in args {
        let DbArg { name, path } = parse_db_log_arg(arg);
        let source = escape_bytes(path.as_os_str().as_encoded_bytes());
        let same = |l: &DbLog| same_file(&l.source, &path);
        logs.retain(|l| !same(l));
        let opts = ReadOptions {
            zone,
            member: name.as_deref(),
        };
        logs.push(read_path(&path, &source, &opts));
    }
}

fn same_file(source: &str, path: &Path) -> bool {
    !source.contains('!')
        && match (std::fs::canonicalize(source), std::fs::canonicalize(path)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

/// Correlates the database logs with the report and files their notes and
/// errors with the report's own.
pub fn attach(report: &mut Report, logs: Vec<DbLog>, zone_given: bool) {
    if logs.is_empty() {
        return;
    }
    let mut db = build(report, logs);
    if !zone_given {
        report.notes.push(Notice {
            source: "--db-tz".into(),
            message: "database log times carry no zone and were read as UTC; pass \
                      --db-tz with the zone of the database hosts (e.g. --db-tz America/New_York)"
                .into(),
        });
    }
    let notice = |source: String, message: String| Notice { source, message };
    let notes = std::mem::take(&mut db.notes);
    let errors = std::mem::take(&mut db.errors);
    report
        .notes
        .extend(notes.into_iter().map(|n| notice(n.source, n.message)));
    report
        .errors
        .extend(errors.into_iter().map(|e| notice(e.source, e.message)));
    report.db = db;
}
