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
    // Escaping already replaced tabs and newlines inside fields. This runs
    // once per event of a big bundle, after the reading, on one thread: the
    // line is put together here and written at once (field by field
    // through `dyn Write` and the formatting machinery, the output of a
    // 1 GB tree cost as much as a tenth of its reading).
    let mut line = Vec::with_capacity(64 + e.source.len() + e.host.len() + e.vm.len());
    push_number(&mut line, e.stun_us);
    line.push(b'\t');
    line.extend_from_slice(e.verdict.as_str().as_bytes());
    line.push(b'\t');
    write!(line, "{}", zone.rfc3339(e.time))?;
    for field in [e.host.as_str(), e.vm.as_str(), e.kind.as_str()] {
        line.push(b'\t');
        line.extend_from_slice(field.as_bytes());
    }
    line.push(b'\t');
    push_number(&mut line, e.cluster);
    line.push(b'\t');
    line.extend_from_slice(e.source.as_bytes());
    line.push(b'\t');
    push_number(&mut line, e.line);
    line.push(b'\n');
    out.write_all(&line)
}

/// Appends `n` in decimal.
fn push_number(line: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    line.extend_from_slice(&digits[at..]);
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
    fn numbers_in_decimal() {
        for n in [0, 7, 10, 1_091_706, u64::MAX] {
            let mut line = Vec::new();
            super::push_number(&mut line, n);
            assert_eq!(line, n.to_string().as_bytes());
        }
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(quote("db1"), "db1");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
