//! Threads that hand chunks of a stream to one another, so that reading a
//! bundle uses two cores: one inflates, the other walks the archive and
//! searches. Channels are bounded, so memory stays a few chunks whatever the
//! input's size.
//!
//! Such a helper thread runs only when a core is free for it: independent
//! streams (bundles, the members of a zip) come first, one per pool thread
//! (`-j`), and a stream takes a helper only while the streams waiting or
//! being read and the helpers already running leave room under the pool's
//! size. Two bundles on two cores are each read on one thread, a bundle
//! alone on two, and `-j 1` reads on one thread.

use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::vmlog::scan::{BLOCK, ScanResult, Scanner, StreamError, scan_as};

/// Chunks in flight to the scanning thread: bounds memory to about
/// `PIPE_DEPTH × BLOCK` whatever the stream's size.
const PIPE_DEPTH: usize = 4;

/// Chunk size between the inflating thread and the one that reads the
/// archive. Each hand-over may wake a sleeping thread (a futex call, costly
/// in a VM): 1 MiB chunks make 1,000 hand-overs per GB instead of 4,000.
const INFLATE_CHUNK: usize = 1 << 20;

/// Streams waiting or being read, plus the helper threads beside them.
static LOAD: AtomicUsize = AtomicUsize::new(0);

/// One unit of the load, given back when dropped: a stream from the moment
/// it is planned until it is read, or a helper thread while it runs.
#[derive(Debug)]
pub struct Slot(());

impl Slot {
    /// A stream waiting or being read: counted whatever the load.
    pub fn stream() -> Slot {
        LOAD.fetch_add(1, Ordering::SeqCst);
        Slot(())
    }

    /// A helper thread beside a stream, when the pool's size leaves room.
    pub fn spare() -> Option<Slot> {
        let limit = rayon::current_num_threads();
        LOAD.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < limit).then_some(n + 1)
        })
        .ok()
        .map(|_| Slot(()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        LOAD.fetch_sub(1, Ordering::SeqCst);
    }
}

enum Msg<T> {
    /// The next log is a vm-support fragment (see [`Scanner::fragment`]).
    Fragment,
    /// A chunk and how much of it holds data (chunks stay full-size so
    /// that reuse costs no zeroing).
    Data(Vec<u8>, usize),
    End(T, Option<StreamError>),
}

/// One finished log from a [`ScanWorker`]: its tag, records, and the read
/// error that ended it, if any.
pub type Done<T> = (T, ScanResult, Option<StreamError>);

/// A scanning thread that lives as long as an archive is read. The reading
/// thread inflates and walks the archive and hands each log's bytes over;
/// the worker searches them. On two cores the search then costs no wall
/// time, and because the worker outlives each member, an archive of many
/// small logs keeps both threads busy instead of handing over per member.
pub struct ScanWorker<T> {
    tx: Option<mpsc::SyncSender<Msg<T>>>,
    results: mpsc::Receiver<Done<T>>,
    pool: mpsc::Receiver<Vec<u8>>,
    handle: Option<std::thread::JoinHandle<()>>,
    /// Results of logs scanned inline because no thread could be started.
    inline: Vec<Done<T>>,
    keep_text: bool,
    /// The core the thread holds.
    _slot: Slot,
}

impl<T: Send + 'static> ScanWorker<T> {
    /// `keep_text`: keep the stun lines' text (see [`Scanner::new`]);
    /// `slot`: the core it may use, held while it lives.
    pub fn new(keep_text: bool, slot: Slot) -> Self {
        let (tx, rx) = mpsc::sync_channel::<Msg<T>>(PIPE_DEPTH);
        let (res_tx, results) = mpsc::channel();
        let (pool_tx, pool) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("stunscan-scan".into())
            .spawn(move || {
                let mut scanner = Scanner::new(false, keep_text);
                for msg in rx {
                    match msg {
                        Msg::Fragment => scanner = Scanner::new(true, keep_text),
                        Msg::Data(chunk, len) => {
                            scanner.feed(&chunk[..len]);
                            let _ = pool_tx.send(chunk);
                        }
                        Msg::End(tag, err) => {
                            let done =
                                std::mem::replace(&mut scanner, Scanner::new(false, keep_text));
                            let res = if err.is_some() {
                                done.abandon()
                            } else {
                                done.finish()
                            };
                            if res_tx.send((tag, res, err)).is_err() {
                                return;
                            }
                        }
                    }
                }
            })
            .ok();
        ScanWorker {
            tx: handle.as_ref().map(|_| tx),
            keep_text,
            results,
            pool,
            handle,
            inline: Vec::new(),
            _slot: slot,
        }
    }

    /// Reads `r` to its end and hands its bytes to the scanning thread; the
    /// result arrives later through [`ScanWorker::ready`] or
    /// [`ScanWorker::finish`], tagged with `tag`. `fragment`: scan it as a
    /// vm-support fragment.
    pub fn submit<R: Read>(&mut self, mut r: R, tag: T, fragment: bool) {
        let Some(tx) = &self.tx else {
            let (res, err) = scan_as(r, fragment, self.keep_text);
            self.inline.push((tag, res, err));
            return;
        };
        if fragment && tx.send(Msg::Fragment).is_err() {
            return;
        }
        let mut sent = 0u64;
        let err = loop {
            let mut chunk = self.pool.try_recv().unwrap_or_else(|_| vec![0; BLOCK]);
            let (n, err) = read_full(&mut r, &mut chunk);
            sent += n as u64;
            if n > 0 && tx.send(Msg::Data(chunk, n)).is_err() {
                break None;
            }
            if let Some(error) = err {
                break Some(StreamError {
                    error,
                    bytes_read: sent,
                });
            }
            if n < BLOCK {
                break None;
            }
        };
        let _ = tx.send(Msg::End(tag, err));
    }

    /// Logs finished so far.
    pub fn ready(&mut self) -> Vec<Done<T>> {
        let mut done = std::mem::take(&mut self.inline);
        done.extend(self.results.try_iter());
        done
    }

    /// Waits for every submitted log and stops the thread.
    pub fn finish(mut self) -> Vec<Done<T>> {
        self.tx = None;
        let mut done = std::mem::take(&mut self.inline);
        done.extend(self.results.iter());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        done
    }
}

/// Runs `consume` on the gzip-decompressed content of `r`, while a second
/// thread does the decompression: single-stream inflate is the bottleneck of
/// reading a bundle, so it gets a core to itself (`slot`, held until the
/// stream ends). Memory stays bounded by the chunks in flight: at most
/// `PIPE_DEPTH + 2` chunks of [`INFLATE_CHUNK`] (6 MiB) per stream.
pub fn inflate_beside<R: Read + Send, T>(
    r: R,
    slot: Slot,
    consume: impl FnOnce(&mut dyn Read) -> T,
) -> T {
    let _slot = slot;
    let (tx, rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(PIPE_DEPTH);
    let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut dec = flate2::read::MultiGzDecoder::new(r);
            loop {
                let mut chunk = back_rx
                    .try_recv()
                    .unwrap_or_else(|_| vec![0; INFLATE_CHUNK]);
                let (n, err) = read_full(&mut dec, &mut chunk);
                // A send fails only when the consumer has stopped reading.
                if n > 0 && tx.send(Ok((chunk, n))).is_err() {
                    return;
                }
                if let Some(e) = err {
                    let _ = tx.send(Err(e));
                    return;
                }
                if n < INFLATE_CHUNK {
                    return;
                }
            }
        });
        let mut reader = ChunkReader {
            rx,
            back: back_tx,
            cur: Vec::new(),
            len: 0,
            pos: 0,
        };
        consume(&mut reader)
        // `reader` is dropped here, which stops the inflating thread if the
        // consumer gave up early.
    })
}

/// The consuming end of [`inflate_beside`]: chunks in, bytes out; spent
/// chunks go back to be refilled.
struct ChunkReader {
    rx: mpsc::Receiver<io::Result<(Vec<u8>, usize)>>,
    back: mpsc::Sender<Vec<u8>>,
    cur: Vec<u8>,
    len: usize,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.len {
            match self.rx.recv() {
                Ok(Ok((chunk, len))) => {
                    let spent = std::mem::replace(&mut self.cur, chunk);
                    if !spent.is_empty() {
                        let _ = self.back.send(spent);
                    }
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.len - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Fills `buf` from `r` as far as it goes; returns the bytes read and the
/// error that stopped it, if any.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_worker_gives_the_same_result_as_scan() {
        let mut log = Vec::new();
        for i in 0..40_000u64 {
            log.extend_from_slice(
                format!("2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for {i} us\n")
                    .as_bytes(),
            );
            log.extend_from_slice(b"2017-01-04T21:30:19.662Z| vmx| I125: filler\n");
        }
        let (a, ea) = crate::vmlog::scan::scan(&log[..]);
        let mut w = ScanWorker::new(true, Slot::stream());
        w.submit(&log[..], 1, false);
        w.submit(&log[..100], 2, false);
        // An error mid-stream arrives after the data before it.
        w.submit((&log[..BLOCK * 2 + 5]).chain(Failing), 3, false);
        w.submit(&log[..], 4, true);
        let mut done = w.ready();
        done.extend(w.finish());
        done.sort_by_key(|d| d.0);
        assert_eq!(done.len(), 4);
        // A fragment keeps its cut ends aside; the lines between are the
        // same, and its first stun keeps the line before it (what came
        // before the fragment is not known).
        let stuns = |r: &crate::vmlog::scan::ScanResult| {
            r.records
                .iter()
                .filter(|r| matches!(r.kind, crate::vmlog::scan::RecordKind::Stun { .. }))
                .count()
        };
        assert_eq!(stuns(&done[3].1), 39_999);
        assert!(matches!(
            &done[3].1.records[0].kind,
            crate::vmlog::scan::RecordKind::Context(t) if t.as_str() == "filler"
        ));
        assert!(done[3].1.ends.is_some());
        assert!(ea.is_none() && done[0].2.is_none());
        assert_eq!(a.records, done[0].1.records);
        assert_eq!((a.lines, a.bytes), (done[0].1.lines, done[0].1.bytes));
        assert_eq!(done[0].1.records.len(), 40_000);
        assert_eq!(done[1].1.records.len(), 1);
        let e = done[2].2.as_ref().expect("the error is reported");
        assert_eq!(e.bytes_read, (BLOCK * 2 + 5) as u64);
        assert!(!done[2].1.records.is_empty());
    }

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("boom"))
        }
    }
}
