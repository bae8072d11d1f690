//! Quiesce windows: VMware Tools freezing the guest for a snapshot, read
//! from real log lines (`fixtures/quiesce/README.md` says where each was
//! seen), in JSON and in every human format.

mod common;

use common::*;
use serde_json::Value;

fn quiesce_fields(q: &Value) -> (String, Option<String>, Option<i64>, String, Option<u64>) {
    (
        q["start"].as_str().unwrap().to_owned(),
        q["end"].as_str().map(str::to_owned),
        q["ms"].as_i64(),
        q["outcome"].as_str().unwrap().to_owned(),
        q["cluster"].as_u64(),
    )
}

#[test]
fn a_timed_out_quiesce_without_a_stun_is_reported_with_its_duration_and_a_note() {
    let (v, code) = json(&["fixtures/quiesce/timeout/vmware.log"]);
    assert_eq!(code, 0);
    let qs = v["quiesces"].as_array().unwrap();
    assert_eq!(qs.len(), 1);
    assert_eq!(
        quiesce_fields(&qs[0]),
        (
            "2017-02-09T12:53:30.206Z".to_owned(),
            Some("2017-02-09T13:08:30.109Z".to_owned()),
            Some(899_903),
            "timeout".to_owned(),
            None
        )
    );
    assert_eq!(qs[0]["snapshot"], "VEEAM BACKUP TEMPORARY SNAPSHOT");
    assert_eq!(qs[0]["vm"], "timeout");
    assert!(v["clusters"].as_array().unwrap().is_empty());
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("timed out after 14m 59s")
                && n.contains("no snapshot stun followed")),
        "{notes:?}"
    );
}

#[test]
fn a_normal_quiesce_gives_its_create_cluster_a_duration() {
    let (v, _) = json(&["fixtures/quiesce/done/vmware.log"]);
    let q = &v["quiesces"][0];
    assert_eq!(
        quiesce_fields(q),
        (
            "2017-02-09T12:53:30.206Z".to_owned(),
            Some("2017-02-09T12:53:32.480Z".to_owned()),
            Some(2274),
            "done".to_owned(),
            Some(1)
        )
    );
    let c = &v["clusters"][0];
    assert_eq!(c["kind"], "create");
    assert_eq!(c["quiesce"], *q);
    assert!(v["notes"].as_array().unwrap().is_empty(), "{}", v["notes"]);
    let (table, _, _) = run(&["--format", "table", "fixtures/quiesce/done/vmware.log"]);
    assert!(table.contains("quiesce"), "{table}");
    assert!(table.contains("2.274 s"), "{table}");
    assert!(!table.contains("did not end"), "{table}");
}

#[test]
fn a_quiesce_that_never_returns_to_idle_ends_with_its_snapshot() {
    // The seed log: IDLE -> STARTED, then `SnapshotVMXTakeSnapshotComplete`.
    let (v, _) = json(&["fixtures/seed/vmware.log"]);
    let q = &v["quiesces"][0];
    assert_eq!(q["outcome"], "done");
    assert_eq!(q["ms"], 860);
    assert_eq!(q["cluster"], 1);
    assert_eq!(v["clusters"][0]["quiesce"]["ms"], 860);
    assert_eq!(v["clusters"][1]["quiesce"], Value::Null);
}

#[test]
fn a_snapshot_taken_again_without_quiescing_is_not_the_quiesced_one() {
    let (v, _) = json(&["fixtures/quiesce/fallback/vmware.log"]);
    let q = &v["quiesces"][0];
    assert_eq!(q["outcome"], "timeout");
    assert_eq!(q["cluster"], Value::Null);
    let c = &v["clusters"][0];
    assert_eq!(
        (c["kind"].as_str(), c["quiesced"].as_bool()),
        (Some("create"), Some(false))
    );
    assert_eq!(c["quiesce"], Value::Null);
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("taken again without quiescing at 2017-02-09T13:09:07.497Z"),
        "{notes}"
    );
}

#[test]
fn every_human_format_shows_a_failed_quiesce() {
    for f in ["table", "markdown", "html"] {
        let (out, _, code) = run(&["--format", f, "fixtures/quiesce/timeout/vmware.log"]);
        assert_eq!(code, 0);
        assert!(out.contains("timeout 14m 59s"), "{f}: {out}");
        assert!(out.contains("no snapshot stun followed"), "{f}: {out}");
    }
    let (out, _, _) = run(&["--format", "table", "fixtures/quiesce/fallback/vmware.log"]);
    assert!(out.contains("taken again without quiescing"), "{out}");
}
