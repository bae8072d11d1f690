//! Clusters and their kinds.
//!
//! A cluster is a maximal run of one VM's stuns at most `gap` apart with no
//! operation marker of another kind between them. Its kind comes from the
//! log's own markers when a fresh one is there — the latest marker since
//! the previous cluster, if logged within the hour before or part of an
//! operation still open, else the first end marker logged just after it.
//! That marker's operation's begin line, when logged since the previous
//! stun, is the cluster's evidence, else that marker. Where no marker decides, a
//! source of stun lines alone (saved `grep Unstun` output) gets a guess
//! from the shape of the stuns — a snapshot create stuns once, its
//! consolidation once per disk and iteration — and any other source says
//! `unknown`, with the line logged before the stun as its evidence: a
//! guess where the log speaks would send a reader after a backup that
//! never ran.

use super::report::{Kind, KindSource};
use super::vms::Item;
use crate::escape::Name;
use crate::time::EpochMs;
use crate::vmlog::scan::{Op, RecordKind};
use crate::vmlog::{OpKind, Phase};

const HOUR_MS: i64 = 3600 * 1000;
/// A marker older than this before a cluster decides nothing, unless its
/// operation is still open.
const FRESH_MS: i64 = HOUR_MS;
/// A consolidation stays open at most this long without its end marker.
const CONSOLIDATE_OPEN_MS: i64 = 24 * HOUR_MS;
/// How far apart a snapshot's create and consolidate clusters may be for
/// the shape heuristic to pair them.
const PAIR_MS: i64 = 24 * HOUR_MS;

/// A cluster with its kind, before it is numbered and reported.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    /// Indices of its stuns in the VM's timeline.
    pub(super) stuns: Vec<usize>,
    pub(super) start: EpochMs,
    pub(super) end: EpochMs,
    pub(super) kind: Kind,
    pub(super) source: KindSource,
    pub(super) snapshot: Option<Name>,
    pub(super) quiesced: Option<bool>,
    /// The timeline index of the line that decided the kind (a marker, or
    /// for `unknown` the line logged before the first stun).
    pub(super) evidence: Option<usize>,
}

/// A marker as the clustering sees it.
#[derive(Debug, Clone)]
struct Mark {
    kind: Kind,
    time: EpochMs,
    snapshot: Option<Name>,
    quiesced: Option<bool>,
    /// Its index in the timeline.
    item: usize,
}

/// An operation begun and not yet over.
#[derive(Debug, Clone)]
struct Open {
    mark: Mark,
}

fn kind_of(op: OpKind) -> Kind {
    match op {
        OpKind::Create => Kind::Create,
        OpKind::Consolidate => Kind::Consolidate,
        OpKind::Revert => Kind::Revert,
        OpKind::Migrate => Kind::Vmotion,
        OpKind::Hotplug => Kind::Hotplug,
        OpKind::Reset => Kind::Reset,
        OpKind::Resume => Kind::Resume,
    }
}

/// The walk over one VM's timeline.
#[derive(Default)]
struct Walk {
    drafts: Vec<Draft>,
    /// The cluster being built, and whether a marker decided it.
    cur: Option<(Draft, bool)>,
    /// The latest begin or step marker since the last stun.
    latest: Option<Mark>,
    /// Kinds of every operation marker since the last stun.
    between: Vec<Kind>,
    open: Option<Open>,
    /// The first end marker after the current cluster, within the gap.
    after: Option<Mark>,
    /// The latest begin marker since the last stun.
    begun: Option<Mark>,
}

/// Groups a VM's stuns into clusters and gives each a kind.
/// `stun_only[log]`: that log holds nothing but stun lines.
pub(super) fn clusters(timeline: &[Item], stun_only: &[bool], gap_ms: i64) -> Vec<Draft> {
    let mut w = Walk::default();
    for (i, item) in timeline.iter().enumerate() {
        match item.kind {
            RecordKind::Op(op) => w.marker(op, i, item.time, gap_ms),
            RecordKind::Stun { .. } => w.stun(i, item.time, gap_ms),
            _ => {}
        }
    }
    w.close();
    let mut drafts = w.drafts;
    for d in drafts.iter_mut().filter(|d| d.source != KindSource::Marker) {
        let first = d.stuns[0];
        if stun_only.get(timeline[first].log as usize) == Some(&true) {
            d.source = KindSource::Heuristic;
        } else {
            d.source = KindSource::None;
            d.evidence = context_before(timeline, first);
        }
    }
    guess_kinds(&mut drafts);
    drafts
}

/// The line logged before the stun at `at`, when the scan kept it (it is
/// the item just before, from the same log, one line up).
fn context_before(timeline: &[Item], at: usize) -> Option<usize> {
    let stun = &timeline[at];
    (0..at).rev().take(4).find(|&i| {
        let c = &timeline[i];
        matches!(c.kind, RecordKind::Context(_)) && c.log == stun.log && c.line + 1 == stun.line
    })
}

impl Walk {
    fn marker(&mut self, op: &Op, item: usize, time: EpochMs, gap_ms: i64) {
        let open_kind = self.open.as_ref().map(|o| o.mark.kind);
        // `Migrate: VM starting stun` is logged by a vMotion and by a memory
        // hot-add alike: it belongs to the one that is open, alone it
        // decides nothing.
        // Its evidence is then the line that opened that operation.
        let (kind, item) = match (op.generic, &self.open) {
            (false, _) => (kind_of(op.kind), item),
            (true, Some(o)) if matches!(o.mark.kind, Kind::Hotplug | Kind::Vmotion) => {
                (o.mark.kind, o.mark.item)
            }
            (true, _) => return,
        };
        let mark = Mark {
            kind,
            time,
            snapshot: op.snapshot.clone(),
            quiesced: op.quiesced,
            item,
        };
        self.between.push(kind);
        self.name_snapshot(&mark);
        match op.phase {
            Phase::Begin => {
                self.open = Some(Open { mark: mark.clone() });
                self.begun = Some(mark.clone());
                self.latest = Some(mark);
            }
            Phase::Step => self.latest = Some(mark),
            Phase::End => {
                if open_kind == Some(kind) {
                    self.open = None;
                }
                if let Some((c, false)) = &self.cur
                    && self.after.is_none()
                    && time - c.end <= gap_ms
                {
                    self.after = Some(mark);
                }
            }
        }
    }

    /// `Done with snapshot 'x'` after a create cluster names its snapshot.
    fn name_snapshot(&mut self, mark: &Mark) {
        if let (Some((c, _)), Kind::Create, Some(s)) =
            (self.cur.as_mut(), mark.kind, &mark.snapshot)
            && c.kind == Kind::Create
            && c.snapshot.is_none()
        {
            c.snapshot = Some(s.clone());
        }
    }

    fn stun(&mut self, i: usize, time: EpochMs, gap_ms: i64) {
        let joins = self.cur.as_ref().is_some_and(|(c, decided)| {
            let decided_kind = decided.then_some(c.kind);
            time - c.end <= gap_ms && self.between.iter().all(|k| Some(*k) == decided_kind)
        });
        if !joins {
            self.close();
            self.cur = Some(self.begin(time));
        }
        if let Some((c, _)) = self.cur.as_mut() {
            c.stuns.push(i);
            c.end = time;
        }
        self.latest = None;
        self.begun = None;
        self.between.clear();
        self.after = None;
        // A create, a vMotion or a hot-plug is over at its first stun; a
        // consolidation stuns once per disk and iteration until its end.
        if self
            .open
            .as_ref()
            .is_some_and(|o| o.mark.kind != Kind::Consolidate)
        {
            self.open = None;
        }
    }

    /// A new cluster at `time`: the marker that decides it, if any.
    fn begin(&mut self, time: EpochMs) -> (Draft, bool) {
        let open = self
            .open
            .as_ref()
            .map(|o| &o.mark)
            .filter(|m| m.kind != Kind::Consolidate || time - m.time <= CONSOLIDATE_OPEN_MS);
        let decider = match &self.latest {
            Some(m) if time - m.time <= FRESH_MS => Some(m),
            Some(m) if open.is_some_and(|o| o.kind == m.kind) => Some(m),
            _ => open.filter(|o| o.kind == Kind::Consolidate),
        };
        let mut d = Draft {
            stuns: Vec::new(),
            start: time,
            end: time,
            kind: Kind::Unknown,
            source: KindSource::None,
            snapshot: None,
            quiesced: None,
            evidence: None,
        };
        let Some(m) = decider else {
            return (d, false);
        };
        d.kind = m.kind;
        d.source = KindSource::Marker;
        // The line that best says what happened: the operation's begin
        // (`VM reset requested`, a snapshot's `start`), when it was logged
        // since the last stun, rather than a step that many operations log
        // (`DEVICE: Resetting device 'ALL'.` ends guest reboots too).
        let begun = self.begun.as_ref().filter(|b| b.kind == m.kind);
        d.evidence = Some(begun.unwrap_or(m).item);
        if m.kind == Kind::Create {
            // The begin marker holds the snapshot's name and quiescing.
            let begun = open.filter(|o| o.kind == Kind::Create);
            d.snapshot = m
                .snapshot
                .clone()
                .or_else(|| begun.and_then(|o| o.snapshot.clone()));
            d.quiesced = m.quiesced.or_else(|| begun.and_then(|o| o.quiesced));
        }
        (d, true)
    }

    fn close(&mut self) {
        let Some((mut c, decided)) = self.cur.take() else {
            return;
        };
        if let (false, Some(m)) = (decided, self.after.take()) {
            c.kind = m.kind;
            c.source = KindSource::Marker;
            c.evidence = Some(m.item);
            if m.kind == Kind::Create {
                c.snapshot = m.snapshot;
            }
        }
        self.drafts.push(c);
    }
}

/// Kinds for the clusters no marker decided, in time order: after a
/// create (within a day, no consolidate yet) comes its consolidate; several
/// stuns together are a consolidate; a lone stun followed within a day by
/// an unmarked or consolidate cluster is a create; anything else is
/// unknown — never a guessed create.
fn guess_kinds(drafts: &mut [Draft]) {
    let mut pending_create: Option<EpochMs> = None;
    for i in 0..drafts.len() {
        if drafts[i].source == KindSource::Heuristic {
            let d = &drafts[i];
            let next_pairs = drafts.get(i + 1).is_some_and(|n| {
                n.start - d.end <= PAIR_MS
                    && (n.source == KindSource::Heuristic || n.kind == Kind::Consolidate)
            });
            let after_create = pending_create.is_some_and(|t| d.start - t <= PAIR_MS);
            let kind = if after_create || d.stuns.len() >= 2 {
                Kind::Consolidate
            } else if next_pairs {
                Kind::Create
            } else {
                Kind::Unknown
            };
            drafts[i].kind = kind;
        }
        match drafts[i].kind {
            Kind::Create => pending_create = Some(drafts[i].end),
            Kind::Consolidate => pending_create = None,
            _ => {}
        }
    }
}
