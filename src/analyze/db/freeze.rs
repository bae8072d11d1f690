//! Freeze windows: from `ExternalFreeze` (or `IS FROZEN`) to the
//! `ExternalThaw` (or `IS THAWED`) that follows it in the same file.
//!
//! A snapshot is application-consistent only if its stun fell while the
//! database's writes were suspended. One freeze shows up in up to three
//! files of a member (`messages.log`, `$LOGFILE`, `$SNAPLOG`), each with
//! its own precision, so the windows of one member that overlap are merged
//! into one.

use std::collections::BTreeMap;

use crate::dblog::{DbKind, DbLog, DbNote};
use crate::time::EpochMs;

/// How a freeze ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FreezeOutcome {
    /// The log ends (or the file was cut) before a thaw.
    Open,
    /// The instance started again with no thaw: the log of a VM restored
    /// from a backup taken while the database was frozen — the normal life
    /// of an external backup's restore, not a failed thaw.
    Restored,
    /// A thaw followed.
    Thawed,
}

impl FreezeOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            FreezeOutcome::Open => "open",
            FreezeOutcome::Restored => "restored",
            FreezeOutcome::Thawed => "thawed",
        }
    }
}

/// Database writes suspended from `start_ms` to `end_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezeWindow {
    pub member: String,
    pub start_ms: EpochMs,
    /// `None`: the freeze has no thaw in its log.
    pub end_ms: Option<EpochMs>,
    /// How far the window is known to reach: its end, or for a freeze
    /// without a thaw, the last entry of its log (nothing is known after).
    pub reach_ms: EpochMs,
    /// The logs it was seen in, first one first.
    pub sources: Vec<String>,
    /// Line of the freeze in the first source.
    pub line: u64,
    pub outcome: FreezeOutcome,
}

impl FreezeWindow {
    pub fn duration_ms(&self) -> Option<EpochMs> {
        self.end_ms.map(|e| e - self.start_ms)
    }
}

/// The freeze windows of all logs, merged per member and sorted by start,
/// and a note for each freeze that has no thaw.
pub fn freeze_windows(logs: &[DbLog]) -> (Vec<FreezeWindow>, Vec<DbNote>) {
    let mut windows = Vec::new();
    let mut notes = Vec::new();
    for log in logs {
        pair_in_log(log, &mut windows, &mut notes);
    }
    (merge(windows), notes)
}

/// Pairs freezes with thaws inside one log. Pairs are per member and
/// instance: a `$SNAPLOG` can freeze several instances one after another.
fn pair_in_log(log: &DbLog, out: &mut Vec<FreezeWindow>, notes: &mut Vec<DbNote>) {
    let mut open: BTreeMap<(&str, Option<&str>), (EpochMs, u64)> = BTreeMap::new();
    for e in &log.events {
        let key = (&*e.member, e.instance.as_deref());
        match e.kind {
            // The instance started again before any thaw: nothing after
            // the freeze in this log is of the frozen system.
            DbKind::Freeze if e.restarted => {
                let start = e.time_ms;
                let mut w = window(key.0, start, None, start, &log.source, e.line);
                w.outcome = FreezeOutcome::Restored;
                out.push(w);
                notes.push(DbNote {
                    source: log.source.clone(),
                    message: format!(
                        "the freeze at line {} is followed by the instance starting, with no \
                         thaw: restored from a backup taken while frozen",
                        e.line
                    ),
                });
            }
            DbKind::Freeze => {
                open.entry(key).or_insert((e.time_ms, e.line));
            }
            DbKind::Thaw => {
                if let Some((start, line)) = open.remove(&key) {
                    let end = e.time_ms.max(start);
                    let mut w = window(key.0, start, Some(end), end, &log.source, line);
                    w.outcome = FreezeOutcome::Thawed;
                    out.push(w);
                }
            }
            _ => {}
        }
    }
    for ((member, _), (start, line)) in open {
        let reach = log.last_ms.unwrap_or(start).max(start);
        out.push(window(member, start, None, reach, &log.source, line));
        notes.push(DbNote {
            source: log.source.clone(),
            message: format!(
                "the freeze at line {line} has no thaw in this log: its window has no end \
                 (was the log cut short, or did the thaw fail?)"
            ),
        });
    }
}

fn window(
    member: &str,
    start_ms: EpochMs,
    end_ms: Option<EpochMs>,
    reach_ms: EpochMs,
    source: &str,
    line: u64,
) -> FreezeWindow {
    FreezeWindow {
        member: member.to_owned(),
        start_ms,
        end_ms,
        reach_ms,
        sources: vec![source.to_owned()],
        line,
        outcome: FreezeOutcome::Open,
    }
}

/// Merges overlapping windows of one member; a known end wins over none.
fn merge(mut windows: Vec<FreezeWindow>) -> Vec<FreezeWindow> {
    windows.sort_by(|a, b| (&a.member, a.start_ms).cmp(&(&b.member, b.start_ms)));
    let mut out: Vec<FreezeWindow> = Vec::with_capacity(windows.len());
    for w in windows {
        match out.last_mut() {
            Some(cur) if cur.member == w.member && w.start_ms <= cur.reach_ms => absorb(cur, w),
            _ => out.push(w),
        }
    }
    out.sort_by(|a, b| (a.start_ms, &a.member).cmp(&(b.start_ms, &b.member)));
    out
}

fn absorb(cur: &mut FreezeWindow, w: FreezeWindow) {
    cur.end_ms = match (cur.end_ms, w.end_ms) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    cur.reach_ms = cur.reach_ms.max(w.reach_ms);
    cur.outcome = cur.outcome.max(w.outcome);
    if let Some(end) = cur.end_ms {
        cur.reach_ms = cur.reach_ms.max(end);
    }
    for s in w.sources {
        if !cur.sources.contains(&s) {
            cur.sources.push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dblog::DbEvent;

    fn ev(kind: DbKind, t: EpochMs, line: u64, inst: Option<&str>) -> DbEvent {
        DbEvent {
            time_ms: t,
            kind,
            member: "db1".into(),
            text: String::new(),
            source: "s".into(),
            line,
            instance: inst.map(Into::into),
            restarted: false,
        }
    }

    fn log(source: &str, events: Vec<DbEvent>) -> DbLog {
        let last = events.iter().map(|e| e.time_ms).max();
        DbLog {
            source: source.into(),
            member: "db1".into(),
            first_ms: events.iter().map(|e| e.time_ms).min(),
            last_ms: last.map(|l| l + 5000),
            events,
            ..DbLog::default()
        }
    }

    #[test]
    fn freeze_then_thaw() {
        let l = log(
            "a",
            vec![
                ev(DbKind::Freeze, 1000, 3, None),
                ev(DbKind::Thaw, 7000, 9, None),
            ],
        );
        let (w, notes) = freeze_windows(&[l]);
        assert!(notes.is_empty());
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].start_ms, w[0].end_ms, w[0].line),
            (1000, Some(7000), 3)
        );
        assert_eq!(w[0].duration_ms(), Some(6000));
    }

    #[test]
    fn overlapping_windows_of_one_member_merge() {
        let a = log(
            "logfile",
            vec![
                ev(DbKind::Freeze, 1000, 1, None),
                ev(DbKind::Thaw, 7000, 2, None),
            ],
        );
        let b = log(
            "snaplog",
            vec![
                ev(DbKind::Freeze, 999, 1, Some("I")),
                ev(DbKind::Thaw, 7500, 2, Some("I")),
            ],
        );
        let c = log(
            "later",
            vec![
                ev(DbKind::Freeze, 90_000, 1, None),
                ev(DbKind::Thaw, 95_000, 2, None),
            ],
        );
        let (w, _) = freeze_windows(&[a, b, c]);
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].start_ms, w[0].end_ms), (999, Some(7500)));
        assert_eq!(
            w[0].sources,
            vec!["snaplog".to_owned(), "logfile".to_owned()]
        );
        assert_eq!(w[1].start_ms, 90_000);
    }

    #[test]
    fn freeze_without_thaw_is_open_with_a_note() {
        let l = log("a", vec![ev(DbKind::Freeze, 1000, 4, None)]);
        let (w, notes) = freeze_windows(&[l]);
        assert_eq!(w[0].end_ms, None);
        assert_eq!(w[0].reach_ms, 6000);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("line 4"), "{}", notes[0].message);
    }

    #[test]
    fn open_window_takes_the_end_another_file_saw() {
        let a = log("a", vec![ev(DbKind::Freeze, 1000, 1, None)]);
        let b = log(
            "b",
            vec![
                ev(DbKind::Freeze, 1100, 1, None),
                ev(DbKind::Thaw, 4000, 2, None),
            ],
        );
        let (w, notes) = freeze_windows(&[a, b]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].end_ms, Some(4000));
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn instances_pair_separately_and_stray_thaws_are_ignored() {
        let l = log(
            "snap",
            vec![
                ev(DbKind::Thaw, 500, 1, Some("A")),
                ev(DbKind::Freeze, 1000, 2, Some("A")),
                ev(DbKind::Freeze, 1200, 3, Some("B")),
                ev(DbKind::Thaw, 3000, 4, Some("A")),
                ev(DbKind::Thaw, 3300, 5, Some("B")),
            ],
        );
        let (w, notes) = freeze_windows(&[l]);
        assert!(notes.is_empty());
        assert_eq!(w.len(), 1, "same member: merged");
        assert_eq!((w[0].start_ms, w[0].end_ms), (1000, Some(3300)));
    }
}
