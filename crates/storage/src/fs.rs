//! Real files in one directory.

use crate::error::{Error, Result};
use crate::storage::{Lock, Storage, StorageFile};
use memmap2::{Advice, MmapOptions, MmapRaw};
use rustix::fs::SeekFrom;
use std::fs::{self, File};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

mod sys;
#[cfg(feature = "io-trace")]
pub mod trace;

/// Files in one directory of the real file system.
///
/// Segments are preallocated with `fallocate` before they are mapped, so a full disk shows up as an
/// error from [`Storage::create`], never as `SIGBUS` in the middle of a copy. Writes use `pwrite`;
/// reads of sealed ranges use a shared read-only mapping, untrusted reads use `pread`. Every call
/// that changes the files goes through the private `sys` module (one function per call), which the
/// `io-trace` feature lets crash tests record.
///
/// ```
/// use shardlog_storage::{FsStorage, Storage};
/// let dir = tempfile::tempdir().unwrap();
/// let storage = FsStorage::open(dir.path()).unwrap();
/// let f = storage.create("x", 8192).unwrap();
/// assert_eq!(f.len(), 8192);
/// ```
#[derive(Debug)]
pub struct FsStorage {
    dir: PathBuf,
}

impl FsStorage {
    /// Uses `dir`, creating it (and syncing its parent) if it does not exist.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        if !dir.is_dir() {
            sys::create_dir_all(&dir).map_err(|e| Error::io("create_dir", &dir, e))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir_path(parent)?;
            }
        }
        Ok(FsStorage { dir })
    }
}

fn sync_dir_path(dir: &Path) -> Result<()> {
    let handle = File::open(dir).map_err(|e| Error::io("open_dir", dir, e))?;
    sys::fsync_dir(&handle, dir).map_err(|e| Error::io("fsync_dir", dir, e))
}

impl Storage for FsStorage {
    fn create(&self, name: &str, len: u64) -> Result<Arc<dyn StorageFile>> {
        let path = self.dir.join(name);
        let file = sys::create_new(&path).map_err(|e| Error::io("create", &path, e))?;
        if len > 0 {
            // fallocate, not ftruncate: a sparse file would turn a full disk into SIGBUS later.
            sys::fallocate(&file, &path, len).map_err(|e| Error::io("fallocate", &path, e))?;
        }
        Ok(Arc::new(FsFile::new(file, path, len)))
    }

    fn create_sparse(&self, name: &str, len: u64) -> Result<Arc<dyn StorageFile>> {
        let path = self.dir.join(name);
        let file = sys::create_new(&path).map_err(|e| Error::io("create", &path, e))?;
        sys::set_len(&file, &path, len).map_err(|e| Error::io("ftruncate", &path, e))?;
        Ok(Arc::new(FsFile::new(file, path, len)))
    }

    fn open(&self, name: &str) -> Result<Arc<dyn StorageFile>> {
        let path = self.dir.join(name);
        let file = sys::open_rw(&path).map_err(|e| Error::io("open", &path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat", &path, e))?
            .len();
        Ok(Arc::new(FsFile::new(file, path, len)))
    }

    fn remove(&self, name: &str) -> Result<()> {
        let path = self.dir.join(name);
        sys::unlink(&path).map_err(|e| Error::io("unlink", &path, e))
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        let (from, to) = (self.dir.join(from), self.dir.join(to));
        sys::rename(&from, &to).map_err(|e| Error::io("rename", &from, e))
    }

    fn sync_dir(&self) -> Result<()> {
        sync_dir_path(&self.dir)
    }

    fn list(&self) -> Result<Vec<String>> {
        let entries = fs::read_dir(&self.dir).map_err(|e| Error::io("read_dir", &self.dir, e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("read_dir", &self.dir, e))?;
            if let Some(name) = entry.file_name().to_str() {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn subdir(&self, name: &str) -> Result<Arc<dyn Storage>> {
        let path = self.dir.join(name);
        if !path.is_dir() {
            sys::mkdir(&path).map_err(|e| Error::io("mkdir", &path, e))?;
            self.sync_dir()?;
        }
        Ok(Arc::new(FsStorage { dir: path }))
    }

    fn remove_dir(&self, name: &str) -> Result<()> {
        let path = self.dir.join(name);
        sys::remove_dir_all(&path).map_err(|e| Error::io("remove_dir", &path, e))
    }

    fn lock(&self, name: &str) -> Result<Lock> {
        use fs2::FileExt as _;
        let path = self.dir.join(name);
        // The lock file's content and name need not survive a crash: no sync.
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        file.try_lock_exclusive()
            .map_err(|_| Error::Locked { path })?;
        Ok(Lock::new(file))
    }
}

/// One real file with a shared read-only mapping of its length at open, made on first use.
struct FsFile {
    file: File,
    path: PathBuf,
    len: u64,
    /// Made by the first read through it, not at open: a store of 10,000 shards opens 10,000
    /// files, and their mappings (each a write-lock of the process's address space) were a sixth
    /// of the open. `None` inside if the file is empty or could not be mapped (then reads use
    /// `pread`).
    map: OnceLock<Option<MmapRaw>>,
    sealed_start: AtomicU64,
    sealed_end: AtomicU64,
}

impl std::fmt::Debug for FsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsFile")
            .field("path", &self.path)
            .field("len", &self.len)
            .finish()
    }
}

impl FsFile {
    fn new(file: File, path: PathBuf, len: u64) -> Self {
        FsFile {
            file,
            path,
            len,
            map: OnceLock::new(),
            sealed_start: AtomicU64::new(u64::MAX),
            sealed_end: AtomicU64::new(0),
        }
    }

    /// The mapping, made on first use.
    fn map(&self) -> Option<&MmapRaw> {
        self.map
            .get_or_init(|| {
                // Map only the length at open: the file is never shrunk while we hold it, so every
                // mapped page stays backed and a read through the map cannot raise SIGBUS.
                let len = usize::try_from(self.len).ok().filter(|&len| len > 0)?;
                let map = MmapOptions::new()
                    .len(len)
                    .map_raw_read_only(&self.file)
                    .ok()?;
                // No read-around on a page fault: it would read up to `read_ahead_kb` around the
                // page, and past the records that is preallocated space the kernel zero-fills page
                // by page. Readers ask for exactly the range they read instead (`read_ahead`,
                // `populate`). A hint: failing to give it costs speed, not correctness.
                let _ = map.advise(Advice::Random);
                Some(map)
            })
            .as_ref()
    }

    /// The mapping and the part of `[offset, offset + len)` inside the sealed range, if any.
    fn sealed_part(&self, offset: u64, len: usize) -> Option<(&MmapRaw, usize, usize)> {
        let start = offset.max(self.sealed_start.load(Ordering::Acquire));
        let end = offset
            .saturating_add(len as u64)
            .min(self.sealed_end.load(Ordering::Acquire));
        // Both fit in usize: `end` is at most the mapped length.
        if start >= end {
            return None;
        }
        Some((self.map()?, start as usize, (end - start) as usize))
    }

    fn check_range(&self, offset: u64, len: usize, op: &'static str) -> Result<()> {
        let end = offset.checked_add(len as u64);
        if end.is_none_or(|end| end > self.len) {
            let msg = format!("range {offset}+{len} outside file of {} bytes", self.len);
            return Err(Error::io(op, &self.path, std::io::Error::other(msg)));
        }
        Ok(())
    }
}

impl StorageFile for FsFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.check_range(offset, buf.len(), "pread")?;
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| Error::io("pread", &self.path, e))
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        self.check_range(offset, data.len(), "pwrite")?;
        let end = offset + data.len() as u64;
        let (start, sealed) = (
            self.sealed_start.load(Ordering::Acquire),
            self.sealed_end.load(Ordering::Acquire),
        );
        if offset < sealed && end > start {
            let msg = format!("write {offset}..{end} overlaps sealed range {start}..{sealed}");
            return Err(Error::io("pwrite", &self.path, std::io::Error::other(msg)));
        }
        sys::pwrite(&self.file, &self.path, data, offset)
            .map_err(|e| Error::io("pwrite", &self.path, e))
    }

    fn sync(&self) -> Result<()> {
        sys::fdatasync(&self.file, &self.path).map_err(|e| Error::io("fdatasync", &self.path, e))
    }

    fn seal_below(&self, start: u64, end: u64) {
        let _ = self.sealed_start.compare_exchange(
            u64::MAX,
            start,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        self.sealed_end
            .fetch_max(end.min(self.len), Ordering::AcqRel);
    }

    fn view(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let end = offset.checked_add(len as u64)?;
        let start = self.sealed_start.load(Ordering::Acquire);
        if offset < start || end > self.sealed_end.load(Ordering::Acquire) {
            return None;
        }
        let map = self.map()?;
        #[allow(unsafe_code)]
        // SAFETY: `[offset, end)` lies inside the mapping (sealed_end <= len, the mapped length) and
        // inside the sealed range, which `write_at` refuses to touch and which this process never
        // truncates, so the bytes are initialised, backed by the file and immutable for as long as
        // `&self` (and with it the mapping) lives.
        let slice = unsafe { std::slice::from_raw_parts(map.as_ptr().add(offset as usize), len) };
        Some(slice)
    }

    fn read_ahead(&self, offset: u64, len: usize) {
        if let Some((map, offset, len)) = self.sealed_part(offset, len) {
            if !looks_resident(map, offset, len) {
                // A hint: failing to give it costs speed, not correctness.
                let _ = map.advise_range(Advice::WillNeed, offset, len);
            }
        }
    }

    fn populate(&self, offset: u64, len: usize) {
        #[cfg(target_os = "linux")]
        if let Some((map, offset, len)) = self.sealed_part(offset, len) {
            // Pages in memory fault in without I/O (64 KiB at a time); walking them again would
            // cost a re-read about as much as the read. A hint (MADV_POPULATE_READ needs Linux
            // 5.14): without it, the reads fault instead.
            if !looks_resident(map, offset, len) {
                let _ = map.advise_range(Advice::PopulateRead, offset, len);
            }
        }
    }

    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    fn zero_from(&self, from: u64) -> Result<u64> {
        // SEEK_DATA/SEEK_HOLE: a hole reads as zeros by definition, and file systems may report a
        // hole as data but never the reverse, so this only ever skips zeros. ext4 reports
        // preallocated extents that were never written (and have no cached pages) as holes.
        let mut end = from;
        let mut pos = from;
        for _ in 0..MAX_DATA_REGIONS {
            let data = match rustix::fs::seek(&self.file, SeekFrom::Data(pos)) {
                Ok(data) if data < self.len => data,
                // ENXIO: no data at or after `pos`.
                Err(rustix::io::Errno::NXIO) => return Ok(end),
                Ok(_) => return Ok(end),
                // Not supported here: assume everything may be data.
                Err(_) => return Ok(self.len.max(from)),
            };
            let hole = rustix::fs::seek(&self.file, SeekFrom::Hole(data))
                .map_err(|e| Error::io("lseek", &self.path, e.into()))?;
            end = hole.min(self.len);
            pos = end;
        }
        Ok(self.len.max(from))
    }
}

/// `zero_from` gives up (and reports the file length) after this many separate data regions.
const MAX_DATA_REGIONS: usize = 256;

/// True if the first and the last page of `[offset, offset + len)` of `map` are in memory
/// (mapped, or in the page cache), taken as saying the range needs no I/O. Two pages, not every
/// page: checking them all costs a re-read of cached data as much as the read. The page cache
/// drops the oldest pages first, and a range is written oldest first, so a range partly dropped
/// has lost its first page. False if the kernel cannot tell.
fn looks_resident(map: &MmapRaw, offset: usize, len: usize) -> bool {
    let page = rustix::param::page_size();
    let base = map.as_ptr() as usize;
    debug_assert!(base % page == 0 && len > 0 && offset + len <= map.len());
    let first = (base + offset) / page * page;
    let last = (base + offset + len - 1) / page * page;
    [first, last].iter().all(|&at| {
        let mut state = 0u8;
        #[allow(unsafe_code)]
        // SAFETY: `at` is the start of a page inside the mapping (the mapping starts on a page
        // boundary and the kernel maps its last page whole). `mincore` only reads the page tables
        // and writes one byte for one page, which `state` holds.
        let rc = unsafe { libc::mincore(at as *mut libc::c_void, page, &mut state) };
        rc == 0 && state & 1 == 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_reach_only_the_sealed_range_and_map_its_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg");
        let handle = sys::create_new(&path).unwrap();
        sys::fallocate(&handle, &path, 1 << 20).unwrap();
        let file = FsFile::new(handle, path, 1 << 20);
        file.write_at(0, &[7u8; 100_000]).unwrap();
        // Nothing is sealed yet: no hint reaches the mapping, and nothing maps the file.
        assert_eq!(file.sealed_part(0, 100_000).map(|(_, o, l)| (o, l)), None);
        file.populate(0, 100_000);
        assert!(file.map.get().is_none());

        file.seal_below(4096, 100_000);
        let part = |offset, len| file.sealed_part(offset, len).map(|(_, o, l)| (o, l));
        assert_eq!(part(0, 4096), None);
        assert_eq!(part(5000, 0), None);
        assert_eq!(part(100_000, 1 << 20), None);
        assert_eq!(part(u64::MAX, usize::MAX), None);
        assert_eq!(part(0, usize::MAX), Some((4096, 100_000 - 4096)));
        assert_eq!(part(5000, 1000), Some((5000, 1000)));
        for (offset, len) in [(0, usize::MAX), (u64::MAX, usize::MAX), (5000, 0)] {
            file.read_ahead(offset, len);
            file.populate(offset, len);
        }
        // The data was just written: its pages are in the page cache.
        let map = file.map().unwrap();
        assert!(looks_resident(map, 4096, 90_000));
        assert!(looks_resident(map, 4095, 2));
        assert_eq!(file.view(4096, 1000).unwrap(), &[7u8; 1000][..]);
    }
}
