//! What the analysis hands to the renderers: VMs, hosts, clusters, backup
//! windows and events, with the notes and errors met on the way.

use serde::{Serialize, Serializer};

use crate::escape::{Name, Part};
use crate::input::{InputSummary, Notice};
use crate::qos::{Qos, Verdict};
use crate::time::EpochMs;
use crate::zone::format_rfc3339_ms;

/// What a cluster of stuns was: the one list of kinds every renderer
/// reads. (Storage vMotion has no kind: no real log line tells it apart.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Snapshot create.
    Create,
    /// Snapshot remove or consolidate.
    Consolidate,
    /// Revert to a snapshot.
    Revert,
    /// vMotion (either side).
    Vmotion,
    /// CPU/memory hot-add or device hot-add/remove: an internal stun.
    Hotplug,
    /// VM reset or guest reboot.
    Reset,
    /// Resume from suspend.
    Resume,
    Unknown,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Consolidate => "consolidate",
            Kind::Revert => "revert",
            Kind::Vmotion => "vmotion",
            Kind::Hotplug => "hotplug",
            Kind::Reset => "reset",
            Kind::Resume => "resume",
            Kind::Unknown => "unknown",
        }
    }

    /// The kind as the human formats write it: `create?` when guessed.
    pub fn label(self, source: KindSource) -> String {
        match source {
            KindSource::Heuristic => format!("{}?", self.as_str()),
            _ => self.as_str().to_owned(),
        }
    }
}

/// How a cluster's kind was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KindSource {
    /// A marker line in the log said so (the evidence).
    Marker,
    /// Guessed from the pattern of the stuns, in a source that holds
    /// nothing but stun lines.
    Heuristic,
    /// Nothing decided it: the log holds other lines, but no marker for
    /// this stun (`unknown`; the evidence is the line logged before it).
    None,
}

/// The log line that decided a cluster's kind (or, for an `unknown`
/// cluster, the last line before its first stun).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub source: Name,
    pub line: u64,
    /// The line's message, escaped.
    pub text: Name,
}

fn ser_time<S: Serializer>(ms: &EpochMs, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_rfc3339_ms(*ms))
}

fn ser_opt_time<S: Serializer>(ms: &Option<EpochMs>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&format_rfc3339_ms(*ms)),
        None => s.serialize_none(),
    }
}

/// How a quiesce attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuiesceOutcome {
    /// Back to `IDLE` with no error.
    Done,
    /// An error state or an error message.
    Error,
    /// `[msg.snapshot.quiesce.timeout]`.
    Timeout,
    /// The log ends before the quiesce does.
    Open,
}

impl QuiesceOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            QuiesceOutcome::Done => "done",
            QuiesceOutcome::Error => "error",
            QuiesceOutcome::Timeout => "timeout",
            QuiesceOutcome::Open => "open",
        }
    }

    /// An attempt that did not end well: a note, and shown in every
    /// human format.
    pub fn failed(self) -> bool {
        matches!(self, QuiesceOutcome::Error | QuiesceOutcome::Timeout)
    }
}

/// One quiesce attempt: VMware Tools freezing the guest for a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Quiesce {
    pub host: Name,
    pub vm: Name,
    pub snapshot: Option<Name>,
    #[serde(serialize_with = "ser_time")]
    pub start: EpochMs,
    #[serde(serialize_with = "ser_opt_time")]
    pub end: Option<EpochMs>,
    /// `end - start`; None while open.
    pub ms: Option<i64>,
    pub outcome: QuiesceOutcome,
    /// The create cluster whose stun followed; None when none did.
    pub cluster: Option<u64>,
    /// The snapshot was then taken without quiescing (the time its begin
    /// marker was logged).
    #[serde(skip)]
    pub fell_back_at: Option<EpochMs>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmReport {
    pub host: Name,
    pub vm: Name,
    pub dir: Part,
    /// The product its log's banner names (`ESX 6.7.0`, `Workstation
    /// 25.0.0`), when a log begins with one.
    pub product: Option<Name>,
    pub events: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub total_us: u64,
    pub risk: u64,
    pub failover: u64,
    /// None when the VM had no stun.
    pub recommended_qos_s: Option<u64>,
}

/// One row per host.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    pub host: Name,
    pub vms: u64,
    pub events: u64,
    pub max_us: u64,
    pub risk: u64,
    pub failover: u64,
    pub recommended_qos_s: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub id: u64,
    pub host: Name,
    pub vm: Name,
    pub kind: Kind,
    pub kind_source: KindSource,
    /// The line that decided the kind; None for a guessed kind.
    pub evidence: Option<Evidence>,
    pub snapshot: Option<Name>,
    pub quiesced: Option<bool>,
    /// A create cluster's quiesce (None when the snapshot was not quiesced
    /// or the log says nothing). Boxed: most clusters have none, and a
    /// cluster is kept for every operation of every VM.
    pub quiesce: Option<Box<Quiesce>>,
    #[serde(serialize_with = "ser_time")]
    pub start: EpochMs,
    #[serde(serialize_with = "ser_time")]
    pub end: EpochMs,
    pub events: u64,
    pub max_us: u64,
    pub total_us: u64,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub host: Name,
    pub vm: Name,
    pub snapshot: Option<Name>,
    pub create_cluster: u64,
    pub consolidate_cluster: u64,
    #[serde(serialize_with = "ser_time")]
    pub created: EpochMs,
    #[serde(serialize_with = "ser_time")]
    pub consolidated: EpochMs,
    pub lifetime_s: f64,
    pub max_us: u64,
    pub verdict: Verdict,
    /// Made of guessed kinds (a source of stun lines only).
    pub guessed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(serialize_with = "ser_time")]
    pub time: EpochMs,
    pub approx_time: bool,
    pub stun_us: u64,
    pub verdict: Verdict,
    pub host: Name,
    pub vm: Name,
    pub cluster: u64,
    pub kind: Kind,
    pub source: Name,
    pub line: u64,
    /// The original line, escaped (for the `raw` format).
    #[serde(skip)]
    pub text: Name,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub events: u64,
    pub vms: u64,
    pub max_us: u64,
    pub risk: u64,
    pub failover: u64,
    pub recommended_qos_s: Option<u64>,
    pub skipped_stun_lines: u64,
}

/// The whole analysis, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    pub qos: Qos,
    pub inputs: Vec<InputSummary>,
    pub errors: Vec<Notice>,
    pub notes: Vec<Notice>,
    pub hosts: Vec<HostReport>,
    pub vms: Vec<VmReport>,
    pub clusters: Vec<Cluster>,
    pub windows: Vec<Window>,
    /// Every quiesce attempt in scope, in VM then time order.
    pub quiesces: Vec<Quiesce>,
    /// Every event in scope, in VM then time order.
    pub events: Vec<Event>,
    pub summary: Summary,
    pub min_us: u64,
    /// The database's own record, correlated (empty without database logs).
    pub db: super::db::DbReport,
    /// Database logs were given and no VM log was asked for (no path, and
    /// nothing on standard input): the report is the database's record
    /// alone.
    pub db_alone: bool,
}

impl Report {
    /// The events to list (`--min` applied).
    pub fn listed(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(move |e| e.stun_us >= self.min_us)
    }

    /// Only the database's record: see [`Report::db_alone`].
    pub fn db_only(&self) -> bool {
        self.db_alone && !self.db.is_empty()
    }

    /// The highest verdict of any event in scope.
    pub fn worst(&self) -> Option<Verdict> {
        self.events.iter().map(|e| e.verdict).max()
    }
}
