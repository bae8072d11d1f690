//! Baseline for SPEC section 9: a bare single-stream inflate of a gzip file
//! (flate2 with the zlib-rs backend, as stunscan uses), output discarded.
//!
//! ```text
//! cargo run --release --example inflate -- file.tgz
//! ```

use std::fs::File;
use std::io::{self, Read};
use std::time::Instant;

use flate2::read::MultiGzDecoder;

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: cargo run --release --example inflate -- <file.gz>");
        std::process::exit(2);
    };
    let started = Instant::now();
    let run = || -> io::Result<u64> {
        let mut dec = MultiGzDecoder::new(File::open(&path)?);
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            match dec.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => total += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    };
    match run() {
        Ok(total) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{total} bytes inflated in {secs:.3} s ({:.1} MB/s)",
                total as f64 / 1e6 / secs.max(1e-9)
            );
        }
        Err(e) => {
            eprintln!("inflate: {}: {e}", path.to_string_lossy());
            std::process::exit(1);
        }
    }
}
