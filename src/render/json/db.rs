//! The database's record in JSON: `db_events[]`, `freezes[]`, and the
//! freeze check of each `clusters[]` entry.

use serde::Serialize;

use crate::analyze::db::{DbReport, ExplainedBy};
use crate::analyze::{Cluster, Report};
use crate::qos::Verdict;
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
    /// `thawed`, `restored` (the instance started again with no thaw) or
    /// `open` (the log ends first).
    outcome: &'static str,
    source: String,
    /// The create cluster whose quiesce the freeze sat in.
    quiesce_cluster: Option<u64>,
    /// `true`: it sat in a quiesce; `false`: its VMs have a quiesce
    /// within an hour, none around it; null: no quiesce to compare with.
    in_quiesce: Option<bool>,
    /// How long writes stayed suspended after the quiesce ended.
    outlasted_quiesce_ms: Option<i64>,
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
            outcome: f.window.outcome.as_str(),
            source: f.window.sources.join(", "),
            quiesce_cluster: f.quiesce_cluster,
            in_quiesce: if f.in_quiesce {
                Some(true)
            } else if f.outside_quiesce {
                Some(false)
            } else {
                None
            },
            outlasted_quiesce_ms: f.outlasted_ms,
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
