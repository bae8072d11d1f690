//! The pictures of the html report, as inline SVG written with maud: per-VM
//! timelines and a histogram of stun lengths.
//!
//! maud rather than a plotting library: every stun mark must carry its own
//! `data-stun-us` (and each threshold line its `data-threshold`) for the
//! report's readers and tests to find, and a `<title>` for its tooltip;
//! `plotters`' SVG backend draws anonymous shapes and offers no way to put
//! attributes on them. The drawing itself is a few lines and rectangles.

use maud::{Markup, html};

use crate::analyze::db::{ExplainedBy, FreezeOutcome, FreezeWindow};
use crate::analyze::{Cluster, Event, Window};
use crate::dblog::{DbEvent, DbKind};
use crate::qos::Verdict;
use crate::units::{human_span_ms, human_us, secs};
use crate::zone::{Civil, Zone};

/// The drawing's coordinate width; the SVG scales to the page.
const W: f64 = 1160.0;
const LEFT: f64 = 58.0;
const RIGHT: f64 = 62.0;
/// Room above the plot for cluster labels.
const TOP: f64 = 34.0;
const PLOT_H: f64 = 130.0;
const BOTTOM: f64 = 34.0;

/// What every timeline shares, so that VMs can be compared at a glance: one
/// time axis and one stun-length axis.
pub struct Scale<'a> {
    pub t0: i64,
    pub t1: i64,
    /// The top of the length axis, in microseconds.
    pub y_max: u64,
    pub q_us: u64,
    pub zone: &'a Zone,
}

impl<'a> Scale<'a> {
    /// A scale that shows all `events`, backup `windows` and `more` times
    /// (the database's), with some room either side, and the Q line with
    /// room above it.
    pub fn new(
        events: &[Event],
        windows: &[Window],
        more: impl Iterator<Item = i64>,
        q_us: u64,
        zone: &'a Zone,
    ) -> Scale<'a> {
        let times = events
            .iter()
            .map(|e| e.time)
            .chain(windows.iter().flat_map(|w| [w.created, w.consolidated]))
            .chain(more);
        let (lo, hi) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        let (lo, hi) = if lo > hi { (0, 0) } else { (lo, hi) };
        let pad = ((hi - lo) / 25).max(60_000);
        let longest = events.iter().map(|e| e.stun_us).max().unwrap_or(0);
        // Room for Q and its label; stuns far beyond 3 Q are capped with an
        // arrow rather than flattening everything else.
        let y_max = (q_us + q_us / 4).max(longest.saturating_add(longest / 12).min(q_us * 3));
        Scale {
            t0: lo - pad,
            t1: hi + pad,
            y_max: y_max.max(1),
            q_us,
            zone,
        }
    }

    fn x(&self, t: i64) -> f64 {
        let span = (self.t1 - self.t0).max(1) as f64;
        LEFT + (t - self.t0) as f64 / span * (W - LEFT - RIGHT)
    }

    fn y(&self, us: u64) -> f64 {
        let f = (us.min(self.y_max) as f64) / self.y_max as f64;
        TOP + PLOT_H - f * PLOT_H
    }
}

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

pub fn verdict_class(v: Verdict) -> &'static str {
    v.as_str()
}

/// One VM's timeline: backup windows as bands, the Q/2 and Q lines, one
/// mark per stun, and each cluster labelled with its kind.
/// The database's record on one VM's timeline: events that a stun may
/// explain (takeovers, mirror warnings) and freeze windows.
#[derive(Default)]
pub struct DbMarks<'a> {
    pub events: Vec<(&'a DbEvent, Option<&'a ExplainedBy>)>,
    pub freezes: Vec<&'a FreezeWindow>,
}

pub fn timeline(
    s: &Scale,
    events: &[&Event],
    clusters: &[&Cluster],
    windows: &[&Window],
    db: &DbMarks,
    label: &str,
) -> Markup {
    let h = TOP + PLOT_H + BOTTOM;
    let base = TOP + PLOT_H;
    html! {
        svg.timeline viewBox={"0 0 " (W) " " (h)} role="img" aria-label=(label)
            xmlns="http://www.w3.org/2000/svg" {
            rect.plot x=(LEFT) y=(TOP) width=(W - LEFT - RIGHT) height=(PLOT_H) {}
            @for w in windows { (window_band(s, w)) }
            @for f in &db.freezes { (freeze_band(s, f)) }
            (y_axis(s))
            (x_axis(s, base))
            (threshold(s, s.q_us / 2, "q2", "Q/2"))
            (threshold(s, s.q_us, "q", "Q"))
            (db_marks(s, &db.events))
            (cluster_labels(s, events, clusters))
            @for e in events {
                (mark(s, e, base, clusters.iter().find(|c| c.id == e.cluster).copied()))
            }
        }
    }
}

fn window_band(s: &Scale, w: &Window) -> Markup {
    let x0 = s.x(w.created);
    let x1 = s.x(w.consolidated).max(x0 + 2.0);
    let tip = format!(
        "backup window{}: snapshot lived {} ({} → {})",
        w.snapshot
            .as_deref()
            .map(|n| format!(" '{n}'"))
            .unwrap_or_default(),
        human_span_ms(w.consolidated - w.created),
        s.zone.rfc3339(w.created),
        s.zone.rfc3339(w.consolidated),
    );
    html! {
        rect.window x=(f1(x0)) y=(TOP) width=(f1(x1 - x0)) height=(PLOT_H)
            data-create-cluster=(w.create_cluster) data-consolidate-cluster=(w.consolidate_cluster) {
            title { (tip) }
        }
    }
}

/// A freeze window: database writes suspended, where a snapshot's create
/// stun should fall.
fn freeze_band(s: &Scale, f: &FreezeWindow) -> Markup {
    let x0 = s.x(f.start_ms);
    let x1 = s.x(f.end_ms.unwrap_or(f.reach_ms)).max(x0 + 2.0);
    let tip = format!(
        "{} frozen {} → {}",
        f.member,
        s.zone.rfc3339(f.start_ms),
        match (f.end_ms, f.outcome) {
            (Some(t), _) => s.zone.rfc3339(t).to_string(),
            (None, FreezeOutcome::Restored) =>
                "restored from a backup taken while frozen".to_owned(),
            (None, _) => "no thaw".to_owned(),
        },
    );
    html! {
        rect.freeze x=(f1(x0)) y=(TOP) width=(f1(x1 - x0)) height=(PLOT_H) data-member=(f.member) {
            title { (tip) }
        }
    }
}

/// Takeovers (solid, labelled) and mirror warnings (dotted) from the
/// database's log, as vertical lines at their time.
fn db_marks(s: &Scale, events: &[(&DbEvent, Option<&ExplainedBy>)]) -> Markup {
    if events.is_empty() {
        return html! {};
    }
    // (x, kind, explained, tooltip, label): takeovers labelled unless too
    // close to the last label.
    let mut last_label = f64::NEG_INFINITY;
    let marks: Vec<(f64, DbKind, bool, String, Option<String>)> = events
        .iter()
        .map(|(e, x)| {
            let at = s.x(e.time_ms);
            let label = (e.kind == DbKind::Takeover && at - last_label > 90.0).then(|| {
                last_label = at;
                format!("{} took over", e.member)
            });
            (at, e.kind, x.is_some(), db_tip(s, e, *x), label)
        })
        .collect();
    html! {
        g.db {
            @for (at, kind, explained, tip, label) in marks {
                @let top = if kind == DbKind::Takeover { TOP - 14.0 } else { TOP };
                g.dbevent.(kind.as_str()) data-db-kind=(kind.as_str())
                    data-explained=(if explained { "yes" } else { "no" }) {
                    title { (tip) }
                    line x1=(f1(at)) x2=(f1(at)) y1=(f1(top)) y2=(TOP + PLOT_H) {}
                    @if let Some(l) = label {
                        text x=(f1(at + 4.0)) y=(TOP - 5.0) { (l) }
                    }
                }
            }
        }
    }
}

/// A database event's tooltip: who, what, when, and which stun explains it.
fn db_tip(s: &Scale, e: &DbEvent, x: Option<&ExplainedBy>) -> String {
    let what = format!(
        "{} {} at {}: {}",
        e.member,
        e.kind.as_str(),
        s.zone.rfc3339(e.time_ms),
        e.text
    );
    match x {
        Some(x) => format!(
            "{what} — explained by a {} {} stun on {} ({}) that began {} before",
            human_us(x.stun_us),
            x.verdict,
            x.vm,
            x.host,
            human_us(u64::try_from(x.lag_ms).unwrap_or(0).saturating_mul(1000)),
        ),
        None => format!("{what} — no stun explains it"),
    }
}

fn threshold(s: &Scale, us: u64, id: &str, name: &str) -> Markup {
    let y = s.y(us);
    html! {
        g.threshold.(id) data-threshold=(id) data-us=(us) {
            line x1=(LEFT) x2=(W - RIGHT) y1=(f1(y)) y2=(f1(y)) {}
            text x=(W - RIGHT + 6.0) y=(f1(y + 4.0)) { (name) " " (secs(us)) }
        }
    }
}

/// Gridlines at quarters of Q, labelled in seconds.
fn y_axis(s: &Scale) -> Markup {
    let step = (s.q_us / 4).max(1);
    let ticks: Vec<u64> = (0..)
        .map(|i| i * step)
        .take_while(|&v| v <= s.y_max)
        .take(16)
        .collect();
    html! {
        g.yaxis {
            @for v in ticks {
                @let y = s.y(v);
                line x1=(LEFT) x2=(W - RIGHT) y1=(f1(y)) y2=(f1(y)) {}
                text x=(LEFT - 6.0) y=(f1(y + 4.0)) { (secs(v)) }
            }
        }
    }
}

/// Steps a time axis can use, in milliseconds.
const STEPS_MS: [i64; 22] = [
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
    1_209_600_000,
    2_592_000_000,
];

/// Steps in calendar months for an axis longer than the longest fixed
/// step allows (inputs a year apart: two support cases' logs given at
/// once). Months are not of one length, so these ticks are computed on
/// the calendar.
const STEPS_MONTHS: [i64; 10] = [1, 2, 3, 6, 12, 24, 60, 120, 240, 600];

/// Ticks on the first day of a month, every few months, with their labels
/// (`2021-03`, or `2021` when the step is whole years); `None` when a
/// fixed step fits the span.
fn month_ticks(s: &Scale) -> Option<Vec<(i64, String)>> {
    let longest = STEPS_MS[STEPS_MS.len() - 1];
    if (s.t1 - s.t0) / longest <= 8 {
        return None;
    }
    let month_of = |t: i64| {
        let c = s.zone.wall(t);
        i64::from(c.year) * 12 + i64::from(c.month) - 1
    };
    let (m0, m1) = (month_of(s.t0), month_of(s.t1));
    let step = STEPS_MONTHS
        .iter()
        .copied()
        .find(|k| (m1 - m0) / k <= 8)
        .unwrap_or_else(|| ((m1 - m0) / 8).div_euclid(12).max(1) * 12);
    let first = (m0.div_euclid(step) + 1) * step;
    let ticks = (0..)
        .map(|i| first + i * step)
        .take_while(|&m| m <= m1)
        .take(40)
        .filter_map(|m| {
            let (year, month) = (m.div_euclid(12), u32::try_from(m.rem_euclid(12)).ok()? + 1);
            // Midnight of the first of the month in the zone, by the
            // zone's rules on that day (DST moves it).
            let (t, _) = s.zone.to_utc_ms(Civil {
                year: i32::try_from(year).ok()?,
                month,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0,
                milli: 0,
            })?;
            let label = match step % 12 {
                0 => format!("{year:04}"),
                _ => format!("{year:04}-{month:02}"),
            };
            (s.t0..=s.t1).contains(&t).then_some((t, label))
        })
        .collect();
    Some(ticks)
}

fn x_axis(s: &Scale, base: f64) -> Markup {
    if let Some(ticks) = month_ticks(s) {
        return html! {
            g.xaxis {
                @for (t, label) in ticks {
                    line x1=(f1(s.x(t))) x2=(f1(s.x(t))) y1=(TOP) y2=(f1(base + 4.0)) {}
                    text x=(f1(s.x(t))) y=(f1(base + 16.0)) { (label) }
                }
            }
        };
    }
    let span = s.t1 - s.t0;
    let step = STEPS_MS
        .iter()
        .copied()
        .find(|st| span / st <= 8)
        .unwrap_or(span.max(1));
    // Ticks fall on round wall-clock times of the zone.
    let off = i64::from(s.zone.offset_at(s.t0)) * 1000;
    let first = (s.t0 + off).div_euclid(step) * step + step - off;
    let ticks: Vec<i64> = (0..)
        .map(|i| first + i * step)
        .take_while(|&t| t <= s.t1)
        .take(40)
        .collect();
    // (x, clock or day label, the date under it where the day changes)
    let start = s.zone.wall(s.t0);
    let mut last_day = Some((start.year, start.month, start.day));
    // The day the axis begins on, at its left end, unless a tick says it.
    let mut lead = (step < 86_400_000
        && ticks.first().is_none_or(|&t| {
            let c = s.zone.wall(t);
            (c.year, c.month, c.day) != (start.year, start.month, start.day)
        }))
    .then(|| format!("{:04}-{:02}-{:02}", start.year, start.month, start.day));
    let labelled: Vec<(f64, String, Option<String>)> = ticks
        .into_iter()
        .map(|t| {
            let c = s.zone.wall(t);
            let day = (c.year, c.month, c.day);
            let new_day = last_day != Some(day);
            last_day = Some(day);
            let label = if step >= 86_400_000 {
                format!("{:02}-{:02}", c.month, c.day)
            } else if step < 60_000 {
                format!("{:02}:{:02}:{:02}", c.hour, c.minute, c.second)
            } else {
                format!("{:02}:{:02}", c.hour, c.minute)
            };
            let date = (new_day && step < 86_400_000)
                .then(|| format!("{:04}-{:02}-{:02}", c.year, c.month, c.day));
            (s.x(t), label, date)
        })
        .collect();
    // A date under a tick close to the left end would overprint the lead.
    if labelled
        .iter()
        .any(|(x, _, d)| d.is_some() && *x < LEFT + DATE_WIDTH)
    {
        lead = None;
    }
    html! {
        g.xaxis {
            @if let Some(d) = lead {
                text.date.lead x=(LEFT) y=(f1(base + 29.0)) { (d) }
            }
            @for (x, label, date) in labelled {
                line x1=(f1(x)) x2=(f1(x)) y1=(TOP) y2=(f1(base + 4.0)) {}
                text x=(f1(x)) y=(f1(base + 16.0)) { (label) }
                @if let Some(d) = date {
                    text.date x=(f1(x)) y=(f1(base + 29.0)) { (d) }
                }
            }
        }
    }
}

/// The width a `YYYY-MM-DD` label takes on the axis, in SVG units.
const DATE_WIDTH: f64 = 70.0;

/// One stun: a stem from the axis to its length, coloured by verdict; its
/// tooltip says what decided its cluster's kind (the evidence).
fn mark(s: &Scale, e: &Event, base: f64, cluster: Option<&Cluster>) -> Markup {
    let x = s.x(e.time);
    let y = s.y(e.stun_us);
    let capped = e.stun_us > s.y_max;
    let mut tip = format!(
        "{} — {} · {} · {} cluster #{}",
        human_us(e.stun_us),
        e.verdict,
        s.zone.rfc3339(e.time),
        e.kind.as_str(),
        e.cluster
    );
    if let Some(c) = cluster {
        tip.push_str("\nkind from ");
        tip.push_str(&crate::render::view::evidence_text(c));
    }
    html! {
        g.stun.(verdict_class(e.verdict)) data-stun-us=(e.stun_us) data-verdict=(e.verdict.as_str())
            data-time=(s.zone.rfc3339(e.time).to_string()) data-cluster=(e.cluster) {
            title { (tip) }
            line x1=(f1(x)) x2=(f1(x)) y1=(f1(base)) y2=(f1(y)) {}
            @if capped {
                path d={"M" (f1(x - 5.0)) " " (f1(y + 7.0)) " L" (f1(x)) " " (f1(y)) " L" (f1(x + 5.0)) " " (f1(y + 7.0)) " Z"} {}
            } @else {
                circle cx=(f1(x)) cy=(f1(y)) r="4" {}
            }
        }
    }
}

/// A label per cluster near its tallest mark: its kind, and how many stuns
/// when more than one. A label goes above the mark, else beside it (right,
/// then left), a row higher each time none of those is free of other
/// labels and of other marks' stems; with no row left it is left out (the
/// mark's tooltip still says it).
fn cluster_labels(s: &Scale, events: &[&Event], clusters: &[&Cluster]) -> Markup {
    const ROW: f64 = 13.0;
    const CHAR_W: f64 = 6.2;
    // Boxes nothing may overlap: (x0, x1, y0, y1), y growing downwards.
    let base = TOP + PLOT_H;
    let mut taken: Vec<(f64, f64, f64, f64)> = events
        .iter()
        .map(|e| {
            let x = s.x(e.time);
            (x - 3.0, x + 3.0, s.y(e.stun_us) - 5.0, base)
        })
        .collect();
    let mut labels = Vec::new();
    for c in clusters {
        let x = (s.x(c.start) + s.x(c.end)) / 2.0;
        let tallest = events
            .iter()
            .filter(|e| e.cluster == c.id)
            .map(|e| s.y(e.stun_us))
            .fold(base, f64::min);
        let text = if c.events > 1 {
            format!("{} ×{}", c.kind.as_str(), c.events)
        } else {
            c.kind.as_str().to_owned()
        };
        let len = text.chars().count() as f64 * CHAR_W;
        let free = |x0: f64, y: f64, taken: &[(f64, f64, f64, f64)]| {
            let b = (x0 - 2.0, x0 + len + 2.0, y - 10.0, y + 3.0);
            !taken
                .iter()
                .any(|t| t.0 < b.1 && b.0 < t.1 && t.2 < b.3 && b.2 < t.3)
        };
        let mut y = tallest - 9.0;
        let mut spot = None;
        while spot.is_none() && y > 10.0 {
            let candidates = [
                (x - len / 2.0, "middle", x),
                (x + 7.0, "start", x + 7.0),
                (x - 7.0 - len, "end", x - 7.0),
            ];
            spot = candidates
                .into_iter()
                .filter(|&(x0, ..)| x0 >= LEFT + 2.0 && x0 + len <= W - RIGHT - 2.0)
                .find(|&(x0, ..)| free(x0, y, &taken))
                .map(|(x0, anchor, at)| (x0, anchor, at, y));
            y -= ROW;
        }
        if let Some((x0, anchor, at, y)) = spot {
            taken.push((x0, x0 + len, y - 10.0, y + 3.0));
            // A label pushed up away from its mark gets a line down to it.
            let leader = (y < tallest - 9.0 - ROW / 2.0).then_some((x, y + 3.0, tallest - 6.0));
            labels.push((at, y, anchor, text, c.kind.as_str(), c.id, leader));
        }
    }
    html! {
        g.labels {
            @for (x, y, anchor, text, kind, id, leader) in labels {
                @if let Some((lx, y0, y1)) = leader {
                    line.leader x1=(f1(lx)) x2=(f1(lx)) y1=(f1(y0)) y2=(f1(y1)) {}
                }
                text.(kind) x=(f1(x)) y=(f1(y)) text-anchor=(anchor) data-cluster=(id) { (text) }
            }
        }
    }
}

/// Bins of the histogram, as fractions of Q: each bin doubles, so Q/2 and Q
/// are bin edges and a bar's colour is its verdict.
const BIN_EDGES: [(u64, u64); 8] = [
    (1, 64),
    (1, 32),
    (1, 16),
    (1, 8),
    (1, 4),
    (1, 2),
    (1, 1),
    (2, 1),
];

/// A histogram of stun lengths in bins that double up to 2 Q.
pub fn histogram(events: &[Event], q_us: u64) -> Markup {
    let edges: Vec<u64> = BIN_EDGES
        .iter()
        .map(|&(n, d)| q_us.saturating_mul(n) / d)
        .collect();
    let mut counts = vec![0u64; edges.len() + 1];
    for e in events {
        let bin = edges.iter().take_while(|&&edge| e.stun_us >= edge).count();
        counts[bin] += 1;
    }
    let labels: Vec<String> = (0..counts.len())
        .map(|i| match i {
            0 => format!("< {}", short_us(edges[0])),
            i if i == edges.len() => format!("≥ {}", short_us(edges[i - 1])),
            i => format!("{}–{}", short_us(edges[i - 1]), short_us(edges[i])),
        })
        .collect();
    let verdicts: Vec<Verdict> = (0..counts.len())
        .map(|i| match i {
            i if i >= 7 => Verdict::Failover,
            6 => Verdict::Risk,
            _ => Verdict::Ok,
        })
        .collect();
    // Drawn at the size it is shown (see the stylesheet), so its small
    // labels are not scaled down.
    let (w, h, left, top, plot_h) = (880.0, 230.0, 24.0, 26.0, 160.0);
    let n = counts.len() as f64;
    let slot = (w - left - 20.0) / n;
    let peak = counts.iter().copied().max().unwrap_or(0).max(1);
    let base = top + plot_h;
    html! {
        svg.histogram viewBox={"0 0 " (w) " " (h)} role="img" aria-label="histogram of stun lengths"
            xmlns="http://www.w3.org/2000/svg" {
            line.base x1=(left) x2=(w - 20.0) y1=(base) y2=(base) {}
            @for (i, &count) in counts.iter().enumerate() {
                // A bar of one among hundreds still shows.
                @let bar_h = if count == 0 { 0.0 } else { (count as f64 / peak as f64 * plot_h).max(3.0) };
                @let x = left + i as f64 * slot;
                g.bin.(verdict_class(verdicts[i])) data-count=(count) {
                    title { (count) " stun" @if count != 1 { "s" } " of " (labels[i]) }
                    rect x=(f1(x + 6.0)) y=(f1(base - bar_h)) width=(f1(slot - 12.0)) height=(f1(bar_h)) {}
                    text.count x=(f1(x + slot / 2.0)) y=(f1(base - bar_h - 6.0)) { (count) }
                    text.bin x=(f1(x + slot / 2.0)) y=(f1(base + 18.0)) { (labels[i]) }
                }
            }
            @for (i, name) in [(6usize, "Q/2"), (7, "Q")] {
                @let x = left + i as f64 * slot;
                line.edge x1=(f1(x)) x2=(f1(x)) y1=(top - 10.0) y2=(f1(base + 4.0)) {}
                text.edge x=(f1(x + 4.0)) y=(top - 2.0) { (name) }
            }
        }
    }
}

/// Compact bin edges: `125 ms`, `1 s`, `0.5 s`.
fn short_us(us: u64) -> String {
    if us >= 500_000 {
        secs(us)
    } else if us.is_multiple_of(1000) {
        format!("{} ms", us / 1000)
    } else {
        human_us(us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale<'a>(zone: &'a Zone, t0: &str, t1: &str) -> Scale<'a> {
        let ms = |t: &str| zone.parse_user_time(t, false).expect("a time");
        Scale {
            t0: ms(t0),
            t1: ms(t1),
            y_max: 1,
            q_us: 1,
            zone,
        }
    }

    /// A month's tick is at its first midnight in the zone, by the zone's
    /// rules on that day: Sydney changed to summer time on 1 October 2023
    /// at 02:00, so the October tick is at midnight +10:00, and the
    /// November one at midnight +11:00.
    #[test]
    fn month_ticks_fall_on_the_zones_midnight() {
        let sydney = Zone::parse("Australia/Sydney").unwrap();
        let s = scale(&sydney, "2023-05-01", "2024-01-28");
        let ticks = month_ticks(&s).expect("a calendar axis");
        let at = |label: &str| {
            let (t, _) = ticks.iter().find(|(_, l)| l == label).expect(label);
            sydney.format_rfc3339_ms(*t)
        };
        assert_eq!(at("2023-10"), "2023-10-01T00:00:00.000+10:00");
        assert_eq!(at("2023-11"), "2023-11-01T00:00:00.000+11:00");
    }

    /// Decades apart, the ticks still name years, no more than eight.
    #[test]
    fn month_ticks_over_decades_name_years() {
        let utc = Zone::utc();
        let s = scale(&utc, "1975-06-01", "2024-06-01");
        let ticks = month_ticks(&s).expect("a calendar axis");
        let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["1980", "1990", "2000", "2010", "2020"]);
        assert!(month_ticks(&scale(&utc, "2024-01-01", "2024-06-01")).is_none());
    }
}
