//! The same log reached twice through different inputs — a host `.tgz`
//! given beside the vCenter `.zip` that holds it, a folder beside its own
//! `.tgz` — is counted once. Sameness is the file name plus a fingerprint
//! taken during the scan (size, line count, first bytes, every record), so
//! it costs no second pass over the bytes.

use std::collections::{BTreeMap, HashMap};

use super::collected::{Collected, LogFile};

/// Drops every log whose name and content were already read; the first in
/// command-line order is kept. One note per pair of inputs says how many
/// and gives an example.
pub(super) fn drop_copies(all: &mut Collected) {
    let mut first: HashMap<u64, usize> = HashMap::new();
    let mut copies: BTreeMap<(usize, usize), (u64, String, String)> = BTreeMap::new();
    let mut keep = Vec::with_capacity(all.logs.len());
    for (i, log) in all.logs.iter().enumerate() {
        let Some(fp) = log.fingerprint else {
            keep.push(true);
            continue;
        };
        match first.get(&fp) {
            None => {
                first.insert(fp, i);
                keep.push(true);
            }
            Some(&k) => {
                let kept: &LogFile = &all.logs[k];
                let c = copies
                    .entry((log.input, kept.input))
                    .or_insert_with(|| (0, log.source.to_string(), kept.source.to_string()));
                c.0 += 1;
                keep.push(false);
            }
        }
    }
    let mut flags = keep.into_iter();
    all.logs.retain(|_| flags.next().unwrap_or(true));
    for ((dup_input, kept_input), (n, dup, kept)) in copies {
        let path = |i: usize| {
            all.inputs
                .get(i)
                .map_or("?", |s| s.path.as_str())
                .to_owned()
        };
        let (dup_path, kept_path) = (path(dup_input), path(kept_input));
        let whence = if dup_input == kept_input {
            "read twice in it".to_owned()
        } else {
            format!("also read from {kept_path}")
        };
        all.note(
            &dup_path,
            format!(
                "{n} log{} {whence} (same name and content): counted once, e.g. {dup} = {kept}",
                if n == 1 { "" } else { "s" }
            ),
        );
    }
}
