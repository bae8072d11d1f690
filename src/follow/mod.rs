//! `--follow`: report what the paths hold, then print every stun as it is
//! logged, through rotations, truncations, new VMs and deleted logs.
//!
//! The parts, in the order the data flows:
//!
//! - [`watch`] says when to look: change notifications, or polling where
//!   they do not work (network file systems, the inotify limit, `--poll`);
//! - [`tail`] follows one file by its inode and hands on the whole lines
//!   appended to it (a line written in two `write` calls is read once,
//!   whole; a truncated file is read again from its start; a copy of a
//!   file is read only past what was read of the original);
//! - the lines of a VMware log go through the normal scanner
//!   ([`crate::vmlog::scan::Scanner`]) into the VM's [`vms::VmState`], a bounded
//!   window analysed again by the normal analysis whenever a stun or a
//!   marker arrives; the database's logs go through [`db`];
//! - [`out`] writes each record at once.
//!
//! Memory is bounded: per file, one unfinished line and its first bytes;
//! per VM, the window (a day of records, at most a few thousand); per
//! database log, a few kilobytes of context; no list of every event.

mod db;
mod out;
mod tail;
mod vms;
mod watch;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, IsTerminal, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use globset::GlobMatcher;

use crate::analyze::db::StunRef;
use crate::analyze::{self, Kind, KindSource};
use crate::cli::{Args, FailOn, Format};
use crate::dblog::{self, DbLog, ReadOptions};
use crate::escape::{Name, escape_bytes};
use crate::input::{self, Collected, Select};
use crate::qos::{Qos, Verdict};
use crate::render::{self, Style};
use crate::time::EpochMs;
use crate::units::human_us;
use crate::vmlog::scan::{Origin, Record, Scanner};
use crate::zone::Zone;
use crate::{exit, usage_error};

use tail::{Ident, Piece, Tail};
use vms::VmState;

/// `.vmx` files larger than this are not configuration files.
const MAX_VMX: u64 = 1 << 20;

/// The streaming formats, for the error that refuses the others.
const STREAMING: &str = "tsv, csv, raw or ndjson (or table, one line per stun, at a terminal)";

/// Runs a live watch; returns the exit status.
pub fn run(args: &Args, qos: Qos, vm: Vec<GlobMatcher>, select: Select) -> anyhow::Result<u8> {
    let stdout_tty = io::stdout().is_terminal();
    let format = args.format.unwrap_or(if stdout_tty {
        Format::Table
    } else {
        Format::Tsv
    });
    if let Format::Json | Format::Markdown | Format::Html = format {
        let name = format!("{format:?}").to_lowercase();
        return Ok(usage_error(&format!(
            "--format {name} is a whole report, which a watch never finishes; with --follow use {STREAMING}"
        )));
    }
    if args.paths.is_empty() || args.paths.iter().any(|p| p == "-") {
        return Ok(usage_error(
            "--follow watches files and directories: name them (standard input cannot be followed)",
        ));
    }
    for p in &args.paths {
        if let Err(e) = std::fs::metadata(p) {
            let shown = escape_bytes(p.as_encoded_bytes());
            anyhow::bail!("cannot follow {shown}: {e}; check the path");
        }
    }
    let since_now = args.since.as_deref() == Some("now");
    let (since, until) = if since_now {
        let until = args
            .until
            .as_deref()
            .map(|u| args.tz.parse_user_time(u, true));
        match until.transpose() {
            Ok(u) => (None, u),
            Err(usage) => return Ok(usage_error(&usage)),
        }
    } else {
        match crate::time_window(args) {
            Ok(w) => w,
            Err(usage) => return Ok(usage_error(&usage)),
        }
    };
    let opts = analyze::Options {
        qos,
        gap_ms: i64::try_from(args.gap / 1000).unwrap_or(i64::MAX),
        vm,
        since,
        until,
        min_us: args.min.unwrap_or(0),
    };
    let style = Style {
        format,
        header: args.header,
        color: crate::use_color(args.color, stdout_tty),
        top: args.top,
        width: crate::table_width(stdout_tty),
        zone: args.tz.clone(),
        explain: args.explain,
    };
    let status = !args.quiet && io::stderr().is_terminal();
    let mut roots: Vec<PathBuf> = args.paths.iter().map(PathBuf::from).collect();
    let db_args: Vec<(PathBuf, Option<String>)> = args
        .db_log
        .iter()
        .map(|a| {
            let a = dblog::parse_db_log_arg(a);
            (a.path, a.name)
        })
        .collect();
    roots.extend(db_args.iter().map(|(p, _)| p.clone()));
    let dirs = roots
        .iter()
        .filter(|r| r.is_dir())
        .map(|r| {
            escape_bytes(r.as_os_str().as_encoded_bytes())
                .trim_end_matches('/')
                .to_owned()
        })
        .collect();
    let mut follow = Follow {
        roots,
        named: args.paths.iter().map(PathBuf::from).collect(),
        db_args,
        files: BTreeMap::new(),
        by_ident: HashMap::new(),
        next_id: 0,
        vms: HashMap::new(),
        vmx: HashMap::new(),
        dirty: BTreeSet::new(),
        explainer: db::Explainer::default(),
        db_waiting: Vec::new(),
        db_zone: select.db_zone.clone(),
        db_zone_given: args.db_tz.is_some(),
        select,
        opts,
        next_cluster: 0,
        out: out::Out::new(style, status, dirs),
        stats: Stats::default(),
        fail: match args.fail_on {
            FailOn::Never => None,
            FailOn::Risk => Some(Verdict::Risk),
            FailOn::Failover => Some(Verdict::Failover),
        },
        live: false,
        deferred: false,
        let_go_some: false,
        quiet: args.quiet,
    };
    follow.main(since_now, args.poll.map(Duration::from_micros))
}

/// What a followed file is read as.
enum What {
    Vm {
        dir: PathBuf,
        scanner: Box<Scanner>,
        /// Lines before the scanner's first (a copy read from its middle).
        base: u64,
        source: Name,
        rank: u32,
    },
    Db(db::DbFile),
}

struct Followed {
    tail: Tail,
    what: What,
    /// Since when the directory listings have not shown it, while it still
    /// exists somewhere (see [`Follow::reconcile`]).
    unseen: Option<(u32, Instant)>,
}

/// Listings in a row, and how long, that must miss a file still on disk
/// before it is let go.
const UNSEEN_ROUNDS: u32 = 3;
const UNSEEN_FOR: Duration = Duration::from_secs(2);

/// What the watch has seen, for the status line and the summary.
#[derive(Default)]
struct Stats {
    stuns: u64,
    risk: u64,
    failover: u64,
    longest: Option<(u64, Name)>,
    last: Option<(EpochMs, u64, Name, Verdict)>,
}

/// A file the directories hold, and what it is.
enum Found {
    Vm,
    Db,
}

/// Why a watch ended early.
enum Stop {
    /// `--fail-on` reached.
    Fail,
    /// Standard output closed (`| head`).
    Closed,
}

struct Follow {
    roots: Vec<PathBuf>,
    /// Files named on the command line: read whatever their names.
    named: HashSet<PathBuf>,
    db_args: Vec<(PathBuf, Option<String>)>,
    files: BTreeMap<u32, Followed>,
    by_ident: HashMap<Ident, u32>,
    next_id: u32,
    vms: HashMap<PathBuf, VmState>,
    /// A VM directory's `.vmx` displayName, read once.
    vmx: HashMap<PathBuf, Option<String>>,
    /// VMs with new stuns or markers, to analyse.
    dirty: BTreeSet<PathBuf>,
    explainer: db::Explainer,
    /// Database events read while reconciling, printed with the next round.
    db_waiting: Vec<dblog::DbEvent>,
    db_zone: Zone,
    db_zone_given: bool,
    select: Select,
    opts: analyze::Options,
    next_cluster: u64,
    out: out::Out,
    stats: Stats,
    fail: Option<Verdict>,
    /// The first report is out: what is read now is new.
    live: bool,
    /// Files were let go this round: VMs may be gone.
    let_go_some: bool,
    /// A new file was too short to tell whether it is a copy: list the
    /// directories again next round.
    deferred: bool,
    quiet: bool,
}

impl Follow {
    fn main(&mut self, since_now: bool, poll: Option<Duration>) -> anyhow::Result<u8> {
        let started = Instant::now();
        let mut watch = watch::Watch::start(&self.roots, poll);
        match self.first_report(since_now) {
            Ok(Some(code)) => return Ok(code),
            Ok(None) => {}
            Err(Stop::Fail) => return Ok(exit::FAIL_ON),
            Err(Stop::Closed) => return Ok(exit::OK),
        }
        self.live = true;
        if !self.quiet {
            self.out.note(&format!(
                "following {} in {}; changes noticed by {}",
                self.files_and_vms(),
                self.roots_shown(),
                watch.mode.describe()
            ));
        }
        self.status(&watch.mode);
        loop {
            let wake = watch.wait(None);
            if wake.stop {
                break;
            }
            for n in &wake.notes {
                self.out.note(n);
            }
            let r = self.sync(wake.rescan);
            self.status(&watch.mode);
            match r {
                Ok(()) => {}
                Err(Stop::Fail) => {
                    self.out.finish();
                    return Ok(exit::FAIL_ON);
                }
                Err(Stop::Closed) => return Ok(exit::OK),
            }
        }
        self.out.finish();
        if io::stderr().is_terminal() && !self.quiet {
            eprintln!("{}", self.summary(started.elapsed()));
        }
        Ok(exit::OK)
    }

    fn roots_shown(&self) -> String {
        let list: Vec<String> = self
            .roots
            .iter()
            .map(|r| escape_bytes(r.as_os_str().as_encoded_bytes()))
            .collect();
        list.join(", ")
    }

    fn files_and_vms(&self) -> String {
        let vms = self.vms.len();
        let files = self.files.len();
        format!(
            "{files} file{} of {vms} VM{}",
            if files == 1 { "" } else { "s" },
            if vms == 1 { "" } else { "s" }
        )
    }

    fn status(&self, mode: &watch::Mode) {
        let how = match mode {
            watch::Mode::Notify => "inotify".to_owned(),
            watch::Mode::Poll { every, .. } => {
                format!("polling every {}", humantime::format_duration(*every))
            }
        };
        let mut s = format!("watching {} · {how}", self.files_and_vms());
        if let Some((t, us, vm, v)) = &self.stats.last {
            s.push_str(&format!(
                " · last {} {v} {vm} at {}",
                human_us(*us),
                self.out.style().zone.rfc3339(*t)
            ));
        }
        if let Some((us, vm)) = &self.stats.longest {
            s.push_str(&format!(" · longest {} {vm}", human_us(*us)));
        }
        self.out.set_status(s);
    }

    fn summary(&self, took: Duration) -> String {
        let s = &self.stats;
        let took = humantime::format_duration(Duration::from_secs(took.as_secs()));
        let mut line = format!(
            "stunscan: watched for {took}: {} new stun{} ({} risk, {} failover)",
            s.stuns,
            if s.stuns == 1 { "" } else { "s" },
            s.risk,
            s.failover
        );
        if let Some((us, vm)) = &s.longest {
            line.push_str(&format!(", the longest {} on {vm}", human_us(*us)));
        }
        line
    }

    /// Reads what the files hold now and prints it as a normal scan would
    /// (nothing with `--since now`). Some(status) when the watch must not
    /// go on.
    fn first_report(&mut self, since_now: bool) -> Result<Option<u8>, Stop> {
        self.reconcile();
        let mut db_logs = Vec::new();
        let ids: Vec<u32> = self.files.keys().copied().collect();
        for id in ids {
            self.read(id, &mut Vec::new());
            db_logs.extend(self.first_db_log(id));
        }
        let mut collected = Collected::default();
        for (dir, vm) in &self.vms {
            vm.log_files(self.vmx.get(dir).and_then(|n| n.as_deref()), &mut collected);
        }
        collected.inputs = self.input_summaries();
        let mut report = analyze::analyze(collected, &self.opts);
        self.dirty.clear();
        analyze::db::attach(&mut report, db_logs, self.db_zone_given);
        // The numbering the first report used goes on.
        let numbers: HashMap<_, u64> = report
            .events
            .iter()
            .map(|e| (vms::event_key(e), e.cluster))
            .collect();
        let kinds: HashMap<u64, (Kind, KindSource)> = report
            .clusters
            .iter()
            .map(|c| (c.id, (c.kind, c.kind_source)))
            .collect();
        self.next_cluster = report.clusters.len() as u64;
        for vm in self.vms.values_mut() {
            vm.seed(&numbers, &kinds);
        }
        let mut stuns: Vec<&analyze::Event> = report.events.iter().collect();
        stuns.sort_by_key(|e| e.time);
        for e in stuns {
            let r = self.stun_ref(e);
            self.explainer.stun(r, self.opts.qos.us);
        }
        if since_now {
            return self.out.header().map(|()| None).map_err(|_| Stop::Closed);
        }
        crate::print_notices(&report);
        let written = self.out_report(&report);
        if written.is_err() {
            return Err(Stop::Closed);
        }
        let worst = report.worst();
        if self.fail.is_some_and(|f| worst.is_some_and(|w| w >= f)) {
            return Ok(Some(exit::FAIL_ON));
        }
        Ok(None)
    }

    fn out_report(&self, report: &analyze::Report) -> io::Result<()> {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        render::render(report, self.out.style(), &mut out)?;
        io::Write::flush(&mut out)
    }

    /// What each command-line path held when the watch began: its logs and
    /// bytes, as a scan's report says.
    fn input_summaries(&self) -> Vec<input::InputSummary> {
        self.roots
            .iter()
            .map(|root| {
                let mut sum = input::InputSummary {
                    path: escape_bytes(root.as_os_str().as_encoded_bytes()),
                    ..Default::default()
                };
                for f in self
                    .files
                    .values()
                    .filter(|f| f.tail.path.starts_with(root))
                {
                    match f.what {
                        What::Vm { .. } => sum.logs += 1,
                        What::Db(_) => sum.db_logs += 1,
                    }
                    sum.bytes += f.tail.done();
                }
                sum
            })
            .collect()
    }

    /// A database log as it was when the watch began, read whole by the
    /// normal reader up to where the tail stopped.
    /// One log per member it holds (the services of a container log).
    fn first_db_log(&self, id: u32) -> Vec<DbLog> {
        let Some(f) = self.files.get(&id) else {
            return Vec::new();
        };
        let What::Db(dbf) = &f.what else {
            return Vec::new();
        };
        let _ = dbf;
        let source = escape_bytes(f.tail.path.as_os_str().as_encoded_bytes());
        let member = self.db_member(&f.tail.path);
        let opts = ReadOptions {
            zone: &self.db_zone,
            member: member.as_deref(),
        };
        match std::fs::File::open(&f.tail.path) {
            Ok(file) => dblog::read(file.take(f.tail.done()), &source, &opts),
            Err(_) => Vec::new(),
        }
    }

    fn db_member(&self, path: &Path) -> Option<String> {
        self.db_args
            .iter()
            .find(|(p, _)| p == path)
            .and_then(|(_, n)| n.clone())
    }

    /// The files the roots hold now.
    fn discover(&self) -> Vec<(PathBuf, Found)> {
        let mut out = Vec::new();
        for root in &self.roots {
            if self.db_args.iter().any(|(p, _)| p == root) {
                out.push((root.clone(), Found::Db));
                continue;
            }
            if !root.is_dir() {
                if root.exists() {
                    out.push((root.clone(), self.found_as(root, true)));
                }
                continue;
            }
            for entry in walkdir::WalkDir::new(root)
                .follow_links(true)
                .into_iter()
                .flatten()
            {
                if !entry.file_type().is_file() {
                    continue;
                }
                let base = entry.file_name().as_encoded_bytes();
                if base.to_ascii_lowercase().ends_with(b".gz") {
                    continue;
                }
                if self.select.is_log(base) || dblog::is_db_log_name(base) {
                    let p = entry.into_path();
                    let what = self.found_as(&p, false);
                    out.push((p, what));
                }
            }
        }
        out
    }

    fn found_as(&self, path: &Path, named: bool) -> Found {
        let base = path.file_name().map_or(&b""[..], |b| b.as_encoded_bytes());
        let is_vm_name = self.select.is_log(base);
        if dblog::is_db_log_name(base) && !(named && is_vm_name) {
            Found::Db
        } else {
            Found::Vm
        }
    }

    /// Takes in what the directories hold now: new files followed (a copy
    /// of a followed file only past what was read of it), renamed files
    /// renamed, vanished files read to their end and let go.
    fn reconcile(&mut self) {
        self.deferred = false;
        let found = self.discover();
        let mut seen: HashSet<Ident> = HashSet::new();
        for (path, what) in found {
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let ident = tail::ident(&meta);
            if !seen.insert(ident) {
                continue;
            }
            match self.by_ident.get(&ident) {
                Some(&id) => self.maybe_renamed(id, &path),
                None => self.add_file(&path, what),
            }
        }
        // A file the listing did not show is let go when it is deleted
        // (no link left). One still linked was renamed where the listing
        // did not see it — or the listing raced a rename (a directory
        // listed while ESXi shifts vmware-N.log): it is kept a few rounds,
        // so that the renamed file is not taken for a new one.
        let mut gone = Vec::new();
        for (&id, f) in self.files.iter_mut() {
            if seen.contains(&f.tail.ident) {
                f.unseen = None;
                continue;
            }
            let (rounds, since) = f.unseen.get_or_insert((0, Instant::now()));
            *rounds += 1;
            let waited = *rounds >= UNSEEN_ROUNDS && since.elapsed() >= UNSEEN_FOR;
            if !f.tail.linked() || waited {
                gone.push(id);
            } else {
                self.deferred = true;
            }
        }
        for id in gone {
            self.let_go(id);
        }
    }

    fn maybe_renamed(&mut self, id: u32, path: &Path) {
        let Some(f) = self.files.get_mut(&id) else {
            return;
        };
        if f.tail.path == path {
            return;
        }
        // The same file reached by two paths (a symlink) keeps its first,
        // as long as that one still leads to it.
        let old_still =
            std::fs::metadata(&f.tail.path).is_ok_and(|m| tail::ident(&m) == f.tail.ident);
        if old_still {
            return;
        }
        f.tail.path = path.to_owned();
        if let What::Vm {
            dir, source, rank, ..
        } = &mut f.what
        {
            *source = Name::from(escape_bytes(path.as_os_str().as_encoded_bytes()));
            *rank = log_rank(path);
            if let Some(vm) = self.vms.get_mut(dir) {
                vm.rename(id, source, *rank);
            }
        }
    }

    fn add_file(&mut self, path: &Path, what: Found) {
        let mut t = match Tail::open(path) {
            Ok(t) => t,
            Err(e) => {
                let shown = escape_bytes(path.as_os_str().as_encoded_bytes());
                self.out
                    .note(&format!("{shown}: cannot open it ({e}); not followed"));
                return;
            }
        };
        let head = t.read_head();
        // A file just created may not hold its first line yet: whether it
        // is a copy is told once it does (it is looked at again next round).
        if self.live && head.len() < tail::MIN_SAME {
            self.deferred = true;
            return;
        }
        if self.named.contains(path) && input::sniff(&head) != input::Kind::Text {
            let shown = escape_bytes(path.as_os_str().as_encoded_bytes());
            self.out.note(&format!(
                "{shown} is an archive, which cannot be followed: scan it without --follow"
            ));
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        if self.live {
            self.skip_copied(&mut t, &head);
        }
        let source = Name::from(escape_bytes(path.as_os_str().as_encoded_bytes()));
        let what = match what {
            Found::Db => What::Db(db::DbFile::new(source.to_string(), self.db_member(path))),
            Found::Vm => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                if !self.vmx.contains_key(&dir) {
                    self.vmx.insert(dir.clone(), vmx_in_dir(&dir));
                }
                What::Vm {
                    dir,
                    scanner: Box::new(Scanner::new(false, self.select.keep_text)),
                    base: t.lines(),
                    source,
                    rank: log_rank(path),
                }
            }
        };
        self.by_ident.insert(t.ident, id);
        self.files.insert(
            id,
            Followed {
                tail: t,
                what,
                unseen: None,
            },
        );
    }

    /// A new file that starts as a followed file did (or did before it was
    /// truncated) is its copy: only what was not read of the original is
    /// read of it (copy-and-truncate rotation). The original is read to
    /// its end first: what it still holds is read there, so the copy
    /// holds nothing new unless the original was truncated meanwhile.
    fn skip_copied(&mut self, t: &mut Tail, head: &[u8]) {
        // A collector copies a log beside it.
        let dir = t.path.parent();
        let Some(id) = self
            .files
            .iter()
            .filter(|(_, f)| f.tail.path.parent() == dir)
            .find_map(|(&id, f)| f.tail.copied_as(head).map(|_| id))
        else {
            return;
        };
        let mut db_events = Vec::new();
        self.read(id, &mut db_events);
        self.db_waiting.extend(db_events);
        let Some(f) = self.files.get(&id) else { return };
        let Some((done, lines)) = f.tail.copied_as(head) else {
            return;
        };
        t.skip_to(done, lines);
        self.out.note(&format!(
            "{} is a copy of {} (copy-and-truncate rotation): read from line {}",
            escape_bytes(t.path.as_os_str().as_encoded_bytes()),
            escape_bytes(f.tail.path.as_os_str().as_encoded_bytes()),
            lines + 1
        ));
    }

    /// A followed file has gone: what was written to it before is read,
    /// then it is let go (a note, not an error).
    fn let_go(&mut self, id: u32) {
        let mut db_events = Vec::new();
        self.read(id, &mut db_events);
        let Some(mut f) = self.files.remove(&id) else {
            return;
        };
        self.by_ident.remove(&f.tail.ident);
        self.let_go_some = true;
        let mut last = Vec::new();
        f.tail.finish(&mut |p| {
            if let Piece::Lines { bytes, .. } = p {
                last.extend_from_slice(bytes);
            }
        });
        if let What::Vm { scanner, base, .. } = &mut f.what {
            if !last.is_empty() {
                scanner.feed(&last);
            }
            let (mut records, _) = scanner.take_records();
            for r in &mut records {
                r.line_no += *base;
            }
            let groups = by_vm(&f.tail.path, &f.what, records);
            self.file_records(id, groups);
            for vm in self.vms.values_mut() {
                vm.retire(id);
            }
        }
        if self.live {
            self.out.note(&format!(
                "{}: gone (deleted or rotated away); what it held stays reported",
                escape_bytes(f.tail.path.as_os_str().as_encoded_bytes())
            ));
        }
    }

    /// Reads what was appended to one file. The database events it holds
    /// are added to `db_events`, to be printed after the VMs' stuns.
    fn read(&mut self, id: u32, db_events: &mut Vec<dblog::DbEvent>) {
        let Some(f) = self.files.get_mut(&id) else {
            return;
        };
        let Followed { tail, what, .. } = f;
        let live = self.live;
        let keep_text = self.select.keep_text;
        let zone = &self.db_zone;
        let mut restarted = false;
        let r = match what {
            What::Vm { scanner, base, .. } => tail.read(&mut |p| match p {
                Piece::Restart => {
                    **scanner = Scanner::new(false, keep_text);
                    *base = 0;
                    restarted = true;
                }
                Piece::Lines { bytes, .. } => scanner.feed(bytes),
            }),
            What::Db(dbf) => tail.read(&mut |p| match p {
                Piece::Restart => {
                    dbf.restart();
                    restarted = true;
                }
                Piece::Lines { first, bytes } if live => {
                    db_events.extend(dbf.lines(first, bytes, zone))
                }
                Piece::Lines { first, bytes } => dbf.context_only(first, bytes),
            }),
        };
        let shown = escape_bytes(tail.path.as_os_str().as_encoded_bytes());
        if restarted && live {
            self.out.note(&format!(
                "{shown} was truncated or begun again: reading it from its start"
            ));
        }
        if let Err(e) = r {
            self.out.note(&format!("{shown}: cannot read it ({e})"));
        }
        if let What::Vm { scanner, base, .. } = what {
            let (mut records, errors) = scanner.take_records();
            for e in errors {
                self.out
                    .note(&format!("{shown}:{}: {}", e.line_no + *base, e.message));
            }
            if records.is_empty() {
                return;
            }
            for r in &mut records {
                r.line_no += *base;
            }
            let groups = by_vm(&tail.path, what, records);
            self.file_records(id, groups);
        }
    }

    /// Files new records with their VMs (a VM met for the first time is
    /// followed from now on); a VM given a stun or a marker is analysed at
    /// the end of the round.
    fn file_records(&mut self, id: u32, groups: Vec<Group>) {
        for g in groups {
            let vm = self.vms.entry(g.key.clone()).or_insert_with(|| g.vm());
            if vm.add(id, &g.place, g.records) {
                self.dirty.insert(g.key);
            }
        }
    }

    /// One round: the directories listed again when asked, every changed
    /// file read, the VMs with news analysed and printed, then the
    /// database events.
    fn sync(&mut self, rescan: bool) -> Result<(), Stop> {
        if rescan || self.deferred {
            self.reconcile();
        }
        let mut db_events = std::mem::take(&mut self.db_waiting);
        let changed: Vec<u32> = self
            .files
            .iter()
            .filter(|(_, f)| f.tail.changed())
            .map(|(&id, _)| id)
            .collect();
        let (vm_files, db_files): (Vec<u32>, Vec<u32>) = changed
            .into_iter()
            .partition(|id| matches!(self.files[id].what, What::Vm { .. }));
        for id in vm_files {
            self.read(id, &mut db_events);
        }
        self.analyse_dirty()?;
        self.drop_gone_vms();
        for id in db_files {
            self.read(id, &mut db_events);
        }
        for e in db_events {
            let by = self.explainer.event(&e, self.opts.qos.us);
            self.out
                .db_event(&e, by.as_ref())
                .map_err(|_| Stop::Closed)?;
        }
        Ok(())
    }

    /// A VM none of whose logs is followed any more (its directory deleted
    /// or moved away) is let go, once what it last held is printed: a watch
    /// of weeks keeps no state for VMs that are gone.
    fn drop_gone_vms(&mut self) {
        if !std::mem::take(&mut self.let_go_some) {
            return;
        }
        self.vms.retain(|_, vm| !vm.is_gone());
        let vms = &self.vms;
        self.vmx.retain(|k, _| vms.contains_key(k) || k.exists());
    }

    fn analyse_dirty(&mut self) -> Result<(), Stop> {
        let dirty = std::mem::take(&mut self.dirty);
        for dir in dirty {
            let Some(vm) = self.vms.get_mut(&dir) else {
                continue;
            };
            let vmx = self.vmx.get(&dir).and_then(|n| n.as_deref());
            let mut update = vm.analyse(vmx, &self.opts, &mut self.next_cluster);
            update.events.sort_by_key(|e| (e.time, e.line));
            for e in &update.events {
                self.new_stun(e)?;
            }
            for c in &update.clusters {
                self.out.cluster(c).map_err(|_| Stop::Closed)?;
            }
        }
        Ok(())
    }

    fn stun_ref(&self, e: &analyze::Event) -> StunRef {
        let dir_name = Path::new(e.source.as_str())
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        StunRef {
            host: e.host.to_string(),
            vm: e.vm.to_string(),
            dir_name,
            time_ms: e.time,
            stun_us: e.stun_us,
            verdict: e.verdict,
        }
    }

    /// Prints a new stun, and the database events waiting for it; ends the
    /// watch when it reaches `--fail-on`.
    fn new_stun(&mut self, e: &analyze::Event) -> Result<(), Stop> {
        let s = &mut self.stats;
        s.stuns += 1;
        match e.verdict {
            Verdict::Risk => s.risk += 1,
            Verdict::Failover => s.failover += 1,
            Verdict::Ok => {}
        }
        if s.longest.as_ref().is_none_or(|(us, _)| e.stun_us > *us) {
            s.longest = Some((e.stun_us, e.vm.clone()));
        }
        s.last = Some((e.time, e.stun_us, e.vm.clone(), e.verdict));
        if e.stun_us >= self.opts.min_us {
            self.out.event(e).map_err(|_| Stop::Closed)?;
        }
        let explained = self.explainer.stun(self.stun_ref(e), self.opts.qos.us);
        for (db_event, by) in explained {
            self.out
                .db_event(&db_event, Some(&by))
                .map_err(|_| Stop::Closed)?;
        }
        if self.fail.is_some_and(|f| e.verdict >= f) {
            return Err(Stop::Fail);
        }
        Ok(())
    }
}

/// New records of one VM, from one followed file.
struct Group {
    /// The VM's key in `Follow::vms`.
    key: PathBuf,
    /// The syslogID of a forwarded VM, None for a directory's.
    app: Option<Vec<u8>>,
    /// The file (for a forwarded VM's name and key).
    file: PathBuf,
    place: vms::Place,
    records: Vec<Record>,
}

impl Group {
    fn vm(&self) -> VmState {
        match &self.app {
            Some(app) => VmState::forwarded(&self.file, app),
            None => VmState::new(&self.key),
        }
    }
}

/// Splits a VMware log's new records by VM: its own lines are its
/// directory's VM, lines forwarded by syslog the VM their envelope names
/// (one per syslogID in the file; the envelope's host kept per record
/// group), as in a scan.
fn by_vm(path: &Path, what: &What, records: Vec<Record>) -> Vec<Group> {
    let What::Vm {
        dir,
        scanner,
        source,
        rank,
        ..
    } = what
    else {
        return Vec::new();
    };
    let mut groups: BTreeMap<u32, Vec<Record>> = BTreeMap::new();
    for r in records {
        groups.entry(r.origin).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(origin, records)| {
            let (key, app, host) = match scanner.origin_of(origin) {
                Some(Origin::Forwarded { host, app }) => {
                    let mut key = path.as_os_str().as_encoded_bytes().to_vec();
                    key.push(b':');
                    key.extend_from_slice(app);
                    let key = PathBuf::from(std::ffi::OsString::from_vec(key));
                    (key, Some(app.clone()), Some(Name::from(escape_bytes(host))))
                }
                _ => (dir.clone(), None, None),
            };
            Group {
                key,
                app,
                file: path.to_owned(),
                place: vms::Place {
                    source: source.clone(),
                    rank: *rank,
                    host,
                },
                records,
            }
        })
        .collect()
}

/// The rotation rank of a log's name: 0 for `vmware.log`, N+1 for
/// `vmware-N.log`.
fn log_rank(path: &Path) -> u32 {
    path.file_name()
        .and_then(|b| input::log_rank(b.as_encoded_bytes()))
        .unwrap_or(0)
}

/// The `displayName` of the first `.vmx` (by name) in `dir` that has one.
fn vmx_in_dir(dir: &Path) -> Option<String> {
    let mut vmx: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "vmx") && p.is_file())
        .collect();
    vmx.sort();
    vmx.into_iter().find_map(|p| {
        let mut buf = Vec::new();
        std::fs::File::open(p)
            .ok()?
            .take(MAX_VMX)
            .read_to_end(&mut buf)
            .ok()?;
        buf.split(|&c| c == b'\n')
            .find_map(crate::vmlog::vmx_display_name)
            .map(escape_bytes)
    })
}
