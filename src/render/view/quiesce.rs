//! Quiesces in the human report: a create cluster's quiesce in its row,
//! and the attempts that did not end in a clean snapshot on their own.

use super::model::{Cell, Column, Ctx, Section};
use crate::analyze::{Cluster, Quiesce, QuiesceOutcome, Report};
use crate::units::{human_span_ms, human_us};

/// A create cluster's quiesce: how long it took (`1.2 s`), how it ended
/// when not well (`timeout 15m 0s`), `yes` when it was asked for and the
/// log says no more, `no` when it was not asked for.
pub(super) fn quiesce_text(c: &Cluster) -> String {
    match (&c.quiesce, c.quiesced) {
        (Some(q), _) => quiesce_span(q),
        (None, Some(true)) => "yes".to_owned(),
        (None, Some(false)) => "no".to_owned(),
        (None, None) => "-".to_owned(),
    }
}

/// `1.2 s` for a quiesce that ended well, else its outcome and length.
fn quiesce_span(q: &Quiesce) -> String {
    let span = q.ms.map(|ms| {
        if ms < 60_000 {
            human_us(u64::try_from(ms).unwrap_or(0) * 1000)
        } else {
            human_span_ms(ms)
        }
    });
    match (q.outcome, span) {
        (QuiesceOutcome::Done, Some(span)) => span,
        (outcome, Some(span)) => format!("{} {span}", outcome.as_str()),
        (outcome, None) => outcome.as_str().to_owned(),
    }
}

/// Whether a quiesce is worth a line of its own: it failed, timed out, is
/// still open, was followed by no snapshot stun, or the snapshot was taken
/// again without quiescing. (A clean one shows in its cluster's row.)
fn notable(q: &Quiesce) -> bool {
    q.outcome != QuiesceOutcome::Done || q.cluster.is_none() || q.fell_back_at.is_some()
}

/// The quiesce attempts that did not end in a clean snapshot, with the
/// cluster whose stun followed: a quiesce that failed before any stun is
/// what a DBA asks about. None when every quiesce was clean.
pub(super) fn quiesces_section(r: &Report, ctx: &Ctx) -> Option<Section> {
    let quiesces: Vec<&Quiesce> = r.quiesces.iter().filter(|q| notable(q)).collect();
    if quiesces.is_empty() {
        return None;
    }
    let mut columns = vec![];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(2));
    }
    columns.extend([
        Column::text("vm").elide_at(4),
        Column::text("snapshot").elide_at(3).drop_at(3),
        Column::text("start"),
        Column::text("end").drop_at(1),
        Column::text("quiesce"),
        Column::text("cluster"),
    ]);
    let rows = quiesces
        .iter()
        .map(|q| {
            let mut row = vec![];
            if ctx.many_hosts {
                row.push(Cell::new(&*q.host));
            }
            row.extend([
                Cell::new(&*q.vm),
                Cell::new(q.snapshot.as_deref().unwrap_or("-")),
                Cell::new(ctx.time(q.start)),
                Cell::new(q.end.map_or_else(|| "-".to_owned(), |e| ctx.time(e))),
                Cell::new(quiesce_span(q)),
                Cell::new(
                    q.cluster
                        .map_or_else(|| "none".to_owned(), |id| format!("#{id}")),
                ),
            ]);
            row
        })
        .collect();
    let notes = quiesces
        .iter()
        .filter_map(|q| crate::analyze::quiesce_note(q))
        .collect();
    Some(Section {
        id: "quiesces",
        title: "Quiesces that did not end in a clean snapshot".to_owned(),
        columns,
        rows,
        notes,
    })
}
