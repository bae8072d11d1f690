//! `json` (one document) and `ndjson` (one event per line).

mod db;

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::{Event, HostReport, Quiesce, Report, Summary, VmReport, Window};
use crate::input::{InputSummary, Notice};

/// Bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 3;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    qos_ms: serde_json::Number,
    inputs: Vec<InputOut<'a>>,
    errors: Vec<NoticeOut<'a>>,
    notes: Vec<NoticeOut<'a>>,
    hosts: &'a [HostReport],
    vms: &'a [VmReport],
    clusters: Vec<db::ClusterOut<'a>>,
    windows: &'a [Window],
    quiesces: &'a [Quiesce],
    events: Vec<&'a Event>,
    db_events: Vec<db::DbEventOut<'a>>,
    freezes: Vec<db::FreezeOut<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct InputOut<'a> {
    path: &'a str,
    logs: u64,
    bytes: u64,
    skipped_stun_lines: u64,
}

#[derive(Serialize)]
struct NoticeOut<'a> {
    source: &'a str,
    message: &'a str,
}

fn notices(list: &[Notice]) -> Vec<NoticeOut<'_>> {
    list.iter()
        .map(|e| NoticeOut {
            source: &e.source,
            message: &e.message,
        })
        .collect()
}

fn qos_ms(us: u64) -> serde_json::Number {
    if us.is_multiple_of(1000) {
        (us / 1000).into()
    } else {
        serde_json::Number::from_f64(us as f64 / 1000.0).unwrap_or_else(|| (us / 1000).into())
    }
}

pub fn document(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        qos_ms: qos_ms(report.qos.us),
        inputs: report
            .inputs
            .iter()
            .map(|i: &InputSummary| InputOut {
                path: &i.path,
                logs: i.logs,
                bytes: i.bytes,
                skipped_stun_lines: i.skipped_stun_lines,
            })
            .collect(),
        errors: notices(&report.errors),
        notes: notices(&report.notes),
        hosts: &report.hosts,
        vms: &report.vms,
        clusters: db::clusters(report),
        windows: &report.windows,
        quiesces: &report.quiesces,
        events: report.listed().collect(),
        db_events: db::db_events(&report.db),
        freezes: db::freezes(&report.db),
        summary: &report.summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One stun event per line; the database's record alone (no VM logs
/// given): one `db_events[]` entry per line.
pub fn ndjson(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.db_only() {
        for e in db::db_events(&report.db) {
            serde_json::to_writer(&mut *out, &e)?;
            writeln!(out)?;
        }
        return Ok(());
    }
    for e in report.listed() {
        ndjson_row(e, out)?;
    }
    Ok(())
}

/// One event as an `ndjson` line.
pub fn ndjson_row(e: &Event, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, e)?;
    writeln!(out)
}
