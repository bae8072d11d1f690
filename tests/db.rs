//! The database's own record through the real binary: `--db-log`,
//! `--db-tz`, discovery of `messages.log`, and the correlations of
//! fixtures/db/EXPECTED.md.

mod common;

use common::*;
use serde_json::Value;

const BUNDLE: &str = "fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz";
const NY: [&str; 2] = ["--db-tz", "America/New_York"];

/// The bundle with the mirror pair's logs and the freeze script's logs.
fn mirror_pair_args() -> Vec<&'static str> {
    vec![
        BUNDLE,
        "--db-log",
        "db1=fixtures/db/db1/messages.log",
        "--db-log",
        "db1=fixtures/db/db1/IRISPROD-pre_post.log",
        "--db-log",
        "db1=fixtures/db/db1/snapshot.log",
        "--db-log",
        "db2=fixtures/db/db2/messages.log",
    ]
}

fn with(mut base: Vec<&'static str>, more: &[&'static str]) -> Vec<&'static str> {
    base.extend_from_slice(more);
    base
}

/// The explaining stun's µs and the lag in ms.
type By = Option<(u64, i64)>;

/// (kind, member, time, explaining stun) of takeovers and mirror events.
fn correlated(v: &Value) -> Vec<(String, String, String, By)> {
    v["db_events"]
        .as_array()
        .expect("db_events[]")
        .iter()
        .filter(|e| matches!(e["kind"].as_str(), Some("takeover" | "mirror")))
        .map(|e| {
            let x = &e["explained_by"];
            let by = (!x.is_null()).then(|| {
                (
                    x["stun_us"].as_u64().unwrap(),
                    x["lag_ms"].as_i64().unwrap(),
                )
            });
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["member"].as_str().unwrap().to_owned(),
                e["time"].as_str().unwrap().to_owned(),
                by,
            )
        })
        .collect()
}

/// (member, time, explaining stun) of takeovers.
fn takeovers(v: &Value) -> Vec<(String, String, By)> {
    correlated(v)
        .into_iter()
        .filter(|(k, ..)| k == "takeover")
        .map(|(_, m, t, x)| (m, t, x))
        .collect()
}

/// (cluster id, in_freeze, freeze_offset_ms) of every cluster.
fn in_freeze(v: &Value) -> Vec<(u64, Option<bool>, Option<i64>)> {
    v["clusters"]
        .as_array()
        .expect("clusters[]")
        .iter()
        .map(|c| {
            (
                c["id"].as_u64().unwrap(),
                c["in_freeze"].as_bool(),
                c["freeze_offset_ms"].as_i64(),
            )
        })
        .collect()
}

fn notes(v: &Value) -> String {
    v["notes"].to_string()
}

#[test]
fn a_stun_explains_one_takeover_and_none_the_other() {
    let (v, code) = json(&with(mirror_pair_args(), &NY));
    assert_eq!(code, 0, "{}", v["errors"]);
    assert_eq!(
        takeovers(&v),
        vec![
            (
                "db2".into(),
                "2025-11-18T22:00:08.231Z".into(),
                Some((4_200_000, 4549))
            ),
            ("db1".into(), "2025-11-19T03:12:49.517Z".into(), None),
        ]
    );
    let t = &v["db_events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "takeover")
        .unwrap();
    let by = &t["explained_by"];
    assert_eq!(by["host"], "esx01");
    assert_eq!(by["vm"], "db1-prod");
    assert_eq!(by["time"], "2025-11-18T22:00:07.882Z");
    assert_eq!(by["verdict"], "risk");
    assert_eq!(t["source"], "fixtures/db/db2/messages.log");
    assert_eq!(t["line"], 14);
    assert_eq!(t["text"], "Becoming primary mirror server");
    let c = correlated(&v);
    assert_eq!(c.len(), 10);
    let lags: Vec<Option<i64>> = c.iter().map(|r| r.3.map(|x| x.1)).collect();
    assert_eq!(
        lags,
        [
            Some(4221),
            None,
            Some(4423),
            Some(4549),
            None,
            None,
            None,
            None,
            None,
            None
        ]
    );
}

#[test]
fn startup_takeover_is_not_a_failover() {
    let (v, _) = json(&with(mirror_pair_args(), &NY));
    let first = &v["db_events"][0];
    assert_eq!(first["kind"], "primary_at_startup");
    assert_eq!(first["time"], "2025-11-18T13:58:16.446Z");
    assert!(first["explained_by"].is_null());
}

#[test]
fn snapshots_inside_and_outside_the_freeze() {
    let (v, _) = json(&with(mirror_pair_args(), &NY));
    assert_eq!(
        in_freeze(&v),
        vec![
            (1, Some(false), Some(5882)),
            (2, None, None),
            (3, Some(true), Some(0)),
            (4, None, None),
            (5, None, None),
            (6, Some(false), None),
        ]
    );
    let f = v["freezes"].as_array().expect("freezes[]");
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["member"], "db1");
    assert_eq!(f[0]["start"], "2025-11-18T21:59:56.000Z");
    assert_eq!(f[0]["end"], "2025-11-18T22:00:02.000Z");
    assert_eq!(f[0]["duration_ms"], 6000);
    assert_eq!(f[0]["create_clusters_inside"], serde_json::json!([]));
    assert_eq!(f[0]["create_clusters_outside"], serde_json::json!([1]));
    assert_eq!(f[1]["end"], "2025-11-19T22:00:08.466Z");
    assert_eq!(f[1]["create_clusters_inside"], serde_json::json!([3]));
    assert!(f[1]["source"].as_str().unwrap().contains("snapshot.log"));
}

#[test]
fn a_named_members_windows_speak_for_its_vm_alone() {
    let args = vec![BUNDLE, "--db-log", "db1=fixtures/db/db1/messages.log"];
    let (v, _) = json(&with(args, &NY));
    let f = in_freeze(&v);
    // messages.log alone thaws at 17:00:01.702, not the $SNAPLOG's 17:00:02.
    assert_eq!(f[0], (1, Some(false), Some(6180)));
    assert_eq!(f[2], (3, Some(true), Some(0)));
    assert_eq!(
        f[5],
        (6, None, None),
        "db1's log says nothing about db2-replica"
    );
}

#[test]
fn db_tz_shifts_the_database_times() {
    let (utc, code) = json(&mirror_pair_args());
    assert_eq!(code, 0);
    assert_eq!(
        takeovers(&utc),
        vec![
            ("db2".into(), "2025-11-18T17:00:08.231Z".into(), None),
            ("db1".into(), "2025-11-18T22:12:49.517Z".into(), None),
        ]
    );
    let n = notes(&utc);
    assert!(n.contains("read as UTC") && n.contains("--db-tz"), "{n}");
    assert!(n.contains("say EST"), "the $SNAPLOG's zone disagrees: {n}");
    let (ny, _) = json(&with(mirror_pair_args(), &NY));
    assert!(!notes(&ny).contains("read as UTC"));
    let (fixed, _) = json(&with(mirror_pair_args(), &["--db-tz", "-05:00"]));
    assert_eq!(takeovers(&fixed), takeovers(&ny));
}

#[test]
fn a_shorter_qos_lets_the_vmotion_explain_the_second_takeover() {
    let (v, code) = json(&with(
        mirror_pair_args(),
        &["--db-tz", "America/New_York", "--qos", "1s"],
    ));
    assert_eq!(code, 0);
    assert_eq!(
        takeovers(&v)[1],
        (
            "db1".into(),
            "2025-11-19T03:12:49.517Z".into(),
            Some((612_093, 5568))
        )
    );
}

#[test]
fn the_table_names_the_takeover_and_its_stun() {
    let (out, _, code) = run(&with(
        with(mirror_pair_args(), &NY),
        &["--format", "table", "--color", "never"],
    ));
    assert_eq!(code, 0);
    assert!(out.contains("Database events (4 logs)"), "{out}");
    assert!(out.contains("no stun explains it"), "{out}");
    assert!(out.contains("Freeze windows"), "{out}");
    let verdict = out
        .lines()
        .find(|l| l.starts_with("Verdict:"))
        .expect("verdict line");
    assert!(
        verdict.contains(
            "db2 took over at 2025-11-18T22:00:08.231Z, 4.549 s after a 4.200 s risk stun on db1-prod (esx01) began"
        ),
        "{verdict}"
    );
    assert!(verdict.contains("2 takeovers in all"), "{verdict}");
}

#[test]
fn the_seed_freeze_does_not_cover_the_seed_stun() {
    let args = [
        "fixtures/seed/vmware.log",
        "--db-log",
        "fixtures/db/seed/snapshot.log",
        "--db-log",
        "fixtures/db/seed/H20152-pre_post.log",
        "--db-tz",
        "America/New_York",
    ];
    let (v, code) = json(&args);
    assert_eq!(code, 0);
    let f = &v["freezes"][0];
    assert_eq!(f["member"], "H20152");
    assert_eq!(f["start"], "2017-01-04T21:30:36.000Z");
    assert_eq!(f["end"], "2017-01-04T21:30:42.000Z");
    assert_eq!(f["duration_ms"], 6000);
    assert_eq!(in_freeze(&v)[0], (1, None, None));
    assert!(takeovers(&v).is_empty());
}

#[test]
fn a_missing_db_log_is_an_error_and_the_report_stands() {
    let args = [BUNDLE, "--db-log", "db1=fixtures/db/nope/messages.log"];
    let (v, code) = json(&args);
    assert_eq!(code, 2);
    assert_eq!(v["summary"]["events"], 9);
    let e = v["errors"].to_string();
    assert!(
        e.contains("fixtures/db/nope/messages.log") && e.contains("--db-log"),
        "{e}"
    );
}

#[test]
fn a_corrupt_gzip_db_log_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read("fixtures/db/db2/messages.log").unwrap();
    let mut data = gz(&text);
    data.truncate(data.len() - 20);
    let p = write(dir.path(), "messages.log.gz", &data);
    let arg = format!("db2={p}");
    let (v, code) = json(&[BUNDLE, "--db-log", &arg, "--db-tz", "America/New_York"]);
    assert_eq!(code, 2);
    assert!(v["errors"].to_string().contains("gzip"), "{}", v["errors"]);
    assert_eq!(v["summary"]["events"], 9);
}

#[test]
fn an_unknown_zone_is_a_usage_error() {
    let (_, err, code) = run(&[BUNDLE, "--db-tz", "Mars/Olympus"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown time zone"), "{err}");
}

#[test]
fn messages_log_named_on_the_command_line_is_a_database_log() {
    let (v, code) = json(&[
        BUNDLE,
        "fixtures/db/db2/messages.log",
        "--db-tz",
        "America/New_York",
    ]);
    assert_eq!(code, 0, "{}", v["errors"]);
    assert_eq!(vm_field(&v, "vm"), ["db1-prod", "db2-replica"]);
    let t = takeovers(&v);
    assert_eq!(t[0].0, "db2", "no NAME: its folder labels it");
    let src = v["db_events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "takeover")
        .map(|e| e["source"].clone());
    assert_eq!(src, Some("fixtures/db/db2/messages.log".into()));
    assert_eq!(t[0].2, Some((4_200_000, 4549)));
    assert!(
        !notes(&v).contains("no VMware log found in it"),
        "{}",
        notes(&v)
    );
}

#[test]
fn messages_log_is_found_in_directories_and_archives() {
    let dir = tempfile::tempdir().unwrap();
    let vmlog = std::fs::read(
        "fixtures/src/esx-esx01-2026-11-20--10.30-123456/vmfs/volumes/datastore1/db1/vmware-2.log",
    )
    .unwrap();
    let messages = std::fs::read("fixtures/db/db2/messages.log").unwrap();
    let vm = dir.path().join("db1");
    std::fs::create_dir_all(&vm).unwrap();
    write(&vm, "vmware.log", &vmlog);
    write(dir.path(), "messages.log", &messages);
    let (v, code) = json(&[path_str(dir.path()), "--db-tz", "America/New_York"]);
    assert_eq!(code, 0, "{}", v["errors"]);
    assert_eq!(takeovers(&v)[0].2, Some((4_200_000, 4549)));

    let tgz = gz(&tar_bytes(&[
        ("bundle/vmfs/volumes/ds1/db1/vmware.log", &vmlog),
        ("bundle/iris/mgr/messages.old_20251119.gz", &gz(&messages)),
        (
            "bundle/iris/mgr/other.log",
            b"11/18/25-17:00:08:231 (1) 1 [Utility.Event] Becoming primary mirror server\n",
        ),
    ]));
    let p = write(dir.path(), "b.tgz", &tgz);
    let (v, code) = json(&[&p, "--db-tz", "America/New_York"]);
    assert_eq!(code, 0, "{}", v["errors"]);
    let t = takeovers(&v);
    assert_eq!(t.len(), 1, "other.log is not a database log: {t:?}");
    // An instance's `<instance>/mgr/messages.log`: labelled by the instance.
    assert_eq!(t[0].0, "iris");
    let src = v["db_events"].to_string();
    assert!(
        src.contains("b.tgz!bundle/iris/mgr/messages.old_20251119.gz"),
        "{src}"
    );
}

#[test]
fn without_database_logs_the_keys_are_empty() {
    let (v, _) = json(&[BUNDLE]);
    assert_eq!(v["db_events"], serde_json::json!([]));
    assert_eq!(v["freezes"], serde_json::json!([]));
    assert!(in_freeze(&v).iter().all(|c| c.1.is_none() && c.2.is_none()));
    assert!(!notes(&v).contains("--db-tz"));
}

// ---- Container logs -------------------------------------------------------

/// (kind, time, text) of every database event, and the members.
fn db_events_of(v: &Value) -> (Vec<(String, String, String)>, Vec<String>) {
    let events = v["db_events"].as_array().expect("db_events[]");
    let mut members: Vec<String> = events
        .iter()
        .map(|e| e["member"].as_str().unwrap().to_owned())
        .collect();
    members.sort();
    members.dedup();
    let list = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["time"].as_str().unwrap().to_owned(),
                e["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (list, members)
}

#[test]
fn container_prefixes_give_the_events_of_the_plain_lines() {
    let (plain, code) = json(&["--db-log", "fixtures/db/container/plain.log"]);
    assert_eq!(code, 0);
    let (want, _) = db_events_of(&plain);
    assert_eq!(
        want.iter().map(|(k, ..)| k.as_str()).collect::<Vec<_>>(),
        ["takeover", "backup", "connected"]
    );
    for (file, members) in [
        (
            "compose.log",
            &[
                "mirror-demo-backup",
                "mirror-demo-master",
                "mirror-demo-report",
            ][..],
        ),
        (
            "compose-padded.log",
            &[
                "mirror-demo-backup-1",
                "mirror-demo-master-1",
                "mirror-demo-report-1",
            ][..],
        ),
        ("kubectl.log", &["iris-data-0-a", "iris-data-0-b"][..]),
        ("docker-timestamps.log", &["container"][..]),
        ("json-file.log", &["container"][..]),
    ] {
        let path = format!("fixtures/db/container/{file}");
        let (v, code) = json(&["--db-log", &path]);
        assert_eq!(code, 0, "{file}");
        let (got, got_members) = db_events_of(&v);
        assert_eq!(got, want, "{file}");
        assert_eq!(got_members, members, "{file}");
        let unknown = v["notes"].as_array().unwrap().iter().any(|n| {
            n["message"]
                .as_str()
                .unwrap()
                .contains("known database log format")
        });
        assert!(!unknown, "{file}: {}", v["notes"]);
    }
}

#[test]
fn a_compose_log_of_three_services_is_three_members() {
    // Each service is a member: the takeover is the master's, and a NAME
    // given with the log names them all.
    let (v, _) = json(&["--db-log", "fixtures/db/container/compose.log"]);
    let members: Vec<(&str, &str)> = v["db_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["member"].as_str().unwrap()))
        .collect();
    assert_eq!(
        members,
        [
            ("takeover", "mirror-demo-master"),
            ("backup", "mirror-demo-backup"),
            ("connected", "mirror-demo-report")
        ]
    );
    let (out, _, code) = run(&[
        "--format",
        "table",
        "--db-log",
        "fixtures/db/container/compose.log",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("Database events (3 logs)"), "{out}");
    let (v, _) = json(&["--db-log", "prod=fixtures/db/container/compose.log"]);
    let (_, members) = db_events_of(&v);
    assert_eq!(members, ["prod"]);
}

#[test]
fn the_start_scripts_prefix_reads_as_the_line() {
    // `[INFO] log: ` lines and plain lines of the same output are one log;
    // the un-prefixed copy after it continues its entry.
    let (v, code) = json(&["--db-log", "fixtures/db/container/iris-main.log"]);
    assert_eq!(code, 0);
    assert!(v["db_events"].as_array().unwrap().is_empty());
    let notes = v["notes"].to_string();
    assert!(!notes.contains("known database log format"), "{notes}");
    assert!(!notes.contains("empty database log"), "{notes}");
}

// ---- The database's record alone -------------------------------------------

const ALONE: [&str; 6] = [
    "--db-log",
    "db1=fixtures/db/db1/messages.log",
    "--db-log",
    "db1=fixtures/db/db1/snapshot.log",
    "--db-tz",
    "America/New_York",
];

#[test]
fn a_database_log_alone_is_reported_in_every_format() {
    // Standard input is /dev/null here, as in a script run by cron.
    for format in [
        "table", "markdown", "html", "json", "ndjson", "tsv", "csv", "raw",
    ] {
        let mut args = vec!["--format", format];
        args.extend_from_slice(&ALONE);
        let (out, err, code) = run(&args);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(err.contains("no VM logs were given"), "{format}: {err}");
        assert!(!err.contains("no VMware log found"), "{format}: {err}");
        let takeover = "2025-11-19T03:12:49.517Z";
        match format {
            "table" | "markdown" | "html" => {
                assert!(out.contains("Database record"), "{format}: {out}");
                assert!(out.contains("Freeze windows"), "{format}: {out}");
                assert!(
                    out.contains("db1 took over at 2025-11-19T03:12:49.517Z"),
                    "{format}"
                );
                assert!(!out.contains("no stun explains it"), "{format}");
                assert!(out.contains("No VM logs were given"), "{format}");
            }
            "json" => {
                let v: Value = serde_json::from_str(&out).expect("json");
                assert!(v["inputs"].as_array().unwrap().is_empty());
                assert_eq!(v["freezes"].as_array().unwrap().len(), 2);
                assert!(v["notes"].to_string().contains("no VM logs were given"));
                assert!(out.contains(takeover));
            }
            "ndjson" => {
                let lines: Vec<Value> = out
                    .lines()
                    .map(|l| serde_json::from_str(l).expect("ndjson line"))
                    .collect();
                assert_eq!(lines.len(), 16, "{out}");
                assert!(
                    lines
                        .iter()
                        .any(|l| l["kind"] == "takeover" && l["time"] == takeover)
                );
            }
            "tsv" | "csv" => {
                let sep = if format == "tsv" { "\t" } else { "," };
                let row = out.lines().find(|l| l.contains("takeover")).expect("row");
                assert!(
                    row.starts_with(&format!("{takeover}{sep}takeover{sep}db1{sep}")),
                    "{row}"
                );
            }
            _ => assert!(
                out.contains("fixtures/db/db1/messages.log:36: Becoming primary mirror server"),
                "{out}"
            ),
        }
    }
}

#[test]
fn a_database_log_named_alone_is_the_record_alone() {
    let (v, code) = json(&[
        "fixtures/db/db2/messages.log",
        "--db-tz",
        "America/New_York",
    ]);
    assert_eq!(code, 0, "{}", v["errors"]);
    assert!(v["errors"].as_array().unwrap().is_empty());
    assert!(v["notes"].to_string().contains("no VM logs were given"));
    assert_eq!(takeovers(&v).len(), 1);
    // A folder with no log of either kind is still an error.
    let dir = tempfile::tempdir().unwrap();
    let (_, _, code) = run(&[path_str(dir.path())]);
    assert_eq!(code, 2);
}

/// Runs with standard input a pipe: `feed` is written to it (None: it is
/// held open and silent until the run ends).
fn run_piped(args: &[&str], feed: Option<&[u8]>) -> (String, String, i32) {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stunscan"))
        .current_dir(root())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let stdin = child.stdin.take().expect("stdin");
    let held = match feed {
        Some(bytes) => {
            let mut stdin = stdin;
            stdin.write_all(bytes).expect("write");
            None
        }
        None => Some(stdin),
    };
    let out = child.wait_with_output().expect("ends");
    drop(held);
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
        out.status.code().expect("exited"),
    )
}

#[test]
fn standard_input_is_read_beside_db_logs_only_with_something_in_it() {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(&ALONE);
    // Empty and closed, and open but silent: the database's record alone.
    for feed in [Some(&b""[..]), None] {
        let (out, err, code) = run_piped(&args, feed);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).expect("json");
        assert!(v["inputs"].as_array().unwrap().is_empty(), "{feed:?}");
        assert!(!v["db_events"].as_array().unwrap().is_empty());
    }
    // A VM log on it is read beside the database's.
    let log = std::fs::read(fixture("seed/vmware.log")).expect("seed");
    let (out, err, code) = run_piped(&args, Some(&log));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["inputs"][0]["path"], "-");
    assert!(!v["events"].as_array().unwrap().is_empty());
    assert!(!err.contains("no VM logs were given"), "{err}");
    // `-` reads it whatever it holds, as before.
    let mut dash = args.clone();
    dash.push("-");
    let (_, err, code) = run_piped(&dash, Some(b""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no VMware log found"), "{err}");
}

/// The database's record alone at a real terminal (tmux): standard input
/// is the terminal, and the table is printed.
#[test]
fn a_database_log_alone_at_a_terminal() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("stunscan");
    let socket = format!("stunscan-db-test-{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    };
    let command = format!(
        "cd {} && {} {}; echo exit=$?; sleep 30",
        root().display(),
        bin.display(),
        ALONE.join(" ")
    );
    tmux(&[
        "new-session",
        "-d",
        "-x",
        "80",
        "-y",
        "100",
        "sh",
        "-c",
        &command,
    ]);
    let mut screen = String::new();
    for _ in 0..100 {
        let out = tmux(&["capture-pane", "-p", "-S", "0", "-E", "99"]);
        screen = String::from_utf8_lossy(&out.stdout).into_owned();
        if screen.contains("exit=") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    tmux(&["kill-server"]);
    assert!(screen.contains("exit=0"), "{screen}");
    assert!(screen.contains("Database record — 1 takeover"), "{screen}");
    assert!(screen.contains("no VM logs were given"), "{screen}");
    assert!(!screen.contains("no PATH given"), "{screen}");
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");
}

// ---- Restores, failed takeovers, real formats -------------------------------

/// (outcome, start, end) of every freeze window.
fn outcomes(v: &Value) -> Vec<(String, String, Option<String>)> {
    v["freezes"]
        .as_array()
        .expect("freezes[]")
        .iter()
        .map(|f| {
            (
                f["outcome"].as_str().unwrap().to_owned(),
                f["start"].as_str().unwrap().to_owned(),
                f["end"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn a_restored_vms_log_is_a_restore_not_a_failed_thaw() {
    let (v, code) = json(&["--db-log", "fixtures/db/restore/restored/messages.log"]);
    assert_eq!(code, 0);
    assert_eq!(
        outcomes(&v),
        [(
            "restored".to_owned(),
            "2021-08-11T05:49:44.347Z".to_owned(),
            None
        )]
    );
    // The recovery block under the banner is not the freeze's text.
    let freeze = &v["db_events"][0];
    assert_eq!(freeze["kind"], "freeze");
    assert_eq!(
        freeze["text"],
        "Backup.General.ExternalFreeze: System suspended"
    );
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("restored from a backup taken while frozen"),
        "{notes}"
    );
    assert!(!notes.contains("has no thaw"), "{notes}");
    for format in ["table", "markdown", "html"] {
        let (out, _, code) = run(&[
            "--format",
            format,
            "--db-log",
            "fixtures/db/restore/restored/messages.log",
        ]);
        assert_eq!(code, 0);
        let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains("restored from a backup taken while frozen"),
            "{format}: {out}"
        );
        let row = out
            .lines()
            .find(|l| l.contains("05:49:44.347"))
            .expect("freeze row");
        let said = if format == "html" {
            ">no thaw<"
        } else {
            "no thaw"
        };
        assert!(!row.contains(said), "{format}: {row}");
    }
    // The original VM's log of the same backup: frozen, then thawed.
    let (v, _) = json(&["--db-log", "fixtures/db/restore/original/messages.log"]);
    assert_eq!(
        outcomes(&v),
        [(
            "thawed".to_owned(),
            "2021-08-11T05:49:44.347Z".to_owned(),
            Some("2021-08-11T05:49:55.411Z".to_owned())
        )]
    );
    // A log cut short after its freeze stays open.
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = dir.path().join("messages.log");
    let text = std::fs::read_to_string(fixture("db/restore/original/messages.log")).unwrap();
    let upto = text.find("08/11/21-05:49:54").unwrap();
    std::fs::write(&cut, &text[..upto]).unwrap();
    let (v, _) = json(&["--db-log", path_str(&cut)]);
    assert_eq!(outcomes(&v)[0].0, "open");
}

#[test]
fn a_failed_takeover_is_its_own_kind() {
    let (v, code) = json(&["--db-log", "fixtures/db/container/vip.log"]);
    assert_eq!(code, 0);
    let kinds: Vec<(&str, &str)> = v["db_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["time"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("takeover", "2022-02-06T09:50:00.545Z"),
            ("takeover_failed", "2022-02-06T09:50:03.188Z")
        ]
    );
    let (out, _, _) = run(&[
        "--format",
        "table",
        "--db-log",
        "fixtures/db/container/vip.log",
    ]);
    assert!(out.contains("takeover_failed"), "{out}");
}

#[test]
fn entries_whose_body_is_on_the_next_line_and_equal_times() {
    // `INTERSYSTEMS IRIS JOURNALING SYSTEM MESSAGE` / `Journaling switched
    // to: …` is one entry, no event; two entries at the same millisecond
    // keep their order.
    let (v, _) = json(&["--db-log", "fixtures/db/restore/original/messages.log"]);
    let events = v["db_events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["freeze", "thaw"]);
    let (v, _) = json(&["--db-log", "fixtures/db/container/vip.log"]);
    assert_eq!(
        v["db_events"][0]["text"],
        "No other mirror members configured, becoming primary mirror server"
    );
}

// ---- The freeze inside the quiesce -----------------------------------------

/// Standard output of a run with COLUMNS set to `width`.
fn run_width(args: &[&str], width: &str) -> String {
    let out = cmd()
        .env_remove("TERM")
        .env("COLUMNS", width)
        .args(args)
        .output()
        .expect("runs");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn each_freeze_against_the_snapshots_quiesce() {
    let (v, code) = json(&with(mirror_pair_args(), &NY));
    assert_eq!(code, 0);
    let freezes: Vec<(Option<u64>, Option<bool>, Option<i64>)> = v["freezes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["quiesce_cluster"].as_u64(),
                f["in_quiesce"].as_bool(),
                f["outlasted_quiesce_ms"].as_i64(),
            )
        })
        .collect();
    // Window 1 (21:59:56–22:00:02Z) ends 3.16 s before cluster 1's quiesce
    // begins (22:00:05.160Z): in none. Window 2 (22:00:03–22:00:08.466Z)
    // holds cluster 3's quiesce (22:00:04.911–22:00:06.330Z) and thaws
    // 2.136 s after it ended.
    assert_eq!(
        freezes,
        [(None, Some(false), None), (Some(3), Some(true), Some(2136))]
    );
    let notes = v["notes"].to_string();
    for want in [
        "snapshot #1 (2025-11-18T22:00:07.882Z) was quiesced but taken with no database freeze",
        "outlasted the quiesce of snapshot #3 by 2s",
        "the database freeze at 2025-11-18T21:59:56.000Z sat in no snapshot's quiesce",
    ] {
        assert!(notes.contains(want), "{want}: {notes}");
    }
    // Beside the cluster in every human format (the table wide enough to
    // show the column; narrower, the note names the cluster).
    for (format, width) in [("table", "200"), ("markdown", "80"), ("html", "80")] {
        let mut args = vec!["--format", format];
        args.extend(with(mirror_pair_args(), &NY));
        let out = run_width(&args, width);
        let row = |id: &str| {
            out.lines()
                .find(|l| {
                    let cells: Vec<&str> = l.split(['|', '<', '>']).map(str::trim).collect();
                    l.contains("veeam-backup") && cells.contains(&id)
                        || l.trim_start().starts_with(&format!("{id}  "))
                })
                .map(str::to_owned)
                .unwrap_or_default()
        };
        assert!(out.contains("db freeze"), "{format}: {out}");
        if format != "html" {
            assert!(row("1").contains("NO"), "{format}: {}", row("1"));
            assert!(
                row("3").contains("yes, late thaw"),
                "{format}: {}",
                row("3")
            );
        } else {
            assert!(out.contains("<td class=\"\">NO</td>"), "{out}");
            assert!(out.contains("yes, late thaw"), "{out}");
        }
        assert!(out.contains("crash-consistent"), "{format}");
        assert!(
            out.contains("#3, +2s"),
            "{format}: freeze beside its quiesce"
        );
    }
    let narrow = run_width(
        &[&["--format", "table"][..], &with(mirror_pair_args(), &NY)].concat(),
        "80",
    );
    assert!(narrow.contains("#1 db1-prod: quiesced, but"), "{narrow}");
}

#[test]
fn a_directory_given_to_db_log_is_an_error_that_names_a_file_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read("fixtures/db/db2/messages.log").unwrap();
    write(dir.path(), "messages.log", &text);
    let d = dir.path().to_str().unwrap().to_owned();
    let (v, code) = json(&[BUNDLE, "--db-log", &d]);
    assert_eq!(code, 2);
    assert_eq!(v["summary"]["events"], 9, "the report stands");
    let e = v["errors"].to_string();
    assert!(e.contains("is a directory"), "{e}");
    assert!(e.contains(&format!("{d}/messages.log")), "{e}");
    assert!(!e.contains("os error"), "{e}");
}
