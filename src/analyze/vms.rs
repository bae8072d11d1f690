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

use std::collections::BTreeMap;

use crate::escape::Name;
use crate::input::{LogFile, Notice};
use crate::scan::RecordKind;
use crate::time::EpochMs;

/// One record of a VM's timeline.
pub(super) struct Item<'a> {
    pub(super) time: EpochMs,
    pub(super) approx: bool,
    pub(super) log: &'a LogFile,
    /// The host of the log it came from.
    pub(super) host: Name,
    pub(super) line: u64,
    pub(super) kind: &'a RecordKind,
}

/// One VM, assembled.
pub(super) struct Vm<'a> {
    pub(super) host: Name,
    pub(super) vm: Name,
    /// The directory key of its first log (the display path).
    pub(super) dir: String,
    /// The names of its directories, for `--vm`.
    pub(super) dir_names: Vec<String>,
    /// Every record, in time order, duplicates of copied logs removed.
    pub(super) timeline: Vec<Item<'a>>,
    /// Its name came from the log or a `.vmx` (not from a path).
    pub(super) named: bool,
    /// Its directory is below `vmfs/volumes/<datastore>/`.
    pub(super) on_datastore: bool,
}

/// What a log says about itself: the latest displayName and Hostname.
#[derive(Default)]
struct Says {
    name: Option<(EpochMs, String)>,
    host: Option<(EpochMs, String)>,
}

impl Says {
    fn of(log: &LogFile) -> Says {
        let mut s = Says::default();
        for e in &log.entries {
            let slot = match &e.kind {
                RecordKind::DisplayName(n) => Some((&mut s.name, n)),
                RecordKind::Hostname(h) => Some((&mut s.host, h)),
                _ => None,
            };
            if let Some((slot, v)) = slot
                && slot.as_ref().is_none_or(|(t, _)| e.time_ms >= *t)
            {
                *slot = Some((e.time_ms, v.clone()));
            }
        }
        s
    }

    fn merge(&mut self, other: Says) {
        for (mine, theirs) in [(&mut self.name, other.name), (&mut self.host, other.host)] {
            if let Some(t) = theirs
                && mine.as_ref().is_none_or(|m| t.0 >= m.0)
            {
                *mine = Some(t);
            }
        }
    }
}

/// The path of a VM directory below `vmfs/volumes/<datastore>/`.
fn below_datastore(dir: &str) -> Option<&str> {
    let at = dir.rfind("vmfs/volumes/")?;
    let rest = &dir[at + "vmfs/volumes/".len()..];
    let (_, below) = rest.split_once('/')?;
    (!below.is_empty()).then_some(below)
}

/// Logs grouped by directory, then directories grouped into VMs.
pub(super) fn assemble(logs: &[LogFile]) -> Vec<Vec<(&str, Vec<&LogFile>)>> {
    let mut by_dir: BTreeMap<&str, Vec<&LogFile>> = BTreeMap::new();
    for l in logs {
        by_dir.entry(l.dir.as_str()).or_default().push(l);
    }
    let mut vms: BTreeMap<String, Vec<(&str, Vec<&LogFile>)>> = BTreeMap::new();
    for (dir, files) in by_dir {
        match below_datastore(dir) {
            Some(below) => vms
                .entry(format!("vmfs\0{below}"))
                .or_default()
                .push((dir, files)),
            None => {
                for (name, files) in split_by_name(files) {
                    vms.entry(format!("dir\0{dir}\0{name}"))
                        .or_default()
                        .push((dir, files));
                }
            }
        }
    }
    vms.into_values().collect()
}

/// Outside a datastore a folder may hold the logs of several VMs (a
/// downloads folder): its logs are split by the displayName each names.
/// Logs naming none go with the only VM named there, else stay together.
fn split_by_name(files: Vec<&LogFile>) -> BTreeMap<String, Vec<&LogFile>> {
    let mut named: BTreeMap<String, Vec<&LogFile>> = BTreeMap::new();
    let mut nameless = Vec::new();
    for f in files {
        match Says::of(f).name {
            Some((_, n)) => named.entry(n).or_default().push(f),
            None => nameless.push(f),
        }
    }
    if nameless.is_empty() {
        return named;
    }
    match named.len() {
        1 => named.values_mut().for_each(|v| v.append(&mut nameless)),
        _ => {
            named.insert(String::new(), nameless);
        }
    }
    named
}

/// Builds one VM from its directories: names it, merges its timeline and
/// drops the copies of stuns read twice.
pub(super) fn build<'a>(
    dirs: &[(&'a str, Vec<&'a LogFile>)],
    vmx_names: &BTreeMap<String, String>,
    notes: &mut Vec<Notice>,
) -> Vm<'a> {
    let mut says = Says::default();
    let mut timeline: Vec<Item> = Vec::new();
    for (_, files) in dirs {
        for l in files {
            let log_says = Says::of(l);
            let host: Name = log_says
                .host
                .as_ref()
                .map(|h| h.1.clone())
                .or_else(|| l.bundle_host.clone())
                .unwrap_or_else(|| "-".to_owned())
                .into();
            says.merge(log_says);
            timeline.extend(l.entries.iter().map(|e| Item {
                time: e.time_ms,
                approx: e.approx,
                log: l,
                host: host.clone(),
                line: e.line_no,
                kind: &e.kind,
            }));
        }
    }
    // Ties in time: newer rotations (lower rank) after older, then by line.
    timeline.sort_by(|a, b| {
        let key = |i: &Item<'a>| (i.time, std::cmp::Reverse(i.log.rank), i.line);
        key(a)
            .cmp(&key(b))
            .then_with(|| a.log.source.cmp(&b.log.source))
    });
    let (dir, first) = (dirs[0].0, &dirs[0].1[0]);
    let given = says
        .name
        .map(|n| n.1)
        .or_else(|| dirs.iter().find_map(|(d, _)| vmx_names.get(*d).cloned()));
    let named = given.is_some();
    let vm: Name = given
        .or_else(|| first.dir_name.clone())
        .unwrap_or_else(|| first.source.to_string())
        .into();
    let host: Name = timeline
        .iter()
        .rev()
        .map(|i| i.host.clone())
        .find(|h| &**h != "-")
        .or_else(|| says.host.map(|h| h.1.into()))
        .unwrap_or_else(|| "-".into());
    drop_copied_stuns(&mut timeline, &vm, notes);
    Vm {
        host,
        vm,
        dir: dir.to_owned(),
        dir_names: dirs
            .iter()
            .flat_map(|(_, f)| f.iter().filter_map(|l| l.dir_name.clone()))
            .collect(),
        timeline,
        named,
        on_datastore: below_datastore(dir).is_some(),
    }
}

/// Outside datastores: stuns of an earlier VM of the same displayName at
/// the same time and length are dropped from later ones, and a VM left
/// without stuns of its own is dropped (its logs were copies).
pub(super) fn drop_copies_across(vms: &mut Vec<Vm>, notes: &mut Vec<Notice>) {
    let mut seen: std::collections::HashMap<Name, std::collections::HashSet<(EpochMs, u64)>> =
        Default::default();
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
            source: vm.dir.clone(),
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
fn drop_copied_stuns(timeline: &mut Vec<Item>, vm: &str, notes: &mut Vec<Notice>) {
    let mut dropped = 0u64;
    let mut example: Option<(Name, Name)> = None;
    let mut first: std::collections::HashMap<(EpochMs, u64), Name> = Default::default();
    timeline.retain(|i| {
        let RecordKind::Stun { us, .. } = i.kind else {
            return true;
        };
        match first.entry((i.time, *us)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i.log.source.clone());
                true
            }
            // The same file may hold one stun value twice at one time.
            std::collections::hash_map::Entry::Occupied(o) if *o.get() == i.log.source => true,
            std::collections::hash_map::Entry::Occupied(o) => {
                dropped += 1;
                example.get_or_insert_with(|| (i.log.source.clone(), o.get().clone()));
                false
            }
        }
    });
    if let Some((dup, kept)) = example {
        notes.push(Notice {
            source: vm.to_owned(),
            message: format!(
                "{dropped} stun{} found in two copies of this VM's logs (same time and length): counted once, e.g. {dup} repeats {kept}",
                if dropped == 1 { "" } else { "s" }
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
