//! Shared helpers for the integration tests: run the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

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
