//! The human report as format-neutral sections: what `table`, `markdown`
//! and `html` show, decided once so the three say the same thing.
//!
//! A section is a title, columns and rows of display strings. Each column
//! also says how expendable it is when a terminal is narrow (see
//! [`super::layout`]); markdown and html ignore that and show everything.

mod db;
mod evidence;
mod model;
mod quiesce;
mod stuns;
mod verdict;

pub use evidence::{cluster_evidence, evidence_lines, evidence_text};
pub use model::{Cell, Column, Ctx, Section, TimeForm, VerdictLine, View, plural, short_source};
pub use verdict::verdict_line;

use super::Style;
use crate::analyze::{Event, Report};
use crate::units::secs;
use crate::zone::{Zone, format_offset};

/// Builds the view of `r`.
pub fn build(r: &Report, style: &Style) -> View {
    let top = top_events(r, style.top);
    let zone = &style.zone;
    let shown = r
        .clusters
        .iter()
        .flat_map(|c| [c.start, c.end])
        .chain(r.windows.iter().flat_map(|w| [w.created, w.consolidated]))
        .chain(
            r.quiesces
                .iter()
                .flat_map(|q| [Some(q.start), q.end])
                .flatten(),
        )
        .chain(top.iter().map(|e| e.time))
        .chain(db::shown_times(&r.db, r.db_only()))
        .collect::<Vec<i64>>();
    let form = TimeForm::of(shown.iter().map(|&ms| zone.wall(ms)));
    let ctx = Ctx {
        zone,
        form,
        many_hosts: r.hosts.len() > 1,
    };
    // The database's record alone has no VM to show.
    let mut sections = vec![];
    if !r.db_only() {
        sections.push(stuns::vms_section(&r.vms, &ctx));
    }
    if ctx.many_hosts {
        sections.push(stuns::hosts_section(&r.hosts));
    }
    if !r.clusters.is_empty() {
        sections.push(stuns::clusters_section(r, &ctx));
    }
    sections.extend(quiesce::quiesces_section(r, &ctx));
    if !r.windows.is_empty() {
        sections.push(stuns::windows_section(&r.windows, &ctx));
    }
    if !top.is_empty() {
        sections.push(stuns::top_section(r, &top, &ctx));
    }
    sections.extend(db::sections(r, &ctx));
    View {
        title: title(r, zone, form, shown.into_iter()),
        rule: if r.db_only() {
            "The database's own record: its mirror events, freezes and thaws, with no stun to link them to"
                .to_owned()
        } else {
            format!(
                "Q = {}: risk at ≥ {} (Q/2), failover at ≥ {} (Q)",
                r.qos.describe(),
                secs(r.qos.us / 2),
                secs(r.qos.us),
            )
        },
        sections,
        verdict: verdict_line(r),
        errors: r
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.source, e.message))
            .collect(),
        notes: r
            .notes
            .iter()
            .map(|n| format!("{}: {}", n.source, n.message))
            .collect(),
        times: form,
        evidence: evidence_lines(&r.clusters),
    }
}

/// The longest `n` listed events, longest first.
pub fn top_events(r: &Report, n: usize) -> Vec<&Event> {
    let mut top: Vec<&Event> = r.listed().collect();
    top.sort_by(|a, b| b.stun_us.cmp(&a.stun_us).then(a.time.cmp(&b.time)));
    top.truncate(n);
    top
}

fn title(r: &Report, zone: &Zone, form: TimeForm, shown: impl Iterator<Item = i64>) -> String {
    if r.db_only() {
        return db::title(r, zone, form);
    }
    let s = &r.summary;
    let mut t = format!(
        "Stun report — {} stun{} in {} VM{}",
        s.events,
        plural(s.events),
        s.vms,
        plural(s.vms)
    );
    match r.hosts.as_slice() {
        [] => {}
        [one] if &*one.host == "-" => {}
        [one] => t.push_str(&format!(" on {}", one.host)),
        many => t.push_str(&format!(" on {} hosts", many.len())),
    }
    t.push_str(&format!(
        " · QoS {} · times {}",
        secs(r.qos.us),
        zone.name()
    ));
    if !zone.is_utc() {
        let mut offsets: Vec<i32> = shown.map(|ms| zone.offset_at(ms)).collect();
        offsets.sort_unstable();
        offsets.dedup();
        // A fixed offset names itself; a named zone shows the offsets its
        // times are at (two when they straddle a daylight-saving change).
        let fixed = offsets.len() == 1 && zone.names_its_offset();
        if !offsets.is_empty() && !fixed {
            let list: Vec<String> = offsets
                .into_iter()
                .map(|o| format!("UTC{}", format_offset(o)))
                .collect();
            t.push_str(&format!(" ({})", list.join(" and ")));
        }
    }
    t.push_str(&form.context());
    t
}
