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
pub mod db;
mod quiesce;
mod report;
mod stats;
mod vms;
mod windows;

use globset::GlobMatcher;
use rayon::prelude::*;

pub use report::{
    Cluster, Event, Evidence, HostReport, Kind, KindSource, Quiesce, QuiesceOutcome, Report,
    Summary, VmReport, Window,
};

use crate::escape::{Name, Part};
use crate::input::{Collected, LogFile, Notice};
use crate::qos::Qos;
use crate::time::EpochMs;
use crate::vmlog::scan::RecordKind;
use crate::zone::format_rfc3339_ms;

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
enum Stage {
    Done(VmOut),
    /// Waits for the other folders of its name.
    Later,
    /// Not chosen by `--vm`.
    Skipped,
}

/// One VM, analysed, before its clusters are numbered. Its events are kept
/// compact ([`Ev`], 40 bytes) until the report lays them out as [`Event`]s
/// (72 bytes) in their final order: the two coexist while the report is
/// assembled, so the smaller the first, the lower the peak.
struct VmOut {
    host: Name,
    vm: Name,
    dir: Part,
    product: Option<Name>,
    /// The source and host of each of its logs that holds a reported stun.
    logs: Vec<(Name, Name)>,
    /// Reported clusters, in time order.
    clusters: Vec<ClusterOut>,
    /// The reported events, cluster after cluster.
    events: Vec<Ev>,
    /// Quiesce attempts begun in scope, with the source of their log.
    quiesces: Vec<(quiesce::QuiesceDraft, Name)>,
    /// Stuns outside `--since`/`--until`.
    out_of_scope: u64,
}

/// A reported cluster before it is numbered: what its events do not say.
struct ClusterOut {
    /// Its index among the VM's drafts (quiesces point there).
    draft: usize,
    evidence: Option<Evidence>,
    snapshot: Option<Name>,
    /// Its events in [`VmOut::events`].
    events: u32,
    kind: Kind,
    source: KindSource,
    quiesced: Option<bool>,
}

/// A reported stun, before it is an [`Event`].
struct Ev {
    time: EpochMs,
    line: u64,
    us: u64,
    text: Name,
    /// Index into [`VmOut::logs`].
    log: u32,
    approx: bool,
}

pub fn analyze(collected: Collected, opts: &Options) -> Report {
    let Collected {
        mut logs,
        vmx_names,
        errors,
        mut notes,
        inputs,
        ..
    } = collected;
    let ranges = vms::assemble(&mut logs);
    let mut groups: Vec<&mut [LogFile]> = Vec::with_capacity(ranges.len());
    let mut rest: &mut [LogFile] = &mut logs;
    for r in &ranges {
        let (group, tail) = std::mem::take(&mut rest).split_at_mut(r.len());
        groups.push(group);
        rest = tail;
    }
    drop(ranges);
    let chooses = |vm: &vms::Vm| {
        opts.vm.is_empty()
            || opts
                .vm
                .iter()
                .any(|m| m.is_match(&*vm.vm) || vm.dir_names().any(|d| m.is_match(d)))
    };
    // VMs are analysed as soon as they are built, and their records freed,
    // so that only their events stay in memory; those outside a datastore
    // that carry a displayName wait, as another folder may hold copies of
    // their stuns.
    let built: Vec<(Stage, Name, Vec<Notice>)> = groups
        .par_iter_mut()
        .map(|logs| {
            let mut notes = Vec::new();
            let vm = vms::build(logs, &vmx_names, &mut notes);
            let name = vm.vm.clone();
            let stage = if vm.named && !vm.on_datastore {
                Stage::Later
            } else if chooses(&vm) {
                Stage::Done(analyse_vm(vm, opts))
            } else {
                Stage::Skipped
            };
            if !matches!(stage, Stage::Later) {
                for l in logs.iter_mut() {
                    l.entries = Vec::new();
                }
            }
            (stage, name, notes)
        })
        .collect();
    let mut seen = Vec::with_capacity(built.len());
    let mut later = Vec::new();
    // Collected in place: the analysed VMs take the room of `built`.
    let mut chosen: Vec<VmOut> = built
        .into_iter()
        .enumerate()
        .filter_map(|(i, (stage, name, n))| {
            seen.push(name);
            notes.extend(n);
            match stage {
                Stage::Done(v) => Some(v),
                Stage::Later => {
                    later.push(i);
                    None
                }
                Stage::Skipped => None,
            }
        })
        .collect();
    // Built again (their notes were taken the first time).
    let mut later: Vec<vms::Vm> = later
        .into_iter()
        .map(|i| vms::build(&*groups[i], &vmx_names, &mut Vec::new()))
        .collect();
    vms::drop_copies_across(&mut later, &mut notes);
    chosen.extend(
        later
            .into_par_iter()
            .filter(|vm| chooses(vm))
            .map(|vm| analyse_vm(vm, opts))
            .collect::<Vec<_>>(),
    );
    // The events hold what they need of the logs (shared names).
    drop(groups);
    drop(logs);
    note_filters(opts, &seen, &chosen, &mut notes);
    drop(seen);
    chosen.sort_by(|a, b| (&a.host, &a.vm, &a.dir).cmp(&(&b.host, &b.vm, &b.dir)));
    let skipped = inputs.iter().map(|i| i.skipped_stun_lines).sum();
    assemble_report(chosen, opts, inputs, errors, notes, skipped)
}

/// Clusters one VM's timeline and keeps the events in scope.
fn analyse_vm(vm: vms::Vm<'_>, opts: &Options) -> VmOut {
    let stun_only: Vec<bool> = vm.logs.iter().map(|l| l.stun_only).collect();
    let drafts = clusters::clusters(&vm.timeline, &stun_only, opts.gap_ms);
    let in_scope = drafts
        .iter()
        .flat_map(|d| &d.stuns)
        .filter(|&&i| opts.in_scope(vm.timeline[i].time))
        .count();
    let mut out_of_scope = 0;
    let mut events = Vec::with_capacity(in_scope);
    let mut clusters = Vec::with_capacity(drafts.len());
    // Index in `logs` of each log of the VM, once it holds a reported stun.
    let mut log_at: Vec<u32> = vec![u32::MAX; vm.logs.len()];
    let mut logs = Vec::new();
    let quiesces = quiesce::quiesces(&vm.timeline, &drafts, opts.gap_ms)
        .into_iter()
        .filter(|q| opts.in_scope(q.start))
        .map(|q| {
            let source = vm.log(&vm.timeline[q.item]).source.clone();
            (q, source)
        })
        .collect();
    for (draft, d) in drafts.into_iter().enumerate() {
        let before = events.len();
        for &i in &d.stuns {
            let item = &vm.timeline[i];
            let RecordKind::Stun { us, text } = item.kind else {
                continue;
            };
            if !opts.in_scope(item.time) {
                out_of_scope += 1;
                continue;
            }
            let at = &mut log_at[item.log as usize];
            if *at == u32::MAX {
                *at = logs.len() as u32;
                let host = vm.hosts[item.log as usize].clone();
                logs.push((vm.log(item).source.clone(), host));
            }
            events.push(Ev {
                time: item.time,
                line: item.line,
                us: *us,
                text: text.clone(),
                log: *at,
                approx: item.approx,
            });
        }
        if events.len() > before {
            let evidence = d.evidence.map(|i| {
                let item = &vm.timeline[i];
                Evidence {
                    source: vm.log(item).source.clone(),
                    line: item.line,
                    text: match item.kind {
                        RecordKind::Op(op) => op.text.clone(),
                        RecordKind::Context(text) => text.clone(),
                        _ => Name::new(),
                    },
                }
            });
            clusters.push(ClusterOut {
                draft,
                evidence,
                snapshot: d.snapshot,
                events: (events.len() - before) as u32,
                kind: d.kind,
                source: d.source,
                quiesced: d.quiesced,
            });
        }
    }
    clusters.shrink_to_fit();
    logs.shrink_to_fit();
    VmOut {
        host: vm.host,
        vm: vm.vm,
        dir: vm.dir,
        product: vm.product,
        logs,
        clusters,
        events,
        quiesces,
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
        vms: Vec::with_capacity(vms.len()),
        clusters: Vec::with_capacity(vms.iter().map(|v| v.clusters.len()).sum()),
        windows: Vec::new(),
        quiesces: Vec::new(),
        events: Vec::with_capacity(vms.iter().map(|v| v.events.len()).sum()),
        summary: stats::summary(&[], &[], 0),
        min_us: opts.min_us,
        db: Default::default(),
        db_alone: false,
    };
    for v in vms {
        let first = report.clusters.len();
        let first_event = report.events.len();
        let mut evs = v.events.into_iter();
        let drafts_of: Vec<usize> = v.clusters.iter().map(|c| c.draft).collect();
        for c in v.clusters {
            let id = report.clusters.len() as u64 + 1;
            let at = report.events.len();
            report
                .events
                .extend(evs.by_ref().take(c.events as usize).map(|e| {
                    let (source, host) = &v.logs[e.log as usize];
                    Event {
                        time: e.time,
                        approx_time: e.approx,
                        stun_us: e.us,
                        verdict: opts.qos.verdict(e.us),
                        host: host.clone(),
                        vm: v.vm.clone(),
                        cluster: id,
                        kind: c.kind,
                        source: source.clone(),
                        line: e.line,
                        text: e.text,
                    }
                }));
            let events = &report.events[at..];
            report.clusters.push(cluster(id, &c, events, opts));
        }
        let ws = windows::windows(&report.clusters[first..], &opts.qos);
        report.windows.extend(ws);
        attach_quiesces(&mut report, first, &drafts_of, &v.host, &v.vm, v.quiesces);
        let events = &report.events[first_event..];
        report
            .vms
            .push(stats::vm_report(&v.host, &v.vm, &v.dir, v.product, events));
    }
    report.hosts = stats::host_reports(&report.vms);
    report.summary = stats::summary(&report.vms, &report.events, skipped);
    report
}

/// A numbered cluster from its (non-empty) events.
fn cluster(id: u64, c: &ClusterOut, events: &[Event], opts: &Options) -> Cluster {
    let max_us = events.iter().map(|e| e.stun_us).max().unwrap_or(0);
    let (snapshot, quiesced) = match c.kind {
        Kind::Create => (c.snapshot.clone(), c.quiesced),
        _ => (None, None),
    };
    let (first, last) = (events.first(), events.last());
    Cluster {
        id,
        host: first.map_or_else(|| arcstr::literal!("-"), |e| e.host.clone()),
        vm: first.map_or_else(Name::new, |e| e.vm.clone()),
        kind: c.kind,
        kind_source: c.source,
        evidence: c.evidence.clone(),
        snapshot,
        quiesced,
        quiesce: None,
        start: first.map_or(0, |e| e.time),
        end: last.map_or(0, |e| e.time),
        events: events.len() as u64,
        max_us,
        total_us: events.iter().fold(0u64, |a, e| a.saturating_add(e.stun_us)),
        verdict: opts.qos.verdict(max_us),
    }
}

/// Numbers one VM's quiesces (its clusters are `report.clusters[first..]`,
/// from the drafts `drafts_of`), gives each create cluster its quiesce and
/// notes every quiesce that failed, timed out or fell back to a plain
/// snapshot.
fn attach_quiesces(
    report: &mut Report,
    first: usize,
    drafts_of: &[usize],
    host: &Name,
    vm: &Name,
    quiesces: Vec<(quiesce::QuiesceDraft, Name)>,
) {
    for (q, source) in quiesces {
        let at = q
            .draft
            .and_then(|d| drafts_of.iter().position(|&x| x == d))
            .map(|i| first + i);
        let out = Quiesce {
            host: host.clone(),
            vm: vm.clone(),
            snapshot: q.snapshot,
            start: q.start,
            end: q.end,
            ms: q.end.map(|e| e - q.start),
            outcome: q.outcome,
            cluster: at.map(|i| report.clusters[i].id),
            fell_back_at: q.fell_back_at,
        };
        if let Some(note) = quiesce_note(&out) {
            report.notes.push(Notice {
                source: source.to_string(),
                message: note,
            });
        }
        if let Some(i) = at {
            report.clusters[i].quiesce = Some(Box::new(out.clone()));
        }
        report.quiesces.push(out);
    }
}

/// What a user must know about a quiesce that did not end well.
pub fn quiesce_note(q: &Quiesce) -> Option<String> {
    let what = match q.outcome {
        QuiesceOutcome::Timeout => "timed out",
        QuiesceOutcome::Error => "failed",
        _ if q.fell_back_at.is_some() => "failed",
        _ => return None,
    };
    let snapshot = q
        .snapshot
        .as_ref()
        .map_or(String::new(), |s| format!(" for snapshot '{s}'"));
    let span = q.ms.map_or(String::new(), |ms| {
        format!(" after {}", crate::units::human_span_ms(ms))
    });
    let then = match (q.fell_back_at, q.cluster) {
        (Some(t), _) => format!(
            "; the snapshot was taken again without quiescing at {}",
            format_rfc3339_ms(t)
        ),
        (None, Some(id)) => format!("; cluster #{id} followed"),
        (None, None) => "; no snapshot stun followed".to_owned(),
    };
    Some(format!(
        "VM {}: quiescing{snapshot} {what}{span} (began {}){then}",
        q.vm,
        format_rfc3339_ms(q.start)
    ))
}

/// Notes for filters that chose nothing: a `--vm` that matched no VM
/// (listing those seen), a time window that held no stun.
fn note_filters(opts: &Options, seen: &[Name], chosen: &[VmOut], notes: &mut Vec<Notice>) {
    if !opts.vm.is_empty() && chosen.is_empty() && !seen.is_empty() {
        let mut names: Vec<&str> = seen.iter().map(|n| n.as_str()).collect();
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
