//! The database's record, analysed: freezes paired with thaws into
//! windows ([`freeze`]), events linked to the stuns that explain them and
//! snapshots checked against the windows ([`mod@correlate`]), all kept in a
//! shape every format can print ([`DbReport`]).
//!
//! The correlation itself works on plain descriptions of the stuns,
//! creates and VMs ([`StunRef`], [`CreateRef`], [`VmRef`]); [`build`] is
//! the one place that makes them from an analysed [`Report`].

pub mod correlate;
pub mod freeze;
mod report;
mod set;

use std::collections::BTreeMap;

pub use correlate::{
    Correlation, CreateRef, Explained, FreezeCheck, InQuiesce, QuiesceRef, StunRef, VmRef,
    WindowReport, applies, correlate, explain, in_freeze, in_quiesce, names_vm,
};
pub use freeze::{FreezeOutcome, FreezeWindow, freeze_windows};
pub use report::{DbReport, ExplainedBy, Freeze};
pub use set::DbSet;

use super::report::{Kind, Report, VmReport};
use crate::dblog::{DbLog, DbNote, Shared};
use crate::input::Notice;
use crate::units::human_span_ms;
use crate::zone::format_rfc3339_ms;

/// The last component of a VM directory key (`…/datastore1/db1` or
/// `bundle.tgz!…/db1` → `db1`; on Windows `C:\VMs\db1` too). Not `\`
/// elsewhere: keys are escaped, and an escape (`caf\xE9`) holds one.
fn dir_name(dir: &str) -> &str {
    dir.rsplit(|c: char| c == '!' || std::path::is_separator(c))
        .next()
        .unwrap_or(dir)
}

impl VmRef {
    /// A report's VM as the correlation names it: every part of the report
    /// that places the database's members on VMs goes through this, so
    /// that they agree.
    pub fn of(v: &VmReport) -> VmRef {
        VmRef {
            vm: v.vm.to_string(),
            dir_name: dir_name(&v.dir).to_owned(),
        }
    }
}

/// The report's VMs, and each event's VM (events come in VM order, each
/// VM's `events` of them).
fn vm_refs(report: &Report) -> (Vec<VmRef>, Vec<usize>) {
    let vms: Vec<VmRef> = report.vms.iter().map(VmRef::of).collect();
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

/// The report's quiesces, each with its VM's directory name.
fn quiesce_refs(report: &Report) -> Vec<QuiesceRef> {
    report
        .quiesces
        .iter()
        .map(|q| QuiesceRef {
            cluster_id: q.cluster,
            vm: q.vm.to_string(),
            dir_name: report
                .vms
                .iter()
                .find(|v| v.vm == q.vm && v.host == q.host)
                .map_or_else(String::new, |v| dir_name(&v.dir).to_owned()),
            start_ms: q.start,
            end_ms: q.end,
        })
        .collect()
}

/// A freeze with a quiesce of its VMs this near, but none around it, sat
/// in no quiesce; farther, the VM logs say nothing about it.
const QUIESCE_NEAR_MS: i64 = 60 * 60 * 1000;

/// Each freeze against the quiesces: which it sat in, whether it outlasted
/// it, or that it sat in none of its VMs' quiesces.
fn freezes_in_quiesces(freezes: &mut [Freeze], report: &Report, vms: &[VmRef]) {
    let quiesces = quiesce_refs(report);
    for f in freezes {
        match in_quiesce(&f.window, &quiesces, vms) {
            Some(q) => {
                f.quiesce_cluster = quiesces[q.quiesce].cluster_id;
                f.in_quiesce = true;
                f.outlasted_ms = q.outlasted_ms;
            }
            None => {
                // Only a quiesce near it says the freeze missed it: VM logs
                // of another day say nothing.
                let w = &f.window;
                f.outside_quiesce = quiesces.iter().any(|q| {
                    correlate::applies(&w.member, &q.vm, &q.dir_name, vms)
                        && (q.start_ms - w.start_ms).abs() <= QUIESCE_NEAR_MS
                });
            }
        }
    }
}

/// What the freezes and quiesces say that a user must know: a quiesced
/// snapshot taken with no database freeze (crash-consistent), a freeze
/// that outlasted its quiesce, a freeze outside every quiesce.
fn quiesce_notes(db: &DbReport, report: &Report) -> Vec<DbNote> {
    let mut out = Vec::new();
    for c in &report.clusters {
        let quiesced = c.quiesced == Some(true) || c.quiesce.is_some();
        let check = db.in_freeze.get(&c.id).copied().unwrap_or_default();
        if quiesced && check.in_freeze == Some(false) {
            out.push(DbNote {
                source: c.vm.to_string(),
                message: format!(
                    "snapshot #{} ({}) was quiesced but taken with no database freeze: the \
                     database's log covers the time and shows none, so the freeze script did \
                     not run and the snapshot is crash-consistent, not application-consistent",
                    c.id,
                    format_rfc3339_ms(c.start)
                ),
            });
        }
    }
    for f in &db.freezes {
        let w = &f.window;
        let at = format_rfc3339_ms(w.start_ms);
        if let (Some(id), Some(ms)) = (f.quiesce_cluster, f.outlasted_ms) {
            out.push(DbNote {
                source: w.member.clone(),
                message: format!(
                    "the database freeze at {at} outlasted the quiesce of snapshot #{id} by {}: \
                     writes stayed suspended after VMware Tools had thawed the guest (a thaw \
                     script that ran late, or clocks that disagree)",
                    human_span_ms(ms)
                ),
            });
        }
        if f.outside_quiesce {
            out.push(DbNote {
                source: w.member.clone(),
                message: format!(
                    "the database freeze at {at} sat in no snapshot's quiesce: not the \
                     snapshot's freeze (or the guest's and the host's clocks disagree by more \
                     than a second)"
                ),
            });
        }
    }
    out
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
            quiesce_cluster: None,
            in_quiesce: false,
            outlasted_ms: None,
            outside_quiesce: false,
        })
        .collect::<Vec<_>>();
    let mut freezes = freezes;
    freezes_in_quiesces(&mut freezes, report, &vms);
    let in_freeze = creates
        .iter()
        .map(|c| c.cluster_id)
        .zip(c.in_freeze)
        .collect();
    let mut db = DbReport {
        logs: set.logs.len(),
        events: set.events,
        explained,
        freezes,
        in_freeze,
        notes: set.notes,
        errors: set.errors,
    };
    let notes = quiesce_notes(&db, report);
    db.notes.extend(notes);
    db
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
