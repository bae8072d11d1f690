//! Values a user mistypes and filters that surprise: each gets a clear
//! answer, never a silent pass.

mod common;

use common::*;

const BUNDLE: &str = "fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz";

#[test]
fn qos_typed_as_the_cpf_shows_it_is_refused() {
    let (out, err, code) = run(&["--qos", "8000", "--fail-on", "risk", BUNDLE]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("8000 seconds? did you mean --qos 8000ms?"),
        "{err}"
    );
    assert!(out.is_empty(), "a usage error prints no report");
    for bad in ["50ms", "0", "11m", "0.05s"] {
        let (_, err, code) = run(&["--qos", bad, BUNDLE]);
        assert_eq!(code, 2, "--qos {bad}");
        assert!(err.contains("no mirror runs with that"), "{bad}: {err}");
    }
    for good in ["8000ms", "8", "8s", "2s", "100ms", "10m"] {
        let (_, _, code) = run(&["--qos", good, BUNDLE]);
        assert_eq!(code, 0, "--qos {good}");
    }
    let (_, _, code) = run(&["--qos", "8000ms", "--fail-on", "risk", BUNDLE]);
    assert_eq!(code, 1, "8000ms is 8 s: the 4.2 s stun is a risk");
}

#[test]
fn a_cpf_qos_out_of_bounds_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cpf = write(
        tmp.path(),
        "iris.cpf",
        b"[Mirrors]\r\nPRODMIR=C8F3,2,1,1,8,0,0\r\n",
    );
    let (_, err, code) = run(&["--cpf", &cpf, BUNDLE]);
    assert_eq!(code, 2);
    assert!(
        err.contains("PRODMIR") && err.contains("below 100 ms"),
        "{err}"
    );
}

#[test]
fn a_gap_below_a_second_is_refused() {
    let (_, err, code) = run(&["--gap", "500ms", BUNDLE]);
    assert_eq!(code, 2);
    assert!(err.contains("below 1 s"), "{err}");
    let (_, _, code) = run(&["--gap", "1s", BUNDLE]);
    assert_eq!(code, 0);
}

#[test]
fn until_a_date_includes_that_day() {
    // db1-prod stunned 4.2 s at 2025-11-18T22:00:07.882Z.
    let (v, _) = json(&["--until", "2025-11-18", BUNDLE]);
    assert_eq!(stun_values(&v), [236118, 308455, 517204, 4200000]);
    let (v, _) = json(&["--since", "2025-11-19", "--until", "2025-11-19", BUNDLE]);
    assert_eq!(stun_values(&v), [129664, 389120, 402917, 612093, 1873302]);
    let (v, _) = json(&["--until", "2025-11-18T22:00:07.882Z", BUNDLE]);
    assert_eq!(stun_values(&v), [4200000]);
}

#[test]
fn since_after_until_is_a_usage_error() {
    let (out, err, code) = run(&["--since", "2025-11-19", "--until", "2025-11-18", BUNDLE]);
    assert_eq!(code, 2);
    assert!(err.contains("is after --until"), "{err}");
    assert!(out.is_empty());
}

#[test]
fn since_now_without_follow_says_where_now_belongs() {
    let (out, err, code) = run(&["--since", "now", BUNDLE]);
    assert_eq!(code, 2);
    assert!(err.contains("'now' is not a time"), "{err}");
    assert!(err.contains("--since now with --follow"), "{err}");
    assert!(out.is_empty());
}

#[test]
fn a_window_with_no_stun_says_so() {
    let (v, code) = json(&["--since", "2030-01-01", BUNDLE]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["events"], 0);
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("no stun between 2030-01-01T00:00:00.000Z"),
        "{notes}"
    );
    assert!(
        notes.contains("11 stuns outside it") || notes.contains("stuns outside it"),
        "{notes}"
    );
}

#[test]
fn vm_matches_display_name_or_folder_and_repeats() {
    // db1's folder is `db1`, its displayName `db1-prod`.
    for pat in ["db1", "DB1", "db1-prod", "db1*"] {
        let (v, _) = json(&["--vm", pat, BUNDLE]);
        assert_eq!(vm_field(&v, "vm"), ["db1-prod"], "--vm {pat}");
    }
    let (v, _) = json(&["--vm", "db1", "--vm", "db2", BUNDLE]);
    assert_eq!(vm_field(&v, "vm"), ["db1-prod", "db2-replica"]);
    // Matching nothing: a note lists the VMs seen.
    let (v, code) = json(&["--vm", "nosuchvm", BUNDLE]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["vms"], 0);
    let note = v["notes"].to_string();
    assert!(
        note.contains("matched no VM") && note.contains("db1-prod") && note.contains("db2-replica"),
        "{note}"
    );
    // --fail-on only sees the chosen VMs.
    let (_, _, code) = run(&["--vm", "db2", "--fail-on", "risk", BUNDLE]);
    assert_eq!(code, 0);
    let (_, _, code) = run(&["--vm", "db1", "--fail-on", "risk", BUNDLE]);
    assert_eq!(code, 1);
}

#[test]
fn durations_are_truncated_and_percentiles_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    for (i, us) in [3_999_999u64, 4_000_000, 4_800_000, 1, 2, 3, 4, 5, 6, 7]
        .iter()
        .enumerate()
    {
        log.extend_from_slice(
            format!("2017-01-0{}T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for {us} us\n", i % 9 + 1)
                .as_bytes(),
        );
    }
    let p = write(tmp.path(), "vmware.log", &log);
    let (out, _, _) = run(&["--format", "table", "--color", "never", &p]);
    assert!(out.contains("3.999 s"), "{out}");
    assert!(!out.contains("4.801"), "{out}");
    let (v, _) = json(&[&p]);
    let vm = &v["vms"][0];
    assert_eq!(vm["p50_us"], 5);
    assert_eq!(vm["p90_us"], 4_000_000);
    assert_eq!(vm["p99_us"], 4_800_000);
    assert_eq!(vm["max_us"], 4_800_000);
    let ev = events(&v);
    let verdict = |us: u64| ev.iter().find(|e| e.0 == us).unwrap().4.clone();
    assert_eq!(verdict(3_999_999), "ok");
    assert_eq!(verdict(4_000_000), "risk");
}

#[test]
fn since_and_until_without_an_offset_are_in_the_tz_zone() {
    // 2025-11-18 in New York (EST, UTC-5) runs to 2025-11-19T04:59:59.999Z:
    // it holds the 18th's stuns and db2's vMotion at 03:12Z on the 19th.
    let (v, _) = json(&["--tz", "America/New_York", "--until", "2025-11-18", BUNDLE]);
    assert_eq!(stun_values(&v), [236118, 308455, 517204, 612093, 4200000]);
    assert_eq!(v["events"][0]["time"], "2025-11-18T17:00:07.882-05:00");
    let (v, _) = json(&[
        "--tz",
        "America/New_York",
        "--since",
        "2025-11-18 17:05",
        "--until",
        "2025-11-18T22:00:00-05:00",
        BUNDLE,
    ]);
    assert_eq!(stun_values(&v), [236118, 308455, 517204]);
    let (_, err, code) = run(&["--tz", "Nowhere/Atlantis", BUNDLE]);
    assert_eq!(code, 2);
    assert!(!err.is_empty());
}
