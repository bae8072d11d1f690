//! stunscan: VMware stun times from vmware.log files and support bundles,
//! and which of them could make a database mirror fail over.
//!
//! Data flows one way: [`input`] turns paths and archives into logs (with
//! [`zipstream`] for zips that cannot seek, [`pipeline`] to spread inflating
//! and searching over two threads, and [`scan`] and [`line`](mod@line) on the bytes),
//! [`analyze`] turns logs into VMs, clusters and windows, [`render`] prints
//! them. [`escape`] is the one door from untrusted bytes to display text.
//! [`run`] wires it up.

pub mod analyze;
pub mod cli;
pub mod dblog;
pub mod escape;
pub mod input;
pub mod line;
pub mod pipeline;
pub mod progress;
pub mod qos;
pub mod render;
pub mod scan;
pub mod time;
pub mod units;
pub mod zipstream;
pub mod zone;

use std::io::{self, IsTerminal, Write};

use anyhow::Context;

use crate::cli::{Args, ColorChoice, FailOn, Format};
use crate::input::InputPath;
use crate::qos::{Qos, QosSource, Verdict};

/// Exit statuses, as grep and ripgrep.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAIL_ON: u8 = 1;
    pub const ERROR: u8 = 2;
}

/// Notes printed on standard error at most.
const NOTES_SHOWN: usize = 20;

/// A glob as `--vm` and `--glob` take it: case-insensitive.
fn glob(flag: &str, pat: &str) -> anyhow::Result<globset::Glob> {
    globset::GlobBuilder::new(pat)
        .case_insensitive(true)
        .build()
        .with_context(|| format!("{flag} {pat:?} is not a valid glob"))
}

/// Prints a usage error the way clap does; returns the exit status.
fn usage_error(what: &str) -> u8 {
    eprintln!(
        "stunscan: {what}.\n\nUsage: stunscan [OPTIONS] [PATH]...\n\nTry 'stunscan --help' for more information."
    );
    exit::ERROR
}

/// Runs stunscan; returns the exit status.
pub fn run(args: Args) -> u8 {
    match try_run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("stunscan: {e:#}");
            exit::ERROR
        }
    }
}

fn try_run(args: Args) -> anyhow::Result<u8> {
    let qos = match (&args.qos, &args.cpf) {
        (Some(us), _) => Qos {
            us: *us,
            source: QosSource::Flag,
        },
        (None, Some(path)) => {
            let shown = escape::escape_bytes(path.as_encoded_bytes());
            let text = std::fs::read(path).with_context(|| format!("cannot read --cpf {shown}"))?;
            qos::from_cpf(&text, &shown)?
        }
        (None, None) => Qos {
            us: qos::DEFAULT_QOS_US,
            source: QosSource::Default,
        },
    };
    let vm = args
        .vm
        .iter()
        .map(|pat| glob("--vm", pat).map(|g| g.compile_matcher()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let select = input::Select {
        globs: if args.glob.is_empty() {
            None
        } else {
            let mut set = globset::GlobSetBuilder::new();
            for pat in &args.glob {
                set.add(glob("--glob", pat)?);
            }
            Some(set.build().context("--glob patterns do not build")?)
        },
        db_zone: args.db_tz.clone().unwrap_or_default(),
        keep_text: args.format == Some(Format::Raw),
    };
    let since = args.since.map(|t| t.ms);
    let until = args.until.map(|t| t.end());
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Ok(usage_error(&format!(
            "--since {} is after --until {}: no time is in both",
            time::format_rfc3339_ms(s),
            time::format_rfc3339_ms(u)
        )));
    }
    if let Some(n) = args.threads {
        // Fails only if a pool exists already (e.g. when called twice in-process).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }

    let inputs: Vec<InputPath> = if args.paths.is_empty() {
        if io::stdin().is_terminal() {
            return Ok(usage_error(
                "no PATH given and standard input is a terminal",
            ));
        }
        vec![InputPath::Stdin]
    } else {
        args.paths
            .iter()
            .map(|p| {
                if p == "-" {
                    InputPath::Stdin
                } else {
                    InputPath::Path(p.into())
                }
            })
            .collect()
    };

    let progress = !args.quiet && io::stderr().is_terminal();
    let mut collected = input::collect(&inputs, progress, &select);
    let mut db_logs = std::mem::take(&mut collected.db_logs);
    dblog::report::add_db_args(&mut db_logs, &args.db_log, &select.db_zone);
    let opts = analyze::Options {
        qos,
        gap_ms: i64::try_from(args.gap / 1000).unwrap_or(i64::MAX),
        vm,
        since,
        until,
        min_us: args.min.unwrap_or(0),
    };
    let mut report = analyze::analyze(collected, &opts);
    dblog::report::attach(&mut report, db_logs, args.db_tz.is_some());

    let stderr = io::stderr();
    let mut err = stderr.lock();
    for e in &report.errors {
        let _ = writeln!(err, "stunscan: {}: {}", e.source, e.message);
    }
    // A big bundle can hold thousands of notes: standard error shows the
    // first ones, `--format json` keeps them all.
    for n in report.notes.iter().take(NOTES_SHOWN) {
        let _ = writeln!(err, "stunscan: note: {}: {}", n.source, n.message);
    }
    if report.notes.len() > NOTES_SHOWN {
        let _ = writeln!(
            err,
            "stunscan: note: … and {} more notes (all of them are in notes[] of --format json)",
            report.notes.len() - NOTES_SHOWN
        );
    }

    let stdout_tty = io::stdout().is_terminal();
    let format = args.format.unwrap_or(if stdout_tty {
        Format::Table
    } else {
        Format::Tsv
    });
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_tty && !no_color,
    };
    let style = render::Style {
        format,
        header: args.header,
        color,
        top: args.top,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = render::render(&report, style, &mut out).and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        anyhow::bail!("cannot write the report: {e}");
    }

    if !report.errors.is_empty() {
        return Ok(exit::ERROR);
    }
    let threshold = match args.fail_on {
        FailOn::Never => None,
        FailOn::Risk => Some(Verdict::Risk),
        FailOn::Failover => Some(Verdict::Failover),
    };
    let failed = threshold.is_some_and(|t| report.worst().is_some_and(|w| w >= t));
    // Freeing every string of a big report takes longer than the process
    // exit that frees it anyway.
    std::mem::forget(report);
    Ok(if failed { exit::FAIL_ON } else { exit::OK })
}
