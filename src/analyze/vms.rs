//! VM assembly: which logs are one VM, what it is called, on which host,
//! and its one timeline of records.
//!
//! A VM is one VM directory. Its rotated logs are merged and sorted by
//! time. The same directory met under two paths — a datastore's name and
//! its UUID, two bundles of one host taken days apart, an archive unpacked
//! on Windows where symlinks became copies — is one VM: directories are
//! matched by their path below `vmfs/volumes/<datastore>/`, else (outside a
//! datastore) by the VM's displayName. A stun seen twice in such copies
//! (same time, same length, different files) is counted once.

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
pub(super) fn assemble<'a>(
    logs: &'a [LogFile],
    vmx_names: &BTreeMap<String, String>,
) -> Vec<Vec<(&'a str, Vec<&'a LogFile>)>> {
    let mut by_dir: BTreeMap<&str, Vec<&LogFile>> = BTreeMap::new();
    for l in logs {
        by_dir.entry(l.dir.as_str()).or_default().push(l);
    }
    let mut vms: BTreeMap<String, Vec<(&str, Vec<&LogFile>)>> = BTreeMap::new();
    for (dir, files) in by_dir {
        let identity = match below_datastore(dir) {
            Some(below) => format!("vmfs\0{below}"),
            None => {
                let mut says = Says::default();
                for f in &files {
                    says.merge(Says::of(f));
                }
                match says.name.map(|n| n.1).or_else(|| vmx_names.get(dir).cloned()) {
                    Some(name) => format!("name\0{name}"),
                    None => format!("dir\0{dir}"),
                }
            }
        };
        vms.entry(identity).or_default().push((dir, files));
    }
    vms.into_values().collect()
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
    let vm: Name = says
        .name
        .map(|n| n.1)
        .or_else(|| dirs.iter().find_map(|(d, _)| vmx_names.get(*d).cloned()))
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
    }
}

/// Two stuns of one VM at the same time with the same length, from two
/// different files, are one stun read twice (copies of a log that are not
/// byte-identical: taken at different times, or rotated since).
fn drop_copied_stuns(timeline: &mut Vec<Item>, vm: &str, notes: &mut Vec<Notice>) {
    let mut dropped = 0u64;
    let mut example: Option<(Name, Name)> = None;
    let mut last: Option<(EpochMs, u64, Name)> = None;
    timeline.retain(|i| {
        let RecordKind::Stun { us, .. } = i.kind else {
            return true;
        };
        if let Some((t, u, src)) = &last
            && *t == i.time
            && u == us
            && *src != i.log.source
        {
            dropped += 1;
            example.get_or_insert_with(|| (i.log.source.clone(), src.clone()));
            return false;
        }
        last = Some((i.time, *us, i.log.source.clone()));
        true
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
        assert_eq!(below_datastore("x/vmfs/volumes/5f3c-aa/db1/sub"), Some("db1/sub"));
        assert_eq!(below_datastore("x/vmfs/volumes/ds1"), None);
        assert_eq!(below_datastore("downloads/db1"), None);
    }
}
