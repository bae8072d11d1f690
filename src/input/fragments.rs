//! vm-support fragments: `vm-support` splits files over about 1 MB into
//! `<name>.FRAG-00000`, `<name>.FRAG-00001`, …, and the busiest VM logs are
//! exactly the ones split. Each fragment is scanned on its own (in any
//! order, on any thread), keeping only its cut first and last lines; here
//! the fragments of one log are put back together as one log.

use std::collections::BTreeMap;

use super::collected::{Collected, Piece};
use super::filing::{finish_log, whole_key};
use super::names::{fragment, parent};
use crate::escape::escape_bytes;
use crate::vmlog::scan;

/// Which log a fragment belongs to: its container, its directory and the
/// name before `.FRAG-`.
type LogKey = (String, Vec<u8>);

/// Joins every fragmented log's pieces and files the logs. A gap in the
/// numbering is an error naming the missing fragment; the fragments after
/// it are reported as a log of their own, named after the fragment where
/// they resume. A whole file of the same name in the same place wins.
pub(super) fn stitch_all(pieces: Vec<Piece>, keep_text: bool, out: &mut Collected) {
    let mut logs: BTreeMap<LogKey, Vec<(u32, Piece)>> = BTreeMap::new();
    for p in pieces {
        let Some((name, index)) = fragment(&p.node.name) else {
            continue;
        };
        let key = (p.node.container.clone(), name.to_vec());
        logs.entry(key).or_default().push((index, p));
    }
    // The whole logs read from the inputs (the logs stitched here add to
    // `out.whole`, unsorted).
    let mut whole = std::mem::take(&mut out.whole);
    whole.sort_unstable();
    for ((container, name), mut pieces) in logs {
        pieces.sort_by_key(|(i, _)| *i);
        let shown = format!("{container}{}", escape_bytes(&name));
        if whole.binary_search(&whole_key(&container, &name)).is_ok() {
            out.note(
                &shown,
                format!(
                    "both the whole file and {} fragment(s) of it: the whole file is read, the fragments are not",
                    pieces.len()
                ),
            );
            continue;
        }
        let runs = runs(pieces, &shown, out);
        let last = runs.len().saturating_sub(1);
        for (i, run) in runs.into_iter().enumerate() {
            file_run(run, &container, &name, i < last, keep_text, out);
        }
    }
}

/// Splits sorted fragments into runs of consecutive numbers, reporting each
/// gap (and a repeated number) on the way.
fn runs(pieces: Vec<(u32, Piece)>, shown: &str, out: &mut Collected) -> Vec<Vec<(u32, Piece)>> {
    let mut runs: Vec<Vec<(u32, Piece)>> = Vec::new();
    let mut expected = 0u32;
    for (index, piece) in pieces {
        if index < expected {
            out.note(
                &piece.node.source,
                "a second copy of this fragment number: ignored",
            );
            continue;
        }
        if index > expected || runs.is_empty() {
            if index > expected {
                out.error(
                    shown,
                    format!(
                        "fragment {} is missing: {}",
                        missing_names(shown, expected, index),
                        if runs.is_empty() {
                            "the log's start is lost; what follows is reported from the first fragment present, numbered within it"
                        } else {
                            "the log is reported up to the gap, then from the next fragment present, numbered within it"
                        }
                    ),
                );
            }
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push((index, piece));
        }
        expected = index.saturating_add(1);
    }
    runs
}

/// The missing fragments' names, without the directory (the error's
/// source names it).
fn missing_names(shown: &str, from: u32, to: u32) -> String {
    let base = shown.rsplit(['/', '!']).next().unwrap_or(shown);
    if to - from == 1 {
        format!("{base}.FRAG-{from:05}")
    } else {
        format!("{base}.FRAG-{from:05} to .FRAG-{:05}", to - 1)
    }
}

/// Files one run of consecutive fragments as a log: named `<name>` when it
/// starts at fragment 0, else after its first fragment. `gap_after`: a
/// fragment is missing after the run.
fn file_run(
    run: Vec<(u32, Piece)>,
    container: &str,
    name: &[u8],
    gap_after: bool,
    keep_text: bool,
    out: &mut Collected,
) {
    let Some((first_index, first)) = run.first() else {
        return;
    };
    let mut node = first.node.clone();
    let input = first.input;
    if *first_index == 0 {
        node.source = format!("{container}{}", escape_bytes(name));
        node.name = name.to_vec();
    }
    // A fragment's directory is its log's: keep the parent the same.
    debug_assert_eq!(parent(&node.name), parent(&first.node.name));
    // Every input that held a piece of the log yielded it.
    let mut others: Vec<usize> = run
        .iter()
        .map(|(_, p)| p.input)
        .filter(|&i| i != input)
        .collect();
    others.sort_unstable();
    others.dedup();
    let res = scan::stitch(
        run.into_iter().map(|(_, p)| p.res).collect(),
        gap_after,
        keep_text,
    );
    finish_log(res, &node, input, out);
    out.logs_in.extend(others.into_iter().map(|i| (i, 0)));
}
