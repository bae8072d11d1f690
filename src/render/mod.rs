//! Rendering a [`Report`] in the chosen format: one file per format.
//!
//! Every string in the report was escaped when it entered the data model
//! (see [`crate::escape`]), so renderers only lay text out. One file per
//! format; the human formats (`table`, `markdown`, `html`) share what they
//! say through [`view`].

mod html;
mod json;
mod layout;
mod markdown;
mod table;
mod text;
pub mod view;

use std::io::{self, Write};

use crate::analyze::{Event, Report};
use crate::cli::Format;
use crate::zone::{self, Zone};

/// How to render.
#[derive(Debug, Clone)]
pub struct Style {
    pub format: Format,
    pub header: bool,
    pub color: bool,
    pub top: usize,
    /// The terminal's width for `table`; `None`: no limit.
    pub width: Option<usize>,
    /// The zone times are shown in.
    pub zone: Zone,
    /// `--explain`: the table says what decided each cluster's kind.
    pub explain: bool,
}

/// The column order of `tsv` and `csv`.
pub const COLUMNS: [&str; 9] = [
    "stun_us", "verdict", "time", "host", "vm", "kind", "cluster", "source", "line",
];

/// Writes one event in a streaming format (`tsv`, `csv`, `raw`, `ndjson`),
/// for a live watch; false for the other formats, which it leaves to the
/// caller.
pub fn event_record(e: &Event, style: &Style, out: &mut dyn Write) -> io::Result<bool> {
    zone::with_output_zone(&style.zone, || {
        match style.format {
            Format::Tsv => text::tsv_row(e, &style.zone, out)?,
            Format::Csv => text::csv_row(e, &style.zone, out)?,
            Format::Raw => text::raw_row(e, out)?,
            Format::Ndjson => json::ndjson_row(e, out)?,
            _ => return Ok(false),
        }
        Ok(true)
    })
}

/// The header a streaming format starts with, if any (`csv` always,
/// `tsv` with `--header`).
pub fn stream_header(style: &Style, out: &mut dyn Write) -> io::Result<()> {
    match style.format {
        Format::Csv => text::csv_header(out),
        Format::Tsv if style.header => writeln!(out, "{}", COLUMNS.join("\t")),
        _ => Ok(()),
    }
}

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    // The data model's serializers write times through
    // `zone::format_rfc3339_ms`, which follows the zone set here.
    zone::with_output_zone(&style.zone, || match style.format {
        Format::Table => table::write(report, style, out),
        Format::Markdown => markdown::write(report, style, out),
        Format::Html => html::write(report, style, out),
        Format::Tsv => text::tsv(report, style.header, &style.zone, out),
        Format::Csv => text::csv(report, &style.zone, out),
        Format::Raw => text::raw(report, out),
        Format::Json => json::document(report, out),
        Format::Ndjson => json::ndjson(report, out),
    })
}
