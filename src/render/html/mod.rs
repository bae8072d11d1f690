//! `html`: one self-contained page for a ticket attachment — the verdict,
//! summary cards, a timeline per VM, a histogram of stun lengths and the
//! tables of [`view`].
//!
//! The page loads nothing: the style is inline, the pictures are inline
//! SVG ([`svg`]), there is no script and no web font, so it reads the same
//! offline, in a mail client's preview and years later. Written with
//! `maud`, whose templates are checked at compile time and escape every
//! spliced string, so a VM name from a log cannot inject markup.

mod svg;

use std::collections::BTreeSet;
use std::io::{self, Write};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Style;
use super::view::{self, Section, View};
use crate::analyze::db::{VmRef, applies};
use crate::analyze::{Cluster, Event, Report, VmReport, Window};
use crate::qos::Verdict;
use crate::units::{human_span_ms, human_us, secs};

const CSS: &str = include_str!("style.css");

pub fn write(r: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let v = view::build(r, style);
    let page = page(r, style, &v);
    out.write_all(page.into_string().as_bytes())?;
    writeln!(out)
}

fn page(r: &Report, style: &Style, v: &View) -> Markup {
    let (head, sub) = v.title.split_once(" — ").unwrap_or((&v.title, ""));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={"stunscan " (env!("CARGO_PKG_VERSION"))};
                title { (v.title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (head) }
                    p.sub { (sub) }
                    p.rule { (v.rule) }
                }
                (verdict(v))
                @if !r.db_only() { (cards(r)) }
                @if !r.events.is_empty() {
                    (timelines(r, style))
                    section #lengths {
                        h2 { "Stun lengths" }
                        p.hint { "How many stuns fall in each range; ranges double up to 2 Q, so everything right of the Q/2 line could fail over an idle mirror." }
                        (svg::histogram(&r.events, r.qos.us))
                    }
                }
                @for s in &v.sections { (table(s)) }
                (list("errors", "Input errors", &v.errors))
                (list("notes", "Notes", &v.notes))
                (footer(r))
            }
        }
    }
}

fn verdict(v: &View) -> Markup {
    let class = v.verdict.level.map_or("none", Verdict::as_str);
    html! {
        p.verdict.(class) { strong { (v.verdict.head) ":" } " " (v.verdict.text) }
        @if !v.errors.is_empty() {
            p.errors { (v.errors.len()) " input error" @if v.errors.len() != 1 { "s" } ": the report may be incomplete (listed at the end)." }
        }
    }
}

fn cards(r: &Report) -> Markup {
    let s = &r.summary;
    let hosts = r.hosts.len();
    let worst = r.worst();
    let longest_lifetime = r.windows.iter().map(|w| w.consolidated - w.created).max();
    html! {
        section.cards {
            div.card {
                span.label { "Stuns" }
                span.value { (s.events) }
                span.detail { "in " (s.vms) " VM" @if s.vms != 1 { "s" } " on " (hosts) " host" @if hosts != 1 { "s" } }
            }
            div.card.(worst.map_or("none", Verdict::as_str)) {
                span.label { "Longest stun" }
                span.value { @if s.events > 0 { (human_us(s.max_us)) } @else { "–" } }
                span.detail { @if let Some(w) = worst { "worst verdict: " (w) } @else { "no stuns" } }
            }
            div.card.risk[s.risk > 0] {
                span.label { "Risk (≥ Q/2)" }
                span.value { (s.risk) }
                span.detail { "could fail over an idle mirror" }
            }
            div.card.failover[s.failover > 0] {
                span.label { "Failover (≥ Q)" }
                span.value { (s.failover) }
                span.detail { "could fail over any mirror" }
            }
            div.card {
                span.label { "Recommended QoS" }
                span.value { @if let Some(q) = s.recommended_qos_s { (q) " s" } @else { "–" } }
                span.detail { "now " (secs(r.qos.us)) }
            }
            div.card {
                span.label { "Backup windows" }
                span.value { (r.windows.len()) }
                span.detail {
                    @if let Some(l) = longest_lifetime { "longest snapshot " (human_span_ms(l)) } @else { "snapshot create → consolidate" }
                }
            }
        }
    }
}

/// The events of each VM row, in the report's order: the report lists
/// events VM by VM, each VM's count in its row.
fn events_per_vm(r: &Report) -> Vec<(&VmReport, Vec<&Event>)> {
    let mut rest = r.events.as_slice();
    let mut out = Vec::with_capacity(r.vms.len());
    for v in &r.vms {
        let n = usize::try_from(v.events)
            .unwrap_or(usize::MAX)
            .min(rest.len());
        let (mine, after) = rest.split_at(n);
        if mine.iter().any(|e| e.vm != v.vm) {
            // Not in that order after all: fall back to the name.
            return r
                .vms
                .iter()
                .map(|v| (v, r.events.iter().filter(|e| e.vm == v.vm).collect()))
                .collect();
        }
        out.push((v, mine.iter().collect()));
        rest = after;
    }
    out
}

/// The database's marks for one VM: events logged by a member that
/// applies to it (see [`applies`]: a member named after it, or one that
/// names none of the report's VMs) or explained by its stuns, and that
/// member's freeze windows.
fn db_marks<'a>(r: &'a Report, vm: &VmReport, vms: &[VmRef]) -> svg::DbMarks<'a> {
    let me = VmRef::of(vm);
    let mine = |member: &str| applies(member, &me.vm, &me.dir_name, vms);
    svg::DbMarks {
        events: r
            .db
            .correlated()
            .filter(|(e, x)| mine(&e.member) || x.is_some_and(|x| *x.vm == *vm.vm))
            .collect(),
        freezes: r
            .db
            .freezes
            .iter()
            .map(|f| &f.window)
            .filter(|w| mine(&w.member))
            .collect(),
    }
}

fn timelines(r: &Report, style: &Style) -> Markup {
    let db_times = r.db.correlated().map(|(e, _)| e.time_ms).chain(
        r.db.freezes
            .iter()
            .flat_map(|f| std::iter::once(f.window.start_ms).chain(f.window.end_ms)),
    );
    let scale = svg::Scale::new(&r.events, &r.windows, db_times, r.qos.us, &style.zone);
    let vms: Vec<VmRef> = r.vms.iter().map(VmRef::of).collect();
    html! {
        section #timelines {
            h2 { "Timelines" }
            p.hint {
                "One mark per stun, its height the stun's length, on one time axis for all VMs (times "
                (style.zone.name()) "); hover a mark for its exact time."
            }
            p.legend {
                span.key.ok { "ok" } span.key.risk { "risk (≥ Q/2)" } span.key.failover { "failover (≥ Q)" }
                span.key.band { "backup window (snapshot create → consolidate)" }
                @if !r.db.is_empty() {
                    span.key.takeover { "database takeover / mirror event" }
                    span.key.freeze { "freeze window (database writes suspended)" }
                }
            }
            @for (vm, events) in events_per_vm(r) {
                @if !events.is_empty() {
                    (vm_timeline(r, &scale, vm, &events, &vms))
                }
            }
        }
    }
}

fn vm_timeline(
    r: &Report,
    scale: &svg::Scale,
    vm: &VmReport,
    events: &[&Event],
    vms: &[VmRef],
) -> Markup {
    let ids: BTreeSet<u64> = events.iter().map(|e| e.cluster).collect();
    let clusters: Vec<&Cluster> = r.clusters.iter().filter(|c| ids.contains(&c.id)).collect();
    let windows: Vec<&Window> = r
        .windows
        .iter()
        .filter(|w| ids.contains(&w.create_cluster))
        .collect();
    let label = format!("stun timeline of {} on {}", vm.vm, vm.host);
    html! {
        figure.vm {
            figcaption {
                strong { (vm.vm) }
                span.host { " on " (vm.host) }
                span.stats {
                    @if vm.failover > 0 { span.tag.failover { (vm.failover) " failover" } " " }
                    @if vm.risk > 0 { span.tag.risk { (vm.risk) " risk" } " " }
                    (vm.events) " stun" @if vm.events != 1 { "s" }
                    " · longest " (human_us(vm.max_us))
                    @if let Some(q) = vm.recommended_qos_s { " · recommended QoS " (q) " s" }
                }
            }
            (svg::timeline(scale, events, &clusters, &windows, &db_marks(r, vm, vms), &label))
        }
    }
}

fn table(s: &Section) -> Markup {
    html! {
        section id=(s.id) {
            h2 { (s.title) }
            div.scroll {
                table {
                    thead { tr { @for c in &s.columns { th.num[c.right] { (c.head) } } } }
                    tbody {
                        @for row in &s.rows {
                            tr {
                                @for (c, cell) in s.columns.iter().zip(row) {
                                    td.num[c.right] {
                                        @if let Some(v) = cell.verdict {
                                            span.tag.(v.as_str()) { (cell.text) }
                                        } @else {
                                            (cell.text)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @for n in &s.notes { p.hint { (n) } }
        }
    }
}

fn list(id: &str, title: &str, items: &[String]) -> Markup {
    html! {
        @if !items.is_empty() {
            section id=(id) {
                h2 { (title) }
                ul.notes { @for i in items { li { (i) } } }
            }
        }
    }
}

fn footer(r: &Report) -> Markup {
    html! {
        footer {
            p {
                "stunscan " (env!("CARGO_PKG_VERSION")) " read "
                @if r.inputs.is_empty() { "no VM log, only the database's logs" }
                @for (i, input) in r.inputs.iter().enumerate() {
                    @if i > 0 { ", " }
                    code { (input.path) } " (" (input.logs) " log" @if input.logs != 1 { "s" } ")"
                }
                "."
            }
            p { "A verdict says what a stun could cause if the VM is the primary of a mirror that fails over automatically; only the database's own log says whether it did." }
        }
    }
}
