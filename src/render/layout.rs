//! Fitting a [`Section`] into a terminal's width.
//!
//! Cells are never wrapped: a time, a number or a duration split over two
//! lines is unreadable, which is what a table library's dynamic wrapping
//! does on a narrow terminal. Instead, when the table is too wide, the
//! columns' own reductions run in order of rank — a column dropped, a name
//! column shortened with `…` — until it fits; the gap between columns
//! narrows last; and when even that fails, each row is printed as a block
//! of `column value` lines.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::view::Section;

/// Names are not shortened below this many columns: `db1-p…d` still says
/// something, `d…` does not.
pub const ELIDE_MIN: usize = 7;

/// The normal space between columns; one space is the last resort.
const GAP: usize = 2;

/// How to print a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// A table of the `cols` (indices into the section's columns), each
    /// `widths` wide, `gap` spaces apart.
    Table {
        cols: Vec<usize>,
        widths: Vec<usize>,
        gap: usize,
    },
    /// One block of `column value` lines per row.
    Records,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// Shorten a name column (tried before dropping at the same rank).
    Elide(usize),
    Drop(usize),
}

/// Display width: East Asian wide characters count two, combining marks
/// none.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Plans `s` for a terminal `limit` columns wide (`None`: no limit).
pub fn plan(s: &Section, limit: Option<usize>) -> Plan {
    let natural: Vec<usize> = (0..s.columns.len())
        .map(|i| {
            s.rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| width(&c.text))
                .max()
                .unwrap_or(0)
                .max(width(s.columns[i].head))
        })
        .collect();
    let mut cols: Vec<usize> = (0..s.columns.len()).collect();
    let mut widths = natural.clone();
    let Some(limit) = limit else {
        return table(cols, &widths, GAP);
    };
    let total = |cols: &[usize], widths: &[usize], gap: usize| {
        cols.iter().map(|&c| widths[c]).sum::<usize>() + gap * cols.len().saturating_sub(1)
    };

    let mut steps: Vec<(u8, Step)> = Vec::new();
    for (i, c) in s.columns.iter().enumerate() {
        steps.extend(c.elide.map(|r| (r, Step::Elide(i))));
        steps.extend(c.drop.map(|r| (r, Step::Drop(i))));
    }
    steps.sort();
    for (_, step) in steps {
        let now = total(&cols, &widths, GAP);
        if now <= limit {
            break;
        }
        match step {
            Step::Elide(i) => {
                let floor = ELIDE_MIN.max(width(s.columns[i].head)).min(natural[i]);
                widths[i] = widths[i].saturating_sub(now - limit).max(floor);
            }
            Step::Drop(i) => cols.retain(|&c| c != i),
        }
    }
    // A later drop may have left room for names shortened before it.
    let mut slack = limit.saturating_sub(total(&cols, &widths, GAP));
    for &c in &cols {
        let give = (natural[c] - widths[c]).min(slack);
        widths[c] += give;
        slack -= give;
    }
    for gap in [GAP, 1] {
        if total(&cols, &widths, gap) <= limit {
            return table(cols, &widths, gap);
        }
    }
    Plan::Records
}

fn table(cols: Vec<usize>, widths: &[usize], gap: usize) -> Plan {
    let widths = cols.iter().map(|&c| widths[c]).collect();
    Plan::Table { cols, widths, gap }
}

/// `text` in at most `max` columns: whole when it fits, else its head and
/// tail around `…` — the tail keeps what tells similar names apart
/// (`IRISDB-PROD-01` / `-02`, `vmware-1.log` / `vmware-2.log`).
pub fn elide(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(1);
    let head_room = room.div_ceil(2);
    let mut head = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_room {
            break;
        }
        head.push(c);
        used += w;
    }
    let tail_room = room - used;
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_room {
            break;
        }
        tail.push(c);
        used += w;
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

/// Splits prose into lines of at most `limit` columns at spaces; a word
/// longer than the line stays whole.
pub fn wrap(text: &str, limit: Option<usize>) -> Vec<String> {
    let Some(limit) = limit else {
        return vec![text.to_owned()];
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in unbreakable(text) {
        if !line.is_empty() && width(&line) + 1 + width(&word) > limit {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The words of `text`, with the spaces that must not break a line kept
/// inside them: `17 s`, `402.9 ms`, `≥ 4 s`.
fn unbreakable(text: &str) -> Vec<String> {
    let is_unit = |w: &str| {
        let bare = w.trim_end_matches(['.', ',', ';', ':', ')']);
        matches!(bare, "s" | "ms" | "us" | "µs" | "m" | "h" | "min")
    };
    let mut words: Vec<String> = Vec::new();
    for w in text.split(' ').filter(|w| !w.is_empty()) {
        let glue = words.last().is_some_and(|prev| {
            (is_unit(w) && prev.ends_with(|c: char| c.is_ascii_digit()))
                || matches!(prev.as_str(), "≥" | "≤" | "<" | ">" | "=" | "—")
        });
        match words.last_mut() {
            Some(prev) if glue => {
                prev.push(' ');
                prev.push_str(w);
            }
            _ => words.push(w.to_owned()),
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::super::view::{Cell, Column};
    use super::*;

    fn col(head: &'static str, drop: Option<u8>, elide: Option<u8>) -> Column {
        Column {
            head,
            right: false,
            drop,
            elide,
        }
    }

    fn section(columns: Vec<Column>, rows: &[&[&str]]) -> Section {
        Section {
            id: "t",
            title: "T".into(),
            columns,
            rows: rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|t| Cell {
                            text: (*t).to_owned(),
                            verdict: None,
                        })
                        .collect()
                })
                .collect(),
            notes: vec![],
        }
    }

    #[test]
    fn fits_without_change_when_there_is_room() {
        let s = section(
            vec![col("a", None, None), col("b", Some(1), None)],
            &[&["xxxx", "yy"]],
        );
        let want = Plan::Table {
            cols: vec![0, 1],
            widths: vec![4, 2],
            gap: 2,
        };
        assert_eq!(plan(&s, None), want);
        assert_eq!(plan(&s, Some(8)), want);
    }

    #[test]
    fn drops_then_elides_in_rank_order_and_gives_back_slack() {
        let s = section(
            vec![
                col("name", None, Some(2)),
                col("extra", Some(1), None),
                col("n", None, None),
            ],
            &[&["a-rather-long-name", "12345", "1"]],
        );
        // 18 + 5 + 1 + 4 = 28; without `extra`: 21.
        assert_eq!(
            plan(&s, Some(21)),
            Plan::Table {
                cols: vec![0, 2],
                widths: vec![18, 1],
                gap: 2
            }
        );
        assert_eq!(
            plan(&s, Some(15)),
            Plan::Table {
                cols: vec![0, 2],
                widths: vec![12, 1],
                gap: 2
            }
        );
        assert_eq!(plan(&s, Some(5)), Plan::Records);
    }

    #[test]
    fn elides_in_the_middle() {
        assert_eq!(elide("db1-prod", 8), "db1-prod");
        assert_eq!(elide("IRISDB-PROD-01", 9), "IRIS…D-01");
        assert_eq!(width(&elide("IRISDB-PROD-01", 9)), 9);
        assert_eq!(elide("日本語のVM名前", 7), "日…名前");
    }

    #[test]
    fn wraps_at_spaces_only() {
        assert_eq!(wrap("a bb ccc", Some(4)), ["a bb", "ccc"]);
        assert_eq!(wrap("longword x", Some(4)), ["longword", "x"]);
        assert_eq!(wrap("a b", None), ["a b"]);
        assert_eq!(wrap("QoS: 17 s.", Some(8)), ["QoS:", "17 s."]);
        assert_eq!(wrap("at ≥ 4 s (Q/2)", Some(6)), ["at", "≥ 4 s", "(Q/2)"]);
    }
}
