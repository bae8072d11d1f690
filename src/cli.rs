//! Command-line options: the flags, their defaults and their help text.

use std::ffi::OsString;

use clap::{Parser, ValueEnum};

use crate::units;
use crate::zone::Zone;

/// Find VMware stun times in vmware.log files and support bundles, and say
/// which could make a database mirror fail over.
#[derive(Debug, Parser)]
#[command(
    name = "stunscan",
    version,
    after_help = "Examples:\n  stunscan esx-host1-2026-11-20--10.30-123.tgz\n  stunscan --qos 8s /vmfs/volumes/ds1/db1 | sort -nr | head\n  stunscan --cpf iris.cpf --format json vc-bundle.zip | jq .summary\n\nExit status: 0 done; 1 an event reached --fail-on; 2 an error (results from every readable part are still printed)."
)]
pub struct Args {
    /// Files, directories or bundles to scan; `-` for standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<OsString>,

    /// The mirror's QoS timeout, 100ms to 10m [default: 8s].
    #[arg(long, value_name = "DURATION", value_parser = units::parse_qos_us, conflicts_with = "cpf")]
    pub qos: Option<u64>,

    /// Take the QoS timeout from the Mirrors section of an iris.cpf / cache.cpf.
    #[arg(long, value_name = "FILE")]
    pub cpf: Option<OsString>,

    /// Stuns further apart than this start a new cluster (at least 1s).
    #[arg(long, value_name = "DURATION", value_parser = units::parse_gap_us, default_value = "60s")]
    pub gap: u64,

    /// Output format [default: table on a terminal, tsv otherwise].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Print a header line in tsv output.
    #[arg(long)]
    pub header: bool,

    /// List only events at least this long (statistics still use all).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min: Option<u64>,

    /// Number of outliers shown in the table.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,

    /// Only VMs whose displayName or directory name matches this glob
    /// (case-insensitive; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub vm: Vec<String>,

    /// Also read files whose base name matches this glob, in directories and
    /// bundles (case-insensitive; repeatable), e.g. 'vmware*.log*'.
    #[arg(long, value_name = "GLOB")]
    pub glob: Vec<String>,

    /// Only events at or after this time: RFC 3339, or a date or a time
    /// without an offset, read in the --tz zone.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only events at or before this time (a date includes that whole day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Exit with status 1 when any event reaches this verdict.
    #[arg(long, value_enum, value_name = "VERDICT", default_value = "never")]
    pub fail_on: FailOn,

    /// Threads that read at once [default: all cores]. Files and the
    /// members of a zip are read side by side, one per thread; a bundle
    /// read alone takes two (one inflates, one searches) when it can.
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Colour the verdicts. Honours NO_COLOR and TERM=dumb.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,

    /// No progress display.
    #[arg(short, long)]
    pub quiet: bool,

    /// Under the table's clusters, say what decided each cluster's kind:
    /// the log line (file:line and its text), or that it was guessed.
    #[arg(long)]
    pub explain: bool,

    /// The database's own log: IRIS messages.log, Caché cconsole.log, or the
    /// freeze script's $LOGFILE or $SNAPLOG (plain or gzip; repeatable).
    /// NAME labels the mirror member; when it is a VM's name or directory,
    /// the log speaks for that VM alone.
    #[arg(long = "db-log", value_name = "[NAME=]FILE")]
    pub db_log: Vec<OsString>,

    /// The zone of the database logs' times, which carry none: UTC, local,
    /// an offset such as -05:00, or an IANA name such as America/New_York
    /// [default: UTC, with a note].
    #[arg(
        long = "db-tz",
        value_name = "ZONE",
        value_parser = crate::zone::Zone::parse,
        allow_hyphen_values = true
    )]
    pub db_tz: Option<crate::zone::Zone>,

    /// Show times in this zone: UTC, local, an offset like +02:00, or an
    /// IANA name like America/New_York (daylight saving included).
    #[arg(
        long,
        value_name = "ZONE",
        value_parser = parse_zone,
        default_value = "UTC",
        allow_hyphen_values = true
    )]
    pub tz: Zone,

    /// Report what the paths hold now, then keep watching them: every stun
    /// appended to a log (through rotations, truncations, new VMs and
    /// deleted logs) is printed as soon as it is written. Streams tsv, csv,
    /// raw or ndjson, or one coloured line per stun at a terminal. Changes
    /// are noticed through the system's file notifications (inotify), or
    /// by polling where those do not work (NFS, SMB/CIFS, FUSE such as
    /// vmfs-fuse, or when the notification limit is reached).
    #[arg(long)]
    pub follow: bool,

    /// With --follow: poll for changes every DURATION instead of using file
    /// notifications [default: 1s when notifications cannot be used].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "follow")]
    pub poll: Option<u64>,

    /// Print shell completions or the man page, generated from these
    /// options, and exit.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub generate: Option<Generate>,
}

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    CompleteBash,
    CompleteZsh,
    CompleteFish,
    CompletePowershell,
    /// The man page (roff).
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Tsv,
    Csv,
    Raw,
    Json,
    Ndjson,
    /// Pipe tables, for tickets.
    Markdown,
    /// One self-contained page with timelines, for a ticket attachment.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Never,
    Risk,
    Failover,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_duration(s: &str) -> Result<u64, String> {
    units::parse_duration_us(s)
}

fn parse_zone(s: &str) -> Result<Zone, String> {
    Zone::parse(s)
}
