//! Archive handling on archives built here: nesting, content sniffing,
//! truncation, depth limits, symlink loops.

mod common;

use common::*;

#[test]
fn kinds_come_from_content_not_names() {
    let tmp = tempfile::tempdir().unwrap();
    // A tgz called .log, a gzip called .txt, a renamed plain log: all named
    // on the command line, so all scanned by content.
    let tgz = gz(&tar_bytes(&[("vm1/vmware.log", STUN)]));
    let a = write(tmp.path(), "bundle.log", &tgz);
    let b = write(tmp.path(), "saved.txt", &gz(&stun(2)));
    let c = write(tmp.path(), "renamed", &stun(3));
    let (v, code) = json(&[&a, &b, &c]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["events"], 3);
    let sources = sources(&v);
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with("bundle.log!vm1/vmware.log")),
        "{sources:?}"
    );
}

#[test]
fn plain_tar_with_nested_tgz_and_zip_members() {
    let tmp = tempfile::tempdir().unwrap();
    let inner_tgz = gz(&tar_bytes(&[
        ("h/vmfs/volumes/ds/a/vmware-1.log.gz", &gz(STUN)),
        ("h/vmkernel.log", STUN),
    ]));
    let inner_zip = zip_bytes(&[("b/vmware.log", &stun(2)), ("b/notes.txt", STUN)]);
    let outer = tar_bytes(&[
        ("x/host.tgz", &inner_tgz),
        ("x/more.zip", &inner_zip),
        ("x/vmware.log", &stun(3)),
    ]);
    let p = write(tmp.path(), "outer.tar", &outer);
    let (v, code) = json(&[&p]);
    assert_eq!(code, 0, "{v}");
    let mut sources = sources(&v);
    sources.sort();
    let pre = format!("{p}!");
    assert_eq!(
        sources,
        [
            format!("{pre}x/host.tgz!h/vmfs/volumes/ds/a/vmware-1.log.gz"),
            format!("{pre}x/more.zip!b/vmware.log"),
            format!("{pre}x/vmware.log"),
        ]
    );
    let vms = vm_field(&v, "vm");
    assert_eq!(vms.len(), 3);
    assert!(
        vms.contains(&"a") && vms.contains(&"b") && vms.contains(&"x"),
        "{vms:?}"
    );
}

#[test]
fn nesting_deeper_than_four_is_reported_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut data = zip_bytes(&[("vmware.log", STUN)]);
    for i in 0..6 {
        data = zip_bytes(&[(&format!("level{i}.zip"), &data), ("vmware.log", &stun(i))]);
    }
    let p = write(tmp.path(), "deep.zip", &data);
    let (v, code) = json(&[&p]);
    assert_eq!(code, 2);
    // Logs at depths 1..=4 are read; the archive at depth 4 is not opened.
    assert_eq!(v["summary"]["events"], 4);
    let e = &v["errors"][0];
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("nested deeper than 4"),
        "{e}"
    );
    assert_eq!(e["source"].as_str().unwrap().matches('!').count(), 4, "{e}");
}

#[test]
fn truncated_bundle_reports_what_was_read_and_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..20 {
        let mut log = Vec::new();
        for j in 0..200 {
            log.extend_from_slice(format!("2017-01-04T21:{:02}:{:02}.000Z| vmx| I125: filler line {i} {j} with some text to compress\n", j / 60, j % 60).as_bytes());
        }
        log.extend_from_slice(
            format!(
                "2017-01-04T22:00:00.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for {} us\n",
                1000 + i
            )
            .as_bytes(),
        );
        members.push((
            format!("esx-h-2026-11-20--10.30-1/vmfs/volumes/ds/vm{i:02}/vmware.log"),
            log,
        ));
    }
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let tgz = gz(&tar_bytes(&refs));
    let full = write(tmp.path(), "full.tgz", &tgz);
    let (v, code) = json(&[&full]);
    assert_eq!((code, v["summary"]["events"].as_u64()), (0, Some(20)));
    for cut in [tgz.len() / 4, tgz.len() / 2, tgz.len() - 9] {
        let p = write(tmp.path(), &format!("cut{cut}.tgz"), &tgz[..cut]);
        let (v, code) = json(&[&p]);
        assert_eq!(code, 2, "cut at {cut}");
        let n = v["summary"]["events"].as_u64().unwrap();
        assert!(n < 20 || cut == tgz.len() - 9, "cut at {cut}: {n}");
        assert!(n >= 1, "events before the damage are kept (cut at {cut})");
        let errs = v["errors"].as_array().unwrap();
        assert!(!errs.is_empty());
        assert!(
            errs.iter()
                .all(|e| e["source"].as_str().unwrap().starts_with(&p)),
            "{errs:?}"
        );
        // And on standard error.
        let (_, err, _) = run(&[&p]);
        assert!(err.contains(&p), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_harmless() {
    let tmp = tempfile::tempdir().unwrap();
    let vm = tmp.path().join("ds/vm1");
    std::fs::create_dir_all(&vm).unwrap();
    std::fs::write(vm.join("vmware.log"), STUN).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("ds"), vm.join("loop")).unwrap();
    let (v, code) = json(&[path_str(tmp.path())]);
    // A loop is a note, not an error.
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["summary"]["events"], 1);
    assert!(
        v["notes"][0]["message"].as_str().unwrap().contains("loop"),
        "{v}"
    );
}

#[test]
fn empty_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "vmware.log", b"");
    let b = write(tmp.path(), "empty.tgz", &gz(&tar_bytes(&[])));
    let c = write(tmp.path(), "empty.zip", &zip_bytes(&[]));
    // No input yields a log: said, and exit 2 (a job pointed at the wrong
    // files must not pass).
    let (v, code) = json(&[&a, &b, &c]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["summary"]["events"], 0);
    let e = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        e.contains("no VMware log found: looked for vmware.log"),
        "{e}"
    );
    // Beside a real log, they are notes.
    let d = write(tmp.path(), "real.log", STUN);
    let (v, code) = json(&[&a, &b, &c, &d]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["summary"]["events"], 1);
    assert!(v["notes"].as_array().unwrap().len() >= 3, "{v}");
}

#[test]
fn vmx_beside_a_log_on_disk_names_the_vm() {
    let tmp = tempfile::tempdir().unwrap();
    let vm = tmp.path().join("dbdir");
    std::fs::create_dir_all(&vm).unwrap();
    std::fs::write(vm.join("vmware.log"), STUN).unwrap();
    std::fs::write(
        vm.join("db.vmx"),
        b".encoding = \"UTF-8\"\ndisplayName = \"from-vmx\"\n",
    )
    .unwrap();
    let (v, _) = json(&[path_str(tmp.path())]);
    assert_eq!(v["vms"][0]["vm"], "from-vmx");
}

#[test]
fn decompression_bomb_is_stopped_with_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    // 1 MiB of zeros deflates to ~1 KiB; 400 concatenated gzip members make
    // a 400 MiB stream of ~400 KiB, and gzipping that again shrinks it to a
    // few KiB: far beyond what any log compresses to.
    let one = gz(&vec![0u8; 1 << 20]);
    let inner: Vec<u8> = one.iter().copied().cycle().take(one.len() * 400).collect();
    let bomb = gz(&inner);
    assert!(bomb.len() < 64 << 10, "{}", bomb.len());
    let a = write(tmp.path(), "vmware.log.gz", &bomb);
    let b = write(tmp.path(), "vmware-1.log", STUN);
    let out = cmd().args(["--format", "json", &a, &b]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["events"], 1, "the other file is still read");
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("decompression bomb"), "{msg}");
}
