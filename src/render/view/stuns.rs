//! The VMware side's sections: VMs, hosts, clusters, backup windows and
//! the longest stuns.

use super::model::{Cell, Column, Ctx, Section, dur, plural, short_source};
use crate::analyze::{Event, HostReport, KindSource, Report, VmReport, Window};
use crate::units::{human_span_ms, human_us};

pub(super) fn vms_section(vms: &[VmReport], ctx: &Ctx) -> Section {
    let mut columns = vec![];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(4));
    }
    columns.extend([
        Column::text("vm").elide_at(5),
        Column::num("stuns"),
        Column::num("p50").drop_at(6),
        Column::num("p90").drop_at(3),
        Column::num("p99").drop_at(1),
        Column::num("max"),
        Column::num("total").drop_at(2),
        Column::num("risk"),
        Column::num("failover"),
        Column::num("rec. QoS"),
    ]);
    let rows = vms
        .iter()
        .map(|v| {
            let mut row = vec![];
            if ctx.many_hosts {
                row.push(Cell::new(&*v.host));
            }
            row.extend([
                Cell::new(&*v.vm),
                Cell::new(v.events.to_string()),
                dur(v.p50_us),
                dur(v.p90_us),
                dur(v.p99_us),
                dur(v.max_us),
                dur(v.total_us),
                Cell::new(v.risk.to_string()),
                Cell::new(v.failover.to_string()),
                rec_qos(v.recommended_qos_s),
            ]);
            row
        })
        .collect();
    Section {
        id: "vms",
        title: "VMs".to_owned(),
        columns,
        rows,
        notes: vec![],
    }
}

pub(super) fn hosts_section(hosts: &[HostReport]) -> Section {
    let columns = vec![
        Column::text("host").elide_at(1),
        Column::num("VMs"),
        Column::num("stuns"),
        Column::num("max"),
        Column::num("risk"),
        Column::num("failover"),
        Column::num("rec. QoS"),
    ];
    let rows = hosts
        .iter()
        .map(|h| {
            vec![
                Cell::new(&*h.host),
                Cell::new(h.vms.to_string()),
                Cell::new(h.events.to_string()),
                dur(h.max_us),
                Cell::new(h.risk.to_string()),
                Cell::new(h.failover.to_string()),
                rec_qos(h.recommended_qos_s),
            ]
        })
        .collect();
    Section {
        id: "hosts",
        title: "Hosts".to_owned(),
        columns,
        rows,
        notes: vec![],
    }
}

pub(super) fn clusters_section(r: &Report, ctx: &Ctx) -> Section {
    let clusters = &r.clusters;
    // Beside the VMware side's quiesce, what the database did then.
    let db = !r.db.is_empty();
    let mut columns = vec![Column::num("#")];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(3));
    }
    columns.extend([
        Column::text("vm").elide_at(6),
        Column::text("kind"),
        Column::text("snapshot").elide_at(4).drop_at(5),
        Column::text("quiesce").drop_at(1),
    ]);
    if db {
        columns.push(Column::text("db freeze").drop_at(6));
    }
    columns.extend([
        Column::text("start"),
        Column::text("end").drop_at(2),
        Column::num("stuns"),
        Column::num("max"),
        Column::num("total").drop_at(1),
        Column::text("verdict"),
    ]);
    let rows = clusters
        .iter()
        .map(|c| {
            let mut row = vec![Cell::new(c.id.to_string())];
            if ctx.many_hosts {
                row.push(Cell::new(&*c.host));
            }
            row.extend([
                Cell::new(&*c.vm),
                Cell::new(c.kind.label(c.kind_source)),
                Cell::new(c.snapshot.as_deref().unwrap_or("-")),
                Cell::new(super::quiesce::quiesce_text(c)),
            ]);
            if db {
                row.push(Cell::new(super::db::freeze_text(r, c)));
            }
            row.extend([
                Cell::new(ctx.time(c.start)),
                Cell::new(ctx.time(c.end)),
                Cell::new(c.events.to_string()),
                dur(c.max_us),
                dur(c.total_us),
                Cell::verdict(c.verdict),
            ]);
            row
        })
        .collect();
    let mut notes = vec![];
    if clusters
        .iter()
        .any(|c| c.kind_source == KindSource::Heuristic)
    {
        notes.push(
            "? kind guessed from the pattern of the stuns: the source holds nothing but stun lines"
                .to_owned(),
        );
    }
    if db {
        notes.extend(super::db::freeze_text_notes(r));
    }
    Section {
        id: "clusters",
        title: "Clusters (stuns at most the --gap apart)".to_owned(),
        columns,
        rows,
        notes,
    }
}

pub(super) fn windows_section(windows: &[Window], ctx: &Ctx) -> Section {
    let mut columns = vec![];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(2));
    }
    columns.extend([
        Column::text("vm").elide_at(4),
        Column::text("snapshot").elide_at(3),
        Column::text("created"),
        Column::text("consolidated").drop_at(1),
        Column::num("lifetime"),
        Column::num("max"),
        Column::text("verdict"),
    ]);
    let rows = windows
        .iter()
        .map(|w| {
            let mut row = vec![];
            if ctx.many_hosts {
                row.push(Cell::new(&*w.host));
            }
            row.extend([
                Cell::new(&*w.vm),
                Cell::new(w.snapshot.as_deref().unwrap_or("-")),
                Cell::new(ctx.time(w.created)),
                Cell::new(ctx.time(w.consolidated)),
                Cell::new(format!(
                    "{}{}",
                    human_span_ms(w.consolidated - w.created),
                    if w.guessed { "?" } else { "" }
                )),
                dur(w.max_us),
                Cell::verdict(w.verdict),
            ]);
            row
        })
        .collect();
    let notes = if windows.iter().any(|w| w.guessed) {
        vec!["? a window of guessed kinds: the source holds nothing but stun lines".to_owned()]
    } else {
        vec![]
    };
    Section {
        id: "windows",
        title: "Backup windows (snapshot create → consolidate)".to_owned(),
        columns,
        rows,
        notes,
    }
}

pub(super) fn top_section(r: &Report, top: &[&Event], ctx: &Ctx) -> Section {
    let mut columns = vec![
        Column::num("stun"),
        Column::num("us").drop_at(1),
        Column::text("verdict"),
        Column::text("time"),
    ];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(3));
    }
    columns.extend([
        Column::text("vm").elide_at(5),
        Column::text("kind"),
        Column::num("#").drop_at(4),
        Column::text("file:line").drop_at(2),
    ]);
    // Cluster ids are 1, 2, … in order; look the id up rather than trust it.
    let source_of = |id: u64| {
        let at = usize::try_from(id).ok().and_then(|i| i.checked_sub(1));
        at.and_then(|i| r.clusters.get(i))
            .filter(|c| c.id == id)
            .or_else(|| r.clusters.iter().find(|c| c.id == id))
            .map_or(KindSource::Marker, |c| c.kind_source)
    };
    let rows = top
        .iter()
        .map(|e| {
            let mut time = ctx.time(e.time);
            if e.approx_time {
                time.push('~');
            }
            let mut row = vec![
                dur(e.stun_us),
                Cell::new(e.stun_us.to_string()),
                Cell::verdict(e.verdict),
                Cell::new(time),
            ];
            if ctx.many_hosts {
                row.push(Cell::new(&*e.host));
            }
            row.extend([
                Cell::new(&*e.vm),
                Cell::new(e.kind.label(source_of(e.cluster))),
                Cell::new(e.cluster.to_string()),
                // Host and vm already say where; the full source is in tsv/json.
                Cell::new(format!("{}:{}", short_source(&e.source), e.line)),
            ]);
            row
        })
        .collect();
    let mut notes = vec![];
    if top.iter().any(|e| e.approx_time) {
        notes.push(
            "~ year taken from the log's modification time (old log format without a year)"
                .to_owned(),
        );
    }
    let of = if r.min_us > 0 {
        format!(" of at least {}", human_us(r.min_us))
    } else {
        String::new()
    };
    Section {
        id: "top",
        title: format!(
            "Top {} stun{}{of} (longest first)",
            top.len(),
            plural(top.len() as u64)
        ),
        columns,
        rows,
        notes,
    }
}

fn rec_qos(s: Option<u64>) -> Cell {
    Cell::new(s.map_or("-".to_owned(), |s| format!("{s} s")))
}
