//! What [`FsStorage`](crate::FsStorage) asked the kernel to do, and what a power cut could leave of
//! it (feature `io-trace`, for crash tests on the real file layer; not a supported API).
//!
//! In the way of ALICE and LazyFS: a [`Recorder`] watches one directory tree and collects every
//! create, open, `fallocate`, `pwrite`, `fdatasync`, `unlink`, `rename`, directory `fsync`, `mkdir`
//! and `rm -r` that `FsStorage` issues inside it (from any thread) as a [`Trace`]. A [`Replay`] of the
//! trace, stopped after any number of events, writes into a fresh directory a state that Linux may
//! show after a power cut at that moment ([`Replay::materialize`]):
//!
//! - a file's bytes and length are those of its last `fdatasync`; each 4 KiB page written since may
//!   instead hold any version it had in the page cache, and the length may be the newer one;
//! - a directory entry (created, renamed, unlinked, made or removed) is durable only once its
//!   directory was `fsync`ed after the change; until then each changed name may show its durable
//!   state or any state it had since (so an un-synced rename may show the old name, the new one, both
//!   or neither), and a directory whose own entry is not durable takes its whole content with it;
//! - [`Loss::AllLost`] keeps only what was synced, [`Loss::AllKept`] everything (a process crash),
//!   [`Loss::Random`] a seeded choice per page, length and name.
//!
//! What the root holds when the recorder starts is taken as durable (so a recovery run on the
//! output of a cut can be recorded and cut again); the root itself always exists.
//!
//! ```
//! use shardlog_storage::io_trace::{Loss, Recorder};
//! use shardlog_storage::{FsStorage, Storage};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let rec = Recorder::start(dir.path());
//! let storage = FsStorage::open(dir.path()).unwrap();
//! let file = storage.create("a", 4096).unwrap();
//! file.write_at(0, b"synced").unwrap();
//! file.sync().unwrap();
//! storage.sync_dir().unwrap();
//! file.write_at(0, b"SYNCED").unwrap(); // never synced
//! let trace = rec.finish();
//! assert_eq!(trace.len(), 6); // create, fallocate, pwrite, fdatasync, fsync_dir, pwrite
//!
//! let mut replay = trace.replay();
//! replay.advance_to(4); // cut before the directory fsync: the file may not exist
//! let out = tempfile::tempdir().unwrap();
//! replay.materialize(out.path(), Loss::AllLost).unwrap();
//! assert!(!out.path().join("a").exists());
//!
//! replay.advance_to(trace.len()); // cut at the end: synced bytes only
//! let out = tempfile::tempdir().unwrap();
//! replay.materialize(out.path(), Loss::AllLost).unwrap();
//! assert_eq!(&std::fs::read(out.path().join("a")).unwrap()[..6], b"synced");
//! ```

use crate::rng::SplitMix64;
use crate::sync::MutexExt as _;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt as _, MetadataExt as _};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The page size of the model: unsynced writes survive or vanish in 4 KiB pages.
pub const PAGE: usize = 4096;

/// A file's identity while it is open: device and inode number.
pub type Ino = (u64, u64);

/// One system call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `mkdir` of the event's path.
    Mkdir,
    /// `open(O_CREAT | O_EXCL)`: a new empty file.
    Create {
        /// The new file.
        ino: Ino,
    },
    /// `open` of an existing file.
    Open {
        /// The file.
        ino: Ino,
    },
    /// `fallocate`: the file is at least `len` bytes long.
    SetLen {
        /// The file.
        ino: Ino,
        /// New minimum length.
        len: u64,
    },
    /// `pwrite`.
    Write {
        /// The file.
        ino: Ino,
        /// Where.
        offset: u64,
        /// What.
        data: Vec<u8>,
    },
    /// `fdatasync` (recorded when it starts: it covers the writes recorded before it).
    Sync {
        /// The file.
        ino: Ino,
    },
    /// `fsync` of the directory at the event's path (recorded when it starts).
    SyncDir,
    /// `unlink`.
    Unlink,
    /// `rename` of the event's path to `to` (relative to the root).
    Rename {
        /// The new name.
        to: PathBuf,
    },
    /// `rm -r` of the directory at the event's path.
    RemoveDirAll,
}

/// One recorded call: its path relative to the recorder's root (for writes and syncs, the path the
/// file was opened under) and the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Path relative to the root (`""` is the root).
    pub path: PathBuf,
    /// The call.
    pub op: Op,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.op {
            Op::Mkdir => write!(f, "mkdir {p}"),
            Op::Create { .. } => write!(f, "create {p}"),
            Op::Open { .. } => write!(f, "open {p}"),
            Op::SetLen { len, .. } => write!(f, "fallocate {p} {len}"),
            Op::Write { offset, data, .. } => write!(f, "pwrite {p} {offset}+{}", data.len()),
            Op::Sync { .. } => write!(f, "fdatasync {p}"),
            Op::SyncDir => write!(f, "fsync_dir {p}/"),
            Op::Unlink => write!(f, "unlink {p}"),
            Op::Rename { to } => write!(f, "rename {p} -> {}", to.display()),
            Op::RemoveDirAll => write!(f, "remove_dir_all {p}/"),
        }
    }
}

struct Slot {
    id: u64,
    root: PathBuf,
    initial: Vec<Initial>,
    events: Vec<Event>,
    /// A call that could not be recorded (its file could not be identified): the trace is unusable.
    broken: Option<String>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    slots: Vec<Slot>,
}

/// Number of running recorders: the only thing a traced call looks at when nobody records.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next_id: 0,
    slots: Vec::new(),
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.locked()
}

/// True while some recorder runs.
#[inline(always)]
pub(super) fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

/// Records a call on `path` if a recorder watches it.
#[inline(always)]
pub(super) fn record(path: &Path, op: impl FnOnce() -> Op) {
    if active() {
        record_slow(path, op());
    }
}

/// Records a call on an open file (identified by its inode) if a recorder watches its path.
#[inline(always)]
pub(super) fn record_file(path: &Path, file: &File, op: impl FnOnce(Ino) -> Op) {
    if active() {
        match file.metadata() {
            Ok(m) => record_slow(path, op((m.dev(), m.ino()))),
            Err(e) => {
                let mut reg = registry();
                if let Some(slot) = reg.slots.iter_mut().find(|s| path.starts_with(&s.root)) {
                    slot.broken
                        .get_or_insert(format!("fstat of {} failed: {e}", path.display()));
                }
            }
        }
    }
}

#[cold]
fn record_slow(path: &Path, op: Op) {
    let mut reg = registry();
    let Some(slot) = reg.slots.iter_mut().find(|s| path.starts_with(&s.root)) else {
        return;
    };
    let rel = |p: &Path| p.strip_prefix(&slot.root).map(Path::to_path_buf);
    let Ok(path) = rel(path) else { return };
    let op = match op {
        Op::Rename { to } => match rel(&to) {
            Ok(to) => Op::Rename { to },
            // Moved out of the watched tree: for the tree, a removal.
            Err(_) => Op::Unlink,
        },
        op => op,
    };
    slot.events.push(Event { path, op });
}

/// Records the calls `FsStorage` makes under one directory, from every thread, until
/// [`Recorder::finish`] (or drop).
#[derive(Debug)]
pub struct Recorder {
    id: u64,
}

impl Recorder {
    /// Starts recording calls on paths under `root`, an existing directory whose present content is
    /// read and taken as durable. Paths are compared as written: open the storages under test
    /// through paths that start with `root`. Start it while nothing writes under `root`.
    ///
    /// # Panics
    /// If `root` cannot be read, or another running recorder's root contains `root` or lies inside
    /// it.
    pub fn start(root: impl AsRef<Path>) -> Recorder {
        let root = root.as_ref().to_path_buf();
        let mut initial = Vec::new();
        if let Err(e) = snapshot(&root, Path::new(""), &mut initial) {
            panic!("io_trace: cannot read {}: {e}", root.display());
        }
        let mut reg = registry();
        if let Some(other) = reg
            .slots
            .iter()
            .find(|s| s.root.starts_with(&root) || root.starts_with(&s.root))
        {
            panic!(
                "io_trace: {} overlaps the recorded tree {}",
                root.display(),
                other.root.display()
            );
        }
        let id = reg.next_id;
        reg.next_id += 1;
        reg.slots.push(Slot {
            id,
            root,
            initial,
            events: Vec::new(),
            broken: None,
        });
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        Recorder { id }
    }

    /// Events recorded so far. An operation that returned before this call is among them, so a
    /// record acknowledged when `len()` was `n` is acknowledged in every cut after `n` events.
    pub fn len(&self) -> usize {
        registry()
            .slots
            .iter()
            .find(|s| s.id == self.id)
            .map_or(0, |s| s.events.len())
    }

    /// True if nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops recording and returns the trace.
    ///
    /// # Panics
    /// If a call could not be recorded (the trace would be wrong).
    pub fn finish(self) -> Trace {
        let slot = self.take();
        if let Some(why) = slot.as_ref().and_then(|s| s.broken.as_ref()) {
            panic!("io_trace: a call was not recorded: {why}");
        }
        slot.map(|s| Trace {
            initial: s.initial,
            events: s.events,
        })
        .unwrap_or_default()
    }

    fn take(&self) -> Option<Slot> {
        let mut reg = registry();
        let i = reg.slots.iter().position(|s| s.id == self.id)?;
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
        Some(reg.slots.swap_remove(i))
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.take();
    }
}

/// A directory or file the root held when recording started, parents first.
#[derive(Debug, Clone)]
enum Initial {
    Dir(PathBuf),
    File(PathBuf, Ino, Vec<u8>),
}

fn snapshot(root: &Path, rel: &Path, out: &mut Vec<Initial>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))?.collect::<io::Result<_>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let rel = rel.join(entry.file_name());
        let meta = entry.metadata()?;
        if meta.is_dir() {
            out.push(Initial::Dir(rel.clone()));
            snapshot(root, &rel, out)?;
        } else if meta.is_file() {
            let bytes = std::fs::read(root.join(&rel))?;
            out.push(Initial::File(rel, (meta.dev(), meta.ino()), bytes));
        }
    }
    Ok(())
}

/// The calls of one recording, in the order they were made, and what the root held before them.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    initial: Vec<Initial>,
    events: Vec<Event>,
}

impl Trace {
    /// The events.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True if nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// A replay positioned before the first event: what the root held when recording started.
    pub fn replay(&self) -> Replay<'_> {
        let mut replay = Replay {
            events: &self.events,
            pos: 0,
            nodes: vec![Node::Dir(DirNode::default())],
            inodes: HashMap::new(),
        };
        for entry in &self.initial {
            let (path, node) = match entry {
                Initial::Dir(path) => (path, Node::Dir(DirNode::default())),
                Initial::File(path, ino, bytes) => {
                    let id = replay.nodes.len();
                    replay.inodes.insert(*ino, id);
                    let file = FileNode {
                        live: bytes.clone(),
                        durable: bytes.clone(),
                        pages: BTreeMap::new(),
                    };
                    (path, Node::File(file))
                }
            };
            let id = replay.add(node);
            // Parents come first, so the lookup cannot fail.
            if let Ok((dir, name)) = replay.parent(path) {
                if let Ok(d) = replay.dir(dir) {
                    d.live.insert(name.clone(), id);
                    d.durable.insert(name, id);
                }
            }
        }
        replay
    }
}

/// How much of what was not synced a materialized cut keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Only synced data and directory entries: every unsynced write, length and name change is lost.
    AllLost,
    /// Everything written (what a process crash leaves).
    AllKept,
    /// For each unsynced page, length and changed name a seeded choice among the versions it had.
    Random(u64),
}

/// What is not yet durable in a replayed state (if all are zero, every [`Loss`] gives the same state).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unsynced {
    /// Pages written since their file's last sync.
    pub pages: usize,
    /// Files whose length grew since their last sync.
    pub lengths: usize,
    /// Directory entries changed since their directory's last sync.
    pub names: usize,
}

impl Unsynced {
    /// True if everything is durable.
    pub fn is_empty(&self) -> bool {
        *self == Unsynced::default()
    }
}

type NodeId = usize;

#[derive(Debug, Clone)]
enum Node {
    File(FileNode),
    Dir(DirNode),
}

#[derive(Debug, Clone, Default)]
struct FileNode {
    live: Vec<u8>,
    durable: Vec<u8>,
    /// For each page written since the last sync, its contents after each such write, oldest first.
    pages: BTreeMap<usize, Vec<Vec<u8>>>,
}

#[derive(Debug, Clone, Default)]
struct DirNode {
    live: BTreeMap<String, NodeId>,
    durable: BTreeMap<String, NodeId>,
    /// For each name changed since the last sync, the states it had since, oldest first.
    history: BTreeMap<String, Vec<Option<NodeId>>>,
}

impl DirNode {
    fn set(&mut self, name: &str, node: Option<NodeId>) {
        match node {
            Some(id) => self.live.insert(name.to_string(), id),
            None => self.live.remove(name),
        };
        self.history.entry(name.to_string()).or_default().push(node);
    }
}

/// The model file system after a prefix of a [`Trace`].
#[derive(Debug, Clone)]
pub struct Replay<'a> {
    events: &'a [Event],
    pos: usize,
    nodes: Vec<Node>,
    inodes: HashMap<Ino, NodeId>,
}

fn names(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

impl Replay<'_> {
    /// Number of events applied: the state is that of a power cut after them.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The next event, if any.
    pub fn next_event(&self) -> Option<&Event> {
        self.events.get(self.pos)
    }

    /// Applies events up to (not including) number `k` (at most the trace length).
    ///
    /// # Panics
    /// If `k` lies before the current position, or an event does not fit the model (a file written
    /// that the trace never created or opened, a path whose directory the trace never made): the
    /// root was not empty when recording started, or a call escaped the recorder.
    pub fn advance_to(&mut self, k: usize) {
        assert!(k >= self.pos, "io_trace: replay cannot go back");
        let k = k.min(self.events.len());
        while self.pos < k {
            let event = &self.events[self.pos];
            if let Err(why) = self.apply(event) {
                panic!("io_trace: event {} ({event}): {why}", self.pos);
            }
            self.pos += 1;
        }
    }

    fn dir(&mut self, id: NodeId) -> Result<&mut DirNode, String> {
        match self.nodes.get_mut(id) {
            Some(Node::Dir(d)) => Ok(d),
            _ => Err("not a directory".into()),
        }
    }

    fn file(&mut self, ino: &Ino) -> Result<&mut FileNode, String> {
        let id = *self
            .inodes
            .get(ino)
            .ok_or("a file the trace never created or opened")?;
        match self.nodes.get_mut(id) {
            Some(Node::File(f)) => Ok(f),
            _ => Err("not a file".into()),
        }
    }

    /// The live node at `path`.
    fn lookup(&self, path: &Path) -> Result<NodeId, String> {
        let mut id = 0;
        for name in names(path) {
            id = match self.nodes.get(id) {
                Some(Node::Dir(d)) => *d
                    .live
                    .get(&name)
                    .ok_or_else(|| format!("{name} does not exist"))?,
                _ => return Err(format!("a parent of {name} is not a directory")),
            };
        }
        Ok(id)
    }

    /// The live directory holding `path`, and the last name of `path`.
    fn parent(&self, path: &Path) -> Result<(NodeId, String), String> {
        let mut parts = names(path);
        let name = parts.pop().ok_or("the root itself")?;
        let dir = self.lookup(&parts.iter().collect::<PathBuf>())?;
        Ok((dir, name))
    }

    fn add(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn apply(&mut self, event: &Event) -> Result<(), String> {
        let path = event.path.as_path();
        match &event.op {
            Op::Mkdir => {
                let (dir, name) = self.parent(path)?;
                let id = self.add(Node::Dir(DirNode::default()));
                self.dir(dir)?.set(&name, Some(id));
            }
            Op::Create { ino } => {
                let (dir, name) = self.parent(path)?;
                let id = self.add(Node::File(FileNode::default()));
                self.dir(dir)?.set(&name, Some(id));
                self.inodes.insert(*ino, id);
            }
            Op::Open { ino } => {
                let id = self.lookup(path)?;
                self.inodes.insert(*ino, id);
            }
            Op::SetLen { ino, len } => {
                let f = self.file(ino)?;
                let len = usize::try_from(*len).map_err(|_| "length too large")?;
                if len > f.live.len() {
                    f.live.resize(len, 0);
                }
            }
            Op::Write { ino, offset, data } => {
                let f = self.file(ino)?;
                let start = usize::try_from(*offset).map_err(|_| "offset too large")?;
                let end = start + data.len();
                if end > f.live.len() {
                    f.live.resize(end, 0);
                }
                f.live[start..end].copy_from_slice(data);
                if !data.is_empty() {
                    for page in start / PAGE..=(end - 1) / PAGE {
                        let lo = page * PAGE;
                        let version = f.live[lo..(lo + PAGE).min(f.live.len())].to_vec();
                        f.pages.entry(page).or_default().push(version);
                    }
                }
            }
            Op::Sync { ino } => {
                let f = self.file(ino)?;
                f.durable.clone_from(&f.live);
                f.pages.clear();
            }
            Op::SyncDir => {
                let id = self.lookup(path)?;
                let d = self.dir(id)?;
                d.durable.clone_from(&d.live);
                d.history.clear();
            }
            Op::Unlink => {
                let (dir, name) = self.parent(path)?;
                let d = self.dir(dir)?;
                if !d.live.contains_key(&name) {
                    return Err("unlink of a missing name".into());
                }
                d.set(&name, None);
            }
            Op::Rename { to } => {
                let (from_dir, from_name) = self.parent(path)?;
                let (to_dir, to_name) = self.parent(to)?;
                let d = self.dir(from_dir)?;
                let id = *d.live.get(&from_name).ok_or("rename of a missing name")?;
                d.set(&from_name, None);
                self.dir(to_dir)?.set(&to_name, Some(id));
            }
            Op::RemoveDirAll => {
                let (dir, name) = self.parent(path)?;
                let id = self.lookup(path)?;
                self.remove_contents(id)?;
                self.dir(dir)?.set(&name, None);
            }
        }
        Ok(())
    }

    /// Unlinks everything below directory `id` (what `rm -r` does before the final `rmdir`).
    fn remove_contents(&mut self, id: NodeId) -> Result<(), String> {
        let children: Vec<(String, NodeId)> = self
            .dir(id)?
            .live
            .iter()
            .map(|(n, c)| (n.clone(), *c))
            .collect();
        for (name, child) in children {
            if matches!(self.nodes.get(child), Some(Node::Dir(_))) {
                self.remove_contents(child)?;
            }
            self.dir(id)?.set(&name, None);
        }
        Ok(())
    }

    /// What is not yet durable.
    pub fn unsynced(&self) -> Unsynced {
        let mut u = Unsynced::default();
        for node in &self.nodes {
            match node {
                Node::File(f) => {
                    u.pages += f.pages.len();
                    u.lengths += usize::from(f.live.len() != f.durable.len());
                }
                Node::Dir(d) => u.names += d.history.len(),
            }
        }
        u
    }

    /// Writes into the existing, empty directory `dest` a state the root may show after a power cut
    /// now, and returns its files and directories with their lengths (for failure reports).
    pub fn materialize(&self, dest: &Path, loss: Loss) -> io::Result<Vec<String>> {
        let mut m = Materializer {
            replay: self,
            loss,
            rng: SplitMix64::new(match loss {
                Loss::Random(seed) => seed ^ 0x5DEE_CE66_D1CE_4E5B,
                _ => 0,
            }),
            contents: HashMap::new(),
            listing: Vec::new(),
        };
        m.dir(0, dest, Path::new(""))?;
        Ok(m.listing)
    }
}

struct Materializer<'r, 'a> {
    replay: &'r Replay<'a>,
    loss: Loss,
    rng: SplitMix64,
    /// The content chosen for each file (a file under two names shows the same bytes under both).
    contents: HashMap<NodeId, Vec<u8>>,
    listing: Vec<String>,
}

impl Materializer<'_, '_> {
    /// A uniform choice in `0..n`.
    fn pick(&mut self, n: usize) -> usize {
        self.rng.below(n as u64) as usize
    }

    fn dir(&mut self, id: NodeId, dest: &Path, rel: &Path) -> io::Result<()> {
        let Some(Node::Dir(d)) = self.replay.nodes.get(id) else {
            return Ok(());
        };
        let mut chosen: BTreeMap<&String, NodeId> = BTreeMap::new();
        let changed = d.history.keys().filter(|n| !d.durable.contains_key(*n));
        for name in d.durable.keys().chain(changed) {
            let durable = d.durable.get(name).copied();
            let history = d.history.get(name).map_or(&[][..], Vec::as_slice);
            let state = match self.loss {
                Loss::AllLost => durable,
                Loss::AllKept => d.live.get(name).copied(),
                Loss::Random(_) => match self.pick(history.len() + 1) {
                    0 => durable,
                    i => history[i - 1],
                },
            };
            if let Some(node) = state {
                chosen.insert(name, node);
            }
        }
        for (name, node) in chosen {
            let (path, rel) = (dest.join(name), rel.join(name));
            match self.replay.nodes.get(node) {
                Some(Node::Dir(_)) => {
                    std::fs::create_dir(&path)?;
                    self.listing.push(format!("{}/", rel.display()));
                    self.dir(node, &path, &rel)?;
                }
                Some(Node::File(f)) => {
                    if !self.contents.contains_key(&node) {
                        let bytes = self.file(f);
                        self.contents.insert(node, bytes);
                    }
                    let bytes = &self.contents[&node];
                    write_sparse(&path, bytes)?;
                    self.listing
                        .push(format!("{} ({} bytes)", rel.display(), bytes.len()));
                }
                None => {}
            }
        }
        Ok(())
    }

    fn file(&mut self, f: &FileNode) -> Vec<u8> {
        match self.loss {
            Loss::AllLost => f.durable.clone(),
            Loss::AllKept => f.live.clone(),
            Loss::Random(_) => {
                let len = if f.live.len() != f.durable.len() && self.pick(2) == 1 {
                    f.live.len()
                } else {
                    f.durable.len()
                };
                let mut image = f.durable.clone();
                image.resize(len, 0);
                for (&page, versions) in &f.pages {
                    let Some(version) = self.pick(versions.len() + 1).checked_sub(1) else {
                        continue;
                    };
                    let lo = page * PAGE;
                    let version = &versions[version];
                    let hi = (lo + version.len()).min(len);
                    if lo < hi {
                        image[lo..hi].copy_from_slice(&version[..hi - lo]);
                    }
                }
                image
            }
        }
    }
}

/// Writes `bytes` as a file whose all-zero pages are holes (as never-written preallocated space reads).
fn write_sparse(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file = File::create(path)?;
    file.set_len(bytes.len() as u64)?;
    for (i, page) in bytes.chunks(PAGE).enumerate() {
        if page.iter().any(|&b| b != 0) {
            file.write_all_at(page, (i * PAGE) as u64)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{FsStorage, Storage};

    fn cut(trace: &Trace, k: usize, loss: Loss) -> (tempfile::TempDir, Vec<String>) {
        let mut replay = trace.replay();
        replay.advance_to(k);
        let out = tempfile::tempdir().unwrap();
        let listing = replay.materialize(out.path(), loss).unwrap();
        (out, listing)
    }

    #[test]
    fn names_need_a_directory_sync_and_data_a_file_sync() {
        let dir = tempfile::tempdir().unwrap();
        let rec = Recorder::start(dir.path());
        let storage = FsStorage::open(dir.path().join("s")).unwrap(); // mkdir s, fsync_dir root
        let sub = storage.subdir("d").unwrap(); // mkdir s/d, fsync_dir s
        let f = sub.create("f", 8192).unwrap(); // create, fallocate
        f.write_at(0, &[1; 8192]).unwrap();
        f.sync().unwrap();
        sub.sync_dir().unwrap();
        f.write_at(4096, &[2; 4096]).unwrap(); // never synced
        sub.rename("f", "g").unwrap(); // never synced
        let trace = rec.finish();
        let ops: Vec<String> = trace.events().iter().map(|e| e.to_string()).collect();
        assert_eq!(
            ops,
            [
                "mkdir s",
                "fsync_dir /",
                "mkdir s/d",
                "fsync_dir s/",
                "create s/d/f",
                "fallocate s/d/f 8192",
                "pwrite s/d/f 0+8192",
                "fdatasync s/d/f",
                "fsync_dir s/d/",
                "pwrite s/d/f 4096+4096",
                "rename s/d/f -> s/d/g",
            ]
        );
        // Before the directory fsync the file's name is not durable.
        assert_eq!(cut(&trace, 8, Loss::AllLost).1, ["s/", "s/d/"]);
        assert_eq!(
            cut(&trace, 8, Loss::AllKept).1,
            ["s/", "s/d/", "s/d/f (8192 bytes)"]
        );
        // Before the mkdir of `d` was synced in `s`, `d` and all in it may go.
        assert_eq!(cut(&trace, 3, Loss::AllLost).1, ["s/"]);
        // At the end: synced data under the old name, or anything between.
        let (out, listing) = cut(&trace, trace.len(), Loss::AllLost);
        assert_eq!(listing, ["s/", "s/d/", "s/d/f (8192 bytes)"]);
        assert_eq!(std::fs::read(out.path().join("s/d/f")).unwrap(), [1; 8192]);
        let (out, listing) = cut(&trace, trace.len(), Loss::AllKept);
        assert_eq!(listing, ["s/", "s/d/", "s/d/g (8192 bytes)"]);
        assert_eq!(std::fs::read(out.path().join("s/d/g")).unwrap()[4096], 2);
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let (out, listing) = cut(&trace, trace.len(), Loss::Random(seed));
            let bytes = ["f", "g"].map(|n| std::fs::read(out.path().join("s/d").join(n)).ok());
            for b in bytes.iter().flatten() {
                assert_eq!(b[..4096], [1; 4096]);
            }
            seen.insert((listing, bytes.map(|b| b.map(|b| b[4096]))));
        }
        // f or g or both or neither, each with the second page old or new.
        assert!(seen.len() >= 6, "{seen:?}");
    }

    #[test]
    fn what_the_root_held_at_the_start_is_durable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/old"), b"before").unwrap();
        let rec = Recorder::start(dir.path());
        let storage = FsStorage::open(dir.path().join("d")).unwrap();
        let f = storage.open("old").unwrap();
        f.write_at(0, b"after!").unwrap();
        storage.remove("old").unwrap();
        let trace = rec.finish();
        let (out, listing) = cut(&trace, trace.len(), Loss::AllLost);
        assert_eq!(listing, ["d/", "d/old (6 bytes)"]);
        assert_eq!(std::fs::read(out.path().join("d/old")).unwrap(), b"before");
        assert_eq!(cut(&trace, trace.len(), Loss::AllKept).1, ["d/"]);
    }

    #[test]
    fn a_removed_directory_comes_back_only_without_its_parents_sync() {
        let dir = tempfile::tempdir().unwrap();
        let rec = Recorder::start(dir.path());
        let storage = FsStorage::open(dir.path()).unwrap();
        let sub = storage.subdir("d").unwrap();
        sub.create("f", 0).unwrap();
        sub.sync_dir().unwrap();
        storage.remove_dir("d").unwrap();
        let before_sync = rec.len();
        storage.sync_dir().unwrap();
        let trace = rec.finish();
        assert_eq!(
            cut(&trace, before_sync, Loss::AllLost).1,
            ["d/", "d/f (0 bytes)"]
        );
        assert!(cut(&trace, before_sync, Loss::AllKept).1.is_empty());
        assert!(cut(&trace, trace.len(), Loss::AllLost).1.is_empty());
    }
}
