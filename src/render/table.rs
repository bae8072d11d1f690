//! The human report: VM summary, clusters, backup windows, top outliers,
//! and a one-line verdict.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table};

use super::Style;
use crate::analyze::{KindSource, Report};
use crate::qos::{QOS_WARN_S, Verdict};
use crate::time::format_rfc3339_ms;
use crate::units::{human_span_ms, human_us, secs};

pub(super) fn new_table(style: Style, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.set_header(header.iter().map(Cell::new));
    t
}

fn color_of(v: Verdict) -> Color {
    match v {
        Verdict::Ok => Color::Green,
        Verdict::Risk => Color::Yellow,
        Verdict::Failover => Color::Red,
    }
}

fn verdict_cell(v: Verdict, style: Style) -> Cell {
    let c = Cell::new(v.as_str());
    if style.color { c.fg(color_of(v)) } else { c }
}

fn num(v: impl ToString) -> Cell {
    Cell::new(v.to_string()).set_alignment(CellAlignment::Right)
}

fn dur(us: u64) -> Cell {
    if us == 0 {
        return num("-");
    }
    num(human_us(us))
}

pub fn write(r: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let q = r.qos.us;
    writeln!(
        out,
        "stunscan: {} stun{} in {} VM{} · QoS {} · risk at ≥ {} (Q/2), failover at ≥ {}",
        r.summary.events,
        plural(r.summary.events),
        r.summary.vms,
        plural(r.summary.vms),
        r.qos.describe(),
        secs(q / 2),
        secs(q),
    )?;

    if !r.vms.is_empty() {
        writeln!(out, "\nVMs")?;
        let mut t = new_table(
            style,
            &[
                "host",
                "vm",
                "events",
                "p50",
                "p90",
                "p99",
                "max",
                "total stunned",
                "risk",
                "failover",
                "rec. QoS",
            ],
        );
        for v in &r.vms {
            let rec = v
                .recommended_qos_s
                .map_or("-".to_owned(), |s| format!("{s} s"));
            t.add_row(vec![
                Cell::new(&v.host),
                Cell::new(&v.vm),
                num(v.events),
                dur(v.p50_us),
                dur(v.p90_us),
                dur(v.p99_us),
                dur(v.max_us),
                dur(v.total_us),
                num(v.risk),
                num(v.failover),
                num(rec),
            ]);
        }
        writeln!(out, "{t}")?;
    }

    if !r.clusters.is_empty() {
        writeln!(out, "\nClusters (stuns at most the --gap apart)")?;
        let mut t = new_table(
            style,
            &[
                "#",
                "host",
                "vm",
                "kind",
                "snapshot",
                "start (UTC)",
                "end (UTC)",
                "events",
                "max",
                "total",
                "verdict",
            ],
        );
        for c in &r.clusters {
            let kind = match c.kind_source {
                KindSource::Marker => c.kind.as_str().to_owned(),
                KindSource::Heuristic => format!("{} (guess)", c.kind.as_str()),
            };
            let snapshot = match (&c.snapshot, c.quiesced) {
                (Some(s), Some(true)) => format!("{s} (quiesced)"),
                (Some(s), _) => s.to_string(),
                (None, _) => "-".into(),
            };
            t.add_row(vec![
                num(c.id),
                Cell::new(&c.host),
                Cell::new(&c.vm),
                Cell::new(kind),
                Cell::new(snapshot),
                Cell::new(format_rfc3339_ms(c.start)),
                Cell::new(format_rfc3339_ms(c.end)),
                num(c.events),
                dur(c.max_us),
                dur(c.total_us),
                verdict_cell(c.verdict, style),
            ]);
        }
        writeln!(out, "{t}")?;
    }

    if !r.windows.is_empty() {
        writeln!(out, "\nBackup windows (snapshot create → consolidate)")?;
        let mut t = new_table(
            style,
            &[
                "host",
                "vm",
                "snapshot",
                "created (UTC)",
                "consolidated (UTC)",
                "snapshot lifetime",
                "max",
                "verdict",
            ],
        );
        for w in &r.windows {
            t.add_row(vec![
                Cell::new(&w.host),
                Cell::new(&w.vm),
                Cell::new(w.snapshot.as_deref().unwrap_or("-")),
                Cell::new(format_rfc3339_ms(w.created)),
                Cell::new(format_rfc3339_ms(w.consolidated)),
                num(human_span_ms(w.consolidated - w.created)),
                dur(w.max_us),
                verdict_cell(w.verdict, style),
            ]);
        }
        writeln!(out, "{t}")?;
    }

    let mut top: Vec<_> = r.listed().collect();
    if !top.is_empty() && style.top > 0 {
        top.sort_by(|a, b| b.stun_us.cmp(&a.stun_us).then(a.time.cmp(&b.time)));
        top.truncate(style.top);
        writeln!(out, "\nTop {} stun{}", top.len(), plural(top.len() as u64))?;
        let mut t = new_table(
            style,
            &[
                "stun",
                "us",
                "verdict",
                "time (UTC)",
                "host",
                "vm",
                "kind",
                "#",
                "file:line",
            ],
        );
        for e in top {
            let time = format_rfc3339_ms(e.time) + if e.approx_time { " ~" } else { "" };
            t.add_row(vec![
                dur(e.stun_us),
                num(e.stun_us),
                verdict_cell(e.verdict, style),
                Cell::new(time),
                Cell::new(&e.host),
                Cell::new(&e.vm),
                Cell::new(e.kind.as_str()),
                num(e.cluster),
                // Host and vm already say where; the full source is in tsv/json.
                Cell::new(format!("{}:{}", short_source(&e.source), e.line)),
            ]);
        }
        writeln!(out, "{t}")?;
        if r.events.iter().any(|e| e.approx_time) {
            writeln!(
                out,
                "~ year taken from the log's modification time (old log format without a year)"
            )?;
        }
    }

    super::db::write_section(r, style, out)?;
    writeln!(out)?;
    writeln!(out, "{}", verdict_line(r, style))?;
    if !r.errors.is_empty() {
        writeln!(
            out,
            "{} input error{}: see standard error.",
            r.errors.len(),
            plural(r.errors.len() as u64)
        )?;
    }
    Ok(())
}

fn verdict_line(r: &Report, style: Style) -> String {
    let s = &r.summary;
    let paint = |v: Verdict, text: &str| {
        if style.color {
            let code = match v {
                Verdict::Ok => "32",
                Verdict::Risk => "33",
                Verdict::Failover => "31",
            };
            format!("\x1b[1;{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let Some(rec) = s.recommended_qos_s else {
        let logs: u64 = r.inputs.iter().map(|i| i.logs).sum();
        return format!("Verdict: no stun events in {logs} log{}.", plural(logs));
    };
    let q = secs(r.qos.us);
    let mut line = if s.failover > 0 {
        format!(
            "{}: {} stun{} at or above the QoS ({q}), enough to fail over any mirror; longest {}.",
            paint(Verdict::Failover, "Verdict: FAILOVER"),
            s.failover,
            plural(s.failover),
            human_us(s.max_us)
        )
    } else if s.risk > 0 {
        format!(
            "{}: {} stun{} at or above Q/2 ({}), enough to fail over an idle mirror; longest {}.",
            paint(Verdict::Risk, "Verdict: RISK"),
            s.risk,
            plural(s.risk),
            secs(r.qos.us / 2),
            human_us(s.max_us)
        )
    } else {
        format!(
            "{}: longest stun {} is under Q/2 ({}).",
            paint(Verdict::Ok, "Verdict: OK"),
            human_us(s.max_us),
            secs(r.qos.us / 2)
        )
    };
    line.push_str(&format!(" Recommended QoS: {rec} s."));
    line.extend(super::db::verdict_sentence(&r.db));
    if rec > QOS_WARN_S {
        line.push_str(&format!(
            " That is over {QOS_WARN_S} s, which causes problems of its own: fix the stun's cause (storage latency, snapshot age, backup timing) instead."
        ));
    }
    line
}

/// The file part of a source: `…!esx-h/…/db1/vmware-2.log.gz` → `vmware-2.log.gz`.
fn short_source(source: &str) -> &str {
    source.rsplit(['/', '!']).next().unwrap_or(source)
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
