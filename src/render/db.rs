//! The database's record in the report: JSON shapes and the table section.
//!
//! Kept apart from the VMware side's renderers so that each format only
//! has to call in here: `db_events[]`, `freezes[]` and the `in_freeze` of
//! `clusters[]` for JSON, the "Database events" and "Freeze windows"
//! sections of [`super::view`] and a verdict sentence for the human formats
//! (table, markdown, html).

use serde::Serialize;

use super::view::{Cell, Column, Ctx, Section, dur};
use crate::analyze::{Cluster, Report};
use crate::dblog::{DbKind, DbReport, ExplainedBy};
use crate::qos::Verdict;
use crate::time::EpochMs;
use crate::units::{human_span_ms, human_us};
use crate::zone::format_rfc3339_ms;

/// `explained_by` of a `db_events[]` entry.
#[derive(Serialize)]
pub(super) struct ExplainedOut<'a> {
    host: &'a str,
    vm: &'a str,
    time: String,
    stun_us: u64,
    verdict: Verdict,
    lag_ms: i64,
}

/// One `db_events[]` entry.
#[derive(Serialize)]
pub(super) struct DbEventOut<'a> {
    time: String,
    kind: &'static str,
    member: &'a str,
    text: &'a str,
    source: &'a str,
    line: u64,
    explained_by: Option<ExplainedOut<'a>>,
}

/// One `freezes[]` entry.
#[derive(Serialize)]
pub(super) struct FreezeOut<'a> {
    member: &'a str,
    start: String,
    end: Option<String>,
    duration_ms: Option<i64>,
    source: String,
    create_clusters_inside: &'a [u64],
    create_clusters_outside: &'a [u64],
}

/// A `clusters[]` entry: the cluster with its freeze check.
#[derive(Serialize)]
pub(super) struct ClusterOut<'a> {
    #[serde(flatten)]
    cluster: &'a Cluster,
    in_freeze: Option<bool>,
    freeze_offset_ms: Option<i64>,
}

fn explained_out(x: &ExplainedBy) -> ExplainedOut<'_> {
    ExplainedOut {
        host: &x.host,
        vm: &x.vm,
        time: format_rfc3339_ms(x.time_ms),
        stun_us: x.stun_us,
        verdict: x.verdict,
        lag_ms: x.lag_ms,
    }
}

pub(super) fn db_events(db: &DbReport) -> Vec<DbEventOut<'_>> {
    db.events
        .iter()
        .zip(&db.explained)
        .map(|(e, x)| DbEventOut {
            time: format_rfc3339_ms(e.time_ms),
            kind: e.kind.as_str(),
            member: &e.member,
            text: &e.text,
            source: &e.source,
            line: e.line,
            explained_by: x.as_ref().map(explained_out),
        })
        .collect()
}

pub(super) fn freezes(db: &DbReport) -> Vec<FreezeOut<'_>> {
    db.freezes
        .iter()
        .map(|f| FreezeOut {
            member: &f.window.member,
            start: format_rfc3339_ms(f.window.start_ms),
            end: f.window.end_ms.map(format_rfc3339_ms),
            duration_ms: f.window.duration_ms(),
            source: f.window.sources.join(", "),
            create_clusters_inside: &f.inside,
            create_clusters_outside: &f.outside,
        })
        .collect()
}

pub(super) fn clusters(r: &Report) -> Vec<ClusterOut<'_>> {
    r.clusters
        .iter()
        .map(|c| {
            let check = r.db.in_freeze.get(&c.id).copied().unwrap_or_default();
            ClusterOut {
                cluster: c,
                in_freeze: check.in_freeze,
                freeze_offset_ms: check.freeze_offset_ms,
            }
        })
        .collect()
}

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
pub(super) fn shown_times(db: &DbReport) -> impl Iterator<Item = EpochMs> + '_ {
    db.correlated().map(|(e, _)| e.time_ms).chain(
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
    let mut out = vec![events_section(db, ctx)];
    if !db.freezes.is_empty() {
        out.push(freezes_section(r, ctx));
    }
    out
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
        .correlated()
        .map(|(e, x)| {
            let (by, stun, verdict, lag_cell, host) = match x {
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

fn freezes_section(r: &Report, ctx: &Ctx) -> Section {
    let columns = vec![
        Column::text("member").elide_at(3),
        Column::text("frozen"),
        Column::text("thawed"),
        Column::num("length").drop_at(1),
        Column::text("inside").elide_at(2),
        Column::text("outside").elide_at(2),
    ];
    let rows =
        r.db.freezes
            .iter()
            .map(|f| {
                let w = &f.window;
                vec![
                    Cell::new(&w.member),
                    Cell::new(ctx.time(w.start_ms)),
                    Cell::new(w.end_ms.map_or("no thaw".to_owned(), |t| ctx.time(t))),
                    Cell::new(w.duration_ms().map_or("-".to_owned(), human_span_ms)),
                    Cell::new(cluster_list(&f.inside, r)),
                    Cell::new(cluster_list(&f.outside, r)),
                ]
            })
            .collect();
    Section {
        id: "freezes",
        title: "Freeze windows (database writes suspended) and the snapshots taken inside and outside them".to_owned(),
        columns,
        rows,
        notes: vec![],
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
