//! What a live watch writes: one record per stun, flushed at once, and at a
//! terminal a status line that never mixes with them.
//!
//! `tsv`, `csv`, `raw` and `ndjson` write each event exactly as a normal
//! scan does. `ndjson` also carries the records the line formats have no
//! column for: a cluster whose kind a later line decided
//! (`"record": "cluster"`) and database events (`"record": "db_event"`).
//! At a terminal (`table`) each stun is one line coloured by its verdict,
//! and the status line (files and VMs watched, how changes are noticed, the
//! last and the longest stun) is redrawn below the lines.

use std::io::{self, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::analyze::db::ExplainedBy;
use crate::analyze::{Cluster, Event};
use crate::cli::Format;
use crate::dblog::DbEvent;
use crate::qos::Verdict;
use crate::render::{self, Style};
use crate::units::human_us;
use crate::zone;
use crate::zone::format_rfc3339_ms;

pub struct Out {
    style: Style,
    status: Option<ProgressBar>,
    /// The watched directories, as shown: a terminal line names a log
    /// below them by its path from there.
    dirs: Vec<String>,
    /// The day of the last terminal line: a line of its own when it changes.
    day: std::cell::RefCell<String>,
}

impl Out {
    /// `status`: draw a status line on standard error.
    pub fn new(style: Style, status: bool, dirs: Vec<String>) -> Out {
        let status = status.then(|| {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            // Cut to the terminal's width: a status line never wraps.
            if let Ok(s) = ProgressStyle::with_template("{wide_msg}") {
                pb.set_style(s);
            }
            pb
        });
        Out {
            style,
            status,
            dirs,
            day: Default::default(),
        }
    }

    pub fn style(&self) -> &Style {
        &self.style
    }

    /// Writes to standard output with the status line out of the way, and
    /// flushes: a reader of the pipe sees each record as it is made.
    fn write(&self, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        let go = || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            f(&mut out)?;
            out.flush()
        };
        let r = match &self.status {
            Some(pb) => pb.suspend(go),
            None => go(),
        };
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(e),
            r => r,
        }
    }

    pub fn header(&self) -> io::Result<()> {
        self.write(|out| render::stream_header(&self.style, out))
    }

    pub fn event(&self, e: &Event) -> io::Result<()> {
        self.write(|out| {
            if render::event_record(e, &self.style, out)? {
                return Ok(());
            }
            let clock = self.clock(e.time, out)?;
            writeln!(out, "{}", self.event_line(&clock, e))
        })
    }

    fn paint(&self, v: Verdict, text: &str) -> String {
        if !self.style.color {
            return text.to_owned();
        }
        let code = match v {
            Verdict::Ok => "32",
            Verdict::Risk => "33",
            Verdict::Failover => "1;31",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    fn time(&self, ms: i64) -> String {
        self.style.zone.rfc3339(ms).to_string()
    }

    /// The time of day for a terminal line (`10:05:01.000`), after a line
    /// with the date when the day is not the last line's.
    fn clock(&self, ms: i64, out: &mut dyn Write) -> io::Result<String> {
        let full = self.time(ms);
        let (date, time) = full.split_once('T').unwrap_or(("", &full));
        let mut day = self.day.borrow_mut();
        if *day != date {
            *day = date.to_owned();
            writeln!(
                out,
                "{}",
                self.paint_code("1", &format!("{date} ({})", self.style.zone.name()))
            )?;
        }
        Ok(time.get(..12).unwrap_or(time).to_owned())
    }

    fn paint_code(&self, code: &str, text: &str) -> String {
        if self.style.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// A log's path from the watched directory that holds it.
    fn short<'a>(&self, source: &'a str) -> &'a str {
        self.dirs
            .iter()
            .find_map(|d| source.strip_prefix(d.as_str())?.strip_prefix('/'))
            .unwrap_or(source)
    }

    /// `15:02:11.123  risk       4.512 s  db1 (esx01)  create #12  db1/vmware.log:88`
    fn event_line(&self, clock: &str, e: &Event) -> String {
        let verdict = self.paint(e.verdict, &format!("{:<8}", e.verdict.as_str()));
        let host = if &*e.host == "-" {
            String::new()
        } else {
            format!(" ({})", e.host)
        };
        format!(
            "{clock}  {verdict} {:>9}  {}{host}  {} #{}  {}:{}",
            human_us(e.stun_us),
            e.vm,
            e.kind.as_str(),
            e.cluster,
            self.short(&e.source),
            e.line
        )
    }

    /// A cluster whose kind a later line decided.
    pub fn cluster(&self, c: &Cluster) -> io::Result<()> {
        match self.style.format {
            Format::Ndjson => self.write(|out| {
                let v = zone::with_output_zone(&self.style.zone, || serde_json::to_value(c));
                let mut v = v.map_err(io::Error::other)?;
                if let Value::Object(m) = &mut v {
                    m.insert("record".into(), "cluster".into());
                }
                writeln!(out, "{v}")
            }),
            Format::Table => self.write(|out| {
                writeln!(
                    out,
                    "{:12}  cluster #{} of {} is {}, {}",
                    "",
                    c.id,
                    c.vm,
                    c.kind.as_str(),
                    match c.kind_source {
                        crate::analyze::KindSource::Marker => "as its log's marker says",
                        crate::analyze::KindSource::Heuristic => "guessed from its stuns",
                        crate::analyze::KindSource::None => "no marker in its log says why",
                    },
                )
            }),
            _ => Ok(()),
        }
    }

    /// A database event, with the stun that explains it when one does.
    pub fn db_event(&self, e: &DbEvent, by: Option<&ExplainedBy>) -> io::Result<()> {
        match self.style.format {
            Format::Ndjson => self.write(|out| {
                let explained = by.map(|b| {
                    json!({
                        "host": &*b.host,
                        "vm": &*b.vm,
                        "time": zone::with_output_zone(&self.style.zone, || format_rfc3339_ms(b.time_ms)),
                        "stun_us": b.stun_us,
                        "verdict": b.verdict.as_str(),
                        "lag_ms": b.lag_ms,
                    })
                });
                let v = json!({
                    "record": "db_event",
                    "time": zone::with_output_zone(&self.style.zone, || format_rfc3339_ms(e.time_ms)),
                    "kind": e.kind.as_str(),
                    "member": &*e.member,
                    "text": e.text,
                    "source": &*e.source,
                    "line": e.line,
                    "explained_by": explained,
                });
                writeln!(out, "{v}")
            }),
            Format::Table => self.write(|out| {
                let why = match by {
                    Some(b) => format!(
                        "— explained by the {} {} stun of {} that ended at {} ({} after it began)",
                        human_us(b.stun_us),
                        self.paint(b.verdict, b.verdict.as_str()),
                        b.vm,
                        self.time(b.time_ms),
                        crate::units::human_span_ms(b.lag_ms)
                    ),
                    None if e.kind.is_correlated() => "— no stun explains it (yet)".to_owned(),
                    None => String::new(),
                };
                let clock = self.clock(e.time_ms, out)?;
                writeln!(
                    out,
                    "{clock}  {:<8} database {}: {}  {}",
                    e.kind.as_str(),
                    e.member,
                    e.text,
                    why
                )
            }),
            _ => Ok(()),
        }
    }

    /// A note on standard error, above the status line.
    pub fn note(&self, msg: &str) {
        let line = format!("stunscan: note: {msg}");
        match &self.status {
            Some(pb) => pb.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    pub fn set_status(&self, msg: String) {
        if let Some(pb) = &self.status {
            pb.set_message(msg);
        }
    }

    /// Clears the status line for good.
    pub fn finish(&self) {
        if let Some(pb) = &self.status {
            pb.finish_and_clear();
        }
    }
}
