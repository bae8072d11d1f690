//! `--follow`: the real binary watching a directory that the test changes
//! underneath it — appends (a line in two writes), a power-on rotation, a
//! copy-and-truncate rotation, a new VM directory, a deleted log, a
//! database log restarted — with change notifications and with polling.
//!
//! Every wait is for output, with a generous bound ([`LATENCY`]) so that a
//! loaded machine passes; the bound is the promise (a stun printed within a
//! few seconds of being written), the measured latency is in the
//! benchmark.

mod common;

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a stun may take to be printed, on a loaded 2-core machine.
const LATENCY: Duration = Duration::from_secs(10);

fn stun_line(time: &str, us: u64) -> String {
    format!("{time} In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for {us} us\n")
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

/// A running `stunscan --follow`, its output read as it comes.
struct Watch {
    child: Child,
    lines: Receiver<String>,
    out: Vec<String>,
    err: Arc<Mutex<String>>,
}

impl Watch {
    fn start(args: &[&str]) -> Watch {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin!("stunscan"))
            .args(args)
            .current_dir(common::root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let stdout: ChildStdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let err = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("stderr");
        let sink = err.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Watch {
            child,
            lines,
            out: Vec::new(),
            err,
        }
    }

    /// Waits for a line of standard output holding `needle`.
    fn line(&mut self, needle: &str) -> String {
        if let Some(l) = self.out.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        let deadline = Instant::now() + LATENCY;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.out.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no line with {needle:?} within {LATENCY:?}; stdout:\n{}\nstderr:\n{}",
            self.out.join("\n"),
            self.stderr()
        );
    }

    /// Waits until `n` lines of standard output hold `needle`.
    fn lines_with(&mut self, needle: &str, n: usize) {
        let deadline = Instant::now() + LATENCY;
        while self.count(needle) < n {
            let left = deadline.checked_duration_since(Instant::now());
            match left.map(|l| self.lines.recv_timeout(l)) {
                Some(Ok(l)) => self.out.push(l),
                _ => panic!(
                    "not {n} lines with {needle:?} within {LATENCY:?}:\n{}\nstderr:\n{}",
                    self.out.join("\n"),
                    self.stderr()
                ),
            }
        }
    }

    fn stderr(&self) -> String {
        self.err.lock().expect("lock").clone()
    }

    /// Waits for `needle` on standard error.
    fn note(&self, needle: &str) {
        let deadline = Instant::now() + LATENCY;
        while Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "no {needle:?} on stderr within {LATENCY:?}:\n{}",
            self.stderr()
        );
    }

    /// Waits for the process to end by itself; its exit code.
    fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + LATENCY;
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().expect("wait") {
                // What it printed before it ended.
                while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(2)) {
                    self.out.push(l);
                }
                return st.code().expect("exited, not killed");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("still running after {LATENCY:?}:\n{}", self.stderr());
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill {sig}");
    }

    /// Lines with `needle` printed so far.
    fn count(&self, needle: &str) -> usize {
        self.out.iter().filter(|l| l.contains(needle)).count()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A datastore with one VM that has logged one stun.
fn datastore() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ds = tmp.path().join("vmfs/volumes/ds1");
    fs::create_dir_all(ds.join("db1")).expect("mkdir");
    let log = ds.join("db1/vmware.log");
    append(
        &log,
        "2026-12-04T10:00:00.000Z In(05) vmx - Hostname=esx01\n\
         2026-12-04T10:00:00.100Z In(05) vmx - DICT         displayName = \"db1-prod\"\n",
    );
    append(&log, &stun_line("2026-12-04T10:00:01.000Z", 100_111));
    (tmp, ds)
}

/// Everything a live datastore does, each stun printed exactly once.
fn live_datastore(extra: &[&str]) -> Watch {
    let (tmp, ds) = datastore();
    let db1 = ds.join("db1");
    let log = db1.join("vmware.log");
    let mut args = vec!["--follow", common::path_str(&ds)];
    args.extend_from_slice(extra);
    let mut w = Watch::start(&args);
    // The first report: what the log held.
    let first = w.line("100111");
    assert!(
        first.contains("db1-prod") && first.contains("esx01"),
        "{first}"
    );
    w.note("following 1 file of 1 VM");

    // A stun line written in two calls: read once, whole.
    append(
        &log,
        "2026-12-04T10:01:00.000Z In(05) vcpu-0 - Checkpoint_Unstun: vm stop",
    );
    std::thread::sleep(Duration::from_millis(300));
    append(&log, "ped for 200222 us\n");
    let l = w.line("200222");
    assert!(l.contains("\tdb1-prod\t"), "{l}");

    // Power-on rotation: vmware.log becomes vmware-1.log (a late line still
    // lands in it) and a new vmware.log begins.
    let mut old = OpenOptions::new().append(true).open(&log).expect("open");
    fs::rename(&log, db1.join("vmware-1.log")).expect("rotate");
    old.write_all(stun_line("2026-12-04T10:02:00.000Z", 300_333).as_bytes())
        .expect("late write");
    drop(old);
    append(
        &log,
        "2026-12-04T11:00:00.000Z In(05) vmx - Hostname=esx02\n",
    );
    append(&log, &stun_line("2026-12-04T11:00:01.000Z", 400_444));
    assert!(w.line("300333").contains("vmware-1.log"));
    let l = w.line("400444");
    assert!(l.contains("esx02") && l.contains("db1/vmware.log"), "{l}");

    // Copy-and-truncate: the older logs shift, the live log is copied to
    // vmware-1.log and truncated; the lines after the copy go on in it.
    fs::rename(db1.join("vmware-1.log"), db1.join("vmware-2.log")).expect("shift");
    append(&log, &stun_line("2026-12-04T11:01:00.000Z", 500_555));
    fs::copy(&log, db1.join("vmware-1.log")).expect("copy");
    // Seen before the truncation (the harder order: both hold the line).
    w.note("vmware-1.log is a copy of");
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .expect("truncate");
    append(&log, &stun_line("2026-12-04T11:02:00.000Z", 600_666));
    w.line("500555");
    w.line("600666");

    // A collector that copies over its existing copy, in place.
    append(&log, &stun_line("2026-12-04T11:02:30.000Z", 650_650));
    w.line("650650");
    fs::copy(&log, db1.join("vmware-1.log")).expect("copy over");
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .expect("truncate");

    // A new VM directory.
    let db2 = ds.join("db2");
    fs::create_dir_all(&db2).expect("mkdir");
    append(
        &db2.join("vmware.log"),
        "2026-12-04T11:03:00.000Z In(05) vmx - DICT         displayName = \"app-7\"\n",
    );
    append(
        &db2.join("vmware.log"),
        &stun_line("2026-12-04T11:03:01.000Z", 700_777),
    );
    assert!(w.line("700777").contains("\tapp-7\t"));

    // A deleted log is a note, not an error.
    fs::remove_file(db1.join("vmware-2.log")).expect("delete");
    w.note("vmware-2.log: gone");

    // A VM directory removed, then made again.
    fs::remove_dir_all(&db2).expect("rm db2");
    w.note("db2/vmware.log: gone");
    fs::create_dir_all(&db2).expect("mkdir again");
    append(
        &db2.join("vmware.log"),
        &stun_line("2026-12-04T11:05:00.000Z", 900_999),
    );
    w.line("900999");

    // A last stun, then nothing printed twice.
    append(&log, &stun_line("2026-12-04T11:04:00.000Z", 800_888));
    w.line("800888");
    let all = [
        "100111", "200222", "300333", "400444", "500555", "600666", "650650", "700777", "800888",
        "900999",
    ];
    for us in all {
        assert_eq!(w.count(us), 1, "{us} printed once:\n{}", w.out.join("\n"));
    }
    assert_eq!(w.out.len(), all.len(), "{}", w.out.join("\n"));
    drop(tmp);
    w
}

#[test]
fn follows_a_live_datastore_with_notifications() {
    let w = live_datastore(&[]);
    assert!(
        w.stderr().contains("change notifications"),
        "{}",
        w.stderr()
    );
}

#[test]
fn follows_a_live_datastore_by_polling() {
    let w = live_datastore(&["--poll", "200ms"]);
    assert!(
        w.stderr().contains("polling every 200ms (--poll)"),
        "{}",
        w.stderr()
    );
}

/// Messages of the database beside: a takeover prints with the stun that
/// explains it, also after IRIS restarted its log.
#[test]
fn takeovers_print_with_the_stun_that_explains_them() {
    let (tmp, ds) = datastore();
    let log = ds.join("db1/vmware.log");
    let dbdir = tmp.path().join("db2");
    fs::create_dir_all(&dbdir).expect("mkdir");
    let messages = dbdir.join("messages.log");
    append(
        &messages,
        "12/04/26-09:00:00:000 (3210) 0 [Utility.Event] Startup of InterSystems IRIS [IRIS for UNIX]\n",
    );
    let arg = format!("db2={}", common::path_str(&messages));
    let mut w = Watch::start(&[
        "--follow",
        common::path_str(&ds),
        "--db-log",
        &arg,
        "--format",
        "ndjson",
    ]);
    w.line("100111");
    w.note("following");

    // A 9 s stun of db1, then db2 takes over.
    append(&log, &stun_line("2026-12-04T12:00:09.000Z", 9_000_000));
    w.line("9000000");
    append(
        &messages,
        "12/04/26-12:00:08:231 (3305) 1 [Utility.Event] Becoming primary mirror server\n",
    );
    let takeover: serde_json::Value =
        serde_json::from_str(&w.line("db_event")).expect("a JSON record");
    assert_eq!(takeover["kind"], "takeover");
    assert_eq!(takeover["member"], "db2");
    assert_eq!(takeover["explained_by"]["vm"], "db1-prod");
    assert_eq!(takeover["explained_by"]["stun_us"], 9_000_000);

    // IRIS restarts: messages.log is renamed and begun again.
    fs::rename(&messages, dbdir.join("messages.log.old_20261204")).expect("rotate");
    append(
        &messages,
        "12/04/26-12:30:00:000 (5120) 0 [Utility.Event] Startup of InterSystems IRIS [IRIS for UNIX]\n",
    );
    append(&log, &stun_line("2026-12-04T13:00:06.000Z", 6_000_000));
    w.line("6000000");
    append(
        &messages,
        "12/04/26-13:00:05:000 (5305) 1 [Utility.Event] Becoming primary mirror server\n",
    );
    w.lines_with("db_event", 2);
    let second: serde_json::Value = serde_json::from_str(
        w.out
            .iter()
            .filter(|l| l.contains("db_event"))
            .nth(1)
            .expect("the second takeover"),
    )
    .expect("JSON");
    assert_eq!(second["explained_by"]["stun_us"], 6_000_000);
    assert_eq!(second["line"], 2, "line numbers start again in the new log");
    assert_eq!(w.count("Becoming primary"), 2, "{}", w.out.join("\n"));
}

#[test]
fn fail_on_risk_ends_the_watch_at_the_first_risk_stun() {
    let (_tmp, ds) = datastore();
    let log = ds.join("db1/vmware.log");
    let mut w = Watch::start(&[
        "--follow",
        common::path_str(&ds),
        "--fail-on",
        "risk",
        "--since",
        "now",
    ]);
    w.note("following");
    append(&log, &stun_line("2026-12-04T12:00:00.000Z", 1_000_001));
    w.line("1000001");
    append(&log, &stun_line("2026-12-04T12:01:00.000Z", 4_000_002));
    assert_eq!(w.exit_code(), 1);
    assert!(w.line("4000002").contains("\trisk\t"));
    assert_eq!(w.count("100111"), 0, "--since now: nothing of before");
}

#[test]
fn sigterm_and_sigint_end_the_watch_with_status_0() {
    for sig in ["-TERM", "-INT"] {
        let (_tmp, ds) = datastore();
        let mut w = Watch::start(&["--follow", common::path_str(&ds)]);
        w.note("following");
        w.signal(sig);
        assert_eq!(w.exit_code(), 0, "{sig}");
    }
}

#[test]
fn whole_report_formats_are_refused() {
    let (_tmp, ds) = datastore();
    for f in ["json", "markdown", "html"] {
        let (out, err, code) = common::run(&["--follow", common::path_str(&ds), "--format", f]);
        assert_eq!(code, 2, "{f}");
        assert!(out.is_empty());
        assert!(
            err.contains(&format!("--format {f} is a whole report"))
                && err.contains("tsv, csv, raw or ndjson"),
            "{err}"
        );
    }
}

#[test]
fn standard_input_cannot_be_followed() {
    let (_, err, code) = common::run(&["--follow", "-"]);
    assert_eq!(code, 2);
    assert!(err.contains("standard input cannot be followed"), "{err}");
}

/// A syslog collector's file, followed: the lines of three VMs on two hosts
/// interleaved, each stun printed with its VM (the syslogID) and host (the
/// syslog hostname), also after the collector rotated its file.
#[test]
fn follows_a_syslog_collector_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("esxi-vmx.log");
    append(
        &file,
        "Dec  5 17:41:00 esx01 Hostd[2099]: info hostd[2099] [Originator@6876 sub=Vimsvc.TaskManager] Task Created\n",
    );
    let mut w = Watch::start(&["--follow", common::path_str(&file), "--format", "ndjson"]);
    w.note("following");
    let vmx = |host: &str, vm: &str, time: &str, us: u64| {
        format!(
            "<14>1 {time} {host} {vm} 2101 - - {time} In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for {us} us\n"
        )
    };
    append(
        &file,
        &vmx("esx01", "db1-prod", "2026-12-04T12:00:00.100Z", 111_001),
    );
    append(
        &file,
        &vmx("esx02", "db2-prod", "2026-12-04T12:00:00.200Z", 4_222_002),
    );
    append(
        &file,
        &vmx("esx01", "app-7", "2026-12-04T12:00:00.300Z", 333_003),
    );
    // app-7 moved to esx02 (vMotion): its next stun is logged there.
    append(
        &file,
        &vmx("esx02", "app-7", "2026-12-04T12:30:00.000Z", 333_004),
    );
    let event = |w: &mut Watch, us: &str| -> (String, String) {
        let v: serde_json::Value = serde_json::from_str(&w.line(us)).expect("JSON");
        (
            v["vm"].as_str().unwrap().to_owned(),
            v["host"].as_str().unwrap().to_owned(),
        )
    };
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(event(&mut w, "111001"), s("db1-prod", "esx01"));
    assert_eq!(event(&mut w, "4222002"), s("db2-prod", "esx02"));
    assert_eq!(event(&mut w, "333003"), s("app-7", "esx01"));
    assert_eq!(event(&mut w, "333004"), s("app-7", "esx02"));

    // The collector rotates its file (rename, new file).
    fs::rename(&file, tmp.path().join("esxi-vmx.log.1")).expect("rotate");
    append(
        &file,
        &vmx("esx02", "db2-prod", "2026-12-04T13:00:00.000Z", 222_005),
    );
    assert_eq!(event(&mut w, "222005"), s("db2-prod", "esx02"));
    for us in ["111001", "4222002", "333003", "333004", "222005"] {
        let stun = format!("\"stun_us\":{us},");
        assert_eq!(w.count(&stun), 1, "{us} once:\n{}", w.out.join("\n"));
    }
}

/// The marker that decides a kind is usually logged before the stun; when
/// a later line decides it (`ConsolidateEnd` after the consolidation's
/// stun), the stun is printed at once and its cluster follows as a cluster
/// record with the kind.
#[test]
fn a_kind_decided_by_a_later_line_follows_as_a_cluster_record() {
    let (_tmp, ds) = datastore();
    let log = ds.join("db1/vmware.log");
    let mut w = Watch::start(&[
        "--follow",
        common::path_str(&ds),
        "--since",
        "now",
        "--format",
        "ndjson",
    ]);
    w.note("following");
    append(&log, &stun_line("2026-12-04T12:00:00.000Z", 3_500_001));
    let stun: serde_json::Value = serde_json::from_str(&w.line("3500001")).expect("JSON");
    assert_eq!(stun["kind"], "unknown", "no marker yet: {stun}");
    append(
        &log,
        "2026-12-04T12:00:00.079Z In(05) vmx - ConsolidateEnd: Snapshot consolidate complete: The operation completed successfully (0).\n",
    );
    let c: serde_json::Value =
        serde_json::from_str(&w.line("\"record\":\"cluster\"")).expect("JSON");
    assert_eq!(c["id"], stun["cluster"]);
    assert_eq!(c["kind"], "consolidate");
    assert_eq!(c["kind_source"], "marker");
    assert_eq!(
        w.count("\"stun_us\":3500001,"),
        1,
        "the stun is not printed again"
    );
}

#[test]
fn a_watched_directory_deleted_and_made_again_is_watched_again() {
    let (_tmp, ds) = datastore();
    let mut w = Watch::start(&["--follow", "--format", "tsv", common::path_str(&ds)]);
    w.line("100111");
    w.note("following 1 file of 1 VM");
    fs::remove_dir_all(&ds).expect("rm -rf");
    fs::create_dir_all(ds.join("db1")).expect("mkdir");
    append(&ds.join("db1/vmware.log"), "");
    w.note("made anew; watching it again");
    append(
        &ds.join("db1/vmware.log"),
        &stun_line("2026-12-04T17:00:00.000Z", 9_100_000),
    );
    w.line("9100000");
    // A later stun proves the new directory is followed, and the first
    // printed once.
    append(
        &ds.join("db1/vmware.log"),
        &stun_line("2026-12-04T17:00:05.000Z", 200_222),
    );
    w.line("200222");
    assert_eq!(w.count("9100000"), 1, "{:?}", w.out);
}
