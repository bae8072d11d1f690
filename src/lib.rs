//! stunscan: VMware stun times from vmware.log files and support bundles,
//! and which of them could make a database mirror fail over.
//!
//! Data flows one way: [`input`] turns paths and archives into logs (its
//! own archive readers and threads), [`vmlog`] reads a VM's log and
//! [`dblog`] a database's (both cutting lines with [`carry`]),
//! [`analyze`] turns logs into VMs, clusters and windows, [`render`] prints
//! them (times in the [`zone`] of `--tz`). [`escape`] is the one door from
//! untrusted bytes to display text. [`run`] wires it up; [`generate`] prints
//! completions and the man page.

pub mod analyze;
pub mod carry;
pub mod cli;
pub mod dblog;
pub mod escape;
pub mod follow;
pub mod generate;
pub mod input;
pub mod qos;
pub mod render;
pub mod time;
pub mod units;
pub mod vmlog;
pub mod zone;

use std::io::{self, IsTerminal, Write};

use anyhow::Context;

use crate::cli::{Args, ColorChoice, FailOn, Format};
use crate::input::InputPath;
use crate::qos::{Qos, QosSource, Verdict};
use crate::time::EpochMs;

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
    if let Some(what) = args.generate {
        let mut out = io::stdout().lock();
        generate::write(what, &mut out)
            .and_then(|()| out.flush())
            .context("cannot write to standard output")?;
        return Ok(exit::OK);
    }
    let qos = qos_of(&args)?;
    let vm = args
        .vm
        .iter()
        .map(|pat| glob("--vm", pat).map(|g| g.compile_matcher()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let select = input::Select {
        globs: glob_set(&args.glob)?,
        db_zone: args.db_tz.clone().unwrap_or_default(),
        keep_text: args.format == Some(Format::Raw),
    };
    if args.follow {
        return follow::run(&args, qos, vm, select);
    }
    let (since, until) = match time_window(&args) {
        Ok(w) => w,
        Err(usage) => return Ok(usage_error(&usage)),
    };
    let Some(inputs) = inputs_of(&args) else {
        return Ok(usage_error(
            "no PATH given and standard input is a terminal",
        ));
    };
    if let Some(n) = args.threads {
        // Fails only if a pool exists already (e.g. when called twice in-process).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }

    let progress = !args.quiet && io::stderr().is_terminal();
    let mut collected = input::collect(&inputs, progress, &select);
    // Paths that held database logs and nothing else (`stunscan
    // messages.log`) ask for the database's record alone, as `--db-log`
    // alone does (input says no error for them).
    let only_db_paths = collected.only_db_logs();
    let mut db_logs = std::mem::take(&mut collected.db_logs);
    dblog::read_args(&mut db_logs, &args.db_log, &select.db_zone);
    let opts = analyze::Options {
        qos,
        gap_ms: i64::try_from(args.gap / 1000).unwrap_or(i64::MAX),
        vm,
        since,
        until,
        min_us: args.min.unwrap_or(0),
    };
    let mut report = analyze::analyze(collected, &opts);
    analyze::db::attach(&mut report, db_logs, args.db_tz.is_some());
    report.db_alone = inputs.is_empty() || only_db_paths;
    if report.db_only() {
        report.notes.push(input::Notice {
            source: "--db-log".into(),
            message: "no VM logs were given: this is the database's record alone; name the \
                      members' vmware.log files or support bundles to see which stuns explain \
                      its events"
                .into(),
        });
    }

    print_notices(&report);
    let stdout_tty = io::stdout().is_terminal();
    let style = render::Style {
        format: args.format.unwrap_or(if stdout_tty {
            Format::Table
        } else {
            Format::Tsv
        }),
        header: args.header,
        color: use_color(args.color, stdout_tty),
        top: args.top,
        width: table_width(stdout_tty),
        zone: args.tz.clone(),
        explain: args.explain,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = render::render(&report, &style, &mut out).and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        anyhow::bail!("cannot write the report: {e}");
    }
    let status = exit_status(&report, args.fail_on);
    // Freeing every string of a big report takes longer than the process
    // exit that frees it anyway.
    std::mem::forget(report);
    Ok(status)
}

/// Q from `--qos`, else `--cpf`, else the default.
fn qos_of(args: &Args) -> anyhow::Result<Qos> {
    Ok(match (&args.qos, &args.cpf) {
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
    })
}

/// The `--glob` patterns as one set, or None when there are none.
fn glob_set(patterns: &[String]) -> anyhow::Result<Option<globset::GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut set = globset::GlobSetBuilder::new();
    for pat in patterns {
        set.add(glob("--glob", pat)?);
    }
    Ok(Some(set.build().context("--glob patterns do not build")?))
}

/// `--since` and `--until`, UTC; times without an offset are in the `--tz`
/// zone. Err: the usage error to print.
fn time_window(args: &Args) -> Result<(Option<EpochMs>, Option<EpochMs>), String> {
    let when = |s: &Option<String>, end_of_day: bool| {
        s.as_deref()
            .map(|s| args.tz.parse_user_time(s, end_of_day))
            .transpose()
    };
    let (since, until) = (when(&args.since, false)?, when(&args.until, true)?);
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(format!(
            "--since {} is after --until {}: no time is in both",
            zone::format_rfc3339_ms(s),
            zone::format_rfc3339_ms(u)
        ));
    }
    Ok((since, until))
}

/// The inputs: the paths, `-` for standard input. Without a path, standard
/// input when it is not a terminal (None: it is) — but beside `--db-log`,
/// which is a report of its own, only when something is in it: a script
/// or a service manager often leaves an empty or silent standard input
/// behind, and reading it would fail the run or wait for ever.
fn inputs_of(args: &Args) -> Option<Vec<InputPath>> {
    if args.paths.is_empty() {
        if !args.db_log.is_empty() {
            return Some(if stdin_has_data() {
                vec![InputPath::Stdin]
            } else {
                vec![]
            });
        }
        return (!io::stdin().is_terminal()).then(|| vec![InputPath::Stdin]);
    }
    Some(
        args.paths
            .iter()
            .map(|p| {
                if p == "-" {
                    InputPath::Stdin
                } else {
                    InputPath::Path(p.into())
                }
            })
            .collect(),
    )
}

/// How long a pipe on standard input may stay silent before it is taken
/// for one that nothing will be written to.
#[cfg(target_os = "linux")]
const STDIN_WAIT_MS: i64 = 500;

/// Whether standard input holds something to read: a non-empty file, or a
/// pipe or socket with bytes in it within [`STDIN_WAIT_MS`]. A terminal, a
/// device (`/dev/null`), an empty file and a pipe closed or silent hold
/// nothing.
#[cfg(target_os = "linux")]
fn stdin_has_data() -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::fs::{FileType, fstat};
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return false;
    }
    let Ok(st) = fstat(&stdin) else {
        return false;
    };
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => return st.st_size > 0,
        FileType::Fifo | FileType::Socket => {}
        _ => return false,
    }
    let wait = Timespec {
        tv_sec: 0,
        tv_nsec: STDIN_WAIT_MS * 1_000_000,
    };
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    match poll(&mut fds, Some(&wait)) {
        // Readable: bytes, or the end of an empty stream.
        Ok(n) if n > 0 && fds[0].revents().contains(PollFlags::IN) => {
            rustix::io::ioctl_fionread(&stdin).is_ok_and(|n| n > 0)
        }
        _ => false,
    }
}

/// Elsewhere: whatever is not a terminal.
#[cfg(not(target_os = "linux"))]
fn stdin_has_data() -> bool {
    !io::stdin().is_terminal()
}

/// Errors, then notes, on standard error. A big bundle can hold thousands
/// of notes: the first ones are shown, `--format json` keeps them all.
fn print_notices(report: &analyze::Report) {
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for e in &report.errors {
        let _ = writeln!(err, "stunscan: {}: {}", e.source, e.message);
    }
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
}

/// 2 on any error, else 1 when a reported stun reached `--fail-on`, else 0.
fn exit_status(report: &analyze::Report, fail_on: FailOn) -> u8 {
    if !report.errors.is_empty() {
        return exit::ERROR;
    }
    let threshold = match fail_on {
        FailOn::Never => None,
        FailOn::Risk => Some(Verdict::Risk),
        FailOn::Failover => Some(Verdict::Failover),
    };
    let failed = threshold.is_some_and(|t| report.worst().is_some_and(|w| w >= t));
    if failed { exit::FAIL_ON } else { exit::OK }
}

/// Colour on a terminal, unless `NO_COLOR` is set or the terminal is
/// `dumb`; `--color always` wins over both.
fn use_color(choice: ColorChoice, stdout_tty: bool) -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_tty && !set("NO_COLOR") && !dumb,
    }
}

/// The width the table must fit: the terminal's, else `COLUMNS`, else no
/// limit. A terminal that reports a width of 0 (a serial console, some
/// containers) does not know its width.
fn table_width(stdout_tty: bool) -> Option<usize> {
    let terminal = stdout_tty
        .then(terminal_size::terminal_size)
        .flatten()
        .map(|(w, _)| usize::from(w.0))
        .filter(|&w| w > 0);
    terminal.or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
    })
}
