//! The human report as format-neutral sections: what `table`, `markdown`
//! and `html` show, decided once so the three say the same thing.
//!
//! A section is a title, columns and rows of display strings. Each column
//! also says how expendable it is when a terminal is narrow (see
//! [`super::layout`]); markdown and html ignore that and show everything.

use super::Style;
use crate::analyze::{
    Cluster, Event, HostReport, KindSource, Quiesce, QuiesceOutcome, Report, VmReport, Window,
};
use crate::qos::{QOS_WARN_S, Verdict};
use crate::units::{human_span_ms, human_us, secs};
use crate::zone::{Civil, Zone, format_offset};

/// One column of a section.
#[derive(Debug, Clone)]
pub struct Column {
    pub head: &'static str,
    /// Numbers and durations are right-aligned.
    pub right: bool,
    /// When the table is too wide, reductions run in ascending rank: at this
    /// rank the column is dropped. `None`: never dropped.
    pub drop: Option<u8>,
    /// At this rank the column's names may be shortened with `…` (and listed
    /// whole below the table). `None`: its values are never shortened.
    pub elide: Option<u8>,
}

impl Column {
    pub(super) fn text(head: &'static str) -> Column {
        Column {
            head,
            right: false,
            drop: None,
            elide: None,
        }
    }

    pub(super) fn num(head: &'static str) -> Column {
        Column {
            right: true,
            ..Column::text(head)
        }
    }

    pub(super) fn drop_at(mut self, rank: u8) -> Column {
        self.drop = Some(rank);
        self
    }

    pub(super) fn elide_at(mut self, rank: u8) -> Column {
        self.elide = Some(rank);
        self
    }
}

/// One cell: its text, and a verdict when the cell shows one (for colour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub verdict: Option<Verdict>,
}

impl Cell {
    pub(super) fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            verdict: None,
        }
    }

    pub fn blank() -> Cell {
        Cell::new("")
    }

    pub(super) fn verdict(v: Verdict) -> Cell {
        Cell {
            text: v.as_str().to_owned(),
            verdict: Some(v),
        }
    }
}

/// A titled table, with lines that explain its marks.
#[derive(Debug, Clone)]
pub struct Section {
    /// A stable identifier (html anchors, tests).
    pub id: &'static str,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub notes: Vec<String>,
}

/// The closing verdict: a level (for colour), a head and the sentence.
#[derive(Debug, Clone)]
pub struct VerdictLine {
    pub level: Option<Verdict>,
    pub head: String,
    pub text: String,
}

/// The whole human report.
#[derive(Debug, Clone)]
pub struct View {
    /// `Stun report — 11 stuns in 3 VMs on 2 hosts · QoS 8 s · times UTC`
    pub title: String,
    /// The rule and where Q came from.
    pub rule: String,
    pub sections: Vec<Section>,
    pub verdict: VerdictLine,
    /// `source: message` of each input error and each note: a file (markdown,
    /// html) carries them, as it has no standard error beside it.
    pub errors: Vec<String>,
    pub notes: Vec<String>,
    pub times: TimeForm,
}

/// How much of a time the human formats print: when every time shown
/// falls in one year (or one day), repeating it on every row says nothing,
/// so it moves to the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeForm {
    Full,
    /// Every time in this year: `11-18 22:00:07.882`.
    Year(i32),
    /// Every time on this day: `22:00:07.882`.
    Day(i32, u32, u32),
}

impl TimeForm {
    /// The narrowest form that loses nothing for these wall-clock readings.
    pub fn of(times: impl IntoIterator<Item = Civil>) -> TimeForm {
        let mut form: Option<TimeForm> = None;
        for c in times {
            form = Some(match form {
                None => TimeForm::Day(c.year, c.month, c.day),
                Some(TimeForm::Day(y, m, d)) if (y, m, d) == (c.year, c.month, c.day) => {
                    TimeForm::Day(y, m, d)
                }
                Some(TimeForm::Day(y, ..) | TimeForm::Year(y)) if y == c.year => TimeForm::Year(y),
                Some(_) => TimeForm::Full,
            });
        }
        form.unwrap_or(TimeForm::Full)
    }

    pub fn format(self, c: &Civil) -> String {
        let clock = format!(
            "{:02}:{:02}:{:02}.{:03}",
            c.hour, c.minute, c.second, c.milli
        );
        match self {
            TimeForm::Day(..) => clock,
            TimeForm::Year(_) => format!("{:02}-{:02} {clock}", c.month, c.day),
            TimeForm::Full => format!("{:04}-{:02}-{:02} {clock}", c.year, c.month, c.day),
        }
    }

    /// What the title says about the part left out: `, on 2025-11-19`.
    fn context(self) -> String {
        match self {
            TimeForm::Full => String::new(),
            TimeForm::Year(y) => format!(", all in {y}"),
            TimeForm::Day(y, m, d) => format!(", all on {y:04}-{m:02}-{d:02}"),
        }
    }
}

/// What the view needs besides the report.
pub struct Ctx<'a> {
    pub zone: &'a Zone,
    pub form: TimeForm,
    /// More than one host: host columns are shown (with one, the title
    /// names it).
    pub many_hosts: bool,
}

impl Ctx<'_> {
    pub fn time(&self, ms: i64) -> String {
        self.form.format(&self.zone.wall(ms))
    }
}

/// Builds the view of `r`.
pub fn build(r: &Report, style: &Style) -> View {
    let top = top_events(r, style.top);
    let zone = &style.zone;
    let shown = r
        .clusters
        .iter()
        .flat_map(|c| [c.start, c.end])
        .chain(r.windows.iter().flat_map(|w| [w.created, w.consolidated]))
        .chain(r.quiesces.iter().flat_map(|q| [Some(q.start), q.end]).flatten())
        .chain(top.iter().map(|e| e.time))
        .chain(super::db::shown_times(&r.db))
        .collect::<Vec<i64>>();
    let form = TimeForm::of(shown.iter().map(|&ms| zone.wall(ms)));
    let ctx = Ctx {
        zone,
        form,
        many_hosts: r.hosts.len() > 1,
    };
    let mut sections = vec![vms_section(&r.vms, &ctx)];
    if ctx.many_hosts {
        sections.push(hosts_section(&r.hosts));
    }
    if !r.clusters.is_empty() {
        sections.push(clusters_section(&r.clusters, &ctx));
    }
    let notable: Vec<&Quiesce> = r
        .quiesces
        .iter()
        .filter(|q| q.outcome != QuiesceOutcome::Done || q.cluster.is_none() || q.fell_back_at.is_some())
        .collect();
    if !notable.is_empty() {
        sections.push(quiesces_section(&notable, &ctx));
    }
    if !r.windows.is_empty() {
        sections.push(windows_section(&r.windows, &ctx));
    }
    if !top.is_empty() {
        sections.push(top_section(r, &top, &ctx));
    }
    sections.extend(super::db::sections(r, &ctx));
    View {
        title: title(r, zone, form, shown.into_iter()),
        rule: format!(
            "Q = {}: risk at ≥ {} (Q/2), failover at ≥ {} (Q)",
            r.qos.describe(),
            secs(r.qos.us / 2),
            secs(r.qos.us),
        ),
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

fn vms_section(vms: &[VmReport], ctx: &Ctx) -> Section {
    let mut columns = vec![];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(4));
    }
    columns.extend([
        Column::text("vm").elide_at(5),
        Column::num("stuns"),
        Column::num("p50").drop_at(6),
        Column::num("p90").drop_at(3),
        Column::num("p99").drop_at(1),
        Column::num("max"),
        Column::num("total").drop_at(2),
        Column::num("risk"),
        Column::num("failover"),
        Column::num("rec. QoS"),
    ]);
    let rows = vms
        .iter()
        .map(|v| {
            let mut row = vec![];
            if ctx.many_hosts {
                row.push(Cell::new(&*v.host));
            }
            row.extend([
                Cell::new(&*v.vm),
                Cell::new(v.events.to_string()),
                dur(v.p50_us),
                dur(v.p90_us),
                dur(v.p99_us),
                dur(v.max_us),
                dur(v.total_us),
                Cell::new(v.risk.to_string()),
                Cell::new(v.failover.to_string()),
                rec_qos(v.recommended_qos_s),
            ]);
            row
        })
        .collect();
    Section {
        id: "vms",
        title: "VMs".to_owned(),
        columns,
        rows,
        notes: vec![],
    }
}

fn hosts_section(hosts: &[HostReport]) -> Section {
    let columns = vec![
        Column::text("host").elide_at(1),
        Column::num("VMs"),
        Column::num("stuns"),
        Column::num("max"),
        Column::num("risk"),
        Column::num("failover"),
        Column::num("rec. QoS"),
    ];
    let rows = hosts
        .iter()
        .map(|h| {
            vec![
                Cell::new(&*h.host),
                Cell::new(h.vms.to_string()),
                Cell::new(h.events.to_string()),
                dur(h.max_us),
                Cell::new(h.risk.to_string()),
                Cell::new(h.failover.to_string()),
                rec_qos(h.recommended_qos_s),
            ]
        })
        .collect();
    Section {
        id: "hosts",
        title: "Hosts".to_owned(),
        columns,
        rows,
        notes: vec![],
    }
}

/// `create?` marks a kind guessed from the pattern of stuns.
fn kind_text(kind: &str, source: KindSource) -> String {
    match source {
        KindSource::Marker => kind.to_owned(),
        KindSource::Heuristic => format!("{kind}?"),
    }
}

fn clusters_section(clusters: &[Cluster], ctx: &Ctx) -> Section {
    let mut columns = vec![Column::num("#")];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(3));
    }
    columns.extend([
        Column::text("vm").elide_at(6),
        Column::text("kind"),
        Column::text("snapshot").elide_at(4).drop_at(5),
        Column::text("quiesce").drop_at(1),
        Column::text("start"),
        Column::text("end").drop_at(2),
        Column::num("stuns"),
        Column::num("max"),
        Column::num("total").drop_at(1),
        Column::text("verdict"),
    ]);
    let rows = clusters
        .iter()
        .map(|c| {
            let mut row = vec![Cell::new(c.id.to_string())];
            if ctx.many_hosts {
                row.push(Cell::new(&*c.host));
            }
            row.extend([
                Cell::new(&*c.vm),
                Cell::new(kind_text(c.kind.as_str(), c.kind_source)),
                Cell::new(c.snapshot.as_deref().unwrap_or("-")),
                Cell::new(quiesce_text(c)),
                Cell::new(ctx.time(c.start)),
                Cell::new(ctx.time(c.end)),
                Cell::new(c.events.to_string()),
                dur(c.max_us),
                dur(c.total_us),
                Cell::verdict(c.verdict),
            ]);
            row
        })
        .collect();
    let mut notes = vec![];
    if clusters
        .iter()
        .any(|c| c.kind_source == KindSource::Heuristic)
    {
        notes.push(
            "? kind guessed from the pattern of stuns: the log has no snapshot or vMotion marker for it"
                .to_owned(),
        );
    }
    Section {
        id: "clusters",
        title: "Clusters (stuns at most the --gap apart)".to_owned(),
        columns,
        rows,
        notes,
    }
}

/// A create cluster's quiesce: how long it took (`1.2 s`), how it ended
/// when not well (`timeout 15m 0s`), `yes` when it was asked for and the
/// log says no more, `no` when it was not asked for.
fn quiesce_text(c: &Cluster) -> String {
    match (&c.quiesce, c.quiesced) {
        (Some(q), _) => quiesce_span(q),
        (None, Some(true)) => "yes".to_owned(),
        (None, Some(false)) => "no".to_owned(),
        (None, None) => "-".to_owned(),
    }
}

/// `1.2 s` for a quiesce that ended well, else its outcome and length.
fn quiesce_span(q: &Quiesce) -> String {
    let span = q.ms.map(|ms| {
        if ms < 60_000 {
            human_us(u64::try_from(ms).unwrap_or(0) * 1000)
        } else {
            human_span_ms(ms)
        }
    });
    match (q.outcome, span) {
        (QuiesceOutcome::Done, Some(span)) => span,
        (outcome, Some(span)) => format!("{} {span}", outcome.as_str()),
        (outcome, None) => outcome.as_str().to_owned(),
    }
}

/// The quiesce attempts that did not end in a clean snapshot — failed,
/// timed out, still open, or followed by no snapshot stun — with the
/// cluster whose stun followed: a quiesce that failed before any stun is
/// what a DBA asks about. (A clean one shows in its cluster's row.)
fn quiesces_section(quiesces: &[&Quiesce], ctx: &Ctx) -> Section {
    let mut columns = vec![];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(2));
    }
    columns.extend([
        Column::text("vm").elide_at(4),
        Column::text("snapshot").elide_at(3).drop_at(3),
        Column::text("start"),
        Column::text("end").drop_at(1),
        Column::text("quiesce"),
        Column::text("cluster"),
    ]);
    let rows = quiesces
        .iter()
        .map(|q| {
            let mut row = vec![];
            if ctx.many_hosts {
                row.push(Cell::new(&*q.host));
            }
            row.extend([
                Cell::new(&*q.vm),
                Cell::new(q.snapshot.as_deref().unwrap_or("-")),
                Cell::new(ctx.time(q.start)),
                Cell::new(q.end.map_or_else(|| "-".to_owned(), |e| ctx.time(e))),
                Cell::new(quiesce_span(q)),
                Cell::new(q.cluster.map_or_else(|| "none".to_owned(), |id| format!("#{id}"))),
            ]);
            row
        })
        .collect();
    let notes = quiesces
        .iter()
        .filter_map(|q| crate::analyze::quiesce_note(q))
        .collect();
    Section {
        id: "quiesces",
        title: "Quiesces that did not end in a clean snapshot".to_owned(),
        columns,
        rows,
        notes,
    }
}

fn windows_section(windows: &[Window], ctx: &Ctx) -> Section {
    let mut columns = vec![];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(2));
    }
    columns.extend([
        Column::text("vm").elide_at(4),
        Column::text("snapshot").elide_at(3),
        Column::text("created"),
        Column::text("consolidated").drop_at(1),
        Column::num("lifetime"),
        Column::num("max"),
        Column::text("verdict"),
    ]);
    let rows = windows
        .iter()
        .map(|w| {
            let mut row = vec![];
            if ctx.many_hosts {
                row.push(Cell::new(&*w.host));
            }
            row.extend([
                Cell::new(&*w.vm),
                Cell::new(w.snapshot.as_deref().unwrap_or("-")),
                Cell::new(ctx.time(w.created)),
                Cell::new(ctx.time(w.consolidated)),
                Cell::new(human_span_ms(w.consolidated - w.created)),
                dur(w.max_us),
                Cell::verdict(w.verdict),
            ]);
            row
        })
        .collect();
    Section {
        id: "windows",
        title: "Backup windows (snapshot create → consolidate)".to_owned(),
        columns,
        rows,
        notes: vec![],
    }
}

fn top_section(r: &Report, top: &[&Event], ctx: &Ctx) -> Section {
    let mut columns = vec![
        Column::num("stun"),
        Column::num("us").drop_at(1),
        Column::text("verdict"),
        Column::text("time"),
    ];
    if ctx.many_hosts {
        columns.push(Column::text("host").drop_at(3));
    }
    columns.extend([
        Column::text("vm").elide_at(5),
        Column::text("kind"),
        Column::num("#").drop_at(4),
        Column::text("file:line").drop_at(2),
    ]);
    // Cluster ids are 1, 2, … in order; look the id up rather than trust it.
    let source_of = |id: u64| {
        let at = usize::try_from(id).ok().and_then(|i| i.checked_sub(1));
        at.and_then(|i| r.clusters.get(i))
            .filter(|c| c.id == id)
            .or_else(|| r.clusters.iter().find(|c| c.id == id))
            .map_or(KindSource::Marker, |c| c.kind_source)
    };
    let rows = top
        .iter()
        .map(|e| {
            let mut time = ctx.time(e.time);
            if e.approx_time {
                time.push('~');
            }
            let mut row = vec![
                dur(e.stun_us),
                Cell::new(e.stun_us.to_string()),
                Cell::verdict(e.verdict),
                Cell::new(time),
            ];
            if ctx.many_hosts {
                row.push(Cell::new(&*e.host));
            }
            row.extend([
                Cell::new(&*e.vm),
                Cell::new(kind_text(e.kind.as_str(), source_of(e.cluster))),
                Cell::new(e.cluster.to_string()),
                // Host and vm already say where; the full source is in tsv/json.
                Cell::new(format!("{}:{}", short_source(&e.source), e.line)),
            ]);
            row
        })
        .collect();
    let mut notes = vec![];
    if top.iter().any(|e| e.approx_time) {
        notes.push(
            "~ year taken from the log's modification time (old log format without a year)"
                .to_owned(),
        );
    }
    let of = if r.min_us > 0 {
        format!(" of at least {}", human_us(r.min_us))
    } else {
        String::new()
    };
    Section {
        id: "top",
        title: format!(
            "Top {} stun{}{of} (longest first)",
            top.len(),
            plural(top.len() as u64)
        ),
        columns,
        rows,
        notes,
    }
}

/// A duration cell; `-` for none.
pub(super) fn dur(us: u64) -> Cell {
    Cell::new(if us == 0 {
        "-".to_owned()
    } else {
        human_us(us)
    })
}

fn rec_qos(s: Option<u64>) -> Cell {
    Cell::new(s.map_or("-".to_owned(), |s| format!("{s} s")))
}

/// The closing sentence: the worst verdict, the longest stun and the QoS to
/// set.
pub fn verdict_line(r: &Report) -> VerdictLine {
    let s = &r.summary;
    let Some(rec) = s.recommended_qos_s else {
        let logs: u64 = r.inputs.iter().map(|i| i.logs).sum();
        return VerdictLine {
            level: None,
            head: "Verdict".to_owned(),
            text: format!("no stun events in {logs} log{}.", plural(logs))
                + &super::db::verdict_sentence(&r.db).unwrap_or_default(),
        };
    };
    let q = secs(r.qos.us);
    let (level, head, mut text) = if s.failover > 0 {
        (
            Verdict::Failover,
            "Verdict: FAILOVER",
            format!(
                "{} stun{} at or above the QoS ({q}), enough to fail over any mirror; longest {}.",
                s.failover,
                plural(s.failover),
                human_us(s.max_us)
            ),
        )
    } else if s.risk > 0 {
        (
            Verdict::Risk,
            "Verdict: RISK",
            format!(
                "{} stun{} at or above Q/2 ({}), enough to fail over an idle mirror; longest {}.",
                s.risk,
                plural(s.risk),
                secs(r.qos.us / 2),
                human_us(s.max_us)
            ),
        )
    } else {
        (
            Verdict::Ok,
            "Verdict: OK",
            format!(
                "longest stun {} is under Q/2 ({}).",
                human_us(s.max_us),
                secs(r.qos.us / 2)
            ),
        )
    };
    text.push_str(&format!(" Recommended QoS: {rec} s."));
    text.extend(super::db::verdict_sentence(&r.db));
    if rec > QOS_WARN_S {
        text.push_str(&format!(
            " That is over {QOS_WARN_S} s, which causes problems of its own: fix the stun's cause (storage latency, snapshot age, backup timing) instead."
        ));
    }
    VerdictLine {
        level: Some(level),
        head: head.to_owned(),
        text,
    }
}

/// The file part of a source: `…!esx-h/…/db1/vmware-2.log.gz` → `vmware-2.log.gz`.
pub fn short_source(source: &str) -> &str {
    source.rsplit(['/', '!']).next().unwrap_or(source)
}

pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(y: i32, m: u32, d: u32) -> Civil {
        Civil {
            year: y,
            month: m,
            day: d,
            hour: 22,
            minute: 0,
            second: 7,
            milli: 882,
        }
    }

    #[test]
    fn time_form_is_the_narrowest_that_loses_nothing() {
        let a = civil(2025, 11, 18);
        let b = civil(2025, 11, 19);
        let c = civil(2026, 1, 2);
        assert_eq!(TimeForm::of([a, a]), TimeForm::Day(2025, 11, 18));
        assert_eq!(TimeForm::of([a, b]), TimeForm::Year(2025));
        assert_eq!(TimeForm::of([a, b, c]), TimeForm::Full);
        assert_eq!(TimeForm::of([]), TimeForm::Full);
        assert_eq!(TimeForm::Day(2025, 11, 18).format(&a), "22:00:07.882");
        assert_eq!(TimeForm::Year(2025).format(&a), "11-18 22:00:07.882");
        assert_eq!(TimeForm::Full.format(&a), "2025-11-18 22:00:07.882");
    }
}
