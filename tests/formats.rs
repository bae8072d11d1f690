//! Every layout VMware writes, and files as people keep them: Workstation
//! 25's syslog-like lines, a byte-order mark and a junk line before the
//! first header, a header split over two lines.

mod common;

use common::*;

#[test]
fn a_workstation_25_log_is_read() {
    // Real lines (fixtures/formats/README.md says where), CRLF kept.
    let (v, code) = json(&["fixtures/formats/ws25/vmware.log"]);
    assert_eq!(code, 0, "{v}");
    let vm = &v["vms"][0];
    assert_eq!(vm["vm"], "konte");
    assert_eq!(vm["host"], "DESKTOP-ENVQA5U");
    assert_eq!(vm["product"], "Workstation 25.0.0");
    // No stun in it; its `+INFO` continuation lines are nothing.
    assert_eq!(vm["events"], 0);
    assert_eq!(v["summary"]["skipped_stun_lines"], 0);
    assert!(v["notes"].as_array().unwrap().is_empty(), "{}", v["notes"]);
}

#[test]
fn stuns_and_markers_in_the_workstation_25_layout() {
    // The layout of the real lines above, with a stun and a reset marker
    // in it: the thread comes from `threadName=`, whatever the SD-ID.
    let tmp = tempfile::tempdir().unwrap();
    let log = [
        "2026-01-09T08:08:29.880Z -INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vmx\"] Log for VMware Workstation pid=15108 version=25.0.0 build=24995812 option=Release",
        "2026-01-09T08:08:30.173Z -INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vmx\"] DICT               displayName = \"konte\"",
        "2026-01-09T09:00:00.000Z -INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vcpu-0\"] DEVICE: Resetting device 'ALL'.",
        "2026-01-09T09:00:00.038Z -INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vcpu-0\"] Checkpoint_Unstun: vm stopped for 38749 us",
        "2026-01-09T09:00:00.039Z +INFO vmware-vmx.exe 15108 [ws@4413 threadName=\"vcpu-0\"] Checkpoint_Unstun: vm stopped for 99 us",
        "2026-01-09T09:30:00.000Z -INFO vmware-vmx.exe 15108 [ws@9999 threadName=\"vcpu-1\" other=\"x\\\"]\"][meta seq=\"7\"] Checkpoint_Unstun: vm stopped for 5000001 us",
        "",
    ]
    .join("\r\n");
    let p = write(tmp.path(), "vmware.log", log.as_bytes());
    let (v, code) = json(&[&p]);
    assert_eq!(code, 0);
    assert_eq!(stun_values(&v), [38749, 5000001]);
    assert_eq!(v["clusters"][0]["kind"], "reset");
    assert_eq!(v["clusters"][0]["evidence"]["line"], 3);
    assert_eq!(v["clusters"][1]["kind"], "unknown");
    assert_eq!(
        v["summary"]["skipped_stun_lines"], 1,
        "the +INFO continuation"
    );
    assert_eq!(v["vms"][0]["vm"], "konte");
}

#[test]
fn a_byte_order_mark_and_a_junk_line_before_the_header() {
    let (v, code) = json(&["fixtures/formats/bom-junk/vmware.log"]);
    assert_eq!(code, 0);
    let vm = &v["vms"][0];
    assert_eq!(
        (
            vm["vm"].as_str(),
            vm["host"].as_str(),
            vm["product"].as_str()
        ),
        (Some("centos7"), Some("sofmen-vm-2"), Some("ESX 6.7.0"))
    );
    assert_eq!(stun_values(&v), [22072]);
    assert_eq!(v["clusters"][0]["kind"], "reset");
    // A BOM right before the first header is read too.
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(STUN);
    let p = write(tmp.path(), "vmware.log", &bytes);
    let (v, _) = json(&[&p]);
    assert_eq!(stun_values(&v), [1091706]);
    assert_eq!(v["summary"]["skipped_stun_lines"], 0);
    // Anywhere else those bytes are before the header: not a stun.
    let mut bytes = STUN.to_vec();
    bytes.extend_from_slice(b"\xEF\xBB\xBF");
    bytes.extend_from_slice(&stun(7));
    let p = write(tmp.path(), "vmware.log", &bytes);
    let (v, _) = json(&[&p]);
    assert_eq!(stun_values(&v), [1091706]);
    assert_eq!(v["summary"]["skipped_stun_lines"], 1);
}

#[test]
fn a_header_split_over_two_lines_is_put_back_together() {
    let (v, code) = json(&["fixtures/formats/split-header/vmware.log"]);
    assert_eq!(code, 0);
    assert_eq!(v["vms"][0]["vm"], "centos7");
    assert_eq!(stun_values(&v), [22072]);
    assert_eq!(v["events"][0]["line"], 31);
    assert_eq!(v["clusters"][0]["kind"], "reset");
    assert_eq!(v["summary"]["skipped_stun_lines"], 0);
}
