//! VMX lines forwarded by syslog: files of a collector where the lines of
//! several VMs and hosts are interleaved, in the layouts on the wire
//! (`<PRI>` + RFC 5424 or RFC 3164) and as rsyslog stores them. Each VM
//! gets its own stuns, its name (the syslogID) and its host (the syslog
//! hostname). See fixtures/forwarded/README.md for where the layouts come
//! from.

mod common;

use serde_json::Value;

/// (vm, host, stun_us, kind, verdict, approx_time) of every event.
fn per_vm(v: &Value) -> Vec<(String, String, u64, String, String, bool)> {
    let mut out: Vec<_> = v["events"]
        .as_array()
        .expect("events[]")
        .iter()
        .map(|e| {
            (
                e["vm"].as_str().unwrap().to_owned(),
                e["host"].as_str().unwrap().to_owned(),
                e["stun_us"].as_u64().unwrap(),
                e["kind"].as_str().unwrap().to_owned(),
                e["verdict"].as_str().unwrap().to_owned(),
                e["approx_time"].as_bool().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn check(file: &str, n: u64, approx: bool) {
    let (v, code) = common::json(&[common::path_str(&common::fixture(file))]);
    assert_eq!(code, 0, "{file}");
    let s = |x: &str| x.to_owned();
    let us = |base: u64| base * 10 + n;
    assert_eq!(
        per_vm(&v),
        vec![
            (
                s("app-7"),
                s("esx01"),
                us(900_000),
                s("unknown"),
                s("failover"),
                false
            ),
            (
                s("db1-prod"),
                s("esx01"),
                us(18_840),
                s("create"),
                s("ok"),
                approx
            ),
            // No marker decides it, and the collector's file holds other
            // lines: not a guessed consolidate.
            (
                s("db1-prod"),
                s("esx01"),
                us(70_000),
                s("unknown"),
                s("ok"),
                approx
            ),
            (
                s("db2-prod"),
                s("esx02"),
                us(410_000),
                s("unknown"),
                s("risk"),
                approx
            ),
        ],
        "{file}"
    );
    // Three VMs on two hosts, each known by its syslogID in this file.
    assert_eq!(
        common::vm_field(&v, "vm"),
        ["app-7", "db1-prod", "db2-prod"]
    );
    assert_eq!(common::vm_field(&v, "host"), ["esx01", "esx01", "esx02"]);
    assert_eq!(v["hosts"].as_array().unwrap().len(), 2);
    // The create's snapshot comes from the marker inside the envelope.
    let create = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "create")
        .expect("a create cluster");
    assert_eq!(create["kind_source"], "marker");
    assert_eq!(create["snapshot"], "pre-patch");
    // Events point at the collector's file and its own line numbers.
    let lines: Vec<u64> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert!(lines.iter().all(|l| (3..=6).contains(l)), "{lines:?}");
}

#[test]
fn rfc5424_on_the_wire_with_the_vmx_header_inside() {
    check("forwarded/rfc5424.log", 1, false);
}

#[test]
fn rsyslog_traditional_file_format_without_the_vmx_time() {
    // The traditional time has no year and no zone: approximate.
    check("forwarded/rsyslog-traditional.log", 2, true);
}

#[test]
fn rsyslog_rfc3339_file_format_with_bare_messages() {
    check("forwarded/rsyslog-rfc3339.log", 3, false);
    let (v, _) = common::json(&[common::path_str(&common::fixture(
        "forwarded/rsyslog-rfc3339.log",
    ))]);
    // The envelope's RFC 3339 time, offset and microseconds, is the time.
    let t: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["stun_us"] == 4_100_003)
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    assert_eq!(t, ["2023-12-05T17:42:40.700Z"]);
}

/// The year-less traditional times of `rsyslog-traditional.log`, copied
/// with its modification time set to `mtime` (seconds since the epoch).
fn traditional_times_with_mtime(mtime: u64) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("collector.log");
    std::fs::copy(common::fixture("forwarded/rsyslog-traditional.log"), &dst).unwrap();
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime);
    std::fs::File::options()
        .write(true)
        .open(&dst)
        .unwrap()
        .set_modified(t)
        .unwrap();
    let (v, code) = common::json(&[common::path_str(&dst)]);
    assert_eq!(code, 0);
    let mut t: Vec<String> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["approx_time"] == true)
        .map(|e| e["time"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

#[test]
fn traditional_time_after_the_file_date_is_the_year_before() {
    // 2026-12-04T17:00:00Z: the lines' `Dec  5` has not come yet that year,
    // so they were written in December 2025.
    assert_eq!(
        traditional_times_with_mtime(1_796_403_600),
        [
            "2025-12-05T17:42:40.000Z",
            "2025-12-05T17:42:41.000Z",
            "2025-12-05T18:05:14.000Z"
        ]
    );
    // 2026-12-06T00:00:00Z: the file was written after them, this year.
    assert_eq!(
        traditional_times_with_mtime(1_796_515_200),
        [
            "2026-12-05T17:42:40.000Z",
            "2026-12-05T17:42:41.000Z",
            "2026-12-05T18:05:14.000Z"
        ]
    );
}
