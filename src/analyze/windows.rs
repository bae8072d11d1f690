//! Backup windows: a snapshot's create cluster and the consolidate cluster
//! that ends it. Kinds are guessed only in sources of stun lines alone, so
//! a window of guessed kinds comes from one of those, and says so.

use super::report::{Cluster, Kind, KindSource, Window};
use crate::qos::Qos;

/// The windows of one VM's clusters (in time order): each create cluster
/// with the next consolidate cluster, when no other create comes between.
pub(super) fn windows(clusters: &[Cluster], qos: &Qos) -> Vec<Window> {
    let mut out = Vec::new();
    let mut create: Option<&Cluster> = None;
    for c in clusters {
        match c.kind {
            Kind::Create => create = Some(c),
            Kind::Consolidate => {
                if let Some(cr) = create.take() {
                    out.push(window(cr, c, qos));
                }
            }
            _ => {}
        }
    }
    out
}

fn window(create: &Cluster, consolidate: &Cluster, qos: &Qos) -> Window {
    let max_us = create.max_us.max(consolidate.max_us);
    Window {
        host: create.host.clone(),
        vm: create.vm.clone(),
        snapshot: create.snapshot.clone(),
        create_cluster: create.id,
        consolidate_cluster: consolidate.id,
        created: create.start,
        consolidated: consolidate.start,
        lifetime_s: (consolidate.start - create.start) as f64 / 1000.0,
        max_us,
        verdict: qos.verdict(max_us),
        guessed: [create, consolidate]
            .iter()
            .any(|c| c.kind_source == KindSource::Heuristic),
    }
}
