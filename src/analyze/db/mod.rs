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
    Correlation, CreateRef, Explained, FreezeCheck, StunRef, VmRef, WindowReport, correlate,
    explain, in_freeze, names_vm,
};
pub use freeze::{FreezeOutcome, FreezeWindow, freeze_windows};
pub use report::{DbReport, ExplainedBy, Freeze};
pub use set::DbSet;

use super::report::{Kind, Report};
use crate::dblog::{DbLog, Shared};
use crate::input::Notice;

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
