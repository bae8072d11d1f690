//! `table`: the human report on a terminal — a title, the sections of
//! [`view`], and a one-line verdict — fitted to the terminal's width.
//!
//! Columns are laid out here rather than by a table library: a library
//! that fits a width by wrapping cells splits times and durations across
//! lines, while [`layout`] drops and shortens whole columns instead. The
//! borders are a rule under the header only, which pastes cleanly into
//! mail and tickets and leaves the width to the data.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::Style;
use super::layout::{self, Plan, elide, width, wrap};
use super::view::{self, Cell, Section, VerdictLine};
use crate::analyze::Report;
use crate::qos::Verdict;

pub fn write(r: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let v = view::build(r, style);
    let paint = Paint(style.color);
    prose(out, &v.title, style.width, "")?;
    prose(out, &v.rule, style.width, "")?;
    for s in &v.sections {
        writeln!(out)?;
        section(out, s, style.width, paint)?;
        if style.explain && s.id == "clusters" {
            explain(out, &v.evidence, style.width)?;
        }
    }
    writeln!(out)?;
    verdict(out, &v.verdict, style.width, paint)?;
    // The errors and notes themselves went to standard error, beside this.
    if !v.errors.is_empty() {
        let n = v.errors.len() as u64;
        let text = format!("{n} input error{}: see standard error.", view::plural(n));
        prose(out, &text, style.width, "")?;
    }
    Ok(())
}

/// `--explain`: what decided each cluster's kind, one line per cluster,
/// cut at the terminal's width (`…`): the whole line is in `--format json`.
fn explain(out: &mut dyn Write, lines: &[String], limit: Option<usize>) -> io::Result<()> {
    writeln!(out, "What decided each kind:")?;
    for line in lines {
        let line = format!("  {line}");
        match limit {
            Some(w) if width(&line) > w => writeln!(out, "{}", elide_end(&line, w))?,
            _ => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// `text` cut to `max` columns, ending in `…`.
fn elide_end(text: &str, max: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// ANSI colour, or none.
#[derive(Debug, Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn code(v: Verdict) -> &'static str {
        match v {
            Verdict::Ok => "32",
            Verdict::Risk => "33",
            Verdict::Failover => "1;31",
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 && !code.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Writes prose wrapped at spaces to the width, `indent` before each line.
fn prose(out: &mut dyn Write, text: &str, limit: Option<usize>, indent: &str) -> io::Result<()> {
    let inner = limit.map(|w| w.saturating_sub(indent.len()).max(1));
    for line in wrap(text, inner) {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

fn section(out: &mut dyn Write, s: &Section, limit: Option<usize>, paint: Paint) -> io::Result<()> {
    for line in wrap(&s.title, limit) {
        writeln!(out, "{}", paint.wrap("1", &line))?;
    }
    let mut shortened = BTreeMap::new();
    match layout::plan(s, limit) {
        Plan::Table { cols, widths, gap } => {
            let grid = Grid {
                s,
                cols,
                widths,
                gap: " ".repeat(gap),
            };
            grid.write(out, paint, &mut shortened)?;
        }
        Plan::Records => records(out, s, paint)?,
    }
    for note in &s.notes {
        prose(out, note, limit, "")?;
    }
    if !shortened.is_empty() {
        writeln!(out, "Shortened above:")?;
        for (short, full) in shortened {
            listing(out, &short, &full, limit)?;
        }
    }
    Ok(())
}

/// A shortened name and the whole of it: on one line when it fits, else
/// the whole text below, indented and wrapped at its spaces (a long log
/// message is prose; a name without spaces stays whole).
fn listing(out: &mut dyn Write, short: &str, full: &str, limit: Option<usize>) -> io::Result<()> {
    let one = format!("  {short}  {full}");
    if limit.is_none_or(|w| width(&one) <= w) {
        return writeln!(out, "{one}");
    }
    writeln!(out, "  {short}")?;
    prose(out, full, limit, "      ")
}

/// A section laid out as a table: which columns, how wide, how far apart.
struct Grid<'a> {
    s: &'a Section,
    cols: Vec<usize>,
    widths: Vec<usize>,
    gap: String,
}

impl Grid<'_> {
    /// The header, a rule under it, the rows; names too wide for their
    /// column are shortened and remembered in `shortened` (short → full).
    fn write(
        &self,
        out: &mut dyn Write,
        paint: Paint,
        shortened: &mut BTreeMap<String, String>,
    ) -> io::Result<()> {
        let heads: Vec<Cell> = self
            .cols
            .iter()
            .map(|&c| Cell {
                text: self.s.columns[c].head.to_owned(),
                verdict: None,
            })
            .collect();
        writeln!(
            out,
            "{}",
            self.line(&heads, Paint(false), &mut BTreeMap::new())
        )?;
        let rule: Vec<String> = self.widths.iter().map(|&w| "─".repeat(w)).collect();
        writeln!(out, "{}", rule.join(&self.gap))?;
        for r in &self.s.rows {
            let cells: Vec<Cell> = self
                .cols
                .iter()
                .map(|&c| r.get(c).cloned().unwrap_or_else(Cell::blank))
                .collect();
            writeln!(out, "{}", self.line(&cells, paint, shortened))?;
        }
        Ok(())
    }

    /// One line: each cell padded to its column (numbers to the right),
    /// shortened with `…` when a name is too wide, coloured by verdict.
    fn line(
        &self,
        cells: &[Cell],
        paint: Paint,
        shortened: &mut BTreeMap<String, String>,
    ) -> String {
        let mut line = String::new();
        for (i, ((&c, &w), cell)) in self.cols.iter().zip(&self.widths).zip(cells).enumerate() {
            let mut text = cell.text.clone();
            if width(&text) > w {
                text = elide(&cell.text, w);
                shortened.insert(text.clone(), cell.text.clone());
            }
            let pad = " ".repeat(w.saturating_sub(width(&text)));
            let shown = match cell.verdict {
                Some(v) => paint.wrap(Paint::code(v), &text),
                None => text,
            };
            if i > 0 {
                line.push_str(&self.gap);
            }
            if self.s.columns[c].right {
                line.push_str(&pad);
                line.push_str(&shown);
            } else {
                line.push_str(&shown);
                line.push_str(&pad);
            }
        }
        line.trim_end().to_owned()
    }
}

/// The last resort for a very narrow terminal: one block per row.
fn records(out: &mut dyn Write, s: &Section, paint: Paint) -> io::Result<()> {
    let label = s.columns.iter().map(|c| width(c.head)).max().unwrap_or(0);
    for (n, r) in s.rows.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        for (c, cell) in s.columns.iter().zip(r) {
            let pad = " ".repeat(label - width(c.head));
            let shown = match cell.verdict {
                Some(v) => paint.wrap(Paint::code(v), &cell.text),
                None => cell.text.clone(),
            };
            writeln!(out, "  {}{pad}  {shown}", c.head)?;
        }
    }
    Ok(())
}

fn verdict(
    out: &mut dyn Write,
    v: &VerdictLine,
    limit: Option<usize>,
    paint: Paint,
) -> io::Result<()> {
    let lines = wrap(&format!("{}: {}", v.head, v.text), limit);
    for (i, line) in lines.iter().enumerate() {
        // The head is coloured (bold) on the first line; the rest plain.
        if i == 0 && line.starts_with(&v.head) {
            let code = match v.level {
                Some(l) => format!("1;{}", Paint::code(l).trim_start_matches("1;")),
                None => "1".to_owned(),
            };
            let rest = &line[v.head.len()..];
            writeln!(out, "{}{rest}", paint.wrap(&code, &v.head))?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
