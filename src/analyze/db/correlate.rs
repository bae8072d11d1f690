//! Which stun explains which database event, and which snapshots were
//! taken inside a freeze.
//!
//! Pure functions over plain inputs: the caller describes its stuns, its
//! snapshot-create clusters and its VMs with the small types below, so
//! this works whatever shape the VMware analysis takes.
//!
//! **Explaining an event.** A stun's pause runs from `time − stun_us` to
//! `time` (vmware.log writes the `Unstun` line when the VM resumes). A
//! mirror takes over at most about 2 × Q after the primary stops answering
//! (Q/2 of silence, a ping, Q/2 more, then the arbiter's word), so a
//! takeover or mirror warning at T is explained by the latest `risk` or
//! `failover` stun whose pause began between `T − (2 × Q + 60 s)` and T,
//! on any VM except the logging member's own: the stun that makes a
//! backup take over is the old primary's, and the minute of slack covers
//! guest and host clocks that disagree.
//!
//! **In a freeze.** A snapshot-create stun is `in_freeze` when its pause
//! lies within a freeze window of its VM, give or take a second (guest and
//! host clocks differ, and `date` has whole seconds); `false` when a
//! database log of that VM covers the time but no window holds the pause;
//! unknown otherwise.

use super::freeze::FreezeWindow;
use super::set::DbSet;
use crate::dblog::{DbEvent, DbLog};
use crate::qos::Verdict;
use crate::time::EpochMs;

/// Slack beyond 2 × Q when looking back from an event for its stun.
pub const LOOKBACK_SLACK_US: i128 = 60_000_000;
/// Tolerance either side of a freeze window.
pub const FREEZE_TOLERANCE_US: i128 = 1_000_000;

/// A stun, as far as correlation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunRef {
    pub host: String,
    pub vm: String,
    /// The VM directory's name (`db1` of `vmfs/volumes/ds1/db1/`).
    pub dir_name: String,
    /// When the VM resumed (the `Unstun` line's time).
    pub time_ms: EpochMs,
    pub stun_us: u64,
    pub verdict: Verdict,
}

/// A snapshot-create cluster: its first stun is the snapshot's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRef {
    pub cluster_id: u64,
    pub vm: String,
    pub dir_name: String,
    pub first_stun_time_ms: EpochMs,
    pub first_stun_us: u64,
}

/// A quiesce of a VM for a snapshot (VMware Tools freezing the guest's
/// file systems, as its vmware.log shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuiesceRef {
    /// The create cluster whose stun followed, if one did.
    pub cluster_id: Option<u64>,
    pub vm: String,
    pub dir_name: String,
    pub start_ms: EpochMs,
    /// `None`: the log ends before the quiesce does.
    pub end_ms: Option<EpochMs>,
}

/// The quiesce a freeze window sat in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InQuiesce {
    /// Index into the quiesces given.
    pub quiesce: usize,
    /// How long the database stayed frozen after the quiesce ended, when
    /// that is more than the tolerance: the thaw came late.
    pub outlasted_ms: Option<i64>,
}

/// A VM of the report, to tell which member names which VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmRef {
    pub vm: String,
    pub dir_name: String,
}

/// The stun that explains an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explained {
    /// Index into the `stuns` given.
    pub stun: usize,
    /// Event time minus the start of the stun's pause, truncated.
    pub lag_ms: i64,
}

/// A create cluster against the freeze windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FreezeCheck {
    /// `Some(true)` inside a window, `Some(false)` outside every window
    /// while a database log of the VM covers the time, `None` unknown.
    pub in_freeze: Option<bool>,
    /// How far the nearest window would have to stretch to hold the whole
    /// pause: 0 inside, negative when the pause began before the freeze,
    /// positive when it ended after the thaw. `None` without a window.
    pub freeze_offset_ms: Option<i64>,
    /// Index of that window.
    pub window: Option<usize>,
}

/// Create clusters listed per freeze window (parallel to the windows).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowReport {
    /// Cluster ids of the creates this window holds.
    pub inside: Vec<u64>,
    /// Cluster ids of creates outside every window, listed at the nearest.
    pub outside: Vec<u64>,
}

/// Everything correlation says, parallel to its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Correlation {
    /// Per database event; `None` for kinds that are never explained and
    /// for "no stun explains it".
    pub explained: Vec<Option<Explained>>,
    /// Per create cluster.
    pub in_freeze: Vec<FreezeCheck>,
    /// Per freeze window.
    pub windows: Vec<WindowReport>,
}

/// Whether a member's name is a VM's: its displayName or its directory's
/// name, ignoring case.
pub fn names_vm(member: &str, vm: &str, dir_name: &str) -> bool {
    let m = member.trim();
    !m.is_empty() && (m.eq_ignore_ascii_case(vm) || m.eq_ignore_ascii_case(dir_name))
}

/// Whether a member's windows and coverage apply to a VM: the member names
/// that VM, or names none of the report's VMs (then it applies to all).
pub fn applies(member: &str, vm: &str, dir_name: &str, vms: &[VmRef]) -> bool {
    names_vm(member, vm, dir_name) || !vms.iter().any(|v| names_vm(member, &v.vm, &v.dir_name))
}

fn pause_us(time_ms: EpochMs, stun_us: u64) -> (i128, i128) {
    let end = i128::from(time_ms) * 1000;
    (end - i128::from(stun_us), end)
}

/// The stun that explains one event (see the module docs), if any. Only
/// `takeover` and `mirror` events are ever explained.
pub fn explain(event: &DbEvent, stuns: &[StunRef], qos_us: u64) -> Option<Explained> {
    explain_among(event, stuns, 0..stuns.len(), qos_us)
}

/// [`explain`] among the stuns at `candidates` (indices into `stuns`).
fn explain_among(
    event: &DbEvent,
    stuns: &[StunRef],
    candidates: impl IntoIterator<Item = usize>,
    qos_us: u64,
) -> Option<Explained> {
    if !event.kind.is_correlated() {
        return None;
    }
    let t = i128::from(event.time_ms) * 1000;
    let earliest = t - 2 * i128::from(qos_us) - LOOKBACK_SLACK_US;
    let (i, start) = candidates
        .into_iter()
        .filter_map(|i| Some((i, stuns.get(i)?)))
        .filter(|(_, s)| s.verdict >= Verdict::Risk)
        .filter(|(_, s)| !names_vm(&event.member, &s.vm, &s.dir_name))
        .map(|(i, s)| (i, pause_us(s.time_ms, s.stun_us).0))
        .filter(|&(_, start)| earliest <= start && start <= t)
        .max_by_key(|&(i, _)| (stuns[i].time_ms, stuns[i].stun_us, std::cmp::Reverse(i)))?;
    let lag_ms = i64::try_from((t - start) / 1000).unwrap_or(i64::MAX);
    Some(Explained { stun: i, lag_ms })
}

/// Whether a create cluster's stun fell inside a freeze window of its VM.
pub fn in_freeze(
    create: &CreateRef,
    windows: &[FreezeWindow],
    logs: &[DbLog],
    vms: &[VmRef],
) -> FreezeCheck {
    let (p0, p1) = pause_us(create.first_stun_time_ms, create.first_stun_us);
    let nearest = windows
        .iter()
        .enumerate()
        .filter(|(_, w)| applies(&w.member, &create.vm, &create.dir_name, vms))
        .map(|(i, w)| (i, stretch_us(w, p0, p1)))
        .min_by_key(|&(i, off)| (off.abs(), i));
    if let Some((i, off)) = nearest
        && off.abs() <= FREEZE_TOLERANCE_US
    {
        return check(Some(true), Some((i, off)));
    }
    let covered = logs.iter().any(|l| {
        applies(&l.member, &create.vm, &create.dir_name, vms) && l.covers(create.first_stun_time_ms)
    });
    if covered {
        check(Some(false), nearest)
    } else {
        FreezeCheck::default()
    }
}

/// The quiesce a freeze window sat in: one of a VM the window applies to
/// that overlaps it, give or take [`FREEZE_TOLERANCE_US`] (the guest's
/// clock writes the freeze, the host's the quiesce); of several, the one
/// it overlaps most. A freeze script runs inside the quiesce (VMware Tools
/// calls it before the snapshot and its thaw after), so a freeze with no
/// quiesce around it was not the snapshot's, or the VM logs of that time
/// are missing.
pub fn in_quiesce(w: &FreezeWindow, quiesces: &[QuiesceRef], vms: &[VmRef]) -> Option<InQuiesce> {
    let tol = FREEZE_TOLERANCE_US / 1000;
    let (f0, f1) = (
        i128::from(w.start_ms),
        i128::from(w.end_ms.unwrap_or(w.reach_ms)),
    );
    let (i, q, _) = quiesces
        .iter()
        .enumerate()
        .filter(|(_, q)| applies(&w.member, &q.vm, &q.dir_name, vms))
        .filter_map(|(i, q)| {
            let q0 = i128::from(q.start_ms);
            let q1 = q.end_ms.map_or(i128::MAX / 4, i128::from);
            let overlap = f1.min(q1 + tol) - f0.max(q0 - tol);
            (overlap >= 0).then_some((i, q, overlap))
        })
        .max_by_key(|&(i, _, overlap)| (overlap, std::cmp::Reverse(i)))?;
    let outlasted_ms = match (w.end_ms, q.end_ms) {
        (Some(thaw), Some(end)) if i128::from(thaw) - i128::from(end) > tol => Some(thaw - end),
        _ => None,
    };
    Some(InQuiesce {
        quiesce: i,
        outlasted_ms,
    })
}

/// How far window `w` would have to stretch to hold the pause `p0..p1`
/// (µs, signed as [`FreezeCheck::freeze_offset_ms`]).
fn stretch_us(w: &FreezeWindow, p0: i128, p1: i128) -> i128 {
    let before = (i128::from(w.start_ms) * 1000 - p0).max(0);
    let after = (p1 - i128::from(w.reach_ms) * 1000).max(0);
    if after > before { after } else { -before }
}

fn check(in_freeze: Option<bool>, nearest: Option<(usize, i128)>) -> FreezeCheck {
    FreezeCheck {
        in_freeze,
        freeze_offset_ms: nearest.map(|(_, off)| i64::try_from(off / 1000).unwrap_or(i64::MAX)),
        window: nearest.map(|(i, _)| i),
    }
}

/// All of it at once: each event's explaining stun, each create's freeze
/// check, and each window's creates inside and outside.
pub fn correlate(
    db: &DbSet,
    stuns: &[StunRef],
    creates: &[CreateRef],
    vms: &[VmRef],
    qos_us: u64,
) -> Correlation {
    // Risky stuns are few: look among them only.
    let risky: Vec<usize> = (0..stuns.len())
        .filter(|&i| stuns[i].verdict >= Verdict::Risk)
        .collect();
    let explained = db
        .events
        .iter()
        .map(|e| explain_among(e, stuns, risky.iter().copied(), qos_us))
        .collect();
    let in_freeze: Vec<FreezeCheck> = creates
        .iter()
        .map(|c| in_freeze(c, &db.windows, &db.logs, vms))
        .collect();
    let mut windows = vec![WindowReport::default(); db.windows.len()];
    for (c, f) in creates.iter().zip(&in_freeze) {
        let (Some(w), Some(inside)) = (f.window, f.in_freeze) else {
            continue;
        };
        let list = if inside {
            &mut windows[w].inside
        } else {
            &mut windows[w].outside
        };
        list.push(c.cluster_id);
    }
    Correlation {
        explained,
        in_freeze,
        windows,
    }
}

#[cfg(test)]
mod tests;
