//! Filing a scanned log: its place (source, VM directory, bundle host,
//! rotation rank), its times resolved to UTC, what it says about itself,
//! and the fingerprint that recognises the same log read twice.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use super::collected::{Collected, Entry, LogFile, Says};
use super::names::{basename, bundle_host, bundle_host_in, log_rank, parent};
use super::node::Node;
use crate::escape::{Name, Part, escape_bytes, prefix_part, suffix_part};
use crate::time::{self, EpochMs};
use crate::vmlog::scan::{self, RecordKind, ScanResult};
use crate::vmlog::{self, LineTime, SkipReason};

/// Whether a scan saw anything of a VMware log: a record, a skipped stun
/// line, or a line with a VMware header near the start.
fn holds_log_line(res: &ScanResult) -> bool {
    !res.records.is_empty()
        || res.skipped_total() > 0
        || vmlog::header::strip_bom(&res.head)
            .split(|&c| c == b'\n')
            .any(|l| vmlog::parse_header(l).is_some())
}

/// One note per source with skipped stun lines: how many, why, and where
/// the first is.
fn note_skipped(res: &ScanResult, source: &str, out: &mut Collected) {
    let total = res.skipped_total();
    if total == 0 {
        return;
    }
    let why: Vec<String> = SkipReason::ALL
        .iter()
        .zip(res.skipped)
        .filter(|(_, s)| s.count > 0)
        .map(|(r, s)| {
            format!(
                "{} {} ({}, first at line {})",
                s.count,
                r.as_str(),
                r.explain(),
                s.first_line
            )
        })
        .collect();
    out.note(
        source,
        format!(
            "{total} stun line{} not counted: {}",
            if total == 1 { "" } else { "s" },
            why.join("; ")
        ),
    );
}

/// The fingerprint of one log: equal for the same name and content.
fn fingerprint(
    base: &[u8],
    share: usize,
    res: &ScanResult,
    records: &[scan::Record],
) -> Option<u64> {
    if res.bytes == 0 {
        return None;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    base.to_ascii_lowercase().hash(&mut h);
    (share, res.bytes, res.lines, &res.head).hash(&mut h);
    for r in records {
        r.line_no.hash(&mut h);
        match r.time {
            LineTime::Utc(ms) => ms.hash(&mut h),
            LineTime::NoYear {
                month,
                day,
                ms_of_day,
            } => (month, day, ms_of_day).hash(&mut h),
        }
        if let RecordKind::Stun { us, .. } = r.kind {
            us.hash(&mut h);
        }
    }
    Some(h.finish())
}

/// A key for "this (container, name) was read as a whole log": 128 bits of
/// SipHash, so that a collision between two names is out of reach.
pub(super) fn whole_key(container: &str, name: &[u8]) -> u128 {
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, container, name).hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// Where a log sits, as [`LogFile`] keeps it.
struct Place {
    source: Name,
    dir: Part,
    dir_name: Option<Part>,
    bundle_host: Option<Part>,
    rank: u32,
}

/// Splits a scanned log by saved-grep origin, resolves times, and files it.
pub(super) fn finish_log(mut res: ScanResult, node: &Node, input: usize, out: &mut Collected) {
    // A file chosen by its name alone (named on the command line, or
    // matched by --glob) must show it is a VMware log.
    let by_name_only = node.named || log_rank(node.base()).is_none();
    if by_name_only && !holds_log_line(&res) {
        return out.note(
            &node.source,
            "holds no VMware log line (no timestamped line, no stun record): not read as a VM log",
        );
    }
    out.logs_in.push((input, res.skipped_total()));
    let stun_only = res.preceded == 0;
    // The banner names the product; it is the log's first line, kept in
    // its head (a year-less banner's time only orders rotations: 0).
    let product = crate::vmlog::product_in_head(&res.head).map(|(t, p)| {
        let t = match t {
            LineTime::Utc(ms) => ms,
            LineTime::NoYear { .. } => 0,
        };
        (t, Name::from(escape_bytes(&p)))
    });
    note_skipped(&res, &node.source, out);
    out.whole.push(whole_key(&node.container, &node.name));
    let source = Name::from(node.source.as_str());
    let (dir, dir_name) = if node.is_stdin() {
        let stdin = Part::from("(stdin)");
        (stdin.clone(), Some(stdin))
    } else {
        let (dir, dir_name) = node.dir();
        let dir = prefix_part(&source, &dir);
        let dir_name = dir_name.map(|n| suffix_part(&dir, &n));
        (dir, dir_name)
    };
    let host = bundle_host_in(&source).map(|h| {
        let at = h.as_ptr() as usize - source.as_ptr() as usize;
        Part::from(source.clone()).substr(at..at + h.len())
    });
    let needs_year = res
        .records
        .iter()
        .any(|r| matches!(r.time, LineTime::NoYear { .. }));
    let mtime = if needs_year { node.mtime_secs() } else { 0 };
    let disk_dir = node.disk_dir.clone();
    let own = Place {
        source,
        dir,
        dir_name,
        bundle_host: host,
        rank: log_rank(node.base()).unwrap_or(0),
    };
    if res.origins.is_empty() {
        // The usual case: every record is the log's own.
        let records = std::mem::take(&mut res.records);
        let fingerprint = fingerprint(node.base(), 0, &res, &records);
        let mut log = new_log(own, disk_dir, records, mtime, input, fingerprint, out);
        log.stun_only = stun_only;
        log.says.product = product;
        return out.logs.push(log);
    }
    let mut groups: Vec<Vec<scan::Record>> = vec![Vec::new(); res.origins.len() + 1];
    for r in std::mem::take(&mut res.records) {
        if let Some(g) = groups.get_mut(r.origin as usize) {
            g.push(r);
        }
    }
    let own_dir = (own.dir.clone(), own.dir_name.clone());
    let own_source = own.source.clone();
    let mut own = Some(own);
    for (i, records) in groups.into_iter().enumerate() {
        // A saved grep's own share is empty: its lines belong to the files
        // its prefixes name.
        if records.is_empty() {
            continue;
        }
        let fingerprint = fingerprint(node.base(), i, &res, &records);
        if i == 0 {
            if let Some(own) = own.take() {
                let mut log = new_log(
                    own,
                    disk_dir.clone(),
                    records,
                    mtime,
                    input,
                    fingerprint,
                    out,
                );
                log.stun_only = stun_only;
                log.says.product = product.clone();
                out.logs.push(log);
            }
            continue;
        }
        let place = match &res.origins[i - 1] {
            scan::Origin::Grep(name) => grep_place(name, node, &own_dir),
            scan::Origin::Forwarded { host, app } => forwarded_place(host, app, node, &own_source),
        };
        let mut log = new_log(place, None, records, mtime, input, fingerprint, out);
        log.stun_only = stun_only;
        out.logs.push(log);
    }
}

/// Where lines a saved grep attributes to another file belong.
fn grep_place(name: &[u8], node: &Node, own_dir: &(Part, Option<Part>)) -> Place {
    let p = parent(name);
    let source = Name::from(escape_bytes(name));
    let bundle_host = match bundle_host_in(&source) {
        Some(h) => Some(Part::from(h)),
        None => bundle_host(&node.source).map(Part::from),
    };
    let (dir, dir_name) = if p.is_empty() {
        own_dir.clone()
    } else {
        let dir = Part::from(format!("{}:{}", node.source, escape_bytes(p)));
        let dir_name = suffix_part(&dir, &escape_bytes(basename(p)));
        (dir, Some(dir_name))
    };
    Place {
        source,
        dir,
        dir_name,
        bundle_host,
        rank: log_rank(basename(name)).unwrap_or(0),
    }
}

/// Where lines forwarded by syslog belong: one VM per syslogID (`app`) in
/// the file, named after it unless its lines name it, on the host the
/// envelope names unless its lines name one. The source is the file itself
/// (line numbers are its own).
fn forwarded_place(host: &[u8], app: &[u8], node: &Node, source: &Name) -> Place {
    let app = escape_bytes(app);
    let dir = Part::from(format!("{}:{app}", node.source));
    let dir_name = suffix_part(&dir, &app);
    Place {
        source: source.clone(),
        dir,
        dir_name: Some(dir_name),
        bundle_host: Some(Part::from(escape_bytes(host))),
        rank: 0,
    }
}

/// A [`LogFile`] from its place and records: times resolved, names and
/// hosts taken out of the records into [`Says`].
fn new_log(
    place: Place,
    disk_dir: Option<Arc<Path>>,
    records: Vec<scan::Record>,
    mtime: i64,
    input: usize,
    fingerprint: Option<u64>,
    out: &mut Collected,
) -> LogFile {
    let mut says = Says::default();
    let mut last: Option<(EpochMs, u64)> = None;
    let mut entries = Vec::with_capacity(
        records
            .iter()
            .filter(|r| matches!(r.kind, RecordKind::Stun { .. } | RecordKind::Op(_)))
            .count(),
    );
    for e in resolve_times(records, mtime) {
        let t = e.time_ms;
        if last.is_none_or(|l| (t, e.line_no) >= l) {
            last = Some((t, e.line_no));
        }
        let slot = match e.kind {
            RecordKind::DisplayName(n) => Some((&mut says.name, n)),
            RecordKind::Hostname(h) => Some((&mut says.host, out.intern_host(h))),
            _ => {
                entries.push(e);
                None
            }
        };
        if let Some((slot, v)) = slot
            && slot.as_ref().is_none_or(|(was, _)| t >= *was)
        {
            *slot = Some((t, v));
        }
    }
    LogFile {
        source: place.source,
        dir: place.dir,
        dir_name: place.dir_name,
        bundle_host: place.bundle_host,
        rank: place.rank,
        disk_dir,
        entries,
        says,
        last,
        input,
        fingerprint,
        stun_only: false,
    }
}

/// How far a year-less time may lie after the file's modification time and
/// still be of the same year: the times are the host's local time read as
/// UTC, and a host's zone is at most 14 hours ahead of UTC.
const LOCAL_AHEAD_MS: i64 = 14 * 3_600_000;

/// Gives old no-year records a year: the last record is in the year of the
/// file's modification time, or a year earlier when its date and time in
/// that year would come after the modification time (by more than a zone's
/// offset, [`LOCAL_AHEAD_MS`]): a file is not written before its lines.
/// Walking back, each December → January step going forward in the file is
/// a year boundary. Yields the records in log order.
fn resolve_times(records: Vec<scan::Record>, mtime_secs: i64) -> impl Iterator<Item = Entry> {
    let mtime_ms = mtime_secs.saturating_mul(1000);
    let (mut year, _, _) = time::ymd(mtime_ms);
    // Years are found walking backwards; only year-less logs need it.
    let mut years: Vec<i64> = Vec::new();
    if records
        .iter()
        .any(|r| matches!(r.time, LineTime::NoYear { .. }))
    {
        years = vec![0; records.len()];
        let mut next_month = None;
        for (i, r) in records.iter().enumerate().rev() {
            if let LineTime::NoYear {
                month,
                day,
                ms_of_day,
            } = r.time
            {
                let steps_back = match next_month {
                    Some(next) => month > next,
                    None => {
                        time::epoch_ms(year, month, day, ms_of_day)
                            > mtime_ms.saturating_add(LOCAL_AHEAD_MS)
                    }
                };
                if steps_back {
                    year -= 1;
                }
                next_month = Some(month);
                years[i] = year;
            }
        }
    }
    records.into_iter().enumerate().map(move |(i, r)| {
        let (time_ms, approx) = match r.time {
            LineTime::Utc(ms) => (ms, false),
            LineTime::NoYear {
                month,
                day,
                ms_of_day,
            } => (
                time::epoch_ms(years.get(i).copied().unwrap_or(0), month, day, ms_of_day),
                true,
            ),
        };
        Entry {
            time_ms,
            line_no: r.line_no,
            kind: r.kind,
            approx,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_year_times_step_back_over_new_year() {
        let rec = |month, day| scan::Record {
            time: LineTime::NoYear {
                month,
                day,
                ms_of_day: 0,
            },
            line_no: 1,
            origin: 0,
            kind: RecordKind::Hostname(Name::from("h")),
        };
        // mtime 2010-01-01T00:10:00Z
        let mtime = time::epoch_ms(2010, 1, 1, 600_000) / 1000;
        let e: Vec<Entry> = resolve_times(vec![rec(12, 31), rec(1, 1)], mtime).collect();
        assert_eq!(
            crate::zone::format_rfc3339_ms(e[0].time_ms),
            "2009-12-31T00:00:00.000Z"
        );
        assert_eq!(
            crate::zone::format_rfc3339_ms(e[1].time_ms),
            "2010-01-01T00:00:00.000Z"
        );
        assert!(e[0].approx);
    }

    #[test]
    fn no_year_time_after_the_file_date_is_last_year() {
        let rec = |month, day, ms_of_day| scan::Record {
            time: LineTime::NoYear {
                month,
                day,
                ms_of_day,
            },
            line_no: 1,
            origin: 0,
            kind: RecordKind::Hostname(Name::from("h")),
        };
        let at = |month, day, ms| {
            let mtime = time::epoch_ms(2026, 12, 4, 17 * 3_600_000) / 1000;
            let e: Vec<Entry> = resolve_times(vec![rec(month, day, ms)], mtime).collect();
            crate::zone::format_rfc3339_ms(e[0].time_ms)
        };
        // The next day, same month: a year earlier.
        assert_eq!(at(12, 5, 17 * 3_600_000), "2025-12-05T17:00:00.000Z");
        // Same day, a few hours later: a host's zone ahead of UTC.
        assert_eq!(at(12, 4, 23 * 3_600_000), "2026-12-04T23:00:00.000Z");
        // Earlier the same day: this year.
        assert_eq!(at(12, 4, 3_600_000), "2026-12-04T01:00:00.000Z");
    }
}
