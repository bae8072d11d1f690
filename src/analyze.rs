//! From logs to VMs, clusters, backup windows and statistics (SPEC 2 and 5).
//!
//! A VM is one VM directory. Its logs (rotated files, grep shares) are
//! merged into one timeline sorted by time; stuns are grouped into clusters
//! — maximal runs at most `gap` apart with no operation marker of another
//! kind between them — and each cluster gets a kind from the marker before
//! it, or from the create-then-consolidate heuristic when the input held
//! only the stun lines.

use std::collections::BTreeMap;

use globset::GlobMatcher;
use hdrhistogram::Histogram;
use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::input::{Collected, InputError, InputSummary, LogFile};
use crate::qos::{self, Qos, Verdict};
use crate::scan::{Op, RecordKind};
use crate::time::{EpochMs, format_rfc3339_ms};

/// A create cluster followed within this long by an unmarked cluster makes
/// that cluster its consolidate.
const HEURISTIC_PAIR_MS: i64 = 24 * 3600 * 1000;

/// A host, VM or source name: shared by every event, cluster and window
/// that carries it instead of copied into each.
pub type Name = std::sync::Arc<str>;

/// What to analyse.
#[derive(Debug, Clone)]
pub struct Options {
    pub qos: Qos,
    pub gap_ms: i64,
    pub vm: Option<GlobMatcher>,
    pub since: Option<EpochMs>,
    pub until: Option<EpochMs>,
    /// Listing threshold (statistics still use every event).
    pub min_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Create,
    Consolidate,
    Vmotion,
    Unknown,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Consolidate => "consolidate",
            Kind::Vmotion => "vmotion",
            Kind::Unknown => "unknown",
        }
    }

    fn of(op: &Op) -> Kind {
        match op {
            Op::Create { .. } => Kind::Create,
            Op::Consolidate => Kind::Consolidate,
            Op::Migrate => Kind::Vmotion,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KindSource {
    Marker,
    Heuristic,
}

fn ser_time<S: Serializer>(ms: &EpochMs, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_rfc3339_ms(*ms))
}

#[derive(Debug, Clone, Serialize)]
pub struct VmReport {
    pub host: Name,
    pub vm: Name,
    pub dir: String,
    pub events: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub total_us: u64,
    pub risk: u64,
    pub failover: u64,
    /// None when the VM had no stun.
    pub recommended_qos_s: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub id: u64,
    pub host: Name,
    pub vm: Name,
    pub kind: Kind,
    pub kind_source: KindSource,
    pub snapshot: Option<String>,
    pub quiesced: Option<bool>,
    #[serde(serialize_with = "ser_time")]
    pub start: EpochMs,
    #[serde(serialize_with = "ser_time")]
    pub end: EpochMs,
    pub events: u64,
    pub max_us: u64,
    pub total_us: u64,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub host: Name,
    pub vm: Name,
    pub snapshot: Option<String>,
    pub create_cluster: u64,
    pub consolidate_cluster: u64,
    #[serde(serialize_with = "ser_time")]
    pub created: EpochMs,
    #[serde(serialize_with = "ser_time")]
    pub consolidated: EpochMs,
    pub lifetime_s: f64,
    pub max_us: u64,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(serialize_with = "ser_time")]
    pub time: EpochMs,
    pub approx_time: bool,
    pub stun_us: u64,
    pub verdict: Verdict,
    pub host: Name,
    pub vm: Name,
    pub cluster: u64,
    pub kind: Kind,
    pub source: Name,
    pub line: u64,
    /// The original line, escaped (for the `raw` format).
    #[serde(skip)]
    pub text: Name,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub events: u64,
    pub vms: u64,
    pub max_us: u64,
    pub risk: u64,
    pub failover: u64,
    pub recommended_qos_s: Option<u64>,
}

/// The whole analysis, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    pub qos: Qos,
    pub inputs: Vec<InputSummary>,
    pub errors: Vec<InputError>,
    pub vms: Vec<VmReport>,
    pub clusters: Vec<Cluster>,
    pub windows: Vec<Window>,
    /// Every event in scope, in VM then time order.
    pub events: Vec<Event>,
    pub summary: Summary,
    pub min_us: u64,
}

impl Report {
    /// The events to list (`--min` applied).
    pub fn listed(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(move |e| e.stun_us >= self.min_us)
    }

    /// The highest verdict of any event in scope.
    pub fn worst(&self) -> Option<Verdict> {
        self.events.iter().map(|e| e.verdict).max()
    }
}

/// One item of a VM's timeline.
struct Item<'a> {
    time: EpochMs,
    order: (std::cmp::Reverse<u32>, u64),
    approx: bool,
    log: &'a LogFile,
    line: u64,
    kind: &'a RecordKind,
}

struct Building {
    marker: Option<(Kind, Option<String>, Option<bool>)>,
    events: Vec<usize>,
    start: EpochMs,
    end: EpochMs,
}

pub fn analyze(collected: Collected, opts: &Options) -> Report {
    let Collected {
        logs,
        vmx_names,
        errors,
        inputs,
    } = collected;
    let mut by_dir: BTreeMap<&str, Vec<&LogFile>> = BTreeMap::new();
    for l in &logs {
        by_dir.entry(l.dir.as_str()).or_default().push(l);
    }

    struct VmBuild {
        host: Name,
        vm: Name,
        dir: String,
        events: Vec<Event>,
        clusters: Vec<(Building, Kind, KindSource)>,
        stats: VmReport,
    }
    // VMs are independent: build them on the rayon pool.
    let by_dir: Vec<(&str, Vec<&LogFile>)> = by_dir.into_iter().collect();
    let build = |(dir, files): &(&str, Vec<&LogFile>)| -> Option<VmBuild> {
        let dir: &str = dir;
        let mut items: Vec<Item> = files
            .iter()
            .flat_map(|l| {
                l.entries.iter().map(move |e| Item {
                    time: e.time_ms,
                    order: (std::cmp::Reverse(l.rank), e.line_no),
                    approx: e.approx,
                    log: l,
                    line: e.line_no,
                    kind: &e.kind,
                })
            })
            .collect();
        items.sort_by_key(|i| (i.time, i.order));

        let mut name = None;
        let mut hostname = None;
        for i in &items {
            match i.kind {
                RecordKind::DisplayName(n) => name = Some(n.clone()),
                RecordKind::Hostname(h) => hostname = Some(h.clone()),
                _ => {}
            }
        }
        let first = files[0];
        let vm = name
            .or_else(|| vmx_names.get(dir).cloned())
            .or_else(|| first.dir_name.clone())
            .unwrap_or_else(|| first.source.to_string());
        if let Some(m) = &opts.vm
            && !m.is_match(&vm)
        {
            return None;
        }
        let vm: Name = vm.into();
        let host: Name = hostname
            .or_else(|| files.iter().find_map(|l| l.bundle_host.clone()))
            .unwrap_or_else(|| "-".to_owned())
            .into();

        let in_scope =
            |t: EpochMs| opts.since.is_none_or(|s| t >= s) && opts.until.is_none_or(|u| t <= u);
        let mut events: Vec<Event> = Vec::new();
        let mut clusters: Vec<Building> = Vec::new();
        let mut cur: Option<Building> = None;
        // The latest operation marker since the last stun, and the kinds of
        // all markers seen since then.
        let mut latest: Option<(Kind, Option<String>, Option<bool>)> = None;
        let mut kinds_since: Vec<Kind> = Vec::new();
        for i in &items {
            match i.kind {
                RecordKind::Op(op) => {
                    let k = Kind::of(op);
                    // A "Done with snapshot 'x'" after a create cluster's
                    // stun names that cluster's snapshot.
                    if let (
                        Some(c),
                        Op::Create {
                            snapshot: Some(s), ..
                        },
                    ) = (cur.as_mut(), op)
                        && let Some((Kind::Create, snap @ None, _)) = c.marker.as_mut()
                    {
                        *snap = Some(s.clone());
                    }
                    let (snapshot, quiesced) = match op {
                        Op::Create { snapshot, quiesced } => (snapshot.clone(), *quiesced),
                        _ => (None, None),
                    };
                    latest = Some((k, snapshot, quiesced));
                    kinds_since.push(k);
                }
                RecordKind::Stun { us, text } if in_scope(i.time) => {
                    let joins = cur.as_ref().is_some_and(|c| {
                        let marker = c.marker.as_ref().map(|m| m.0);
                        i.time - c.end <= opts.gap_ms
                            && kinds_since.iter().all(|k| Some(*k) == marker)
                    });
                    if !joins {
                        clusters.extend(cur.take());
                        cur = Some(Building {
                            marker: latest.take(),
                            events: Vec::new(),
                            start: i.time,
                            end: i.time,
                        });
                    }
                    let c = cur.as_mut().expect("a cluster is open");
                    c.events.push(events.len());
                    c.end = i.time;
                    latest = None;
                    kinds_since.clear();
                    events.push(Event {
                        time: i.time,
                        approx_time: i.approx,
                        stun_us: *us,
                        verdict: opts.qos.verdict(*us),
                        host: host.clone(),
                        vm: vm.clone(),
                        cluster: 0,
                        kind: Kind::Unknown,
                        source: i.log.source.clone(),
                        line: i.line,
                        text: text.clone(),
                    });
                }
                _ => {}
            }
        }
        clusters.extend(cur);

        // Kinds: the marker, else the heuristic.
        let mut kinded: Vec<(Building, Kind, KindSource)> = Vec::with_capacity(clusters.len());
        for c in clusters {
            let (kind, source) = match &c.marker {
                Some((k, ..)) => (*k, KindSource::Marker),
                None => {
                    let after_create = kinded.last().is_some_and(|(p, k, _)| {
                        *k == Kind::Create && c.start - p.end <= HEURISTIC_PAIR_MS
                    });
                    let kind = if after_create {
                        Kind::Consolidate
                    } else if c.events.len() == 1 {
                        Kind::Create
                    } else {
                        Kind::Unknown
                    };
                    (kind, KindSource::Heuristic)
                }
            };
            kinded.push((c, kind, source));
        }
        let stats = vm_stats(&host, &vm, dir, &events, &opts.qos);
        Some(VmBuild {
            host,
            vm,
            dir: dir.to_owned(),
            events,
            clusters: kinded,
            stats,
        })
    };
    let mut vms: Vec<VmBuild> = by_dir.par_iter().filter_map(build).collect();

    vms.sort_by(|a, b| (&a.host, &a.vm, &a.dir).cmp(&(&b.host, &b.vm, &b.dir)));

    let mut report = Report {
        qos: opts.qos.clone(),
        inputs,
        errors,
        vms: Vec::new(),
        clusters: Vec::new(),
        windows: Vec::new(),
        events: Vec::new(),
        summary: Summary {
            events: 0,
            vms: 0,
            max_us: 0,
            risk: 0,
            failover: 0,
            recommended_qos_s: None,
        },
        min_us: opts.min_us,
    };
    let mut next_id = 1u64;
    for mut v in vms {
        let first_id = next_id;
        for (c, kind, kind_source) in &v.clusters {
            let id = next_id;
            next_id += 1;
            let mut max_us = 0u64;
            let mut total_us = 0u64;
            for &e in &c.events {
                let ev = &mut v.events[e];
                ev.cluster = id;
                ev.kind = *kind;
                max_us = max_us.max(ev.stun_us);
                total_us = total_us.saturating_add(ev.stun_us);
            }
            let (snapshot, quiesced) = match (&c.marker, kind) {
                (Some((_, s, q)), Kind::Create) => (s.clone(), *q),
                _ => (None, None),
            };
            report.clusters.push(Cluster {
                id,
                host: v.host.clone(),
                vm: v.vm.clone(),
                kind: *kind,
                kind_source: *kind_source,
                snapshot,
                quiesced,
                start: c.start,
                end: c.end,
                events: c.events.len() as u64,
                max_us,
                total_us,
                verdict: opts.qos.verdict(max_us),
            });
        }
        // Backup windows: a create cluster followed by a consolidate cluster.
        let mine = &report.clusters[(first_id - 1) as usize..];
        let windows: Vec<Window> = mine
            .windows(2)
            .filter(|p| p[0].kind == Kind::Create && p[1].kind == Kind::Consolidate)
            .map(|p| {
                let max_us = p[0].max_us.max(p[1].max_us);
                Window {
                    host: v.host.clone(),
                    vm: v.vm.clone(),
                    snapshot: p[0].snapshot.clone(),
                    create_cluster: p[0].id,
                    consolidate_cluster: p[1].id,
                    created: p[0].start,
                    consolidated: p[1].start,
                    lifetime_s: (p[1].start - p[0].start) as f64 / 1000.0,
                    max_us,
                    verdict: opts.qos.verdict(max_us),
                }
            })
            .collect();
        report.windows.extend(windows);

        report.vms.push(v.stats);
        report.events.append(&mut v.events);
    }

    let s = &mut report.summary;
    s.vms = report.vms.len() as u64;
    s.events = report.events.len() as u64;
    s.max_us = report.events.iter().map(|e| e.stun_us).max().unwrap_or(0);
    s.risk = report.vms.iter().map(|v| v.risk).sum();
    s.failover = report.vms.iter().map(|v| v.failover).sum();
    s.recommended_qos_s = (s.events > 0).then(|| qos::recommended_qos_s(s.max_us));
    report
}

fn vm_stats(host: &Name, vm: &Name, dir: &str, events: &[Event], q: &Qos) -> VmReport {
    let mut max_us = 0u64;
    let mut min_us = u64::MAX;
    let mut total_us = 0u64;
    let (mut risk, mut failover) = (0, 0);
    for e in events {
        max_us = max_us.max(e.stun_us);
        min_us = min_us.min(e.stun_us);
        total_us = total_us.saturating_add(e.stun_us);
        match q.verdict(e.stun_us) {
            Verdict::Risk => risk += 1,
            Verdict::Failover => failover += 1,
            Verdict::Ok => {}
        }
    }
    // Three significant figures: percentiles within 0.1 %; max and total are
    // kept exactly beside it. The histogram spans only this VM's range: an
    // auto-sized one would allocate and clear ~200 KB per VM.
    // Units fine enough for 3 significant figures at the smallest value.
    let low = (min_us / 2048).clamp(1, u64::MAX / 4);
    let high = max_us.max(low.saturating_mul(2)).min(u64::MAX / 2);
    let mut h = Histogram::<u32>::new_with_bounds(low, high, 3)
        .or_else(|_| Histogram::<u32>::new(3))
        .expect("3 significant figures is valid");
    for e in events {
        h.saturating_record(e.stun_us);
    }
    let pct = |p: f64| {
        if events.is_empty() {
            0
        } else {
            h.value_at_quantile(p).min(max_us)
        }
    };
    VmReport {
        host: host.clone(),
        vm: vm.clone(),
        dir: dir.to_owned(),
        events: events.len() as u64,
        p50_us: pct(0.50),
        p90_us: pct(0.90),
        p99_us: pct(0.99),
        max_us,
        total_us,
        risk,
        failover,
        recommended_qos_s: (!events.is_empty()).then(|| qos::recommended_qos_s(max_us)),
    }
}
