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
