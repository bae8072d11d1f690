//! How real bundles and folders are read: each log once, vm-support
//! fragments, names in any case, look-alike names, excerpts from KB
//! articles and tickets, and what happens when nothing is found.

mod common;

use common::*;
use serde_json::Value;

const UNPACKED: &str = "fixtures/unpacked/esx-esx03-2026-11-21--09.00-777777";
const FRAGS: &str = "fixtures/fragments/esx-esx04-2026-11-22--08.00-888888";
const FRAGS_TGZ: &str = "fixtures/bundles/esx-esx04-2026-11-22--08.00-888888.tgz";

fn notes(v: &Value) -> Vec<String> {
    v["notes"]
        .as_array()
        .expect("notes[]")
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                n["source"].as_str().unwrap(),
                n["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn an_unpacked_bundle_counts_each_stun_once() {
    // vmfs/volumes/datastore3 is a symlink to the UUID directory.
    let (v, code) = json(&[UNPACKED]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(stun_values(&v), [123456, 654321, 1234567]);
    assert_eq!(vm_field(&v, "vm"), ["db3-prod"]);
    // Under the path that is not a symlink.
    assert!(
        sources(&v)
            .iter()
            .all(|s| s.contains("/vmfs/volumes/5f3c1a2b-9d4e7f60-8a1b-0050569a0c03/db3/")),
        "{v}"
    );
    assert_eq!(v["vms"][0]["host"], "esx03");
    let n = notes(&v);
    assert!(n.iter().any(|n| n.contains("symbolic link")), "{n:?}");
    // vmkernel.log is not a VM log, whatever it holds.
    assert_eq!(v["inputs"][0]["logs"], 1);
}

#[test]
fn a_folder_beside_its_own_tgz_counts_once() {
    let tmp = tempfile::tempdir().unwrap();
    let log = std::fs::read(format!(
        "{UNPACKED}/vmfs/volumes/5f3c1a2b-9d4e7f60-8a1b-0050569a0c03/db3/vmware.log"
    ))
    .unwrap();
    let tgz = gz(&tar_bytes(&[(
        "esx-esx03-2026-11-21--09.00-777777/vmfs/volumes/5f3c1a2b-9d4e7f60-8a1b-0050569a0c03/db3/vmware.log",
        &log,
    )]));
    let p = write(tmp.path(), "esx-esx03-2026-11-21--09.00-777777.tgz", &tgz);
    let (v, code) = json(&[UNPACKED, &p]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(stun_values(&v), [123456, 654321, 1234567]);
    assert_eq!(v["summary"]["vms"], 1);
    let n = notes(&v);
    assert!(
        n.iter()
            .any(|n| n.starts_with(&p) && n.contains("also read from") && n.contains(UNPACKED)),
        "{n:?}"
    );
    // The first in command-line order is kept.
    assert!(sources(&v).iter().all(|s| s.starts_with(UNPACKED)), "{v}");
    let (v, _) = json(&[&p, UNPACKED]);
    assert!(sources(&v).iter().all(|s| s.starts_with(&p)), "{v}");
}

#[test]
fn a_host_tgz_beside_the_vcenter_zip_holding_it_counts_once() {
    let tmp = tempfile::tempdir().unwrap();
    // Take the host bundle out of the vCenter zip.
    let zip = std::fs::read("fixtures/bundles/vc-support.zip").unwrap();
    let mut ar = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let name = "esx-esx02-2026-11-20--10.31-654321.tgz";
    let mut host = Vec::new();
    std::io::Read::read_to_end(&mut ar.by_name(name).unwrap(), &mut host).unwrap();
    let p = write(tmp.path(), name, &host);
    let (v, code) = json(&["fixtures/bundles/vc-support.zip", &p]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(stun_values(&v), [276401, 8000000]);
    assert!(notes(&v).iter().any(|n| n.contains("counted once")), "{v}");
}

#[test]
fn copies_that_are_not_byte_identical_share_their_stuns() {
    // The same VM in two bundles taken a day apart: vmware.log has become
    // vmware-1.log and a new vmware.log began.
    let tmp = tempfile::tempdir().unwrap();
    let day1 = [STUN, &stun(5_000_000)].concat();
    let day2_old = [
        &day1[..],
        b"2017-01-05T01:00:00.000Z| vmx| I125: Tools: rotated\n",
    ]
    .concat();
    let day2_new = stun(7_000_000);
    let a = gz(&tar_bytes(&[(
        "esx-h-2026-01-01--1/vmfs/volumes/ds/db/vmware.log",
        &day1,
    )]));
    let b = gz(&tar_bytes(&[
        (
            "esx-h-2026-01-02--1/vmfs/volumes/ds/db/vmware-1.log",
            &day2_old,
        ),
        (
            "esx-h-2026-01-02--1/vmfs/volumes/ds/db/vmware.log",
            &day2_new,
        ),
    ]));
    let pa = write(tmp.path(), "a.tgz", &a);
    let pb = write(tmp.path(), "b.tgz", &b);
    let (v, code) = json(&[&pa, &pb]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(stun_values(&v), [1091706, 5000000, 7000000]);
    assert_eq!(v["summary"]["vms"], 1, "one VM directory: {v}");
    assert!(notes(&v).iter().any(|n| n.contains("two copies")), "{v}");
}

#[test]
fn fragments_are_one_log_with_lines_running_on() {
    for input in [FRAGS, FRAGS_TGZ] {
        let (v, code) = json(&[input]);
        // gone01 misses a fragment: an error, and what is there is reported.
        assert_eq!(code, 2, "{input}: {v}");
        let ev: Vec<(u64, u64, String)> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["stun_us"].as_u64().unwrap(),
                    e["line"].as_u64().unwrap(),
                    e["source"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let busy: Vec<_> = ev.iter().filter(|e| e.2.contains("busy01")).collect();
        // The create stun's line is cut across FRAG-00000/00001, the first
        // consolidate stun's number across FRAG-00002/00003.
        assert_eq!(
            busy.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>(),
            [(2468013, 45), (1357924, 88), (97531, 89)],
            "{input}: {v}"
        );
        assert!(
            busy.iter().all(|e| e.2.ends_with("/busy01/vmware.log")),
            "{busy:?}"
        );
        let kinds: Vec<&str> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["vm"] == "busy01")
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["create", "consolidate", "consolidate"]);
        // After the gap: the fragment is named and lines count within it.
        let gone: Vec<_> = ev.iter().filter(|e| e.2.contains("gone01")).collect();
        assert_eq!(
            gone.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>(),
            [(111111, 4), (5432100, 15)],
            "{v}"
        );
        assert!(gone[0].2.ends_with("/gone01/vmware.log"), "{gone:?}");
        assert!(
            gone[1].2.ends_with("/gone01/vmware.log.FRAG-00002"),
            "{gone:?}"
        );
        let errs = v["errors"].as_array().unwrap();
        assert_eq!(errs.len(), 1, "{v}");
        let msg = errs[0]["message"].as_str().unwrap();
        assert!(
            msg.contains("fragment vmware.log.FRAG-00001 is missing"),
            "{msg}"
        );
        let source = errs[0]["source"].as_str().unwrap();
        assert!(source.ends_with("gone01/vmware.log"), "{source}");
        assert_eq!(
            v["inputs"][0]["logs"], 3,
            "busy01, gone01 and its part after the gap"
        );
    }
}

#[test]
fn fragments_named_on_the_command_line_in_any_order() {
    let dir = format!("{FRAGS}/vmfs/volumes/ds4/busy01");
    let f = |i: u32| format!("{dir}/vmware.log.FRAG-{i:05}");
    let (v, code) = json(&[&f(3), &f(1), &f(0), &f(2)]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(stun_values(&v), [97531, 1357924, 2468013]);
    assert!(notes(&v).is_empty(), "every input holds a piece: {v}");
}

#[test]
fn a_whole_file_wins_over_its_fragments() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vm");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("vmware.log"), stun(11)).unwrap();
    std::fs::write(dir.join("vmware.log.FRAG-00000"), stun(22)).unwrap();
    let (v, code) = json(&[path_str(tmp.path())]);
    assert_eq!(code, 0);
    assert_eq!(stun_values(&v), [11]);
    assert!(notes(&v).iter().any(|n| n.contains("whole file")), "{v}");
}

#[test]
fn a_downloads_folder_reads_vm_logs_in_any_case_and_names_the_rest() {
    let (v, code) = json(&["fixtures/downloads"]);
    assert_eq!(code, 0, "{v}");
    // VMware.log is a VM log whatever its case.
    assert_eq!(stun_values(&v), [4100000]);
    let n = notes(&v);
    let look = n
        .iter()
        .find(|n| n.contains("named like a VM log"))
        .expect("note");
    for name in ["IRISDB01-vmware.log", "vmware (1).log", "vmware.log.1"] {
        assert!(look.contains(name), "{look}");
    }
    // VMware's own service logs are not VM logs and are not named.
    assert!(!look.contains("vmsvc"), "{look}");
    assert!(look.contains("--glob"), "{look}");
    // --glob reads them; each folder VM keeps its own name.
    let (v, code) = json(&["--glob", "*vmware*.log*", "fixtures/downloads"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(stun_values(&v), [300000, 4100000, 6000000]);
    let mut vms = vm_field(&v, "vm");
    vms.sort();
    assert_eq!(vms, ["IRISDB01", "dl-vm"]);
    // "vmware (1).log" is a browser's second copy of VMware.log; the
    // service log the glob also matched is no VM log.
    let n = notes(&v);
    assert!(n.iter().any(|n| n.contains("two copies")), "{n:?}");
    assert!(
        n.iter()
            .any(|n| n.contains("vmware-vmsvc-root.log") && n.contains("not read as a VM log")),
        "{n:?}"
    );
}

#[test]
fn excerpts_with_redacted_or_stripped_times_are_counted_as_skipped() {
    for (file, reason) in [
        ("fixtures/excerpts/kb-redacted.txt", "no_header"),
        ("fixtures/excerpts/blog-stripped.txt", "no_header"),
    ] {
        let out = cmd().args(["--format", "json", file]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "a log, with notes: {file}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["summary"]["events"], 0);
        assert_eq!(v["summary"]["skipped_stun_lines"], 2, "{v}");
        assert_eq!(v["inputs"][0]["skipped_stun_lines"], 2);
        let n = notes(&v);
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(
            n[0].contains("2 stun lines not counted") && n[0].contains(reason),
            "{n:?}"
        );
        assert!(n[0].contains("first at line 3"), "{n:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not counted"), "{stderr}");
    }
    // Indented lines pasted into a ticket count; the CPT line repeating the
    // stun does not.
    let (v, code) = json(&["fixtures/excerpts/ticket-indented.txt"]);
    assert_eq!(code, 0);
    assert_eq!(stun_values(&v), [5100000]);
    assert_eq!(vm_field(&v, "vm"), ["IRISPRIM"]);
    assert_eq!(v["vms"][0]["host"], "esx06");
}

#[test]
fn skipped_lines_show_in_every_format_run() {
    for format in ["table", "tsv", "csv", "raw", "json", "ndjson"] {
        let (_, err, code) = run(&["--format", format, "fixtures/excerpts/kb-redacted.txt"]);
        assert_eq!(code, 0, "{format}");
        assert!(err.contains("2 stun lines not counted"), "{format}: {err}");
    }
}

#[test]
fn nothing_found_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    // An empty folder, and one with only other logs.
    let (v, code) = json(&[path_str(tmp.path())]);
    assert_eq!(code, 2, "{v}");
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("looked for vmware.log"), "{msg}");
    std::fs::write(tmp.path().join("vmkernel.log"), STUN).unwrap();
    let (_, err, code) = run(&[path_str(tmp.path())]);
    assert_eq!(code, 2);
    assert!(err.contains("no VMware log found"), "{err}");
    // A folder without logs beside one with: a note, exit 0.
    let (v, code) = json(&[path_str(tmp.path()), "fixtures/seed/vmware.log"]);
    assert_eq!(code, 0);
    assert!(
        notes(&v)
            .iter()
            .any(|n| n.contains("no VMware log found in it")),
        "{v}"
    );
}

#[test]
fn a_binary_named_on_the_command_line_is_no_vm() {
    let tmp = tempfile::tempdir().unwrap();
    let bin: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    let p = write(tmp.path(), "core.bin", &bin);
    let (v, code) = json(&[&p, "fixtures/seed/vmware.log"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(vm_field(&v, "vm"), ["db1"]);
    assert!(
        notes(&v)
            .iter()
            .any(|n| n.starts_with(&p) && n.contains("not read as a VM log")),
        "{v}"
    );
}

#[test]
fn standard_input_is_the_vm_stdin() {
    let log = std::fs::read("fixtures/seed/stuns-grep.txt").unwrap();
    // A plain log without a displayName.
    let out = cmd()
        .args(["--format", "json", "-"])
        .write_stdin(STUN.to_vec())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(vm_field(&v, "vm"), ["(stdin)"]);
    // A saved grep names its files; a log naming its VM keeps the name.
    let out = cmd()
        .args(["--format", "json"])
        .write_stdin(log)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["events"], 7);
    let seed = std::fs::read("fixtures/seed/vmware.log").unwrap();
    let out = cmd()
        .args(["--format", "json"])
        .write_stdin(seed)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(vm_field(&v, "vm"), ["db1"]);
}

/// Directories are read while they are walked (files handed out as soon as
/// they are certain to be read); with a progress bar they are walked first.
/// Both must yield the same logs, in the same order, with the same notes.
#[test]
fn reading_while_walking_gives_what_walking_first_gives() {
    use stunscan::input::{InputPath, collect};
    let all = [
        "fixtures",
        UNPACKED,
        FRAGS,
        "fixtures/downloads",
        "fixtures/bundles",
    ];
    for set in [&all[..], &all[1..3], &all[3..]] {
        let inputs: Vec<InputPath> = set
            .iter()
            .map(|p| InputPath::Path(root().join(p)))
            .collect();
        let walked_first = collect(&inputs, true, &Default::default());
        let streamed = collect(&inputs, false, &Default::default());
        let key = |c: &stunscan::input::Collected| {
            format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                c.logs, c.errors, c.notes, c.inputs, c.vmx_names
            )
        };
        assert_eq!(key(&walked_first), key(&streamed), "{set:?}");
        assert!(!streamed.logs.is_empty());
    }
}
