//! Rendering a [`Report`] in the chosen format (SPEC section 6).
//!
//! Every string in the report was escaped when it entered the data model
//! (see [`crate::escape`]), so renderers only lay text out.

mod db;
mod json;
mod table;
mod text;

use std::io::{self, Write};

use crate::analyze::Report;
use crate::cli::Format;

/// How to render.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub format: Format,
    pub header: bool,
    pub color: bool,
    pub top: usize,
}

/// The column order of `tsv` and `csv`.
pub const COLUMNS: [&str; 9] = [
    "stun_us", "verdict", "time", "host", "vm", "kind", "cluster", "source", "line",
];

pub fn render(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    match style.format {
        Format::Table => table::write(report, style, out),
        Format::Tsv => text::tsv(report, style.header, out),
        Format::Csv => text::csv(report, out),
        Format::Raw => text::raw(report, out),
        Format::Json => json::document(report, out),
        Format::Ndjson => json::ndjson(report, out),
    }
}
