//! What a vmware.log message means: a stun, an operation marker, or what
//! the log says about its VM (name, host, product).
//!
//! The markers are data: [`MARKERS`] is one table of message prefixes, each
//! with what it means, read top to bottom, the first prefix that matches
//! deciding. Adding a marker is adding a row (and a real line it was seen
//! in, to `docs/kinds.md` and a fixture); a row that means
//! [`Means::Nothing`] pins a look-alike that must decide nothing, ahead of
//! the broader prefix it would otherwise match.

use super::header::{Header, trim, trim_end, trim_start};
use super::stun::stun_message;

/// How long a begin or step marker speaks for the stun that follows it:
/// older, it decides nothing unless its operation is still open.
pub const FRESH_MS: i64 = 3600 * 1000;
/// How long a consolidation stays open without its end marker.
pub const CONSOLIDATE_OPEN_MS: i64 = 24 * 3600 * 1000;

/// What a line means to stunscan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// `Checkpoint_Unstun: vm stopped for N us`.
    Stun(u64),
    /// The stun shape, but the number does not fit in a u64.
    StunOverflow,
    Op(OpMarker<'a>),
    DisplayName(&'a [u8]),
    Hostname(&'a [u8]),
    Product(&'a [u8]),
    /// A step of VMware Tools quiescing the guest for a snapshot.
    Quiesce(QuiesceLine<'a>),
}

/// What a quiesce line says. Only `IDLE` is known as a state name (the
/// quiesce's rest state); the others are read by shape, as public logs
/// show few of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuiesceLine<'a> {
    /// `ToolsBackup: changing quiesce state: <from> -> <to>`.
    State { from: &'a [u8], to: &'a [u8] },
    /// `[msg.snapshot.quiesce.<id>] <text>`: the snapshot's quiescing
    /// ended with this message (`timeout`, or an error).
    Message { id: &'a [u8] },
}

impl QuiesceLine<'_> {
    /// The state a quiesce rests in between snapshots.
    pub const IDLE: &'static [u8] = b"IDLE";

    /// Leaves `IDLE`: a quiesce begins.
    pub fn begins(&self) -> bool {
        matches!(self, QuiesceLine::State { from, to } if *from == Self::IDLE && *to != Self::IDLE)
    }

    /// Returns to `IDLE`, or a message that ends the quiescing.
    pub fn ends(&self) -> bool {
        match self {
            QuiesceLine::State { from, to } => *to == Self::IDLE && *from != Self::IDLE,
            QuiesceLine::Message { .. } => true,
        }
    }

    /// The timeout message.
    pub fn timed_out(&self) -> bool {
        matches!(self, QuiesceLine::Message { id } if *id == b"timeout")
    }

    /// An error state (its name holds `ERR`) or any other message.
    pub fn failed(&self) -> bool {
        let err = |s: &[u8]| memchr::memmem::find(s, b"ERR").is_some();
        match self {
            QuiesceLine::State { from, to } => err(from) || err(to),
            QuiesceLine::Message { .. } => !self.timed_out(),
        }
    }
}

/// The operation an operation marker belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Snapshot create.
    Create,
    /// Snapshot remove or consolidate.
    Consolidate,
    /// Revert to a snapshot (a Workstation power-on from a memory
    /// snapshot's `.vmsn`).
    Revert,
    /// vMotion, either side.
    Migrate,
    /// CPU or memory hot-add, device hot-add or hot-remove: an internal
    /// stun, not a snapshot and not a vMotion.
    Hotplug,
    /// VM reset, or a reboot of the guest.
    Reset,
    /// Resume from suspend (`.vmss`).
    Resume,
}

/// Where in its operation a marker is logged: only begin markers open an
/// operation, only end markers may decide a cluster logged before them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Begin,
    Step,
    End,
}

/// An operation marker: decides the kind of the stuns around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpMarker<'a> {
    pub kind: OpKind,
    pub phase: Phase,
    /// A bare `Migrate:` line: vMotion, unless a hot-plug is open (memory
    /// hot-add logs `Migrate: VM starting stun` too).
    pub generic: bool,
    pub snapshot: Option<&'a [u8]>,
    pub quiesced: Option<bool>,
}

/// What a row of [`MARKERS`] makes of a message that starts with its
/// literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Means {
    /// A marker of this operation, at this point of it.
    Op(OpKind, Phase),
    /// A marker whose operation depends on its neighbours (see
    /// [`OpMarker::generic`]).
    Generic(OpKind, Phase),
    /// `SnapshotVMX_TakeSnapshot start: '<name>', … quiesced=<0|1>`: a
    /// create begins, with its snapshot's name and quiescing.
    TakeSnapshotStart,
    /// `SnapshotVMXTakeSnapshotComplete: Done with snapshot '<name>'`.
    TakeSnapshotDone,
    /// `DICT <spaces> displayName = <value>`.
    DisplayName,
    /// `Hostname=<name>`.
    Hostname,
    /// `Log for VMware <product> pid=…`.
    Product,
    /// `ToolsBackup: changing quiesce state: <from> -> <to>`.
    QuiesceState,
    /// `[msg.snapshot.quiesce.<id>] …`.
    QuiesceMessage,
    /// A look-alike that decides nothing.
    Nothing,
}

/// One row of the marker table.
#[derive(Debug, Clone, Copy)]
pub struct Marker {
    /// The message starts with these bytes.
    pub literal: &'static [u8],
    /// And holds these later on (empty: no condition). For messages whose
    /// start is shared by many (`VigorTransportProcessClientPayload: opID=…
    /// seq=…: Receiving <request> request.` names every API call the VMX
    /// receives).
    pub contains: &'static [u8],
    pub means: Means,
}

const fn row(literal: &'static [u8], means: Means) -> Marker {
    Marker {
        literal,
        contains: b"",
        means,
    }
}

const fn row_with(literal: &'static [u8], contains: &'static [u8], means: Means) -> Marker {
    Marker {
        literal,
        contains,
        means,
    }
}

/// The start of every line of the configuration a log lists, the VM's
/// name among them.
pub const DICT: &[u8] = b"DICT ";

/// The prefix of every API request the VMX logs.
const VIGOR_REQUEST: &[u8] = b"VigorTransportProcessClientPayload: ";

impl Marker {
    fn matches(&self, msg: &[u8]) -> bool {
        // The first byte first: most rows differ there, and a comparison
        // call per row of the table cost a third of reading a marker line.
        msg.first() == self.literal.first()
            && msg.starts_with(self.literal)
            && (self.contains.is_empty()
                || memchr::memmem::find(&msg[self.literal.len()..], self.contains).is_some())
    }
}

use Means::*;
use OpKind::*;
use Phase::*;

/// Every message prefix that means something, first match wins. Where each
/// was seen in real logs is in `docs/kinds.md`; lines that many operations
/// write (`memoryHotplug: Node 0: Present …`, `CPU reset: hard`,
/// `Destroying virtual dev for scsi0:0`, `CPT: Restoring checkpoint`,
/// `DISKLIB-…`) match no row and decide nothing.
pub const MARKERS: &[Marker] = &[
    // Snapshot create.
    row(b"SnapshotVMX_TakeSnapshot start: ", TakeSnapshotStart),
    row(b"SnapshotVMXTakeSnapshotComplete:", TakeSnapshotDone),
    // Workstation 7 and older.
    row(b"SnapshotVMX done with ", TakeSnapshotDone),
    row(b"SnapshotVMXTakeSnapshotWork", Op(Create, Step)),
    row(b"SNAPSHOT: SnapshotPrepareTakeDoneCB", Op(Create, Step)),
    // Snapshot consolidate (delete).
    row(b"ConsolidateEnd", Op(Consolidate, End)),
    row(b"ConsolidateStart", Op(Consolidate, Begin)),
    row(b"Consolidate", Op(Consolidate, Step)),
    row(
        b"SnapshotVMXConsolidateOnlineCB: Done with consolidate",
        Op(Consolidate, End),
    ),
    row(b"SnapshotVMXConsolidate", Op(Consolidate, Step)),
    row(b"SnapshotVMX_Consolidate", Op(Consolidate, Step)),
    // vMotion, source and destination. `MigrateBusMemPrealloc` (every
    // power-on) matches no row.
    row(b"Migrate_Open", Op(Migrate, Begin)),
    row(b"Received migrate ", Op(Migrate, Begin)),
    row_with(
        VIGOR_REQUEST,
        b"Receiving Migrate.PrepareSource request",
        Op(Migrate, Begin),
    ),
    row(b"MigrateSetState", Op(Migrate, Step)),
    row(b"MigrateSetInfo", Op(Migrate, Step)),
    // Logged by vMotion and by a CPU or memory hot-add alike.
    row(b"Migrate:", Generic(Migrate, Step)),
    // Hot-plug: memory hot-add, device hot-remove, a device batch (a disk
    // attached).
    row(
        b"memoryHotplug: Change of memory size from",
        Op(Hotplug, Begin),
    ),
    row(b"Requesting hot-remove", Op(Hotplug, Begin)),
    row_with(
        VIGOR_REQUEST,
        b"Receiving HotPlugManager.BeginBatch request",
        Op(Hotplug, Begin),
    ),
    // VM reset (from the UI or the API) and guest reboot. Every one seen
    // logs `DEVICE: Resetting device 'ALL'.` just before its stun, after
    // the line that says who asked (the begin); a user's reset logs
    // `Vigor_Reset: Attaching to reset.` right after its request. Those
    // two are steps: they say a reset is under way, not who asked, and on
    // ESXi 6.7 a guest reboot logs the `DEVICE` line alone.
    row_with(
        VIGOR_REQUEST,
        b"Receiving PowerState.InitiateReset request",
        Op(Reset, Begin),
    ),
    row(b"VM reset requested", Op(Reset, Begin)),
    row(b"Vigor_Reset: Attaching to reset", Op(Reset, Step)),
    row(
        b"Chipset: The guest has requested that the virtual machine be hard reset",
        Op(Reset, Begin),
    ),
    row(b"DEVICE: Resetting device 'ALL'", Op(Reset, Step)),
    // Power-on from a memory snapshot (`.vmsn`: a revert) or from a
    // suspended state (`.vmss`: a resume).
    row_with(
        b"Resuming virtual machine from ",
        b".vmsn with ",
        Op(Revert, Begin),
    ),
    row_with(
        b"Resuming virtual machine from ",
        b".vmss with ",
        Op(Resume, Begin),
    ),
    // Quiescing the guest for a snapshot.
    row(b"ToolsBackup: changing quiesce state: ", QuiesceState),
    row(b"[msg.snapshot.quiesce.", QuiesceMessage),
    // What the log says about its VM.
    row(DICT, DisplayName),
    row(b"Hostname=", Hostname),
    row(b"Log for VMware ", Product),
];

/// Texts a line must hold, one of them at least, for a row of [`MARKERS`]
/// to match it: each row's literal and its `contains`. (A `DICT` row is
/// known by [`names_the_vm`] instead, and the product banner is read from
/// a log's head, never searched for.) The scan checks a needle it finds
/// against these before it parses the line, so a line that only happens
/// to hold a needle (`CPU reset: soft`, `UHCI: HCReset`) costs a
/// comparison, not a parse.
pub fn anchors() -> impl Iterator<Item = &'static [u8]> {
    MARKERS
        .iter()
        .filter(|m| !matches!(m.means, Product | DisplayName))
        .flat_map(|m| [m.literal, m.contains])
        .filter(|t| !t.is_empty())
}

/// Whether `line` holds a `DICT` entry whose key is the VM's name, in any
/// letter case: the one `DICT` line the scan parses (`DICT
/// snapshot.numRollingTiers` and `DICT pref.mruVM1.displayName` hold a
/// needle too, and mean nothing). Looser than [`display_name`], never
/// stricter: it looks at the key alone.
pub fn names_the_vm(line: &[u8]) -> bool {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new(DICT));
    finder.find_iter(line).any(|at| {
        let key = trim_start(&line[at + DICT.len()..]);
        key.get(..KEY.len())
            .is_some_and(|k| k.eq_ignore_ascii_case(KEY))
    })
}

impl<'a> Header<'a> {
    /// Classifies the line's message. Continuation lines mean nothing.
    pub fn message(&self) -> Option<Message<'a>> {
        self.meaning().map(|(m, _)| m)
    }

    /// The line's message and its text (from where the message starts, the
    /// `\r` and trailing blanks cut off): what a person reads as the
    /// evidence of a marker.
    pub fn meaning(&self) -> Option<(Message<'a>, &'a [u8])> {
        if self.continuation {
            return None;
        }
        let (first, second) = self.messages();
        let of = |m: &'a [u8]| classify(m).map(|c| (c, trim_end(m)));
        of(first).or_else(|| second.and_then(of))
    }
}

/// The rows whose literal starts with `byte`, in table order: a message
/// is compared with these few only (this runs on every line the scan
/// parses, twice for a line with an opid).
fn rows_starting_with(byte: u8) -> &'static [u8] {
    static BY_FIRST: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    let by_first = BY_FIRST.get_or_init(|| {
        let mut v = vec![Vec::new(); 256];
        for (i, m) in MARKERS.iter().enumerate() {
            if let (Some(&b), Ok(i)) = (m.literal.first(), u8::try_from(i)) {
                v[usize::from(b)].push(i);
            }
        }
        v
    });
    &by_first[usize::from(byte)]
}

/// Classifies a message that starts at `msg`.
pub fn classify(msg: &[u8]) -> Option<Message<'_>> {
    let msg = trim_end(msg);
    if msg.first() == Some(&b'C')
        && let Some(stun) = stun_message(msg)
    {
        return Some(stun);
    }
    let first = *msg.first()?;
    let marker = rows_starting_with(first)
        .iter()
        .map(|&i| &MARKERS[usize::from(i)])
        .find(|m| m.matches(msg))?;
    let tail = &msg[marker.literal.len()..];
    let op = |kind, phase, generic| {
        Some(Message::Op(OpMarker {
            kind,
            phase,
            generic,
            snapshot: None,
            quiesced: None,
        }))
    };
    match marker.means {
        Op(kind, phase) => op(kind, phase, false),
        Generic(kind, phase) => op(kind, phase, true),
        TakeSnapshotStart => Some(Message::Op(take_snapshot_start(tail))),
        TakeSnapshotDone => Some(Message::Op(take_snapshot_done(tail))),
        DisplayName => display_name(tail).map(Message::DisplayName),
        Hostname => {
            let name = trim(tail);
            (!name.is_empty()).then_some(Message::Hostname(name))
        }
        Product => {
            let end = memchr::memmem::find(tail, b" pid=")?;
            Some(Message::Product(&tail[..end]))
        }
        QuiesceState => {
            let at = memchr::memmem::find(tail, b" -> ")?;
            let (from, to) = (trim(&tail[..at]), trim(&tail[at + 4..]));
            let name = |s: &[u8]| !s.is_empty() && s.iter().all(|c| c.is_ascii_graphic());
            (name(from) && name(to)).then_some(Message::Quiesce(QuiesceLine::State { from, to }))
        }
        QuiesceMessage => {
            let end = memchr::memchr(b']', tail)?;
            let id = &tail[..end];
            let ok = !id.is_empty() && id.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_');
            ok.then_some(Message::Quiesce(QuiesceLine::Message { id }))
        }
        Nothing => None,
    }
}

/// `'<name>', … quiesced=<0|1>, …` after `SnapshotVMX_TakeSnapshot start: `.
fn take_snapshot_start(tail: &[u8]) -> OpMarker<'_> {
    let snapshot = tail.strip_prefix(b"'").map(|t| {
        let end = memchr::memmem::find(t, b"', ")
            .or_else(|| memchr::memrchr(b'\'', t))
            .unwrap_or(t.len());
        &t[..end]
    });
    let quiesced = memchr::memmem::find(tail, b"quiesced=").and_then(|i| match tail.get(i + 9) {
        Some(b'0') => Some(false),
        Some(b'1') => Some(true),
        _ => None,
    });
    OpMarker {
        kind: Create,
        phase: Begin,
        generic: false,
        snapshot,
        quiesced,
    }
}

/// `Done with snapshot '<name>': …` after `SnapshotVMXTakeSnapshotComplete:`.
fn take_snapshot_done(tail: &[u8]) -> OpMarker<'_> {
    let snapshot = memchr::memmem::find(tail, b"snapshot '").map(|i| {
        let t = &tail[i + 10..];
        &t[..memchr::memrchr(b'\'', t).unwrap_or(t.len())]
    });
    OpMarker {
        kind: Create,
        phase: End,
        generic: false,
        snapshot,
        quiesced: None,
    }
}

/// `<spaces> displayName = "<name>"` after `DICT ` (unquoted in old logs).
/// The key is the whole `displayName`, in any case, as the `.vmx` file's
/// keys are: Workstation logs write `displayname` when the `.vmx` spells it
/// so (seen in Workstation 14 and 16 logs on GitHub). `pref.mruVM0.displayName`
/// is another VM.
fn display_name(tail: &[u8]) -> Option<&[u8]> {
    let tail = trim_start(tail);
    let key = tail.get(..KEY.len())?;
    if !key.eq_ignore_ascii_case(KEY) {
        return None;
    }
    let tail = trim_start(&tail[KEY.len()..]).strip_prefix(b"=")?;
    let value = unquote(trim(tail));
    (!value.is_empty()).then_some(value)
}

/// The key of the VM's name, in the `.vmx` and in the log's `DICT` lines.
const KEY: &[u8] = b"displayName";

fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        v => v,
    }
}

/// The product and version a log's banner names (`Log for VMware
/// Workstation pid=15108 version=25.0.0 build=…` → `Workstation 25.0.0`),
/// with the banner's time, from the first lines of a log (its head: the
/// banner is the first line, after a byte-order mark or a junk line at
/// most, so the scan need not search for it).
pub fn product_in_head(head: &[u8]) -> Option<(super::LineTime, Vec<u8>)> {
    let head = super::header::strip_bom(head);
    head.split(|&c| c == b'\n').take(4).find_map(|line| {
        let h = super::parse_header(line)?;
        let (Message::Product(product), text) = h.meaning()? else {
            return None;
        };
        let version = memchr::memmem::find(text, b" version=").map(|at| {
            let v = &text[at + 9..];
            &v[..v.iter().position(|&c| c == b' ').unwrap_or(v.len())]
        });
        let mut out = product.to_vec();
        if let Some(v) = version.filter(|v| !v.is_empty()) {
            out.push(b' ');
            out.extend_from_slice(v);
        }
        Some((h.time, out))
    })
}

/// `displayName = "…"` in a `.vmx` file (keys are case-insensitive there).
pub fn vmx_display_name(line: &[u8]) -> Option<&[u8]> {
    let line = trim(line);
    let key = line.get(..KEY.len())?;
    if !key.eq_ignore_ascii_case(KEY) {
        return None;
    }
    let tail = trim_start(&line[KEY.len()..]).strip_prefix(b"=")?;
    let value = unquote(trim(tail));
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::super::header::parse_header;
    use super::*;

    fn msg(line: &str) -> Option<Message<'_>> {
        parse_header(line.as_bytes())?.message()
    }

    #[test]
    fn snapshot_markers_carry_name_and_quiescing() {
        let create = match msg(
            "2023-12-05T17:42:40.666Z In(05) vmx vim-cmd-09-a45d SnapshotVMX_TakeSnapshot start: 'nightly', deviceState=0, quiesced=1, x",
        ) {
            Some(Message::Op(m)) => m,
            m => panic!("{m:?}"),
        };
        assert_eq!(
            (create.kind, create.phase, create.snapshot, create.quiesced),
            (Create, Begin, Some(&b"nightly"[..]), Some(true))
        );
        let done = match msg(
            "2017-01-04T21:30:20.000Z| vmx| I125: SnapshotVMXTakeSnapshotComplete: Done with snapshot 'nightly': 1",
        ) {
            Some(Message::Op(m)) => m,
            m => panic!("{m:?}"),
        };
        assert_eq!(
            (done.kind, done.phase, done.snapshot),
            (Create, End, Some(&b"nightly"[..]))
        );
    }

    #[test]
    fn operation_markers() {
        // Message texts seen in real logs (docs/kinds.md says where).
        for (line, kind, phase, generic) in [
            ("ConsolidateStart: x", Consolidate, Begin, false),
            ("SnapshotVMX_Consolidate: x", Consolidate, Step, false),
            (
                "ConsolidateEnd: Snapshot consolidate complete: Cancelled (34).",
                Consolidate,
                End,
                false,
            ),
            (
                "SnapshotVMXConsolidateOnlineCB: Another iteration is needed.",
                Consolidate,
                Step,
                false,
            ),
            (
                "SnapshotVMXConsolidateOnlineCB: Done with consolidate",
                Consolidate,
                End,
                false,
            ),
            (
                "SnapshotVMXTakeSnapshotWork: Transition to mode 0.",
                Create,
                Step,
                false,
            ),
            (
                "SNAPSHOT: SnapshotPrepareTakeDoneCB: Prepare phase complete (The operation completed successfully).",
                Create,
                Step,
                false,
            ),
            (
                "Migrate_Open: Restoring from <10.0.0.2> with migration id 1446046703473901",
                Migrate,
                Begin,
                false,
            ),
            (
                "MigrateSetState: Transitioning from state 0 to 1.",
                Migrate,
                Step,
                false,
            ),
            (
                "Received migrate 'to' request for mid id 8743996508480001077, src ip <192.168.1.22>, dst ip <192.168.1.23>(invalidate source config).",
                Migrate,
                Begin,
                false,
            ),
            (
                "VigorTransportProcessClientPayload: opID=lgfd4abh-18745-auto-egq-h5:70005734-88-01-39-6b81 seq=10304: Receiving Migrate.PrepareSource request.",
                Migrate,
                Begin,
                false,
            ),
            (
                "Migrate: VM starting stun, waiting 100 seconds for go/no-go message.",
                Migrate,
                Step,
                true,
            ),
            ("Requesting hot-remove of 'usb'.", Hotplug, Begin, false),
            (
                "memoryHotplug: Change of memory size from 32768 to 65536 was requested",
                Hotplug,
                Begin,
                false,
            ),
            (
                "VigorTransportProcessClientPayload: opID=3ca02fa6-01-d-8704 seq=198939: Receiving HotPlugManager.BeginBatch request.",
                Hotplug,
                Begin,
                false,
            ),
            (
                "VigorTransportProcessClientPayload: opID=esxui-d993-7a21 seq=2203: Receiving PowerState.InitiateReset request.",
                Reset,
                Begin,
                false,
            ),
            (
                "VM reset requested: Attempting CPUs/Devices reset.",
                Reset,
                Begin,
                false,
            ),
            ("Vigor_Reset: Attaching to reset.", Reset, Step, false),
            (
                "Chipset: The guest has requested that the virtual machine be hard reset.",
                Reset,
                Begin,
                false,
            ),
            ("DEVICE: Resetting device 'ALL'.", Reset, Step, false),
            (
                "Resuming virtual machine from C:\\Users\\OFFICIAL\\Downloads\\konte-8b7525f0.vmss with 2048 MB of memory.",
                Resume,
                Begin,
                false,
            ),
            (
                "Resuming virtual machine from E:\\SAP\\sap\\SAP\\SAP-Snapshot2.vmsn with 2048 MB of memory.",
                Revert,
                Begin,
                false,
            ),
        ] {
            let full = format!("2017-01-04T21:30:20.000Z| vmx| I125: {line}");
            match msg(&full) {
                Some(Message::Op(m)) => {
                    assert_eq!(
                        (m.kind, m.phase, m.generic),
                        (kind, phase, generic),
                        "{line}"
                    )
                }
                m => panic!("{line}: {m:?}"),
            }
        }
    }

    #[test]
    fn look_alikes_mean_nothing() {
        // Lines every power-on, or many operations, write (real texts).
        for not_a_marker in [
            "Hotplug: Node 0: Present: 2047 MB (100 %) Size:32767 MB (100 %)",
            "memoryHotplug: Node 0: Present: 4095 MB (100 %) Size:4095 MB (100 %)",
            "memoryHotplug: Current size = 512M",
            "restoring MigrateState",
            "MigrateBusMemPrealloc: BusMem preallocation begins.",
            "CPT: vm was stunned for 38123 us",
            "CPU reset: hard (mode 0)",
            "CPU reset: soft (mode 2)",
            "Destroying virtual dev for scsi0:0 vscsi=8247",
            "CPT: Restoring checkpoint C:\\Users\\OFFICIAL\\Downloads\\konte-8b7525f0.vmss",
            "Chipset version: 0x13",
            "USB: Per-Device Resetting device 0x200000050e0f0003",
            "UHCI: HCReset",
            "VMXSTATS: Registering 29 stats: vmx.snapshotConsolidateTime",
            "Chipset: The guest has requested that the virtual machine be powered off.",
            "VigorTransportProcessClientPayload: opID=esxui-276a-6e90 seq=974: Receiving PowerState.InitiatePowerOff request.",
            "PIIX4: PM Resuming from suspend type 0x0",
        ] {
            let full = format!("2017-01-04T21:30:20.000Z| vmx| I125: {not_a_marker}");
            assert_eq!(msg(&full), None, "{not_a_marker}");
        }
        assert_eq!(
            msg(
                "2023-02-02T15:00:25.394Z In(05) vmx MigrateBusMemPrealloc: BusMem preallocation begins."
            ),
            None
        );
    }

    #[test]
    fn what_the_log_says_about_its_vm() {
        assert_eq!(
            msg("2024-01-29T15:56:49.259Z In(05) vmx Hostname=LAPTOP-25NBHP7S\r"),
            Some(Message::Hostname(b"LAPTOP-25NBHP7S"))
        );
        assert_eq!(
            msg(
                "2024-01-29T15:56:49.441Z In(05) vmx DICT               displayName = \"Windows 10\""
            ),
            Some(Message::DisplayName(b"Windows 10"))
        );
        assert_eq!(
            msg(
                "2024-01-29T15:56:49.441Z In(05) vmx DICT   pref.mruVM0.displayName = \"Windows 10\""
            ),
            None
        );
        // Workstation 14 and 17 (SawanBhan/Black-Flag-CTF,
        // M1Elkholy/Building-an-infrastructure-network-for-a-real-company).
        assert_eq!(
            msg(
                "2018-06-29T19:20:22.184+05:30| vmx| I125: DICT               displayname = \"BLACK-FLAG\""
            ),
            Some(Message::DisplayName(b"BLACK-FLAG"))
        );
        assert_eq!(
            msg(
                "2024-03-13T00:48:06.189Z In(05) vmx DICT               displayname = \"Project-IT\""
            ),
            Some(Message::DisplayName(b"Project-IT"))
        );
        assert_eq!(
            msg("2024-01-29T15:56:49.441Z In(05) vmx DICT   displayNameX = \"no\""),
            None
        );
        assert_eq!(
            msg("Apr 18 00:25:37.604: vmx| DICT               displayName = Euan_Hume_WebArcAss3 "),
            Some(Message::DisplayName(b"Euan_Hume_WebArcAss3"))
        );
        assert_eq!(
            msg(
                "2024-01-29T15:56:03.930Z In(05) vmx Log for VMware Player pid=5836 version=17.5.0 build=build-22583795"
            ),
            Some(Message::Product(b"Player"))
        );
        assert_eq!(
            vmx_display_name(b"displayName = \"db1-prod\"\r"),
            Some(&b"db1-prod"[..])
        );
        assert_eq!(vmx_display_name(b"displayName.x = \"no\""), None);
    }

    /// A row whose literal holds no needle of the scan would never be seen:
    /// the scan only parses lines where a needle is. (`DICT ` is found by
    /// its key, `displayName`; the product banner is reported nowhere.)
    #[test]
    fn the_table_is_indexed_by_first_byte() {
        // Row numbers are kept as bytes.
        assert!(MARKERS.len() <= 256);
        assert!(MARKERS.iter().all(|m| !m.literal.is_empty()));
    }

    /// The VM's name is searched for in both spellings real logs write.
    #[test]
    fn the_display_name_key_is_searched_for_in_any_case() {
        for key in [&b"displayName"[..], b"displayname"] {
            assert!(
                super::super::scan::NEEDLES
                    .iter()
                    .any(|n| memchr::memmem::find(key, n.as_bytes()).is_some()),
                "{}",
                String::from_utf8_lossy(key)
            );
        }
    }

    #[test]
    fn every_marker_is_searched_for() {
        for m in MARKERS
            .iter()
            .filter(|m| !matches!(m.means, DisplayName | Product))
        {
            let holds = |text: &[u8]| {
                super::super::scan::NEEDLES
                    .iter()
                    .any(|n| memchr::memmem::find(text, n.as_bytes()).is_some())
            };
            assert!(
                holds(m.literal) || holds(m.contains),
                "{} {}",
                String::from_utf8_lossy(m.literal),
                String::from_utf8_lossy(m.contains)
            );
        }
    }
}
