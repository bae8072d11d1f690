//! Reading inputs: files, directories, standard input and archives, to logs
//! — how bytes come in.
//!
//! Every file and archive member is classified by its first bytes, not its
//! name: gzip, zip, tar, or text. Archives are read in one streaming pass
//! (tar and gzip as streams; a zip on disk through its central directory,
//! a zip inside another stream through its local headers), nothing is
//! extracted to disk, and only *log members* (`vmware.log`, `vmware-N.log`,
//! either with `.gz`) and `.vmx` files are read; other members are skipped.
//! Independent streams — files, and the members of a zip on disk — run on
//! the rayon pool.
//!
//! The parts, in the order bytes meet them: `walk` (paths to files),
//! `reader` (one file or stream: sniffing, gzip, tar, zip), `zipstream`
//! (zips that cannot seek), `pipeline` (threads that hand chunks along),
//! `node` (where a stream sits), `filing` (a scanned log to a [`LogFile`]),
//! `fragments` (vm-support pieces joined), `vmx`, `dedupe`, and
//! `collected` (what all of it yields).

mod collected;
mod dedupe;
mod filing;
mod fragments;
mod names;
mod node;
mod pipeline;
mod progress;
mod reader;
mod vmx;
mod walk;
mod zipfile;
mod zipstream;

use std::path::PathBuf;

use rayon::prelude::*;

use crate::escape::escape_bytes;

use collected::LookAlikes;
pub use collected::{Collected, Entry, InputSummary, LogFile, Notice, Says};
pub use names::{
    Kind, Select, Want, bundle_host, bundle_host_in, fragment, is_log_name, log_rank, sniff,
};
use pipeline::Slot;
pub use reader::MAX_DEPTH;
use reader::Reader;

/// A command-line input.
#[derive(Debug, Clone)]
pub enum InputPath {
    Stdin,
    Path(PathBuf),
}

/// Inputs larger than this in total get a progress bar (when stderr is a
/// terminal and progress is wanted).
pub const PROGRESS_MIN_BYTES: u64 = 100 << 20;

/// What a VM log is, for the message when none is found.
pub const LOOKED_FOR: &str = "vmware.log and vmware-N.log (any letter case, also .gz and vm-support .FRAG- pieces), in directories and in .tgz, .tar and .zip bundles";

/// Reads every input. Files (named or found in directories) run on the
/// rayon pool; standard input is read on this thread.
pub fn collect(inputs: &[InputPath], progress: bool, select: &Select) -> Collected {
    let mut all = Collected::default();
    let mut planner = walk::Planner::default();
    let mut looks = LookAlikes::default();
    for input in inputs {
        let path = match input {
            InputPath::Stdin => "-".to_owned(),
            InputPath::Path(p) => escape_bytes(p.as_os_str().as_encoded_bytes()),
        };
        all.inputs.push(InputSummary {
            path,
            ..Default::default()
        });
    }
    let parts = if progress {
        read_planned_first(inputs, select, &mut planner, &mut looks, &mut all)
    } else {
        read_while_walking(inputs, select, &mut planner, &mut looks, &mut all)
    };
    all.looks.absorb(looks);
    for ((idx, _), bytes, part) in parts {
        all.inputs[idx].bytes += bytes;
        all.inputs[idx].db_logs += part.db_logs.len() as u64;
        all.absorb(part);
    }

    for (idx, input) in inputs.iter().enumerate() {
        if let InputPath::Stdin = input {
            let mut bytes = 0;
            let mut part = Collected::default();
            let none = progress::Bar::new(false, 0);
            let mut reader = Reader::new(&mut bytes, &none, select, idx);
            reader.stdin(&mut part);
            reader.drain(&mut part);
            all.inputs[idx].bytes += bytes;
            all.inputs[idx].db_logs += part.db_logs.len() as u64;
            all.absorb(part);
        }
    }
    let pieces = std::mem::take(&mut all.pieces);
    if !pieces.is_empty() {
        fragments::stitch_all(pieces, select.keep_text, &mut all);
    }
    for (input, skipped) in std::mem::take(&mut all.logs_in) {
        if let Some(s) = all.inputs.get_mut(input) {
            s.logs += 1;
            s.skipped_stun_lines += skipped;
        }
    }
    dedupe::drop_copies(&mut all);
    note_lookalikes(&mut all);
    note_empty_inputs(&mut all);
    vmx::attach_disk_vmx(&mut all);
    all
}

/// What one file yielded: its place in the order of the files, the log
/// bytes it held, and its results.
type Part = ((usize, usize), u64, Collected);

/// Walks every path first, then reads the files on the rayon pool: a
/// progress bar needs the total size first.
fn read_planned_first(
    inputs: &[InputPath],
    select: &Select,
    planner: &mut walk::Planner,
    looks: &mut LookAlikes,
    all: &mut Collected,
) -> Vec<Part> {
    let mut tasks = Vec::new();
    for (idx, input) in inputs.iter().enumerate() {
        if let InputPath::Path(p) = input {
            planner.plan(idx, p, select, looks, all, &mut |t| {
                tasks.push((t, Slot::stream()))
            });
        }
    }
    let total: u64 = tasks.iter().map(|(t, _)| t.size).sum();
    let bar = progress::Bar::new(total >= PROGRESS_MIN_BYTES, total);
    let parts = tasks
        .into_par_iter()
        .map(|(t, slot)| read_task(&t, slot, select, &bar))
        .collect();
    bar.finish();
    parts
}

/// Reads files while the directories are still being walked: the walk
/// hands each file out as soon as it is certain to be read. Every path
/// given counts as a stream until it is planned (a file named takes that
/// count along), so that a bundle read while later ones are still being
/// planned does not take a helper thread they will need.
fn read_while_walking(
    inputs: &[InputPath],
    select: &Select,
    planner: &mut walk::Planner,
    looks: &mut LookAlikes,
    all: &mut Collected,
) -> Vec<Part> {
    let mut reserved: Vec<Option<Slot>> = inputs
        .iter()
        .map(|i| matches!(i, InputPath::Path(_)).then(Slot::stream))
        .collect();
    let done = std::sync::Mutex::new(Vec::new());
    let none = progress::Bar::new(false, 0);
    rayon::scope(|s| {
        let send = |t: walk::Task, slot: Slot| {
            let (done, none) = (&done, &none);
            s.spawn(move |_| {
                let part = read_task(&t, slot, select, none);
                done.lock().unwrap_or_else(|e| e.into_inner()).push(part);
            });
        };
        for (idx, input) in inputs.iter().enumerate() {
            if let InputPath::Path(p) = input {
                let mut own = reserved.get_mut(idx).and_then(Option::take);
                planner.plan(idx, p, select, looks, all, &mut |t| {
                    let slot = t.named.then(|| own.take()).flatten();
                    send(t, slot.unwrap_or_else(Slot::stream))
                });
            }
        }
    });
    let mut parts: Vec<Part> = done.into_inner().unwrap_or_else(|e| e.into_inner());
    parts.sort_unstable_by_key(|p| p.0);
    parts
}

/// Reads one planned file (which holds `slot` until it is read): its
/// results, and the bytes it held.
fn read_task(t: &walk::Task, slot: Slot, select: &Select, bar: &progress::Bar) -> Part {
    let mut bytes = 0;
    let mut part = Collected::default();
    let mut reader = Reader::new(&mut bytes, bar, select, t.input).holding(slot);
    reader.file(&t.path, t.named, &mut part);
    reader.drain(&mut part);
    (t.order, bytes, part)
}

/// One note for every name that looks like a VM log but was not read.
fn note_lookalikes(all: &mut Collected) {
    let looks = std::mem::take(&mut all.looks);
    if looks.count == 0 {
        return;
    }
    let more = looks.count - looks.shown.len() as u64;
    let mut list = looks.shown.join(", ");
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    let source = match all.inputs.as_slice() {
        [one] => one.path.clone(),
        _ => "inputs".to_owned(),
    };
    all.note(
        &source,
        format!(
            "{} file{} named like a VM log but not read: {list}. Name a file on the command line to read it, or add names with --glob",
            looks.count,
            if looks.count == 1 { "" } else { "s" }
        ),
    );
}

/// A note for each input that yielded no log, and an error when none did:
/// a job pointed at the wrong folder must not pass. Inputs that all held
/// database logs and nothing else (`stunscan messages.log`) ask for the
/// database's record alone, as `--db-log` alone does: no error then.
fn note_empty_inputs(all: &mut Collected) {
    let empty: Vec<String> = all
        .inputs
        .iter()
        .filter(|i| i.logs == 0)
        .map(|i| i.path.clone())
        .collect();
    if empty.len() == all.inputs.len() && !all.inputs.is_empty() && !all.only_db_logs() {
        all.error(
            &empty.join(", "),
            format!(
                "no VMware log found: looked for {LOOKED_FOR}. Name a file on the command line to read it whatever its name, or add names with --glob"
            ),
        );
        return;
    }
    let only_db: Vec<String> = all
        .inputs
        .iter()
        .filter(|i| i.logs == 0 && i.db_logs > 0)
        .map(|i| i.path.clone())
        .collect();
    for path in empty.into_iter().filter(|p| !only_db.contains(p)) {
        all.note(&path, "no VMware log found in it");
    }
}
