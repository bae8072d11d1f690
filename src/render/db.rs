//! The database's record in the report: JSON shapes and the table section.
//!
//! Kept apart from the VMware side's renderers so that each format only
//! has to call in here: `db_events[]`, `freezes[]` and the `in_freeze` of
//! `clusters[]` for JSON, a "Database events" section and a verdict
//! sentence for the human formats.

use std::io::{self, Write};

use serde::Serialize;

use comfy_table::{Cell, CellAlignment};

use super::Style;
use super::table::new_table;
use crate::analyze::{Cluster, Report};
use crate::dblog::{DbKind, DbReport, ExplainedBy};
use crate::qos::Verdict;
use crate::time::format_rfc3339_ms;
use crate::units::human_us;

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

/// The "Database events" section of the text table: takeovers and mirror
/// events with their stuns, then the freeze windows with the snapshots
/// inside and outside them.
pub(super) fn write_section(r: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let db = &r.db;
    if db.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let logs = db.logs;
    writeln!(
        out,
        "Database events ({logs} log{})",
        if logs == 1 { "" } else { "s" }
    )?;
    let header = [
        "time (UTC)",
        "member",
        "kind",
        "message",
        "explained by",
        "lag",
    ];
    let mut t = new_table(style, &header);
    for (e, x) in db.correlated() {
        let (by, lag_cell) = match x {
            Some(x) => (
                format!(
                    "{} {} stun on {} ({})",
                    human_us(x.stun_us),
                    x.verdict,
                    x.vm,
                    x.host
                ),
                lag(x.lag_ms),
            ),
            None => ("no stun explains it".to_owned(), "-".to_owned()),
        };
        t.add_row(vec![
            Cell::new(format_rfc3339_ms(e.time_ms)),
            Cell::new(&e.member),
            Cell::new(e.kind.as_str()),
            Cell::new(&e.text),
            Cell::new(by),
            Cell::new(lag_cell).set_alignment(CellAlignment::Right),
        ]);
    }
    if t.row_count() == 0 {
        writeln!(out, "no takeover or mirror event")?;
    } else {
        writeln!(out, "{t}")?;
    }
    write_freezes(r, style, out)
}

fn write_freezes(r: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if r.db.freezes.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Freeze windows (database writes suspended)")?;
    let header = [
        "member",
        "frozen (UTC)",
        "thawed (UTC)",
        "snapshots inside",
        "snapshots outside",
    ];
    let mut t = new_table(style, &header);
    for f in &r.db.freezes {
        let w = &f.window;
        t.add_row(vec![
            Cell::new(&w.member),
            Cell::new(format_rfc3339_ms(w.start_ms)),
            Cell::new(w.end_ms.map_or("no thaw".to_owned(), format_rfc3339_ms)),
            Cell::new(cluster_list(&f.inside, r)),
            Cell::new(cluster_list(&f.outside, r)),
        ]);
    }
    writeln!(out, "{t}")
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
