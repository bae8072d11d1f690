//! `markdown`: the human report as GitHub/Jira-style pipe tables, for
//! pasting into a ticket. The verdict comes right after the title: a
//! ticket's reader wants the answer first.

use std::io::{self, Write};

use super::Style;
use super::view::{self, Section};
use crate::analyze::Report;

pub fn write(r: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let v = view::build(r, style);
    writeln!(out, "# {}\n", escape(&v.title))?;
    writeln!(out, "{}\n", escape(&v.rule))?;
    writeln!(
        out,
        "**{}:** {}",
        escape(&v.verdict.head),
        escape(&v.verdict.text)
    )?;
    for s in &v.sections {
        writeln!(out)?;
        section(out, s)?;
        if s.id == "clusters" && !v.evidence.is_empty() {
            writeln!(out, "\nWhat decided each kind:\n")?;
            for e in &v.evidence {
                writeln!(out, "- {}", escape(e))?;
            }
        }
    }
    list(
        out,
        "Input errors (the report may be incomplete)",
        &v.errors,
    )?;
    list(out, "Notes", &v.notes)
}

fn list(out: &mut dyn Write, title: &str, items: &[String]) -> io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n## {title}\n")?;
    for i in items {
        writeln!(out, "- {}", escape(i))?;
    }
    Ok(())
}

fn section(out: &mut dyn Write, s: &Section) -> io::Result<()> {
    writeln!(out, "## {}\n", escape(&s.title))?;
    let heads: Vec<String> = s.columns.iter().map(|c| escape(c.head)).collect();
    writeln!(out, "| {} |", heads.join(" | "))?;
    let rules: Vec<&str> = s
        .columns
        .iter()
        .map(|c| if c.right { "---:" } else { ":---" })
        .collect();
    writeln!(out, "|{}|", rules.join("|"))?;
    for row in &s.rows {
        let cells: Vec<String> = row.iter().map(|c| escape(&c.text)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    for note in &s.notes {
        writeln!(out, "\n{}", escape(note))?;
    }
    Ok(())
}

/// Escapes what markdown would read as markup: `|` would end a cell, `*`,
/// `_`, `` ` ``, `~`, `[`, `<` would format or link a name taken from a log.
/// Control characters were escaped when the name was read.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '|' | '*' | '_' | '`' | '~' | '[' | ']' | '<' | '>' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("db1-prod"), "db1-prod");
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("*x* _y_ `z`"), "\\*x\\* \\_y\\_ \\`z\\`");
        assert_eq!(escape("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(escape("C:\\VMs"), "C:\\\\VMs");
    }
}
