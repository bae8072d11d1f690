//! `.vmx` files: the configuration beside a VM's logs, read only for the
//! VM's `displayName` when its logs do not say it.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::collected::Collected;
use crate::escape::escape_bytes;
use crate::vmlog;

/// `.vmx` files larger than this are not configuration files.
const MAX_VMX: u64 = 1 << 20;

/// Reads `.vmx` files beside logs found on disk.
pub(super) fn attach_disk_vmx(all: &mut Collected) {
    // Only directories whose logs name no VM need their `.vmx` read: the
    // log's own `DICT displayName` wins anyway.
    let named: HashSet<&str> = all
        .logs
        .iter()
        .filter(|l| l.says.name.is_some())
        .map(|l| l.dir.as_str())
        .collect();
    let mut seen = HashSet::new();
    let dirs: Vec<(&str, &Path)> = all
        .logs
        .iter()
        .filter(|l| !all.vmx_names.contains_key(l.dir.as_str()) && !named.contains(l.dir.as_str()))
        .filter_map(|l| Some((l.dir.as_str(), &**l.disk_dir.as_ref()?)))
        .filter(|(d, _)| seen.insert(*d))
        .collect();
    let found: Vec<(String, String)> = dirs
        .into_par_iter()
        .filter_map(|(key, dir)| Some((key.to_owned(), vmx_in_dir(dir)?)))
        .collect();
    all.vmx_names.extend(found);
}

/// The `displayName` of the first `.vmx` (by name) in `dir` that has one.
fn vmx_in_dir(dir: &Path) -> Option<String> {
    let mut vmx: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Regular files only: opening a FIFO named *.vmx would block.
        .filter(|p| p.extension().is_some_and(|x| x == "vmx") && p.is_file())
        .collect();
    vmx.sort();
    vmx.into_iter().find_map(|p| read_vmx(File::open(p).ok()?))
}

/// `displayName` of a `.vmx` read from `r` (at most [`MAX_VMX`] bytes).
pub(super) fn read_vmx<R: Read>(r: R) -> Option<String> {
    let mut buf = Vec::new();
    r.take(MAX_VMX).read_to_end(&mut buf).ok()?;
    buf.split(|&c| c == b'\n')
        .find_map(vmlog::vmx_display_name)
        .map(escape_bytes)
}
