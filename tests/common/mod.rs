//! Shared helpers for the integration tests: run the real binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

/// One well-formed stun line (ESXi 6 header), 1091706 us.
pub const STUN: &[u8] =
    b"2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1091706 us\n";

/// A well-formed stun line of `us` microseconds: distinct values make
/// distinct logs (two logs of one name and content are one log).
pub fn stun(us: u64) -> Vec<u8> {
    format!("2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for {us} us\n")
        .into_bytes()
}

/// The database's logs beside the esx01 bundle (times in New York): two
/// takeovers, one explained by db1-prod's 4.2 s stun, and two freeze
/// windows.
pub const DB_ARGS: [&str; 8] = [
    "--db-tz",
    "America/New_York",
    "--db-log",
    "db1=fixtures/db/db1/messages.log",
    "--db-log",
    "db1=fixtures/db/db1/snapshot.log",
    "--db-log",
    "db2=fixtures/db/db2/messages.log",
];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(p: &str) -> PathBuf {
    root().join("fixtures").join(p)
}

pub fn cmd() -> Command {
    let mut c = Command::cargo_bin("stunscan").expect("binary built");
    c.current_dir(root()).env_remove("NO_COLOR");
    c
}

/// Runs with `args`, returns (stdout, stderr, exit code).
pub fn run(args: &[&str]) -> (String, String, i32) {
    let out: Output = cmd().args(args).output().expect("runs");
    (
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        out.status.code().expect("exited"),
    )
}

/// Runs with `--format json` and parses the document; also returns the code.
pub fn json(args: &[&str]) -> (Value, i32) {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let (out, err, code) = run(&a);
    let v: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad json ({e}): {out}\n{err}"));
    (v, code)
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// (stun_us, time, kind, cluster, verdict) of every event.
pub fn events(v: &Value) -> Vec<(u64, String, String, u64, String)> {
    v["events"]
        .as_array()
        .expect("events[]")
        .iter()
        .map(|e| {
            (
                e["stun_us"].as_u64().unwrap(),
                e["time"].as_str().unwrap().to_owned(),
                e["kind"].as_str().unwrap().to_owned(),
                e["cluster"].as_u64().unwrap(),
                e["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// One string field (`vm`, `host`, …) of every entry of `vms[]`, in order.
pub fn vm_field<'a>(v: &'a Value, field: &str) -> Vec<&'a str> {
    v["vms"]
        .as_array()
        .expect("vms[]")
        .iter()
        .map(|x| x[field].as_str().unwrap())
        .collect()
}

/// The `source` of every event, in output order.
pub fn sources(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .expect("events[]")
        .iter()
        .map(|e| e["source"].as_str().unwrap().to_owned())
        .collect()
}

pub fn stun_values(v: &Value) -> Vec<u64> {
    let mut s: Vec<u64> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["stun_us"].as_u64().unwrap())
        .collect();
    s.sort_unstable();
    s
}

/// Copies the old-format fixture into `dir` with the mtime its MTIME file names.
pub fn oldformat_copy(dir: &Path) -> PathBuf {
    let src = fixture("formats/oldformat/vmware.log");
    let vm = dir.join("oldformat");
    std::fs::create_dir_all(&vm).unwrap();
    let dst = vm.join("vmware.log");
    std::fs::copy(&src, &dst).unwrap();
    // 2010-01-01T00:10:00Z, as fixtures/formats/oldformat/MTIME says.
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_262_304_600);
    std::fs::File::options()
        .write(true)
        .open(&dst)
        .unwrap()
        .set_modified(t)
        .unwrap();
    dst
}

/// A tar archive of `members` (ustar headers, fixed mtime).
pub fn tar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_763_634_600);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A zip (central directory and all) of `members`, each with `method`.
pub fn zip_with(members: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(members, zip::CompressionMethod::Deflated)
}

/// Writes `data` to `dir/name`; returns the path as a string.
pub fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    path_str(&p).to_owned()
}
