//! Statistics: per VM, per host and overall. Percentiles are exact
//! nearest-rank values, so every one reported is a stun that happened.

use std::collections::BTreeMap;

use super::report::{Event, HostReport, Summary, VmReport};
use crate::escape::{Name, Part};
use crate::qos::{self, Verdict};

/// The nearest-rank percentile `per_mille`/1000 of sorted values.
fn nearest_rank(sorted: &[u64], per_mille: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len() as u64;
    let rank = (n * per_mille).div_ceil(1000).max(1);
    sorted[(rank - 1) as usize]
}

/// Counts of one set of events.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    events: u64,
    max_us: u64,
    total_us: u64,
    risk: u64,
    failover: u64,
}

impl Tally {
    fn of<'a>(events: impl Iterator<Item = &'a Event>) -> Tally {
        let mut t = Tally::default();
        for e in events {
            t.events += 1;
            t.max_us = t.max_us.max(e.stun_us);
            t.total_us = t.total_us.saturating_add(e.stun_us);
            match e.verdict {
                Verdict::Risk => t.risk += 1,
                Verdict::Failover => t.failover += 1,
                Verdict::Ok => {}
            }
        }
        t
    }

    fn recommended(&self) -> Option<u64> {
        (self.events > 0).then(|| qos::recommended_qos_s(self.max_us))
    }
}

pub(super) fn vm_report(
    host: &Name,
    vm: &Name,
    dir: &Part,
    product: Option<Name>,
    events: &[Event],
) -> VmReport {
    let t = Tally::of(events.iter());
    let mut sorted: Vec<u64> = events.iter().map(|e| e.stun_us).collect();
    sorted.sort_unstable();
    VmReport {
        host: host.clone(),
        vm: vm.clone(),
        dir: dir.clone(),
        product,
        events: t.events,
        p50_us: nearest_rank(&sorted, 500),
        p90_us: nearest_rank(&sorted, 900),
        p99_us: nearest_rank(&sorted, 990),
        max_us: t.max_us,
        total_us: t.total_us,
        risk: t.risk,
        failover: t.failover,
        recommended_qos_s: t.recommended(),
    }
}

/// One row per host, from the VM rows (a VM counts under the host of its
/// latest log).
pub(super) fn host_reports(vms: &[VmReport]) -> Vec<HostReport> {
    let mut hosts: BTreeMap<&Name, HostReport> = BTreeMap::new();
    for v in vms {
        let h = hosts.entry(&v.host).or_insert_with(|| HostReport {
            host: v.host.clone(),
            vms: 0,
            events: 0,
            max_us: 0,
            risk: 0,
            failover: 0,
            recommended_qos_s: None,
        });
        h.vms += 1;
        h.events += v.events;
        h.max_us = h.max_us.max(v.max_us);
        h.risk += v.risk;
        h.failover += v.failover;
        if h.events > 0 {
            h.recommended_qos_s = Some(qos::recommended_qos_s(h.max_us));
        }
    }
    hosts.into_values().collect()
}

pub(super) fn summary(vms: &[VmReport], events: &[Event], skipped: u64) -> Summary {
    let t = Tally::of(events.iter());
    Summary {
        events: t.events,
        vms: vms.len() as u64,
        max_us: t.max_us,
        risk: t.risk,
        failover: t.failover,
        recommended_qos_s: t.recommended(),
        skipped_stun_lines: skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn percentiles_are_stuns_that_happened() {
        let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 4_800_000];
        assert_eq!(nearest_rank(&v, 500), 5);
        assert_eq!(nearest_rank(&v, 900), 9);
        assert_eq!(nearest_rank(&v, 990), 4_800_000);
        assert_eq!(nearest_rank(&[7], 990), 7);
        assert_eq!(nearest_rank(&[], 500), 0);
        let seven = [38123, 221633, 264392, 298346, 301099, 341616, 1091706];
        assert_eq!(nearest_rank(&seven, 500), 298346);
        assert_eq!(nearest_rank(&seven, 900), 1091706);
    }
}
