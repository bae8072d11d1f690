//! Turning command-line paths into the files to read: a named file as it
//! is, a directory walked for log members and bundles. Each file (device,
//! inode) is read once: an unpacked vm-support bundle reaches every VM
//! directory twice, through the datastore's UUID directory and through the
//! datastore-name symlink to it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::collected::{Collected, LookAlikes};
use super::names::{Select, Want};
use crate::escape::escape_bytes;

/// One file to read, from the command line or a directory walk.
pub(super) struct Task {
    pub(super) input: usize,
    pub(super) path: PathBuf,
    pub(super) named: bool,
    pub(super) size: u64,
    /// Its place in the order the files are listed (input, then walk
    /// order): results are put back in this order whatever order the files
    /// were read in.
    pub(super) order: (usize, usize),
}

/// What identifies a file whatever the path it was reached by.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(unix)]
fn file_id(_path: &Path, meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path, _meta: &std::fs::Metadata) -> Option<FileId> {
    path.canonicalize().ok()
}

/// A file found in a walk, before duplicates are resolved.
struct Found {
    path: PathBuf,
    id: Option<FileId>,
    /// Reached through a symbolic link (the file or a directory above it).
    via_link: bool,
    size: u64,
    /// Already handed out to be read while the walk went on.
    sent: bool,
}

/// Plans the reading of every command-line path, each file once. Each file
/// to read goes to the `send` callback as soon as it is certain to be read
/// (see [`walk`]), so that reading can start while the walk goes on.
#[derive(Default)]
pub(super) struct Planner {
    /// Files already planned, and the path they were planned under.
    seen: HashMap<FileId, String>,
}

impl Planner {
    /// Lists the files `path` stands for: itself, or the log members and
    /// bundles under it.
    pub(super) fn plan(
        &mut self,
        input: usize,
        path: &Path,
        select: &Select,
        looks: &mut LookAlikes,
        out: &mut Collected,
        send: &mut dyn FnMut(Task),
    ) {
        let shown = escape_bytes(path.as_os_str().as_encoded_bytes());
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return out.error(&shown, format!("cannot read: {e}")),
        };
        if meta.is_dir() {
            // A file reached without a symbolic link, the first time in this
            // walk, and not named by an earlier input, is read whatever
            // else the walk finds: it goes out at once. The rest waits for
            // the end of the walk (a path without a link may come later).
            let mut first: std::collections::HashSet<FileId> = Default::default();
            let seen = &self.seen;
            let mut eager = |f: &Found, seq: usize| {
                #[allow(clippy::clone_on_copy)] // a path, not a copy, off Unix
                let sure = match &f.id {
                    None => true,
                    Some(id) => !f.via_link && !seen.contains_key(id) && first.insert(id.clone()),
                };
                if sure {
                    send(Task {
                        input,
                        path: f.path.clone(),
                        named: false,
                        size: f.size,
                        order: (input, seq),
                    });
                }
                sure
            };
            let found = walk(path, &shown, select, looks, out, &mut eager);
            return self.take_walk(input, &shown, found, out, send);
        }
        if let Some(id) = file_id(path, &meta) {
            if let Some(first) = self.seen.get(&id) {
                return out.note(
                    &shown,
                    format!("the same file as {first}, named before it: read once"),
                );
            }
            self.seen.insert(id, shown);
        }
        send(Task {
            input,
            path: path.to_path_buf(),
            named: true,
            size: meta.len(),
            order: (input, 0),
        });
    }

    /// Keeps one path per file: the first not reached through a symbolic
    /// link, else the first; files planned by an earlier input are skipped.
    fn take_walk(
        &mut self,
        input: usize,
        shown: &str,
        found: Vec<Found>,
        out: &mut Collected,
        send: &mut dyn FnMut(Task),
    ) {
        let mut best: HashMap<&FileId, usize> = HashMap::new();
        for (i, f) in found.iter().enumerate() {
            let Some(id) = &f.id else { continue };
            let b = best.entry(id).or_insert(i);
            if found[*b].via_link && !f.via_link {
                *b = i;
            }
        }
        let mut linked: Option<(String, String)> = None;
        let (mut twice, mut earlier) = (0u64, 0u64);
        for (i, f) in found.iter().enumerate() {
            if let Some(id) = &f.id {
                let kept = best[id];
                if kept != i {
                    twice += 1;
                    linked.get_or_insert_with(|| (display(&f.path), display(&found[kept].path)));
                    continue;
                }
                if self.seen.contains_key(id) {
                    earlier += 1;
                    continue;
                }
                #[allow(clippy::clone_on_copy)] // a path, not a copy, off Unix
                self.seen.insert(id.clone(), display(&f.path));
            }
            if !f.sent {
                send(Task {
                    input,
                    path: f.path.clone(),
                    named: false,
                    size: f.size,
                    order: (input, i),
                });
            }
        }
        if let Some((dup, kept)) = linked {
            out.note(
                shown,
                format!(
                    "{twice} file{} reached a second time through symbolic links, read once (e.g. {dup} is {kept})",
                    if twice == 1 { "" } else { "s" }
                ),
            );
        }
        if earlier > 0 {
            out.note(
                shown,
                format!("{earlier} file(s) already named by an earlier input: read once"),
            );
        }
    }
}

fn display(p: &Path) -> String {
    escape_bytes(p.as_os_str().as_encoded_bytes())
}

/// Walks a directory, following symbolic links; loops are noted, not
/// followed. `eager` sees each file as it is found (with its place in the
/// walk) and says whether it has sent it to be read already.
fn walk(
    root: &Path,
    shown: &str,
    select: &Select,
    looks: &mut LookAlikes,
    out: &mut Collected,
    eager: &mut dyn FnMut(&Found, usize) -> bool,
) -> Vec<Found> {
    let mut found = Vec::new();
    // Directories reached through a symbolic link: whatever is below them
    // is reached through one too.
    let mut linked_dirs: std::collections::HashSet<PathBuf> = Default::default();
    let it = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    for entry in it {
        let e = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = e.path().map_or(shown.to_owned(), display);
                if e.loop_ancestor().is_some() {
                    out.note(
                        &at,
                        "symbolic link loop: it points back to a directory above it; not followed",
                    );
                } else {
                    let why = e.io_error().map_or(e.to_string(), |io| io.to_string());
                    out.error(&at, format!("cannot read: {why}"));
                }
                continue;
            }
        };
        let via_link =
            e.path_is_symlink() || e.path().parent().is_some_and(|p| linked_dirs.contains(p));
        if e.file_type().is_dir() {
            if via_link {
                linked_dirs.insert(e.path().to_path_buf());
            }
            continue;
        }
        if !e.file_type().is_file() {
            continue;
        }
        match select.want(e.file_name().as_encoded_bytes()) {
            Want::Log | Want::Fragment | Want::Archive | Want::DbLog => {}
            Want::LookAlike => {
                looks.add(display(e.path()));
                continue;
            }
            Want::Vmx | Want::Skip => continue,
        }
        let meta = e.metadata().ok();
        let mut f = Found {
            id: meta.as_ref().and_then(|m| file_id(e.path(), m)),
            size: meta.map_or(0, |m| m.len()),
            via_link,
            path: e.into_path(),
            sent: false,
        };
        f.sent = eager(&f, found.len());
        found.push(f);
    }
    found
}
