//! Cluster kinds, each decided by a marker line seen in real logs (the
//! fixtures' README says where), with that line as the evidence; the rules
//! real logs contradict the easy ones with: hot-add stuns, stale markers,
//! markers logged after the stun, long consolidations; and where the log
//! is silent: a guess in a source of stun lines alone, `unknown` anywhere
//! else.

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

/// (line, text) of cluster `i`'s evidence; panics when it has none.
fn evidence(v: &Value, i: usize) -> (u64, String) {
    let e = &v["clusters"][i]["evidence"];
    assert!(
        e.is_object(),
        "cluster {i} has no evidence: {}",
        v["clusters"][i]
    );
    (
        e["line"].as_u64().unwrap(),
        e["text"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn the_rebooted_esxi_67_vm_is_reset_six_times_with_no_backup_window() {
    let (v, code) = json(&["fixtures/kinds/reset-esxi67"]);
    assert_eq!(code, 0);
    assert_eq!(
        kinds(&v),
        [
            k(22072, "reset", "marker"),
            k(34963, "reset", "marker"),
            k(35103, "reset", "marker"),
            k(34064, "reset", "marker"),
            k(33138, "reset", "marker"),
            k(38749, "reset", "marker"),
        ]
    );
    for i in 0..6 {
        // The guest reboots log the step alone; the API reset (the sixth)
        // also its begin, `VM reset requested`, which says who asked.
        let want = if i == 5 {
            "VM reset requested: Attempting CPUs/Devices reset."
        } else {
            "DEVICE: Resetting device 'ALL'."
        };
        assert_eq!(evidence(&v, i).1, want);
        let source = v["clusters"][i]["evidence"]["source"].as_str().unwrap();
        assert!(
            source.ends_with(if i == 0 {
                "vmware-1.log"
            } else {
                "vmware-2.log"
            }),
            "{source}"
        );
    }
    // The API reset's evidence is its begin line (141), not the
    // `DEVICE: Resetting device 'ALL'.` step logged after it (145).
    assert_eq!(v["clusters"][5]["evidence"]["line"], 141);
    assert!(v["windows"].as_array().unwrap().is_empty());
    // `memoryHotplug: Node 0: Present`, logged at every power-on, opened
    // nothing: the stun 22 minutes later is a reset.
    assert_eq!(v["clusters"][1]["start"], "2021-03-01T07:33:06.434Z");
}

#[test]
fn a_fixture_of_real_lines_for_every_kind_that_has_them() {
    for (dir, kind, line, text) in [
        (
            "create",
            "create",
            1,
            "SnapshotVMX_TakeSnapshot start: 'Backup', deviceState=0, lazy=0, logging=0, quiesced=1, forceNati",
        ),
        (
            "consolidate",
            "consolidate",
            1,
            "SnapshotVMXConsolidateOnlineCB: Another iteration is needed.",
        ),
        (
            "vmotion-source",
            "vmotion",
            3,
            "Received migrate 'to' request for mid id 8743996508480001077, src ip <192.168.1.22>, dst ip <192.168.1.23>(invalidate source config).",
        ),
        (
            "vmotion-dest",
            "vmotion",
            1,
            "Migrate_Open: Restoring from <10.0.0.2> with migration id 1446046703473901",
        ),
        (
            "hotplug-memory",
            "hotplug",
            3,
            "memoryHotplug: Change of memory size from 32768 to 65536 was requested",
        ),
        (
            "hotplug-usb",
            "hotplug",
            1,
            "Requesting hot-remove of 'usb'.",
        ),
        (
            "hotplug-disk",
            "hotplug",
            1,
            "VigorTransportProcessClientPayload: opID=3ca02fa6-01-d-8704 seq=198939: Receiving HotPlugManager.BeginBatch request.",
        ),
    ] {
        let (v, code) = json(&[&format!("fixtures/kinds/{dir}/vmware.log")]);
        assert_eq!(code, 0, "{dir}");
        let c = &v["clusters"][0];
        assert_eq!(
            (c["kind"].as_str(), c["kind_source"].as_str()),
            (Some(kind), Some("marker")),
            "{dir}"
        );
        assert_eq!(evidence(&v, 0), (line, text.to_owned()), "{dir}");
        assert!(
            c["evidence"]["source"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{dir}/vmware.log"))
        );
    }
}

#[test]
fn an_unmarked_stun_in_a_full_log_is_unknown_with_the_line_before_it() {
    let (v, _) = json(&["fixtures/kinds/after/vmware.log"]);
    // 250002 at 19:00:00, after the ESXi 5.0 consolidation ended.
    let c = &v["clusters"][1];
    assert_eq!(
        (c["kind"].as_str(), c["kind_source"].as_str()),
        (Some("unknown"), Some("none"))
    );
    assert_eq!(
        evidence(&v, 1),
        (
            5,
            "ConsolidateEnd: Snapshot consolidate complete: The operation completed successfully (0).".to_owned()
        )
    );
}

/// A log in vm-support fragments, one of them missing: an unmarked stun
/// inside a fragment has the fragment's line before it as its evidence,
/// in the first fragment and after the gap alike (the markers before a
/// fragment may be in another one, so none of its own can rule the line
/// out).
#[test]
fn an_unmarked_stun_inside_a_fragment_has_the_line_before_it() {
    let (v, _) = json(&["fixtures/bundles/esx-esx04-2026-11-22--08.00-888888.tgz"]);
    let gone: Vec<usize> = (0..v["clusters"].as_array().unwrap().len())
        .filter(|&i| v["clusters"][i]["vm"] == "gone01")
        .collect();
    assert_eq!(gone.len(), 2, "{}", v["clusters"]);
    for &i in &gone {
        assert_eq!(v["clusters"][i]["kind"], "unknown");
    }
    assert_eq!(
        evidence(&v, gone[0]),
        (3, r#"DICT               displayName = "gone01""#.to_owned())
    );
    assert_eq!(
        evidence(&v, gone[1]),
        (14, "Tools: filler line 0058.".to_owned())
    );
    let source = v["clusters"][gone[1]]["evidence"]["source"]
        .as_str()
        .unwrap();
    assert!(source.ends_with("gone01/vmware.log.FRAG-00002"), "{source}");
    // The human formats show the DICT line's padding as one blank, so its
    // words fit at 80 columns; JSON (above) keeps the line as logged.
    let out = cmd()
        .env("COLUMNS", "80")
        .args(["--format", "table", "--explain"])
        .arg("fixtures/bundles/esx-esx04-2026-11-22--08.00-888888.tgz")
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("the line before it, vmware.log:3: DICT displayName = "),
        "{table}"
    );
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
    // The evidence of a `Migrate:` line's cluster is the line that opened
    // the operation it belongs to.
    assert_eq!(
        evidence(&v, 0).1,
        "memoryHotplug: Change of memory size from 32768 to 65536 was requested"
    );
    assert!(
        evidence(&v, 2)
            .1
            .starts_with("Migrate_Open: Restoring from")
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
            // 23 h 52 min after `TakeSnapshotComplete`: no marker decides,
            // and the log holds other lines, so nothing is guessed.
            k(2000003, "unknown", "none"),
        ]
    );
    let (v, _) = json(&["fixtures/kinds/stale2/vmware.log"]);
    assert_eq!(
        kinds(&v),
        [
            // A step marker two hours before, its operation never begun.
            k(400004, "unknown", "none"),
            // Two unmarked stuns together: not a guessed consolidate in a
            // log that holds other lines.
            k(400005, "unknown", "none"),
            k(400006, "unknown", "none"),
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
            k(250002, "unknown", "none"),
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
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    assert!(clusters.iter().all(|c| c["evidence"].is_null()));
    let windows = v["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["guessed"], true);
    // The human formats mark the guesses.
    let (table, _, _) = run(&["--format", "table", "fixtures/seed/stuns-grep.txt"]);
    assert!(
        table.contains("create?") && table.contains("consolidate?"),
        "{table}"
    );
    // The same stuns in the full log: decided by markers, a window not guessed.
    let (full, _) = json(&["fixtures/seed/vmware.log"]);
    assert_eq!(full["windows"][0]["guessed"], false);
    assert_eq!(full["clusters"][0]["kind_source"], "marker");
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

#[test]
fn every_human_format_shows_what_decided_each_kind() {
    let out = cmd()
        .env("COLUMNS", "80")
        .args([
            "--format",
            "table",
            "--explain",
            "fixtures/kinds/reset-esxi67",
        ])
        .args([
            "fixtures/formats/oldformat/vmware.log",
            "fixtures/seed/stuns-grep.txt",
        ])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let explained: Vec<&str> = table
        .lines()
        .skip_while(|l| *l != "What decided each kind:")
        .skip(1)
        .take_while(|l| l.starts_with("  #"))
        .collect();
    assert_eq!(explained.len(), 9, "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
    assert!(
        explained.contains(&"  #3 reset — vmware-1.log:21: DEVICE: Resetting device 'ALL'."),
        "{explained:?}"
    );
    // Elided to the width, not wrapped.
    assert!(
        explained.iter().any(|l| l
            .starts_with("  #9 unknown — no marker; the line before it, vmware.log:14: ")
            && l.ends_with('…')),
        "{explained:?}"
    );
    assert!(
        explained[0].starts_with("  #1 create? — guessed"),
        "{explained:?}"
    );
    // Without --explain the table keeps to its sections.
    let (plain, _, _) = run(&["--format", "table", "fixtures/kinds/reset-esxi67"]);
    assert!(!plain.contains("What decided"), "{plain}");
    let (md, _, _) = run(&["--format", "markdown", "fixtures/kinds/reset-esxi67"]);
    assert!(
        md.contains(
            "- \\#6 reset — vmware-2.log:141: VM reset requested: Attempting CPUs/Devices reset."
        ),
        "{md}"
    );
    let (html, _, _) = run(&["--format", "html", "fixtures/kinds/reset-esxi67"]);
    assert_eq!(
        html.matches(
            "kind from vmware-2.log:141: VM reset requested: Attempting CPUs/Devices reset.</title>"
        )
        .count(),
        1,
        "the API reset's mark carries its evidence"
    );
}
