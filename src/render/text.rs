//! Line formats: `tsv`, `csv`, `raw`.

use std::io::{self, Write};

use super::COLUMNS;
use crate::analyze::{Event, Report};
use crate::dblog::DbEvent;
use crate::zone::Zone;

/// The columns of the database's record alone (no VM logs given): its
/// events, as `db_events[]` of `json` has them.
pub const DB_COLUMNS: [&str; 6] = ["time", "kind", "member", "text", "source", "line"];

fn db_fields(e: &DbEvent, zone: &Zone) -> [String; 6] {
    [
        zone.rfc3339(e.time_ms).to_string(),
        e.kind.as_str().to_owned(),
        e.member.to_string(),
        e.text.clone(),
        e.source.to_string(),
        e.line.to_string(),
    ]
}

fn fields(e: &Event, zone: &Zone) -> [String; 9] {
    [
        e.stun_us.to_string(),
        e.verdict.to_string(),
        zone.rfc3339(e.time).to_string(),
        e.host.to_string(),
        e.vm.to_string(),
        e.kind.as_str().to_owned(),
        e.cluster.to_string(),
        e.source.to_string(),
        e.line.to_string(),
    ]
}

/// One event per line, tab-separated: `sort -nr` puts the longest first.
pub fn tsv(report: &Report, header: bool, zone: &Zone, out: &mut dyn Write) -> io::Result<()> {
    if report.db_only() {
        if header {
            writeln!(out, "{}", DB_COLUMNS.join("\t"))?;
        }
        for e in &report.db.events {
            writeln!(out, "{}", db_fields(e, zone).join("\t"))?;
        }
        return Ok(());
    }
    if header {
        writeln!(out, "{}", COLUMNS.join("\t"))?;
    }
    for e in report.listed() {
        tsv_row(e, zone, out)?;
    }
    Ok(())
}

/// One event as a `tsv` line.
pub fn tsv_row(e: &Event, zone: &Zone, out: &mut dyn Write) -> io::Result<()> {
    // Escaping already replaced tabs and newlines inside fields; written
    // field by field, as this runs once per event of a big bundle.
    writeln!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        e.stun_us,
        e.verdict,
        zone.rfc3339(e.time),
        e.host,
        e.vm,
        e.kind.as_str(),
        e.cluster,
        e.source,
        e.line
    )
}

/// RFC 4180: header always, fields quoted when they hold `,` `"` or a line break.
pub fn csv(report: &Report, zone: &Zone, out: &mut dyn Write) -> io::Result<()> {
    if report.db_only() {
        write!(out, "{}\r\n", DB_COLUMNS.join(","))?;
        for e in &report.db.events {
            let row: Vec<String> = db_fields(e, zone).iter().map(|f| quote(f)).collect();
            write!(out, "{}\r\n", row.join(","))?;
        }
        return Ok(());
    }
    csv_header(out)?;
    for e in report.listed() {
        csv_row(e, zone, out)?;
    }
    Ok(())
}

/// One event as a `csv` record.
pub fn csv_row(e: &Event, zone: &Zone, out: &mut dyn Write) -> io::Result<()> {
    let row: Vec<String> = fields(e, zone).iter().map(|f| quote(f)).collect();
    write!(out, "{}\r\n", row.join(","))
}

/// The `csv` header line.
pub fn csv_header(out: &mut dyn Write) -> io::Result<()> {
    write!(out, "{}\r\n", COLUMNS.join(","))
}

fn quote(f: &str) -> String {
    if f.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_owned()
    }
}

/// The seed's shape: `<stun_us> ---<source>:<original line>`, as
/// `grep Unstun vmware* | awk '{ printf ("%d", $8)} {print " ---" $0}'`;
/// the database's record alone: `<source>:<line>: <text>` per event.
pub fn raw(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.db_only() {
        for e in &report.db.events {
            writeln!(out, "{}:{}: {}", e.source, e.line, e.text)?;
        }
        return Ok(());
    }
    for e in report.listed() {
        raw_row(e, out)?;
    }
    Ok(())
}

/// One event in the `raw` shape.
pub fn raw_row(e: &Event, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{} ---{}:{}", e.stun_us, e.source, e.text)
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn csv_quoting() {
        assert_eq!(quote("db1"), "db1");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
