//! VM assembly: which logs are one VM, what it is called, on which host,
//! and its one timeline of records.
//!
//! A VM is one VM directory. Its rotated logs are merged and sorted by
//! time. The same directory met under two paths — a datastore's name and
//! its UUID, two bundles of one host taken days apart, an archive unpacked
//! on Windows where symlinks became copies — is one VM: directories are
//! matched by their path below `vmfs/volumes/<datastore>/`. A stun seen
//! twice in such copies (same time, same length, different files) is
//! counted once. Outside a datastore (a downloads folder) directories stay
//! apart, but stuns of two directories with the same displayName at the same
//! time and length are one stun, and a directory left with none of its own
//! is a copy and is dropped.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use crate::escape::{Name, Part};
use crate::input::{LogFile, Notice, Says};
use crate::time::EpochMs;
use crate::vmlog::scan::RecordKind;

/// One record of a VM's timeline (32 bytes: one per stun and marker of the
/// VM being analysed).
pub(super) struct Item<'a> {
    pub(super) time: EpochMs,
    pub(super) line: u64,
    pub(super) kind: &'a RecordKind,
    /// The log it came from: an index into [`Vm::logs`].
    pub(super) log: u32,
    pub(super) approx: bool,
}

/// One VM, assembled.
pub(super) struct Vm<'a> {
    pub(super) host: Name,
    pub(super) vm: Name,
    /// The directory key of its first log (the display path).
    pub(super) dir: Part,
    /// Its logs, by directory.
    pub(super) logs: &'a [LogFile],
    /// The host of each of its logs.
    pub(super) hosts: Vec<Name>,
    /// Every stun and marker, in time order, duplicates of copied logs removed.
    pub(super) timeline: Vec<Item<'a>>,
    /// Its name came from the log or a `.vmx` (not from a path).
    pub(super) named: bool,
    /// Its directory is below `vmfs/volumes/<datastore>/`.
    pub(super) on_datastore: bool,
    /// The product its latest log's banner names (`Workstation 25.0.0`).
    pub(super) product: Option<Name>,
}

impl Vm<'_> {
    /// The log an item came from.
    pub(super) fn log(&self, item: &Item) -> &LogFile {
        &self.logs[item.log as usize]
    }

    /// The names of its directories, for `--vm`.
    pub(super) fn dir_names(&self) -> impl Iterator<Item = &str> {
        self.logs.iter().filter_map(|l| l.dir_name.as_deref())
    }
}

/// The path of a VM directory below `vmfs/volumes/<datastore>/`.
fn below_datastore(dir: &str) -> Option<&str> {
    let at = dir.rfind("vmfs/volumes/")?;
    let rest = &dir[at + "vmfs/volumes/".len()..];
    let (_, below) = rest.split_once('/')?;
    (!below.is_empty()).then_some(below)
}

/// Which VM a log belongs to: its path below a datastore, else its
/// directory and the displayName its folder gives it. Sorted as the VMs are
/// listed before their (host, name) sort: datastore-less folders first.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum VmKey {
    Dir(Part, Name),
    Vmfs(Part),
}

/// Puts the logs of each VM next to one another — VMs in key order, a VM's
/// directories in path order, each directory's logs in the order read —
/// and returns where each VM's logs are. Sorting in place (rather than
/// grouping into maps of copies) keeps one `LogFile` per log in memory.
pub(super) fn assemble(logs: &mut [LogFile]) -> Vec<Range<usize>> {
    // Directories in path order, logs in read order within each.
    logs.sort_by(|a, b| a.dir.cmp(&b.dir));
    let mut keys: Vec<VmKey> = Vec::with_capacity(logs.len());
    let mut at = 0;
    while at < logs.len() {
        let end = at + logs[at..].partition_point(|l| l.dir == logs[at].dir);
        let dir = &logs[at].dir;
        match below_datastore(dir) {
            Some(below) => {
                let key = VmKey::Vmfs(dir.substr(dir.len() - below.len()..));
                keys.extend(std::iter::repeat_n(key, end - at));
            }
            None => {
                let names = names_in_folder(&logs[at..end]);
                keys.extend(names.into_iter().map(|n| VmKey::Dir(dir.clone(), n)));
            }
        }
        at = end;
    }
    // Stable: within a key, directories stay in path order and logs in
    // read order.
    let mut order: Vec<u32> = (0..logs.len() as u32).collect();
    order.sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
    permute(logs, &order);
    let key = |i: usize| &keys[order[i] as usize];
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=order.len() {
        if i == order.len() || key(i) != key(start) {
            groups.push(start..i);
            start = i;
        }
    }
    groups
}

/// Reorders `items` so that position `i` holds what was at `order[i]`.
fn permute<T>(items: &mut [T], order: &[u32]) {
    let mut order: Vec<u32> = order.to_vec();
    for i in 0..items.len() {
        // Follow the cycle through `i`, swapping each element into place.
        let mut cur = i;
        loop {
            let from = order[cur] as usize;
            order[cur] = cur as u32;
            if from == i {
                break;
            }
            items.swap(cur, from);
            cur = from;
        }
    }
}

/// Outside a datastore a folder may hold the logs of several VMs (a
/// downloads folder): each log goes with the displayName it names. Logs
/// naming none go with the only VM named there, else stay together (under
/// the empty name).
fn names_in_folder(files: &[LogFile]) -> Vec<Name> {
    let mut named = files
        .iter()
        .filter_map(|f| f.says.name.as_ref().map(|n| &n.1));
    let only = match named.next() {
        Some(first) if named.all(|n| n == first) => Some(first.clone()),
        _ => None,
    };
    files
        .iter()
        .map(|f| match &f.says.name {
            Some((_, n)) => n.clone(),
            None => only.clone().unwrap_or_default(),
        })
        .collect()
}

/// Builds one VM from its logs (by directory): names it, merges its
/// timeline and drops the copies of stuns read twice.
pub(super) fn build<'a>(
    logs: &'a [LogFile],
    vmx_names: &BTreeMap<String, String>,
    notes: &mut Vec<Notice>,
) -> Vm<'a> {
    let mut says = Says::default();
    let mut timeline: Vec<Item> = Vec::with_capacity(logs.iter().map(|l| l.entries.len()).sum());
    let mut hosts = Vec::with_capacity(logs.len());
    for (i, l) in logs.iter().enumerate() {
        hosts.push(l.host());
        says.merge(l.says.clone());
        timeline.extend(l.entries.iter().map(|e| Item {
            time: e.time_ms,
            line: e.line_no,
            kind: &e.kind,
            log: i as u32,
            approx: e.approx,
        }));
    }
    // Ties in time: newer rotations (lower rank) after older, then by line.
    let key = |l: &LogFile, time: EpochMs, line: u64| (time, std::cmp::Reverse(l.rank), line);
    timeline.sort_by(|a, b| {
        let (la, lb) = (&logs[a.log as usize], &logs[b.log as usize]);
        key(la, a.time, a.line)
            .cmp(&key(lb, b.time, b.line))
            .then_with(|| la.source.cmp(&lb.source))
    });
    let first = &logs[0];
    let product = says.product.take().map(|p| p.1);
    let given = says.name.map(|n| n.1).or_else(|| {
        logs.iter()
            .find_map(|l| vmx_names.get(l.dir.as_str()))
            .map(|n| Name::from(n.as_str()))
    });
    let named = given.is_some();
    let vm: Name = given
        .or_else(|| first.dir_name.as_deref().map(Name::from))
        .unwrap_or_else(|| first.source.clone());
    // The host of the log holding the latest record that names one.
    let host: Name = logs
        .iter()
        .zip(&hosts)
        .filter(|(l, h)| l.last.is_some() && &***h != "-")
        .max_by(|(a, _), (b, _)| {
            let (ta, la) = a.last.unwrap_or_default();
            let (tb, lb) = b.last.unwrap_or_default();
            key(a, ta, la)
                .cmp(&key(b, tb, lb))
                .then_with(|| a.source.cmp(&b.source))
        })
        .map(|(_, h)| h.clone())
        .or_else(|| says.host.map(|h| h.1))
        .unwrap_or_else(|| arcstr::literal!("-"));
    let mut vm = Vm {
        host,
        vm,
        dir: first.dir.clone(),
        logs,
        hosts,
        timeline,
        named,
        on_datastore: below_datastore(&first.dir).is_some(),
        product,
    };
    drop_copied_stuns(&mut vm, notes);
    vm
}

/// Outside datastores: stuns of an earlier VM of the same displayName at
/// the same time and length are dropped from later ones, and a VM left
/// without stuns of its own is dropped (its logs were copies).
pub(super) fn drop_copies_across(vms: &mut Vec<Vm>, notes: &mut Vec<Notice>) {
    let mut seen: HashMap<Name, std::collections::HashSet<(EpochMs, u64)>> = Default::default();
    let mut gone = vec![false; vms.len()];
    for (i, vm) in vms.iter_mut().enumerate() {
        if vm.on_datastore || !vm.named {
            continue;
        }
        let earlier = seen.entry(vm.vm.clone()).or_default();
        let before = vm.timeline.len();
        let mut stuns = 0u64;
        let mut mine = Vec::new();
        vm.timeline.retain(|item| {
            let RecordKind::Stun { us, .. } = item.kind else {
                return true;
            };
            stuns += 1;
            mine.push((item.time, *us));
            !earlier.contains(&(item.time, *us))
        });
        let dropped = before - vm.timeline.len();
        earlier.extend(mine);
        if dropped == 0 {
            continue;
        }
        gone[i] = dropped as u64 == stuns;
        notes.push(Notice {
            source: vm.dir.to_string(),
            message: format!(
                "{dropped} stun{} also found in another folder of VM {}: counted once{}",
                if dropped == 1 { "" } else { "s" },
                vm.vm,
                if gone[i] {
                    "; this folder holds nothing else and is left out"
                } else {
                    ""
                }
            ),
        });
    }
    let mut gone = gone.into_iter();
    vms.retain(|_| !gone.next().unwrap_or(false));
}

/// Two stuns of one VM at the same time with the same length, from two
/// different files, are one stun read twice (copies of a log that are not
/// byte-identical: taken at different times, or rotated since).
fn drop_copied_stuns(vm: &mut Vm, notes: &mut Vec<Notice>) {
    let logs = vm.logs;
    let mut dropped = 0u64;
    let mut example: Option<(u32, u32)> = None;
    let mut first: HashMap<(EpochMs, u64), u32> = Default::default();
    vm.timeline.retain(|i| {
        let RecordKind::Stun { us, .. } = i.kind else {
            return true;
        };
        match first.entry((i.time, *us)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i.log);
                true
            }
            // The same file may hold one stun value twice at one time.
            std::collections::hash_map::Entry::Occupied(o)
                if logs[*o.get() as usize].source == logs[i.log as usize].source =>
            {
                true
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                dropped += 1;
                example.get_or_insert((i.log, *o.get()));
                false
            }
        }
    });
    if let Some((dup, kept)) = example {
        notes.push(Notice {
            source: vm.vm.to_string(),
            message: format!(
                "{dropped} stun{} found in two copies of this VM's logs (same time and length): counted once, e.g. {} repeats {}",
                if dropped == 1 { "" } else { "s" },
                logs[dup as usize].source,
                logs[kept as usize].source,
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::below_datastore;

    #[test]
    fn datastore_paths() {
        assert_eq!(
            below_datastore("b.tgz!esx-h-2026-01-01--1/vmfs/volumes/ds1/db1"),
            Some("db1")
        );
        assert_eq!(
            below_datastore("x/vmfs/volumes/5f3c-aa/db1/sub"),
            Some("db1/sub")
        );
        assert_eq!(below_datastore("x/vmfs/volumes/ds1"), None);
        assert_eq!(below_datastore("downloads/db1"), None);
    }
}
