//! Real files in one directory.

use crate::error::{Error, Result};
use crate::storage::{Lock, Storage, StorageFile};
use memmap2::{MmapOptions, MmapRaw};
use rustix::fs::SeekFrom;
use std::fs::{self, File};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
        Ok(Arc::new(FsFile::new(file, path, len)?))
    }

    fn create_sparse(&self, name: &str, len: u64) -> Result<Arc<dyn StorageFile>> {
        let path = self.dir.join(name);
        let file = sys::create_new(&path).map_err(|e| Error::io("create", &path, e))?;
        sys::set_len(&file, &path, len).map_err(|e| Error::io("ftruncate", &path, e))?;
        Ok(Arc::new(FsFile::new(file, path, len)?))
    }

    fn open(&self, name: &str) -> Result<Arc<dyn StorageFile>> {
        let path = self.dir.join(name);
        let file = sys::open_rw(&path).map_err(|e| Error::io("open", &path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat", &path, e))?
            .len();
        Ok(Arc::new(FsFile::new(file, path, len)?))
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

/// One real file with an optional shared read-only mapping of its length at open.
struct FsFile {
    file: File,
    path: PathBuf,
    len: u64,
    map: Option<MmapRaw>,
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
    fn new(file: File, path: PathBuf, len: u64) -> Result<Self> {
        // Map only what exists now: the file is never shrunk while we hold it, so every mapped page
        // stays backed and a read through the map cannot raise SIGBUS.
        let map = if len > 0 && usize::try_from(len).is_ok() {
            let map = MmapOptions::new()
                .len(len as usize)
                .map_raw_read_only(&file)
                .map_err(|e| Error::io("mmap", &path, e))?;
            Some(map)
        } else {
            None
        };
        Ok(FsFile {
            file,
            path,
            len,
            map,
            sealed_start: AtomicU64::new(u64::MAX),
            sealed_end: AtomicU64::new(0),
        })
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
        let map = self.map.as_ref()?;
        let end = offset.checked_add(len as u64)?;
        let start = self.sealed_start.load(Ordering::Acquire);
        if offset < start || end > self.sealed_end.load(Ordering::Acquire) {
            return None;
        }
        #[allow(unsafe_code)]
        // SAFETY: `[offset, end)` lies inside the mapping (sealed_end <= len, the mapped length) and
        // inside the sealed range, which `write_at` refuses to touch and which this process never
        // truncates, so the bytes are initialised, backed by the file and immutable for as long as
        // `&self` (and with it the mapping) lives.
        let slice = unsafe { std::slice::from_raw_parts(map.as_ptr().add(offset as usize), len) };
        Some(slice)
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
