//! Quiesce windows: VMware Tools freezing the guest's file systems for a
//! snapshot, before its stun.
//!
//! That freeze is where a guest's freeze script runs and where a database
//! hangs when quiescing stalls, so each attempt is reported, whether or not
//! a snapshot followed. A quiesce runs from the state leaving `IDLE`
//! (`ToolsBackup: changing quiesce state: IDLE -> …`) to its return to
//! `IDLE`, or to the `[msg.snapshot.quiesce.*]` message that ends it, or
//! — when the log shows neither — to its snapshot's completion
//! (`SnapshotVMXTakeSnapshotComplete`): the guest is thawed before the
//! snapshot is done, so the quiesce ended by then. The states between are
//! read by shape, not by name: public logs show few of them, and a list of
//! names would miss the rest.

use super::clusters::Draft;
use super::report::{Kind, QuiesceOutcome};
use super::vms::Item;
use crate::escape::Name;
use crate::time::EpochMs;
use crate::vmlog::scan::RecordKind;
use crate::vmlog::{OpKind, Phase};

const HOUR_MS: i64 = 3600 * 1000;
/// A snapshot's begin marker names the quiesce that starts at most this
/// long after it.
const NAMES_WITHIN_MS: i64 = HOUR_MS;
/// A message logged at most this long after a quiesce returned to `IDLE`
/// still tells how it ended.
const LATE_MESSAGE_MS: i64 = 60 * 1000;

/// One quiesce attempt of a VM, before its cluster is numbered.
#[derive(Debug, Clone)]
pub(super) struct QuiesceDraft {
    pub(super) start: EpochMs,
    pub(super) end: Option<EpochMs>,
    pub(super) outcome: QuiesceOutcome,
    pub(super) snapshot: Option<Name>,
    /// The index in the timeline of the line that began it.
    pub(super) item: usize,
    /// The create cluster (index in the VM's drafts) whose stun followed.
    pub(super) draft: Option<usize>,
    /// A failed quiesce after which the snapshot was taken again without
    /// quiescing: the time of that snapshot's begin marker.
    pub(super) fell_back_at: Option<EpochMs>,
    /// Whether an error state was passed through.
    failed: bool,
}

/// The quiesce attempts of one VM's timeline, each linked to the create
/// cluster whose stun followed it (`gap_ms` after its end at most).
pub(super) fn quiesces(timeline: &[Item], drafts: &[Draft], gap_ms: i64) -> Vec<QuiesceDraft> {
    let mut out: Vec<QuiesceDraft> = Vec::new();
    let mut open: Option<QuiesceDraft> = None;
    // The latest snapshot create begun: (time, name, quiesced).
    let mut create: Option<(EpochMs, Option<Name>, Option<bool>)> = None;
    for (i, item) in timeline.iter().enumerate() {
        match item.kind {
            RecordKind::Op(op) if op.kind == OpKind::Create && op.phase == Phase::Begin => {
                create = Some((item.time, op.snapshot.clone(), op.quiesced));
                note_fallback(&mut out, item.time, op.quiesced);
            }
            RecordKind::Op(op) if op.kind == OpKind::Create && op.phase == Phase::End => {
                if let Some(mut o) = open.take() {
                    o.end = Some(item.time);
                    o.outcome = if o.failed {
                        QuiesceOutcome::Error
                    } else {
                        QuiesceOutcome::Done
                    };
                    out.push(o);
                }
            }
            RecordKind::Quiesce(q) => {
                if q.begins {
                    // A quiesce that never returned to IDLE stays open.
                    out.extend(open.take());
                    let snapshot = create
                        .as_ref()
                        .filter(|c| item.time - c.0 <= NAMES_WITHIN_MS)
                        .and_then(|c| c.1.clone());
                    open = Some(QuiesceDraft {
                        start: item.time,
                        end: None,
                        outcome: QuiesceOutcome::Open,
                        snapshot,
                        item: i,
                        draft: None,
                        fell_back_at: None,
                        failed: false,
                    });
                }
                if let Some(o) = open.as_mut() {
                    o.failed |= q.failed;
                }
                if !q.ends {
                    continue;
                }
                let outcome = |failed: bool| match (q.timed_out, failed || q.failed) {
                    (true, _) => QuiesceOutcome::Timeout,
                    (false, true) => QuiesceOutcome::Error,
                    (false, false) => QuiesceOutcome::Done,
                };
                if let Some(mut o) = open.take() {
                    o.end = Some(item.time);
                    o.outcome = outcome(o.failed);
                    out.push(o);
                } else if let Some(last) = out.last_mut()
                    && (q.timed_out || q.failed)
                    && last.outcome == QuiesceOutcome::Done
                    && last.end.is_some_and(|e| item.time - e <= LATE_MESSAGE_MS)
                {
                    // The message came after the return to IDLE.
                    last.outcome = outcome(true);
                }
            }
            _ => {}
        }
    }
    out.extend(open);
    let begins: Vec<EpochMs> = timeline
        .iter()
        .filter(|i| matches!(i.kind, RecordKind::Op(op) if op.kind == OpKind::Create && op.phase == Phase::Begin))
        .map(|i| i.time)
        .collect();
    link_clusters(&mut out, drafts, &begins, gap_ms);
    out
}

/// A snapshot begun without quiescing (`quiesced=0`) within the hour after
/// a quiesce failed is that snapshot taken again, plain.
fn note_fallback(out: &mut [QuiesceDraft], at: EpochMs, quiesced: Option<bool>) {
    if quiesced != Some(false) {
        return;
    }
    if let Some(last) = out.last_mut()
        && matches!(
            last.outcome,
            QuiesceOutcome::Error | QuiesceOutcome::Timeout
        )
        && last.fell_back_at.is_none()
        && last.end.is_some_and(|e| at >= e && at - e <= HOUR_MS)
    {
        last.fell_back_at = Some(at);
    }
}

/// Each quiesce gets the first create cluster that starts after it began
/// and no later than `gap_ms` after it ended (an hour after it began when
/// it has no end), before the next quiesce begins and before another
/// snapshot is begun (`create_begins`, in time order): a snapshot taken
/// again without quiescing after a failed quiesce is not quiesced.
fn link_clusters(
    qs: &mut [QuiesceDraft],
    drafts: &[Draft],
    create_begins: &[EpochMs],
    gap_ms: i64,
) {
    for i in 0..qs.len() {
        let q = &qs[i];
        let until = q.end.map_or(q.start + HOUR_MS, |e| e + gap_ms);
        let after = create_begins.partition_point(|&t| t <= q.start);
        let next_begin = create_begins.get(after).copied().unwrap_or(EpochMs::MAX);
        let next = qs
            .get(i + 1)
            .map_or(EpochMs::MAX, |n| n.start)
            .min(next_begin);
        let found = drafts.iter().position(|d| {
            d.kind == Kind::Create && d.start >= q.start && d.start <= until && d.start < next
        });
        qs[i].draft = found;
    }
}
