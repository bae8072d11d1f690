//! The view model: what a human report is made of — sections of columns
//! and cells, a verdict line, and the form times take — whatever format
//! lays it out.

use crate::qos::Verdict;
use crate::units::human_us;
use crate::zone::{Civil, Zone};

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
    pub(in crate::render) fn text(head: &'static str) -> Column {
        Column {
            head,
            right: false,
            drop: None,
            elide: None,
        }
    }

    pub(in crate::render) fn num(head: &'static str) -> Column {
        Column {
            right: true,
            ..Column::text(head)
        }
    }

    pub(in crate::render) fn drop_at(mut self, rank: u8) -> Column {
        self.drop = Some(rank);
        self
    }

    pub(in crate::render) fn elide_at(mut self, rank: u8) -> Column {
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
    pub(in crate::render) fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            verdict: None,
        }
    }

    pub fn blank() -> Cell {
        Cell::new("")
    }

    pub(in crate::render) fn verdict(v: Verdict) -> Cell {
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
    /// What decided each cluster's kind, one line per cluster in the order
    /// of the clusters section.
    pub evidence: Vec<String>,
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
    pub(in crate::render) fn context(self) -> String {
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

/// A duration cell; `-` for none.
pub fn dur(us: u64) -> Cell {
    Cell::new(if us == 0 {
        "-".to_owned()
    } else {
        human_us(us)
    })
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
