//! The real Workstation logs in ../shared/corpus/workstation (when present):
//! no stuns in them, every header parses, and identities come out right.

mod common;

use std::path::PathBuf;

use common::*;

fn corpus() -> Option<PathBuf> {
    let p = root().join("../shared/corpus/workstation");
    p.is_dir().then_some(p)
}

#[test]
fn corpus_has_no_stuns_and_no_errors() {
    let Some(dir) = corpus() else {
        eprintln!("../shared/corpus/workstation absent: skipped");
        return;
    };
    let (v, code) = json(&[path_str(&dir)]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["events"], 0);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert_eq!(v["inputs"][0]["logs"], 42);
    // Each folder is one VM directory, except where one log holds two VMs'
    // displayNames: the latest name is kept, so names per directory stay 14.
    assert_eq!(v["summary"]["vms"], 14);
    let names = vm_field(&v, "vm");
    for want in [
        "Dogecoin P2Pool",
        "Euan_Hume_WebArcAss3",
        "kali-linux-2022.3-vmware-amd64",
        "WinServer16",
    ] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
    // Two folders write the key `displayname` in lower case: still their
    // name, not the folder's.
    assert!(names.contains(&"BLACK-FLAG"), "{names:?}");
    assert!(names.contains(&"Project-IT"), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("SawanBhan") || n.starts_with("M1Elkholy")),
        "{names:?}"
    );
    let hosts = vm_field(&v, "host");
    assert!(hosts.iter().all(|h| *h != "-"), "{hosts:?}");
    assert!(hosts.contains(&"Euan-PC") && hosts.contains(&"DESKTOP-QEKV84I"));
}

#[test]
fn every_corpus_line_has_a_well_formed_header() {
    let Some(dir) = corpus() else { return };
    let mut lines = 0usize;
    for entry in walkdir::WalkDir::new(&dir) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() || entry.path().extension().is_none_or(|e| e != "log") {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        for (i, line) in bytes.split(|&c| c == b'\n').enumerate() {
            if line.is_empty() || line == b"\r" {
                continue;
            }
            lines += 1;
            assert!(
                stunscan::vmlog::parse_header(line).is_some(),
                "{}:{}: {}",
                entry.path().display(),
                i + 1,
                String::from_utf8_lossy(line)
            );
        }
    }
    assert!(lines > 100_000, "only {lines} lines");
}

#[test]
fn a_lower_case_displayname_names_its_vm() {
    let Some(dir) = corpus() else { return };
    for (folder, want) in [
        ("SawanBhan+Black-Flag-CTF", "BLACK-FLAG"),
        (
            "M1Elkholy+Building-an-infrastructure-network-for-a-real-company",
            "Project-IT",
        ),
    ] {
        let (v, code) = json(&[path_str(&dir.join(folder))]);
        assert_eq!(code, 0);
        assert_eq!(vm_field(&v, "vm"), [want], "{folder}");
    }
}
