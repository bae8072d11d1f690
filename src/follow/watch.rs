//! How a live watch learns that files changed: the system's change
//! notifications (inotify on Linux, through `notify`), or polling.
//!
//! Notifications cost nothing while nothing happens, but they do not work
//! everywhere: on NFS, SMB/CIFS and FUSE mounts (how Linux reads VMFS:
//! `vmfs-fuse`) they report only what this machine itself writes, never
//! what the ESXi hosts write; and the number of watches per user is
//! limited (`fs.inotify.max_user_watches`). So a path on such a file system
//! (told by `statfs`), a watch that cannot be set up, or `--poll` makes the
//! watch poll: every interval, each followed file is checked with one
//! `fstat` and the directories are listed again.
//!
//! Even with notifications the directories are listed again now and then
//! ([`RESCAN`]): a missed notification (a full event queue) costs at most
//! that long.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

/// The poll interval when notifications cannot be used and `--poll` is not
/// given.
pub const DEFAULT_POLL: Duration = Duration::from_secs(1);
/// With notifications, how often the directories are listed anyway.
pub const RESCAN: Duration = Duration::from_secs(30);

/// How changes are noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Notify,
    /// Polling every interval, and why.
    Poll {
        every: Duration,
        why: String,
    },
}

impl Mode {
    /// For the status line and the first note.
    pub fn describe(&self) -> String {
        match self {
            Mode::Notify => "change notifications (inotify)".to_owned(),
            Mode::Poll { every, why } => {
                format!(
                    "polling every {} ({why})",
                    humantime::format_duration(*every)
                )
            }
        }
    }
}

enum Msg {
    /// Paths changed; `rescan`: something was created, removed or renamed.
    Changed {
        paths: Vec<PathBuf>,
        rescan: bool,
    },
    /// Notifications were lost: look at everything.
    Lost,
    Stop,
}

/// What woke the watch.
#[derive(Debug, Default)]
pub struct Wake {
    /// Files whose content changed (by notification).
    pub paths: Vec<PathBuf>,
    /// Look at every followed file and list the directories again.
    pub rescan: bool,
    /// Check every followed file (a poll tick) without listing directories.
    pub check_all: bool,
    /// SIGINT or SIGTERM.
    pub stop: bool,
    /// Notes for the user (a watched directory deleted and made again).
    pub notes: Vec<String>,
}

pub struct Watch {
    rx: Receiver<Msg>,
    /// Kept alive: dropping it ends the notifications.
    watcher: Option<notify::RecommendedWatcher>,
    pub mode: Mode,
    last_rescan: Instant,
    /// Each watched directory and its (device, inode) when last looked at
    /// (None while it is missing). An inotify watch is on an inode, not a
    /// path: a directory deleted and made again (a datastore remounted, a
    /// collector's folder recreated) is a new inode nobody watches.
    dirs: Vec<(PathBuf, RecursiveMode, Option<DirId>)>,
    last_dir_check: Instant,
}

/// A directory's (device, inode, birth time).
type DirId = (u64, u64, Option<std::time::SystemTime>);

/// A directory's (device, inode, birth time), or None when it is not
/// there. The birth time is there because a directory deleted and made
/// again at once can get its old inode number back (ext4 hands a freed
/// inode out again: `mkdir`, `rm -rf`, `mkdir` gave the same number five
/// times in five here): the inode alone then says nothing changed, and the
/// watch stays on the deleted directory. Where the file system keeps no
/// birth time, the inode is all there is; on overlayfs the birth time is
/// left out, as it changes when a directory of the lower layer is first
/// written to (copied up), while the inode stays.
fn dir_id(path: &Path) -> Option<DirId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    let born = m.created().ok().filter(|_| !on_overlayfs(path));
    Some((m.dev(), m.ino(), born))
}

/// Whether `path` is on overlayfs (a container's root, a live CD).
#[cfg(target_os = "linux")]
fn on_overlayfs(path: &Path) -> bool {
    // OVERLAYFS_SUPER_MAGIC in linux/magic.h.
    #[allow(clippy::unnecessary_cast)]
    rustix::fs::statfs(path).is_ok_and(|st| st.f_type as i64 as u32 == 0x794C_7630)
}

#[cfg(not(target_os = "linux"))]
fn on_overlayfs(_path: &Path) -> bool {
    false
}

impl Watch {
    /// Sets up watching `roots` (directories recursively, a file through
    /// its directory so that its rotation is seen) and the signals that end
    /// the watch.
    pub fn start(roots: &[PathBuf], poll: Option<Duration>) -> Watch {
        let (tx, rx) = mpsc::channel();
        let stop = tx.clone();
        // A second signal while the first is handled is harmless.
        let _ = ctrlc::set_handler(move || {
            let _ = stop.send(Msg::Stop);
        });
        let (watcher, mode) = match poll {
            Some(every) => (
                None,
                Mode::Poll {
                    every,
                    why: "--poll".to_owned(),
                },
            ),
            None => match remote_root(roots) {
                Some(why) => (
                    None,
                    Mode::Poll {
                        every: DEFAULT_POLL,
                        why,
                    },
                ),
                None => match notifier(roots, tx) {
                    Ok(w) => (Some(w), Mode::Notify),
                    Err(why) => (
                        None,
                        Mode::Poll {
                            every: DEFAULT_POLL,
                            why,
                        },
                    ),
                },
            },
        };
        let dirs = roots
            .iter()
            .map(|r| {
                let (p, mode) = watched_dir(r);
                (p.to_path_buf(), mode, dir_id(p))
            })
            .collect();
        Watch {
            rx,
            watcher,
            mode,
            last_rescan: Instant::now(),
            dirs,
            last_dir_check: Instant::now(),
        }
    }

    /// With notifications, once per `DEFAULT_POLL`: a watched directory
    /// whose inode changed (or that came back) is watched again, with a
    /// note, and everything is looked at again. One `stat` per root.
    fn check_dirs(&mut self, wake: &mut Wake) {
        let Some(w) = self.watcher.as_mut() else {
            return;
        };
        if self.last_dir_check.elapsed() < DEFAULT_POLL {
            return;
        }
        self.last_dir_check = Instant::now();
        for (dir, mode, id) in &mut self.dirs {
            let now = dir_id(dir);
            if now == *id {
                continue;
            }
            let was = id.is_some();
            *id = now;
            if now.is_none() {
                continue;
            }
            // The old watch went with the old inode; ignore that it is gone.
            let _ = w.unwatch(dir);
            match w.watch(dir, *mode) {
                Ok(()) => wake.notes.push(format!(
                    "{}: {}; watching it again",
                    dir.display(),
                    if was { "made anew" } else { "back" }
                )),
                Err(e) => wake
                    .notes
                    .push(format!("{}: cannot watch it again ({e})", dir.display())),
            }
            wake.rescan = true;
            wake.check_all = true;
        }
    }

    /// Waits for the next change (at most `tick` when one is given, for the
    /// status line), and takes every change already queued with it.
    pub fn wait(&mut self, tick: Option<Duration>) -> Wake {
        let period = match &self.mode {
            Mode::Notify => RESCAN,
            Mode::Poll { every, .. } => *every,
        };
        let mut due = (self.last_rescan + period).saturating_duration_since(Instant::now());
        if self.watcher.is_some() {
            let check =
                (self.last_dir_check + DEFAULT_POLL).saturating_duration_since(Instant::now());
            due = due.min(check);
        }
        let timeout = tick.map_or(due, |t| t.min(due));
        let mut wake = Wake::default();
        match self.rx.recv_timeout(timeout) {
            Ok(m) => wake.take(m),
            Err(RecvTimeoutError::Timeout) => {}
            // Cannot happen while `self` holds no sender... but if every
            // sender is gone, only polling is left.
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(timeout),
        }
        while let Ok(m) = self.rx.try_recv() {
            wake.take(m);
        }
        self.check_dirs(&mut wake);
        if self.last_rescan.elapsed() >= period {
            self.last_rescan = Instant::now();
            match self.mode {
                Mode::Notify => wake.rescan = true,
                // Files at every tick; directories every tick too (a new
                // VM directory must be picked up within the interval).
                Mode::Poll { .. } => {
                    wake.check_all = true;
                    wake.rescan = true;
                }
            }
        }
        wake
    }
}

impl Wake {
    fn take(&mut self, m: Msg) {
        match m {
            Msg::Changed { paths, rescan } => {
                self.paths.extend(paths);
                self.rescan |= rescan;
            }
            Msg::Lost => {
                self.rescan = true;
                self.check_all = true;
            }
            Msg::Stop => self.stop = true,
        }
    }
}

/// The notification watcher, or why there is none.
fn notifier(roots: &[PathBuf], tx: Sender<Msg>) -> Result<notify::RecommendedWatcher, String> {
    let handler = move |res: notify::Result<notify::Event>| {
        let msg = match res {
            Ok(ev) => {
                let rescan = !matches!(
                    ev.kind,
                    EventKind::Modify(notify::event::ModifyKind::Data(_))
                        | EventKind::Modify(notify::event::ModifyKind::Any)
                        | EventKind::Access(_)
                );
                if matches!(ev.kind, EventKind::Access(_)) {
                    return;
                }
                Msg::Changed {
                    paths: ev.paths,
                    rescan,
                }
            }
            Err(_) => Msg::Lost,
        };
        let _ = tx.send(msg);
    };
    let mut w = notify::recommended_watcher(handler)
        .map_err(|e| format!("change notifications unavailable: {e}"))?;
    for root in roots {
        let (path, mode) = watched_dir(root);
        w.watch(path, mode).map_err(|e| {
            let limit = matches!(&e.kind, notify::ErrorKind::MaxFilesWatch)
                || e.to_string().contains("No space left");
            if limit {
                "the inotify watch limit is reached; raise fs.inotify.max_user_watches".to_owned()
            } else {
                format!("cannot watch {}: {e}", path.display())
            }
        })?;
    }
    Ok(w)
}

/// The directory watched for a root, and how: a directory recursively, a
/// file through its directory (its rotation replaces it there).
fn watched_dir(root: &Path) -> (&Path, RecursiveMode) {
    if root.is_dir() {
        (root, RecursiveMode::Recursive)
    } else {
        let parent = match root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        (parent, RecursiveMode::NonRecursive)
    }
}

/// A root on a file system whose changes are not notified (made by other
/// machines): why polling is needed, or None.
fn remote_root(roots: &[PathBuf]) -> Option<String> {
    roots.iter().find_map(|r| {
        let fs = remote_fs(r)?;
        Some(format!("{} is on {fs}", r.display()))
    })
}

#[cfg(target_os = "linux")]
fn remote_fs(path: &Path) -> Option<&'static str> {
    let st = rustix::fs::statfs(path).ok()?;
    // Magic numbers from statfs(2) and linux/magic.h.
    #[allow(clippy::unnecessary_cast)]
    let magic = st.f_type as i64 as u32;
    Some(match magic {
        0x6969 => "NFS",
        0x517B => "SMB",
        0xFF53_4D42 => "CIFS",
        0xFE53_4D42 => "SMB2",
        0x6573_5546 => "a FUSE file system",
        0x0102_1997 => "9P",
        0x00C3_6400 => "CephFS",
        0x5346_414F => "AFS",
        0x0BD0_0BD0 => "Lustre",
        0x0116_1970 => "GFS2",
        0x7461_636F => "OCFS2",
        0x4750_4653 => "GPFS",
        _ => return None,
    })
}

#[cfg(not(target_os = "linux"))]
fn remote_fs(_path: &Path) -> Option<&'static str> {
    None
}
