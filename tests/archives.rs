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

/// A vm-support `.tgz` of the fixture tree `dir` (its last component is
/// the bundle root), built here from the shipped sources.
fn tgz_of_fixture(dir: &str) -> Vec<u8> {
    fn walk(root: &std::path::Path, at: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(at)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root.parent().unwrap()).unwrap();
                out.push((rel.to_str().unwrap().to_owned(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let root = fixture(dir);
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    let members: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    gz(&tar_bytes(&members))
}

/// The host bundles of the fixtures, as (file name, bytes).
fn host_bundles() -> Vec<(String, Vec<u8>)> {
    [
        "src/esx-esx01-2026-11-20--10.30-123456",
        "src/esx-esx02-2026-11-20--10.31-654321",
        "unpacked/esx-esx03-2026-11-21--09.00-777777",
        "fragments/esx-esx04-2026-11-22--08.00-888888",
    ]
    .iter()
    .map(|d| {
        let name = format!("{}.tgz", d.rsplit('/').next().unwrap());
        (name, tgz_of_fixture(d))
    })
    .collect()
}

/// Every event, VM and message of a report, with each source named from
/// its bundle on (`esx-…`), whatever holds the bundle.
fn from_bundles(v: &serde_json::Value) -> (Vec<String>, Vec<String>, Vec<String>) {
    let cut = |s: &str| s.find("esx-").map_or(s.to_owned(), |i| s[i..].to_owned());
    let list = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}[]"))
            .iter()
            .map(|x| {
                let mut x = x.clone();
                for f in ["source", "dir"] {
                    if let Some(s) = x[f].as_str() {
                        x[f] = cut(s).into();
                    }
                }
                x.to_string()
            })
            .collect()
    };
    (list("events"), list("vms"), list("errors"))
}

#[test]
fn a_zip_of_host_bundles_reports_what_its_members_report_one_by_one() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = host_bundles();
    let paths: Vec<String> = hosts.iter().map(|(n, d)| write(tmp.path(), n, d)).collect();
    let mut one_by_one: Vec<&str> = paths.iter().map(String::as_str).collect();
    let (want, want_code) = json(&one_by_one);
    let (want_events, want_vms, want_errors) = from_bundles(&want);
    assert!(want_events.len() >= 10, "{want}");
    assert!(
        !want_errors.is_empty(),
        "the fragments bundle misses a piece"
    );

    let members: Vec<(&str, &[u8])> = hosts
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    // As vCenter stores them, and deflated (a zip tool's default).
    for method in [
        zip::CompressionMethod::Stored,
        zip::CompressionMethod::Deflated,
    ] {
        let zip = write(tmp.path(), "vc.zip", &zip_with(&members, method));
        for jobs in ["1", "2", "4"] {
            let (got, code) = json(&["-j", jobs, &zip]);
            assert_eq!(code, want_code, "{method:?} -j {jobs}: {got}");
            let (events, vms, errors) = from_bundles(&got);
            assert_eq!(events, want_events, "{method:?} -j {jobs}");
            assert_eq!(vms, want_vms, "{method:?} -j {jobs}");
            assert_eq!(errors, want_errors, "{method:?} -j {jobs}");
        }
        // From a pipe: one pass over the local headers, the same report.
        let bytes = std::fs::read(&zip).unwrap();
        let out = cmd()
            .args(["--format", "json", "-"])
            .write_stdin(bytes)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(want_code));
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let (events, vms, errors) = from_bundles(&got);
        assert_eq!(
            (events, vms, errors),
            (want_events.clone(), want_vms.clone(), want_errors.clone()),
            "{method:?} from a pipe"
        );
    }
    // The members given in another order are still reported alike.
    one_by_one.reverse();
    let (rev, _) = json(&one_by_one);
    assert_eq!(from_bundles(&rev).0.len(), want_events.len());
}

#[test]
fn a_damaged_member_is_named_and_the_others_still_report() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = host_bundles();
    let (bad_name, bad) = &hosts[1];
    // Deflate data overwritten in the middle of the second bundle.
    let mut broken = bad.clone();
    let mid = broken.len() / 2;
    broken[mid..mid + 64].fill(0xA5);
    let mut members: Vec<(&str, &[u8])> = hosts
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    members[1].1 = &broken;
    let zip = write(
        tmp.path(),
        "vc.zip",
        &zip_with(&members, zip::CompressionMethod::Stored),
    );

    let good: Vec<String> = [0, 2, 3]
        .iter()
        .map(|&i| write(tmp.path(), &hosts[i].0, &hosts[i].1))
        .collect();
    let good: Vec<&str> = good.iter().map(String::as_str).collect();
    let (want, _) = json(&good);
    let want_events = from_bundles(&want).0;

    let (got, code) = json(&[&zip]);
    assert_eq!(code, 2, "{got}");
    let errors = got["errors"].as_array().unwrap();
    let named = format!("vc.zip!{bad_name}");
    assert!(
        errors
            .iter()
            .any(|e| e["source"].as_str().unwrap().contains(&named)),
        "no error names {named}: {errors:?}"
    );
    // Every event of the other members is reported, as they report alone.
    let events = from_bundles(&got).0;
    for e in &want_events {
        assert!(events.contains(e), "missing {e}");
    }
    assert!(events.len() >= want_events.len());
}

/// A zip read from a pipe is read in one pass, where only stored and
/// deflated members can be opened: a member compressed otherwise (here
/// Deflate64, which Windows' built-in zip uses for big files) is named as
/// unreadable, with what to do, and the other members still report.
#[test]
fn a_zip_member_a_stream_cannot_open_is_named() {
    let first = stun(1_111_111);
    let second = stun(2_222_222);
    let mut zip = zip_with(
        &[
            ("esx/vmfs/volumes/ds/db1/vmware.log", &first),
            ("esx/vmfs/volumes/ds/db2/vmware.log", &second),
        ],
        zip::CompressionMethod::Stored,
    );
    // The second local header's method field (offset 8) said Deflate64.
    let headers: Vec<usize> = zip
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x03\x04")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(headers.len(), 2);
    zip[headers[1] + 8..headers[1] + 10].copy_from_slice(&9u16.to_le_bytes());

    let out = cmd()
        .args(["--format", "json", "-"])
        .write_stdin(zip)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{v}");
    assert_eq!(stun_values(&v), vec![1_111_111], "{v}");
    let e = &v["errors"][0];
    let (source, message) = (
        e["source"].as_str().unwrap(),
        e["message"].as_str().unwrap(),
    );
    assert!(source.ends_with("db2/vmware.log"), "{source}");
    assert!(message.contains("Deflate64"), "{message}");
    assert!(message.contains("save the zip to a file"), "{message}");
}
