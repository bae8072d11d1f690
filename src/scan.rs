//! Streaming search of one log: bytes in, records out.
//!
//! The log is read in large blocks; a multi-literal search (Teddy SIMD via
//! `aho-corasick`, the searcher ripgrep uses) finds the few lines that can
//! matter — stuns and the markers that name the VM and the operation — and
//! only those lines are parsed. Memory is one block plus the records kept,
//! whatever the log's size; a line longer than a block is skipped, never
//! buffered.

use std::io::{self, Read};
use std::sync::{OnceLock, mpsc};

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use crate::escape::escape_bytes;
use crate::line::{self, LineTime, Message, OpMarker};

/// Block size for reads. Lines longer than this cannot be a stun record (a
/// stun line is under 200 bytes), so they are skipped rather than grown into.
pub const BLOCK: usize = 256 * 1024;

/// The literals whose presence makes a line worth parsing. Each is part of
/// a message prefix that [`line::classify`] recognises.
const NEEDLES: [&str; 7] = [
    "Unstun: vm stopped",
    "SnapshotVMX",
    "Consolidate",
    "Migrate",
    "displayName",
    "Hostname=",
    "Log for VMware",
];

fn searcher() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(NEEDLES)
            .expect("static needles build")
    })
}

/// An operation marker, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create {
        snapshot: Option<String>,
        quiesced: Option<bool>,
    },
    Consolidate,
    Migrate,
}

/// What a kept line said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// A stun of `us` microseconds; `text` is the original line, escaped.
    Stun {
        us: u64,
        text: String,
    },
    Op(Op),
    DisplayName(String),
    Hostname(String),
    Product(String),
}

/// One kept line of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub time: LineTime,
    /// 1-based line number (from a `grep -n` prefix when there is one).
    pub line_no: u64,
    /// Index into [`ScanResult::grep_names`] plus one; 0 = the log itself.
    pub origin: u32,
    pub kind: RecordKind,
}

/// A problem with one line (not with the stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line_no: u64,
    pub message: String,
}

/// Everything one log yielded.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub records: Vec<Record>,
    pub line_errors: Vec<LineError>,
    /// Distinct saved-grep prefixes, in order of first appearance.
    pub grep_names: Vec<Vec<u8>>,
    pub bytes: u64,
    pub lines: u64,
    /// Lines longer than [`BLOCK`], skipped unparsed.
    pub long_lines: u64,
}

/// A read error part-way through a log.
#[derive(Debug)]
pub struct StreamError {
    pub error: io::Error,
    /// Bytes of this log successfully read before the error.
    pub bytes_read: u64,
}

/// Scans `reader` to its end. Records found before a read error are kept in
/// the result even when the error is returned.
pub fn scan<R: Read>(mut reader: R) -> (ScanResult, Option<StreamError>) {
    let mut st = ScanState::default();
    let mut buf = vec![0u8; BLOCK];
    let mut filled = 0usize;
    // True while discarding the tail of a line longer than the block.
    let mut skipping = false;
    loop {
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                // The partial last line is not trusted: it may be cut short.
                let bytes_read = st.out.bytes;
                return (st.out, Some(StreamError { error, bytes_read }));
            }
        };
        st.out.bytes += n as u64;
        if n == 0 {
            // End of input: the last line may lack a newline.
            if skipping {
                st.out.lines += 1;
            } else if filled > 0 {
                st.block(&buf[..filled], true);
            }
            return (st.out, None);
        }
        filled += n;
        let Some(last_nl) = memchr::memrchr(b'\n', &buf[..filled]) else {
            if filled == buf.len() {
                // A line longer than the block: count it once, drop it.
                if !skipping {
                    st.out.long_lines += 1;
                }
                skipping = true;
                filled = 0;
            }
            continue;
        };
        let start = if skipping {
            // The rest of the over-long line runs up to the first newline.
            let first_nl = memchr::memchr(b'\n', &buf[..filled]).unwrap_or(last_nl);
            st.out.lines += 1;
            skipping = false;
            first_nl + 1
        } else {
            0
        };
        if start <= last_nl {
            st.block(&buf[start..=last_nl], false);
        }
        buf.copy_within(last_nl + 1..filled, 0);
        filled -= last_nl + 1;
    }
}

/// Chunks in flight between the reading and the scanning thread: bounds
/// memory to `PIPE_DEPTH × BLOCK` whatever the stream's size.
const PIPE_DEPTH: usize = 4;

/// [`scan`] on a second thread, fed by this one. For decompressed streams:
/// this thread inflates (and walks the archive) while the other searches,
/// so on two cores the search costs no wall time.
pub fn scan_beside<R: Read>(mut reader: R) -> (ScanResult, Option<StreamError>) {
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(PIPE_DEPTH);
    let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let scanner = s.spawn(move || {
            scan(ChannelReader {
                rx,
                back: back_tx,
                cur: Vec::new(),
                pos: 0,
            })
        });
        loop {
            let mut chunk = back_rx
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BLOCK));
            chunk.resize(BLOCK, 0);
            let mut filled = 0;
            let result = loop {
                match reader.read(&mut chunk[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        filled += n;
                        if filled == chunk.len() {
                            break Ok(());
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            chunk.truncate(filled);
            let end = filled < BLOCK || result.is_err();
            if filled > 0 && tx.send(Ok(chunk)).is_err() {
                break;
            }
            if let Err(e) = result {
                let _ = tx.send(Err(e));
            }
            if end {
                break;
            }
        }
        drop(tx);
        scanner.join().unwrap_or_else(|_| {
            let error = io::Error::other("the scanning thread failed");
            (
                ScanResult::default(),
                Some(StreamError {
                    error,
                    bytes_read: 0,
                }),
            )
        })
    })
}

/// The scanning side of [`scan_beside`]: chunks in, bytes out; spent chunks
/// go back to be refilled.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    back: mpsc::Sender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let spent = std::mem::replace(&mut self.cur, chunk);
                    let _ = self.back.send(spent);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[derive(Default)]
struct ScanState {
    out: ScanResult,
}

impl ScanState {
    /// Processes a block of whole lines (ending in `\n`, unless `eof`).
    fn block(&mut self, block: &[u8], eof: bool) {
        let ac = searcher();
        // Lines before `counted` are already in `out.lines`.
        let mut counted = 0usize;
        let mut pos = 0usize;
        while pos < block.len() {
            let Some(m) = ac.find(Input::new(block).span(pos..block.len())) else {
                break;
            };
            let hit = m.start();
            let ls = memchr::memrchr(b'\n', &block[..hit]).map_or(0, |i| i + 1);
            let le = memchr::memchr(b'\n', &block[hit..]).map_or(block.len(), |i| hit + i);
            self.out.lines += memchr::memchr_iter(b'\n', &block[counted..ls]).count() as u64;
            counted = ls;
            self.line(&block[ls..le], self.out.lines + 1);
            pos = le + 1;
        }
        self.out.lines += memchr::memchr_iter(b'\n', &block[counted..]).count() as u64;
        if eof && !block.ends_with(b"\n") {
            self.out.lines += 1;
        }
    }

    fn line(&mut self, raw: &[u8], line_no: u64) {
        let Some(h) = line::parse_header(raw) else {
            return;
        };
        let Some(msg) = h.message() else {
            return;
        };
        let origin = match h.grep_name {
            None => 0,
            Some(name) => self.origin(name),
        };
        let line_no = h.grep_line.unwrap_or(line_no);
        let kind = match msg {
            Message::Stun(us) => {
                let text = raw.strip_suffix(b"\r").unwrap_or(raw);
                // A saved-grep line's original text starts after the prefix.
                let text = match h.grep_name {
                    Some(_) => strip_grep_prefix(text),
                    None => text,
                };
                RecordKind::Stun {
                    us,
                    text: escape_bytes(text),
                }
            }
            Message::StunOverflow => {
                self.out.line_errors.push(LineError {
                    line_no,
                    message: "stun value does not fit in 64 bits; line ignored".into(),
                });
                return;
            }
            Message::Op(op) => RecordKind::Op(match op {
                OpMarker::Create { snapshot, quiesced } => Op::Create {
                    snapshot: snapshot.map(escape_bytes),
                    quiesced,
                },
                OpMarker::Consolidate => Op::Consolidate,
                OpMarker::Migrate => Op::Migrate,
            }),
            Message::DisplayName(n) => RecordKind::DisplayName(escape_bytes(n)),
            Message::Hostname(n) => RecordKind::Hostname(escape_bytes(n)),
            Message::Product(n) => RecordKind::Product(escape_bytes(n)),
        };
        self.out.records.push(Record {
            time: h.time,
            line_no,
            origin,
            kind,
        });
    }

    fn origin(&mut self, name: &[u8]) -> u32 {
        let names = &mut self.out.grep_names;
        let idx = match names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                names.push(name.to_vec());
                names.len() - 1
            }
        };
        idx as u32 + 1
    }
}

/// The text after a `name.log:` or `name.log:N:` prefix.
fn strip_grep_prefix(line: &[u8]) -> &[u8] {
    let Some(at) = memchr::memmem::find(line, b".log:") else {
        return line;
    };
    let after = &line[at + 5..];
    let n = after
        .iter()
        .take(20)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n > 0 && after.get(n) == Some(&b':') {
        &after[n + 1..]
    } else {
        after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stuns(r: &ScanResult) -> Vec<(u64, u64)> {
        r.records
            .iter()
            .filter_map(|r| match r.kind {
                RecordKind::Stun { us, .. } => Some((r.line_no, us)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn finds_stuns_with_line_numbers_across_small_reads() {
        let log = b"2017-01-04T21:30:19.000Z| vmx| I125: Hostname=esx1\n\
2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1091706 us\n\
noise\r\n\
2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 38123 us";
        // A reader that hands out 7 bytes at a time exercises block joins.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(7).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let (r, err) = scan(Slow(log));
        assert!(err.is_none());
        assert_eq!(stuns(&r), vec![(2, 1091706), (4, 38123)]);
        assert_eq!(r.lines, 4);
        assert_eq!(r.records[0].kind, RecordKind::Hostname("esx1".into()));
    }

    #[test]
    fn over_long_line_is_skipped_and_the_next_line_still_counts() {
        let mut log = vec![b'x'; BLOCK * 3 + 17];
        log.extend_from_slice(
            b"\n2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 5 us\n",
        );
        let (r, err) = scan(&log[..]);
        assert!(err.is_none());
        assert_eq!(r.long_lines, 1);
        assert_eq!(stuns(&r), vec![(2, 5)]);
    }

    #[test]
    fn scanning_beside_the_reader_gives_the_same_result() {
        let mut log = Vec::new();
        for i in 0..40_000u64 {
            log.extend_from_slice(format!("2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for {i} us\n").as_bytes());
            log.extend_from_slice(b"2017-01-04T21:30:19.662Z| vmx| I125: filler\n");
        }
        let (a, ea) = scan(&log[..]);
        let (b, eb) = scan_beside(&log[..]);
        assert!(ea.is_none() && eb.is_none());
        assert_eq!(a.records, b.records);
        assert_eq!((a.lines, a.bytes), (b.lines, b.bytes));
        assert_eq!(b.records.len(), 40_000);
        // An error mid-stream arrives after the data before it.
        let failing = (&log[..BLOCK * 2]).chain(Failing);
        let (r, e) = scan_beside(failing);
        assert!(e.is_some());
        assert!(!r.records.is_empty());
    }

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("boom"))
        }
    }

    #[test]
    fn grep_prefixes_become_origins() {
        let log = b"vmware-1.log:2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1 us\n\
vmware.log:2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 2 us\n";
        let (r, _) = scan(&log[..]);
        assert_eq!(
            r.grep_names,
            vec![b"vmware-1.log".to_vec(), b"vmware.log".to_vec()]
        );
        assert_eq!(
            r.records.iter().map(|r| r.origin).collect::<Vec<_>>(),
            vec![1, 2]
        );
        match &r.records[1].kind {
            RecordKind::Stun { text, .. } => {
                assert_eq!(
                    text,
                    "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 2 us"
                )
            }
            k => panic!("{k:?}"),
        }
    }
}
