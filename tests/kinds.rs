//! Cluster kinds as real logs contradict the easy rules: hot-add stuns,
//! stale markers, markers logged after the stun, long consolidations, and
//! input with no markers at all.

mod common;

use common::*;
use serde_json::Value;

/// (stun_us, kind, kind_source of its cluster) of every event.
fn kinds(v: &Value) -> Vec<(u64, String, String)> {
    let clusters = v["clusters"].as_array().unwrap();
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let c = clusters
                .iter()
                .find(|c| c["id"] == e["cluster"])
                .expect("the event's cluster is listed");
            assert_eq!(c["kind"], e["kind"]);
            (
                e["stun_us"].as_u64().unwrap(),
                e["kind"].as_str().unwrap().to_owned(),
                c["kind_source"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn k(us: u64, kind: &str, source: &str) -> (u64, String, String) {
    (us, kind.to_owned(), source.to_owned())
}

#[test]
fn hot_add_and_hot_remove_are_hotplug_not_vmotion() {
    let (v, code) = json(&["fixtures/kinds/hotplug/vmware.log"]);
    assert_eq!(code, 0);
    assert_eq!(
        kinds(&v),
        [
            // memory hot-add, with its `Migrate: VM starting stun` line
            k(1150000, "hotplug", "marker"),
            // USB hot-remove
            k(420000, "hotplug", "marker"),
            // a real vMotion: Migrate_Open, then the same `Migrate:` line
            k(900000, "vmotion", "marker"),
        ]
    );
}

#[test]
fn stale_markers_decide_nothing() {
    let (v, _) = json(&["fixtures/kinds/stale/vmware.log"]);
    assert_eq!(
        kinds(&v),
        [
            k(700001, "create", "marker"),
            k(300002, "consolidate", "marker"),
            // 23 h 52 min after `TakeSnapshotComplete`, alone, nothing after:
            // not a guessed create.
            k(2000003, "unknown", "heuristic"),
        ]
    );
    let (v, _) = json(&["fixtures/kinds/stale2/vmware.log"]);
    assert_eq!(
        kinds(&v),
        [
            // A step marker two hours before, its operation never begun.
            k(400004, "unknown", "heuristic"),
            // Two unmarked stuns together.
            k(400005, "consolidate", "heuristic"),
            k(400006, "consolidate", "heuristic"),
        ]
    );
}

#[test]
fn end_markers_after_the_stun_and_open_consolidations() {
    let (v, _) = json(&["fixtures/kinds/after/vmware.log"]);
    assert_eq!(
        kinds(&v),
        [
            // ESXi 5.0: one stun, `ConsolidateEnd` 79 ms after it.
            k(3500001, "consolidate", "marker"),
            // A begin marker after a stun belongs to the next operation.
            k(250002, "unknown", "heuristic"),
            k(1500003, "create", "marker"),
            // ConsolidateStart … 70 min … ConsolidateEnd: both consolidate.
            k(100004, "consolidate", "marker"),
            k(100005, "consolidate", "marker"),
        ]
    );
    assert_eq!(v["clusters"][2]["snapshot"], "next");
    assert_eq!(v["clusters"][2]["quiesced"], true);
}

#[test]
fn the_seed_without_markers_is_still_create_then_consolidate() {
    let (v, _) = json(&["fixtures/seed/stuns-grep.txt"]);
    let got = kinds(&v);
    assert_eq!(got[0], k(1091706, "create", "heuristic"));
    assert!(
        got[1..]
            .iter()
            .all(|e| e.1 == "consolidate" && e.2 == "heuristic"),
        "{got:?}"
    );
    assert_eq!(v["windows"].as_array().unwrap().len(), 1);
}

#[test]
fn a_lone_unmarked_stun_is_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "vmware.log", STUN);
    let (v, _) = json(&[&p]);
    assert_eq!(kinds(&v), [k(1091706, "unknown", "heuristic")]);
    assert!(v["windows"].as_array().unwrap().is_empty());
}

#[test]
fn a_narrow_time_window_never_changes_a_kind() {
    let all = json(&["fixtures/seed/vmware.log"]).0;
    let late = json(&[
        "--since",
        "2017-01-04T22:16:00Z",
        "fixtures/seed/vmware.log",
    ])
    .0;
    let kinds_all = kinds(&all);
    let kinds_late = kinds(&late);
    assert_eq!(kinds_late.len(), 4);
    for e in &kinds_late {
        assert!(kinds_all.contains(e), "{e:?}");
    }
    assert_eq!(late["summary"]["events"], 4);
    assert_eq!(late["vms"][0]["events"], 4);
}
