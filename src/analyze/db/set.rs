//! All database logs of a run as one record: their events in time order
//! and their freeze windows.

use super::freeze::{FreezeWindow, freeze_windows};
use crate::dblog::{DbError, DbEvent, DbLog, DbNote};

/// All database logs of a run, with their events in time order and their
/// freeze windows.
#[derive(Debug, Clone, Default)]
pub struct DbSet {
    /// The logs, for what they cover; their events are in `events`.
    pub logs: Vec<DbLog>,
    /// Every log's events, sorted by time (then source and line).
    pub events: Vec<DbEvent>,
    pub windows: Vec<FreezeWindow>,
    /// The logs' notes and errors, and the windows' notes.
    pub notes: Vec<DbNote>,
    pub errors: Vec<DbError>,
}

impl DbSet {
    /// Gathers the logs; their events, notes and errors move to the set's
    /// own lists (a large log's events are held once, not twice).
    pub fn new(mut logs: Vec<DbLog>) -> DbSet {
        let (windows, window_notes) = freeze_windows(&logs);
        // The largest log's vector becomes the set's and the others' events
        // move into it in log order (the sort below is stable), each log's
        // buffer freed at once: `append` would keep every buffer beside the
        // set's, twice the memory of a large log.
        let total: usize = logs.iter().map(|l| l.events.len()).sum();
        let largest = (0..logs.len())
            .max_by_key(|&i| logs[i].events.len())
            .unwrap_or(0);
        let mut events: Vec<DbEvent> = logs
            .get_mut(largest)
            .map_or_else(Vec::new, |l| std::mem::take(&mut l.events));
        events.reserve_exact(total - events.len());
        let before: Vec<DbEvent> = logs[..largest]
            .iter_mut()
            .flat_map(|l| std::mem::take(&mut l.events))
            .collect();
        events.splice(0..0, before);
        let mut notes: Vec<DbNote> = Vec::new();
        let mut errors: Vec<DbError> = Vec::new();
        for (i, l) in logs.iter_mut().enumerate() {
            if i > largest {
                events.extend(std::mem::take(&mut l.events));
            }
            notes.append(&mut l.notes);
            errors.append(&mut l.errors);
        }
        events.sort_by(|a, b| (a.time_ms, &a.source, a.line).cmp(&(b.time_ms, &b.source, b.line)));
        notes.extend(window_notes);
        DbSet {
            logs,
            events,
            windows,
            notes,
            errors,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dblog::DbKind;

    fn log(kind: DbKind, n: usize) -> DbLog {
        let event = DbEvent {
            time_ms: 1000,
            kind,
            member: "db1".into(),
            text: String::new(),
            source: "same".into(),
            line: 7,
            instance: None,
            restarted: false,
        };
        DbLog {
            events: vec![event; n],
            ..DbLog::default()
        }
    }

    #[test]
    fn events_that_tie_keep_the_order_of_their_logs() {
        // The largest log's vector is reused; ties still come in log order.
        let set = DbSet::new(vec![
            log(DbKind::Freeze, 1),
            log(DbKind::Thaw, 3),
            log(DbKind::Mirror, 2),
        ]);
        let kinds: Vec<DbKind> = set.events.iter().map(|e| e.kind).collect();
        use DbKind::*;
        assert_eq!(kinds, [Freeze, Thaw, Thaw, Thaw, Mirror, Mirror]);
        assert!(set.logs.iter().all(|l| l.events.is_empty()));
    }
}
