//! The database's part of the human report: the "Database events" and
//! "Freeze windows" sections, the times they show, and the sentence the
//! verdict line ends with.

use super::model::{Cell, Column, Ctx, Section, TimeForm, VerdictLine, dur, plural};
use crate::analyze::db::{DbReport, Freeze, FreezeOutcome};
use crate::analyze::{Cluster, Report};
use crate::dblog::DbKind;
use crate::time::EpochMs;
use crate::units::{human_span_ms, human_us};
use crate::zone::{Zone, format_rfc3339_ms};

/// A lag for people: `4.549 s`, truncated like every duration shown.
fn lag(ms: i64) -> String {
    human_us(u64::try_from(ms).unwrap_or(0).saturating_mul(1000))
}

/// The sentence the verdict line ends with when a database log shows a
/// takeover: which stun explains it, or that none does.
pub(super) fn verdict_sentence(db: &DbReport) -> Option<String> {
    let (e, x) = db.headline()?;
    let n = db
        .correlated()
        .filter(|(e, _)| e.kind == DbKind::Takeover)
        .count();
    let at = format!("{} took over at {}", e.member, format_rfc3339_ms(e.time_ms));
    let mut s = match x {
        Some(x) => format!(
            " The mirror failed over: {at}, {} after a {} {} stun on {} ({}) began",
            lag(x.lag_ms),
            human_us(x.stun_us),
            x.verdict,
            x.vm,
            x.host
        ),
        None => format!(
            " The mirror failed over: {at}, and no stun explains it: look at the network, the host or the database"
        ),
    };
    if n > 1 {
        s.push_str(&format!("; {n} takeovers in all, see Database events"));
    }
    s.push('.');
    Some(s)
}

/// Every database time the human report shows, for its time form.
pub(super) fn shown_times(db: &DbReport, all: bool) -> impl Iterator<Item = EpochMs> + '_ {
    db.listed(all).map(|(e, _)| e.time_ms).chain(
        db.freezes
            .iter()
            .flat_map(|f| std::iter::once(f.window.start_ms).chain(f.window.end_ms)),
    )
}

/// The human report's database sections: takeovers and mirror events with
/// the stuns that explain them, then the freeze windows with the snapshots
/// inside and outside them. None without database logs.
pub(super) fn sections(r: &Report, ctx: &Ctx) -> Vec<Section> {
    let db = &r.db;
    if db.is_empty() {
        return vec![];
    }
    let alone = r.db_only();
    let mut out = vec![if alone {
        record_section(db, ctx)
    } else {
        events_section(db, ctx)
    }];
    if !db.freezes.is_empty() {
        out.push(freezes_section(r, ctx, alone));
    }
    out
}

/// The title of the database's record alone: what it holds and from how
/// many logs, and the time form.
pub(super) fn title(r: &Report, zone: &Zone, form: TimeForm) -> String {
    let db = &r.db;
    let takeovers = db
        .events
        .iter()
        .filter(|e| e.kind == DbKind::Takeover)
        .count() as u64;
    let freezes = db.freezes.len() as u64;
    format!(
        "Database record — {takeovers} takeover{}, {freezes} freeze{} in {} log{} · times {}{}",
        plural(takeovers),
        plural(freezes),
        db.logs,
        plural(db.logs as u64),
        zone.name(),
        form.context()
    )
}

/// The closing line of the database's record alone: no stun can be
/// linked, so it says what happened and what to give for the rest.
pub(super) fn db_only_verdict(db: &DbReport) -> VerdictLine {
    let takeovers: Vec<_> = db
        .events
        .iter()
        .filter(|e| e.kind == DbKind::Takeover)
        .collect();
    let count = |o| db.freezes.iter().filter(|f| f.window.outcome == o).count();
    let (open, restored) = (count(FreezeOutcome::Open), count(FreezeOutcome::Restored));
    let failed = db.events.iter().filter(|e| e.kind.is_failure()).count();
    let mut text = match takeovers.as_slice() {
        [] => "no takeover in the database's logs.".to_owned(),
        [e] => format!(
            "{} took over at {}.",
            e.member,
            format_rfc3339_ms(e.time_ms)
        ),
        [e, ..] => format!(
            "{} takeovers; the first: {} at {}.",
            takeovers.len(),
            e.member,
            format_rfc3339_ms(e.time_ms)
        ),
    };
    if open > 0 {
        text.push_str(&format!(
            " {open} freeze{} with no thaw.",
            plural(open as u64)
        ));
    }
    if restored > 0 {
        text.push_str(&format!(
            " {restored} freeze{} restored from a backup taken while frozen.",
            plural(restored as u64)
        ));
    }
    if failed > 0 {
        text.push_str(&format!(
            " {failed} freeze or thaw failure{}.",
            plural(failed as u64)
        ));
    }
    text.push_str(" No VM logs were given, so no stun is linked to these events.");
    VerdictLine {
        level: None,
        head: "Database record".to_owned(),
        text,
    }
}

/// The database's events alone, with no stun to link: every event but
/// the freezes and thaws (in the freeze windows).
fn record_section(db: &DbReport, ctx: &Ctx) -> Section {
    let columns = vec![
        Column::text("time"),
        // The message says most: the member's name gives way first.
        Column::text("member").elide_at(1),
        Column::text("kind"),
        Column::text("message").elide_at(2),
    ];
    let rows: Vec<Vec<Cell>> = db
        .listed(true)
        .map(|(e, _)| {
            vec![
                Cell::new(ctx.time(e.time_ms)),
                Cell::new(&e.member),
                Cell::new(e.kind.as_str()),
                Cell::new(&e.text),
            ]
        })
        .collect();
    let notes = if rows.is_empty() {
        vec!["no mirror event".to_owned()]
    } else {
        vec![]
    };
    Section {
        id: "database",
        title: format!(
            "Database events ({} log{})",
            db.logs,
            plural(db.logs as u64)
        ),
        columns,
        rows,
        notes,
    }
}

fn events_section(db: &DbReport, ctx: &Ctx) -> Section {
    let columns = vec![
        Column::text("time"),
        Column::text("member").elide_at(4),
        Column::text("kind"),
        Column::text("explained by").elide_at(5),
        Column::num("stun"),
        Column::text("verdict").drop_at(3),
        Column::num("lag"),
        Column::text("host").drop_at(2),
        Column::text("message").elide_at(1).drop_at(2),
    ];
    let rows: Vec<Vec<Cell>> = db
        .listed(false)
        .map(|(e, x)| {
            let (by, stun, verdict, lag_cell, host) = match x {
                _ if !e.kind.is_correlated() => (
                    Cell::new("-"),
                    Cell::new("-"),
                    Cell::new("-"),
                    Cell::new("-"),
                    Cell::new("-"),
                ),
                Some(x) => (
                    Cell::new(&x.vm),
                    dur(x.stun_us),
                    Cell::verdict(x.verdict),
                    Cell::new(lag(x.lag_ms)),
                    Cell::new(&x.host),
                ),
                None => (
                    Cell::new("no stun explains it"),
                    Cell::new("-"),
                    Cell::new("-"),
                    Cell::new("-"),
                    Cell::new("-"),
                ),
            };
            vec![
                Cell::new(ctx.time(e.time_ms)),
                Cell::new(&e.member),
                Cell::new(e.kind.as_str()),
                by,
                stun,
                verdict,
                lag_cell,
                host,
                Cell::new(&e.text),
            ]
        })
        .collect();
    let mut notes = vec![];
    if rows.is_empty() {
        notes.push("no takeover or mirror event".to_owned());
    } else {
        notes.push(
            "lag: from the start of the stun's pause to the event; a stun explains an event when it could fail over the mirror and its pause began at most 2 × Q + 60 s before"
                .to_owned(),
        );
    }
    Section {
        id: "database",
        title: format!(
            "Database events ({} log{})",
            db.logs,
            if db.logs == 1 { "" } else { "s" }
        ),
        columns,
        rows,
        notes,
    }
}

/// The freeze windows; beside VM logs, with the snapshots taken inside and
/// outside them.
fn freezes_section(r: &Report, ctx: &Ctx, alone: bool) -> Section {
    let mut columns = vec![
        Column::text("member").elide_at(3),
        Column::text("frozen"),
        Column::text("thawed"),
        Column::num("length").drop_at(1),
    ];
    if !alone {
        columns.extend([
            Column::text("quiesce").drop_at(2),
            Column::text("inside").elide_at(2),
            Column::text("outside").elide_at(2),
        ]);
    }
    let rows =
        r.db.freezes
            .iter()
            .map(|f| {
                let w = &f.window;
                let mut row = vec![
                    Cell::new(&w.member),
                    Cell::new(ctx.time(w.start_ms)),
                    Cell::new(match (w.end_ms, w.outcome) {
                        (Some(t), _) => ctx.time(t),
                        (None, FreezeOutcome::Restored) => "restored".to_owned(),
                        (None, _) => "no thaw".to_owned(),
                    }),
                    Cell::new(w.duration_ms().map_or("-".to_owned(), human_span_ms)),
                ];
                if !alone {
                    row.extend([
                        Cell::new(quiesce_cell(f)),
                        Cell::new(cluster_list(&f.inside, r)),
                        Cell::new(cluster_list(&f.outside, r)),
                    ]);
                }
                row
            })
            .collect();
    let title = if alone {
        "Freeze windows (database writes suspended)".to_owned()
    } else {
        "Freeze windows (database writes suspended) and the snapshots taken inside and outside them"
            .to_owned()
    };
    let mut notes = vec![];
    let outcomes = |o| r.db.freezes.iter().any(|f| f.window.outcome == o);
    if outcomes(FreezeOutcome::Restored) {
        notes.push(
            "restored: the instance started again with no thaw — the log of a VM restored from a backup taken while the database was frozen (a restore, not a failed thaw)"
                .to_owned(),
        );
    }
    if outcomes(FreezeOutcome::Open) {
        notes.push(
            "no thaw: the log ends before any thaw (cut short, or the thaw failed)".to_owned(),
        );
    }
    Section {
        id: "freezes",
        title,
        columns,
        rows,
        notes,
    }
}

/// What the database did while a create cluster's snapshot was taken:
/// `yes` (its stun fell in a freeze), `yes, late thaw` (and the freeze
/// outlasted the quiesce), `NO` (quiesced, yet the database's log covers
/// the time and shows no freeze: crash-consistent), `no`, or `-`.
pub(super) fn freeze_text(r: &Report, c: &Cluster) -> String {
    let check = r.db.in_freeze.get(&c.id).copied().unwrap_or_default();
    let quiesced = c.quiesced == Some(true) || c.quiesce.is_some();
    let late =
        r.db.freeze_of_quiesce(c.id)
            .is_some_and(|f| f.outlasted_ms.is_some());
    match (check.in_freeze, quiesced) {
        (Some(true), _) if late => "yes, late thaw".to_owned(),
        (Some(true), _) => "yes".to_owned(),
        (Some(false), true) => "NO".to_owned(),
        (Some(false), false) => "no".to_owned(),
        (None, _) if late => "late thaw".to_owned(),
        (None, _) => "-".to_owned(),
    }
}

/// The lines that explain the clusters' `db freeze` marks, each naming
/// its cluster (on a narrow terminal the column may not be shown).
pub(super) fn freeze_text_notes(r: &Report) -> Vec<String> {
    let mut out = vec![];
    for c in &r.clusters {
        let text = freeze_text(r, c);
        if text == "NO" {
            out.push(format!(
                "#{} {}: quiesced, but the database's log covers the time and shows no freeze (db freeze NO): the freeze script did not run, the snapshot is crash-consistent, not application-consistent",
                c.id, c.vm
            ));
        }
        if let Some(ms) = r.db.freeze_of_quiesce(c.id).and_then(|f| f.outlasted_ms) {
            out.push(format!(
                "#{} {}: the database stayed frozen {} after the snapshot's quiesce ended (late thaw)",
                c.id,
                c.vm,
                human_span_ms(ms)
            ));
        }
    }
    out
}

/// The quiesce a freeze sat in: `#3`, `#3, +2s` when it outlasted it,
/// `none` when its VMs' quiesces are all elsewhere, else `-`.
fn quiesce_cell(f: &Freeze) -> String {
    match (f.in_quiesce, f.quiesce_cluster, f.outlasted_ms) {
        (true, Some(id), Some(ms)) => format!("#{id}, +{}", human_span_ms(ms)),
        (true, Some(id), None) => format!("#{id}"),
        (true, None, _) => "no stun".to_owned(),
        (false, ..) if f.outside_quiesce => "none".to_owned(),
        _ => "-".to_owned(),
    }
}

/// `#3 db1-prod, #6 db2-replica`, or `-`.
fn cluster_list(ids: &[u64], r: &Report) -> String {
    if ids.is_empty() {
        return "-".to_owned();
    }
    ids.iter()
        .map(|id| match r.clusters.iter().find(|c| c.id == *id) {
            Some(c) => format!("#{id} {}", c.vm),
            None => format!("#{id}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
