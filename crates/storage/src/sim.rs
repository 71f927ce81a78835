//! An in-memory disk that knows which bytes are durable.
//!
//! The model follows what Linux and a disk with a volatile write cache may do on power loss:
//! - bytes written but not yet synced may or may not have reached the disk, independently for every
//!   512-byte sector, and a sector that was written several times may hold any of the versions it had
//!   in the page cache (writeback can happen at any moment, in any order);
//! - a created, removed or renamed name is durable only after a directory sync; until then a crash may
//!   keep either the old or the new state of each name;
//! - a file's length is durable after its first sync;
//! - a failed `fdatasync` (an injected I/O error) writes back some of the dirty sectors, any version
//!   of each, and then forgets that the rest were dirty, as Linux does: the page cache still shows
//!   the new bytes, but no later sync writes them, so what the failed sync did not write is lost at
//!   the next crash unless it is written again.

use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use crate::storage::{Lock, Storage, StorageFile};
use crate::sync::MutexExt as _;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::panic::Location;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

const SECTOR: usize = 512;

/// A fault to inject at an operation number (every [`Storage`] and [`StorageFile`] call is one
/// operation, counted from zero since the disk was created or restarted).
///
/// ```
/// use shardlog_storage::{Fault, SimDisk, Storage};
/// let disk = SimDisk::new(7);
/// disk.set_fault(Fault::Error { at_op: 0, forever: false });
/// assert!(disk.list().is_err()); // op 0 fails
/// assert!(disk.list().is_ok()); // op 1 works again
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The power goes out when operation `at_op` starts: it and every later operation fail until
    /// [`SimDisk::crash`] builds the disk that comes back.
    PowerCut {
        /// Operation number.
        at_op: u64,
    },
    /// Operation `at_op` fails with `EIO` and has no effect; with `forever`, so does every later one.
    Error {
        /// Operation number.
        at_op: u64,
        /// Keep failing after the first failure.
        forever: bool,
    },
}

/// Where an operation came from: the source line that called the [`Storage`] or [`StorageFile`]
/// method (the trait methods are `#[track_caller]`), the operation, and the kind of file it touched
/// (a helper such as [`crate::write_file_atomic`] is one line but several sites, one per kind of
/// file it writes). I/O-error tests count the sites their injected errors reached.
///
/// ```
/// use shardlog_storage::{Fault, SimDisk, Storage};
/// let disk = SimDisk::new(1);
/// disk.track_sites();
/// disk.set_fault(Fault::Error { at_op: 1, forever: false });
/// disk.create("00000000000000000001.seg", 4096).unwrap();
/// assert!(disk.sync_dir().is_err());
/// let site = disk.fault_site().unwrap();
/// assert_eq!((site.op, site.file), ("fsync_dir", "directory"));
/// assert_eq!(site.line.file(), file!());
/// assert_eq!(disk.sites().len(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    /// The operation (`pwrite`, `fdatasync`, `rename`, ...).
    pub op: &'static str,
    /// The kind of file: `segment`, `index`, `log meta`, `catalog`, `checkpoint`, `temp`, ...
    pub file: &'static str,
    /// The calling line.
    pub line: &'static Location<'static>,
}

/// The kind of file a name denotes, for [`Site`].
fn file_kind(name: &str) -> &'static str {
    let base = name.rsplit('/').next().unwrap_or(name);
    match base {
        "" => "directory",
        "log.meta" => "log meta",
        "catalog" => "catalog",
        "LOCK" => "lock",
        _ if base.ends_with(".seg") => "segment",
        _ if base.ends_with(".idx") => "index",
        _ if base.ends_with(".seg.cmp") => "merge temp",
        _ if base.ends_with(".tmp") => "temp",
        _ if base.ends_with(".grow") => "checkpoint grow",
        _ if base.ends_with(".db") => "checkpoint",
        _ if !base.contains('.') || base.starts_with("shard-") => "directory",
        _ => "other",
    }
}

/// A simulated disk for crash and fault tests; cheap to clone (clones share the disk).
///
/// ```
/// use shardlog_storage::{SimDisk, Storage};
/// let disk = SimDisk::new(42);
/// let f = disk.create("f", 1024).unwrap();
/// f.write_at(0, b"durable").unwrap();
/// f.sync().unwrap();
/// disk.sync_dir().unwrap();
/// f.write_at(512, b"maybe").unwrap(); // not synced: may or may not survive
/// let after = disk.crash(3);
/// let mut buf = [0u8; 7];
/// after.open("f").unwrap().read_at(0, &mut buf).unwrap();
/// assert_eq!(&buf, b"durable");
/// ```
#[derive(Debug, Clone)]
pub struct SimDisk {
    state: Arc<Mutex<SimState>>,
    /// `""` for the root directory, `"a/b/"` for a subdirectory view.
    prefix: String,
}

#[derive(Debug, Default)]
struct SimState {
    live: BTreeMap<String, u64>,
    durable: BTreeMap<String, u64>,
    files: HashMap<u64, FileData>,
    next_id: u64,
    ops: u64,
    fault: Option<Fault>,
    power_off: bool,
    failing: bool,
    rng: SplitMix64,
    /// Names whose directory entry changed since the last sync of their directory.
    dirty: std::collections::BTreeSet<String>,
    /// Operations per site, if tracked.
    sites: Option<HashMap<Site, u64>>,
    /// The site of the first operation an armed fault failed.
    fault_site: Option<Site>,
    /// Names of the locks held ([`Storage::lock`]); not on the disk, so a crash drops them.
    locks: std::collections::BTreeSet<String>,
}

#[derive(Debug, Default, Clone)]
struct FileData {
    live: Vec<u8>,
    durable: Vec<u8>,
    /// Versions of each unsynced sector, oldest first, as they were in the page cache.
    pending: BTreeMap<usize, Vec<Vec<u8>>>,
}

impl SimState {
    /// Counts one operation and applies the configured fault to it.
    #[track_caller]
    fn begin(&mut self, op: &'static str, name: &str) -> Result<()> {
        let n = self.ops;
        self.ops += 1;
        // Captured here: inside the closure it would name the closure.
        let line = Location::caller();
        let site = || Site {
            op,
            file: match op {
                "mkdir" | "remove_dir" | "fsync_dir" | "read_dir" => "directory",
                _ => file_kind(name),
            },
            line,
        };
        if let Some(sites) = &mut self.sites {
            *sites.entry(site()).or_default() += 1;
        }
        let fail = match self.fault {
            _ if self.power_off || self.failing => true,
            Some(Fault::PowerCut { at_op }) if at_op == n => {
                self.power_off = true;
                true
            }
            Some(Fault::Error { at_op, forever }) if at_op == n => {
                self.failing = forever;
                true
            }
            _ => false,
        };
        if fail {
            if self.fault_site.is_none() && self.fault.is_some() {
                self.fault_site = Some(site());
            }
            let msg = if self.power_off {
                "power cut"
            } else {
                "injected I/O error"
            };
            return Err(Error::io(op, sim_path(name), io::Error::other(msg)));
        }
        Ok(())
    }

    fn next_rand(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn file(&mut self, id: u64) -> &mut FileData {
        self.files.entry(id).or_default()
    }
}

fn sim_path(name: &str) -> PathBuf {
    PathBuf::from(format!("sim:/{name}"))
}

fn not_found(op: &'static str, name: &str) -> Error {
    Error::io(op, sim_path(name), io::Error::from(io::ErrorKind::NotFound))
}

impl SimDisk {
    /// An empty disk whose random choices derive from `seed`.
    pub fn new(seed: u64) -> Self {
        let state = SimState {
            rng: SplitMix64::new(seed),
            next_id: 1,
            ..SimState::default()
        };
        SimDisk {
            state: Arc::new(Mutex::new(state)),
            prefix: String::new(),
        }
    }

    fn full(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock cannot leave the model half-updated in a way that matters
        // to a test that is already failing, so poisoning is ignored.
        self.state.locked()
    }

    /// Arms a fault (replacing any earlier one).
    pub fn set_fault(&self, fault: Fault) {
        let mut s = self.state();
        s.fault = Some(fault);
        s.failing = false;
        s.fault_site = None;
    }

    /// Starts counting operations per [`Site`] (off by default: it costs a hash-map update per
    /// operation).
    pub fn track_sites(&self) {
        self.state().sites.get_or_insert_with(HashMap::new);
    }

    /// Operations per [`Site`] since [`SimDisk::track_sites`].
    pub fn sites(&self) -> BTreeMap<Site, u64> {
        let s = self.state();
        s.sites.iter().flatten().map(|(k, v)| (*k, *v)).collect()
    }

    /// The site of the first operation that the armed fault failed, once it has failed one.
    pub fn fault_site(&self) -> Option<Site> {
        self.state().fault_site
    }

    /// Removes the fault and ends a "forever" error streak (a power cut stays until [`SimDisk::crash`]).
    pub fn clear_fault(&self) {
        let mut s = self.state();
        s.fault = None;
        s.failing = false;
    }

    /// Cuts the power now: every later operation fails until [`SimDisk::crash`]. Dropping a log after
    /// this is a crash, not a clean close.
    pub fn cut_power(&self) {
        self.state().power_off = true;
    }

    /// Operations counted so far.
    pub fn ops(&self) -> u64 {
        self.state().ops
    }

    /// True once an armed power cut has happened.
    pub fn is_power_off(&self) -> bool {
        self.state().power_off
    }

    /// The disk as it comes back after the power goes out now: durable bytes, plus for every unsynced
    /// sector either its durable content or any version it had in the page cache, chosen with `seed`;
    /// each undurable name change either happened or not. The returned disk has no fault armed and
    /// shares nothing with `self`.
    pub fn crash(&self, seed: u64) -> SimDisk {
        let s = self.state();
        let mut rng = SplitMix64::new(seed ^ 0xA5A5_5A5A_C3C3_3C3C);
        let mut files = HashMap::new();
        for (&id, data) in &s.files {
            files.insert(id, crashed_file(data, &mut rng));
        }
        let mut names = s.durable.clone();
        let changed: Vec<&String> = s
            .live
            .keys()
            .chain(s.durable.keys())
            .filter(|n| s.live.get(*n) != s.durable.get(*n))
            .collect();
        for name in changed {
            if rng.next_u64() % 2 == 0 {
                match s.live.get(name) {
                    Some(&id) => names.insert(name.clone(), id),
                    None => names.remove(name),
                };
            }
        }
        let state = SimState {
            live: names.clone(),
            durable: names,
            files,
            next_id: s.next_id,
            rng: SplitMix64::new(rng.next_u64()),
            ..SimState::default()
        };
        SimDisk {
            state: Arc::new(Mutex::new(state)),
            prefix: String::new(),
        }
    }

    /// Flips one bit of a file's durable and live content (for corruption tests).
    pub fn flip_bit(&self, name: &str, bit: u64) -> Result<()> {
        let mut s = self.state();
        let id = *s
            .live
            .get(name)
            .ok_or_else(|| not_found("flip_bit", name))?;
        let f = s.file(id);
        let byte = (bit / 8) as usize;
        let mask = 1u8 << (bit % 8);
        for image in [&mut f.live, &mut f.durable] {
            if let Some(b) = image.get_mut(byte) {
                *b ^= mask;
            }
        }
        Ok(())
    }

    /// Replaces a file's content (durable at once), creating it if needed (for corruption tests).
    pub fn put_file(&self, name: &str, bytes: &[u8]) {
        let mut s = self.state();
        let id = match s.live.get(name) {
            Some(&id) => id,
            None => {
                let id = s.next_id;
                s.next_id += 1;
                id
            }
        };
        s.live.insert(name.to_string(), id);
        s.durable.insert(name.to_string(), id);
        let f = s.file(id);
        f.live = bytes.to_vec();
        f.durable = bytes.to_vec();
        f.pending.clear();
    }

    /// A file's current (live) content.
    pub fn file_bytes(&self, name: &str) -> Option<Vec<u8>> {
        let s = self.state();
        let id = s.live.get(name)?;
        s.files.get(id).map(|f| f.live.clone())
    }
}

/// What a failed `fdatasync` leaves: each dirty sector reached the disk in one of its versions or
/// not at all, and none of them is dirty any more (Linux marks the pages clean after the error).
fn drop_dirty(f: &mut FileData, rng: &mut SplitMix64) {
    f.durable.resize(f.live.len(), 0);
    write_back_some(&mut f.durable, &f.pending, rng);
    f.pending.clear();
}

/// Writes into `image` each pending sector's chosen version, or nothing (its durable content).
fn write_back_some(
    image: &mut [u8],
    pending: &BTreeMap<usize, Vec<Vec<u8>>>,
    rng: &mut SplitMix64,
) {
    for (&sector, versions) in pending {
        let pick = rng.below(versions.len() as u64 + 1) as usize;
        let Some(version) = pick.checked_sub(1).and_then(|i| versions.get(i)) else {
            continue;
        };
        let start = sector * SECTOR;
        if let Some(dst) = image.get_mut(start..start + version.len()) {
            dst.copy_from_slice(version);
        }
    }
}

fn crashed_file(data: &FileData, rng: &mut SplitMix64) -> FileData {
    let mut image = data.durable.clone();
    write_back_some(&mut image, &data.pending, rng);
    FileData {
        live: image.clone(),
        durable: image,
        pending: BTreeMap::new(),
    }
}

impl Storage for SimDisk {
    fn create(&self, name: &str, len: u64) -> Result<Arc<dyn StorageFile>> {
        let name = &self.full(name);
        let mut s = self.state();
        s.begin("create", name)?;
        if s.live.contains_key(name) {
            let err = io::Error::from(io::ErrorKind::AlreadyExists);
            return Err(Error::io("create", sim_path(name), err));
        }
        let id = s.next_id;
        s.next_id += 1;
        s.live.insert(name.to_string(), id);
        s.dirty.insert(name.to_string());
        let len = usize::try_from(len)
            .map_err(|_| Error::io("fallocate", sim_path(name), io::Error::other("too large")))?;
        s.file(id).live = vec![0; len];
        Ok(Arc::new(SimFile::new(self.clone(), id, name, len as u64)))
    }

    fn open(&self, name: &str) -> Result<Arc<dyn StorageFile>> {
        let name = &self.full(name);
        let mut s = self.state();
        s.begin("open", name)?;
        let id = *s.live.get(name).ok_or_else(|| not_found("open", name))?;
        let len = s.file(id).live.len() as u64;
        Ok(Arc::new(SimFile::new(self.clone(), id, name, len)))
    }

    fn remove(&self, name: &str) -> Result<()> {
        let name = &self.full(name);
        let mut s = self.state();
        s.begin("unlink", name)?;
        s.live
            .remove(name)
            .ok_or_else(|| not_found("unlink", name))?;
        s.dirty.insert(name.to_string());
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        let (from, to) = (&self.full(from), self.full(to));
        let mut s = self.state();
        s.begin("rename", from)?;
        let id = s
            .live
            .remove(from)
            .ok_or_else(|| not_found("rename", from))?;
        s.dirty.insert(from.to_string());
        s.dirty.insert(to.clone());
        s.live.insert(to, id);
        Ok(())
    }

    fn sync_dir(&self) -> Result<()> {
        let mut s = self.state();
        s.begin("fsync_dir", &self.prefix)?;
        // Entries directly in this directory, and entries of subdirectories removed from it.
        let prefix = self.prefix.as_str();
        let candidates: Vec<String> = s
            .dirty
            .range(prefix.to_string()..)
            .take_while(|n| n.starts_with(prefix))
            .cloned()
            .collect();
        for name in candidates {
            let affected = match child_dir(&name, prefix) {
                None => true,
                Some(d) => {
                    let sub = format!("{prefix}{d}/");
                    let live_sub = s.live.range(sub.clone()..).next();
                    !live_sub.is_some_and(|(n, _)| n.starts_with(&sub))
                }
            };
            if !affected {
                continue;
            }
            match s.live.get(&name).copied() {
                Some(id) => s.durable.insert(name.clone(), id),
                None => s.durable.remove(&name),
            };
            s.dirty.remove(&name);
        }
        Ok(())
    }

    fn list(&self) -> Result<Vec<String>> {
        let mut s = self.state();
        s.begin("read_dir", &self.prefix)?;
        let mut names: Vec<String> = s
            .live
            .keys()
            .filter_map(|n| n.strip_prefix(self.prefix.as_str()))
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_string())
            .collect();
        names.dedup();
        Ok(names)
    }

    fn path(&self, name: &str) -> PathBuf {
        sim_path(&self.full(name))
    }

    fn subdir(&self, name: &str) -> Result<Arc<dyn Storage>> {
        self.state().begin("mkdir", &self.full(name))?;
        Ok(Arc::new(SimDisk {
            state: self.state.clone(),
            prefix: format!("{}{name}/", self.prefix),
        }))
    }

    fn remove_dir(&self, name: &str) -> Result<()> {
        let dir = format!("{}{name}/", self.prefix);
        let mut s = self.state();
        s.begin("remove_dir", &dir)?;
        let gone: Vec<String> = s
            .live
            .range(dir.clone()..)
            .map(|(n, _)| n.clone())
            .take_while(|n| n.starts_with(&dir))
            .collect();
        for name in gone {
            s.live.remove(&name);
            s.dirty.insert(name);
        }
        Ok(())
    }

    fn lock(&self, name: &str) -> Result<Lock> {
        let name = self.full(name);
        if !self.state().locks.insert(name.clone()) {
            return Err(Error::Locked {
                path: sim_path(&name),
            });
        }
        Ok(Lock::new(SimLock {
            state: self.state.clone(),
            name,
        }))
    }
}

/// A held lock of a [`SimDisk`]: frees its name when dropped.
struct SimLock {
    state: Arc<Mutex<SimState>>,
    name: String,
}

impl Drop for SimLock {
    fn drop(&mut self) {
        self.state.locked().locks.remove(&self.name);
    }
}

/// The first path component below `prefix` if `name` lies in a subdirectory of it.
fn child_dir(name: &str, prefix: &str) -> Option<String> {
    let rest = name.strip_prefix(prefix)?;
    let (dir, _) = rest.split_once('/')?;
    Some(dir.to_string())
}

/// An open file of a [`SimDisk`].
#[derive(Debug)]
struct SimFile {
    disk: SimDisk,
    id: u64,
    name: String,
    len: u64,
    sealed: Mutex<Option<(u64, u64)>>,
}

impl SimFile {
    fn new(disk: SimDisk, id: u64, name: &str, len: u64) -> Self {
        SimFile {
            disk,
            id,
            name: name.to_string(),
            len,
            sealed: Mutex::new(None),
        }
    }

    fn range(&self, op: &'static str, offset: u64, len: usize) -> Result<std::ops::Range<usize>> {
        let start = usize::try_from(offset).ok();
        match start.and_then(|s| Some(s..s.checked_add(len)?)) {
            Some(r) if r.end as u64 <= self.len => Ok(r),
            _ => Err(Error::io(
                op,
                sim_path(&self.name),
                io::Error::other("range outside file"),
            )),
        }
    }
}

impl StorageFile for SimFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let range = self.range("pread", offset, buf.len())?;
        let mut s = self.disk.state();
        s.begin("pread", &self.name)?;
        let src = s.file(self.id).live.get(range).ok_or_else(|| {
            Error::io(
                "pread",
                sim_path(&self.name),
                io::Error::from(io::ErrorKind::UnexpectedEof),
            )
        })?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        let range = self.range("pwrite", offset, data.len())?;
        let sealed = *self.sealed.locked();
        let mut s = self.disk.state();
        s.begin("pwrite", &self.name)?;
        let f = s.file(self.id);
        if let Some((lo, hi)) = sealed {
            if (range.start as u64) < hi && range.end as u64 > lo {
                let err = io::Error::other("write overlaps the sealed range");
                return Err(Error::io("pwrite", sim_path(&self.name), err));
            }
        }
        let Some(dst) = f.live.get_mut(range.clone()) else {
            return Err(Error::io(
                "pwrite",
                sim_path(&self.name),
                io::Error::other("short file"),
            ));
        };
        dst.copy_from_slice(data);
        if data.is_empty() {
            return Ok(());
        }
        for sector in range.start / SECTOR..=(range.end - 1) / SECTOR {
            let lo = sector * SECTOR;
            let hi = (lo + SECTOR).min(f.live.len());
            let version = f.live.get(lo..hi).map(<[u8]>::to_vec).unwrap_or_default();
            f.pending.entry(sector).or_default().push(version);
        }
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        let mut s = self.disk.state();
        if let Err(e) = s.begin("fdatasync", &self.name) {
            if !s.power_off {
                let mut rng = SplitMix64::new(s.next_rand());
                drop_dirty(s.file(self.id), &mut rng);
            }
            return Err(e);
        }
        let f = s.file(self.id);
        f.durable.resize(f.live.len(), 0);
        // Only dirty sectors are written: a sector a failed sync dropped stays as that sync left it.
        for &sector in f.pending.keys() {
            let range = sector * SECTOR..((sector + 1) * SECTOR).min(f.live.len());
            if let (Some(dst), Some(src)) = (f.durable.get_mut(range.clone()), f.live.get(range)) {
                dst.copy_from_slice(src);
            }
        }
        f.pending.clear();
        Ok(())
    }

    fn seal_below(&self, start: u64, end: u64) {
        let mut sealed = self.sealed.locked();
        let lo = sealed.map_or(start, |(lo, _)| lo);
        let hi = sealed.map_or(end, |(_, hi)| hi.max(end));
        *sealed = Some((lo, hi.min(self.len)));
    }

    fn view(&self, _offset: u64, _len: usize) -> Option<&[u8]> {
        None
    }

    fn path(&self) -> PathBuf {
        sim_path(&self.name)
    }
}

impl SimDisk {
    /// A pseudo-random number from the disk's seeded generator (for tests that want one stream).
    pub fn rand(&self) -> u64 {
        self.state().next_rand()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_has_one_holder_until_dropped_and_a_crash_frees_it() {
        let disk = SimDisk::new(1);
        let held = disk.lock("LOCK").unwrap();
        // Another handle on the same disk (another open in this process) is refused.
        let again = disk.clone().lock("LOCK");
        assert!(matches!(again, Err(Error::Locked { .. })), "{again:?}");
        // Locks are per name and per directory.
        let sub = disk.subdir("d").unwrap();
        let _other = sub.lock("LOCK").unwrap();
        // The disk that comes back after a power cut holds no locks, and no lock file is listed.
        let after = disk.crash(2);
        drop(after.lock("LOCK").unwrap());
        assert!(!disk.list().unwrap().contains(&"LOCK".to_string()));
        drop(held);
        drop(disk.lock("LOCK").unwrap());
    }

    #[test]
    fn subdirectories_have_their_own_names_and_syncs() {
        let disk = SimDisk::new(1);
        let sub = disk.subdir("s1").unwrap();
        sub.create("a", 10).unwrap().sync().unwrap();
        assert_eq!(disk.list().unwrap(), vec!["s1".to_string()]);
        assert_eq!(sub.list().unwrap(), vec!["a".to_string()]);
        // Not durable until the subdirectory is synced.
        disk.sync_dir().unwrap();
        let lost = (0..20)
            .filter(|&seed| disk.crash(seed).list().unwrap().is_empty())
            .count();
        assert!(lost > 0, "an unsynced directory entry may be lost");
        sub.sync_dir().unwrap();
        for seed in 0..20 {
            let after = disk.crash(seed);
            assert_eq!(
                after.subdir("s1").unwrap().list().unwrap(),
                vec!["a".to_string()]
            );
        }
        disk.remove_dir("s1").unwrap();
        assert!(disk.list().unwrap().is_empty());
        disk.sync_dir().unwrap();
        assert!(disk.crash(3).list().unwrap().is_empty());
    }

    #[test]
    fn unsynced_sectors_keep_some_version() {
        let disk = SimDisk::new(1);
        let f = disk.create("f", 1024).unwrap();
        f.sync().unwrap();
        disk.sync_dir().unwrap();
        f.write_at(0, &[1u8; 1024]).unwrap();
        f.write_at(0, &[2u8; 1024]).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let after = disk.crash(seed);
            let mut buf = [0u8; 1024];
            after.open("f").unwrap().read_at(0, &mut buf).unwrap();
            // Each 512-byte sector independently holds one of its versions: 0, 1 or 2.
            assert!(buf[..512].iter().all(|&b| b == buf[0]));
            assert!(buf[512..].iter().all(|&b| b == buf[512]));
            seen.insert((buf[0], buf[512]));
        }
        assert!(seen.len() > 4, "sectors tear independently: {seen:?}");
    }

    #[test]
    fn a_failed_sync_drops_dirty_sectors_that_no_later_sync_writes() {
        let mut lost = 0;
        for seed in 0..32 {
            let disk = SimDisk::new(seed);
            let f = disk.create("f", 4096).unwrap();
            f.sync().unwrap();
            disk.sync_dir().unwrap();
            f.write_at(0, &[7u8; 4096]).unwrap();
            disk.set_fault(Fault::Error {
                at_op: disk.ops(),
                forever: false,
            });
            assert!(f.sync().is_err());
            // The page cache still shows the bytes, and a later sync succeeds...
            let mut live = [0u8; 4096];
            f.read_at(0, &mut live).unwrap();
            assert_eq!(live, [7u8; 4096]);
            f.sync().unwrap();
            // ...but it does not write what the failed sync dropped.
            let mut after = [0u8; 4096];
            disk.crash(seed)
                .open("f")
                .unwrap()
                .read_at(0, &mut after)
                .unwrap();
            for sector in after.chunks(SECTOR) {
                assert!(sector.iter().all(|&b| b == sector[0]), "whole sectors");
            }
            lost += after.chunks(SECTOR).filter(|s| s[0] == 0).count();
            // Writing again makes it durable.
            f.write_at(0, &[7u8; 4096]).unwrap();
            f.sync().unwrap();
            disk.crash(seed)
                .open("f")
                .unwrap()
                .read_at(0, &mut after)
                .unwrap();
            assert_eq!(after, [7u8; 4096]);
        }
        assert!(lost > 0, "some sectors a failed sync dropped are lost");
    }
}
