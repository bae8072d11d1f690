//! The database's logs, followed: each takeover or mirror event is printed
//! as it is logged, with the stun that explains it.
//!
//! New lines are read by the same reader as a whole log
//! ([`dblog::read`](crate::dblog::read)), with the last few kilobytes
//! before them as context: a takeover right after the instance started is
//! the restart's own (the startup entry is in the context), and an entry's
//! continuation lines join it. Only entries that begin in the new lines are
//! handed on.
//!
//! The stun that explains a takeover is usually logged *after* it: the
//! `Unstun` line is written when the pause ends, and a pause longer than Q
//! outlasts the failover it causes. So a takeover that no stun explains yet
//! is kept (a few, for a few minutes) and printed again once a stun read
//! later explains it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::analyze::db::{self as correlate, ExplainedBy, StunRef};
use crate::dblog::{self, DbEvent, ReadOptions};
use crate::qos::Verdict;
use crate::zone::Zone;

/// Bytes of earlier lines read again with new ones.
const CONTEXT: usize = 64 * 1024;
/// Recent risk and failover stuns kept to explain database events.
const RECENT_STUNS: usize = 256;
/// Unexplained events waiting for the stun that explains them.
const PENDING: usize = 16;
/// How long they wait (wall clock).
const PENDING_FOR: Duration = Duration::from_secs(600);

/// One followed database log.
pub struct DbFile {
    source: String,
    member: Option<String>,
    /// The last whole lines read, and the number of the first of them.
    context: Vec<u8>,
    context_first: u64,
}

impl DbFile {
    pub fn new(source: String, member: Option<String>) -> DbFile {
        DbFile {
            source,
            member,
            context: Vec::new(),
            context_first: 1,
        }
    }

    /// The file begins again (rotated by IRIS, or truncated).
    pub fn restart(&mut self) {
        self.context.clear();
        self.context_first = 1;
    }

    /// Reads whole lines `bytes`, the first of them line `first`: the
    /// events that begin in them.
    pub fn lines(&mut self, first: u64, bytes: &[u8], zone: &Zone) -> Vec<DbEvent> {
        let held = bytecount::count(&self.context, b'\n') as u64;
        if self.context_first + held != first {
            self.context.clear();
            self.context_first = first;
        }
        let held = first - self.context_first;
        self.context.extend_from_slice(bytes);
        let opts = ReadOptions {
            zone,
            member: self.member.as_deref(),
        };
        let logs = dblog::read(&self.context[..], &self.source, &opts);
        let base = self.context_first - 1;
        let events = logs
            .into_iter()
            .flat_map(|l| l.events)
            .filter(|e| e.line > held)
            .map(|mut e| {
                e.line += base;
                e
            })
            .collect();
        self.keep_context();
        events
    }

    /// Keeps the last [`CONTEXT`] bytes' whole lines (at least the last line).
    pub fn keep_context(&mut self) {
        if self.context.len() <= CONTEXT {
            return;
        }
        let from = self.context.len() - CONTEXT;
        let cut = memchr::memchr(b'\n', &self.context[from..])
            .map_or(self.context.len(), |i| from + i + 1);
        let dropped = bytecount::count(&self.context[..cut], b'\n') as u64;
        self.context.drain(..cut);
        self.context_first += dropped;
    }

    /// Takes whole lines read before the watch began, as context only.
    pub fn context_only(&mut self, first: u64, bytes: &[u8]) {
        let held = bytecount::count(&self.context, b'\n') as u64;
        if self.context_first + held != first {
            self.context.clear();
            self.context_first = first;
        }
        self.context.extend_from_slice(bytes);
        self.keep_context();
    }
}

/// The recent stuns that can explain a database event, and the events
/// still waiting for one.
#[derive(Default)]
pub struct Explainer {
    stuns: VecDeque<StunRef>,
    pending: VecDeque<(DbEvent, Instant)>,
}

impl Explainer {
    /// A stun printed; returns the waiting events it now explains.
    pub fn stun(&mut self, s: StunRef, qos_us: u64) -> Vec<(DbEvent, ExplainedBy)> {
        if s.verdict < Verdict::Risk {
            return Vec::new();
        }
        if self.stuns.len() == RECENT_STUNS {
            self.stuns.pop_front();
        }
        self.stuns.push_back(s);
        self.pending
            .retain(|(_, since)| since.elapsed() < PENDING_FOR);
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.pending.len() {
            if let Some(by) = self.explain(&self.pending[i].0, qos_us) {
                if let Some((e, _)) = self.pending.remove(i) {
                    out.push((e, by));
                }
            } else {
                i += 1;
            }
        }
        out
    }

    /// The stun that explains `e` among those seen so far; an event that
    /// none explains yet waits for one.
    pub fn event(&mut self, e: &DbEvent, qos_us: u64) -> Option<ExplainedBy> {
        let by = self.explain(e, qos_us);
        if by.is_none() && e.kind.is_correlated() {
            if self.pending.len() == PENDING {
                self.pending.pop_front();
            }
            self.pending.push_back((e.clone(), Instant::now()));
        }
        by
    }

    fn explain(&self, e: &DbEvent, qos_us: u64) -> Option<ExplainedBy> {
        let (a, b) = self.stuns.as_slices();
        let all: Vec<StunRef> = a.iter().chain(b).cloned().collect();
        let x = correlate::explain(e, &all, qos_us)?;
        let s = &all[x.stun];
        Some(ExplainedBy {
            host: s.host.as_str().into(),
            vm: s.vm.as_str().into(),
            time_ms: s.time_ms,
            stun_us: s.stun_us,
            verdict: s.verdict,
            lag_ms: x.lag_ms,
        })
    }
}
