//! The progress bar for big inputs: bytes read from disk of the total
//! (compressed bytes for archives), on standard error, only when asked for.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing. Cheap to update from many threads.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    pub fn new(enabled: bool, total: u64) -> Bar {
        if !enabled {
            return Bar(None);
        }
        let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
        Bar(Some(pb))
    }

    pub fn inc(&self, n: u64) {
        if let Some(pb) = &self.0 {
            pb.inc(n);
        }
    }

    pub fn finish(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

/// Counts the bytes read through it into a [`Bar`] and a counter.
pub struct Counting<'b, R> {
    inner: R,
    bar: &'b Bar,
    total: Arc<AtomicU64>,
}

impl<'b, R> Counting<'b, R> {
    pub fn new(inner: R, bar: &'b Bar, total: Arc<AtomicU64>) -> Self {
        Counting { inner, bar, total }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}
