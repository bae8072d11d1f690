//! From logs to VMs, clusters, backup windows and statistics.
//!
//! The stages, in the order the data flows: [`vms`] assembles VMs from
//! logs (which directories are one VM, its name and host, one timeline
//! without copies), [`clusters`] groups each VM's stuns and decides their
//! kinds, [`windows`] pairs creates with consolidates, [`stats`] counts.
//! Filters (`--vm`, `--since`, `--until`) choose what is reported only
//! after clusters and kinds are worked out on everything, so a narrow
//! time window never changes a kind.

mod clusters;
mod report;
mod stats;
mod vms;
mod windows;

use globset::GlobMatcher;
use rayon::prelude::*;

pub use report::{Cluster, Event, HostReport, Kind, KindSource, Report, Summary, VmReport, Window};

use crate::escape::Name;
use crate::input::{Collected, Notice};
use crate::qos::Qos;
use crate::scan::RecordKind;
use crate::time::{EpochMs, format_rfc3339_ms};

/// What to analyse.
#[derive(Debug, Clone)]
pub struct Options {
    pub qos: Qos,
    pub gap_ms: i64,
    /// `--vm` patterns; empty: every VM.
    pub vm: Vec<GlobMatcher>,
    pub since: Option<EpochMs>,
    pub until: Option<EpochMs>,
    /// Listing threshold (statistics still use every event).
    pub min_us: u64,
}

impl Options {
    fn in_scope(&self, t: EpochMs) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }
}

/// Where a VM is after it was built.
enum Stage<'a> {
    Done(VmOut),
    /// Waits for the other folders of its name.
    Later(vms::Vm<'a>),
    /// Not chosen by `--vm`.
    Skipped,
}

/// One VM, analysed, before its clusters are numbered.
struct VmOut {
    host: Name,
    vm: Name,
    dir: String,
    /// Reported clusters with their reported events.
    clusters: Vec<(clusters::Draft, Vec<Event>)>,
    /// Stuns outside `--since`/`--until`.
    out_of_scope: u64,
}

pub fn analyze(collected: Collected, opts: &Options) -> Report {
    let Collected {
        logs,
        vmx_names,
        errors,
        mut notes,
        inputs,
        ..
    } = collected;
    let groups = vms::assemble(&logs);
    let chooses = |vm: &vms::Vm| {
        opts.vm.is_empty()
            || opts
                .vm
                .iter()
                .any(|m| m.is_match(&*vm.vm) || vm.dir_names.iter().any(|d| m.is_match(d)))
    };
    // VMs are analysed as soon as they are built, so that only their
    // events stay in memory; those outside a datastore that carry a
    // displayName wait, as another folder may hold copies of their stuns.
    let built: Vec<(Stage, String, Vec<Notice>)> = groups
        .par_iter()
        .map(|dirs| {
            let mut notes = Vec::new();
            let vm = vms::build(dirs, &vmx_names, &mut notes);
            let name = vm.vm.to_string();
            let stage = if vm.named && !vm.on_datastore {
                Stage::Later(vm)
            } else if chooses(&vm) {
                Stage::Done(analyse_vm(vm, opts))
            } else {
                Stage::Skipped
            };
            (stage, name, notes)
        })
        .collect();
    let mut seen = Vec::new();
    let mut chosen = Vec::new();
    let mut later = Vec::new();
    for (stage, name, n) in built {
        seen.push(name);
        notes.extend(n);
        match stage {
            Stage::Done(v) => chosen.push(v),
            Stage::Later(vm) => later.push(vm),
            Stage::Skipped => {}
        }
    }
    vms::drop_copies_across(&mut later, &mut notes);
    chosen.extend(
        later
            .into_par_iter()
            .filter(|vm| chooses(vm))
            .map(|vm| analyse_vm(vm, opts))
            .collect::<Vec<_>>(),
    );
    note_filters(opts, &seen, &chosen, &mut notes);
    chosen.sort_by(|a, b| (&a.host, &a.vm, &a.dir).cmp(&(&b.host, &b.vm, &b.dir)));
    let skipped = inputs.iter().map(|i| i.skipped_stun_lines).sum();
    assemble_report(chosen, opts, inputs, errors, notes, skipped)
}

/// Clusters one VM's timeline and keeps the events in scope.
fn analyse_vm(vm: vms::Vm<'_>, opts: &Options) -> VmOut {
    let drafts = clusters::clusters(&vm.timeline, opts.gap_ms);
    let mut out_of_scope = 0;
    let mut kept = Vec::new();
    for d in drafts {
        let events: Vec<Event> = d
            .stuns
            .iter()
            .filter_map(|&i| {
                let item = &vm.timeline[i];
                let RecordKind::Stun { us, text } = item.kind else {
                    return None;
                };
                if !opts.in_scope(item.time) {
                    out_of_scope += 1;
                    return None;
                }
                Some(Event {
                    time: item.time,
                    approx_time: item.approx,
                    stun_us: *us,
                    verdict: opts.qos.verdict(*us),
                    host: item.host.clone(),
                    vm: vm.vm.clone(),
                    cluster: 0,
                    kind: d.kind,
                    source: item.log.source.clone(),
                    line: item.line,
                    text: text.clone(),
                })
            })
            .collect();
        if !events.is_empty() {
            kept.push((d, events));
        }
    }
    VmOut {
        host: vm.host,
        vm: vm.vm,
        dir: vm.dir,
        clusters: kept,
        out_of_scope,
    }
}

/// Numbers the clusters, builds windows and statistics.
fn assemble_report(
    vms: Vec<VmOut>,
    opts: &Options,
    inputs: Vec<crate::input::InputSummary>,
    errors: Vec<Notice>,
    notes: Vec<Notice>,
    skipped: u64,
) -> Report {
    let mut report = Report {
        qos: opts.qos.clone(),
        inputs,
        errors,
        notes,
        hosts: Vec::new(),
        vms: Vec::new(),
        clusters: Vec::new(),
        windows: Vec::new(),
        events: Vec::new(),
        summary: stats::summary(&[], &[], 0),
        min_us: opts.min_us,
        db: Default::default(),
    };
    for mut v in vms {
        let first = report.clusters.len();
        let first_event = report.events.len();
        for (d, mut events) in std::mem::take(&mut v.clusters) {
            let id = report.clusters.len() as u64 + 1;
            report.clusters.push(cluster(id, &v, &d, &events, opts));
            for e in &mut events {
                e.cluster = id;
            }
            report.events.append(&mut events);
        }
        let ws = windows::windows(&report.clusters[first..], &opts.qos);
        report.windows.extend(ws);
        let events = &report.events[first_event..];
        report
            .vms
            .push(stats::vm_report(&v.host, &v.vm, &v.dir, events));
    }
    report.hosts = stats::host_reports(&report.vms);
    report.summary = stats::summary(&report.vms, &report.events, skipped);
    report
}

fn cluster(id: u64, v: &VmOut, d: &clusters::Draft, events: &[Event], opts: &Options) -> Cluster {
    let max_us = events.iter().map(|e| e.stun_us).max().unwrap_or(0);
    let (snapshot, quiesced) = match d.kind {
        Kind::Create => (d.snapshot.clone(), d.quiesced),
        _ => (None, None),
    };
    Cluster {
        id,
        host: events
            .first()
            .map_or_else(|| v.host.clone(), |e| e.host.clone()),
        vm: v.vm.clone(),
        kind: d.kind,
        kind_source: d.source,
        snapshot,
        quiesced,
        start: events.first().map_or(d.start, |e| e.time),
        end: events.last().map_or(d.end, |e| e.time),
        events: events.len() as u64,
        max_us,
        total_us: events.iter().fold(0u64, |a, e| a.saturating_add(e.stun_us)),
        verdict: opts.qos.verdict(max_us),
    }
}

/// Notes for filters that chose nothing: a `--vm` that matched no VM
/// (listing those seen), a time window that held no stun.
fn note_filters(opts: &Options, seen: &[String], chosen: &[VmOut], notes: &mut Vec<Notice>) {
    if !opts.vm.is_empty() && chosen.is_empty() && !seen.is_empty() {
        let mut names = seen.to_vec();
        names.sort();
        names.dedup();
        let more = names.len().saturating_sub(20);
        names.truncate(20);
        let mut list = names.join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more"));
        }
        notes.push(Notice {
            source: "--vm".into(),
            message: format!("matched no VM; the VMs seen: {list}"),
        });
    }
    let outside: u64 = chosen.iter().map(|v| v.out_of_scope).sum();
    let inside = chosen.iter().any(|v| !v.clusters.is_empty());
    if (opts.since.is_some() || opts.until.is_some()) && !inside && outside > 0 {
        let bound = |t: Option<EpochMs>| t.map_or("…".to_owned(), format_rfc3339_ms);
        notes.push(Notice {
            source: "--since/--until".into(),
            message: format!(
                "no stun between {} and {}; {outside} stun{} outside it",
                bound(opts.since),
                bound(opts.until),
                if outside == 1 { "" } else { "s" }
            ),
        });
    }
}
