//! Reading the database's own record: InterSystems IRIS / Caché logs and
//! the freeze script's logs, beside the VMware logs.
//!
//! A stun only matters because of what the database did, and only the
//! database's log says that: when a member became primary, when it lost
//! the arbiter, when the freeze script suspended and resumed writes. This
//! stage reads three formats (all in the guest's local time, without a
//! zone) into [`DbLog`]s of [`DbEvent`]s:
//!
//! - IRIS `messages.log` / Caché `cconsole.log`:
//!   `01/09/22-11:02:08:227 (684) 1 [Utility.Event] Becoming primary mirror server`;
//!   lines without that prefix continue the previous entry;
//! - the freeze script's `$LOGFILE` (`Backup.General.ExternalFreeze` output):
//!   `01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended`;
//! - the freeze script's `$SNAPLOG` (`date` output, then a message):
//!   `Wed Jan  4 16:30:35 EST 2017: H20152 IS FROZEN`.
//!
//! Reading only: pairing freezes with thaws and linking events to stuns is
//! analysis (`analyze::db`). Nothing here knows about VMs or stuns.

mod args;
pub mod classify;
pub mod container;
pub mod format;
pub mod lines;
pub mod read;

use std::fmt;
use std::ops::Deref;

use serde::{Serialize, Serializer};

use crate::escape::Name;
use crate::time::EpochMs;

pub use args::{DbArg, parse_db_log_arg, read_args};
pub use read::{ReadOptions, is_db_log_name, read, read_path};

/// What a database log entry says, as far as stuns are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DbKind {
    /// This member became primary: a failover (or a manual switch).
    Takeover,
    /// This member tried to become primary and could not
    /// (`AddVirtualAddress failed, cannot become primary: …`).
    TakeoverFailed,
    /// Became primary right after the instance started: a restart, not a
    /// failover, so never linked to a stun.
    PrimaryAtStartup,
    /// This member became the backup.
    Backup,
    /// A backup or async member connected to the primary.
    Connected,
    /// Any other warning or error about the mirror, the arbiter, a
    /// failover or the primary.
    Mirror,
    /// Database writes suspended (`ExternalFreeze`, `IS FROZEN`).
    Freeze,
    /// Database writes resumed (`ExternalThaw`, `IS THAWED`).
    Thaw,
    FreezeFailed,
    ThawFailed,
}

impl DbKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DbKind::Takeover => "takeover",
            DbKind::TakeoverFailed => "takeover_failed",
            DbKind::PrimaryAtStartup => "primary_at_startup",
            DbKind::Backup => "backup",
            DbKind::Connected => "connected",
            DbKind::Mirror => "mirror",
            DbKind::Freeze => "freeze",
            DbKind::Thaw => "thaw",
            DbKind::FreezeFailed => "freeze_failed",
            DbKind::ThawFailed => "thaw_failed",
        }
    }

    /// A freeze or a thaw that failed.
    pub fn is_failure(self) -> bool {
        matches!(self, DbKind::FreezeFailed | DbKind::ThawFailed)
    }

    /// Kinds that a stun can explain (a restart's own takeover cannot).
    pub fn is_correlated(self) -> bool {
        matches!(
            self,
            DbKind::Takeover | DbKind::TakeoverFailed | DbKind::Mirror
        )
    }
}

impl std::fmt::Display for DbKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that many events carry (their log's source, their member): one
/// allocation per log, shared by every event, a thin pointer (8 bytes) in
/// each. It reads as a `&str` (`Deref`), prints and serialises as one.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shared(Name);

impl Deref for Shared {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Shared {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl From<&str> for Shared {
    fn from(s: &str) -> Self {
        Shared(s.into())
    }
}

impl From<String> for Shared {
    fn from(s: String) -> Self {
        Shared(s.into())
    }
}

impl From<&Shared> for String {
    fn from(s: &Shared) -> Self {
        s.0.as_str().to_owned()
    }
}

impl PartialEq<str> for Shared {
    fn eq(&self, other: &str) -> bool {
        self.0.as_str() == other
    }
}

impl PartialEq<&str> for Shared {
    fn eq(&self, other: &&str) -> bool {
        self.0.as_str() == *other
    }
}

impl PartialEq<String> for Shared {
    fn eq(&self, other: &String) -> bool {
        self.0.as_str() == other.as_str()
    }
}

/// One database event, its time already in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbEvent {
    pub time_ms: EpochMs,
    pub kind: DbKind,
    /// The mirror member (or instance) that logged it: the `NAME` given
    /// with the log, else what the log itself says. Shared by the log's
    /// events.
    pub member: Shared,
    /// The entry's message, escaped for display (continuation lines joined
    /// with spaces, long messages shortened).
    pub text: String,
    /// The log it came from (path, or archive chain joined with `!`);
    /// shared by the log's events.
    pub source: Shared,
    /// 1-based line of the entry's first line.
    pub line: u64,
    /// For `$SNAPLOG` freezes and thaws, the instance the line names;
    /// freezes pair with thaws of the same instance.
    pub instance: Option<Shared>,
    /// For a freeze: the instance started again after it, in the same log,
    /// with no thaw between — the log of a VM restored from a backup taken
    /// while the database was frozen.
    pub restarted: bool,
}

/// What the user should know about a database log; never changes the exit
/// code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbNote {
    pub source: String,
    pub message: String,
}

/// A database log that could not be read (wholly or in part): the exit
/// code is 2, and what was read before the damage is still reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub source: String,
    pub message: String,
}

/// Which of the three formats an entry was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFormat {
    /// IRIS `messages.log` / Caché `cconsole.log`.
    Messages,
    /// The freeze script's `$LOGFILE` (`Backup.General` output).
    FreezeLog,
    /// The freeze script's `$SNAPLOG` (`date` output).
    SnapLog,
}

/// One database log, read.
#[derive(Debug, Clone, Default)]
pub struct DbLog {
    pub source: String,
    /// The `NAME` given with the log, else one the log's name implies
    /// (`<INST>-pre_post.log`), else the source.
    pub member: String,
    /// Whether `member` came from the user (`NAME=FILE`).
    pub named: bool,
    /// Timed entries read (continuation lines not counted).
    pub entries: u64,
    /// Earliest and latest entry: the span the log covers.
    pub first_ms: Option<EpochMs>,
    pub last_ms: Option<EpochMs>,
    pub events: Vec<DbEvent>,
    pub notes: Vec<DbNote>,
    pub errors: Vec<DbError>,
}

impl DbLog {
    /// Whether the log covers the instant `ms` (its first to last entry).
    pub fn covers(&self, ms: EpochMs) -> bool {
        matches!((self.first_ms, self.last_ms), (Some(a), Some(b)) if a <= ms && ms <= b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_event_is_small() {
        // A large log has hundreds of thousands: its names are thin shared
        // pointers, its text the only allocation of its own.
        assert_eq!(std::mem::size_of::<DbEvent>(), 72);
    }

    #[test]
    fn shared_names_read_as_str() {
        let s = Shared::from("db1");
        let owned = "db1".to_owned();
        assert!(s == "db1" && s == *"db1" && s == owned);
        assert_eq!(format!("{s} {s:?}"), "db1 \"db1\"");
        assert_eq!(String::from(&s), "db1");
        assert_eq!(serde_json::to_string(&s).expect("json"), "\"db1\"");
    }
}
