//! The database's record as the renderers read it.

use std::collections::BTreeMap;

use super::correlate::FreezeCheck;
use super::freeze::FreezeWindow;
use crate::dblog::{DbError, DbEvent, DbKind, DbNote, Shared};
use crate::qos::Verdict;
use crate::time::EpochMs;

/// The stun that explains a database event, as the report shows it. A
/// large log has an entry (mostly `None`) per event: its names are shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainedBy {
    pub host: Shared,
    pub vm: Shared,
    pub time_ms: EpochMs,
    pub stun_us: u64,
    pub verdict: Verdict,
    /// Event time minus the start of the stun's pause.
    pub lag_ms: i64,
}

/// A freeze window with the create clusters inside and outside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    pub window: FreezeWindow,
    pub inside: Vec<u64>,
    pub outside: Vec<u64>,
    /// The create cluster whose quiesce the freeze sat in.
    pub quiesce_cluster: Option<u64>,
    /// The freeze sat in a quiesce with no create stun after it.
    pub in_quiesce: bool,
    /// How long the database stayed frozen after that quiesce ended (more
    /// than the tolerance).
    pub outlasted_ms: Option<i64>,
    /// The VMs the freeze speaks for have a quiesce within an hour of it,
    /// none around it.
    pub outside_quiesce: bool,
}

/// Everything the renderers need about the database's record.
#[derive(Debug, Clone, Default)]
pub struct DbReport {
    /// Database logs read.
    pub logs: usize,
    /// Every database event, in time order.
    pub events: Vec<DbEvent>,
    /// Parallel to `events`: the explaining stun of a `takeover` or
    /// `mirror` event, `None` when no stun explains it (and for other
    /// kinds).
    pub explained: Vec<Option<ExplainedBy>>,
    pub freezes: Vec<Freeze>,
    /// Create cluster id → its freeze check.
    pub in_freeze: BTreeMap<u64, FreezeCheck>,
    /// The logs' notes and errors, for the report's own lists.
    pub notes: Vec<DbNote>,
    pub errors: Vec<DbError>,
}

impl DbReport {
    pub fn is_empty(&self) -> bool {
        self.logs == 0
    }

    /// Events that a stun may explain (`takeover`, `mirror`) with their
    /// explanation.
    pub fn correlated(&self) -> impl Iterator<Item = (&DbEvent, Option<&ExplainedBy>)> {
        self.events
            .iter()
            .zip(&self.explained)
            .filter(|(e, _)| e.kind.is_correlated())
            .map(|(e, x)| (e, x.as_ref()))
    }

    /// The events the report lists, with their explanation: those a stun
    /// may explain and the failures (a freeze or thaw that failed); with
    /// `all`, every event but the freezes and thaws that make the freeze
    /// windows (the database's record alone, with no stun to link).
    pub fn listed(&self, all: bool) -> impl Iterator<Item = (&DbEvent, Option<&ExplainedBy>)> {
        self.events
            .iter()
            .zip(&self.explained)
            .filter(move |(e, _)| {
                if all {
                    !matches!(e.kind, DbKind::Freeze | DbKind::Thaw)
                } else {
                    e.kind.is_correlated() || e.kind.is_failure()
                }
            })
            .map(|(e, x)| (e, x.as_ref()))
    }

    /// The freeze whose quiesce was create cluster `id`'s.
    pub fn freeze_of_quiesce(&self, id: u64) -> Option<&Freeze> {
        self.freezes.iter().find(|f| f.quiesce_cluster == Some(id))
    }

    /// The first takeover and what explains it, preferring one that a
    /// stun explains: the headline of the report.
    pub fn headline(&self) -> Option<(&DbEvent, Option<&ExplainedBy>)> {
        let takeovers = || {
            self.correlated()
                .filter(|(e, _)| e.kind == DbKind::Takeover)
        };
        takeovers()
            .find(|(_, x)| x.is_some())
            .or_else(|| takeovers().next())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_explanation_is_small() {
        // A large log has one per event, mostly `None`.
        assert_eq!(std::mem::size_of::<Option<super::ExplainedBy>>(), 48);
    }
}
