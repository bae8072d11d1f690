//! The whole input layer on arbitrary bytes: gzip, tar, zip, nesting and
//! text, through the public entry point. `input::collect` takes paths, so
//! each input is written to a per-process file in /dev/shm (tmpfs).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stunscan::input::{self, InputPath};

fn scratch() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("stunscan-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join("input.bin")
    })
}

fuzz_target!(|data: &[u8]| {
    let p = scratch();
    std::fs::write(p, data).expect("write scratch input");
    let got = input::collect(&[InputPath::Path(p.clone())], false, &Default::default());
    // Every error names its source: the input or a member of it. No
    // source carries a raw control character.
    let shown = p.to_str().unwrap();
    for e in &got.errors {
        assert!(e.source.starts_with(shown), "{e:?}");
        assert!(!e.message.is_empty());
        // Messages go to standard error: no raw control character from the
        // archive (tar header fields, member names) may reach it.
        assert!(
            !e.message.chars().any(|c| c.is_control()),
            "{:?}",
            e.message
        );
    }
    for l in &got.logs {
        assert!(!l.source.chars().any(|c| c.is_control()), "{:?}", l.source);
    }
});
